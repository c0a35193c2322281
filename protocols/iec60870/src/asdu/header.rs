//! The data unit identifier (IEC 60870-5-101 clause 7.2, IEC 60870-5-104 clause 8): type ID,
//! variable structure qualifier, cause of transmission and common address, with the sizes a
//! profile chooses (`AsduConfig`).
//!
//! ```text
//! octet  bits 7    6    5..0
//! 1      type identification (TypeId)
//! 2      SQ   | number of objects 0..=127
//! 3      T    P/N  cause 0..=63
//! (4)    originator address                      only with a two-octet cause
//! next   common address, 1 or 2 octets little-endian
//! then   information objects, each with an address of 1, 2 or 3 octets little-endian
//! ```

use super::TypeId;
use crate::error::AsduField;
use crate::Error;
use bytes::BufMut;
use std::fmt;

/// The length of the cause of transmission field (IEC 60870-5-101 clause 7.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CotLen {
    /// One octet: no originator address (the 101 default).
    One = 1,
    /// Two octets: the cause, then the originator address (104).
    Two = 2,
}

/// The length of the common address of the ASDU (IEC 60870-5-101 clause 7.2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaLen {
    /// One octet, 0..=255.
    One = 1,
    /// Two octets, 0..=65535 (104).
    Two = 2,
}

/// The length of the information object address (IEC 60870-5-101 clause 7.2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IoaLen {
    /// One octet, 0..=255.
    One = 1,
    /// Two octets, 0..=65535 (the 101 default).
    Two = 2,
    /// Three octets, 0..=16777215 (104).
    Three = 3,
}

/// The sizes of the data unit identifier's fields, fixed per system (IEC 60870-5-101 clause 7.1,
/// IEC 60870-5-104 clause 9: two-octet cause, two-octet common address, three-octet IOA).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AsduConfig {
    /// The cause of transmission's length.
    pub cot_len: CotLen,
    /// The common address's length.
    pub ca_len: CaLen,
    /// The information object address's length.
    pub ioa_len: IoaLen,
}

impl AsduConfig {
    /// The IEC 104 profile: cause 2, common address 2, IOA 3 octets (IEC 60870-5-104 clause 9).
    pub const IEC104: Self = Self::new(CotLen::Two, CaLen::Two, IoaLen::Three);

    /// Every combination the standards allow: 2 × 2 × 3 = 12.
    pub const ALL: [Self; 12] = [
        Self::new(CotLen::One, CaLen::One, IoaLen::One),
        Self::new(CotLen::One, CaLen::One, IoaLen::Two),
        Self::new(CotLen::One, CaLen::One, IoaLen::Three),
        Self::new(CotLen::One, CaLen::Two, IoaLen::One),
        Self::new(CotLen::One, CaLen::Two, IoaLen::Two),
        Self::new(CotLen::One, CaLen::Two, IoaLen::Three),
        Self::new(CotLen::Two, CaLen::One, IoaLen::One),
        Self::new(CotLen::Two, CaLen::One, IoaLen::Two),
        Self::new(CotLen::Two, CaLen::One, IoaLen::Three),
        Self::new(CotLen::Two, CaLen::Two, IoaLen::One),
        Self::new(CotLen::Two, CaLen::Two, IoaLen::Two),
        Self::new(CotLen::Two, CaLen::Two, IoaLen::Three),
    ];

    /// A configuration.
    pub const fn new(cot_len: CotLen, ca_len: CaLen, ioa_len: IoaLen) -> Self {
        Self {
            cot_len,
            ca_len,
            ioa_len,
        }
    }

    /// The length of the data unit identifier: 2 plus the cause and common address lengths.
    pub const fn header_len(&self) -> usize {
        2 + self.cot_len as usize + self.ca_len as usize
    }

    /// The information object address's length in octets.
    pub const fn ioa_len(&self) -> usize {
        self.ioa_len as usize
    }

    /// The largest information object address the configured length holds.
    pub const fn max_ioa(&self) -> u32 {
        match self.ioa_len {
            IoaLen::One => 0xFF,
            IoaLen::Two => 0xFFFF,
            IoaLen::Three => 0xFF_FFFF,
        }
    }

    /// The largest common address the configured length holds.
    pub const fn max_common_address(&self) -> u16 {
        match self.ca_len {
            CaLen::One => 0xFF,
            CaLen::Two => 0xFFFF,
        }
    }
}

impl Default for AsduConfig {
    /// [`AsduConfig::IEC104`].
    fn default() -> Self {
        Self::IEC104
    }
}

/// A cause of transmission, six bits (IEC 60870-5-101 clause 7.2.3). Every value is kept, so a
/// reserved or private cause (48..=63) still parses and can be shown.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Cot(pub u8);

/// The short names of the causes 0..=47, Wireshark's in lower case (14 to 16 are the security
/// causes of IEC 60870-5-7), except 44 to 47, spelt out where Wireshark writes `UkTypeId`,
/// `UkCauseTx`, `UkComAdrASDU` and `UkIOA`; `None` where reserved.
const COT_NAMES: [Option<&str>; 48] = [
    None,
    Some("per/cyc"),
    Some("back"),
    Some("spont"),
    Some("init"),
    Some("req"),
    Some("act"),
    Some("actcon"),
    Some("deact"),
    Some("deactcon"),
    Some("actterm"),
    Some("retrem"),
    Some("retloc"),
    Some("file"),
    Some("auth"),
    Some("seskey"),
    Some("usrkey"),
    None,
    None,
    None,
    Some("inrogen"),
    Some("inro1"),
    Some("inro2"),
    Some("inro3"),
    Some("inro4"),
    Some("inro5"),
    Some("inro6"),
    Some("inro7"),
    Some("inro8"),
    Some("inro9"),
    Some("inro10"),
    Some("inro11"),
    Some("inro12"),
    Some("inro13"),
    Some("inro14"),
    Some("inro15"),
    Some("inro16"),
    Some("reqcogen"),
    Some("reqco1"),
    Some("reqco2"),
    Some("reqco3"),
    Some("reqco4"),
    None,
    None,
    Some("unknown type"),
    Some("unknown cause"),
    Some("unknown common address"),
    Some("unknown object address"),
];

impl Cot {
    /// 1: periodic, cyclic.
    pub const PERIODIC: Self = Self(1);
    /// 2: background scan.
    pub const BACKGROUND: Self = Self(2);
    /// 3: spontaneous.
    pub const SPONTANEOUS: Self = Self(3);
    /// 4: initialized.
    pub const INITIALIZED: Self = Self(4);
    /// 5: request or requested.
    pub const REQUEST: Self = Self(5);
    /// 6: activation.
    pub const ACTIVATION: Self = Self(6);
    /// 7: activation confirmation.
    pub const ACTIVATION_CON: Self = Self(7);
    /// 8: deactivation.
    pub const DEACTIVATION: Self = Self(8);
    /// 9: deactivation confirmation.
    pub const DEACTIVATION_CON: Self = Self(9);
    /// 10: activation termination.
    pub const ACTIVATION_TERMINATION: Self = Self(10);
    /// 11: return information caused by a remote command.
    pub const RETURN_REMOTE: Self = Self(11);
    /// 12: return information caused by a local command.
    pub const RETURN_LOCAL: Self = Self(12);
    /// 13: file transfer.
    pub const FILE_TRANSFER: Self = Self(13);
    /// 20: interrogated by station interrogation.
    pub const INTERROGATED_BY_STATION: Self = Self(20);
    /// 37: requested by general counter request.
    pub const REQUESTED_BY_GENERAL_COUNTER: Self = Self(37);
    /// 44: unknown type identification.
    pub const UNKNOWN_TYPE_ID: Self = Self(44);
    /// 45: unknown cause of transmission.
    pub const UNKNOWN_CAUSE: Self = Self(45);
    /// 46: unknown common address of ASDU.
    pub const UNKNOWN_COMMON_ADDRESS: Self = Self(46);
    /// 47: unknown information object address.
    pub const UNKNOWN_IOA: Self = Self(47);

    /// 21..=36: interrogated by group `n` interrogation, for `n` in 1..=16.
    pub const fn interrogated_by_group(n: u8) -> Option<Self> {
        if n >= 1 && n <= 16 {
            Some(Self(20 + n))
        } else {
            None
        }
    }

    /// 38..=41: requested by group `n` counter request, for `n` in 1..=4.
    pub const fn requested_by_counter_group(n: u8) -> Option<Self> {
        if n >= 1 && n <= 4 {
            Some(Self(37 + n))
        } else {
            None
        }
    }

    /// The short name (`"spont"`, `"inro3"`), or `None` for a reserved or private cause.
    pub fn name(self) -> Option<&'static str> {
        COT_NAMES.get(usize::from(self.0)).copied().flatten()
    }
}

impl fmt::Debug for Cot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "Cot({} {name})", self.0),
            None => write!(f, "Cot({})", self.0),
        }
    }
}

impl fmt::Display for Cot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "cause {}", self.0),
        }
    }
}

/// The data unit identifier of an ASDU (IEC 60870-5-101 clause 7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header {
    /// The type identification.
    pub type_id: TypeId,
    /// SQ: the objects are a sequence of elements at consecutive addresses, the address sent
    /// once (`true`), or each object carries its address.
    pub sequence: bool,
    /// The number of information objects (or of elements, with SQ), 0..=127.
    pub count: u8,
    /// The cause of transmission, 0..=63.
    pub cause: Cot,
    /// P/N: a negative confirmation.
    pub negative: bool,
    /// T: a test, not to be acted upon.
    pub test: bool,
    /// The originator address; always 0 with a one-octet cause.
    pub originator: u8,
    /// The common address of the ASDU (the station address).
    pub common_address: u16,
}

impl Header {
    /// A header with SQ = 0, no objects, P/N and T clear and originator 0.
    pub const fn new(type_id: TypeId, cause: Cot, common_address: u16) -> Self {
        Self {
            type_id,
            sequence: false,
            count: 0,
            cause,
            negative: false,
            test: false,
            originator: 0,
            common_address,
        }
    }

    /// Reads the data unit identifier at the start of `bytes`.
    ///
    /// # Errors
    /// [`Error::Truncated`] when `bytes` is shorter than [`AsduConfig::header_len`].
    pub fn decode(bytes: &[u8], config: &AsduConfig) -> Result<Self, Error> {
        let len = config.header_len();
        let (type_id, vsq, cot, rest) = match bytes.get(..len) {
            Some([type_id, vsq, cot, rest @ ..]) => (*type_id, *vsq, *cot, rest),
            _ => {
                return Err(Error::Truncated {
                    offset: bytes.len(),
                    expected_len: len,
                })
            }
        };
        let (originator, ca) = match config.cot_len {
            CotLen::One => (0, rest),
            CotLen::Two => match rest.split_first() {
                Some((&originator, ca)) => (originator, ca),
                None => (0, rest),
            },
        };
        Ok(Self {
            type_id: TypeId(type_id),
            sequence: vsq & 0x80 != 0,
            count: vsq & 0x7F,
            cause: Cot(cot & 0x3F),
            negative: cot & 0x40 != 0,
            test: cot & 0x80 != 0,
            originator,
            common_address: (read_le(ca) & 0xFFFF) as u16,
        })
    }

    /// Checks that every field fits its octets under `config`.
    ///
    /// # Errors
    /// [`Error::FieldTooLarge`] for the first field that does not fit, at its offset.
    pub fn check(&self, config: &AsduConfig) -> Result<(), Error> {
        fits(1, AsduField::ObjectCount, self.count.into(), 0x7F)?;
        fits(2, AsduField::Cause, self.cause.0.into(), 0x3F)?;
        if config.cot_len == CotLen::One {
            fits(3, AsduField::Originator, self.originator.into(), 0)?;
        }
        fits(
            2 + config.cot_len as usize,
            AsduField::CommonAddress,
            self.common_address.into(),
            config.max_common_address().into(),
        )
    }

    /// Writes the data unit identifier.
    ///
    /// # Errors
    /// Those of [`Header::check`], and [`Error::BufferTooSmall`].
    pub fn encode(&self, config: &AsduConfig, buf: &mut impl BufMut) -> Result<(), Error> {
        self.check(config)?;
        crate::error::ensure_room(buf, config.header_len())?;
        buf.put_u8(self.type_id.0);
        buf.put_u8(self.count | if self.sequence { 0x80 } else { 0 });
        buf.put_u8(
            self.cause.0 | if self.negative { 0x40 } else { 0 } | if self.test { 0x80 } else { 0 },
        );
        if config.cot_len == CotLen::Two {
            buf.put_u8(self.originator);
        }
        write_le(buf, self.common_address.into(), config.ca_len as usize);
        Ok(())
    }
}

/// Fails with [`Error::FieldTooLarge`] unless `found <= max`.
pub(crate) fn fits(offset: usize, field: AsduField, found: u32, max: u32) -> Result<(), Error> {
    if found <= max {
        Ok(())
    } else {
        Err(Error::FieldTooLarge {
            offset,
            field,
            max,
            found,
        })
    }
}

/// The little-endian number in the first (at most four) octets of `bytes`.
#[inline]
pub(crate) fn read_le(bytes: &[u8]) -> u32 {
    // One arm per address length, not a loop: this runs once per information object.
    match *bytes {
        [] => 0,
        [a] => u32::from(a),
        [a, b] => u32::from(u16::from_le_bytes([a, b])),
        [a, b, c] => u32::from_le_bytes([a, b, c, 0]),
        [a, b, c, d, ..] => u32::from_le_bytes([a, b, c, d]),
    }
}

/// Writes the low `len` octets of `value`, little-endian.
pub(crate) fn write_le(buf: &mut impl BufMut, value: u32, len: usize) {
    for byte in value.to_le_bytes().iter().take(len) {
        buf.put_u8(*byte);
    }
}
