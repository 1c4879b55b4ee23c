//! Stakeholder-update templates as data: a TOML file per audience with `{{placeholder}}`s,
//! shipped defaults in `update-templates/`, strict validation on import, and rendering that
//! inserts every value as text.
//!
//! The syntax is one rule: `{{name}}` (spaces inside allowed) is replaced by the value called
//! `name`; every other character is copied as written. There are no conditions, loops or
//! filters, so what a template does can be read off the file. A `{{` that does not start a
//! known placeholder is refused at import, never rendered as written.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{Audience, TextFormat};
use crate::error::{Error, Result};
#[cfg(test)]
use crate::paging::is_bidi_control;
use crate::paging::one_line;

/// The largest template file accepted, in bytes.
pub const MAX_FILE_BYTES: usize = 32 * 1024;
/// The longest subject template, in characters.
pub const MAX_SUBJECT_CHARS: usize = 200;
/// The longest body template, in characters.
pub const MAX_BODY_CHARS: usize = 8_000;
/// The longest value inserted for a one-line placeholder, in characters.
const MAX_LINE_VALUE_CHARS: usize = 1_024;
/// The longest value inserted for a multi-line placeholder, in characters.
const MAX_TEXT_VALUE_CHARS: usize = 4_000;

/// The shipped templates, compiled in so they need no install step.
const INTERNAL: &str = include_str!("../../update-templates/internal.toml");
const CUSTOMERS: &str = include_str!("../../update-templates/customers.toml");

/// Something an update says, filled from the incident or from the author.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Placeholder {
    /// The incident's title.
    Title,
    /// The incident's number (`#12`) or provider id.
    Incident,
    /// `SEV-1`..`SEV-4`.
    Severity,
    /// What the severity means, as the team defined it.
    SeverityMeaning,
    /// Who is affected and how: set by the author.
    Impact,
    /// Where the response is: set by the author, else from the incident's status.
    Status,
    /// What is being done: set by the author.
    Actions,
    /// When the next update is due, from the severity's cadence.
    NextUpdate,
    /// Who holds the incident commander role.
    Commander,
}

impl Placeholder {
    pub const ALL: [Placeholder; 9] = [
        Placeholder::Title,
        Placeholder::Incident,
        Placeholder::Severity,
        Placeholder::SeverityMeaning,
        Placeholder::Impact,
        Placeholder::Status,
        Placeholder::Actions,
        Placeholder::NextUpdate,
        Placeholder::Commander,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Placeholder::Title => "title",
            Placeholder::Incident => "incident",
            Placeholder::Severity => "severity",
            Placeholder::SeverityMeaning => "severity_meaning",
            Placeholder::Impact => "impact",
            Placeholder::Status => "status",
            Placeholder::Actions => "actions",
            Placeholder::NextUpdate => "next_update",
            Placeholder::Commander => "commander",
        }
    }

    pub fn parse(name: &str) -> Option<Placeholder> {
        Self::ALL.into_iter().find(|p| p.as_str() == name)
    }

    /// The author's fields may span lines; everything else is one line.
    fn is_multiline(self) -> bool {
        matches!(
            self,
            Placeholder::Impact | Placeholder::Status | Placeholder::Actions
        )
    }
}

/// One audience's template: a one-line subject and a body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct UpdateTemplate {
    /// How values are made text in the output (see [`TextFormat`]).
    pub format: TextFormat,
    pub subject: String,
    pub body: String,
}

/// A piece of a parsed template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    Value(Placeholder),
}

impl UpdateTemplate {
    /// Parses and validates a template file. Errors name the line and the placeholder, with
    /// control characters from the file replaced.
    pub fn parse(source: &str) -> Result<UpdateTemplate> {
        if source.len() > MAX_FILE_BYTES {
            return Err(Error::Invalid(format!(
                "a template file is at most {} KiB",
                MAX_FILE_BYTES / 1024
            )));
        }
        let template: UpdateTemplate = toml::from_str(source).map_err(|e| {
            let line = (e.span()).map(|s| source[..s.start.min(source.len())].lines().count());
            let at = line
                .map(|l| format!(" at line {}", l.max(1)))
                .unwrap_or_default();
            let message = one_line(e.message().trim(), 300);
            Error::Invalid(format!("the template does not parse{at}: {message}"))
        })?;
        template.validate()
    }

    /// Checks the limits and the placeholders; returns the template as it will be stored.
    pub fn validate(&self) -> Result<UpdateTemplate> {
        let subject = self.subject.trim();
        if subject.is_empty() || subject.contains(['\n', '\r']) {
            return Err(Error::Invalid(
                "the subject must be one line of text".into(),
            ));
        }
        let body = self.body.trim();
        if body.is_empty() {
            return Err(Error::Invalid("the body cannot be empty".into()));
        }
        let limits = [
            ("subject", subject, MAX_SUBJECT_CHARS),
            ("body", body, MAX_BODY_CHARS),
        ];
        for (what, text, max) in limits {
            if text.chars().count() > max {
                return Err(Error::Invalid(format!(
                    "the {what} is at most {max} characters"
                )));
            }
            pieces(text).map_err(|e| Error::Invalid(format!("in the {what}: {e}")))?;
        }
        Ok(UpdateTemplate {
            format: self.format,
            subject: subject.to_owned(),
            body: body.to_owned(),
        })
    }

    /// The template as a file that `parse` reads back to the same template.
    pub fn to_toml(&self, audience: Audience) -> String {
        let body = toml::to_string(self).expect("a template serialises to TOML");
        let names: Vec<String> = (Placeholder::ALL.iter())
            .map(|p| format!("{{{{{}}}}}", p.as_str()))
            .collect();
        format!(
            "# The Tocsin update template for `{}`: edit, then\n\
             # `tocsin update import {} FILE`. `format` is \"text\" or \"markdown\".\n\
             # Placeholders: {}.\n\n{body}",
            audience.as_str(),
            audience.as_str(),
            names.join(" ")
        )
    }

    /// The shipped template for an audience.
    pub fn default_for(audience: Audience) -> UpdateTemplate {
        let source = match audience {
            Audience::Internal => INTERNAL,
            Audience::Customers => CUSTOMERS,
        };
        UpdateTemplate::parse(source).expect("the shipped templates are valid")
    }

    /// The placeholders the template uses, each once, in order of first use.
    pub fn placeholders(&self) -> Vec<Placeholder> {
        let mut used = Vec::new();
        for text in [&self.subject, &self.body] {
            for piece in pieces(text).unwrap_or_default() {
                if let Piece::Value(p) = piece {
                    if !used.contains(&p) {
                        used.push(p);
                    }
                }
            }
        }
        used
    }

    /// The subject and body with each placeholder replaced by `value(placeholder)` made
    /// text for this template's format. The subject stays one line whatever the values.
    pub fn render(&self, value: impl Fn(Placeholder) -> String) -> (String, String) {
        let fill = |text: &str, one_line_only: bool| -> String {
            let mut out = String::new();
            for piece in pieces(text).unwrap_or_default() {
                match piece {
                    Piece::Text(t) => out.push_str(t),
                    Piece::Value(p) => {
                        let multiline = p.is_multiline() && !one_line_only;
                        out.push_str(&as_text(self.format, multiline, &value(p)));
                    }
                }
            }
            out
        };
        (fill(&self.subject, true), fill(&self.body, false))
    }
}

/// Splits a template into text and placeholders; refuses an unclosed `{{` or an unknown name.
fn pieces(text: &str) -> Result<Vec<Piece<'_>>, String> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        if open > 0 {
            pieces.push(Piece::Text(&rest[..open]));
        }
        let after = &rest[open + 2..];
        let line = text[..text.len() - rest.len() + open].matches('\n').count() + 1;
        let Some(close) = after.find("}}") else {
            return Err(format!("`{{{{` on line {line} is not closed with `}}}}`"));
        };
        let name = after[..close].trim();
        let placeholder = Placeholder::parse(name).ok_or_else(|| unknown(name, line))?;
        pieces.push(Piece::Value(placeholder));
        rest = &after[close + 2..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest));
    }
    Ok(pieces)
}

fn unknown(name: &str, line: usize) -> String {
    let known: Vec<&str> = Placeholder::ALL.iter().map(|p| p.as_str()).collect();
    format!(
        "unknown placeholder `{{{{{}}}}}` on line {line}; known: {}",
        one_line(name, 60),
        known.join(", ")
    )
}

/// A value made text for `format`.
///
/// Text: control and text-direction characters become U+FFFD, so a value cannot move the
/// cursor, clear a terminal or reverse what follows; a one-line value has its line breaks
/// turned into spaces; lengths are bounded. Markdown: the same, then every ASCII punctuation
/// character is backslash-escaped and lines lose their leading spaces, so the value renders
/// as the characters it is made of — no link, image, emphasis, heading, list, quote, code or
/// HTML can come from it.
fn as_text(format: TextFormat, multiline: bool, value: &str) -> String {
    let plain = if multiline {
        lines(value, MAX_TEXT_VALUE_CHARS)
    } else {
        one_line(value.trim(), MAX_LINE_VALUE_CHARS)
    };
    match format {
        TextFormat::Text => plain,
        TextFormat::Markdown => (plain.split('\n'))
            .map(|line| escape_markdown(line.trim_start()))
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

/// Multi-line text with each line made safe as [`one_line`] does, bounded to `max` characters.
fn lines(text: &str, max: usize) -> String {
    let text = text.trim();
    let safe: Vec<String> = (text.split('\n'))
        .map(|line| one_line(line.strip_suffix('\r').unwrap_or(line), max))
        .collect();
    let joined = safe.join("\n");
    if joined.chars().count() <= max {
        return joined;
    }
    let mut cut: String = joined.chars().take(max).collect();
    cut.push('…');
    cut
}

fn escape_markdown(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    for c in line.chars() {
        if c.is_ascii_punctuation() {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `c` would make text show something other than its characters.
    fn is_hidden(c: char) -> bool {
        (c.is_control() && c != '\n') || is_bidi_control(c)
    }

    const HOSTILE: &str = "[click](https://evil.example) <img src=x onerror=alert(1)> *bold* \
                           # head\n- item\n    code\n\u{1b}[2J\u{202e}txt";

    fn invalid(source: &str) -> String {
        let err = UpdateTemplate::parse(source).unwrap_err();
        assert_eq!(err.code(), "invalid");
        err.to_string()
    }

    fn file(format: &str, subject: &str, body: &str) -> String {
        format!("format = \"{format}\"\nsubject = \"{subject}\"\nbody = \"\"\"\n{body}\"\"\"\n")
    }

    fn named(p: Placeholder) -> String {
        format!("<{}>", p.as_str())
    }

    #[test]
    fn the_shipped_templates_parse_and_use_every_fact() {
        for audience in Audience::ALL {
            let t = UpdateTemplate::default_for(audience);
            for p in [
                Placeholder::Title,
                Placeholder::Status,
                Placeholder::NextUpdate,
            ] {
                assert!(t.placeholders().contains(&p), "{audience:?} lacks {p:?}");
            }
        }
        let internal = UpdateTemplate::default_for(Audience::Internal);
        assert_eq!(internal.format, TextFormat::Markdown);
        assert_eq!(internal.placeholders().len(), Placeholder::ALL.len());
        let customers = UpdateTemplate::default_for(Audience::Customers);
        assert_eq!(customers.format, TextFormat::Text);
        assert!(!customers.placeholders().contains(&Placeholder::Commander));
    }

    #[test]
    fn placeholders_are_replaced_and_the_rest_is_copied() {
        let t = UpdateTemplate::parse(&file(
            "text",
            "[{{ severity }}] {{title}}",
            "Now: {{status}} {single} }} {{next_update}}\n",
        ))
        .unwrap();
        let (subject, body) = t.render(named);
        assert_eq!(subject, "[<severity>] <title>");
        assert_eq!(body, "Now: <status> {single} }} <next_update>");
    }

    #[test]
    fn unknown_or_unclosed_placeholders_are_refused_at_import() {
        let err = invalid(&file("text", "{{title}}", "a\n{{ eta }}\n"));
        assert!(
            err.contains("unknown placeholder `{{eta}}` on line 2"),
            "{err}"
        );
        assert!(err.contains("known: title, incident"), "{err}");
        let err = invalid(&file("text", "{{title", "b"));
        assert!(
            err.contains("in the subject") && err.contains("not closed"),
            "{err}"
        );
        assert!(invalid(&file("text", "x", "{{{title}}}")).contains("unknown placeholder"));
        assert!(invalid(&file("html", "x", "y")).contains("unknown variant `html`"));
        assert!(invalid(&file("text", " ", "y")).contains("one line"));
        assert!(invalid(&file("text", "x", " ")).contains("body cannot be empty"));
        let extra = format!("{}colour = 1\n", file("text", "x", "y"));
        assert!(invalid(&extra).contains("unknown field `colour`"));
        let huge = file("text", "x", &"y".repeat(MAX_FILE_BYTES));
        assert!(invalid(&huge).contains("at most 32 KiB"));
    }

    #[test]
    fn hostile_values_stay_text_in_markdown() {
        let t = UpdateTemplate::parse(&file("markdown", "{{title}}", "T: {{title}}\n{{actions}}"))
            .unwrap();
        let (subject, body) = t.render(|_| HOSTILE.to_owned());
        for out in [&subject, &body] {
            assert!(!out.contains("](") && !out.contains(" <img") && !out.contains('\u{1b}'));
            assert!(!out.contains('\u{202e}'), "{out}");
            assert!(
                out.contains(r"\[click\]\(https\:\/\/evil\.example\)"),
                "{out}"
            );
            assert!(
                out.contains("\\<img src\\=x onerror\\=alert\\(1\\)\\>"),
                "{out}"
            );
        }
        assert!(
            !subject.contains('\n'),
            "a subject stays one line: {subject}"
        );
        let lines: Vec<&str> = body.lines().collect();
        assert_eq!(lines[2], "\\- item", "no list item: {body}");
        assert_eq!(lines[3], "code", "no indented code block: {body}");
        assert!(lines.iter().skip(1).all(|l| !l.starts_with('#')), "{body}");
    }

    #[test]
    fn hostile_values_stay_text_in_plain_text() {
        let t = UpdateTemplate::parse(&file("text", "{{title}}", "{{title}}\n{{impact}}")).unwrap();
        let (subject, body) = t.render(|_| HOSTILE.to_owned());
        assert!(
            subject.contains("[click](https://evil.example) <img"),
            "kept as typed"
        );
        assert!(!subject.contains('\n') && !subject.contains('\u{1b}'));
        assert!(!body.chars().any(is_hidden), "{body:?}");
        assert_eq!(body.lines().count(), 1 + HOSTILE.lines().count());
        let long = t.render(|_| "x".repeat(50_000)).1;
        assert!(long.chars().count() < MAX_LINE_VALUE_CHARS + MAX_TEXT_VALUE_CHARS + 10);
    }

    #[test]
    fn export_then_import_round_trips() {
        for audience in Audience::ALL {
            let t = UpdateTemplate::default_for(audience);
            assert_eq!(UpdateTemplate::parse(&t.to_toml(audience)).unwrap(), t);
        }
        let odd = UpdateTemplate {
            format: TextFormat::Markdown,
            subject: "Quotes \" ''' and \\ {{title}}".into(),
            body: "\"\"\" triple\n{{ actions }}\n# heading of the template itself".into(),
        };
        let back = UpdateTemplate::parse(&odd.to_toml(Audience::Internal)).unwrap();
        assert_eq!(back, odd);
    }
}
