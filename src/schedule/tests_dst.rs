//! DST fixtures: handoffs and restriction windows on gap and overlap days, expected in UTC.
//!
//! Every expected instant below was worked out by hand from the zone's rules for 2026 and the
//! contract in `clock.rs`: a wall-clock time inside a spring-forward gap means the first
//! instant after the gap, and a repeated wall-clock time means its first occurrence.
//!
//! | zone                | overlap (repeated local)        | gap (skipped local)             |
//! |---------------------|---------------------------------|---------------------------------|
//! | America/New_York    | Nov 1, 01:00–02:00 (-4 then -5) | Mar 8, 02:00–03:00 (at 07:00Z)  |
//! | Europe/London       | Oct 25, 01:00–02:00 (+1 then 0) | Mar 29, 01:00–02:00 (at 01:00Z) |
//! | Australia/Sydney    | Apr 5, 02:00–03:00 (+11, +10)   | Oct 4, 02:00–03:00 (Oct 3 16:00Z) |
//! | Australia/Adelaide  | Apr 5, 02:00–03:00 (+10:30, +9:30) | Oct 4, 02:00–03:00 (Oct 3 16:30Z) |
//! | Australia/Lord_Howe | Apr 5, 01:30–02:00 (+11, +10:30) | Oct 4, 02:00–02:30 (Oct 3 15:30Z) |

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::tests::{expect, restriction, schedule, spans, user};
use super::*;

const DAY: i64 = 86_400;
const WEEK: i64 = 7 * DAY;
const HALF_DAY: i64 = DAY / 2;

/// A local wall-clock time that happens exactly once in `zone` (fixtures avoid the others).
fn wall(zone: &str, s: &str) -> DateTime<Utc> {
    let tz: Tz = zone.parse().unwrap();
    let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
    tz.from_local_datetime(&naive)
        .single()
        .expect("an unambiguous fixture time")
        .to_utc()
}

/// Renders a two-person rotation starting at local `start` until local `until`.
fn rotation(zone: &str, start: &str, turn: i64, until: &str) -> Vec<(String, String, String)> {
    let def = schedule(
        zone,
        vec![rotation_layer(zone, start, turn, &["a", "b"])],
        vec![],
    );
    let r = render(&def, wall(zone, start), wall(zone, until)).unwrap();
    spans(&r.final_entries)
}

fn rotation_layer(zone: &str, start: &str, turn: i64, users: &[&str]) -> LayerDef {
    LayerDef {
        id: "L1".into(),
        name: "Layer 1".into(),
        start: wall(zone, start),
        end: None,
        rotation_virtual_start: wall(zone, start),
        rotation_turn_length_seconds: turn,
        users: users.iter().map(|u| user(u)).collect(),
        restrictions: Vec::new(),
    }
}

/// Renders one person's daily layer cut to `r` between local `since` and `until`.
fn restricted(
    zone: &str,
    r: Restriction,
    since: &str,
    until: &str,
) -> Vec<(String, String, String)> {
    let mut layer = rotation_layer(zone, "2026-01-01 00:00", DAY, &["a"]);
    layer.restrictions = vec![r];
    let def = schedule(zone, vec![layer], vec![]);
    let r = render(&def, wall(zone, since), wall(zone, until)).unwrap();
    spans(&r.final_entries)
}

fn daily(time: &str) -> Restriction {
    restriction(RestrictionKind::DailyRestriction, None, time, 3600)
}

fn sunday(time: &str) -> Restriction {
    restriction(RestrictionKind::WeeklyRestriction, Some(7), time, 3600)
}

#[test]
fn new_york_spring_forward() {
    let z = "America/New_York";
    assert_eq!(
        rotation(z, "2026-03-07 02:30", DAY, "2026-03-09 02:30"),
        expect(&[
            ("2026-03-07T07:30:00Z", "2026-03-08T07:00:00Z", "a"),
            ("2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z", "b"),
        ])
    );
    assert_eq!(
        rotation(z, "2026-03-01 02:30", WEEK, "2026-03-15 02:30"),
        expect(&[
            ("2026-03-01T07:30:00Z", "2026-03-08T07:00:00Z", "a"),
            ("2026-03-08T07:00:00Z", "2026-03-15T06:30:00Z", "b"),
        ])
    );
    assert_eq!(
        rotation(z, "2026-03-07 14:30", HALF_DAY, "2026-03-08 14:30"),
        expect(&[
            ("2026-03-07T19:30:00Z", "2026-03-08T07:00:00Z", "a"),
            ("2026-03-08T07:00:00Z", "2026-03-08T18:30:00Z", "b"),
        ])
    );
    assert_eq!(
        restricted(z, daily("02:30:00"), "2026-03-07 00:00", "2026-03-10 00:00"),
        expect(&[
            ("2026-03-07T07:30:00Z", "2026-03-07T08:30:00Z", "a"),
            ("2026-03-08T07:00:00Z", "2026-03-08T07:30:00Z", "a"),
            ("2026-03-09T06:30:00Z", "2026-03-09T07:30:00Z", "a"),
        ])
    );
    assert_eq!(
        restricted(
            z,
            sunday("02:30:00"),
            "2026-03-07 00:00",
            "2026-03-09 00:00"
        ),
        expect(&[("2026-03-08T07:00:00Z", "2026-03-08T07:30:00Z", "a")])
    );
}

#[test]
fn new_york_fall_back() {
    let z = "America/New_York";
    assert_eq!(
        rotation(z, "2026-10-31 01:30", DAY, "2026-11-02 01:30"),
        expect(&[
            ("2026-10-31T05:30:00Z", "2026-11-01T05:30:00Z", "a"),
            ("2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z", "b"),
        ])
    );
    assert_eq!(
        rotation(z, "2026-10-25 01:30", WEEK, "2026-11-08 01:30"),
        expect(&[
            ("2026-10-25T05:30:00Z", "2026-11-01T05:30:00Z", "a"),
            ("2026-11-01T05:30:00Z", "2026-11-08T06:30:00Z", "b"),
        ])
    );
    assert_eq!(
        rotation(z, "2026-10-31 13:30", HALF_DAY, "2026-11-01 13:30"),
        expect(&[
            ("2026-10-31T17:30:00Z", "2026-11-01T05:30:00Z", "a"),
            ("2026-11-01T05:30:00Z", "2026-11-01T18:30:00Z", "b"),
        ])
    );
    assert_eq!(
        restricted(z, daily("01:30:00"), "2026-10-31 00:00", "2026-11-03 00:00"),
        expect(&[
            ("2026-10-31T05:30:00Z", "2026-10-31T06:30:00Z", "a"),
            ("2026-11-01T05:30:00Z", "2026-11-01T07:30:00Z", "a"),
            ("2026-11-02T06:30:00Z", "2026-11-02T07:30:00Z", "a"),
        ])
    );
    assert_eq!(
        restricted(
            z,
            sunday("01:30:00"),
            "2026-10-31 00:00",
            "2026-11-02 00:00"
        ),
        expect(&[("2026-11-01T05:30:00Z", "2026-11-01T07:30:00Z", "a")])
    );
}

#[test]
fn london_spring_forward() {
    let z = "Europe/London";
    assert_eq!(
        rotation(z, "2026-03-28 01:30", DAY, "2026-03-30 01:30"),
        expect(&[
            ("2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "a"),
            ("2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z", "b"),
        ])
    );
    assert_eq!(
        rotation(z, "2026-03-22 01:30", WEEK, "2026-04-05 01:30"),
        expect(&[
            ("2026-03-22T01:30:00Z", "2026-03-29T01:00:00Z", "a"),
            ("2026-03-29T01:00:00Z", "2026-04-05T00:30:00Z", "b"),
        ])
    );
    assert_eq!(
        rotation(z, "2026-03-28 13:30", HALF_DAY, "2026-03-29 13:30"),
        expect(&[
            ("2026-03-28T13:30:00Z", "2026-03-29T01:00:00Z", "a"),
            ("2026-03-29T01:00:00Z", "2026-03-29T12:30:00Z", "b"),
        ])
    );
    assert_eq!(
        restricted(z, daily("01:30:00"), "2026-03-28 00:00", "2026-03-31 00:00"),
        expect(&[
            ("2026-03-28T01:30:00Z", "2026-03-28T02:30:00Z", "a"),
            ("2026-03-29T01:00:00Z", "2026-03-29T01:30:00Z", "a"),
            ("2026-03-30T00:30:00Z", "2026-03-30T01:30:00Z", "a"),
        ])
    );
    assert_eq!(
        restricted(
            z,
            sunday("01:30:00"),
            "2026-03-28 00:00",
            "2026-03-30 00:00"
        ),
        expect(&[("2026-03-29T01:00:00Z", "2026-03-29T01:30:00Z", "a")])
    );
}

#[test]
fn london_fall_back() {
    let z = "Europe/London";
    assert_eq!(
        rotation(z, "2026-10-24 01:30", DAY, "2026-10-26 01:30"),
        expect(&[
            ("2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "a"),
            ("2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z", "b"),
        ])
    );
    assert_eq!(
        rotation(z, "2026-10-18 01:30", WEEK, "2026-11-01 01:30"),
        expect(&[
            ("2026-10-18T00:30:00Z", "2026-10-25T00:30:00Z", "a"),
            ("2026-10-25T00:30:00Z", "2026-11-01T01:30:00Z", "b"),
        ])
    );
    assert_eq!(
        rotation(z, "2026-10-24 13:30", HALF_DAY, "2026-10-25 13:30"),
        expect(&[
            ("2026-10-24T12:30:00Z", "2026-10-25T00:30:00Z", "a"),
            ("2026-10-25T00:30:00Z", "2026-10-25T13:30:00Z", "b"),
        ])
    );
    assert_eq!(
        restricted(z, daily("01:30:00"), "2026-10-24 00:00", "2026-10-27 00:00"),
        expect(&[
            ("2026-10-24T00:30:00Z", "2026-10-24T01:30:00Z", "a"),
            ("2026-10-25T00:30:00Z", "2026-10-25T02:30:00Z", "a"),
            ("2026-10-26T01:30:00Z", "2026-10-26T02:30:00Z", "a"),
        ])
    );
    assert_eq!(
        restricted(
            z,
            sunday("01:30:00"),
            "2026-10-24 00:00",
            "2026-10-26 00:00"
        ),
        expect(&[("2026-10-25T00:30:00Z", "2026-10-25T02:30:00Z", "a")])
    );
}

#[test]
fn sydney_spring_forward() {
    let z = "Australia/Sydney";
    assert_eq!(
        rotation(z, "2026-10-03 02:30", DAY, "2026-10-05 02:30"),
        expect(&[
            ("2026-10-02T16:30:00Z", "2026-10-03T16:00:00Z", "a"),
            ("2026-10-03T16:00:00Z", "2026-10-04T15:30:00Z", "b"),
        ])
    );
    assert_eq!(
        rotation(z, "2026-09-27 02:30", WEEK, "2026-10-11 02:30"),
        expect(&[
            ("2026-09-26T16:30:00Z", "2026-10-03T16:00:00Z", "a"),
            ("2026-10-03T16:00:00Z", "2026-10-10T15:30:00Z", "b"),
        ])
    );
    assert_eq!(
        rotation(z, "2026-10-03 14:30", HALF_DAY, "2026-10-04 14:30"),
        expect(&[
            ("2026-10-03T04:30:00Z", "2026-10-03T16:00:00Z", "a"),
            ("2026-10-03T16:00:00Z", "2026-10-04T03:30:00Z", "b"),
        ])
    );
    assert_eq!(
        restricted(z, daily("02:30:00"), "2026-10-03 00:00", "2026-10-06 00:00"),
        expect(&[
            ("2026-10-02T16:30:00Z", "2026-10-02T17:30:00Z", "a"),
            ("2026-10-03T16:00:00Z", "2026-10-03T16:30:00Z", "a"),
            ("2026-10-04T15:30:00Z", "2026-10-04T16:30:00Z", "a"),
        ])
    );
    assert_eq!(
        restricted(
            z,
            sunday("02:30:00"),
            "2026-10-03 00:00",
            "2026-10-05 00:00"
        ),
        expect(&[("2026-10-03T16:00:00Z", "2026-10-03T16:30:00Z", "a")])
    );
}

#[test]
fn sydney_fall_back() {
    let z = "Australia/Sydney";
    assert_eq!(
        rotation(z, "2026-04-04 02:30", DAY, "2026-04-06 02:30"),
        expect(&[
            ("2026-04-03T15:30:00Z", "2026-04-04T15:30:00Z", "a"),
            ("2026-04-04T15:30:00Z", "2026-04-05T16:30:00Z", "b"),
        ])
    );
    assert_eq!(
        rotation(z, "2026-03-29 02:30", WEEK, "2026-04-12 02:30"),
        expect(&[
            ("2026-03-28T15:30:00Z", "2026-04-04T15:30:00Z", "a"),
            ("2026-04-04T15:30:00Z", "2026-04-11T16:30:00Z", "b"),
        ])
    );
    assert_eq!(
        rotation(z, "2026-04-04 14:30", HALF_DAY, "2026-04-05 14:30"),
        expect(&[
            ("2026-04-04T03:30:00Z", "2026-04-04T15:30:00Z", "a"),
            ("2026-04-04T15:30:00Z", "2026-04-05T04:30:00Z", "b"),
        ])
    );
    assert_eq!(
        restricted(z, daily("02:30:00"), "2026-04-04 00:00", "2026-04-07 00:00"),
        expect(&[
            ("2026-04-03T15:30:00Z", "2026-04-03T16:30:00Z", "a"),
            ("2026-04-04T15:30:00Z", "2026-04-04T17:30:00Z", "a"),
            ("2026-04-05T16:30:00Z", "2026-04-05T17:30:00Z", "a"),
        ])
    );
    assert_eq!(
        restricted(
            z,
            sunday("02:30:00"),
            "2026-04-04 00:00",
            "2026-04-06 00:00"
        ),
        expect(&[("2026-04-04T15:30:00Z", "2026-04-04T17:30:00Z", "a")])
    );
}

#[test]
fn adelaide_half_hour_zone_spring_forward() {
    let z = "Australia/Adelaide";
    assert_eq!(
        rotation(z, "2026-10-03 02:30", DAY, "2026-10-05 02:30"),
        expect(&[
            ("2026-10-02T17:00:00Z", "2026-10-03T16:30:00Z", "a"),
            ("2026-10-03T16:30:00Z", "2026-10-04T16:00:00Z", "b"),
        ])
    );
    assert_eq!(
        rotation(z, "2026-09-27 02:30", WEEK, "2026-10-11 02:30"),
        expect(&[
            ("2026-09-26T17:00:00Z", "2026-10-03T16:30:00Z", "a"),
            ("2026-10-03T16:30:00Z", "2026-10-10T16:00:00Z", "b"),
        ])
    );
    assert_eq!(
        rotation(z, "2026-10-03 14:30", HALF_DAY, "2026-10-04 14:30"),
        expect(&[
            ("2026-10-03T05:00:00Z", "2026-10-03T16:30:00Z", "a"),
            ("2026-10-03T16:30:00Z", "2026-10-04T04:00:00Z", "b"),
        ])
    );
    assert_eq!(
        restricted(z, daily("02:30:00"), "2026-10-03 00:00", "2026-10-06 00:00"),
        expect(&[
            ("2026-10-02T17:00:00Z", "2026-10-02T18:00:00Z", "a"),
            ("2026-10-03T16:30:00Z", "2026-10-03T17:00:00Z", "a"),
            ("2026-10-04T16:00:00Z", "2026-10-04T17:00:00Z", "a"),
        ])
    );
    assert_eq!(
        restricted(
            z,
            sunday("02:30:00"),
            "2026-10-03 00:00",
            "2026-10-05 00:00"
        ),
        expect(&[("2026-10-03T16:30:00Z", "2026-10-03T17:00:00Z", "a")])
    );
}

#[test]
fn adelaide_half_hour_zone_fall_back() {
    let z = "Australia/Adelaide";
    assert_eq!(
        rotation(z, "2026-04-04 02:30", DAY, "2026-04-06 02:30"),
        expect(&[
            ("2026-04-03T16:00:00Z", "2026-04-04T16:00:00Z", "a"),
            ("2026-04-04T16:00:00Z", "2026-04-05T17:00:00Z", "b"),
        ])
    );
    assert_eq!(
        rotation(z, "2026-03-29 02:30", WEEK, "2026-04-12 02:30"),
        expect(&[
            ("2026-03-28T16:00:00Z", "2026-04-04T16:00:00Z", "a"),
            ("2026-04-04T16:00:00Z", "2026-04-11T17:00:00Z", "b"),
        ])
    );
    assert_eq!(
        rotation(z, "2026-04-04 14:30", HALF_DAY, "2026-04-05 14:30"),
        expect(&[
            ("2026-04-04T04:00:00Z", "2026-04-04T16:00:00Z", "a"),
            ("2026-04-04T16:00:00Z", "2026-04-05T05:00:00Z", "b"),
        ])
    );
    assert_eq!(
        restricted(z, daily("02:30:00"), "2026-04-04 00:00", "2026-04-07 00:00"),
        expect(&[
            ("2026-04-03T16:00:00Z", "2026-04-03T17:00:00Z", "a"),
            ("2026-04-04T16:00:00Z", "2026-04-04T18:00:00Z", "a"),
            ("2026-04-05T17:00:00Z", "2026-04-05T18:00:00Z", "a"),
        ])
    );
    assert_eq!(
        restricted(
            z,
            sunday("02:30:00"),
            "2026-04-04 00:00",
            "2026-04-06 00:00"
        ),
        expect(&[("2026-04-04T16:00:00Z", "2026-04-04T18:00:00Z", "a")])
    );
}

#[test]
fn lord_howe_half_hour_shift_spring_forward() {
    let z = "Australia/Lord_Howe";
    assert_eq!(
        rotation(z, "2026-10-03 02:15", DAY, "2026-10-05 02:15"),
        expect(&[
            ("2026-10-02T15:45:00Z", "2026-10-03T15:30:00Z", "a"),
            ("2026-10-03T15:30:00Z", "2026-10-04T15:15:00Z", "b"),
        ])
    );
    assert_eq!(
        rotation(z, "2026-09-27 02:15", WEEK, "2026-10-11 02:15"),
        expect(&[
            ("2026-09-26T15:45:00Z", "2026-10-03T15:30:00Z", "a"),
            ("2026-10-03T15:30:00Z", "2026-10-10T15:15:00Z", "b"),
        ])
    );
    assert_eq!(
        rotation(z, "2026-10-03 14:15", HALF_DAY, "2026-10-04 14:15"),
        expect(&[
            ("2026-10-03T03:45:00Z", "2026-10-03T15:30:00Z", "a"),
            ("2026-10-03T15:30:00Z", "2026-10-04T03:15:00Z", "b"),
        ])
    );
    assert_eq!(
        restricted(z, daily("02:15:00"), "2026-10-03 00:00", "2026-10-06 00:00"),
        expect(&[
            ("2026-10-02T15:45:00Z", "2026-10-02T16:45:00Z", "a"),
            ("2026-10-03T15:30:00Z", "2026-10-03T16:15:00Z", "a"),
            ("2026-10-04T15:15:00Z", "2026-10-04T16:15:00Z", "a"),
        ])
    );
    assert_eq!(
        restricted(
            z,
            sunday("02:15:00"),
            "2026-10-03 00:00",
            "2026-10-05 00:00"
        ),
        expect(&[("2026-10-03T15:30:00Z", "2026-10-03T16:15:00Z", "a")])
    );
}

#[test]
fn lord_howe_half_hour_shift_fall_back() {
    let z = "Australia/Lord_Howe";
    assert_eq!(
        rotation(z, "2026-04-04 01:45", DAY, "2026-04-06 01:45"),
        expect(&[
            ("2026-04-03T14:45:00Z", "2026-04-04T14:45:00Z", "a"),
            ("2026-04-04T14:45:00Z", "2026-04-05T15:15:00Z", "b"),
        ])
    );
    assert_eq!(
        rotation(z, "2026-03-29 01:45", WEEK, "2026-04-12 01:45"),
        expect(&[
            ("2026-03-28T14:45:00Z", "2026-04-04T14:45:00Z", "a"),
            ("2026-04-04T14:45:00Z", "2026-04-11T15:15:00Z", "b"),
        ])
    );
    assert_eq!(
        rotation(z, "2026-04-04 13:45", HALF_DAY, "2026-04-05 13:45"),
        expect(&[
            ("2026-04-04T02:45:00Z", "2026-04-04T14:45:00Z", "a"),
            ("2026-04-04T14:45:00Z", "2026-04-05T03:15:00Z", "b"),
        ])
    );
    assert_eq!(
        restricted(z, daily("01:45:00"), "2026-04-04 00:00", "2026-04-07 00:00"),
        expect(&[
            ("2026-04-03T14:45:00Z", "2026-04-03T15:45:00Z", "a"),
            ("2026-04-04T14:45:00Z", "2026-04-04T16:15:00Z", "a"),
            ("2026-04-05T15:15:00Z", "2026-04-05T16:15:00Z", "a"),
        ])
    );
    assert_eq!(
        restricted(
            z,
            sunday("01:45:00"),
            "2026-04-04 00:00",
            "2026-04-06 00:00"
        ),
        expect(&[("2026-04-04T14:45:00Z", "2026-04-04T16:15:00Z", "a")])
    );
}

#[test]
fn an_hourly_rotation_through_both_changes_never_leaves_nobody_on_call() {
    for (zone, since, until) in [
        ("America/New_York", "2026-03-07 00:00", "2026-03-10 00:00"),
        ("America/New_York", "2026-10-31 00:00", "2026-11-03 00:00"),
        (
            "Australia/Lord_Howe",
            "2026-04-04 00:00",
            "2026-04-07 00:00",
        ),
        (
            "Australia/Lord_Howe",
            "2026-10-03 00:00",
            "2026-10-06 00:00",
        ),
    ] {
        let def = schedule(
            zone,
            vec![rotation_layer(zone, since, 3600, &["a", "b", "c"])],
            vec![],
        );
        let r = render(&def, wall(zone, since), wall(zone, until)).unwrap();

        assert_eq!(r.final_entries.first().unwrap().start, wall(zone, since));
        assert_eq!(r.final_entries.last().unwrap().end, wall(zone, until));
        for pair in r.final_entries.windows(2) {
            assert_eq!(pair[0].end, pair[1].start, "{zone}: a hole or an overlap");
        }
    }
}

#[test]
fn explain_in_the_repeated_hour_names_the_turn_that_started_at_its_first_occurrence() {
    let z = "America/New_York";
    let def = schedule(
        z,
        vec![rotation_layer(z, "2026-10-31 01:30", DAY, &["a", "b"])],
        vec![],
    );

    // 01:45 EST, the second 01:45 of the night: b's turn began at the first 01:30 (EDT).
    let e = explain(&def, "2026-11-01T06:45:00Z".parse().unwrap()).unwrap();

    assert_eq!(e.on_call.map(|u| u.id), Some("b".into()));
    assert_eq!(e.local_time, "2026-11-01T01:45:00-05:00 (EST)");
    let OnCallReason::Layer { shift, .. } = e.reason else {
        panic!("expected a layer");
    };
    assert_eq!(shift.turn_start.to_rfc3339(), "2026-11-01T05:30:00+00:00");
    assert_eq!(shift.turn_end.to_rfc3339(), "2026-11-02T06:30:00+00:00");
}

#[test]
fn an_active_support_zone_name_renders_like_its_iana_zone() {
    let z = "America/New_York";
    let layer = rotation_layer(z, "2026-03-07 02:30", DAY, &["a", "b"]);
    let (since, until) = (wall(z, "2026-03-07 02:30"), wall(z, "2026-03-09 02:30"));
    let iana = schedule(z, vec![layer.clone()], vec![]);
    let display = schedule("Eastern Time (US & Canada)", vec![layer], vec![]);

    let a = render(&iana, since, until).unwrap();
    let b = render(&display, since, until).unwrap();
    assert_eq!(a.final_entries, b.final_entries);
    assert_eq!(b.final_entries.len(), 2);
}
