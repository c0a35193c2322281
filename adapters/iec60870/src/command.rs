//! Commands of the control direction (IEC 60870-5-101 clause 7.3.2, IEC 60870-5-104 clause 8,
//! IEC 60870-5-5 clause 6.8), shared by the IEC 104 and IEC 101 sources: a sans-IO exchange that
//! turns a [`FieldCommand`] into the ASDUs of its procedure, follows their confirmations and
//! gives exactly one [`FieldReply`] per command. It never reads a clock and does no I/O: the
//! source hands it the time ([`Now`]) and every received ASDU, sends what it returns, and wakes
//! it at [`Commands::next_deadline`].
//!
//! # Use
//! ```text
//! let mut commands = Commands::new(AsduConfig::IEC104, originator, Timers::iec104(t1));
//! // a command arrives, the link can send:
//! match commands.start(command, reply, &point, Now::current()) {
//!     Ok(asdu) => send(asdu),                 // the select, or the direct execute
//!     Err((reply, answer)) => reply.send(answer),   // refused, expired, timeout: nothing sent
//! }
//! // every received ASDU (decoded with the same AsduConfig):
//! let out = commands.on_asdu(&asdu, Now::current());
//! out.send.into_iter().for_each(send);         // an execute after a confirmed select
//! out.replies ...                              // finished commands
//! // at commands.next_deadline():  commands.on_timeout(Now::current())
//! // when the link is lost:        commands.lost("why")
//! ```
//! The reply handle `R` is anything the source answers through (a `oneshot::Sender`, or a test's
//! tag); the exchange only carries it back.
//!
//! # The procedure
//! - **Direct execute**: the command with S/E = 0 and COT 6 (activation); the outstation answers
//!   COT 7 (ACTCON), positive or negative (P/N = 1), then COT 10 (ACTTERM) once it has carried it
//!   out.
//! - **Select before operate** (S/E = 1 first): the select, its ACTCON, then the execute as above.
//!   The command's [`FieldCommand::deadline`] is checked again before the execute: a select
//!   confirmed after it is never followed by its execute (the outstation's own select timeout
//!   releases the selection) and is answered `timeout` (or `expired`) with the reason
//!   `selected, not executed: deadline passed`. A bitstring command (C_BO) has no S/E bit and so
//!   no select.
//! - Confirmations are matched by type identification, common address and information object
//!   address, and by the element they mirror (IEC 60870-5-101 clause 7.2.3: a confirmation is the
//!   activation ASDU mirrored): the state or value, the qualifier and the S/E bit of the step
//!   (so a late confirmation of the select is not taken for the execute's, nor a late one of an
//!   earlier command to the object that timed out for a new command's with another value), and
//!   for the time-tagged types (58 to 64) the CP56Time2a sent, which makes every step's
//!   confirmation unique. An ACTTERM is matched on the element's state or value alone: lib60870
//!   builds it from the ASDU it kept at the select, with the select's S/E bit and time tag. The test bit (T = 1) marks an ASDU not to be acted upon: ignored.
//! - At most **one command per information object** is in flight (CA, IOA): a second one for the
//!   same object is `refused` with the first one's id named; commands to different objects
//!   overlap freely. Both sources answer a command before taking the next for the same object
//!   only this way, so a sender never has two procedures mixed on one object.
//! - A step already sent is never sent again.
//!
//! # Outcomes
//! - `success`: the execute's positive ACTCON, **and its ACTTERM when the outstation terminates
//!   commands of that kind**. The termination (COT 10, IEC 60870-5-5 clause 6.8) says the
//!   command was carried out, but outstations send it or not: lib60870 (c104) terminates select
//!   before operate and never a direct execute. So the exchange learns it per link, for each
//!   type identification and procedure (direct, select+execute): until the outstation has sent
//!   an ACTTERM for that kind, the positive ACTCON is the success (an ACTTERM following within
//!   [`Timers::termination`] is noted); from then on the success waits for the ACTTERM, up to
//!   [`Timers::termination`] after the ACTCON. A [`Commands`] keeps what it learnt for its
//!   life, across reconnections. An ACTTERM before the ACTCON is ignored (both travel in order).
//! - `failed`: a negative ACTCON (`negative confirmation (P/N = 1) of the select`); an ASDU
//!   mirrored with a cause 44 to 47 names it (`negative confirmation of the execute, cause 47
//!   (unknown information object address)`), and since some outstations (lib60870) send the
//!   negative ACTCON first and that ASDU right after, a negative ACTCON waits up to
//!   [`Timers::cause`] for it; a negative ACTTERM; an outstation known to terminate that kind
//!   sending no ACTTERM within [`Timers::termination`] of the positive ACTCON of the execute
//!   (`no termination (ACTTERM) within 15s ...`: the outstation accepted the command, whether it
//!   completed is unknown), or losing the link meanwhile.
//! - `timeout`: no ACTCON within [`Timers::confirmation`] of a step; the link lost before the
//!   ACTCON of a step (after a select: nothing was executed; after an execute: unknown).
//! - `refused`: the value or a param does not suit the command type (`value 1.5 does not fit a
//!   normalized value ...`), the point's min/max, another command in flight on the object.
//! - `expired` / `timeout` by the deadline: before the first step (nothing sent) and before the
//!   execute (as above).
//!
//! Every reply carries the `method`: the type's mnemonic and the procedure, `C_DC_NA_1
//! select+execute` or `C_SE_NC_1 direct`.
//!
//! # Values and params ([`FieldCommand::value`], [`FieldCommand::params`])
//! - single: `true`/`false`, `"on"`/`"off"`, `1`/`0`; double: `true`/`false`, `"on"`/`"off"` (a
//!   number is refused: DCS 1 is off, 2 is on, and a sender meaning 1 = on would switch off);
//!   step: `"lower"`/`"higher"`.
//! - set-point normalized: -1 to 1 − 2⁻¹⁵, rounded to the nearest step of 2⁻¹⁵; scaled: an
//!   integer that fits i16; float: a finite number that fits f32. The point's `min`/`max` apply
//!   to the value as sent.
//! - bitstring: a number 0 to 2³² − 1, or `"0x"` and 1 to 8 hex digits.
//! - `qualifier`: single, double, step: a pulse qualifier name (`none`, `short-pulse`,
//!   `long-pulse`, `persistent`) or QU as a number 0 to 31; set-points: QL as a number 0 to 127
//!   (else 0); bitstring: none. It overrides the point's configured qualifier.
//! - `select`: `true` or `false`, overriding the point's `select_before_operate`.
//! - A time-tagged type (58 to 64) carries the bridge's clock as a CP56Time2a in UTC, read when
//!   each step is sent.

mod order;
#[cfg(test)]
mod tests;
mod waiting;

pub use waiting::{answer_to, not_sent, too_many, MAX_WAITING};

use std::time::Duration;

use fieldbridge_core::command::{FieldCommand, FieldReply, Outcome};
use fieldbridge_core::config::IecPoint;
use fieldbridge_core::time::Timestamp;
use fieldbridge_iec60870::asdu::{
    Asdu, AsduConfig, Cot, InformationObject, OwnedAsdu, TimeTag, TypeId,
};
use fieldbridge_iec60870::types::{CivilDateTime, Cp56Time2a};
use tokio::time::Instant;

use order::Order;

/// How long each step of a command is waited for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timers {
    /// The ACTCON of a select or an execute, from when it was handed out.
    pub confirmation: Duration,
    /// The ACTTERM, from the positive ACTCON of the execute (of a kind the outstation is known
    /// to terminate; else how long an ACTTERM is watched for, to learn that it does).
    pub termination: Duration,
    /// After a negative ACTCON: the ASDU naming its cause (COT 44 to 47), which lib60870 sends
    /// right after it.
    pub cause: Duration,
}

impl Timers {
    /// The timers of an IEC 104 link: t1 for the confirmation and for the termination, 1 s (or
    /// t1 when shorter) for the cause.
    pub fn iec104(t1: Duration) -> Self {
        Timers {
            confirmation: t1,
            termination: t1,
            cause: t1.min(Duration::from_secs(1)),
        }
    }
}

/// The time of an event: monotonic for deadlines and timers, UTC for time tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    /// The monotonic clock.
    pub instant: Instant,
    /// The wall clock, milliseconds since 1970 in UTC.
    pub utc_ms: i64,
}

impl Now {
    /// The clocks now.
    pub fn current() -> Self {
        Now {
            instant: Instant::now(),
            utc_ms: Timestamp::now().unix_millis(),
        }
    }
}

/// What the exchange gives back for one received ASDU.
#[derive(Debug)]
pub struct Output<R> {
    /// Encoded ASDUs to send, in order (the execute of a confirmed select).
    pub send: Vec<Vec<u8>>,
    /// Commands finished, each with its one reply.
    pub replies: Vec<(R, FieldReply)>,
}

impl<R> Default for Output<R> {
    fn default() -> Self {
        Output {
            send: Vec::new(),
            replies: Vec::new(),
        }
    }
}

/// The two steps of select before operate; a direct command has the execute only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Select,
    Execute,
}

impl Step {
    fn word(self) -> &'static str {
        match self {
            Step::Select => "select",
            Step::Execute => "execute",
        }
    }
}

/// What a command in flight waits for, and until when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// The ACTCON of a step.
    Confirm(Step),
    /// After a negative ACTCON of a step, the ASDU naming its cause.
    Cause(Step),
    /// The ACTTERM after the positive ACTCON of the execute.
    Terminate,
}

#[derive(Debug)]
struct Exchange<R> {
    reply: R,
    command: FieldCommand,
    order: Order,
    ca: u16,
    ioa: u32,
    phase: Phase,
    until: Instant,
    /// The time tag of the last step sent (time-tagged types only): its confirmation mirrors it.
    tag: Option<Cp56Time2a>,
}

/// The commands in flight on one link.
#[derive(Debug)]
pub struct Commands<R> {
    asdu: AsduConfig,
    originator: u8,
    timers: Timers,
    exchanges: Vec<Exchange<R>>,
    /// The (type, select before operate) the outstation has been seen to terminate (ACTTERM)
    /// on this link: their success waits for the termination.
    terminating: Vec<(TypeId, bool)>,
    /// Commands that succeeded at their confirmation, watched for a termination until `until`.
    recent: Vec<Recent>,
}

/// A command that succeeded at its positive ACTCON, not known to terminate.
#[derive(Debug, Clone, Copy)]
struct Recent {
    kind: (TypeId, bool),
    ca: u16,
    ioa: u32,
    until: Instant,
}

/// The standard's name of a negative cause of transmission (IEC 60870-5-101 clause 7.2.3).
fn negative_cause(cot: u8) -> Option<&'static str> {
    Some(match cot {
        44 => "unknown type identification",
        45 => "unknown cause of transmission",
        46 => "unknown common address of ASDU",
        47 => "unknown information object address",
        _ => return None,
    })
}

/// The CP56Time2a of `utc_ms`, or why there is none (a clock outside 2000 to 2099).
fn time_tag(utc_ms: i64) -> Result<Cp56Time2a, String> {
    CivilDateTime::from_unix_millis(utc_ms)
        .and_then(|civil| Cp56Time2a::from_civil(&civil).ok())
        .ok_or_else(|| {
            let at = Timestamp::from_unix_millis(utc_ms)
                .map(|t| t.to_rfc3339_millis())
                .unwrap_or_else(|| format!("{utc_ms} ms"));
            format!(
                "the bridge's clock ({at}) cannot be sent as a CP56Time2a time tag (2000 to 2099)"
            )
        })
}

impl<R> Commands<R> {
    /// No command yet, on a link with `asdu`'s field sizes (IEC 104: [`AsduConfig::IEC104`];
    /// IEC 101: the link's own) sending `originator` in two-octet causes of transmission.
    pub fn new(asdu: AsduConfig, originator: u8, timers: Timers) -> Self {
        Commands {
            asdu,
            originator,
            timers,
            exchanges: Vec::new(),
            terminating: Vec::new(),
            recent: Vec::new(),
        }
    }

    /// How many commands are in flight.
    pub fn len(&self) -> usize {
        self.exchanges.len()
    }

    /// Whether no command is in flight.
    pub fn is_empty(&self) -> bool {
        self.exchanges.is_empty()
    }

    /// Whether the outstation has been seen to terminate (ACTTERM) commands of `type_id` sent
    /// with select before operate (`select`) or directly: their success waits for it.
    pub fn terminates(&self, type_id: TypeId, select: bool) -> bool {
        self.terminating.contains(&(type_id, select))
    }

    /// Whether the command in flight on object (`ca`, `ioa`) is at its select: sent or to be
    /// sent with S/E = 1, its confirmation not yet taken. `false` for a direct command, after the
    /// select's ACTCON, or without a command there.
    pub fn selecting(&self, ca: u16, ioa: u32) -> bool {
        self.exchanges.iter().any(|e| {
            (e.ca, e.ioa) == (ca, ioa)
                && matches!(
                    e.phase,
                    Phase::Confirm(Step::Select) | Phase::Cause(Step::Select)
                )
        })
    }

    /// Starts `command` on `point` (its configured command type, CA and IOA): the encoded ASDU
    /// of its first step (the select, or the direct execute), which the caller sends at once;
    /// or, when nothing may be sent, `reply` back with the answer (`refused`, or `expired` /
    /// `timeout` past the deadline).
    pub fn start(
        &mut self,
        command: FieldCommand,
        reply: R,
        point: &IecPoint,
        now: Now,
    ) -> Result<Vec<u8>, (R, FieldReply)> {
        if let Err(answer) = command.check_deadline(now.instant, "not sent to the field") {
            return Err((reply, answer));
        }
        let order = match Order::parse(&command, point) {
            Ok(order) => order,
            Err(reason) => return Err((reply, FieldReply::not_done(Outcome::Refused, reason))),
        };
        let (ca, ioa) = (point.common_address, point.ioa);
        if let Some(busy) = self.exchanges.iter().find(|e| e.ca == ca && e.ioa == ioa) {
            let reason = format!(
                "not sent: command \"{}\" to this object (CA {ca}, IOA {ioa}) is still in progress",
                busy.command.id
            );
            return Err((
                reply,
                FieldReply::not_done(Outcome::Refused, reason).with_method(order.method()),
            ));
        }
        // A termination still owed to an earlier command on this object would be taken for
        // this one's: stop watching for it.
        self.recent.retain(|r| (r.ca, r.ioa) != (ca, ioa));
        let step = if order.select {
            Step::Select
        } else {
            Step::Execute
        };
        let (bytes, tag) = match self.encode(&order, ca, ioa, step, now.utc_ms) {
            Ok(sent) => sent,
            Err(reason) => {
                return Err((
                    reply,
                    FieldReply::not_done(Outcome::Refused, reason).with_method(order.method()),
                ))
            }
        };
        self.exchanges.push(Exchange {
            reply,
            command,
            order,
            ca,
            ioa,
            phase: Phase::Confirm(step),
            until: now.instant + self.timers.confirmation,
            tag,
        });
        Ok(bytes)
    }

    /// The encoded ASDU of `step`, and the time tag it carries (time-tagged types).
    fn encode(
        &self,
        order: &Order,
        ca: u16,
        ioa: u32,
        step: Step,
        utc_ms: i64,
    ) -> Result<(Vec<u8>, Option<Cp56Time2a>), String> {
        let element = order.element(step == Step::Select);
        let tag = if order.time_tag {
            Some(time_tag(utc_ms)?)
        } else {
            None
        };
        let object = match tag {
            Some(tag) => InformationObject::with_time(ioa, element, TimeTag::Cp56(tag)),
            None => InformationObject::new(ioa, element),
        };
        let asdu = OwnedAsdu::new(self.asdu, order.type_id(), Cot::ACTIVATION, ca)
            .originator(self.originator)
            .with(object);
        let mut bytes = Vec::with_capacity(asdu.encoded_len());
        asdu.encode(&mut bytes)
            .map_err(|error| format!("cannot encode {}: {error}", order.type_name()))?;
        Ok((bytes, tag))
    }

    /// Takes one received ASDU (decoded with this link's [`AsduConfig`]): the confirmations and
    /// terminations of commands in flight; anything else is left alone (and nothing returned).
    pub fn on_asdu(&mut self, asdu: &Asdu<'_>, now: Now) -> Output<R> {
        let mut out = Output::default();
        let h = asdu.header;
        if h.test || (self.exchanges.is_empty() && self.recent.is_empty()) {
            return out;
        }
        let Some(object) = asdu.objects().next() else {
            return out;
        };
        self.recent.retain(|r| r.until > now.instant);
        if h.cause.0 == 10 {
            if let Some(at) = self.recent.iter().position(|r| {
                r.kind.0 == h.type_id && r.ca == h.common_address && r.ioa == object.address
            }) {
                let learned = self.recent.swap_remove(at).kind;
                if !self.terminating.contains(&learned) {
                    self.terminating.push(learned);
                }
                return out;
            }
        }
        let Some(index) = self.exchanges.iter().position(|e| {
            e.order.type_id() == h.type_id && e.ca == h.common_address && e.ioa == object.address
        }) else {
            return out;
        };
        let Some(exchange) = self.exchanges.get_mut(index) else {
            return out;
        };
        let step = match exchange.phase {
            Phase::Confirm(step) | Phase::Cause(step) => step,
            Phase::Terminate => Step::Execute,
        };
        let cot = h.cause.0;
        if !mirrors(exchange, &object, step, cot) {
            // A late or repeated answer to the other step, or to an earlier command.
            return out;
        }
        let done = match (cot, exchange.phase) {
            (7, Phase::Confirm(Step::Select)) if !h.negative => {
                match exchange
                    .command
                    .check_deadline(now.instant, "selected, not executed")
                {
                    Err(answer) => Some(answer),
                    Ok(()) => {
                        let order = exchange.order;
                        let (ca, ioa) = (exchange.ca, exchange.ioa);
                        match self.encode(&order, ca, ioa, Step::Execute, now.utc_ms) {
                            Ok((bytes, tag)) => {
                                out.send.push(bytes);
                                if let Some(e) = self.exchanges.get_mut(index) {
                                    e.tag = tag;
                                }
                                self.set(index, Phase::Confirm(Step::Execute), now.instant);
                                None
                            }
                            Err(reason) => Some(FieldReply::not_done(
                                Outcome::Failed,
                                format!("selected, not executed: {reason}"),
                            )),
                        }
                    }
                }
            }
            (7, Phase::Confirm(Step::Execute)) if !h.negative => {
                let kind = (exchange.order.type_id(), exchange.order.select);
                if self.terminating.contains(&kind) {
                    self.set(index, Phase::Terminate, now.instant);
                    None
                } else {
                    // Not known to terminate: confirmed is done; a termination that follows
                    // teaches that it does.
                    self.recent.push(Recent {
                        kind,
                        ca: exchange.ca,
                        ioa: exchange.ioa,
                        until: now.instant + self.timers.termination,
                    });
                    Some(FieldReply::success(String::new()))
                }
            }
            (7, Phase::Confirm(step)) => {
                self.set(index, Phase::Cause(step), now.instant);
                None
            }
            (10, Phase::Terminate) if !h.negative => Some(FieldReply::success(String::new())),
            (10, Phase::Terminate) => Some(FieldReply::not_done(
                Outcome::Failed,
                "negative termination (ACTTERM with P/N = 1) of the execute",
            )),
            (44..=47, _) => Some(FieldReply::not_done(
                Outcome::Failed,
                format!(
                    "negative confirmation of the {}, cause {cot} ({})",
                    step.word(),
                    negative_cause(cot).unwrap_or_default()
                ),
            )),
            _ => None,
        };
        if let Some(answer) = done {
            out.replies.push(self.finish(index, answer));
        }
        out
    }

    fn set(&mut self, index: usize, phase: Phase, now: Instant) {
        let wait = match phase {
            Phase::Confirm(_) => self.timers.confirmation,
            Phase::Cause(_) => self.timers.cause,
            Phase::Terminate => self.timers.termination,
        };
        if let Some(e) = self.exchanges.get_mut(index) {
            e.phase = phase;
            e.until = now + wait;
        }
    }

    /// The frame of the command on object (`ca`, `ioa`) that waits for a confirmation, encoded
    /// again as it leaves for the field `now` (handed to the link layer): its confirmation is
    /// waited for from `now`, and a time-tagged type carries `now` as its CP56Time2a (the
    /// confirmation must mirror that one). An execute is built when the select's ACTCON
    /// arrives, but it may wait for the link (IEC 104's k window, an IEC 101 line busy with
    /// another station) before it goes out: the outstation cannot confirm what it has not
    /// received, and may refuse a command whose time tag has aged.
    ///
    /// `None` when no command on the object waits for a confirmation (it ended meanwhile, by
    /// its timer or a lost link): then nothing is to be sent. `Some(Err(..))` when the step
    /// cannot be encoded again (the clock left CP56Time2a's range since): the command ends
    /// `failed` unsent, with the reply to give.
    pub fn departing(
        &mut self,
        ca: u16,
        ioa: u32,
        now: Now,
    ) -> Option<Result<Vec<u8>, (R, FieldReply)>> {
        let index = self
            .exchanges
            .iter()
            .position(|e| (e.ca, e.ioa) == (ca, ioa) && matches!(e.phase, Phase::Confirm(_)))?;
        let e = self.exchanges.get(index)?;
        let Phase::Confirm(step) = e.phase else {
            return None;
        };
        let order = e.order;
        let (bytes, tag) = match self.encode(&order, ca, ioa, step, now.utc_ms) {
            Ok(encoded) => encoded,
            Err(reason) => {
                let why = if step == Step::Execute && order.select {
                    format!("selected, not executed: {reason}")
                } else {
                    format!("not sent: {reason}")
                };
                let answer = FieldReply::not_done(Outcome::Failed, why);
                return Some(Err(self.finish(index, answer)));
            }
        };
        let wait = self.timers.confirmation;
        let e = self.exchanges.get_mut(index)?;
        e.tag = tag;
        e.until = now.instant + wait;
        Some(Ok(bytes))
    }

    /// Ends the exchange at `index` with `answer` (its method added).
    fn finish(&mut self, index: usize, answer: FieldReply) -> (R, FieldReply) {
        let e = self.exchanges.swap_remove(index);
        (e.reply, answer.with_method(e.order.method()))
    }

    /// Ends the command in flight on object (`ca`, `ioa`) now with `answer` (its method added),
    /// sending nothing more: for what the source learns beside the exchange (the link layer
    /// refused its frame, the frame never left). A termination still watched for on the object
    /// is forgotten. `None` when no command is in flight there.
    pub fn cancel(&mut self, ca: u16, ioa: u32, answer: FieldReply) -> Option<(R, FieldReply)> {
        self.recent.retain(|r| (r.ca, r.ioa) != (ca, ioa));
        let index = self
            .exchanges
            .iter()
            .position(|e| (e.ca, e.ioa) == (ca, ioa))?;
        Some(self.finish(index, answer))
    }

    /// The earliest instant at which [`Commands::on_timeout`] has something to do.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.exchanges.iter().map(|e| e.until).min()
    }

    /// Ends every command whose wait ran out by `now`.
    pub fn on_timeout(&mut self, now: Now) -> Vec<(R, FieldReply)> {
        let mut out = Vec::new();
        while let Some(index) = self.exchanges.iter().position(|e| e.until <= now.instant) {
            let Some(e) = self.exchanges.get(index) else {
                break;
            };
            let answer = match e.phase {
                Phase::Confirm(step) => FieldReply::not_done(
                    Outcome::Timeout,
                    format!(
                        "no confirmation (ACTCON) of the {} within {:?}{}",
                        step.word(),
                        self.timers.confirmation,
                        unknown_after(step)
                    ),
                ),
                Phase::Cause(step) => negative(step),
                Phase::Terminate => FieldReply::not_done(
                    Outcome::Failed,
                    format!(
                        "no termination (ACTTERM) within {:?} after the positive confirmation of the execute: the outstation accepted the command, whether it completed is unknown",
                        self.timers.termination
                    ),
                ),
            };
            out.push(self.finish(index, answer));
        }
        out
    }

    /// The link is lost (`why`): every command in flight ends, since no confirmation can come
    /// on a new connection. Before the ACTCON of a step: `timeout`; after a negative ACTCON:
    /// `failed` as it stands; after the positive ACTCON of the execute: `failed`, its
    /// termination unknown.
    pub fn lost(&mut self, why: &str) -> Vec<(R, FieldReply)> {
        self.recent.clear();
        self.exchanges
            .drain(..)
            .map(|e| {
                let answer = match e.phase {
                    Phase::Confirm(step) => FieldReply::not_done(
                        Outcome::Timeout,
                        format!(
                            "connection lost ({why}) before the confirmation (ACTCON) of the {}{}",
                            step.word(),
                            unknown_after(step)
                        ),
                    ),
                    Phase::Cause(step) => negative(step),
                    Phase::Terminate => FieldReply::not_done(
                        Outcome::Failed,
                        format!(
                            "connection lost ({why}) after the positive confirmation of the execute, before its termination (ACTTERM): whether it completed is unknown"
                        ),
                    ),
                };
                (e.reply, answer.with_method(e.order.method()))
            })
            .collect()
    }
}

/// Whether `object` mirrors what `exchange` sent for `step` (cause `cot`): the element with the
/// step's S/E bit and the time tag when one was sent. A termination (COT 10) is matched on the
/// element alone, with either S/E bit: lib60870 builds it from the ASDU it kept at the select,
/// so it carries the select's S/E bit and time tag, not the execute's.
fn mirrors<R>(exchange: &Exchange<R>, object: &InformationObject, step: Step, cot: u8) -> bool {
    let select = step == Step::Select;
    let element = object.element;
    if cot == 10 {
        return element == exchange.order.element(select)
            || element == exchange.order.element(!select);
    }
    let same_tag = match (exchange.tag, object.time) {
        (Some(sent), Some(TimeTag::Cp56(echoed))) => sent == echoed,
        (Some(_), _) => false,
        (None, _) => true,
    };
    element == exchange.order.element(select) && same_tag
}

/// What a missing ACTCON of `step` means for the field.
fn unknown_after(step: Step) -> &'static str {
    match step {
        Step::Select => ": nothing executed",
        Step::Execute => ": whether the outstation carried it out is unknown",
    }
}

/// A negative ACTCON whose cause the outstation did not name.
fn negative(step: Step) -> FieldReply {
    FieldReply::not_done(
        Outcome::Failed,
        format!("negative confirmation (P/N = 1) of the {}", step.word()),
    )
}
