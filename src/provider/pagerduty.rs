//! PagerDuty REST API v2, read side: who I am, the directory, on-call, incidents and the
//! log-entry change feed, normalised into a [`Batch`].
//!
//! Real-server behaviour designed for: `Token token=` auth with the version-2 Accept header;
//! offset paging with `more` (limit 100) and a ceiling of 10,000 on offset+limit, which the
//! history download steps around by restarting its window after the last incident seen;
//! a one-month default window when `since`/`until` are missing (always sent); a six-month
//! maximum range; `total` null; unknown statuses and null fields kept, never dropped.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use futures_util::StreamExt;
use reqwest::header::HeaderMap;
use serde_json::Value;

use super::http::{HttpClient, RetryPolicy};
use super::{
    Batch, IncidentRecord, LogRecord, Named, OnCallRecord, PolicyRecord, RuleRecord, RuleTarget,
    ScheduleRecord,
};
use crate::error::{Error, Result};
use crate::model::{IncidentStatus, Person, Urgency};

/// The public API's address; `--api-url` overrides it (EU service region, tests).
pub const DEFAULT_API_URL: &str = "https://api.pagerduty.com";

const PAGE_LIMIT: usize = 100;
/// The server refuses offset+limit above this.
const OFFSET_CEILING: usize = 10_000;
/// The longest `since`..`until` range the server accepts.
const MAX_RANGE_DAYS: i64 = 180;
/// Log entries can become visible a little after their `created_at`; the feed re-reads this
/// much before the cursor and deduplicates by id.
const FEED_OVERLAP: chrono::Duration = chrono::Duration::minutes(2);
/// How often services, policies and schedules are re-read once the cache has them.
const DIRECTORY_EVERY: Duration = Duration::from_secs(15 * 60);
/// How many days of each schedule a directory read asks PagerDuty to render.
const SCHEDULE_WINDOW_DAYS: i64 = 15;
/// Timelines of open incidents fetched per pass, after the first sync.
pub const MAX_TIMELINES_PER_PASS: usize = 20;
/// Timeline requests in flight at once; well inside PagerDuty's per-minute rate limit.
const TIMELINE_CONCURRENCY: usize = 4;

/// Incidents and timeline entries read by one pass, and the ids of incidents that are gone.
type Changes = (Vec<IncidentRecord>, Vec<LogRecord>, Vec<String>);

/// Tunables of the adapter.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// How far back the first sync reads resolved incidents.
    pub history_days: i64,
    pub retry: RetryPolicy,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            history_days: 90,
            retry: RetryPolicy::default(),
        }
    }
}

/// What the engine tells the adapter about the cache before a pass.
#[derive(Debug, Clone, Default)]
pub struct PassInput {
    pub user_id: Option<String>,
    pub email: Option<String>,
    pub cursor: Option<String>,
    pub history_done: bool,
    /// When services, policies and schedules were last read.
    pub directory_synced_at: Option<DateTime<Utc>>,
    /// Provider ids the cache holds as open.
    pub open_cached: Vec<String>,
    /// Open incidents the cache has no timeline for yet (a few per pass).
    pub needs_timeline: Vec<(String, DateTime<Utc>)>,
}

/// A PagerDuty account's client. Kept across passes by the sync engine.
pub struct PagerDuty {
    pub(super) http: HttpClient,
    options: Options,
}

impl PagerDuty {
    pub fn new(api_url: Option<&str>, token: &str, options: Options) -> Result<PagerDuty> {
        let mut headers = HeaderMap::new();
        let (name, value) = HttpClient::header("authorization", &format!("Token token={token}"))?;
        headers.insert(name, value);
        let accept = "application/vnd.pagerduty+json;version=2";
        headers.insert("accept", accept.parse().expect("static header"));
        let base = api_url.unwrap_or(DEFAULT_API_URL);
        let http = HttpClient::new("PagerDuty", base, headers, options.retry);
        Ok(PagerDuty { http, options })
    }

    /// One sync pass. Nothing is written here; the engine applies the batch.
    pub async fn pass(&self, input: &PassInput) -> Result<Batch> {
        let now = Utc::now();
        let mut batch = Batch::default();

        let me = self.whoami(input).await?;
        if input.user_id.is_none() {
            batch.me = Some(me.clone());
        }
        // The directory, on-call and incidents are independent: read them side by side.
        let directory = async {
            match directory_due(input, now) {
                true => self.read_directory(&mut batch).await.map(|()| true),
                false => Ok(false),
            }
        };
        let incidents = async {
            match input.history_done {
                true => self.incremental(input, &me.provider_id, now).await,
                false => self.first_sync(&me.provider_id, now).await,
            }
        };
        let (directory_read, oncalls, (incidents, log_entries, gone)) =
            tokio::try_join!(directory, self.oncalls(), incidents)?;
        batch.gone = gone;

        batch.directory_read = directory_read;
        batch.oncalls = oncalls;
        batch.users = people_seen(&me, batch.oncalls.as_deref(), &incidents);
        batch.incidents = incidents;
        batch.log_entries = log_entries;
        batch.history_complete = true;
        batch.cursor = Some(iso(now));
        Ok(batch)
    }

    async fn whoami(&self, input: &PassInput) -> Result<Person> {
        if let Some(id) = &input.user_id {
            return Ok(Person {
                provider_id: id.clone(),
                name: String::new(),
                email: None,
            });
        }
        match self.http.get_json("/users/me", &[]).await {
            Ok(body) => Ok(person(&body["user"])),
            // An account-level key cannot say who "me" is; the email given at setup can.
            Err(Error::Provider { status: 400, .. }) if input.email.is_some() => {
                self.user_by_email(input.email.as_deref().unwrap_or_default())
                    .await
            }
            Err(Error::Provider {
                status: 400,
                message,
                ..
            }) => Err(Error::Invalid(format!(
                "PagerDuty cannot tell who you are with this key ({message}); \
                 add the account again with --email"
            ))),
            Err(e) => Err(e),
        }
    }

    async fn user_by_email(&self, email: &str) -> Result<Person> {
        let users = self.list("/users", "users", &[q("query", email)]).await?;
        users
            .iter()
            .map(person)
            .find(|p| {
                p.email
                    .as_deref()
                    .is_some_and(|e| e.eq_ignore_ascii_case(email))
            })
            .ok_or_else(|| Error::NotFound(format!("no PagerDuty user with email `{email}`")))
    }

    async fn read_directory(&self, batch: &mut Batch) -> Result<()> {
        let services = self.list("/services", "services", &[]).await?;
        batch.services = services.iter().map(named).collect();

        // Accounts without priorities enabled answer with an error; that is not a failure.
        batch.priorities = match self.list("/priorities", "priorities", &[]).await {
            Ok(items) => items.iter().map(named).collect(),
            Err(Error::Provider { status, .. }) if status < 500 => Vec::new(),
            Err(e) => return Err(e),
        };

        // A restricted role may not read policies or schedules (403): incidents still sync.
        let policies =
            optional(self.list("/escalation_policies", "escalation_policies", &[])).await?;
        batch.policies = policies.iter().map(policy).collect();

        let schedules = optional(self.list("/schedules", "schedules", &[])).await?;
        batch.schedules = schedules
            .iter()
            .map(|s| ScheduleRecord {
                provider_id: str_of(&s["id"]),
                name: name_of(s),
                time_zone: s["time_zone"].as_str().map(str::to_string),
            })
            .collect();

        // The definitions and PagerDuty's own rendering of the next two weeks, to render
        // offline and to cross-check the local renderer against.
        let ids: Vec<String> = batch
            .schedules
            .iter()
            .map(|s| s.provider_id.clone())
            .collect();
        let since = Utc::now() - chrono::Duration::days(1);
        let until = since + chrono::Duration::days(SCHEDULE_WINDOW_DAYS);
        batch.schedule_details = self.schedule_details(&ids, since, until).await?;
        Ok(())
    }

    /// Who is on call; `None` when this token may not read it (403), so the cached rows stay
    /// rather than being replaced with nothing.
    async fn oncalls(&self) -> Result<Option<Vec<OnCallRecord>>> {
        match self.list("/oncalls", "oncalls", &[]).await {
            Ok(items) => Ok(Some(items.iter().map(oncall).collect())),
            Err(Error::Provider {
                status, message, ..
            }) if status < 500 => {
                tracing::warn!(status, %message, "this token cannot read on-call");
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    async fn first_sync(&self, me: &str, now: DateTime<Utc>) -> Result<Changes> {
        let since = now - chrono::Duration::days(self.options.history_days);
        let mut incidents = self.incidents_between(since, now).await?;
        let open = self.list("/incidents", "incidents", &open_query()).await?;
        incidents.extend(open);

        // No timelines here, so the list is there as soon as possible: the next passes fetch
        // those of open incidents (`PassInput::needs_timeline`), and the engine fetches a
        // resolved one's when someone opens it (`Engine::incident`).
        let records = dedupe(incidents.iter().map(|i| incident(i, me)));
        Ok((records, Vec::new(), Vec::new()))
    }

    /// The timelines of these incidents, a few requests at a time.
    async fn timelines(&self, ids: &[(String, DateTime<Utc>)]) -> Result<Vec<LogRecord>> {
        let timelines: Vec<Result<Vec<LogRecord>>> = futures_util::stream::iter(ids.to_vec())
            .map(|(id, created_at)| async move { self.timeline(&id, created_at).await })
            .buffer_unordered(TIMELINE_CONCURRENCY)
            .collect()
            .await;
        let mut entries = Vec::new();
        for timeline in timelines {
            match timeline {
                Ok(found) => entries.extend(found),
                // A deleted incident: the pass reads it on its own and closes it.
                Err(Error::Provider { status: 404, .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(entries)
    }

    async fn incremental(
        &self,
        input: &PassInput,
        me: &str,
        now: DateTime<Utc>,
    ) -> Result<Changes> {
        let open = self.list("/incidents", "incidents", &open_query()).await?;
        let mut records = dedupe(open.iter().map(|i| incident(i, me)));
        let mut known: HashSet<String> = records.iter().map(|r| r.provider_id.clone()).collect();

        let since = input
            .cursor
            .as_deref()
            .and_then(|c| DateTime::parse_from_rfc3339(c).ok())
            .map(|c| c.with_timezone(&Utc) - FEED_OVERLAP)
            .unwrap_or(now - chrono::Duration::hours(1))
            .max(now - chrono::Duration::days(MAX_RANGE_DAYS));
        let mut feed = self.log_entries("/log_entries", since, now).await?;
        feed.extend(self.timelines(&input.needs_timeline).await?);

        // Incidents that left the open list, or that the feed mentions but the open list lacks
        // (created and resolved between two passes), are read one by one.
        let mut gone = Vec::new();
        let mut missing: Vec<String> = input.open_cached.clone();
        missing.extend(feed.iter().map(|e| e.incident_provider_id.clone()));
        for id in missing {
            if !known.insert(id.clone()) {
                continue;
            }
            match self.http.get_json(&format!("/incidents/{id}"), &[]).await {
                Ok(body) => records.push(incident(&body["incident"], me)),
                // Deleted at PagerDuty (with its service, say): one such incident must not
                // stop the account's sync for good.
                Err(Error::Provider { status: 404, .. }) => {
                    tracing::info!(incident = %id, "incident no longer exists at PagerDuty");
                    gone.push(id);
                }
                Err(e) => return Err(e),
            }
        }
        Ok((records, feed, gone))
    }

    /// Every incident created in `[since, until)`, stepping around the offset ceiling.
    async fn incidents_between(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<Value>> {
        let mut out = Vec::new();
        let mut window_start = since;
        while window_start < until {
            let window_end = until.min(window_start + chrono::Duration::days(MAX_RANGE_DAYS));
            let mut start = window_start;
            loop {
                let sort = [q("sort_by", "created_at:asc")];
                let (items, more) = self
                    .window_until_ceiling("/incidents", "incidents", start, window_end, &sort)
                    .await?;
                let last = items.last().and_then(created_at);
                out.extend(items);
                match (more, last) {
                    // Restart just at the last incident seen; duplicates are removed later.
                    (true, Some(last)) if last > start => start = last,
                    (true, _) => {
                        return Err(Error::Invalid(format!(
                            "more than {OFFSET_CEILING} PagerDuty incidents share the \
                             creation time {}; cannot page past them",
                            iso(start)
                        )))
                    }
                    (false, _) => break,
                }
            }
            window_start = window_end;
        }
        Ok(out)
    }

    /// Pages through one window until it ends or the next page would cross the ceiling;
    /// `true` in the answer means the window holds more than the ceiling lets through.
    async fn window_until_ceiling(
        &self,
        path: &str,
        key: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        extra: &[(String, String)],
    ) -> Result<(Vec<Value>, bool)> {
        let mut query = vec![q("since", &iso(since)), q("until", &iso(until))];
        query.extend_from_slice(extra);
        let mut out = Vec::new();
        let mut offset = 0;
        loop {
            let (items, more) = self.page(path, key, &query, offset).await?;
            offset += items.len();
            let empty = items.is_empty();
            out.extend(items);
            if !more || empty {
                return Ok((out, false));
            }
            if offset + PAGE_LIMIT > OFFSET_CEILING {
                return Ok((out, true));
            }
        }
    }

    /// One incident's whole timeline: from just before it was created, with an explicit
    /// window (the server would otherwise read only the last month).
    pub async fn timeline(
        &self,
        incident_id: &str,
        created_at: DateTime<Utc>,
    ) -> Result<Vec<LogRecord>> {
        let path = format!("/incidents/{incident_id}/log_entries");
        let since = created_at - chrono::Duration::minutes(1);
        let until = Utc::now().min(since + chrono::Duration::days(MAX_RANGE_DAYS));
        let extra = [q("is_overview", "false")];
        let items = self
            .windowed(&path, "log_entries", since, until, &extra)
            .await?;
        Ok(items.iter().filter_map(log_entry).collect())
    }

    /// Every item of a time-windowed list, however many: windows longer than the server's
    /// limit are cut, and a window that holds more than the offset ceiling lets through is
    /// halved until each half fits. Works whatever order the server sorts in; the caller
    /// removes the duplicates that window edges can bring.
    async fn windowed(
        &self,
        path: &str,
        key: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        extra: &[(String, String)],
    ) -> Result<Vec<Value>> {
        let longest = chrono::Duration::days(MAX_RANGE_DAYS);
        let mut windows = Vec::new();
        let mut start = since;
        while start < until {
            let end = until.min(start + longest);
            windows.push((start, end));
            start = end;
        }
        windows.reverse();

        let mut out = Vec::new();
        while let Some((start, end)) = windows.pop() {
            let (items, more) = self
                .window_until_ceiling(path, key, start, end, extra)
                .await?;
            out.extend(items);
            if !more {
                continue;
            }
            if end - start < chrono::Duration::seconds(2) {
                return Err(Error::Invalid(format!(
                    "more than {OFFSET_CEILING} PagerDuty entries at {}; cannot page past them",
                    iso(start)
                )));
            }
            let middle = start + (end - start) / 2;
            windows.push((middle, end));
            windows.push((start, middle));
        }
        Ok(out)
    }

    async fn log_entries(
        &self,
        path: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<LogRecord>> {
        let items = self
            .windowed(path, "log_entries", since, until, &[])
            .await?;
        let mut seen = HashSet::new();
        let entries = items.iter().filter_map(log_entry);
        Ok(entries
            .filter(|e| {
                e.provider_id
                    .as_ref()
                    .is_none_or(|id| seen.insert(id.clone()))
            })
            .collect())
    }

    /// Every item of a list endpoint without a time window. One that holds more than the
    /// offset ceiling lets through is an error, never a silently shortened list.
    pub(super) async fn list(
        &self,
        path: &str,
        key: &str,
        query: &[(String, String)],
    ) -> Result<Vec<Value>> {
        let mut out = Vec::new();
        let mut offset = 0;
        loop {
            let (items, more) = self.page(path, key, query, offset).await?;
            offset += items.len();
            let empty = items.is_empty();
            out.extend(items);
            if !more || empty {
                return Ok(out);
            }
            if offset + PAGE_LIMIT > OFFSET_CEILING {
                return Err(Error::Invalid(format!(
                    "`{path}` lists more than {OFFSET_CEILING} items, more than PagerDuty lets \
                     a client page through"
                )));
            }
        }
    }

    async fn page(
        &self,
        path: &str,
        key: &str,
        query: &[(String, String)],
        offset: usize,
    ) -> Result<(Vec<Value>, bool)> {
        let mut query = query.to_vec();
        query.push(q("limit", &PAGE_LIMIT.to_string()));
        query.push(q("offset", &offset.to_string()));
        let body = self.http.get_json(path, &query).await?;
        page_items(body, path, key)
    }
}

/// The `key` list of one page of a list endpoint, and whether the server has `more`.
pub fn page_items(mut body: Value, path: &str, key: &str) -> Result<(Vec<Value>, bool)> {
    let items = match body.get_mut(key).map(Value::take) {
        Some(Value::Array(items)) => items,
        _ => {
            return Err(Error::Malformed {
                provider: "PagerDuty".into(),
                message: format!("`{path}` answered without a `{key}` list"),
            })
        }
    };
    let more = body.get("more").and_then(Value::as_bool).unwrap_or(false);
    Ok((items, more))
}

/// A directory list the token may not be allowed to read: a 4xx answer is an empty list.
async fn optional(
    list: impl std::future::Future<Output = Result<Vec<Value>>>,
) -> Result<Vec<Value>> {
    match list.await {
        Err(Error::Provider {
            status, message, ..
        }) if status < 500 => {
            tracing::warn!(status, %message, "skipping a directory list this token cannot read");
            Ok(Vec::new())
        }
        other => other,
    }
}

/// The people a pass saw — me, whoever is on call, whoever holds an incident — so a person
/// can be named (to reassign, say) without reading a whole account's user list.
fn people_seen(
    me: &Person,
    oncalls: Option<&[OnCallRecord]>,
    incidents: &[IncidentRecord],
) -> Vec<Person> {
    let mut seen: BTreeMap<String, Person> = BTreeMap::new();
    let on_call = oncalls.unwrap_or_default().iter().map(|o| &o.user);
    let assigned = incidents.iter().flat_map(|i| &i.assignees);
    for person in std::iter::once(me).chain(on_call).chain(assigned) {
        if person.provider_id.is_empty() {
            continue;
        }
        // Each sighting may know only part of a person (a name, an email): keep every part.
        let merged = seen
            .entry(person.provider_id.clone())
            .or_insert_with(|| person.clone());
        if merged.name.is_empty() {
            merged.name.clone_from(&person.name);
        }
        if merged.email.is_none() {
            merged.email.clone_from(&person.email);
        }
    }
    seen.into_values().collect()
}

fn directory_due(input: &PassInput, now: DateTime<Utc>) -> bool {
    let every = chrono::Duration::from_std(DIRECTORY_EVERY).unwrap_or_default();
    !input.history_done || input.directory_synced_at.is_none_or(|t| now - t >= every)
}

pub(super) fn open_query() -> Vec<(String, String)> {
    vec![
        q("statuses[]", "triggered"),
        q("statuses[]", "acknowledged"),
        q("date_range", "all"),
    ]
}

fn q(k: &str, v: &str) -> (String, String) {
    (k.to_string(), v.to_string())
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn str_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

fn name_of(v: &Value) -> String {
    v["name"]
        .as_str()
        .or_else(|| v["summary"].as_str())
        .unwrap_or_default()
        .to_string()
}

/// A service or priority of the directory.
pub fn named(v: &Value) -> Named {
    Named {
        provider_id: str_of(&v["id"]),
        name: name_of(v),
    }
}

pub(super) fn person(v: &Value) -> Person {
    Person {
        provider_id: str_of(&v["id"]),
        name: name_of(v),
        email: v["email"].as_str().map(str::to_string),
    }
}

fn time(v: &Value) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(v.as_str()?)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn created_at(v: &Value) -> Option<DateTime<Utc>> {
    time(&v["created_at"])
}

/// An escalation policy with its levels.
pub fn policy(v: &Value) -> PolicyRecord {
    let rules = v["escalation_rules"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    PolicyRecord {
        provider_id: str_of(&v["id"]),
        name: name_of(v),
        num_loops: v["num_loops"].as_i64().unwrap_or(0),
        rules: rules
            .iter()
            .map(|r| RuleRecord {
                delay_minutes: r["escalation_delay_in_minutes"].as_i64().unwrap_or(0),
                targets: r["targets"]
                    .as_array()
                    .map(|ts| ts.iter().map(rule_target).collect())
                    .unwrap_or_default(),
            })
            .collect(),
    }
}

fn rule_target(t: &Value) -> RuleTarget {
    let kind = t["type"].as_str().unwrap_or_default();
    RuleTarget {
        id: str_of(&t["id"]),
        kind: kind.trim_end_matches("_reference").to_string(),
        name: name_of(t),
    }
}

/// One row of `/oncalls`.
pub fn oncall(v: &Value) -> OnCallRecord {
    let schedule = &v["schedule"];
    OnCallRecord {
        escalation_policy_id: str_of(&v["escalation_policy"]["id"]),
        level: v["escalation_level"].as_i64().unwrap_or(1),
        user: person(&v["user"]),
        schedule_id: schedule["id"].as_str().map(str::to_string),
        schedule_name: schedule["summary"].as_str().map(str::to_string),
        start: time(&v["start"]),
        end: time(&v["end"]),
    }
}

/// Normalises an incident. Missing or null fields get safe defaults; nothing is rejected.
pub fn incident(v: &Value, me: &str) -> IncidentRecord {
    let raw_status = v["status"].as_str().unwrap_or("triggered");
    let status = IncidentStatus::parse(raw_status);
    let created = created_at(v).unwrap_or_else(Utc::now);
    let assignments = v["assignments"].as_array().cloned().unwrap_or_default();
    let assignees = assignments.iter().map(|a| person(&a["assignee"])).collect();
    let my_assignment = assignments
        .iter()
        .find(|a| !me.is_empty() && a["assignee"]["id"].as_str() == Some(me))
        .map(|a| {
            format!(
                "assigned:{me}:{}",
                a["at"].as_str().unwrap_or(&iso(created))
            )
        });
    let acknowledged_at = v["acknowledgements"]
        .as_array()
        .and_then(|acks| acks.iter().filter_map(|a| time(&a["at"])).min());
    let last_change = time(&v["last_status_change_at"]);
    let resolved_at = (status == IncidentStatus::Resolved)
        .then(|| time(&v["resolved_at"]).or(last_change))
        .flatten();
    let mut details = serde_json::Map::new();
    details.insert("incident_key".into(), v["incident_key"].clone());

    IncidentRecord {
        provider_id: str_of(&v["id"]),
        number: v["incident_number"].as_i64(),
        title: v["title"]
            .as_str()
            .or(v["summary"].as_str())
            .unwrap_or("(untitled)")
            .into(),
        status,
        raw_status: (status == IncidentStatus::Unknown).then(|| raw_status.to_string()),
        urgency: Urgency::parse(v["urgency"].as_str().unwrap_or("high")),
        priority: v["priority"]["summary"]
            .as_str()
            .or(v["priority"]["name"].as_str())
            .map(Into::into),
        severity: None,
        service_id: v["service"]["id"].as_str().map(str::to_string),
        service_name: v["service"]["summary"].as_str().map(str::to_string),
        escalation_policy_id: v["escalation_policy"]["id"].as_str().map(str::to_string),
        assignees,
        my_assignment,
        created_at: created,
        acknowledged_at,
        resolved_at,
        updated_at: time(&v["updated_at"]).or(last_change).unwrap_or(created),
        html_url: v["html_url"].as_str().map(str::to_string),
        is_drill: false,
        details: Value::Object(details),
    }
}

/// A log entry; `None` when it names no incident.
pub fn log_entry(v: &Value) -> Option<LogRecord> {
    let incident = v["incident"]["id"].as_str()?;
    let kind = v["type"].as_str().unwrap_or("log_entry");
    Some(LogRecord {
        incident_provider_id: incident.to_string(),
        provider_id: v["id"].as_str().map(str::to_string),
        kind: kind
            .trim_end_matches("_reference")
            .trim_end_matches("_log_entry")
            .to_string(),
        at: created_at(v).unwrap_or_else(Utc::now),
        summary: v["summary"].as_str().unwrap_or_default().to_string(),
        agent: v["agent"]["summary"].as_str().map(str::to_string),
    })
}

/// Keeps the last record of each incident id, in first-seen order.
fn dedupe(records: impl Iterator<Item = IncidentRecord>) -> Vec<IncidentRecord> {
    let mut by_id: BTreeMap<String, (usize, IncidentRecord)> = BTreeMap::new();
    for (n, r) in records.enumerate() {
        let first = by_id.get(&r.provider_id).map_or(n, |(first, _)| *first);
        by_id.insert(r.provider_id.clone(), (first, r));
    }
    let mut out: Vec<_> = by_id.into_values().collect();
    out.sort_by_key(|(n, _)| *n);
    out.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_status_and_nulls_are_kept() {
        let v = json!({
            "id": "P1", "status": "escalated_v3", "title": null, "summary": "Disk full",
            "incident_key": null, "urgency": "sideways", "service": null, "assignments": null,
        });
        let r = incident(&v, "PME");
        assert_eq!(r.status, IncidentStatus::Unknown);
        assert_eq!(r.raw_status.as_deref(), Some("escalated_v3"));
        assert_eq!(r.title, "Disk full");
        assert_eq!(r.urgency, Urgency::High);
        assert_eq!(r.details["incident_key"], Value::Null);
        assert!(r.my_assignment.is_none());
    }

    #[test]
    fn my_assignment_names_the_assignment_time() {
        let v = json!({
            "id": "P1", "status": "triggered", "title": "x",
            "created_at": "2026-01-01T00:00:00Z",
            "assignments": [{"at": "2026-01-01T00:05:00Z", "assignee": {"id": "PME"}}],
        });
        let r = incident(&v, "PME");
        assert_eq!(
            r.my_assignment.as_deref(),
            Some("assigned:PME:2026-01-01T00:05:00Z")
        );
        assert!(incident(&v, "POTHER").my_assignment.is_none());
    }

    #[test]
    fn dedupe_keeps_latest_in_first_order() {
        let a = incident(&json!({"id": "A", "title": "old"}), "");
        let b = incident(&json!({"id": "B", "title": "b"}), "");
        let a2 = incident(&json!({"id": "A", "title": "new"}), "");
        let out = dedupe(vec![a, b, a2].into_iter());
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].title, "new");
        assert_eq!(out[1].provider_id, "B");
    }
}
