//! Unit tests of the renderer and the explanation on small hand-checked schedules.

use chrono::{DateTime, Utc};

use super::*;

pub(super) fn at(s: &str) -> DateTime<Utc> {
    s.parse().expect("test instant")
}

pub(super) fn user(id: &str) -> ScheduleUser {
    ScheduleUser {
        id: id.into(),
        name: id.to_uppercase(),
    }
}

/// A layer starting at its virtual start, with no end and no restrictions.
pub(super) fn layer(name: &str, start: &str, turn_seconds: i64, users: &[&str]) -> LayerDef {
    LayerDef {
        id: format!("L{name}"),
        name: name.into(),
        start: at(start),
        end: None,
        rotation_virtual_start: at(start),
        rotation_turn_length_seconds: turn_seconds,
        users: users.iter().map(|u| user(u)).collect(),
        restrictions: Vec::new(),
    }
}

pub(super) fn schedule(
    zone: &str,
    layers: Vec<LayerDef>,
    overrides: Vec<OverrideDef>,
) -> ScheduleDef {
    ScheduleDef {
        id: "PSCHED".into(),
        name: "Primary".into(),
        time_zone: zone.into(),
        layers,
        overrides,
    }
}

pub(super) fn overriding(start: &str, end: &str, who: &str) -> OverrideDef {
    OverrideDef {
        id: format!("O{who}"),
        start: at(start),
        end: at(end),
        user: user(who),
    }
}

pub(super) fn restriction(
    kind: RestrictionKind,
    day: Option<u8>,
    time: &str,
    secs: i64,
) -> Restriction {
    Restriction {
        kind,
        start_time_of_day: time.into(),
        start_day_of_week: day,
        duration_seconds: secs,
    }
}

/// Entries as `(start, end, user)` with instants in RFC 3339, easy to compare by eye.
pub(super) fn spans(entries: &[ScheduleEntry]) -> Vec<(String, String, String)> {
    entries
        .iter()
        .map(|e| (e.start.to_rfc3339(), e.end.to_rfc3339(), e.user.id.clone()))
        .collect()
}

pub(super) fn expect(list: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    list.iter()
        .map(|(s, e, u)| (at(s).to_rfc3339(), at(e).to_rfc3339(), u.to_string()))
        .collect()
}

const DAY: i64 = 86_400;
const WEEK: i64 = 7 * DAY;

#[test]
fn a_weekly_rotation_hands_off_every_week_in_order() {
    let def = schedule(
        "UTC",
        vec![layer("1", "2026-01-05T09:00:00Z", WEEK, &["a", "b", "c"])],
        vec![],
    );

    let r = render(&def, at("2026-01-01T00:00:00Z"), at("2026-02-01T00:00:00Z")).unwrap();

    let want = expect(&[
        ("2026-01-05T09:00:00Z", "2026-01-12T09:00:00Z", "a"),
        ("2026-01-12T09:00:00Z", "2026-01-19T09:00:00Z", "b"),
        ("2026-01-19T09:00:00Z", "2026-01-26T09:00:00Z", "c"),
        ("2026-01-26T09:00:00Z", "2026-02-01T00:00:00Z", "a"),
    ]);
    assert_eq!(spans(&r.final_entries), want);
    assert_eq!(spans(&r.layers[0].entries), want);
}

#[test]
fn a_layer_started_after_its_virtual_start_picks_up_the_rotation_mid_way() {
    let mut l = layer("1", "2026-01-05T00:00:00Z", DAY, &["a", "b", "c"]);
    l.rotation_virtual_start = at("2025-12-31T00:00:00Z");
    let def = schedule("UTC", vec![l], vec![]);

    let r = render(&def, at("2026-01-01T00:00:00Z"), at("2026-01-07T00:00:00Z")).unwrap();

    // Turn 5 (Jan 5) is 5 mod 3 = the third user.
    assert_eq!(
        spans(&r.final_entries),
        expect(&[
            ("2026-01-05T00:00:00Z", "2026-01-06T00:00:00Z", "c"),
            ("2026-01-06T00:00:00Z", "2026-01-07T00:00:00Z", "a"),
        ])
    );
}

#[test]
fn a_virtual_start_in_the_future_counts_turns_backwards() {
    let mut l = layer("1", "2026-01-01T00:00:00Z", DAY, &["a", "b", "c"]);
    l.rotation_virtual_start = at("2026-01-03T00:00:00Z");
    let def = schedule("UTC", vec![l], vec![]);

    let r = render(&def, at("2026-01-01T00:00:00Z"), at("2026-01-03T00:00:00Z")).unwrap();

    // Turns -2 and -1 are users 1 and 2 (mod 3).
    assert_eq!(
        spans(&r.final_entries),
        expect(&[
            ("2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", "b"),
            ("2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z", "c"),
        ])
    );
}

#[test]
fn a_later_layer_wins_and_an_uncovered_span_is_a_gap() {
    let base = layer("base", "2026-01-05T00:00:00Z", WEEK, &["a"]);
    let mut top = layer("top", "2026-01-05T00:00:00Z", WEEK, &["t"]);
    top.restrictions = vec![restriction(
        RestrictionKind::DailyRestriction,
        None,
        "09:00:00",
        8 * 3600,
    )];
    let mut base = base;
    base.end = Some(at("2026-01-06T00:00:00Z"));
    let def = schedule("UTC", vec![base, top], vec![]);

    let r = render(&def, at("2026-01-05T00:00:00Z"), at("2026-01-07T00:00:00Z")).unwrap();

    assert_eq!(
        spans(&r.final_entries),
        expect(&[
            ("2026-01-05T00:00:00Z", "2026-01-05T09:00:00Z", "a"),
            ("2026-01-05T09:00:00Z", "2026-01-05T17:00:00Z", "t"),
            ("2026-01-05T17:00:00Z", "2026-01-06T00:00:00Z", "a"),
            ("2026-01-06T09:00:00Z", "2026-01-06T17:00:00Z", "t"),
        ])
    );
}

#[test]
fn an_override_beats_every_layer_and_a_later_override_beats_an_earlier_one() {
    let def = schedule(
        "UTC",
        vec![layer("1", "2026-01-05T00:00:00Z", WEEK, &["a"])],
        vec![
            overriding("2026-01-05T10:00:00Z", "2026-01-05T14:00:00Z", "o1"),
            overriding("2026-01-05T12:00:00Z", "2026-01-05T13:00:00Z", "o2"),
        ],
    );

    let r = render(&def, at("2026-01-05T00:00:00Z"), at("2026-01-06T00:00:00Z")).unwrap();

    assert_eq!(
        spans(&r.final_entries),
        expect(&[
            ("2026-01-05T00:00:00Z", "2026-01-05T10:00:00Z", "a"),
            ("2026-01-05T10:00:00Z", "2026-01-05T12:00:00Z", "o1"),
            ("2026-01-05T12:00:00Z", "2026-01-05T13:00:00Z", "o2"),
            ("2026-01-05T13:00:00Z", "2026-01-05T14:00:00Z", "o1"),
            ("2026-01-05T14:00:00Z", "2026-01-06T00:00:00Z", "a"),
        ])
    );
    assert_eq!(r.overrides.len(), 3);
}

#[test]
fn touching_shifts_of_one_person_merge_across_layers_and_overrides() {
    let base = layer("1", "2026-01-05T00:00:00Z", DAY, &["a", "b"]);
    let def = schedule(
        "UTC",
        vec![base],
        vec![overriding(
            "2026-01-06T00:00:00Z",
            "2026-01-06T06:00:00Z",
            "a",
        )],
    );

    let r = render(&def, at("2026-01-05T00:00:00Z"), at("2026-01-07T00:00:00Z")).unwrap();

    assert_eq!(
        spans(&r.final_entries),
        expect(&[
            ("2026-01-05T00:00:00Z", "2026-01-06T06:00:00Z", "a"),
            ("2026-01-06T06:00:00Z", "2026-01-07T00:00:00Z", "b"),
        ])
    );
}

#[test]
fn weekday_restrictions_use_monday_as_one() {
    let mut l = layer("1", "2026-01-05T00:00:00Z", WEEK, &["a"]);
    // 2026-01-05 is a Monday; Friday is 5.
    l.restrictions = vec![restriction(
        RestrictionKind::WeeklyRestriction,
        Some(5),
        "18:00",
        3 * DAY,
    )];
    let def = schedule("UTC", vec![l], vec![]);

    let r = render(&def, at("2026-01-05T00:00:00Z"), at("2026-01-19T00:00:00Z")).unwrap();

    assert_eq!(
        spans(&r.final_entries),
        expect(&[
            ("2026-01-05T00:00:00Z", "2026-01-05T18:00:00Z", "a"),
            ("2026-01-09T18:00:00Z", "2026-01-12T18:00:00Z", "a"),
            ("2026-01-16T18:00:00Z", "2026-01-19T00:00:00Z", "a"),
        ])
    );
}

#[test]
fn a_weekly_window_that_opened_before_the_range_still_counts() {
    let mut l = layer("1", "2026-01-01T00:00:00Z", WEEK, &["a"]);
    l.restrictions = vec![restriction(
        RestrictionKind::WeeklyRestriction,
        Some(7),
        "00:00:00",
        WEEK,
    )];
    let def = schedule("UTC", vec![l], vec![]);

    let r = render(&def, at("2026-01-08T12:00:00Z"), at("2026-01-09T00:00:00Z")).unwrap();

    assert_eq!(
        spans(&r.final_entries),
        expect(&[("2026-01-08T12:00:00Z", "2026-01-09T00:00:00Z", "a")])
    );
}

fn invalid_message(def: &ScheduleDef) -> String {
    let err = render(def, at("2026-01-01T00:00:00Z"), at("2026-02-01T00:00:00Z")).unwrap_err();
    assert_eq!(err.code(), "invalid", "{err}");
    err.to_string()
}

#[test]
fn bad_definitions_are_refused_with_a_reason() {
    let good = || {
        schedule(
            "UTC",
            vec![layer("1", "2026-01-05T00:00:00Z", DAY, &["a"])],
            vec![],
        )
    };

    let mut def = good();
    def.time_zone = "Mars/Olympus_Mons".into();
    assert!(invalid_message(&def).contains("unknown time zone"));

    let mut def = good();
    def.layers[0].rotation_turn_length_seconds = 0;
    assert!(invalid_message(&def).contains("turn length"));

    let mut def = good();
    def.layers[0].rotation_turn_length_seconds = -3600;
    assert!(invalid_message(&def).contains("turn length"));

    let mut def = good();
    def.layers[0].users.clear();
    assert!(invalid_message(&def).contains("no users"));

    let mut def = good();
    def.layers[0].end = Some(at("2026-01-01T00:00:00Z"));
    assert!(invalid_message(&def).contains("ends before it starts"));

    let mut def = good();
    def.layers[0].restrictions = vec![restriction(
        RestrictionKind::DailyRestriction,
        None,
        "09:00:00",
        DAY + 1,
    )];
    assert!(invalid_message(&def).contains("longer than its period"));

    let mut def = good();
    def.layers[0].restrictions = vec![restriction(
        RestrictionKind::WeeklyRestriction,
        Some(1),
        "09:00:00",
        WEEK + 1,
    )];
    assert!(invalid_message(&def).contains("longer than its period"));

    let mut def = good();
    def.layers[0].restrictions = vec![restriction(
        RestrictionKind::WeeklyRestriction,
        None,
        "09:00",
        60,
    )];
    assert!(invalid_message(&def).contains("start_day_of_week"));

    let mut def = good();
    def.layers[0].restrictions = vec![restriction(
        RestrictionKind::WeeklyRestriction,
        Some(8),
        "09:00",
        60,
    )];
    assert!(invalid_message(&def).contains("start_day_of_week"));

    let mut def = good();
    def.layers[0].restrictions = vec![restriction(
        RestrictionKind::DailyRestriction,
        None,
        "25:00",
        60,
    )];
    assert!(invalid_message(&def).contains("start_time_of_day"));

    let mut def = good();
    def.layers[0].restrictions = vec![restriction(
        RestrictionKind::DailyRestriction,
        None,
        "09:00",
        0,
    )];
    assert!(invalid_message(&def).contains("duration"));

    let mut def = good();
    def.overrides = vec![overriding(
        "2026-01-02T00:00:00Z",
        "2026-01-01T00:00:00Z",
        "o",
    )];
    assert!(invalid_message(&def).contains("override 1"));

    let mut def = good();
    def.layers[0].rotation_virtual_start = at("0100-01-01T00:00:00Z");
    assert!(invalid_message(&def).contains("outside the years"));
}

#[test]
fn absurd_ranges_and_rotations_are_refused_not_rendered() {
    let def = schedule(
        "UTC",
        vec![layer("1", "2026-01-05T00:00:00Z", DAY, &["a"])],
        vec![],
    );
    let err = render(&def, at("2026-01-01T00:00:00Z"), at("2036-01-01T00:00:00Z")).unwrap_err();
    assert!(err.to_string().contains("at most"), "{err}");

    let err = render(&def, at("2026-01-02T00:00:00Z"), at("2026-01-01T00:00:00Z")).unwrap_err();
    assert_eq!(err.code(), "invalid");

    let o = overriding("2026-01-05T00:00:00Z", "2026-01-06T00:00:00Z", "o");
    let def = schedule(
        "UTC",
        vec![layer("1", "2026-01-05T00:00:00Z", DAY, &["a"])],
        vec![o; MAX_OVERRIDES + 1],
    );
    let err = render(&def, at("2026-01-01T00:00:00Z"), at("2026-02-01T00:00:00Z")).unwrap_err();
    assert!(err.to_string().contains("overrides"), "{err}");

    let def = schedule(
        "UTC",
        vec![layer("1", "2026-01-05T00:00:00Z", 1, &["a", "b"])],
        vec![],
    );
    let err = render(&def, at("2026-01-01T00:00:00Z"), at("2027-01-01T00:00:00Z")).unwrap_err();
    assert!(err.to_string().contains("shifts"), "{err}");
}

#[test]
fn a_definition_reads_from_json() {
    let json = r#"{
        "id": "PX", "time_zone": "Europe/London",
        "layers": [{
            "start": "2026-01-05T09:00:00Z", "end": null,
            "rotation_virtual_start": "2026-01-05T09:00:00Z",
            "rotation_turn_length_seconds": 604800,
            "users": [{"id": "U1", "name": "Ada"}],
            "restrictions": [{"type": "weekly_restriction", "start_time_of_day": "09:00:00",
                              "start_day_of_week": 1, "duration_seconds": 3600}]
        }]
    }"#;
    let def: ScheduleDef = serde_json::from_str(json).unwrap();
    let r = render(&def, at("2026-01-05T00:00:00Z"), at("2026-01-06T00:00:00Z")).unwrap();
    assert_eq!(
        spans(&r.final_entries),
        expect(&[("2026-01-05T09:00:00Z", "2026-01-05T10:00:00Z", "U1")])
    );
}

#[test]
fn explain_names_the_override_and_whom_it_replaced() {
    let def = schedule(
        "UTC",
        vec![layer("1", "2026-01-05T00:00:00Z", DAY, &["a", "b"])],
        vec![overriding(
            "2026-01-06T10:00:00Z",
            "2026-01-06T12:00:00Z",
            "o",
        )],
    );

    let e = explain(&def, at("2026-01-06T11:00:00Z")).unwrap();

    assert_eq!(e.on_call, Some(user("o")));
    let OnCallReason::Override {
        replaced: Some(shift),
        ..
    } = &e.reason
    else {
        panic!("expected an override: {:?}", e.reason);
    };
    assert_eq!(shift.user, user("b"));
    assert_eq!((shift.turn, shift.user_position), (1, 2));
    assert_eq!(shift.turn_start, at("2026-01-06T00:00:00Z"));
    assert_eq!(shift.turn_end, at("2026-01-07T00:00:00Z"));
}

#[test]
fn explain_names_the_layer_turn_and_window_and_the_empty_layers_above() {
    let base = layer("base", "2026-01-05T00:00:00Z", WEEK, &["a"]);
    let mut day = layer("day", "2026-01-05T00:00:00Z", DAY, &["d1", "d2"]);
    day.restrictions = vec![restriction(
        RestrictionKind::DailyRestriction,
        None,
        "09:00",
        8 * 3600,
    )];
    let mut later = layer("later", "2026-02-01T00:00:00Z", DAY, &["z"]);
    later.end = Some(at("2026-03-01T00:00:00Z"));
    let def = schedule("Europe/London", vec![base, day, later], vec![]);

    let night = explain(&def, at("2026-01-06T20:00:00Z")).unwrap();
    let OnCallReason::Layer {
        shift,
        higher_layers_with_nobody,
    } = &night.reason
    else {
        panic!("expected a layer: {:?}", night.reason);
    };
    assert_eq!((shift.layer_position, shift.user.id.as_str()), (1, "a"));
    assert_eq!(higher_layers_with_nobody, &vec![3, 2]);
    assert!(matches!(
        night.layers[0].outcome,
        LayerOutcome::NotStarted { .. }
    ));
    assert!(matches!(
        &night.layers[1].outcome,
        LayerOutcome::OutsideRestrictions { turn_user } if turn_user.id == "d2"
    ));

    let noon = explain(&def, at("2026-01-06T12:00:00Z")).unwrap();
    let OnCallReason::Layer { shift, .. } = &noon.reason else {
        panic!("expected a layer: {:?}", noon.reason);
    };
    let window = shift.restriction.as_ref().expect("a window admitted it");
    assert_eq!(
        (window.index, window.start, window.end),
        (1, at("2026-01-06T09:00:00Z"), at("2026-01-06T17:00:00Z"))
    );
    assert_eq!(noon.local_time, "2026-01-06T12:00:00+00:00 (GMT)");

    let after = explain(&def, at("2026-03-02T00:00:00Z")).unwrap();
    assert!(matches!(
        after.layers[0].outcome,
        LayerOutcome::Ended { .. }
    ));
}

#[test]
fn explain_says_nobody_in_a_gap() {
    let mut l = layer("1", "2026-01-05T00:00:00Z", DAY, &["a"]);
    l.end = Some(at("2026-01-06T00:00:00Z"));
    let def = schedule("UTC", vec![l], vec![]);

    let e = explain(&def, at("2026-01-07T00:00:00Z")).unwrap();

    assert_eq!(e.on_call, None);
    assert_eq!(e.reason, OnCallReason::Nobody);
}

#[test]
fn a_one_second_rotation_renders_a_short_range_and_explains_anywhere() {
    let def = schedule(
        "America/New_York",
        vec![layer("1", "2026-03-08T06:59:58Z", 1, &["a", "b"])],
        vec![],
    );

    let r = render(&def, at("2026-03-08T06:59:58Z"), at("2026-03-08T07:00:02Z")).unwrap();
    let who: Vec<&str> = r.final_entries.iter().map(|e| e.user.id.as_str()).collect();
    assert_eq!(who, vec!["a", "b", "a", "b"]);

    // A year after its start: the turn is found without walking every second in between.
    let e = explain(&def, at("2027-03-08T07:00:00Z")).unwrap();
    assert!(e.on_call.is_some());
}

#[test]
fn restriction_times_with_and_without_seconds_read_alike() {
    let mut with = layer("1", "2026-01-05T00:00:00Z", DAY, &["a"]);
    with.restrictions = vec![restriction(
        RestrictionKind::DailyRestriction,
        None,
        "09:30:00",
        60,
    )];
    let mut without = with.clone();
    without.restrictions[0].start_time_of_day = "09:30".into();
    let range = (at("2026-01-05T00:00:00Z"), at("2026-01-06T00:00:00Z"));

    let a = render(&schedule("UTC", vec![with], vec![]), range.0, range.1).unwrap();
    let b = render(&schedule("UTC", vec![without], vec![]), range.0, range.1).unwrap();

    assert_eq!(a.final_entries, b.final_entries);
    assert_eq!(
        spans(&a.final_entries),
        expect(&[("2026-01-05T09:30:00Z", "2026-01-05T09:31:00Z", "a")])
    );
}

#[test]
fn too_many_layers_or_shifts_in_all_are_refused_not_rendered() {
    let many: Vec<_> = (0..=MAX_LAYERS)
        .map(|i| layer(&i.to_string(), "2026-01-05T00:00:00Z", DAY, &["a"]))
        .collect();
    let def = schedule("UTC", many, vec![]);
    let err = render(&def, at("2026-01-01T00:00:00Z"), at("2026-01-02T00:00:00Z")).unwrap_err();
    assert!(err.to_string().contains("layers"), "{err}");

    // Each layer alone stays under its own bound; together they pass the total one.
    let turn = 120;
    let days = 100;
    let per_layer = (days * 86_400 / turn) as usize;
    assert!(per_layer < MAX_SHIFTS_PER_LAYER);
    let count = MAX_SHIFTS_TOTAL / per_layer + 1;
    let layers: Vec<_> = (0..count)
        .map(|i| layer(&i.to_string(), "2026-01-01T00:00:00Z", turn, &["a", "b"]))
        .collect();
    let def = schedule("UTC", layers, vec![]);
    let err = render(&def, at("2026-01-01T00:00:00Z"), at("2026-04-11T00:00:00Z")).unwrap_err();
    assert!(err.to_string().contains("shifts"), "{err}");
}
