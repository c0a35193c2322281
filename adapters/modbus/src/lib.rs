//! The Modbus source of fieldbridge: polls Modbus TCP and RTU devices and turns their registers into
//! normalized points (design brief §2, §3).
//!
//! One task per configured source: [`run`] connects, polls the points in groups (same unit id, same
//! poll interval), reads each group with as few requests as the limits allow ([`plan`]), decodes the
//! registers ([`convert`]), and sends [`Reading`](fieldbridge_core::point::Reading)s by exception
//! ([`report`]) together with the device's `$state` and `$meta` on the point stream.
//!
//! When the device becomes unreachable every point with a known value is sent once more with its
//! last value and quality bad + `comm_failure`, `$state` goes offline, and the source reconnects with
//! exponential backoff and jitter; when the device answers again `$state` goes online and the next
//! readings are sent whatever the deadband.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod connection;
pub mod convert;
mod error;
pub mod plan;
mod poller;
pub mod report;
mod stats;

use std::sync::Arc;

use fieldbridge_core::config::{ModbusSource, ModbusTransport};
use fieldbridge_core::event::{DeviceMeta, EventSender, PointMeta, SourceEvent};

pub use error::Error;
pub use stats::{SourceStats, StatsSnapshot};

/// The `$meta` content of a Modbus source: every point with its unit, writability and address.
pub fn meta(device: Arc<str>, config: &ModbusSource) -> DeviceMeta {
    let protocol = match config.transport {
        ModbusTransport::Tcp { .. } => "modbus-tcp",
        ModbusTransport::Rtu(_) => "modbus-rtu",
    };
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
    let meta = meta(device.clone(), &config);
    if events.send(SourceEvent::DeviceMeta(meta)).await.is_err() {
        return;
    }
    poller::Poller::new(device, config, events, stats)
        .run()
        .await;
}

#[cfg(test)]
mod tests {
    use super::*;

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
            points: vec![],
        };
        let (tx, _rx) = fieldbridge_core::event::channel(1);
        is_send(&run("d".into(), config, tx));
    }
}
