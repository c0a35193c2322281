//! Command elements: SCO, DCO, RCO with their qualifier of command (QOC: S/E and QU), and the
//! qualifier of set-point command QOS (IEC 60870-5-101 clauses 7.2.6.15 to 7.2.6.17, 7.2.6.26 and
//! 7.2.6.39).
//!
//! ```text
//! bit   7    6 5 4 3 2   1     0
//! SCO   S/E  QU          RES   SCS
//! DCO   S/E  QU          DCS (2 bits)
//! RCO   S/E  QU          RCS (2 bits)
//! QOS   S/E  QL (7 bits: 0 default, 1..=63 reserved, 64..=127 private)
//! ```
//!
//! Each is a newtype over its octet, so every octet decodes and re-encodes as sent.

/// S/E: select (1) or execute (0), bit 8 of SCO, DCO, RCO and QOS.
pub const SELECT: u8 = 0x80;

/// QU, the qualifier of a command's output (IEC 60870-5-101 clause 7.2.6.26), five bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Qu(pub u8);

impl Qu {
    /// 0: no additional definition.
    pub const DEFAULT: Self = Self(0);
    /// 1: short pulse duration.
    pub const SHORT_PULSE: Self = Self(1);
    /// 2: long pulse duration.
    pub const LONG_PULSE: Self = Self(2);
    /// 3: persistent output.
    pub const PERSISTENT: Self = Self(3);

    /// The standard's name, or `None` for a reserved (4..=15) or private (16..=31) value.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "no additional definition",
            1 => "short pulse",
            2 => "long pulse",
            3 => "persistent output",
            _ => return None,
        })
    }
}

/// The S/E and QU bits of a command octet, with the state bits below them.
macro_rules! qualifier_of_command {
    ($t:ident) => {
        impl $t {
            /// The octet as sent.
            pub const fn bits(self) -> u8 {
                self.0
            }
            /// S/E: a select (`true`) or an execute.
            pub const fn select(self) -> bool {
                self.0 & SELECT != 0
            }
            /// QU: the qualifier of the output.
            pub const fn qu(self) -> Qu {
                Qu((self.0 >> 2) & 0x1F)
            }
            /// The octet for a state (the low two bits), a qualifier (its low five bits) and S/E.
            const fn compose(state: u8, qu: Qu, select: bool) -> Self {
                Self((state & 0x03) | ((qu.0 & 0x1F) << 2) | if select { SELECT } else { 0 })
            }
        }
    };
}

/// SCO, a single command (IEC 60870-5-101 clause 7.2.6.15).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Sco(pub u8);
qualifier_of_command!(Sco);

impl Sco {
    /// A command: state on or off, the qualifier, select or execute.
    pub const fn new(on: bool, qu: Qu, select: bool) -> Self {
        Self::compose(on as u8, qu, select)
    }

    /// SCS: on (`true`) or off.
    pub const fn on(self) -> bool {
        self.0 & 0x01 != 0
    }
}

/// DCO, a double command (IEC 60870-5-101 clause 7.2.6.16).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Dco(pub u8);
qualifier_of_command!(Dco);

impl Dco {
    /// DCS 1: off.
    pub const OFF: u8 = 1;
    /// DCS 2: on.
    pub const ON: u8 = 2;

    /// A command: the state (its low two bits; [`Dco::OFF`] or [`Dco::ON`], 0 and 3 are not
    /// permitted but can be sent), the qualifier, select or execute.
    pub const fn new(state: u8, qu: Qu, select: bool) -> Self {
        Self::compose(state, qu, select)
    }

    /// DCS, the two-bit state.
    pub const fn state(self) -> u8 {
        self.0 & 0x03
    }
}

/// RCO, a regulating step command (IEC 60870-5-101 clause 7.2.6.17).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Rco(pub u8);
qualifier_of_command!(Rco);

impl Rco {
    /// RCS 1: next step lower.
    pub const LOWER: u8 = 1;
    /// RCS 2: next step higher.
    pub const HIGHER: u8 = 2;

    /// A command: the step (its low two bits; [`Rco::LOWER`] or [`Rco::HIGHER`], 0 and 3 are not
    /// permitted but can be sent), the qualifier, select or execute.
    pub const fn new(step: u8, qu: Qu, select: bool) -> Self {
        Self::compose(step, qu, select)
    }

    /// RCS, the two-bit step.
    pub const fn step(self) -> u8 {
        self.0 & 0x03
    }
}

/// QOS, the qualifier of a set-point command (IEC 60870-5-101 clause 7.2.6.39).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Qos(pub u8);

impl Qos {
    /// A qualifier: QL (its low seven bits; 0 is the default) and S/E.
    pub const fn new(ql: u8, select: bool) -> Self {
        Self((ql & 0x7F) | if select { SELECT } else { 0 })
    }

    /// The octet as sent.
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// QL, 0..=127.
    pub const fn ql(self) -> u8 {
        self.0 & 0x7F
    }

    /// S/E: a select (`true`) or an execute.
    pub const fn select(self) -> bool {
        self.0 & SELECT != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_octets_split_into_state_qualifier_and_select() {
        // 0x81: select, QU 0, on.
        assert!(Sco(0x81).on() && Sco(0x81).select());
        assert_eq!(Sco(0x81).qu(), Qu::DEFAULT);
        assert_eq!(Sco::new(true, Qu::SHORT_PULSE, false), Sco(0x05));
        // 0x8E: select, QU 3 persistent, state 2 on.
        assert_eq!(Dco::new(Dco::ON, Qu::PERSISTENT, true), Dco(0x8E));
        assert_eq!(Dco(0x8E).state(), Dco::ON);
        assert_eq!(Dco(0x8E).qu(), Qu::PERSISTENT);
        assert_eq!(Rco::new(Rco::HIGHER, Qu(31), false), Rco(0x7E));
        assert_eq!(Rco(0x7E).step(), Rco::HIGHER);
        assert_eq!(Qos::new(0, true), Qos(0x80));
        assert_eq!(Qos(0xFF).ql(), 127);
        assert_eq!(Qu(4).name(), None);
    }
}
