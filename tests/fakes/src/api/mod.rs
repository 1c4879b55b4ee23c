//! The PagerDuty REST v2 routes the fake serves, and helpers the handlers share.

mod directory;
mod incidents;
mod oncalls;
mod writes;

use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::gate::Shared;
use crate::params::{ApiError, Page, Window};

/// What every API handler answers: a JSON document or an error the gate renders.
type Reply = Result<Json<Value>, ApiError>;

pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/users/me", get(directory::me))
        .route("/users", get(directory::users))
        .route("/users/{id}", get(directory::user))
        .route("/services", get(directory::services))
        .route("/services/{id}", get(directory::service))
        .route("/priorities", get(directory::priorities))
        .route("/escalation_policies", get(directory::policies))
        .route("/escalation_policies/{id}", get(directory::policy))
        .route("/schedules", get(directory::schedules))
        .route("/schedules/{id}", get(directory::schedule))
        .route("/oncalls", get(oncalls::list))
        .route(
            "/incidents",
            get(incidents::list)
                .post(writes::create)
                .put(incidents::bulk_update),
        )
        .route(
            "/incidents/{id}",
            get(incidents::one).put(incidents::update),
        )
        .route("/incidents/{id}/log_entries", get(incidents::incident_log))
        .route(
            "/incidents/{id}/notes",
            get(writes::notes).post(writes::add_note),
        )
        .route("/incidents/{id}/snooze", post(writes::snooze))
        .route("/log_entries", get(incidents::log_entries))
        .route("/log_entries/{id}", get(incidents::log_entry))
        .fallback(|| async { ApiError::not_found("resource") })
}

/// One page of `matched`, rendered, in the list envelope.
fn paged<T>(page: &Page, key: &str, matched: &[T], render: impl Fn(&T) -> Value) -> Value {
    let items = page.slice(matched).iter().map(render).collect();
    page.envelope(key, matched.len(), items)
}

/// Inclusive at both ends, so a record made this very second is never missed.
fn in_window(at: DateTime<Utc>, window: Option<Window>) -> bool {
    window.is_none_or(|(since, until)| since <= at && at <= until)
}

/// Whether `value` is one of `wanted`, where an empty filter admits everything.
fn admits(wanted: &[&str], value: &str) -> bool {
    wanted.is_empty() || wanted.contains(&value)
}
