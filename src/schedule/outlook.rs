//! Now and next on one schedule: who a final schedule has on call at an instant, and the first
//! handoff after it within the span rendered.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{ScheduleEntry, ScheduleUser};

/// The moment the person on call changes, and who takes over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Handoff {
    pub at: DateTime<Utc>,
    /// Nobody when the schedule has a gap from `at` on.
    pub to: Option<ScheduleUser>,
}

/// Who `entries` have on call at `at`, and the first handoff after `at` and before `until`.
///
/// `entries` is a final schedule rendered over `[at, until)`: sorted, disjoint, with a person's
/// touching spans joined, so an entry's end is always a change of person (or of nobody). An
/// entry that runs to `until` is no change within the span, not a handoff at `until`: the
/// rendering was cut there and says nothing about what follows.
pub fn now_and_next(
    entries: &[ScheduleEntry],
    at: DateTime<Utc>,
    until: DateTime<Utc>,
) -> (Option<ScheduleUser>, Option<Handoff>) {
    let current = entries.iter().find(|e| e.start <= at && at < e.end);

    let Some(current) = current else {
        // A gap now: the next handoff is whoever comes on first.
        let next = (entries.iter())
            .find(|e| e.start > at && e.start < until)
            .map(|e| Handoff {
                at: e.start,
                to: Some(e.user.clone()),
            });
        return (None, next);
    };

    let next = (current.end < until).then(|| Handoff {
        at: current.end,
        to: (entries.iter())
            .find(|e| e.start == current.end)
            .map(|e| e.user.clone()),
    });
    (Some(current.user.clone()), next)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{at, layer, schedule, user};
    use super::super::{render, LayerDef};
    use super::*;

    fn entry(s: &str, e: &str, who: &str) -> ScheduleEntry {
        ScheduleEntry {
            start: at(s),
            end: at(e),
            user: user(who),
        }
    }

    fn handoff(t: &str, to: Option<&str>) -> Option<Handoff> {
        Some(Handoff {
            at: at(t),
            to: to.map(user),
        })
    }

    #[test]
    fn the_next_person_takes_over_where_the_current_shift_ends() {
        let entries = [
            entry("2026-03-02T09:00:00Z", "2026-03-03T09:00:00Z", "grace"),
            entry("2026-03-03T09:00:00Z", "2026-03-04T09:00:00Z", "alan"),
        ];
        let (now, next) = now_and_next(
            &entries,
            at("2026-03-02T12:00:00Z"),
            at("2026-03-16T12:00:00Z"),
        );
        assert_eq!(now, Some(user("grace")));
        assert_eq!(next, handoff("2026-03-03T09:00:00Z", Some("alan")));
    }

    #[test]
    fn a_shift_followed_by_a_gap_hands_off_to_nobody() {
        let entries = [
            entry("2026-03-02T09:00:00Z", "2026-03-02T17:00:00Z", "grace"),
            entry("2026-03-03T09:00:00Z", "2026-03-03T17:00:00Z", "grace"),
        ];
        let (now, next) = now_and_next(
            &entries,
            at("2026-03-02T12:00:00Z"),
            at("2026-03-16T12:00:00Z"),
        );
        assert_eq!(now, Some(user("grace")));
        assert_eq!(next, handoff("2026-03-02T17:00:00Z", None));
    }

    #[test]
    fn in_a_gap_the_next_handoff_is_whoever_comes_on_first() {
        let entries = [entry(
            "2026-03-03T09:00:00Z",
            "2026-03-03T17:00:00Z",
            "grace",
        )];
        let (now, next) = now_and_next(
            &entries,
            at("2026-03-02T20:00:00Z"),
            at("2026-03-16T20:00:00Z"),
        );
        assert_eq!(now, None);
        assert_eq!(next, handoff("2026-03-03T09:00:00Z", Some("grace")));
    }

    #[test]
    fn a_shift_running_to_the_end_of_the_span_is_no_change() {
        let entries = [entry(
            "2026-03-01T00:00:00Z",
            "2026-03-16T12:00:00Z",
            "grace",
        )];
        let (now, next) = now_and_next(
            &entries,
            at("2026-03-02T12:00:00Z"),
            at("2026-03-16T12:00:00Z"),
        );
        assert_eq!((now, next), (Some(user("grace")), None));
        assert_eq!(
            now_and_next(&[], at("2026-03-02T12:00:00Z"), at("2026-03-16T12:00:00Z")),
            (None, None)
        );
    }

    #[test]
    fn a_handoff_exactly_at_the_instant_asked_belongs_to_the_next_shift() {
        let entries = [
            entry("2026-03-02T09:00:00Z", "2026-03-03T09:00:00Z", "grace"),
            entry("2026-03-03T09:00:00Z", "2026-03-04T09:00:00Z", "alan"),
        ];
        let (now, next) = now_and_next(
            &entries,
            at("2026-03-03T09:00:00Z"),
            at("2026-03-17T09:00:00Z"),
        );
        assert_eq!(now, Some(user("alan")));
        assert_eq!(next, handoff("2026-03-04T09:00:00Z", None));
    }

    /// A weekly London rotation handing off Mondays at 09:00 local: the handoff after the
    /// clocks go back (25 October 2026) is at 09:00 GMT, an hour later in UTC than the one
    /// before it at 09:00 BST.
    #[test]
    fn a_handoff_across_the_autumn_change_keeps_its_wall_clock_time() {
        let weekly: LayerDef = layer("weekly", "2026-10-12T08:00:00Z", 7 * 86_400, &["g", "a"]);
        let def = schedule("Europe/London", vec![weekly], vec![]);
        let since = at("2026-10-24T12:00:00Z");
        let until = since + chrono::Duration::days(14);
        let r = render(&def, since, until).unwrap();

        let (now, next) = now_and_next(&r.final_entries, since, until);

        assert_eq!(now, Some(user("a")));
        assert_eq!(next, handoff("2026-10-26T09:00:00Z", Some("g")));
    }

    /// The spring change (29 March 2026) the other way: 09:00 BST is 08:00 UTC.
    #[test]
    fn a_handoff_across_the_spring_change_keeps_its_wall_clock_time() {
        let daily = layer("daily", "2026-03-20T09:00:00Z", 86_400, &["g", "a"]);
        let def = schedule("Europe/London", vec![daily], vec![]);
        let since = at("2026-03-28T12:00:00Z");
        let until = since + chrono::Duration::days(14);
        let r = render(&def, since, until).unwrap();

        let (now, next) = now_and_next(&r.final_entries, since, until);

        // Turns since 20 March 09:00 GMT: the 28th is turn 8, `g`'s; the 29th, `a`'s.
        assert_eq!(now, Some(user("g")));
        assert_eq!(next, handoff("2026-03-29T08:00:00Z", Some("a")));
    }
}
