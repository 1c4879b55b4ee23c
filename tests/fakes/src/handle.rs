//! `FakeHandle`: the synchronous knobs a test turns to shape what the fake serves.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;

use crate::gate::{lock, Shared};
use crate::model::{
    ErrorShape, FailureKind, FakeIncident, Named, NewIncident, OnCall, Policy, RecordedRequest,
    Rule, Schedule, TokenKind, User,
};

/// A cheap, clonable handle on the fake's state; every method locks briefly and returns.
#[derive(Clone)]
pub struct FakeHandle {
    pub(crate) shared: Shared,
}

impl FakeHandle {
    pub fn add_user(
        &self,
        id: impl Into<String>,
        name: impl Into<String>,
        email: impl Into<String>,
    ) {
        let (id, name, email) = (id.into(), name.into(), email.into());
        lock(&self.shared).users.push(User { id, name, email });
    }

    /// Makes `token` valid; setting an existing token again changes what it stands for.
    pub fn set_token(&self, token: impl Into<String>, kind: TokenKind) {
        lock(&self.shared).tokens.insert(token.into(), kind);
    }

    /// From now on the token is answered with 401, as after a user deletes it.
    pub fn revoke_token(&self, token: &str) {
        lock(&self.shared).tokens.remove(token);
    }

    pub fn add_service(&self, id: impl Into<String>, name: impl Into<String>) {
        let (id, name) = (id.into(), name.into());
        lock(&self.shared).services.push(Named { id, name });
    }

    /// Listed by `/priorities`; incidents' priorities are added there on their own as well.
    pub fn add_priority(&self, id: &str, name: &str) {
        lock(&self.shared).remember_priority(id, name);
    }

    /// `rules` are `(escalation_delay_in_minutes, target ids)`; a target that names a
    /// schedule is served as a `schedule_reference`, anything else as a `user_reference`.
    pub fn add_escalation_policy(
        &self,
        id: impl Into<String>,
        name: impl Into<String>,
        rules: Vec<(u32, Vec<String>)>,
    ) {
        let rules = (rules.into_iter())
            .map(|(delay_minutes, target_ids)| Rule {
                delay_minutes,
                target_ids,
            })
            .collect();
        let (id, name) = (id.into(), name.into());
        lock(&self.shared).policies.push(Policy { id, name, rules });
    }

    pub fn add_schedule(
        &self,
        id: impl Into<String>,
        name: impl Into<String>,
        time_zone: impl Into<String>,
    ) {
        let (id, name, time_zone) = (id.into(), name.into(), time_zone.into());
        let layers = Vec::new();
        lock(&self.shared).schedules.push(Schedule {
            id,
            name,
            time_zone,
            layers,
            overrides: Vec::new(),
            final_entries: None,
        });
    }

    /// What `GET /schedules/{id}` serves as `schedule_layers`, verbatim and in this order.
    pub fn set_schedule_layers(&self, schedule_id: &str, layers: Vec<Value>) {
        let mut state = lock(&self.shared);
        if let Some(schedule) = state.schedules.iter_mut().find(|s| s.id == schedule_id) {
            schedule.layers = layers;
        }
    }

    /// What `GET /schedules/{id}` serves as the rendered overrides, verbatim.
    pub fn set_schedule_overrides(&self, schedule_id: &str, overrides: Vec<Value>) {
        let mut state = lock(&self.shared);
        if let Some(schedule) = state.schedules.iter_mut().find(|s| s.id == schedule_id) {
            schedule.overrides = overrides;
        }
    }

    /// What `GET /schedules/{id}` serves as the final schedule's entries, verbatim, whatever
    /// the window asked for (a test sets the provider's answer it wants to compare with).
    pub fn set_final_schedule(&self, schedule_id: &str, entries: Vec<Value>) {
        let mut state = lock(&self.shared);
        if let Some(schedule) = state.schedules.iter_mut().find(|s| s.id == schedule_id) {
            schedule.final_entries = Some(entries);
        }
    }

    /// An on-call entry; `None` for start and end means a permanent, direct target.
    pub fn add_oncall(
        &self,
        user_id: impl Into<String>,
        escalation_policy_id: impl Into<String>,
        level: u32,
        schedule_id: Option<&str>,
        start: Option<DateTime<Utc>>,
        end: Option<DateTime<Utc>>,
    ) {
        lock(&self.shared).oncalls.push(OnCall {
            user_id: user_id.into(),
            policy_id: escalation_policy_id.into(),
            level,
            schedule_id: schedule_id.map(str::to_owned),
            start,
            end,
        });
    }

    /// Stores the incident, logs its trigger at `created_at`, and returns its id.
    pub fn add_incident(&self, incident: NewIncident) -> String {
        lock(&self.shared).insert_incident(incident)
    }

    /// Changes an incident and appends the matching log entry (trigger, acknowledge,
    /// resolve, assign, escalate...) stamped now. Returns `false` for an unknown id.
    pub fn update_incident(&self, id: &str, change: impl FnOnce(&mut FakeIncident)) -> bool {
        lock(&self.shared).update_incident(id, change).is_some()
    }

    /// Deletes an incident as PagerDuty does with a deleted service's: it simply stops
    /// existing (404), with no log entry. Returns `false` for an unknown id.
    pub fn delete_incident(&self, id: &str) -> bool {
        let mut state = lock(&self.shared);
        let Some(index) = state.incident_index.remove(id) else {
            return false;
        };
        state.incidents.remove(index);
        let ids: Vec<String> = state.incidents.iter().map(|i| i.id.clone()).collect();
        state.incident_index = ids.into_iter().enumerate().map(|(i, id)| (id, i)).collect();
        true
    }

    /// A copy of the incident as stored, for asserting what a client's write did.
    pub fn incident(&self, id: &str) -> Option<FakeIncident> {
        lock(&self.shared).incident(id).cloned()
    }

    /// `n` incidents spread evenly over the last `span`; the newest 1% (at least two) stay open.
    pub fn seed_incidents(&self, n: usize, span: TimeDelta) {
        lock(&self.shared).seed_incidents(n, span);
    }

    /// The next `n` API requests fail this way (control requests under `/_fake/` do not count).
    pub fn fail_next(&self, n: usize, kind: FailureKind) {
        lock(&self.shared)
            .failures
            .extend(std::iter::repeat_n(kind, n));
    }

    /// Every API request fails for `length` from now, each with the next of `kinds` in turn
    /// (failures queued with [`FakeHandle::fail_next`] come first).
    pub fn fail_for(&self, length: std::time::Duration, kinds: Vec<FailureKind>) {
        lock(&self.shared).outage = Some(crate::model::Outage {
            until: std::time::Instant::now() + length,
            kinds,
            next: 0,
        });
    }

    /// Notes on an incident, oldest first.
    pub fn notes(&self, incident_id: &str) -> Vec<crate::model::Note> {
        let state = lock(&self.shared);
        let notes = state.notes.iter().filter(|n| n.incident_id == incident_id);
        notes.cloned().collect()
    }

    /// Forgets failures queued with [`FakeHandle::fail_next`] that have not happened yet, and
    /// ends an outage.
    pub fn clear_failures(&self) {
        let mut state = lock(&self.shared);
        state.failures.clear();
        state.outage = None;
    }

    pub fn request_log(&self) -> Vec<RecordedRequest> {
        lock(&self.shared).requests.clone()
    }

    pub fn clear_request_log(&self) {
        lock(&self.shared).requests.clear();
    }

    pub fn set_error_shape(&self, shape: ErrorShape) {
        lock(&self.shared).error_shape = shape;
    }
}
