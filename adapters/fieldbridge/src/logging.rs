//! Structured logs: `tracing` with fields, text or JSON lines, on stderr.
//!
//! The level filter sits behind a reload handle, so that a configuration reload (SIGHUP) applies a
//! new `[log] level` at once; the format (`text` or `json`) is fixed for the life of the process.

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, reload, EnvFilter, Registry};

/// Changes the level of the running process's logs.
#[derive(Debug, Clone)]
pub(crate) struct LogLevel {
    /// `None` when another subscriber was installed first (tests), or `RUST_LOG` decides.
    handle: Option<reload::Handle<EnvFilter, Registry>>,
}

/// What [`LogLevel::set`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LevelChange {
    /// The new level is in force.
    Applied,
    /// `RUST_LOG` is set and wins over the configuration, as at start.
    EnvironmentWins,
    /// The filter could not be swapped (no subscriber of ours is installed).
    NotApplied(String),
}

impl LogLevel {
    /// Applies `level` (an `EnvFilter` directive, as `[log] level` takes) from now on.
    pub(crate) fn set(&self, level: &str) -> LevelChange {
        if std::env::var_os(EnvFilter::DEFAULT_ENV).is_some() {
            return LevelChange::EnvironmentWins;
        }
        match &self.handle {
            Some(handle) => match handle.reload(EnvFilter::new(directives(level))) {
                Ok(()) => LevelChange::Applied,
                Err(e) => LevelChange::NotApplied(e.to_string()),
            },
            None => LevelChange::NotApplied("the bridge's logger is not installed".to_owned()),
        }
    }
}

/// The embedded broker (rumqttd) logs every client disconnect as an error, so it is silenced
/// unless `level` names it.
fn directives(level: &str) -> String {
    if level.contains("rumqttd") {
        level.to_owned()
    } else {
        format!("{level},rumqttd=off")
    }
}

/// Installs the global subscriber; `RUST_LOG` overrides `level` when set.
pub(crate) fn init(level: &str, json: bool) -> LogLevel {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(directives(level)));
    let (filter, handle) = reload::Layer::new(filter);
    // Colours only for a person at a terminal: a journal, a container log or a file gets plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let text = (!json).then(|| fmt::layer().with_ansi(ansi).with_writer(std::io::stderr));
    let json = json.then(|| fmt::layer().json().with_writer(std::io::stderr));
    let installed = tracing_subscriber::registry()
        .with(filter)
        .with(text)
        .with(json)
        .try_init()
        .is_ok();
    LogLevel {
        handle: installed.then_some(handle),
    }
}
