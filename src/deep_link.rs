//! Deep links into the app: `tocsin://incident/<account>/<id>` names one incident, so a chat
//! message, a runbook or a calendar entry can open it in the window.
//!
//! `<account>` is the account's number or its name; `<id>` is the provider's incident id (or
//! Tocsin's own number for the incident). Both may be percent-encoded.

use crate::error::{Error, Result};
use crate::model::Id;
use crate::Tocsin;

/// The scheme the desktop app registers.
pub const SCHEME: &str = "tocsin";

/// Links longer than this are not something a person pasted.
const MAX_LINK_BYTES: usize = 2048;

/// What a deep link asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeepLink {
    Incident { account: String, incident: String },
}

/// Reads a deep link; `None` for anything that is not one of ours, well formed.
pub fn parse(link: &str) -> Option<DeepLink> {
    if link.len() > MAX_LINK_BYTES {
        return None;
    }
    let (scheme, rest) = link.split_once("://")?;
    if !scheme.eq_ignore_ascii_case(SCHEME) {
        return None;
    }
    // A query or fragment carries nothing we read.
    let path = rest.split(['?', '#']).next().unwrap_or_default();
    let parts: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let [kind, account, incident] = parts.as_slice() else {
        return None;
    };
    if !kind.eq_ignore_ascii_case("incident") {
        return None;
    }
    let account = decode(account)?;
    let incident = decode(incident)?;
    if account.is_empty() || incident.is_empty() {
        return None;
    }
    Some(DeepLink::Incident { account, incident })
}

/// Percent-decodes one path segment; `None` for bad escapes, non-UTF-8 or control characters.
fn decode(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = segment.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    let text = String::from_utf8(out).ok()?;
    (!text.chars().any(char::is_control)).then_some(text)
}

impl Tocsin {
    /// The incident a deep link names, looked up in the cache of the account it names.
    pub fn resolve_deep_link(&self, link: &DeepLink) -> Result<Id> {
        let DeepLink::Incident { account, incident } = link;
        let found = match account.parse::<Id>() {
            Ok(id) => self.store.account(id),
            Err(_) => self.store.account_by_name(account),
        }?;
        let id = self.store.incident_in_account(found.id, incident)?;
        tracing::info!(account = found.id, incident = id, "deep link resolved");
        Ok(id)
    }
}

impl DeepLink {
    /// The link that opens an incident, for copying out of the window.
    pub fn incident_url(account: Id, provider_id: &str) -> String {
        let safe = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~');
        let encoded: String = provider_id
            .chars()
            .flat_map(|c| {
                if safe(c) {
                    vec![c.to_string()]
                } else {
                    let mut buf = [0; 4];
                    let bytes = c.encode_utf8(&mut buf).as_bytes().to_vec();
                    bytes.iter().map(|b| format!("%{b:02X}")).collect()
                }
            })
            .collect();
        format!("{SCHEME}://incident/{account}/{encoded}")
    }
}

/// Refuses a link that is not one of ours, with the shape expected.
pub fn parse_or_explain(link: &str) -> Result<DeepLink> {
    parse(link).ok_or_else(|| {
        Error::Invalid(format!(
            "not a Tocsin link (expected {SCHEME}://incident/<account>/<id>): {}",
            link.chars().take(200).collect::<String>().escape_debug()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incident(account: &str, incident: &str) -> Option<DeepLink> {
        Some(DeepLink::Incident {
            account: account.into(),
            incident: incident.into(),
        })
    }

    #[test]
    fn links_of_ours_are_read_and_others_are_not() {
        assert_eq!(
            parse("tocsin://incident/2/PABC123"),
            incident("2", "PABC123")
        );
        assert_eq!(
            parse("TOCSIN://Incident/2/PABC123/"),
            incident("2", "PABC123")
        );
        assert_eq!(
            parse("tocsin://incident/Ops%20EU/P1?x=1#y"),
            incident("Ops EU", "P1")
        );
        for bad in [
            "https://incident/2/P1",
            "tocsin://incident/2",
            "tocsin://incident/2/P1/extra",
            "tocsin://schedule/2/P1",
            "tocsin://incident//P1",
            "tocsin://incident/2/%ZZ",
            "tocsin://incident/2/%0A",
            "tocsin://incident/2/%FF",
            "tocsin:incident/2/P1",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
        assert_eq!(
            parse(&format!("tocsin://incident/2/{}", "P".repeat(3000))),
            None
        );
    }

    #[test]
    fn a_made_link_reads_back_whatever_the_id_holds() {
        for id in ["PABC123", "local-1733-4", "fingerprint/with space", "é%"] {
            let url = DeepLink::incident_url(7, id);
            assert_eq!(parse(&url), incident("7", id), "{url}");
        }
    }

    #[test]
    fn a_link_opens_the_incident_of_the_account_it_names_only() {
        let dir = tempfile::tempdir().unwrap();
        let tocsin = Tocsin::open(dir.path()).unwrap();
        let declared = tocsin.declare_local("Disk full", 2).unwrap();
        let account = declared.account_id.to_string();

        let by_provider = incident(&account, &declared.provider_id).unwrap();
        assert_eq!(tocsin.resolve_deep_link(&by_provider).unwrap(), declared.id);
        let by_name = incident("Local workspace", &declared.provider_id).unwrap();
        assert_eq!(tocsin.resolve_deep_link(&by_name).unwrap(), declared.id);

        let elsewhere = incident("999", &declared.provider_id).unwrap();
        assert_eq!(
            tocsin.resolve_deep_link(&elsewhere).unwrap_err().code(),
            "not_found"
        );
        let unknown = incident(&account, "PNOPE").unwrap();
        assert_eq!(
            tocsin.resolve_deep_link(&unknown).unwrap_err().code(),
            "not_found"
        );
    }
}
