//! The FT1.2 control field in both directions (IEC 60870-5-2 clause 5.1.2, IEC 60870-5-101
//! clause 6.1.2).
//!
//! ```text
//! bit  7     6     5          4          3..0
//!      RES/  PRM   FCB (PRM=1) FCV (PRM=1) function code
//!      DIR         ACD (PRM=0) DFC (PRM=0)
//! ```

use std::fmt;

/// A function code of a frame from the primary station (PRM = 1), four bits
/// (IEC 60870-5-2 clause 5.1.2, tables 1 and 3; IEC 60870-5-101 clause 6.1.2).
///
/// Every value 0..=15 is kept, so a reserved code still parses and can be shown.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PrimaryFunction(u8);

impl PrimaryFunction {
    /// 0: reset of remote link (SEND/CONFIRM).
    pub const RESET_REMOTE_LINK: Self = Self(0);
    /// 1: reset of user process (SEND/CONFIRM).
    pub const RESET_USER_PROCESS: Self = Self(1);
    /// 2: test function for link (SEND/CONFIRM, balanced transmission only).
    pub const TEST_LINK: Self = Self(2);
    /// 3: user data (SEND/CONFIRM).
    pub const USER_DATA_CONFIRM: Self = Self(3);
    /// 4: user data (SEND/NO REPLY), such as a broadcast.
    pub const USER_DATA_NO_REPLY: Self = Self(4);
    /// 8: expected response specifies access demand (REQUEST/RESPOND, unbalanced only).
    pub const REQUEST_ACCESS_DEMAND: Self = Self(8);
    /// 9: request status of link (REQUEST/RESPOND).
    pub const REQUEST_LINK_STATUS: Self = Self(9);
    /// 10: request user data class 1 (REQUEST/RESPOND, unbalanced only).
    pub const REQUEST_CLASS_1: Self = Self(10);
    /// 11: request user data class 2 (REQUEST/RESPOND, unbalanced only).
    pub const REQUEST_CLASS_2: Self = Self(11);

    /// The function code in the low four bits of `bits` (the upper four are ignored).
    pub const fn from_bits(bits: u8) -> Self {
        Self(bits & 0x0F)
    }

    /// The code, 0..=15.
    pub const fn code(self) -> u8 {
        self.0
    }

    /// The standard's name, or `None` for a reserved code (5, 6, 7, 12 to 15).
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "reset of remote link",
            1 => "reset of user process",
            2 => "test function for link",
            3 => "user data (send/confirm)",
            4 => "user data (send/no reply)",
            8 => "request for access demand",
            9 => "request status of link",
            10 => "request user data class 1",
            11 => "request user data class 2",
            _ => return None,
        })
    }
}

/// A function code of a frame from the secondary station (PRM = 0), four bits
/// (IEC 60870-5-2 clause 5.1.2, tables 2 and 4; IEC 60870-5-101 clause 6.1.2).
///
/// Every value 0..=15 is kept, so a reserved code still parses and can be shown.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SecondaryFunction(u8);

impl SecondaryFunction {
    /// 0: ACK, positive acknowledgement (CONFIRM).
    pub const ACK: Self = Self(0);
    /// 1: NACK, message not accepted, link busy (CONFIRM).
    pub const NACK_BUSY: Self = Self(1);
    /// 8: user data (RESPOND).
    pub const USER_DATA: Self = Self(8);
    /// 9: NACK, requested data not available (RESPOND).
    pub const NACK_NO_DATA: Self = Self(9);
    /// 11: status of link or access demand (RESPOND).
    pub const LINK_STATUS: Self = Self(11);
    /// 14: link service not functioning.
    pub const LINK_NOT_FUNCTIONING: Self = Self(14);
    /// 15: link service not implemented.
    pub const LINK_NOT_IMPLEMENTED: Self = Self(15);

    /// The function code in the low four bits of `bits` (the upper four are ignored).
    pub const fn from_bits(bits: u8) -> Self {
        Self(bits & 0x0F)
    }

    /// The code, 0..=15.
    pub const fn code(self) -> u8 {
        self.0
    }

    /// The standard's name, or `None` for a reserved code (2 to 7, 10, 12, 13).
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "ACK",
            1 => "NACK: message not accepted, link busy",
            8 => "user data",
            9 => "NACK: requested data not available",
            11 => "status of link or access demand",
            14 => "link service not functioning",
            15 => "link service not implemented",
            _ => return None,
        })
    }
}

macro_rules! debug_display {
    ($t:ty) => {
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.name() {
                    Some(name) => write!(f, "{}({} {name})", stringify!($t), self.0),
                    None => write!(f, "{}({} reserved)", stringify!($t), self.0),
                }
            }
        }

        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.name() {
                    Some(name) => f.write_str(name),
                    None => write!(f, "reserved function {}", self.0),
                }
            }
        }
    };
}
debug_display!(PrimaryFunction);
debug_display!(SecondaryFunction);

/// The control field of an FT1.2 frame, read by its PRM bit (IEC 60870-5-2 clause 5.1.2,
/// IEC 60870-5-101 clause 6.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Control {
    /// A frame from the primary (initiating) station, PRM = 1.
    Primary {
        /// Bit 7: DIR in balanced transmission (1 from station A, the controlling station), RES
        /// (0) in unbalanced transmission.
        dir: bool,
        /// Frame count bit: alternates between successive SEND/CONFIRM or REQUEST/RESPOND
        /// services to the same secondary station.
        fcb: bool,
        /// Frame count bit valid: whether `fcb` counts.
        fcv: bool,
        /// The function.
        function: PrimaryFunction,
    },
    /// A frame from the secondary (responding) station, PRM = 0.
    Secondary {
        /// Bit 7: DIR in balanced transmission, RES (0) in unbalanced transmission.
        dir: bool,
        /// Access demand: class 1 data is waiting (unbalanced; RES in balanced transmission).
        acd: bool,
        /// Data flow control: further messages may overflow the secondary station.
        dfc: bool,
        /// The function.
        function: SecondaryFunction,
    },
}

const DIR: u8 = 0x80;
const PRM: u8 = 0x40;
const FCB_ACD: u8 = 0x20;
const FCV_DFC: u8 = 0x10;

impl Control {
    /// Reads a control octet. Every octet is a valid control field.
    pub const fn from_octet(octet: u8) -> Self {
        let dir = octet & DIR != 0;
        let bit5 = octet & FCB_ACD != 0;
        let bit4 = octet & FCV_DFC != 0;
        if octet & PRM != 0 {
            Self::Primary {
                dir,
                fcb: bit5,
                fcv: bit4,
                function: PrimaryFunction::from_bits(octet),
            }
        } else {
            Self::Secondary {
                dir,
                acd: bit5,
                dfc: bit4,
                function: SecondaryFunction::from_bits(octet),
            }
        }
    }

    /// The control octet.
    pub const fn to_octet(self) -> u8 {
        let (dir, prm, bit5, bit4, code) = match self {
            Self::Primary {
                dir,
                fcb,
                fcv,
                function,
            } => (dir, true, fcb, fcv, function.code()),
            Self::Secondary {
                dir,
                acd,
                dfc,
                function,
            } => (dir, false, acd, dfc, function.code()),
        };
        (if dir { DIR } else { 0 })
            | (if prm { PRM } else { 0 })
            | (if bit5 { FCB_ACD } else { 0 })
            | (if bit4 { FCV_DFC } else { 0 })
            | code
    }

    /// A primary frame's control field in unbalanced transmission (RES = 0).
    pub const fn primary(function: PrimaryFunction, fcb: bool, fcv: bool) -> Self {
        Self::Primary {
            dir: false,
            fcb,
            fcv,
            function,
        }
    }

    /// A secondary frame's control field in unbalanced transmission (RES = 0).
    pub const fn secondary(function: SecondaryFunction, acd: bool, dfc: bool) -> Self {
        Self::Secondary {
            dir: false,
            acd,
            dfc,
            function,
        }
    }

    /// Whether this is a primary frame (PRM = 1).
    pub const fn is_primary(self) -> bool {
        matches!(self, Self::Primary { .. })
    }
}

impl From<u8> for Control {
    fn from(octet: u8) -> Self {
        Self::from_octet(octet)
    }
}

impl From<Control> for u8 {
    fn from(control: Control) -> Self {
        control.to_octet()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_control_octet_round_trips() {
        for octet in 0..=u8::MAX {
            assert_eq!(Control::from_octet(octet).to_octet(), octet);
        }
    }

    #[test]
    fn request_class_2_with_fcb_and_fcv_is_0x7b() {
        // 0 | PRM 1 | FCB 1 | FCV 1 | 1011 request user data class 2
        assert_eq!(
            Control::from_octet(0x7B),
            Control::primary(PrimaryFunction::REQUEST_CLASS_2, true, true)
        );
    }

    #[test]
    fn reserved_codes_parse_and_say_so() {
        let Control::Secondary { function, .. } = Control::from_octet(0x0C) else {
            panic!("PRM is 0"); // ok: a test, in the #[cfg(test)] module
        };
        assert_eq!(function.code(), 12);
        assert_eq!(function.name(), None);
        assert_eq!(function.to_string(), "reserved function 12");
        assert_eq!(
            format!("{:?}", PrimaryFunction::REQUEST_LINK_STATUS),
            "PrimaryFunction(9 request status of link)"
        );
    }
}
