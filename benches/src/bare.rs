//! The bare MQTT publisher the end-to-end reports compare the bridge with: one rumqttc client at
//! QoS 1 with the bridge's in-flight window, its event loop driven in a task that counts PUBACKs.

use std::time::{Duration, Instant};

use rumqttc::{AsyncClient, Event, MqttOptions, Outgoing, Packet};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::process::BRIDGE_WINDOW;

/// A connected bare publisher.
#[derive(Debug)]
pub struct BarePublisher {
    /// Publish with this (its request queue holds 1,024).
    pub client: AsyncClient,
    /// The event loop's task; it ends at the DISCONNECT or on an error.
    pub driver: JoinHandle<()>,
    /// When the `target`-th PUBACK arrived.
    pub done: oneshot::Receiver<Instant>,
}

impl BarePublisher {
    /// Connects `client_id` to the broker on 127.0.0.1:`port` (clean session, QoS 1 window of
    /// [`BRIDGE_WINDOW`]) and waits for the CONNACK; `done` fires at the `target`-th PUBACK.
    ///
    /// # Panics
    /// When the connection fails before the CONNACK.
    pub async fn connect(client_id: String, port: u16, target: u64) -> BarePublisher {
        let mut options = MqttOptions::new(client_id, "127.0.0.1", port);
        options.set_keep_alive(Duration::from_secs(30));
        options.set_clean_session(true);
        options.set_inflight(BRIDGE_WINDOW);
        options.set_max_packet_size(1 << 20, 1 << 20);
        let (client, mut eventloop) = AsyncClient::new(options, 1024);
        let (connected_tx, connected_rx) = oneshot::channel();
        let (done_tx, done) = oneshot::channel::<Instant>();
        let driver = tokio::spawn(async move {
            let mut connected = Some(connected_tx);
            let mut done = Some(done_tx);
            let mut acked = 0u64;
            loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::ConnAck(_))) => {
                        if let Some(tx) = connected.take() {
                            let _ = tx.send(());
                        }
                    }
                    Ok(Event::Incoming(Packet::PubAck(_))) => {
                        acked += 1;
                        if acked == target {
                            if let Some(tx) = done.take() {
                                let _ = tx.send(Instant::now());
                            }
                        }
                    }
                    Ok(Event::Outgoing(Outgoing::Disconnect)) => return,
                    Ok(_) => {}
                    Err(e) => {
                        eprintln!("bare publisher: {e}");
                        return;
                    }
                }
            }
        });
        connected_rx.await.expect("bare publisher connected");
        BarePublisher {
            client,
            driver,
            done,
        }
    }
}
