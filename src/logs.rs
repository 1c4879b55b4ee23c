//! Logging set-up shared by the CLI and the desktop app: stderr, plus a daily rolling file in
//! the data directory for the long-running ones, so a missed page can be investigated later.
//!
//! `TOCSIN_LOG` sets the filter for both. Nothing logged anywhere contains a token: request
//! headers are never logged and tokens are marked sensitive.

use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter, Layer};

/// How many daily log files are kept.
const KEEP_FILES: usize = 7;

/// Where the log files go.
pub fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("logs")
}

/// Installs the global subscriber: stderr filtered by `TOCSIN_LOG` (else `stderr_default`),
/// and, when `file_in` is given, `logs/tocsin.log.YYYY-MM-DD` there at `info` or the same
/// filter. Keep the returned guard alive: dropping it flushes the file. Installing twice (in
/// tests) is harmless.
pub fn init(stderr_default: &str, file_in: Option<&Path>) -> Option<WorkerGuard> {
    let filter = |default: &str| {
        EnvFilter::try_from_env("TOCSIN_LOG").unwrap_or_else(|_| EnvFilter::new(default))
    };
    let stderr = fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(filter(stderr_default));

    let (file, guard) = match file_in.and_then(|data_dir| rolling(data_dir).ok()) {
        Some(appender) => {
            let (writer, guard) = tracing_appender::non_blocking(appender);
            let layer = fmt::layer()
                .with_ansi(false)
                .with_writer(writer)
                .with_filter(filter("info"));
            (Some(layer), Some(guard))
        }
        None => (None, None),
    };

    let _ = tracing_subscriber::registry()
        .with(stderr)
        .with(file)
        .try_init();
    guard
}

fn rolling(data_dir: &Path) -> Result<tracing_appender::rolling::RollingFileAppender, String> {
    let dir = dir(data_dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("tocsin.log")
        .max_log_files(KEEP_FILES)
        .build(dir)
        .map_err(|e| e.to_string())
}
