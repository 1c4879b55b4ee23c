//! What the cache knows about the incidents a postmortem covers, gathered once when it starts:
//! the facts, the merged timeline and the follow-ups, and their Markdown for the template.
//!
//! Pure: the caller reads the incidents, cockpits and follow-ups; this only combines them, so
//! prefill is tested on incidents built in the test. Every piece of provider or person text is
//! escaped with the timeline export's `escape`, so nothing in it becomes a link, an image,
//! HTML or a heading in the postmortem.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::cockpit::timeline::escape;
use crate::cockpit::{Cockpit, FollowUp};
use crate::model::{Id, IncidentDetail};

/// One incident as the cache has it, with its cockpit when one ran.
pub struct Source {
    pub detail: IncidentDetail,
    pub cockpit: Option<Cockpit>,
    pub follow_ups: Vec<FollowUp>,
}

/// One line of the prefilled timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PrefillEntry {
    pub incident_id: Id,
    pub at: DateTime<Utc>,
    /// The timeline entry's kind with `cockpit_` dropped: `decision`, `note`, `trigger`, …
    pub kind: String,
    pub summary: String,
    pub agent: Option<String>,
}

/// Everything a postmortem starts from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Prefill {
    pub title: String,
    /// The most severe of the incidents (a cockpit's severity wins over the provider's).
    pub severity: Option<u8>,
    pub incidents: Vec<Id>,
    /// How each incident is named: `#12 Title` or the provider id.
    pub incident_labels: Vec<String>,
    pub services: Vec<String>,
    pub responders: Vec<String>,
    pub started_at: DateTime<Utc>,
    /// When the last incident resolved; none while one is still open.
    pub ended_at: Option<DateTime<Utc>>,
    /// From the first incident's start to the first acknowledgement.
    pub time_to_acknowledge_secs: Option<i64>,
    /// From the first incident's start to the last resolution.
    pub time_to_resolve_secs: Option<i64>,
    /// Every entry of every incident, oldest first.
    pub timeline: Vec<PrefillEntry>,
    pub follow_ups: Vec<FollowUp>,
}

/// Combines the incidents; `sources` must not be empty.
pub fn gather(sources: &[Source]) -> Prefill {
    let first = &sources[0].detail.incident;
    let started_at = (sources.iter())
        .map(|s| s.detail.incident.created_at)
        .min()
        .unwrap_or(first.created_at);
    let resolved: Option<Vec<_>> = (sources.iter())
        .map(|s| s.detail.incident.resolved_at)
        .collect();
    let ended_at = resolved.and_then(|r| r.into_iter().max());
    let acknowledged = (sources.iter())
        .filter_map(|s| {
            s.detail
                .incident
                .acknowledged_at
                .or(s.detail.incident.resolved_at)
        })
        .min();

    Prefill {
        title: first.title.clone(),
        severity: sources.iter().filter_map(severity).min(),
        incidents: sources.iter().map(|s| s.detail.incident.id).collect(),
        incident_labels: sources.iter().map(label).collect(),
        services: distinct(
            sources
                .iter()
                .filter_map(|s| s.detail.incident.service_name.clone()),
        ),
        responders: distinct(sources.iter().flat_map(responders)),
        started_at,
        ended_at,
        time_to_acknowledge_secs: acknowledged.map(|t| (t - started_at).num_seconds().max(0)),
        time_to_resolve_secs: ended_at.map(|t| (t - started_at).num_seconds().max(0)),
        timeline: timeline(sources),
        follow_ups: sources.iter().flat_map(|s| s.follow_ups.clone()).collect(),
    }
}

fn severity(s: &Source) -> Option<u8> {
    (s.cockpit.as_ref().map(|c| c.severity.level)).or(s.detail.incident.severity)
}

fn label(s: &Source) -> String {
    let i = &s.detail.incident;
    match i.number {
        Some(n) => format!("#{n} {}", i.title),
        None => format!("{} {}", i.provider_id, i.title),
    }
}

/// The people who took part: assignees, role holders, and whoever wrote on the timeline.
fn responders(s: &Source) -> Vec<String> {
    let mut names: Vec<String> = s
        .detail
        .incident
        .assignees
        .iter()
        .map(|p| p.name.clone())
        .collect();
    if let Some(cockpit) = &s.cockpit {
        names.push(cockpit.started_by.clone());
        names.extend(cockpit.roles.iter().map(|r| r.person.clone()));
        names.extend(cockpit.notes.iter().map(|n| n.by.clone()));
    }
    names
}

/// Each name once (ignoring case), in order of first appearance.
fn distinct(names: impl Iterator<Item = String>) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for name in names {
        let name = name.trim().to_string();
        let known = seen.iter().any(|s| s.eq_ignore_ascii_case(&name));
        if !name.is_empty() && !known {
            seen.push(name);
        }
    }
    seen
}

fn timeline(sources: &[Source]) -> Vec<PrefillEntry> {
    let mut entries: Vec<(Id, PrefillEntry)> = (sources.iter())
        .flat_map(|s| s.detail.timeline.iter())
        .map(|e| {
            let kind = e.kind.strip_prefix("cockpit_").unwrap_or(&e.kind);
            let entry = PrefillEntry {
                incident_id: e.incident_id,
                at: e.at,
                kind: kind.replace('_', " "),
                summary: e.summary.clone(),
                agent: e.agent.clone(),
            };
            (e.id, entry)
        })
        .collect();
    entries.sort_by_key(|(id, e)| (e.at, *id));
    entries.into_iter().map(|(_, e)| e).collect()
}

impl Prefill {
    /// A placeholder's value as one line of plain text, for the title.
    pub fn plain(&self, name: &str) -> String {
        let text = match name {
            "title" => self.title.clone(),
            "incidents" => self.incident_labels.join(", "),
            "services" => self.services.join(", "),
            "responders" => self.responders.join(", "),
            "impact" | "timeline" => String::new(),
            _ => self.value(name),
        };
        crate::paging::one_line(&text, super::MAX_TITLE_CHARS)
    }

    /// The Markdown for a placeholder; every piece of text in it is escaped.
    pub fn value(&self, name: &str) -> String {
        let or = |v: Option<String>, none: &str| v.unwrap_or_else(|| none.to_string());
        match name {
            "title" => escape(&self.title),
            "incidents" => list(&self.incident_labels, "none"),
            "severity" => or(self.severity.map(|s| format!("SEV-{s}")), "not set"),
            "services" => list(&self.services, "none recorded"),
            "responders" => list(&self.responders, "none recorded"),
            "started" => when(self.started_at),
            "ended" => or(self.ended_at.map(when), "not resolved yet"),
            "duration" | "time_to_resolve" => {
                or(self.time_to_resolve_secs.map(human), "not resolved yet")
            }
            "time_to_acknowledge" => {
                or(self.time_to_acknowledge_secs.map(human), "not acknowledged")
            }
            "impact" => self.impact(),
            "timeline" => self.timeline_markdown(),
            _ => String::new(),
        }
    }

    fn impact(&self) -> String {
        let duration = self.value("duration");
        format!(
            "- **Who was affected:** _to complete_\n\
             - **What they saw:** _to complete_\n\
             - **How many:** _to complete (requests, customers, regions)_\n\
             - **For how long:** {duration}\n\
             - **Data lost or at risk:** _to complete_"
        )
    }

    /// One list item per entry; with several incidents each line says which. A long timeline
    /// keeps its first and last entries (how it started, how it ended) and says how many were
    /// left out, and each summary is cut, so any incident can still get a postmortem.
    pub fn timeline_markdown(&self) -> String {
        if self.timeline.is_empty() {
            return "- _No entries in the cache._".into();
        }
        let several = self.incidents.len() > 1;
        let n = self.timeline.len();
        let half = MAX_TIMELINE_LINES / 2;
        let kept = (self.timeline.iter().enumerate())
            .filter(|(i, _)| n <= MAX_TIMELINE_LINES || *i < half || *i >= n - half);
        let mut lines: Vec<String> = kept
            .map(|(_, e)| {
                let incident = (several)
                    .then(|| self.incidents.iter().position(|i| *i == e.incident_id))
                    .flatten()
                    .and_then(|n| self.incident_labels.get(n))
                    .map(|l| format!("{} · ", escape(l.split(' ').next().unwrap_or(l))))
                    .unwrap_or_default();
                let agent = (e.agent.as_deref())
                    .map(|a| format!(" — {}", escape(a)))
                    .unwrap_or_default();
                let at = e.at.format("%Y-%m-%d %H:%M:%S");
                let summary = escape(&cut(&e.summary, MAX_SUMMARY_CHARS));
                let kind = escape(&e.kind);
                format!("- {at} · {incident}{kind} · {summary}{agent}")
            })
            .collect();
        if n > MAX_TIMELINE_LINES {
            let left_out = format!(
                "- _{} entries left out here; the incident's timeline has them all._",
                n - MAX_TIMELINE_LINES
            );
            lines.insert(half, left_out);
        }
        lines.join("\n")
    }

    /// The names of the people involved, for the language hints.
    pub fn people(&self) -> Vec<String> {
        self.responders.clone()
    }
}

/// The most timeline entries prefilled; the rest are counted in one line.
pub const MAX_TIMELINE_LINES: usize = 100;
/// The longest summary of one prefilled entry, in characters.
const MAX_SUMMARY_CHARS: usize = 500;

fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max - 1).collect();
    out.push('…');
    out
}

fn list(items: &[String], none: &str) -> String {
    if items.is_empty() {
        return none.to_string();
    }
    items
        .iter()
        .map(|i| escape(i))
        .collect::<Vec<_>>()
        .join(", ")
}

fn when(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A duration as a person says it: `45 s`, `12 min`, `2 h 5 min`, `3 d 4 h`.
pub fn human(secs: i64) -> String {
    let secs = secs.max(0);
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3_600, secs % 3_600 / 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{secs} s"),
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => format!("{d} d"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_speech() {
        assert_eq!(human(45), "45 s");
        assert_eq!(human(12 * 60 + 5), "12 min");
        assert_eq!(human(2 * 3600 + 5 * 60), "2 h 5 min");
        assert_eq!(human(3600), "1 h");
        assert_eq!(human(3 * 86_400 + 4 * 3600 + 59), "3 d 4 h");
        assert_eq!(human(-5), "0 s");
    }

    #[test]
    fn distinct_keeps_the_first_spelling() {
        let names = ["Ana", "bo", "ana", " ", "Bo"].map(String::from);
        assert_eq!(distinct(names.into_iter()), ["Ana", "bo"]);
    }

    #[test]
    fn a_long_timeline_is_cut_to_its_ends_and_fits_a_postmortem() {
        let at = Utc::now();
        let entry = |i: usize| PrefillEntry {
            incident_id: 1,
            at,
            kind: "note".into(),
            summary: format!("entry {i:03} {}", "x".repeat(4_000)),
            agent: None,
        };
        let prefill = Prefill {
            title: "Checkout down".into(),
            severity: Some(1),
            incidents: vec![1],
            incident_labels: vec!["#1 Checkout down".into()],
            services: vec![],
            responders: vec![],
            started_at: at,
            ended_at: None,
            time_to_acknowledge_secs: None,
            time_to_resolve_secs: None,
            timeline: (0..152).map(entry).collect(),
            follow_ups: vec![],
        };
        let md = prefill.timeline_markdown();
        assert_eq!(md.lines().count(), MAX_TIMELINE_LINES + 1);
        assert!(md.contains("entry 000") && md.contains("entry 049"));
        assert!(!md.contains("entry 050") && !md.contains("entry 101"));
        assert!(md.contains("entry 102") && md.contains("entry 151"));
        assert!(md.contains("52 entries left out"), "{md}");
        assert!(
            md.len() < crate::postmortem::MAX_BODY_BYTES / 4,
            "{} bytes",
            md.len()
        );
    }
}
