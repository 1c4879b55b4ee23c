//! The postmortem's methods on the [`Tocsin`] facade, for the desktop shell and the CLI.
//!
//! Everything works offline against the cache; only `publish_postmortem` queues a write to a
//! provider, through the outbox like any note.

use chrono::{DateTime, Utc};

use super::export::{self, Format};
use super::prefill::{self, Prefill, Source};
use super::{
    hints, stats, ActionItem, ActionItemInput, Hint, Postmortem, PostmortemListing,
    PostmortemStatus, PostmortemVersion, ReviewPolicy, SaveOutcome, Stats, Template,
};
use crate::error::{Error, Result};
use crate::model::{Action, Id};
use crate::store::postmortem::NewPostmortem;
use crate::Tocsin;

/// The longest summary published back to an incident, in characters.
const MAX_SUMMARY_CHARS: usize = 1_500;

impl Tocsin {
    /// What the cache says about the incidents, combined: facts, timeline, follow-ups.
    pub fn postmortem_prefill(&self, incidents: &[Id]) -> Result<Prefill> {
        if incidents.is_empty() || incidents.len() > super::MAX_INCIDENTS {
            return Err(Error::Invalid(format!(
                "a postmortem covers 1 to {} incidents",
                super::MAX_INCIDENTS
            )));
        }
        let mut unique: Vec<Id> = Vec::with_capacity(incidents.len());
        for id in incidents {
            if !unique.contains(id) {
                unique.push(*id);
            }
        }
        let sources: Vec<Source> = unique
            .iter()
            .map(|id| self.source(*id))
            .collect::<Result<_>>()?;
        Ok(prefill::gather(&sources))
    }

    fn source(&self, incident: Id) -> Result<Source> {
        let detail = self.store.incident_detail(incident)?;
        let (cockpit, follow_ups) = match self.store.cockpit(incident) {
            Ok(c) => (Some(c), self.store.followups(incident)?),
            Err(Error::NotFound(_)) => (None, Vec::new()),
            Err(e) => return Err(e),
        };
        Ok(Source {
            detail,
            cockpit,
            follow_ups,
        })
    }

    /// Starts a postmortem for one or more incidents from a template (by default the one for
    /// the incidents' severity), prefilled from the cache; the follow-ups become action items.
    pub fn start_postmortem(&self, incidents: &[Id], template: Option<&str>) -> Result<Postmortem> {
        let prefill = self.postmortem_prefill(incidents)?;
        let name = template.unwrap_or_else(|| Template::default_name(prefill.severity));
        let template = self.store.postmortem_template(name)?;
        let (title, body) = template.fill(|p| prefill.plain(p), |p| prefill.value(p))?;
        let follow_ups = (prefill.follow_ups.iter())
            .map(|f| (f.text.clone(), f.note_id))
            .collect();
        let new = NewPostmortem {
            title: &title,
            body: &body,
            template: &template.name,
            severity: prefill.severity,
            incidents: &prefill.incidents,
            follow_ups,
        };
        let id = self.store.create_postmortem(&new, Utc::now())?;
        tracing::info!(
            postmortem = id,
            incidents = incidents.len(),
            "postmortem started"
        );
        self.store.postmortem(id)
    }

    pub fn postmortem(&self, id: Id) -> Result<Postmortem> {
        self.store.postmortem(id)
    }

    pub fn postmortems(&self) -> Result<Vec<PostmortemListing>> {
        self.store.postmortems()
    }

    /// The autosave the editor calls (at most about once a second while typing). Refused as
    /// a `conflict` when another window saved since `expected_revision`.
    pub fn save_postmortem(
        &self,
        id: Id,
        body: &str,
        expected_revision: i64,
    ) -> Result<SaveOutcome> {
        self.store
            .save_postmortem(id, body, expected_revision, Utc::now())
    }

    pub fn rename_postmortem(
        &self,
        id: Id,
        title: &str,
        expected_revision: i64,
    ) -> Result<SaveOutcome> {
        self.store
            .rename_postmortem(id, title, expected_revision, Utc::now())
    }

    /// Keeps the current text in the history now.
    pub fn keep_postmortem_version(&self, id: Id) -> Result<PostmortemVersion> {
        self.store.keep_version(id, Utc::now())
    }

    /// The history, newest first.
    pub fn postmortem_versions(&self, id: Id) -> Result<Vec<PostmortemVersion>> {
        self.store.versions(id)
    }

    pub fn restore_postmortem_version(
        &self,
        id: Id,
        version: Id,
        expected_revision: i64,
    ) -> Result<SaveOutcome> {
        let out = self
            .store
            .restore_version(id, version, expected_revision, Utc::now())?;
        tracing::info!(postmortem = id, version, "postmortem version restored");
        Ok(out)
    }

    /// Draft → In review → Reviewed → Closed, and back to Draft.
    pub fn set_postmortem_status(&self, id: Id, status: PostmortemStatus) -> Result<Postmortem> {
        let pm = self.store.set_postmortem_status(id, status, Utc::now())?;
        tracing::info!(
            postmortem = id,
            status = status.as_str(),
            "postmortem status changed"
        );
        Ok(pm)
    }

    pub fn action_items(&self, id: Id) -> Result<Vec<ActionItem>> {
        self.store.action_items(id)
    }

    pub fn add_action_item(&self, id: Id, input: &ActionItemInput) -> Result<ActionItem> {
        self.store.add_action_item(id, input)
    }

    pub fn edit_action_item(&self, item: Id, input: &ActionItemInput) -> Result<ActionItem> {
        self.store.edit_action_item(item, input)
    }

    pub fn remove_action_item(&self, item: Id) -> Result<()> {
        self.store.remove_action_item(item)
    }

    /// The language hints on the current text, less the dismissed ones. A person is anyone
    /// who took part in the incidents or is in their accounts' directories.
    pub fn postmortem_hints(&self, id: Id) -> Result<Vec<Hint>> {
        let pm = self.store.postmortem(id)?;
        let people = self.people(&pm.incidents)?;
        let dismissed = self.store.dismissed_hints(id)?;
        let mut hints = hints::check(&pm.body, &people);
        hints.retain(|h| !dismissed.contains(&h.fingerprint));
        Ok(hints)
    }

    fn people(&self, incidents: &[Id]) -> Result<Vec<String>> {
        let mut people = match incidents.is_empty() {
            true => Vec::new(),
            false => self.postmortem_prefill(incidents)?.people(),
        };
        let mut accounts: Vec<Id> = (incidents.iter())
            .filter_map(|i| self.store.incident_row(*i).ok().map(|r| r.account_id))
            .collect();
        accounts.sort_unstable();
        accounts.dedup();
        for account in accounts {
            people.extend(self.store.users(account)?.into_iter().map(|u| u.name));
        }
        Ok(people)
    }

    /// Hides a hint (by its fingerprint) for this postmortem.
    pub fn dismiss_postmortem_hint(&self, id: Id, fingerprint: &str) -> Result<()> {
        self.store.dismiss_hint(id, fingerprint)
    }

    /// The postmortem as Markdown or as a standalone HTML file.
    pub fn export_postmortem(&self, id: Id, format: Format) -> Result<String> {
        let pm = self.store.postmortem(id)?;
        let items = self.store.action_items(id)?;
        match format {
            Format::Markdown => export::markdown(&pm, &items),
            Format::Html => export::html_document(&pm, &items),
        }
    }

    /// The short text `publish_postmortem` posts: title, status, the summary section as
    /// written, and the action items' count.
    pub fn postmortem_summary(&self, id: Id) -> Result<String> {
        let pm = self.store.postmortem(id)?;
        let items = self.store.action_items(id)?;
        let open = items.iter().filter(|i| !i.done).count();
        let mut text = format!("Postmortem ({}): {}", pm.status.title(), pm.title);
        if let Some(summary) = summary_section(&pm.body) {
            text.push_str(&format!("\n\n{summary}"));
        }
        text.push_str(&format!("\n\nAction items: {} ({open} open).", items.len()));
        Ok(note_text(&text))
    }

    /// Adds the summary as a note on each incident the postmortem covers, through the outbox
    /// (a provider incident's note is queued; a local one's is written at once). Returns the
    /// outbox entry per incident, if any.
    ///
    /// TODO(postmortem-publish-once): publishing again adds another note; nothing records that
    /// a summary went out already, so the window should say so before a second publish.
    pub fn publish_postmortem(&self, id: Id) -> Result<Vec<(Id, Option<Id>)>> {
        let pm = self.store.postmortem(id)?;
        if pm.incidents.is_empty() {
            return Err(Error::Invalid(format!(
                "postmortem {id} has no incident left in the cache to publish to"
            )));
        }
        let text = self.postmortem_summary(id)?;
        let mut queued = Vec::new();
        for incident in pm.incidents {
            let entry = self.act_queued(incident, &Action::Note { text: text.clone() })?;
            queued.push((incident, entry));
        }
        tracing::info!(
            postmortem = id,
            incidents = queued.len(),
            "postmortem summary published"
        );
        Ok(queued)
    }

    pub fn postmortem_templates(&self) -> Result<Vec<Template>> {
        self.store.postmortem_templates()
    }

    /// Adds or replaces a template from a TOML file (validated; see `template.rs`).
    pub fn import_postmortem_template(&self, source: &str) -> Result<Template> {
        let template = Template::parse(source)?;
        self.store.set_postmortem_template(&template)
    }

    /// A template as a TOML file that `import_postmortem_template` reads back unchanged.
    pub fn export_postmortem_template(&self, name: &str) -> Result<String> {
        Ok(self.store.postmortem_template(name)?.to_toml())
    }

    /// Brings back a shipped template (returned), or removes one a person added (`None`).
    pub fn reset_postmortem_template(&self, name: &str) -> Result<Option<Template>> {
        self.store.reset_postmortem_template(name)
    }

    pub fn review_policies(&self) -> Result<Vec<ReviewPolicy>> {
        self.store.review_policies()
    }

    /// TODO(postmortem-policy-cli): no CLI command or window setting edits the policy yet;
    /// this method is the whole of it.
    pub fn set_review_policy(&self, policy: &ReviewPolicy) -> Result<ReviewPolicy> {
        self.store.set_review_policy(policy)
    }

    /// As [`Tocsin::stats`] over the last `days` days (all incidents if none), for the window.
    pub fn stats_for_days(&self, days: Option<u32>) -> Result<Stats> {
        let since = days.map(|d| Utc::now() - chrono::Duration::days(i64::from(d)));
        self.stats(since)
    }

    /// MTTA, MTTR and counts over the cached incidents created since `since` (all if none).
    pub fn stats(&self, since: Option<DateTime<Utc>>) -> Result<Stats> {
        let rows = self.store.incident_times(since)?;
        Ok(stats::compute(&rows, since))
    }
}

/// Text for a note: control and text-direction characters replaced (line breaks kept), and
/// bounded, cut with an ellipsis.
fn note_text(text: &str) -> String {
    let lines: Vec<String> = (text.lines())
        .map(|l| crate::paging::one_line(l, MAX_SUMMARY_CHARS))
        .collect();
    let text = lines.join("\n");
    if text.chars().count() <= MAX_SUMMARY_CHARS {
        return text;
    }
    let mut cut: String = text.chars().take(MAX_SUMMARY_CHARS - 1).collect();
    cut.push('…');
    cut
}

/// The text under the first `Summary` heading, unless it is still the template's hint (one
/// italic paragraph) or empty.
fn summary_section(body: &str) -> Option<String> {
    let mut lines = body.lines().skip_while(|l| {
        let l = l.trim_start();
        !(l.starts_with('#')
            && l.trim_start_matches('#')
                .trim()
                .eq_ignore_ascii_case("summary"))
    });
    lines.next()?;
    let text: Vec<&str> = lines
        .take_while(|l| !l.trim_start().starts_with('#'))
        .collect();
    let text = text.join("\n").trim().to_string();
    let placeholder = text.starts_with('_') && text.ends_with('_') && !text.contains("\n\n");
    (!text.is_empty() && !placeholder).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cockpit::Role;

    fn tocsin() -> (tempfile::TempDir, Tocsin) {
        let dir = tempfile::tempdir().unwrap();
        let tocsin = Tocsin::open(dir.path()).unwrap();
        (dir, tocsin)
    }

    /// A resolved SEV-2 incident run as SEV-1 from the cockpit by Ana, with a decision that
    /// holds a follow-up and an update sent by Bo.
    fn known_incident(tocsin: &Tocsin, title: &str) -> Id {
        let id = tocsin.declare_local(title, 2).unwrap().id;
        tocsin.start_command(id, 1, "Ana").unwrap();
        tocsin
            .assign_role(id, Role::Commander, "Ana", "Ana")
            .unwrap();
        tocsin
            .decide(id, "Roll back 4f2a\nTODO: alert on queue depth", "Ana")
            .unwrap();
        tocsin.record_update(id, "Customers told", "Bo").unwrap();
        tocsin.act(id, &Action::Acknowledge).unwrap();
        tocsin.act(id, &Action::Resolve).unwrap();
        id
    }

    #[test]
    fn prefill_matches_a_known_incident() {
        let (_dir, tocsin) = tocsin();
        let id = known_incident(&tocsin, "Checkout *down* <b>");
        let pm = tocsin.start_postmortem(&[id], None).unwrap();

        assert_eq!((pm.severity, pm.template.as_str()), (Some(1), "standard"));
        assert_eq!(
            pm.title, "Postmortem: Checkout *down* <b>",
            "the title is text"
        );
        assert!(pm.review_due.is_some() && !pm.overdue);
        for expected in [
            "| Severity | SEV-1 |",
            "| Responders | You, Ana, Bo |",
            "· decision · Roll back 4f2a TODO: alert on queue depth — Ana",
            "· update · Customers told — Bo",
            "· start ·",
            "- **For how long:**",
            "{{action_items}}",
        ] {
            assert!(pm.body.contains(expected), "{expected} in:\n{}", pm.body);
        }
        assert!(!pm.body.contains("<b>"), "provider text is escaped");
        assert!(pm
            .body
            .contains("# Postmortem: Checkout \\*down\\* \\<b\\>"));
        let times: Vec<&str> = (pm.body.lines())
            .filter(|l| l.starts_with("- 20"))
            .map(|l| &l[..21])
            .collect();
        assert_eq!(times.len(), 9, "{}", pm.body);
        assert!(
            times.windows(2).all(|w| w[0] <= w[1]),
            "in time order: {times:?}"
        );

        let items = tocsin.action_items(pm.id).unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].description, "alert on queue depth");
        let prefill = tocsin.postmortem_prefill(&[id]).unwrap();
        assert!(prefill.time_to_acknowledge_secs.is_some());
        assert!(prefill.ended_at.is_some());
    }

    #[test]
    fn one_postmortem_covers_several_incidents() {
        let (_dir, tocsin) = tocsin();
        let a = known_incident(&tocsin, "Queue backlog");
        let b = tocsin.declare_local("Checkout errors", 3).unwrap().id;
        let pm = tocsin.start_postmortem(&[a, b], Some("short")).unwrap();
        assert_eq!(pm.incidents, [a, b]);
        assert_eq!(pm.severity, Some(1), "the most severe wins");
        let (one, two) = ("· \\#1 · decision ·", "· \\#2 · trigger ·");
        assert!(
            pm.body.contains(one) && pm.body.contains(two),
            "{}",
            pm.body
        );
        assert!(
            pm.body.contains("not resolved yet"),
            "#2 is still open:\n{}",
            pm.body
        );
        let again = tocsin.start_postmortem(&[b, a, b], None).unwrap();
        assert_eq!(
            again.incidents,
            [b, a],
            "each incident once, in the order given"
        );
        let err = tocsin.start_postmortem(&[], None).unwrap_err();
        assert_eq!(err.code(), "invalid");
        assert_eq!(
            tocsin
                .start_postmortem(&[a], Some("nope"))
                .unwrap_err()
                .code(),
            "not_found"
        );
    }

    #[test]
    fn a_very_long_hostile_title_still_starts_a_postmortem() {
        let (_dir, tocsin) = tocsin();
        let title = format!("\u{202e}[x](javascript:alert(1)){}", "*<b>".repeat(250));
        let id = tocsin.declare_local(&title, 2).unwrap().id;
        let pm = tocsin.start_postmortem(&[id], None).unwrap();
        assert!(pm.title.chars().count() <= crate::postmortem::MAX_TITLE_CHARS);
        assert!(!pm.title.contains('\u{202e}'));
        let html = tocsin.export_postmortem(pm.id, Format::Html).unwrap();
        assert!(
            !html.contains("<b>") && !html.contains("href=\"javascript"),
            "{html}"
        );
    }

    #[test]
    fn hints_know_the_responders_and_stay_dismissed() {
        let (_dir, tocsin) = tocsin();
        let id = known_incident(&tocsin, "Checkout down");
        let pm = tocsin.start_postmortem(&[id], None).unwrap();
        let body = "## Summary\n\nBo deleted the index. The job failed to start.\n";
        tocsin.save_postmortem(pm.id, body, pm.revision).unwrap();
        let hints = tocsin.postmortem_hints(pm.id).unwrap();
        let rules: Vec<&str> = hints.iter().map(|h| h.rule.as_str()).collect();
        assert_eq!(rules, ["person-as-cause"]);
        tocsin
            .dismiss_postmortem_hint(pm.id, &hints[0].fingerprint)
            .unwrap();
        assert!(tocsin.postmortem_hints(pm.id).unwrap().is_empty());
    }

    #[test]
    fn publish_adds_the_summary_as_a_note_on_each_incident() {
        let (_dir, tocsin) = tocsin();
        let id = known_incident(&tocsin, "Checkout down");
        let pm = tocsin.start_postmortem(&[id], None).unwrap();
        let body = pm.body.replace(
            "_In two or three sentences: what happened, who noticed, how it ended._",
            "A bad deploy broke checkout for 20 minutes.\u{1b}[2J",
        );
        tocsin.save_postmortem(pm.id, &body, pm.revision).unwrap();
        let queued = tocsin.publish_postmortem(pm.id).unwrap();
        assert_eq!(
            queued,
            [(id, None)],
            "a local incident takes the note at once"
        );
        let timeline = tocsin.incident(id).unwrap().timeline;
        let note = timeline
            .iter()
            .rev()
            .find(|e| e.kind == "annotate")
            .unwrap();
        assert!(note
            .summary
            .starts_with("Postmortem (Draft): Postmortem: Checkout down"));
        assert!(note
            .summary
            .contains("A bad deploy broke checkout for 20 minutes."));
        assert!(!note.summary.contains('\u{1b}'));
        assert!(
            note.summary.ends_with("Action items: 1 (1 open)."),
            "{}",
            note.summary
        );
    }

    #[test]
    fn exports_carry_the_action_items() {
        let (_dir, tocsin) = tocsin();
        let id = known_incident(&tocsin, "Checkout down");
        let pm = tocsin.start_postmortem(&[id], None).unwrap();
        let md = tocsin.export_postmortem(pm.id, Format::Markdown).unwrap();
        assert!(
            md.contains("| no | alert on queue depth | — |") && !md.contains("{{"),
            "{md}"
        );
        let html = tocsin.export_postmortem(pm.id, Format::Html).unwrap();
        assert!(html.contains("<td>alert on queue depth</td>"), "{html}");
        assert!(html.starts_with("<!DOCTYPE html>"));
    }

    #[test]
    fn the_summary_section_is_what_the_author_wrote() {
        let body = "# PM\n\n## Summary\n\nCheckout failed for 20 min.\nRolled back.\n\n## Impact\n";
        assert_eq!(
            summary_section(body).unwrap(),
            "Checkout failed for 20 min.\nRolled back."
        );
        assert_eq!(
            summary_section("## Summary\n\n_In two sentences._\n## Next"),
            None
        );
        assert_eq!(summary_section("no heading"), None);
    }
}
