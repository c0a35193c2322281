//! The type identification (IEC 60870-5-101 clause 7.2.1, IEC 60870-5-104 clause 8): one octet
//! naming the type of the information objects, with the standard's mnemonics.

use std::fmt;

/// A type identification, one octet. Every value is kept, so a reserved or private type ID
/// (128..=255) still parses and can be shown.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TypeId(pub u8);

impl TypeId {
    /// 1: single-point information.
    pub const M_SP_NA_1: Self = Self(1);
    /// 2: single-point information with CP24Time2a (101 only).
    pub const M_SP_TA_1: Self = Self(2);
    /// 3: double-point information.
    pub const M_DP_NA_1: Self = Self(3);
    /// 4: double-point information with CP24Time2a (101 only).
    pub const M_DP_TA_1: Self = Self(4);
    /// 5: step position information.
    pub const M_ST_NA_1: Self = Self(5);
    /// 6: step position information with CP24Time2a (101 only).
    pub const M_ST_TA_1: Self = Self(6);
    /// 7: bitstring of 32 bits.
    pub const M_BO_NA_1: Self = Self(7);
    /// 8: bitstring of 32 bits with CP24Time2a (101 only).
    pub const M_BO_TA_1: Self = Self(8);
    /// 9: measured value, normalized value.
    pub const M_ME_NA_1: Self = Self(9);
    /// 10: measured value, normalized value with CP24Time2a (101 only).
    pub const M_ME_TA_1: Self = Self(10);
    /// 11: measured value, scaled value.
    pub const M_ME_NB_1: Self = Self(11);
    /// 12: measured value, scaled value with CP24Time2a (101 only).
    pub const M_ME_TB_1: Self = Self(12);
    /// 13: measured value, short floating point number.
    pub const M_ME_NC_1: Self = Self(13);
    /// 14: measured value, short floating point number with CP24Time2a (101 only).
    pub const M_ME_TC_1: Self = Self(14);
    /// 15: integrated totals.
    pub const M_IT_NA_1: Self = Self(15);
    /// 16: integrated totals with CP24Time2a (101 only).
    pub const M_IT_TA_1: Self = Self(16);
    /// 17: event of protection equipment with CP24Time2a (101 only).
    pub const M_EP_TA_1: Self = Self(17);
    /// 18: packed start events of protection equipment with CP24Time2a (101 only).
    pub const M_EP_TB_1: Self = Self(18);
    /// 19: packed output circuit information of protection equipment with CP24Time2a (101 only).
    pub const M_EP_TC_1: Self = Self(19);
    /// 20: packed single-point information with status change detection.
    pub const M_PS_NA_1: Self = Self(20);
    /// 21: measured value, normalized value without quality descriptor.
    pub const M_ME_ND_1: Self = Self(21);
    /// 30: single-point information with CP56Time2a.
    pub const M_SP_TB_1: Self = Self(30);
    /// 31: double-point information with CP56Time2a.
    pub const M_DP_TB_1: Self = Self(31);
    /// 32: step position information with CP56Time2a.
    pub const M_ST_TB_1: Self = Self(32);
    /// 33: bitstring of 32 bits with CP56Time2a.
    pub const M_BO_TB_1: Self = Self(33);
    /// 34: measured value, normalized value with CP56Time2a.
    pub const M_ME_TD_1: Self = Self(34);
    /// 35: measured value, scaled value with CP56Time2a.
    pub const M_ME_TE_1: Self = Self(35);
    /// 36: measured value, short floating point number with CP56Time2a.
    pub const M_ME_TF_1: Self = Self(36);
    /// 37: integrated totals with CP56Time2a.
    pub const M_IT_TB_1: Self = Self(37);
    /// 38: event of protection equipment with CP56Time2a.
    pub const M_EP_TD_1: Self = Self(38);
    /// 39: packed start events of protection equipment with CP56Time2a.
    pub const M_EP_TE_1: Self = Self(39);
    /// 40: packed output circuit information of protection equipment with CP56Time2a.
    pub const M_EP_TF_1: Self = Self(40);
    /// 45: single command.
    pub const C_SC_NA_1: Self = Self(45);
    /// 46: double command.
    pub const C_DC_NA_1: Self = Self(46);
    /// 47: regulating step command.
    pub const C_RC_NA_1: Self = Self(47);
    /// 48: set-point command, normalized value.
    pub const C_SE_NA_1: Self = Self(48);
    /// 49: set-point command, scaled value.
    pub const C_SE_NB_1: Self = Self(49);
    /// 50: set-point command, short floating point number.
    pub const C_SE_NC_1: Self = Self(50);
    /// 51: bitstring of 32 bits command.
    pub const C_BO_NA_1: Self = Self(51);
    /// 58: single command with CP56Time2a (104 only).
    pub const C_SC_TA_1: Self = Self(58);
    /// 59: double command with CP56Time2a (104 only).
    pub const C_DC_TA_1: Self = Self(59);
    /// 60: regulating step command with CP56Time2a (104 only).
    pub const C_RC_TA_1: Self = Self(60);
    /// 61: set-point command, normalized value with CP56Time2a (104 only).
    pub const C_SE_TA_1: Self = Self(61);
    /// 62: set-point command, scaled value with CP56Time2a (104 only).
    pub const C_SE_TB_1: Self = Self(62);
    /// 63: set-point command, short floating point number with CP56Time2a (104 only).
    pub const C_SE_TC_1: Self = Self(63);
    /// 64: bitstring of 32 bits command with CP56Time2a (104 only).
    pub const C_BO_TA_1: Self = Self(64);
    /// 70: end of initialization.
    pub const M_EI_NA_1: Self = Self(70);
    /// 100: interrogation command.
    pub const C_IC_NA_1: Self = Self(100);
    /// 101: counter interrogation command.
    pub const C_CI_NA_1: Self = Self(101);
    /// 102: read command.
    pub const C_RD_NA_1: Self = Self(102);
    /// 103: clock synchronization command.
    pub const C_CS_NA_1: Self = Self(103);
    /// 104: test command (101 only).
    pub const C_TS_NA_1: Self = Self(104);
    /// 105: reset process command.
    pub const C_RP_NA_1: Self = Self(105);
    /// 106: delay acquisition command (101 only).
    pub const C_CD_NA_1: Self = Self(106);
    /// 107: test command with CP56Time2a (104 only).
    pub const C_TS_TA_1: Self = Self(107);
    /// 110: parameter of measured value, normalized value.
    pub const P_ME_NA_1: Self = Self(110);
    /// 111: parameter of measured value, scaled value.
    pub const P_ME_NB_1: Self = Self(111);
    /// 112: parameter of measured value, short floating point number.
    pub const P_ME_NC_1: Self = Self(112);
    /// 113: parameter activation.
    pub const P_AC_NA_1: Self = Self(113);
    /// 120: file ready.
    pub const F_FR_NA_1: Self = Self(120);
    /// 121: section ready.
    pub const F_SR_NA_1: Self = Self(121);
    /// 122: call directory, select file, call file, call section.
    pub const F_SC_NA_1: Self = Self(122);
    /// 123: last section, last segment.
    pub const F_LS_NA_1: Self = Self(123);
    /// 124: ack file, ack section.
    pub const F_AF_NA_1: Self = Self(124);
    /// 125: segment.
    pub const F_SG_NA_1: Self = Self(125);
    /// 126: directory.
    pub const F_DR_TA_1: Self = Self(126);
    /// 127: query log, request archive file.
    pub const F_SC_NB_1: Self = Self(127);

    /// Every type ID the standards define, in numeric order.
    pub const STANDARD: [Self; 67] = [
        Self::M_SP_NA_1,
        Self::M_SP_TA_1,
        Self::M_DP_NA_1,
        Self::M_DP_TA_1,
        Self::M_ST_NA_1,
        Self::M_ST_TA_1,
        Self::M_BO_NA_1,
        Self::M_BO_TA_1,
        Self::M_ME_NA_1,
        Self::M_ME_TA_1,
        Self::M_ME_NB_1,
        Self::M_ME_TB_1,
        Self::M_ME_NC_1,
        Self::M_ME_TC_1,
        Self::M_IT_NA_1,
        Self::M_IT_TA_1,
        Self::M_EP_TA_1,
        Self::M_EP_TB_1,
        Self::M_EP_TC_1,
        Self::M_PS_NA_1,
        Self::M_ME_ND_1,
        Self::M_SP_TB_1,
        Self::M_DP_TB_1,
        Self::M_ST_TB_1,
        Self::M_BO_TB_1,
        Self::M_ME_TD_1,
        Self::M_ME_TE_1,
        Self::M_ME_TF_1,
        Self::M_IT_TB_1,
        Self::M_EP_TD_1,
        Self::M_EP_TE_1,
        Self::M_EP_TF_1,
        Self::C_SC_NA_1,
        Self::C_DC_NA_1,
        Self::C_RC_NA_1,
        Self::C_SE_NA_1,
        Self::C_SE_NB_1,
        Self::C_SE_NC_1,
        Self::C_BO_NA_1,
        Self::C_SC_TA_1,
        Self::C_DC_TA_1,
        Self::C_RC_TA_1,
        Self::C_SE_TA_1,
        Self::C_SE_TB_1,
        Self::C_SE_TC_1,
        Self::C_BO_TA_1,
        Self::M_EI_NA_1,
        Self::C_IC_NA_1,
        Self::C_CI_NA_1,
        Self::C_RD_NA_1,
        Self::C_CS_NA_1,
        Self::C_TS_NA_1,
        Self::C_RP_NA_1,
        Self::C_CD_NA_1,
        Self::C_TS_TA_1,
        Self::P_ME_NA_1,
        Self::P_ME_NB_1,
        Self::P_ME_NC_1,
        Self::P_AC_NA_1,
        Self::F_FR_NA_1,
        Self::F_SR_NA_1,
        Self::F_SC_NA_1,
        Self::F_LS_NA_1,
        Self::F_AF_NA_1,
        Self::F_SG_NA_1,
        Self::F_DR_TA_1,
        Self::F_SC_NB_1,
    ];

    /// The standard's mnemonic (`"M_SP_NA_1"`), or `None` for a reserved or private value.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "M_SP_NA_1",
            2 => "M_SP_TA_1",
            3 => "M_DP_NA_1",
            4 => "M_DP_TA_1",
            5 => "M_ST_NA_1",
            6 => "M_ST_TA_1",
            7 => "M_BO_NA_1",
            8 => "M_BO_TA_1",
            9 => "M_ME_NA_1",
            10 => "M_ME_TA_1",
            11 => "M_ME_NB_1",
            12 => "M_ME_TB_1",
            13 => "M_ME_NC_1",
            14 => "M_ME_TC_1",
            15 => "M_IT_NA_1",
            16 => "M_IT_TA_1",
            17 => "M_EP_TA_1",
            18 => "M_EP_TB_1",
            19 => "M_EP_TC_1",
            20 => "M_PS_NA_1",
            21 => "M_ME_ND_1",
            30 => "M_SP_TB_1",
            31 => "M_DP_TB_1",
            32 => "M_ST_TB_1",
            33 => "M_BO_TB_1",
            34 => "M_ME_TD_1",
            35 => "M_ME_TE_1",
            36 => "M_ME_TF_1",
            37 => "M_IT_TB_1",
            38 => "M_EP_TD_1",
            39 => "M_EP_TE_1",
            40 => "M_EP_TF_1",
            45 => "C_SC_NA_1",
            46 => "C_DC_NA_1",
            47 => "C_RC_NA_1",
            48 => "C_SE_NA_1",
            49 => "C_SE_NB_1",
            50 => "C_SE_NC_1",
            51 => "C_BO_NA_1",
            58 => "C_SC_TA_1",
            59 => "C_DC_TA_1",
            60 => "C_RC_TA_1",
            61 => "C_SE_TA_1",
            62 => "C_SE_TB_1",
            63 => "C_SE_TC_1",
            64 => "C_BO_TA_1",
            70 => "M_EI_NA_1",
            100 => "C_IC_NA_1",
            101 => "C_CI_NA_1",
            102 => "C_RD_NA_1",
            103 => "C_CS_NA_1",
            104 => "C_TS_NA_1",
            105 => "C_RP_NA_1",
            106 => "C_CD_NA_1",
            107 => "C_TS_TA_1",
            110 => "P_ME_NA_1",
            111 => "P_ME_NB_1",
            112 => "P_ME_NC_1",
            113 => "P_AC_NA_1",
            120 => "F_FR_NA_1",
            121 => "F_SR_NA_1",
            122 => "F_SC_NA_1",
            123 => "F_LS_NA_1",
            124 => "F_AF_NA_1",
            125 => "F_SG_NA_1",
            126 => "F_DR_TA_1",
            127 => "F_SC_NB_1",
            _ => return None,
        })
    }

    /// The standard's description (`"single-point information"`), or `None` for a reserved or
    /// private value.
    pub const fn description(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "single-point information",
            2 => "single-point information with CP24Time2a",
            3 => "double-point information",
            4 => "double-point information with CP24Time2a",
            5 => "step position information",
            6 => "step position information with CP24Time2a",
            7 => "bitstring of 32 bits",
            8 => "bitstring of 32 bits with CP24Time2a",
            9 => "measured value, normalized value",
            10 => "measured value, normalized value with CP24Time2a",
            11 => "measured value, scaled value",
            12 => "measured value, scaled value with CP24Time2a",
            13 => "measured value, short floating point number",
            14 => "measured value, short floating point number with CP24Time2a",
            15 => "integrated totals",
            16 => "integrated totals with CP24Time2a",
            17 => "event of protection equipment with CP24Time2a",
            18 => "packed start events of protection equipment with CP24Time2a",
            19 => "packed output circuit information of protection equipment with CP24Time2a",
            20 => "packed single-point information with status change detection",
            21 => "measured value, normalized value without quality descriptor",
            30 => "single-point information with CP56Time2a",
            31 => "double-point information with CP56Time2a",
            32 => "step position information with CP56Time2a",
            33 => "bitstring of 32 bits with CP56Time2a",
            34 => "measured value, normalized value with CP56Time2a",
            35 => "measured value, scaled value with CP56Time2a",
            36 => "measured value, short floating point number with CP56Time2a",
            37 => "integrated totals with CP56Time2a",
            38 => "event of protection equipment with CP56Time2a",
            39 => "packed start events of protection equipment with CP56Time2a",
            40 => "packed output circuit information of protection equipment with CP56Time2a",
            45 => "single command",
            46 => "double command",
            47 => "regulating step command",
            48 => "set-point command, normalized value",
            49 => "set-point command, scaled value",
            50 => "set-point command, short floating point number",
            51 => "bitstring of 32 bits command",
            58 => "single command with CP56Time2a",
            59 => "double command with CP56Time2a",
            60 => "regulating step command with CP56Time2a",
            61 => "set-point command, normalized value with CP56Time2a",
            62 => "set-point command, scaled value with CP56Time2a",
            63 => "set-point command, short floating point number with CP56Time2a",
            64 => "bitstring of 32 bits command with CP56Time2a",
            70 => "end of initialization",
            100 => "interrogation command",
            101 => "counter interrogation command",
            102 => "read command",
            103 => "clock synchronization command",
            104 => "test command",
            105 => "reset process command",
            106 => "delay acquisition command",
            107 => "test command with CP56Time2a",
            110 => "parameter of measured value, normalized value",
            111 => "parameter of measured value, scaled value",
            112 => "parameter of measured value, short floating point number",
            113 => "parameter activation",
            120 => "file ready",
            121 => "section ready",
            122 => "call directory, select file, call file, call section",
            123 => "last section, last segment",
            124 => "ack file, ack section",
            125 => "segment",
            126 => "directory",
            127 => "query log, request archive file",
            _ => return None,
        })
    }

    /// Whether the value is in the private range 128..=255 (IEC 60870-5-101 clause 7.2.1.1).
    pub const fn is_private(self) -> bool {
        self.0 >= 128
    }

    /// Whether this is a file transfer type, 120..=127 (IEC 60870-5-101 clause 7.3.6).
    pub const fn is_file_transfer(self) -> bool {
        self.0 >= 120 && self.0 <= 127
    }
}

impl fmt::Debug for TypeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "TypeId({} {name})", self.0),
            None => write!(f, "TypeId({})", self.0),
        }
    }
}

impl fmt::Display for TypeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None if self.is_private() => write!(f, "private type {}", self.0),
            None => write!(f, "reserved type {}", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_standard_type_id_has_a_mnemonic_matching_its_constant() {
        assert_eq!(TypeId::C_IC_NA_1.name(), Some("C_IC_NA_1"));
        assert_eq!(TypeId(100), TypeId::C_IC_NA_1);
        for id in TypeId::STANDARD {
            assert!(id.name().is_some() && id.description().is_some());
        }
        let named = (0..=u8::MAX)
            .filter(|n| TypeId(*n).name().is_some())
            .count();
        assert_eq!(named, TypeId::STANDARD.len());
        assert_eq!(TypeId(200).to_string(), "private type 200");
        assert_eq!(TypeId(22).to_string(), "reserved type 22");
        assert_eq!(format!("{:?}", TypeId(13)), "TypeId(13 M_ME_NC_1)");
    }
}
