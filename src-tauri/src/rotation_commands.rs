//! The local workspace's own rotations and escalation policies as Tauri commands: the editor
//! reads, saves and removes them; a file chosen in the window is imported as text, and an
//! export is written to the Downloads folder.

use std::sync::Arc;

use tauri::{AppHandle, Manager, Runtime, State};
use tocsin::schedule::{ImportSummary, LocalOnCall, PolicyDef, Rendering, ScheduleDef};
use tocsin::Tocsin;

use crate::commands::{with_core, CommandError, CommandResult};

#[tauri::command]
pub async fn local_oncall(tocsin: State<'_, Arc<Tocsin>>) -> CommandResult<LocalOnCall> {
    with_core(&tocsin, |core| core.local_oncall()).await
}

/// Saves a rotation (an empty id makes a new one) and returns it as stored.
#[tauri::command]
pub async fn save_local_schedule(
    tocsin: State<'_, Arc<Tocsin>>,
    schedule: ScheduleDef,
) -> CommandResult<ScheduleDef> {
    with_core(&tocsin, move |core| core.save_local_schedule(schedule)).await
}

/// How an unsaved rotation renders from now for `days` days (at most 92), or why it cannot.
#[tauri::command]
pub async fn preview_local_schedule(
    tocsin: State<'_, Arc<Tocsin>>,
    schedule: ScheduleDef,
    days: i64,
) -> CommandResult<Rendering> {
    with_core(&tocsin, move |core| {
        let since = chrono::Utc::now();
        let until = since + chrono::Duration::days(days.clamp(1, 92));
        core.preview_local_schedule(&schedule, since, until)
    })
    .await
}

#[tauri::command]
pub async fn delete_local_schedule(
    tocsin: State<'_, Arc<Tocsin>>,
    id: String,
) -> CommandResult<()> {
    with_core(&tocsin, move |core| core.delete_local_schedule(&id)).await
}

/// Saves an escalation policy (an empty id makes a new one) and returns it as stored.
#[tauri::command]
pub async fn save_local_policy(
    tocsin: State<'_, Arc<Tocsin>>,
    policy: PolicyDef,
) -> CommandResult<PolicyDef> {
    with_core(&tocsin, move |core| core.save_local_policy(policy)).await
}

#[tauri::command]
pub async fn delete_local_policy(tocsin: State<'_, Arc<Tocsin>>, id: String) -> CommandResult<()> {
    with_core(&tocsin, move |core| core.delete_local_policy(&id)).await
}

#[tauri::command]
pub async fn set_local_me(tocsin: State<'_, Arc<Tocsin>>, user_id: String) -> CommandResult<()> {
    with_core(&tocsin, move |core| core.set_local_me(&user_id)).await
}

/// Imports an on-call file's text (read by the window from a file the person chose); the
/// core refuses more than a megabyte before parsing.
#[tauri::command]
pub async fn import_oncall_file(
    tocsin: State<'_, Arc<Tocsin>>,
    text: String,
    replace: bool,
) -> CommandResult<ImportSummary> {
    with_core(&tocsin, move |core| {
        core.import_local_oncall(&text, replace)
    })
    .await
}

/// Writes the local rotations and policies as `tocsin-oncall.toml` in the Downloads folder
/// (a new name if taken) and says where.
#[tauri::command]
pub async fn save_oncall_file<R: Runtime>(
    app: AppHandle<R>,
    tocsin: State<'_, Arc<Tocsin>>,
) -> CommandResult<String> {
    let dir = app.path().download_dir().map_err(|e| {
        CommandError::from(tocsin::Error::Invalid(format!("no Downloads folder: {e}")))
    })?;
    with_core(&tocsin, move |core| {
        let text = core.export_local_oncall()?;
        std::fs::create_dir_all(&dir)?;
        let path = (0..1000)
            .map(|n| match n {
                0 => dir.join("tocsin-oncall.toml"),
                n => dir.join(format!("tocsin-oncall-{n}.toml")),
            })
            .find(|p| !p.exists())
            .ok_or_else(|| tocsin::Error::Invalid("too many on-call files".into()))?;
        let partial = path.with_extension("toml.partial");
        std::fs::write(&partial, text)?;
        std::fs::rename(&partial, &path)?;
        tracing::info!(path = %path.display(), "on-call file saved");
        Ok(path.display().to_string())
    })
    .await
}
