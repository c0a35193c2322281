//! What tshark 4.0 should print for each information element and time tag: the `iec60870_asdu`
//! field names (without the prefix) and their values, derived from what the test meant to send
//! (the elements' own accessors and the standard's bit layout), never from our decoder.

use fieldbridge_iec60870::asdu::{Element, OwnedSegment, TimeTag};
use fieldbridge_iec60870::types::{Cp24Time2a, Cp56Time2a, Lof, Qds};

use super::gaps;

/// An expected field value.
#[derive(Debug, Clone, PartialEq)]
pub enum Want {
    /// Exactly this text.
    Is(String),
    /// A float printed with six significant digits (`%g`, as Wireshark prints `FT_FLOAT`).
    Near(f64),
}

impl Want {
    /// Whether tshark's text `got` shows this value.
    pub fn matches(&self, got: &str) -> bool {
        match self {
            Want::Is(text) => text == got,
            Want::Near(value) => match got.parse::<f64>() {
                // Six significant digits: the error is at most half a unit in the sixth digit.
                Ok(parsed) => {
                    (parsed - value).abs() <= value.abs() * 5.000_1e-6
                        && parsed.is_sign_negative() == value.is_sign_negative()
                }
                Err(_) => false,
            },
        }
    }
}

impl std::fmt::Display for Want {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Want::Is(text) => write!(f, "{text:?}"),
            Want::Near(value) => write!(f, "≈{value:e}"),
        }
    }
}

/// Field name (after `iec60870_asdu.`) and value.
pub type Fields = Vec<(&'static str, Want)>;

fn is(value: impl ToString) -> Want {
    Want::Is(value.to_string())
}

fn bit(octet: u8, mask: u8) -> Want {
    is(u8::from(octet & mask != 0))
}

fn hex2(octet: u8) -> Want {
    Want::Is(format!("0x{octet:02x}"))
}

/// IV NT SB BL, bits 8 to 5 of SIQ, DIQ, QDS (IEC 60870-5-101 clauses 7.2.6.1 to 7.2.6.3).
fn quality(fields: &mut Fields, names: [&'static str; 4], octet: u8) {
    for (name, mask) in names.into_iter().zip([0x80, 0x40, 0x20, 0x10]) {
        fields.push((name, bit(octet, mask)));
    }
}

fn qds(fields: &mut Fields, q: Qds) {
    fields.push(("qds", hex2(q.0)));
    fields.push(("qds.ov", bit(q.0, 0x01)));
    quality(fields, ["qds.iv", "qds.nt", "qds.sb", "qds.bl"], q.0);
}

fn normalized(raw: i16) -> Want {
    Want::Near(f64::from(raw) / 32_768.0)
}

fn float(value: f32) -> Want {
    Want::Near(f64::from(value))
}

/// The fields of one information element, or `None` for an element tshark 4.0 does not
/// dissect (it shows the object's octets as `rawdata`, see [`gaps::RAW_TYPE_IDS`]).
pub fn element(element: &Element) -> Option<Fields> {
    use Element as E;
    let mut f: Fields = Vec::new();
    match *element {
        E::SinglePoint(siq) => {
            f.push(("siq", hex2(siq.0)));
            f.push(("siq.spi", is(u8::from(siq.on()))));
            quality(&mut f, ["siq.iv", "siq.nt", "siq.sb", "siq.bl"], siq.0);
        }
        E::DoublePoint(diq) => {
            f.push(("diq", hex2(diq.0)));
            f.push(("diq.dpi", is(diq.state().bits())));
            quality(&mut f, ["diq.iv", "diq.nt", "diq.sb", "diq.bl"], diq.0);
        }
        E::StepPosition { vti, qds: q } => {
            f.push(("vti", hex2(vti.0)));
            f.push(("vti.v", is(vti.value())));
            f.push(("vti.t", is(u8::from(vti.transient()))));
            qds(&mut f, q);
        }
        E::Bitstring { bsi, qds: q } => {
            f.push(("bitstring", gaps::bitstring(bsi)));
            qds(&mut f, q);
        }
        E::Normalized { nva, qds: q } => {
            f.push(("normval", normalized(nva.0)));
            qds(&mut f, q);
        }
        E::Scaled { sva, qds: q } => {
            f.push(("scalval", is(sva)));
            qds(&mut f, q);
        }
        E::Float { value, qds: q } => {
            f.push(("float", float(value)));
            qds(&mut f, q);
        }
        E::Counter(bcr) => {
            f.push(("bcr.count", is(bcr.value)));
            f.push(("bcr.sq", is(bcr.sequence)));
            f.push(("bcr.cy", is(u8::from(bcr.carry))));
            f.push(("bcr.ca", is(u8::from(bcr.adjusted))));
            f.push(("bcr.iv", is(u8::from(bcr.invalid))));
        }
        E::NormalizedNoQuality(nva) => f.push(("normval", normalized(nva.0))),
        E::SingleCommand(sco) => {
            f.push(("sco", hex2(sco.0)));
            f.push(("sco.on", is(u8::from(sco.on()))));
            f.push(("sco.qu", is(sco.qu().0)));
            f.push(("sco.se", is(u8::from(sco.select()))));
        }
        E::DoubleCommand(dco) => {
            f.push(("dco", hex2(dco.0)));
            f.push(("dco.on", is(dco.state())));
            f.push(("dco.qu", is(dco.qu().0)));
            f.push(("dco.se", is(u8::from(dco.select()))));
        }
        E::RegulatingStep(rco) => {
            f.push(("rco", hex2(rco.0)));
            f.push(("rco.up", is(rco.step())));
            f.push(("rco.qu", is(rco.qu().0)));
            f.push(("rco.se", is(u8::from(rco.select()))));
        }
        E::SetpointNormalized { nva, qos } => {
            f.push(("normval", normalized(nva.0)));
            f.extend(qos_fields(qos.0, qos.ql(), qos.select()));
        }
        E::SetpointScaled { sva, qos } => {
            f.push(("scalval", is(sva)));
            f.extend(qos_fields(qos.0, qos.ql(), qos.select()));
        }
        E::SetpointFloat { value, qos } => {
            f.push(("float", float(value)));
            f.extend(qos_fields(qos.0, qos.ql(), qos.select()));
        }
        E::BitstringCommand(bsi) => f.push(("bitstring", gaps::bitstring(bsi))),
        E::EndOfInitialization(coi) => {
            f.push(("coi", hex2(coi.0)));
            f.push(("coi_r", is(coi.cause())));
            f.push(("coi_i", is(u8::from(coi.after_parameter_change()))));
        }
        E::Interrogation(qoi) => f.push(("qoi", is(qoi.0))),
        E::CounterInterrogation(qcc) => {
            f.push(("qcc", hex2(qcc.0)));
            f.push(("rqt", is(qcc.request())));
            f.push(("frz", is(qcc.freeze())));
        }
        E::Read => {}
        E::ClockSync(time) => f.extend(cp56(&time)),
        E::ResetProcess(qrp) => f.push(("qrp", is(qrp.0))),
        E::ParameterNormalized { nva, qpm } => {
            f.push(("normval", normalized(nva.0)));
            f.extend(qpm_fields(
                qpm.0,
                qpm.kind(),
                qpm.local_change(),
                qpm.not_in_operation(),
            ));
        }
        E::ParameterScaled { sva, qpm } => {
            f.push(("scalval", is(sva)));
            f.extend(qpm_fields(
                qpm.0,
                qpm.kind(),
                qpm.local_change(),
                qpm.not_in_operation(),
            ));
        }
        E::ParameterFloat { value, qpm } => {
            f.push(("float", float(value)));
            f.extend(qpm_fields(
                qpm.0,
                qpm.kind(),
                qpm.local_change(),
                qpm.not_in_operation(),
            ));
        }
        E::ProtectionEvent { .. }
        | E::ProtectionStart { .. }
        | E::ProtectionOutput { .. }
        | E::PackedSinglePoints { .. }
        | E::Test(_)
        | E::DelayAcquisition(_)
        | E::TestWithTime(_)
        | E::ParameterActivation(_)
        | E::FileReady { .. }
        | E::SectionReady { .. }
        | E::CallFile { .. }
        | E::LastSection { .. }
        | E::AckFile { .. }
        | E::Directory { .. }
        | E::QueryLog { .. } => return None,
    }
    Some(f)
}

fn qos_fields(octet: u8, ql: u8, select: bool) -> Fields {
    vec![
        ("qos", hex2(octet)),
        ("qos.ql", is(ql)),
        ("qos.se", is(u8::from(select))),
    ]
}

fn qpm_fields(octet: u8, kind: u8, local_change: bool, not_in_operation: bool) -> Fields {
    vec![
        ("qpm", hex2(octet)),
        ("qpm.kpa", is(kind)),
        ("qpm.lpc", is(u8::from(local_change))),
        ("qpm.pop", is(u8::from(not_in_operation))),
    ]
}

/// The fields of a time tag after an element.
pub fn time(tag: &TimeTag) -> Fields {
    match tag {
        TimeTag::Cp24(time) => cp24(time),
        TimeTag::Cp56(time) => cp56(time),
    }
}

/// The octets of an element and its time tag as the standard lays them out (IEC 60870-5-101
/// clauses 7.2.6 and 7.3), written here independently of the codec, for the type IDs tshark 4.0
/// shows only as raw data ([`gaps::RAW_TYPE_IDS`]): so those octets are still checked against
/// the standard, if not by tshark.
///
/// # Panics
/// For an element tshark dissects (see [`element`]).
pub fn raw_octets(element: &Element, time: Option<&TimeTag>) -> Vec<u8> {
    use Element as E;
    let mut o: Vec<u8> = Vec::new();
    let lof = |lof: Lof| lof.value().to_le_bytes()[..3].to_vec();
    match *element {
        // SEP, CP16 (clause 7.2.6.10, 7.2.6.20).
        E::ProtectionEvent { sep, elapsed } => {
            o.push(sep.0);
            o.extend(elapsed.millisecond.to_le_bytes());
        }
        // SPE or OCI, QDP, CP16 (clauses 7.2.6.11, 7.2.6.12, 7.2.6.4).
        E::ProtectionStart { spe, qdp, duration } => {
            o.extend([spe.0, qdp.0]);
            o.extend(duration.millisecond.to_le_bytes());
        }
        E::ProtectionOutput {
            oci,
            qdp,
            operating_time,
        } => {
            o.extend([oci.0, qdp.0]);
            o.extend(operating_time.millisecond.to_le_bytes());
        }
        // SCD: ST then CD, each 16 bits, first point in bit 1 (clause 7.2.6.40); QDS.
        E::PackedSinglePoints { scd, qds } => {
            o.extend(scd.status.to_le_bytes());
            o.extend(scd.changed.to_le_bytes());
            o.push(qds.0);
        }
        // FBP, TSC, CP16: 16-bit values, low octet first (clauses 7.2.6.14, 7.2.6.20).
        E::Test(value) | E::TestWithTime(value) => o.extend(value.to_le_bytes()),
        E::DelayAcquisition(delay) => o.extend(delay.millisecond.to_le_bytes()),
        E::ParameterActivation(qpa) => o.push(qpa.0),
        // File transfer (clause 7.3.6): NOF 16 bits, NOS 8, LOF 24, then the qualifier.
        E::FileReady { nof, lof: l, frq } => {
            o.extend(nof.0.to_le_bytes());
            o.extend(lof(l));
            o.push(frq.0);
        }
        E::SectionReady {
            nof,
            nos,
            lof: l,
            srq,
        } => {
            o.extend(nof.0.to_le_bytes());
            o.push(nos.0);
            o.extend(lof(l));
            o.push(srq.0);
        }
        E::CallFile { nof, nos, scq } => {
            o.extend(nof.0.to_le_bytes());
            o.extend([nos.0, scq.0]);
        }
        E::LastSection { nof, nos, lsq, chs } => {
            o.extend(nof.0.to_le_bytes());
            o.extend([nos.0, lsq.0, chs.0]);
        }
        E::AckFile { nof, nos, afq } => {
            o.extend(nof.0.to_le_bytes());
            o.extend([nos.0, afq.0]);
        }
        E::Directory {
            nof,
            lof: l,
            sof,
            created,
        } => {
            o.extend(nof.0.to_le_bytes());
            o.extend(lof(l));
            o.push(sof.0);
            o.extend(cp56_octets(&created));
        }
        E::QueryLog { nof, start, stop } => {
            o.extend(nof.0.to_le_bytes());
            o.extend(cp56_octets(&start));
            o.extend(cp56_octets(&stop));
        }
        ref dissected => panic!("tshark dissects {dissected:?}"),
    }
    match time {
        None => {}
        Some(TimeTag::Cp24(t)) => {
            o.extend(t.millisecond.to_le_bytes());
            o.push(u8::from(t.invalid) << 7 | u8::from(t.res1) << 6 | t.minute);
        }
        Some(TimeTag::Cp56(t)) => o.extend(cp56_octets(t)),
    }
    o
}

/// A segment of F_SG_NA_1: NOF, NOS, LOS, then the octets (clause 7.3.6.6).
pub fn segment_octets(segment: &OwnedSegment) -> Vec<u8> {
    let mut o = segment.nof.0.to_le_bytes().to_vec();
    o.push(segment.nos.0);
    o.push(segment.data.len() as u8);
    o.extend(&segment.data);
    o
}

/// CP56Time2a's seven octets (IEC 60870-5-4 clause 6.8, IEC 60870-5-101 clause 7.2.6.18).
fn cp56_octets(t: &Cp56Time2a) -> [u8; 7] {
    let [ms0, ms1] = t.millisecond.to_le_bytes();
    [
        ms0,
        ms1,
        u8::from(t.invalid) << 7 | u8::from(t.res1) << 6 | t.minute,
        u8::from(t.summer_time) << 7 | t.res2 << 5 | t.hour,
        t.day_of_week << 5 | t.day,
        t.res3 << 4 | t.month,
        u8::from(t.res4) << 7 | t.year,
    ]
}

/// CP24Time2a: tshark shows it as a relative time, minutes × 60 plus the milliseconds, and
/// each field.
fn cp24(time: &Cp24Time2a) -> Fields {
    let seconds = u32::from(time.minute) * 60 + u32::from(time.millisecond / 1000);
    vec![
        (
            "cp24time",
            Want::Is(format!("{seconds}.{:03}000000", time.millisecond % 1000)),
        ),
        ("cp24time.ms", is(time.millisecond)),
        ("cp24time.min", is(time.minute)),
        ("cp24time.iv", is(u8::from(time.invalid))),
    ]
}

/// CP56Time2a: the absolute time (with tshark's two quirks, see [`gaps::cp56_absolute`]) and
/// each field; tshark calls RES1 "GEN".
fn cp56(time: &Cp56Time2a) -> Fields {
    vec![
        ("cp56time", Want::Is(gaps::cp56_absolute(time))),
        ("cp56time.ms", is(time.millisecond)),
        ("cp56time.min", is(time.minute)),
        ("cp56time.gen", is(u8::from(time.res1))),
        ("cp56time.iv", is(u8::from(time.invalid))),
        ("cp56time.hour", is(time.hour)),
        ("cp56time.su", is(u8::from(time.summer_time))),
        ("cp56time.day", is(time.day)),
        ("cp56time.dow", is(time.day_of_week)),
        ("cp56time.month", is(time.month)),
        ("cp56time.year", is(time.year)),
    ]
}

/// `Mon DD, YYYY HH:MM:SS.mmm000000 UTC` for a UTC civil time counted in seconds from 1970.
pub fn format_utc(unix_seconds: i64, millisecond: u32) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = unix_seconds.div_euclid(86_400);
    let secs = unix_seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{} {day:2}, {year} {:02}:{:02}:{:02}.{millisecond:03}000000 UTC",
        MONTHS[usize::from(month - 1)],
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
    )
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: u8, day: u8) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}
