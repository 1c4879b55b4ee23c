//! Desktop integration: the close button while on call, deep links from other apps, and
//! starting at login. The window's size and place are remembered by the window-state plugin.

use std::ffi::OsString;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime, State, Window, WindowEvent};
use tocsin::deep_link;
use tocsin::model::{GlanceState, Id};
use tocsin::Tocsin;
use ts_rs::TS;

use crate::commands::{CommandError, CommandResult};
use crate::{open_incident, tray, MAIN_WINDOW};

/// Sent with a sentence when a deep link could not be opened.
pub const EVENT_LINK_ERROR: &str = "tocsin://link-error";

/// Whether the close button hides the window instead of quitting: while on call or paged,
/// quitting would silence the pager, so only an explicit Quit does that.
pub fn close_hides(state: GlanceState) -> bool {
    state != GlanceState::NotOnCall
}

/// The close button: hidden to the tray while on call (and when the cache cannot say, since
/// a silent pager is the worse mistake); closed otherwise. Without a tray nothing could bring
/// the window back, so it closes.
pub fn on_window_event<R: Runtime>(window: &Window<R>, event: &WindowEvent) {
    let WindowEvent::CloseRequested { api, .. } = event else {
        return;
    };
    let app = window.app_handle();
    if window.label() != MAIN_WINDOW || app.tray_by_id(tray::TRAY_ID).is_none() {
        return;
    }
    let state = (app.state::<Arc<Tocsin>>().glance(0)).map_or(GlanceState::OnCall, |g| g.state());
    if !close_hides(state) {
        return;
    }
    api.prevent_close();
    if let Err(err) = window.hide() {
        tracing::warn!(%err, "could not hide the window to the tray");
    }
    tracing::info!("window hidden to the tray while on call; Quit is in the tray menu");
}

/// What the launch's own arguments asked for, kept until the window asks (it is not listening
/// yet when the app starts).
#[derive(Default)]
pub struct LaunchLink(Mutex<Option<LinkOutcome>>);

/// A deep link's outcome, as the window sees it.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct LinkOutcome {
    pub incident_id: Option<Id>,
    pub error: Option<String>,
}

/// The first deep link among `args`, resolved against the cache; `None` when there is none.
pub fn link_in_args<R: Runtime>(
    app: &AppHandle<R>,
    args: impl IntoIterator<Item = OsString>,
) -> Option<LinkOutcome> {
    let arg = args
        .into_iter()
        .filter_map(|a| a.into_string().ok())
        .find(|a| a.to_ascii_lowercase().starts_with("tocsin:"))?;
    Some(resolve(app, &arg))
}

fn resolve<R: Runtime>(app: &AppHandle<R>, link: &str) -> LinkOutcome {
    let tocsin = app.state::<Arc<Tocsin>>();
    let found = deep_link::parse_or_explain(link).and_then(|l| tocsin.resolve_deep_link(&l));
    match found {
        Ok(id) => LinkOutcome {
            incident_id: Some(id),
            error: None,
        },
        Err(err) => {
            tracing::info!(code = err.code(), %err, "deep link not opened");
            LinkOutcome {
                incident_id: None,
                error: Some(format!("Could not open the link: {err}")),
            }
        }
    }
}

/// Opens what a link asks for in the running window, or says why not.
pub fn open_link<R: Runtime>(app: &AppHandle<R>, outcome: LinkOutcome) {
    match outcome.incident_id {
        Some(id) => open_incident(app, id),
        None => {
            crate::show_main_window(app);
            let message = outcome.error.unwrap_or_default();
            if let Err(err) = app.emit_to(MAIN_WINDOW, EVENT_LINK_ERROR, message) {
                tracing::warn!(%err, "could not tell the window about a link");
            }
        }
    }
}

/// Hands the launch's deep link (if any) to the window once, when it is ready to show it.
#[tauri::command]
pub fn take_launch_link(link: State<'_, LaunchLink>) -> Option<LinkOutcome> {
    link.0.lock().ok().and_then(|mut slot| slot.take())
}

/// Whether Tocsin starts when I log in.
#[tauri::command]
pub fn get_autostart<R: Runtime>(app: AppHandle<R>) -> CommandResult<bool> {
    autostart(&app)?
        .is_enabled()
        .map_err(|e| unavailable(e.to_string()))
}

/// Turns starting at login on or off (off until a person turns it on) and says how it is now.
#[tauri::command]
pub fn set_autostart<R: Runtime>(app: AppHandle<R>, enabled: bool) -> CommandResult<bool> {
    let launcher = autostart(&app)?;
    let done = if enabled {
        launcher.enable()
    } else {
        launcher.disable()
    };
    done.map_err(|e| unavailable(e.to_string()))?;
    tracing::info!(enabled, "start at login changed");
    launcher
        .is_enabled()
        .map_err(|e| unavailable(e.to_string()))
}

/// Quits the app from the window: the tray's Quit, for when the tray is out of reach.
#[tauri::command]
pub fn quit_app<R: Runtime>(app: AppHandle<R>) {
    tracing::info!("quit from the window");
    app.exit(0);
}

fn autostart<R: Runtime>(
    app: &AppHandle<R>,
) -> CommandResult<&tauri_plugin_autostart::AutoLaunchManager> {
    // The mock runtime of the tests, and a shell built without the plugin, have no launcher.
    app.try_state::<tauri_plugin_autostart::AutoLaunchManager>()
        .map(|s| s.inner())
        .ok_or_else(|| unavailable("the launcher is not set up".into()))
}

fn unavailable(why: String) -> CommandError {
    CommandError::from(tocsin::Error::Invalid(format!(
        "starting at login cannot be changed here: {why}"
    )))
}

/// Stores the launch's link for the window.
pub fn keep_launch_link<R: Runtime>(app: &AppHandle<R>, outcome: Option<LinkOutcome>) {
    if let (Some(outcome), Some(slot)) = (outcome, app.try_state::<LaunchLink>()) {
        if let Ok(mut slot) = slot.0.lock() {
            *slot = Some(outcome);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closing_quits_only_when_off_call() {
        assert!(!close_hides(GlanceState::NotOnCall));
        assert!(close_hides(GlanceState::OnCall));
        assert!(close_hides(GlanceState::Paged));
    }
}
