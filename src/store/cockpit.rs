//! The cockpit's tables: severities, mappings, checklist templates, and per incident the
//! checklist, roles and decision log. Every event also goes to `log_entries` in the same
//! transaction, so the incident's timeline writes itself.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};

use super::{parse_ts, ts, Store};
use crate::cockpit::{
    self, severity, Checklist, Cockpit, CockpitItem, CockpitNote, FollowUp, NoteKind, Role,
    RoleAssignment, Severity, SeverityMapping,
};
use crate::error::{Error, Result};
use crate::model::{Id, Urgency};

/// The longest priority name kept in a mapping, in characters.
const MAX_PRIORITY_CHARS: usize = 100;

impl Store {
    /// SEV-1..SEV-4: the shipped defaults with a person's edits over them.
    pub fn severities(&self) -> Result<Vec<Severity>> {
        let conn = self.conn();
        (1..=4).map(|level| severity_in(&conn, level)).collect()
    }

    /// Replaces one severity's meaning and targets after validating them.
    pub fn set_severity(&self, severity: &Severity) -> Result<Severity> {
        let s = severity.validate()?;
        self.conn().execute(
            "INSERT INTO severities (level, meaning, ack_minutes, first_update_minutes,
                                     update_every_minutes, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT DO UPDATE SET meaning = excluded.meaning,
                 ack_minutes = excluded.ack_minutes,
                 first_update_minutes = excluded.first_update_minutes,
                 update_every_minutes = excluded.update_every_minutes,
                 updated_at = excluded.updated_at",
            params![
                s.level,
                s.meaning,
                s.ack_minutes,
                s.first_update_minutes,
                s.update_every_minutes,
                ts(Utc::now())
            ],
        )?;
        Ok(s)
    }

    /// How each severity maps onto the account's urgency and priority; SEV-1 and SEV-2 are
    /// high urgency and no priority unless a person said otherwise.
    pub fn severity_mapping(&self, account: Id) -> Result<Vec<SeverityMapping>> {
        let conn = self.conn();
        require_account(&conn, account)?;
        let mut stmt = conn.prepare_cached(
            "SELECT urgency, priority FROM severity_mappings WHERE account_id = ?1 AND level = ?2",
        )?;
        (1..=4u8)
            .map(|level| {
                let row: Option<(String, Option<String>)> = stmt
                    .query_row(params![account, level], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?;
                let (urgency, priority) = match row {
                    Some((u, p)) => (Urgency::parse(&u), p),
                    None => (severity::default_urgency(level), None),
                };
                Ok(SeverityMapping {
                    account_id: account,
                    level,
                    urgency,
                    priority,
                })
            })
            .collect()
    }

    /// Sets how one severity maps onto an account's urgency and priority (an empty priority
    /// means none).
    pub fn set_severity_mapping(&self, mapping: &SeverityMapping) -> Result<SeverityMapping> {
        cockpit::level(mapping.level)?;
        let priority = match mapping.priority.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(p) => Some(cockpit::bounded(p, "a priority name", MAX_PRIORITY_CHARS)?),
        };
        let conn = self.conn();
        require_account(&conn, mapping.account_id)?;
        conn.execute(
            "INSERT INTO severity_mappings (account_id, level, urgency, priority)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT DO UPDATE SET urgency = excluded.urgency, priority = excluded.priority",
            params![
                mapping.account_id,
                mapping.level,
                mapping.urgency.as_str(),
                priority
            ],
        )?;
        Ok(SeverityMapping {
            priority,
            ..mapping.clone()
        })
    }

    /// The checklist template for a severity: a person's import, else the shipped default.
    pub fn checklist(&self, level: u8) -> Result<Checklist> {
        checklist_in(&self.conn(), level)
    }

    /// Replaces a severity's checklist template after validating it. Cockpits already started
    /// keep the copy they took.
    pub fn set_checklist(&self, level: u8, checklist: &Checklist) -> Result<Checklist> {
        cockpit::level(level)?;
        let checklist = checklist.validate()?;
        let json = serde_json::to_string(&checklist).expect("a checklist serialises");
        self.conn().execute(
            "INSERT INTO checklists (level, checklist, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT DO UPDATE SET checklist = excluded.checklist,
                                       updated_at = excluded.updated_at",
            params![level, json, ts(Utc::now())],
        )?;
        Ok(checklist)
    }

    /// Brings back the shipped checklist for a severity.
    pub fn reset_checklist(&self, level: u8) -> Result<Checklist> {
        cockpit::level(level)?;
        self.conn()
            .execute("DELETE FROM checklists WHERE level = ?1", [level])?;
        Checklist::default_for(level)
    }

    /// Starts the cockpit for an incident: records its severity, copies that severity's
    /// checklist onto it and schedules the first stakeholder update.
    pub fn start_command(&self, incident: Id, level: u8, by: &str) -> Result<()> {
        cockpit::level(level)?;
        let by = cockpit::person(by)?;
        let now = Utc::now();
        let mut conn = self.conn();
        let tx = write_tx(&mut conn)?;
        require_incident(&tx, incident)?;
        if cockpit_severity(&tx, incident)?.is_some() {
            return Err(Error::Invalid(format!(
                "the cockpit of incident {incident} is running already; change its severity instead"
            )));
        }

        let severity = severity_in(&tx, level)?;
        let checklist = checklist_in(&tx, level)?;
        tx.execute(
            "INSERT INTO cockpits (incident_id, severity, checklist_title, started_at, started_by)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![incident, level, checklist.title, ts(now), by],
        )?;
        copy_items(&tx, incident, &checklist)?;
        let summary = format!(
            "Response started at {}: {}",
            severity.name(),
            severity.meaning
        );
        log_event(&tx, incident, "cockpit_start", &summary, &by, now)?;

        let first = Duration::minutes(severity.first_update_minutes.into());
        super::timers::schedule_update(&tx, incident, now + first, &by, now)?;
        tx.commit()?;
        tracing::info!(incident, level, "cockpit started");
        Ok(())
    }

    /// Everything the commander's screen shows.
    pub fn cockpit(&self, incident: Id) -> Result<Cockpit> {
        let conn = self.conn();
        let row = conn
            .query_row(
                "SELECT severity, checklist_title, started_at, started_by FROM cockpits
                 WHERE incident_id = ?1",
                [incident],
                |r| {
                    Ok((
                        r.get::<_, u8>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                    ))
                },
            )
            .optional()?;
        let Some((level, checklist_title, started_at, started_by)) = row else {
            return Err(no_cockpit(incident));
        };

        let started_at = parse_ts(&started_at).unwrap_or_default();
        Ok(Cockpit {
            incident_id: incident,
            severity: severity_in(&conn, level)?,
            checklist_title,
            started_at,
            started_by,
            items: items(&conn, incident, started_at)?,
            roles: roles(&conn, incident)?,
            timers: super::timers::pending(&conn, Some(incident))?,
            notes: notes(&conn, incident)?,
        })
    }

    /// Changes a running cockpit's severity. A pending stakeholder update due later than the
    /// new cadence allows is brought forward; the checklist already copied stays.
    pub fn set_incident_severity(&self, incident: Id, level: u8, by: &str) -> Result<()> {
        cockpit::level(level)?;
        let by = cockpit::person(by)?;
        let now = Utc::now();
        let mut conn = self.conn();
        let tx = write_tx(&mut conn)?;
        let Some(old) = cockpit_severity(&tx, incident)? else {
            return Err(no_cockpit(incident));
        };
        if old == level {
            return Err(Error::Invalid(format!(
                "the incident is SEV-{level} already"
            )));
        }

        tx.execute(
            "UPDATE cockpits SET severity = ?2 WHERE incident_id = ?1",
            params![incident, level],
        )?;
        let cadence = Duration::minutes(severity_in(&tx, level)?.update_every_minutes.into());
        tx.execute(
            "UPDATE cockpit_timers SET due_at = MIN(due_at, ?2)
             WHERE incident_id = ?1 AND kind = 'update' AND fired_at IS NULL
               AND cancelled_at IS NULL",
            params![incident, ts(now + cadence)],
        )?;
        let summary = format!("Severity changed from SEV-{old} to SEV-{level}");
        log_event(&tx, incident, "cockpit_severity", &summary, &by, now)?;
        tx.commit()?;
        tracing::info!(incident, old, level, "severity changed");
        Ok(())
    }

    /// Ticks (`done`) or unticks a checklist item, recording who and when.
    pub fn set_item_done(&self, incident: Id, position: u32, done: bool, by: &str) -> Result<()> {
        let by = cockpit::person(by)?;
        let now = Utc::now();
        let mut conn = self.conn();
        let tx = write_tx(&mut conn)?;
        require_cockpit(&tx, incident)?;
        let item: Option<(String, Option<String>)> = tx
            .query_row(
                "SELECT text, done_by FROM cockpit_items WHERE incident_id = ?1 AND position = ?2",
                params![incident, position],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((text, done_by)) = item else {
            return Err(Error::NotFound(format!("checklist item {position}")));
        };

        match (done, done_by) {
            (true, Some(who)) => {
                return Err(Error::Invalid(format!(
                    "item {position} is ticked already, by {who}"
                )))
            }
            (false, None) => {
                return Err(Error::Invalid(format!("item {position} is not ticked")));
            }
            _ => {}
        }
        let (done_at, done_by) = if done {
            (Some(ts(now)), Some(by.clone()))
        } else {
            (None, None)
        };
        tx.execute(
            "UPDATE cockpit_items SET done_at = ?3, done_by = ?4
             WHERE incident_id = ?1 AND position = ?2",
            params![incident, position, done_at, done_by],
        )?;
        let (kind, verb) = if done {
            ("cockpit_check", "Done")
        } else {
            ("cockpit_uncheck", "Not done after all")
        };
        let summary = format!("{verb}: {position}. {text}");
        log_event(&tx, incident, kind, &summary, &by, now)?;
        tx.commit()?;
        Ok(())
    }

    /// Gives a role to a person. A role one person holds at a time is refused while someone
    /// holds it: that is a handover, which the timeline records as "from A to B".
    pub fn assign_role(&self, incident: Id, role: Role, person: &str, by: &str) -> Result<()> {
        let person = cockpit::person(person)?;
        let by = cockpit::person(by)?;
        let now = Utc::now();
        let mut conn = self.conn();
        let tx = write_tx(&mut conn)?;
        require_cockpit(&tx, incident)?;
        let holders = holders(&tx, incident, role)?;
        if let Some(same) = holders.iter().find(|h| h.eq_ignore_ascii_case(&person)) {
            return Err(Error::Invalid(format!(
                "{same} is {} already",
                role.title()
            )));
        }
        if let (true, Some(holder)) = (role.is_single(), holders.first()) {
            return Err(Error::Invalid(format!(
                "{holder} is {}; hand the role over instead",
                role.title()
            )));
        }

        insert_role(&tx, incident, role, &person, &by, now)?;
        let summary = format!("{person} is {}", role.title());
        log_event(&tx, incident, "cockpit_role", &summary, &by, now)?;
        tx.commit()?;
        Ok(())
    }

    /// Hands a role to `to` from its holder (`from`, needed only when several people hold
    /// it), recorded on the timeline as "from A to B".
    pub fn hand_over(
        &self,
        incident: Id,
        role: Role,
        to: &str,
        from: Option<&str>,
        by: &str,
    ) -> Result<()> {
        let to = cockpit::person(to)?;
        let by = cockpit::person(by)?;
        let now = Utc::now();
        let mut conn = self.conn();
        let tx = write_tx(&mut conn)?;
        require_cockpit(&tx, incident)?;
        let holders = holders(&tx, incident, role)?;
        let from = handing_over(&holders, role, from)?;
        if holders.iter().any(|h| h.eq_ignore_ascii_case(&to)) {
            return Err(Error::Invalid(format!("{to} is {} already", role.title())));
        }

        tx.execute(
            "DELETE FROM cockpit_roles WHERE incident_id = ?1 AND role = ?2 AND person = ?3",
            params![incident, role.as_str(), from],
        )?;
        insert_role(&tx, incident, role, &to, &by, now)?;
        let summary = format!(
            "{} handed over from {from} to {to}",
            capitalised(role.title())
        );
        log_event(&tx, incident, "cockpit_handover", &summary, &by, now)?;
        tx.commit()?;
        tracing::info!(incident, role = role.as_str(), "role handed over");
        Ok(())
    }

    /// Records a decision, a note or a stakeholder update. Recording an update schedules the
    /// next one from the severity's cadence, replacing the pending reminder.
    pub fn add_cockpit_note(
        &self,
        incident: Id,
        kind: NoteKind,
        text: &str,
        by: &str,
    ) -> Result<CockpitNote> {
        let text = cockpit::bounded(text, "the text", cockpit::MAX_NOTE_CHARS)?;
        let by = cockpit::person(by)?;
        let now = Utc::now();
        let mut conn = self.conn();
        let tx = write_tx(&mut conn)?;
        let Some(level) = cockpit_severity(&tx, incident)? else {
            return Err(no_cockpit(incident));
        };

        tx.execute(
            "INSERT INTO cockpit_notes (incident_id, kind, text, at, by)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![incident, kind.as_str(), text, ts(now), by],
        )?;
        let id = tx.last_insert_rowid();
        let log_kind = format!("cockpit_{}", kind.as_str());
        log_event(&tx, incident, &log_kind, &text, &by, now)?;
        if kind == NoteKind::Update {
            let every = severity_in(&tx, level)?.update_every_minutes;
            let due = now + Duration::minutes(every.into());
            super::timers::schedule_update(&tx, incident, due, &by, now)?;
        }
        tx.commit()?;
        Ok(CockpitNote {
            id,
            incident_id: incident,
            kind,
            text,
            at: parse_ts(&ts(now)).unwrap_or(now),
            by,
        })
    }

    /// The follow-ups of an incident: `TODO` lines of its decisions and notes, oldest first.
    pub fn followups(&self, incident: Id) -> Result<Vec<FollowUp>> {
        let conn = self.conn();
        require_cockpit(&conn, incident)?;
        let notes = notes(&conn, incident)?;
        let followups = notes
            .into_iter()
            .filter(|n| n.kind != NoteKind::Update)
            .flat_map(|n| {
                cockpit::todo_lines(&n.text)
                    .into_iter()
                    .map(move |text| FollowUp {
                        incident_id: incident,
                        note_id: n.id,
                        text,
                        at: n.at,
                        by: n.by.clone(),
                    })
            })
            .collect();
        Ok(followups)
    }
}

/// A write transaction that takes the write lock at once, so a read-then-write inside it
/// waits for another process (busy timeout) instead of failing on a stale snapshot.
pub(super) fn write_tx(conn: &mut Connection) -> Result<Transaction<'_>> {
    Ok(conn.transaction_with_behavior(TransactionBehavior::Immediate)?)
}

/// One cockpit event on the incident's timeline.
pub(super) fn log_event(
    tx: &Transaction<'_>,
    incident: Id,
    kind: &str,
    summary: &str,
    by: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
        "INSERT INTO log_entries (incident_id, provider_id, kind, at, summary, agent)
         VALUES (?1, NULL, ?2, ?3, ?4, ?5)",
        params![incident, kind, ts(at), summary, by],
    )?;
    Ok(())
}

pub(super) fn no_cockpit(incident: Id) -> Error {
    Error::NotFound(format!(
        "cockpit of incident {incident}; start one with `tocsin command start {incident} --sev N`"
    ))
}

pub(super) fn require_cockpit(conn: &Connection, incident: Id) -> Result<()> {
    match cockpit_severity(conn, incident)? {
        Some(_) => Ok(()),
        None => Err(no_cockpit(incident)),
    }
}

pub(super) fn severity_in(conn: &Connection, level: u8) -> Result<Severity> {
    cockpit::level(level)?;
    let edited = conn
        .query_row(
            "SELECT meaning, ack_minutes, first_update_minutes, update_every_minutes
             FROM severities WHERE level = ?1",
            [level],
            |r| {
                Ok(Severity {
                    level,
                    meaning: r.get(0)?,
                    ack_minutes: r.get(1)?,
                    first_update_minutes: r.get(2)?,
                    update_every_minutes: r.get(3)?,
                })
            },
        )
        .optional()?;
    Ok(edited.unwrap_or_else(|| severity::defaults()[level as usize - 1].clone()))
}

fn checklist_in(conn: &Connection, level: u8) -> Result<Checklist> {
    cockpit::level(level)?;
    let json: Option<String> = conn
        .query_row(
            "SELECT checklist FROM checklists WHERE level = ?1",
            [level],
            |r| r.get(0),
        )
        .optional()?;
    match json {
        Some(json) => serde_json::from_str(&json).map_err(|e| {
            Error::Invalid(format!(
                "the stored SEV-{level} checklist is unreadable: {e}"
            ))
        }),
        None => Checklist::default_for(level),
    }
}

fn cockpit_severity(conn: &Connection, incident: Id) -> Result<Option<u8>> {
    Ok(conn
        .query_row(
            "SELECT severity FROM cockpits WHERE incident_id = ?1",
            [incident],
            |r| r.get(0),
        )
        .optional()?)
}

fn require_incident(conn: &Connection, incident: Id) -> Result<()> {
    let exists: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM incidents WHERE id = ?1)",
        [incident],
        |r| r.get(0),
    )?;
    if !exists {
        return Err(Error::NotFound(format!("incident {incident}")));
    }
    Ok(())
}

fn require_account(conn: &Connection, account: Id) -> Result<()> {
    let exists: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM accounts WHERE id = ?1)",
        [account],
        |r| r.get(0),
    )?;
    if !exists {
        return Err(Error::NotFound(format!("account {account}")));
    }
    Ok(())
}

fn copy_items(tx: &Transaction<'_>, incident: Id, checklist: &Checklist) -> Result<()> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO cockpit_items (incident_id, position, text, role, due_minutes)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (n, item) in checklist.items.iter().enumerate() {
        stmt.execute(params![
            incident,
            n as i64 + 1,
            item.text,
            item.role.map(Role::as_str),
            item.due_minutes
        ])?;
    }
    Ok(())
}

fn items(conn: &Connection, incident: Id, started: DateTime<Utc>) -> Result<Vec<CockpitItem>> {
    let mut stmt = conn.prepare_cached(
        "SELECT position, text, role, due_minutes, done_at, done_by FROM cockpit_items
         WHERE incident_id = ?1 ORDER BY position",
    )?;
    let rows = stmt.query_map([incident], |r| {
        let due_minutes: Option<u32> = r.get(3)?;
        Ok(CockpitItem {
            position: r.get(0)?,
            text: r.get(1)?,
            role: r
                .get::<_, Option<String>>(2)?
                .and_then(|s| Role::parse(&s).ok()),
            due_minutes,
            due_at: due_minutes.map(|m| started + Duration::minutes(m.into())),
            done_at: r.get::<_, Option<String>>(4)?.as_deref().and_then(parse_ts),
            done_by: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn roles(conn: &Connection, incident: Id) -> Result<Vec<RoleAssignment>> {
    let mut stmt = conn.prepare_cached(
        "SELECT role, person, assigned_at, assigned_by FROM cockpit_roles
         WHERE incident_id = ?1 ORDER BY assigned_at, person",
    )?;
    let rows = stmt.query_map([incident], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
    })?;
    let mut roles = Vec::new();
    for row in rows {
        let (role, person, at, by): (String, String, String, String) = row?;
        // A role this build does not know (written by a newer Tocsin) is left out.
        let Ok(role) = Role::parse(&role) else {
            continue;
        };
        roles.push(RoleAssignment {
            role,
            person,
            assigned_at: parse_ts(&at).unwrap_or_default(),
            assigned_by: by,
        });
    }
    // The command structure reads top down: commander first, experts last.
    roles.sort_by_key(|a| Role::ALL.iter().position(|r| *r == a.role));
    Ok(roles)
}

fn holders(conn: &Connection, incident: Id, role: Role) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT person FROM cockpit_roles WHERE incident_id = ?1 AND role = ?2
         ORDER BY assigned_at",
    )?;
    let rows = stmt.query_map(params![incident, role.as_str()], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Who hands `role` over: `from` when given (it must hold the role), else the only holder.
fn handing_over(holders: &[String], role: Role, from: Option<&str>) -> Result<String> {
    let title = role.title();
    match from.map(str::trim) {
        Some(from) => holders
            .iter()
            .find(|h| h.eq_ignore_ascii_case(from))
            .cloned()
            .ok_or_else(|| Error::Invalid(format!("{from} is not {title}"))),
        None => match holders {
            [] => Err(Error::Invalid(format!(
                "nobody is {title} yet; assign the role instead"
            ))),
            [only] => Ok(only.clone()),
            _ => Err(Error::Invalid(format!(
                "several people are {title}; say who hands over"
            ))),
        },
    }
}

fn insert_role(
    tx: &Transaction<'_>,
    incident: Id,
    role: Role,
    person: &str,
    by: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
        "INSERT INTO cockpit_roles (incident_id, role, person, assigned_at, assigned_by)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![incident, role.as_str(), person, ts(at), by],
    )?;
    Ok(())
}

fn notes(conn: &Connection, incident: Id) -> Result<Vec<CockpitNote>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, kind, text, at, by FROM cockpit_notes WHERE incident_id = ?1
         ORDER BY at, id",
    )?;
    let rows = stmt.query_map([incident], |r| {
        Ok(CockpitNote {
            id: r.get(0)?,
            incident_id: incident,
            kind: NoteKind::parse(&r.get::<_, String>(1)?),
            text: r.get(2)?,
            at: parse_ts(&r.get::<_, String>(3)?).unwrap_or_default(),
            by: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::store_with_drill as drill;

    fn kinds(store: &Store, incident: Id) -> Vec<String> {
        let detail = store.incident_detail(incident).unwrap();
        detail.timeline.into_iter().map(|e| e.kind).collect()
    }

    fn summaries(store: &Store, incident: Id, kind: &str) -> Vec<String> {
        let detail = store.incident_detail(incident).unwrap();
        detail
            .timeline
            .into_iter()
            .filter(|e| e.kind == kind)
            .map(|e| e.summary)
            .collect()
    }

    #[test]
    fn starting_copies_the_checklist_and_schedules_the_first_update() {
        let (_dir, store, id) = drill();
        store.start_command(id, 1, "Ana").unwrap();

        let cockpit = store.cockpit(id).unwrap();
        let template = Checklist::default_for(1).unwrap();
        assert_eq!(cockpit.severity.level, 1);
        assert_eq!(cockpit.checklist_title, template.title);
        assert_eq!(cockpit.items.len(), template.items.len());
        assert_eq!(cockpit.items[0].position, 1);
        assert_eq!(
            cockpit.items[0].due_at,
            Some(cockpit.started_at + Duration::minutes(5))
        );
        assert_eq!(cockpit.timers.len(), 1);
        assert_eq!(cockpit.timers[0].kind, cockpit::TimerKind::Update);
        assert_eq!(
            cockpit.timers[0].due_at,
            cockpit.started_at + Duration::minutes(15)
        );
        assert_eq!(
            kinds(&store, id),
            ["trigger", "cockpit_start", "cockpit_timer"]
        );

        let again = store.start_command(id, 2, "Ana").unwrap_err();
        assert_eq!(again.code(), "invalid");
        assert_eq!(
            store.start_command(9999, 1, "Ana").unwrap_err().code(),
            "not_found"
        );
    }

    #[test]
    fn items_are_ticked_and_unticked_by_someone() {
        let (_dir, store, id) = drill();
        store.start_command(id, 2, "Ana").unwrap();
        store.set_item_done(id, 2, true, "Bo").unwrap();

        let item = &store.cockpit(id).unwrap().items[1];
        assert_eq!(item.done_by.as_deref(), Some("Bo"));
        assert!(item.done_at.is_some());
        let twice = store.set_item_done(id, 2, true, "Ana").unwrap_err();
        assert!(
            twice.to_string().contains("ticked already, by Bo"),
            "{twice}"
        );

        store.set_item_done(id, 2, false, "Ana").unwrap();
        let item = &store.cockpit(id).unwrap().items[1];
        assert_eq!((item.done_at, item.done_by.as_deref()), (None, None));
        assert_eq!(
            store.set_item_done(id, 99, true, "Ana").unwrap_err().code(),
            "not_found"
        );
        let timeline = kinds(&store, id);
        assert!(timeline.ends_with(&["cockpit_check".into(), "cockpit_uncheck".into()]));
    }

    #[test]
    fn a_handover_goes_on_the_timeline_from_a_to_b() {
        let (_dir, store, id) = drill();
        store.start_command(id, 1, "Ana").unwrap();
        store
            .assign_role(id, Role::Commander, "Ana", "Ana")
            .unwrap();
        let taken = store
            .assign_role(id, Role::Commander, "Bo", "Bo")
            .unwrap_err();
        assert!(taken.to_string().contains("hand the role over"), "{taken}");

        store
            .hand_over(id, Role::Commander, "Bo", None, "Ana")
            .unwrap();
        let roles = store.cockpit(id).unwrap().roles;
        assert_eq!(roles.len(), 1);
        assert_eq!(
            (roles[0].role, roles[0].person.as_str()),
            (Role::Commander, "Bo")
        );
        assert_eq!(
            summaries(&store, id, "cockpit_handover"),
            ["Incident commander handed over from Ana to Bo"]
        );
        assert_eq!(
            summaries(&store, id, "cockpit_role"),
            ["Ana is incident commander"]
        );
    }

    #[test]
    fn experts_are_several_and_hand_over_by_name() {
        let (_dir, store, id) = drill();
        store.start_command(id, 2, "Ana").unwrap();
        store.assign_role(id, Role::Expert, "Cy", "Ana").unwrap();
        store.assign_role(id, Role::Expert, "Di", "Ana").unwrap();
        assert!(store.assign_role(id, Role::Expert, "cy", "Ana").is_err());
        let which = store
            .hand_over(id, Role::Expert, "Ed", None, "Ana")
            .unwrap_err();
        assert!(which.to_string().contains("say who hands over"), "{which}");
        let nobody = store
            .hand_over(id, Role::Scribe, "Ed", None, "Ana")
            .unwrap_err();
        assert!(
            nobody.to_string().contains("assign the role instead"),
            "{nobody}"
        );

        store
            .hand_over(id, Role::Expert, "Ed", Some("di"), "Ana")
            .unwrap();
        let experts: Vec<String> = store
            .cockpit(id)
            .unwrap()
            .roles
            .into_iter()
            .map(|r| r.person)
            .collect();
        assert_eq!(experts.len(), 2);
        assert!(experts.contains(&"Cy".to_string()) && experts.contains(&"Ed".to_string()));
    }

    #[test]
    fn todo_lines_of_decisions_and_notes_become_follow_ups() {
        let (_dir, store, id) = drill();
        store.start_command(id, 2, "Ana").unwrap();
        store
            .add_cockpit_note(
                id,
                NoteKind::Decision,
                "Roll back 4f2a\nTODO: alert on queue depth",
                "Ana",
            )
            .unwrap();
        store
            .add_cockpit_note(id, NoteKind::Note, "TODO page the DBA sooner", "Bo")
            .unwrap();
        store
            .add_cockpit_note(id, NoteKind::Update, "TODO is not for updates", "Bo")
            .unwrap();

        let followups = store.followups(id).unwrap();
        let texts: Vec<&str> = followups.iter().map(|f| f.text.as_str()).collect();
        assert_eq!(texts, ["alert on queue depth", "page the DBA sooner"]);
        assert_eq!(followups[1].by, "Bo");
        let timeline = kinds(&store, id);
        for kind in ["cockpit_decision", "cockpit_note", "cockpit_update"] {
            assert!(timeline.contains(&kind.to_string()), "{kind} missing");
        }
    }

    #[test]
    fn recording_an_update_schedules_the_next_from_the_cadence() {
        let (_dir, store, id) = drill();
        store.start_command(id, 1, "Ana").unwrap();
        let note = store
            .add_cockpit_note(id, NoteKind::Update, "Mitigated; next update soon", "Ana")
            .unwrap();

        let timers = store.cockpit(id).unwrap().timers;
        assert_eq!(timers.len(), 1, "the old reminder is replaced");
        assert_eq!(timers[0].due_at, note.at + Duration::minutes(30));
    }

    #[test]
    fn a_worse_severity_brings_the_next_update_forward() {
        let (_dir, store, id) = drill();
        store.start_command(id, 4, "Ana").unwrap();
        store.set_incident_severity(id, 1, "Ana").unwrap();

        let cockpit = store.cockpit(id).unwrap();
        assert_eq!(cockpit.severity.level, 1);
        let due = cockpit.timers[0].due_at;
        assert!(due <= Utc::now() + Duration::minutes(30), "{due}");
        assert_eq!(
            summaries(&store, id, "cockpit_severity"),
            ["Severity changed from SEV-4 to SEV-1"]
        );
        assert!(store.set_incident_severity(id, 1, "Ana").is_err());
    }

    #[test]
    fn severities_and_mappings_are_edited_and_kept() {
        let (_dir, store, _) = drill();
        let mut sev = store.severities().unwrap()[1].clone();
        sev.update_every_minutes = 45;
        store.set_severity(&sev).unwrap();
        assert_eq!(store.severities().unwrap()[1].update_every_minutes, 45);
        sev.ack_minutes = 0;
        assert_eq!(store.set_severity(&sev).unwrap_err().code(), "invalid");

        let account = store.local_account().unwrap().id;
        let urgencies: Vec<Urgency> = store
            .severity_mapping(account)
            .unwrap()
            .iter()
            .map(|m| m.urgency)
            .collect();
        assert_eq!(
            urgencies,
            [Urgency::High, Urgency::High, Urgency::Low, Urgency::Low]
        );
        let mapping = SeverityMapping {
            account_id: account,
            level: 3,
            urgency: Urgency::High,
            priority: Some(" P2 ".into()),
        };
        store.set_severity_mapping(&mapping).unwrap();
        let third = store.severity_mapping(account).unwrap()[2].clone();
        assert_eq!(
            (third.urgency, third.priority.as_deref()),
            (Urgency::High, Some("P2"))
        );
        assert_eq!(
            store.severity_mapping(4242).unwrap_err().code(),
            "not_found"
        );
    }

    #[test]
    fn an_imported_checklist_is_used_by_new_cockpits_only() {
        let (_dir, store, id) = drill();
        store.start_command(id, 3, "Ana").unwrap();
        let custom = Checklist::parse("title = \"Ours\"\n[[item]]\ntext = \"Just this\"").unwrap();
        store.set_checklist(3, &custom).unwrap();

        assert_eq!(store.checklist(3).unwrap(), custom);
        assert_ne!(store.cockpit(id).unwrap().checklist_title, "Ours");
        let shipped = store.reset_checklist(3).unwrap();
        assert_eq!(store.checklist(3).unwrap(), shipped);
        assert_eq!(shipped, Checklist::default_for(3).unwrap());
    }

    #[test]
    fn cockpit_writes_need_a_started_cockpit_and_change_nothing_when_refused() {
        let (_dir, store, id) = drill();
        let before = store.incident_detail(id).unwrap();
        let refusals = [
            store
                .assign_role(id, Role::Scribe, "Ana", "Ana")
                .unwrap_err(),
            store.set_item_done(id, 1, true, "Ana").unwrap_err(),
            store
                .add_cockpit_note(id, NoteKind::Decision, "x", "Ana")
                .unwrap_err(),
            store.cockpit(id).unwrap_err(),
        ];
        for err in refusals {
            assert_eq!(err.code(), "not_found", "{err}");
        }
        store.start_command(id, 2, "Ana").unwrap();
        let empty = store.add_cockpit_note(id, NoteKind::Decision, " ", "Ana");
        assert_eq!(empty.unwrap_err().code(), "invalid");
        assert_eq!(
            before.timeline.len() + 2,
            store.incident_detail(id).unwrap().timeline.len()
        );
    }
}
