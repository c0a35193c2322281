//! A cursor over a complete PDU that reports a field running past the end as
//! [`Error::Truncated`], with the offset and the length the message needs.
//!
//! It does what nom's `complete` parsers did (`u8`, `be_u16`, `take`), with plain slice splits:
//! the PDU's fields are fixed-width and big-endian (Application Protocol Specification V1.1b3
//! §4.2), and going through nom's `Result` and error type per field cost about a third of the
//! decode of a 125-register response (`docs/performance.md`, codec section).

use crate::Error;

/// Reads fields from a complete input, tracking the offset.
pub(crate) struct Reader<'a> {
    input: &'a [u8],
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(input: &'a [u8]) -> Self {
        Self { input, rest: input }
    }

    /// The offset of the next byte to read.
    pub(crate) fn offset(&self) -> usize {
        self.input.len().saturating_sub(self.rest.len())
    }

    /// The error for a field of `width` bytes that does not fit in what is left.
    #[cold]
    fn truncated(&self, width: usize) -> Error {
        Error::Truncated {
            offset: self.input.len(),
            expected_len: self.offset().saturating_add(width),
        }
    }

    #[inline]
    pub(crate) fn u8(&mut self) -> Result<u8, Error> {
        let Some((&value, rest)) = self.rest.split_first() else {
            return Err(self.truncated(1));
        };
        self.rest = rest;
        Ok(value)
    }

    #[inline]
    pub(crate) fn be_u16(&mut self) -> Result<u16, Error> {
        let Some((pair, rest)) = self.rest.split_first_chunk::<2>() else {
            return Err(self.truncated(2));
        };
        self.rest = rest;
        Ok(u16::from_be_bytes(*pair))
    }

    #[inline]
    pub(crate) fn take(&mut self, len: usize) -> Result<&'a [u8], Error> {
        let Some((taken, rest)) = self.rest.split_at_checked(len) else {
            return Err(self.truncated(len));
        };
        self.rest = rest;
        Ok(taken)
    }

    /// Everything not read yet.
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        core::mem::take(&mut self.rest)
    }

    /// Fails with [`Error::TrailingBytes`] unless everything was read.
    pub(crate) fn finish(self) -> Result<(), Error> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            let expected_len = self.offset();
            Err(Error::TrailingBytes {
                offset: expected_len,
                expected_len,
                found_len: self.input.len(),
            })
        }
    }
}
