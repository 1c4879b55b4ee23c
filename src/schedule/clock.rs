//! Local wall-clock times to instants in a schedule's zone, with the DST contract in one place.
//!
//! The contract (DESIGN.md): a wall-clock time inside a spring-forward gap means the first
//! instant after the gap; a wall-clock time that happens twice (fall back) means its first
//! occurrence. Both keep `instant` monotone in local time, which is what makes turns and
//! windows neither overlap (no doubled hour) nor leave holes (no phantom hour of nobody).

use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// The local wall-clock reading of `t` in `tz`.
pub fn local(tz: Tz, t: DateTime<Utc>) -> NaiveDateTime {
    t.with_timezone(&tz).naive_local()
}

/// The instant a local wall-clock time names, per the contract above.
pub fn instant(tz: Tz, wall: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&wall) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(a, b) => a.min(b).with_timezone(&Utc),
        LocalResult::None => after_gap(tz, wall),
    }
}

/// The first instant whose local time is at or past `wall`: the end of the gap `wall` is in.
fn after_gap(tz: Tz, wall: NaiveDateTime) -> DateTime<Utc> {
    // No zone is more than 14 hours from UTC, so these two bracket the answer.
    let mut lo = wall.and_utc().timestamp() - 26 * 3600;
    let mut hi = wall.and_utc().timestamp() + 26 * 3600;
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        let at = DateTime::from_timestamp(mid, 0).expect("checked range");
        if local(tz, at) >= wall {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    DateTime::from_timestamp(hi, 0).expect("checked range")
}

/// `wall` plus `seconds` of wall-clock time (not elapsed time).
pub fn add(wall: NaiveDateTime, seconds: i64) -> NaiveDateTime {
    wall + Duration::seconds(seconds)
}
