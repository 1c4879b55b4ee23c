//! The tray icon: not on call, on call, or paged (with the unacknowledged count), and a menu of
//! open incidents to acknowledge or open. It acts through the same path as the window.

use std::sync::Arc;

use tauri::image::Image;
use tauri::menu::{Menu, MenuEvent, MenuItem, PredefinedMenuItem, Submenu};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Manager, Runtime};
use tocsin::model::{Action, Glance, GlanceState, Id};
use tocsin::paging::one_line;
use tocsin::sync::Engine;
use tocsin::Tocsin;

pub(crate) const TRAY_ID: &str = "tocsin";
/// Open incidents listed in the menu; the window has the rest.
const MENU_INCIDENTS: u32 = 10;
/// Longest incident title in a menu item, in characters.
const MENU_TITLE_CHARS: usize = 60;
const ICON_SIZE: u32 = 32;

/// One line of the tray menu, independent of Tauri so it can be tested.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A line that only informs.
    Header(String),
    /// An incident with its Open and Acknowledge items.
    Incident {
        id: Id,
        label: String,
        can_ack: bool,
    },
    Separator,
    Show,
    Quit,
}

/// The tooltip (and, where the tray shows one, the label) for a glance.
pub fn summary(glance: &Glance) -> String {
    match glance.state() {
        GlanceState::Paged => format!("Tocsin: paged, {} unacknowledged", glance.unacknowledged),
        GlanceState::OnCall => "Tocsin: on call".into(),
        GlanceState::NotOnCall => "Tocsin: not on call".into(),
    }
}

/// The menu for a glance. Provider titles are cut to one safe line: a menu item is no place
/// for control or direction-changing characters.
pub fn entries(glance: &Glance) -> Vec<Entry> {
    let mut entries = vec![Entry::Header(summary(glance))];
    if glance.open.is_empty() {
        entries.push(Entry::Header("No open incidents".into()));
    }
    for incident in &glance.open {
        let number = incident
            .number
            .map(|n| format!("#{n} "))
            .unwrap_or_default();
        let drill = if incident.is_drill { "[DRILL] " } else { "" };
        let label = format!(
            "{drill}{number}{} ({})",
            one_line(&incident.title, MENU_TITLE_CHARS),
            incident.status.as_str()
        );
        entries.push(Entry::Incident {
            id: incident.id,
            label,
            can_ack: incident.status != tocsin::model::IncidentStatus::Acknowledged,
        });
    }
    entries.extend([Entry::Separator, Entry::Show, Entry::Quit]);
    entries
}

/// Creates the tray icon. A desktop without a tray (no indicator host) is not an error worth
/// stopping for: it is logged and the window works as before.
pub fn create<R: Runtime>(app: &AppHandle<R>) {
    let built = TrayIconBuilder::with_id(TRAY_ID)
        .icon(icon(GlanceState::NotOnCall))
        .tooltip("Tocsin")
        .on_menu_event(on_menu_event)
        .build(app);
    match built {
        Ok(_) => refresh(app),
        Err(err) => tracing::warn!(%err, "no tray icon"),
    }
}

/// Redraws the icon and rebuilds the menu from the cache.
pub fn refresh<R: Runtime>(app: &AppHandle<R>) {
    let Some(tray) = app.tray_by_id(TRAY_ID) else {
        return;
    };
    let tocsin = app.state::<Arc<Tocsin>>();
    let glance = match tocsin.glance(MENU_INCIDENTS) {
        Ok(glance) => glance,
        Err(err) => {
            tracing::warn!(%err, "cannot read the cache for the tray");
            return;
        }
    };
    if let Err(err) = apply(app, &tray, &glance) {
        tracing::warn!(%err, "cannot update the tray");
    }
}

fn apply<R: Runtime>(app: &AppHandle<R>, tray: &TrayIcon<R>, glance: &Glance) -> tauri::Result<()> {
    let menu = build_menu(app, &entries(glance))?;
    tray.set_menu(Some(menu))?;
    tray.set_icon(Some(icon(glance.state())))?;
    tray.set_tooltip(Some(summary(glance)))?;
    let label = match glance.state() {
        GlanceState::Paged => Some(glance.unacknowledged.to_string()),
        _ => None,
    };
    tray.set_title(label)
}

fn build_menu<R: Runtime>(app: &AppHandle<R>, entries: &[Entry]) -> tauri::Result<Menu<R>> {
    let menu = Menu::new(app)?;
    for entry in entries {
        match entry {
            Entry::Header(text) => {
                menu.append(&MenuItem::new(app, text, false, None::<&str>)?)?;
            }
            Entry::Incident { id, label, can_ack } => {
                let open =
                    MenuItem::with_id(app, format!("open:{id}"), "Open", true, None::<&str>)?;
                let ack = MenuItem::with_id(
                    app,
                    format!("ack:{id}"),
                    "Acknowledge",
                    *can_ack,
                    None::<&str>,
                )?;
                menu.append(&Submenu::with_items(app, label, true, &[&open, &ack])?)?;
            }
            Entry::Separator => menu.append(&PredefinedMenuItem::separator(app)?)?,
            Entry::Show => menu.append(&MenuItem::with_id(
                app,
                "show",
                "Show Tocsin",
                true,
                None::<&str>,
            )?)?,
            Entry::Quit => menu.append(&MenuItem::with_id(
                app,
                "quit",
                "Quit Tocsin",
                true,
                None::<&str>,
            )?)?,
        }
    }
    Ok(menu)
}

/// What a menu item id asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Open(Id),
    Acknowledge(Id),
    Show,
    Quit,
}

pub fn parse(id: &str) -> Option<Command> {
    let number = |s: &str| s.parse::<Id>().ok();
    match id.split_once(':') {
        Some(("open", n)) => number(n).map(Command::Open),
        Some(("ack", n)) => number(n).map(Command::Acknowledge),
        _ if id == "show" => Some(Command::Show),
        _ if id == "quit" => Some(Command::Quit),
        _ => None,
    }
}

fn on_menu_event<R: Runtime>(app: &AppHandle<R>, event: MenuEvent) {
    match parse(event.id().as_ref()) {
        Some(Command::Open(id)) => crate::open_incident(app, id),
        Some(Command::Acknowledge(id)) => {
            let engine = app.state::<Arc<Engine>>();
            if let Err(err) = engine.act(id, &Action::Acknowledge) {
                tracing::info!(incident = id, %err, "cannot acknowledge from the tray");
                crate::open_incident(app, id);
            }
            refresh(app);
        }
        Some(Command::Show) => crate::show_main_window(app),
        Some(Command::Quit) => app.exit(0),
        None => tracing::debug!(id = event.id().as_ref(), "unknown tray menu item"),
    }
}

/// A filled disc in the state's colour, drawn here so no image decoder is needed: grey when
/// not on call, green on call, red when paged.
pub fn icon(state: GlanceState) -> Image<'static> {
    let (r, g, b) = match state {
        GlanceState::NotOnCall => (0x8a, 0x8f, 0x98),
        GlanceState::OnCall => (0x2f, 0x9e, 0x44),
        GlanceState::Paged => (0xe0, 0x31, 0x31),
    };
    let size = ICON_SIZE as i64;
    let radius = size as f64 / 2.0 - 1.0;
    let mut rgba = Vec::with_capacity((size * size * 4) as usize);
    for y in 0..size {
        for x in 0..size {
            let dx = x as f64 + 0.5 - size as f64 / 2.0;
            let dy = y as f64 + 0.5 - size as f64 / 2.0;
            // Edge pixels are partly covered: a soft edge instead of jagged steps.
            let coverage = (radius + 0.5 - (dx * dx + dy * dy).sqrt()).clamp(0.0, 1.0);
            rgba.extend([r, g, b, (coverage * 255.0) as u8]);
        }
    }
    Image::new_owned(rgba, ICON_SIZE, ICON_SIZE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tocsin::model::{Incident, IncidentStatus, ProviderKind, Urgency};

    fn incident(id: Id, title: &str, status: IncidentStatus) -> Incident {
        Incident {
            id,
            account_id: 1,
            account_name: "local".into(),
            provider: ProviderKind::Local,
            provider_id: format!("#{id}"),
            number: Some(id),
            title: title.into(),
            status,
            raw_status: None,
            urgency: Urgency::High,
            priority: None,
            severity: None,
            service_id: None,
            service_name: None,
            assignees: vec![],
            escalation_policy_id: None,
            created_at: chrono::Utc::now(),
            acknowledged_at: None,
            resolved_at: None,
            updated_at: chrono::Utc::now(),
            html_url: None,
            is_drill: false,
            details: serde_json::Value::Null,
        }
    }

    #[test]
    fn the_menu_lists_open_incidents_with_safe_titles() {
        let glance = Glance {
            on_call: true,
            unacknowledged: 1,
            open: vec![
                incident(1, "DB\u{202e}gnp.exe\nline", IncidentStatus::Triggered),
                incident(2, "Slow", IncidentStatus::Acknowledged),
            ],
        };
        let entries = entries(&glance);
        assert_eq!(
            entries[0],
            Entry::Header("Tocsin: paged, 1 unacknowledged".into())
        );
        assert_eq!(
            entries[1],
            Entry::Incident {
                id: 1,
                label: "#1 DB\u{fffd}gnp.exe line (triggered)".into(),
                can_ack: true
            }
        );
        assert!(matches!(entries[2], Entry::Incident { can_ack: false, .. }));
        assert_eq!(entries.last(), Some(&Entry::Quit));
    }

    #[test]
    fn menu_ids_round_trip_and_junk_is_ignored() {
        assert_eq!(parse("ack:42"), Some(Command::Acknowledge(42)));
        assert_eq!(parse("open:7"), Some(Command::Open(7)));
        assert_eq!(parse("quit"), Some(Command::Quit));
        assert_eq!(parse("ack:x"), None);
        assert_eq!(parse("rm:1"), None);
    }

    #[test]
    fn each_state_has_its_own_colour() {
        let px = |s| icon(s).rgba()[(16 * 32 + 16) * 4..][..4].to_vec();
        assert_ne!(px(GlanceState::Paged), px(GlanceState::OnCall));
        assert_ne!(px(GlanceState::OnCall), px(GlanceState::NotOnCall));
        assert_eq!(px(GlanceState::Paged)[3], 255, "opaque in the middle");
        assert_eq!(icon(GlanceState::Paged).rgba()[3], 0, "clear in the corner");
    }
}
