//! Human and JSON output of the CLI. JSON is one document per command, shaped as documented
//! in the README; human output strips control characters so provider text cannot drive the
//! terminal.

use chrono::{DateTime, Local, Utc};
use serde_json::json;

use tocsin::escalation::{EscalationOutlook, ResolvedTarget};
use tocsin::model::{
    Account, AccountHealth, Incident, IncidentDetail, OnCall, OutboxEntry, OutboxState, Write,
};

/// Replaces control characters (escape sequences included) and bidirectional overrides, which
/// can make text read differently from what it is, with a visible placeholder.
pub fn clean(s: &str) -> String {
    let hostile = |c: char| c.is_control() || tocsin::paging::is_bidi_control(c);
    s.chars()
        .map(|c| if hostile(c) { '\u{fffd}' } else { c })
        .collect()
}

fn when(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.with_timezone(&Local).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| "-".into())
}

/// Where the incident is in its escalation policy, and where it goes next.
fn escalation(o: &EscalationOutlook) {
    out!(
        "  escalation  {}, level {} of {} since {} ({})",
        clean(&o.policy_name),
        o.level,
        o.levels,
        when(Some(o.since)),
        targets(&o.current)
    );
    match (&o.next, &o.note) {
        (Some(next), _) => {
            let minutes = (next.at - Utc::now()).num_minutes().max(0);
            let again = if next.is_loop {
                " (the policy starts over)"
            } else {
                ""
            };
            out!(
                "  next        if nobody acknowledges by {} (in {minutes} min), level {}{again}: {}",
                when(Some(next.at)),
                next.level,
                targets(&next.targets)
            );
        }
        (None, Some(note)) => out!("  next        {}", clean(note)),
        (None, None) => {}
    }
}

fn targets(targets: &[ResolvedTarget]) -> String {
    let each: Vec<String> = targets
        .iter()
        .map(|t| match (t.kind.as_str(), t.people.is_empty()) {
            ("schedule", true) => format!("{} (nobody known on call)", clean(&t.name)),
            ("schedule", false) => format!("{}: {}", clean(&t.name), clean(&t.people.join(", "))),
            _ => clean(&t.name),
        })
        .collect();
    if each.is_empty() {
        "no targets".into()
    } else {
        each.join("; ")
    }
}

fn emit(value: serde_json::Value) {
    out!(
        "{}",
        serde_json::to_string_pretty(&value).expect("JSON values serialise")
    );
}

pub fn incidents(items: &[Incident], as_json: bool) {
    if as_json {
        return emit(json!({ "incidents": items }));
    }
    if items.is_empty() {
        out!("No incidents.");
        return;
    }
    for i in items {
        let number = i
            .number
            .map(|n| format!("#{n}"))
            .unwrap_or_else(|| "-".into());
        let drill = if i.is_drill { " [DRILL]" } else { "" };
        out!(
            "{:>6}  {:<12} {:<4} {:<8} {}{}  ({}, {})",
            i.id,
            clean(i.raw_status.as_deref().unwrap_or(i.status.as_str())),
            i.urgency.as_str(),
            number,
            clean(&i.title),
            drill,
            clean(i.service_name.as_deref().unwrap_or("no service")),
            when(Some(i.created_at)),
        );
    }
}

pub fn incident(detail: &IncidentDetail, outlook: Option<&EscalationOutlook>, as_json: bool) {
    if as_json {
        let mut value = serde_json::to_value(detail).expect("serialisable");
        value["escalation"] = serde_json::to_value(outlook).expect("serialisable");
        return emit(value);
    }
    let i = &detail.incident;
    let assignees: Vec<String> = i.assignees.iter().map(|p| clean(&p.name)).collect();
    out!(
        "{}{}",
        if i.is_drill { "[DRILL] " } else { "" },
        clean(&i.title)
    );
    out!(
        "  status      {}",
        clean(i.raw_status.as_deref().unwrap_or(i.status.as_str()))
    );
    out!("  urgency     {}", i.urgency.as_str());
    if let Some(severity) = i.severity {
        out!("  severity    SEV-{severity}");
    }
    out!(
        "  service     {}",
        clean(i.service_name.as_deref().unwrap_or("-"))
    );
    out!(
        "  assigned    {}",
        if assignees.is_empty() {
            "-".into()
        } else {
            assignees.join(", ")
        }
    );
    out!("  account     {}", clean(&i.account_name));
    out!("  created     {}", when(Some(i.created_at)));
    out!("  acknowledged {}", when(i.acknowledged_at));
    out!("  resolved    {}", when(i.resolved_at));
    if let Some(url) = &i.html_url {
        out!("  link        {}", clean(url));
    }
    if let Some(outlook) = outlook {
        escalation(outlook);
    }
    out!("Timeline:");
    for e in &detail.timeline {
        let agent = e
            .agent
            .as_deref()
            .map(|a| format!(" — {}", clean(a)))
            .unwrap_or_default();
        let outbox = match (e.outbox_state, &e.outbox_error) {
            (Some(OutboxState::Pending | OutboxState::Sending), _) => " (not sent yet)".into(),
            (Some(OutboxState::Conflict | OutboxState::Failed), error) => {
                format!(" ({})", clean(error.as_deref().unwrap_or("not sent")))
            }
            _ => String::new(),
        };
        out!(
            "  {}  {:<12} {}{}{}",
            when(Some(e.at)),
            clean(&e.kind),
            clean(&e.summary),
            agent,
            outbox
        );
    }
}

pub fn oncall(items: &[OnCall], as_json: bool) {
    if as_json {
        return emit(json!({ "oncall": items }));
    }
    if items.is_empty() {
        out!("Nobody is on call in the cache (sync first?).");
        return;
    }
    for o in items {
        let until = o
            .end
            .map(|e| format!("until {}", when(Some(e))))
            .unwrap_or("always".into());
        let me = if o.is_me { " (you)" } else { "" };
        out!(
            "{}  level {}  {}{}  {}",
            clean(&o.escalation_policy_name),
            o.level,
            clean(&o.user.name),
            me,
            until
        );
    }
}

pub fn health(items: &[AccountHealth], as_json: bool) {
    if as_json {
        return emit(json!({ "accounts": items }));
    }
    if items.is_empty() {
        out!("No accounts. Add one with `tocsin account add`.");
        return;
    }
    for h in items {
        let state = format!("{:?}", h.state).to_lowercase();
        out!("{} ({}): {state}", clean(&h.name), h.kind.as_str());
        out!("  last success  {}", when(h.last_success_at));
        if let Some(error) = &h.last_error {
            out!(
                "  last error    {} [{}]",
                clean(error),
                h.last_error_code.as_deref().unwrap_or("")
            );
        }
        out!("  next attempt  {}", when(h.next_attempt_at));
    }
}

pub fn accounts(items: &[Account], as_json: bool) {
    if as_json {
        return emit(json!({ "accounts": items }));
    }
    for a in items {
        let url = a.api_url.as_deref().unwrap_or("-");
        out!(
            "{:>3}  {:<24} {:<13} {}",
            a.id,
            clean(&a.name),
            a.kind.as_str(),
            clean(url)
        );
    }
}

pub fn outbox(items: &[OutboxEntry], as_json: bool) {
    if as_json {
        return emit(json!({ "outbox": items }));
    }
    if items.is_empty() {
        out!("Nothing waiting to be sent, and nothing sent in the last day.");
        return;
    }
    for e in items {
        let what = match &e.write {
            Write::Act { action } => action.verb().to_string(),
            Write::Declare { declaration } => format!("declare SEV-{}", declaration.severity),
            Write::Statuspage { draft, .. } => format!("status: {}", draft.phase.as_str()),
        };
        let title = e.incident_title.as_deref().map(clean).unwrap_or_default();
        out!(
            "{:>4}  {:<9} {:<16} {:<12} {}",
            e.id,
            e.state.as_str(),
            clean(&e.account_name),
            what,
            title
        );
        if let Some(error) = &e.last_error {
            let code = e.last_error_code.as_deref().unwrap_or("");
            out!("      {} [{code}]", clean(error));
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn clean_neutralises_escapes_and_bidi_overrides() {
        assert_eq!(
            super::clean("a\u{1b}[2Jb\u{202e}c\0d"),
            "a\u{fffd}[2Jb\u{fffd}c\u{fffd}d"
        );
    }
}
