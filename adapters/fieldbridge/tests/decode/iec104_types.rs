//! IEC 104: one I frame for each family of type IDs the c104 session does not carry (bitstrings,
//! normalized values, packed single points, protection events, counters with time, regulating
//! step, set-points, bitstring commands, commands with time, end of initialization, read, reset,
//! test with time, parameters, a private type ID, a time tag out of range), each object's fields
//! checked by hand against the standard's encoding and the whole capture against tshark.

use serde_json::{json, Value};
use std::path::Path;

use crate::iec104::compare_with_tshark;
use crate::tcp_capture::write_connection;
use crate::{decode, decode_ok, lines};

/// 2026-01-02 03:04:05.678 as CP56Time2a: ms 5678, minute 4, hour 3, day 2, month 1, year 26.
const CP56: [u8; 7] = [0x2e, 0x16, 0x04, 0x03, 0x02, 0x01, 0x1a];

/// One ASDU of one object, under the 104 sizes: type ID, cause, common address 47, IOA, element.
fn asdu(type_id: u8, cot: u8, ioa: u32, element: &[u8]) -> Vec<u8> {
    let mut a = vec![type_id, 0x01, cot, 0x00, 0x2f, 0x00];
    a.extend_from_slice(&ioa.to_le_bytes()[..3]);
    a.extend_from_slice(element);
    a
}

/// The element octets of each case, the ASDU's type ID and cause, and the object we expect.
fn cases() -> Vec<(u8, u8, Vec<u8>, Value)> {
    let with_time = |e: &[u8]| [e, &CP56[..]].concat();
    let time =
        json!({"time": "2026-01-02 03:04:05.678", "iv": false, "su": false, "day_of_week": 0});
    vec![
        // M_BO_NA_1: BSI 0x12345678, QDS 0.
        (
            7,
            3,
            vec![0x78, 0x56, 0x34, 0x12, 0x00],
            json!({"value": "0x12345678", "quality": []}),
        ),
        // M_ME_NA_1: NVA 0x4000 = 0.5, QDS NT.
        (
            9,
            3,
            vec![0x00, 0x40, 0x40],
            json!({"value": 0.5, "raw": 16384, "quality": ["NT"]}),
        ),
        // M_PS_NA_1: status 0x0005, changes 0x0001, QDS SB.
        (
            20,
            3,
            vec![0x05, 0x00, 0x01, 0x00, 0x20],
            json!({"value": "0x0005", "changed": "0x0001", "quality": ["SB"]}),
        ),
        // M_ME_ND_1: NVA 0xC000 = -0.5, no quality.
        (
            21,
            3,
            vec![0x00, 0xc0],
            json!({"value": -0.5, "raw": -16384}),
        ),
        // M_IT_TB_1: 1000, sequence 31, CA and IV, with time.
        (
            37,
            3,
            with_time(&[0xe8, 0x03, 0x00, 0x00, 0xdf]),
            json!({"value": 1000, "sequence": 31, "carry": false, "adjusted": true, "invalid": true,
                "time_tag": time}),
        ),
        // M_EP_TD_1: SEP on with EI, elapsed 500 ms.
        (
            38,
            3,
            with_time(&[0x0a, 0xf4, 0x01]),
            json!({"value": "on", "elapsed_ms": 500, "quality": ["EI"], "time_tag": time}),
        ),
        // M_EP_TE_1: SPE GS SL1, QDP IV, duration 300 ms.
        (
            39,
            3,
            with_time(&[0x03, 0x80, 0x2c, 0x01]),
            json!({"value": ["GS", "SL1"], "duration_ms": 300, "quality": ["IV"], "time_tag": time}),
        ),
        // M_EP_TF_1: OCI GC CL3, QDP 0, operating time 100 ms.
        (
            40,
            3,
            with_time(&[0x09, 0x00, 0x64, 0x00]),
            json!({"value": ["GC", "CL3"], "operating_ms": 100, "quality": [], "time_tag": time}),
        ),
        // C_RC_NA_1: select, higher, QU 0.
        (
            47,
            6,
            vec![0x82],
            json!({"value": "higher", "select": true, "qu": 0, "qu_name": "no additional definition"}),
        ),
        // C_SE_NA_1: NVA 0x2000 = 0.25, QOS select.
        (
            48,
            6,
            vec![0x00, 0x20, 0x80],
            json!({"value": 0.25, "raw": 8192, "select": true, "ql": 0}),
        ),
        // C_SE_NB_1: SVA 100, QOS execute.
        (
            49,
            6,
            vec![0x64, 0x00, 0x00],
            json!({"value": 100, "select": false, "ql": 0}),
        ),
        // C_BO_NA_1: BSI 0xA5A5A5A5.
        (
            51,
            6,
            vec![0xa5, 0xa5, 0xa5, 0xa5],
            json!({"value": "0xa5a5a5a5"}),
        ),
        // C_SC_TA_1: on, QU 3 (persistent), execute, with time.
        (
            58,
            6,
            with_time(&[0x0d]),
            json!({"value": true, "select": false, "qu": 3, "qu_name": "persistent output",
                "time_tag": time}),
        ),
        // M_EI_NA_1: remote reset after a change of parameters.
        (
            70,
            4,
            vec![0x82],
            json!({"coi": 2, "coi_name": "remote reset", "after_parameter_change": true}),
        ),
        // C_RD_NA_1: the address alone.
        (102, 5, vec![], json!({})),
        // C_RP_NA_1: QRP 1, general reset.
        (105, 6, vec![0x01], json!({"qrp": 1})),
        // C_TS_TA_1: TSC 0x1234, with time.
        (
            107,
            6,
            with_time(&[0x34, 0x12]),
            json!({"tsc": 0x1234, "time_tag": time}),
        ),
        // P_ME_NC_1: 1.5, QPM kind 1 (threshold) with LPC.
        (
            112,
            6,
            vec![0x00, 0x00, 0xc0, 0x3f, 0x41],
            json!({"value": 1.5, "kpa": 1, "lpc": true, "pop": false}),
        ),
        // P_AC_NA_1: QPA 3.
        (113, 6, vec![0x03], json!({"qpa": 3})),
        // F_FR_NA_1: file 1 of 1000 octets ready, FRQ 0.
        (
            120,
            13,
            vec![0x01, 0x00, 0xe8, 0x03, 0x00, 0x00],
            json!({"nof": 1, "lof": 1000, "frq": 0, "negative": false}),
        ),
        // F_SC_NA_1: request file 1.
        (
            122,
            13,
            vec![0x01, 0x00, 0x00, 0x02],
            json!({"nof": 1, "nos": 0, "scq": 2, "scq_name": "request file", "file_error": 0,
                "file_error_name": "no error"}),
        ),
        // F_AF_NA_1: section 1 of file 1 acknowledged positively, with a checksum error.
        (
            124,
            13,
            vec![0x01, 0x00, 0x01, 0x23],
            json!({"nof": 1, "nos": 1, "afq": 3, "afq_name": "positive acknowledge of section transfer",
                "file_error": 2, "file_error_name": "checksum failed"}),
        ),
        // F_DR_TA_1: file 1, 1000 octets, last file of the directory, created at CP56.
        (
            126,
            5,
            [&[0x01, 0x00, 0xe8, 0x03, 0x00, 0x20][..], &CP56[..]].concat(),
            json!({"nof": 1, "lof": 1000, "status": 0, "last_file": true, "subdirectory": false,
                "active": false, "created": time}),
        ),
        // M_SP_TB_1 with month 13: the tag's fields, and why it is no date.
        (
            30,
            3,
            vec![0x01, 0x2e, 0x16, 0x04, 0x03, 0x02, 0x0d, 0x1a],
            json!({"value": true, "quality": [],
                "time_tag": {"time": null,
                             "out_of_range": "month 13 at byte 5 out of range: expected 1..=12",
                             "year": 26, "month": 13, "day": 2, "hour": 3, "minute": 4,
                             "millisecond": 5678, "iv": false, "su": false, "day_of_week": 0}}),
        ),
    ]
}

/// Writes the cases as I frames from the server on port 2404, one per segment, after a
/// handshake; returns the APDUs' bytes too.
fn write_capture(path: &Path, apdus: &[Vec<u8>]) {
    let (client, server) = (([10, 0, 0, 1], 40000), ([10, 0, 0, 2], 2404));
    let segments: Vec<(bool, Vec<u8>)> = apdus.iter().map(|a| (false, a.clone())).collect();
    write_connection(path, (client, server), (100, 900), &segments);
}

#[test]
fn every_family_of_type_ids_decodes_to_its_fields_and_as_tshark_reads_it() {
    let cases = cases();
    let mut apdus = Vec::new();
    for (i, (type_id, cot, element, _)) in cases.iter().enumerate() {
        let a = asdu(*type_id, *cot, 5000 + i as u32, element);
        let mut apdu = vec![0x68, (a.len() + 4) as u8, (i as u8) << 1, 0, 0, 0];
        apdu.extend_from_slice(&a);
        apdus.push(apdu);
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("types.pcap");
    write_capture(&path, &apdus);
    let path = path.to_str().expect("utf-8 path");
    let l = lines(&decode_ok(&["--protocol", "iec104", "--pcap", path]));
    assert_eq!(l.len(), cases.len(), "{l:#?}");
    for (i, (line, (type_id, _, _, expected))) in l.iter().zip(&cases).enumerate() {
        assert_eq!(line["asdu"]["type_id"], *type_id, "{line}");
        let mut expected = expected.clone();
        let fields = expected.as_object_mut().expect("object");
        let mut object = serde_json::Map::new();
        object.insert("ioa".into(), json!(5000 + i));
        object.append(fields);
        assert_eq!(line["asdu"]["objects"], json!([object]), "type {type_id}");
    }
    // tshark agrees on every APCI, data unit identifier and IOA, and on the values it shows.
    // tshark 4.0 shows eleven of the cases as raw data: see `iec104::TSHARK_RAW`.
    let (apdus, objects) = compare_with_tshark(path, None);
    assert_eq!((apdus, objects), (cases.len(), cases.len() - 11));
}

#[test]
fn file_segments_decode_with_their_data() {
    // F_SG_NA_1: IOA 9, file 1, section 2, three octets.
    let a = asdu(125, 13, 9, &[0x01, 0x00, 0x02, 0x03, 0xaa, 0xbb, 0xcc]);
    let mut apdu = vec![0x68, (a.len() + 4) as u8, 0, 0, 0, 0];
    apdu.extend_from_slice(&a);
    let l = lines(&decode(&[
        "--protocol",
        "iec104",
        "--hex",
        &hex::encode(&apdu),
    ]));
    assert_eq!(l.len(), 1, "{l:?}");
    assert_eq!(l[0]["asdu"]["type"], "F_SG_NA_1");
    assert_eq!(
        l[0]["asdu"]["segments"],
        json!([{"ioa": 9, "nof": 1, "nos": 2, "los": 3, "data": "aabbcc"}])
    );
}

#[test]
fn a_private_type_id_keeps_its_bytes() {
    let a = asdu(200, 3, 7, &[0xde, 0xad]);
    let mut apdu = vec![0x68, (a.len() + 4) as u8, 0, 0, 0, 0];
    apdu.extend_from_slice(&a);
    let out = decode(&["--protocol", "iec104", "--hex", &hex::encode(&apdu)]);
    let l = lines(&out);
    assert_eq!(l.len(), 1, "{l:?}");
    let asdu = &l[0]["asdu"];
    assert_eq!(
        (asdu["type_id"].as_u64(), asdu["type"].as_str()),
        (Some(200), None)
    );
    // The IOA and the element, as sent: no layout is known for a private type.
    assert_eq!(asdu["raw"], "070000dead");
    assert!(asdu.get("objects").is_none());
}
