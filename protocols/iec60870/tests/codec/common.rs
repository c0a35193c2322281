//! The spec vectors every test family uses, commented field by field.

use fieldbridge_iec60870::apci::{Apci, SeqNo, UFunction};
use fieldbridge_iec60870::ft12::{AddressLen, Control, Frame, LinkConfig};
use fieldbridge_iec60870::{PrimaryFunction, SecondaryFunction};

/// An IEC 104 APDU and what it decodes to.
pub struct ApduVector {
    pub name: &'static str,
    pub bytes: &'static [u8],
    pub apci: Apci,
    /// The ASDU: the bytes after the six APCI octets.
    pub asdu_len: usize,
}

const fn seq(n: u16) -> SeqNo {
    SeqNo::wrapping(n)
}

pub const APDUS: &[ApduVector] = &[
    ApduVector {
        name: "STARTDT act",
        // 68 start | 04 length | 07 = STARTDT act bit 0x04 | U format 0x03 | 00 00 00
        bytes: &[0x68, 0x04, 0x07, 0x00, 0x00, 0x00],
        apci: Apci::U(UFunction::StartDtAct),
        asdu_len: 0,
    },
    ApduVector {
        name: "STARTDT con",
        // 68 | 04 | 0B = 0x08 | 0x03 | 00 00 00
        bytes: &[0x68, 0x04, 0x0B, 0x00, 0x00, 0x00],
        apci: Apci::U(UFunction::StartDtCon),
        asdu_len: 0,
    },
    ApduVector {
        name: "STOPDT act",
        // 68 | 04 | 13 = 0x10 | 0x03 | 00 00 00
        bytes: &[0x68, 0x04, 0x13, 0x00, 0x00, 0x00],
        apci: Apci::U(UFunction::StopDtAct),
        asdu_len: 0,
    },
    ApduVector {
        name: "STOPDT con",
        // 68 | 04 | 23 = 0x20 | 0x03 | 00 00 00
        bytes: &[0x68, 0x04, 0x23, 0x00, 0x00, 0x00],
        apci: Apci::U(UFunction::StopDtCon),
        asdu_len: 0,
    },
    ApduVector {
        name: "TESTFR act",
        // 68 | 04 | 43 = 0x40 | 0x03 | 00 00 00
        bytes: &[0x68, 0x04, 0x43, 0x00, 0x00, 0x00],
        apci: Apci::U(UFunction::TestFrAct),
        asdu_len: 0,
    },
    ApduVector {
        name: "TESTFR con",
        // 68 | 04 | 83 = 0x80 | 0x03 | 00 00 00
        bytes: &[0x68, 0x04, 0x83, 0x00, 0x00, 0x00],
        apci: Apci::U(UFunction::TestFrCon),
        asdu_len: 0,
    },
    ApduVector {
        name: "S frame N(R)=5",
        // 68 | 04 | 01 S format | 00 | 0A 00: N(R) = 0x000A >> 1 = 5
        bytes: &[0x68, 0x04, 0x01, 0x00, 0x0A, 0x00],
        apci: Apci::S { recv: seq(5) },
        asdu_len: 0,
    },
    ApduVector {
        name: "S frame N(R)=32767",
        // 68 | 04 | 01 | 00 | FE FF: N(R) = 0x7F + 0xFF << 7 = 32767
        bytes: &[0x68, 0x04, 0x01, 0x00, 0xFE, 0xFF],
        apci: Apci::S { recv: seq(32767) },
        asdu_len: 0,
    },
    ApduVector {
        name: "I frame: interrogation command act",
        // 68 | 0E length 14 | 00 00 N(S)=0 | 00 00 N(R)=0
        // ASDU: 64 C_IC_NA_1 | 01 VSQ | 06 00 COT act, originator 0 | 01 00 CA 1 |
        //       00 00 00 IOA 0 | 14 QOI 20 (station interrogation)
        bytes: &[
            0x68, 0x0E, 0x00, 0x00, 0x00, 0x00, 0x64, 0x01, 0x06, 0x00, 0x01, 0x00, 0x00, 0x00,
            0x00, 0x14,
        ],
        apci: Apci::I {
            send: seq(0),
            recv: seq(0),
        },
        asdu_len: 10,
    },
    ApduVector {
        name: "I frame: M_SP_TB_1 with CP56Time2a, N(S)=30113 N(R)=233",
        // 68 | 15 length 21 | 42 EB: N(S) = 0x42 >> 1 | 0xEB << 7 = 33 + 30080 = 30113
        // D2 01: N(R) = 0xD2 >> 1 | 0x01 << 7 = 105 + 128 = 233
        // ASDU: 1E M_SP_TB_1 | 01 VSQ | 03 00 COT spont | 80 00 CA 128 | B0 36 00 IOA 14000 |
        //       01 SIQ on | AF E1 1D 14 70 06 15 CP56Time2a 2021-06-16 (Wed) 20:29:57.775
        bytes: &[
            0x68, 0x15, 0x42, 0xEB, 0xD2, 0x01, 0x1E, 0x01, 0x03, 0x00, 0x80, 0x00, 0xB0, 0x36,
            0x00, 0x01, 0xAF, 0xE1, 0x1D, 0x14, 0x70, 0x06, 0x15,
        ],
        apci: Apci::I {
            send: seq(30113),
            recv: seq(233),
        },
        asdu_len: 17,
    },
];

/// An FT1.2 frame, the link configuration it was sent with, and what it decodes to.
pub struct Ft12Vector {
    pub name: &'static str,
    pub config: LinkConfig,
    pub bytes: &'static [u8],
    pub frame: Frame<'static>,
}

pub const ONE: LinkConfig = LinkConfig::new(AddressLen::One);
pub const TWO: LinkConfig = LinkConfig::new(AddressLen::Two);
pub const ZERO: LinkConfig = LinkConfig::new(AddressLen::Zero);

pub const FT12: &[Ft12Vector] = &[
    Ft12Vector {
        name: "single character E5",
        config: ONE,
        bytes: &[0xE5],
        frame: Frame::SingleChar,
    },
    Ft12Vector {
        name: "request status of link",
        config: ONE,
        // 10 start | 49 = PRM 1, FCB 0, FCV 0, function 9 | 01 address | 4A = 49 + 01 | 16 end
        bytes: &[0x10, 0x49, 0x01, 0x4A, 0x16],
        frame: Frame::Fixed {
            control: Control::primary(PrimaryFunction::REQUEST_LINK_STATUS, false, false),
            address: 1,
        },
    },
    Ft12Vector {
        name: "status of link",
        config: ONE,
        // 10 | 0B = PRM 0, ACD 0, DFC 0, function 11 | 01 | 0C | 16
        bytes: &[0x10, 0x0B, 0x01, 0x0C, 0x16],
        frame: Frame::Fixed {
            control: Control::secondary(SecondaryFunction::LINK_STATUS, false, false),
            address: 1,
        },
    },
    Ft12Vector {
        name: "reset of remote link",
        config: ONE,
        // 10 | 40 = PRM 1, function 0 | 01 | 41 | 16
        bytes: &[0x10, 0x40, 0x01, 0x41, 0x16],
        frame: Frame::Fixed {
            control: Control::primary(PrimaryFunction::RESET_REMOTE_LINK, false, false),
            address: 1,
        },
    },
    Ft12Vector {
        name: "ACK with access demand",
        config: ONE,
        // 10 | 20 = PRM 0, ACD 1, DFC 0, function 0 | 01 | 21 | 16
        bytes: &[0x10, 0x20, 0x01, 0x21, 0x16],
        frame: Frame::Fixed {
            control: Control::secondary(SecondaryFunction::ACK, true, false),
            address: 1,
        },
    },
    Ft12Vector {
        name: "request class 2, FCB 1 FCV 1, two-octet address 0x1234",
        config: TWO,
        // 10 | 7B = PRM 1, FCB 1, FCV 1, function 11 | 34 12 address 0x1234 | C1 = 7B+34+12 | 16
        bytes: &[0x10, 0x7B, 0x34, 0x12, 0xC1, 0x16],
        frame: Frame::Fixed {
            control: Control::primary(PrimaryFunction::REQUEST_CLASS_2, true, true),
            address: 0x1234,
        },
    },
    Ft12Vector {
        name: "balanced test function for link, no address",
        config: ZERO,
        // 10 | D2 = DIR 1, PRM 1, FCB 0, FCV 1, function 2 | D2 | 16
        bytes: &[0x10, 0xD2, 0xD2, 0x16],
        frame: Frame::Fixed {
            control: Control::Primary {
                dir: true,
                fcb: false,
                fcv: true,
                function: PrimaryFunction::TEST_LINK,
            },
            address: 0,
        },
    },
    Ft12Vector {
        name: "user data: interrogation command",
        config: ONE,
        // 68 | 09 | 09 | 68 | 73 = PRM 1, FCB 1, FCV 1, function 3 | 01 address |
        // ASDU: 64 C_IC_NA_1 | 01 VSQ | 06 COT act | 01 CA | 00 00 IOA 0 | 14 QOI 20 |
        // F4 = sum of 73 .. 14 | 16
        bytes: &[
            0x68, 0x09, 0x09, 0x68, 0x73, 0x01, 0x64, 0x01, 0x06, 0x01, 0x00, 0x00, 0x14, 0xF4,
            0x16,
        ],
        frame: Frame::Variable {
            control: Control::primary(PrimaryFunction::USER_DATA_CONFIRM, true, true),
            address: 1,
            asdu: &[0x64, 0x01, 0x06, 0x01, 0x00, 0x00, 0x14],
        },
    },
    Ft12Vector {
        name: "user data response with ACD, two-octet address",
        config: TWO,
        // 68 | 0A | 0A | 68 | 28 = PRM 0, ACD 1, function 8 | 02 01 address 0x0102 |
        // ASDU: 64 | 01 | 07 COT actcon | 01 | 00 00 | 14 | AC = sum of 28 .. 14 | 16
        bytes: &[
            0x68, 0x0A, 0x0A, 0x68, 0x28, 0x02, 0x01, 0x64, 0x01, 0x07, 0x01, 0x00, 0x00, 0x14,
            0xAC, 0x16,
        ],
        frame: Frame::Variable {
            control: Control::secondary(SecondaryFunction::USER_DATA, true, false),
            address: 0x0102,
            asdu: &[0x64, 0x01, 0x07, 0x01, 0x00, 0x00, 0x14],
        },
    },
];
