//! Communicating during an incident: stakeholder updates composed from templates, and the
//! incident published on Statuspage pages through the outbox.
//!
//! Two halves, one seam each:
//! - *Updates* (`template.rs`, `compose.rs`): [`draft_update`] is pure — the incident's facts,
//!   an audience's template and the author's fields in, an [`UpdateDraft`] out — so the
//!   window can redraw a preview at every keystroke. `Tocsin::publish_update` records the
//!   text on the cockpit, which puts it on the timeline and schedules the next update.
//! - *Status pages* (`statuspage.rs`): a page is a communication target, configured here with
//!   its API key in the OS keychain or an environment variable. `Tocsin::statuspage_preview`
//!   says exactly what will be published; `Tocsin::statuspage_publish` queues exactly that in
//!   the incident's account's outbox, which creates the Statuspage incident once and updates
//!   it afterwards (see `statuspage.rs` for how a resend stays exactly-once).
//!
//! The `Tocsin` methods are in `api.rs`; the SQL in `src/store/comms.rs`.

mod api;
pub mod compose;
pub mod statuspage;
pub mod template;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{Error, Result};
use crate::model::Id;

pub use compose::{draft_update, IncidentFacts};
pub use statuspage::{NewStatusPage, StatusLink, StatusPage, StatusRequest};
pub use template::{Placeholder, UpdateTemplate};

/// Who an update is for; each audience has its own template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Audience {
    /// People inside the company: responders, support, leadership.
    Internal,
    /// Customers: the status page, customer email.
    Customers,
}

impl Audience {
    pub const ALL: [Audience; 2] = [Audience::Internal, Audience::Customers];

    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Internal => "internal",
            Audience::Customers => "customers",
        }
    }

    pub fn parse(s: &str) -> Result<Audience> {
        (Self::ALL.into_iter())
            .find(|a| a.as_str() == s.trim())
            .ok_or_else(|| {
                let s = crate::paging::one_line(s, 40);
                Error::Invalid(format!(
                    "`{s}` is not an audience; use internal or customers"
                ))
            })
    }
}

/// How a rendered update is meant to be read, which decides how values are made text.
///
/// `text`: shown as typed; values lose control and text-direction characters, and one-line
/// values lose their line breaks. `markdown`: the same, and every punctuation character of a
/// value is backslash-escaped, so a value never becomes a link, emphasis, heading, list,
/// code or HTML. Only the template's own characters are markup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum TextFormat {
    Text,
    Markdown,
}

/// What the author says in an update; anything left out is marked as missing in the draft.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct UpdateFields {
    /// Who is affected and how.
    #[serde(default)]
    pub impact: Option<String>,
    /// Where the response is; defaults to words for the incident's status.
    #[serde(default)]
    pub status: Option<String>,
    /// What is being done.
    #[serde(default)]
    pub actions: Option<String>,
}

/// A rendered stakeholder update, ready to read, copy or publish.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct UpdateDraft {
    pub incident_id: Id,
    pub audience: Audience,
    pub format: TextFormat,
    /// One line.
    pub subject: String,
    pub body: String,
    /// When the next update is due if this one goes out now; `None` once resolved, or
    /// without a severity to take the cadence from.
    pub next_update_at: Option<DateTime<Utc>>,
    /// Placeholders the template uses that nobody filled (`impact`, `actions`, …): the
    /// draft shows a marker there, and the window should ask for them.
    pub missing: Vec<Placeholder>,
}

impl UpdateDraft {
    /// Subject and body as one text, as recorded on the cockpit and the timeline.
    pub fn text(&self) -> String {
        format!("{}\n\n{}", self.subject, self.body)
    }
}

/// What publishing an update did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PublishedUpdate {
    pub draft: UpdateDraft,
    /// The cockpit's record of it (kind `update`), also on the timeline.
    pub note: crate::cockpit::CockpitNote,
}
