//! Applying a sync [`Batch`] to the cache in one transaction, and the ledger of raised pages.

use std::collections::HashSet;

use chrono::Utc;
use rusqlite::{params, OptionalExtension, Transaction};

use super::{ts, Store};
use crate::error::{Error, Result};
use crate::model::{Id, Incident};
use crate::provider::{ingest, Batch, IncidentRecord, LogRecord, OnCallRecord, PolicyRecord};

/// What a batch changed, for logs and events.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApplyOutcome {
    pub incidents: usize,
    pub log_entries: usize,
    /// Incidents resolved because they vanished from a complete open set.
    pub vanished: usize,
    /// Records left out because an id was absurd (see [`ingest`]).
    pub refused: usize,
}

impl Store {
    /// Applies everything a sync pass learned, advances the cursor and marks the account
    /// healthy — all or nothing. Every text field goes through [`ingest`] first; a record
    /// it refuses is left out, logged, and named in the account's health.
    pub fn apply(&self, account_id: Id, batch: &Batch) -> Result<ApplyOutcome> {
        let provider = ingest::provider_name(self.account(account_id)?.kind);
        let ingest::Ingested { batch, refused } = ingest::batch(batch.clone(), provider);
        log_refused(&refused);
        let batch = &batch;

        let mut conn = self.conn();
        let tx = conn.transaction()?;

        if let Some(me) = &batch.me {
            tx.execute(
                "UPDATE accounts SET user_id = ?2, email = COALESCE(email, ?3) WHERE id = ?1",
                params![account_id, me.provider_id, me.email],
            )?;
        }
        apply_directory(&tx, account_id, batch)?;
        let incidents = upsert_incidents(&tx, account_id, &batch.incidents)?;
        let vanished = if batch.open_set_complete {
            resolve_vanished(&tx, account_id, &batch.incidents)?
        } else {
            0
        };
        let log_entries = insert_log_entries(&tx, account_id, &batch.log_entries)?;
        close_gone(&tx, account_id, &batch.gone)?;
        // The provider may not have the person's latest actions yet; keep showing them.
        super::outbox::overlay_unfinished(&tx, account_id)?;
        record_success(&tx, account_id, batch, refused.first())?;

        tx.commit()?;
        Ok(ApplyOutcome {
            incidents,
            log_entries,
            vanished,
            refused: refused.len(),
        })
    }

    /// Claims every page not raised yet: triggered incidents assigned to the responder whose
    /// current assignment has no ledger row, or only a claim older than `CLAIM_GRACE` that was
    /// never shown. Claiming before showing means two processes never both raise a page;
    /// the grace period means a claimer that died mid-way does not lose it. Each account's
    /// paging policy decides what a claim becomes (see [`Store::claim_pages_at`]); this
    /// returns the incidents to show now.
    pub fn claim_pages(&self) -> Result<Vec<Incident>> {
        let claimed = self.claim_pages_at(Utc::now())?;
        Ok(claimed.into_iter().map(|c| c.incident).collect())
    }

    /// Records that the incident's current page reached the person's screen.
    pub fn mark_page_shown(&self, incident_id: Id) -> Result<()> {
        self.conn().execute(
            "UPDATE pages SET shown_at = ?2 WHERE incident_id = ?1 AND page_key =
                (SELECT my_assignment FROM incidents WHERE id = ?1)",
            params![incident_id, ts(Utc::now())],
        )?;
        Ok(())
    }

    /// Adds timeline entries fetched outside a sync pass; entries already cached are skipped.
    pub fn add_log_entries(&self, account_id: Id, entries: &[LogRecord]) -> Result<usize> {
        let provider = ingest::provider_name(self.account(account_id)?.kind);
        let (entries, refused) = ingest::log_entries(entries, provider);
        log_refused(&refused);

        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let added = insert_log_entries(&tx, account_id, &entries)?;
        tx.commit()?;
        Ok(added)
    }

    /// Gives a claimed page back after the notification could not be shown, so the next pass
    /// tries again rather than waiting out the grace period.
    pub fn release_page(&self, incident_id: Id) -> Result<()> {
        self.conn().execute(
            "DELETE FROM pages WHERE incident_id = ?1 AND shown_at IS NULL AND page_key =
                (SELECT my_assignment FROM incidents WHERE id = ?1)",
            [incident_id],
        )?;
        Ok(())
    }
}

/// How long an unshown claim protects a page from being claimed again.
pub(super) const CLAIM_GRACE: chrono::Duration = chrono::Duration::seconds(30);

pub(super) fn pending_pages(tx: &Transaction<'_>, stale: &str) -> Result<Vec<(Id, String)>> {
    let mut stmt = tx.prepare(
        "SELECT i.id, i.my_assignment FROM incidents i
         WHERE i.status IN ('triggered', 'unknown') AND i.my_assignment IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM pages p
                           WHERE p.incident_id = i.id AND p.page_key = i.my_assignment
                             AND (p.shown_at IS NOT NULL
                                  OR (p.outcome IS NULL AND p.claimed_at > ?1)
                                  -- A page held or skipped while low urgency pages at once
                                  -- when the incident becomes high urgency.
                                  OR (p.outcome IS NOT NULL AND i.urgency != 'high')))
         ORDER BY i.created_at, i.id",
    )?;
    let rows = stmt.query_map([stale], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn apply_directory(tx: &Transaction<'_>, account: Id, batch: &Batch) -> Result<()> {
    let mut users = tx.prepare_cached(
        // A person seen only by id (me, from a token that knows who it is) keeps the name and
        // email an earlier sighting gave them.
        "INSERT INTO users (account_id, provider_id, name, email) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT DO UPDATE SET
             name = CASE WHEN excluded.name != '' THEN excluded.name ELSE users.name END,
             email = COALESCE(excluded.email, users.email)",
    )?;
    for u in &batch.users {
        users.execute(params![account, u.provider_id, u.name, u.email])?;
    }

    for (table, items) in [
        ("services", &batch.services),
        ("priorities", &batch.priorities),
    ] {
        let sql = format!(
            "INSERT INTO {table} (account_id, provider_id, name) VALUES (?1, ?2, ?3)
             ON CONFLICT DO UPDATE SET name = excluded.name"
        );
        let mut stmt = tx.prepare_cached(&sql)?;
        for item in items {
            stmt.execute(params![account, item.provider_id, item.name])?;
        }
    }

    for policy in &batch.policies {
        upsert_policy(tx, account, policy)?;
    }

    let mut schedules = tx.prepare_cached(
        "INSERT INTO schedules (account_id, provider_id, name, time_zone) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT DO UPDATE SET name = excluded.name, time_zone = excluded.time_zone",
    )?;
    for s in &batch.schedules {
        schedules.execute(params![account, s.provider_id, s.name, s.time_zone])?;
    }

    if let Some(oncalls) = &batch.oncalls {
        replace_oncalls(tx, account, oncalls)?;
    }
    super::schedules::replace_details(tx, account, &batch.schedule_details)?;
    Ok(())
}

pub(super) fn upsert_policy(
    tx: &Transaction<'_>,
    account: Id,
    policy: &PolicyRecord,
) -> Result<()> {
    tx.execute(
        "INSERT INTO escalation_policies (account_id, provider_id, name, num_loops)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT DO UPDATE SET name = excluded.name, num_loops = excluded.num_loops",
        params![account, policy.provider_id, policy.name, policy.num_loops],
    )?;
    tx.execute(
        "DELETE FROM escalation_rules WHERE account_id = ?1 AND policy_id = ?2",
        params![account, policy.provider_id],
    )?;
    for (position, rule) in policy.rules.iter().enumerate() {
        let targets = serde_json::to_string(&rule.targets).unwrap_or_else(|_| "[]".into());
        tx.execute(
            "INSERT INTO escalation_rules (account_id, policy_id, position, delay_minutes, targets)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                account,
                policy.provider_id,
                position as i64,
                rule.delay_minutes,
                targets
            ],
        )?;
    }
    Ok(())
}

pub(super) fn replace_oncalls(
    tx: &Transaction<'_>,
    account: Id,
    oncalls: &[OnCallRecord],
) -> Result<()> {
    tx.execute("DELETE FROM oncalls WHERE account_id = ?1", [account])?;
    let mut stmt = tx.prepare_cached(
        "INSERT INTO oncalls (account_id, escalation_policy_id, level, user_id, user_name,
                              user_email, schedule_id, schedule_name, start_at, end_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    for o in oncalls {
        stmt.execute(params![
            account,
            o.escalation_policy_id,
            o.level,
            o.user.provider_id,
            o.user.name,
            o.user.email,
            o.schedule_id,
            o.schedule_name,
            o.start.map(ts),
            o.end.map(ts),
        ])?;
    }
    Ok(())
}

pub(super) fn upsert_incidents(
    tx: &Transaction<'_>,
    account: Id,
    items: &[IncidentRecord],
) -> Result<usize> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO incidents (account_id, provider_id, number, title, status, raw_status,
             urgency, priority, severity, service_id, service_name, escalation_policy_id,
             assignees, my_assignment, created_at, acknowledged_at, resolved_at, updated_at,
             html_url, is_drill, details)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                 ?18, ?19, ?20, ?21)
         ON CONFLICT (account_id, provider_id) DO UPDATE SET
             number = excluded.number, title = excluded.title, status = excluded.status,
             raw_status = excluded.raw_status, urgency = excluded.urgency,
             priority = excluded.priority,
             severity = COALESCE(excluded.severity, incidents.severity),
             service_id = excluded.service_id,
             service_name = COALESCE(excluded.service_name, incidents.service_name),
             escalation_policy_id = excluded.escalation_policy_id,
             assignees = excluded.assignees, my_assignment = excluded.my_assignment,
             created_at = excluded.created_at,
             acknowledged_at = COALESCE(excluded.acknowledged_at, incidents.acknowledged_at),
             resolved_at = excluded.resolved_at, updated_at = excluded.updated_at,
             html_url = excluded.html_url, is_drill = excluded.is_drill,
             details = excluded.details",
    )?;
    for i in items {
        let assignees = serde_json::to_string(&i.assignees).unwrap_or_else(|_| "[]".into());
        stmt.execute(params![
            account,
            i.provider_id,
            i.number,
            i.title,
            i.status.as_str(),
            i.raw_status,
            i.urgency.as_str(),
            i.priority,
            i.severity,
            i.service_id,
            i.service_name,
            i.escalation_policy_id,
            assignees,
            i.my_assignment,
            ts(i.created_at),
            i.acknowledged_at.map(ts),
            i.resolved_at.map(ts),
            ts(i.updated_at),
            i.html_url,
            i.is_drill,
            i.details,
        ])?;
    }
    Ok(items.len())
}

fn resolve_vanished(tx: &Transaction<'_>, account: Id, open: &[IncidentRecord]) -> Result<usize> {
    let present: HashSet<&str> = open.iter().map(|i| i.provider_id.as_str()).collect();
    let cached: Vec<(Id, String)> = {
        let mut stmt = tx.prepare(
            "SELECT id, provider_id FROM incidents WHERE account_id = ?1 AND status != 'resolved'",
        )?;
        let rows = stmt.query_map([account], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };

    let now = ts(Utc::now());
    let mut count = 0;
    for (id, provider_id) in cached.iter().filter(|(_, p)| !present.contains(p.as_str())) {
        tx.execute(
            "UPDATE incidents SET status = 'resolved', raw_status = NULL, resolved_at = ?2,
                    updated_at = ?2
             WHERE id = ?1",
            params![id, now],
        )?;
        tx.execute(
            "INSERT OR IGNORE INTO log_entries (incident_id, provider_id, kind, at, summary)
             VALUES (?1, ?2, 'resolve', ?3, 'Resolved: the alert is no longer firing')",
            params![id, format!("vanished:{provider_id}:{now}"), now],
        )?;
        count += 1;
    }
    Ok(count)
}

/// Closes incidents the provider no longer has, saying so on their timelines.
fn close_gone(tx: &Transaction<'_>, account: Id, gone: &[String]) -> Result<()> {
    let now = ts(Utc::now());
    for provider_id in gone {
        let closed = tx.execute(
            "UPDATE incidents SET status = 'resolved', raw_status = NULL,
                    resolved_at = COALESCE(resolved_at, ?3), updated_at = ?3
             WHERE account_id = ?1 AND provider_id = ?2 AND status != 'resolved'",
            params![account, provider_id, now],
        )?;
        if closed == 0 {
            continue;
        }
        tx.execute(
            "INSERT OR IGNORE INTO log_entries (incident_id, provider_id, kind, at, summary)
             SELECT id, ?3, 'resolve', ?4, 'Closed: the incident no longer exists at the provider'
             FROM incidents WHERE account_id = ?1 AND provider_id = ?2",
            params![
                account,
                provider_id,
                format!("gone:{provider_id}:{now}"),
                now
            ],
        )?;
    }
    Ok(())
}

fn insert_log_entries(tx: &Transaction<'_>, account: Id, items: &[LogRecord]) -> Result<usize> {
    let mut find =
        tx.prepare_cached("SELECT id FROM incidents WHERE account_id = ?1 AND provider_id = ?2")?;
    let mut insert = tx.prepare_cached(
        "INSERT OR IGNORE INTO log_entries (incident_id, provider_id, kind, at, summary, agent)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut count = 0;
    for e in items {
        let incident: Option<Id> = find
            .query_row(params![account, e.incident_provider_id], |r| r.get(0))
            .optional()?;
        let Some(incident) = incident else {
            tracing::debug!(incident = %e.incident_provider_id, "log entry for uncached incident");
            continue;
        };
        count += insert.execute(params![
            incident,
            e.provider_id,
            e.kind,
            ts(e.at),
            e.summary,
            e.agent
        ])?;
    }
    Ok(count)
}

/// Logs refused records: the first few in full, then how many more, so a provider that sends
/// thousands of them every pass does not flood the log.
pub(super) fn log_refused(refused: &[Error]) {
    const SHOWN: usize = 3;
    for e in refused.iter().take(SHOWN) {
        tracing::warn!(code = e.code(), error = %e, "provider record refused");
    }
    if refused.len() > SHOWN {
        let more = refused.len() - SHOWN;
        tracing::warn!(more, "more provider records refused");
    }
}

/// Marks the pass a success. A refused record stays visible as the last error (the state
/// is still `ok`: everything else was stored) until a pass refuses nothing.
fn record_success(
    tx: &Transaction<'_>,
    account: Id,
    batch: &Batch,
    refused: Option<&Error>,
) -> Result<()> {
    let now = ts(Utc::now());
    tx.execute(
        "UPDATE sync_state SET state = 'ok', cursor = COALESCE(?2, cursor),
                history_synced_at = CASE WHEN ?3 THEN COALESCE(history_synced_at, ?4)
                                         ELSE history_synced_at END,
                directory_synced_at = CASE WHEN ?5 THEN ?4 ELSE directory_synced_at END,
                last_success_at = ?4, last_attempt_at = ?4, last_error = ?6,
                last_error_code = ?7, consecutive_failures = 0
         WHERE account_id = ?1",
        params![
            account,
            batch.cursor,
            batch.history_complete,
            now,
            batch.directory_read,
            refused.map(Error::to_string),
            refused.map(Error::code),
        ],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::store_with_drill;

    #[test]
    fn a_shown_page_is_never_claimed_again() {
        let (_dir, store, id) = store_with_drill();
        assert_eq!(store.claim_pages().unwrap().len(), 1);
        store.mark_page_shown(id).unwrap();
        let stale = ts(Utc::now() - chrono::Duration::hours(1));
        store
            .conn()
            .execute("UPDATE pages SET claimed_at = ?1", [stale])
            .unwrap();
        assert!(store.claim_pages().unwrap().is_empty());
    }

    #[test]
    fn an_unshown_claim_is_taken_over_after_the_grace_period() {
        let (_dir, store, id) = store_with_drill();
        assert_eq!(store.claim_pages().unwrap().len(), 1);
        assert!(
            store.claim_pages().unwrap().is_empty(),
            "a fresh claim protects the page"
        );

        // The claimer died before showing it.
        let stale = ts(Utc::now() - CLAIM_GRACE - chrono::Duration::seconds(1));
        store
            .conn()
            .execute("UPDATE pages SET claimed_at = ?1", [stale])
            .unwrap();
        let again = store.claim_pages().unwrap();
        assert_eq!(again.iter().map(|i| i.id).collect::<Vec<_>>(), vec![id]);
    }

    #[test]
    fn a_released_claim_is_retried_at_once() {
        let (_dir, store, id) = store_with_drill();
        assert_eq!(store.claim_pages().unwrap().len(), 1);
        store.release_page(id).unwrap();
        assert_eq!(store.claim_pages().unwrap().len(), 1);
    }
}
