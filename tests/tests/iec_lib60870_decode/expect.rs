//! The line `asdu_dump` should print for an ASDU we built, from the builder's inputs and the
//! standard's meaning of each field (IEC 60870-5-101 clause 7.2.6, clause 7.3), never from our
//! decoder; and, in [`quirks`], where lib60870-C 2.3.4 reads a field differently.

use std::fmt::Write;

use fieldbridge_iec60870::asdu::{
    CotLen, Element, InformationObject, OwnedAsdu, OwnedBody, OwnedSegment, TimeTag,
    FIXED_TEST_PATTERN,
};
use fieldbridge_iec60870::types::{Cp24Time2a, Cp56Time2a};

/// Where lib60870-C 2.3.4 differs from IEC 60870-5-101, each asserted by the test: if a newer
/// lib60870 fixes one, the test fails and the entry must go.
pub mod quirks {
    /// `FileDirectory_getLengthOfFile` (F_DR_TA_1) is declared `uint8_t`: it returns LOF modulo
    /// 256, although the parser reads all three octets (clause 7.2.6.30: LOF is UI24). The
    /// length is unreadable through the public API beyond its low octet.
    pub fn directory_lof(lof: u32) -> u32 {
        lof & 0xFF
    }

    /// `FileReady_isPositive` (F_FR_NA_1) is true when FRQ's bit 8 is set, but clause 7.2.6.28
    /// says BS1 = 1 is a *negative* confirmation, and lib60870's own `FileReady_create(...,
    /// positive)` writes bit 8 = 0 for positive. The getter is inverted; the octet
    /// (`FileReady_getFRQ`) is right.
    pub fn file_ready_positive(frq: u8) -> bool {
        frq & 0x80 != 0
    }

    /// lib60870 cannot read the last entry of an F_DR_TA_1 with SQ = 1: `FileDirectory_getFromBuffer`
    /// counts the address twice in its size check and refuses it, and `CS101_ASDU_getElement`
    /// then crashes (it sets the address of the refused, NULL, object). `asdu_dump` reads that
    /// entry from a copy padded with as many zero octets as an address has and marks it so.
    pub const SQ_DIRECTORY_LAST_ENTRY_MARK: &str = ",padded=1";

    /// For F_FR_NA_1 to F_SG_NA_1 and F_SC_NB_1 (120 to 125, 127) `CS101_ASDU_getElement`
    /// reads the object at offset 0 whatever the index: it handles the one object the standard
    /// allows (clause 7.3.6, VSQ = 1) and repeats it when there are more.
    pub const FIRST_OBJECT_ONLY: [u8; 7] = [120, 121, 122, 123, 124, 125, 127];
}

/// The whole line for `asdu`, as `asdu_dump` prints it when lib60870 reads what we meant.
pub fn line(asdu: &OwnedAsdu) -> String {
    let h = &asdu.header;
    let oa = match asdu.config.cot_len {
        CotLen::One => -1,
        CotLen::Two => i32::from(h.originator),
    };
    let mut out = format!(
        "asdu type={} cot={} pn={} test={} oa={oa} ca={} sq={} n={}",
        h.type_id.0,
        h.cause.0,
        u8::from(h.negative),
        u8::from(h.test),
        h.common_address,
        u8::from(h.sequence),
        h.count,
    );
    let first_only = quirks::FIRST_OBJECT_ONLY.contains(&h.type_id.0);
    match &asdu.body {
        OwnedBody::Objects(objects) => {
            for (i, o) in objects.iter().enumerate() {
                let o = if first_only { &objects[0] } else { o };
                out.push(' ');
                out.push_str(&object(o));
                let last = i + 1 == objects.len();
                if h.sequence && last && h.type_id.0 == 126 {
                    out.push_str(quirks::SQ_DIRECTORY_LAST_ENTRY_MARK);
                }
            }
        }
        OwnedBody::Segments(segments) => {
            for _ in segments {
                // Every index reads the first segment (quirks::FIRST_OBJECT_ONLY).
                out.push(' ');
                out.push_str(&segment(&segments[0]));
            }
        }
        OwnedBody::Raw(_) => out.push_str(" raw"),
    }
    out
}

fn hex2(octet: u8) -> String {
    format!("{octet:02x}")
}

/// `year.month.day.weekday.hour.minute.second.millisecond.iv.su.sb`; RES1 is lib60870's sb.
fn cp56(t: &Cp56Time2a) -> String {
    format!(
        "{}.{}.{}.{}.{}.{}.{}.{}.{}.{}.{}",
        t.year,
        t.month,
        t.day,
        t.day_of_week,
        t.hour,
        t.minute,
        t.millisecond / 1000,
        t.millisecond % 1000,
        u8::from(t.invalid),
        u8::from(t.summer_time),
        u8::from(t.res1),
    )
}

/// `minute.second.millisecond.iv.sb`.
fn cp24(t: &Cp24Time2a) -> String {
    format!(
        "{}.{}.{}.{}.{}",
        t.minute,
        t.millisecond / 1000,
        t.millisecond % 1000,
        u8::from(t.invalid),
        u8::from(t.res1),
    )
}

/// One object token: `ioa=I` and its fields.
fn object(o: &InformationObject) -> String {
    use Element as E;
    let mut s = format!("ioa={}", o.address);
    // The protection elements: ES is SEP's bits 1-2, lib60870's QDP the other six.
    match o.element {
        E::ProtectionEvent { sep, elapsed } => {
            let _ = write!(
                s,
                ",es={},qdp={},elapsed={}",
                sep.0 & 0x03,
                hex2(sep.0 & 0xFC),
                elapsed.millisecond
            );
        }
        E::ProtectionStart { spe, qdp, duration } => {
            let _ = write!(
                s,
                ",spe={},qdp={},elapsed={}",
                hex2(spe.0),
                hex2(qdp.0),
                duration.millisecond
            );
        }
        E::ProtectionOutput {
            oci,
            qdp,
            operating_time,
        } => {
            let _ = write!(
                s,
                ",oci={},qdp={},elapsed={}",
                hex2(oci.0),
                hex2(qdp.0),
                operating_time.millisecond
            );
        }
        E::PackedSinglePoints { scd, qds } => {
            let _ = write!(
                s,
                ",st={:04x},cd={:04x},qds={}",
                scd.status,
                scd.changed,
                hex2(qds.0)
            );
        }
        E::Read => {}
        E::Test(fbp) => {
            let _ = write!(s, ",valid={}", u8::from(fbp == FIXED_TEST_PATTERN));
        }
        E::DelayAcquisition(delay) => {
            let _ = write!(s, ",delay={}", delay.millisecond);
        }
        E::TestWithTime(tsc) => {
            let _ = write!(s, ",tsc={tsc}");
        }
        E::ParameterActivation(qpa) => {
            let _ = write!(s, ",qpa={}", qpa.0);
        }
        E::FileReady { nof, lof, frq } => {
            let _ = write!(
                s,
                ",nof={},lof={},frq={},positive={}",
                nof.0,
                lof.value(),
                hex2(frq.0),
                u8::from(quirks::file_ready_positive(frq.0))
            );
        }
        E::SectionReady { nof, nos, lof, srq } => {
            let _ = write!(
                s,
                ",nof={},nos={},lof={},srq={},not_ready={}",
                nof.0,
                nos.0,
                lof.value(),
                hex2(srq.0),
                u8::from(srq.not_ready())
            );
        }
        E::CallFile { nof, nos, scq } => {
            let _ = write!(s, ",nof={},nos={},scq={}", nof.0, nos.0, hex2(scq.0));
        }
        E::LastSection { nof, nos, lsq, chs } => {
            let _ = write!(
                s,
                ",nof={},nos={},lsq={},chs={}",
                nof.0,
                nos.0,
                hex2(lsq.0),
                hex2(chs.0)
            );
        }
        E::AckFile { nof, nos, afq } => {
            let _ = write!(s, ",nof={},nos={},afq={}", nof.0, nos.0, hex2(afq.0));
        }
        E::Directory {
            nof,
            lof,
            sof,
            created,
        } => {
            let _ = write!(
                s,
                ",nof={},lof={},sof={},status={},lfd={},for={},fa={},t={}",
                nof.0,
                quirks::directory_lof(lof.value()),
                hex2(sof.0),
                sof.status(),
                u8::from(sof.last_file()),
                u8::from(sof.subdirectory()),
                u8::from(sof.active()),
                cp56(&created)
            );
        }
        E::QueryLog { nof, start, stop } => {
            let _ = write!(
                s,
                ",nof={},start={},stop={}",
                nof.0,
                cp56(&start),
                cp56(&stop)
            );
        }
        other => {
            let _ = write!(s, ",unexpected={:?}", other.kind());
        }
    }
    match &o.time {
        Some(TimeTag::Cp24(t)) => {
            let _ = write!(s, ",t={}", cp24(t));
        }
        Some(TimeTag::Cp56(t)) => {
            let _ = write!(s, ",t={}", cp56(t));
        }
        None => {}
    }
    s
}

/// A segment token: `ioa=I,nof=..,nos=..,los=..,data=HEX` (`-` for none).
fn segment(s: &OwnedSegment) -> String {
    let data: String = s.data.iter().map(|o| hex2(*o)).collect();
    format!(
        "ioa={},nof={},nos={},los={},data={}",
        s.address,
        s.nof.0,
        s.nos.0,
        s.data.len(),
        if data.is_empty() { "-" } else { &data }
    )
}
