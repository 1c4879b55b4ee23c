//! A local on-call file, from bytes: parsed, checked as an import checks it, every schedule
//! rendered and explained as the editor's preview does, policies resolved, and the file
//! written back out and read again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tocsin::schedule::{self, file};

#[path = "common.rs"]
mod common;

/// A month view, the longest the window shows at once.
const VIEW_DAYS: i64 = 35;

fuzz_target!(|data: &[u8]| {
    // The CLI and the window read the file as text; bytes that are not UTF-8 stop there.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(parsed) = file::parse(text) else {
        return;
    };
    if file::check(&parsed, &[]).is_err() {
        return;
    }

    let (since, until) = (common::since(), common::until(VIEW_DAYS));
    for s in &parsed.schedules {
        schedule::render(s, since, until).expect("a checked schedule renders");
        schedule::explain(s, since).expect("a checked schedule explains");
    }
    for p in &parsed.policies {
        let record = file::to_record(p, &parsed.schedules);
        assert_eq!(record.rules.len(), p.levels.len());
    }

    // What an export writes, an import reads back unchanged.
    let written = file::write(&parsed).expect("a checked file writes");
    let again = file::parse(&written).expect("a written file parses");
    assert_eq!(again, parsed);
});
