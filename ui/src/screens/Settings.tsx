// Settings: the configured accounts, forms to add PagerDuty or Alertmanager, the cockpit's
// severities and checklists, the app on this computer and its updates.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";

import { api } from "../api";
import type { NewAccount } from "../bindings/NewAccount";
import type { ProviderKind } from "../bindings/ProviderKind";
import { Empty, ErrorBox } from "../components";
import { CockpitSettings } from "./SettingsCockpit";
import { CommsSettings } from "./CommsSettings";
import { DesktopSettings } from "./DesktopSettings";
import { PagingSettings } from "./PagingSettings";
import { UpdateSettings } from "./UpdateSettings";

export function Settings() {
  const accounts = useQuery({ queryKey: ["accounts"], queryFn: api.listAccounts });

  return (
    <div className="page" data-testid="settings">
      <h1>Settings</h1>
      <section className="card">
        <h2>Accounts</h2>
        {accounts.isError && <ErrorBox error={accounts.error} title="Could not read accounts" />}
        {accounts.data?.length === 0 && <Empty>Only the local workspace so far.</Empty>}
        <ul className="account-list" data-testid="account-list">
          {(accounts.data ?? []).map((a) => (
            <li key={a.id}>
              <strong>{a.name}</strong> <span className="muted">· {a.kind}</span>
              {a.api_url && <code className="muted"> {a.api_url}</code>}
            </li>
          ))}
        </ul>
      </section>
      <AddAccount />
      <PagingSettings />
      <CockpitSettings />
      <CommsSettings />
      <DesktopSettings />
      <UpdateSettings />
    </div>
  );
}

/** The form's fields; which ones apply depends on the provider. */
interface Draft {
  kind: Exclude<ProviderKind, "local">;
  name: string;
  apiUrl: string;
  email: string;
  token: string;
}

const EMPTY: Draft = { kind: "pagerduty", name: "", apiUrl: "", email: "", token: "" };

/** Builds the core's request; only a PagerDuty token exists, and it goes to the keychain. */
function toNewAccount(draft: Draft): NewAccount {
  const blank = (s: string) => (s.trim() === "" ? null : s.trim());
  const pagerduty = draft.kind === "pagerduty";
  return {
    name: draft.name.trim(),
    kind: draft.kind,
    api_url: blank(draft.apiUrl),
    token: pagerduty ? { kind: "keychain" } : { kind: "none" },
    email: pagerduty ? blank(draft.email) : null,
  };
}

function AddAccount() {
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const add = useMutation({
    mutationFn: (d: Draft) =>
      api.addAccount(toNewAccount(d), d.kind === "pagerduty" ? d.token : null),
    onSuccess: () => {
      setDraft({ ...EMPTY, kind: draft.kind });
      void queryClient.invalidateQueries();
    },
  });
  const set = (field: keyof Draft) => (e: { target: { value: string } }) =>
    setDraft({ ...draft, [field]: e.target.value });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    add.mutate(draft);
  };
  const pagerduty = draft.kind === "pagerduty";

  return (
    <form className="card account-form" onSubmit={submit} data-testid="add-account">
      <h2>Add an account</h2>
      <fieldset className="kind-choice">
        <legend>Provider</legend>
        {(["pagerduty", "alertmanager"] as const).map((kind) => (
          <label key={kind}>
            <input
              type="radio"
              name="kind"
              value={kind}
              checked={draft.kind === kind}
              onChange={() => setDraft({ ...draft, kind })}
              data-testid={`kind-${kind}`}
            />
            {kind === "pagerduty" ? "PagerDuty" : "Alertmanager"}
          </label>
        ))}
      </fieldset>
      <label>
        Name
        <input required value={draft.name} onChange={set("name")} data-testid="account-name" />
      </label>
      <label>
        {pagerduty ? "API URL (optional, for EU or a proxy)" : "Alertmanager URL"}
        <input
          type="url"
          required={!pagerduty}
          value={draft.apiUrl}
          onChange={set("apiUrl")}
          data-testid="account-url"
        />
      </label>
      {pagerduty && (
        <>
          <label>
            Your PagerDuty email (needed with an account-level API key)
            <input type="email" value={draft.email} onChange={set("email")} />
          </label>
          <label>
            API token (stored in the OS keychain, never shown again)
            <input
              type="password"
              required
              autoComplete="off"
              value={draft.token}
              onChange={set("token")}
              data-testid="account-token"
            />
          </label>
        </>
      )}
      {add.isError && <ErrorBox error={add.error} title="Could not add the account" />}
      {add.isSuccess && <p className="ok-text">Added. The first sync starts in a moment.</p>}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={add.isPending}>
          Add account
        </button>
      </div>
    </form>
  );
}
