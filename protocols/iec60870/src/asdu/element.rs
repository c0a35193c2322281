//! Information elements by type ID, and the information object that carries one
//! (IEC 60870-5-101 clause 7.3, IEC 60870-5-104 clause 8).
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
//! ```
//!
//! Every other type ID (file transfer 120..=127, private 128..=255, reserved) is kept as raw bytes.

use super::header::fits;
use super::TypeId;
use crate::error::AsduField;
use crate::types::{
    Bcr, Coi, Cp16Time2a, Cp24Time2a, Cp56Time2a, Dco, Diq, Nva, Oci, Qcc, Qdp, Qds, Qoi, Qos, Qpa,
    Qpm, Qrp, Rco, Scd, Sco, Sep, Siq, Spe, Vti,
};
use crate::Error;
use bytes::BufMut;

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
}

impl ElementKind {
    /// The element's length in octets, without the address and the time tag.
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
    /// The layout of `type_id`, or `None` for a type ID kept as raw bytes (file transfer,
    /// private, reserved).
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
            _ => return None,
        };
        Some(Self { element, time })
    }

    /// The length of an element and its time tag, without the address.
    pub const fn element_len(&self) -> usize {
        self.element.len() + self.time.len()
    }
}

/// A time tag as sent after an element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeTag {
    /// Three octets: milliseconds and minutes (101 only).
    Cp24(Cp24Time2a),
    /// Seven octets: date and time.
    Cp56(Cp56Time2a),
}

impl TimeTag {
    /// Which kind of tag.
    pub const fn kind(&self) -> TimeKind {
        match self {
            Self::Cp24(_) => TimeKind::Cp24,
            Self::Cp56(_) => TimeKind::Cp56,
        }
    }
}

/// An information element (IEC 60870-5-101 clause 7.3): the value of one information object.
///
/// The type ID says which variant an object carries, and whether a time tag follows; see
/// [`Layout::of`]. Floats compare by value, so an element holding NaN is not equal to itself:
/// compare encodings for those.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Element {
    /// Single-point information (M_SP: 1, 2, 30).
    SinglePoint(Siq),
    /// Double-point information (M_DP: 3, 4, 31).
    DoublePoint(Diq),
    /// Step position (M_ST: 5, 6, 32).
    StepPosition {
        /// The position and transient flag.
        vti: Vti,
        /// Its quality.
        qds: Qds,
    },
    /// Bitstring of 32 bits (M_BO: 7, 8, 33).
    Bitstring {
        /// BSI, the bits.
        bsi: u32,
        /// Their quality.
        qds: Qds,
    },
    /// Measured value, normalized (M_ME: 9, 10, 34).
    Normalized {
        /// The value.
        nva: Nva,
        /// Its quality.
        qds: Qds,
    },
    /// Measured value, scaled (M_ME: 11, 12, 35).
    Scaled {
        /// SVA, the value.
        sva: i16,
        /// Its quality.
        qds: Qds,
    },
    /// Measured value, short floating point (M_ME: 13, 14, 36).
    Float {
        /// R32, IEEE 754 single precision.
        value: f32,
        /// Its quality.
        qds: Qds,
    },
    /// Integrated totals (M_IT: 15, 16, 37).
    Counter(Bcr),
    /// Event of protection equipment (M_EP: 17, 38).
    ProtectionEvent {
        /// The event state and quality.
        sep: Sep,
        /// The elapsed time.
        elapsed: Cp16Time2a,
    },
    /// Packed start events of protection equipment (M_EP: 18, 39).
    ProtectionStart {
        /// The start events.
        spe: Spe,
        /// Their quality.
        qdp: Qdp,
        /// The relay duration time.
        duration: Cp16Time2a,
    },
    /// Packed output circuit information of protection equipment (M_EP: 19, 40).
    ProtectionOutput {
        /// The output circuits.
        oci: Oci,
        /// Their quality.
        qdp: Qdp,
        /// The relay operating time.
        operating_time: Cp16Time2a,
    },
    /// Packed single points with status change detection (M_PS_NA_1: 20).
    PackedSinglePoints {
        /// The 16 states and their change flags.
        scd: Scd,
        /// Their quality.
        qds: Qds,
    },
    /// Measured value, normalized, without quality (M_ME_ND_1: 21).
    NormalizedNoQuality(Nva),
    /// Single command (C_SC: 45, 58).
    SingleCommand(Sco),
    /// Double command (C_DC: 46, 59).
    DoubleCommand(Dco),
    /// Regulating step command (C_RC: 47, 60).
    RegulatingStep(Rco),
    /// Set-point command, normalized (C_SE: 48, 61).
    SetpointNormalized {
        /// The value.
        nva: Nva,
        /// The qualifier.
        qos: Qos,
    },
    /// Set-point command, scaled (C_SE: 49, 62).
    SetpointScaled {
        /// SVA, the value.
        sva: i16,
        /// The qualifier.
        qos: Qos,
    },
    /// Set-point command, short floating point (C_SE: 50, 63).
    SetpointFloat {
        /// R32, the value.
        value: f32,
        /// The qualifier.
        qos: Qos,
    },
    /// Bitstring of 32 bits command (C_BO: 51, 64).
    BitstringCommand(u32),
    /// End of initialization (M_EI_NA_1: 70).
    EndOfInitialization(Coi),
    /// Interrogation command (C_IC_NA_1: 100).
    Interrogation(Qoi),
    /// Counter interrogation command (C_CI_NA_1: 101).
    CounterInterrogation(Qcc),
    /// Read command (C_RD_NA_1: 102): the address alone.
    Read,
    /// Clock synchronization command (C_CS_NA_1: 103).
    ClockSync(Cp56Time2a),
    /// Test command (C_TS_NA_1: 104): FBP, the fixed test pattern, 0x55AA when well formed.
    Test(u16),
    /// Reset process command (C_RP_NA_1: 105).
    ResetProcess(Qrp),
    /// Delay acquisition command (C_CD_NA_1: 106).
    DelayAcquisition(Cp16Time2a),
    /// Test command with time tag (C_TS_TA_1: 107): TSC, the test sequence counter.
    TestWithTime(u16),
    /// Parameter of measured value, normalized (P_ME_NA_1: 110).
    ParameterNormalized {
        /// The value.
        nva: Nva,
        /// The qualifier.
        qpm: Qpm,
    },
    /// Parameter of measured value, scaled (P_ME_NB_1: 111).
    ParameterScaled {
        /// SVA, the value.
        sva: i16,
        /// The qualifier.
        qpm: Qpm,
    },
    /// Parameter of measured value, short floating point (P_ME_NC_1: 112).
    ParameterFloat {
        /// R32, the value.
        value: f32,
        /// The qualifier.
        qpm: Qpm,
    },
    /// Parameter activation (P_AC_NA_1: 113).
    ParameterActivation(Qpa),
}

/// The fixed test pattern of C_TS_NA_1: 0x55AA (IEC 60870-5-101 clause 7.2.6.14).
pub const FIXED_TEST_PATTERN: u16 = 0x55AA;

/// Reads fixed-size fields from a slice whose length was checked; a short slice reads as zeros
/// rather than panicking.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0; N];
        if let Some((head, rest)) = self.0.split_first_chunk::<N>() {
            out = *head;
            self.0 = rest;
        }
        out
    }
    fn u8(&mut self) -> u8 {
        let [b] = self.take();
        b
    }
    fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.take())
    }
    fn i16(&mut self) -> i16 {
        i16::from_le_bytes(self.take())
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take())
    }
    fn f32(&mut self) -> f32 {
        f32::from_le_bytes(self.take())
    }
    fn nva(&mut self) -> Nva {
        Nva(self.i16())
    }
    fn cp16(&mut self) -> Cp16Time2a {
        Cp16Time2a::from_bytes(self.take())
    }
}

impl Element {
    /// The kind of element.
    pub const fn kind(&self) -> ElementKind {
        use ElementKind as K;
        match self {
            Self::SinglePoint(_) => K::SinglePoint,
            Self::DoublePoint(_) => K::DoublePoint,
            Self::StepPosition { .. } => K::StepPosition,
            Self::Bitstring { .. } => K::Bitstring,
            Self::Normalized { .. } => K::Normalized,
            Self::Scaled { .. } => K::Scaled,
            Self::Float { .. } => K::Float,
            Self::Counter(_) => K::Counter,
            Self::ProtectionEvent { .. } => K::ProtectionEvent,
            Self::ProtectionStart { .. } => K::ProtectionStart,
            Self::ProtectionOutput { .. } => K::ProtectionOutput,
            Self::PackedSinglePoints { .. } => K::PackedSinglePoints,
            Self::NormalizedNoQuality(_) => K::NormalizedNoQuality,
            Self::SingleCommand(_) => K::SingleCommand,
            Self::DoubleCommand(_) => K::DoubleCommand,
            Self::RegulatingStep(_) => K::RegulatingStep,
            Self::SetpointNormalized { .. } => K::SetpointNormalized,
            Self::SetpointScaled { .. } => K::SetpointScaled,
            Self::SetpointFloat { .. } => K::SetpointFloat,
            Self::BitstringCommand(_) => K::BitstringCommand,
            Self::EndOfInitialization(_) => K::EndOfInitialization,
            Self::Interrogation(_) => K::Interrogation,
            Self::CounterInterrogation(_) => K::CounterInterrogation,
            Self::Read => K::Read,
            Self::ClockSync(_) => K::ClockSync,
            Self::Test(_) => K::Test,
            Self::ResetProcess(_) => K::ResetProcess,
            Self::DelayAcquisition(_) => K::DelayAcquisition,
            Self::TestWithTime(_) => K::TestWithTime,
            Self::ParameterNormalized { .. } => K::ParameterNormalized,
            Self::ParameterScaled { .. } => K::ParameterScaled,
            Self::ParameterFloat { .. } => K::ParameterFloat,
            Self::ParameterActivation(_) => K::ParameterActivation,
        }
    }

    /// Reads an element of `kind` from `bytes`, which holds exactly [`ElementKind::len`] octets
    /// (a short slice reads as zeros). Every octet string decodes: reserved bits are kept.
    pub fn decode(kind: ElementKind, bytes: &[u8]) -> Self {
        use ElementKind as K;
        let mut r = Reader(bytes);
        match kind {
            K::SinglePoint => Self::SinglePoint(Siq(r.u8())),
            K::DoublePoint => Self::DoublePoint(Diq(r.u8())),
            K::StepPosition => Self::StepPosition {
                vti: Vti(r.u8()),
                qds: Qds(r.u8()),
            },
            K::Bitstring => Self::Bitstring {
                bsi: r.u32(),
                qds: Qds(r.u8()),
            },
            K::Normalized => Self::Normalized {
                nva: r.nva(),
                qds: Qds(r.u8()),
            },
            K::Scaled => Self::Scaled {
                sva: r.i16(),
                qds: Qds(r.u8()),
            },
            K::Float => Self::Float {
                value: r.f32(),
                qds: Qds(r.u8()),
            },
            K::Counter => Self::Counter(Bcr::from_bytes(r.take())),
            K::ProtectionEvent => Self::ProtectionEvent {
                sep: Sep(r.u8()),
                elapsed: r.cp16(),
            },
            K::ProtectionStart => Self::ProtectionStart {
                spe: Spe(r.u8()),
                qdp: Qdp(r.u8()),
                duration: r.cp16(),
            },
            K::ProtectionOutput => Self::ProtectionOutput {
                oci: Oci(r.u8()),
                qdp: Qdp(r.u8()),
                operating_time: r.cp16(),
            },
            K::PackedSinglePoints => Self::PackedSinglePoints {
                scd: Scd::from_bytes(r.take()),
                qds: Qds(r.u8()),
            },
            K::NormalizedNoQuality => Self::NormalizedNoQuality(r.nva()),
            K::SingleCommand => Self::SingleCommand(Sco(r.u8())),
            K::DoubleCommand => Self::DoubleCommand(Dco(r.u8())),
            K::RegulatingStep => Self::RegulatingStep(Rco(r.u8())),
            K::SetpointNormalized => Self::SetpointNormalized {
                nva: r.nva(),
                qos: Qos(r.u8()),
            },
            K::SetpointScaled => Self::SetpointScaled {
                sva: r.i16(),
                qos: Qos(r.u8()),
            },
            K::SetpointFloat => Self::SetpointFloat {
                value: r.f32(),
                qos: Qos(r.u8()),
            },
            K::BitstringCommand => Self::BitstringCommand(r.u32()),
            K::EndOfInitialization => Self::EndOfInitialization(Coi(r.u8())),
            K::Interrogation => Self::Interrogation(Qoi(r.u8())),
            K::CounterInterrogation => Self::CounterInterrogation(Qcc(r.u8())),
            K::Read => Self::Read,
            K::ClockSync => Self::ClockSync(Cp56Time2a::from_bytes(r.take())),
            K::Test => Self::Test(r.u16()),
            K::ResetProcess => Self::ResetProcess(Qrp(r.u8())),
            K::DelayAcquisition => Self::DelayAcquisition(r.cp16()),
            K::TestWithTime => Self::TestWithTime(r.u16()),
            K::ParameterNormalized => Self::ParameterNormalized {
                nva: r.nva(),
                qpm: Qpm(r.u8()),
            },
            K::ParameterScaled => Self::ParameterScaled {
                sva: r.i16(),
                qpm: Qpm(r.u8()),
            },
            K::ParameterFloat => Self::ParameterFloat {
                value: r.f32(),
                qpm: Qpm(r.u8()),
            },
            K::ParameterActivation => Self::ParameterActivation(Qpa(r.u8())),
        }
    }

    /// Checks that the element can be written: the counter's sequence number fits five bits and
    /// a clock synchronization's time fits its bits.
    ///
    /// # Errors
    /// [`Error::FieldTooLarge`] or [`Error::TimeOutOfRange`], with offsets from the element's
    /// first octet.
    pub fn check(&self) -> Result<(), Error> {
        match self {
            Self::Counter(bcr) => fits(4, AsduField::CounterSequence, bcr.sequence.into(), 0x1F),
            Self::ClockSync(time) => time.to_bytes().map(|_| ()),
            _ => Ok(()),
        }
    }

    /// Writes the element's [`ElementKind::len`] octets. The caller has checked the room.
    ///
    /// # Errors
    /// Those of [`Element::check`].
    pub(crate) fn write(&self, buf: &mut impl BufMut) -> Result<(), Error> {
        match *self {
            Self::SinglePoint(Siq(b))
            | Self::DoublePoint(Diq(b))
            | Self::SingleCommand(Sco(b))
            | Self::DoubleCommand(Dco(b))
            | Self::RegulatingStep(Rco(b))
            | Self::EndOfInitialization(Coi(b))
            | Self::Interrogation(Qoi(b))
            | Self::CounterInterrogation(Qcc(b))
            | Self::ResetProcess(Qrp(b))
            | Self::ParameterActivation(Qpa(b)) => buf.put_u8(b),
            Self::StepPosition { vti, qds } => buf.put_slice(&[vti.0, qds.0]),
            Self::Bitstring { bsi, qds } => {
                buf.put_u32_le(bsi);
                buf.put_u8(qds.0);
            }
            Self::Normalized { nva: Nva(v), qds } | Self::Scaled { sva: v, qds } => {
                buf.put_i16_le(v);
                buf.put_u8(qds.0);
            }
            Self::Float { value, qds } => {
                buf.put_f32_le(value);
                buf.put_u8(qds.0);
            }
            Self::Counter(bcr) => buf.put_slice(&bcr.to_bytes()?),
            Self::ProtectionEvent { sep, elapsed } => {
                buf.put_u8(sep.0);
                buf.put_slice(&elapsed.to_bytes());
            }
            Self::ProtectionStart { spe, qdp, duration } => {
                buf.put_slice(&[spe.0, qdp.0]);
                buf.put_slice(&duration.to_bytes());
            }
            Self::ProtectionOutput {
                oci,
                qdp,
                operating_time,
            } => {
                buf.put_slice(&[oci.0, qdp.0]);
                buf.put_slice(&operating_time.to_bytes());
            }
            Self::PackedSinglePoints { scd, qds } => {
                buf.put_slice(&scd.to_bytes());
                buf.put_u8(qds.0);
            }
            Self::NormalizedNoQuality(Nva(v)) => buf.put_i16_le(v),
            Self::SetpointNormalized { nva: Nva(v), qos }
            | Self::SetpointScaled { sva: v, qos } => {
                buf.put_i16_le(v);
                buf.put_u8(qos.0);
            }
            Self::SetpointFloat { value, qos } => {
                buf.put_f32_le(value);
                buf.put_u8(qos.0);
            }
            Self::BitstringCommand(bsi) => buf.put_u32_le(bsi),
            Self::Read => {}
            Self::ClockSync(time) => buf.put_slice(&time.to_bytes()?),
            Self::Test(v) | Self::TestWithTime(v) => buf.put_u16_le(v),
            Self::DelayAcquisition(time) => buf.put_slice(&time.to_bytes()),
            Self::ParameterNormalized { nva: Nva(v), qpm }
            | Self::ParameterScaled { sva: v, qpm } => {
                buf.put_i16_le(v);
                buf.put_u8(qpm.0);
            }
            Self::ParameterFloat { value, qpm } => {
                buf.put_f32_le(value);
                buf.put_u8(qpm.0);
            }
        }
        Ok(())
    }
}

/// One information object: its address, its element and the time tag its type ID calls for
/// (IEC 60870-5-101 clause 7.3).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InformationObject {
    /// The information object address. With SQ = 1, the first object's address plus its index.
    pub address: u32,
    /// The element.
    pub element: Element,
    /// The time tag, for the type IDs that carry one.
    pub time: Option<TimeTag>,
}

impl InformationObject {
    /// An object without a time tag.
    pub const fn new(address: u32, element: Element) -> Self {
        Self {
            address,
            element,
            time: None,
        }
    }

    /// An object with a time tag.
    pub const fn with_time(address: u32, element: Element, time: TimeTag) -> Self {
        Self {
            address,
            element,
            time: Some(time),
        }
    }

    /// Whether the element and time tag are those `layout` calls for.
    pub fn fits(&self, layout: &Layout) -> bool {
        self.element.kind() == layout.element
            && self.time.map_or(TimeKind::None, |t| t.kind()) == layout.time
    }

    /// Reads the element and time tag of `layout` from `bytes` (exactly
    /// [`Layout::element_len`] octets; a short slice reads as zeros).
    pub(crate) fn decode(address: u32, layout: &Layout, bytes: &[u8]) -> Self {
        let (element, time) = bytes
            .split_at_checked(layout.element.len())
            .unwrap_or((bytes, &[]));
        let mut r = Reader(time);
        Self {
            address,
            element: Element::decode(layout.element, element),
            time: match layout.time {
                TimeKind::None => None,
                TimeKind::Cp24 => Some(TimeTag::Cp24(Cp24Time2a::from_bytes(r.take()))),
                TimeKind::Cp56 => Some(TimeTag::Cp56(Cp56Time2a::from_bytes(r.take()))),
            },
        }
    }
}
