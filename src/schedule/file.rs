//! The local workspace's own rotations and escalation policies as a file: its shape, its
//! limits, and the checks a definition passes before anything is stored.
//!
//! The file is TOML a person can write by hand and share with a team. Schedules use the same
//! vocabulary as PagerDuty (layers, `rotation_turn_length_seconds`, daily and weekly
//! restrictions with Monday = 1, overrides), so one rendering path serves both.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{Checked, ScheduleDef, ScheduleUser};
use crate::error::{Error, Result};
use crate::provider::{PolicyRecord, RuleRecord, RuleTarget};

/// The value of `format` this version reads and writes.
pub const FORMAT: &str = "tocsin-oncall/1";

/// A bigger file is not a team's rotations; refused before it is parsed.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;

/// Local definitions of each kind the workspace keeps at most.
pub const MAX_LOCAL_SCHEDULES: usize = 200;
pub const MAX_LOCAL_POLICIES: usize = 200;

/// Bounds of one policy: levels, targets per level, and its repeats (PagerDuty allows 9).
pub const MAX_LEVELS: usize = 20;
pub const MAX_TARGETS: usize = 20;
pub const MAX_LOOPS: i64 = 9;

/// A level waits at most a week before escalating: longer is a typo, not a policy.
pub const MAX_DELAY_MINUTES: i64 = 7 * 24 * 60;

/// People in one layer's rotation.
pub const MAX_LAYER_USERS: usize = 200;

/// A turn shorter than an hour is a typo that would render thousands of handoffs a week.
pub const MIN_TURN_SECONDS: i64 = 3600;

const MAX_ID_CHARS: usize = 64;
const MAX_NAME_CHARS: usize = 200;

/// Rotations and escalation policies of the local workspace, as a file holds them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct OnCallFile {
    /// Always `tocsin-oncall/1` for this version.
    pub format: String,
    #[serde(default, rename = "schedule", skip_serializing_if = "Vec::is_empty")]
    pub schedules: Vec<ScheduleDef>,
    #[serde(default, rename = "policy", skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<PolicyDef>,
}

/// An escalation policy of the local workspace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct PolicyDef {
    /// Empty when a new policy is saved from the window: one is made from the name.
    #[serde(default)]
    pub id: String,
    pub name: String,
    /// How many times the levels repeat after the last one times out (0 = no repeat).
    #[serde(default)]
    pub num_loops: i64,
    pub levels: Vec<LevelDef>,
}

/// One level: who is paged, and how long it waits for an acknowledgement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct LevelDef {
    pub delay_minutes: i64,
    pub targets: Vec<TargetDef>,
}

/// A person, or a schedule resolved to whoever it puts on call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct TargetDef {
    pub kind: TargetKind,
    pub id: String,
    /// A user's display name; taken from the rotations when left out.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum TargetKind {
    User,
    Schedule,
}

/// Reads a file's text: size, syntax, format version. Its content is checked by [`check`].
pub fn parse(text: &str) -> Result<OnCallFile> {
    if text.len() > MAX_FILE_BYTES {
        return Err(invalid(format!(
            "the file is larger than {} KiB; an on-call file is a few kilobytes",
            MAX_FILE_BYTES / 1024
        )));
    }
    let file: OnCallFile = toml::from_str(text).map_err(|e| {
        let line =
            (e.span().and_then(|s| text.get(..s.start))).map(|t| t.matches('\n').count() + 1);
        let at = line.map(|n| format!(" (line {n})")).unwrap_or_default();
        invalid(format!(
            "not a Tocsin on-call file{at}: {}",
            e.message().trim()
        ))
    })?;
    if file.format != FORMAT {
        return Err(invalid(format!(
            "format `{}` is not `{FORMAT}`; this version of Tocsin reads `{FORMAT}` only",
            file.format
        )));
    }
    Ok(file)
}

/// The file's text, with a header that says what it is.
pub fn write(file: &OnCallFile) -> Result<String> {
    let body = toml::to_string(file).map_err(|e| invalid(format!("cannot write: {e}")))?;
    Ok(format!(
        "# Tocsin on-call definitions: rotations (schedules) and escalation policies of a\n\
         # local workspace. Import with `tocsin rotation import FILE` or from the window.\n\n\
         {body}"
    ))
}

/// Checks every schedule and policy of `file`. A schedule target must name a schedule of the
/// file or one of `kept` (local schedules that stay stored). Nothing is changed: on an error
/// the caller stores nothing.
pub fn check(file: &OnCallFile, kept: &[ScheduleDef]) -> Result<()> {
    if file.schedules.len() > MAX_LOCAL_SCHEDULES || file.policies.len() > MAX_LOCAL_POLICIES {
        return Err(invalid(format!(
            "at most {MAX_LOCAL_SCHEDULES} schedules and {MAX_LOCAL_POLICIES} policies"
        )));
    }
    unique_ids("schedule", file.schedules.iter().map(|s| s.id.as_str()))?;
    unique_ids("policy", file.policies.iter().map(|p| p.id.as_str()))?;

    for s in &file.schedules {
        check_schedule(s).map_err(|e| invalid(format!("schedule `{}`: {e}", s.id)))?;
    }

    let known: HashSet<&str> = (file.schedules.iter().chain(kept))
        .map(|s| s.id.as_str())
        .collect();
    for p in &file.policies {
        check_policy(p, &known).map_err(|e| invalid(format!("policy `{}`: {e}", p.id)))?;
    }
    Ok(())
}

/// One schedule on its own: names and ids, and everything the renderer needs.
pub fn check_schedule(s: &ScheduleDef) -> std::result::Result<(), String> {
    check_id(&s.id)?;
    check_name(&s.name)?;
    if s.layers.is_empty() {
        return Err("it has no layers".into());
    }
    Checked::new(s).map_err(|e| e.to_string().replace("Invalid input: ", ""))?;

    for (i, layer) in s.layers.iter().enumerate() {
        let at = |e: String| format!("layer {}: {e}", i + 1);
        check_name(&layer.name).map_err(at)?;
        check_optional_id(&layer.id).map_err(at)?;
        if layer.rotation_turn_length_seconds < MIN_TURN_SECONDS {
            return Err(at("a turn must last at least an hour".into()));
        }
        if layer.users.len() > MAX_LAYER_USERS {
            return Err(at(format!("more than {MAX_LAYER_USERS} people")));
        }
        layer.users.iter().try_for_each(check_user).map_err(at)?;
    }
    s.overrides
        .iter()
        .try_for_each(|o| check_optional_id(&o.id).and_then(|()| check_user(&o.user)))
        .map_err(|e| format!("override: {e}"))
}

fn check_policy(p: &PolicyDef, schedules: &HashSet<&str>) -> std::result::Result<(), String> {
    check_id(&p.id)?;
    check_name(&p.name)?;
    if p.levels.is_empty() || p.levels.len() > MAX_LEVELS {
        return Err(format!("it needs 1 to {MAX_LEVELS} levels"));
    }
    if !(0..=MAX_LOOPS).contains(&p.num_loops) {
        return Err(format!("num_loops must be 0 to {MAX_LOOPS}"));
    }

    for (i, level) in p.levels.iter().enumerate() {
        let at = |e: String| format!("level {}: {e}", i + 1);
        if !(1..=MAX_DELAY_MINUTES).contains(&level.delay_minutes) {
            return Err(at(format!(
                "delay_minutes must be 1 to {MAX_DELAY_MINUTES} (a week)"
            )));
        }
        if level.targets.is_empty() || level.targets.len() > MAX_TARGETS {
            return Err(at(format!("it needs 1 to {MAX_TARGETS} targets")));
        }
        for t in &level.targets {
            check_id(&t.id).map_err(at)?;
            check_name(&t.name).map_err(at)?;
            if t.kind == TargetKind::Schedule && !schedules.contains(t.id.as_str()) {
                return Err(at(format!("no local schedule `{}`", t.id)));
            }
        }
    }
    Ok(())
}

fn check_user(u: &ScheduleUser) -> std::result::Result<(), String> {
    check_id(&u.id)?;
    check_name(&u.name)
}

/// Layers and overrides may leave their id out; one given is checked like any other.
fn check_optional_id(id: &str) -> std::result::Result<(), String> {
    if id.is_empty() {
        return Ok(());
    }
    check_id(id)
}

/// Ids are short and plain so they read the same in a file, a URL and a terminal.
fn check_id(id: &str) -> std::result::Result<(), String> {
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    let dots = id.chars().all(|c| c == '.');
    if id.is_empty() || dots || id.chars().count() > MAX_ID_CHARS || !id.chars().all(plain) {
        return Err(format!(
            "id `{}` must be 1 to {MAX_ID_CHARS} letters, digits, `-`, `_` or `.` (not dots only)",
            id.escape_debug()
        ));
    }
    Ok(())
}

/// Names are free text, but without control or direction-changing characters that would make
/// a page or a terminal show something other than what is stored.
fn check_name(name: &str) -> std::result::Result<(), String> {
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(format!("a name is at most {MAX_NAME_CHARS} characters"));
    }
    let hidden = |c: char| c.is_control() || crate::paging::is_bidi_control(c);
    if name.chars().any(hidden) {
        return Err(format!(
            "name `{}` has control or text-direction characters",
            name.escape_debug()
        ));
    }
    Ok(())
}

fn unique_ids<'a>(what: &str, ids: impl Iterator<Item = &'a str>) -> Result<()> {
    let mut seen = HashSet::new();
    for id in ids {
        if !seen.insert(id) {
            return Err(invalid(format!(
                "two {what} definitions have the id `{id}`"
            )));
        }
    }
    Ok(())
}

/// A policy as the cache stores it: targets carry names, from the rotations where they know
/// the person or schedule.
pub fn to_record(p: &PolicyDef, schedules: &[ScheduleDef]) -> PolicyRecord {
    let schedule_names: HashMap<&str, &str> = schedules
        .iter()
        .map(|s| (s.id.as_str(), s.name.as_str()))
        .collect();
    let user_names: HashMap<&str, &str> = (schedules.iter())
        .flat_map(|s| s.layers.iter().flat_map(|l| l.users.iter()))
        .map(|u| (u.id.as_str(), u.name.as_str()))
        .collect();

    let target = |t: &TargetDef| {
        let looked_up = match t.kind {
            TargetKind::Schedule => schedule_names.get(t.id.as_str()),
            TargetKind::User => user_names.get(t.id.as_str()),
        };
        // The rotations are where people are named; a name in the target is for someone who
        // is on no rotation.
        let name = (looked_up.copied().filter(|n| !n.is_empty()))
            .or(Some(t.name.as_str()).filter(|n| !n.is_empty()))
            .unwrap_or(&t.id);
        RuleTarget {
            id: t.id.clone(),
            kind: match t.kind {
                TargetKind::User => "user".into(),
                TargetKind::Schedule => "schedule".into(),
            },
            name: name.to_string(),
        }
    };
    PolicyRecord {
        provider_id: p.id.clone(),
        name: p.name.clone(),
        num_loops: p.num_loops,
        rules: (p.levels.iter())
            .map(|l| RuleRecord {
                delay_minutes: l.delay_minutes,
                targets: l.targets.iter().map(target).collect(),
            })
            .collect(),
    }
}

/// A stored policy back in the file's shape.
pub fn from_record(p: &PolicyRecord) -> PolicyDef {
    PolicyDef {
        id: p.provider_id.clone(),
        name: p.name.clone(),
        num_loops: p.num_loops,
        levels: (p.rules.iter())
            .map(|r| LevelDef {
                delay_minutes: r.delay_minutes,
                targets: (r.targets.iter())
                    .map(|t| TargetDef {
                        kind: if t.kind == "schedule" {
                            TargetKind::Schedule
                        } else {
                            TargetKind::User
                        },
                        id: t.id.clone(),
                        name: if t.kind == "schedule" {
                            String::new()
                        } else {
                            t.name.clone()
                        },
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// An id made from a name, not among `taken`: `Payments primary` → `payments-primary`.
pub fn id_from_name(name: &str, taken: &HashSet<String>) -> String {
    let mut base: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    base = base
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    base.truncate(48);
    if base.is_empty() {
        base = "rotation".into();
    }
    (1..)
        .map(|n| match n {
            1 => base.clone(),
            n => format!("{base}-{n}"),
        })
        .find(|id| !taken.contains(id))
        .expect("an unbounded range has a free id")
}

fn invalid(message: String) -> Error {
    Error::Invalid(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
format = "tocsin-oncall/1"

[[schedule]]
id = "primary"
name = "Primary"
time_zone = "Europe/London"

[[schedule.layers]]
name = "Weekly"
start = "2026-01-05T09:00:00Z"
rotation_virtual_start = "2026-01-05T09:00:00Z"
rotation_turn_length_seconds = 604800
users = [{ id = "ada", name = "Ada" }, { id = "grace", name = "Grace" }]

[[schedule.layers.restrictions]]
type = "daily_restriction"
start_time_of_day = "09:00:00"
duration_seconds = 32400

[[policy]]
id = "payments"
name = "Payments"
num_loops = 1

[[policy.levels]]
delay_minutes = 15
targets = [{ kind = "schedule", id = "primary" }]

[[policy.levels]]
delay_minutes = 30
targets = [{ kind = "user", id = "grace" }]
"#;

    #[test]
    fn a_hand_written_file_reads_checks_and_round_trips() {
        let file = parse(SAMPLE).unwrap();
        check(&file, &[]).unwrap();
        assert_eq!(file.schedules[0].layers[0].users.len(), 2);
        assert_eq!(file.policies[0].levels.len(), 2);

        let again = parse(&write(&file).unwrap()).unwrap();
        assert_eq!(again, file);
    }

    #[test]
    fn targets_get_names_from_the_rotations_and_come_back_without_them() {
        let file = parse(SAMPLE).unwrap();
        let record = to_record(&file.policies[0], &file.schedules);
        assert_eq!(record.rules[0].targets[0].name, "Primary");
        assert_eq!(record.rules[1].targets[0].name, "Grace");
        assert_eq!(from_record(&record).levels[0], file.policies[0].levels[0]);
    }

    #[test]
    fn each_mistake_is_named() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "tocsin-oncall/1",
                "tocsin-oncall/9",
                "format `tocsin-oncall/9`",
            ),
            ("Europe/London", "Mars/Olympus", "unknown time zone"),
            ("604800", "60", "at least an hour"),
            (
                "delay_minutes = 15",
                "delay_minutes = 0",
                "delay_minutes must be",
            ),
            ("num_loops = 1", "num_loops = 12", "num_loops must be"),
            (
                r#"id = "primary" }"#,
                r#"id = "nope" }"#,
                "no local schedule `nope`",
            ),
            (
                r#"id = "grace", name"#,
                r#"id = "gr ace", name"#,
                "id `gr ace`",
            ),
            (
                r#"name = "Ada""#,
                "name = \"A\u{202e}da\"",
                "text-direction",
            ),
            (
                "[[policy.levels]]\ndelay_minutes = 30",
                "[[policy.levels]]\nx = 1",
                "unknown field `x`",
            ),
        ];
        for (from, to, needle) in cases {
            assert!(SAMPLE.contains(from), "fixture lacks {from}");
            let text = SAMPLE.replacen(from, to, 1);
            let err = parse(&text).and_then(|f| check(&f, &[])).unwrap_err();
            assert_eq!(err.code(), "invalid");
            assert!(err.to_string().contains(needle), "{needle}: got {err}");
        }
    }

    #[test]
    fn duplicate_ids_and_huge_files_are_refused() {
        let mut file = parse(SAMPLE).unwrap();
        file.schedules.push(file.schedules[0].clone());
        assert!(check(&file, &[])
            .unwrap_err()
            .to_string()
            .contains("two schedule"));

        let huge = format!("{SAMPLE}\n# {}", "x".repeat(MAX_FILE_BYTES));
        assert!(parse(&huge)
            .unwrap_err()
            .to_string()
            .contains("larger than"));
    }

    #[test]
    fn a_schedule_kept_in_the_store_may_be_a_target() {
        let mut file = parse(SAMPLE).unwrap();
        let kept = file.schedules.remove(0);
        assert!(check(&file, &[]).is_err());
        check(&file, &[kept]).unwrap();
    }

    #[test]
    fn ids_made_from_names_are_plain_and_free() {
        let taken: HashSet<String> = ["payments".to_string()].into();
        assert_eq!(id_from_name("Payments", &taken), "payments-2");
        assert_eq!(id_from_name("  Été / nuit ", &taken), "t-nuit");
        assert_eq!(id_from_name("!!!", &taken), "rotation");
    }
}
