//! A capture built here: split, duplicated, reordered and coalesced segments, on every link type
//! the decoder reads; and a capture that stops inside a frame.

use std::path::{Path, PathBuf};

use pcap_file::DataLink;
use serde_json::Value;

use crate::tcp_capture::{ip_tcp, write_pcap, Endpoint, ACK, ETHERNET, PSH_ACK, SYN};
use crate::{decode_ok, lines};

const CLIENT: Endpoint = ([10, 0, 0, 1], 1025);
const SERVER: Endpoint = ([10, 0, 0, 2], 5020);

/// The packet in the link-layer header of `link`.
fn framed(link: DataLink, ip: &[u8]) -> Vec<u8> {
    let mut p = match link {
        DataLink::ETHERNET => ETHERNET.to_vec(),
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
    let packets: Vec<Vec<u8>> = session().iter().map(|ip| framed(link, ip)).collect();
    write_pcap(path, link, &packets);
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
        let ours = lines(&decode_ok(&[
            "--protocol",
            "modbus-tcp",
            "--pcap",
            path.to_str().unwrap(),
        ]));
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
    let half = ip_tcp(CLIENT, SERVER, 1, 1, PSH_ACK, &[0, 9, 0, 0, 0, 6, 1]);
    write_pcap(&path, DataLink::RAW, &[half]);
    let ours = lines(&decode_ok(&[
        "--protocol",
        "modbus-tcp",
        "--pcap",
        path.to_str().unwrap(),
    ]));
    assert_eq!(ours.len(), 1, "{ours:?}");
    assert_eq!(
        ours[0]["error"],
        "the capture ends inside a frame: only 7 bytes of it"
    );
    assert_eq!(ours[0]["raw"], "00090000000601");
}
