//! Provider adapters and the normalised batch each sync pass hands to the store.
//!
//! An adapter turns one provider's API into a [`Batch`]; the store applies a batch in a single
//! transaction, so a pass is either wholly cached or not at all.

pub mod alertmanager;
pub mod http;
pub mod ingest;
pub mod local;
pub mod pagerduty;
pub mod pagerduty_schedule;
pub mod pagerduty_write;
pub mod statuspage;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{Account, IncidentStatus, Person, ProviderKind, Urgency};

/// An incident as an adapter reports it, before it has a local id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentRecord {
    pub provider_id: String,
    pub number: Option<i64>,
    pub title: String,
    pub status: IncidentStatus,
    pub raw_status: Option<String>,
    pub urgency: Urgency,
    pub priority: Option<String>,
    pub severity: Option<u8>,
    pub service_id: Option<String>,
    pub service_name: Option<String>,
    pub escalation_policy_id: Option<String>,
    pub assignees: Vec<Person>,
    /// Set when the incident is assigned to the responder: a key naming this assignment
    /// (who and when), so an escalation or reassignment back to them is a new page.
    pub my_assignment: Option<String>,
    pub created_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub html_url: Option<String>,
    pub is_drill: bool,
    pub details: serde_json::Value,
}

/// One timeline entry as an adapter reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogRecord {
    pub incident_provider_id: String,
    pub provider_id: Option<String>,
    pub kind: String,
    pub at: DateTime<Utc>,
    pub summary: String,
    pub agent: Option<String>,
}

/// A target of an escalation rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleTarget {
    pub id: String,
    /// `user` or `schedule`.
    pub kind: String,
    pub name: String,
}

/// One level of an escalation policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleRecord {
    pub delay_minutes: i64,
    pub targets: Vec<RuleTarget>,
}

/// An escalation policy with its levels in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyRecord {
    pub provider_id: String,
    pub name: String,
    pub num_loops: i64,
    pub rules: Vec<RuleRecord>,
}

/// A schedule's identity; its layers arrive with the on-call issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleRecord {
    pub provider_id: String,
    pub name: String,
    pub time_zone: Option<String>,
}

/// Who is on call at one level of a policy, for a span of time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OnCallRecord {
    pub escalation_policy_id: String,
    pub level: i64,
    pub user: Person,
    pub schedule_id: Option<String>,
    pub schedule_name: Option<String>,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
}

/// A named thing of a provider (service, priority).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Named {
    pub provider_id: String,
    pub name: String,
}

/// Everything one sync pass learned, applied by the store in one transaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Batch {
    /// Who the responder is at this provider, when the pass learned it.
    pub me: Option<Person>,
    pub users: Vec<Person>,
    pub services: Vec<Named>,
    pub priorities: Vec<Named>,
    pub policies: Vec<PolicyRecord>,
    pub schedules: Vec<ScheduleRecord>,
    /// `Some` replaces every cached on-call row of the account.
    pub oncalls: Option<Vec<OnCallRecord>>,
    pub incidents: Vec<IncidentRecord>,
    /// When true, `incidents` holds every open incident: cached ones missing from it are
    /// resolved (Alertmanager drops ended alerts instead of reporting them resolved).
    pub open_set_complete: bool,
    /// Provider ids of incidents the provider no longer has at all (deleted with their
    /// service, say): the cache closes them rather than asking about them forever.
    pub gone: Vec<String>,
    pub log_entries: Vec<LogRecord>,
    /// The change-feed position this batch covers; stored only together with the batch.
    pub cursor: Option<String>,
    /// Set by the pass that finished the first history download.
    pub history_complete: bool,
    /// Set when the pass re-read the directory (services, policies, schedules).
    pub directory_read: bool,
    /// Schedule definitions and the provider's final schedules, read with the directory;
    /// each replaces the cached one of the same schedule.
    pub schedule_details: Vec<pagerduty_schedule::ScheduleDetail>,
}

/// What a provider made of one write from the outbox.
#[derive(Debug, Clone, PartialEq)]
pub enum Delivery {
    /// The provider has it. `result` names what it created (a silence, an incident);
    /// `incident` is the provider's view of the incident afterwards.
    Done {
        result: Option<String>,
        incident: Option<IncidentRecord>,
    },
    /// The incident changed elsewhere first (resolved by someone else, say); the write was
    /// not applied. `incident` is the provider's view, to correct the cache with.
    Conflict {
        message: String,
        incident: Option<IncidentRecord>,
    },
}

/// One account's provider client, as the sync engine reads with it and the outbox writes
/// with it. The local workspace has no provider.
pub enum Client {
    PagerDuty(pagerduty::PagerDuty),
    Alertmanager(alertmanager::Alertmanager),
    Local,
}

impl Client {
    /// The account's client, with its token (from the keychain or its variable) and these
    /// tunables; Alertmanager takes only their retry policy.
    pub fn for_account(account: &Account, options: pagerduty::Options) -> Result<Client> {
        let token = crate::secrets::token(account)?;
        match account.kind {
            ProviderKind::Pagerduty => {
                let token = token.ok_or_else(|| Error::MissingToken {
                    account: account.name.clone(),
                    message: "PagerDuty needs an API token".into(),
                })?;
                let url = account.api_url.as_deref();
                Ok(Client::PagerDuty(pagerduty::PagerDuty::new(
                    url, &token, options,
                )?))
            }
            ProviderKind::Alertmanager => {
                let url = account.api_url.as_deref().ok_or_else(|| {
                    Error::Invalid(format!("account `{}` has no URL", account.name))
                })?;
                let client = alertmanager::Alertmanager::new(url, token.as_deref(), options.retry)?;
                Ok(Client::Alertmanager(client))
            }
            ProviderKind::Local => Ok(Client::Local),
        }
    }
}
