//! The core's error type: one enum whose variants carry a stable code the UI and scripts branch on.

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

/// Shorthand used throughout the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the core, grouped by what a person can do about it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The local database could not be read or written; cached data is untouched.
    #[error("Local database error: {0}")]
    Store(rusqlite::Error),

    /// The disk holding the data directory is full: the write was rolled back, what is cached
    /// stays readable, and writing works again once space is freed.
    #[error("The disk is full ({0}): nothing was written; free some space and try again")]
    DiskFull(String),

    /// Another process holds the local database locked past the wait (a backup tool, an
    /// `sqlite3` shell); nothing was written, and the write is retried once the lock is gone.
    #[error(
        "The local database is locked by another process ({0}): nothing was written; close \
         whatever holds it and try again"
    )]
    StoreBusy(String),

    /// The database file is not a database or is corrupt. Providers' data can be synced
    /// again, but the local workspace's own incidents and postmortems live in that file, so
    /// it is never replaced without the person's say.
    #[error(
        "The local database is damaged ({0}); move the file aside (or restore a backup) and \
         start Tocsin again: accounts must be added again and are synced anew, while the \
         local workspace's own records stay in the moved file"
    )]
    Damaged(String),

    /// The data directory or another local file could not be used.
    #[error("File error: {0}")]
    Io(std::io::Error),

    /// The provider could not be reached at all (DNS, refused, TLS, timeout).
    #[error("Cannot reach {provider}: {message}")]
    Offline { provider: String, message: String },

    /// The provider rejected the token; polling stops until it is replaced.
    #[error(
        "{provider} rejected the token ({message}); replace it in Account health or with \
         `tocsin account token`"
    )]
    Unauthorized { provider: String, message: String },

    /// The provider asked us to slow down.
    #[error("{provider} is rate limiting requests; retrying in {retry_after_secs} s")]
    RateLimited {
        provider: String,
        retry_after_secs: u64,
    },

    /// The provider answered with an error status.
    #[error("{provider} answered HTTP {status}: {message}")]
    Provider {
        provider: String,
        status: u16,
        message: String,
        /// The provider's own error code from the body (PagerDuty's `error.code`), if any.
        api_code: Option<i64>,
    },

    /// The provider answered with a body that does not parse.
    #[error("{provider} sent a malformed response: {message}")]
    Malformed { provider: String, message: String },

    /// No token where one is needed: missing keychain entry or unset environment variable.
    #[error("No token for account `{account}`: {message}")]
    MissingToken { account: String, message: String },

    /// The OS keychain refused or is not available.
    #[error("OS keychain error: {0}")]
    Keychain(String),

    /// Something asked for does not exist.
    #[error("Not found: {0}")]
    NotFound(String),

    /// The request itself is wrong (bad argument, duplicate name).
    #[error("Invalid input: {0}")]
    Invalid(String),

    /// Someone else changed the thing since it was read (a postmortem saved in another
    /// window); reload, then try again.
    #[error("Conflict: {0}")]
    Conflict(String),
}

impl Error {
    /// The same error for each of several entries a failed bulk request carried; the variants
    /// that wrap a foreign error (which cannot be cloned) keep their message.
    pub fn clone_for_entry(&self) -> Error {
        match self {
            Error::Store(e) => Error::Io(std::io::Error::other(e.to_string())),
            Error::DiskFull(m) => Error::DiskFull(m.clone()),
            Error::StoreBusy(m) => Error::StoreBusy(m.clone()),
            Error::Damaged(m) => Error::Damaged(m.clone()),
            Error::Io(e) => Error::Io(std::io::Error::new(e.kind(), e.to_string())),
            Error::Offline { provider, message } => Error::Offline {
                provider: provider.clone(),
                message: message.clone(),
            },
            Error::Unauthorized { provider, message } => Error::Unauthorized {
                provider: provider.clone(),
                message: message.clone(),
            },
            Error::RateLimited {
                provider,
                retry_after_secs,
            } => Error::RateLimited {
                provider: provider.clone(),
                retry_after_secs: *retry_after_secs,
            },
            Error::Provider {
                provider,
                status,
                message,
                api_code,
            } => Error::Provider {
                provider: provider.clone(),
                status: *status,
                message: message.clone(),
                api_code: *api_code,
            },
            Error::Malformed { provider, message } => Error::Malformed {
                provider: provider.clone(),
                message: message.clone(),
            },
            Error::MissingToken { account, message } => Error::MissingToken {
                account: account.clone(),
                message: message.clone(),
            },
            Error::Keychain(m) => Error::Keychain(m.clone()),
            Error::NotFound(m) => Error::NotFound(m.clone()),
            Error::Invalid(m) => Error::Invalid(m.clone()),
            Error::Conflict(m) => Error::Conflict(m.clone()),
        }
    }

    /// A stable, machine-readable code. Never change one; add new ones.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Store(_) => "store",
            Error::DiskFull(_) => "disk_full",
            Error::StoreBusy(_) => "store_busy",
            Error::Damaged(_) => "store_damaged",
            Error::Io(_) => "io",
            Error::Offline { .. } => "offline",
            Error::Unauthorized { .. } => "unauthorized",
            Error::RateLimited { .. } => "rate_limited",
            Error::Provider { .. } => "provider",
            Error::Malformed { .. } => "malformed",
            Error::MissingToken { .. } => "missing_token",
            Error::Keychain(_) => "keychain",
            Error::NotFound(_) => "not_found",
            Error::Invalid(_) => "invalid",
            Error::Conflict(_) => "conflict",
        }
    }

    /// Whether retrying later can help; a revoked token or a bad request will not heal itself.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Error::Offline { .. }
                | Error::RateLimited { .. }
                | Error::Provider { .. }
                | Error::Malformed { .. }
                | Error::Store(_)
                | Error::DiskFull(_)
                | Error::StoreBusy(_)
                | Error::Io(_)
                | Error::Keychain(_)
        )
    }
}

impl Error {
    /// Whether this is the local database or disk failing rather than a provider: such a
    /// fault is reported where the person looks, since it cannot be written to the database.
    pub fn is_local_fault(&self) -> bool {
        matches!(
            self,
            Error::Store(_) | Error::DiskFull(_) | Error::StoreBusy(_) | Error::Io(_)
        )
    }
}

/// SQLite's full-disk and lock errors get their own variants, so the UI can say what to do.
impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Error {
        use rusqlite::ErrorCode;
        // Opening a database in WAL mode creates its shared-memory file; on a full disk that
        // fails as an I/O error on growing it, which is a full disk all the same.
        let shm_full = e
            .sqlite_error()
            .is_some_and(|f| f.extended_code == rusqlite::ffi::SQLITE_IOERR_SHMSIZE);
        if shm_full {
            return Error::DiskFull(e.to_string());
        }
        match e.sqlite_error_code() {
            Some(ErrorCode::DiskFull) => Error::DiskFull(e.to_string()),
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
                Error::StoreBusy(e.to_string())
            }
            _ => Error::Store(e),
        }
    }
}

/// A write that ran out of space is a full disk, wherever it happened (an export, a log).
impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        match e.kind() {
            std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => {
                Error::DiskFull(e.to_string())
            }
            _ => Error::Io(e),
        }
    }
}

impl Serialize for Error {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Error", 2)?;
        s.serialize_field("code", self.code())?;
        s.serialize_field("message", &self.to_string())?;
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::Error;

    fn sqlite(code: i32) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None)
    }

    #[test]
    fn a_full_disk_and_a_lock_have_codes_of_their_own() {
        assert_eq!(
            Error::from(sqlite(rusqlite::ffi::SQLITE_FULL)).code(),
            "disk_full"
        );
        assert_eq!(
            Error::from(sqlite(rusqlite::ffi::SQLITE_BUSY)).code(),
            "store_busy"
        );
        assert_eq!(
            Error::from(sqlite(rusqlite::ffi::SQLITE_LOCKED)).code(),
            "store_busy"
        );
        assert_eq!(
            Error::from(sqlite(rusqlite::ffi::SQLITE_CORRUPT)).code(),
            "store"
        );

        let full = std::io::Error::from(std::io::ErrorKind::StorageFull);
        assert_eq!(Error::from(full).code(), "disk_full");
        let denied = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        assert_eq!(Error::from(denied).code(), "io");
    }

    #[test]
    fn local_faults_are_transient_and_told_apart_from_a_providers() {
        let busy = Error::from(sqlite(rusqlite::ffi::SQLITE_BUSY));
        assert!(busy.is_transient() && busy.is_local_fault());
        let offline = Error::Offline {
            provider: "PagerDuty".into(),
            message: "refused".into(),
        };
        assert!(offline.is_transient() && !offline.is_local_fault());
    }
}
