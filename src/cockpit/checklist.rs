//! Checklists as data: one per severity, in a TOML file a person can edit, with shipped
//! defaults in `checklists/` and strict validation on import.
//!
//! TOML rather than JSON or YAML: it allows comments (a team can say why an item is there),
//! needs no quoting of keys, has one obvious way to write a list of tables (`[[item]]`), and
//! lacks YAML's implicit typing traps (`no` meaning false, say). The `toml` crate was already
//! in the workspace's lock file through Tauri.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::Role;
use crate::error::{Error, Result};

/// The largest checklist file accepted, in bytes.
pub const MAX_FILE_BYTES: usize = 64 * 1024;
/// The most items one checklist may have.
pub const MAX_ITEMS: usize = 100;
/// The longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// The longest item text, in characters.
pub const MAX_ITEM_CHARS: usize = 500;
/// The longest "due within", in minutes: a week.
pub const MAX_DUE_MINUTES: u32 = 7 * 24 * 60;

/// The shipped checklists, SEV-1 first, compiled into the binary so they need no install step.
const DEFAULTS: [&str; 4] = [
    include_str!("../../checklists/sev1.toml"),
    include_str!("../../checklists/sev2.toml"),
    include_str!("../../checklists/sev3.toml"),
    include_str!("../../checklists/sev4.toml"),
];

/// A checklist template: what to do, in order, for one severity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Checklist {
    pub title: String,
    pub items: Vec<ChecklistItem>,
}

/// The file's shape: the same, but each item is an `[[item]]` table, which reads better.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChecklistFile {
    title: String,
    #[serde(rename = "item", default)]
    items: Vec<ChecklistItem>,
}

/// One thing to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ChecklistItem {
    pub text: String,
    /// Who usually does it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// Due within this many minutes of the cockpit's start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_minutes: Option<u32>,
}

impl Checklist {
    /// Parses and validates a checklist file. Errors say where and what, with any text from
    /// the file shown with its control characters replaced.
    pub fn parse(source: &str) -> Result<Checklist> {
        if source.len() > MAX_FILE_BYTES {
            return Err(Error::Invalid(format!(
                "a checklist file is at most {} KiB",
                MAX_FILE_BYTES / 1024
            )));
        }
        let file: ChecklistFile = toml::from_str(source).map_err(|e| {
            let line = e
                .span()
                .map(|s| source[..s.start.min(source.len())].lines().count().max(1));
            let at = line.map(|l| format!(" at line {l}")).unwrap_or_default();
            Error::Invalid(format!(
                "the checklist does not parse{at}: {}",
                printable(e.message().trim())
            ))
        })?;
        let checklist = Checklist {
            title: file.title,
            items: file.items,
        };
        checklist.validate()
    }

    /// Checks the limits and trims the text; returns the checklist as it will be stored.
    pub fn validate(&self) -> Result<Checklist> {
        let title = super::bounded(&self.title, "the checklist's title", MAX_TITLE_CHARS)?;
        if self.items.is_empty() || self.items.len() > MAX_ITEMS {
            return Err(Error::Invalid(format!(
                "a checklist has 1 to {MAX_ITEMS} items, not {}",
                self.items.len()
            )));
        }
        let items = self
            .items
            .iter()
            .enumerate()
            .map(|(n, item)| item.validate(n + 1))
            .collect::<Result<_>>()?;
        Ok(Checklist { title, items })
    }

    /// The checklist as a file that `parse` reads back to the same checklist.
    pub fn to_toml(&self) -> String {
        let file = ChecklistFile {
            title: self.title.clone(),
            items: self.items.clone(),
        };
        let body = toml::to_string(&file).expect("a checklist serialises to TOML");
        format!(
            "# A Tocsin checklist: edit, then `tocsin checklist import LEVEL FILE`.\n\
             # Each [[item]] has `text`, and optionally `role` (commander, deputy, scribe,\n\
             # communications, expert) and `due_minutes` (from the start of the response).\n\n\
             {body}"
        )
    }

    /// The shipped checklist for a severity.
    pub fn default_for(level: u8) -> Result<Checklist> {
        super::level(level)?;
        Checklist::parse(DEFAULTS[level as usize - 1])
    }
}

impl ChecklistItem {
    fn validate(&self, position: usize) -> Result<ChecklistItem> {
        let what = format!("item {position}'s text");
        let text = super::bounded(&self.text, &what, MAX_ITEM_CHARS)?;
        if let Some(minutes) = self.due_minutes {
            if !(1..=MAX_DUE_MINUTES).contains(&minutes) {
                return Err(Error::Invalid(format!(
                    "item {position} is due within 1 to {MAX_DUE_MINUTES} minutes, not {minutes}"
                )));
            }
        }
        Ok(ChecklistItem {
            text,
            ..self.clone()
        })
    }
}

/// `s` with control characters and bidirectional overrides replaced, for error messages that
/// quote a file a stranger may have written.
fn printable(s: &str) -> String {
    let hostile = |c: char| (c.is_control() && c != '\n') || crate::paging::is_bidi_control(c);
    s.chars()
        .map(|c| if hostile(c) { '\u{fffd}' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid(source: &str) -> String {
        let err = Checklist::parse(source).unwrap_err();
        assert_eq!(err.code(), "invalid");
        err.to_string()
    }

    #[test]
    fn the_shipped_defaults_parse_and_cover_the_response() {
        for level in 1..=4 {
            let checklist = Checklist::default_for(level).unwrap();
            assert!(checklist.title.starts_with(&format!("SEV-{level}")));
            assert!(!checklist.items.is_empty());
        }
        let sev1 = Checklist::default_for(1).unwrap();
        let all: String = sev1.items.iter().map(|i| i.text.to_lowercase()).collect();
        for step in [
            "commander",
            "deploys",
            "named owner",
            "public",
            "update",
            "all clear",
        ] {
            assert!(all.contains(step), "SEV-1 lacks `{step}`");
        }
        assert!(all.contains("clean up") && all.contains("postmortem"));
        assert!(Checklist::default_for(5).is_err());
    }

    #[test]
    fn export_then_import_round_trips() {
        for level in 1..=4 {
            let checklist = Checklist::default_for(level).unwrap();
            assert_eq!(Checklist::parse(&checklist.to_toml()).unwrap(), checklist);
        }
        let hostile = Checklist {
            title: "Quotes \" ''' and \\ backslashes".into(),
            items: vec![ChecklistItem {
                text: "\u{1b}[2J <script>alert(1)</script> '); DROP TABLE cockpits; --\n# x".into(),
                role: Some(Role::Expert),
                due_minutes: Some(7),
            }],
        };
        assert_eq!(Checklist::parse(&hostile.to_toml()).unwrap(), hostile);
    }

    #[test]
    fn bad_files_are_refused_with_a_clear_message() {
        assert!(invalid("title = ").contains("does not parse at line 1"));
        assert!(invalid("title = \"x\"").contains("1 to 100 items, not 0"));
        assert!(invalid("title = \"x\"\n[[item]]\ntext = \"a\"\ncolour = 1")
            .contains("unknown field `colour`"));
        assert!(
            invalid("title = \"x\"\n[[item]]\ntext = \"a\"\nrole = \"boss\"")
                .contains("unknown variant `boss`")
        );
        assert!(
            invalid("title = \"x\"\n[[item]]\ntext = \"a\"\ndue_minutes = -5")
                .contains("at line 4")
        );
        assert!(
            invalid("title = \"x\"\n[[item]]\ntext = \"a\"\ndue_minutes = 0")
                .contains("item 1 is due within 1 to")
        );
        assert!(invalid("title = \"x\"\n[[item]]\ntext = \" \"").contains("item 1's text"));
        assert!(invalid("title = \" \"\n[[item]]\ntext = \"a\"").contains("title"));

        let long = format!("title = \"x\"\n[[item]]\ntext = \"{}\"", "a".repeat(501));
        assert!(invalid(&long).contains("at most 500 characters"));
        let many = format!("title = \"x\"\n{}", "[[item]]\ntext = \"a\"\n".repeat(101));
        assert!(invalid(&many).contains("not 101"));
        let huge = format!("title = \"{}\"", "a".repeat(MAX_FILE_BYTES));
        assert!(invalid(&huge).contains("at most 64 KiB"));
    }

    #[test]
    fn hostile_text_in_an_error_cannot_drive_the_terminal() {
        let err = invalid("title = \"x\"\n[[item]]\ntext = \"a\"\nrole = \"\\u001b[2J\"");
        assert!(!err.contains('\u{1b}'), "{err:?}");
    }
}
