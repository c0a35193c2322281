//! The harness's error type.

use std::path::PathBuf;
use std::time::Duration;

/// Why a peer could not be found, started or used.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// A peer program is not installed.
    #[error("peer `{peer}` is not installed ({hint}); run scripts/install-peers")]
    MissingPeer {
        /// The peer's name.
        peer: &'static str,
        /// Where it was looked for.
        hint: String,
    },
    /// Spawning a process failed.
    #[error("cannot start {program}: {source}")]
    Spawn {
        /// The program.
        program: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A process did not become ready in time, or exited before.
    #[error("{what} not ready after {waited:?}: {detail}")]
    NotReady {
        /// What was started.
        what: String,
        /// How long the harness waited.
        waited: Duration,
        /// The process's own log, or why it stopped.
        detail: String,
    },
    /// Any other I/O error (temporary files, configuration files).
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// A data file of the harness is malformed.
    #[error("malformed {file}: {detail}")]
    Malformed {
        /// The file.
        file: PathBuf,
        /// What is wrong with it.
        detail: String,
    },
}
