//! Read queries over the cache: incident lists, details, services and who is on call.

use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, OptionalExtension, Row};

use super::{parse_ts, ts, Store};
use crate::error::{Error, Result};
use crate::model::{
    Id, Incident, IncidentDetail, IncidentFilter, IncidentStatus, OnCall, OutboxState, Person,
    ProviderKind, Service, StatusFilter, TimelineEntry, Urgency,
};

pub(super) const INCIDENT_COLUMNS: &str =
    "i.id, i.account_id, a.name, a.kind, i.provider_id, i.number,
    i.title, i.status, i.raw_status, i.urgency, i.priority, i.severity, i.service_id,
    i.service_name, i.assignees, i.escalation_policy_id, i.created_at, i.acknowledged_at,
    i.resolved_at, i.updated_at, i.html_url, i.is_drill, i.details";

/// The default and the largest number of incidents one list returns.
const DEFAULT_LIMIT: u32 = 500;
const MAX_LIMIT: u32 = 10_000;

impl Store {
    /// Incidents matching `filter`, in the order a responder works them: unacknowledged
    /// (triggered or unknown) first, then acknowledged, then resolved; high urgency before
    /// low within each; newest first.
    pub fn incidents(&self, filter: &IncidentFilter) -> Result<Vec<Incident>> {
        let (where_sql, args) = filter_sql(filter);
        let limit = filter.limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT);
        // A search reads every row anyway: a straight scan beats walking the order index and
        // fetching each row from it (twice as fast at 100,000 incidents).
        let searching = filter
            .search
            .as_deref()
            .is_some_and(|s| !s.trim().is_empty());
        let scan = if searching { "NOT INDEXED" } else { "" };
        let sql = format!(
            "SELECT {INCIDENT_COLUMNS} FROM incidents i {scan} JOIN accounts a ON a.id = i.account_id
             WHERE {where_sql}
             ORDER BY (status = 'resolved'), (status = 'acknowledged'), (urgency != 'high'),
                      i.created_at DESC
             LIMIT {limit}"
        );

        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params_from_iter(args), incident_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// One incident by local id.
    pub fn incident_row(&self, id: Id) -> Result<Incident> {
        let conn = self.reader();
        let sql = format!(
            "SELECT {INCIDENT_COLUMNS} FROM incidents i JOIN accounts a ON a.id = i.account_id
             WHERE i.id = ?1"
        );
        conn.query_row(&sql, [id], incident_from_row)
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("incident {id}")))
    }

    /// Resolves what a person typed (a local id, a provider id, or `#number`) to a local id.
    pub fn find_incident(&self, key: &str) -> Result<Id> {
        let key = key.trim();
        let conn = self.conn();
        let by_number = key.strip_prefix('#').and_then(|n| n.parse::<i64>().ok());
        let found: Option<Id> = if let Some(number) = by_number {
            let mut stmt = conn.prepare("SELECT id FROM incidents WHERE number = ?1 LIMIT 5")?;
            let ids: Vec<Id> = stmt
                .query_map([number], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            if ids.len() > 1 {
                let list: Vec<String> = ids.iter().map(Id::to_string).collect();
                return Err(Error::Invalid(format!(
                    "#{number} is a number in several accounts (ids {}); use the id",
                    list.join(", ")
                )));
            }
            ids.first().copied()
        } else {
            conn.query_row(
                "SELECT id FROM incidents WHERE CAST(id AS TEXT) = ?1 OR provider_id = ?1
                 ORDER BY CAST(id AS TEXT) = ?1 DESC LIMIT 1",
                [key],
                |r| r.get(0),
            )
            .optional()?
        };
        found.ok_or_else(|| Error::NotFound(format!("incident `{key}`")))
    }

    /// An incident of one account by its provider id, or by Tocsin's own id for it.
    pub fn incident_in_account(&self, account: Id, key: &str) -> Result<Id> {
        self.conn()
            .query_row(
                "SELECT id FROM incidents
                 WHERE account_id = ?1 AND (provider_id = ?2 OR CAST(id AS TEXT) = ?2)
                 ORDER BY provider_id = ?2 DESC LIMIT 1",
                params![account, key],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("incident `{key}` in account {account}")))
    }

    /// An incident with its timeline in time order.
    pub fn incident_detail(&self, id: Id) -> Result<IncidentDetail> {
        let incident = self.incident_row(id)?;
        let conn = self.reader();
        // An action that reached the provider comes back in its own log; from then on the
        // provider's entry stands for it and Tocsin's copy is hidden. Not a note: the log
        // entry for a note need not carry its text, and the person's words must stay.
        let mut stmt = conn.prepare_cached(
            "SELECT l.id, l.incident_id, l.provider_id, l.kind, l.at, l.summary, l.agent,
                    o.state, o.last_error
             FROM log_entries l LEFT JOIN outbox o ON o.id = l.outbox_id
             WHERE l.incident_id = ?1
               AND NOT (o.state IS 'done' AND l.kind != 'annotate' AND EXISTS (
                   SELECT 1 FROM log_entries p
                   WHERE p.incident_id = l.incident_id AND p.provider_id IS NOT NULL
                     AND p.outbox_id IS NULL AND p.kind = l.kind
                     AND p.at >= strftime('%Y-%m-%dT%H:%M:%fZ', l.at, '-300 seconds')))
             ORDER BY l.at, l.id",
        )?;
        let rows = stmt.query_map([id], |r| {
            Ok(TimelineEntry {
                id: r.get(0)?,
                incident_id: r.get(1)?,
                provider_id: r.get(2)?,
                kind: r.get(3)?,
                at: parse_ts(&r.get::<_, String>(4)?).unwrap_or_default(),
                summary: r.get(5)?,
                agent: r.get(6)?,
                outbox_state: r
                    .get::<_, Option<String>>(7)?
                    .map(|s| OutboxState::parse(&s)),
                outbox_error: r.get(8)?,
            })
        })?;
        let timeline = rows.collect::<Result<_, _>>()?;
        Ok(IncidentDetail { incident, timeline })
    }

    /// Provider ids of the account's incidents that the cache holds as open.
    pub fn open_provider_ids(&self, account: Id) -> Result<Vec<String>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            // A declaration not confirmed yet has no provider id to ask about.
            "SELECT provider_id FROM incidents WHERE account_id = ?1 AND status != 'resolved'
               AND provider_id NOT LIKE 'tocsin:%'",
        )?;
        let rows = stmt.query_map([account], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Provider ids (and creation times) of open incidents with no timeline entry yet,
    /// newest first.
    pub fn open_without_timeline(
        &self,
        account: Id,
        limit: usize,
    ) -> Result<Vec<(String, DateTime<Utc>)>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT provider_id, created_at FROM incidents i
             WHERE account_id = ?1 AND status != 'resolved' AND provider_id NOT LIKE 'tocsin:%'
               AND NOT EXISTS (SELECT 1 FROM log_entries e WHERE e.incident_id = i.id)
             ORDER BY created_at DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(rusqlite::params![account, limit as i64], |r| {
            let created: String = r.get(1)?;
            Ok((r.get(0)?, parse_ts(&created).unwrap_or_default()))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Services of every account, by name.
    pub fn services(&self) -> Result<Vec<Service>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT account_id, provider_id, name FROM services ORDER BY name COLLATE NOCASE",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(Service {
                account_id: r.get(0)?,
                provider_id: r.get(1)?,
                name: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A cached directory entry of the account (`users`, `services` or `priorities`) by
    /// provider id, then by email (users), then by name ignoring case: what a person types
    /// to name someone or something.
    pub fn find_named(&self, table: Directory, account: Id, key: &str) -> Result<String> {
        let key = key.trim();
        let email = if table == Directory::Users {
            "email"
        } else {
            "NULL"
        };
        let sql = format!(
            "SELECT provider_id FROM {table} WHERE account_id = ?1
               AND (provider_id = ?2 OR {email} = ?2 COLLATE NOCASE OR name = ?2 COLLATE NOCASE)
             ORDER BY provider_id = ?2 DESC LIMIT 1",
            table = table.as_str()
        );
        let conn = self.conn();
        conn.query_row(&sql, rusqlite::params![account, key], |r| r.get(0))
            .optional()?
            .ok_or_else(|| {
                Error::NotFound(format!(
                    "no {} `{key}` in this account's cached directory",
                    table.singular()
                ))
            })
    }

    /// Open incidents nobody has acknowledged (triggered, or a status Tocsin does not know).
    pub fn count_unacknowledged(&self) -> Result<usize> {
        let count: i64 = self.reader().query_row(
            "SELECT count(*) FROM incidents WHERE status NOT IN ('acknowledged', 'resolved')",
            [],
            |r| r.get(0),
        )?;
        Ok(count as usize)
    }

    /// Who is on call right now, per escalation policy and level.
    pub fn oncall_now(&self) -> Result<Vec<OnCall>> {
        let now = ts(Utc::now());
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT o.account_id, a.name, o.escalation_policy_id,
                    COALESCE(p.name, o.escalation_policy_id), o.level, o.user_id, o.user_name,
                    o.user_email, o.schedule_name, o.start_at, o.end_at, o.user_id = a.user_id
             FROM oncalls o JOIN accounts a ON a.id = o.account_id
             LEFT JOIN escalation_policies p
                    ON p.account_id = o.account_id AND p.provider_id = o.escalation_policy_id
             WHERE (o.start_at IS NULL OR o.start_at <= ?1) AND (o.end_at IS NULL OR o.end_at > ?1)
             ORDER BY 4 COLLATE NOCASE, o.level, o.user_name",
        )?;
        let rows = stmt.query_map([now], |r| {
            Ok(OnCall {
                account_id: r.get(0)?,
                account_name: r.get(1)?,
                escalation_policy_id: r.get(2)?,
                escalation_policy_name: r.get(3)?,
                level: r.get(4)?,
                user: Person {
                    provider_id: r.get(5)?,
                    name: r.get(6)?,
                    email: r.get(7)?,
                },
                schedule_name: r.get(8)?,
                start: r.get::<_, Option<String>>(9)?.as_deref().and_then(parse_ts),
                end: r
                    .get::<_, Option<String>>(10)?
                    .as_deref()
                    .and_then(parse_ts),
                is_me: r.get::<_, Option<bool>>(11)?.unwrap_or(false),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Whether the responder is on call now in this account, or one of its incidents is
    /// open: the sync engine polls that account faster then. Per account, so an alert that
    /// fires forever in one place does not speed up every other.
    pub fn is_hot(&self, account: Id) -> Result<bool> {
        let conn = self.conn();
        Ok(conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM incidents WHERE account_id = ?1 AND status != 'resolved')
                 OR EXISTS (SELECT 1 FROM oncalls o JOIN accounts a ON a.id = o.account_id
                            WHERE o.account_id = ?1 AND o.user_id = a.user_id
                              AND (o.start_at IS NULL OR o.start_at <= ?2)
                              AND (o.end_at IS NULL OR o.end_at > ?2))",
            rusqlite::params![account, ts(Utc::now())],
            |r| r.get(0),
        )?)
    }
}

fn filter_sql(filter: &IncidentFilter) -> (String, Vec<Value>) {
    let mut clauses = vec!["1 = 1".to_string()];
    let mut args: Vec<Value> = Vec::new();

    match filter.status {
        StatusFilter::All => {}
        StatusFilter::Open => clauses.push("i.status != 'resolved'".into()),
        StatusFilter::Triggered => clauses.push("i.status = 'triggered'".into()),
        StatusFilter::Acknowledged => clauses.push("i.status = 'acknowledged'".into()),
        StatusFilter::Resolved => clauses.push("i.status = 'resolved'".into()),
    }
    if let Some(urgency) = filter.urgency {
        args.push(Value::Text(urgency.as_str().into()));
        clauses.push(format!("i.urgency = ?{}", args.len()));
    }
    if let Some(service) = filter.service_id.as_deref().filter(|s| !s.is_empty()) {
        args.push(Value::Text(service.into()));
        clauses.push(format!("i.service_id = ?{}", args.len()));
    }
    for word in filter.search.as_deref().unwrap_or("").split_whitespace() {
        clauses.push(search_clause(word, &mut args));
    }
    (clauses.join(" AND "), args)
}

/// One search word: a substring of the title or the service, or the incident's number.
///
/// TODO(search-fts): this scans every row (about 20 ms at 100,000 incidents, see
/// `benches/store.rs`). A trigram FTS5 index kept by triggers made a miss instant but cost
/// 30 µs per written row — a 10,000-incident first sync grew by a third — so it waits for a
/// cheaper way to keep it (batched or deferred indexing).
fn search_clause(word: &str, args: &mut Vec<Value>) -> String {
    let number = word.trim_start_matches('#');
    let by_number = if !number.is_empty() && number.chars().all(|c| c.is_ascii_digit()) {
        args.push(Value::Text(number.into()));
        format!(" OR CAST(i.number AS TEXT) = ?{}", args.len())
    } else {
        String::new()
    };

    // LIKE's own wildcards in what a person types are escaped so they match literally.
    let escaped = word
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    args.push(Value::Text(format!("%{escaped}%")));
    let n = args.len();
    format!("(i.title LIKE ?{n} ESCAPE '\\' OR i.service_name LIKE ?{n} ESCAPE '\\'{by_number})")
}

pub(super) fn incident_from_row(r: &Row<'_>) -> rusqlite::Result<Incident> {
    let assignees: String = r.get(14)?;
    let details: String = r.get(22)?;
    let kind: String = r.get(3)?;
    Ok(Incident {
        id: r.get(0)?,
        account_id: r.get(1)?,
        account_name: r.get(2)?,
        provider: ProviderKind::parse(&kind).unwrap_or(ProviderKind::Local),
        provider_id: r.get(4)?,
        number: r.get(5)?,
        title: r.get(6)?,
        status: IncidentStatus::parse(&r.get::<_, String>(7)?),
        raw_status: r.get(8)?,
        urgency: Urgency::parse(&r.get::<_, String>(9)?),
        priority: r.get(10)?,
        severity: r.get(11)?,
        service_id: r.get(12)?,
        service_name: r.get(13)?,
        assignees: serde_json::from_str(&assignees).unwrap_or_default(),
        escalation_policy_id: r.get(15)?,
        created_at: parse_ts(&r.get::<_, String>(16)?).unwrap_or_default(),
        acknowledged_at: r
            .get::<_, Option<String>>(17)?
            .as_deref()
            .and_then(parse_ts),
        resolved_at: r
            .get::<_, Option<String>>(18)?
            .as_deref()
            .and_then(parse_ts),
        updated_at: parse_ts(&r.get::<_, String>(19)?).unwrap_or_default(),
        html_url: r.get(20)?,
        is_drill: r.get(21)?,
        details: serde_json::from_str(&details).unwrap_or(serde_json::Value::Null),
    })
}

impl Store {
    /// The next incident number in a local workspace.
    pub fn next_local_number(&self, account: Id) -> Result<i64> {
        let conn = self.conn();
        Ok(conn.query_row(
            "SELECT COALESCE(MAX(number), 0) + 1 FROM incidents WHERE account_id = ?1",
            [account],
            |r| r.get(0),
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::local;

    fn titles(store: &Store, search: &str) -> Vec<String> {
        let filter = IncidentFilter {
            status: StatusFilter::All,
            search: Some(search.into()),
            ..Default::default()
        };
        store
            .incidents(&filter)
            .unwrap()
            .into_iter()
            .map(|i| i.title)
            .collect()
    }

    #[test]
    fn search_finds_substrings_numbers_and_takes_odd_input_literally() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let account = store.local_account().unwrap().id;
        let cases = [
            "Checkout latency high",
            "Disk 100% on db-1",
            "Quote \" in title",
            "ab",
        ];
        for (n, title) in cases.iter().enumerate() {
            store
                .apply(account, &local::declared(title, 3, n as i64 + 1))
                .unwrap();
        }
        // Renaming must keep the index in step.
        store
            .conn()
            .execute(
                "UPDATE incidents SET title = 'ab renamed' WHERE title = 'ab'",
                [],
            )
            .unwrap();

        assert_eq!(titles(&store, "LATENCY check"), ["Checkout latency high"]);
        assert_eq!(titles(&store, "100%"), ["Disk 100% on db-1"]);
        assert_eq!(titles(&store, "%"), ["Disk 100% on db-1"]);
        assert_eq!(titles(&store, "\""), ["Quote \" in title"]);
        assert_eq!(titles(&store, "e \" i"), ["Quote \" in title"]);
        assert_eq!(titles(&store, "#2"), ["Disk 100% on db-1"]);
        assert_eq!(titles(&store, "renamed"), ["ab renamed"]);
        assert!(titles(&store, "OR AND NOT * ^").is_empty());
    }

    #[test]
    fn an_open_incident_makes_only_its_own_account_hot() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let local = store.local_account().unwrap().id;
        let other = store
            .add_account(&crate::store::NewAccount {
                name: "am".into(),
                kind: crate::model::ProviderKind::Alertmanager,
                api_url: Some("http://127.0.0.1:9".into()),
                token: crate::model::TokenSource::None,
                email: None,
            })
            .unwrap()
            .id;
        assert!(!store.is_hot(local).unwrap());
        store.apply(local, &local::drill(1)).unwrap();
        assert!(store.is_hot(local).unwrap());
        assert!(!store.is_hot(other).unwrap());
    }

    #[test]
    fn incidents_come_in_the_order_a_responder_works_them() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let account = store.local_account().unwrap().id;
        let cases = [
            ("acked high", IncidentStatus::Acknowledged, Urgency::High),
            ("triggered low", IncidentStatus::Triggered, Urgency::Low),
            ("resolved high", IncidentStatus::Resolved, Urgency::High),
            ("triggered high", IncidentStatus::Triggered, Urgency::High),
            ("unknown high", IncidentStatus::Unknown, Urgency::High),
        ];
        for (n, (title, status, urgency)) in cases.iter().enumerate() {
            let mut batch = local::declared(title, 3, n as i64 + 1);
            batch.incidents[0].status = *status;
            batch.incidents[0].urgency = *urgency;
            batch.incidents[0].created_at += chrono::Duration::seconds(n as i64);
            store.apply(account, &batch).unwrap();
        }

        let filter = IncidentFilter {
            status: StatusFilter::All,
            ..Default::default()
        };
        let titles: Vec<String> = store
            .incidents(&filter)
            .unwrap()
            .into_iter()
            .map(|i| i.title)
            .collect();
        let expected = [
            "unknown high",
            "triggered high",
            "triggered low",
            "acked high",
            "resolved high",
        ];
        assert_eq!(titles, expected);
    }
}

/// The cached directories a name can be looked up in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Directory {
    Users,
    Services,
    Priorities,
}

impl Directory {
    fn as_str(self) -> &'static str {
        match self {
            Directory::Users => "users",
            Directory::Services => "services",
            Directory::Priorities => "priorities",
        }
    }

    fn singular(self) -> &'static str {
        match self {
            Directory::Users => "user",
            Directory::Services => "service",
            Directory::Priorities => "priority",
        }
    }
}
