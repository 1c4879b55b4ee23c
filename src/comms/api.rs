//! Incident communication's methods on the [`Tocsin`] facade, for the desktop shell and the
//! CLI: update templates, drafting and publishing updates, status pages and publishing to
//! them. `by` names the person acting, as the timeline shows it.

use chrono::Utc;

use super::statuspage::{self as target, NewStatusPage, StatusLink, StatusPage, StatusRequest};
use super::{
    compose, Audience, IncidentFacts, PublishedUpdate, UpdateDraft, UpdateFields, UpdateTemplate,
};
use crate::cockpit::Role;
use crate::error::{Error, Result};
use crate::model::{Id, TokenSource};
use crate::paging::one_line;
use crate::provider::statuspage::{self, Component, StatusDraft, StatusPreview, MAX_NAME_CHARS};
use crate::{secrets, Tocsin};

impl Tocsin {
    /// An audience's update template.
    pub fn update_template(&self, audience: Audience) -> Result<UpdateTemplate> {
        self.store.update_template(audience)
    }

    /// Replaces an audience's template with a TOML file's; unknown placeholders are refused.
    pub fn import_update_template(
        &self,
        audience: Audience,
        source: &str,
    ) -> Result<UpdateTemplate> {
        let template = UpdateTemplate::parse(source)?;
        let saved = self.store.set_update_template(audience, &template)?;
        tracing::info!(audience = audience.as_str(), "update template imported");
        Ok(saved)
    }

    /// An audience's template as a TOML file that `import_update_template` reads back.
    pub fn export_update_template(&self, audience: Audience) -> Result<String> {
        Ok(self.store.update_template(audience)?.to_toml(audience))
    }

    /// Brings back the shipped template for an audience.
    pub fn reset_update_template(&self, audience: Audience) -> Result<UpdateTemplate> {
        self.store.reset_update_template(audience)
    }

    /// What an update may say about the incident now: title, severity (the cockpit's, else
    /// the incident's), status and incident commander.
    pub fn incident_facts(&self, incident: Id) -> Result<IncidentFacts> {
        let row = self.store.incident_row(incident)?;
        let cockpit = match self.store.cockpit(incident) {
            Ok(cockpit) => Some(cockpit),
            Err(Error::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        let severity = match (&cockpit, row.severity) {
            (Some(c), _) => Some(c.severity.clone()),
            (None, Some(level)) => self
                .store
                .severities()?
                .into_iter()
                .find(|s| s.level == level),
            (None, None) => None,
        };
        let commander = (cockpit.iter().flat_map(|c| &c.roles))
            .find(|r| r.role == Role::Commander)
            .map(|r| r.person.clone());
        Ok(IncidentFacts {
            incident_id: incident,
            title: row.title,
            label: row.number.map_or(row.provider_id, |n| format!("#{n}")),
            status: row.status,
            severity,
            commander,
            now: Utc::now(),
        })
    }

    /// Drafts an update for `audience` from the incident and the author's fields. Nothing
    /// is recorded: call it as often as the preview needs redrawing.
    pub fn draft_update(
        &self,
        incident: Id,
        audience: Audience,
        fields: &UpdateFields,
    ) -> Result<UpdateDraft> {
        let facts = self.incident_facts(incident)?;
        let template = self.store.update_template(audience)?;
        Ok(compose::draft_update(&facts, audience, &template, fields))
    }

    /// Drafts the update and records it on the cockpit, which puts it on the timeline and
    /// schedules the next update from the severity's cadence. The cockpit must be started.
    pub fn publish_update(
        &self,
        incident: Id,
        audience: Audience,
        fields: &UpdateFields,
        by: &str,
    ) -> Result<PublishedUpdate> {
        let draft = self.draft_update(incident, audience, fields)?;
        let note = self.record_update(incident, &draft.text(), by)?;
        tracing::info!(
            incident,
            audience = audience.as_str(),
            "stakeholder update published"
        );
        Ok(PublishedUpdate { draft, note })
    }

    /// Adds a status page. A key given here goes to the OS keychain before the page becomes
    /// visible; otherwise `new.key` must name an environment variable.
    pub fn add_status_page(&self, new: NewStatusPage, key: Option<String>) -> Result<StatusPage> {
        // The client's own checks: an http(s) URL, a page id fit for a request path.
        statuspage::Statuspage::new(&new.api_url, &new.page_id, "checking the settings")?;
        let mut new = new;
        match (&key, &new.key) {
            (Some(_), _) => new.key = TokenSource::Keychain,
            (None, TokenSource::Env { var }) => crate::validate_env_var(var)?,
            (None, _) => {
                return Err(Error::Invalid(
                    "a status page needs an API key (keychain or environment)".into(),
                ))
            }
        }
        let page = self.store.add_status_page_then(&new, |id| match &key {
            Some(key) => secrets::store_page_key(id, key),
            None => Ok(()),
        })?;
        tracing::info!(page = %page.name, "status page added");
        Ok(page)
    }

    pub fn status_pages(&self) -> Result<Vec<StatusPage>> {
        self.store.status_pages()
    }

    /// Replaces a page's API key (after Statuspage rejected it, say), keeping the page and
    /// its links. A key given here goes to the OS keychain; else `source` names a variable.
    pub fn replace_status_page_key(
        &self,
        page: Id,
        source: TokenSource,
        key: Option<String>,
    ) -> Result<StatusPage> {
        let current = self.store.status_page(page)?;
        let source = match (key, source) {
            (Some(key), _) => {
                secrets::store_page_key(page, &key)?;
                TokenSource::Keychain
            }
            (None, TokenSource::Env { var }) => {
                crate::validate_env_var(&var)?;
                if current.key == TokenSource::Keychain {
                    secrets::delete_page_key(page)?;
                }
                TokenSource::Env { var }
            }
            (None, _) => return Err(Error::Invalid("give a key or a variable name".into())),
        };
        let page = self.store.set_page_key_source(page, &source)?;
        tracing::info!(page = %page.name, "status page key replaced");
        Ok(page)
    }

    /// Removes a status page, its links and its keychain entry.
    pub fn remove_status_page(&self, page: Id) -> Result<()> {
        let page = self.store.status_page(page)?;
        // Its queued posts could never be sent without it.
        let waiting = self.store.outbox_waiting_for_page(page.id)?;
        if waiting > 0 {
            return Err(Error::Invalid(format!(
                "{waiting} post(s) to `{}` are not sent yet; send them first (`tocsin sync \
                 --once`)",
                page.name
            )));
        }
        if page.key == TokenSource::Keychain {
            secrets::delete_page_key(page.id)?;
        }
        self.store.remove_status_page(page.id)
    }

    /// Reads the page's components from Statuspage and remembers them for offline previews.
    pub async fn statuspage_components(&self, page: Id) -> Result<Vec<Component>> {
        let config = self.store.status_page(page)?;
        let components = target::client(&config)?.components().await?;
        self.store.set_page_components(page, &components)?;
        Ok(components)
    }

    /// Links an incident to a Statuspage incident that exists already: publishing updates it.
    pub fn link_status_incident(
        &self,
        incident: Id,
        page: Id,
        status_incident: &str,
        by: &str,
    ) -> Result<StatusLink> {
        let id = status_incident.trim();
        let fine = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if id.is_empty() || id.len() > 64 || !id.chars().all(fine) {
            let shown = one_line(id, 64);
            return Err(Error::Invalid(format!(
                "`{shown}` is not a Statuspage incident id"
            )));
        }
        self.store.link_status_incident(incident, page, id, by)
    }

    /// The pages an incident is published on, and as which Statuspage incident.
    pub fn status_links(&self, incident: Id) -> Result<Vec<StatusLink>> {
        self.store.status_links(incident)
    }

    /// The draft a request makes: the incident's title as the name and its `customers`
    /// update (with the phase's words as the status) as the message, unless given.
    pub fn status_draft(&self, incident: Id, request: &StatusRequest) -> Result<StatusDraft> {
        let name = match &request.name {
            Some(name) => name.clone(),
            None => one_line(
                &self.store.incident_row(incident)?.title,
                MAX_NAME_CHARS - 1,
            ),
        };
        let body = match &request.body {
            Some(body) => body.clone(),
            None => {
                let mut fields = request.fields.clone();
                let words = target::phase_words(request.phase).to_owned();
                fields.status.get_or_insert(words);
                self.draft_update(incident, Audience::Customers, &fields)?
                    .body
            }
        };
        Ok(StatusDraft {
            name,
            phase: request.phase,
            impact: request.impact,
            body,
            components: request.components.clone(),
        })
    }

    /// Exactly what publishing `request` on `page` will say, checked against the page's
    /// components as last read (`statuspage_components` reads them again).
    pub fn statuspage_preview(
        &self,
        incident: Id,
        page: Id,
        request: &StatusRequest,
    ) -> Result<StatusPreview> {
        let draft = self.status_draft(incident, request)?;
        let page = self.store.status_page(page)?;
        Ok(statuspage::preview(&draft, &page.components))
    }

    /// Queues the previewed publication in the incident's account's outbox, after the page
    /// and the person's view are checked to agree: what is sent is what was shown. Returns
    /// the outbox entry; `send_outbox` (or the engine) sends it.
    pub fn statuspage_publish(
        &self,
        incident: Id,
        page: Id,
        preview: &StatusPreview,
        by: &str,
    ) -> Result<Id> {
        if !preview.problems.is_empty() {
            return Err(Error::Invalid(preview.problems.join("; ")));
        }
        let draft = target::draft_of(preview);
        let config = self.store.status_page(page)?;
        if &statuspage::preview(&draft, &config.components) != preview {
            return Err(Error::Invalid(
                "this is not what the page would show now; preview again".into(),
            ));
        }
        self.store.enqueue_status(incident, page, &draft, by)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::statuspage::{ComponentStatus, Impact, StatusPhase};

    fn tocsin() -> (tempfile::TempDir, Tocsin) {
        let dir = tempfile::tempdir().unwrap();
        let tocsin = Tocsin::open(dir.path()).unwrap();
        (dir, tocsin)
    }

    fn page(tocsin: &Tocsin) -> StatusPage {
        let new = NewStatusPage {
            name: "acme".into(),
            api_url: "http://127.0.0.1:9/v1".into(),
            page_id: "pg1".into(),
            key: TokenSource::Env {
                var: "TOCSIN_TEST_SP_KEY".into(),
            },
        };
        tocsin.add_status_page(new, None).unwrap()
    }

    #[test]
    fn templates_import_export_and_reset_through_the_facade() {
        let (_dir, tocsin) = tocsin();
        let exported = tocsin.export_update_template(Audience::Customers).unwrap();
        let edited = exported.replace("subject = \"{{title}}\"", "subject = \"Acme: {{title}}\"");
        let imported = tocsin
            .import_update_template(Audience::Customers, &edited)
            .unwrap();
        assert_eq!(imported.subject, "Acme: {{title}}");

        let bad = edited.replace("{{title}}", "{{eta}}");
        let err = tocsin
            .import_update_template(Audience::Customers, &bad)
            .unwrap_err();
        assert!(
            err.to_string().contains("unknown placeholder `{{eta}}`"),
            "{err}"
        );
        assert_eq!(
            tocsin.update_template(Audience::Customers).unwrap(),
            imported
        );
        let reset = tocsin.reset_update_template(Audience::Customers).unwrap();
        assert_eq!(reset, UpdateTemplate::default_for(Audience::Customers));
    }

    #[test]
    fn publishing_an_update_records_it_and_schedules_the_next() {
        let (_dir, tocsin) = tocsin();
        let id = tocsin.declare_local("Checkout <script>", 2).unwrap().id;
        let fields = UpdateFields {
            impact: Some("Payments fail".into()),
            ..UpdateFields::default()
        };
        let err = tocsin
            .publish_update(id, Audience::Internal, &fields, "Ana")
            .unwrap_err();
        assert_eq!(
            err.code(),
            "not_found",
            "the cockpit must be started: {err}"
        );

        tocsin.start_command(id, 2, "Ana").unwrap();
        tocsin
            .assign_role(id, Role::Commander, "Ana", "Ana")
            .unwrap();
        let published = tocsin
            .publish_update(id, Audience::Internal, &fields, "Ana")
            .unwrap();
        assert!(published.draft.body.contains("Ana") && published.draft.body.contains("SEV\\-2"));
        assert_eq!(published.note.text, published.draft.text().trim());

        let timers = tocsin.timers(Some(id)).unwrap();
        let next = timers
            .iter()
            .find(|t| t.kind == crate::cockpit::TimerKind::Update)
            .unwrap();
        let expected = published.draft.next_update_at.unwrap();
        assert!((next.due_at - expected).num_seconds().abs() < 5, "{next:?}");
        let timeline = tocsin.incident(id).unwrap().timeline;
        assert!(timeline.iter().any(|e| e.kind == "cockpit_update"));
    }

    #[test]
    fn a_status_page_keeps_no_key_and_refuses_bad_settings() {
        let (_dir, tocsin) = tocsin();
        let page = page(&tocsin);
        assert_eq!(
            page.key,
            TokenSource::Env {
                var: "TOCSIN_TEST_SP_KEY".into()
            }
        );
        let mut bad = NewStatusPage {
            name: "other".into(),
            api_url: "ftp://127.0.0.1/v1".into(),
            page_id: "pg1".into(),
            key: TokenSource::Env { var: "V".into() },
        };
        assert_eq!(
            tocsin
                .add_status_page(bad.clone(), None)
                .unwrap_err()
                .code(),
            "invalid"
        );
        bad.api_url = "http://127.0.0.1/v1".into();
        bad.page_id = "../admin".into();
        assert_eq!(
            tocsin
                .add_status_page(bad.clone(), None)
                .unwrap_err()
                .code(),
            "invalid"
        );
        bad.page_id = "pg2".into();
        bad.key = TokenSource::None;
        assert_eq!(
            tocsin.add_status_page(bad, None).unwrap_err().code(),
            "invalid"
        );
    }

    #[test]
    fn publishing_queues_exactly_the_preview_and_refuses_any_other() {
        let (_dir, tocsin) = tocsin();
        let page = page(&tocsin);
        let api = Component {
            id: "cmpapi".into(),
            name: "API".into(),
            status: Some(ComponentStatus::Operational),
            raw_status: "operational".into(),
            group_id: None,
            position: Some(1),
        };
        tocsin.store().set_page_components(page.id, &[api]).unwrap();
        let id = tocsin.declare_local("Checkout errors", 2).unwrap().id;
        let request = StatusRequest {
            name: None,
            phase: StatusPhase::Identified,
            impact: Impact::Major,
            body: None,
            components: vec![("cmpapi".into(), ComponentStatus::PartialOutage)],
            fields: UpdateFields::default(),
        };
        let preview = tocsin.statuspage_preview(id, page.id, &request).unwrap();
        assert!(preview.problems.is_empty(), "{:?}", preview.problems);
        assert!(
            preview.body.starts_with("We have identified the cause"),
            "{}",
            preview.body
        );

        let mut forged = preview.clone();
        forged.title = "Something else\u{202e}".into();
        assert!(tocsin
            .statuspage_publish(id, page.id, &forged, "Ana")
            .is_err());

        let entry = tocsin
            .statuspage_publish(id, page.id, &preview, "Ana")
            .unwrap();
        let queued = tocsin.store().outbox_entry(entry).unwrap();
        let expected = crate::model::Write::Statuspage {
            page: page.id,
            draft: target::draft_of(&preview),
        };
        assert_eq!(queued.write, expected);
        let timeline = tocsin.incident(id).unwrap().timeline;
        let entry = timeline.iter().find(|e| e.kind == "statuspage").unwrap();
        assert_eq!(entry.outbox_state, Some(crate::model::OutboxState::Pending));
    }
}
