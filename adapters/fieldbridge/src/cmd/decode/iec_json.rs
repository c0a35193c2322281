//! IEC 60870-5 frames as JSON fields: the 104 APCI, the 101 FT1.2 link frame, and the ASDU with
//! every information object's value, quality and time tag, under the standard's names.
//!
//! ```text
//! 104   "apci" I|S|U, "length", "ns", "nr" (I), "nr" (S), "u_function" (U), then the ASDU
//! 101   "ft12" single_char|fixed|variable, "control", "prm", "dir", "fcb" "fcv" | "acd" "dfc",
//!       "function_code", "function", "link_address", "length" (variable), then the ASDU
//! ASDU  "asdu": {"type_id", "type", "sq", "count", "cot", "cot_name", "negative", "test",
//!       ["originator"], "common_address", "objects": [{"ioa", value fields, "quality",
//!       ["time_tag"]}] | "segments" (F_SG_NA_1) | "raw"}
//! ```
//!
//! Values are typed: booleans for single points, state names for double points, numbers for
//! measured values (a float as its shortest decimal), and the flags of each element by name.

use fieldbridge_iec60870::apci::Apci;
use fieldbridge_iec60870::asdu::CotLen;
use fieldbridge_iec60870::ft12::{Control, Frame};
use fieldbridge_iec60870::types::{DoublePoint, Oci, Qds, Qpm, Spe};
use fieldbridge_iec60870::{
    Asdu, AsduConfig, Cp24Time2a, Cp56Time2a, Element, Error, InformationObject, TimeTag,
};
use serde_json::Value;

use super::iec_file_json::{file_fields, segment_obj};
use super::json::{hex, Obj};

/// The error fields of a line: the codec's message, the offset of the bad byte counted from the
/// start of `raw` (`base` is where the codec's offsets start within it), what was being read
/// (`apci`, `asdu`, `ft12`, `tcp`) and the bytes.
pub(crate) fn error_fields(
    obj: &mut Obj,
    error: &Error,
    scope: &'static str,
    base: usize,
    raw: &[u8],
) {
    let error = error.clone().shifted(base);
    obj.put("error", error.to_string())
        .put("error_offset", error.offset())
        .put("error_in", scope)
        .put("raw", hex(raw));
}

/// The fields of a 104 APCI; `length` is the APDU's length octet.
pub(crate) fn apci_fields(obj: &mut Obj, apci: &Apci, length: usize) {
    match *apci {
        Apci::I { send, recv } => {
            obj.put("apci", "I")
                .put("length", length)
                .put("ns", send.get())
                .put("nr", recv.get());
        }
        Apci::S { recv } => {
            obj.put("apci", "S")
                .put("length", length)
                .put("nr", recv.get());
        }
        Apci::U(function) => {
            obj.put("apci", "U")
                .put("length", length)
                .put("u_function", function.name());
        }
    }
}

/// The fields of an FT1.2 frame, the ASDU of a variable frame included (decoded with `config`;
/// an ASDU that does not decode gives the error fields, offsets counted from the frame's start).
/// `address_octets` is the configured link address length.
pub(crate) fn ft12_fields(
    obj: &mut Obj,
    frame: &Frame<'_>,
    address_octets: usize,
    config: &AsduConfig,
    raw: &[u8],
) {
    match *frame {
        Frame::SingleChar => {
            obj.put("ft12", "single_char");
        }
        Frame::Fixed { control, address } => {
            obj.put("ft12", "fixed");
            control_fields(obj, control, address, address_octets);
        }
        Frame::Variable {
            control,
            address,
            asdu,
        } => {
            obj.put("ft12", "variable");
            control_fields(obj, control, address, address_octets);
            obj.put("length", 1 + address_octets + asdu.len());
            // 68 L L 68 C A...: the ASDU starts after the control field and the address.
            asdu_or_error(obj, asdu, config, 5 + address_octets, raw);
        }
    }
}

/// The ASDU's fields, or the error fields when it does not decode (`at`: where the ASDU starts
/// in `raw`, the whole frame).
pub(crate) fn asdu_or_error(
    obj: &mut Obj,
    asdu: &[u8],
    config: &AsduConfig,
    at: usize,
    raw: &[u8],
) {
    match Asdu::decode(asdu, config) {
        Ok(view) => {
            obj.put_obj("asdu", asdu_obj(&view));
        }
        Err(e) => error_fields(obj, &e, "asdu", at, raw),
    }
}

/// The control field and link address of a fixed or variable frame.
fn control_fields(obj: &mut Obj, control: Control, address: u16, address_octets: usize) {
    obj.put("control", format!("{:#04x}", control.to_octet()));
    match control {
        Control::Primary {
            dir,
            fcb,
            fcv,
            function,
        } => {
            obj.put("prm", true)
                .put("dir", dir)
                .put("fcb", fcb)
                .put("fcv", fcv)
                .put("function_code", function.code())
                .put("function", function.name());
        }
        Control::Secondary {
            dir,
            acd,
            dfc,
            function,
        } => {
            obj.put("prm", false)
                .put("dir", dir)
                .put("acd", acd)
                .put("dfc", dfc)
                .put("function_code", function.code())
                .put("function", function.name());
        }
    }
    if address_octets > 0 {
        obj.put("link_address", address);
    }
}

/// The ASDU as an object: the data unit identifier, then the objects (or the raw body of a type
/// ID without a layout).
pub(crate) fn asdu_obj(asdu: &Asdu<'_>) -> Obj {
    let h = &asdu.header;
    let mut obj = Obj::new();
    obj.put("type_id", h.type_id.0)
        .put("type", h.type_id.name())
        .put("sq", h.sequence)
        .put("count", h.count)
        .put("cot", h.cause.0)
        .put("cot_name", h.cause.name())
        .put("negative", h.negative)
        .put("test", h.test);
    if asdu.config().cot_len == CotLen::Two {
        obj.put("originator", h.originator);
    }
    obj.put("common_address", h.common_address);
    match asdu.raw() {
        Some(raw) => {
            obj.put("raw", hex(raw));
        }
        None if asdu.is_segment() => {
            obj.put_list(
                "segments",
                asdu.segments().map(|s| segment_obj(&s)).collect(),
            );
        }
        None => {
            obj.put_list("objects", asdu.objects().map(|o| object_obj(&o)).collect());
        }
    }
    obj
}

/// One information object: its address, its element's fields and its time tag.
fn object_obj(object: &InformationObject) -> Obj {
    let mut obj = Obj::new();
    obj.put("ioa", object.address);
    element_fields(&mut obj, &object.element);
    if let Some(tag) = &object.time {
        obj.put_obj("time_tag", time_tag(tag));
    }
    obj
}

/// A float as its shortest decimal form (23.4 rather than 23.399999618530273); NaN and the
/// infinities as strings, which JSON numbers cannot hold.
fn float(v: f32) -> Value {
    if v.is_finite() {
        format!("{v}")
            .parse::<f64>()
            .map_or(Value::Null, Value::from)
    } else {
        Value::from(format!("{v}"))
    }
}

/// The names of the set flags among IV, NT, SB, BL (bits 8 to 5 of every quality octet), then
/// those of `extra`.
fn flags(bits: u8, extra: &[(u8, &'static str)]) -> Value {
    const COMMON: [(u8, &str); 4] = [(0x80, "IV"), (0x40, "NT"), (0x20, "SB"), (0x10, "BL")];
    COMMON
        .iter()
        .chain(extra)
        .filter(|(mask, _)| bits & mask != 0)
        .map(|(_, name)| Value::from(*name))
        .collect()
}

/// QDS by name: IV NT SB BL OV.
fn qds(q: Qds) -> Value {
    flags(q.bits(), &[(0x01, "OV")])
}

/// A double-point state's name.
fn double_point(state: DoublePoint) -> &'static str {
    match state {
        DoublePoint::Intermediate => "intermediate",
        DoublePoint::Off => "off",
        DoublePoint::On => "on",
        DoublePoint::Indeterminate => "indeterminate",
    }
}

/// The names of the set bits of a packed octet.
fn bit_names(bits: u8, names: &[(u8, &'static str)]) -> Value {
    names
        .iter()
        .filter(|(mask, _)| bits & mask != 0)
        .map(|(_, name)| Value::from(*name))
        .collect()
}

/// S/E and QU of a command octet.
fn command_qualifier(obj: &mut Obj, select: bool, qu: u8, qu_name: Option<&'static str>) {
    obj.put("select", select)
        .put("qu", qu)
        .put("qu_name", qu_name);
}

/// QPM: the kind of parameter, LPC and POP.
fn qpm(obj: &mut Obj, q: Qpm) {
    obj.put("kpa", q.kind())
        .put("lpc", q.local_change())
        .put("pop", q.not_in_operation());
}

/// The fields of one element.
fn element_fields(obj: &mut Obj, element: &Element) {
    match *element {
        Element::SinglePoint(siq) => {
            obj.put("value", siq.on())
                .put("quality", flags(siq.bits(), &[]));
        }
        Element::DoublePoint(diq) => {
            obj.put("value", double_point(diq.state()))
                .put("quality", flags(diq.bits(), &[]));
        }
        Element::StepPosition { vti, qds: q } => {
            obj.put("value", vti.value())
                .put("transient", vti.transient())
                .put("quality", qds(q));
        }
        Element::Bitstring { bsi, qds: q } => {
            obj.put("value", format!("{bsi:#010x}"))
                .put("quality", qds(q));
        }
        Element::Normalized { nva, qds: q } => {
            obj.put("value", float(nva.to_f32()))
                .put("raw", nva.0)
                .put("quality", qds(q));
        }
        Element::Scaled { sva, qds: q } => {
            obj.put("value", sva).put("quality", qds(q));
        }
        Element::Float { value, qds: q } => {
            obj.put("value", float(value)).put("quality", qds(q));
        }
        Element::Counter(bcr) => {
            obj.put("value", bcr.value)
                .put("sequence", bcr.sequence)
                .put("carry", bcr.carry)
                .put("adjusted", bcr.adjusted)
                .put("invalid", bcr.invalid);
        }
        Element::ProtectionEvent { sep, elapsed } => {
            obj.put("value", double_point(sep.state()))
                .put("elapsed_ms", elapsed.millisecond)
                .put("quality", flags(sep.bits(), &[(0x08, "EI")]));
        }
        Element::ProtectionStart { spe, qdp, duration } => {
            let names = [
                (Spe::GS, "GS"),
                (Spe::SL1, "SL1"),
                (Spe::SL2, "SL2"),
                (Spe::SL3, "SL3"),
                (Spe::SIE, "SIE"),
                (Spe::SRD, "SRD"),
            ];
            obj.put("value", bit_names(spe.bits(), &names))
                .put("duration_ms", duration.millisecond)
                .put("quality", flags(qdp.bits(), &[(0x08, "EI")]));
        }
        Element::ProtectionOutput {
            oci,
            qdp,
            operating_time,
        } => {
            let names = [
                (Oci::GC, "GC"),
                (Oci::CL1, "CL1"),
                (Oci::CL2, "CL2"),
                (Oci::CL3, "CL3"),
            ];
            obj.put("value", bit_names(oci.bits(), &names))
                .put("operating_ms", operating_time.millisecond)
                .put("quality", flags(qdp.bits(), &[(0x08, "EI")]));
        }
        Element::PackedSinglePoints { scd, qds: q } => {
            obj.put("value", format!("{:#06x}", scd.status))
                .put("changed", format!("{:#06x}", scd.changed))
                .put("quality", qds(q));
        }
        Element::NormalizedNoQuality(nva) => {
            obj.put("value", float(nva.to_f32())).put("raw", nva.0);
        }
        Element::SingleCommand(sco) => {
            obj.put("value", sco.on());
            command_qualifier(obj, sco.select(), sco.qu().0, sco.qu().name());
        }
        Element::DoubleCommand(dco) => {
            let state = match dco.state() {
                1 => "off",
                2 => "on",
                _ => "not permitted",
            };
            obj.put("value", state);
            command_qualifier(obj, dco.select(), dco.qu().0, dco.qu().name());
        }
        Element::RegulatingStep(rco) => {
            let step = match rco.step() {
                1 => "lower",
                2 => "higher",
                _ => "not permitted",
            };
            obj.put("value", step);
            command_qualifier(obj, rco.select(), rco.qu().0, rco.qu().name());
        }
        Element::SetpointNormalized { nva, qos } => {
            obj.put("value", float(nva.to_f32()))
                .put("raw", nva.0)
                .put("select", qos.select())
                .put("ql", qos.ql());
        }
        Element::SetpointScaled { sva, qos } => {
            obj.put("value", sva)
                .put("select", qos.select())
                .put("ql", qos.ql());
        }
        Element::SetpointFloat { value, qos } => {
            obj.put("value", float(value))
                .put("select", qos.select())
                .put("ql", qos.ql());
        }
        Element::BitstringCommand(bsi) => {
            obj.put("value", format!("{bsi:#010x}"));
        }
        Element::EndOfInitialization(coi) => {
            let name = match coi.cause() {
                0 => Some("local power switch on"),
                1 => Some("local manual reset"),
                2 => Some("remote reset"),
                _ => None,
            };
            obj.put("coi", coi.cause())
                .put("coi_name", name)
                .put("after_parameter_change", coi.after_parameter_change());
        }
        Element::Interrogation(qoi) => {
            let name = match (qoi.0, qoi.group_number()) {
                (20, _) => Some("station".to_owned()),
                (_, Some(n)) => Some(format!("group {n}")),
                _ => None,
            };
            obj.put("qoi", qoi.0).put("qoi_name", name);
        }
        Element::CounterInterrogation(qcc) => {
            obj.put("rqt", qcc.request()).put("frz", qcc.freeze());
        }
        Element::Read => {}
        Element::ClockSync(time) => {
            obj.put_obj("value", cp56(&time));
        }
        Element::Test(fbp) => {
            obj.put("fbp", format!("{fbp:#06x}"));
        }
        Element::ResetProcess(qrp) => {
            obj.put("qrp", qrp.0);
        }
        Element::DelayAcquisition(delay) => {
            obj.put("delay_ms", delay.millisecond);
        }
        Element::TestWithTime(tsc) => {
            obj.put("tsc", tsc);
        }
        Element::ParameterNormalized { nva, qpm: q } => {
            obj.put("value", float(nva.to_f32())).put("raw", nva.0);
            qpm(obj, q);
        }
        Element::ParameterScaled { sva, qpm: q } => {
            obj.put("value", sva);
            qpm(obj, q);
        }
        Element::ParameterFloat { value, qpm: q } => {
            obj.put("value", float(value));
            qpm(obj, q);
        }
        Element::ParameterActivation(qpa) => {
            obj.put("qpa", qpa.0);
        }
        // File transfer (120..=127), and whatever the codec adds: their own module.
        ref other => {
            if !file_fields(obj, other, cp56) {
                obj.put("element", format!("{other:?}"));
            }
        }
    }
}

/// A time tag as an object.
fn time_tag(tag: &TimeTag) -> Obj {
    match tag {
        TimeTag::Cp56(t) => cp56(t),
        TimeTag::Cp24(t) => cp24(t),
    }
}

/// CP56Time2a: the civil time as `YYYY-MM-DD hh:mm:ss.mmm` (no time zone: the station's), the
/// IV and SU bits and the day of week (0 when unused); a tag out of range keeps its fields and
/// says why.
fn cp56(t: &Cp56Time2a) -> Obj {
    let mut obj = Obj::new();
    match t.to_civil() {
        Ok(c) => {
            obj.put(
                "time",
                format!(
                    "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}",
                    c.year, c.month, c.day, c.hour, c.minute, c.second, c.millisecond
                ),
            );
        }
        Err(e) => {
            obj.put("time", Value::Null)
                .put("out_of_range", e.to_string())
                .put("year", t.year)
                .put("month", t.month)
                .put("day", t.day)
                .put("hour", t.hour)
                .put("minute", t.minute)
                .put("millisecond", t.millisecond);
        }
    }
    obj.put("iv", t.invalid)
        .put("su", t.summer_time)
        .put("day_of_week", t.day_of_week);
    obj
}

/// CP24Time2a: minutes and milliseconds as `mm:ss.mmm`, and IV.
fn cp24(t: &Cp24Time2a) -> Obj {
    let mut obj = Obj::new();
    obj.put(
        "time",
        format!(
            "{:02}:{:02}.{:03}",
            t.minute,
            t.millisecond / 1000,
            t.millisecond % 1000
        ),
    )
    .put("iv", t.invalid);
    obj
}

#[cfg(test)]
mod tests {
    use super::*;
    use fieldbridge_iec60870::types::{Qds, Siq};

    #[test]
    fn floats_print_as_their_shortest_decimal() {
        assert_eq!(float(0.1), Value::from(0.1));
        assert_eq!(float(23.4), Value::from(23.4));
        assert_eq!(float(-1.25), Value::from(-1.25));
        assert_eq!(float(f32::NAN), Value::from("NaN"));
        assert_eq!(float(f32::NEG_INFINITY), Value::from("-inf"));
    }

    #[test]
    fn quality_flags_are_named_in_bit_order() {
        assert_eq!(
            qds(Qds(0xF1)),
            serde_json::json!(["IV", "NT", "SB", "BL", "OV"])
        );
        assert_eq!(
            qds(Qds(0x0E)),
            serde_json::json!([]),
            "reserved bits are not flags"
        );
        assert_eq!(flags(Siq(0x81).bits(), &[]), serde_json::json!(["IV"]));
    }

    #[test]
    fn time_tags_read_as_civil_time_with_their_flags() {
        // 2026-11-24 13:05:07.250, a Tuesday, summer time, invalid.
        let t = Cp56Time2a::from_bytes([0x52, 0x1C, 0x85, 0x8D, 0x58, 0x0B, 0x1A]);
        assert_eq!(
            cp56(&t).to_line(),
            r#"{"time":"2026-11-24 13:05:07.250","iv":true,"su":true,"day_of_week":2}"#
        );
        let t = Cp24Time2a::from_bytes([0x88, 0x13, 0x87]);
        assert_eq!(cp24(&t).to_line(), r#"{"time":"07:05.000","iv":true}"#);
    }
}
