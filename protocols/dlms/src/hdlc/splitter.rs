//! Frames out of a serial byte stream (IEC 62056-46 clause 6.4.1 and 6.4.4.4).
//!
//! On a serial line frames may be separated by one flag or by two (the closing flag of one frame
//! is allowed to open the next: `.. 7E A0 ..` as well as `.. 7E 7E A0 ..`), idle flags may come
//! between frames, and noise or a frame cut short may come anywhere. The splitter keeps the bytes
//! received, hands out each whole frame, and on anything that is not a frame discards one byte and
//! hunts for the next flag (the rule for serial lines in the project's house style), counting what
//! it threw away.
//!
//! What is counted:
//! - [`Splitter::discarded`]: every octet that is neither part of a frame handed out nor a flag
//!   between frames, plus the opening flag of each bad frame. A flag followed by an octet that
//!   cannot start a frame (its high nibble is not frame format type 3, 0xA) is taken as a closing
//!   or idle flag: it is not counted, so `frame 7E 00 7E frame` counts one octet (the 0x00).
//! - [`Splitter::bad_frames`]: each flag followed by a frame format octet that did not lead to a
//!   valid frame (bad length, address, HCS, FCS or closing flag).
//!
//! The work is linear in the bytes pushed: frames are read from a cursor, and the consumed prefix
//! is moved out of the buffer only by [`Splitter::push`], and only once it is at least half of
//! the buffer ([`Splitter::bytes_moved`] counts the octets moved).

use super::frame::{decode, Frame, FLAG, FORMAT_TYPE_3};
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
    /// Octets moved to the front of `buf` by compaction.
    moved: u64,
}

impl Splitter {
    /// An empty splitter.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends bytes read from the line.
    pub fn push(&mut self, bytes: &[u8]) {
        // Moving the kept bytes costs at most as much as the consumed ones did to read: linear.
        if self.start > 0 && self.start >= self.buf.len() - self.start.min(self.buf.len()) {
            self.compact();
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole frame, or `None` when more bytes are needed. Garbage and bad frames before
    /// it are discarded and counted ([`Splitter::discarded`], [`Splitter::bad_frames`]).
    pub fn next_frame(&mut self) -> Option<Frame<'_>> {
        let mut at = self.start;
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
                    // A flag before an octet that cannot open a frame closes one or idles.
                    let opens = self
                        .buf
                        .get(at + 1)
                        .is_some_and(|&b| b & 0xF0 == FORMAT_TYPE_3);
                    if opens {
                        self.bad_frames += 1;
                        self.last_error = Some(error);
                        self.discarded += 1;
                    }
                    at += 1;
                }
            }
        }
    }

    /// How many bytes were discarded so far: garbage between frames and the bytes of bad frames
    /// with their opening flag; idle, shared and closing flags are not counted (module
    /// documentation).
    pub fn discarded(&self) -> u64 {
        self.discarded
    }

    /// How many times a flag followed by a frame format octet did not start a valid frame.
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

    /// How many octets compaction moved so far: a measure of the splitter's work, at most the
    /// number of octets pushed.
    pub fn bytes_moved(&self) -> u64 {
        self.moved
    }

    fn compact(&mut self) {
        if self.start > 0 {
            let start = self.start.min(self.buf.len());
            self.moved += (self.buf.len() - start) as u64;
            self.buf.drain(..start);
            self.start = 0;
        }
    }
}
