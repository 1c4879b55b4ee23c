//! Postmortem templates as data: TOML files with `{{placeholder}}`s, shipped defaults in
//! `postmortem-templates/`, strict validation on import, and filling that inserts values as
//! given (the prefill makes every value safe Markdown first; see `prefill.rs`).
//!
//! One rule, as for update templates: `{{name}}` is replaced by the value called `name`, and
//! every other character is copied. `{{action_items}}` is the exception that is kept when a
//! postmortem starts, and replaced by the live list of action items at export.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{Error, Result};
use crate::paging::one_line;

/// The largest template file accepted, in bytes.
pub const MAX_FILE_BYTES: usize = 64 * 1024;
/// The longest template body, in characters.
const MAX_BODY_CHARS: usize = 32_000;
/// The longest template name, in characters.
const MAX_NAME_CHARS: usize = 40;
/// The marker replaced by the action items at export.
pub const ACTION_ITEMS: &str = "{{action_items}}";
/// The most placeholders one template holds: the shipped ones use about a dozen, and each
/// `{{timeline}}` can stand for a hundred lines.
pub const MAX_PLACEHOLDERS: usize = 40;

/// The shipped templates, compiled in so they need no install step.
const STANDARD: &str = include_str!("../../postmortem-templates/standard.toml");
const SHORT: &str = include_str!("../../postmortem-templates/short.toml");

/// The names of the shipped templates.
pub const SHIPPED: [&str; 2] = ["standard", "short"];

/// What the cache can say about the incidents, by name.
pub const PLACEHOLDERS: [&str; 13] = [
    "title",
    "incidents",
    "severity",
    "services",
    "responders",
    "started",
    "ended",
    "duration",
    "time_to_acknowledge",
    "time_to_resolve",
    "impact",
    "timeline",
    "action_items",
];

/// A postmortem template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct Template {
    /// Lower-case letters, digits and `-`: how the CLI and the window name it.
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The postmortem's title, one line.
    pub title: String,
    /// Markdown.
    pub body: String,
}

impl Template {
    /// Parses and validates a template file; errors name the line and the placeholder.
    pub fn parse(source: &str) -> Result<Template> {
        if source.len() > MAX_FILE_BYTES {
            return Err(Error::Invalid(format!(
                "a postmortem template is at most {} KiB",
                MAX_FILE_BYTES / 1024
            )));
        }
        let template: Template = toml::from_str(source).map_err(|e| {
            let line = (e.span()).map(|s| source[..s.start.min(source.len())].lines().count());
            let at = line
                .map(|l| format!(" at line {}", l.max(1)))
                .unwrap_or_default();
            let message = one_line(e.message().trim(), 300);
            Error::Invalid(format!("the template does not parse{at}: {message}"))
        })?;
        template.validate()
    }

    /// Checks the name, the limits and the placeholders.
    pub fn validate(&self) -> Result<Template> {
        let name = self.name.trim();
        let name_ok = !name.is_empty()
            && name.chars().count() <= MAX_NAME_CHARS
            && (name.chars()).all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !name_ok {
            return Err(Error::Invalid(format!(
                "a template's name is 1 to {MAX_NAME_CHARS} lower-case letters, digits or `-`"
            )));
        }
        let title = self.title.trim();
        if title.is_empty() || title.contains(['\n', '\r']) || title.chars().count() > 200 {
            return Err(Error::Invalid(
                "the title must be one line of at most 200 characters".into(),
            ));
        }
        let body = self.body.trim();
        if body.is_empty() || body.chars().count() > MAX_BODY_CHARS {
            return Err(Error::Invalid(format!(
                "the body must have 1 to {MAX_BODY_CHARS} characters"
            )));
        }
        let mut placeholders = 0;
        for (what, text) in [("title", title), ("body", body)] {
            let parts = pieces(text).map_err(|e| Error::Invalid(format!("in the {what}: {e}")))?;
            placeholders += parts
                .iter()
                .filter(|p| matches!(p, Piece::Value(_)))
                .count();
        }
        if placeholders > MAX_PLACEHOLDERS {
            return Err(Error::Invalid(format!(
                "a template holds at most {MAX_PLACEHOLDERS} placeholders; this one has \
                 {placeholders}"
            )));
        }
        Ok(Template {
            name: name.to_string(),
            description: one_line(self.description.trim(), 200),
            title: title.to_string(),
            body: format!("{body}\n"),
        })
    }

    /// The shipped template called `name`, if there is one.
    pub fn shipped(name: &str) -> Option<Template> {
        let source = match name {
            "standard" => STANDARD,
            "short" => SHORT,
            _ => return None,
        };
        Some(Template::parse(source).expect("the shipped templates are valid"))
    }

    /// The shipped template a severity starts with: the full one for SEV-1/2.
    pub fn default_name(severity: Option<u8>) -> &'static str {
        match severity {
            Some(3 | 4) => "short",
            _ => "standard",
        }
    }

    /// The template as a file that `parse` reads back to the same template.
    pub fn to_toml(&self) -> String {
        let body = toml::to_string(self).expect("a template serialises to TOML");
        let names: Vec<String> = PLACEHOLDERS
            .iter()
            .map(|p| format!("{{{{{p}}}}}"))
            .collect();
        format!(
            "# A Tocsin postmortem template: edit, then\n\
             # `tocsin postmortem template import {} FILE`.\n\
             # Placeholders: {}.\n\n{body}",
            self.name,
            names.join(" ")
        )
    }

    /// The title filled with `plain(name)` (the title is text, not Markdown) and cut to
    /// fit, and the body with `markdown(name)`; `{{action_items}}` is kept in both. Refused
    /// when the result would be larger than a postmortem may be.
    pub fn fill(
        &self,
        plain: impl Fn(&str) -> String,
        markdown: impl Fn(&str) -> String,
    ) -> Result<(String, String)> {
        let title = fill(&self.title, &plain)?;
        let title = one_line(title.trim(), super::MAX_TITLE_CHARS - 1);
        Ok((title, fill(&self.body, &markdown)?))
    }
}

/// `text` with its placeholders replaced; `{{action_items}}` is kept for the export.
///
/// Each value is computed once, however often it appears, and the size is checked as it
/// grows, so a template repeating `{{timeline}}` stops at the limit instead of after building
/// every copy.
pub fn fill(text: &str, value: &impl Fn(&str) -> String) -> Result<String> {
    let mut values: HashMap<&'static str, String> = HashMap::new();
    let mut out = String::with_capacity(text.len());
    for piece in pieces(text).unwrap_or_default() {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Value("action_items") => out.push_str(ACTION_ITEMS),
            Piece::Value(name) => out.push_str(values.entry(name).or_insert_with(|| value(name))),
        }
        if out.len() > super::MAX_BODY_BYTES {
            return Err(Error::Invalid(format!(
                "the template filled for these incidents would be larger than {} KiB; \
                 use a template with fewer placeholders",
                super::MAX_BODY_BYTES / 1024
            )));
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    Value(&'static str),
}

/// Splits a template into text and placeholders; refuses an unclosed `{{` or an unknown name.
fn pieces(text: &str) -> Result<Vec<Piece<'_>>, String> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        if open > 0 {
            pieces.push(Piece::Text(&rest[..open]));
        }
        let line = text[..text.len() - rest.len() + open].matches('\n').count() + 1;
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            return Err(format!("`{{{{` on line {line} is not closed with `}}}}`"));
        };
        let name = after[..close].trim();
        let Some(known) = PLACEHOLDERS.iter().find(|p| **p == name) else {
            return Err(format!(
                "unknown placeholder `{{{{{}}}}}` on line {line}; known: {}",
                one_line(name, 60),
                PLACEHOLDERS.join(", ")
            ));
        };
        pieces.push(Piece::Value(known));
        rest = &after[close + 2..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest));
    }
    Ok(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, title: &str, body: &str) -> String {
        format!("name = \"{name}\"\ntitle = \"{title}\"\nbody = \"\"\"\n{body}\"\"\"\n")
    }

    #[test]
    fn the_shipped_templates_parse_and_cover_the_sections() {
        let standard = Template::shipped("standard").unwrap();
        for section in [
            "## Summary",
            "## Impact",
            "## Timeline",
            "## Contributing factors",
            "## What went well",
            "## What went poorly",
            "## Where we got lucky",
            "## Action items",
            "## Supporting information",
        ] {
            assert!(standard.body.contains(section), "{section}");
        }
        let short = Template::shipped("short").unwrap();
        assert!(short.body.len() < standard.body.len() / 2);
        assert_eq!(Template::default_name(Some(4)), "short");
        assert_eq!(Template::default_name(None), "standard");
    }

    #[test]
    fn placeholders_are_filled_and_action_items_kept_for_the_export() {
        let t = Template::parse(&file(
            "x",
            "PM: {{ title }}",
            "{{severity}} {{action_items}} ok",
        ))
        .unwrap();
        let (title, body) = t
            .fill(|name| format!("<{name}>"), |name| format!("<{name}>"))
            .unwrap();
        assert_eq!(title, "PM: <title>");
        assert_eq!(body, "<severity> {{action_items}} ok\n");
    }

    #[test]
    fn a_template_of_many_placeholders_is_refused_at_import() {
        let body = "{{timeline}}\n".repeat(2_400);
        let err = Template::parse(&file("x", "t", &body)).unwrap_err();
        assert_eq!(err.code(), "invalid");
        assert!(err.to_string().contains("at most 40 placeholders"), "{err}");
    }

    #[test]
    fn each_value_is_computed_once_and_the_size_is_checked_while_filling() {
        let calls = std::cell::Cell::new(0);
        let big = |_: &str| {
            calls.set(calls.get() + 1);
            "x".repeat(100 * 1024)
        };
        let err = fill(&"{{timeline}}".repeat(2_400), &big).unwrap_err();
        assert!(err.to_string().contains("larger than 512 KiB"), "{err}");
        assert_eq!(calls.get(), 1);
        assert_eq!(
            fill("{{timeline}} {{timeline}}", &big).unwrap().len(),
            2 * 100 * 1024 + 1
        );
    }

    #[test]
    fn bad_templates_are_refused_with_the_line() {
        let unknown = Template::parse(&file("x", "t", "a\n{{nope}}")).unwrap_err();
        assert!(
            unknown.to_string().contains("`{{nope}}` on line 2"),
            "{unknown}"
        );
        let open = Template::parse(&file("x", "t", "{{title")).unwrap_err();
        assert!(open.to_string().contains("not closed"), "{open}");
        let name = Template::parse(&file("Bad Name", "t", "b")).unwrap_err();
        assert_eq!(name.code(), "invalid");
        let extra =
            Template::parse("name = \"x\"\ntitle = \"t\"\nbody = \"b\"\nx = 1").unwrap_err();
        assert!(extra.to_string().contains("unknown field `x`"), "{extra}");
    }

    #[test]
    fn export_then_import_round_trips() {
        for name in SHIPPED {
            let t = Template::shipped(name).unwrap();
            assert_eq!(Template::parse(&t.to_toml()).unwrap(), t);
        }
    }
}
