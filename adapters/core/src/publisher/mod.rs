//! The MQTT publisher: numbers each reading, writes it to the disk outbox, publishes it from there
//! and removes it only when the broker acknowledged it (design brief §4). It also keeps the
//! retained state and meta topics, and the broker link with its last will and backoff.
//!
//! It never knows a protocol: it sees only the point stream (design brief §2).

mod client;
mod delivery;
mod delivery_stats;
mod direct;
mod failure;
mod link;
mod record;
mod sparkplug;
mod storage;

use std::time::Duration;

use fieldbridge_outbox::Outbox;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::backoff::Backoff;
use crate::event::EventReceiver;
use crate::seq::SeqStore;
use crate::topic::Topics;

pub use delivery_stats::DeliveryStats;
pub use link::LinkStatus;
pub use sparkplug::SparkplugSettings;
pub use storage::{fault_kind, StorageProblem, StorageStatus};

/// A PUBLISH received on the command subscription, handed to the command router as it came.
#[derive(Debug, Clone)]
pub struct IncomingCommand {
    /// The topic it was published on (`<prefix>/<site>/<device>/<point>/set`).
    pub topic: String,
    /// The payload, unparsed.
    pub payload: Vec<u8>,
    /// Delivered from the broker's retained store (at subscribe time), not live.
    pub retained: bool,
    /// MQTT 5 message expiry interval left, seconds, when the sender set one (MQTT 5.0
    /// §3.3.2.3.3: the broker forwards what is left of it); always `None` over MQTT 3.1.1.
    pub message_expiry: Option<u32>,
    /// When the bridge received it.
    pub received: tokio::time::Instant,
    /// The PUBACK it still owes the broker (QoS 1), sent with its result: see [`CommandAck`].
    pub ack: Option<CommandAck>,
}

/// The acknowledgement a received command still owes the broker (MQTT 3.1.1 §3.4, MQTT 5.0
/// §3.4): the link acknowledges commands by hand and the router hands the token back with the
/// command's result, so the PUBACK goes out right after the result, on the same connection.
///
/// Why not at once: a lone PUBACK is a packet the broker does not answer, so its TCP
/// acknowledgement is delayed (about 40 ms on Linux), and Nagle's algorithm holds the result that
/// follows until then. Sent after the result it rides on the broker's answer to the result, and
/// the command round trip is about a millisecond instead of 40 (`docs/performance.md`). Leaving
/// Nagle on keeps sample batches in few packets (with `TCP_NODELAY` the saturation throughput
/// fell from 0.98 to 0.79 of a bare publisher).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandAck {
    pub(crate) epoch: u64,
    pub(crate) pkid: u16,
}

/// A message published outside the outbox (a command result): QoS 1, not retained, kept in memory
/// until the broker acknowledges it and sent again on the next connection if the link fails first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectMessage {
    /// The topic; empty for a message that only carries `ack` (a PUBLISH that was not a command).
    pub topic: String,
    /// The payload.
    pub payload: Vec<u8>,
    /// The acknowledgement of the command this result answers, sent right after it if the
    /// connection is still the one the command came on.
    pub ack: Option<CommandAck>,
}

/// The publisher's side of the command router: what to subscribe to, where received commands go,
/// and where results come from.
#[derive(Debug)]
pub struct CommandLink {
    /// The topic filter subscribed at QoS 1 after every CONNACK (`<prefix>/<site>/+/+/set`).
    pub filter: String,
    /// Where every PUBLISH matching the filter goes.
    pub incoming: mpsc::UnboundedSender<IncomingCommand>,
    /// Results to publish.
    pub results: mpsc::Receiver<DirectMessage>,
}

/// The TLS files of an `mqtts://` link (all PEM).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsFiles {
    /// CA bundle that signs the broker's certificate: required (this build has no system roots).
    pub ca_file: Option<std::path::PathBuf>,
    /// Client certificate chain, for mutual TLS.
    pub cert_file: Option<std::path::PathBuf>,
    /// Client private key, for mutual TLS.
    pub key_file: Option<std::path::PathBuf>,
}

/// What the publisher needs to reach the broker and pace a replay.
#[derive(Debug, Clone)]
pub struct PublisherSettings {
    /// The broker, or the nodes of a cluster in the order they are tried: the link connects to
    /// one and, when it fails, to the next (at least one).
    pub brokers: Vec<crate::config::BrokerNode>,
    /// `None`: a clean session at every connection (the outbox, not the broker, redelivers).
    /// `Some(expiry)`: a persistent session (MQTT 3.1.1 §3.1.2.4 clean session 0; MQTT 5.0
    /// §3.1.2.11.2 session expiry), so that a failover to another node of a cluster resumes the
    /// command subscription and the commands queued for the bridge meanwhile.
    pub session_expiry: Option<Duration>,
    /// The version of the running configuration (`Config::version`), shown on the bridge's state
    /// topic; a reload sends the new one and the state is published again at once.
    pub config_version: watch::Receiver<String>,
    /// Sparkplug B output instead of the JSON topics (`[mqtt] format = "sparkplug"`).
    pub sparkplug: Option<SparkplugSettings>,
    /// MQTT client id.
    pub client_id: String,
    /// Keep-alive interval.
    pub keep_alive: Duration,
    /// User name and password.
    pub credentials: Option<(String, String)>,
    /// MQTT 3.1.1 or 5.
    pub version: crate::config::MqttVersion,
    /// TLS, for `mqtts://`.
    pub tls: Option<TlsFiles>,
    /// Where the password came from (`mqtt.password_file`), to name it when the broker refuses.
    pub password_file: Option<std::path::PathBuf>,
    /// QoS of samples (0 or 1); state and meta always go at QoS 1.
    pub qos: u8,
    /// The topic scheme.
    pub topics: Topics,
    /// Reconnection backoff start.
    pub reconnect_min: Duration,
    /// Reconnection backoff ceiling.
    pub reconnect_max: Duration,
    /// Samples per second when draining a backlog after an outage (`outbox.replay_rate`).
    pub replay_rate: u32,
    /// How long a clean stop waits for the broker to acknowledge what is still in the outbox.
    pub drain_grace: Duration,
    /// Backlog first (`in-order`) or live data beside it (`live-first`).
    pub replay_order: crate::config::ReplayOrder,
}

/// A running publisher.
#[derive(Debug)]
pub struct Publisher {
    task: JoinHandle<(Outbox, SeqStore)>,
    link: JoinHandle<()>,
    status: watch::Receiver<LinkStatus>,
    stats: std::sync::Arc<DeliveryStats>,
}

impl Publisher {
    /// Connects to the broker and starts publishing what arrives on `events`, through `outbox`.
    ///
    /// Numbering resumes where [`SeqStore::resume`] says: exactly after the outbox's last record
    /// after a clean stop or a crash of the process, above every number possibly used after a
    /// power cut.
    ///
    /// The CONNECT (MQTT 3.1.1 §3.1, MQTT 5.0 §3.1) asks for a clean session and carries the
    /// bridge's retained `offline` state as its will. With `settings.tls` the link is TLS (RFC
    /// 8446) with the configuration of [`crate::tls::client_config`], loaded again for every
    /// connection; call that function first to refuse bad files at start.
    ///
    /// With `commands`, the filter is subscribed at QoS 1 after every CONNACK (§3.8), every
    /// PUBLISH received is handed to `commands.incoming`, and every result read from
    /// `commands.results` is published at QoS 1 and kept until acknowledged (never through the
    /// outbox).
    pub fn start(
        settings: PublisherSettings,
        events: EventReceiver,
        outbox: Outbox,
        seq: SeqStore,
        commands: Option<CommandLink>,
    ) -> Result<Self, fieldbridge_sparkplug::Error> {
        let options: Vec<_> = settings
            .brokers
            .iter()
            .map(|node| (node.clone(), client::Options::new(&settings, node)))
            .collect();
        let (status_tx, status) = watch::channel(LinkStatus::default());
        let (link_tx, link_rx) = mpsc::unbounded_channel();
        let (drop_tx, drop_rx) = watch::channel(0u64);
        let stats = std::sync::Arc::new(DeliveryStats::default());
        let (commands, results) = match commands {
            Some(c) => (Some((vec![c.filter], c.incoming)), Some(c.results)),
            None => (None, None),
        };
        // Sparkplug: the link subscribes to the node's NCMD, its devices' DCMD and the primary
        // host's STATE as well, and hands every PUBLISH to the delivery, which answers what is
        // Sparkplug's and passes the rest (and the DCMD writes) on to the command router.
        let (commands, sparkplug, will) = match &settings.sparkplug {
            Some(spb) => {
                let node = sparkplug::SharedNode::open(spb)?;
                let (tx, rx) = mpsc::unbounded_channel();
                let (mut filters, router) = match commands {
                    Some((filters, router)) => (filters, Some(router)),
                    None => (Vec::new(), None),
                };
                filters.extend(sparkplug::filters(spb));
                let parts = delivery::SparkplugParts {
                    node: node.clone(),
                    router,
                    incoming: rx,
                };
                (Some((filters, tx)), Some(parts), Some(node))
            }
            None => (commands, None, None),
        };
        let link = link::Link {
            options,
            tls: settings.tls.clone(),
            backoff: Backoff::new(settings.reconnect_min, settings.reconnect_max),
            events: link_tx,
            status: status_tx,
            counters: stats.clone(),
            commands,
            will,
            drop_epoch: drop_rx,
            context: failure::Context {
                host: String::new(),
                port: 0,
                tls: settings.tls.clone(),
                user: settings.credentials.as_ref().map(|(u, _)| u.clone()),
                password_file: settings.password_file.clone(),
            },
        };
        let link = tokio::spawn(link::drive(link));
        let (delivery, incoming) =
            delivery::Delivery::new(settings, outbox, seq, stats.clone(), sparkplug, drop_tx);
        let task = tokio::spawn(delivery.run(events, link_rx, results, incoming));
        Ok(Publisher {
            task,
            link,
            status,
            stats,
        })
    }

    /// A receiver of the broker link's status.
    pub fn status(&self) -> watch::Receiver<LinkStatus> {
        self.status.clone()
    }

    /// Counters of the delivery (for metrics and tests).
    pub fn stats(&self) -> std::sync::Arc<DeliveryStats> {
        self.stats.clone()
    }

    /// Waits until the point stream has closed (every source sender dropped), lets the broker
    /// acknowledge what the outbox holds (up to the drain grace), retains every state as offline,
    /// disconnects, and closes the outbox and the sequence file.
    ///
    /// Bounded by `grace` beyond the drain: with the broker unreachable, shutdown must not hang.
    /// What is not acknowledged stays in the outbox and goes out after the next start.
    pub async fn finish(self, grace: Duration) {
        let Publisher {
            mut task, mut link, ..
        } = self;
        match tokio::time::timeout(grace, &mut task).await {
            Ok(Ok((outbox, mut seq))) => {
                let _ = tokio::time::timeout(grace, &mut link).await;
                if let Err(error) = outbox.close() {
                    tracing::error!(%error, "could not close the outbox cleanly");
                }
                if let Err(error) = seq.close() {
                    tracing::error!(%error, "could not persist the sequence number at shutdown");
                }
            }
            Ok(Err(error)) => tracing::error!(%error, "publisher task failed"),
            Err(_) => {
                tracing::warn!(
                    grace_ms = grace.as_millis() as u64,
                    "publisher did not stop in time; what is unacknowledged stays in the outbox"
                );
                task.abort();
            }
        }
        link.abort();
    }
}

#[cfg(test)]
mod tls_tests;
