//! Postmortem commands (`tocsin postmortem …`) and the MTTA/MTTR report (`tocsin stats`).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use clap::{Args, Subcommand};

use super::print::clean;
use tocsin::model::Id;
use tocsin::postmortem::export::Format;
use tocsin::postmortem::prefill::human;
use tocsin::postmortem::{ActionItemInput, ActionItemType, PostmortemStatus, Stats};
use tocsin::{Error, Result, Tocsin};

/// The postmortem commands, flattened into `tocsin`'s own.
#[derive(Subcommand)]
pub enum PostmortemCommand {
    /// Blameless postmortems: start, edit, review, export, publish.
    #[command(subcommand)]
    Postmortem(Pm),
    /// MTTA and MTTR (mean and median), and incident counts by service, severity and ISO week.
    Stats {
        /// Only incidents created since a date (YYYY-MM-DD) or for a span (`30d`, `12w`).
        #[arg(long)]
        since: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum Pm {
    /// Start a postmortem for one or more incidents (local id, provider id or #number),
    /// prefilled from the cache.
    New {
        #[arg(required = true)]
        incidents: Vec<String>,
        /// A template's name (default: `standard` for SEV-1/2, `short` for SEV-3/4).
        #[arg(long)]
        template: Option<String>,
    },
    /// Every postmortem, most recently edited first.
    List {
        #[arg(long)]
        json: bool,
    },
    /// One postmortem: its facts, text and action items.
    Show {
        id: Id,
        #[arg(long)]
        json: bool,
    },
    /// Replace the text with a file's ("-" for standard input), as the editor's autosave does.
    Save { id: Id, file: PathBuf },
    /// Write the postmortem as Markdown or a standalone HTML file.
    Export {
        id: Id,
        #[arg(long, default_value = "md")]
        format: String,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Move along the workflow: draft, in_review, reviewed, closed (and back to draft).
    Status { id: Id, status: String },
    /// Blameless language hints on the text; `--dismiss FINGERPRINT` hides one.
    Hints {
        id: Id,
        #[arg(long)]
        dismiss: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Add a short summary as a note on each incident, through the outbox.
    Publish { id: Id },
    /// The version history, newest first.
    Versions { id: Id },
    /// Keep a version of the current text now.
    Version { id: Id },
    /// Bring back a version's text (the current text is kept as a version first).
    Restore { id: Id, version: Id },
    /// Action items.
    #[command(subcommand)]
    Action(ActionCommand),
    /// Postmortem templates: list, export, import, reset.
    #[command(subcommand)]
    Template(TemplateCommand),
    /// Types a growing text into a postmortem, one autosave per interval, printing `saved N`
    /// after each; for the crash test.
    #[command(hide = true)]
    TypeDrill {
        id: Id,
        #[arg(long, default_value_t = 100)]
        interval_ms: u64,
        #[arg(long, default_value_t = 1000)]
        steps: usize,
    },
}

#[derive(Subcommand)]
pub enum ActionCommand {
    /// Add an action item.
    Add {
        id: Id,
        description: String,
        #[command(flatten)]
        fields: ActionFields,
    },
    /// Mark an action item done.
    Done { item: Id },
    /// Remove an action item.
    Remove { item: Id },
}

#[derive(Args)]
pub struct ActionFields {
    #[arg(long)]
    owner: Option<String>,
    /// YYYY-MM-DD.
    #[arg(long)]
    due: Option<NaiveDate>,
    /// mitigate, prevent or process.
    #[arg(long = "type")]
    kind: Option<String>,
    /// A link to the item in a tracker (http or https).
    #[arg(long)]
    tracker: Option<String>,
}

#[derive(Subcommand)]
pub enum TemplateCommand {
    List,
    /// A template as a TOML file to edit and import.
    Export {
        name: String,
    },
    /// Add a template, or replace the one with the file's `name` ("-" for standard input).
    Import {
        file: PathBuf,
    },
    /// Bring back a shipped template, or remove one you added.
    Reset {
        name: String,
    },
}

pub async fn run(tocsin: &Tocsin, cmd: PostmortemCommand) -> Result<ExitCode> {
    match cmd {
        PostmortemCommand::Stats { since, json } => {
            let since = since.as_deref().map(parse_since).transpose()?;
            print_stats(&tocsin.stats(since)?, json);
            Ok(ExitCode::SUCCESS)
        }
        PostmortemCommand::Postmortem(Pm::Publish { id }) => publish(tocsin, id).await,
        PostmortemCommand::Postmortem(pm) => postmortem(tocsin, pm),
    }
}

fn postmortem(tocsin: &Tocsin, cmd: Pm) -> Result<ExitCode> {
    match cmd {
        Pm::New {
            incidents,
            template,
        } => {
            let ids: Vec<Id> = (incidents.iter())
                .map(|i| tocsin.store().find_incident(i))
                .collect::<Result<_>>()?;
            let pm = tocsin.start_postmortem(&ids, template.as_deref())?;
            let items = tocsin.action_items(pm.id)?.len();
            out!(
                "postmortem {} started: {} ({} template, {items} action item(s) from follow-ups)",
                pm.id,
                clean(&pm.title),
                pm.template
            );
        }
        Pm::List { json } => {
            let list = tocsin.postmortems()?;
            if json {
                out!(
                    "{}",
                    serde_json::to_string_pretty(&list).expect("serialises")
                );
            }
            for pm in list.iter().filter(|_| !json) {
                let due = pm
                    .review_due
                    .map(|d| format!(" · review due {d}"))
                    .unwrap_or_default();
                let late = if pm.overdue { " · OVERDUE" } else { "" };
                out!(
                    "{:>4}  {:<10} {}  ({} open action items{due}{late})",
                    pm.id,
                    pm.status.title(),
                    clean(&pm.title),
                    pm.open_action_items
                );
            }
        }
        Pm::Show { id, json } => show(tocsin, id, json)?,
        Pm::Save { id, file } => {
            let body = read(&file)?;
            let revision = tocsin.postmortem(id)?.revision;
            let saved = tocsin.save_postmortem(id, &body, revision)?;
            out!("saved as revision {}", saved.revision);
        }
        Pm::Export { id, format, out } => {
            let text = tocsin.export_postmortem(id, Format::parse(&format)?)?;
            match out {
                Some(path) => {
                    tocsin::files::write_atomically(&path, &text)?;
                    out!("written to {}", path.display());
                }
                None => {
                    let _ = std::io::stdout().write_all(text.as_bytes());
                }
            }
        }
        Pm::Status { id, status } => {
            let pm = tocsin.set_postmortem_status(id, PostmortemStatus::parse(&status)?)?;
            out!("postmortem {id} is {}", pm.status.title());
        }
        Pm::Hints { id, dismiss, json } => hints(tocsin, id, dismiss, json)?,
        Pm::Publish { .. } => unreachable!("handled in `run`"),
        Pm::Versions { id } => {
            for v in tocsin.postmortem_versions(id)? {
                let at = v.at.format("%Y-%m-%d %H:%M:%S");
                let chars = v.body.chars().count();
                let reason = v.reason.as_str();
                out!(
                    "{:>5}  {at}  revision {:<5} {reason:<9} {chars} characters",
                    v.id,
                    v.revision
                );
            }
        }
        Pm::Version { id } => {
            let v = tocsin.keep_postmortem_version(id)?;
            out!("kept version {} (revision {})", v.id, v.revision);
        }
        Pm::Restore { id, version } => {
            let revision = tocsin.postmortem(id)?.revision;
            let out = tocsin.restore_postmortem_version(id, version, revision)?;
            out!("restored version {version} as revision {}", out.revision);
        }
        Pm::Action(cmd) => action(tocsin, cmd)?,
        Pm::Template(cmd) => template(tocsin, cmd)?,
        Pm::TypeDrill {
            id,
            interval_ms,
            steps,
        } => type_drill(tocsin, id, interval_ms, steps)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn show(tocsin: &Tocsin, id: Id, json: bool) -> Result<()> {
    let pm = tocsin.postmortem(id)?;
    let items = tocsin.action_items(id)?;
    if json {
        let value = serde_json::json!({ "postmortem": pm, "action_items": items });
        out!(
            "{}",
            serde_json::to_string_pretty(&value).expect("serialises")
        );
        return Ok(());
    }
    let severity = pm
        .severity
        .map(|s| format!("SEV-{s}"))
        .unwrap_or_else(|| "—".into());
    let due = pm
        .review_due
        .map(|d| d.to_string())
        .unwrap_or_else(|| "—".into());
    let late = if pm.overdue { " (overdue)" } else { "" };
    out!(
        "{} · {} · {severity} · review due {due}{late}",
        pm.id,
        pm.status.title()
    );
    out!("{}", clean(&pm.title));
    out!("incidents: {:?} · revision {}", pm.incidents, pm.revision);
    out!("");
    for line in pm.body.lines() {
        out!("{}", clean(line));
    }
    out!("");
    out!("Action items:");
    for i in &items {
        let mark = if i.done { "x" } else { " " };
        let kind = i.kind.map(|k| k.as_str()).unwrap_or("type not set");
        let owner = i
            .owner
            .as_deref()
            .map(clean)
            .unwrap_or_else(|| "no owner".into());
        let due = i.due_on.map(|d| format!(", due {d}")).unwrap_or_default();
        out!(
            "  [{mark}] {:>4}  {} ({kind}, {owner}{due})",
            i.id,
            clean(&i.description)
        );
    }
    Ok(())
}

fn hints(tocsin: &Tocsin, id: Id, dismiss: Option<String>, json: bool) -> Result<()> {
    if let Some(fingerprint) = dismiss {
        tocsin.dismiss_postmortem_hint(id, &fingerprint)?;
        out!("dismissed");
        return Ok(());
    }
    let hints = tocsin.postmortem_hints(id)?;
    if json {
        out!(
            "{}",
            serde_json::to_string_pretty(&hints).expect("serialises")
        );
        return Ok(());
    }
    if hints.is_empty() {
        out!("no language hints");
    }
    for h in hints {
        out!("line {}: \"{}\" [{}]", h.line, clean(&h.matched), h.rule);
        out!("  why: {}", h.why);
        out!("  try: {}", h.suggestion);
        out!("  dismiss: --dismiss {:?}", clean(&h.fingerprint));
    }
    Ok(())
}

async fn publish(tocsin: &Tocsin, id: Id) -> Result<ExitCode> {
    let mut code = ExitCode::SUCCESS;
    for (incident, entry) in tocsin.publish_postmortem(id)? {
        out!("incident {incident}: summary added as a note");
        if let Some(entry) = entry {
            let account = tocsin.store().incident_row(incident)?.account_id;
            if super::report_sent(tocsin, entry, account).await? != ExitCode::SUCCESS {
                code = ExitCode::FAILURE;
            }
        }
    }
    Ok(code)
}

fn action(tocsin: &Tocsin, cmd: ActionCommand) -> Result<()> {
    match cmd {
        ActionCommand::Add {
            id,
            description,
            fields,
        } => {
            let input = ActionItemInput {
                description,
                owner: fields.owner,
                due_on: fields.due,
                kind: fields
                    .kind
                    .as_deref()
                    .map(ActionItemType::parse)
                    .transpose()?,
                tracker_url: fields.tracker,
                done: false,
            };
            let item = tocsin.add_action_item(id, &input)?;
            out!("action item {} added", item.id);
        }
        ActionCommand::Done { item } => {
            let current = (tocsin.store()).action_item(item)?;
            let input = ActionItemInput {
                description: current.description,
                owner: current.owner,
                due_on: current.due_on,
                kind: current.kind,
                tracker_url: current.tracker_url,
                done: true,
            };
            tocsin.edit_action_item(item, &input)?;
            out!("action item {item} done");
        }
        ActionCommand::Remove { item } => {
            tocsin.remove_action_item(item)?;
            out!("action item {item} removed");
        }
    }
    Ok(())
}

fn template(tocsin: &Tocsin, cmd: TemplateCommand) -> Result<()> {
    match cmd {
        TemplateCommand::List => {
            for t in tocsin.postmortem_templates()? {
                out!("{:<12} {}", t.name, clean(&t.description));
            }
        }
        TemplateCommand::Export { name } => {
            let _ =
                std::io::stdout().write_all(tocsin.export_postmortem_template(&name)?.as_bytes());
        }
        TemplateCommand::Import { file } => {
            let t = tocsin.import_postmortem_template(&read(&file)?)?;
            out!("template `{}` imported", t.name);
        }
        TemplateCommand::Reset { name } => match tocsin.reset_postmortem_template(&name)? {
            Some(_) => out!("template `{name}` is the shipped one again"),
            None => out!("template `{name}` removed"),
        },
    }
    Ok(())
}

/// The text the drill types: numbered words, so any prefix is recognisable.
pub fn drill_text(steps: usize) -> String {
    (0..steps).map(|n| format!("w{n} ")).collect()
}

/// Saves a growing prefix of `drill_text`, a few characters per interval, reporting each
/// save only after it committed.
fn type_drill(tocsin: &Tocsin, id: Id, interval_ms: u64, steps: usize) -> Result<()> {
    let text = drill_text(steps);
    let mut revision = tocsin.postmortem(id)?.revision;
    let mut stdout = std::io::stdout();
    for end in (1..=text.len()).step_by(7) {
        revision = tocsin.save_postmortem(id, &text[..end], revision)?.revision;
        let _ = writeln!(stdout, "saved {end}");
        let _ = stdout.flush();
        std::thread::sleep(std::time::Duration::from_millis(interval_ms));
    }
    Ok(())
}

fn read(file: &Path) -> Result<String> {
    if file == Path::new("-") {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)?;
        return Ok(text);
    }
    Ok(std::fs::read_to_string(file)?)
}

/// A date (`2026-11-01`, midnight UTC) or a span back from now (`30d`, `12w`, `24h`).
fn parse_since(text: &str) -> Result<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(date
            .and_hms_opt(0, 0, 0)
            .expect("midnight exists")
            .and_utc());
    }
    let split = text.char_indices().last().map(|(i, _)| i).unwrap_or(0);
    let (number, unit) = text.split_at(split);
    let n: i64 = number.parse().map_err(|_| bad_since(text))?;
    let span = match unit {
        "h" => Duration::try_hours(n),
        "d" => Duration::try_days(n),
        "w" => Duration::try_weeks(n),
        _ => None,
    };
    // A century covers any history the cache holds; a longer span only makes dates nobody
    // can read (year -189000).
    span.filter(|s| *s <= Duration::days(MAX_SINCE_DAYS))
        .and_then(|s| Utc::now().checked_sub_signed(s))
        .ok_or_else(|| bad_since(text))
}

/// The longest span `--since` takes, in days (about a century).
const MAX_SINCE_DAYS: i64 = 36_600;

fn bad_since(text: &str) -> Error {
    Error::Invalid(format!(
        "`{}` is not a date (YYYY-MM-DD) or a span like 30d, 12w or 24h (at most 100 years)",
        clean(text)
    ))
}

fn print_stats(stats: &Stats, json: bool) {
    if json {
        out!(
            "{}",
            serde_json::to_string_pretty(stats).expect("serialises")
        );
        return;
    }
    let since = stats
        .since
        .map(|s| format!(" since {}", s.format("%Y-%m-%d")))
        .unwrap_or_default();
    out!("{} incidents{since} (drills left out)", stats.incidents);
    for (name, d) in [
        ("MTTA", stats.time_to_acknowledge),
        ("MTTR", stats.time_to_resolve),
    ] {
        let fig = |v: Option<i64>| v.map(human).unwrap_or_else(|| "—".into());
        out!(
            "{name}: mean {}, median {} (over {} incidents)",
            fig(d.mean_secs),
            fig(d.median_secs),
            d.count
        );
    }
    for (title, counts) in [
        ("By service", &stats.by_service),
        ("By severity", &stats.by_severity),
        ("By week", &stats.by_week),
    ] {
        out!("{title}:");
        for c in counts {
            out!("  {:<24} {}", clean(&c.key), c.incidents);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_a_date_or_a_span() {
        let date = parse_since("2026-11-01").unwrap();
        assert_eq!(date.to_rfc3339(), "2026-11-01T00:00:00+00:00");
        let week = parse_since("1w").unwrap();
        assert!((Utc::now() - week - Duration::weeks(1)).num_seconds().abs() < 60);
        for bad in [
            "",
            "w",
            "3y",
            "x1d",
            "99999999999999w",
            "9999999w",
            "36601d",
            "3é",
        ] {
            assert_eq!(parse_since(bad).unwrap_err().code(), "invalid", "{bad}");
        }
    }
}
