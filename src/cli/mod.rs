//! Argument parsing and the commands of the `tocsin` binary.

/// Prints a line to stdout, ignoring a closed pipe (`tocsin incidents | head` must not
/// panic when `head` exits).
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

mod cockpit;
mod comms;
mod paging;
mod postmortem;
mod print;
pub use print::clean;
mod rotation;
mod schedule;

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand, ValueEnum};

use tocsin::model::{
    Action, Declaration, IncidentFilter, OutboxState, PagerStatus, ProviderKind, StatusFilter,
    TokenSource, Urgency,
};
use tocsin::paging::{DesktopNotifier, PageAction};
use tocsin::store::Directory;
use tocsin::sync::{Engine, EngineConfig, SyncEvent};
use tocsin::{Error, NewAccount, Result, Tocsin};

#[derive(Parser)]
#[command(
    name = "tocsin",
    version,
    about = "Tocsin: incidents, on-call and pages, headless"
)]
struct Cli {
    /// Where the cache lives (default: the OS data directory).
    #[arg(long, global = true, env = "TOCSIN_DATA_DIR")]
    data_dir: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Add, list or remove accounts.
    #[command(subcommand)]
    Account(AccountCommand),
    /// Sync accounts into the cache; with --once, one pass and exit.
    Sync {
        #[arg(long)]
        once: bool,
        /// Only this account (name or id).
        #[arg(long)]
        account: Option<String>,
    },
    /// List cached incidents, open ones first.
    Incidents(IncidentsArgs),
    /// Show incidents and their timelines.
    #[command(subcommand)]
    Incident(IncidentCommand),
    /// Who is on call now, per escalation policy and level; with --at, at that moment,
    /// schedules rendered locally from the cache.
    Oncall {
        #[arg(long)]
        json: bool,
        /// RFC 3339 time or `now`.
        #[arg(long, value_parser = schedule::parse_time)]
        at: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// The health of each account's sync.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Sync continuously and raise native notifications: a pager for a terminal.
    Watch,
    /// Declare an incident: in the local workspace, or at a PagerDuty account (`--account`,
    /// `--service`), through the outbox.
    Declare {
        title: String,
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(1..=4))]
        severity: u8,
        /// The account to open it at (name); the local workspace when left out.
        #[arg(long)]
        account: Option<String>,
        /// The service to open it on (id or name); PagerDuty requires one.
        #[arg(long)]
        service: Option<String>,
        #[arg(long, value_enum)]
        urgency: Option<UrgencyArg>,
        /// Text for the incident's body.
        #[arg(long)]
        details: Option<String>,
        /// A local escalation policy (id) the incident walks; local workspace only.
        #[arg(long)]
        policy: Option<String>,
    },
    /// Start a drill: a simulated page in the local workspace.
    Drill,
    /// Acknowledge an incident (written back to its provider through the outbox).
    Ack { id: String },
    /// Resolve an incident (Alertmanager: lift the silence Tocsin made).
    Resolve { id: String },
    /// Add a note to an incident's timeline.
    Note { id: String, text: String },
    /// Escalate an incident to a level of its escalation policy (PagerDuty).
    Escalate {
        id: String,
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        level: u32,
    },
    /// Reassign an incident to someone (user id, email or name; PagerDuty).
    Reassign { id: String, to: String },
    /// Snooze an acknowledged incident (PagerDuty) or silence an alert for a while.
    Snooze {
        id: String,
        #[arg(long)]
        minutes: u32,
    },
    /// Change an incident's urgency.
    Urgency {
        id: String,
        #[arg(value_enum)]
        urgency: UrgencyArg,
    },
    /// Change an incident's priority (id or name; PagerDuty).
    Priority { id: String, priority: String },
    /// Writes on their way to providers: waiting, sent or refused.
    Outbox {
        #[arg(long)]
        json: bool,
    },
    #[command(flatten)]
    Cockpit(cockpit::CockpitCommand),
    #[command(flatten)]
    Comms(comms::CommsCommand),
    #[command(flatten)]
    Postmortem(postmortem::PostmortemCommand),
    /// The paging policy per account: what pages, quiet hours, sounds, repeats; snooze a page.
    #[command(subcommand)]
    Paging(paging::PagingCommand),
    /// On-call schedules rendered locally from the cache: list, render, explain, check.
    #[command(subcommand)]
    Schedule(schedule::ScheduleCommand),
    /// The local workspace's own rotations and escalation policies: import, export, list.
    #[command(subcommand)]
    Rotation(rotation::RotationCommand),
}

#[derive(Subcommand)]
enum AccountCommand {
    /// Add an account.
    Add {
        #[command(subcommand)]
        provider: AddProvider,
    },
    /// List accounts (never their tokens).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove an account, its cached data and its keychain entry.
    Remove {
        name: String,
        /// Also drop actions not sent to it yet (refused otherwise).
        #[arg(long)]
        discard_unsent: bool,
    },
    /// Replace an account's token (after the provider rejected it), keeping its cache and
    /// the record of pages already raised.
    Token {
        name: String,
        /// Read the token from this environment variable at each run; nothing is stored.
        #[arg(
            long,
            conflicts_with = "token_stdin",
            required_unless_present = "token_stdin"
        )]
        token_env: Option<String>,
        /// Read the token from standard input and keep it in the OS keychain.
        #[arg(long)]
        token_stdin: bool,
    },
}

#[derive(Subcommand)]
enum AddProvider {
    /// A PagerDuty account (REST API v2).
    Pagerduty {
        #[command(flatten)]
        common: AddCommon,
        /// The API's base URL (default https://api.pagerduty.com).
        #[arg(long)]
        api_url: Option<String>,
        /// Your PagerDuty login email: needed with an account-level API key, and sent as
        /// `From` on changes.
        #[arg(long)]
        email: Option<String>,
    },
    /// A Prometheus Alertmanager (API v2).
    Alertmanager {
        #[command(flatten)]
        common: AddCommon,
        /// The Alertmanager's base URL, e.g. http://127.0.0.1:9093
        #[arg(long)]
        url: String,
    },
}

#[derive(Args)]
struct AddCommon {
    #[arg(long)]
    name: String,
    /// Read the token from this environment variable at each run; nothing is stored.
    #[arg(long, conflicts_with = "token_stdin")]
    token_env: Option<String>,
    /// Read the token from standard input and keep it in the OS keychain.
    #[arg(long)]
    token_stdin: bool,
}

#[derive(Args)]
struct IncidentsArgs {
    #[arg(long, value_enum, default_value_t = StatusArg::Open)]
    status: StatusArg,
    #[arg(long, value_enum)]
    urgency: Option<UrgencyArg>,
    /// A service id.
    #[arg(long)]
    service: Option<String>,
    /// Words to find in titles, services and numbers.
    #[arg(long)]
    search: Option<String>,
    #[arg(long)]
    limit: Option<u32>,
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum IncidentCommand {
    /// One incident with its timeline, by local id, provider id or #number.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum StatusArg {
    Open,
    All,
    Triggered,
    Acknowledged,
    Resolved,
}

#[derive(Clone, Copy, ValueEnum)]
enum UrgencyArg {
    High,
    Low,
}

impl From<UrgencyArg> for Urgency {
    fn from(u: UrgencyArg) -> Urgency {
        match u {
            UrgencyArg::High => Urgency::High,
            UrgencyArg::Low => Urgency::Low,
        }
    }
}

/// How long a pager waits before trying again to open a database it could not.
const OPEN_RETRY: std::time::Duration = std::time::Duration::from_secs(5);

/// Opens the cache. A pager (`watch`, `sync`) started while the disk is full or another
/// process holds the database waits and tries again, saying so, rather than exit and leave
/// the person without pages; a one-shot command fails at once with the reason.
async fn open(data_dir: &std::path::Path, patient: bool) -> Result<Tocsin> {
    loop {
        match Tocsin::open(data_dir) {
            Err(e) if patient && matches!(e.code(), "disk_full" | "store_busy") => {
                eprintln!(
                    "tocsin: {} [{}]; trying again every {} s",
                    clean(&e.to_string()),
                    e.code(),
                    OPEN_RETRY.as_secs()
                );
                tokio::time::sleep(OPEN_RETRY).await;
            }
            other => return other,
        }
    }
}

pub async fn run() -> Result<ExitCode> {
    let cli = Cli::parse();
    let data_dir = cli.data_dir.unwrap_or_else(Tocsin::default_data_dir);

    // Errors only on stderr for one-shot commands (one line per failure is the contract); the
    // long-running ones also warn there (a rejected token, say) and keep a log file, where a
    // missed page can be looked into afterwards.
    let long_running = matches!(
        cli.command,
        Command::Watch | Command::Sync { once: false, .. }
    );
    let stderr_level = if long_running { "warn" } else { "error" };
    let _log_guard = tocsin::logs::init(stderr_level, long_running.then_some(data_dir.as_path()));
    let tocsin = Arc::new(open(&data_dir, long_running).await?);

    match cli.command {
        Command::Account(cmd) => account(&tocsin, cmd),
        Command::Sync { once, account } => sync(tocsin, once, account).await,
        Command::Incidents(args) => incidents(&tocsin, args),
        Command::Incident(IncidentCommand::Show { id, json }) => {
            let id = tocsin.store().find_incident(&id)?;
            let config = EngineConfig {
                raise_pages: false,
                ..EngineConfig::from_env()
            };
            let notifier = Arc::new(tocsin::paging::RecordingNotifier::default());
            let engine = Engine::with_config(tocsin.clone(), notifier, config);
            let detail = engine.incident(id).await?;
            let outlook = tocsin.escalation(id)?;
            print::incident(&detail, outlook.as_ref(), json);
            Ok(ExitCode::SUCCESS)
        }
        Command::Oncall { json, at: None } => {
            print::oncall(&tocsin.oncall_now()?, json);
            Ok(ExitCode::SUCCESS)
        }
        Command::Oncall { json, at: Some(at) } => {
            schedule::print_oncall_at(&tocsin.oncall_at(at)?, json);
            Ok(ExitCode::SUCCESS)
        }
        Command::Status { json } => {
            print::health(&tocsin.health()?, json);
            Ok(ExitCode::SUCCESS)
        }
        Command::Watch => watch(tocsin).await,
        Command::Declare {
            title,
            severity,
            account,
            service,
            urgency,
            details,
            policy,
        } => {
            let args = DeclareArgs {
                title,
                severity,
                account,
                service,
                urgency,
                details,
                policy,
            };
            declare(&tocsin, args).await
        }
        Command::Ack { id } => act(&tocsin, &id, |_| Ok(Action::Acknowledge)).await,
        Command::Resolve { id } => act(&tocsin, &id, |_| Ok(Action::Resolve)).await,
        Command::Note { id, text } => act(&tocsin, &id, |_| Ok(Action::Note { text })).await,
        Command::Escalate { id, level } => {
            act(&tocsin, &id, |_| Ok(Action::Escalate { level })).await
        }
        Command::Reassign { id, to } => {
            let user = |account| tocsin.store().find_named(Directory::Users, account, &to);
            act(&tocsin, &id, |a| Ok(Action::Reassign { user_id: user(a)? })).await
        }
        Command::Snooze { id, minutes } => {
            act(&tocsin, &id, |_| Ok(Action::Snooze { minutes })).await
        }
        Command::Urgency { id, urgency } => {
            let urgency = urgency.into();
            act(&tocsin, &id, |_| Ok(Action::SetUrgency { urgency })).await
        }
        Command::Priority { id, priority } => {
            let find = |account| {
                tocsin
                    .store()
                    .find_named(Directory::Priorities, account, &priority)
            };
            act(&tocsin, &id, |a| {
                Ok(Action::SetPriority {
                    priority_id: find(a)?,
                })
            })
            .await
        }
        Command::Outbox { json } => {
            print::outbox(&tocsin.outbox()?, json);
            Ok(ExitCode::SUCCESS)
        }
        Command::Cockpit(cmd) => cockpit::run(&tocsin, cmd),
        Command::Comms(cmd) => comms::run(&tocsin, cmd).await,
        Command::Paging(cmd) => paging::run(&tocsin, cmd),
        Command::Schedule(cmd) => schedule::run(&tocsin, cmd),
        Command::Rotation(cmd) => rotation::run(&tocsin, cmd),
        Command::Drill => {
            let incident = tocsin.start_drill()?;
            out!(
                "Drill started as #{} (id {}); `tocsin watch` raises its page",
                incident.number.unwrap_or(0),
                incident.id
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Postmortem(cmd) => postmortem::run(&tocsin, cmd).await,
    }
}

/// How long the CLI waits for a write to reach the provider before leaving it queued.
const SEND_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

/// Acts on an incident; `make` builds the action once the incident's account is known.
async fn act(
    tocsin: &Tocsin,
    id: &str,
    make: impl FnOnce(i64) -> Result<Action>,
) -> Result<ExitCode> {
    let id = tocsin.store().find_incident(id)?;
    let incident = tocsin.store().incident_row(id)?;
    let action = make(incident.account_id)?;
    let entry = tocsin.act_queued(id, &action)?;
    tocsin::outbox::failpoint("outbox-after-queue");
    let detail = tocsin.incident(id)?;
    let status = detail.incident.status.as_str();
    out!("{id}: {} ({status})", print::clean(&detail.incident.title));
    match entry {
        Some(entry) => report_sent(tocsin, entry, detail.incident.account_id).await,
        None => Ok(ExitCode::SUCCESS),
    }
}

/// Tries to send the account's queue now, then says where the entry is. A refusal is an
/// error (exit 1); a write still waiting is not: it is safe in the outbox.
async fn report_sent(tocsin: &Tocsin, entry: i64, account: i64) -> Result<ExitCode> {
    let send = tocsin.send_outbox(Some(account));
    if tokio::time::timeout(SEND_WAIT, send).await.is_err() {
        tracing::debug!(entry, "send still running when the CLI stopped waiting");
    }
    let entry = tocsin.store().outbox_entry(entry)?;
    let provider = &entry.account_name;
    match entry.state {
        OutboxState::Done => {
            out!("sent to `{provider}`");
            Ok(ExitCode::SUCCESS)
        }
        OutboxState::Conflict | OutboxState::Failed => {
            let message = entry.last_error.unwrap_or_else(|| "refused".into());
            let code = entry.last_error_code.unwrap_or_else(|| "provider".into());
            eprintln!("error: {} [{code}]", print::clean(&message));
            Ok(ExitCode::FAILURE)
        }
        OutboxState::Pending | OutboxState::Sending => {
            let why = entry.last_error.unwrap_or_else(|| "not sent yet".into());
            // A token problem does not heal by waiting: say what will.
            let fix = match entry.last_error_code.as_deref() {
                Some("unauthorized" | "missing_token") => {
                    "fix the account's token (`tocsin account token`, or its variable) and it \
                     is sent"
                }
                _ => "it is sent once the provider takes it",
            };
            out!(
                "queued for `{provider}` ({}); {fix}, by the app, `tocsin watch` or \
                 `tocsin sync`",
                print::clean(&why)
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

struct DeclareArgs {
    title: String,
    severity: u8,
    account: Option<String>,
    service: Option<String>,
    urgency: Option<UrgencyArg>,
    details: Option<String>,
    policy: Option<String>,
}

async fn declare(tocsin: &Tocsin, args: DeclareArgs) -> Result<ExitCode> {
    let account = match &args.account {
        Some(name) => tocsin.store().account_by_name(name)?,
        None => tocsin.store().local_account()?,
    };
    let service_id = match &args.service {
        Some(s) => Some(
            tocsin
                .store()
                .find_named(Directory::Services, account.id, s)?,
        ),
        None => None,
    };
    let declaration = Declaration {
        title: args.title,
        severity: args.severity,
        service_id,
        urgency: args.urgency.map(Into::into),
        priority_id: None,
        details: args.details,
        escalation_policy_id: args.policy,
    };
    let incident = tocsin.declare(account.id, &declaration)?;
    // The local id is what the other commands take; the number is the provider's.
    let number = incident
        .number
        .map(|n| format!("#{n}, "))
        .unwrap_or_default();
    out!(
        "Declared {number}id {} (SEV-{}): {}",
        incident.id,
        args.severity,
        print::clean(&incident.title)
    );
    if account.kind == ProviderKind::Local {
        return Ok(ExitCode::SUCCESS);
    }
    let entry = tocsin
        .outbox()?
        .into_iter()
        .find(|e| e.incident_id == Some(incident.id))
        .map(|e| e.id)
        .ok_or_else(|| Error::NotFound("the declaration's outbox entry".into()))?;
    report_sent(tocsin, entry, account.id).await
}

fn account(tocsin: &Tocsin, cmd: AccountCommand) -> Result<ExitCode> {
    match cmd {
        AccountCommand::Add { provider } => {
            let (new, token) = new_account(provider)?;
            let account = tocsin.add_account(new, token)?;
            out!("Added {} account `{}`", account.kind.as_str(), account.name);
        }
        AccountCommand::List { json } => print::accounts(&tocsin.accounts()?, json),
        AccountCommand::Token {
            name,
            token_env,
            token_stdin,
        } => {
            let account = tocsin.store().account_by_name(&name)?;
            let token = if token_stdin {
                Some(read_token()?)
            } else {
                None
            };
            let source = match token_env {
                Some(var) => TokenSource::Env { var },
                None => TokenSource::Keychain,
            };
            let account = tocsin.replace_token(account.id, source, token)?;
            out!(
                "Replaced the token of `{}`; syncing resumes at the next pass",
                account.name
            );
        }
        AccountCommand::Remove {
            name,
            discard_unsent,
        } => {
            let account = tocsin.store().account_by_name(&name)?;
            tocsin.remove_account(account.id, discard_unsent)?;
            out!("Removed account `{}`", account.name);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn new_account(provider: AddProvider) -> Result<(NewAccount, Option<String>)> {
    let (common, kind, api_url, email) = match provider {
        AddProvider::Pagerduty {
            common,
            api_url,
            email,
        } => (common, ProviderKind::Pagerduty, api_url, email),
        AddProvider::Alertmanager { common, url } => {
            (common, ProviderKind::Alertmanager, Some(url), None)
        }
    };
    let token = if common.token_stdin {
        Some(read_token()?)
    } else {
        None
    };
    let source = match common.token_env {
        Some(var) => TokenSource::Env { var },
        None if token.is_some() => TokenSource::Keychain,
        None => TokenSource::None,
    };
    let new = NewAccount {
        name: common.name,
        kind,
        api_url,
        token: source,
        email,
    };
    Ok((new, token))
}

fn read_token() -> Result<String> {
    let mut token = String::new();
    std::io::stdin().read_to_string(&mut token)?;
    let token = token.trim().to_string();
    if token.is_empty() {
        return Err(Error::Invalid("no token on standard input".into()));
    }
    Ok(token)
}

async fn sync(tocsin: Arc<Tocsin>, once: bool, only: Option<String>) -> Result<ExitCode> {
    // Syncing alone must not claim pages: that is `watch`'s and the window's job.
    let notifier = Arc::new(tocsin::paging::RecordingNotifier::default());
    let config = EngineConfig {
        raise_pages: false,
        ..EngineConfig::from_env()
    };
    let engine_tocsin = tocsin.clone();
    let engine = Arc::new(Engine::with_config(tocsin, notifier, config));
    if !once {
        engine.run().await;
        return Ok(ExitCode::SUCCESS);
    }

    let mut failed = false;
    let only_id = match &only {
        Some(name) => Some(engine_tocsin.store().account_by_name(name)?.id),
        None => None,
    };
    let started = chrono::Utc::now();
    // Someone asked for a sync now: what waits in the outbox is tried now too, not at the
    // end of its back-off (it may have been failing for a reason that just went away).
    engine_tocsin.store().outbox_retry_now(only_id)?;
    for (account, report) in engine_tocsin.send_outbox(only_id).await? {
        if report.sent + report.refused > 0 || report.waiting.is_some() {
            out!(
                "{}: outbox: {} sent, {} refused{}",
                account.name,
                report.sent,
                report.refused,
                report
                    .waiting
                    .map(|w| format!(", waiting: {}", print::clean(&w)))
                    .unwrap_or_default()
            );
        }
    }
    let refused = engine_tocsin.outbox()?.into_iter().filter(|e| {
        matches!(e.state, OutboxState::Conflict | OutboxState::Failed)
            && e.finished_at.is_some_and(|t| t >= started)
    });
    for entry in refused {
        failed = true;
        let code = entry.last_error_code.as_deref().unwrap_or("provider");
        let why = entry.last_error.as_deref().unwrap_or("refused");
        eprintln!(
            "{}: outbox entry {} refused: {} [{code}]",
            entry.account_name,
            entry.id,
            print::clean(why)
        );
    }
    for (account, result) in engine.sync_once(only.as_deref()).await? {
        match result {
            Ok(outcome) => out!(
                "{}: ok, {} incidents read, {} resolved by disappearing, {} new timeline entries",
                account.name,
                outcome.incidents,
                outcome.vanished,
                outcome.log_entries
            ),
            Err(e) => {
                failed = true;
                let message = print::clean(&format!("{}: {e}", account.name));
                eprintln!("{message} [{}]", e.code());
            }
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn incidents(tocsin: &Tocsin, args: IncidentsArgs) -> Result<ExitCode> {
    let filter = IncidentFilter {
        status: match args.status {
            StatusArg::Open => StatusFilter::Open,
            StatusArg::All => StatusFilter::All,
            StatusArg::Triggered => StatusFilter::Triggered,
            StatusArg::Acknowledged => StatusFilter::Acknowledged,
            StatusArg::Resolved => StatusFilter::Resolved,
        },
        urgency: args.urgency.map(Into::into),
        service_id: args.service,
        search: args.search,
        limit: args.limit,
    };
    print::incidents(&tocsin.incidents(&filter)?, args.json);
    Ok(ExitCode::SUCCESS)
}

/// One line for each change in whether pages can be shown and the cache can be written.
fn say_status_change(before: &PagerStatus, now: &PagerStatus) {
    match (before.notifications_ok, now.notifications_ok) {
        (true, false) => out!(
            "NOTIFICATIONS FAILING: pages cannot be shown on this desktop (is a notification \
             server running?); they are retried"
        ),
        (false, true) => out!("notifications work again"),
        _ => {}
    }
    match (&before.local_fault, &now.local_fault) {
        (_, Some(fault)) if before.local_fault.as_ref() != Some(fault) => out!(
            "LOCAL DATABASE FAILING: {} [{}]; the cache is kept, syncing resumes by itself",
            print::clean(&fault.message),
            fault.code
        ),
        (Some(_), None) => out!("the local database works again"),
        _ => {}
    }
}

async fn watch(tocsin: Arc<Tocsin>) -> Result<ExitCode> {
    let acting = tocsin.clone();
    let on_action = Arc::new(move |action: PageAction| match action {
        PageAction::Open(id) => out!("open: `tocsin incident show {id}`"),
        PageAction::Acknowledge(id) => match acting.act(id, &Action::Acknowledge) {
            Ok(_) => out!("acknowledged: {id}"),
            Err(e) => out!("cannot acknowledge {id}: {e} [{}]", e.code()),
        },
        PageAction::Snooze(id) => {
            let minutes = tocsin::paging::SNOOZE_FROM_NOTIFICATION.num_minutes();
            match acting.snooze_page(id, minutes) {
                Ok(_) => out!("snoozed: {id} for {minutes} min"),
                Err(e) => out!("cannot snooze {id}: {e} [{}]", e.code()),
            }
        }
    });
    let engine = Arc::new(Engine::new(
        tocsin.clone(),
        Arc::new(DesktopNotifier::new(on_action)),
    ));
    let mut events = engine.subscribe();
    out!(
        "Watching {} account(s); Ctrl-C to stop",
        tocsin.accounts()?.len()
    );

    let mut status = engine.pager_status();
    tokio::spawn(engine.clone().run());
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => return Ok(ExitCode::SUCCESS),
            event = events.recv() => {
                match event {
                    Ok(SyncEvent::Paged { incident_ids }) => {
                        for id in incident_ids {
                            let incident = tocsin.incident(id)?.incident;
                            out!("PAGE {}: {}", id, print::clean(&incident.title));
                        }
                    }
                    // A pager that cannot show pages, or cannot keep what it syncs, must
                    // say so where the person looks.
                    Ok(SyncEvent::Pager) => {
                        let now = engine.pager_status();
                        say_status_change(&status, &now);
                        status = now;
                    }
                    _ => {}
                }
            }
        }
    }
}
