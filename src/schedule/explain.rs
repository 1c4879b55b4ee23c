//! Who is on call at one instant and why: the override, or the layer, turn and window.

use chrono::{DateTime, Days, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::clock::local;
use super::layer::{reach_days, window_on, Rotation};
use super::{check_instant, Checked, CheckedLayer, RestrictionKind, ScheduleDef, ScheduleUser};
use crate::error::Result;

/// The answer to "who is on call at `at`, and why", for the CLI and the window to show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Explanation {
    pub schedule_id: String,
    pub at: DateTime<Utc>,
    pub time_zone: String,
    /// `at` as the schedule's zone reads it, with offset and abbreviation.
    pub local_time: String,
    pub on_call: Option<ScheduleUser>,
    pub reason: OnCallReason,
    /// What every layer alone would say, highest precedence (last layer) first.
    pub layers: Vec<LayerVerdict>,
}

/// Why `on_call` is who it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum OnCallReason {
    /// An override; `replaced` is the layer shift it stands in for, if there was one.
    Override {
        override_id: String,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        replaced: Option<Shift>,
    },
    /// The highest layer with someone; the layers above it (by position) had nobody.
    Layer {
        shift: Shift,
        higher_layers_with_nobody: Vec<u32>,
    },
    /// No override and no layer covers this instant: a real gap.
    Nobody,
}

/// A layer's turn as it applies at the instant explained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Shift {
    pub layer_id: String,
    pub layer_name: String,
    /// 1 is the first (lowest-precedence) layer.
    pub layer_position: u32,
    pub user: ScheduleUser,
    /// 1 is the first user of the rotation.
    pub user_position: u32,
    /// Turns counted from the rotation's virtual start (0), negative before it.
    pub turn: i64,
    pub turn_start: DateTime<Utc>,
    pub turn_end: DateTime<Utc>,
    /// The restriction window that admitted this instant, if the layer is restricted.
    pub restriction: Option<RestrictionWindow>,
}

/// One opening of a restriction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct RestrictionWindow {
    /// 1 is the layer's first restriction.
    pub index: u32,
    pub kind: RestrictionKind,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// What one layer alone says about the instant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct LayerVerdict {
    pub position: u32,
    pub id: String,
    pub name: String,
    pub outcome: LayerOutcome,
}

/// Someone, or the reason the layer has nobody.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum LayerOutcome {
    OnCall {
        shift: Shift,
    },
    NotStarted {
        starts: DateTime<Utc>,
    },
    Ended {
        ended: DateTime<Utc>,
    },
    /// The turn belongs to someone but no restriction window is open.
    OutsideRestrictions {
        turn_user: ScheduleUser,
    },
}

/// Explains who is on call under `def` at `at`. Agrees with [`super::render`] at every instant.
pub fn explain(def: &ScheduleDef, at: DateTime<Utc>) -> Result<Explanation> {
    let checked = Checked::new(def)?;
    check_instant(at)?;

    let mut layers: Vec<LayerVerdict> = checked
        .layers
        .iter()
        .enumerate()
        .map(|(i, layer)| verdict(checked.tz, layer, i as u32 + 1, at))
        .collect();
    layers.reverse();

    let on_layer = layers
        .iter()
        .position(|v| matches!(v.outcome, LayerOutcome::OnCall { .. }));
    let shift = on_layer.map(|i| match &layers[i].outcome {
        LayerOutcome::OnCall { shift } => shift.clone(),
        _ => unreachable!("found by position"),
    });
    let overriding = def
        .overrides
        .iter()
        .rev()
        .find(|o| o.start <= at && at < o.end);

    let (on_call, reason) = match (overriding, shift) {
        (Some(o), replaced) => (
            Some(o.user.clone()),
            OnCallReason::Override {
                override_id: o.id.clone(),
                start: o.start,
                end: o.end,
                replaced,
            },
        ),
        (None, Some(shift)) => (
            Some(shift.user.clone()),
            OnCallReason::Layer {
                higher_layers_with_nobody: layers[..on_layer.unwrap_or(0)]
                    .iter()
                    .map(|v| v.position)
                    .collect(),
                shift,
            },
        ),
        (None, None) => (None, OnCallReason::Nobody),
    };

    Ok(Explanation {
        schedule_id: def.id.clone(),
        at,
        time_zone: def.time_zone.clone(),
        local_time: at
            .with_timezone(&checked.tz)
            .format("%Y-%m-%dT%H:%M:%S%:z (%Z)")
            .to_string(),
        on_call,
        reason,
        layers,
    })
}

fn verdict(tz: Tz, layer: &CheckedLayer, position: u32, at: DateTime<Utc>) -> LayerVerdict {
    let outcome = if at < layer.def.start {
        LayerOutcome::NotStarted {
            starts: layer.def.start,
        }
    } else if let Some(ended) = layer.def.end.filter(|end| at >= *end) {
        LayerOutcome::Ended { ended }
    } else {
        turn_outcome(tz, layer, position, at)
    };
    LayerVerdict {
        position,
        id: layer.def.id.clone(),
        name: layer.def.name.clone(),
        outcome,
    }
}

fn turn_outcome(tz: Tz, layer: &CheckedLayer, position: u32, at: DateTime<Utc>) -> LayerOutcome {
    let rotation = Rotation::new(tz, layer);
    let turn = rotation.turn_at(at);
    let user_index = rotation.user(turn);
    let user = layer.def.users[user_index].clone();

    let restriction = if layer.restrictions.is_empty() {
        None
    } else {
        match open_window(tz, layer, at) {
            Some(window) => Some(window),
            None => return LayerOutcome::OutsideRestrictions { turn_user: user },
        }
    };

    LayerOutcome::OnCall {
        shift: Shift {
            layer_id: layer.def.id.clone(),
            layer_name: layer.def.name.clone(),
            layer_position: position,
            user,
            user_position: user_index as u32 + 1,
            turn,
            turn_start: rotation.turn_start(turn),
            turn_end: rotation.turn_start(turn + 1),
            restriction,
        },
    }
}

/// The first of the layer's restrictions (by index) whose window is open at `at`.
fn open_window(tz: Tz, layer: &CheckedLayer, at: DateTime<Utc>) -> Option<RestrictionWindow> {
    let today = local(tz, at).date();
    layer.restrictions.iter().enumerate().find_map(|(i, r)| {
        // A day past today too: a zone that falls back across midnight reads yesterday's date.
        let mut date = today - Days::new(reach_days(r));
        while date <= today + Days::new(1) {
            if let Some((start, end)) = window_on(tz, r, date).filter(|(s, e)| *s <= at && at < *e)
            {
                return Some(RestrictionWindow {
                    index: i as u32 + 1,
                    kind: r.kind,
                    start,
                    end,
                });
            }
            date = date + Days::new(1);
        }
        None
    })
}
