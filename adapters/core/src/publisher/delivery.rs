//! The delivery task: the only owner of the outbox. Readings are numbered and appended; records go
//! out from the outbox through the current connection's client, at most [`WINDOW`] unacknowledged
//! at a time; a PUBACK removes its record. After a reconnection the outbox is rewound, so every
//! record not acknowledged is sent again (at least once, never lost). Records appended before the
//! connection came up are the backlog: they go first (in order), paced at the replay rate, and
//! are marked `historical` when they were held back by an outage.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use fieldbridge_outbox::{Error as OutboxError, Outbox};
use rumqttc::QoS;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::client::MqttClient;
use super::delivery_stats::DeliveryStats;
use super::direct::{DirectQueue, Entry};
use super::failure::LinkCounters;
use super::link::LinkEvent;
use super::record;
use super::sparkplug::{SharedNode, Sparkplug};
use super::storage::{self, Op, StorageWatch};
use super::{DirectMessage, IncomingCommand, PublisherSettings};
use crate::config::ReplayOrder;
use crate::event::{DeviceMeta, DeviceState, EventReceiver, SourceEvent};
use crate::point::{Reading, Sample};
use crate::seq::SeqStore;
use crate::time::Timestamp;
use crate::topic::{self, Topics};

mod health;
mod results;
mod retained;
mod sparkplug;

use retained::RetainedQueue;

/// Most samples published and not yet acknowledged.
pub(crate) const WINDOW: usize = 256;

/// Most readings numbered and written to the outbox together.
const BATCH: usize = 256;

/// A record held back this long before its connection existed is `historical`; the first samples
/// of a start, appended while the first connection is being set up, are not.
const HISTORICAL_AFTER_MS: i64 = 1000;

/// How often the bridge's retained state is refreshed with its summary while connected.
const SUMMARY_EVERY: Duration = Duration::from_secs(10);

/// A connection with samples outstanding and no PUBACK of one for this long is dropped and the
/// outbox sent again on the next one: a broker can stop acknowledging without closing the
/// connection (a NATS node whose streams lost their leader when another node died), and the
/// window would stay full for ever.
pub(crate) const ACK_STALL: Duration = Duration::from_secs(20);

/// How often the task wakes without an event: outbox syncs, replay pacing, the drain deadline.
const TICK: Duration = Duration::from_millis(50);

/// How soon a disk operation that failed (other than the outbox's own bound) is tried again.
const DISK_RETRY: Duration = Duration::from_millis(200);

/// How often the free space of `data_dir` is read for the metrics.
const SPACE_EVERY: Duration = Duration::from_secs(5);

/// One connection: its client and the pairing of packet ids with sequence numbers.
struct Epoch {
    id: u64,
    client: MqttClient,
    connected_at: Timestamp,
    /// Everything submitted and not yet seen going out, in submission order: a sample (seq and
    /// append time), a retained state or meta message, or a direct message (command result).
    submitted: VecDeque<Entry>,
    /// Sent and waiting for a PUBACK.
    inflight: HashMap<u16, Entry>,
    /// Records up to this seq were appended before the connection: the backlog.
    backlog_end: u64,
    /// The last seq handed out on this connection.
    last_taken: u64,
    /// The client refused a request: the connection is going down.
    dead: bool,
    /// Live records published ahead of the backlog (`live-first`): the cursor skips them.
    sent_live: std::collections::HashSet<u64>,
    /// Records dropped from a full outbox while already on their way to the broker: if their
    /// PUBACK still comes, they were delivered after all and are not counted as dropped.
    dropped_in_flight: std::collections::HashSet<u64>,
    /// The last PUBACK of a sample, or the last moment no sample was outstanding: see
    /// [`ACK_STALL`].
    last_progress: Instant,
    /// The link was asked to drop this connection.
    drop_requested: bool,
}

impl Epoch {
    fn outstanding(&self) -> usize {
        self.submitted.len() + self.inflight.len()
    }

    /// Whether a retained or direct message may be handed out: twice the samples' window, so
    /// they pass samples yet never fill the client's request queue.
    fn has_room(&self) -> bool {
        self.outstanding() < 2 * WINDOW
    }
}

/// A token bucket for the replay rate.
struct Pacer {
    rate: f64,
    tokens: f64,
    at: Instant,
}

impl Pacer {
    fn new(rate: u32) -> Self {
        let rate = f64::from(rate.max(1));
        Pacer {
            rate,
            tokens: 1.0,
            at: Instant::now(),
        }
    }

    fn take(&mut self) -> bool {
        let now = Instant::now();
        let burst = (self.rate / 10.0).max(1.0);
        self.tokens =
            (self.tokens + now.duration_since(self.at).as_secs_f64() * self.rate).min(burst);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

pub(crate) struct Delivery {
    topics: Topics,
    qos: QoS,
    outbox: Outbox,
    seq: SeqStore,
    stats: Arc<DeliveryStats>,
    link: Option<Epoch>,
    states: BTreeMap<Arc<str>, DeviceState>,
    metas: BTreeMap<Arc<str>, DeviceMeta>,
    started: Timestamp,
    pacer: Pacer,
    /// Numbered records not in the outbox yet, in order: the batch being gathered, or what the
    /// outbox refused (full under backpressure, or a disk error).
    held: Vec<(u64, Vec<u8>)>,
    drain_grace: Duration,
    live_first: bool,
    buf: Vec<u8>,
    /// Command results not acknowledged yet.
    direct: DirectQueue,
    /// Retained state and meta messages waiting for room in the window.
    retained: RetainedQueue,
    /// Failing disk operations: their log throttles.
    storage: StorageWatch,
    /// The log line of drops from a full outbox.
    drop_log: crate::throttle::Throttle,
    /// When the free space was last read.
    space_read: Option<Instant>,
    /// Not before then is a failed append tried again.
    append_retry_at: Option<Instant>,
    /// Not before then is a failed sync tried again.
    sync_retry_at: Option<Instant>,
    /// A sync job was handed out and has not been reported failed.
    sync_handed_out: bool,
    /// The broker (cluster node) of the current or last connection, for the bridge's state.
    broker: Option<Arc<str>>,
    /// The running configuration's version, for the bridge's state.
    config_version: tokio::sync::watch::Receiver<String>,
    /// Sparkplug B output, when `[mqtt] format = "sparkplug"`.
    spb: Option<Sparkplug>,
    /// Asks the link to drop the connection of an epoch ([`ACK_STALL`]).
    drop_epoch: tokio::sync::watch::Sender<u64>,
}

/// What the delivery needs for Sparkplug B output: the edge node it shares with the link, where
/// translated DCMD writes go (the command router, when commands are enabled) and what the link
/// receives on the Sparkplug filters.
#[derive(Debug)]
pub(crate) struct SparkplugParts {
    pub(crate) node: SharedNode,
    pub(crate) router: Option<mpsc::UnboundedSender<IncomingCommand>>,
    pub(crate) incoming: mpsc::UnboundedReceiver<IncomingCommand>,
}

impl Delivery {
    pub(crate) fn new(
        settings: PublisherSettings,
        outbox: Outbox,
        mut seq: SeqStore,
        stats: Arc<DeliveryStats>,
        sparkplug: Option<SparkplugParts>,
        drop_epoch: tokio::sync::watch::Sender<u64>,
    ) -> (Self, Option<mpsc::UnboundedReceiver<IncomingCommand>>) {
        seq.resume(outbox.last_seq().map(|s| s.saturating_add(1)));
        let host = settings
            .sparkplug
            .as_ref()
            .and_then(|s| s.primary_host.clone());
        let (spb, incoming) = match sparkplug {
            Some(parts) => (
                Some(Sparkplug {
                    node: parts.node,
                    host: host.map(|h| {
                        (
                            format!("spBv1.0/STATE/{h}"),
                            fieldbridge_sparkplug::host::PrimaryHost::new(),
                        )
                    }),
                    queue: VecDeque::new(),
                    router: parts.router,
                    writes: 0,
                    last_node_metrics: None,
                }),
                Some(parts.incoming),
            ),
            None => (None, None),
        };
        let delivery = Delivery {
            topics: settings.topics,
            qos: if settings.qos == 0 {
                QoS::AtMostOnce
            } else {
                QoS::AtLeastOnce
            },
            outbox,
            seq,
            stats,
            link: None,
            states: BTreeMap::new(),
            metas: BTreeMap::new(),
            started: Timestamp::now(),
            pacer: Pacer::new(settings.replay_rate),
            held: Vec::new(),
            drain_grace: settings.drain_grace,
            live_first: settings.replay_order == ReplayOrder::LiveFirst,
            buf: Vec::new(),
            direct: DirectQueue::default(),
            retained: RetainedQueue::default(),
            storage: StorageWatch::default(),
            drop_log: crate::throttle::Throttle::default(),
            space_read: None,
            append_retry_at: None,
            sync_retry_at: None,
            sync_handed_out: false,
            broker: None,
            config_version: settings.config_version,
            spb,
            drop_epoch,
        };
        (delivery, incoming)
    }

    pub(crate) async fn run(
        mut self,
        mut events: EventReceiver,
        mut link: mpsc::UnboundedReceiver<LinkEvent>,
        mut results: Option<mpsc::Receiver<DirectMessage>>,
        mut incoming: Option<mpsc::UnboundedReceiver<IncomingCommand>>,
    ) -> (Outbox, SeqStore) {
        let mut drain_until: Option<Instant> = None;
        let mut last_summary = Instant::now();
        loop {
            self.retry_held();
            self.pump_retained(Epoch::has_room);
            self.pump_direct();
            self.pump();
            if let Some(deadline) = drain_until {
                // The command router closes its end when it has answered what it took.
                let drained = self.held.is_empty()
                    && self.outbox.pending_len() == 0
                    && self.direct.is_empty()
                    && self.retained.is_empty()
                    && results.is_none();
                if drained || Instant::now() >= deadline {
                    break;
                }
            }
            tokio::select! {
                event = events.recv(), if drain_until.is_none() && self.held.is_empty() => match event {
                    Some(event) => {
                        self.on_event(event);
                        // Whatever else is waiting joins the batch: one write for all of it.
                        while self.held.len() < BATCH {
                            match events.try_recv() {
                                Ok(event) => self.on_event(event),
                                Err(_) => break,
                            }
                        }
                    }
                    None => drain_until = Some(Instant::now() + self.drain_grace),
                },
                event = link.recv() => match event {
                    Some(event) => self.on_link(event),
                    None => break,
                },
                result = async { results.as_mut()?.recv().await }, if results.is_some() => match result {
                    Some(result) => self.queue_direct(result),
                    None => results = None,
                },
                command = async { incoming.as_mut()?.recv().await }, if incoming.is_some() => match command {
                    Some(command) => self.sparkplug_incoming(command),
                    None => incoming = None,
                },
                () = tokio::time::sleep(TICK) => {}
            }
            self.start_sync();
            self.check_stall();
            self.update_gauges();
            self.read_space();
            // A reload's new configuration version is shown at once.
            let reloaded = self.config_version.has_changed().unwrap_or(false);
            if self.link.is_some() && (reloaded || last_summary.elapsed() >= SUMMARY_EVERY) {
                last_summary = Instant::now();
                self.publish_bridge_state(true);
            }
        }
        self.say_goodbye();
        (self.outbox, self.seq)
    }

    /// The outbox's periodic fsync and cursor write, when due, on tokio's blocking pool: waiting
    /// for the disk here would hold every sample behind it. At most one runs at a time; its
    /// failure comes back from a later check (or from `close`) and is retried. Under `sync =
    /// "always"` appends still sync before they return; `close` waits for the job in flight.
    ///
    /// A failed job is retried at most every [`DISK_RETRY`], so a read-only disk is not asked 20
    /// times a second.
    fn start_sync(&mut self) {
        if self.sync_retry_at.is_some_and(|at| Instant::now() < at) {
            return;
        }
        match self.outbox.sync_job(std::time::Instant::now()) {
            Ok(Some(job)) => {
                // A job is handed out only once the one before it ended without failing.
                if std::mem::replace(&mut self.sync_handed_out, true) {
                    self.storage_ok(Op::Sync);
                }
                // Detached: the outbox learns the outcome itself. If the runtime drops the job
                // unrun, the outbox counts it as not done and syncs again.
                drop(tokio::task::spawn_blocking(move || job.run()));
            }
            Ok(None) => {}
            Err(error) => {
                self.sync_handed_out = false;
                self.sync_retry_at = Some(Instant::now() + DISK_RETRY);
                DeliveryStats::bump(&self.stats.outbox_errors, 1);
                self.storage_failed(Op::Sync, storage::outbox_kind(&error), &error);
            }
        }
    }

    fn on_event(&mut self, event: SourceEvent) {
        match event {
            SourceEvent::Reading(reading) => self.append(reading),
            SourceEvent::DeviceState(state) => {
                if self.spb.is_some() {
                    self.sparkplug_state(&state);
                } else {
                    self.publish_state(&state);
                }
                self.states.insert(state.device.clone(), state);
            }
            SourceEvent::DeviceMeta(meta) => {
                if self.spb.is_some() {
                    self.sparkplug_meta(&meta);
                } else {
                    self.publish_meta(&meta);
                }
                self.metas.insert(meta.device.clone(), meta);
            }
        }
    }

    /// Numbers the reading and writes it to the outbox; nothing is published before it is there.
    fn append(&mut self, reading: Reading) {
        self.stats.count_device(&reading.device, 0);
        self.sparkplug_learn(&reading);
        // A number is taken even when its reservation cannot be written; the batch is held
        // until the reservation covers it (`reserve_held`), so a number that a power cut could
        // give again is never published.
        let (seq, _) = self.seq.take_even_unreserved();
        let topic = self.topics.sample(&reading.device, &reading.point);
        let sample = Sample {
            seq,
            historical: reading.facts.late,
            reading,
        };
        let mut record = Vec::new();
        record::encode(&topic, &topic::sample_payload(&sample), &mut record);
        self.held.push((seq, record));
    }

    /// Appends the held records if the outbox takes them now.
    fn retry_held(&mut self) {
        if self.held.is_empty() || self.append_retry_at.is_some_and(|at| Instant::now() < at) {
            return;
        }
        self.append_retry_at = None;
        if !self.reserve_held() {
            self.append_retry_at = Some(Instant::now() + DISK_RETRY);
            return;
        }
        let batch: Vec<(u64, &[u8])> = self
            .held
            .iter()
            .map(|(seq, r)| (*seq, r.as_slice()))
            .collect();
        match self.outbox.append_batch(&batch) {
            Ok(outcome) => {
                DeliveryStats::bump(&self.stats.appended, batch.len() as u64);
                self.storage_ok(Op::Append);
                self.count_dropped(&outcome);
                for (seq, record) in std::mem::take(&mut self.held) {
                    self.publish_live_ahead(seq, &record);
                }
            }
            Err(OutboxError::Full { .. }) => {}
            Err(error) => {
                DeliveryStats::bump(&self.stats.outbox_errors, 1);
                // A full disk under `backpressure`, a read-only or vanished one under any policy:
                // the stream is held (sources wait, a link-keeping source stops acknowledging)
                // and the append is retried every DISK_RETRY until the disk takes it.
                self.storage_failed(Op::Append, storage::outbox_kind(&error), &error);
                self.append_retry_at = Some(Instant::now() + DISK_RETRY);
                // A failed batch may have reached the outbox in part: keep only the rest.
                let last = self.outbox.last_seq();
                self.held.retain(|(seq, _)| last.is_none_or(|l| *seq > l));
            }
        }
    }

    /// Whether the sequence reservation on disk covers every held number; tries to write it when
    /// not. On a full disk it makes room as an append would (`when_full`), then tries once more.
    fn reserve_held(&mut self) -> bool {
        let Some(&(last, _)) = self.held.last() else {
            return true;
        };
        if last < self.seq.reserved() {
            return true;
        }
        let mut result = self.seq.reserve();
        if let Err(error) = &result {
            if storage::seq_kind(error) == "no-space" {
                if let Ok(Some(outcome)) = self.outbox.free_room() {
                    self.count_dropped(&outcome);
                    result = self.seq.reserve();
                }
            }
        }
        match result {
            Ok(()) => {
                self.storage_ok(Op::Seq);
                true
            }
            Err(error) => {
                DeliveryStats::bump(&self.stats.outbox_errors, 1);
                self.storage_failed(Op::Seq, storage::seq_kind(&error), &error);
                false
            }
        }
    }

    /// Counts (and logs, throttled) what a full outbox or disk dropped.
    fn count_dropped(&mut self, outcome: &fieldbridge_outbox::AppendOutcome) {
        if outcome.dropped_records == 0 {
            return;
        }
        DeliveryStats::bump(&self.stats.dropped, outcome.dropped_records);
        self.note_dropped_in_flight();
        // Every drop is counted; the line is said once, then once a minute.
        crate::throttled!(
            self.drop_log,
            "drop-oldest",
            warn,
            dropped = outcome.dropped_records,
            total = self.outbox.dropped_total(),
            "outbox full: oldest samples dropped (outbox.when_full = \"drop-oldest\")"
        );
    }

    /// Hands records to the client while the window has room (and the replay pace allows).
    fn pump(&mut self) {
        loop {
            if self.spb.is_some() && (!self.pump_sparkplug_queue() || !self.sparkplug_ready()) {
                return;
            }
            let Some(ep) = self.link.as_mut() else { return };
            if ep.dead || ep.outstanding() >= WINDOW {
                return;
            }
            let backlog = ep.last_taken < ep.backlog_end;
            if backlog && !self.pacer.take() {
                return;
            }
            let info = match self.outbox.next_unsent_into(&mut self.buf) {
                Ok(Some(info)) => info,
                Ok(None) => return,
                Err(error) => {
                    DeliveryStats::bump(&self.stats.outbox_errors, 1);
                    self.storage_failed(Op::Read, storage::outbox_kind(&error), &error);
                    return;
                }
            };
            self.storage_ok(Op::Read);
            let Some(ep) = self.link.as_mut() else { return };
            ep.last_taken = info.seq;
            if ep.sent_live.remove(&info.seq) {
                continue;
            }
            let Some((topic, json)) = record::decode(&self.buf) else {
                tracing::error!(seq = info.seq, "outbox record is not a sample; skipped");
                let _ = self.outbox.ack(info.seq);
                continue;
            };
            let held_back = ep.connected_at.unix_millis()
                - i64::try_from(info.appended_at_ms).unwrap_or(i64::MAX);
            let historical = info.seq <= ep.backlog_end && held_back > HISTORICAL_AFTER_MS;
            if historical {
                DeliveryStats::bump(&self.stats.replayed, 1);
            }
            if self.spb.is_some() {
                let (topic, json) = (topic.to_owned(), json.to_vec());
                self.sparkplug_sample(info.seq, info.appended_at_ms, topic, json, historical);
                continue;
            }
            let payload = if historical {
                record::mark_historical(json)
            } else {
                json.to_vec()
            };
            if ep
                .client
                .try_publish(topic, self.qos, false, payload)
                .is_err()
            {
                ep.dead = true;
                return;
            }
            ep.submitted.push_back(Entry::Sample {
                seq: info.seq,
                appended_ms: info.appended_at_ms,
            });
            DeliveryStats::bump(&self.stats.published, 1);
            if let Some(device) = topic.rsplit('/').nth(1) {
                self.stats.count_device(device, 1);
            }
        }
    }

    /// `live-first`: while a backlog drains, a new reading goes out at once, beside it, rather than
    /// behind it. Consumers tell the two apart by `historical`.
    fn publish_live_ahead(&mut self, seq: u64, record: &[u8]) {
        if !self.live_first {
            return;
        }
        let Some(ep) = self.link.as_mut() else { return };
        let draining = ep.last_taken < ep.backlog_end;
        if ep.dead || !draining || ep.outstanding() >= 2 * WINDOW {
            return;
        }
        if self.spb.is_some() {
            if self.sparkplug_live_ahead(seq, record) {
                if let Some(ep) = self.link.as_mut() {
                    ep.sent_live.insert(seq);
                }
            }
            return;
        }
        let Some((topic, json)) = record::decode(record) else {
            return;
        };
        if ep
            .client
            .try_publish(topic, self.qos, false, json.to_vec())
            .is_err()
        {
            ep.dead = true;
            return;
        }
        let now_ms = u64::try_from(Timestamp::now().unix_millis()).unwrap_or(0);
        ep.submitted.push_back(Entry::Sample {
            seq,
            appended_ms: now_ms,
        });
        ep.sent_live.insert(seq);
        DeliveryStats::bump(&self.stats.published, 1);
        if let Some(device) = topic.rsplit('/').nth(1) {
            self.stats.count_device(device, 1);
        }
    }

    fn on_link(&mut self, event: LinkEvent) {
        match event {
            LinkEvent::Connected {
                epoch,
                client,
                broker,
            } => {
                self.broker = Some(broker);
                // Everything not acknowledged goes out again, oldest first; the retained
                // messages are announced afresh.
                self.outbox.rewind();
                self.retained = RetainedQueue::default();
                self.direct.requeue();
                self.link = Some(Epoch {
                    id: epoch,
                    client,
                    connected_at: Timestamp::now(),
                    submitted: VecDeque::new(),
                    inflight: HashMap::new(),
                    backlog_end: self.outbox.last_seq().unwrap_or(0),
                    last_taken: 0,
                    dead: false,
                    sent_live: std::collections::HashSet::new(),
                    dropped_in_flight: std::collections::HashSet::new(),
                    last_progress: Instant::now(),
                    drop_requested: false,
                });
                if self.spb.is_some() {
                    self.sparkplug_connected();
                } else {
                    self.announce();
                }
            }
            LinkEvent::Sent { epoch, pkid } => {
                let qos = self.qos;
                let Some(ep) = self.link.as_mut().filter(|ep| ep.id == epoch) else {
                    return;
                };
                let done = match ep.submitted.pop_front() {
                    // QoS 0 has no acknowledgement: gone out is as good as it gets.
                    Some(Entry::Sample { seq, appended_ms }) if qos == QoS::AtMostOnce => {
                        Some((seq, appended_ms))
                    }
                    Some(entry) => {
                        ep.inflight.insert(pkid, entry);
                        None
                    }
                    None => {
                        tracing::warn!(pkid, "a publish went out that the delivery did not submit");
                        None
                    }
                };
                if let Some((seq, appended_ms)) = done {
                    self.acked(seq, appended_ms);
                }
            }
            LinkEvent::Acked { epoch, pkid } => {
                let Some(ep) = self.link.as_mut().filter(|ep| ep.id == epoch) else {
                    return;
                };
                match ep.inflight.remove(&pkid) {
                    Some(Entry::Sample { seq, appended_ms }) => {
                        // Only samples count: a NATS node may go on acknowledging the retained
                        // state (another stream, another leader) while samples stall.
                        ep.last_progress = Instant::now();
                        self.acked(seq, appended_ms);
                    }
                    Some(Entry::Direct(id)) => {
                        if self.direct.acked(id) {
                            LinkCounters::bump(&self.stats.link_counters.results_acked);
                        }
                    }
                    Some(Entry::Retained) | None => {}
                }
            }
            LinkEvent::Down { epoch } => {
                if self.link.as_ref().is_some_and(|ep| ep.id == epoch) {
                    self.link = None;
                    // The next connection announces everything again.
                    self.retained = RetainedQueue::default();
                }
            }
        }
    }

    /// After a drop: the in-flight records older than what the outbox still holds were dropped.
    fn note_dropped_in_flight(&mut self) {
        let Some(ep) = self.link.as_mut() else { return };
        let oldest = self.outbox.oldest_pending().map_or(u64::MAX, |r| r.seq);
        let in_flight = ep
            .submitted
            .iter()
            .chain(ep.inflight.values())
            .filter_map(|entry| entry.sample())
            .map(|(seq, _)| seq);
        ep.dropped_in_flight
            .extend(in_flight.filter(|&seq| seq < oldest));
    }

    fn acked(&mut self, seq: u64, appended_ms: u64) {
        if let Some(ep) = self.link.as_mut() {
            ep.sent_live.remove(&seq);
            if ep.dropped_in_flight.remove(&seq) {
                // Dropped from the outbox, but the broker has it: delivered, not lost.
                let _ =
                    self.stats
                        .dropped
                        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |d| d.checked_sub(1));
                return;
            }
        }
        match self.outbox.ack(seq) {
            Ok(true) => {
                DeliveryStats::bump(&self.stats.acked, 1);
                let now = Timestamp::now().unix_millis();
                let age = now - i64::try_from(appended_ms).unwrap_or(now);
                self.stats.latency.observe(age.max(0) as f64 / 1000.0);
            }
            Ok(false) => {}
            Err(error) => {
                DeliveryStats::bump(&self.stats.outbox_errors, 1);
                self.storage_failed(Op::Ack, storage::outbox_kind(&error), &error);
                return;
            }
        }
        self.storage_ok(Op::Ack);
    }
}
