//! An Alertmanager `GET /api/v2/alerts` body, from bytes, into the batch of one sync pass.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tocsin::provider::{alertmanager, http};

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = http::parse_json(data) else {
        return;
    };
    let Ok(batch) = alertmanager::batch(&body, common::since()) else {
        return;
    };
    // Every incident can be told apart and has its trigger entry.
    assert_eq!(batch.incidents.len(), batch.log_entries.len());
    for incident in &batch.incidents {
        assert!(!incident.provider_id.is_empty());
    }
});
