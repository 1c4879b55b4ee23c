//! The local workspace's own rotations and escalation policies on the [`Tocsin`] facade: read,
//! save and remove them one at a time (the window's editor), or import and export a file.
//!
//! They are stored like a provider's, under the local account, so every on-call view, shift
//! reminder and calendar export reads them without knowing where they came from.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::file::{self, OnCallFile, PolicyDef, FORMAT};
use super::{render, ScheduleDef, ScheduleEntry, ScheduleUser};
use crate::error::{Error, Result};
use crate::model::Person;
use crate::provider::OnCallRecord;
use crate::Tocsin;

/// How far ahead the local on-call rows reach; the engine refreshes them twice a minute.
const LOCAL_ONCALL_DAYS: i64 = 14;

/// More rows than this are cut to the next day (then cut outright, with a warning).
const MAX_LOCAL_ONCALL_ROWS: usize = 50_000;

/// The local workspace's rotations and policies, the people on them, and which one is me.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct LocalOnCall {
    pub schedules: Vec<ScheduleDef>,
    pub policies: Vec<PolicyDef>,
    /// Everyone on a layer or an override, by id, once each.
    pub people: Vec<ScheduleUser>,
    /// My user id in the local workspace: my shifts and reminders follow it.
    pub me: Option<String>,
}

/// What an import changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ImportSummary {
    pub schedules: u32,
    pub policies: u32,
    pub removed_schedules: u32,
    pub removed_policies: u32,
}

impl Tocsin {
    /// Every local rotation and policy, with the people on them.
    pub fn local_oncall(&self) -> Result<LocalOnCall> {
        let account = self.store.local_account()?;
        let file = self.store.local_oncall(account.id)?;
        let mut people = BTreeMap::new();
        for s in &file.schedules {
            let on_layers = s.layers.iter().flat_map(|l| l.users.iter());
            for u in on_layers.chain(s.overrides.iter().map(|o| &o.user)) {
                people.entry(u.id.clone()).or_insert_with(|| u.clone());
            }
        }
        // People a policy pages directly are people of the workspace too.
        let direct = (file.policies.iter())
            .flat_map(|p| p.levels.iter().flat_map(|l| l.targets.iter()))
            .filter(|t| t.kind == super::TargetKind::User);
        for t in direct {
            let name = if t.name.is_empty() { &t.id } else { &t.name };
            (people.entry(t.id.clone())).or_insert_with(|| ScheduleUser {
                id: t.id.clone(),
                name: name.clone(),
            });
        }
        Ok(LocalOnCall {
            schedules: file.schedules,
            policies: file.policies,
            people: people.into_values().collect(),
            me: account.user_id,
        })
    }

    /// The local rotations and policies as a file's text.
    pub fn export_local_oncall(&self) -> Result<String> {
        let account = self.store.local_account()?;
        file::write(&self.store.local_oncall(account.id)?)
    }

    /// Reads an on-call file into the local workspace: each schedule and policy replaces the
    /// one with its id; with `replace`, local ones the file does not name are removed. The
    /// whole file is checked first and nothing changes unless all of it is good.
    pub fn import_local_oncall(&self, text: &str, replace: bool) -> Result<ImportSummary> {
        let parsed = file::parse(text)?;
        let account = self.store.local_account()?;
        let saved = self.store.save_local_oncall(account.id, &parsed, replace)?;
        self.refresh_local_oncalls(chrono::Utc::now())?;
        tracing::info!(
            schedules = saved.schedules,
            policies = saved.policies,
            removed_schedules = saved.removed_schedules,
            removed_policies = saved.removed_policies,
            "on-call file imported"
        );
        let n = |v: usize| v as u32;
        Ok(ImportSummary {
            schedules: n(saved.schedules),
            policies: n(saved.policies),
            removed_schedules: n(saved.removed_schedules),
            removed_policies: n(saved.removed_policies),
        })
    }

    /// Saves one local rotation, new (empty id: one is made from its name) or changed, and
    /// returns it as stored.
    pub fn save_local_schedule(&self, mut def: ScheduleDef) -> Result<ScheduleDef> {
        let account = self.store.local_account()?;
        if def.id.is_empty() {
            let taken: HashSet<String> = (self.store.schedules()?.into_iter())
                .map(|s| s.id)
                .collect();
            def.id = file::id_from_name(&def.name, &taken);
        }
        for (i, layer) in def.layers.iter_mut().enumerate() {
            if layer.id.is_empty() {
                layer.id = format!("layer-{}", i + 1);
            }
        }

        let one = OnCallFile {
            format: FORMAT.into(),
            schedules: vec![def.clone()],
            policies: Vec::new(),
        };
        self.store.save_local_oncall(account.id, &one, false)?;
        self.refresh_local_oncalls(chrono::Utc::now())?;
        tracing::info!(schedule = %def.id, "local schedule saved");
        Ok(def)
    }

    /// Saves one local escalation policy, new (empty id) or changed, and returns it as stored.
    pub fn save_local_policy(&self, mut def: PolicyDef) -> Result<PolicyDef> {
        let account = self.store.local_account()?;
        if def.id.is_empty() {
            let local = self.store.local_oncall(account.id)?;
            let taken: HashSet<String> = local.policies.into_iter().map(|p| p.id).collect();
            def.id = file::id_from_name(&def.name, &taken);
        }

        let one = OnCallFile {
            format: FORMAT.into(),
            schedules: Vec::new(),
            policies: vec![def.clone()],
        };
        self.store.save_local_oncall(account.id, &one, false)?;
        self.refresh_local_oncalls(chrono::Utc::now())?;
        tracing::info!(policy = %def.id, "local escalation policy saved");
        let stored = self.store.local_oncall(account.id)?.policies;
        Ok(stored.into_iter().find(|p| p.id == def.id).unwrap_or(def))
    }

    /// A rotation as it would render if saved, checked as a save would check it: the editor's
    /// preview, so a mistake shows before anything is stored.
    pub fn preview_local_schedule(
        &self,
        def: &ScheduleDef,
        since: chrono::DateTime<chrono::Utc>,
        until: chrono::DateTime<chrono::Utc>,
    ) -> Result<super::Rendering> {
        let mut def = def.clone();
        if def.id.is_empty() {
            def.id = "preview".into();
        }
        file::check_schedule(&def).map_err(Error::Invalid)?;
        super::render(&def, since, until)
    }

    /// Removes a local rotation; refused while a local policy pages it.
    pub fn delete_local_schedule(&self, id: &str) -> Result<()> {
        let account = self.store.local_account()?;
        self.store.delete_local_schedule(account.id, id)?;
        self.refresh_local_oncalls(chrono::Utc::now())?;
        tracing::info!(schedule = id, "local schedule removed");
        Ok(())
    }

    pub fn delete_local_policy(&self, id: &str) -> Result<()> {
        let account = self.store.local_account()?;
        self.store.delete_local_policy(account.id, id)?;
        self.refresh_local_oncalls(chrono::Utc::now())?;
        tracing::info!(policy = id, "local escalation policy removed");
        Ok(())
    }

    /// Rewrites the local workspace's on-call rows from its policies: user targets as they
    /// are, schedule targets rendered over the next days. Providers send such rows; the local
    /// workspace computes them, so "on call now", the tray and paging read both alike.
    pub fn refresh_local_oncalls(&self, now: DateTime<Utc>) -> Result<()> {
        let account = self.store.local_account()?;
        let local = self.store.local_oncall(account.id)?;
        let mut days = LOCAL_ONCALL_DAYS;
        let rows = loop {
            let rows = local_rows(&local, now - Duration::hours(1), now + Duration::days(days));
            // Hourly turns on many levels of many policies add up; keep the near future.
            if rows.len() <= MAX_LOCAL_ONCALL_ROWS || days == 1 {
                break rows;
            }
            days = 1;
        };
        if rows.len() > MAX_LOCAL_ONCALL_ROWS {
            tracing::warn!(rows = rows.len(), "local on-call rows cut to the bound");
        }
        let rows = &rows[..rows.len().min(MAX_LOCAL_ONCALL_ROWS)];
        self.store.replace_local_oncalls(account.id, rows)
    }

    /// Says which person on the local rotations I am, so my shifts and reminders follow them.
    pub fn set_local_me(&self, user_id: &str) -> Result<()> {
        let account = self.store.local_account()?;
        let people = self.local_oncall()?.people;
        if !people.iter().any(|p| p.id == user_id) {
            return Err(Error::NotFound(format!(
                "nobody with id `{user_id}` is on a local rotation"
            )));
        }
        self.store.set_me(account.id, user_id, None)
    }
}

/// Who each level of each local policy pages over `[since, until)`.
fn local_rows(local: &OnCallFile, since: DateTime<Utc>, until: DateTime<Utc>) -> Vec<OnCallRecord> {
    let rendered: BTreeMap<&str, Vec<ScheduleEntry>> = (local.schedules.iter())
        .map(|s| {
            let entries = render(s, since, until).map(|r| r.final_entries);
            if let Err(e) = &entries {
                tracing::warn!(schedule = %s.id, error = %e, "local rotation does not render");
            }
            (s.id.as_str(), entries.unwrap_or_default())
        })
        .collect();
    let names: BTreeMap<&str, &str> = (local.schedules.iter())
        .map(|s| (s.id.as_str(), s.name.as_str()))
        .collect();

    let mut rows = Vec::new();
    for p in &local.policies {
        for (i, level) in p.levels.iter().enumerate() {
            let row = |user: Person,
                       schedule: Option<&str>,
                       span: Option<(DateTime<Utc>, DateTime<Utc>)>| {
                OnCallRecord {
                    escalation_policy_id: p.id.clone(),
                    level: i as i64 + 1,
                    user,
                    schedule_id: schedule.map(str::to_string),
                    schedule_name: schedule.and_then(|s| names.get(s)).map(|n| n.to_string()),
                    start: span.map(|s| s.0),
                    end: span.map(|s| s.1),
                }
            };
            for t in &level.targets {
                if t.kind == super::TargetKind::User {
                    let name = if t.name.is_empty() { &t.id } else { &t.name };
                    rows.push(row(person(&t.id, name), None, None));
                    continue;
                }
                for e in rendered.get(t.id.as_str()).into_iter().flatten() {
                    let span = Some((e.start, e.end));
                    rows.push(row(person(&e.user.id, &e.user.name), Some(&t.id), span));
                }
            }
        }
    }
    rows
}

fn person(id: &str, name: &str) -> Person {
    Person {
        provider_id: id.to_string(),
        name: name.to_string(),
        email: None,
    }
}
