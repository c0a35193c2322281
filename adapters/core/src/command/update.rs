//! A new device table for a running router: how a configuration reload reaches it.
//!
//! The router owns its table and reads it between two commands; a reload hands it a whole new one
//! through [`RouterUpdates`] and waits until the router has taken it, so that every command that
//! arrives after the reload is judged by the new configuration: writable points and per-point
//! policies as the new file says, a removed device unknown, a restarted source reached through its
//! fresh queue. Commands already handed to a source keep their own reply channel: a source stopped
//! by the reload answers them, or the router answers `failed` for it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::router::RouterDevice;

/// One update: the whole device table and the `[commands] timeout`.
#[derive(Debug)]
pub(crate) struct Update {
    pub(crate) devices: HashMap<Arc<str>, RouterDevice>,
    pub(crate) timeout: Duration,
    /// Answered once the router uses the new table.
    pub(crate) taken: oneshot::Sender<()>,
}

/// Gives a running [`CommandRouter`](super::CommandRouter) a new device table; from
/// [`CommandRouter::updates`](super::CommandRouter::updates).
#[derive(Debug, Clone)]
pub struct RouterUpdates {
    pub(crate) tx: mpsc::UnboundedSender<Update>,
}

impl RouterUpdates {
    /// Replaces the router's devices and its default command timeout, and returns once the router
    /// uses them (`true`), or at once when the router has stopped (`false`).
    ///
    /// A device's [`RouterDevice::sender`] is its source's queue: pass the same sender for a
    /// source that keeps running, a fresh one for a source that was started again.
    pub async fn replace(
        &self,
        devices: HashMap<Arc<str>, RouterDevice>,
        timeout: Duration,
    ) -> bool {
        let (taken, done) = oneshot::channel();
        let update = Update {
            devices,
            timeout,
            taken,
        };
        if self.tx.send(update).is_err() {
            return false;
        }
        done.await.is_ok()
    }
}

/// A channel of updates: the handle and the router's end.
pub(crate) fn channel() -> (RouterUpdates, mpsc::UnboundedReceiver<Update>) {
    let (tx, rx) = mpsc::unbounded_channel();
    (RouterUpdates { tx }, rx)
}
