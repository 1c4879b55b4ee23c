//! Users, services, priorities, escalation policies and schedules: the slow-changing directory.

use axum::extract::{Path, RawQuery, State as Extract};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde_json::json;

use super::{paged, Reply};
use crate::gate::{lock, Caller, Shared};
use crate::model::TokenKind;
use crate::params::{ApiError, Page, Params};
use crate::render::Render;

/// Real servers refuse `/users/me` for account-level tokens, which belong to no person.
pub(super) async fn me(Extract(shared): Extract<Shared>, caller: Extension<Caller>) -> Reply {
    let TokenKind::User { user_id } = &caller.kind else {
        return Err(ApiError {
            status: StatusCode::BAD_REQUEST,
            code: 2001,
            message: "This request used an account-level access token, so it has no user identity",
            field: "token",
            detail: "Call /users/me with a user-level API token".to_owned(),
        });
    };
    let state = lock(&shared);
    let user = state
        .user(user_id)
        .ok_or_else(|| ApiError::not_found("user"))?;
    Ok(Json(json!({"user": Render(&state).user(user)})))
}

pub(super) async fn users(Extract(shared): Extract<Shared>, RawQuery(q): RawQuery) -> Reply {
    let params = Params::parse(q.as_deref());
    let page = Page::parse(&params)?;
    let query = params.get("query").unwrap_or_default();
    let state = lock(&shared);
    let matched: Vec<_> = (state.users.iter())
        .filter(|u| matches(&u.name, query) || matches(&u.email, query))
        .collect();
    let render = Render(&state);
    Ok(Json(paged(&page, "users", &matched, |u| render.user(u))))
}

pub(super) async fn user(Extract(shared): Extract<Shared>, Path(id): Path<String>) -> Reply {
    let state = lock(&shared);
    let user = state.user(&id).ok_or_else(|| ApiError::not_found("user"))?;
    Ok(Json(json!({"user": Render(&state).user(user)})))
}

pub(super) async fn services(Extract(shared): Extract<Shared>, RawQuery(q): RawQuery) -> Reply {
    let params = Params::parse(q.as_deref());
    let page = Page::parse(&params)?;
    let query = params.get("query").unwrap_or_default();
    let state = lock(&shared);
    let matched: Vec<_> = state
        .services
        .iter()
        .filter(|s| matches(&s.name, query))
        .collect();
    let render = Render(&state);
    Ok(Json(paged(&page, "services", &matched, |s| {
        render.service(s)
    })))
}

pub(super) async fn service(Extract(shared): Extract<Shared>, Path(id): Path<String>) -> Reply {
    let state = lock(&shared);
    let service = state.services.iter().find(|s| s.id == id);
    let service = service.ok_or_else(|| ApiError::not_found("service"))?;
    Ok(Json(json!({"service": Render(&state).service(service)})))
}

pub(super) async fn priorities(Extract(shared): Extract<Shared>, RawQuery(q): RawQuery) -> Reply {
    let page = Page::parse(&Params::parse(q.as_deref()))?;
    let state = lock(&shared);
    let matched: Vec<_> = state.priorities.iter().collect();
    let render = Render(&state);
    Ok(Json(paged(&page, "priorities", &matched, |p| {
        render.priority(p)
    })))
}

pub(super) async fn policies(Extract(shared): Extract<Shared>, RawQuery(q): RawQuery) -> Reply {
    let params = Params::parse(q.as_deref());
    let page = Page::parse(&params)?;
    let query = params.get("query").unwrap_or_default();
    let state = lock(&shared);
    let matched: Vec<_> = state
        .policies
        .iter()
        .filter(|p| matches(&p.name, query))
        .collect();
    let render = Render(&state);
    Ok(Json(paged(&page, "escalation_policies", &matched, |p| {
        render.policy(p)
    })))
}

pub(super) async fn policy(Extract(shared): Extract<Shared>, Path(id): Path<String>) -> Reply {
    let state = lock(&shared);
    let policy = state.policies.iter().find(|p| p.id == id);
    let policy = policy.ok_or_else(|| ApiError::not_found("escalation policy"))?;
    Ok(Json(
        json!({"escalation_policy": Render(&state).policy(policy)}),
    ))
}

pub(super) async fn schedules(Extract(shared): Extract<Shared>, RawQuery(q): RawQuery) -> Reply {
    let params = Params::parse(q.as_deref());
    let page = Page::parse(&params)?;
    let query = params.get("query").unwrap_or_default();
    let state = lock(&shared);
    let matched: Vec<_> = state
        .schedules
        .iter()
        .filter(|s| matches(&s.name, query))
        .collect();
    let render = Render(&state);
    Ok(Json(paged(&page, "schedules", &matched, |s| {
        render.schedule(s, false)
    })))
}

pub(super) async fn schedule(Extract(shared): Extract<Shared>, Path(id): Path<String>) -> Reply {
    let state = lock(&shared);
    let schedule = state.schedules.iter().find(|s| s.id == id);
    let schedule = schedule.ok_or_else(|| ApiError::not_found("schedule"))?;
    Ok(Json(
        json!({"schedule": Render(&state).schedule(schedule, true)}),
    ))
}

/// The `query` filter: a case-insensitive substring match.
fn matches(text: &str, query: &str) -> bool {
    query.is_empty() || text.to_lowercase().contains(&query.to_lowercase())
}
