//! The incident commander's cockpit as Tauri commands: one per core call, errors as `{code,
//! message}`. Kept apart from `commands.rs` so that the two grow without colliding.
//!
//! `by` is the name the window acts under; it is what the incident's timeline shows.

use std::sync::Arc;

use tauri::State;
use tocsin::cockpit::{
    Checklist, Cockpit, CockpitNote, FollowUp, Role, Severity, SeverityMapping, TimelineFormat,
    Timer,
};
use tocsin::model::{Id, Urgency};
use tocsin::Tocsin;

use crate::commands::{with_core, CommandResult};

#[tauri::command]
pub async fn list_severities(tocsin: State<'_, Arc<Tocsin>>) -> CommandResult<Vec<Severity>> {
    with_core(&tocsin, |core| core.severities()).await
}

#[tauri::command]
pub async fn set_severity(
    tocsin: State<'_, Arc<Tocsin>>,
    severity: Severity,
) -> CommandResult<Severity> {
    with_core(&tocsin, move |core| core.set_severity(&severity)).await
}

#[tauri::command]
pub async fn severity_mapping(
    tocsin: State<'_, Arc<Tocsin>>,
    account_id: Id,
) -> CommandResult<Vec<SeverityMapping>> {
    with_core(&tocsin, move |core| core.severity_mapping(account_id)).await
}

#[tauri::command]
pub async fn set_severity_mapping(
    tocsin: State<'_, Arc<Tocsin>>,
    account_id: Id,
    level: u8,
    urgency: Urgency,
    priority: Option<String>,
) -> CommandResult<SeverityMapping> {
    with_core(&tocsin, move |core| {
        core.set_severity_mapping(account_id, level, urgency, priority)
    })
    .await
}

#[tauri::command]
pub async fn get_checklist(tocsin: State<'_, Arc<Tocsin>>, level: u8) -> CommandResult<Checklist> {
    with_core(&tocsin, move |core| core.checklist(level)).await
}

/// A severity's checklist as TOML text, for the person to copy; no file is written.
#[tauri::command]
pub async fn export_checklist(tocsin: State<'_, Arc<Tocsin>>, level: u8) -> CommandResult<String> {
    with_core(&tocsin, move |core| core.export_checklist(level)).await
}

/// Replaces a severity's checklist with pasted TOML text; a bad text changes nothing.
#[tauri::command]
pub async fn import_checklist(
    tocsin: State<'_, Arc<Tocsin>>,
    level: u8,
    source: String,
) -> CommandResult<Checklist> {
    with_core(&tocsin, move |core| core.import_checklist(level, &source)).await
}

#[tauri::command]
pub async fn reset_checklist(
    tocsin: State<'_, Arc<Tocsin>>,
    level: u8,
) -> CommandResult<Checklist> {
    with_core(&tocsin, move |core| core.reset_checklist(level)).await
}

#[tauri::command]
pub async fn start_command(
    tocsin: State<'_, Arc<Tocsin>>,
    incident_id: Id,
    level: u8,
    by: String,
) -> CommandResult<Cockpit> {
    with_core(&tocsin, move |core| {
        core.start_command(incident_id, level, &by)
    })
    .await
}

/// The cockpit of an incident; `not_found` until one is started.
#[tauri::command]
pub async fn get_cockpit(
    tocsin: State<'_, Arc<Tocsin>>,
    incident_id: Id,
) -> CommandResult<Cockpit> {
    with_core(&tocsin, move |core| core.cockpit(incident_id)).await
}

#[tauri::command]
pub async fn set_incident_severity(
    tocsin: State<'_, Arc<Tocsin>>,
    incident_id: Id,
    level: u8,
    by: String,
) -> CommandResult<Cockpit> {
    with_core(&tocsin, move |core| {
        core.set_incident_severity(incident_id, level, &by)
    })
    .await
}

#[tauri::command]
pub async fn tick_item(
    tocsin: State<'_, Arc<Tocsin>>,
    incident_id: Id,
    position: u32,
    by: String,
) -> CommandResult<Cockpit> {
    with_core(&tocsin, move |core| core.tick(incident_id, position, &by)).await
}

#[tauri::command]
pub async fn untick_item(
    tocsin: State<'_, Arc<Tocsin>>,
    incident_id: Id,
    position: u32,
    by: String,
) -> CommandResult<Cockpit> {
    with_core(&tocsin, move |core| core.untick(incident_id, position, &by)).await
}

#[tauri::command]
pub async fn assign_role(
    tocsin: State<'_, Arc<Tocsin>>,
    incident_id: Id,
    role: Role,
    person: String,
    by: String,
) -> CommandResult<Cockpit> {
    with_core(&tocsin, move |core| {
        core.assign_role(incident_id, role, &person, &by)
    })
    .await
}

/// Hands a role over explicitly; `from` names which expert when several hold the role.
#[tauri::command]
pub async fn hand_over(
    tocsin: State<'_, Arc<Tocsin>>,
    incident_id: Id,
    role: Role,
    to: String,
    from: Option<String>,
    by: String,
) -> CommandResult<Cockpit> {
    with_core(&tocsin, move |core| {
        core.hand_over(incident_id, role, &to, from.as_deref(), &by)
    })
    .await
}

#[tauri::command]
pub async fn add_timer(
    tocsin: State<'_, Arc<Tocsin>>,
    incident_id: Id,
    label: String,
    owner: String,
    minutes: u32,
    by: String,
) -> CommandResult<Timer> {
    with_core(&tocsin, move |core| {
        core.add_timer(incident_id, &label, &owner, minutes, &by)
    })
    .await
}

#[tauri::command]
pub async fn cancel_timer(
    tocsin: State<'_, Arc<Tocsin>>,
    timer_id: Id,
    by: String,
) -> CommandResult<Timer> {
    with_core(&tocsin, move |core| core.cancel_timer(timer_id, &by)).await
}

#[tauri::command]
pub async fn decide(
    tocsin: State<'_, Arc<Tocsin>>,
    incident_id: Id,
    text: String,
    by: String,
) -> CommandResult<CockpitNote> {
    with_core(&tocsin, move |core| core.decide(incident_id, &text, &by)).await
}

#[tauri::command]
pub async fn cockpit_note(
    tocsin: State<'_, Arc<Tocsin>>,
    incident_id: Id,
    text: String,
    by: String,
) -> CommandResult<CockpitNote> {
    with_core(&tocsin, move |core| {
        core.cockpit_note(incident_id, &text, &by)
    })
    .await
}

/// Records that a stakeholder update went out; the next reminder is scheduled from it.
#[tauri::command]
pub async fn record_update(
    tocsin: State<'_, Arc<Tocsin>>,
    incident_id: Id,
    text: String,
    by: String,
) -> CommandResult<CockpitNote> {
    with_core(&tocsin, move |core| {
        core.record_update(incident_id, &text, &by)
    })
    .await
}

#[tauri::command]
pub async fn list_followups(
    tocsin: State<'_, Arc<Tocsin>>,
    incident_id: Id,
) -> CommandResult<Vec<FollowUp>> {
    with_core(&tocsin, move |core| core.followups(incident_id)).await
}

/// The incident's whole timeline as text for the window to show and copy; no file is written.
#[tauri::command]
pub async fn export_timeline(
    tocsin: State<'_, Arc<Tocsin>>,
    incident_id: Id,
    format: TimelineFormat,
) -> CommandResult<String> {
    with_core(&tocsin, move |core| {
        core.timeline_export(incident_id, format)
    })
    .await
}
