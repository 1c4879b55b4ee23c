//! Blameless language hints: explainable rules that flag phrasing which blames a person or
//! leans on hindsight, each with why it matters and a reframing to consider.
//!
//! The rules match whole words, ignoring case, and say exactly what matched. They are hints,
//! not a gate: the author dismisses one that does not apply, and the dismissal is kept per
//! postmortem by rule and sentence, so editing that sentence brings the hint back. Fenced code
//! blocks are not checked (logs and commands are quoted there, not written by the author).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A rule: phrases that trigger it, and what to tell the author.
struct Rule {
    id: &'static str,
    phrases: &'static [&'static str],
    /// Only when the word before is a person (a name, a pronoun, a role): `failed to` is
    /// blame for an engineer and a plain fact for a health check.
    needs_person: bool,
    why: &'static str,
    suggestion: &'static str,
}

const RULES: &[Rule] = &[
    Rule {
        id: "should-have",
        phrases: &[
            "should have",
            "should've",
            "shouldn't have",
            "should not have",
            "ought to have",
            "could have avoided",
        ],
        needs_person: false,
        why: "Judges a past choice by what is known now (counterfactual); it explains nothing \
              about why the choice made sense at the time.",
        suggestion: "Describe what the person knew and saw then, and what would have made \
                     another choice easier (a signal, a check, a default).",
    },
    Rule {
        id: "failed-to",
        phrases: &[
            "failed to",
            "neglected to",
            "forgot to",
            "didn't bother",
            "did not bother",
        ],
        needs_person: true,
        why: "Frames an outcome as a person's failing, which invites defensiveness and hides \
              the conditions that made the step easy to miss.",
        suggestion: "Say what did not happen and why it was easy to miss: \"the step was not \
                     in the runbook\", \"the alert did not reach the on-call\".",
    },
    Rule {
        id: "human-error",
        phrases: &[
            "human error",
            "operator error",
            "user error",
            "pilot error",
            "human mistake",
        ],
        needs_person: false,
        why: "\"Human error\" is where an investigation stops, not a cause: it does not say \
              what in the system allowed one action to do this much harm.",
        suggestion: "Name the system conditions: what made the action possible, likely and \
                     unchecked (no confirmation, no dry run, a misleading name).",
    },
    Rule {
        id: "careless",
        phrases: &[
            "careless",
            "carelessly",
            "carelessness",
            "sloppy",
            "negligent",
            "negligence",
            "lazy",
            "incompetent",
            "incompetence",
            "reckless",
            "stupid mistake",
            "dumb mistake",
        ],
        needs_person: false,
        why: "Describes a person's character rather than the work; people stop reporting \
              near misses where this is written.",
        suggestion: "Describe the action and its context instead of judging the person.",
    },
    Rule {
        id: "hindsight",
        phrases: &[
            "obviously",
            "it was obvious",
            "clearly should",
            "if only",
            "in hindsight",
            "with hindsight",
            "should have known",
            "no excuse",
            "all they had to do",
            "all he had to do",
            "all she had to do",
            "simply had to",
            "just had to",
        ],
        needs_person: false,
        why: "Hindsight makes the path look obvious once the outcome is known; it was not \
              obvious to the people in it.",
        suggestion: "Show what was ambiguous at the time: competing signals, missing \
                     information, time pressure.",
    },
    Rule {
        id: "blame",
        phrases: &[
            "to blame", "at fault", "'s fault", "fault of", "blamed", "blame",
        ],
        needs_person: false,
        why: "Looks for someone responsible instead of something to change; the review \
              learns less when people expect blame.",
        suggestion: "Ask what made the outcome possible, and write that down as a \
                     contributing factor.",
    },
    Rule {
        id: "person-as-cause",
        phrases: &[
            "caused",
            "broke",
            "deleted",
            "dropped",
            "forgot",
            "missed",
            "ignored",
            "misconfigured",
            "messed up",
            "screwed up",
            "mistakenly",
            "accidentally",
            "wrongly",
            "made a mistake",
            "was responsible",
        ],
        needs_person: true,
        why: "Makes a person the subject of the cause; the same action by anyone else would \
              have had the same effect.",
        suggestion: "Make the system the subject: \"the deploy removed the index\" rather than \
                     \"Ana removed the index\", then ask why the system allowed it.",
    },
];

/// Words that stand for a person even without a name.
/// "We" and "I" are left out: a team writing "we missed the alert" owns it together.
const PERSON_WORDS: &[&str] = &[
    "he",
    "she",
    "they",
    "someone",
    "somebody",
    "engineer",
    "operator",
    "developer",
    "responder",
    "admin",
    "on-call",
    "oncall",
    "reviewer",
    "sre",
];

/// The most hints one check returns: more would not help anyone, and the cap keeps a
/// pathological text (the same phrase thousands of times) cheap to check.
pub const MAX_HINTS: usize = 200;

/// One flagged phrase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Hint {
    /// The rule's id, e.g. `should-have`.
    pub rule: String,
    /// The text that matched, as written.
    pub matched: String,
    /// 1-based line of the match.
    pub line: u32,
    /// Byte offsets of the match in the body.
    pub start: u32,
    pub end: u32,
    /// The same in UTF-16 code units, as editors in the window count.
    pub utf16_start: u32,
    pub utf16_end: u32,
    pub why: String,
    pub suggestion: String,
    /// What a dismissal is kept under: the rule and the sentence.
    pub fingerprint: String,
}

/// A word of the body: its byte span and its lower-case form.
struct Word {
    start: usize,
    end: usize,
    lower: String,
    /// Written with a capital: only then can a word like "Will" be a name.
    capital: bool,
}

/// The hints for `body`. `people` are names (responders, the account directory) that make
/// a sentence's subject a person.
pub fn check(body: &str, people: &[String]) -> Vec<Hint> {
    let words = words(body);
    let names = name_words(people);
    let code = code_blocks(body);
    let mut hits: Vec<(usize, usize, &Rule)> = Vec::new();
    let mut hints = Vec::with_capacity(MAX_HINTS);
    for rule in RULES {
        for phrase in rule.phrases {
            let phrase = tokens(phrase);
            for at in find(&words, &phrase) {
                let last = &words[at + phrase.len() - 1];
                let start = words[at].start;
                if code.iter().any(|(from, to)| (*from..*to).contains(&start)) {
                    continue;
                }
                if rule.needs_person && !after_person(&words, at, &names) {
                    continue;
                }
                hits.push((start, last.end, rule));
            }
        }
    }
    hits.sort_by_key(|(start, _, rule)| (*start, rule.id));
    hits.dedup_by(|a, b| a.0 < b.1 && a.2.id == b.2.id);
    hits.truncate(MAX_HINTS);
    for (start, end, rule) in hits {
        hints.push(hint(body, rule, start, end));
    }
    hints
}

fn hint(body: &str, rule: &Rule, start: usize, end: usize) -> Hint {
    let utf16 = |at: usize| body[..at].encode_utf16().count() as u32;
    Hint {
        rule: rule.id.to_string(),
        matched: body[start..end].to_string(),
        line: body[..start].matches('\n').count() as u32 + 1,
        start: start as u32,
        end: end as u32,
        utf16_start: utf16(start),
        utf16_end: utf16(end),
        why: rule.why.to_string(),
        suggestion: rule.suggestion.to_string(),
        fingerprint: fingerprint(rule.id, sentence(body, start)),
    }
}

/// Words: letters, digits, `-` and apostrophes inside a word; a trailing `'s` is its own word
/// so `Ana's fault` matches `'s fault`.
fn words(text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut start = None;
    let is_word = |c: char| c.is_alphanumeric() || c == '\'' || c == '’' || c == '-';
    for (i, c) in text.char_indices().chain([(text.len(), ' ')]) {
        match (start, is_word(c)) {
            (None, true) => start = Some(i),
            (Some(s), false) => {
                push_word(&mut out, text, s, i);
                start = None;
            }
            _ => {}
        }
    }
    out
}

fn push_word(out: &mut Vec<Word>, text: &str, start: usize, end: usize) {
    let raw = text[start..end].trim_matches(['\'', '’', '-']);
    if raw.is_empty() {
        return;
    }
    let start = start + text[start..end].find(raw).unwrap_or(0);
    let end = start + raw.len();
    let lower = raw.to_lowercase().replace('’', "'");
    let capital = raw.starts_with(char::is_uppercase);
    if let Some(stem) = lower.strip_suffix("'s").filter(|s| !s.is_empty()) {
        let cut = start + stem.len();
        let (stem, s) = (stem.to_string(), "'s".to_string());
        out.push(Word {
            start,
            end: cut,
            lower: stem,
            capital,
        });
        out.push(Word {
            start: cut,
            end,
            lower: s,
            capital: false,
        });
        return;
    }
    out.push(Word {
        start,
        end,
        lower,
        capital,
    });
}

/// A rule's phrase or a name as lower-case words; a phrase may start with `'s`.
fn tokens(phrase: &str) -> Vec<String> {
    phrase.split_whitespace().map(str::to_lowercase).collect()
}

fn find(words: &[Word], phrase: &[String]) -> Vec<usize> {
    if phrase.is_empty() || words.len() < phrase.len() {
        return Vec::new();
    }
    (0..=words.len() - phrase.len())
        .filter(|&i| {
            phrase
                .iter()
                .enumerate()
                .all(|(k, p)| words[i + k].lower == *p)
        })
        .collect()
}

/// Each name's words, lower case; a one-letter word is too ambiguous to count.
fn name_words(people: &[String]) -> Vec<String> {
    let mut names: Vec<String> = (people.iter())
        .flat_map(|p| tokens(p))
        .filter(|w| w.chars().count() > 1)
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Whether a person is the subject just before `at`: within two words, so "Ana quickly
/// deleted" and "the engineer forgot to" count.
fn after_person(words: &[Word], at: usize, names: &[String]) -> bool {
    let from = at.saturating_sub(3);
    (from..at).any(|i| {
        let w = &words[i];
        PERSON_WORDS.contains(&w.lower.as_str())
            || (w.capital && names.binary_search(&w.lower).is_ok())
    })
}

/// The byte ranges of fenced code blocks (```` ``` ```` or `~~~`); an unclosed fence runs
/// to the end, as Markdown renders it.
fn code_blocks(body: &str) -> Vec<(usize, usize)> {
    let mut blocks = Vec::new();
    let mut open = None;
    let mut at = 0;
    for line in body.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            match open.take() {
                None => open = Some(at),
                Some(from) => blocks.push((from, at + line.len())),
            }
        }
        at += line.len();
    }
    if let Some(from) = open {
        blocks.push((from, body.len()));
    }
    blocks
}

/// The sentence around `at`: between the nearest `.`, `!`, `?` or line break on each side.
fn sentence(body: &str, at: usize) -> &str {
    let stop = |c: char| matches!(c, '.' | '!' | '?' | '\n');
    let start = body[..at].rfind(stop).map(|i| i + 1).unwrap_or(0);
    let end = body[at..].find(stop).map(|i| at + i).unwrap_or(body.len());
    &body[start..end]
}

fn fingerprint(rule: &str, sentence: &str) -> String {
    let words: Vec<String> = sentence.split_whitespace().map(str::to_lowercase).collect();
    let text: String = words.join(" ").chars().take(300).collect();
    format!("{rule}:{text}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `flag RULE | text` must raise that rule (and only listed ones); `pass | text` none.
    const CORPUS: &str = include_str!("hints-corpus.txt");

    fn people() -> Vec<String> {
        ["Ana Silva", "Bo", "Will Chen"].map(String::from).to_vec()
    }

    #[test]
    fn the_corpus_is_flagged_as_labelled() {
        let mut failures = Vec::new();
        let (mut positives, mut negatives) = (0, 0);
        for line in CORPUS
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        {
            let (label, text) = line.split_once('|').expect("label | text");
            let rules: Vec<String> = check(text.trim(), &people())
                .into_iter()
                .map(|h| h.rule)
                .collect();
            let expected: Vec<&str> = label.split_whitespace().skip(1).collect();
            let ok = match label.split_whitespace().next() {
                Some("flag") => {
                    positives += 1;
                    expected.iter().all(|e| rules.iter().any(|r| r == e))
                }
                _ => {
                    negatives += 1;
                    rules.is_empty()
                }
            };
            if !ok {
                failures.push(format!("{line}\n    got {rules:?}"));
            }
        }
        assert!(
            positives >= 20 && negatives >= 20,
            "{positives} / {negatives}"
        );
        assert!(failures.is_empty(), "misjudged:\n{}", failures.join("\n"));
    }

    #[test]
    fn a_hint_says_where_and_why() {
        let body = "## Factors\n\nThe résumé step: Ana should have checked.";
        let hints = check(body, &people());
        assert_eq!(hints.len(), 1, "{hints:?}");
        let h = &hints[0];
        assert_eq!(
            (h.rule.as_str(), h.matched.as_str(), h.line),
            ("should-have", "should have", 3)
        );
        assert_eq!(&body[h.start as usize..h.end as usize], "should have");
        let utf16: Vec<u16> = body.encode_utf16().collect();
        let matched = String::from_utf16(&utf16[h.utf16_start as usize..h.utf16_end as usize]);
        assert_eq!(matched.unwrap(), "should have");
        assert_eq!(
            h.fingerprint,
            "should-have:the résumé step: ana should have checked"
        );
        assert!(!h.why.is_empty() && !h.suggestion.is_empty());
    }

    #[test]
    fn code_blocks_are_not_checked() {
        let body = "```\nerror: job failed to start; he forgot to\n```\nAll fine.";
        assert!(check(body, &people()).is_empty());
        let after = check("```\nx\n```\nHe forgot to\n~~~\nhe forgot to", &people());
        assert!(
            !after.is_empty() && after.iter().all(|h| h.line == 4),
            "{after:?}"
        );
    }

    #[test]
    fn a_pathological_text_is_capped() {
        let body = "Obviously they should have known. ".repeat(5_000);
        let hints = check(&body, &people());
        assert_eq!(hints.len(), MAX_HINTS);
        assert!(hints.windows(2).all(|w| w[0].start <= w[1].start));
    }
}
