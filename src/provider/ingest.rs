//! The ingest chokepoint: every provider text field is bounded and cleaned before it is stored.
//!
//! Provider text is written by whoever can fire an alert or edit a PagerDuty service, so it may
//! carry markup, terminal escapes, direction overrides or megabytes of text. The store calls
//! this module on everything a provider sent (a sync [`Batch`], timeline entries fetched on
//! demand, the incident an outbox write answered with), so no caller can forget it:
//!
//! - text is cut at a char boundary to a named limit, with a visible `…` at the end;
//! - C0 and C1 controls and the direction-changing characters become U+FFFD (a multi-line field
//!   keeps `\n` and `\t`; a one-line field turns them into spaces);
//! - markup is left alone: it is data, and every reader shows it as text;
//! - no record is dropped because of its text. A record's own id is never rewritten, since it
//!   keys the cache; a record whose id is absurd (too long, or holding a control character) is
//!   refused with a [`Error::Malformed`] rather than stored. Ids that point at another record
//!   (a service, a policy, an assignee) and page keys are cleaned like one-line text instead,
//!   which leaves every real id as it is: an Alertmanager `service` label is such a pointer,
//!   and a hostile label must never cost an alert.

use serde_json::Value;

use super::pagerduty_schedule::ScheduleDetail;
use super::{
    Batch, IncidentRecord, LogRecord, Named, OnCallRecord, PolicyRecord, RuleTarget, ScheduleRecord,
};
use crate::error::Error;
use crate::model::{Person, ProviderKind};
use crate::paging::is_bidi_control;
use crate::schedule::ScheduleUser;

/// One-line text: titles, names, emails, statuses. A thousand characters is several times the
/// longest real incident title (PagerDuty cuts titles at 1,024) and still one glance wide.
pub const MAX_LINE_CHARS: usize = 1_000;

/// Multi-line text: notes, log entry summaries, label and annotation values. 64 KiB holds any
/// runbook excerpt or stack trace a person will read in an incident; a megabyte field is a
/// flood, not a note, and would make every list and detail view slow.
pub const MAX_TEXT_CHARS: usize = 64 * 1024;

/// Everything in one incident's `details` together: many 64 KiB annotations would still be a
/// flood, so later strings get what is left of this budget.
pub const MAX_DETAILS_CHARS: usize = 256 * 1024;

/// `details` nests no deeper than this; anything deeper is replaced by `…`. Alertmanager
/// labels and annotations are flat, and PagerDuty's keys hold at most a small object.
pub const MAX_DETAILS_DEPTH: usize = 16;

/// Links (`html_url`, Alertmanager's generator URL). A Prometheus expression makes long URLs,
/// so the bound is generous; a longer one is dropped, since a cut link would lead elsewhere.
pub const MAX_URL_CHARS: usize = 8 * 1024;

/// Provider ids. Real ones are a few dozen bytes (PagerDuty's `P1A2B3C`, a 16-hex-digit
/// fingerprint); a kilobyte leaves room for any provider while refusing a flood.
pub const MAX_ID_BYTES: usize = 1_024;

/// What is shown where text was cut.
pub const ELLIPSIS: char = '…';

/// A batch with every text field cleaned, and the records refused for an absurd id.
#[derive(Debug)]
pub struct Ingested {
    pub batch: Batch,
    /// One `malformed` error per refused record; the rest of the batch is kept.
    pub refused: Vec<Error>,
}

/// How a provider is named in the errors of its refused records.
pub fn provider_name(kind: ProviderKind) -> &'static str {
    match kind {
        ProviderKind::Pagerduty => "PagerDuty",
        ProviderKind::Alertmanager => "Alertmanager",
        ProviderKind::Local => "The local workspace",
    }
}

/// Cleans every text field of a batch and refuses the records whose ids are absurd.
pub fn batch(batch: Batch, provider: &str) -> Ingested {
    let mut refused = Vec::new();
    let mut keep = |what: &str, ids: &[(&str, &str, usize)]| match check_ids(ids) {
        Ok(()) => true,
        Err(reason) => {
            refused.push(malformed(provider, what, &reason));
            false
        }
    };

    let me = batch
        .me
        .filter(|p| {
            keep(
                "the responder",
                &[("user id", p.provider_id.as_str(), MAX_ID_BYTES)],
            )
        })
        .map(person);
    let users = retain(batch.users, |p| keep("a user", &person_ids(p)), person);
    let services = retain(batch.services, |n| keep("a service", &named_ids(n)), named);
    let priorities = retain(
        batch.priorities,
        |n| keep("a priority", &named_ids(n)),
        named,
    );
    let policies = retain(
        batch.policies,
        |p| {
            keep(
                "an escalation policy",
                &[("policy id", p.provider_id.as_str(), MAX_ID_BYTES)],
            )
        },
        policy,
    );
    let schedules = retain(
        batch.schedules,
        |s| {
            keep(
                "a schedule",
                &[("schedule id", s.provider_id.as_str(), MAX_ID_BYTES)],
            )
        },
        schedule,
    );
    // An on-call row has no id of its own, only pointers: it is never refused.
    let oncalls = batch
        .oncalls
        .map(|rows| rows.into_iter().map(oncall).collect());
    let incidents = retain(
        batch.incidents,
        |i| {
            keep(
                "an incident",
                &[("incident id", i.provider_id.as_str(), MAX_ID_BYTES)],
            )
        },
        incident_text,
    );
    let log_entries = retain(
        batch.log_entries,
        |e| keep("a log entry", &log_ids(e)),
        log_text,
    );
    // A refused id is as good as unknown: nothing with it was stored, so nothing to close.
    let gone = retain(
        batch.gone,
        |id| {
            keep(
                "a deleted incident",
                &[("incident id", id.as_str(), MAX_ID_BYTES)],
            )
        },
        |id| id,
    );
    let schedule_details = retain(
        batch.schedule_details,
        |d| {
            keep(
                "a schedule definition",
                &[("schedule id", d.def.id.as_str(), MAX_ID_BYTES)],
            )
        },
        detail,
    );

    Ingested {
        batch: Batch {
            me,
            users,
            services,
            priorities,
            policies,
            schedules,
            oncalls,
            incidents,
            gone,
            log_entries,
            schedule_details,
            ..batch
        },
        refused,
    }
}

/// Timeline entries fetched outside a pass, cleaned like a batch's.
pub fn log_entries(entries: &[LogRecord], provider: &str) -> (Vec<LogRecord>, Vec<Error>) {
    let ingested = batch(
        Batch {
            log_entries: entries.to_vec(),
            ..Batch::default()
        },
        provider,
    );
    (ingested.batch.log_entries, ingested.refused)
}

/// One incident (the provider's answer to a write), cleaned, or refused for an absurd id.
pub fn incident(record: &IncidentRecord, provider: &str) -> Result<IncidentRecord, Error> {
    check_id("incident id", &record.provider_id, MAX_ID_BYTES)
        .map_err(|r| malformed(provider, "an incident", &r))?;
    Ok(incident_text(record.clone()))
}

/// One-line text: controls and line breaks become spaces or U+FFFD, cut to `max` chars.
pub fn line(text: &str, max: usize) -> String {
    clean(text, max, false)
}

/// Multi-line text: `\n` and `\t` are kept (a `\r` becomes a line break), cut to `max` chars.
pub fn text(text: &str, max: usize) -> String {
    clean(text, max, true)
}

/// Cuts to at most `max` chars, the last of them `…` when anything was cut, and replaces
/// what could disguise or reorder the text around it.
fn clean(input: &str, max: usize, multi_line: bool) -> String {
    let cut = input.char_indices().nth(max).is_some();
    let keep = if cut { max.saturating_sub(1) } else { max };
    let mut out = String::with_capacity(input.len().min(keep * 4));
    let mut chars = input.chars().take(keep).peekable();
    while let Some(c) = chars.next() {
        let c = match c {
            // A CRLF pair is one line break; a lone CR is one too.
            '\r' if multi_line && chars.peek() == Some(&'\n') => continue,
            '\r' if multi_line => '\n',
            '\n' | '\t' if multi_line => c,
            '\n' | '\r' | '\t' => ' ',
            c if c.is_control() || is_bidi_control(c) => '\u{fffd}',
            c => c,
        };
        out.push(c);
    }
    if cut {
        out.push(ELLIPSIS);
    }
    out
}

/// Why an id cannot key the cache, if it cannot.
fn check_id(field: &str, id: &str, max_bytes: usize) -> Result<(), String> {
    if id.len() > max_bytes {
        return Err(format!(
            "its {field} is {} bytes long (at most {max_bytes})",
            id.len()
        ));
    }
    if id.chars().any(|c| c.is_control() || is_bidi_control(c)) {
        return Err(format!(
            "its {field} `{}` holds control characters",
            line(id, 64)
        ));
    }
    Ok(())
}

fn check_ids(ids: &[(&str, &str, usize)]) -> Result<(), String> {
    ids.iter()
        .try_for_each(|(field, id, max)| check_id(field, id, *max))
}

fn malformed(provider: &str, what: &str, reason: &str) -> Error {
    Error::Malformed {
        provider: provider.to_string(),
        message: format!("{what} was refused: {reason}"),
    }
}

/// Keeps the items `keep` accepts, each passed through `clean`.
fn retain<T, U>(
    items: Vec<T>,
    mut keep: impl FnMut(&T) -> bool,
    clean: impl FnMut(T) -> U,
) -> Vec<U> {
    items.into_iter().filter(|i| keep(i)).map(clean).collect()
}

fn opt_line(text: Option<String>) -> Option<String> {
    text.map(|t| line(&t, MAX_LINE_CHARS))
}

/// An id that points at another record, or a page key: cleaned like a line, which leaves any
/// real id as it is.
fn pointer(id: &str) -> String {
    line(id, MAX_LINE_CHARS)
}

fn opt_pointer(id: Option<String>) -> Option<String> {
    id.map(|id| pointer(&id))
}

fn person_ids(p: &Person) -> [(&'static str, &str, usize); 1] {
    [("user id", p.provider_id.as_str(), MAX_ID_BYTES)]
}

/// A person; their id was checked when it is the record's own (a user), else it points.
fn person(p: Person) -> Person {
    Person {
        provider_id: pointer(&p.provider_id),
        name: line(&p.name, MAX_LINE_CHARS),
        email: opt_line(p.email),
    }
}

fn named_ids(n: &Named) -> [(&'static str, &str, usize); 1] {
    [("id", n.provider_id.as_str(), MAX_ID_BYTES)]
}

fn named(n: Named) -> Named {
    Named {
        name: line(&n.name, MAX_LINE_CHARS),
        provider_id: n.provider_id,
    }
}

fn policy(mut p: PolicyRecord) -> PolicyRecord {
    p.name = line(&p.name, MAX_LINE_CHARS);
    for rule in &mut p.rules {
        for t in &mut rule.targets {
            *t = RuleTarget {
                id: pointer(&t.id),
                kind: line(&t.kind, MAX_LINE_CHARS),
                name: line(&t.name, MAX_LINE_CHARS),
            };
        }
    }
    p
}

fn schedule(s: ScheduleRecord) -> ScheduleRecord {
    ScheduleRecord {
        name: line(&s.name, MAX_LINE_CHARS),
        time_zone: opt_line(s.time_zone),
        provider_id: s.provider_id,
    }
}

fn oncall(o: OnCallRecord) -> OnCallRecord {
    OnCallRecord {
        escalation_policy_id: pointer(&o.escalation_policy_id),
        user: person(o.user),
        schedule_id: opt_pointer(o.schedule_id),
        schedule_name: opt_line(o.schedule_name),
        ..o
    }
}

fn incident_text(i: IncidentRecord) -> IncidentRecord {
    let mut budget = MAX_DETAILS_CHARS;
    IncidentRecord {
        title: line(&i.title, MAX_LINE_CHARS),
        raw_status: opt_line(i.raw_status),
        priority: opt_line(i.priority),
        service_id: opt_pointer(i.service_id),
        service_name: opt_line(i.service_name),
        escalation_policy_id: opt_pointer(i.escalation_policy_id),
        assignees: i.assignees.into_iter().map(person).collect(),
        my_assignment: opt_pointer(i.my_assignment),
        html_url: i
            .html_url
            .filter(|u| u.chars().count() <= MAX_URL_CHARS)
            .map(|u| line(&u, MAX_URL_CHARS)),
        details: details(i.details, 0, &mut budget),
        ..i
    }
}

/// Cleans `details` in document order: keys as one-line text, strings as multi-line text,
/// all within what is left of the incident's budget; once it is spent, what follows is one
/// `…`. Nesting is cut at [`MAX_DETAILS_DEPTH`].
fn details(value: Value, depth: usize, budget: &mut usize) -> Value {
    let cut = || Value::String(ELLIPSIS.to_string());
    match value {
        Value::String(s) if *budget == 0 && !s.is_empty() => cut(),
        Value::String(s) => Value::String(spend(&s, MAX_TEXT_CHARS, true, budget)),
        Value::Array(_) | Value::Object(_) if depth >= MAX_DETAILS_DEPTH => cut(),
        Value::Array(items) => {
            let mut out = Vec::new();
            for v in items {
                if *budget == 0 {
                    out.push(cut());
                    break;
                }
                out.push(details(v, depth + 1, budget));
            }
            Value::Array(out)
        }
        Value::Object(map) => {
            let mut out = serde_json::Map::new();
            for (key, v) in map {
                if *budget == 0 {
                    out.insert(ELLIPSIS.to_string(), cut());
                    break;
                }
                let mut key = spend(&key, MAX_LINE_CHARS, false, budget);
                // Two keys that clean to the same text must not overwrite each other.
                while out.contains_key(&key) {
                    key.push('\u{fffd}');
                }
                let v = details(v, depth + 1, budget);
                out.insert(key, v);
            }
            Value::Object(out)
        }
        other => other,
    }
}

/// Cleans `s` within both its field's limit and the budget left, and spends the budget.
fn spend(s: &str, max: usize, multi_line: bool, budget: &mut usize) -> String {
    let cleaned = clean(s, max.min(*budget), multi_line);
    *budget = budget.saturating_sub(cleaned.chars().count().max(1));
    cleaned
}

fn log_ids(e: &LogRecord) -> Vec<(&'static str, &str, usize)> {
    let mut ids = vec![("incident id", e.incident_provider_id.as_str(), MAX_ID_BYTES)];
    if let Some(id) = &e.provider_id {
        ids.push(("log entry id", id, MAX_ID_BYTES));
    }
    ids
}

fn log_text(e: LogRecord) -> LogRecord {
    LogRecord {
        kind: line(&e.kind, MAX_LINE_CHARS),
        summary: text(&e.summary, MAX_TEXT_CHARS),
        agent: opt_line(e.agent),
        ..e
    }
}

fn detail(mut d: ScheduleDetail) -> ScheduleDetail {
    let def = &mut d.def;
    def.name = line(&def.name, MAX_LINE_CHARS);
    def.time_zone = line(&def.time_zone, MAX_LINE_CHARS);
    for layer in &mut def.layers {
        layer.id = pointer(&layer.id);
        layer.name = line(&layer.name, MAX_LINE_CHARS);
        layer.users.iter_mut().for_each(schedule_user);
        for r in &mut layer.restrictions {
            r.start_time_of_day = line(&r.start_time_of_day, MAX_LINE_CHARS);
        }
    }
    for o in &mut def.overrides {
        o.id = pointer(&o.id);
        schedule_user(&mut o.user);
    }
    d.provider_final
        .iter_mut()
        .for_each(|e| schedule_user(&mut e.user));
    d
}

fn schedule_user(u: &mut ScheduleUser) {
    u.id = pointer(&u.id);
    u.name = line(&u.name, MAX_LINE_CHARS);
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use serde_json::json;

    use crate::model::{IncidentStatus, Urgency};

    fn record(id: &str, title: &str) -> IncidentRecord {
        IncidentRecord {
            provider_id: id.into(),
            number: Some(1),
            title: title.into(),
            status: IncidentStatus::Triggered,
            raw_status: None,
            urgency: Urgency::High,
            priority: None,
            severity: None,
            service_id: Some("PSVC".into()),
            service_name: Some("db".into()),
            escalation_policy_id: None,
            assignees: Vec::new(),
            my_assignment: None,
            created_at: Utc::now(),
            acknowledged_at: None,
            resolved_at: None,
            updated_at: Utc::now(),
            html_url: None,
            is_drill: false,
            details: json!({}),
        }
    }

    fn entry(summary: &str) -> LogRecord {
        LogRecord {
            incident_provider_id: "P1".into(),
            provider_id: Some("L1".into()),
            kind: "annotate".into(),
            at: Utc::now(),
            summary: summary.into(),
            agent: None,
        }
    }

    fn ingest(b: Batch) -> Ingested {
        batch(b, "PagerDuty")
    }

    /// Every string in `v`, object keys included.
    fn strings(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => out.push(s.clone()),
            Value::Array(items) => items.iter().for_each(|i| strings(i, out)),
            Value::Object(map) => {
                for (k, v) in map {
                    out.push(k.clone());
                    strings(v, out);
                }
            }
            _ => {}
        }
    }

    #[test]
    fn markup_is_kept_as_text() {
        let html = "<img src=x onerror=alert(1)><script>alert(2)</script> & \"quotes\"";
        assert_eq!(line(html, MAX_LINE_CHARS), html);
        assert_eq!(text(html, MAX_TEXT_CHARS), html);
    }

    #[test]
    fn controls_and_direction_overrides_become_replacement_characters() {
        let hostile =
            "\u{1b}[31mred\u{1b}[0m \u{202e}gnp.exe\u{2066}x\u{2069} \u{0}\u{7f}\u{85}\u{9b}";
        let cleaned = line(hostile, MAX_LINE_CHARS);
        assert!(!cleaned
            .chars()
            .any(|c| c.is_control() || is_bidi_control(c)));
        let r = '\u{fffd}';
        assert_eq!(
            cleaned,
            format!("{r}[31mred{r}[0m {r}gnp.exe{r}x{r} {r}{r}{r}{r}")
        );
    }

    #[test]
    fn a_one_line_field_turns_line_breaks_and_tabs_into_spaces() {
        assert_eq!(line("a\nb\r\nc\td", 100), "a b  c d");
    }

    #[test]
    fn a_multi_line_field_keeps_line_breaks_and_tabs() {
        assert_eq!(text("a\nb\r\nc\rd\te\u{7}", 100), "a\nb\nc\nd\te\u{fffd}");
    }

    #[test]
    fn long_text_is_cut_on_a_char_boundary_with_an_ellipsis() {
        // Multi-byte chars throughout, so a byte-based cut would split one.
        let long = "é☃".repeat(2_000);
        let cut = line(&long, MAX_LINE_CHARS);
        assert_eq!(cut.chars().count(), MAX_LINE_CHARS);
        assert!(cut.ends_with(ELLIPSIS));
        assert!(long.starts_with(cut.trim_end_matches(ELLIPSIS)));

        let exact = "x".repeat(MAX_LINE_CHARS);
        assert_eq!(
            line(&exact, MAX_LINE_CHARS),
            exact,
            "text at the limit is not cut"
        );

        let megabyte = "y".repeat(1 << 20);
        let cut = text(&megabyte, MAX_TEXT_CHARS);
        assert_eq!(cut.chars().count(), MAX_TEXT_CHARS);
        assert!(cut.ends_with(ELLIPSIS));
    }

    #[test]
    fn every_text_field_of_a_batch_is_cleaned_and_ids_are_kept() {
        let bad = "\u{202e}<b>x</b>\u{1b}[1m";
        let long = "z".repeat(3 * MAX_LINE_CHARS);
        let p = |id: &str| Person {
            provider_id: id.into(),
            name: bad.into(),
            email: Some(long.clone()),
        };
        let mut incident = record("P1", bad);
        incident.service_name = Some(long.clone());
        incident.priority = Some(bad.into());
        incident.raw_status = Some(bad.into());
        incident.assignees = vec![p("PU1")];
        incident.html_url = Some("https://pd.example/incidents/P1\u{202e}".into());
        incident.details = json!({"incident_key": bad, "k\u{202e}\u{1b}": [bad, {"deep": long}]});
        let named = Named {
            provider_id: "PS1".into(),
            name: bad.into(),
        };
        let out = ingest(Batch {
            me: Some(p("PME")),
            users: vec![p("PU1")],
            services: vec![named.clone()],
            priorities: vec![named],
            policies: vec![PolicyRecord {
                provider_id: "PEP".into(),
                name: bad.into(),
                num_loops: 0,
                rules: vec![super::super::RuleRecord {
                    delay_minutes: 5,
                    targets: vec![RuleTarget {
                        id: "PU1".into(),
                        kind: "user".into(),
                        name: bad.into(),
                    }],
                }],
            }],
            schedules: vec![ScheduleRecord {
                provider_id: "PSCH".into(),
                name: bad.into(),
                time_zone: Some(bad.into()),
            }],
            oncalls: Some(vec![OnCallRecord {
                escalation_policy_id: "PEP".into(),
                level: 1,
                user: p("PU1"),
                schedule_id: Some("PSCH".into()),
                schedule_name: Some(bad.into()),
                start: None,
                end: None,
            }]),
            incidents: vec![incident],
            log_entries: vec![LogRecord {
                agent: Some(bad.into()),
                ..entry(&format!("{bad}\n{long}"))
            }],
            cursor: Some("c1".into()),
            ..Batch::default()
        });
        assert!(out.refused.is_empty(), "{:?}", out.refused);

        // Every string the batch holds (keys of `details` too) is free of controls and
        // overrides, and none is longer than its limit.
        let b = &out.batch;
        let everything = json!([
            b.me,
            b.users,
            b.services,
            b.priorities,
            b.policies,
            b.schedules,
            b.oncalls,
            b.log_entries,
            b.incidents
        ]);
        let mut all = Vec::new();
        strings(&everything, &mut all);
        for s in &all {
            let hostile = |c: char| (c.is_control() && c != '\n') || is_bidi_control(c);
            assert!(!s.chars().any(hostile), "{s:?}");
            assert!(s.chars().count() <= MAX_TEXT_CHARS, "{s:?}");
        }
        let email = b.users[0].email.as_deref().unwrap();
        assert_eq!(
            email.chars().count(),
            MAX_LINE_CHARS,
            "one-line text is cut"
        );
        assert!(
            all.iter().any(|s| s.contains("<b>x</b>")),
            "markup stays text"
        );

        let i = &b.incidents[0];
        assert_eq!(i.provider_id, "P1");
        assert_eq!(i.title, "\u{fffd}<b>x</b>\u{fffd}[1m");
        assert_eq!(i.assignees[0].provider_id, "PU1");
        assert_eq!(
            i.service_name.as_ref().unwrap().chars().count(),
            MAX_LINE_CHARS
        );
        assert_eq!(b.oncalls.as_ref().unwrap()[0].user.provider_id, "PU1");
        assert_eq!(b.cursor.as_deref(), Some("c1"));
        let summary = &b.log_entries[0].summary;
        assert!(summary.contains('\n'), "a note keeps its line breaks");
    }

    #[test]
    fn an_absurd_id_refuses_only_its_record() {
        let long_id = "P".repeat(MAX_ID_BYTES + 1);
        // Ids that point elsewhere are cleaned, never a reason to refuse: an Alertmanager
        // `service` label is one, and anyone who can fire an alert writes it.
        let mut bad_assignee = record("P3", "assigned to a flood");
        bad_assignee.service_id = Some("db \u{202e}x".into());
        bad_assignee.assignees = vec![Person {
            provider_id: "PU\u{1b}[2J".into(),
            name: "x".into(),
            email: None,
        }];
        let out = ingest(Batch {
            incidents: vec![
                record("P1", "fine"),
                record(&long_id, "too long"),
                record("P\n2", "control"),
                bad_assignee,
            ],
            log_entries: vec![
                entry("kept"),
                LogRecord {
                    incident_provider_id: long_id.clone(),
                    ..entry("refused")
                },
            ],
            gone: vec!["P9".into(), long_id.clone()],
            ..Batch::default()
        });
        let ids: Vec<_> = out.batch.incidents.iter().map(|i| &i.provider_id).collect();
        assert_eq!(ids, ["P1", "P3"]);
        assert_eq!(
            out.batch.incidents[1].assignees[0].provider_id,
            "PU\u{fffd}[2J"
        );
        let service = out.batch.incidents[1].service_id.as_deref();
        assert_eq!(service, Some("db \u{fffd}x"));
        assert_eq!(out.batch.log_entries.len(), 1);
        assert_eq!(out.batch.gone, ["P9"]);
        assert_eq!(out.refused.len(), 4);
        assert!(out.refused.iter().all(|e| e.code() == "malformed"));
        let first = out.refused[0].to_string();
        assert!(first.contains("1025 bytes"), "{first}");
        assert!(
            first.len() < 200,
            "the message does not quote the flood: {first}"
        );
        assert!(out.refused[1].to_string().contains("control characters"));
    }

    #[test]
    fn an_id_at_the_limit_is_kept() {
        let id = "P".repeat(MAX_ID_BYTES);
        let out = ingest(Batch {
            incidents: vec![record(&id, "t")],
            ..Batch::default()
        });
        assert!(out.refused.is_empty());
        assert_eq!(out.batch.incidents[0].provider_id, id);
    }

    #[test]
    fn details_are_bounded_in_size() {
        let annotations: serde_json::Map<_, _> = (0..20)
            .map(|n| (format!("a{n:02}"), json!("w".repeat(MAX_TEXT_CHARS * 2))))
            .collect();
        let mut i = record("P1", "t");
        i.details = json!({ "annotations": annotations, "state": "active" });
        let cleaned = incident(&i, "Alertmanager").unwrap();

        let text = serde_json::to_string(&cleaned.details).unwrap();
        assert!(
            text.len() <= MAX_DETAILS_CHARS + 1024,
            "{} bytes",
            text.len()
        );
        let first = cleaned.details["annotations"]["a00"].as_str().unwrap();
        assert_eq!(first.chars().count(), MAX_TEXT_CHARS);
        assert!(first.ends_with(ELLIPSIS));
        let kept = cleaned.details["annotations"].as_object().unwrap();
        assert!(
            kept.len() < 20,
            "the budget ran out before the last annotation"
        );
        assert_eq!(kept.get("…"), Some(&json!("…")), "the cut is visible");
    }

    #[test]
    fn details_are_bounded_in_depth() {
        let mut deep = json!("bottom");
        for _ in 0..100 {
            deep = json!({ "a": [deep] });
        }
        let mut i = record("P1", "t");
        i.details = json!({ "deep": deep });
        let cleaned = incident(&i, "PagerDuty").unwrap();

        let mut depth = 0;
        let mut v = &cleaned.details["deep"];
        while let Some(inner) = v.get("a").and_then(|a| a.get(0)) {
            v = inner;
            depth += 1;
        }
        assert!(depth > 0 && depth * 2 < MAX_DETAILS_DEPTH, "{depth}");
        assert_eq!(v["a"], json!("…"), "nesting is cut where the limit is");
    }

    #[test]
    fn keys_that_clean_alike_both_survive() {
        let mut i = record("P1", "t");
        i.details = json!({ "a\u{202e}": "1", "a\u{202d}": "2" });
        let cleaned = incident(&i, "Alertmanager").unwrap();
        assert_eq!(cleaned.details.as_object().unwrap().len(), 2);
    }

    #[test]
    fn an_overlong_link_is_dropped_rather_than_cut() {
        let mut i = record("P1", "t");
        i.html_url = Some(format!(
            "https://x.example/?q={}",
            "a".repeat(MAX_URL_CHARS)
        ));
        assert_eq!(incident(&i, "PagerDuty").unwrap().html_url, None);
    }
}
