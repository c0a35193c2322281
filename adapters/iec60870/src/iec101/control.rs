//! The control direction of an IEC 101 source: commands from the router wait here (at most
//! [`WAITING`]) until the link layer of their point's link address can send them at once,
//! then go through that station's exchange ([`crate::command`], one per link address, so that
//! two outstations with the same common address and IOA are never confused) and are answered
//! exactly once. On an unbalanced line a command goes with SEND/CONFIRM (FC 3) to its link
//! address and its confirmations come back as class 1 data; on a balanced line both go with
//! FC 3.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use fieldbridge_core::command::{
    CommandReceiver, CommandRequest, FieldCommand, FieldReply, Outcome,
};
use fieldbridge_core::config::{Iec101Source, IecPoint};
use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::command::{answer_to, not_sent, too_many, Timers, MAX_WAITING};

/// What a command in flight answers through: its id, the object it writes (common address,
/// IOA) and the router's reply channel.
#[derive(Debug)]
pub struct Reply {
    /// The command's id.
    pub id: Arc<str>,
    /// Its object: common address and IOA.
    pub object: (u16, u32),
    /// The router's reply channel.
    pub tx: oneshot::Sender<FieldReply>,
}

impl Reply {
    /// Sends `answer`, logged.
    pub fn answer(self, device: &str, answer: FieldReply) {
        answer_to(device, &self.id, self.tx, answer);
    }
}

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
    /// Commands not sent yet, in arrival order: their link address is not up, or its link
    /// layer could not send them yet.
    waiting: VecDeque<CommandRequest>,
    /// The writable points by name, with their link address.
    points: HashMap<Arc<str>, (IecPoint, u16)>,
}

/// A command ready to go: its point, and what it answers through.
#[derive(Debug)]
pub struct Ready {
    /// The command.
    pub command: FieldCommand,
    /// Its reply.
    pub reply: Reply,
    /// The point it writes.
    pub point: IecPoint,
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

    /// Keeps `request` until its link address can take it; a command to a point that is not
    /// writable here is answered `refused`, and so is one beyond [`MAX_WAITING`].
    pub fn queue(&mut self, request: CommandRequest) {
        let CommandRequest { command, reply } = request;
        if !self.points.contains_key(&command.point) {
            let reason = format!(
                "point \"{}\" is not a writable point of this source",
                command.point
            );
            let answer = FieldReply::not_done(Outcome::Refused, reason);
            answer_to(&self.device, &command.id, reply, answer);
            return;
        }
        if self.waiting.len() >= MAX_WAITING {
            answer_to(&self.device, &command.id, reply, too_many());
            return;
        }
        tracing::debug!(device = %self.device, command_id = %command.id, point = %command.point, "command waiting for its link address");
        self.waiting.push_back(CommandRequest { command, reply });
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
            let answer = not_sent(&request.command, &why(link));
            answer_to(&self.device, &request.command.id, request.reply, answer);
        }
        self.waiting = kept;
    }

    /// Takes out the first waiting command for link address `link`.
    pub fn take(&mut self, link: u16) -> Option<Ready> {
        let points = &self.points;
        let at = self
            .waiting
            .iter()
            .position(|r| points.get(&r.command.point).is_some_and(|p| p.1 == link))?;
        let CommandRequest { command, reply } = self.waiting.remove(at)?;
        let (point, _) = self.points.get(&command.point)?.clone();
        let reply = Reply {
            id: command.id.clone(),
            object: (point.common_address, point.ioa),
            tx: reply,
        };
        Some(Ready {
            command,
            reply,
            point,
        })
    }
}
