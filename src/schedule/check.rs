//! The local rendering compared with the provider's own final schedule, span by span.
//!
//! Neither side is preferred: every stretch where they name different people (or one names
//! nobody) is reported. Because PagerDuty has been seen returning `schedule_layers` in reverse,
//! a disagreement is also tried against the reversed layer order, and the report says which
//! order matches.

use std::collections::BinaryHeap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{render, ScheduleDef, ScheduleEntry, ScheduleUser};

/// A stretch where the local rendering and the provider disagree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Disagreement {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub local: Option<ScheduleUser>,
    pub provider: Option<ScheduleUser>,
}

/// Which layer order reproduces the provider's final schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum LayerOrder {
    /// The layers as the provider listed them (later wins) agree with it.
    AsListed,
    /// Only the reverse of the listed order agrees: the provider listed them backwards.
    Reversed,
    /// Neither order agrees.
    Neither,
}

/// The outcome of one cross-check over `[since, until)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CrossCheck {
    pub schedule_id: String,
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub layer_order: LayerOrder,
    /// Disagreements with the layers as listed; empty when they agree.
    pub disagreements: Vec<Disagreement>,
    /// Set when the definition cannot be rendered here at all (an unknown zone, say).
    pub render_error: Option<String>,
}

/// Compares `def` rendered over `[since, until)` with `provider`'s final entries.
pub fn cross_check(
    def: &ScheduleDef,
    provider: &[ScheduleEntry],
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> CrossCheck {
    let mut check = CrossCheck {
        schedule_id: def.id.clone(),
        since,
        until,
        layer_order: LayerOrder::Neither,
        disagreements: Vec::new(),
        render_error: None,
    };
    let local = match render(def, since, until) {
        Ok(r) => r.final_entries,
        Err(e) => {
            check.render_error = Some(e.to_string());
            return check;
        }
    };

    check.disagreements = compare(&local, provider, since, until);
    check.layer_order = if check.disagreements.is_empty() {
        LayerOrder::AsListed
    } else if reversed_agrees(def, provider, since, until) {
        LayerOrder::Reversed
    } else {
        LayerOrder::Neither
    };
    check
}

fn reversed_agrees(
    def: &ScheduleDef,
    provider: &[ScheduleEntry],
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> bool {
    let mut reversed = def.clone();
    reversed.layers.reverse();
    render(&reversed, since, until)
        .is_ok_and(|r| compare(&r.final_entries, provider, since, until).is_empty())
}

/// Every stretch of `[since, until)` where the two lists name different people.
pub fn compare(
    local: &[ScheduleEntry],
    provider: &[ScheduleEntry],
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Vec<Disagreement> {
    let mut cuts = vec![since, until];
    for e in local.iter().chain(provider) {
        cuts.extend([e.start.clamp(since, until), e.end.clamp(since, until)]);
    }
    cuts.sort_unstable();
    cuts.dedup();

    let (locals, providers) = (who_at(local, &cuts), who_at(provider, &cuts));
    let mut out: Vec<Disagreement> = Vec::new();
    for (k, pair) in cuts.windows(2).enumerate() {
        let (p, q) = (pair[0], pair[1]);
        let (l, r) = (locals[k], providers[k]);
        if l.map(|u| &u.id) == r.map(|u| &u.id) {
            continue;
        }
        match out.last_mut() {
            Some(last) if last.end == p && same(&last.local, l) && same(&last.provider, r) => {
                last.end = q
            }
            _ => out.push(Disagreement {
                start: p,
                end: q,
                local: l.cloned(),
                provider: r.cloned(),
            }),
        }
    }
    out
}

fn same(a: &Option<ScheduleUser>, b: Option<&ScheduleUser>) -> bool {
    a.as_ref().map(|u| &u.id) == b.map(|u| &u.id)
}

/// Who `entries` name at each of `cuts` (in time order); where entries overlap, the later in
/// the list wins. One sweep: a scan of the list per cut took time quadratic in its length,
/// and a definition alone can make it long (15 days of 30-second turns took minutes).
fn who_at<'e>(
    entries: &'e [ScheduleEntry],
    cuts: &[DateTime<Utc>],
) -> Vec<Option<&'e ScheduleUser>> {
    let mut by_start: Vec<usize> = (0..entries.len()).collect();
    by_start.sort_by_key(|&i| entries[i].start);
    let mut started = by_start.into_iter().peekable();
    // Indices of entries started by now; the latest in the list on top. One that has ended
    // stays until it reaches the top, then goes for good: the cuts only move forward.
    let mut open = BinaryHeap::new();

    let mut out = Vec::with_capacity(cuts.len());
    for &t in cuts {
        while let Some(i) = started.next_if(|&i| entries[i].start <= t) {
            open.push(i);
        }
        while open.peek().is_some_and(|&i| entries[i].end <= t) {
            open.pop();
        }
        out.push(open.peek().map(|&i| &entries[i].user));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::{at, layer, schedule, user};
    use super::*;

    fn entry(s: &str, e: &str, who: &str) -> ScheduleEntry {
        ScheduleEntry {
            start: at(s),
            end: at(e),
            user: user(who),
        }
    }

    fn two_layers() -> ScheduleDef {
        let base = layer("base", "2026-01-05T00:00:00Z", 7 * 86_400, &["a"]);
        let mut top = layer("top", "2026-01-05T00:00:00Z", 7 * 86_400, &["t"]);
        top.end = Some(at("2026-01-06T00:00:00Z"));
        schedule("UTC", vec![base, top], vec![])
    }

    #[test]
    fn agreeing_schedules_report_nothing_even_when_the_provider_splits_entries() {
        let provider = [
            entry("2026-01-04T00:00:00Z", "2026-01-05T12:00:00Z", "t"),
            entry("2026-01-05T12:00:00Z", "2026-01-06T00:00:00Z", "t"),
            entry("2026-01-06T00:00:00Z", "2026-01-08T00:00:00Z", "a"),
        ];
        let check = cross_check(
            &two_layers(),
            &provider,
            at("2026-01-05T00:00:00Z"),
            at("2026-01-07T00:00:00Z"),
        );
        assert_eq!(check.disagreements, vec![]);
        assert_eq!(check.layer_order, LayerOrder::AsListed);
    }

    #[test]
    fn a_provider_that_listed_layers_backwards_is_named() {
        // The provider says `a` all along: its real top layer is `base`.
        let provider = [entry("2026-01-05T00:00:00Z", "2026-01-07T00:00:00Z", "a")];
        let check = cross_check(
            &two_layers(),
            &provider,
            at("2026-01-05T00:00:00Z"),
            at("2026-01-07T00:00:00Z"),
        );
        assert_eq!(check.layer_order, LayerOrder::Reversed);
        assert_eq!(
            check.disagreements,
            vec![Disagreement {
                start: at("2026-01-05T00:00:00Z"),
                end: at("2026-01-06T00:00:00Z"),
                local: Some(user("t")),
                provider: Some(user("a")),
            }]
        );
    }

    #[test]
    fn a_gap_on_either_side_is_a_disagreement() {
        let provider = [entry("2026-01-05T00:00:00Z", "2026-01-06T00:00:00Z", "t")];
        let check = cross_check(
            &two_layers(),
            &provider,
            at("2026-01-05T00:00:00Z"),
            at("2026-01-07T00:00:00Z"),
        );
        assert_eq!(check.layer_order, LayerOrder::Neither);
        assert_eq!(check.disagreements.len(), 1);
        assert_eq!(check.disagreements[0].provider, None);
        assert_eq!(check.disagreements[0].local, Some(user("a")));
    }

    #[test]
    fn where_entries_overlap_the_later_one_counts() {
        let provider = [
            entry("2026-01-05T00:00:00Z", "2026-01-07T00:00:00Z", "a"),
            entry("2026-01-05T12:00:00Z", "2026-01-06T00:00:00Z", "b"),
        ];
        let local = [entry("2026-01-05T00:00:00Z", "2026-01-07T00:00:00Z", "a")];
        let found = compare(
            &local,
            &provider,
            at("2026-01-05T00:00:00Z"),
            at("2026-01-07T00:00:00Z"),
        );
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].start, found[0].end),
            (provider[1].start, provider[1].end)
        );
        assert_eq!(found[0].provider, Some(user("b")));
    }

    #[test]
    fn many_short_entries_compare_in_time_linear_in_their_number() {
        // Found by feeding the pagerduty_schedule fuzz target inputs of growing size
        // (docs/fuzzing.md): a scan of the list per stretch made 15 days of 30-second turns
        // take minutes to cross-check.
        let since = at("2026-01-05T00:00:00Z");
        let minute = |n: i64| since + chrono::Duration::minutes(n);
        let n = 100_000;
        let local: Vec<ScheduleEntry> = (0..n)
            .map(|i| ScheduleEntry {
                start: minute(i),
                end: minute(i + 1),
                user: user(if i % 2 == 0 { "a" } else { "b" }),
            })
            .collect();
        let mut provider = local.clone();
        provider[n as usize / 2].user = user("c");

        let started = std::time::Instant::now();
        let found = compare(&local, &provider, since, minute(n));
        let took = started.elapsed();

        assert_eq!(found.len(), 1);
        assert_eq!(found[0].start, minute(n / 2));
        assert_eq!(found[0].provider, Some(user("c")));
        assert!(took < std::time::Duration::from_secs(20), "took {took:?}");
    }

    #[test]
    fn a_definition_that_cannot_render_says_why() {
        let mut def = two_layers();
        def.time_zone = "Eastern Time".into();
        let check = cross_check(
            &def,
            &[],
            at("2026-01-05T00:00:00Z"),
            at("2026-01-07T00:00:00Z"),
        );
        assert!(check.render_error.unwrap().contains("unknown time zone"));
    }
}
