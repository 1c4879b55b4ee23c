//! A person's paging policy per account, and the pure decision of what a page does under it.
//!
//! **The rule that cannot be configured away:** a high-urgency page assigned to me always
//! notifies at once. Quiet hours, the urgency and service filters, "only while on call" and
//! the escalation/reassignment switches govern low urgency only; for high urgency the policy
//! chooses nothing but the sound and the repeats. A person who silenced their laptop to sleep
//! must still be woken by the page that matters — the provider already decided it does.

use chrono::{DateTime, Datelike, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{Error, Result};
use crate::model::{Incident, Urgency};

/// How Tocsin pages me for one account. Every field has a default that behaves like Tocsin
/// before policies existed, so someone who never opens this gets what they always had.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default, deny_unknown_fields)]
#[ts(export)]
pub struct PagingPolicy {
    /// Whether low-urgency pages notify at all (high urgency always does).
    pub notify_low: bool,
    /// Low-urgency pages notify only from these services (provider ids or names); `None`
    /// means every service.
    pub services: Option<Vec<String>>,
    /// Low-urgency pages notify only while I am on call at this account.
    pub only_on_call: bool,
    /// Do-not-disturb: low-urgency pages wait and are summarised when it ends.
    pub quiet_hours: Option<QuietHours>,
    /// A freedesktop sound name for high-urgency pages (`alarm-clock-elapsed`), or none.
    pub sound_high: Option<String>,
    /// A freedesktop sound name for low-urgency pages, or none.
    pub sound_low: Option<String>,
    /// Show the page again until it is acknowledged.
    pub repeat: Repeat,
    /// Whether a low-urgency incident escalated to me pages (high urgency always does).
    pub notify_on_escalation: bool,
    /// Whether a low-urgency incident reassigned to me pages (high urgency always does).
    pub notify_on_reassignment: bool,
    /// Page about Tocsin itself when this account's sync has failed this long while I am on
    /// call; 0 turns it off.
    pub self_alarm_after_secs: u64,
}

impl Default for PagingPolicy {
    fn default() -> Self {
        PagingPolicy {
            notify_low: true,
            services: None,
            only_on_call: false,
            quiet_hours: None,
            sound_high: None,
            sound_low: None,
            repeat: Repeat::default(),
            notify_on_escalation: true,
            notify_on_reassignment: true,
            self_alarm_after_secs: DEFAULT_SELF_ALARM_SECS,
        }
    }
}

/// Fifteen minutes without sync while on call is three missed escalation steps on a typical
/// policy: long enough that a flaky network does not cry wolf, short enough to matter.
pub const DEFAULT_SELF_ALARM_SECS: u64 = 15 * 60;

/// Repeat-until-acknowledged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default, deny_unknown_fields)]
#[ts(export)]
pub struct Repeat {
    pub enabled: bool,
    /// Seconds between repeats.
    pub every_secs: u64,
    /// At most this many repeats after the first notification; `None` until acknowledged.
    pub max: Option<u32>,
}

impl Default for Repeat {
    fn default() -> Self {
        Repeat {
            enabled: false,
            every_secs: 120,
            max: None,
        }
    }
}

/// A do-not-disturb window in local wall-clock time. `start` at or after `end` spans midnight
/// (`22:00`–`07:00`); `start == end` is a whole day. `days` are the days the window *starts*
/// on, Monday = 1 … Sunday = 7; empty means every day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct QuietHours {
    /// `HH:MM`, local.
    pub start: String,
    /// `HH:MM`, local.
    pub end: String,
    #[serde(default)]
    pub days: Vec<u8>,
    /// An IANA zone such as `Europe/Paris`.
    pub time_zone: String,
}

/// Why a page reaches me.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum PageReason {
    /// A new incident assigned to me.
    New,
    /// The incident escalated to me.
    Escalated,
    /// Someone reassigned the incident to me.
    Reassigned,
}

impl PageReason {
    pub fn as_str(self) -> &'static str {
        match self {
            PageReason::New => "new",
            PageReason::Escalated => "escalated",
            PageReason::Reassigned => "reassigned",
        }
    }

    pub fn parse(s: &str) -> PageReason {
        match s {
            "escalated" => PageReason::Escalated,
            "reassigned" => PageReason::Reassigned,
            _ => PageReason::New,
        }
    }
}

/// How a page is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub reason: PageReason,
    /// The freedesktop sound to play, if any.
    pub sound: Option<String>,
    /// Ask the notification server for critical urgency (stays until dismissed).
    pub critical: bool,
    /// Repeat until acknowledged, if the policy says so.
    pub repeat: Option<Repeat>,
}

/// What a page does under a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Notify(Notice),
    /// Quiet hours: record it and summarise it when they end.
    HoldForLater,
    /// The policy does not want this page shown.
    Skip,
}

/// Decides what a page assigned to me does. Pure: the caller supplies the clock and whether I
/// am on call at the incident's account.
pub fn decide(
    policy: &PagingPolicy,
    incident: &Incident,
    reason: PageReason,
    now: DateTime<Utc>,
    on_call: bool,
) -> Decision {
    let notice = notice(policy, incident.urgency, reason);
    // The non-negotiable rule (see the module comment): nothing below applies to high urgency.
    if incident.urgency == Urgency::High {
        return Decision::Notify(notice);
    }

    let wanted = policy.notify_low
        && service_wanted(policy, incident)
        && (on_call || !policy.only_on_call)
        && match reason {
            PageReason::New => true,
            PageReason::Escalated => policy.notify_on_escalation,
            PageReason::Reassigned => policy.notify_on_reassignment,
        };
    if !wanted {
        return Decision::Skip;
    }
    if is_quiet(policy, now) {
        return Decision::HoldForLater;
    }
    Decision::Notify(notice)
}

/// The sound, urgency hint and repeats for a page of this urgency.
pub fn notice(policy: &PagingPolicy, urgency: Urgency, reason: PageReason) -> Notice {
    let sound = match urgency {
        Urgency::High => policy.sound_high.clone(),
        Urgency::Low => policy.sound_low.clone(),
    };
    Notice {
        reason,
        sound,
        critical: urgency == Urgency::High,
        repeat: policy.repeat.enabled.then(|| policy.repeat.clone()),
    }
}

fn service_wanted(policy: &PagingPolicy, incident: &Incident) -> bool {
    let Some(services) = &policy.services else {
        return true;
    };
    let matches = |s: &Option<String>| s.as_ref().is_some_and(|s| services.contains(s));
    matches(&incident.service_id) || matches(&incident.service_name)
}

/// Whether the policy's quiet hours are on at `now`. A window that cannot be read (checked
/// on save, so only a hand-edited database) counts as off: a broken setting must not hide
/// pages.
pub fn is_quiet(policy: &PagingPolicy, now: DateTime<Utc>) -> bool {
    let Some(quiet) = &policy.quiet_hours else {
        return false;
    };
    let Ok(window) = Window::parse(quiet) else {
        return false;
    };
    window.contains(now)
}

/// Quiet hours parsed once.
struct Window {
    start: NaiveTime,
    end: NaiveTime,
    days: Vec<u8>,
    zone: Tz,
}

impl Window {
    fn parse(quiet: &QuietHours) -> Result<Window> {
        // Exactly HH:MM: chrono alone also takes " 22:00" and "7:0", which then read oddly
        // wherever the policy is shown.
        let time = |s: &str| {
            let shaped = s.len() == 5 && s.as_bytes()[2] == b':';
            NaiveTime::parse_from_str(s, "%H:%M")
                .ok()
                .filter(|_| shaped)
                .ok_or_else(|| Error::Invalid(format!("`{s}` is not a time like 22:00")))
        };
        let zone: Tz = quiet
            .time_zone
            .parse()
            .map_err(|_| Error::Invalid(format!("`{}` is not a time zone", quiet.time_zone)))?;
        if let Some(d) = quiet.days.iter().find(|d| !(1..=7).contains(*d)) {
            return Err(Error::Invalid(format!(
                "day {d} is not 1 (Monday) to 7 (Sunday)"
            )));
        }
        Ok(Window {
            start: time(&quiet.start)?,
            end: time(&quiet.end)?,
            days: quiet.days.clone(),
            zone,
        })
    }

    fn on_day(&self, day: chrono::Weekday) -> bool {
        self.days.is_empty() || self.days.contains(&(day.number_from_monday() as u8))
    }

    fn contains(&self, now: DateTime<Utc>) -> bool {
        let local = now.with_timezone(&self.zone);
        let t = local.time();
        let today = local.weekday();
        if self.start < self.end {
            return t >= self.start && t < self.end && self.on_day(today);
        }
        // Spans midnight: the part before midnight belongs to today's window, the part after
        // it to yesterday's.
        (t >= self.start && self.on_day(today)) || (t < self.end && self.on_day(today.pred()))
    }
}

/// The longest interval between repeats: a day.
pub const MAX_REPEAT_SECS: u64 = 24 * 3600;

/// The longest self-alarm threshold: a week; longer is the same as off, said plainly.
pub const MAX_SELF_ALARM_SECS: u64 = 7 * 24 * 3600;

/// Checks a policy before it is saved, so a typo is an error now, not a silent pager later.
pub fn validate(policy: &PagingPolicy) -> Result<()> {
    if let Some(quiet) = &policy.quiet_hours {
        Window::parse(quiet)?;
    }
    if !(1..=MAX_REPEAT_SECS).contains(&policy.repeat.every_secs) {
        return Err(Error::Invalid(format!(
            "repeat.every_secs must be 1 to {MAX_REPEAT_SECS}"
        )));
    }
    if policy.self_alarm_after_secs > MAX_SELF_ALARM_SECS {
        return Err(Error::Invalid(format!(
            "self_alarm_after_secs must be at most {MAX_SELF_ALARM_SECS} (0 turns it off)"
        )));
    }
    for sound in [&policy.sound_high, &policy.sound_low]
        .into_iter()
        .flatten()
    {
        let plain = sound
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
        // A name starts with a letter or digit: "-rf", ".." and ".hidden" are not sound names.
        let starts_plain = sound
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric());
        if sound.len() > 64 || !plain || !starts_plain {
            return Err(Error::Invalid(format!(
                "`{sound}` is not a freedesktop sound name like alarm-clock-elapsed"
            )));
        }
    }
    Ok(())
}

/// The longest local snooze of a page, in minutes: a day. Longer is forgetting it.
pub const MAX_SNOOZE_MINUTES: i64 = 24 * 60;

impl crate::Tocsin {
    /// The account's paging policy (the defaults when never set).
    pub fn paging_policy(&self, account_id: crate::model::Id) -> Result<PagingPolicy> {
        self.store().paging_policy(account_id)
    }

    /// Checks and saves the account's paging policy.
    pub fn set_paging_policy(
        &self,
        account_id: crate::model::Id,
        policy: &PagingPolicy,
    ) -> Result<()> {
        self.store().set_paging_policy(account_id, policy)?;
        tracing::info!(account = account_id, "paging policy saved");
        Ok(())
    }

    /// Stops repeating an incident's page for `minutes` (1 to a day). A local mute: the
    /// provider keeps escalating as it would.
    pub fn snooze_page(
        &self,
        incident_id: crate::model::Id,
        minutes: i64,
    ) -> Result<DateTime<Utc>> {
        if !(1..=MAX_SNOOZE_MINUTES).contains(&minutes) {
            return Err(Error::Invalid(format!(
                "snooze for 1 to {MAX_SNOOZE_MINUTES} minutes, not {minutes}"
            )));
        }
        let until = Utc::now() + chrono::Duration::minutes(minutes);
        self.store().snooze_page(incident_id, until)?;
        tracing::info!(incident = incident_id, minutes, "page snoozed");
        Ok(until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{IncidentStatus, ProviderKind};
    use chrono::TimeZone;

    fn incident(urgency: Urgency, service: Option<&str>) -> Incident {
        Incident {
            id: 1,
            account_id: 1,
            account_name: "acct".into(),
            provider: ProviderKind::Pagerduty,
            provider_id: "P1".into(),
            number: Some(1),
            title: "x".into(),
            status: IncidentStatus::Triggered,
            raw_status: None,
            urgency,
            priority: None,
            severity: None,
            service_id: service.map(str::to_string),
            service_name: None,
            assignees: vec![],
            escalation_policy_id: None,
            created_at: Utc::now(),
            acknowledged_at: None,
            resolved_at: None,
            updated_at: Utc::now(),
            html_url: None,
            is_drill: false,
            details: serde_json::Value::Null,
        }
    }

    fn quiet(start: &str, end: &str, days: &[u8], zone: &str) -> PagingPolicy {
        PagingPolicy {
            quiet_hours: Some(QuietHours {
                start: start.into(),
                end: end.into(),
                days: days.to_vec(),
                time_zone: zone.into(),
            }),
            ..Default::default()
        }
    }

    /// 2026-12-07 is a Monday.
    fn at(day: u32, h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, day, h, m, 0).unwrap()
    }

    fn decide_low(policy: &PagingPolicy, now: DateTime<Utc>, on_call: bool) -> Decision {
        let i = incident(Urgency::Low, Some("PSVC"));
        decide(policy, &i, PageReason::New, now, on_call)
    }

    #[test]
    fn the_default_policy_notifies_everything_at_once_like_before() {
        let p = PagingPolicy::default();
        for urgency in [Urgency::High, Urgency::Low] {
            let d = decide(
                &p,
                &incident(urgency, None),
                PageReason::New,
                at(7, 3, 0),
                false,
            );
            let Decision::Notify(n) = d else {
                panic!("{d:?}")
            };
            assert_eq!(n.sound, None);
            assert_eq!(n.repeat, None);
            assert_eq!(n.critical, urgency == Urgency::High);
        }
    }

    #[test]
    fn high_urgency_breaks_through_every_filter_and_quiet_hours() {
        let mut p = quiet("00:00", "00:00", &[], "UTC");
        p.notify_low = false;
        p.only_on_call = true;
        p.services = Some(vec!["POTHER".into()]);
        p.notify_on_escalation = false;
        p.notify_on_reassignment = false;
        p.sound_high = Some("alarm-clock-elapsed".into());
        let high = incident(Urgency::High, Some("PSVC"));
        for reason in [
            PageReason::New,
            PageReason::Escalated,
            PageReason::Reassigned,
        ] {
            let d = decide(&p, &high, reason, at(7, 3, 0), false);
            let Decision::Notify(n) = d else {
                panic!("{reason:?}: {d:?}")
            };
            assert_eq!(n.sound.as_deref(), Some("alarm-clock-elapsed"));
            assert!(n.critical);
            assert_eq!(n.reason, reason);
        }
    }

    #[test]
    fn quiet_hours_hold_low_urgency_and_span_midnight() {
        let p = quiet("22:00", "07:00", &[], "UTC");
        assert_eq!(decide_low(&p, at(7, 23, 0), true), Decision::HoldForLater);
        assert_eq!(decide_low(&p, at(8, 6, 59), true), Decision::HoldForLater);
        assert!(matches!(
            decide_low(&p, at(8, 7, 0), true),
            Decision::Notify(_)
        ));
        assert!(matches!(
            decide_low(&p, at(8, 21, 59), true),
            Decision::Notify(_)
        ));
    }

    #[test]
    fn quiet_days_name_the_day_the_window_starts() {
        // Friday night to Saturday morning only.
        let p = quiet("22:00", "07:00", &[5], "UTC");
        assert_eq!(decide_low(&p, at(11, 23, 0), true), Decision::HoldForLater);
        assert_eq!(decide_low(&p, at(12, 3, 0), true), Decision::HoldForLater);
        assert!(matches!(
            decide_low(&p, at(12, 23, 0), true),
            Decision::Notify(_)
        ));
        assert!(matches!(
            decide_low(&p, at(11, 3, 0), true),
            Decision::Notify(_)
        ));
        // A daytime window on weekdays.
        let p = quiet("09:00", "17:00", &[1, 2, 3, 4, 5], "UTC");
        assert_eq!(decide_low(&p, at(7, 12, 0), true), Decision::HoldForLater);
        assert!(matches!(
            decide_low(&p, at(12, 12, 0), true),
            Decision::Notify(_)
        ));
    }

    #[test]
    fn quiet_hours_follow_the_local_zone_across_dst() {
        // 22:00–07:00 in New York: 03:00 UTC is 22:00 EST in December, 23:00 EDT in July.
        let p = quiet("22:00", "07:00", &[], "America/New_York");
        assert_eq!(decide_low(&p, at(8, 3, 0), true), Decision::HoldForLater);
        assert!(matches!(
            decide_low(&p, at(8, 2, 59), true),
            Decision::Notify(_)
        ));
        let july = Utc.with_ymd_and_hms(2026, 7, 8, 2, 30, 0).unwrap();
        assert_eq!(decide_low(&p, july, true), Decision::HoldForLater);
        let july_morning = Utc.with_ymd_and_hms(2026, 7, 8, 11, 0, 0).unwrap();
        assert!(matches!(
            decide_low(&p, july_morning, true),
            Decision::Notify(_)
        ));
    }

    #[test]
    fn filters_skip_low_urgency() {
        let now = at(7, 12, 0);
        let p = PagingPolicy {
            notify_low: false,
            ..Default::default()
        };
        assert_eq!(decide_low(&p, now, true), Decision::Skip);

        let p = PagingPolicy {
            only_on_call: true,
            ..Default::default()
        };
        assert_eq!(decide_low(&p, now, false), Decision::Skip);
        assert!(matches!(decide_low(&p, now, true), Decision::Notify(_)));

        let p = PagingPolicy {
            services: Some(vec!["POTHER".into()]),
            ..Default::default()
        };
        assert_eq!(decide_low(&p, now, true), Decision::Skip);
        let p = PagingPolicy {
            services: Some(vec!["PSVC".into()]),
            ..Default::default()
        };
        assert!(matches!(decide_low(&p, now, true), Decision::Notify(_)));

        let p = PagingPolicy {
            notify_on_escalation: false,
            ..Default::default()
        };
        let low = incident(Urgency::Low, None);
        let d = decide(&p, &low, PageReason::Escalated, now, true);
        assert_eq!(d, Decision::Skip);
        let d = decide(&p, &low, PageReason::Reassigned, now, true);
        assert!(matches!(d, Decision::Notify(_)));
    }

    #[test]
    fn a_skipped_page_is_never_held() {
        let mut p = quiet("00:00", "00:00", &[], "UTC");
        p.notify_low = false;
        assert_eq!(decide_low(&p, at(7, 12, 0), true), Decision::Skip);
    }

    #[test]
    fn repeat_and_sounds_come_from_the_policy() {
        let p = PagingPolicy {
            sound_low: Some("message-new-instant".into()),
            repeat: Repeat {
                enabled: true,
                every_secs: 30,
                max: Some(3),
            },
            ..Default::default()
        };
        let Decision::Notify(n) = decide_low(&p, at(7, 12, 0), true) else {
            panic!()
        };
        assert_eq!(n.sound.as_deref(), Some("message-new-instant"));
        assert!(!n.critical);
        assert_eq!(n.repeat.unwrap().max, Some(3));
    }

    #[test]
    fn validation_refuses_what_would_silently_misbehave() {
        let bad = [
            quiet("25:00", "07:00", &[], "UTC"),
            quiet("22:00", "07:00", &[0], "UTC"),
            quiet("22:00", "07:00", &[], "Mars/Olympus"),
            quiet(" 22:00", "07:00", &[], "UTC"),
            quiet("22:00", "7:0", &[], "UTC"),
            PagingPolicy {
                sound_high: Some("../../etc/passwd".into()),
                ..Default::default()
            },
            PagingPolicy {
                sound_low: Some("-rf".into()),
                ..Default::default()
            },
            PagingPolicy {
                sound_high: Some(".hidden".into()),
                ..Default::default()
            },
            PagingPolicy {
                repeat: Repeat {
                    enabled: true,
                    every_secs: 0,
                    max: None,
                },
                ..Default::default()
            },
            PagingPolicy {
                repeat: Repeat {
                    enabled: true,
                    every_secs: u64::MAX,
                    max: None,
                },
                ..Default::default()
            },
            PagingPolicy {
                self_alarm_after_secs: u64::MAX,
                ..Default::default()
            },
        ];
        for p in bad {
            assert!(validate(&p).is_err(), "{p:?}");
        }
        assert!(validate(&quiet("22:00", "07:00", &[1, 7], "Europe/London")).is_ok());
        assert!(validate(&PagingPolicy::default()).is_ok());
    }

    #[test]
    fn unknown_fields_are_refused_and_missing_ones_default() {
        let p: PagingPolicy = serde_json::from_str(r#"{"notify_low": false}"#).unwrap();
        assert!(!p.notify_low);
        assert_eq!(p.self_alarm_after_secs, DEFAULT_SELF_ALARM_SECS);
        assert!(serde_json::from_str::<PagingPolicy>(r#"{"notify_lwo": false}"#).is_err());
    }
}
