//! A PagerDuty `GET /schedules/{id}` body, from bytes, read into a definition and then rendered,
//! explained and cross-checked over the window a sync pass uses.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tocsin::provider::{http, pagerduty_schedule};
use tocsin::schedule;

#[path = "common.rs"]
mod common;

/// The days a directory read asks PagerDuty to render (`SCHEDULE_WINDOW_DAYS`).
const WINDOW_DAYS: i64 = 15;
/// Instants explained per input: enough to compare with the rendering at each handoff.
const EXPLAINED: usize = 16;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = http::parse_json(data) else {
        return;
    };
    let (since, until) = (common::since(), common::until(WINDOW_DAYS));
    let detail = pagerduty_schedule::schedule_detail(&body["schedule"], since, until);
    let _ = schedule::cross_check(&detail.def, &detail.provider_final, since, until);
    let Ok(rendering) = schedule::render(&detail.def, since, until) else {
        return;
    };

    let finals = &rendering.final_entries;
    for pair in finals.windows(2) {
        assert!(
            pair[0].end <= pair[1].start,
            "final entries overlap: {pair:?}"
        );
    }
    for entry in finals {
        assert!(since <= entry.start && entry.start < entry.end && entry.end <= until);
    }
    // The explanation of a moment agrees with the rendering at that moment.
    for entry in finals.iter().take(EXPLAINED) {
        let explained = schedule::explain(&detail.def, entry.start).expect("it rendered");
        assert_eq!(
            explained.on_call.as_ref(),
            Some(&entry.user),
            "at {}",
            entry.start
        );
    }
});
