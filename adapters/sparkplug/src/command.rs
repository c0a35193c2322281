//! NCMD and DCMD from host applications (Sparkplug 3.0, 4.2.1.4, 4.2.2.4, 5.17).

use prost::Message as _;
use tracing::debug;

use crate::node::REBIRTH;
use crate::proto::{DataType, Metric, Payload};
use crate::topic::{MessageType, Topic};
use crate::{EdgeNode, Error, MetricValue};

/// A command for this edge node, resolved against this session's births.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// NCMD `Node Control/Rebirth` = true: publish [`EdgeNode::birth`] again (5.17).
    Rebirth,
    /// DCMD: writes to points of one device, in the order of the payload.
    Writes {
        /// The device id from the topic.
        device: String,
        /// The writes.
        writes: Vec<Write>,
    },
}

/// One write of a DCMD.
#[derive(Clone, Debug, PartialEq)]
pub struct Write {
    /// The point (metric name from the birth).
    pub point: String,
    /// The value, read as the datatype of the birth.
    pub value: MetricValue,
    /// The datatype of the birth.
    pub datatype: DataType,
}

impl EdgeNode {
    /// Decodes an NCMD or DCMD addressed to this edge node.
    ///
    /// An NCMD must hold only `Node Control/Rebirth` = true ([`Command::Rebirth`]); any other
    /// metric is [`Error::UnsupportedNodeCommand`] naming it. A DCMD's metrics are resolved by
    /// alias or name through the device's DBIRTH of this session, and each value is read as
    /// the born datatype; an unknown device, alias or name, a datatype that differs from the
    /// birth's, or a value that does not match it is an error naming the metric.
    pub fn decode_command(&self, topic: &str, payload: &[u8]) -> Result<Command, Error> {
        let (message_type, device) = match Topic::parse(topic)? {
            Topic::Edge {
                group,
                message_type,
                edge_node,
                device,
            } => {
                if group != self.group() || edge_node != self.edge_node() {
                    return Err(Error::NotThisEdgeNode {
                        topic: topic.to_string(),
                        expected: format!("{}/{}", self.group(), self.edge_node()),
                    });
                }
                (message_type, device)
            }
            Topic::State { .. } => {
                return Err(Error::NotACommand {
                    topic: topic.to_string(),
                })
            }
        };
        let decoded = Payload::decode(payload).map_err(|source| Error::Decode {
            topic: topic.to_string(),
            len: payload.len(),
            source,
        })?;
        match (message_type, device) {
            (MessageType::NCmd, None) => self.node_command(topic, &decoded),
            (MessageType::DCmd, Some(device)) => self.device_command(topic, device, &decoded),
            _ => Err(Error::NotACommand {
                topic: topic.to_string(),
            }),
        }
    }

    fn node_command(&self, topic: &str, payload: &Payload) -> Result<Command, Error> {
        if payload.metrics.is_empty() {
            return Err(Error::EmptyCommand {
                verb: "NCMD",
                topic: topic.to_string(),
            });
        }
        for (index, metric) in payload.metrics.iter().enumerate() {
            let name = match (&metric.name, metric.alias) {
                (Some(n), _) => n.clone(),
                (None, Some(a)) => match self.node_metric_by_alias(a) {
                    Some(n) => n.to_string(),
                    None => {
                        return Err(Error::UnknownAlias {
                            device: None,
                            alias: a,
                        })
                    }
                },
                (None, None) => return Err(Error::MetricWithoutNameOrAlias { index }),
            };
            if name != REBIRTH {
                return Err(Error::UnsupportedNodeCommand { metric: name });
            }
            check_datatype(None, &name, DataType::Boolean, metric)?;
            match MetricValue::from_metric(DataType::Boolean, metric) {
                Ok(MetricValue::Bool(true)) => {}
                Ok(other) => {
                    return Err(Error::UnsupportedNodeCommand {
                        metric: format!("{name} = {other}"),
                    })
                }
                Err(e) => return Err(e.in_metric(None, &name)),
            }
        }
        debug!(topic, "sparkplug: rebirth requested");
        Ok(Command::Rebirth)
    }

    fn device_command(
        &self,
        topic: &str,
        device: String,
        payload: &Payload,
    ) -> Result<Command, Error> {
        let dev = match self.devices.get(&device) {
            Some(d) if d.slots.iter().any(|s| s.born.is_some()) => d,
            _ => return Err(Error::UnknownDevice { device }),
        };
        if payload.metrics.is_empty() {
            return Err(Error::EmptyCommand {
                verb: "DCMD",
                topic: topic.to_string(),
            });
        }
        let mut writes = Vec::with_capacity(payload.metrics.len());
        for (index, metric) in payload.metrics.iter().enumerate() {
            let by_alias = metric.alias.map(|a| {
                dev.by_alias
                    .get(&a)
                    .and_then(|i| dev.slots.get(*i))
                    .filter(|s| s.born.is_some())
                    .ok_or_else(|| Error::UnknownAlias {
                        device: Some(device.clone()),
                        alias: a,
                    })
            });
            let slot = match (&metric.name, by_alias) {
                (_, Some(Err(e))) => return Err(e),
                (Some(name), Some(Ok(slot))) if *name != slot.name => {
                    return Err(Error::AliasNameMismatch {
                        device: Some(device.clone()),
                        name: name.clone(),
                        alias: slot.alias,
                        born: slot.name.clone(),
                    })
                }
                (_, Some(Ok(slot))) => slot,
                (Some(name), None) => dev
                    .by_name
                    .get(name)
                    .and_then(|i| dev.slots.get(*i))
                    .filter(|s| s.born.is_some())
                    .ok_or_else(|| Error::UnknownMetric {
                        device: Some(device.clone()),
                        name: name.clone(),
                    })?,
                (None, None) => return Err(Error::MetricWithoutNameOrAlias { index }),
            };
            let Some(born) = slot.born else {
                return Err(Error::UnknownMetric {
                    device: Some(device.clone()),
                    name: slot.name.clone(),
                });
            };
            check_datatype(Some(&device), &slot.name, born, metric)?;
            let value = MetricValue::from_metric(born, metric)
                .map_err(|e| e.in_metric(Some(&device), &slot.name))?;
            writes.push(Write {
                point: slot.name.clone(),
                value,
                datatype: born,
            });
        }
        debug!(topic, writes = writes.len(), "sparkplug: DCMD");
        Ok(Command::Writes { device, writes })
    }
}

/// A command metric may repeat the datatype (it should not, 6.4.6); if it does, it must be the
/// birth's.
fn check_datatype(
    device: Option<&str>,
    name: &str,
    born: DataType,
    metric: &Metric,
) -> Result<(), Error> {
    match metric.datatype {
        Some(code) if code != born.code() && code != DataType::Unknown.code() => {
            Err(Error::DatatypeMismatch {
                device: device.map(str::to_string),
                metric: name.to_string(),
                born,
                found: code,
            })
        }
        _ => Ok(()),
    }
}
