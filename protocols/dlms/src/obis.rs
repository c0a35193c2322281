//! OBIS codes (IEC 62056-6-1, DLMS UA 1000-1 "Blue Book" clause 7): the six value groups A to F
//! that name every COSEM object, as the 6-octet logical_name of the object.
//!
//! ```text
//! octet 0  A  medium: 0 abstract objects, 1 electricity, 4..9 other media, 15 other
//!       1  B  channel: 0 no channel, 1..=64 channels
//!       2  C  the quantity (electricity: active power +, L1 voltage, ...) or the object family
//!       3  D  the processing (instantaneous value, time integral, maximum demand, ...)
//!       4  E  a further classification: the tariff rate, a harmonic, an instance
//!       5  F  the billing period; 255 when not used
//! ```
//!
//! Text forms: `A-B:C.D.E*F` is the standard one and the one [`Display`](std::fmt::Display)
//! writes; [`FromStr`](std::str::FromStr) also reads `A-B:C.D.E` (F = 255), `A-B:C.D.E&F` and the
//! dotted `A.B.C.D.E.F` that configurations and tools use (`"1.0.1.8.0.255"`).
//! [`ObisCode::name`] names the common objects from their value groups.

mod names;
mod parse;

pub use names::{ObisName, Qualifier};

use crate::reader::Reader;
use crate::Error;

/// An OBIS code: the logical name of a COSEM object (IEC 62056-6-1 clause 4).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ObisCode([u8; 6]);

impl ObisCode {
    /// The clock, 0-0:1.0.0*255 (interface class 8).
    pub const CLOCK: Self = Self::new(0, 0, 1, 0, 0, 255);
    /// The current association, 0-0:40.0.0*255 (Association LN, class 15, or SN, class 12).
    pub const CURRENT_ASSOCIATION: Self = Self::new(0, 0, 40, 0, 0, 255);
    /// SAP assignment, 0-0:41.0.0*255 (class 17).
    pub const SAP_ASSIGNMENT: Self = Self::new(0, 0, 41, 0, 0, 255);
    /// The COSEM logical device name, 0-0:42.0.0*255.
    pub const LOGICAL_DEVICE_NAME: Self = Self::new(0, 0, 42, 0, 0, 255);
    /// The first security setup, 0-0:43.0.0*255 (class 64).
    pub const SECURITY_SETUP: Self = Self::new(0, 0, 43, 0, 0, 255);
    /// The first invocation (frame) counter, 0-0:43.1.0*255.
    pub const INVOCATION_COUNTER: Self = Self::new(0, 0, 43, 1, 0, 255);
    /// Image transfer (firmware update), 0-0:44.0.0*255 (class 18).
    pub const IMAGE_TRANSFER: Self = Self::new(0, 0, 44, 0, 0, 255);
    /// The active firmware identifier, 1-0:0.2.0*255.
    pub const ACTIVE_FIRMWARE_IDENTIFIER: Self = Self::new(1, 0, 0, 2, 0, 255);
    /// The first push setup, 0-0:25.9.0*255 (class 40).
    pub const PUSH_SETUP: Self = Self::new(0, 0, 25, 9, 0, 255);
    /// Disconnect control, 0-0:96.3.10*255 (class 70).
    pub const DISCONNECT_CONTROL: Self = Self::new(0, 0, 96, 3, 10, 255);
    /// The error register, 0-0:97.97.0*255.
    pub const ERROR_REGISTER: Self = Self::new(0, 0, 97, 97, 0, 255);
    /// The first alarm register, 0-0:97.98.0*255.
    pub const ALARM_REGISTER: Self = Self::new(0, 0, 97, 98, 0, 255);
    /// The first event log, 0-0:99.98.0*255 (profile generic).
    pub const EVENT_LOG: Self = Self::new(0, 0, 99, 98, 0, 255);
    /// Active energy import (+A), total: 1-0:1.8.0*255.
    pub const ACTIVE_ENERGY_IMPORT: Self = Self::new(1, 0, 1, 8, 0, 255);
    /// Active energy export (-A), total: 1-0:2.8.0*255.
    pub const ACTIVE_ENERGY_EXPORT: Self = Self::new(1, 0, 2, 8, 0, 255);
    /// Load profile 1, 1-0:99.1.0*255 (profile generic).
    pub const LOAD_PROFILE_1: Self = Self::new(1, 0, 99, 1, 0, 255);
    /// Load profile 2, 1-0:99.2.0*255 (profile generic).
    pub const LOAD_PROFILE_2: Self = Self::new(1, 0, 99, 2, 0, 255);

    /// The code of value groups A to F.
    pub const fn new(a: u8, b: u8, c: u8, d: u8, e: u8, f: u8) -> Self {
        Self([a, b, c, d, e, f])
    }

    /// The code of the six octets of a logical_name.
    pub const fn from_bytes(bytes: [u8; 6]) -> Self {
        Self(bytes)
    }

    /// The six octets of the logical_name.
    pub const fn to_bytes(self) -> [u8; 6] {
        self.0
    }

    /// Value group A: the medium.
    pub const fn a(self) -> u8 {
        self.0[0]
    }

    /// Value group B: the channel.
    pub const fn b(self) -> u8 {
        self.0[1]
    }

    /// Value group C: the quantity or object family.
    pub const fn c(self) -> u8 {
        self.0[2]
    }

    /// Value group D: the processing.
    pub const fn d(self) -> u8 {
        self.0[3]
    }

    /// Value group E: the rate, harmonic or instance.
    pub const fn e(self) -> u8 {
        self.0[4]
    }

    /// Value group F: the billing period (255: not used).
    pub const fn f(self) -> u8 {
        self.0[5]
    }

    /// The same code with value group F set (F = 255 for the current values).
    #[must_use]
    pub const fn with_f(self, f: u8) -> Self {
        let [a, b, c, d, e, _] = self.0;
        Self([a, b, c, d, e, f])
    }

    /// Reads a logical_name: exactly the first six octets of `input`; offsets in errors count
    /// from the start of `input`.
    ///
    /// # Errors
    /// [`Error::Truncated`] when `input` holds fewer than six octets.
    pub fn decode(input: &[u8]) -> Result<Self, Error> {
        Ok(Self(Reader::new(input).array("logical_name")?))
    }

    /// The bytes [`ObisCode::encode`] writes: 6.
    pub const fn encoded_len(&self) -> usize {
        6
    }

    /// Appends the six octets of the logical_name.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0);
    }

    /// What the code names, when its value groups are among the common objects this crate knows
    /// (IEC 62056-6-1 clause 7): abstract objects (A = 0: clock, associations, security setup,
    /// push setup, disconnect control, error and alarm registers, event logs, ...) and
    /// electricity (A = 1: the quantity and phase from C, the processing from D, the tariff rate
    /// or harmonic from E). `None` for other media and for codes it cannot name.
    ///
    /// The name is composed, not looked up, so it is a small value that implements
    /// [`Display`](std::fmt::Display): `ObisCode::ACTIVE_ENERGY_IMPORT.name()` shows as
    /// `active energy import (+A), total`.
    pub fn name(self) -> Option<ObisName> {
        names::name(self)
    }
}

impl From<[u8; 6]> for ObisCode {
    fn from(bytes: [u8; 6]) -> Self {
        Self(bytes)
    }
}

impl From<ObisCode> for [u8; 6] {
    fn from(code: ObisCode) -> Self {
        code.0
    }
}

impl TryFrom<&[u8]> for ObisCode {
    type Error = Error;

    /// Exactly six octets.
    fn try_from(bytes: &[u8]) -> Result<Self, Error> {
        match <[u8; 6]>::try_from(bytes) {
            Ok(array) => Ok(Self(array)),
            Err(_) => Err(Error::BadLength {
                offset: 0,
                what: "logical_name",
                min: 6,
                max: 6,
                found: bytes.len() as u64,
            }),
        }
    }
}

impl std::fmt::Display for ObisCode {
    /// The standard form `A-B:C.D.E*F`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let [a, b, c, d, e, ff] = self.0;
        write!(f, "{a}-{b}:{c}.{d}.{e}*{ff}")
    }
}

impl std::fmt::Debug for ObisCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ObisCode({self})")
    }
}

impl std::str::FromStr for ObisCode {
    type Err = Error;

    /// Reads `A-B:C.D.E*F`, `A-B:C.D.E&F`, `A-B:C.D.E` (F = 255) or `A.B.C.D.E.F`, each group
    /// a decimal number 0..=255. Offsets in errors count bytes from the start of the string.
    ///
    /// # Errors
    /// [`Error::BadByte`] for a character that cannot come there, [`Error::BadValue`] for a
    /// group above 255, [`Error::Truncated`] for a string that ends before value group E (or F
    /// in the dotted form).
    fn from_str(s: &str) -> Result<Self, Error> {
        parse::parse(s.as_bytes()).map(Self)
    }
}

/// Public proptest strategies for OBIS codes (feature `proptest`).
#[cfg(feature = "proptest")]
pub mod strategy {
    use super::ObisCode;
    use proptest::prelude::*;

    /// Any OBIS code.
    pub fn obis_code() -> impl Strategy<Value = ObisCode> {
        any::<[u8; 6]>().prop_map(ObisCode::from_bytes)
    }
}
