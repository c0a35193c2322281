//! The ASDUs the test encodes: one or more of every type ID tshark 4.0 shows only as raw octets
//! (and C_RD_NA_1), built with the codec's owned builders, with values that set every qualifier
//! bit, reach the largest lengths and use SQ = 1 where the standard allows it.

use fieldbridge_iec60870::asdu::{
    AsduConfig, Cot, CotLen, Element, InformationObject, OwnedAsdu, OwnedSegment, TimeTag, TypeId,
    FIXED_TEST_PATTERN,
};
use fieldbridge_iec60870::types::{
    Afq, Chs, Cp16Time2a, Cp24Time2a, Cp56Time2a, Frq, Lof, Lsq, Nof, Nos, Oci, Qdp, Qds, Qpa, Scd,
    Scq, Sep, Sof, Spe, Srq,
};

/// The largest ASDU the test builds: what fits a 104 I frame (IEC 60870-5-104 clause 5.1).
pub const MAX_ASDU: usize = 249;
/// The originator address of every ASDU with a two-octet cause.
pub const ORIGINATOR: u8 = 0xA5;

/// The octets of F_DR_TA_1's element: NOF 2, LOF 3, SOF 1, CP56Time2a 7
/// (IEC 60870-5-101 clause 7.3.6.7).
const DIRECTORY_ENTRY: usize = 13;
/// F_SG_NA_1's octets before the segment: NOF 2, NOS 1, LOS 1 (clause 7.3.6.6).
const SEGMENT_HEADER: usize = 4;

/// A CP56Time2a of 2026-11-24 (a Tuesday) 13:05:07.250.
fn cp56() -> Cp56Time2a {
    Cp56Time2a {
        millisecond: 7_250,
        minute: 5,
        res1: false,
        invalid: false,
        hour: 13,
        res2: 0,
        summer_time: false,
        day: 24,
        day_of_week: 2,
        month: 11,
        res3: 0,
        year: 26,
        res4: false,
    }
}

/// Every field at the top of its range: year 99, 12-31 (a Sunday) 23:59:59.999, IV and SU.
fn cp56_last() -> Cp56Time2a {
    Cp56Time2a {
        millisecond: 59_999,
        minute: 59,
        invalid: true,
        hour: 23,
        summer_time: true,
        day: 31,
        day_of_week: 7,
        month: 12,
        year: 99,
        ..cp56()
    }
}

/// Every reserved bit set (RES1, which lib60870 calls "substituted", included): the fields
/// around them must read as in [`cp56`].
fn cp56_reserved() -> Cp56Time2a {
    Cp56Time2a {
        res1: true,
        res2: 3,
        res3: 15,
        res4: true,
        ..cp56()
    }
}

/// The first of everything: 2000-01-01 00:00:00.000, no day of week.
fn cp56_first() -> Cp56Time2a {
    Cp56Time2a {
        millisecond: 0,
        minute: 0,
        hour: 0,
        day: 1,
        day_of_week: 0,
        month: 1,
        year: 0,
        ..cp56()
    }
}

fn cp24(millisecond: u16, minute: u8, res1: bool, invalid: bool) -> Option<TimeTag> {
    Some(TimeTag::Cp24(Cp24Time2a {
        millisecond,
        minute,
        res1,
        invalid,
    }))
}

fn t56(time: Cp56Time2a) -> Option<TimeTag> {
    Some(TimeTag::Cp56(time))
}

fn cp16(millisecond: u16) -> Cp16Time2a {
    Cp16Time2a { millisecond }
}

fn lof(value: u32) -> Lof {
    Lof::new(value).expect("a length of 24 bits")
}

fn obj(address: u32, element: Element, time: Option<TimeTag>) -> InformationObject {
    InformationObject {
        address,
        element,
        time,
    }
}

/// The size configurations: the 104 sizes and one 101 profile.
pub struct Profile {
    /// What the failure messages call it.
    pub name: &'static str,
    /// The sizes.
    pub config: AsduConfig,
    /// Whether the 101-only type IDs (17, 18, 19, 104, 106) are built too.
    pub iec101: bool,
}

/// The addresses and header fields a profile's ASDUs use: all near the top of their ranges,
/// so every octet of each address counts.
struct Addresses {
    config: AsduConfig,
    ioa: u32,
    ca: u16,
}

impl Addresses {
    fn of(config: AsduConfig) -> Self {
        Self {
            config,
            // 0xFEDCBA, 0xFEDC or 0xFE: the lowest octet is not the highest.
            ioa: config.max_ioa() & 0xFE_DCBA_u32.wrapping_shr(8 * (3 - config.ioa_len() as u32)),
            ca: config.max_common_address() - 0x11,
        }
    }

    /// The IOA `index` steps below the first.
    fn ioa(&self, index: u32) -> u32 {
        self.ioa - index
    }

    fn asdu(&self, type_id: u8, cause: u8) -> OwnedAsdu {
        let asdu = OwnedAsdu::new(self.config, TypeId(type_id), Cot(cause), self.ca);
        match self.config.cot_len {
            CotLen::One => asdu,
            CotLen::Two => asdu.originator(ORIGINATOR),
        }
    }

    /// One ASDU per object: the file transfer type IDs carry one object each (IEC 60870-5-101
    /// clause 7.3.6, VSQ = 1).
    fn each(&self, type_id: u8, cause: u8, objects: Vec<InformationObject>) -> Vec<OwnedAsdu> {
        objects
            .into_iter()
            .enumerate()
            .map(|(i, o)| {
                self.asdu(type_id, cause)
                    .negative(i % 2 == 1)
                    .test(i % 3 == 2)
                    .with(o)
            })
            .collect()
    }

    fn many(&self, type_id: u8, cause: u8, objects: Vec<InformationObject>) -> OwnedAsdu {
        let mut asdu = self.asdu(type_id, cause);
        for o in objects {
            asdu.push(o);
        }
        asdu
    }
}

/// Every ASDU of `profile`.
#[rustfmt::skip] // Tables: one object a line.
pub fn asdus(profile: &Profile) -> Vec<OwnedAsdu> {
    use Element as E;
    let a = Addresses::of(profile.config);
    let mut out = Vec::new();
    if profile.iec101 {
        // M_EP_TA_1 (17): SEP with ES 3 and every quality bit (the reserved bit 2 too), then
        // ES 2 and EI alone; CP16 at its top; CP24 with IV and RES1.
        out.push(a.many(17, 3, vec![
            obj(a.ioa(0), E::ProtectionEvent { sep: Sep(0xFF), elapsed: cp16(59_999) }, cp24(59_999, 59, true, true)),
            obj(a.ioa(7), E::ProtectionEvent { sep: Sep(0x0A), elapsed: cp16(0x0102) }, cp24(1_234, 7, false, false)),
        ]));
        // M_EP_TB_1 (18): SPE with every start bit (and the reserved bits 7, 8), QDP.
        out.push(a.many(18, 3, vec![
            obj(a.ioa(0), E::ProtectionStart { spe: Spe(0xFF), qdp: Qdp(0xF9), duration: cp16(59_998) }, cp24(0, 0, false, true)),
            obj(a.ioa(1), E::ProtectionStart { spe: Spe(0x15), qdp: Qdp(0x08), duration: cp16(1) }, cp24(30_001, 31, true, false)),
        ]));
        // M_EP_TC_1 (19): OCI GC CL1 CL2 CL3 (and reserved bits), QDP.
        out.push(a.many(19, 3, vec![
            obj(a.ioa(0), E::ProtectionOutput { oci: Oci(0xFF), qdp: Qdp(0xFF), operating_time: cp16(0xABCD) }, cp24(59_000, 1, true, true)),
            obj(a.ioa(2), E::ProtectionOutput { oci: Oci(0x0A), qdp: Qdp(0x00), operating_time: cp16(0) }, cp24(999, 58, false, false)),
        ]));
    }
    // M_PS_NA_1 (20): SCD, 16 states and 16 change flags, SQ = 1 and SQ = 0.
    out.push(a.many(20, 20, vec![
        obj(a.ioa(2), E::PackedSinglePoints { scd: Scd { status: 0x8001, changed: 0x7FFE }, qds: Qds(0xF1) }, None),
        obj(a.ioa(1), E::PackedSinglePoints { scd: Scd { status: 0xFFFF, changed: 0x0000 }, qds: Qds(0x00) }, None),
        obj(a.ioa(0), E::PackedSinglePoints { scd: Scd { status: 0x1234, changed: 0xABCD }, qds: Qds(0x80) }, None),
    ]).sequence(true));
    out.push(a.many(20, 3, vec![
        obj(a.ioa(0), E::PackedSinglePoints { scd: Scd { status: 0x0000, changed: 0xFFFF }, qds: Qds(0x01) }, None),
        obj(a.ioa(9), E::PackedSinglePoints { scd: Scd { status: 0x5AA5, changed: 0x0180 }, qds: Qds(0xFF) }, None),
    ]));
    // M_EP_TD/TE/TF_1 (38, 39, 40): as 17, 18 and 19 with CP56Time2a.
    out.push(a.many(38, 3, vec![
        obj(a.ioa(0), E::ProtectionEvent { sep: Sep(0xFF), elapsed: cp16(59_999) }, t56(cp56_reserved())),
        obj(a.ioa(5), E::ProtectionEvent { sep: Sep(0x09), elapsed: cp16(0x0102) }, t56(cp56_last())),
    ]));
    out.push(a.many(39, 3, vec![
        obj(a.ioa(0), E::ProtectionStart { spe: Spe(0xFF), qdp: Qdp(0xF9), duration: cp16(59_998) }, t56(cp56_last())),
        obj(a.ioa(1), E::ProtectionStart { spe: Spe(0x2A), qdp: Qdp(0x08), duration: cp16(1) }, t56(cp56_first())),
    ]));
    out.push(a.many(40, 3, vec![
        obj(a.ioa(0), E::ProtectionOutput { oci: Oci(0xFF), qdp: Qdp(0xFF), operating_time: cp16(0xABCD) }, t56(cp56())),
        obj(a.ioa(3), E::ProtectionOutput { oci: Oci(0x05), qdp: Qdp(0x10), operating_time: cp16(0) }, t56(cp56_reserved())),
    ]));
    // C_RD_NA_1 (102): the address alone.
    out.push(a.many(102, 5, vec![obj(a.ioa(0), E::Read, None)]));
    if profile.iec101 {
        // C_TS_NA_1 (104): the fixed test pattern, and a wrong one.
        out.push(a.many(104, 6, vec![obj(0, E::Test(FIXED_TEST_PATTERN), None)]));
        out.push(a.many(104, 7, vec![obj(0, E::Test(FIXED_TEST_PATTERN.swap_bytes()), None)]).negative(true));
        // C_CD_NA_1 (106): the delay at both ends.
        out.push(a.many(106, 6, vec![obj(0, E::DelayAcquisition(cp16(59_999)), None)]));
        out.push(a.many(106, 3, vec![obj(0, E::DelayAcquisition(cp16(1)), None)]));
    }
    // C_TS_TA_1 (107): TSC, whose two octets differ, and the time.
    out.push(a.many(107, 6, vec![obj(0, E::TestWithTime(0xFEDC), t56(cp56_reserved()))]));
    out.push(a.many(107, 7, vec![obj(0, E::TestWithTime(1), t56(cp56_last()))]).test(true));
    // P_AC_NA_1 (113): QPA 1, 2, 3 and a private 255.
    out.push(a.many(113, 6, vec![
        obj(a.ioa(0), E::ParameterActivation(Qpa::LOADED), None),
        obj(a.ioa(1), E::ParameterActivation(Qpa::ADDRESSED), None),
        obj(a.ioa(2), E::ParameterActivation(Qpa::CYCLIC), None),
        obj(a.ioa(3), E::ParameterActivation(Qpa(0xFF)), None),
    ]));
    out.extend(file_transfer(&a));
    out
}

/// F_FR_NA_1 to F_SC_NB_1 (120 to 127).
#[rustfmt::skip] // Tables: one object a line.
fn file_transfer(a: &Addresses) -> Vec<OwnedAsdu> {
    use Element as E;
    let mut out = Vec::new();
    let io = |e| obj(a.ioa(0), e, None);
    // F_FR_NA_1 (120): FRQ with bit 8 (negative) and every value bit, NOF and LOF at the top.
    out.extend(a.each(120, 13, vec![
        io(E::FileReady { nof: Nof(0xFFFF), lof: lof(Lof::MAX), frq: Frq(0xFF) }),
        io(E::FileReady { nof: Nof(0x0102), lof: lof(0x03_0405), frq: Frq(0x00) }),
        io(E::FileReady { nof: Nof(0x8001), lof: lof(0), frq: Frq::new(0x55, true) }),
        io(E::FileReady { nof: Nof(1), lof: lof(0x80_0001), frq: Frq::new(0x2A, false) }),
    ]));
    // F_SR_NA_1 (121): SRQ with bit 8 (not ready) and without.
    out.extend(a.each(121, 13, vec![
        io(E::SectionReady { nof: Nof(0xFFFF), nos: Nos(0xFF), lof: lof(Lof::MAX), srq: Srq(0xFF) }),
        io(E::SectionReady { nof: Nof(0x0102), nos: Nos(1), lof: lof(0x0A_0B0C), srq: Srq(0x00) }),
        io(E::SectionReady { nof: Nof(0x8001), nos: Nos(0x80), lof: lof(1), srq: Srq::new(0x2A, true) }),
    ]));
    // F_SC_NA_1 (122): the directory (NOF 0), every action 1 to 8 with every error nibble bit.
    let mut calls = vec![io(E::CallFile { nof: Nof(0), nos: Nos(0), scq: Scq(0) })];
    for action in 1..=8u8 {
        calls.push(io(E::CallFile {
            nof: Nof(0x0100 * u16::from(action) + 0x23),
            nos: Nos(action.wrapping_mul(31)),
            scq: Scq::new(action, (action * 3) & 0x0F),
        }));
    }
    calls.push(io(E::CallFile { nof: Nof(0xFFFF), nos: Nos(0xFF), scq: Scq(0xFF) }));
    out.extend(a.each(122, 13, calls));
    // F_LS_NA_1 (123): LSQ 1 to 4 and a private 255; CHS 0, 255 and between.
    out.extend(a.each(123, 13, vec![
        io(E::LastSection { nof: Nof(0x0102), nos: Nos(3), lsq: Lsq::FILE_TRANSFER, chs: Chs(0) }),
        io(E::LastSection { nof: Nof(0x0102), nos: Nos(3), lsq: Lsq::FILE_TRANSFER_DEACTIVATED, chs: Chs(0xFF) }),
        io(E::LastSection { nof: Nof(0xFFFF), nos: Nos(0xFF), lsq: Lsq::SECTION_TRANSFER, chs: Chs(0x5A) }),
        io(E::LastSection { nof: Nof(0x8000), nos: Nos(0x80), lsq: Lsq::SECTION_TRANSFER_DEACTIVATED, chs: Chs(0xA5) }),
        io(E::LastSection { nof: Nof(1), nos: Nos(1), lsq: Lsq(0xFF), chs: Chs::of(b"fieldbridge") }),
    ]));
    // F_AF_NA_1 (124): AFQ 1 to 4 with every error 0 to 5, and every bit.
    let mut acks = Vec::new();
    for ack in 1..=4u8 {
        for error in 0..=5u8 {
            acks.push(io(E::AckFile { nof: Nof(0x0203), nos: Nos(ack + error), afq: Afq::new(ack, error) }));
        }
    }
    acks.push(io(E::AckFile { nof: Nof(0xFFFF), nos: Nos(0xFF), afq: Afq(0xFF) }));
    out.extend(a.each(124, 13, acks));
    // F_SG_NA_1 (125): the longest segment the ASDU holds, every octet value, one octet, none.
    let room = MAX_ASDU - a.config.header_len() - a.config.ioa_len() - SEGMENT_HEADER;
    for (i, data) in [
        (0..room).map(|i| (i * 7 + 3) as u8).collect::<Vec<u8>>(),
        (0..=255u8).rev().take(room).collect(),
        vec![0x00],
        Vec::new(),
    ].into_iter().enumerate() {
        let segment = OwnedSegment::new(a.ioa(0), Nof(0xFFFF - i as u16), Nos(0xFF - i as u8), data);
        out.push(a.asdu(125, 13).test(i == 1).with_segment(segment));
    }
    // F_DR_TA_1 (126): SQ = 1 with as many entries as fit, cycling through every SOF bit
    // (STATUS 0 to 31, LFD, FOR, FA) and LOF values; then SQ = 0.
    let fit = (MAX_ASDU - a.config.header_len() - a.config.ioa_len()) / DIRECTORY_ENTRY;
    let times = [cp56(), cp56_last(), cp56_reserved(), cp56_first()];
    let entries: Vec<InformationObject> = (0..fit)
        .map(|i| {
            let sof = ((i as u8 * 11) & 0x1F) | ((i as u8 % 8) << 5);
            obj(a.ioa(17) + i as u32, E::Directory {
                nof: Nof(0xFFFF - i as u16 * 0x0101),
                lof: lof(match i { 0 => Lof::MAX, 1 => 0, _ => (0x01_0203 * i as u32) & Lof::MAX }),
                sof: Sof(sof),
                created: times[i % times.len()],
            }, None)
        })
        .collect();
    out.push(a.many(126, 5, entries).sequence(true));
    out.push(a.many(126, 5, vec![
        obj(a.ioa(0), E::Directory { nof: Nof(1), lof: lof(0xAB_CDEF), sof: Sof::new(0x1F, true, true, true), created: cp56_last() }, None),
        obj(a.ioa(9), E::Directory { nof: Nof(2), lof: lof(0x00_00FF), sof: Sof(0), created: cp56_first() }, None),
    ]));
    // F_SC_NB_1 (127): NOF and two times.
    out.extend(a.each(127, 6, vec![
        io(E::QueryLog { nof: Nof(0xFEDC), start: cp56_first(), stop: cp56_last() }),
        io(E::QueryLog { nof: Nof(1), start: cp56_reserved(), stop: cp56() }),
    ]));
    out
}

/// ASDUs the standard does not allow but our builders make (several objects of a file
/// transfer type whose VSQ is fixed at 1, IEC 60870-5-101 clause 7.3.6): lib60870 reads the
/// first object for every index. See `quirks::FIRST_OBJECT_ONLY`.
pub fn several_file_objects(config: AsduConfig) -> Vec<OwnedAsdu> {
    let a = Addresses::of(config);
    let ready = |nof| {
        obj(
            a.ioa(nof as u32),
            Element::FileReady {
                nof: Nof(nof),
                lof: lof(u32::from(nof) * 3),
                frq: Frq(nof as u8),
            },
            None,
        )
    };
    let mut segments = a.asdu(125, 13);
    for i in 0..3u8 {
        segments.push_segment(OwnedSegment::new(
            a.ioa(u32::from(i)),
            Nof(7),
            Nos(i + 1),
            vec![i; usize::from(i) + 1],
        ));
    }
    vec![a.many(120, 13, vec![ready(1), ready(2)]), segments]
}
