//! Cockpit timers: delegated tasks and stakeholder-update reminders, fired exactly once.
//!
//! How a notifier uses them (the same protocol as the page ledger in `apply.rs`):
//!
//! 1. Every few seconds, `claim_due_timers(now)` returns the timers that are due and not
//!    claimed; the claim is written before the call returns, so another process (or another
//!    handle on the same file) calling it at the same moment gets none of them.
//! 2. Show each notification, then call `mark_timer_fired(id)`; the firing goes on the
//!    incident's timeline and the timer stops being pending.
//! 3. If showing fails, `release_timer(id)`, and the next claim returns it again at once.
//!
//! A claim that is neither fired nor released (its process died) is taken over after
//! `CLAIM_GRACE`: a crash delays a reminder but does not lose it. A crash between showing
//! and marking shows it twice, which is preferred to a miss.
//!
//! Once an incident is resolved its stakeholder-update reminder neither fires nor is listed
//! (nobody waits for updates after the all clear); task timers still fire, since clean-up
//! work outlives the incident.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};

use super::cockpit::{log_event, require_cockpit, write_tx};
use super::{parse_ts, ts, Store};
use crate::cockpit::{self, Timer, TimerKind, MAX_LABEL_CHARS, MAX_TIMER_MINUTES};
use crate::error::{Error, Result};
use crate::model::Id;

/// How long an unfired claim protects a timer from being claimed again.
pub const CLAIM_GRACE: Duration = Duration::seconds(30);

const TIMER_COLUMNS: &str = "t.id, t.incident_id, i.title, t.kind, t.label, t.owner, t.due_at,
    t.created_at, t.fired_at, t.cancelled_at";

impl Store {
    /// A delegated task: `label`, owned by `owner`, due in `minutes`.
    pub fn add_timer(
        &self,
        incident: Id,
        label: &str,
        owner: &str,
        minutes: u32,
        by: &str,
    ) -> Result<Timer> {
        let label = cockpit::bounded(label, "a timer's label", MAX_LABEL_CHARS)?;
        let owner = cockpit::person(owner)?;
        let by = cockpit::person(by)?;
        if !(1..=MAX_TIMER_MINUTES).contains(&minutes) {
            return Err(Error::Invalid(format!(
                "a timer runs 1 to {MAX_TIMER_MINUTES} minutes, not {minutes}"
            )));
        }

        let now = Utc::now();
        let due = now + Duration::minutes(minutes.into());
        let id = {
            let mut conn = self.conn();
            let tx = write_tx(&mut conn)?;
            require_cockpit(&tx, incident)?;
            let id = insert(
                &tx,
                incident,
                TimerKind::Task,
                &label,
                Some(&owner),
                due,
                now,
            )?;
            let summary = format!("Task for {owner}: {label} (due in {minutes} min)");
            log_event(&tx, incident, "cockpit_timer", &summary, &by, now)?;
            tx.commit()?;
            id
        };
        self.timer(id)
    }

    /// One timer, whatever its state.
    pub fn timer(&self, id: Id) -> Result<Timer> {
        let conn = self.conn();
        let sql = format!(
            "SELECT {TIMER_COLUMNS} FROM cockpit_timers t JOIN incidents i ON i.id = t.incident_id
             WHERE t.id = ?1"
        );
        conn.query_row(&sql, [id], timer_from_row)
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("timer {id}")))
    }

    /// Pending timers (neither fired nor cancelled), soonest first; of one incident or all.
    /// A resolved incident's stakeholder-update reminder is left out: after the all clear
    /// nobody waits for an update.
    pub fn timers(&self, incident: Option<Id>) -> Result<Vec<Timer>> {
        let conn = self.conn();
        if let Some(incident) = incident {
            require_cockpit(&conn, incident)?;
        }
        pending(&conn, incident)
    }

    /// Cancels a pending timer; the cancellation goes on the timeline.
    pub fn cancel_timer(&self, id: Id, by: &str) -> Result<Timer> {
        let by = cockpit::person(by)?;
        let timer = self.timer(id)?;
        if timer.fired_at.is_some() || timer.cancelled_at.is_some() {
            return Err(Error::Invalid(format!("timer {id} is not pending")));
        }

        let now = Utc::now();
        {
            let mut conn = self.conn();
            let tx = write_tx(&mut conn)?;
            let changed = tx.execute(
                "UPDATE cockpit_timers SET cancelled_at = ?2
                 WHERE id = ?1 AND fired_at IS NULL AND cancelled_at IS NULL",
                params![id, ts(now)],
            )?;
            // It fired or was cancelled between the read above and this transaction.
            if changed == 0 {
                return Err(Error::Invalid(format!("timer {id} is not pending")));
            }
            let summary = format!("Timer cancelled: {}", timer.label);
            log_event(
                &tx,
                timer.incident_id,
                "cockpit_timer_cancelled",
                &summary,
                &by,
                now,
            )?;
            tx.commit()?;
        }
        self.timer(id)
    }

    /// Claims every pending timer due at `now` that is not claimed, or whose claim is older
    /// than `CLAIM_GRACE`. Each due timer is returned by exactly one call, across processes,
    /// until it is released or its claim goes stale. See the module documentation.
    pub fn claim_due_timers(&self, now: DateTime<Utc>) -> Result<Vec<Timer>> {
        let ids: Vec<Id> = {
            let mut conn = self.conn();
            let tx = write_tx(&mut conn)?;
            let ids = {
                let mut stmt = tx.prepare_cached(
                    "UPDATE cockpit_timers AS t SET claimed_at = ?1
                     WHERE t.fired_at IS NULL AND t.cancelled_at IS NULL AND t.due_at <= ?1
                       AND (t.claimed_at IS NULL OR t.claimed_at <= ?2)
                       AND NOT (t.kind = 'update' AND EXISTS (
                           SELECT 1 FROM incidents r WHERE r.id = t.incident_id
                                                       AND r.status = 'resolved'))
                     RETURNING id",
                )?;
                let rows = stmt.query_map(params![ts(now), ts(now - CLAIM_GRACE)], |r| r.get(0))?;
                rows.collect::<Result<Vec<Id>, _>>()?
            };
            tx.commit()?;
            ids
        };
        if !ids.is_empty() {
            tracing::debug!(count = ids.len(), "claimed due timers");
        }

        let mut timers = ids
            .into_iter()
            .map(|id| self.timer(id))
            .collect::<Result<Vec<_>>>()?;
        timers.sort_by_key(|t| (t.due_at, t.id));
        Ok(timers)
    }

    /// Records that a claimed timer's notification was shown; the firing goes on the
    /// timeline once, however often this is called.
    pub fn mark_timer_fired(&self, id: Id) -> Result<()> {
        let timer = self.timer(id)?;
        let now = Utc::now();
        let mut conn = self.conn();
        let tx = write_tx(&mut conn)?;
        let changed = tx.execute(
            "UPDATE cockpit_timers SET fired_at = ?2
             WHERE id = ?1 AND fired_at IS NULL AND cancelled_at IS NULL",
            params![id, ts(now)],
        )?;
        if changed == 1 {
            let owner = timer.owner.map(|o| format!(" ({o})")).unwrap_or_default();
            let summary = format!("Due now: {}{owner}", timer.label);
            log_event(
                &tx,
                timer.incident_id,
                "cockpit_timer_fired",
                &summary,
                "Tocsin",
                now,
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Gives a claimed timer back after its notification could not be shown, so the next
    /// claim returns it at once rather than after the grace period.
    pub fn release_timer(&self, id: Id) -> Result<()> {
        self.conn().execute(
            "UPDATE cockpit_timers SET claimed_at = NULL WHERE id = ?1 AND fired_at IS NULL",
            [id],
        )?;
        Ok(())
    }
}

/// Replaces the incident's pending stakeholder-update reminder with one due at `due`.
pub(super) fn schedule_update(
    tx: &Transaction<'_>,
    incident: Id,
    due: DateTime<Utc>,
    by: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
        "UPDATE cockpit_timers SET cancelled_at = ?2
         WHERE incident_id = ?1 AND kind = 'update' AND fired_at IS NULL
           AND cancelled_at IS NULL",
        params![incident, ts(now)],
    )?;
    let label = "Next stakeholder update";
    insert(tx, incident, TimerKind::Update, label, None, due, now)?;
    let summary = format!("{label} due at {} UTC", due.format("%H:%M"));
    log_event(tx, incident, "cockpit_timer", &summary, by, now)
}

pub(super) fn pending(conn: &Connection, incident: Option<Id>) -> Result<Vec<Timer>> {
    let sql = format!(
        "SELECT {TIMER_COLUMNS} FROM cockpit_timers t JOIN incidents i ON i.id = t.incident_id
         WHERE t.fired_at IS NULL AND t.cancelled_at IS NULL
           AND NOT (t.kind = 'update' AND i.status = 'resolved')
           AND (?1 IS NULL OR t.incident_id = ?1)
         ORDER BY t.due_at, t.id"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([incident], timer_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn insert(
    tx: &Transaction<'_>,
    incident: Id,
    kind: TimerKind,
    label: &str,
    owner: Option<&str>,
    due: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Id> {
    tx.execute(
        "INSERT INTO cockpit_timers (incident_id, kind, label, owner, due_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![incident, kind.as_str(), label, owner, ts(due), ts(now)],
    )?;
    Ok(tx.last_insert_rowid())
}

fn timer_from_row(r: &Row<'_>) -> rusqlite::Result<Timer> {
    let opt = |n: usize| -> rusqlite::Result<Option<DateTime<Utc>>> {
        Ok(r.get::<_, Option<String>>(n)?.as_deref().and_then(parse_ts))
    };
    Ok(Timer {
        id: r.get(0)?,
        incident_id: r.get(1)?,
        incident_title: r.get(2)?,
        kind: TimerKind::parse(&r.get::<_, String>(3)?),
        label: r.get(4)?,
        owner: r.get(5)?,
        due_at: parse_ts(&r.get::<_, String>(6)?).unwrap_or_default(),
        created_at: parse_ts(&r.get::<_, String>(7)?).unwrap_or_default(),
        fired_at: opt(8)?,
        cancelled_at: opt(9)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::store_with_drill as drill;

    fn later(minutes: i64) -> DateTime<Utc> {
        Utc::now() + Duration::minutes(minutes)
    }

    #[test]
    fn timers_survive_reopening_the_store() {
        let (dir, store, id) = drill();
        store.start_command(id, 2, "Ana").unwrap();
        let task = store
            .add_timer(id, "Roll back 4f2a", "Bo", 10, "Ana")
            .unwrap();
        drop(store);

        let store = Store::open(dir.path()).unwrap();
        let timers = store.timers(Some(id)).unwrap();
        assert_eq!(timers.len(), 2);
        assert_eq!(timers[0], task, "the task is due before the first update");
        assert_eq!(timers[0].owner.as_deref(), Some("Bo"));
        assert!(store.timers(None).unwrap().len() == 2);
    }

    #[test]
    fn a_due_timer_is_claimed_by_one_handle_only() {
        let (dir, first, id) = drill();
        let second = Store::open(dir.path()).unwrap();
        first.start_command(id, 2, "Ana").unwrap();
        let task = first
            .add_timer(id, "Check the queue", "Bo", 5, "Ana")
            .unwrap();

        assert!(
            first.claim_due_timers(later(1)).unwrap().is_empty(),
            "not due yet"
        );
        let claimed = first.claim_due_timers(later(6)).unwrap();
        assert_eq!(claimed.iter().map(|t| t.id).collect::<Vec<_>>(), [task.id]);
        assert!(second.claim_due_timers(later(6)).unwrap().is_empty());

        first.mark_timer_fired(task.id).unwrap();
        first.mark_timer_fired(task.id).unwrap();
        assert!(
            second.claim_due_timers(later(600)).unwrap().len() == 1,
            "only the update"
        );
        let fired: Vec<String> = first
            .incident_detail(id)
            .unwrap()
            .timeline
            .into_iter()
            .filter(|e| e.kind == "cockpit_timer_fired")
            .map(|e| e.summary)
            .collect();
        assert_eq!(
            fired,
            ["Due now: Check the queue (Bo)"],
            "one entry however often marked"
        );
    }

    #[test]
    fn claims_race_across_threads_and_each_timer_goes_to_one() {
        let (dir, store, id) = drill();
        store.start_command(id, 2, "Ana").unwrap();
        for n in 0..20 {
            store
                .add_timer(id, &format!("task {n}"), "Bo", 1, "Ana")
                .unwrap();
        }
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let path = dir.path().to_path_buf();
                std::thread::spawn(move || {
                    let store = Store::open(&path).unwrap();
                    store.claim_due_timers(later(2)).unwrap().len()
                })
            })
            .collect();
        let total: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(total, 20);
    }

    #[test]
    fn a_stale_claim_is_taken_over_after_the_grace_and_a_released_one_at_once() {
        let (dir, first, id) = drill();
        let second = Store::open(dir.path()).unwrap();
        first.start_command(id, 2, "Ana").unwrap();
        let task = first
            .add_timer(id, "Check the queue", "Bo", 5, "Ana")
            .unwrap();
        let due = later(6);
        assert_eq!(first.claim_due_timers(due).unwrap().len(), 1);

        // The first process died without firing it.
        let within = due + CLAIM_GRACE - Duration::seconds(1);
        assert!(second.claim_due_timers(within).unwrap().is_empty());
        let after = due + CLAIM_GRACE;
        let taken: Vec<Id> = second
            .claim_due_timers(after)
            .unwrap()
            .iter()
            .map(|t| t.id)
            .collect();
        assert_eq!(taken, [task.id]);

        second.release_timer(task.id).unwrap();
        assert_eq!(first.claim_due_timers(after).unwrap().len(), 1);
    }

    #[test]
    fn a_resolved_incident_stops_reminding_of_updates_but_not_of_tasks() {
        let (_dir, store, id) = drill();
        store.start_command(id, 2, "Ana").unwrap();
        let task = store
            .add_timer(id, "Remove the silence", "Bo", 5, "Ana")
            .unwrap();
        store
            .apply_action(id, &crate::model::Action::Resolve, "You")
            .unwrap();

        let ids: Vec<Id> = store
            .timers(Some(id))
            .unwrap()
            .iter()
            .map(|t| t.id)
            .collect();
        assert_eq!(ids, [task.id]);
        let due: Vec<Id> = store
            .claim_due_timers(later(60 * 24))
            .unwrap()
            .iter()
            .map(|t| t.id)
            .collect();
        assert_eq!(due, [task.id]);
    }

    #[test]
    fn cancelled_timers_never_fire() {
        let (_dir, store, id) = drill();
        store.start_command(id, 2, "Ana").unwrap();
        let task = store
            .add_timer(id, "Check the queue", "Bo", 5, "Ana")
            .unwrap();
        let cancelled = store.cancel_timer(task.id, "Ana").unwrap();
        assert!(cancelled.cancelled_at.is_some());
        assert_eq!(
            store.cancel_timer(task.id, "Ana").unwrap_err().code(),
            "invalid"
        );
        let due: Vec<TimerKind> = store
            .claim_due_timers(later(60 * 24))
            .unwrap()
            .iter()
            .map(|t| t.kind)
            .collect();
        assert_eq!(due, [TimerKind::Update]);
        assert_eq!(
            store.add_timer(id, "x", "Bo", 0, "Ana").unwrap_err().code(),
            "invalid"
        );
        assert_eq!(
            store.cancel_timer(999, "Ana").unwrap_err().code(),
            "not_found"
        );
    }
}
