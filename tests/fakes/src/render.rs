//! Turning stored records into the JSON objects and references the contract describes.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Map, Value};

use crate::model::{Agent, FakeIncident, LogEntry, Named, OnCall, Policy, Schedule, State, User};

/// Timestamps the way the API writes them: whole seconds, `Z`.
pub(crate) fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn opt_ts(t: Option<DateTime<Utc>>) -> Value {
    t.map_or(Value::Null, |t| json!(ts(t)))
}

/// Renders against one locked `State`; every URL it writes points back at the fake itself.
pub(crate) struct Render<'a>(pub &'a State);

impl Render<'_> {
    fn urls(&self, path: &str) -> (String, String) {
        let base = &self.0.base_url;
        (format!("{base}/{path}"), format!("{base}/web/{path}"))
    }

    /// The fields every object and reference shares.
    fn head(&self, kind: &str, collection: &str, id: &str, summary: &str) -> Map<String, Value> {
        let (self_url, html_url) = self.urls(&format!("{collection}/{id}"));
        let fields = [("id", id), ("type", kind), ("summary", summary)];
        let mut map: Map<String, Value> = fields
            .iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect();
        map.insert("self".into(), json!(self_url));
        map.insert("html_url".into(), json!(html_url));
        map
    }

    fn reference(&self, kind: &str, collection: &str, id: &str, summary: &str) -> Value {
        Value::Object(self.head(&format!("{kind}_reference"), collection, id, summary))
    }

    pub fn user_ref(&self, id: &str) -> Value {
        let name = self.0.user(id).map_or(id, |u| u.name.as_str());
        self.reference("user", "users", id, name)
    }

    pub fn service_ref(&self, id: &str) -> Value {
        let name = find(&self.0.services, id).map_or(id, |s| s.name.as_str());
        self.reference("service", "services", id, name)
    }

    pub fn policy_ref(&self, id: &str) -> Value {
        let name = self
            .0
            .policies
            .iter()
            .find(|p| p.id == id)
            .map_or(id, |p| p.name.as_str());
        self.reference("escalation_policy", "escalation_policies", id, name)
    }

    pub fn schedule_ref(&self, id: &str) -> Value {
        let name = self
            .0
            .schedules
            .iter()
            .find(|s| s.id == id)
            .map_or(id, |s| s.name.as_str());
        self.reference("schedule", "schedules", id, name)
    }

    /// An escalation target is a schedule when a schedule has that id, else a user.
    fn target_ref(&self, id: &str) -> Value {
        if self.0.schedules.iter().any(|s| s.id == id) {
            self.schedule_ref(id)
        } else {
            self.user_ref(id)
        }
    }

    fn incident_ref(&self, id: &str) -> Value {
        let summary = self
            .0
            .incident(id)
            .map(incident_summary)
            .unwrap_or_default();
        self.reference("incident", "incidents", id, &summary)
    }

    pub fn user(&self, user: &User) -> Value {
        let mut map = self.head("user", "users", &user.id, &user.name);
        map.insert("name".into(), json!(user.name));
        map.insert("email".into(), json!(user.email));
        map.insert("time_zone".into(), json!("Etc/UTC"));
        map.insert("role".into(), json!("user"));
        Value::Object(map)
    }

    pub fn service(&self, service: &Named) -> Value {
        let mut map = self.head("service", "services", &service.id, &service.name);
        map.insert("name".into(), json!(service.name));
        map.insert("status".into(), json!("active"));
        Value::Object(map)
    }

    pub fn priority(&self, priority: &Named) -> Value {
        let mut map = self.head("priority", "priorities", &priority.id, &priority.name);
        map.remove("html_url");
        map.insert("name".into(), json!(priority.name));
        map.insert("description".into(), json!(""));
        Value::Object(map)
    }

    pub fn policy(&self, policy: &Policy) -> Value {
        let rules: Vec<Value> = (policy.rules.iter().enumerate())
            .map(|(i, rule)| {
                let targets: Vec<Value> =
                    rule.target_ids.iter().map(|t| self.target_ref(t)).collect();
                let id = format!("{}R{}", policy.id, i + 1);
                let delay = rule.delay_minutes;
                json!({"id": id, "escalation_delay_in_minutes": delay, "targets": targets})
            })
            .collect();
        let kind = "escalation_policy";
        let mut map = self.head(kind, "escalation_policies", &policy.id, &policy.name);
        map.insert("name".into(), json!(policy.name));
        map.insert("escalation_rules".into(), json!(rules));
        map.insert("num_loops".into(), json!(0));
        map.insert("services".into(), json!([]));
        map.insert("teams".into(), json!([]));
        Value::Object(map)
    }

    /// A schedule; `detail` adds the layers and a final schedule built from its on-calls.
    pub fn schedule(&self, schedule: &Schedule, detail: bool) -> Value {
        let mut map = self.head("schedule", "schedules", &schedule.id, &schedule.name);
        map.insert("name".into(), json!(schedule.name));
        map.insert("time_zone".into(), json!(schedule.time_zone));
        map.insert("description".into(), Value::Null);
        let on_it =
            || (self.0.oncalls.iter()).filter(|o| o.schedule_id.as_ref() == Some(&schedule.id));
        let mut users: Vec<&str> = Vec::new();
        for user in on_it().map(|o| o.user_id.as_str()) {
            if !users.contains(&user) {
                users.push(user);
            }
        }
        map.insert(
            "users".into(),
            users.iter().map(|u| self.user_ref(u)).collect(),
        );
        if detail {
            let from_oncalls: Vec<Value> = on_it()
                .filter_map(|o| {
                    Some(json!({
                        "start": ts(o.start?), "end": ts(o.end?), "user": self.user_ref(&o.user_id),
                    }))
                })
                .collect();
            let entries = schedule.final_entries.clone().unwrap_or(from_oncalls);
            let final_schedule =
                json!({"name": "Final Schedule", "rendered_schedule_entries": entries});
            let overrides =
                json!({"name": "Overrides", "rendered_schedule_entries": schedule.overrides});
            map.insert("schedule_layers".into(), json!(schedule.layers));
            map.insert("overrides_subschedule".into(), overrides);
            map.insert("final_schedule".into(), final_schedule);
        }
        Value::Object(map)
    }

    pub fn oncall(&self, oncall: &OnCall) -> Value {
        let schedule = oncall
            .schedule_id
            .as_deref()
            .map_or(Value::Null, |s| self.schedule_ref(s));
        json!({
            "user": self.user_ref(&oncall.user_id),
            "schedule": schedule,
            "escalation_policy": self.policy_ref(&oncall.policy_id),
            "escalation_level": oncall.level,
            "start": opt_ts(oncall.start),
            "end": opt_ts(oncall.end),
        })
    }

    pub fn incident(&self, incident: &FakeIncident) -> Value {
        let summary = incident_summary(incident);
        let mut map = self.head("incident", "incidents", &incident.id, &summary);
        for (key, value) in self.incident_fields(incident) {
            map.insert(key.to_owned(), value);
        }
        if !incident.escalation_policy_id.is_empty() {
            let policy = self.policy_ref(&incident.escalation_policy_id);
            map.insert("escalation_policy".into(), policy);
        }
        Value::Object(map)
    }

    fn incident_fields(&self, incident: &FakeIncident) -> Vec<(&'static str, Value)> {
        // The contract empties assignments once resolved, and acknowledgements unless acked.
        let assignees = match incident.status.as_str() {
            "resolved" => &[][..],
            _ => incident.assignee_ids.as_slice(),
        };
        let acked = match incident.status.as_str() {
            "acknowledged" => incident.acknowledgements.as_slice(),
            _ => &[][..],
        };
        let assignments: Vec<Value> = (assignees.iter())
            .map(|u| json!({"at": ts(incident.updated_at), "assignee": self.user_ref(u)}))
            .collect();
        let acknowledgements: Vec<Value> = (acked.iter())
            .map(|(u, at)| json!({"at": ts(*at), "acknowledger": self.user_ref(u)}))
            .collect();
        vec![
            ("incident_number", json!(incident.number)),
            ("title", json!(incident.title)),
            ("created_at", json!(ts(incident.created_at))),
            ("updated_at", json!(ts(incident.updated_at))),
            ("status", json!(incident.status)),
            ("incident_key", json!(incident.incident_key)),
            ("service", self.service_ref(&incident.service_id)),
            ("assignments", json!(assignments)),
            ("assigned_via", json!("escalation_policy")),
            (
                "last_status_change_at",
                json!(ts(incident.last_status_change_at)),
            ),
            ("resolved_at", opt_ts(incident.resolved_at)),
            ("acknowledgements", json!(acknowledgements)),
            ("teams", json!([])),
            ("pending_actions", json!([])),
            ("priority", self.incident_priority(incident)),
            ("urgency", json!(incident.urgency)),
            ("resolve_reason", Value::Null),
            ("incidents_responders", json!([])),
            ("responder_requests", json!([])),
        ]
    }

    fn incident_priority(&self, incident: &FakeIncident) -> Value {
        match &incident.priority {
            None => Value::Null,
            Some((id, name)) => self.priority(&Named {
                id: id.clone(),
                name: name.clone(),
            }),
        }
    }

    pub fn log_entry(&self, entry: &LogEntry) -> Value {
        let path = format!("incidents/{}/log_entries/{}", entry.incident_id, entry.id);
        let (_, html_url) = self.urls(&path);
        let self_url = format!("{}/log_entries/{}", self.0.base_url, entry.id);
        let service_id = self
            .0
            .incident(&entry.incident_id)
            .map(|i| i.service_id.as_str());
        let mut value = json!({
            "id": entry.id, "type": entry.kind, "summary": entry.summary,
            "self": self_url, "html_url": html_url,
            "created_at": ts(entry.created_at),
            "agent": self.agent(&entry.agent),
            "channel": {"type": entry.channel},
            "service": self.service_ref(service_id.unwrap_or_default()),
            "incident": self.incident_ref(&entry.incident_id),
            "teams": [], "contexts": [],
        });
        self.log_entry_extras(entry, &mut value);
        value
    }

    /// The few fields only some kinds of log entry carry.
    fn log_entry_extras(&self, entry: &LogEntry, value: &mut Value) {
        let users = || {
            entry
                .users
                .iter()
                .map(|u| self.user_ref(u))
                .collect::<Vec<_>>()
        };
        match entry.kind {
            "assign_log_entry" | "escalate_log_entry" => value["assignees"] = json!(users()),
            "notify_log_entry" => value["user"] = users().pop().unwrap_or(Value::Null),
            "trigger_log_entry" => {
                let title = self
                    .0
                    .incident(&entry.incident_id)
                    .map(|i| i.title.as_str());
                value["event_details"] = json!({"description": title});
            }
            _ => {}
        }
    }

    fn agent(&self, agent: &Agent) -> Value {
        match agent {
            Agent::User(id) => self.user_ref(id),
            Agent::Service(id) => self.service_ref(id),
        }
    }
}

fn find<'a>(all: &'a [Named], id: &str) -> Option<&'a Named> {
    all.iter().find(|n| n.id == id)
}

fn incident_summary(incident: &FakeIncident) -> String {
    format!("[#{}] {}", incident.number, incident.title)
}
