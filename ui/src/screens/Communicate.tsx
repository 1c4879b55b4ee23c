// An incident's Communicate panel: a stakeholder update drafted live from its audience's
// template, copied or published to the cockpit, and the incident published on a status page.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useDeferredValue, useState } from "react";

import { api, toCommandError } from "../api";
import type { Audience } from "../bindings/Audience";
import type { Incident } from "../bindings/Incident";
import type { PublishedUpdate } from "../bindings/PublishedUpdate";
import type { UpdateDraft } from "../bindings/UpdateDraft";
import { EMPTY_FIELDS, type FieldsInput, toUpdateFields } from "../communicate";
import { ErrorBox } from "../components";
import { formatRelative, formatTime, plain } from "../format";
import { useNow } from "../hooks";
import "./communicate.css";
import { CopyButton } from "./CopyButton";
import { StatuspagePublish } from "./StatuspagePublish";

/** A button that opens the panel in place, so the incident detail needs one line for it. */
export function CommunicateSection({ incident }: { incident: Incident }) {
  const [open, setOpen] = useState(false);
  if (!open) {
    return (
      <div className="communicate-open">
        <button type="button" onClick={() => setOpen(true)} data-testid="open-communicate">
          Communicate…
        </button>
      </div>
    );
  }
  return <Communicate incident={incident} onClose={() => setOpen(false)} />;
}

const AUDIENCES: { id: Audience; label: string }[] = [
  { id: "internal", label: "Internal" },
  { id: "customers", label: "Customers" },
];

export function Communicate({ incident, onClose }: { incident: Incident; onClose: () => void }) {
  const [audience, setAudience] = useState<Audience>("internal");
  const [fields, setFields] = useState<FieldsInput>(EMPTY_FIELDS);
  const set = (field: keyof FieldsInput) => (e: { target: { value: string } }) =>
    setFields({ ...fields, [field]: e.target.value });

  return (
    <section className="communicate card" aria-label="Communicate" data-testid="communicate">
      <header className="communicate-header">
        <h3>Communicate</h3>
        <button type="button" className="close" onClick={onClose} aria-label="Close Communicate">
          ×
        </button>
      </header>
      <fieldset className="kind-choice" data-testid="audience-choice">
        <legend>Audience</legend>
        {AUDIENCES.map((a) => (
          <label key={a.id}>
            <input
              type="radio"
              name={`audience-${incident.id}`}
              value={a.id}
              checked={audience === a.id}
              onChange={() => setAudience(a.id)}
              data-testid={`audience-${a.id}`}
            />
            {a.label}
          </label>
        ))}
      </fieldset>
      <div className="update-fields">
        <label>
          Impact: who is affected, and how
          <textarea
            rows={2}
            value={fields.impact}
            onChange={set("impact")}
            data-testid="update-impact"
          />
        </label>
        <label>
          Current status (blank: the incident's status in words)
          <textarea
            rows={2}
            value={fields.status}
            onChange={set("status")}
            data-testid="update-status"
          />
        </label>
        <label>
          What is being done
          <textarea
            rows={2}
            value={fields.actions}
            onChange={set("actions")}
            data-testid="update-actions"
          />
        </label>
      </div>
      <UpdateDraftView incident={incident} audience={audience} fields={fields} />
      <StatuspagePublish incident={incident} fields={fields} />
    </section>
  );
}

/** The draft, redrawn as the author types, with Copy and Publish. */
function UpdateDraftView({
  incident,
  audience,
  fields,
}: {
  incident: Incident;
  audience: Audience;
  fields: FieldsInput;
}) {
  // Typing stays responsive; the preview follows a moment later.
  const typed = useDeferredValue(fields);
  const draft = useQuery({
    queryKey: ["update-draft", incident.id, audience, typed],
    queryFn: () => api.draftUpdate(incident.id, audience, toUpdateFields(typed)),
    placeholderData: keepPreviousData,
  });
  const queryClient = useQueryClient();
  const publish = useMutation({
    mutationFn: () => api.publishUpdate(incident.id, audience, toUpdateFields(fields)),
    onSettled: () => void queryClient.invalidateQueries(),
  });

  if (draft.isError) return <ErrorBox error={draft.error} title="Could not draft the update" />;
  if (draft.data === undefined) return <p className="hint">Drafting…</p>;
  return (
    <div className="update-draft" data-testid="update-draft">
      <h4>The {audience} update</h4>
      <DraftText draft={draft.data} />
      <div className="form-actions">
        <CopyButton text={textOf(draft.data)} testId="copy-update" />
        <button
          type="button"
          className="primary"
          disabled={publish.isPending}
          onClick={() => publish.mutate()}
          data-testid="publish-update"
        >
          Publish update
        </button>
      </div>
      {publish.isError && <PublishError error={publish.error} />}
      {publish.isSuccess && <Published published={publish.data} />}
    </div>
  );
}

/** Subject and body, as the cockpit records them. */
function textOf(draft: UpdateDraft): string {
  return `${draft.subject}\n\n${draft.body}`;
}

/**
 * The draft as text nodes: even a Markdown template's output is shown as the characters it
 * is, never rendered, so neither the incident's title nor the author's words become markup.
 */
function DraftText({ draft }: { draft: UpdateDraft }) {
  return (
    <>
      <div className="draft-subject" data-testid="update-subject">
        {plain(draft.subject)}
      </div>
      <pre className="draft-body" data-testid="update-body">
        {plain(draft.body)}
      </pre>
      {draft.missing.length > 0 && (
        <p className="hint" data-testid="update-missing">
          Not said yet: {draft.missing.join(", ")}.
        </p>
      )}
      <p className="hint">
        {draft.format === "markdown"
          ? "Markdown: paste it where Markdown is rendered (chat, a ticket)."
          : "Plain text."}
      </p>
    </>
  );
}

function Published({ published }: { published: PublishedUpdate }) {
  const now = useNow();
  const next = published.draft.next_update_at;
  return (
    <p className="ok-text" data-testid="update-published">
      Published at {formatTime(published.note.at)}, on the timeline.{" "}
      {next === null
        ? "No further update is due."
        : `Next update due ${formatTime(next)} (${formatRelative(next, now)}).`}
    </p>
  );
}

/** An update is recorded on the cockpit: without one, say what to do rather than just fail. */
function PublishError({ error }: { error: unknown }) {
  const { code } = toCommandError(error);
  return (
    <>
      <ErrorBox error={error} title="Could not publish the update" />
      {code === "not_found" && (
        <p className="hint" data-testid="update-needs-cockpit">
          Publishing records the update on the incident&apos;s cockpit: start the cockpit first.
          Meanwhile, Copy gives you the text.
        </p>
      )}
    </>
  );
}
