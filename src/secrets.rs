//! Where tokens live: the OS keychain, or an environment variable read at each run.
//!
//! A token never reaches SQLite, a log line, or the webview. Keychain entries are keyed by the
//! account's local id (`account-<id>`), or a status page's (`statuspage-<id>`), under the
//! service name `tocsin`.

use crate::error::{Error, Result};
use crate::model::{Account, TokenSource};

const SERVICE: &str = "tocsin";

fn entry(account_id: i64) -> Result<keyring::Entry> {
    named(&format!("account-{account_id}"))
}

fn named(user: &str) -> Result<keyring::Entry> {
    keyring::Entry::new(SERVICE, user).map_err(|e| Error::Keychain(e.to_string()))
}

/// A status page's key is its own entry, `statuspage-<id>`, beside the accounts' tokens.
fn page_entry(page_id: i64) -> Result<keyring::Entry> {
    named(&format!("statuspage-{page_id}"))
}

/// Stores a status page's API key in the OS keychain.
pub fn store_page_key(page_id: i64, key: &str) -> Result<()> {
    let key = key.trim();
    if key.is_empty() {
        return Err(Error::Invalid("the API key is empty".into()));
    }
    page_entry(page_id)?
        .set_password(key)
        .map_err(|e| Error::Keychain(e.to_string()))
}

/// Removes a status page's keychain entry; a missing entry is fine.
pub fn delete_page_key(page_id: i64) -> Result<()> {
    match page_entry(page_id)?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(Error::Keychain(e.to_string())),
    }
}

/// A status page's API key, from the keychain or its environment variable.
pub fn page_key(page_id: i64, name: &str, source: &TokenSource) -> Result<String> {
    let missing = |message: String| Error::MissingToken {
        account: name.to_owned(),
        message,
    };
    match source {
        TokenSource::None => Err(missing("a status page needs an API key".into())),
        TokenSource::Env { var } => match std::env::var(var) {
            Ok(v) if !v.trim().is_empty() => Ok(v.trim().to_string()),
            _ => Err(missing(format!(
                "the environment variable `{var}` is not set"
            ))),
        },
        TokenSource::Keychain => match page_entry(page_id)?.get_password() {
            Ok(v) => Ok(v),
            Err(keyring::Error::NoEntry) => {
                Err(missing("the OS keychain has no API key for it".into()))
            }
            Err(e) => Err(Error::Keychain(e.to_string())),
        },
    }
}

/// Stores a token in the OS keychain for the account.
pub fn store_token(account_id: i64, token: &str) -> Result<()> {
    let token = token.trim();
    if token.is_empty() {
        return Err(Error::Invalid("the token is empty".into()));
    }
    entry(account_id)?
        .set_password(token)
        .map_err(|e| Error::Keychain(e.to_string()))
}

/// Removes the account's keychain entry; a missing entry is fine.
pub fn delete_token(account_id: i64) -> Result<()> {
    match entry(account_id)?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(Error::Keychain(e.to_string())),
    }
}

/// The account's token, if it has one, from wherever it is kept.
pub fn token(account: &Account) -> Result<Option<String>> {
    match &account.token {
        TokenSource::None => Ok(None),
        TokenSource::Env { var } => match std::env::var(var) {
            Ok(v) if !v.trim().is_empty() => Ok(Some(v.trim().to_string())),
            _ => Err(Error::MissingToken {
                account: account.name.clone(),
                message: format!("the environment variable `{var}` is not set"),
            }),
        },
        TokenSource::Keychain => match entry(account.id)?.get_password() {
            Ok(v) => Ok(Some(v)),
            Err(keyring::Error::NoEntry) => Err(Error::MissingToken {
                account: account.name.clone(),
                message: "the OS keychain has no token for it".into(),
            }),
            Err(e) => Err(Error::Keychain(e.to_string())),
        },
    }
}
