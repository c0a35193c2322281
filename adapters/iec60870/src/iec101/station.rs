//! What the source knows of one link address: its outstation's points, the station
//! interrogations of its common addresses, the system commands waiting for the link, the
//! commands in flight with the frame of their current step, and whether it answers.
//!
//! A command's frames never wait in the link layer: [`Station::offer`] hands one to it only
//! when the link layer can send it at once, after checking the command's deadline at that
//! moment; the frame's fate at the link (confirmed, refused, unanswered) is mapped back to the
//! command ([`Station::on_link_refusal`]).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use fieldbridge_core::command::{FieldCommand, FieldReply, Outcome};
use fieldbridge_core::config::{Iec101Source, IecMaster};
use fieldbridge_core::event::SourceEvent;
use fieldbridge_core::source::{Counter, Handoff, SourceStats};
use fieldbridge_iec60870::asdu::{
    Asdu, AsduConfig, CaLen, Cot, CotLen, Element, InformationObject, IoaLen, OwnedAsdu, TypeId,
};
use fieldbridge_iec60870::link101::{Refusal, SendError, SendId};
use fieldbridge_iec60870::types::{Qcc, Qoi};
use fieldbridge_iec60870::Cp56Time2a;
use tokio::time::Instant;

use super::control::{timers, Control, Reply};
use crate::command::{Commands, Now};
use crate::interrogation::Interrogations;
use crate::points::{Points, Profile};

/// The ASDU field sizes of a source (IEC 60870-5-101 clause 7.1).
pub fn asdu_config(config: &Iec101Source) -> AsduConfig {
    let s = config.sizes;
    AsduConfig::new(
        if s.cot == 2 { CotLen::Two } else { CotLen::One },
        if s.common_address == 2 {
            CaLen::Two
        } else {
            CaLen::One
        },
        match s.ioa {
            1 => IoaLen::One,
            2 => IoaLen::Two,
            _ => IoaLen::Three,
        },
    )
}

/// How long a station interrogation may wait for its ACTCON (the t1 of [`Interrogations`]): on
/// a polled line the confirmation comes with a class 1 poll, after the other stations' turns
/// and possibly repetitions, so generously: 15 s, or more on a slow line.
pub fn confirm_timeout(config: &Iec101Source) -> Duration {
    let stations = u32::try_from(config.link_addresses.len()).unwrap_or(u32::MAX);
    let round = (config.timeout * 4).saturating_add(config.poll);
    Duration::from_secs(15).max(round.saturating_mul(stations.saturating_add(1)))
}

/// One link address (one outstation) on the line.
#[derive(Debug)]
pub struct Station {
    /// Its link address.
    pub address: u16,
    /// Whether it answers: `None` until its first start resolves.
    pub answering: Option<bool>,
    /// Its points (those configured at this link address, and those met behind it).
    points: Points,
    /// The common addresses interrogated behind it.
    gi: Interrogations,
    /// System commands (ASDUs) waiting for the link layer to take them.
    pub pending: VecDeque<Vec<u8>>,
    /// The commands of the control direction in flight to this link address.
    commands: Commands<Reply>,
    /// The same commands, with the frame of their current step and where it is.
    flights: Vec<Flight>,
    /// The next periodic station interrogation and counter interrogation.
    next_gi: Option<Instant>,
    next_ci: Option<Instant>,
    /// Whether it was ever up (a later start is a reconnection).
    pub was_up: bool,
}

/// Where the frame of a command's current step is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum At {
    /// Not handed to the link layer yet (an execute after its select's confirmation).
    Waiting,
    /// Handed to the link layer (and so sent) with this number; its link answer pending.
    OnLink(SendId),
    /// Acknowledged by the outstation's link.
    Delivered,
}

/// A command in flight, as the line sees it.
#[derive(Debug)]
struct Flight {
    /// Its object: common address and IOA (one command per object is in flight).
    object: (u16, u32),
    /// The command, for its deadline.
    command: FieldCommand,
    /// The ASDU of its current step.
    frame: Vec<u8>,
    /// Whether that step is a select.
    select: bool,
    at: At,
}

impl Flight {
    fn step(&self) -> &'static str {
        if self.select {
            "select"
        } else {
            "execute"
        }
    }
}

/// What a station needs of the source on every call.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The source's configuration.
    pub config: &'a Iec101Source,
    /// Its ASDU sizes.
    pub asdu: &'a AsduConfig,
    /// The device name.
    pub device: &'a Arc<str>,
    /// Its counters.
    pub stats: &'a SourceStats,
}

fn later(now: Instant, by: Option<Duration>) -> Option<Instant> {
    now.checked_add(by.filter(|d| !d.is_zero())?)
}

impl Station {
    /// The station at link `address` of `config`, with the points configured there.
    pub fn new(device: Arc<str>, config: &Iec101Source, address: u16) -> Self {
        let master = IecMaster {
            points: config
                .master
                .points
                .iter()
                .enumerate()
                .filter(|(i, _)| config.link_of(*i) == address)
                .map(|(_, p)| p.clone())
                .collect(),
            ..config.master.clone()
        };
        Station {
            address,
            answering: None,
            points: Points::new(device, &master, Profile::Iec101),
            gi: Interrogations::new(config.stations_of(address), confirm_timeout(config)),
            pending: VecDeque::new(),
            commands: Commands::new(
                asdu_config(config),
                config.master.originator_address,
                timers(config),
            ),
            flights: Vec::new(),
            next_gi: None,
            next_ci: None,
            was_up: false,
        }
    }

    /// The ASDU of a command of the system direction to station `ca` (IEC 60870-5-101 clause
    /// 7.3.4), encoded.
    fn system_command(&mut self, cx: &Context<'_>, type_id: TypeId, ca: u16, element: Element) {
        let asdu = OwnedAsdu::new(*cx.asdu, type_id, Cot::ACTIVATION, ca)
            .originator(cx.config.master.originator_address)
            .with(InformationObject::new(0, element));
        let mut bytes = Vec::with_capacity(asdu.encoded_len());
        match asdu.encode(&mut bytes) {
            Ok(()) => self.pending.push_back(bytes),
            Err(error) => {
                tracing::error!(device = %cx.device, link = self.address, %error, "cannot encode a system command");
            }
        }
    }

    fn interrogate(&mut self, cx: &Context<'_>, cas: Vec<u16>) {
        for ca in cas {
            tracing::debug!(device = %cx.device, link = self.address, ca, "station interrogation");
            self.system_command(
                cx,
                TypeId::C_IC_NA_1,
                ca,
                Element::Interrogation(Qoi::STATION),
            );
        }
    }

    fn counter_interrogate(&mut self, cx: &Context<'_>) {
        for ca in cx.config.stations_of(self.address) {
            // QCC: request 5 (general request counter), freeze 0 (read, no freeze or reset).
            self.system_command(
                cx,
                TypeId::C_CI_NA_1,
                ca,
                Element::CounterInterrogation(Qcc::new(5, 0)),
            );
        }
    }

    fn clock_sync(&mut self, cx: &Context<'_>) {
        let Some(tag) = now_tag() else { return };
        for ca in cx.config.stations_of(self.address) {
            self.system_command(cx, TypeId::C_CS_NA_1, ca, Element::ClockSync(tag));
        }
    }

    /// The link came up: interrogate every station behind it, synchronise the clocks and
    /// interrogate the counters when configured, and start the periodic timers.
    pub fn on_up(&mut self, cx: &Context<'_>, now: Instant) {
        self.answering = Some(true);
        self.was_up = true;
        // Whatever waited was for the link before: the outstation reset its queues too.
        self.pending.clear();
        let cas = self.gi.start(true, now);
        self.interrogate(cx, cas);
        let master = &cx.config.master;
        if master.clock_sync {
            self.clock_sync(cx);
        }
        if master.counter_interrogation.is_some() {
            self.counter_interrogate(cx);
        }
        self.next_gi = later(now, master.interrogation);
        self.next_ci = later(now, master.counter_interrogation);
    }

    /// The link layer can send user data to this link address right now: hands it at most one
    /// ASDU with `send`. First the execute of a confirmed select, unless its command's deadline
    /// has passed (then answered `selected, not executed: deadline passed`, never sent); then
    /// the next command waiting in `control` for this link address, started now (its deadline
    /// checked now, its confirmation timed from now); then a system command.
    pub fn offer(
        &mut self,
        cx: &Context<'_>,
        control: &mut Control,
        send: &mut dyn FnMut(&[u8]) -> Result<SendId, SendError>,
    ) {
        while let Some(index) = self.flights.iter().position(|f| f.at == At::Waiting) {
            let Some(flight) = self.flights.get_mut(index) else {
                break;
            };
            if let Err(answer) = flight
                .command
                .check_deadline(Instant::now(), "selected, not executed")
            {
                self.cancel(cx, index, answer);
                continue;
            }
            // Timed and time-tagged from now: the select's ACTCON may be a poll cycle ago.
            let (ca, ioa) = flight.object;
            let frame = match self.commands.departing(ca, ioa, Now::current()) {
                Some(Ok(frame)) => frame,
                Some(Err((reply, answer))) => {
                    self.flights.remove(index);
                    finished(cx, reply, answer);
                    continue;
                }
                None => {
                    // Its command ended meanwhile (answered by its timer): nothing to send.
                    self.flights.remove(index);
                    continue;
                }
            };
            let Some(flight) = self.flights.get_mut(index) else {
                break;
            };
            flight.frame = frame;
            match send(&flight.frame) {
                Ok(id) => {
                    flight.at = At::OnLink(id);
                    tracing::debug!(device = %cx.device, link = self.address, command_id = %flight.command.id, "execute sent");
                    return;
                }
                Err(error) => {
                    let answer = FieldReply::not_done(
                        Outcome::Failed,
                        format!(
                            "selected, not executed: the link layer refused the execute ({error})"
                        ),
                    );
                    self.cancel(cx, index, answer);
                }
            }
        }
        while let Some(ready) = control.take(self.address) {
            let command = ready.command.clone();
            let object = ready.reply.object;
            let bytes =
                match self
                    .commands
                    .start(ready.command, ready.reply, &ready.point, Now::current())
                {
                    Ok(bytes) => bytes,
                    Err((reply, answer)) => {
                        reply.answer(cx.device, answer);
                        continue;
                    }
                };
            let select = self.commands.selecting(object.0, object.1);
            let sent = send(&bytes);
            self.flights.push(Flight {
                object,
                command,
                frame: bytes,
                select,
                at: At::Delivered,
            });
            let index = self.flights.len() - 1;
            match sent {
                Ok(id) => {
                    cx.stats.bump(Counter::Writes);
                    tracing::debug!(device = %cx.device, link = self.address, ca = object.0, ioa = object.1, select, "command sent");
                    if let Some(flight) = self.flights.get_mut(index) {
                        flight.at = At::OnLink(id);
                    }
                    return;
                }
                Err(error) => {
                    let answer = FieldReply::not_done(
                        Outcome::Failed,
                        format!("not sent: the link layer refused the frame ({error})"),
                    );
                    self.cancel(cx, index, answer);
                }
            }
        }
        if let Some(asdu) = self.pending.pop_front() {
            if let Err(error) = send(&asdu) {
                tracing::error!(device = %cx.device, link = self.address, %error, "system command refused by the link layer");
            }
        }
    }

    /// Ends the command of `self.flights[index]` at once with `answer` (its method added).
    fn cancel(&mut self, cx: &Context<'_>, index: usize, answer: FieldReply) {
        if index >= self.flights.len() {
            return;
        }
        let flight = self.flights.remove(index);
        let (ca, ioa) = flight.object;
        match self.commands.cancel(ca, ioa, answer) {
            Some((reply, answer)) => finished(cx, reply, answer),
            None => {
                // The exchange already answered it (its own timer): nothing more to say.
                tracing::debug!(device = %cx.device, link = self.address, command_id = %flight.command.id, "command already answered");
            }
        }
    }

    /// The outstation's link confirmed the frame `id` (ACK).
    pub fn on_link_confirmed(&mut self, id: SendId) {
        if let Some(flight) = self.flights.iter_mut().find(|f| f.at == At::OnLink(id)) {
            flight.at = At::Delivered;
        }
    }

    /// The frame `id` was not confirmed by the outstation's link: refused (NACK, FC 14, FC 15:
    /// the outstation's application never saw it) or unanswered after every repetition (the
    /// link layer sent the same frame with the same FCB each time, so the outstation took it
    /// at most once; whether it did is unknown). A command's frame ends its command at once;
    /// `retries` is the number of repetitions. Returns whether it was a command's.
    pub fn on_link_refusal(
        &mut self,
        cx: &Context<'_>,
        id: SendId,
        reason: Refusal,
        retries: u8,
    ) -> bool {
        let Some(index) = self.flights.iter().position(|f| f.at == At::OnLink(id)) else {
            return false;
        };
        let Some(flight) = self.flights.get(index) else {
            return false;
        };
        let step = flight.step();
        let refused = |what: &str| {
            FieldReply::not_done(
                Outcome::Failed,
                format!("the outstation's link refused the {step} ({what}): not executed"),
            )
        };
        let answer = match reason {
            Refusal::Busy => refused("NACK"),
            Refusal::NotFunctioning => refused("link service not functioning, FC 14"),
            Refusal::NotImplemented => refused("link service not implemented, FC 15"),
            _ => FieldReply::not_done(
                Outcome::Timeout,
                format!(
                    "no link answer to the {step} after {retries} repetitions: {}",
                    if flight.select {
                        "nothing executed"
                    } else {
                        "whether the outstation carried it out is unknown"
                    }
                ),
            ),
        };
        self.cancel(cx, index, answer);
        true
    }

    /// Answers a command the exchange ended; an execute that never left the bridge (the line
    /// could not take it) is said to be not executed, whatever the exchange assumed.
    fn settle(
        &mut self,
        cx: &Context<'_>,
        reply: Reply,
        answer: FieldReply,
        unsent: impl Fn() -> Option<String>,
    ) {
        let index = self.flights.iter().position(|f| f.object == reply.object);
        let flight = index.map(|i| self.flights.remove(i));
        let answer = match flight {
            Some(f) if f.at == At::Waiting && answer.outcome != Outcome::Success => {
                match unsent() {
                    Some(reason) => {
                        let mut replaced = FieldReply::not_done(Outcome::Timeout, reason);
                        replaced.method = answer.method;
                        replaced
                    }
                    None => answer,
                }
            }
            _ => answer,
        };
        finished(cx, reply, answer);
    }

    /// Answers every command in flight: the link to it is lost (`why`).
    pub fn lose_commands(&mut self, cx: &Context<'_>, why: &str) {
        for (reply, answer) in self.commands.lost(why) {
            self.settle(cx, reply, answer, || {
                Some(format!("connection lost ({why}) after the confirmation of the select, before its execute was sent: nothing executed"))
            });
        }
        self.flights.clear();
    }

    /// The link went down or never came up: nothing more is asked of it until it is up again.
    /// Then [`Station::lose`].
    pub fn on_down(&mut self) {
        self.answering = Some(false);
        self.pending.clear();
        self.next_gi = None;
        self.next_ci = None;
    }

    /// The last values of its points, once per outage, with `comm_failure`.
    pub fn lose(&mut self, handoff: &mut Handoff<()>) {
        self.points
            .lost(|reading| handoff.push(SourceEvent::Reading(reading), None));
    }

    /// The next instant [`Station::on_tick`] has something to do; `None` while its link is not
    /// up (nothing is asked of it then, and an interrogation left unfinished by the loss is
    /// started afresh with the link).
    pub fn next_deadline(&self) -> Option<Instant> {
        if self.answering != Some(true) {
            return None;
        }
        [
            self.next_gi,
            self.next_ci,
            self.gi.next_deadline(),
            self.commands.next_deadline(),
            self.waiting_deadline(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// The earliest deadline of an execute not sent yet, a moment after which it is answered.
    fn waiting_deadline(&self) -> Option<Instant> {
        self.flights
            .iter()
            .filter(|f| f.at == At::Waiting)
            .map(|f| f.command.deadline + Duration::from_millis(1))
            .min()
    }

    /// Runs the periodic interrogations and the retries of unfinished ones due at `now`;
    /// `paced` while the source holds the line for a full point stream (an ACTTERM may then
    /// take longer).
    pub fn on_tick(&mut self, cx: &Context<'_>, now: Instant, paced: bool) {
        let master = &cx.config.master;
        // An execute the line could not take before its command's deadline is never sent.
        while let Some(index) = self
            .flights
            .iter()
            .position(|f| f.at == At::Waiting && f.command.check_deadline(now, "").is_err())
        {
            let answer = self.flights.get(index).and_then(|f| {
                f.command
                    .check_deadline(now, "selected, not executed")
                    .err()
            });
            if let Some(answer) = answer {
                self.cancel(cx, index, answer);
            }
        }
        if self.commands.next_deadline().is_some_and(|at| at <= now) {
            let wait = timers(cx.config).confirmation;
            for (reply, answer) in self.commands.on_timeout(Now::current()) {
                self.settle(cx, reply, answer, || {
                    Some(format!("selected, not executed: the line could not take the execute within {wait:?} of the select's confirmation"))
                });
            }
        }
        if self.next_gi.is_some_and(|at| at <= now) {
            let cas = self.gi.start(false, now);
            self.interrogate(cx, cas);
            // The outstation's clock drifts: it is set again with every periodic interrogation.
            if master.clock_sync {
                self.clock_sync(cx);
            }
            self.next_gi = later(now, master.interrogation);
        }
        if self.next_ci.is_some_and(|at| at <= now) {
            self.counter_interrogate(cx);
            self.next_ci = later(now, master.counter_interrogation);
        }
        if self.gi.next_deadline().is_some_and(|at| at <= now) {
            let cas = self.gi.due(now, paced);
            if !cas.is_empty() {
                tracing::warn!(device = %cx.device, link = self.address, stations = ?cas, "station interrogation not completed: asking again");
            }
            self.interrogate(cx, cas);
        }
    }

    /// Takes one ASDU from this link address: readings into the handoff, confirmations
    /// followed. An end of initialization (M_EI_NA_1) is followed by a new station
    /// interrogation (IEC 60870-5-5 clause 6.1.5); an ASDU with the T (test) bit is skipped.
    pub fn on_asdu(&mut self, cx: &Context<'_>, bytes: &[u8], handoff: &mut Handoff<()>) {
        cx.stats.bump(Counter::Responses);
        let asdu = match Asdu::decode(bytes, cx.asdu) {
            Ok(asdu) => asdu,
            Err(error) => {
                cx.stats.bump(Counter::DecodeErrors);
                tracing::warn!(device = %cx.device, link = self.address, %error, asdu = %hex(bytes), "undecodable ASDU skipped");
                return;
            }
        };
        let h = asdu.header;
        if h.test {
            tracing::debug!(device = %cx.device, link = self.address, type_id = h.type_id.0, cot = h.cause.0, ca = h.common_address, "test ASDU skipped");
            return;
        }
        let now = Instant::now();
        let out = self.commands.on_asdu(&asdu, Now::current());
        for bytes in out.send {
            // The execute of a confirmed select: it waits for the link layer to take it.
            let object = asdu.objects().next().map(|o| (h.common_address, o.address));
            match self.flights.iter_mut().find(|f| Some(f.object) == object) {
                Some(flight) => {
                    flight.frame = bytes;
                    flight.select = false;
                    flight.at = At::Waiting;
                }
                None => {
                    tracing::error!(device = %cx.device, link = self.address, "an execute without its command, not sent");
                }
            }
        }
        for (reply, answer) in out.replies {
            // The outstation's own answer (a negative confirmation naming its cause) stands.
            self.settle(cx, reply, answer, || None);
        }
        if h.type_id == TypeId::C_IC_NA_1 {
            self.gi
                .on_reply(h.common_address, h.cause.0, h.negative, now);
        }
        if h.type_id == TypeId::M_EI_NA_1 {
            tracing::info!(device = %cx.device, link = self.address, ca = h.common_address, "end of initialization: interrogating again");
            let cas = self.gi.start(true, now);
            self.interrogate(cx, cas);
            if cx.config.master.clock_sync {
                self.clock_sync(cx);
            }
            return;
        }
        if h.negative {
            cx.stats.bump(Counter::Exceptions);
            tracing::warn!(device = %cx.device, link = self.address, type_id = h.type_id.0, cot = h.cause.0, ca = h.common_address, "negative confirmation");
        } else if matches!(
            h.type_id,
            TypeId::C_IC_NA_1 | TypeId::C_CI_NA_1 | TypeId::C_CS_NA_1
        ) {
            tracing::debug!(device = %cx.device, link = self.address, type_id = h.type_id.0, cot = h.cause.0, ca = h.common_address, "confirmation");
        }
        self.points
            .readings(&asdu, &cx.config.master.device_time, cx.stats, |reading| {
                handoff.push(SourceEvent::Reading(reading), None);
            });
    }
}

/// Answers a command that was sent to the field; one that did not succeed counts as a write
/// failure.
fn finished(cx: &Context<'_>, reply: Reply, answer: FieldReply) {
    if answer.outcome != Outcome::Success {
        cx.stats.bump(Counter::WriteFailures);
    }
    reply.answer(cx.device, answer);
}

/// The bridge's clock as a CP56Time2a in UTC, for C_CS_NA_1.
fn now_tag() -> Option<Cp56Time2a> {
    let now = fieldbridge_core::time::Timestamp::now().datetime();
    let ms = u32::from(now.second()) * 1000 + now.millisecond() as u32;
    Some(Cp56Time2a {
        millisecond: u16::try_from(ms).ok()?,
        minute: now.minute(),
        hour: now.hour(),
        day: now.day(),
        day_of_week: now.weekday().number_from_monday(),
        month: u8::from(now.month()),
        year: u8::try_from(now.year().rem_euclid(100)).ok()?,
        ..Cp56Time2a::default()
    })
}

/// Bytes as lower-case hex, for logs.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
