//! Responder actions applied to the cache: in the local workspace these are the whole story;
//! for providers they will be the optimistic half of an outbox entry.

use chrono::Utc;
use rusqlite::params;

use super::{ts, Store};
use crate::error::{Error, Result};
use crate::model::{Action, Id, IncidentStatus};

/// The longest note kept, in characters.
pub const MAX_NOTE_CHARS: usize = 10_000;

impl Store {
    /// Applies `action` to the cached incident and writes its timeline entry, in one
    /// transaction. Acknowledging a resolved incident, or resolving one twice, is refused.
    pub fn apply_action(&self, incident_id: Id, action: &Action, by: &str) -> Result<()> {
        let incident = self.incident_row(incident_id)?;
        let now = ts(Utc::now());
        let mut conn = self.conn();
        let tx = conn.transaction()?;

        let (kind, summary) = match action {
            Action::Acknowledge => {
                if incident.status == IncidentStatus::Resolved {
                    return Err(Error::Invalid("the incident is resolved already".into()));
                }
                tx.execute(
                    "UPDATE incidents SET status = 'acknowledged', raw_status = NULL,
                            acknowledged_at = COALESCE(acknowledged_at, ?2), updated_at = ?2
                     WHERE id = ?1",
                    params![incident_id, now],
                )?;
                ("acknowledge", format!("Acknowledged by {by}"))
            }
            Action::Resolve => {
                if incident.status == IncidentStatus::Resolved {
                    return Err(Error::Invalid("the incident is resolved already".into()));
                }
                tx.execute(
                    "UPDATE incidents SET status = 'resolved', raw_status = NULL,
                            resolved_at = ?2, updated_at = ?2
                     WHERE id = ?1",
                    params![incident_id, now],
                )?;
                ("resolve", format!("Resolved by {by}"))
            }
            Action::Note { text } => ("annotate", note_text(text)?),
        };

        tx.execute(
            "INSERT INTO log_entries (incident_id, provider_id, kind, at, summary, agent)
             VALUES (?1, NULL, ?2, ?3, ?4, ?5)",
            params![incident_id, kind, now, summary, by],
        )?;
        tx.commit()?;
        Ok(())
    }
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
    fn refused_actions_change_nothing() {
        let (_dir, store, id) = drill();
        store.apply_action(id, &Action::Resolve, "You").unwrap();
        let before = store.incident_detail(id).unwrap();
        assert_eq!(
            store
                .apply_action(id, &Action::Acknowledge, "You")
                .unwrap_err()
                .code(),
            "invalid"
        );
        assert_eq!(
            store
                .apply_action(id, &Action::Resolve, "You")
                .unwrap_err()
                .code(),
            "invalid"
        );
        let empty = Action::Note { text: "  ".into() };
        assert_eq!(
            store.apply_action(id, &empty, "You").unwrap_err().code(),
            "invalid"
        );
        assert_eq!(store.incident_detail(id).unwrap(), before);
    }
}
