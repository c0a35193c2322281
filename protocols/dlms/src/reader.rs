//! A cursor over a borrowed input that knows its offset, for the complete parsers of every layer.
//!
//! Each read names what it reads, so that running out of input becomes an [`Error::Truncated`]
//! that says where and what. Offsets are `base` plus the position in the slice, so that a parser
//! handed an inner slice still reports offsets from the start of the outer frame.

use crate::Error;

/// A position in a borrowed input.
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `input`, reporting offsets from 0.
    pub(crate) fn new(input: &'a [u8]) -> Self {
        Self::at(input, 0)
    }

    /// A reader at the start of `input`, reporting offsets from `base`.
    pub(crate) fn at(input: &'a [u8], base: usize) -> Self {
        Reader {
            input,
            pos: 0,
            base,
        }
    }

    /// The offset of the next byte, from the outer frame's start.
    pub(crate) fn offset(&self) -> usize {
        self.base.saturating_add(self.pos)
    }

    /// The bytes not read yet.
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.input.get(self.pos..).unwrap_or(&[])
    }

    /// How many bytes are left.
    pub(crate) fn remaining(&self) -> usize {
        self.input.len().saturating_sub(self.pos)
    }

    /// Whether every byte was read.
    pub(crate) fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// The next `n` bytes.
    pub(crate) fn bytes(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], Error> {
        let end = self.pos.checked_add(n);
        match end.and_then(|end| self.input.get(self.pos..end)) {
            Some(bytes) => {
                self.pos += n;
                Ok(bytes)
            }
            None => Err(Error::Truncated {
                offset: self.offset(),
                what,
                needed: n - self.remaining(),
            }),
        }
    }

    /// The next `N` bytes as an array.
    pub(crate) fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], Error> {
        let bytes = self.bytes(N, what)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    /// One octet.
    pub(crate) fn u8(&mut self, what: &'static str) -> Result<u8, Error> {
        Ok(self.array::<1>(what)?[0])
    }

    /// A big-endian 16-bit value (A-XDR and the wrapper are big-endian).
    pub(crate) fn u16(&mut self, what: &'static str) -> Result<u16, Error> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }

    /// A big-endian 32-bit value.
    pub(crate) fn u32(&mut self, what: &'static str) -> Result<u32, Error> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }

    /// An A-XDR length (IEC 61334-6 clause 6, the Green Book's "length" encoding): one octet below
    /// 0x80 is the length itself; `0x80 | n` is followed by `n` big-endian octets (n = 1..=4 here).
    /// The value is checked against the bytes left times `unit` before it is returned, so that a
    /// declared 4 GiB is an error and never an allocation. `unit` is the fewest bytes one counted
    /// element takes (1 for octets and for Data elements, 0 for a count that needs no bytes).
    pub(crate) fn length(&mut self, what: &'static str, unit: usize) -> Result<usize, Error> {
        let at = self.offset();
        let first = self.u8(what)?;
        let value: u64 = if first < 0x80 {
            u64::from(first)
        } else {
            let n = usize::from(first & 0x7F);
            if n == 0 || n > 4 {
                return Err(Error::BadByte {
                    offset: at,
                    what,
                    expected: "a length below 0x80 or 0x81..=0x84 followed by that many octets",
                    found: first,
                });
            }
            let bytes = self.bytes(n, what)?;
            bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
        };
        let max = match self.remaining().checked_div(unit) {
            Some(elements) => elements as u64,
            None => u64::from(u32::MAX),
        };
        if value > max {
            return Err(Error::BadLength {
                offset: at,
                what,
                min: 0,
                max,
                found: value,
            });
        }
        // `value <= max`, which came from a usize (or u32::MAX): the conversion is exact.
        Ok(usize::try_from(value).unwrap_or(usize::MAX))
    }
}

/// Appends an A-XDR length (the encoding [`Reader::length`] reads), in the fewest octets.
pub(crate) fn put_length(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = (len as u64).to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        let significant = bytes.get(skip..).unwrap_or(&[]);
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(significant);
    }
}

/// How many octets [`put_length`] writes for `len`.
pub(crate) fn length_len(len: usize) -> usize {
    if len < 0x80 {
        1
    } else {
        let bits = usize::BITS - len.leading_zeros();
        1 + bits.div_ceil(8) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_round_trip_in_the_fewest_octets() {
        for len in [0usize, 1, 0x7F, 0x80, 0xFF, 0x100, 0xFFFF, 0x1_0000] {
            let mut out = Vec::new();
            put_length(&mut out, len);
            assert_eq!(out.len(), length_len(len), "{len}");
            let mut input = out.clone();
            input.resize(out.len() + len, 0);
            let mut r = Reader::new(&input);
            assert_eq!(r.length("test", 1), Ok(len));
            assert_eq!(r.remaining(), len);
        }
    }

    #[test]
    fn a_declared_4_gib_is_refused_before_anything_else() {
        let input = [0x84, 0xFF, 0xFF, 0xFF, 0xFF, 0x00];
        let mut r = Reader::new(&input);
        assert_eq!(
            r.length("octet-string length", 1),
            Err(Error::BadLength {
                offset: 0,
                what: "octet-string length",
                min: 0,
                max: 1,
                found: 0xFFFF_FFFF
            })
        );
    }

    #[test]
    fn truncation_names_what_and_how_much() {
        let mut r = Reader::at(&[1, 2], 10);
        assert_eq!(
            r.u32("frame counter"),
            Err(Error::Truncated {
                offset: 10,
                what: "frame counter",
                needed: 2
            })
        );
    }
}
