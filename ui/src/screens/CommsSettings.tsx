// Settings for communicating: the Statuspage pages to publish to (their keys go to the OS
// keychain and never come back) and the stakeholder-update templates as TOML.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useState } from "react";

import { api } from "../api";
import type { Audience } from "../bindings/Audience";
import type { StatusPage } from "../bindings/StatusPage";
import { EMPTY_PAGE, type PageInput, pageProblems, toNewStatusPage } from "../communicate";
import { Empty, ErrorBox } from "../components";
import { plain } from "../format";
import "./communicate.css";

export function CommsSettings() {
  return (
    <>
      <StatusPages />
      <UpdateTemplates />
    </>
  );
}

function StatusPages() {
  const pages = useQuery({ queryKey: ["status-pages"], queryFn: api.listStatusPages });
  return (
    <section className="card status-pages" data-testid="status-pages">
      <h2>Status pages</h2>
      <p className="hint">
        Atlassian Statuspage pages an incident can be published on, from its Communicate panel.
      </p>
      {pages.isError && <ErrorBox error={pages.error} title="Could not read status pages" />}
      {pages.data?.length === 0 && <Empty>No status page yet.</Empty>}
      <ul className="status-page-list" data-testid="status-page-list">
        {(pages.data ?? []).map((page) => (
          <PageRow key={page.id} page={page} />
        ))}
      </ul>
      <AddStatusPage />
    </section>
  );
}

/** Where a page's key is, never the key. */
function keyWhere(page: StatusPage): string {
  switch (page.key.kind) {
    case "keychain":
      return "key in the OS keychain";
    case "env":
      return `key from $${page.key.var}`;
    case "none":
      return "no key";
  }
}

function PageRow({ page }: { page: StatusPage }) {
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const remove = useMutation({
    mutationFn: () => api.removeStatusPage(page.id),
    onSettled: () => void queryClient.invalidateQueries(),
  });
  return (
    <li data-testid="status-page-row">
      <span className="grow">
        <strong>{plain(page.name)}</strong>{" "}
        <code className="muted">
          {plain(page.api_url)} · {plain(page.page_id)}
        </code>{" "}
        <span className="muted">· {keyWhere(page)}</span>
      </span>
      {confirming ? (
        <>
          <span>Remove it and its links?</span>
          <button
            type="button"
            disabled={remove.isPending}
            onClick={() => remove.mutate()}
            data-testid="status-page-remove-confirm"
          >
            Remove
          </button>
          <button type="button" onClick={() => setConfirming(false)}>
            Keep
          </button>
        </>
      ) : (
        <button type="button" onClick={() => setConfirming(true)} data-testid="status-page-remove">
          Remove…
        </button>
      )}
      {remove.isError && <ErrorBox error={remove.error} title="Could not remove the page" />}
    </li>
  );
}

function AddStatusPage() {
  const queryClient = useQueryClient();
  const [input, setInput] = useState<PageInput>(EMPTY_PAGE);
  const [tried, setTried] = useState(false);
  const add = useMutation({
    mutationFn: (i: PageInput) => api.addStatusPage(toNewStatusPage(i), i.key),
    onSuccess: () => {
      setInput(EMPTY_PAGE);
      setTried(false);
      void queryClient.invalidateQueries();
    },
  });
  const problems = pageProblems(input);
  const set = (field: keyof PageInput) => (e: { target: { value: string } }) =>
    setInput({ ...input, [field]: e.target.value });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTried(true);
    if (problems.length === 0) add.mutate(input);
  };

  return (
    <form className="status-pages-form" onSubmit={submit} data-testid="add-status-page" noValidate>
      <h3>Add a status page</h3>
      <label>
        Name
        <input value={input.name} onChange={set("name")} data-testid="status-page-name" />
      </label>
      <label>
        API URL (such as https://api.statuspage.io/v1; there is no default)
        <input
          type="url"
          value={input.apiUrl}
          onChange={set("apiUrl")}
          data-testid="status-page-url"
        />
      </label>
      <label>
        Page id
        <input value={input.pageId} onChange={set("pageId")} data-testid="status-page-id" />
      </label>
      <label>
        API key (stored in the OS keychain, never shown again)
        <input
          type="password"
          autoComplete="off"
          value={input.key}
          onChange={set("key")}
          data-testid="status-page-key"
        />
      </label>
      {tried && problems.length > 0 && (
        <ul className="problems error-text" data-testid="status-page-problems">
          {problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
      {add.isError && <ErrorBox error={add.error} title="Could not add the page" />}
      {add.isSuccess && <p className="ok-text">Added.</p>}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={add.isPending}>
          Add status page
        </button>
      </div>
    </form>
  );
}

/** An audience's template as its TOML file: edit, save (checked by the core) or reset. */
function UpdateTemplates() {
  const [audience, setAudience] = useState<Audience>("internal");
  const queryClient = useQueryClient();
  const exported = useQuery({
    queryKey: ["update-template", audience],
    queryFn: () => api.exportUpdateTemplate(audience),
  });
  const [source, setSource] = useState<string | null>(null);
  useEffect(() => setSource(null), [audience]);
  const done = () => {
    setSource(null);
    void queryClient.invalidateQueries();
  };
  const save = useMutation({
    mutationFn: (text: string) => api.importUpdateTemplate(audience, text),
    onSuccess: done,
  });
  const reset = useMutation({
    mutationFn: () => api.resetUpdateTemplate(audience),
    onSuccess: done,
  });
  const text = source ?? exported.data ?? "";

  return (
    <section className="card update-template" data-testid="update-templates">
      <h2>Update templates</h2>
      <p className="hint">
        Placeholders: {"{{title}}"}, {"{{incident}}"}, {"{{severity}}"}, {"{{severity_meaning}}"},
        {" {{impact}}"}, {"{{status}}"}, {"{{actions}}"}, {"{{next_update}}"}, {"{{commander}}"}.
      </p>
      <label>
        Audience
        <select
          value={audience}
          onChange={(e) => setAudience(e.target.value as Audience)}
          data-testid="template-audience"
        >
          <option value="internal">Internal</option>
          <option value="customers">Customers</option>
        </select>
      </label>
      {exported.isError && <ErrorBox error={exported.error} title="Could not read the template" />}
      <textarea
        rows={12}
        spellCheck={false}
        value={text}
        onChange={(e) => setSource(e.target.value)}
        aria-label="Template (TOML)"
        data-testid="template-source"
      />
      {save.isError && <ErrorBox error={save.error} title="Could not save the template" />}
      {reset.isError && <ErrorBox error={reset.error} title="Could not reset the template" />}
      <div className="form-actions">
        <button
          type="button"
          disabled={reset.isPending}
          onClick={() => reset.mutate()}
          data-testid="template-reset"
        >
          Reset to shipped
        </button>
        <button
          type="button"
          className="primary"
          disabled={source === null || save.isPending}
          onClick={() => source !== null && save.mutate(source)}
          data-testid="template-save"
        >
          Save
        </button>
      </div>
    </section>
  );
}
