//! compact-array (IEC 62056-6-2 clause 4.1.5, DLMS UA 1000-2 Ed. 10 clause 9.6.3): a type
//! description, then one octet string in which the values follow each other without tags.
//!
//! ```text
//! 13                      compact-array tag
//! TypeDescription         a simple type's tag (any but 01, 02 and 13), or
//!                         01 NN NN <TypeDescription>   array: number-of-elements (Unsigned16),
//!                                                      then the type of every element
//!                         02 <count> <TypeDescription>*  structure: an A-XDR count of fields
//! <length> <contents>     A-XDR length, then values of the description one after the other
//!                         until the contents end: fixed-size types as their octets, strings and
//!                         bit-strings with their A-XDR length (in bits for bit-strings), described
//!                         arrays and structures as their elements without count or tag
//! ```
//!
//! The same layout is read by Wireshark's DLMS dissector (`dlms_dissect_compact_array_content`)
//! and by Gurux (`GXCommon.getCompactArray`, which handles a structure or a simple type at the
//! top only).
//!
//! The contents are validated against the description when the element is decoded, in time
//! linear in the input and without allocating: a description of fixed-size values only needs the
//! contents to be a multiple of its size; otherwise a table of at most
//! [`MAX_DESCRIPTION_NODES`](super::MAX_DESCRIPTION_NODES) nodes on the stack lets each value be
//! checked in work bounded by the description's depth per content octet.

use super::shape::{check_contents, outline};
use super::tag::{Body, DataType};
use super::view::body_value;
use super::walk::{skip_bits, DEPTH_CEILING};
use super::Data;
use crate::reader::{length_len, put_length, Reader};
use crate::Error;

/// The type of the values of a compact-array (`TypeDescription`, IEC 62056-6-2 clause 4.1.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeDescription {
    /// A simple type: any [`DataType`] but array, structure and compact-array (the encoder
    /// writes the tag alone whatever it is).
    Simple(DataType),
    /// `array [1]`: `count` values of one type.
    Array {
        /// number-of-elements.
        count: u16,
        /// The type of every element.
        element: Box<TypeDescription>,
    },
    /// `structure [2]`: one value of each type, in order.
    Structure(Vec<TypeDescription>),
}

impl TypeDescription {
    /// Parses one type description from the start of `input`, returning it and its length.
    /// `max_depth` bounds the nesting of arrays and structures (the top node is at depth 0;
    /// values above 64 are taken as 64).
    pub fn decode(input: &[u8], max_depth: usize) -> Result<(TypeDescription, usize), Error> {
        let shape = outline(&mut Reader::new(input), 0, max_depth.min(DEPTH_CEILING))?;
        let desc = build(input.get(..shape.len).unwrap_or(&[]))?;
        Ok((desc, shape.len))
    }

    /// Appends the A-XDR encoding.
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            TypeDescription::Simple(t) => out.push(t.tag()),
            TypeDescription::Array { count, element } => {
                out.push(DataType::Array.tag());
                out.extend_from_slice(&count.to_be_bytes());
                element.encode(out);
            }
            TypeDescription::Structure(fields) => {
                out.push(DataType::Structure.tag());
                put_length(out, fields.len());
                for field in fields {
                    field.encode(out);
                }
            }
        }
    }

    /// The length of the encoding.
    pub fn encoded_len(&self) -> usize {
        match self {
            TypeDescription::Simple(_) => 1,
            TypeDescription::Array { element, .. } => 3 + element.encoded_len(),
            TypeDescription::Structure(fields) => {
                1 + length_len(fields.len())
                    + fields
                        .iter()
                        .map(TypeDescription::encoded_len)
                        .sum::<usize>()
            }
        }
    }

    /// The fewest content octets one value takes, and the Data elements it expands to.
    fn measure(&self) -> (u64, u64) {
        match self {
            TypeDescription::Simple(t) => match t.body() {
                Body::Fixed(n) => (n as u64, 1),
                _ => (1, 1),
            },
            TypeDescription::Array { count, element } => {
                let (size, nodes) = element.measure();
                let count = u64::from(*count);
                (
                    count.saturating_mul(size),
                    count.saturating_mul(nodes).saturating_add(1),
                )
            }
            TypeDescription::Structure(fields) => {
                fields.iter().fold((0u64, 1u64), |(size, nodes), field| {
                    let (s, n) = field.measure();
                    (size.saturating_add(s), nodes.saturating_add(n))
                })
            }
        }
    }
}

impl std::fmt::Display for TypeDescription {
    /// `structure{date-time, double-long-unsigned}`, `array[96] of long-unsigned`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TypeDescription::Simple(t) => write!(f, "{t}"),
            TypeDescription::Array { count, element } => write!(f, "array[{count}] of {element}"),
            TypeDescription::Structure(fields) => {
                f.write_str("structure{")?;
                for (i, field) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{field}")?;
                }
                f.write_str("}")
            }
        }
    }
}

/// Rebuilds the owned description from validated bytes (recursion bounded by the validation).
fn build(bytes: &[u8]) -> Result<TypeDescription, Error> {
    fn one(r: &mut Reader<'_>) -> Result<TypeDescription, Error> {
        let at = r.offset();
        let tag = r.u8("type description")?;
        Ok(match DataType::at(tag, at)? {
            DataType::Array => {
                let count = r.u16("number-of-elements")?;
                TypeDescription::Array {
                    count,
                    element: Box::new(one(r)?),
                }
            }
            DataType::Structure => {
                let n = r.length("structure description", 1)?;
                let mut fields = Vec::with_capacity(n);
                for _ in 0..n {
                    fields.push(one(r)?);
                }
                TypeDescription::Structure(fields)
            }
            simple => TypeDescription::Simple(simple),
        })
    }
    one(&mut Reader::new(bytes))
}

/// Validates the compact-array after its tag at the reader (`depth` is the depth of the
/// compact-array element itself; its description's top node counts one level deeper, as an
/// array's elements do).
pub(crate) fn skip(r: &mut Reader<'_>, depth: usize, max_depth: usize) -> Result<(), Error> {
    let desc_start = r.rest();
    let desc_offset = r.offset();
    let shape = outline(r, depth + 1, max_depth)?;
    let desc = desc_start.get(..shape.len).unwrap_or(&[]);
    let len = r.length("compact-array contents", 1)?;
    let contents_offset = r.offset();
    let contents = r.bytes(len, "compact-array contents")?;
    check_contents(desc, desc_offset, shape, contents, contents_offset).map(|_| ())
}

/// A validated compact-array element (after its tag): the type description and the contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompactArrayRef<'a> {
    pub(crate) description: &'a [u8],
    pub(crate) contents: &'a [u8],
}

/// The most Data elements [`CompactArrayRef::values`] expands one value to, beyond 16 per
/// content octet of the value.
pub const EXPANSION_SLACK: u64 = 64;

impl<'a> CompactArrayRef<'a> {
    /// Splits a validated compact-array body (the bytes after the 0x13 tag).
    pub(crate) fn from_validated(body: &'a [u8]) -> CompactArrayRef<'a> {
        let mut r = Reader::new(body);
        let desc_len = outline(&mut r, 0, DEPTH_CEILING + 1)
            .map(|shape| shape.len)
            .unwrap_or(0);
        let contents = r
            .length("compact-array contents", 1)
            .ok()
            .and_then(|len| r.bytes(len, "").ok());
        CompactArrayRef {
            description: body.get(..desc_len).unwrap_or(&[]),
            contents: contents.unwrap_or(&[]),
        }
    }

    /// The encoded type description.
    pub fn description_bytes(&self) -> &'a [u8] {
        self.description
    }

    /// The type description.
    pub fn description(&self) -> TypeDescription {
        build(self.description).unwrap_or(TypeDescription::Simple(DataType::Null))
    }

    /// The contents: the values one after the other, without tags.
    pub fn contents(&self) -> &'a [u8] {
        self.contents
    }

    /// The values of the contents as owned Data, one per value of the description (a structure
    /// description gives one [`Data::Structure`] per row).
    ///
    /// Zero-size types (null-data, dont-care, arrays of them) take no octets, so a few contents
    /// octets could stand for millions of elements. The values are refused with
    /// [`Error::Unsupported`] (offset 0: the description's start) when one value would expand to
    /// more than [`EXPANSION_SLACK`] elements plus 16 per octet it takes at least: the output
    /// then stays within 80 elements per contents octet.
    pub fn values(&self) -> Result<CompactValues<'a>, Error> {
        let description = self.description();
        let (size, nodes) = description.measure();
        if !self.contents.is_empty()
            && nodes > EXPANSION_SLACK.saturating_add(size.saturating_mul(16))
        {
            return Err(Error::Unsupported {
                offset: 0,
                what: "compact-array whose values expand to more than 16 Data elements per octet",
            });
        }
        Ok(CompactValues {
            description,
            contents: Reader::new(self.contents),
        })
    }
}

/// The values of a compact-array as owned Data ([`CompactArrayRef::values`]).
#[derive(Debug, Clone)]
pub struct CompactValues<'a> {
    description: TypeDescription,
    contents: Reader<'a>,
}

impl Iterator for CompactValues<'_> {
    type Item = Data;

    fn next(&mut self) -> Option<Data> {
        if self.contents.is_empty() {
            return None;
        }
        match read_value(&self.description, &mut self.contents) {
            Ok(value) => Some(value),
            Err(_) => {
                // Validated contents cannot fail; if they did, the iterator ends.
                self.contents = Reader::new(&[]);
                None
            }
        }
    }
}

/// Reads one value of `desc` from validated contents.
fn read_value(desc: &TypeDescription, r: &mut Reader<'_>) -> Result<Data, Error> {
    match desc {
        TypeDescription::Simple(t) => {
            let start = r.rest();
            let before = r.remaining();
            match t.body() {
                Body::Fixed(n) => {
                    r.bytes(n, t.name())?;
                }
                Body::Octets => {
                    let len = r.length(t.name(), 1)?;
                    r.bytes(len, t.name())?;
                }
                Body::Bits => {
                    skip_bits(r)?;
                }
                Body::Elements | Body::Compact => {
                    return Err(Error::Unsupported {
                        offset: r.offset(),
                        what: "container type as a simple type description",
                    })
                }
            }
            let body = start.get(..before - r.remaining()).unwrap_or(&[]);
            Ok(body_value(*t, body).to_data())
        }
        TypeDescription::Array { count, element } => {
            let mut items = Vec::with_capacity(usize::from(*count).min(r.remaining() + 1));
            for _ in 0..*count {
                items.push(read_value(element, r)?);
            }
            Ok(Data::Array(items))
        }
        TypeDescription::Structure(fields) => Ok(Data::Structure(
            fields
                .iter()
                .map(|field| read_value(field, r))
                .collect::<Result<_, _>>()?,
        )),
    }
}
