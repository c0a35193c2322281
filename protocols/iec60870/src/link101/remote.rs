//! The primary side of one link: what a primary station knows of one remote secondary (link
//! state, FCB, ACD, DFC, user data waiting), the request it sends next and how it takes the
//! answer (IEC 60870-5-2 clause 5.1, IEC 60870-5-101 clause 6.1). Shared by the unbalanced primary
//! (one per secondary) and the balanced station (one).

use super::event::{Event, Refusal, SendError, SendId, Service};
use super::params::Params;
use super::rx::fields;
use super::stored::Stored;
use super::transmit::Transmit;
use crate::ft12::{Control, Frame, PrimaryFunction, SecondaryFunction};
use crate::Error;
use std::collections::VecDeque;
use std::time::Instant;

/// Which transmission procedure the remote is served with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// Polled for class 1 and class 2 data.
    Unbalanced,
    /// Tested with FC 2 when idle; ACD is not used.
    Balanced,
}

/// A request of the primary station: the function it sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Request {
    /// FC 9, request status of link.
    Status,
    /// FC 0, reset of remote link.
    Reset,
    /// FC 3, the user data at the front of the queue.
    Send(SendId),
    /// FC 4 to this station, the user data at the front of the queue (no answer).
    SendNoReply,
    /// FC 10.
    Class1,
    /// FC 11.
    Class2,
    /// FC 2, test function for link.
    Test,
}

impl Request {
    fn function(self) -> PrimaryFunction {
        match self {
            Self::Status => PrimaryFunction::REQUEST_LINK_STATUS,
            Self::Reset => PrimaryFunction::RESET_REMOTE_LINK,
            Self::Send(_) => PrimaryFunction::USER_DATA_CONFIRM,
            Self::SendNoReply => PrimaryFunction::USER_DATA_NO_REPLY,
            Self::Class1 => PrimaryFunction::REQUEST_CLASS_1,
            Self::Class2 => PrimaryFunction::REQUEST_CLASS_2,
            Self::Test => PrimaryFunction::TEST_LINK,
        }
    }

    /// Whether the frame counts with FCB (FCV = 1): the SEND/CONFIRM and REQUEST/RESPOND
    /// services other than reset and status.
    fn fcv(self) -> bool {
        matches!(
            self,
            Self::Send(_) | Self::Class1 | Self::Class2 | Self::Test
        )
    }
}

/// Where the link to the remote stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Down: request the status of the link from `retry_at` on.
    Down { retry_at: Instant },
    /// The status came: reset the remote link next.
    NeedReset,
    /// Reset acknowledged: data may flow.
    Up,
}

/// An answer from a secondary station, as the primary reads it.
#[derive(Debug, Clone, Copy)]
pub(super) enum Answer<'a> {
    Ack,
    Nack,
    UserData(&'a [u8]),
    NoData,
    Status,
    NotFunctioning,
    NotImplemented,
    Other,
}

/// A frame from a secondary station: its answer, ACD, DFC, address and control field (`None`
/// for E5).
#[derive(Debug, Clone, Copy)]
pub(super) struct Reply<'a> {
    pub(super) answer: Answer<'a>,
    pub(super) acd: bool,
    pub(super) dfc: bool,
    pub(super) address: Option<u16>,
    pub(super) control: Option<Control>,
}

impl<'a> Reply<'a> {
    /// Reads a frame from a secondary station; `None` for a primary frame.
    pub(super) fn of(frame: &Frame<'a>) -> Option<Self> {
        let Some((control, address, asdu)) = fields(frame) else {
            // E5 is an ACK.
            return Some(Self {
                answer: Answer::Ack,
                acd: false,
                dfc: false,
                address: None,
                control: None,
            });
        };
        let Control::Secondary {
            acd, dfc, function, ..
        } = control
        else {
            return None;
        };
        let answer = match (function, asdu) {
            (SecondaryFunction::USER_DATA, Some(asdu)) => Answer::UserData(asdu),
            (_, Some(_)) => Answer::Other,
            (SecondaryFunction::ACK, None) => Answer::Ack,
            (SecondaryFunction::NACK_BUSY, None) => Answer::Nack,
            (SecondaryFunction::NACK_NO_DATA, None) => Answer::NoData,
            (SecondaryFunction::LINK_STATUS, None) => Answer::Status,
            (SecondaryFunction::LINK_NOT_FUNCTIONING, None) => Answer::NotFunctioning,
            (SecondaryFunction::LINK_NOT_IMPLEMENTED, None) => Answer::NotImplemented,
            (_, None) => Answer::Other,
        };
        Some(Self {
            answer,
            acd,
            dfc,
            address: Some(address),
            control: Some(control),
        })
    }
}

/// User data waiting for a remote station.
#[derive(Debug, Clone)]
struct Pending {
    id: SendId,
    confirm: bool,
    asdu: Stored,
}

/// What a primary station knows of one remote station.
#[derive(Debug, Clone)]
pub(super) struct Remote {
    pub(super) address: u16,
    step: Step,
    /// The FCB of the next frame with FCV = 1.
    fcb: bool,
    acd: bool,
    dfc: bool,
    /// When the next class 2 poll (unbalanced) or busy status request (balanced) is due.
    next_poll: Instant,
    /// When the last exchange with the remote ended (balanced: the idle test runs from there).
    last_activity: Instant,
    queue: VecDeque<Pending>,
    queue_len: usize,
}

impl Remote {
    /// A remote station whose link is down, to be started at `now`.
    pub(super) fn new(address: u16, params: &Params, now: Instant) -> Self {
        Self {
            address,
            step: Step::Down { retry_at: now },
            fcb: true,
            acd: false,
            dfc: false,
            next_poll: now,
            last_activity: now,
            queue: VecDeque::with_capacity(params.queue_len.min(64)),
            queue_len: params.queue_len,
        }
    }

    pub(super) fn is_up(&self) -> bool {
        self.step == Step::Up
    }

    pub(super) fn is_busy(&self) -> bool {
        self.dfc
    }

    /// Restarts the idle time of the link test: the remote was heard from.
    pub(super) fn touch(&mut self, now: Instant) {
        self.last_activity = self.last_activity.max(now);
    }

    pub(super) fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Discards the user data waiting, except `on_line` (the frame on the line, which its
    /// answer or its last repetition ends); returns how many were discarded.
    pub(super) fn clear(&mut self, on_line: Option<Request>) -> usize {
        let before = self.queue.len();
        let keep = match on_line {
            Some(Request::Send(id)) => Some(id),
            _ => None,
        };
        self.queue.retain(|p| Some(p.id) == keep);
        before - self.queue.len()
    }

    /// Queues user data.
    pub(super) fn push(
        &mut self,
        id: SendId,
        confirm: bool,
        asdu: &[u8],
        max: usize,
    ) -> Result<(), SendError> {
        let asdu = Stored::new(asdu, max)?;
        if self.queue.len() >= self.queue_len {
            return Err(SendError::QueueFull {
                address: self.address,
            });
        }
        self.queue.push_back(Pending { id, confirm, asdu });
        Ok(())
    }

    /// The next request and when it is due; `None` when there is nothing to do.
    pub(super) fn plan(
        &self,
        now: Instant,
        mode: Mode,
        params: &Params,
    ) -> Option<(Instant, Request)> {
        match self.step {
            Step::Down { retry_at } => return Some((retry_at, Request::Status)),
            Step::NeedReset => return Some((now, Request::Reset)),
            Step::Up => {}
        }
        if let Some(front) = self.queue.front() {
            if !self.dfc {
                let request = match front.confirm {
                    true => Request::Send(front.id),
                    false => Request::SendNoReply,
                };
                return Some((now, request));
            }
        }
        match mode {
            Mode::Unbalanced if self.acd => Some((now, Request::Class1)),
            Mode::Unbalanced => Some((self.next_poll, Request::Class2)),
            // DFC is cleared only by an answer: ask for the status every poll interval while it
            // is set, whether or not user data wait here (a master may keep its data back
            // until the link can take it, and the idle test never comes on a busy line).
            Mode::Balanced if self.dfc => Some((self.next_poll, Request::Status)),
            Mode::Balanced => params
                .test_interval
                .and_then(|t| self.last_activity.checked_add(t))
                .map(|at| (at, Request::Test)),
        }
    }

    /// Encodes `request` for this station. A SEND/NO REPLY leaves the queue here.
    pub(super) fn frame(
        &mut self,
        request: Request,
        dir: bool,
        params: &Params,
        now: Instant,
    ) -> Result<Transmit, Error> {
        let fcv = request.fcv();
        let control = Control::Primary {
            dir,
            fcb: fcv && self.fcb,
            fcv,
            function: request.function(),
        };
        let address = self.address;
        if matches!(request, Request::Class2 | Request::Status) {
            self.next_poll = now.checked_add(params.poll_interval).unwrap_or(now);
        }
        match request {
            Request::Send(_) | Request::SendNoReply => {
                let pending = match request {
                    Request::SendNoReply => self.queue.pop_front(),
                    _ => self.queue.front().cloned(),
                };
                let asdu = pending
                    .as_ref()
                    .map(|p| p.asdu.as_slice())
                    .unwrap_or_default();
                let frame = Frame::Variable {
                    control,
                    address,
                    asdu,
                };
                Transmit::new(&frame, &params.link)
            }
            _ => Transmit::new(&Frame::Fixed { control, address }, &params.link),
        }
    }

    /// Takes the answer to `request`. Returns whether it ends the exchange; an answer that
    /// does not fit the request is reported and ignored.
    pub(super) fn on_reply(
        &mut self,
        request: Request,
        reply: &Reply<'_>,
        mode: Mode,
        now: Instant,
        params: &Params,
        on_event: &mut impl FnMut(Event<'_>),
    ) -> bool {
        let address = self.address;
        let fits = matches!(
            (request, reply.answer),
            (Request::Status, Answer::Status)
                | (Request::Reset, Answer::Ack | Answer::Nack)
                | (
                    Request::Status | Request::Reset,
                    Answer::NotFunctioning | Answer::NotImplemented
                )
                | (
                    Request::Send(_) | Request::Test,
                    Answer::Ack | Answer::Nack | Answer::NotFunctioning | Answer::NotImplemented
                )
                | (
                    Request::Class1 | Request::Class2,
                    Answer::UserData(_)
                        | Answer::NoData
                        | Answer::Ack
                        | Answer::Nack
                        | Answer::NotFunctioning
                        | Answer::NotImplemented
                )
        );
        if !fits {
            on_event(Event::Unexpected {
                address: reply.address.unwrap_or(0),
                control: reply.control,
            });
            return false;
        }
        self.last_activity = now;
        let acd = mode == Mode::Unbalanced && reply.acd;
        if acd && !self.acd {
            on_event(Event::AccessDemand { address });
        }
        self.acd = acd;
        if reply.dfc != self.dfc {
            self.dfc = reply.dfc;
            on_event(Event::Busy {
                address,
                busy: reply.dfc,
            });
        }
        if request.fcv() {
            self.fcb = !self.fcb;
        }
        match (request, reply.answer) {
            (Request::Status, Answer::Status) if self.step != Step::Up => {
                self.step = Step::NeedReset;
            }
            (Request::Status, Answer::NotFunctioning | Answer::NotImplemented) => {
                // The secondary's link service does not work: try again later.
                let was_up = self.step == Step::Up;
                self.step = Step::Down {
                    retry_at: now.checked_add(params.link_retry).unwrap_or(now),
                };
                if was_up {
                    on_event(Event::LinkDown { address });
                }
            }
            (Request::Reset, Answer::Ack) => {
                self.step = Step::Up;
                self.fcb = true;
                // Poll at once: the secondary may hold data from before the reset.
                self.next_poll = now;
                on_event(Event::LinkUp { address });
            }
            (Request::Reset, _) => {
                self.step = Step::Down {
                    retry_at: now.checked_add(params.link_retry).unwrap_or(now),
                };
            }
            (Request::Send(id), answer) => {
                self.queue.pop_front();
                let reason = match answer {
                    Answer::Ack => {
                        on_event(Event::Confirmed { address, id });
                        return true;
                    }
                    Answer::Nack => Refusal::Busy,
                    Answer::NotFunctioning => Refusal::NotFunctioning,
                    _ => Refusal::NotImplemented,
                };
                on_event(Event::NotConfirmed {
                    address,
                    id,
                    reason,
                });
            }
            (Request::Class1, Answer::UserData(asdu)) => on_event(Event::UserData {
                address,
                service: Service::Class1,
                asdu,
            }),
            (Request::Class2, Answer::UserData(asdu)) => on_event(Event::UserData {
                address,
                service: Service::Class2,
                asdu,
            }),
            _ => {}
        }
        true
    }

    /// `request` went unanswered after every repetition: the link is down.
    pub(super) fn fail(
        &mut self,
        request: Request,
        now: Instant,
        params: &Params,
        on_event: &mut impl FnMut(Event<'_>),
    ) {
        let address = self.address;
        if let Request::Send(id) = request {
            self.queue.pop_front();
            on_event(Event::NotConfirmed {
                address,
                id,
                reason: Refusal::NoResponse,
            });
        }
        let was_up = self.step == Step::Up;
        self.step = Step::Down {
            retry_at: now.checked_add(params.link_retry).unwrap_or(now),
        };
        self.acd = false;
        self.dfc = false;
        if was_up {
            on_event(Event::LinkDown { address });
        }
    }
}
