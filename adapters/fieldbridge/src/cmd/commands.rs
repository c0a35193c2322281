//! Wiring of the command router: one command queue per source that takes commands, the router
//! task, and the link the publisher subscribes and publishes results through.

use std::collections::HashMap;
use std::sync::Arc;

use fieldbridge_core::command::{
    self, CommandReceiver, CommandRouter, CommandStats, PointPolicy, RouterDevice, RouterUpdates,
};
use fieldbridge_core::config::{Config, SourceConfig};
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
    /// For the publisher: the subscription and the two channels (taken when it starts).
    pub(crate) link: Option<CommandLink>,
    /// Each source's end of its command queue, by source name.
    pub(crate) receivers: HashMap<Arc<str>, CommandReceiver>,
    /// The router's counters.
    pub(crate) stats: Arc<CommandStats>,
    /// The router task.
    pub(crate) task: JoinHandle<()>,
    /// Tells the router to take no more commands and finish what it holds.
    pub(crate) stop: oneshot::Sender<()>,
    /// Gives the running router a new device table (a configuration reload).
    pub(crate) updates: RouterUpdates,
    /// What the router knows of each source, by name, with the sender of its queue: a reload keeps
    /// the entries of the sources that keep running.
    pub(crate) devices: HashMap<Arc<str>, RouterDevice>,
}

/// What the router knows of `source`, and the source's end of a fresh command queue when it has a
/// writable point (a source without one gets no queue: its driver takes no commands from it).
pub(crate) fn device(
    source: &SourceConfig,
    registry: &Registry,
) -> (RouterDevice, Option<CommandReceiver>) {
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
    let (sender, receiver) = if points.values().any(|p| p.writable) {
        let (tx, rx) = command::channel();
        (Some(tx), Some(rx))
    } else {
        (None, None)
    };
    let device = RouterDevice {
        protocol: source.kind.protocol(),
        points,
        timeout: source.kind.command_timeout(),
        params: driver.map_or(&[], |d| d.command_params()),
        sender,
    };
    (device, receiver)
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
        let (device, receiver) = device(source, registry);
        if let Some(rx) = receiver {
            receivers.insert(source.name.clone(), rx);
        }
        devices.insert(source.name.clone(), device);
    }
    let mut router = CommandRouter::open(
        topics,
        &config.commands,
        &config.bridge.data_dir,
        devices.clone(),
    )
    .map_err(|source| Error::Io {
        what: format!("command memory in {}", config.bridge.data_dir.display()),
        source,
    })?;
    let filter = router.filter();
    let stats = router.stats();
    let updates = router.updates();
    let (incoming_tx, incoming_rx) = mpsc::unbounded_channel();
    let (results_tx, results_rx) = mpsc::channel(RESULT_QUEUE);
    let (stop, stop_rx) = oneshot::channel();
    let task = tokio::spawn(router.run(incoming_rx, results_tx, stop_rx));
    Ok(Some(Commands {
        link: Some(CommandLink {
            filter,
            incoming: incoming_tx,
            results: results_rx,
        }),
        receivers,
        stats,
        task,
        stop,
        updates,
        devices,
    }))
}
