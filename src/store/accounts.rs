//! Accounts and their sync health. No secret is ever written here.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{parse_ts, ts, Store};
use crate::error::{Error, Result};
use crate::model::{Account, AccountHealth, HealthState, Id, ProviderKind, TokenSource};

/// What a person supplies to add an account; the token, if any, travels separately.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct NewAccount {
    pub name: String,
    pub kind: ProviderKind,
    pub api_url: Option<String>,
    pub token: TokenSource,
    pub email: Option<String>,
}

/// Where an account's sync stands, as stored with the data it covers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncPosition {
    pub cursor: Option<String>,
    pub history_done: bool,
    pub directory_synced_at: Option<DateTime<Utc>>,
}

const ACCOUNT_COLUMNS: &str =
    "id, name, kind, api_url, token_kind, token_env, email, user_id, token_changed_at";

impl Store {
    /// Adds an account and its empty sync state; names are unique.
    pub fn add_account(&self, new: &NewAccount) -> Result<Account> {
        self.add_account_then(new, |_| Ok(()))
    }

    /// Adds an account and runs `before_commit` with its id inside the same transaction (to
    /// put its token in the keychain, say): if that fails, the account is never visible, so
    /// no sync engine can find it without its token.
    pub fn add_account_then(
        &self,
        new: &NewAccount,
        before_commit: impl FnOnce(Id) -> Result<()>,
    ) -> Result<Account> {
        let name = new.name.trim();
        if name.is_empty() {
            return Err(Error::Invalid("an account needs a name".into()));
        }
        let (token_kind, token_env) = match &new.token {
            TokenSource::None => ("none", None),
            TokenSource::Keychain => ("keychain", None),
            TokenSource::Env { var } => ("env", Some(var.as_str())),
        };

        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let taken: bool = tx.query_row(
            "SELECT count(*) > 0 FROM accounts WHERE name = ?1",
            [name],
            |r| r.get(0),
        )?;
        if taken {
            return Err(Error::Invalid(format!(
                "an account named `{name}` exists already"
            )));
        }
        tx.execute(
            "INSERT INTO accounts (name, kind, api_url, token_kind, token_env, email, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                name,
                new.kind.as_str(),
                new.api_url,
                token_kind,
                token_env,
                new.email,
                ts(Utc::now())
            ],
        )?;
        let id = tx.last_insert_rowid();
        tx.execute("INSERT INTO sync_state (account_id) VALUES (?1)", [id])?;
        before_commit(id)?;
        tx.commit()?;
        drop(conn);

        self.account(id)
    }

    /// All accounts, oldest first.
    pub fn accounts(&self) -> Result<Vec<Account>> {
        let conn = self.reader();
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY id");
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt.query_map([], account_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn account(&self, id: Id) -> Result<Account> {
        let conn = self.conn();
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = ?1");
        conn.query_row(&sql, [id], account_from_row)
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("account {id}")))
    }

    /// Finds an account by name or by numeric id.
    pub fn account_by_name(&self, name: &str) -> Result<Account> {
        let conn = self.conn();
        // A name wins over an id, so an account named "2" is never confused with account 2.
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE name = ?1 OR CAST(id AS TEXT) = ?1
             ORDER BY name = ?1 DESC LIMIT 1"
        );
        conn.query_row(&sql, [name], account_from_row)
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("account `{name}`")))
    }

    /// The local workspace account, created on first use.
    pub fn local_account(&self) -> Result<Account> {
        let existing = self
            .accounts()?
            .into_iter()
            .find(|a| a.kind == ProviderKind::Local);
        if let Some(account) = existing {
            return Ok(account);
        }
        let account = self.add_account(&NewAccount {
            name: "Local workspace".into(),
            kind: ProviderKind::Local,
            api_url: None,
            token: TokenSource::None,
            email: None,
        })?;
        self.set_me(account.id, crate::provider::local::ME_ID, None)?;
        self.account(account.id)
    }

    pub fn remove_account(&self, id: Id) -> Result<()> {
        let n = self
            .conn()
            .execute("DELETE FROM accounts WHERE id = ?1", [id])?;
        if n == 0 {
            return Err(Error::NotFound(format!("account {id}")));
        }
        Ok(())
    }

    /// Points the account at a new token source and marks it changed, so sync engines in any
    /// process start over with it. The account, its cache and its page ledger stay.
    pub fn set_token_source(&self, id: Id, token: &TokenSource) -> Result<Account> {
        let (kind, var) = match token {
            TokenSource::None => ("none", None),
            TokenSource::Keychain => ("keychain", None),
            TokenSource::Env { var } => ("env", Some(var.as_str())),
        };
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let n = tx.execute(
            "UPDATE accounts SET token_kind = ?2, token_env = ?3, token_changed_at = ?4
             WHERE id = ?1",
            params![id, kind, var, ts(Utc::now())],
        )?;
        if n == 0 {
            return Err(Error::NotFound(format!("account {id}")));
        }
        tx.execute(
            "UPDATE sync_state SET state = 'pending', last_error = NULL, last_error_code = NULL,
                    consecutive_failures = 0
             WHERE account_id = ?1",
            [id],
        )?;
        tx.commit()?;
        drop(conn);
        self.account(id)
    }

    /// Records who the responder is at the provider.
    pub fn set_me(&self, id: Id, user_id: &str, email: Option<&str>) -> Result<()> {
        self.conn().execute(
            "UPDATE accounts SET user_id = ?2, email = COALESCE(?3, email) WHERE id = ?1",
            params![id, user_id, email],
        )?;
        Ok(())
    }

    /// Where the account's sync stands: its cursor and what it has read before.
    pub fn sync_position(&self, id: Id) -> Result<SyncPosition> {
        let conn = self.conn();
        let row = conn
            .query_row(
                "SELECT cursor, history_synced_at IS NOT NULL, directory_synced_at
                 FROM sync_state WHERE account_id = ?1",
                [id],
                |r| {
                    Ok(SyncPosition {
                        cursor: r.get(0)?,
                        history_done: r.get(1)?,
                        directory_synced_at: opt_ts(r.get(2)?),
                    })
                },
            )
            .optional()?;
        Ok(row.unwrap_or_default())
    }

    /// Health of every account.
    pub fn health(&self) -> Result<Vec<AccountHealth>> {
        let conn = self.reader();
        let mut stmt = conn.prepare(
            "SELECT a.id, a.name, a.kind, s.state, s.last_success_at, s.last_attempt_at,
                    s.last_error, s.last_error_code, s.next_attempt_at, s.consecutive_failures
             FROM accounts a JOIN sync_state s ON s.account_id = a.id ORDER BY a.id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(AccountHealth {
                account_id: r.get(0)?,
                name: r.get(1)?,
                kind: kind_from(&r.get::<_, String>(2)?),
                state: state_from(&r.get::<_, String>(3)?),
                last_success_at: opt_ts(r.get(4)?),
                last_attempt_at: opt_ts(r.get(5)?),
                last_error: r.get(6)?,
                last_error_code: r.get(7)?,
                next_attempt_at: opt_ts(r.get(8)?),
                consecutive_failures: r.get(9)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records a failed pass; cached data stays as it was.
    pub fn record_failure(
        &self,
        id: Id,
        state: HealthState,
        error: &Error,
        next_attempt: Option<DateTime<Utc>>,
    ) -> Result<()> {
        self.conn().execute(
            "UPDATE sync_state SET state = ?2, last_attempt_at = ?3, last_error = ?4,
                    last_error_code = ?5, next_attempt_at = ?6,
                    consecutive_failures = consecutive_failures + 1
             WHERE account_id = ?1",
            params![
                id,
                state_str(state),
                ts(Utc::now()),
                error.to_string(),
                error.code(),
                next_attempt.map(ts)
            ],
        )?;
        Ok(())
    }

    /// Sets when the next attempt is planned, for the health display.
    pub fn record_next_attempt(&self, id: Id, next: DateTime<Utc>) -> Result<()> {
        self.conn().execute(
            "UPDATE sync_state SET next_attempt_at = ?2 WHERE account_id = ?1",
            params![id, ts(next)],
        )?;
        Ok(())
    }
}

fn account_from_row(r: &Row<'_>) -> rusqlite::Result<Account> {
    let token_kind: String = r.get(4)?;
    let token = match token_kind.as_str() {
        "keychain" => TokenSource::Keychain,
        "env" => TokenSource::Env {
            var: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
        },
        _ => TokenSource::None,
    };
    Ok(Account {
        id: r.get(0)?,
        name: r.get(1)?,
        kind: kind_from(&r.get::<_, String>(2)?),
        api_url: r.get(3)?,
        token,
        email: r.get(6)?,
        user_id: r.get(7)?,
        token_changed_at: opt_ts(r.get(8)?),
    })
}

fn kind_from(s: &str) -> ProviderKind {
    ProviderKind::parse(s).unwrap_or(ProviderKind::Local)
}

pub(crate) fn state_str(state: HealthState) -> &'static str {
    match state {
        HealthState::Pending => "pending",
        HealthState::Ok => "ok",
        HealthState::Failing => "failing",
        HealthState::Offline => "offline",
        HealthState::Revoked => "revoked",
    }
}

fn state_from(s: &str) -> HealthState {
    match s {
        "ok" => HealthState::Ok,
        "failing" => HealthState::Failing,
        "offline" => HealthState::Offline,
        "revoked" => HealthState::Revoked,
        _ => HealthState::Pending,
    }
}

fn opt_ts(s: Option<String>) -> Option<DateTime<Utc>> {
    s.as_deref().and_then(parse_ts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_added_again_gets_a_new_id() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let new = NewAccount {
            name: "pd".into(),
            kind: ProviderKind::Pagerduty,
            api_url: None,
            token: TokenSource::Env { var: "X".into() },
            email: None,
        };
        let first = store.add_account(&new).unwrap();
        store.remove_account(first.id).unwrap();
        let second = store.add_account(&new).unwrap();
        assert_ne!(
            first.id, second.id,
            "a running sync loop would mistake one for the other"
        );
    }
}
