//! Escalation policies from the cache, and where an incident stands in its policy.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use super::{parse_ts, Store};
use crate::error::{Error, Result};
use crate::escalation::{self, EscalationOutlook, Position, Roster};
use crate::model::{Action, Id, Incident, IncidentDetail};
use crate::provider::{PolicyRecord, RuleRecord, RuleTarget};
use crate::schedule;

/// Timeline kinds after which a new walk through the levels begins.
const ANCHOR_KINDS: &[&str] = &["trigger", "escalate", "assign", "reassign", "unacknowledge"];

impl Store {
    /// An incident's place in its escalation policy and where it goes next, when the cache
    /// holds the policy (PagerDuty); None for providers without policies.
    pub fn escalation_outlook(
        &self,
        incident_id: Id,
        now: DateTime<Utc>,
    ) -> Result<Option<EscalationOutlook>> {
        let detail = self.incident_detail(incident_id)?;
        let incident = &detail.incident;
        let Some(policy_id) = incident.escalation_policy_id.as_deref() else {
            return Ok(None);
        };

        let conn = self.conn();
        let Some(policy) = load_policy(&conn, incident.account_id, policy_id)? else {
            return Ok(None);
        };
        let rows = CachedRoster::load(&conn, incident.account_id)?;
        drop(conn);
        let roster = RenderedRoster {
            store: self,
            account: incident.account_id,
            fallback: rows,
        };

        let position = position(&detail, &policy, &roster, now);
        Ok(escalation::outlook(&policy, &position, now, &roster))
    }

    /// An escalation to a level the incident's cached policy does not have is refused here,
    /// before anything is queued; without a cached policy the provider decides.
    pub(crate) fn check_escalation_level(
        &self,
        incident: &Incident,
        action: &Action,
    ) -> Result<()> {
        let (Action::Escalate { level }, Some(policy_id)) =
            (action, incident.escalation_policy_id.as_deref())
        else {
            return Ok(());
        };
        let Some(policy) = self.escalation_policy(incident.account_id, policy_id)? else {
            return Ok(());
        };

        let levels = policy.rules.len();
        if levels > 0 && *level as usize > levels {
            let name = &policy.name;
            return Err(Error::Invalid(format!(
                "the escalation policy {name} has {levels} level(s); choose 1 to {levels}"
            )));
        }
        Ok(())
    }

    /// A cached policy with its levels in order.
    pub fn escalation_policy(&self, account: Id, policy_id: &str) -> Result<Option<PolicyRecord>> {
        load_policy(&self.conn(), account, policy_id)
    }
}

pub(super) fn load_policy(
    conn: &Connection,
    account: Id,
    policy_id: &str,
) -> Result<Option<PolicyRecord>> {
    let head = conn
        .query_row(
            "SELECT name, num_loops FROM escalation_policies
             WHERE account_id = ?1 AND provider_id = ?2",
            params![account, policy_id],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
        )
        .optional()?;
    let Some((name, num_loops)) = head else {
        return Ok(None);
    };

    let mut stmt = conn.prepare_cached(
        "SELECT delay_minutes, targets FROM escalation_rules
         WHERE account_id = ?1 AND policy_id = ?2 ORDER BY position",
    )?;
    let rules = stmt
        .query_map(params![account, policy_id], |r| {
            let targets: String = r.get(1)?;
            Ok(RuleRecord {
                delay_minutes: r.get(0)?,
                // A row written by an older version with another shape reads as no targets.
                targets: serde_json::from_str(&targets).unwrap_or_default(),
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(PolicyRecord {
        provider_id: policy_id.to_string(),
        name,
        num_loops,
        rules,
    }))
}

/// Where the walk starts: the last time a person or the provider moved the incident to a
/// level (or triggered it), and which level that was.
fn position(
    detail: &IncidentDetail,
    policy: &PolicyRecord,
    roster: &dyn Roster,
    now: DateTime<Utc>,
) -> Position {
    let incident = &detail.incident;
    let anchor = detail
        .timeline
        .iter()
        .rev()
        .find(|e| ANCHOR_KINDS.contains(&e.kind.as_str()) && e.at <= now);
    let at = anchor.map_or(incident.created_at, |e| e.at);

    let level = match anchor {
        None => 1,
        Some(e) if e.kind == "trigger" => 1,
        Some(e) => stated_level(&e.summary)
            .or_else(|| assignee_level(detail, policy, roster, at))
            .unwrap_or(1),
    };
    Position {
        status: incident.status,
        anchor: at,
        anchor_level: level,
    }
}

/// "Escalated to level 2 …", as Tocsin and PagerDuty both word it.
fn stated_level(summary: &str) -> Option<u32> {
    let lower = summary.to_ascii_lowercase();
    let rest = &lower[lower.find("level ")? + "level ".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok().filter(|n| *n >= 1)
}

/// The first level whose people include one of the incident's assignees.
fn assignee_level(
    detail: &IncidentDetail,
    policy: &PolicyRecord,
    roster: &dyn Roster,
    at: DateTime<Utc>,
) -> Option<u32> {
    let assignees: Vec<&str> = detail
        .incident
        .assignees
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    (1..=policy.rules.len() as u32).find(|level| {
        policy.rules[(*level - 1) as usize].targets.iter().any(|t| {
            roster
                .people(&policy.provider_id, *level, t, at)
                .iter()
                .any(|p| assignees.contains(&p.as_str()))
        })
    })
}

/// Who is on call, from the schedules' cached definitions rendered locally at the instant
/// asked about; the provider's on-call rows where a schedule has no definition cached (a
/// token that may not read schedules), does not render, or renders nobody.
struct RenderedRoster<'a> {
    store: &'a Store,
    /// The policy's account: its schedules are the ones its targets name.
    account: Id,
    fallback: CachedRoster,
}

impl Roster for RenderedRoster<'_> {
    fn people(
        &self,
        policy: &str,
        level: u32,
        target: &RuleTarget,
        at: DateTime<Utc>,
    ) -> Vec<String> {
        if target.kind != "schedule" {
            return vec![target.name.clone()];
        }
        let rendered = self
            .store
            .schedule_detail_in(self.account, &target.id)
            .and_then(|detail| schedule::explain(&detail.def, at));
        // A rendered gap is not taken over the provider's word that someone is on call (an
        // override made since the last read, say): the provider's rows decide then.
        match rendered.ok().and_then(|e| e.on_call) {
            Some(user) => vec![user.name],
            None => self.fallback.people(policy, level, target, at),
        }
    }
}

/// Who is on call, from the provider's on-call rows in the cache. They cover the window the
/// provider answered for (now, typically); outside it a schedule target has nobody known.
struct CachedRoster {
    rows: Vec<RosterRow>,
}

struct RosterRow {
    user_name: String,
    schedule_id: Option<String>,
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
}

impl CachedRoster {
    fn load(conn: &Connection, account: Id) -> Result<CachedRoster> {
        let mut stmt = conn.prepare_cached(
            "SELECT user_name, schedule_id, start_at, end_at FROM oncalls WHERE account_id = ?1",
        )?;
        let rows = stmt
            .query_map([account], |r| {
                let time = |s: Option<String>| s.as_deref().and_then(parse_ts);
                Ok(RosterRow {
                    user_name: r.get(0)?,
                    schedule_id: r.get(1)?,
                    start: time(r.get(2)?),
                    end: time(r.get(3)?),
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(CachedRoster { rows })
    }
}

impl Roster for CachedRoster {
    fn people(&self, _: &str, _: u32, target: &RuleTarget, at: DateTime<Utc>) -> Vec<String> {
        if target.kind != "schedule" {
            return vec![target.name.clone()];
        }

        let mut people: Vec<String> = self
            .rows
            .iter()
            .filter(|r| r.schedule_id.as_deref() == Some(target.id.as_str()))
            .filter(|r| r.start.is_none_or(|s| s <= at) && r.end.is_none_or(|e| e > at))
            .map(|r| r.user_name.clone())
            .collect();
        people.sort();
        people.dedup();
        people
    }
}

#[cfg(test)]
mod tests {
    use super::stated_level;

    #[test]
    fn the_level_is_read_from_escalation_wording() {
        assert_eq!(stated_level("Escalated to level 2 by Ada"), Some(2));
        assert_eq!(stated_level("Escalated to Level 12"), Some(12));
        assert_eq!(stated_level("Escalated to level 0"), None);
        assert_eq!(stated_level("Reassigned to Grace"), None);
    }
}
