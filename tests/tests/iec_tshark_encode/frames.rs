//! The frames the test encodes: one ASDU of every type ID tshark 4.0 knows, with values chosen to
//! catch byte-order, sign and bit-position mistakes, and FT1.2 frames under several 101
//! profiles.

use fieldbridge_iec60870::asdu::{
    AsduConfig, CaLen, Cot, CotLen, Element, InformationObject, IoaLen, OwnedAsdu, OwnedBody,
    OwnedSegment, TimeTag, TypeId, FIXED_TEST_PATTERN,
};
use fieldbridge_iec60870::ft12::{AddressLen, Control, PrimaryFunction, SecondaryFunction};
use fieldbridge_iec60870::types::{
    Afq, Bcr, Chs, Coi, Cp16Time2a, Cp24Time2a, Cp56Time2a, Dco, Diq, Frq, Lof, Lsq, Nof, Nos, Nva,
    Oci, Qcc, Qdp, Qds, Qoi, Qos, Qpa, Qpm, Qrp, Qu, Rco, Scd, Sco, Scq, Sep, Siq, Sof, Spe, Srq,
    Vti,
};

/// The common address of every 104 ASDU: above 255, so both octets count.
pub const CA_104: u16 = 0x1234;
/// The originator address of every ASDU with a two-octet cause.
pub const ORIGINATOR: u8 = 0xA5;
/// The largest three-octet information object address.
pub const IOA_MAX: u32 = 0xFF_FFFF;

/// A CP56Time2a of 2026-11-24 (a Tuesday) 13:05:07.250 with IV and SU as given.
pub fn cp56(invalid: bool, summer_time: bool) -> Cp56Time2a {
    Cp56Time2a {
        millisecond: 7_250,
        minute: 5,
        res1: false,
        invalid,
        hour: 13,
        res2: 0,
        summer_time,
        day: 24,
        day_of_week: 2,
        month: 11,
        res3: 0,
        year: 26,
        res4: false,
    }
}

/// Every field at the top of its range: year 99, 12-31 (day of week 4) 23:59:59.999.
pub fn cp56_last() -> Cp56Time2a {
    Cp56Time2a {
        millisecond: 59_999,
        minute: 59,
        hour: 23,
        day: 31,
        day_of_week: 4,
        month: 12,
        year: 99,
        ..cp56(false, false)
    }
}

/// 00:05 on 2069-03-04 with SU: tshark's hour back (see `gaps::cp56_absolute`) crosses
/// midnight, and year 69 is the last of tshark's 2000s.
pub fn cp56_midnight() -> Cp56Time2a {
    Cp56Time2a {
        millisecond: 0,
        hour: 0,
        day: 4,
        day_of_week: 1,
        month: 3,
        year: 69,
        ..cp56(false, true)
    }
}

/// Every reserved bit set (RES1, tshark's GEN, included), IV and SU too: the fields around them
/// must read as in [`cp56`].
pub fn cp56_reserved() -> Cp56Time2a {
    Cp56Time2a {
        res1: true,
        res2: 3,
        res3: 15,
        res4: true,
        ..cp56(true, true)
    }
}

fn t24(invalid: bool) -> Option<TimeTag> {
    Some(TimeTag::Cp24(Cp24Time2a {
        millisecond: 59_999,
        minute: 59,
        res1: false,
        invalid,
    }))
}

fn t56(invalid: bool, summer_time: bool) -> Option<TimeTag> {
    Some(TimeTag::Cp56(cp56(invalid, summer_time)))
}

fn tag(time: Cp56Time2a) -> Option<TimeTag> {
    Some(TimeTag::Cp56(time))
}

fn obj(address: u32, element: Element, time: Option<TimeTag>) -> InformationObject {
    InformationObject {
        address,
        element,
        time,
    }
}

/// An ASDU with SQ = 0, one object per address.
fn many(config: AsduConfig, type_id: u8, cause: Cot, objects: &[InformationObject]) -> OwnedAsdu {
    let common_address = CA_104.min(config.max_common_address());
    let mut asdu = OwnedAsdu::new(config, TypeId(type_id), cause, common_address);
    if config.cot_len == CotLen::Two {
        asdu = asdu.originator(ORIGINATOR);
    }
    for object in objects {
        asdu.push(*object);
    }
    asdu
}

/// A 104 ASDU with SQ = 0 and one object.
fn one(
    type_id: u8,
    cause: Cot,
    address: u32,
    element: Element,
    time: Option<TimeTag>,
) -> OwnedAsdu {
    many(
        AsduConfig::IEC104,
        type_id,
        cause,
        &[obj(address, element, time)],
    )
}

/// An SQ = 1 run of `elements` from `first`, each with the same time tag.
fn run(
    config: AsduConfig,
    type_id: u8,
    cause: Cot,
    first: u32,
    elements: &[Element],
    time: Option<TimeTag>,
) -> OwnedAsdu {
    let objects: Vec<_> = (first..)
        .zip(elements)
        .map(|(a, e)| obj(a, *e, time))
        .collect();
    many(config, type_id, cause, &objects).sequence(true)
}

fn sp(siq: u8) -> Element {
    Element::SinglePoint(Siq(siq))
}

fn dp(diq: u8) -> Element {
    Element::DoublePoint(Diq(diq))
}

fn st(value: i8, transient: bool, qds: u8) -> Element {
    let vti = Vti::new(value, transient).expect("a step position in -64..=63");
    Element::StepPosition { vti, qds: Qds(qds) }
}

fn bo(bsi: u32, qds: u8) -> Element {
    Element::Bitstring { bsi, qds: Qds(qds) }
}

fn nva(raw: i16, qds: u8) -> Element {
    Element::Normalized {
        nva: Nva(raw),
        qds: Qds(qds),
    }
}

fn sva(sva: i16, qds: u8) -> Element {
    Element::Scaled { sva, qds: Qds(qds) }
}

fn flt(value: f32, qds: u8) -> Element {
    Element::Float {
        value,
        qds: Qds(qds),
    }
}

/// Integrated totals; `flags` is CY, CA, IV.
fn it(value: i32, sequence: u8, [carry, adjusted, invalid]: [bool; 3]) -> Element {
    Element::Counter(Bcr {
        value,
        sequence,
        carry,
        adjusted,
        invalid,
    })
}

fn cp16(millisecond: u16) -> Cp16Time2a {
    Cp16Time2a { millisecond }
}

fn lof(value: u32) -> Lof {
    Lof::new(value).expect("a length of 24 bits")
}

/// A 104 F_SG_NA_1 with one segment.
fn segment(address: u32, nof: Nof, nos: Nos, data: Vec<u8>) -> OwnedAsdu {
    let segment = OwnedSegment {
        address,
        nof,
        nos,
        data,
    };
    OwnedAsdu::new(
        AsduConfig::IEC104,
        TypeId::F_SG_NA_1,
        Cot::FILE_TRANSFER,
        CA_104,
    )
    .originator(ORIGINATOR)
    .with_segment(segment)
}

/// Monitoring direction: type IDs 1 to 21 and 30 to 40, 70, and the controlled station's file
/// transfer: 120, 121, 123, 125, 126.
#[rustfmt::skip] // A table: one frame a line.
pub fn monitoring() -> Vec<OwnedAsdu> {
    use Element as E;
    let c = AsduConfig::IEC104;
    let spont = Cot::SPONTANEOUS;
    let inro16 = Cot::interrogated_by_group(16).expect("group 16");
    let reqco1 = Cot::requested_by_counter_group(1).expect("group 1");
    let file = Cot::FILE_TRANSFER;
    let (y, n) = (true, false);
    vec![
        run(c, 1, spont, 70_000, &[sp(0x01), sp(0xF1), sp(0x00)], None).test(true),
        many(c, 2, spont, &[obj(IOA_MAX, sp(0x81), t24(y)), obj(1, sp(0x30), t24(n))]),
        run(c, 3, Cot::INTERROGATED_BY_STATION, 65_534, &[dp(0x00), dp(0x11), dp(0x22), dp(0xC3)], None),
        one(4, spont, 0x01_0000, dp(0x12), t24(y)),
        run(c, 5, spont, 100_000, &[st(-64, y, 0x01), st(63, n, 0x00), st(-1, y, 0xC0)], None),
        one(6, spont, 200_000, st(0, y, 0x30), t24(n)),
        many(c, 7, inro16, &[obj(300_000, bo(0xDEAD_BEEF, 0x40), None), obj(300_002, bo(1, 0x01), None)]),
        one(8, spont, 300_001, bo(0x8000_0000, 0x80), t24(y)),
        run(c, 9, Cot::PERIODIC, 400_000, &[nva(i16::MIN, 0), nva(i16::MAX, 0x01), nva(-12_345, 0xF0), nva(1, 0x20)], None),
        one(10, spont, 400_010, nva(16_384, 0x10), t24(n)),
        run(c, 11, Cot::BACKGROUND, 500_000, &[sva(i16::MIN, 0x80), sva(i16::MAX, 0), sva(-2, 0x41)], None),
        one(12, spont, 500_010, sva(-300, 0x01), Some(TimeTag::Cp24(Cp24Time2a { millisecond: 1, minute: 0, res1: y, invalid: y }))),
        run(c, 13, spont, 600_000, &[flt(-1234.5678, 0), flt(f32::MAX, 0x01), flt(-1.0e-30, 0x80), flt(0.1, 0x30)], None),
        one(14, spont, 600_010, flt(273.15, 0x40), t24(n)),
        many(c, 15, Cot::REQUESTED_BY_GENERAL_COUNTER, &[obj(700_000, it(-2_000_000_000, 31, [y, y, y]), None), obj(700_001, it(i32::MAX, 0, [n, n, n]), None)]),
        one(16, reqco1, 700_010, it(-1, 17, [y, n, n]), t24(y)),
        one(17, spont, 800_000, E::ProtectionEvent { sep: Sep(0x8A), elapsed: cp16(1_234) }, t24(n)),
        one(18, spont, 800_001, E::ProtectionStart { spe: Spe(0x2A), qdp: Qdp(0x88), duration: cp16(65_535) }, t24(y)),
        one(19, spont, 800_002, E::ProtectionOutput { oci: Oci(0x0F), qdp: Qdp(0x40), operating_time: cp16(100) }, t24(n)),
        many(c, 20, spont, &[
            obj(900_000, E::PackedSinglePoints { scd: Scd { status: 0xA5A5, changed: 0x0F0F }, qds: Qds(0x81) }, None),
            obj(900_016, E::PackedSinglePoints { scd: Scd { status: 0x0001, changed: 0x8000 }, qds: Qds(0) }, None),
        ]),
        run(c, 21, Cot::PERIODIC, 1_000_000, &[E::NormalizedNoQuality(Nva(i16::MIN)), E::NormalizedNoQuality(Nva(0)), E::NormalizedNoQuality(Nva(12_345))], None),
        run(c, 30, spont, 70_010, &[sp(0x01), sp(0x80)], t56(y, y)),
        many(c, 31, spont, &[obj(65_536, dp(0x02), t56(n, n)), obj(65_535, dp(0x31), tag(cp56_last())), obj(3, dp(0x00), tag(cp56_reserved()))]),
        one(32, Cot::RETURN_REMOTE, 100_010, st(-33, n, 0x01), t56(n, y)),
        one(33, spont, 300_010, bo(0x1234_5678, 0), t56(y, n)),
        one(34, spont, 400_020, nva(-1, 0x80), tag(cp56_midnight())),
        one(35, Cot::RETURN_LOCAL, 500_020, sva(-32_000, 0x20), t56(n, y)),
        run(c, 36, spont, 600_020, &[flt(-0.0, 0), flt(6.022e23, 0x01)], t56(n, n)),
        one(37, spont, 700_020, it(123_456_789, 5, [n, y, n]), t56(y, y)),
        one(38, spont, 800_010, E::ProtectionEvent { sep: Sep(0x39), elapsed: cp16(59_999) }, t56(n, n)),
        one(39, spont, 800_011, E::ProtectionStart { spe: Spe(0x3F), qdp: Qdp(0xF8), duration: cp16(1) }, t56(n, y)),
        one(40, spont, 800_012, E::ProtectionOutput { oci: Oci(0x09), qdp: Qdp(0x08), operating_time: cp16(300) }, t56(y, n)),
        one(70, Cot::INITIALIZED, 0, E::EndOfInitialization(Coi::new(Coi::REMOTE_RESET, true)), None),
        one(120, file, 0x12_3456, E::FileReady { nof: Nof(0x0102), lof: lof(0x0A_0B0C), frq: Frq::new(0, n) }, None),
        one(121, file, 0x12_3456, E::SectionReady { nof: Nof(0x0102), nos: Nos(7), lof: lof(1_000), srq: Srq::new(0x41, y) }, None),
        one(123, file, 0x12_3456, E::LastSection { nof: Nof(0x0102), nos: Nos(7), lsq: Lsq::SECTION_TRANSFER_DEACTIVATED, chs: Chs(0xA5) }, None),
        segment(0x12_3456, Nof(0x0102), Nos(7), (0u8..=9).chain([0xFF, 0x16, 0x68]).collect()),
        run(c, 126, Cot::REQUEST, 0x00_0100, &[
            E::Directory { nof: Nof(1), lof: lof(0xFF_FFFF), sof: Sof::new(5, n, n, y), created: cp56(n, y) },
            E::Directory { nof: Nof(0xFFFF), lof: lof(0), sof: Sof::new(0x1F, y, y, n), created: cp56_last() },
        ], None),
    ]
}

/// Control direction: type IDs 45 to 51, 58 to 64, 100 to 107 and 110 to 113, and the
/// controlling station's file transfer: 122, 124, 127.
#[rustfmt::skip] // A table: one frame a line.
pub fn control() -> Vec<OwnedAsdu> {
    use Element as E;
    use Qu as Q;
    let act = Cot::ACTIVATION;
    let (y, n) = (true, false);
    let qpm = |kind, lpc, pop| Qpm::new(kind, lpc, pop);
    vec![
        one(45, act, 1_100_000, E::SingleCommand(Sco::new(y, Q::SHORT_PULSE, y)), None),
        one(46, Cot::ACTIVATION_CON, 1_100_001, E::DoubleCommand(Dco::new(Dco::ON, Q::LONG_PULSE, n)), None).negative(y),
        one(47, Cot::DEACTIVATION, 1_100_002, E::RegulatingStep(Rco::new(Rco::LOWER, Q::PERSISTENT, y)), None),
        one(48, act, 1_100_003, E::SetpointNormalized { nva: Nva(-8_192), qos: Qos::new(5, y) }, None),
        one(49, act, 1_100_004, E::SetpointScaled { sva: -1_000, qos: Qos::new(127, n) }, None),
        one(50, Cot::ACTIVATION_TERMINATION, 1_100_005, E::SetpointFloat { value: -0.001, qos: Qos::new(1, y) }, None),
        one(51, act, 1_100_006, E::BitstringCommand(0x8000_0001), None),
        one(45, act, 1_100_010, E::SingleCommand(Sco::new(y, Qu(31), n)), None),
        one(46, act, 1_100_011, E::DoubleCommand(Dco::new(3, Qu(16), y)), None),
        one(47, act, 1_100_012, E::RegulatingStep(Rco::new(0, Qu(4), n)), None),
        one(48, act, 1_100_013, E::SetpointNormalized { nva: Nva(i16::MAX), qos: Qos::new(127, y) }, None),
        one(58, act, 1_200_000, E::SingleCommand(Sco::new(n, Q::DEFAULT, n)), t56(n, y)),
        one(59, act, 1_200_001, E::DoubleCommand(Dco::new(Dco::OFF, Q::SHORT_PULSE, y)), t56(n, y)),
        one(60, act, 1_200_002, E::RegulatingStep(Rco::new(Rco::HIGHER, Q::LONG_PULSE, n)), t56(n, y)),
        one(61, act, 1_200_003, E::SetpointNormalized { nva: Nva(i16::MIN), qos: Qos::new(0, n) }, tag(cp56_last())),
        one(62, Cot::DEACTIVATION_CON, 1_200_004, E::SetpointScaled { sva: i16::MAX, qos: Qos::new(64, y) }, t56(n, y)),
        one(63, act, 1_200_005, E::SetpointFloat { value: -3.75e6, qos: Qos::new(0, y) }, t56(y, n)),
        one(64, act, IOA_MAX, E::BitstringCommand(0x0102_0304), t56(n, y)),
        one(100, act, 0, E::Interrogation(Qoi::group(5).expect("group 5")), None),
        one(100, Cot::ACTIVATION_CON, 0, E::Interrogation(Qoi::STATION), None).negative(y).test(y),
        one(101, act, 0, E::CounterInterrogation(Qcc::new(Qcc::GENERAL, Qcc::FREEZE_RESET)), None),
        one(102, Cot::REQUEST, 0xAB_CDEF, E::Read, None),
        one(103, act, 0, E::ClockSync(cp56(n, n)), None),
        one(103, Cot::ACTIVATION_CON, 0, E::ClockSync(cp56_midnight()), None),
        one(104, act, 0, E::Test(FIXED_TEST_PATTERN), None),
        one(105, act, 0, E::ResetProcess(Qrp::GENERAL), None),
        one(106, act, 0, E::DelayAcquisition(cp16(12_345)), None),
        one(107, act, 0, E::TestWithTime(0x1234), t56(n, n)),
        one(110, act, 1_300_000, E::ParameterNormalized { nva: Nva(16_384), qpm: qpm(Qpm::LOW_LIMIT, y, y) }, None),
        one(111, act, 1_300_001, E::ParameterScaled { sva: -7, qpm: qpm(Qpm::HIGH_LIMIT, n, y) }, None),
        one(112, act, 1_300_002, E::ParameterFloat { value: 1.5e-3, qpm: qpm(Qpm::THRESHOLD, y, n) }, None),
        one(113, act, 1_300_003, E::ParameterActivation(Qpa::CYCLIC), None),
        one(122, Cot::FILE_TRANSFER, 0x12_3456, E::CallFile { nof: Nof(0x0102), nos: Nos(7), scq: Scq::new(6, 0) }, None),
        one(122, Cot::FILE_TRANSFER, 0x12_3457, E::CallFile { nof: Nof(0x0304), nos: Nos(0), scq: Scq::new(4, 5) }, None),
        one(124, Cot::FILE_TRANSFER, 0x12_3456, E::AckFile { nof: Nof(0x0102), nos: Nos(7), afq: Afq::new(4, 2) }, None),
        one(127, Cot::REQUEST, 0x12_3456, E::QueryLog { nof: Nof(0x8001), start: cp56(n, n), stop: cp56_last() }, None),
    ]
}

/// An IEC 101 system: the link address length and the ASDU field sizes, and the tshark
/// preferences (`-o`) that tell its `iec60870_101` dissector the same.
#[derive(Debug, Clone, Copy)]
pub struct Profile101 {
    /// The link address length.
    pub link: AddressLen,
    /// The ASDU field sizes.
    pub asdu: AsduConfig,
}

impl Profile101 {
    /// tshark's defaults (link address 1, cause 1, common address 1, IOA 2), the largest sizes
    /// (2, 2, 2, 3), and the smallest (no link address, 1, 1, 1).
    pub const ALL: [Self; 3] = [
        Self {
            link: AddressLen::One,
            asdu: AsduConfig::new(CotLen::One, CaLen::One, IoaLen::Two),
        },
        Self {
            link: AddressLen::Two,
            asdu: AsduConfig::new(CotLen::Two, CaLen::Two, IoaLen::Three),
        },
        Self {
            link: AddressLen::Zero,
            asdu: AsduConfig::new(CotLen::One, CaLen::One, IoaLen::One),
        },
    ];

    /// The `-o` arguments for tshark.
    pub fn tshark_prefs(&self) -> Vec<String> {
        let octets = |n: usize| format!("{n} octet");
        let c = &self.asdu;
        vec![
            format!("iec60870_101.linkaddr_len:{}", octets(self.link.octets())),
            format!(
                "iec60870_101.cot_len:{}",
                octets(if c.cot_len == CotLen::Two { 2 } else { 1 })
            ),
            format!(
                "iec60870_101.asdu_addr_len:{}",
                octets(usize::from(c.max_common_address() > 255) + 1)
            ),
            format!("iec60870_101.asdu_ioa_len:{}", octets(c.ioa_len())),
        ]
    }

    /// The link address of the test's frames: the largest the profile holds, less one.
    pub fn address(&self) -> u16 {
        self.link.max_address().saturating_sub(1)
    }
}

/// An FT1.2 frame to encode.
#[derive(Debug, Clone)]
pub enum Ft12 {
    /// E5.
    SingleChar,
    /// 0x10 C A CS 0x16.
    Fixed { control: Control, address: u16 },
    /// 0x68 L L 0x68 C A ASDU CS 0x16.
    Variable {
        control: Control,
        address: u16,
        asdu: OwnedAsdu,
    },
}

/// 101 frames of `profile`, in the order of a short unbalanced exchange.
#[rustfmt::skip] // A table: one frame a line.
pub fn ft12(profile: &Profile101) -> Vec<Ft12> {
    use Element as E;
    use PrimaryFunction as P;
    use SecondaryFunction as S;
    let c = profile.asdu;
    let address = profile.address();
    let top = c.max_ioa();
    let (y, n) = (true, false);
    let fixed = |control| Ft12::Fixed { control, address };
    let variable = |control, asdu| Ft12::Variable { control, address, asdu };
    let primary = |function, fcb, fcv| Control::primary(function, fcb, fcv);
    let secondary = |function, acd, dfc| Control::secondary(function, acd, dfc);
    vec![
        fixed(primary(P::REQUEST_LINK_STATUS, n, n)),
        fixed(secondary(S::LINK_STATUS, n, n)),
        fixed(primary(P::RESET_REMOTE_LINK, n, n)),
        Ft12::SingleChar,
        variable(primary(P::USER_DATA_CONFIRM, y, y), many(c, 100, Cot::ACTIVATION, &[obj(0, E::Interrogation(Qoi::STATION), None)])),
        fixed(secondary(S::ACK, y, n)),
        fixed(primary(P::REQUEST_CLASS_1, n, y)),
        variable(secondary(S::USER_DATA, y, y), run(c, 11, Cot::INTERROGATED_BY_STATION, top - 1, &[sva(i16::MIN, 0x80), sva(4_660, 0x01)], None)),
        variable(secondary(S::USER_DATA, n, n), many(c, 2, Cot::SPONTANEOUS, &[obj(top, sp(0x91), t24(y)), obj(7, sp(0x00), t24(n))])),
        variable(primary(P::USER_DATA_CONFIRM, n, y), many(c, 102, Cot::REQUEST, &[obj(top.min(0x0102), E::Read, None)])),
        variable(primary(P::USER_DATA_CONFIRM, y, y), many(c, 45, Cot::ACTIVATION, &[obj(top.min(0xBEEF), E::SingleCommand(Sco::new(y, Qu::PERSISTENT, n)), None)]).test(y)),
        variable(secondary(S::USER_DATA, n, y), many(c, 31, Cot::SPONTANEOUS, &[obj(top, dp(0xE1), tag(cp56_last()))]).negative(y)),
        fixed(secondary(S::NACK_NO_DATA, n, y)),
        fixed(Control::Primary { dir: y, fcb: n, fcv: y, function: P::TEST_LINK }),
        fixed(Control::Secondary { dir: y, acd: n, dfc: n, function: S::LINK_NOT_IMPLEMENTED }),
    ]
    .into_iter()
    .chain(longest(profile).map(|asdu| variable(secondary(S::USER_DATA, n, n), asdu)))
    .collect()
}

/// Makes the `i`th element of a run.
type MakeElement = fn(usize) -> Element;

/// An ASDU that makes the longest FT1.2 frame, L = 255: an SQ = 1 run of one-, two-, three-,
/// four- or five-octet elements that fills it exactly, if one does under `profile` (none does
/// under tshark's defaults).
fn longest(profile: &Profile101) -> Option<OwnedAsdu> {
    let c = profile.asdu;
    let room = 255 - 1 - profile.link.octets() - c.header_len() - c.ioa_len();
    let kinds: [(u8, usize, MakeElement); 5] = [
        (1, 1, |i| sp(i as u8 & 0xF1)),
        (21, 2, |i| {
            Element::NormalizedNoQuality(Nva(i as i16 * -257))
        }),
        (11, 3, |i| sva(i as i16 * 263 - 16_000, i as u8 & 0xF1)),
        (51, 4, |i| Element::BitstringCommand(i as u32 * 0x0101_0101)),
        (13, 5, |i| flt(i as f32 / -7.0, 0)),
    ];
    let (type_id, len, make) = kinds
        .into_iter()
        .find(|(_, len, _)| room.is_multiple_of(*len) && room / len <= 127)?;
    let elements: Vec<Element> = (0..room / len).map(make).collect();
    Some(run(c, type_id, Cot::PERIODIC, 1, &elements, None))
}

/// Limits: the largest ASDU one I frame carries (249 octets: a run of 48 floats), the largest
/// count (a run of 127 single points), the global common address 65535 with originator 255,
/// and every cause of transmission 0..=63 once (on
/// M_SP_NA_1, with P/N and T in turn), reserved and private ones included.
pub fn limits() -> Vec<OwnedAsdu> {
    let c = AsduConfig::IEC104;
    let floats: Vec<Element> = (0..48)
        .map(|i| flt(-1.5 * i as f32, (i as u8) & 0xF1))
        .collect();
    let points: Vec<Element> = (0..127).map(|i| sp(((i * 37) as u8) & 0xF1)).collect();
    let mut limits = vec![
        run(c, 13, Cot::PERIODIC, IOA_MAX - 47, &floats, None),
        run(c, 1, Cot::INTERROGATED_BY_STATION, 0, &points, None),
    ];
    // The global common address and the largest originator address.
    let mut global = one(
        100,
        Cot::ACTIVATION,
        0,
        Element::Interrogation(Qoi::STATION),
        None,
    );
    global.header.common_address = 0xFFFF;
    global.header.originator = 0xFF;
    limits.push(global);
    for cause in 0..64u8 {
        let asdu = one(
            1,
            Cot(cause),
            2_000_000 + u32::from(cause),
            sp(cause & 1),
            None,
        );
        limits.push(asdu.negative(cause % 3 == 1).test(cause % 4 == 2));
    }
    limits
}

/// `asdu` under another system's field sizes: the common address cut to fit, no originator
/// with a one-octet cause, and the objects moved to the top addresses the IOA length holds
/// (consecutive, so SQ = 1 runs stay runs).
pub fn rebased(asdu: &OwnedAsdu, config: AsduConfig) -> OwnedAsdu {
    let mut out = asdu.clone();
    out.config = config;
    out.header.common_address = out.header.common_address.min(config.max_common_address());
    if config.cot_len == CotLen::One {
        out.header.originator = 0;
    }
    let count = u32::from(out.header.count);
    let first = config.max_ioa() + 1 - count.max(1);
    match &mut out.body {
        OwnedBody::Objects(objects) => {
            for (object, address) in objects.iter_mut().zip(first..) {
                object.address = address;
            }
        }
        OwnedBody::Segments(segments) => {
            for (segment, address) in segments.iter_mut().zip(first..) {
                segment.address = address;
            }
        }
        OwnedBody::Raw(_) => {}
    }
    out
}

/// Every ASDU of [`monitoring`] (from the secondary station, user data) and [`control`] (from
/// the primary station, user data with FCB alternating) under `profile`, in variable frames.
pub fn ft12_every_type(profile: &Profile101) -> Vec<Ft12> {
    let address = profile.address();
    let up = monitoring().into_iter().map(|asdu| {
        let control = Control::secondary(SecondaryFunction::USER_DATA, false, false);
        (control, asdu)
    });
    let down = control().into_iter().enumerate().map(|(i, asdu)| {
        let control = Control::primary(PrimaryFunction::USER_DATA_CONFIRM, i % 2 == 0, true);
        (control, asdu)
    });
    up.chain(down)
        .map(|(control, asdu)| Ft12::Variable {
            control,
            address,
            asdu: rebased(&asdu, profile.asdu),
        })
        .collect()
}
