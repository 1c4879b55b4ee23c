//! The tables of incident communication: update templates, status pages, links from incidents
//! to Statuspage incidents, and queueing a publication with its timeline entry.

use chrono::Utc;
use rusqlite::{params, OptionalExtension, Row};

use super::outbox::insert_entry;
use super::{parse_ts, ts, Store};
use crate::comms::{Audience, NewStatusPage, StatusLink, StatusPage, UpdateTemplate};
use crate::error::{Error, Result};
use crate::model::{Id, TokenSource, Write};
use crate::provider::statuspage::{Component, StatusDraft};

/// The longest page name kept, in characters.
const MAX_PAGE_NAME_CHARS: usize = 100;

const PAGE_COLUMNS: &str =
    "id, name, api_url, page_id, key_kind, key_env, components, components_read_at";

/// The Statuspage incident an entry for (incident, page) delivered, newest first: the link
/// that publishing makes, recorded with the entry itself.
const PUBLISHED: &str = "SELECT o.result FROM outbox o
     WHERE o.incident_id = ?1 AND o.state = 'done' AND o.result IS NOT NULL
       AND json_extract(o.write, '$.type') = 'statuspage'
       AND json_extract(o.write, '$.page') = ?2
     ORDER BY o.id DESC LIMIT 1";

impl Store {
    /// An audience's template: a person's import, else the shipped default.
    pub fn update_template(&self, audience: Audience) -> Result<UpdateTemplate> {
        let stored: Option<String> = (self.conn())
            .query_row(
                "SELECT template FROM update_templates WHERE audience = ?1",
                [audience.as_str()],
                |r| r.get(0),
            )
            .optional()?;
        match stored {
            None => Ok(UpdateTemplate::default_for(audience)),
            Some(json) => serde_json::from_str(&json).map_err(|e| {
                let name = audience.as_str();
                Error::Invalid(format!("the stored `{name}` template is unreadable: {e}"))
            }),
        }
    }

    /// Replaces an audience's template after validating it.
    pub fn set_update_template(
        &self,
        audience: Audience,
        template: &UpdateTemplate,
    ) -> Result<UpdateTemplate> {
        let template = template.validate()?;
        let json = serde_json::to_string(&template).expect("a template serialises");
        self.conn().execute(
            "INSERT INTO update_templates (audience, template, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT DO UPDATE SET template = excluded.template,
                 updated_at = excluded.updated_at",
            params![audience.as_str(), json, ts(Utc::now())],
        )?;
        Ok(template)
    }

    /// Brings back the shipped template for an audience.
    pub fn reset_update_template(&self, audience: Audience) -> Result<UpdateTemplate> {
        (self.conn()).execute(
            "DELETE FROM update_templates WHERE audience = ?1",
            [audience.as_str()],
        )?;
        Ok(UpdateTemplate::default_for(audience))
    }

    /// Adds a page; `before_commit` (storing its key in the keychain) runs inside the
    /// transaction, so a page whose key could not be stored is not added.
    pub fn add_status_page_then(
        &self,
        new: &NewStatusPage,
        before_commit: impl FnOnce(Id) -> Result<()>,
    ) -> Result<StatusPage> {
        let name = crate::cockpit::bounded(&new.name, "a page's name", MAX_PAGE_NAME_CHARS)?;
        let (kind, var) = match &new.key {
            TokenSource::Keychain => ("keychain", None),
            TokenSource::Env { var } => ("env", Some(var.as_str())),
            TokenSource::None => {
                return Err(Error::Invalid("a status page needs an API key".into()))
            }
        };
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let taken: bool = tx.query_row(
            "SELECT count(*) > 0 FROM status_pages WHERE name = ?1",
            [&name],
            |r| r.get(0),
        )?;
        if taken {
            return Err(Error::Invalid(format!(
                "a page named `{name}` exists already"
            )));
        }

        tx.execute(
            "INSERT INTO status_pages (name, api_url, page_id, key_kind, key_env, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![name, new.api_url, new.page_id, kind, var, ts(Utc::now())],
        )?;
        let id = tx.last_insert_rowid();
        before_commit(id)?;
        tx.commit()?;
        drop(conn);
        self.status_page(id)
    }

    pub fn status_pages(&self) -> Result<Vec<StatusPage>> {
        let conn = self.conn();
        let sql = format!("SELECT {PAGE_COLUMNS} FROM status_pages ORDER BY name");
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt.query_map([], page_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn status_page(&self, id: Id) -> Result<StatusPage> {
        let sql = format!("SELECT {PAGE_COLUMNS} FROM status_pages WHERE id = ?1");
        (self.conn().query_row(&sql, [id], page_from_row))
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("status page {id}")))
    }

    /// A page by name, or by local id when no page has that name.
    pub fn status_page_by_name(&self, name: &str) -> Result<StatusPage> {
        let sql = format!(
            "SELECT {PAGE_COLUMNS} FROM status_pages WHERE name = ?1 OR CAST(id AS TEXT) = ?1
             ORDER BY name = ?1 DESC LIMIT 1"
        );
        (self.conn().query_row(&sql, [name], page_from_row))
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("status page `{name}`")))
    }

    /// Removes a page and its links; entries still queued for it are refused when sent.
    pub fn remove_status_page(&self, id: Id) -> Result<()> {
        let removed = self
            .conn()
            .execute("DELETE FROM status_pages WHERE id = ?1", [id])?;
        if removed == 0 {
            return Err(Error::NotFound(format!("status page {id}")));
        }
        Ok(())
    }

    /// Records where the page's key now is (never the key).
    pub fn set_page_key_source(&self, id: Id, key: &TokenSource) -> Result<StatusPage> {
        let (kind, var) = match key {
            TokenSource::Keychain => ("keychain", None),
            TokenSource::Env { var } => ("env", Some(var.as_str())),
            TokenSource::None => {
                return Err(Error::Invalid("a status page needs an API key".into()))
            }
        };
        self.conn().execute(
            "UPDATE status_pages SET key_kind = ?2, key_env = ?3 WHERE id = ?1",
            params![id, kind, var],
        )?;
        self.status_page(id)
    }

    /// Remembers the page's components as just read, for previews made offline.
    pub fn set_page_components(&self, id: Id, components: &[Component]) -> Result<()> {
        let json = serde_json::to_string(components).expect("components serialise");
        self.conn().execute(
            "UPDATE status_pages SET components = ?2, components_read_at = ?3 WHERE id = ?1",
            params![id, json, ts(Utc::now())],
        )?;
        Ok(())
    }

    /// Links an incident to an existing Statuspage incident on a page, replacing any link.
    pub fn link_status_incident(
        &self,
        incident: Id,
        page: Id,
        status_incident: &str,
        by: &str,
    ) -> Result<StatusLink> {
        self.incident_row(incident)?;
        self.status_page(page)?;
        self.conn().execute(
            "INSERT INTO status_links (incident_id, status_page_id, status_incident_id,
                                       linked_at, linked_by)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT DO UPDATE SET status_incident_id = excluded.status_incident_id,
                 linked_at = excluded.linked_at, linked_by = excluded.linked_by",
            params![incident, page, status_incident, ts(Utc::now()), by],
        )?;
        let link = self.status_link(incident, page)?;
        link.ok_or_else(|| Error::NotFound("the link just made".into()))
    }

    /// The Statuspage incident an incident is published as on a page, if any yet.
    pub fn status_link(&self, incident: Id, page: Id) -> Result<Option<StatusLink>> {
        let conn = self.conn();
        let page_name: String =
            (conn.query_row("SELECT name FROM status_pages WHERE id = ?1", [page], |r| {
                r.get(0)
            }))
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("status page {page}")))?;
        let explicit: Option<String> = (conn.query_row(
            "SELECT status_incident_id FROM status_links
             WHERE incident_id = ?1 AND status_page_id = ?2",
            params![incident, page],
            |r| r.get(0),
        ))
        .optional()?;
        let published = match &explicit {
            Some(_) => None,
            None => {
                (conn.query_row(PUBLISHED, params![incident, page], |r| r.get(0))).optional()?
            }
        };

        let is_explicit = explicit.is_some();
        let link = |id: String| StatusLink {
            incident_id: incident,
            page,
            page_name: page_name.clone(),
            status_incident_id: id,
            explicit: is_explicit,
        };
        Ok(explicit.or(published).map(link))
    }

    /// Every page an incident is published on.
    pub fn status_links(&self, incident: Id) -> Result<Vec<StatusLink>> {
        let pages = self.status_pages()?;
        let mut links = Vec::new();
        for page in pages {
            links.extend(self.status_link(incident, page.id)?);
        }
        Ok(links)
    }

    /// Whether another Tocsin incident is published as this Statuspage incident.
    pub fn status_incident_linked_elsewhere(
        &self,
        page: Id,
        status_incident: &str,
        incident: Id,
    ) -> Result<bool> {
        let conn = self.conn();
        let taken: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM status_links WHERE status_page_id = ?1
                              AND status_incident_id = ?2 AND incident_id != ?3)
                 OR EXISTS (SELECT 1 FROM outbox WHERE incident_id != ?3 AND state = 'done'
                              AND result = ?2 AND json_extract(write, '$.type') = 'statuspage'
                              AND json_extract(write, '$.page') = ?1)",
            params![page, status_incident, incident],
            |r| r.get(0),
        )?;
        Ok(taken)
    }

    /// Queues `draft` for the page in the incident's account's outbox, with a timeline entry
    /// that follows the entry's state, in one transaction.
    pub fn enqueue_status(
        &self,
        incident: Id,
        page: Id,
        draft: &StatusDraft,
        by: &str,
    ) -> Result<Id> {
        let row = self.incident_row(incident)?;
        let page = self.status_page(page)?;
        let write = Write::Statuspage {
            page: page.id,
            draft: draft.clone(),
        };
        let summary = format!(
            "Status page `{}`: {}, impact {}",
            page.name,
            draft.phase.as_str(),
            draft.impact.as_str()
        );

        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let id = insert_entry(&tx, row.account_id, Some(incident), &write, by)?;
        tx.execute(
            "INSERT INTO log_entries (incident_id, kind, at, summary, agent, outbox_id)
             VALUES (?1, 'statuspage', ?2, ?3, ?4, ?5)",
            params![incident, ts(Utc::now()), summary, by, id],
        )?;
        tx.commit()?;
        tracing::info!(outbox = id, incident, page = %page.name, "status update queued");
        Ok(id)
    }
}

fn page_from_row(r: &Row<'_>) -> rusqlite::Result<StatusPage> {
    let key = match (
        r.get::<_, String>(4)?.as_str(),
        r.get::<_, Option<String>>(5)?,
    ) {
        ("env", Some(var)) => TokenSource::Env { var },
        ("keychain", _) => TokenSource::Keychain,
        _ => TokenSource::None,
    };
    let components: String = r.get(6)?;
    Ok(StatusPage {
        id: r.get(0)?,
        name: r.get(1)?,
        api_url: r.get(2)?,
        page_id: r.get(3)?,
        key,
        // A cache this build cannot read is only a cache: previews read the page again.
        components: serde_json::from_str(&components).unwrap_or_default(),
        components_read_at: r.get::<_, Option<String>>(7)?.as_deref().and_then(parse_ts),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Action;
    use crate::provider::statuspage::{Impact, StatusPhase};
    use crate::store::outbox::Finish;
    use crate::store::test_support::store_with_drill;

    fn page(store: &Store) -> StatusPage {
        let new = NewStatusPage {
            name: "acme".into(),
            api_url: "http://127.0.0.1:9/v1".into(),
            page_id: "pg1".into(),
            key: TokenSource::Env { var: "K".into() },
        };
        store.add_status_page_then(&new, |_| Ok(())).unwrap()
    }

    fn draft() -> StatusDraft {
        StatusDraft {
            name: "Drill".into(),
            phase: StatusPhase::Investigating,
            impact: Impact::Minor,
            body: String::new(),
            components: Vec::new(),
        }
    }

    /// Queues a publication and records it delivered as `status_incident`.
    fn deliver(store: &Store, incident: Id, page: Id, status_incident: &str) {
        let account = store.incident_row(incident).unwrap().account_id;
        store
            .enqueue_status(incident, page, &draft(), "Ana")
            .unwrap();
        let claimed = store.claim_next(account, Utc::now()).unwrap().unwrap();
        let done = Finish::Done {
            result: Some(status_incident.into()),
            incident: None,
        };
        store.finish(&claimed, done).unwrap();
    }

    #[test]
    fn a_link_is_what_publishing_made_unless_someone_linked_by_hand() {
        let (_dir, store, incident) = store_with_drill();
        let page = page(&store);
        assert_eq!(store.status_link(incident, page.id).unwrap(), None);

        deliver(&store, incident, page.id, "sp1");
        let link = store.status_link(incident, page.id).unwrap().unwrap();
        assert_eq!(
            (link.status_incident_id.as_str(), link.explicit),
            ("sp1", false)
        );
        assert!(store
            .status_incident_linked_elsewhere(page.id, "sp1", incident + 1)
            .unwrap());
        assert!(!store
            .status_incident_linked_elsewhere(page.id, "sp1", incident)
            .unwrap());

        store
            .link_status_incident(incident, page.id, "sp9", "Ana")
            .unwrap();
        let link = store.status_link(incident, page.id).unwrap().unwrap();
        assert_eq!(
            (link.status_incident_id.as_str(), link.explicit),
            ("sp9", true)
        );
        store.remove_status_page(page.id).unwrap();
        assert!(store.status_link(incident, page.id).is_err());
    }

    #[test]
    fn a_statuspage_incident_is_never_taken_for_a_providers_earlier_result() {
        let (_dir, store, incident) = store_with_drill();
        let page = page(&store);
        deliver(&store, incident, page.id, "sp1");

        let action = Action::Note { text: "x".into() };
        store.enqueue_action(incident, &action, "Ana").unwrap();
        let account = store.incident_row(incident).unwrap().account_id;
        let claimed = store.claim_next(account, Utc::now()).unwrap().unwrap();
        assert_eq!(
            claimed.earlier_result, None,
            "an Alertmanager resolve would lift it"
        );
    }

    #[test]
    fn a_page_holds_where_its_key_is_never_the_key() {
        let (_dir, store, _) = store_with_drill();
        let page = page(&store);
        assert_eq!(page.key, TokenSource::Env { var: "K".into() });
        let moved = store
            .set_page_key_source(page.id, &TokenSource::Keychain)
            .unwrap();
        assert_eq!(moved.key, TokenSource::Keychain);
        assert!(store
            .set_page_key_source(page.id, &TokenSource::None)
            .is_err());
        let again = NewStatusPage {
            name: "acme".into(),
            api_url: page.api_url.clone(),
            page_id: page.page_id.clone(),
            key: TokenSource::Keychain,
        };
        let err = store.add_status_page_then(&again, |_| Ok(())).unwrap_err();
        assert!(err.to_string().contains("exists already"), "{err}");
    }
}
