//! What several targets share: the fixed moments they render around.

// Each target includes this file and uses only part of it.
#![allow(dead_code)]

use chrono::{DateTime, Duration, Utc};

/// A Sunday a week before the US and three before the EU change to summer time, so a
/// schedule seeded near it crosses both.
pub fn since() -> DateTime<Utc> {
    "2026-03-01T00:00:00Z".parse().expect("a fixed instant")
}

/// `since` plus `days`.
pub fn until(days: i64) -> DateTime<Utc> {
    since() + Duration::days(days)
}
