//! Benchmark: queries over a cache of 100,000 incidents — the default list, a filtered list and
//! a text search — as the window runs them. Prints the median of repeated runs; asserts nothing.
//!
//! Run with `cargo bench --bench store`.

use std::time::{Duration, Instant};

use tocsin::model::{IncidentFilter, IncidentStatus, StatusFilter, Urgency};
use tocsin::provider::{local, Batch};
use tocsin::Store;

const INCIDENTS: usize = 100_000;
const RUNS: usize = 21;

fn main() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = Store::open(dir.path()).expect("a store");
    let account = store.local_account().expect("the local workspace").id;

    let started = Instant::now();
    store.apply(account, &batch()).expect("an apply");
    println!(
        "insert {INCIDENTS} incidents  {:>8.1} ms (one transaction)",
        ms(started.elapsed())
    );

    let cases = [
        ("open incidents (default list)", IncidentFilter::default()),
        (
            "all, first 500",
            IncidentFilter {
                status: StatusFilter::All,
                ..Default::default()
            },
        ),
        (
            "all, high urgency, one service",
            IncidentFilter {
                status: StatusFilter::All,
                urgency: Some(Urgency::High),
                service_id: Some("svc-7".into()),
                ..Default::default()
            },
        ),
        (
            "search two words",
            IncidentFilter {
                status: StatusFilter::All,
                search: Some("checkout latency".into()),
                ..Default::default()
            },
        ),
        (
            "search, no match",
            IncidentFilter {
                status: StatusFilter::All,
                search: Some("zzzz-nothing".into()),
                ..Default::default()
            },
        ),
    ];
    for (name, filter) in cases {
        let (median, count) = median_of(&store, &filter);
        println!("{name:<32} {:>8.2} ms  ({count} rows)", ms(median));
    }
}

/// 100,000 incidents over 20 services, 1% open, with varied titles.
fn batch() -> Batch {
    let words = [
        "checkout", "latency", "disk", "queue", "payments", "search", "login", "db",
    ];
    let template = local::declared("x", 3, 1).incidents.remove(0);
    let incidents = (0..INCIDENTS)
        .map(|n| {
            let mut i = template.clone();
            i.provider_id = format!("bench-{n}");
            i.number = Some(n as i64 + 1);
            i.title = format!(
                "{} {} on host-{}",
                words[n % 8],
                words[(n / 8) % 8],
                n % 500
            );
            i.status = if n % 100 == 0 {
                IncidentStatus::Triggered
            } else {
                IncidentStatus::Resolved
            };
            i.urgency = if n % 3 == 0 {
                Urgency::High
            } else {
                Urgency::Low
            };
            i.service_id = Some(format!("svc-{}", n % 20));
            i.service_name = Some(format!("service {}", n % 20));
            i.created_at -= chrono::Duration::minutes(n as i64);
            i
        })
        .collect();
    Batch {
        incidents,
        ..Batch::default()
    }
}

fn median_of(store: &Store, filter: &IncidentFilter) -> (Duration, usize) {
    let mut times = Vec::with_capacity(RUNS);
    let mut count = 0;
    for _ in 0..RUNS {
        let started = Instant::now();
        count = store.incidents(filter).expect("a query").len();
        times.push(started.elapsed());
    }
    times.sort();
    (times[RUNS / 2], count)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
