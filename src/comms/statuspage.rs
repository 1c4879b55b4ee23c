//! Status pages as communication targets: their configuration, links from Tocsin incidents to
//! Statuspage incidents, and the outbox delivery that publishes a previewed draft.
//!
//! Exactly once. An entry is sent, then recorded; a crash between the two leaves it
//! `sending`, and the next sender gets it back marked as a resend. Statuspage has no
//! idempotency key; it stores an incident's `metadata`, but its search (`q`) reads only the
//! name, status, postmortem and updates, and the fake keeps no metadata. So a resend looks
//! for its first send by what that send must have left:
//! - a *create* resent searches the page's incidents by name and adopts one with exactly the
//!   draft's name whose first update has exactly the draft's message, created no earlier
//!   than the entry was queued (less [`CLOCK_SKEW`]), and not linked to another Tocsin
//!   incident. Only a person publishing the same words on the same page at the same time
//!   could be mistaken for it, and then adopting theirs is what both wanted.
//! - an *update* resent reads the incident first, and sends nothing when its newest update
//!   already has the draft's phase and message (created after the entry was queued, less the
//!   skew), its name and its components' statuses. Sending it again would in any case only
//!   repeat the message: the phase, impact and component statuses are set, not added.
//!
//! Which Statuspage incident a Tocsin incident is linked to is an explicit link if someone
//! made one, else what the last delivered entry for that page created or updated: the
//! entry's `result`, written in the transaction that finishes it, so the link can never be
//! lost between sending and recording.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{Error, Result};
use crate::model::{Id, TokenSource};
use crate::provider::statuspage::{
    Component, ComponentStatus, Impact, StatusDraft, StatusIncident, StatusPhase, StatusPreview,
    Statuspage,
};
use crate::provider::Delivery;
use crate::store::outbox::Claimed;
use crate::{secrets, Tocsin};

/// How far the server's clock may be behind ours when a resend compares its times with the
/// entry's queueing time.
pub const CLOCK_SKEW: Duration = Duration::minutes(5);

/// A Statuspage page Tocsin publishes to. Holds no secret: `key` says where the API key is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct StatusPage {
    pub id: Id,
    pub name: String,
    /// Such as `https://api.statuspage.io/v1`; there is no default.
    pub api_url: String,
    /// Statuspage's id of the page.
    pub page_id: String,
    /// `keychain` or `env`; never `none`.
    pub key: TokenSource,
    /// The page's components as last read, for previews made offline.
    pub components: Vec<Component>,
    pub components_read_at: Option<DateTime<Utc>>,
}

/// A page to add.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct NewStatusPage {
    pub name: String,
    pub api_url: String,
    pub page_id: String,
    /// `env` names the variable; `keychain` with the key given beside it stores it there.
    pub key: TokenSource,
}

/// Which Statuspage incident a Tocsin incident is published as, on one page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct StatusLink {
    pub incident_id: Id,
    pub page: Id,
    pub page_name: String,
    pub status_incident_id: String,
    /// True when someone linked it by hand; false when publishing created it.
    pub explicit: bool,
}

/// What a person asks to publish; the rest comes from the incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct StatusRequest {
    /// The Statuspage incident's name; defaults to the incident's title.
    #[serde(default)]
    pub name: Option<String>,
    pub phase: StatusPhase,
    pub impact: Impact,
    /// The update's message; defaults to the `customers` update, its status said for `phase`.
    #[serde(default)]
    pub body: Option<String>,
    /// Affected components by id, each with the status it should show now.
    #[serde(default)]
    pub components: Vec<(String, ComponentStatus)>,
    /// The author's fields for the default message.
    #[serde(default)]
    pub fields: super::UpdateFields,
}

/// What a phase means, in the words of the default message.
pub fn phase_words(phase: StatusPhase) -> &'static str {
    match phase {
        StatusPhase::Investigating => "We are investigating this issue.",
        StatusPhase::Identified => "We have identified the cause and are working on a fix.",
        StatusPhase::Monitoring => "A fix is in place and we are monitoring the results.",
        StatusPhase::Resolved => "This incident is resolved.",
    }
}

/// The draft a preview shows, so that what is queued is what was previewed.
pub fn draft_of(preview: &StatusPreview) -> StatusDraft {
    StatusDraft {
        name: preview.title.clone(),
        phase: preview.phase,
        impact: preview.impact,
        body: preview.body.clone(),
        components: (preview.components.iter())
            .map(|c| (c.id.clone(), c.status))
            .collect(),
    }
}

/// A client for one configured page, with its key from the keychain or the environment.
pub(crate) fn client(page: &StatusPage) -> Result<Statuspage> {
    let key = secrets::page_key(page.id, &page.name, &page.key)?;
    let client = Statuspage::new(&page.api_url, &page.page_id, &key)?;
    Ok(client.with_known_components(page.components.clone()))
}

/// Sends one outbox entry: creates the incident's Statuspage incident, or updates the one it
/// is linked to. The result names the Statuspage incident, which links it from then on.
pub(crate) async fn deliver(
    tocsin: &Tocsin,
    entry: &Claimed,
    page: Id,
    draft: &StatusDraft,
) -> Result<Delivery> {
    let incident = (entry.incident_id)
        .ok_or_else(|| Error::Invalid("a status update must name its incident".into()))?;
    let config = tocsin.store().status_page(page)?;
    let client = client(&config)?;
    let linked = tocsin.store().status_link(incident, page)?;

    let id = match linked {
        Some(link) => update(&client, entry, &link.status_incident_id, draft).await?,
        None => create(tocsin, &client, entry, (incident, page), draft).await?,
    };
    let (page, phase) = (&config.name, draft.phase.as_str());
    tracing::info!(outbox = entry.id, %page, status_incident = %id, phase, "published");
    Ok(Delivery::Done {
        result: Some(id),
        incident: None,
    })
}

async fn create(
    tocsin: &Tocsin,
    client: &Statuspage,
    entry: &Claimed,
    (incident, page): (Id, Id),
    draft: &StatusDraft,
) -> Result<String> {
    if entry.resend {
        let found = client.search_incidents(&draft.name).await?;
        for candidate in found.iter().filter(|c| is_first_send(c, entry, draft)) {
            let taken =
                (tocsin.store()).status_incident_linked_elsewhere(page, &candidate.id, incident)?;
            if !taken {
                let found = &candidate.id;
                tracing::info!(outbox = entry.id, status_incident = %found, "first send found");
                return Ok(found.clone());
            }
        }
    }
    Ok(client.create_incident(draft).await?.id)
}

async fn update(
    client: &Statuspage,
    entry: &Claimed,
    id: &str,
    draft: &StatusDraft,
) -> Result<String> {
    if entry.resend {
        let current = client.incident(id).await?;
        if is_published(&current, entry, draft) {
            tracing::info!(
                outbox = entry.id,
                status_incident = id,
                "resend: already published"
            );
            return Ok(id.to_owned());
        }
    }
    Ok(client.update_incident(id, draft).await?.id)
}

/// Whether `candidate` is what this entry's first send created.
fn is_first_send(candidate: &StatusIncident, entry: &Claimed, draft: &StatusDraft) -> bool {
    let since = entry.queued_at - CLOCK_SKEW;
    let first = candidate.updates.last();
    candidate.name == draft.name
        && candidate.created_at.is_some_and(|at| at >= since)
        && first.is_none_or(|u| u.body.trim() == draft.body.trim())
}

/// Whether the incident already says what `draft` says, since this entry was queued.
fn is_published(current: &StatusIncident, entry: &Claimed, draft: &StatusDraft) -> bool {
    let since = entry.queued_at - CLOCK_SKEW;
    let Some(newest) = current.updates.first() else {
        return false;
    };
    let components = (draft.components.iter()).all(|(id, status)| {
        (current.components.iter()).any(|c| &c.id == id && c.status == Some(*status))
    });
    newest.created_at.is_some_and(|at| at >= since)
        && newest.phase == Some(draft.phase)
        && newest.body.trim() == draft.body.trim()
        && current.name == draft.name
        && components
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Write;
    use crate::provider::statuspage::StatusUpdate;

    fn entry(queued_at: DateTime<Utc>) -> Claimed {
        Claimed {
            id: 1,
            account_id: 1,
            incident_id: Some(1),
            incident_provider_id: None,
            write: Write::Statuspage {
                page: 1,
                draft: draft(),
            },
            key: "k".into(),
            author: "Ana".into(),
            queued_at,
            resend: true,
            earlier_result: None,
            earlier_results: Vec::new(),
            claimed_at: String::new(),
        }
    }

    fn draft() -> StatusDraft {
        StatusDraft {
            name: "API errors".into(),
            phase: StatusPhase::Identified,
            impact: Impact::Major,
            body: "Found it.".into(),
            components: vec![("c1".into(), ComponentStatus::PartialOutage)],
        }
    }

    fn incident(created: DateTime<Utc>, body: &str, phase: StatusPhase) -> StatusIncident {
        StatusIncident {
            id: "sp1".into(),
            name: "API errors".into(),
            phase: Some(phase),
            raw_status: phase.as_str().into(),
            impact: Some(Impact::Major),
            raw_impact: "major".into(),
            components: vec![Component {
                id: "c1".into(),
                name: "API".into(),
                status: Some(ComponentStatus::PartialOutage),
                raw_status: "partial_outage".into(),
                group_id: None,
                position: None,
            }],
            updates: vec![StatusUpdate {
                id: "u1".into(),
                phase: Some(phase),
                raw_status: phase.as_str().into(),
                body: body.into(),
                created_at: Some(created),
            }],
            created_at: Some(created),
            updated_at: Some(created),
            resolved_at: None,
            shortlink: None,
        }
    }

    #[test]
    fn a_resend_adopts_only_an_incident_its_first_send_could_have_made() {
        let now = Utc::now();
        let e = entry(now);
        let phase = StatusPhase::Identified;
        assert!(is_first_send(
            &incident(now, "Found it.", phase),
            &e,
            &draft()
        ));
        let skewed = now - Duration::minutes(2);
        assert!(is_first_send(
            &incident(skewed, "Found it.", phase),
            &e,
            &draft()
        ));
        let older = now - Duration::hours(1);
        assert!(!is_first_send(
            &incident(older, "Found it.", phase),
            &e,
            &draft()
        ));
        assert!(!is_first_send(
            &incident(now, "Other words.", phase),
            &e,
            &draft()
        ));
        let mut renamed = incident(now, "Found it.", phase);
        renamed.name = "API errors (EU)".into();
        assert!(!is_first_send(&renamed, &e, &draft()));
    }

    #[test]
    fn a_resent_update_is_skipped_only_when_the_page_says_it_already() {
        let now = Utc::now();
        let e = entry(now);
        assert!(is_published(
            &incident(now, "Found it.", StatusPhase::Identified),
            &e,
            &draft()
        ));
        let earlier = incident(now, "Found it.", StatusPhase::Investigating);
        assert!(!is_published(&earlier, &e, &draft()));
        let old = incident(
            now - Duration::hours(1),
            "Found it.",
            StatusPhase::Identified,
        );
        assert!(!is_published(&old, &e, &draft()));
        let mut other = incident(now, "Found it.", StatusPhase::Identified);
        other.components[0].status = Some(ComponentStatus::MajorOutage);
        assert!(!is_published(&other, &e, &draft()));
    }

    #[test]
    fn what_is_queued_is_what_was_previewed() {
        let components = incident(Utc::now(), "", StatusPhase::Identified).components;
        let mut d = draft();
        d.body = "Tabs\tand\r\nlines".into();
        let preview = crate::provider::statuspage::preview(&d, &components);
        let queued = draft_of(&preview);
        assert_eq!(
            crate::provider::statuspage::preview(&queued, &components),
            preview
        );
        assert_eq!(queued.body, preview.body);
    }
}
