//! The fake Statuspage account: pages, components, incidents and the knobs tests turn.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

/// Which status a throttled request is refused with; real servers have sent both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ThrottleStatus {
    /// HTTP 420, the status Statuspage used before 429 was common.
    Enhance,
    /// HTTP 429 Too Many Requests.
    TooMany,
    /// 420 for the first throttled request, 429 for the next, and so on.
    #[default]
    Alternate,
}

/// A failure queued with `StatuspageHandle::fail_next`, applied before auth and rate limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Refused as throttled with this status (420 or 429), with `Retry-After: secs` if given.
    Throttle {
        status: u16,
        retry_after: Option<u64>,
    },
    /// Answered with this status and a spec-shaped error body.
    Status(u16),
    /// Answered 200 with the first half of the real JSON body.
    Malformed,
}

/// One API request as the fake saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// The raw body as text (lossy for bytes that are not UTF-8).
    pub body: String,
    /// When the request arrived, for checking a client's pacing.
    pub received_at: Instant,
    pub received_at_utc: DateTime<Utc>,
    /// The status the fake answered with.
    pub status: u16,
}

/// A component of a page, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpComponent {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    /// Served verbatim, so statuses a client does not know can be tested.
    pub status: String,
    pub position: u32,
    pub group_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A component's status change recorded on an incident update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AffectedComponent {
    pub code: String,
    pub name: String,
    pub old_status: String,
    pub new_status: String,
}

/// One incident update: a status with an optional message, as subscribers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpUpdate {
    pub id: String,
    pub status: String,
    pub body: String,
    pub affected_components: Vec<AffectedComponent>,
    pub created_at: DateTime<Utc>,
}

/// An incident of a page, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpIncident {
    pub id: String,
    pub name: String,
    pub status: String,
    pub impact_override: Option<String>,
    /// The ids of the components the incident affects, in the order first named.
    pub component_ids: Vec<String>,
    /// Oldest first; served newest first, as the real API does.
    pub updates: Vec<SpUpdate>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub monitoring_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
}

/// A status page with its components and incidents.
#[derive(Debug, Clone, Default)]
pub(crate) struct Page {
    pub id: String,
    pub name: String,
    pub components: Vec<SpComponent>,
    pub incidents: Vec<SpIncident>,
}

impl Page {
    pub fn component(&self, id: &str) -> Option<&SpComponent> {
        self.components.iter().find(|c| c.id == id)
    }

    pub fn incident_mut(&mut self, id: &str) -> Option<&mut SpIncident> {
        self.incidents.iter_mut().find(|i| i.id == id)
    }
}

/// How requests are limited per API key.
#[derive(Debug)]
pub(crate) struct Limiter {
    /// The least time between two accepted requests of one key.
    pub min_interval: Duration,
    pub status: ThrottleStatus,
    pub retry_after: bool,
    /// When each key last had a request accepted; refused requests do not move it.
    pub last_accepted: HashMap<String, Instant>,
    /// How many requests were throttled, to alternate 420 and 429.
    pub throttled: u64,
}

impl Default for Limiter {
    fn default() -> Self {
        Limiter {
            min_interval: Duration::from_secs(1),
            status: ThrottleStatus::default(),
            retry_after: false,
            last_accepted: HashMap::new(),
            throttled: 0,
        }
    }
}

impl Limiter {
    /// The status for the next throttled request.
    pub fn next_status(&mut self) -> u16 {
        self.throttled += 1;
        match self.status {
            ThrottleStatus::Enhance => 420,
            ThrottleStatus::TooMany => 429,
            ThrottleStatus::Alternate if self.throttled % 2 == 1 => 420,
            ThrottleStatus::Alternate => 429,
        }
    }
}

/// Everything the fake knows; one `std::sync::Mutex` guards it and no handler awaits under it.
#[derive(Default)]
pub(crate) struct State {
    pub pages: HashMap<String, Page>,
    pub keys: HashSet<String>,
    pub limiter: Limiter,
    pub faults: VecDeque<Fault>,
    pub requests: Vec<RecordedRequest>,
    pub last_id: u64,
}

/// A fresh id in Statuspage's look (twelve lower-case base-36 characters), unique per counter.
pub(crate) fn fresh_id(counter: &mut u64) -> String {
    *counter += 1;
    let mut n = *counter * 7_919 + 1_000_003;
    let mut id = String::new();
    for _ in 0..12 {
        let digit = u32::try_from(n % 36).unwrap_or(0);
        id.insert(0, char::from_digit(digit, 36).unwrap_or('0'));
        n /= 36;
    }
    id
}
