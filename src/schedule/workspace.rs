//! The local workspace's own rotations and escalation policies on the [`Tocsin`] facade: read,
//! save and remove them one at a time (the window's editor), or import and export a file.
//!
//! They are stored like a provider's, under the local account, so every on-call view, shift
//! reminder and calendar export reads them without knowing where they came from.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::file::{self, OnCallFile, PolicyDef, FORMAT};
use super::{ScheduleDef, ScheduleUser};
use crate::error::{Error, Result};
use crate::Tocsin;

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
        tracing::info!(schedule = id, "local schedule removed");
        Ok(())
    }

    pub fn delete_local_policy(&self, id: &str) -> Result<()> {
        let account = self.store.local_account()?;
        self.store.delete_local_policy(account.id, id)?;
        tracing::info!(policy = id, "local escalation policy removed");
        Ok(())
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
