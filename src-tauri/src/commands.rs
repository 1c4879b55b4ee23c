//! The app's Tauri commands: each one forwards to the core and turns its error into `{code,
//! message}` so the UI branches on a stable code, never on message text.

use std::sync::Arc;

use serde::Serialize;
use tauri::State;
use tocsin::escalation::EscalationOutlook;
use tocsin::model::{
    Account, AccountHealth, Action, ActionKind, Declaration, Id, Incident, IncidentDetail,
    IncidentFilter, OnCall, OutboxEntry, PagerStatus, Person, Priority, Service,
};
use tocsin::sync::Engine;
use tocsin::{NewAccount, Tocsin};
use ts_rs::TS;

/// What a failed command sends to the UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct CommandError {
    /// A stable code from `tocsin::Error::code`, or `internal` for a failure of the shell itself.
    pub code: String,
    pub message: String,
}

impl From<tocsin::Error> for CommandError {
    fn from(err: tocsin::Error) -> Self {
        CommandError {
            code: err.code().to_owned(),
            message: err.to_string(),
        }
    }
}

impl CommandError {
    pub(crate) fn internal(err: impl std::fmt::Display) -> Self {
        CommandError {
            code: "internal".to_owned(),
            message: err.to_string(),
        }
    }
}

pub(crate) type CommandResult<T> = Result<T, CommandError>;

/// Runs a core call on the blocking pool: the core talks to SQLite and the keychain
/// synchronously, and the IPC thread must stay free for other requests meanwhile.
pub(crate) async fn with_core<T, F>(tocsin: &Arc<Tocsin>, call: F) -> CommandResult<T>
where
    T: Send + 'static,
    F: FnOnce(&Tocsin) -> tocsin::Result<T> + Send + 'static,
{
    let tocsin = Arc::clone(tocsin);
    let joined = tauri::async_runtime::spawn_blocking(move || call(&tocsin)).await;
    joined
        .map_err(CommandError::internal)?
        .map_err(CommandError::from)
}

#[tauri::command]
pub async fn list_incidents(
    tocsin: State<'_, Arc<Tocsin>>,
    filter: IncidentFilter,
) -> CommandResult<Vec<Incident>> {
    with_core(&tocsin, move |core| core.incidents(&filter)).await
}

/// The incident with its timeline; the engine fetches a missing PagerDuty timeline first.
#[tauri::command]
pub async fn get_incident(engine: State<'_, Arc<Engine>>, id: Id) -> CommandResult<IncidentDetail> {
    let engine = Arc::clone(&engine);
    let joined = tauri::async_runtime::spawn(async move { engine.incident(id).await }).await;
    joined
        .map_err(CommandError::internal)?
        .map_err(CommandError::from)
}

#[tauri::command]
pub async fn list_services(tocsin: State<'_, Arc<Tocsin>>) -> CommandResult<Vec<Service>> {
    with_core(&tocsin, |core| core.services()).await
}

#[tauri::command]
pub async fn oncall_now(tocsin: State<'_, Arc<Tocsin>>) -> CommandResult<Vec<OnCall>> {
    with_core(&tocsin, |core| core.oncall_now()).await
}

#[tauri::command]
pub async fn account_health(tocsin: State<'_, Arc<Tocsin>>) -> CommandResult<Vec<AccountHealth>> {
    with_core(&tocsin, |core| core.health()).await
}

#[tauri::command]
pub async fn list_accounts(tocsin: State<'_, Arc<Tocsin>>) -> CommandResult<Vec<Account>> {
    with_core(&tocsin, |core| core.accounts()).await
}

/// Adds an account; a token given here goes to the OS keychain and never comes back out.
#[tauri::command]
pub async fn add_account(
    tocsin: State<'_, Arc<Tocsin>>,
    account: NewAccount,
    token: Option<String>,
) -> CommandResult<Account> {
    with_core(&tocsin, move |core| core.add_account(account, token)).await
}

/// Opens an incident in an account (`None`: the local workspace): at once in the local
/// workspace, through the outbox at PagerDuty, shown meanwhile under a placeholder so work on
/// it can start.
#[tauri::command]
pub async fn declare_incident(
    tocsin: State<'_, Arc<Tocsin>>,
    engine: State<'_, Arc<Engine>>,
    account_id: Option<Id>,
    declaration: Declaration,
) -> CommandResult<Incident> {
    let (tocsin, engine) = (Arc::clone(&tocsin), Arc::clone(&engine));
    let declare = move || {
        let account_id = match account_id {
            Some(id) => id,
            None => tocsin.store().local_account()?.id,
        };
        engine.declare(account_id, &declaration)
    };
    let joined = tauri::async_runtime::spawn_blocking(declare).await;
    joined
        .map_err(CommandError::internal)?
        .map_err(CommandError::from)
}

#[tauri::command]
pub async fn start_drill(tocsin: State<'_, Arc<Tocsin>>) -> CommandResult<Incident> {
    with_core(&tocsin, |core| core.start_drill()).await
}

/// Replaces a rejected token with one that goes to the OS keychain, then syncs at once. The
/// account keeps its cache and its record of pages, so nothing is paged again.
#[tauri::command]
pub async fn replace_token(
    tocsin: State<'_, Arc<Tocsin>>,
    engine: State<'_, Arc<Engine>>,
    account_id: Id,
    token: String,
) -> CommandResult<Account> {
    let source = tocsin::model::TokenSource::Keychain;
    let account = with_core(&tocsin, move |core| {
        core.replace_token(account_id, source, Some(token))
    })
    .await?;
    engine.wake();
    Ok(account)
}

/// Acts on an incident: at once in the local workspace, through the outbox for providers
/// (applied in the cache now, sent when the provider is reachable).
#[tauri::command]
pub async fn act(
    engine: State<'_, Arc<Engine>>,
    id: Id,
    action: Action,
) -> CommandResult<IncidentDetail> {
    let engine = Arc::clone(&engine);
    let joined = tauri::async_runtime::spawn_blocking(move || engine.act(id, &action)).await;
    joined
        .map_err(CommandError::internal)?
        .map_err(CommandError::from)
}

/// What the incident's provider takes now, so the window offers only that.
#[tauri::command]
pub async fn incident_actions(
    tocsin: State<'_, Arc<Tocsin>>,
    id: Id,
) -> CommandResult<Vec<ActionKind>> {
    with_core(&tocsin, move |core| core.offered_actions(id)).await
}

/// Where an incident is in its escalation policy and who gets it next; null when its
/// provider has no policy in the cache.
#[tauri::command]
pub async fn incident_escalation(
    tocsin: State<'_, Arc<Tocsin>>,
    id: Id,
) -> CommandResult<Option<EscalationOutlook>> {
    with_core(&tocsin, move |core| core.escalation(id)).await
}

/// The cached people of an account, to reassign an incident to.
#[tauri::command]
pub async fn list_users(
    tocsin: State<'_, Arc<Tocsin>>,
    account_id: Id,
) -> CommandResult<Vec<Person>> {
    with_core(&tocsin, move |core| core.users(account_id)).await
}

/// The cached priorities of an account.
#[tauri::command]
pub async fn list_priorities(
    tocsin: State<'_, Arc<Tocsin>>,
    account_id: Id,
) -> CommandResult<Vec<Priority>> {
    with_core(&tocsin, move |core| core.priorities(account_id)).await
}

/// Writes on their way to providers, for the window's outbox view.
#[tauri::command]
pub async fn list_outbox(tocsin: State<'_, Arc<Tocsin>>) -> CommandResult<Vec<OutboxEntry>> {
    with_core(&tocsin, |core| core.outbox()).await
}

/// Whether pages can be shown; the window shows a banner when they cannot.
#[tauri::command]
pub async fn pager_status(engine: State<'_, Arc<Engine>>) -> CommandResult<PagerStatus> {
    Ok(engine.pager_status())
}

/// Asks every account to sync now instead of at its next poll, and restarts one stopped by a
/// rejected token. It returns at once: the engine's events refresh the window when done.
#[tauri::command]
pub async fn sync_now(engine: State<'_, Arc<Engine>>) -> CommandResult<()> {
    engine.wake();
    Ok(())
}
