//! The Tocsin desktop shell: wires the headless core into a Tauri window and holds no domain
//! logic of its own.

mod cockpit_commands;
mod commands;
mod comms_commands;
mod desktop;
mod paging_commands;
mod postmortem_commands;
mod rotation_commands;
mod schedule_commands;
pub mod tray;
pub mod update_commands;

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use serde::Serialize;
use tauri::{AppHandle, Builder, Emitter, Manager, Runtime};
use tauri_plugin_autostart::MacosLauncher;
use tauri_plugin_window_state::StateFlags;
use tocsin::model::Id;
use tocsin::paging::{DesktopNotifier, Notifier, PageAction};
use tocsin::sync::{Engine, SyncEvent};
use tocsin::Tocsin;
use tokio::sync::broadcast::error::RecvError;
use ts_rs::TS;

pub use commands::CommandError;
pub use update_commands::UpdateSource;

/// The label of the one window, as named in tauri.conf.json and the capability file.
pub const MAIN_WINDOW: &str = "main";

/// Sent to the webview whenever cached data may have changed; the UI refetches.
pub const EVENT_CHANGED: &str = "tocsin://changed";

/// Sent with an incident id when a notification's Open action should show that incident.
pub const EVENT_OPEN_INCIDENT: &str = "tocsin://open-incident";
/// Writes left an account's outbox: sent, or refused by the provider.
pub const EVENT_OUTBOX: &str = "tocsin://outbox";

/// How the shell starts; tests change what a real launch would not.
pub struct ShellOptions {
    pub data_dir: PathBuf,
    /// Whether to start the polling sync engine; tests drive commands without it.
    pub run_sync: bool,
    /// Where pages go; `None` means native desktop notifications.
    pub notifier: Option<Arc<dyn Notifier>>,
    /// Where update manifests come from; tests point it at a server on loopback.
    pub updates: UpdateSource,
    /// The key updates must be signed with; `None` means the project's key in
    /// tauri.conf.json. Only tests, with a key pair of their own, set another.
    pub update_pubkey: Option<String>,
}

/// Launches the desktop app and blocks until it quits.
pub fn run() {
    let data_dir =
        data_dir_arg(std::env::args_os().skip(1)).unwrap_or_else(Tocsin::default_data_dir);
    let _log_guard = tocsin::logs::init("info", Some(&data_dir));
    let options = ShellOptions {
        data_dir,
        run_sync: true,
        notifier: None,
        updates: UpdateSource {
            base: tocsin::updates::update_base(),
        },
        update_pubkey: None,
    };

    // A second launch (a click on the launcher, say) only brings the running window forward,
    // opening the incident its deep link names, if any (how Linux and Windows deliver links).
    let single =
        tauri_plugin_single_instance::init(|app, argv, _cwd| {
            match desktop::link_in_args(app, argv.into_iter().skip(1).map(OsString::from)) {
                Some(outcome) => desktop::open_link(app, outcome),
                None => show_main_window(app),
            }
        });
    // Size and place are remembered; whether the window was hidden to the tray is not, so a
    // restart always shows it.
    let window_state = tauri_plugin_window_state::Builder::default()
        .with_state_flags(StateFlags::all() & !StateFlags::VISIBLE)
        .build();
    let autostart = tauri_plugin_autostart::init(MacosLauncher::LaunchAgent, None);
    let plugins = Builder::default()
        .plugin(single)
        .plugin(tauri_plugin_deep_link::init())
        .plugin(window_state)
        .plugin(autostart);
    let builder = match app_builder(plugins, options) {
        Ok(builder) => builder,
        Err(err) => {
            // There is no window to say it in: a notification does, as well as stderr.
            // TODO(startup-fault): a full disk or a held lock could be waited out, as `tocsin
            // watch` does, in a window that says so, rather than end here.
            tracing::error!(code = err.code(), %err, "cannot open the local cache");
            eprintln!("Tocsin cannot start: {err}");
            if let Err(shown) = tocsin::paging::notify_cannot_start(&err) {
                tracing::error!(%shown, "cannot show that Tocsin cannot start");
            }
            std::process::exit(1);
        }
    };
    // A launch while the running app is shutting down cannot hand over (the D-Bus call goes
    // unanswered): say so plainly rather than with a panic's backtrace.
    if let Err(err) = builder.run(tauri::generate_context!()) {
        tracing::error!(%err, "the app could not start");
        eprintln!("Tocsin could not start: {err}. If it was closing, launch it again.");
        std::process::exit(1);
    }
}

/// Opens the cache and registers the commands, their state and the sync engine on any runtime,
/// so tests can use the mock one. The state is managed before the app is built (not in setup,
/// which only runs with the event loop) so that commands work without a running window.
pub fn app_builder<R: Runtime>(
    builder: Builder<R>,
    options: ShellOptions,
) -> tocsin::Result<Builder<R>> {
    tracing::info!(data_dir = %options.data_dir.display(), "opening the local cache");
    let tocsin = Arc::new(Tocsin::open(&options.data_dir)?);

    // Notification actions can only reach the window once the app exists.
    let app_slot: Arc<OnceLock<AppHandle<R>>> = Arc::default();
    let notifier = options
        .notifier
        .unwrap_or_else(|| desktop_notifier(Arc::clone(&app_slot)));
    let engine = Arc::new(Engine::new(Arc::clone(&tocsin), notifier));
    let run_sync = options.run_sync;
    let mut updater = tauri_plugin_updater::Builder::new();
    if let Some(pubkey) = options.update_pubkey {
        updater = updater.pubkey(pubkey);
    }

    Ok(builder
        .plugin(updater.build())
        .manage(options.updates)
        .manage(update_commands::UpdateState::default())
        .manage(tocsin)
        .manage(Arc::clone(&engine))
        .manage(desktop::LaunchLink::default())
        .on_window_event(desktop::on_window_event)
        .invoke_handler(tauri::generate_handler![
            commands::list_incidents,
            commands::get_incident,
            commands::list_services,
            commands::oncall_now,
            commands::account_health,
            commands::list_accounts,
            commands::add_account,
            commands::declare_incident,
            commands::start_drill,
            commands::sync_now,
            commands::pager_status,
            commands::replace_token,
            commands::act,
            commands::list_outbox,
            commands::incident_actions,
            commands::list_users,
            commands::list_priorities,
            cockpit_commands::list_severities,
            cockpit_commands::set_severity,
            cockpit_commands::severity_mapping,
            cockpit_commands::set_severity_mapping,
            cockpit_commands::get_checklist,
            cockpit_commands::export_checklist,
            cockpit_commands::import_checklist,
            cockpit_commands::reset_checklist,
            cockpit_commands::start_command,
            cockpit_commands::get_cockpit,
            cockpit_commands::set_incident_severity,
            cockpit_commands::tick_item,
            cockpit_commands::untick_item,
            cockpit_commands::assign_role,
            cockpit_commands::hand_over,
            cockpit_commands::add_timer,
            cockpit_commands::cancel_timer,
            cockpit_commands::decide,
            cockpit_commands::cockpit_note,
            cockpit_commands::record_update,
            cockpit_commands::list_followups,
            cockpit_commands::export_timeline,
            comms_commands::draft_update,
            comms_commands::publish_update,
            comms_commands::export_update_template,
            comms_commands::import_update_template,
            comms_commands::reset_update_template,
            comms_commands::list_status_pages,
            comms_commands::add_status_page,
            comms_commands::remove_status_page,
            comms_commands::statuspage_components,
            comms_commands::status_links,
            comms_commands::statuspage_preview,
            comms_commands::statuspage_publish,
            comms_commands::outbox_entry,
            commands::incident_escalation,
            postmortem_commands::start_postmortem,
            postmortem_commands::list_postmortems,
            postmortem_commands::get_postmortem,
            postmortem_commands::save_postmortem,
            postmortem_commands::rename_postmortem,
            postmortem_commands::postmortem_versions,
            postmortem_commands::keep_postmortem_version,
            postmortem_commands::restore_postmortem_version,
            postmortem_commands::set_postmortem_status,
            postmortem_commands::list_action_items,
            postmortem_commands::add_action_item,
            postmortem_commands::edit_action_item,
            postmortem_commands::remove_action_item,
            postmortem_commands::postmortem_hints,
            postmortem_commands::dismiss_postmortem_hint,
            postmortem_commands::export_postmortem,
            postmortem_commands::publish_postmortem,
            postmortem_commands::list_postmortem_templates,
            postmortem_commands::export_postmortem_template,
            postmortem_commands::import_postmortem_template,
            postmortem_commands::reset_postmortem_template,
            postmortem_commands::postmortem_stats,
            postmortem_commands::save_postmortem_export,
            postmortem_commands::print_window,
            paging_commands::get_paging_policy,
            paging_commands::set_paging_policy,
            paging_commands::snooze_page,
            schedule_commands::list_schedules,
            schedule_commands::render_schedule,
            schedule_commands::explain_schedule,
            schedule_commands::check_schedule,
            schedule_commands::my_shifts,
            schedule_commands::oncall_ahead,
            schedule_commands::oncall_outlook,
            schedule_commands::save_shifts_calendar,
            rotation_commands::local_oncall,
            rotation_commands::save_local_schedule,
            rotation_commands::preview_local_schedule,
            rotation_commands::delete_local_schedule,
            rotation_commands::save_local_policy,
            rotation_commands::delete_local_policy,
            rotation_commands::set_local_me,
            rotation_commands::import_oncall_file,
            rotation_commands::save_oncall_file,
            desktop::take_launch_link,
            desktop::get_autostart,
            desktop::set_autostart,
            desktop::quit_app,
            update_commands::check_for_update,
            update_commands::download_update,
            update_commands::install_update_on_restart,
            update_commands::get_update_channel,
            update_commands::set_update_channel,
        ])
        .setup(move |app| {
            let _ = app_slot.set(app.handle().clone());
            forward_sync_events(app.handle().clone(), &engine);
            // The tray follows the live engine; a shell driven without one has no tray.
            if run_sync {
                let handle = app.handle();
                let link = desktop::link_in_args(handle, std::env::args_os().skip(1));
                desktop::keep_launch_link(handle, link);
                listen_for_links(handle);
                tray::create(app.handle());
                tauri::async_runtime::spawn(engine.run());
            }
            Ok(())
        }))
}

/// The payload of `tocsin://changed`: which account changed, when the engine says.
#[derive(Debug, Clone, Serialize)]
struct ChangedPayload {
    account_id: Option<Id>,
}

/// The payload of `tocsin://outbox`: writes that left an account's outbox. A refusal (a
/// conflict, say) is something the person must be told about.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct OutboxPayload {
    pub account_id: Id,
    pub sent: usize,
    pub refused: usize,
}

/// Relays the engine's events to the webview until the engine goes away.
fn forward_sync_events<R: Runtime>(app: AppHandle<R>, engine: &Engine) {
    let mut events = engine.subscribe();
    tauri::async_runtime::spawn(async move {
        loop {
            let account_id = match events.recv().await {
                Ok(SyncEvent::Changed { account_id }) | Ok(SyncEvent::Health { account_id }) => {
                    Some(account_id)
                }
                Ok(SyncEvent::Outbox {
                    account_id,
                    sent,
                    refused,
                }) => {
                    let payload = OutboxPayload {
                        account_id,
                        sent,
                        refused,
                    };
                    if let Err(err) = app.emit(EVENT_OUTBOX, payload) {
                        tracing::warn!(%err, "could not tell the window about the outbox");
                    }
                    Some(account_id)
                }
                Ok(SyncEvent::Paged { .. })
                | Ok(SyncEvent::Pager)
                | Ok(SyncEvent::Reminded { .. }) => None,
                // Missed events still mean "something changed": refetch everything.
                Err(RecvError::Lagged(_)) => None,
                Err(RecvError::Closed) => break,
            };
            if let Err(err) = app.emit(EVENT_CHANGED, ChangedPayload { account_id }) {
                tracing::warn!(%err, "could not tell the window about a sync");
            }
            tray::refresh(&app);
        }
    });
}

/// Native notifications whose actions come back into the window.
fn desktop_notifier<R: Runtime>(app: Arc<OnceLock<AppHandle<R>>>) -> Arc<dyn Notifier> {
    let on_action = move |action: PageAction| {
        let Some(app) = app.get() else { return };
        match action {
            PageAction::Open(id) => open_incident(app, id),
            PageAction::Acknowledge(id) => acknowledge(app, id),
            PageAction::Snooze(id) => snooze(app, id),
        }
    };
    Arc::new(DesktopNotifier::new(Arc::new(on_action)))
}

/// Mutes a page's repeats from its notification (local only; the provider is not told).
fn snooze<R: Runtime>(app: &AppHandle<R>, id: Id) {
    let tocsin = app.state::<Arc<Tocsin>>();
    let minutes = tocsin::paging::SNOOZE_FROM_NOTIFICATION.num_minutes();
    if let Err(err) = tocsin.snooze_page(id, minutes) {
        tracing::warn!(incident = id, %err, "cannot snooze a page");
    }
}

/// Acknowledges from the notification, through the same path as the window (the outbox for
/// providers). When the action is refused (the incident was resolved meanwhile, say), the
/// incident is brought up instead so the person sees why.
fn acknowledge<R: Runtime>(app: &AppHandle<R>, id: Id) {
    let engine = app.state::<Arc<Engine>>();
    match engine.act(id, &tocsin::model::Action::Acknowledge) {
        Ok(_) => {
            let changed = ChangedPayload { account_id: None };
            if let Err(err) = app.emit(EVENT_CHANGED, changed) {
                tracing::warn!(%err, "could not tell the window about an acknowledgement");
            }
        }
        Err(err) => {
            tracing::info!(incident = id, %err, "cannot acknowledge; opening instead");
            open_incident(app, id);
        }
    }
}

/// Brings the window forward and asks the UI to show one incident.
pub(crate) fn open_incident<R: Runtime>(app: &AppHandle<R>, id: Id) {
    show_main_window(app);
    if let Err(err) = app.emit_to(MAIN_WINDOW, EVENT_OPEN_INCIDENT, id) {
        tracing::warn!(%err, incident = id, "could not ask the window to open an incident");
    }
}

/// Shows, unminimises and focuses the main window; a failure is logged, never fatal.
pub fn show_main_window<R: Runtime>(app: &AppHandle<R>) {
    let Some(window) = app.get_webview_window(MAIN_WINDOW) else {
        tracing::warn!("the main window is gone");
        return;
    };
    let shown = window
        .show()
        .and_then(|()| window.unminimize())
        .and_then(|()| window.set_focus());
    if let Err(err) = shown {
        tracing::warn!(%err, "could not bring the window forward");
    }
}

/// Links the system hands a running app (macOS, and Windows or Linux when it registered the
/// scheme itself) open like links from a second launch.
fn listen_for_links<R: Runtime>(app: &AppHandle<R>) {
    use tauri_plugin_deep_link::DeepLinkExt as _;
    let handle = app.clone();
    app.deep_link().on_open_url(move |event| {
        let urls = event
            .urls()
            .into_iter()
            .map(|u| OsString::from(u.to_string()));
        if let Some(outcome) = desktop::link_in_args(&handle, urls) {
            desktop::open_link(&handle, outcome);
        }
    });
}

/// Reads `--data-dir PATH` or `--data-dir=PATH`; other arguments are left to Tauri.
pub fn data_dir_arg(args: impl IntoIterator<Item = OsString>) -> Option<PathBuf> {
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if arg == "--data-dir" {
            return args.next().map(PathBuf::from);
        }
        if let Some(value) = arg.to_str().and_then(|a| a.strip_prefix("--data-dir=")) {
            return Some(PathBuf::from(value));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn windows_notifications_use_the_identifier_the_installers_register() {
        let config: serde_json::Value =
            serde_json::from_str(include_str!("../tauri.conf.json")).unwrap();
        assert_eq!(config["identifier"], tocsin::paging::WINDOWS_APP_ID);
    }

    #[test]
    fn data_dir_is_read_in_both_spellings() {
        assert_eq!(
            data_dir_arg(args(&["--data-dir", "/a"])),
            Some(PathBuf::from("/a"))
        );
        assert_eq!(
            data_dir_arg(args(&["-v", "--data-dir=/b"])),
            Some(PathBuf::from("/b"))
        );
        assert_eq!(data_dir_arg(args(&["--data-dir"])), None);
        assert_eq!(data_dir_arg(args(&[])), None);
    }
}
