//! The write endpoints beyond `PUT /incidents/{id}`: notes, snoozing and opening incidents.
//!
//! Real-server behaviour kept: writes with an account-level token need `From`; a change of
//! status on a resolved incident is refused with code 1001 ("Incident Already Resolved")
//! rather than reopening it; `incident_key` opens at most one open incident per service.

use axum::body::Bytes;
use axum::extract::{Path, State as Extract};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{json, Value};

use super::Reply;
use crate::gate::{lock, Caller, Shared};
use crate::model::{now, FakeIncident, NewIncident, Note, State, TokenKind};
use crate::params::ApiError;
use crate::render::Render;

/// The longest note the server keeps, in characters.
const MAX_NOTE_CHARS: usize = 25_000;
/// The longest snooze, in seconds (a week).
const MAX_SNOOZE_SECS: u64 = 604_800;

pub(super) async fn notes(Extract(shared): Extract<Shared>, Path(id): Path<String>) -> Reply {
    let state = lock(&shared);
    state
        .incident(&id)
        .ok_or_else(|| ApiError::not_found("incident"))?;
    let notes: Vec<Value> = (state.notes.iter())
        .filter(|n| n.incident_id == id)
        .map(|n| render_note(&state, n))
        .collect();
    Ok(Json(json!({ "notes": notes })))
}

pub(super) async fn add_note(
    Extract(shared): Extract<Shared>,
    caller: Extension<Caller>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body = json_body(&body)?;
    let content = body["note"]["content"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if content.trim().is_empty() || content.chars().count() > MAX_NOTE_CHARS {
        return Err(ApiError::invalid(
            "content",
            "A note needs 1 to 25,000 characters",
        ));
    }
    let mut state = lock(&shared);
    let user_id = acting_user(&state, &caller)?;
    let incident = state
        .incident(&id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("incident"))?;

    let note = Note {
        id: state.fresh_id('N'),
        incident_id: id,
        content,
        user_id,
        created_at: now(),
    };
    state.push_log("annotate_log_entry", &incident, note.created_at);
    let rendered = render_note(&state, &note);
    state.notes.push(note);
    Ok(created(json!({ "note": rendered })))
}

pub(super) async fn snooze(
    Extract(shared): Extract<Shared>,
    caller: Extension<Caller>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body = json_body(&body)?;
    let duration = body["duration"].as_u64().unwrap_or(0);
    if !(1..=MAX_SNOOZE_SECS).contains(&duration) {
        return Err(ApiError::invalid(
            "duration",
            "Duration must be 1 to 604800 seconds",
        ));
    }
    let mut state = lock(&shared);
    acting_user(&state, &caller)?;
    let incident = state
        .incident(&id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("incident"))?;
    refuse_if_resolved(&incident)?;
    if incident.status != "acknowledged" {
        return Err(ApiError::invalid(
            "status",
            "Only acknowledged incidents can be snoozed",
        ));
    }
    state.push_log("snooze_log_entry", &incident, now());
    Ok(created(
        json!({ "incident": Render(&state).incident(&incident) }),
    ))
}

pub(super) async fn create(
    Extract(shared): Extract<Shared>,
    caller: Extension<Caller>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let body = json_body(&body)?;
    let new = &body["incident"];
    let title = new["title"].as_str().unwrap_or_default().to_owned();
    let service_id = new["service"]["id"].as_str().unwrap_or_default().to_owned();
    if new["type"] != "incident" || title.trim().is_empty() || service_id.is_empty() {
        let detail = "An incident needs type `incident`, a title and a service";
        return Err(ApiError::invalid("incident", detail));
    }
    let key = new["incident_key"].as_str().map(str::to_owned);

    let mut state = lock(&shared);
    let user_id = acting_user(&state, &caller)?;
    if !state.services.iter().any(|s| s.id == service_id) {
        return Err(ApiError::invalid(
            "service",
            "No service with that id exists",
        ));
    }
    if let Some(key) = &key {
        let open_twin = state.incidents.iter().any(|i| {
            i.incident_key.as_deref() == Some(key.as_str())
                && i.service_id == service_id
                && i.status != "resolved"
        });
        if open_twin {
            let detail = format!("Open incident with key '{key}' already exists");
            return Err(ApiError::invalid("incident_key", detail));
        }
    }

    let priority = new["priority"]["id"].as_str().and_then(|pid| {
        let known = state.priorities.iter().find(|p| p.id == pid);
        known.map(|p| (p.id.clone(), p.name.clone()))
    });
    let id = state.insert_incident(NewIncident {
        priority,
        title,
        urgency: new["urgency"].as_str().unwrap_or("high").to_owned(),
        service_id,
        assignee_ids: vec![user_id],
        escalation_policy_id: String::new(),
        created_at: now(),
        incident_key: key,
        ..NewIncident::default()
    });
    let incident = state.incident(&id).cloned().expect("just inserted");
    Ok(created(
        json!({ "incident": Render(&state).incident(&incident) }),
    ))
}

/// Code 1001, what servers answer to a change of a resolved incident.
pub(super) fn refuse_if_resolved(incident: &FakeIncident) -> Result<(), ApiError> {
    if incident.status != "resolved" {
        return Ok(());
    }
    Err(ApiError {
        status: StatusCode::BAD_REQUEST,
        code: 1001,
        message: "Incident Already Resolved",
        field: "status",
        detail: "The incident is resolved; it cannot be changed".to_owned(),
    })
}

/// The user a write acts as: the token's own user, or the `From` user for an account token.
pub(super) fn acting_user(state: &State, caller: &Caller) -> Result<String, ApiError> {
    if let TokenKind::User { user_id } = &caller.kind {
        return Ok(user_id.clone());
    }
    let from = caller.from.as_deref().unwrap_or_default();
    let user = state
        .users
        .iter()
        .find(|u| u.email.eq_ignore_ascii_case(from));
    match user {
        Some(user) => Ok(user.id.clone()),
        None => {
            let detail =
                "Writes with an account-level token need a `From` header with a user's email";
            Err(ApiError::invalid("From", detail))
        }
    }
}

fn render_note(state: &State, note: &Note) -> Value {
    let name = state.user(&note.user_id).map_or("", |u| u.name.as_str());
    json!({
        "id": note.id,
        "content": note.content,
        "created_at": note.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "user": { "id": note.user_id, "type": "user_reference", "summary": name },
        "channel": { "summary": "The API" },
    })
}

fn json_body(body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(|_| ApiError::invalid("body", "The body is not JSON"))
}

fn created(body: Value) -> Response {
    (StatusCode::CREATED, Json(body)).into_response()
}
