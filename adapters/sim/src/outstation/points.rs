//! The outstation's points: one of every monitoring type at documented information object
//! addresses (the table in adapters/sim/README.md), each animated from its own change count, and
//! the command points with the monitored points that report what a command set.

use fieldbridge_iec60870::types::{
    Bcr, Diq, DoublePoint, Nva, Oci, Qdp, Qds, Scd, Sep, Siq, Spe, Vti,
};
use fieldbridge_iec60870::{Cp16Time2a, Element, InformationObject, TimeTag, TypeId};

/// What a monitored point holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// M_SP: on when its change count is odd.
    Single,
    /// M_DP: on when its change count is odd, off when even.
    Double,
    /// M_ST: the change count mod 128, minus 64.
    Step,
    /// M_BO: the change count.
    Bitstring,
    /// M_ME normalized: the change count as the raw 16-bit value.
    Normalized,
    /// M_ME scaled: the change count as the 16-bit value.
    Scaled,
    /// M_ME short float: the change count (exact up to 2^24).
    Float,
    /// M_IT: the change count, its sequence number the count mod 32.
    Counter,
    /// M_PS_NA_1: the change count's low 16 bits as the states.
    PackedSingle,
    /// M_ME_ND_1: the change count as the raw 16-bit value, no quality.
    NormalizedNoQuality,
    /// M_EP_TD_1: on when odd, elapsed time = count ms.
    ProtectionEvent,
    /// M_EP_TE_1: start events = count's low six bits.
    ProtectionStart,
    /// M_EP_TF_1: output circuits = count's low four bits.
    ProtectionOutput,
}

/// One monitored point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PointSpec {
    /// Its information object address.
    pub ioa: u32,
    /// Its type ID in spontaneous transmission.
    pub type_id: TypeId,
    /// What it holds.
    pub kind: Kind,
    /// Its interrogation group, 1..=16 (0: not in any group), or counter group 1..=4 for
    /// integrated totals.
    pub group: u8,
    /// Whether it changes by itself (the others change by commands).
    pub animated: bool,
}

const fn p(ioa: u32, type_id: TypeId, kind: Kind, group: u8) -> PointSpec {
    PointSpec {
        ioa,
        type_id,
        kind,
        group,
        animated: true,
    }
}

const fn fb(ioa: u32, type_id: TypeId, kind: Kind) -> PointSpec {
    PointSpec {
        ioa,
        type_id,
        kind,
        group: 4,
        animated: false,
    }
}

/// Every monitored point, in IOA order.
pub const POINTS: &[PointSpec] = &[
    p(100, TypeId::M_SP_NA_1, Kind::Single, 1),
    p(101, TypeId::M_SP_TB_1, Kind::Single, 1),
    p(110, TypeId::M_DP_NA_1, Kind::Double, 1),
    p(111, TypeId::M_DP_TB_1, Kind::Double, 1),
    p(200, TypeId::M_ST_NA_1, Kind::Step, 2),
    p(201, TypeId::M_ST_TB_1, Kind::Step, 2),
    p(210, TypeId::M_BO_NA_1, Kind::Bitstring, 2),
    p(211, TypeId::M_BO_TB_1, Kind::Bitstring, 2),
    p(220, TypeId::M_PS_NA_1, Kind::PackedSingle, 2),
    p(300, TypeId::M_ME_NA_1, Kind::Normalized, 3),
    p(301, TypeId::M_ME_TD_1, Kind::Normalized, 3),
    p(310, TypeId::M_ME_NB_1, Kind::Scaled, 3),
    p(311, TypeId::M_ME_TE_1, Kind::Scaled, 3),
    p(320, TypeId::M_ME_NC_1, Kind::Float, 3),
    p(321, TypeId::M_ME_TF_1, Kind::Float, 3),
    p(330, TypeId::M_ME_ND_1, Kind::NormalizedNoQuality, 3),
    p(400, TypeId::M_IT_NA_1, Kind::Counter, 1),
    p(401, TypeId::M_IT_TB_1, Kind::Counter, 1),
    p(500, TypeId::M_EP_TD_1, Kind::ProtectionEvent, 0),
    p(501, TypeId::M_EP_TE_1, Kind::ProtectionStart, 0),
    p(502, TypeId::M_EP_TF_1, Kind::ProtectionOutput, 0),
    fb(2000, TypeId::M_SP_NA_1, Kind::Single),
    fb(2001, TypeId::M_SP_NA_1, Kind::Single),
    fb(2010, TypeId::M_DP_NA_1, Kind::Double),
    fb(2011, TypeId::M_DP_NA_1, Kind::Double),
    fb(2020, TypeId::M_ST_NA_1, Kind::Step),
    fb(2021, TypeId::M_ST_NA_1, Kind::Step),
    fb(2030, TypeId::M_ME_NA_1, Kind::Normalized),
    fb(2031, TypeId::M_ME_NA_1, Kind::Normalized),
    fb(2040, TypeId::M_ME_NB_1, Kind::Scaled),
    fb(2041, TypeId::M_ME_NB_1, Kind::Scaled),
    fb(2050, TypeId::M_ME_NC_1, Kind::Float),
    fb(2051, TypeId::M_ME_NC_1, Kind::Float),
    fb(2060, TypeId::M_BO_NA_1, Kind::Bitstring),
    fb(2061, TypeId::M_BO_NA_1, Kind::Bitstring),
];

/// One command point: its IOA, the command type ID without time tag (the tagged one, 58..=64,
/// is accepted too), whether it must be selected first, and the monitored point it sets
/// (`ioa + 1000`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandSpec {
    /// Its information object address.
    pub ioa: u32,
    /// C_SC_NA_1, C_DC_NA_1, C_RC_NA_1, C_SE_NA_1, C_SE_NB_1, C_SE_NC_1 or C_BO_NA_1.
    pub type_id: TypeId,
    /// Select-before-operate required: an execute without a select is refused.
    pub select_required: bool,
}

impl CommandSpec {
    /// The monitored point that returns what the command set.
    pub const fn feedback_ioa(&self) -> u32 {
        self.ioa + 1000
    }
}

const fn c(ioa: u32, type_id: TypeId, select_required: bool) -> CommandSpec {
    CommandSpec {
        ioa,
        type_id,
        select_required,
    }
}

/// Every command point: the even IOA executes directly (a select first is allowed), the odd
/// one requires select-before-operate.
pub const COMMANDS: &[CommandSpec] = &[
    c(1000, TypeId::C_SC_NA_1, false),
    c(1001, TypeId::C_SC_NA_1, true),
    c(1010, TypeId::C_DC_NA_1, false),
    c(1011, TypeId::C_DC_NA_1, true),
    c(1020, TypeId::C_RC_NA_1, false),
    c(1021, TypeId::C_RC_NA_1, true),
    c(1030, TypeId::C_SE_NA_1, false),
    c(1031, TypeId::C_SE_NA_1, true),
    c(1040, TypeId::C_SE_NB_1, false),
    c(1041, TypeId::C_SE_NB_1, true),
    c(1050, TypeId::C_SE_NC_1, false),
    c(1051, TypeId::C_SE_NC_1, true),
    c(1060, TypeId::C_BO_NA_1, false),
    c(1061, TypeId::C_BO_NA_1, true),
];

/// The command type ID without time tag for a tagged one (58..=64), else itself.
pub(crate) fn untagged_command(type_id: TypeId) -> TypeId {
    match type_id.0 {
        58..=64 => TypeId(type_id.0 - 13),
        _ => type_id,
    }
}

/// The type ID without time tag for a monitored type ID with one (for interrogation answers,
/// IEC 60870-5-101 clause 7.4.5: time-tagged types are not sent with COT 20..=36).
pub(crate) fn untagged_monitor(type_id: TypeId) -> TypeId {
    match type_id {
        TypeId::M_SP_TB_1 => TypeId::M_SP_NA_1,
        TypeId::M_DP_TB_1 => TypeId::M_DP_NA_1,
        TypeId::M_ST_TB_1 => TypeId::M_ST_NA_1,
        TypeId::M_BO_TB_1 => TypeId::M_BO_NA_1,
        TypeId::M_ME_TD_1 => TypeId::M_ME_NA_1,
        TypeId::M_ME_TE_1 => TypeId::M_ME_NB_1,
        TypeId::M_ME_TF_1 => TypeId::M_ME_NC_1,
        other => other,
    }
}

/// Whether the type ID carries a CP56Time2a.
pub(crate) fn has_time(type_id: TypeId) -> bool {
    matches!(type_id.0, 30..=40)
}

/// The element of a point of `kind` after `count` changes.
pub fn animated(kind: Kind, count: u32) -> Element {
    let odd = count % 2 == 1;
    let low16 = (count & 0xFFFF) as u16;
    let good = Qds::GOOD;
    match kind {
        Kind::Single => Element::SinglePoint(Siq::new(odd)),
        Kind::Double => Element::DoublePoint(Diq::new(if odd {
            DoublePoint::On
        } else {
            DoublePoint::Off
        })),
        Kind::Step => Element::StepPosition {
            vti: Vti::new(((count % 128) as i16 - 64) as i8, false).unwrap_or_default(),
            qds: good,
        },
        Kind::Bitstring => Element::Bitstring {
            bsi: count,
            qds: good,
        },
        Kind::Normalized => Element::Normalized {
            nva: Nva(low16 as i16),
            qds: good,
        },
        Kind::Scaled => Element::Scaled {
            sva: low16 as i16,
            qds: good,
        },
        Kind::Float => Element::Float {
            value: count as f32,
            qds: good,
        },
        Kind::Counter => Element::Counter(Bcr {
            value: count as i32,
            sequence: (count % 32) as u8,
            carry: false,
            adjusted: false,
            invalid: false,
        }),
        Kind::PackedSingle => Element::PackedSinglePoints {
            scd: Scd {
                status: low16,
                changed: low16 ^ low16.wrapping_sub(1),
            },
            qds: good,
        },
        Kind::NormalizedNoQuality => Element::NormalizedNoQuality(Nva(low16 as i16)),
        Kind::ProtectionEvent => Element::ProtectionEvent {
            sep: Sep(if odd { 2 } else { 1 }),
            elapsed: Cp16Time2a::from_bytes(low16.to_le_bytes()),
        },
        Kind::ProtectionStart => Element::ProtectionStart {
            spe: Spe((count & 0x3F) as u8),
            qdp: Qdp(0),
            duration: Cp16Time2a::from_bytes(low16.to_le_bytes()),
        },
        Kind::ProtectionOutput => Element::ProtectionOutput {
            oci: Oci((count & 0x0F) as u8),
            qdp: Qdp(0),
            operating_time: Cp16Time2a::from_bytes(low16.to_le_bytes()),
        },
    }
}

/// The information object of a point with `element`, time-tagged when `type_id` wants it.
pub(crate) fn object(
    ioa: u32,
    type_id: TypeId,
    element: Element,
    time: fieldbridge_iec60870::Cp56Time2a,
) -> InformationObject {
    if has_time(type_id) {
        InformationObject::with_time(ioa, element, TimeTag::Cp56(time))
    } else {
        InformationObject::new(ioa, element)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_point_element_fits_its_type() {
        for point in POINTS {
            let layout = fieldbridge_iec60870::asdu::Layout::of(point.type_id).unwrap();
            let object = object(
                point.ioa,
                point.type_id,
                animated(point.kind, 7),
                fieldbridge_iec60870::Cp56Time2a::default(),
            );
            assert!(object.fits(&layout), "{point:?}");
        }
    }

    #[test]
    fn every_command_has_a_feedback_point() {
        for command in COMMANDS {
            assert!(
                POINTS.iter().any(|p| p.ioa == command.feedback_ioa()),
                "{command:?}"
            );
        }
    }
}
