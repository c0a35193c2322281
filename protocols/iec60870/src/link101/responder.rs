//! The secondary side of a link, as the unbalanced secondary and the balanced station share
//! it: the memory of the frame count bit (IEC 60870-5-2 clause 5.1.2), the FCB of the last
//! frame with FCV = 1 that was accepted and the answer sent to it, to be sent again when the
//! primary repeats the frame; the answers to the primary functions both procedures treat
//! alike; and the fixed-length answer or single character E5 (IEC 60870-5-101 clause 6.2.4).

use super::event::{Event, Service};
use super::params::Params;
use super::transmit::Transmit;
use crate::ft12::{Control, Frame, PrimaryFunction, SecondaryFunction};
use std::collections::VecDeque;

/// A request of a primary station: the fields of its frame a secondary acts on.
#[derive(Debug, Clone, Copy)]
pub(super) struct Incoming<'a> {
    pub(super) address: u16,
    pub(super) fcb: bool,
    pub(super) fcv: bool,
    pub(super) function: PrimaryFunction,
    pub(super) asdu: Option<&'a [u8]>,
}

impl<'a> Incoming<'a> {
    /// The request in a frame's fields; `None` for a frame of a secondary station.
    pub(super) fn new(control: Control, address: u16, asdu: Option<&'a [u8]>) -> Option<Self> {
        let Control::Primary {
            fcb, fcv, function, ..
        } = control
        else {
            return None;
        };
        Some(Self {
            address,
            fcb,
            fcv,
            function,
            asdu,
        })
    }
}

/// What [`Responder::serve`] made of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Served {
    /// Answer with this function.
    Answer(SecondaryFunction),
    /// Delivered with SEND/NO REPLY: no answer.
    NoAnswer,
    /// A function the station itself answers.
    Other,
}

/// The FCB memory of a secondary station.
#[derive(Debug, Clone, Default)]
pub(super) struct Responder {
    /// The FCB of the last frame accepted and our answer to it; `None` after a reset (and at
    /// start), when the next frame with FCV = 1 is accepted whatever its FCB.
    last: Option<(bool, Transmit)>,
}

impl Responder {
    /// Whether `request` repeats the last frame accepted (FCV = 1, same FCB): then the answer
    /// to it goes to `out` again, the repetition is reported, and the request must not be
    /// served a second time.
    pub(super) fn repeat(
        &self,
        request: &Incoming<'_>,
        out: &mut VecDeque<Transmit>,
        on_event: &mut impl FnMut(Event<'_>),
    ) -> bool {
        match &self.last {
            Some((last, answer)) if request.fcv && *last == request.fcb => {
                out.push_back(answer.clone());
                on_event(Event::Repetition {
                    address: request.address,
                    function: request.function,
                });
                true
            }
            _ => false,
        }
    }

    /// Serves what both procedures treat alike: reset of remote link (ACK, and the FCB is
    /// forgotten), reset of user process (ACK), user data with SEND/CONFIRM (delivered and
    /// ACK, or NACK and not delivered while `full`) and with SEND/NO REPLY (delivered).
    pub(super) fn serve(
        &mut self,
        request: &Incoming<'_>,
        full: bool,
        on_event: &mut impl FnMut(Event<'_>),
    ) -> Served {
        let address = request.address;
        match (request.function, request.asdu) {
            (PrimaryFunction::RESET_REMOTE_LINK, _) => {
                self.last = None;
                on_event(Event::ResetByRemote { address });
                Served::Answer(SecondaryFunction::ACK)
            }
            (PrimaryFunction::RESET_USER_PROCESS, _) => {
                on_event(Event::UserProcessReset { address });
                Served::Answer(SecondaryFunction::ACK)
            }
            // Full: refused and not delivered; the primary holds back while DFC is set.
            (PrimaryFunction::USER_DATA_CONFIRM, Some(_)) if full => {
                Served::Answer(SecondaryFunction::NACK_BUSY)
            }
            (PrimaryFunction::USER_DATA_CONFIRM, Some(asdu)) => {
                on_event(Event::UserData {
                    address,
                    service: Service::Confirmed,
                    asdu,
                });
                Served::Answer(SecondaryFunction::ACK)
            }
            (PrimaryFunction::USER_DATA_NO_REPLY, Some(asdu)) => {
                on_event(Event::UserData {
                    address,
                    service: Service::NoReply,
                    asdu,
                });
                Served::NoAnswer
            }
            _ => Served::Other,
        }
    }

    /// Puts `answer` to `request` on `out`, and remembers it for a repetition when the
    /// request had FCV = 1.
    pub(super) fn answered(
        &mut self,
        request: &Incoming<'_>,
        answer: Transmit,
        out: &mut VecDeque<Transmit>,
    ) {
        if request.fcv {
            self.last = Some((request.fcb, answer.clone()));
        }
        out.push_back(answer);
    }
}

/// Delivers user data sent to the broadcast address with SEND/NO REPLY (the only function a
/// broadcast may carry); returns whether it was one.
pub(super) fn deliver_broadcast(
    request: &Incoming<'_>,
    on_event: &mut impl FnMut(Event<'_>),
) -> bool {
    let (PrimaryFunction::USER_DATA_NO_REPLY, Some(asdu)) = (request.function, request.asdu) else {
        return false;
    };
    on_event(Event::UserData {
        address: request.address,
        service: Service::Broadcast,
        asdu,
    });
    true
}

/// A secondary's fixed-length answer from link `address` with DIR, ACD and DFC, or the
/// single character E5 for ACK or "no data" where [`Params::single_char_ack`] allows it and
/// the answer carries neither ACD nor DFC.
pub(super) fn fixed_answer(
    params: &Params,
    address: u16,
    dir: bool,
    acd: bool,
    dfc: bool,
    function: SecondaryFunction,
) -> Option<Transmit> {
    let plain = matches!(
        function,
        SecondaryFunction::ACK | SecondaryFunction::NACK_NO_DATA
    );
    if params.single_char_ack && plain && !acd && !dfc {
        return Some(Transmit::single_char());
    }
    let frame = Frame::Fixed {
        control: Control::Secondary {
            dir,
            acd,
            dfc,
            function,
        },
        address,
    };
    Transmit::new(&frame, &params.link).ok()
}
