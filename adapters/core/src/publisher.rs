//! The MQTT publisher: numbers each reading and publishes it, keeps the retained state and meta
//! topics, and holds the broker link with a last will and reconnection backoff.
//!
//! It never knows a protocol: it sees only the point stream (design brief §2).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use rumqttc::{AsyncClient, ClientError, Event, EventLoop, LastWill, MqttOptions, Packet, QoS};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::backoff::Backoff;
use crate::event::{DeviceMeta, DeviceState, EventReceiver, SourceEvent};
use crate::point::Sample;
use crate::seq::SeqStore;
use crate::time::Timestamp;
use crate::topic::{self, Topics};

/// What the publisher needs to reach the broker.
#[derive(Debug, Clone)]
pub struct PublisherSettings {
    /// Broker host.
    pub host: String,
    /// Broker port.
    pub port: u16,
    /// MQTT client id.
    pub client_id: String,
    /// Keep-alive interval.
    pub keep_alive: Duration,
    /// User name and password.
    pub credentials: Option<(String, String)>,
    /// QoS of samples (0 or 1); state and meta always go at QoS 1.
    pub qos: u8,
    /// The topic scheme.
    pub topics: Topics,
    /// Reconnection backoff start.
    pub reconnect_min: Duration,
    /// Reconnection backoff ceiling.
    pub reconnect_max: Duration,
}

/// How the broker link is doing, for health checks and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LinkStatus {
    /// Whether the last CONNACK is current.
    pub connected: bool,
    /// How many times a CONNACK was received (1 after the first connection).
    pub connects: u64,
}

/// A running publisher.
#[derive(Debug)]
pub struct Publisher {
    task: JoinHandle<SeqStore>,
    link: JoinHandle<()>,
    status: watch::Receiver<LinkStatus>,
}

impl Publisher {
    /// Connects to the broker and starts publishing what arrives on `events`.
    pub fn start(settings: PublisherSettings, events: EventReceiver, seq: SeqStore) -> Self {
        let mut options = MqttOptions::new(
            settings.client_id.clone(),
            settings.host.clone(),
            settings.port,
        );
        options.set_keep_alive(settings.keep_alive.max(Duration::from_secs(5)));
        // A persistent session: after a network interruption the broker reports the session as
        // present and rumqttc resends what was in flight. (With a clean session rumqttc drops its
        // unacknowledged publishes on every reconnect.) A broker that lost the session (restart
        // without persistence) still loses them: the disk outbox closes that gap.
        options.set_clean_session(false);
        options.set_inflight(256);
        options.set_max_packet_size(1 << 20, 1 << 20);
        options.set_last_will(LastWill::new(
            settings.topics.bridge_state(),
            topic::bridge_will_payload(),
            QoS::AtLeastOnce,
            true,
        ));
        if let Some((user, password)) = &settings.credentials {
            options.set_credentials(user.clone(), password.clone());
        }
        let (client, eventloop) = AsyncClient::new(options, 1024);
        let (status_tx, status) = watch::channel(LinkStatus::default());
        let backoff = Backoff::new(settings.reconnect_min, settings.reconnect_max);
        let link = tokio::spawn(drive_link(
            eventloop,
            backoff,
            status_tx,
            settings.host.clone(),
            settings.port,
        ));
        let state = PublisherState {
            client,
            qos: if settings.qos == 0 {
                QoS::AtMostOnce
            } else {
                QoS::AtLeastOnce
            },
            topics: settings.topics,
            seq,
            states: BTreeMap::new(),
            metas: BTreeMap::new(),
            started: Timestamp::now(),
        };
        let task = tokio::spawn(state.run(events, status.clone()));
        Publisher { task, link, status }
    }

    /// A receiver of the broker link's status.
    pub fn status(&self) -> watch::Receiver<LinkStatus> {
        self.status.clone()
    }

    /// Waits until the point stream has closed (every source sender dropped) and everything received
    /// was handed to the MQTT client, publishes the bridge's offline state, disconnects cleanly and
    /// writes the exact next sequence number.
    ///
    /// Bounded by `grace` (twice: hand-over, then the link's final exchange): with the broker
    /// unreachable and the client's queue full, shutdown must not hang. What is still queued then
    /// is lost, and the sequence number resumes after a gap, never repeating.
    pub async fn finish(self, grace: Duration) {
        let Publisher {
            mut task, mut link, ..
        } = self;
        match tokio::time::timeout(grace, &mut task).await {
            Ok(Ok(mut seq)) => {
                let _ = tokio::time::timeout(grace, &mut link).await;
                if let Err(error) = seq.close() {
                    tracing::error!(%error, "could not persist the sequence number at shutdown");
                }
            }
            Ok(Err(error)) => tracing::error!(%error, "publisher task failed"),
            Err(_) => {
                tracing::warn!(
                    grace_ms = grace.as_millis() as u64,
                    "broker unreachable at shutdown; samples still queued for it are dropped"
                );
                task.abort();
            }
        }
        link.abort();
    }
}

/// Polls the MQTT event loop forever: it is what sends, receives and reconnects.
async fn drive_link(
    mut eventloop: EventLoop,
    mut backoff: Backoff,
    status: watch::Sender<LinkStatus>,
    host: String,
    port: u16,
) {
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                backoff.reset();
                tracing::info!(%host, port, code = ?ack.code, "connected to the MQTT broker");
                status.send_modify(|s| {
                    s.connected = true;
                    s.connects += 1;
                });
            }
            Ok(Event::Outgoing(rumqttc::Outgoing::Disconnect)) => {
                tracing::info!(%host, port, "disconnected from the MQTT broker");
                status.send_modify(|s| s.connected = false);
                return;
            }
            Ok(_) => {}
            Err(error) => {
                status.send_modify(|s| s.connected = false);
                let delay = backoff.next_delay();
                tracing::warn!(%host, port, %error, retry_in_ms = delay.as_millis() as u64, "MQTT broker link down");
                tokio::time::sleep(delay).await;
            }
        }
    }
}

struct PublisherState {
    client: AsyncClient,
    qos: QoS,
    topics: Topics,
    seq: SeqStore,
    states: BTreeMap<Arc<str>, DeviceState>,
    metas: BTreeMap<Arc<str>, DeviceMeta>,
    started: Timestamp,
}

impl PublisherState {
    async fn run(
        mut self,
        mut events: EventReceiver,
        mut status: watch::Receiver<LinkStatus>,
    ) -> SeqStore {
        let mut seen_connects = 0;
        loop {
            tokio::select! {
                event = events.recv() => match event {
                    Some(event) => {
                        if self.handle(event).await.is_err() {
                            break;
                        }
                    }
                    None => break,
                },
                changed = status.changed() => {
                    if changed.is_err() {
                        break;
                    }
                    let now = *status.borrow_and_update();
                    if now.connected && now.connects != seen_connects {
                        seen_connects = now.connects;
                        if self.announce(now.connects > 1).await.is_err() {
                            break;
                        }
                    }
                }
            }
        }
        // A clean stop: every device's retained state goes offline too (the last will covers only
        // the bridge's own topic), then the bridge's.
        let now = Timestamp::now();
        for state in self.states.values() {
            let offline = DeviceState {
                online: false,
                reason: Some("bridge stopped".to_owned()),
                since: now,
                ..state.clone()
            };
            let _ = self.publish_state(&offline).await;
        }
        let offline = topic::bridge_state_payload(false, now);
        let _ = self
            .client
            .publish(self.topics.bridge_state(), QoS::AtLeastOnce, true, offline)
            .await;
        let _ = self.client.disconnect().await;
        self.seq
    }

    async fn handle(&mut self, event: SourceEvent) -> Result<(), ClientError> {
        match event {
            SourceEvent::Reading(reading) => {
                let seq = self.next_seq().await;
                let sample = Sample {
                    seq,
                    historical: false,
                    reading,
                };
                let topic = self
                    .topics
                    .sample(&sample.reading.device, &sample.reading.point);
                self.client
                    .publish(topic, self.qos, false, topic::sample_payload(&sample))
                    .await
            }
            SourceEvent::DeviceState(state) => {
                let result = self.publish_state(&state).await;
                self.states.insert(state.device.clone(), state);
                result
            }
            SourceEvent::DeviceMeta(meta) => {
                let result = self.publish_meta(&meta).await;
                self.metas.insert(meta.device.clone(), meta);
                result
            }
        }
    }

    /// After every connection: the bridge's own state; after a reconnection also every device's
    /// state and meta, so a retained message lost with a broker restart is put back. (Before the
    /// first connection they are queued in the client and go out with it anyway.)
    async fn announce(&mut self, reconnect: bool) -> Result<(), ClientError> {
        let payload = topic::bridge_state_payload(true, self.started);
        self.client
            .publish(self.topics.bridge_state(), QoS::AtLeastOnce, true, payload)
            .await?;
        if !reconnect {
            return Ok(());
        }
        for meta in self.metas.values() {
            self.publish_meta(meta).await?;
        }
        for state in self.states.values() {
            self.publish_state(state).await?;
        }
        Ok(())
    }

    async fn publish_state(&self, state: &DeviceState) -> Result<(), ClientError> {
        let topic = self.topics.device_state(&state.device);
        self.client
            .publish(
                topic,
                QoS::AtLeastOnce,
                true,
                topic::device_state_payload(state),
            )
            .await
    }

    async fn publish_meta(&self, meta: &DeviceMeta) -> Result<(), ClientError> {
        let topic = self.topics.device_meta(&meta.device);
        self.client
            .publish(
                topic,
                QoS::AtLeastOnce,
                true,
                topic::device_meta_payload(meta),
            )
            .await
    }

    /// The next sequence number; while it cannot be persisted (disk full, read-only), the stream
    /// waits rather than publish a number that could repeat after a restart.
    async fn next_seq(&mut self) -> u64 {
        loop {
            match self.seq.take() {
                Ok(n) => return n,
                Err(error) => {
                    tracing::error!(%error, "cannot persist the sequence number; holding samples");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }
}
