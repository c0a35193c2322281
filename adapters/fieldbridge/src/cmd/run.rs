//! `fieldbridge run --config FILE [--watch]`: the bridge itself.

use std::path::{Path, PathBuf};

use fieldbridge_core::config;
use fieldbridge_core::source::Registry;

use crate::bridge::Bridge;
use crate::error::Error;
use crate::logging::{LevelChange, LogLevel};
use crate::watch::FileWatch;
use crate::{digest, logging, runtime};

/// What made the bridge read its configuration again.
#[derive(Debug, Clone, Copy)]
enum Trigger {
    /// SIGHUP.
    Hangup,
    /// `--watch` saw the file, or a key file, change.
    FileChanged,
}

/// Loads the configuration, sets up logging and runs until Ctrl-C or SIGTERM; every SIGHUP, and
/// with `watch` every change of the file or of a running source's key files, reloads the
/// configuration file (`docs/reload.md`).
pub(crate) async fn run(path: PathBuf, watch: bool) -> Result<(), Error> {
    let config = config::load(&path)?;
    let log = logging::init(&config.log.level, config.log.json);
    // From here on a SIGHUP reloads, and never ends the process.
    let mut reload = runtime::ReloadSignal::listen();
    tracing::info!(config = %path.display(), bridge = %config.bridge.id, version = %config.version, watch, "fieldbridge starting");
    let registry = crate::protocols::registry();
    let mut bridge = Bridge::start(config, &registry)
        .await
        .map_err(|e| e.in_file(&path))?;
    let watched = |bridge: &Bridge| {
        let mut files = vec![path.clone()];
        files.extend(bridge.secret_files());
        files
    };
    let mut files = watch.then(|| FileWatch::new(&watched(&bridge)));
    let shutdown = runtime::shutdown_signal();
    tokio::pin!(shutdown);
    loop {
        let trigger = tokio::select! {
            // A stop wins over a reload that arrived with it.
            biased;
            () = &mut shutdown => break,
            () = reload.recv() => Trigger::Hangup,
            () = changed(&mut files, || watched(&bridge)) => Trigger::FileChanged,
        };
        let Some(files) = &mut files else {
            reload_file(&mut bridge, &path, &registry, &log, trigger).await;
            continue;
        };
        // What the files hold as the reload reads them: a change made meanwhile is seen at the
        // next look and reloads again. A file set that the reload changed (a new source's keys)
        // is taken as it is after the reload.
        let before = watched(&bridge);
        let seen = digest::files(&before);
        reload_file(&mut bridge, &path, &registry, &log, trigger).await;
        let after = watched(&bridge);
        files.settle(if after == before {
            seen
        } else {
            digest::files(&after)
        });
    }
    tracing::info!("stopping");
    bridge.stop().await;
    Ok(())
}

/// Resolves when the watched files changed; never without `--watch`.
async fn changed(files: &mut Option<FileWatch>, now: impl Fn() -> Vec<PathBuf>) {
    match files {
        Some(files) => files.changed(now).await,
        None => std::future::pending().await,
    }
}

/// One reload: the bridge applies the file or refuses it (and logs either); the log level is ours
/// to apply.
async fn reload_file(
    bridge: &mut Bridge,
    path: &Path,
    registry: &Registry,
    log: &LogLevel,
    trigger: Trigger,
) {
    match trigger {
        Trigger::Hangup => {
            tracing::info!(config = %path.display(), "SIGHUP: reloading the configuration");
        }
        Trigger::FileChanged => tracing::info!(
            config = %path.display(),
            "the configuration or a key file changed: reloading the configuration"
        ),
    }
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
