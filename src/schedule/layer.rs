//! One layer on its own: its rotation's turns, its restriction windows, and the shifts they leave.

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;

use super::clock::{add, instant, local};
use super::{invalid, CheckedLayer, CheckedRestriction, RestrictionKind, MAX_SHIFTS_PER_LAYER};
use crate::error::Result;

/// A span one layer gives to one user: `user` indexes the layer's users, `turn` counts turns
/// from the rotation's virtual start (negative before it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Segment {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub user: usize,
    pub turn: i64,
}

/// A layer's rotation: turn `k` starts at the virtual start plus `k` turn lengths of local
/// wall-clock time.
pub(crate) struct Rotation {
    tz: Tz,
    virtual_start: NaiveDateTime,
    turn_seconds: i64,
    users: usize,
}

impl Rotation {
    pub fn new(tz: Tz, layer: &CheckedLayer) -> Rotation {
        Rotation {
            tz,
            virtual_start: local(tz, layer.def.rotation_virtual_start),
            turn_seconds: layer.def.rotation_turn_length_seconds,
            users: layer.def.users.len(),
        }
    }

    pub fn turn_start(&self, turn: i64) -> DateTime<Utc> {
        instant(self.tz, add(self.virtual_start, turn * self.turn_seconds))
    }

    /// The turn under way at `t`. A turn emptied by a spring-forward gap is never the answer.
    pub fn turn_at(&self, t: DateTime<Utc>) -> i64 {
        let elapsed = (local(self.tz, t) - self.virtual_start).num_seconds();
        let mut turn = elapsed.div_euclid(self.turn_seconds);

        // Local time and instants disagree by at most a DST shift; walk the last step.
        while self.turn_start(turn) > t {
            turn -= 1;
        }
        while self.turn_start(turn + 1) <= t {
            turn += 1;
        }
        turn
    }

    /// Which of the layer's users (by index) has turn `turn`.
    pub fn user(&self, turn: i64) -> usize {
        turn.rem_euclid(self.users as i64) as usize
    }
}

/// Where the layer applies within `[since, until)`, if anywhere.
pub(crate) fn active_span(
    layer: &CheckedLayer,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let start = since.max(layer.def.start);
    let end = layer.def.end.map_or(until, |e| e.min(until));
    (start < end).then_some((start, end))
}

/// The layer's shifts in `[since, until)`, sorted, not overlapping, cut to its restrictions.
pub(crate) fn shifts(
    tz: Tz,
    layer: &CheckedLayer,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<Segment>> {
    let Some((start, end)) = active_span(layer, since, until) else {
        return Ok(Vec::new());
    };
    let turns = turns(tz, layer, start, end)?;
    if layer.restrictions.is_empty() {
        return Ok(turns);
    }

    let windows = windows(tz, &layer.restrictions, start, end);
    let cut = intersect(&turns, &windows);
    if cut.len() > MAX_SHIFTS_PER_LAYER {
        return Err(too_many());
    }
    Ok(cut)
}

fn turns(
    tz: Tz,
    layer: &CheckedLayer,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Vec<Segment>> {
    let rotation = Rotation::new(tz, layer);
    let mut turn = rotation.turn_at(start);
    let mut turn_start = rotation.turn_start(turn);
    let mut out = Vec::new();

    while turn_start < end {
        let next = rotation.turn_start(turn + 1);
        let (s, e) = (turn_start.max(start), next.min(end));
        if s < e {
            out.push(Segment {
                start: s,
                end: e,
                user: rotation.user(turn),
                turn,
            });
        }
        if out.len() > MAX_SHIFTS_PER_LAYER {
            return Err(too_many());
        }
        turn += 1;
        turn_start = next;
    }
    Ok(out)
}

fn too_many() -> crate::Error {
    invalid(format!(
        "a layer would have more than {MAX_SHIFTS_PER_LAYER} shifts in this range; render a \
         shorter one"
    ))
}

/// The instants one restriction's window opens and closes on local `date`, if it opens then.
pub(crate) fn window_on(
    tz: Tz,
    r: &CheckedRestriction,
    date: NaiveDate,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let weekday = date.weekday().number_from_monday() as u8;
    if r.kind == RestrictionKind::WeeklyRestriction && weekday != r.day_of_week {
        return None;
    }
    let opens = date.and_time(r.time_of_day);
    let closes = opens + r.duration;
    Some((instant(tz, opens), instant(tz, closes)))
}

/// How many local days before a date a window that opened then can still be open.
pub(crate) fn reach_days(r: &CheckedRestriction) -> u64 {
    match r.kind {
        RestrictionKind::DailyRestriction => 1,
        RestrictionKind::WeeklyRestriction => 7,
    }
}

/// The union of all restriction windows within `[start, end)`, sorted and disjoint.
fn windows(
    tz: Tz,
    restrictions: &[CheckedRestriction],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    // A day past the end too: a zone that falls back across midnight reads yesterday's date.
    let last = local(tz, end).date() + Days::new(1);
    let mut all = Vec::new();
    for r in restrictions {
        let mut date = local(tz, start).date() - Days::new(reach_days(r));
        while date <= last {
            if let Some((s, e)) = window_on(tz, r, date) {
                let (s, e) = (s.max(start), e.min(end));
                if s < e {
                    all.push((s, e));
                }
            }
            date = date + Days::new(1);
        }
    }
    all.sort();

    let mut union: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::with_capacity(all.len());
    for (s, e) in all {
        match union.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => union.push((s, e)),
        }
    }
    union
}

/// The parts of each turn inside some window; both inputs sorted and disjoint.
fn intersect(turns: &[Segment], windows: &[(DateTime<Utc>, DateTime<Utc>)]) -> Vec<Segment> {
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < turns.len() && j < windows.len() {
        let (t, w) = (&turns[i], windows[j]);
        let (s, e) = (t.start.max(w.0), t.end.min(w.1));
        if s < e {
            out.push(Segment {
                start: s,
                end: e,
                ..*t
            });
        }
        if t.end <= w.1 {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}
