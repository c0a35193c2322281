//! Quality descriptors and the point information that carries its own quality bits
//! (IEC 60870-5-101 clauses 7.2.6.1 to 7.2.6.4, 7.2.6.10 to 7.2.6.12).
//!
//! ```text
//! bit   7    6    5    4    3    2    1    0
//! QDS   IV   NT   SB   BL   RES  RES  RES  OV
//! SIQ   IV   NT   SB   BL   RES  RES  RES  SPI
//! DIQ   IV   NT   SB   BL   RES  RES  DPI DPI
//! QDP   IV   NT   SB   BL   EI   RES  RES  RES
//! SEP   IV   NT   SB   BL   EI   RES  ES   ES
//! SPE   RES  RES  SRD  SIE  SL3  SL2  SL1  GS
//! OCI   RES  RES  RES  RES  CL3  CL2  CL1  GC
//! ```
//!
//! Each is a newtype over its octet, reserved bits included, so every octet decodes and
//! re-encodes as sent; the accessors name the bits.

/// IV: invalid (bit 8 of QDS, SIQ, DIQ, QDP and SEP).
pub const IV: u8 = 0x80;
/// NT: not topical, the value was not updated successfully (bit 7).
pub const NT: u8 = 0x40;
/// SB: substituted by an operator or an automatic source (bit 6).
pub const SB: u8 = 0x20;
/// BL: blocked for transmission (bit 5).
pub const BL: u8 = 0x10;
/// OV: overflow (bit 1 of QDS).
pub const OV: u8 = 0x01;
/// EI: elapsed time invalid (bit 4 of QDP and SEP).
pub const EI: u8 = 0x08;

/// The four quality flags every descriptor shares, and the raw octet.
macro_rules! quality_flags {
    ($t:ident) => {
        impl $t {
            /// The octet as sent.
            pub const fn bits(self) -> u8 {
                self.0
            }
            /// IV: the value is invalid.
            pub const fn invalid(self) -> bool {
                self.0 & IV != 0
            }
            /// NT: the value is not topical.
            pub const fn not_topical(self) -> bool {
                self.0 & NT != 0
            }
            /// SB: the value is substituted.
            pub const fn substituted(self) -> bool {
                self.0 & SB != 0
            }
            /// BL: the value is blocked.
            pub const fn blocked(self) -> bool {
                self.0 & BL != 0
            }
        }
    };
}

/// QDS, the quality descriptor of measured values, bitstrings, step positions and packed
/// single points (IEC 60870-5-101 clause 7.2.6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Qds(pub u8);
quality_flags!(Qds);

impl Qds {
    /// Good quality: every flag clear.
    pub const GOOD: Self = Self(0);

    /// OV: the value overflowed its range.
    pub const fn overflow(self) -> bool {
        self.0 & OV != 0
    }
}

/// SIQ, a single-point information with its quality (IEC 60870-5-101 clause 7.2.6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Siq(pub u8);
quality_flags!(Siq);

impl Siq {
    /// A state (SPI) with good quality.
    pub const fn new(on: bool) -> Self {
        Self(on as u8)
    }

    /// SPI: the state, on (`true`) or off.
    pub const fn on(self) -> bool {
        self.0 & 0x01 != 0
    }
}

/// A two-bit double-point state: DPI of a DIQ, ES of a SEP (IEC 60870-5-101 clauses 7.2.6.2 and
/// 7.2.6.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DoublePoint {
    /// 0: indeterminate or intermediate state (between on and off).
    Intermediate,
    /// 1: determined state off.
    Off,
    /// 2: determined state on.
    On,
    /// 3: indeterminate state.
    Indeterminate,
}

impl DoublePoint {
    /// The state in the low two bits of `bits`.
    pub const fn from_bits(bits: u8) -> Self {
        match bits & 0x03 {
            0 => Self::Intermediate,
            1 => Self::Off,
            2 => Self::On,
            _ => Self::Indeterminate,
        }
    }

    /// The two-bit code.
    pub const fn bits(self) -> u8 {
        self as u8
    }
}

/// DIQ, a double-point information with its quality (IEC 60870-5-101 clause 7.2.6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Diq(pub u8);
quality_flags!(Diq);

impl Diq {
    /// A state (DPI) with good quality.
    pub const fn new(state: DoublePoint) -> Self {
        Self(state.bits())
    }

    /// DPI: the state.
    pub const fn state(self) -> DoublePoint {
        DoublePoint::from_bits(self.0)
    }
}

/// QDP, the quality descriptor of protection events (IEC 60870-5-101 clause 7.2.6.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Qdp(pub u8);
quality_flags!(Qdp);

impl Qdp {
    /// EI: the elapsed time is invalid.
    pub const fn elapsed_invalid(self) -> bool {
        self.0 & EI != 0
    }
}

/// SEP, a single event of protection equipment with its quality (IEC 60870-5-101 clause
/// 7.2.6.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Sep(pub u8);
quality_flags!(Sep);

impl Sep {
    /// ES: the event state.
    pub const fn state(self) -> DoublePoint {
        DoublePoint::from_bits(self.0)
    }

    /// EI: the elapsed time is invalid.
    pub const fn elapsed_invalid(self) -> bool {
        self.0 & EI != 0
    }
}

/// SPE, start events of protection equipment (IEC 60870-5-101 clause 7.2.6.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Spe(pub u8);

impl Spe {
    /// GS: general start of operation.
    pub const GS: u8 = 0x01;
    /// SL1: start of operation phase L1.
    pub const SL1: u8 = 0x02;
    /// SL2: start of operation phase L2.
    pub const SL2: u8 = 0x04;
    /// SL3: start of operation phase L3.
    pub const SL3: u8 = 0x08;
    /// SIE: start of operation IE (earth current).
    pub const SIE: u8 = 0x10;
    /// SRD: start of operation in reverse direction.
    pub const SRD: u8 = 0x20;

    /// The octet as sent.
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// Whether every bit of `mask` (such as [`Spe::GS`]) is set.
    pub const fn has(self, mask: u8) -> bool {
        self.0 & mask == mask
    }
}

/// OCI, output circuit information of protection equipment (IEC 60870-5-101 clause 7.2.6.12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Oci(pub u8);

impl Oci {
    /// GC: general command to output circuit.
    pub const GC: u8 = 0x01;
    /// CL1: command to output circuit phase L1.
    pub const CL1: u8 = 0x02;
    /// CL2: command to output circuit phase L2.
    pub const CL2: u8 = 0x04;
    /// CL3: command to output circuit phase L3.
    pub const CL3: u8 = 0x08;

    /// The octet as sent.
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// Whether every bit of `mask` (such as [`Oci::GC`]) is set.
    pub const fn has(self, mask: u8) -> bool {
        self.0 & mask == mask
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quality_bits_read_as_named() {
        let q = Qds(0x81);
        assert!(q.invalid() && q.overflow());
        assert!(!q.blocked() && !q.substituted() && !q.not_topical());
        assert!(Siq(0x31).on() && Siq(0x31).blocked() && Siq(0x31).substituted());
        assert_eq!(Diq(0x42).state(), DoublePoint::On);
        assert!(Diq(0x42).not_topical());
        assert_eq!(Sep(0x0B).state(), DoublePoint::Indeterminate);
        assert!(Sep(0x0B).elapsed_invalid() && Qdp(0x08).elapsed_invalid());
        assert!(Spe(0x21).has(Spe::GS | Spe::SRD) && !Spe(0x21).has(Spe::SL1));
        assert!(Oci(0x09).has(Oci::GC | Oci::CL3));
    }

    #[test]
    fn double_point_codes_round_trip() {
        for bits in 0..4 {
            assert_eq!(DoublePoint::from_bits(bits).bits(), bits);
        }
    }
}
