//! The source seam: how a protocol plugs into the bridge (design brief §2).
//!
//! A protocol is its own crates (a sans-IO codec under `protocols/`, a source under `adapters/`)
//! plus one line in the binary's registry. The source crate implements [`Driver`]: the bridge finds
//! the driver for each configured `protocol`, hands it the source's configuration and a
//! [`SourceContext`] (the point stream, the source's counters, its command queue) and spawns the task
//! it returns. Everything else is the core's: numbering, the outbox, MQTT, `$state`/`$meta` topics,
//! the command router, the metrics endpoint (which labels every family with [`Driver::family`]).
//!
//! What a source owes the bridge:
//! - a [`SourceEvent::DeviceMeta`] first, a [`SourceEvent::DeviceState`] once the first connection
//!   attempt resolves and on every change, then readings ([`report`] decides which);
//! - exactly one [`FieldReply`](crate::command::FieldReply) per command it takes from its queue;
//! - its counters in [`SourceStats`];
//! - never blocking its field link on the point stream: see [`Handoff`].
//!
//! `docs/architecture.md` ("Adding a protocol") walks through it.

mod handoff;
pub mod report;
mod stats;

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use crate::command::CommandReceiver;
use crate::config::{Config, ConfigError, SourceConfig};
use crate::event::EventSender;

pub use handoff::Handoff;
pub use stats::{Counter, SourceStats, StatsSnapshot};

#[cfg(doc)]
use crate::event::SourceEvent;

/// What the bridge hands a source when it starts it.
#[derive(Debug)]
pub struct SourceContext {
    /// The source's name from the configuration: the device level of its topics.
    pub name: Arc<str>,
    /// The point stream (bounded: see [`Handoff`] for sources that keep a link alive).
    pub events: EventSender,
    /// The source's counters, read by the metrics endpoint.
    pub stats: Arc<SourceStats>,
    /// Commands for the source's writable points; a queue whose sender is gone when the source has
    /// none or commands are disabled.
    pub commands: CommandReceiver,
    /// A folder of the source's own, `data_dir/sources/<name>`, for what it must remember across
    /// restarts (a DLMS profile's last capture time). Not created until the source needs it.
    pub state_dir: PathBuf,
}

/// The task a driver returns; the bridge spawns it and aborts it on stop.
pub type SourceTask = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// One protocol built into a binary.
pub trait Driver: Send + Sync {
    /// The protocol family, the `protocol` label of every metric of its sources (`modbus`,
    /// `iec104`, `dlms`).
    fn family(&self) -> &'static str;

    /// The `protocol = "..."` names of the configuration that this driver runs.
    fn protocols(&self) -> &'static [&'static str];

    /// What this driver cannot do with a source that the configuration allows, each as a
    /// `(key, message)` of the source's table (for example `("transport", "ASCII over TCP is not
    /// supported")`). `fieldbridge check` reports them with their line; `run` refuses to start.
    fn unsupported(&self, _source: &SourceConfig) -> Vec<(String, String)> {
        Vec::new()
    }

    /// The names a command's `params` object may use with this protocol (IEC: `qualifier`,
    /// `select`); the router refuses any other before the source sees the command.
    fn command_params(&self) -> &'static [&'static str] {
        &[]
    }

    /// The source's task. Called once per configured source, on the runtime the bridge runs on.
    fn start(&self, source: SourceConfig, context: SourceContext) -> SourceTask;
}

/// The protocols built into a binary, by configuration name.
#[derive(Default)]
pub struct Registry {
    drivers: Vec<Arc<dyn Driver>>,
    by_protocol: BTreeMap<&'static str, usize>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.by_protocol.keys()).finish()
    }
}

impl Registry {
    /// No protocol yet.
    pub fn new() -> Self {
        Registry::default()
    }

    /// Adds a driver; a later driver for the same protocol name replaces the earlier one (so a
    /// test can stand in for a built-in driver).
    #[must_use]
    pub fn with(mut self, driver: impl Driver + 'static) -> Self {
        let index = self.drivers.len();
        for protocol in driver.protocols() {
            self.by_protocol.insert(protocol, index);
        }
        self.drivers.push(Arc::new(driver));
        self
    }

    /// The driver for a configuration's `protocol` name.
    pub fn driver(&self, protocol: &str) -> Option<Arc<dyn Driver>> {
        let index = *self.by_protocol.get(protocol)?;
        self.drivers.get(index).cloned()
    }

    /// Every source this binary cannot run, each named with its line and key: a protocol without a
    /// driver ("protocol iec104 is not built into this binary yet"), or what its driver reports as
    /// [`Driver::unsupported`].
    pub fn refusals(&self, config: &Config) -> Vec<ConfigError> {
        let mut out = Vec::new();
        for (i, source) in config.sources.iter().enumerate() {
            let protocol = source.kind.protocol();
            let error = |key: &str, message: String| ConfigError {
                line: source.lines.line_of(key),
                column: 1,
                key: format!("source[{i}].{key}"),
                message,
            };
            match self.driver(protocol) {
                None => out.push(error(
                    "protocol",
                    format!(
                        "protocol {protocol} is not built into this binary yet (source \"{}\"; this binary runs {})",
                        source.name,
                        self.protocol_list()
                    ),
                )),
                Some(driver) => {
                    for (key, message) in driver.unsupported(source) {
                        out.push(error(&key, message));
                    }
                }
            }
        }
        out.sort_by_key(|e| e.line);
        out
    }

    fn protocol_list(&self) -> String {
        let names: Vec<&str> = self.by_protocol.keys().copied().collect();
        if names.is_empty() {
            "no protocol".to_owned()
        } else {
            names.join(", ")
        }
    }
}

#[cfg(test)]
mod tests;
