//! Sending the outbox: each account's queue is drained in order, one entry at a time, by
//! whichever Tocsin process gets there first (the window, `watch`, or the CLI right after an
//! action). What a send's outcome means for the entry is decided here.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use chrono::Utc;

use crate::error::{Error, Result};
use crate::model::{Account, OutboxState, ProviderKind, Write};
use crate::provider::http::{jitter, RetryPolicy};
use crate::provider::pagerduty;
use crate::provider::pagerduty_write::{Acting, BULK_MAX};
use crate::provider::{Client, Delivery};
use crate::store::outbox::{Claimed, Finish};
use crate::Tocsin;

/// The first wait after a failed send; it doubles per attempt up to [`MAX_RETRY_DELAY`].
const FIRST_RETRY_DELAY: Duration = Duration::from_secs(2);
const MAX_RETRY_DELAY: Duration = Duration::from_secs(5 * 60);
/// The longest one send may take, reads before and after included; shorter than the claim's
/// lease (`store::outbox::CLAIM_LEASE`) so a live sender always records before a takeover.
const SEND_LIMIT: Duration = Duration::from_secs(100);
const _: () = assert!(SEND_LIMIT.as_secs() < crate::store::outbox::CLAIM_LEASE.as_secs());

/// Accounts being drained in this process, by database file and account id: one sender per
/// account, so an entry is never claimed twice by the same process (claims only guard between
/// processes, by process id).
static DRAINING: Mutex<Option<HashSet<(PathBuf, i64)>>> = Mutex::new(None);

/// What one drain did, for logs and the CLI.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DrainReport {
    pub sent: usize,
    pub refused: usize,
    /// The entries the provider refused, to tell the person about.
    pub refused_ids: Vec<i64>,
    /// Set when the queue stopped on an entry that will be retried: why.
    pub waiting: Option<String>,
}

/// Sends the account's due entries in order until the queue is empty or its head must wait.
/// Returns at once (with an empty report) when this process is draining the account already.
pub async fn drain(tocsin: &Tocsin, account: &Account) -> Result<DrainReport> {
    let key = (tocsin.store().path().to_path_buf(), account.id);
    let Some(_guard) = DrainGuard::take(key) else {
        return Ok(DrainReport::default());
    };
    let mut report = DrainReport::default();
    let mut writer = None;

    // PagerDuty takes a run of identical status changes in one request.
    let max = match account.kind {
        ProviderKind::Pagerduty => BULK_MAX,
        _ => 1,
    };
    loop {
        let run = tocsin.store().claim_run(account.id, Utc::now(), max)?;
        let Some(entry) = run.first() else {
            break;
        };
        // A status page is not the account's provider: it has its own client and key, and
        // the local workspace, which has no provider, may publish to one too.
        let to_status_page = matches!(entry.write, Write::Statuspage { .. });
        if writer.is_none() && !to_status_page {
            match Writer::for_account(account) {
                Ok(w) => writer = Some(w),
                Err(e) => {
                    for entry in &run {
                        settle(tocsin, entry, Err(e.clone_for_entry()), &mut report)?;
                    }
                    break;
                }
            }
        }
        let send = async {
            match (&entry.write, &writer) {
                (Write::Statuspage { page, draft }, _) => {
                    vec![crate::comms::statuspage::deliver(tocsin, entry, *page, draft).await]
                }
                (_, Some(w)) => w.deliver_run(tocsin, account, &run).await,
                (_, None) => unreachable!("the writer was just made"),
            }
        };
        // A send must end well inside the claim's lease, or another process could take the
        // entry over while this one is still sending it.
        let outcomes = tokio::time::timeout(SEND_LIMIT, send)
            .await
            .unwrap_or_else(|_| {
                let slow = Error::Offline {
                    provider: account.kind.as_str().into(),
                    message: "the send took too long; it is checked and retried".into(),
                };
                run.iter().map(|_| Err(slow.clone_for_entry())).collect()
            });
        failpoint("outbox-after-send");

        let mut retrying = false;
        for (entry, sent) in run.iter().zip(outcomes) {
            retrying |= settle(tocsin, entry, sent, &mut report)?;
        }
        if retrying {
            break;
        }
    }
    Ok(report)
}

/// Test hook: when `TOCSIN_FAILPOINT` names this point, the process stops here for a minute,
/// so a crash test can `kill -9` it at exactly this moment. Unset, it costs one lookup.
pub fn failpoint(name: &str) {
    if std::env::var("TOCSIN_FAILPOINT").is_ok_and(|v| v == name) {
        tracing::warn!(name, "stopped at a failpoint");
        std::thread::sleep(Duration::from_secs(60));
    }
}

/// Records one outcome; returns true when the entry will be retried (the queue waits).
fn settle(
    tocsin: &Tocsin,
    entry: &Claimed,
    sent: Result<Delivery>,
    report: &mut DrainReport,
) -> Result<bool> {
    let store = tocsin.store();
    match sent {
        Ok(Delivery::Done { result, incident }) => {
            let finish = Finish::Done {
                result,
                incident: incident.as_ref(),
            };
            store.finish(entry, finish)?;
            tracing::info!(outbox = entry.id, "write delivered");
            report.sent += 1;
            Ok(false)
        }
        Ok(Delivery::Conflict { message, incident }) => {
            tracing::warn!(outbox = entry.id, %message, "write conflicted");
            let finish = Finish::Refused {
                state: OutboxState::Conflict,
                message,
                code: "conflict",
                incident: incident.as_ref(),
            };
            store.finish(entry, finish)?;
            report.refused += 1;
            report.refused_ids.push(entry.id);
            Ok(false)
        }
        Err(error) if retryable(&error) => {
            let attempts = tocsin.store().outbox_entry(entry.id)?.attempts;
            let next =
                Utc::now() + chrono::Duration::from_std(retry_delay(attempts)).unwrap_or_default();
            tracing::warn!(outbox = entry.id, code = error.code(), %error, "write will be retried");
            report.waiting = Some(error.to_string());
            store.finish(
                entry,
                Finish::Retry {
                    error: &error,
                    next,
                },
            )?;
            Ok(true)
        }
        Err(error) => {
            tracing::warn!(outbox = entry.id, code = error.code(), %error, "write refused");
            let finish = Finish::Refused {
                state: OutboxState::Failed,
                message: format!("not sent: {error}"),
                code: error.code(),
                incident: None,
            };
            store.finish(entry, finish)?;
            report.refused += 1;
            report.refused_ids.push(entry.id);
            Ok(false)
        }
    }
}

/// Whether sending again later can succeed. A rejected or missing token heals when the
/// person replaces it, so those wait too; a provider's 4xx answer (other than throttling)
/// means this write will never be accepted.
fn retryable(error: &Error) -> bool {
    match error {
        Error::Provider { status, .. } => *status >= 500 || *status == 408,
        Error::Unauthorized { .. } | Error::MissingToken { .. } => true,
        Error::Invalid(_) | Error::NotFound(_) => false,
        other => other.is_transient(),
    }
}

/// Exponential, capped, with jitter: a queue that failed together does not retry together.
fn retry_delay(attempts: i64) -> Duration {
    let exp = FIRST_RETRY_DELAY.saturating_mul(1u32 << attempts.clamp(0, 16));
    let capped = exp.min(MAX_RETRY_DELAY);
    capped / 2 + (capped / 2).mul_f64(jitter())
}

/// A provider client for writes.
struct Writer(Client);

impl Writer {
    fn for_account(account: &Account) -> Result<Writer> {
        // One attempt per read inside a send; the outbox retries the whole entry.
        let options = pagerduty::Options {
            retry: RetryPolicy {
                max_attempts: 2,
                ..RetryPolicy::default()
            },
            ..pagerduty::Options::default()
        };
        match Client::for_account(account, options)? {
            Client::Local => Err(Error::Invalid(
                "the local workspace has nothing to send".into(),
            )),
            client => Ok(Writer(client)),
        }
    }

    /// Sends a run of entries (one, unless `claim_run` found several a bulk request can
    /// carry); one outcome per entry, in order.
    async fn deliver_run(
        &self,
        tocsin: &Tocsin,
        account: &Account,
        run: &[Claimed],
    ) -> Vec<Result<Delivery>> {
        match (self, run) {
            (Writer(Client::PagerDuty(pd)), [_, _, ..]) => match acting(tocsin, account) {
                Ok(acting) => pd.deliver_run(run, &acting).await,
                Err(e) => run.iter().map(|_| Err(e.clone_for_entry())).collect(),
            },
            _ => {
                let mut outcomes = Vec::with_capacity(run.len());
                for entry in run {
                    outcomes.push(self.deliver(tocsin, account, entry).await);
                }
                outcomes
            }
        }
    }

    async fn deliver(
        &self,
        tocsin: &Tocsin,
        account: &Account,
        entry: &Claimed,
    ) -> Result<Delivery> {
        match self {
            Writer(Client::PagerDuty(pd)) => pd.deliver(entry, &acting(tocsin, account)?).await,
            Writer(Client::Alertmanager(am)) => {
                let incident = match entry.incident_id {
                    Some(id) => tocsin.store().incident_row(id)?,
                    None => return Err(Error::Invalid("no alert to act on".into())),
                };
                let author = account
                    .email
                    .clone()
                    .unwrap_or_else(|| local_name(&entry.author));
                am.deliver(entry, &incident.details["labels"], &author)
                    .await
            }
            // `for_account` never makes a writer for the local workspace.
            Writer(Client::Local) => Err(Error::Invalid(
                "the local workspace has nothing to send".into(),
            )),
        }
    }
}

/// Who acts at PagerDuty, read afresh: a pass may have learned who I am since.
fn acting(tocsin: &Tocsin, account: &Account) -> Result<Acting> {
    let current = tocsin.store().account(account.id)?;
    Ok(Acting {
        email: current.email,
        user_id: current.user_id,
    })
}

/// Who to name as a silence's author when the account has no email: the login name on this
/// computer says more to a teammate reading Alertmanager than "You".
fn local_name(fallback: &str) -> String {
    let var = |v: &&str| std::env::var(v).ok().filter(|n| !n.trim().is_empty());
    let login = ["USER", "USERNAME", "LOGNAME"].iter().find_map(var);
    let host = ["HOSTNAME", "COMPUTERNAME"]
        .iter()
        .find_map(var)
        .or_else(|| {
            let name = std::fs::read_to_string("/proc/sys/kernel/hostname").ok()?;
            Some(name.trim().to_string()).filter(|n| !n.is_empty())
        });
    match (login, host) {
        (Some(login), Some(host)) => format!("{login}@{host} (via Tocsin)"),
        (Some(login), None) => format!("{login} (via Tocsin)"),
        (None, Some(host)) => format!("Tocsin on {host}"),
        (None, None) if fallback == "You" => "a Tocsin user".to_string(),
        (None, None) => fallback.to_string(),
    }
}

/// Marks an account as being drained by this process until dropped.
struct DrainGuard((PathBuf, i64));

impl DrainGuard {
    fn take(key: (PathBuf, i64)) -> Option<DrainGuard> {
        let mut set = DRAINING.lock().unwrap_or_else(|e| e.into_inner());
        let fresh = set.get_or_insert_with(HashSet::new).insert(key.clone());
        // Built only when taken: a guard dropped here would lock `DRAINING` again.
        fresh.then(|| DrainGuard(key))
    }
}

impl Drop for DrainGuard {
    fn drop(&mut self) {
        let mut set = DRAINING.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(set) = set.as_mut() {
            set.remove(&self.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_grow_and_stay_capped() {
        for attempts in 0..40 {
            let d = retry_delay(attempts);
            assert!(d <= MAX_RETRY_DELAY, "{d:?}");
        }
        assert!(retry_delay(1) < retry_delay(6));
    }

    #[test]
    fn client_errors_are_final_and_server_errors_retried() {
        let provider = |status| Error::Provider {
            provider: "PagerDuty".into(),
            status,
            message: String::new(),
            api_code: None,
        };
        assert!(!retryable(&provider(400)));
        assert!(!retryable(&provider(403)));
        assert!(retryable(&provider(503)));
        assert!(retryable(&Error::Offline {
            provider: "PagerDuty".into(),
            message: String::new()
        }));
        assert!(!retryable(&Error::Invalid("x".into())));
    }

    #[test]
    fn one_drain_per_account_per_process() {
        let key = |n| (PathBuf::from("/db"), n);
        let first = DrainGuard::take(key(7)).unwrap();
        assert!(DrainGuard::take(key(7)).is_none());
        assert!(DrainGuard::take(key(8)).is_some());
        assert!(DrainGuard::take((PathBuf::from("/other"), 7)).is_some());
        drop(first);
        assert!(DrainGuard::take(key(7)).is_some());
    }
}
