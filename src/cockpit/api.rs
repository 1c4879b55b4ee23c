//! The cockpit's methods on the [`Tocsin`] facade, for the desktop shell and the CLI.
//!
//! They work alike for local-workspace and provider incidents: cockpit data is Tocsin's own
//! and none of these calls reaches a provider. `by` names the person acting; it is what the
//! timeline shows as the agent.

use chrono::{DateTime, Utc};

use super::{
    Checklist, Cockpit, CockpitNote, FollowUp, NoteKind, Role, Severity, SeverityMapping,
    TimelineFormat, Timer,
};
use crate::error::{Error, Result};
use crate::model::{Id, Urgency};
use crate::Tocsin;

impl Tocsin {
    /// SEV-1..SEV-4 with their meanings and response targets.
    pub fn severities(&self) -> Result<Vec<Severity>> {
        self.store.severities()
    }

    /// Edits one severity's meaning and targets (validated).
    pub fn set_severity(&self, severity: &Severity) -> Result<Severity> {
        let saved = self.store.set_severity(severity)?;
        tracing::info!(level = saved.level, "severity edited");
        Ok(saved)
    }

    /// How each severity maps onto an account's urgency and priority.
    pub fn severity_mapping(&self, account: Id) -> Result<Vec<SeverityMapping>> {
        self.store.severity_mapping(account)
    }

    /// Maps one severity onto an account's urgency and (optionally) a priority name.
    pub fn set_severity_mapping(
        &self,
        account: Id,
        level: u8,
        urgency: Urgency,
        priority: Option<String>,
    ) -> Result<SeverityMapping> {
        // A priority the account does not have would be silently never sent.
        if let Some(name) = priority.as_deref() {
            let known = self.store.priorities(account)?;
            if !known.is_empty()
                && !known
                    .iter()
                    .any(|p| p.name == name || p.provider_id == name)
            {
                let names: Vec<&str> = known.iter().map(|p| p.name.as_str()).collect();
                return Err(crate::Error::Invalid(format!(
                    "this account has no priority `{name}`; it has {}",
                    names.join(", ")
                )));
            }
        }
        self.store.set_severity_mapping(&SeverityMapping {
            account_id: account,
            level,
            urgency,
            priority,
        })
    }

    /// The checklist template for a severity.
    pub fn checklist(&self, level: u8) -> Result<Checklist> {
        self.store.checklist(level)
    }

    /// Replaces a severity's checklist with a TOML file's (validated; see `checklist.rs`).
    pub fn import_checklist(&self, level: u8, source: &str) -> Result<Checklist> {
        let checklist = Checklist::parse(source)?;
        let saved = self.store.set_checklist(level, &checklist)?;
        tracing::info!(level, items = saved.items.len(), "checklist imported");
        Ok(saved)
    }

    /// A severity's checklist as a TOML file that `import_checklist` reads back unchanged.
    pub fn export_checklist(&self, level: u8) -> Result<String> {
        Ok(self.store.checklist(level)?.to_toml())
    }

    /// Brings back the shipped checklist for a severity.
    pub fn reset_checklist(&self, level: u8) -> Result<Checklist> {
        self.store.reset_checklist(level)
    }

    /// Starts the cockpit: severity, the severity's checklist copied onto the incident, and
    /// the first stakeholder-update reminder.
    pub fn start_command(&self, incident: Id, level: u8, by: &str) -> Result<Cockpit> {
        self.store.start_command(incident, level, by)?;
        self.follow_severity(incident, level)?;
        self.store.cockpit(incident)
    }

    /// The commander's screen for one incident.
    pub fn cockpit(&self, incident: Id) -> Result<Cockpit> {
        self.store.cockpit(incident)
    }

    /// Changes a running cockpit's severity.
    pub fn set_incident_severity(&self, incident: Id, level: u8, by: &str) -> Result<Cockpit> {
        self.store.set_incident_severity(incident, level, by)?;
        self.follow_severity(incident, level)?;
        self.store.cockpit(incident)
    }

    /// Raises a PagerDuty incident's urgency, and sets its priority, to what the account's
    /// mapping gives `level`, through the outbox like any other action (so the change shows on
    /// the timeline and at the provider). It never lowers urgency: that can stop phone pages,
    /// and is for a person to do on purpose (`tocsin urgency`). Other providers have nothing
    /// to map onto.
    fn follow_severity(&self, incident: Id, level: u8) -> Result<()> {
        let current = self.store.incident_row(incident)?;
        if current.provider != crate::model::ProviderKind::Pagerduty {
            return Ok(());
        }
        let (urgency, priority) = self.severity_targets(current.account_id, level)?;
        let raise = urgency == crate::model::Urgency::High && current.urgency != urgency;
        if raise {
            self.act(incident, &crate::model::Action::SetUrgency { urgency })?;
        }
        let priority_name = |id: &str| {
            self.store
                .find_named(crate::store::Directory::Priorities, current.account_id, id)
                .ok()
        };
        if let Some(id) = priority {
            let same = current.priority.as_deref().and_then(priority_name) == Some(id.clone());
            if !same {
                self.act(
                    incident,
                    &crate::model::Action::SetPriority { priority_id: id },
                )?;
            }
        }
        Ok(())
    }

    /// Ticks checklist item `position` (1-based).
    pub fn tick(&self, incident: Id, position: u32, by: &str) -> Result<Cockpit> {
        self.store.set_item_done(incident, position, true, by)?;
        self.store.cockpit(incident)
    }

    /// Unticks checklist item `position` (1-based).
    pub fn untick(&self, incident: Id, position: u32, by: &str) -> Result<Cockpit> {
        self.store.set_item_done(incident, position, false, by)?;
        self.store.cockpit(incident)
    }

    /// Gives a role to a person; a held single role must be handed over instead.
    pub fn assign_role(&self, incident: Id, role: Role, person: &str, by: &str) -> Result<Cockpit> {
        self.store.assign_role(incident, role, person, by)?;
        self.store.cockpit(incident)
    }

    /// Hands a role to `to`. `from` is needed only for experts, where several hold the role.
    pub fn hand_over(
        &self,
        incident: Id,
        role: Role,
        to: &str,
        from: Option<&str>,
        by: &str,
    ) -> Result<Cockpit> {
        self.store.hand_over(incident, role, to, from, by)?;
        self.store.cockpit(incident)
    }

    /// A delegated task with an owner, due in `minutes`.
    pub fn add_timer(
        &self,
        incident: Id,
        label: &str,
        owner: &str,
        minutes: u32,
        by: &str,
    ) -> Result<Timer> {
        self.store.add_timer(incident, label, owner, minutes, by)
    }

    /// Pending timers, soonest first, of one incident or of all; `due_at` drives countdowns.
    pub fn timers(&self, incident: Option<Id>) -> Result<Vec<Timer>> {
        self.store.timers(incident)
    }

    /// Cancels a pending timer; the cancellation goes on the timeline.
    pub fn cancel_timer(&self, id: Id, by: &str) -> Result<Timer> {
        self.store.cancel_timer(id, by)
    }

    /// Claims the timers due at `now`, each for exactly one caller across processes. Show a
    /// notification per timer, then `mark_timer_fired`; on failure `release_timer`. See
    /// `src/store/timers.rs` for the whole protocol.
    pub fn claim_due_timers(&self, now: DateTime<Utc>) -> Result<Vec<Timer>> {
        self.store.claim_due_timers(now)
    }

    /// Records that a claimed timer's notification was shown (idempotent).
    pub fn mark_timer_fired(&self, id: Id) -> Result<()> {
        self.store.mark_timer_fired(id)
    }

    /// Gives back a claimed timer whose notification could not be shown.
    pub fn release_timer(&self, id: Id) -> Result<()> {
        self.store.release_timer(id)
    }

    /// Records a decision; its `TODO` lines become follow-ups.
    pub fn decide(&self, incident: Id, text: &str, by: &str) -> Result<CockpitNote> {
        self.store
            .add_cockpit_note(incident, NoteKind::Decision, text, by)
    }

    /// Records a cockpit note; its `TODO` lines become follow-ups.
    pub fn cockpit_note(&self, incident: Id, text: &str, by: &str) -> Result<CockpitNote> {
        self.store
            .add_cockpit_note(incident, NoteKind::Note, text, by)
    }

    /// Records that a stakeholder update went out and schedules the next reminder from the
    /// severity's cadence.
    pub fn record_update(&self, incident: Id, text: &str, by: &str) -> Result<CockpitNote> {
        self.store
            .add_cockpit_note(incident, NoteKind::Update, text, by)
    }

    /// The incident's follow-ups (for the postmortem), oldest first.
    pub fn followups(&self, incident: Id) -> Result<Vec<FollowUp>> {
        self.store.followups(incident)
    }

    /// The incident's whole timeline — provider entries and cockpit events in one ordered
    /// stream — as Markdown or JSON.
    pub fn timeline_export(&self, incident: Id, format: TimelineFormat) -> Result<String> {
        let detail = self.store.incident_detail(incident)?;
        let severity = match self.store.cockpit(incident) {
            Ok(cockpit) => Some(cockpit.severity.level),
            Err(Error::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        Ok(super::timeline::render(&detail, severity, format))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "<script>alert(1)</script> [x](javascript:alert(1))\n# Fake \u{1b}[2J";

    fn tocsin() -> (tempfile::TempDir, Tocsin) {
        let dir = tempfile::tempdir().unwrap();
        let tocsin = Tocsin::open(dir.path()).unwrap();
        (dir, tocsin)
    }

    #[test]
    fn the_exported_timeline_is_ordered_and_escapes_hostile_text() {
        let (_dir, tocsin) = tocsin();
        let id = tocsin.declare_local(HOSTILE, 2).unwrap().id;
        tocsin.start_command(id, 1, "Ana").unwrap();
        tocsin
            .assign_role(id, Role::Commander, "Ana", "Ana")
            .unwrap();
        tocsin.decide(id, HOSTILE, "Ana").unwrap();
        tocsin
            .hand_over(id, Role::Commander, "Bo", None, "Ana")
            .unwrap();

        let md = tocsin
            .timeline_export(id, TimelineFormat::Markdown)
            .unwrap();
        assert!(!md.contains("<script>") && !md.contains("](") && !md.contains('\u{1b}'));
        let headings: Vec<&str> = md.lines().filter(|l| l.starts_with('#')).collect();
        assert_eq!(headings.len(), 2, "only the export's own headings:\n{md}");
        assert!(md.contains("\\<script\\>"), "{md}");
        assert!(md.contains("- Severity: SEV-1"));

        let json: serde_json::Value =
            serde_json::from_str(&tocsin.timeline_export(id, TimelineFormat::Json).unwrap())
                .unwrap();
        let entries = json["timeline"].as_array().unwrap();
        let kinds: Vec<&str> = entries
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            [
                "trigger",
                "cockpit_start",
                "cockpit_timer",
                "cockpit_role",
                "cockpit_decision",
                "cockpit_handover"
            ]
        );
        let times: Vec<&str> = entries.iter().map(|e| e["at"].as_str().unwrap()).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
        assert_eq!(
            entries[4]["summary"],
            HOSTILE.trim(),
            "JSON keeps the text as data"
        );
        assert_eq!(json["severity"], 1);
    }

    #[test]
    fn checklists_import_export_and_reset_through_the_facade() {
        let (_dir, tocsin) = tocsin();
        let exported = tocsin.export_checklist(2).unwrap();
        let edited = exported.replace("SEV-2: major degradation", "SEV-2, our way");
        let imported = tocsin.import_checklist(2, &edited).unwrap();
        assert_eq!(imported.title, "SEV-2, our way");
        assert_eq!(
            tocsin
                .import_checklist(2, &tocsin.export_checklist(2).unwrap())
                .unwrap(),
            imported
        );

        let err = tocsin.import_checklist(2, "title = 1").unwrap_err();
        assert_eq!(err.code(), "invalid");
        assert_eq!(
            tocsin.checklist(2).unwrap(),
            imported,
            "a bad file changes nothing"
        );
        assert_eq!(
            tocsin.reset_checklist(2).unwrap(),
            Checklist::default_for(2).unwrap()
        );
    }

    #[test]
    fn a_provider_incident_gets_a_cockpit_too() {
        let (_dir, tocsin) = tocsin();
        let account = tocsin
            .store()
            .add_account(&crate::NewAccount {
                name: "am".into(),
                kind: crate::model::ProviderKind::Alertmanager,
                api_url: Some("http://127.0.0.1:9".into()),
                token: crate::model::TokenSource::None,
                email: None,
            })
            .unwrap();
        let mut batch = crate::provider::local::declared("Disk full", 3, 1);
        batch.incidents[0].provider_id = "fingerprint-1".into();
        batch.log_entries[0].incident_provider_id = "fingerprint-1".into();
        tocsin.store().apply(account.id, &batch).unwrap();
        let id = tocsin.store().find_incident("fingerprint-1").unwrap();

        let cockpit = tocsin.start_command(id, 2, "Ana").unwrap();
        assert_eq!(cockpit.severity.level, 2);
        tocsin.tick(id, 1, "Ana").unwrap();
        assert_eq!(tocsin.timers(Some(id)).unwrap().len(), 1);
    }
}
