//! One TCP connection to an outstation as the controlling station (IEC 60870-5-104 clause 5):
//! STARTDT, the interrogations and clock synchronization after it, the received objects as
//! readings, and backpressure by pacing acknowledgements.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant as StdInstant};

use fieldbridge_core::config::Iec104Source;
use fieldbridge_core::event::{EventSender, SourceEvent};
use fieldbridge_core::source::{Counter, Handoff, SourceStats};
use fieldbridge_iec60870::asdu::{
    Asdu, AsduConfig, Cot, Element, InformationObject, OwnedAsdu, TypeId,
};
use fieldbridge_iec60870::link104::{
    AckMode, AckTimeout, CloseReason, Event, Link104, Params, Role, State,
};
use fieldbridge_iec60870::types::{Qcc, Qoi};
use fieldbridge_iec60870::Cp56Time2a;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{interval_at, Instant, Interval, MissedTickBehavior};

use super::control::Control;
use crate::interrogation::Interrogations;
use crate::points::Points;

/// Readings the handoff may hold before the link stops acknowledging altogether
/// ([`AckMode::Held`]): 4,096 per link, about a megabyte. Below it a stalled point stream only
/// paces the outstation ([`AckMode::Paced`], k I frames per t2); above it the outstation stops at
/// k unacknowledged frames and a strict one closes at t1, after which the source reconnects and
/// interrogates again. Everything acknowledged is in the handoff and delivered first, so nothing
/// acknowledged is lost.
pub const HOLD_AT: usize = 4096;

/// Why a connection ended.
#[derive(Debug)]
pub enum End {
    /// The link closed it: a timer ran out or the outstation broke the protocol.
    Link(CloseReason),
    /// The outstation closed the TCP connection.
    PeerClosed,
    /// Reading or writing the socket failed.
    Io(std::io::Error),
    /// The point stream is gone: the bridge stops.
    Stopped,
}

impl End {
    /// Whether the outstation broke the protocol (rather than a timer or the network).
    pub fn is_violation(&self) -> bool {
        matches!(
            self,
            End::Link(
                CloseReason::SequenceError { .. }
                    | CloseReason::BadAck { .. }
                    | CloseReason::UnexpectedFrame { .. }
                    | CloseReason::ReceiveOverflow
                    | CloseReason::Framing(_)
            )
        )
    }
}

impl fmt::Display for End {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            End::Link(CloseReason::AckTimeout { unacknowledged }) => write!(
                f,
                "t1 expired with {unacknowledged} I frames unacknowledged"
            ),
            End::Link(CloseReason::ConfirmTimeout(function)) => {
                write!(f, "t1 expired waiting for the con of {function:?}")
            }
            End::Link(reason) => write!(f, "protocol violation: {reason:?}"),
            End::PeerClosed => f.write_str("the outstation closed the connection"),
            End::Io(e) => write!(f, "connection error: {e}"),
            End::Stopped => f.write_str("the bridge stops"),
        }
    }
}

/// The link parameters of a source (IEC 60870-5-104 clause 9.6).
pub fn params(config: &Iec104Source) -> Params {
    let l = config.link;
    Params {
        k: l.k,
        w: l.w,
        t0: l.t0,
        t1: l.t1,
        t2: l.t2,
        t3: l.t3,
        on_ack_timeout: AckTimeout::Close,
    }
}

/// The stations behind the link: the default common address and every point's.
pub fn stations(config: &Iec104Source) -> Vec<u16> {
    let mut cas: Vec<u16> = std::iter::once(config.master.common_address)
        .chain(config.master.points.iter().map(|p| p.common_address))
        .collect();
    cas.sort_unstable();
    cas.dedup();
    cas
}

/// What a session shares with the source across connections.
pub struct Session<'a> {
    /// The source's configuration.
    pub config: &'a Iec104Source,
    /// The device name.
    pub device: &'a Arc<str>,
    /// The point stream.
    pub events: &'a EventSender,
    /// The counters.
    pub stats: &'a SourceStats,
    /// The point table.
    pub points: &'a mut Points,
    /// Readings and states waiting for room in the point stream.
    pub handoff: &'a mut Handoff<()>,
    /// How many readings may wait before the link holds its acknowledgements ([`HOLD_AT`]).
    pub hold_at: usize,
    /// The commands: waiting for the link, in flight on it.
    pub control: &'a mut Control,
}

/// The acknowledgement mode for a handoff holding `waiting` readings of at most `capacity`
/// (k) without waiting, given the current mode. Hysteresis: pacing starts once the handoff is
/// full and ends only once it is empty; holding starts at `hold_at` and ends below half of it.
pub fn ack_mode(current: AckMode, waiting: usize, capacity: usize, hold_at: usize) -> AckMode {
    if waiting >= hold_at {
        return AckMode::Held;
    }
    match current {
        AckMode::Held if waiting > hold_at / 2 => AckMode::Held,
        _ if waiting == 0 => AckMode::Prompt,
        AckMode::Prompt if waiting < capacity => AckMode::Prompt,
        _ => AckMode::Paced,
    }
}

/// Something to tell the source while the connection runs.
pub enum Progress {
    /// Data transfer started: the connection is usable.
    Started,
}

fn periodic(period: Option<Duration>) -> Option<Interval> {
    // A period too long for the clock (`Instant + p` overflows) is never due.
    let p = period.filter(|p| !p.is_zero())?;
    let mut i = interval_at(Instant::now().checked_add(p)?, p);
    i.set_missed_tick_behavior(MissedTickBehavior::Delay);
    Some(i)
}

async fn tick(interval: &mut Option<Interval>) {
    match interval {
        Some(i) => {
            i.tick().await;
        }
        None => std::future::pending().await,
    }
}

impl Session<'_> {
    /// The ASDU of a command of the system direction to station `ca` (clause 7.3.4), encoded.
    fn system_command(&self, type_id: TypeId, ca: u16, element: Element) -> Option<Vec<u8>> {
        let asdu = OwnedAsdu::new(AsduConfig::IEC104, type_id, Cot::ACTIVATION, ca)
            .originator(self.config.master.originator_address)
            .with(InformationObject::new(0, element));
        let mut bytes = Vec::with_capacity(asdu.encoded_len());
        match asdu.encode(&mut bytes) {
            Ok(()) => Some(bytes),
            Err(error) => {
                tracing::error!(device = %self.device, %error, "cannot encode a system command");
                None
            }
        }
    }

    fn interrogations(&self, stations: Vec<u16>, pending: &mut VecDeque<Vec<u8>>) {
        for ca in stations {
            tracing::debug!(device = %self.device, ca, "station interrogation");
            pending.extend(self.system_command(
                TypeId::C_IC_NA_1,
                ca,
                Element::Interrogation(Qoi::STATION),
            ));
        }
    }

    fn counter_interrogations(&self, pending: &mut VecDeque<Vec<u8>>) {
        for ca in stations(self.config) {
            // QCC: request 5 (general request counter), freeze 0 (read, no freeze or reset).
            pending.extend(self.system_command(
                TypeId::C_CI_NA_1,
                ca,
                Element::CounterInterrogation(Qcc::new(5, 0)),
            ));
        }
    }

    fn clock_syncs(&self, pending: &mut VecDeque<Vec<u8>>) {
        let Some(tag) = now_tag() else { return };
        for ca in stations(self.config) {
            pending.extend(self.system_command(TypeId::C_CS_NA_1, ca, Element::ClockSync(tag)));
        }
    }

    /// Takes one received ASDU: readings into the handoff, confirmations counted, those of an
    /// interrogation followed in `gi`. Returns whether it is an end of initialization
    /// (M_EI_NA_1), after which the outstation's data is interrogated again (IEC 60870-5-5
    /// clause 6.1.5). An ASDU with the T (test) bit set is not a live value: it is skipped.
    fn on_asdu(&mut self, bytes: &[u8], gi: &mut Interrogations) -> bool {
        self.stats.bump(Counter::Responses);
        let asdu = match Asdu::decode(bytes, &AsduConfig::IEC104) {
            Ok(asdu) => asdu,
            Err(error) => {
                self.stats.bump(Counter::DecodeErrors);
                tracing::warn!(device = %self.device, %error, asdu = %hex(bytes), "undecodable ASDU skipped");
                return false;
            }
        };
        let h = asdu.header;
        if h.test {
            tracing::debug!(device = %self.device, type_id = h.type_id.0, cot = h.cause.0, ca = h.common_address, "test ASDU skipped");
            return false;
        }
        self.control.on_asdu(&asdu);
        if h.type_id == TypeId::C_IC_NA_1 {
            gi.on_reply(h.common_address, h.cause.0, h.negative, Instant::now());
        }
        if h.type_id == TypeId::M_EI_NA_1 {
            tracing::info!(device = %self.device, ca = h.common_address, "end of initialization: interrogating again");
            return true;
        }
        if h.negative {
            self.stats.bump(Counter::Exceptions);
            tracing::warn!(device = %self.device, type_id = h.type_id.0, cot = h.cause.0, ca = h.common_address, "negative confirmation");
        } else if matches!(
            h.type_id,
            TypeId::C_IC_NA_1 | TypeId::C_CI_NA_1 | TypeId::C_CS_NA_1
        ) {
            tracing::debug!(device = %self.device, type_id = h.type_id.0, cot = h.cause.0, ca = h.common_address, "confirmation");
        }
        let handoff = &mut *self.handoff;
        self.points.readings(
            &asdu,
            &self.config.master.device_time,
            self.stats,
            |reading| handoff.push(SourceEvent::Reading(reading), None),
        );
        false
    }

    /// Runs the connection until it ends; `progress` is told when data transfer starts.
    pub async fn run(
        &mut self,
        stream: TcpStream,
        mut progress: impl FnMut(Progress, &mut Handoff<()>),
    ) -> End {
        let _ = stream.set_nodelay(true);
        let (mut rd, mut wr) = stream.into_split();
        let mut link = match Link104::new(Role::Controlling, params(self.config), StdInstant::now())
        {
            Ok(link) => link,
            Err(error) => return End::Io(std::io::Error::other(error.to_string())),
        };
        let master = &self.config.master;
        let mut gi = periodic(master.interrogation);
        let mut ci = periodic(master.counter_interrogation);
        let mut pending: VecDeque<Vec<u8>> = VecDeque::new();
        let mut gi_state = Interrogations::new(stations(self.config), self.config.link.t1);
        let capacity = usize::from(self.config.link.k);
        // Eight maximal APDUs (255 octets each) per read; a link of a thousand-link master
        // keeps this for its life, so not more.
        let mut buf = vec![0u8; 2048];
        let events = self.events;
        loop {
            // Acknowledge promptly while the point stream takes everything; pace the
            // outstation (k frames per t2) while readings wait for room; stop acknowledging
            // once too many wait.
            let mode = ack_mode(link.ack_mode(), self.handoff.len(), capacity, self.hold_at);
            if link.ack_mode() != mode {
                tracing::debug!(device = %self.device, waiting = self.handoff.len(), mode = ?mode, "acknowledgement mode");
                link.set_ack_mode(mode);
            }
            // Commands first: an operator waits for them, an interrogation can wait.
            while link.can_send() {
                let Some(asdu) = self.control.next_asdu().or_else(|| pending.pop_front()) else {
                    break;
                };
                if link.send_asdu(&asdu, StdInstant::now()).is_ok() {
                    self.stats.bump(Counter::Requests);
                }
            }
            while let Some(frame) = link.poll_transmit() {
                if let Err(e) = wr.write_all(frame.as_bytes()).await {
                    return End::Io(e);
                }
            }
            if link.state() == State::Closed {
                return End::Link(link.close_reason().cloned().unwrap_or(CloseReason::Local));
            }
            let timeout = link
                .poll_timeout()
                .map(Instant::from_std)
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
            let retry = gi_state.next_deadline();
            let commands = self.control.next_deadline();
            tokio::select! {
                request = self.control.recv() => self.control.queue(request),
                _ = tokio::time::sleep_until(commands.unwrap_or(timeout)), if commands.is_some() => {
                    self.control.on_timeout("data transfer not started yet, or the link's window stayed full,");
                }
                permit = events.reserve(), if !self.handoff.is_empty() => {
                    let Ok(permit) = permit else { return End::Stopped };
                    self.handoff.deliver(permit, events);
                }
                read = rd.read(&mut buf) => {
                    let n = match read {
                        Ok(0) => return End::PeerClosed,
                        Ok(n) => n,
                        Err(e) => return End::Io(e),
                    };
                    let mut started = false;
                    let mut closed = None;
                    let mut initialized = false;
                    // Each ASDU is decoded where the link hands it out: no copy.
                    link.on_bytes(buf.get(..n).unwrap_or_default(), StdInstant::now(), |event| match event {
                        Event::Received(asdu) => initialized |= self.on_asdu(asdu, &mut gi_state),
                        Event::Started => started = true,
                        Event::Closed(reason) => closed = Some(reason),
                        _ => {}
                    });
                    if started || initialized {
                        if started {
                            progress(Progress::Started, self.handoff);
                        }
                        let cas = gi_state.start(true, Instant::now());
                        self.interrogations(cas, &mut pending);
                        if master.clock_sync {
                            self.clock_syncs(&mut pending);
                        }
                    }
                    if started && master.counter_interrogation.is_some() {
                        self.counter_interrogations(&mut pending);
                    }
                    if let Some(reason) = closed {
                        let end = End::Link(reason);
                        if end.is_violation() {
                            // The read that carried the offending frame, for the post-mortem.
                            tracing::warn!(device = %self.device, reason = %end, bytes = %hex(buf.get(..n).unwrap_or_default()), "protocol violation");
                        }
                        // Flush what the link queued before it closed, then end.
                        while let Some(frame) = link.poll_transmit() {
                            let _ = wr.write_all(frame.as_bytes()).await;
                        }
                        return end;
                    }
                }
                _ = tokio::time::sleep_until(timeout) => {
                    if let Some(Event::Closed(reason)) = link.on_timeout(StdInstant::now()) {
                        return End::Link(reason);
                    }
                }
                _ = tick(&mut gi), if link.state() == State::Started => {
                    let cas = gi_state.start(false, Instant::now());
                    self.interrogations(cas, &mut pending);
                    // The outstation's clock drifts: it is set again with every periodic
                    // interrogation.
                    if master.clock_sync {
                        self.clock_syncs(&mut pending);
                    }
                }
                _ = tokio::time::sleep_until(retry.unwrap_or(timeout)), if retry.is_some() && link.state() == State::Started => {
                    let cas = gi_state.due(Instant::now(), link.ack_mode() != AckMode::Prompt);
                    if !cas.is_empty() {
                        tracing::warn!(device = %self.device, stations = ?cas, "station interrogation not completed: asking again");
                    }
                    self.interrogations(cas, &mut pending);
                }
                _ = tick(&mut ci), if link.state() == State::Started => self.counter_interrogations(&mut pending),
            }
        }
    }
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

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
