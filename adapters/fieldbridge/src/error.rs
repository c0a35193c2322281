//! The binary's one error type.

use std::process::ExitCode;

use fieldbridge_core::config::ConfigErrors;
use fieldbridge_core::seq::SeqError;

/// Why the bridge or one of its commands stopped.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration has mistakes.
    #[error("{0}")]
    Config(#[from] ConfigErrors),
    /// The data directory cannot be used.
    #[error("{0}")]
    Seq(#[from] SeqError),
    /// The outbox cannot be used.
    #[error("outbox: {0}")]
    Outbox(#[from] fieldbridge_outbox::Error),
    /// The embedded broker could not start.
    #[error("embedded MQTT broker on {listen}: {reason}")]
    Broker {
        /// Where it should have listened.
        listen: std::net::SocketAddr,
        /// Why it could not.
        reason: String,
    },
    /// A simulator failed.
    #[error("simulator: {0}")]
    Simulator(String),
    /// Reading or writing a file or socket failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The cause.
        source: std::io::Error,
    },
}

impl Error {
    /// The same error, naming the configuration file it is about.
    pub(crate) fn in_file(self, path: &std::path::Path) -> Self {
        match self {
            Error::Config(e) => Error::Config(ConfigErrors {
                file: Some(path.display().to_string()),
                ..e
            }),
            other => other,
        }
    }

    pub(crate) fn exit_code(&self) -> ExitCode {
        match self {
            Error::Config(_) => ExitCode::from(2),
            _ => ExitCode::FAILURE,
        }
    }
}
