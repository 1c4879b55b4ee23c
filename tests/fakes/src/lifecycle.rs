//! Creating and changing incidents, and the log entries every change leaves behind.

use chrono::{DateTime, Utc};

use crate::model::{now, Agent, FakeIncident, LogEntry, Named, NewIncident, State};

impl State {
    /// Stores a new incident (replacing one with the same id) and logs its trigger.
    pub fn insert_incident(&mut self, new: NewIncident) -> String {
        let id = if new.id.is_empty() {
            self.fresh_id('P')
        } else {
            new.id
        };
        let number = if new.number == 0 {
            self.last_number + 1
        } else {
            new.number
        };
        self.last_number = self.last_number.max(number);
        if let Some((pid, name)) = &new.priority {
            self.remember_priority(pid, name);
        }

        let at = new.created_at;
        let incident = FakeIncident {
            id: id.clone(),
            number,
            title: new.title,
            acknowledgements: acks_for(&new.status, &new.assignee_ids, at),
            resolved_at: (new.status == "resolved").then_some(at),
            status: new.status,
            urgency: new.urgency,
            service_id: new.service_id,
            assignee_ids: new.assignee_ids,
            escalation_policy_id: new.escalation_policy_id,
            escalation_level: 1,
            created_at: at,
            updated_at: at,
            last_status_change_at: at,
            priority: new.priority,
            incident_key: new.incident_key,
        };
        self.log_creation(&incident);
        self.put_incident(incident);
        id
    }

    /// Applies `change`, then logs what it did with a fresh `created_at`.
    ///
    /// Returns `None` when no incident has this id.
    pub fn update_incident(
        &mut self,
        id: &str,
        change: impl FnOnce(&mut FakeIncident),
    ) -> Option<FakeIncident> {
        let index = *self.incident_index.get(id)?;
        let before = self.incidents[index].clone();
        let mut after = before.clone();
        change(&mut after);

        let at = now();
        after.updated_at = at;
        if after.status != before.status {
            settle_status(&mut after, at);
        }
        self.log_changes(&before, &after, at);
        if let Some((pid, name)) = after.priority.clone() {
            self.remember_priority(&pid, &name);
        }
        self.incidents[index] = after.clone();
        Some(after)
    }

    /// Appends a log entry; readers sort by `created_at`, so order of arrival does not matter.
    pub fn push_log(&mut self, kind: &'static str, incident: &FakeIncident, at: DateTime<Utc>) {
        let (agent, channel) = agent_for(kind, incident);
        let summary = self.log_summary(kind, incident);
        let users = match kind {
            "assign_log_entry" | "escalate_log_entry" => incident.assignee_ids.clone(),
            _ => Vec::new(),
        };
        let id = self.fresh_id('R');
        self.log.push(LogEntry {
            id,
            kind,
            created_at: at,
            incident_id: incident.id.clone(),
            agent,
            channel,
            users,
            summary,
        });
    }

    pub fn put_incident(&mut self, incident: FakeIncident) {
        match self.incident_index.get(&incident.id) {
            Some(&i) => self.incidents[i] = incident,
            None => {
                self.incident_index
                    .insert(incident.id.clone(), self.incidents.len());
                self.incidents.push(incident);
            }
        }
    }

    pub fn remember_priority(&mut self, id: &str, name: &str) {
        if !self.priorities.iter().any(|p| p.id == id) {
            let (id, name) = (id.to_owned(), name.to_owned());
            self.priorities.push(Named { id, name });
        }
    }

    fn log_creation(&mut self, incident: &FakeIncident) {
        let at = incident.created_at;
        self.push_log("trigger_log_entry", incident, at);
        match incident.status.as_str() {
            "acknowledged" => self.push_log("acknowledge_log_entry", incident, at),
            "resolved" => self.push_log("resolve_log_entry", incident, at),
            _ => {}
        }
    }

    fn log_changes(&mut self, before: &FakeIncident, after: &FakeIncident, at: DateTime<Utc>) {
        if after.status != before.status {
            let kind = match (before.status.as_str(), after.status.as_str()) {
                (_, "acknowledged") => "acknowledge_log_entry",
                (_, "resolved") => "resolve_log_entry",
                ("acknowledged", "triggered") => "unacknowledge_log_entry",
                (_, "triggered") => "trigger_log_entry",
                // A status the contract does not know yet still has to show up in the log.
                _ => "annotate_log_entry",
            };
            // The resolver is whoever held the incident, so log with the old assignees.
            let who = if kind == "resolve_log_entry" {
                before
            } else {
                after
            };
            let mut logged = after.clone();
            logged.assignee_ids.clone_from(&who.assignee_ids);
            self.push_log(kind, &logged, at);
        }
        if after.escalation_level != before.escalation_level {
            self.push_log("escalate_log_entry", after, at);
        } else if after.assignee_ids != before.assignee_ids && !after.assignee_ids.is_empty() {
            self.push_log("assign_log_entry", after, at);
        }
        if after.urgency != before.urgency {
            self.push_log("urgency_change_log_entry", after, at);
        }
    }

    fn log_summary(&self, kind: &str, incident: &FakeIncident) -> String {
        let names: Vec<&str> = incident
            .assignee_ids
            .iter()
            .map(|id| self.user(id).map_or(id.as_str(), |u| u.name.as_str()))
            .collect();
        let who = names.first().copied().unwrap_or("the service");
        match kind {
            "trigger_log_entry" => "Triggered via the API".to_owned(),
            "acknowledge_log_entry" => format!("Acknowledged by {who}"),
            "unacknowledge_log_entry" => {
                "Unacknowledged after the acknowledgement timed out".into()
            }
            "resolve_log_entry" => format!("Resolved by {who}"),
            "assign_log_entry" => format!("Assigned to {}", names.join(", ")),
            "escalate_log_entry" => format!("Escalated to level {}", incident.escalation_level),
            "urgency_change_log_entry" => format!("Urgency changed to {}", incident.urgency),
            "annotate_log_entry" => "Note added".to_owned(),
            "snooze_log_entry" => "Snoozed".to_owned(),
            _ => format!("Status changed to {}", incident.status),
        }
    }
}

/// Keeps the timestamps and acknowledgements consistent with a status just changed.
fn settle_status(incident: &mut FakeIncident, at: DateTime<Utc>) {
    incident.last_status_change_at = at;
    incident.resolved_at = (incident.status == "resolved").then_some(at);
    incident.acknowledgements = acks_for(&incident.status, &incident.assignee_ids, at);
}

fn acks_for(status: &str, assignees: &[String], at: DateTime<Utc>) -> Vec<(String, DateTime<Utc>)> {
    if status != "acknowledged" {
        return Vec::new();
    }
    assignees.iter().map(|u| (u.clone(), at)).collect()
}

/// People acknowledge and resolve from the web app; the service triggers and escalates.
fn agent_for(kind: &str, incident: &FakeIncident) -> (Agent, &'static str) {
    let by_person = matches!(
        kind,
        "acknowledge_log_entry" | "resolve_log_entry" | "assign_log_entry" | "annotate_log_entry"
    );
    match incident.assignee_ids.first() {
        Some(user) if by_person => (Agent::User(user.clone()), "website"),
        _ if kind == "escalate_log_entry" || kind == "unacknowledge_log_entry" => {
            (Agent::Service(incident.service_id.clone()), "timeout")
        }
        _ => (Agent::Service(incident.service_id.clone()), "api"),
    }
}
