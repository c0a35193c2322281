//! One object of every type ID with a layout, from octets computed by hand from the standard's
//! encodings (IEC 60870-5-101 clause 7.3): each decodes to the expected element and time tag and
//! re-encodes to the same octets. The ASDU around it is 104's (IOA 3 octets); the IOA is
//! 0x010203 throughout.

use fieldbridge_iec60870::asdu::{Asdu, AsduConfig, Element, Layout, OwnedAsdu, TimeTag, TypeId};
use fieldbridge_iec60870::types::*;

/// CP24Time2a 30.000 s, minute 7: 30 75 07.
const CP24: [u8; 3] = [0x30, 0x75, 0x07];
/// CP56Time2a 2026-11-24 13:05:07.250.
const CP56: [u8; 7] = [0x52, 0x1C, 0x05, 0x0D, 0x58, 0x0B, 0x1A];

/// (type ID, element octets, the element).
fn table() -> Vec<(u8, &'static [u8], Element)> {
    let qds = Qds(0x01); // OV
    let float = 1.5f32; // 00 00 C0 3F
    let bcr = Bcr {
        value: -2,
        sequence: 31,
        carry: false,
        adjusted: true,
        invalid: true,
    };
    let ev = Element::ProtectionEvent {
        sep: Sep(0x0A),
        elapsed: Cp16Time2a { millisecond: 500 },
    };
    let start = Element::ProtectionStart {
        spe: Spe(Spe::GS | Spe::SL2),
        qdp: Qdp(0x80),
        duration: Cp16Time2a { millisecond: 256 },
    };
    let out = Element::ProtectionOutput {
        oci: Oci(Oci::GC | Oci::CL1),
        qdp: Qdp(0x08),
        operating_time: Cp16Time2a { millisecond: 1 },
    };
    let mut rows: Vec<(u8, &'static [u8], Element)> = Vec::new();
    for (id, bytes, element) in [
        // SIQ 0x11: BL + on.
        (1u8, &[0x11][..], Element::SinglePoint(Siq(0x11))),
        // DIQ 0x21: SB + off.
        (3, &[0x21][..], Element::DoublePoint(Diq(0x21))),
        // VTI C1 = transient, position -63 | QDS 01.
        (
            5,
            &[0xC1, 0x01][..],
            Element::StepPosition {
                vti: Vti(0xC1),
                qds,
            },
        ),
        // BSI 78 56 34 12 = 0x12345678 | QDS.
        (
            7,
            &[0x78, 0x56, 0x34, 0x12, 0x01][..],
            Element::Bitstring {
                bsi: 0x1234_5678,
                qds,
            },
        ),
        // NVA 00 C0 = -0.5 | QDS.
        (
            9,
            &[0x00, 0xC0, 0x01][..],
            Element::Normalized {
                nva: Nva(-0x4000),
                qds,
            },
        ),
        // SVA FF 7F = 32767 | QDS.
        (
            11,
            &[0xFF, 0x7F, 0x01][..],
            Element::Scaled { sva: 32767, qds },
        ),
        // R32 00 00 C0 3F = 1.5 | QDS.
        (
            13,
            &[0x00, 0x00, 0xC0, 0x3F, 0x01][..],
            Element::Float { value: float, qds },
        ),
        // BCR FE FF FF FF = -2 | DF = IV + CA + sequence 31.
        (
            15,
            &[0xFE, 0xFF, 0xFF, 0xFF, 0xDF][..],
            Element::Counter(bcr),
        ),
    ] {
        rows.push((id, bytes, element));
        // The CP24 form (101) is the next type ID, the CP56 form 29 further on (1 -> 30, ...).
        rows.push((id + 1, bytes, element));
        rows.push((30 + (id - 1) / 2, bytes, element));
    }
    rows.extend([
        // SEP 0A = EI + on | CP16 F4 01 = 500 ms.
        (17, &[0x0A, 0xF4, 0x01][..], ev),
        (38, &[0x0A, 0xF4, 0x01][..], ev),
        // SPE 05 = GS + SL2 | QDP 80 IV | CP16 00 01 = 256 ms.
        (18, &[0x05, 0x80, 0x00, 0x01][..], start),
        (39, &[0x05, 0x80, 0x00, 0x01][..], start),
        // OCI 03 = GC + CL1 | QDP 08 EI | CP16 01 00 = 1 ms.
        (19, &[0x03, 0x08, 0x01, 0x00][..], out),
        (40, &[0x03, 0x08, 0x01, 0x00][..], out),
        // SCD: status 0x8001, changed 0x0001 | QDS.
        (
            20,
            &[0x01, 0x80, 0x01, 0x00, 0x01][..],
            Element::PackedSinglePoints {
                scd: Scd {
                    status: 0x8001,
                    changed: 1,
                },
                qds,
            },
        ),
        // NVA 00 40 = 0.5, no quality.
        (
            21,
            &[0x00, 0x40][..],
            Element::NormalizedNoQuality(Nva(0x4000)),
        ),
    ]);
    for (id, bytes, element) in [
        // SCO 8D = select, QU 3 persistent, on.
        (45u8, &[0x8D][..], Element::SingleCommand(Sco(0x8D))),
        // DCO 0A = execute, QU 2 long pulse, DCS 2 on.
        (46, &[0x0A][..], Element::DoubleCommand(Dco(0x0A))),
        // RCO 81 = select, QU 0, RCS 1 lower.
        (47, &[0x81][..], Element::RegulatingStep(Rco(0x81))),
        // NVA FF 7F | QOS 80 select.
        (
            48,
            &[0xFF, 0x7F, 0x80][..],
            Element::SetpointNormalized {
                nva: Nva(i16::MAX),
                qos: Qos(0x80),
            },
        ),
        // SVA 00 80 = -32768 | QOS 00 execute.
        (
            49,
            &[0x00, 0x80, 0x00][..],
            Element::SetpointScaled {
                sva: i16::MIN,
                qos: Qos(0),
            },
        ),
        // R32 00 00 C0 3F = 1.5 | QOS 01.
        (
            50,
            &[0x00, 0x00, 0xC0, 0x3F, 0x01][..],
            Element::SetpointFloat {
                value: float,
                qos: Qos(1),
            },
        ),
        // BSI 01 00 00 80.
        (
            51,
            &[0x01, 0x00, 0x00, 0x80][..],
            Element::BitstringCommand(0x8000_0001),
        ),
    ] {
        rows.push((id, bytes, element));
        // The CP56 form is 13 further on (45 -> 58, ...).
        rows.push((id + 13, bytes, element));
    }
    rows.extend([
        (
            70,
            &[0x80][..],
            Element::EndOfInitialization(Coi::new(Coi::POWER_ON, true)),
        ),
        (100, &[0x15][..], Element::Interrogation(Qoi(21))),
        // QCC 45 = FRZ 1 freeze, RQT 5 general.
        (
            101,
            &[0x45][..],
            Element::CounterInterrogation(Qcc::new(5, Qcc::FREEZE)),
        ),
        (102, &[][..], Element::Read),
        (
            103,
            &CP56[..],
            Element::ClockSync(Cp56Time2a::from_bytes(CP56)),
        ),
        // FBP AA 55 = 0x55AA.
        (104, &[0xAA, 0x55][..], Element::Test(0x55AA)),
        (
            105,
            &[0x02][..],
            Element::ResetProcess(Qrp::TIME_TAGGED_EVENTS),
        ),
        // CP16 E8 03 = 1000 ms.
        (
            106,
            &[0xE8, 0x03][..],
            Element::DelayAcquisition(Cp16Time2a { millisecond: 1000 }),
        ),
        // TSC 34 12 = 0x1234 (then the CP56 tag).
        (107, &[0x34, 0x12][..], Element::TestWithTime(0x1234)),
        // NVA 00 20 = 0.25 | QPM 01 threshold.
        (
            110,
            &[0x00, 0x20, 0x01][..],
            Element::ParameterNormalized {
                nva: Nva(0x2000),
                qpm: Qpm(1),
            },
        ),
        // SVA 64 00 = 100 | QPM 43 = LPC + high limit.
        (
            111,
            &[0x64, 0x00, 0x43][..],
            Element::ParameterScaled {
                sva: 100,
                qpm: Qpm(0x43),
            },
        ),
        // R32 1.5 | QPM 82 = POP + smoothing.
        (
            112,
            &[0x00, 0x00, 0xC0, 0x3F, 0x82][..],
            Element::ParameterFloat {
                value: float,
                qpm: Qpm(0x82),
            },
        ),
        (113, &[0x03][..], Element::ParameterActivation(Qpa::CYCLIC)),
        // NOF 34 12 = 0x1234 | LOF 00 10 00 = 4096 | FRQ 80 = negative confirm.
        (
            120,
            &[0x34, 0x12, 0x00, 0x10, 0x00, 0x80][..],
            Element::FileReady {
                nof: Nof(0x1234),
                lof: Lof::new(4096).unwrap(),
                frq: Frq::new(0, true),
            },
        ),
        // NOF 01 00 | NOS 02 | LOF FF FF FF = 16777215 | SRQ 81 = not ready, UI7 1.
        (
            121,
            &[0x01, 0x00, 0x02, 0xFF, 0xFF, 0xFF, 0x81][..],
            Element::SectionReady {
                nof: Nof(1),
                nos: Nos(2),
                lof: Lof::new(Lof::MAX).unwrap(),
                srq: Srq(0x81),
            },
        ),
        // NOF 01 00 | NOS 03 | SCQ 06 = request section, no error.
        (
            122,
            &[0x01, 0x00, 0x03, 0x06][..],
            Element::CallFile {
                nof: Nof(1),
                nos: Nos(3),
                scq: Scq::REQUEST_SECTION,
            },
        ),
        // NOF 01 00 | NOS 03 | LSQ 03 = section transfer without deactivation | CHS 5A.
        (
            123,
            &[0x01, 0x00, 0x03, 0x03, 0x5A][..],
            Element::LastSection {
                nof: Nof(1),
                nos: Nos(3),
                lsq: Lsq::SECTION_TRANSFER,
                chs: Chs(0x5A),
            },
        ),
        // NOF 01 00 | NOS 03 | AFQ 24 = negative ack of a section, checksum failed.
        (
            124,
            &[0x01, 0x00, 0x03, 0x24][..],
            Element::AckFile {
                nof: Nof(1),
                nos: Nos(3),
                afq: Afq::new(4, file::file_error::CHECKSUM),
            },
        ),
        // NOF 05 00 | LOF 10 27 00 = 10000 | SOF A0 = FA, LFD, status 0 | CP56 created.
        (
            126,
            &[
                0x05, 0x00, 0x10, 0x27, 0x00, 0xA0, 0x52, 0x1C, 0x05, 0x0D, 0x58, 0x0B, 0x1A,
            ][..],
            Element::Directory {
                nof: Nof(5),
                lof: Lof::new(10_000).unwrap(),
                sof: Sof::new(0, true, false, true),
                created: Cp56Time2a::from_bytes(CP56),
            },
        ),
        // NOF 02 00 | CP56 start | CP56 stop = start + 1 minute (06 instead of 05).
        (
            127,
            &[
                0x02, 0x00, 0x52, 0x1C, 0x05, 0x0D, 0x58, 0x0B, 0x1A, 0x52, 0x1C, 0x06, 0x0D, 0x58,
                0x0B, 0x1A,
            ][..],
            Element::QueryLog {
                nof: Nof(2),
                start: Cp56Time2a::from_bytes(CP56),
                stop: Cp56Time2a::from_bytes([0x52, 0x1C, 0x06, 0x0D, 0x58, 0x0B, 0x1A]),
            },
        ),
    ]);
    rows
}

#[test]
fn every_type_id_with_a_layout_decodes_its_element_from_hand_computed_octets() {
    let rows = table();
    let mut covered: Vec<u8> = rows.iter().map(|(id, _, _)| *id).collect();
    covered.sort_unstable();
    covered.dedup();
    let with_layout: Vec<u8> = (0..=u8::MAX)
        .filter(|id| Layout::of(TypeId(*id)).is_some())
        .collect();
    assert_eq!(
        covered, with_layout,
        "the table covers every type ID with a layout"
    );
    // 1..=21, 30..=40, 45..=51, 58..=64, 70, 100..=107, 110..=113, 120..=124, 126, 127
    // (125, the segment, has a length of its own).
    assert_eq!(with_layout.len(), 66);

    for (id, element_bytes, element) in rows {
        let layout = Layout::of(TypeId(id)).unwrap();
        assert_eq!(layout.element.len(), element_bytes.len(), "type {id}");
        // 104 header: type | 01 | 03 00 spont | 01 00 CA 1 | 03 02 01 IOA 0x010203
        let mut bytes = vec![id, 0x01, 0x03, 0x00, 0x01, 0x00, 0x03, 0x02, 0x01];
        bytes.extend_from_slice(element_bytes);
        let time = match layout.time.len() {
            0 => None,
            3 => Some(TimeTag::Cp24(Cp24Time2a::from_bytes(CP24))),
            _ => Some(TimeTag::Cp56(Cp56Time2a::from_bytes(CP56))),
        };
        match time {
            Some(TimeTag::Cp24(_)) => bytes.extend_from_slice(&CP24),
            Some(TimeTag::Cp56(_)) => bytes.extend_from_slice(&CP56),
            None => {}
        }
        let asdu =
            Asdu::decode(&bytes, &AsduConfig::IEC104).unwrap_or_else(|e| panic!("type {id}: {e}"));
        let objects: Vec<_> = asdu.objects().collect();
        assert_eq!(objects.len(), 1, "type {id}");
        assert_eq!(objects[0].address, 0x010203, "type {id}");
        assert_eq!(objects[0].element, element, "type {id}");
        assert_eq!(objects[0].time, time, "type {id}");
        let mut wire = Vec::new();
        OwnedAsdu::from(&asdu).encode(&mut wire).unwrap();
        assert_eq!(wire, bytes, "type {id} re-encodes");
    }
}

#[test]
fn element_accessors_read_the_table_values() {
    assert_eq!(Vti(0xC1).value(), -63);
    assert!(Vti(0xC1).transient());
    assert_eq!(Nva(-0x4000).to_f32(), -0.5);
    assert_eq!(Sep(0x0A).state(), DoublePoint::On);
    assert_eq!(Dco(0x0A).state(), Dco::ON);
    assert_eq!(Dco(0x0A).qu(), Qu::LONG_PULSE);
    assert_eq!(Rco(0x81).step(), Rco::LOWER);
    assert_eq!(Qcc(0x45).request(), Qcc::GENERAL);
}
