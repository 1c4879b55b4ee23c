//! Postmortems as Tauri commands: drafting, autosave, history, review, action items, language
//! hints, export and the trend figures. One command per core call; errors as `{code, message}`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tauri::{AppHandle, Manager, Runtime, State};
use tocsin::model::Id;
use tocsin::postmortem::export::Format;
use tocsin::postmortem::{
    ActionItem, ActionItemInput, Hint, Postmortem, PostmortemListing, PostmortemStatus,
    PostmortemVersion, SaveOutcome, Stats, Template,
};
use tocsin::Tocsin;

use crate::commands::{with_core, CommandError, CommandResult};

#[tauri::command]
pub async fn start_postmortem(
    tocsin: State<'_, Arc<Tocsin>>,
    incidents: Vec<Id>,
    template: Option<String>,
) -> CommandResult<Postmortem> {
    with_core(&tocsin, move |core| {
        core.start_postmortem(&incidents, template.as_deref())
    })
    .await
}

#[tauri::command]
pub async fn list_postmortems(
    tocsin: State<'_, Arc<Tocsin>>,
) -> CommandResult<Vec<PostmortemListing>> {
    with_core(&tocsin, |core| core.postmortems()).await
}

#[tauri::command]
pub async fn get_postmortem(tocsin: State<'_, Arc<Tocsin>>, id: Id) -> CommandResult<Postmortem> {
    with_core(&tocsin, move |core| core.postmortem(id)).await
}

/// The editor's autosave; a `conflict` when another window saved since `expected_revision`.
#[tauri::command]
pub async fn save_postmortem(
    tocsin: State<'_, Arc<Tocsin>>,
    id: Id,
    body: String,
    expected_revision: i64,
) -> CommandResult<SaveOutcome> {
    with_core(&tocsin, move |core| {
        core.save_postmortem(id, &body, expected_revision)
    })
    .await
}

#[tauri::command]
pub async fn rename_postmortem(
    tocsin: State<'_, Arc<Tocsin>>,
    id: Id,
    title: String,
    expected_revision: i64,
) -> CommandResult<SaveOutcome> {
    with_core(&tocsin, move |core| {
        core.rename_postmortem(id, &title, expected_revision)
    })
    .await
}

#[tauri::command]
pub async fn keep_postmortem_version(
    tocsin: State<'_, Arc<Tocsin>>,
    id: Id,
) -> CommandResult<PostmortemVersion> {
    with_core(&tocsin, move |core| core.keep_postmortem_version(id)).await
}

#[tauri::command]
pub async fn postmortem_versions(
    tocsin: State<'_, Arc<Tocsin>>,
    id: Id,
) -> CommandResult<Vec<PostmortemVersion>> {
    with_core(&tocsin, move |core| core.postmortem_versions(id)).await
}

#[tauri::command]
pub async fn restore_postmortem_version(
    tocsin: State<'_, Arc<Tocsin>>,
    id: Id,
    version: Id,
    expected_revision: i64,
) -> CommandResult<SaveOutcome> {
    with_core(&tocsin, move |core| {
        core.restore_postmortem_version(id, version, expected_revision)
    })
    .await
}

#[tauri::command]
pub async fn set_postmortem_status(
    tocsin: State<'_, Arc<Tocsin>>,
    id: Id,
    status: PostmortemStatus,
) -> CommandResult<Postmortem> {
    with_core(&tocsin, move |core| core.set_postmortem_status(id, status)).await
}

#[tauri::command]
pub async fn list_action_items(
    tocsin: State<'_, Arc<Tocsin>>,
    id: Id,
) -> CommandResult<Vec<ActionItem>> {
    with_core(&tocsin, move |core| core.action_items(id)).await
}

#[tauri::command]
pub async fn add_action_item(
    tocsin: State<'_, Arc<Tocsin>>,
    id: Id,
    input: ActionItemInput,
) -> CommandResult<ActionItem> {
    with_core(&tocsin, move |core| core.add_action_item(id, &input)).await
}

#[tauri::command]
pub async fn edit_action_item(
    tocsin: State<'_, Arc<Tocsin>>,
    item: Id,
    input: ActionItemInput,
) -> CommandResult<ActionItem> {
    with_core(&tocsin, move |core| core.edit_action_item(item, &input)).await
}

#[tauri::command]
pub async fn remove_action_item(tocsin: State<'_, Arc<Tocsin>>, item: Id) -> CommandResult<()> {
    with_core(&tocsin, move |core| core.remove_action_item(item)).await
}

#[tauri::command]
pub async fn postmortem_hints(tocsin: State<'_, Arc<Tocsin>>, id: Id) -> CommandResult<Vec<Hint>> {
    with_core(&tocsin, move |core| core.postmortem_hints(id)).await
}

#[tauri::command]
pub async fn dismiss_postmortem_hint(
    tocsin: State<'_, Arc<Tocsin>>,
    id: Id,
    fingerprint: String,
) -> CommandResult<()> {
    with_core(&tocsin, move |core| {
        core.dismiss_postmortem_hint(id, &fingerprint)
    })
    .await
}

/// The postmortem as Markdown or standalone HTML text, for copying.
#[tauri::command]
pub async fn export_postmortem(
    tocsin: State<'_, Arc<Tocsin>>,
    id: Id,
    format: String,
) -> CommandResult<String> {
    with_core(&tocsin, move |core| {
        core.export_postmortem(id, Format::parse(&format)?)
    })
    .await
}

/// Writes the export into the person's Downloads folder (never anywhere the window names) and
/// says where.
#[tauri::command]
pub async fn save_postmortem_export<R: Runtime>(
    app: AppHandle<R>,
    tocsin: State<'_, Arc<Tocsin>>,
    id: Id,
    format: String,
) -> CommandResult<String> {
    let dir = app.path().download_dir().map_err(|e| {
        CommandError::from(tocsin::Error::Invalid(format!("no Downloads folder: {e}")))
    })?;
    with_core(&tocsin, move |core| {
        let format = Format::parse(&format)?;
        let text = core.export_postmortem(id, format)?;
        let path = write_new(&dir, id, format, &text)?;
        tracing::info!(postmortem = id, path = %path.display(), "postmortem exported");
        Ok(path.display().to_string())
    })
    .await
}

/// A new file `postmortem-<id>[-n].<ext>` in `dir`, written whole or not at all.
fn write_new(dir: &Path, id: Id, format: Format, text: &str) -> tocsin::Result<PathBuf> {
    let ext = match format {
        Format::Markdown => "md",
        Format::Html => "html",
    };
    std::fs::create_dir_all(dir)?;
    let free = (0..1000)
        .map(|n| match n {
            0 => dir.join(format!("postmortem-{id}.{ext}")),
            n => dir.join(format!("postmortem-{id}-{n}.{ext}")),
        })
        .find(|p| !p.exists())
        .ok_or_else(|| tocsin::Error::Invalid("too many exports with this name".into()))?;

    let partial = free.with_extension(format!("{ext}.partial"));
    std::fs::write(&partial, text)?;
    std::fs::rename(&partial, &free)?;
    Ok(free)
}

/// Queues the summary as a note on every incident the postmortem covers; how many.
#[tauri::command]
pub async fn publish_postmortem(tocsin: State<'_, Arc<Tocsin>>, id: Id) -> CommandResult<usize> {
    with_core(&tocsin, move |core| {
        core.publish_postmortem(id).map(|queued| queued.len())
    })
    .await
}

#[tauri::command]
pub async fn list_postmortem_templates(
    tocsin: State<'_, Arc<Tocsin>>,
) -> CommandResult<Vec<Template>> {
    with_core(&tocsin, |core| core.postmortem_templates()).await
}

/// MTTA, MTTR and incident counts from the cache, since `since` (all of it when null).
#[tauri::command]
pub async fn incident_stats(
    tocsin: State<'_, Arc<Tocsin>>,
    since: Option<DateTime<Utc>>,
) -> CommandResult<Stats> {
    with_core(&tocsin, move |core| core.stats(since)).await
}
