//! Balanced transmission (IEC 60870-5-2 clause 5.2, IEC 60870-5-101 clause 6.1): two stations,
//! each primary and secondary at once, on a full-duplex line.

use super::event::{Event, SendError, SendId};
use super::exchange::{Outstanding, Timeout};
use super::params::{Params, ParamsError};
use super::remote::{Mode, Remote, Reply, Request};
use super::responder::{deliver_broadcast, fixed_answer, Incoming, Responder, Served};
use super::rx::{fields, Receiver};
use super::transmit::Transmit;
use crate::ft12::{Control, Frame, PrimaryFunction, SecondaryFunction};
use std::collections::VecDeque;
use std::time::Instant;

/// Which end of a balanced link this is: it sets the DIR bit of every frame we send
/// (IEC 60870-5-101 clause 6.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Station {
    /// Station A, the controlling station: DIR = 1.
    A,
    /// Station B, the controlled station: DIR = 0.
    B,
}

impl Station {
    /// The DIR bit of the frames this station sends.
    pub const fn dir(self) -> bool {
        matches!(self, Self::A)
    }
}

/// The link layer of one station in balanced transmission.
///
/// Its primary brings the link to the other station up (FC 9, then FC 0), sends user data with
/// FC 3 one at a time, repeats an unanswered frame with the same FCB, and tests an idle link
/// with FC 2; its secondary answers what the other station's primary sends, and recognizes a
/// repeated frame by its FCB. Our frames carry the other station's address when we are primary
/// and our own when we answer.
#[derive(Debug, Clone)]
pub struct Balanced {
    rx: Receiver,
    core: Core,
}

#[derive(Debug, Clone)]
struct Core {
    params: Params,
    station: Station,
    own: u16,
    remote: Remote,
    outstanding: Outstanding,
    responder: Responder,
    full: bool,
    /// Answers of our secondary, to be written before anything of our primary.
    out: VecDeque<Transmit>,
    next_id: u64,
    now: Instant,
}

impl Balanced {
    /// A station with link address `own` talking to the station with link address `remote`
    /// (both 0 without an address field), its link down, at `now`.
    ///
    /// # Errors
    /// [`Params::check`]'s, [`ParamsError::BadAddress`].
    pub fn new(
        params: Params,
        station: Station,
        own: u16,
        remote: u16,
        now: Instant,
    ) -> Result<Self, ParamsError> {
        params.check()?;
        params.check_address(own)?;
        params.check_address(remote)?;
        Ok(Self {
            rx: Receiver::new(),
            core: Core {
                params,
                station,
                own,
                remote: Remote::new(remote, &params, now),
                outstanding: Outstanding::default(),
                responder: Responder::default(),
                full: false,
                out: VecDeque::with_capacity(4),
                next_id: 0,
                now,
            },
        })
    }

    /// The parameters.
    pub fn params(&self) -> &Params {
        &self.core.params
    }

    /// Which end this is.
    pub fn station(&self) -> Station {
        self.core.station
    }

    /// Whether our primary's link to the other station is up.
    pub fn is_up(&self) -> bool {
        self.core.remote.is_up()
    }

    /// Whether the other station last answered with DFC = 1.
    pub fn is_busy(&self) -> bool {
        self.core.remote.is_busy()
    }

    /// The user data waiting (the one outstanding included).
    pub fn queued(&self) -> usize {
        self.core.remote.queued()
    }

    /// Whether a request of our primary is outstanding.
    pub fn is_waiting(&self) -> bool {
        self.core.outstanding.is_waiting()
    }

    /// Says whether we can take more user data: while full, our answers carry DFC = 1 and user
    /// data sent with FC 3 are refused with NACK and not delivered.
    pub fn set_full(&mut self, full: bool) {
        self.core.full = full;
    }

    /// Queues user data with SEND/CONFIRM (FC 3); [`Event::Confirmed`] or
    /// [`Event::NotConfirmed`] follows with the number returned.
    ///
    /// # Errors
    /// [`SendError::QueueFull`], [`SendError::Length`].
    pub fn send(&mut self, asdu: &[u8]) -> Result<SendId, SendError> {
        self.queue(asdu, true)
    }

    /// Discards the user data waiting for the other station: the frame on the line, if it is
    /// one of them, stays (its repetitions must carry the same bytes, and its answer or its
    /// last repetition still reports it); the others are dropped without an event. Returns
    /// how many were dropped. As [`UnbalancedPrimary::clear`](super::UnbalancedPrimary::clear).
    pub fn clear(&mut self) -> usize {
        let core = &mut self.core;
        let on_line = core.outstanding.current().map(|(_, request)| request);
        core.remote.clear(on_line)
    }

    /// Queues user data with SEND/NO REPLY (FC 4).
    ///
    /// # Errors
    /// [`SendError::QueueFull`], [`SendError::Length`].
    pub fn send_no_reply(&mut self, asdu: &[u8]) -> Result<SendId, SendError> {
        self.queue(asdu, false)
    }

    fn queue(&mut self, asdu: &[u8], confirm: bool) -> Result<SendId, SendError> {
        let core = &mut self.core;
        let id = SendId(core.next_id);
        core.remote
            .push(id, confirm, asdu, core.params.max_asdu_len())?;
        core.next_id = core.next_id.wrapping_add(1);
        Ok(id)
    }

    /// The next frame to write at `now`: our secondary's answers first, then a repetition,
    /// then our primary's next request if none is outstanding.
    pub fn poll_transmit(&mut self, now: Instant) -> Option<Transmit> {
        self.core.poll_transmit(now)
    }

    /// When [`Balanced::on_timeout`] or [`Balanced::poll_transmit`] must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let core = &self.core;
        if !core.out.is_empty() {
            return Some(core.now);
        }
        if let Some(at) = core.outstanding.timeout(core.now) {
            return Some(at);
        }
        core.remote
            .plan(core.now, Mode::Balanced, &core.params)
            .map(|(at, _)| at)
    }

    /// Runs the response timeout at `now`: repeats the outstanding frame, or after
    /// [`Params::retries`] repetitions declares the link down.
    pub fn on_timeout(&mut self, now: Instant, mut on_event: impl FnMut(Event<'_>)) {
        let core = &mut self.core;
        core.now = core.now.max(now);
        match core.outstanding.on_timeout(now, &core.params) {
            Some(Timeout::Repeat { attempt, .. }) => on_event(Event::Repeating {
                address: core.remote.address,
                attempt,
            }),
            Some(Timeout::Failed { request, .. }) => {
                core.remote.fail(request, now, &core.params, &mut on_event);
            }
            None => {}
        }
    }

    /// Takes the bytes of one read from the line at `now`, and hands each event to `on_event`.
    pub fn on_bytes(&mut self, data: &[u8], now: Instant, mut on_event: impl FnMut(Event<'_>)) {
        let core = &mut self.core;
        core.now = core.now.max(now);
        let config = core.params.link;
        self.rx
            .frames(data, &config, &mut on_event, |frame, on_event| {
                core.on_frame(frame, now, on_event)
            });
    }
}

impl Core {
    fn dir(&self) -> bool {
        self.station.dir()
    }

    fn poll_transmit(&mut self, now: Instant) -> Option<Transmit> {
        self.now = self.now.max(now);
        if let Some(answer) = self.out.pop_front() {
            return Some(answer);
        }
        if self.outstanding.is_waiting() {
            return self.outstanding.take_resend();
        }
        let (at, request) = self.remote.plan(now, Mode::Balanced, &self.params)?;
        if at > now {
            return None;
        }
        let dir = self.dir();
        let frame = self.remote.frame(request, dir, &self.params, now).ok()?;
        if request == Request::SendNoReply {
            self.remote.touch(now);
        } else {
            self.outstanding
                .start(0, request, &frame, now, &self.params);
        }
        Some(frame)
    }

    fn on_frame(&mut self, frame: &Frame<'_>, now: Instant, on_event: &mut impl FnMut(Event<'_>)) {
        let Some((control, address, asdu)) = fields(frame) else {
            self.on_reply(frame, now, on_event);
            return;
        };
        let unexpected = Event::Unexpected {
            address,
            control: Some(control),
        };
        let (Control::Primary { dir, .. } | Control::Secondary { dir, .. }) = control;
        if dir == self.dir() {
            // Our own frame, echoed.
            on_event(unexpected);
            return;
        }
        let Some(request) = Incoming::new(control, address, asdu) else {
            self.on_reply(frame, now, on_event);
            return;
        };
        let broadcast = self.params.is_broadcast(address);
        if address != self.own && !broadcast {
            on_event(unexpected);
            return;
        }
        self.remote.touch(now);
        self.on_request(&request, broadcast, on_event);
    }

    /// A frame of the other station's secondary: the answer to our outstanding request.
    fn on_reply(&mut self, frame: &Frame<'_>, now: Instant, on_event: &mut impl FnMut(Event<'_>)) {
        let Some(reply) = Reply::of(frame) else {
            return;
        };
        let current = self
            .outstanding
            .current()
            .filter(|_| reply.address.is_none_or(|a| a == self.remote.address));
        let Some((_, request)) = current else {
            on_event(Event::Unexpected {
                address: reply.address.unwrap_or(0),
                control: reply.control,
            });
            return;
        };
        if self
            .remote
            .on_reply(request, &reply, Mode::Balanced, now, &self.params, on_event)
        {
            self.outstanding.answered();
        }
    }

    /// A frame of the other station's primary, for our secondary (or a broadcast).
    fn on_request(
        &mut self,
        request: &Incoming<'_>,
        broadcast: bool,
        on_event: &mut impl FnMut(Event<'_>),
    ) {
        if broadcast {
            deliver_broadcast(request, on_event);
            return;
        }
        if self.responder.repeat(request, &mut self.out, on_event) {
            return;
        }
        let answer = match self.responder.serve(request, self.full, on_event) {
            Served::Answer(function) => function,
            Served::NoAnswer => return,
            Served::Other => match request.function {
                PrimaryFunction::TEST_LINK => SecondaryFunction::ACK,
                PrimaryFunction::REQUEST_LINK_STATUS => SecondaryFunction::LINK_STATUS,
                _ => SecondaryFunction::LINK_NOT_IMPLEMENTED,
            },
        };
        // Fixed length with DIR and DFC (ACD is not used), or E5 where allowed.
        let dir = self.dir();
        let Some(answer) = fixed_answer(&self.params, self.own, dir, false, self.full, answer)
        else {
            return;
        };
        self.responder.answered(request, answer, &mut self.out);
    }
}
