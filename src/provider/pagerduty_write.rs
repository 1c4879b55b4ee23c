//! PagerDuty REST API v2, write side: the outbox's actions and declarations.
//!
//! Every write carries the `From` header with the acting person's email (account-level keys
//! need it to know who acts; without it PagerDuty could attribute the action to nobody, or
//! refuse). Before changing an incident its current state is read: the contract says that
//! acknowledging a resolved incident *reopens* it, so an acknowledgement queued offline must
//! never be replayed onto an incident someone resolved meanwhile. Servers also answer such
//! changes with error codes 1001 and 1002, taken as the same conflict.

use std::collections::{HashMap, HashSet};

use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::{json, Value};

use super::pagerduty::{incident, PagerDuty};
use super::{Delivery, IncidentRecord};
use crate::error::{Error, Result};
use crate::model::{Action, Declaration, IncidentStatus};
use crate::store::outbox::{Claimed, PLACEHOLDER_PREFIX};

/// PagerDuty's error codes for a change to an incident that is already resolved.
const CONFLICT_CODES: [i64; 2] = [1001, 1002];
/// A resent note counts as landed if the provider has one with the same text created no
/// earlier than this before the entry was queued (clocks differ a little).
const NOTE_CLOCK_SLACK: chrono::Duration = chrono::Duration::minutes(5);

/// Who acts, for the `From` header and for telling my assignments apart.
#[derive(Debug, Clone)]
pub struct Acting {
    pub email: Option<String>,
    pub user_id: Option<String>,
}

/// The most incidents one `PUT /incidents` may change.
pub const BULK_MAX: usize = 250;

impl PagerDuty {
    /// Sends a run of identical status changes (see `Store::claim_run`) as one bulk
    /// `PUT /incidents`, after one read of the open incidents stands in for the per-incident
    /// read: an incident no longer open is a conflict, never reopened. If PagerDuty refuses
    /// the bulk request, each entry is sent on its own, so one bad entry cannot sink the rest.
    /// Returns one outcome per entry, in order.
    pub async fn deliver_run(&self, run: &[Claimed], acting: &Acting) -> Vec<Result<Delivery>> {
        match self.bulk(run, acting).await {
            Ok(outcomes) => outcomes,
            Err(Error::Provider { status, .. }) if (400..500).contains(&status) => {
                let mut outcomes = Vec::with_capacity(run.len());
                for entry in run {
                    outcomes.push(self.deliver(entry, acting).await);
                }
                outcomes
            }
            Err(e) => run.iter().map(|_| Err(e.clone_for_entry())).collect(),
        }
    }

    async fn bulk(&self, run: &[Claimed], acting: &Acting) -> Result<Vec<Result<Delivery>>> {
        let headers = from_header(acting)?;
        let me = acting.user_id.as_deref().unwrap_or_default();
        let Some(crate::model::Write::Act { action }) = run.first().map(|e| &e.write) else {
            return Ok(Vec::new());
        };
        let status = change(action)["status"].clone();

        let query = super::pagerduty::open_query();
        let open: HashSet<String> = self
            .list("/incidents", "incidents", &query)
            .await?
            .iter()
            .filter_map(|i| i["id"].as_str().map(str::to_string))
            .collect();
        let ids: Vec<&str> = run
            .iter()
            .map(|e| incident_id(e).unwrap_or_default())
            .collect();
        let changes: Vec<Value> = ids
            .iter()
            .filter(|id| open.contains(**id))
            .map(|id| json!({ "id": id, "type": "incident_reference", "status": status }))
            .collect();

        let mut updated = HashMap::new();
        if !changes.is_empty() {
            let body = json!({ "incidents": changes });
            let answer = self
                .http
                .send_once(Method::PUT, "/incidents", Some(&body), headers)
                .await?;
            for v in answer["incidents"].as_array().into_iter().flatten() {
                if let Some(id) = v["id"].as_str() {
                    updated.insert(id.to_string(), incident(v, me));
                }
            }
        }
        Ok(ids
            .iter()
            .map(|id| Ok(bulk_outcome(id, open.contains(*id), &mut updated, action)))
            .collect())
    }

    /// Sends one outbox entry. Errors are the transport's or the provider's; a conflict is a
    /// [`Delivery::Conflict`], not an error.
    pub async fn deliver(&self, entry: &Claimed, acting: &Acting) -> Result<Delivery> {
        let headers = from_header(acting)?;
        let me = acting.user_id.as_deref().unwrap_or_default();
        match &entry.write {
            crate::model::Write::Declare { declaration } => {
                self.declare(entry, declaration, headers, me).await
            }
            crate::model::Write::Act { action } => {
                let id = incident_id(entry)?;
                self.act(entry, id, action, headers, me).await
            }
            // Sent by `comms::statuspage`, never by a provider's writer (see `outbox::drain`).
            crate::model::Write::Statuspage { .. } => {
                Err(crate::Error::Invalid("not a PagerDuty write".into()))
            }
        }
    }

    async fn act(
        &self,
        entry: &Claimed,
        id: &str,
        action: &Action,
        headers: HeaderMap,
        me: &str,
    ) -> Result<Delivery> {
        let current = self.current(id, me).await?;
        let is_note = matches!(action, Action::Note { .. });
        if current.status == IncidentStatus::Resolved && !is_note {
            let message = format!(
                "not sent: incident {} was resolved at PagerDuty before your {} reached it",
                current.number.map_or(id.to_string(), |n| format!("#{n}")),
                action.verb()
            );
            return Ok(Delivery::Conflict {
                message,
                incident: Some(current),
            });
        }

        let sent = match action {
            Action::Note { text } => {
                let me = Some(me).filter(|m| !m.is_empty());
                self.note(entry, id, text, headers, me).await
            }
            Action::Snooze { minutes } => {
                let body = json!({ "duration": u64::from(*minutes) * 60 });
                self.send(
                    Method::POST,
                    &format!("/incidents/{id}/snooze"),
                    &body,
                    headers,
                )
                .await
            }
            _ => {
                let body = json!({ "incident": change(action) });
                self.send(Method::PUT, &format!("/incidents/{id}"), &body, headers)
                    .await
            }
        };
        self.settle(sent, id, me).await
    }

    /// Turns a send's result into a delivery with the incident as PagerDuty now has it: from
    /// the answer when it carries the incident (a change, a snooze), else as cached (a note
    /// does not change the incident).
    async fn settle(&self, sent: Result<Sent>, id: &str, me: &str) -> Result<Delivery> {
        match sent {
            Ok(sent) => Ok(Delivery::Done {
                incident: sent.incident.map(|v| incident(&v, me)),
                result: sent.created,
            }),
            Err(Error::Provider {
                api_code: Some(code),
                message,
                ..
            }) if CONFLICT_CODES.contains(&code) => Ok(Delivery::Conflict {
                message: format!("not sent: PagerDuty says {message}"),
                incident: self.current(id, me).await.ok(),
            }),
            Err(e) => Err(e),
        }
    }

    /// Adds a note once. A resend first looks for the note among the incident's notes: the
    /// first attempt may have landed before the process stopped.
    async fn note(
        &self,
        entry: &Claimed,
        id: &str,
        text: &str,
        headers: HeaderMap,
        me: Option<&str>,
    ) -> Result<Sent> {
        let text = text.trim();
        if entry.resend {
            if let Some(found) = self.find_note(id, text, entry, me).await? {
                tracing::info!(
                    outbox = entry.id,
                    "note found at the provider; not sent again"
                );
                return Ok(Sent {
                    created: Some(found),
                    incident: None,
                });
            }
        }
        let body = json!({ "note": { "content": text } });
        let path = format!("/incidents/{id}/notes");
        self.send(Method::POST, &path, &body, headers).await
    }

    async fn find_note(
        &self,
        id: &str,
        text: &str,
        entry: &Claimed,
        me: Option<&str>,
    ) -> Result<Option<String>> {
        let body = self
            .http
            .get_json(&format!("/incidents/{id}/notes"), &[])
            .await?;
        let since = entry.queued_at - NOTE_CLOCK_SLACK;
        let notes = body["notes"].as_array().cloned().unwrap_or_default();
        // Only a note of mine, made after this entry was queued, that no earlier entry of
        // mine already accounts for, can be this entry's first attempt: a teammate's note
        // with the same words, or my own earlier one, is not.
        let found = notes.iter().find(|n| {
            let created = n["created_at"]
                .as_str()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
            let id = n["id"].as_str().unwrap_or_default();
            let author = n["user"]["id"].as_str();
            n["content"].as_str().map(str::trim) == Some(text)
                && created.is_some_and(|t| t >= since)
                && me.is_none_or(|me| author == Some(me))
                && !entry.earlier_results.iter().any(|r| r == id)
        });
        Ok(found.map(|n| n["id"].as_str().unwrap_or_default().to_string()))
    }

    /// Opens an incident with the entry's key as `incident_key`, which PagerDuty refuses to
    /// open twice while the first is open; a resend, or a refusal, looks the key up first.
    async fn declare(
        &self,
        entry: &Claimed,
        d: &Declaration,
        headers: HeaderMap,
        me: &str,
    ) -> Result<Delivery> {
        if entry.resend {
            if let Some(found) = self.by_key(&entry.key, me).await? {
                return Ok(landed(found));
            }
        }
        let Some(service) = d.service_id.as_deref() else {
            return Err(Error::Invalid(
                "PagerDuty opens incidents on a service; choose one".into(),
            ));
        };

        let body = json!({ "incident": declaration_body(d, service, &entry.key) });
        match self.send(Method::POST, "/incidents", &body, headers).await {
            Ok(Sent {
                incident: Some(v), ..
            }) => Ok(landed(incident(&v, me))),
            Ok(_) => Err(Error::Malformed {
                provider: "PagerDuty".into(),
                message: "the new incident has no id".into(),
            }),
            Err(e @ Error::Provider { status: 400, .. }) => {
                match self.by_key(&entry.key, me).await? {
                    Some(found) => Ok(landed(found)),
                    None => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    async fn by_key(&self, key: &str, me: &str) -> Result<Option<IncidentRecord>> {
        let query = [
            ("incident_key".to_string(), key.to_string()),
            ("date_range".to_string(), "all".to_string()),
        ];
        let body = self.http.get_json("/incidents", &query).await?;
        let first = body["incidents"]
            .as_array()
            .and_then(|a| a.first().cloned());
        Ok(first.map(|v| incident(&v, me)))
    }

    async fn current(&self, id: &str, me: &str) -> Result<IncidentRecord> {
        let body = self.http.get_json(&format!("/incidents/{id}"), &[]).await?;
        if !body["incident"].is_object() {
            return Err(Error::Malformed {
                provider: "PagerDuty".into(),
                message: format!("`/incidents/{id}` has no incident"),
            });
        }
        Ok(incident(&body["incident"], me))
    }

    /// Sends one write and reads what the answer says about it.
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: &Value,
        headers: HeaderMap,
    ) -> Result<Sent> {
        let answer = self
            .http
            .send_once(method, path, Some(body), headers)
            .await?;
        let created = ["note", "incident", "log_entry"]
            .iter()
            .find_map(|k| answer[*k]["id"].as_str())
            .map(str::to_string);
        let incident = answer["incident"]
            .as_object()
            .filter(|o| o.contains_key("id"))
            .map(|_| answer["incident"].clone());
        Ok(Sent { created, incident })
    }
}

/// What a write's answer told: the id of what it created, and the incident afterwards.
struct Sent {
    created: Option<String>,
    incident: Option<Value>,
}

fn bulk_outcome(
    id: &str,
    was_open: bool,
    updated: &mut HashMap<String, IncidentRecord>,
    action: &Action,
) -> Delivery {
    if !was_open {
        return Delivery::Conflict {
            message: format!(
                "not sent: incident {id} was resolved at PagerDuty before your {} reached it",
                action.verb()
            ),
            incident: None,
        };
    }
    Delivery::Done {
        result: None,
        incident: updated.remove(id),
    }
}

fn landed(record: IncidentRecord) -> Delivery {
    Delivery::Done {
        result: Some(record.provider_id.clone()),
        incident: Some(record),
    }
}

fn incident_id(entry: &Claimed) -> Result<&str> {
    let id = entry.incident_provider_id.as_deref().unwrap_or_default();
    if id.is_empty() || id.starts_with(PLACEHOLDER_PREFIX) {
        return Err(Error::Invalid(
            "the incident was never created at PagerDuty, so nothing can be sent for it".into(),
        ));
    }
    Ok(id)
}

fn from_header(acting: &Acting) -> Result<HeaderMap> {
    let email = acting.email.as_deref().filter(|e| !e.trim().is_empty());
    let Some(email) = email else {
        return Err(Error::Invalid(
            "PagerDuty needs the acting person's email for the From header; add the account \
             again with `--email`"
                .into(),
        ));
    };
    let mut headers = HeaderMap::new();
    let value = email
        .parse()
        .map_err(|_| Error::Invalid(format!("`{email}` cannot be sent as the From header")))?;
    headers.insert("from", value);
    Ok(headers)
}

/// The `incident` object of `PUT /incidents/{id}` for an action.
pub fn change(action: &Action) -> Value {
    let mut body = json!({ "type": "incident_reference" });
    let fields = match action {
        Action::Acknowledge => json!({ "status": "acknowledged" }),
        Action::Resolve => json!({ "status": "resolved" }),
        Action::Escalate { level } => json!({ "escalation_level": level }),
        Action::Reassign { user_id } => json!({
            "assignments": [{ "assignee": { "id": user_id, "type": "user_reference" } }]
        }),
        Action::SetUrgency { urgency } => json!({ "urgency": urgency.as_str() }),
        Action::SetPriority { priority_id } => json!({
            "priority": { "id": priority_id, "type": "priority_reference" }
        }),
        Action::Note { .. } | Action::Snooze { .. } => json!({}),
    };
    if let (Value::Object(body), Value::Object(fields)) = (&mut body, fields) {
        body.extend(fields);
    }
    body
}

fn declaration_body(d: &Declaration, service: &str, key: &str) -> Value {
    let urgency = d.urgency.map(|u| u.as_str()).unwrap_or(match d.severity {
        1 | 2 => "high",
        _ => "low",
    });
    let mut body = json!({
        "type": "incident",
        "title": d.title,
        "service": { "id": service, "type": "service_reference" },
        "urgency": urgency,
        "incident_key": key,
    });
    if let Some(priority) = &d.priority_id {
        body["priority"] = json!({ "id": priority, "type": "priority_reference" });
    }
    if let Some(details) = d.details.as_deref().filter(|t| !t.trim().is_empty()) {
        body["body"] = json!({ "type": "incident_body", "details": details });
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Urgency;

    #[test]
    fn each_action_changes_only_its_field() {
        assert_eq!(
            change(&Action::Acknowledge),
            json!({"type": "incident_reference", "status": "acknowledged"})
        );
        assert_eq!(
            change(&Action::Escalate { level: 2 }),
            json!({"type": "incident_reference", "escalation_level": 2})
        );
        let reassign = change(&Action::Reassign {
            user_id: "PU1".into(),
        });
        assert_eq!(reassign["assignments"][0]["assignee"]["id"], "PU1");
        let urgency = change(&Action::SetUrgency {
            urgency: Urgency::Low,
        });
        assert_eq!(urgency["urgency"], "low");
    }

    #[test]
    fn a_missing_from_is_refused_before_anything_is_sent() {
        let acting = Acting {
            email: None,
            user_id: Some("PU1".into()),
        };
        let err = from_header(&acting).unwrap_err();
        assert!(err.to_string().contains("From header"), "{err}");
    }

    #[test]
    fn declarations_carry_their_key_and_a_severity_urgency() {
        let d = Declaration {
            title: "Checkout down".into(),
            severity: 1,
            service_id: Some("PS1".into()),
            urgency: None,
            priority_id: None,
            details: None,
            escalation_policy_id: None,
        };
        let body = declaration_body(&d, "PS1", "k1");
        assert_eq!(body["incident_key"], "k1");
        assert_eq!(body["urgency"], "high");
        assert!(body.get("body").is_none());
    }
}
