//! Calendar export from arbitrary text: whatever the schedule names hold, the file keeps one
//! event per shift, lines of at most 75 octets and CRLF endings.
#![no_main]

use chrono::Duration;
use libfuzzer_sys::fuzz_target;
use tocsin::ics::{calendar, Event};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    // Fields are separated by NUL: the calendar's name, then uid, summary and description
    // of each event in turn.
    let text = String::from_utf8_lossy(data);
    let mut fields = text.split('\0');
    let name = fields.next().unwrap_or_default();
    let rest: Vec<&str> = fields.collect();
    let events: Vec<Event> = rest
        .chunks(3)
        .enumerate()
        .map(|(i, f)| Event {
            uid: f[0].to_string(),
            start: common::since() + Duration::hours(i as i64),
            end: common::since() + Duration::hours(i as i64 + 1),
            summary: f.get(1).copied().unwrap_or_default().to_string(),
            description: f.get(2).copied().unwrap_or_default().to_string(),
        })
        .collect();

    let ics = calendar(name, &events, common::since());
    assert!(ics.ends_with("\r\n"));
    let lines: Vec<&str> = ics.trim_end_matches("\r\n").split("\r\n").collect();
    for line in &lines {
        assert!(line.len() <= 75, "{} octets", line.len());
        assert!(!line.contains(['\r', '\n']), "a bare line break: {line:?}");
    }
    let begins = lines.iter().filter(|l| **l == "BEGIN:VEVENT").count();
    assert_eq!(begins, events.len());
});
