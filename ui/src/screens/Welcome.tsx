// The local workspace's actions: the first-launch welcome, declaring an incident, a drill.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";

import { api, type Id } from "../api";
import type { Incident } from "../bindings/Incident";
import { ErrorBox } from "../components";

/** Declaring and drilling both add an incident, which every list must then show. */
function useCreate(onCreated: (id: Id) => void) {
  const queryClient = useQueryClient();
  const onSuccess = (incident: Incident) => {
    void queryClient.invalidateQueries();
    onCreated(incident.id);
  };
  const drill = useMutation({ mutationFn: api.startDrill, onSuccess });
  const declare = useMutation({
    mutationFn: ({ title, severity }: { title: string; severity: number }) =>
      api.declareIncident(title, severity),
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
          onSubmit={(title, severity) =>
            declare.mutate({ title, severity }, { onSuccess: () => setDeclaring(false) })
          }
        />
      )}
      {drill.isError && <ErrorBox error={drill.error} title="Could not start a drill" />}
      {declare.isError && <ErrorBox error={declare.error} title="Could not declare" />}
    </div>
  );
}

function DeclareForm({
  pending,
  onCancel,
  onSubmit,
}: {
  pending: boolean;
  onCancel: () => void;
  onSubmit: (title: string, severity: number) => void;
}) {
  const [title, setTitle] = useState("");
  const [severity, setSeverity] = useState(2);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (title.trim() !== "") onSubmit(title.trim(), severity);
  };
  return (
    <form className="declare-form" onSubmit={submit} data-testid="declare-form">
      <label>
        What is happening?
        <input
          autoFocus
          required
          value={title}
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
          <option value={1}>SEV-1 · critical</option>
          <option value={2}>SEV-2 · major</option>
          <option value={3}>SEV-3 · minor</option>
          <option value={4}>SEV-4 · low</option>
        </select>
      </label>
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
