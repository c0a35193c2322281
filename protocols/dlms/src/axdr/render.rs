//! One-line renderings of Data for logs and test failures (the binary renders JSON elsewhere).
//!
//! ```text
//! [{2026-12-07T10:15:00.00+01:00 status 0x00, 1234, 42}]     array of one structure
//! null  dont-care  true  -5  1.5  enum(3)  bcd(0x12)  delta(+250)
//! '0102FF'H  "text"  bits'1010'                               octet-, visible-/utf8-, bit-string
//! compact-array<structure{long-unsigned, date}>[{1, 2026-12-07}, ...]
//! ```
//!
//! Strings are shown with Rust's escapes when they are UTF-8, else octet by octet as `\xNN`.
//! Rendering a view allocates nothing but for compact-arrays, whose values are expanded.

use super::compact::CompactArrayRef;
use super::owned::Data;
use super::view::{BitStr, DataRef, Value};
use std::fmt::{self, Display, Formatter, Write};

fn octets(f: &mut Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    f.write_char('\'')?;
    for b in bytes {
        write!(f, "{b:02X}")?;
    }
    f.write_str("'H")
}

fn text(f: &mut Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    match std::str::from_utf8(bytes) {
        Ok(s) => write!(f, "{s:?}"),
        Err(_) => {
            f.write_char('"')?;
            for &b in bytes {
                match b {
                    b'"' | b'\\' => write!(f, "\\{}", char::from(b))?,
                    0x20..=0x7E => f.write_char(char::from(b))?,
                    _ => write!(f, "\\x{b:02X}")?,
                }
            }
            f.write_char('"')
        }
    }
}

fn bits(f: &mut Formatter<'_>, bits: BitStr<'_>) -> fmt::Result {
    f.write_str("bits'")?;
    for i in 0..bits.len {
        f.write_char(if bits.get(i) == Some(true) { '1' } else { '0' })?;
    }
    f.write_char('\'')
}

fn list<T: Display>(
    f: &mut Formatter<'_>,
    open: char,
    items: impl Iterator<Item = T>,
    close: char,
) -> fmt::Result {
    f.write_char(open)?;
    for (i, item) in items.enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    f.write_char(close)
}

fn compact(f: &mut Formatter<'_>, c: CompactArrayRef<'_>) -> fmt::Result {
    write!(f, "compact-array<{}>", c.description())?;
    match c.values() {
        Ok(values) => list(f, '[', values, ']'),
        Err(_) => octets(f, c.contents()),
    }
}

impl Display for Value<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::DontCare => f.write_str("dont-care"),
            Value::Array(items) => list(f, '[', items.clone(), ']'),
            Value::Structure(items) => list(f, '{', items.clone(), '}'),
            Value::Boolean(b) => write!(f, "{b}"),
            Value::BitString(b) => bits(f, *b),
            Value::DoubleLong(v) => write!(f, "{v}"),
            Value::DoubleLongUnsigned(v) => write!(f, "{v}"),
            Value::OctetString(s) => octets(f, s),
            Value::VisibleString(s) | Value::Utf8String(s) => text(f, s),
            Value::Bcd(v) => write!(f, "bcd({v:#04x})"),
            Value::Integer(v) => write!(f, "{v}"),
            Value::Long(v) => write!(f, "{v}"),
            Value::Unsigned(v) => write!(f, "{v}"),
            Value::LongUnsigned(v) => write!(f, "{v}"),
            Value::CompactArray(c) => compact(f, *c),
            Value::Long64(v) => write!(f, "{v}"),
            Value::Long64Unsigned(v) => write!(f, "{v}"),
            Value::Enum(v) => write!(f, "enum({v})"),
            Value::Float32(v) => write!(f, "{v}"),
            Value::Float64(v) => write!(f, "{v}"),
            Value::DateTime(v) => write!(f, "{v}"),
            Value::Date(v) => write!(f, "{v}"),
            Value::Time(v) => write!(f, "{v}"),
            Value::DeltaInteger(v) => write!(f, "delta({v:+})"),
            Value::DeltaLong(v) => write!(f, "delta({v:+})"),
            Value::DeltaDoubleLong(v) => write!(f, "delta({v:+})"),
            Value::DeltaUnsigned(v) => write!(f, "delta(+{v})"),
            Value::DeltaLongUnsigned(v) => write!(f, "delta(+{v})"),
            Value::DeltaDoubleLongUnsigned(v) => write!(f, "delta(+{v})"),
        }
    }
}

impl Display for DataRef<'_> {
    /// The one-line rendering of the module docs.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        self.value().fmt(f)
    }
}

impl Display for Data {
    /// The same rendering as for a [`DataRef`] of its encoding.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let leaf = match self {
            Data::Array(items) => return list(f, '[', items.iter(), ']'),
            Data::Structure(items) => return list(f, '{', items.iter(), '}'),
            Data::CompactArray { description, .. } => {
                let encoded = self.to_vec();
                return match DataRef::decode_all(&encoded) {
                    Ok(view) => view.fmt(f),
                    Err(_) => write!(f, "compact-array<{description}>(invalid)"),
                };
            }
            Data::Null => Value::Null,
            Data::DontCare => Value::DontCare,
            Data::Boolean(v) => Value::Boolean(*v),
            Data::BitString(v) => Value::BitString(v.as_bits()),
            Data::DoubleLong(v) => Value::DoubleLong(*v),
            Data::DoubleLongUnsigned(v) => Value::DoubleLongUnsigned(*v),
            Data::OctetString(v) => Value::OctetString(v),
            Data::VisibleString(v) => Value::VisibleString(v),
            Data::Utf8String(v) => Value::Utf8String(v),
            Data::Bcd(v) => Value::Bcd(*v),
            Data::Integer(v) => Value::Integer(*v),
            Data::Long(v) => Value::Long(*v),
            Data::Unsigned(v) => Value::Unsigned(*v),
            Data::LongUnsigned(v) => Value::LongUnsigned(*v),
            Data::Long64(v) => Value::Long64(*v),
            Data::Long64Unsigned(v) => Value::Long64Unsigned(*v),
            Data::Enum(v) => Value::Enum(*v),
            Data::Float32(v) => Value::Float32(*v),
            Data::Float64(v) => Value::Float64(*v),
            Data::DateTime(v) => Value::DateTime(*v),
            Data::Date(v) => Value::Date(*v),
            Data::Time(v) => Value::Time(*v),
            Data::DeltaInteger(v) => Value::DeltaInteger(*v),
            Data::DeltaLong(v) => Value::DeltaLong(*v),
            Data::DeltaDoubleLong(v) => Value::DeltaDoubleLong(*v),
            Data::DeltaUnsigned(v) => Value::DeltaUnsigned(*v),
            Data::DeltaLongUnsigned(v) => Value::DeltaLongUnsigned(*v),
            Data::DeltaDoubleLongUnsigned(v) => Value::DeltaDoubleLongUnsigned(*v),
        };
        leaf.fmt(f)
    }
}
