//! The delivery in Sparkplug B mode (`docs/sparkplug.md`): births after every CONNACK (and on a
//! rebirth request, and when the primary host comes back), one DDATA per outbox record, DBIRTH
//! and DDEATH as devices come and go, NDEATH before a clean DISCONNECT, and the commands of the
//! node (NCMD) and its devices (DCMD).
//!
//! Every message takes the edge node's next `seq` when it is built, so built messages wait in one
//! queue and go out strictly in that order, ahead of the next record.

use fieldbridge_sparkplug::host::{HostDecision, PrimaryHost};
use fieldbridge_sparkplug::{Command, DataType, MetricValue, NodeMetric};
use rumqttc::QoS;

use super::{Delivery, Entry, WINDOW};
use crate::event::{DeviceMeta, DeviceState};
use crate::point::Reading;
use crate::publisher::delivery_stats::DeliveryStats;
use crate::publisher::sparkplug::{self, Out, Sparkplug};
use crate::publisher::IncomingCommand;
use crate::time::Timestamp;

/// The node metrics of the NBIRTH (and of an NDATA when one changes): what a fleet operator
/// looks for on the bridge's state topic in JSON mode.
const CONFIG_METRIC: &str = "Bridge/Config Version";
const BROKER_METRIC: &str = "Bridge/Broker";
const VERSION_METRIC: &str = "Bridge/Software Version";

/// The first 16 hex digits of the SHA-256 of a DCMD's topic and payload.
fn dcmd_digest(topic: &str, payload: &[u8]) -> String {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    hasher.update(topic.as_bytes());
    hasher.update([0]);
    hasher.update(payload);
    hasher.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn now_ms() -> u64 {
    u64::try_from(Timestamp::now().unix_millis()).unwrap_or(0)
}

impl Delivery {
    /// The Sparkplug datatype of a reading is learnt when it is numbered: a batch of new points
    /// is then born in one DBIRTH rather than one each.
    pub(super) fn sparkplug_learn(&mut self, reading: &Reading) {
        let Some(spb) = self.spb.as_ref() else { return };
        let Some(datatype) = sparkplug::datatype_of(reading) else {
            return;
        };
        if let Err(error) = spb
            .node
            .lock()
            .learn(&reading.device, &reading.point, datatype)
        {
            tracing::debug!(device = %reading.device, point = %reading.point, %error, "sparkplug: cannot learn the datatype");
        }
    }

    /// A device's state: DBIRTH when it comes online, DDEATH when it goes offline.
    pub(super) fn sparkplug_state(&mut self, state: &DeviceState) {
        let Some(spb) = self.spb.as_mut() else { return };
        let now = now_ms();
        let out = {
            let mut node = spb.node.lock();
            if state.online {
                node.device_online(&state.device, now)
            } else {
                node.device_offline(&state.device, now)
            }
        };
        match out {
            Ok(Some(message)) => spb.queue.push_back(Out::Control(message)),
            Ok(None) => {}
            Err(error) => {
                tracing::warn!(device = %state.device, %error, "sparkplug: the device cannot be a Sparkplug device")
            }
        }
    }

    /// A device's point list: a new DBIRTH when it changed while the device is born.
    pub(super) fn sparkplug_meta(&mut self, meta: &DeviceMeta) {
        let Some(spb) = self.spb.as_mut() else { return };
        let points = meta.points.iter().map(sparkplug::point_info).collect();
        let out = spb
            .node
            .lock()
            .set_device_points(&meta.device, points, now_ms());
        match out {
            Ok(Some(message)) => spb.queue.push_back(Out::Control(message)),
            Ok(None) => {}
            Err(error) => {
                tracing::warn!(device = %meta.device, %error, "sparkplug: the device cannot be a Sparkplug device")
            }
        }
    }

    /// The node metrics: software version, configuration version and broker in use.
    fn node_metrics(&mut self) -> Vec<NodeMetric> {
        let config = self.config_version.borrow_and_update().clone();
        let metric = |name: &str, value: &str| NodeMetric {
            name: name.to_owned(),
            value: MetricValue::String(value.to_owned()),
            datatype: Some(DataType::String),
        };
        vec![
            metric(VERSION_METRIC, env!("CARGO_PKG_VERSION")),
            metric(CONFIG_METRIC, &config),
            metric(BROKER_METRIC, self.broker.as_deref().unwrap_or("")),
        ]
    }

    /// The birth sequence (NBIRTH, then a DBIRTH per online device), when connected and the
    /// primary host (if any) is online. Built messages still waiting belong to the session
    /// before it: births and deaths are dropped (the new birth says it all), samples are built
    /// again after the birth, in their order.
    pub(super) fn sparkplug_birth(&mut self) {
        if self.link.as_ref().is_none_or(|ep| ep.dead) {
            return;
        }
        if !self.spb.as_ref().is_some_and(Sparkplug::host_online) {
            return;
        }
        let metrics = self.node_metrics();
        let metas: Vec<DeviceMeta> = self.metas.values().cloned().collect();
        let states: Vec<DeviceState> = self.states.values().cloned().collect();
        let Some(spb) = self.spb.as_mut() else { return };
        let pending: Vec<Out> = spb.queue.drain(..).collect();
        let births = {
            let mut node = spb.node.lock();
            node.disconnected();
            for meta in &metas {
                let points = meta.points.iter().map(sparkplug::point_info).collect();
                let _ = node.set_device_points(&meta.device, points, 0);
            }
            for state in &states {
                let _ = if state.online {
                    node.device_online(&state.device, 0)
                } else {
                    node.device_offline(&state.device, 0)
                };
            }
            node.birth(now_ms(), &metrics)
        };
        spb.last_node_metrics = Some(metrics);
        spb.queue.extend(births.into_iter().map(Out::Control));
        for out in pending {
            if let Out::Sample {
                seq,
                appended_ms,
                topic,
                json,
                historical,
                ..
            } = out
            {
                self.sparkplug_sample(seq, appended_ms, topic, json, historical);
            }
        }
    }

    /// In Sparkplug mode the bridge's state is the NBIRTH's node metrics: an NDATA when one of
    /// them changed (a reload's configuration version, another broker).
    pub(super) fn sparkplug_node_state(&mut self) {
        let metrics = self.node_metrics();
        let Some(spb) = self.spb.as_mut() else { return };
        if spb.last_node_metrics.as_ref() == Some(&metrics) {
            return;
        }
        let mut node = spb.node.lock();
        if !node.is_born() {
            return;
        }
        let message = node.node_data(&metrics, now_ms());
        drop(node);
        spb.last_node_metrics = Some(metrics);
        spb.queue.push_back(Out::Control(message));
    }

    /// Whether records may be turned into DDATA now: the node is born (which needs the primary
    /// host online) and nothing built waits.
    pub(super) fn sparkplug_ready(&self) -> bool {
        self.spb.as_ref().is_some_and(|spb| {
            spb.queue.is_empty() && spb.host_online() && spb.node.lock().is_born()
        })
    }

    /// One outbox record as DDATA (after a DBIRTH when the point is new to this session's birth),
    /// queued. A record the edge node cannot express goes out in its JSON form rather than never.
    pub(super) fn sparkplug_sample(
        &mut self,
        seq: u64,
        appended_ms: u64,
        topic: String,
        json: Vec<u8>,
        historical: bool,
    ) {
        let Some(spb) = self.spb.as_mut() else { return };
        let built = {
            let mut node = spb.node.lock();
            sparkplug::sample_in(&topic, &json, historical, |d, p| node.datatype(d, p))
                .map(|sample| node.data(&sample, now_ms()))
        };
        let message = match built {
            Some(Ok(data)) => {
                spb.queue.extend(data.births.into_iter().map(Out::Control));
                Some(data.ddata)
            }
            Some(Err(fieldbridge_sparkplug::Error::NotBorn)) => {
                // The link is setting up another connection: this record is sent again after
                // the rewind of the next one, with the rest.
                if let Some(ep) = self.link.as_mut() {
                    ep.dead = true;
                }
                return;
            }
            Some(Err(error)) => {
                tracing::warn!(seq, topic, %error, "sparkplug: the sample cannot be a Sparkplug metric; published in its JSON form");
                None
            }
            None => {
                tracing::error!(seq, "outbox record is not a sample; skipped");
                let _ = self.outbox.ack(seq);
                return;
            }
        };
        spb.queue.push_back(Out::Sample {
            seq,
            appended_ms,
            topic,
            json,
            historical,
            message,
        });
    }

    /// Hands built messages to the client in order while the window allows; false when some
    /// remain (the records after them must wait).
    pub(super) fn pump_sparkplug_queue(&mut self) -> bool {
        let qos = self.qos;
        let (Some(spb), Some(ep)) = (self.spb.as_mut(), self.link.as_mut()) else {
            return false;
        };
        while let Some(next) = spb.queue.front() {
            let room = match next {
                Out::Control(_) => ep.has_room(),
                Out::Sample { .. } => ep.outstanding() < WINDOW,
            };
            if ep.dead || !room {
                return false;
            }
            let Some(out) = spb.queue.pop_front() else {
                break;
            };
            let (topic, payload, message_qos, entry) = match out {
                Out::Control(m) => (m.topic, m.payload, QoS::AtLeastOnce, Entry::Retained),
                Out::Sample {
                    seq,
                    appended_ms,
                    topic,
                    json,
                    historical,
                    message,
                } => {
                    if let Some(device) = topic.rsplit('/').nth(1) {
                        self.stats.count_device(device, 1);
                    }
                    DeliveryStats::bump(&self.stats.published, 1);
                    let entry = Entry::Sample { seq, appended_ms };
                    match message {
                        Some(m) => (m.topic, m.payload, qos, entry),
                        None if historical => {
                            (topic, super::record::mark_historical(&json), qos, entry)
                        }
                        None => (topic, json, qos, entry),
                    }
                }
            };
            if ep
                .client
                .try_publish(topic, message_qos, false, payload)
                .is_err()
            {
                ep.dead = true;
                return false;
            }
            ep.submitted.push_back(entry);
        }
        true
    }

    /// A PUBLISH on one of the Sparkplug filters (or the JSON command filter, passed on).
    pub(super) fn sparkplug_incoming(&mut self, command: IncomingCommand) {
        let Some(spb) = self.spb.as_mut() else { return };
        let ack = command.ack;
        if spb
            .host
            .as_ref()
            .is_some_and(|(topic, _)| *topic == command.topic)
        {
            self.sparkplug_host_state(&command.payload);
            self.ack_now(ack);
            return;
        }
        if !command.topic.starts_with("spBv1.0/") {
            // A command of the JSON form: the router's, as in JSON mode.
            match &spb.router {
                Some(router) if router.send(command).is_ok() => {}
                _ => self.ack_now(ack),
            }
            return;
        }
        let decoded = spb
            .node
            .lock()
            .decode_command(&command.topic, &command.payload);
        match decoded {
            Ok(Command::Rebirth) => {
                tracing::info!("sparkplug: rebirth requested (NCMD Node Control/Rebirth)");
                self.ack_now(ack);
                self.sparkplug_birth();
            }
            Ok(Command::Writes { device, writes }) => {
                let Some(router) = spb.router.clone() else {
                    tracing::warn!(%device, writes = writes.len(), "sparkplug: DCMD refused: commands are disabled ([commands] enabled = false)");
                    self.ack_now(ack);
                    return;
                };
                let count = writes.len();
                // The id is the DCMD's own (its bytes' hash and the metric's place): a QoS 1
                // redelivery of the same DCMD (after a connection lost before its PUBACK) is
                // answered from the router's memory, never written twice; a host that sends
                // the same write again gives it a new payload timestamp, so a new id.
                let digest = dcmd_digest(&command.topic, &command.payload);
                for (i, write) in writes.into_iter().enumerate() {
                    spb.writes += 1;
                    let id = format!("dcmd-{digest}-{i}");
                    let payload = serde_json::json!({
                        "id": id,
                        "value": sparkplug::command_value(&write.value),
                    });
                    tracing::info!(%device, point = %write.point, command_id = %id, "sparkplug: DCMD write handed to the command router");
                    let translated = IncomingCommand {
                        topic: format!("{}/set", self.topics.sample(&device, &write.point)),
                        payload: payload.to_string().into_bytes(),
                        retained: command.retained,
                        message_expiry: command.message_expiry,
                        received: command.received,
                        // One PUBACK for the DCMD, after the result of its last write.
                        ack: if i + 1 == count { ack } else { None },
                    };
                    if router.send(translated).is_err() {
                        tracing::debug!("a DCMD arrived but the command router is gone");
                    }
                }
                if count == 0 {
                    self.ack_now(ack);
                }
            }
            Err(error) => {
                crate::publisher::failure::LinkCounters::bump(
                    &self.stats.link_counters.sparkplug_refused,
                );
                tracing::warn!(topic = %command.topic, %error, "sparkplug: command refused");
                self.ack_now(ack);
            }
        }
    }

    /// The primary host's STATE (Sparkplug 3.0 §5.5): while it is offline nothing is published
    /// (records wait in the outbox); when it comes back, the node is born again.
    fn sparkplug_host_state(&mut self, payload: &[u8]) {
        let Some((_, host)) = self.spb.as_mut().and_then(|s| s.host.as_mut()) else {
            return;
        };
        let decision = host.update(payload);
        match decision {
            Ok(HostDecision::Online) => {
                tracing::info!("sparkplug: the primary host application is online");
                let born = self.spb.as_ref().is_some_and(|s| s.node.lock().is_born());
                if !born {
                    // What waited in the outbox meanwhile is a backlog, as after an outage:
                    // paced by the replay rate and marked historical.
                    let last = self.outbox.last_seq().unwrap_or(0);
                    if let Some(ep) = self.link.as_mut() {
                        ep.backlog_end = last;
                        ep.connected_at = Timestamp::now();
                    }
                    self.sparkplug_birth();
                }
            }
            Ok(HostDecision::Offline) => {
                tracing::warn!("sparkplug: the primary host application is offline: publishing stops until it is back (samples wait in the outbox)");
                let Some(spb) = self.spb.as_mut() else { return };
                let mut node = spb.node.lock();
                if node.is_born() {
                    let death = node.death();
                    node.disconnected();
                    drop(node);
                    spb.queue.retain(|o| matches!(o, Out::Sample { .. }));
                    spb.queue.push_front(Out::Control(death));
                }
            }
            Ok(HostDecision::Stale) => {
                tracing::debug!("sparkplug: a stale STATE of the primary host ignored");
            }
            Err(error) => {
                tracing::warn!(%error, "sparkplug: the primary host's STATE is unreadable")
            }
        }
    }

    /// The PUBACK of a received message handled here, on the connection it came on.
    fn ack_now(&mut self, ack: Option<crate::publisher::CommandAck>) {
        let (Some(ack), Some(ep)) = (ack, self.link.as_mut()) else {
            return;
        };
        if ack.epoch == ep.id && ep.client.try_ack(ack).is_err() {
            ep.dead = true;
        }
    }

    /// A clean stop: the NDEATH goes out before the DISCONNECT (5.5: a clean DISCONNECT
    /// suppresses the will).
    pub(super) fn sparkplug_goodbye(&mut self) {
        let Some(spb) = self.spb.as_ref() else { return };
        let node = spb.node.lock();
        let death = node.death();
        let born = node.is_born();
        drop(node);
        if let Some(ep) = self.link.as_ref().filter(|_| born) {
            let _ = ep
                .client
                .try_publish(death.topic, QoS::AtLeastOnce, false, death.payload);
        }
    }

    /// A new connection: its births, once the primary host (if any) is online.
    pub(super) fn sparkplug_connected(&mut self) {
        if let Some(spb) = self.spb.as_mut() {
            spb.queue.clear();
            spb.last_node_metrics = None;
            if spb.host.is_some() {
                spb.host = spb.host.take().map(|(t, _)| (t, PrimaryHost::new()));
            }
        }
        self.sparkplug_birth();
    }

    /// `live-first` in Sparkplug mode: a new record goes out at once beside the backlog.
    pub(super) fn sparkplug_live_ahead(&mut self, seq: u64, record: &[u8]) -> bool {
        if !self.sparkplug_ready() {
            return false;
        }
        let Some((topic, json)) = super::record::decode(record) else {
            return false;
        };
        let (topic, json) = (topic.to_owned(), json.to_vec());
        let now = u64::try_from(Timestamp::now().unix_millis()).unwrap_or(0);
        self.sparkplug_sample(seq, now, topic, json, false);
        self.pump_sparkplug_queue();
        true
    }
}

#[cfg(test)]
mod tests {
    use super::dcmd_digest;

    #[test]
    fn a_redelivered_dcmd_keeps_its_id_and_another_payload_gets_another() {
        let topic = "spBv1.0/g/DCMD/n/plc";
        let a = dcmd_digest(topic, b"\x08\x01");
        assert_eq!(a.len(), 16);
        assert_eq!(a, dcmd_digest(topic, b"\x08\x01"));
        assert_ne!(a, dcmd_digest(topic, b"\x08\x02"));
        assert_ne!(a, dcmd_digest("spBv1.0/g/DCMD/n/rtu", b"\x08\x01"));
    }
}
