//! Modbus RTU framing (Modbus over serial line V1.02 §2.5.1): address, PDU, CRC-16 low byte first.
//!
//! RTU has no length field; real devices end a frame with 3.5 character times of silence, which a
//! sans-IO decoder cannot see. So the frame's length is derived from its function code and
//! direction (a request and its response differ), reading the byte count where the PDU has one.
//! For a function code whose layout this crate does not know, the decoder hunts for the shortest
//! prefix whose CRC matches (at most 256 bytes).
//!
//! [`decode`] is strict: anything wrong is an error. [`decode_resync`] is for a serial line: on a
//! bad CRC or an impossible header it discards one byte and tries again, and reports how many bytes
//! it skipped.

use crate::crc::{self, crc16};
use crate::error::ensure_room;
use crate::pdu::{check_pdu_len, MAX_PDU_LEN, MEI_READ_DEVICE_ID};
use crate::{Error, FunctionCode, Resync};
use bytes::BufMut;
use nom::Parser;

/// The longest RTU frame: address, 253-byte PDU and CRC, 256 bytes (§2.5.1.1).
pub const MAX_FRAME_LEN: usize = 1 + MAX_PDU_LEN + 2;
/// The shortest RTU frame: address, function code and CRC, 4 bytes.
pub const MIN_FRAME_LEN: usize = 4;
/// The broadcast address: every slave acts, none answers (§2.2).
pub const BROADCAST: u8 = 0;

/// Which way a frame travels: RTU frame lengths depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Master to slave.
    Request,
    /// Slave to master.
    Response,
}

/// A Modbus RTU frame: the slave address and the PDU; the CRC is checked on decode and computed on
/// encode (§2.5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// The slave address: 0 broadcast, 1..=247 a slave, 248..=255 reserved.
    pub address: u8,
    /// The PDU, 1..=253 bytes, borrowed from the decoded buffer.
    pub pdu: &'a [u8],
}

/// How long the frame at the start of a buffer is, as far as its header says.
enum Length {
    /// The whole frame's length, address and CRC included.
    Known(usize),
    /// A function code of unknown layout: find the end by its CRC.
    Hunt,
}

/// The frame length the header at the start of `buf` implies; `Ok(None)` when the bytes that
/// decide it have not arrived yet. Offsets count from the address byte.
fn frame_len(buf: &[u8], direction: Direction) -> Result<Option<Length>, Error> {
    let Some(&code) = buf.get(1) else {
        return Ok(None);
    };
    // A PDU of fixed length.
    let fixed = |pdu_len: usize| Ok(Some(Length::Known(1 + pdu_len + 2)));
    // A PDU of `head` bytes whose last one is a byte count of the bytes that follow.
    let counted = |head: usize| match buf.get(head) {
        None => Ok(None),
        Some(&count) => {
            let pdu_len = head + usize::from(count);
            if pdu_len > MAX_PDU_LEN {
                return Err(Error::PduTooLong {
                    offset: head,
                    max: MAX_PDU_LEN,
                    found: pdu_len,
                });
            }
            fixed(pdu_len)
        }
    };
    let is_device_id = || buf.get(2).map(|&mei| mei == MEI_READ_DEVICE_ID);
    match (direction, code) {
        (_, 0x00) | (Direction::Request, 0x80..=0xFF) => Err(Error::BadFunctionCode {
            offset: 1,
            found: code,
        }),
        (Direction::Request, 0x01..=0x06) => fixed(5),
        (Direction::Request, 0x0F | 0x10) => counted(6),
        (Direction::Request, 0x17) => counted(10),
        (Direction::Request, 0x2B) => Ok(is_device_id().map(|yes| {
            if yes {
                Length::Known(1 + 4 + 2)
            } else {
                Length::Hunt
            }
        })),
        (Direction::Response, 0x80..=0xFF) => fixed(2),
        (Direction::Response, 0x01..=0x04 | 0x17) => counted(2),
        (Direction::Response, 0x05 | 0x06 | 0x0F | 0x10) => fixed(5),
        (Direction::Response, 0x2B) => match is_device_id() {
            None => Ok(None),
            Some(true) => device_id_response_len(buf),
            Some(false) => Ok(Some(Length::Hunt)),
        },
        (_, 0x16) => fixed(7),
        _ => Ok(Some(Length::Hunt)),
    }
}

/// Walks a Read Device Identification response's object list (Application Protocol
/// Specification §6.21) to find its end.
///
/// ```text
/// 0 address  1 2B  2 0E  3 code  4 conformity  5 more  6 next-id  7 count
/// 8 { id(1) len(1) value(len) }*count
/// ```
fn device_id_response_len(buf: &[u8]) -> Result<Option<Length>, Error> {
    let Some(&count) = buf.get(7) else {
        return Ok(None);
    };
    let mut end = 8;
    for _ in 0..count {
        let Some(&len) = buf.get(end + 1) else {
            return Ok(None);
        };
        end += 2 + usize::from(len);
        if end - 1 > MAX_PDU_LEN {
            return Err(Error::PduTooLong {
                offset: end - 1 - usize::from(len),
                max: MAX_PDU_LEN,
                found: end - 1,
            });
        }
    }
    Ok(Some(Length::Known(end + 2)))
}

/// Decodes one RTU frame from the start of `buf`, strictly.
///
/// ```text
/// offset 0      address   1 byte
///        1      PDU       function code, then data; length from the function code and direction
///        n - 2  CRC       2 bytes, CRC-16/MODBUS of bytes 0..n-2, low byte first
/// ```
///
/// Returns `Ok(None)` while the buffer holds less than a whole frame, else the frame and its
/// length in bytes.
///
/// # Errors
/// [`Error::BadCrc`]; [`Error::BadFunctionCode`] (0, or 0x80 and above in a request);
/// [`Error::PduTooLong`] when a byte count implies more than 253 bytes;
/// [`Error::FrameLengthUnknown`] for an unknown function code with no CRC match in 256 bytes.
pub fn decode(buf: &[u8], direction: Direction) -> Result<Option<(Frame<'_>, usize)>, Error> {
    let len = match frame_len(buf, direction)? {
        None => return Ok(None),
        Some(Length::Hunt) => return hunt_crc(buf),
        Some(Length::Known(len)) => len,
    };
    let parsed = (
        nom::bytes::streaming::take::<_, _, nom::error::Error<&[u8]>>(len - 2),
        nom::number::streaming::le_u16,
    )
        .parse(buf);
    let Ok((_, (body, found))) = parsed else {
        return Ok(None);
    };
    let expected = crc16(body);
    if expected != found {
        return Err(Error::BadCrc {
            offset: len - 2,
            expected,
            found,
        });
    }
    Ok(split(body).map(|frame| (frame, len)))
}

/// Decodes a request frame (master to slave) strictly: [`decode`] with [`Direction::Request`].
///
/// # Errors
/// As [`decode`].
pub fn decode_request(buf: &[u8]) -> Result<Option<(Frame<'_>, usize)>, Error> {
    decode(buf, Direction::Request)
}

/// Decodes a response frame (slave to master) strictly: [`decode`] with [`Direction::Response`].
///
/// # Errors
/// As [`decode`].
pub fn decode_response(buf: &[u8]) -> Result<Option<(Frame<'_>, usize)>, Error> {
    decode(buf, Direction::Response)
}

/// Splits a checked frame body (address and PDU) into a frame.
fn split(body: &[u8]) -> Option<Frame<'_>> {
    let (&address, pdu) = body.split_first()?;
    Some(Frame { address, pdu })
}

/// Finds the shortest prefix of at least 4 bytes ending in a matching CRC.
fn hunt_crc(buf: &[u8]) -> Result<Option<(Frame<'_>, usize)>, Error> {
    let mut crc = crc::INIT;
    for (i, &byte) in buf.iter().enumerate().take(MAX_FRAME_LEN - 2) {
        crc = crc::update(crc, byte);
        let len = i + 3;
        match buf.get(i + 1..len) {
            None => return Ok(None),
            Some(&[lo, hi]) if len >= MIN_FRAME_LEN && u16::from_le_bytes([lo, hi]) == crc => {
                return Ok(buf.get(..i + 1).and_then(split).map(|frame| (frame, len)));
            }
            Some(_) => {}
        }
    }
    Err(Error::FrameLengthUnknown {
        offset: 1,
        function: FunctionCode(buf.get(1).copied().unwrap_or_default()),
        searched: MAX_FRAME_LEN,
    })
}

/// Decodes the first frame in `buf`, discarding garbage before it (§2.5.1.1: a frame that fails
/// its check is dropped and the receiver waits for the next one).
///
/// It judges each position as [`decode`] would. A position whose decode fails (bad CRC,
/// impossible header) is garbage: one byte is discarded and the hunt goes on. A position that may
/// still become a frame once more bytes arrive is remembered, and the hunt goes on too: a complete
/// frame with a matching CRC further on wins over it, so garbage that happens to look like the
/// start of a long frame cannot stall the line. With no complete frame, `skipped` stops at the
/// first position that may still become one.
///
/// The work per position is bounded by the longest frame, 256 bytes (§2.5.1.1), so the hunt is
/// linear in the garbage; positions are judged by their header and CRC alone (see [`judge`]),
/// without building an error, and the strict [`decode`] runs only where a CRC matches and once for
/// `first_error`.
///
/// Drop [`Resync::consumed`] bytes afterwards. `first_error` offsets count from the start of `buf`.
/// If the line goes silent for 3.5 character times (the end of a frame, §2.5.1.1) while a frame is
/// still incomplete, that frame is lost: drop one byte and call again.
pub fn decode_resync(buf: &[u8], direction: Direction) -> Resync<Frame<'_>> {
    let mut first_garbage = None;
    let mut pending = None;
    let mut rest = buf;
    let mut start = 0;
    while !rest.is_empty() {
        let verdict = match judge(rest, direction) {
            Verdict::CrcMatches => match decode(rest, direction) {
                Ok(Some(frame)) => {
                    return Resync {
                        skipped: start,
                        frame: Some(frame),
                        first_error: error_at(buf, first_garbage, direction),
                    }
                }
                Ok(None) => Verdict::Pending,
                Err(_) => Verdict::Garbage,
            },
            verdict => verdict,
        };
        match verdict {
            Verdict::Pending => {
                pending.get_or_insert(start);
            }
            _ => {
                first_garbage.get_or_insert(start);
            }
        }
        rest = rest.get(1..).unwrap_or_default();
        start += 1;
    }
    let skipped = pending.unwrap_or(buf.len());
    Resync {
        skipped,
        frame: None,
        first_error: error_at(buf, first_garbage.filter(|&at| at < skipped), direction),
    }
}

/// What [`decode`] would make of the bytes at a position, found without building an error.
enum Verdict {
    /// [`decode`] fails.
    Garbage,
    /// [`decode`] returns `Ok(None)`: more bytes may make a frame.
    Pending,
    /// The header gives a length whose CRC matches, or (unknown layout) some prefix's CRC
    /// matches: [`decode`] has the last word.
    CrcMatches,
}

/// Judges the bytes at the start of `buf` by the header ([`frame_len`]) and the CRC alone; at most
/// 256 bytes are read. A frame's CRC matches when the CRC-16 of the frame including its own CRC
/// bytes (low byte first) is 0 (§6.2.2), so no CRC field is read apart.
fn judge(buf: &[u8], direction: Direction) -> Verdict {
    match frame_len(buf, direction) {
        Err(_) => Verdict::Garbage,
        Ok(None) => Verdict::Pending,
        Ok(Some(Length::Known(len))) => match buf.get(..len) {
            None => Verdict::Pending,
            Some(frame) if crc16(frame) == 0 => Verdict::CrcMatches,
            Some(_) => Verdict::Garbage,
        },
        Ok(Some(Length::Hunt)) => {
            let mut crc = crc::INIT;
            for (len, &byte) in (1..).zip(buf.iter().take(MAX_FRAME_LEN)) {
                crc = crc::update(crc, byte);
                if crc == 0 && len >= MIN_FRAME_LEN {
                    return Verdict::CrcMatches;
                }
            }
            if buf.len() < MAX_FRAME_LEN {
                Verdict::Pending
            } else {
                Verdict::Garbage
            }
        }
    }
}

/// The error [`decode`] reports at position `at` of `buf`, with its offset from the start of
/// `buf`.
fn error_at(buf: &[u8], at: Option<usize>, direction: Direction) -> Option<Error> {
    let at = at?;
    decode(buf.get(at..)?, direction)
        .err()
        .map(|error| error.shifted(at))
}

impl<'a> Frame<'a> {
    /// A frame around `pdu`, such as a [`PduBuf`](crate::PduBuf) from
    /// [`Request::to_pdu`](crate::Request::to_pdu).
    pub fn new(address: u8, pdu: &'a [u8]) -> Self {
        Self { address, pdu }
    }

    /// The number of bytes [`Frame::encode`] writes: the PDU plus 3.
    pub fn encoded_len(&self) -> usize {
        1 + self.pdu.len() + 2
    }

    /// Writes the address, the PDU and the CRC, low byte first (§2.5.1, §6.2.2). Nothing is
    /// written on error.
    ///
    /// # Errors
    /// [`Error::Truncated`] for an empty PDU, [`Error::PduTooLong`] past 253 bytes (offsets in the
    /// PDU), [`Error::BufferTooSmall`].
    pub fn encode(&self, buf: &mut impl BufMut) -> Result<(), Error> {
        check_pdu_len(self.pdu.len())?;
        ensure_room(buf, self.encoded_len())?;
        let crc = self
            .pdu
            .iter()
            .fold(crc::update(crc::INIT, self.address), |crc, &b| {
                crc::update(crc, b)
            });
        buf.put_u8(self.address);
        buf.put_slice(self.pdu);
        buf.put_u16_le(crc);
        Ok(())
    }
}

#[cfg(test)]
mod resync_tests;
