//! tshark (Wireshark's dissectors) as an oracle: a capture decoded by `tshark -T json`, and the
//! helpers to read its JSON.

use std::path::Path;
use std::process::Command;

use fieldbridge_tests::{repo_root, require, Peer};
use serde_json::Value;

/// Every packet of `capture` (relative to the repository root, or absolute) as tshark decodes
/// it with `args` (Decode-As `-d` and preferences `-o`).
pub(crate) fn tshark_json(capture: &Path, args: &[&str]) -> Vec<Value> {
    let tshark = require(Peer::Tshark);
    let out = Command::new(tshark)
        .current_dir(repo_root())
        .arg("-r")
        .arg(capture)
        .args(["-T", "json"])
        .args(args)
        .output()
        .expect("run tshark");
    assert!(
        out.status.success(),
        "tshark: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("tshark JSON")
}

/// The layers of every packet that has `layer`, with that layer.
pub(crate) fn packets_with<'a>(
    packets: &'a [Value],
    layer: &'a str,
) -> impl Iterator<Item = (&'a Value, &'a Value)> {
    packets.iter().filter_map(move |p| {
        let layers = &p["_source"]["layers"];
        Some((layers, layers.get(layer)?))
    })
}

/// tshark's integers: decimal, or hexadecimal with 0x.
pub(crate) fn number(v: &Value) -> u64 {
    let s = v.as_str().unwrap_or_default();
    match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16),
        None => s.parse(),
    }
    .unwrap_or_else(|_| panic!("tshark number {v}"))
}

/// A layer or subtree that tshark lists when it repeats (several frames in one packet, or
/// `--no-duplicate-keys`), as a list either way.
pub(crate) fn as_list(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    }
}
