// Small presentational pieces shared by the screens: badges, error boxes, empty states.
import type { ReactNode } from "react";

import { type CommandError, toCommandError } from "./api";
import type { Incident } from "./bindings/Incident";
import { severityLabel, statusLabel } from "./format";

/** Shows a failed command's message, with its code for a bug report. */
export function ErrorBox({ error, title }: { error: unknown; title: string }) {
  const { code, message }: CommandError = toCommandError(error);
  return (
    <div className="error-box" role="alert" data-testid="error-box" data-code={code}>
      <strong>{title}</strong>
      <p>{message}</p>
      <code>{code}</code>
    </div>
  );
}

export function Empty({ children, testId }: { children: ReactNode; testId?: string }) {
  return (
    <div className="empty" data-testid={testId}>
      {children}
    </div>
  );
}

/** Status, urgency, severity and the drill mark, in that order everywhere. */
export function IncidentBadges({ incident }: { incident: Incident }) {
  const severity = severityLabel(incident.severity);
  return (
    <span className="badges">
      {incident.is_drill && (
        <span className="badge drill" data-testid="drill-badge">
          DRILL
        </span>
      )}
      <span className={`badge status-${incident.status}`} data-testid="status-badge">
        {statusLabel(incident.status, incident.raw_status)}
      </span>
      <span className={`badge urgency-${incident.urgency}`}>{incident.urgency}</span>
      {severity && <span className="badge severity">{severity}</span>}
    </span>
  );
}

/** Copies through the async clipboard API, falling back to a selected textarea. */
export async function copyToClipboard(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = document.createElement("textarea");
    area.value = text;
    document.body.appendChild(area);
    area.select();
    const ok = document.execCommand("copy");
    area.remove();
    return ok;
  }
}
