//! IEC 101: FT1.2 frames from a raw serial dump given as hex (fixed, variable, the single
//! character E5, garbage and a bad checksum among them), the size options, and FT1.2 frames
//! carried in TCP, checked against tshark's `iec60870_101` Decode-As.

use std::path::Path;

use serde_json::{json, Value};

use crate::tcp_capture::{write_connection, Endpoint};
use crate::tshark_json::{number, packets_with, tshark_json};
use crate::{decode, decode_ok, lines};

/// The size options of a two-octet link address and the 104 ASDU sizes (COT with originator,
/// CA of two octets, IOA of three).
pub(crate) const WIDE_SIZES: [&str; 8] = [
    "--link-address-size",
    "2",
    "--cot-size",
    "2",
    "--ca-size",
    "2",
    "--ioa-size",
    "3",
];

/// A 101 exchange as a serial line carries it, with line noise, commented frame by frame.
const SERIAL: &str = concat!(
    "00 ff ",                                                 // noise
    "10 49 01 4a 16 ",                                        // fixed, PRM, FC 9, address 1
    "e5 ",                                                    // single character
    "68 09 09 68 08 01 64 01 07 01 00 00 14 8a 16 ",          // C_IC_NA_1 actcon, CA 1
    "68 09 09 68 08 01 64 01 07 01 00 00 14 8b 16 ",          // the same, checksum off by one
    "10 7b 01 7c 16 ",                                        // fixed, FCB FCV, FC 11
    "68 0c 0c 68 53 01 02 01 03 05 0a 00 01 88 13 07 0c 16 ", // M_SP_TA_1 spont, CP24 07:05.000
    "10 49",                                                  // cut short
);

#[test]
fn a_serial_dump_decodes_frame_by_frame_and_skips_what_is_not_a_frame() {
    let l = lines(&decode_ok(&["--protocol", "iec101", "--hex", SERIAL]));
    assert_eq!(l.len(), 8, "{l:#?}");
    // The noise: two bytes, with the reason the first could not start a frame.
    assert_eq!(l[0]["offset"], 0);
    assert_eq!(l[0]["discarded"], 2);
    assert_eq!(l[0]["raw"], "00ff");
    assert_eq!(l[0]["error_in"], "ft12");
    assert!(l[0]["error"]
        .as_str()
        .unwrap()
        .contains("start character 0x00"));
    assert_eq!(
        l[1],
        json!({"offset": 2, "ft12": "fixed", "control": "0x49", "prm": true, "dir": false,
               "fcb": false, "fcv": false, "function_code": 9,
               "function": "request status of link", "link_address": 1})
    );
    assert_eq!(l[2], json!({"offset": 7, "ft12": "single_char"}));
    assert_eq!(l[3]["offset"], 8);
    assert_eq!(
        (l[3]["ft12"].as_str(), l[3]["prm"].as_bool()),
        (Some("variable"), Some(false))
    );
    assert_eq!(l[3]["function"], "user data");
    assert_eq!(
        (l[3]["acd"].as_bool(), l[3]["dfc"].as_bool()),
        (Some(false), Some(false))
    );
    assert_eq!(l[3]["length"], 9);
    let asdu = &l[3]["asdu"];
    assert_eq!(
        (
            asdu["type"].as_str(),
            asdu["cot_name"].as_str(),
            asdu["common_address"].as_u64()
        ),
        (Some("C_IC_NA_1"), Some("actcon"), Some(1))
    );
    // 101's default sizes: one octet of cause, so no originator.
    assert!(asdu.get("originator").is_none(), "{asdu}");
    assert_eq!(
        asdu["objects"],
        json!([{"ioa": 0, "qoi": 20, "qoi_name": "station"}])
    );
    // The bad checksum: the whole frame is skipped (no other start character in it).
    assert_eq!(l[4]["offset"], 23);
    assert_eq!(l[4]["discarded"], 15);
    assert_eq!(l[4]["error_offset"], 13);
    assert!(
        l[4]["error"].as_str().unwrap().contains("checksum"),
        "{}",
        l[4]
    );
    assert_eq!(l[5]["offset"], 38);
    assert_eq!(
        (
            l[5]["fcb"].as_bool(),
            l[5]["fcv"].as_bool(),
            l[5]["function_code"].as_u64()
        ),
        (Some(true), Some(true), Some(11))
    );
    assert_eq!(l[5]["function"], "request user data class 2");
    assert_eq!(l[6]["offset"], 43);
    assert_eq!(l[6]["function"], "user data (send/confirm)");
    assert_eq!(
        l[6]["asdu"]["objects"],
        json!([{"ioa": 10, "value": true, "quality": [], "time_tag": {"time": "07:05.000", "iv": false}}])
    );
    assert_eq!(l[6]["asdu"]["common_address"], 5);
    assert_eq!(l[7]["offset"], 61);
    assert!(
        l[7]["error"]
            .as_str()
            .unwrap()
            .contains("ends inside a frame"),
        "{}",
        l[7]
    );
    assert_eq!(l[7]["raw"], "1049");
}

#[test]
fn the_link_address_and_asdu_sizes_are_options() {
    // Two-octet link address 0x0102, COT with originator 9, CA 0x0304, IOA of three octets:
    // M_ME_NB_1 spont, IOA 0x050607, value -2.
    let body = [
        0x08, 0x02, 0x01, // control: user data; link address 0x0102
        0x0b, 0x01, 0x03, 0x09, 0x04, 0x03, // M_ME_NB_1, 1 object, spont, originator 9, CA
        0x07, 0x06, 0x05, 0xfe, 0xff, 0x10, // IOA 0x050607, SVA -2, QDS BL
    ];
    let mut frame = vec![0x68, body.len() as u8, body.len() as u8, 0x68];
    frame.extend_from_slice(&body);
    frame.push(body.iter().fold(0u8, |s, b| s.wrapping_add(*b)));
    frame.push(0x16);
    let hex = hex::encode(&frame);
    let mut args = vec!["--protocol", "iec101", "--hex", &hex];
    args.extend(WIDE_SIZES);
    let l = lines(&decode(&args));
    assert_eq!(l.len(), 1, "{l:?}");
    assert_eq!(l[0]["link_address"], 0x0102);
    let asdu = &l[0]["asdu"];
    assert_eq!(
        (asdu["originator"].as_u64(), asdu["common_address"].as_u64()),
        (Some(9), Some(0x0304))
    );
    assert_eq!(
        asdu["objects"],
        json!([{"ioa": 0x050607, "value": -2, "quality": ["BL"]}])
    );
    // Read with the defaults, the same frame is out of step: said, not guessed.
    let l = lines(&decode(&["--protocol", "iec101", "--hex", &hex]));
    assert!(l.iter().any(|o| o.get("error").is_some()), "{l:?}");
    // Options that do not belong to the protocol are usage errors.
    let out = decode(&[
        "--protocol",
        "iec104",
        "--link-address-size",
        "1",
        "--hex",
        "e5",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let out = decode(&["--protocol", "modbus-rtu", "--ioa-size", "2", "--hex", "01"]);
    assert_eq!(out.status.code(), Some(2));
}

const MASTER: Endpoint = ([10, 0, 0, 1], 40001);
const SLAVE: Endpoint = ([10, 0, 0, 2], 2405);

/// The frames of a 101 poll, master first, then alternating (each `(from master, bytes)`).
fn poll() -> Vec<(bool, Vec<u8>)> {
    let h = |s: &str| hex::decode(s.replace(' ', "")).expect("hex");
    vec![
        (true, h("10 49 01 4a 16")),  // request status of link
        (false, h("10 0b 01 0c 16")), // status of link
        (true, h("68 09 09 68 73 01 64 01 06 01 00 00 14 f4 16")), // C_IC_NA_1 act
        (false, h("e5")),             // ACK
        (true, h("10 5a 01 5b 16")),  // request class 1
        (
            false,
            h("68 0b 0b 68 08 01 0b 01 03 01 02 01 fe ff 00 19 16"),
        ), // M_ME_NB_1 spont -2
    ]
}

/// Writes the poll as a pcap: a handshake, then each frame in its own segment (as tshark's
/// Decode-As needs), or, with `coalesced`, the first two master frames in one segment and the
/// last slave frame split in two.
fn write_poll(path: &Path, coalesced: bool) {
    let frames = poll();
    let mut segments: Vec<(bool, Vec<u8>)> = Vec::new();
    if coalesced {
        let mut joined = frames[0].1.clone();
        joined.extend_from_slice(&frames[2].1);
        segments.push((true, joined));
        segments.push(frames[1].clone());
        segments.push(frames[3].clone());
        segments.push(frames[4].clone());
        let last = &frames[5].1;
        segments.push((false, last[..7].to_vec()));
        segments.push((false, last[7..].to_vec()));
    } else {
        segments = frames;
    }
    write_segments(path, &segments);
}

/// Writes a TCP connection from the master (10.0.0.1:40001) to the slave (10.0.0.2:2405) as a
/// pcap: the handshake, then one segment per `(from master, bytes)`.
pub(crate) fn write_segments(path: &Path, segments: &[(bool, Vec<u8>)]) {
    write_connection(path, (MASTER, SLAVE), (1000, 5000), segments);
}

/// tshark's `iec60870_101` frames of `capture` decoded as 101 on port 2405: per frame, the frame
/// number and what we call prm, function_code, link_address, and the ASDU's type_id, cot,
/// common_address and IOAs.
pub(crate) fn tshark_frames(capture: &Path, prefs: &[&str]) -> Vec<Value> {
    let mut args = vec!["-d", "tcp.port==2405,iec60870_101", "--no-duplicate-keys"];
    args.extend(prefs.iter().flat_map(|p| ["-o", p]));
    let packets = tshark_json(capture, &args);
    let mut frames = Vec::new();
    for (layers, link) in packets_with(&packets, "iec60870_101") {
        let frame = number(&layers["frame"]["frame.number"]);
        let mut f = json!({"frame": frame});
        // The control field's subtree, when the frame has one (not E5).
        if let Some(ctrl) = link.get("iec60870_101.ctrlfield_tree") {
            let prm = number(&ctrl["iec60870_101.ctrl_prm"]) == 1;
            f["prm"] = json!(prm);
            let code = if prm {
                &ctrl["iec60870_101.ctrl_func_pri_to_sec"]
            } else {
                &ctrl["iec60870_101.ctrl_func_sec_to_pri"]
            };
            f["function_code"] = json!(number(code));
            f["link_address"] = json!(number(&link["iec60870_101.linkaddr"]));
        }
        if let Some(asdu) = layers.get("iec60870_asdu") {
            let ioas: Vec<u64> = asdu
                .as_object()
                .into_iter()
                .flat_map(|m| m.iter())
                .filter(|(k, _)| k.starts_with("IOA"))
                .map(|(_, v)| number(&v["iec60870_asdu.ioa"]))
                .collect();
            f["asdu"] = json!({
                "type_id": number(&asdu["iec60870_asdu.typeid"]),
                "cot": number(&asdu["iec60870_asdu.causetx"]),
                "common_address": number(&asdu["iec60870_asdu.addr"]),
                "ioas": ioas,
            });
        }
        frames.push(f);
    }
    frames
}

/// Our line cut down to the fields of [`tshark_frames`].
pub(crate) fn ours_as_tshark(line: &Value) -> Value {
    let mut f = json!({"frame": line["frame"]});
    for key in ["prm", "function_code", "link_address"] {
        if let Some(v) = line.get(key) {
            f[key] = v.clone();
        }
    }
    if let Some(asdu) = line.get("asdu") {
        let ioas: Vec<Value> = asdu["objects"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|o| o["ioa"].clone())
            .collect();
        f["asdu"] = json!({
            "type_id": asdu["type_id"],
            "cot": asdu["cot"],
            "common_address": asdu["common_address"],
            "ioas": ioas,
        });
    }
    f
}

#[test]
fn ft12_frames_carried_in_tcp_decode_as_tshark_decodes_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("poll.pcap");
    write_poll(&path, false);
    let ours = lines(&decode_ok(&[
        "--protocol",
        "iec101",
        "--pcap",
        path.to_str().unwrap(),
        "--port",
        "2405",
    ]));
    assert_eq!(ours.len(), 6, "{ours:#?}");
    let from: Vec<&str> = ours.iter().map(|o| o["from"].as_str().unwrap()).collect();
    assert_eq!(
        from,
        ["client", "server", "client", "server", "client", "server"]
    );
    assert_eq!(ours[3]["ft12"], "single_char");
    assert_eq!(
        ours[5]["asdu"]["objects"],
        json!([{"ioa": 0x0102, "value": -2, "quality": []}])
    );
    let theirs = tshark_frames(&path, &[]);
    let ours: Vec<Value> = ours.iter().map(ours_as_tshark).collect();
    assert_eq!(ours, theirs);
}

#[test]
fn ft12_frames_split_and_coalesced_in_tcp_decode_the_same() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (one, two) = (dir.path().join("one.pcap"), dir.path().join("two.pcap"));
    write_poll(&one, false);
    write_poll(&two, true);
    // Without --port: the side the SYN went to is the server.
    let strip = |path: &Path| -> Vec<Value> {
        lines(&decode_ok(&[
            "--protocol",
            "iec101",
            "--pcap",
            path.to_str().unwrap(),
        ]))
        .into_iter()
        .map(|mut o| {
            let m = o.as_object_mut().unwrap();
            m.remove("frame");
            m.remove("time");
            o
        })
        .collect()
    };
    let (a, b) = (strip(&one), strip(&two));
    assert_eq!(a.len(), 6);
    let sort = |mut v: Vec<Value>| {
        v.sort_by_key(|o| o.to_string());
        v
    };
    assert_eq!(sort(a), sort(b));
}
