//! iCalendar (RFC 5545) export: on-call shifts as calendar events a person can import.
//!
//! Only what calendars need to show a shift is written: a stable UID (so a re-import updates
//! the event instead of duplicating it), start and end in UTC, a summary and a description.
//! Text is escaped and long lines folded as the RFC requires; provider text cannot add
//! properties or events of its own.

use chrono::{DateTime, Utc};

/// Lines longer than this many octets are folded (RFC 5545 §3.1).
const FOLD_AT: usize = 75;

/// One event in the exported calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Unique and stable across exports of the same shift.
    pub uid: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub summary: String,
    pub description: String,
}

/// A whole calendar: `VCALENDAR` with one `VEVENT` per event, CRLF line endings.
pub fn calendar(name: &str, events: &[Event], now: DateTime<Utc>) -> String {
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".to_string(),
        "PRODID:-//Tocsin//On-call shifts//EN".to_string(),
        "CALSCALE:GREGORIAN".to_string(),
        format!("X-WR-CALNAME:{}", escape(name)),
    ];
    for event in events {
        lines.extend(vevent(event, now));
    }
    lines.push("END:VCALENDAR".to_string());

    let mut out = String::new();
    for line in &lines {
        out.push_str(&fold(line));
        out.push_str("\r\n");
    }
    out
}

fn vevent(event: &Event, now: DateTime<Utc>) -> Vec<String> {
    vec![
        "BEGIN:VEVENT".to_string(),
        format!("UID:{}", escape(&event.uid)),
        format!("DTSTAMP:{}", stamp(now)),
        format!("DTSTART:{}", stamp(event.start)),
        format!("DTEND:{}", stamp(event.end)),
        format!("SUMMARY:{}", escape(&event.summary)),
        format!("DESCRIPTION:{}", escape(&event.description)),
        // A shift blocks the person's time: calendars show them as busy.
        "TRANSP:OPAQUE".to_string(),
        "END:VEVENT".to_string(),
    ]
}

/// A UTC date-time in the basic format, `19970714T173000Z`.
fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// TEXT value escaping (RFC 5545 §3.3.11). Other control characters are dropped: they are not
/// allowed in a content line and could otherwise end it early.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets without splitting a UTF-8 character; each continuation
/// starts with one space.
fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / FOLD_AT * 3);
    let mut used = 0;
    for c in line.chars() {
        let width = c.len_utf8();
        if used + width > FOLD_AT {
            out.push_str("\r\n ");
            // The leading space counts towards the continuation line's length.
            used = 1;
        }
        out.push(c);
        used += width;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 8, h, 0, 0).unwrap()
    }

    fn event(summary: &str) -> Event {
        Event {
            uid: "shift-1@tocsin".into(),
            start: at(7),
            end: at(19),
            summary: summary.into(),
            description: "Layer 1".into(),
        }
    }

    #[test]
    fn a_calendar_has_one_event_per_shift_with_crlf_lines() {
        let ics = calendar("My shifts", &[event("On call: Payments")], at(0));

        assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
        assert!(ics.contains("\r\nDTSTART:20260308T070000Z\r\nDTEND:20260308T190000Z\r\n"));
        assert!(ics.contains("\r\nSUMMARY:On call: Payments\r\n"));
        assert_eq!(ics.matches("BEGIN:VEVENT").count(), 1);
        assert!(!ics.replace("\r\n", "").contains('\n'));
    }

    #[test]
    fn hostile_text_cannot_add_properties_or_events() {
        let ics = calendar(
            "x",
            &[event("a\r\nEND:VEVENT\r\nBEGIN:VEVENT;x,y\\\u{7}")],
            at(0),
        );

        let lines: Vec<&str> = ics.split("\r\n").collect();
        assert_eq!(lines.iter().filter(|l| **l == "BEGIN:VEVENT").count(), 1);
        assert_eq!(lines.iter().filter(|l| **l == "END:VEVENT").count(), 1);
        assert!(ics.contains("SUMMARY:a\\nEND:VEVENT\\nBEGIN:VEVENT\\;x\\,y\\\\\r\n"));
    }

    #[test]
    fn long_lines_fold_at_75_octets_without_splitting_characters() {
        let summary = "é".repeat(100);
        let ics = calendar("x", &[event(&summary)], at(0));

        for line in ics.split("\r\n") {
            assert!(line.len() <= FOLD_AT, "{} octets: {line}", line.len());
        }
        let unfolded = ics.replace("\r\n ", "");
        assert!(unfolded.contains(&format!("SUMMARY:{summary}\r\n")));
    }
}
