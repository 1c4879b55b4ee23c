//! Which release channel the app updates from, and where that channel's manifest lives.
//!
//! The shell's updater (tauri-plugin-updater) does the fetching and the signature checks; the
//! core only keeps the person's choice and builds the endpoint, so both are testable headless.

use std::path::Path;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{Error, Result};

/// Where releases are published. Nothing contacts it unless a person clicks "Check for updates".
// TODO(updates): confirm the release host once the release pipeline publishes manifests there.
pub const DEFAULT_UPDATE_BASE: &str = "https://releases.tocsin.dev/updates";

/// A test and staging hook: a base URL that replaces [`DEFAULT_UPDATE_BASE`]. Release builds
/// accept only `https` here; plain `http` (a loopback test server) works in debug builds.
pub const UPDATE_URL_VAR: &str = "TOCSIN_UPDATE_URL";

/// The file in the data directory that keeps the chosen channel.
const CHANNEL_FILE: &str = "update-channel";

/// A release channel: stable releases only, or also the betas before them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum UpdateChannel {
    #[default]
    Stable,
    Beta,
}

impl UpdateChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            UpdateChannel::Stable => "stable",
            UpdateChannel::Beta => "beta",
        }
    }

    pub fn parse(text: &str) -> Result<UpdateChannel> {
        match text.trim() {
            "stable" => Ok(UpdateChannel::Stable),
            "beta" => Ok(UpdateChannel::Beta),
            other => Err(Error::Invalid(format!(
                "`{other}` is not an update channel; use `stable` or `beta`"
            ))),
        }
    }
}

/// The base URL for update manifests: `TOCSIN_UPDATE_URL` when set and not empty, else the
/// release host.
pub fn update_base() -> String {
    std::env::var(UPDATE_URL_VAR)
        .ok()
        .filter(|base| !base.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_UPDATE_BASE.to_owned())
}

/// The manifest URL of a channel under `base`, with the placeholders the updater fills in.
pub fn endpoint(base: &str, channel: UpdateChannel) -> String {
    let base = base.trim_end_matches('/');
    let channel = channel.as_str();
    format!("{base}/{channel}/{{{{target}}}}/{{{{arch}}}}/{{{{current_version}}}}")
}

/// The channel chosen in `data_dir`; stable when none was chosen. An unreadable choice also
/// falls back to stable (logged), since betas must never be installed by accident.
pub fn channel(data_dir: &Path) -> Result<UpdateChannel> {
    let text = match std::fs::read_to_string(data_dir.join(CHANNEL_FILE)) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(UpdateChannel::Stable),
        Err(err) => return Err(err.into()),
    };
    Ok(UpdateChannel::parse(&text).unwrap_or_else(|err| {
        tracing::warn!(%err, "unknown update channel on disk; using stable");
        UpdateChannel::Stable
    }))
}

/// Keeps the chosen channel in `data_dir`, replacing the file whole so a crash leaves either
/// the old choice or the new one.
pub fn set_channel(data_dir: &Path, channel: UpdateChannel) -> Result<()> {
    let path = data_dir.join(CHANNEL_FILE);
    let partial = data_dir.join(format!("{CHANNEL_FILE}.partial"));
    std::fs::write(&partial, channel.as_str())?;
    std::fs::rename(&partial, &path)?;
    tracing::info!(channel = channel.as_str(), "update channel changed");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_name_the_channel_and_keep_the_placeholders() {
        assert_eq!(
            endpoint("http://127.0.0.1:8/u/", UpdateChannel::Beta),
            "http://127.0.0.1:8/u/beta/{{target}}/{{arch}}/{{current_version}}"
        );
        assert!(endpoint(DEFAULT_UPDATE_BASE, UpdateChannel::Stable).contains("/stable/"));
    }

    #[test]
    fn the_channel_defaults_to_stable_and_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(channel(dir.path()).unwrap(), UpdateChannel::Stable);

        set_channel(dir.path(), UpdateChannel::Beta).unwrap();
        assert_eq!(channel(dir.path()).unwrap(), UpdateChannel::Beta);

        std::fs::write(dir.path().join(CHANNEL_FILE), "nightly").unwrap();
        assert_eq!(channel(dir.path()).unwrap(), UpdateChannel::Stable);
    }

    #[test]
    fn unknown_channels_are_refused_with_the_choices() {
        let err = UpdateChannel::parse("nightly").unwrap_err();
        assert_eq!(err.code(), "invalid");
        assert!(err.to_string().contains("stable"));
    }
}
