//! `--hex`: one frame given on the command line, in each framing.

use serde_json::Value;

use crate::{decode, decode_ok, lines};

fn hex_lines(args: &[&str]) -> Vec<Value> {
    lines(&decode_ok(args))
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
