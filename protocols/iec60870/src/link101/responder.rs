//! The secondary side's memory of the frame count bit (IEC 60870-5-2 clause 5.1.2): the FCB of
//! the last frame with FCV = 1 that was accepted, and the answer sent to it, to be sent again
//! when the primary repeats the frame.

use super::transmit::Transmit;

/// The FCB memory of a secondary station.
#[derive(Debug, Clone, Default)]
pub(super) struct Responder {
    /// The FCB of the last frame accepted and our answer to it; `None` after a reset (and at
    /// start), when the next frame with FCV = 1 is accepted whatever its FCB.
    last: Option<(bool, Transmit)>,
}

impl Responder {
    /// Forgets the FCB: the remote reset the link.
    pub(super) fn reset(&mut self) {
        self.last = None;
    }

    /// The answer to send again if a frame with FCV = 1 and this FCB repeats the last one.
    pub(super) fn repeated(&self, fcb: bool) -> Option<&Transmit> {
        match &self.last {
            Some((last, answer)) if *last == fcb => Some(answer),
            _ => None,
        }
    }

    /// Remembers a new frame with FCV = 1 and our answer.
    pub(super) fn accept(&mut self, fcb: bool, answer: Transmit) {
        self.last = Some((fcb, answer));
    }
}
