//! Communication commands: stakeholder updates and their templates, and status pages.

use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;

use super::print::clean;
use tocsin::comms::{
    template, Audience, NewStatusPage, StatusPage, StatusRequest, UpdateDraft, UpdateFields,
};
use tocsin::model::{OutboxState, TokenSource};
use tocsin::provider::statuspage::{ComponentStatus, Impact, StatusPhase, StatusPreview};
use tocsin::{Error, Result, Tocsin};

/// The communication commands, flattened into `tocsin`'s own.
#[derive(Subcommand)]
pub enum CommsCommand {
    /// Stakeholder updates: draft, publish, and the templates per audience.
    #[command(subcommand)]
    Update(UpdateCommand),
    /// Status pages (Atlassian Statuspage): configure, link, publish.
    #[command(subcommand)]
    Statuspage(PageCommand),
}

#[derive(Subcommand)]
pub enum UpdateCommand {
    /// Render the update for an audience without recording anything.
    Draft {
        incident: String,
        #[command(flatten)]
        update: UpdateArgs,
        #[arg(long)]
        json: bool,
    },
    /// Render the update and record it on the cockpit; the next update is scheduled.
    Publish {
        incident: String,
        #[command(flatten)]
        update: UpdateArgs,
        #[command(flatten)]
        by: By,
        #[arg(long)]
        json: bool,
    },
    /// An audience's template, as a file to edit and import.
    Export {
        #[arg(value_enum)]
        audience: AudienceArg,
    },
    /// Replace an audience's template with a file ("-" for standard input).
    Import {
        #[arg(value_enum)]
        audience: AudienceArg,
        file: std::path::PathBuf,
    },
    /// Bring back the shipped template for an audience.
    Reset {
        #[arg(value_enum)]
        audience: AudienceArg,
    },
}

#[derive(Args)]
pub struct UpdateArgs {
    #[arg(long, value_enum)]
    audience: AudienceArg,
    /// Who is affected and how.
    #[arg(long)]
    impact: Option<String>,
    /// Where the response is (default: words for the incident's status).
    #[arg(long)]
    status: Option<String>,
    /// What is being done.
    #[arg(long)]
    actions: Option<String>,
}

#[derive(Subcommand)]
pub enum PageCommand {
    /// Add a status page; its API key goes to the OS keychain or stays in a variable.
    Add {
        #[arg(long)]
        name: String,
        /// The API's base URL, e.g. https://api.statuspage.io/v1 (no default).
        #[arg(long)]
        api_url: String,
        /// Statuspage's id of the page.
        #[arg(long)]
        page_id: String,
        /// Read the key from this environment variable at each run; nothing is stored.
        #[arg(
            long,
            conflicts_with = "key_stdin",
            required_unless_present = "key_stdin"
        )]
        key_env: Option<String>,
        /// Read the key from standard input and keep it in the OS keychain.
        #[arg(long)]
        key_stdin: bool,
    },
    /// List status pages (never their keys).
    List {
        #[arg(long)]
        json: bool,
    },
    /// Replace a page's API key, keeping the page and its links.
    Key {
        name: String,
        /// Read the key from this environment variable at each run; nothing is stored.
        #[arg(
            long,
            conflicts_with = "key_stdin",
            required_unless_present = "key_stdin"
        )]
        key_env: Option<String>,
        /// Read the key from standard input and keep it in the OS keychain.
        #[arg(long)]
        key_stdin: bool,
    },
    /// Remove a status page, its links and its keychain entry.
    Remove { name: String },
    /// Read a page's components (and remember them for previews made offline).
    Components {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Link an incident to a Statuspage incident that exists already.
    Link {
        incident: String,
        #[arg(long)]
        page: String,
        /// The Statuspage incident's id.
        #[arg(long)]
        to: String,
        #[command(flatten)]
        by: By,
    },
    /// The pages an incident is published on, and as which Statuspage incident.
    Links {
        incident: String,
        #[arg(long)]
        json: bool,
    },
    /// Create or update the incident's Statuspage incident, through the outbox.
    Publish(PublishArgs),
}

#[derive(Args)]
pub struct PublishArgs {
    incident: String,
    #[arg(long)]
    page: String,
    #[arg(long, value_parser = phase)]
    phase: StatusPhase,
    #[arg(long, value_parser = impact)]
    impact: Impact,
    /// An affected component and the status it shows now, e.g. cmpapi=partial_outage.
    #[arg(long = "component", value_name = "ID=STATUS", value_parser = component)]
    components: Vec<(String, ComponentStatus)>,
    /// The incident's name on the page (default: the incident's title).
    #[arg(long)]
    name: Option<String>,
    /// The message (default: the `customers` update).
    #[arg(long)]
    body: Option<String>,
    /// Show what would be published, and publish nothing.
    #[arg(long)]
    preview: bool,
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    by: By,
}

/// Who is acting; the timeline shows it.
#[derive(Args)]
pub struct By {
    /// Your name on the timeline.
    #[arg(
        long = "by",
        id = "by",
        value_name = "PERSON",
        default_value = "You",
        env = "TOCSIN_NAME"
    )]
    person: String,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum AudienceArg {
    Internal,
    Customers,
}

impl From<AudienceArg> for Audience {
    fn from(a: AudienceArg) -> Audience {
        match a {
            AudienceArg::Internal => Audience::Internal,
            AudienceArg::Customers => Audience::Customers,
        }
    }
}

fn phase(s: &str) -> std::result::Result<StatusPhase, String> {
    let known = "investigating, identified, monitoring or resolved";
    StatusPhase::parse(s).ok_or_else(|| format!("use {known}"))
}

fn impact(s: &str) -> std::result::Result<Impact, String> {
    Impact::parse(s).ok_or_else(|| "use none, minor, major or critical".into())
}

fn component(s: &str) -> std::result::Result<(String, ComponentStatus), String> {
    let (id, status) = s.split_once('=').ok_or("write ID=STATUS")?;
    let status = ComponentStatus::parse(status).ok_or(
        "a status is operational, degraded_performance, partial_outage, major_outage or \
         under_maintenance",
    )?;
    Ok((id.trim().to_owned(), status))
}

pub async fn run(tocsin: &Tocsin, cmd: CommsCommand) -> Result<ExitCode> {
    match cmd {
        CommsCommand::Update(cmd) => update(tocsin, cmd).map(|()| ExitCode::SUCCESS),
        CommsCommand::Statuspage(cmd) => page(tocsin, cmd).await,
    }
}

fn update(tocsin: &Tocsin, cmd: UpdateCommand) -> Result<()> {
    match cmd {
        UpdateCommand::Draft {
            incident,
            update,
            json,
        } => {
            let id = tocsin.store().find_incident(&incident)?;
            let (audience, fields) = update.split();
            let draft = tocsin.draft_update(id, audience, &fields)?;
            print_draft(&draft, json);
        }
        UpdateCommand::Publish {
            incident,
            update,
            by,
            json,
        } => {
            let id = tocsin.store().find_incident(&incident)?;
            let (audience, fields) = update.split();
            let published = tocsin.publish_update(id, audience, &fields, &by.person)?;
            print_draft(&published.draft, json);
            if !json {
                out!("Recorded on the cockpit; the next update is scheduled.");
            }
        }
        UpdateCommand::Export { audience } => {
            out!(
                "{}",
                tocsin.export_update_template(audience.into())?.trim_end()
            );
        }
        UpdateCommand::Import { audience, file } => {
            let source = read_file(&file)?;
            tocsin.import_update_template(audience.into(), &source)?;
            out!(
                "Imported the `{}` template",
                Audience::from(audience).as_str()
            );
        }
        UpdateCommand::Reset { audience } => {
            tocsin.reset_update_template(audience.into())?;
            out!(
                "The `{}` template is the shipped one again",
                Audience::from(audience).as_str()
            );
        }
    }
    Ok(())
}

impl UpdateArgs {
    fn split(self) -> (Audience, UpdateFields) {
        let fields = UpdateFields {
            impact: self.impact,
            status: self.status,
            actions: self.actions,
        };
        (self.audience.into(), fields)
    }
}

async fn page(tocsin: &Tocsin, cmd: PageCommand) -> Result<ExitCode> {
    match cmd {
        PageCommand::Add {
            name,
            api_url,
            page_id,
            key_env,
            key_stdin,
        } => {
            let key = if key_stdin { Some(read_key()?) } else { None };
            let source = match key_env {
                Some(var) => TokenSource::Env { var },
                None => TokenSource::Keychain,
            };
            let new = NewStatusPage {
                name,
                api_url,
                page_id,
                key: source,
            };
            let page = tocsin.add_status_page(new, key)?;
            out!("Added status page `{}`", clean(&page.name));
            refresh(tocsin, &page).await;
        }
        PageCommand::List { json } => print_pages(&tocsin.status_pages()?, json),
        PageCommand::Key {
            name,
            key_env,
            key_stdin,
        } => {
            let page = tocsin.store().status_page_by_name(&name)?;
            let key = if key_stdin { Some(read_key()?) } else { None };
            let source = key_env.map_or(TokenSource::Keychain, |var| TokenSource::Env { var });
            let page = tocsin.replace_status_page_key(page.id, source, key)?;
            out!(
                "Replaced the key of `{}`; publications waiting for it are due again",
                clean(&page.name)
            );
            let waiting = tocsin.store().outbox_retry_now(None)?;
            tracing::debug!(waiting, "outbox entries made due");
        }
        PageCommand::Remove { name } => {
            let page = tocsin.store().status_page_by_name(&name)?;
            tocsin.remove_status_page(page.id)?;
            out!("Removed status page `{}`", clean(&page.name));
        }
        PageCommand::Components { name, json } => {
            let page = tocsin.store().status_page_by_name(&name)?;
            let components = tocsin.statuspage_components(page.id).await?;
            if json {
                emit(json!({ "components": components }));
            }
            for c in components.iter().filter(|_| !json) {
                out!(
                    "{:<16} {:<22} {}",
                    clean(&c.id),
                    clean(&c.raw_status),
                    clean(&c.name)
                );
            }
        }
        PageCommand::Link {
            incident,
            page,
            to,
            by,
        } => {
            let id = tocsin.store().find_incident(&incident)?;
            let page = tocsin.store().status_page_by_name(&page)?;
            let link = tocsin.link_status_incident(id, page.id, &to, &by.person)?;
            out!(
                "Linked to `{}` on `{}`",
                link.status_incident_id,
                clean(&page.name)
            );
        }
        PageCommand::Links { incident, json } => {
            let links = tocsin.status_links(tocsin.store().find_incident(&incident)?)?;
            if json {
                emit(json!({ "links": links }));
            } else if links.is_empty() {
                out!("Not published on any status page.");
            }
            for l in links.iter().filter(|_| !json) {
                let how = if l.explicit { "linked" } else { "published" };
                out!(
                    "{}: {} ({how})",
                    clean(&l.page_name),
                    clean(&l.status_incident_id)
                );
            }
        }
        PageCommand::Publish(args) => return publish(tocsin, args).await,
    }
    Ok(ExitCode::SUCCESS)
}

/// Previews against the page's components (read again when the page answers), then, unless
/// only a preview was asked for, queues exactly that preview and tries to send it now.
async fn publish(tocsin: &Tocsin, args: PublishArgs) -> Result<ExitCode> {
    let id = tocsin.store().find_incident(&args.incident)?;
    let page = tocsin.store().status_page_by_name(&args.page)?;
    if !args.components.is_empty() {
        refresh(tocsin, &page).await;
    }
    let request = StatusRequest {
        name: args.name,
        phase: args.phase,
        impact: args.impact,
        body: args.body,
        components: args.components,
        fields: UpdateFields::default(),
    };
    let preview = tocsin.statuspage_preview(id, page.id, &request)?;
    if !args.json {
        print_preview(&page, &preview);
    }
    if args.preview {
        if args.json {
            emit(json!({ "page": page.name, "preview": preview }));
        }
        return Ok(ExitCode::SUCCESS);
    }

    let entry = tocsin.statuspage_publish(id, page.id, &preview, &args.by.person)?;
    let account = tocsin.store().incident_row(id)?.account_id;
    if !args.json {
        return super::report_sent(tocsin, entry, account).await;
    }
    // One JSON document: the preview and where its outbox entry is after trying to send it.
    let send = tocsin.send_outbox(Some(account));
    if tokio::time::timeout(super::SEND_WAIT, send).await.is_err() {
        tracing::debug!(entry, "send still running when the CLI stopped waiting");
    }
    let entry = tocsin.store().outbox_entry(entry)?;
    let refused = matches!(entry.state, OutboxState::Conflict | OutboxState::Failed);
    emit(json!({ "page": page.name, "preview": preview, "outbox": entry }));
    Ok(if refused {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Reads the page's components; when the page cannot be reached, says so and goes on with
/// the ones last read.
async fn refresh(tocsin: &Tocsin, page: &StatusPage) {
    if let Err(e) = tocsin.statuspage_components(page.id).await {
        let when = (page.components_read_at).map_or_else(
            || "never".into(),
            |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
        );
        eprintln!(
            "warning: cannot read the components of `{}` ({e} [{}]); using those read {when}",
            clean(&page.name),
            e.code()
        );
    }
}

fn print_draft(draft: &UpdateDraft, json: bool) {
    if json {
        emit(json!(draft));
        return;
    }
    out!("Subject: {}", clean(&draft.subject));
    out!("");
    for line in draft.body.lines() {
        out!("{}", clean(line));
    }
    if !draft.missing.is_empty() {
        let missing: Vec<&str> = draft.missing.iter().map(|p| p.as_str()).collect();
        eprintln!("note: not stated yet: {}", missing.join(", "));
    }
}

fn print_preview(page: &StatusPage, p: &StatusPreview) {
    out!("On status page `{}`:", clean(&page.name));
    out!("  Name:    {}", clean(&p.title));
    out!(
        "  Status:  {} · impact {}",
        p.phase.as_str(),
        p.impact.as_str()
    );
    for c in &p.components {
        out!(
            "  {} ({}): {}",
            clean(&c.name),
            clean(&c.id),
            c.status.as_str()
        );
    }
    out!("  Message:");
    for line in p.body.lines() {
        out!("{}", format!("    {}", clean(line)).trim_end());
    }
    for problem in &p.problems {
        out!("  Problem: {}", clean(problem));
    }
}

fn print_pages(pages: &[StatusPage], json: bool) {
    if json {
        emit(json!({ "pages": pages }));
        return;
    }
    if pages.is_empty() {
        out!("No status pages; add one with `tocsin statuspage add`.");
    }
    for p in pages {
        let key = match &p.key {
            TokenSource::Env { var } => format!("key in ${var}"),
            _ => "key in the OS keychain".into(),
        };
        let line = format!("{}  {} page {}  ({key})", p.name, p.api_url, p.page_id);
        out!("{}", clean(&line));
    }
}

fn read_key() -> Result<String> {
    let mut key = String::new();
    std::io::stdin().read_to_string(&mut key)?;
    let key = key.trim().to_owned();
    if key.is_empty() {
        return Err(Error::Invalid("no API key on standard input".into()));
    }
    Ok(key)
}

/// Reads a template file (or standard input for "-"), never more than the import accepts.
fn read_file(path: &Path) -> Result<String> {
    let limit = template::MAX_FILE_BYTES as u64 + 1;
    let mut bytes = Vec::new();
    if path == Path::new("-") {
        std::io::stdin().take(limit).read_to_end(&mut bytes)?;
    } else {
        let file = std::fs::File::open(path).map_err(|e| {
            let message = format!("cannot read `{}`: {e}", path.display());
            Error::Io(std::io::Error::new(e.kind(), message))
        })?;
        file.take(limit).read_to_end(&mut bytes)?;
    }
    if bytes.len() > template::MAX_FILE_BYTES {
        let kib = template::MAX_FILE_BYTES / 1024;
        return Err(Error::Invalid(format!(
            "a template file is at most {kib} KiB"
        )));
    }
    String::from_utf8(bytes).map_err(|_| Error::Invalid("the template file is not UTF-8".into()))
}

fn emit(value: serde_json::Value) {
    out!(
        "{}",
        serde_json::to_string_pretty(&value).expect("JSON values serialise")
    );
}
