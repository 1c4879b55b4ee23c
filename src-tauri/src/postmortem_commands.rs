//! Postmortems and the MTTA/MTTR numbers as Tauri commands: one per core call, errors as
//! `{code, message}` (an autosave from a stale revision is `conflict`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tauri::{AppHandle, Manager, Runtime, State, WebviewWindow};
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

/// The editor's autosave, at most about once a second while typing.
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
pub async fn postmortem_versions(
    tocsin: State<'_, Arc<Tocsin>>,
    id: Id,
) -> CommandResult<Vec<PostmortemVersion>> {
    with_core(&tocsin, move |core| core.postmortem_versions(id)).await
}

#[tauri::command]
pub async fn keep_postmortem_version(
    tocsin: State<'_, Arc<Tocsin>>,
    id: Id,
) -> CommandResult<PostmortemVersion> {
    with_core(&tocsin, move |core| core.keep_postmortem_version(id)).await
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

/// `format` is `md` or `html`; the window saves the text where the person chooses.
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

/// Writes the export into the person's Downloads folder (never a path the window names) and
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

/// Opens the system's print dialog for the window (where "Save as PDF" lives); the page's
/// print stylesheet leaves only the postmortem's text.
#[tauri::command]
pub async fn print_window<R: Runtime>(window: WebviewWindow<R>) -> CommandResult<()> {
    window
        .print()
        .map_err(|e| CommandError::from(tocsin::Error::Io(std::io::Error::other(e.to_string()))))
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

/// The outbox entry per incident, when the note must reach a provider.
#[tauri::command]
pub async fn publish_postmortem(
    tocsin: State<'_, Arc<Tocsin>>,
    id: Id,
) -> CommandResult<Vec<(Id, Option<Id>)>> {
    with_core(&tocsin, move |core| core.publish_postmortem(id)).await
}

#[tauri::command]
pub async fn list_postmortem_templates(
    tocsin: State<'_, Arc<Tocsin>>,
) -> CommandResult<Vec<Template>> {
    with_core(&tocsin, |core| core.postmortem_templates()).await
}

#[tauri::command]
pub async fn export_postmortem_template(
    tocsin: State<'_, Arc<Tocsin>>,
    name: String,
) -> CommandResult<String> {
    with_core(&tocsin, move |core| core.export_postmortem_template(&name)).await
}

#[tauri::command]
pub async fn import_postmortem_template(
    tocsin: State<'_, Arc<Tocsin>>,
    source: String,
) -> CommandResult<Template> {
    with_core(&tocsin, move |core| {
        core.import_postmortem_template(&source)
    })
    .await
}

#[tauri::command]
pub async fn reset_postmortem_template(
    tocsin: State<'_, Arc<Tocsin>>,
    name: String,
) -> CommandResult<Option<Template>> {
    with_core(&tocsin, move |core| core.reset_postmortem_template(&name)).await
}

/// MTTA, MTTR and counts over the incidents of the last `since_days` days (all if none).
#[tauri::command]
pub async fn postmortem_stats(
    tocsin: State<'_, Arc<Tocsin>>,
    since_days: Option<u32>,
) -> CommandResult<Stats> {
    with_core(&tocsin, move |core| core.stats_for_days(since_days)).await
}
