// Postmortems: the list, and one postmortem's editor with autosave, language hints, action
// items, review status, history and export. Everything works with no network at all.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useRef, useState } from "react";

import { api, type Id, toCommandError } from "../api";
import { Autosaver, type SaveState } from "../autosave";
import type { ActionItem } from "../bindings/ActionItem";
import type { ActionItemInput } from "../bindings/ActionItemInput";
import type { ActionItemType } from "../bindings/ActionItemType";
import type { Postmortem } from "../bindings/Postmortem";
import { Empty, ErrorBox } from "../components";
import { formatTime, plain, severityLabel } from "../format";
import { useNow } from "../hooks";
import {
  cleanItem,
  EMPTY_ITEM,
  ITEM_TYPES,
  nextStatuses,
  reviewDueText,
  saveStateText,
  STATUS_LABELS,
  statusVerb,
  toInput,
} from "../postmortem";
import { MarkdownEditor } from "./MarkdownEditor";

export function Postmortems({
  selected,
  onSelect,
}: {
  selected: Id | null;
  onSelect: (id: Id | null) => void;
}) {
  if (selected !== null) {
    return <PostmortemEditor key={selected} id={selected} onBack={() => onSelect(null)} />;
  }
  return <PostmortemList onOpen={onSelect} />;
}

function PostmortemList({ onOpen }: { onOpen: (id: Id) => void }) {
  const list = useQuery({ queryKey: ["postmortems"], queryFn: api.listPostmortems });
  const now = useNow(60_000);

  return (
    <section className="postmortems" aria-label="Postmortems">
      <header className="pane-header">
        <h1>Postmortems</h1>
      </header>
      <p className="hint">Start one from an incident: open it and choose “Start postmortem”.</p>
      {list.isError && <ErrorBox error={list.error} title="Could not read postmortems" />}
      {list.data?.length === 0 && <Empty testId="postmortems-empty">No postmortems yet.</Empty>}
      <ul className="pm-list" data-testid="postmortem-list">
        {list.data?.map((pm) => (
          <li key={pm.id}>
            <button type="button" className="row-button" onClick={() => onOpen(pm.id)}>
              <span className="row-title">{plain(pm.title)}</span>
              <span className="row-meta">
                <span className={`badge pm-${pm.status}`}>{STATUS_LABELS[pm.status]}</span>
                {severityLabel(pm.severity) && (
                  <span className="badge">{severityLabel(pm.severity)}</span>
                )}
                <span>{reviewDueText(pm.review_due, pm.overdue, pm.status, now)}</span>
                <span>{pm.open_action_items} open action item(s)</span>
                <span className="row-age">edited {formatTime(pm.updated_at)}</span>
              </span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

function PostmortemEditor({ id, onBack }: { id: Id; onBack: () => void }) {
  // The editor owns the text once open: no refetch may replace what the person is typing.
  const pm = useQuery({
    queryKey: ["postmortem", id],
    queryFn: () => api.getPostmortem(id),
    staleTime: Infinity,
    refetchOnWindowFocus: false,
  });

  if (pm.isPending) return <p className="hint">Loading…</p>;
  if (pm.isError) return <ErrorBox error={pm.error} title="Could not open the postmortem" />;
  return <Editor initial={pm.data} onBack={onBack} />;
}

function Editor({ initial, onBack }: { initial: Postmortem; onBack: () => void }) {
  const queryClient = useQueryClient();
  const now = useNow(60_000);
  const [pm, setPm] = useState(initial);
  const [saveState, setSaveState] = useState<SaveState>("saved");
  const [saveError, setSaveError] = useState<unknown>(null);
  // Bumped when the text is replaced from outside the editor (a restored version).
  const [generation, setGeneration] = useState(0);
  const [savedRevision, setSavedRevision] = useState(initial.revision);

  const saver = useRef<Autosaver | null>(null);
  if (saver.current === null) {
    saver.current = new Autosaver(
      async (text, revision) => {
        const out = await api.savePostmortem(initial.id, text, revision);
        setSavedRevision(out.revision);
        return out.revision;
      },
      initial.revision,
      (state, error) => {
        setSaveState(state);
        setSaveError(error);
      },
      (error) => toCommandError(error).code === "conflict",
    );
  }

  // Leaving the editor saves what is pending; so does hiding or closing the window.
  useEffect(() => {
    const current = saver.current;
    const flush = () => void current?.flush();
    window.addEventListener("pagehide", flush);
    document.addEventListener("visibilitychange", flush);
    return () => {
      window.removeEventListener("pagehide", flush);
      document.removeEventListener("visibilitychange", flush);
      flush();
      void queryClient.invalidateQueries({ queryKey: ["postmortems"] });
    };
  }, [queryClient]);

  /** Runs a change that bumps the revision, after saving what is typed. */
  const afterFlush = async <T,>(change: (revision: number) => Promise<T>): Promise<T> => {
    const s = saver.current!;
    await s.flush();
    const out = await change(s.currentRevision);
    const fresh = await api.getPostmortem(initial.id);
    s.resume(fresh.revision);
    setSavedRevision(fresh.revision);
    setPm(fresh);
    queryClient.setQueryData(["postmortem", initial.id], fresh);
    return out;
  };

  const reload = async () => {
    const fresh = await api.getPostmortem(initial.id);
    saver.current!.resume(fresh.revision);
    setPm(fresh);
    setGeneration((g) => g + 1);
  };

  const due = reviewDueText(pm.review_due, pm.overdue, pm.status, now);
  return (
    <article className="pm-editor" data-testid="postmortem-editor">
      <header className="detail-header no-print">
        <button type="button" className="close" onClick={onBack} aria-label="Back to postmortems">
          ←
        </button>
        <TitleField
          pm={pm}
          rename={(title) => afterFlush((r) => api.renamePostmortem(pm.id, title, r))}
        />
        <span className={`badge pm-${pm.status}`} data-testid="pm-status">
          {STATUS_LABELS[pm.status]}
        </span>
        {due && <span className={pm.overdue ? "badge overdue" : "hint"}>{due}</span>}
        <span className="save-state" data-testid="save-state" data-state={saveState}>
          {saveStateText(saveState, null)}
        </span>
      </header>
      {saveState === "conflict" && (
        <div className="error-box no-print" role="alert">
          <p>This postmortem was changed in another window since you opened it.</p>
          <button type="button" onClick={() => void reload()}>
            Reload it (your unsaved typing here is lost)
          </button>
        </div>
      )}
      {saveState === "error" && <ErrorBox error={saveError} title="Autosave failed; retrying" />}
      <StatusBar
        pm={pm}
        change={(status) => afterFlush(() => api.setPostmortemStatus(pm.id, status))}
      />
      <MarkdownEditor
        key={generation}
        initial={pm.body}
        label="Postmortem text"
        onChange={(text) => saver.current!.change(text)}
      />
      <Hints id={pm.id} revision={savedRevision} />
      <ActionItems id={pm.id} />
      <Output id={pm.id} />
      <Versions
        id={pm.id}
        revision={savedRevision}
        restore={async (version) => {
          await afterFlush((r) => api.restorePostmortemVersion(pm.id, version, r));
          setGeneration((g) => g + 1);
        }}
      />
    </article>
  );
}

function TitleField({
  pm,
  rename,
}: {
  pm: Postmortem;
  rename: (title: string) => Promise<unknown>;
}) {
  const [title, setTitle] = useState(pm.title);
  const [error, setError] = useState<unknown>(null);
  const commit = async () => {
    if (title.trim() === pm.title || title.trim() === "") return setTitle(pm.title);
    try {
      await rename(title.trim());
      setError(null);
    } catch (e) {
      setError(e);
    }
  };
  return (
    <>
      <input
        className="pm-title"
        aria-label="Postmortem title"
        data-testid="pm-title"
        value={title}
        onChange={(e) => setTitle(e.target.value)}
        onBlur={() => void commit()}
      />
      {error !== null && <ErrorBox error={error} title="Could not rename" />}
    </>
  );
}

function StatusBar({
  pm,
  change,
}: {
  pm: Postmortem;
  change: (s: Postmortem["status"]) => Promise<unknown>;
}) {
  const move = useMutation({ mutationFn: change });
  return (
    <div className="actions no-print" data-testid="pm-workflow">
      {nextStatuses(pm.status).map((next) => (
        <button
          key={next}
          type="button"
          disabled={move.isPending}
          onClick={() => move.mutate(next)}
          data-testid={`pm-to-${next}`}
        >
          {statusVerb(pm.status, next)}
        </button>
      ))}
      {move.isError && <ErrorBox error={move.error} title="Could not change the status" />}
    </div>
  );
}

/** Blameless-language hints on the saved text, each with why and a way to say it instead. */
function Hints({ id, revision }: { id: Id; revision: number }) {
  const queryClient = useQueryClient();
  const hints = useQuery({
    queryKey: ["pm-hints", id, revision],
    queryFn: () => api.postmortemHints(id),
    placeholderData: (previous) => previous,
  });
  const dismiss = useMutation({
    mutationFn: (fingerprint: string) => api.dismissPostmortemHint(id, fingerprint),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["pm-hints", id] }),
  });
  if (!hints.data || hints.data.length === 0) return null;

  return (
    <section className="pm-hints no-print" aria-label="Language hints" data-testid="pm-hints">
      <h3>Blameless language ({hints.data.length})</h3>
      <ul>
        {hints.data.map((h) => (
          <li key={`${h.fingerprint}-${h.start}`} data-testid="pm-hint" data-rule={h.rule}>
            <p>
              Line {h.line}: “<mark>{plain(h.matched)}</mark>” — {h.why}
            </p>
            <p className="hint">Try: {h.suggestion}</p>
            <button type="button" onClick={() => dismiss.mutate(h.fingerprint)}>
              Dismiss
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

function ActionItems({ id }: { id: Id }) {
  const queryClient = useQueryClient();
  const items = useQuery({ queryKey: ["pm-items", id], queryFn: () => api.listActionItems(id) });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["pm-items", id] });
  const edit = useMutation({
    mutationFn: ({ item, input }: { item: ActionItem; input: ActionItemInput }) =>
      api.editActionItem(item.id, input),
    onSuccess: refresh,
  });
  const remove = useMutation({
    mutationFn: (item: Id) => api.removeActionItem(item),
    onSuccess: refresh,
  });

  return (
    <section className="pm-items" aria-label="Action items" data-testid="pm-items">
      <h3>Action items</h3>
      {items.isError && <ErrorBox error={items.error} title="Could not read action items" />}
      <table>
        <tbody>
          {items.data?.map((item) => (
            <tr key={item.id} data-testid="pm-item">
              <td>
                <input
                  type="checkbox"
                  aria-label={`Done: ${item.description}`}
                  checked={item.done}
                  onChange={(e) =>
                    edit.mutate({ item, input: { ...toInput(item), done: e.target.checked } })
                  }
                />
              </td>
              <td>{plain(item.description)}</td>
              <td>{item.kind ? ITEM_TYPES.find((t) => t.value === item.kind)?.label : "—"}</td>
              <td>{item.owner ? plain(item.owner) : "no owner"}</td>
              <td>{item.due_on ?? "no due date"}</td>
              <td>{item.tracker_url ? <code>{plain(item.tracker_url)}</code> : ""}</td>
              <td className="no-print">
                <button type="button" onClick={() => remove.mutate(item.id)} aria-label="Remove">
                  ×
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {(edit.isError || remove.isError) && (
        <ErrorBox error={edit.error ?? remove.error} title="Could not change the action item" />
      )}
      <NewItem id={id} onAdded={refresh} />
    </section>
  );
}

function NewItem({ id, onAdded }: { id: Id; onAdded: () => void }) {
  const [input, setInput] = useState<ActionItemInput>(EMPTY_ITEM);
  const [problems, setProblems] = useState<string[]>([]);
  const add = useMutation({
    mutationFn: (item: ActionItemInput) => api.addActionItem(id, item),
    onSuccess: () => {
      setInput(EMPTY_ITEM);
      onAdded();
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const { item, problems } = cleanItem(input);
    setProblems(problems);
    if (problems.length === 0) add.mutate(item);
  };
  const set = (field: keyof ActionItemInput) => (value: string) =>
    setInput((i) => ({ ...i, [field]: value === "" ? null : value }));

  return (
    <form className="pm-new-item no-print" onSubmit={submit} aria-label="New action item">
      <input
        aria-label="What is to be done"
        placeholder="What is to be done"
        value={input.description}
        onChange={(e) => setInput((i) => ({ ...i, description: e.target.value }))}
      />
      <select
        aria-label="Type"
        value={input.kind ?? ""}
        onChange={(e) =>
          setInput((i) => ({ ...i, kind: (e.target.value || null) as ActionItemType | null }))
        }
      >
        <option value="">Type…</option>
        {ITEM_TYPES.map((t) => (
          <option key={t.value} value={t.value}>
            {t.label}
          </option>
        ))}
      </select>
      <input
        aria-label="Owner"
        placeholder="Owner"
        value={input.owner ?? ""}
        onChange={(e) => set("owner")(e.target.value)}
      />
      <input
        aria-label="Due date"
        type="date"
        value={input.due_on ?? ""}
        onChange={(e) => set("due_on")(e.target.value)}
      />
      <input
        aria-label="Tracker link"
        placeholder="https://tracker/…"
        value={input.tracker_url ?? ""}
        onChange={(e) => set("tracker_url")(e.target.value)}
      />
      <button type="submit" disabled={add.isPending}>
        Add
      </button>
      {problems.map((p) => (
        <p key={p} className="problem">
          {p}
        </p>
      ))}
      {add.isError && <ErrorBox error={add.error} title="Could not add the action item" />}
    </form>
  );
}

/** Export files, print to PDF, and the summary note back to the incidents. */
function Output({ id }: { id: Id }) {
  const [said, setSaid] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: (format: "md" | "html") => api.savePostmortemExport(id, format),
    onSuccess: (path) => setSaid(`Saved to ${path}`),
  });
  const print = useMutation({ mutationFn: api.printWindow });
  const publish = useMutation({
    mutationFn: () => api.publishPostmortem(id),
    onSuccess: (queued) =>
      setSaid(`Summary queued as a note on ${queued.length} incident(s); see the outbox.`),
  });
  return (
    <section className="actions no-print" aria-label="Export">
      <button type="button" onClick={() => save.mutate("md")} data-testid="pm-export-md">
        Save as Markdown
      </button>
      <button type="button" onClick={() => save.mutate("html")} data-testid="pm-export-html">
        Save as HTML
      </button>
      <button type="button" onClick={() => print.mutate()}>
        Print or save as PDF
      </button>
      <button type="button" onClick={() => publish.mutate()} data-testid="pm-publish">
        Publish summary to the incident
      </button>
      {said && (
        <p className="hint" data-testid="pm-output-said">
          {said}
        </p>
      )}
      {(save.isError || publish.isError || print.isError) && (
        <ErrorBox
          error={save.error ?? publish.error ?? print.error}
          title="Could not export, print or publish"
        />
      )}
    </section>
  );
}

function Versions({
  id,
  revision,
  restore,
}: {
  id: Id;
  revision: number;
  restore: (version: Id) => Promise<void>;
}) {
  const [open, setOpen] = useState(false);
  const versions = useQuery({
    queryKey: ["pm-versions", id, revision],
    queryFn: () => api.postmortemVersions(id),
    enabled: open,
  });
  const keep = useMutation({
    mutationFn: () => api.keepPostmortemVersion(id),
    onSuccess: () => versions.refetch(),
  });
  const back = useMutation({ mutationFn: restore });

  return (
    <section className="pm-versions no-print" aria-label="History">
      <button type="button" onClick={() => setOpen((o) => !o)} aria-expanded={open}>
        History
      </button>
      {open && (
        <>
          <button type="button" onClick={() => keep.mutate()}>
            Keep this version
          </button>
          <ul>
            {versions.data?.map((v) => (
              <li key={v.id}>
                {formatTime(v.at)} · {v.reason} · {STATUS_LABELS[v.status]} · {v.body.length}{" "}
                characters{" "}
                <button type="button" disabled={back.isPending} onClick={() => back.mutate(v.id)}>
                  Restore
                </button>
              </li>
            ))}
          </ul>
          {(versions.isError || back.isError) && (
            <ErrorBox error={versions.error ?? back.error} title="History failed" />
          )}
        </>
      )}
    </section>
  );
}
