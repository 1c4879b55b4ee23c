// The Communicate panel's status-page section: choose a page, phase, impact and affected
// components, preview exactly what the page will say, then queue that through the outbox.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { api, type Id } from "../api";
import type { ComponentStatus } from "../bindings/ComponentStatus";
import type { Impact } from "../bindings/Impact";
import type { Incident } from "../bindings/Incident";
import type { StatusPage } from "../bindings/StatusPage";
import type { StatusPhase } from "../bindings/StatusPhase";
import type { StatusPreview } from "../bindings/StatusPreview";
import type { StatusRequest } from "../bindings/StatusRequest";
import {
  chosenComponents,
  COMPONENT_STATUSES,
  type ComponentChoice,
  componentRows,
  currentStatus,
  type FieldsInput,
  IMPACTS,
  isUnderway,
  PHASES,
  publicationState,
  statusRequest,
  statusWords,
} from "../communicate";
import { Empty, ErrorBox } from "../components";
import { formatRelative, formatTime, plain } from "../format";
import { useNow } from "../hooks";

export function StatuspagePublish({
  incident,
  fields,
}: {
  incident: Incident;
  fields: FieldsInput;
}) {
  const pages = useQuery({ queryKey: ["status-pages"], queryFn: api.listStatusPages });
  const [pageId, setPageId] = useState<Id | null>(null);

  let body;
  if (pages.isError) body = <ErrorBox error={pages.error} title="Could not read status pages" />;
  else if (pages.data === undefined) body = <p className="hint">Loading…</p>;
  else if (pages.data.length === 0)
    body = (
      <Empty testId="no-status-pages">
        No status page yet. Add one under Settings → Status pages.
      </Empty>
    );
  else {
    const page = pages.data.find((p) => p.id === pageId) ?? pages.data[0]!;
    body = (
      <>
        <label>
          Page
          <select
            value={page.id}
            onChange={(e) => setPageId(Number(e.target.value))}
            data-testid="statuspage-page"
          >
            {pages.data.map((p) => (
              <option key={p.id} value={p.id}>
                {plain(p.name)}
              </option>
            ))}
          </select>
        </label>
        {/* A new page starts a new form: choices for one page mean nothing on another. */}
        <PageForm key={page.id} incident={incident} page={page} fields={fields} />
      </>
    );
  }

  return (
    <section className="statuspage" aria-label="Status page" data-testid="statuspage">
      <h4>Status page</h4>
      <Links incident={incident} />
      {body}
    </section>
  );
}

/** Which Statuspage incident each page shows this incident as; later publications update it. */
function Links({ incident }: { incident: Incident }) {
  const links = useQuery({
    queryKey: ["status-links", incident.id],
    queryFn: () => api.statusLinks(incident.id),
  });
  if (!links.data || links.data.length === 0) return null;
  return (
    <ul className="status-links" data-testid="status-links">
      {links.data.map((l) => (
        <li key={l.page}>
          On {plain(l.page_name)} as <code>{plain(l.status_incident_id)}</code>
          {l.explicit ? " (linked by hand)" : ""}: publishing updates it.
        </li>
      ))}
    </ul>
  );
}

/** A preview and the request it was made for. */
interface Previewed {
  key: string;
  preview: StatusPreview;
  count: number;
}

function PageForm({
  incident,
  page,
  fields,
}: {
  incident: Incident;
  page: StatusPage;
  fields: FieldsInput;
}) {
  const [phase, setPhase] = useState<StatusPhase>("investigating");
  const [impact, setImpact] = useState<Impact>("minor");
  const [chosen, setChosen] = useState<ComponentChoice>({});
  const request = statusRequest(phase, impact, chosenComponents(page.components, chosen), fields);
  // The preview belongs to the request it was made for; any change makes it stale.
  const requestKey = JSON.stringify(request);
  const [previewed, setPreviewed] = useState<Previewed | null>(null);
  const current = previewed?.key === requestKey ? previewed.preview : null;

  const preview = useMutation({
    mutationFn: (asked: StatusRequest) => api.statuspagePreview(incident.id, page.id, asked),
    onSuccess: (preview, asked) => {
      const key = JSON.stringify(asked);
      setPreviewed((last) => ({ key, preview, count: (last?.count ?? 0) + 1 }));
    },
  });

  return (
    <div className="statuspage-form">
      <div className="statuspage-choices">
        <label>
          Phase
          <select
            value={phase}
            onChange={(e) => setPhase(e.target.value as StatusPhase)}
            data-testid="statuspage-phase"
          >
            {PHASES.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>
        <label>
          Impact
          <select
            value={impact}
            onChange={(e) => setImpact(e.target.value as Impact)}
            data-testid="statuspage-impact"
          >
            {IMPACTS.map((i) => (
              <option key={i} value={i}>
                {i}
              </option>
            ))}
          </select>
        </label>
      </div>
      <Components page={page} chosen={chosen} impact={impact} onChange={setChosen} />
      <p className="hint">
        The message is the customers update, from the fields above, with the phase&apos;s words as
        the status when none is given.
      </p>
      <div className="form-actions">
        <button
          type="button"
          disabled={preview.isPending}
          onClick={() => preview.mutate(request)}
          data-testid="statuspage-preview"
        >
          Preview
        </button>
      </div>
      {preview.isError && <ErrorBox error={preview.error} title="Could not preview" />}
      {previewed !== null && current === null && (
        <p className="hint" data-testid="statuspage-stale">
          Changed since the preview: preview again to publish.
        </p>
      )}
      {current !== null && (
        // Each preview gets a fresh Publish: publishing one says nothing about the next.
        <Preview key={previewed?.count} incident={incident} page={page} preview={current} />
      )}
    </div>
  );
}

/** The page's components as last read, to tick as affected and give a status each. */
function Components({
  page,
  chosen,
  impact,
  onChange,
}: {
  page: StatusPage;
  chosen: ComponentChoice;
  impact: Impact;
  onChange: (chosen: ComponentChoice) => void;
}) {
  const now = useNow();
  const queryClient = useQueryClient();
  const read = useMutation({
    mutationFn: () => api.statuspageComponents(page.id),
    onSettled: () => void queryClient.invalidateQueries({ queryKey: ["status-pages"] }),
  });
  const rows = componentRows(page.components, chosen, impact);
  const toggle = (id: string, status: ComponentStatus, affected: boolean) => {
    const next = { ...chosen };
    if (affected) next[id] = status;
    else delete next[id];
    onChange(next);
  };

  return (
    <fieldset className="components" data-testid="statuspage-components">
      <legend>Affected components</legend>
      <p className="hint">
        {page.components_read_at === null
          ? "Not read from the page yet."
          : `Read from the page ${formatRelative(page.components_read_at, now)}.`}{" "}
        <button
          type="button"
          disabled={read.isPending}
          onClick={() => read.mutate()}
          data-testid="statuspage-read-components"
        >
          {read.isPending ? "Reading…" : "Read again"}
        </button>
      </p>
      {read.isError && <ErrorBox error={read.error} title="Could not read the components" />}
      {rows.length === 0 && <p className="hint">No components known for this page.</p>}
      <ul className="component-rows">
        {rows.map(({ component, affected, status }) => (
          <li key={component.id} data-testid="component-row">
            <label className="component-pick">
              <input
                type="checkbox"
                checked={affected}
                onChange={(e) => toggle(component.id, status, e.target.checked)}
              />
              {plain(component.name)}
              <span className="muted"> · now {currentStatus(component)}</span>
            </label>
            <select
              value={status}
              disabled={!affected}
              aria-label={`Status of ${component.name}`}
              onChange={(e) => toggle(component.id, e.target.value as ComponentStatus, true)}
            >
              {COMPONENT_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {statusWords(s)}
                </option>
              ))}
            </select>
          </li>
        ))}
      </ul>
    </fieldset>
  );
}

/** Exactly the core's preview, what would block it, and Publish while nothing does. */
function Preview({
  incident,
  page,
  preview,
}: {
  incident: Incident;
  page: StatusPage;
  preview: StatusPreview;
}) {
  const queryClient = useQueryClient();
  const publish = useMutation({
    mutationFn: () => api.statuspagePublish(incident.id, page.id, preview),
    onSettled: () => void queryClient.invalidateQueries(),
  });
  const blocked = preview.problems.length > 0;

  return (
    <div className="statuspage-preview" data-testid="statuspage-preview-result">
      <dl className="facts">
        <dt>Title</dt>
        <dd data-testid="preview-title">{plain(preview.title)}</dd>
        <dt>Phase</dt>
        <dd>{preview.phase}</dd>
        <dt>Impact</dt>
        <dd>{preview.impact}</dd>
        <dt>Components</dt>
        <dd>
          {preview.components.length === 0
            ? "none changed"
            : preview.components.map((c) => (
                <div key={c.id} className={c.known ? undefined : "error-text"}>
                  {plain(c.name)}: {statusWords(c.status)}
                </div>
              ))}
        </dd>
      </dl>
      <pre className="draft-body" data-testid="preview-body">
        {plain(preview.body)}
      </pre>
      {blocked && (
        <ul className="problems error-text" role="alert" data-testid="preview-problems">
          {preview.problems.map((p, i) => (
            <li key={i}>{plain(p)}</li>
          ))}
        </ul>
      )}
      <div className="form-actions">
        <button
          type="button"
          className="primary"
          disabled={blocked || publish.isPending || publish.isSuccess}
          onClick={() => publish.mutate()}
          data-testid="statuspage-publish"
        >
          Publish to {plain(page.name)}
        </button>
      </div>
      {publish.isError && <ErrorBox error={publish.error} title="Could not publish" />}
      {publish.isSuccess && <Publication id={publish.data.id} />}
    </div>
  );
}

/** Where the queued publication is, followed until it is sent or refused. */
function Publication({ id }: { id: Id }) {
  const entry = useQuery({
    queryKey: ["outbox-entry", id],
    queryFn: () => api.outboxEntry(id),
    refetchInterval: (query) => (query.state.data && !isUnderway(query.state.data) ? false : 2000),
  });
  if (entry.isError) return <ErrorBox error={entry.error} title="Could not follow it" />;
  if (entry.data === undefined) return <p className="hint">Queued.</p>;
  const { label, failed } = publicationState(entry.data);
  return (
    <p
      className={failed ? "error-text" : "ok-text"}
      data-testid="statuspage-state"
      data-state={entry.data.state}
    >
      {plain(label)}
      {entry.data.finished_at && ` (${formatTime(entry.data.finished_at)})`}
    </p>
  );
}
