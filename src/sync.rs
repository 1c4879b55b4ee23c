//! The sync engine: one loop per account that reads its provider, applies the batch to the
//! cache in one transaction, raises new pages, and records the account's health.
//!
//! Intervals shorten while the responder is on call or an incident is open. Failures back off
//! exponentially with jitter; being offline is a state shown to the person, not an error
//! storm; a rejected token stops polling until the account is added again.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use tokio::sync::{broadcast, Notify};
use tracing::Instrument;

use crate::error::{Error, Result};
use crate::model::{
    Account, Action, Declaration, HealthState, Id, Incident, IncidentDetail, LocalFault,
    PagerStatus, ProviderKind,
};
use crate::paging::{self, Notifier};
use crate::provider::http::{jitter, RetryPolicy};
use crate::provider::pagerduty::{self, PassInput};
use crate::provider::{Batch, Client};
use crate::store::ApplyOutcome;
use crate::{outbox, Tocsin};

/// What changed, for windows and other listeners.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncEvent {
    /// The account's cached data changed.
    Changed { account_id: Id },
    /// The account's health changed (a failure, a recovery, a revoked token).
    Health { account_id: Id },
    /// These incidents were just paged.
    Paged { incident_ids: Vec<Id> },
    /// Notifications, or the local database, stopped or started working again (see
    /// [`Engine::pager_status`]).
    Pager,
    /// Cockpit timers came due and were shown.
    Reminded { timer_ids: Vec<Id> },
    /// Writes left the outbox: sent, or refused by the provider (a conflict, say), which
    /// the person must be told about.
    Outbox {
        account_id: Id,
        sent: usize,
        refused: usize,
    },
}

/// Timing of the engine.
#[derive(Debug, Clone, Copy)]
pub struct EngineConfig {
    /// Between passes when nothing is going on.
    pub idle_interval: Duration,
    /// Between passes while I am on call or an incident is open.
    pub hot_interval: Duration,
    /// The longest wait after repeated failures.
    pub max_backoff: Duration,
    /// Retries inside one pass.
    pub retry: RetryPolicy,
    pub history_days: i64,
    /// Whether this engine raises pages; an engine that only syncs must not claim them.
    pub raise_pages: bool,
    /// How long before one of my shifts starts its reminder is shown.
    pub shift_reminder_lead: Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            idle_interval: Duration::from_secs(60),
            hot_interval: Duration::from_secs(15),
            max_backoff: Duration::from_secs(15 * 60),
            retry: RetryPolicy::default(),
            history_days: 90,
            raise_pages: true,
            shift_reminder_lead: Duration::from_secs(15 * 60),
        }
    }
}

impl EngineConfig {
    /// Defaults, with `TOCSIN_SYNC_INTERVAL_SECS` overriding both intervals (tests, demos) and
    /// `TOCSIN_HISTORY_DAYS` how far back a first sync reads resolved incidents.
    pub fn from_env() -> EngineConfig {
        let mut config = EngineConfig::default();
        let secs = std::env::var("TOCSIN_SYNC_INTERVAL_SECS")
            .ok()
            .and_then(|v| v.parse().ok());
        // Anything outside a sane range (zero, negative, infinite) keeps the defaults.
        if let Some(secs) = secs.filter(|s: &f64| *s > 0.0 && *s <= 86_400.0) {
            config.idle_interval = Duration::from_secs_f64(secs);
            config.hot_interval = Duration::from_secs_f64(secs);
        }
        let days = std::env::var("TOCSIN_HISTORY_DAYS")
            .ok()
            .and_then(|v| v.parse().ok());
        if let Some(days) = days.filter(|d: &i64| (1..=3650).contains(d)) {
            config.history_days = days;
        }
        config
    }

    fn failure_delay(&self, failures: u32) -> Duration {
        let base = self.hot_interval.max(Duration::from_secs(1));
        let exp = base.saturating_mul(1u32 << failures.min(10));
        let capped = exp.min(self.max_backoff);
        capped / 2 + (capped / 2).mul_f64(jitter())
    }
}

/// How often the outbox looks for entries whose back-off has passed.
const OUTBOX_TICK: Duration = Duration::from_secs(2);

/// How long opening an incident may wait for its timeline from the provider.
const TIMELINE_FETCH_LIMIT: Duration = Duration::from_secs(5);

/// A provider client kept across passes.
type Adapter = Client;

/// Drives every account's sync and raises pages.
pub struct Engine {
    tocsin: Arc<Tocsin>,
    notifier: Arc<dyn Notifier>,
    events: broadcast::Sender<SyncEvent>,
    config: EngineConfig,
    wake: Arc<Notify>,
    /// Set by [`Engine::wake`]: loops stopped by a non-transient error start again.
    restart_stopped: AtomicBool,
    /// Whether the last attempt to show pages failed.
    notifier_failing: AtomicBool,
    /// The local database's fault while it lasts (see [`PagerStatus::local_fault`]).
    local_fault: Mutex<Option<LocalFault>>,
    /// Wakes the outbox sender when something is queued.
    outbox_wake: Arc<Notify>,
}

impl Engine {
    pub fn new(tocsin: Arc<Tocsin>, notifier: Arc<dyn Notifier>) -> Engine {
        Engine::with_config(tocsin, notifier, EngineConfig::from_env())
    }

    pub fn with_config(
        tocsin: Arc<Tocsin>,
        notifier: Arc<dyn Notifier>,
        config: EngineConfig,
    ) -> Engine {
        let (events, _) = broadcast::channel(256);
        let wake = Arc::new(Notify::new());
        Engine {
            tocsin,
            notifier,
            events,
            config,
            wake,
            restart_stopped: AtomicBool::new(false),
            notifier_failing: AtomicBool::new(false),
            local_fault: Mutex::new(None),
            outbox_wake: Arc::new(Notify::new()),
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<SyncEvent> {
        self.events.subscribe()
    }

    /// Asks every account loop to sync now instead of waiting for its interval, and the
    /// outbox to retry what waits.
    pub fn wake(&self) {
        self.restart_stopped.store(true, Ordering::SeqCst);
        self.wake.notify_waiters();
        if let Err(e) = self.tocsin.store().outbox_retry_now(None) {
            tracing::warn!(error = %e, "cannot reschedule the outbox");
        }
        self.outbox_wake.notify_one();
    }

    /// Acts on an incident (see [`Tocsin::act`]) and sends the write at once if it can.
    pub fn act(&self, incident_id: Id, action: &Action) -> Result<IncidentDetail> {
        let detail = self.tocsin.act(incident_id, action)?;
        self.outbox_wake.notify_one();
        let _ = self.events.send(SyncEvent::Changed {
            account_id: detail.incident.account_id,
        });
        Ok(detail)
    }

    /// Opens an incident (see [`Tocsin::declare`]) and sends it at once if it can.
    pub fn declare(&self, account_id: Id, declaration: &Declaration) -> Result<Incident> {
        let incident = self.tocsin.declare(account_id, declaration)?;
        self.outbox_wake.notify_one();
        let _ = self.events.send(SyncEvent::Changed { account_id });
        Ok(incident)
    }

    /// Drains every account's outbox whenever something is queued, and every few seconds
    /// for entries whose back-off has passed.
    async fn outbox_loop(self: Arc<Self>) {
        loop {
            self.drain_outbox().await;
            tokio::select! {
                _ = tokio::time::sleep(OUTBOX_TICK) => {}
                _ = self.outbox_wake.notified() => {}
            }
        }
    }

    async fn drain_outbox(&self) {
        let accounts = match self.tocsin.store().outbox_accounts() {
            Ok(accounts) => accounts,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the outbox");
                self.note_local_error(&e);
                return;
            }
        };
        for account_id in accounts {
            let report = match self.tocsin.store().account(account_id) {
                Ok(account) => outbox::drain(&self.tocsin, &account).await,
                Err(e) => Err(e),
            };
            match report {
                Ok(r) if r.sent + r.refused > 0 => {
                    // A refused write left the cache as the person wanted it, not as the
                    // provider has it: the next pass corrects it, so make it come now.
                    if r.refused > 0 {
                        self.wake.notify_waiters();
                        self.tell_refused(&r.refused_ids).await;
                    }
                    let _ = self.events.send(SyncEvent::Outbox {
                        account_id,
                        sent: r.sent,
                        refused: r.refused,
                    });
                    let _ = self.events.send(SyncEvent::Changed { account_id });
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::error!(account = account_id, error = %e, "outbox drain failed");
                    self.note_local_error(&e);
                }
            }
        }
    }

    /// One pass over each account (or the one named), for `tocsin sync --once`.
    pub async fn sync_once(
        &self,
        only: Option<&str>,
    ) -> Result<Vec<(Account, Result<ApplyOutcome>)>> {
        let accounts = match only {
            Some(name) => vec![self.tocsin.store().account_by_name(name)?],
            None => self.tocsin.accounts()?,
        };
        let mut results = Vec::new();
        for account in accounts {
            let result = match self.adapter(&account) {
                Ok(adapter) => self.pass(&account, &adapter).await,
                Err(e) => {
                    self.record_failure(&account, &e, None)?;
                    Err(e)
                }
            };
            results.push((account, result));
        }
        Ok(results)
    }

    /// Runs forever: starts a loop for each account (also ones added later) and raises pages
    /// from the local workspace as soon as they appear.
    pub async fn run(self: Arc<Self>) {
        tokio::spawn(self.clone().outbox_loop());
        let mut loops: HashMap<Id, (Account, tokio::task::JoinHandle<()>)> = HashMap::new();
        let mut tick: u64 = 0;
        loop {
            match self.tocsin.accounts() {
                Ok(accounts) => self.reconcile_loops(&accounts, &mut loops),
                Err(e) => tracing::error!(error = %e, "cannot read accounts"),
            }
            // While the database refuses writes, each of these claims would wait out the lock
            // and hold the one connection away from the window meanwhile; nothing can be
            // claimed then anyway, so they are tried every tenth second, not every second.
            let faulted = self.fault_slot().is_some();
            if !faulted || tick.is_multiple_of(10) {
                self.raise_pages().await;
                self.raise_reminders().await;
                self.raise_review_reminders().await;
                // Rendering every schedule is not a once-a-second job; twice a minute is on
                // time.
                if tick.is_multiple_of(30) {
                    self.refresh_local_oncalls().await;
                    self.raise_shift_reminders().await;
                }
                self.raise_policy_pages().await;
            }
            tick = tick.wrapping_add(1);
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    fn reconcile_loops(
        self: &Arc<Self>,
        accounts: &[Account],
        loops: &mut HashMap<Id, (Account, tokio::task::JoinHandle<()>)>,
    ) {
        // A loop that stopped (revoked token) stays stopped until someone asks to sync again,
        // so a dead token is not retried every second. A changed account (removed and added
        // again, new URL or token source) gets a fresh loop at once.
        let restart = self.restart_stopped.swap(false, Ordering::SeqCst);
        loops.retain(|id, (running, handle)| {
            let current = accounts.iter().find(|a| a.id == *id);
            let unchanged = current.is_some_and(|a| same_connection(a, running));
            let keep = unchanged && !(restart && handle.is_finished());
            if !keep {
                handle.abort();
            }
            keep
        });
        for account in accounts.iter().filter(|a| a.kind != ProviderKind::Local) {
            if !loops.contains_key(&account.id) {
                let engine = self.clone();
                let account = account.clone();
                let running = account.clone();
                let handle = tokio::spawn(async move { engine.account_loop(running).await });
                loops.insert(account.id, (account, handle));
            }
        }
    }

    async fn account_loop(self: Arc<Self>, account: Account) {
        let mut failures = 0u32;
        let adapter = loop {
            match self.adapter(&account) {
                Ok(adapter) => break adapter,
                // A keychain still locked after login, say: try again later.
                Err(e) if e.is_transient() => {
                    failures += 1;
                    let delay = self.config.failure_delay(failures);
                    let _ = self.record_failure(&account, &e, Some(delay));
                    self.sleep_or_wake(delay).await;
                }
                // Without a token nothing heals by retrying; the loop starts again when the
                // account changes or someone asks to sync.
                Err(e) => {
                    let _ = self.record_failure(&account, &e, None);
                    tracing::warn!(account = %account.name, error = %e, "sync stopped");
                    return;
                }
            }
        };
        loop {
            let result = self.pass(&account, &adapter).await;
            self.note_local(&result);
            let delay = match result {
                Ok(_) => {
                    if failures > 0 {
                        self.retry_outbox_now(account.id);
                    }
                    failures = 0;
                    self.interval(account.id)
                }
                Err(e) if !e.is_transient() => {
                    tracing::warn!(account = %account.name, error = %e, "sync stopped");
                    return;
                }
                // A full disk or a lock says nothing about the provider, and the person wants
                // sync back soon after it ends: a steady interval, not the provider back-off.
                Err(e) if e.is_local_fault() => self.config.hot_interval,
                Err(_) => {
                    failures += 1;
                    self.config.failure_delay(failures)
                }
            };
            let next = Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default();
            if self.fault_slot().is_none() {
                let _ = self.tocsin.store().record_next_attempt(account.id, next);
            }
            self.sleep_or_wake(delay).await;
        }
    }

    /// The provider answers again: what waited in the account's outbox, backed off over the
    /// outage, is sent now rather than when its own back-off ends (minutes, after a long one).
    fn retry_outbox_now(&self, account: Id) {
        match self.tocsin.store().outbox_retry_now(Some(account)) {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(account, waiting = n, "provider back: sending what waited");
                self.outbox_wake.notify_one();
            }
            Err(e) => tracing::warn!(error = %e, "cannot reschedule the outbox"),
        }
    }

    async fn sleep_or_wake(&self, delay: Duration) {
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = self.wake.notified() => {}
        }
    }

    fn interval(&self, account: Id) -> Duration {
        match self.tocsin.store().is_hot(account) {
            Ok(true) => self.config.hot_interval,
            _ => self.config.idle_interval,
        }
    }

    fn adapter(&self, account: &Account) -> Result<Adapter> {
        let options = pagerduty::Options {
            history_days: self.config.history_days,
            retry: self.config.retry,
        };
        Client::for_account(account, options)
    }

    /// One pass for one account: read, apply, page, record health.
    async fn pass(&self, account: &Account, adapter: &Adapter) -> Result<ApplyOutcome> {
        let span =
            tracing::info_span!("sync", account = %account.name, kind = account.kind.as_str());
        self.pass_in_span(account, adapter).instrument(span).await
    }

    async fn pass_in_span(&self, account: &Account, adapter: &Adapter) -> Result<ApplyOutcome> {
        let started = std::time::Instant::now();

        let batch = match self.read(account, adapter).await {
            Ok(batch) => batch,
            // The next attempt is recorded by whoever plans it (the account loop); a one-off
            // pass (`sync --once`) plans none.
            Err(e) => {
                if !e.is_local_fault() {
                    self.record_failure(account, &e, None)?;
                }
                return Err(e);
            }
        };
        let outcome = match self.tocsin.store().apply(account.id, &batch) {
            Ok(outcome) => outcome,
            Err(e) => {
                // A full disk, say: the transaction rolled back and the cache is as it was.
                // Recording that in the same database would fail (or wait out the same lock)
                // too; the engine's local fault says it instead.
                if !e.is_local_fault() {
                    let _ = self.record_failure(account, &e, None);
                }
                return Err(e);
            }
        };
        tracing::info!(
            incidents = outcome.incidents,
            log_entries = outcome.log_entries,
            vanished = outcome.vanished,
            refused = outcome.refused,
            ms = started.elapsed().as_millis() as u64,
            "sync pass applied"
        );
        let _ = self.events.send(SyncEvent::Changed {
            account_id: account.id,
        });
        let _ = self.events.send(SyncEvent::Health {
            account_id: account.id,
        });

        self.raise_pages().await;
        Ok(outcome)
    }

    async fn read(&self, account: &Account, adapter: &Adapter) -> Result<Batch> {
        match adapter {
            Client::PagerDuty(pd) => {
                let store = self.tocsin.store();
                let position = store.sync_position(account.id)?;
                let current = store.account(account.id)?;
                let input = PassInput {
                    user_id: current.user_id,
                    email: current.email,
                    cursor: position.cursor,
                    history_done: position.history_done,
                    directory_synced_at: position.directory_synced_at,
                    open_cached: store.open_provider_ids(account.id)?,
                    needs_timeline: store
                        .open_without_timeline(account.id, pagerduty::MAX_TIMELINES_PER_PASS)?,
                };
                pd.pass(&input).await
            }
            Client::Alertmanager(am) => {
                let first = !self.tocsin.store().sync_position(account.id)?.history_done;
                am.pass(first).await
            }
            Client::Local => Ok(Batch::default()),
        }
    }

    fn record_failure(
        &self,
        account: &Account,
        error: &Error,
        delay: Option<Duration>,
    ) -> Result<()> {
        let state = match error {
            Error::Unauthorized { .. } | Error::MissingToken { .. } => HealthState::Revoked,
            Error::Offline { .. } => HealthState::Offline,
            _ => HealthState::Failing,
        };
        tracing::warn!(account = %account.name, code = error.code(), error = %error, "sync failed");
        let next = delay.map(|d| Utc::now() + chrono::Duration::from_std(d).unwrap_or_default());
        self.tocsin
            .store()
            .record_failure(account.id, state, error, next)?;
        let _ = self.events.send(SyncEvent::Health {
            account_id: account.id,
        });
        Ok(())
    }

    /// An incident with its timeline. A PagerDuty incident cached without one (resolved
    /// history from the first download) has it fetched now, if the account is reachable; when
    /// it is not, the cached detail is returned as it is.
    pub async fn incident(&self, id: Id) -> Result<IncidentDetail> {
        let detail = self.tocsin.incident(id)?;
        let is_pagerduty = detail.incident.provider == ProviderKind::Pagerduty;
        if !detail.timeline.is_empty() || !is_pagerduty {
            return Ok(detail);
        }

        let incident = &detail.incident;
        let fetch = self.fetch_timeline(
            incident.account_id,
            &incident.provider_id,
            incident.created_at,
        );
        match tokio::time::timeout(TIMELINE_FETCH_LIMIT, fetch).await {
            Ok(Ok(added)) => tracing::debug!(incident = id, added, "timeline fetched on demand"),
            Ok(Err(e)) => tracing::info!(incident = id, error = %e, "timeline not fetched"),
            Err(_) => tracing::info!(incident = id, "timeline fetch timed out"),
        }
        self.tocsin.incident(id)
    }

    async fn fetch_timeline(
        &self,
        account_id: Id,
        provider_id: &str,
        created_at: chrono::DateTime<Utc>,
    ) -> Result<usize> {
        let store = self.tocsin.store();
        let health = store
            .health()?
            .into_iter()
            .find(|h| h.account_id == account_id);
        if health.is_some_and(|h| matches!(h.state, HealthState::Offline | HealthState::Revoked)) {
            return Ok(0);
        }
        let account = store.account(account_id)?;
        let Client::PagerDuty(pd) = self.adapter(&account)? else {
            return Ok(0);
        };
        let entries = pd.timeline(provider_id, created_at).await?;
        store.add_log_entries(account_id, &entries)
    }

    /// Whether pages can be shown right now, and whether the local database takes writes.
    pub fn pager_status(&self) -> PagerStatus {
        PagerStatus {
            notifications_ok: !self.notifier_failing.load(Ordering::SeqCst),
            local_fault: self.fault_slot().clone(),
        }
    }

    fn fault_slot(&self) -> std::sync::MutexGuard<'_, Option<LocalFault>> {
        self.local_fault.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps [`PagerStatus::local_fault`] current from the outcome of a write to the cache:
    /// a local fault is raised, any success clears it. A provider's failure says nothing
    /// about the disk, so it leaves the fault as it is.
    fn note_local<T>(&self, result: &Result<T>) {
        match result {
            Ok(_) => self.clear_local_fault(),
            Err(e) => self.note_local_error(e),
        }
    }

    /// Raises the local fault `e` is, once rather than at every retry; other errors pass.
    fn note_local_error(&self, e: &Error) {
        if !e.is_local_fault() {
            return;
        }
        {
            let mut slot = self.fault_slot();
            if slot.as_ref().is_some_and(|f| f.code == e.code()) {
                return;
            }
            tracing::error!(code = e.code(), error = %e, "the local database failed");
            *slot = Some(LocalFault {
                code: e.code().into(),
                message: e.to_string(),
                since: Utc::now(),
            });
        }
        let _ = self.events.send(SyncEvent::Pager);
    }

    fn clear_local_fault(&self) {
        if self.fault_slot().take().is_some() {
            tracing::warn!("the local database works again");
            let _ = self.events.send(SyncEvent::Pager);
        }
    }

    /// Says so loudly, once per outage, when pages cannot be shown: a silent pager is the
    /// worst failure Tocsin can have.
    fn report_notifier_health(&self, failed: usize) {
        let was_failing = self.notifier_failing.swap(failed > 0, Ordering::SeqCst);
        if was_failing != (failed > 0) {
            let _ = self.events.send(SyncEvent::Pager);
        }
        if failed > 0 && !was_failing {
            tracing::error!(
                failed,
                "cannot show notifications (is a notification server running?); \
                 pages will be retried"
            );
        } else if failed == 0 && was_failing {
            tracing::warn!("notifications work again");
        }
    }

    /// Claims and shows every page not raised yet. Does nothing when the engine was built
    /// without paging (`tocsin sync` leaves pages to `tocsin watch` and the window).
    pub async fn raise_pages(&self) {
        if !self.config.raise_pages {
            return;
        }
        let pages = match self.tocsin.store().claim_pages_at(Utc::now()) {
            Ok(pages) if pages.is_empty() => return,
            Ok(pages) => pages,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the page ledger");
                self.note_local_error(&e);
                return;
            }
        };
        let notifier = self.notifier.clone();
        let shown = pages.clone();
        let failed = tokio::task::spawn_blocking(move || paging::raise(notifier.as_ref(), &shown))
            .await
            .unwrap_or_else(|_| pages.iter().map(|p| p.incident.id).collect());

        for id in &failed {
            let _ = self.tocsin.store().release_page(*id);
        }
        let raised: Vec<Id> = pages
            .iter()
            .map(|p| p.incident.id)
            .filter(|id| !failed.contains(id))
            .collect();
        for id in &raised {
            if let Err(e) = self.tocsin.store().mark_page_shown(*id) {
                tracing::error!(error = %e, incident = id, "cannot record a page as shown");
            }
        }
        self.report_notifier_health(failed.len());
        if !raised.is_empty() {
            tracing::info!(raised = raised.len(), "pages raised");
        }
        if !raised.is_empty() {
            let _ = self.events.send(SyncEvent::Paged {
                incident_ids: raised,
            });
        }
    }
}

impl Engine {
    /// Shows a notification for each write the provider refused. Only an engine that pages
    /// does: it is the one a person acting from a notification is listening to.
    async fn tell_refused(&self, ids: &[Id]) {
        if !self.config.raise_pages {
            return;
        }
        let entries: Vec<_> = ids
            .iter()
            .filter_map(|id| self.tocsin.store().outbox_entry(*id).ok())
            .collect();
        let notifier = self.notifier.clone();
        let shown = tokio::task::spawn_blocking(move || {
            entries
                .iter()
                .filter(|e| notifier.refused(e).is_ok())
                .count()
        })
        .await
        .unwrap_or(0);
        tracing::info!(refused = ids.len(), shown, "refusals told");
    }

    /// Keeps the local workspace's on-call rows (who its policies page, now and over the next
    /// days) current as rotations hand over.
    async fn refresh_local_oncalls(&self) {
        let tocsin = self.tocsin.clone();
        let done = tokio::task::spawn_blocking(move || tocsin.refresh_local_oncalls(Utc::now()));
        match done.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "cannot refresh local on-call"),
            Err(e) => tracing::warn!(error = %e, "local on-call refresh panicked"),
        }
    }

    /// One notification per shift of mine starting within the lead time, once per shift.
    pub async fn raise_shift_reminders(&self) {
        if !self.config.raise_pages {
            return;
        }
        let now = Utc::now();
        let lead = chrono::Duration::from_std(self.config.shift_reminder_lead)
            .unwrap_or_else(|_| chrono::Duration::minutes(15));
        let tocsin = self.tocsin.clone();
        let notifier = self.notifier.clone();
        let shown = tokio::task::spawn_blocking(move || -> crate::Result<(usize, usize)> {
            let store = tocsin.store();
            let soon = tocsin.my_shifts(now, now + lead)?;
            let (mut ok, mut failed) = (0, 0);
            // A shift already under way when the window opens is not "starting soon".
            for shift in soon.iter().filter(|s| s.start > now) {
                if !store.claim_shift_reminder(
                    shift.account_id,
                    &shift.schedule_id,
                    shift.start,
                    now,
                )? {
                    continue;
                }
                if notifier.shift_starts(shift).is_ok() {
                    ok += 1;
                } else {
                    failed += 1;
                    store.release_shift_reminder(
                        shift.account_id,
                        &shift.schedule_id,
                        shift.start,
                    )?;
                }
            }
            Ok((ok, failed))
        })
        .await;

        match shown {
            Ok(Ok((0, 0))) => {}
            Ok(Ok((ok, failed))) => {
                self.report_notifier_health(failed);
                tracing::info!(shown = ok, failed, "shift reminders raised");
            }
            Ok(Err(e)) => tracing::error!(error = %e, "cannot raise shift reminders"),
            Err(e) => tracing::error!(error = %e, "shift reminders task failed"),
        }
    }

    /// One notification per postmortem whose review date has come, once per due date.
    pub async fn raise_review_reminders(&self) {
        if !self.config.raise_pages {
            return;
        }
        let today = Utc::now().date_naive();
        let due = match self.tocsin.store().claim_due_reviews(today) {
            Ok(due) if due.is_empty() => return,
            Ok(due) => due,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the postmortems' review dates");
                self.note_local_error(&e);
                return;
            }
        };
        let notifier = self.notifier.clone();
        let shown = tokio::task::spawn_blocking(move || {
            due.iter()
                .map(|r| (r.postmortem_id, notifier.review_due(r).is_ok()))
                .collect::<Vec<_>>()
        })
        .await
        .unwrap_or_default();

        let store = self.tocsin.store();
        for (id, _) in shown.iter().filter(|(_, ok)| !ok) {
            if let Err(e) = store.release_review(*id) {
                tracing::error!(error = %e, postmortem = id, "cannot give a review reminder back");
            }
        }
        let failed = shown.iter().filter(|(_, ok)| !ok).count();
        self.report_notifier_health(failed);
        tracing::info!(
            shown = shown.len() - failed,
            failed,
            "review reminders raised"
        );
    }

    pub async fn raise_reminders(&self) {
        if !self.config.raise_pages {
            return;
        }
        let timers = match self.tocsin.store().claim_due_timers(Utc::now()) {
            Ok(timers) if timers.is_empty() => return,
            Ok(timers) => timers,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the cockpit timers");
                self.note_local_error(&e);
                return;
            }
        };
        let notifier = self.notifier.clone();
        let shown = tokio::task::spawn_blocking(move || {
            let results: Vec<(Id, bool)> = timers
                .iter()
                .map(|t| (t.id, notifier.reminder(t).is_ok()))
                .collect();
            results
        })
        .await
        .unwrap_or_default();

        let store = self.tocsin.store();
        for (id, ok) in &shown {
            let recorded = match ok {
                true => store.mark_timer_fired(*id),
                false => store.release_timer(*id),
            };
            if let Err(e) = recorded {
                tracing::error!(error = %e, timer = id, "cannot record a reminder");
            }
        }
        let failed = shown.iter().filter(|(_, ok)| !ok).count();
        self.report_notifier_health(failed);
        tracing::info!(shown = shown.len() - failed, failed, "reminders raised");
        let _ = self.events.send(SyncEvent::Reminded {
            timer_ids: shown
                .iter()
                .filter(|(_, ok)| *ok)
                .map(|(id, _)| *id)
                .collect(),
        });
    }
}

impl Engine {
    /// What the paging policy adds to the engine's tick: the summary of pages held during
    /// quiet hours once they end, repeats of unacknowledged pages, and the self-alarm.
    pub async fn raise_policy_pages(&self) {
        if !self.config.raise_pages {
            return;
        }
        let now = Utc::now();
        self.raise_held_summary(now).await;
        self.raise_repeats(now).await;
        self.raise_self_alarms(now).await;
    }

    async fn raise_held_summary(&self, now: chrono::DateTime<Utc>) {
        let held = match self.tocsin.store().claim_held_summary(now) {
            Ok(held) if held.is_empty() => return,
            Ok(held) => held,
            Err(e) => {
                tracing::error!(error = %e, "cannot read held pages");
                return self.note_local_error(&e);
            }
        };
        let ids: Vec<Id> = held.iter().map(|i| i.id).collect();
        let notifier = self.notifier.clone();
        let shown = tokio::task::spawn_blocking(move || notifier.held(&held).is_ok())
            .await
            .unwrap_or(false);
        if !shown {
            let _ = self.tocsin.store().release_held_summary(&ids);
        }
        self.report_notifier_health(usize::from(!shown));
        tracing::info!(held = ids.len(), shown, "held pages summarised");
    }

    async fn raise_repeats(&self, now: chrono::DateTime<Utc>) {
        let due = match self.tocsin.store().claim_repeats(now) {
            Ok(due) if due.is_empty() => return,
            Ok(due) => due,
            Err(e) => {
                tracing::error!(error = %e, "cannot read page repeats");
                return self.note_local_error(&e);
            }
        };
        let notifier = self.notifier.clone();
        // A repeat that cannot be shown is not given back: the next one comes at the next
        // interval, and the failing notifier is reported like any page's.
        let failed = tokio::task::spawn_blocking(move || {
            due.iter().filter(|p| notifier.notify(p).is_err()).count()
        })
        .await
        .unwrap_or(1);
        self.report_notifier_health(failed);
        tracing::info!(failed, "page repeats raised");
    }

    async fn raise_self_alarms(&self, now: chrono::DateTime<Utc>) {
        let alarms = match self.tocsin.store().claim_self_alarms(now) {
            Ok(alarms) if alarms.is_empty() => return,
            Ok(alarms) => alarms,
            Err(e) => {
                tracing::error!(error = %e, "cannot read sync alarms");
                return self.note_local_error(&e);
            }
        };
        let notifier = self.notifier.clone();
        let results = tokio::task::spawn_blocking(move || {
            alarms
                .into_iter()
                .map(|a| {
                    let ok = notifier.self_alarm(&a).is_ok();
                    (a, ok)
                })
                .collect::<Vec<_>>()
        })
        .await
        .unwrap_or_default();
        for (alarm, shown) in &results {
            tracing::warn!(account = %alarm.account_name, recovered = alarm.recovered, shown,
                           "self-alarm");
            if let Err(e) = self.tocsin.store().finish_self_alarm(alarm, *shown) {
                tracing::error!(error = %e, "cannot record a self-alarm");
            }
        }
        self.report_notifier_health(results.iter().filter(|(_, ok)| !ok).count());
    }
}

/// Whether two snapshots of an account talk to the same endpoint the same way.
fn same_connection(a: &Account, b: &Account) -> bool {
    a.name == b.name
        && a.kind == b.kind
        && a.api_url == b.api_url
        && a.token == b.token
        && a.token_changed_at == b.token_changed_at
}
