//! `fieldbridge run --config FILE`: the bridge itself.

use std::path::PathBuf;

use fieldbridge_core::config;

use crate::bridge::Bridge;
use crate::error::Error;
use crate::{logging, runtime};

/// Loads the configuration, sets up logging and runs until Ctrl-C or SIGTERM.
pub(crate) async fn run(path: PathBuf) -> Result<(), Error> {
    let config = config::load(&path)?;
    logging::init(&config.log.level, config.log.json);
    tracing::info!(config = %path.display(), bridge = %config.bridge.id, "fieldbridge starting");
    let registry = crate::protocols::registry();
    let bridge = Bridge::start(config, &registry)
        .await
        .map_err(|e| e.in_file(&path))?;
    runtime::shutdown_signal().await;
    tracing::info!("stopping");
    bridge.stop().await;
    Ok(())
}
