//! The broker link: one rumqttc client and event loop per connection, polled in a task of its own.
//!
//! Delivery must know which sample each PUBACK acknowledges, and rumqttc only says which packet id
//! was sent (`Outgoing::Publish(pkid)`) and which was acknowledged. Within one event loop, packets
//! are sent in the order the client submitted them, so the delivery task can pair them up. Across a
//! reconnection that order breaks: rumqttc drains its request queue when the link fails, and a
//! request submitted a moment later would go out on the next connection. So every connection gets a
//! fresh client and event loop (an "epoch"): when the link fails the whole event loop is dropped,
//! requests still aimed at it fail, and nothing submitted for one connection leaks into the next.
//! The outbox resends whatever was not acknowledged.
//!
//! The same holds for both protocol versions (`client` wraps rumqttc's MQTT 3.1.1 and 5.0 clients).
//! After every CONNACK the link subscribes to the command filter (MQTT 3.1.1 §3.8) before handing
//! the client over: a SUBSCRIBE is not a PUBLISH (`Outgoing::Subscribe` is ignored below), so the
//! delivery's FIFO of packet ids is unaffected. Every PUBLISH received goes to the command router
//! at once, on an unbounded channel: the event loop never waits for it.
//!
//! A failed connection is classified (`failure`), counted by reason, logged once per reason and
//! then at most once a minute while it repeats, and retried after the backoff: the link never
//! gives up and never stops the bridge.

use std::sync::Arc;
use std::time::Duration;

use rumqttc::QoS;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::client::{MqttClient, Options, Polled};
use super::failure::{self, Context, Failure, LinkCounters, Throttle};
use super::{IncomingCommand, TlsFiles};
use crate::backoff::Backoff;

/// What the link tells the delivery task, in the order it happened.
#[derive(Debug)]
pub(crate) enum LinkEvent {
    /// CONNACK received on a new connection; publish with this client.
    Connected {
        epoch: u64,
        client: MqttClient,
        /// The broker (cluster node) it is connected to, as `host:port`.
        broker: Arc<str>,
    },
    /// A PUBLISH with this packet id went out (in submission order).
    Sent { epoch: u64, pkid: u16 },
    /// The broker acknowledged this packet id (QoS 1).
    Acked { epoch: u64, pkid: u16 },
    /// The connection failed; its client is dead.
    Down { epoch: u64 },
}

/// How the broker link is doing, for health checks and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LinkStatus {
    /// Whether the last CONNACK is current.
    pub connected: bool,
    /// How many times a CONNACK was received (1 after the first connection).
    pub connects: u64,
    /// The reason of the last failed connection while the link is down (`network`, `auth`,
    /// `tls-unknown-ca`, ...; see `fieldbridge_mqtt_connect_errors_total`); `None` once connected.
    pub last_error: Option<&'static str>,
    /// Which of the configured brokers (cluster nodes, from 0 in the configured order) the link
    /// is connected to or trying.
    pub broker: usize,
}

/// Room in rumqttc's request queue: the delivery window plus the retained state messages.
pub(crate) const REQUEST_QUEUE: usize = 1024;

/// Everything the link task needs.
#[derive(Debug)]
pub(crate) struct Link {
    /// One entry per configured broker (cluster node), tried in turn.
    pub(crate) options: Vec<(crate::config::BrokerNode, Options)>,
    /// Loaded again for every connection: a renewed certificate is picked up at the next one.
    pub(crate) tls: Option<TlsFiles>,
    pub(crate) backoff: Backoff,
    pub(crate) events: mpsc::UnboundedSender<LinkEvent>,
    pub(crate) status: watch::Sender<LinkStatus>,
    pub(crate) counters: Arc<super::DeliveryStats>,
    /// The filters subscribed after every CONNACK and where what arrives on them goes.
    pub(crate) commands: Option<(Vec<String>, mpsc::UnboundedSender<IncomingCommand>)>,
    /// Sparkplug B: the edge node whose NDEATH (with a new bdSeq) is every CONNECT's will.
    pub(crate) will: Option<super::sparkplug::SharedNode>,
    /// The delivery's request to drop a connection (its epoch) whose broker stopped
    /// acknowledging: see `delivery::ACK_STALL`.
    pub(crate) drop_epoch: watch::Receiver<u64>,
    pub(crate) context: Context,
}

impl Link {
    fn counters(&self) -> &LinkCounters {
        &self.counters.link_counters
    }

    /// Logs, counts and publishes a failed connection; returns the delay before the next attempt.
    fn failed(&mut self, failure: &Failure, throttle: &mut Throttle, epoch: u64) -> Duration {
        self.status.send_modify(|s| {
            s.connected = false;
            s.last_error = Some(failure.reason);
        });
        self.counters().count_failure(failure.reason);
        let delay = self.backoff.next_delay();
        let retry_in_ms = delay.as_millis() as u64;
        let (host, port) = (&self.context.host, self.context.port);
        let reason = failure.reason;
        match throttle.note(reason, Instant::now()) {
            Some(repeated) if failure.is_configuration() => tracing::error!(
                reason, %host, port, epoch, repeated, retry_in_ms,
                "MQTT broker link down: {}", failure.message
            ),
            Some(repeated) => tracing::warn!(
                reason, %host, port, epoch, repeated, retry_in_ms,
                "MQTT broker link down: {}", failure.message
            ),
            None => tracing::debug!(
                reason, %host, port, epoch, retry_in_ms,
                "MQTT broker link down: {}", failure.message
            ),
        }
        delay
    }
}

/// Connects, polls and reconnects with backoff until the delivery task goes away or disconnects.
///
/// With several brokers (the nodes of a cluster), every failed attempt and every lost connection
/// moves on to the next node, round the list, after the backoff: a node that died is left at
/// once and the others are tried in turn while it stays down. The backoff (with jitter, so a
/// fleet does not stampede the survivors) starts again after a CONNACK.
pub(crate) async fn drive(mut link: Link) {
    let mut epoch = 0u64;
    let mut throttle = Throttle::default();
    let mut refused_publishes = Throttle::default();
    let mut node = 0usize;
    let nodes = link.options.len().max(1);
    let mut drop_open = true;
    loop {
        epoch += 1;
        if epoch > 1 {
            node = (node + 1) % nodes;
        }
        let Some((broker, options)) = link.options.get(node) else {
            tracing::error!("no MQTT broker configured");
            return;
        };
        let broker_name: Arc<str> = broker.to_string().into();
        link.context.host.clone_from(&broker.host);
        link.context.port = broker.port;
        link.status.send_modify(|s| s.broker = node);
        let mut options = options.clone();
        if let Some(node) = &link.will {
            let death = node.will();
            options.set_will(death.topic, death.payload);
        }
        if let Some(files) = &link.tls {
            match crate::tls::client_config(files) {
                Ok(config) => options.set_tls(config),
                Err(error) => {
                    let delay =
                        link.failed(&failure::tls_config_failure(&error), &mut throttle, epoch);
                    if link.events.is_closed() {
                        return;
                    }
                    tokio::time::sleep(delay).await;
                    continue;
                }
            }
        }
        let (client, mut eventloop) = options.connect();
        let mut client = Some(client);
        loop {
            let polled = tokio::select! {
                polled = eventloop.poll() => {
                    polled.map_err(|error| failure::classify(&error, &link.context))
                }
                changed = link.drop_epoch.changed(), if drop_open => {
                    if changed.is_err() {
                        // The delivery is gone (it said goodbye): poll on for the DISCONNECT.
                        drop_open = false;
                        continue;
                    }
                    if *link.drop_epoch.borrow_and_update() != epoch {
                        continue;
                    }
                    Err(failure::ack_stall())
                }
            };
            let event = match polled {
                Ok(Polled::ConnAck {
                    code,
                    session_present,
                }) => {
                    link.backoff.reset();
                    let (host, port) = (&link.context.host, link.context.port);
                    tracing::info!(%host, port, code, epoch, session_present, "connected to the MQTT broker");
                    link.status.send_modify(|s| {
                        s.connected = true;
                        s.connects += 1;
                        s.last_error = None;
                    });
                    let Some(client) = client.take() else {
                        continue;
                    };
                    if let Some((filters, _)) = &link.commands {
                        // Queued before the delivery can submit anything on this connection.
                        for filter in filters {
                            if let Err(error) = client.try_subscribe(filter, QoS::AtLeastOnce) {
                                tracing::error!(filter, %error, "cannot subscribe to the command topics");
                            }
                        }
                    }
                    LinkEvent::Connected {
                        epoch,
                        client,
                        broker: broker_name.clone(),
                    }
                }
                Ok(Polled::Sent(pkid)) => LinkEvent::Sent { epoch, pkid },
                Ok(Polled::Acked { pkid, refused }) => {
                    if let Some(code) = refused {
                        LinkCounters::bump(&link.counters().publish_refused);
                        if throttle_loud(&mut refused_publishes, &code) {
                            tracing::warn!(pkid, code, "the broker acknowledged a publish but refused it (MQTT 5 reason code); an ACL may deny the topic");
                        }
                    }
                    LinkEvent::Acked { epoch, pkid }
                }
                Ok(Polled::SubAck { refused }) => {
                    if !refused.is_empty() {
                        LinkCounters::bump(&link.counters().subscribe_refused);
                        let filter = link
                            .commands
                            .as_ref()
                            .map_or(String::new(), |(f, _)| f.join(" "));
                        tracing::error!(
                            filter,
                            codes = ?refused,
                            "the broker refused the subscription to {filter} (an ACL may deny it): commands from the cloud will not arrive"
                        );
                    }
                    continue;
                }
                Ok(Polled::Publish(mut command)) => {
                    LinkCounters::bump(&link.counters().commands_received);
                    if let Some(ack) = command.ack.as_mut() {
                        ack.epoch = epoch;
                    }
                    if let Some((_, incoming)) = &link.commands {
                        if incoming.send(command).is_err() {
                            tracing::debug!("a command arrived but the command router is gone");
                        }
                    }
                    continue;
                }
                Ok(Polled::Disconnected) => {
                    // rumqttc reports the DISCONNECT when it is queued for writing, before the
                    // socket has it: dropping the event loop now would close the connection
                    // without it, and the broker would publish the last will over the clean
                    // stop's state. The broker closes the connection once it has read it.
                    let flushed = tokio::time::timeout(DISCONNECT_FLUSH, async {
                        while eventloop.poll().await.is_ok() {}
                    })
                    .await
                    .is_ok();
                    let (host, port) = (&link.context.host, link.context.port);
                    tracing::info!(%host, port, flushed, "disconnected from the MQTT broker");
                    link.status.send_modify(|s| s.connected = false);
                    return;
                }
                Ok(Polled::Other) => continue,
                Err(failure) => {
                    let delay = link.failed(&failure, &mut throttle, epoch);
                    if link.events.send(LinkEvent::Down { epoch }).is_err() {
                        return;
                    }
                    drop(eventloop);
                    tokio::time::sleep(delay).await;
                    break;
                }
            };
            // The delivery task is gone once it said goodbye: what it queued last (the offline
            // states, the DISCONNECT) must still go out, so the loop polls on until the
            // DISCONNECT (`Polled::Disconnected`) or an error; `Publisher::finish` bounds it.
            let _ = link.events.send(event);
        }
    }
}

/// Refused publishes are logged at most once a minute.
fn throttle_loud(throttle: &mut Throttle, _code: &str) -> bool {
    throttle.note("publish-refused", Instant::now()).is_some()
}

/// How long a clean stop waits for the broker to close the connection after the DISCONNECT.
const DISCONNECT_FLUSH: Duration = Duration::from_secs(2);

/// Keep-alive floor: rumqttc refuses less than 5 s... and a bridge gains nothing from less.
pub(crate) const MIN_KEEP_ALIVE: Duration = Duration::from_secs(5);
