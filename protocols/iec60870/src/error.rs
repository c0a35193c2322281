//! The crate's one error type.
//!
//! Every variant carries the byte `offset` where the problem was found and what was expected there.
//! Offsets count from the start of the input handed to the failing function: the buffer given to
//! [`apci::decode`](crate::apci::decode) or [`ft12::decode`](crate::ft12::decode), the stream since
//! the first byte pushed into a [`StreamSplitter`](crate::apci::StreamSplitter), or the slice given
//! to a time tag's `decode`. Encoders report offsets from the start of the frame they were asked to
//! write.
//!
//! Needing more bytes is never an error: streaming decoders return `Ok(None)` for that.

use std::fmt;

/// Everything that can be wrong with an IEC 60870-5-101/-104 frame or element, on decode or on
/// encode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A complete parser (a time tag) was given fewer bytes than its fixed length.
    ///
    /// Streaming framing decoders return `Ok(None)` instead.
    #[error("truncated at byte {offset}: expected {expected_len} bytes")]
    Truncated {
        /// Where the input ended.
        offset: usize,
        /// How many bytes the element needs.
        expected_len: usize,
    },

    /// A start byte other than the one the framing requires: 0x68 at the start of an IEC 104 APDU
    /// (IEC 60870-5-104 clause 5.1), or the second 0x68 of an FT1.2 variable-length frame
    /// (IEC 60870-5-1 clause 6.2.4.2).
    #[error("bad start byte {found:#04x} at byte {offset}: expected {expected:#04x}")]
    BadStartByte {
        /// Where the byte is.
        offset: usize,
        /// The byte the framing requires.
        expected: u8,
        /// The byte found.
        found: u8,
    },

    /// An FT1.2 frame that starts with none of the three start characters
    /// (IEC 60870-5-1 clause 6.2.4.2).
    #[error(
        "bad FT1.2 start character {found:#04x} at byte {offset}: expected 0x10, 0x68 or 0xe5"
    )]
    BadStartChar {
        /// Where the character is.
        offset: usize,
        /// The character found.
        found: u8,
    },

    /// An APDU length octet outside `min..=max` (IEC 60870-5-104 clause 5.1: 4..=253, exactly 4
    /// for S and U frames, at least 5 for an I frame, which always carries an ASDU).
    #[error("bad APDU length {found} at byte {offset}: expected {min}..={max}")]
    BadApduLength {
        /// Where the length octet is.
        offset: usize,
        /// The smallest length allowed here.
        min: u8,
        /// The largest length allowed here.
        max: u8,
        /// The length found.
        found: u8,
    },

    /// A U-format control field whose first octet does not set exactly one of the six function
    /// bits (STARTDT, STOPDT, TESTFR, each act or con; IEC 60870-5-104 clause 5.3).
    #[error("bad U-format function {found:#04x} at byte {offset}: expected exactly one function bit (0x07, 0x0b, 0x13, 0x23, 0x43 or 0x83)")]
    BadUFunction {
        /// Where the octet is.
        offset: usize,
        /// The octet found.
        found: u8,
    },

    /// Bits that the standard reserves as 0 are set (IEC 60870-5-104 clause 5: octet 2 of an S
    /// frame, octets 2 to 4 of a U frame, bit 1 of octet 3 of I and S frames).
    #[error("reserved bits {mask:#04x} set in {found:#04x} at byte {offset}: expected them clear")]
    ReservedBitsSet {
        /// Where the octet is.
        offset: usize,
        /// The reserved bits of that octet.
        mask: u8,
        /// The octet found.
        found: u8,
    },

    /// An FT1.2 variable-length frame whose two length octets differ
    /// (IEC 60870-5-1 clause 6.2.4.2).
    #[error("FT1.2 length repeated as {found} at byte {offset}: expected {expected}")]
    LengthMismatch {
        /// Where the second length octet is.
        offset: usize,
        /// The first length octet.
        expected: u8,
        /// The second length octet.
        found: u8,
    },

    /// An FT1.2 variable-length frame whose length L cannot hold the control field and the link
    /// address (IEC 60870-5-101 clause 6.2.4: L counts the control, address and user data octets).
    #[error("bad FT1.2 length {found} at byte {offset}: expected {min}..={max}")]
    BadFrameLength {
        /// Where the length octet is.
        offset: usize,
        /// The smallest L allowed (1 plus the link address length).
        min: u8,
        /// The largest L allowed (255).
        max: u8,
        /// The length found.
        found: u8,
    },

    /// An FT1.2 frame whose checksum (the sum modulo 256 of the control, address and user data
    /// octets) does not match (IEC 60870-5-1 clause 6.2.4.2).
    #[error("bad FT1.2 checksum at byte {offset}: computed {expected:#04x}, found {found:#04x}")]
    BadChecksum {
        /// Where the checksum octet is.
        offset: usize,
        /// The checksum computed over the frame.
        expected: u8,
        /// The checksum the frame carries.
        found: u8,
    },

    /// An FT1.2 frame that does not end with 0x16 (IEC 60870-5-1 clause 6.2.4.2).
    #[error("bad FT1.2 end character {found:#04x} at byte {offset}: expected {expected:#04x}")]
    BadEndChar {
        /// Where the character is.
        offset: usize,
        /// The character required (0x16).
        expected: u8,
        /// The character found.
        found: u8,
    },

    /// A time tag field outside `min..=max` (IEC 60870-5-4 clause 6.8, IEC 60870-5-101 clause
    /// 7.2.6.18 to 7.2.6.20): on validation, the field's legal range; on encode, the largest value
    /// its bits can hold.
    #[error("{field} {found} at byte {offset} out of range: expected {min}..={max}")]
    TimeOutOfRange {
        /// Where the field is in the time tag.
        offset: usize,
        /// Which field.
        field: TimeField,
        /// The smallest value allowed.
        min: u16,
        /// The largest value allowed.
        max: u16,
        /// The value found.
        found: u16,
    },

    /// A user data field (an ASDU) whose length its frame cannot carry: 1..=249 octets in an IEC
    /// 104 I frame, at most 255 minus the control field and link address in an FT1.2 frame.
    #[error("user data of {found} bytes at byte {offset}: expected {min}..={max}")]
    UserDataLength {
        /// Where the user data would start in the frame.
        offset: usize,
        /// The shortest user data allowed.
        min: usize,
        /// The longest user data allowed.
        max: usize,
        /// The length given.
        found: usize,
    },

    /// An FT1.2 link address that does not fit the configured address length (0, 1 or 2 octets;
    /// IEC 60870-5-101 clause 6.1.3).
    #[error("link address {found} at byte {offset} does not fit: expected 0..={max}")]
    AddressTooLarge {
        /// Where the address would be written.
        offset: usize,
        /// The largest address the configured length holds.
        max: u16,
        /// The address given.
        found: u16,
    },

    /// An ASDU whose information objects do not fill its body exactly: the number of objects in
    /// the variable structure qualifier, the SQ bit and the type ID's object size give `expected`
    /// octets after the data unit identifier, and the ASDU carries `found`
    /// (IEC 60870-5-101 clause 7.2.2, IEC 60870-5-104 clause 8).
    #[error("ASDU type {type_id} with {count} objects has {found} octets of objects at byte {offset}: expected {expected}")]
    ObjectLength {
        /// Where the information objects start (the end of the data unit identifier).
        offset: usize,
        /// The type ID.
        type_id: u8,
        /// The number of objects the variable structure qualifier announces.
        count: u8,
        /// The length the type ID, SQ and count call for.
        expected: usize,
        /// The length carried.
        found: usize,
    },

    /// A field of an ASDU to encode that does not fit its octets: the number of objects (7 bits),
    /// the cause (6 bits), an originator address with a one-octet cause, a common address or an
    /// information object address too large for the configured length, or a counter sequence
    /// number (5 bits) (IEC 60870-5-101 clauses 7.2 and 7.2.6.9).
    #[error("{field} {found} at byte {offset} does not fit: expected 0..={max}")]
    FieldTooLarge {
        /// Where the field would be written in the ASDU.
        offset: usize,
        /// Which field.
        field: AsduField,
        /// The largest value the field holds.
        max: u32,
        /// The value given.
        found: u32,
    },

    /// An ASDU to encode whose variable structure qualifier announces a number of objects other
    /// than the number it holds (IEC 60870-5-101 clause 7.2.2).
    #[error("ASDU announces {expected} objects at byte {offset} but holds {found}")]
    ObjectCount {
        /// Where the variable structure qualifier is (1).
        offset: usize,
        /// The number in the header.
        expected: u8,
        /// The number of objects held.
        found: usize,
    },

    /// An information object to encode whose element or time tag is not the one its ASDU's type
    /// ID defines, or raw bytes for a type ID this crate decodes into objects
    /// (IEC 60870-5-101 clause 7.3).
    #[error("object at byte {offset} does not fit type {type_id}: expected {expected}")]
    ElementMismatch {
        /// Where the object would be written in the ASDU.
        offset: usize,
        /// The ASDU's type ID.
        type_id: u8,
        /// What the type ID calls for.
        expected: &'static str,
    },

    /// An ASDU with SQ = 1 to encode whose objects' addresses do not count up by one from the
    /// first (IEC 60870-5-101 clause 7.2.2: one address, then consecutive elements).
    #[error("information object address {found} of object at byte {offset} breaks the sequence: expected {expected}")]
    IoaNotSequential {
        /// Where the object's element would be written in the ASDU.
        offset: usize,
        /// The first address plus the object's index.
        expected: u32,
        /// The address given.
        found: u32,
    },

    /// An encoder's output buffer cannot take the whole frame.
    #[error(
        "output buffer too small at byte {offset}: need {needed} bytes, {available} available"
    )]
    BufferTooSmall {
        /// Where in the output writing would have started.
        offset: usize,
        /// How many bytes the frame needs.
        needed: usize,
        /// How many bytes the buffer could take.
        available: usize,
    },
}

/// The fields of a time tag, for [`Error::TimeOutOfRange`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeField {
    /// Milliseconds within the minute, 0..=59999.
    Millisecond,
    /// Minutes, 0..=59.
    Minute,
    /// Hours, 0..=23.
    Hour,
    /// Day of the month, 1..=31 (and no later than the month's last day, for a civil date).
    Day,
    /// Day of the week, 0 (not used) or 1..=7 (Monday to Sunday).
    DayOfWeek,
    /// Month, 1..=12.
    Month,
    /// Year of the century, 0..=99.
    Year,
    /// One of the reserved bits (RES1 to RES4).
    Reserved,
}

impl fmt::Display for TimeField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Millisecond => "millisecond",
            Self::Minute => "minute",
            Self::Hour => "hour",
            Self::Day => "day of month",
            Self::DayOfWeek => "day of week",
            Self::Month => "month",
            Self::Year => "year",
            Self::Reserved => "reserved bits",
        })
    }
}

/// The fields of an ASDU, for [`Error::FieldTooLarge`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AsduField {
    /// The number of information objects, 0..=127 (7 bits of the variable structure qualifier).
    ObjectCount,
    /// The cause of transmission, 0..=63 (6 bits).
    Cause,
    /// The originator address: 0..=255 with a two-octet cause, only 0 with a one-octet cause.
    Originator,
    /// The common address of the ASDU, 1 or 2 octets.
    CommonAddress,
    /// The information object address, 1, 2 or 3 octets.
    Ioa,
    /// The sequence number of a binary counter reading, 0..=31 (5 bits).
    CounterSequence,
}

impl fmt::Display for AsduField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ObjectCount => "number of objects",
            Self::Cause => "cause of transmission",
            Self::Originator => "originator address",
            Self::CommonAddress => "common address",
            Self::Ioa => "information object address",
            Self::CounterSequence => "counter sequence number",
        })
    }
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

/// Runs `$body` with `$offset` bound to the `offset` field of `$error`, whichever variant it is
/// (every variant has one): the one list of the variants for [`Error::offset`] and
/// [`Error::shifted`].
macro_rules! with_offset {
    ($error:expr, $offset:ident => $body:expr) => {
        match $error {
            Error::Truncated {
                offset: $offset, ..
            }
            | Error::BadStartByte {
                offset: $offset, ..
            }
            | Error::BadStartChar {
                offset: $offset, ..
            }
            | Error::BadApduLength {
                offset: $offset, ..
            }
            | Error::BadUFunction {
                offset: $offset, ..
            }
            | Error::ReservedBitsSet {
                offset: $offset, ..
            }
            | Error::LengthMismatch {
                offset: $offset, ..
            }
            | Error::BadFrameLength {
                offset: $offset, ..
            }
            | Error::BadChecksum {
                offset: $offset, ..
            }
            | Error::BadEndChar {
                offset: $offset, ..
            }
            | Error::TimeOutOfRange {
                offset: $offset, ..
            }
            | Error::UserDataLength {
                offset: $offset, ..
            }
            | Error::AddressTooLarge {
                offset: $offset, ..
            }
            | Error::ObjectLength {
                offset: $offset, ..
            }
            | Error::FieldTooLarge {
                offset: $offset, ..
            }
            | Error::ObjectCount {
                offset: $offset, ..
            }
            | Error::ElementMismatch {
                offset: $offset, ..
            }
            | Error::IoaNotSequential {
                offset: $offset, ..
            }
            | Error::BufferTooSmall {
                offset: $offset, ..
            } => $body,
        }
    };
}

impl Error {
    /// The byte offset the error points at.
    pub fn offset(&self) -> usize {
        with_offset!(self, offset => *offset)
    }

    /// The same error with its offset moved `by` bytes further, for an input that started `by`
    /// bytes into a larger buffer or stream.
    pub fn shifted(mut self, by: usize) -> Self {
        with_offset!(&mut self, offset => *offset = offset.saturating_add(by));
        self
    }
}
