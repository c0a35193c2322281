//! Running tshark on a capture and reading its JSON: one layer map per frame, and a
//! subtree flattened to field name and values.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// tshark's dissection of a capture: the `_source.layers` object of each frame, by frame
/// number, and each frame's Info column.
#[derive(Debug)]
pub struct Dissection {
    layers: BTreeMap<u32, Value>,
    info: BTreeMap<u32, String>,
}

impl Dissection {
    /// Runs `tshark -r capture ARGS -T json` (and once more for the Info column), with
    /// `TZ=UTC` so absolute times print in UTC; `args` are options such as `-d` and `-o`.
    ///
    /// # Panics
    /// When tshark fails or prints something that is not its JSON.
    pub fn run(tshark: &Path, capture: &Path, args: &[String]) -> Self {
        let mut json = Command::new(tshark);
        json.env("TZ", "UTC").arg("-r").arg(capture).args(args);
        json.args(["-T", "json", "--no-duplicate-keys"]);
        let out = output(json);
        let packets: Vec<Value> = serde_json::from_str(&out).expect("tshark -T json prints JSON");
        let mut layers = BTreeMap::new();
        for packet in packets {
            let frame_layers = packet["_source"]["layers"].clone();
            let number = frame_layers["frame"]["frame.number"]
                .as_str()
                .and_then(|n| n.parse().ok())
                .expect("every packet has frame.number");
            layers.insert(number, frame_layers);
        }

        let mut fields = Command::new(tshark);
        fields.env("TZ", "UTC").arg("-r").arg(capture).args(args);
        fields.args(["-T", "fields", "-e", "frame.number", "-e", "_ws.col.Info"]);
        let info = output(fields)
            .lines()
            .filter_map(|line| {
                let (number, info) = line.split_once('\t')?;
                Some((number.parse().ok()?, info.to_string()))
            })
            .collect();
        Self { layers, info }
    }

    /// The layer `name` of frame `number` (`iec60870_104`, `iec60870_101`, `iec60870_asdu`).
    pub fn layer(&self, number: u32, name: &str) -> Option<&Value> {
        self.layers.get(&number)?.get(name)
    }

    /// The Info column of frame `number`.
    pub fn info(&self, number: u32) -> &str {
        self.info.get(&number).map_or("", String::as_str)
    }

    /// How many frames tshark read.
    pub fn frames(&self) -> usize {
        self.layers.len()
    }
}

fn output(mut command: Command) -> String {
    let out = command.output().expect("run tshark");
    assert!(
        out.status.success(),
        "{command:?} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("tshark prints UTF-8")
}

/// Field name (with its protocol prefix) → every value tshark gave it, read from `value` and
/// every subtree below it (`..._tree` objects, and arrays that `--no-duplicate-keys` made).
/// Keys of `value` for which `skip` is true are left out, with everything below them.
pub fn flatten(value: &Value, skip: impl Fn(&str) -> bool) -> BTreeMap<String, Vec<String>> {
    let mut fields = BTreeMap::new();
    if let Value::Object(map) = value {
        for (key, child) in map {
            if !skip(key) {
                collect(key, child, &mut fields);
            }
        }
    }
    fields
}

fn collect(key: &str, value: &Value, fields: &mut BTreeMap<String, Vec<String>>) {
    match value {
        Value::String(text) => fields
            .entry(key.to_string())
            .or_default()
            .push(text.clone()),
        Value::Array(items) => {
            for item in items {
                collect(key, item, fields);
            }
        }
        Value::Object(map) => {
            for (child_key, child) in map {
                collect(child_key, child, fields);
            }
        }
        other => fields
            .entry(key.to_string())
            .or_default()
            .push(other.to_string()),
    }
}

/// The `IOA: N` subtrees of an `iec60870_asdu` layer, in tshark's order.
pub fn object_trees(asdu: &Value) -> Vec<(&str, &Value)> {
    let Value::Object(map) = asdu else {
        return Vec::new();
    };
    let mut trees = Vec::new();
    for (key, value) in map {
        if key.starts_with("IOA: ") {
            match value {
                Value::Array(items) => trees.extend(items.iter().map(|v| (key.as_str(), v))),
                other => trees.push((key.as_str(), other)),
            }
        }
    }
    trees
}
