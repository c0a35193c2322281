//! The unbalanced primary station (IEC 60870-5-2 clause 5.1, IEC 60870-5-101 clause 6.1): the
//! controlling station that polls several secondaries on one half-duplex line.

use super::event::{Event, SendError, SendId};
use super::exchange::{Outstanding, Timeout};
use super::params::{Params, ParamsError};
use super::remote::{Mode, Remote, Reply, Request};
use super::rx::{fields, Receiver};
use super::stored::Stored;
use super::transmit::Transmit;
use crate::ft12::{Control, Frame, PrimaryFunction};
use std::collections::VecDeque;
use std::time::Instant;

/// The link layer of an unbalanced primary station serving the secondaries on one line.
///
/// One request is outstanding at a time; the secondaries take turns, one exchange each. Every
/// secondary's link starts down: it is brought up with FC 9 and FC 0 as soon as
/// [`UnbalancedPrimary::poll_transmit`] is called.
#[derive(Debug, Clone)]
pub struct UnbalancedPrimary {
    rx: Receiver,
    core: Core,
}

#[derive(Debug, Clone)]
struct Core {
    params: Params,
    remotes: Vec<Remote>,
    /// The request on the line, and its repetition to be written.
    outstanding: Outstanding,
    /// The remote whose turn comes next.
    turn: usize,
    broadcasts: VecDeque<Stored>,
    next_id: u64,
    /// The latest time any method was given.
    now: Instant,
}

impl UnbalancedPrimary {
    /// A primary station for the secondaries with these link `addresses`, all links down, at
    /// `now`.
    ///
    /// # Errors
    /// [`Params::check`]'s, [`ParamsError::BadAddress`] for an address that does not fit the
    /// field or is the broadcast address, [`ParamsError::DuplicateAddress`].
    pub fn new(params: Params, addresses: &[u16], now: Instant) -> Result<Self, ParamsError> {
        params.check()?;
        let mut remotes: Vec<Remote> = Vec::with_capacity(addresses.len());
        for &address in addresses {
            params.check_address(address)?;
            if remotes.iter().any(|r| r.address == address) {
                return Err(ParamsError::DuplicateAddress(address));
            }
            remotes.push(Remote::new(address, &params, now));
        }
        Ok(Self {
            rx: Receiver::new(),
            core: Core {
                params,
                remotes,
                outstanding: Outstanding::default(),
                turn: 0,
                broadcasts: VecDeque::with_capacity(params.queue_len.min(64)),
                next_id: 0,
                now,
            },
        })
    }

    /// The parameters.
    pub fn params(&self) -> &Params {
        &self.core.params
    }

    /// The link addresses of the secondaries, in the order given.
    pub fn addresses(&self) -> impl Iterator<Item = u16> + '_ {
        self.core.remotes.iter().map(|r| r.address)
    }

    /// Whether the link to `address` is up; `None` for an unknown address.
    pub fn is_up(&self, address: u16) -> Option<bool> {
        self.core.remote(address).map(Remote::is_up)
    }

    /// Whether `address` last answered with DFC = 1; `None` for an unknown address.
    pub fn is_busy(&self, address: u16) -> Option<bool> {
        self.core.remote(address).map(Remote::is_busy)
    }

    /// The user data waiting for `address` (the one outstanding included).
    pub fn queued(&self, address: u16) -> Option<usize> {
        self.core.remote(address).map(Remote::queued)
    }

    /// Whether a request is outstanding on the line.
    pub fn is_waiting(&self) -> bool {
        self.core.outstanding.is_waiting()
    }

    /// Queues user data for `address` with SEND/CONFIRM (FC 3). They go once the link is up
    /// and the secondary did not set DFC; [`Event::Confirmed`] or [`Event::NotConfirmed`]
    /// follows with the number returned here.
    ///
    /// # Errors
    /// [`SendError::UnknownAddress`], [`SendError::QueueFull`], [`SendError::Length`].
    pub fn send(&mut self, address: u16, asdu: &[u8]) -> Result<SendId, SendError> {
        self.queue(address, asdu, true)
    }

    /// Queues user data for `address` with SEND/NO REPLY (FC 4): nothing confirms them.
    ///
    /// # Errors
    /// As [`UnbalancedPrimary::send`].
    pub fn send_no_reply(&mut self, address: u16, asdu: &[u8]) -> Result<SendId, SendError> {
        self.queue(address, asdu, false)
    }

    /// Discards the user data waiting for `address` (IEC 60870-5-2 leaves to the user what
    /// becomes of data for a link that is down): the frame on the line, if it is one of them,
    /// stays, since its repetitions must carry the same bytes, and its answer or its last
    /// repetition still reports it ([`Event::Confirmed`] or [`Event::NotConfirmed`]); the
    /// others are dropped without an event. Returns how many were dropped; `None` for an
    /// unknown address.
    ///
    /// Call it when the data have lost their meaning, e.g. after [`Event::LinkDown`]: queued
    /// data otherwise go after the next reset of remote link.
    pub fn clear(&mut self, address: u16) -> Option<usize> {
        let core = &mut self.core;
        let index = core.remotes.iter().position(|r| r.address == address)?;
        let on_line = core
            .outstanding
            .current()
            .filter(|(remote, _)| *remote == index)
            .map(|(_, request)| request);
        core.remotes.get_mut(index).map(|r| r.clear(on_line))
    }

    /// Queues user data for every secondary: SEND/NO REPLY (FC 4) to the broadcast address. It
    /// goes before anything else, as soon as the line is free.
    ///
    /// # Errors
    /// [`SendError::QueueFull`] (address: the broadcast address), [`SendError::Length`].
    pub fn broadcast(&mut self, asdu: &[u8]) -> Result<SendId, SendError> {
        let core = &mut self.core;
        let stored = Stored::new(asdu, core.params.max_asdu_len())?;
        if core.broadcasts.len() >= core.params.queue_len {
            return Err(SendError::QueueFull {
                address: core.params.broadcast_address(),
            });
        }
        core.broadcasts.push_back(stored);
        Ok(core.id())
    }

    fn queue(&mut self, address: u16, asdu: &[u8], confirm: bool) -> Result<SendId, SendError> {
        let core = &mut self.core;
        let max = core.params.max_asdu_len();
        let id = SendId(core.next_id);
        let remote = core
            .remotes
            .iter_mut()
            .find(|r| r.address == address)
            .ok_or(SendError::UnknownAddress(address))?;
        remote.push(id, confirm, asdu, max)?;
        core.next_id = core.next_id.wrapping_add(1);
        Ok(id)
    }

    /// The next frame to write at `now`, if the line is free (or a repetition is due).
    pub fn poll_transmit(&mut self, now: Instant) -> Option<Transmit> {
        self.core.poll_transmit(now)
    }

    /// When [`UnbalancedPrimary::on_timeout`] or [`UnbalancedPrimary::poll_transmit`] must be
    /// called next: the answer's deadline while a request is outstanding, else the time the
    /// next request is due (possibly already past).
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.core.poll_timeout()
    }

    /// Runs the response timeout at `now`: repeats the outstanding frame, or after
    /// [`Params::retries`] repetitions declares the link down.
    pub fn on_timeout(&mut self, now: Instant, mut on_event: impl FnMut(Event<'_>)) {
        self.core.on_timeout(now, &mut on_event);
    }

    /// Takes the bytes of one read from the line at `now`, and hands each event to `on_event`
    /// (user data borrowed for the call only).
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
    fn remote(&self, address: u16) -> Option<&Remote> {
        self.remotes.iter().find(|r| r.address == address)
    }

    fn id(&mut self) -> SendId {
        let id = SendId(self.next_id);
        self.next_id = self.next_id.wrapping_add(1);
        id
    }

    fn poll_transmit(&mut self, now: Instant) -> Option<Transmit> {
        self.now = self.now.max(now);
        if self.outstanding.is_waiting() {
            return self.outstanding.take_resend();
        }
        if let Some(data) = self.broadcasts.pop_front() {
            let frame = Frame::Variable {
                control: Control::primary(PrimaryFunction::USER_DATA_NO_REPLY, false, false),
                address: self.params.broadcast_address(),
                asdu: data.as_slice(),
            };
            return Transmit::new(&frame, &self.params.link).ok();
        }
        let n = self.remotes.len();
        for k in 0..n {
            let index = (self.turn + k) % n;
            let Some(remote) = self.remotes.get_mut(index) else {
                continue;
            };
            let Some((at, request)) = remote.plan(now, Mode::Unbalanced, &self.params) else {
                continue;
            };
            if at > now {
                continue;
            }
            self.turn = (index + 1) % n;
            let frame = remote.frame(request, false, &self.params, now).ok()?;
            if request != Request::SendNoReply {
                self.outstanding
                    .start(index, request, &frame, now, &self.params);
            }
            return Some(frame);
        }
        None
    }

    fn poll_timeout(&self) -> Option<Instant> {
        if let Some(at) = self.outstanding.timeout(self.now) {
            return Some(at);
        }
        if !self.broadcasts.is_empty() {
            return Some(self.now);
        }
        self.remotes
            .iter()
            .filter_map(|r| r.plan(self.now, Mode::Unbalanced, &self.params))
            .map(|(at, _)| at)
            .min()
    }

    fn on_timeout(&mut self, now: Instant, on_event: &mut impl FnMut(Event<'_>)) {
        self.now = self.now.max(now);
        match self.outstanding.on_timeout(now, &self.params) {
            Some(Timeout::Repeat { remote, attempt }) => on_event(Event::Repeating {
                address: self.remotes.get(remote).map_or(0, |r| r.address),
                attempt,
            }),
            Some(Timeout::Failed { remote, request }) => {
                if let Some(remote) = self.remotes.get_mut(remote) {
                    remote.fail(request, now, &self.params, on_event);
                }
            }
            None => {}
        }
    }

    fn on_frame(&mut self, frame: &Frame<'_>, now: Instant, on_event: &mut impl FnMut(Event<'_>)) {
        let unexpected = |on_event: &mut dyn FnMut(Event<'_>)| {
            let (address, control) = fields(frame).map_or((0, None), |(c, a, _)| (a, Some(c)));
            on_event(Event::Unexpected { address, control });
        };
        let (Some(reply), Some((index, request))) = (Reply::of(frame), self.outstanding.current())
        else {
            unexpected(on_event);
            return;
        };
        let Some(remote) = self.remotes.get_mut(index) else {
            return;
        };
        if reply.address.is_some_and(|a| a != remote.address) {
            unexpected(on_event);
            return;
        }
        if remote.on_reply(
            request,
            &reply,
            Mode::Unbalanced,
            now,
            &self.params,
            on_event,
        ) {
            self.outstanding.answered();
        }
    }
}
