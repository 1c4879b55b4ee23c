//! The postmortem tables: drafts and the incidents they cover, autosave with a revision check,
//! the version history, action items, dismissed hints, templates, review policy, and the
//! incident times the MTTA/MTTR report adds up.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};

use super::cockpit::write_tx;
use super::{parse_ts, ts, Store};
use crate::error::{Error, Result};
use crate::model::Id;
use crate::postmortem::stats::IncidentTimes;
use crate::postmortem::{
    self, is_overdue, ActionItem, ActionItemInput, ActionItemType, Postmortem, PostmortemListing,
    PostmortemStatus, PostmortemVersion, ReviewDue, ReviewPolicy, SaveOutcome, Template,
    VersionReason, MAX_ACTION_ITEMS,
};

const COLUMNS: &str = "id, title, body, template, status, severity, revision, review_due, \
                       created_at, updated_at";
const ACTION_COLUMNS: &str = "id, postmortem_id, description, owner, due_on, kind, tracker_url, \
                              done, note_id, created_at";

/// A postmortem as `create_postmortem` writes it, already filled from its template.
pub struct NewPostmortem<'a> {
    pub title: &'a str,
    pub body: &'a str,
    pub template: &'a str,
    pub severity: Option<u8>,
    pub incidents: &'a [Id],
    /// Follow-ups from the cockpit: (text, note id).
    pub follow_ups: Vec<(String, Id)>,
}

/// A postmortem field that a revision-checked write changes.
#[derive(Clone, Copy)]
enum Field {
    Body,
    Title,
}

impl Store {
    /// Writes a new postmortem, its incident links, its first version and the follow-ups as
    /// action items, in one transaction. The review due date comes from the severity's policy.
    pub fn create_postmortem(&self, new: &NewPostmortem<'_>, now: DateTime<Utc>) -> Result<Id> {
        let title = postmortem::title(new.title)?;
        let body = postmortem::body(new.body)?;
        let mut conn = self.conn();
        let tx = write_tx(&mut conn)?;
        let due = match new.severity {
            Some(level) => Some(policy_in(&tx, level)?.due(now.date_naive())),
            None => None,
        };
        tx.execute(
            "INSERT INTO postmortems (title, body, template, status, severity, revision,
                                      review_due, last_version_at, created_at, updated_at)
             VALUES (?1, ?2, ?3, 'draft', ?4, 1, ?5, ?6, ?6, ?6)",
            params![
                title,
                body,
                new.template,
                new.severity,
                due.map(|d| d.to_string()),
                ts(now)
            ],
        )?;
        let id = tx.last_insert_rowid();

        for (position, incident) in new.incidents.iter().enumerate() {
            tx.execute(
                "INSERT OR IGNORE INTO postmortem_incidents (postmortem_id, incident_id, position)
                 VALUES (?1, ?2, ?3)",
                params![id, incident, position as i64],
            )?;
        }
        // Follow-ups past the action-item cap are left out rather than refusing the start.
        for (text, note) in new.follow_ups.iter().take(MAX_ACTION_ITEMS) {
            let description: String = text.chars().take(postmortem::MAX_ACTION_CHARS).collect();
            tx.execute(
                "INSERT INTO postmortem_actions (postmortem_id, description, note_id, created_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![id, description, note, ts(now)],
            )?;
        }
        snapshot(&tx, id, VersionReason::Created, now)?;
        tx.commit()?;
        Ok(id)
    }

    pub fn postmortem(&self, id: Id) -> Result<Postmortem> {
        postmortem_in(&self.conn(), id)
    }

    /// Every postmortem, most recently edited first.
    pub fn postmortems(&self) -> Result<Vec<PostmortemListing>> {
        let conn = self.conn();
        let sql = format!(
            "SELECT {COLUMNS}, (SELECT count(*) FROM postmortem_actions a
                                WHERE a.postmortem_id = p.id AND a.done = 0)
             FROM postmortems p ORDER BY updated_at DESC, id DESC"
        );
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt.query_map([], |r| Ok((from_row(r)?, r.get::<_, u32>(10)?)))?;
        let rows: Vec<(Postmortem, u32)> = rows.collect::<Result<_, _>>()?;
        rows.into_iter()
            .map(|(mut pm, open)| {
                pm.incidents = incidents_in(&conn, pm.id)?;
                Ok(PostmortemListing {
                    id: pm.id,
                    title: pm.title,
                    status: pm.status,
                    severity: pm.severity,
                    incidents: pm.incidents,
                    review_due: pm.review_due,
                    overdue: pm.overdue,
                    open_action_items: open,
                    updated_at: pm.updated_at,
                })
            })
            .collect()
    }

    /// The postmortems that cover an incident.
    pub fn postmortems_of(&self, incident: Id) -> Result<Vec<Id>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT postmortem_id FROM postmortem_incidents WHERE incident_id = ?1
             ORDER BY postmortem_id",
        )?;
        let ids = stmt.query_map([incident], |r| r.get(0))?;
        Ok(ids.collect::<Result<_, _>>()?)
    }

    /// The autosave: replaces the body when `expected_revision` is still current, and keeps a
    /// version when the last one is older than `VERSION_EVERY`. One short transaction; a save
    /// from a window that missed another's save is refused as a conflict, never merged.
    pub fn save_postmortem(
        &self,
        id: Id,
        body: &str,
        expected_revision: i64,
        now: DateTime<Utc>,
    ) -> Result<SaveOutcome> {
        let body = postmortem::body(body)?;
        self.revise(id, Field::Body, body, expected_revision, now)
    }

    /// Changes the title, with the same revision check as a save.
    pub fn rename_postmortem(
        &self,
        id: Id,
        title: &str,
        expected_revision: i64,
        now: DateTime<Utc>,
    ) -> Result<SaveOutcome> {
        let title = postmortem::title(title)?;
        self.revise(id, Field::Title, &title, expected_revision, now)
    }

    /// Writes one field of an editable postmortem when `expected_revision` is still current,
    /// and bumps the revision: what a save and a rename share.
    fn revise(
        &self,
        id: Id,
        field: Field,
        value: &str,
        expected_revision: i64,
        now: DateTime<Utc>,
    ) -> Result<SaveOutcome> {
        let mut conn = self.conn();
        let tx = write_tx(&mut conn)?;
        postmortem::editable(&postmortem_in(&tx, id)?)?;
        let column = match field {
            Field::Body => "body",
            Field::Title => "title",
        };
        let changed = tx.execute(
            &format!(
                "UPDATE postmortems SET {column} = ?1, revision = revision + 1, updated_at = ?2
                 WHERE id = ?3 AND revision = ?4"
            ),
            params![value, ts(now), id, expected_revision],
        )?;
        if changed == 0 {
            return Err(stale(&tx, id, expected_revision));
        }
        let outcome = after_save(&tx, id, now)?;
        tx.commit()?;
        Ok(outcome)
    }

    /// Keeps a version of the current text now ("save version").
    pub fn keep_version(&self, id: Id, now: DateTime<Utc>) -> Result<PostmortemVersion> {
        let mut conn = self.conn();
        let tx = write_tx(&mut conn)?;
        postmortem_in(&tx, id)?;
        let version = snapshot(&tx, id, VersionReason::Explicit, now)?;
        tx.commit()?;
        Ok(version)
    }

    /// The history, newest first.
    pub fn versions(&self, id: Id) -> Result<Vec<PostmortemVersion>> {
        let conn = self.conn();
        postmortem_in(&conn, id)?;
        let mut stmt = conn.prepare_cached(
            "SELECT id, postmortem_id, revision, title, body, status, reason, at
             FROM postmortem_versions WHERE postmortem_id = ?1 ORDER BY id DESC",
        )?;
        let rows = stmt.query_map([id], version_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Brings back a version's title and body as a new revision; the text it replaces is kept
    /// as a version first, so a restore can itself be undone. The status is not restored.
    pub fn restore_version(
        &self,
        id: Id,
        version: Id,
        expected_revision: i64,
        now: DateTime<Utc>,
    ) -> Result<SaveOutcome> {
        let mut conn = self.conn();
        let tx = write_tx(&mut conn)?;
        let old: Option<(String, String)> = tx
            .query_row(
                "SELECT title, body FROM postmortem_versions WHERE id = ?1 AND postmortem_id = ?2",
                params![version, id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let (title, body) =
            old.ok_or_else(|| Error::NotFound(format!("version {version} of postmortem {id}")))?;
        let current = postmortem_in(&tx, id)?;
        postmortem::editable(&current)?;
        if current.revision != expected_revision {
            return Err(stale(&tx, id, expected_revision));
        }
        snapshot(&tx, id, VersionReason::Restore, now)?;
        tx.execute(
            "UPDATE postmortems SET title = ?1, body = ?2, revision = revision + 1,
                                    updated_at = ?3, last_version_at = ?3
             WHERE id = ?4",
            params![title, body, ts(now), id],
        )?;
        let revision = current.revision + 1;
        tx.commit()?;
        Ok(SaveOutcome {
            revision,
            versioned: true,
            saved_at: now,
        })
    }

    /// Moves the postmortem along its workflow and keeps a version of the text at that point.
    pub fn set_postmortem_status(
        &self,
        id: Id,
        status: PostmortemStatus,
        now: DateTime<Utc>,
    ) -> Result<Postmortem> {
        let mut conn = self.conn();
        let tx = write_tx(&mut conn)?;
        let current = postmortem_in(&tx, id)?;
        if !current.status.can_become(status) {
            return Err(Error::Invalid(format!(
                "a postmortem goes from {} to {}, not to {}",
                current.status.title(),
                next_steps(current.status),
                status.title()
            )));
        }
        tx.execute(
            "UPDATE postmortems SET status = ?1, updated_at = ?2 WHERE id = ?3",
            params![status.as_str(), ts(now), id],
        )?;
        snapshot(&tx, id, VersionReason::Status, now)?;
        tx.commit()?;
        drop(conn);
        self.postmortem(id)
    }

    /// Claims the reminders of reviews due by `today`: postmortems still awaiting review whose
    /// due date has come and was not reminded of yet. Claimed in one transaction, so two
    /// processes never show the same one; give back with [`Store::release_review`].
    pub fn claim_due_reviews(&self, today: NaiveDate) -> Result<Vec<ReviewDue>> {
        let mut conn = self.conn();
        let tx = write_tx(&mut conn)?;
        let due = {
            let mut stmt = tx.prepare_cached(
                "SELECT id, title, review_due FROM postmortems
                 WHERE status IN ('draft', 'in_review') AND review_due IS NOT NULL
                   AND review_due <= ?1 AND review_reminded_for IS NOT review_due
                 ORDER BY review_due, id",
            )?;
            let rows = stmt.query_map([today.to_string()], |r| {
                Ok(ReviewDue {
                    postmortem_id: r.get(0)?,
                    title: r.get(1)?,
                    due_on: r.get(2)?,
                })
            })?;
            rows.collect::<Result<Vec<_>, _>>()?
        };
        for review in &due {
            tx.execute(
                "UPDATE postmortems SET review_reminded_for = review_due WHERE id = ?1",
                [review.postmortem_id],
            )?;
        }
        tx.commit()?;
        Ok(due)
    }

    /// Gives a claimed review reminder back, when it could not be shown.
    pub fn release_review(&self, postmortem: Id) -> Result<()> {
        self.conn().execute(
            "UPDATE postmortems SET review_reminded_for = NULL WHERE id = ?1",
            [postmortem],
        )?;
        Ok(())
    }

    pub fn action_items(&self, id: Id) -> Result<Vec<ActionItem>> {
        let conn = self.conn();
        postmortem_in(&conn, id)?;
        let sql = format!(
            "SELECT {ACTION_COLUMNS} FROM postmortem_actions WHERE postmortem_id = ?1 ORDER BY id"
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([id], action_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn add_action_item(&self, id: Id, input: &ActionItemInput) -> Result<ActionItem> {
        let item = input.validate()?;
        let conn = self.conn();
        postmortem::editable(&postmortem_in(&conn, id)?)?;
        let held: i64 = conn.query_row(
            "SELECT COUNT(*) FROM postmortem_actions WHERE postmortem_id = ?1",
            [id],
            |r| r.get(0),
        )?;
        if held >= MAX_ACTION_ITEMS as i64 {
            return Err(Error::Invalid(format!(
                "a postmortem holds at most {MAX_ACTION_ITEMS} action items; \
                 remove done ones first"
            )));
        }
        conn.execute(
            "INSERT INTO postmortem_actions (postmortem_id, description, owner, due_on, kind,
                                             tracker_url, done, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                id,
                item.description,
                item.owner,
                item.due_on.map(|d| d.to_string()),
                item.kind.map(|k| k.as_str()),
                item.tracker_url,
                item.done,
                ts(Utc::now())
            ],
        )?;
        action_in(&conn, conn.last_insert_rowid())
    }

    pub fn action_item(&self, item: Id) -> Result<ActionItem> {
        action_in(&self.conn(), item)
    }

    /// Replaces an action item's fields.
    pub fn edit_action_item(&self, item: Id, input: &ActionItemInput) -> Result<ActionItem> {
        let v = input.validate()?;
        let conn = self.conn();
        item_editable(&conn, item)?;
        let changed = conn.execute(
            "UPDATE postmortem_actions SET description = ?1, owner = ?2, due_on = ?3, kind = ?4,
                                           tracker_url = ?5, done = ?6
             WHERE id = ?7",
            params![
                v.description,
                v.owner,
                v.due_on.map(|d| d.to_string()),
                v.kind.map(|k| k.as_str()),
                v.tracker_url,
                v.done,
                item
            ],
        )?;
        if changed == 0 {
            return Err(Error::NotFound(format!("action item {item}")));
        }
        action_in(&conn, item)
    }

    pub fn remove_action_item(&self, item: Id) -> Result<()> {
        let conn = self.conn();
        item_editable(&conn, item)?;
        let changed = conn.execute("DELETE FROM postmortem_actions WHERE id = ?1", [item])?;
        if changed == 0 {
            return Err(Error::NotFound(format!("action item {item}")));
        }
        Ok(())
    }

    pub fn dismiss_hint(&self, id: Id, fingerprint: &str) -> Result<()> {
        let conn = self.conn();
        postmortem_in(&conn, id)?;
        let fingerprint: String = fingerprint.chars().take(400).collect();
        conn.execute(
            "INSERT OR IGNORE INTO postmortem_dismissed_hints (postmortem_id, fingerprint,
                                                               dismissed_at)
             VALUES (?1, ?2, ?3)",
            params![id, fingerprint, ts(Utc::now())],
        )?;
        Ok(())
    }

    pub fn dismissed_hints(&self, id: Id) -> Result<HashSet<String>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT fingerprint FROM postmortem_dismissed_hints WHERE postmortem_id = ?1",
        )?;
        let rows = stmt.query_map([id], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A template by name: a person's import, else the shipped one.
    pub fn postmortem_template(&self, name: &str) -> Result<Template> {
        let stored: Option<String> = (self.conn())
            .query_row(
                "SELECT template FROM postmortem_templates WHERE name = ?1",
                [name],
                |r| r.get(0),
            )
            .optional()?;
        match stored {
            Some(json) => serde_json::from_str(&json).map_err(|e| {
                Error::Invalid(format!("the stored template `{name}` is unreadable: {e}"))
            }),
            None => Template::shipped(name).ok_or_else(|| {
                let name = crate::paging::one_line(name, 40);
                Error::NotFound(format!("postmortem template `{name}`"))
            }),
        }
    }

    /// Every template: the shipped ones (as edited) and those a person added, by name.
    pub fn postmortem_templates(&self) -> Result<Vec<Template>> {
        let names: Vec<String> = {
            let conn = self.conn();
            let mut stmt = conn.prepare("SELECT name FROM postmortem_templates")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            rows.collect::<Result<_, _>>()?
        };
        let mut all: Vec<String> = postmortem::template::SHIPPED.map(String::from).to_vec();
        all.extend(names);
        all.sort();
        all.dedup();
        all.iter().map(|n| self.postmortem_template(n)).collect()
    }

    /// Adds a template or replaces the one with its name.
    pub fn set_postmortem_template(&self, template: &Template) -> Result<Template> {
        let template = template.validate()?;
        let json = serde_json::to_string(&template).expect("a template serialises");
        self.conn().execute(
            "INSERT INTO postmortem_templates (name, template, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT DO UPDATE SET template = excluded.template,
                 updated_at = excluded.updated_at",
            params![template.name, json, ts(Utc::now())],
        )?;
        Ok(template)
    }

    /// Brings back a shipped template, or removes one a person added.
    pub fn reset_postmortem_template(&self, name: &str) -> Result<Option<Template>> {
        let removed =
            (self.conn()).execute("DELETE FROM postmortem_templates WHERE name = ?1", [name])?;
        let shipped = Template::shipped(name);
        if removed == 0 && shipped.is_none() {
            let name = crate::paging::one_line(name, 40);
            return Err(Error::NotFound(format!("postmortem template `{name}`")));
        }
        Ok(shipped)
    }

    /// How long a review may take, SEV-1 first.
    pub fn review_policies(&self) -> Result<Vec<ReviewPolicy>> {
        let conn = self.conn();
        (1..=4).map(|level| policy_in(&conn, level)).collect()
    }

    /// Changes one severity's review time; postmortems started later use it.
    pub fn set_review_policy(&self, policy: &ReviewPolicy) -> Result<ReviewPolicy> {
        let p = policy.validate()?;
        self.conn().execute(
            "INSERT INTO postmortem_review_policy (severity, days, business_days)
             VALUES (?1, ?2, ?3)
             ON CONFLICT DO UPDATE SET days = excluded.days,
                 business_days = excluded.business_days",
            params![p.severity, p.days, p.business_days],
        )?;
        Ok(p)
    }

    /// One row per incident created since `since` (drills left out), with the cockpit's
    /// severity where one ran.
    pub fn incident_times(&self, since: Option<DateTime<Utc>>) -> Result<Vec<IncidentTimes>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT i.created_at, i.acknowledged_at, i.resolved_at, i.service_name,
                    coalesce(c.severity, i.severity)
             FROM incidents i LEFT JOIN cockpits c ON c.incident_id = i.id
             WHERE i.is_drill = 0 AND i.created_at >= ?1
             ORDER BY i.created_at",
        )?;
        let since_text = since.map(ts).unwrap_or_default();
        let rows = stmt.query_map([since_text], |r| {
            let time = |i: usize| -> rusqlite::Result<Option<DateTime<Utc>>> {
                Ok(r.get::<_, Option<String>>(i)?.as_deref().and_then(parse_ts))
            };
            Ok(IncidentTimes {
                created_at: time(0)?.unwrap_or_default(),
                acknowledged_at: time(1)?,
                resolved_at: time(2)?,
                service: r.get(3)?,
                severity: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// After a change to the text: keeps a version when the last is older than `VERSION_EVERY`.
fn after_save(tx: &Transaction<'_>, id: Id, now: DateTime<Utc>) -> Result<SaveOutcome> {
    let (revision, last): (i64, String) = tx.query_row(
        "SELECT revision, last_version_at FROM postmortems WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let due = parse_ts(&last).is_none_or(|t| now - t >= postmortem::VERSION_EVERY);
    if due {
        snapshot(tx, id, VersionReason::Editing, now)?;
    }
    Ok(SaveOutcome {
        revision,
        versioned: due,
        saved_at: now,
    })
}

/// Copies the current title, body and status into the history.
fn snapshot(
    tx: &Transaction<'_>,
    id: Id,
    reason: VersionReason,
    now: DateTime<Utc>,
) -> Result<PostmortemVersion> {
    tx.execute(
        "INSERT INTO postmortem_versions (postmortem_id, revision, title, body, status, reason, at)
         SELECT id, revision, title, body, status, ?2, ?3 FROM postmortems WHERE id = ?1",
        params![id, reason.as_str(), ts(now)],
    )?;
    let version = tx.last_insert_rowid();
    tx.execute(
        "UPDATE postmortems SET last_version_at = ?1 WHERE id = ?2",
        params![ts(now), id],
    )?;
    Ok(tx.query_row(
        "SELECT id, postmortem_id, revision, title, body, status, reason, at
         FROM postmortem_versions WHERE id = ?1",
        [version],
        version_from_row,
    )?)
}

/// Why a revision-checked write was refused: the postmortem is gone, or someone saved since.
/// Refuses a change to an action item of a Closed postmortem; an unknown item passes, for
/// the caller's own not-found error.
fn item_editable(conn: &Connection, item: Id) -> Result<()> {
    let owner: Option<Id> = conn
        .query_row(
            "SELECT postmortem_id FROM postmortem_actions WHERE id = ?1",
            [item],
            |r| r.get(0),
        )
        .optional()?;
    match owner {
        Some(id) => postmortem::editable(&postmortem_in(conn, id)?),
        None => Ok(()),
    }
}

fn stale(conn: &Connection, id: Id, expected: i64) -> Error {
    match postmortem_in(conn, id) {
        Err(e) => e,
        Ok(current) => Error::Conflict(format!(
            "postmortem {id} was saved elsewhere (revision {}, this editor had {expected}); \
             reload it before saving again",
            current.revision
        )),
    }
}

fn next_steps(status: PostmortemStatus) -> String {
    let next: Vec<&str> = (PostmortemStatus::ALL.iter())
        .filter(|s| status.can_become(**s))
        .map(|s| s.title())
        .collect();
    next.join(" or ")
}

fn postmortem_in(conn: &Connection, id: Id) -> Result<Postmortem> {
    let sql = format!("SELECT {COLUMNS} FROM postmortems WHERE id = ?1");
    let mut pm = conn
        .query_row(&sql, [id], from_row)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("postmortem {id}")))?;
    pm.incidents = incidents_in(conn, id)?;
    Ok(pm)
}

fn incidents_in(conn: &Connection, id: Id) -> Result<Vec<Id>> {
    let mut stmt = conn.prepare_cached(
        "SELECT incident_id FROM postmortem_incidents WHERE postmortem_id = ?1 ORDER BY position",
    )?;
    let rows = stmt.query_map([id], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn policy_in(conn: &Connection, level: u8) -> Result<ReviewPolicy> {
    crate::cockpit::level(level)?;
    let (days, business_days) = conn.query_row(
        "SELECT days, business_days FROM postmortem_review_policy WHERE severity = ?1",
        [level],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(ReviewPolicy {
        severity: level,
        days,
        business_days,
    })
}

fn date(text: Option<String>) -> Option<NaiveDate> {
    text.and_then(|t| NaiveDate::parse_from_str(&t, "%Y-%m-%d").ok())
}

fn time(r: &Row<'_>, i: usize) -> rusqlite::Result<DateTime<Utc>> {
    Ok(parse_ts(&r.get::<_, String>(i)?).unwrap_or_default())
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<Postmortem> {
    let status =
        PostmortemStatus::parse(&r.get::<_, String>(4)?).unwrap_or(PostmortemStatus::Draft);
    let review_due = date(r.get(7)?);
    Ok(Postmortem {
        id: r.get(0)?,
        title: r.get(1)?,
        body: r.get(2)?,
        template: r.get(3)?,
        status,
        severity: r.get(5)?,
        incidents: Vec::new(),
        revision: r.get(6)?,
        review_due,
        overdue: is_overdue(status, review_due, Utc::now().date_naive()),
        created_at: time(r, 8)?,
        updated_at: time(r, 9)?,
    })
}

fn version_from_row(r: &Row<'_>) -> rusqlite::Result<PostmortemVersion> {
    Ok(PostmortemVersion {
        id: r.get(0)?,
        postmortem_id: r.get(1)?,
        revision: r.get(2)?,
        title: r.get(3)?,
        body: r.get(4)?,
        status: PostmortemStatus::parse(&r.get::<_, String>(5)?).unwrap_or(PostmortemStatus::Draft),
        reason: VersionReason::parse(&r.get::<_, String>(6)?),
        at: time(r, 7)?,
    })
}

fn action_in(conn: &Connection, item: Id) -> Result<ActionItem> {
    let sql = format!("SELECT {ACTION_COLUMNS} FROM postmortem_actions WHERE id = ?1");
    conn.query_row(&sql, [item], action_from_row)
        .optional()?
        .ok_or_else(|| Error::NotFound(format!("action item {item}")))
}

fn action_from_row(r: &Row<'_>) -> rusqlite::Result<ActionItem> {
    let kind: Option<String> = r.get(5)?;
    Ok(ActionItem {
        id: r.get(0)?,
        postmortem_id: r.get(1)?,
        description: r.get(2)?,
        owner: r.get(3)?,
        due_on: date(r.get(4)?),
        kind: kind.and_then(|k| ActionItemType::parse(&k).ok()),
        tracker_url: r.get(6)?,
        done: r.get(7)?,
        note_id: r.get(8)?,
        created_at: time(r, 9)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn store() -> (tempfile::TempDir, Store, Id) {
        let (dir, store, incident) = super::super::test_support::store_with_drill();
        let new = NewPostmortem {
            title: "Checkout down",
            body: "# PM\n",
            template: "standard",
            severity: Some(2),
            incidents: &[incident],
            follow_ups: vec![("Alert on queue depth".into(), 7)],
        };
        let id = store.create_postmortem(&new, Utc::now()).unwrap();
        (dir, store, id)
    }

    #[test]
    fn a_new_postmortem_has_its_links_first_version_and_follow_ups() {
        let (_dir, store, id) = store();
        let pm = store.postmortem(id).unwrap();
        assert_eq!((pm.revision, pm.status), (1, PostmortemStatus::Draft));
        assert_eq!(pm.incidents.len(), 1);
        assert!(pm.review_due.is_some());
        let versions = store.versions(id).unwrap();
        assert_eq!(versions.len(), 1);
        assert_eq!(versions[0].reason, VersionReason::Created);
        let items = store.action_items(id).unwrap();
        assert_eq!(items[0].description, "Alert on queue depth");
        assert_eq!((items[0].note_id, items[0].kind), (Some(7), None));
        assert_eq!(store.postmortems_of(pm.incidents[0]).unwrap(), [id]);
    }

    #[test]
    fn a_closed_postmortem_is_read_only_until_reopened() {
        let (_dir, store, id) = store();
        let now = Utc::now();
        for status in [
            PostmortemStatus::InReview,
            PostmortemStatus::Reviewed,
            PostmortemStatus::Closed,
        ] {
            store.set_postmortem_status(id, status, now).unwrap();
        }
        let pm = store.postmortem(id).unwrap();
        let item = store.action_items(id).unwrap()[0].id;
        let version = store.versions(id).unwrap()[0].id;
        let input = ActionItemInput {
            description: "More".into(),
            ..ActionItemInput::default()
        };
        let refusals = [
            store
                .save_postmortem(id, "# new", pm.revision, now)
                .map(|_| ()),
            store
                .rename_postmortem(id, "New", pm.revision, now)
                .map(|_| ()),
            store
                .restore_version(id, version, pm.revision, now)
                .map(|_| ()),
            store.add_action_item(id, &input).map(|_| ()),
            store.edit_action_item(item, &input).map(|_| ()),
            store.remove_action_item(item),
        ];
        for err in refusals.into_iter().map(Result::unwrap_err) {
            assert!(
                err.to_string().contains("reopen it as a draft first"),
                "{err}"
            );
        }
        assert_eq!(store.postmortem(id).unwrap().body, pm.body);

        store
            .set_postmortem_status(id, PostmortemStatus::Draft, now)
            .unwrap();
        let revision = store.postmortem(id).unwrap().revision;
        store.save_postmortem(id, "# new", revision, now).unwrap();
        store.add_action_item(id, &input).unwrap();
    }

    #[test]
    fn follow_ups_past_the_cap_are_left_out_at_start() {
        let (_dir, store, incident) = super::super::test_support::store_with_drill();
        let new = NewPostmortem {
            title: "Many follow-ups",
            body: "# PM\n",
            template: "standard",
            severity: None,
            incidents: &[incident],
            follow_ups: (0..MAX_ACTION_ITEMS + 20)
                .map(|i| (format!("do {i}"), 1))
                .collect(),
        };
        let id = store.create_postmortem(&new, Utc::now()).unwrap();
        assert_eq!(store.action_items(id).unwrap().len(), MAX_ACTION_ITEMS);
    }

    #[test]
    fn action_items_stop_at_the_cap() {
        let (_dir, store, id) = store();
        let input = ActionItemInput {
            description: "Check the queue".into(),
            owner: None,
            due_on: None,
            kind: None,
            tracker_url: None,
            done: false,
        };
        for _ in 1..MAX_ACTION_ITEMS {
            store.add_action_item(id, &input).unwrap();
        }
        let err = store.add_action_item(id, &input).unwrap_err();
        assert_eq!(err.code(), "invalid");
        assert!(
            err.to_string().contains("at most 500 action items"),
            "{err}"
        );
        assert_eq!(store.action_items(id).unwrap().len(), MAX_ACTION_ITEMS);
    }

    #[test]
    fn a_stale_revision_is_a_conflict_and_changes_nothing() {
        let (_dir, store, id) = store();
        let now = Utc::now();
        let first = store.save_postmortem(id, "# PM\nA", 1, now).unwrap();
        assert_eq!(first.revision, 2);
        let err = store
            .save_postmortem(id, "# other window", 1, now)
            .unwrap_err();
        assert_eq!(err.code(), "conflict");
        assert_eq!(store.postmortem(id).unwrap().body, "# PM\nA");
        assert_eq!(
            store.save_postmortem(99, "x", 1, now).unwrap_err().code(),
            "not_found"
        );
    }

    #[test]
    fn versions_are_kept_every_five_minutes_of_typing_and_on_status_changes() {
        let (_dir, store, id) = store();
        let start = Utc::now();
        let mut revision = 1;
        let mut kept = Vec::new();
        for minute in 0..12 {
            let at = start + Duration::minutes(minute) + Duration::seconds(1);
            let out = store
                .save_postmortem(id, &format!("text {minute}"), revision, at)
                .unwrap();
            revision = out.revision;
            if out.versioned {
                kept.push(minute);
            }
        }
        assert_eq!(kept, [5, 10], "about every five minutes of typing");

        store
            .set_postmortem_status(id, PostmortemStatus::InReview, start)
            .unwrap();
        let err = store
            .set_postmortem_status(id, PostmortemStatus::Closed, start)
            .unwrap_err();
        assert!(err.to_string().contains("to Draft or Reviewed"), "{err}");
        let reasons: Vec<VersionReason> = store
            .versions(id)
            .unwrap()
            .iter()
            .map(|v| v.reason)
            .collect();
        use VersionReason::*;
        assert_eq!(reasons, [Status, Editing, Editing, Created]);
    }

    #[test]
    fn restore_brings_back_a_version_and_keeps_the_text_it_replaces() {
        let (_dir, store, id) = store();
        let now = Utc::now();
        let saved = store.save_postmortem(id, "second draft", 1, now).unwrap();
        let created = store.versions(id).unwrap().pop().unwrap();
        let out = store
            .restore_version(id, created.id, saved.revision, now)
            .unwrap();
        assert_eq!(out.revision, saved.revision + 1);
        assert_eq!(store.postmortem(id).unwrap().body, "# PM\n");
        let newest = &store.versions(id).unwrap()[0];
        assert_eq!(
            (newest.reason, newest.body.as_str()),
            (VersionReason::Restore, "second draft")
        );
        let stale = store
            .restore_version(id, created.id, saved.revision, now)
            .unwrap_err();
        assert_eq!(stale.code(), "conflict");
    }

    #[test]
    fn incident_times_leave_drills_out_and_take_the_cockpit_severity() {
        let (_dir, store, _) = store();
        assert!(
            store.incident_times(None).unwrap().is_empty(),
            "the drill is left out"
        );
        let account = store.local_account().unwrap();
        let batch = crate::provider::local::declared("Disk full", 3, 2);
        store.apply(account.id, &batch).unwrap();
        let id = store.find_incident("#2").unwrap();
        store.start_command(id, 1, "Ana").unwrap();
        let rows = store.incident_times(None).unwrap();
        assert_eq!((rows.len(), rows[0].severity), (1, Some(1)));
        let later = Some(Utc::now() + Duration::hours(1));
        assert!(store.incident_times(later).unwrap().is_empty());
    }

    #[test]
    fn templates_and_review_policy_are_data() {
        let (_dir, store, _) = store();
        let mut t = store.postmortem_template("short").unwrap();
        t.title = "Quick look: {{title}}".into();
        store.set_postmortem_template(&t).unwrap();
        assert_eq!(store.postmortem_template("short").unwrap().title, t.title);
        t.name = "ours".into();
        store.set_postmortem_template(&t).unwrap();
        let names: Vec<String> = store
            .postmortem_templates()
            .unwrap()
            .into_iter()
            .map(|t| t.name)
            .collect();
        assert_eq!(names, ["ours", "short", "standard"]);
        assert_eq!(
            store.reset_postmortem_template("short").unwrap(),
            Template::shipped("short")
        );
        assert_eq!(store.reset_postmortem_template("ours").unwrap(), None);
        assert_eq!(
            store.postmortem_template("ours").unwrap_err().code(),
            "not_found"
        );

        let sev1 = store.review_policies().unwrap()[0];
        assert_eq!((sev1.days, sev1.business_days), (3, false));
        let edited = ReviewPolicy { days: 2, ..sev1 };
        store.set_review_policy(&edited).unwrap();
        assert_eq!(store.review_policies().unwrap()[0], edited);
    }
}
