//! The router task: from a received `set` PUBLISH to exactly one result.
//!
//! Order of the checks, each answered at once when it fails: the topic names a device and point;
//! the payload parses with an id; the id was not seen before (a repeat gets the first result
//! again, or waits for it while the first is still executing); the message was sent live (not
//! retained), its `expires` can be judged (the bridge's wall clock is set, `crate::clock`) and
//! has not passed; the device and point exist and the point is
//! `writable`; the source takes commands. Only then is the command recorded as started in
//! `data_dir` and handed to its source, which checks the value against the point and writes it.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::acks::{AckQueue, Ticket};
use super::field::{
    CommandRequest, CommandSender, CommandValue, FieldCommand, FieldReply, Outcome,
};
use super::parse;
use super::stats::CommandStats;
use super::store::{Entry, Store};
use super::update::{self, RouterUpdates, Update};
use crate::clock::Now;
use crate::config::CommandsConfig;
use crate::publisher::{CommandAck, DirectMessage, IncomingCommand};
use crate::time::Timestamp;
use crate::topic::Topics;

/// What the router knows of one device: its points, its command timeout, the parameters its
/// driver reads, and its source's command queue.
#[derive(Debug, Clone)]
pub struct RouterDevice {
    /// The protocol, for the reason when the source takes no commands yet.
    pub protocol: &'static str,
    /// Every configured point and what commands it takes.
    pub points: HashMap<Arc<str>, PointPolicy>,
    /// The source's own command timeout (`command_timeout`), else `[commands] timeout`.
    pub timeout: Option<Duration>,
    /// The `params` names its driver reads; any other is refused.
    pub params: &'static [&'static str],
    /// The source's command queue; `None` when its driver takes no commands.
    pub sender: Option<CommandSender>,
}

/// What the router knows of one point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PointPolicy {
    /// Whether `<point>/set` is accepted.
    pub writable: bool,
    /// The point's own command timeout, else its source's.
    pub timeout: Option<Duration>,
}

/// The command router of one bridge.
#[derive(Debug)]
pub struct CommandRouter {
    base: String,
    timeout: Duration,
    devices: HashMap<Arc<str>, RouterDevice>,
    store: Store,
    stats: Arc<CommandStats>,
    /// Repeats that arrived while their command was executing: answered when it completes (each
    /// with its place among the PUBACKs owed).
    waiting: HashMap<String, Vec<Option<Ticket>>>,
    /// The PUBACKs owed to the broker, released in arrival order.
    acks: AckQueue,
    /// Results to publish as soon as the router runs: commands interrupted by the last stop.
    startup: Vec<(String, String)>,
    /// New device tables from a configuration reload, once [`CommandRouter::updates`] was asked.
    updates: Option<mpsc::UnboundedReceiver<Update>>,
}

/// One command on its way: what its result needs.
struct Context {
    key: String,
    id: Option<String>,
    device: String,
    point: String,
    value: Option<CommandValue>,
    topic: String,
    received: Instant,
    received_at: Timestamp,
    /// Its place among the PUBACKs owed to the broker (none for QoS 0).
    ack: Option<Ticket>,
}

#[derive(Serialize)]
struct ResultJson<'a> {
    id: Option<&'a str>,
    outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    method: Option<&'a str>,
    device: &'a str,
    point: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<serde_json::Value>,
    received: Timestamp,
    completed: Timestamp,
    latency_ms: f64,
}

/// Answers still to come from the sources.
type Pending = JoinSet<(Context, FieldReply)>;

impl CommandRouter {
    /// A router for `devices`, remembering executed ids in `data_dir`.
    ///
    /// Commands found started and unanswered (the bridge stopped while executing them) get their
    /// `failed` result now, so that a repeat is answered and never executed again.
    pub fn open(
        topics: &Topics,
        settings: &CommandsConfig,
        data_dir: &Path,
        devices: HashMap<Arc<str>, RouterDevice>,
    ) -> std::io::Result<Self> {
        let (store, loaded) = Store::open(data_dir, settings.remember)?;
        if loaded.bad_lines > 0 {
            tracing::warn!(
                file = %data_dir.join(super::store::FILE_NAME).display(),
                bad_lines = loaded.bad_lines,
                "command memory had unreadable lines (a torn write); skipped"
            );
        }
        let mut router = CommandRouter {
            base: topics.base().to_owned(),
            timeout: settings.timeout,
            devices,
            store,
            stats: Arc::new(CommandStats::default()),
            waiting: HashMap::new(),
            acks: AckQueue::default(),
            startup: Vec::new(),
            updates: None,
        };
        for key in loaded.interrupted {
            let mut parts = key.splitn(3, '/');
            let (device, point, id) = (
                parts.next().unwrap_or_default().to_owned(),
                parts.next().unwrap_or_default().to_owned(),
                parts.next().unwrap_or_default().to_owned(),
            );
            let now = Instant::now();
            let ctx = Context {
                topic: router.result_topic(&device, &point),
                key: key.clone(),
                id: Some(id),
                device,
                point,
                value: None,
                received: now,
                received_at: Timestamp::now(),
                ack: None,
            };
            let reply = FieldReply::not_done(
                Outcome::Failed,
                "interrupted: the bridge stopped while this command was executing; whether the \
                 device applied it is unknown, and it is not executed again",
            );
            let payload = router.result_payload(&ctx, &reply);
            tracing::warn!(command_id = ctx.id.as_deref(), device = %ctx.device, point = %ctx.point, "command interrupted by a stop of the bridge; answered failed");
            router.store.done(&key, &payload)?;
            router.startup.push((ctx.topic, payload));
        }
        tracing::info!(remembered = loaded.entries, "command router ready");
        Ok(router)
    }

    /// The topic filter of every command of this bridge: `<prefix>/<site>/+/+/set`.
    pub fn filter(&self) -> String {
        format!("{}/+/+/set", self.base)
    }

    /// The router's counters.
    pub fn stats(&self) -> Arc<CommandStats> {
        self.stats.clone()
    }

    /// A handle that gives this router a new device table while it runs (a configuration
    /// reload). Asking again replaces the earlier handle, which then reaches nothing.
    pub fn updates(&mut self) -> RouterUpdates {
        let (handle, rx) = update::channel();
        self.updates = Some(rx);
        handle
    }

    /// Takes a new device table: every later command is judged by it.
    fn take(&mut self, update: Update) {
        let before = self.devices.len();
        self.devices = update.devices;
        self.timeout = update.timeout;
        tracing::info!(
            devices_before = before,
            devices = self.devices.len(),
            timeout_ms = self.timeout.as_millis() as u64,
            "command router took the reloaded configuration"
        );
        let _ = update.taken.send(());
    }

    fn result_topic(&self, device: &str, point: &str) -> String {
        format!("{}/{device}/{point}/set/result", self.base)
    }

    /// Runs until `incoming` closes or `stop` fires, and then until every command under way has
    /// its result (the sources answer or drop what they hold when they stop).
    pub async fn run(
        mut self,
        mut incoming: mpsc::UnboundedReceiver<IncomingCommand>,
        results: mpsc::Sender<DirectMessage>,
        stop: oneshot::Receiver<()>,
    ) {
        for (topic, payload) in std::mem::take(&mut self.startup) {
            publish(&results, topic, payload, None).await;
        }
        let mut pending: Pending = JoinSet::new();
        let mut open = true;
        let mut stop = std::pin::pin!(stop);
        let mut updates = self.updates.take();
        while open || !pending.is_empty() {
            let due = self.acks.next_due();
            tokio::select! {
                message = incoming.recv(), if open => match message {
                    Some(message) => self.on_message(message, &mut pending, &results).await,
                    None => open = false,
                },
                _ = &mut stop, if open => open = false,
                update = async { updates.as_mut()?.recv().await }, if updates.is_some() => match update {
                    Some(update) => self.take(update),
                    None => updates = None,
                },
                Some(done) = pending.join_next() => match done {
                    Ok((ctx, reply)) => self.finish(ctx, reply, &results).await,
                    Err(error) => tracing::error!(%error, "command task failed"),
                },
                () = tokio::time::sleep_until(due.unwrap_or_else(Instant::now)), if due.is_some() => {
                    let released = self.acks.expire(Instant::now());
                    for (_, ack) in released {
                        publish(&results, String::new(), String::new(), Some(ack)).await;
                    }
                }
            }
        }
        // Whatever PUBACK is still owed goes now (the connection may be closing).
        for (_, ack) in self.acks.expire(Instant::now() + super::acks::ACK_WITHIN) {
            publish(&results, String::new(), String::new(), Some(ack)).await;
        }
    }

    /// Publishes a result (or, with an empty topic, nothing but a PUBACK) and releases the PUBACKs
    /// that may go now, in arrival order: those before the result's own as PUBACK-only messages,
    /// its own right after the result (see `publisher::CommandAck`), the later ones after it.
    async fn respond(
        &mut self,
        results: &mpsc::Sender<DirectMessage>,
        topic: String,
        payload: String,
        ticket: Option<Ticket>,
    ) {
        let released = ticket.map(|t| self.acks.ready(t)).unwrap_or_default();
        let own = released.iter().position(|(t, _)| Some(*t) == ticket);
        let mut after = Vec::new();
        let mut own_ack = None;
        for (i, (_, ack)) in released.into_iter().enumerate() {
            match own {
                Some(o) if i < o => {
                    publish(results, String::new(), String::new(), Some(ack)).await;
                }
                Some(o) if i == o => own_ack = Some(ack),
                _ => after.push(ack),
            }
        }
        publish(results, topic, payload, own_ack).await;
        for ack in after {
            publish(results, String::new(), String::new(), Some(ack)).await;
        }
    }

    async fn on_message(
        &mut self,
        message: IncomingCommand,
        pending: &mut Pending,
        results: &mpsc::Sender<DirectMessage>,
    ) {
        // The wall clock is read once per command, here: for its `received` and to judge its
        // `expires`, which becomes a monotonic deadline at once (a later jump of the wall clock
        // changes nothing).
        let now = Now::read();
        let ticket = message.ack.map(|ack| self.acks.owe(ack, message.received));
        let Some((device, point)) = parse::target(&self.base, &message.topic) else {
            tracing::debug!(topic = %message.topic, "not a command topic; ignored");
            return self
                .respond(results, String::new(), String::new(), ticket)
                .await;
        };
        let mut ctx = Context {
            key: String::new(),
            id: None,
            device: device.to_owned(),
            point: point.to_owned(),
            value: None,
            topic: self.result_topic(device, point),
            received: message.received,
            received_at: now.wall,
            ack: ticket,
        };
        let command = match parse::payload(&message.payload) {
            Ok(c) => c,
            Err(malformed) => {
                ctx.id = malformed.id;
                let reply = FieldReply::not_done(Outcome::Refused, malformed.reason);
                return self.finish(ctx, reply, results).await;
            }
        };
        ctx.key = format!("{device}/{point}/{}", command.id);
        ctx.id = Some(command.id.clone());
        ctx.value = Some(command.value.clone());
        match self.store.get(&ctx.key) {
            Some(Entry::Done(payload)) => {
                let payload = payload.clone();
                self.stats
                    .repeats
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tracing::info!(command_id = %command.id, device, point, "command repeated; answered with its first result");
                return self.respond(results, ctx.topic, payload, ctx.ack).await;
            }
            Some(Entry::Started) => {
                self.stats
                    .repeats
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tracing::info!(command_id = %command.id, device, point, "command repeated while executing; answered when it completes");
                self.waiting.entry(ctx.key).or_default().push(ctx.ack);
                return;
            }
            None => {}
        }
        if let Some(reply) = self.stale(&message, command.expires, now) {
            return self.finish(ctx, reply, results).await;
        }
        let entry = self.devices.get(device);
        let refusal = match entry.map(|d| (d, d.points.get(point))) {
            None => Some(format!("unknown device \"{device}\"")),
            Some((_, None)) => Some(format!("unknown point \"{point}\" of device \"{device}\"")),
            Some((_, Some(p))) if !p.writable => Some(format!(
                "point \"{point}\" is not writable (writable = true in the configuration allows commands)"
            )),
            Some((d, Some(_))) if d.sender.is_none() => Some(format!(
                "commands to {} devices are not supported yet",
                d.protocol
            )),
            Some((d, Some(_))) => command
                .params
                .keys()
                .find(|k| !d.params.contains(&k.as_str()))
                .map(|unknown| {
                    if d.params.is_empty() {
                        format!("unknown parameter \"{unknown}\": {} commands take no params", d.protocol)
                    } else {
                        format!(
                            "unknown parameter \"{unknown}\" (a {} command takes {})",
                            d.protocol,
                            d.params.join(", ")
                        )
                    }
                }),
        };
        if let Some(reason) = refusal {
            return self
                .finish(ctx, FieldReply::not_done(Outcome::Refused, reason), results)
                .await;
        }
        let Some(sender) = entry.and_then(|d| d.sender.clone()) else {
            return;
        };
        // The deadline: the sender's, the broker's message expiry, or the bridge's own timeout
        // (the point's, its source's, or `[commands]`).
        let timeout = entry
            .and_then(|d| d.points.get(point).and_then(|p| p.timeout).or(d.timeout))
            .unwrap_or(self.timeout);
        let (deadline, deadline_is_expiry) = deadline(&message, command.expires, timeout, now);
        if let Err(error) = self.store.started(&ctx.key) {
            let reason = format!("not executed: cannot record the command in data_dir: {error}");
            tracing::error!(%error, "cannot write the command memory");
            return self
                .finish(ctx, FieldReply::not_done(Outcome::Refused, reason), results)
                .await;
        }
        let (reply_tx, reply_rx) = oneshot::channel();
        let request = CommandRequest {
            command: FieldCommand {
                id: Arc::from(command.id.as_str()),
                point: Arc::from(point),
                value: command.value,
                params: command.params,
                deadline,
                deadline_is_expiry,
            },
            reply: reply_tx,
        };
        if let Err(error) = sender.try_send(request) {
            let reason = match error {
                mpsc::error::TrySendError::Full(_) => {
                    "not sent: too many commands waiting for this device".to_owned()
                }
                mpsc::error::TrySendError::Closed(_) => {
                    "not sent: the device's source has stopped".to_owned()
                }
            };
            return self
                .finish(ctx, FieldReply::not_done(Outcome::Refused, reason), results)
                .await;
        }
        // The source answers every command it takes (its deadline bounds when it may start, its
        // request timeout how long the exchange takes); the guard only covers a source that died.
        let guard = deadline.max(Instant::now()) + timeout * 2 + Duration::from_secs(30);
        pending.spawn(async move {
            let reply = match tokio::time::timeout_at(guard, reply_rx).await {
                Ok(Ok(reply)) => reply,
                Ok(Err(_)) => FieldReply::not_done(
                    Outcome::Failed,
                    "the source stopped before answering; whether the device applied it is unknown",
                ),
                Err(_) => {
                    FieldReply::not_done(Outcome::Timeout, "no answer from the source in time")
                }
            };
            (ctx, reply)
        });
    }

    /// A command that must not run because it is not live: retained by the broker, or past its
    /// deadline on arrival; or whose `expires` cannot be judged because the bridge's wall clock is
    /// not set (`crate::clock`): a box at 1970 would take any `expires` for the far future.
    pub(super) fn stale(
        &self,
        message: &IncomingCommand,
        expires: Option<Timestamp>,
        now: Now,
    ) -> Option<FieldReply> {
        if message.retained {
            return Some(FieldReply::not_done(
                Outcome::Expired,
                "retained message: the broker kept it and delivered it at subscription, not live; \
                 commands must not be published with retain",
            ));
        }
        if message.message_expiry == Some(0) {
            return Some(FieldReply::not_done(
                Outcome::Expired,
                "its MQTT 5 message expiry interval had run out",
            ));
        }
        match expires {
            Some(_) if !now.wall_clock_set() => Some(FieldReply::not_done(
                Outcome::Refused,
                format!(
                    "the bridge's clock is not set (it reads {}), so its expires cannot be judged; \
                     not sent to the field",
                    now.wall.to_rfc3339_millis()
                ),
            )),
            Some(t) if t.unix_millis() <= now.wall.unix_millis() => Some(FieldReply::not_done(
                Outcome::Expired,
                format!(
                    "arrived at {} after its deadline {}; not sent to the field",
                    now.wall.to_rfc3339_millis(),
                    t.to_rfc3339_millis()
                ),
            )),
            _ => None,
        }
    }

    fn result_payload(&self, ctx: &Context, reply: &FieldReply) -> String {
        let latency = ctx.received.elapsed();
        let json = ResultJson {
            id: ctx.id.as_deref(),
            outcome: reply.outcome,
            reason: reply.reason.as_deref(),
            method: reply.method.as_deref(),
            device: &ctx.device,
            point: &ctx.point,
            value: ctx.value.as_ref().map(CommandValue::to_json),
            received: ctx.received_at,
            completed: Timestamp::now(),
            latency_ms: (latency.as_secs_f64() * 1e6).round() / 1e3,
        };
        serde_json::to_string(&json).unwrap_or_default()
    }

    /// Records, counts, logs and publishes one result (and answers the repeats that waited).
    async fn finish(
        &mut self,
        ctx: Context,
        reply: FieldReply,
        results: &mpsc::Sender<DirectMessage>,
    ) {
        let payload = self.result_payload(&ctx, &reply);
        let latency = ctx.received.elapsed();
        // Only what was handed to a source is remembered: a refused or expired command is
        // simply refused or expired again when repeated, and a flood of refusals cannot push
        // executed ids out of the memory.
        if !ctx.key.is_empty() && self.store.get(&ctx.key) == Some(&Entry::Started) {
            if let Err(error) = self.store.done(&ctx.key, &payload) {
                tracing::error!(%error, command_id = ctx.id.as_deref(), "cannot record a command result on disk; a repeat after a restart will be answered failed (interrupted)");
            }
        }
        self.stats.count(reply.outcome);
        self.stats.latency.observe(latency.as_secs_f64());
        let value = ctx.value.as_ref().map(CommandValue::to_json);
        tracing::info!(
            command_id = ctx.id.as_deref(),
            device = %ctx.device,
            point = %ctx.point,
            value = value.as_ref().map(tracing::field::display),
            outcome = reply.outcome.as_str(),
            reason = reply.reason.as_deref(),
            method = reply.method.as_deref(),
            latency_ms = latency.as_secs_f64() * 1e3,
            "command"
        );
        let repeats = self.waiting.remove(&ctx.key).unwrap_or_default();
        self.respond(results, ctx.topic.clone(), payload.clone(), ctx.ack)
            .await;
        for ticket in repeats {
            self.respond(results, ctx.topic.clone(), payload.clone(), ticket)
                .await;
        }
    }
}

/// A command's deadline as a monotonic instant, and whether it is the sender's (`expires`, or the
/// MQTT 5 message expiry) rather than the bridge's command `timeout` counted from its arrival.
///
/// Computed once, on arrival: `expires` is placed on the monotonic clock by the wall clock read
/// then (`now`), and nothing reads the wall clock for this command afterwards.
pub(super) fn deadline(
    message: &IncomingCommand,
    expires: Option<Timestamp>,
    timeout: Duration,
    now: Now,
) -> (Instant, bool) {
    let ours = message.received + timeout;
    let theirs = expires
        .map(|t| now.instant_of(t))
        .into_iter()
        .chain(
            message
                .message_expiry
                .map(|s| message.received + Duration::from_secs(u64::from(s))),
        )
        .min();
    match theirs {
        Some(t) if t < ours => (t, true),
        _ => (ours, false),
    }
}

/// Hands a result to the publisher, with the PUBACK its command owes (an empty topic: only the
/// PUBACK, for a PUBLISH that was not a command).
async fn publish(
    results: &mpsc::Sender<DirectMessage>,
    topic: String,
    payload: String,
    ack: Option<CommandAck>,
) {
    if topic.is_empty() && ack.is_none() {
        return;
    }
    let message = DirectMessage {
        topic,
        payload: payload.into_bytes(),
        ack,
    };
    if results.send(message).await.is_err() {
        tracing::warn!("the publisher has stopped; a command result was not published");
    }
}
