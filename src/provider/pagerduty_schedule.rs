//! PagerDuty schedule details: `GET /schedules/{id}` read into a definition and the provider's
//! own final schedule, tolerant of missing fields and of schedules this token cannot read.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::pagerduty::PagerDuty;
use crate::error::{Error, Result};
use crate::schedule::{
    LayerDef, OverrideDef, Restriction, RestrictionKind, ScheduleDef, ScheduleEntry, ScheduleUser,
};

/// One schedule as read for a window: its definition and what PagerDuty rendered for it.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleDetail {
    pub def: ScheduleDef,
    pub provider_final: Vec<ScheduleEntry>,
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

impl PagerDuty {
    /// The details of these schedules over `[since, until)`. A schedule the provider will not
    /// serve (gone, 404; forbidden, 403; a server error after the client's retries) is
    /// skipped with a warning and keeps its cached copy: schedules must never stop the pass
    /// that brings pages. Being offline or rate limited still fails the pass as usual.
    pub async fn schedule_details(
        &self,
        ids: &[String],
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<ScheduleDetail>> {
        let query = [
            ("since".to_string(), since.to_rfc3339()),
            ("until".to_string(), until.to_rfc3339()),
            ("include[]".to_string(), "final_schedule".to_string()),
        ];
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            match self
                .http
                .get_json(&format!("/schedules/{id}"), &query)
                .await
            {
                Ok(body) => out.push(schedule_detail(&body["schedule"], since, until)),
                Err(Error::Provider {
                    status, message, ..
                }) => {
                    tracing::warn!(schedule = %id, status, %message, "skipping a schedule");
                }
                Err(Error::Malformed { message, .. }) => {
                    tracing::warn!(schedule = %id, %message, "skipping a malformed schedule");
                }
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }
}

/// A schedule object read into a definition; absent fields become empty values that the
/// renderer then refuses with a reason, so one odd layer never breaks a sync pass.
pub fn schedule_detail(v: &Value, since: DateTime<Utc>, until: DateTime<Utc>) -> ScheduleDetail {
    let layers = array(&v["schedule_layers"])
        .iter()
        .filter_map(layer)
        .collect();
    // Overrides come rendered (`overrides_subschedule`); a plain `overrides` list is read too.
    let mut overrides: Vec<OverrideDef> =
        entries(&v["overrides_subschedule"]["rendered_schedule_entries"])
            .into_iter()
            .map(|e| OverrideDef {
                id: String::new(),
                start: e.start,
                end: e.end,
                user: e.user,
            })
            .collect();
    overrides.extend(array(&v["overrides"]).iter().filter_map(override_def));

    ScheduleDetail {
        def: ScheduleDef {
            id: text(&v["id"]),
            name: text(&v["name"]),
            // Kept as given: the contract allows ActiveSupport names ("Eastern Time (US &
            // Canada)") besides IANA ones, and the renderer reads both (schedule/zones.rs).
            time_zone: v["time_zone"].as_str().unwrap_or("UTC").to_string(),
            layers,
            overrides,
        },
        provider_final: entries(&v["final_schedule"]["rendered_schedule_entries"]),
        since,
        until,
    }
}

fn layer(v: &Value) -> Option<LayerDef> {
    let start = instant(&v["start"])?;
    Some(LayerDef {
        id: text(&v["id"]),
        name: text(&v["name"]),
        start,
        end: instant(&v["end"]),
        rotation_virtual_start: instant(&v["rotation_virtual_start"]).unwrap_or(start),
        rotation_turn_length_seconds: v["rotation_turn_length_seconds"].as_i64().unwrap_or(0),
        // Each item is `{"user": {...}}`; a bare reference is accepted too.
        users: array(&v["users"])
            .iter()
            .map(|u| user(if u["user"].is_object() { &u["user"] } else { u }))
            .collect(),
        restrictions: array(&v["restrictions"])
            .iter()
            .filter_map(restriction)
            .collect(),
    })
}

fn restriction(v: &Value) -> Option<Restriction> {
    let kind = match v["type"].as_str()? {
        "daily_restriction" => RestrictionKind::DailyRestriction,
        "weekly_restriction" => RestrictionKind::WeeklyRestriction,
        other => {
            tracing::warn!(kind = other, "ignoring a restriction of an unknown type");
            return None;
        }
    };
    Some(Restriction {
        kind,
        start_time_of_day: text(&v["start_time_of_day"]),
        start_day_of_week: v["start_day_of_week"].as_u64().map(|d| d.min(255) as u8),
        duration_seconds: v["duration_seconds"].as_i64().unwrap_or(0),
    })
}

fn override_def(v: &Value) -> Option<OverrideDef> {
    Some(OverrideDef {
        id: text(&v["id"]),
        start: instant(&v["start"])?,
        end: instant(&v["end"])?,
        user: user(&v["user"]),
    })
}

fn entries(v: &Value) -> Vec<ScheduleEntry> {
    array(v)
        .iter()
        .filter_map(|e| {
            Some(ScheduleEntry {
                start: instant(&e["start"])?,
                end: instant(&e["end"])?,
                user: user(&e["user"]),
            })
        })
        .filter(|e| e.start < e.end)
        .collect()
}

fn user(v: &Value) -> ScheduleUser {
    let name = v["name"]
        .as_str()
        .or(v["summary"].as_str())
        .unwrap_or_default();
    ScheduleUser {
        id: text(&v["id"]),
        name: name.to_string(),
    }
}

fn array(v: &Value) -> &[Value] {
    v.as_array().map(Vec::as_slice).unwrap_or_default()
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

fn instant(v: &Value) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(v.as_str()?)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_schedule_reads_with_layers_restrictions_overrides_and_final_entries() {
        let v = json!({
            "id": "PS1", "name": "Primary", "time_zone": "Europe/London",
            "schedule_layers": [{
                "id": "PL1", "name": "Layer 1", "start": "2026-01-05T09:00:00+00:00", "end": null,
                "rotation_virtual_start": "2026-01-05T09:00:00+00:00",
                "rotation_turn_length_seconds": 604800,
                "users": [{"user": {"id": "PU1", "summary": "Ada"}}],
                "restrictions": [{"type": "daily_restriction", "start_time_of_day": "09:00:00",
                                  "duration_seconds": 28800}, {"type": "lunar_restriction"}]
            }, {"name": "no start"}],
            "overrides_subschedule": {"rendered_schedule_entries": [
                {"start": "2026-01-06T10:00:00Z", "end": "2026-01-06T11:00:00Z",
                 "user": {"id": "PU2", "summary": "Bo"}}]},
            "final_schedule": {"rendered_schedule_entries": [
                {"start": "2026-01-05T09:00:00Z", "end": "2026-01-05T17:00:00Z",
                 "user": {"id": "PU1", "summary": "Ada"}},
                {"start": "2026-01-05T17:00:00Z", "end": null, "user": {"id": "PU1"}}]}
        });
        let since = "2026-01-05T00:00:00Z".parse().unwrap();
        let until = "2026-01-07T00:00:00Z".parse().unwrap();

        let d = schedule_detail(&v, since, until);

        assert_eq!(d.def.layers.len(), 1);
        let layer = &d.def.layers[0];
        assert_eq!(layer.users[0].name, "Ada");
        assert_eq!(layer.restrictions.len(), 1);
        assert_eq!(d.def.overrides[0].user.id, "PU2");
        assert_eq!(d.provider_final.len(), 1);
    }

    #[test]
    fn an_empty_object_reads_as_an_empty_schedule() {
        let since = "2026-01-05T00:00:00Z".parse().unwrap();
        let d = schedule_detail(&json!({}), since, since);
        assert!(d.def.layers.is_empty() && d.provider_final.is_empty());
        assert_eq!(d.def.time_zone, "UTC");
    }
}
