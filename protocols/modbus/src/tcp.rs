//! Modbus TCP framing: the MBAP header (Modbus Messaging on TCP/IP Implementation Guide V1.0b
//! §3.1.3).
//!
//! TCP carries no checksum and no address: the header's length field says where the frame ends.
//! A bad header means the stream is out of step; there is no resync on TCP, close the connection.

use crate::error::ensure_room;
use crate::pdu::{check_pdu_len, MAX_PDU_LEN};
use crate::Error;
use bytes::BufMut;

/// The MBAP header's length: 7 bytes.
pub const HEADER_LEN: usize = 7;
/// The longest Modbus TCP frame: the header plus a 253-byte PDU, 260 bytes.
pub const MAX_FRAME_LEN: usize = HEADER_LEN + MAX_PDU_LEN;
/// The MBAP protocol identifier of Modbus: 0.
pub const PROTOCOL_ID: u16 = 0;
/// The smallest MBAP length field: the unit id and a function code.
const MIN_LENGTH: u16 = 2;
/// The largest MBAP length field: the unit id and a 253-byte PDU.
const MAX_LENGTH: u16 = 1 + MAX_PDU_LEN as u16;

/// The MBAP header fields a caller chooses (§3.1.3); the protocol id is always 0 and the length
/// is derived from the PDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header {
    /// Pairs a response with its request; the server copies it.
    pub transaction_id: u16,
    /// The unit identifier: the serial slave behind a gateway, usually 0xFF or 0 otherwise.
    pub unit_id: u8,
}

/// A Modbus TCP application data unit: an MBAP header and the PDU it frames (§3.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// The header.
    pub header: Header,
    /// The PDU, 1..=253 bytes, borrowed from the decoded buffer: hand it to
    /// [`Request::parse`](crate::Request::parse) or [`Response::parse`](crate::Response::parse).
    pub pdu: &'a [u8],
}

/// Decodes one frame from the start of a TCP stream.
///
/// ```text
/// offset 0  transaction id   2 bytes, big-endian
///        2  protocol id      2 bytes, must be 0
///        4  length           2 bytes, unit id + PDU: 2..=254
///        6  unit id          1 byte
///        7  PDU              length - 1 bytes
/// ```
///
/// Returns `Ok(None)` while the buffer holds less than a whole frame, else the frame and the
/// number of bytes it took.
///
/// # Errors
/// [`Error::BadProtocolId`] and [`Error::BadMbapLength`], as soon as the header is complete.
pub fn decode(buf: &[u8]) -> Result<Option<(Frame<'_>, usize)>, Error> {
    // A fixed 7-byte header: plain slice reads rather than a nom tuple, which cost about 60
    // instructions a frame more (callgrind, `docs/performance.md`).
    let Some((header, rest)) = buf.split_first_chunk::<HEADER_LEN>() else {
        return Ok(None);
    };
    let [t0, t1, p0, p1, l0, l1, unit_id] = *header;
    let protocol_id = u16::from_be_bytes([p0, p1]);
    if protocol_id != PROTOCOL_ID {
        return Err(Error::BadProtocolId {
            offset: 2,
            expected: PROTOCOL_ID,
            found: protocol_id,
        });
    }
    let length = u16::from_be_bytes([l0, l1]);
    if !(MIN_LENGTH..=MAX_LENGTH).contains(&length) {
        return Err(Error::BadMbapLength {
            offset: 4,
            min: MIN_LENGTH,
            max: MAX_LENGTH,
            found: length,
        });
    }
    let pdu_len = usize::from(length) - 1;
    let Some(pdu) = rest.get(..pdu_len) else {
        return Ok(None);
    };
    let frame = Frame {
        header: Header {
            transaction_id: u16::from_be_bytes([t0, t1]),
            unit_id,
        },
        pdu,
    };
    Ok(Some((frame, HEADER_LEN + pdu_len)))
}

impl<'a> Frame<'a> {
    /// A frame around `pdu`, such as a [`PduBuf`](crate::PduBuf) from
    /// [`Request::to_pdu`](crate::Request::to_pdu).
    pub fn new(header: Header, pdu: &'a [u8]) -> Self {
        Self { header, pdu }
    }

    /// The number of bytes [`Frame::encode`] writes: 7 plus the PDU.
    pub fn encoded_len(&self) -> usize {
        HEADER_LEN + self.pdu.len()
    }

    /// Writes the MBAP header (protocol id 0, length from the PDU) and the PDU. Nothing is
    /// written on error.
    ///
    /// # Errors
    /// [`Error::Truncated`] for an empty PDU, [`Error::PduTooLong`] past 253 bytes (offsets in the
    /// PDU), [`Error::BufferTooSmall`].
    pub fn encode(&self, buf: &mut impl BufMut) -> Result<(), Error> {
        check_pdu_len(self.pdu.len())?;
        ensure_room(buf, self.encoded_len())?;
        buf.put_u16(self.header.transaction_id);
        buf.put_u16(PROTOCOL_ID);
        buf.put_u16(u16::try_from(self.pdu.len() + 1).unwrap_or(MAX_LENGTH));
        buf.put_u8(self.header.unit_id);
        buf.put_slice(self.pdu);
        Ok(())
    }
}
