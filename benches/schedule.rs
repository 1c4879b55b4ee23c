//! Benchmark: render a year of 20 schedules (three layers each, some restricted, with
//! overrides) in zones with DST, and explain an instant in each; the target is under 50 ms.
//!
//! Run with `cargo bench --bench schedule`; it prints its figures and asserts nothing.

use std::time::{Duration, Instant};

use chrono::{DateTime, Duration as Span, Utc};
use tocsin::schedule::{
    explain, render, LayerDef, OverrideDef, Restriction, RestrictionKind, ScheduleDef, ScheduleUser,
};

const SCHEDULES: usize = 20;
const ROUNDS: usize = 20;
const ZONES: &[&str] = &[
    "America/New_York",
    "Europe/London",
    "Australia/Sydney",
    "Australia/Adelaide",
    "Australia/Lord_Howe",
];

fn main() {
    let since: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
    let until = since + Span::days(365);
    let defs: Vec<ScheduleDef> = (0..SCHEDULES).map(|n| schedule(n, since)).collect();

    let mut best = Duration::MAX;
    let mut entries = 0;
    for _ in 0..ROUNDS {
        let started = Instant::now();
        entries = 0;
        for def in &defs {
            let r = render(def, since, until).expect("a valid schedule");
            entries +=
                r.final_entries.len() + r.layers.iter().map(|l| l.entries.len()).sum::<usize>();
        }
        best = best.min(started.elapsed());
    }
    println!(
        "render a year of {SCHEDULES} schedules (3 layers, restrictions, overrides): \
         {:.1} ms (best of {ROUNDS}), {entries} entries",
        best.as_secs_f64() * 1000.0
    );

    let started = Instant::now();
    let mut explained = 0;
    for def in &defs {
        for hour in (0..365 * 24).step_by(97) {
            explain(def, since + Span::hours(hour)).expect("an explanation");
            explained += 1;
        }
    }
    let per = started.elapsed().as_secs_f64() * 1e6 / explained as f64;
    println!("explain an instant: {per:.1} µs each ({explained} instants)");
}

fn user(n: usize) -> ScheduleUser {
    ScheduleUser {
        id: format!("PU{n}"),
        name: format!("User {n}"),
    }
}

/// Schedule `n`: a weekly primary, a daily business-hours layer on weekdays, and a 12-hour
/// weekend layer, with an override about every nine days.
fn schedule(n: usize, since: DateTime<Utc>) -> ScheduleDef {
    let users = |k: usize| (0..k).map(|i| user(n * 10 + i)).collect::<Vec<_>>();
    let weekdays = (1..=5)
        .map(|day| {
            restriction(
                RestrictionKind::WeeklyRestriction,
                Some(day),
                "09:00:00",
                9 * 3600,
            )
        })
        .collect();
    let weekend = vec![restriction(
        RestrictionKind::WeeklyRestriction,
        Some(6),
        "00:00:00",
        2 * 86_400,
    )];
    let layers = vec![
        layer(since, 7 * 86_400, users(6), Vec::new()),
        layer(since, 86_400, users(4), weekdays),
        layer(since, 43_200, users(3), weekend),
    ];
    let overrides = (0..40)
        .map(|k| OverrideDef {
            id: format!("PO{k}"),
            start: since + Span::hours(k * 9 * 24 + 5),
            end: since + Span::hours(k * 9 * 24 + 17),
            user: user(999),
        })
        .collect();
    ScheduleDef {
        id: format!("PS{n}"),
        name: format!("Schedule {n}"),
        time_zone: ZONES[n % ZONES.len()].into(),
        layers,
        overrides,
    }
}

fn layer(
    start: DateTime<Utc>,
    turn: i64,
    users: Vec<ScheduleUser>,
    restrictions: Vec<Restriction>,
) -> LayerDef {
    LayerDef {
        id: String::new(),
        name: String::new(),
        start,
        end: None,
        rotation_virtual_start: start,
        rotation_turn_length_seconds: turn,
        users,
        restrictions,
    }
}

fn restriction(kind: RestrictionKind, day: Option<u8>, time: &str, secs: i64) -> Restriction {
    Restriction {
        kind,
        start_time_of_day: time.into(),
        start_day_of_week: day,
        duration_seconds: secs,
    }
}
