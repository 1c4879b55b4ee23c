//! Escalation outlook: where an unacknowledged incident stands in its escalation policy, and
//! who it goes to next if nobody acknowledges in time.
//!
//! PagerDuty's model: a triggered incident notifies level 1; if nobody acknowledges within
//! that level's delay it escalates to level 2, and so on; after the last level the policy
//! starts again from level 1 `num_loops` more times, then stays at the last level. An
//! acknowledgement pauses escalation. Who a target is at a given instant (a schedule's
//! on-call person) is the roster's business, so the same walk works from the provider's
//! on-call rows today and from locally rendered schedules.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::model::IncidentStatus;
use crate::provider::{PolicyRecord, RuleTarget};

/// PagerDuty allows a handful of loops; a cached value beyond this is treated as this many.
const MAX_LOOPS: u32 = 100;

/// The longest delay a level is taken to have, in minutes (a year); beyond it the provider's
/// value is nonsense and must not overflow the clock.
const MAX_DELAY_MINUTES: i64 = 366 * 24 * 60;

/// Who a policy target is at an instant.
pub trait Roster {
    /// The names of the people `target` (a user or a schedule) stands for at `at`; empty when
    /// nobody is known to be on call then.
    fn people(
        &self,
        policy_id: &str,
        level: u32,
        target: &RuleTarget,
        at: DateTime<Utc>,
    ) -> Vec<String>;
}

/// One target of a level, resolved to people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ResolvedTarget {
    /// `user` or `schedule`.
    pub kind: String,
    pub name: String,
    pub people: Vec<String>,
}

/// The next step of the escalation, if nobody acknowledges first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct NextLevel {
    /// 1-based level number in the policy.
    pub level: u32,
    /// When the incident escalates there.
    pub at: DateTime<Utc>,
    /// Whether reaching it starts the policy over from the first level.
    pub is_loop: bool,
    pub targets: Vec<ResolvedTarget>,
}

/// An incident's place in its escalation policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct EscalationOutlook {
    pub policy_id: String,
    pub policy_name: String,
    pub levels: u32,
    pub num_loops: u32,
    /// The level the incident is at now (1-based).
    pub level: u32,
    /// When it reached that level.
    pub since: DateTime<Utc>,
    pub current: Vec<ResolvedTarget>,
    /// None when acknowledged or resolved (escalation is paused or over), or when nothing is
    /// left to escalate to.
    pub next: Option<NextLevel>,
    /// Why there is no next step, in a sentence.
    pub note: Option<String>,
}

/// Where the incident is in its policy right now. `anchor` is when the current walk began
/// (triggered, or last escalated/reassigned/unacknowledged by a person) and `anchor_level` the
/// level it began at.
pub struct Position {
    pub status: IncidentStatus,
    pub anchor: DateTime<Utc>,
    pub anchor_level: u32,
}

/// The outlook at `now`, or None when the policy has no levels.
pub fn outlook(
    policy: &PolicyRecord,
    position: &Position,
    now: DateTime<Utc>,
    roster: &dyn Roster,
) -> Option<EscalationOutlook> {
    let levels = u32::try_from(policy.rules.len()).ok().filter(|n| *n > 0)?;
    let loops = u32::try_from(policy.num_loops.clamp(0, MAX_LOOPS as i64)).unwrap_or(0);

    let start = position.anchor_level.clamp(1, levels);
    let walking = position.status == IncidentStatus::Triggered;
    let (level, since, passes) = if walking {
        walk(policy, start, position.anchor, now, loops)
    } else {
        (start, position.anchor, 0)
    };

    let current = resolve(policy, level, now, roster);
    let (next, note) = match position.status {
        IncidentStatus::Triggered => next_level(policy, level, since, passes, loops, roster),
        IncidentStatus::Acknowledged => (None, Some("Acknowledged: escalation is paused.".into())),
        IncidentStatus::Resolved => (None, Some("Resolved.".into())),
        IncidentStatus::Unknown => (
            None,
            Some("The provider's status is not one Tocsin knows.".into()),
        ),
    };
    Some(EscalationOutlook {
        policy_id: policy.provider_id.clone(),
        policy_name: policy.name.clone(),
        levels,
        num_loops: loops,
        level,
        since,
        current,
        next,
        note,
    })
}

/// Steps through the levels' delays from the anchor up to `now`: the level reached, when, and
/// how many times the policy has started over.
fn walk(
    policy: &PolicyRecord,
    start: u32,
    anchor: DateTime<Utc>,
    now: DateTime<Utc>,
    loops: u32,
) -> (u32, DateTime<Utc>, u32) {
    let levels = policy.rules.len() as u32;
    let (mut level, mut since, mut passes) = (start, anchor, 0);

    // Bounded: every step moves forward by at least a minute or ends the walk.
    let steps = u64::from(levels) * (u64::from(loops) + 1) + 1;
    for _ in 0..steps {
        let Some(step) = step_after(level, passes, loops, levels) else {
            break;
        };
        let Some(at) = since.checked_add_signed(delay(policy, level)) else {
            break;
        };
        if at > now {
            break;
        }
        (level, since, passes) = (step.0, at, step.1);
    }
    (level, since, passes)
}

/// The level after `level` and the pass count then; None after the last level of the last
/// pass, where the incident stays.
fn step_after(level: u32, passes: u32, loops: u32, levels: u32) -> Option<(u32, u32)> {
    if level < levels {
        Some((level + 1, passes))
    } else if passes < loops {
        Some((1, passes + 1))
    } else {
        None
    }
}

fn next_level(
    policy: &PolicyRecord,
    level: u32,
    since: DateTime<Utc>,
    passes: u32,
    loops: u32,
    roster: &dyn Roster,
) -> (Option<NextLevel>, Option<String>) {
    let levels = policy.rules.len() as u32;
    let Some((next, _)) = step_after(level, passes, loops, levels) else {
        let note = "Last level: nobody further to escalate to.".to_string();
        return (None, Some(note));
    };

    let Some(at) = since.checked_add_signed(delay(policy, level)) else {
        return (
            None,
            Some("The next escalation is too far away to say when.".into()),
        );
    };
    let targets = resolve(policy, next, at, roster);
    let is_loop = next == 1;
    (
        Some(NextLevel {
            level: next,
            at,
            is_loop,
            targets,
        }),
        None,
    )
}

/// A level's delay; PagerDuty requires at least a minute, and a zero here must not make the
/// walk stand still.
fn delay(policy: &PolicyRecord, level: u32) -> Duration {
    let minutes = policy.rules[(level - 1) as usize].delay_minutes;
    Duration::minutes(minutes.clamp(1, MAX_DELAY_MINUTES))
}

fn resolve(
    policy: &PolicyRecord,
    level: u32,
    at: DateTime<Utc>,
    roster: &dyn Roster,
) -> Vec<ResolvedTarget> {
    policy.rules[(level - 1) as usize]
        .targets
        .iter()
        .map(|target| ResolvedTarget {
            kind: target.kind.clone(),
            name: target.name.clone(),
            people: roster.people(&policy.provider_id, level, target, at),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::RuleRecord;
    use chrono::{TimeZone, Timelike};

    struct Names;

    impl Roster for Names {
        fn people(&self, _: &str, _: u32, target: &RuleTarget, at: DateTime<Utc>) -> Vec<String> {
            match target.kind.as_str() {
                "user" => vec![target.name.clone()],
                // The schedule hands over at 12:00.
                _ if at.hour() < 12 => vec!["Morning".into()],
                _ => vec!["Afternoon".into()],
            }
        }
    }

    fn target(kind: &str, name: &str) -> RuleTarget {
        RuleTarget {
            id: name.to_lowercase(),
            kind: kind.into(),
            name: name.into(),
        }
    }

    fn policy(loops: i64) -> PolicyRecord {
        let rule = |delay, t| RuleRecord {
            delay_minutes: delay,
            targets: vec![t],
        };
        PolicyRecord {
            provider_id: "P1".into(),
            name: "Payments".into(),
            num_loops: loops,
            rules: vec![
                rule(30, target("user", "Ada")),
                rule(15, target("schedule", "Primary")),
                rule(10, target("user", "Grace")),
            ],
        }
    }

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 4, h, m, 0).unwrap()
    }

    fn triggered(h: u32, m: u32) -> Position {
        Position {
            status: IncidentStatus::Triggered,
            anchor: at(h, m),
            anchor_level: 1,
        }
    }

    #[test]
    fn a_fresh_page_says_who_gets_it_next_and_when() {
        let o = outlook(&policy(0), &triggered(11, 40), at(11, 45), &Names).unwrap();

        assert_eq!((o.level, o.since), (1, at(11, 40)));
        assert_eq!(o.current[0].people, ["Ada"]);
        let next = o.next.unwrap();
        assert_eq!((next.level, next.at, next.is_loop), (2, at(12, 10), false));
        // The schedule is resolved at the moment of escalation, not now.
        assert_eq!(next.targets[0].people, ["Afternoon"]);
    }

    #[test]
    fn delays_accumulate_through_the_levels() {
        let o = outlook(&policy(0), &triggered(10, 0), at(10, 50), &Names).unwrap();

        assert_eq!((o.level, o.since), (3, at(10, 45)));
        assert_eq!(o.next, None);
        assert!(o.note.unwrap().contains("Last level"));
    }

    #[test]
    fn loops_start_over_from_the_first_level() {
        let o = outlook(&policy(1), &triggered(10, 0), at(10, 50), &Names).unwrap();
        let next = o.next.unwrap();
        assert_eq!((next.level, next.at, next.is_loop), (1, at(10, 55), true));

        // One loop later the walk ends at the last level for good.
        let o = outlook(&policy(1), &triggered(10, 0), at(13, 0), &Names).unwrap();
        assert_eq!((o.level, o.since), (3, at(11, 40)));
        assert_eq!(o.next, None);
    }

    #[test]
    fn acknowledgement_pauses_escalation() {
        let position = Position {
            status: IncidentStatus::Acknowledged,
            anchor: at(10, 0),
            anchor_level: 2,
        };
        let o = outlook(&policy(0), &position, at(18, 0), &Names).unwrap();

        assert_eq!(o.level, 2);
        assert_eq!(o.next, None);
        assert!(o.note.unwrap().contains("paused"));
    }

    #[test]
    fn a_manual_escalation_walks_on_from_its_level() {
        let position = Position {
            status: IncidentStatus::Triggered,
            ..triggered(11, 0)
        };
        let position = Position {
            anchor_level: 2,
            ..position
        };
        let o = outlook(&policy(0), &position, at(11, 5), &Names).unwrap();

        assert_eq!(o.level, 2);
        assert_eq!(o.next.unwrap().at, at(11, 15));
    }

    #[test]
    fn absurd_loops_and_delays_from_a_provider_do_not_overflow() {
        let mut huge = policy(i64::MAX);
        huge.rules
            .iter_mut()
            .for_each(|r| r.delay_minutes = i64::MAX);
        let o = outlook(&huge, &triggered(10, 0), at(11, 0), &Names).unwrap();
        assert_eq!((o.level, o.num_loops), (1, MAX_LOOPS));
        assert_eq!(
            o.next.unwrap().at,
            at(10, 0) + Duration::minutes(MAX_DELAY_MINUTES)
        );

        let far = Position {
            anchor: DateTime::<Utc>::MAX_UTC - Duration::minutes(5),
            ..triggered(0, 0)
        };
        let o = outlook(&policy(0), &far, DateTime::<Utc>::MAX_UTC, &Names).unwrap();
        assert!(o.next.is_none());
        assert!(o.note.unwrap().contains("too far"));
    }

    #[test]
    fn odd_policies_do_not_break_the_walk() {
        let mut zero = policy(5);
        zero.rules.iter_mut().for_each(|r| r.delay_minutes = 0);
        let o = outlook(&zero, &triggered(0, 0), at(23, 0), &Names).unwrap();
        assert_eq!(o.level, 3);

        let empty = PolicyRecord {
            rules: vec![],
            ..policy(0)
        };
        assert!(outlook(&empty, &triggered(0, 0), at(1, 0), &Names).is_none());

        let beyond = Position {
            anchor_level: 9,
            ..triggered(0, 0)
        };
        let o = outlook(&policy(0), &beyond, at(0, 1), &Names).unwrap();
        assert_eq!(o.level, 3);
    }
}
