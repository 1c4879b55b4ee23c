//! Property tests of the renderer over random schedules in zones with DST.

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;

use super::tests::{at, user};
use super::*;

const ZONES: &[&str] = &[
    "UTC",
    "America/New_York",
    "Europe/London",
    "Australia/Sydney",
    "Australia/Adelaide",
    "Australia/Lord_Howe",
];
const TURNS: &[i64] = &[900, 3600, 8 * 3600, 43_200, 86_400, 604_800];

fn base() -> DateTime<Utc> {
    at("2026-01-01T00:00:00Z")
}

fn minutes(m: i64) -> DateTime<Utc> {
    base() + Duration::minutes(m)
}

fn restriction_strategy() -> impl Strategy<Value = Restriction> {
    (any::<bool>(), 1u8..=7, 0u32..96, 1i64..=96).prop_map(|(weekly, day, quarter, length)| {
        let (kind, period) = if weekly {
            (RestrictionKind::WeeklyRestriction, 7 * 86_400)
        } else {
            (RestrictionKind::DailyRestriction, 86_400)
        };
        Restriction {
            kind,
            start_time_of_day: format!("{:02}:{:02}:00", quarter / 4, quarter % 4 * 15),
            start_day_of_week: Some(day),
            duration_seconds: (length * period / 96).max(1),
        }
    })
}

prop_compose! {
    fn layer_strategy()(
        start in 0i64..400 * 1440,
        length in prop::option::of(60i64..120 * 1440),
        virtual_offset in -30i64 * 1440..30 * 1440,
        turn in prop::sample::select(TURNS),
        users in prop::collection::vec(prop::sample::select(&["a", "b", "c", "d"][..]), 1..4),
        restrictions in prop::collection::vec(restriction_strategy(), 0..3),
    ) -> LayerDef {
        LayerDef {
            id: String::new(),
            name: String::new(),
            start: minutes(start),
            end: length.map(|l| minutes(start + l)),
            rotation_virtual_start: minutes(start + virtual_offset),
            rotation_turn_length_seconds: turn,
            users: users.into_iter().map(user).collect(),
            restrictions,
        }
    }
}

prop_compose! {
    fn override_strategy()(start in 0i64..400 * 1440, length in 1i64..3 * 1440, who in "[ox]")
        -> OverrideDef {
        OverrideDef { id: String::new(), start: minutes(start), end: minutes(start + length), user: user(&who) }
    }
}

prop_compose! {
    fn schedule_strategy()(
        zone in prop::sample::select(ZONES),
        layers in prop::collection::vec(layer_strategy(), 1..4),
        overrides in prop::collection::vec(override_strategy(), 0..4),
    ) -> ScheduleDef {
        ScheduleDef { id: "P".into(), name: String::new(), time_zone: zone.into(), layers, overrides }
    }
}

/// A range of up to three weeks somewhere in the year, and a point inside it.
fn range_strategy() -> impl Strategy<Value = (DateTime<Utc>, DateTime<Utc>, DateTime<Utc>)> {
    (0i64..380 * 1440, 2i64..21 * 1440)
        .prop_flat_map(|(start, length)| (Just(start), Just(length), 1..length))
        .prop_map(|(start, length, cut)| {
            (
                minutes(start),
                minutes(start + cut),
                minutes(start + length),
            )
        })
}

fn concatenated(a: &[ScheduleEntry], b: &[ScheduleEntry]) -> Vec<ScheduleEntry> {
    let mut out = a.to_vec();
    for e in b {
        match out.last_mut() {
            Some(last) if same_shift(last, e) => last.end = e.end,
            _ => out.push(e.clone()),
        }
    }
    out
}

fn assert_well_formed(entries: &[ScheduleEntry], since: DateTime<Utc>, until: DateTime<Utc>) {
    for e in entries {
        assert!(
            since <= e.start && e.start < e.end && e.end <= until,
            "outside the range: {e:?}"
        );
    }
    for pair in entries.windows(2) {
        assert!(pair[0].end <= pair[1].start, "overlap: {pair:?}");
        assert!(!same_shift(&pair[0], &pair[1]), "unmerged: {pair:?}");
    }
}

fn covered(entries: &[ScheduleEntry], s: DateTime<Utc>, e: DateTime<Utc>) -> bool {
    let mut from = s;
    for x in entries.iter().filter(|x| x.end > s && x.start < e) {
        if x.start > from {
            return false;
        }
        from = from.max(x.end);
    }
    from >= e
}

fn who_at(entries: &[ScheduleEntry], t: DateTime<Utc>) -> Option<String> {
    entries
        .iter()
        .find(|e| e.start <= t && t < e.end)
        .map(|e| e.user.id.clone())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn entries_stay_in_range_and_never_overlap(def in schedule_strategy(), (a, _, c) in range_strategy()) {
        let r = render(&def, a, c).unwrap();
        assert_well_formed(&r.final_entries, a, c);
        assert_well_formed(&r.overrides, a, c);
        for layer in &r.layers {
            assert_well_formed(&layer.entries, a, c);
        }
    }

    #[test]
    fn a_gap_is_only_where_nothing_covers(def in schedule_strategy(), (a, _, c) in range_strategy()) {
        let r = render(&def, a, c).unwrap();
        let sources = r.layers.iter().flat_map(|l| &l.entries).chain(&r.overrides);

        // Everything any layer or override covers, the final schedule covers …
        for e in sources.clone() {
            prop_assert!(covered(&r.final_entries, e.start, e.end), "dropped: {e:?}");
        }
        // … and it covers nothing else.
        for f in &r.final_entries {
            let mut from = f.start;
            let mut parts: Vec<_> = sources.clone().filter(|e| e.end > f.start && e.start < f.end).collect();
            parts.sort_by_key(|e| e.start);
            for p in parts {
                prop_assert!(p.start <= from, "invented: {f:?}");
                from = from.max(p.end);
            }
            prop_assert!(from >= f.end, "invented: {f:?}");
        }
    }

    #[test]
    fn a_range_renders_as_its_two_halves(def in schedule_strategy(), (a, b, c) in range_strategy()) {
        let whole = render(&def, a, c).unwrap();
        let left = render(&def, a, b).unwrap();
        let right = render(&def, b, c).unwrap();

        prop_assert_eq!(&whole.final_entries, &concatenated(&left.final_entries, &right.final_entries));
        prop_assert_eq!(&whole.overrides, &concatenated(&left.overrides, &right.overrides));
        for (i, layer) in whole.layers.iter().enumerate() {
            prop_assert_eq!(&layer.entries, &concatenated(&left.layers[i].entries, &right.layers[i].entries));
        }
    }

    #[test]
    fn explain_agrees_with_the_rendering(
        def in schedule_strategy(),
        (a, _, c) in range_strategy(),
        samples in prop::collection::vec(0.0f64..1.0, 8),
    ) {
        let r = render(&def, a, c).unwrap();
        let span = (c - a).num_seconds() as f64;
        for s in samples {
            let t = a + Duration::seconds((span * s) as i64);
            let e = explain(&def, t).unwrap();
            prop_assert_eq!(e.on_call.map(|u| u.id), who_at(&r.final_entries, t), "at {}", t);
        }
    }
}
