//! Validation of one encoded Data element: its length, found by walking the tree once.
//!
//! The walk keeps the open arrays and structures in a fixed-size stack of remaining element counts,
//! so a tree nested 10,000 deep costs no recursion and no allocation: it stops with
//! [`Error::TooDeep`] at [`Limits::max_depth`]. Every count is checked against the bytes left (each
//! element takes at least its tag octet) and every length against the bytes left, so a declared
//! 4 GiB is an [`Error::BadLength`] before anything else happens.

use super::compact;
use super::tag::{Body, DataType};
use crate::reader::Reader;
use crate::Error;

/// The deepest nesting [`Limits::max_depth`] may ask for.
pub const DEPTH_CEILING: usize = 64;

/// Bounds on what a Data decoder accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The deepest nesting of arrays, structures and compact-array type descriptions: an element
    /// at the top level is at depth 0, the elements of a top-level array at depth 1. Values above
    /// 64 are taken as 64.
    pub max_depth: usize,
}

impl Default for Limits {
    /// 16 levels: a profile buffer (an array of structures) needs 2, the deepest COSEM attribute
    /// values in use need fewer than 8.
    fn default() -> Self {
        Limits { max_depth: 16 }
    }
}

impl Limits {
    pub(crate) fn depth(self) -> usize {
        self.max_depth.min(DEPTH_CEILING)
    }
}

/// The length of the one element at the start of `input`, checked through to its last byte.
/// `base` is the offset of `input` in the caller's frame, for errors.
pub(crate) fn element_len(input: &[u8], base: usize, limits: Limits) -> Result<usize, Error> {
    let max_depth = limits.depth();
    let mut r = Reader::at(input, base);
    // Elements still to read in each open container, innermost last.
    let mut open = [0usize; DEPTH_CEILING];
    let mut depth = 0usize;
    loop {
        let at = r.offset();
        let tag = r.u8("Data type tag")?;
        let data_type = DataType::at(tag, at)?;
        match data_type.body() {
            Body::Fixed(n) => {
                r.bytes(n, data_type.name())?;
            }
            Body::Octets => {
                let len = r.length(data_type.name(), 1)?;
                r.bytes(len, data_type.name())?;
            }
            Body::Bits => {
                skip_bits(&mut r)?;
            }
            Body::Compact => {
                compact::skip(&mut r, depth, max_depth)?;
            }
            Body::Elements => {
                let count = r.length(data_type.name(), 1)?;
                if count > 0 {
                    if depth >= max_depth {
                        return Err(Error::TooDeep {
                            offset: at,
                            max: max_depth,
                        });
                    }
                    if let Some(slot) = open.get_mut(depth) {
                        *slot = count;
                    }
                    depth += 1;
                    continue;
                }
            }
        }
        // One element is complete: count it off its container, closing every container it fills.
        loop {
            if depth == 0 {
                return Ok(r.offset() - base);
            }
            match open.get_mut(depth - 1) {
                Some(left) if *left > 1 => {
                    *left -= 1;
                    break;
                }
                _ => depth -= 1,
            }
        }
    }
}

/// Consumes a bit-string body: an A-XDR length counting bits, then `ceil(bits / 8)` octets. A
/// length whose octets would run past the input is an [`Error::BadLength`] on the length (its
/// `max` is the bits the bytes left can hold), like every other A-XDR length.
pub(crate) fn skip_bits(r: &mut Reader<'_>) -> Result<usize, Error> {
    let at = r.offset();
    let bits = r.length("bit-string length", 0)?;
    let max = r.remaining().saturating_mul(8);
    if bits.div_ceil(8) > r.remaining() {
        return Err(Error::BadLength {
            offset: at,
            what: "bit-string length",
            min: 0,
            max: max as u64,
            found: bits as u64,
        });
    }
    r.bytes(bits.div_ceil(8), "bit-string")?;
    Ok(bits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_one_over_the_limit_is_refused_and_the_limit_itself_is_not() {
        let limits = Limits { max_depth: 3 };
        // Three arrays of one element around a null: depth 3 holds the null.
        let ok = [0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x00];
        assert_eq!(element_len(&ok, 0, limits), Ok(7));
        let deep = [0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x00];
        assert_eq!(
            element_len(&deep, 0, limits),
            Err(Error::TooDeep { offset: 6, max: 3 })
        );
    }

    #[test]
    fn containers_close_in_order() {
        // structure { array { u8, u8 }, null }, then a trailing byte that is not part of it.
        let input = [0x02, 0x02, 0x01, 0x02, 0x11, 0x01, 0x11, 0x02, 0x00, 0xEE];
        assert_eq!(element_len(&input, 0, Limits::default()), Ok(9));
    }
}
