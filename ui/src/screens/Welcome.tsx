// The first-launch welcome, a drill, and declaring an incident in the local workspace or at
// PagerDuty.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";

import { api, cockpitApi, type Id } from "../api";
import type { Declaration } from "../bindings/Declaration";
import type { Incident } from "../bindings/Incident";
import { ErrorBox } from "../components";
import { plain } from "../format";
import { declareProblem, MAX_TITLE_CHARS } from "../respond";

/** Declaring and drilling both add an incident, which every list must then show. */
function useCreate(onCreated: (id: Id) => void) {
  const queryClient = useQueryClient();
  const onSuccess = (incident: Incident) => {
    void queryClient.invalidateQueries();
    onCreated(incident.id);
  };
  const drill = useMutation({ mutationFn: api.startDrill, onSuccess });
  const declare = useMutation({
    mutationFn: ({ accountId, declaration }: { accountId: Id | null; declaration: Declaration }) =>
      api.declareIncident(accountId, declaration),
    onSuccess,
  });
  return { drill, declare };
}

/** Shown on first launch, when no paging account exists and nothing has happened yet. */
export function Welcome({ onCreated }: { onCreated: (id: Id) => void }) {
  return (
    <div className="welcome" data-testid="welcome">
      <h2>Welcome to Tocsin</h2>
      <p>
        No paging account is set up, so you are in the local workspace. It needs nothing else:
        practise with a drill, or declare an incident your team is handling right now.
      </p>
      <p>Connect PagerDuty or Alertmanager under Settings to see their incidents here.</p>
      <LocalActions onCreated={onCreated} prominent />
    </div>
  );
}

/** "Start a drill" and "Declare incident"; the form opens in place. */
export function LocalActions({
  onCreated,
  prominent = false,
}: {
  onCreated: (id: Id) => void;
  prominent?: boolean;
}) {
  const { drill, declare } = useCreate(onCreated);
  const [declaring, setDeclaring] = useState(false);
  const prefix = prominent ? "welcome" : "toolbar";

  return (
    <div className={prominent ? "local-actions prominent" : "local-actions"}>
      <button
        type="button"
        data-testid={`${prefix}-start-drill`}
        disabled={drill.isPending}
        onClick={() => drill.mutate()}
      >
        Start a drill
      </button>
      <button
        type="button"
        className="primary"
        data-testid={`${prefix}-declare`}
        onClick={() => setDeclaring(true)}
      >
        Declare incident
      </button>
      {declaring && (
        <DeclareForm
          pending={declare.isPending}
          onCancel={() => setDeclaring(false)}
          onSubmit={(accountId, declaration) =>
            declare.mutate({ accountId, declaration }, { onSuccess: () => setDeclaring(false) })
          }
        />
      )}
      {drill.isError && <ErrorBox error={drill.error} title="Could not start a drill" />}
      {declare.isError && <ErrorBox error={declare.error} title="Could not declare" />}
    </div>
  );
}

/**
 * The declare dialog: what is happening, how bad (with the severity's meaning), where to open
 * it (the local workspace or a PagerDuty account, on one of its services) and details.
 */
function DeclareForm({
  pending,
  onCancel,
  onSubmit,
}: {
  pending: boolean;
  onCancel: () => void;
  onSubmit: (accountId: Id | null, declaration: Declaration) => void;
}) {
  const accounts = useQuery({ queryKey: ["accounts"], queryFn: api.listAccounts });
  const services = useQuery({ queryKey: ["services"], queryFn: api.listServices });
  const severities = useQuery({ queryKey: ["severities"], queryFn: cockpitApi.severities });
  const [title, setTitle] = useState("");
  const [severity, setSeverity] = useState(2);
  const [accountId, setAccountId] = useState<Id | null>(null);
  const [serviceId, setServiceId] = useState("");
  const [details, setDetails] = useState("");
  const [problem, setProblem] = useState<string | null>(null);

  const targets = (accounts.data ?? []).filter((a) => a.kind === "pagerduty");
  const account = targets.find((a) => a.id === accountId) ?? null;
  const provider = account?.kind ?? "local";
  const accountServices = (services.data ?? []).filter((s) => s.account_id === accountId);
  const meaning = severities.data?.find((s) => s.level === severity)?.meaning;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const why = declareProblem({ title, severity, provider, serviceId, details });
    setProblem(why);
    if (why !== null) return;
    onSubmit(account?.id ?? null, {
      title: title.trim(),
      severity,
      service_id: provider === "pagerduty" ? serviceId : null,
      urgency: null,
      priority_id: null,
      details: details.trim() === "" ? null : details.trim(),
    });
  };
  return (
    <form className="declare-form" onSubmit={submit} data-testid="declare-form">
      <label>
        What is happening?
        <input
          autoFocus
          required
          value={title}
          maxLength={MAX_TITLE_CHARS}
          onChange={(e) => setTitle(e.target.value)}
          data-testid="declare-title"
        />
      </label>
      <label>
        Severity
        <select
          value={severity}
          onChange={(e) => setSeverity(Number(e.target.value))}
          data-testid="declare-severity"
        >
          {[1, 2, 3, 4].map((level) => (
            <option key={level} value={level}>
              SEV-{level}
            </option>
          ))}
        </select>
      </label>
      {meaning && (
        <p className="hint" data-testid="declare-severity-meaning">
          {plain(meaning)}
        </p>
      )}
      <label>
        Open it in
        <select
          value={accountId ?? ""}
          onChange={(e) => {
            setAccountId(e.target.value === "" ? null : Number(e.target.value));
            setServiceId("");
          }}
          data-testid="declare-account"
        >
          <option value="">Local workspace (Tocsin only)</option>
          {targets.map((a) => (
            <option key={a.id} value={a.id}>
              PagerDuty · {plain(a.name)}
            </option>
          ))}
        </select>
      </label>
      {provider === "pagerduty" && (
        <label>
          Service
          <select
            value={serviceId}
            onChange={(e) => setServiceId(e.target.value)}
            data-testid="declare-service"
          >
            <option value="">Choose a service…</option>
            {accountServices.map((s) => (
              <option key={s.provider_id} value={s.provider_id}>
                {plain(s.name)}
              </option>
            ))}
          </select>
        </label>
      )}
      <label>
        Details (optional)
        <textarea
          rows={3}
          value={details}
          maxLength={10000}
          onChange={(e) => setDetails(e.target.value)}
          data-testid="declare-details"
        />
      </label>
      {provider === "pagerduty" && (
        <p className="hint">
          PagerDuty gets it as soon as it is reachable; until then it is worked here.
        </p>
      )}
      {problem && (
        <p className="error-text" role="alert" data-testid="declare-problem">
          {problem}
        </p>
      )}
      <div className="form-actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={pending} data-testid="declare-submit">
          Declare
        </button>
      </div>
    </form>
  );
}
