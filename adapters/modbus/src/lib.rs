//! The Modbus source of fieldbridge: polls Modbus TCP, RTU (serial or over TCP) and ASCII devices and
//! turns their registers into normalized points (design brief §2, §3).
//!
//! One task per configured source: [`run`] connects, polls the points in groups (same unit id, same
//! poll interval), reads each group with as few requests as the limits allow ([`plan`]), decodes the
//! registers ([`convert`]), and sends [`Reading`](fieldbridge_core::point::Reading)s by exception
//! ([`report`]) together with the device's `$state` and `$meta` on the point stream.
//!
//! A unit that does not answer (a timeout, or a gateway's exception 0x0A/0x0B) has its points sent
//! once with quality bad + `comm_failure` (with their last value, or none for a point never read)
//! while the other units on the connection go on; `$state` stays online, naming the silent units.
//! When no unit answers or the connection is lost, every point is marked so, `$state` goes
//! offline, and the source reconnects with exponential backoff and jitter; when the device answers
//! again `$state` goes online and the next readings are sent whatever the deadband.
//!
//! [`run_with_commands`] also executes commands from the command router (design brief §5): the value
//! is checked against the point ([`encode`]), written with FC5, FC6, FC15, FC16 or FC22 (Modbus
//! Application Protocol V1.1b3 §6.5, §6.6, §6.11, §6.12, §6.16) on the same connection as the polls,
//! read back, and answered with exactly one [`FieldReply`](fieldbridge_core::command::FieldReply).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod ascii;
mod connection;
pub mod convert;
pub mod encode;
mod error;
mod guard;
pub mod plan;
mod poller;
pub mod write;

use std::sync::Arc;

use fieldbridge_core::command::CommandReceiver;
use fieldbridge_core::config::{ModbusSource, SourceConfig, SourceKind};
use fieldbridge_core::event::{DeviceMeta, EventSender, PointMeta, SourceEvent};
use fieldbridge_core::source::{SourceContext, SourceTask};

pub use error::{Error, Garbage};
pub use fieldbridge_core::source::{report, SourceStats, StatsSnapshot};

/// The Modbus driver for the bridge's registry: `modbus-tcp`, `modbus-rtu` (serial, or RTU frames
/// over TCP to a gateway) and `modbus-ascii`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Driver;

impl fieldbridge_core::source::Driver for Driver {
    fn family(&self) -> &'static str {
        "modbus"
    }

    fn protocols(&self) -> &'static [&'static str] {
        &["modbus-tcp", "modbus-rtu", "modbus-ascii"]
    }

    fn start(&self, source: SourceConfig, context: SourceContext) -> SourceTask {
        let SourceKind::Modbus(config) = source.kind else {
            // The registry hands this driver only the protocols it named.
            tracing::error!(device = %source.name, protocol = source.kind.protocol(), "not a Modbus source");
            return Box::pin(async {});
        };
        Box::pin(run_with_commands(
            context.name,
            config,
            context.events,
            context.stats,
            context.commands,
        ))
    }
}

/// The `$meta` content of a Modbus source: every point with its unit, writability and address.
pub fn meta(device: Arc<str>, config: &ModbusSource) -> DeviceMeta {
    let protocol = config.transport.protocol();
    let points = config
        .points
        .iter()
        .map(|p| PointMeta {
            name: p.name.clone(),
            unit: p.unit.clone(),
            writable: p.writable,
            source: poller::source_address(p),
        })
        .collect();
    DeviceMeta {
        device,
        protocol,
        points,
    }
}

/// Runs one Modbus source until the task is aborted or the event channel closes.
///
/// Sends the [`DeviceMeta`] first, a `DeviceState` once the first connection attempt resolves and on
/// every change, and readings by exception. Never panics on anything the device sends.
pub async fn run(device: Arc<str>, config: ModbusSource, events: EventSender) {
    run_with_stats(device, config, events, Arc::new(SourceStats::new())).await;
}

/// [`run`], counting requests, answers, timeouts, exceptions, reconnects and decode errors in `stats`.
pub async fn run_with_stats(
    device: Arc<str>,
    config: ModbusSource,
    events: EventSender,
    stats: Arc<SourceStats>,
) {
    // No router: a queue whose sender is gone, which the source stops listening to at once.
    let (_, commands) = fieldbridge_core::command::channel();
    run_with_commands(device, config, events, stats, commands).await;
}

/// [`run_with_stats`], also executing the commands of `commands` for the writable points.
///
/// Each command is answered exactly once: checked against the point's type and limits, sent only
/// if its deadline has not passed (connecting at once when the device is unreachable), written on
/// the connection the polls use (never overlapping a poll), read back (FC1/FC3) and compared. A
/// confirmed value is published at once through the point's report state. Writes and their
/// failures are counted in `stats`. When the router drops its sender the source keeps polling.
pub async fn run_with_commands(
    device: Arc<str>,
    config: ModbusSource,
    events: EventSender,
    stats: Arc<SourceStats>,
    commands: CommandReceiver,
) {
    let meta = meta(device.clone(), &config);
    if events.send(SourceEvent::DeviceMeta(meta)).await.is_err() {
        return;
    }
    poller::Poller::new(device, config, events, stats, commands)
        .run()
        .await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use fieldbridge_core::config::ModbusTransport;

    #[test]
    fn the_source_future_can_be_spawned_on_a_multi_threaded_runtime() {
        fn is_send<T: Send + 'static>(_: &T) {}
        let config = ModbusSource {
            transport: ModbusTransport::Tcp {
                address: "127.0.0.1:502".into(),
            },
            unit: 1,
            poll: std::time::Duration::from_secs(1),
            timeout: std::time::Duration::from_secs(1),
            retries: 1,
            max_gap: 8,
            max_registers: 125,
            max_bits: 2000,
            heartbeat: None,
            reconnect_min: std::time::Duration::from_millis(500),
            reconnect_max: std::time::Duration::from_secs(30),
            write_multiple: false,
            command_timeout: None,
            points: vec![],
        };
        let (tx, _rx) = fieldbridge_core::event::channel(1);
        is_send(&run("d".into(), config, tx));
    }
}
