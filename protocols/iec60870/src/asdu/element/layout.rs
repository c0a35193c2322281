//! Which element and time tag each type ID's objects carry (IEC 60870-5-101 clause 7.3,
//! IEC 60870-5-104 clause 8).
//!
//! [`Layout::of`] says, for each type ID this crate decodes, which element an object carries and
//! which time tag follows it:
//!
//! ```text
//! type IDs                      element (octets)                      time tag
//! 1 2 30     M_SP               SIQ (1)                               -, CP24, CP56
//! 3 4 31     M_DP               DIQ (1)                               -, CP24, CP56
//! 5 6 32     M_ST               VTI QDS (2)                           -, CP24, CP56
//! 7 8 33     M_BO               BSI QDS (5)                           -, CP24, CP56
//! 9 10 34    M_ME normalized    NVA QDS (3)                           -, CP24, CP56
//! 11 12 35   M_ME scaled        SVA QDS (3)                           -, CP24, CP56
//! 13 14 36   M_ME float         R32 QDS (5)                           -, CP24, CP56
//! 15 16 37   M_IT               BCR (5)                               -, CP24, CP56
//! 17 38      M_EP event         SEP CP16 (3)                          CP24, CP56
//! 18 39      M_EP start         SPE QDP CP16 (4)                      CP24, CP56
//! 19 40      M_EP output        OCI QDP CP16 (4)                      CP24, CP56
//! 20         M_PS_NA_1          SCD QDS (5)                           -
//! 21         M_ME_ND_1          NVA (2)                               -
//! 45 58      C_SC               SCO (1)                               -, CP56
//! 46 59      C_DC               DCO (1)                               -, CP56
//! 47 60      C_RC               RCO (1)                               -, CP56
//! 48 61      C_SE normalized    NVA QOS (3)                           -, CP56
//! 49 62      C_SE scaled        SVA QOS (3)                           -, CP56
//! 50 63      C_SE float         R32 QOS (5)                           -, CP56
//! 51 64      C_BO               BSI (4)                               -, CP56
//! 70         M_EI_NA_1          COI (1)                               -
//! 100 101    C_IC, C_CI         QOI (1), QCC (1)                      -
//! 102        C_RD_NA_1          nothing (0)                           -
//! 103        C_CS_NA_1          CP56Time2a (7)                        -
//! 104        C_TS_NA_1          FBP 0x55AA (2)                        -
//! 105 106    C_RP, C_CD         QRP (1), CP16Time2a (2)               -
//! 107        C_TS_TA_1          TSC (2)                               CP56
//! 110..=112  P_ME               NVA/SVA/R32 QPM (3, 3, 5)             -
//! 113        P_AC_NA_1          QPA (1)                               -
//! 120        F_FR_NA_1          NOF LOF FRQ (6)                       -
//! 121        F_SR_NA_1          NOF NOS LOF SRQ (7)                   -
//! 122        F_SC_NA_1          NOF NOS SCQ (4)                       -
//! 123        F_LS_NA_1          NOF NOS LSQ CHS (5)                   -
//! 124        F_AF_NA_1          NOF NOS AFQ (4)                       -
//! 126        F_DR_TA_1          NOF LOF SOF CP56Time2a (13)           -
//! 127        F_SC_NB_1          NOF CP56Time2a CP56Time2a (16)        -
//! ```
//!
//! The segment, F_SG_NA_1 (125), has a length of its own (LOS) and is read by
//! [`Asdu::segments`](crate::asdu::Asdu::segments) instead. Every other type ID (private
//! 128..=255, reserved) is kept as raw bytes. The creation time of F_DR_TA_1 and the period of
//! F_SC_NB_1 are part of the element, as the clock of C_CS_NA_1 is, not a time tag.

use super::super::TypeId;
use crate::types::{Cp24Time2a, Cp56Time2a};

/// The kind of information element a type ID carries (IEC 60870-5-101 clause 7.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)] // Each variant is documented on the `Element` variant of the same name.
pub enum ElementKind {
    SinglePoint,
    DoublePoint,
    StepPosition,
    Bitstring,
    Normalized,
    Scaled,
    Float,
    Counter,
    ProtectionEvent,
    ProtectionStart,
    ProtectionOutput,
    PackedSinglePoints,
    NormalizedNoQuality,
    SingleCommand,
    DoubleCommand,
    RegulatingStep,
    SetpointNormalized,
    SetpointScaled,
    SetpointFloat,
    BitstringCommand,
    EndOfInitialization,
    Interrogation,
    CounterInterrogation,
    Read,
    ClockSync,
    Test,
    ResetProcess,
    DelayAcquisition,
    TestWithTime,
    ParameterNormalized,
    ParameterScaled,
    ParameterFloat,
    ParameterActivation,
    FileReady,
    SectionReady,
    CallFile,
    LastSection,
    AckFile,
    Directory,
    QueryLog,
}

impl ElementKind {
    /// The element's length in octets, without the address and the time tag.
    #[inline]
    pub const fn len(self) -> usize {
        match self {
            Self::Read => 0,
            Self::SinglePoint
            | Self::DoublePoint
            | Self::SingleCommand
            | Self::DoubleCommand
            | Self::RegulatingStep
            | Self::EndOfInitialization
            | Self::Interrogation
            | Self::CounterInterrogation
            | Self::ResetProcess
            | Self::ParameterActivation => 1,
            Self::CallFile | Self::AckFile => 4,
            Self::LastSection => 5,
            Self::FileReady => 6,
            Self::SectionReady => 7,
            Self::Directory => 13,
            Self::QueryLog => 16,
            Self::StepPosition
            | Self::NormalizedNoQuality
            | Self::Test
            | Self::DelayAcquisition
            | Self::TestWithTime => 2,
            Self::Normalized
            | Self::Scaled
            | Self::ProtectionEvent
            | Self::SetpointNormalized
            | Self::SetpointScaled
            | Self::ParameterNormalized
            | Self::ParameterScaled => 3,
            Self::ProtectionStart | Self::ProtectionOutput | Self::BitstringCommand => 4,
            Self::Bitstring
            | Self::Float
            | Self::Counter
            | Self::PackedSinglePoints
            | Self::SetpointFloat
            | Self::ParameterFloat => 5,
            Self::ClockSync => 7,
        }
    }

    /// Whether the element has no octets (C_RD_NA_1).
    pub const fn is_empty(self) -> bool {
        self.len() == 0
    }
}

/// The time tag that follows an element (IEC 60870-5-101 clauses 7.2.6.18 and 7.2.6.19).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeKind {
    /// No time tag.
    None,
    /// CP24Time2a, three octets (101 only).
    Cp24,
    /// CP56Time2a, seven octets.
    Cp56,
}

impl TimeKind {
    /// The time tag's length in octets.
    #[inline]
    pub const fn len(self) -> usize {
        match self {
            Self::None => 0,
            Self::Cp24 => Cp24Time2a::LEN,
            Self::Cp56 => Cp56Time2a::LEN,
        }
    }

    /// Whether there is no time tag.
    pub const fn is_empty(self) -> bool {
        matches!(self, Self::None)
    }
}

/// What each information object of a type ID holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Layout {
    /// The element.
    pub element: ElementKind,
    /// The time tag after it.
    pub time: TimeKind,
}

impl Layout {
    /// The layout of `type_id`, or `None` for the segment (F_SG_NA_1, variable length) and the
    /// type IDs kept as raw bytes (private, reserved).
    #[inline]
    pub const fn of(type_id: TypeId) -> Option<Self> {
        use ElementKind as E;
        use TimeKind as T;
        let (element, time) = match type_id.0 {
            1 => (E::SinglePoint, T::None),
            2 => (E::SinglePoint, T::Cp24),
            3 => (E::DoublePoint, T::None),
            4 => (E::DoublePoint, T::Cp24),
            5 => (E::StepPosition, T::None),
            6 => (E::StepPosition, T::Cp24),
            7 => (E::Bitstring, T::None),
            8 => (E::Bitstring, T::Cp24),
            9 => (E::Normalized, T::None),
            10 => (E::Normalized, T::Cp24),
            11 => (E::Scaled, T::None),
            12 => (E::Scaled, T::Cp24),
            13 => (E::Float, T::None),
            14 => (E::Float, T::Cp24),
            15 => (E::Counter, T::None),
            16 => (E::Counter, T::Cp24),
            17 => (E::ProtectionEvent, T::Cp24),
            18 => (E::ProtectionStart, T::Cp24),
            19 => (E::ProtectionOutput, T::Cp24),
            20 => (E::PackedSinglePoints, T::None),
            21 => (E::NormalizedNoQuality, T::None),
            30 => (E::SinglePoint, T::Cp56),
            31 => (E::DoublePoint, T::Cp56),
            32 => (E::StepPosition, T::Cp56),
            33 => (E::Bitstring, T::Cp56),
            34 => (E::Normalized, T::Cp56),
            35 => (E::Scaled, T::Cp56),
            36 => (E::Float, T::Cp56),
            37 => (E::Counter, T::Cp56),
            38 => (E::ProtectionEvent, T::Cp56),
            39 => (E::ProtectionStart, T::Cp56),
            40 => (E::ProtectionOutput, T::Cp56),
            45 => (E::SingleCommand, T::None),
            46 => (E::DoubleCommand, T::None),
            47 => (E::RegulatingStep, T::None),
            48 => (E::SetpointNormalized, T::None),
            49 => (E::SetpointScaled, T::None),
            50 => (E::SetpointFloat, T::None),
            51 => (E::BitstringCommand, T::None),
            58 => (E::SingleCommand, T::Cp56),
            59 => (E::DoubleCommand, T::Cp56),
            60 => (E::RegulatingStep, T::Cp56),
            61 => (E::SetpointNormalized, T::Cp56),
            62 => (E::SetpointScaled, T::Cp56),
            63 => (E::SetpointFloat, T::Cp56),
            64 => (E::BitstringCommand, T::Cp56),
            70 => (E::EndOfInitialization, T::None),
            100 => (E::Interrogation, T::None),
            101 => (E::CounterInterrogation, T::None),
            102 => (E::Read, T::None),
            103 => (E::ClockSync, T::None),
            104 => (E::Test, T::None),
            105 => (E::ResetProcess, T::None),
            106 => (E::DelayAcquisition, T::None),
            107 => (E::TestWithTime, T::Cp56),
            110 => (E::ParameterNormalized, T::None),
            111 => (E::ParameterScaled, T::None),
            112 => (E::ParameterFloat, T::None),
            113 => (E::ParameterActivation, T::None),
            120 => (E::FileReady, T::None),
            121 => (E::SectionReady, T::None),
            122 => (E::CallFile, T::None),
            123 => (E::LastSection, T::None),
            124 => (E::AckFile, T::None),
            126 => (E::Directory, T::None),
            127 => (E::QueryLog, T::None),
            _ => return None,
        };
        Some(Self { element, time })
    }

    /// The length of an element and its time tag, without the address.
    #[inline]
    pub const fn element_len(&self) -> usize {
        self.element.len() + self.time.len()
    }
}
