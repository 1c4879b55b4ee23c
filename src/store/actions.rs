//! Responder actions applied to the cache: in the local workspace these are the whole story;
//! for providers they are the optimistic half of an outbox entry (see `store::outbox`).

use chrono::Utc;
use rusqlite::{params, OptionalExtension, Transaction};

use super::{ts, Store};
use crate::error::{Error, Result};
use crate::model::{
    Action, ActionKind, Id, Incident, IncidentStatus, Person, ProviderKind, Urgency,
};

/// The longest note kept, in characters.
pub const MAX_NOTE_CHARS: usize = 10_000;
/// PagerDuty snoozes for at most a week.
pub const MAX_SNOOZE_MINUTES: u32 = 7 * 24 * 60;

impl Store {
    /// Applies `action` to the cached incident and writes its timeline entry, in one
    /// transaction. Used as is in the local workspace; providers go through the outbox.
    pub fn apply_action(&self, incident_id: Id, action: &Action, by: &str) -> Result<()> {
        let incident = self.incident_row(incident_id)?;
        check(&incident, action)?;

        let mut conn = self.conn();
        let tx = conn.transaction()?;
        apply_in(&tx, &incident, action, by, None)?;
        tx.commit()?;
        Ok(())
    }
}

/// Whether `action` makes sense for `incident` at its provider; nothing changes when it does
/// not, and the message says why in the person's terms.
pub fn check(incident: &Incident, action: &Action) -> Result<()> {
    let resolved = incident.status == IncidentStatus::Resolved;
    if resolved && !matches!(action, Action::Note { .. }) {
        return Err(Error::Invalid("the incident is resolved already".into()));
    }
    check_for_provider(incident, action)?;

    match action {
        Action::Note { text } => note_text(text).map(|_| ()),
        // A second silence would outlive the resolve that lifts the first.
        Action::Acknowledge
            if incident.provider == ProviderKind::Alertmanager
                && incident.status == IncidentStatus::Acknowledged =>
        {
            Err(Error::Invalid(
                "the alert is acknowledged (silenced) already".into(),
            ))
        }
        Action::Escalate { level } if *level == 0 => {
            Err(Error::Invalid("escalation levels start at 1".into()))
        }
        Action::Reassign { user_id } if user_id.trim().is_empty() => {
            Err(Error::Invalid("say who to reassign the incident to".into()))
        }
        Action::Snooze { minutes } if !(1..=MAX_SNOOZE_MINUTES).contains(minutes) => Err(
            Error::Invalid(format!("snooze for 1 to {MAX_SNOOZE_MINUTES} minutes")),
        ),
        Action::Snooze { .. }
            if incident.provider == ProviderKind::Pagerduty
                && incident.status != IncidentStatus::Acknowledged =>
        {
            Err(Error::Invalid(
                "acknowledge the incident before snoozing it".into(),
            ))
        }
        Action::SetPriority { priority_id } if priority_id.trim().is_empty() => {
            Err(Error::Invalid("say which priority".into()))
        }
        _ => Ok(()),
    }
}

/// The kinds of action [`check`] lets through for `incident` now, for a window that offers
/// only what will be taken. Each kind is tried with a valid stand-in argument, so this stays
/// the same rule as `check` itself.
pub fn offered_actions(incident: &Incident) -> Vec<ActionKind> {
    let other_urgency = match incident.urgency {
        Urgency::High => Urgency::Low,
        Urgency::Low => Urgency::High,
    };
    let samples = [
        (ActionKind::Acknowledge, Action::Acknowledge),
        (ActionKind::Resolve, Action::Resolve),
        (ActionKind::Note, Action::Note { text: "n".into() }),
        (ActionKind::Escalate, Action::Escalate { level: 1 }),
        (
            ActionKind::Reassign,
            Action::Reassign {
                user_id: "u".into(),
            },
        ),
        (ActionKind::Snooze, Action::Snooze { minutes: 60 }),
        (
            ActionKind::SetUrgency,
            Action::SetUrgency {
                urgency: other_urgency,
            },
        ),
        (
            ActionKind::SetPriority,
            Action::SetPriority {
                priority_id: "p".into(),
            },
        ),
    ];
    samples
        .into_iter()
        .filter(|(_, action)| check(incident, action).is_ok())
        .map(|(kind, _)| kind)
        .collect()
}

fn check_for_provider(incident: &Incident, action: &Action) -> Result<()> {
    let supported = match incident.provider {
        ProviderKind::Pagerduty => true,
        ProviderKind::Alertmanager => matches!(
            action,
            Action::Acknowledge | Action::Resolve | Action::Snooze { .. } | Action::Note { .. }
        ),
        ProviderKind::Local => matches!(
            action,
            Action::Acknowledge | Action::Resolve | Action::Note { .. } | Action::SetUrgency { .. }
        ),
    };
    if supported {
        return Ok(());
    }
    let why = match incident.provider {
        ProviderKind::Alertmanager => "Alertmanager has no escalation, assignment or priority",
        _ => "the local workspace has no escalation policies, people or priorities",
    };
    Err(Error::Invalid(format!("cannot {}: {why}", action.verb())))
}

/// Changes the cached incident as `action` will once the provider has it, and writes the
/// timeline entry (pointing at its outbox row, if any). The caller owns the transaction.
pub(crate) fn apply_in(
    tx: &Transaction<'_>,
    incident: &Incident,
    action: &Action,
    by: &str,
    outbox_id: Option<Id>,
) -> Result<()> {
    let now = ts(Utc::now());
    effect(tx, incident.id, incident.provider, action, &now)?;

    let summary = summary(tx, incident, action, by)?;
    tx.execute(
        "INSERT INTO log_entries (incident_id, provider_id, kind, at, summary, agent, outbox_id)
         VALUES (?1, NULL, ?2, ?3, ?4, ?5, ?6)",
        params![incident.id, action.verb(), now, summary, by, outbox_id],
    )?;
    Ok(())
}

/// The change to the incident row alone. Also replayed over each sync pass for actions still
/// in the outbox, so a pass that read the provider before it had the action does not undo
/// what the person sees.
pub(crate) fn effect(
    tx: &Transaction<'_>,
    incident_id: Id,
    provider: ProviderKind,
    action: &Action,
    now: &str,
) -> Result<()> {
    match action {
        Action::Acknowledge => {
            tx.execute(
                "UPDATE incidents SET status = 'acknowledged', raw_status = NULL,
                        acknowledged_at = COALESCE(acknowledged_at, ?2), updated_at = ?2
                 WHERE id = ?1 AND status != 'resolved'",
                params![incident_id, now],
            )?;
        }
        // Alertmanager cannot resolve an alert that still fires; Tocsin lifts the silence its
        // acknowledgement made, and the alert resolves when it stops firing.
        Action::Resolve if provider == ProviderKind::Alertmanager => {
            tx.execute(
                "UPDATE incidents SET status = 'triggered', updated_at = ?2
                 WHERE id = ?1 AND status = 'acknowledged'",
                params![incident_id, now],
            )?;
        }
        Action::Resolve => {
            tx.execute(
                "UPDATE incidents SET status = 'resolved', raw_status = NULL,
                        resolved_at = COALESCE(resolved_at, ?2), updated_at = ?2
                 WHERE id = ?1",
                params![incident_id, now],
            )?;
        }
        Action::SetUrgency { urgency } => {
            tx.execute(
                "UPDATE incidents SET urgency = ?2 WHERE id = ?1",
                params![incident_id, urgency.as_str()],
            )?;
        }
        Action::SetPriority { priority_id } => {
            tx.execute(
                "UPDATE incidents SET priority = COALESCE(
                     (SELECT p.name FROM priorities p JOIN incidents i
                        ON i.account_id = p.account_id
                      WHERE i.id = ?1 AND p.provider_id = ?2), priority)
                 WHERE id = ?1",
                params![incident_id, priority_id],
            )?;
        }
        Action::Reassign { user_id } => {
            let person = cached_person(tx, incident_id, user_id)?;
            let assignees = serde_json::to_string(&[person]).unwrap_or_else(|_| "[]".into());
            tx.execute(
                "UPDATE incidents SET assignees = ?2 WHERE id = ?1",
                params![incident_id, assignees],
            )?;
        }
        Action::Note { .. } | Action::Escalate { .. } | Action::Snooze { .. } => {}
    }
    Ok(())
}

/// The timeline line for an action.
fn summary(tx: &Transaction<'_>, incident: &Incident, action: &Action, by: &str) -> Result<String> {
    let text = match action {
        Action::Acknowledge if incident.provider == ProviderKind::Alertmanager => {
            format!("Acknowledged by {by} (silenced in Alertmanager)")
        }
        Action::Acknowledge => format!("Acknowledged by {by}"),
        Action::Resolve if incident.provider == ProviderKind::Alertmanager => {
            format!("Silence lifted by {by}; the alert resolves when it stops firing")
        }
        Action::Resolve => format!("Resolved by {by}"),
        Action::Note { text } => note_text(text)?,
        Action::Escalate { level } => format!("Escalated to level {level} by {by}"),
        Action::Reassign { user_id } => {
            let person = cached_person(tx, incident.id, user_id)?;
            format!("Reassigned to {} by {by}", person.name)
        }
        Action::Snooze { minutes } => format!("Snoozed for {minutes} min by {by}"),
        Action::SetUrgency { urgency } => {
            format!("Urgency changed to {} by {by}", urgency.as_str())
        }
        Action::SetPriority { priority_id } => {
            let name: Option<String> = tx
                .query_row(
                    "SELECT name FROM priorities WHERE account_id = ?1 AND provider_id = ?2",
                    params![incident.account_id, priority_id],
                    |r| r.get(0),
                )
                .optional()?;
            let name = name.unwrap_or_else(|| priority_id.clone());
            format!("Priority changed to {name} by {by}")
        }
    };
    Ok(text)
}

/// A person from the cached directory, or one named by the id alone.
fn cached_person(tx: &Transaction<'_>, incident_id: Id, user_id: &str) -> Result<Person> {
    let found = tx
        .query_row(
            "SELECT u.name, u.email FROM users u JOIN incidents i ON i.account_id = u.account_id
             WHERE i.id = ?1 AND u.provider_id = ?2",
            params![incident_id, user_id],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?)),
        )
        .optional()?;
    let (name, email) = found.unwrap_or_else(|| (user_id.to_string(), None));
    Ok(Person {
        provider_id: user_id.to_string(),
        name,
        email,
    })
}

fn note_text(text: &str) -> Result<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::Invalid("a note needs some text".into()));
    }
    if text.chars().count() > MAX_NOTE_CHARS {
        return Err(Error::Invalid(format!(
            "a note is at most {MAX_NOTE_CHARS} characters"
        )));
    }
    Ok(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::store_with_drill as drill;

    #[test]
    fn acknowledge_note_resolve_each_land_on_the_timeline() {
        let (_dir, store, id) = drill();
        store.apply_action(id, &Action::Acknowledge, "You").unwrap();
        store
            .apply_action(
                id,
                &Action::Note {
                    text: " Rolled back 4f2a ".into(),
                },
                "You",
            )
            .unwrap();
        store.apply_action(id, &Action::Resolve, "You").unwrap();

        let detail = store.incident_detail(id).unwrap();
        assert_eq!(detail.incident.status, IncidentStatus::Resolved);
        assert!(detail.incident.acknowledged_at.is_some() && detail.incident.resolved_at.is_some());
        let kinds: Vec<&str> = detail.timeline.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["trigger", "acknowledge", "annotate", "resolve"]);
        assert_eq!(detail.timeline[2].summary, "Rolled back 4f2a");
    }

    #[test]
    fn offered_actions_follow_the_provider_and_the_status() {
        let (_dir, store, id) = drill();
        let mut incident = store.incident_row(id).unwrap();
        use ActionKind as K;
        let all_local = [K::Acknowledge, K::Resolve, K::Note, K::SetUrgency];
        assert_eq!(offered_actions(&incident), all_local);

        incident.provider = ProviderKind::Alertmanager;
        assert_eq!(
            offered_actions(&incident),
            [K::Acknowledge, K::Resolve, K::Note, K::Snooze]
        );

        incident.provider = ProviderKind::Pagerduty;
        let offered = offered_actions(&incident);
        assert!(
            !offered.contains(&K::Snooze),
            "snooze waits for an acknowledgement"
        );
        assert!(offered.contains(&K::Reassign) && offered.contains(&K::SetPriority));
        incident.status = IncidentStatus::Acknowledged;
        assert!(offered_actions(&incident).contains(&K::Snooze));

        incident.status = IncidentStatus::Resolved;
        assert_eq!(offered_actions(&incident), [K::Note]);
    }

    #[test]
    fn refused_actions_change_nothing() {
        let (_dir, store, id) = drill();
        let escalate = Action::Escalate { level: 2 };
        assert!(store
            .apply_action(id, &escalate, "You")
            .unwrap_err()
            .to_string()
            .contains("local workspace has no escalation"));

        store.apply_action(id, &Action::Resolve, "You").unwrap();
        let before = store.incident_detail(id).unwrap();
        for action in [
            Action::Acknowledge,
            Action::Resolve,
            Action::Note { text: "  ".into() },
        ] {
            let err = store.apply_action(id, &action, "You").unwrap_err();
            assert_eq!(err.code(), "invalid", "{action:?}");
        }
        assert_eq!(store.incident_detail(id).unwrap(), before);
    }
}
