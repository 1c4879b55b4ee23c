//! Signed updates: check the chosen channel, download and verify with progress, and install on
//! a person's click. tauri-plugin-updater fetches and checks the minisign signature; this file
//! keeps what was offered and verified, and turns the plugin's errors into codes the UI uses.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tauri::{AppHandle, Emitter, Runtime, State, Url};
use tauri_plugin_updater::{Error as UpdaterError, Update, UpdaterExt};
use tocsin::updates::{self, UpdateChannel};
use tocsin::Tocsin;
use ts_rs::TS;

use crate::commands::{with_core, CommandError, CommandResult};
use crate::MAIN_WINDOW;

/// Sent to the window while an update downloads.
pub const EVENT_UPDATE_PROGRESS: &str = "tocsin://update-progress";

/// How long a manifest request may take before the check reports `update_offline`.
const CHECK_TIMEOUT: Duration = Duration::from_secs(30);

/// Progress is sent at most once per this many bytes (and once at the end), so a large
/// artifact does not flood the window with events.
const PROGRESS_STEP: u64 = 64 * 1024;

/// Where the updater looks, fixed when the shell starts.
#[derive(Debug, Clone)]
pub struct UpdateSource {
    /// The base of the manifest URLs; the channel and the placeholders are appended.
    pub base: String,
}

/// What was offered by the last check and what was downloaded and verified since.
#[derive(Default)]
pub struct UpdateState {
    offered: Mutex<Option<Update>>,
    verified: Mutex<Option<Verified>>,
}

/// An update whose bytes passed the signature check; only these are ever installed.
struct Verified {
    update: Update,
    bytes: Vec<u8>,
}

/// An update the release channel offers, as the window shows it.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct UpdateOffer {
    pub version: String,
    pub current_version: String,
    /// The release notes, shown as plain text.
    pub notes: Option<String>,
    /// When it was published (RFC 3339), when the manifest says.
    pub date: Option<String>,
}

/// The payload of `tocsin://update-progress`.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct UpdateProgress {
    pub downloaded: u64,
    /// The artifact's size, when the server says.
    pub total: Option<u64>,
}

/// Asks the chosen channel for a newer version; `None` when this is the newest. Only ever
/// called from a person's click: nothing checks on its own.
#[tauri::command]
pub async fn check_for_update<R: Runtime>(
    app: AppHandle<R>,
    tocsin: State<'_, Arc<Tocsin>>,
    source: State<'_, UpdateSource>,
    state: State<'_, UpdateState>,
) -> CommandResult<Option<UpdateOffer>> {
    let channel = with_core(&tocsin, |core| core.update_channel()).await?;
    let endpoint = updates::endpoint(&source.base, channel);
    let url = Url::parse(&endpoint).map_err(|e| update_error("update_config", e))?;
    let updater = app
        .updater_builder()
        .endpoints(vec![url])
        .and_then(|b| b.timeout(CHECK_TIMEOUT).build())
        .map_err(classify)?;

    let found = updater.check().await.map_err(|err| {
        tracing::warn!(channel = channel.as_str(), %err, "update check failed");
        classify(err)
    })?;
    tracing::info!(
        channel = channel.as_str(),
        offered = found.as_ref().map(|u| u.version.as_str()),
        "checked for updates"
    );

    // A new check starts over: what an earlier check offered and verified is forgotten, so a
    // click can only ever install what the window shows now.
    let offer = found.as_ref().map(offer_of);
    *lock(&state.offered) = found;
    *lock(&state.verified) = None;
    Ok(offer)
}

/// Downloads the offered update, sending progress to the window, and keeps it once its
/// signature checks out. A bad signature keeps nothing: the bytes are dropped here.
#[tauri::command]
pub async fn download_update<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, UpdateState>,
) -> CommandResult<UpdateOffer> {
    let update = lock(&state.offered).clone().ok_or_else(nothing_offered)?;
    *lock(&state.verified) = None;

    let mut downloaded = 0u64;
    let mut reported = 0u64;
    let on_chunk = |len: usize, total: Option<u64>| {
        downloaded += len as u64;
        if downloaded - reported >= PROGRESS_STEP || Some(downloaded) == total {
            reported = downloaded;
            progress(&app, UpdateProgress { downloaded, total });
        }
    };
    let bytes = update.download(on_chunk, || {}).await.map_err(|err| {
        tracing::warn!(version = %update.version, %err, "update download refused");
        classify(err)
    })?;
    let size = bytes.len();
    tracing::info!(version = %update.version, bytes = size, "update downloaded and verified");

    let offer = offer_of(&update);
    *lock(&state.verified) = Some(Verified { update, bytes });
    Ok(offer)
}

/// Installs the verified update and restarts into it. Only a person's click calls this; on
/// Linux the package manager asks for their password first.
#[tauri::command]
pub async fn install_update_on_restart<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, UpdateState>,
) -> CommandResult<()> {
    let verified = lock(&state.verified)
        .take()
        .ok_or_else(nothing_downloaded)?;
    tracing::info!(version = %verified.update.version, "installing an update");

    let installing = tauri::async_runtime::spawn_blocking(move || {
        let done = verified.update.install(&verified.bytes);
        (done, verified)
    });
    let (done, verified) = installing.await.map_err(CommandError::internal)?;
    if let Err(err) = done {
        tracing::warn!(%err, "installing the update failed");
        // Kept, so another click can try again (after a cancelled password prompt, say).
        *lock(&state.verified) = Some(verified);
        return Err(classify(err));
    }
    app.restart()
}

/// The channel updates come from.
#[tauri::command]
pub async fn get_update_channel(tocsin: State<'_, Arc<Tocsin>>) -> CommandResult<UpdateChannel> {
    with_core(&tocsin, |core| core.update_channel()).await
}

/// Chooses the channel; whatever the other channel offered or downloaded is forgotten.
#[tauri::command]
pub async fn set_update_channel(
    tocsin: State<'_, Arc<Tocsin>>,
    state: State<'_, UpdateState>,
    channel: UpdateChannel,
) -> CommandResult<UpdateChannel> {
    with_core(&tocsin, move |core| core.set_update_channel(channel)).await?;
    *lock(&state.offered) = None;
    *lock(&state.verified) = None;
    Ok(channel)
}

fn offer_of(update: &Update) -> UpdateOffer {
    // The manifest's own spelling of the date, so the UI formats it like every other time.
    let date = update.raw_json.get("pub_date").and_then(|d| d.as_str());
    UpdateOffer {
        version: update.version.clone(),
        current_version: update.current_version.clone(),
        notes: update.body.clone(),
        date: date.map(str::to_owned),
    }
}

fn progress<R: Runtime>(app: &AppHandle<R>, payload: UpdateProgress) {
    if let Err(err) = app.emit_to(MAIN_WINDOW, EVENT_UPDATE_PROGRESS, payload) {
        tracing::debug!(%err, "could not tell the window about download progress");
    }
}

/// A poisoned lock only means another command panicked mid-way; the slot is still usable.
fn lock<T>(slot: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn nothing_offered() -> CommandError {
    update_error(
        "update_none",
        "Check for updates first; no update is on offer",
    )
}

fn nothing_downloaded() -> CommandError {
    update_error(
        "update_none",
        "Download the update first; nothing verified is waiting to be installed",
    )
}

fn update_error(code: &str, message: impl std::fmt::Display) -> CommandError {
    CommandError {
        code: code.to_owned(),
        message: message.to_string(),
    }
}

/// Sorts the updater's errors by what a person can do about them.
pub fn classify(err: UpdaterError) -> CommandError {
    use UpdaterError as E;
    match &err {
        E::Minisign(_)
        | E::Base64(_)
        | E::SignatureUtf8(_)
        | E::SignedVersionMismatch { .. }
        | E::MissingSignedVersion => update_error(
            "update_signature",
            format!(
                "The update failed its signature check and was discarded; nothing was \
                 installed. It may have been damaged or tampered with ({err})"
            ),
        ),
        E::Reqwest(e) if e.is_decode() => update_manifest(&err),
        E::Reqwest(_) | E::Network(_) => update_error(
            "update_offline",
            format!("Cannot reach the update server: {err}"),
        ),
        E::ReleaseNotFound
        | E::Serialization(_)
        | E::Semver(_)
        | E::TargetNotFound(_)
        | E::TargetsNotFound(_) => update_manifest(&err),
        E::EmptyEndpoints | E::InsecureTransportProtocol | E::UrlParse(_) => update_error(
            "update_config",
            format!("The update source is not usable: {err}"),
        ),
        _ => update_error("update_install", format!("The update failed: {err}")),
    }
}

fn update_manifest(err: &UpdaterError) -> CommandError {
    update_error(
        "update_manifest",
        format!("The update server sent a manifest Tocsin cannot use: {err}"),
    )
}
