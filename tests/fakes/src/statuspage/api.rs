//! The Statuspage v1 routes the fake serves: components, and a page's realtime incidents.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State as Extract};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};

use super::gate::{lock, Shared, SpError};
use super::model::{Page, SpComponent, SpIncident, SpUpdate};
use super::write::{self, Write};

type Reply = Result<Json<Value>, SpError>;

/// The default and the largest page of a list, as the contract's descriptions say.
const MAX_PER_PAGE: usize = 100;

/// Each path also answers with a `.json` suffix, as the contract's introduction writes them.
pub(crate) fn routes() -> Router<Shared> {
    let mut router = Router::new();
    for json in ["", ".json"] {
        router = router
            .route(
                &format!("/v1/pages/{{page_id}}/components{json}"),
                get(components),
            )
            .route(
                &format!("/v1/pages/{{page_id}}/incidents{json}"),
                get(incidents).post(create),
            )
            .route(
                &format!("/v1/pages/{{page_id}}/incidents/unresolved{json}"),
                get(unresolved),
            );
    }
    // One route serves both forms of an incident's path; the handlers strip the suffix.
    router
        .route(
            "/v1/pages/{page_id}/incidents/{incident_id}",
            get(incident).patch(update).put(update),
        )
        .fallback(|| async { SpError::not_found("Resource") })
}

async fn components(
    Extract(shared): Extract<Shared>,
    Path(page_id): Path<String>,
    RawQuery(q): RawQuery,
) -> Reply {
    let window = Window::parse(q.as_deref(), "per_page")?;
    let state = lock(&shared);
    let page = page(&state.pages, &page_id)?;
    let items = (window.slice(&page.components).iter()).map(|c| component(page, c));
    Ok(Json(Value::Array(items.collect())))
}

/// Every incident of the page, newest first; `q` searches names and update bodies.
async fn incidents(
    Extract(shared): Extract<Shared>,
    Path(page_id): Path<String>,
    RawQuery(q): RawQuery,
) -> Reply {
    let window = Window::parse(q.as_deref(), "limit")?;
    let search = query_value(q.as_deref(), "q").map(|s| s.to_lowercase());
    let state = lock(&shared);
    let page = page(&state.pages, &page_id)?;
    let matched: Vec<&SpIncident> = (page.incidents.iter().rev())
        .filter(|i| search.as_deref().is_none_or(|s| mentions(i, s)))
        .collect();
    let items = window
        .slice(&matched)
        .iter()
        .map(|i| incident_json(page, i));
    Ok(Json(Value::Array(items.collect())))
}

async fn unresolved(
    Extract(shared): Extract<Shared>,
    Path(page_id): Path<String>,
    RawQuery(q): RawQuery,
) -> Reply {
    let window = Window::parse(q.as_deref(), "per_page")?;
    let state = lock(&shared);
    let page = page(&state.pages, &page_id)?;
    let open: Vec<&SpIncident> = (page.incidents.iter().rev())
        .filter(|i| !matches!(i.status.as_str(), "resolved" | "completed"))
        .collect();
    let items = window.slice(&open).iter().map(|i| incident_json(page, i));
    Ok(Json(Value::Array(items.collect())))
}

async fn incident(
    Extract(shared): Extract<Shared>,
    Path((page_id, incident_id)): Path<(String, String)>,
) -> Reply {
    let incident_id = without_json(incident_id);
    let state = lock(&shared);
    let page = page(&state.pages, &page_id)?;
    let found = page.incidents.iter().find(|i| i.id == incident_id);
    let found = found.ok_or_else(|| SpError::not_found("Incident"))?;
    Ok(Json(incident_json(page, found)))
}

/// `POST`: answered 201 with the new incident.
async fn create(
    Extract(shared): Extract<Shared>,
    Path(page_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), SpError> {
    let write = Write::parse(content_type(&headers), &body)?;
    let mut guard = lock(&shared);
    let state = &mut *guard;
    let page = state.pages.get_mut(&page_id);
    let page = page.ok_or_else(|| SpError::not_found("Page"))?;
    let id = write::create(page, write, &mut state.last_id)?;
    let created = page.incidents.iter().find(|i| i.id == id);
    let created = created.expect("just inserted");
    Ok((StatusCode::CREATED, Json(incident_json(page, created))))
}

/// `PATCH` and `PUT`: the contract gives both the same body and the same answer.
async fn update(
    Extract(shared): Extract<Shared>,
    Path((page_id, incident_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let incident_id = without_json(incident_id);
    let mut guard = lock(&shared);
    let state = &mut *guard;
    let page = state.pages.get_mut(&page_id);
    let page = page.ok_or_else(|| SpError::not_found("Page"))?;
    if !page.incidents.iter().any(|i| i.id == incident_id) {
        return Err(SpError::not_found("Incident"));
    }
    let write = Write::parse(content_type(&headers), &body)?;
    write::update(page, &incident_id, write, &mut state.last_id)?;
    let updated = page.incidents.iter().find(|i| i.id == incident_id);
    Ok(Json(incident_json(page, updated.expect("checked above"))))
}

fn without_json(id: String) -> String {
    match id.strip_suffix(".json") {
        Some(bare) => bare.to_owned(),
        None => id,
    }
}

fn content_type(headers: &HeaderMap) -> Option<&str> {
    headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok())
}

fn page<'a>(
    pages: &'a std::collections::HashMap<String, Page>,
    id: &str,
) -> Result<&'a Page, SpError> {
    pages.get(id).ok_or_else(|| SpError::not_found("Page"))
}

fn mentions(incident: &SpIncident, search: &str) -> bool {
    incident.name.to_lowercase().contains(search)
        || incident.status.contains(search)
        || (incident.updates.iter()).any(|u| u.body.to_lowercase().contains(search))
}

fn query_value(query: Option<&str>, key: &str) -> Option<String> {
    form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// A list's `page` (from 1) and its page size, read from `size_key`.
struct Window {
    page: usize,
    per_page: usize,
}

impl Window {
    fn parse(query: Option<&str>, size_key: &str) -> Result<Window, SpError> {
        let number = |key: &str, default: usize| match query_value(query, key) {
            None => Ok(default),
            Some(v) => v
                .parse::<usize>()
                .map_err(|_| SpError::bad_request(format!("{key} must be a number"))),
        };
        let page = number("page", 1)?.max(1);
        // Larger pages are cut to the maximum rather than refused.
        let per_page = number(size_key, MAX_PER_PAGE)?.clamp(1, MAX_PER_PAGE);
        Ok(Window { page, per_page })
    }

    fn slice<'a, T>(&self, items: &'a [T]) -> &'a [T] {
        let start = (self.page - 1)
            .saturating_mul(self.per_page)
            .min(items.len());
        let end = start.saturating_add(self.per_page).min(items.len());
        &items[start..end]
    }
}

fn time(at: DateTime<Utc>) -> Value {
    json!(at.to_rfc3339_opts(SecondsFormat::Millis, true))
}

fn component(page: &Page, c: &SpComponent) -> Value {
    json!({
        "id": c.id,
        "page_id": page.id,
        "group_id": c.group_id,
        "created_at": time(c.created_at),
        "updated_at": time(c.updated_at),
        "group": false,
        "name": c.name,
        "description": c.description,
        "position": c.position,
        "status": c.status,
        "showcase": true,
        "only_show_if_degraded": false,
        "automation_email": format!("component+{}@notifications.invalid", c.id),
        "start_date": Value::Null,
    })
}

/// An incident as the contract's `Incident` schema has it; updates newest first.
fn incident_json(page: &Page, i: &SpIncident) -> Value {
    let components: Vec<Value> = (i.component_ids.iter())
        .filter_map(|id| page.component(id))
        .map(|c| component(page, c))
        .collect();
    let updates: Vec<Value> = i.updates.iter().rev().map(|u| update_json(i, u)).collect();
    json!({
        "id": i.id,
        "components": components,
        "created_at": time(i.created_at),
        "impact": write::impact(page, i),
        "impact_override": i.impact_override,
        "incident_updates": updates,
        "metadata": {},
        "monitoring_at": i.monitoring_at.map(time),
        "name": i.name,
        "page_id": page.id,
        "postmortem_body": Value::Null,
        "resolved_at": i.resolved_at.map(time),
        "scheduled_for": Value::Null,
        "scheduled_until": Value::Null,
        "shortlink": format!("https://stspg.invalid/{}", i.id),
        "status": i.status,
        "updated_at": time(i.updated_at),
        "reminder_intervals": Value::Null,
    })
}

fn update_json(incident: &SpIncident, u: &SpUpdate) -> Value {
    let affected: Vec<Value> = (u.affected_components.iter())
        .map(|a| {
            json!({
                "code": a.code, "name": a.name,
                "old_status": a.old_status, "new_status": a.new_status,
            })
        })
        .collect();
    json!({
        "id": u.id,
        "incident_id": incident.id,
        "affected_components": affected,
        "body": u.body,
        "created_at": time(u.created_at),
        "display_at": time(u.created_at),
        "deliver_notifications": true,
        "status": u.status,
        "updated_at": time(u.created_at),
    })
}
