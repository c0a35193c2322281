//! DLMS/COSEM: the Gurux captures of `captures/dlms` (see its README) decode to their checked
//! files and agree, frame by frame, with the summary Gurux's translator produced
//! (`summary.txt`); ciphered APDUs decipher with `keys.json` or with the configuration's key
//! files, and a wrong key says so on the line; HDLC and wrapper frames from `--hex`, with
//! garbage, a bad FCS and a frame cut short; usage mistakes.
//!
//! Hex vectors are frames of those captures (`captures/dlms/*.frames.jsonl`, recorded between
//! Gurux's client and a Gurux meter).

use std::path::Path;

use fieldbridge_tests::repo_root;
use serde_json::Value;

use crate::{assert_decodes_to_checked_file, decode, decode_ok, lines};

/// The folder of the DLMS captures, relative to the repository root.
const DIR: &str = "captures/dlms";
/// Their keys.
const KEYS: &str = "captures/dlms/keys.json";

/// Every scenario, and whether it is decoded with the keys.
const SCENARIOS: [(&str, bool); 10] = [
    ("wrapper-none", false),
    ("wrapper-low", false),
    ("wrapper-hls", false),
    ("wrapper-ciphered", true),
    ("wrapper-ciphered-general", true),
    ("hdlc-none", false),
    ("hdlc-low", false),
    ("hdlc-hls", false),
    ("hdlc-ciphered", true),
    ("hdlc-ciphered-general", true),
];

/// SNRM from client 0x10 to server 1/17 (hdlc-none, frame 1).
const SNRM: &str = "7EA00802232193BD647E";
/// UA with the HDLC parameters (hdlc-none, frame 2).
const UA: &str = "7EA01F21022373E6C7818012050180060180070400000001080400000001533B7E";
/// I frame carrying an AARQ, no authentication (hdlc-none, frame 3).
const I_AARQ: &str =
    "7EA02C02232110AF9FE6E600601DA109060760857405080101BE10040E01000000065F1F0400401E5D020099E07E";
/// GET-Request of 1-0:1.8.0 value in the wrapper (wrapper-none, frame 3).
const WRAPPED_GET: &str = "000100100001000DC001C100030100010800FF0200";
/// Its GET-Response, 12345678 (wrapper-none, frame 4).
const WRAPPED_RESPONSE: &str = "0001000100100009C401C1000600BC614E";
/// glo-get-request, frame counter 19, of 1-0:1.8.0 value (wrapper-ciphered, frame 5).
const WRAPPED_GLO_GET: &str =
    "0001000100010020C81E300000001388C431D4C1F3234D6CFFEEB97FC988608AB5C85592C72EB58A";
/// Its glo-get-response, frame counter 259 (wrapper-ciphered, frame 6).
const WRAPPED_GLO_RESPONSE: &str =
    "000100010001001CCC1A300000010334DC7D6152EE583E7CDD06C9F74F407D8BA20DD946";

fn capture_args(scenario: &str, keys: bool) -> Vec<String> {
    let transport = scenario.split('-').next().unwrap_or_default();
    let mut args = vec![
        "--protocol".to_owned(),
        format!("dlms-{transport}"),
        "--pcap".to_owned(),
        format!("{DIR}/{scenario}.pcapng"),
    ];
    if keys {
        args.extend(["--keys".to_owned(), KEYS.to_owned()]);
    }
    args
}

fn as_strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

/// Every value of `key` anywhere in `v`.
fn all<'a>(v: &'a Value, key: &str, out: &mut Vec<&'a Value>) {
    match v {
        Value::Object(map) => {
            for (k, inner) in map {
                if k == key {
                    out.push(inner);
                }
                all(inner, key, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| all(i, key, out)),
        _ => {}
    }
}

fn values<'a>(v: &'a Value, key: &str) -> Vec<&'a Value> {
    let mut out = Vec::new();
    all(v, key, &mut out);
    out
}

#[test]
fn every_dlms_capture_decodes_to_its_checked_file() {
    for (scenario, keys) in SCENARIOS {
        let args = capture_args(scenario, keys);
        let checked = format!("{DIR}/{scenario}.decode.jsonl");
        assert_decodes_to_checked_file(&as_strs(&args), &checked);
    }
}

#[test]
fn every_dlms_capture_in_the_folder_is_checked() {
    let dir = repo_root().join(DIR);
    for entry in std::fs::read_dir(&dir).expect("captures/dlms") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("pcapng") {
            continue;
        }
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        assert!(
            SCENARIOS.iter().any(|(s, _)| *s == stem),
            "{stem}.pcapng has no checked decode: add it to SCENARIOS"
        );
    }
}

/// The frames of one scenario in `summary.txt`: `(direction, the rest of the line)`.
fn summary(scenario: &str) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(repo_root().join(DIR).join("summary.txt")).expect("summary");
    let mut inside = false;
    let mut out = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("== ") {
            inside = rest.split_whitespace().next() == Some(scenario);
            continue;
        }
        let mut words = line.split_whitespace();
        if inside && words.next().is_some_and(|n| n.parse::<u32>().is_ok()) {
            let dir = words.next().unwrap_or_default().to_owned();
            out.push((dir, line.to_owned()));
        }
    }
    out
}

/// The number after `label` in `line` (`IC 18`, `N(S)=3`).
fn number_after(line: &str, label: &str) -> Option<u64> {
    let at = line.find(label)? + label.len();
    let digits: String = line[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

#[test]
fn every_frame_agrees_with_the_gurux_translator_summary() {
    for (scenario, keys) in SCENARIOS {
        let ours = lines(&decode_ok(&as_strs(&capture_args(scenario, keys))));
        let theirs = summary(scenario);
        assert_eq!(ours.len(), theirs.len(), "{scenario}: frames");
        for (n, (line, (dir, text))) in ours.iter().zip(&theirs).enumerate() {
            let at = format!("{scenario} frame {}: {text}", n + 1);
            let from = if dir == "c2s" { "client" } else { "server" };
            assert_eq!(line["from"], from, "{at}");
            assert!(line.get("error").is_none(), "{at}: {line}");
            if let Some(ic) = number_after(text, "IC ") {
                let counters = values(line, "frame_counter");
                assert!(counters.iter().any(|c| c.as_u64() == Some(ic)), "{at}");
            }
            if let Some(ns) = number_after(text, "N(S)=") {
                assert_eq!(line["ns"].as_u64(), Some(ns), "{at}");
            }
            if let Some(nr) = number_after(text, "N(R)=") {
                assert_eq!(line["nr"].as_u64(), Some(nr), "{at}");
            }
            if let Some(len) = number_after(text, " len ") {
                assert_eq!(line["length"].as_u64(), Some(len), "{at}");
            }
            if let Some(block) = number_after(text, " block ") {
                let blocks = values(line, "block_number");
                assert!(blocks.iter().any(|b| b.as_u64() == Some(block)), "{at}");
            }
            for word in text.split("uint32 ").skip(1) {
                let value: u64 = word
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect::<String>()
                    .parse()
                    .expect("a number");
                let found = values(line, "value");
                assert!(found.iter().any(|v| v.as_u64() == Some(value)), "{at}");
            }
            if keys && (text.contains("glo_") || text.contains("GeneralGloCiphering")) {
                assert!(!values(line, "deciphered").is_empty(), "{at}: {line}");
            }
        }
    }
}

#[test]
fn a_get_answered_in_blocks_shows_the_whole_profile_on_its_last_block() {
    let out = lines(&decode_ok(&as_strs(&capture_args("hdlc-low", false))));
    let last = out
        .iter()
        .rfind(|l| l["apdu"]["choice"] == "get-response-with-datablock")
        .expect("blocks");
    assert_eq!(last["apdu"]["last_block"], true);
    assert_eq!(last["apdu"]["blocks"], 5);
    assert_eq!(last["segments"], 5);
    let entries = last["apdu"]["data"]["value"].as_array().expect("entries");
    assert_eq!(entries.len(), 96);
    // Entry 95 of the meter's profile (captures/dlms/README.md): 2024-06-02 00:00, import
    // 12340000 + 60 × 95, export 4000 + 3 × 95.
    let e = &entries[95]["value"];
    assert_eq!(
        e[0]["date_time"],
        "2024-06-02T00:00:00.00+00:00 status 0x00"
    );
    assert_eq!(e[1]["value"], 12_345_700);
    assert_eq!(e[2]["value"], 4285);
}

#[test]
fn hdlc_hex_frames_decode_with_the_garbage_between_them_reported() {
    let hex = format!("0055{SNRM}FFFF{UA}{I_AARQ}");
    let out = lines(&decode_ok(&["--protocol", "dlms-hdlc", "--hex", &hex]));
    assert_eq!(out.len(), 5, "{out:?}");
    assert_eq!(out[0]["offset"], 0);
    assert_eq!(out[0]["error_in"], "hdlc");
    assert_eq!(out[0]["raw"], "0055");
    assert_eq!(out[0]["discarded"], 2);
    let snrm = &out[1];
    assert_eq!(snrm["offset"], 2);
    assert_eq!(snrm["frame_type"], "SNRM");
    assert_eq!(snrm["control"], "0x93");
    assert_eq!(snrm["pf"], true);
    assert_eq!(snrm["destination"]["upper"], 1);
    assert_eq!(snrm["destination"]["lower"], 17);
    assert_eq!(snrm["source"]["address"], 16);
    assert_eq!(snrm["fcs"], "0x64bd");
    assert_eq!(out[2]["raw"], "ffff");
    let ua = &out[3];
    assert_eq!(ua["frame_type"], "UA");
    assert_eq!(ua["parameters"]["max_info_field_length_transmit"], 128);
    assert_eq!(ua["parameters"]["window_size_receive"], 1);
    let i = &out[4];
    assert_eq!(
        (i["frame_type"].as_str(), i["ns"].as_u64()),
        (Some("I"), Some(0))
    );
    assert_eq!(i["llc"], "command");
    assert_eq!(i["apdu"]["name"], "AARQ");
    assert_eq!(
        i["apdu"]["application_context_name"],
        "Logical_Name_Referencing_No_Ciphering"
    );
    assert_eq!(
        i["apdu"]["user_information"]["client_max_receive_pdu_size"],
        512
    );
}

#[test]
fn a_frame_with_a_bad_fcs_is_an_error_line_and_the_next_frame_decodes() {
    // The SNRM with its FCS's second octet changed (64 -> 65), then the UA.
    let bad = SNRM.replace("BD647E", "BD657E");
    let hex = format!("{bad}{UA}");
    let out = lines(&decode_ok(&["--protocol", "dlms-hdlc", "--hex", &hex]));
    assert_eq!(out.len(), 2, "{out:?}");
    let error = out[0]["error"].as_str().expect("error");
    assert!(error.contains("bad HDLC FCS"), "{error}");
    assert_eq!(out[0]["error_offset"], 7);
    assert_eq!(out[0]["error_in"], "hdlc");
    assert_eq!(out[1]["frame_type"], "UA");
    assert_eq!(out[1]["offset"], 10);
}

#[test]
fn a_frame_cut_short_is_reported_with_its_bytes() {
    let cut = &UA[..20];
    let out = lines(&decode_ok(&[
        "--protocol",
        "dlms-hdlc",
        "--hex",
        &format!("{SNRM}{cut}"),
    ]));
    assert_eq!(out.len(), 2, "{out:?}");
    assert_eq!(out[1]["offset"], 10);
    assert_eq!(out[1]["error_in"], "hdlc");
    assert_eq!(out[1]["raw"], cut.to_lowercase());
    assert!(out[1]["error"]
        .as_str()
        .is_some_and(|e| e.contains("the input ends inside a frame: 10 bytes")));

    let cut = &WRAPPED_RESPONSE[..20];
    let out = lines(&decode_ok(&[
        "--protocol",
        "dlms-wrapper",
        "--hex",
        &format!("{WRAPPED_GET}{cut}"),
    ]));
    assert_eq!(out.len(), 2, "{out:?}");
    assert_eq!(out[1]["offset"], 21);
    assert_eq!(out[1]["error_in"], "wrapper");
}

#[test]
fn wrapper_hex_pdus_decode_and_a_bad_version_stops_the_stream() {
    let out = lines(&decode_ok(&[
        "--protocol",
        "dlms-wrapper",
        "--hex",
        &format!("{WRAPPED_GET}{WRAPPED_RESPONSE}0002000100100001C4"),
    ]));
    assert_eq!(out.len(), 3, "{out:?}");
    let get = &out[0];
    assert_eq!(
        (get["version"].as_u64(), get["source_wport"].as_u64()),
        (Some(1), Some(16))
    );
    assert_eq!(get["destination_wport"], 1);
    assert_eq!(get["length"], 13);
    let a = &get["apdu"];
    assert_eq!(a["name"], "get-request");
    assert_eq!(a["choice"], "get-request-normal");
    assert_eq!(a["invoke_id"], 1);
    assert_eq!(a["priority"], "high");
    let d = &a["cosem_attribute_descriptor"];
    assert_eq!(d["class_id"], 3);
    assert_eq!(d["instance_id"], "1-0:1.8.0*255");
    assert_eq!(d["attribute_id"], 2);
    let data = &out[1]["apdu"]["data"];
    assert_eq!(data["type"], "double-long-unsigned");
    assert_eq!(data["value"], 12_345_678);
    assert_eq!(out[2]["offset"], 38);
    assert_eq!(out[2]["error_in"], "wrapper");
    assert_eq!(out[2]["error_offset"], 1);
}

/// A keys file in a temporary folder.
fn keys_file(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write keys");
    path.to_str().expect("utf-8 path").to_owned()
}

#[test]
fn hex_ciphered_apdus_decipher_with_the_system_titles_of_the_keys_file() {
    let out = lines(&decode_ok(&[
        "--protocol",
        "dlms-wrapper",
        "--hex",
        &format!("{WRAPPED_GLO_GET}{WRAPPED_GLO_RESPONSE}"),
        "--keys",
        KEYS,
    ]));
    assert_eq!(out.len(), 2);
    let get = &out[0]["apdu"];
    assert_eq!(get["name"], "glo-get-request");
    assert_eq!(get["security_control"]["value"], "0x30");
    assert_eq!(get["security_control"]["encryption"], true);
    assert_eq!(get["frame_counter"], 19);
    assert_eq!(get["sender_system_title"], "4d4d4d0000000001");
    assert_eq!(get["deciphered"]["name"], "get-request");
    let response = &out[1]["apdu"];
    assert_eq!(response["sender_system_title"], "4d4d4d0000bc614e");
    assert_eq!(response["deciphered"]["data"]["value"], 12_345_678);

    // Without the titles, and no AARQ before: the line says which title is missing.
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = keys_file(
        dir.path(),
        "keys.toml",
        "block_cipher_key = \"000102030405060708090A0B0C0D0E0F\"\n\
         authentication_key = \"D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF\"\n",
    );
    let out = lines(&decode_ok(&[
        "--protocol",
        "dlms-wrapper",
        "--hex",
        WRAPPED_GLO_GET,
        "--keys",
        &keys,
    ]));
    let error = out[0]["apdu"]["decipher_error"].as_str().expect("error");
    assert!(error.contains("client_system_title"), "{error}");
}

#[test]
fn a_wrong_key_gives_a_decipher_error_on_each_ciphered_apdu_and_the_rest_decodes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = keys_file(
        dir.path(),
        "wrong.json",
        r#"{"block_cipher_key": "FF0102030405060708090A0B0C0D0E0F",
            "authentication_key": "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF"}"#,
    );
    for scenario in ["wrapper-ciphered", "hdlc-ciphered-general"] {
        let mut args = capture_args(scenario, false);
        args.extend(["--keys".to_owned(), keys.clone()]);
        let out = lines(&decode_ok(&as_strs(&args)));
        let errors: Vec<&Value> = out
            .iter()
            .flat_map(|l| values(l, "decipher_error"))
            .collect();
        // AARQ, AARE and every request and response but the plain RLRQ and RLRE.
        assert_eq!(errors.len(), 16, "{scenario}");
        for e in errors {
            assert!(
                e.as_str()
                    .is_some_and(|e| e.contains("GCM tag does not verify")),
                "{e}"
            );
        }
        assert!(out.iter().all(|l| values(l, "deciphered").is_empty()));
        assert!(out.iter().any(|l| l["apdu"]["name"] == "RLRE"));
    }
}

#[test]
fn the_configuration_key_files_decipher_as_the_keys_file_does() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ek = keys_file(dir.path(), "ek", "000102030405060708090A0B0C0D0E0F\n");
    let ak = keys_file(dir.path(), "ak", "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF\n");
    let mut args = capture_args("wrapper-ciphered", false);
    args.extend([
        "--encryption-key-file".to_owned(),
        ek,
        "--authentication-key-file".to_owned(),
        ak,
    ]);
    let with_files = decode_ok(&as_strs(&args));
    let with_keys = decode_ok(&as_strs(&capture_args("wrapper-ciphered", true)));
    assert_eq!(
        String::from_utf8_lossy(&with_files.stdout),
        String::from_utf8_lossy(&with_keys.stdout)
    );
}

#[test]
fn dlms_usage_mistakes_exit_2_and_an_unreadable_keys_file_exits_1() {
    let capture = format!("{DIR}/wrapper-none.pcapng");
    let mistakes: [(&[&str], &str); 4] = [
        (
            &[
                "--protocol",
                "modbus-tcp",
                "--pcap",
                &capture,
                "--keys",
                KEYS,
            ],
            "--keys is an option of dlms-hdlc and dlms-wrapper",
        ),
        (
            &[
                "--protocol",
                "dlms-wrapper",
                "--hex",
                WRAPPED_GET,
                "--response",
            ],
            "--response is an option of the Modbus framings",
        ),
        (
            &["--protocol", "dlms-hdlc", "--hex", SNRM, "--cot-size", "1"],
            "--cot-size is an option of iec104 and iec101",
        ),
        (
            &[
                "--protocol",
                "iec104",
                "--pcap",
                &capture,
                "--encryption-key-file",
                KEYS,
            ],
            "--encryption-key-file is an option of dlms-hdlc and dlms-wrapper",
        ),
    ];
    for (args, message) in mistakes {
        let out = decode(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
    let out = decode(&[
        "--protocol",
        "dlms-wrapper",
        "--pcap",
        &capture,
        "--keys",
        "captures/dlms/no-such-keys.json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
}
