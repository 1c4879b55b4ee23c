//! Blameless postmortems written offline: drafts prefilled from the cache, autosaved with a
//! version history, reviewed through a status workflow, checked for blaming language,
//! exported and summarised back onto the incident; and the MTTA/MTTR numbers.
//!
//! Postmortems are Tocsin's own, like the cockpit: nothing here reaches a provider except the
//! published summary, which is an ordinary note through the outbox. SQL lives in
//! `src/store/postmortem.rs`; the `Tocsin` methods are in `api.rs`.

mod api;
pub mod export;
pub mod hints;
pub mod prefill;
pub mod stats;
pub mod template;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{Error, Result};
use crate::model::Id;

pub use hints::Hint;
pub use prefill::Prefill;
pub use stats::Stats;
pub use template::Template;

/// The largest postmortem body kept, in bytes: far more than any real one, small enough that
/// a save stays one cheap transaction.
pub const MAX_BODY_BYTES: usize = 512 * 1024;
/// The longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 300;
/// The most incidents one postmortem covers.
pub const MAX_INCIDENTS: usize = 20;
/// The longest action item description, in characters.
pub const MAX_ACTION_CHARS: usize = 1_000;
/// The longest tracker link, in characters.
pub const MAX_URL_CHARS: usize = 2_000;
/// The most action items one postmortem holds: more than any review produces, few enough
/// that the exported table stays small.
pub const MAX_ACTION_ITEMS: usize = 500;
/// While someone keeps typing, a version is kept at most this often.
pub const VERSION_EVERY: Duration = Duration::minutes(5);

/// Where a postmortem is in its review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum PostmortemStatus {
    Draft,
    InReview,
    Reviewed,
    Closed,
}

impl PostmortemStatus {
    pub const ALL: [PostmortemStatus; 4] = [
        PostmortemStatus::Draft,
        PostmortemStatus::InReview,
        PostmortemStatus::Reviewed,
        PostmortemStatus::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PostmortemStatus::Draft => "draft",
            PostmortemStatus::InReview => "in_review",
            PostmortemStatus::Reviewed => "reviewed",
            PostmortemStatus::Closed => "closed",
        }
    }

    /// The name a person reads.
    pub fn title(self) -> &'static str {
        match self {
            PostmortemStatus::Draft => "Draft",
            PostmortemStatus::InReview => "In review",
            PostmortemStatus::Reviewed => "Reviewed",
            PostmortemStatus::Closed => "Closed",
        }
    }

    pub fn parse(s: &str) -> Result<PostmortemStatus> {
        let key = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        Self::ALL
            .into_iter()
            .find(|st| st.as_str() == key)
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "`{}` is not a postmortem status; use draft, in_review, reviewed or closed",
                    crate::paging::one_line(s, 40)
                ))
            })
    }

    /// The workflow: forward one step at a time, and back to Draft from any later step (a
    /// review that finds gaps, or a closed postmortem reopened).
    pub fn can_become(self, next: PostmortemStatus) -> bool {
        use PostmortemStatus::*;
        matches!(
            (self, next),
            (Draft, InReview)
                | (InReview, Reviewed)
                | (Reviewed, Closed)
                | (InReview | Reviewed | Closed, Draft)
        )
    }

    /// Whether the review is still to happen, so a due date can pass.
    pub fn awaits_review(self) -> bool {
        matches!(self, PostmortemStatus::Draft | PostmortemStatus::InReview)
    }
}

/// A postmortem with its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Postmortem {
    pub id: Id,
    pub title: String,
    /// Markdown, as the author wrote it.
    pub body: String,
    /// The template it was started from.
    pub template: String,
    pub status: PostmortemStatus,
    pub severity: Option<u8>,
    /// The incidents it covers, in the order given.
    pub incidents: Vec<Id>,
    /// Counts saves; `save` takes the revision the editor last saw.
    pub revision: i64,
    pub review_due: Option<NaiveDate>,
    /// The review due date has passed and the review has not happened.
    pub overdue: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A postmortem whose review has come due, for its reminder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewDue {
    pub postmortem_id: Id,
    /// The author's title (render as text).
    pub title: String,
    /// `YYYY-MM-DD`.
    pub due_on: String,
}

/// One row of the postmortem list: everything but the text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PostmortemListing {
    pub id: Id,
    pub title: String,
    pub status: PostmortemStatus,
    pub severity: Option<u8>,
    pub incidents: Vec<Id>,
    pub review_due: Option<NaiveDate>,
    pub overdue: bool,
    pub open_action_items: u32,
    pub updated_at: DateTime<Utc>,
}

/// Why a version was kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum VersionReason {
    Created,
    /// Kept while typing, at most every [`VERSION_EVERY`].
    Editing,
    /// Kept when the status changed.
    Status,
    /// The author asked for it.
    Explicit,
    /// The text just before a restore, so a restore can be undone.
    Restore,
}

impl VersionReason {
    pub fn as_str(self) -> &'static str {
        match self {
            VersionReason::Created => "created",
            VersionReason::Editing => "editing",
            VersionReason::Status => "status",
            VersionReason::Explicit => "explicit",
            VersionReason::Restore => "restore",
        }
    }

    pub fn parse(s: &str) -> VersionReason {
        match s {
            "created" => VersionReason::Created,
            "status" => VersionReason::Status,
            "explicit" => VersionReason::Explicit,
            "restore" => VersionReason::Restore,
            _ => VersionReason::Editing,
        }
    }
}

/// A snapshot in a postmortem's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PostmortemVersion {
    pub id: Id,
    pub postmortem_id: Id,
    /// The postmortem's revision the snapshot holds.
    pub revision: i64,
    pub title: String,
    pub body: String,
    pub status: PostmortemStatus,
    pub reason: VersionReason,
    pub at: DateTime<Utc>,
}

/// What an autosave did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SaveOutcome {
    /// The new revision: what the next save must name.
    pub revision: i64,
    /// Whether this save also kept a version.
    pub versioned: bool,
    pub saved_at: DateTime<Utc>,
}

/// What an action item is meant to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ActionItemType {
    /// Lessens the damage next time (an alert, a runbook step, a faster rollback).
    Mitigate,
    /// Stops it happening again.
    Prevent,
    /// Changes how the team works.
    Process,
}

impl ActionItemType {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionItemType::Mitigate => "mitigate",
            ActionItemType::Prevent => "prevent",
            ActionItemType::Process => "process",
        }
    }

    pub fn parse(s: &str) -> Result<ActionItemType> {
        match s.trim().to_ascii_lowercase().as_str() {
            "mitigate" => Ok(ActionItemType::Mitigate),
            "prevent" => Ok(ActionItemType::Prevent),
            "process" => Ok(ActionItemType::Process),
            _ => Err(Error::Invalid(format!(
                "`{}` is not an action item type; use mitigate, prevent or process",
                crate::paging::one_line(s, 40)
            ))),
        }
    }
}

/// Something to do because of the incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ActionItem {
    pub id: Id,
    pub postmortem_id: Id,
    pub description: String,
    pub owner: Option<String>,
    pub due_on: Option<NaiveDate>,
    /// Not chosen yet for a follow-up captured during the incident.
    pub kind: Option<ActionItemType>,
    pub tracker_url: Option<String>,
    pub done: bool,
    /// The cockpit note a follow-up (`TODO` line) came from.
    pub note_id: Option<Id>,
    pub created_at: DateTime<Utc>,
}

/// An action item as the author writes it; `add_action_item` and `edit_action_item` take it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ActionItemInput {
    pub description: String,
    pub owner: Option<String>,
    pub due_on: Option<NaiveDate>,
    pub kind: Option<ActionItemType>,
    pub tracker_url: Option<String>,
    pub done: bool,
}

impl ActionItemInput {
    /// Trimmed and bounded; a tracker link must be http(s), as it is rendered as a link.
    pub fn validate(&self) -> Result<ActionItemInput> {
        let description = crate::cockpit::bounded(
            &self.description,
            "an action item's description",
            MAX_ACTION_CHARS,
        )?;
        let owner = optional(self.owner.as_deref())
            .map(crate::cockpit::person)
            .transpose()?;
        let tracker_url = optional(self.tracker_url.as_deref())
            .map(tracker_link)
            .transpose()?;
        Ok(ActionItemInput {
            description,
            owner,
            due_on: self.due_on,
            kind: self.kind,
            tracker_url,
            done: self.done,
        })
    }
}

fn optional(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|t| !t.is_empty())
}

fn tracker_link(url: &str) -> Result<String> {
    let ok = (url.starts_with("https://") || url.starts_with("http://"))
        && url.chars().count() <= MAX_URL_CHARS
        && !(url.chars()).any(|c| c.is_whitespace() || c.is_control() || "<>\"`".contains(c));
    if !ok {
        return Err(Error::Invalid(
            "a tracker link is one http(s) URL without spaces".into(),
        ));
    }
    Ok(table_safe(url))
}

/// A Closed postmortem is the record as reviewed: its text, versions and action items change
/// only after it is moved back to Draft. Reviewed stays editable for last touches.
pub fn editable(pm: &Postmortem) -> Result<()> {
    if pm.status == PostmortemStatus::Closed {
        return Err(Error::Invalid(format!(
            "postmortem {} is closed; reopen it as a draft first",
            pm.id
        )));
    }
    Ok(())
}

/// A link with `|` percent-encoded: the export puts it in a Markdown table cell, where a bare
/// `|` would end the cell and shift the columns. The encoded link points at the same place.
pub fn table_safe(url: &str) -> String {
    url.replace('|', "%7C")
}

/// How long a review may take after the postmortem starts, for one severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ReviewPolicy {
    pub severity: u8,
    pub days: u32,
    /// Count Monday to Friday only.
    pub business_days: bool,
}

impl ReviewPolicy {
    /// The date the review is due for a postmortem started on `start`.
    pub fn due(&self, start: NaiveDate) -> NaiveDate {
        if !self.business_days {
            return start + Duration::days(i64::from(self.days));
        }
        let mut day = start;
        let mut left = self.days;
        while left > 0 {
            day = day.succ_opt().unwrap_or(day);
            if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
                left -= 1;
            }
        }
        day
    }

    pub fn validate(&self) -> Result<ReviewPolicy> {
        crate::cockpit::level(self.severity)?;
        if !(1..=365).contains(&self.days) {
            return Err(Error::Invalid(format!(
                "a review takes 1 to 365 days, not {}",
                self.days
            )));
        }
        Ok(*self)
    }
}

/// Whether a review due on `due` is late on `today`. On the due date itself the engine
/// reminds once (`Store::claim_due_reviews`); after it the postmortem shows as overdue.
pub fn is_overdue(status: PostmortemStatus, due: Option<NaiveDate>, today: NaiveDate) -> bool {
    status.awaits_review() && due.is_some_and(|d| today > d)
}

/// A title: trimmed, one line, bounded.
pub(crate) fn title(text: &str) -> Result<String> {
    let one = crate::paging::one_line(text.trim(), MAX_TITLE_CHARS + 1);
    crate::cockpit::bounded(&one, "a postmortem's title", MAX_TITLE_CHARS)
}

/// A body within the size limit; any text is kept as written.
pub(crate) fn body(text: &str) -> Result<&str> {
    if text.len() > MAX_BODY_BYTES {
        return Err(Error::Invalid(format!(
            "a postmortem is at most {} KiB",
            MAX_BODY_BYTES / 1024
        )));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_workflow_moves_one_step_forward_or_back_to_draft() {
        use PostmortemStatus::*;
        assert!(Draft.can_become(InReview) && InReview.can_become(Reviewed));
        assert!(Reviewed.can_become(Closed) && Closed.can_become(Draft));
        assert!(!Draft.can_become(Closed) && !Draft.can_become(Draft));
        assert!(!Closed.can_become(Reviewed) && !InReview.can_become(Closed));
        assert_eq!(PostmortemStatus::parse("In review").unwrap(), InReview);
        assert_eq!(
            PostmortemStatus::parse("bogus").unwrap_err().code(),
            "invalid"
        );
    }

    #[test]
    fn business_days_skip_weekends() {
        let friday = date("2026-12-04");
        let sev2 = ReviewPolicy {
            severity: 2,
            days: 5,
            business_days: true,
        };
        assert_eq!(sev2.due(friday), date("2026-12-11"));
        let sev1 = ReviewPolicy {
            severity: 1,
            days: 3,
            business_days: false,
        };
        assert_eq!(sev1.due(friday), date("2026-12-07"));
        let one = ReviewPolicy { days: 1, ..sev2 };
        assert_eq!(one.due(friday), date("2026-12-07"), "Friday + 1 is Monday");
    }

    #[test]
    fn only_a_review_still_to_happen_is_overdue() {
        let due = Some(date("2026-12-04"));
        let after = date("2026-12-05");
        assert!(is_overdue(PostmortemStatus::InReview, due, after));
        assert!(!is_overdue(
            PostmortemStatus::InReview,
            due,
            date("2026-12-04")
        ));
        assert!(!is_overdue(PostmortemStatus::Reviewed, due, after));
        assert!(!is_overdue(PostmortemStatus::Draft, None, after));
    }

    #[test]
    fn action_items_are_bounded_and_links_are_http() {
        let input = ActionItemInput {
            description: "  Alert on queue depth ".into(),
            owner: Some(" ".into()),
            tracker_url: Some("https://tracker.example/T-1".into()),
            ..ActionItemInput::default()
        };
        let valid = input.validate().unwrap();
        assert_eq!(valid.description, "Alert on queue depth");
        assert_eq!(valid.owner, None);
        let bad = ActionItemInput {
            tracker_url: Some("javascript:alert(1)".into()),
            ..input
        };
        assert_eq!(bad.validate().unwrap_err().code(), "invalid");
        let piped = ActionItemInput {
            description: "Fix it".into(),
            tracker_url: Some("https://t.example/q?a=1|2".into()),
            ..ActionItemInput::default()
        };
        let url = piped.validate().unwrap().tracker_url.unwrap();
        assert_eq!(url, "https://t.example/q?a=1%7C2");
    }
}
