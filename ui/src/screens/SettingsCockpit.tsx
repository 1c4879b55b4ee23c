// Settings for commanding incidents: the name you act under, severities with their targets and
// per-account mapping, and each severity's checklist as TOML text to copy, paste or reset.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";

import { api, cockpitApi } from "../api";
import type { Account } from "../bindings/Account";
import type { Severity } from "../bindings/Severity";
import type { SeverityMapping } from "../bindings/SeverityMapping";
import type { Urgency } from "../bindings/Urgency";
import { copyToClipboard, ErrorBox } from "../components";
import { plain } from "../format";
import { useActor } from "../hooks";
import { parseMinutes } from "../respond";

export function CockpitSettings() {
  return (
    <>
      <ActorName />
      <Severities />
      <Checklists />
    </>
  );
}

function ActorName() {
  const [actor, setActor] = useActor();
  const [draft, setDraft] = useState(actor);
  const [saved, setSaved] = useState(false);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setActor(draft);
    setSaved(true);
  };
  return (
    <form className="card" onSubmit={submit} data-testid="actor-settings">
      <h2>Your name</h2>
      <p className="hint">
        What the incident&apos;s timeline shows for what you do in the cockpit: roles, checklist
        ticks, timers, decisions.
      </p>
      <div className="inline-field">
        <input
          value={draft}
          maxLength={200}
          onChange={(e) => {
            setDraft(e.target.value);
            setSaved(false);
          }}
          aria-label="Your name"
          data-testid="actor-name"
        />
        <button type="submit">Save</button>
        {saved && <span className="ok-text">Saved.</span>}
      </div>
    </form>
  );
}

function Severities() {
  const severities = useQuery({ queryKey: ["severities"], queryFn: cockpitApi.severities });
  const accounts = useQuery({ queryKey: ["accounts"], queryFn: api.listAccounts });
  const remote = (accounts.data ?? []).filter((a) => a.kind !== "local");
  return (
    <section className="card" data-testid="severity-settings">
      <h2>Severities</h2>
      <p className="hint">
        What each severity means and its response targets, in minutes. The cockpit schedules
        stakeholder-update reminders from them.
      </p>
      {severities.isError && (
        <ErrorBox error={severities.error} title="Could not read the severities" />
      )}
      {(severities.data ?? []).map((s) => (
        <SeverityForm key={`${s.level}/${JSON.stringify(s)}`} severity={s} />
      ))}
      {remote.map((a) => (
        <Mapping key={a.id} account={a} />
      ))}
    </section>
  );
}

function SeverityForm({ severity }: { severity: Severity }) {
  const queryClient = useQueryClient();
  const [meaning, setMeaning] = useState(severity.meaning);
  const [ack, setAck] = useState(String(severity.ack_minutes));
  const [first, setFirst] = useState(String(severity.first_update_minutes));
  const [every, setEvery] = useState(String(severity.update_every_minutes));
  const save = useMutation({
    mutationFn: cockpitApi.setSeverity,
    onSettled: () => void queryClient.invalidateQueries(),
  });
  const targets = [parseMinutes(ack), parseMinutes(first), parseMinutes(every)];
  const valid = meaning.trim() !== "" && targets.every((t) => t !== null);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const [a, f, e] = targets;
    if (!valid || a == null || f == null || e == null) return;
    save.mutate({
      level: severity.level,
      meaning: meaning.trim(),
      ack_minutes: a,
      first_update_minutes: f,
      update_every_minutes: e,
    });
  };
  const minutes = (label: string, value: string, set: (v: string) => void) => (
    <label className="minutes-field">
      {label}
      <input value={value} inputMode="numeric" onChange={(e) => set(e.target.value)} />
    </label>
  );
  return (
    <form className="severity-form" onSubmit={submit} data-testid={`severity-${severity.level}`}>
      <h3>SEV-{severity.level}</h3>
      <textarea
        rows={2}
        value={meaning}
        maxLength={500}
        onChange={(e) => setMeaning(e.target.value)}
        aria-label={`What SEV-${severity.level} means`}
      />
      <div className="inline-field">
        {minutes("Acknowledge within", ack, setAck)}
        {minutes("First update within", first, setFirst)}
        {minutes("Update every", every, setEvery)}
        <button type="submit" disabled={!valid || save.isPending}>
          Save SEV-{severity.level}
        </button>
      </div>
      {!valid && <p className="error-text">A meaning and targets of 1 to 10080 minutes.</p>}
      {save.isError && <ErrorBox error={save.error} title="Could not save the severity" />}
    </form>
  );
}

/** How SEV-1..4 map onto one account's urgency and priority. */
function Mapping({ account }: { account: Account }) {
  const queryClient = useQueryClient();
  const mapping = useQuery({
    queryKey: ["severity-mapping", account.id],
    queryFn: () => cockpitApi.severityMapping(account.id),
  });
  const priorities = useQuery({
    queryKey: ["priorities", account.id],
    queryFn: () => api.listPriorities(account.id),
  });
  const save = useMutation({
    mutationFn: cockpitApi.setSeverityMapping,
    onSettled: () => void queryClient.invalidateQueries(),
  });
  const change = (m: SeverityMapping, fields: Partial<SeverityMapping>) =>
    save.mutate({ ...m, ...fields });
  return (
    <div className="severity-mapping" data-testid="severity-mapping">
      <h3>
        {plain(account.name)} <span className="muted">· {account.kind}</span>
      </h3>
      {mapping.isError && <ErrorBox error={mapping.error} title="Could not read the mapping" />}
      <table>
        <tbody>
          {(mapping.data ?? []).map((m) => (
            <tr key={m.level}>
              <th>SEV-{m.level}</th>
              <td>
                <select
                  value={m.urgency}
                  onChange={(e) => change(m, { urgency: e.target.value as Urgency })}
                  aria-label={`Urgency for SEV-${m.level}`}
                >
                  <option value="high">high urgency</option>
                  <option value="low">low urgency</option>
                </select>
              </td>
              <td>
                <select
                  value={m.priority ?? ""}
                  onChange={(e) => change(m, { priority: e.target.value || null })}
                  aria-label={`Priority for SEV-${m.level}`}
                >
                  <option value="">no priority</option>
                  {(priorities.data ?? []).map((p) => (
                    <option key={p.provider_id} value={p.name}>
                      {plain(p.name)}
                    </option>
                  ))}
                </select>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {save.isError && <ErrorBox error={save.error} title="Could not save the mapping" />}
    </div>
  );
}

/** Each severity's checklist as TOML: copy it out, paste an edited one in, or reset it. */
function Checklists() {
  const [level, setLevel] = useState(1);
  return (
    <section className="card" data-testid="checklist-settings">
      <h2>Checklists</h2>
      <p className="hint">
        The steps copied onto an incident when its command starts, one file per severity. Copy one
        out, edit it, paste it back; a file with a mistake changes nothing.
      </p>
      <label className="inline-field">
        Severity
        <select value={level} onChange={(e) => setLevel(Number(e.target.value))}>
          {[1, 2, 3, 4].map((l) => (
            <option key={l} value={l}>
              SEV-{l}
            </option>
          ))}
        </select>
      </label>
      <ChecklistText key={level} level={level} />
    </section>
  );
}

function ChecklistText({ level }: { level: number }) {
  const queryClient = useQueryClient();
  const exported = useQuery({
    queryKey: ["checklist-toml", level],
    queryFn: () => cockpitApi.exportChecklist(level),
  });
  const [draft, setDraft] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const text = draft ?? exported.data ?? "";
  const done = { onSuccess: () => setDraft(null) };
  const importIt = useMutation({
    mutationFn: (source: string) => cockpitApi.importChecklist(level, source),
    onSettled: () => void queryClient.invalidateQueries(),
  });
  const reset = useMutation({
    mutationFn: () => cockpitApi.resetChecklist(level),
    onSettled: () => void queryClient.invalidateQueries(),
  });
  const copy = async () => {
    setCopied(await copyToClipboard(text));
    window.setTimeout(() => setCopied(false), 2000);
  };
  return (
    <div className="checklist-text">
      {exported.isError && <ErrorBox error={exported.error} title="Could not read the checklist" />}
      <textarea
        rows={14}
        value={text}
        spellCheck={false}
        onChange={(e) => setDraft(e.target.value)}
        aria-label={`SEV-${level} checklist as TOML`}
        data-testid="checklist-toml"
      />
      <div className="form-actions left">
        <button type="button" onClick={() => void copy()}>
          {copied ? "Copied" : "Copy TOML"}
        </button>
        <button
          type="button"
          className="primary"
          disabled={draft === null || importIt.isPending}
          onClick={() => importIt.mutate(text, done)}
        >
          Use this checklist
        </button>
        <button
          type="button"
          disabled={reset.isPending}
          onClick={() => reset.mutate(undefined, done)}
        >
          Reset to the default
        </button>
      </div>
      {importIt.isSuccess && draft === null && <p className="ok-text">Checklist saved.</p>}
      {importIt.isError && (
        <ErrorBox error={importIt.error} title="The checklist was not changed" />
      )}
      {reset.isError && <ErrorBox error={reset.error} title="Could not reset the checklist" />}
    </div>
  );
}
