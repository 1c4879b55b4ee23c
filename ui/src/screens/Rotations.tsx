// Local rotations: the local workspace's own rotations and escalation policies, listed with
// their editors, which person I am, and import and export as a `tocsin-oncall/1` file.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type ChangeEvent, useState } from "react";

import { api } from "../api";
import type { LocalOnCall } from "../bindings/LocalOnCall";
import type { PolicyDef } from "../bindings/PolicyDef";
import type { ScheduleDef } from "../bindings/ScheduleDef";
import { Empty, ErrorBox } from "../components";
import { plain } from "../format";
import { importText } from "../schedules";
import { PolicyEditor } from "./PolicyEditor";
import { RotationEditor } from "./RotationEditor";

/** The core refuses more; checking first spares reading a huge file into the window. */
const MAX_FILE_BYTES = 1024 * 1024;

type Editing =
  | { kind: "rotation"; schedule: ScheduleDef | null }
  | { kind: "policy"; policy: PolicyDef | null }
  | null;

export function Rotations() {
  const local = useQuery({ queryKey: ["local-oncall"], queryFn: api.localOnCall });
  const [editing, setEditing] = useState<Editing>(null);
  const done = () => setEditing(null);

  if (local.isPending) return <p className="hint">Loading…</p>;
  if (local.isError) return <ErrorBox error={local.error} title="Could not read local rotations" />;

  const data = local.data;
  return (
    <div className="page" data-testid="rotations">
      <h1>Local rotations</h1>
      {editing?.kind === "rotation" && (
        <RotationEditor schedule={editing.schedule} known={data.people} onDone={done} />
      )}
      {editing?.kind === "policy" && (
        <PolicyEditor policy={editing.policy} local={data} onDone={done} />
      )}
      {editing === null && (
        <>
          <p className="hint">
            Rotations and escalation policies of the local workspace, for teams without a provider.
            They show on the On call now screen beside a provider&rsquo;s.
          </p>
          <RotationList
            data={data}
            onEdit={(schedule) => setEditing({ kind: "rotation", schedule })}
          />
          <PolicyList data={data} onEdit={(policy) => setEditing({ kind: "policy", policy })} />
          <WhoAmI data={data} />
          <OnCallFile />
        </>
      )}
    </div>
  );
}

function RotationList({
  data,
  onEdit,
}: {
  data: LocalOnCall;
  onEdit: (schedule: ScheduleDef | null) => void;
}) {
  return (
    <section className="card" data-testid="local-rotations">
      <h2>Rotations</h2>
      {data.schedules.length === 0 && <Empty>No local rotations yet.</Empty>}
      <ul className="local-list">
        {data.schedules.map((s) => (
          <li key={s.id} className="editor-row" data-testid="local-rotation">
            <span className="local-name">{plain(s.name || s.id)}</span>
            <span className="muted">
              {s.time_zone} · {s.layers.length === 1 ? "1 layer" : `${s.layers.length} layers`}
            </span>
            <button type="button" onClick={() => onEdit(s)}>
              Edit
            </button>
            <DeleteButton what={s.name || s.id} remove={() => api.deleteLocalSchedule(s.id)} />
          </li>
        ))}
      </ul>
      <button
        type="button"
        className="primary"
        data-testid="new-rotation"
        onClick={() => onEdit(null)}
      >
        New rotation
      </button>
    </section>
  );
}

function PolicyList({
  data,
  onEdit,
}: {
  data: LocalOnCall;
  onEdit: (policy: PolicyDef | null) => void;
}) {
  return (
    <section className="card" data-testid="local-policies">
      <h2>Escalation policies</h2>
      {data.policies.length === 0 && <Empty>No local escalation policies yet.</Empty>}
      <ul className="local-list">
        {data.policies.map((p) => (
          <li key={p.id} className="editor-row" data-testid="local-policy">
            <span className="local-name">{plain(p.name || p.id)}</span>
            <span className="muted">
              {p.levels.length === 1 ? "1 level" : `${p.levels.length} levels`}
            </span>
            <button type="button" onClick={() => onEdit(p)}>
              Edit
            </button>
            <DeleteButton what={p.name || p.id} remove={() => api.deleteLocalPolicy(p.id)} />
          </li>
        ))}
      </ul>
      <button type="button" data-testid="new-policy" onClick={() => onEdit(null)}>
        New escalation policy
      </button>
    </section>
  );
}

/** Delete, then a second click to confirm; a refusal (a policy still pages it) is shown. */
function DeleteButton({ what, remove }: { what: string; remove: () => Promise<null> }) {
  const queryClient = useQueryClient();
  const [asking, setAsking] = useState(false);
  const del = useMutation({
    mutationFn: remove,
    onSuccess: () => void queryClient.invalidateQueries(),
    onSettled: () => setAsking(false),
  });

  if (!asking) {
    return (
      <>
        <button type="button" data-testid="delete" onClick={() => setAsking(true)}>
          Delete
        </button>
        {del.isError && <ErrorBox error={del.error} title={`Could not delete ${plain(what)}`} />}
      </>
    );
  }
  return (
    <span className="confirm" role="group" aria-label="Confirm delete">
      Delete {plain(what)}?{" "}
      <button type="button" data-testid="confirm-delete" onClick={() => del.mutate()}>
        Yes, delete
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        Keep it
      </button>
    </span>
  );
}

/** Which person on the local rotations I am: "my shifts" and shift reminders follow it. */
function WhoAmI({ data }: { data: LocalOnCall }) {
  const queryClient = useQueryClient();
  const set = useMutation({
    mutationFn: api.setLocalMe,
    onSuccess: () => void queryClient.invalidateQueries(),
  });
  if (data.people.length === 0) return null;

  return (
    <section className="card" data-testid="local-me">
      <h2>Who I am</h2>
      <label>
        I am{" "}
        <select
          data-testid="local-me-select"
          value={data.me ?? ""}
          onChange={(e) => e.target.value !== "" && set.mutate(e.target.value)}
        >
          <option value="">Nobody chosen</option>
          {data.people.map((p) => (
            <option key={p.id} value={p.id}>
              {plain(p.name || p.id)}
            </option>
          ))}
        </select>
      </label>
      {set.isError && <ErrorBox error={set.error} title="Could not say who I am" />}
    </section>
  );
}

/** Import a chosen file's text (the core checks all of it first), or export to Downloads. */
function OnCallFile() {
  const queryClient = useQueryClient();
  const [file, setFile] = useState<{ name: string; text: string } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [replace, setReplace] = useState(false);
  const importFile = useMutation({
    mutationFn: (text: string) => api.importOncallFile(text, replace),
    onSuccess: () => void queryClient.invalidateQueries(),
  });
  const exportFile = useMutation({ mutationFn: api.saveOncallFile });

  const choose = (e: ChangeEvent<HTMLInputElement>) => {
    const chosen = e.target.files?.[0];
    setFile(null);
    setProblem(null);
    importFile.reset();
    if (!chosen) return;
    if (chosen.size > MAX_FILE_BYTES) {
      setProblem("That file is over a megabyte; an on-call file is far smaller.");
      return;
    }
    chosen.text().then(
      (text) => setFile({ name: chosen.name, text }),
      () => setProblem("The file could not be read."),
    );
  };

  return (
    <section className="card" data-testid="oncall-file">
      <h2>Import and export</h2>
      <p className="hint">A tocsin-oncall/1 TOML file, as `tocsin rotation export` writes it.</p>
      <div className="editor-row">
        <input type="file" accept=".toml" data-testid="oncall-file-input" onChange={choose} />
        <label>
          <input
            type="checkbox"
            data-testid="oncall-file-replace"
            checked={replace}
            onChange={(e) => setReplace(e.target.checked)}
          />{" "}
          Replace everything (remove local rotations and policies the file does not have)
        </label>
        <button
          type="button"
          data-testid="oncall-file-import"
          disabled={file === null || importFile.isPending}
          onClick={() => file && importFile.mutate(file.text)}
        >
          Import
        </button>
      </div>
      {problem && <p className="problem">{problem}</p>}
      {importFile.isSuccess && (
        <p className="hint" data-testid="oncall-file-imported">
          {importText(importFile.data)}
        </p>
      )}
      {importFile.isError && (
        <ErrorBox error={importFile.error} title="The file was not imported; nothing changed" />
      )}
      <button type="button" data-testid="oncall-file-export" onClick={() => exportFile.mutate()}>
        Export to Downloads
      </button>
      {exportFile.isSuccess && (
        <p className="hint" data-testid="oncall-file-saved">
          Saved to {exportFile.data}
        </p>
      )}
      {exportFile.isError && <ErrorBox error={exportFile.error} title="Could not export" />}
    </section>
  );
}
