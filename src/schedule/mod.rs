//! On-call schedules rendered locally: definitions, the renderer and the explanation of a moment.
//!
//! A schedule is PagerDuty-shaped: a time zone, layers (later layers take precedence over
//! earlier ones), each a rotation of users with optional daily or weekly restrictions, and
//! overrides on top of every layer. Everything here is pure: no store, no clock, no I/O, so the
//! CLI, the window and the cross-check against a provider all render the same way.
//!
//! Time is the hard part. Handoffs and restriction windows are wall-clock times in the
//! schedule's zone, counted from the rotation's virtual start in local (naive) time; the
//! conversion back to instants is in `clock.rs` and states the DST contract.

mod api;
mod check;
mod clock;
mod explain;
pub mod file;
mod layer;
mod merge;
mod outlook;
mod workspace;
mod zones;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_dst;
#[cfg(test)]
mod tests_prop;

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{Error, Result};

pub use api::{MyShift, OnCallAt, OnCallOutlook, TargetOutlook, MAX_SHIFT_DAYS, OUTLOOK_DAYS};
pub use check::{compare, cross_check, CrossCheck, Disagreement, LayerOrder};
pub use explain::{explain, Explanation, LayerOutcome, LayerVerdict, OnCallReason, Shift};
pub use file::{LevelDef, OnCallFile, PolicyDef, TargetDef, TargetKind};
pub use outlook::{now_and_next, Handoff};
pub use workspace::{ImportSummary, LocalOnCall};

/// The longest range one call renders: enough for a year view with room to spare, small
/// enough that a hostile definition cannot make a render run for minutes.
pub const MAX_RANGE_DAYS: i64 = 3 * 366;

/// The most shifts one layer may produce in one render (a one-second rotation over a year
/// would otherwise allocate tens of millions of entries).
pub const MAX_SHIFTS_PER_LAYER: usize = 200_000;

/// More layers than this is not a schedule anyone wrote by hand; each layer renders on its
/// own, so their number multiplies the work.
pub const MAX_LAYERS: usize = 64;

/// The most shifts all layers together may produce in one render: the per-layer bound times
/// many layers would still exhaust memory.
pub const MAX_SHIFTS_TOTAL: usize = 400_000;

/// More restrictions than this on one layer is not a schedule anyone wrote by hand.
pub const MAX_RESTRICTIONS: usize = 64;

/// Overlapping overrides are folded in quadratic time; a schedule has tens a year.
pub const MAX_OVERRIDES: usize = 5_000;

/// A person as a schedule names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ScheduleUser {
    pub id: String,
    #[serde(default)]
    pub name: String,
}

/// A schedule as the provider defines it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ScheduleDef {
    pub id: String,
    #[serde(default)]
    pub name: String,
    /// An IANA zone name such as `Europe/London`.
    pub time_zone: String,
    /// In precedence order: a later layer beats an earlier one where both have someone.
    pub layers: Vec<LayerDef>,
    /// On top of every layer; where two overlap, the later in this list wins.
    #[serde(default)]
    pub overrides: Vec<OverrideDef>,
}

/// One layer: a rotation of users, turns of a fixed wall-clock length, optionally restricted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct LayerDef {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: String,
    pub start: DateTime<Utc>,
    #[serde(default)]
    pub end: Option<DateTime<Utc>>,
    /// Turn 0 starts here (in local wall-clock terms); the layer's own start only cuts it.
    pub rotation_virtual_start: DateTime<Utc>,
    pub rotation_turn_length_seconds: i64,
    pub users: Vec<ScheduleUser>,
    #[serde(default)]
    pub restrictions: Vec<Restriction>,
}

/// Which kind of window a restriction repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum RestrictionKind {
    DailyRestriction,
    WeeklyRestriction,
}

/// A window the layer is limited to, repeated every day or every week.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct Restriction {
    #[serde(rename = "type")]
    pub kind: RestrictionKind,
    /// `HH:MM:SS` (or `HH:MM`) local time.
    pub start_time_of_day: String,
    /// Monday = 1 … Sunday = 7; required for weekly restrictions, ignored for daily ones.
    #[serde(default)]
    pub start_day_of_week: Option<u8>,
    pub duration_seconds: i64,
}

/// Someone on call instead of whoever the layers say, for a fixed span.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct OverrideDef {
    #[serde(default)]
    pub id: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub user: ScheduleUser,
}

/// One span with one person on call; spans never overlap and touch only between people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ScheduleEntry {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub user: ScheduleUser,
}

/// What one layer alone puts on call in the range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct LayerRendering {
    pub id: String,
    pub name: String,
    /// 1 is the first (lowest-precedence) layer.
    pub position: u32,
    pub entries: Vec<ScheduleEntry>,
}

/// A schedule rendered over `[since, until)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Rendering {
    pub schedule_id: String,
    pub time_zone: String,
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub layers: Vec<LayerRendering>,
    /// The overrides as they apply in the range (clipped, and cut where a later one wins).
    pub overrides: Vec<ScheduleEntry>,
    /// Who is actually on call; a span missing here is a real gap with nobody.
    pub final_entries: Vec<ScheduleEntry>,
}

/// Renders `def` over `[since, until)`: every layer on its own, the overrides, and the final
/// schedule. Fails with `Error::Invalid` on a bad definition or an absurd range.
pub fn render(def: &ScheduleDef, since: DateTime<Utc>, until: DateTime<Utc>) -> Result<Rendering> {
    let checked = Checked::new(def)?;
    check_range(since, until)?;

    let mut layers = Vec::with_capacity(checked.layers.len());
    let mut shifts = Vec::with_capacity(checked.layers.len());
    let mut total = 0;
    for (i, layer) in checked.layers.iter().enumerate() {
        let segments = layer::shifts(checked.tz, layer, since, until)?;
        total += segments.len();
        if total > MAX_SHIFTS_TOTAL {
            return Err(invalid(format!(
                "the layers would have more than {MAX_SHIFTS_TOTAL} shifts in this range; \
                 render a shorter range"
            )));
        }
        layers.push(LayerRendering {
            id: layer.def.id.clone(),
            name: layer.def.name.clone(),
            position: i as u32 + 1,
            entries: merge::entries(
                segments
                    .iter()
                    .map(|s| (s.start, s.end, &layer.def.users[s.user])),
            ),
        });
        shifts.push(segments);
    }

    let overrides = merge::overrides(&def.overrides, since, until);
    let final_entries = merge::final_schedule(&checked.layers, &shifts, &overrides);
    Ok(Rendering {
        schedule_id: def.id.clone(),
        time_zone: def.time_zone.clone(),
        since,
        until,
        layers,
        overrides: merge::entries(overrides.iter().map(|o| (o.start, o.end, &o.user))),
        final_entries,
    })
}

/// Whether `a` and `b` are adjacent entries of one person that belong together.
pub fn same_shift(a: &ScheduleEntry, b: &ScheduleEntry) -> bool {
    a.end == b.start && a.user.id == b.user.id
}

/// A definition that passed validation, with its zone and restriction times parsed once.
pub(crate) struct Checked<'a> {
    pub tz: Tz,
    pub layers: Vec<CheckedLayer<'a>>,
}

pub(crate) struct CheckedLayer<'a> {
    pub def: &'a LayerDef,
    pub restrictions: Vec<CheckedRestriction>,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct CheckedRestriction {
    pub kind: RestrictionKind,
    pub time_of_day: NaiveTime,
    /// Monday = 1; meaningful for weekly restrictions only.
    pub day_of_week: u8,
    pub duration: Duration,
}

impl<'a> Checked<'a> {
    pub fn new(def: &'a ScheduleDef) -> Result<Checked<'a>> {
        let tz = zones::zone(&def.time_zone)
            .ok_or_else(|| invalid(format!("unknown time zone `{}`", def.time_zone)))?;

        if def.layers.len() > MAX_LAYERS {
            return Err(invalid(format!("more than {MAX_LAYERS} layers")));
        }
        let mut layers = Vec::with_capacity(def.layers.len());
        for (i, layer) in def.layers.iter().enumerate() {
            let restrictions = check_layer(layer)
                .map_err(|e| invalid(format!("layer {} (`{}`): {e}", i + 1, layer.name)))?;
            layers.push(CheckedLayer {
                def: layer,
                restrictions,
            });
        }

        if def.overrides.len() > MAX_OVERRIDES {
            return Err(invalid(format!("more than {MAX_OVERRIDES} overrides")));
        }
        for (i, o) in def.overrides.iter().enumerate() {
            check_instant(o.start)?;
            check_instant(o.end)?;
            if o.end <= o.start {
                return Err(invalid(format!("override {} ends before it starts", i + 1)));
            }
        }
        Ok(Checked { tz, layers })
    }
}

fn check_layer(layer: &LayerDef) -> std::result::Result<Vec<CheckedRestriction>, String> {
    if layer.users.is_empty() {
        return Err("it has no users".into());
    }
    if layer.rotation_turn_length_seconds <= 0 {
        return Err("its turn length must be a positive number of seconds".into());
    }
    // Bounded so turn arithmetic stays far from overflow: a turn of a century is plenty.
    if layer.rotation_turn_length_seconds > 100 * 366 * 86_400 {
        return Err("its turn length is longer than a century".into());
    }
    for t in [
        Some(layer.start),
        layer.end,
        Some(layer.rotation_virtual_start),
    ]
    .into_iter()
    .flatten()
    {
        check_instant(t).map_err(|e| e.to_string())?;
    }
    if layer.end.is_some_and(|end| end <= layer.start) {
        return Err("it ends before it starts".into());
    }
    if layer.restrictions.len() > MAX_RESTRICTIONS {
        return Err(format!("it has more than {MAX_RESTRICTIONS} restrictions"));
    }
    layer.restrictions.iter().map(check_restriction).collect()
}

fn check_restriction(r: &Restriction) -> std::result::Result<CheckedRestriction, String> {
    let time_of_day = NaiveTime::parse_from_str(&r.start_time_of_day, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(&r.start_time_of_day, "%H:%M"))
        .map_err(|_| format!("bad start_time_of_day `{}`", r.start_time_of_day))?;

    let (period, day_of_week) = match r.kind {
        RestrictionKind::DailyRestriction => (86_400, 1),
        RestrictionKind::WeeklyRestriction => match r.start_day_of_week {
            Some(d @ 1..=7) => (7 * 86_400, d),
            Some(d) => return Err(format!("start_day_of_week {d} is not 1 (Monday) to 7")),
            None => return Err("a weekly restriction needs start_day_of_week".into()),
        },
    };
    if r.duration_seconds <= 0 {
        return Err("a restriction's duration must be positive".into());
    }
    if r.duration_seconds > period {
        return Err(format!(
            "a restriction of {} s is longer than its period of {period} s",
            r.duration_seconds
        ));
    }
    Ok(CheckedRestriction {
        kind: r.kind,
        time_of_day,
        day_of_week,
        duration: Duration::seconds(r.duration_seconds),
    })
}

/// Instants far outside any real schedule are refused so that date arithmetic cannot
/// overflow (chrono panics past year 262,143).
fn check_instant(t: DateTime<Utc>) -> Result<()> {
    let lo = Utc.with_ymd_and_hms(1900, 1, 1, 0, 0, 0).unwrap();
    let hi = Utc.with_ymd_and_hms(2400, 1, 1, 0, 0, 0).unwrap();
    if t < lo || t >= hi {
        return Err(invalid(format!("{t} is outside the years 1900 to 2399")));
    }
    Ok(())
}

fn check_range(since: DateTime<Utc>, until: DateTime<Utc>) -> Result<()> {
    check_instant(since)?;
    check_instant(until)?;
    if until <= since {
        return Err(invalid("the range ends before it starts".into()));
    }
    if until - since > Duration::days(MAX_RANGE_DAYS) {
        return Err(invalid(format!(
            "render at most {MAX_RANGE_DAYS} days at a time"
        )));
    }
    Ok(())
}

fn invalid(message: String) -> Error {
    Error::Invalid(message)
}
