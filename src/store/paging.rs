//! The paging policy's state: policies per account, the decision recorded with each page's
//! claim, held pages and their summary, repeats until acknowledged, snoozes, the self-alarm.
//!
//! Every decision is written in the transaction that claims it, so a `kill -9` between
//! deciding and showing loses nothing: a held page is already on its ledger row, and a
//! notify claim is taken over after the grace period like any other.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use super::queries::{incident_from_row, INCIDENT_COLUMNS};
use super::{parse_ts, ts, Store};
use crate::error::{Error, Result};
use crate::model::{Id, Incident, Urgency};
use crate::paging_policy::{self, Decision, Notice, PageReason, PagingPolicy};

/// A page claimed to be shown now, and how.
#[derive(Debug, Clone)]
pub struct ClaimedPage {
    pub incident: Incident,
    pub notice: Notice,
    /// 0 for the first notification, then the repeat's number.
    pub repeat: u32,
}

/// Tocsin paging about itself: an account's sync outage while I am on call, or its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelfAlarm {
    pub account_id: Id,
    pub account_name: String,
    /// Since when sync has not succeeded.
    pub since: DateTime<Utc>,
    /// `false`: pages may be missed; `true`: sync works again after an alarm.
    pub recovered: bool,
}

impl Store {
    /// The account's paging policy; the defaults when none was saved.
    pub fn paging_policy(&self, account_id: Id) -> Result<PagingPolicy> {
        self.account(account_id)?;
        policy_in(&self.conn(), account_id)
    }

    /// Saves the account's paging policy after checking it.
    pub fn set_paging_policy(&self, account_id: Id, policy: &PagingPolicy) -> Result<()> {
        paging_policy::validate(policy)?;
        self.account(account_id)?;
        let json = serde_json::to_string(policy).map_err(|e| Error::Invalid(e.to_string()))?;
        self.conn().execute(
            "INSERT INTO paging_policies (account_id, policy, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at",
            params![account_id, json, ts(Utc::now())],
        )?;
        Ok(())
    }

    /// Claims every page not raised yet and decides, under each account's policy, whether it
    /// notifies now, waits for quiet hours to end, or is skipped — all in one transaction.
    /// Returns the pages to show now.
    pub fn claim_pages_at(&self, now: DateTime<Utc>) -> Result<Vec<ClaimedPage>> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let pending = super::apply::pending_pages(&tx, &ts(now - super::apply::CLAIM_GRACE))?;

        let mut shown = Vec::new();
        for (id, key) in pending {
            let incident = incident_in(&tx, id)?;
            let policy = policy_in(&tx, incident.account_id)?;
            let on_call = on_call_in(&tx, incident.account_id, now)?;
            let reason = reason_in(&tx, &incident, &key)?;
            let decision = paging_policy::decide(&policy, &incident, reason, now, on_call);
            let outcome = match &decision {
                Decision::Notify(_) => None,
                Decision::HoldForLater => Some("held"),
                Decision::Skip => Some("skipped"),
            };
            tx.execute(
                "INSERT INTO pages (incident_id, page_key, claimed_at, outcome, reason)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT DO UPDATE SET claimed_at = excluded.claimed_at,
                     outcome = excluded.outcome, reason = excluded.reason,
                     summarized_at = NULL",
                params![id, key, ts(now), outcome, reason.as_str()],
            )?;
            tracing::debug!(incident = id, ?decision, "page claimed");
            if let Decision::Notify(notice) = decision {
                shown.push(ClaimedPage {
                    incident,
                    notice,
                    repeat: 0,
                });
            }
        }
        tx.commit()?;
        Ok(shown)
    }

    /// Claims the held pages of every account whose quiet hours are over at `now`, for one
    /// summary; each held page is summarised once.
    pub fn claim_held_summary(&self, now: DateTime<Utc>) -> Result<Vec<Incident>> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let held: Vec<(Id, Id)> = {
            let mut stmt = tx.prepare_cached(
                "SELECT p.incident_id, i.account_id FROM pages p
                 JOIN incidents i ON i.id = p.incident_id
                 WHERE p.outcome = 'held' AND p.summarized_at IS NULL
                 ORDER BY i.created_at, i.id",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<Result<_, _>>()?
        };

        let mut policies = HashMap::new();
        let mut claimed = Vec::new();
        for (id, account) in held {
            let policy = match policies.entry(account) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => e.insert(policy_in(&tx, account)?),
            };
            if paging_policy::is_quiet(policy, now) {
                continue;
            }
            tx.execute(
                "UPDATE pages SET summarized_at = ?2
                 WHERE incident_id = ?1 AND outcome = 'held' AND summarized_at IS NULL",
                params![id, ts(now)],
            )?;
            if !claimed.contains(&id) {
                claimed.push(id);
            }
        }
        let incidents = claimed
            .iter()
            .map(|id| incident_in(&tx, *id))
            .collect::<Result<Vec<_>>>()?;
        tx.commit()?;
        Ok(incidents)
    }

    /// Gives held pages back after their summary could not be shown.
    pub fn release_held_summary(&self, ids: &[Id]) -> Result<()> {
        let conn = self.conn();
        for id in ids {
            conn.execute(
                "UPDATE pages SET summarized_at = NULL WHERE incident_id = ?1 AND outcome = 'held'",
                [id],
            )?;
        }
        Ok(())
    }

    /// Claims the repeats due at `now`: shown, still unacknowledged pages whose policy repeats
    /// them, not snoozed, not over the cap. A low-urgency repeat waits out quiet hours.
    pub fn claim_repeats(&self, now: DateTime<Utc>) -> Result<Vec<ClaimedPage>> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let candidates = repeat_candidates(&tx, now)?;

        let mut due = Vec::new();
        for c in candidates {
            let incident = incident_in(&tx, c.incident_id)?;
            let policy = policy_in(&tx, incident.account_id)?;
            if !repeat_due(&policy, &incident, &c, now) {
                continue;
            }
            // The `repeats` guard makes a second process's claim of the same repeat a no-op.
            let won = tx.execute(
                "UPDATE pages SET repeats = repeats + 1, repeated_at = ?4
                 WHERE incident_id = ?1 AND page_key = ?2 AND repeats = ?3",
                params![c.incident_id, c.key, c.repeats, ts(now)],
            )?;
            if won == 1 {
                let notice = paging_policy::notice(&policy, incident.urgency, c.reason);
                due.push(ClaimedPage {
                    incident,
                    notice,
                    repeat: c.repeats + 1,
                });
            }
        }
        tx.commit()?;
        Ok(due)
    }

    /// Stops the repeats of an incident's page until `until` (a local mute; the provider is
    /// not told).
    pub fn snooze_page(&self, incident_id: Id, until: DateTime<Utc>) -> Result<()> {
        self.incident_row(incident_id)?;
        self.conn().execute(
            "INSERT INTO page_snoozes (incident_id, until) VALUES (?1, ?2)
             ON CONFLICT DO UPDATE SET until = excluded.until",
            params![incident_id, ts(until)],
        )?;
        Ok(())
    }

    /// When the incident's page is snoozed until, if it is at `now`.
    pub fn page_snoozed_until(
        &self,
        incident_id: Id,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>> {
        let until: Option<String> = self
            .conn()
            .query_row(
                "SELECT until FROM page_snoozes WHERE incident_id = ?1 AND until > ?2",
                params![incident_id, ts(now)],
                |r| r.get(0),
            )
            .optional()?;
        Ok(until.as_deref().and_then(parse_ts))
    }

    /// Claims the self-alarms to show at `now`: an account whose sync has failed longer than
    /// its policy's threshold while I am on call there (once per outage), and the recovery of
    /// an account whose alarm was shown.
    pub fn claim_self_alarms(&self, now: DateTime<Utc>) -> Result<Vec<SelfAlarm>> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let rows = sync_states(&tx)?;

        let mut alarms = Vec::new();
        for s in rows {
            if s.failing && s.alarm_raised.is_none() {
                let policy = policy_in(&tx, s.account_id)?;
                let threshold = policy.self_alarm_after_secs;
                let long = (now - s.since).num_seconds() >= threshold.min(MAX_SECS) as i64;
                if threshold == 0 || !long || !on_call_in(&tx, s.account_id, now)? {
                    continue;
                }
                // Another process may have raised it since the read: then it is theirs.
                let won = tx.execute(
                    "INSERT OR IGNORE INTO sync_alarms (account_id, raised_at) VALUES (?1, ?2)",
                    params![s.account_id, ts(now)],
                )?;
                if won == 1 {
                    alarms.push(s.alarm(false));
                }
            } else if !s.failing && s.alarm_raised.is_some() {
                let won = tx.execute(
                    "DELETE FROM sync_alarms WHERE account_id = ?1",
                    [s.account_id],
                )?;
                // An alarm never shown needs no all-clear.
                if won == 1 && s.alarm_shown {
                    alarms.push(s.alarm(true));
                }
            }
        }
        tx.commit()?;
        Ok(alarms)
    }

    /// Records that a self-alarm reached the screen, or gives it back when it did not.
    pub fn finish_self_alarm(&self, alarm: &SelfAlarm, shown: bool) -> Result<()> {
        let conn = self.conn();
        match (alarm.recovered, shown) {
            (false, true) => conn.execute(
                "UPDATE sync_alarms SET shown_at = ?2 WHERE account_id = ?1",
                params![alarm.account_id, ts(Utc::now())],
            )?,
            (false, false) => conn.execute(
                "DELETE FROM sync_alarms WHERE account_id = ?1",
                [alarm.account_id],
            )?,
            // A recovery that could not be shown is not worth retrying: sync works.
            (true, _) => 0,
        };
        Ok(())
    }
}

/// The account's policy; a stored policy that no longer parses (written by a newer Tocsin,
/// say) falls back to the defaults, which page everything.
fn policy_in(conn: &Connection, account_id: Id) -> Result<PagingPolicy> {
    let json: Option<String> = conn
        .query_row(
            "SELECT policy FROM paging_policies WHERE account_id = ?1",
            [account_id],
            |r| r.get(0),
        )
        .optional()?;
    let Some(json) = json else {
        return Ok(PagingPolicy::default());
    };
    Ok(serde_json::from_str(&json).unwrap_or_else(|e| {
        tracing::warn!(account = account_id, error = %e, "unreadable paging policy; defaults");
        PagingPolicy::default()
    }))
}

fn incident_in(conn: &Connection, id: Id) -> Result<Incident> {
    let sql = format!(
        "SELECT {INCIDENT_COLUMNS} FROM incidents i JOIN accounts a ON a.id = i.account_id
         WHERE i.id = ?1"
    );
    Ok(conn.query_row(&sql, [id], incident_from_row)?)
}

/// Whether the cached on-call rows put me on call at the account at `now`.
pub(super) fn on_call_in(conn: &Connection, account_id: Id, now: DateTime<Utc>) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM oncalls o JOIN accounts a ON a.id = o.account_id
                        WHERE o.account_id = ?1 AND o.user_id = a.user_id
                          AND (o.start_at IS NULL OR o.start_at <= ?2)
                          AND (o.end_at IS NULL OR o.end_at > ?2))",
        params![account_id, ts(now)],
        |r| r.get(0),
    )?)
}

/// Why the incident's current assignment pages me. The ledger keys a page by assignment (a
/// PagerDuty assignment names its time), so an earlier page row under another key means the
/// incident came back to me; the latest escalate or assign entry on its timeline says how.
/// An entry stamped with the trigger itself is the first assignment, not a change of hands.
fn reason_in(conn: &Connection, incident: &Incident, key: &str) -> Result<PageReason> {
    let earlier: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM pages WHERE incident_id = ?1 AND page_key != ?2)",
        params![incident.id, key],
        |r| r.get(0),
    )?;
    let after_trigger = ts(incident.created_at + TRIGGER_SLACK);
    let latest: Option<String> = conn
        .query_row(
            "SELECT kind FROM log_entries
             WHERE incident_id = ?1 AND kind IN ('escalate', 'assign', 'reassign') AND at > ?2
             ORDER BY at DESC, id DESC LIMIT 1",
            params![incident.id, after_trigger],
            |r| r.get(0),
        )
        .optional()?;
    Ok(match (latest.as_deref(), earlier) {
        (Some("escalate"), _) => PageReason::Escalated,
        (Some(_), _) | (None, true) => PageReason::Reassigned,
        (None, false) => PageReason::New,
    })
}

/// Entries this close to the trigger belong to it (the first assignment of a new incident).
const TRIGGER_SLACK: chrono::Duration = chrono::Duration::seconds(1);

/// Bounds a policy's seconds before they become a `chrono::Duration`, which panics beyond
/// its range; `validate` refuses such values, this guards a hand-edited database.
const MAX_SECS: u64 = 365 * 24 * 3600;

/// A shown page that may be due for a repeat.
struct RepeatCandidate {
    incident_id: Id,
    key: String,
    repeats: u32,
    last: DateTime<Utc>,
    reason: PageReason,
}

fn repeat_candidates(conn: &Connection, now: DateTime<Utc>) -> Result<Vec<RepeatCandidate>> {
    let mut stmt = conn.prepare_cached(
        "SELECT p.incident_id, p.page_key, p.repeats, COALESCE(p.repeated_at, p.shown_at),
                p.reason
         FROM pages p JOIN incidents i ON i.id = p.incident_id AND i.my_assignment = p.page_key
         WHERE p.shown_at IS NOT NULL AND p.outcome IS NULL
           AND i.status IN ('triggered', 'unknown')
           AND NOT EXISTS (SELECT 1 FROM page_snoozes s
                           WHERE s.incident_id = i.id AND s.until > ?1)",
    )?;
    let rows = stmt.query_map([ts(now)], |r| {
        let last: String = r.get(3)?;
        let reason: Option<String> = r.get(4)?;
        Ok(RepeatCandidate {
            incident_id: r.get(0)?,
            key: r.get(1)?,
            repeats: r.get(2)?,
            last: parse_ts(&last).unwrap_or(now),
            reason: PageReason::parse(reason.as_deref().unwrap_or("new")),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn repeat_due(
    policy: &PagingPolicy,
    incident: &Incident,
    c: &RepeatCandidate,
    now: DateTime<Utc>,
) -> bool {
    let repeat = &policy.repeat;
    let every = chrono::Duration::seconds(repeat.every_secs.min(MAX_SECS) as i64);
    let under_cap = repeat.max.is_none_or(|max| c.repeats < max);
    // Quiet hours hold low urgency; a repeat of a low page is no more urgent than the page.
    let quiet = incident.urgency == Urgency::Low && paging_policy::is_quiet(policy, now);
    repeat.enabled && under_cap && !quiet && c.last + every <= now
}

/// An account's sync state as the self-alarm reads it.
struct SyncAlarmState {
    account_id: Id,
    account_name: String,
    failing: bool,
    since: DateTime<Utc>,
    alarm_raised: Option<String>,
    alarm_shown: bool,
}

impl SyncAlarmState {
    fn alarm(&self, recovered: bool) -> SelfAlarm {
        SelfAlarm {
            account_id: self.account_id,
            account_name: self.account_name.clone(),
            since: self.since,
            recovered,
        }
    }
}

fn sync_states(conn: &Connection) -> Result<Vec<SyncAlarmState>> {
    let mut stmt = conn.prepare_cached(
        "SELECT a.id, a.name, s.state IN ('failing', 'offline', 'revoked'),
                COALESCE(s.last_success_at, a.created_at), al.raised_at, al.shown_at IS NOT NULL
         FROM accounts a JOIN sync_state s ON s.account_id = a.id
         LEFT JOIN sync_alarms al ON al.account_id = a.id
         WHERE a.kind != 'local'",
    )?;
    let rows = stmt.query_map([], |r| {
        let since: String = r.get(3)?;
        Ok(SyncAlarmState {
            account_id: r.get(0)?,
            account_name: r.get(1)?,
            failing: r.get(2)?,
            since: parse_ts(&since).unwrap_or_else(Utc::now),
            alarm_raised: r.get(4)?,
            alarm_shown: r.get::<_, Option<bool>>(5)?.unwrap_or(false),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paging_policy::{QuietHours, Repeat};
    use crate::store::test_support::store_with_drill;

    fn always_quiet() -> PagingPolicy {
        PagingPolicy {
            quiet_hours: Some(QuietHours {
                start: "00:00".into(),
                end: "00:00".into(),
                days: vec![],
                time_zone: "UTC".into(),
            }),
            ..Default::default()
        }
    }

    fn set(store: &Store, sql: &str) {
        store.conn().execute_batch(sql).unwrap();
    }

    fn account_of(store: &Store, id: Id) -> Id {
        store.incident_row(id).unwrap().account_id
    }

    #[test]
    fn a_low_page_in_quiet_hours_is_held_in_the_claim_and_summarised_once() {
        let (_dir, store, id) = store_with_drill();
        set(&store, "UPDATE incidents SET urgency = 'low'");
        let account = account_of(&store, id);
        store.set_paging_policy(account, &always_quiet()).unwrap();

        let now = Utc::now();
        assert!(store.claim_pages_at(now).unwrap().is_empty());
        let outcome: String = store
            .conn()
            .query_row("SELECT outcome FROM pages", [], |r| r.get(0))
            .unwrap();
        assert_eq!(outcome, "held");
        assert!(store.claim_pages_at(now).unwrap().is_empty(), "held once");
        assert!(
            store.claim_held_summary(now).unwrap().is_empty(),
            "still quiet"
        );

        store
            .set_paging_policy(account, &PagingPolicy::default())
            .unwrap();
        let held = store.claim_held_summary(now).unwrap();
        assert_eq!(held.iter().map(|i| i.id).collect::<Vec<_>>(), vec![id]);
        assert!(store.claim_held_summary(now).unwrap().is_empty(), "once");

        // A summary that could not be shown comes back.
        store.release_held_summary(&[id]).unwrap();
        assert_eq!(store.claim_held_summary(now).unwrap().len(), 1);
    }

    #[test]
    fn high_urgency_breaks_through_quiet_hours_and_a_held_page_that_turns_high_pages() {
        let (_dir, store, id) = store_with_drill();
        let account = account_of(&store, id);
        let mut policy = always_quiet();
        policy.notify_low = false;
        policy.sound_high = Some("alarm-clock-elapsed".into());
        store.set_paging_policy(account, &policy).unwrap();

        let high = store.claim_pages_at(Utc::now()).unwrap();
        assert_eq!(high.len(), 1);
        assert_eq!(high[0].notice.sound.as_deref(), Some("alarm-clock-elapsed"));

        // The same page, skipped while low, pages at once when it becomes high.
        set(
            &store,
            "DELETE FROM pages; UPDATE incidents SET urgency = 'low'",
        );
        assert!(store.claim_pages_at(Utc::now()).unwrap().is_empty());
        set(&store, "UPDATE incidents SET urgency = 'high'");
        let now = store.claim_pages_at(Utc::now()).unwrap();
        assert_eq!(now.len(), 1, "no grace period for a page turned high");
        assert!(store.claim_held_summary(Utc::now()).unwrap().is_empty());
    }

    #[test]
    fn a_page_repeats_until_acknowledged_within_the_cap_unless_snoozed() {
        let (_dir, store, id) = store_with_drill();
        let account = account_of(&store, id);
        let policy = PagingPolicy {
            repeat: Repeat {
                enabled: true,
                every_secs: 60,
                max: Some(2),
            },
            ..Default::default()
        };
        store.set_paging_policy(account, &policy).unwrap();
        let t0 = Utc::now();
        assert_eq!(store.claim_pages_at(t0).unwrap().len(), 1);
        assert!(store.claim_repeats(t0).unwrap().is_empty(), "not shown yet");
        store.mark_page_shown(id).unwrap();

        let min = |m| t0 + chrono::Duration::minutes(m);
        assert!(store.claim_repeats(t0).unwrap().is_empty(), "not due");
        let first = store.claim_repeats(min(2)).unwrap();
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].repeat, 1);
        assert!(
            store.claim_repeats(min(2)).unwrap().is_empty(),
            "claimed once"
        );

        store.snooze_page(id, min(10)).unwrap();
        assert!(store.claim_repeats(min(5)).unwrap().is_empty(), "snoozed");
        assert_eq!(store.claim_repeats(min(11)).unwrap()[0].repeat, 2);
        assert!(store.claim_repeats(min(20)).unwrap().is_empty(), "capped");

        set(&store, "UPDATE pages SET repeats = 0");
        set(&store, "UPDATE incidents SET status = 'acknowledged'");
        assert!(store.claim_repeats(min(30)).unwrap().is_empty(), "acked");
    }

    #[test]
    fn a_page_that_comes_back_says_escalated_or_reassigned() {
        let (_dir, store, id) = store_with_drill();
        // The first assignment, logged with the trigger, is not a reassignment.
        set(
            &store,
            "INSERT INTO log_entries (incident_id, provider_id, kind, at, summary)
             SELECT id, 'A0', 'assign', created_at, 'Assigned' FROM incidents",
        );
        let first = store.claim_pages_at(Utc::now()).unwrap();
        assert_eq!(first[0].notice.reason, PageReason::New);
        store.mark_page_shown(id).unwrap();

        set(
            &store,
            "UPDATE incidents SET my_assignment = 'assigned:me:2'",
        );
        let again = store.claim_pages_at(Utc::now()).unwrap();
        assert_eq!(again[0].notice.reason, PageReason::Reassigned);

        set(
            &store,
            "UPDATE incidents SET my_assignment = 'assigned:me:3';
             INSERT INTO log_entries (incident_id, provider_id, kind, at, summary)
             VALUES (1, 'E1', 'escalate', '2030-01-01T00:00:00.000Z', 'Escalated')",
        );
        let escalated = store.claim_pages_at(Utc::now()).unwrap();
        assert_eq!(escalated[0].notice.reason, PageReason::Escalated);
    }

    fn failing_account(store: &Store, since: DateTime<Utc>, on_call: bool) -> Id {
        let conn = store.conn();
        conn.execute(
            "INSERT INTO accounts (name, kind, token_kind, user_id, created_at)
             VALUES ('pd', 'pagerduty', 'none', 'PME', ?1)",
            [ts(since)],
        )
        .unwrap();
        let id = conn.last_insert_rowid();
        conn.execute(
            "INSERT INTO sync_state (account_id, state, last_success_at)
             VALUES (?1, 'failing', ?2)",
            params![id, ts(since)],
        )
        .unwrap();
        if on_call {
            conn.execute(
                "INSERT INTO oncalls (account_id, escalation_policy_id, level, user_id, user_name)
                 VALUES (?1, 'PEP', 1, 'PME', 'Me')",
                [id],
            )
            .unwrap();
        }
        id
    }

    #[test]
    fn the_self_alarm_rings_once_per_outage_and_only_on_call() {
        let (_dir, store, _) = store_with_drill();
        let t0 = Utc::now();
        let account = failing_account(&store, t0, true);
        let min = |m| t0 + chrono::Duration::minutes(m);

        assert!(
            store.claim_self_alarms(min(5)).unwrap().is_empty(),
            "too soon"
        );
        let alarms = store.claim_self_alarms(min(16)).unwrap();
        assert_eq!(alarms.len(), 1);
        assert!(!alarms[0].recovered);
        store.finish_self_alarm(&alarms[0], true).unwrap();
        assert!(store.claim_self_alarms(min(30)).unwrap().is_empty(), "once");

        set(&store, "UPDATE sync_state SET state = 'ok'");
        let recovered = store.claim_self_alarms(min(31)).unwrap();
        assert_eq!(recovered.len(), 1);
        assert!(recovered[0].recovered);
        assert!(store.claim_self_alarms(min(32)).unwrap().is_empty());

        // A new outage rings again; an alarm that could not be shown is retried.
        set(&store, "UPDATE sync_state SET state = 'offline'");
        let again = store.claim_self_alarms(min(60)).unwrap();
        assert_eq!(again.len(), 1);
        store.finish_self_alarm(&again[0], false).unwrap();
        assert_eq!(store.claim_self_alarms(min(61)).unwrap().len(), 1);

        // Off call, or with the alarm turned off, nothing rings.
        set(&store, "DELETE FROM oncalls; DELETE FROM sync_alarms");
        assert!(store.claim_self_alarms(min(90)).unwrap().is_empty());
        let off = PagingPolicy {
            self_alarm_after_secs: 0,
            ..Default::default()
        };
        store.set_paging_policy(account, &off).unwrap();
        set(
            &store,
            "INSERT INTO oncalls (account_id, escalation_policy_id, level, user_id, user_name)
             SELECT id, 'PEP', 1, 'PME', 'Me' FROM accounts WHERE name = 'pd'",
        );
        assert!(store.claim_self_alarms(min(90)).unwrap().is_empty());
    }

    #[test]
    fn a_policy_round_trips_and_a_bad_one_is_refused() {
        let (_dir, store, id) = store_with_drill();
        let account = account_of(&store, id);
        assert_eq!(
            store.paging_policy(account).unwrap(),
            PagingPolicy::default()
        );
        let policy = always_quiet();
        store.set_paging_policy(account, &policy).unwrap();
        assert_eq!(store.paging_policy(account).unwrap(), policy);
        let mut bad = policy.clone();
        bad.quiet_hours.as_mut().unwrap().start = "7pm".into();
        assert!(store.set_paging_policy(account, &bad).is_err());
        assert!(store.set_paging_policy(999, &policy).is_err());
    }
}
