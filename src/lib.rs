//! Tocsin's headless core: the cache, the providers, the sync engine and paging.
//!
//! The desktop shell (`src-tauri/`) and the `tocsin` CLI are thin layers over [`Tocsin`] and
//! [`sync::Engine`]. Nothing here depends on Tauri.

pub mod cockpit;
pub mod comms;
pub mod deep_link;
pub mod error;
pub mod escalation;
pub mod files;
pub mod ics;
pub mod logs;
pub mod model;
pub mod outbox;
pub mod paging;
pub mod paging_policy;
pub mod postmortem;
pub mod provider;
pub mod schedule;
pub mod secrets;
pub mod store;
pub mod sync;
pub mod updates;

use std::path::{Path, PathBuf};

pub use error::{Error, Result};
pub use store::{NewAccount, Store};

use model::{
    Account, AccountHealth, Action, ActionKind, Declaration, Glance, Id, Incident, IncidentDetail,
    IncidentFilter, OnCall, OutboxEntry, Person, Priority, ProviderKind, Service, TokenSource,
};

/// The core, opened on one data directory. Share it behind an `Arc`.
pub struct Tocsin {
    store: Store,
    data_dir: PathBuf,
}

impl Tocsin {
    /// Opens the cache in `data_dir`, creating it and bringing its schema up to date.
    pub fn open(data_dir: &Path) -> Result<Tocsin> {
        Ok(Tocsin {
            store: Store::open(data_dir)?,
            data_dir: data_dir.to_path_buf(),
        })
    }

    /// `TOCSIN_DATA_DIR` if set, else the OS data directory (e.g. `~/.local/share/tocsin`).
    pub fn default_data_dir() -> PathBuf {
        if let Some(dir) = std::env::var_os("TOCSIN_DATA_DIR").filter(|d| !d.is_empty()) {
            return PathBuf::from(dir);
        }
        directories::ProjectDirs::from("dev", "tocsin", "tocsin")
            .map(|d| d.data_dir().to_path_buf())
            .unwrap_or_else(|| PathBuf::from(".tocsin"))
    }

    /// The release channel updates come from (stable unless a person chose otherwise).
    pub fn update_channel(&self) -> Result<updates::UpdateChannel> {
        updates::channel(&self.data_dir)
    }

    pub fn set_update_channel(&self, channel: updates::UpdateChannel) -> Result<()> {
        updates::set_channel(&self.data_dir, channel)
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn incidents(&self, filter: &IncidentFilter) -> Result<Vec<Incident>> {
        self.store.incidents(filter)
    }

    pub fn incident(&self, id: Id) -> Result<IncidentDetail> {
        self.store.incident_detail(id)
    }

    /// Where an incident is in its escalation policy and who it goes to next, now.
    pub fn escalation(&self, id: Id) -> Result<Option<escalation::EscalationOutlook>> {
        self.store.escalation_outlook(id, chrono::Utc::now())
    }

    pub fn services(&self) -> Result<Vec<Service>> {
        self.store.services()
    }

    pub fn oncall_now(&self) -> Result<Vec<OnCall>> {
        self.store.oncall_now()
    }

    /// On call or not, how many open incidents wait for an acknowledgement, and the first
    /// `limit` open incidents in work order: what the tray shows.
    pub fn glance(&self, limit: u32) -> Result<Glance> {
        let on_call = self.store.oncall_now()?.iter().any(|o| o.is_me);
        let filter = IncidentFilter {
            limit: Some(limit),
            ..IncidentFilter::default()
        };
        let open = self.store.incidents(&filter)?;
        let unacknowledged = self.store.count_unacknowledged()?;
        Ok(Glance {
            on_call,
            unacknowledged,
            open,
        })
    }

    pub fn health(&self) -> Result<Vec<AccountHealth>> {
        self.store.health()
    }

    pub fn accounts(&self) -> Result<Vec<Account>> {
        self.store.accounts()
    }

    /// Adds an account. A token given here goes to the OS keychain before the account becomes
    /// visible; if the keychain refuses, the account is not added.
    pub fn add_account(&self, new: NewAccount, token: Option<String>) -> Result<Account> {
        validate(&new, token.is_some())?;
        let mut new = new;
        if token.is_some() {
            new.token = TokenSource::Keychain;
        }

        let account = self.store.add_account_then(&new, |id| match &token {
            Some(token) => secrets::store_token(id, token),
            None => Ok(()),
        })?;
        tracing::info!(account = %account.name, kind = account.kind.as_str(), "account added");
        Ok(account)
    }

    /// Replaces an account's token — after the provider rejected it, say — keeping the
    /// account, its cache and its page ledger (adding it again would page everything anew).
    /// A token given here goes to the OS keychain; `source` may instead name a variable.
    pub fn replace_token(
        &self,
        id: Id,
        source: TokenSource,
        token: Option<String>,
    ) -> Result<Account> {
        let account = self.store.account(id)?;
        if account.kind == ProviderKind::Local {
            return Err(Error::Invalid("the local workspace has no token".into()));
        }
        let source = match (token, source) {
            (Some(token), _) => {
                secrets::store_token(id, &token)?;
                TokenSource::Keychain
            }
            (None, TokenSource::Env { var }) => {
                validate_env_var(&var)?;
                if account.token == TokenSource::Keychain {
                    secrets::delete_token(id)?;
                }
                TokenSource::Env { var }
            }
            (None, _) => return Err(Error::Invalid("give a token or a variable name".into())),
        };
        let account = self.store.set_token_source(id, &source)?;
        tracing::info!(account = %account.name, "token replaced");
        Ok(account)
    }

    /// Removes an account, its cached data and its keychain entry. Actions still waiting in
    /// its outbox would go with it, so the removal is refused unless `discard_unsent`.
    pub fn remove_account(&self, id: Id, discard_unsent: bool) -> Result<()> {
        let account = self.store.account(id)?;
        let waiting = self.store.outbox_unfinished(id)?;
        if waiting > 0 && !discard_unsent {
            return Err(Error::Invalid(format!(
                "{waiting} action(s) for `{}` are not sent yet; send them first (`tocsin sync \
                 --once`), or remove the account with --discard-unsent to drop them",
                account.name
            )));
        }
        if account.token == TokenSource::Keychain {
            secrets::delete_token(id)?;
        }
        self.store.remove_account(id)
    }

    /// Acts on an incident. In the local workspace the change is made here and now. For a
    /// provider the change is made in the cache and queued in the outbox in one transaction;
    /// the engine (or [`Tocsin::send_outbox`]) sends it when the provider is reachable.
    /// Alertmanager has no notes: a note on an alert stays in Tocsin.
    pub fn act(&self, incident_id: Id, action: &Action) -> Result<IncidentDetail> {
        self.act_queued(incident_id, action)?;
        self.store.incident_detail(incident_id)
    }

    /// As [`Tocsin::act`], returning the outbox entry when the action must reach a provider.
    pub fn act_queued(&self, incident_id: Id, action: &Action) -> Result<Option<Id>> {
        let incident = self.store.incident_row(incident_id)?;
        let stays_here = incident.provider == ProviderKind::Local
            || (incident.provider == ProviderKind::Alertmanager
                && matches!(action, Action::Note { .. }));
        if stays_here {
            self.store.apply_action(incident_id, action, "You")?;
            tracing::info!(
                incident = incident_id,
                action = action.verb(),
                "action applied"
            );
            return Ok(None);
        }
        self.store
            .enqueue_action(incident_id, action, "You")
            .map(Some)
    }

    /// Opens an incident: in the local workspace at once, at a provider through the outbox
    /// (cached meanwhile under a placeholder id, so work on it can start).
    pub fn declare(&self, account_id: Id, declaration: &Declaration) -> Result<Incident> {
        let account = self.store.account(account_id)?;
        validate_declaration(declaration)?;
        match account.kind {
            ProviderKind::Local => self.declare_local_as(declaration),
            ProviderKind::Alertmanager => Err(Error::Invalid(
                "Alertmanager cannot open incidents; alerts come from Prometheus".into(),
            )),
            ProviderKind::Pagerduty => {
                if declaration.escalation_policy_id.is_some() {
                    return Err(Error::Invalid(
                        "a PagerDuty incident takes its service's escalation policy; \
                         leave the policy out"
                            .into(),
                    ));
                }
                if declaration.service_id.is_none() {
                    return Err(Error::Invalid(
                        "PagerDuty opens incidents on a service; choose one".into(),
                    ));
                }
                let declaration = self.mapped(account_id, declaration)?;
                let (_, id) = self
                    .store
                    .enqueue_declaration(account_id, &declaration, "You")?;
                self.store.incident_row(id)
            }
        }
    }

    /// The declaration with the urgency and priority the account's severity mapping gives its
    /// severity, where the person did not choose them.
    fn mapped(&self, account_id: Id, declaration: &Declaration) -> Result<Declaration> {
        let mut d = declaration.clone();
        let (urgency, priority) = self.severity_targets(account_id, d.severity)?;
        d.urgency = d.urgency.or(Some(urgency));
        d.priority_id = d.priority_id.or(priority);
        Ok(d)
    }

    /// What the account's severity mapping says `level` means at the provider: an urgency,
    /// and a priority id when the mapped priority name is in the cached directory.
    pub fn severity_targets(
        &self,
        account_id: Id,
        level: u8,
    ) -> Result<(model::Urgency, Option<String>)> {
        let mapping = self.store.severity_mapping(account_id)?;
        let Some(m) = mapping.into_iter().find(|m| m.level == level) else {
            return Err(Error::Invalid(format!(
                "severity must be 1 to 4, not {level}"
            )));
        };
        let priority = m.priority.as_deref().and_then(|name| {
            self.store
                .find_named(store::Directory::Priorities, account_id, name)
                .ok()
        });
        Ok((m.urgency, priority))
    }

    /// What can be done to an incident now at its provider, for offering only that.
    pub fn offered_actions(&self, incident_id: Id) -> Result<Vec<ActionKind>> {
        let incident = self.store.incident_row(incident_id)?;
        Ok(store::offered_actions(&incident))
    }

    /// The cached people of an account, to reassign one of its incidents to.
    pub fn users(&self, account_id: Id) -> Result<Vec<Person>> {
        self.store.users(account_id)
    }

    /// The cached priorities of an account (PagerDuty's P1..).
    pub fn priorities(&self, account_id: Id) -> Result<Vec<Priority>> {
        self.store.priorities(account_id)
    }

    /// Writes on their way to providers: unfinished ones and those of the last day.
    pub fn outbox(&self) -> Result<Vec<OutboxEntry>> {
        self.store.outbox()
    }

    /// Sends what is due in the outbox of every account (or one), in order; for the CLI right
    /// after an action, and for `tocsin sync`. The engine drains continuously on its own.
    pub async fn send_outbox(
        &self,
        only: Option<Id>,
    ) -> Result<Vec<(Account, outbox::DrainReport)>> {
        let mut reports = Vec::new();
        for account_id in self.store.outbox_accounts()? {
            if only.is_some_and(|o| o != account_id) {
                continue;
            }
            let account = self.store.account(account_id)?;
            let report = outbox::drain(self, &account).await?;
            reports.push((account, report));
        }
        Ok(reports)
    }

    /// Declares an incident in the local workspace.
    pub fn declare_local(&self, title: &str, severity: u8) -> Result<Incident> {
        let title = title.trim();
        if title.is_empty() {
            return Err(Error::Invalid("an incident needs a title".into()));
        }
        if !(1..=4).contains(&severity) {
            return Err(Error::Invalid(format!(
                "severity must be 1 to 4, not {severity}"
            )));
        }
        self.apply_local(|n| provider::local::declared(title, severity, n))
    }

    /// Declares an incident in the local workspace as `declaration` says: an urgency given
    /// overrides the one the severity implies, and the details are kept with it.
    fn declare_local_as(&self, declaration: &Declaration) -> Result<Incident> {
        let title = declaration.title.trim();
        let details = declaration.details.as_deref().map(str::trim);
        if details.is_some_and(|d| d.chars().count() > MAX_DETAILS_CHARS) {
            return Err(Error::Invalid(format!(
                "details are at most {MAX_DETAILS_CHARS} characters"
            )));
        }
        let policy = declaration.escalation_policy_id.as_deref();
        if let Some(id) = policy {
            let local = self.store.local_account()?;
            if self.store.escalation_policy(local.id, id)?.is_none() {
                return Err(Error::NotFound(format!("local escalation policy `{id}`")));
            }
        }
        self.apply_local(|n| {
            let mut batch = provider::local::declared(title, declaration.severity, n);
            let record = &mut batch.incidents[0];
            record.escalation_policy_id = policy.map(str::to_string);
            if let Some(urgency) = declaration.urgency {
                record.urgency = urgency;
            }
            if let Some(text) = details.filter(|d| !d.is_empty()) {
                record.details = serde_json::json!({ "details": text });
            }
            batch
        })
    }

    /// Starts a drill: a simulated page in the local workspace, clearly marked as a drill.
    pub fn start_drill(&self) -> Result<Incident> {
        self.apply_local(provider::local::drill)
    }

    fn apply_local(&self, make: impl FnOnce(i64) -> provider::Batch) -> Result<Incident> {
        let account = self.store.local_account()?;
        let number = self.store.next_local_number(account.id)?;
        let batch = make(number);
        let provider_id = batch.incidents[0].provider_id.clone();
        self.store.apply(account.id, &batch)?;
        let id = self.store.find_incident(&provider_id)?;
        self.store.incident_row(id)
    }
}

/// The longest free text a local declaration keeps.
const MAX_DETAILS_CHARS: usize = 10_000;

fn validate_declaration(d: &Declaration) -> Result<()> {
    let title = d.title.trim();
    if title.is_empty() {
        return Err(Error::Invalid("an incident needs a title".into()));
    }
    if title.chars().count() > 1024 {
        return Err(Error::Invalid("a title is at most 1,024 characters".into()));
    }
    if !(1..=4).contains(&d.severity) {
        return Err(Error::Invalid(format!(
            "severity must be 1 to 4, not {}",
            d.severity
        )));
    }
    Ok(())
}

fn validate_env_var(var: &str) -> Result<()> {
    let valid = !var.is_empty() && !var.contains('=') && !var.contains('\0');
    if !valid {
        return Err(Error::Invalid(format!(
            "`{var}` is not an environment variable name"
        )));
    }
    Ok(())
}

fn validate(new: &NewAccount, has_token: bool) -> Result<()> {
    if let TokenSource::Env { var } = &new.token {
        validate_env_var(var)?;
    }
    if let Some(url) = &new.api_url {
        let ok = url.starts_with("https://") || url.starts_with("http://");
        if !ok {
            return Err(Error::Invalid(format!("`{url}` is not an http(s) URL")));
        }
    }
    match new.kind {
        ProviderKind::Pagerduty if !has_token && !matches!(new.token, TokenSource::Env { .. }) => {
            Err(Error::Invalid(
                "PagerDuty needs a token (keychain or environment)".into(),
            ))
        }
        ProviderKind::Alertmanager if new.api_url.is_none() => {
            Err(Error::Invalid("Alertmanager needs its URL".into()))
        }
        ProviderKind::Local => Err(Error::Invalid("the local workspace exists already".into())),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{GlanceState, Urgency};

    #[test]
    fn the_glance_turns_from_paged_to_quiet_when_acknowledged() {
        let dir = tempfile::tempdir().unwrap();
        let tocsin = Tocsin::open(dir.path()).unwrap();
        assert_eq!(tocsin.glance(10).unwrap().state(), GlanceState::NotOnCall);

        let drill = tocsin.start_drill().unwrap();
        let glance = tocsin.glance(10).unwrap();
        assert_eq!(glance.state(), GlanceState::Paged);
        assert_eq!(glance.unacknowledged, 1);
        assert_eq!(glance.open[0].id, drill.id);

        tocsin.act(drill.id, &Action::Acknowledge).unwrap();
        let glance = tocsin.glance(10).unwrap();
        assert_eq!(glance.state(), GlanceState::NotOnCall);
        assert_eq!(glance.open.len(), 1, "acknowledged is still open");
    }

    #[test]
    fn only_a_local_declaration_may_name_an_escalation_policy() {
        let dir = tempfile::tempdir().unwrap();
        let tocsin = Tocsin::open(dir.path()).unwrap();
        let new = NewAccount {
            name: "pd".into(),
            kind: ProviderKind::Pagerduty,
            api_url: None,
            token: model::TokenSource::None,
            email: None,
        };
        let pd = tocsin.store().add_account(&new).unwrap().id;
        let declaration = Declaration {
            title: "Checkout down".into(),
            severity: 1,
            service_id: Some("PS1".into()),
            urgency: None,
            priority_id: None,
            details: None,
            escalation_policy_id: Some("web".into()),
        };

        let err = tocsin.declare(pd, &declaration).unwrap_err();
        assert!(err
            .to_string()
            .contains("takes its service's escalation policy"));
        let local = tocsin.store().local_account().unwrap().id;
        let err = tocsin.declare(local, &declaration).unwrap_err();
        assert_eq!(err.code(), "not_found");
    }

    #[test]
    fn a_local_declaration_keeps_the_urgency_and_details_given() {
        let dir = tempfile::tempdir().unwrap();
        let tocsin = Tocsin::open(dir.path()).unwrap();
        let local = tocsin.store().local_account().unwrap().id;
        let declaration = |severity, urgency, details: Option<&str>| Declaration {
            title: "Queue backs up".into(),
            severity,
            service_id: None,
            urgency,
            priority_id: None,
            details: details.map(Into::into),
            escalation_policy_id: None,
        };

        let high = tocsin
            .declare(
                local,
                &declaration(4, Some(Urgency::High), Some("  Consumers lag  ")),
            )
            .unwrap();
        assert_eq!(high.urgency, Urgency::High);
        assert_eq!(high.details["details"], "Consumers lag");

        let low = tocsin
            .declare(local, &declaration(1, Some(Urgency::Low), None))
            .unwrap();
        assert_eq!(low.urgency, Urgency::Low);
        let implied = tocsin.declare(local, &declaration(1, None, None)).unwrap();
        assert_eq!(
            implied.urgency,
            Urgency::High,
            "the severity's urgency when none is given"
        );

        let long = "x".repeat(MAX_DETAILS_CHARS + 1);
        let err = tocsin
            .declare(local, &declaration(2, None, Some(&long)))
            .unwrap_err();
        assert_eq!(err.code(), "invalid");
    }
}
