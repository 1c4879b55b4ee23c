//! The local SQLite cache: one file, WAL mode, foreign keys on, migrations applied on open.
//!
//! All access goes through [`Store`], which serialises writes on one connection behind a
//! mutex. The window's frequent reads (the incident list and detail, health, who is on call)
//! go through a second, read-only connection, so they are answered from the last committed
//! state while a long sync is being applied or a write waits out another process's lock.
//! Every multi-row write runs in a transaction, so a crash (even `kill -9`) leaves either the
//! old state or the new one.

mod accounts;
mod actions;
mod apply;
mod cockpit;
mod comms;
mod directory;
mod local_oncall;
mod migrations;
pub mod outbox;
mod paging;
mod policies;
pub mod postmortem;
mod queries;
mod schedules;
mod timers;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, ErrorCode, OpenFlags};

use crate::error::{Error, Result};

pub use accounts::{NewAccount, SyncPosition};
pub use actions::offered_actions;
pub use apply::ApplyOutcome;
pub use paging::{ClaimedPage, SelfAlarm};
pub use queries::Directory;
pub use schedules::{CachedSchedule, PolicyLevel};

/// The file name of the database inside the data directory.
pub const DB_FILE: &str = "tocsin.sqlite3";

/// Handle to the cache. Cheap to share behind an `Arc`.
pub struct Store {
    conn: Mutex<Connection>,
    /// Read-only; see the module documentation.
    reader: Mutex<Connection>,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the database in `data_dir` and brings its schema up to date.
    pub fn open(data_dir: &Path) -> Result<Store> {
        let unusable = |e: &dyn std::fmt::Display| {
            Error::Io(std::io::Error::other(format!(
                "cannot use `{}` as the data directory: {e}",
                data_dir.display()
            )))
        };
        std::fs::create_dir_all(data_dir).map_err(|e| unusable(&e))?;
        let path = data_dir.join(DB_FILE);
        Store::open_file(path).map_err(|e| match e {
            Error::Store(e) => match e.sqlite_error_code() {
                // A read-only or unreadable directory shows only at the first access.
                Some(ErrorCode::CannotOpen | ErrorCode::ReadOnly) => unusable(&e),
                Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => {
                    Error::Damaged(format!("{}: {e}", data_dir.join(DB_FILE).display()))
                }
                _ => Error::Store(e),
            },
            other => other,
        })
    }

    fn open_file(path: PathBuf) -> Result<Store> {
        let conn = Connection::open(&path)?;
        configure(&conn)?;

        let mut store = Store {
            conn: Mutex::new(conn),
            // Replaced once the schema is up to date: a reader opened before a migration
            // would keep its old view of the schema.
            reader: Mutex::new(Connection::open_in_memory()?),
            path,
        };
        store.migrate()?;
        store.reader = Mutex::new(open_reader(&store.path)?);
        tracing::debug!(path = %store.path.display(), "store opened");
        Ok(store)
    }

    /// Path of the database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written (transactions roll
        // back on drop), so a poisoned lock is safe to keep using.
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The read-only connection, for queries that must not wait behind a write.
    pub(crate) fn reader(&self) -> MutexGuard<'_, Connection> {
        self.reader.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn migrate(&mut self) -> Result<()> {
        let conn = self.conn.get_mut().unwrap_or_else(|e| e.into_inner());
        let applied: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        // A database written by a newer Tocsin may hold data this one would misread or lose.
        if applied as usize > migrations::MIGRATIONS.len() {
            return Err(Error::Invalid(format!(
                "the local database is from a newer version of Tocsin (schema {applied}, this \
                 build knows {}); update Tocsin",
                migrations::MIGRATIONS.len()
            )));
        }

        for (index, sql) in migrations::MIGRATIONS
            .iter()
            .enumerate()
            .skip(applied as usize)
        {
            let tx = conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", index as i64 + 1)?;
            tx.commit()?;
            tracing::info!(version = index + 1, "applied migration");
        }
        Ok(())
    }
}

fn configure(conn: &Connection) -> Result<()> {
    // First, so that opening while another process holds the write lock waits for it too.
    // While a write waits here, the window's reads go on through the read-only connection.
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // NORMAL is durable across application crashes in WAL mode; only a power loss can drop
    // the last transactions, never corrupt the file.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(())
}

fn open_reader(path: &Path) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let reader = Connection::open_with_flags(path, flags)?;
    reader.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(reader)
}

/// Timestamps are stored as RFC 3339 UTC text with milliseconds, so text order is time order.
pub(crate) fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub(crate) fn parse_ts(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Fixtures shared by the store's unit tests.
#[cfg(test)]
pub(crate) mod test_support {
    use super::Store;
    use crate::model::Id;
    use crate::provider::local;

    /// A store in a temporary directory whose local workspace holds one drill, `#1`.
    pub fn store_with_drill() -> (tempfile::TempDir, Store, Id) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let account = store.local_account().unwrap();
        store.apply(account.id, &local::drill(1)).unwrap();
        let id = store.find_incident("#1").unwrap();
        (dir, store, id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_migration_is_sql_alone() {
        // Merging two branches that each append a migration can swallow a closing `"#,` and
        // glue the next entry's Rust comment and raw-string opener into this SQL.
        for (n, sql) in migrations::MIGRATIONS.iter().enumerate() {
            let glued = sql
                .lines()
                .any(|l| l.trim_start().starts_with("//") || l.contains("r#\""));
            assert!(!glued, "migration {} holds Rust source", n + 1);
        }
    }

    #[test]
    fn a_damaged_file_is_named_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DB_FILE);
        let garbage = vec![0x5a_u8; 8192];
        std::fs::write(&path, &garbage).unwrap();

        let err = Store::open(dir.path())
            .err()
            .expect("a damaged file is refused");
        assert_eq!(err.code(), "store_damaged");
        assert!(
            err.to_string().contains(&path.display().to_string()),
            "{err}"
        );
        assert_eq!(
            std::fs::read(&path).unwrap(),
            garbage,
            "the file was changed"
        );
    }

    #[test]
    fn open_applies_migrations_once_and_sets_pragmas() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::open(dir.path()).unwrap());
        let store = Store::open(dir.path()).unwrap();

        let conn = store.conn();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        let fk: i64 = conn
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version as usize, migrations::MIGRATIONS.len());
        assert_eq!(mode, "wal");
        assert_eq!(fk, 1);
    }

    #[test]
    fn a_database_from_a_newer_tocsin_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::open(dir.path()).unwrap());
        let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
        conn.pragma_update(None, "user_version", 999).unwrap();
        drop(conn);
        let err = Store::open(dir.path()).err().unwrap();
        assert!(err.to_string().contains("newer version"), "{err}");
    }

    #[test]
    fn timestamps_sort_as_text() {
        let a = ts(DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z")
            .unwrap()
            .into());
        let b = ts(DateTime::parse_from_rfc3339("2026-01-02T03:04:05.5Z")
            .unwrap()
            .into());
        assert!(a < b);
        assert_eq!(parse_ts(&a).map(ts), Some(a));
    }
}
