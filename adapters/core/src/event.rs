//! The point stream: the one seam between sources and the publisher (design brief §2).
//!
//! A source task owns its field connection and sends [`SourceEvent`]s into a bounded channel; it never
//! talks to MQTT. The publisher never knows a protocol.

use std::sync::Arc;

use serde::Serialize;
use tokio::sync::mpsc;

use crate::point::{Reading, SourceAddress};

/// What a source tells the bridge.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceEvent {
    /// A new reading (by exception, heartbeat, or a quality change).
    Reading(Reading),
    /// The device became reachable or unreachable: published retained on `<device>/$state`.
    DeviceState(DeviceState),
    /// The device's point list: published retained on `<device>/$meta`. Sent once at start and
    /// again whenever it changes (a point first seen in spontaneous data).
    DeviceMeta(DeviceMeta),
}

/// Whether a device answers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeviceState {
    /// The device (source) name.
    #[serde(skip)]
    pub device: Arc<str>,
    /// True when the last exchange with the device succeeded.
    #[serde(serialize_with = "online_word")]
    #[serde(rename = "state")]
    pub online: bool,
    /// Why it is offline (`timeout`, `connection refused`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Since when, from the bridge's clock.
    pub since: crate::time::Timestamp,
}

fn online_word<S: serde::Serializer>(online: &bool, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(if *online { "online" } else { "offline" })
}

/// The description of one device's points, for consumers that discover rather than configure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeviceMeta {
    /// The device (source) name.
    #[serde(skip)]
    pub device: Arc<str>,
    /// The protocol as named in the configuration (`modbus-tcp`, `iec104`, `dlms`, ...).
    pub protocol: &'static str,
    /// The device's points.
    pub points: Vec<PointMeta>,
}

/// One point of a device.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PointMeta {
    /// The point name (the last topic level).
    pub name: Arc<str>,
    /// The SI unit, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<Arc<str>>,
    /// Whether `<point>/set` accepts commands.
    pub writable: bool,
    /// The protocol address.
    pub source: SourceAddress,
}

/// The sending half of the point stream, one clone per source.
pub type EventSender = mpsc::Sender<SourceEvent>;
/// The receiving half of the point stream, owned by the publisher.
pub type EventReceiver = mpsc::Receiver<SourceEvent>;

/// A bounded point stream: when the publisher falls behind, sources wait rather than drop.
pub fn channel(capacity: usize) -> (EventSender, EventReceiver) {
    mpsc::channel(capacity)
}
