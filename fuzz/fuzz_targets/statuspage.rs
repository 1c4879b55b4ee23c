//! A Statuspage response body, from bytes: a list of components or incidents, or one incident.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tocsin::provider::{http, statuspage};

fuzz_target!(|data: &[u8]| {
    let Ok(body) = http::parse_json(data) else {
        return;
    };
    match &body {
        serde_json::Value::Array(items) => {
            for item in items {
                let _ = statuspage::component(item);
                let _ = statuspage::incident(item);
            }
        }
        one => drop(statuspage::incident(one)),
    }
});
