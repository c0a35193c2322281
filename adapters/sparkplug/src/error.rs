//! The crate's one error type.

use crate::proto::DataType;

/// Everything that can go wrong in this crate; every variant names what was expected.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A group, edge node, device or host id that Sparkplug 3.0, 4.1.2 to 4.1.5 forbids.
    #[error("invalid Sparkplug {kind} id {id:?}: {reason}")]
    InvalidId {
        /// `"group"`, `"edge node"`, `"device"` or `"host"`.
        kind: &'static str,
        /// The id as given.
        id: String,
        /// What is wrong (empty, or which reserved character it holds).
        reason: &'static str,
    },
    /// A topic outside the Sparkplug B namespace (4.1) or not of the expected form.
    #[error("bad Sparkplug topic {topic:?}: expected {expected}")]
    BadTopic {
        /// The topic as received.
        topic: String,
        /// The form that was expected.
        expected: &'static str,
    },
    /// A payload that is not a Sparkplug B protobuf payload (6.4.1).
    #[error("payload on {topic:?} ({len} bytes) is not a Sparkplug B payload: {source}")]
    Decode {
        /// The topic it came on.
        topic: String,
        /// Its length.
        len: usize,
        /// What prost found.
        #[source]
        source: prost::DecodeError,
    },
    /// A value that does not fit a datatype (6.4.17): never wrapped, never truncated.
    #[error("value {value} does not fit Sparkplug datatype {datatype}: expected {expected}")]
    ValueDoesNotFit {
        /// The datatype.
        datatype: DataType,
        /// The value, as text.
        value: String,
        /// What the datatype accepts.
        expected: &'static str,
    },
    /// A received metric value in the wrong field, or out of its datatype's range.
    #[error("metric value for datatype {datatype}: expected {expected}, found {found}")]
    WrongValue {
        /// The datatype the value was read as.
        datatype: DataType,
        /// What that datatype travels as.
        expected: &'static str,
        /// What was there.
        found: String,
    },
    /// A datatype this crate does not carry as a [`crate::MetricValue`] (arrays, DataSet,
    /// Template, PropertySet, Unknown).
    #[error("Sparkplug datatype {0} is not supported here (scalars only)")]
    UnsupportedDataType(DataType),
    /// A datatype code outside the specification's table (6.4.16).
    #[error("unknown Sparkplug datatype code {0} (expected 0..=34)")]
    UnknownDataTypeCode(u32),
    /// A problem with one metric, named.
    #[error("metric {metric:?}{}: {source}", device_suffix(device))]
    InMetric {
        /// The device, `None` for an edge node metric.
        device: Option<String>,
        /// The metric's name, or `alias N` when only the alias is known.
        metric: String,
        /// The problem.
        #[source]
        source: Box<Error>,
    },
    /// A command for a device this edge node has not born in this session.
    #[error("command for unknown device {device:?}: expected one of the devices in a DBIRTH of this session")]
    UnknownDevice {
        /// The device id from the topic.
        device: String,
    },
    /// A command metric by an alias no birth of this session bound.
    #[error(
        "unknown metric alias {alias}{}: expected an alias from the birth",
        device_suffix(device)
    )]
    UnknownAlias {
        /// The device, `None` for the edge node.
        device: Option<String>,
        /// The alias.
        alias: u64,
    },
    /// A command metric by a name no birth of this session holds.
    #[error(
        "unknown metric {name:?}{}: expected a metric of the birth",
        device_suffix(device)
    )]
    UnknownMetric {
        /// The device, `None` for the edge node.
        device: Option<String>,
        /// The name.
        name: String,
    },
    /// A command metric with both a name and an alias that the birth does not pair.
    #[error(
        "metric {name:?} with alias {alias}{}: the birth bound that alias to {born:?}",
        device_suffix(device)
    )]
    AliasNameMismatch {
        /// The device, `None` for the edge node.
        device: Option<String>,
        /// The name in the command.
        name: String,
        /// The alias in the command.
        alias: u64,
        /// The name the birth bound to the alias.
        born: String,
    },
    /// A command metric whose datatype differs from the one in the birth.
    #[error(
        "metric {metric:?}{}: born as {born}, command says {found}",
        device_suffix(device)
    )]
    DatatypeMismatch {
        /// The device, `None` for the edge node.
        device: Option<String>,
        /// The metric name.
        metric: String,
        /// The datatype in the birth.
        born: DataType,
        /// The datatype code in the command.
        found: u32,
    },
    /// A command metric with neither a name nor an alias (6.4.6).
    #[error("command metric #{index} has neither a name nor an alias")]
    MetricWithoutNameOrAlias {
        /// Its index in the payload.
        index: usize,
    },
    /// A command with no metric.
    #[error("{verb} on {topic:?} carries no metric: expected at least one")]
    EmptyCommand {
        /// NCMD or DCMD.
        verb: &'static str,
        /// The topic.
        topic: String,
    },
    /// An NCMD metric other than `Node Control/Rebirth` = true (5.17).
    #[error(
        "NCMD metric {metric:?} is not supported: expected only \"Node Control/Rebirth\" = true"
    )]
    UnsupportedNodeCommand {
        /// The metric's name (or `alias N`), and the value when it is the rebirth metric.
        metric: String,
    },
    /// A message that is not NCMD or DCMD given to [`crate::EdgeNode::decode_command`].
    #[error("{topic:?} is not a command: expected NCMD or DCMD")]
    NotACommand {
        /// The topic.
        topic: String,
    },
    /// A command addressed to another group or edge node.
    #[error("command on {topic:?} is for another edge node: expected {expected}")]
    NotThisEdgeNode {
        /// The topic.
        topic: String,
        /// `group/edge_node` of this edge node.
        expected: String,
    },
    /// Data asked for before the NBIRTH of the current session (5.4, 6.4.22).
    #[error("no NBIRTH in this session yet: call birth() after the connection, before any data")]
    NotBorn,
    /// A null value for a metric whose datatype is not known yet: nothing to birth it with.
    #[error("null value for {device:?}/{point:?} whose datatype is not known yet: expected a typed value or a datatype hint")]
    NullWithoutDatatype {
        /// The device.
        device: String,
        /// The point.
        point: String,
    },
    /// A host application's STATE payload that is neither 3.0 JSON nor the 2.2 text.
    #[error("bad STATE payload {payload:?}: expected {{\"online\":bool,\"timestamp\":ms}} or ONLINE/OFFLINE")]
    BadState {
        /// The payload, lossily as text, at most 64 characters.
        payload: String,
    },
}

fn device_suffix(device: &Option<String>) -> String {
    match device {
        Some(d) => format!(" of device {d:?}"),
        None => " of the edge node".to_string(),
    }
}

impl Error {
    /// Wraps `self` with the metric (and device) it concerns.
    pub(crate) fn in_metric(self, device: Option<&str>, metric: &str) -> Error {
        Error::InMetric {
            device: device.map(str::to_string),
            metric: metric.to_string(),
            source: Box::new(self),
        }
    }
}
