//! The borrowed, validated view of one Data element.

use super::compact::CompactArrayRef;
use super::datetime::{Date, DateTime, Time};
use super::events::Events;
use super::owned::{BitString, Data};
use super::tag::DataType;
use super::walk::{element_len, read_length, skip_len, Limits};
use crate::Error;

/// One encoded Data element (tag and body), validated to its last byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataRef<'a> {
    bytes: &'a [u8],
}

/// The value of a [`DataRef`], borrowing strings and containers from the input.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// null-data.
    Null,
    /// array: elements of one type.
    Array(Items<'a>),
    /// structure.
    Structure(Items<'a>),
    /// boolean (any non-zero octet is true).
    Boolean(bool),
    /// bit-string.
    BitString(BitStr<'a>),
    /// double-long.
    DoubleLong(i32),
    /// double-long-unsigned.
    DoubleLongUnsigned(u32),
    /// octet-string.
    OctetString(&'a [u8]),
    /// visible-string: the octets as sent (ISO 646 by the standard, not checked).
    VisibleString(&'a [u8]),
    /// utf8-string: the octets as sent (not checked to be UTF-8).
    Utf8String(&'a [u8]),
    /// bcd: the octet as sent.
    Bcd(u8),
    /// integer.
    Integer(i8),
    /// long.
    Long(i16),
    /// unsigned.
    Unsigned(u8),
    /// long-unsigned.
    LongUnsigned(u16),
    /// compact-array.
    CompactArray(CompactArrayRef<'a>),
    /// long64.
    Long64(i64),
    /// long64-unsigned.
    Long64Unsigned(u64),
    /// enum.
    Enum(u8),
    /// float32.
    Float32(f32),
    /// float64.
    Float64(f64),
    /// date-time.
    DateTime(DateTime),
    /// date.
    Date(Date),
    /// time.
    Time(Time),
    /// delta-integer: a difference to the value before it.
    DeltaInteger(i8),
    /// delta-long.
    DeltaLong(i16),
    /// delta-double-long.
    DeltaDoubleLong(i32),
    /// delta-unsigned.
    DeltaUnsigned(u8),
    /// delta-long-unsigned.
    DeltaLongUnsigned(u16),
    /// delta-double-long-unsigned.
    DeltaDoubleLongUnsigned(u32),
    /// dont-care.
    DontCare,
}

/// A bit-string's bits: `len` bits, most significant bit of the first octet first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BitStr<'a> {
    /// The number of bits.
    pub len: usize,
    /// The octets that hold them (the unused low bits of the last octet as sent).
    pub bytes: &'a [u8],
}

impl BitStr<'_> {
    /// Bit `i` (0 = most significant bit of the first octet), if `i < len`.
    pub fn get(&self, i: usize) -> Option<bool> {
        if i >= self.len {
            return None;
        }
        let byte = self.bytes.get(i / 8)?;
        Some(byte & (0x80 >> (i % 8)) != 0)
    }
}

/// The elements of an array or structure, in order. `len()` (from [`ExactSizeIterator`]) is
/// the number the container announced, without consuming anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Items<'a> {
    rest: &'a [u8],
    left: usize,
}

impl<'a> Iterator for Items<'a> {
    type Item = DataRef<'a>;

    #[inline]
    fn next(&mut self) -> Option<DataRef<'a>> {
        if self.left == 0 {
            return None;
        }
        // The container was validated: its elements are skipped, not checked again. If the
        // bytes do not hold one after all, the iterator ends.
        let Some((element, rest)) =
            skip_len(self.rest).and_then(|len| self.rest.split_at_checked(len))
        else {
            self.left = 0;
            return None;
        };
        self.rest = rest;
        self.left -= 1;
        Some(DataRef { bytes: element })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Items<'_> {}

#[cfg(test)]
impl<'a> Items<'a> {
    /// Items over bytes that were not validated, for tests that the walk ends without a panic.
    pub(crate) fn unchecked(rest: &'a [u8], left: usize) -> Items<'a> {
        Items { rest, left }
    }
}

impl<'a> DataRef<'a> {
    /// Decodes the element at the start of `input` with the default [`Limits`], returning it and
    /// its length. Bytes after it are left to the caller.
    pub fn decode(input: &'a [u8]) -> Result<(DataRef<'a>, usize), Error> {
        DataRef::decode_with(input, 0, Limits::default())
    }

    /// As [`decode`](Self::decode), with errors' offsets counted from `base` and the given limits.
    pub fn decode_with(
        input: &'a [u8],
        base: usize,
        limits: Limits,
    ) -> Result<(DataRef<'a>, usize), Error> {
        let len = element_len(input, base, limits)?;
        let bytes = input.get(..len).ok_or(Error::Truncated {
            offset: base + input.len(),
            what: "Data",
            needed: len.saturating_sub(input.len()),
        })?;
        Ok((DataRef { bytes }, len))
    }

    /// Decodes an element that must fill `input` exactly.
    pub fn decode_all(input: &'a [u8]) -> Result<DataRef<'a>, Error> {
        let (data, len) = DataRef::decode(input)?;
        if len < input.len() {
            return Err(Error::TrailingBytes {
                offset: len,
                what: "Data",
                count: input.len() - len,
            });
        }
        Ok(data)
    }

    /// The encoded element, tag included.
    #[inline]
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Every array, structure and value of the element, in one pass over its bytes:
    /// [`Event`](super::Event)s in document order, without allocating and without walking any
    /// element twice (an [`Items`] walk of a whole tree finds each element's end once per level
    /// above it). `events().fold(..)` reads a whole tree in time linear in its size.
    #[inline]
    pub fn events(&self) -> Events<'a> {
        Events::new(self.bytes)
    }

    /// The element's type.
    #[inline]
    pub fn data_type(&self) -> DataType {
        self.bytes
            .first()
            .and_then(|&tag| DataType::from_tag(tag))
            .unwrap_or(DataType::Null)
    }

    /// The element's value.
    #[inline]
    pub fn value(&self) -> Value<'a> {
        body_value(self.data_type(), self.bytes.get(1..).unwrap_or(&[]))
    }

    /// The owned tree of this element.
    pub fn to_owned(&self) -> Data {
        self.value().to_data()
    }
}

/// The value of a validated body of `data_type`: the bytes after a Data element's tag, or the
/// bytes of one value inside compact-array contents. Nothing here allocates.
#[inline(always)]
pub(crate) fn body_value(data_type: DataType, body: &[u8]) -> Value<'_> {
    #[inline(always)]
    fn fixed<const N: usize>(body: &[u8]) -> [u8; N] {
        body.first_chunk::<N>().copied().unwrap_or([0; N])
    }
    #[inline(always)]
    fn octet(body: &[u8]) -> u8 {
        body.first().copied().unwrap_or(0)
    }
    // The length (or count) and what follows it.
    #[inline(always)]
    fn counted(body: &[u8]) -> (usize, &[u8]) {
        match read_length(body) {
            Some((len, header)) => (len, body.get(header..).unwrap_or(&[])),
            None => (0, &[]),
        }
    }
    match data_type {
        DataType::Null => Value::Null,
        DataType::DontCare => Value::DontCare,
        t @ (DataType::Array | DataType::Structure) => {
            let (left, rest) = counted(body);
            let items = Items { rest, left };
            if t == DataType::Array {
                Value::Array(items)
            } else {
                Value::Structure(items)
            }
        }
        DataType::Boolean => Value::Boolean(octet(body) != 0),
        DataType::BitString => {
            let (len, bytes) = counted(body);
            Value::BitString(BitStr { len, bytes })
        }
        DataType::DoubleLong => Value::DoubleLong(i32::from_be_bytes(fixed(body))),
        DataType::DoubleLongUnsigned => Value::DoubleLongUnsigned(u32::from_be_bytes(fixed(body))),
        DataType::OctetString => Value::OctetString(counted(body).1),
        DataType::VisibleString => Value::VisibleString(counted(body).1),
        DataType::Utf8String => Value::Utf8String(counted(body).1),
        DataType::Bcd => Value::Bcd(octet(body)),
        DataType::Integer => Value::Integer(i8::from_be_bytes(fixed(body))),
        DataType::Long => Value::Long(i16::from_be_bytes(fixed(body))),
        DataType::Unsigned => Value::Unsigned(octet(body)),
        DataType::LongUnsigned => Value::LongUnsigned(u16::from_be_bytes(fixed(body))),
        DataType::CompactArray => Value::CompactArray(CompactArrayRef::from_validated(body)),
        DataType::Long64 => Value::Long64(i64::from_be_bytes(fixed(body))),
        DataType::Long64Unsigned => Value::Long64Unsigned(u64::from_be_bytes(fixed(body))),
        DataType::Enum => Value::Enum(octet(body)),
        DataType::Float32 => Value::Float32(f32::from_be_bytes(fixed(body))),
        DataType::Float64 => Value::Float64(f64::from_be_bytes(fixed(body))),
        DataType::DateTime => Value::DateTime(DateTime::from_bytes(fixed(body))),
        DataType::Date => Value::Date(Date::from_bytes(fixed(body))),
        DataType::Time => Value::Time(Time::from_bytes(fixed(body))),
        DataType::DeltaInteger => Value::DeltaInteger(i8::from_be_bytes(fixed(body))),
        DataType::DeltaLong => Value::DeltaLong(i16::from_be_bytes(fixed(body))),
        DataType::DeltaDoubleLong => Value::DeltaDoubleLong(i32::from_be_bytes(fixed(body))),
        DataType::DeltaUnsigned => Value::DeltaUnsigned(octet(body)),
        DataType::DeltaLongUnsigned => Value::DeltaLongUnsigned(u16::from_be_bytes(fixed(body))),
        DataType::DeltaDoubleLongUnsigned => {
            Value::DeltaDoubleLongUnsigned(u32::from_be_bytes(fixed(body)))
        }
    }
}

impl Value<'_> {
    /// The value's type.
    pub fn data_type(&self) -> DataType {
        match self {
            Value::Null => DataType::Null,
            Value::Array(_) => DataType::Array,
            Value::Structure(_) => DataType::Structure,
            Value::Boolean(_) => DataType::Boolean,
            Value::BitString(_) => DataType::BitString,
            Value::DoubleLong(_) => DataType::DoubleLong,
            Value::DoubleLongUnsigned(_) => DataType::DoubleLongUnsigned,
            Value::OctetString(_) => DataType::OctetString,
            Value::VisibleString(_) => DataType::VisibleString,
            Value::Utf8String(_) => DataType::Utf8String,
            Value::Bcd(_) => DataType::Bcd,
            Value::Integer(_) => DataType::Integer,
            Value::Long(_) => DataType::Long,
            Value::Unsigned(_) => DataType::Unsigned,
            Value::LongUnsigned(_) => DataType::LongUnsigned,
            Value::CompactArray(_) => DataType::CompactArray,
            Value::Long64(_) => DataType::Long64,
            Value::Long64Unsigned(_) => DataType::Long64Unsigned,
            Value::Enum(_) => DataType::Enum,
            Value::Float32(_) => DataType::Float32,
            Value::Float64(_) => DataType::Float64,
            Value::DateTime(_) => DataType::DateTime,
            Value::Date(_) => DataType::Date,
            Value::Time(_) => DataType::Time,
            Value::DeltaInteger(_) => DataType::DeltaInteger,
            Value::DeltaLong(_) => DataType::DeltaLong,
            Value::DeltaDoubleLong(_) => DataType::DeltaDoubleLong,
            Value::DeltaUnsigned(_) => DataType::DeltaUnsigned,
            Value::DeltaLongUnsigned(_) => DataType::DeltaLongUnsigned,
            Value::DeltaDoubleLongUnsigned(_) => DataType::DeltaDoubleLongUnsigned,
            Value::DontCare => DataType::DontCare,
        }
    }

    /// The owned form (copies strings, walks containers).
    pub fn to_data(&self) -> Data {
        match self {
            Value::Null => Data::Null,
            Value::Array(items) => Data::Array(items.clone().map(|d| d.to_owned()).collect()),
            Value::Structure(items) => {
                Data::Structure(items.clone().map(|d| d.to_owned()).collect())
            }
            Value::Boolean(b) => Data::Boolean(*b),
            Value::BitString(bits) => Data::BitString(BitString::from_bits(*bits)),
            Value::DoubleLong(v) => Data::DoubleLong(*v),
            Value::DoubleLongUnsigned(v) => Data::DoubleLongUnsigned(*v),
            Value::OctetString(s) => Data::OctetString(s.to_vec()),
            Value::VisibleString(s) => Data::VisibleString(s.to_vec()),
            Value::Utf8String(s) => Data::Utf8String(s.to_vec()),
            Value::Bcd(v) => Data::Bcd(*v),
            Value::Integer(v) => Data::Integer(*v),
            Value::Long(v) => Data::Long(*v),
            Value::Unsigned(v) => Data::Unsigned(*v),
            Value::LongUnsigned(v) => Data::LongUnsigned(*v),
            Value::CompactArray(c) => Data::CompactArray {
                description: c.description(),
                contents: c.contents().to_vec(),
            },
            Value::Long64(v) => Data::Long64(*v),
            Value::Long64Unsigned(v) => Data::Long64Unsigned(*v),
            Value::Enum(v) => Data::Enum(*v),
            Value::Float32(v) => Data::Float32(*v),
            Value::Float64(v) => Data::Float64(*v),
            Value::DateTime(v) => Data::DateTime(*v),
            Value::Date(v) => Data::Date(*v),
            Value::Time(v) => Data::Time(*v),
            Value::DeltaInteger(v) => Data::DeltaInteger(*v),
            Value::DeltaLong(v) => Data::DeltaLong(*v),
            Value::DeltaDoubleLong(v) => Data::DeltaDoubleLong(*v),
            Value::DeltaUnsigned(v) => Data::DeltaUnsigned(*v),
            Value::DeltaLongUnsigned(v) => Data::DeltaLongUnsigned(*v),
            Value::DeltaDoubleLongUnsigned(v) => Data::DeltaDoubleLongUnsigned(*v),
            Value::DontCare => Data::DontCare,
        }
    }
}
