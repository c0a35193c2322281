//! IEC 104 from a TCP stream that is not tidy: an APDU split over two segments, two in one, a
//! retransmission, a segment the capture missed, an APDU out of step, and a capture that ends
//! inside an APDU. Each damage gives one error line and decoding goes on.

use serde_json::{json, Value};

use pcap_file::DataLink;

use crate::tcp_capture::{packet, write_pcap, Endpoint, ACK, PSH_ACK, SYN, SYN_ACK};
use crate::{decode_ok, lines};

const CLIENT: Endpoint = ([10, 0, 0, 1], 40000);
const SERVER: Endpoint = ([10, 0, 0, 2], 2404);

/// An I frame from the server: N(S) `ns`, N(R) 0, M_SP_NA_1 spont at CA 47, IOA `ioa`, on.
fn i_frame(ns: u16, ioa: u8) -> Vec<u8> {
    vec![
        0x68,
        0x0e,
        (ns << 1) as u8,
        (ns >> 7) as u8,
        0,
        0, // APCI
        0x01,
        0x01,
        0x03,
        0x00,
        0x2f,
        0x00,
        ioa,
        0x00,
        0x00,
        0x01, // ASDU
    ]
}

/// The capture's packets.
fn packets() -> Vec<Vec<u8>> {
    let startdt_act = [0x68, 0x04, 0x07, 0x00, 0x00, 0x00];
    let startdt_con = [0x68, 0x04, 0x0b, 0x00, 0x00, 0x00];
    let (i0, i1, i2) = (i_frame(0, 10), i_frame(1, 11), i_frame(2, 12));
    let bad = [0x00, 0x04, 0x01, 0x00, 0x02, 0x00]; // start byte 0x00
    let s_frame = [0x68, 0x04, 0x01, 0x00, 0x06, 0x00]; // S, N(R) 3
    let (c, s) = (100u32, 900u32);
    let mut con_i0 = startdt_con.to_vec();
    con_i0.extend_from_slice(&i0);
    let after_con_i0 = s + con_i0.len() as u32;
    let after_i1 = after_con_i0 + i1.len() as u32;
    let after_i2 = after_i1 + i2.len() as u32;
    vec![
        packet(CLIENT, SERVER, c - 1, 0, SYN, &[]),
        packet(SERVER, CLIENT, s - 1, c, SYN_ACK, &[]),
        packet(CLIENT, SERVER, c, s, ACK, &[]),
        // STARTDT act in two pieces.
        packet(CLIENT, SERVER, c, s, PSH_ACK, &startdt_act[..3]),
        packet(CLIENT, SERVER, c + 3, s, PSH_ACK, &startdt_act[3..]),
        // STARTDT con and the first I frame in one segment, then sent again.
        packet(SERVER, CLIENT, s, c + 6, PSH_ACK, &con_i0),
        packet(SERVER, CLIENT, s, c + 6, PSH_ACK, &con_i0),
        // The second I frame is not in the capture; the third is.
        packet(SERVER, CLIENT, after_i1, c + 6, PSH_ACK, &i2),
        // The client acknowledges all three: the missing bytes were sent.
        packet(CLIENT, SERVER, c + 6, after_i2, PSH_ACK, &bad),
        packet(CLIENT, SERVER, c + 12, after_i2, PSH_ACK, &s_frame),
        // The capture stops four bytes into the next APDU.
        packet(
            SERVER,
            CLIENT,
            after_i2,
            c + 18,
            PSH_ACK,
            &i_frame(3, 13)[..4],
        ),
    ]
}

#[test]
fn an_untidy_stream_decodes_with_one_error_line_per_damage() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("stream.pcap");
    write_pcap(&path, DataLink::ETHERNET, &packets());
    let l = lines(&decode_ok(&[
        "--protocol",
        "iec104",
        "--pcap",
        path.to_str().unwrap(),
    ]));
    let summary: Vec<Value> = l
        .iter()
        .map(|o| {
            let what = o
                .get("u_function")
                .or_else(|| o.pointer("/asdu/objects/0/ioa"))
                .or_else(|| o.get("nr"))
                .or_else(|| o.get("error_in"))
                .cloned()
                .unwrap_or(Value::Null);
            json!([o["frame"], o["from"], what])
        })
        .collect();
    assert_eq!(
        summary,
        [
            json!([5, "client", "STARTDT act"]),
            json!([6, "server", "STARTDT con"]),
            json!([6, "server", 10]),
            json!([8, "server", "tcp"]), // the missing I frame, seen from the gap
            json!([8, "server", 12]),
            json!([9, "client", "apci"]),
            json!([10, "client", 3]),
            json!([11, "server", "tcp"]), // the capture ends inside an APDU
        ],
        "{l:#?}"
    );
    assert!(l[3]["error"]
        .as_str()
        .unwrap()
        .starts_with("16 bytes of the TCP stream missing"));
    assert_eq!(l[5]["error_offset"], 0);
    assert_eq!(l[5]["discarded"], 6);
    assert!(l[5]["error"]
        .as_str()
        .unwrap()
        .contains("bad start byte 0x00"));
    assert_eq!(l[7]["raw"], "680e0600");
    assert!(l[7]["error"]
        .as_str()
        .unwrap()
        .contains("ends inside a frame"));
}
