//! Commands on writable points (design brief §5, `docs/commands.md`): SET of an attribute
//! (IEC 62056-5-3 clause 6.14, DLMS UA 1000-2 Ed. 10 clause 9.3.7) and ACTION of a method
//! (clause 6.17, 9.3.8), each answered exactly once.
//!
//! Commands run between polls, in a short cycle of their own, as polls do: connect, associate
//! (AARQ/AARE), the commands, release (RLRQ/RLRE), close. The poller waits for commands beside
//! its schedule ([`super::poll`]); a command that arrives while a poll cycle runs waits in the
//! queue until that cycle ends. Commands queued together share one association, each taken
//! in arrival order, and so do those that arrive while it is open.
//!
//! The command's deadline ([`FieldCommand::deadline`]) is checked before each step that starts
//! something at the meter: before connecting, before the AARQ, before reading the attribute's
//! type and before the SET or ACTION itself. A step sent is waited for (bounded by the source's
//! `timeout`), never sent twice; the read-back after it confirms it and is not a new step.
//! What each kind does is in [`set`] and [`action`].
//!
//! Outcomes: `refused` before anything is written (no such point, not writable, a value the
//! attribute's type cannot hold, see [`encode`]); `expired`/`timeout` when the deadline passed
//! before a step (nothing more sent); `timeout` when the meter cannot be reached or does not
//! answer (after a SET or ACTION went out: whether the meter carried it out is unknown);
//! `failed` for a data-access-result or action-result other than success (named), a
//! read-back that differs (`mismatch: ...`), a refused association, an answer that does not
//! decode; `failed` with `interrupted` when the bridge stops while a SET or ACTION is out.
//!
//! A command never changes `$state` to offline (the next poll judges the meter, with its retry
//! and backoff); an association that succeeds sets it online, and the value read back is
//! published at once for the point, through its report state.

pub(super) mod action;
pub(super) mod encode;
mod set;

use std::collections::VecDeque;

use fieldbridge_core::command::{CommandRequest, FieldCommand, FieldReply, Outcome};
use fieldbridge_core::config::{DlmsPoint, DlmsWrite};
use fieldbridge_core::source::Counter;
use fieldbridge_core::time::Timestamp;
use fieldbridge_dlms::apdu::get::{ActionResult, DataAccessResult};
use fieldbridge_dlms::axdr::Data;
use tokio::time::Instant;

pub(super) use super::cycle::unexpected;
use super::exchange::Bounds;
use super::is_clock;
use super::poll::Poller;
use super::state::{Outcome as Reading, Series, Stopped};
use crate::convert::{self, ScalerUnit};
use crate::link::{Link, LinkError};
use crate::session::Session;

/// The commands of one short cycle: those not started yet, and the one under way.
#[derive(Default)]
pub(super) struct Batch {
    waiting: VecDeque<CommandRequest>,
    current: Option<CommandRequest>,
    /// Whether the current command's SET or ACTION went out.
    sent: bool,
    /// Why the meter could not be reached in this cycle: the commands after the first that
    /// found it so get the same answer without trying again.
    unreachable: Option<FieldReply>,
}

impl Batch {
    /// Answers every command of the batch when the bridge stops: `failed` (interrupted) for a
    /// SET or ACTION that went out, `refused` (not sent) for the others.
    fn interrupt(&mut self) {
        if let Some(request) = self.current.take() {
            let reply = if self.sent {
                FieldReply::not_done(
                    Outcome::Failed,
                    "interrupted: the bridge stopped while this command was executing; whether the meter applied it is unknown",
                )
            } else {
                not_sent_stopping()
            };
            let _ = request.reply.send(reply);
        }
        for request in self.waiting.drain(..) {
            let _ = request.reply.send(not_sent_stopping());
        }
    }
}

fn not_sent_stopping() -> FieldReply {
    FieldReply::not_done(
        Outcome::Refused,
        "not sent: the device's source has stopped",
    )
}

/// An open association.
pub(super) struct Open {
    pub(super) link: Link,
    pub(super) session: Session,
}

/// What one command came to: its reply, and a value read back to publish for its point.
pub(super) struct Done {
    reply: FieldReply,
    readback: Option<Readback>,
}

impl Done {
    pub(super) fn reply(reply: FieldReply) -> Self {
        Done {
            reply,
            readback: None,
        }
    }

    pub(super) fn with_readback(mut self, readback: Option<Readback>) -> Self {
        self.readback = readback;
        self
    }
}

/// A value of a point read back after its command.
pub(super) struct Readback {
    pub(super) index: usize,
    pub(super) data: Data,
    pub(super) scaler: Option<ScalerUnit>,
}

/// What a command does, once checked against its point.
enum Plan {
    Set {
        index: usize,
        point: DlmsPoint,
    },
    Action {
        index: usize,
        point: DlmsPoint,
        method: i8,
        parameters: Option<Data>,
    },
}

impl Plan {
    /// The `method` of the reply: `set 1.0.1.8.0.255/2`, `action 0.0.96.3.10.255/1
    /// remote_disconnect`.
    fn method(&self) -> String {
        match self {
            Plan::Set { point, .. } => format!("set {}/{}", obis_text(point.obis), point.attribute),
            Plan::Action { point, method, .. } => action::method_text(point, *method),
        }
    }
}

/// `a.b.c.d.e.f`.
pub(super) fn obis_text([a, b, c, d, e, f]: [u8; 6]) -> String {
    format!("{a}.{b}.{c}.{d}.{e}.{f}")
}

/// `data-access-result 3 (read-write-denied)`.
pub(super) fn access_text(result: DataAccessResult) -> String {
    format!("data-access-result {} ({})", result.0, result.name())
}

/// `action-result 1 (hardware-fault)`.
pub(super) fn action_text(result: ActionResult) -> String {
    format!("action-result {} ({})", result.0, result.name())
}

/// The reply to a command whose deadline passed before `step`, or `None` while there is time.
pub(super) fn late(command: &FieldCommand, step: &str) -> Option<FieldReply> {
    command
        .check_deadline(Instant::now(), &format!("not sent to the meter ({step})"))
        .err()
}

/// A success; the method is added by the caller.
pub(super) fn success() -> FieldReply {
    FieldReply {
        outcome: Outcome::Success,
        reason: None,
        method: None,
    }
}

/// A failed reply.
pub(super) fn failed(reason: impl Into<String>) -> FieldReply {
    FieldReply::not_done(Outcome::Failed, reason)
}

/// Whether the error is the transport's: no connection, no answer, the connection lost.
fn is_unreachable(error: &LinkError) -> bool {
    error.is_timeout()
        || matches!(
            error,
            LinkError::Io(_) | LinkError::Closed | LinkError::Hdlc(_)
        )
}

/// The reply when the association could not be opened: nothing of the command was sent.
fn open_failure(error: &LinkError) -> FieldReply {
    if is_unreachable(error) {
        FieldReply::not_done(
            Outcome::Timeout,
            format!("not sent: cannot reach the meter: {error}"),
        )
    } else {
        failed(format!("not sent: {error}"))
    }
}

/// The reply when the exchange failed with the association up; `sent` when the SET or ACTION
/// had gone out.
fn link_failure(error: &LinkError, sent: bool, kind: &str) -> FieldReply {
    let reason = if sent {
        format!("{error}; whether the meter carried out the {kind} is unknown")
    } else {
        format!("{error}; the {kind} was not sent")
    };
    let outcome = if is_unreachable(error) {
        Outcome::Timeout
    } else {
        Outcome::Failed
    };
    FieldReply::not_done(outcome, reason)
}

impl Poller {
    /// Runs `first` and the commands queued behind it in one short cycle, answering each
    /// exactly once. When the point stream closes meanwhile (the bridge stops), every command
    /// of the batch is answered at once ([`Batch::interrupt`]) and the connection is dropped.
    pub(super) async fn run_commands(&mut self, first: CommandRequest) -> Result<(), Stopped> {
        let mut batch = Batch::default();
        batch.waiting.push_back(first);
        let events = self.events.clone();
        let outcome = tokio::select! {
            biased;
            () = events.closed() => Err(Stopped),
            done = self.command_cycle(&mut batch) => done,
        };
        if outcome.is_err() {
            batch.interrupt();
        }
        outcome
    }

    /// The short cycle: each command in turn, the association opened for the first that needs
    /// it, then released and closed.
    async fn command_cycle(&mut self, batch: &mut Batch) -> Result<(), Stopped> {
        let bounds = Bounds::new(self.config.timeout, self.tuning.max_value_len);
        let mut open: Option<Open> = None;
        loop {
            if let Some(rx) = self.commands.as_mut() {
                while let Ok(request) = rx.try_recv() {
                    batch.waiting.push_back(request);
                }
            }
            let Some(request) = batch.waiting.pop_front() else {
                break;
            };
            let command = request.command.clone();
            batch.current = Some(request);
            batch.sent = false;
            let done = self.one_command(&command, &mut open, batch, bounds).await?;
            if let Some(request) = batch.current.take() {
                self.answer(request, done.reply);
            }
            if let Some(readback) = done.readback {
                self.publish_readback(readback).await?;
            }
        }
        if let Some(open) = open {
            self.finish(open, bounds).await;
        }
        Ok(())
    }

    /// One command: checked, the association opened when none is, then carried out.
    async fn one_command(
        &mut self,
        command: &FieldCommand,
        open: &mut Option<Open>,
        batch: &mut Batch,
        bounds: Bounds,
    ) -> Result<Done, Stopped> {
        let plan = match self.plan(command) {
            Ok(plan) => plan,
            Err(reason) => return Ok(Done::reply(FieldReply::not_done(Outcome::Refused, reason))),
        };
        let method = plan.method();
        let step = if open.is_some() {
            "waiting for the commands before it"
        } else {
            "waiting to connect"
        };
        if let Some(reply) = late(command, step) {
            return Ok(Done::reply(reply.with_method(method)));
        }
        if open.is_none() {
            if let Some(reply) = &batch.unreachable {
                return Ok(Done::reply(reply.clone().with_method(method)));
            }
            match self.open_for(command, bounds).await? {
                Ok(opened) => *open = Some(opened),
                Err((reply, unreachable)) => {
                    if unreachable {
                        batch.unreachable = Some(reply.clone());
                    }
                    return Ok(Done::reply(reply.with_method(method)));
                }
            }
        }
        let Some(association) = open.as_mut() else {
            return Ok(Done::reply(failed("not sent: no association")));
        };
        let (result, kind) = match plan {
            Plan::Set { index, point } => (
                self.run_set(command, index, &point, association, bounds, &mut batch.sent)
                    .await,
                "SET",
            ),
            Plan::Action {
                index,
                point,
                method: id,
                parameters,
            } => (
                self.run_action(
                    command,
                    index,
                    &point,
                    (id, parameters),
                    association,
                    bounds,
                    &mut batch.sent,
                )
                .await,
                "ACTION",
            ),
        };
        if let Some(association) = open.as_ref() {
            self.keep_invocation(&association.session);
        }
        if batch.sent {
            self.stats.bump(Counter::Writes);
        }
        match result {
            Ok(mut done) => {
                if batch.sent && done.reply.outcome != Outcome::Success {
                    self.stats.bump(Counter::WriteFailures);
                }
                if done.reply.method.is_none() {
                    done.reply = done.reply.with_method(method);
                }
                Ok(done)
            }
            Err(error) => {
                self.count_failure(&error);
                if batch.sent {
                    self.stats.bump(Counter::WriteFailures);
                }
                if let Some(broken) = open.take() {
                    broken
                        .link
                        .close(Instant::now() + self.config.timeout)
                        .await;
                }
                Ok(Done::reply(
                    link_failure(&error, batch.sent, kind).with_method(method),
                ))
            }
        }
    }

    /// Checks a command against its point, before anything is sent: the reason of a refusal.
    fn plan(&self, command: &FieldCommand) -> Result<Plan, String> {
        let Some(index) = self
            .points
            .iter()
            .position(|p| p.config.name == command.point)
        else {
            return Err(format!(
                "no point named \"{}\" in this source",
                command.point
            ));
        };
        let point = self.points[index].config.clone();
        match point.write {
            DlmsWrite::None => Err(format!(
                "point \"{}\" is not writable (writable = true in the configuration allows commands)",
                point.name
            )),
            DlmsWrite::Set => {
                set::check(&point, &command.value)?;
                Ok(Plan::Set { index, point })
            }
            DlmsWrite::Action(method) => {
                let parameters = action::parameters(point.class, method, &command.value)?;
                Ok(Plan::Action {
                    index,
                    point,
                    method,
                    parameters,
                })
            }
        }
    }

    /// Connects and associates for `command`: the association, or the reply that ends the
    /// command and whether it says the meter cannot be reached. A connection that fails in the transport is tried once more after the retry
    /// pause, as a poll's is, while the deadline allows; a meter that refuses the logical name
    /// context is tried once by short names.
    async fn open_for(
        &mut self,
        command: &FieldCommand,
        bounds: Bounds,
    ) -> Result<Result<Open, (FieldReply, bool)>, Stopped> {
        let mut tried = false;
        loop {
            match self.associate(command, bounds).await {
                Ok(open) => {
                    self.set_online().await?;
                    return Ok(Ok(open));
                }
                Err(Opening::Late(reply)) => return Ok(Err((reply, false))),
                Err(Opening::Failed(error)) => {
                    if !tried && self.try_short_names(&error) {
                        tried = true;
                        continue;
                    }
                    if !tried && error.is_transient() {
                        tried = true;
                        tracing::debug!(device = %self.device, error = %error, "dlms connection for a command failed; trying once more");
                        self.stats.bump(Counter::Reconnects);
                        tokio::time::sleep(self.tuning.retry_pause).await;
                        if let Some(reply) = late(command, "retrying the connection") {
                            return Ok(Err((reply, false)));
                        }
                        continue;
                    }
                    self.count_failure(&error);
                    return Ok(Err((open_failure(&error), is_unreachable(&error))));
                }
            }
        }
    }

    /// One connection and association, the deadline checked before each.
    async fn associate(&mut self, command: &FieldCommand, bounds: Bounds) -> Result<Open, Opening> {
        let mut session = self.new_session().map_err(Opening::Failed)?;
        let aarq = session
            .try_associate(std::time::Instant::now())
            .map_err(|e| Opening::Failed(LinkError::Session(e)))?;
        let mut link = self.connect_link().await.map_err(Opening::Failed)?;
        if let Some(reply) = late(command, "connected, before the association") {
            link.close(Instant::now() + self.config.timeout).await;
            return Err(Opening::Late(reply));
        }
        let associated = self
            .exchange_aarq(&mut link, &mut session, aarq, bounds)
            .await;
        match associated {
            Ok(()) => {
                tracing::debug!(device = %self.device, "dlms association open for commands");
                Ok(Open { link, session })
            }
            Err(error) => {
                link.close(Instant::now() + self.config.timeout).await;
                Err(Opening::Failed(error))
            }
        }
    }

    /// The connection of the source's transport (as a poll cycle opens it).
    async fn connect_link(&self) -> Result<Link, LinkError> {
        self.connect().await
    }

    /// RLRQ (a meter that does not confirm is logged, not failed: the commands are done), then
    /// the close.
    async fn finish(&mut self, open: Open, bounds: Bounds) {
        let Open {
            mut link,
            mut session,
        } = open;
        self.release(&mut link, &mut session, bounds).await;
        self.keep_invocation(&session);
        self.close(link).await;
    }

    /// Counts an exchange that failed.
    fn count_failure(&self, error: &LinkError) {
        if error.is_timeout() {
            self.stats.bump(Counter::Timeouts);
        }
        if error.is_bad_input() {
            self.stats.bump(Counter::DecodeErrors);
        }
    }

    /// Logs and sends a reply. The router may have stopped waiting: nothing to do then.
    fn answer(&self, request: CommandRequest, reply: FieldReply) {
        let command = &request.command;
        if reply.outcome == Outcome::Success {
            tracing::info!(device = %self.device, point = %command.point, id = %command.id, method = reply.method.as_deref(), outcome = reply.outcome.as_str(), "dlms command done");
        } else {
            tracing::warn!(device = %self.device, point = %command.point, id = %command.id, method = reply.method.as_deref(), outcome = reply.outcome.as_str(), reason = reply.reason.as_deref(), "dlms command not done");
        }
        let _ = request.reply.send(reply);
    }

    /// Publishes a point's value read back after its command, as a poll would.
    async fn publish_readback(&mut self, readback: Readback) -> Result<(), Stopped> {
        let Readback {
            index,
            data,
            scaler,
        } = readback;
        let Some(point) = self.points.get(index).map(|p| p.config.clone()) else {
            return Ok(());
        };
        if is_clock(&point) || point.is_profile() {
            return Ok(());
        }
        let Ok(converted) = convert::convert(&data, scaler, &self.config.device_time) else {
            return Ok(());
        };
        self.read_again(index);
        let unit = point
            .unit
            .clone()
            .or_else(|| scaler.and_then(ScalerUnit::unit_name));
        let reading = Reading {
            converted,
            ts: None,
            received: Timestamp::now(),
            unit,
        };
        self.publish(index, Series::Value, reading).await
    }
}

/// Why an association could not be opened for a command.
enum Opening {
    /// The deadline passed before the next step: the answer.
    Late(FieldReply),
    /// The connection or the association failed.
    Failed(LinkError),
}
