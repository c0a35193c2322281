//! Information elements by type ID, and the information object that carries one
//! (IEC 60870-5-101 clause 7.3, IEC 60870-5-104 clause 8).
//!
//! [`Layout::of`] (in `layout`) says which element and time tag each type ID carries;
//! [`Element`] holds the element's value and [`InformationObject`] the whole object.

mod layout;
mod object;

pub use layout::{ElementKind, Layout, TimeKind};
pub use object::{InformationObject, TimeTag};

use super::header::fits;
use crate::error::AsduField;
use crate::types::{
    Afq, Bcr, Chs, Coi, Cp16Time2a, Cp56Time2a, Dco, Diq, Frq, Lof, Lsq, Nof, Nos, Nva, Oci, Qcc,
    Qdp, Qds, Qoi, Qos, Qpa, Qpm, Qrp, Rco, Scd, Sco, Scq, Sep, Siq, Sof, Spe, Srq, Vti,
};
use crate::Error;
use bytes::BufMut;

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
    /// File ready (F_FR_NA_1: 120; IEC 60870-5-101 clause 7.3.6.1).
    FileReady {
        /// The file.
        nof: Nof,
        /// Its length.
        lof: Lof,
        /// The qualifier.
        frq: Frq,
    },
    /// Section ready (F_SR_NA_1: 121; clause 7.3.6.2).
    SectionReady {
        /// The file.
        nof: Nof,
        /// The section.
        nos: Nos,
        /// The section's length.
        lof: Lof,
        /// The qualifier.
        srq: Srq,
    },
    /// Call directory, select file, call file, call section (F_SC_NA_1: 122; clause 7.3.6.3).
    CallFile {
        /// The file (0 for the directory).
        nof: Nof,
        /// The section.
        nos: Nos,
        /// What to do, and the error.
        scq: Scq,
    },
    /// Last section, last segment (F_LS_NA_1: 123; clause 7.3.6.4).
    LastSection {
        /// The file.
        nof: Nof,
        /// The section.
        nos: Nos,
        /// Which transfer ends.
        lsq: Lsq,
        /// The checksum of the section (or of the file's sections' checksums).
        chs: Chs,
    },
    /// Acknowledge file, acknowledge section (F_AF_NA_1: 124; clause 7.3.6.5).
    AckFile {
        /// The file.
        nof: Nof,
        /// The section.
        nos: Nos,
        /// The acknowledgement, and the error.
        afq: Afq,
    },
    /// One entry of a directory (F_DR_TA_1: 126; clause 7.3.6.7; SQ = 1 lists several).
    Directory {
        /// The file or subdirectory.
        nof: Nof,
        /// Its length.
        lof: Lof,
        /// Its status.
        sof: Sof,
        /// When it was created.
        created: Cp56Time2a,
    },
    /// Query log, request archive file (F_SC_NB_1: 127, 104 only; IEC 60870-5-104 clause 8).
    QueryLog {
        /// The file.
        nof: Nof,
        /// The start of the period asked for.
        start: Cp56Time2a,
        /// Its end.
        stop: Cp56Time2a,
    },
}

/// The fixed test pattern of C_TS_NA_1: 0x55AA (IEC 60870-5-101 clause 7.2.6.14).
pub const FIXED_TEST_PATTERN: u16 = 0x55AA;

/// Reads fixed-size fields from a slice whose length was checked; a short slice reads as zeros
/// rather than panicking.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    #[inline]
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0; N];
        if let Some((head, rest)) = self.0.split_first_chunk::<N>() {
            out = *head;
            self.0 = rest;
        }
        out
    }
    #[inline]
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
    #[inline]
    fn f32(&mut self) -> f32 {
        f32::from_le_bytes(self.take())
    }
    fn nva(&mut self) -> Nva {
        Nva(self.i16())
    }
    fn cp16(&mut self) -> Cp16Time2a {
        Cp16Time2a::from_bytes(self.take())
    }
    fn cp56(&mut self) -> Cp56Time2a {
        Cp56Time2a::from_bytes(self.take())
    }
    fn nof(&mut self) -> Nof {
        Nof(self.u16())
    }
    fn lof(&mut self) -> Lof {
        Lof::from_bytes(self.take())
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
            Self::FileReady { .. } => K::FileReady,
            Self::SectionReady { .. } => K::SectionReady,
            Self::CallFile { .. } => K::CallFile,
            Self::LastSection { .. } => K::LastSection,
            Self::AckFile { .. } => K::AckFile,
            Self::Directory { .. } => K::Directory,
            Self::QueryLog { .. } => K::QueryLog,
        }
    }

    /// Reads an element of `kind` from `bytes`, which holds exactly [`ElementKind::len`] octets
    /// (a short slice reads as zeros). Every octet string decodes: reserved bits are kept.
    #[inline]
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
            K::FileReady => Self::FileReady {
                nof: r.nof(),
                lof: r.lof(),
                frq: Frq(r.u8()),
            },
            K::SectionReady => Self::SectionReady {
                nof: r.nof(),
                nos: Nos(r.u8()),
                lof: r.lof(),
                srq: Srq(r.u8()),
            },
            K::CallFile => Self::CallFile {
                nof: r.nof(),
                nos: Nos(r.u8()),
                scq: Scq(r.u8()),
            },
            K::LastSection => Self::LastSection {
                nof: r.nof(),
                nos: Nos(r.u8()),
                lsq: Lsq(r.u8()),
                chs: Chs(r.u8()),
            },
            K::AckFile => Self::AckFile {
                nof: r.nof(),
                nos: Nos(r.u8()),
                afq: Afq(r.u8()),
            },
            K::Directory => Self::Directory {
                nof: r.nof(),
                lof: r.lof(),
                sof: Sof(r.u8()),
                created: r.cp56(),
            },
            K::QueryLog => Self::QueryLog {
                nof: r.nof(),
                start: r.cp56(),
                stop: r.cp56(),
            },
        }
    }

    /// Checks that the element can be written: the counter's sequence number fits five bits and
    /// the time of a clock synchronization, a directory entry or a log query fits its bits.
    ///
    /// # Errors
    /// [`Error::FieldTooLarge`] or [`Error::TimeOutOfRange`], with offsets from the element's
    /// first octet.
    pub fn check(&self) -> Result<(), Error> {
        match self {
            Self::Counter(bcr) => fits(4, AsduField::CounterSequence, bcr.sequence.into(), 0x1F),
            Self::ClockSync(time) => time.to_bytes().map(|_| ()),
            // NOF 2, LOF 3, SOF 1 octets before the creation time.
            Self::Directory { created, .. } => {
                created.to_bytes().map(|_| ()).map_err(|e| e.shifted(6))
            }
            Self::QueryLog { start, stop, .. } => {
                start.to_bytes().map_err(|e| e.shifted(2))?;
                stop.to_bytes().map(|_| ()).map_err(|e| e.shifted(9))
            }
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
            Self::FileReady { nof, lof, frq } => {
                buf.put_u16_le(nof.0);
                buf.put_slice(&lof.to_bytes());
                buf.put_u8(frq.0);
            }
            Self::SectionReady { nof, nos, lof, srq } => {
                buf.put_u16_le(nof.0);
                buf.put_u8(nos.0);
                buf.put_slice(&lof.to_bytes());
                buf.put_u8(srq.0);
            }
            Self::CallFile {
                nof,
                nos,
                scq: Scq(q),
            }
            | Self::AckFile {
                nof,
                nos,
                afq: Afq(q),
            } => {
                buf.put_u16_le(nof.0);
                buf.put_slice(&[nos.0, q]);
            }
            Self::LastSection { nof, nos, lsq, chs } => {
                buf.put_u16_le(nof.0);
                buf.put_slice(&[nos.0, lsq.0, chs.0]);
            }
            Self::Directory {
                nof,
                lof,
                sof,
                created,
            } => {
                buf.put_u16_le(nof.0);
                buf.put_slice(&lof.to_bytes());
                buf.put_u8(sof.0);
                buf.put_slice(&created.to_bytes()?);
            }
            Self::QueryLog { nof, start, stop } => {
                buf.put_u16_le(nof.0);
                buf.put_slice(&start.to_bytes()?);
                buf.put_slice(&stop.to_bytes()?);
            }
        }
        Ok(())
    }
}
