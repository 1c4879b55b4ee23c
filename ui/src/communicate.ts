// Pure logic of the Communicate panel and the status-page settings, kept apart from React so
// it is unit-tested: the author's fields, component choices, labels and form checks.
import type { ComponentStatus } from "./bindings/ComponentStatus";
import type { Impact } from "./bindings/Impact";
import type { NewStatusPage } from "./bindings/NewStatusPage";
import type { OutboxEntry } from "./bindings/OutboxEntry";
import type { StatusComponent } from "./bindings/StatusComponent";
import type { StatusPhase } from "./bindings/StatusPhase";
import type { StatusRequest } from "./bindings/StatusRequest";
import type { UpdateFields } from "./bindings/UpdateFields";

export const PHASES: StatusPhase[] = ["investigating", "identified", "monitoring", "resolved"];
export const IMPACTS: Impact[] = ["none", "minor", "major", "critical"];
export const COMPONENT_STATUSES: ComponentStatus[] = [
  "operational",
  "degraded_performance",
  "partial_outage",
  "major_outage",
  "under_maintenance",
];

/** What the author typed, as the form holds it: empty means "not said yet". */
export interface FieldsInput {
  impact: string;
  status: string;
  actions: string;
}

export const EMPTY_FIELDS: FieldsInput = { impact: "", status: "", actions: "" };

/**
 * The core's fields: a blank field is `null`, so the draft marks it missing (or, for the
 * status, says the incident's status in words) instead of publishing whitespace.
 */
export function toUpdateFields(input: FieldsInput): UpdateFields {
  const given = (s: string) => (s.trim() === "" ? null : s);
  return {
    impact: given(input.impact),
    status: given(input.status),
    actions: given(input.actions),
  };
}

/** "degraded_performance" → "degraded performance": the words Statuspage shows. */
export function statusWords(value: string): string {
  return value.replace(/_/g, " ");
}

/** A component's current status as shown, keeping one this build does not know visible. */
export function currentStatus(component: StatusComponent): string {
  if (component.status !== null) return statusWords(component.status);
  return component.raw_status === "" ? "unknown" : `unknown (${component.raw_status})`;
}

/** The affected components: which ones, and the status each should show. */
export type ComponentChoice = Record<string, ComponentStatus>;

/** The status a component is given when ticked as affected, from the declared impact. */
export function defaultComponentStatus(impact: Impact): ComponentStatus {
  switch (impact) {
    case "critical":
      return "major_outage";
    case "major":
      return "partial_outage";
    case "minor":
    case "none":
      return "degraded_performance";
  }
}

/** One row of the component picker: the page's component and what the person chose. */
export interface ComponentRow {
  component: StatusComponent;
  affected: boolean;
  status: ComponentStatus;
}

/**
 * The page's components in the page's order (position, then name), each with whether it is
 * ticked and the status it would get. An unticked row proposes the impact's status, so
 * ticking it is one click.
 */
export function componentRows(
  components: StatusComponent[],
  chosen: ComponentChoice,
  impact: Impact,
): ComponentRow[] {
  const order = (c: StatusComponent) => c.position ?? Number.MAX_SAFE_INTEGER;
  const sorted = [...components].sort(
    (a, b) => order(a) - order(b) || a.name.localeCompare(b.name),
  );
  return sorted.map((component) => {
    const status = chosen[component.id];
    return {
      component,
      affected: status !== undefined,
      status: status ?? defaultComponentStatus(impact),
    };
  });
}

/**
 * The request's component list, in the page's order. A choice for a component the page no
 * longer lists is kept, so the preview can say so rather than drop it silently.
 */
export function chosenComponents(
  components: StatusComponent[],
  chosen: ComponentChoice,
): [string, ComponentStatus][] {
  const known = componentRows(components, chosen, "none")
    .filter((row) => row.affected)
    .map((row): [string, ComponentStatus] => [row.component.id, row.status]);
  const ids = new Set(components.map((c) => c.id));
  const gone = Object.entries(chosen).filter(([id]) => !ids.has(id));
  return [...known, ...gone];
}

/** What the person asks Statuspage to say; name and message default to the incident's. */
export function statusRequest(
  phase: StatusPhase,
  impact: Impact,
  components: [string, ComponentStatus][],
  fields: FieldsInput,
): StatusRequest {
  return { name: null, phase, impact, body: null, components, fields: toUpdateFields(fields) };
}

/** Where a queued publication is, in the words the panel shows. */
export function publicationState(entry: OutboxEntry): { label: string; failed: boolean } {
  const reason = entry.last_error ?? "no reason given";
  switch (entry.state) {
    case "pending":
      return entry.attempts > 0
        ? { label: `waiting to retry: ${reason}`, failed: false }
        : { label: "queued", failed: false };
    case "sending":
      return { label: "sending…", failed: false };
    case "done":
      return { label: "sent", failed: false };
    case "conflict":
    case "failed":
      return { label: `not sent: ${reason}`, failed: true };
  }
}

/** Whether a publication may still change state, so the panel keeps asking. */
export function isUnderway(entry: OutboxEntry): boolean {
  return entry.state === "pending" || entry.state === "sending";
}

/** The Settings form for a status page. The key goes to the OS keychain. */
export interface PageInput {
  name: string;
  apiUrl: string;
  pageId: string;
  key: string;
}

export const EMPTY_PAGE: PageInput = { name: "", apiUrl: "", pageId: "", key: "" };

/**
 * Why the form cannot be sent yet, one sentence per field; empty when it can. The core checks
 * again (and decides): this only spares a round trip for the obvious.
 */
export function pageProblems(input: PageInput): string[] {
  const problems: string[] = [];
  if (input.name.trim() === "") problems.push("Give the page a name.");
  const url = input.apiUrl.trim();
  if (url === "") problems.push("Give the API URL, such as https://api.statuspage.io/v1.");
  else if (!/^https?:\/\/[^\s/]+/i.test(url))
    problems.push("The API URL must start with http(s)://.");
  const pageId = input.pageId.trim();
  if (pageId === "") problems.push("Give the page id (in the page's API settings).");
  else if (!/^[A-Za-z0-9_-]{1,64}$/.test(pageId))
    problems.push("A page id has only letters, digits, '-' and '_'.");
  if (input.key.trim() === "") problems.push("Give the page's API key.");
  return problems;
}

/** The core's request; the key travels beside it, to the keychain. */
export function toNewStatusPage(input: PageInput): NewStatusPage {
  return {
    name: input.name.trim(),
    api_url: input.apiUrl.trim(),
    page_id: input.pageId.trim(),
    key: { kind: "keychain" },
  };
}
