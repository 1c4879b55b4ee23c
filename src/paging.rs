//! Paging: turning newly claimed pages into native notifications, once each.
//!
//! The store's ledger decides what is a new page (see `Store::claim_pages`); this module
//! decides how it is shown. Many pages in one pass become one summary, not a storm of
//! notifications.

use std::sync::{Arc, Mutex};

use crate::cockpit::{Timer, TimerKind};
use crate::error::{Error, Result};
use crate::model::{Id, Incident, OutboxEntry, Write};

/// More new pages than this in one pass are shown as a single summary.
pub const STORM_THRESHOLD: usize = 3;

/// What a person did with a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageAction {
    /// Show the incident in the window.
    Open(Id),
    /// Acknowledge the incident (written back through the outbox, next issue).
    Acknowledge(Id),
}

/// How a page reaches the person. The desktop implementation talks to the OS; tests record.
pub trait Notifier: Send + Sync {
    /// One page about one incident.
    fn page(&self, incident: &Incident) -> Result<()>;
    /// One notification summarising several pages.
    fn storm(&self, incidents: &[Incident]) -> Result<()>;
    /// A cockpit timer that came due: a delegated task or the next stakeholder update.
    fn reminder(&self, timer: &Timer) -> Result<()>;
    /// An action the provider refused (the incident was resolved elsewhere, say): the person
    /// may have acted from a notification and must not believe it worked.
    fn refused(&self, entry: &OutboxEntry) -> Result<()>;
}

/// Shows the claimed pages; returns the ids whose notification could not be shown, so the
/// caller can give their claims back for the next pass.
pub fn raise(notifier: &dyn Notifier, pages: &[Incident]) -> Vec<Id> {
    let result = match pages.len() {
        0 => return Vec::new(),
        n if n > STORM_THRESHOLD => notifier.storm(pages),
        _ => {
            let failed: Vec<Id> = pages
                .iter()
                .filter(|i| notifier.page(i).is_err())
                .map(|i| i.id)
                .collect();
            return failed;
        }
    };
    match result {
        Ok(()) => Vec::new(),
        Err(e) => {
            // One page the server refuses must not silence the others: fall back to one
            // notification each, so at most the refused ones are retried.
            tracing::warn!(error = %e, count = pages.len(), "summary notification failed");
            pages
                .iter()
                .filter(|i| notifier.page(i).is_err())
                .map(|i| i.id)
                .collect()
        }
    }
}

/// The notification's title line.
pub fn title(incident: &Incident) -> String {
    let drill = if incident.is_drill { "[DRILL] " } else { "" };
    let urgency = match incident.urgency {
        crate::model::Urgency::High => "High urgency",
        crate::model::Urgency::Low => "Low urgency",
    };
    format!("{drill}{urgency}: you are paged")
}

/// The notification's body: the incident as plain text. Each provider field is made one
/// visible line of bounded length (so a title cannot forge extra lines, reverse itself with
/// bidi controls, or carry a NUL that makes D-Bus refuse the notification), and markup is
/// escaped because notification servers may interpret it.
pub fn body(incident: &Incident) -> String {
    let number = incident
        .number
        .map(|n| format!("#{n} "))
        .unwrap_or_default();
    let title = one_line(&incident.title, MAX_FIELD_CHARS);
    let account = one_line(&incident.account_name, MAX_FIELD_CHARS);
    let service = match &incident.service_name {
        Some(s) => format!("\n{} · {account}", one_line(s, MAX_FIELD_CHARS)),
        None => format!("\n{account}"),
    };
    escape_markup(&format!("{number}{title}{service}"))
}

/// The longest a provider field may be in a notification, in characters.
const MAX_FIELD_CHARS: usize = 200;

/// Provider text as one safe visible line: control and bidi-control characters become U+FFFD
/// (line breaks a space), and text beyond `max` characters is cut with an ellipsis.
pub fn one_line(s: &str, max: usize) -> String {
    let mut out: String = s
        .chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' => ' ',
            c if c.is_control() || is_bidi_control(c) => '\u{fffd}',
            c => c,
        })
        .take(max)
        .collect();
    if s.chars().count() > max {
        out.push('…');
    }
    out
}

/// Characters that change the direction of the text around them.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// A due timer's title and body, with the incident's text made safe like a page's.
pub fn reminder_text(timer: &Timer) -> (String, String) {
    let label = one_line(&timer.label, MAX_FIELD_CHARS);
    let title = match (timer.kind, &timer.owner) {
        (TimerKind::Update, _) => "Stakeholder update due".to_string(),
        (TimerKind::Task, Some(owner)) => {
            format!("Due now: {label} ({})", one_line(owner, MAX_FIELD_CHARS))
        }
        (TimerKind::Task, None) => format!("Due now: {label}"),
    };
    let incident = one_line(&timer.incident_title, MAX_FIELD_CHARS);
    let body = match timer.kind {
        TimerKind::Update => format!("{label}\n{incident}"),
        TimerKind::Task => incident,
    };
    (escape_markup(&title), escape_markup(&body))
}

/// A refused write's title and body, safe like a page's.
pub fn refused_text(entry: &OutboxEntry) -> (String, String) {
    let what = match &entry.write {
        Write::Act { action } => action.verb().replace('_', " "),
        Write::Declare { .. } => "new incident".into(),
        Write::Statuspage { .. } => "status page update".into(),
    };
    let account = one_line(&entry.account_name, MAX_FIELD_CHARS);
    let title = format!("Not sent to {account}: your {what}");
    let why = one_line(
        entry.last_error.as_deref().unwrap_or("refused"),
        MAX_FIELD_CHARS,
    );
    let body = match &entry.incident_title {
        Some(t) => format!("{}\n{why}", one_line(t, MAX_FIELD_CHARS)),
        None => why,
    };
    (escape_markup(&title), escape_markup(&body))
}

fn escape_markup(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Native notifications through the desktop's notification server (D-Bus on Linux).
pub struct DesktopNotifier {
    on_action: Arc<dyn Fn(PageAction) + Send + Sync>,
}

impl DesktopNotifier {
    pub fn new(on_action: Arc<dyn Fn(PageAction) + Send + Sync>) -> DesktopNotifier {
        DesktopNotifier { on_action }
    }

    fn show(&self, summary: &str, body: &str, incident: Option<Id>, urgent: bool) -> Result<()> {
        self.show_with(summary, body, incident, urgent, true)
    }

    /// `ack` offers Acknowledge next to Open (pages do; reminders do not).
    fn show_with(
        &self,
        summary: &str,
        body: &str,
        incident: Option<Id>,
        urgent: bool,
        ack: bool,
    ) -> Result<()> {
        let mut n = notify_rust::Notification::new();
        n.appname("Tocsin")
            .summary(summary)
            .body(body)
            .icon("dialog-warning");
        if incident.is_some() {
            n.action("default", "Open").action("open", "Open");
            if ack {
                n.action("acknowledge", "Acknowledge");
            }
        }
        #[cfg(all(unix, not(target_os = "macos")))]
        {
            let urgency = if urgent {
                notify_rust::Urgency::Critical
            } else {
                notify_rust::Urgency::Normal
            };
            n.urgency(urgency);
        }
        let handle = n
            .show()
            .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))?;
        self.listen(handle, incident);
        Ok(())
    }

    #[cfg(all(unix, not(target_os = "macos")))]
    fn listen(&self, handle: notify_rust::NotificationHandle, incident: Option<Id>) {
        let Some(id) = incident else { return };
        let on_action = self.on_action.clone();
        // Waiting for an action blocks until the notification closes, so it gets a thread.
        std::thread::spawn(move || {
            handle.wait_for_action(|action| match action {
                "default" | "open" => on_action(PageAction::Open(id)),
                "acknowledge" => on_action(PageAction::Acknowledge(id)),
                _ => {}
            });
        });
    }

    #[cfg(not(all(unix, not(target_os = "macos"))))]
    fn listen(&self, _handle: notify_rust::NotificationHandle, _incident: Option<Id>) {
        // TODO(actions-macos-windows): notify-rust offers no action callbacks here; wire the
        // Tauri notification plugin's actions instead.
        let _ = &self.on_action;
    }
}

impl Notifier for DesktopNotifier {
    fn page(&self, incident: &Incident) -> Result<()> {
        let urgent = incident.urgency == crate::model::Urgency::High;
        self.show(&title(incident), &body(incident), Some(incident.id), urgent)
    }

    fn storm(&self, incidents: &[Incident]) -> Result<()> {
        let summary = format!("You are paged for {} incidents", incidents.len());
        let lines: Vec<String> = incidents.iter().take(5).map(body).collect();
        let more = incidents.len().saturating_sub(5);
        let tail = if more > 0 {
            format!("\n…and {more} more")
        } else {
            String::new()
        };
        let urgent = incidents
            .iter()
            .any(|i| i.urgency == crate::model::Urgency::High);
        self.show(
            &summary,
            &format!("{}{tail}", lines.join("\n")),
            None,
            urgent,
        )
    }

    fn reminder(&self, timer: &Timer) -> Result<()> {
        let (title, body) = reminder_text(timer);
        self.show_with(&title, &body, Some(timer.incident_id), true, false)
    }

    fn refused(&self, entry: &OutboxEntry) -> Result<()> {
        let (title, body) = refused_text(entry);
        self.show_with(&title, &body, entry.incident_id, true, false)
    }
}

/// A notifier that remembers what it was asked to show; for tests and `--dry-run`.
#[derive(Default)]
pub struct RecordingNotifier {
    pub shown: Mutex<Vec<Vec<Id>>>,
    /// Ids of the timers it was asked to remind of.
    pub reminders: Mutex<Vec<Id>>,
    /// Ids of the refused outbox entries it was asked to tell about.
    pub refusals: Mutex<Vec<Id>>,
}

impl Notifier for RecordingNotifier {
    fn page(&self, incident: &Incident) -> Result<()> {
        self.shown
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(vec![incident.id]);
        Ok(())
    }

    fn storm(&self, incidents: &[Incident]) -> Result<()> {
        let ids = incidents.iter().map(|i| i.id).collect();
        self.shown
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(ids);
        Ok(())
    }

    fn reminder(&self, timer: &Timer) -> Result<()> {
        self.reminders
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(timer.id);
        Ok(())
    }

    fn refused(&self, entry: &OutboxEntry) -> Result<()> {
        self.refusals
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(entry.id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{IncidentStatus, ProviderKind, Urgency};

    fn incident(id: Id, title: &str) -> Incident {
        Incident {
            id,
            account_id: 1,
            account_name: "acct".into(),
            provider: ProviderKind::Pagerduty,
            provider_id: format!("P{id}"),
            number: Some(id),
            title: title.into(),
            status: IncidentStatus::Triggered,
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
    fn markup_in_provider_text_is_escaped() {
        let b = body(&incident(7, "<b>x</b> & <img src=x onerror=alert(1)>"));
        assert_eq!(
            b,
            "#7 &lt;b&gt;x&lt;/b&gt; &amp; &lt;img src=x onerror=alert(1)&gt;\nacct"
        );
    }

    #[test]
    fn provider_text_cannot_forge_lines_reverse_itself_or_run_on() {
        let b = body(&incident(1, "real\nService · fake\u{202e}gnp.exe\u{0}"));
        assert_eq!(b, "#1 real Service · fake\u{fffd}gnp.exe\u{fffd}\nacct");
        let long = body(&incident(2, &"x".repeat(5000)));
        assert!(long.chars().count() < 2 * MAX_FIELD_CHARS, "{}", long.len());
        assert!(long.contains('…'));
    }

    #[test]
    fn more_than_the_threshold_is_one_summary() {
        let n = RecordingNotifier::default();
        let few: Vec<_> = (1..=STORM_THRESHOLD as Id)
            .map(|i| incident(i, "x"))
            .collect();
        assert!(raise(&n, &few).is_empty());
        let many: Vec<_> = (1..=10).map(|i| incident(i, "x")).collect();
        assert!(raise(&n, &many).is_empty());
        let shown = n.shown.lock().unwrap();
        assert_eq!(shown.len(), STORM_THRESHOLD + 1);
        assert_eq!(shown.last().unwrap().len(), 10);
    }
}
