//! The segment of a file, F_SG_NA_1 (type ID 125; IEC 60870-5-101 clause 7.3.6.6): the one
//! type ID whose objects have a length of their own, so it is read by [`Segments`] rather than
//! by [`Objects`](super::Objects).
//!
//! ```text
//! SQ = 0   IOA NOF(2) NOS(1) LOS(1) segment(LOS) | IOA NOF NOS LOS segment | ...
//! SQ = 1   IOA | NOF NOS LOS segment | NOF NOS LOS segment | ...   at IOA, IOA+1, ...
//! ```
//!
//! A station sends one segment per ASDU (the variable structure qualifier is 1); more are
//! read the same way. [`Segment`] borrows its octets from the frame; [`OwnedSegment`] owns them,
//! for building.

use super::header::read_le;
use crate::types::{Los, Nof, Nos};

/// The octets of a segment object before its data: NOF, NOS and LOS.
pub(crate) const SEGMENT_HEADER_LEN: usize = 4;

/// One segment, borrowed from its frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Segment<'a> {
    /// The information object address. With SQ = 1, the first address plus the index.
    pub address: u32,
    /// The file.
    pub nof: Nof,
    /// The section.
    pub nos: Nos,
    /// The segment's octets; LOS is their number.
    pub data: &'a [u8],
}

impl Segment<'_> {
    /// LOS, the length of the segment (the data are never longer than 255 octets when decoded).
    pub fn los(&self) -> Los {
        Los(u8::try_from(self.data.len()).unwrap_or(u8::MAX))
    }

    /// The owned form (this allocates).
    pub fn to_owned_segment(&self) -> OwnedSegment {
        OwnedSegment {
            address: self.address,
            nof: self.nof,
            nos: self.nos,
            data: self.data.to_vec(),
        }
    }
}

/// One segment that owns its octets, for building an F_SG_NA_1 ASDU with
/// [`OwnedAsdu::push_segment`](super::OwnedAsdu::push_segment).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct OwnedSegment {
    /// The information object address.
    pub address: u32,
    /// The file.
    pub nof: Nof,
    /// The section.
    pub nos: Nos,
    /// The segment's octets, at most 255.
    pub data: Vec<u8>,
}

impl OwnedSegment {
    /// A segment.
    pub fn new(address: u32, nof: Nof, nos: Nos, data: Vec<u8>) -> Self {
        Self {
            address,
            nof,
            nos,
            data,
        }
    }

    /// The borrowed form.
    pub fn as_segment(&self) -> Segment<'_> {
        Segment {
            address: self.address,
            nof: self.nof,
            nos: self.nos,
            data: &self.data,
        }
    }
}

/// Walks `count` segment objects over `body` and says whether they fill it exactly; on failure,
/// the length they call for as far as it can be read (at least one octet more than the body
/// when the body ends early).
pub(crate) fn check_segments(
    body: &[u8],
    count: u8,
    sequence: bool,
    ioa_len: usize,
) -> Result<(), usize> {
    let mut pos = if count > 0 && sequence { ioa_len } else { 0 };
    for _ in 0..count {
        if !sequence {
            pos += ioa_len;
        }
        let header_end = pos + SEGMENT_HEADER_LEN;
        let Some(&los) = body.get(header_end - 1) else {
            return Err(header_end);
        };
        pos = header_end + usize::from(los);
    }
    if pos == body.len() {
        Ok(())
    } else {
        Err(pos)
    }
}

/// The segments of an [`Asdu`](super::Asdu), in order; empty for every other type ID.
#[derive(Debug, Clone)]
pub struct Segments<'a> {
    body: &'a [u8],
    ioa_len: usize,
    sequence: bool,
    base: u32,
    index: u32,
    remaining: u8,
}

impl<'a> Segments<'a> {
    /// The segments of a body checked by [`check_segments`].
    pub(crate) fn new(body: &'a [u8], count: u8, sequence: bool, ioa_len: usize) -> Self {
        let (base, body) = if sequence && count > 0 {
            let (ioa, rest) = body.split_at_checked(ioa_len).unwrap_or((&[], &[]));
            (read_le(ioa), rest)
        } else {
            (0, body)
        };
        Self {
            body,
            ioa_len,
            sequence,
            base,
            index: 0,
            remaining: count,
        }
    }

    /// No segments.
    pub(crate) const fn empty() -> Self {
        Self {
            body: &[],
            ioa_len: 0,
            sequence: false,
            base: 0,
            index: 0,
            remaining: 0,
        }
    }
}

impl<'a> Iterator for Segments<'a> {
    type Item = Segment<'a>;

    fn next(&mut self) -> Option<Segment<'a>> {
        self.remaining = self.remaining.checked_sub(1)?;
        let address = if self.sequence {
            self.base.wrapping_add(self.index)
        } else {
            let (ioa, rest) = self.body.split_at_checked(self.ioa_len)?;
            self.body = rest;
            read_le(ioa)
        };
        let ([n0, n1, nos, los], rest) = self.body.split_first_chunk::<SEGMENT_HEADER_LEN>()?;
        let (data, rest) = rest.split_at_checked(usize::from(*los))?;
        self.body = rest;
        self.index = self.index.wrapping_add(1);
        Some(Segment {
            address,
            nof: Nof(u16::from_le_bytes([*n0, *n1])),
            nos: Nos(*nos),
            data,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = usize::from(self.remaining);
        (n, Some(n))
    }
}

impl ExactSizeIterator for Segments<'_> {}
impl std::iter::FusedIterator for Segments<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_must_fill_the_body_exactly() {
        // IOA 2 octets | NOF 01 00 | NOS 02 | LOS 03 | 0A 0B 0C
        let body = [0x05, 0x00, 0x01, 0x00, 0x02, 0x03, 0x0A, 0x0B, 0x0C];
        assert_eq!(check_segments(&body, 1, false, 2), Ok(()));
        assert_eq!(check_segments(&body[..8], 1, false, 2), Err(9));
        assert_eq!(check_segments(&body[..4], 1, false, 2), Err(6));
        assert_eq!(check_segments(&body, 0, false, 2), Err(0));
        assert_eq!(check_segments(&[], 0, true, 2), Ok(()));
        let mut segments = Segments::new(&body, 1, false, 2);
        let segment = segments.next().unwrap(); // ok: a test, in the #[cfg(test)] module
        assert_eq!(segment.address, 5);
        assert_eq!(
            (segment.nof, segment.nos, segment.los()),
            (Nof(1), Nos(2), Los(3))
        );
        assert_eq!(segment.data, [0x0A, 0x0B, 0x0C]);
        assert_eq!(segments.next(), None);
    }

    #[test]
    fn with_sq_the_address_is_sent_once_and_counts_up() {
        // IOA 07 | NOF 01 00 NOS 01 LOS 01 AA | NOF 01 00 NOS 01 LOS 00
        let body = [0x07, 0x01, 0x00, 0x01, 0x01, 0xAA, 0x01, 0x00, 0x01, 0x00];
        assert_eq!(check_segments(&body, 2, true, 1), Ok(()));
        let all: Vec<_> = Segments::new(&body, 2, true, 1).collect();
        assert_eq!((all[0].address, all[0].data), (7, &[0xAA][..]));
        assert_eq!((all[1].address, all[1].data), (8, &[][..]));
    }
}
