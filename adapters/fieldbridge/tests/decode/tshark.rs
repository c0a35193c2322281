//! The tshark oracle: every frame of the reference capture, decoded by tshark (Wireshark's
//! dissectors) and by us, field by field.

use std::collections::BTreeMap;
use std::path::Path;

use fieldbridge_tests::repo_root;
use serde_json::Value;

use crate::tshark_json::{as_list, number, packets_with, tshark_json};
use crate::{capture_port, decode_reference_capture, lines, CAPTURE};

/// One Modbus ADU as tshark decodes it: the summary fields of `captures/modbus/tshark_summary.py`
/// (same names) plus the values tshark shows.
#[derive(Debug, Default)]
struct Tshark {
    fields: BTreeMap<&'static str, Value>,
    registers: Option<Vec<u64>>,
    bits: Option<Vec<bool>>,
    data: Option<Vec<u8>>,
    objects: Option<Vec<(u64, String)>>,
}

/// Nested tshark trees holding `index_key` (e.g. every "Register N" subtree), sorted by it.
fn subtrees<'a>(modbus: &'a Value, index_key: &str) -> Vec<&'a Value> {
    let mut found: Vec<&Value> = modbus
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
        .filter(|v| v.get(index_key).is_some())
        .collect();
    found.sort_by_key(|v| number(&v[index_key]));
    found
}

/// Every Modbus ADU of `capture`, decoded by `tshark -T json` with the Modbus/TCP port set.
fn tshark_frames(capture: &Path, port: &str) -> Vec<Tshark> {
    let packets = tshark_json(capture, &["-o", &format!("mbtcp.tcp.port:{port}")]);
    let summary_fields = [
        ("modbus.reference_num", "reference"),
        ("modbus.word_cnt", "word_count"),
        ("modbus.bit_cnt", "bit_count"),
        ("modbus.byte_cnt", "byte_count"),
        ("modbus.read_reference_num", "read_reference"),
        ("modbus.read_word_cnt", "read_word_count"),
        ("modbus.write_reference_num", "write_reference"),
        ("modbus.write_word_cnt", "write_word_count"),
        ("modbus.and_mask", "and_mask"),
        ("modbus.or_mask", "or_mask"),
        ("modbus.mei", "mei_type"),
        ("modbus.read_device_id", "read_device_id"),
        ("modbus.object_id", "object_id"),
        ("modbus.exception_code", "exception_code"),
        ("modbus.request_frame", "request_frame"),
    ];
    let mut frames = Vec::new();
    for (layers, mbtcp) in packets_with(&packets, "mbtcp") {
        let (frame, tcp) = (&layers["frame"], &layers["tcp"]);
        let ip = layers.get("ip").or_else(|| layers.get("ipv6")).expect("ip");
        let addr = |which: &str| {
            let ip_addr = ip
                .get(format!("ip.{which}"))
                .or_else(|| ip.get(format!("ipv6.{which}")))
                .and_then(Value::as_str)
                .unwrap_or_default();
            let tcp_port = tcp[format!("tcp.{which}port")].as_str().unwrap_or_default();
            if ip_addr.contains(':') {
                format!("[{ip_addr}]:{tcp_port}")
            } else {
                format!("{ip_addr}:{tcp_port}")
            }
        };
        let towards_server = tcp["tcp.dstport"].as_str() == Some(port);
        let mbtcps = as_list(mbtcp);
        let modbuses = layers.get("modbus").map(as_list).unwrap_or_default();
        for (i, mbtcp) in mbtcps.iter().enumerate() {
            let modbus = modbuses.get(i).copied().unwrap_or(&Value::Null);
            let mut t = Tshark::default();
            let f = &mut t.fields;
            f.insert("frame", number(&frame["frame.number"]).into());
            f.insert("time", frame["frame.time_epoch"].clone());
            f.insert("src", addr("src").into());
            f.insert("dst", addr("dst").into());
            let kind = if !towards_server {
                "response"
            } else {
                "request"
            };
            f.insert("kind", kind.into());
            f.insert("transaction_id", number(&mbtcp["mbtcp.trans_id"]).into());
            f.insert("length", number(&mbtcp["mbtcp.len"]).into());
            f.insert("unit_id", number(&mbtcp["mbtcp.unit_id"]).into());
            f.insert("function_code", number(&modbus["modbus.func_code"]).into());
            for (field, key) in summary_fields {
                if let Some(v) = modbus.get(field) {
                    f.insert(key, number(v).into());
                }
            }
            if f.contains_key("exception_code") {
                f.insert("kind", "exception".into());
            }
            let registers = subtrees(modbus, "modbus.regnum16");
            if !registers.is_empty() {
                t.registers = Some(
                    registers
                        .iter()
                        .map(|r| number(&r["modbus.regval_uint16"]))
                        .collect(),
                );
            }
            let bits = subtrees(modbus, "modbus.bitnum");
            if !bits.is_empty() {
                t.bits = Some(
                    bits.iter()
                        .map(|b| number(&b["modbus.bitval"]) != 0)
                        .collect(),
                );
            }
            if let Some(data) = modbus.get("modbus.data").and_then(Value::as_str) {
                t.data = Some(hex::decode(data.replace(':', "")).expect("tshark data hex"));
            }
            if let Some(objects) = modbus.get("Objects") {
                let mut list: Vec<(u64, String)> = subtrees(objects, "modbus.object_id")
                    .iter()
                    .map(|o| {
                        let value = o["modbus.object_str_value"].as_str().unwrap_or_default();
                        (number(&o["modbus.object_id"]), value.to_owned())
                    })
                    .collect();
                list.sort();
                t.objects = Some(list);
            }
            frames.push(t);
        }
    }
    frames
}

/// Our RFC 3339 time as tshark's epoch seconds, cut to microseconds.
fn epoch_micros(rfc3339: &str) -> String {
    let (date, time) = rfc3339.split_once('T').expect("a date and a time");
    let d: Vec<i64> = date.split('-').map(|x| x.parse().expect("date")).collect();
    let (hms, micros) = time
        .trim_end_matches('Z')
        .split_once('.')
        .expect("fraction");
    let t: Vec<i64> = hms.split(':').map(|x| x.parse().expect("time")).collect();
    // Days from 1970-01-01 (Howard Hinnant's days_from_civil).
    let (y, m) = if d[1] <= 2 {
        (d[0] - 1, d[1] + 9)
    } else {
        (d[0], d[1] - 3)
    };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + d[2] - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    format!(
        "{}.{micros}",
        days * 86_400 + t[0] * 3600 + t[1] * 60 + t[2]
    )
}

/// Our fields that carry a value tshark shows under another name.
const SAME_FIELDS: [(&str, &str); 13] = [
    ("reference", "address"),
    ("byte_count", "byte_count"),
    ("read_reference", "read_address"),
    ("read_word_count", "read_quantity"),
    ("write_reference", "write_address"),
    ("write_word_count", "write_quantity"),
    ("and_mask", "and_mask"),
    ("or_mask", "or_mask"),
    ("mei_type", "mei_type"),
    ("read_device_id", "read_device_id_code"),
    ("object_id", "object_id"),
    ("exception_code", "exception_code"),
    ("transaction_id", "transaction_id"),
];

/// The differences between tshark's decode of one ADU and ours.
fn compare(t: &Tshark, ours: &Value) -> Vec<String> {
    let mut diffs = Vec::new();
    let mut check = |what: &str, theirs: Option<&Value>, mine: Option<&Value>| {
        if theirs != mine {
            let show = |v: Option<&Value>| v.map_or("(absent)".to_owned(), Value::to_string);
            diffs.push(format!(
                "{what}: tshark {} ours {}",
                show(theirs),
                show(mine)
            ));
        }
    };
    let f = &t.fields;
    for key in [
        "frame",
        "src",
        "dst",
        "kind",
        "length",
        "unit_id",
        "function_code",
    ] {
        check(key, f.get(key), ours.get(key));
    }
    let their_time = f["time"].as_str().unwrap_or_default();
    let their_time = &their_time[..their_time.find('.').map_or(0, |p| p + 7)];
    let our_time = ours["time"].as_str().map(epoch_micros);
    check(
        "time",
        Some(&their_time.into()),
        our_time.map(Value::from).as_ref(),
    );
    for (theirs, mine) in SAME_FIELDS {
        check(theirs, f.get(theirs), ours.get(mine));
    }
    if let Some(request) = f.get("request_frame") {
        check("request_frame", Some(request), ours.get("request_frame"));
    }
    // Word and bit counts: tshark shows them for requests and write responses; ours are the
    // `quantity`, which read responses carry too (the number of values).
    let count = f.get("word_count").or_else(|| f.get("bit_count"));
    let read_response = ours["kind"] == "response" && ours.get("values").is_some();
    if count.is_some() || !read_response {
        check("word/bit count", count, ours.get("quantity"));
    }
    let values = ours.get("values").and_then(Value::as_array);
    let words: Option<Vec<u64>> = values.map(|v| v.iter().filter_map(Value::as_u64).collect());
    let bools: Option<Vec<bool>> = values.map(|v| v.iter().filter_map(Value::as_bool).collect());
    if let Some(registers) = &t.registers {
        check(
            "register values",
            Some(&registers.clone().into()),
            words.clone().map(Value::from).as_ref(),
        );
    }
    if let Some(bits) = &t.bits {
        // tshark shows every bit of the padded bytes; ours are cut to the request's quantity.
        let mine = bools.clone().unwrap_or_default();
        let quantity = ours["quantity"].as_u64().unwrap_or(0) as usize;
        if mine.len() != quantity || !bits.starts_with(&mine) || bits.len() - mine.len() >= 8 {
            diffs.push(format!("bit values: tshark {bits:?} ours {mine:?}"));
        }
    }
    if let Some(data) = &t.data {
        let function = ours["function_code"].as_u64().unwrap_or(0);
        let mine: Vec<u8> = match function {
            5 => vec![if ours["value"] == true { 0xFF } else { 0 }, 0],
            6 => (ours["value"].as_u64().unwrap_or(0) as u16)
                .to_be_bytes()
                .to_vec(),
            15 => {
                let bits = bools.clone().unwrap_or_default();
                let mut packed = vec![0u8; bits.len().div_ceil(8)];
                for (i, _) in bits.iter().enumerate().filter(|(_, b)| **b) {
                    packed[i / 8] |= 1 << (i % 8);
                }
                packed
            }
            _ => words
                .clone()
                .unwrap_or_default()
                .iter()
                .flat_map(|w| (*w as u16).to_be_bytes())
                .collect(),
        };
        if *data != mine {
            diffs.push(format!("data: tshark {data:02x?} ours {mine:02x?}"));
        }
    }
    if let Some(objects) = &t.objects {
        let mut mine: Vec<(u64, String)> = ours["objects"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|o| {
                let value = o["value"].as_str().unwrap_or_default().to_owned();
                (o["id"].as_u64().unwrap_or(999), value)
            })
            .collect();
        mine.sort();
        if *objects != mine {
            diffs.push(format!("device objects: tshark {objects:?} ours {mine:?}"));
        }
    }
    diffs
}

#[test]
fn every_frame_of_the_reference_capture_decodes_as_tshark_decodes_it() {
    let port = capture_port();
    let theirs = tshark_frames(&repo_root().join(CAPTURE), &port);
    let out = decode_reference_capture();
    let ours = lines(&out);
    let errors: Vec<&Value> = ours.iter().filter(|l| l.get("error").is_some()).collect();
    assert!(errors.is_empty(), "frame errors: {errors:?}");
    assert!(
        theirs.len() > 20,
        "tshark found only {} frames",
        theirs.len()
    );
    let mut report = Vec::new();
    if theirs.len() != ours.len() {
        let ids = |frames: Vec<(Option<&Value>, Option<&Value>)>| {
            frames
                .iter()
                .map(|(f, t)| format!("{}/{}", f.map_or(0, number_or), t.map_or(0, number_or)))
                .collect::<Vec<_>>()
                .join(" ")
        };
        report.push(format!(
            "tshark decodes {} frames, we decode {}\n  tshark frame/transaction: {}\n  ours:                     {}",
            theirs.len(),
            ours.len(),
            ids(theirs
                .iter()
                .map(|t| (t.fields.get("frame"), t.fields.get("transaction_id")))
                .collect()),
            ids(ours
                .iter()
                .map(|o| (o.get("frame"), o.get("transaction_id")))
                .collect()),
        ));
    }
    for (t, o) in theirs.iter().zip(&ours) {
        let diffs = compare(t, o);
        if !diffs.is_empty() {
            report.push(format!(
                "frame {} (transaction {}):\n  {}",
                t.fields["frame"],
                t.fields["transaction_id"],
                diffs.join("\n  ")
            ));
        }
    }
    assert!(
        report.is_empty(),
        "our decode differs from tshark's:\n{}",
        report.join("\n")
    );
}

fn number_or(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}
