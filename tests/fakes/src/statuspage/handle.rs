//! `StatuspageHandle`: the synchronous knobs a test turns, and what it reads back.

use std::time::Duration;

use super::gate::{lock, Shared};
use super::model::{
    fresh_id, Fault, Page, RecordedRequest, SpComponent, SpIncident, ThrottleStatus,
};
use crate::model::now;

/// A cheap, clonable handle on the fake's state; every method locks briefly and returns.
#[derive(Clone)]
pub struct StatuspageHandle {
    pub(crate) shared: Shared,
}

impl StatuspageHandle {
    /// Makes `key` a valid API key for every page.
    pub fn add_api_key(&self, key: impl Into<String>) {
        lock(&self.shared).keys.insert(key.into());
    }

    /// From now on the key is answered with 401, as after someone deletes it.
    pub fn revoke_api_key(&self, key: &str) {
        lock(&self.shared).keys.remove(key);
    }

    /// An empty page; adding one that exists keeps its contents and renames it.
    pub fn add_page(&self, id: impl Into<String>, name: impl Into<String>) {
        let (id, name) = (id.into(), name.into());
        let mut state = lock(&self.shared);
        let page = state.pages.entry(id.clone()).or_default();
        page.id = id;
        page.name = name;
    }

    /// An operational component at the end of the page; returns `false` for an unknown page.
    pub fn add_component(
        &self,
        page_id: &str,
        id: impl Into<String>,
        name: impl Into<String>,
    ) -> bool {
        let mut state = lock(&self.shared);
        let Some(page) = state.pages.get_mut(page_id) else {
            return false;
        };
        let at = now();
        page.components.push(SpComponent {
            id: id.into(),
            name: name.into(),
            description: None,
            status: "operational".to_owned(),
            position: u32::try_from(page.components.len() + 1).unwrap_or(u32::MAX),
            group_id: None,
            created_at: at,
            updated_at: at,
        });
        true
    }

    /// Sets a component's status verbatim (even one the contract does not list).
    pub fn set_component_status(&self, page_id: &str, id: &str, status: &str) -> bool {
        let mut state = lock(&self.shared);
        let component = (state.pages.get_mut(page_id))
            .and_then(|p| p.components.iter_mut().find(|c| c.id == id));
        let Some(component) = component else {
            return false;
        };
        component.status = status.to_owned();
        component.updated_at = now();
        true
    }

    /// Stores an incident as given (no update, no component change) and returns its id.
    pub fn add_incident(&self, page_id: &str, name: &str, status: &str) -> Option<String> {
        let mut guard = lock(&self.shared);
        let state = &mut *guard;
        let page = state.pages.get_mut(page_id)?;
        let at = now();
        let id = fresh_id(&mut state.last_id);
        page.incidents.push(SpIncident {
            id: id.clone(),
            name: name.to_owned(),
            status: status.to_owned(),
            impact_override: None,
            component_ids: Vec::new(),
            updates: Vec::new(),
            created_at: at,
            updated_at: at,
            monitoring_at: None,
            resolved_at: None,
        });
        Some(id)
    }

    pub fn component(&self, page_id: &str, id: &str) -> Option<SpComponent> {
        let state = lock(&self.shared);
        state.pages.get(page_id)?.component(id).cloned()
    }

    pub fn incident(&self, page_id: &str, id: &str) -> Option<SpIncident> {
        let state = lock(&self.shared);
        let page = state.pages.get(page_id)?;
        page.incidents.iter().find(|i| i.id == id).cloned()
    }

    /// Every incident of the page, oldest first.
    pub fn incidents(&self, page_id: &str) -> Vec<SpIncident> {
        let state = lock(&self.shared);
        state
            .pages
            .get(page_id)
            .map(|p: &Page| p.incidents.clone())
            .unwrap_or_default()
    }

    /// The least time between two accepted requests of one key; one second by default.
    pub fn set_min_interval(&self, interval: Duration) {
        lock(&self.shared).limiter.min_interval = interval;
    }

    /// Which status throttled requests get; alternating 420 and 429 by default.
    pub fn set_throttle_status(&self, status: ThrottleStatus) {
        lock(&self.shared).limiter.status = status;
    }

    /// Whether throttled requests carry `Retry-After`; by default they do not.
    pub fn set_retry_after(&self, send: bool) {
        lock(&self.shared).limiter.retry_after = send;
    }

    /// The next `n` API requests fail this way, whatever their key or timing.
    pub fn fail_next(&self, n: usize, fault: Fault) {
        lock(&self.shared)
            .faults
            .extend(std::iter::repeat_n(fault, n));
    }

    /// Every request so far, in arrival order, with the status it was answered with.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared).requests.clone()
    }

    pub fn clear_requests(&self) {
        lock(&self.shared).requests.clear();
    }
}
