//! The paging policy's commands: show and change it per account, snooze a page's repeats.

use std::process::ExitCode;

use clap::Subcommand;
use serde_json::{json, Value};

use super::print::clean;
use tocsin::model::Account;
use tocsin::paging_policy::PagingPolicy;
use tocsin::{Error, Result, Tocsin};

#[derive(Subcommand)]
pub enum PagingCommand {
    /// Show the paging policy of each account (or the one named).
    Show {
        #[arg(long)]
        account: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Change the paging policy of each account (or the one named). Start from a JSON file
    /// (`--file`, "-" for standard input) and/or set fields as KEY=VALUE, the value read as
    /// JSON when it parses and as text otherwise, e.g. `notify_low=false`,
    /// `sound_high=alarm-clock-elapsed`, `repeat.enabled=true`, `repeat.every_secs=60`,
    /// `quiet_hours='{"start":"22:00","end":"07:00","time_zone":"Europe/Paris"}'`,
    /// `quiet_hours=null`. High urgency always notifies at once, whatever is set.
    Set {
        #[arg(long)]
        account: Option<String>,
        #[arg(long)]
        file: Option<std::path::PathBuf>,
        /// KEY=VALUE pairs; KEY may name a nested field with dots.
        fields: Vec<String>,
    },
    /// Stop repeating an incident's page for MINUTES (local only; the provider is not told).
    Snooze { incident: String, minutes: i64 },
}

pub fn run(tocsin: &Tocsin, cmd: PagingCommand) -> Result<ExitCode> {
    match cmd {
        PagingCommand::Show { account, json } => show(tocsin, account.as_deref(), json),
        PagingCommand::Set {
            account,
            file,
            fields,
        } => set(tocsin, account.as_deref(), file.as_deref(), &fields),
        PagingCommand::Snooze { incident, minutes } => {
            let id = tocsin.store().find_incident(&incident)?;
            let until = tocsin.snooze_page(id, minutes)?;
            let local = until.with_timezone(&chrono::Local).format("%H:%M");
            out!("Page {id} will not repeat until {local}");
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn accounts(tocsin: &Tocsin, name: Option<&str>) -> Result<Vec<Account>> {
    match name {
        Some(name) => Ok(vec![tocsin.store().account_by_name(name)?]),
        None => tocsin.accounts(),
    }
}

fn show(tocsin: &Tocsin, account: Option<&str>, as_json: bool) -> Result<ExitCode> {
    let mut rows = Vec::new();
    for a in accounts(tocsin, account)? {
        let policy = tocsin.paging_policy(a.id)?;
        rows.push((a, policy));
    }
    if as_json {
        let list: Vec<Value> = rows
            .iter()
            .map(|(a, p)| json!({"account_id": a.id, "account": a.name, "policy": p}))
            .collect();
        out!(
            "{}",
            serde_json::to_string_pretty(&list).unwrap_or_default()
        );
        return Ok(ExitCode::SUCCESS);
    }
    for (a, p) in &rows {
        out!("{}", clean(&a.name));
        for line in describe(p) {
            out!("  {line}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The policy in words, one setting a line.
fn describe(p: &PagingPolicy) -> Vec<String> {
    let yes = |b: bool| if b { "yes" } else { "no" };
    let services = match &p.services {
        None => "all".to_string(),
        Some(list) => list.iter().map(|s| clean(s)).collect::<Vec<_>>().join(", "),
    };
    // Checked on save, but a hand-edited database is still provider-free text to print.
    let quiet = match &p.quiet_hours {
        None => "off".to_string(),
        Some(q) if q.days.is_empty() => format!(
            "{}–{} {}, every day",
            clean(&q.start),
            clean(&q.end),
            clean(&q.time_zone)
        ),
        Some(q) => format!(
            "{}–{} {}, days {:?} (Monday = 1)",
            q.start, q.end, q.time_zone, q.days
        ),
    };
    let sound = |s: &Option<String>| s.as_deref().map_or_else(|| "none".into(), clean);
    let repeat = match (&p.repeat, p.repeat.max) {
        (r, _) if !r.enabled => "off".to_string(),
        (r, Some(max)) => format!(
            "every {} s until acknowledged, at most {max} times",
            r.every_secs
        ),
        (r, None) => format!("every {} s until acknowledged", r.every_secs),
    };
    let alarm = match p.self_alarm_after_secs {
        0 => "off".to_string(),
        s => format!("after {s} s of failed sync while I am on call"),
    };
    vec![
        "high urgency: always notifies at once (quiet hours and filters never hold it)".into(),
        format!("low urgency notifies: {}", yes(p.notify_low)),
        format!("low urgency services: {services}"),
        format!("low urgency only while on call: {}", yes(p.only_on_call)),
        format!("quiet hours (low urgency waits): {quiet}"),
        format!(
            "sound: high {}, low {}",
            sound(&p.sound_high),
            sound(&p.sound_low)
        ),
        format!("repeat: {repeat}"),
        format!(
            "low urgency escalated / reassigned to me notifies: {} / {}",
            yes(p.notify_on_escalation),
            yes(p.notify_on_reassignment)
        ),
        format!("self-alarm: {alarm}"),
    ]
}

fn set(
    tocsin: &Tocsin,
    account: Option<&str>,
    file: Option<&std::path::Path>,
    fields: &[String],
) -> Result<ExitCode> {
    let base = match file {
        Some(path) => Some(read_policy(path)?),
        None => None,
    };
    let targets = accounts(tocsin, account)?;
    // Every account's new policy is built and checked before any is saved.
    let mut changed = Vec::new();
    for a in targets {
        let start = match &base {
            Some(p) => p.clone(),
            None => tocsin.paging_policy(a.id)?,
        };
        changed.push((a, with_fields(&start, fields)?));
    }
    for (a, policy) in &changed {
        tocsin.set_paging_policy(a.id, policy)?;
        out!("Paging policy of {} saved", clean(&a.name));
    }
    Ok(ExitCode::SUCCESS)
}

fn read_policy(path: &std::path::Path) -> Result<PagingPolicy> {
    let text = if path == std::path::Path::new("-") {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)?;
        s
    } else {
        std::fs::read_to_string(path)?
    };
    serde_json::from_str(&text)
        .map_err(|e| Error::Invalid(format!("`{}` is not a paging policy: {e}", path.display())))
}

/// The policy with each KEY=VALUE applied; an unknown key or a wrong type is an error.
fn with_fields(policy: &PagingPolicy, fields: &[String]) -> Result<PagingPolicy> {
    let mut value = serde_json::to_value(policy).map_err(|e| Error::Invalid(e.to_string()))?;
    for field in fields {
        let (key, raw) = field
            .split_once('=')
            .ok_or_else(|| Error::Invalid(format!("`{field}` is not KEY=VALUE")))?;
        let parsed = serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.into()));
        let mut slot = &mut value;
        for part in key.split('.') {
            if !slot.is_object() {
                *slot = json!({});
            }
            slot = slot
                .as_object_mut()
                .map(|o| o.entry(part.to_string()).or_insert(Value::Null))
                .ok_or_else(|| Error::Invalid(format!("cannot set `{key}`")))?;
        }
        *slot = parsed;
    }
    serde_json::from_value(value).map_err(|e| Error::Invalid(format!("paging policy: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_set_nested_values_and_typos_are_refused() {
        let p = PagingPolicy::default();
        let fields = [
            "notify_low=false".to_string(),
            "repeat.enabled=true".into(),
            "repeat.every_secs=30".into(),
            "sound_high=alarm-clock-elapsed".into(),
        ];
        let q = with_fields(&p, &fields).unwrap();
        assert!(!q.notify_low && q.repeat.enabled);
        assert_eq!(q.repeat.every_secs, 30);
        assert_eq!(q.sound_high.as_deref(), Some("alarm-clock-elapsed"));
        assert!(with_fields(&p, &["notify_lwo=false".into()]).is_err());
        assert!(with_fields(&p, &["repeat.every_secs=soon".into()]).is_err());
        assert!(with_fields(&p, &["no equals sign".into()]).is_err());
    }
}
