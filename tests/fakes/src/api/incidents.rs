//! Incidents and log entries: the lists a sync walks, and the one write the fake accepts.

use std::cmp::Ordering;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State as Extract};
use axum::{Extension, Json};
use serde_json::{json, Value};

use super::{admits, in_window, paged, Reply};
use crate::gate::{lock, Caller, Shared};
use crate::model::{now, FakeIncident, State, TokenKind};
use crate::params::{window, ApiError, Page, Params};
use crate::render::Render;

/// The statuses the server accepts in a `statuses[]` filter, even if incidents carry others.
const KNOWN_STATUSES: [&str; 3] = ["triggered", "acknowledged", "resolved"];
/// The widest `since`..`until` an incident list may span.
const MAX_RANGE_MONTHS: u32 = 6;

pub(super) async fn list(Extract(shared): Extract<Shared>, RawQuery(q): RawQuery) -> Reply {
    let params = Params::parse(q.as_deref());
    let page = Page::parse(&params)?;
    let window = window(&params, now(), Some(MAX_RANGE_MONTHS))?;
    let filter = Filter::parse(&params)?;
    let order = Order::parse(params.get("sort_by"))?;

    let state = lock(&shared);
    let mut matched: Vec<&FakeIncident> = (state.incidents.iter())
        .filter(|i| in_window(i.created_at, window) && filter.admits(i))
        .collect();
    matched.sort_by(|a, b| order.compare(a, b));
    let render = Render(&state);
    Ok(Json(paged(&page, "incidents", &matched, |i| {
        render.incident(i)
    })))
}

pub(super) async fn one(Extract(shared): Extract<Shared>, Path(id): Path<String>) -> Reply {
    let state = lock(&shared);
    let incident = state
        .incident(&id)
        .ok_or_else(|| ApiError::not_found("incident"))?;
    Ok(Json(json!({"incident": Render(&state).incident(incident)})))
}

/// `PUT /incidents/{id}`: acknowledge, resolve, reassign, escalate or change urgency.
pub(super) async fn update(
    Extract(shared): Extract<Shared>,
    caller: Extension<Caller>,
    Path(id): Path<String>,
    body: Bytes,
) -> Reply {
    let mut change = Change::parse(&body)?;
    let mut state = lock(&shared);
    check_from(&state, &caller)?;
    change.name_priority(&state);
    let current = state
        .incident(&id)
        .ok_or_else(|| ApiError::not_found("incident"))?;
    if change.changes_handling() {
        super::writes::refuse_if_resolved(current)?;
    }
    let updated = state.update_incident(&id, |i| change.apply(i));
    let updated = updated.ok_or_else(|| ApiError::not_found("incident"))?;
    Ok(Json(json!({"incident": Render(&state).incident(&updated)})))
}

pub(super) async fn log_entries(Extract(shared): Extract<Shared>, RawQuery(q): RawQuery) -> Reply {
    log_list(&shared, q.as_deref(), None)
}

pub(super) async fn incident_log(
    Extract(shared): Extract<Shared>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Reply {
    if lock(&shared).incident(&id).is_none() {
        return Err(ApiError::not_found("incident"));
    }
    log_list(&shared, q.as_deref(), Some(&id))
}

pub(super) async fn log_entry(Extract(shared): Extract<Shared>, Path(id): Path<String>) -> Reply {
    let state = lock(&shared);
    let entry = state.log.iter().find(|e| e.id == id);
    let entry = entry.ok_or_else(|| ApiError::not_found("log entry"))?;
    Ok(Json(json!({"log_entry": Render(&state).log_entry(entry)})))
}

/// Log entries oldest first, in the same default window as incidents.
fn log_list(shared: &Shared, query: Option<&str>, incident: Option<&str>) -> Reply {
    let params = Params::parse(query);
    let page = Page::parse(&params)?;
    let window = window(&params, now(), None)?;
    // The overview leaves out the noise of individual notifications.
    let overview = params.flag("is_overview");

    let state = lock(shared);
    let mut matched: Vec<_> = (state.log.iter())
        .filter(|e| incident.is_none_or(|id| e.incident_id == id))
        .filter(|e| in_window(e.created_at, window))
        .filter(|e| !(overview && e.kind == "notify_log_entry"))
        .collect();
    matched.sort_by_key(|e| e.created_at);
    let render = Render(&state);
    Ok(Json(paged(&page, "log_entries", &matched, |e| {
        render.log_entry(e)
    })))
}

/// The most incidents one `PUT /incidents` may change.
const BULK_MAX: usize = 250;

/// `PUT /incidents`: the same kinds of change for up to 250 incidents at once. All or nothing:
/// an unknown id, or a change to a resolved incident (code 1001), refuses the whole request.
pub(super) async fn bulk_update(
    Extract(shared): Extract<Shared>,
    caller: Extension<Caller>,
    body: Bytes,
) -> Reply {
    let body: Value = serde_json::from_slice(&body)
        .map_err(|_| ApiError::invalid("incidents", "The body is not JSON"))?;
    let items = body["incidents"].as_array().cloned().unwrap_or_default();
    if items.is_empty() || items.len() > BULK_MAX {
        let detail = format!("Give 1 to {BULK_MAX} incidents");
        return Err(ApiError::invalid("incidents", detail));
    }
    let mut changes = Vec::new();
    for item in &items {
        let id = item["id"].as_str().unwrap_or_default().to_owned();
        let wrapped = serde_json::to_vec(&json!({ "incident": item })).unwrap_or_default();
        changes.push((id, Change::parse(&wrapped)?));
    }

    let mut state = lock(&shared);
    check_from(&state, &caller)?;
    for (id, change) in &changes {
        let current = state
            .incident(id)
            .ok_or_else(|| ApiError::not_found("incident"))?;
        if change.changes_handling() {
            super::writes::refuse_if_resolved(current)?;
        }
    }
    let mut updated = Vec::new();
    for (id, change) in changes {
        if let Some(after) = state.update_incident(&id, |i| change.apply(i)) {
            updated.push(after);
        }
    }
    let render = Render(&state);
    let rendered: Vec<Value> = updated.iter().map(|i| render.incident(i)).collect();
    Ok(Json(json!({ "incidents": rendered })))
}

/// The incident list's filters; each empty filter admits everything.
struct Filter<'a> {
    statuses: Vec<&'a str>,
    user_ids: Vec<&'a str>,
    service_ids: Vec<&'a str>,
    urgencies: Vec<&'a str>,
    incident_key: Option<&'a str>,
}

impl<'a> Filter<'a> {
    fn parse(params: &'a Params) -> Result<Filter<'a>, ApiError> {
        let statuses = params.list("statuses");
        if let Some(bad) = statuses.iter().find(|s| !KNOWN_STATUSES.contains(s)) {
            let detail = format!("`{bad}` is not one of triggered, acknowledged or resolved");
            return Err(ApiError::invalid("statuses", detail));
        }
        Ok(Filter {
            statuses,
            user_ids: params.list("user_ids"),
            service_ids: params.list("service_ids"),
            urgencies: params.list("urgencies"),
            incident_key: params.get("incident_key"),
        })
    }

    fn admits(&self, incident: &FakeIncident) -> bool {
        // Resolved incidents have no assignees, so a user filter never returns them.
        let assigned = self.user_ids.is_empty()
            || (incident.status != "resolved"
                && incident
                    .assignee_ids
                    .iter()
                    .any(|u| self.user_ids.contains(&u.as_str())));
        assigned
            && admits(&self.statuses, &incident.status)
            && admits(&self.service_ids, &incident.service_id)
            && admits(&self.urgencies, &incident.urgency)
            && self
                .incident_key
                .is_none_or(|k| incident.incident_key.as_deref() == Some(k))
    }
}

/// `sort_by`: up to two `field[:asc|desc]` keys; incident number breaks remaining ties.
struct Order(Vec<(String, bool)>);

impl Order {
    fn parse(sort_by: Option<&str>) -> Result<Order, ApiError> {
        let sort_by = sort_by.unwrap_or("created_at");
        let mut keys = Vec::new();
        for key in sort_by.split(',').filter(|k| !k.is_empty()) {
            let (field, direction) = key.split_once(':').unwrap_or((key, "asc"));
            let known = ["created_at", "incident_number", "resolved_at", "urgency"];
            if !known.contains(&field) || !["asc", "desc"].contains(&direction) || keys.len() == 2 {
                return Err(ApiError::invalid(
                    "sort_by",
                    format!("Cannot sort by `{key}`"),
                ));
            }
            keys.push((field.to_owned(), direction == "desc"));
        }
        Ok(Order(keys))
    }

    fn compare(&self, a: &FakeIncident, b: &FakeIncident) -> Ordering {
        for (field, descending) in &self.0 {
            let ordering = match field.as_str() {
                "created_at" => a.created_at.cmp(&b.created_at),
                "resolved_at" => a.resolved_at.cmp(&b.resolved_at),
                "urgency" => a.urgency.cmp(&b.urgency),
                _ => a.number.cmp(&b.number),
            };
            let ordering = if *descending {
                ordering.reverse()
            } else {
                ordering
            };
            if ordering.is_ne() {
                return ordering;
            }
        }
        a.number.cmp(&b.number)
    }
}

/// What a `PUT /incidents/{id}` body asks to change.
#[derive(Default)]
struct Change {
    status: Option<String>,
    assignee_ids: Option<Vec<String>>,
    escalation_level: Option<u32>,
    urgency: Option<String>,
    title: Option<String>,
    priority: Option<(String, String)>,
}

impl Change {
    fn parse(body: &[u8]) -> Result<Change, ApiError> {
        let body: Value = serde_json::from_slice(body)
            .map_err(|_| ApiError::invalid("incident", "The body is not JSON"))?;
        let incident = &body["incident"];
        if !["incident", "incident_reference"].contains(&incident["type"].as_str().unwrap_or("")) {
            let detail = "The body needs an `incident` whose type is `incident_reference`";
            return Err(ApiError::invalid("incident", detail));
        }
        let status = incident["status"].as_str().map(str::to_owned);
        if status
            .as_deref()
            .is_some_and(|s| s != "acknowledged" && s != "resolved")
        {
            return Err(ApiError::invalid(
                "status",
                "Status must be acknowledged or resolved",
            ));
        }
        let text = |key: &str| incident[key].as_str().map(str::to_owned);
        let priority = incident["priority"]["id"].as_str().map(|id| {
            let name = incident["priority"]["name"].as_str().unwrap_or(id);
            (id.to_owned(), name.to_owned())
        });
        Ok(Change {
            priority,
            status,
            assignee_ids: assignee_ids(incident),
            escalation_level: incident["escalation_level"].as_u64().map(|l| l as u32),
            urgency: text("urgency"),
            title: text("title"),
        })
    }

    /// A priority given by id alone takes its name from the account's priorities.
    fn name_priority(&mut self, state: &State) {
        if let Some((id, name)) = self.priority.as_mut() {
            if let Some(known) = state.priorities.iter().find(|p| &p.id == id) {
                name.clone_from(&known.name);
            }
        }
    }

    /// Whether the change is to how the incident is handled (anything but its title), which a
    /// resolved incident refuses.
    fn changes_handling(&self) -> bool {
        self.status.is_some()
            || self.assignee_ids.is_some()
            || self.escalation_level.is_some()
            || self.urgency.is_some()
            || self.priority.is_some()
    }

    fn apply(self, incident: &mut FakeIncident) {
        if let Some(priority) = self.priority {
            incident.priority = Some(priority);
        }
        incident.status = self.status.unwrap_or_else(|| incident.status.clone());
        incident.assignee_ids = self
            .assignee_ids
            .unwrap_or_else(|| incident.assignee_ids.clone());
        incident.escalation_level = self.escalation_level.unwrap_or(incident.escalation_level);
        incident.urgency = self.urgency.unwrap_or_else(|| incident.urgency.clone());
        incident.title = self.title.unwrap_or_else(|| incident.title.clone());
    }
}

fn assignee_ids(incident: &Value) -> Option<Vec<String>> {
    let assignments = incident["assignments"].as_array()?;
    let ids = assignments
        .iter()
        .filter_map(|a| a["assignee"]["id"].as_str());
    Some(ids.map(str::to_owned).collect())
}

/// Writes with an account-level token must name a real user in `From`, as on real servers.
fn check_from(state: &State, caller: &Caller) -> Result<(), ApiError> {
    if caller.kind != TokenKind::Account {
        return Ok(());
    }
    let from = caller.from.as_deref().unwrap_or_default();
    if state
        .users
        .iter()
        .any(|u| u.email.eq_ignore_ascii_case(from))
    {
        return Ok(());
    }
    let detail = "Writes with an account-level token need a `From` header with a user's email";
    Err(ApiError::invalid("From", detail))
}
