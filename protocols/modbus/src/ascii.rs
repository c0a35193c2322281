//! Modbus ASCII framing (Modbus over serial line V1.02 §2.5.2): ':' then the address, PDU and LRC
//! as pairs of hex digits, then CR LF.
//!
//! Hex digits are accepted in either case and written in upper case. [`decode`] is strict;
//! [`decode_resync`] hunts for the next ':' after garbage or a bad frame (§2.5.2.1: a ':' always
//! starts a new frame).

use crate::error::ensure_room;
use crate::lrc::lrc;
use crate::pdu::{check_pdu_len, PduBuf, MAX_PDU_LEN};
use crate::{Error, Resync};
use bytes::BufMut;

/// The start of frame character, ':' (0x3A).
pub const START: u8 = b':';
/// The first end of frame character, CR (0x0D).
pub const CR: u8 = b'\r';
/// The second end of frame character, LF (0x0A).
pub const LF: u8 = b'\n';
/// The longest ASCII frame: ':', 255 bytes as 510 hex digits, CR LF: 513 characters (§2.5.2.1).
pub const MAX_FRAME_LEN: usize = 1 + 2 * (1 + MAX_PDU_LEN + 1) + 2;
/// The fewest bytes a frame decodes to: address, function code and LRC.
const MIN_DECODED_LEN: usize = 3;
/// The most bytes a frame decodes to: address, 253-byte PDU and LRC.
const MAX_DECODED_LEN: usize = 1 + MAX_PDU_LEN + 1;
/// Upper-case hex digits for output.
const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// A Modbus ASCII frame: the slave address and the PDU, decoded from hex and held inline (no heap);
/// the LRC is checked on decode and computed on encode (§2.5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The slave address: 0 broadcast, 1..=247 a slave.
    pub address: u8,
    /// The binary PDU, 1..=253 bytes.
    pub pdu: PduBuf,
}

/// The value of one hex digit, either case.
fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'F' => Some(c - b'A' + 10),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

/// Decodes one ASCII frame from the start of `buf`, strictly.
///
/// ```text
/// offset 0      ':'
///        1      address          2 hex digits
///        3      PDU              2 hex digits per byte: function code, data
///        n - 4  LRC              2 hex digits: the negated 8-bit sum of address and PDU bytes
///        n - 2  CR LF
/// ```
///
/// Returns `Ok(None)` while the buffer holds less than a whole frame, else the frame and its
/// length in characters.
///
/// # Errors
/// [`Error::BadStartChar`], [`Error::InvalidHex`] (any character but a hex digit before the CR,
/// including a ':'), [`Error::PduTooLong`], [`Error::BadEndChar`], [`Error::OddHexDigits`],
/// [`Error::FrameTooShort`], [`Error::BadLrc`].
pub fn decode(buf: &[u8]) -> Result<Option<(Frame, usize)>, Error> {
    let Some((&first, body)) = buf.split_first() else {
        return Ok(None);
    };
    if first != START {
        return Err(Error::BadStartChar {
            offset: 0,
            expected: START,
            found: first,
        });
    }
    let mut bytes = [0u8; MAX_DECODED_LEN];
    let mut digits = 0usize;
    let mut cr = None;
    for (offset, &c) in (1..).zip(body) {
        if c == CR {
            cr = Some(offset);
            break;
        }
        let value = hex_value(c).ok_or(Error::InvalidHex { offset, found: c })?;
        let Some(slot) = bytes.get_mut(digits / 2) else {
            return Err(Error::PduTooLong {
                offset,
                max: MAX_PDU_LEN,
                found: MAX_PDU_LEN + 1,
            });
        };
        *slot = (*slot << 4) | value;
        digits += 1;
    }
    let Some(cr) = cr else {
        return Ok(None);
    };
    match buf.get(cr + 1) {
        None => return Ok(None),
        Some(&LF) => {}
        Some(&found) => {
            return Err(Error::BadEndChar {
                offset: cr + 1,
                expected: LF,
                found,
            })
        }
    }
    if digits & 1 != 0 {
        return Err(Error::OddHexDigits {
            offset: cr,
            found: digits,
        });
    }
    let decoded = bytes.get(..digits / 2).unwrap_or(&[]);
    let Some((&found, checked)) = decoded
        .split_last()
        .filter(|_| decoded.len() >= MIN_DECODED_LEN)
    else {
        return Err(Error::FrameTooShort {
            offset: cr,
            min_len: MIN_DECODED_LEN,
            found_len: decoded.len(),
        });
    };
    let expected = lrc(checked);
    if expected != found {
        return Err(Error::BadLrc {
            offset: cr - 2,
            expected,
            found,
        });
    }
    let Some((&address, pdu)) = checked.split_first() else {
        return Ok(None);
    };
    let frame = Frame {
        address,
        pdu: PduBuf::from_slice(pdu)?,
    };
    Ok(Some((frame, cr + 2)))
}

/// Decodes the first frame in `buf`, discarding anything before it (§2.5.2.1).
///
/// Hunts for ':'; tries [`decode`] there; on an error discards that ':' and hunts for the next.
/// Stops at the first frame, or where a frame may still be arriving. Drop [`Resync::consumed`]
/// bytes afterwards. `first_error` offsets count from the start of `buf`.
pub fn decode_resync(buf: &[u8]) -> Resync<Frame> {
    let mut first_error = None;
    let mut from = 0;
    loop {
        let found = buf
            .get(from..)
            .and_then(|rest| rest.iter().position(|&c| c == START));
        let (Some(pos), Some(rest)) = (found, buf.get(from..)) else {
            return Resync {
                skipped: buf.len(),
                frame: None,
                first_error,
            };
        };
        let start = from + pos;
        match decode(rest.get(pos..).unwrap_or(&[])) {
            Ok(frame) => {
                return Resync {
                    skipped: start,
                    frame,
                    first_error,
                }
            }
            Err(error) => {
                first_error.get_or_insert(error.shifted(start));
                from = start + 1;
            }
        }
    }
}

impl Frame {
    /// A frame around a copy of `pdu`.
    ///
    /// # Errors
    /// [`Error::Truncated`] for an empty PDU, [`Error::PduTooLong`] past 253 bytes.
    pub fn new(address: u8, pdu: &[u8]) -> Result<Self, Error> {
        Ok(Self {
            address,
            pdu: PduBuf::from_slice(pdu)?,
        })
    }

    /// The PDU bytes.
    pub fn pdu(&self) -> &[u8] {
        self.pdu.as_slice()
    }

    /// The number of characters [`Frame::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        1 + 2 * (1 + self.pdu.len() + 1) + 2
    }

    /// Writes ':', the address, PDU and LRC in upper-case hex, and CR LF (§2.5.2). Nothing is
    /// written on error.
    ///
    /// # Errors
    /// [`Error::BufferTooSmall`].
    pub fn encode(&self, buf: &mut impl BufMut) -> Result<(), Error> {
        check_pdu_len(self.pdu.len())?;
        ensure_room(buf, self.encoded_len())?;
        let sum = self
            .pdu
            .iter()
            .fold(self.address, |sum, &b| sum.wrapping_add(b));
        buf.put_u8(START);
        put_hex(buf, self.address);
        self.pdu.iter().for_each(|&b| put_hex(buf, b));
        put_hex(buf, sum.wrapping_neg());
        buf.put_u8(CR);
        buf.put_u8(LF);
        Ok(())
    }
}

/// Writes one byte as two upper-case hex digits.
fn put_hex(buf: &mut impl BufMut, byte: u8) {
    for nibble in [byte >> 4, byte & 0x0F] {
        buf.put_u8(HEX.get(usize::from(nibble)).copied().unwrap_or(b'0'));
    }
}
