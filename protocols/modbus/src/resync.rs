//! The outcome of a serial-line decoder that hunts past garbage (Modbus over serial line V1.02
//! §2.5.1.1 and §2.5.2.1: a receiver discards a frame it cannot check and waits for the next).

use crate::Error;

/// What a resynchronising decoder (`rtu::decode_resync`, `ascii::decode_resync`) found.
///
/// Always drop `skipped` bytes from the front of the buffer, even when no frame was found: they can
/// never start a frame. Then, if there is a frame, drop its length too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resync<F> {
    /// Bytes of garbage discarded before the frame (or before the place a frame may still start).
    pub skipped: usize,
    /// The frame and its own length in bytes (counted after `skipped`); `None` when more bytes
    /// are needed.
    pub frame: Option<(F, usize)>,
    /// Why the first discarded byte could not start a frame; `None` when nothing was skipped, or
    /// when the only garbage was before an ASCII start character.
    pub first_error: Option<Error>,
}

impl<F> Resync<F> {
    /// The number of bytes to drop from the buffer: the garbage and the frame, if any.
    pub fn consumed(&self) -> usize {
        self.skipped + self.frame.as_ref().map_or(0, |(_, len)| *len)
    }
}
