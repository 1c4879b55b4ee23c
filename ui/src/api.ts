// The UI's only door to the desktop shell: typed wrappers over its commands and events.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";

import type { CachedSchedule } from "./bindings/CachedSchedule";
import type { Rendering } from "./bindings/Rendering";
import type { Explanation } from "./bindings/Explanation";
import type { MyShift } from "./bindings/MyShift";
import type { OnCallAt } from "./bindings/OnCallAt";
import type { CrossCheck } from "./bindings/CrossCheck";
import type { OnCallOutlook } from "./bindings/OnCallOutlook";
import type { PagingPolicy } from "./bindings/PagingPolicy";
import type { ImportSummary } from "./bindings/ImportSummary";
import type { LocalOnCall } from "./bindings/LocalOnCall";
import type { PolicyDef } from "./bindings/PolicyDef";
import type { ScheduleDef } from "./bindings/ScheduleDef";
import type { ActionItem } from "./bindings/ActionItem";
import type { ActionItemInput } from "./bindings/ActionItemInput";
import type { Postmortem } from "./bindings/Postmortem";
import type { PostmortemListing } from "./bindings/PostmortemListing";
import type { PostmortemStatus } from "./bindings/PostmortemStatus";
import type { PostmortemVersion } from "./bindings/PostmortemVersion";
import type { SaveOutcome } from "./bindings/SaveOutcome";
import type { Hint } from "./bindings/Hint";
import type { Stats } from "./bindings/Stats";
import type { Template } from "./bindings/Template";
import type { EscalationOutlook } from "./bindings/EscalationOutlook";
import type { Account } from "./bindings/Account";
import type { Action } from "./bindings/Action";
import type { ActionKind } from "./bindings/ActionKind";
import type { AccountHealth } from "./bindings/AccountHealth";
import type { Checklist } from "./bindings/Checklist";
import type { Cockpit } from "./bindings/Cockpit";
import type { CockpitNote } from "./bindings/CockpitNote";
import type { CommandError } from "./bindings/CommandError";
import type { Declaration } from "./bindings/Declaration";
import type { LinkOutcome } from "./bindings/LinkOutcome";
import type { FollowUp } from "./bindings/FollowUp";
import type { Incident } from "./bindings/Incident";
import type { IncidentDetail } from "./bindings/IncidentDetail";
import type { IncidentFilter } from "./bindings/IncidentFilter";
import type { NewAccount } from "./bindings/NewAccount";
import type { OnCall } from "./bindings/OnCall";
import type { OutboxEntry } from "./bindings/OutboxEntry";
import type { OutboxPayload } from "./bindings/OutboxPayload";
import type { PagerStatus } from "./bindings/PagerStatus";
import type { Person } from "./bindings/Person";
import type { Priority } from "./bindings/Priority";
import type { Role } from "./bindings/Role";
import type { Service } from "./bindings/Service";
import type { Severity } from "./bindings/Severity";
import type { SeverityMapping } from "./bindings/SeverityMapping";
import type { TimelineFormat } from "./bindings/TimelineFormat";
import type { Timer } from "./bindings/Timer";
import type { Urgency } from "./bindings/Urgency";
import type { UpdateChannel } from "./bindings/UpdateChannel";
import type { UpdateOffer } from "./bindings/UpdateOffer";
import type { UpdateProgress } from "./bindings/UpdateProgress";

// Communicating.
import type { Audience } from "./bindings/Audience";
import type { NewStatusPage } from "./bindings/NewStatusPage";
import type { PublishedUpdate } from "./bindings/PublishedUpdate";
import type { StatusComponent } from "./bindings/StatusComponent";
import type { StatusLink } from "./bindings/StatusLink";
import type { StatusPage } from "./bindings/StatusPage";
import type { StatusPreview } from "./bindings/StatusPreview";
import type { StatusRequest } from "./bindings/StatusRequest";
import type { UpdateDraft } from "./bindings/UpdateDraft";
import type { UpdateFields } from "./bindings/UpdateFields";
import type { UpdateTemplate } from "./bindings/UpdateTemplate";
// Imported inline, so that it never clashes with a named import of `OutboxEntry` above.
type PublicationEntry = import("./bindings/OutboxEntry").OutboxEntry;

/** A local row id, as the core declares it. */
export type Id = Incident["id"];

export type { CommandError };

/** Whether a thrown value is the shell's `{code, message}` error. */
export function isCommandError(value: unknown): value is CommandError {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return typeof candidate.code === "string" && typeof candidate.message === "string";
}

/** Turns anything a command threw into `{code, message}`, so screens handle one shape. */
export function toCommandError(value: unknown): CommandError {
  if (isCommandError(value)) return value;
  return { code: "internal", message: String(value) };
}

export const api = {
  listIncidents: (filter: IncidentFilter) => invoke<Incident[]>("list_incidents", { filter }),
  getIncident: (id: Id) => invoke<IncidentDetail>("get_incident", { id }),
  listServices: () => invoke<Service[]>("list_services"),
  oncallNow: () => invoke<OnCall[]>("oncall_now"),
  accountHealth: () => invoke<AccountHealth[]>("account_health"),
  listAccounts: () => invoke<Account[]>("list_accounts"),
  /** The token, when given, goes to the OS keychain; it is never read back. */
  addAccount: (account: NewAccount, token: string | null) =>
    invoke<Account>("add_account", { account, token }),
  /** `accountId` null means the local workspace. */
  declareIncident: (accountId: Id | null, declaration: Declaration) =>
    invoke<Incident>("declare_incident", { accountId, declaration }),
  startDrill: () => invoke<Incident>("start_drill"),
  syncNow: () => invoke<null>("sync_now"),
  pagerStatus: () => invoke<PagerStatus>("pager_status"),
  act: (id: Id, action: Action) => invoke<IncidentDetail>("act", { id, action }),
  incidentActions: (id: Id) => invoke<ActionKind[]>("incident_actions", { id }),
  listUsers: (accountId: Id) => invoke<Person[]>("list_users", { accountId }),
  listPriorities: (accountId: Id) => invoke<Priority[]>("list_priorities", { accountId }),
  listOutbox: () => invoke<OutboxEntry[]>("list_outbox"),
  /** Null when the incident's provider has no escalation policy in the cache. */
  incidentEscalation: (id: Id) => invoke<EscalationOutlook | null>("incident_escalation", { id }),

  // --- Postmortems and trends. ---
  /** Prefilled from the cache; a null template means the one for the incidents' severity. */
  startPostmortem: (incidents: Id[], template: string | null) =>
    invoke<Postmortem>("start_postmortem", { incidents, template }),
  listPostmortems: () => invoke<PostmortemListing[]>("list_postmortems"),
  getPostmortem: (id: Id) => invoke<Postmortem>("get_postmortem", { id }),
  /** Autosave; rejects with code `conflict` when another window saved since `expectedRevision`. */
  savePostmortem: (id: Id, body: string, expectedRevision: number) =>
    invoke<SaveOutcome>("save_postmortem", { id, body, expectedRevision }),
  renamePostmortem: (id: Id, title: string, expectedRevision: number) =>
    invoke<SaveOutcome>("rename_postmortem", { id, title, expectedRevision }),
  keepPostmortemVersion: (id: Id) => invoke<PostmortemVersion>("keep_postmortem_version", { id }),
  postmortemVersions: (id: Id) => invoke<PostmortemVersion[]>("postmortem_versions", { id }),
  restorePostmortemVersion: (id: Id, version: Id, expectedRevision: number) =>
    invoke<SaveOutcome>("restore_postmortem_version", { id, version, expectedRevision }),
  setPostmortemStatus: (id: Id, status: PostmortemStatus) =>
    invoke<Postmortem>("set_postmortem_status", { id, status }),
  listActionItems: (id: Id) => invoke<ActionItem[]>("list_action_items", { id }),
  addActionItem: (id: Id, input: ActionItemInput) =>
    invoke<ActionItem>("add_action_item", { id, input }),
  editActionItem: (item: Id, input: ActionItemInput) =>
    invoke<ActionItem>("edit_action_item", { item, input }),
  removeActionItem: (item: Id) => invoke<null>("remove_action_item", { item }),
  postmortemHints: (id: Id) => invoke<Hint[]>("postmortem_hints", { id }),
  dismissPostmortemHint: (id: Id, fingerprint: string) =>
    invoke<null>("dismiss_postmortem_hint", { id, fingerprint }),
  exportPostmortem: (id: Id, format: "md" | "html") =>
    invoke<string>("export_postmortem", { id, format }),
  /** Writes into the Downloads folder; resolves to the file's path. */
  savePostmortemExport: (id: Id, format: "md" | "html") =>
    invoke<string>("save_postmortem_export", { id, format }),
  /** Queues the summary as a note on each incident: `[incident, outbox entry or null]` each. */
  publishPostmortem: (id: Id) => invoke<[Id, Id | null][]>("publish_postmortem", { id }),
  // --- On-call schedules, rendered locally from the cache. ---
  listSchedules: () => invoke<CachedSchedule[]>("list_schedules"),
  /** From now for `days` days (at most 92). */
  renderSchedule: (id: string, days: number) => invoke<Rendering>("render_schedule", { id, days }),
  explainSchedule: (id: string) => invoke<Explanation>("explain_schedule", { id }),
  myShifts: (days: number) => invoke<MyShift[]>("my_shifts", { days }),
  oncallAhead: (minutesAhead: number) => invoke<OnCallAt[]>("oncall_ahead", { minutesAhead }),
  /** The local rendering against the provider's final schedule over the window last read. */
  checkSchedule: (id: string) => invoke<CrossCheck>("check_schedule", { id }),
  /** Per policy level, who is on call now and the next handoff on a schedule. */
  oncallOutlook: () => invoke<OnCallOutlook>("oncall_outlook"),
  /** Writes an .ics into the Downloads folder; resolves to its path. */
  saveShiftsCalendar: (days: number) => invoke<string>("save_shifts_calendar", { days }),

  // --- The local workspace's own rotations and escalation policies. ---
  localOnCall: () => invoke<LocalOnCall>("local_oncall"),
  /** An empty id makes a new rotation (its id made from the name); resolves to it as stored. */
  saveLocalSchedule: (schedule: ScheduleDef) =>
    invoke<ScheduleDef>("save_local_schedule", { schedule }),
  /** Checked like a save, stores nothing: from now for `days` days (at most 92). */
  previewLocalSchedule: (schedule: ScheduleDef, days: number) =>
    invoke<Rendering>("preview_local_schedule", { schedule, days }),
  /** Rejects with code `conflict` while a local policy pages the rotation. */
  deleteLocalSchedule: (id: string) => invoke<null>("delete_local_schedule", { id }),
  saveLocalPolicy: (policy: PolicyDef) => invoke<PolicyDef>("save_local_policy", { policy }),
  deleteLocalPolicy: (id: string) => invoke<null>("delete_local_policy", { id }),
  /** Which person on the local rotations I am: my shifts and reminders follow them. */
  setLocalMe: (userId: string) => invoke<null>("set_local_me", { userId }),
  /** A `tocsin-oncall/1` file's text; with `replace`, local ones it does not name go. */
  importOncallFile: (text: string, replace: boolean) =>
    invoke<ImportSummary>("import_oncall_file", { text, replace }),
  /** Writes the local rotations and policies into the Downloads folder; resolves to the path. */
  saveOncallFile: () => invoke<string>("save_oncall_file"),

  getPagingPolicy: (accountId: Id) => invoke<PagingPolicy>("get_paging_policy", { accountId }),
  /** Checked by the core before it is saved; high urgency always notifies regardless. */
  setPagingPolicy: (accountId: Id, policy: PagingPolicy) =>
    invoke<null>("set_paging_policy", { accountId, policy }),
  /** The system's print dialog for the window; the print stylesheet keeps only the text. */
  printWindow: () => invoke<null>("print_window"),
  listPostmortemTemplates: () => invoke<Template[]>("list_postmortem_templates"),
  /** Over the incidents of the last `sinceDays` days; all of the cache when null. */
  postmortemStats: (sinceDays: number | null) => invoke<Stats>("postmortem_stats", { sinceDays }),
  /** The new token goes to the OS keychain; it is never read back. */
  replaceToken: (accountId: Id, token: string) =>
    invoke<Account>("replace_token", { accountId, token }),

  // --- Communicating: stakeholder updates, their templates, Statuspage pages. ---
  /** Renders an update; records nothing, so the preview may ask at every keystroke. */
  draftUpdate: (incident: Id, audience: Audience, fields: UpdateFields) =>
    invoke<UpdateDraft>("draft_update", { incident, audience, fields }),
  /** Records the update on the cockpit and the timeline, and schedules the next one. */
  publishUpdate: (incident: Id, audience: Audience, fields: UpdateFields) =>
    invoke<PublishedUpdate>("publish_update", { incident, audience, fields }),
  exportUpdateTemplate: (audience: Audience) =>
    invoke<string>("export_update_template", { audience }),
  importUpdateTemplate: (audience: Audience, source: string) =>
    invoke<UpdateTemplate>("import_update_template", { audience, source }),
  resetUpdateTemplate: (audience: Audience) =>
    invoke<UpdateTemplate>("reset_update_template", { audience }),
  listStatusPages: () => invoke<StatusPage[]>("list_status_pages"),
  /** The key goes to the OS keychain; it is never read back. */
  addStatusPage: (page: NewStatusPage, key: string) =>
    invoke<StatusPage>("add_status_page", { page, key }),
  removeStatusPage: (page: Id) => invoke<null>("remove_status_page", { page }),
  /** Reads the page's components from Statuspage; the page remembers them for previews. */
  statuspageComponents: (page: Id) => invoke<StatusComponent[]>("statuspage_components", { page }),
  statusLinks: (incident: Id) => invoke<StatusLink[]>("status_links", { incident }),
  statuspagePreview: (incident: Id, page: Id, request: StatusRequest) =>
    invoke<StatusPreview>("statuspage_preview", { incident, page, request }),
  /** Queues exactly this preview in the outbox; the entry says where it is on its way. */
  statuspagePublish: (incident: Id, page: Id, preview: StatusPreview) =>
    invoke<PublicationEntry>("statuspage_publish", { incident, page, preview }),
  outboxEntry: (id: Id) => invoke<PublicationEntry>("outbox_entry", { id }),
};

/**
 * The incident commander's cockpit. `by` is the name the person acts under; the incident's
 * timeline shows it.
 */
export const cockpitApi = {
  severities: () => invoke<Severity[]>("list_severities"),
  setSeverity: (severity: Severity) => invoke<Severity>("set_severity", { severity }),
  severityMapping: (accountId: Id) => invoke<SeverityMapping[]>("severity_mapping", { accountId }),
  setSeverityMapping: (m: SeverityMapping) =>
    invoke<SeverityMapping>("set_severity_mapping", {
      accountId: m.account_id,
      level: m.level,
      urgency: m.urgency satisfies Urgency,
      priority: m.priority,
    }),
  checklist: (level: number) => invoke<Checklist>("get_checklist", { level }),
  exportChecklist: (level: number) => invoke<string>("export_checklist", { level }),
  importChecklist: (level: number, source: string) =>
    invoke<Checklist>("import_checklist", { level, source }),
  resetChecklist: (level: number) => invoke<Checklist>("reset_checklist", { level }),
  /** Fails with code `not_found` while no cockpit runs for the incident. */
  cockpit: (incidentId: Id) => invoke<Cockpit>("get_cockpit", { incidentId }),
  start: (incidentId: Id, level: number, by: string) =>
    invoke<Cockpit>("start_command", { incidentId, level, by }),
  setSeverityLevel: (incidentId: Id, level: number, by: string) =>
    invoke<Cockpit>("set_incident_severity", { incidentId, level, by }),
  tick: (incidentId: Id, position: number, by: string) =>
    invoke<Cockpit>("tick_item", { incidentId, position, by }),
  untick: (incidentId: Id, position: number, by: string) =>
    invoke<Cockpit>("untick_item", { incidentId, position, by }),
  assignRole: (incidentId: Id, role: Role, person: string, by: string) =>
    invoke<Cockpit>("assign_role", { incidentId, role, person, by }),
  handOver: (incidentId: Id, role: Role, to: string, from: string | null, by: string) =>
    invoke<Cockpit>("hand_over", { incidentId, role, to, from, by }),
  addTimer: (incidentId: Id, label: string, owner: string, minutes: number, by: string) =>
    invoke<Timer>("add_timer", { incidentId, label, owner, minutes, by }),
  cancelTimer: (timerId: Id, by: string) => invoke<Timer>("cancel_timer", { timerId, by }),
  decide: (incidentId: Id, text: string, by: string) =>
    invoke<CockpitNote>("decide", { incidentId, text, by }),
  note: (incidentId: Id, text: string, by: string) =>
    invoke<CockpitNote>("cockpit_note", { incidentId, text, by }),
  recordUpdate: (incidentId: Id, text: string, by: string) =>
    invoke<CockpitNote>("record_update", { incidentId, text, by }),
  followups: (incidentId: Id) => invoke<FollowUp[]>("list_followups", { incidentId }),
  exportTimeline: (incidentId: Id, format: TimelineFormat) =>
    invoke<string>("export_timeline", { incidentId, format }),
};

/** Calls back when writes left an outbox: sent, or refused by the provider. */
export function onOutbox(callback: (event: OutboxPayload) => void): Promise<UnlistenFn> {
  return listen<OutboxPayload>("tocsin://outbox", (event) => callback(event.payload));
}

/** Calls back whenever a sync may have changed cached data. */
export function onChanged(callback: () => void): Promise<UnlistenFn> {
  return listen("tocsin://changed", () => callback());
}

/** Calls back when a notification's Open action asks for one incident. */
export function onOpenIncident(callback: (id: Id) => void): Promise<UnlistenFn> {
  return listen<Id>("tocsin://open-incident", (event) => callback(event.payload));
}

/** Desktop integration: links the app was launched with, start at login, quitting. */
export const desktopApi = {
  takeLaunchLink: () => invoke<LinkOutcome | null>("take_launch_link"),
  getAutostart: () => invoke<boolean>("get_autostart"),
  setAutostart: (enabled: boolean) => invoke<boolean>("set_autostart", { enabled }),
  quit: () => invoke<null>("quit_app"),
};

/** Calls back with a sentence when a tocsin:// link could not be opened. */
export function onLinkError(callback: (message: string) => void): Promise<UnlistenFn> {
  return listen<string>("tocsin://link-error", (event) => callback(event.payload));
}

/** Signed updates: nothing is checked, downloaded or installed except on a person's click. */
export const updateApi = {
  getChannel: () => invoke<UpdateChannel>("get_update_channel"),
  setChannel: (channel: UpdateChannel) => invoke<UpdateChannel>("set_update_channel", { channel }),
  /** null when this is the newest version on the channel. */
  check: () => invoke<UpdateOffer | null>("check_for_update"),
  /** Downloads and verifies the signature; the verified update waits for the restart. */
  download: () => invoke<UpdateOffer>("download_update"),
  installAndRestart: () => invoke<null>("install_update_on_restart"),
};

/** Calls back as an update downloads. */
export function onUpdateProgress(
  callback: (progress: UpdateProgress) => void,
): Promise<UnlistenFn> {
  return listen<UpdateProgress>("tocsin://update-progress", (event) => callback(event.payload));
}
