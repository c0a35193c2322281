//! A-XDR Data trees as JSON (IEC 62056-6-2 clause 4.1.5): every element is an object with its
//! standard type name and its value, so a reader never guesses whether `5` was an unsigned or an
//! enum.
//!
//! ```text
//! {"type":"double-long-unsigned","value":1234}
//! {"type":"octet-string","value":"0100010800ff","obis":"1-0:1.8.0*255","obis_name":"..."}
//! {"type":"date-time","value":"2024-06-01T12:00:00.00+00:00 status 0x00"}
//! {"type":"structure","value":[{...},{...}]}
//! ```
//!
//! An octet-string of printable ASCII also shows its text (a device ID), one of 6 octets its
//! reading as an OBIS code, and one of 12 octets that holds a valid COSEM date-time its reading as
//! one, because COSEM carries names, logical names and capture times that way (a profile's clock
//! column is an octet-string). These are readings, not claims: the raw value is always there. Date-times are shown as the codec's `Display` writes
//! them: `2024-06-01T12:00:00.00+00:00 status 0x00`, `**` for a field not specified.

use fieldbridge_dlms::axdr::{CompactArrayRef, DataRef, DateTime, Value};
use fieldbridge_dlms::obis::ObisCode;

use super::json::{hex, Obj};

/// The JSON object of one Data element and everything in it.
pub(crate) fn data_obj(data: &DataRef<'_>) -> Obj {
    let mut obj = Obj::new();
    obj.put("type", data.data_type().name());
    match data.value() {
        Value::Null | Value::DontCare => {}
        Value::Array(items) | Value::Structure(items) => {
            obj.put_list("value", items.map(|item| data_obj(&item)).collect());
        }
        Value::Boolean(b) => {
            obj.put("value", b);
        }
        Value::BitString(bits) => {
            let text: String = (0..bits.len)
                .map(|i| if bits.get(i) == Some(true) { '1' } else { '0' })
                .collect();
            obj.put("value", text);
        }
        Value::OctetString(s) => {
            obj.put("value", hex(s));
            octet_string_readings(&mut obj, s);
        }
        Value::VisibleString(s) | Value::Utf8String(s) => {
            obj.put("value", String::from_utf8_lossy(s).into_owned());
        }
        Value::Bcd(v) | Value::Unsigned(v) | Value::Enum(v) | Value::DeltaUnsigned(v) => {
            obj.put("value", v);
        }
        Value::Integer(v) | Value::DeltaInteger(v) => {
            obj.put("value", v);
        }
        Value::Long(v) | Value::DeltaLong(v) => {
            obj.put("value", v);
        }
        Value::LongUnsigned(v) | Value::DeltaLongUnsigned(v) => {
            obj.put("value", v);
        }
        Value::DoubleLong(v) | Value::DeltaDoubleLong(v) => {
            obj.put("value", v);
        }
        Value::DoubleLongUnsigned(v) | Value::DeltaDoubleLongUnsigned(v) => {
            obj.put("value", v);
        }
        Value::Long64(v) => {
            obj.put("value", v);
        }
        Value::Long64Unsigned(v) => {
            obj.put("value", v);
        }
        Value::Float32(v) => {
            obj.put("value", f64::from(v));
        }
        Value::Float64(v) => {
            obj.put("value", v);
        }
        Value::CompactArray(c) => compact_array(&mut obj, &c),
        Value::DateTime(dt) => {
            obj.put("value", dt.to_string());
        }
        Value::Date(d) => {
            obj.put("value", d.to_string());
        }
        Value::Time(t) => {
            obj.put("value", t.to_string());
        }
    }
    obj
}

/// A compact-array: its type description, its contents, and its values expanded when they
/// follow the description.
fn compact_array(obj: &mut Obj, c: &CompactArrayRef<'_>) {
    obj.put("description", c.description().to_string())
        .put("contents", hex(c.contents()));
    if let Ok(values) = c.values() {
        let mut list = Vec::new();
        for value in values {
            let bytes = value.to_vec();
            if let Ok(view) = DataRef::decode_all(&bytes) {
                list.push(data_obj(&view));
            }
        }
        obj.put_list("value", list);
    }
}

/// The OBIS, date-time and text readings of an octet-string.
fn octet_string_readings(obj: &mut Obj, s: &[u8]) {
    if !s.is_empty() && s.iter().all(|b| (0x20..0x7F).contains(b)) {
        obj.put("text", String::from_utf8_lossy(s).into_owned());
    }
    if let Ok(code) = <[u8; 6]>::try_from(s) {
        obis_fields(obj, "obis", "obis_name", code);
    }
    if let Ok(bytes) = <[u8; 12]>::try_from(s) {
        let dt = DateTime::from_bytes(bytes);
        if dt.is_valid() {
            obj.put("date_time", dt.to_string());
        }
    }
}

/// An OBIS code as `A-B:C.D.E*F` under `field`, and its name, when known, under `name_field`.
pub(crate) fn obis_fields(
    obj: &mut Obj,
    field: &'static str,
    name_field: &'static str,
    bytes: [u8; 6],
) {
    let code = ObisCode::from_bytes(bytes);
    obj.put(field, code.to_string());
    if let Some(name) = code.name() {
        obj.put(name_field, name.to_string());
    }
}
