//! `fieldbridge decode`: the reference capture against its checked decode and, frame by frame,
//! against tshark (Wireshark's dissectors); a capture built here whose TCP stream is split,
//! duplicated, reordered and coalesced, on every link type the decoder reads; files that are not
//! captures; and `--hex` for each framing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use fieldbridge_tests::{repo_root, require, Peer};
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::DataLink;
use serde_json::Value;

/// The reference capture, relative to the repository root.
const CAPTURE: &str = "captures/modbus/pymodbus-tcp.pcapng";
/// Its checked decode.
const EXPECTED: &str = "captures/modbus/pymodbus-tcp.decode.jsonl";

/// Runs `fieldbridge decode` with `args`.
fn decode(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fieldbridge"))
        .arg("decode")
        .args(args)
        .current_dir(repo_root())
        .output()
        .expect("run fieldbridge decode")
}

/// stdout as JSON objects, one per line.
fn lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// The server port of the reference capture, from the `Port: N` line of its README (which
/// `record.sh` rewrites when it records again).
fn capture_port() -> String {
    let readme = std::fs::read_to_string(repo_root().join("captures/modbus/README.md"))
        .expect("captures/modbus/README.md");
    readme
        .lines()
        .find_map(|l| l.strip_prefix("Port: "))
        .map(|p| p.trim().to_owned())
        .expect("a `Port: N` line in captures/modbus/README.md")
}

fn decode_reference_capture() -> Output {
    let out = decode(&[
        "--protocol",
        "modbus-tcp",
        "--pcap",
        CAPTURE,
        "--port",
        &capture_port(),
    ]);
    assert!(
        out.status.success(),
        "decode failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn the_reference_capture_decodes_to_its_checked_file() {
    let out = decode_reference_capture();
    let actual = String::from_utf8_lossy(&out.stdout);
    let expected = std::fs::read_to_string(repo_root().join(EXPECTED)).expect(EXPECTED);
    if actual != expected {
        let (a, e): (Vec<_>, Vec<_>) = (actual.lines().collect(), expected.lines().collect());
        let first = (0..a.len().max(e.len()))
            .find(|&i| a.get(i) != e.get(i))
            .unwrap_or(0);
        panic!(
            "the decode of {CAPTURE} differs from {EXPECTED} at line {} ({} lines, {} expected):\n\
             ours:     {}\nexpected: {}\n\
             If the change is intended, check the new output by eye against tshark and write it with\n\
             cargo run -p fieldbridge -- decode --protocol modbus-tcp --pcap {CAPTURE} --port {} > {EXPECTED}",
            first + 1,
            a.len(),
            e.len(),
            a.get(first).unwrap_or(&"(none)"),
            e.get(first).unwrap_or(&"(none)"),
            capture_port(),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The tshark oracle.

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

/// tshark's integers: decimal, or hexadecimal with 0x.
fn number(v: &Value) -> u64 {
    let s = v.as_str().unwrap_or_default();
    match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16),
        None => s.parse(),
    }
    .unwrap_or_else(|_| panic!("tshark number {v}"))
}

/// tshark repeats a layer as a list when a packet holds several ADUs.
fn as_list(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    }
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
    let tshark = require(Peer::Tshark);
    let out = Command::new(tshark)
        .arg("-r")
        .arg(capture)
        .args(["-o", &format!("mbtcp.tcp.port:{port}"), "-T", "json"])
        .output()
        .expect("run tshark");
    assert!(
        out.status.success(),
        "tshark: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let packets: Vec<Value> = serde_json::from_slice(&out.stdout).expect("tshark JSON");
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
    for packet in &packets {
        let layers = &packet["_source"]["layers"];
        let Some(mbtcp) = layers.get("mbtcp") else {
            continue;
        };
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

// ---------------------------------------------------------------------------------------------
// A capture built here: split, duplicated, reordered and coalesced segments.

const CLIENT: ([u8; 4], u16) = ([10, 0, 0, 1], 1025);
const SERVER: ([u8; 4], u16) = ([10, 0, 0, 2], 5020);
const SYN: u8 = 0x02;
const ACK: u8 = 0x10;
const PSH_ACK: u8 = 0x18;

/// An IPv4 packet holding a TCP segment.
fn ip_tcp(
    from: ([u8; 4], u16),
    to: ([u8; 4], u16),
    seq: u32,
    ack: u32,
    flags: u8,
    payload: &[u8],
) -> Vec<u8> {
    let total = u16::try_from(40 + payload.len()).expect("small packet");
    let mut p = vec![0x45, 0];
    p.extend_from_slice(&total.to_be_bytes());
    p.extend_from_slice(&[0, 0, 0x40, 0, 64, 6, 0, 0]);
    p.extend_from_slice(&from.0);
    p.extend_from_slice(&to.0);
    p.extend_from_slice(&from.1.to_be_bytes());
    p.extend_from_slice(&to.1.to_be_bytes());
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ack.to_be_bytes());
    p.extend_from_slice(&[0x50, flags, 0xFF, 0xFF, 0, 0, 0, 0]);
    p.extend_from_slice(payload);
    p
}

/// The packet in the link-layer header of `link`.
fn framed(link: DataLink, ip: &[u8]) -> Vec<u8> {
    let mut p = match link {
        DataLink::ETHERNET => {
            let mut h = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1];
            h.extend_from_slice(&[0x08, 0x00]);
            h
        }
        DataLink::LINUX_SLL => {
            let mut h = vec![0; 14];
            h.extend_from_slice(&[0x08, 0x00]);
            h
        }
        DataLink::LINUX_SLL2 => {
            let mut h = vec![0x08, 0x00];
            h.extend_from_slice(&[0; 18]);
            h
        }
        DataLink::NULL => 2u32.to_le_bytes().to_vec(),
        _ => Vec::new(),
    };
    p.extend_from_slice(ip);
    if link == DataLink::ETHERNET {
        p.resize(p.len().max(60), 0); // Ethernet padding, which the IP length cuts off
    }
    p
}

/// The session, as IP packets: SYN to the server; request 1 split over two segments and the
/// second segment sent twice; requests 2 and 3 in one segment; responses 2 and 3 captured in the
/// wrong order; a frame with a bad MBAP header; then request 4 and its exception.
fn session() -> Vec<Vec<u8>> {
    let (c, s) = (1001u32, 5001u32);
    let request1 = [0, 1, 0, 0, 0, 6, 1, 3, 0, 0x6B, 0, 3];
    let response1 = [0, 1, 0, 0, 0, 9, 1, 3, 6, 0x02, 0x2B, 0, 0, 0, 0x64];
    let requests23 = [
        0, 2, 0, 0, 0, 6, 1, 1, 0, 0x13, 0, 0x0A, // read 10 coils at 0x13
        0, 3, 0, 0, 0, 6, 1, 5, 0, 0xAC, 0xFF, 0, // write coil 0xAC on
    ];
    let response2 = [0, 2, 0, 0, 0, 5, 1, 1, 2, 0xCD, 0x01];
    let response3 = [0, 3, 0, 0, 0, 6, 1, 5, 0, 0xAC, 0xFF, 0];
    let bad = [0, 4, 0, 7, 0, 6, 1, 3, 0, 0, 0, 1];
    let request5 = [0, 5, 0, 0, 0, 6, 1, 3, 0, 1, 0, 1];
    let exception5 = [0, 5, 0, 0, 0, 3, 1, 0x83, 2];
    let (r1, r2, r3) = (response1.len() as u32, response2.len() as u32, 12u32);
    vec![
        ip_tcp(CLIENT, SERVER, c - 1, 0, SYN, &[]),
        ip_tcp(SERVER, CLIENT, s - 1, c, SYN | ACK, &[]),
        ip_tcp(CLIENT, SERVER, c, s, ACK, &[]),
        ip_tcp(CLIENT, SERVER, c, s, PSH_ACK, &request1[..5]),
        ip_tcp(CLIENT, SERVER, c + 5, s, PSH_ACK, &request1[5..]),
        ip_tcp(CLIENT, SERVER, c + 5, s, PSH_ACK, &request1[5..]),
        ip_tcp(SERVER, CLIENT, s, c + 12, PSH_ACK, &response1),
        ip_tcp(CLIENT, SERVER, c + 12, s + r1, PSH_ACK, &requests23),
        ip_tcp(SERVER, CLIENT, s + r1 + r2, c + 36, PSH_ACK, &response3),
        ip_tcp(SERVER, CLIENT, s + r1, c + 36, PSH_ACK, &response2),
        ip_tcp(CLIENT, SERVER, c + 36, s + r1 + r2 + r3, PSH_ACK, &bad),
        ip_tcp(CLIENT, SERVER, c + 48, s + r1 + r2 + r3, PSH_ACK, &request5),
        ip_tcp(
            SERVER,
            CLIENT,
            s + r1 + r2 + r3,
            c + 60,
            PSH_ACK,
            &exception5,
        ),
    ]
}

/// Writes the session as a pcap file of link type `link`, one packet a millisecond.
fn write_capture(path: &Path, link: DataLink) {
    let file = std::fs::File::create(path).expect("create capture");
    let header = PcapHeader {
        datalink: link,
        ..PcapHeader::default()
    };
    let mut writer = PcapWriter::with_header(file, header).expect("pcap header");
    for (i, ip) in session().iter().enumerate() {
        let data = framed(link, ip);
        let time = Duration::from_secs(1_700_000_000) + Duration::from_millis(i as u64);
        let packet = PcapPacket::new(time, data.len() as u32, &data);
        writer.write_packet(&packet).expect("write packet");
    }
}

#[test]
fn split_duplicated_reordered_and_coalesced_segments_decode_on_every_link_type() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut first: Option<Vec<Value>> = None;
    for link in [
        DataLink::ETHERNET,
        DataLink::LINUX_SLL,
        DataLink::LINUX_SLL2,
        DataLink::RAW,
        DataLink::NULL,
    ] {
        let path: PathBuf = dir.path().join(format!("{link:?}.pcap"));
        write_capture(&path, link);
        // No --port and no port 502: the SYN says which side is the server (the lower port is
        // the client's here).
        let out = decode(&["--protocol", "modbus-tcp", "--pcap", path.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{link:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let ours = lines(&out);
        match &first {
            Some(expected) => assert_eq!(&ours, expected, "{link:?} decodes differently"),
            None => first = Some(ours),
        }
    }
    let ours = first.expect("decoded");
    let summary: Vec<String> = ours
        .iter()
        .map(|l| {
            format!(
                "{} {} {} {}",
                l["frame"],
                l["transaction_id"],
                l["kind"].as_str().unwrap_or("-"),
                l["error_in"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            "5 1 request ", // completed by the second half; its duplicate (6) dropped
            "7 1 response ",
            "8 2 request ", // two requests in one segment
            "8 3 request ",
            "10 2 response ", // captured after response 3 (9), which waited for it
            "9 3 response ",
            "11 null - mbap", // a bad MBAP header: reported, decoding goes on
            "12 5 request ",
            "13 5 exception ",
        ],
        "{ours:#?}"
    );
    let client = "10.0.0.1:1025";
    let server = "10.0.0.2:5020";
    assert_eq!(
        (ours[0]["src"].as_str(), ours[0]["dst"].as_str()),
        (Some(client), Some(server))
    );
    assert_eq!(ours[0]["time"], "2023-11-14T22:13:20.004000Z");
    assert_eq!(ours[0]["address"], 0x6B);
    assert_eq!(ours[0]["quantity"], 3);
    assert_eq!(ours[1]["values"], serde_json::json!([0x022B, 0, 0x64]));
    assert_eq!(ours[1]["request_frame"], 5);
    // Coils padded to two bytes, cut to the 10 the request asked for.
    assert_eq!(
        ours[4]["values"],
        serde_json::json!([true, false, true, true, false, false, true, true, true, false])
    );
    assert_eq!(ours[4]["request_frame"], 8);
    assert_eq!(ours[5]["request_frame"], 8);
    assert_eq!(
        ours[6]["error"],
        "bad MBAP protocol id 7 at byte 2: expected 0"
    );
    assert_eq!(ours[6]["error_offset"], 2);
    assert_eq!(ours[8]["exception"], "ILLEGAL DATA ADDRESS");
    assert_eq!(ours[8]["request_frame"], 12);
}

#[test]
fn a_capture_that_stops_before_a_frame_is_whole_reports_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("cut.pcap");
    let file = std::fs::File::create(&path).expect("create");
    let mut writer = PcapWriter::with_header(
        file,
        PcapHeader {
            datalink: DataLink::RAW,
            ..PcapHeader::default()
        },
    )
    .expect("header");
    let half = ip_tcp(CLIENT, SERVER, 1, 1, PSH_ACK, &[0, 9, 0, 0, 0, 6, 1]);
    let packet = PcapPacket::new(Duration::from_secs(1), half.len() as u32, &half);
    writer.write_packet(&packet).expect("write");
    drop(writer);
    let out = decode(&["--protocol", "modbus-tcp", "--pcap", path.to_str().unwrap()]);
    assert!(out.status.success());
    let ours = lines(&out);
    assert_eq!(ours.len(), 1, "{ours:?}");
    assert_eq!(
        ours[0]["error"],
        "the capture ends inside a frame: only 7 bytes of it"
    );
    assert_eq!(ours[0]["raw"], "00090000000601");
}

#[test]
fn files_that_are_not_captures_exit_1_with_a_clear_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let garbage = dir.path().join("garbage.pcap");
    std::fs::write(&garbage, b"this is not a capture at all").expect("write");
    let truncated = dir.path().join("truncated.pcapng");
    let whole = std::fs::read(repo_root().join(CAPTURE)).expect("capture");
    std::fs::write(&truncated, &whole[..whole.len() * 2 / 3]).expect("write");
    let missing = dir.path().join("missing.pcap");
    let cases = [
        (&garbage, "is not a pcap or pcapng capture"),
        (&truncated, "the file is cut off inside a block (truncated)"),
        (&missing, "cannot read"),
    ];
    for (path, message) in cases {
        let out = decode(&["--protocol", "modbus-tcp", "--pcap", path.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{}: {stderr}", path.display());
        assert!(stderr.contains(message), "{}: {stderr}", path.display());
    }
    // The frames before the damage are still printed.
    let out = decode(&[
        "--protocol",
        "modbus-tcp",
        "--pcap",
        truncated.to_str().unwrap(),
    ]);
    assert!(!lines(&out).is_empty());
    // Serial captures are out of scope, and say so.
    let out = decode(&["--protocol", "modbus-rtu", "--pcap", CAPTURE]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("out of scope"));
}

// ---------------------------------------------------------------------------------------------
// --hex.

fn hex_lines(args: &[&str]) -> Vec<Value> {
    let out = decode(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    lines(&out)
}

#[test]
fn hex_frames_decode_in_every_framing() {
    let tcp = hex_lines(&[
        "--protocol",
        "modbus-tcp",
        "--hex",
        "00 01 00 00 00 06 11 03 00 6B 00 03",
    ]);
    assert_eq!(
        tcp,
        [
            serde_json::json!({"transaction_id": 1, "protocol_id": 0, "length": 6, "unit_id": 17,
            "function_code": 3, "function": "Read Holding Registers", "kind": "request",
            "address": 107, "quantity": 3})
        ]
    );
    // Spec §6.3 example response over RTU, with its CRC.
    let rtu = hex_lines(&[
        "--protocol",
        "modbus-rtu",
        "--response",
        "--hex",
        "11 03 06 02 2B 00 00 00 64 C8 BA",
    ]);
    assert_eq!(rtu[0]["unit_id"], 17);
    assert_eq!(rtu[0]["kind"], "response");
    assert_eq!(rtu[0]["values"], serde_json::json!([555, 0, 100]));
    assert_eq!(rtu[0]["crc"], "0xbac8");
    let ascii = hex_lines(&["--protocol", "modbus-ascii", "--hex", ":1103006B00037E"]);
    assert_eq!(ascii[0]["unit_id"], 17);
    assert_eq!(ascii[0]["address"], 107);
    assert_eq!(ascii[0]["lrc"], "0x7e");
    // The same ASCII frame given as the hex of its characters.
    let ascii_bytes = hex::encode(b":1103006B00037E\r\n");
    let again = hex_lines(&["--protocol", "modbus-ascii", "--hex", &ascii_bytes]);
    assert_eq!(again, ascii);
    // An exception, and a frame error that is reported, not fatal.
    let exception = hex_lines(&[
        "--protocol",
        "modbus-tcp",
        "--response",
        "--hex",
        "0002 0000 0003 01 81 02",
    ]);
    assert_eq!(exception[0]["kind"], "exception");
    assert_eq!(exception[0]["function"], "Read Coils");
    assert_eq!(exception[0]["exception"], "ILLEGAL DATA ADDRESS");
    let bad_crc = hex_lines(&[
        "--protocol",
        "modbus-rtu",
        "--hex",
        "11 03 00 6B 00 03 00 00",
    ]);
    assert_eq!(bad_crc[0]["error_in"], "rtu");
    assert!(
        bad_crc[0]["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("bad CRC at byte 6")),
        "{bad_crc:?}"
    );
    let out = decode(&["--protocol", "modbus-tcp", "--hex", "not hex"]);
    assert_eq!(out.status.code(), Some(1));
}
