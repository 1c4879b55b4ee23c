//! The incident commander's cockpit as Tauri commands: one per core call, errors as `{code,
//! message}`. Kept apart from `commands.rs` so that the two grow without colliding.

use std::sync::Arc;

use tauri::State;
use tocsin::cockpit::Severity;
use tocsin::Tocsin;

use crate::commands::{with_core, CommandResult};

#[tauri::command]
pub async fn list_severities(tocsin: State<'_, Arc<Tocsin>>) -> CommandResult<Vec<Severity>> {
    with_core(&tocsin, |core| core.severities()).await
}
