//! The crate's one error type.
//!
//! Every variant carries the byte `offset` where the problem was found and what was expected there.
//! Offsets count from the start of the input handed to the failing function: the buffer given to a
//! framing decoder (`tcp::decode`, `rtu::decode`, `ascii::decode`), or the PDU slice given to
//! [`Request::parse`](crate::Request::parse) / [`Response::parse`](crate::Response::parse). Encoders
//! report offsets from the start of the PDU they were asked to write, except
//! [`Error::BufferTooSmall`], whose offset is the start of the output.
//!
//! Needing more bytes is never an error: streaming decoders return `Ok(None)` for that.

use crate::FunctionCode;

/// Everything that can be wrong with a Modbus message, on decode or on encode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The message ends at `offset`, but its own fields say it needs `expected_len` bytes.
    ///
    /// Only complete parsers (the PDU parsers, and encoders given an empty PDU) report this;
    /// streaming framing decoders return `Ok(None)` instead.
    #[error("truncated at byte {offset}: the message needs {expected_len} bytes")]
    Truncated {
        /// Where the input ended.
        offset: usize,
        /// How long the message must be.
        expected_len: usize,
    },

    /// The message is complete at `offset` but more bytes follow it.
    #[error("{} unexpected trailing bytes at byte {offset}: the message is {expected_len} bytes", found_len - expected_len)]
    TrailingBytes {
        /// Where the first unexpected byte is.
        offset: usize,
        /// How long the message is by its own fields.
        expected_len: usize,
        /// How many bytes were given.
        found_len: usize,
    },

    /// A PDU longer than the 253 bytes the Application Protocol Specification V1.1b3 §4.1 allows.
    ///
    /// `found` is the length seen so far, so it is a lower bound when a decoder gave up early.
    #[error("PDU too long at byte {offset}: at most {max} bytes, found {found}")]
    PduTooLong {
        /// Where the limit was crossed.
        offset: usize,
        /// The maximum PDU length (253).
        max: usize,
        /// The PDU length found (at least).
        found: usize,
    },

    /// A function code that cannot appear here: 0 never, 0x80 and above only as an exception
    /// response (Application Protocol Specification V1.1b3 §4.1, §7).
    #[error("bad function code {found:#04x} at byte {offset}: expected 1..=127 (or 0x80..=0xff for an exception response)")]
    BadFunctionCode {
        /// Where the function code is.
        offset: usize,
        /// The function code found.
        found: u8,
    },

    /// A quantity of coils or registers outside the range its function code allows (`1..=max`).
    #[error("{function} quantity {quantity} at byte {offset} out of range: expected 1..={max}")]
    QuantityOutOfRange {
        /// Where the quantity field is.
        offset: usize,
        /// The function whose limit applies.
        function: FunctionCode,
        /// The quantity found.
        quantity: usize,
        /// The largest quantity allowed.
        max: usize,
    },

    /// A request's byte count disagrees with its quantity.
    #[error("{function} byte count {found} at byte {offset}: the quantity needs {expected}")]
    ByteCountMismatch {
        /// Where the byte count is.
        offset: usize,
        /// The function being parsed.
        function: FunctionCode,
        /// The byte count the quantity implies.
        expected: usize,
        /// The byte count found.
        found: usize,
    },

    /// A response's byte count outside the range its function allows.
    #[error("{function} byte count {found} at byte {offset} out of range: expected {min}..={max}")]
    ByteCountOutOfRange {
        /// Where the byte count is.
        offset: usize,
        /// The function being parsed.
        function: FunctionCode,
        /// The byte count found.
        found: u8,
        /// The smallest byte count allowed.
        min: u8,
        /// The largest byte count allowed.
        max: u8,
    },

    /// A register response whose byte count is odd: registers are two bytes each.
    #[error(
        "{function} byte count {found} at byte {offset} is odd: expected two bytes per register"
    )]
    OddByteCount {
        /// Where the byte count is.
        offset: usize,
        /// The function being parsed.
        function: FunctionCode,
        /// The byte count found.
        found: u8,
    },

    /// A Write Single Coil value other than 0xFF00 (on) or 0x0000 (off) (§6.5).
    #[error("bad coil value {found:#06x} at byte {offset}: expected 0xff00 or 0x0000")]
    BadCoilValue {
        /// Where the value is.
        offset: usize,
        /// The value found.
        found: u16,
    },

    /// A Read Device Identification "more follows" byte other than 0x00 or 0xFF (§6.21).
    #[error("bad more-follows byte {found:#04x} at byte {offset}: expected 0x00 or 0xff")]
    BadMoreFollows {
        /// Where the byte is.
        offset: usize,
        /// The byte found.
        found: u8,
    },

    /// An MBAP header whose protocol identifier is not 0 (TCP/IP Implementation Guide §3.1.3).
    #[error("bad MBAP protocol id {found} at byte {offset}: expected {expected}")]
    BadProtocolId {
        /// Where the protocol identifier is.
        offset: usize,
        /// The protocol identifier expected (0, Modbus).
        expected: u16,
        /// The protocol identifier found.
        found: u16,
    },

    /// An MBAP length field outside `min..=max` (unit id plus a 1..=253 byte PDU).
    #[error("bad MBAP length {found} at byte {offset}: expected {min}..={max}")]
    BadMbapLength {
        /// Where the length field is.
        offset: usize,
        /// The smallest length allowed (2).
        min: u16,
        /// The largest length allowed (254).
        max: u16,
        /// The length found.
        found: u16,
    },

    /// An RTU frame whose CRC does not match (Modbus over serial line V1.02 §2.5.1.2, §6.2.2).
    #[error("bad CRC at byte {offset}: computed {expected:#06x}, found {found:#06x}")]
    BadCrc {
        /// Where the CRC is.
        offset: usize,
        /// The CRC computed over the frame.
        expected: u16,
        /// The CRC the frame carries.
        found: u16,
    },

    /// An RTU frame with a function code of unknown length, and no CRC match in the longest
    /// possible frame (256 bytes).
    #[error("no frame length for {function} at byte {offset}: no CRC matched in {searched} bytes")]
    FrameLengthUnknown {
        /// Where the function code is.
        offset: usize,
        /// The function code found.
        function: FunctionCode,
        /// How many bytes were searched for a matching CRC.
        searched: usize,
    },

    /// An ASCII frame that does not start with ':' (Modbus over serial line V1.02 §2.5.2.1).
    #[error("bad start character {found:#04x} at byte {offset}: expected {expected:#04x}")]
    BadStartChar {
        /// Where the character is.
        offset: usize,
        /// The character expected (':').
        expected: u8,
        /// The character found.
        found: u8,
    },

    /// An ASCII frame whose CR is not followed by LF (Modbus over serial line V1.02 §2.5.2.1).
    #[error("bad end character {found:#04x} at byte {offset}: expected {expected:#04x}")]
    BadEndChar {
        /// Where the character is.
        offset: usize,
        /// The character expected (LF).
        expected: u8,
        /// The character found.
        found: u8,
    },

    /// A character in an ASCII frame that is neither a hex digit nor the closing CR.
    #[error("invalid hex character {found:#04x} at byte {offset}: expected 0-9, A-F, a-f or CR")]
    InvalidHex {
        /// Where the character is.
        offset: usize,
        /// The character found.
        found: u8,
    },

    /// An ASCII frame with an odd number of hex digits: every byte is two.
    #[error("odd number of hex digits ({found}) before the CR at byte {offset}")]
    OddHexDigits {
        /// Where the CR is.
        offset: usize,
        /// The number of hex digits found.
        found: usize,
    },

    /// A frame shorter than its framing allows (ASCII: address, function code and LRC at least).
    #[error("frame too short at byte {offset}: at least {min_len} bytes, found {found_len}")]
    FrameTooShort {
        /// Where the frame ended.
        offset: usize,
        /// The shortest frame allowed, in decoded bytes.
        min_len: usize,
        /// The frame's length, in decoded bytes.
        found_len: usize,
    },

    /// An ASCII frame whose LRC does not match (Modbus over serial line V1.02 §2.5.2.2, §6.2.1).
    #[error("bad LRC at byte {offset}: computed {expected:#04x}, found {found:#04x}")]
    BadLrc {
        /// Where the LRC's first hex digit is.
        offset: usize,
        /// The LRC computed over the frame.
        expected: u8,
        /// The LRC the frame carries.
        found: u8,
    },

    /// A response that does not answer its request: another function, or a field that should echo
    /// or match the request and does not (see [`model::check_response`](crate::model::check_response)).
    #[error("response does not match its {function} request at byte {offset}: expected {expected}, found {found}")]
    ResponseMismatch {
        /// Where the field is in the response PDU.
        offset: usize,
        /// The request's function.
        function: FunctionCode,
        /// The value the request implies.
        expected: u16,
        /// The value the response carries.
        found: u16,
    },

    /// An encoder's output buffer cannot take the whole message.
    #[error(
        "output buffer too small at byte {offset}: need {needed} bytes, {available} available"
    )]
    BufferTooSmall {
        /// Where in the output writing would have started.
        offset: usize,
        /// How many bytes the message needs.
        needed: usize,
        /// How many bytes the buffer could take.
        available: usize,
    },
}

/// Fails with [`Error::BufferTooSmall`] unless `buf` can take `needed` more bytes.
pub(crate) fn ensure_room(buf: &impl bytes::BufMut, needed: usize) -> Result<(), Error> {
    let available = buf.remaining_mut();
    if available < needed {
        return Err(Error::BufferTooSmall {
            offset: 0,
            needed,
            available,
        });
    }
    Ok(())
}

impl Error {
    /// The byte offset the error points at.
    pub fn offset(&self) -> usize {
        match self {
            Self::Truncated { offset, .. }
            | Self::TrailingBytes { offset, .. }
            | Self::PduTooLong { offset, .. }
            | Self::BadFunctionCode { offset, .. }
            | Self::QuantityOutOfRange { offset, .. }
            | Self::ByteCountMismatch { offset, .. }
            | Self::ByteCountOutOfRange { offset, .. }
            | Self::OddByteCount { offset, .. }
            | Self::BadCoilValue { offset, .. }
            | Self::BadMoreFollows { offset, .. }
            | Self::BadProtocolId { offset, .. }
            | Self::BadMbapLength { offset, .. }
            | Self::BadCrc { offset, .. }
            | Self::FrameLengthUnknown { offset, .. }
            | Self::BadStartChar { offset, .. }
            | Self::BadEndChar { offset, .. }
            | Self::InvalidHex { offset, .. }
            | Self::OddHexDigits { offset, .. }
            | Self::FrameTooShort { offset, .. }
            | Self::BadLrc { offset, .. }
            | Self::ResponseMismatch { offset, .. }
            | Self::BufferTooSmall { offset, .. } => *offset,
        }
    }

    /// The same error with its offset moved `by` bytes further, for an input that started `by`
    /// bytes into a larger buffer.
    pub(crate) fn shifted(mut self, by: usize) -> Self {
        match &mut self {
            Self::Truncated { offset, .. }
            | Self::TrailingBytes { offset, .. }
            | Self::PduTooLong { offset, .. }
            | Self::BadFunctionCode { offset, .. }
            | Self::QuantityOutOfRange { offset, .. }
            | Self::ByteCountMismatch { offset, .. }
            | Self::ByteCountOutOfRange { offset, .. }
            | Self::OddByteCount { offset, .. }
            | Self::BadCoilValue { offset, .. }
            | Self::BadMoreFollows { offset, .. }
            | Self::BadProtocolId { offset, .. }
            | Self::BadMbapLength { offset, .. }
            | Self::BadCrc { offset, .. }
            | Self::FrameLengthUnknown { offset, .. }
            | Self::BadStartChar { offset, .. }
            | Self::BadEndChar { offset, .. }
            | Self::InvalidHex { offset, .. }
            | Self::OddHexDigits { offset, .. }
            | Self::FrameTooShort { offset, .. }
            | Self::BadLrc { offset, .. }
            | Self::ResponseMismatch { offset, .. }
            | Self::BufferTooSmall { offset, .. } => *offset = offset.saturating_add(by),
        }
        self
    }
}
