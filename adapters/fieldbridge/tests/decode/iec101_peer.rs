//! IEC 101 from a real peer: lib60870-C 2.3.4's master and slave (`tests/peers/lib60870`) talk
//! over a socat serial line; the master prints every FT1.2 frame it sends and receives and every
//! ASDU (`--raw`). All frames, both directions, make one serial dump for `decode --protocol
//! iec101 --hex`: every frame must decode, and each ASDU must read as lib60870 read or built it
//! (type, cause, P/N, test, common address, SQ, count, addresses, values), under two size
//! configurations.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use fieldbridge_tests::{repo_root, SocatPair};
use serde_json::Value;

use crate::iec101::{ours_as_tshark, tshark_frames, write_segments, WIDE_SIZES};
use crate::{decode, decode_ok, lines};

/// The lib60870 programs, built by `scripts/build-lib60870`.
fn program(name: &str) -> PathBuf {
    let dir = std::env::var_os("FIELDBRIDGE_LIB60870_DIR")
        .map_or_else(|| repo_root().join("target/lib60870"), PathBuf::from);
    let path = dir.join("bin").join(name);
    assert!(
        path.is_file(),
        "{} is missing: run scripts/build-lib60870 (lib60870-C, the IEC 101 peer)",
        path.display()
    );
    path
}

/// A child process killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs the slave and the master with `sizes` (options both take) until the master has
/// interrogated, synchronised the clock and sent its select-before-operate command; returns the
/// master's output lines.
fn exchange(sizes: &[&str]) -> Vec<String> {
    let socat = SocatPair::start();
    let mut slave = Running(
        Command::new(program("cs101_slave"))
            .arg("--device")
            .arg(socat.b())
            .args(sizes)
            .args(["--spontaneous-ms", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start cs101_slave"),
    );
    let mut out = BufReader::new(slave.0.stdout.take().expect("slave stdout"));
    let mut line = String::new();
    while !line.starts_with("ready") {
        line.clear();
        let n = out.read_line(&mut line).expect("read slave");
        assert!(n > 0, "cs101_slave ended before its ready line");
    }
    let master = Command::new(program("cs101_master"))
        .arg("--device")
        .arg(socat.a())
        .args(sizes)
        .args(["--raw", "--exit-when-complete", "--duration-ms", "20000"])
        .output()
        .expect("run cs101_master");
    drop(slave);
    let text = String::from_utf8_lossy(&master.stdout).into_owned();
    assert!(
        master.status.success() && text.contains("complete link=1"),
        "cs101_master did not complete: {}\n{text}",
        String::from_utf8_lossy(&master.stderr)
    );
    text.lines().map(str::to_owned).collect()
}

/// An ASDU in lib60870's words: `type=.. cot=.. pn=.. test=.. ca=.. sq=.. n=..` and each object
/// as `IOA=VALUE` (the value's first field; S/E and QU of commands too).
fn lib60870_asdu(line: &str) -> String {
    let mut parts = Vec::new();
    for token in line.split(' ').skip(2) {
        let keep = ["type=", "cot=", "pn=", "test=", "ca=", "sq=", "n="];
        if keep.iter().any(|k| token.starts_with(k)) {
            parts.push(token.to_owned());
        } else if let Some((ioa, value)) = token.split_once('=') {
            if ioa.parse::<u32>().is_ok() {
                let fields: Vec<&str> = value.split(',').filter(|f| !f.starts_with("q=")).collect();
                let fields: Vec<String> = fields
                    .iter()
                    .map(|f| f.replace('T', " ").replace("t=", ""))
                    .collect();
                parts.push(format!("{ioa}={}", fields.join(",")));
            }
        }
    }
    parts.join(" ")
}

/// The same words for one of our ASDU objects.
fn our_asdu(asdu: &Value) -> String {
    let b = |v: &Value| u8::from(v.as_bool().unwrap_or_default());
    let mut parts = vec![
        format!("type={}", asdu["type_id"]),
        format!("cot={}", asdu["cot"]),
        format!("pn={}", b(&asdu["negative"])),
        format!("test={}", b(&asdu["test"])),
        format!("ca={}", asdu["common_address"]),
        format!("sq={}", b(&asdu["sq"])),
        format!("n={}", asdu["count"]),
    ];
    for o in asdu["objects"].as_array().into_iter().flatten() {
        let mut fields = Vec::new();
        match &o["value"] {
            Value::Bool(on) => fields.push(u8::from(*on).to_string()),
            Value::Number(n) => fields.push(n.to_string().trim_end_matches(".0").to_owned()),
            Value::Object(t) => fields.push(t["time"].as_str().unwrap_or_default().to_owned()),
            _ => {}
        }
        if let Some(q) = o.get("qoi") {
            fields.push(q.to_string());
        }
        if let Some(s) = o.get("select") {
            fields.push(format!("se={}", b(s)));
            fields.push(format!("qu={}", o["qu"]));
        }
        if let Some(t) = o.pointer("/time_tag/time") {
            fields.push(t.as_str().unwrap_or_default().to_owned());
        }
        parts.push(format!("{}={}", o["ioa"], fields.join(",")));
    }
    parts.join(" ")
}

/// Runs an exchange with `sizes` and checks our decode of every frame against lib60870, and
/// against tshark (`prefs`: its settings for the same sizes) with each frame in a TCP segment.
fn check(sizes: &[&str], prefs: &[&str]) {
    let master = exchange(sizes);
    let frames: Vec<&str> = master
        .iter()
        .filter(|l| l.starts_with("frame "))
        .filter_map(|l| l.split("hex=").nth(1))
        .collect();
    let dump = frames.concat();
    let mut args = vec!["--protocol", "iec101", "--hex", &dump];
    args.extend_from_slice(sizes);
    let ours = lines(&decode_ok(&args));
    assert_eq!(ours.len(), frames.len(), "one line per frame: {ours:#?}");
    assert!(
        ours.iter().all(|o| o.get("error").is_none()),
        "every frame decodes: {ours:#?}"
    );
    let mut expected: Vec<String> = master
        .iter()
        .filter(|l| l.starts_with("asdu ") || l.starts_with("sent "))
        .map(|l| lib60870_asdu(l))
        .collect();
    let mut found: Vec<String> = ours
        .iter()
        .filter_map(|o| o.get("asdu"))
        .map(our_asdu)
        .collect();
    // A frame repeated on the link is decoded twice but delivered or sent once.
    expected.sort();
    expected.dedup();
    found.sort();
    found.dedup();
    assert_eq!(found, expected);
    assert!(
        found.len() >= 8,
        "the exchange carried too little: {found:#?}"
    );

    // The same frames, each in a TCP segment from the side that sent it, read by tshark.
    let segments: Vec<(bool, Vec<u8>)> = master
        .iter()
        .filter(|l| l.starts_with("frame "))
        .map(|l| {
            let hex = l.split("hex=").nth(1).unwrap_or_default();
            (l.contains("dir=tx"), hex::decode(hex).expect("frame hex"))
        })
        .collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("lib60870.pcap");
    write_segments(&path, &segments);
    let path_text = path.to_str().expect("utf-8 path");
    let mut args = vec![
        "--protocol",
        "iec101",
        "--pcap",
        path_text,
        "--port",
        "2405",
    ];
    args.extend_from_slice(sizes);
    let ours: Vec<Value> = lines(&decode(&args)).iter().map(ours_as_tshark).collect();
    assert_eq!(ours.len(), segments.len());
    assert_eq!(ours, tshark_frames(&path, prefs));
}

#[test]
fn every_frame_between_lib60870_master_and_slave_decodes_as_lib60870_reads_it() {
    check(&[], &[]);
}

#[test]
fn the_same_with_two_octet_link_addresses_and_the_104_asdu_sizes() {
    check(
        &WIDE_SIZES,
        &[
            "iec60870_101.linkaddr_len:2 octet",
            "iec60870_101.cot_len:2 octet",
            "iec60870_101.asdu_addr_len:2 octet",
            "iec60870_101.asdu_ioa_len:3 octet",
        ],
    );
}
