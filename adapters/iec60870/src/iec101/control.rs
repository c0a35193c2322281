//! The control direction of an IEC 101 source: commands from the router wait here until the
//! link address of their point is up, then go through that station's exchange
//! ([`crate::command`], one per link address, so that two outstations with the same common
//! address and IOA are never confused) and are answered exactly once. On an unbalanced line a
//! command goes with SEND/CONFIRM (FC 3) to its link address and its confirmations come back as
//! class 1 data; on a balanced line both go with FC 3.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use fieldbridge_core::command::{
    CommandReceiver, CommandRequest, FieldCommand, FieldReply, Outcome,
};
use fieldbridge_core::config::{Iec101Source, IecPoint};
use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::command::Timers;

/// What a command in flight answers through: its id and the router's reply channel.
pub type Reply = (Arc<str>, oneshot::Sender<FieldReply>);

/// The timers of a command exchange on a serial line: the confirmation and the termination as
/// long as a station interrogation's confirmation ([`super::station::confirm_timeout`]), 1 s
/// for the ASDU naming the cause of a negative confirmation.
pub fn timers(config: &Iec101Source) -> Timers {
    let wait = super::station::confirm_timeout(config);
    Timers {
        confirmation: wait,
        termination: wait,
        cause: Duration::from_secs(1),
    }
}

/// The commands of one source not sent yet, and where they go.
#[derive(Debug)]
pub struct Control {
    device: Arc<str>,
    /// The router's queue; `None` once it closed (commands disabled, or the bridge stops).
    rx: Option<CommandReceiver>,
    /// Commands whose link address is not up yet.
    waiting: VecDeque<CommandRequest>,
    /// The writable points by name, with their link address.
    points: HashMap<Arc<str>, (IecPoint, u16)>,
}

/// A command ready to go: its point, link address, and what it answers through.
#[derive(Debug)]
pub struct Ready {
    /// The command.
    pub command: FieldCommand,
    /// Its reply.
    pub reply: Reply,
    /// The point it writes.
    pub point: IecPoint,
    /// The point's link address.
    pub link: u16,
}

impl Control {
    /// The control direction of `config`, fed by `rx`.
    pub fn new(device: Arc<str>, config: &Iec101Source, rx: CommandReceiver) -> Self {
        Control {
            device,
            rx: Some(rx),
            waiting: VecDeque::new(),
            points: config
                .master
                .points
                .iter()
                .enumerate()
                .filter(|(_, p)| p.writable)
                .map(|(i, p)| (p.name.clone(), (p.clone(), config.link_of(i))))
                .collect(),
        }
    }

    /// The next command from the router; never resolves once its queue is closed.
    /// Cancel-safe.
    pub async fn recv(&mut self) -> CommandRequest {
        let got = match self.rx.as_mut() {
            Some(rx) => rx.recv().await,
            None => None,
        };
        match got {
            Some(request) => request,
            None => {
                self.rx = None;
                std::future::pending().await
            }
        }
    }

    /// Keeps `request` until its link address is up.
    pub fn queue(&mut self, request: CommandRequest) {
        tracing::debug!(device = %self.device, command_id = %request.command.id, point = %request.command.point, "command waiting for its link address");
        self.waiting.push_back(request);
    }

    /// The earliest deadline of a waiting command.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.waiting.iter().map(|r| r.command.deadline).min()
    }

    /// Answers the waiting commands past their deadline; `why` says why their link address
    /// could not take them.
    pub fn on_timeout(&mut self, why: impl Fn(u16) -> String) {
        let now = Instant::now();
        let mut kept = VecDeque::with_capacity(self.waiting.len());
        for request in self.waiting.drain(..) {
            if now < request.command.deadline {
                kept.push_back(request);
                continue;
            }
            let link = self.points.get(&request.command.point).map_or(0, |p| p.1);
            let outcome = if request.command.deadline_is_expiry {
                Outcome::Expired
            } else {
                Outcome::Timeout
            };
            let answer = FieldReply::not_done(
                outcome,
                format!("not sent to the field: {} before the deadline", why(link)),
            );
            answer_to(&self.device, &request.command.id, request.reply, answer);
        }
        self.waiting = kept;
    }

    /// Takes out the waiting commands whose link address `is_up` says is up (in order);
    /// commands to a point that is not writable here are answered `refused`.
    pub fn ready(&mut self, is_up: impl Fn(u16) -> bool) -> Vec<Ready> {
        let mut out = Vec::new();
        let mut kept = VecDeque::with_capacity(self.waiting.len());
        for request in self.waiting.drain(..) {
            let CommandRequest { command, reply } = request;
            let Some((point, link)) = self.points.get(&command.point) else {
                let reason = format!(
                    "point \"{}\" is not a writable point of this source",
                    command.point
                );
                answer_to(
                    &self.device,
                    &command.id,
                    reply,
                    FieldReply::not_done(Outcome::Refused, reason),
                );
                continue;
            };
            if is_up(*link) {
                let id = command.id.clone();
                out.push(Ready {
                    point: point.clone(),
                    link: *link,
                    command,
                    reply: (id, reply),
                });
            } else {
                kept.push_back(CommandRequest { command, reply });
            }
        }
        self.waiting = kept;
        out
    }
}

/// Sends `answer` to the router, logged.
pub fn answer_to(device: &str, id: &str, reply: oneshot::Sender<FieldReply>, answer: FieldReply) {
    tracing::debug!(
        device,
        command_id = id,
        outcome = answer.outcome.as_str(),
        reason = answer.reason.as_deref().unwrap_or_default(),
        method = answer.method.as_deref().unwrap_or_default(),
        "command answered"
    );
    // The router may have stopped waiting (the bridge stops): nothing to do then.
    let _ = reply.send(answer);
}
