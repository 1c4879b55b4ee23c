//! The schedules' methods on the [`Tocsin`] facade, for the desktop shell and the CLI.
//!
//! All of them read the cache only: a schedule renders and explains offline from the
//! definition the last directory read stored.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use std::collections::HashMap;

use super::{
    cross_check, explain, now_and_next, render, CrossCheck, Explanation, Handoff, Rendering,
    ScheduleEntry, ScheduleUser,
};
use crate::error::Result;
use crate::model::Id;
use crate::store::{CachedSchedule, PolicyLevel};
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

/// How far ahead [`Tocsin::oncall_outlook`] looks for a schedule's next handoff, in days.
pub const OUTLOOK_DAYS: i64 = 14;

/// Who is on call now on every escalation policy level, and who takes over next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct OnCallOutlook {
    pub at: DateTime<Utc>,
    /// The end of the span searched for handoffs: `at` plus `days`.
    pub until: DateTime<Utc>,
    pub days: i64,
    /// By policy name, then level, then target as the policy lists them.
    pub targets: Vec<TargetOutlook>,
}

/// One target of one escalation level: who it puts on call at the outlook's instant, and for a
/// schedule the next handoff.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct TargetOutlook {
    pub account_id: Id,
    pub escalation_policy_id: String,
    pub escalation_policy_name: String,
    /// 1 is the first level.
    pub level: i64,
    /// Minutes this level waits for an acknowledgement before escalating further.
    pub delay_minutes: i64,
    /// Set when the target is a schedule, rendered locally.
    pub schedule_id: Option<String>,
    pub schedule_name: Option<String>,
    /// Nobody when the schedule has a gap now, or cannot be rendered (see `note`).
    pub now: Option<ScheduleUser>,
    /// A schedule's first handoff before `until`. None for a user target (on call always), for
    /// a schedule with no change in the span, and for one that cannot be rendered.
    pub next: Option<Handoff>,
    /// Why a schedule target could not be answered: not cached, or does not render.
    pub note: Option<String>,
}

/// One stretch of a schedule's final rendering that is mine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct MyShift {
    pub account_id: Id,
    pub schedule_id: String,
    pub schedule_name: String,
    pub time_zone: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// The longest span `my_shifts` renders, in days (a year and a bit).
pub const MAX_SHIFT_DAYS: i64 = 400;

impl Tocsin {
    /// My shifts over `[since, until)` on every cached schedule of every account that knows who
    /// I am, rendered locally and in time order. A schedule that does not render is skipped
    /// (and logged): the others still answer.
    pub fn my_shifts(&self, since: DateTime<Utc>, until: DateTime<Utc>) -> Result<Vec<MyShift>> {
        if until <= since || until - since > chrono::Duration::days(MAX_SHIFT_DAYS) {
            return Err(crate::Error::Invalid(format!(
                "ask for shifts over a span of up to {MAX_SHIFT_DAYS} days, ending after it starts"
            )));
        }
        let me: std::collections::HashMap<Id, String> = (self.store.accounts()?.into_iter())
            .filter_map(|a| a.user_id.map(|u| (a.id, u)))
            .collect();

        let mut shifts = Vec::new();
        for cached in self.store.schedules()? {
            let Some(my_id) = me.get(&cached.account_id) else {
                continue;
            };
            let entries = match self.final_entries(cached.account_id, &cached.id, since, until) {
                Ok(entries) => entries,
                Err(e) => {
                    tracing::warn!(schedule = %cached.id, error = %e, "schedule skipped for shifts");
                    continue;
                }
            };
            let mine = entries.into_iter().filter(|e| &e.user.id == my_id);
            shifts.extend(mine.map(|e| MyShift {
                account_id: cached.account_id,
                schedule_id: cached.id.clone(),
                schedule_name: cached.name.clone(),
                time_zone: cached.time_zone.clone().unwrap_or_else(|| "UTC".into()),
                start: e.start,
                end: e.end,
            }));
        }
        shifts.sort_by(|a, b| (a.start, &a.schedule_id).cmp(&(b.start, &b.schedule_id)));
        Ok(shifts)
    }

    /// A schedule's final entries that end after `since` and start before `until`, rendered a
    /// month at a time (so a long span of short turns stays under the renderer's bounds) and
    /// from a month before `since`, so a shift under way keeps its real start (and its
    /// calendar UID) however late it is exported.
    fn final_entries(
        &self,
        account: Id,
        schedule_id: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<ScheduleEntry>> {
        let def = self.store.schedule_detail_in(account, schedule_id)?.def;
        let month = chrono::Duration::days(31);
        let mut entries: Vec<ScheduleEntry> = Vec::new();
        let mut from = since - month;
        while from < until {
            let to = (from + month).min(until);
            for e in render(&def, from, to)?.final_entries {
                match entries.last_mut() {
                    Some(last) if super::same_shift(last, &e) => last.end = e.end,
                    _ => entries.push(e),
                }
            }
            from = to;
        }
        entries.retain(|e| e.end > since);
        Ok(entries)
    }

    /// My shifts as an iCalendar file's text.
    pub fn my_shifts_ics(&self, since: DateTime<Utc>, until: DateTime<Utc>) -> Result<String> {
        let events: Vec<crate::ics::Event> = (self.my_shifts(since, until)?.into_iter())
            .map(|s| crate::ics::Event {
                // Stable across exports, so importing again updates rather than duplicates.
                uid: format!(
                    "{}-{}-{}@tocsin",
                    s.account_id,
                    s.schedule_id,
                    s.start.timestamp()
                ),
                start: s.start,
                end: s.end,
                summary: format!("On call: {}", s.schedule_name),
                description: format!("Schedule {} ({})", s.schedule_name, s.time_zone),
            })
            .collect();
        Ok(crate::ics::calendar(
            "Tocsin: my on-call shifts",
            &events,
            Utc::now(),
        ))
    }

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
    /// A local rotation has no provider rendering (its window is empty) and is refused as
    /// `invalid` rather than reported as agreeing over nothing.
    pub fn check_schedule(&self, schedule_id: &str) -> Result<CrossCheck> {
        let local = self.store.local_account()?.id;
        let cached = self.store.schedules()?;
        if (cached.iter()).any(|s| s.id == schedule_id && s.account_id == local) {
            return Err(crate::Error::Invalid(format!(
                "`{schedule_id}` is a local rotation: no provider renders it to check against"
            )));
        }
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
        // Many levels page the same schedule: each is read and explained once.
        let mut explained: HashMap<(Id, String), std::result::Result<Explanation, String>> =
            HashMap::new();
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
                    let key = (level.account_id, target.id.clone());
                    let found = explained.entry(key).or_insert_with(|| {
                        (self.store.schedule_detail_in(level.account_id, &target.id))
                            .and_then(|d| explain(&d.def, at))
                            .map_err(|e| e.to_string())
                    });
                    match found {
                        Ok(e) => row.user = e.on_call.clone(),
                        Err(e) => row.note = Some(e.clone()),
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

    /// For each escalation policy level and target, who is on call at `at` and (for a schedule)
    /// the next handoff within [`OUTLOOK_DAYS`], all from the cache. A schedule that is not
    /// cached or does not render gets a note on its row; the other rows still answer.
    pub fn oncall_outlook(&self, at: DateTime<Utc>) -> Result<OnCallOutlook> {
        let until = at + chrono::Duration::days(OUTLOOK_DAYS);
        // A schedule may sit on several levels and policies: render each once.
        let mut rendered = HashMap::new();

        let mut targets = Vec::new();
        for level in self.store.policy_levels()? {
            for target in &level.targets {
                let mut row = target_outlook(&level);
                if target.kind != "schedule" {
                    row.now = Some(ScheduleUser {
                        id: target.id.clone(),
                        name: target.name.clone(),
                    });
                    targets.push(row);
                    continue;
                }

                row.schedule_id = Some(target.id.clone());
                row.schedule_name = Some(target.name.clone());
                // A policy pages the schedules of its own account.
                let key = (level.account_id, target.id.clone());
                let answer = rendered.entry(key).or_insert_with(|| {
                    (self.store.schedule_detail_in(level.account_id, &target.id))
                        .and_then(|d| render(&d.def, at, until))
                        .map(|r| now_and_next(&r.final_entries, at, until))
                        .map_err(|e| e.to_string())
                });
                match answer {
                    Ok((now, next)) => (row.now, row.next) = (now.clone(), next.clone()),
                    Err(e) => row.note = Some(e.clone()),
                }
                targets.push(row);
            }
        }
        tracing::debug!(
            targets = targets.len(),
            schedules = rendered.len(),
            "on-call outlook"
        );
        Ok(OnCallOutlook {
            at,
            until,
            days: OUTLOOK_DAYS,
            targets,
        })
    }
}

fn target_outlook(level: &PolicyLevel) -> TargetOutlook {
    TargetOutlook {
        account_id: level.account_id,
        escalation_policy_id: level.policy_id.clone(),
        escalation_policy_name: level.policy_name.clone(),
        level: level.level,
        delay_minutes: level.delay_minutes,
        schedule_id: None,
        schedule_name: None,
        now: None,
        next: None,
        note: None,
    }
}
