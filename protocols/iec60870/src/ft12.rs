//! IEC 60870-5-101 link frames: the FT1.2 format of IEC 60870-5-1 clause 6.2.4, with the control
//! field and link address of IEC 60870-5-2 and IEC 60870-5-101 clause 6.
//!
//! ```text
//! single character   E5
//! fixed length       10 | C | A (0, 1 or 2 octets) | CS | 16
//! variable length    68 | L | L | 68 | C | A (0, 1 or 2) | user data (the ASDU) | CS | 16
//! ```
//!
//! L counts the control, address and user data octets (at most 255); CS is their sum modulo 256.
//! The link address is little-endian. [`decode`] is strict: the frame must start at the first
//! byte. On a serial line use [`decode_hunting`], which discards garbage up to the next start
//! character and says how many bytes it dropped (IEC 60870-5-1 clause 6.2.4.2: a frame that fails
//! a check is discarded and the receiver waits for the next start character).

mod control;

pub use control::{Control, PrimaryFunction, SecondaryFunction};

use crate::error::ensure_room;
use crate::Error;
use bytes::BufMut;

/// The single control character, E5: acknowledgement (IEC 60870-5-1 clause 6.2.4.2).
pub const SINGLE_CHAR: u8 = 0xE5;
/// The start character of a fixed-length frame, 0x10.
pub const START_FIXED: u8 = 0x10;
/// The start character of a variable-length frame, 0x68 (sent twice).
pub const START_VARIABLE: u8 = 0x68;
/// The end character of fixed and variable frames, 0x16.
pub const END: u8 = 0x16;
/// The largest length octet L: 255.
pub const MAX_L: u8 = u8::MAX;
/// The longest FT1.2 frame: 4 header octets, L = 255, checksum and end, 261 bytes.
pub const MAX_FRAME_LEN: usize = 6 + MAX_L as usize;

/// The length of the link address field, fixed per system (IEC 60870-5-101 clause 6.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AddressLen {
    /// No address field: balanced transmission between two stations only.
    Zero,
    /// One octet, 0..=255 (255 is the broadcast address).
    #[default]
    One,
    /// Two octets, 0..=65535 little-endian (65535 is the broadcast address).
    Two,
}

impl AddressLen {
    /// The number of octets: 0, 1 or 2.
    pub const fn octets(self) -> usize {
        match self {
            Self::Zero => 0,
            Self::One => 1,
            Self::Two => 2,
        }
    }

    /// The largest address the field holds: 0, 255 or 65535.
    pub const fn max_address(self) -> u16 {
        match self {
            Self::Zero => 0,
            Self::One => 0xFF,
            Self::Two => 0xFFFF,
        }
    }
}

/// The link parameters both stations agree on (IEC 60870-5-101 clause 6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct LinkConfig {
    /// The length of the link address field.
    pub address_len: AddressLen,
}

impl LinkConfig {
    /// A configuration with `address_len` octets of link address.
    pub const fn new(address_len: AddressLen) -> Self {
        Self { address_len }
    }

    /// The shortest L: the control field and the address.
    pub const fn min_l(self) -> u8 {
        1 + self.address_len.octets() as u8
    }
}

/// One FT1.2 frame, with the user data borrowed from the decoded buffer
/// (IEC 60870-5-1 clause 6.2.4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame<'a> {
    /// The single control character E5, an acknowledgement from the secondary station in place
    /// of a fixed-length ACK or "requested data not available".
    SingleChar,
    /// A fixed-length frame: control and address, no user data.
    Fixed {
        /// The control field.
        control: Control,
        /// The link address (0 when the configuration has none).
        address: u16,
    },
    /// A variable-length frame: control, address and user data.
    Variable {
        /// The control field.
        control: Control,
        /// The link address (0 when the configuration has none).
        address: u16,
        /// The user data: an ASDU.
        asdu: &'a [u8],
    },
}

/// The FT1.2 checksum: the arithmetic sum modulo 256 of `octets` (IEC 60870-5-1 clause 6.2.4.2).
pub fn checksum(octets: &[u8]) -> u8 {
    octets.iter().fold(0u8, |sum, &b| sum.wrapping_add(b))
}

/// Whether `byte` starts an FT1.2 frame: 0x10, 0x68 or 0xE5 (IEC 60870-5-1 clause 6.2.4.2).
pub const fn is_start_char(byte: u8) -> bool {
    matches!(byte, START_FIXED | START_VARIABLE | SINGLE_CHAR)
}

/// Decodes one FT1.2 frame from the start of `buf` (IEC 60870-5-1 clause 6.2.4.2).
///
/// Returns `Ok(None)` while the buffer holds less than a whole frame, else the frame and its
/// length. Each check runs as soon as its byte is there, so garbage is refused early.
///
/// # Errors
/// [`Error::BadStartChar`] (offset 0); for variable frames [`Error::BadFrameLength`] (1),
/// [`Error::LengthMismatch`] (2), [`Error::BadStartByte`] (3); [`Error::BadChecksum`] and
/// [`Error::BadEndChar`] at the frame's last two bytes.
pub fn decode<'a>(buf: &'a [u8], config: &LinkConfig) -> Result<Option<(Frame<'a>, usize)>, Error> {
    let Some(&start) = buf.first() else {
        return Ok(None);
    };
    let addr_len = config.address_len.octets();
    match start {
        SINGLE_CHAR => Ok(Some((Frame::SingleChar, 1))),
        START_FIXED => {
            // 10 | C | A | CS | 16: the checked octets start at 1.
            let Some((body, cs)) = check_tail(buf, 1, 1 + addr_len)? else {
                return Ok(None);
            };
            let (control, address) = control_and_address(body, addr_len);
            Ok(Some((Frame::Fixed { control, address }, cs + 2)))
        }
        START_VARIABLE => {
            let Some(&l) = buf.get(1) else {
                return Ok(None);
            };
            if l < config.min_l() {
                return Err(Error::BadFrameLength {
                    offset: 1,
                    min: config.min_l(),
                    max: MAX_L,
                    found: l,
                });
            }
            let Some(&l2) = buf.get(2) else {
                return Ok(None);
            };
            if l2 != l {
                return Err(Error::LengthMismatch {
                    offset: 2,
                    expected: l,
                    found: l2,
                });
            }
            let Some(&start2) = buf.get(3) else {
                return Ok(None);
            };
            if start2 != START_VARIABLE {
                return Err(Error::BadStartByte {
                    offset: 3,
                    expected: START_VARIABLE,
                    found: start2,
                });
            }
            // 68 L L 68 | C A data (L octets) | CS | 16: the checked octets start at 4.
            let Some((body, cs)) = check_tail(buf, 4, usize::from(l))? else {
                return Ok(None);
            };
            let (control, address) = control_and_address(body, addr_len);
            let asdu = body.get(1 + addr_len..).unwrap_or_default();
            Ok(Some((
                Frame::Variable {
                    control,
                    address,
                    asdu,
                },
                cs + 2,
            )))
        }
        found => Err(Error::BadStartChar { offset: 0, found }),
    }
}

/// Checks the checksum and end character after the `len` octets at `from`: returns those octets
/// and the offset of the checksum, or `None` when bytes are missing.
fn check_tail(buf: &[u8], from: usize, len: usize) -> Result<Option<(&[u8], usize)>, Error> {
    let cs_at = from + len;
    let (Some(body), Some(&found)) = (buf.get(from..cs_at), buf.get(cs_at)) else {
        return Ok(None);
    };
    let expected = checksum(body);
    if found != expected {
        return Err(Error::BadChecksum {
            offset: cs_at,
            expected,
            found,
        });
    }
    let Some(&end) = buf.get(cs_at + 1) else {
        return Ok(None);
    };
    if end != END {
        return Err(Error::BadEndChar {
            offset: cs_at + 1,
            expected: END,
            found: end,
        });
    }
    Ok(Some((body, cs_at)))
}

/// The control field and the little-endian address of `addr_len` octets at the start of `body`
/// (whose length the caller checked).
fn control_and_address(body: &[u8], addr_len: usize) -> (Control, u16) {
    let (control, address) = match (addr_len, body) {
        (2, [c, lo, hi, ..]) => (*c, u16::from_le_bytes([*lo, *hi])),
        (1, [c, a, ..]) => (*c, u16::from(*a)),
        (_, [c, ..]) => (*c, 0),
        (_, []) => (0, 0),
    };
    (Control::from_octet(control), address)
}

/// What [`decode_hunting`] found.
///
/// Always drop [`Hunt::discarded`] bytes from the front of the buffer, even when no frame was
/// found: they can never start a frame. Then, if there is a frame, drop its length too; or simply
/// drop [`Hunt::consumed`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunt<'a> {
    /// Bytes of garbage discarded before the frame, or before the place a frame may still start.
    pub discarded: usize,
    /// The frame and its own length in bytes (counted after `discarded`); `None` when more bytes
    /// are needed.
    pub frame: Option<(Frame<'a>, usize)>,
    /// Why the first discarded byte could not start a frame (offset from the start of the
    /// buffer); `None` when nothing was discarded.
    pub first_error: Option<Error>,
}

impl Hunt<'_> {
    /// The number of bytes to drop from the buffer: the garbage and the frame, if any.
    pub fn consumed(&self) -> usize {
        self.discarded + self.frame.as_ref().map_or(0, |(_, len)| *len)
    }
}

/// Decodes the first FT1.2 frame in `buf`, discarding whatever comes before it: the decoder mode
/// for serial lines, where a receiver that finds an error hunts for the next start character
/// (IEC 60870-5-1 clause 6.2.4.2, IEC 60870-5-101 clause 6.2).
///
/// Every position holding 0x10, 0x68 or 0xE5 is tried in turn; a position whose frame fails a
/// check is discarded with everything before the next start character, and a frame whose
/// header is sound (68 L L 68, or 10 with its end character in place) but whose checksum or end
/// character is wrong is discarded whole, start characters inside it included.
pub fn decode_hunting<'a>(buf: &'a [u8], config: &LinkConfig) -> Hunt<'a> {
    let mut first_error = None;
    let mut at = 0;
    loop {
        let candidate = if at == 0 && !buf.is_empty() {
            Some(0)
        } else {
            buf.get(at..)
                .and_then(|rest| rest.iter().position(|&b| is_start_char(b)))
                .map(|pos| at + pos)
        };
        let Some(start) = candidate else {
            return Hunt {
                discarded: buf.len(),
                frame: None,
                first_error,
            };
        };
        match decode(buf.get(start..).unwrap_or_default(), config) {
            Ok(frame) => {
                return Hunt {
                    discarded: start,
                    frame,
                    first_error,
                }
            }
            Err(error) => {
                let frame = buf.get(start..).unwrap_or_default();
                let variable = frame.first() == Some(&START_VARIABLE);
                let skip = match error {
                    Error::BadChecksum { offset, .. }
                        if variable || frame.get(offset + 1) == Some(&END) =>
                    {
                        offset + 2
                    }
                    Error::BadEndChar { offset, .. } if variable => offset + 1,
                    _ => 1,
                };
                first_error.get_or_insert(error.shifted(start));
                // A frame whose header held (68 L L 68, or a fixed frame with its end
                // character in place) but whose checksum or end character failed is skipped
                // whole: a start character inside it is data, not a frame (an E5 in a corrupt
                // answer must not pass for an acknowledgement). IEC 60870-5-1 clause 6.2.4.2 has
                // the receiver wait for an idle line after such an error. A lone 0x10 in
                // garbage proves nothing, so a fixed frame without its end character is
                // hunted past byte by byte.
                at = start + skip;
            }
        }
    }
}

impl Frame<'_> {
    /// The number of bytes [`Frame::encode`] writes with `config`.
    pub fn encoded_len(&self, config: &LinkConfig) -> usize {
        let addr_len = config.address_len.octets();
        match self {
            Self::SingleChar => 1,
            Self::Fixed { .. } => 4 + addr_len,
            Self::Variable { asdu, .. } => 7 + addr_len + asdu.len(),
        }
    }

    /// Writes the frame, with the checksum and the end character. Nothing is written on error.
    ///
    /// # Errors
    /// [`Error::AddressTooLarge`] when the address does not fit the configured length,
    /// [`Error::UserDataLength`] when L would exceed 255, [`Error::BufferTooSmall`].
    pub fn encode(&self, config: &LinkConfig, buf: &mut impl BufMut) -> Result<(), Error> {
        let (control, address, asdu, address_at) = match *self {
            Self::SingleChar => {
                ensure_room(buf, 1)?;
                buf.put_u8(SINGLE_CHAR);
                return Ok(());
            }
            Self::Fixed { control, address } => (control, address, None, 2),
            Self::Variable {
                control,
                address,
                asdu,
            } => (control, address, Some(asdu), 5),
        };
        let max = config.address_len.max_address();
        if address > max {
            return Err(Error::AddressTooLarge {
                offset: address_at,
                max,
                found: address,
            });
        }
        let addr_len = config.address_len.octets();
        let [lo, hi] = address.to_le_bytes();
        let head = [control.to_octet(), lo, hi];
        let head = head.get(..1 + addr_len).unwrap_or_default();
        let Some(asdu) = asdu else {
            ensure_room(buf, self.encoded_len(config))?;
            buf.put_u8(START_FIXED);
            buf.put_slice(head);
            buf.put_u8(checksum(head));
            buf.put_u8(END);
            return Ok(());
        };
        let max_len = usize::from(MAX_L) - head.len();
        if asdu.len() > max_len {
            return Err(Error::UserDataLength {
                offset: address_at + addr_len,
                min: 0,
                max: max_len,
                found: asdu.len(),
            });
        }
        ensure_room(buf, self.encoded_len(config))?;
        // At most 255: checked above.
        let l = (head.len() + asdu.len()) as u8;
        buf.put_slice(&[START_VARIABLE, l, l, START_VARIABLE]);
        buf.put_slice(head);
        buf.put_slice(asdu);
        buf.put_u8(checksum(head).wrapping_add(checksum(asdu)));
        buf.put_u8(END);
        Ok(())
    }
}
