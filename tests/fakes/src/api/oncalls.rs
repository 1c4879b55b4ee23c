//! `GET /oncalls`: who is on call for which policy level, overlapping a time range.

use std::collections::HashSet;

use axum::extract::{RawQuery, State as Extract};
use axum::Json;
use chrono::{DateTime, Utc};

use super::{admits, paged, Reply};
use crate::gate::{lock, Shared};
use crate::model::{now, OnCall};
use crate::params::{ApiError, Page, Params};
use crate::render::Render;

pub(super) async fn list(Extract(shared): Extract<Shared>, RawQuery(q): RawQuery) -> Reply {
    let params = Params::parse(q.as_deref());
    let page = Page::parse(&params)?;
    // Both ends default to now, which asks "who is on call at this moment".
    let since = params.time("since")?.unwrap_or_else(now);
    let until = params.time("until")?.unwrap_or(since.max(now()));
    if since > until {
        return Err(ApiError::invalid(
            "since",
            "since must not be later than until",
        ));
    }
    let user_ids = params.list("user_ids");
    let policy_ids = params.list("escalation_policy_ids");
    let schedule_ids = params.list("schedule_ids");

    let state = lock(&shared);
    let mut matched: Vec<&OnCall> = (state.oncalls.iter())
        .filter(|o| overlaps(o, since, until))
        .filter(|o| admits(&user_ids, &o.user_id) && admits(&policy_ids, &o.policy_id))
        .filter(|o| schedule_ids.is_empty() || schedule_ids.contains(&schedule_key(o)))
        .collect();
    matched.sort_by(|a, b| (&a.policy_id, a.level, a.start).cmp(&(&b.policy_id, b.level, b.start)));
    if params.flag("earliest") {
        let mut seen = HashSet::new();
        matched.retain(|o| seen.insert((&o.policy_id, o.level, &o.user_id)));
    }
    let render = Render(&state);
    Ok(Json(paged(&page, "oncalls", &matched, |o| {
        render.oncall(o)
    })))
}

/// An open start or end means the on-call reaches forever that way (a permanent target).
fn overlaps(oncall: &OnCall, since: DateTime<Utc>, until: DateTime<Utc>) -> bool {
    oncall.start.is_none_or(|start| start <= until) && oncall.end.is_none_or(|end| end >= since)
}

/// The contract lets `schedule_ids[]=null` pick on-calls that come from no schedule.
fn schedule_key(oncall: &OnCall) -> &str {
    oncall.schedule_id.as_deref().unwrap_or("null")
}
