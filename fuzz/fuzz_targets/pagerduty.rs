//! A PagerDuty response body, from bytes, through every list and object reader of a sync pass:
//! incidents, log entries, escalation policies, on-call rows and the directory.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tocsin::provider::{http, pagerduty};

/// The lists a pass pages through, by the key their items come under.
const LISTS: [(&str, &str); 6] = [
    ("/incidents", "incidents"),
    ("/log_entries", "log_entries"),
    ("/escalation_policies", "escalation_policies"),
    ("/oncalls", "oncalls"),
    ("/services", "services"),
    ("/priorities", "priorities"),
];

fuzz_target!(|data: &[u8]| {
    let Ok(body) = http::parse_json(data) else {
        return;
    };
    // `GET /incidents/{id}` answers with one object.
    let _ = pagerduty::incident(&body["incident"], "PUSER1");

    for (path, key) in LISTS {
        let Ok((items, _more)) = pagerduty::page_items(body.clone(), path, key) else {
            continue;
        };
        for item in &items {
            match key {
                "incidents" => drop(pagerduty::incident(item, "PUSER1")),
                "log_entries" => drop(pagerduty::log_entry(item)),
                "escalation_policies" => drop(pagerduty::policy(item)),
                "oncalls" => drop(pagerduty::oncall(item)),
                _ => drop(pagerduty::named(item)),
            }
        }
    }
});
