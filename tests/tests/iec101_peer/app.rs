//! The application side of the tests: ASDUs in the sizes the lib60870 peers use (cause of
//! transmission 1 octet, common address 1, IOA 2), read into a comparable summary, and the
//! answers of a small controlled station of ours.

use fieldbridge_iec60870::asdu::{Asdu, AsduConfig, CaLen, CotLen, IoaLen};
use fieldbridge_iec60870::types::{Qds, Qoi, Siq};
use fieldbridge_iec60870::{Cot, Element, InformationObject, OwnedAsdu, TypeId};

pub const CONFIG: AsduConfig = AsduConfig::new(CotLen::One, CaLen::One, IoaLen::Two);

/// Type ID, cause, P/N, common address and each object as (IOA, value).
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub type_id: u8,
    pub cot: u8,
    pub negative: bool,
    pub ca: u16,
    pub sequence: bool,
    pub objects: Vec<(u32, String)>,
}

pub fn summary(asdu: &[u8]) -> Summary {
    let view = Asdu::decode(asdu, &CONFIG)
        .unwrap_or_else(|e| panic!("an ASDU that does not decode ({e}): {asdu:02x?}"));
    let h = view.header;
    Summary {
        type_id: h.type_id.0,
        cot: h.cause.0,
        negative: h.negative,
        ca: h.common_address,
        sequence: h.sequence,
        objects: view
            .objects()
            .map(|o| (o.address, value(&o.element)))
            .collect(),
    }
}

fn value(element: &Element) -> String {
    match element {
        Element::SinglePoint(siq) => u8::from(siq.on()).to_string(),
        Element::Float { value, .. } => format!("{value}"),
        Element::Interrogation(qoi) => qoi.0.to_string(),
        Element::SingleCommand(sco) => format!(
            "{}{}",
            u8::from(sco.on()),
            if sco.select() { "s" } else { "" }
        ),
        other => format!("{other:?}"),
    }
}

pub fn encode(asdu: &OwnedAsdu) -> Vec<u8> {
    let mut out = Vec::new();
    asdu.encode(&mut out).expect("encode an ASDU");
    out
}

/// C_IC_NA_1 activation, station interrogation, to common address `ca`.
pub fn interrogation(ca: u16) -> Vec<u8> {
    encode(
        &OwnedAsdu::new(CONFIG, TypeId::C_IC_NA_1, Cot::ACTIVATION, ca).with(
            InformationObject::new(0, Element::Interrogation(Qoi::STATION)),
        ),
    )
}

/// The ASDU with another cause (P/N and T kept clear): an ACTCON or ACTTERM of a command.
pub fn mirror(asdu: &[u8], cot: u8) -> Vec<u8> {
    let mut out = asdu.to_vec();
    out[2] = cot;
    out
}

/// What our controlled station answers to `asdu` (from its common address `ca`): ACTCON,
/// data and ACTTERM of an interrogation; ACTCON of a clock synchronisation; ACTCON of a
/// single command's select, ACTCON and ACTTERM of its execute.
pub fn answer(asdu: &[u8], ca: u16) -> Vec<Vec<u8>> {
    let s = summary(asdu);
    match (s.type_id, s.cot) {
        (100, 6) => {
            let points = OwnedAsdu::new(CONFIG, TypeId::M_SP_NA_1, Cot(20), ca)
                .with(InformationObject::new(
                    100,
                    Element::SinglePoint(Siq::new(true)),
                ))
                .with(InformationObject::new(
                    101,
                    Element::SinglePoint(Siq::new(false)),
                ))
                .with(InformationObject::new(
                    102,
                    Element::SinglePoint(Siq::new(false)),
                ));
            let floats = [(200, 12.5f32), (201, -3.25), (202, 1000.0)]
                .into_iter()
                .fold(
                    OwnedAsdu::new(CONFIG, TypeId::M_ME_NC_1, Cot(20), ca),
                    |a, (ioa, value)| {
                        a.with(InformationObject::new(
                            ioa,
                            Element::Float {
                                value,
                                qds: Qds::GOOD,
                            },
                        ))
                    },
                );
            vec![
                mirror(asdu, 7),
                encode(&points),
                encode(&floats),
                mirror(asdu, 10),
            ]
        }
        (103, 6) => vec![mirror(asdu, 7)],
        (45, 6) if s.objects.first().is_some_and(|o| o.1.ends_with('s')) => vec![mirror(asdu, 7)],
        (45, 6) => vec![mirror(asdu, 7), mirror(asdu, 10)],
        _ => Vec::new(),
    }
}
