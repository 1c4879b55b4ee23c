//! Domain and wire types shared by the core, the CLI and (through generated bindings) the UI.
//!
//! Every type here is declared once; `ui/src/bindings/` is generated from these by ts-rs
//! (`cargo test export_bindings`) and checked for drift in CI.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Local database id of a row. Provider ids are strings and stay in `provider_id` fields.
pub type Id = i64;

/// Which paging engine an account talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ProviderKind {
    Pagerduty,
    Alertmanager,
    /// The embedded workspace that needs no account at all.
    Local,
}

impl ProviderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Pagerduty => "pagerduty",
            ProviderKind::Alertmanager => "alertmanager",
            ProviderKind::Local => "local",
        }
    }

    pub fn parse(s: &str) -> Option<ProviderKind> {
        match s {
            "pagerduty" => Some(ProviderKind::Pagerduty),
            "alertmanager" => Some(ProviderKind::Alertmanager),
            "local" => Some(ProviderKind::Local),
            _ => None,
        }
    }
}

/// Where an account's API token comes from. The token itself is never stored in SQLite.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum TokenSource {
    /// No token needed (Alertmanager without auth, the local workspace).
    None,
    /// The OS keychain, under service `tocsin` and the account's key.
    Keychain,
    /// An environment variable read at each run; nothing is stored.
    Env { var: String },
}

/// A configured paging engine. Holds no secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Account {
    pub id: Id,
    pub name: String,
    pub kind: ProviderKind,
    pub api_url: Option<String>,
    pub token: TokenSource,
    /// The responder's email at the provider; the `From` header on PagerDuty writes, and who
    /// "me" is when the token is an account-level key that cannot answer `/users/me`.
    pub email: Option<String>,
    /// The responder's provider user id, learned from `/users/me` or from `email`.
    pub user_id: Option<String>,
    /// When the token was last replaced (never the token itself).
    pub token_changed_at: Option<DateTime<Utc>>,
}

/// The normalised lifecycle of an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum IncidentStatus {
    Triggered,
    Acknowledged,
    Resolved,
    /// A status the provider added after this build; the raw text is kept beside it and the
    /// incident is treated as open so that nothing is hidden from a responder.
    Unknown,
}

impl IncidentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentStatus::Triggered => "triggered",
            IncidentStatus::Acknowledged => "acknowledged",
            IncidentStatus::Resolved => "resolved",
            IncidentStatus::Unknown => "unknown",
        }
    }

    /// Parses a provider status; anything unrecognised is `Unknown`, never an error.
    pub fn parse(s: &str) -> IncidentStatus {
        match s {
            "triggered" => IncidentStatus::Triggered,
            "acknowledged" => IncidentStatus::Acknowledged,
            "resolved" => IncidentStatus::Resolved,
            _ => IncidentStatus::Unknown,
        }
    }

    pub fn is_open(self) -> bool {
        self != IncidentStatus::Resolved
    }
}

/// The provider's urgency. Alertmanager's `severity` label maps onto it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Urgency {
    High,
    Low,
}

impl Urgency {
    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::High => "high",
            Urgency::Low => "low",
        }
    }

    /// Unknown urgencies are treated as high: a missed page costs more than an extra one.
    pub fn parse(s: &str) -> Urgency {
        if s.eq_ignore_ascii_case("low") {
            Urgency::Low
        } else {
            Urgency::High
        }
    }
}

/// A person at a provider, as far as an incident or a shift needs to name them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Person {
    pub provider_id: String,
    pub name: String,
    pub email: Option<String>,
}

/// One incident in the local cache.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Incident {
    pub id: Id,
    pub account_id: Id,
    pub account_name: String,
    pub provider: ProviderKind,
    pub provider_id: String,
    pub number: Option<i64>,
    pub title: String,
    pub status: IncidentStatus,
    /// The provider's own status text when it is not one Tocsin knows.
    pub raw_status: Option<String>,
    pub urgency: Urgency,
    pub priority: Option<String>,
    /// SEV-1..SEV-4 as a number 1..4, when known.
    pub severity: Option<u8>,
    pub service_id: Option<String>,
    pub service_name: Option<String>,
    pub assignees: Vec<Person>,
    pub escalation_policy_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub html_url: Option<String>,
    /// A simulated page started from the local workspace; always shown as a drill.
    pub is_drill: bool,
    /// Provider details that have no column: Alertmanager labels and annotations, say.
    #[ts(type = "Record<string, unknown>")]
    pub details: serde_json::Value,
}

/// One entry of an incident's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct TimelineEntry {
    pub id: Id,
    pub incident_id: Id,
    pub provider_id: Option<String>,
    /// The provider's entry type without the `_log_entry` suffix: trigger, acknowledge, …
    pub kind: String,
    pub at: DateTime<Utc>,
    pub summary: String,
    pub agent: Option<String>,
    /// For an action taken in Tocsin: where its write to the provider is.
    pub outbox_state: Option<OutboxState>,
    /// Why the provider did not take it, when it did not.
    pub outbox_error: Option<String>,
}

/// An incident with everything the detail view shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct IncidentDetail {
    pub incident: Incident,
    pub timeline: Vec<TimelineEntry>,
}

/// Which incidents a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum StatusFilter {
    #[default]
    Open,
    All,
    Triggered,
    Acknowledged,
    Resolved,
}

/// A query over the cached incidents. Results come unacknowledged first, then acknowledged,
/// then resolved; high urgency before low; newest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct IncidentFilter {
    #[serde(default)]
    pub status: StatusFilter,
    #[serde(default)]
    pub urgency: Option<Urgency>,
    /// A service provider id.
    #[serde(default)]
    pub service_id: Option<String>,
    /// Words to find in the title, the service or the incident number.
    #[serde(default)]
    pub search: Option<String>,
    #[serde(default)]
    pub limit: Option<u32>,
}

/// A service, for filters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Service {
    pub account_id: Id,
    pub provider_id: String,
    pub name: String,
}

/// Who is on call at one level of an escalation policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct OnCall {
    pub account_id: Id,
    pub account_name: String,
    pub escalation_policy_id: String,
    pub escalation_policy_name: String,
    pub level: i64,
    pub user: Person,
    pub schedule_name: Option<String>,
    /// None means "always" (a user placed directly on the policy).
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    /// Whether this row is the responder using Tocsin.
    pub is_me: bool,
}

/// How an account's sync is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum HealthState {
    /// Never synced yet.
    Pending,
    Ok,
    /// The last attempt failed; cached data is kept and shown with its age.
    Failing,
    /// The network is unreachable; not an error storm, just a state.
    Offline,
    /// The provider rejected the token; polling stopped until the token is replaced.
    Revoked,
}

/// The health of one account, for `tocsin status` and the window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct AccountHealth {
    pub account_id: Id,
    pub name: String,
    pub kind: ProviderKind,
    pub state: HealthState,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// The stable error code of the last failure (see `Error::code`).
    pub last_error_code: Option<String>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub consecutive_failures: i64,
}

/// Whether Tocsin can page right now, for a banner that will not let a silent pager go
/// unnoticed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PagerStatus {
    /// False while the OS refuses notifications (no notification server, say): pages are
    /// queued and retried, and the person must be told.
    pub notifications_ok: bool,
    /// Set while the local database cannot be written (a full disk, a lock held by another
    /// process): the cache is still shown, new data and writes wait, and the person must be
    /// told, since the fault cannot be recorded in the database itself.
    pub local_fault: Option<LocalFault>,
}

/// A fault of this computer rather than a provider's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct LocalFault {
    /// The error's stable code: `disk_full`, `store_busy`, `store` or `io`.
    pub code: String,
    pub message: String,
    pub since: DateTime<Utc>,
}

/// Something a responder does to an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum Action {
    Acknowledge,
    Resolve,
    Note {
        text: String,
    },
    /// Escalate to this level (1 = the first) of the incident's escalation policy.
    Escalate {
        level: u32,
    },
    /// Assign the incident to this person (a provider user id), replacing the assignees.
    Reassign {
        user_id: String,
    },
    /// Hide an acknowledged incident for this many minutes; it triggers again afterwards.
    Snooze {
        minutes: u32,
    },
    SetUrgency {
        urgency: Urgency,
    },
    /// A priority by its provider id (see the account's priorities).
    SetPriority {
        priority_id: String,
    },
}

impl Action {
    /// A short verb for logs, messages and timeline kinds.
    pub fn verb(&self) -> &'static str {
        match self {
            Action::Acknowledge => "acknowledge",
            Action::Resolve => "resolve",
            Action::Note { .. } => "annotate",
            Action::Escalate { .. } => "escalate",
            Action::Reassign { .. } => "assign",
            Action::Snooze { .. } => "snooze",
            Action::SetUrgency { .. } => "urgency_change",
            Action::SetPriority { .. } => "priority_change",
        }
    }
}

/// Which kind of [`Action`], without its arguments: what the window offers for an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ActionKind {
    Acknowledge,
    Resolve,
    Note,
    Escalate,
    Reassign,
    Snooze,
    SetUrgency,
    SetPriority,
}

/// A provider priority (PagerDuty's P1..), for choosing one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Priority {
    pub account_id: Id,
    pub provider_id: String,
    pub name: String,
}

/// A new incident to open at a provider (or in the local workspace).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Declaration {
    pub title: String,
    /// SEV-1..SEV-4 as 1..4.
    pub severity: u8,
    /// The provider service to open it on; PagerDuty requires one.
    #[serde(default)]
    pub service_id: Option<String>,
    #[serde(default)]
    pub urgency: Option<Urgency>,
    /// A priority by its provider id.
    #[serde(default)]
    pub priority_id: Option<String>,
    /// Free text for the incident's body.
    #[serde(default)]
    pub details: Option<String>,
    /// A local escalation policy whose levels the incident walks (local workspace only; a
    /// PagerDuty incident takes its service's policy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub escalation_policy_id: Option<String>,
}

/// What an outbox entry asks a provider to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
#[ts(export)]
pub enum Write {
    /// An action on an existing incident (the entry names it).
    Act { action: Action },
    /// Open a new incident.
    Declare { declaration: Declaration },
    /// Publish the incident on a status page (a `comms::StatusPage` by local id): create
    /// the Statuspage incident the first time, update it afterwards. `draft` is exactly what
    /// the person previewed.
    Statuspage {
        page: Id,
        draft: crate::provider::statuspage::StatusDraft,
    },
}

/// Where an outbox entry is on its way to the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum OutboxState {
    /// Waiting to be sent (offline, or retrying after a failure).
    Pending,
    /// Being sent now, or was being sent when a process stopped: checked before resending.
    Sending,
    /// The provider has it.
    Done,
    /// The provider refused because the incident changed elsewhere; the cache was corrected.
    Conflict,
    /// The provider refused it for good (bad input, no permission); the cache was corrected.
    Failed,
}

impl OutboxState {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxState::Pending => "pending",
            OutboxState::Sending => "sending",
            OutboxState::Done => "done",
            OutboxState::Conflict => "conflict",
            OutboxState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> OutboxState {
        match s {
            "sending" => OutboxState::Sending,
            "done" => OutboxState::Done,
            "conflict" => OutboxState::Conflict,
            "failed" => OutboxState::Failed,
            _ => OutboxState::Pending,
        }
    }
}

/// One write on its way to a provider, as the window and `tocsin outbox` show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct OutboxEntry {
    pub id: Id,
    pub account_id: Id,
    pub account_name: String,
    pub incident_id: Option<Id>,
    pub incident_title: Option<String>,
    pub write: Write,
    pub state: OutboxState,
    pub attempts: i64,
    pub queued_at: DateTime<Utc>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Why the last attempt failed, or why the provider refused, in plain words.
    pub last_error: Option<String>,
    pub last_error_code: Option<String>,
}

/// Where the person stands at a glance, for the tray: on call or not, and what is open.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Glance {
    /// On call right now at any account (from the cached on-call rows).
    pub on_call: bool,
    /// Open incidents not acknowledged yet (triggered or a status Tocsin does not know).
    pub unacknowledged: usize,
    /// Open incidents in work order (unacknowledged first), at most a handful.
    pub open: Vec<Incident>,
}

impl Glance {
    /// The tray's state: paged beats on call beats idle.
    pub fn state(&self) -> GlanceState {
        if self.unacknowledged > 0 {
            GlanceState::Paged
        } else if self.on_call {
            GlanceState::OnCall
        } else {
            GlanceState::NotOnCall
        }
    }
}

/// The three states the tray icon shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum GlanceState {
    NotOnCall,
    OnCall,
    Paged,
}
