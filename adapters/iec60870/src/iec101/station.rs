//! What the source knows of one link address: its outstation's points, the station
//! interrogations of its common addresses, the system commands waiting for the link, and
//! whether it answers.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use fieldbridge_core::command::{FieldReply, Outcome};
use fieldbridge_core::config::{Iec101Source, IecMaster};
use fieldbridge_core::event::SourceEvent;
use fieldbridge_core::source::{Counter, Handoff, SourceStats};
use fieldbridge_iec60870::asdu::{
    Asdu, AsduConfig, CaLen, Cot, CotLen, Element, InformationObject, IoaLen, OwnedAsdu, TypeId,
};
use fieldbridge_iec60870::types::{Qcc, Qoi};
use fieldbridge_iec60870::Cp56Time2a;
use tokio::time::Instant;

use super::control::{answer_to, timers, Ready, Reply};
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
    /// System commands (ASDUs) waiting for room in the link's queue.
    pub pending: VecDeque<Vec<u8>>,
    /// The commands of the control direction in flight to this link address.
    commands: Commands<Reply>,
    /// Their ASDUs waiting for room in the link's queue, sent before [`Station::pending`].
    pub command_out: VecDeque<Vec<u8>>,
    /// The next periodic station interrogation and counter interrogation.
    next_gi: Option<Instant>,
    next_ci: Option<Instant>,
    /// Whether it was ever up (a later start is a reconnection).
    pub was_up: bool,
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
            command_out: VecDeque::new(),
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

    /// Starts a command of the control direction: its first ASDU waits for the link's queue,
    /// or it is answered at once (refused, past its deadline).
    pub fn start_command(&mut self, cx: &Context<'_>, ready: Ready) {
        match self
            .commands
            .start(ready.command, ready.reply, &ready.point, Now::current())
        {
            Ok(bytes) => {
                cx.stats.bump(Counter::Writes);
                tracing::debug!(device = %cx.device, link = self.address, ca = ready.point.common_address, ioa = ready.point.ioa, "command sent");
                self.command_out.push_back(bytes);
            }
            Err(((id, reply), answer)) => answer_to(cx.device, &id, reply, answer),
        }
    }

    /// Answers every command in flight: the link to it is lost (`why`).
    pub fn lose_commands(&mut self, cx: &Context<'_>, why: &str) {
        self.command_out.clear();
        for ((id, reply), answer) in self.commands.lost(why) {
            finished(cx, &id, reply, answer);
        }
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
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Runs the periodic interrogations and the retries of unfinished ones due at `now`;
    /// `paced` while the source holds the line for a full point stream (an ACTTERM may then
    /// take longer).
    pub fn on_tick(&mut self, cx: &Context<'_>, now: Instant, paced: bool) {
        let master = &cx.config.master;
        if self.commands.next_deadline().is_some_and(|at| at <= now) {
            for ((id, reply), answer) in self.commands.on_timeout(Now::current()) {
                finished(cx, &id, reply, answer);
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
        self.command_out.extend(out.send);
        for ((id, reply), answer) in out.replies {
            finished(cx, &id, reply, answer);
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
fn finished(
    cx: &Context<'_>,
    id: &str,
    reply: tokio::sync::oneshot::Sender<FieldReply>,
    answer: FieldReply,
) {
    if answer.outcome != Outcome::Success {
        cx.stats.bump(Counter::WriteFailures);
    }
    answer_to(cx.device, id, reply, answer);
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
