// The postmortem screens' logic, apart from React: the review workflow, due-date wording,
// the trend figures and the action-item form.
import type { ActionItem } from "./bindings/ActionItem";
import type { ActionItemInput } from "./bindings/ActionItemInput";
import type { ActionItemType } from "./bindings/ActionItemType";
import type { Durations } from "./bindings/Durations";
import type { PostmortemStatus } from "./bindings/PostmortemStatus";
import { formatSpan } from "./format";

export const STATUS_LABELS: Record<PostmortemStatus, string> = {
  draft: "Draft",
  in_review: "In review",
  reviewed: "Reviewed",
  closed: "Closed",
};

const FORWARD: Record<PostmortemStatus, PostmortemStatus | null> = {
  draft: "in_review",
  in_review: "reviewed",
  reviewed: "closed",
  closed: null,
};

/** Where the workflow lets a postmortem go from `status`: one step on, or back to Draft. */
export function nextStatuses(status: PostmortemStatus): PostmortemStatus[] {
  const next: PostmortemStatus[] = [];
  const forward = FORWARD[status];
  if (forward) next.push(forward);
  if (status !== "draft") next.push("draft");
  return next;
}

/** The button text for moving to `status`. */
export function statusVerb(from: PostmortemStatus, to: PostmortemStatus): string {
  if (to === "draft") return from === "closed" ? "Reopen as draft" : "Back to draft";
  return { in_review: "Send for review", reviewed: "Mark reviewed", closed: "Close", draft: "" }[
    to
  ];
}

/** "Review due 2026-12-07 (in 3 d)", "Review overdue since …", or nothing once reviewed. */
export function reviewDueText(
  dueOn: string | null,
  overdue: boolean,
  status: PostmortemStatus,
  now: Date,
): string | null {
  if (dueOn === null || status === "reviewed" || status === "closed") return null;

  const day = dueOn.slice(0, 10);
  if (overdue) return `Review overdue since ${day}`;
  const end = Date.parse(`${day}T23:59:59`);
  if (Number.isNaN(end)) return `Review due ${day}`;
  const left = Math.max(0, (end - now.getTime()) / 1000);
  return `Review due ${day} (in ${formatSpan(left)})`;
}

/** "12 min (median 9 min, 14 incidents)" for a mean/median pair; "—" when nothing counts. */
export function durationText(d: Durations): string {
  if (d.count === 0 || d.mean_secs === null) return "—";
  const median = d.median_secs === null ? "" : `median ${formatSpan(d.median_secs)}, `;
  const n = d.count === 1 ? "1 incident" : `${d.count} incidents`;
  return `${formatSpan(d.mean_secs)} (${median}${n})`;
}

export const ITEM_TYPES: { value: ActionItemType; label: string }[] = [
  { value: "mitigate", label: "Mitigate" },
  { value: "prevent", label: "Prevent" },
  { value: "process", label: "Process" },
];

export const EMPTY_ITEM: ActionItemInput = {
  description: "",
  owner: null,
  due_on: null,
  kind: null,
  tracker_url: null,
  done: false,
};

/** An item's editable fields, for the form. */
export function toInput(item: ActionItem): ActionItemInput {
  const { description, owner, due_on, kind, tracker_url, done } = item;
  return { description, owner, due_on, kind, tracker_url, done };
}

/** Trims the form's text fields; blank optional fields become null. Problems, if any. */
export function cleanItem(input: ActionItemInput): { item: ActionItemInput; problems: string[] } {
  const blank = (s: string | null) => (s === null || s.trim() === "" ? null : s.trim());
  const item = {
    ...input,
    description: input.description.trim(),
    owner: blank(input.owner),
    due_on: blank(input.due_on),
    tracker_url: blank(input.tracker_url),
  };
  const problems: string[] = [];
  if (item.description === "") problems.push("Say what is to be done.");
  if (item.due_on !== null && !/^\d{4}-\d{2}-\d{2}$/.test(item.due_on)) {
    problems.push("The due date is a day, like 2026-12-31.");
  }
  if (item.tracker_url !== null && !/^https?:\/\//i.test(item.tracker_url)) {
    problems.push("The tracker link starts with https:// or http://.");
  }
  return { item, problems };
}

/** Save-state wording next to the editor. */
export function saveStateText(state: string, savedAt: string | null): string {
  switch (state) {
    case "saving":
      return "Saving…";
    case "unsaved":
      return "Unsaved changes";
    case "error":
      return "Not saved: retrying";
    case "conflict":
      return "Changed in another window: reload to continue";
    default:
      return savedAt ? "Saved" : "All changes saved";
  }
}
