//! The window's commands for the paging policy: read and save an account's, snooze a page.

use std::sync::Arc;

use tauri::State;
use tocsin::model::Id;
use tocsin::paging_policy::PagingPolicy;
use tocsin::Tocsin;

use crate::commands::{with_core, CommandResult};

/// The account's paging policy (the defaults when never saved).
#[tauri::command]
pub async fn get_paging_policy(
    tocsin: State<'_, Arc<Tocsin>>,
    account_id: Id,
) -> CommandResult<PagingPolicy> {
    with_core(&tocsin, move |core| core.paging_policy(account_id)).await
}

/// Checks and saves the account's paging policy; an invalid one is refused as `invalid`.
#[tauri::command]
pub async fn set_paging_policy(
    tocsin: State<'_, Arc<Tocsin>>,
    account_id: Id,
    policy: PagingPolicy,
) -> CommandResult<()> {
    with_core(&tocsin, move |core| {
        core.set_paging_policy(account_id, &policy)
    })
    .await
}

/// Stops repeating an incident's page for `minutes`; returns until when (RFC 3339, as every
/// time on the wire). Local only: the provider keeps escalating.
#[tauri::command]
pub async fn snooze_page(
    tocsin: State<'_, Arc<Tocsin>>,
    incident: Id,
    minutes: i64,
) -> CommandResult<String> {
    with_core(&tocsin, move |core| {
        let until = core.snooze_page(incident, minutes)?;
        Ok(until.to_rfc3339())
    })
    .await
}
