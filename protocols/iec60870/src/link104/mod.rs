//! The sans-IO link state machine of IEC 60870-5-104 (clause 5): data transfer control with
//! STARTDT and STOPDT, connection tests with TESTFR, numbered I frames with k and w, the
//! acknowledgement rules, and the timers t1, t2 and t3.
//!
//! [`Link104`] does no I/O and reads no clock. The caller owns the TCP connection and the time:
//!
//! - bytes read go to [`Link104::on_bytes`] (or whole APDUs to [`Link104::on_apdu`]), which
//!   report [`Event`]s: an ASDU received, data transfer started or stopped, the connection to be
//!   closed;
//! - ASDUs to send go to [`Link104::send_asdu`], which refuses them while data transfer is not
//!   started or k I frames are unacknowledged;
//! - [`Link104::poll_transmit`] hands out the frames to write, in order;
//! - [`Link104::poll_timeout`] says when to call [`Link104::on_timeout`] next.
//!
//! Every method takes the current time as an argument where it matters. After an
//! [`Event::Closed`] the caller closes the TCP connection; a new connection needs a new `Link104`
//! (both sequence numbers start at 0 again, clause 5.1).
//!
//! The user can withhold acknowledgements ([`Link104::hold_acks`]) when it cannot take more
//! data: the peer then stops at k unacknowledged I frames. Or it can pace them
//! ([`AckMode::Paced`]): acknowledged only when t2 runs out, the peer sends at most k I frames
//! per t2 and never reaches its t1. TESTFR, STARTDT and STOPDT are still
//! answered. A peer that follows clause 5.1 strictly closes the connection t1 after its oldest
//! unacknowledged frame; one set to [`AckTimeout::Probe`] waits as long as TESTFR con answers.

mod params;
mod timers;
mod transmit;
mod window;

pub use params::{AckTimeout, Params, ParamsError, Role};
pub use transmit::Transmit;

use crate::apci::{Apci, Apdu, SeqNo, StreamSplitter, UFunction, MAX_ASDU_LEN};
use crate::Error;
use std::collections::VecDeque;
use std::time::Instant;
use timers::{after, due, Deadlines, Timers};
use window::{ReceiveWindow, SendWindow};

/// The state of data transfer (IEC 60870-5-104 clause 5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum State {
    /// Data transfer stopped: no I frames either way. Every connection starts here.
    Stopped,
    /// The controlling station sent STARTDT act and waits for the con.
    StartPending,
    /// Data transfer started: I frames flow both ways.
    Started,
    /// STOPDT act sent (controlling) or received (controlled): the controlled station sends no
    /// new I frames and confirms once all it sent are acknowledged.
    StopPending,
    /// The connection is to be closed: see [`Link104::close_reason`].
    Closed,
}

/// Why the link wants the connection closed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// t1 expired with I frames sent and not acknowledged (clause 5.1).
    AckTimeout {
        /// How many were outstanding.
        unacknowledged: u16,
    },
    /// t1 expired with no con for the act we sent (clauses 5.2 and 5.3).
    ConfirmTimeout(UFunction),
    /// An I frame whose N(S) is not the one expected: a frame lost, repeated or out of order
    /// (clause 5.1).
    SequenceError {
        /// V(R), the N(S) expected.
        expected: SeqNo,
        /// The N(S) received.
        found: SeqNo,
    },
    /// An N(R) that acknowledges an I frame never sent, or goes back behind the last N(R)
    /// received (clause 5.1).
    BadAck {
        /// The N(R) received.
        found: SeqNo,
        /// The last N(R) received: the oldest unacknowledged N(S).
        oldest: SeqNo,
        /// V(S): the N(S) of the next I frame to send.
        next: SeqNo,
    },
    /// A frame this station's role or the state of data transfer does not allow: an I frame
    /// while data transfer is stopped, STARTDT or STOPDT act to the controlling station, a con
    /// that answers no act (clause 5.3).
    UnexpectedFrame {
        /// The control field received.
        apci: Apci,
        /// The state it arrived in.
        state: State,
    },
    /// 32767 received I frames unacknowledged and one more: N(R) could no longer count them.
    ReceiveOverflow,
    /// The byte stream is not a sequence of APDUs (from [`Link104::on_bytes`]).
    Framing(Error),
    /// [`Link104::close`] was called.
    Local,
}

/// What happened, from [`Link104::on_apdu`], [`Link104::on_bytes`] or [`Link104::on_timeout`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event<'a> {
    /// An I frame's ASDU, in order (decode it with [`Asdu::decode`](crate::Asdu::decode)).
    Received(&'a [u8]),
    /// Data transfer started: STARTDT con received (controlling) or STARTDT act confirmed
    /// (controlled).
    Started,
    /// Data transfer stopped: STOPDT con received (controlling) or sent (controlled).
    Stopped,
    /// Close the TCP connection.
    Closed(CloseReason),
}

/// Why [`Link104::send_asdu`], [`Link104::start_dt`] or [`Link104::stop_dt`] refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// k I frames are unacknowledged: try again after an acknowledgement (clause 5.5).
    #[error("{k} I frames unacknowledged: the send window is full")]
    WindowFull {
        /// The window size.
        k: u16,
    },
    /// Data transfer is not started, or is stopping: no I frames (clause 5.3).
    #[error("data transfer is not started ({state:?})")]
    NotStarted {
        /// The state of data transfer.
        state: State,
    },
    /// STARTDT or STOPDT asked of the controlled station, or in a state that does not allow it.
    #[error("not allowed to a {role:?} station in state {state:?}")]
    NotAllowed {
        /// This station's role.
        role: Role,
        /// The state of data transfer.
        state: State,
    },
    /// The connection is closed.
    #[error("the connection is closed")]
    Closed,
    /// The ASDU does not fit an I frame (1..=249 octets).
    #[error(transparent)]
    Asdu(#[from] Error),
}

/// When received I frames are acknowledged (IEC 60870-5-104 clause 5.1), set with
/// [`Link104::set_ack_mode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum AckMode {
    /// As the standard says: after w I frames, t2 after the oldest one, or in the N(R) of an I
    /// frame we send, whichever comes first.
    #[default]
    Prompt,
    /// Only when t2 runs out (or STOPDT needs it): the peer sends at most k I frames per t2,
    /// and a peer that closes strictly at t1 (clause 5.1) never does, as long as its t1 exceeds
    /// our t2 and the round trip (the standard's defaults, 15 s and 10 s, leave 5 s). The way
    /// to slow a peer down for a while without losing the connection.
    Paced,
    /// Never (until the mode changes, or STOPDT needs it): the peer stops at k unacknowledged I
    /// frames. A strict peer closes t1 later; one that probes with TESTFR waits (see
    /// [`AckTimeout::Probe`]).
    Held,
}

/// The link layer of one IEC 60870-5-104 connection, for either station (clause 5).
#[derive(Debug, Clone)]
pub struct Link104 {
    role: Role,
    params: Params,
    state: State,
    close_reason: Option<CloseReason>,
    send: SendWindow,
    recv: ReceiveWindow,
    timers: Timers,
    acks: AckMode,
    queue: VecDeque<Transmit>,
    rx: StreamSplitter,
}

impl Link104 {
    /// The link of a TCP connection opened at `now`, data transfer stopped. The controlling
    /// station queues STARTDT act at once (clause 5.3).
    ///
    /// # Errors
    /// [`Params::check`]'s.
    pub fn new(role: Role, params: Params, now: Instant) -> Result<Self, ParamsError> {
        let mut link = Self::stopped(role, params, now)?;
        if role == Role::Controlling {
            link.send_control(UFunction::StartDtAct, now);
            link.state = State::StartPending;
        }
        Ok(link)
    }

    /// The controlling station's link of a standby connection opened at `now`: connected and
    /// supervised, but with data transfer stopped and no STARTDT act queued.
    ///
    /// This is the standby connection of a redundancy group (IEC 60870-5-104 edition 2,
    /// redundant connections): the outstation sends it no data, t3 keeps it tested with TESTFR
    /// so a broken standby is found before it is needed, and [`Link104::start_dt`] makes it the
    /// active connection when the active one fails (after STOPDT on the old one, if it is still
    /// there).
    ///
    /// # Errors
    /// [`Params::check`]'s.
    pub fn standby(params: Params, now: Instant) -> Result<Self, ParamsError> {
        Self::stopped(Role::Controlling, params, now)
    }

    fn stopped(role: Role, params: Params, now: Instant) -> Result<Self, ParamsError> {
        params.check()?;
        Ok(Self {
            role,
            params,
            state: State::Stopped,
            close_reason: None,
            send: SendWindow::new(params.k),
            recv: ReceiveWindow::new(),
            timers: Timers::new(now),
            acks: AckMode::Prompt,
            // Most links queue a frame or two at a time: grown on demand, not held for k (a
            // master of a thousand links kept 4 KiB each for nothing).
            queue: VecDeque::with_capacity(4),
            rx: StreamSplitter::new(),
        })
    }

    /// This station's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The parameters.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// The state of data transfer.
    pub fn state(&self) -> State {
        self.state
    }

    /// Why the link closed, once it has.
    pub fn close_reason(&self) -> Option<&CloseReason> {
        self.close_reason.as_ref()
    }

    /// Whether [`Link104::send_asdu`] would take an ASDU now.
    pub fn can_send(&self) -> bool {
        self.state == State::Started && !self.send.is_full()
    }

    /// The I frames sent and not yet acknowledged by the peer (at most k).
    pub fn unacknowledged(&self) -> u16 {
        self.send.outstanding()
    }

    /// The I frames received and not yet acknowledged to the peer.
    pub fn unacknowledged_received(&self) -> u16 {
        self.recv.unacked()
    }

    /// Whether acknowledgements are withheld ([`AckMode::Held`]).
    pub fn holding_acks(&self) -> bool {
        self.acks == AckMode::Held
    }

    /// When received I frames are acknowledged.
    pub fn ack_mode(&self) -> AckMode {
        self.acks
    }

    /// Sets when received I frames are acknowledged (see [`AckMode`]). Leaving
    /// [`AckMode::Held`] or [`AckMode::Paced`] for [`AckMode::Prompt`] acknowledges everything
    /// received at once with an S frame; t1 of what we sent runs in every mode.
    pub fn set_ack_mode(&mut self, mode: AckMode) {
        self.acks = mode;
        if mode == AckMode::Prompt && self.state != State::Closed && self.recv.unacked() > 0 {
            self.acknowledge();
        }
    }

    /// Withholds (`true`) or releases (`false`) acknowledgements of received I frames.
    ///
    /// While held, no S frame is sent and the I frames we send repeat the last N(R) sent, so
    /// the peer stops at k unacknowledged frames: the way for a user that cannot take more data
    /// to push back. TESTFR, STARTDT and STOPDT are still answered, and our own t1 still runs.
    /// Releasing acknowledges everything received at once with an S frame.
    ///
    /// `hold_acks(b)` is `set_ack_mode(AckMode::Held)` or `set_ack_mode(AckMode::Prompt)`.
    pub fn hold_acks(&mut self, hold: bool) {
        self.set_ack_mode(if hold { AckMode::Held } else { AckMode::Prompt });
    }

    /// Queues an I frame carrying `asdu` (IEC 60870-5-104 clause 5.1), sent at `now`: t1 of its
    /// acknowledgement starts here. Unless acknowledgements are held, its N(R) acknowledges
    /// every I frame received.
    ///
    /// # Errors
    /// [`SendError::NotStarted`] unless data transfer is started, [`SendError::WindowFull`]
    /// with k frames unacknowledged, [`SendError::Closed`], and [`SendError::Asdu`] for an ASDU
    /// of 0 or more than 249 octets. Nothing is queued on error.
    pub fn send_asdu(&mut self, asdu: &[u8], now: Instant) -> Result<(), SendError> {
        match self.state {
            State::Started => {}
            State::Closed => return Err(SendError::Closed),
            state => return Err(SendError::NotStarted { state }),
        }
        if self.send.is_full() {
            return Err(SendError::WindowFull { k: self.params.k });
        }
        let prompt = self.acks == AckMode::Prompt;
        let recv = if !prompt {
            self.recv.last_ack()
        } else {
            self.recv.next()
        };
        let frame = Transmit::new(
            Apci::I {
                send: self.send.next(),
                recv,
            },
            asdu,
        )?;
        self.send.push(now);
        if prompt {
            self.recv.acknowledge_all();
        }
        self.queue.push_back(frame);
        Ok(())
    }

    /// Starts data transfer: queues STARTDT act (clause 5.3). Controlling station only, while
    /// data transfer is stopped; [`Link104::new`] already does it once, [`Link104::standby`]
    /// leaves it to this call.
    ///
    /// # Errors
    /// [`SendError::NotAllowed`] for the controlled station or in another state,
    /// [`SendError::Closed`].
    pub fn start_dt(&mut self, now: Instant) -> Result<(), SendError> {
        self.check_control(State::Stopped)?;
        self.send_control(UFunction::StartDtAct, now);
        self.state = State::StartPending;
        Ok(())
    }

    /// Stops data transfer: queues STOPDT act (clause 5.3), after an S frame acknowledging what
    /// was received, whatever the [`AckMode`]. Until the STOPDT con, every I frame that still
    /// arrives is acknowledged at once, so the controlled station can confirm: the controlled
    /// station confirms only once its I frames are acknowledged, so a stop that kept them
    /// unacknowledged would end in t1.
    ///
    /// # Errors
    /// [`SendError::NotAllowed`] for the controlled station or unless data transfer is started,
    /// [`SendError::Closed`].
    pub fn stop_dt(&mut self, now: Instant) -> Result<(), SendError> {
        self.check_control(State::Started)?;
        if self.recv.unacked() > 0 {
            self.acknowledge();
        }
        self.send_control(UFunction::StopDtAct, now);
        self.state = State::StopPending;
        Ok(())
    }

    /// Closes the link from this side: nothing more is sent, and the caller closes the TCP
    /// connection.
    pub fn close(&mut self) {
        if self.state != State::Closed {
            self.shut(CloseReason::Local);
        }
    }

    /// The next frame to write to the connection, oldest first; `None` when there is none.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.queue.pop_front()
    }

    /// When [`Link104::on_timeout`] must be called next, if a timer runs.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.deadlines().earliest()
    }

    /// Runs the timers that are due by `now`: t1 closes the connection (or, with
    /// [`AckTimeout::Probe`], tests it), t2 sends an S frame, t3 sends TESTFR act.
    pub fn on_timeout(&mut self, now: Instant) -> Option<Event<'static>> {
        if self.state == State::Closed {
            return None;
        }
        let d = self.deadlines();
        if let Some((at, function)) = d.control {
            if at <= now {
                return self.shut(CloseReason::ConfirmTimeout(function));
            }
        }
        if due(d.test, now) {
            return self.shut(CloseReason::ConfirmTimeout(UFunction::TestFrAct));
        }
        if due(d.ack, now) {
            match self.params.on_ack_timeout {
                AckTimeout::Close => {
                    let unacknowledged = self.send.outstanding();
                    return self.shut(CloseReason::AckTimeout { unacknowledged });
                }
                AckTimeout::Probe => self.send_test(now),
            }
        }
        if due(d.t2, now) {
            self.acknowledge();
        }
        if due(d.t3, now) && self.timers.test_sent.is_none() {
            self.send_test(now);
        }
        None
    }

    /// Takes one received APDU (IEC 60870-5-104 clause 5) at `now`.
    ///
    /// Checks N(S) and N(R) of I and S frames, answers STARTDT, STOPDT and TESTFR act, applies
    /// the confirmations, and acknowledges received I frames when w are unacknowledged. Returns
    /// what happened, if anything the caller must know; after [`Event::Closed`] every input is
    /// ignored.
    pub fn on_apdu<'a>(&mut self, apdu: Apdu<'a>, now: Instant) -> Option<Event<'a>> {
        if self.state == State::Closed {
            return None;
        }
        self.timers.last_rx = now;
        match apdu.apci {
            Apci::I { send, recv } => {
                let allowed = match self.role {
                    Role::Controlled => self.state == State::Started,
                    Role::Controlling => {
                        matches!(self.state, State::Started | State::StopPending)
                    }
                };
                if !allowed {
                    return self.unexpected(apdu.apci);
                }
                if let Err(reason) = self.send.acknowledge(recv) {
                    return self.shut(reason);
                }
                if let Err(reason) = self.recv.receive(send, now) {
                    return self.shut(reason);
                }
                let stopping = self.state == State::StopPending;
                let due = match self.acks {
                    AckMode::Prompt => stopping || self.recv.unacked() >= self.params.w,
                    AckMode::Paced | AckMode::Held => stopping,
                };
                if due {
                    self.acknowledge();
                }
                Some(Event::Received(apdu.asdu))
            }
            Apci::S { recv } => {
                if let Err(reason) = self.send.acknowledge(recv) {
                    return self.shut(reason);
                }
                self.finish_stop()
            }
            Apci::U(function) => self.on_u(function, apdu.apci),
        }
    }

    /// Takes the bytes of one read from the TCP connection at `now`, and hands each event to
    /// `on_event` (an ASDU borrowed for the call only). APDUs may be split anywhere across
    /// reads; a framing error closes the link with [`CloseReason::Framing`].
    pub fn on_bytes(&mut self, data: &[u8], now: Instant, mut on_event: impl FnMut(Event<'_>)) {
        if self.state == State::Closed {
            return;
        }
        self.rx.push(data);
        let mut frame = [0u8; MAX_ASDU_LEN];
        while self.state != State::Closed {
            let (apci, len) = match self.rx.next_apdu() {
                Ok(Some(apdu)) => {
                    let len = apdu.asdu.len().min(MAX_ASDU_LEN);
                    if let (Some(to), Some(from)) = (frame.get_mut(..len), apdu.asdu.get(..len)) {
                        to.copy_from_slice(from);
                    }
                    (apdu.apci, len)
                }
                Ok(None) => break,
                Err(error) => {
                    if let Some(event) = self.shut(CloseReason::Framing(error)) {
                        on_event(event);
                    }
                    break;
                }
            };
            let asdu = frame.get(..len).unwrap_or_default();
            if let Some(event) = self.on_apdu(Apdu { apci, asdu }, now) {
                on_event(event);
            }
        }
    }

    /// The U frames (clauses 5.2 and 5.3).
    fn on_u(&mut self, function: UFunction, apci: Apci) -> Option<Event<'static>> {
        match (function, self.role) {
            (UFunction::TestFrAct, _) => {
                self.queue_control(Apci::U(UFunction::TestFrCon));
                None
            }
            // A TESTFR con that answers no act of ours (a late or repeated one) is harmless:
            // ignored, as lib60870 does, rather than closing a working connection.
            (UFunction::TestFrCon, _) => {
                self.timers.test_sent = None;
                None
            }
            (UFunction::StartDtAct, Role::Controlled) => {
                self.queue_control(Apci::U(UFunction::StartDtCon));
                let was = self.state;
                self.state = State::Started;
                (was != State::Started).then_some(Event::Started)
            }
            (UFunction::StopDtAct, Role::Controlled) => {
                if self.state == State::Stopped {
                    self.queue_control(Apci::U(UFunction::StopDtCon));
                    return None;
                }
                if self.acks != AckMode::Held && self.recv.unacked() > 0 {
                    self.acknowledge();
                }
                self.state = State::StopPending;
                self.finish_stop()
            }
            (UFunction::StartDtCon, Role::Controlling) => {
                match self.timers.control_sent {
                    Some((UFunction::StartDtAct, _)) => {}
                    _ => return self.unexpected(apci),
                }
                self.timers.control_sent = None;
                self.state = State::Started;
                Some(Event::Started)
            }
            (UFunction::StopDtCon, Role::Controlling) => {
                match self.timers.control_sent {
                    Some((UFunction::StopDtAct, _)) => {}
                    _ => return self.unexpected(apci),
                }
                self.timers.control_sent = None;
                self.state = State::Stopped;
                Some(Event::Stopped)
            }
            (
                UFunction::StartDtAct
                | UFunction::StopDtAct
                | UFunction::StartDtCon
                | UFunction::StopDtCon,
                _,
            ) => self.unexpected(apci),
        }
    }

    /// The controlled station confirms STOPDT once all its I frames are acknowledged
    /// (clause 5.3).
    fn finish_stop(&mut self) -> Option<Event<'static>> {
        if self.role == Role::Controlled
            && self.state == State::StopPending
            && self.send.outstanding() == 0
        {
            self.queue_control(Apci::U(UFunction::StopDtCon));
            self.state = State::Stopped;
            return Some(Event::Stopped);
        }
        None
    }

    /// Fails unless this is the controlling station in state `wanted`.
    fn check_control(&self, wanted: State) -> Result<(), SendError> {
        if self.state == State::Closed {
            return Err(SendError::Closed);
        }
        if self.role != Role::Controlling || self.state != wanted {
            return Err(SendError::NotAllowed {
                role: self.role,
                state: self.state,
            });
        }
        Ok(())
    }

    /// Every running timer's deadline.
    fn deadlines(&self) -> Deadlines {
        if self.state == State::Closed {
            return Deadlines::default();
        }
        let t = &self.timers;
        let p = &self.params;
        let ack = match p.on_ack_timeout {
            AckTimeout::Close => self.send.oldest(),
            AckTimeout::Probe if t.test_sent.is_some() => None,
            AckTimeout::Probe => self.send.oldest().map(|sent| sent.max(t.last_rx)),
        };
        Deadlines {
            control: t
                .control_sent
                .and_then(|(function, at)| Some((after(at, p.t1)?, function))),
            test: t.test_sent.and_then(|at| after(at, p.t1)),
            ack: ack.and_then(|at| after(at, p.t1)),
            t2: match self.recv.unacked_since() {
                Some(at) if self.acks != AckMode::Held => after(at, p.t2),
                _ => None,
            },
            t3: match t.test_sent {
                None => after(t.last_rx, p.t3),
                Some(_) => None,
            },
        }
    }

    /// Acknowledges every received I frame with an S frame (clause 5.1).
    fn acknowledge(&mut self) {
        let recv = self.recv.acknowledge_all();
        self.queue_control(Apci::S { recv });
    }

    /// Queues TESTFR act and starts its t1 (clause 5.2).
    fn send_test(&mut self, now: Instant) {
        self.queue_control(Apci::U(UFunction::TestFrAct));
        self.timers.test_sent = Some(now);
    }

    /// Queues STARTDT or STOPDT act and starts its t1 (clause 5.3).
    fn send_control(&mut self, function: UFunction, now: Instant) {
        self.queue_control(Apci::U(function));
        self.timers.control_sent = Some((function, now));
    }

    fn queue_control(&mut self, apci: Apci) {
        self.queue.push_back(Transmit::control(apci));
    }

    fn unexpected(&mut self, apci: Apci) -> Option<Event<'static>> {
        let state = self.state;
        self.shut(CloseReason::UnexpectedFrame { apci, state })
    }

    /// Closes the link: drops what was queued and stops every timer.
    fn shut(&mut self, reason: CloseReason) -> Option<Event<'static>> {
        self.state = State::Closed;
        self.queue.clear();
        self.close_reason = Some(reason.clone());
        Some(Event::Closed(reason))
    }
}
