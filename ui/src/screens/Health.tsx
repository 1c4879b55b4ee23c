// Each account's sync health: state, data age, the last error and the next attempt.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";

import { api } from "../api";
import type { AccountHealth } from "../bindings/AccountHealth";
import { Empty, ErrorBox } from "../components";
import { formatRelative, formatTime, healthLabel } from "../format";
import { useNow } from "../hooks";

export function Health({ onOpenOutbox }: { onOpenOutbox: () => void }) {
  const health = useQuery({ queryKey: ["health"], queryFn: api.accountHealth });
  const sync = useSyncNow();

  if (health.isPending) return <p className="hint">Loading…</p>;
  if (health.isError) return <ErrorBox error={health.error} title="Could not read health" />;

  return (
    <div className="page" data-testid="health">
      <header className="pane-header">
        <h1>Account health</h1>
        <button
          type="button"
          onClick={() => sync.mutate()}
          disabled={sync.isPending}
          data-testid="sync-now"
        >
          {sync.isPending ? "Syncing…" : "Sync now"}
        </button>
        <button type="button" onClick={onOpenOutbox} data-testid="open-outbox">
          Outbox
        </button>
      </header>
      {sync.isError && <ErrorBox error={sync.error} title="Sync failed" />}
      {health.data.length === 0 && <Empty>No accounts yet.</Empty>}
      {health.data.map((h) => (
        <AccountCard key={h.account_id} health={h} />
      ))}
    </div>
  );
}

/** A sync pass on demand; every screen refetches after it, whether it worked or not. */
function useSyncNow() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: api.syncNow,
    onSettled: () => void queryClient.invalidateQueries(),
  });
}

function AccountCard({ health }: { health: AccountHealth }) {
  const now = useNow(5_000);
  return (
    <section className={`card health-${health.state}`} data-testid="health-account">
      <h2>
        {health.name} <span className="muted">· {health.kind}</span>
        <span className={`badge state-${health.state}`} data-testid="health-state">
          {healthLabel(health.state)}
        </span>
      </h2>
      <dl className="facts">
        <dt>Data age</dt>
        <dd data-testid="health-age">{formatRelative(health.last_success_at, now)}</dd>
        <dt>Last success</dt>
        <dd>{formatTime(health.last_success_at)}</dd>
        <dt>Last attempt</dt>
        <dd>{formatRelative(health.last_attempt_at, now)}</dd>
        <dt>Next attempt</dt>
        <dd>{formatRelative(health.next_attempt_at, now, "not scheduled")}</dd>
        {health.last_error !== null && (
          <>
            <dt>Last error</dt>
            <dd className="error-text">
              {health.last_error}
              {health.last_error_code && <code> {health.last_error_code}</code>}
              {Number(health.consecutive_failures) > 1 &&
                ` (${health.consecutive_failures} failures in a row)`}
            </dd>
          </>
        )}
      </dl>
      {health.state === "revoked" && <ReplaceToken accountId={health.account_id} />}
    </section>
  );
}

/** A new token for an account whose token was rejected; it goes to the OS keychain. */
function ReplaceToken({ accountId }: { accountId: AccountHealth["account_id"] }) {
  const [token, setToken] = useState("");
  const queryClient = useQueryClient();
  const replace = useMutation({
    mutationFn: () => api.replaceToken(accountId, token.trim()),
    onSuccess: () => setToken(""),
    onSettled: () => void queryClient.invalidateQueries(),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (token.trim() !== "") replace.mutate();
  };
  return (
    <form className="replace-token" onSubmit={submit} data-testid="replace-token">
      <label>
        New API token
        <input
          type="password"
          autoComplete="off"
          value={token}
          onChange={(event) => setToken(event.target.value)}
          data-testid="replace-token-input"
        />
      </label>
      <button type="submit" disabled={replace.isPending || token.trim() === ""}>
        {replace.isPending ? "Saving…" : "Replace token"}
      </button>
      {replace.isError && <ErrorBox error={replace.error} title="Could not replace the token" />}
    </form>
  );
}
