//! Paging: turning newly claimed pages into native notifications, once each.
//!
//! The store's ledger decides what is a new page and the paging policy what it becomes (see
//! `Store::claim_pages_at` and `crate::paging_policy`); this module decides how it is shown.
//! Many pages in one pass become one summary, not a storm of notifications.

use std::sync::{Arc, Mutex};

use crate::cockpit::{Timer, TimerKind};
use crate::error::{Error, Result};
use crate::model::{Id, Incident, OutboxEntry, Urgency, Write};
use crate::paging_policy::PageReason;
use crate::postmortem::ReviewDue;
use crate::schedule::MyShift;
use crate::store::{ClaimedPage, SelfAlarm};

/// More new pages than this in one pass are shown as a single summary.
pub const STORM_THRESHOLD: usize = 3;

/// What a person did with a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageAction {
    /// Show the incident in the window.
    Open(Id),
    /// Acknowledge the incident (written back through the outbox, next issue).
    Acknowledge(Id),
    /// Stop repeating this page for [`SNOOZE_FROM_NOTIFICATION`] (a local mute).
    Snooze(Id),
}

/// How long the Snooze action on a notification mutes a page's repeats.
pub const SNOOZE_FROM_NOTIFICATION: chrono::Duration = chrono::Duration::minutes(15);

/// How a page reaches the person. The desktop implementation talks to the OS; tests record.
pub trait Notifier: Send + Sync {
    /// One page about one incident.
    fn page(&self, incident: &Incident) -> Result<()>;
    /// One page shown the way the policy asks (sound, urgency hint, why, repeat number).
    fn notify(&self, page: &ClaimedPage) -> Result<()> {
        self.page(&page.incident)
    }
    /// One notification summarising several pages.
    fn storm(&self, incidents: &[Incident]) -> Result<()>;
    /// One notification listing the low-urgency pages held during quiet hours.
    fn held(&self, incidents: &[Incident]) -> Result<()>;
    /// Tocsin paging about itself: an account's pages may be missed, or sync works again.
    fn self_alarm(&self, alarm: &SelfAlarm) -> Result<()>;
    /// A cockpit timer that came due: a delegated task or the next stakeholder update.
    fn reminder(&self, timer: &Timer) -> Result<()>;
    /// A postmortem's review date has come and it is not reviewed yet.
    fn review_due(&self, review: &ReviewDue) -> Result<()>;
    /// One of my on-call shifts starts soon.
    fn shift_starts(&self, shift: &MyShift) -> Result<()>;
    /// An action the provider refused (the incident was resolved elsewhere, say): the person
    /// may have acted from a notification and must not believe it worked.
    fn refused(&self, entry: &OutboxEntry) -> Result<()>;
}

/// Shows the claimed pages; returns the ids whose notification could not be shown, so the
/// caller can give their claims back for the next pass.
pub fn raise(notifier: &dyn Notifier, pages: &[ClaimedPage]) -> Vec<Id> {
    let one_each = |pages: &[ClaimedPage]| -> Vec<Id> {
        pages
            .iter()
            .filter(|p| notifier.notify(p).is_err())
            .map(|p| p.incident.id)
            .collect()
    };
    if pages.len() <= STORM_THRESHOLD {
        return one_each(pages);
    }

    let incidents: Vec<Incident> = pages.iter().map(|p| p.incident.clone()).collect();
    match notifier.storm(&incidents) {
        Ok(()) => Vec::new(),
        Err(e) => {
            // One page the server refuses must not silence the others: fall back to one
            // notification each, so at most the refused ones are retried.
            tracing::warn!(error = %e, count = pages.len(), "summary notification failed");
            one_each(pages)
        }
    }
}

/// Wraps bare incidents as first notifications with the default policy's look.
pub fn as_new_pages(incidents: &[Incident]) -> Vec<ClaimedPage> {
    let policy = crate::paging_policy::PagingPolicy::default();
    incidents
        .iter()
        .map(|i| ClaimedPage {
            incident: i.clone(),
            notice: crate::paging_policy::notice(&policy, i.urgency, PageReason::New),
            repeat: 0,
        })
        .collect()
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

/// The title of a page shown under a policy: why it reaches me, and which repeat it is.
pub fn page_title(page: &ClaimedPage) -> String {
    let base = title(&page.incident);
    let base = match page.notice.reason {
        PageReason::New => base,
        PageReason::Escalated => base.replace("you are paged", "Escalated to you"),
        PageReason::Reassigned => base.replace("you are paged", "Reassigned to you"),
    };
    match page.repeat {
        0 => base,
        n => format!("{base} (reminder {n}, not acknowledged)"),
    }
}

/// The summary of pages held during quiet hours: a title and a bounded, safe body.
pub fn held_text(incidents: &[Incident]) -> (String, String) {
    let title = match incidents.len() {
        1 => "Quiet hours are over: 1 page was held".to_string(),
        n => format!("Quiet hours are over: {n} pages were held"),
    };
    let lines: Vec<String> = incidents
        .iter()
        .take(SUMMARY_LINES)
        .map(|i| {
            let status = i.status.as_str();
            let line = one_line(&i.title, MAX_FIELD_CHARS);
            let account = one_line(&i.account_name, MAX_FIELD_CHARS);
            format!("{line} ({status}) · {account}")
        })
        .collect();
    let more = incidents.len().saturating_sub(SUMMARY_LINES);
    let tail = if more > 0 {
        format!("\n…and {more} more")
    } else {
        String::new()
    };
    (title, escape_markup(&format!("{}{tail}", lines.join("\n"))))
}

/// The self-alarm's title and body.
pub fn self_alarm_text(alarm: &SelfAlarm) -> (String, String) {
    let account = one_line(&alarm.account_name, MAX_FIELD_CHARS);
    let since = alarm.since.format("%Y-%m-%d %H:%M UTC");
    if alarm.recovered {
        let title = format!("Tocsin syncs {account} again");
        let body =
            format!("Pages from {account} reach you again. Check what happened since {since}.");
        return (escape_markup(&title), escape_markup(&body));
    }
    let title = format!("Pages from {account} may be missed");
    let body = format!(
        "You are on call, and Tocsin has not synced {account} since {since}. \
         Check your connection or the account's health."
    );
    (escape_markup(&title), escape_markup(&body))
}

/// A review reminder's title and body, safe like a page's.
pub fn review_text(review: &ReviewDue) -> (String, String) {
    let title = "Postmortem review due".to_string();
    let body = format!(
        "{} is due for review on {}.",
        one_line(&review.title, MAX_FIELD_CHARS),
        one_line(&review.due_on, 10)
    );
    (escape_markup(&title), escape_markup(&body))
}

/// A shift reminder's title and body, safe like a page's; times in the local zone.
pub fn shift_text(shift: &MyShift) -> (String, String) {
    let local = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&chrono::Local);
    let title = format!(
        "Your on-call shift starts at {}",
        local(shift.start).format("%H:%M")
    );
    let body = format!(
        "{}, until {}.",
        one_line(&shift.schedule_name, MAX_FIELD_CHARS),
        local(shift.end).format("%a %Y-%m-%d %H:%M")
    );
    (escape_markup(&title), escape_markup(&body))
}

/// How many incidents a summary lists by name.
const SUMMARY_LINES: usize = 5;

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
    matches!(
        c,
        '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
    )
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

/// What one notification offers and how loudly.
#[derive(Default)]
struct Look<'a> {
    /// The incident it is about; Open is offered when there is one.
    incident: Option<Id>,
    critical: bool,
    /// Offer Acknowledge (pages do; reminders do not).
    ack: bool,
    /// Offer Snooze (pages that repeat do).
    snooze: bool,
    sound: Option<&'a str>,
}

/// The bundle identifier in `src-tauri/tauri.conf.json`, which the Windows installers register
/// as the app's AppUserModelID (a test keeps the two equal).
pub const WINDOWS_APP_ID: &str = "dev.tocsin.app";

/// Says, as a critical notification, that Tocsin could not start and why: the desktop app
/// has no window yet to say it in, and a pager that silently fails to start is the worst case.
pub fn notify_cannot_start(error: &Error) -> Result<()> {
    let notifier = DesktopNotifier::new(Arc::new(|_| {}));
    let look = Look {
        critical: true,
        ..Look::default()
    };
    let body = format!("{} [{}]", one_line(&error.to_string(), 600), error.code());
    notifier.show("Tocsin cannot start: pages will not reach you", &body, look)
}

impl DesktopNotifier {
    pub fn new(on_action: Arc<dyn Fn(PageAction) + Send + Sync>) -> DesktopNotifier {
        DesktopNotifier { on_action }
    }

    fn show(&self, summary: &str, body: &str, look: Look<'_>) -> Result<()> {
        let mut n = notify_rust::Notification::new();
        n.appname("Tocsin")
            .summary(summary)
            .body(body)
            .icon("dialog-warning");
        // Windows shows a toast only for an app its Start menu shortcut registered under this
        // AppUserModelID; the installers create that shortcut with the bundle identifier.
        #[cfg(target_os = "windows")]
        n.app_id(WINDOWS_APP_ID);
        if look.incident.is_some() {
            n.action("default", "Open").action("open", "Open");
            if look.ack {
                n.action("acknowledge", "Acknowledge");
            }
            if look.snooze {
                n.action("snooze", "Snooze 15 min");
            }
        }
        #[cfg(all(unix, not(target_os = "macos")))]
        {
            let urgency = if look.critical {
                notify_rust::Urgency::Critical
            } else {
                notify_rust::Urgency::Normal
            };
            n.urgency(urgency);
        }
        if let Some(sound) = look.sound {
            n.sound_name(sound);
        }
        let handle = n
            .show()
            .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))?;
        self.listen(handle, look.incident);
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
                "snooze" => on_action(PageAction::Snooze(id)),
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
        self.notify(&as_new_pages(std::slice::from_ref(incident))[0])
    }

    fn notify(&self, page: &ClaimedPage) -> Result<()> {
        let look = Look {
            incident: Some(page.incident.id),
            critical: page.notice.critical,
            ack: true,
            snooze: page.notice.repeat.is_some(),
            sound: page.notice.sound.as_deref(),
        };
        self.show(&page_title(page), &body(&page.incident), look)
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
        let critical = incidents.iter().any(|i| i.urgency == Urgency::High);
        let look = Look {
            critical,
            ..Look::default()
        };
        self.show(&summary, &format!("{}{tail}", lines.join("\n")), look)
    }

    fn held(&self, incidents: &[Incident]) -> Result<()> {
        let (title, body) = held_text(incidents);
        self.show(&title, &body, Look::default())
    }

    fn self_alarm(&self, alarm: &SelfAlarm) -> Result<()> {
        let (title, body) = self_alarm_text(alarm);
        let look = Look {
            critical: !alarm.recovered,
            ..Look::default()
        };
        self.show(&title, &body, look)
    }

    fn reminder(&self, timer: &Timer) -> Result<()> {
        let (title, body) = reminder_text(timer);
        let look = Look {
            incident: Some(timer.incident_id),
            critical: true,
            ..Look::default()
        };
        self.show(&title, &body, look)
    }

    fn review_due(&self, review: &ReviewDue) -> Result<()> {
        let (title, body) = review_text(review);
        self.show(&title, &body, Look::default())
    }

    fn shift_starts(&self, shift: &MyShift) -> Result<()> {
        let (title, body) = shift_text(shift);
        self.show(&title, &body, Look::default())
    }

    fn refused(&self, entry: &OutboxEntry) -> Result<()> {
        let (title, body) = refused_text(entry);
        let look = Look {
            incident: entry.incident_id,
            critical: true,
            ..Look::default()
        };
        self.show(&title, &body, look)
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
    /// Each page shown with its title (why, repeat) and sound.
    pub notices: Mutex<Vec<(Id, String, Option<String>)>>,
    /// Each held-pages summary, as the incident ids it listed.
    pub held: Mutex<Vec<Vec<Id>>>,
    /// Each self-alarm: the account and whether it told of a recovery.
    pub self_alarms: Mutex<Vec<(Id, bool)>>,
    /// Ids of the postmortems whose review it was asked to remind of.
    pub reviews: Mutex<Vec<Id>>,
    /// The shifts it was asked to announce: schedule id and start.
    pub shifts: Mutex<Vec<(String, chrono::DateTime<chrono::Utc>)>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Notifier for RecordingNotifier {
    fn notify(&self, page: &ClaimedPage) -> Result<()> {
        let id = page.incident.id;
        let sound = page.notice.sound.clone();
        lock(&self.notices).push((id, page_title(page), sound));
        self.page(&page.incident)
    }

    fn held(&self, incidents: &[Incident]) -> Result<()> {
        lock(&self.held).push(incidents.iter().map(|i| i.id).collect());
        Ok(())
    }

    fn self_alarm(&self, alarm: &SelfAlarm) -> Result<()> {
        lock(&self.self_alarms).push((alarm.account_id, alarm.recovered));
        Ok(())
    }

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

    fn review_due(&self, review: &ReviewDue) -> Result<()> {
        lock(&self.reviews).push(review.postmortem_id);
        Ok(())
    }

    fn shift_starts(&self, shift: &MyShift) -> Result<()> {
        lock(&self.shifts).push((shift.schedule_id.clone(), shift.start));
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
        assert!(raise(&n, &as_new_pages(&few)).is_empty());
        let many: Vec<_> = (1..=10).map(|i| incident(i, "x")).collect();
        assert!(raise(&n, &as_new_pages(&many)).is_empty());
        let shown = n.shown.lock().unwrap();
        assert_eq!(shown.len(), STORM_THRESHOLD + 1);
        assert_eq!(shown.last().unwrap().len(), 10);
    }

    #[test]
    fn the_held_summary_is_bounded_and_safe() {
        let mut many: Vec<_> = (1..=9).map(|i| incident(i, "disk")).collect();
        many[0].title = "<b>evil</b>\nForged line\u{202e}".into();
        let (title, body) = held_text(&many);
        assert_eq!(title, "Quiet hours are over: 9 pages were held");
        assert!(body.starts_with("&lt;b&gt;evil&lt;/b&gt; Forged line\u{fffd} (triggered)"));
        assert_eq!(body.lines().count(), SUMMARY_LINES + 1, "{body}");
        assert!(body.ends_with("…and 4 more"), "{body}");
        let (one, _) = held_text(&many[..1]);
        assert_eq!(one, "Quiet hours are over: 1 page was held");
    }

    #[test]
    fn a_page_says_why_it_came_and_which_repeat_it_is() {
        let mut pages = as_new_pages(&[incident(1, "x")]);
        assert_eq!(page_title(&pages[0]), "High urgency: you are paged");
        pages[0].notice.reason = PageReason::Escalated;
        assert_eq!(page_title(&pages[0]), "High urgency: Escalated to you");
        pages[0].notice.reason = PageReason::Reassigned;
        pages[0].repeat = 2;
        assert_eq!(
            page_title(&pages[0]),
            "High urgency: Reassigned to you (reminder 2, not acknowledged)"
        );
    }

    #[test]
    fn the_self_alarm_names_the_account_safely() {
        let alarm = SelfAlarm {
            account_id: 1,
            account_name: "<prod>\n".into(),
            since: chrono::DateTime::UNIX_EPOCH,
            recovered: false,
        };
        let (title, body) = self_alarm_text(&alarm);
        assert_eq!(title, "Pages from &lt;prod&gt;  may be missed");
        assert!(body.contains("since 1970-01-01 00:00 UTC"), "{body}");
        let (title, _) = self_alarm_text(&SelfAlarm {
            recovered: true,
            ..alarm
        });
        assert!(title.starts_with("Tocsin syncs"), "{title}");
    }
}
