//! The incident commander's cockpit: severities, checklists, roles, timers, decisions and the
//! timeline that writes itself.
//!
//! Cockpit data is Tocsin's own. It works the same for local-workspace and provider incidents
//! and is never written to a provider; each cockpit event also lands on the incident's
//! timeline (`log_entries`, with a `cockpit_*` kind) in the same transaction, so the timeline
//! is one ordered stream. SQL lives in `src/store/cockpit.rs` and `src/store/timers.rs`; the
//! `Tocsin` methods are in `api.rs`.

mod api;
pub mod checklist;
pub mod severity;
pub mod timeline;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{Error, Result};
use crate::model::{Id, Urgency};

pub use checklist::{Checklist, ChecklistItem};
pub use severity::Severity;
pub use timeline::TimelineFormat;

/// The longest person name kept, in characters.
pub const MAX_PERSON_CHARS: usize = 200;
/// The longest decision, note or stakeholder update kept, in characters.
pub const MAX_NOTE_CHARS: usize = 10_000;
/// The longest timer label kept, in characters.
pub const MAX_LABEL_CHARS: usize = 500;
/// The longest a timer may run: a week, in minutes.
pub const MAX_TIMER_MINUTES: u32 = 7 * 24 * 60;

/// A role in the incident command structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Role {
    /// Incident commander: owns the response and its decisions.
    Commander,
    Deputy,
    /// Keeps the record: decisions, timeline, follow-ups.
    Scribe,
    /// Communications liaison: stakeholder updates and public communication.
    Communications,
    /// A subject-matter expert; the only role several people hold at once.
    Expert,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Commander,
        Role::Deputy,
        Role::Scribe,
        Role::Communications,
        Role::Expert,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Commander => "commander",
            Role::Deputy => "deputy",
            Role::Scribe => "scribe",
            Role::Communications => "communications",
            Role::Expert => "expert",
        }
    }

    /// The name a responder reads on the timeline.
    pub fn title(self) -> &'static str {
        match self {
            Role::Commander => "incident commander",
            Role::Deputy => "deputy",
            Role::Scribe => "scribe",
            Role::Communications => "communications liaison",
            Role::Expert => "subject-matter expert",
        }
    }

    pub fn parse(s: &str) -> Result<Role> {
        let s = s.trim().to_ascii_lowercase();
        let role = match s.as_str() {
            "commander" | "ic" | "incident-commander" => Role::Commander,
            "deputy" => Role::Deputy,
            "scribe" => Role::Scribe,
            "communications" | "comms" | "liaison" => Role::Communications,
            "expert" | "sme" => Role::Expert,
            _ => {
                return Err(Error::Invalid(format!(
                    "`{s}` is not a role; use commander, deputy, scribe, communications or expert"
                )))
            }
        };
        Ok(role)
    }

    /// Whether one person at a time holds the role (all but experts).
    pub fn is_single(self) -> bool {
        self != Role::Expert
    }
}

/// Who holds a role now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RoleAssignment {
    pub role: Role,
    pub person: String,
    pub assigned_at: DateTime<Utc>,
    pub assigned_by: String,
}

/// A checklist item copied onto an incident when its cockpit started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CockpitItem {
    /// 1-based, in checklist order; what `tick` takes.
    pub position: u32,
    pub text: String,
    pub role: Option<Role>,
    pub due_minutes: Option<u32>,
    /// The cockpit's start plus `due_minutes`.
    pub due_at: Option<DateTime<Utc>>,
    pub done_at: Option<DateTime<Utc>>,
    pub done_by: Option<String>,
}

/// What a timer is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum TimerKind {
    /// A delegated task with a named owner and a time limit.
    Task,
    /// The next stakeholder update, scheduled from the severity's cadence.
    Update,
}

impl TimerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TimerKind::Task => "task",
            TimerKind::Update => "update",
        }
    }

    pub fn parse(s: &str) -> TimerKind {
        if s == "update" {
            TimerKind::Update
        } else {
            TimerKind::Task
        }
    }
}

/// A cockpit timer. Pending until it fires or is cancelled; see `Store::claim_due_timers` for
/// how a notifier fires it exactly once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Timer {
    pub id: Id,
    pub incident_id: Id,
    /// The incident's title, for a notification body (provider text: render as text).
    pub incident_title: String,
    pub kind: TimerKind,
    pub label: String,
    pub owner: Option<String>,
    pub due_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub fired_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
}

/// What kind of entry in the decision log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum NoteKind {
    Decision,
    Note,
    /// A stakeholder update that was sent; recording one schedules the next.
    Update,
}

impl NoteKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoteKind::Decision => "decision",
            NoteKind::Note => "note",
            NoteKind::Update => "update",
        }
    }

    pub fn parse(s: &str) -> NoteKind {
        match s {
            "decision" => NoteKind::Decision,
            "update" => NoteKind::Update,
            _ => NoteKind::Note,
        }
    }
}

/// A decision, a cockpit note or a recorded stakeholder update.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CockpitNote {
    pub id: Id,
    pub incident_id: Id,
    pub kind: NoteKind,
    pub text: String,
    pub at: DateTime<Utc>,
    pub by: String,
}

/// A line starting with `TODO` in a decision or note: an action item for the postmortem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FollowUp {
    pub incident_id: Id,
    /// The decision or note it came from.
    pub note_id: Id,
    pub text: String,
    pub at: DateTime<Utc>,
    pub by: String,
}

/// How one severity maps onto an account's provider fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SeverityMapping {
    pub account_id: Id,
    pub level: u8,
    pub urgency: Urgency,
    /// The provider's priority name (PagerDuty's P1..), if one goes with this severity.
    pub priority: Option<String>,
}

/// Everything the commander's screen shows for one incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Cockpit {
    pub incident_id: Id,
    pub severity: Severity,
    pub checklist_title: String,
    pub started_at: DateTime<Utc>,
    pub started_by: String,
    pub items: Vec<CockpitItem>,
    pub roles: Vec<RoleAssignment>,
    /// Pending timers, soonest first.
    pub timers: Vec<Timer>,
    /// Decisions, notes and updates, oldest first.
    pub notes: Vec<CockpitNote>,
}

/// The follow-ups in `text`: each line whose first word is `TODO` (alone or followed by
/// punctuation, as in `TODO:` or `TODO(db):`), with the marker and a separator removed.
pub fn todo_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| line.trim_start().strip_prefix("TODO"))
        .filter(|rest| !rest.starts_with(|c: char| c.is_alphanumeric() || c == '_'))
        .map(|rest| {
            rest.trim_start()
                .trim_start_matches([':', '-'])
                .trim()
                .to_string()
        })
        .filter(|rest| !rest.is_empty())
        .collect()
}

/// A person's name, trimmed and bounded. Any other text is kept as data.
pub(crate) fn person(name: &str) -> Result<String> {
    bounded(name, "a person's name", MAX_PERSON_CHARS)
}

/// Trimmed text that must not be empty nor longer than `max` characters.
pub(crate) fn bounded(text: &str, what: &str, max: usize) -> Result<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::Invalid(format!("{what} cannot be empty")));
    }
    if text.chars().count() > max {
        return Err(Error::Invalid(format!(
            "{what} is at most {max} characters"
        )));
    }
    Ok(text.to_string())
}

/// SEV-1..SEV-4 only.
pub(crate) fn level(level: u8) -> Result<u8> {
    if !(1..=4).contains(&level) {
        return Err(Error::Invalid(format!(
            "severity must be 1 to 4 (SEV-1..SEV-4), not {level}"
        )));
    }
    Ok(level)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn todo_lines_become_follow_ups() {
        let text = "Roll back 4f2a\nTODO: alert on queue depth\n  TODO(db) add an index\n\
                    TODOS are not this\nnot a TODO here\nTODO\nTODO - page the DBA earlier";
        assert_eq!(
            todo_lines(text),
            [
                "alert on queue depth",
                "(db) add an index",
                "page the DBA earlier"
            ]
        );
    }

    #[test]
    fn roles_parse_with_their_short_names() {
        assert_eq!(Role::parse("IC").unwrap(), Role::Commander);
        assert_eq!(Role::parse("sme").unwrap(), Role::Expert);
        let err = Role::parse("boss").unwrap_err();
        assert_eq!(err.code(), "invalid");
        assert!(err.to_string().contains("`boss` is not a role"), "{err}");
    }

    #[test]
    fn bounded_text_is_trimmed_and_limited() {
        assert_eq!(person("  Ana ").unwrap(), "Ana");
        assert!(person(" ").is_err());
        assert!(person(&"x".repeat(MAX_PERSON_CHARS + 1)).is_err());
        assert!(level(0).is_err() && level(5).is_err() && level(4).is_ok());
    }
}
