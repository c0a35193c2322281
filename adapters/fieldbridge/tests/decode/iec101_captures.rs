//! IEC 101: the serial-line sessions recorded between two lib60870-C stations
//! (`captures/iec101/`, see its README) read with `--serial-dump`: every frame decodes, the
//! output equals the session's checked decode, and every ASDU agrees with what lib60870-C's master
//! itself logged having sent and received (`NAME.lib60870.log`): type, cause, P/N, test,
//! originator, common address, SQ, the number of objects, and each object's address, value,
//! select bit, qualifier and time tag.

use serde_json::Value;

use crate::{decode_ok, lines};

/// The folder of the IEC 101 captures, relative to the repository root.
const DIR: &str = "captures/iec101";

/// Every session: its name, its sizes (link address, COT, CA, IOA octets), whether link
/// addresses are compared with the log (the master logs the slave's address; in balanced mode
/// the slave's frames carry the master's), and how many ASDUs the master logged (sent,
/// received).
const SESSIONS: [Session; 3] = [
    ("unbalanced", ["1", "1", "1", "2"], true, (8, 26)),
    ("balanced", ["2", "2", "2", "3"], false, (4, 11)),
    ("rejects", ["2", "2", "2", "3"], true, (2, 5)),
];

/// A session of [`SESSIONS`]: name, sizes, whether links are compared, (sent, received).
type Session = (&'static str, [&'static str; 4], bool, (usize, usize));

/// An object of the log: its address, its value, and the attributes after it (`q=00`, `se=1`).
type LoggedObject = (u64, String, Vec<(String, String)>);

fn decode_session(name: &str, sizes: [&str; 4]) -> Vec<Value> {
    let dump = format!("{DIR}/{name}.hex");
    lines(&decode_ok(&[
        "--protocol",
        "iec101",
        "--serial-dump",
        &dump,
        "--link-address-size",
        sizes[0],
        "--cot-size",
        sizes[1],
        "--ca-size",
        sizes[2],
        "--ioa-size",
        sizes[3],
    ]))
}

/// One `asdu` or `sent` line of the lib60870 log: its fields, and its objects as
/// `(ioa, value, [(key, value)])`.
struct Logged {
    fields: Vec<(String, String)>,
    objects: Vec<LoggedObject>,
}

fn logged(line: &str) -> Logged {
    let mut fields = Vec::new();
    let mut objects = Vec::new();
    for token in line.split_whitespace().skip(1) {
        let (key, value) = token.split_once('=').unwrap_or((token, ""));
        match key.parse::<u64>() {
            Ok(ioa) => {
                let mut parts = value.split(',');
                let first = parts.next().unwrap_or_default().to_owned();
                let attrs = parts
                    .filter_map(|p| p.split_once('='))
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect();
                objects.push((ioa, first, attrs));
            }
            Err(_) => fields.push((key.to_owned(), value.to_owned())),
        }
    }
    Logged { fields, objects }
}

/// The civil time lib60870's log prints (`2026-12-07T02:14:30.825`) as ours does.
fn our_time(logged: &str) -> String {
    logged.replacen('T', " ", 1)
}

/// Checks our decode of one frame's ASDU against the lib60870 log line.
fn agree(frame: &Value, log: &Logged, check_link: bool, context: &str) {
    let asdu = &frame["asdu"];
    for (key, value) in &log.fields {
        let ours = match key.as_str() {
            "link" if check_link => frame["link_address"].to_string(),
            "type" => asdu["type_id"].to_string(),
            "cot" => asdu["cot"].to_string(),
            "pn" => u8::from(asdu["negative"] == true).to_string(),
            "test" => u8::from(asdu["test"] == true).to_string(),
            "oa" => match asdu.get("originator") {
                Some(o) => o.to_string(),
                None => "-1".to_owned(),
            },
            "ca" => asdu["common_address"].to_string(),
            "sq" => u8::from(asdu["sq"] == true).to_string(),
            "n" => asdu["count"].to_string(),
            _ => continue,
        };
        assert_eq!(&ours, value, "{context}: {key} of {frame}");
    }
    let objects = asdu["objects"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        objects.len(),
        log.objects.len(),
        "{context}: objects of {frame}"
    );
    let type_id = asdu["type_id"].as_u64().unwrap_or_default();
    for (o, (ioa, first, attrs)) in objects.iter().zip(&log.objects) {
        assert_eq!(o["ioa"].as_u64(), Some(*ioa), "{context}: {o}");
        let value_agrees = match (type_id, &o["value"]) {
            (100 | 101, _) => [&o["qoi"], &o["qcc"]]
                .iter()
                .any(|q| q.as_u64().map(|q| q.to_string()).as_ref() == Some(first)),
            (103, v) => v["time"].as_str() == Some(our_time(first).as_str()),
            (_, Value::Bool(b)) => first == if *b { "1" } else { "0" },
            (_, v) => match (v.as_f64(), first.parse::<f64>()) {
                (Some(a), Ok(b)) => (a - b).abs() <= 1e-6 * b.abs().max(1.0),
                _ => false,
            },
        };
        assert!(value_agrees, "{context}: value {first} logged, ours {o}");
        for (key, value) in attrs {
            let ours = match key.as_str() {
                "se" => u8::from(o["select"] == true).to_string(),
                "qu" => o["qu"].to_string(),
                "q" if value == "00" => {
                    assert_eq!(o["quality"], serde_json::json!([]), "{context}: {o}");
                    continue;
                }
                "t" => {
                    assert_eq!(
                        o["time_tag"]["time"].as_str(),
                        Some(our_time(value).as_str()),
                        "{context}: {o}"
                    );
                    continue;
                }
                other => panic!("{context}: the log's {other}={value} is not compared"),
            };
            assert_eq!(&ours, value, "{context}: {key} of {o}");
        }
    }
}

#[test]
fn every_frame_of_every_session_decodes_to_its_checked_file() {
    for (name, sizes, _, _) in SESSIONS {
        let ours = decode_session(name, sizes);
        let frames = std::fs::read_to_string(
            fieldbridge_tests::repo_root().join(format!("{DIR}/{name}.hex")),
        )
        .expect("the session dump")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .count();
        assert_eq!(ours.len(), frames, "{name}: one line per frame");
        assert!(
            ours.iter().all(|l| l.get("error").is_none()),
            "{name}: every frame decodes"
        );
        let checked = std::fs::read_to_string(
            fieldbridge_tests::repo_root().join(format!("{DIR}/{name}.decode.jsonl")),
        )
        .expect("the checked decode");
        let checked: Vec<Value> = checked
            .lines()
            .map(|l| serde_json::from_str(l).expect("JSON"))
            .collect();
        assert_eq!(ours, checked, "{name}: the decode changed");
    }
}

#[test]
fn every_asdu_agrees_with_what_the_lib60870_master_logged() {
    for (name, sizes, check_link, (sent, received)) in SESSIONS {
        let ours = decode_session(name, sizes);
        let log = std::fs::read_to_string(
            fieldbridge_tests::repo_root().join(format!("{DIR}/{name}.lib60870.log")),
        )
        .expect("the master's log");
        for (kind, from, expected) in [("sent", "master", sent), ("asdu", "slave", received)] {
            let logged: Vec<Logged> = log
                .lines()
                .filter(|l| l.split_whitespace().next() == Some(kind))
                .map(logged)
                .collect();
            let frames: Vec<&Value> = ours
                .iter()
                .filter(|l| l["from"] == from && l.get("asdu").is_some())
                .collect();
            assert_eq!(logged.len(), expected, "{name}: {kind} lines in the log");
            assert_eq!(
                frames.len(),
                logged.len(),
                "{name}: frames with an ASDU from the {from}, and the log's {kind} lines"
            );
            for (n, (frame, log)) in frames.iter().zip(&logged).enumerate() {
                agree(frame, log, check_link, &format!("{name}, {kind} #{n}"));
            }
        }
    }
}
