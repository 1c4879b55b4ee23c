//! The fake account's records and the knobs tests turn, all held behind one mutex.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};

/// What an API token stands for; it decides whether `/users/me` can answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenKind {
    /// A personal token that acts as this user.
    User { user_id: String },
    /// An account-level token: it can read everything but belongs to nobody.
    Account,
}

/// How the next API requests fail, queued with `FakeHandle::fail_next`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureKind {
    /// HTTP 429, with a `ratelimit-reset` header (seconds) only when one is given.
    RateLimited { reset_header: Option<u64> },
    /// The given 5xx (or any) status with a JSON error body.
    ServerError(u16),
    /// Sleep this long, then answer normally, so a client's own timeout fires first.
    Timeout(Duration),
    /// HTTP 200 whose JSON body is cut in half.
    Malformed,
    /// HTTP 200 announcing the whole body's length, then the connection drops halfway
    /// through it, as when a proxy or the network dies mid-transfer.
    CutShort,
    /// HTTP 200 with exactly this body instead of the real one, as a hostile server or a
    /// broken proxy could answer (deeply nested JSON, say).
    Body(String),
}

/// Every API request fails until `until`, taking the kinds in turn: an outage that lasts.
#[derive(Debug, Clone)]
pub struct Outage {
    pub until: std::time::Instant,
    pub kinds: Vec<FailureKind>,
    pub next: usize,
}

impl Outage {
    /// The failure for the next request, or `None` once the outage is over.
    pub fn next_failure(&mut self) -> Option<FailureKind> {
        if std::time::Instant::now() >= self.until || self.kinds.is_empty() {
            return None;
        }
        let kind = self.kinds[self.next % self.kinds.len()].clone();
        self.next += 1;
        Some(kind)
    }
}

/// How `error.errors` is shaped; real servers have sent all three.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ErrorShape {
    /// `"errors": ["detail"]`, the shape the contract documents.
    #[default]
    Array,
    /// `"errors": "detail"`.
    String,
    /// `"errors": {"field": ["detail"]}`.
    Object,
}

/// One API request as the fake saw it, for tests that assert what a client sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    /// Decoded query pairs in arrival order; `statuses%5B%5D` arrives as `statuses[]`.
    pub query: Vec<(String, String)>,
    pub authorization: Option<String>,
    pub accept: Option<String>,
    pub from: Option<String>,
}

/// What a test supplies to create an incident; `Default` gives a fresh triggered one.
#[derive(Debug, Clone, PartialEq)]
pub struct NewIncident {
    /// Empty means "generate one".
    pub id: String,
    /// Zero means "next number".
    pub number: u64,
    pub title: String,
    /// Served verbatim, so statuses the contract does not know yet can be tested.
    pub status: String,
    pub urgency: String,
    pub service_id: String,
    pub assignee_ids: Vec<String>,
    /// Empty means the incident is served without an `escalation_policy`.
    pub escalation_policy_id: String,
    pub created_at: DateTime<Utc>,
    /// `(id, name)`, such as `("PPRIO01", "P1")`.
    pub priority: Option<(String, String)>,
    pub incident_key: Option<String>,
}

impl Default for NewIncident {
    fn default() -> Self {
        NewIncident {
            id: String::new(),
            number: 0,
            title: "Something is on fire".to_owned(),
            status: "triggered".to_owned(),
            urgency: "high".to_owned(),
            service_id: String::new(),
            assignee_ids: Vec::new(),
            escalation_policy_id: String::new(),
            created_at: now(),
            priority: None,
            incident_key: None,
        }
    }
}

/// An incident as stored; `update_incident` hands it to a closure to change.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeIncident {
    pub id: String,
    pub number: u64,
    pub title: String,
    pub status: String,
    pub urgency: String,
    pub service_id: String,
    pub assignee_ids: Vec<String>,
    pub escalation_policy_id: String,
    /// Changing it in `update_incident` logs an escalation rather than an assignment.
    pub escalation_level: u32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_status_change_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub priority: Option<(String, String)>,
    pub incident_key: Option<String>,
    /// `(user id, at)`; served only while the status is `acknowledged`.
    pub acknowledgements: Vec<(String, DateTime<Utc>)>,
}

/// A note on an incident, as `POST /incidents/{id}/notes` made it.
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    pub id: String,
    pub incident_id: String,
    pub content: String,
    pub user_id: String,
    pub created_at: DateTime<Utc>,
}

pub(crate) struct User {
    pub id: String,
    pub name: String,
    pub email: String,
}

/// A service, or a schedule, or a priority: each is only an id and a name here.
pub(crate) struct Named {
    pub id: String,
    pub name: String,
}

pub(crate) struct Rule {
    pub delay_minutes: u32,
    pub target_ids: Vec<String>,
}

pub(crate) struct Policy {
    pub id: String,
    pub name: String,
    pub rules: Vec<Rule>,
}

pub(crate) struct Schedule {
    pub id: String,
    pub name: String,
    pub time_zone: String,
    /// Served verbatim as `schedule_layers`, in the order given, to mimic layer-order bugs.
    pub layers: Vec<serde_json::Value>,
    /// Served verbatim as `overrides_subschedule.rendered_schedule_entries`.
    pub overrides: Vec<serde_json::Value>,
    /// When set, served verbatim as `final_schedule.rendered_schedule_entries` instead of
    /// entries made from the schedule's on-calls.
    pub final_entries: Option<Vec<serde_json::Value>>,
}

pub(crate) struct OnCall {
    pub user_id: String,
    pub policy_id: String,
    pub level: u32,
    pub schedule_id: Option<String>,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
}

/// Who did what a log entry records.
pub(crate) enum Agent {
    User(String),
    Service(String),
}

pub(crate) struct LogEntry {
    pub id: String,
    pub kind: &'static str,
    pub created_at: DateTime<Utc>,
    pub incident_id: String,
    pub agent: Agent,
    pub channel: &'static str,
    /// The users an assign or escalate entry names, or the one a notify entry pages.
    pub users: Vec<String>,
    pub summary: String,
}

/// Everything the fake knows; one `std::sync::Mutex` guards it and no handler awaits under it.
#[derive(Default)]
pub(crate) struct State {
    pub base_url: String,
    pub users: Vec<User>,
    pub services: Vec<Named>,
    pub priorities: Vec<Named>,
    pub policies: Vec<Policy>,
    pub schedules: Vec<Schedule>,
    pub oncalls: Vec<OnCall>,
    pub incidents: Vec<FakeIncident>,
    pub incident_index: HashMap<String, usize>,
    pub notes: Vec<Note>,
    pub log: Vec<LogEntry>,
    pub tokens: HashMap<String, TokenKind>,
    pub failures: VecDeque<FailureKind>,
    pub outage: Option<Outage>,
    pub requests: Vec<RecordedRequest>,
    pub error_shape: ErrorShape,
    pub last_number: u64,
    pub last_id: u64,
}

impl State {
    /// A fresh id in PagerDuty's look (a letter and six base-36 digits), unique in this fake.
    pub fn fresh_id(&mut self, prefix: char) -> String {
        self.last_id += 1;
        let mut digits = String::new();
        let mut n = self.last_id;
        for _ in 0..6 {
            let d = (n % 36) as u32;
            digits.insert(
                0,
                char::from_digit(d, 36).unwrap_or('0').to_ascii_uppercase(),
            );
            n /= 36;
        }
        format!("{prefix}{digits}")
    }

    pub fn user(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }

    pub fn incident(&self, id: &str) -> Option<&FakeIncident> {
        self.incident_index.get(id).map(|&i| &self.incidents[i])
    }
}

/// Now, cut to whole seconds because the real API renders and filters at that precision.
pub(crate) fn now() -> DateTime<Utc> {
    Utc::now()
        .duration_trunc(TimeDelta::seconds(1))
        .unwrap_or_else(|_| Utc::now())
}
