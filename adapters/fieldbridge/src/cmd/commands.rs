//! Wiring of the command router: one command queue per source that takes commands, the router
//! task, and the link the publisher subscribes and publishes results through.

use std::collections::HashMap;
use std::sync::Arc;

use fieldbridge_core::command::{
    self, CommandReceiver, CommandRouter, CommandStats, PointPolicy, RouterDevice,
};
use fieldbridge_core::config::Config;
use fieldbridge_core::publisher::CommandLink;
use fieldbridge_core::source::Registry;
use fieldbridge_core::topic::Topics;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::error::Error;

/// Results waiting for the publisher; a result is small and commands are few.
const RESULT_QUEUE: usize = 1024;

/// The command side of a running bridge.
#[derive(Debug)]
pub(crate) struct Commands {
    /// For the publisher: the subscription and the two channels.
    pub(crate) link: CommandLink,
    /// Each source's end of its command queue, by source name.
    pub(crate) receivers: HashMap<Arc<str>, CommandReceiver>,
    /// The router's counters.
    pub(crate) stats: Arc<CommandStats>,
    /// The router task.
    pub(crate) task: JoinHandle<()>,
    /// Tells the router to take no more commands and finish what it holds.
    pub(crate) stop: oneshot::Sender<()>,
}

/// Starts the router for `config` (none when `commands.enabled = false`).
pub(crate) fn start(
    config: &Config,
    topics: &Topics,
    registry: &Registry,
) -> Result<Option<Commands>, Error> {
    if !config.commands.enabled {
        tracing::info!("commands disabled ([commands] enabled = false): the bridge is read-only");
        return Ok(None);
    }
    let mut devices = HashMap::new();
    let mut receivers = HashMap::new();
    for source in &config.sources {
        let points: HashMap<Arc<str>, PointPolicy> = source
            .kind
            .points()
            .into_iter()
            .map(|p| {
                let policy = PointPolicy {
                    writable: p.writable,
                    timeout: p.command_timeout,
                };
                (p.name, policy)
            })
            .collect();
        let driver = registry.driver(source.kind.protocol());
        // A queue for every source that has a writable point; its driver takes the commands.
        let sender = points.values().any(|p| p.writable).then(|| {
            let (tx, rx) = command::channel();
            receivers.insert(source.name.clone(), rx);
            tx
        });
        devices.insert(
            source.name.clone(),
            RouterDevice {
                protocol: source.kind.protocol(),
                points,
                timeout: source.kind.command_timeout(),
                params: driver.map_or(&[], |d| d.command_params()),
                sender,
            },
        );
    }
    let router = CommandRouter::open(topics, &config.commands, &config.bridge.data_dir, devices)
        .map_err(|source| Error::Io {
            what: format!("command memory in {}", config.bridge.data_dir.display()),
            source,
        })?;
    let filter = router.filter();
    let stats = router.stats();
    let (incoming_tx, incoming_rx) = mpsc::unbounded_channel();
    let (results_tx, results_rx) = mpsc::channel(RESULT_QUEUE);
    let (stop, stop_rx) = oneshot::channel();
    let task = tokio::spawn(router.run(incoming_rx, results_tx, stop_rx));
    Ok(Some(Commands {
        link: CommandLink {
            filter,
            incoming: incoming_tx,
            results: results_rx,
        },
        receivers,
        stats,
        task,
        stop,
    }))
}
