//! The owned Data tree, for building values to encode.

use super::compact::TypeDescription;
use super::datetime::{Date, DateTime, Time};
use super::tag::DataType;
use super::view::BitStr;
use crate::reader::{length_len, put_length};

/// An owned bit-string: `len` bits in `ceil(len / 8)` octets, most significant bit first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BitString {
    len: usize,
    bytes: Vec<u8>,
}

impl BitString {
    /// The bits, first to last.
    pub fn from_bools(bits: &[bool]) -> BitString {
        let mut bytes = vec![0u8; bits.len().div_ceil(8)];
        for (i, _) in bits.iter().enumerate().filter(|(_, &b)| b) {
            if let Some(byte) = bytes.get_mut(i / 8) {
                *byte |= 0x80 >> (i % 8);
            }
        }
        BitString {
            len: bits.len(),
            bytes,
        }
    }

    /// A copy of a decoded bit-string, with its octets as sent (the unused low bits of the last
    /// octet included, so that it re-encodes byte for byte). Octets beyond `ceil(len / 8)` are
    /// dropped and missing ones are zero, so that the encoding is always well formed.
    pub fn from_bits(bits: BitStr<'_>) -> BitString {
        let octets = bits.len.div_ceil(8);
        let mut bytes: Vec<u8> = bits.bytes.iter().copied().take(octets).collect();
        bytes.resize(octets, 0);
        BitString {
            len: bits.len,
            bytes,
        }
    }

    /// Bit `i` (0 = most significant bit of the first octet), if `i < len`.
    pub fn get(&self, i: usize) -> Option<bool> {
        self.as_bits().get(i)
    }

    /// The borrowed form.
    pub fn as_bits(&self) -> BitStr<'_> {
        BitStr {
            len: self.len,
            bytes: &self.bytes,
        }
    }

    /// The number of bits.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no bits.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// An owned Data value (IEC 62056-6-2 clause 4.1.5): one variant per CHOICE alternative.
#[derive(Debug, Clone, PartialEq)]
pub enum Data {
    /// null-data.
    Null,
    /// array: elements of one type (not checked on encode).
    Array(Vec<Data>),
    /// structure.
    Structure(Vec<Data>),
    /// boolean (encoded as 0x00 or 0x01).
    Boolean(bool),
    /// bit-string.
    BitString(BitString),
    /// double-long.
    DoubleLong(i32),
    /// double-long-unsigned.
    DoubleLongUnsigned(u32),
    /// octet-string.
    OctetString(Vec<u8>),
    /// visible-string.
    VisibleString(Vec<u8>),
    /// utf8-string.
    Utf8String(Vec<u8>),
    /// bcd.
    Bcd(u8),
    /// integer.
    Integer(i8),
    /// long.
    Long(i16),
    /// unsigned.
    Unsigned(u8),
    /// long-unsigned.
    LongUnsigned(u16),
    /// compact-array: the description and the contents as they go on the wire.
    CompactArray {
        /// The type of the values.
        description: TypeDescription,
        /// The values, without tags.
        contents: Vec<u8>,
    },
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
    /// delta-integer: a difference to the value before it in the same column.
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

impl Data {
    /// The value's type.
    pub fn data_type(&self) -> DataType {
        match self {
            Data::Null => DataType::Null,
            Data::Array(_) => DataType::Array,
            Data::Structure(_) => DataType::Structure,
            Data::Boolean(_) => DataType::Boolean,
            Data::BitString(_) => DataType::BitString,
            Data::DoubleLong(_) => DataType::DoubleLong,
            Data::DoubleLongUnsigned(_) => DataType::DoubleLongUnsigned,
            Data::OctetString(_) => DataType::OctetString,
            Data::VisibleString(_) => DataType::VisibleString,
            Data::Utf8String(_) => DataType::Utf8String,
            Data::Bcd(_) => DataType::Bcd,
            Data::Integer(_) => DataType::Integer,
            Data::Long(_) => DataType::Long,
            Data::Unsigned(_) => DataType::Unsigned,
            Data::LongUnsigned(_) => DataType::LongUnsigned,
            Data::CompactArray { .. } => DataType::CompactArray,
            Data::Long64(_) => DataType::Long64,
            Data::Long64Unsigned(_) => DataType::Long64Unsigned,
            Data::Enum(_) => DataType::Enum,
            Data::Float32(_) => DataType::Float32,
            Data::Float64(_) => DataType::Float64,
            Data::DateTime(_) => DataType::DateTime,
            Data::Date(_) => DataType::Date,
            Data::Time(_) => DataType::Time,
            Data::DeltaInteger(_) => DataType::DeltaInteger,
            Data::DeltaLong(_) => DataType::DeltaLong,
            Data::DeltaDoubleLong(_) => DataType::DeltaDoubleLong,
            Data::DeltaUnsigned(_) => DataType::DeltaUnsigned,
            Data::DeltaLongUnsigned(_) => DataType::DeltaLongUnsigned,
            Data::DeltaDoubleLongUnsigned(_) => DataType::DeltaDoubleLongUnsigned,
            Data::DontCare => DataType::DontCare,
        }
    }

    /// The length of the encoding, tag included.
    pub fn encoded_len(&self) -> usize {
        1 + match self {
            Data::Null | Data::DontCare => 0,
            Data::Boolean(_)
            | Data::Bcd(_)
            | Data::Integer(_)
            | Data::Unsigned(_)
            | Data::Enum(_)
            | Data::DeltaInteger(_)
            | Data::DeltaUnsigned(_) => 1,
            Data::Long(_)
            | Data::LongUnsigned(_)
            | Data::DeltaLong(_)
            | Data::DeltaLongUnsigned(_) => 2,
            Data::DoubleLong(_)
            | Data::DoubleLongUnsigned(_)
            | Data::Float32(_)
            | Data::Time(_)
            | Data::DeltaDoubleLong(_)
            | Data::DeltaDoubleLongUnsigned(_) => 4,
            Data::Date(_) => 5,
            Data::Long64(_) | Data::Long64Unsigned(_) | Data::Float64(_) => 8,
            Data::DateTime(_) => 12,
            Data::OctetString(s) | Data::VisibleString(s) | Data::Utf8String(s) => {
                length_len(s.len()) + s.len()
            }
            Data::BitString(bits) => length_len(bits.len) + bits.bytes.len(),
            Data::Array(items) | Data::Structure(items) => {
                length_len(items.len()) + items.iter().map(Data::encoded_len).sum::<usize>()
            }
            Data::CompactArray {
                description,
                contents,
            } => description.encoded_len() + length_len(contents.len()) + contents.len(),
        }
    }

    /// Appends the A-XDR encoding (IEC 62056-6-2 clause 4.1.5), tag included.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.data_type().tag());
        match self {
            Data::Null | Data::DontCare => {}
            Data::Boolean(b) => out.push(u8::from(*b)),
            Data::Bcd(v) | Data::Unsigned(v) | Data::Enum(v) | Data::DeltaUnsigned(v) => {
                out.push(*v)
            }
            Data::Integer(v) | Data::DeltaInteger(v) => out.extend_from_slice(&v.to_be_bytes()),
            Data::Long(v) | Data::DeltaLong(v) => out.extend_from_slice(&v.to_be_bytes()),
            Data::LongUnsigned(v) | Data::DeltaLongUnsigned(v) => {
                out.extend_from_slice(&v.to_be_bytes())
            }
            Data::DoubleLong(v) | Data::DeltaDoubleLong(v) => {
                out.extend_from_slice(&v.to_be_bytes())
            }
            Data::DoubleLongUnsigned(v) | Data::DeltaDoubleLongUnsigned(v) => {
                out.extend_from_slice(&v.to_be_bytes())
            }
            Data::Long64(v) => out.extend_from_slice(&v.to_be_bytes()),
            Data::Long64Unsigned(v) => out.extend_from_slice(&v.to_be_bytes()),
            Data::Float32(v) => out.extend_from_slice(&v.to_be_bytes()),
            Data::Float64(v) => out.extend_from_slice(&v.to_be_bytes()),
            Data::DateTime(v) => out.extend_from_slice(&v.to_bytes()),
            Data::Date(v) => out.extend_from_slice(&v.to_bytes()),
            Data::Time(v) => out.extend_from_slice(&v.to_bytes()),
            Data::OctetString(s) | Data::VisibleString(s) | Data::Utf8String(s) => {
                put_length(out, s.len());
                out.extend_from_slice(s);
            }
            Data::BitString(bits) => {
                put_length(out, bits.len);
                out.extend_from_slice(&bits.bytes);
            }
            Data::Array(items) | Data::Structure(items) => {
                put_length(out, items.len());
                for item in items {
                    item.encode(out);
                }
            }
            Data::CompactArray {
                description,
                contents,
            } => {
                description.encode(out);
                put_length(out, contents.len());
                out.extend_from_slice(contents);
            }
        }
    }

    /// The encoding in a new vector.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode(&mut out);
        out
    }
}
