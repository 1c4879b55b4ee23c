//! The cockpit's commands: severities, checklists, roles, timers, decisions and the timeline.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{DateTime, Local, Utc};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;

use super::print::clean;
use tocsin::cockpit::{checklist, Checklist, Cockpit, Role, Severity, TimelineFormat, Timer};
use tocsin::model::{Id, Urgency};
use tocsin::{Error, Result, Tocsin};

/// The cockpit's top-level commands, flattened into `tocsin`'s own.
#[derive(Subcommand)]
pub enum CockpitCommand {
    /// Severities SEV-1..SEV-4, their response targets and provider mappings.
    #[command(subcommand)]
    Sev(SevCommand),
    /// Run the incident commander's cockpit for an incident.
    #[command(subcommand)]
    Command(ResponseCommand),
    /// Assign or hand over incident roles.
    #[command(subcommand)]
    Role(RoleCommand),
    /// Checklists: a severity's template, or an incident's copy.
    #[command(subcommand)]
    Checklist(ChecklistCommand),
    /// Timers for delegated tasks (stakeholder updates are scheduled by themselves).
    #[command(subcommand)]
    Timer(TimerCommand),
    /// Record a decision; lines starting with TODO become follow-ups.
    Decide {
        incident: String,
        text: String,
        #[command(flatten)]
        by: By,
    },
    /// The follow-ups of an incident (TODO lines of its decisions and notes).
    Followups {
        incident: String,
        #[arg(long)]
        json: bool,
    },
    /// An incident's whole timeline, cockpit events included, as Markdown or JSON.
    Timeline {
        incident: String,
        #[arg(long, value_enum, default_value_t = FormatArg::Md)]
        format: FormatArg,
    },
}

#[derive(Subcommand)]
pub enum SevCommand {
    /// Each severity's meaning and response targets.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Change a severity's meaning or targets (minutes); what is not given stays.
    Set {
        #[arg(value_parser = level_parser())]
        level: u8,
        #[arg(long)]
        meaning: Option<String>,
        /// Minutes to acknowledge.
        #[arg(long)]
        ack: Option<u32>,
        /// Minutes to the first stakeholder update.
        #[arg(long)]
        first_update: Option<u32>,
        /// Minutes between stakeholder updates.
        #[arg(long)]
        every: Option<u32>,
    },
    /// Map a severity onto an account's urgency and priority.
    Map {
        /// Account name or id.
        account: String,
        #[arg(value_parser = level_parser())]
        level: u8,
        #[arg(long, value_enum)]
        urgency: UrgencyArg,
        /// The provider's priority name (e.g. P1); "" for none.
        #[arg(long)]
        priority: Option<String>,
    },
    /// How each severity maps onto an account's urgency and priority.
    Mapping {
        account: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum ResponseCommand {
    /// Start the cockpit: severity, its checklist, the stakeholder-update reminder.
    Start {
        incident: String,
        /// SEV-1..SEV-4 (default: the incident's own severity).
        #[arg(long, value_parser = level_parser())]
        sev: Option<u8>,
        #[command(flatten)]
        by: By,
    },
    /// The cockpit of an incident: roles, checklist, timers, decisions.
    Show {
        incident: String,
        #[arg(long)]
        json: bool,
    },
    /// Change the incident's severity.
    Severity {
        incident: String,
        #[arg(value_parser = level_parser())]
        level: u8,
        #[command(flatten)]
        by: By,
    },
    /// Record that a stakeholder update went out; the next one is scheduled.
    Update {
        incident: String,
        text: String,
        #[command(flatten)]
        by: By,
    },
    /// Add a cockpit note; lines starting with TODO become follow-ups.
    Note {
        incident: String,
        text: String,
        #[command(flatten)]
        by: By,
    },
}

#[derive(Subcommand)]
pub enum RoleCommand {
    /// Give a role to a person (commander, deputy, scribe, communications, expert).
    Assign {
        incident: String,
        role: String,
        person: String,
        #[command(flatten)]
        by: By,
    },
    /// Hand a role over to a person; the timeline records from whom to whom.
    Handover {
        incident: String,
        role: String,
        person: String,
        /// Who hands over (needed only for experts, where several hold the role).
        #[arg(long)]
        from: Option<String>,
        #[command(flatten)]
        by: By,
    },
}

#[derive(Subcommand)]
pub enum ChecklistCommand {
    /// An incident's checklist, or with --sev a severity's template.
    Show {
        #[arg(required_unless_present = "sev", conflicts_with = "sev")]
        incident: Option<String>,
        #[arg(long, value_parser = level_parser())]
        sev: Option<u8>,
        #[arg(long)]
        json: bool,
    },
    /// Tick an item of an incident's checklist (its number as shown).
    Tick {
        incident: String,
        item: u32,
        #[command(flatten)]
        by: By,
    },
    /// Untick an item.
    Untick {
        incident: String,
        item: u32,
        #[command(flatten)]
        by: By,
    },
    /// Replace a severity's checklist with a TOML file ("-" for standard input).
    Import {
        #[arg(value_parser = level_parser())]
        level: u8,
        file: PathBuf,
    },
    /// Print a severity's checklist as a TOML file to edit and import.
    Export {
        #[arg(value_parser = level_parser())]
        level: u8,
    },
    /// Bring back the shipped checklist of a severity.
    Reset {
        #[arg(value_parser = level_parser())]
        level: u8,
    },
}

#[derive(Subcommand)]
pub enum TimerCommand {
    /// A delegated task with an owner, due in MINUTES.
    Add {
        incident: String,
        minutes: u32,
        label: String,
        #[arg(long)]
        owner: String,
        #[command(flatten)]
        by: By,
    },
    /// Pending timers, soonest first; of one incident or all.
    List {
        incident: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Cancel a pending timer.
    Cancel {
        id: Id,
        #[command(flatten)]
        by: By,
    },
}

/// Who is acting; the timeline shows it.
#[derive(Args)]
pub struct By {
    /// Your name on the timeline.
    #[arg(
        long = "by",
        value_name = "PERSON",
        default_value = "You",
        env = "TOCSIN_NAME"
    )]
    name: String,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Md,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum UrgencyArg {
    High,
    Low,
}

fn level_parser() -> clap::builder::RangedI64ValueParser<u8> {
    clap::value_parser!(u8).range(1..=4)
}

pub fn run(tocsin: &Tocsin, cmd: CockpitCommand) -> Result<ExitCode> {
    match cmd {
        CockpitCommand::Sev(cmd) => sev(tocsin, cmd)?,
        CockpitCommand::Command(cmd) => response(tocsin, cmd)?,
        CockpitCommand::Role(cmd) => role(tocsin, cmd)?,
        CockpitCommand::Checklist(cmd) => checklist(tocsin, cmd)?,
        CockpitCommand::Timer(cmd) => timer(tocsin, cmd)?,
        CockpitCommand::Decide { incident, text, by } => {
            let id = find(tocsin, &incident)?;
            let decision = tocsin.decide(id, &text, &by.name)?;
            let followups = tocsin::cockpit::todo_lines(&decision.text).len();
            out!("Decision recorded ({followups} follow-up(s))");
        }
        CockpitCommand::Followups { incident, json } => {
            let followups = tocsin.followups(find(tocsin, &incident)?)?;
            if json {
                emit(json!({ "followups": followups }));
            } else if followups.is_empty() {
                out!("No follow-ups.");
            }
            for f in followups.iter().filter(|_| !json) {
                out!("- {}  ({}, {})", clean(&f.text), clean(&f.by), when(f.at));
            }
        }
        CockpitCommand::Timeline { incident, format } => {
            let format = match format {
                FormatArg::Md => TimelineFormat::Markdown,
                FormatArg::Json => TimelineFormat::Json,
            };
            let text = tocsin.timeline_export(find(tocsin, &incident)?, format)?;
            out!("{}", text.trim_end());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn sev(tocsin: &Tocsin, cmd: SevCommand) -> Result<()> {
    match cmd {
        SevCommand::List { json } if json => emit(json!({ "severities": tocsin.severities()? })),
        SevCommand::List { .. } => tocsin.severities()?.iter().for_each(print_severity),
        SevCommand::Set {
            level,
            meaning,
            ack,
            first_update,
            every,
        } => {
            let current = tocsin.severities()?[level as usize - 1].clone();
            let edited = Severity {
                level,
                meaning: meaning.unwrap_or(current.meaning),
                ack_minutes: ack.unwrap_or(current.ack_minutes),
                first_update_minutes: first_update.unwrap_or(current.first_update_minutes),
                update_every_minutes: every.unwrap_or(current.update_every_minutes),
            };
            print_severity(&tocsin.set_severity(&edited)?);
        }
        SevCommand::Map {
            account,
            level,
            urgency,
            priority,
        } => {
            let account = tocsin.store().account_by_name(&account)?;
            let urgency = match urgency {
                UrgencyArg::High => Urgency::High,
                UrgencyArg::Low => Urgency::Low,
            };
            let m = tocsin.set_severity_mapping(account.id, level, urgency, priority)?;
            let priority = m.priority.as_deref().map(clean).unwrap_or("-".into());
            out!(
                "SEV-{level} → {} urgency, priority {priority}",
                m.urgency.as_str()
            );
        }
        SevCommand::Mapping { account, json } => {
            let account = tocsin.store().account_by_name(&account)?;
            let mapping = tocsin.severity_mapping(account.id)?;
            if json {
                emit(json!({ "mapping": mapping }));
                return Ok(());
            }
            for m in mapping {
                let priority = m.priority.as_deref().map(clean).unwrap_or("-".into());
                out!("SEV-{}  {:<5} {priority}", m.level, m.urgency.as_str());
            }
        }
    }
    Ok(())
}

fn response(tocsin: &Tocsin, cmd: ResponseCommand) -> Result<()> {
    match cmd {
        ResponseCommand::Start { incident, sev, by } => {
            let id = find(tocsin, &incident)?;
            let level = match sev.or(tocsin.incident(id)?.incident.severity) {
                Some(level) => level,
                None => return Err(Error::Invalid("give the severity with --sev 1..4".into())),
            };
            let cockpit = tocsin.start_command(id, level, &by.name)?;
            out!(
                "Cockpit started for {id} at SEV-{level}: {} checklist items, next update {}",
                cockpit.items.len(),
                cockpit
                    .timers
                    .first()
                    .map(|t| due(t.due_at))
                    .unwrap_or_default()
            );
        }
        ResponseCommand::Show { incident, json } => {
            let cockpit = tocsin.cockpit(find(tocsin, &incident)?)?;
            if json {
                emit(serde_json::to_value(&cockpit).expect("serialisable"));
            } else {
                print_cockpit(&cockpit);
            }
        }
        ResponseCommand::Severity {
            incident,
            level,
            by,
        } => {
            let id = find(tocsin, &incident)?;
            tocsin.set_incident_severity(id, level, &by.name)?;
            out!("{id} is SEV-{level} now");
        }
        ResponseCommand::Update { incident, text, by } => {
            let id = find(tocsin, &incident)?;
            tocsin.record_update(id, &text, &by.name)?;
            let next = tocsin.cockpit(id)?.timers;
            let next = next
                .iter()
                .find(|t| t.kind == tocsin::cockpit::TimerKind::Update);
            out!(
                "Update recorded; next one {}",
                next.map(|t| due(t.due_at)).unwrap_or_default()
            );
        }
        ResponseCommand::Note { incident, text, by } => {
            tocsin.cockpit_note(find(tocsin, &incident)?, &text, &by.name)?;
            out!("Note recorded");
        }
    }
    Ok(())
}

fn role(tocsin: &Tocsin, cmd: RoleCommand) -> Result<()> {
    match cmd {
        RoleCommand::Assign {
            incident,
            role,
            person,
            by,
        } => {
            let role = Role::parse(&role)?;
            tocsin.assign_role(find(tocsin, &incident)?, role, &person, &by.name)?;
            out!("{} is {}", clean(person.trim()), role.title());
        }
        RoleCommand::Handover {
            incident,
            role,
            person,
            from,
            by,
        } => {
            let role = Role::parse(&role)?;
            let id = find(tocsin, &incident)?;
            tocsin.hand_over(id, role, &person, from.as_deref(), &by.name)?;
            out!("{} is {} now", clean(person.trim()), role.title());
        }
    }
    Ok(())
}

fn checklist(tocsin: &Tocsin, cmd: ChecklistCommand) -> Result<()> {
    match cmd {
        ChecklistCommand::Show {
            incident,
            sev,
            json,
        } => match (incident, sev) {
            (Some(incident), _) => {
                let cockpit = tocsin.cockpit(find(tocsin, &incident)?)?;
                if json {
                    emit(json!({ "items": cockpit.items }));
                } else {
                    print_items(&cockpit);
                }
            }
            (None, Some(level)) => {
                let template = tocsin.checklist(level)?;
                if json {
                    emit(serde_json::to_value(&template).expect("serialisable"));
                } else {
                    print_template(&template);
                }
            }
            (None, None) => unreachable!("clap requires an incident or --sev"),
        },
        ChecklistCommand::Tick { incident, item, by } => {
            tocsin.tick(find(tocsin, &incident)?, item, &by.name)?;
            out!("Ticked item {item}");
        }
        ChecklistCommand::Untick { incident, item, by } => {
            tocsin.untick(find(tocsin, &incident)?, item, &by.name)?;
            out!("Unticked item {item}");
        }
        ChecklistCommand::Import { level, file } => {
            let imported = tocsin.import_checklist(level, &read_file(&file)?)?;
            out!(
                "Imported the SEV-{level} checklist “{}” ({} items)",
                clean(&imported.title),
                imported.items.len()
            );
        }
        ChecklistCommand::Export { level } => {
            let text = tocsin.export_checklist(level)?;
            out!("{}", text.trim_end());
        }
        ChecklistCommand::Reset { level } => {
            tocsin.reset_checklist(level)?;
            out!("The SEV-{level} checklist is the shipped one again");
        }
    }
    Ok(())
}

fn timer(tocsin: &Tocsin, cmd: TimerCommand) -> Result<()> {
    match cmd {
        TimerCommand::Add {
            incident,
            minutes,
            label,
            owner,
            by,
        } => {
            let id = find(tocsin, &incident)?;
            let timer = tocsin.add_timer(id, &label, &owner, minutes, &by.name)?;
            out!("Timer {} set, due {}", timer.id, due(timer.due_at));
        }
        TimerCommand::List { incident, json } => {
            let incident = incident.map(|i| find(tocsin, &i)).transpose()?;
            let timers = tocsin.timers(incident)?;
            if json {
                emit(json!({ "timers": timers }));
                return Ok(());
            }
            if timers.is_empty() {
                out!("No pending timers.");
            }
            timers.iter().for_each(print_timer);
        }
        TimerCommand::Cancel { id, by } => {
            let timer = tocsin.cancel_timer(id, &by.name)?;
            out!("Cancelled timer {}: {}", timer.id, clean(&timer.label));
        }
    }
    Ok(())
}

fn find(tocsin: &Tocsin, incident: &str) -> Result<Id> {
    tocsin.store().find_incident(incident)
}

/// Reads a checklist file (or standard input for "-"), never more than the import accepts.
fn read_file(path: &Path) -> Result<String> {
    let limit = checklist::MAX_FILE_BYTES as u64 + 1;
    let mut bytes = Vec::new();
    if path == Path::new("-") {
        std::io::stdin().take(limit).read_to_end(&mut bytes)?;
    } else {
        let file = std::fs::File::open(path).map_err(|e| {
            Error::Io(std::io::Error::new(
                e.kind(),
                format!("cannot read `{}`: {e}", path.display()),
            ))
        })?;
        file.take(limit).read_to_end(&mut bytes)?;
    }
    // Too large is the clearer message when the cut also split a character.
    if bytes.len() > checklist::MAX_FILE_BYTES {
        return Err(Error::Invalid(format!(
            "a checklist file is at most {} KiB",
            checklist::MAX_FILE_BYTES / 1024
        )));
    }
    String::from_utf8(bytes).map_err(|_| Error::Invalid("the checklist file is not UTF-8".into()))
}

fn emit(value: serde_json::Value) {
    out!(
        "{}",
        serde_json::to_string_pretty(&value).expect("JSON values serialise")
    );
}

fn when(t: DateTime<Utc>) -> String {
    t.with_timezone(&Local).format("%Y-%m-%d %H:%M").to_string()
}

/// A due time with its countdown: "at 14:05 (in 12 min)".
fn due(t: DateTime<Utc>) -> String {
    let minutes = (t - Utc::now()).num_seconds().div_euclid(60);
    let left = if minutes >= 0 {
        format!("in {minutes} min")
    } else {
        format!("{} min overdue", -minutes)
    };
    format!("at {} ({left})", t.with_timezone(&Local).format("%H:%M"))
}

fn print_severity(s: &Severity) {
    out!(
        "{}  acknowledge {} min · first update {} min · update every {} min",
        s.name(),
        s.ack_minutes,
        s.first_update_minutes,
        s.update_every_minutes
    );
    out!("       {}", clean(&s.meaning));
}

fn print_cockpit(c: &Cockpit) {
    out!(
        "{} — started {} by {}",
        c.severity.name(),
        when(c.started_at),
        clean(&c.started_by)
    );
    out!("Roles:");
    if c.roles.is_empty() {
        out!("  none yet (`tocsin role assign`)");
    }
    for r in &c.roles {
        out!("  {:<24} {}", r.role.title(), clean(&r.person));
    }
    print_items(c);
    out!("Timers:");
    c.timers.iter().for_each(print_timer);
    out!("Decision log:");
    for n in &c.notes {
        let text = clean(&n.text.replace('\n', " / "));
        out!(
            "  {}  {:<8} {}  ({})",
            when(n.at),
            n.kind.as_str(),
            text,
            clean(&n.by)
        );
    }
}

fn print_items(c: &Cockpit) {
    out!("Checklist: {}", clean(&c.checklist_title));
    for item in &c.items {
        let mark = if item.done_at.is_some() { "x" } else { " " };
        let role = item
            .role
            .map(|r| format!(" [{}]", r.as_str()))
            .unwrap_or_default();
        let status = match (&item.done_by, item.due_at) {
            (Some(who), _) => format!(" — done by {}", clean(who)),
            (None, Some(at)) => format!(" — due {}", due(at)),
            (None, None) => String::new(),
        };
        out!(
            "  [{mark}] {:>2}. {}{role}{status}",
            item.position,
            clean(&item.text)
        );
    }
}

fn print_template(c: &Checklist) {
    out!("{}", clean(&c.title));
    for (n, item) in c.items.iter().enumerate() {
        let role = item
            .role
            .map(|r| format!(" [{}]", r.as_str()))
            .unwrap_or_default();
        let within = item
            .due_minutes
            .map(|m| format!(" (within {m} min)"))
            .unwrap_or_default();
        out!("  {:>2}. {}{role}{within}", n + 1, clean(&item.text));
    }
}

fn print_timer(t: &Timer) {
    let owner = t
        .owner
        .as_deref()
        .map(|o| format!(" — {}", clean(o)))
        .unwrap_or_default();
    out!(
        "  {:>4}  {:<7} {}{owner}  due {}  (incident {}: {})",
        t.id,
        t.kind.as_str(),
        clean(&t.label),
        due(t.due_at),
        t.incident_id,
        clean(&t.incident_title)
    );
}
