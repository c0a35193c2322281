//! The sans-IO state of one Sparkplug edge node (Sparkplug 3.0, chapter 5).

use std::collections::{BTreeMap, HashMap};

use prost::Message as _;
use tracing::{debug, warn};

use crate::device::{self, keys, Device, Last};
use crate::proto::{DataType, Metric, Payload, PropertySet};
use crate::topic::{self, MessageType};
use crate::{Error, MetricValue};

/// The name of the bdSeq metric of NBIRTH and NDEATH (5.4, 6.4.25).
pub const BD_SEQ: &str = "bdSeq";
/// The name of the rebirth metric of NBIRTH and NCMD (5.17).
pub const REBIRTH: &str = "Node Control/Rebirth";

/// One MQTT message to publish: the caller picks QoS and retain (see the crate docs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The topic.
    pub topic: String,
    /// The encoded Sparkplug B payload.
    pub payload: Vec<u8>,
    /// Its message type.
    pub message_type: MessageType,
    /// Its `seq`, `None` for NDEATH (6.4.5).
    pub seq: Option<u8>,
}

/// A metric of the edge node itself (in NBIRTH and NDATA), e.g. a configuration version.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeMetric {
    /// Its name, e.g. `"Properties/Config Version"`.
    pub name: String,
    /// Its value.
    pub value: MetricValue,
    /// Its datatype when the value's own is not the one wanted (e.g. UInt16 for a UInt).
    pub datatype: Option<DataType>,
}

/// A point of a device as the configuration knows it; each becomes a metric of the DBIRTH.
#[derive(Clone, Debug, PartialEq)]
pub struct PointInfo {
    /// The metric name (any UTF-8; `/` makes folders, 6.4.2).
    pub name: String,
    /// The datatype when known beforehand (e.g. UInt16 for a Modbus register); otherwise the
    /// first value decides (see [`MetricValue::natural_datatype`]). Only scalar types count.
    pub datatype: Option<DataType>,
    /// Engineering unit, property `engUnit`.
    pub unit: Option<String>,
    /// The protocol address as text, property `address`.
    pub address: Option<String>,
    /// Whether the bridge accepts writes to it (property `readOnly` is the opposite).
    pub writable: bool,
}

/// The bridge's quality of a sample (the design brief's point model).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Quality {
    /// Good.
    #[default]
    Good,
    /// Uncertain: usable with care (e.g. IEC substituted, not topical).
    Uncertain,
    /// Bad.
    Bad,
}

/// One sample of a device's point, as the publisher hands it over.
#[derive(Clone, Debug, PartialEq)]
pub struct SampleIn {
    /// The device (the source's name), a Sparkplug device id.
    pub device: String,
    /// The point's name, the metric name.
    pub point: String,
    /// The value.
    pub value: MetricValue,
    /// The device's own timestamp, else when the bridge received it; ms since the epoch, UTC.
    pub timestamp_ms: u64,
    /// Quality level.
    pub quality: Quality,
    /// The protocol's own quality flags by name (`invalid`, `substituted`, ...).
    pub flags: Vec<String>,
    /// The bridge's own per-sample sequence number (property `seq`).
    pub seq: u64,
    /// Delivered late from the outbox (`is_historical`).
    pub historical: bool,
}

/// What [`EdgeNode::data`] returns: births to publish first, then the one DDATA.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Data {
    /// A DBIRTH when the device's birth lacked the point or its datatype changed; else empty.
    pub births: Vec<Message>,
    /// Exactly one DDATA holding exactly one metric, the sample.
    pub ddata: Message,
}

#[derive(Clone, Debug)]
struct NodeSlot {
    alias: u64,
    born: Option<DataType>,
}

/// The sans-IO state of one Sparkplug B edge node and its devices.
///
/// Every message after the NBIRTH takes the next `seq` (0..=255, wrapping) when it is built, so
/// the caller publishes the messages in the order they were returned. Aliases are unique across
/// the edge node and stable for the life of the value (6.4.6).
#[derive(Clone, Debug)]
pub struct EdgeNode {
    group: String,
    edge_node: String,
    bd_seq: Option<u8>,
    born: bool,
    next_seq: u8,
    next_alias: u64,
    node: HashMap<String, NodeSlot>,
    node_by_alias: HashMap<u64, String>,
    pub(crate) devices: BTreeMap<String, Device>,
}

impl EdgeNode {
    /// An edge node `group`/`edge_node`; `last_bd_seq` is the bdSeq of the previous connection,
    /// persisted by the caller, `None` on the very first start (the first bdSeq is then 0, 5.4).
    pub fn new(group: &str, edge_node: &str, last_bd_seq: Option<u64>) -> Result<Self, Error> {
        topic::validate_id("group", group)?;
        topic::validate_id("edge node", edge_node)?;
        Ok(EdgeNode {
            group: group.to_string(),
            edge_node: edge_node.to_string(),
            bd_seq: last_bd_seq.map(|n| (n % 256) as u8),
            born: false,
            next_seq: 0,
            next_alias: 1,
            node: HashMap::new(),
            node_by_alias: HashMap::new(),
            devices: BTreeMap::new(),
        })
    }

    /// The group id.
    pub fn group(&self) -> &str {
        &self.group
    }

    /// The edge node id.
    pub fn edge_node(&self) -> &str {
        &self.edge_node
    }

    /// The bdSeq of the current connection (the one to persist), or the persisted one before
    /// the first [`EdgeNode::next_connection`] (0 on a first start).
    pub fn bd_seq(&self) -> u64 {
        self.bd_seq.map_or(0, u64::from)
    }

    /// True between [`EdgeNode::birth`] and the end of the session.
    pub fn is_born(&self) -> bool {
        self.born
    }

    /// Starts a new MQTT connection: ends the session, advances bdSeq by one (255 wraps to 0,
    /// 5.4 and 6.4.25) and returns the NDEATH to register as the CONNECT's will (QoS 1, not
    /// retained, 5.4).
    pub fn next_connection(&mut self) -> Message {
        self.disconnected();
        let next = match self.bd_seq {
            None => 0,
            Some(n) => n.wrapping_add(1),
        };
        self.bd_seq = Some(next);
        debug!(group = %self.group, edge_node = %self.edge_node, bd_seq = next, "sparkplug: new connection");
        self.death()
    }

    /// The NDEATH of the current bdSeq (6.4.25): only the `bdSeq` metric (Int64, 5.4), no
    /// `seq`. Publish it before an orderly disconnect (5.5).
    pub fn death(&self) -> Message {
        let metric = Metric {
            name: Some(BD_SEQ.to_string()),
            datatype: Some(DataType::Int64.code()),
            value: Some(crate::proto::metric::Value::LongValue(self.bd_seq())),
            ..Metric::default()
        };
        let payload = Payload {
            metrics: vec![metric],
            ..Payload::default()
        };
        self.message(MessageType::NDeath, None, None, payload)
    }

    /// The session ended (connection lost or closed): nothing is born any more and the next
    /// [`EdgeNode::birth`] starts again at `seq` 0.
    pub fn disconnected(&mut self) {
        self.born = false;
        self.next_seq = 0;
        for slot in self.node.values_mut() {
            slot.born = None;
        }
        for dev in self.devices.values_mut() {
            dev.end_session();
        }
    }

    /// The birth sequence (5.4, 6.4.19, 6.4.20): the NBIRTH (`seq` 0, `bdSeq`,
    /// `Node Control/Rebirth` false without alias, then `node_metrics` with aliases), then a
    /// DBIRTH for every online device that has metrics, by device id. Also the answer to a
    /// rebirth request (same bdSeq, 5.17).
    pub fn birth(&mut self, now_ms: u64, node_metrics: &[NodeMetric]) -> Vec<Message> {
        self.disconnected();
        self.born = true;
        let mut metrics = vec![
            Metric {
                name: Some(BD_SEQ.to_string()),
                timestamp: Some(now_ms),
                datatype: Some(DataType::Int64.code()),
                value: Some(crate::proto::metric::Value::LongValue(self.bd_seq())),
                ..Metric::default()
            },
            Metric {
                name: Some(REBIRTH.to_string()),
                timestamp: Some(now_ms),
                datatype: Some(DataType::Boolean.code()),
                value: Some(crate::proto::metric::Value::BooleanValue(false)),
                ..Metric::default()
            },
        ];
        for nm in node_metrics {
            if nm.name == BD_SEQ || nm.name == REBIRTH {
                warn!(metric = %nm.name, "sparkplug: node metric with a reserved name left out of NBIRTH");
                continue;
            }
            let Some(dt) = node_datatype(nm) else {
                warn!(metric = %nm.name, "sparkplug: node metric without a datatype left out of NBIRTH");
                continue;
            };
            let alias = self.node_alias(&nm.name);
            let mut metric = Metric {
                name: Some(nm.name.clone()),
                alias: Some(alias),
                timestamp: Some(now_ms),
                datatype: Some(dt.code()),
                ..Metric::default()
            };
            if nm.value.encode_into(dt, &mut metric).is_err() {
                metric.is_null = Some(true);
            }
            if let Some(slot) = self.node.get_mut(&nm.name) {
                slot.born = Some(dt);
            }
            metrics.push(metric);
        }
        let seq = self.take_seq();
        let nbirth = Payload {
            timestamp: Some(now_ms),
            metrics,
            seq: Some(u64::from(seq)),
            ..Payload::default()
        };
        let mut out = vec![self.message(MessageType::NBirth, None, Some(seq), nbirth)];
        let online: Vec<String> = self
            .devices
            .iter()
            .filter(|(_, d)| d.online && d.has_metrics())
            .map(|(id, _)| id.clone())
            .collect();
        for id in online {
            out.push(self.dbirth(&id, now_ms));
        }
        debug!(group = %self.group, edge_node = %self.edge_node, bd_seq = self.bd_seq(), devices = out.len() - 1, "sparkplug: birth");
        out
    }

    /// Sets a device's point list. Returns a new DBIRTH when the device is born and the list
    /// changed (5.6: a DBIRTH holds every metric the device will report).
    pub fn set_device_points(
        &mut self,
        device: &str,
        points: Vec<PointInfo>,
        now_ms: u64,
    ) -> Result<Option<Message>, Error> {
        let next_alias = &mut self.next_alias;
        let dev = device_entry(&mut self.devices, device)?;
        let changed = dev.set_points(points, next_alias);
        if changed && self.born && dev.born {
            return Ok(Some(self.dbirth(device, now_ms)));
        }
        Ok(None)
    }

    /// The device is reachable. Returns its DBIRTH when the edge node is born, the device is
    /// not, and it has metrics (5.6); otherwise `None` (its DBIRTH then comes with the birth
    /// sequence or with its first sample).
    pub fn device_online(&mut self, device: &str, now_ms: u64) -> Result<Option<Message>, Error> {
        let dev = device_entry(&mut self.devices, device)?;
        dev.online = true;
        if self.born && !dev.born && dev.has_metrics() {
            return Ok(Some(self.dbirth(device, now_ms)));
        }
        Ok(None)
    }

    /// The device is unreachable. Returns its DDEATH (`seq`, timestamp, no metric; 6.4.26)
    /// when it was born in this session.
    pub fn device_offline(&mut self, device: &str, now_ms: u64) -> Result<Option<Message>, Error> {
        let dev = device_entry(&mut self.devices, device)?;
        dev.online = false;
        if !(self.born && dev.born) {
            return Ok(None);
        }
        dev.born = false;
        let seq = self.take_seq();
        let payload = Payload {
            timestamp: Some(now_ms),
            seq: Some(u64::from(seq)),
            ..Payload::default()
        };
        debug!(device, seq, "sparkplug: DDEATH");
        Ok(Some(self.message(
            MessageType::DDeath,
            Some(device),
            Some(seq),
            payload,
        )))
    }

    /// One sample as exactly one DDATA with one metric (6.4.22): by alias only, with the
    /// sample's timestamp, `is_historical` when late, and properties `seq` (always) and the
    /// quality ones when not good (see the crate docs).
    ///
    /// When the device is online and its birth lacks the point, or the value does not fit the
    /// born datatype, `births` carries a fresh DBIRTH first (the datatype learnt from the value
    /// unless the point's hint holds it). A device that is offline gets no DBIRTH (that would
    /// declare it alive): its DDATA still goes out, by alias if this session's DBIRTH bound the
    /// point with this datatype, otherwise by name and datatype, since replayed historical
    /// samples may belong to a device that has died since.
    pub fn data(&mut self, sample: &SampleIn, now_ms: u64) -> Result<Data, Error> {
        if !self.born {
            return Err(Error::NotBorn);
        }
        let next_alias = &mut self.next_alias;
        let dev = device_entry(&mut self.devices, &sample.device)?;
        let i = dev.slot(&sample.point, next_alias);
        let Some(slot) = dev.slots.get_mut(i) else {
            return Err(Error::NotBorn);
        };
        let Some(dt) = slot.datatype_for(&sample.value) else {
            return Err(Error::NullWithoutDatatype {
                device: sample.device.clone(),
                point: sample.point.clone(),
            });
        };
        if slot.datatype() != Some(dt) {
            debug!(device = %sample.device, point = %sample.point, datatype = %dt, "sparkplug: datatype learnt from the value");
            slot.learnt = Some(dt);
        }
        let newer = slot
            .last
            .as_ref()
            .is_none_or(|l| !sample.historical || sample.timestamp_ms >= l.timestamp_ms);
        if newer {
            slot.last = Some(Last {
                value: sample.value.clone(),
                timestamp_ms: sample.timestamp_ms,
                quality: sample.quality,
                flags: sample.flags.clone(),
            });
        }
        let by_alias = slot.born == Some(dt);
        let alias = slot.alias;
        let online = dev.online;
        let mut births = Vec::new();
        if online && (!dev.born || !by_alias) {
            debug!(device = %sample.device, point = %sample.point, "sparkplug: DBIRTH before data");
            births.push(self.dbirth(&sample.device, now_ms));
        }
        let by_alias = by_alias || online;
        let mut metric = Metric {
            timestamp: Some(sample.timestamp_ms),
            is_historical: sample.historical.then_some(true),
            ..Metric::default()
        };
        if by_alias {
            metric.alias = Some(alias);
        } else {
            metric.name = Some(sample.point.clone());
            metric.datatype = Some(dt.code());
        }
        sample
            .value
            .encode_into(dt, &mut metric)
            .map_err(|e| e.in_metric(Some(&sample.device), &sample.point))?;
        let mut props = PropertySet::default();
        device::push(&mut props, keys::SEQ, device::uint64(sample.seq));
        device::quality_props(&mut props, sample.quality, &sample.flags);
        metric.properties = Some(props);
        let seq = self.take_seq();
        let payload = Payload {
            timestamp: Some(now_ms),
            metrics: vec![metric],
            seq: Some(u64::from(seq)),
            ..Payload::default()
        };
        let ddata = self.message(MessageType::DData, Some(&sample.device), Some(seq), payload);
        Ok(Data { births, ddata })
    }

    /// An NDATA with the given node metrics (6.4.21), by alias when the NBIRTH bound them with a
    /// datatype the value fits; otherwise by name and datatype (a host should then ask for a
    /// rebirth, whose NBIRTH holds the metrics the caller passes).
    pub fn node_data(&mut self, metrics: &[NodeMetric], now_ms: u64) -> Message {
        let mut out = Vec::with_capacity(metrics.len());
        for nm in metrics {
            let born = self
                .node
                .get(&nm.name)
                .and_then(|s| s.born.map(|b| (s.alias, b)));
            let mut metric = Metric {
                timestamp: Some(now_ms),
                ..Metric::default()
            };
            match born {
                Some((alias, dt)) if nm.value.fits(dt) => {
                    metric.alias = Some(alias);
                    let _ = nm.value.encode_into(dt, &mut metric);
                }
                _ => {
                    let Some(dt) = node_datatype(nm) else {
                        warn!(metric = %nm.name, "sparkplug: null node metric without a datatype left out of NDATA");
                        continue;
                    };
                    warn!(metric = %nm.name, "sparkplug: node metric not in the NBIRTH, sent by name");
                    metric.name = Some(nm.name.clone());
                    metric.datatype = Some(dt.code());
                    if nm.value.encode_into(dt, &mut metric).is_err() {
                        metric.is_null = Some(true);
                    }
                }
            }
            out.push(metric);
        }
        let seq = self.take_seq();
        let payload = Payload {
            timestamp: Some(now_ms),
            metrics: out,
            seq: Some(u64::from(seq)),
            ..Payload::default()
        };
        self.message(MessageType::NData, None, Some(seq), payload)
    }

    /// The alias of a node metric, or of a device's point, if it has one yet.
    pub fn alias_of(&self, device: Option<&str>, metric: &str) -> Option<u64> {
        match device {
            None => self.node.get(metric).map(|s| s.alias),
            Some(d) => {
                let dev = self.devices.get(d)?;
                dev.by_name
                    .get(metric)
                    .and_then(|i| dev.slots.get(*i))
                    .map(|s| s.alias)
            }
        }
    }

    /// Records the datatype of a point's values before any of them is published, and emits
    /// nothing: the next DBIRTH carries it, and [`EdgeNode::data`] sends one first when the
    /// current birth lacks the point or has another datatype. A caller that learns datatypes as
    /// readings arrive gets a batch of new points born in one DBIRTH rather than one DBIRTH each.
    /// A non-scalar datatype is ignored.
    pub fn learn(&mut self, device: &str, point: &str, datatype: DataType) -> Result<(), Error> {
        if !crate::value::is_scalar(datatype) {
            return Ok(());
        }
        let next_alias = &mut self.next_alias;
        let dev = device_entry(&mut self.devices, device)?;
        let i = dev.slot(point, next_alias);
        if let Some(slot) = dev.slots.get_mut(i) {
            if slot.datatype() != Some(datatype) {
                slot.learnt = Some(datatype);
            }
        }
        Ok(())
    }

    /// The datatype the next DBIRTH gives a device's point (learnt, else its hint), if known.
    pub fn datatype(&self, device: &str, point: &str) -> Option<DataType> {
        let dev = self.devices.get(device)?;
        dev.by_name
            .get(point)
            .and_then(|i| dev.slots.get(*i))
            .and_then(|s| s.datatype())
    }

    /// The datatype of a device's point in this session's DBIRTH, if it is in it.
    pub fn born_datatype(&self, device: &str, point: &str) -> Option<DataType> {
        let dev = self.devices.get(device)?;
        dev.by_name
            .get(point)
            .and_then(|i| dev.slots.get(*i))
            .and_then(|s| s.born)
    }

    pub(crate) fn node_metric_by_alias(&self, alias: u64) -> Option<&str> {
        self.node_by_alias.get(&alias).map(String::as_str)
    }

    fn node_alias(&mut self, name: &str) -> u64 {
        if let Some(slot) = self.node.get(name) {
            return slot.alias;
        }
        let alias = self.next_alias;
        self.next_alias = self.next_alias.wrapping_add(1);
        self.node
            .insert(name.to_string(), NodeSlot { alias, born: None });
        self.node_by_alias.insert(alias, name.to_string());
        alias
    }

    fn dbirth(&mut self, device: &str, now_ms: u64) -> Message {
        let metrics = match self.devices.get_mut(device) {
            Some(dev) => dev.birth_metrics(now_ms),
            None => Vec::new(),
        };
        let seq = self.take_seq();
        debug!(device, seq, metrics = metrics.len(), "sparkplug: DBIRTH");
        let payload = Payload {
            timestamp: Some(now_ms),
            metrics,
            seq: Some(u64::from(seq)),
            ..Payload::default()
        };
        self.message(MessageType::DBirth, Some(device), Some(seq), payload)
    }

    fn take_seq(&mut self) -> u8 {
        let seq = self.next_seq;
        self.next_seq = seq.wrapping_add(1);
        seq
    }

    fn message(
        &self,
        message_type: MessageType,
        device: Option<&str>,
        seq: Option<u8>,
        payload: Payload,
    ) -> Message {
        // The ids were checked when they entered (new, device_entry), so the topic is well formed.
        let topic = match device {
            Some(d) => format!(
                "{}/{}/{}/{}/{}",
                topic::NAMESPACE,
                self.group,
                message_type,
                self.edge_node,
                d
            ),
            None => format!(
                "{}/{}/{}/{}",
                topic::NAMESPACE,
                self.group,
                message_type,
                self.edge_node
            ),
        };
        Message {
            topic,
            payload: payload.encode_to_vec(),
            message_type,
            seq,
        }
    }
}

fn node_datatype(nm: &NodeMetric) -> Option<DataType> {
    match nm.datatype {
        Some(dt) if nm.value.fits(dt) => Some(dt),
        _ => nm.value.natural_datatype(),
    }
}

fn device_entry<'a>(
    devices: &'a mut BTreeMap<String, Device>,
    device: &str,
) -> Result<&'a mut Device, Error> {
    if !devices.contains_key(device) {
        topic::validate_id("device", device)?;
        devices.insert(device.to_string(), Device::default());
    }
    devices.get_mut(device).ok_or(Error::NotBorn)
}
