//! An MQTT subscriber that records everything it receives.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// One message received by a [`Subscriber`].
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The topic it was published on.
    pub topic: String,
    /// The payload as received.
    pub payload: Vec<u8>,
    /// The payload parsed as JSON, when it is JSON.
    pub json: Option<serde_json::Value>,
    /// The retain flag as delivered (true for a retained message sent on subscription).
    pub retain: bool,
    /// The delivery QoS (0, 1 or 2).
    pub qos: u8,
}

impl Message {
    /// The payload as text (lossy UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.payload).into_owned()
    }
}

/// A rumqttc client subscribed with QoS 1 to one topic filter, which records every message it
/// receives, in order, from a background tokio task.
///
/// It reconnects by itself after a broker restart and subscribes again on every connection.
/// Dropping it stops the task. Needs a tokio runtime.
#[derive(Debug)]
pub struct Subscriber {
    client: AsyncClient,
    messages: Arc<Mutex<Vec<Message>>>,
    task: JoinHandle<()>,
}

static NEXT_ID: AtomicU32 = AtomicU32::new(0);

/// How long [`Subscriber::connect`] waits for the broker's SUBACK.
const SUBACK_TIMEOUT: Duration = Duration::from_secs(10);

impl Subscriber {
    /// Connect to the broker on 127.0.0.1:`port`, subscribe to `topic_filter` with QoS 1 and
    /// wait for the SUBACK, so that everything published afterwards is recorded.
    ///
    /// # Panics
    /// When no SUBACK comes within 10 seconds.
    pub async fn connect(port: u16, topic_filter: &str) -> Subscriber {
        Self::connect_with(port, topic_filter, true, None).await
    }

    /// Like [`Subscriber::connect`], with a user name and password (for a broker with a
    /// `password_file` and `allow_anonymous false`).
    pub async fn connect_with_credentials(
        port: u16,
        topic_filter: &str,
        username: &str,
        password: &str,
    ) -> Subscriber {
        Self::connect_with(port, topic_filter, true, Some((username, password))).await
    }

    /// Like [`Subscriber::connect`], with a persistent session (clean session off): on a broker
    /// with persistence, messages for it are queued across a broker restart, whoever reconnects
    /// first.
    pub async fn connect_persistent(port: u16, topic_filter: &str) -> Subscriber {
        Self::connect_with(port, topic_filter, false, None).await
    }

    async fn connect_with(
        port: u16,
        topic_filter: &str,
        clean_session: bool,
        credentials: Option<(&str, &str)>,
    ) -> Subscriber {
        let id = format!(
            "fb-test-sub-{}-{}",
            std::process::id(),
            NEXT_ID.fetch_add(1, Ordering::Relaxed)
        );
        let mut options = MqttOptions::new(id, "127.0.0.1", port);
        options.set_clean_session(clean_session);
        if let Some((username, password)) = credentials {
            options.set_credentials(username, password);
        }
        options.set_keep_alive(Duration::from_secs(30));
        options.set_max_packet_size(16 * 1024 * 1024, 16 * 1024 * 1024);
        let (client, mut eventloop) = AsyncClient::new(options, 100);
        let messages = Arc::new(Mutex::new(Vec::new()));
        let (subscribed_tx, subscribed_rx) = oneshot::channel();
        let task = {
            let client = client.clone();
            let messages = Arc::clone(&messages);
            let filter = topic_filter.to_string();
            tokio::spawn(async move {
                let mut subscribed = Some(subscribed_tx);
                loop {
                    match eventloop.poll().await {
                        Ok(Event::Incoming(Packet::ConnAck(_))) => {
                            if let Err(e) = client.try_subscribe(filter.clone(), QoS::AtLeastOnce) {
                                tracing::warn!(%e, "subscriber cannot subscribe");
                            }
                        }
                        Ok(Event::Incoming(Packet::SubAck(_))) => {
                            if let Some(tx) = subscribed.take() {
                                let _ = tx.send(());
                            }
                        }
                        Ok(Event::Incoming(Packet::Publish(p))) => {
                            let payload = p.payload.to_vec();
                            let message = Message {
                                topic: String::from_utf8_lossy(p.topic.as_ref()).into_owned(),
                                json: serde_json::from_slice(&payload).ok(),
                                payload,
                                retain: p.retain,
                                qos: p.qos as u8,
                            };
                            messages.lock().expect("messages lock").push(message);
                        }
                        Ok(_) => {}
                        Err(e) => {
                            tracing::debug!(%e, "subscriber connection error, retrying");
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                    }
                }
            })
        };
        match tokio::time::timeout(SUBACK_TIMEOUT, subscribed_rx).await {
            Ok(Ok(())) => {}
            _ => {
                task.abort();
                panic!("subscriber got no SUBACK for {topic_filter} from 127.0.0.1:{port}");
            }
        }
        Subscriber {
            client,
            messages,
            task,
        }
    }

    /// Every message received so far, oldest first.
    pub fn messages(&self) -> Vec<Message> {
        self.messages.lock().expect("messages lock").clone()
    }

    /// Forget the messages received so far.
    pub fn clear(&self) {
        self.messages.lock().expect("messages lock").clear();
    }

    /// The first recorded message (received before or during the wait) that satisfies
    /// `predicate`, or `None` when none arrived within `timeout`.
    pub async fn wait_for<F>(&self, mut predicate: F, timeout: Duration) -> Option<Message>
    where
        F: FnMut(&Message) -> bool,
    {
        let deadline = Instant::now() + timeout;
        loop {
            let found = self
                .messages
                .lock()
                .expect("messages lock")
                .iter()
                .find(|m| predicate(m))
                .cloned();
            if found.is_some() {
                return found;
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Wait until at least `count` messages were recorded; returns whether they were.
    pub async fn wait_for_count(&self, count: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while self.messages.lock().expect("messages lock").len() < count {
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        true
    }

    /// Disconnect cleanly and stop recording.
    pub async fn disconnect(self) {
        let _ = self.client.disconnect().await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        self.task.abort();
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        self.task.abort();
    }
}
