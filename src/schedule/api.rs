//! The schedules' methods on the [`Tocsin`] facade, for the desktop shell and the CLI.
//!
//! All of them read the cache only: a schedule renders and explains offline from the
//! definition the last directory read stored.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{cross_check, explain, render, CrossCheck, Explanation, Rendering, ScheduleUser};
use crate::error::Result;
use crate::model::Id;
use crate::store::CachedSchedule;
use crate::Tocsin;

/// Who one target of one escalation level puts on call at an instant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct OnCallAt {
    pub account_id: Id,
    pub escalation_policy_id: String,
    pub escalation_policy_name: String,
    /// 1 is the first level.
    pub level: i64,
    /// Minutes this level waits for an acknowledgement before escalating further.
    pub delay_minutes: i64,
    /// Nobody when the schedule has a gap, or cannot be rendered (see `note`).
    pub user: Option<ScheduleUser>,
    /// Set when the person comes from a schedule rendered locally.
    pub schedule_id: Option<String>,
    pub schedule_name: Option<String>,
    /// Why nobody could be named: a schedule not cached, or one that does not render.
    pub note: Option<String>,
}

impl Tocsin {
    /// Every cached schedule, with when its definition was last read.
    pub fn schedules(&self) -> Result<Vec<CachedSchedule>> {
        self.store.schedules()
    }

    /// A cached schedule rendered locally over `[since, until)`.
    pub fn render_schedule(
        &self,
        schedule_id: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Rendering> {
        let detail = self.store.schedule_detail(schedule_id)?;
        render(&detail.def, since, until)
    }

    /// Who is on call on a cached schedule at `at`, and why.
    pub fn explain_schedule(&self, schedule_id: &str, at: DateTime<Utc>) -> Result<Explanation> {
        let detail = self.store.schedule_detail(schedule_id)?;
        explain(&detail.def, at)
    }

    /// The local rendering against the provider's final schedule over the window last read.
    pub fn check_schedule(&self, schedule_id: &str) -> Result<CrossCheck> {
        let d = self.store.schedule_detail(schedule_id)?;
        let check = cross_check(&d.def, &d.provider_final, d.since, d.until);
        tracing::info!(
            schedule = schedule_id,
            disagreements = check.disagreements.len(),
            order = ?check.layer_order,
            "schedule cross-checked"
        );
        Ok(check)
    }

    /// For each escalation policy and level, who is on call at `at`: user targets directly,
    /// schedule targets rendered locally from the cache.
    pub fn oncall_at(&self, at: DateTime<Utc>) -> Result<Vec<OnCallAt>> {
        let mut out = Vec::new();
        for level in self.store.policy_levels()? {
            for target in &level.targets {
                let mut row = OnCallAt {
                    account_id: level.account_id,
                    escalation_policy_id: level.policy_id.clone(),
                    escalation_policy_name: level.policy_name.clone(),
                    level: level.level,
                    delay_minutes: level.delay_minutes,
                    user: None,
                    schedule_id: None,
                    schedule_name: None,
                    note: None,
                };
                if target.kind == "schedule" {
                    row.schedule_id = Some(target.id.clone());
                    row.schedule_name = Some(target.name.clone());
                    match self.explain_schedule(&target.id, at) {
                        Ok(e) => row.user = e.on_call,
                        Err(e) => row.note = Some(e.to_string()),
                    }
                } else {
                    row.user = Some(ScheduleUser {
                        id: target.id.clone(),
                        name: target.name.clone(),
                    });
                }
                out.push(row);
            }
        }
        Ok(out)
    }
}
