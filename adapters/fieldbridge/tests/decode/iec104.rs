//! IEC 104: the c104 session and the public SQ = 1 capture against tshark (Wireshark's
//! dissectors, run here), APDU by APDU and object by object; the session against its checked
//! decode; and APDUs given as hex with a damaged one among them.

use std::path::Path;

use fieldbridge_tests::repo_root;
use serde_json::{json, Value};

use crate::tshark_json::{as_list, number, packets_with, tshark_json};
use crate::{assert_decodes_to_checked_file, decode, decode_ok, lines, readme_port};

/// The folder of the IEC 104 captures, relative to the repository root.
const DIR: &str = "captures/iec104";

/// Every capture in it: its name, whether its server port is the README's `Port:` (else 2404),
/// and how many APDUs and objects tshark and we compare. Each has its checked decode beside it
/// (`NAME.decode.jsonl`).
const CAPTURES: [(&str, bool, (usize, usize)); 2] = [
    // Two c104 2.2.1 peers on lo (see captures/iec104/README.md).
    ("c104-session", true, (40, 34)),
    // Public: four I frames of M_SP_NA_1, SQ = 1, 16 objects each, in one packet, port 2404.
    ("IEC104_SQ", false, (4, 64)),
];

/// The server port of the c104 session.
fn session_port() -> String {
    readme_port(DIR)
}

/// The U functions by tshark's `utype` (the function bits shifted down by two).
fn u_function(utype: u64) -> &'static str {
    match utype {
        0x01 => "STARTDT act",
        0x02 => "STARTDT con",
        0x04 => "STOPDT act",
        0x08 => "STOPDT con",
        0x10 => "TESTFR act",
        0x20 => "TESTFR con",
        _ => "unknown",
    }
}

/// What tshark says about one information object, as (JSON pointer into our object, value):
/// the address, the values of the elements tshark shows, the quality flags and the time tag.
fn tshark_object(tree: &Value) -> Vec<(String, Value)> {
    let field = |name: &str| tree.get(format!("iec60870_asdu.{name}"));
    let sub = |tree_name: &str, name: &str| {
        tree.get(format!("iec60870_asdu.{tree_name}_tree"))
            .and_then(|t| t.get(format!("iec60870_asdu.{tree_name}.{name}")))
    };
    let mut out = vec![("/ioa".to_owned(), json!(number(&tree["iec60870_asdu.ioa"])))];
    let mut put = |path: &str, v: Value| out.push((path.to_owned(), v));
    if let Some(v) = sub("siq", "spi") {
        put("/value", json!(number(v) == 1));
    }
    if let Some(v) = sub("diq", "dpi") {
        let names = ["intermediate", "off", "on", "indeterminate"];
        put("/value", json!(names[number(v) as usize]));
    }
    if let Some(v) = field("float") {
        put(
            "/value",
            json!(v
                .as_str()
                .unwrap_or_default()
                .parse::<f64>()
                .expect("float")),
        );
    }
    if let Some(v) = field("normval") {
        put(
            "/value",
            json!(v.as_str().unwrap_or_default().parse::<f64>().expect("nva")),
        );
    }
    if let Some(v) = field("scalval") {
        put(
            "/value",
            json!(v.as_str().unwrap_or_default().parse::<i64>().expect("sva")),
        );
    }
    if let Some(v) = sub("vti", "v") {
        put(
            "/value",
            json!(v.as_str().unwrap_or_default().parse::<i64>().expect("vti")),
        );
    }
    if let Some(v) = sub("vti", "t") {
        put("/transient", json!(number(v) == 1));
    }
    if let Some(v) = field("bcr.count") {
        put(
            "/value",
            json!(v.as_str().unwrap_or_default().parse::<i64>().expect("bcr")),
        );
    }
    if let Some(v) = field("bcr.sq") {
        put("/sequence", json!(number(v)));
    }
    if let Some(v) = field("bcr.cy") {
        put("/carry", json!(number(v) == 1));
    }
    if let Some(v) = sub("sco", "on") {
        put("/value", json!(number(v) == 1));
    }
    if let Some(v) = sub("dco", "on") {
        let names = ["not permitted", "off", "on", "not permitted"];
        put("/value", json!(names[number(v) as usize]));
    }
    for element in ["sco", "dco", "qos"] {
        if let Some(v) = sub(element, "se") {
            put("/select", json!(number(v) == 1));
        }
    }
    if let Some(v) = field("qoi") {
        put("/qoi", json!(number(v)));
    }
    if let Some(v) = field("qrp") {
        put("/qrp", json!(number(v)));
    }
    if let Some(v) = field("bcr.ca") {
        put("/adjusted", json!(number(v) == 1));
    }
    if let Some(v) = field("bcr.iv") {
        put("/invalid", json!(number(v) == 1));
    }
    if let Some(v) = sub("rco", "up") {
        let names = ["not permitted", "lower", "higher", "not permitted"];
        put("/value", json!(names[number(v) as usize]));
    }
    if let Some(v) = sub("rco", "se") {
        put("/select", json!(number(v) == 1));
    }
    if let Some(t) = tree.get("iec60870_asdu.coi_tree") {
        put("/coi", json!(number(&t["iec60870_asdu.coi_r"])));
        put(
            "/after_parameter_change",
            json!(number(&t["iec60870_asdu.coi_i"]) == 1),
        );
    }
    for (name, path) in [("kpa", "/kpa"), ("lpc", "/lpc"), ("pop", "/pop")] {
        if let Some(v) = sub("qpm", name) {
            let v = number(v);
            put(
                path,
                if name == "kpa" {
                    json!(v)
                } else {
                    json!(v == 1)
                },
            );
        }
    }
    // Quality: the IV NT SB BL (OV) bits of whichever descriptor the element has.
    for q in ["siq", "diq", "qds"] {
        if tree.get(format!("iec60870_asdu.{q}_tree")).is_some() {
            let flags: Vec<&str> = [
                ("iv", "IV"),
                ("nt", "NT"),
                ("sb", "SB"),
                ("bl", "BL"),
                ("ov", "OV"),
            ]
            .iter()
            .filter(|(bit, _)| sub(q, bit).is_some_and(|v| number(v) == 1))
            .map(|(_, name)| *name)
            .collect();
            put("/quality", json!(flags));
        }
    }
    if let Some(t) = tree.get("iec60870_asdu.cp56time_tree") {
        let f = |n: &str| number(&t[format!("iec60870_asdu.cp56time.{n}")]);
        let ms = f("ms");
        let time = format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}",
            2000 + f("year"),
            f("month"),
            f("day"),
            f("hour"),
            f("min"),
            ms / 1000,
            ms % 1000
        );
        put("TIME/time", json!(time));
        put("TIME/iv", json!(f("iv") == 1));
        // Compared only where we say the tag is out of range (and give its fields).
        put("OUT_OF_RANGE/month", json!(f("month")));
        put("OUT_OF_RANGE/day", json!(f("day")));
        put("TIME/su", json!(f("su") == 1));
    }
    out
}

/// One APDU as tshark reads it: the APCI and data unit identifier in our field names, and the
/// objects' facts (see [`tshark_object`]).
struct TsharkApdu {
    fields: Value,
    objects: Vec<Vec<(String, Value)>>,
    /// tshark shows the objects as raw data (no IOA), as 4.0 does for some type IDs.
    raw: bool,
}

/// The type IDs tshark 4.0 shows as raw data without their IOAs: M_PS_NA_1, M_EP_TD/TE/TF_1,
/// C_RD_NA_1, C_TS_TA_1, P_AC_NA_1 and the file transfer types seen so far (F_FR_NA_1,
/// F_SC_NA_1, F_AF_NA_1, F_DR_TA_1). Their objects are checked by hand in `iec104_types`.
const TSHARK_RAW: [u64; 11] = [20, 38, 39, 40, 102, 107, 113, 120, 122, 124, 126];

/// Every APDU of `capture`, decoded by `tshark -T json` (with a Decode-As for `port`).
fn tshark_apdus(capture: &str, port: Option<&str>) -> Vec<TsharkApdu> {
    let decode_as = port.map(|p| format!("tcp.port=={p},iec60870_104"));
    let mut args = vec!["--no-duplicate-keys"];
    if let Some(d) = &decode_as {
        args.extend(["-d", d]);
    }
    let packets = tshark_json(Path::new(capture), &args);
    let mut apdus = Vec::new();
    for (layers, apcis) in packets_with(&packets, "iec60870_104") {
        let frame = number(&layers["frame"]["frame.number"]);
        let (ip, tcp) = (&layers["ip"], &layers["tcp"]);
        let addr = |which: &str| {
            format!(
                "{}:{}",
                ip[format!("ip.{which}")].as_str().unwrap_or_default(),
                tcp[format!("tcp.{which}port")].as_str().unwrap_or_default()
            )
        };
        let asdus = layers.get("iec60870_asdu").map(as_list).unwrap_or_default();
        let mut asdus = asdus.into_iter();
        for apci in as_list(apcis) {
            let mut fields = json!({"frame": frame, "src": addr("src"), "dst": addr("dst")});
            let mut objects = Vec::new();
            match number(&apci["iec60870_104.type"]) {
                0 => {
                    fields["apci"] = json!("I");
                    fields["ns"] = json!(number(&apci["iec60870_104.tx"]));
                    fields["nr"] = json!(number(&apci["iec60870_104.rx"]));
                    let asdu = asdus.next().expect("an ASDU layer for each I frame");
                    let f = |n: &str| number(&asdu[format!("iec60870_asdu.{n}")]);
                    fields["asdu"] = json!({
                        "type_id": f("typeid"),
                        "sq": f("sq") == 1,
                        "count": f("numix"),
                        "cot": f("causetx"),
                        "negative": f("nega") == 1,
                        "test": f("test") == 1,
                        "originator": f("oa"),
                        "common_address": f("addr"),
                    });
                    for (key, value) in asdu.as_object().expect("ASDU object") {
                        if key.starts_with("IOA") {
                            objects.extend(as_list(value).into_iter().map(tshark_object));
                        }
                    }
                }
                1 => {
                    fields["apci"] = json!("S");
                    fields["nr"] = json!(number(&apci["iec60870_104.rx"]));
                }
                _ => {
                    fields["apci"] = json!("U");
                    fields["u_function"] = json!(u_function(number(&apci["iec60870_104.utype"])));
                }
            }
            let raw = fields.get("asdu").is_some() && objects.is_empty();
            apdus.push(TsharkApdu {
                fields,
                objects,
                raw,
            });
        }
    }
    apdus
}

/// Our line cut down to the fields tshark's summary has.
fn ours_as_tshark(line: &Value) -> Value {
    let mut fields = json!({});
    for key in ["frame", "src", "dst", "apci", "ns", "nr", "u_function"] {
        if let Some(v) = line.get(key) {
            fields[key] = v.clone();
        }
    }
    if let Some(asdu) = line.get("asdu") {
        let mut a = json!({});
        for key in [
            "type_id",
            "sq",
            "count",
            "cot",
            "negative",
            "test",
            "originator",
            "common_address",
        ] {
            a[key] = asdu[key].clone();
        }
        fields["asdu"] = a;
    }
    fields
}

/// Decodes `capture` with us and with tshark and compares every APDU and object; returns the
/// number of APDUs and of objects compared.
pub(crate) fn compare_with_tshark(capture: &str, port: Option<&str>) -> (usize, usize) {
    let ours = lines(&decode_ok(&pcap_args(capture, port)));
    let theirs = tshark_apdus(capture, port);
    assert_eq!(
        ours.len(),
        theirs.len(),
        "{capture}: APDUs, ours and tshark's"
    );
    let mut objects = 0;
    for (line, t) in ours.iter().zip(&theirs) {
        assert_eq!(ours_as_tshark(line), t.fields, "{capture}: ours {line}");
        if t.raw {
            let type_id = line["asdu"]["type_id"].as_u64().unwrap_or_default();
            assert!(
                TSHARK_RAW.contains(&type_id),
                "{capture}: tshark shows no object of {line}"
            );
            continue;
        }
        let mut our_objects = line
            .pointer("/asdu/objects")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        assert_eq!(
            our_objects.len(),
            t.objects.len(),
            "{capture}: objects of {line}"
        );
        // tshark's JSON objects come out of serde_json with their keys ("IOA: N") sorted as
        // strings: compare both lists in IOA order.
        our_objects.sort_by_key(|o| o["ioa"].as_u64());
        let mut their_objects = t.objects.clone();
        their_objects.sort_by_key(|facts| facts[0].1.as_u64());
        for (o, facts) in our_objects.iter().zip(&their_objects) {
            let time = if o.get("time_tag").is_some() {
                "/time_tag"
            } else {
                "/value"
            };
            for (path, expected) in facts {
                let out_of_range = o.pointer(&format!("{time}/out_of_range")).is_some();
                // A tag out of range has no civil time: tshark's fields are compared instead.
                let skip = if path.starts_with("OUT_OF_RANGE") {
                    !out_of_range
                } else {
                    out_of_range && path == "TIME/time"
                };
                if skip {
                    continue;
                }
                let path = path.replace("TIME", time).replace("OUT_OF_RANGE", time);
                let found = o.pointer(&path).unwrap_or(&Value::Null);
                let same = match (found.as_f64(), expected.as_f64()) {
                    (Some(a), Some(b)) if expected.is_f64() => {
                        (a - b).abs() <= 1e-6 * b.abs().max(1.0)
                    }
                    _ => found == expected,
                };
                assert!(
                    same,
                    "{capture} frame {}: {path} is {found}, tshark says {expected}: {o}",
                    line["frame"]
                );
            }
            objects += 1;
        }
    }
    (ours.len(), objects)
}

/// The arguments that decode the IEC 104 capture `capture`, with `--port` when given.
fn pcap_args<'a>(capture: &'a str, port: Option<&'a str>) -> Vec<&'a str> {
    let mut args = vec!["--protocol", "iec104", "--pcap", capture];
    args.extend(port.iter().flat_map(|p| ["--port", p]));
    args
}

/// The path and `--port` of a capture of [`CAPTURES`].
fn capture(name: &str, readme_port: bool) -> (String, Option<String>) {
    (
        format!("{DIR}/{name}.pcapng"),
        readme_port.then(session_port),
    )
}

#[test]
fn every_capture_in_the_folder_is_checked() {
    let mut found: Vec<String> = std::fs::read_dir(repo_root().join(DIR))
        .expect(DIR)
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".pcapng").map(str::to_owned))
        .collect();
    found.sort();
    let mut listed: Vec<String> = CAPTURES.iter().map(|c| c.0.to_owned()).collect();
    listed.sort();
    assert_eq!(
        found, listed,
        "every {DIR}/*.pcapng needs a line in CAPTURES"
    );
}

#[test]
fn every_apdu_of_every_capture_decodes_as_tshark_decodes_it() {
    for (name, readme_port, expected) in CAPTURES {
        let (path, port) = capture(name, readme_port);
        assert_eq!(
            compare_with_tshark(&path, port.as_deref()),
            expected,
            "{path}"
        );
    }
}

#[test]
fn every_capture_decodes_to_its_checked_file() {
    for (name, readme_port, _) in CAPTURES {
        let (path, port) = capture(name, readme_port);
        let checked = format!("{DIR}/{name}.decode.jsonl");
        assert_decodes_to_checked_file(&pcap_args(&path, port.as_deref()), &checked);
    }
}

#[test]
fn hex_apdus_decode_and_a_damaged_one_is_reported_at_its_offset() {
    let hex = concat!(
        "68 04 07 00 00 00 ",                                          // STARTDT act
        "68 0e 02 00 04 00 64 01 06 00 2f 00 00 00 00 14 ", // I(1,2) C_IC_NA_1 act, CA 47
        "68 02 01 00 ",                                     // length 2: not an APDU
        "68 04 01 00 06 00 ",                               // S(3)
        "68 12 04 00 06 00 0d 01 03 00 2f 00 c8 00 00 00 00 bc 41 81", // M_ME_NC_1 23.5 IV OV
    );
    let l = lines(&decode_ok(&["--protocol", "iec104", "--hex", hex]));
    assert_eq!(l.len(), 5, "{l:?}");
    assert_eq!(
        l[0],
        json!({"offset": 0, "apci": "U", "length": 4, "u_function": "STARTDT act"})
    );
    assert_eq!(
        (
            l[1]["offset"].clone(),
            l[1]["ns"].clone(),
            l[1]["nr"].clone()
        ),
        (json!(6), json!(1), json!(2))
    );
    assert_eq!(l[1]["asdu"]["type"], "C_IC_NA_1");
    assert_eq!(l[1]["asdu"]["cot_name"], "act");
    assert_eq!(l[1]["asdu"]["common_address"], 47);
    assert_eq!(
        l[1]["asdu"]["objects"],
        json!([{"ioa": 0, "qoi": 20, "qoi_name": "station"}])
    );
    assert_eq!(l[2]["offset"], 22);
    assert_eq!(l[2]["error_offset"], 1);
    assert_eq!(l[2]["error_in"], "apci");
    assert_eq!(l[2]["raw"], "68020100");
    assert!(
        l[2]["error"]
            .as_str()
            .unwrap()
            .contains("bad APDU length 2"),
        "{}",
        l[2]
    );
    assert_eq!(
        l[3],
        json!({"offset": 26, "apci": "S", "length": 4, "nr": 3})
    );
    let object = &l[4]["asdu"]["objects"][0];
    assert_eq!(
        *object,
        json!({"ioa": 200, "value": 23.5, "quality": ["IV", "OV"]})
    );
}

#[test]
fn an_asdu_that_does_not_fill_its_apdu_is_an_error_on_the_apdu_line() {
    // I frame whose ASDU announces two M_SP_NA_1 objects but carries one.
    let hex = "68 0e 00 00 00 00 01 02 03 00 01 00 0a 00 00 01";
    let out = decode(&["--protocol", "iec104", "--hex", hex]);
    let l = lines(&out);
    assert_eq!(l.len(), 1, "{l:?}");
    assert_eq!(l[0]["apci"], "I");
    assert_eq!(l[0]["error_in"], "asdu");
    // The objects start after the 6 octets of the data unit identifier, 6 octets into the APDU.
    assert_eq!(l[0]["error_offset"], 12);
    assert!(l[0].get("asdu").is_none());
    // With one-octet IOAs the same bytes are two whole objects: the options are applied.
    let out = decode(&["--protocol", "iec104", "--ioa-size", "1", "--hex", hex]);
    let l = lines(&out);
    assert_eq!(
        l[0]["asdu"]["objects"],
        json!([{"ioa": 10, "value": false, "quality": []}, {"ioa": 0, "value": true, "quality": []}]),
        "{l:?}"
    );
}

#[test]
fn the_stored_tshark_summary_of_the_session_matches_our_decode() {
    // The summary record.sh wrote with tshark_summary.py, read back without tshark: the three
    // files of a recording stay in step.
    let path = format!("{DIR}/c104-session.tshark.json");
    let text = std::fs::read_to_string(repo_root().join(&path)).expect(&path);
    let summary: Value = serde_json::from_str(&text).expect("summary JSON");
    assert_eq!(summary["port"].to_string(), session_port());
    let (capture, port) = capture("c104-session", true);
    let ours = lines(&decode_ok(&pcap_args(&capture, port.as_deref())));
    let theirs = summary["apdus"].as_array().expect("apdus");
    assert_eq!(ours.len(), theirs.len());
    for (o, t) in ours.iter().zip(theirs) {
        for key in ["frame", "src", "dst", "apci", "ns", "nr", "u_function"] {
            assert_eq!(o.get(key), t.get(key), "{key}: {o} / {t}");
        }
        if let Some(a) = o.get("asdu") {
            for key in ["type_id", "count", "cot", "originator", "common_address"] {
                assert_eq!(a[key], t[key], "{key}: {o} / {t}");
            }
            for key in ["sq", "negative", "test"] {
                assert_eq!(
                    a[key].as_bool(),
                    t[key].as_u64().map(|v| v == 1),
                    "{key}: {t}"
                );
            }
            let ioas: Vec<Value> = a["objects"]
                .as_array()
                .expect("objects")
                .iter()
                .map(|x| x["ioa"].clone())
                .collect();
            assert_eq!(json!(ioas), t["ioas"], "{o}");
        }
    }
}
