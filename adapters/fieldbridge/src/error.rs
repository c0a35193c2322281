//! The binary's one error type.

use std::process::ExitCode;

use fieldbridge_core::config::ConfigErrors;
use fieldbridge_core::seq::SeqError;

/// Why the bridge or one of its commands stopped.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
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
    /// A source's protocol has no driver in this version.
    #[error("source \"{source_name}\": protocol {protocol} is parsed and checked, but its driver is not in this version yet")]
    NotImplemented {
        /// The source.
        source_name: String,
        /// Its protocol.
        protocol: &'static str,
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
    pub(crate) fn exit_code(&self) -> ExitCode {
        match self {
            Error::Config(_) => ExitCode::from(2),
            _ => ExitCode::FAILURE,
        }
    }
}
