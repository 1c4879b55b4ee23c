//! On-call schedules as Tauri commands: cached schedules rendered, explained and cross-checked
//! offline, my shifts (and their calendar file), and who is on call at a moment, and now and
//! next, per policy level.

use std::sync::Arc;

use tauri::{AppHandle, Manager, Runtime, State};
use tocsin::schedule::{CrossCheck, Explanation, MyShift, OnCallAt, OnCallOutlook, Rendering};
use tocsin::store::CachedSchedule;
use tocsin::Tocsin;

use crate::commands::{with_core, CommandError, CommandResult};

/// The longest view the window asks for, in days.
const MAX_VIEW_DAYS: i64 = 92;

#[tauri::command]
pub async fn list_schedules(tocsin: State<'_, Arc<Tocsin>>) -> CommandResult<Vec<CachedSchedule>> {
    with_core(&tocsin, |core| core.schedules()).await
}

/// A schedule from now for `days` days (at most 92), every layer and the final schedule.
#[tauri::command]
pub async fn render_schedule(
    tocsin: State<'_, Arc<Tocsin>>,
    id: String,
    days: i64,
) -> CommandResult<Rendering> {
    with_core(&tocsin, move |core| {
        let since = chrono::Utc::now();
        let until = since + chrono::Duration::days(days.clamp(1, MAX_VIEW_DAYS));
        core.render_schedule(&id, since, until)
    })
    .await
}

/// Who is on call on the schedule now, and why.
#[tauri::command]
pub async fn explain_schedule(
    tocsin: State<'_, Arc<Tocsin>>,
    id: String,
) -> CommandResult<Explanation> {
    with_core(&tocsin, move |core| {
        core.explain_schedule(&id, chrono::Utc::now())
    })
    .await
}

#[tauri::command]
pub async fn check_schedule(
    tocsin: State<'_, Arc<Tocsin>>,
    id: String,
) -> CommandResult<CrossCheck> {
    with_core(&tocsin, move |core| core.check_schedule(&id)).await
}

/// My shifts from now for `days` days (at most 92), in time order.
#[tauri::command]
pub async fn my_shifts(tocsin: State<'_, Arc<Tocsin>>, days: i64) -> CommandResult<Vec<MyShift>> {
    with_core(&tocsin, move |core| {
        let since = chrono::Utc::now();
        core.my_shifts(
            since,
            since + chrono::Duration::days(days.clamp(1, MAX_VIEW_DAYS)),
        )
    })
    .await
}

/// For each policy and level, who is on call `minutes_ahead` from now (0 = now).
#[tauri::command]
pub async fn oncall_ahead(
    tocsin: State<'_, Arc<Tocsin>>,
    minutes_ahead: i64,
) -> CommandResult<Vec<OnCallAt>> {
    with_core(&tocsin, move |core| {
        let ahead = chrono::Duration::minutes(minutes_ahead.clamp(0, MAX_VIEW_DAYS * 24 * 60));
        core.oncall_at(chrono::Utc::now() + ahead)
    })
    .await
}

/// For each policy and level, who is on call now and, on a schedule, the next handoff.
#[tauri::command]
pub async fn oncall_outlook(tocsin: State<'_, Arc<Tocsin>>) -> CommandResult<OnCallOutlook> {
    with_core(&tocsin, |core| core.oncall_outlook(chrono::Utc::now())).await
}

/// Writes my shifts for `days` days as `tocsin-shifts.ics` in the Downloads folder (a new
/// name if taken) and says where.
#[tauri::command]
pub async fn save_shifts_calendar<R: Runtime>(
    app: AppHandle<R>,
    tocsin: State<'_, Arc<Tocsin>>,
    days: i64,
) -> CommandResult<String> {
    let dir = app.path().download_dir().map_err(|e| {
        CommandError::from(tocsin::Error::Invalid(format!("no Downloads folder: {e}")))
    })?;
    with_core(&tocsin, move |core| {
        let since = chrono::Utc::now();
        let until = since + chrono::Duration::days(days.clamp(1, 400));
        let text = core.my_shifts_ics(since, until)?;
        std::fs::create_dir_all(&dir)?;
        let path = (0..1000)
            .map(|n| match n {
                0 => dir.join("tocsin-shifts.ics"),
                n => dir.join(format!("tocsin-shifts-{n}.ics")),
            })
            .find(|p| !p.exists())
            .ok_or_else(|| tocsin::Error::Invalid("too many calendar files".into()))?;
        let partial = path.with_extension("ics.partial");
        std::fs::write(&partial, text)?;
        std::fs::rename(&partial, &path)?;
        tracing::info!(path = %path.display(), "shifts calendar saved");
        Ok(path.display().to_string())
    })
    .await
}
