//! Layers and overrides folded into the final schedule: precedence, then merging of neighbours.

use chrono::{DateTime, Utc};

use super::layer::Segment;
use super::{CheckedLayer, OverrideDef, ScheduleEntry, ScheduleUser};

/// An override's part that applies: clipped to the range, minus what later overrides took.
#[derive(Debug, Clone)]
pub(crate) struct OverridePiece {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub user: ScheduleUser,
}

/// Spans in time order turned into entries, joining a person's touching spans into one.
pub(crate) fn entries<'u>(
    spans: impl Iterator<Item = (DateTime<Utc>, DateTime<Utc>, &'u ScheduleUser)>,
) -> Vec<ScheduleEntry> {
    let mut out: Vec<ScheduleEntry> = Vec::new();
    for (start, end, user) in spans {
        push(&mut out, start, end, user);
    }
    out
}

fn push(
    out: &mut Vec<ScheduleEntry>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    user: &ScheduleUser,
) {
    match out.last_mut() {
        Some(last) if last.end == start && last.user.id == user.id => last.end = end,
        _ => out.push(ScheduleEntry {
            start,
            end,
            user: user.clone(),
        }),
    }
}

/// The overrides that apply in `[since, until)`, sorted and disjoint; a later one in the list
/// paints over an earlier one where they overlap.
pub(crate) fn overrides(
    defs: &[OverrideDef],
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Vec<OverridePiece> {
    let mut pieces: Vec<OverridePiece> = Vec::new();
    for o in defs {
        let (start, end) = (o.start.max(since), o.end.min(until));
        if start >= end {
            continue;
        }
        // TODO(schedule-overrides): quadratic in the overrides that fall in the range; fine for
        // the tens a schedule has in a year, slow for tens of thousands.
        let mut kept = Vec::with_capacity(pieces.len() + 2);
        for p in pieces {
            if p.end <= start || p.start >= end {
                kept.push(p);
                continue;
            }
            if p.start < start {
                kept.push(OverridePiece {
                    end: start,
                    ..p.clone()
                });
            }
            if p.end > end {
                kept.push(OverridePiece { start: end, ..p });
            }
        }
        kept.push(OverridePiece {
            start,
            end,
            user: o.user.clone(),
        });
        kept.sort_by_key(|p| p.start);
        pieces = kept;
    }
    pieces
}

/// Who is on call across the range: an override beats every layer, a later layer beats an
/// earlier one, and where nobody covers there is no entry at all.
pub(crate) fn final_schedule(
    layers: &[CheckedLayer],
    shifts: &[Vec<Segment>],
    overrides: &[OverridePiece],
) -> Vec<ScheduleEntry> {
    let mut cuts: Vec<DateTime<Utc>> = Vec::new();
    for s in shifts.iter().flatten() {
        cuts.extend([s.start, s.end]);
    }
    cuts.extend(overrides.iter().flat_map(|o| [o.start, o.end]));
    cuts.sort_unstable();
    cuts.dedup();

    // One cursor per source; every source is sorted, so each only moves forward.
    let mut at = vec![0usize; shifts.len()];
    let mut at_override = 0usize;
    let mut out = Vec::new();
    for pair in cuts.windows(2) {
        let (p, q) = (pair[0], pair[1]);
        let user = covering_override(overrides, &mut at_override, p)
            .or_else(|| covering_layer(layers, shifts, &mut at, p));
        if let Some(user) = user {
            push(&mut out, p, q, user);
        }
    }
    out
}

fn covering_override<'a>(
    overrides: &'a [OverridePiece],
    at: &mut usize,
    p: DateTime<Utc>,
) -> Option<&'a ScheduleUser> {
    while *at < overrides.len() && overrides[*at].end <= p {
        *at += 1;
    }
    let o = overrides.get(*at)?;
    (o.start <= p).then_some(&o.user)
}

fn covering_layer<'a>(
    layers: &'a [CheckedLayer],
    shifts: &[Vec<Segment>],
    at: &mut [usize],
    p: DateTime<Utc>,
) -> Option<&'a ScheduleUser> {
    let mut found = None;
    // Every cursor advances even after a hit, so all stay in step with `p`.
    for (i, layer_shifts) in shifts.iter().enumerate() {
        while at[i] < layer_shifts.len() && layer_shifts[at[i]].end <= p {
            at[i] += 1;
        }
        if let Some(s) = layer_shifts.get(at[i]).filter(|s| s.start <= p) {
            found = Some(&layers[i].def.users[s.user]);
        }
    }
    found
}
