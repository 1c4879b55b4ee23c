//! The window's commands for communicating during an incident: stakeholder updates, their
//! templates, and publishing to Statuspage pages. Each forwards to one `Tocsin` method.
//!
//! A page's API key travels one way only: from the Settings form to the keychain, through
//! `add_status_page`. No command returns it; a `StatusPage` says only where the key is.

use std::sync::Arc;

use tauri::State;
use tocsin::comms::{
    Audience, NewStatusPage, PublishedUpdate, StatusLink, StatusPage, StatusRequest, UpdateDraft,
    UpdateFields, UpdateTemplate,
};
use tocsin::model::{Id, OutboxEntry};
use tocsin::provider::statuspage::{Component, StatusPreview};
use tocsin::Tocsin;

use crate::commands::{with_core, CommandError, CommandResult};

/// Who the timeline says acted: `TOCSIN_NAME` as for the CLI, else "You".
fn person() -> String {
    std::env::var("TOCSIN_NAME")
        .ok()
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "You".to_owned())
}

/// Renders an update for the preview; records nothing, so the window calls it per keystroke.
#[tauri::command]
pub async fn draft_update(
    tocsin: State<'_, Arc<Tocsin>>,
    incident: Id,
    audience: Audience,
    fields: UpdateFields,
) -> CommandResult<UpdateDraft> {
    with_core(&tocsin, move |core| {
        core.draft_update(incident, audience, &fields)
    })
    .await
}

/// Records the update on the cockpit (and so the timeline) and schedules the next one.
#[tauri::command]
pub async fn publish_update(
    tocsin: State<'_, Arc<Tocsin>>,
    incident: Id,
    audience: Audience,
    fields: UpdateFields,
) -> CommandResult<PublishedUpdate> {
    with_core(&tocsin, move |core| {
        core.publish_update(incident, audience, &fields, &person())
    })
    .await
}

/// An audience's template as the TOML file `import_update_template` reads back.
#[tauri::command]
pub async fn export_update_template(
    tocsin: State<'_, Arc<Tocsin>>,
    audience: Audience,
) -> CommandResult<String> {
    with_core(&tocsin, move |core| core.export_update_template(audience)).await
}

/// Replaces an audience's template; a file with an unknown placeholder is refused.
#[tauri::command]
pub async fn import_update_template(
    tocsin: State<'_, Arc<Tocsin>>,
    audience: Audience,
    source: String,
) -> CommandResult<UpdateTemplate> {
    with_core(&tocsin, move |core| {
        core.import_update_template(audience, &source)
    })
    .await
}

#[tauri::command]
pub async fn reset_update_template(
    tocsin: State<'_, Arc<Tocsin>>,
    audience: Audience,
) -> CommandResult<UpdateTemplate> {
    with_core(&tocsin, move |core| core.reset_update_template(audience)).await
}

#[tauri::command]
pub async fn list_status_pages(tocsin: State<'_, Arc<Tocsin>>) -> CommandResult<Vec<StatusPage>> {
    with_core(&tocsin, |core| core.status_pages()).await
}

/// Adds a page; a key given here goes to the OS keychain and never comes back out.
#[tauri::command]
pub async fn add_status_page(
    tocsin: State<'_, Arc<Tocsin>>,
    page: NewStatusPage,
    key: Option<String>,
) -> CommandResult<StatusPage> {
    with_core(&tocsin, move |core| core.add_status_page(page, key)).await
}

/// Removes a page, its links and its keychain entry.
#[tauri::command]
pub async fn remove_status_page(tocsin: State<'_, Arc<Tocsin>>, page: Id) -> CommandResult<()> {
    with_core(&tocsin, move |core| core.remove_status_page(page)).await
}

/// Reads the page's components from Statuspage, remembering them for offline previews.
#[tauri::command]
pub async fn statuspage_components(
    tocsin: State<'_, Arc<Tocsin>>,
    page: Id,
) -> CommandResult<Vec<Component>> {
    let tocsin = Arc::clone(&tocsin);
    let read = async move { tocsin.statuspage_components(page).await };
    let joined = tauri::async_runtime::spawn(read).await;
    joined
        .map_err(CommandError::internal)?
        .map_err(CommandError::from)
}

/// The pages an incident is published on, and as which Statuspage incident.
#[tauri::command]
pub async fn status_links(
    tocsin: State<'_, Arc<Tocsin>>,
    incident: Id,
) -> CommandResult<Vec<StatusLink>> {
    with_core(&tocsin, move |core| core.status_links(incident)).await
}

/// Exactly what publishing `request` would say, with what would stop it from going out.
#[tauri::command]
pub async fn statuspage_preview(
    tocsin: State<'_, Arc<Tocsin>>,
    incident: Id,
    page: Id,
    request: StatusRequest,
) -> CommandResult<StatusPreview> {
    with_core(&tocsin, move |core| {
        core.statuspage_preview(incident, page, &request)
    })
    .await
}

/// Queues the preview the person saw in the incident's account's outbox; the engine sends
/// it within its outbox tick. Returns the entry, whose state the window then follows.
#[tauri::command]
pub async fn statuspage_publish(
    tocsin: State<'_, Arc<Tocsin>>,
    incident: Id,
    page: Id,
    preview: StatusPreview,
) -> CommandResult<OutboxEntry> {
    with_core(&tocsin, move |core| {
        let entry = core.statuspage_publish(incident, page, &preview, &person())?;
        core.store().outbox_entry(entry)
    })
    .await
}

/// One outbox entry, so the window can follow a publication: sending, sent or refused.
#[tauri::command]
pub async fn outbox_entry(tocsin: State<'_, Arc<Tocsin>>, id: Id) -> CommandResult<OutboxEntry> {
    with_core(&tocsin, move |core| core.store().outbox_entry(id)).await
}
