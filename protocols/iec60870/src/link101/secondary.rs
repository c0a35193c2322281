//! The unbalanced secondary station (IEC 60870-5-2 clause 5.1, IEC 60870-5-101 clause 6.1):
//! a controlled station that speaks only when asked.

use super::event::{Event, SendError};
use super::params::{Params, ParamsError};
use super::responder::{deliver_broadcast, fixed_answer, Incoming, Responder, Served};
use super::rx::{fields, Receiver};
use super::stored::Stored;
use super::transmit::Transmit;
use crate::ft12::{Control, Frame, PrimaryFunction, SecondaryFunction};
use std::collections::VecDeque;

/// The link layer of an unbalanced secondary station with one link address.
///
/// It answers every request addressed to it at once, one answer per request, and never sends
/// on its own: call [`UnbalancedSecondary::poll_transmit`] after each
/// [`UnbalancedSecondary::on_bytes`]. It keeps no timers. Fill its class 1 and class 2 queues
/// with [`UnbalancedSecondary::push_class1`] and [`UnbalancedSecondary::push_class2`]; the
/// primary fetches them with FC 10 and FC 11, and ACD tells it when class 1 data wait.
#[derive(Debug, Clone)]
pub struct UnbalancedSecondary {
    rx: Receiver,
    core: Core,
}

#[derive(Debug, Clone)]
struct Core {
    params: Params,
    address: u16,
    responder: Responder,
    class1: VecDeque<Stored>,
    class2: VecDeque<Stored>,
    full: bool,
    out: VecDeque<Transmit>,
}

impl UnbalancedSecondary {
    /// A secondary station with link `address` (0 without an address field).
    ///
    /// # Errors
    /// [`Params::check`]'s, and [`ParamsError::BadAddress`] for an address that does not fit
    /// the field or is the broadcast address.
    pub fn new(params: Params, address: u16) -> Result<Self, ParamsError> {
        params.check()?;
        params.check_address(address)?;
        Ok(Self {
            rx: Receiver::new(),
            core: Core {
                params,
                address,
                responder: Responder::default(),
                class1: VecDeque::with_capacity(params.queue_len.min(64)),
                class2: VecDeque::with_capacity(params.queue_len.min(64)),
                full: false,
                out: VecDeque::with_capacity(4),
            },
        })
    }

    /// The link address.
    pub fn address(&self) -> u16 {
        self.core.address
    }

    /// The parameters.
    pub fn params(&self) -> &Params {
        &self.core.params
    }

    /// Queues class 1 data (events, command answers): ACD is set until they are fetched.
    ///
    /// # Errors
    /// [`SendError::QueueFull`] with [`Params::queue_len`] waiting, [`SendError::Length`].
    pub fn push_class1(&mut self, asdu: &[u8]) -> Result<(), SendError> {
        let core = &mut self.core;
        push(&mut core.class1, asdu, &core.params, core.address)
    }

    /// Queues class 2 data (cyclic and background data).
    ///
    /// # Errors
    /// [`SendError::QueueFull`] with [`Params::queue_len`] waiting, [`SendError::Length`].
    pub fn push_class2(&mut self, asdu: &[u8]) -> Result<(), SendError> {
        let core = &mut self.core;
        push(&mut core.class2, asdu, &core.params, core.address)
    }

    /// The class 1 and class 2 data waiting.
    pub fn queued(&self) -> (usize, usize) {
        (self.core.class1.len(), self.core.class2.len())
    }

    /// Says whether we can take more user data: while full, answers carry DFC = 1 and user
    /// data sent with FC 3 are refused with NACK (FC 1) and not delivered.
    pub fn set_full(&mut self, full: bool) {
        self.core.full = full;
    }

    /// Whether [`UnbalancedSecondary::set_full`] said full.
    pub fn is_full(&self) -> bool {
        self.core.full
    }

    /// The next answer to write to the line.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.core.out.pop_front()
    }

    /// Takes the bytes of one read from the line and hands each event to `on_event`.
    pub fn on_bytes(&mut self, data: &[u8], mut on_event: impl FnMut(Event<'_>)) {
        let core = &mut self.core;
        let config = core.params.link;
        self.rx
            .frames(data, &config, &mut on_event, |frame, on_event| {
                core.on_frame(frame, on_event)
            });
    }
}

fn push(
    queue: &mut VecDeque<Stored>,
    asdu: &[u8],
    params: &Params,
    address: u16,
) -> Result<(), SendError> {
    let stored = Stored::new(asdu, params.max_asdu_len())?;
    if queue.len() >= params.queue_len {
        return Err(SendError::QueueFull { address });
    }
    queue.push_back(stored);
    Ok(())
}

impl Core {
    fn on_frame(&mut self, frame: &Frame<'_>, on_event: &mut impl FnMut(Event<'_>)) {
        // Answers of other secondaries on a party line, and the single character, are not ours.
        let Some((control, address, asdu)) = fields(frame) else {
            return;
        };
        let Some(request) = Incoming::new(control, address, asdu) else {
            return;
        };
        let unexpected = Event::Unexpected {
            address,
            control: Some(control),
        };
        if self.params.is_broadcast(address) {
            if !deliver_broadcast(&request, on_event) {
                on_event(unexpected);
            }
            return;
        }
        if address != self.address || self.responder.repeat(&request, &mut self.out, on_event) {
            return;
        }
        let answer = match self.responder.serve(&request, self.full, on_event) {
            Served::Answer(function) => self.fixed(function),
            Served::NoAnswer => return,
            Served::Other => match (request.function, asdu) {
                (
                    PrimaryFunction::REQUEST_LINK_STATUS | PrimaryFunction::REQUEST_ACCESS_DEMAND,
                    _,
                ) => self.fixed(SecondaryFunction::LINK_STATUS),
                (PrimaryFunction::REQUEST_CLASS_1, _) => {
                    let data = self.class1.pop_front();
                    self.user_data(data)
                }
                (PrimaryFunction::REQUEST_CLASS_2, _) => {
                    let data = self.class2.pop_front();
                    self.user_data(data)
                }
                (
                    PrimaryFunction::USER_DATA_CONFIRM | PrimaryFunction::USER_DATA_NO_REPLY,
                    None,
                ) => {
                    on_event(unexpected);
                    return;
                }
                _ => self.fixed(SecondaryFunction::LINK_NOT_IMPLEMENTED),
            },
        };
        let Some(answer) = answer else { return };
        self.responder.answered(&request, answer, &mut self.out);
    }

    /// A fixed-length answer with ACD and DFC as they stand, or E5 where allowed.
    fn fixed(&self, function: SecondaryFunction) -> Option<Transmit> {
        let acd = !self.class1.is_empty();
        fixed_answer(&self.params, self.address, false, acd, self.full, function)
    }

    /// User data (FC 8), or "no data" when the class queue was empty.
    fn user_data(&self, data: Option<Stored>) -> Option<Transmit> {
        let Some(data) = data else {
            return self.fixed(SecondaryFunction::NACK_NO_DATA);
        };
        let frame = Frame::Variable {
            control: Control::secondary(
                SecondaryFunction::USER_DATA,
                !self.class1.is_empty(),
                self.full,
            ),
            address: self.address,
            asdu: data.as_slice(),
        };
        Transmit::new(&frame, &self.params.link).ok()
    }
}
