//! The schedule commands: list cached schedules, render, explain and cross-check them offline.

use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::Subcommand;
use serde_json::json;

use super::print::clean;
use tocsin::schedule::{
    CrossCheck, Explanation, LayerOrder, LayerOutcome, OnCallAt, OnCallReason, Rendering,
    ScheduleEntry, ScheduleUser, Shift,
};
use tocsin::{Error, Result, Tocsin};

/// `tocsin schedule …`
#[derive(Subcommand)]
pub enum ScheduleCommand {
    /// Cached schedules and when their definitions were read.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Render a cached schedule locally: each layer, the overrides and the final schedule.
    Render {
        id: String,
        /// RFC 3339 time or `now`.
        #[arg(long, value_parser = parse_time)]
        since: DateTime<Utc>,
        /// RFC 3339 time or `now`.
        #[arg(long, value_parser = parse_time)]
        until: DateTime<Utc>,
        #[arg(long)]
        json: bool,
    },
    /// Who is on call at a moment, and why.
    Explain {
        id: String,
        /// RFC 3339 time or `now`.
        #[arg(long, value_parser = parse_time, default_value = "now")]
        at: DateTime<Utc>,
        #[arg(long)]
        json: bool,
    },
    /// My upcoming shifts on every cached schedule; `--ics FILE` writes them as a calendar.
    Shifts {
        /// How many days ahead, from now (up to 400).
        #[arg(long, default_value_t = 28)]
        days: i64,
        /// Write an iCalendar (.ics) file here instead of printing.
        #[arg(long)]
        ics: Option<std::path::PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Compare the local rendering with the provider's final schedule over the window read.
    Check {
        id: String,
        #[arg(long)]
        json: bool,
    },
}

/// `now` or an RFC 3339 time.
pub fn parse_time(s: &str) -> std::result::Result<DateTime<Utc>, String> {
    if s.eq_ignore_ascii_case("now") {
        return Ok(Utc::now());
    }
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("`{s}` is neither `now` nor an RFC 3339 time ({e})"))
}

pub fn run(tocsin: &Tocsin, cmd: ScheduleCommand) -> Result<ExitCode> {
    match cmd {
        ScheduleCommand::List { json } => list(tocsin, json),
        ScheduleCommand::Render {
            id,
            since,
            until,
            json,
        } => {
            let r = tocsin.render_schedule(&id, since, until)?;
            print_rendering(&r, json);
            Ok(ExitCode::SUCCESS)
        }
        ScheduleCommand::Shifts { days, ics, json } => shifts(tocsin, days, ics, json),
        ScheduleCommand::Explain { id, at, json } => {
            let e = tocsin.explain_schedule(&id, at)?;
            print_explanation(&e, json);
            Ok(ExitCode::SUCCESS)
        }
        ScheduleCommand::Check { id, json } => {
            let c = tocsin.check_schedule(&id)?;
            print_check(&c, json);
            // Scripts can tell a disagreement from agreement by the exit status.
            let agrees = c.disagreements.is_empty() && c.render_error.is_none();
            Ok(if agrees {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}

fn list(tocsin: &Tocsin, as_json: bool) -> Result<ExitCode> {
    let items = tocsin.schedules()?;
    if as_json {
        out!("{}", pretty(json!({ "schedules": items }))?);
        return Ok(ExitCode::SUCCESS);
    }
    if items.is_empty() {
        out!("No schedules in the cache (sync a PagerDuty account first?).");
    }
    for s in items {
        let read = s.read_at.map_or("definition not read".into(), |t| {
            format!("read {}", t.format("%Y-%m-%d %H:%M UTC"))
        });
        let zone = s.time_zone.as_deref().unwrap_or("?");
        out!(
            "{}  {}  {}  {}",
            clean(&s.id),
            clean(&s.name),
            clean(zone),
            read
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn pretty(value: serde_json::Value) -> Result<String> {
    serde_json::to_string_pretty(&value).map_err(|e| Error::Invalid(e.to_string()))
}

fn span(e: &ScheduleEntry) -> String {
    format!(
        "{} → {}  {}",
        e.start.format("%Y-%m-%d %H:%M"),
        e.end.format("%Y-%m-%d %H:%M"),
        person(&e.user)
    )
}

fn person(u: &ScheduleUser) -> String {
    match u.name.is_empty() {
        true => clean(&u.id),
        false => format!("{} ({})", clean(&u.name), clean(&u.id)),
    }
}

fn print_rendering(r: &Rendering, as_json: bool) {
    if as_json {
        out!(
            "{}",
            serde_json::to_string_pretty(r).expect("a rendering serialises")
        );
        return;
    }
    out!(
        "{} in {} (times in UTC)",
        clean(&r.schedule_id),
        clean(&r.time_zone)
    );
    out!("Final schedule:");
    for e in &r.final_entries {
        out!("  {}", span(e));
    }
    for layer in r.layers.iter().rev() {
        out!("Layer {} {}:", layer.position, clean(&layer.name));
        for e in &layer.entries {
            out!("  {}", span(e));
        }
    }
    if !r.overrides.is_empty() {
        out!("Overrides:");
        for e in &r.overrides {
            out!("  {}", span(e));
        }
    }
}

fn shift_line(s: &Shift) -> String {
    let mut line = format!(
        "layer {} {}: turn {} ({} → {}), rotation position {}",
        s.layer_position,
        clean(&s.layer_name),
        s.turn,
        s.turn_start.format("%Y-%m-%d %H:%M"),
        s.turn_end.format("%Y-%m-%d %H:%M"),
        s.user_position
    );
    if let Some(w) = &s.restriction {
        line += &format!(
            ", inside restriction {} ({} → {})",
            w.index,
            w.start.format("%Y-%m-%d %H:%M"),
            w.end.format("%Y-%m-%d %H:%M")
        );
    }
    line
}

fn print_explanation(e: &Explanation, as_json: bool) {
    if as_json {
        out!(
            "{}",
            serde_json::to_string_pretty(e).expect("an explanation serialises")
        );
        return;
    }
    let who = e.on_call.as_ref().map_or("nobody".into(), person);
    out!(
        "{} at {} ({}): {}",
        clean(&e.schedule_id),
        e.at.to_rfc3339(),
        clean(&e.local_time),
        who
    );
    match &e.reason {
        OnCallReason::Override {
            start,
            end,
            replaced,
            ..
        } => {
            out!(
                "  override {} → {}",
                start.format("%Y-%m-%d %H:%M"),
                end.format("%Y-%m-%d %H:%M")
            );
            if let Some(s) = replaced {
                out!("  replacing {} from {}", person(&s.user), shift_line(s));
            }
        }
        OnCallReason::Layer { shift, .. } => out!("  from {}", shift_line(shift)),
        OnCallReason::Nobody => out!("  no override and no layer covers this moment"),
    }
    for v in &e.layers {
        let what = match &v.outcome {
            LayerOutcome::OnCall { shift } => person(&shift.user),
            LayerOutcome::NotStarted { starts } => {
                format!("nobody (starts {})", starts.to_rfc3339())
            }
            LayerOutcome::Ended { ended } => format!("nobody (ended {})", ended.to_rfc3339()),
            LayerOutcome::OutsideRestrictions { turn_user } => {
                format!(
                    "nobody (outside its restrictions; {}'s turn)",
                    person(turn_user)
                )
            }
        };
        out!("  layer {} {}: {}", v.position, clean(&v.name), what);
    }
}

fn print_check(c: &CrossCheck, as_json: bool) {
    if as_json {
        out!(
            "{}",
            serde_json::to_string_pretty(c).expect("a check serialises")
        );
        return;
    }
    let window = format!("{} → {}", c.since.to_rfc3339(), c.until.to_rfc3339());
    if let Some(e) = &c.render_error {
        out!(
            "{}: cannot render locally over {window}: {}",
            clean(&c.schedule_id),
            clean(e)
        );
        return;
    }
    if c.disagreements.is_empty() {
        out!(
            "{}: the local rendering agrees with the provider over {window}",
            clean(&c.schedule_id)
        );
        return;
    }
    out!(
        "{}: {} disagreement(s) over {window}:",
        clean(&c.schedule_id),
        c.disagreements.len()
    );
    let name = |u: &Option<ScheduleUser>| u.as_ref().map_or("nobody".into(), person);
    for d in &c.disagreements {
        out!(
            "  {} → {}  local says {}, provider says {}",
            d.start.to_rfc3339(),
            d.end.to_rfc3339(),
            name(&d.local),
            name(&d.provider)
        );
    }
    match c.layer_order {
        LayerOrder::Reversed => out!(
            "The provider listed the layers in reverse: rendered in the reverse order, they agree."
        ),
        LayerOrder::Neither => out!("Neither layer order reproduces the provider's schedule."),
        LayerOrder::AsListed => {}
    }
}

/// `tocsin oncall --at TIME`: one line per policy level and target.
pub fn print_oncall_at(items: &[OnCallAt], as_json: bool) {
    if as_json {
        out!(
            "{}",
            serde_json::to_string_pretty(&json!({ "oncall": items })).expect("serialises")
        );
        return;
    }
    if items.is_empty() {
        out!("No escalation policies in the cache (sync first?).");
    }
    for o in items {
        let who = o.user.as_ref().map_or("nobody".into(), person);
        let via = o
            .schedule_name
            .as_deref()
            .map_or(String::new(), |s| format!("  via schedule {}", clean(s)));
        let note = o
            .note
            .as_deref()
            .map_or(String::new(), |n| format!("  ({})", clean(n)));
        out!(
            "{}  level {} (escalates after {} min)  {}{}{}",
            clean(&o.escalation_policy_name),
            o.level,
            o.delay_minutes,
            who,
            via,
            note
        );
    }
}

fn shifts(
    tocsin: &Tocsin,
    days: i64,
    ics: Option<std::path::PathBuf>,
    json: bool,
) -> Result<ExitCode> {
    let since = Utc::now();
    let until = since + chrono::Duration::days(days.max(0));
    if let Some(path) = ics {
        let text = tocsin.my_shifts_ics(since, until)?;
        // Written whole or not at all: a calendar app may be watching the file.
        tocsin::files::write_atomically(&path, &text)?;
        println!("wrote {}", path.display());
        return Ok(ExitCode::SUCCESS);
    }

    let shifts = tocsin.my_shifts(since, until)?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({ "shifts": shifts })).expect("JSON")
        );
        return Ok(ExitCode::SUCCESS);
    }
    if shifts.is_empty() {
        println!("No shifts in the next {days} days on the cached schedules.");
    }
    for s in &shifts {
        let local = |t: DateTime<Utc>| t.with_timezone(&chrono::Local).format("%a %Y-%m-%d %H:%M");
        println!(
            "{} → {}  {}",
            local(s.start),
            local(s.end),
            clean(&s.schedule_name)
        );
    }
    Ok(ExitCode::SUCCESS)
}
