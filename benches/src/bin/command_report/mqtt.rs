//! The MQTT clients of this process (rumqttc): the commander and the two ends of the echo.

use std::time::{Duration, Instant};

use rumqttc::{AsyncClient, Event, MqttOptions, Outgoing, Packet, QoS};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

/// A message received: when it reached the client's event loop, and its payload.
pub(crate) type Rx = (Instant, Vec<u8>);

/// A QoS 1 rumqttc client subscribed to `topic` (returns once the SUBACK arrived). Every
/// message received goes to the channel; with `echo = Some(len)` the client also answers each
/// at once, from its event loop, with a `len`-byte result carrying the message's id on the
/// message's topic + `/result`. `nodelay` sets `TCP_NODELAY` on its socket (Nagle's algorithm
/// off).
pub(crate) async fn mqtt_client(
    name: &str,
    port: u16,
    topic: &str,
    echo: Option<usize>,
    nodelay: bool,
) -> (AsyncClient, mpsc::UnboundedReceiver<Rx>) {
    let mut options = MqttOptions::new(format!("{name}-{}", std::process::id()), "127.0.0.1", port);
    options.set_keep_alive(Duration::from_secs(30));
    options.set_clean_session(true);
    let (client, mut eventloop) = AsyncClient::new(options, 64);
    if nodelay {
        let mut network = eventloop.network_options();
        network.set_tcp_nodelay(true);
        eventloop.set_network_options(network);
    }
    let (tx, rx) = mpsc::unbounded_channel();
    let (ready_tx, ready_rx) = oneshot::channel();
    let (loop_client, topic, name) = (client.clone(), topic.to_owned(), name.to_owned());
    tokio::spawn(async move {
        let mut ready = Some(ready_tx);
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    let _ = loop_client.try_subscribe(topic.as_str(), QoS::AtLeastOnce);
                }
                Ok(Event::Incoming(Packet::SubAck(_))) => {
                    if let Some(r) = ready.take() {
                        let _ = r.send(());
                    }
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    let at = Instant::now();
                    if let Some(len) = echo {
                        let reply = echo_reply(&p.payload, len);
                        let _ = loop_client.try_publish(
                            format!("{}/result", p.topic),
                            QoS::AtLeastOnce,
                            false,
                            reply,
                        );
                    }
                    let _ = tx.send((at, p.payload.to_vec()));
                }
                Ok(Event::Outgoing(Outgoing::Disconnect)) => return,
                Ok(_) => {}
                Err(e) => {
                    if tx.is_closed() {
                        return;
                    }
                    eprintln!("{name}: {e}; retrying");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    });
    tokio::time::timeout(Duration::from_secs(10), ready_rx)
        .await
        .expect("SUBACK within 10 s")
        .expect("MQTT client task alive");
    (client, rx)
}

/// `{"id":ID,"outcome":"success","pad":"xxx"}`, padded to `len` bytes.
pub(crate) fn echo_reply(command: &[u8], len: usize) -> Vec<u8> {
    let id = serde_json::from_slice::<Value>(command)
        .ok()
        .and_then(|v| v.get("id").cloned())
        .unwrap_or(Value::Null);
    let head = format!("{{\"id\":{id},\"outcome\":\"success\",\"pad\":\"");
    let pad = len.saturating_sub(head.len() + 2);
    let mut reply = head.into_bytes();
    reply.resize(reply.len() + pad, b'x');
    reply.extend_from_slice(b"\"}");
    reply
}

/// Waits for the message whose JSON `id` is `id`; others (late answers to earlier probes) are
/// skipped. `None` at `deadline`.
pub(crate) async fn wait_for(
    rx: &mut mpsc::UnboundedReceiver<Rx>,
    id: &str,
    deadline: Instant,
) -> Option<(Instant, Vec<u8>, Value)> {
    loop {
        match tokio::time::timeout_at(deadline.into(), rx.recv()).await {
            Ok(Some((at, payload))) => {
                let v: Value = serde_json::from_slice(&payload).unwrap_or(Value::Null);
                if v.get("id").and_then(Value::as_str) == Some(id) {
                    return Some((at, payload, v));
                }
            }
            Ok(None) | Err(_) => return None,
        }
    }
}

/// A command payload: ids have a fixed length and values the same printed length, so every
/// command (and every echo message) has the same size.
pub(crate) fn command_payload(id: &str, value: f32) -> String {
    format!("{{\"id\":\"{id}\",\"value\":{value}}}")
}

/// A fixed-length id: `kind` is 3 letters.
pub(crate) fn command_id(kind: &str, round: usize, poll_ms: u64, i: usize) -> String {
    format!("{kind}-{round:02}-{poll_ms:05}-{i:06}")
}
