//! The control API under `/_fake/`, for tests that run the fake as a separate process.

use std::time::Duration;

use axum::extract::{Path, State as Extract};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::gate::{lock, Shared};
use crate::model::{now, FailureKind, Named, NewIncident, Policy, Rule, Schedule, User};
use crate::params::{parse_time, ApiError};
use crate::render::Render;

type Reply = Result<Json<Value>, ApiError>;

pub(crate) fn routes() -> Router<Shared> {
    Router::new()
        .route("/_fake/incidents", post(create))
        .route("/_fake/incidents/{id}/status", post(set_status))
        .route("/_fake/requests", get(requests))
        .route("/_fake/fail_next", post(fail_next))
        .route("/_fake/schedules", post(put_schedule))
        .route("/_fake/escalation_policies", post(put_policy))
        .route("/_fake/users", post(put_user))
        .route("/_fake/services", post(put_service))
}

/// The body of `POST /_fake/incidents`; services and policies default to the first ones.
#[derive(Deserialize)]
struct Create {
    #[serde(default)]
    id: String,
    #[serde(default = "default_title")]
    title: String,
    #[serde(default = "default_urgency")]
    urgency: String,
    #[serde(default = "default_status")]
    status: String,
    #[serde(default)]
    assignee_ids: Vec<String>,
    service_id: Option<String>,
    escalation_policy_id: Option<String>,
    incident_key: Option<String>,
    /// RFC 3339; defaults to now.
    created_at: Option<String>,
}

fn default_title() -> String {
    "Something is on fire".to_owned()
}

fn default_urgency() -> String {
    "high".to_owned()
}

fn default_status() -> String {
    "triggered".to_owned()
}

async fn create(Extract(shared): Extract<Shared>, body: Json<Value>) -> Reply {
    let request: Create =
        serde_json::from_value(body.0).map_err(|e| ApiError::invalid("incident", e.to_string()))?;
    let created_at = match request.created_at.as_deref() {
        None => now(),
        Some(text) => parse_time(text)
            .ok_or_else(|| ApiError::invalid("created_at", "created_at is not a date-time"))?,
    };
    let mut state = lock(&shared);
    let first_service = state.services.first().map(|s| s.id.clone());
    let first_policy = state.policies.first().map(|p| p.id.clone());
    let id = state.insert_incident(NewIncident {
        id: request.id,
        title: request.title,
        urgency: request.urgency,
        status: request.status,
        assignee_ids: request.assignee_ids,
        service_id: request.service_id.or(first_service).unwrap_or_default(),
        escalation_policy_id: request
            .escalation_policy_id
            .or(first_policy)
            .unwrap_or_default(),
        incident_key: request.incident_key,
        created_at,
        ..NewIncident::default()
    });
    let incident = state.incident(&id).map(|i| Render(&state).incident(i));
    Ok(Json(json!({"incident": incident})))
}

/// The body of `POST /_fake/incidents/{id}/status`.
#[derive(Deserialize)]
struct SetStatus {
    status: String,
    assignee_ids: Option<Vec<String>>,
}

async fn set_status(
    Extract(shared): Extract<Shared>,
    Path(id): Path<String>,
    body: Json<Value>,
) -> Reply {
    let request: SetStatus =
        serde_json::from_value(body.0).map_err(|e| ApiError::invalid("status", e.to_string()))?;
    let mut state = lock(&shared);
    let updated = state.update_incident(&id, |incident| {
        incident.status = request.status;
        if let Some(assignees) = request.assignee_ids {
            incident.assignee_ids = assignees;
        }
    });
    let updated = updated.ok_or_else(|| ApiError::not_found("incident"))?;
    Ok(Json(json!({"incident": Render(&state).incident(&updated)})))
}

async fn requests(Extract(shared): Extract<Shared>) -> Json<Value> {
    let state = lock(&shared);
    let recorded: Vec<Value> = (state.requests.iter())
        .map(|r| {
            json!({
                "method": r.method, "path": r.path, "query": r.query,
                "authorization": r.authorization, "accept": r.accept, "from": r.from,
            })
        })
        .collect();
    Json(json!({"requests": recorded}))
}

/// The body of `POST /_fake/fail_next`, e.g. `{"count": 2, "kind": "rate_limited"}`.
#[derive(Deserialize)]
struct FailNext {
    #[serde(default = "one")]
    count: usize,
    kind: String,
    reset: Option<u64>,
    status: Option<u16>,
    millis: Option<u64>,
    /// For `body`: what is answered instead of the real body.
    body: Option<String>,
}

fn one() -> usize {
    1
}

async fn fail_next(Extract(shared): Extract<Shared>, body: Json<Value>) -> Reply {
    let request: FailNext =
        serde_json::from_value(body.0).map_err(|e| ApiError::invalid("kind", e.to_string()))?;
    let kind = match request.kind.as_str() {
        "rate_limited" => FailureKind::RateLimited {
            reset_header: request.reset,
        },
        "server_error" => FailureKind::ServerError(request.status.unwrap_or(500)),
        "timeout" => FailureKind::Timeout(Duration::from_millis(request.millis.unwrap_or(30_000))),
        "malformed" => FailureKind::Malformed,
        "cut_short" => FailureKind::CutShort,
        "body" => FailureKind::Body(request.body.unwrap_or_default()),
        other => {
            return Err(ApiError::invalid(
                "kind",
                format!("Unknown failure `{other}`"),
            ))
        }
    };
    let mut state = lock(&shared);
    state
        .failures
        .extend(std::iter::repeat_n(kind, request.count));
    Ok(Json(json!({"queued": state.failures.len()})))
}

/// The body of `POST /_fake/schedules`: a schedule created, or replaced whole, and served as
/// given (layers in this order, to mimic layer-order bugs).
#[derive(Deserialize)]
struct PutSchedule {
    id: String,
    name: String,
    #[serde(default = "utc")]
    time_zone: String,
    #[serde(default)]
    layers: Vec<Value>,
    /// Rendered overrides, `{start, end, user}` each.
    #[serde(default)]
    overrides: Vec<Value>,
    /// The provider's final schedule; without it, entries are made from the on-calls.
    final_schedule: Option<Vec<Value>>,
}

fn utc() -> String {
    "UTC".to_owned()
}

async fn put_schedule(Extract(shared): Extract<Shared>, body: Json<Value>) -> Reply {
    let request: PutSchedule =
        serde_json::from_value(body.0).map_err(|e| ApiError::invalid("schedule", e.to_string()))?;
    let mut state = lock(&shared);
    state.schedules.retain(|s| s.id != request.id);
    state.schedules.push(Schedule {
        id: request.id.clone(),
        name: request.name,
        time_zone: request.time_zone,
        layers: request.layers,
        overrides: request.overrides,
        final_entries: request.final_schedule,
    });
    Ok(Json(json!({"schedule": {"id": request.id}})))
}

/// The body of `POST /_fake/escalation_policies`: a policy created, or replaced whole. A
/// target that names a schedule is served as a `schedule_reference`, else as a user's.
#[derive(Deserialize)]
struct PutPolicy {
    id: String,
    name: String,
    rules: Vec<PutRule>,
}

#[derive(Deserialize)]
struct PutRule {
    escalation_delay_in_minutes: u32,
    target_ids: Vec<String>,
}

async fn put_policy(Extract(shared): Extract<Shared>, body: Json<Value>) -> Reply {
    let request: PutPolicy =
        serde_json::from_value(body.0).map_err(|e| ApiError::invalid("policy", e.to_string()))?;
    let rules = (request.rules.into_iter())
        .map(|r| Rule {
            delay_minutes: r.escalation_delay_in_minutes,
            target_ids: r.target_ids,
        })
        .collect();
    let mut state = lock(&shared);
    state.policies.retain(|p| p.id != request.id);
    state.policies.push(Policy {
        id: request.id.clone(),
        name: request.name,
        rules,
    });
    Ok(Json(json!({"escalation_policy": {"id": request.id}})))
}

/// The body of `POST /_fake/users`: a user added to the directory (an id it already has is
/// replaced), as someone editing their profile in PagerDuty would.
#[derive(Deserialize)]
struct PutUser {
    id: String,
    name: String,
    email: String,
}

async fn put_user(Extract(shared): Extract<Shared>, body: Json<Value>) -> Reply {
    let request: PutUser =
        serde_json::from_value(body.0).map_err(|e| ApiError::invalid("user", e.to_string()))?;
    let mut state = lock(&shared);
    state.users.retain(|u| u.id != request.id);
    state.users.push(User {
        id: request.id.clone(),
        name: request.name,
        email: request.email,
    });
    Ok(Json(json!({"user": {"id": request.id}})))
}

/// The body of `POST /_fake/services`: a service added, or renamed when its id exists.
#[derive(Deserialize)]
struct PutService {
    id: String,
    name: String,
}

async fn put_service(Extract(shared): Extract<Shared>, body: Json<Value>) -> Reply {
    let request: PutService =
        serde_json::from_value(body.0).map_err(|e| ApiError::invalid("service", e.to_string()))?;
    let mut state = lock(&shared);
    state.services.retain(|s| s.id != request.id);
    state.services.push(Named {
        id: request.id.clone(),
        name: request.name,
    });
    Ok(Json(json!({"service": {"id": request.id}})))
}
