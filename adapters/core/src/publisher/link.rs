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

use std::time::Duration;

use rumqttc::{AsyncClient, Event, MqttOptions, Outgoing, Packet};
use tokio::sync::{mpsc, watch};

use crate::backoff::Backoff;

/// What the link tells the delivery task, in the order it happened.
#[derive(Debug)]
pub(crate) enum LinkEvent {
    /// CONNACK received on a new connection; publish with this client.
    Connected { epoch: u64, client: AsyncClient },
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
}

/// Room in rumqttc's request queue: the delivery window plus the retained state messages.
pub(crate) const REQUEST_QUEUE: usize = 1024;

/// Connects, polls and reconnects with backoff until the delivery task goes away or disconnects.
pub(crate) async fn drive(
    options: MqttOptions,
    mut backoff: Backoff,
    events: mpsc::UnboundedSender<LinkEvent>,
    status: watch::Sender<LinkStatus>,
) {
    let host = options.broker_address();
    let mut epoch = 0u64;
    loop {
        epoch += 1;
        let (client, mut eventloop) = AsyncClient::new(options.clone(), REQUEST_QUEUE);
        let mut client = Some(client);
        loop {
            let event = match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                    backoff.reset();
                    tracing::info!(host = %host.0, port = host.1, code = ?ack.code, epoch, "connected to the MQTT broker");
                    status.send_modify(|s| {
                        s.connected = true;
                        s.connects += 1;
                    });
                    match client.take() {
                        Some(client) => LinkEvent::Connected { epoch, client },
                        None => continue,
                    }
                }
                Ok(Event::Outgoing(Outgoing::Publish(pkid))) => LinkEvent::Sent { epoch, pkid },
                Ok(Event::Incoming(Packet::PubAck(ack))) => LinkEvent::Acked {
                    epoch,
                    pkid: ack.pkid,
                },
                Ok(Event::Outgoing(Outgoing::Disconnect)) => {
                    tracing::info!(host = %host.0, port = host.1, "disconnected from the MQTT broker");
                    status.send_modify(|s| s.connected = false);
                    return;
                }
                Ok(_) => continue,
                Err(error) => {
                    status.send_modify(|s| s.connected = false);
                    let delay = backoff.next_delay();
                    tracing::warn!(host = %host.0, port = host.1, %error, retry_in_ms = delay.as_millis() as u64, "MQTT broker link down");
                    if events.send(LinkEvent::Down { epoch }).is_err() {
                        return;
                    }
                    drop(eventloop);
                    tokio::time::sleep(delay).await;
                    break;
                }
            };
            if events.send(event).is_err() {
                return;
            }
        }
    }
}

/// Keep-alive floor: rumqttc refuses less than 5 s... and a bridge gains nothing from less.
pub(crate) const MIN_KEEP_ALIVE: Duration = Duration::from_secs(5);
