//! The control direction of an IEC 104 source: commands from the router wait here for a started
//! link, go through the shared exchange ([`crate::command`]) and are answered exactly once,
//! across connections.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use fieldbridge_core::command::{CommandReceiver, CommandRequest, FieldReply, Outcome};
use fieldbridge_core::config::{Iec104Source, IecPoint};
use fieldbridge_iec60870::asdu::{Asdu, AsduConfig};
use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::command::{answer_to, not_sent, too_many, Commands, Now, Timers, MAX_WAITING};

/// What a command in flight answers through.
type Reply = (Arc<str>, oneshot::Sender<FieldReply>);

/// An information object: its common address and address.
type Object = (u16, u32);

/// The commands of one source: waiting for the link, in flight, and their answers.
#[derive(Debug)]
pub struct Control {
    device: Arc<str>,
    /// The router's queue; `None` once it closed (commands disabled, or the bridge stops).
    rx: Option<CommandReceiver>,
    /// Commands not sent yet: no started link, or its window full.
    waiting: VecDeque<CommandRequest>,
    /// The exchanges in flight on the current connection.
    commands: Commands<Reply>,
    /// ASDUs of commands in flight to send before anything else (the execute after a select),
    /// with the object they command.
    out: VecDeque<(Option<Object>, Vec<u8>)>,
    /// The writable points by name.
    points: HashMap<Arc<str>, IecPoint>,
}

impl Control {
    /// The control direction of `config`, fed by `rx`.
    pub fn new(device: Arc<str>, config: &Iec104Source, rx: CommandReceiver) -> Self {
        Control {
            device,
            rx: Some(rx),
            waiting: VecDeque::new(),
            commands: Commands::new(
                AsduConfig::IEC104,
                config.master.originator_address,
                Timers::iec104(config.link.t1),
            ),
            out: VecDeque::new(),
            points: config
                .master
                .points
                .iter()
                .filter(|p| p.writable)
                .map(|p| (p.name.clone(), p.clone()))
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

    /// Keeps `request` until the link can send it; refuses it when [`MAX_WAITING`] already
    /// wait (an unreachable outstation must not collect commands without bound).
    pub fn queue(&mut self, request: CommandRequest) {
        if self.waiting.len() >= MAX_WAITING {
            let CommandRequest { command, reply } = request;
            answer_to(&self.device, &command.id, reply, too_many());
            return;
        }
        tracing::debug!(device = %self.device, command_id = %request.command.id, point = %request.command.point, "command waiting for the link");
        self.waiting.push_back(request);
    }

    /// When [`Control::on_timeout`] has something to do: a waiting command's deadline or an
    /// exchange's timer.
    pub fn next_deadline(&self) -> Option<Instant> {
        let waiting = self.waiting.iter().map(|r| r.command.deadline).min();
        match (waiting, self.commands.next_deadline()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Answers the waiting commands past their deadline (`why` they were not sent) and the
    /// exchanges whose timer ran out.
    pub fn on_timeout(&mut self, why: &str) {
        let now = Now::current();
        let mut kept = VecDeque::with_capacity(self.waiting.len());
        for request in self.waiting.drain(..) {
            if now.instant >= request.command.deadline {
                let answer = not_sent(&request.command, why);
                answer_to(&self.device, &request.command.id, request.reply, answer);
            } else {
                kept.push_back(request);
            }
        }
        self.waiting = kept;
        for ((id, reply), answer) in self.commands.on_timeout(now) {
            answer_to(&self.device, &id, reply, answer);
        }
    }

    /// The next ASDU to send on a started link: an exchange's next step first, then the first
    /// step of a waiting command (started now, so its timers count from here). `None` when
    /// nothing waits.
    pub fn next_asdu(&mut self) -> Option<Vec<u8>> {
        while let Some((object, bytes)) = self.out.pop_front() {
            let Some((ca, ioa)) = object else {
                return Some(bytes);
            };
            // Timed and time-tagged from now, not from the select's confirmation; an execute
            // whose command ended meanwhile is not sent.
            match self.commands.departing(ca, ioa, Now::current()) {
                Some(Ok(bytes)) => return Some(bytes),
                Some(Err(((id, reply), answer))) => answer_to(&self.device, &id, reply, answer),
                None => {
                    tracing::debug!(device = %self.device, ca, ioa, "execute of an ended command not sent");
                }
            }
        }
        while let Some(request) = self.waiting.pop_front() {
            let CommandRequest { command, reply } = request;
            let id = command.id.clone();
            let Some(point) = self.points.get(&command.point) else {
                let reason = format!(
                    "point \"{}\" is not a writable point of this source",
                    command.point
                );
                answer_to(
                    &self.device,
                    &id,
                    reply,
                    FieldReply::not_done(Outcome::Refused, reason),
                );
                continue;
            };
            match self
                .commands
                .start(command, (id.clone(), reply), point, Now::current())
            {
                Ok(bytes) => {
                    tracing::debug!(device = %self.device, command_id = %id, ca = point.common_address, ioa = point.ioa, "command sent");
                    return Some(bytes);
                }
                Err(((id, reply), answer)) => answer_to(&self.device, &id, reply, answer),
            }
        }
        None
    }

    /// Takes a received ASDU: confirmations and terminations of commands in flight.
    pub fn on_asdu(&mut self, asdu: &Asdu<'_>) {
        let out = self.commands.on_asdu(asdu, Now::current());
        let object = asdu
            .objects()
            .next()
            .map(|o| (asdu.header.common_address, o.address));
        self.out
            .extend(out.send.into_iter().map(|bytes| (object, bytes)));
        for ((id, reply), answer) in out.replies {
            answer_to(&self.device, &id, reply, answer);
        }
    }

    /// The connection is lost (`why`): every command in flight is answered (waiting ones wait
    /// on for the next connection, up to their deadline).
    pub fn lost(&mut self, why: &str) {
        self.out.clear();
        for ((id, reply), answer) in self.commands.lost(why) {
            answer_to(&self.device, &id, reply, answer);
        }
    }
}
