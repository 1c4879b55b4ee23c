//! Prometheus Alertmanager API v2: each firing alert (by fingerprint) is an open incident;
//! an alert that ends or disappears resolves it.
//!
//! Alertmanager forgets ended alerts instead of reporting them resolved, so every pass reads
//! the complete set of active alerts and the store resolves whatever is missing from it.

use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;
use serde_json::{json, Value};

use reqwest::Method;

use super::http::{HttpClient, RetryPolicy};
use super::{ingest, Batch, Delivery, IncidentRecord, LogRecord};
use crate::error::{Error, Result};
use crate::model::{Action, IncidentStatus, Urgency, Write};
use crate::store::outbox::Claimed;

/// An Alertmanager endpoint, optionally behind a proxy that wants a bearer token.
pub struct Alertmanager {
    http: HttpClient,
}

impl Alertmanager {
    pub fn new(url: &str, token: Option<&str>, retry: RetryPolicy) -> Result<Alertmanager> {
        let mut headers = HeaderMap::new();
        headers.insert("accept", "application/json".parse().expect("static header"));
        if let Some(token) = token {
            let (name, value) = HttpClient::header("authorization", &format!("Bearer {token}"))?;
            headers.insert(name, value);
        }
        Ok(Alertmanager {
            http: HttpClient::new("Alertmanager", url, headers, retry),
        })
    }

    /// Checks that the URL is an Alertmanager (its status names a version) and returns that
    /// version: a wrong URL must say so, not sync "no alerts" forever.
    pub async fn version(&self) -> Result<String> {
        let status = self.http.get_json("/api/v2/status", &[]).await?;
        match status["versionInfo"]["version"].as_str() {
            Some(version) => Ok(version.to_string()),
            None => Err(Error::Malformed {
                provider: "Alertmanager".into(),
                message: "`/api/v2/status` has no versionInfo: is this URL an Alertmanager?".into(),
            }),
        }
    }

    /// One pass: every active alert, inhibited and silenced ones included (as acknowledged).
    /// The first pass of an account (`first`) also checks the server with [`Self::version`].
    pub async fn pass(&self, first: bool) -> Result<Batch> {
        if first {
            let version = self.version().await?;
            tracing::info!(%version, "Alertmanager found");
        }
        let query = [("active".to_string(), "true".to_string())];
        let body = self.http.get_json("/api/v2/alerts", &query).await?;
        batch(&body, Utc::now())
    }
}

/// The batch of one pass from the body of `/api/v2/alerts`: every usable alert that has not
/// ended by `now` is an open incident with its trigger entry.
pub fn batch(body: &Value, now: DateTime<Utc>) -> Result<Batch> {
    // Anything but a list must fail the pass: reading it as "no alerts" would resolve
    // every open incident.
    let Value::Array(alerts) = body else {
        return Err(Error::Malformed {
            provider: "Alertmanager".into(),
            message: "`/api/v2/alerts` did not answer with a list".into(),
        });
    };

    let mut batch = Batch {
        open_set_complete: true,
        history_complete: true,
        ..Batch::default()
    };
    // An entry without a fingerprint cannot be told apart from others: skipping it is
    // better than merging unrelated alerts into one incident.
    let usable = |a: &&Value| a["fingerprint"].as_str().is_some_and(|f| !f.is_empty());
    let skipped = alerts.iter().filter(|a| !usable(a)).count();
    if skipped > 0 {
        tracing::warn!(skipped, "alerts without a fingerprint skipped");
    }
    for alert in alerts.iter().filter(usable).filter(|a| !has_ended(a, now)) {
        let record = incident(alert);
        batch.log_entries.push(LogRecord {
            incident_provider_id: record.provider_id.clone(),
            provider_id: record
                .my_assignment
                .as_ref()
                .map(|key| format!("trigger:{key}")),
            kind: "trigger".into(),
            at: record.created_at,
            summary: format!("Alert firing: {}", record.title),
            agent: Some("Alertmanager".into()),
        });
        batch.incidents.push(record);
    }
    Ok(batch)
}

/// How long an acknowledgement silences an alert: long enough to work on it, short enough
/// that a forgotten silence does not hide the alert for good.
pub const ACK_SILENCE: chrono::Duration = chrono::Duration::hours(4);

impl Alertmanager {
    /// Sends one outbox entry. Acknowledging (or snoozing) silences the alert's exact label
    /// set; resolving expires the silence the acknowledgement made — Alertmanager resolves an
    /// alert itself when it stops firing. The entry's key is written into the silence's
    /// comment, so a resend after a crash finds the first silence instead of adding another.
    pub async fn deliver(&self, entry: &Claimed, labels: &Value, author: &str) -> Result<Delivery> {
        let Write::Act { action } = &entry.write else {
            return Err(Error::Invalid(
                "Alertmanager cannot open incidents; alerts come from Prometheus".into(),
            ));
        };
        match action {
            Action::Acknowledge => self.silence(entry, labels, author, ACK_SILENCE).await,
            Action::Snooze { minutes } => {
                let length = chrono::Duration::minutes(i64::from(*minutes));
                self.silence(entry, labels, author, length).await
            }
            Action::Resolve => self.unsilence(entry, labels).await,
            other => Err(Error::Invalid(format!(
                "Alertmanager cannot {}",
                other.verb()
            ))),
        }
    }

    async fn silence(
        &self,
        entry: &Claimed,
        labels: &Value,
        author: &str,
        length: chrono::Duration,
    ) -> Result<Delivery> {
        if entry.resend {
            if let Some(id) = self.find_silence(|s| comment_has(s, &entry.key)).await? {
                return Ok(done(Some(id)));
            }
        }
        let matchers = matchers(labels)?;
        let now = Utc::now();
        let body = json!({
            "matchers": matchers,
            "startsAt": now.to_rfc3339(),
            "endsAt": (now + length).to_rfc3339(),
            "createdBy": author,
            "comment": format!("Acknowledged in Tocsin by {author} [{}{}]", KEY_TAG, entry.key),
        });
        let answer = self
            .http
            .send_once(
                Method::POST,
                "/api/v2/silences",
                Some(&body),
                HeaderMap::new(),
            )
            .await?;
        let id = answer["silenceID"].as_str().map(str::to_string);
        Ok(done(id))
    }

    /// Expires every silence Tocsin made on exactly this alert's labels (an acknowledgement
    /// and a snooze may each have made one), and the ones earlier entries recorded.
    async fn unsilence(&self, entry: &Claimed, labels: &Value) -> Result<Delivery> {
        let wanted = matchers(labels)?;
        let mut ids = self
            .find_silences(|s| comment_has_tag(s) && same_matchers(&s["matchers"], &wanted))
            .await?;
        for known in entry.earlier_results.iter().chain(&entry.earlier_result) {
            if !ids.contains(known) {
                ids.push(known.clone());
            }
        }
        if ids.is_empty() {
            return Ok(Delivery::Conflict {
                message: "not sent: Tocsin found no silence of its own on this alert to lift"
                    .into(),
                incident: None,
            });
        }
        for id in &ids {
            self.expire(id).await?;
        }
        Ok(done(ids.first().cloned()))
    }

    /// Expires one silence; one already expired or gone is fine.
    async fn expire(&self, id: &str) -> Result<()> {
        let path = format!("/api/v2/silence/{id}");
        let expired = match self.http.get_json(&path, &[]).await {
            Ok(s) => s["status"]["state"].as_str() == Some("expired"),
            Err(Error::Provider { status: 404, .. }) => true,
            Err(e) => return Err(e),
        };
        if !expired {
            self.http
                .send_once(Method::DELETE, &path, None, HeaderMap::new())
                .await?;
        }
        Ok(())
    }

    /// The ids of every active or pending silence that `pick` accepts.
    async fn find_silences(&self, pick: impl Fn(&Value) -> bool) -> Result<Vec<String>> {
        let body = self.http.get_json("/api/v2/silences", &[]).await?;
        let Value::Array(silences) = body else {
            return Err(Error::Malformed {
                provider: "Alertmanager".into(),
                message: "`/api/v2/silences` is not a list".into(),
            });
        };
        let live = silences.iter().filter(|s| {
            let state = s["status"]["state"].as_str().unwrap_or_default();
            state != "expired" && pick(s)
        });
        Ok(live
            .filter_map(|s| s["id"].as_str().map(str::to_string))
            .collect())
    }

    /// The id of an active or pending silence that `pick` accepts.
    async fn find_silence(&self, pick: impl Fn(&Value) -> bool) -> Result<Option<String>> {
        let body = self.http.get_json("/api/v2/silences", &[]).await?;
        let Value::Array(silences) = body else {
            return Err(Error::Malformed {
                provider: "Alertmanager".into(),
                message: "`/api/v2/silences` is not a list".into(),
            });
        };
        let found = silences.iter().find(|s| {
            let state = s["status"]["state"].as_str().unwrap_or_default();
            state != "expired" && pick(s)
        });
        Ok(found.and_then(|s| s["id"].as_str().map(str::to_string)))
    }
}

/// Marks silences Tocsin made, in their comment.
const KEY_TAG: &str = "tocsin:";

fn comment_has(silence: &Value, key: &str) -> bool {
    let comment = silence["comment"].as_str().unwrap_or_default();
    comment.contains(&format!("{KEY_TAG}{key}"))
}

/// Whether two matcher lists match the same alerts, whatever their order.
fn same_matchers(a: &Value, b: &Value) -> bool {
    let key = |m: &Value| {
        (
            m["name"].as_str().unwrap_or_default().to_string(),
            m["value"].as_str().unwrap_or_default().to_string(),
            m["isRegex"].as_bool().unwrap_or(false),
            m["isEqual"].as_bool().unwrap_or(true),
        )
    };
    let set = |v: &Value| {
        let mut keys: Vec<_> = v
            .as_array()
            .map(|l| l.iter().map(key).collect())
            .unwrap_or_default();
        keys.sort();
        keys
    };
    set(a) == set(b)
}

fn comment_has_tag(silence: &Value) -> bool {
    let comment = silence["comment"].as_str().unwrap_or_default();
    comment.contains(&format!("[{KEY_TAG}"))
}

/// Equality matchers for every label, sorted by name, so the silence covers this alert and
/// only alerts with exactly its labels.
fn matchers(labels: &Value) -> Result<Value> {
    let Some(map) = labels.as_object().filter(|m| !m.is_empty()) else {
        return Err(Error::Invalid(
            "the alert has no labels to silence it by; sync it again".into(),
        ));
    };
    let mut names: Vec<&String> = map.keys().collect();
    names.sort();
    let list: Vec<Value> = names
        .into_iter()
        .map(|name| matcher(name, map[name].as_str().unwrap_or_default()))
        .collect();
    Ok(Value::Array(list))
}

/// A matcher for one cached label. The cache holds labels as ingest cleaned them (see
/// `provider::ingest`), so a value that may have changed there is matched by a pattern that
/// also accepts what it was: a replacement character for any one char, a line break for any
/// line break, a trailing `…` for whatever was cut. Any other value is matched exactly.
fn matcher(name: &str, value: &str) -> Value {
    let altered = value.contains(['\u{fffd}', '\n']) || value.ends_with(ingest::ELLIPSIS);
    if !altered {
        return json!({"name": name, "value": value, "isRegex": false, "isEqual": true});
    }
    let (body, cut) = match value.strip_suffix(ingest::ELLIPSIS) {
        Some(body) => (body, true),
        None => (value, false),
    };
    let mut pattern = String::with_capacity(body.len() * 2);
    for c in body.chars() {
        match c {
            '\u{fffd}' => pattern.push_str("(?s:.)"),
            '\n' => pattern.push_str("(?:\r\n|\r|\n)"),
            // What Go's `regexp.QuoteMeta` escapes: Alertmanager matches with Go's RE2.
            '\\' | '.' | '+' | '*' | '?' | '(' | ')' | '|' | '[' | ']' | '{' | '}' | '^' | '$' => {
                pattern.push('\\');
                pattern.push(c);
            }
            c => pattern.push(c),
        }
    }
    if cut {
        pattern.push_str("(?s:.*)");
    }
    json!({"name": name, "value": pattern, "isRegex": true, "isEqual": true})
}

fn done(result: Option<String>) -> Delivery {
    Delivery::Done {
        result,
        incident: None,
    }
}

fn time(v: &Value) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(v.as_str()?)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn has_ended(alert: &Value, now: DateTime<Utc>) -> bool {
    time(&alert["endsAt"]).is_some_and(|end| end <= now)
}

/// Maps the conventional `severity` label onto urgency; anything unrecognised pages.
pub fn urgency(severity: Option<&str>) -> Urgency {
    match severity.map(str::to_ascii_lowercase).as_deref() {
        Some("warning" | "warn" | "info" | "informational" | "low" | "none") => Urgency::Low,
        _ => Urgency::High,
    }
}

/// Normalises one alert. The fingerprint is the incident id; `startsAt` keys the page, so an
/// alert that fires again after ending pages again.
pub fn incident(alert: &Value) -> IncidentRecord {
    let labels = &alert["labels"];
    let annotations = &alert["annotations"];
    let fingerprint = alert["fingerprint"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let started = time(&alert["startsAt"]);
    let starts = started.unwrap_or_else(Utc::now);
    // Without a start time the page key must still be stable, or every pass would page.
    let start_key = started.map_or_else(|| "no-start".to_string(), |t| t.to_rfc3339());
    let name = labels["alertname"].as_str().unwrap_or("alert");
    let title = annotations["summary"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| match labels["instance"].as_str() {
            Some(instance) => format!("{name} on {instance}"),
            None => name.to_string(),
        });
    let state = alert["status"]["state"].as_str().unwrap_or("active");
    // Silenced or inhibited alerts are being handled by someone: shown as acknowledged.
    let status = if state == "suppressed" {
        IncidentStatus::Acknowledged
    } else {
        IncidentStatus::Triggered
    };
    let service = labels["service"]
        .as_str()
        .or(labels["job"].as_str())
        .map(str::to_string);

    IncidentRecord {
        provider_id: fingerprint.clone(),
        number: None,
        title,
        status,
        raw_status: None,
        urgency: urgency(labels["severity"].as_str()),
        priority: None,
        severity: None,
        service_id: service.clone(),
        service_name: service,
        escalation_policy_id: None,
        assignees: Vec::new(),
        my_assignment: Some(format!("firing:{fingerprint}:{start_key}")),
        created_at: starts,
        // Alertmanager does not say when a silence began; the alert's last update is closest.
        acknowledged_at: (status == IncidentStatus::Acknowledged)
            .then(|| time(&alert["updatedAt"]).unwrap_or(starts)),
        resolved_at: None,
        updated_at: time(&alert["updatedAt"]).unwrap_or(starts),
        html_url: alert["generatorURL"].as_str().map(str::to_string),
        is_drill: false,
        details: json!({ "labels": labels, "annotations": annotations, "state": state }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_maps_to_urgency() {
        assert_eq!(urgency(Some("critical")), Urgency::High);
        assert_eq!(urgency(Some("Warning")), Urgency::Low);
        assert_eq!(urgency(None), Urgency::High);
        assert_eq!(urgency(Some("something-new")), Urgency::High);
    }

    #[test]
    fn a_label_that_ingest_may_have_changed_is_matched_by_a_pattern() {
        let exact = matcher("instance", "db-1.example:9100");
        assert_eq!(exact["isRegex"], false);
        assert_eq!(exact["value"], "db-1.example:9100");

        let hostile = ingest::text("\u{1b}[31m(a|b)\u{202e}\r\nx", 100);
        let m = matcher("note", &hostile);
        assert_eq!(m["isRegex"], true);
        assert_eq!(m["value"], "(?s:.)\\[31m\\(a\\|b\\)(?s:.)(?:\r\n|\r|\n)x");

        let cut = ingest::text(&"v".repeat(10), 4);
        assert_eq!(matcher("v", &cut)["value"], "vvv(?s:.*)");
    }

    #[test]
    fn alert_becomes_incident_with_labels_kept() {
        let a = json!({
            "fingerprint": "abc", "startsAt": "2026-01-01T00:00:00Z",
            "endsAt": "2099-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:01Z",
            "labels": {"alertname": "HighLatency", "instance": "web-1", "severity": "warning"},
            "annotations": {}, "status": {"state": "suppressed"},
        });
        let r = incident(&a);
        assert_eq!(r.title, "HighLatency on web-1");
        assert_eq!(r.status, IncidentStatus::Acknowledged);
        assert_eq!(r.urgency, Urgency::Low);
        assert_eq!(r.details["labels"]["instance"], "web-1");
    }
}
