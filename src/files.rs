//! Files Tocsin writes for a person (exports, calendars): whole or not at all.

use std::io::{ErrorKind, Write as _};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Writes a regular file beside the target, synced, and renames it over, so a full disk
/// leaves the old file whole. Anything else at the path (a device, a pipe, a link to one) is
/// written to directly; a leftover `.partial` is never followed or reused.
pub fn write_atomically(path: &Path, text: &str) -> Result<()> {
    let regular_or_absent = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta.file_type().is_file(),
        Err(e) if e.kind() == ErrorKind::NotFound => true,
        Err(e) => return Err(e.into()),
    };
    if !regular_or_absent {
        std::fs::OpenOptions::new()
            .write(true)
            .open(path)?
            .write_all(text.as_bytes())?;
        return Ok(());
    }

    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&partial)
        .and_then(|mut f| f.write_all(text.as_bytes()).and_then(|()| f.sync_all()));
    if let Err(e) = written {
        if e.kind() != ErrorKind::AlreadyExists {
            let _ = std::fs::remove_file(&partial);
        }
        let message = format!("cannot write {}: {e}", partial.display());
        return Err(match e.kind() {
            ErrorKind::StorageFull | ErrorKind::QuotaExceeded => Error::DiskFull(message),
            _ => Error::Invalid(message),
        });
    }
    std::fs::rename(&partial, path)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::write_atomically;

    #[test]
    fn a_file_is_replaced_whole_and_a_leftover_partial_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("export.md");
        std::fs::write(&path, "old").unwrap();
        write_atomically(&path, "new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");

        // Something left at the `.partial` name (a link planted there, say) stops the write.
        let elsewhere = dir.path().join("elsewhere");
        std::os::unix::fs::symlink(&elsewhere, dir.path().join("export.md.partial")).unwrap();
        let refused = write_atomically(&path, "newer").unwrap_err();
        assert_eq!(refused.code(), "invalid");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert!(!elsewhere.exists());
    }
}
