//! `fieldbridge decode`: the reference capture against its checked decode and, frame by frame,
//! against tshark (Wireshark's dissectors); a capture built here whose TCP stream is split,
//! duplicated, reordered and coalesced, on every link type the decoder reads; files that are not
//! captures; and `--hex` for each framing. IEC 104 and 101 in `iec104` and `iec101`: the c104
//! session and a public capture against tshark and a checked decode, serial dumps and FT1.2 in
//! TCP.

#[path = "decode/dlms.rs"]
mod dlms;
#[path = "decode/hex_frames.rs"]
mod hex_frames;
#[path = "decode/iec101.rs"]
mod iec101;
#[path = "decode/iec101_captures.rs"]
mod iec101_captures;
#[path = "decode/iec101_peer.rs"]
mod iec101_peer;
#[path = "decode/iec104.rs"]
mod iec104;
#[path = "decode/iec104_live.rs"]
mod iec104_live;
#[path = "decode/iec104_stream.rs"]
mod iec104_stream;
#[path = "decode/iec104_types.rs"]
mod iec104_types;
#[path = "decode/segments.rs"]
mod segments;
#[path = "decode/tcp_capture.rs"]
mod tcp_capture;
#[path = "decode/tshark.rs"]
mod tshark;
#[path = "decode/tshark_json.rs"]
mod tshark_json;

use std::process::{Command, Output};

use fieldbridge_tests::repo_root;
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

/// Runs `fieldbridge decode` with `args`, which must succeed.
fn decode_ok(args: &[&str]) -> Output {
    let out = decode(args);
    assert!(
        out.status.success(),
        "decode {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs `fieldbridge decode` with `args` and compares its output with the checked file
/// `checked` (relative to the repository root), byte for byte; returns the output.
fn assert_decodes_to_checked_file(args: &[&str], checked: &str) -> Output {
    let out = decode_ok(args);
    let actual = String::from_utf8_lossy(&out.stdout);
    let expected = std::fs::read_to_string(repo_root().join(checked)).expect(checked);
    if actual != expected {
        let (a, e): (Vec<_>, Vec<_>) = (actual.lines().collect(), expected.lines().collect());
        let first = (0..a.len().max(e.len()))
            .find(|&i| a.get(i) != e.get(i))
            .unwrap_or(0);
        panic!(
            "the decode of `{args}` differs from {checked} at line {} ({} lines, {} expected):\n\
             ours:     {}\nexpected: {}\n\
             If the change is intended, check the new output by eye against tshark and write it with\n\
             cargo run -p fieldbridge -- decode {args} > {checked}",
            first + 1,
            a.len(),
            e.len(),
            a.get(first).unwrap_or(&"(none)"),
            e.get(first).unwrap_or(&"(none)"),
            args = args.join(" "),
        );
    }
    out
}

/// stdout as JSON objects, one per line.
fn lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// The server port of a recorded capture, from the `Port: N` line of the README of its folder
/// `dir` (which the folder's `record.sh` rewrites when it records again).
fn readme_port(dir: &str) -> String {
    let path = format!("{dir}/README.md");
    let readme = std::fs::read_to_string(repo_root().join(&path)).expect(&path);
    readme
        .lines()
        .find_map(|l| l.strip_prefix("Port: "))
        .map(|p| p.trim().to_owned())
        .unwrap_or_else(|| panic!("a `Port: N` line in {path}"))
}

/// The server port of the reference capture.
fn capture_port() -> String {
    readme_port("captures/modbus")
}

/// The arguments that decode the reference capture, whose server port is `port`.
fn reference_args(port: &str) -> [&str; 6] {
    [
        "--protocol",
        "modbus-tcp",
        "--pcap",
        CAPTURE,
        "--port",
        port,
    ]
}

fn decode_reference_capture() -> Output {
    decode_ok(&reference_args(&capture_port()))
}

#[test]
fn the_reference_capture_decodes_to_its_checked_file() {
    assert_decodes_to_checked_file(&reference_args(&capture_port()), EXPECTED);
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
