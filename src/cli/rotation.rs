//! The local workspace's own rotations and escalation policies: import and export them as a
//! file, list them, remove one, and say which person on them I am.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

use super::print::clean;
use tocsin::schedule::file::MAX_FILE_BYTES;
use tocsin::{Error, Result, Tocsin};

/// `tocsin rotation …`
#[derive(Subcommand)]
pub enum RotationCommand {
    /// The local rotations and escalation policies, and who I am on them.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Read an on-call file (TOML, `format = "tocsin-oncall/1"`) into the local workspace.
    /// Each schedule and policy replaces the one with its id; nothing changes on any error.
    Import {
        file: PathBuf,
        /// Also remove local rotations and policies the file does not name.
        #[arg(long)]
        replace: bool,
    },
    /// Write the local rotations and policies as an on-call file (to stdout without a path).
    Export { file: Option<PathBuf> },
    /// Remove a local rotation (refused while a local policy pages it).
    RemoveSchedule { id: String },
    /// Remove a local escalation policy.
    RemovePolicy { id: String },
    /// Say which person on the local rotations I am: my shifts and reminders follow them.
    Me { user_id: String },
}

pub fn run(tocsin: &Tocsin, cmd: RotationCommand) -> Result<ExitCode> {
    match cmd {
        RotationCommand::List { json } => list(tocsin, json)?,
        RotationCommand::Import { file, replace } => {
            let text = read_bounded(&file)?;
            let s = tocsin.import_local_oncall(&text, replace)?;
            out!(
                "Imported {} and {}",
                count(s.schedules, "rotation", "rotations"),
                count(s.policies, "escalation policy", "escalation policies")
            );
            if replace {
                out!(
                    "Removed {} and {} the file does not name",
                    count(s.removed_schedules, "rotation", "rotations"),
                    count(s.removed_policies, "policy", "policies")
                );
            }
        }
        RotationCommand::Export { file: None } => {
            out!("{}", tocsin.export_local_oncall()?.trim_end());
        }
        RotationCommand::Export { file: Some(path) } => {
            let text = tocsin.export_local_oncall()?;
            tocsin::files::write_atomically(&path, &text)?;
            out!("Wrote {}", path.display());
        }
        RotationCommand::RemoveSchedule { id } => {
            tocsin.delete_local_schedule(&id)?;
            out!("Removed local schedule {}", clean(&id));
        }
        RotationCommand::RemovePolicy { id } => {
            tocsin.delete_local_policy(&id)?;
            out!("Removed local policy {}", clean(&id));
        }
        RotationCommand::Me { user_id } => {
            tocsin.set_local_me(&user_id)?;
            out!("In the local workspace you are {}", clean(&user_id));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn list(tocsin: &Tocsin, as_json: bool) -> Result<()> {
    let local = tocsin.local_oncall()?;
    if as_json {
        let text =
            serde_json::to_string_pretty(&local).map_err(|e| Error::Invalid(e.to_string()))?;
        out!("{text}");
        return Ok(());
    }
    if local.schedules.is_empty() && local.policies.is_empty() {
        out!("No local rotations or policies; `tocsin rotation import FILE` reads some.");
    }
    for s in &local.schedules {
        out!(
            "schedule {}  {}  {}  {} layer(s)",
            clean(&s.id),
            clean(&s.name),
            clean(&s.time_zone),
            s.layers.len()
        );
    }
    for p in &local.policies {
        out!(
            "policy {}  {}  {} level(s)",
            clean(&p.id),
            clean(&p.name),
            p.levels.len()
        );
    }
    let me = (local.people.iter()).find(|p| Some(&p.id) == local.me.as_ref());
    match me {
        Some(p) => out!(
            "You are {} ({}) on the local rotations",
            clean(&p.name),
            clean(&p.id)
        ),
        None if !local.people.is_empty() => {
            out!("You are on no local rotation; `tocsin rotation me ID` says which person you are")
        }
        None => {}
    }
    Ok(())
}

fn count(n: u32, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Reads at most one byte more than a file may have, so a huge file is refused unread.
fn read_bounded(path: &PathBuf) -> Result<String> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)?;
    String::from_utf8(bytes)
        .map_err(|_| Error::Invalid(format!("{} is not UTF-8 text", path.display())))
}
