//! Atlassian Statuspage v1: a page's components and incidents, written at most once a second.
//!
//! Statuspage allows one request per second per API key and refuses the excess with 420 or
//! 429. Every request first waits for its turn on a pacer shared by every client of the same
//! server and key in this process, so a burst of updates during an incident, or two pages
//! updated at once with one key, is spread out rather than refused.
//! A write the server still throttled was not processed, so it is sent again after the wait
//! the server asked for; any other failed write is returned, never repeated.
//!
//! Tocsin publishes through the durable outbox (`comms::statuspage`), which calls this
//! client once per entry; calling it directly writes straight to the server.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};
use tokio::time::Instant;
use ts_rs::TS;

use super::http::{HttpClient, RetryPolicy};
use crate::error::{Error, Result};
use crate::paging::{is_bidi_control, one_line};

const PROVIDER: &str = "Statuspage";
/// The contract's limits, in characters.
pub const MAX_NAME_CHARS: usize = 255;
pub const MAX_BODY_CHARS: usize = 25_000;
/// The server's limit: one request per second per API key.
const MIN_INTERVAL: Duration = Duration::from_secs(1);
/// How often one write may be throttled before the error is returned.
const MAX_THROTTLED_SENDS: u32 = 5;
/// A longer wait than this is not waited out inside a call: the person sees the error (with
/// the wait) instead of a publish that silently hangs.
const MAX_THROTTLE_WAIT: Duration = Duration::from_secs(60);
/// The contract's default and largest page of a list.
const PER_PAGE: usize = 100;
/// A bound on list pages, in case a server ignores `page` and repeats itself.
const MAX_LIST_PAGES: usize = 50;
/// Page, incident and component ids are short base-36 strings; anything longer is refused.
const MAX_ID_CHARS: usize = 64;

/// The phase of a realtime incident, as subscribers see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum StatusPhase {
    Investigating,
    Identified,
    Monitoring,
    Resolved,
}

impl StatusPhase {
    pub fn as_str(self) -> &'static str {
        match self {
            StatusPhase::Investigating => "investigating",
            StatusPhase::Identified => "identified",
            StatusPhase::Monitoring => "monitoring",
            StatusPhase::Resolved => "resolved",
        }
    }

    /// `None` for the statuses of scheduled maintenances and any added later.
    pub fn parse(s: &str) -> Option<StatusPhase> {
        [
            StatusPhase::Investigating,
            StatusPhase::Identified,
            StatusPhase::Monitoring,
            StatusPhase::Resolved,
        ]
        .into_iter()
        .find(|p| p.as_str() == s)
    }
}

/// The impact an incident declares, overriding the one Statuspage computes from components.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Impact {
    None,
    Minor,
    Major,
    Critical,
}

impl Impact {
    pub fn as_str(self) -> &'static str {
        match self {
            Impact::None => "none",
            Impact::Minor => "minor",
            Impact::Major => "major",
            Impact::Critical => "critical",
        }
    }

    /// `None` for `maintenance` (scheduled work) and any impact added later.
    pub fn parse(s: &str) -> Option<Impact> {
        [Impact::None, Impact::Minor, Impact::Major, Impact::Critical]
            .into_iter()
            .find(|i| i.as_str() == s)
    }
}

/// What a component's row on the status page says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ComponentStatus {
    Operational,
    DegradedPerformance,
    PartialOutage,
    MajorOutage,
    UnderMaintenance,
}

impl ComponentStatus {
    const ALL: [ComponentStatus; 5] = [
        ComponentStatus::Operational,
        ComponentStatus::DegradedPerformance,
        ComponentStatus::PartialOutage,
        ComponentStatus::MajorOutage,
        ComponentStatus::UnderMaintenance,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ComponentStatus::Operational => "operational",
            ComponentStatus::DegradedPerformance => "degraded_performance",
            ComponentStatus::PartialOutage => "partial_outage",
            ComponentStatus::MajorOutage => "major_outage",
            ComponentStatus::UnderMaintenance => "under_maintenance",
        }
    }

    /// `None` for the contract's empty status and any status added later.
    pub fn parse(s: &str) -> Option<ComponentStatus> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// A component of the page. `Component` is exported to TypeScript as `StatusComponent`, so
/// it cannot be mistaken for React's class of that name in the UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export, rename = "StatusComponent")]
pub struct Component {
    pub id: String,
    pub name: String,
    /// `None` when the server sent a status this build does not know; see `raw_status`.
    pub status: Option<ComponentStatus>,
    pub raw_status: String,
    pub group_id: Option<String>,
    pub position: Option<i64>,
}

/// One published update of an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct StatusUpdate {
    pub id: String,
    pub phase: Option<StatusPhase>,
    pub raw_status: String,
    pub body: String,
    pub created_at: Option<DateTime<Utc>>,
}

/// An incident on the status page, as the server last reported it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct StatusIncident {
    pub id: String,
    pub name: String,
    /// `None` for a scheduled maintenance's status or one added later; see `raw_status`.
    pub phase: Option<StatusPhase>,
    pub raw_status: String,
    /// The impact shown: the override if set, else the one Statuspage computed.
    pub impact: Option<Impact>,
    pub raw_impact: String,
    pub components: Vec<Component>,
    /// Newest first, as the server sends them.
    pub updates: Vec<StatusUpdate>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub shortlink: Option<String>,
}

/// What a person wants to publish: a new incident or the next update of one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct StatusDraft {
    pub name: String,
    pub phase: StatusPhase,
    pub impact: Impact,
    /// The message of this update; empty publishes no message.
    pub body: String,
    /// The affected components, by id, each with the status it should show now.
    pub components: Vec<(String, ComponentStatus)>,
}

/// A component as the preview names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PreviewComponent {
    pub id: String,
    /// The component's name on the page, or a note that the page has no such component.
    pub name: String,
    pub status: ComponentStatus,
    pub known: bool,
}

/// Exactly what publishing a draft will say, made safe to show: one line for the title,
/// lines kept in the message, control and text-direction characters replaced, and lengths
/// bounded. `problems` lists why publishing would be refused; empty means it may go out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct StatusPreview {
    pub title: String,
    pub phase: StatusPhase,
    pub impact: Impact,
    pub body: String,
    pub components: Vec<PreviewComponent>,
    pub problems: Vec<String>,
}

/// Describes what `draft` will publish, given the page's components.
pub fn preview(draft: &StatusDraft, components: &[Component]) -> StatusPreview {
    let affected = (draft.components.iter())
        .map(|(id, status)| {
            let found = components.iter().find(|c| &c.id == id);
            PreviewComponent {
                id: one_line(id, MAX_ID_CHARS),
                name: found.map_or_else(
                    || "(not a component of this page)".to_owned(),
                    |c| one_line(&c.name, MAX_NAME_CHARS),
                ),
                status: *status,
                known: found.is_some(),
            }
        })
        .collect();
    StatusPreview {
        title: one_line(&draft.name, MAX_NAME_CHARS),
        phase: draft.phase,
        impact: draft.impact,
        body: lines(&draft.body, MAX_BODY_CHARS),
        components: affected,
        problems: problems(draft, Some(components)),
    }
}

/// Refuses a draft that Statuspage would refuse or that would publish something other than
/// what its preview shows.
pub fn validate(draft: &StatusDraft, components: &[Component]) -> Result<()> {
    refuse_problems(problems(draft, Some(components)))
}

fn refuse_problems(problems: Vec<String>) -> Result<()> {
    match problems.is_empty() {
        true => Ok(()),
        false => Err(Error::Invalid(problems.join("; "))),
    }
}

/// Every reason to refuse `draft`; components are checked only when they are given.
fn problems(draft: &StatusDraft, components: Option<&[Component]>) -> Vec<String> {
    let mut problems = name_problems(&draft.name);
    problems.extend(body_problems(&draft.body));
    problems.extend(component_problems(draft, components));
    problems
}

/// A name is one visible line: a control or text-direction character would make the page
/// show something other than the preview.
fn name_problems(name: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let chars = name.chars().count();
    if name.trim().is_empty() {
        problems.push("The incident needs a name".to_owned());
    } else if chars > MAX_NAME_CHARS {
        problems.push(format!(
            "The name is {chars} characters long; Statuspage allows {MAX_NAME_CHARS}"
        ));
    }
    let hidden = name.chars().find(|&c| c.is_control() || is_bidi_control(c));
    if let Some(c) = hidden {
        problems.push(format!(
            "The name contains the invisible character {}",
            code(c)
        ));
    }
    problems
}

/// A message may have lines and tabs, but no other invisible character.
fn body_problems(body: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let chars = body.chars().count();
    if chars > MAX_BODY_CHARS {
        problems.push(format!(
            "The message is {chars} characters long; Statuspage allows {MAX_BODY_CHARS}"
        ));
    }
    let invisible = |c: char| c.is_control() && !matches!(c, '\n' | '\r' | '\t');
    let hidden = body.chars().find(|&c| invisible(c) || is_bidi_control(c));
    if let Some(c) = hidden {
        problems.push(format!(
            "The message contains the invisible character {}",
            code(c)
        ));
    }
    problems
}

fn component_problems(draft: &StatusDraft, components: Option<&[Component]>) -> Vec<String> {
    let mut problems = Vec::new();
    for (i, (id, _)) in draft.components.iter().enumerate() {
        let shown = one_line(id, MAX_ID_CHARS);
        if draft.components[..i].iter().any(|(other, _)| other == id) {
            problems.push(format!("The component `{shown}` is listed twice"));
        } else if components.is_some_and(|known| !known.iter().any(|c| &c.id == id)) {
            problems.push(format!("The page has no component `{shown}`"));
        }
    }
    problems
}

/// `U+202E`, for naming a character that cannot be shown.
fn code(c: char) -> String {
    format!("U+{:04X}", u32::from(c))
}

/// Multi-line text made safe to show: each line as [`one_line`] makes it, the whole cut at
/// `max` characters. Text that passes validation comes out the same, but for tabs shown as
/// spaces and `\r\n` shown as `\n`.
fn lines(text: &str, max: usize) -> String {
    let safe: Vec<String> = (text.split('\n'))
        .map(|line| one_line(line.strip_suffix('\r').unwrap_or(line), max))
        .collect();
    let joined = safe.join("\n");
    if joined.chars().count() <= max {
        return joined;
    }
    let mut cut: String = joined.chars().take(max).collect();
    cut.push('…');
    cut
}

/// One Statuspage page, reached with one API key.
#[derive(Clone)]
pub struct Statuspage {
    http: HttpClient,
    page_id: String,
    pacer: Pacer,
    /// The components last read, to check drafts without asking the server each time.
    known: Arc<Mutex<Vec<Component>>>,
}

impl Statuspage {
    /// A client of `page_id` at `api_url` (such as `https://api.statuspage.io/v1`). There is
    /// no default URL: where status is published is always the caller's explicit choice.
    pub fn new(api_url: &str, page_id: &str, api_key: &str) -> Result<Statuspage> {
        check_url(api_url)?;
        check_id("page", page_id)?;
        if api_key.trim().is_empty() {
            return Err(Error::Invalid("The Statuspage API key is empty".into()));
        }

        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        let (name, value) = HttpClient::header("authorization", &format!("OAuth {api_key}"))?;
        headers.insert(name, value);
        let http = HttpClient::new(PROVIDER, api_url, headers, RetryPolicy::default());
        Ok(Statuspage {
            http,
            page_id: page_id.to_owned(),
            pacer: Pacer::shared(api_url, api_key),
            known: Arc::default(),
        })
    }

    /// Starts the client off knowing these components (as last read), so checking a draft
    /// that names only these needs no request.
    pub fn with_known_components(self, components: Vec<Component>) -> Statuspage {
        *self.known.lock().unwrap_or_else(|e| e.into_inner()) = components;
        self
    }

    /// Every component of the page, in the page's order.
    pub async fn components(&self) -> Result<Vec<Component>> {
        let path = format!("/pages/{}/components", self.page_id);
        let items = self.list(&path).await?;
        let components: Vec<Component> = items.iter().filter_map(component).collect();
        skipped(items.len() - components.len(), "components");

        *self.known.lock().unwrap_or_else(|e| e.into_inner()) = components.clone();
        tracing::info!(page = %self.page_id, count = components.len(), "components read");
        Ok(components)
    }

    /// The incidents that are not resolved, newest first.
    pub async fn open_incidents(&self) -> Result<Vec<StatusIncident>> {
        let path = format!("/pages/{}/incidents/unresolved", self.page_id);
        let items = self.list(&path).await?;
        let incidents: Vec<StatusIncident> = items.iter().filter_map(incident).collect();
        skipped(items.len() - incidents.len(), "incidents");
        tracing::info!(page = %self.page_id, count = incidents.len(), "open incidents read");
        Ok(incidents)
    }

    /// Publishes a new incident with its first update.
    pub async fn create_incident(&self, draft: &StatusDraft) -> Result<StatusIncident> {
        self.check(draft).await?;
        let path = format!("/pages/{}/incidents", self.page_id);
        let created = self
            .write(Method::POST, &path, &request_body(draft))
            .await?;

        let created = incident(&created).ok_or_else(|| malformed("the new incident has no id"))?;
        let (page, phase) = (&self.page_id, draft.phase.as_str());
        tracing::info!(%page, incident = %created.id, phase, "Statuspage incident created");
        Ok(created)
    }

    /// Publishes the next update of incident `id`: its phase, impact, message and components.
    pub async fn update_incident(&self, id: &str, draft: &StatusDraft) -> Result<StatusIncident> {
        check_id("incident", id)?;
        self.check(draft).await?;
        let path = format!("/pages/{}/incidents/{id}", self.page_id);
        let updated = self
            .write(Method::PATCH, &path, &request_body(draft))
            .await?;

        let updated = incident(&updated).ok_or_else(|| malformed("the incident has no id"))?;
        let (page, phase) = (&self.page_id, draft.phase.as_str());
        tracing::info!(%page, incident = %updated.id, phase, "Statuspage incident updated");
        Ok(updated)
    }

    /// One incident with its updates, newest first.
    pub async fn incident(&self, id: &str) -> Result<StatusIncident> {
        check_id("incident", id)?;
        let path = format!("/pages/{}/incidents/{id}", self.page_id);
        let turn = self.pacer.turn().await;
        let answer = self.http.get_json(&path, &[]).await;
        drop(turn);
        incident(&answer?).ok_or_else(|| malformed("the incident has no id"))
    }

    /// The newest incidents (at most one list page) whose name, status or updates mention
    /// `words`, as the server's search finds them; callers filter further.
    pub async fn search_incidents(&self, words: &str) -> Result<Vec<StatusIncident>> {
        let path = format!("/pages/{}/incidents", self.page_id);
        let query = [
            ("q".to_owned(), words.to_owned()),
            ("limit".to_owned(), PER_PAGE.to_string()),
            ("page".to_owned(), "1".to_owned()),
        ];
        let turn = self.pacer.turn().await;
        let answer = self.http.get_json(&path, &query).await;
        drop(turn);

        let Value::Array(items) = answer? else {
            return Err(malformed(&format!("`{path}` did not answer with a list")));
        };
        let found: Vec<StatusIncident> = items.iter().filter_map(incident).collect();
        skipped(items.len() - found.len(), "incidents");
        Ok(found)
    }

    /// Validates a draft: its text first (no request needed), then its components against
    /// the page's, read again only when the draft names one not seen before.
    async fn check(&self, draft: &StatusDraft) -> Result<()> {
        refuse_problems(problems(draft, None))?;
        let cached = self.known.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let all_seen = (draft.components.iter()).all(|(id, _)| cached.iter().any(|c| &c.id == id));
        let known = if all_seen {
            cached
        } else {
            self.components().await?
        };
        validate(draft, &known)
    }

    /// Every item of a paged list; each page is one paced request.
    async fn list(&self, path: &str) -> Result<Vec<Value>> {
        let mut all: Vec<Value> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        for page in 1..=MAX_LIST_PAGES {
            let query = [
                ("page".to_owned(), page.to_string()),
                ("per_page".to_owned(), PER_PAGE.to_string()),
            ];
            let turn = self.pacer.turn().await;
            let answer = self.http.get_json(path, &query).await;
            drop(turn);

            let Value::Array(items) = answer? else {
                return Err(malformed(&format!("`{path}` did not answer with a list")));
            };
            let count = items.len();
            let before = all.len();
            // Items without an id pass here and are skipped, with a warning, by the caller.
            all.extend(
                items
                    .into_iter()
                    .filter(|item| id(item).is_none_or(|i| seen.insert(i))),
            );
            // A short page is the last; a page of repeats means the server ignores `page`.
            if count < PER_PAGE || all.len() == before {
                return Ok(all);
            }
        }
        tracing::warn!(
            path,
            pages = MAX_LIST_PAGES,
            "list cut short after this many pages"
        );
        Ok(all)
    }

    /// Sends a write once per turn; a throttled one was not processed, so it is sent again
    /// after the wait the server asked for, up to [`MAX_THROTTLED_SENDS`] times.
    async fn write(&self, method: Method, path: &str, body: &Value) -> Result<Value> {
        let mut sends = 0;
        loop {
            let mut turn = self.pacer.turn().await;
            let answer = (self.http)
                .send_once(method.clone(), path, Some(body), HeaderMap::new())
                .await;
            sends += 1;
            let Err(Error::RateLimited {
                retry_after_secs, ..
            }) = answer
            else {
                return answer;
            };
            let wait = Duration::from_secs(retry_after_secs).max(MIN_INTERVAL);
            turn.hold_off(wait.min(MAX_THROTTLE_WAIT));
            if sends >= MAX_THROTTLED_SENDS || wait > MAX_THROTTLE_WAIT {
                tracing::warn!(page = %self.page_id, ?wait, sends, "throttled; giving up");
                return answer;
            }
            tracing::warn!(page = %self.page_id, ?wait, sends, "throttled; sending again");
        }
    }
}

/// The `incident` body of a `POST` or `PATCH`: every field of the draft, so the update says
/// exactly what the preview showed. A draft without components sends no component fields:
/// an empty `component_ids` would detach the incident's components rather than keep them.
fn request_body(draft: &StatusDraft) -> Value {
    let mut incident = json!({
        "name": draft.name,
        "status": draft.phase.as_str(),
        "impact_override": draft.impact.as_str(),
    });
    if !draft.body.is_empty() {
        incident["body"] = json!(draft.body);
    }
    if !draft.components.is_empty() {
        let ids: Vec<&str> = draft.components.iter().map(|(id, _)| id.as_str()).collect();
        let statuses: Map<String, Value> = (draft.components.iter())
            .map(|(id, status)| (id.clone(), json!(status.as_str())))
            .collect();
        incident["component_ids"] = json!(ids);
        incident["components"] = json!(statuses);
    }
    json!({ "incident": incident })
}

fn check_url(url: &str) -> Result<()> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| Error::Invalid(format!("The Statuspage API URL `{url}` is not a URL: {e}")))?;
    match parsed.scheme() {
        "http" | "https" => Ok(()),
        other => Err(Error::Invalid(format!(
            "The Statuspage API URL must use http or https, not `{other}`"
        ))),
    }
}

/// Ids go into request paths, so only the characters Statuspage ids are made of pass.
fn check_id(what: &str, id: &str) -> Result<()> {
    let fine = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    if !id.is_empty() && id.len() <= MAX_ID_CHARS && id.chars().all(fine) {
        return Ok(());
    }
    let shown = one_line(id, MAX_ID_CHARS);
    Err(Error::Invalid(format!(
        "`{shown}` is not a Statuspage {what} id (letters, digits, `-` and `_` only)"
    )))
}

fn malformed(message: &str) -> Error {
    Error::Malformed {
        provider: PROVIDER.into(),
        message: message.into(),
    }
}

fn skipped(count: usize, what: &str) {
    if count > 0 {
        tracing::warn!(count, what, "Statuspage items without an id skipped");
    }
}

fn text(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn time(v: &Value, key: &str) -> Option<DateTime<Utc>> {
    let s = v.get(key)?.as_str()?;
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// An item without an id cannot be referred to again; callers skip it.
fn id(v: &Value) -> Option<String> {
    let id = v.get("id")?.as_str()?;
    (!id.is_empty()).then(|| id.to_owned())
}

/// A component of a page; `None` without an id.
pub fn component(v: &Value) -> Option<Component> {
    let raw_status = text(v, "status");
    Some(Component {
        id: id(v)?,
        name: text(v, "name"),
        status: ComponentStatus::parse(&raw_status),
        raw_status,
        group_id: v.get("group_id").and_then(Value::as_str).map(str::to_owned),
        position: v.get("position").and_then(Value::as_i64),
    })
}

/// An incident with its components and updates; `None` without an id.
pub fn incident(v: &Value) -> Option<StatusIncident> {
    let raw_status = text(v, "status");
    let raw_impact = text(v, "impact");
    let list = |key: &str| {
        v.get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    Some(StatusIncident {
        id: id(v)?,
        name: text(v, "name"),
        phase: StatusPhase::parse(&raw_status),
        raw_status,
        impact: Impact::parse(&raw_impact),
        raw_impact,
        components: list("components").iter().filter_map(component).collect(),
        updates: list("incident_updates").iter().filter_map(update).collect(),
        created_at: time(v, "created_at"),
        updated_at: time(v, "updated_at"),
        resolved_at: time(v, "resolved_at"),
        shortlink: v
            .get("shortlink")
            .and_then(Value::as_str)
            .map(str::to_owned),
    })
}

fn update(v: &Value) -> Option<StatusUpdate> {
    let raw_status = text(v, "status");
    Some(StatusUpdate {
        id: id(v)?,
        phase: StatusPhase::parse(&raw_status),
        raw_status,
        body: text(v, "body"),
        created_at: time(v, "created_at"),
    })
}

/// Spaces requests at least `interval` apart, measured from the end of one to the start of
/// the next: the server timestamps a request when it arrives, which is before its answer
/// leaves, so this spacing holds at the server whatever the network's delays.
#[derive(Clone)]
struct Pacer {
    interval: Duration,
    next: Arc<AsyncMutex<Instant>>,
}

/// The right to send now; when dropped, the next turn starts `gap` later.
struct Turn {
    next: OwnedMutexGuard<Instant>,
    gap: Duration,
}

impl Pacer {
    fn new(interval: Duration) -> Pacer {
        let next = Arc::new(AsyncMutex::new(Instant::now()));
        Pacer { interval, next }
    }

    /// The pacer of every client of `api_url` with `api_key` in this process, since the
    /// server counts requests per key. The registry holds a hash of the key, never the key.
    fn shared(api_url: &str, api_key: &str) -> Pacer {
        use std::collections::HashMap;
        use std::hash::{DefaultHasher, Hash, Hasher};
        static PACERS: Mutex<Option<HashMap<(String, u64), Pacer>>> = Mutex::new(None);

        let mut hasher = DefaultHasher::new();
        api_key.hash(&mut hasher);
        let id = (api_url.trim_end_matches('/').to_owned(), hasher.finish());
        let mut pacers = PACERS.lock().unwrap_or_else(|e| e.into_inner());
        let pacers = pacers.get_or_insert_with(HashMap::new);
        (pacers.entry(id))
            .or_insert_with(|| Pacer::new(MIN_INTERVAL))
            .clone()
    }

    /// Waits for this caller's turn; tokio's mutex queues waiters fairly, so turns are
    /// taken in the order they were asked for.
    async fn turn(&self) -> Turn {
        let next = self.next.clone().lock_owned().await;
        tokio::time::sleep_until(*next).await;
        let gap = self.interval;
        Turn { next, gap }
    }
}

impl Turn {
    /// Makes the next turn wait at least `wait` after this one ends.
    fn hold_off(&mut self, wait: Duration) {
        self.gap = self.gap.max(wait);
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        *self.next = Instant::now() + self.gap;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api() -> Component {
        Component {
            id: "cmpapi".into(),
            name: "API".into(),
            status: Some(ComponentStatus::Operational),
            raw_status: "operational".into(),
            group_id: None,
            position: Some(1),
        }
    }

    fn draft(name: &str, body: &str) -> StatusDraft {
        StatusDraft {
            name: name.into(),
            phase: StatusPhase::Investigating,
            impact: Impact::Major,
            body: body.into(),
            components: vec![("cmpapi".into(), ComponentStatus::MajorOutage)],
        }
    }

    fn invalid(draft: &StatusDraft) -> String {
        match validate(draft, &[api()]) {
            Err(Error::Invalid(message)) => message,
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn a_sound_draft_passes() {
        validate(
            &draft("API errors", "We are looking into it.\nMore soon."),
            &[api()],
        )
        .unwrap();
    }

    #[test]
    fn names_must_be_present_short_and_visible() {
        assert_eq!(invalid(&draft("   ", "")), "The incident needs a name");
        let long = invalid(&draft(&"é".repeat(256), ""));
        assert!(
            long.contains("256 characters") && long.contains("255"),
            "{long}"
        );
        assert!(invalid(&draft("a\nb", "")).contains("U+000A"));
        assert!(invalid(&draft("fake\u{202e}gnp", "")).contains("U+202E"));
        validate(&draft(&"é".repeat(255), ""), &[api()]).unwrap();
    }

    #[test]
    fn messages_keep_lines_but_not_invisible_characters() {
        validate(&draft("x", "a\r\nb\tc"), &[api()]).unwrap();
        assert!(invalid(&draft("x", "a\u{0}b")).contains("U+0000"));
        assert!(invalid(&draft("x", "a\u{2066}b")).contains("U+2066"));
        let long = invalid(&draft("x", &"y".repeat(MAX_BODY_CHARS + 1)));
        assert!(long.contains("25001 characters"), "{long}");
    }

    #[test]
    fn components_must_be_known_and_listed_once() {
        let mut d = draft("x", "");
        d.components
            .push(("ghost".into(), ComponentStatus::PartialOutage));
        d.components
            .push(("cmpapi".into(), ComponentStatus::Operational));
        let message = invalid(&d);
        assert!(message.contains("no component `ghost`"), "{message}");
        assert!(message.contains("`cmpapi` is listed twice"), "{message}");
    }

    #[test]
    fn the_preview_says_what_will_be_published() {
        let mut d = draft("API <b>errors</b>", "Line one\nLine two");
        d.components
            .push(("ghost".into(), ComponentStatus::Operational));
        let p = preview(&d, &[api()]);
        assert_eq!(
            p.title, "API <b>errors</b>",
            "markup is text, escaped by whoever shows it"
        );
        assert_eq!(p.body, "Line one\nLine two");
        assert_eq!(
            (p.phase, p.impact),
            (StatusPhase::Investigating, Impact::Major)
        );
        assert_eq!(p.components[0].name, "API");
        assert_eq!(p.components[0].status, ComponentStatus::MajorOutage);
        assert!(!p.components[1].known);
        assert_eq!(p.problems, ["The page has no component `ghost`"]);
    }

    #[test]
    fn the_preview_neutralises_and_bounds_hostile_text() {
        let d = draft(
            "real\u{202e}txt.exe\nforged",
            &format!("a\u{2067}b\u{7}\n{}", "z".repeat(1 << 20)),
        );
        let p = preview(&d, &[api()]);
        assert_eq!(p.title, "real\u{fffd}txt.exe forged");
        assert!(p.body.starts_with("a\u{fffd}b\u{fffd}\nzzz"));
        assert!(p.body.chars().count() <= MAX_BODY_CHARS + 1 && p.body.ends_with('…'));
        assert_eq!(p.problems.len(), 3, "{:?}", p.problems);
    }

    #[test]
    fn the_request_body_carries_every_field_of_the_draft() {
        let body = request_body(&draft("API errors", "Looking"));
        let expected = json!({"incident": {
            "name": "API errors", "status": "investigating", "impact_override": "major",
            "body": "Looking", "component_ids": ["cmpapi"],
            "components": {"cmpapi": "major_outage"},
        }});
        assert_eq!(body, expected);

        let mut bare = draft("x", "");
        bare.components.clear();
        let expected = json!({"incident": {
            "name": "x", "status": "investigating", "impact_override": "major",
        }});
        assert_eq!(request_body(&bare), expected);
    }

    #[test]
    fn unknown_statuses_are_kept_raw_not_dropped() {
        let v = json!({
            "id": "inc1", "name": "Maintenance", "status": "in_progress", "impact": "maintenance",
            "components": [{"id": "c1", "name": "DB", "status": ""}, {"name": "no id"}],
            "incident_updates": [{"id": "u1", "status": "verifying", "body": "b"}],
            "created_at": "2026-12-04T10:00:00.000Z",
        });
        let i = incident(&v).unwrap();
        assert_eq!((i.phase, i.raw_status.as_str()), (None, "in_progress"));
        assert_eq!((i.impact, i.raw_impact.as_str()), (None, "maintenance"));
        assert_eq!(i.components.len(), 1);
        assert_eq!(i.components[0].status, None);
        assert_eq!(i.updates[0].raw_status, "verifying");
        assert!(i.created_at.is_some() && i.resolved_at.is_none());
        assert!(incident(&json!({"name": "no id"})).is_none());
    }

    #[test]
    fn bad_settings_are_refused_before_any_request() {
        let codes = [
            Statuspage::new("not a url", "pg1", "k").err(),
            Statuspage::new("ftp://127.0.0.1/v1", "pg1", "k").err(),
            Statuspage::new("http://127.0.0.1/v1", "../admin", "k").err(),
            Statuspage::new("http://127.0.0.1/v1", "", "k").err(),
            Statuspage::new("http://127.0.0.1/v1", "pg1", " ").err(),
            Statuspage::new("http://127.0.0.1/v1", "pg1", "k\nX-Evil: 1").err(),
        ];
        for error in codes {
            assert_eq!(error.expect("refused").code(), "invalid");
        }
        assert!(check_id("incident", "abc?x=1").is_err());
        assert!(Statuspage::new("http://127.0.0.1:9/v1", "pg1_a-b", "k").is_ok());
    }

    #[tokio::test]
    async fn the_pacer_spaces_turns_from_the_end_of_the_last_one() {
        let pacer = Pacer::new(Duration::from_millis(40));
        let mut spans = Vec::new();
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let pacer = pacer.clone();
                tokio::spawn(async move {
                    let turn = pacer.turn().await;
                    let start = Instant::now();
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    drop(turn);
                    (start, Instant::now())
                })
            })
            .collect();
        for task in tasks {
            spans.push(task.await.unwrap());
        }
        spans.sort();
        for pair in spans.windows(2) {
            let gap = pair[1].0 - pair[0].1;
            assert!(gap >= Duration::from_millis(40), "{gap:?}");
        }
    }

    #[test]
    fn clients_of_one_server_and_key_share_a_pacer() {
        let a = Pacer::shared("http://127.0.0.1:1/v1", "key-a");
        let same = Pacer::shared("http://127.0.0.1:1/v1/", "key-a");
        let other_key = Pacer::shared("http://127.0.0.1:1/v1", "key-b");
        let other_server = Pacer::shared("http://127.0.0.1:2/v1", "key-a");
        assert!(Arc::ptr_eq(&a.next, &same.next));
        assert!(!Arc::ptr_eq(&a.next, &other_key.next));
        assert!(!Arc::ptr_eq(&a.next, &other_server.next));
    }

    #[tokio::test]
    async fn a_held_off_turn_delays_the_next_one() {
        let pacer = Pacer::new(Duration::from_millis(10));
        let mut turn = pacer.turn().await;
        turn.hold_off(Duration::from_millis(80));
        drop(turn);
        let ended = Instant::now();
        let _next = pacer.turn().await;
        assert!(ended.elapsed() >= Duration::from_millis(80));
    }
}
