//! Validation of one encoded Data element: its length, found by walking the tree once.
//!
//! The walk keeps the open arrays and structures in a fixed-size stack of remaining element counts,
//! so a tree nested 10,000 deep costs no recursion and no allocation: it stops with
//! [`Error::TooDeep`] at [`Limits::max_depth`]. Every count is checked against the bytes left (each
//! element takes at least its tag octet) and every length against the bytes left, so a declared
//! 4 GiB is an [`Error::BadLength`] before anything else happens.

use super::compact;
use super::tag::{class, class_of, DataType};
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
///
/// The common cases (fixed-size bodies, short lengths and counts) are read straight from the
/// slice with the type found in a table; anything else (long lengths, bit-strings,
/// compact-arrays, every error) goes through the [`Reader`], so the errors are the Reader's.
pub(crate) fn element_len(input: &[u8], base: usize, limits: Limits) -> Result<usize, Error> {
    let max_depth = limits.depth();
    // Elements still to read in each open container, innermost last. A count is at most a
    // 4-octet A-XDR length, so it fits a u32.
    let mut open = [0u32; DEPTH_CEILING];
    let mut depth = 0usize;
    let mut pos = 0usize;
    loop {
        let Some(&tag) = input.get(pos) else {
            return Err(Error::Truncated {
                offset: base + pos,
                what: "Data type tag",
                needed: 1,
            });
        };
        let at = pos;
        pos += 1;
        let kind = class_of(tag);
        if kind <= class::MAX_FIXED {
            let n = usize::from(kind);
            if input.len() - pos < n {
                return Err(Error::Truncated {
                    offset: base + pos,
                    what: name_of(tag),
                    needed: n - (input.len() - pos),
                });
            }
            pos += n;
        } else {
            match kind {
                class::OCTETS => {
                    let (len, header) = length(input, pos, base, tag)?;
                    pos += header + len;
                }
                class::ELEMENTS => {
                    let (count, header) = length(input, pos, base, tag)?;
                    pos += header;
                    if count > 0 {
                        if depth >= max_depth {
                            return Err(Error::TooDeep {
                                offset: base + at,
                                max: max_depth,
                            });
                        }
                        if let Some(slot) = open.get_mut(depth) {
                            *slot = u32::try_from(count).unwrap_or(u32::MAX);
                        }
                        depth += 1;
                        continue;
                    }
                }
                class::BITS | class::COMPACT => {
                    let mut r = Reader::at(input.get(pos..).unwrap_or(&[]), base + pos);
                    if kind == class::BITS {
                        skip_bits(&mut r)?;
                    } else {
                        compact::skip(&mut r, depth, max_depth)?;
                    }
                    pos = r.offset() - base;
                }
                _ => {
                    return Err(Error::UnknownChoice {
                        offset: base + at,
                        what: "Data type tag",
                        found: tag,
                    })
                }
            }
        }
        // One element is complete: count it off its container, closing every container it fills.
        loop {
            if depth == 0 {
                return Ok(pos);
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

/// The standard's name of a tag's type, for errors.
#[cold]
fn name_of(tag: u8) -> &'static str {
    DataType::from_tag(tag).map_or("Data", DataType::name)
}

/// The A-XDR length or count after the tag `tag` at `pos`, checked against the octets left (each
/// counted element takes at least one): its value and how many octets it took.
#[inline(always)]
fn length(input: &[u8], pos: usize, base: usize, tag: u8) -> Result<(usize, usize), Error> {
    if let Some(&first) = input.get(pos) {
        // `pos` is inside `input`: no underflow.
        if first < 0x80 && usize::from(first) < input.len() - pos {
            return Ok((usize::from(first), 1));
        }
    }
    long_length(input, pos, base, tag)
}

/// [`length`] in the long form, or its error, through the [`Reader`].
#[cold]
#[inline(never)]
fn long_length(input: &[u8], pos: usize, base: usize, tag: u8) -> Result<(usize, usize), Error> {
    let mut r = Reader::at(input.get(pos..).unwrap_or(&[]), base + pos);
    let value = r.length(name_of(tag), 1)?;
    Ok((value, r.offset() - base - pos))
}

/// An A-XDR length at the start of validated bytes: its value and how many octets it took;
/// `None` for a form [`Reader::length`] refuses or octets that end too soon.
#[inline(always)]
pub(crate) fn read_length(bytes: &[u8]) -> Option<(usize, usize)> {
    let (&first, rest) = bytes.split_first()?;
    if first < 0x80 {
        return Some((usize::from(first), 1));
    }
    let n = usize::from(first & 0x7F);
    if n == 0 || n > 4 {
        return None;
    }
    let value = rest
        .get(..n)?
        .iter()
        .fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
    Some((usize::try_from(value).ok()?, 1 + n))
}

/// The length of the already validated element at the start of `bytes`, found without
/// validating it again and without a stack: one counter of elements still to skip (a container
/// adds its count). `None`, never a panic, if the bytes do not hold one element after all.
#[inline]
pub(crate) fn skip_len(bytes: &[u8]) -> Option<usize> {
    let mut pos = 0usize;
    let mut left = 1usize;
    while let Some(rest) = left.checked_sub(1) {
        left = rest;
        let tag = *bytes.get(pos)?;
        pos += 1;
        let kind = class_of(tag);
        if kind <= class::MAX_FIXED {
            pos += usize::from(kind);
            continue;
        }
        if kind == class::COMPACT {
            pos += skip_description(bytes.get(pos..)?)?;
        }
        let (value, header) = read_length(bytes.get(pos..)?)?;
        pos += header;
        let body = match kind {
            class::OCTETS | class::COMPACT => value,
            class::BITS => value.div_ceil(8),
            class::ELEMENTS => {
                left = left.checked_add(value)?;
                0
            }
            _ => return None,
        };
        pos = pos.checked_add(body)?;
    }
    (pos <= bytes.len()).then_some(pos)
}

/// The length of the validated compact-array type description at the start of `bytes`: one
/// counter of description nodes still to skip (an array adds its element's, a structure its
/// fields').
#[inline]
pub(crate) fn skip_description(bytes: &[u8]) -> Option<usize> {
    let mut pos = 0usize;
    let mut left = 1usize;
    while let Some(rest) = left.checked_sub(1) {
        left = rest;
        let tag = *bytes.get(pos)?;
        pos += 1;
        match class_of(tag) {
            class::ELEMENTS if tag == DataType::Array.tag() => {
                // number-of-elements (Unsigned16), then one element description.
                pos += 2;
                left += 1;
            }
            class::ELEMENTS => {
                let (fields, header) = read_length(bytes.get(pos..)?)?;
                pos += header;
                left = left.checked_add(fields)?;
            }
            class::COMPACT | class::UNKNOWN => return None,
            _ => {}
        }
    }
    (pos <= bytes.len()).then_some(pos)
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
    use crate::axdr::tag::Body;
    use crate::strategy::data::data;
    use proptest::prelude::*;

    /// The walk as it was before the table and the slice reads: everything through the
    /// [`Reader`], a `usize` stack. [`element_len`] must agree with it on every input.
    fn reference_len(input: &[u8], base: usize, limits: Limits) -> Result<usize, Error> {
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

    /// An encoded tree, then perhaps one octet changed and perhaps cut short.
    fn damaged() -> impl Strategy<Value = Vec<u8>> {
        (data(), any::<prop::sample::Index>(), any::<u8>(), 0u8..3).prop_map(
            |(tree, at, byte, how)| {
                let mut bytes = tree.to_vec();
                let at = at.index(bytes.len());
                match how {
                    0 => {}
                    1 => bytes[at] = byte,
                    _ => bytes.truncate(at),
                }
                bytes
            },
        )
    }

    proptest! {
        #[test]
        fn the_walk_agrees_with_the_reader_walk_on_damaged_trees(
            bytes in damaged(),
            base in 0usize..1000,
            max_depth in 0usize..70,
        ) {
            let limits = Limits { max_depth };
            let fast = element_len(&bytes, base, limits);
            prop_assert_eq!(&fast, &reference_len(&bytes, base, limits));
            if let Ok(len) = fast {
                prop_assert_eq!(skip_len(&bytes), Some(len));
            }
        }

        #[test]
        fn the_walk_agrees_with_the_reader_walk_on_any_bytes(
            bytes in prop::collection::vec(any::<u8>(), 0..48),
        ) {
            let limits = Limits::default();
            let fast = element_len(&bytes, 0, limits);
            prop_assert_eq!(&fast, &reference_len(&bytes, 0, limits));
            // Never a panic on bytes that were not validated.
            let skipped = skip_len(&bytes);
            if let Ok(len) = fast {
                prop_assert_eq!(skipped, Some(len));
            }
        }
    }

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
