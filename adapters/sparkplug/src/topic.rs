//! The Sparkplug B topic namespace (Sparkplug 3.0, chapter 4).
//!
//! `spBv1.0/<group_id>/<message_type>/<edge_node_id>[/<device_id>]` for edge nodes and devices
//! (4.1), `spBv1.0/STATE/<host_id>` for host applications (4.2.3).

use std::fmt;

use crate::Error;

/// The namespace element of Sparkplug B (4.1.1).
pub const NAMESPACE: &str = "spBv1.0";

/// The message types of an edge node and its devices (4.1.3); STATE is [`Topic::State`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessageType {
    /// Edge node birth certificate (4.2.1.1).
    NBirth,
    /// Edge node death certificate (4.2.1.3).
    NDeath,
    /// Edge node data (4.2.1.2).
    NData,
    /// Edge node command (4.2.1.4).
    NCmd,
    /// Device birth certificate (4.2.2.1).
    DBirth,
    /// Device death certificate (4.2.2.3).
    DDeath,
    /// Device data (4.2.2.2).
    DData,
    /// Device command (4.2.2.4).
    DCmd,
}

impl MessageType {
    /// The topic element, e.g. `"NBIRTH"`.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageType::NBirth => "NBIRTH",
            MessageType::NDeath => "NDEATH",
            MessageType::NData => "NDATA",
            MessageType::NCmd => "NCMD",
            MessageType::DBirth => "DBIRTH",
            MessageType::DDeath => "DDEATH",
            MessageType::DData => "DDATA",
            MessageType::DCmd => "DCMD",
        }
    }

    /// The message type of a topic element (case-sensitive, 5.2).
    pub fn parse(s: &str) -> Option<MessageType> {
        Some(match s {
            "NBIRTH" => MessageType::NBirth,
            "NDEATH" => MessageType::NDeath,
            "NDATA" => MessageType::NData,
            "NCMD" => MessageType::NCmd,
            "DBIRTH" => MessageType::DBirth,
            "DDEATH" => MessageType::DDeath,
            "DDATA" => MessageType::DData,
            "DCMD" => MessageType::DCmd,
            _ => return None,
        })
    }

    /// True for the device message types, whose topic carries a device id (4.1.5).
    pub fn is_device(self) -> bool {
        matches!(
            self,
            MessageType::DBirth | MessageType::DDeath | MessageType::DData | MessageType::DCmd
        )
    }

    /// True for the messages that carry `seq` (6.4.5): all an edge node sends but NDEATH.
    pub fn has_seq(self) -> bool {
        !matches!(
            self,
            MessageType::NDeath | MessageType::NCmd | MessageType::DCmd
        )
    }
}

impl fmt::Display for MessageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parsed Sparkplug B topic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Topic {
    /// An edge node or device message.
    Edge {
        /// Group id (4.1.2).
        group: String,
        /// Message type (4.1.3).
        message_type: MessageType,
        /// Edge node id (4.1.4).
        edge_node: String,
        /// Device id (4.1.5): present exactly for the device message types.
        device: Option<String>,
    },
    /// A host application's STATE (4.2.3).
    State {
        /// The host application id.
        host_id: String,
    },
}

impl Topic {
    /// Parses and checks a topic: the namespace, the message type, the number of elements for
    /// that type and every id (4.1).
    pub fn parse(topic: &str) -> Result<Topic, Error> {
        let bad = |expected| Error::BadTopic {
            topic: topic.to_string(),
            expected,
        };
        let mut parts = topic.split('/');
        if parts.next() != Some(NAMESPACE) {
            return Err(bad("the namespace spBv1.0 first"));
        }
        let second = parts.next().ok_or_else(|| bad("spBv1.0/<group>/..."))?;
        let rest: Vec<&str> = parts.collect();
        if second == "STATE" {
            return match rest.as_slice() {
                [host] => {
                    validate_id("host", host)?;
                    Ok(Topic::State {
                        host_id: host.to_string(),
                    })
                }
                _ => Err(bad("spBv1.0/STATE/<host_id>")),
            };
        }
        let (kind, node, device) = match rest.as_slice() {
            [kind, node] => (*kind, *node, None),
            [kind, node, device] => (*kind, *node, Some(*device)),
            _ => return Err(bad("spBv1.0/<group>/<type>/<edge_node>[/<device>]")),
        };
        let message_type = MessageType::parse(kind).ok_or_else(|| {
            bad("a message type NBIRTH, NDEATH, NDATA, NCMD, DBIRTH, DDEATH, DDATA or DCMD")
        })?;
        if message_type.is_device() != device.is_some() {
            return Err(bad(if message_type.is_device() {
                "a device id after the edge node id for a device message type"
            } else {
                "no device id for an edge node message type"
            }));
        }
        validate_id("group", second)?;
        validate_id("edge node", node)?;
        if let Some(d) = device {
            validate_id("device", d)?;
        }
        Ok(Topic::Edge {
            group: second.to_string(),
            message_type,
            edge_node: node.to_string(),
            device: device.map(str::to_string),
        })
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Topic::Edge {
                group,
                message_type,
                edge_node,
                device,
            } => {
                write!(f, "{NAMESPACE}/{group}/{message_type}/{edge_node}")?;
                if let Some(d) = device {
                    write!(f, "/{d}")?;
                }
                Ok(())
            }
            Topic::State { host_id } => write!(f, "{NAMESPACE}/STATE/{host_id}"),
        }
    }
}

/// Checks a group, edge node, device or host id: a non-empty UTF-8 string without the reserved
/// characters `/`, `+` and `#` (4.1.2, 4.1.4, 4.1.5). `kind` names it in the error.
pub fn validate_id(kind: &'static str, id: &str) -> Result<(), Error> {
    let reason = if id.is_empty() {
        "it is empty"
    } else if id.contains('/') {
        "it contains '/'"
    } else if id.contains('+') {
        "it contains '+'"
    } else if id.contains('#') {
        "it contains '#'"
    } else {
        return Ok(());
    };
    Err(Error::InvalidId {
        kind,
        id: id.to_string(),
        reason,
    })
}

/// The topic of an edge node or device message; checks the ids and that `device` is present
/// exactly for the device message types.
pub fn format(
    group: &str,
    message_type: MessageType,
    edge_node: &str,
    device: Option<&str>,
) -> Result<String, Error> {
    validate_id("group", group)?;
    validate_id("edge node", edge_node)?;
    if let Some(d) = device {
        validate_id("device", d)?;
    }
    let topic = match device {
        Some(d) => format!("{NAMESPACE}/{group}/{message_type}/{edge_node}/{d}"),
        None => format!("{NAMESPACE}/{group}/{message_type}/{edge_node}"),
    };
    if message_type.is_device() != device.is_some() {
        return Err(Error::BadTopic {
            topic,
            expected: "a device id exactly for DBIRTH, DDEATH, DDATA and DCMD",
        });
    }
    Ok(topic)
}

/// `spBv1.0/STATE/<host_id>`, the topic of a host application's STATE (4.2.3.1.2).
pub fn state_topic(host_id: &str) -> Result<String, Error> {
    validate_id("host", host_id)?;
    Ok(format!("{NAMESPACE}/STATE/{host_id}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_topics_format_and_parse_back() {
        let t = format("plant-a", MessageType::DData, "bridge1", Some("plc1")).unwrap();
        assert_eq!(t, "spBv1.0/plant-a/DDATA/bridge1/plc1");
        let parsed = Topic::parse(&t).unwrap();
        assert_eq!(
            parsed,
            Topic::Edge {
                group: "plant-a".into(),
                message_type: MessageType::DData,
                edge_node: "bridge1".into(),
                device: Some("plc1".into()),
            }
        );
        assert_eq!(parsed.to_string(), t);
    }

    #[test]
    fn every_message_type_round_trips_through_its_topic() {
        for mt in [
            MessageType::NBirth,
            MessageType::NDeath,
            MessageType::NData,
            MessageType::NCmd,
            MessageType::DBirth,
            MessageType::DDeath,
            MessageType::DData,
            MessageType::DCmd,
        ] {
            let device = mt.is_device().then_some("d");
            let t = format("g", mt, "n", device).unwrap();
            assert_eq!(Topic::parse(&t).unwrap().to_string(), t);
            assert_eq!(MessageType::parse(mt.as_str()), Some(mt));
        }
    }

    #[test]
    fn state_topics_parse_and_format() {
        assert_eq!(state_topic("scada-1").unwrap(), "spBv1.0/STATE/scada-1");
        assert_eq!(
            Topic::parse("spBv1.0/STATE/scada-1").unwrap(),
            Topic::State {
                host_id: "scada-1".into()
            }
        );
        assert!(matches!(
            state_topic("a/b"),
            Err(Error::InvalidId { kind: "host", .. })
        ));
    }

    #[test]
    fn ids_with_reserved_characters_or_empty_are_refused() {
        for bad in ["", "a/b", "a+b", "a#b", "+", "#"] {
            assert!(
                matches!(
                    validate_id("device", bad),
                    Err(Error::InvalidId { kind: "device", .. })
                ),
                "{bad:?}"
            );
        }
        validate_id("device", "Pump 1 (ü)").unwrap();
        assert!(format("g+", MessageType::NBirth, "n", None).is_err());
        assert!(format("g", MessageType::NBirth, "n#", None).is_err());
    }

    #[test]
    fn a_device_id_is_required_exactly_for_device_types() {
        assert!(format("g", MessageType::DBirth, "n", None).is_err());
        assert!(format("g", MessageType::NBirth, "n", Some("d")).is_err());
        assert!(Topic::parse("spBv1.0/g/DDATA/n").is_err());
        assert!(Topic::parse("spBv1.0/g/NDATA/n/d").is_err());
    }

    #[test]
    fn malformed_topics_are_refused_with_what_was_expected() {
        for bad in [
            "",
            "spAv1.0/g/NBIRTH/n",
            "spBv1.0",
            "spBv1.0/g",
            "spBv1.0/g/NBIRTH",
            "spBv1.0/g/nbirth/n",
            "spBv1.0/g/DDATA/n/d/extra",
            "spBv1.0/STATE",
            "spBv1.0/STATE/a/b",
            "spBv1.0/g/NBIRTH/",
            "spBv1.0//NBIRTH/n",
            "spBv1.0/g/DDATA/n/+",
        ] {
            assert!(Topic::parse(bad).is_err(), "{bad:?} parsed");
        }
        let err = Topic::parse("spBv1.0/g/XDATA/n").unwrap_err().to_string();
        assert!(err.contains("NBIRTH"), "{err}");
    }

    #[test]
    fn seq_is_carried_by_all_but_ndeath_and_commands() {
        assert!(MessageType::NBirth.has_seq());
        assert!(MessageType::DDeath.has_seq());
        assert!(!MessageType::NDeath.has_seq());
        assert!(!MessageType::NCmd.has_seq());
        assert!(!MessageType::DCmd.has_seq());
    }
}
