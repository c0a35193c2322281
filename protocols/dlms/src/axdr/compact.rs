//! compact-array (IEC 62056-6-2 clause 4.1.5, DLMS UA 1000-2 Ed. 10 clause 9.6.3): a type
//! description, then one octet string in which the values follow each other without tags.
//!
//! ```text
//! 13                      compact-array tag
//! TypeDescription         00..=1B but 13: a simple type's tag
//!                         01 NN NN <TypeDescription>   array of NNNN elements of one type
//!                         02 <count> <TypeDescription>* structure
//! <length> <contents>     A-XDR length, then the values: fixed-size ones as their octets, strings
//!                         and bit-strings with their length, described arrays without a count
//! ```
//!
//! The contents are validated against the description when the element is decoded. The work is
//! bounded by the contents' length: a described array of zero-size elements (null-data,
//! dont-care, empty structures) is never iterated.

use super::tag::{Body, DataType};
use crate::reader::{put_length, Reader};
use crate::Error;

/// The type of the values of a compact-array (`TypeDescription`, IEC 62056-6-2 clause 4.1.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeDescription {
    /// A simple type: any [`DataType`] but array, structure and compact-array.
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
    /// `max_depth` bounds the nesting of arrays and structures.
    pub fn decode(input: &[u8], max_depth: usize) -> Result<(TypeDescription, usize), Error> {
        let (len, _) = describe(&mut Reader::new(input), 0, max_depth)?;
        let desc = build(input.get(..len).unwrap_or(&[]))?;
        Ok((desc, len))
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

/// Validates one type description at the reader, returning its length and the fewest content
/// octets one value of it takes (0 only for types that always take none).
fn describe(r: &mut Reader<'_>, depth: usize, max_depth: usize) -> Result<(usize, usize), Error> {
    let start = r.offset();
    let tag = r.u8("type description")?;
    let data_type = DataType::at(tag, start)?;
    let min = match data_type.body() {
        Body::Fixed(n) => n,
        Body::Octets | Body::Bits => 1,
        Body::Compact => {
            return Err(Error::BadByte {
                offset: start,
                what: "type description",
                expected: "a type other than compact-array",
                found: tag,
            })
        }
        Body::Elements => {
            if depth >= max_depth {
                return Err(Error::TooDeep {
                    offset: start,
                    max: max_depth,
                });
            }
            if data_type == DataType::Array {
                let count = usize::from(r.u16("number-of-elements")?);
                let (_, element) = describe(r, depth + 1, max_depth)?;
                count.saturating_mul(element)
            } else {
                let n = r.length("structure description", 1)?;
                let mut min = 0usize;
                for _ in 0..n {
                    let (_, field) = describe(r, depth + 1, max_depth)?;
                    min = min.saturating_add(field);
                }
                min
            }
        }
    };
    Ok((r.offset() - start, min))
}

/// Consumes one value of the validated description `desc` from the contents reader.
fn skip_value(desc: &mut Reader<'_>, contents: &mut Reader<'_>) -> Result<(), Error> {
    let at = desc.offset();
    let tag = desc.u8("type description")?;
    let data_type = DataType::at(tag, at)?;
    match data_type.body() {
        Body::Fixed(n) => {
            contents.bytes(n, data_type.name())?;
        }
        Body::Octets => {
            let len = contents.length(data_type.name(), 1)?;
            contents.bytes(len, data_type.name())?;
        }
        Body::Bits => {
            let bits = contents.length("bit-string length", 0)?;
            contents.bytes(bits.div_ceil(8), "bit-string")?;
        }
        Body::Compact => {
            return Err(Error::Unsupported {
                offset: at,
                what: "compact-array inside a type description",
            })
        }
        Body::Elements if data_type == DataType::Array => {
            let count = desc.u16("number-of-elements")?;
            let element_desc = desc.rest();
            // The element's description length and its smallest size, to skip it afterwards and
            // to avoid iterating values that take no octets.
            let (len, min) = describe(&mut Reader::new(element_desc), 0, usize::MAX)?;
            if min > 0 {
                for _ in 0..count {
                    skip_value(&mut Reader::at(element_desc, desc.offset()), contents)?;
                }
            }
            desc.bytes(len, "type description")?;
        }
        Body::Elements => {
            let n = desc.length("structure description", 1)?;
            for _ in 0..n {
                skip_value(desc, contents)?;
            }
        }
    }
    Ok(())
}

/// Validates the compact-array after its tag at the reader (`depth` is the depth of the
/// compact-array element itself).
pub(crate) fn skip(r: &mut Reader<'_>, depth: usize, max_depth: usize) -> Result<(), Error> {
    let desc_start = r.rest();
    let desc_offset = r.offset();
    let (desc_len, min) = describe(r, depth + 1, max_depth.max(depth + 1))?;
    let desc = desc_start.get(..desc_len).unwrap_or(&[]);
    let len = r.length("compact-array contents", 1)?;
    let contents_offset = r.offset();
    let contents = r.bytes(len, "compact-array contents")?;
    if min == 0 {
        if !contents.is_empty() {
            return Err(Error::TrailingBytes {
                offset: contents_offset,
                what: "compact-array of values that take no octets",
                count: contents.len(),
            });
        }
        return Ok(());
    }
    let mut values = Reader::at(contents, contents_offset);
    while !values.is_empty() {
        skip_value(&mut Reader::at(desc, desc_offset), &mut values)?;
    }
    Ok(())
}

/// A validated compact-array element (after its tag): the type description and the contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompactArrayRef<'a> {
    pub(crate) description: &'a [u8],
    pub(crate) contents: &'a [u8],
}

impl<'a> CompactArrayRef<'a> {
    /// Splits a validated compact-array body (the bytes after the 0x13 tag).
    pub(crate) fn from_validated(body: &'a [u8]) -> CompactArrayRef<'a> {
        let mut r = Reader::new(body);
        let desc_len = describe(&mut r, 0, usize::MAX)
            .map(|(len, _)| len)
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
}
