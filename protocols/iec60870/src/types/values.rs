//! Values: normalized (NVA), step position (VTI), binary counter reading (BCR) and status and
//! change detection (SCD) (IEC 60870-5-101 clauses 7.2.6.5 to 7.2.6.9 and 7.2.6.40).
//!
//! ```text
//! NVA   2 octets  i16 little-endian, the value times 2^15: -1 ..= 1 - 2^-15
//! SVA   2 octets  i16 little-endian                        (a plain i16 here)
//! R32   4 octets  IEEE 754 short float, little-endian      (a plain f32 here)
//! BSI   4 octets  32-bit bitstring, little-endian           (a plain u32 here)
//! VTI   1 octet   bit 7 T (transient) | bits 0..6 value -64..=63, two's complement
//! BCR   5 octets  i32 little-endian | IV CA CY | sequence number 0..=31 (5 bits)
//! SCD   4 octets  status ST (u16 little-endian) | change detection CD (u16 little-endian)
//! ```

use crate::error::AsduField;
use crate::Error;

/// NVA, a normalized value: a fixed-point fraction in `[-1, 1 - 2^-15]` (IEC 60870-5-101 clause
/// 7.2.6.6), kept as the 16-bit integer sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Nva(pub i16);

impl Nva {
    /// The value as a fraction, `raw / 32768`: -1.0 ..= 0.999969.
    pub fn to_f32(self) -> f32 {
        f32::from(self.0) / 32768.0
    }

    /// The nearest normalized value to `value`, saturating at -1 and 1 - 2^-15 (NaN gives 0).
    pub fn from_f32(value: f32) -> Self {
        let scaled = (value * 32768.0).round();
        // `as` saturates at the i16 bounds and maps NaN to 0.
        Self(scaled as i16)
    }
}

/// VTI, a step position with its transient flag (IEC 60870-5-101 clause 7.2.6.5), kept as the
/// octet sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Vti(pub u8);

impl Vti {
    /// A position in -64..=63 and the transient flag, or `None` for a position out of range.
    pub const fn new(value: i8, transient: bool) -> Option<Self> {
        if value < -64 || value > 63 {
            return None;
        }
        Some(Self(
            (value as u8 & 0x7F) | if transient { 0x80 } else { 0 },
        ))
    }

    /// The position, -64..=63 (the low seven bits, two's complement).
    pub const fn value(self) -> i8 {
        ((self.0 << 1) as i8) >> 1
    }

    /// T: the equipment is in transient state (moving).
    pub const fn transient(self) -> bool {
        self.0 & 0x80 != 0
    }
}

/// BCR, a binary counter reading (IEC 60870-5-101 clause 7.2.6.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Bcr {
    /// The counter value.
    pub value: i32,
    /// SQ: the sequence number, 0..=31 (five bits).
    pub sequence: u8,
    /// CY: the counter overflowed in the period.
    pub carry: bool,
    /// CA: the counter was adjusted since the last reading.
    pub adjusted: bool,
    /// IV: the reading is invalid.
    pub invalid: bool,
}

impl Bcr {
    /// The encoded length: 5 octets.
    pub const LEN: usize = 5;

    /// Reads the five octets.
    pub const fn from_bytes(bytes: [u8; 5]) -> Self {
        let [v0, v1, v2, v3, flags] = bytes;
        Self {
            value: i32::from_le_bytes([v0, v1, v2, v3]),
            sequence: flags & 0x1F,
            carry: flags & 0x20 != 0,
            adjusted: flags & 0x40 != 0,
            invalid: flags & 0x80 != 0,
        }
    }

    /// The five octets.
    ///
    /// # Errors
    /// [`Error::FieldTooLarge`] (at offset 4) when the sequence number does not fit five bits.
    pub fn to_bytes(&self) -> Result<[u8; 5], Error> {
        if self.sequence > 0x1F {
            return Err(Error::FieldTooLarge {
                offset: 4,
                field: AsduField::CounterSequence,
                max: 0x1F,
                found: self.sequence.into(),
            });
        }
        let [v0, v1, v2, v3] = self.value.to_le_bytes();
        let flags = self.sequence
            | if self.carry { 0x20 } else { 0 }
            | if self.adjusted { 0x40 } else { 0 }
            | if self.invalid { 0x80 } else { 0 };
        Ok([v0, v1, v2, v3, flags])
    }
}

/// SCD, status and change detection of 16 single points (IEC 60870-5-101 clause 7.2.6.40): bit
/// `n` of the status is point `n`'s state, bit `n` of the change detection says it changed since
/// the last report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Scd {
    /// ST: the states, bit 0 is the first point.
    pub status: u16,
    /// CD: the change detections.
    pub changed: u16,
}

impl Scd {
    /// Reads the four octets.
    pub const fn from_bytes(bytes: [u8; 4]) -> Self {
        let [s0, s1, c0, c1] = bytes;
        Self {
            status: u16::from_le_bytes([s0, s1]),
            changed: u16::from_le_bytes([c0, c1]),
        }
    }

    /// The four octets.
    pub const fn to_bytes(self) -> [u8; 4] {
        let [s0, s1] = self.status.to_le_bytes();
        let [c0, c1] = self.changed.to_le_bytes();
        [s0, s1, c0, c1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalized_values_are_fractions_of_two_to_the_fifteen() {
        assert_eq!(Nva(i16::MIN).to_f32(), -1.0);
        assert_eq!(Nva(0x4000).to_f32(), 0.5);
        assert_eq!(Nva::from_f32(0.5), Nva(0x4000));
        assert_eq!(Nva::from_f32(1.0), Nva(i16::MAX));
        assert_eq!(Nva::from_f32(-2.0), Nva(i16::MIN));
        assert_eq!(Nva::from_f32(f32::NAN), Nva(0));
    }

    #[test]
    fn step_positions_are_seven_bit_twos_complement() {
        assert_eq!(Vti(0x3F).value(), 63);
        assert_eq!(Vti(0x40).value(), -64);
        assert_eq!(Vti(0xFF).value(), -1);
        assert!(Vti(0xFF).transient());
        assert_eq!(Vti::new(-1, true), Some(Vti(0xFF)));
        assert_eq!(Vti::new(64, false), None);
        assert_eq!(Vti::new(-65, false), None);
        for raw in 0..=u8::MAX {
            let vti = Vti(raw);
            assert_eq!(Vti::new(vti.value(), vti.transient()), Some(vti));
        }
    }

    #[test]
    fn counter_flags_and_sequence_round_trip() {
        let bcr = Bcr::from_bytes([0xFF, 0xFF, 0xFF, 0xFF, 0xA5]);
        assert_eq!(bcr.value, -1);
        assert_eq!(bcr.sequence, 5);
        assert!(bcr.carry && bcr.invalid && !bcr.adjusted);
        assert_eq!(bcr.to_bytes(), Ok([0xFF, 0xFF, 0xFF, 0xFF, 0xA5]));
    }
}
