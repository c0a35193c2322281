//! Shared by the end-to-end tests: the bridge as a child process, configurations built from the
//! peer's register map, and value comparison.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use fieldbridge_tests::ModbusMap;
use serde_json::Value;

/// The `fieldbridge` binary built by cargo for these tests.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_fieldbridge"))
}

/// A bridge process, killed on drop; its stderr goes to a file for post-mortems.
#[derive(Debug)]
pub struct BridgeProcess {
    child: Child,
    pub log: PathBuf,
}

impl BridgeProcess {
    /// `fieldbridge run --config <config>`.
    pub fn run(config: &Path, dir: &Path) -> BridgeProcess {
        let log = dir.join("bridge.log");
        let stderr = std::fs::File::create(&log).expect("bridge log file");
        let child = Command::new(binary())
            .args(["run", "--config"])
            .arg(config)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("start fieldbridge run");
        BridgeProcess { child, log }
    }

    /// What the bridge logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL, as a crash or an OOM kill would: no shutdown code runs.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then wait for the exit status.
    pub fn terminate(&mut self) -> Option<std::process::ExitStatus> {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        for _ in 0..300 {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        None
    }
}

impl Drop for BridgeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `[bridge]` and `[mqtt]` tables of a test bridge.
pub fn header(site: &str, data_dir: &Path, mqtt_url: &str) -> String {
    format!(
        "[bridge]\nid = \"e2e\"\nsite = \"{site}\"\ndata_dir = \"{}\"\n\n[mqtt]\nurl = \"{mqtt_url}\"\nprefix = \"fieldbridge\"\nreconnect_min = \"100ms\"\nreconnect_max = \"1s\"\n\n",
        data_dir.display()
    )
}

/// One `[[source.point]]` per point of the peer's map, with a unit so units can be checked.
pub fn map_points(map: &ModbusMap, unit_id: Option<u8>) -> String {
    let mut out = String::new();
    for p in &map.points {
        let _ = write!(
            out,
            "  [[source.point]]\n  name = \"{}\"\n  register = \"{}\"\n  type = \"{}\"\n",
            p.name, p.register, p.data_type
        );
        if p.word_order != "abcd" {
            let _ = writeln!(out, "  word_order = \"{}\"", p.word_order);
        }
        if let Some(scale) = p.scale {
            let _ = writeln!(out, "  scale = {scale:?}");
        }
        let _ = writeln!(out, "  unit = \"u-{}\"", p.name);
        if let Some(u) = unit_id {
            let _ = writeln!(out, "  unit_id = {u}");
        }
        out.push('\n');
    }
    out
}

/// Whether a published value equals the map's expected one: f32 points at f32 precision (the
/// bridge publishes an f32's shortest decimal form), other floats to a relative 1e-9.
pub fn same_value(got: &Value, expected: &Value, data_type: &str) -> bool {
    match (got.as_f64(), expected.as_f64()) {
        (Some(g), Some(e)) if data_type == "f32" => (g as f32).to_bits() == (e as f32).to_bits(),
        (Some(g), Some(e)) if got.is_f64() || expected.is_f64() => {
            (g - e).abs() <= 1e-9 * e.abs().max(1.0)
        }
        _ => got == expected,
    }
}
