//! A frame queued for sending, encoded into a fixed buffer so that queuing needs no allocation.

use crate::ft12::{Control, Frame, LinkConfig, MAX_FRAME_LEN, SINGLE_CHAR, START_FIXED};
use crate::Error;
use std::fmt;

/// One encoded FT1.2 frame for the caller to write to the serial line (IEC 60870-5-1 clause
/// 6.2.4), from a link's `poll_transmit`.
#[derive(Clone, PartialEq, Eq)]
pub struct Transmit {
    len: usize,
    bytes: [u8; MAX_FRAME_LEN],
}

impl Transmit {
    /// Encodes `frame`.
    ///
    /// # Errors
    /// Those of [`Frame::encode`]: an address too large, user data too long.
    pub(super) fn new(frame: &Frame<'_>, config: &LinkConfig) -> Result<Self, Error> {
        let mut bytes = [0; MAX_FRAME_LEN];
        let mut out: &mut [u8] = &mut bytes;
        frame.encode(config, &mut out)?;
        Ok(Self {
            len: frame.encoded_len(config),
            bytes,
        })
    }

    /// The single character E5.
    pub(super) fn single_char() -> Self {
        let mut bytes = [0; MAX_FRAME_LEN];
        bytes[0] = SINGLE_CHAR;
        Self { len: 1, bytes }
    }

    /// The bytes to write.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }

    /// The control field; `None` for the single character.
    pub fn control(&self) -> Option<Control> {
        let at = match self.bytes.first() {
            Some(&START_FIXED) => 1,
            Some(&SINGLE_CHAR) => return None,
            _ => 4,
        };
        self.bytes.get(at).map(|&c| Control::from_octet(c))
    }

    /// The frame as the peer decodes it (`None` is impossible for a frame this crate built).
    pub fn frame(&self, config: &LinkConfig) -> Option<Frame<'_>> {
        match crate::ft12::decode(self.as_bytes(), config) {
            Ok(Some((frame, _))) => Some(frame),
            _ => None,
        }
    }
}

impl fmt::Debug for Transmit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transmit")
            .field("control", &self.control())
            .field("bytes", &self.as_bytes())
            .finish()
    }
}
