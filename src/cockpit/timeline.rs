//! An incident's timeline exported as Markdown or JSON, with provider text kept as data.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::model::{IncidentDetail, TimelineEntry};

/// What `timeline_export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum TimelineFormat {
    Markdown,
    Json,
}

/// The JSON export: the incident, the cockpit's severity if any, and every entry in order.
#[derive(Serialize)]
struct Export<'a> {
    incident: &'a crate::model::Incident,
    severity: Option<u8>,
    exported_at: DateTime<Utc>,
    timeline: &'a [TimelineEntry],
}

/// Renders the incident's timeline, oldest entry first. `severity` is the cockpit's when one
/// runs, which wins over the provider's.
pub fn render(detail: &IncidentDetail, severity: Option<u8>, format: TimelineFormat) -> String {
    let severity = severity.or(detail.incident.severity);
    let mut entries = detail.timeline.clone();
    entries.sort_by_key(|e| (e.at, e.id));
    match format {
        TimelineFormat::Json => {
            let export = Export {
                incident: &detail.incident,
                severity,
                exported_at: Utc::now(),
                timeline: &entries,
            };
            serde_json::to_string_pretty(&export).expect("the export serialises")
        }
        TimelineFormat::Markdown => markdown(detail, severity, &entries),
    }
}

fn markdown(detail: &IncidentDetail, severity: Option<u8>, entries: &[TimelineEntry]) -> String {
    let i = &detail.incident;
    let number = i.number.map(|n| format!("#{n} ")).unwrap_or_default();
    let mut out = format!("# Timeline: {}{}\n\n", number, escape(&i.title));

    let severity = severity
        .map(|s| format!("SEV-{s}"))
        .unwrap_or_else(|| "not set".into());
    out.push_str(&format!("- Severity: {severity}\n"));
    out.push_str(&format!("- Status: {}\n", i.status.as_str()));
    out.push_str(&format!("- Account: {}\n", escape(&i.account_name)));
    out.push_str(&format!("- Created: {}\n\n", when(i.created_at)));

    out.push_str("## Entries\n\n");
    for e in entries {
        let agent = e
            .agent
            .as_deref()
            .map(|a| format!(" — {}", escape(a)))
            .unwrap_or_default();
        out.push_str(&format!(
            "- {} · {} · {}{}\n",
            when(e.at),
            escape(&e.kind),
            escape(&e.summary),
            agent
        ));
    }
    out
}

fn when(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Text from a provider or a person, made inert in Markdown: every character that can start
/// emphasis, a link, an image, HTML, an entity, a code span or a table cell is backslash-escaped
/// (CommonMark allows that for any ASCII punctuation); line breaks become spaces so nothing
/// can start a heading or a list; control characters and bidirectional overrides are replaced.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\r' | '\n' | '\t' => out.push(' '),
            c if c.is_control() || crate::paging::is_bidi_control(c) => out.push('\u{fffd}'),
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '<' | '>' | '#' | '!'
            | '|' | '~' | '&' | '$' | '^' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_makes_markdown_inert() {
        let hostile = "**b** [x](javascript:alert(1)) <img src=x>\n# h\u{1b}[2J\u{202e}";
        let inert = r"\*\*b\*\* \[x\]\(javascript:alert\(1\)\) \<img src=x\> \# h�\[2J�";
        assert_eq!(escape(hostile), inert);
        assert_eq!(escape("a\\b `c` | d &amp;"), "a\\\\b \\`c\\` \\| d \\&amp;");
    }
}
