//! A cursor over a complete PDU, built on nom's complete parsers, that turns nom's end-of-input
//! into [`Error::Truncated`] with the offset and the length the message needs.

use crate::Error;
use nom::Parser;

type NomError<'a> = nom::error::Error<&'a [u8]>;

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

    fn run<O>(
        &mut self,
        width: usize,
        mut parser: impl Parser<&'a [u8], Output = O, Error = NomError<'a>>,
    ) -> Result<O, Error> {
        match parser.parse(self.rest) {
            Ok((rest, value)) => {
                self.rest = rest;
                Ok(value)
            }
            Err(_) => Err(Error::Truncated {
                offset: self.input.len(),
                expected_len: self.offset().saturating_add(width),
            }),
        }
    }

    pub(crate) fn u8(&mut self) -> Result<u8, Error> {
        self.run(1, nom::number::complete::u8)
    }

    pub(crate) fn be_u16(&mut self) -> Result<u16, Error> {
        self.run(2, nom::number::complete::be_u16)
    }

    pub(crate) fn take(&mut self, len: usize) -> Result<&'a [u8], Error> {
        self.run(len, nom::bytes::complete::take(len))
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
