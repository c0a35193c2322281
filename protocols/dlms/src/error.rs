//! The crate's one error type.
//!
//! Every variant carries the byte `offset` where the problem was found and says what was expected
//! there. Offsets count from the start of the input handed to the failing function (an HDLC frame
//! from its opening flag, a wrapper PDU from its version field, an APDU from its tag, a Data element
//! from its type tag). Encoders report offsets into the output they were asked to write.
//!
//! Needing more bytes is never an error: streaming decoders (HDLC frames, wrapper PDUs) return
//! `Ok(None)` for that. Complete parsers (an APDU, a Data element) say [`Error::Truncated`].
//!
//! The `what` fields name the element as the standard does (`"HDLC frame format"`, `"A-XDR length"`,
//! `"Data type tag"`), so that a message read in a log points at the clause to check.

/// Which of the two HDLC check sequences failed (IEC 62056-46 clause 6.4.4.5 and 6.4.4.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checksum {
    /// The header check sequence, over the frame format, addresses and control field.
    Hcs,
    /// The frame check sequence, over the whole frame between the flags but the FCS itself.
    Fcs,
}

impl std::fmt::Display for Checksum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Checksum::Hcs => "HCS",
            Checksum::Fcs => "FCS",
        })
    }
}

/// Everything that can be wrong with DLMS/COSEM input or with a value given to an encoder.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A complete parser ran out of input: the element needs `needed` bytes from `offset`.
    ///
    /// Streaming framing decoders return `Ok(None)` instead.
    #[error("truncated {what} at byte {offset}: expected {needed} more bytes")]
    Truncated {
        /// Where the missing bytes should start.
        offset: usize,
        /// What was being read.
        what: &'static str,
        /// How many bytes were missing at least.
        needed: usize,
    },

    /// A byte that must have one value or one of a few (a flag, the HDLC frame format, the LLC
    /// header, the wrapper version, a BER tag) has another.
    #[error("bad {what} {found:#04x} at byte {offset}: expected {expected}")]
    BadByte {
        /// Where the byte is.
        offset: usize,
        /// What the byte is.
        what: &'static str,
        /// What the standard allows there.
        expected: &'static str,
        /// The byte found.
        found: u8,
    },

    /// An HDLC frame whose HCS or FCS (CRC-16/X.25, IEC 62056-46 clause 6.4.4.5, 6.4.4.6) does not
    /// match its contents.
    #[error("bad HDLC {which} at byte {offset}: computed {computed:#06x}, found {found:#06x}")]
    BadChecksum {
        /// Where the check sequence is.
        offset: usize,
        /// Which check sequence.
        which: Checksum,
        /// The check sequence computed over the frame.
        computed: u16,
        /// The check sequence the frame carries.
        found: u16,
    },

    /// A declared length or count outside what the input or the standard allows: an HDLC frame
    /// length, a wrapper length, an A-XDR length or element count, a BER length. Checked before
    /// anything is allocated, so a declared 4 GiB costs nothing.
    #[error("{what} of {found} at byte {offset}: expected {min}..={max}")]
    BadLength {
        /// Where the length is.
        offset: usize,
        /// What the length counts.
        what: &'static str,
        /// The smallest value allowed.
        min: u64,
        /// The largest value allowed here (often the bytes left in the input).
        max: u64,
        /// The value found.
        found: u64,
    },

    /// A CHOICE tag that names no alternative: an unknown APDU tag, Data type tag, access
    /// selector or result code.
    #[error("unknown {what} {found} at byte {offset}")]
    UnknownChoice {
        /// Where the tag is.
        offset: usize,
        /// Which CHOICE.
        what: &'static str,
        /// The tag found.
        found: u8,
    },

    /// A field whose value is outside its range (an HDLC address, a window size, a date-time
    /// field, a bit-string whose length does not fit its octets).
    #[error("{what} {found} at byte {offset}: expected {expected}")]
    BadValue {
        /// Where the field is.
        offset: usize,
        /// What the field is.
        what: &'static str,
        /// What the standard allows.
        expected: &'static str,
        /// The value found.
        found: u64,
    },

    /// A Data tree (arrays and structures, IEC 62056-6-2 clause 4.1.5) nested deeper than the
    /// decoder allows. Detected without recursion and without allocating.
    #[error("Data nested deeper than {max} levels at byte {offset}")]
    TooDeep {
        /// Where the element that went one level too deep starts.
        offset: usize,
        /// The deepest nesting allowed.
        max: usize,
    },

    /// Bytes left over after an element that must fill its container exactly.
    #[error("{count} unexpected bytes after {what} at byte {offset}")]
    TrailingBytes {
        /// Where the extra bytes start.
        offset: usize,
        /// What should have ended there.
        what: &'static str,
        /// How many bytes are left over.
        count: usize,
    },

    /// Valid under the standard but not supported by this crate (a security suite other than 0,
    /// a service this codec does not implement).
    #[error("unsupported {what} at byte {offset}")]
    Unsupported {
        /// Where the field is.
        offset: usize,
        /// What is not supported.
        what: &'static str,
    },

    /// An authentication tag (GCM tag of a ciphered APDU, GMAC of an HLS reply) does not match:
    /// the key, the system title or the frame counter is wrong, or a byte was changed on the way
    /// (DLMS UA 1000-2 Ed. 10, 9.2.7.2.4).
    #[error("{what} does not verify at byte {offset}: wrong key, wrong system title or frame counter, or altered data")]
    AuthenticationFailed {
        /// Where the authenticated part starts (the security header).
        offset: usize,
        /// What failed (`"GCM tag"`, `"HLS GMAC"`).
        what: &'static str,
    },

    /// A ciphered APDU whose frame counter is not above the last one accepted from that peer
    /// (DLMS UA 1000-2 Ed. 10, 9.2.7.2.4.3: the invocation counter must increase).
    #[error("replayed frame counter {found} at byte {offset}: expected more than {last}")]
    Replay {
        /// Where the frame counter is.
        offset: usize,
        /// The last counter accepted.
        last: u32,
        /// The counter found.
        found: u32,
    },

    /// A key or system title that the operation needs is missing or has the wrong length.
    #[error("{what} at byte {offset}: expected {expected}")]
    Key {
        /// Where the ciphered APDU starts.
        offset: usize,
        /// Which key (`"global unicast encryption key"`, `"authentication key"`,
        /// `"system title"`).
        what: &'static str,
        /// What was needed.
        expected: &'static str,
    },
}

impl Error {
    /// The byte offset the error refers to.
    pub fn offset(&self) -> usize {
        match *self {
            Error::Truncated { offset, .. }
            | Error::BadByte { offset, .. }
            | Error::BadChecksum { offset, .. }
            | Error::BadLength { offset, .. }
            | Error::UnknownChoice { offset, .. }
            | Error::BadValue { offset, .. }
            | Error::TooDeep { offset, .. }
            | Error::TrailingBytes { offset, .. }
            | Error::Unsupported { offset, .. }
            | Error::AuthenticationFailed { offset, .. }
            | Error::Replay { offset, .. }
            | Error::Key { offset, .. } => offset,
        }
    }

    /// The same error with its offset moved by `base`: for a parser that decodes an element inside
    /// a larger frame and reports offsets from the frame's start.
    #[must_use]
    pub fn shifted(mut self, base: usize) -> Self {
        match &mut self {
            Error::Truncated { offset, .. }
            | Error::BadByte { offset, .. }
            | Error::BadChecksum { offset, .. }
            | Error::BadLength { offset, .. }
            | Error::UnknownChoice { offset, .. }
            | Error::BadValue { offset, .. }
            | Error::TooDeep { offset, .. }
            | Error::TrailingBytes { offset, .. }
            | Error::Unsupported { offset, .. }
            | Error::AuthenticationFailed { offset, .. }
            | Error::Replay { offset, .. }
            | Error::Key { offset, .. } => *offset = offset.saturating_add(base),
        }
        self
    }
}
