//! Composing a stakeholder update: the incident's facts and the author's fields, poured into
//! an audience's template. Pure: no store, no clock, no network.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{Audience, Placeholder, UpdateDraft, UpdateFields, UpdateTemplate};
use crate::cockpit::Severity;
use crate::model::{Id, IncidentStatus};

/// Everything about the incident an update may say, gathered by `Tocsin::draft_update`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct IncidentFacts {
    pub incident_id: Id,
    pub title: String,
    /// `#12`, or the provider's id when the incident has no number.
    pub label: String,
    pub status: IncidentStatus,
    /// The cockpit's severity, else the incident's own, with its meaning and cadence.
    pub severity: Option<Severity>,
    pub commander: Option<String>,
    /// When the update is drafted: the next one is due a cadence after this.
    pub now: DateTime<Utc>,
}

/// Renders `template` for `audience` from the incident's facts and the author's fields.
pub fn draft_update(
    facts: &IncidentFacts,
    audience: Audience,
    template: &UpdateTemplate,
    fields: &UpdateFields,
) -> UpdateDraft {
    let next_update_at = next_update(facts);
    let used = template.placeholders();
    let missing: Vec<Placeholder> = (used.into_iter())
        .filter(|p| author_field(fields, *p).is_some_and(|f| f.is_none()))
        .collect();

    let (subject, body) = template.render(|p| value(facts, fields, next_update_at, p));
    UpdateDraft {
        incident_id: facts.incident_id,
        audience,
        format: template.format,
        subject,
        body,
        next_update_at,
        missing,
    }
}

/// A resolved incident gets no further update; otherwise the severity's cadence decides.
fn next_update(facts: &IncidentFacts) -> Option<DateTime<Utc>> {
    if facts.status == IncidentStatus::Resolved {
        return None;
    }
    let every = facts.severity.as_ref()?.update_every_minutes;
    Some(facts.now + Duration::minutes(every.into()))
}

/// For a placeholder the author fills: `Some(the field)`, blank counting as not given.
fn author_field(fields: &UpdateFields, p: Placeholder) -> Option<Option<&str>> {
    let field = match p {
        Placeholder::Impact => &fields.impact,
        Placeholder::Actions => &fields.actions,
        _ => return None,
    };
    Some(field.as_deref().map(str::trim).filter(|f| !f.is_empty()))
}

fn value(
    facts: &IncidentFacts,
    fields: &UpdateFields,
    next: Option<DateTime<Utc>>,
    p: Placeholder,
) -> String {
    let severity = facts.severity.as_ref();
    match p {
        Placeholder::Title => facts.title.clone(),
        Placeholder::Incident => facts.label.clone(),
        Placeholder::Severity => severity.map_or_else(|| "severity not set".into(), Severity::name),
        Placeholder::SeverityMeaning => {
            severity.map_or_else(|| "not set".into(), |s| s.meaning.clone())
        }
        Placeholder::Impact | Placeholder::Actions => {
            let given = author_field(fields, p).flatten();
            given.map_or_else(|| format!("[{} not stated]", p.as_str()), str::to_owned)
        }
        Placeholder::Status => (fields.status.as_deref().map(str::trim))
            .filter(|s| !s.is_empty())
            .map_or_else(|| status_words(facts.status).into(), str::to_owned),
        Placeholder::NextUpdate => match next {
            Some(at) => at.format("%Y-%m-%d %H:%M UTC").to_string(),
            None if facts.status == IncidentStatus::Resolved => "none: this is resolved".into(),
            None => "not scheduled".into(),
        },
        Placeholder::Commander => {
            (facts.commander.clone()).unwrap_or_else(|| "not assigned".into())
        }
    }
}

/// The incident's status in the words an update uses.
fn status_words(status: IncidentStatus) -> &'static str {
    match status {
        IncidentStatus::Triggered => "We are investigating.",
        IncidentStatus::Acknowledged => "We are investigating; responders are on it.",
        IncidentStatus::Resolved => "Resolved.",
        IncidentStatus::Unknown => "Ongoing.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cockpit::severity;

    fn facts(status: IncidentStatus) -> IncidentFacts {
        IncidentFacts {
            incident_id: 7,
            title: "Checkout <b>down</b>".into(),
            label: "#12".into(),
            status,
            severity: Some(severity::defaults()[1].clone()),
            commander: Some("Ana".into()),
            now: DateTime::parse_from_rfc3339("2026-12-04T10:00:00Z")
                .unwrap()
                .into(),
        }
    }

    #[test]
    fn an_internal_update_says_everything_and_when_the_next_is_due() {
        let fields = UpdateFields {
            impact: Some("EU customers cannot pay".into()),
            status: None,
            actions: Some("Rolling back 4f2a".into()),
        };
        let template = UpdateTemplate::default_for(Audience::Internal);
        let d = draft_update(
            &facts(IncidentStatus::Acknowledged),
            Audience::Internal,
            &template,
            &fields,
        );
        assert_eq!(d.subject, r"[SEV\-2] Checkout \<b\>down\<\/b\>");
        assert!(d.body.contains("EU customers cannot pay"), "{}", d.body);
        assert!(d.body.contains("Rolling back 4f2a"));
        assert!(d.body.contains("Ana") && d.body.contains("\\#12"));
        assert!(
            d.body.contains(r"2026\-12\-04 11\:00 UTC"),
            "SEV-2 updates hourly: {}",
            d.body
        );
        assert_eq!(
            d.next_update_at.unwrap().to_rfc3339(),
            "2026-12-04T11:00:00+00:00"
        );
        assert!(d.missing.is_empty());
    }

    #[test]
    fn missing_fields_are_marked_and_listed() {
        let template = UpdateTemplate::default_for(Audience::Customers);
        let d = draft_update(
            &facts(IncidentStatus::Triggered),
            Audience::Customers,
            &template,
            &UpdateFields {
                impact: Some("  ".into()),
                ..UpdateFields::default()
            },
        );
        assert_eq!(d.missing, [Placeholder::Impact, Placeholder::Actions]);
        assert!(d.body.contains("[impact not stated]"), "{}", d.body);
        assert!(d.body.starts_with("We are investigating."), "{}", d.body);
        assert_eq!(
            d.subject, "Checkout <b>down</b>",
            "plain text keeps what was typed"
        );
    }

    #[test]
    fn a_resolved_incident_schedules_no_next_update() {
        let template = UpdateTemplate::default_for(Audience::Customers);
        let d = draft_update(
            &facts(IncidentStatus::Resolved),
            Audience::Customers,
            &template,
            &UpdateFields::default(),
        );
        assert_eq!(d.next_update_at, None);
        assert!(d.body.contains("none: this is resolved"), "{}", d.body);
    }
}
