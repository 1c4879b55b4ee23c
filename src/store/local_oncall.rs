//! The local workspace's own rotations and escalation policies, stored in the same tables as
//! a provider's so every on-call view, reminder and escalation outlook reads them alike.

use std::collections::HashSet;

use chrono::Utc;
use rusqlite::{params, Transaction, TransactionBehavior};

use super::apply::upsert_policy;
use super::policies::load_policy;
use super::Store;
use crate::error::{Error, Result};
use crate::model::Id;
use crate::provider::pagerduty_schedule::ScheduleDetail;
use crate::provider::OnCallRecord;
use crate::schedule::file::{self, OnCallFile, FORMAT};
use crate::schedule::ScheduleDef;

/// What a save changed, counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Saved {
    pub schedules: usize,
    pub policies: usize,
    pub removed_schedules: usize,
    pub removed_policies: usize,
}

impl Store {
    /// Every local schedule and policy of `account`, in the file's shape, by id.
    pub fn local_oncall(&self, account: Id) -> Result<OnCallFile> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let file = read(&tx, account)?;
        tx.commit()?;
        Ok(file)
    }

    /// Stores `file`'s schedules and policies in `account` (the local workspace), each replacing
    /// the one with its id, after checking all of them together with what stays. With
    /// `replace`, local schedules and policies the file does not name are removed. All or
    /// nothing: on any error nothing changes.
    pub fn save_local_oncall(
        &self,
        account: Id,
        file: &OnCallFile,
        replace: bool,
    ) -> Result<Saved> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let stored = read(&tx, account)?;

        let named: HashSet<&str> = file.schedules.iter().map(|s| s.id.as_str()).collect();
        let kept: Vec<ScheduleDef> = (stored.schedules.iter())
            .filter(|s| !replace && !named.contains(s.id.as_str()))
            .cloned()
            .collect();
        file::check(file, &kept)?;
        refuse_foreign_ids(&tx, account, file)?;
        check_totals(file, &stored, replace)?;

        let mut saved = write(&tx, account, file, &kept)?;
        if !replace {
            refresh_target_names(&tx, account, file, &stored, &kept)?;
        } else {
            saved.removed_schedules = remove_unnamed(&tx, account, Kind::Schedule, &named)?;
            let policies: HashSet<&str> = file.policies.iter().map(|p| p.id.as_str()).collect();
            saved.removed_policies = remove_unnamed(&tx, account, Kind::Policy, &policies)?;
        }
        tx.commit()?;
        Ok(saved)
    }

    /// Removes one local schedule; refused while a local policy pages it.
    pub fn delete_local_schedule(&self, account: Id, id: &str) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let stored = read(&tx, account)?;
        if let Some(p) = (stored.policies.iter()).find(|p| pages_schedule(p, id)) {
            return Err(Error::Conflict(format!(
                "the policy `{}` pages schedule `{id}`; change the policy first",
                p.name
            )));
        }
        if remove(&tx, account, Kind::Schedule, id)? == 0 {
            return Err(Error::NotFound(format!("local schedule `{id}`")));
        }
        tx.commit()?;
        Ok(())
    }

    /// Removes one local escalation policy; refused while an open incident walks it.
    pub fn delete_local_policy(&self, account: Id, id: &str) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let walking: i64 = tx.query_row(
            "SELECT COUNT(*) FROM incidents WHERE account_id = ?1 AND escalation_policy_id = ?2
             AND status != 'resolved'",
            params![account, id],
            |r| r.get(0),
        )?;
        if walking > 0 {
            return Err(Error::Conflict(format!(
                "{walking} open incident(s) walk the policy `{id}`; resolve them first"
            )));
        }
        if remove(&tx, account, Kind::Policy, id)? == 0 {
            return Err(Error::NotFound(format!("local policy `{id}`")));
        }
        tx.commit()?;
        Ok(())
    }
}

impl Store {
    /// Replaces the local workspace's on-call rows: who its policies page over the days ahead.
    pub fn replace_local_oncalls(&self, account: Id, rows: &[OnCallRecord]) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        super::apply::replace_oncalls(&tx, account, rows)?;
        tx.commit()?;
        Ok(())
    }
}

fn read(tx: &Transaction<'_>, account: Id) -> Result<OnCallFile> {
    let mut stmt = tx.prepare(
        "SELECT schedule_id, definition FROM schedule_details WHERE account_id = ?1
         ORDER BY schedule_id",
    )?;
    let rows = stmt.query_map([account], |r| Ok((r.get::<_, String>(0)?, r.get(1)?)))?;
    let mut schedules = Vec::new();
    for row in rows {
        let (id, definition): (String, String) = row?;
        let def = serde_json::from_str(&definition)
            .map_err(|e| Error::Invalid(format!("stored schedule `{id}`: {e}")))?;
        schedules.push(def);
    }

    let mut stmt = tx.prepare(
        "SELECT provider_id FROM escalation_policies WHERE account_id = ?1 ORDER BY provider_id",
    )?;
    let ids = stmt
        .query_map([account], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut policies = Vec::new();
    for id in ids {
        if let Some(record) = load_policy(tx, account, &id)? {
            policies.push(file::from_record(&record));
        }
    }
    Ok(OnCallFile {
        format: FORMAT.into(),
        schedules,
        policies,
    })
}

fn write(
    tx: &Transaction<'_>,
    account: Id,
    file: &OnCallFile,
    kept: &[ScheduleDef],
) -> Result<Saved> {
    let now = Utc::now();
    let details: Vec<ScheduleDetail> = (file.schedules.iter())
        .map(|def| ScheduleDetail {
            def: def.clone(),
            // Nothing rendered these but Tocsin: an empty window, nothing to cross-check.
            provider_final: Vec::new(),
            since: now,
            until: now,
        })
        .collect();
    for s in &file.schedules {
        tx.execute(
            "INSERT INTO schedules (account_id, provider_id, name, time_zone)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT DO UPDATE SET name = excluded.name, time_zone = excluded.time_zone",
            params![account, s.id, s.name, s.time_zone],
        )?;
    }
    super::schedules::replace_details(tx, account, &details)?;

    let all: Vec<ScheduleDef> = file.schedules.iter().chain(kept).cloned().collect();
    for p in &file.policies {
        upsert_policy(tx, account, &file::to_record(p, &all))?;
    }
    Ok(Saved {
        schedules: file.schedules.len(),
        policies: file.policies.len(),
        ..Saved::default()
    })
}

/// The workspace as a whole stays within a file's limits, so its export always imports again.
fn check_totals(file: &OnCallFile, stored: &OnCallFile, replace: bool) -> Result<()> {
    let mut all = file.clone();
    if !replace {
        let schedules: HashSet<&str> = file.schedules.iter().map(|s| s.id.as_str()).collect();
        let policies: HashSet<&str> = file.policies.iter().map(|p| p.id.as_str()).collect();
        let kept = stored
            .schedules
            .iter()
            .filter(|s| !schedules.contains(s.id.as_str()));
        all.schedules.extend(kept.cloned());
        let kept = stored
            .policies
            .iter()
            .filter(|p| !policies.contains(p.id.as_str()));
        all.policies.extend(kept.cloned());
    }
    if all.schedules.len() > file::MAX_LOCAL_SCHEDULES
        || all.policies.len() > file::MAX_LOCAL_POLICIES
    {
        return Err(Error::Invalid(format!(
            "the workspace would hold {} rotations and {} policies; at most {} and {}",
            all.schedules.len(),
            all.policies.len(),
            file::MAX_LOCAL_SCHEDULES,
            file::MAX_LOCAL_POLICIES
        )));
    }
    if file::write(&all)?.len() > file::MAX_FILE_BYTES {
        return Err(Error::Invalid(format!(
            "the workspace's rotations and policies would be larger than {} KiB as a file",
            file::MAX_FILE_BYTES / 1024
        )));
    }
    Ok(())
}

/// A local id that another account uses for a schedule would make lookups by id ambiguous.
fn refuse_foreign_ids(tx: &Transaction<'_>, account: Id, file: &OnCallFile) -> Result<()> {
    let mut stmt = tx.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM schedules WHERE provider_id = ?1 AND account_id != ?2)",
    )?;
    for s in &file.schedules {
        if stmt.query_row(params![s.id, account], |r| r.get::<_, bool>(0))? {
            return Err(Error::Conflict(format!(
                "schedule id `{}` is taken by a synced account; choose another",
                s.id
            )));
        }
    }
    Ok(())
}

/// Stored policies the file does not name copy their targets' names from the schedules, so
/// a renamed schedule or person is written into them again.
fn refresh_target_names(
    tx: &Transaction<'_>,
    account: Id,
    file: &OnCallFile,
    stored: &OnCallFile,
    kept: &[ScheduleDef],
) -> Result<()> {
    let named: HashSet<&str> = file.policies.iter().map(|p| p.id.as_str()).collect();
    let all: Vec<ScheduleDef> = file.schedules.iter().chain(kept).cloned().collect();
    for p in stored
        .policies
        .iter()
        .filter(|p| !named.contains(p.id.as_str()))
    {
        upsert_policy(tx, account, &file::to_record(p, &all))?;
    }
    Ok(())
}

fn pages_schedule(p: &file::PolicyDef, schedule: &str) -> bool {
    (p.levels.iter().flat_map(|l| l.targets.iter()))
        .any(|t| t.kind == file::TargetKind::Schedule && t.id == schedule)
}

/// What a removal removes: a schedule with its definition and reminders, or a policy with its
/// levels.
#[derive(Clone, Copy)]
enum Kind {
    Schedule,
    Policy,
}

impl Kind {
    fn table(self) -> &'static str {
        match self {
            Kind::Schedule => "schedules",
            Kind::Policy => "escalation_policies",
        }
    }

    /// The deletes in an order the foreign keys accept; the last one removes the row itself.
    fn deletes(self) -> &'static [&'static str] {
        match self {
            Kind::Schedule => &[
                "DELETE FROM schedule_details WHERE account_id = ?1 AND schedule_id = ?2",
                "DELETE FROM shift_reminders WHERE account_id = ?1 AND schedule_id = ?2",
                "DELETE FROM schedules WHERE account_id = ?1 AND provider_id = ?2",
            ],
            Kind::Policy => &[
                "DELETE FROM escalation_rules WHERE account_id = ?1 AND policy_id = ?2",
                "DELETE FROM escalation_policies WHERE account_id = ?1 AND provider_id = ?2",
            ],
        }
    }
}

/// Removes the local schedules or policies whose ids are not in `keep`; how many went.
fn remove_unnamed(
    tx: &Transaction<'_>,
    account: Id,
    kind: Kind,
    keep: &HashSet<&str>,
) -> Result<usize> {
    let sql = format!(
        "SELECT provider_id FROM {} WHERE account_id = ?1",
        kind.table()
    );
    let mut stmt = tx.prepare(&sql)?;
    let ids = stmt
        .query_map([account], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut removed = 0;
    for id in ids.iter().filter(|id| !keep.contains(id.as_str())) {
        removed += remove(tx, account, kind, id)?;
    }
    Ok(removed)
}

/// Removes one local schedule or policy; 1 if it was there, 0 if not.
fn remove(tx: &Transaction<'_>, account: Id, kind: Kind, id: &str) -> Result<usize> {
    let mut last = 0;
    for sql in kind.deletes() {
        last = tx.execute(sql, params![account, id])?;
    }
    Ok(last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ProviderKind, TokenSource};
    use crate::provider::{Batch, ScheduleRecord};
    use crate::store::NewAccount;

    const FILE: &str = r#"
format = "tocsin-oncall/1"
[[schedule]]
id = "PSHARED"
name = "Shared"
time_zone = "UTC"
[[schedule.layers]]
start = "2026-01-05T00:00:00Z"
rotation_virtual_start = "2026-01-05T00:00:00Z"
rotation_turn_length_seconds = 86400
users = [{ id = "ada", name = "Ada" }]
"#;

    /// A PagerDuty account without a token: enough to hold synced rows.
    fn pagerduty_account(store: &Store) -> Id {
        let new = NewAccount {
            name: "pd".into(),
            kind: ProviderKind::Pagerduty,
            api_url: None,
            token: TokenSource::None,
            email: None,
        };
        store.add_account(&new).unwrap().id
    }

    #[test]
    fn a_local_id_a_synced_account_uses_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let local = store.local_account().unwrap().id;
        let pd = pagerduty_account(&store);
        let batch = Batch {
            schedules: vec![ScheduleRecord {
                provider_id: "PSHARED".into(),
                name: "PagerDuty's".into(),
                time_zone: None,
            }],
            ..Batch::default()
        };
        store.apply(pd, &batch).unwrap();

        let file = file::parse(FILE).unwrap();
        let err = store.save_local_oncall(local, &file, false).unwrap_err();
        assert_eq!(err.code(), "conflict");
        assert!(store.local_oncall(local).unwrap().schedules.is_empty());

        let free = file::parse(&FILE.replace("PSHARED", "shared")).unwrap();
        store.save_local_oncall(local, &free, false).unwrap();
        assert_eq!(store.local_oncall(local).unwrap().schedules.len(), 1);
    }

    #[test]
    fn an_id_two_accounts_share_is_refused_by_id_and_found_by_account() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let local = store.local_account().unwrap().id;
        let file = file::parse(&FILE.replace("PSHARED", "PWEB1")).unwrap();
        store.save_local_oncall(local, &file, false).unwrap();

        // A later sync of another account brings a schedule with the same id.
        let pd = pagerduty_account(&store);
        let mut def = file.schedules[0].clone();
        def.layers[0].users[0].name = "Pd Person".into();
        let now = Utc::now();
        let batch = Batch {
            schedule_details: vec![ScheduleDetail {
                def,
                provider_final: vec![],
                since: now,
                until: now,
            }],
            ..Batch::default()
        };
        store.apply(pd, &batch).unwrap();

        assert_eq!(
            store.schedule_detail("PWEB1").unwrap_err().code(),
            "conflict"
        );
        let mine = store.schedule_detail_in(local, "PWEB1").unwrap();
        assert_eq!(mine.def.layers[0].users[0].name, "Ada");
    }
}
