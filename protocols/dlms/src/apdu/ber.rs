//! The small subset of BER (ITU-T X.690) that the ACSE APDUs use (DLMS UA 1000-2 Ed. 10 clause
//! 9.3.2 and 11.2, ISO/IEC 8650-1 as the Green Book profiles it): identifier octets in the three
//! classes the AARQ, AARE, RLRQ and RLRE need, definite lengths, OBJECT IDENTIFIER, BIT STRING,
//! OCTET STRING / GraphicString contents and INTEGER.
//!
//! ```text
//! identifier  class (2 bits) | constructed (1 bit) | number (5 bits)
//!             number 31 (0x1F) means "high tag number": base-128 octets follow, bit 8 = more
//! length      0x00..=0x7F            the length itself (short form)
//!             0x81..=0x84, n octets  big-endian length in n octets (long form)
//!             0x80                   indefinite: not used by DLMS, refused
//! contents    `length` octets
//! ```
//!
//! Decoding borrows the input and never allocates. A length is checked against the bytes left
//! before anything else is read, so a declared 4 GiB is an [`Error::BadLength`] and costs nothing.
//! Encoders write the fewest octets (the DER form), which is what every DLMS implementation sends.

use crate::reader::Reader;
use crate::Error;

/// The class of a BER tag (X.690 clause 8.1.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// Universal types (INTEGER, BIT STRING, OCTET STRING, OBJECT IDENTIFIER, ...).
    Universal,
    /// Application-wide tags: the ACSE APDUs themselves (`[APPLICATION 0]` is the AARQ).
    Application,
    /// Context-specific tags: the components of an APDU (`[1]` is the application-context-name).
    Context,
    /// Private tags: not used by DLMS.
    Private,
}

impl Class {
    /// The two class bits, in place in the identifier octet.
    const fn bits(self) -> u8 {
        match self {
            Class::Universal => 0x00,
            Class::Application => 0x40,
            Class::Context => 0x80,
            Class::Private => 0xC0,
        }
    }
}

/// A BER tag: class, primitive or constructed, and number (X.690 clause 8.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tag {
    /// The class.
    pub class: Class,
    /// Whether the contents are themselves TLVs.
    pub constructed: bool,
    /// The tag number (numbers from 31 up use the high-tag-number form).
    pub number: u32,
}

impl Tag {
    /// The universal INTEGER tag, 0x02.
    pub const INTEGER: Tag = Tag::universal(2);
    /// The universal BIT STRING tag, 0x03.
    pub const BIT_STRING: Tag = Tag::universal(3);
    /// The universal OCTET STRING tag, 0x04.
    pub const OCTET_STRING: Tag = Tag::universal(4);
    /// The universal OBJECT IDENTIFIER tag, 0x06.
    pub const OBJECT_IDENTIFIER: Tag = Tag::universal(6);
    /// The largest tag number this codec reads: four base-128 octets.
    pub const MAX_NUMBER: u32 = (1 << 28) - 1;

    /// A primitive universal tag.
    pub const fn universal(number: u32) -> Tag {
        Tag {
            class: Class::Universal,
            constructed: false,
            number,
        }
    }

    /// An application tag, such as `[APPLICATION 0]` (the AARQ, constructed: 0x60).
    pub const fn application(number: u32, constructed: bool) -> Tag {
        Tag {
            class: Class::Application,
            constructed,
            number,
        }
    }

    /// A context-specific tag, such as `[1]` (constructed: 0xA1).
    pub const fn context(number: u32, constructed: bool) -> Tag {
        Tag {
            class: Class::Context,
            constructed,
            number,
        }
    }

    /// The first identifier octet; numbers from 31 up put 0x1F there.
    pub const fn first_octet(self) -> u8 {
        let constructed = if self.constructed { 0x20 } else { 0 };
        let number = if self.number < 31 {
            self.number as u8
        } else {
            0x1F
        };
        self.class.bits() | constructed | number
    }

    /// How many identifier octets [`Tag::encode`] writes.
    pub const fn encoded_len(self) -> usize {
        if self.number < 31 {
            1
        } else {
            let bits = u32::BITS - self.number.leading_zeros();
            1 + bits.div_ceil(7) as usize
        }
    }

    /// Appends the identifier octets.
    pub fn encode(self, out: &mut Vec<u8>) {
        self.write(out);
    }

    /// Writes the identifier octets to a sink.
    pub(crate) fn write(self, s: &mut dyn Sink) {
        s.push(self.first_octet());
        if self.number >= 31 {
            let groups = self.encoded_len() - 1;
            for i in (0..groups).rev() {
                let more = if i == 0 { 0 } else { 0x80 };
                s.push(((self.number >> (7 * i)) & 0x7F) as u8 | more);
            }
        }
    }

    /// Reads the identifier octets at the reader's position.
    ///
    /// ```text
    /// first       class | constructed | number (0x1F: the number follows)
    /// [more]      1nnnnnnn ... 0nnnnnnn, no leading 0x80 octet, at most 4 octets
    /// ```
    pub(crate) fn read(r: &mut Reader<'_>, what: &'static str) -> Result<Tag, Error> {
        let first = r.u8(what)?;
        let class = match first & 0xC0 {
            0x00 => Class::Universal,
            0x40 => Class::Application,
            0x80 => Class::Context,
            _ => Class::Private,
        };
        let constructed = first & 0x20 != 0;
        let mut number = u32::from(first & 0x1F);
        if number == 0x1F {
            number = 0;
            for i in 0..5 {
                let at = r.offset();
                let octet = r.u8(what)?;
                if (i == 0 && octet == 0x80) || i == 4 {
                    return Err(Error::BadByte {
                        offset: at,
                        what,
                        expected: "a high tag number in at most 4 octets, without a leading 0x80",
                        found: octet,
                    });
                }
                number = (number << 7) | u32::from(octet & 0x7F);
                if octet & 0x80 == 0 {
                    break;
                }
            }
            if number < 31 {
                return Err(Error::BadByte {
                    offset: r.offset().saturating_sub(1),
                    what,
                    expected: "a tag number below 31 in the first identifier octet",
                    found: number as u8,
                });
            }
        }
        Ok(Tag {
            class,
            constructed,
            number,
        })
    }
}

/// Reads a BER definite length (X.690 clause 8.1.3) and checks it against the bytes left.
///
/// ```text
/// 0x00..=0x7F        the length
/// 0x81..=0x84 + n    n big-endian octets
/// ```
pub(crate) fn read_length(r: &mut Reader<'_>, what: &'static str) -> Result<usize, Error> {
    let at = r.offset();
    let first = r.u8(what)?;
    let value = if first < 0x80 {
        u64::from(first)
    } else {
        let n = usize::from(first & 0x7F);
        if n == 0 || n > 4 {
            return Err(Error::BadByte {
                offset: at,
                what,
                expected: "a definite length: below 0x80, or 0x81..=0x84 and that many octets",
                found: first,
            });
        }
        let bytes = r.bytes(n, what)?;
        bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
    };
    let max = r.remaining() as u64;
    if value > max {
        return Err(Error::BadLength {
            offset: at,
            what,
            min: 0,
            max,
            found: value,
        });
    }
    // `value <= max`, which came from a usize: the conversion is exact.
    Ok(usize::try_from(value).unwrap_or(usize::MAX))
}

/// How many octets [`put_length`] writes for `len`.
pub const fn length_len(len: usize) -> usize {
    if len < 0x80 {
        1
    } else {
        let bits = usize::BITS - len.leading_zeros();
        1 + bits.div_ceil(8) as usize
    }
}

/// Appends a BER definite length in the fewest octets.
pub fn put_length(out: &mut Vec<u8>, len: usize) {
    write_length(out, len);
}

/// Writes a BER definite length in the fewest octets to a sink.
pub(crate) fn write_length(s: &mut dyn Sink, len: usize) {
    if len < 0x80 {
        s.push(len as u8);
    } else {
        let n = length_len(len) - 1;
        s.push(0x80 | n as u8);
        for i in (0..n).rev() {
            s.push((len >> (8 * i)) as u8);
        }
    }
}

/// How many octets a whole TLV with `tag` and `content_len` octets of contents takes.
pub const fn tlv_len(tag: Tag, content_len: usize) -> usize {
    tag.encoded_len() + length_len(content_len) + content_len
}

/// Appends the identifier and length octets of a TLV whose contents the caller writes next.
pub fn put_header(out: &mut Vec<u8>, tag: Tag, content_len: usize) {
    tag.write(out);
    write_length(out, content_len);
}

/// Appends a whole primitive TLV.
pub fn put_tlv(out: &mut Vec<u8>, tag: Tag, contents: &[u8]) {
    write_tlv(out, tag, contents);
}

/// Where encoders write: a buffer, or a counter that only measures (so that one function both
/// sizes and writes each APDU, and the two can never disagree).
pub(crate) trait Sink {
    /// Takes some octets.
    fn put(&mut self, bytes: &[u8]);
    /// Takes one octet.
    fn push(&mut self, byte: u8) {
        self.put(&[byte]);
    }
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
    fn push(&mut self, byte: u8) {
        Vec::push(self, byte);
    }
}

/// A sink that counts octets.
#[derive(Debug, Default)]
pub(crate) struct Counter(pub(crate) usize);

impl Sink for Counter {
    fn put(&mut self, bytes: &[u8]) {
        self.0 = self.0.saturating_add(bytes.len());
    }
}

/// How many octets `contents` writes.
pub(crate) fn measure(contents: &dyn Fn(&mut dyn Sink)) -> usize {
    let mut counter = Counter(0);
    contents(&mut counter);
    counter.0
}

/// Writes a primitive TLV.
pub(crate) fn write_tlv(s: &mut dyn Sink, tag: Tag, contents: &[u8]) {
    tag.write(s);
    write_length(s, contents.len());
    s.put(contents);
}

/// Writes a TLV whose contents `contents` writes (measured first for the length octets).
pub(crate) fn write_nested(s: &mut dyn Sink, tag: Tag, contents: &dyn Fn(&mut dyn Sink)) {
    tag.write(s);
    write_length(s, measure(contents));
    contents(s);
}

/// One decoded TLV: a tag and the contents it frames, borrowed from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The tag.
    pub tag: Tag,
    /// The contents octets.
    pub value: &'a [u8],
    /// Where the identifier octets start.
    pub offset: usize,
    /// Where the contents start.
    pub value_offset: usize,
}

impl<'a> Tlv<'a> {
    /// Decodes the TLV at the start of `input` and says how many octets it took; offsets in the
    /// TLV and in errors count from the start of `input`.
    ///
    /// # Errors
    /// [`Error::Truncated`] when the identifier or length octets are cut short,
    /// [`Error::BadByte`] for an indefinite or over-long length or tag number,
    /// [`Error::BadLength`] when the length runs past the end of `input`.
    pub fn decode(input: &'a [u8]) -> Result<(Tlv<'a>, usize), Error> {
        let mut r = Reader::new(input);
        let tlv = Tlv::read(&mut r, "BER identifier", "BER length")?;
        Ok((tlv, r.offset()))
    }

    /// Reads one TLV at the reader's position.
    pub(crate) fn read(
        r: &mut Reader<'a>,
        tag_what: &'static str,
        length_what: &'static str,
    ) -> Result<Tlv<'a>, Error> {
        let offset = r.offset();
        let tag = Tag::read(r, tag_what)?;
        let len = read_length(r, length_what)?;
        let value_offset = r.offset();
        let value = r.bytes(len, length_what)?;
        Ok(Tlv {
            tag,
            value,
            offset,
            value_offset,
        })
    }

    /// The TLVs inside a constructed TLV's contents.
    pub fn children(&self) -> Tlvs<'a> {
        Tlvs {
            reader: Reader::at(self.value, self.value_offset),
            failed: false,
        }
    }

    /// The one TLV inside an EXPLICIT tag, which must have `tag` and fill the contents exactly.
    pub(crate) fn explicit(&self, tag: Tag, what: &'static str) -> Result<Tlv<'a>, Error> {
        let mut r = Reader::at(self.value, self.value_offset);
        let at = r.offset();
        let inner = Tlv::read(&mut r, what, what)?;
        if inner.tag != tag {
            return Err(bad_tag(at, self.value, what, tag_expectation(tag)));
        }
        if !r.is_empty() {
            return Err(Error::TrailingBytes {
                offset: r.offset(),
                what,
                count: r.remaining(),
            });
        }
        Ok(inner)
    }
}

/// The `expected` text for a tag the decoder wanted.
fn tag_expectation(tag: Tag) -> &'static str {
    match tag.number {
        2 => "INTEGER (0x02)",
        3 => "BIT STRING (0x03)",
        4 => "OCTET STRING (0x04)",
        6 => "OBJECT IDENTIFIER (0x06)",
        _ => "the tag the standard gives this component",
    }
}

/// A [`Error::BadByte`] naming the first octet of `input` (or 0 when empty).
pub(crate) fn bad_tag(
    offset: usize,
    input: &[u8],
    what: &'static str,
    expected: &'static str,
) -> Error {
    Error::BadByte {
        offset,
        what,
        expected,
        found: input.first().copied().unwrap_or(0),
    }
}

/// An iterator over the TLVs that fill a constructed TLV's contents; it stops after the first
/// error.
#[derive(Debug, Clone)]
pub struct Tlvs<'a> {
    reader: Reader<'a>,
    failed: bool,
}

impl<'a> Iterator for Tlvs<'a> {
    type Item = Result<Tlv<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.reader.is_empty() {
            return None;
        }
        let item = Tlv::read(&mut self.reader, "BER identifier", "BER length");
        self.failed = item.is_err();
        Some(item)
    }
}

/// The contents of an OBJECT IDENTIFIER (X.690 clause 8.19): subidentifiers in base 128, bit 8
/// set on every octet but the last of each; the first one is `40 * arc1 + arc2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Oid<'a>(&'a [u8]);

impl<'a> Oid<'a> {
    /// Checks the contents octets of an OBJECT IDENTIFIER found at `offset`.
    ///
    /// # Errors
    /// [`Error::BadLength`] when empty, [`Error::BadByte`] for a subidentifier with a leading
    /// 0x80 octet, [`Error::BadValue`] for one above 64 bits, [`Error::Truncated`] when the last
    /// octet still has bit 8 set (the last subidentifier is cut short).
    pub fn new(contents: &'a [u8], offset: usize) -> Result<Oid<'a>, Error> {
        const WHAT: &str = "OBJECT IDENTIFIER";
        if contents.is_empty() {
            return Err(Error::BadLength {
                offset,
                what: WHAT,
                min: 1,
                max: u64::from(u32::MAX),
                found: 0,
            });
        }
        let mut start = true;
        let mut bits = 0u32;
        for (i, &octet) in contents.iter().enumerate() {
            let at = offset.saturating_add(i);
            if start && octet == 0x80 {
                return Err(Error::BadByte {
                    offset: at,
                    what: WHAT,
                    expected: "a subidentifier without a leading 0x80 octet",
                    found: octet,
                });
            }
            bits += 7;
            if bits > 63 {
                return Err(Error::BadValue {
                    offset: at,
                    what: WHAT,
                    expected: "subidentifiers of at most 63 bits",
                    found: u64::from(octet),
                });
            }
            start = octet & 0x80 == 0;
            if start {
                bits = 0;
            }
        }
        if !start {
            return Err(Error::Truncated {
                offset: offset.saturating_add(contents.len()),
                what: WHAT,
                needed: 1,
            });
        }
        Ok(Oid(contents))
    }

    /// The contents octets.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.0
    }

    /// The arcs, the first two split out of the first subidentifier (2.16.756... for DLMS).
    pub fn arcs(&self) -> impl Iterator<Item = u64> + 'a {
        let mut subs = self.0.split_inclusive(|b| b & 0x80 == 0).map(|group| {
            group
                .iter()
                .fold(0u64, |acc, &b| (acc << 7) | u64::from(b & 0x7F))
        });
        let first = subs.next().unwrap_or(0);
        let (a, b) = match first {
            0..=39 => (0, first),
            40..=79 => (1, first - 40),
            _ => (2, first - 80),
        };
        [a, b].into_iter().chain(subs)
    }
}

impl std::fmt::Display for Oid<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, arc) in self.arcs().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{arc}")?;
        }
        Ok(())
    }
}

/// The contents of a BIT STRING (X.690 clause 8.6): the count of unused bits in the last octet,
/// then the octets, first bit in bit 8 of the first octet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BitString<'a> {
    /// Unused bits at the end of the last octet: 0..=7, and 0 when there are no octets.
    pub unused_bits: u8,
    /// The octets that carry the bits.
    pub bytes: &'a [u8],
}

impl<'a> BitString<'a> {
    /// Checks the contents octets of a BIT STRING found at `offset`.
    ///
    /// # Errors
    /// [`Error::BadLength`] when there is not even the unused-bits octet, [`Error::BadValue`]
    /// for more than 7 unused bits or unused bits without octets.
    pub fn new(contents: &'a [u8], offset: usize) -> Result<BitString<'a>, Error> {
        let Some((&unused_bits, bytes)) = contents.split_first() else {
            return Err(Error::BadLength {
                offset,
                what: "BIT STRING",
                min: 1,
                max: u64::from(u32::MAX),
                found: 0,
            });
        };
        if unused_bits > 7 || (bytes.is_empty() && unused_bits != 0) {
            return Err(Error::BadValue {
                offset,
                what: "BIT STRING unused bits",
                expected: "0..=7, and 0 for an empty string",
                found: u64::from(unused_bits),
            });
        }
        Ok(BitString { unused_bits, bytes })
    }

    /// How many bits the string carries.
    pub fn len(&self) -> usize {
        (self.bytes.len() * 8).saturating_sub(usize::from(self.unused_bits))
    }

    /// Whether the string carries no bits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bit `n`, counted from bit 8 of the first octet; `false` past the end.
    pub fn bit(&self, n: usize) -> bool {
        n < self.len()
            && self
                .bytes
                .get(n / 8)
                .is_some_and(|b| b & (0x80 >> (n % 8)) != 0)
    }
}

/// Decodes the contents of an INTEGER (X.690 clause 8.3) of at most `max_octets` (1..=8) octets.
///
/// # Errors
/// [`Error::BadLength`] when empty or longer, [`Error::BadByte`] when not in the fewest octets
/// (the first nine bits all zeros or all ones).
pub fn decode_integer(
    contents: &[u8],
    offset: usize,
    max_octets: usize,
    what: &'static str,
) -> Result<i64, Error> {
    let max = max_octets.clamp(1, 8);
    if contents.is_empty() || contents.len() > max {
        return Err(Error::BadLength {
            offset,
            what,
            min: 1,
            max: max as u64,
            found: contents.len() as u64,
        });
    }
    if let [first, second, ..] = contents {
        if (*first == 0 && second & 0x80 == 0) || (*first == 0xFF && second & 0x80 != 0) {
            return Err(Error::BadByte {
                offset,
                what,
                expected: "an INTEGER in the fewest octets (X.690 8.3.2)",
                found: *first,
            });
        }
    }
    let negative = contents.first().is_some_and(|b| b & 0x80 != 0);
    let init: i64 = if negative { -1 } else { 0 };
    Ok(contents
        .iter()
        .fold(init, |acc, &b| (acc << 8) | i64::from(b)))
}

/// How many contents octets [`put_integer`] writes for `value`.
pub const fn integer_len(value: i64) -> usize {
    let mut n = 1;
    while n < 8 {
        let shifted = value >> (8 * n - 1);
        if shifted == 0 || shifted == -1 {
            break;
        }
        n += 1;
    }
    n
}

/// Appends a whole INTEGER TLV with `tag` (universal INTEGER, or an IMPLICIT context tag) in the
/// fewest contents octets.
pub fn put_integer(out: &mut Vec<u8>, tag: Tag, value: i64) {
    write_integer(out, tag, value);
}

/// Writes an INTEGER TLV to a sink.
pub(crate) fn write_integer(s: &mut dyn Sink, tag: Tag, value: i64) {
    let n = integer_len(value);
    let bytes = value.to_be_bytes();
    write_tlv(s, tag, bytes.get(8 - n..).unwrap_or(&bytes));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_take_the_fewest_octets_and_read_back() {
        for v in [
            0i64,
            1,
            127,
            128,
            255,
            256,
            -1,
            -128,
            -129,
            32767,
            i64::MAX,
            i64::MIN,
        ] {
            let mut out = Vec::new();
            put_integer(&mut out, Tag::INTEGER, v);
            assert_eq!(out.len(), 2 + integer_len(v));
            assert_eq!(decode_integer(&out[2..], 2, 8, "INTEGER"), Ok(v), "{v}");
        }
    }

    #[test]
    fn high_tag_numbers_round_trip() {
        for n in [0u32, 30, 31, 127, 128, 16383, Tag::MAX_NUMBER] {
            let tag = Tag::application(n, false);
            let mut out = Vec::new();
            tag.encode(&mut out);
            assert_eq!(out.len(), tag.encoded_len());
            let mut r = Reader::new(&out);
            assert_eq!(Tag::read(&mut r, "tag"), Ok(tag));
            assert!(r.is_empty());
        }
    }
}
