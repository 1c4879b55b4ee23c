//! A postmortem's Markdown, from bytes: rendered to the sanitized HTML of the export, checked
//! for hints, and filled as a template.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tocsin::postmortem::{export, hints, template};

/// Elements the sanitizer must never let through, whatever the Markdown.
const FORBIDDEN: [&str; 8] = [
    "script", "img", "iframe", "style", "form", "object", "embed", "svg",
];

fuzz_target!(|data: &[u8]| {
    let Ok(markdown) = std::str::from_utf8(data) else {
        return;
    };
    let html = export::render_html(markdown);
    for (name, attributes) in tags(&html) {
        assert!(!FORBIDDEN.contains(&name.as_str()), "<{name}> survived");
        for attribute in attributes {
            assert!(
                !attribute.starts_with("on"),
                "{attribute} survived on <{name}>"
            );
            assert!(attribute != "style", "a style survived on <{name}>");
        }
    }

    let people = ["Ada Responder".to_string(), "Bo".to_string()];
    for hint in hints::check(markdown, &people) {
        assert!(hint.start <= hint.end && hint.end as usize <= markdown.len());
    }
    let _ = template::fill(markdown, &|name: &str| format!("[{name}]"));
});

/// Each tag of serialized HTML with its attribute names, lower-cased. The serializer quotes
/// every attribute value with `"`, so a `<` or `>` inside quotes is not markup.
fn tags(html: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        rest = &rest[open + 1..];
        let (mut inside, mut quoted, mut end) = (String::new(), false, rest.len());
        for (i, c) in rest.char_indices() {
            match c {
                '"' => quoted = !quoted,
                '>' if !quoted => {
                    end = i;
                    break;
                }
                _ if quoted => {}
                c => inside.push(c),
            }
        }
        rest = &rest[end..];
        let lower = inside.to_ascii_lowercase();
        let mut words = lower.split(|c: char| c.is_whitespace() || c == '/');
        let name = words
            .find(|w| !w.is_empty())
            .unwrap_or_default()
            .to_string();
        let attributes = words
            .filter(|w| !w.is_empty())
            .map(|w| w.split('=').next().unwrap_or_default().to_string())
            .collect();
        out.push((name, attributes));
    }
    out
}
