//! A-XDR pieces every data-transfer APDU is made of (IEC 61334-6 clause 6, DLMS UA 1000-2 Ed. 10
//! clause 9.6): the APDU and CHOICE tags, OPTIONAL and BOOLEAN octets, OCTET STRINGs, embedded
//! `Data`, and `SEQUENCE OF` read lazily as a [`List`].
//!
//! ```text
//! OPTIONAL x        00 | 01 x               absent | present
//! BOOLEAN           00 | any other octet    FALSE | TRUE (encoded 01)
//! OCTET STRING      length octets           A-XDR length, then that many octets
//! SEQUENCE OF x     count x x ...           A-XDR length as the element count
//! ```

use crate::axdr::{Data, DataRef, Limits};
use crate::reader::{length_len, put_length, Reader};
use crate::Error;
use std::fmt;
use std::marker::PhantomData;

/// Limits for re-reading elements that were validated already: the walk cannot fail there.
pub(crate) const VALIDATED: Limits = Limits { max_depth: 64 };

/// Reads the APDU tag, which must be `expected`.
pub(crate) fn apdu_tag(
    r: &mut Reader<'_>,
    expected: u8,
    what: &'static str,
    expected_text: &'static str,
) -> Result<(), Error> {
    let at = r.offset();
    let found = r.u8(what)?;
    if found != expected {
        return Err(Error::BadByte {
            offset: at,
            what,
            expected: expected_text,
            found,
        });
    }
    Ok(())
}

/// Reads a CHOICE tag, returning it with its offset.
pub(crate) fn choice(r: &mut Reader<'_>, what: &'static str) -> Result<(u8, usize), Error> {
    let at = r.offset();
    Ok((r.u8(what)?, at))
}

/// Reads the CHOICE tag of a data-transfer APDU, whose alternatives are numbered 1..=`last`,
/// and refuses any other tag at once, before the invoke-id that follows it is read.
pub(crate) fn service_choice(
    r: &mut Reader<'_>,
    what: &'static str,
    last: u8,
) -> Result<(u8, usize), Error> {
    let (tag, at) = choice(r, what)?;
    if (1..=last).contains(&tag) {
        Ok((tag, at))
    } else {
        Err(unknown(what, tag, at))
    }
}

/// The error for a CHOICE tag that names no alternative.
pub(crate) fn unknown(what: &'static str, found: u8, offset: usize) -> Error {
    Error::UnknownChoice {
        offset,
        what,
        found,
    }
}

/// Reads the presence octet of an OPTIONAL component: 0x00 absent, 0x01 present.
pub(crate) fn optional(r: &mut Reader<'_>, what: &'static str) -> Result<bool, Error> {
    let at = r.offset();
    match r.u8(what)? {
        0 => Ok(false),
        1 => Ok(true),
        found => Err(Error::BadByte {
            offset: at,
            what,
            expected: "0x00 (absent) or 0x01 (present)",
            found,
        }),
    }
}

/// Reads an A-XDR BOOLEAN: any non-zero octet is TRUE.
pub(crate) fn boolean(r: &mut Reader<'_>, what: &'static str) -> Result<bool, Error> {
    Ok(r.u8(what)? != 0)
}

/// Reads an A-XDR OCTET STRING (length, then the octets).
pub(crate) fn octets<'a>(r: &mut Reader<'a>, what: &'static str) -> Result<&'a [u8], Error> {
    let len = r.length(what, 1)?;
    r.bytes(len, what)
}

/// Appends an A-XDR OCTET STRING.
pub(crate) fn put_octets(out: &mut Vec<u8>, bytes: &[u8]) {
    put_length(out, bytes.len());
    out.extend_from_slice(bytes);
}

/// The length of an A-XDR OCTET STRING of `len` octets.
pub(crate) fn octets_len(len: usize) -> usize {
    length_len(len) + len
}

/// Reads one embedded `Data` element, validated to its last octet.
pub(crate) fn data<'a>(r: &mut Reader<'a>, limits: Limits) -> Result<DataRef<'a>, Error> {
    let (data, len) = DataRef::decode_with(r.rest(), r.offset(), limits)?;
    r.bytes(len, "Data")?;
    Ok(data)
}

/// Checks that every octet was read.
pub(crate) fn finish(r: &Reader<'_>, what: &'static str) -> Result<(), Error> {
    if r.is_empty() {
        Ok(())
    } else {
        Err(Error::TrailingBytes {
            offset: r.offset(),
            what,
            count: r.remaining(),
        })
    }
}

/// An element of a `SEQUENCE OF` that a [`List`] reads lazily.
pub trait Element<'a>: Sized {
    /// Decodes one element at the start of `input` (at `base` in the APDU, for errors), returning
    /// it and its length.
    ///
    /// # Errors
    /// Whatever the element's own decoder returns.
    fn decode_element(input: &'a [u8], base: usize, limits: Limits)
        -> Result<(Self, usize), Error>;
}

/// Runs `read` on a reader over `input` and returns what it read with the octets it took.
pub(crate) fn element_with<'a, T>(
    input: &'a [u8],
    base: usize,
    read: impl FnOnce(&mut Reader<'a>) -> Result<T, Error>,
) -> Result<(T, usize), Error> {
    let mut r = Reader::at(input, base);
    let value = read(&mut r)?;
    Ok((value, r.offset() - base))
}

impl<'a> Element<'a> for DataRef<'a> {
    fn decode_element(
        input: &'a [u8],
        base: usize,
        limits: Limits,
    ) -> Result<(Self, usize), Error> {
        DataRef::decode_with(input, base, limits)
    }
}

/// A `SEQUENCE OF` borrowed from the APDU: validated when the APDU was decoded, read one element
/// at a time without allocating.
pub struct List<'a, T> {
    rest: &'a [u8],
    base: usize,
    left: usize,
    element: PhantomData<fn() -> T>,
}

impl<T> Clone for List<'_, T> {
    fn clone(&self) -> Self {
        List {
            rest: self.rest,
            base: self.base,
            left: self.left,
            element: PhantomData,
        }
    }
}

impl<T> PartialEq for List<'_, T> {
    fn eq(&self, other: &Self) -> bool {
        self.rest == other.rest && self.left == other.left
    }
}

impl<'a, T: Element<'a> + fmt::Debug> fmt::Debug for List<'a, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.clone()).finish()
    }
}

impl<'a, T: Element<'a>> List<'a, T> {
    /// Reads the count and validates every element.
    pub(crate) fn read(
        r: &mut Reader<'a>,
        what: &'static str,
        limits: Limits,
    ) -> Result<Self, Error> {
        let left = r.length(what, 1)?;
        let base = r.offset();
        let all = r.rest();
        let mut used = 0usize;
        for _ in 0..left {
            let input = all.get(used..).unwrap_or(&[]);
            let (_, len) = T::decode_element(input, base + used, limits)?;
            used += len;
        }
        let rest = r.bytes(used, what)?;
        Ok(List {
            rest,
            base,
            left,
            element: PhantomData,
        })
    }

    /// Whether the sequence is empty.
    pub fn is_empty(&self) -> bool {
        self.left == 0
    }

    /// The encoded elements, count excluded.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.rest
    }
}

impl<'a, T: Element<'a>> Iterator for List<'a, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        if self.left == 0 {
            return None;
        }
        // Validated when the APDU was decoded: a failure cannot happen; if it did, the list ends.
        let Ok((item, len)) = T::decode_element(self.rest, self.base, VALIDATED) else {
            self.left = 0;
            return None;
        };
        self.rest = self.rest.get(len..).unwrap_or(&[]);
        self.base += len;
        self.left -= 1;
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<'a, T: Element<'a>> ExactSizeIterator for List<'a, T> {}

/// The length of a `SEQUENCE OF` whose elements take `lens`.
pub(crate) fn list_len<T>(items: &[T], len: impl Fn(&T) -> usize) -> usize {
    length_len(items.len()) + items.iter().map(len).sum::<usize>()
}

/// Appends a `SEQUENCE OF`.
pub(crate) fn put_list<T>(out: &mut Vec<u8>, items: &[T], encode: impl Fn(&T, &mut Vec<u8>)) {
    put_length(out, items.len());
    for item in items {
        encode(item, out);
    }
}

/// The length of a list of Data values.
pub(crate) fn data_list_len(items: &[Data]) -> usize {
    list_len(items, Data::encoded_len)
}

/// Appends a list of Data values.
pub(crate) fn put_data_list(out: &mut Vec<u8>, items: &[Data]) {
    put_list(out, items, Data::encode);
}
