//! `fieldbridge run --config FILE`: the bridge itself.

use std::path::{Path, PathBuf};

use fieldbridge_core::config;
use fieldbridge_core::source::Registry;

use crate::bridge::Bridge;
use crate::error::Error;
use crate::logging::{LevelChange, LogLevel};
use crate::{logging, runtime};

/// Loads the configuration, sets up logging and runs until Ctrl-C or SIGTERM; every SIGHUP reloads
/// the configuration file (`docs/reload.md`).
pub(crate) async fn run(path: PathBuf) -> Result<(), Error> {
    let config = config::load(&path)?;
    let log = logging::init(&config.log.level, config.log.json);
    // From here on a SIGHUP reloads, and never ends the process.
    let mut reload = runtime::ReloadSignal::listen();
    tracing::info!(config = %path.display(), bridge = %config.bridge.id, version = %config.version, "fieldbridge starting");
    let registry = crate::protocols::registry();
    let mut bridge = Bridge::start(config, &registry)
        .await
        .map_err(|e| e.in_file(&path))?;
    let shutdown = runtime::shutdown_signal();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            // A stop wins over a reload that arrived with it.
            biased;
            () = &mut shutdown => break,
            () = reload.recv() => reload_file(&mut bridge, &path, &registry, &log).await,
        }
    }
    tracing::info!("stopping");
    bridge.stop().await;
    Ok(())
}

/// One reload: the bridge applies the file or refuses it (and logs either); the log level is ours
/// to apply.
async fn reload_file(bridge: &mut Bridge, path: &Path, registry: &Registry, log: &LogLevel) {
    tracing::info!(config = %path.display(), "SIGHUP: reloading the configuration");
    let Ok(reloaded) = bridge.reload(path, registry).await else {
        return;
    };
    if let Some(level) = reloaded.log_level {
        match log.set(&level) {
            LevelChange::Applied => tracing::info!(%level, "[log] level applied"),
            LevelChange::EnvironmentWins => {
                tracing::info!(%level, "[log] level not applied: RUST_LOG is set and wins, as at start")
            }
            LevelChange::NotApplied(error) => {
                tracing::warn!(%level, %error, "[log] level not applied")
            }
        }
    }
}
