//! The durable outbox: writes to providers queued together with their optimistic change to the
//! cache, claimed strictly in queue order per account, and finished exactly once.
//!
//! An entry is `pending` until a sender claims it (`sending`, with its process id and time);
//! the sender then records the result (`done`, `conflict`, `failed`) or gives it back with a
//! time for the next attempt. A claim whose process died, or that is older than the lease, is
//! taken over — and marked as a resend, so the sender first checks whether the provider has it
//! already. Only the head of an account's queue is ever claimable, so actions reach the
//! provider in the order the person took them.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Row, Transaction};

use super::actions::{self, apply_in};
use super::apply::{log_refused, upsert_incidents};
use super::{parse_ts, ts, Store};
use crate::error::{Error, Result};
use crate::model::{
    Action, Declaration, Id, Incident, OutboxEntry, OutboxState, ProviderKind, Write,
};
use crate::provider::{ingest, IncidentRecord};

/// How long a claim protects an entry from other senders; longer than any one send can take.
pub const CLAIM_LEASE: Duration = Duration::from_secs(120);

/// What `entry_from_row` reads: an entry with its account's name and its incident's title.
const ENTRY_SELECT: &str = "SELECT o.id, o.account_id, a.name, o.incident_id, i.title, o.write,
        o.state, o.attempts, o.queued_at, o.next_attempt_at, o.finished_at, o.last_error,
        o.last_error_code
     FROM outbox o JOIN accounts a ON a.id = o.account_id
     LEFT JOIN incidents i ON i.id = o.incident_id";

/// Provider id given to a declared incident until the provider has assigned its own.
pub const PLACEHOLDER_PREFIX: &str = "tocsin:";

/// An entry a sender has claimed and must now finish.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: Id,
    pub account_id: Id,
    pub incident_id: Option<Id>,
    /// The incident's provider id; a placeholder for a declaration.
    pub incident_provider_id: Option<String>,
    pub write: Write,
    pub key: String,
    pub author: String,
    pub queued_at: DateTime<Utc>,
    /// True when an earlier attempt may have reached the provider: check before sending.
    pub resend: bool,
    /// What an earlier write for the same incident created (an Alertmanager silence); a
    /// Statuspage incident is not the provider's and never counts.
    pub earlier_result: Option<String>,
    /// What every earlier delivered write for the incident created (note ids, silences):
    /// a resend never takes one of these for its own first attempt.
    pub earlier_results: Vec<String>,
    /// When this claim was made; `finish` only records an outcome while the claim is still
    /// this one (not taken over by another sender after the lease).
    pub claimed_at: String,
}

/// How a send ended.
#[derive(Debug)]
pub enum Finish<'a> {
    /// The provider has it. `result` names what it created; `incident` is the provider's
    /// view of the incident afterwards, to correct the cache with.
    Done {
        result: Option<String>,
        incident: Option<&'a IncidentRecord>,
    },
    /// Try again at `next` (offline, throttled, a server error).
    Retry {
        error: &'a Error,
        next: DateTime<Utc>,
    },
    /// The provider refused it for good; the cache is corrected from `incident`.
    Refused {
        state: OutboxState,
        message: String,
        code: &'a str,
        incident: Option<&'a IncidentRecord>,
    },
}

impl Store {
    /// Applies `action` to the cached incident and queues it for the provider, in one
    /// transaction: either both happen or neither.
    pub fn enqueue_action(&self, incident_id: Id, action: &Action, by: &str) -> Result<Id> {
        let incident = self.incident_row(incident_id)?;
        actions::check(&incident, action)?;
        self.check_escalation_level(&incident, action)?;

        let write = Write::Act {
            action: action.clone(),
        };
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let id = insert_entry(&tx, incident.account_id, Some(incident_id), &write, by)?;
        apply_in(&tx, &incident, action, by, Some(id))?;
        tx.commit()?;
        tracing::info!(
            outbox = id,
            incident = incident_id,
            action = action.verb(),
            "queued"
        );
        Ok(id)
    }

    /// Queues a new incident for the provider and caches it at once under a placeholder id,
    /// so the person can work on it (roles, checklist, notes) before the provider answers.
    pub fn enqueue_declaration(
        &self,
        account_id: Id,
        declaration: &Declaration,
        by: &str,
    ) -> Result<(Id, Id)> {
        let write = Write::Declare {
            declaration: declaration.clone(),
        };
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let id = insert_entry(&tx, account_id, None, &write, by)?;
        let key: String = tx.query_row(
            "SELECT idempotency_key FROM outbox WHERE id = ?1",
            [id],
            |r| r.get(0),
        )?;
        let incident_id = insert_placeholder(&tx, account_id, declaration, &key, by, id)?;
        tx.execute(
            "UPDATE outbox SET incident_id = ?2 WHERE id = ?1",
            params![id, incident_id],
        )?;
        tx.commit()?;
        tracing::info!(outbox = id, incident = incident_id, "declaration queued");
        Ok((id, incident_id))
    }

    /// Claims the head of the account's queue if it is due: pending and past its back-off,
    /// or left `sending` by a process that died or overran its lease. Later entries wait for
    /// the head, which keeps the provider's order the person's order.
    pub fn claim_next(&self, account_id: Id, now: DateTime<Utc>) -> Result<Option<Claimed>> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let head = tx
            .query_row(
                "SELECT o.id, o.state, o.next_attempt_at, o.claimed_at, o.claimed_by,
                        o.attempts
                 FROM outbox o WHERE o.account_id = ?1 AND o.state IN ('pending', 'sending')
                 ORDER BY o.id LIMIT 1",
                [account_id],
                |r| {
                    Ok(Head {
                        id: r.get(0)?,
                        state: OutboxState::parse(&r.get::<_, String>(1)?),
                        next_attempt_at: r.get::<_, Option<String>>(2)?,
                        claimed_at: r.get::<_, Option<String>>(3)?,
                        claimed_by: r.get::<_, Option<u32>>(4)?,
                        attempts: r.get(5)?,
                    })
                },
            )
            .optional()?;
        let Some(head) = head.filter(|h| h.claimable(now)) else {
            return Ok(None);
        };

        let claimed = claim(&tx, head.id, now, head.attempts > 0)?;
        tx.commit()?;
        Ok(Some(claimed))
    }

    /// Claims the head of the account's queue and, when it is a first attempt at a status
    /// change (acknowledge or resolve), the identical first attempts right behind it on other
    /// incidents, up to `max`: a run one bulk request can carry. Order is kept: the run stops
    /// at the first entry that does not fit.
    pub fn claim_run(
        &self,
        account_id: Id,
        now: DateTime<Utc>,
        max: usize,
    ) -> Result<Vec<Claimed>> {
        let Some(head) = self.claim_next(account_id, now)? else {
            return Ok(Vec::new());
        };
        let bulkable = matches!(
            &head.write,
            Write::Act {
                action: Action::Acknowledge | Action::Resolve
            }
        );
        if !bulkable || head.resend || max < 2 {
            return Ok(vec![head]);
        }

        let mut conn = self.conn();
        let tx = conn.transaction()?;
        // (id, incident, write, attempts, next attempt) of the entries behind the head.
        type Follower = (Id, Option<Id>, String, i64, Option<String>);
        let followers: Vec<Follower> = {
            let mut stmt = tx.prepare_cached(
                "SELECT id, incident_id, write, attempts, next_attempt_at FROM outbox
                 WHERE account_id = ?1 AND id > ?2 AND state IN ('pending', 'sending')
                 ORDER BY id LIMIT ?3",
            )?;
            let rows = stmt.query_map(params![account_id, head.id, max as i64], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?;
            rows.collect::<Result<_, _>>()?
        };

        let mut run = vec![head];
        let mut incidents: Vec<Option<Id>> = vec![run[0].incident_id];
        for (id, incident, write, attempts, next) in followers {
            let due = next.as_deref().and_then(parse_ts).is_none_or(|t| t <= now);
            let same = parse_write(&write) == run[0].write;
            let fits = attempts == 0 && due && same && incident.is_some();
            if !fits || incidents.contains(&incident) || run.len() >= max {
                break;
            }
            let claimed = claim(&tx, id, now, false)?;
            incidents.push(incident);
            run.push(claimed);
        }
        tx.commit()?;
        Ok(run)
    }

    /// Records how a send ended, correcting the cache from the provider's view when it gave
    /// one, in one transaction.
    pub fn finish(&self, entry: &Claimed, finish: Finish<'_>) -> Result<()> {
        // The provider's view is provider text like a sync's: cleaned, or left out when its
        // ids are absurd (the next pass reads the incident anyway).
        let provider = ingest::provider_name(self.account(entry.account_id)?.kind);
        let cleaned = match &finish {
            Finish::Done { incident, .. } | Finish::Refused { incident, .. } => {
                incident.and_then(|r| ingest::incident(r, provider).map_err(log_refused_one).ok())
            }
            Finish::Retry { .. } => None,
        };

        let now = ts(Utc::now());
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let ours: bool = tx
            .query_row(
                "SELECT state = 'sending' AND claimed_at = ?2 AND claimed_by = ?3
                 FROM outbox WHERE id = ?1",
                params![entry.id, entry.claimed_at, std::process::id()],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(false);
        if !ours {
            tracing::warn!(
                outbox = entry.id,
                "claim was taken over; its new sender records it"
            );
            return Ok(());
        }

        match &finish {
            Finish::Done { result, .. } => {
                tx.execute(
                    "UPDATE outbox SET state = 'done', finished_at = ?2, result = ?3,
                            last_error = NULL, last_error_code = NULL, claimed_by = NULL
                     WHERE id = ?1",
                    params![entry.id, now, result],
                )?;
            }
            Finish::Retry { error, next } => {
                tx.execute(
                    "UPDATE outbox SET state = 'pending', next_attempt_at = ?2,
                            last_error = ?3, last_error_code = ?4, claimed_by = NULL
                     WHERE id = ?1",
                    params![entry.id, ts(*next), error.to_string(), error.code()],
                )?;
            }
            Finish::Refused {
                state,
                message,
                code,
                ..
            } => {
                tx.execute(
                    "UPDATE outbox SET state = ?2, finished_at = ?3, last_error = ?4,
                            last_error_code = ?5, claimed_by = NULL
                     WHERE id = ?1",
                    params![entry.id, state.as_str(), now, message, code],
                )?;
                close_refused_declaration(&tx, entry, message, &now)?;
            }
        }

        if let Some(record) = &cleaned {
            adopt_provider_id(&tx, entry, record)?;
            upsert_incidents(&tx, entry.account_id, std::slice::from_ref(record))?;
            // The sync keeps an acknowledgement time it has seen; a refused acknowledgement's
            // was never real, so the provider's word stands.
            if matches!(finish, Finish::Refused { .. }) {
                tx.execute(
                    "UPDATE incidents SET acknowledged_at = ?3
                     WHERE account_id = ?1 AND provider_id = ?2",
                    params![
                        entry.account_id,
                        record.provider_id,
                        record.acknowledged_at.map(ts)
                    ],
                )?;
            }
        }
        if let Some(incident) = entry.incident_id {
            overlay(&tx, entry.account_id, Some(incident))?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Makes every waiting entry of the account due now: after the token was replaced, or
    /// when the person asks to sync.
    pub fn outbox_retry_now(&self, account_id: Option<Id>) -> Result<usize> {
        let changed = self.conn().execute(
            "UPDATE outbox SET next_attempt_at = NULL
             WHERE state = 'pending' AND (?1 IS NULL OR account_id = ?1)",
            params![account_id],
        )?;
        Ok(changed)
    }

    /// How many unfinished entries publish to status page `page`.
    pub fn outbox_waiting_for_page(&self, page: Id) -> Result<usize> {
        let count: i64 = self.conn().query_row(
            "SELECT count(*) FROM outbox
             WHERE state IN ('pending', 'sending')
               AND json_extract(write, '$.type') = 'statuspage'
               AND json_extract(write, '$.page') = ?1",
            [page],
            |r| r.get(0),
        )?;
        Ok(count as usize)
    }

    /// How many of the account's entries are not finished yet.
    pub fn outbox_unfinished(&self, account_id: Id) -> Result<usize> {
        let count: i64 = self.conn().query_row(
            "SELECT count(*) FROM outbox
             WHERE account_id = ?1 AND state IN ('pending', 'sending')",
            [account_id],
            |r| r.get(0),
        )?;
        Ok(count as usize)
    }

    /// Accounts with something waiting to be sent.
    pub fn outbox_accounts(&self) -> Result<Vec<Id>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT DISTINCT account_id FROM outbox WHERE state IN ('pending', 'sending')",
        )?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every unfinished entry, and the last 200 finished in the last day; newest first.
    pub fn outbox(&self) -> Result<Vec<OutboxEntry>> {
        let since = ts(Utc::now() - chrono::Duration::days(1));
        let conn = self.conn();
        let sql = format!(
            "{ENTRY_SELECT}
             WHERE o.state IN ('pending', 'sending')
                OR o.id IN (SELECT id FROM outbox WHERE finished_at >= ?1
                            ORDER BY id DESC LIMIT 200)
             ORDER BY o.id DESC"
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([since], entry_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// One entry by id.
    pub fn outbox_entry(&self, id: Id) -> Result<OutboxEntry> {
        let conn = self.conn();
        conn.query_row(
            &format!("{ENTRY_SELECT} WHERE o.id = ?1"),
            [id],
            entry_from_row,
        )
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("outbox entry {id}")))
    }
}

/// The head of a queue, enough to decide whether it can be claimed.
struct Head {
    id: Id,
    state: OutboxState,
    next_attempt_at: Option<String>,
    claimed_at: Option<String>,
    claimed_by: Option<u32>,
    attempts: i64,
}

impl Head {
    fn claimable(&self, now: DateTime<Utc>) -> bool {
        match self.state {
            OutboxState::Pending => self
                .next_attempt_at
                .as_deref()
                .and_then(parse_ts)
                .is_none_or(|next| next <= now),
            OutboxState::Sending => {
                let lease = chrono::Duration::from_std(CLAIM_LEASE).unwrap_or_default();
                let overran = self
                    .claimed_at
                    .as_deref()
                    .and_then(parse_ts)
                    .is_none_or(|at| at + lease <= now);
                overran || self.claimed_by.is_none_or(|pid| !process_alive(pid))
            }
            _ => false,
        }
    }
}

/// Whether a process is still running. Where that cannot be told, it is assumed to be, and
/// only the lease frees its claim.
fn process_alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        return std::path::Path::new(&format!("/proc/{pid}")).exists();
    }
    true
}

pub(super) fn insert_entry(
    tx: &Transaction<'_>,
    account_id: Id,
    incident_id: Option<Id>,
    write: &Write,
    by: &str,
) -> Result<Id> {
    let body = serde_json::to_string(write).map_err(|e| Error::Invalid(e.to_string()))?;
    tx.execute(
        "INSERT INTO outbox (account_id, incident_id, write, idempotency_key, author, queued_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![account_id, incident_id, body, new_key(), by, ts(Utc::now())],
    )?;
    Ok(tx.last_insert_rowid())
}

/// A key unique to this entry across machines: time, process and a random part.
fn new_key() -> String {
    let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
    let random = (crate::provider::http::jitter() * u64::MAX as f64) as u64;
    format!("{nanos:x}{:x}{random:016x}", std::process::id())
}

fn insert_placeholder(
    tx: &Transaction<'_>,
    account_id: Id,
    d: &Declaration,
    key: &str,
    by: &str,
    outbox_id: Id,
) -> Result<Id> {
    let now = ts(Utc::now());
    let urgency = d.urgency.unwrap_or(if d.severity <= 2 {
        crate::model::Urgency::High
    } else {
        crate::model::Urgency::Low
    });
    tx.execute(
        "INSERT INTO incidents (account_id, provider_id, title, status, urgency, severity,
             service_id, service_name, created_at, updated_at)
         VALUES (?1, ?2, ?3, 'triggered', ?4, ?5, ?6,
                 (SELECT name FROM services WHERE account_id = ?1 AND provider_id = ?6),
                 ?7, ?7)",
        params![
            account_id,
            format!("{PLACEHOLDER_PREFIX}{key}"),
            d.title,
            urgency.as_str(),
            d.severity,
            d.service_id,
            now
        ],
    )?;
    let incident_id = tx.last_insert_rowid();
    tx.execute(
        "INSERT INTO log_entries (incident_id, kind, at, summary, agent, outbox_id)
         VALUES (?1, 'declare', ?2, ?3, ?4, ?5)",
        params![
            incident_id,
            now,
            format!("Declared SEV-{} by {by}", d.severity),
            by,
            outbox_id
        ],
    )?;
    Ok(incident_id)
}

/// When a declaration lands, its placeholder row takes the provider's id. A sync pass may have
/// cached the new incident already under that id; its rows move over and it goes, so the
/// person's incident (with everything done on it meanwhile) is the one that stays.
fn log_refused_one(e: Error) {
    log_refused(std::slice::from_ref(&e));
}

fn adopt_provider_id(tx: &Transaction<'_>, entry: &Claimed, record: &IncidentRecord) -> Result<()> {
    let Some(placeholder) = entry.incident_id else {
        return Ok(());
    };
    let is_placeholder = entry
        .incident_provider_id
        .as_deref()
        .is_some_and(|p| p.starts_with(PLACEHOLDER_PREFIX));
    if !is_placeholder {
        return Ok(());
    }
    let synced: Option<Id> = tx
        .query_row(
            "SELECT id FROM incidents WHERE account_id = ?1 AND provider_id = ?2",
            params![entry.account_id, record.provider_id],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(synced) = synced.filter(|s| *s != placeholder) {
        merge_into(tx, synced, placeholder)?;
    }
    tx.execute(
        "UPDATE incidents SET provider_id = ?2 WHERE id = ?1",
        params![placeholder, record.provider_id],
    )?;
    Ok(())
}

/// A declaration the provider refused leaves an incident that exists nowhere else: it is
/// closed, saying why, so it does not sit in the list as triggered forever. What was done on
/// it (cockpit, notes) stays readable.
fn close_refused_declaration(
    tx: &Transaction<'_>,
    entry: &Claimed,
    message: &str,
    now: &str,
) -> Result<()> {
    let is_declaration = matches!(entry.write, Write::Declare { .. });
    let placeholder = entry
        .incident_provider_id
        .as_deref()
        .is_some_and(|p| p.starts_with(PLACEHOLDER_PREFIX));
    let Some(incident) = entry.incident_id.filter(|_| is_declaration && placeholder) else {
        return Ok(());
    };
    tx.execute(
        "UPDATE incidents SET status = 'resolved', resolved_at = ?2, updated_at = ?2
         WHERE id = ?1",
        params![incident, now],
    )?;
    tx.execute(
        "INSERT INTO log_entries (incident_id, kind, at, summary, agent)
         VALUES (?1, 'declare_refused', ?2, ?3, 'Tocsin')",
        params![
            incident,
            now,
            format!("Not opened at the provider: {message}")
        ],
    )?;
    Ok(())
}

/// Moves everything that belongs to incident `from` — queued actions, timeline, page ledger,
/// cockpit, status-page links, and whatever a later migration adds with an `incident_id` —
/// onto incident `to`, then deletes `from`. Where `to` already has the same row (its own
/// cockpit, say), `to`'s is kept. Foreign keys are checked at commit, so parent and child rows
/// (a cockpit and its items) can move in any order.
fn merge_into(tx: &Transaction<'_>, from: Id, to: Id) -> Result<()> {
    tx.pragma_update(None, "defer_foreign_keys", true)?;
    let tables: Vec<String> = {
        let mut stmt = tx.prepare(
            "SELECT m.name FROM sqlite_master m
             WHERE m.type = 'table' AND m.name != 'incidents'
               AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) c
                           WHERE c.name = 'incident_id')",
        )?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        rows.collect::<Result<_, _>>()?
    };
    for table in tables {
        // Table names come from the schema itself, never from input.
        tx.execute(
            &format!("UPDATE OR IGNORE \"{table}\" SET incident_id = ?2 WHERE incident_id = ?1"),
            params![from, to],
        )?;
    }
    tx.execute("DELETE FROM incidents WHERE id = ?1", [from])?;
    Ok(())
}

/// Marks entry `id` as being sent by this process since `now`, and reads it as claimed.
fn claim(tx: &Transaction<'_>, id: Id, now: DateTime<Utc>, resend: bool) -> Result<Claimed> {
    tx.execute(
        "UPDATE outbox SET state = 'sending', attempts = attempts + 1, claimed_at = ?2,
                claimed_by = ?3
         WHERE id = ?1",
        params![id, ts(now), std::process::id()],
    )?;
    let mut claimed = claimed_row(tx, id, resend)?;
    claimed.claimed_at = ts(now);
    Ok(claimed)
}

fn claimed_row(tx: &Transaction<'_>, id: Id, resend: bool) -> Result<Claimed> {
    let claimed = tx.query_row(
        "SELECT o.id, o.account_id, o.incident_id, i.provider_id, o.write, o.idempotency_key,
                o.author, o.queued_at,
                (SELECT e.result FROM outbox e WHERE e.incident_id = o.incident_id
                   AND e.id < o.id AND e.state = 'done' AND e.result IS NOT NULL
                   AND json_extract(e.write, '$.type') != 'statuspage'
                 ORDER BY e.id DESC LIMIT 1)
         FROM outbox o LEFT JOIN incidents i ON i.id = o.incident_id WHERE o.id = ?1",
        [id],
        |r| {
            Ok(Claimed {
                id: r.get(0)?,
                account_id: r.get(1)?,
                incident_id: r.get(2)?,
                incident_provider_id: r.get(3)?,
                write: parse_write(&r.get::<_, String>(4)?),
                key: r.get(5)?,
                author: r.get(6)?,
                queued_at: parse_ts(&r.get::<_, String>(7)?).unwrap_or_default(),
                resend,
                earlier_result: r.get(8)?,
                earlier_results: Vec::new(),
                claimed_at: String::new(),
            })
        },
    )?;
    let mut claimed = claimed;
    if let Some(incident) = claimed.incident_id {
        let mut stmt = tx.prepare_cached(
            "SELECT result FROM outbox
             WHERE incident_id = ?1 AND id != ?2 AND state = 'done' AND result IS NOT NULL
               AND json_extract(write, '$.type') != 'statuspage'",
        )?;
        let rows = stmt.query_map(params![incident, id], |r| r.get(0))?;
        claimed.earlier_results = rows.collect::<Result<_, _>>()?;
    }
    Ok(claimed)
}

/// Re-applies the cache changes of every unfinished entry of the account, in queue order, so
/// that a sync pass (or a provider answer) older than those actions does not undo them on
/// screen. Timeline entries are not written again.
pub(crate) fn overlay_unfinished(tx: &Transaction<'_>, account_id: Id) -> Result<()> {
    overlay(tx, account_id, None)
}

/// Re-applies the unfinished entries of the account — of one incident only, when given: a
/// finished entry changed only its own incident, and replaying the whole queue after each
/// one would make draining a long queue quadratic.
fn overlay(tx: &Transaction<'_>, account_id: Id, incident: Option<Id>) -> Result<()> {
    let pending: Vec<(Id, String, String)> = {
        let mut stmt = tx.prepare_cached(
            "SELECT o.incident_id, a.kind, o.write FROM outbox o
             JOIN accounts a ON a.id = o.account_id
             WHERE o.account_id = ?1 AND o.state IN ('pending', 'sending')
               AND o.incident_id IS NOT NULL AND (?2 IS NULL OR o.incident_id = ?2)
             ORDER BY o.id",
        )?;
        let rows = stmt.query_map(params![account_id, incident], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
        rows.collect::<Result<_, _>>()?
    };
    let now = ts(Utc::now());
    for (incident_id, kind, write) in pending {
        if let Write::Act { action } = parse_write(&write) {
            let provider = ProviderKind::parse(&kind).unwrap_or(ProviderKind::Local);
            actions::effect(tx, incident_id, provider, &action, &now)?;
        }
    }
    Ok(())
}

/// An entry's write. A row this build cannot read (written by a newer Tocsin) becomes a note
/// that says so rather than failing the whole queue.
fn parse_write(text: &str) -> Write {
    serde_json::from_str(text).unwrap_or_else(|_| Write::Act {
        action: Action::Note {
            text: "(an action this version of Tocsin cannot read)".into(),
        },
    })
}

fn entry_from_row(r: &Row<'_>) -> rusqlite::Result<OutboxEntry> {
    Ok(OutboxEntry {
        id: r.get(0)?,
        account_id: r.get(1)?,
        account_name: r.get(2)?,
        incident_id: r.get(3)?,
        incident_title: r.get(4)?,
        write: parse_write(&r.get::<_, String>(5)?),
        state: OutboxState::parse(&r.get::<_, String>(6)?),
        attempts: r.get(7)?,
        queued_at: parse_ts(&r.get::<_, String>(8)?).unwrap_or_default(),
        next_attempt_at: r.get::<_, Option<String>>(9)?.as_deref().and_then(parse_ts),
        finished_at: r
            .get::<_, Option<String>>(10)?
            .as_deref()
            .and_then(parse_ts),
        last_error: r.get(11)?,
        last_error_code: r.get(12)?,
    })
}

/// Whether the cached incident is a declaration the provider has not confirmed yet.
pub fn is_placeholder(incident: &Incident) -> bool {
    incident.provider_id.starts_with(PLACEHOLDER_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::store_with_drill;

    fn state(store: &Store, id: Id) -> String {
        store
            .conn()
            .query_row("SELECT state FROM outbox WHERE id = ?1", [id], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn only_the_head_is_claimed_and_a_fresh_claim_is_not_taken_over() {
        let (_dir, store, id) = store_with_drill();
        let account = store.incident_row(id).unwrap().account_id;
        let first = store
            .enqueue_action(id, &Action::Acknowledge, "You")
            .unwrap();
        store.enqueue_action(id, &Action::Resolve, "You").unwrap();

        let claimed = store.claim_next(account, Utc::now()).unwrap().unwrap();
        assert_eq!(claimed.id, first);
        assert!(!claimed.resend);
        // This process is alive and its claim fresh: nobody else may send the head, and
        // the entry behind it waits.
        assert!(store.claim_next(account, Utc::now()).unwrap().is_none());
    }

    #[test]
    fn an_outcome_is_not_recorded_over_a_claim_taken_over_by_another_sender() {
        let (_dir, store, id) = store_with_drill();
        let account = store.incident_row(id).unwrap().account_id;
        let entry = store
            .enqueue_action(id, &Action::Acknowledge, "You")
            .unwrap();
        let mine = store.claim_next(account, Utc::now()).unwrap().unwrap();

        // The lease ran out and another sender claimed the entry as a resend.
        let later = Utc::now() + chrono::Duration::from_std(CLAIM_LEASE).unwrap();
        let theirs = store.claim_next(account, later).unwrap().unwrap();
        assert!(theirs.resend);

        let done = Finish::Done {
            result: None,
            incident: None,
        };
        store.finish(&mine, done).unwrap();
        assert_eq!(
            state(&store, entry),
            "sending",
            "the new sender's claim stands"
        );
        let done = Finish::Done {
            result: None,
            incident: None,
        };
        store.finish(&theirs, done).unwrap();
        assert_eq!(state(&store, entry), "done");
    }
}
