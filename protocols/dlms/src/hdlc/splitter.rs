//! Frames out of a serial byte stream (IEC 62056-46 clause 6.4.1 and 6.4.4.4).
//!
//! On a serial line frames may be separated by one flag or by two (the closing flag of one frame
//! is allowed to open the next: `.. 7E A0 ..` as well as `.. 7E 7E A0 ..`), idle flags may come
//! between frames, and noise or a frame cut short may come anywhere. The splitter keeps the bytes
//! received, hands out each whole frame, and on anything that is not a frame discards one byte and
//! hunts for the next flag (the rule for serial lines in the project's house style), counting what
//! it threw away.

use super::frame::{decode, Frame, FLAG};
use crate::Error;

/// A buffer that turns a serial byte stream into HDLC frames.
#[derive(Debug, Clone, Default)]
pub struct Splitter {
    buf: Vec<u8>,
    /// Bytes at the front of `buf` already handed out or discarded.
    start: usize,
    discarded: u64,
    bad_frames: u64,
    last_error: Option<Error>,
}

impl Splitter {
    /// An empty splitter.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends bytes read from the line.
    pub fn push(&mut self, bytes: &[u8]) {
        self.compact();
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole frame, or `None` when more bytes are needed. Garbage and bad frames before
    /// it are discarded and counted ([`Splitter::discarded`], [`Splitter::bad_frames`]).
    pub fn next_frame(&mut self) -> Option<Frame<'_>> {
        self.compact();
        let mut at = 0usize;
        loop {
            let rest = self.buf.get(at..).unwrap_or_default();
            let Some(flag) = rest.iter().position(|&b| b == FLAG) else {
                self.discarded += rest.len() as u64;
                self.start = self.buf.len();
                return None;
            };
            self.discarded += flag as u64;
            at += flag;
            // Idle flags between frames: the last one opens the frame.
            while self.buf.get(at + 1) == Some(&FLAG) {
                at += 1;
            }
            match decode(self.buf.get(at..).unwrap_or_default()) {
                Ok(None) => {
                    self.start = at;
                    return None;
                }
                Ok(Some((frame, len))) => {
                    // Keep the closing flag: it may open the next frame.
                    self.start = at + len - 1;
                    return Some(frame);
                }
                Err(error) => {
                    self.bad_frames += 1;
                    self.last_error = Some(error);
                    self.discarded += 1;
                    at += 1;
                }
            }
        }
    }

    /// How many bytes were discarded so far: garbage between frames and the bytes of bad frames
    /// (idle flags and shared flags are not counted).
    pub fn discarded(&self) -> u64 {
        self.discarded
    }

    /// How many times a flag did not start a valid frame.
    pub fn bad_frames(&self) -> u64 {
        self.bad_frames
    }

    /// Why the last bad frame was refused, its offset counted from its opening flag.
    pub fn last_error(&self) -> Option<&Error> {
        self.last_error.as_ref()
    }

    /// The bytes kept for a frame not yet complete.
    pub fn buffered(&self) -> usize {
        self.buf.len().saturating_sub(self.start)
    }

    /// Whether the bytes kept hold more than a flag: the start of a frame. A driver that sees no
    /// byte for the inter-octet timeout calls [`Splitter::clear`] then.
    pub fn in_frame(&self) -> bool {
        self.buf
            .get(self.start..)
            .is_some_and(|rest| rest.iter().any(|&b| b != FLAG))
    }

    /// Discards a partial frame (after an inter-octet timeout), counting its bytes but its flag.
    pub fn clear(&mut self) {
        let rest = self.buf.get(self.start..).unwrap_or_default();
        self.discarded += rest.iter().filter(|&&b| b != FLAG).count() as u64;
        self.buf.clear();
        self.start = 0;
    }

    fn compact(&mut self) {
        if self.start > 0 {
            self.buf.drain(..self.start.min(self.buf.len()));
            self.start = 0;
        }
    }
}
