//! The type tags of the `Data` CHOICE (IEC 62056-6-2 clause 4.1.5).

use crate::Error;

/// The type of a `Data` element: its CHOICE tag (IEC 62056-6-2 clause 4.1.5, Table 2).
///
/// Tags 28 to 33 are the delta types the Blue Book added in its 14th edition for compact-arrays and
/// profile buffers: each holds the difference to the value before it in the same column, which
/// this layer leaves to the reader of the profile (see [`DataType::is_delta`]). Tags 7, 8, 11 and
/// 14 are not used by COSEM; they, and every tag above 33 but 255, are unknown: an element of
/// unknown type has no known length, so a Data tree that holds one cannot be decoded past it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum DataType {
    /// `null-data [0]`.
    Null = 0,
    /// `array [1] SEQUENCE OF Data`, elements of one type.
    Array = 1,
    /// `structure [2] SEQUENCE OF Data`.
    Structure = 2,
    /// `boolean [3]`.
    Boolean = 3,
    /// `bit-string [4]`.
    BitString = 4,
    /// `double-long [5] Integer32`.
    DoubleLong = 5,
    /// `double-long-unsigned [6] Unsigned32`.
    DoubleLongUnsigned = 6,
    /// `octet-string [9]`.
    OctetString = 9,
    /// `visible-string [10]`.
    VisibleString = 10,
    /// `utf8-string [12]`.
    Utf8String = 12,
    /// `bcd [13] Integer8`.
    Bcd = 13,
    /// `integer [15] Integer8`.
    Integer = 15,
    /// `long [16] Integer16`.
    Long = 16,
    /// `unsigned [17] Unsigned8`.
    Unsigned = 17,
    /// `long-unsigned [18] Unsigned16`.
    LongUnsigned = 18,
    /// `compact-array [19]`.
    CompactArray = 19,
    /// `long64 [20] Integer64`.
    Long64 = 20,
    /// `long64-unsigned [21] Unsigned64`.
    Long64Unsigned = 21,
    /// `enum [22] Unsigned8`.
    Enum = 22,
    /// `float32 [23]`, IEEE 754 single precision.
    Float32 = 23,
    /// `float64 [24]`, IEEE 754 double precision.
    Float64 = 24,
    /// `date-time [25] OCTET STRING SIZE(12)`.
    DateTime = 25,
    /// `date [26] OCTET STRING SIZE(5)`.
    Date = 26,
    /// `time [27] OCTET STRING SIZE(4)`.
    Time = 27,
    /// `delta-integer [28] Integer8`.
    DeltaInteger = 28,
    /// `delta-long [29] Integer16`.
    DeltaLong = 29,
    /// `delta-double-long [30] Integer32`.
    DeltaDoubleLong = 30,
    /// `delta-unsigned [31] Unsigned8`.
    DeltaUnsigned = 31,
    /// `delta-long-unsigned [32] Unsigned16`.
    DeltaLongUnsigned = 32,
    /// `delta-double-long-unsigned [33] Unsigned32`.
    DeltaDoubleLongUnsigned = 33,
    /// `dont-care [255]`.
    DontCare = 255,
}

/// What an element of a type holds after its tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Body {
    /// Exactly this many octets.
    Fixed(usize),
    /// An A-XDR length, then that many octets.
    Octets,
    /// An A-XDR length in bits, then the octets that hold them.
    Bits,
    /// An A-XDR count, then that many elements.
    Elements,
    /// A type description and an octet string of values.
    Compact,
}

impl DataType {
    /// The type of a tag, if COSEM defines one.
    #[inline]
    pub fn from_tag(tag: u8) -> Option<DataType> {
        TYPES.get(usize::from(tag)).copied().flatten()
    }

    /// [`from_tag`](Self::from_tag) as a `match`, for building [`TYPES`] at compile time.
    const fn of_tag(tag: u8) -> Option<DataType> {
        use DataType::*;
        Some(match tag {
            0 => Null,
            1 => Array,
            2 => Structure,
            3 => Boolean,
            4 => BitString,
            5 => DoubleLong,
            6 => DoubleLongUnsigned,
            9 => OctetString,
            10 => VisibleString,
            12 => Utf8String,
            13 => Bcd,
            15 => Integer,
            16 => Long,
            17 => Unsigned,
            18 => LongUnsigned,
            19 => CompactArray,
            20 => Long64,
            21 => Long64Unsigned,
            22 => Enum,
            23 => Float32,
            24 => Float64,
            25 => DateTime,
            26 => Date,
            27 => Time,
            28 => DeltaInteger,
            29 => DeltaLong,
            30 => DeltaDoubleLong,
            31 => DeltaUnsigned,
            32 => DeltaLongUnsigned,
            33 => DeltaDoubleLongUnsigned,
            255 => DontCare,
            _ => return None,
        })
    }

    /// The type of the tag at `offset`, or [`Error::UnknownChoice`].
    pub(crate) fn at(tag: u8, offset: usize) -> Result<DataType, Error> {
        DataType::from_tag(tag).ok_or(Error::UnknownChoice {
            offset,
            what: "Data type tag",
            found: tag,
        })
    }

    /// The CHOICE tag.
    pub fn tag(self) -> u8 {
        self as u8
    }

    /// The name the standard gives the alternative (`"double-long-unsigned"`).
    pub fn name(self) -> &'static str {
        use DataType::*;
        match self {
            Null => "null-data",
            Array => "array",
            Structure => "structure",
            Boolean => "boolean",
            BitString => "bit-string",
            DoubleLong => "double-long",
            DoubleLongUnsigned => "double-long-unsigned",
            OctetString => "octet-string",
            VisibleString => "visible-string",
            Utf8String => "utf8-string",
            Bcd => "bcd",
            Integer => "integer",
            Long => "long",
            Unsigned => "unsigned",
            LongUnsigned => "long-unsigned",
            CompactArray => "compact-array",
            Long64 => "long64",
            Long64Unsigned => "long64-unsigned",
            Enum => "enum",
            Float32 => "float32",
            Float64 => "float64",
            DateTime => "date-time",
            Date => "date",
            Time => "time",
            DeltaInteger => "delta-integer",
            DeltaLong => "delta-long",
            DeltaDoubleLong => "delta-double-long",
            DeltaUnsigned => "delta-unsigned",
            DeltaLongUnsigned => "delta-long-unsigned",
            DeltaDoubleLongUnsigned => "delta-double-long-unsigned",
            DontCare => "dont-care",
        }
    }

    /// Whether the type is one of the delta types (tags 28 to 33): the value is a difference to
    /// the one before it in the same compact-array or profile column, not a reading.
    pub fn is_delta(self) -> bool {
        (28..=33).contains(&self.tag())
    }

    /// Every type, in tag order.
    pub const ALL: [DataType; 31] = {
        use DataType::*;
        [
            Null,
            Array,
            Structure,
            Boolean,
            BitString,
            DoubleLong,
            DoubleLongUnsigned,
            OctetString,
            VisibleString,
            Utf8String,
            Bcd,
            Integer,
            Long,
            Unsigned,
            LongUnsigned,
            CompactArray,
            Long64,
            Long64Unsigned,
            Enum,
            Float32,
            Float64,
            DateTime,
            Date,
            Time,
            DeltaInteger,
            DeltaLong,
            DeltaDoubleLong,
            DeltaUnsigned,
            DeltaLongUnsigned,
            DeltaDoubleLongUnsigned,
            DontCare,
        ]
    };

    /// What follows the tag.
    pub(crate) const fn body(self) -> Body {
        use DataType::*;
        match self {
            Null | DontCare => Body::Fixed(0),
            Boolean | Bcd | Integer | Unsigned | Enum | DeltaInteger | DeltaUnsigned => {
                Body::Fixed(1)
            }
            Long | LongUnsigned | DeltaLong | DeltaLongUnsigned => Body::Fixed(2),
            DoubleLong
            | DoubleLongUnsigned
            | Float32
            | Time
            | DeltaDoubleLong
            | DeltaDoubleLongUnsigned => Body::Fixed(4),
            Date => Body::Fixed(5),
            Long64 | Long64Unsigned | Float64 => Body::Fixed(8),
            DateTime => Body::Fixed(12),
            OctetString | VisibleString | Utf8String => Body::Octets,
            BitString => Body::Bits,
            Array | Structure => Body::Elements,
            CompactArray => Body::Compact,
        }
    }
}

/// The type of every tag octet, looked up rather than matched in the walks' loops.
static TYPES: [Option<DataType>; 256] = {
    let mut table = [None; 256];
    let mut rest: &mut [Option<DataType>] = &mut table;
    let mut tag = 0u8;
    while let [slot, tail @ ..] = rest {
        *slot = DataType::of_tag(tag);
        rest = tail;
        tag = tag.wrapping_add(1);
    }
    table
};

/// What follows a tag, in one octet for the walks' tables: 0 to [`MAX_FIXED`] is a fixed body
/// of that many octets; [`OCTETS`], [`BITS`], [`ELEMENTS`] and [`COMPACT`] are the other
/// [`Body`] kinds; [`UNKNOWN`] is a tag COSEM does not define.
pub(crate) mod class {
    /// The largest fixed body (date-time).
    pub(crate) const MAX_FIXED: u8 = 12;
    /// [`Body::Octets`](super::Body::Octets).
    pub(crate) const OCTETS: u8 = 0x80;
    /// [`Body::Bits`](super::Body::Bits).
    pub(crate) const BITS: u8 = 0x81;
    /// [`Body::Elements`](super::Body::Elements).
    pub(crate) const ELEMENTS: u8 = 0x82;
    /// [`Body::Compact`](super::Body::Compact).
    pub(crate) const COMPACT: u8 = 0x83;
    /// No such type.
    pub(crate) const UNKNOWN: u8 = 0xFF;
}

/// The class of every tag octet ([`class`]).
static CLASSES: [u8; 256] = {
    let mut table = [class::UNKNOWN; 256];
    let mut rest: &mut [u8] = &mut table;
    let mut tag = 0u8;
    while let [slot, tail @ ..] = rest {
        *slot = match DataType::of_tag(tag) {
            None => class::UNKNOWN,
            Some(data_type) => match data_type.body() {
                // At most 12: the cast is exact.
                Body::Fixed(n) => n as u8,
                Body::Octets => class::OCTETS,
                Body::Bits => class::BITS,
                Body::Elements => class::ELEMENTS,
                Body::Compact => class::COMPACT,
            },
        };
        rest = tail;
        tag = tag.wrapping_add(1);
    }
    table
};

/// The [`class`] of a tag octet.
#[inline(always)]
pub(crate) fn class_of(tag: u8) -> u8 {
    CLASSES
        .get(usize::from(tag))
        .copied()
        .unwrap_or(class::UNKNOWN)
}

impl std::fmt::Display for DataType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tables_agree_with_the_match_for_every_octet() {
        for tag in 0..=255u8 {
            let data_type = DataType::of_tag(tag);
            assert_eq!(DataType::from_tag(tag), data_type, "{tag}");
            let expected = match data_type.map(DataType::body) {
                None => class::UNKNOWN,
                Some(Body::Fixed(n)) => n as u8,
                Some(Body::Octets) => class::OCTETS,
                Some(Body::Bits) => class::BITS,
                Some(Body::Elements) => class::ELEMENTS,
                Some(Body::Compact) => class::COMPACT,
            };
            assert_eq!(class_of(tag), expected, "{tag}");
        }
    }
}
