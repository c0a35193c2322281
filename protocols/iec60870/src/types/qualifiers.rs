//! Qualifiers of system and parameter commands: QOI, QCC, QRP, QPM, QPA, and the cause of
//! initialization COI (IEC 60870-5-101 clauses 7.2.6.21 to 7.2.6.25 and 7.2.6.27).
//!
//! ```text
//! QOI   8 bits: 20 station interrogation, 21..=36 group 1..=16
//! QCC   bits 7-6 FRZ (0 read, 1 freeze, 2 freeze and reset, 3 reset) | bits 5-0 RQT
//! QRP   8 bits: 1 general reset of process, 2 reset of pending time-tagged events
//! QPM   bit 7 POP | bit 6 LPC | bits 5-0 KPA (1 threshold, 2 smoothing, 3 low, 4 high limit)
//! QPA   8 bits: 1 loaded parameters, 2 addressed parameter, 3 cyclic transmission
//! COI   bit 7 BS (after a change of local parameters) | bits 6-0 cause
//! ```
//!
//! Each is a newtype over its octet, so every octet decodes and re-encodes as sent.

/// QOI, the qualifier of interrogation (IEC 60870-5-101 clause 7.2.6.22).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Qoi(pub u8);

impl Qoi {
    /// 20: station interrogation (global).
    pub const STATION: Self = Self(20);

    /// The interrogation of group `n`, 1..=16 (21..=36), or `None` for another `n`.
    pub const fn group(n: u8) -> Option<Self> {
        if n >= 1 && n <= 16 {
            Some(Self(20 + n))
        } else {
            None
        }
    }

    /// The group this interrogates, 1..=16, or `None` for the station or a reserved value.
    pub const fn group_number(self) -> Option<u8> {
        match self.0 {
            21..=36 => Some(self.0 - 20),
            _ => None,
        }
    }
}

/// QCC, the qualifier of counter interrogation (IEC 60870-5-101 clause 7.2.6.23).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Qcc(pub u8);

impl Qcc {
    /// RQT 5: general request of counters.
    pub const GENERAL: u8 = 5;
    /// FRZ 0: read only (no freeze or reset).
    pub const READ: u8 = 0;
    /// FRZ 1: counter freeze without reset.
    pub const FREEZE: u8 = 1;
    /// FRZ 2: counter freeze with reset.
    pub const FREEZE_RESET: u8 = 2;
    /// FRZ 3: counter reset.
    pub const RESET: u8 = 3;

    /// A qualifier: RQT (its low six bits: 1..=4 group, 5 general) and FRZ (its low two bits).
    pub const fn new(request: u8, freeze: u8) -> Self {
        Self((request & 0x3F) | ((freeze & 0x03) << 6))
    }

    /// RQT, the request, 0..=63.
    pub const fn request(self) -> u8 {
        self.0 & 0x3F
    }

    /// FRZ, the freeze action, 0..=3.
    pub const fn freeze(self) -> u8 {
        self.0 >> 6
    }
}

/// QRP, the qualifier of a reset process command (IEC 60870-5-101 clause 7.2.6.27).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Qrp(pub u8);

impl Qrp {
    /// 1: general reset of process.
    pub const GENERAL: Self = Self(1);
    /// 2: reset of pending information with time tag of the event buffer.
    pub const TIME_TAGGED_EVENTS: Self = Self(2);
}

/// QPM, the qualifier of a parameter of measured values (IEC 60870-5-101 clause 7.2.6.24).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Qpm(pub u8);

impl Qpm {
    /// KPA 1: threshold value.
    pub const THRESHOLD: u8 = 1;
    /// KPA 2: smoothing factor (filter time constant).
    pub const SMOOTHING: u8 = 2;
    /// KPA 3: low limit for transmission of measured values.
    pub const LOW_LIMIT: u8 = 3;
    /// KPA 4: high limit for transmission of measured values.
    pub const HIGH_LIMIT: u8 = 4;

    /// A qualifier: KPA (its low six bits), LPC and POP.
    pub const fn new(kind: u8, local_change: bool, not_in_operation: bool) -> Self {
        Self(
            (kind & 0x3F)
                | if local_change { 0x40 } else { 0 }
                | if not_in_operation { 0x80 } else { 0 },
        )
    }

    /// KPA, the kind of parameter, 0..=63.
    pub const fn kind(self) -> u8 {
        self.0 & 0x3F
    }

    /// LPC: local parameter change.
    pub const fn local_change(self) -> bool {
        self.0 & 0x40 != 0
    }

    /// POP: the parameter is not in operation.
    pub const fn not_in_operation(self) -> bool {
        self.0 & 0x80 != 0
    }
}

/// QPA, the qualifier of parameter activation (IEC 60870-5-101 clause 7.2.6.25).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Qpa(pub u8);

impl Qpa {
    /// 1: act/deact of the previously loaded parameters (IOA 0).
    pub const LOADED: Self = Self(1);
    /// 2: act/deact of the parameter of the addressed object.
    pub const ADDRESSED: Self = Self(2);
    /// 3: act/deact of persistent cyclic or periodic transmission of the addressed object.
    pub const CYCLIC: Self = Self(3);
}

/// COI, the cause of initialization (IEC 60870-5-101 clause 7.2.6.21).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Coi(pub u8);

impl Coi {
    /// Cause 0: local power switch on.
    pub const POWER_ON: u8 = 0;
    /// Cause 1: local manual reset.
    pub const MANUAL_RESET: u8 = 1;
    /// Cause 2: remote reset.
    pub const REMOTE_RESET: u8 = 2;

    /// A cause (its low seven bits) and BS.
    pub const fn new(cause: u8, after_parameter_change: bool) -> Self {
        Self((cause & 0x7F) | if after_parameter_change { 0x80 } else { 0 })
    }

    /// The cause, 0..=127.
    pub const fn cause(self) -> u8 {
        self.0 & 0x7F
    }

    /// BS: initialization after a change of local parameters (else with unchanged ones).
    pub const fn after_parameter_change(self) -> bool {
        self.0 & 0x80 != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualifiers_split_into_their_fields() {
        assert_eq!(Qoi::group(1), Some(Qoi(21)));
        assert_eq!(Qoi::group(17), None);
        assert_eq!(Qoi(36).group_number(), Some(16));
        assert_eq!(Qoi::STATION.group_number(), None);
        assert_eq!(Qcc::new(Qcc::GENERAL, Qcc::FREEZE_RESET), Qcc(0x85));
        assert_eq!((Qcc(0x85).request(), Qcc(0x85).freeze()), (5, 2));
        assert_eq!(Qpm::new(Qpm::HIGH_LIMIT, true, true), Qpm(0xC4));
        let qpm = Qpm(0xC4);
        assert!(qpm.local_change() && qpm.not_in_operation() && qpm.kind() == 4);
        assert_eq!(Coi::new(Coi::REMOTE_RESET, true), Coi(0x82));
        assert!(Coi(0x82).after_parameter_change() && Coi(0x82).cause() == 2);
    }
}
