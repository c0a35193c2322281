//! One face over rumqttc's two clients: MQTT 3.1.1 (`rumqttc`) and MQTT 5.0 (`rumqttc::v5`, its
//! own client, event loop, options and packet types). The link and the delivery see only
//! [`MqttClient`], [`Options`], [`EventLoop`] and [`Polled`], so both versions keep the same
//! per-connection "epoch" design and the same packet-id FIFO (see `link` and `delivery`).

use std::sync::Arc;

use rumqttc::v5::mqttbytes::v5 as p5;
use rumqttc::v5::mqttbytes::QoS as QoS5;
use rumqttc::{Outgoing, QoS, TlsConfiguration, Transport};
use tokio::time::Instant;

use super::{CommandAck, IncomingCommand, PublisherSettings};
use crate::config::MqttVersion;
use crate::topic;

/// The request queue of one connection's client.
pub(crate) const REQUEST_QUEUE: usize = super::link::REQUEST_QUEUE;

fn qos5(qos: QoS) -> QoS5 {
    match qos {
        QoS::AtMostOnce => QoS5::AtMostOnce,
        QoS::AtLeastOnce => QoS5::AtLeastOnce,
        QoS::ExactlyOnce => QoS5::ExactlyOnce,
    }
}

/// The client of one connection, either version. Every call only queues a request (never waits):
/// an error means the connection's event loop is gone or its queue is full.
#[derive(Debug, Clone)]
pub(crate) enum MqttClient {
    /// MQTT 3.1.1.
    V3(rumqttc::AsyncClient),
    /// MQTT 5.0.
    V5(rumqttc::v5::AsyncClient),
}

impl MqttClient {
    /// Queues a PUBLISH (MQTT 3.1.1 §3.3, MQTT 5.0 §3.3).
    pub(crate) fn try_publish(
        &self,
        topic: impl Into<String>,
        qos: QoS,
        retain: bool,
        payload: Vec<u8>,
    ) -> Result<(), ()> {
        match self {
            MqttClient::V3(c) => c.try_publish(topic, qos, retain, payload).map_err(|_| ()),
            MqttClient::V5(c) => c
                .try_publish(topic, qos5(qos), retain, payload)
                .map_err(|_| ()),
        }
    }

    /// Queues a SUBSCRIBE of one filter (MQTT 3.1.1 §3.8, MQTT 5.0 §3.8).
    pub(crate) fn try_subscribe(&self, filter: &str, qos: QoS) -> Result<(), String> {
        match self {
            MqttClient::V3(c) => c.try_subscribe(filter, qos).map_err(|e| e.to_string()),
            MqttClient::V5(c) => c
                .try_subscribe(filter, qos5(qos))
                .map_err(|e| e.to_string()),
        }
    }

    /// Queues the PUBACK of a received QoS 1 PUBLISH (MQTT 3.1.1 §3.4, MQTT 5.0 §3.4); the
    /// options turn rumqttc's automatic acknowledgements off (see [`CommandAck`]).
    pub(crate) fn try_ack(&self, ack: CommandAck) -> Result<(), ()> {
        match self {
            MqttClient::V3(c) => {
                let mut p = rumqttc::Publish::new("", QoS::AtLeastOnce, Vec::new());
                p.pkid = ack.pkid;
                c.try_ack(&p).map_err(|_| ())
            }
            MqttClient::V5(c) => {
                let mut p = p5::Publish::new("", QoS5::AtLeastOnce, Vec::new(), None);
                p.pkid = ack.pkid;
                c.try_ack(&p).map_err(|_| ())
            }
        }
    }

    /// Queues a DISCONNECT (MQTT 3.1.1 §3.14, MQTT 5.0 §3.14, reason 0x00: the will is not sent).
    pub(crate) fn try_disconnect(&self) -> Result<(), ()> {
        match self {
            MqttClient::V3(c) => c.try_disconnect().map_err(|_| ()),
            MqttClient::V5(c) => c.try_disconnect().map_err(|_| ()),
        }
    }
}

/// The connection options of either version (without the TLS configuration, set per epoch).
#[derive(Clone)]
pub(crate) enum Options {
    /// MQTT 3.1.1.
    V3(Box<rumqttc::MqttOptions>),
    /// MQTT 5.0.
    V5(Box<rumqttc::v5::MqttOptions>),
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (host, port) = self.broker_address();
        write!(f, "Options({host}:{port})")
    }
}

impl Options {
    /// The CONNECT of the bridge (MQTT 3.1.1 §3.1, MQTT 5.0 §3.1): a clean session (v5: clean
    /// start and a session expiry of 0, §3.1.2.11.2), since the outbox and not the broker redelivers
    /// and every connection starts from a fresh client; the bridge's retained `offline` state as the
    /// last will; the user name and password when configured. With `settings.session_expiry` the
    /// session is persistent instead, for a cluster's failover.
    pub(crate) fn new(settings: &PublisherSettings, node: &crate::config::BrokerNode) -> Self {
        let keep_alive = settings.keep_alive.max(super::link::MIN_KEEP_ALIVE);
        let window = super::delivery::WINDOW as u16;
        let will_topic = settings.topics.bridge_state();
        let will = topic::bridge_will_payload();
        match settings.version {
            MqttVersion::V311 => {
                let mut o = rumqttc::MqttOptions::new(
                    settings.client_id.clone(),
                    node.host.clone(),
                    node.port,
                );
                o.set_keep_alive(keep_alive);
                o.set_clean_session(settings.session_expiry.is_none());
                o.set_manual_acks(true);
                o.set_inflight(window);
                o.set_max_packet_size(1 << 20, 1 << 20);
                o.set_last_will(rumqttc::LastWill::new(
                    will_topic,
                    will,
                    QoS::AtLeastOnce,
                    true,
                ));
                if let Some((user, password)) = &settings.credentials {
                    o.set_credentials(user.clone(), password.clone());
                }
                Options::V3(Box::new(o))
            }
            MqttVersion::V5 => {
                let mut o = rumqttc::v5::MqttOptions::new(
                    settings.client_id.clone(),
                    node.host.clone(),
                    node.port,
                );
                o.set_keep_alive(keep_alive);
                o.set_clean_start(settings.session_expiry.is_none());
                o.set_manual_acks(true);
                let expiry = settings
                    .session_expiry
                    .map_or(0, |d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX));
                o.set_session_expiry_interval(Some(expiry));
                // The broker's Receive Maximum (§3.2.2.3.3) may lower this further.
                o.set_outgoing_inflight_upper_limit(window);
                o.set_max_packet_size(Some(1 << 20));
                o.set_last_will(p5::LastWill::new(
                    will_topic,
                    will,
                    QoS5::AtLeastOnce,
                    true,
                    None,
                ));
                if let Some((user, password)) = &settings.credentials {
                    o.set_credentials(user.clone(), password.clone());
                }
                Options::V5(Box::new(o))
            }
        }
    }

    /// Host and port.
    pub(crate) fn broker_address(&self) -> (String, u16) {
        match self {
            Options::V3(o) => o.broker_address(),
            Options::V5(o) => o.broker_address(),
        }
    }

    /// The last will (MQTT 3.1.1 §3.1.2.5, MQTT 5.0 §3.1.2.5): QoS 1, not retained, as Sparkplug
    /// wants its NDEATH (Sparkplug 3.0 §5.4).
    pub(crate) fn set_will(&mut self, topic: String, payload: Vec<u8>) {
        match self {
            Options::V3(o) => {
                o.set_last_will(rumqttc::LastWill::new(
                    topic,
                    payload,
                    QoS::AtLeastOnce,
                    false,
                ));
            }
            Options::V5(o) => {
                o.set_last_will(p5::LastWill::new(
                    topic,
                    payload,
                    QoS5::AtLeastOnce,
                    false,
                    None,
                ));
            }
        }
    }

    /// TLS through this rustls configuration.
    pub(crate) fn set_tls(&mut self, config: Arc<rustls::ClientConfig>) {
        let transport = Transport::tls_with_config(TlsConfiguration::Rustls(config));
        match self {
            Options::V3(o) => {
                o.set_transport(transport);
            }
            Options::V5(o) => {
                o.set_transport(transport);
            }
        }
    }

    /// A fresh client and event loop: one connection epoch.
    pub(crate) fn connect(&self) -> (MqttClient, EventLoop) {
        match self {
            Options::V3(o) => {
                let (c, e) = rumqttc::AsyncClient::new((**o).clone(), REQUEST_QUEUE);
                (MqttClient::V3(c), EventLoop::V3(Box::new(e)))
            }
            Options::V5(o) => {
                let (c, e) = rumqttc::v5::AsyncClient::new((**o).clone(), REQUEST_QUEUE);
                (MqttClient::V5(c), EventLoop::V5(Box::new(e)))
            }
        }
    }
}

/// The event loop of one connection.
pub(crate) enum EventLoop {
    /// MQTT 3.1.1.
    V3(Box<rumqttc::EventLoop>),
    /// MQTT 5.0.
    V5(Box<rumqttc::v5::EventLoop>),
}

/// A failed connection, as rumqttc reported it.
#[derive(Debug)]
pub(crate) enum LinkError {
    /// MQTT 3.1.1.
    V3(rumqttc::ConnectionError),
    /// MQTT 5.0.
    V5(rumqttc::v5::ConnectionError),
}

impl std::fmt::Display for LinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LinkError::V3(e) => e.fmt(f),
            LinkError::V5(e) => e.fmt(f),
        }
    }
}

/// What the event loop reported, the same for both versions.
#[derive(Debug)]
pub(crate) enum Polled {
    /// CONNACK accepted the connection.
    ConnAck {
        /// The return or reason code, for the log.
        code: String,
        /// The broker resumed a session it kept (MQTT 3.1.1 §3.2.2.2, MQTT 5.0 §3.2.2.1.1).
        session_present: bool,
    },
    /// A PUBLISH with this packet id went out.
    Sent(u16),
    /// PUBACK of this packet id; v5: `refused` carries a reason code of 0x80 or more.
    Acked {
        /// The packet id.
        pkid: u16,
        /// The broker did not accept the message (MQTT 5.0 §3.4.2.1), e.g. `NotAuthorized`.
        refused: Option<String>,
    },
    /// SUBACK: the return codes that refused a filter (MQTT 3.1.1 §3.9.3: 0x80; MQTT 5.0 §3.9.3).
    SubAck {
        /// The refusals, empty when every filter was granted.
        refused: Vec<String>,
    },
    /// A PUBLISH from the broker.
    Publish(IncomingCommand),
    /// Our DISCONNECT went out.
    Disconnected,
    /// Anything else (pings, our SUBSCRIBE, acknowledgements we send).
    Other,
}

impl EventLoop {
    /// The next event; an error means the connection is gone (the epoch ends).
    pub(crate) async fn poll(&mut self) -> Result<Polled, LinkError> {
        match self {
            EventLoop::V3(e) => e.poll().await.map(polled_v3).map_err(LinkError::V3),
            EventLoop::V5(e) => e.poll().await.map(polled_v5).map_err(LinkError::V5),
        }
    }
}

fn polled_v3(event: rumqttc::Event) -> Polled {
    use rumqttc::{Event, Packet, SubscribeReasonCode};
    match event {
        Event::Incoming(Packet::ConnAck(ack)) => Polled::ConnAck {
            code: format!("{:?}", ack.code),
            session_present: ack.session_present,
        },
        Event::Outgoing(Outgoing::Publish(pkid)) => Polled::Sent(pkid),
        Event::Incoming(Packet::PubAck(ack)) => Polled::Acked {
            pkid: ack.pkid,
            refused: None,
        },
        Event::Incoming(Packet::SubAck(ack)) => Polled::SubAck {
            refused: ack
                .return_codes
                .iter()
                .filter(|c| matches!(c, SubscribeReasonCode::Failure))
                .map(|_| "Failure (0x80)".to_owned())
                .collect(),
        },
        Event::Incoming(Packet::Publish(p)) => Polled::Publish(IncomingCommand {
            topic: p.topic,
            payload: p.payload.to_vec(),
            retained: p.retain,
            message_expiry: None,
            received: Instant::now(),
            ack: (p.qos != QoS::AtMostOnce).then_some(CommandAck {
                epoch: 0,
                pkid: p.pkid,
            }),
        }),
        Event::Outgoing(Outgoing::Disconnect) => Polled::Disconnected,
        _ => Polled::Other,
    }
}

fn polled_v5(event: rumqttc::v5::Event) -> Polled {
    use p5::{Packet, PubAckReason, SubscribeReasonCode};
    use rumqttc::v5::Event;
    match event {
        Event::Incoming(Packet::ConnAck(ack)) => Polled::ConnAck {
            code: format!("{:?}", ack.code),
            session_present: ack.session_present,
        },
        Event::Outgoing(Outgoing::Publish(pkid)) => Polled::Sent(pkid),
        Event::Incoming(Packet::PubAck(ack)) => Polled::Acked {
            pkid: ack.pkid,
            refused: match ack.reason {
                PubAckReason::Success | PubAckReason::NoMatchingSubscribers => None,
                other => Some(format!("{other:?}")),
            },
        },
        Event::Incoming(Packet::SubAck(ack)) => Polled::SubAck {
            refused: ack
                .return_codes
                .iter()
                .filter(|c| !matches!(c, SubscribeReasonCode::Success(_)))
                .map(|c| format!("{c:?}"))
                .collect(),
        },
        Event::Incoming(Packet::Publish(p)) => Polled::Publish(IncomingCommand {
            topic: String::from_utf8_lossy(&p.topic).into_owned(),
            payload: p.payload.to_vec(),
            retained: p.retain,
            // MQTT 5.0 §3.3.2.3.3: the broker forwards the interval minus the time it held it.
            message_expiry: p.properties.and_then(|props| props.message_expiry_interval),
            received: Instant::now(),
            ack: (p.qos != QoS5::AtMostOnce).then_some(CommandAck {
                epoch: 0,
                pkid: p.pkid,
            }),
        }),
        Event::Outgoing(Outgoing::Disconnect) => Polled::Disconnected,
        _ => Polled::Other,
    }
}
