//! The local workspace: incidents declared in Tocsin itself, and drills — simulated pages,
//! always marked as such — so a newcomer can see the whole flow without any account.

use chrono::Utc;
use serde_json::json;

use super::{Batch, IncidentRecord, LogRecord};
use crate::model::{IncidentStatus, Person, Urgency};

/// The responder's user id inside the local workspace.
pub const ME_ID: &str = "local-me";

fn me() -> Person {
    Person {
        provider_id: ME_ID.into(),
        name: "You".into(),
        email: None,
    }
}

/// A declared incident: assigned to the person who declared it, who is not paged for it.
pub fn declared(title: &str, severity: u8, number: i64) -> Batch {
    let now = Utc::now();
    let id = format!("local-{}-{number}", now.timestamp_millis());
    let record = IncidentRecord {
        provider_id: id.clone(),
        number: Some(number),
        title: title.to_string(),
        status: IncidentStatus::Triggered,
        raw_status: None,
        urgency: if severity <= 2 {
            Urgency::High
        } else {
            Urgency::Low
        },
        priority: None,
        severity: Some(severity),
        service_id: None,
        service_name: None,
        escalation_policy_id: None,
        assignees: vec![me()],
        my_assignment: None,
        created_at: now,
        acknowledged_at: None,
        resolved_at: None,
        updated_at: now,
        html_url: None,
        is_drill: false,
        details: json!({}),
    };
    let entry = LogRecord {
        incident_provider_id: id,
        provider_id: Some("declared".into()),
        kind: "trigger".into(),
        at: now,
        summary: format!("Declared as SEV-{severity} in Tocsin"),
        agent: Some("You".into()),
    };
    Batch {
        incidents: vec![record],
        log_entries: vec![entry],
        ..Batch::default()
    }
}

/// A drill: a simulated high-urgency page to the responder.
pub fn drill(number: i64) -> Batch {
    let mut batch = declared(
        "DRILL: checkout latency above 2 s (simulated page)",
        2,
        number,
    );
    let record = &mut batch.incidents[0];
    record.is_drill = true;
    record.urgency = Urgency::High;
    record.service_id = Some("drill-checkout".into());
    record.service_name = Some("checkout (drill)".into());
    record.my_assignment = Some(format!("drill:{}", record.provider_id));
    batch.log_entries[0].summary = "Drill started: a simulated page, nothing is broken".into();
    batch
}
