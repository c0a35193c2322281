//! The bridge's configuration: one `dlms` source per meter (`docs/configuration.md`, *DLMS/COSEM
//! sources*), and how it is checked before the run.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::meters::Simulators;

/// The site of every topic.
pub(crate) const SITE: &str = "bench";
/// The clock point's name: one sample of it per completed read of a meter.
pub(crate) const CLOCK_POINT: &str = "clock";

/// What the sources read and how.
#[derive(Debug, Clone)]
pub(crate) struct SourceSettings {
    pub(crate) meters: usize,
    pub(crate) per_sim: usize,
    pub(crate) poll_secs: u64,
    pub(crate) hdlc: bool,
    pub(crate) profile: bool,
    pub(crate) sync: String,
}

/// The device name of meter `i`.
pub(crate) fn device(i: usize) -> String {
    format!("meter{i:04}")
}

/// Writes `dir/bridge.toml`: `meters` sources, each polling both energy registers (class 3,
/// scaled), the clock (class 8) and, with `profile`, the load profile 1.0.99.1.0.255 (class 7,
/// attribute 2: the entries since the last one seen) every `poll_secs`; metrics on
/// `metrics_port`.
pub(crate) fn write(
    dir: &Path,
    broker_port: u16,
    metrics_port: u16,
    sims: &Simulators,
    s: &SourceSettings,
) -> PathBuf {
    let mut c = format!(
        "[bridge]\nid = \"dlms-scale\"\nsite = \"{SITE}\"\ndata_dir = \"{}\"\n\n\
         [mqtt]\nurl = \"mqtt://127.0.0.1:{broker_port}\"\nprefix = \"fieldbridge\"\n\n\
         [outbox]\nsync = \"{}\"\n\n[metrics]\nlisten = \"127.0.0.1:{metrics_port}\"\n\n",
        dir.join("var").display(),
        s.sync
    );
    let transport = if s.hdlc {
        "transport = \"hdlc\"\nphysical_address = 17\n"
    } else {
        "transport = \"wrapper\"\n"
    };
    for i in 0..s.meters {
        let _ = write!(
            c,
            "[[source]]\nname = \"{}\"\nprotocol = \"dlms\"\naddress = \"{}\"\n{transport}\
             client_address = 16\nserver_address = 1\npoll = \"{}s\"\n\
             \x20 [[source.point]]\n  name = \"energy_import\"\n  obis = \"1.0.1.8.0.255\"\n  class = 3\n\
             \x20 [[source.point]]\n  name = \"energy_export\"\n  obis = \"1.0.2.8.0.255\"\n  class = 3\n\
             \x20 [[source.point]]\n  name = \"{CLOCK_POINT}\"\n  obis = \"0.0.1.0.0.255\"\n  class = 8\n",
            device(i),
            sims.addr_of(i, s.per_sim),
            s.poll_secs,
        );
        if s.profile {
            c.push_str(
                "  [[source.point]]\n  name = \"load_profile\"\n  obis = \"1.0.99.1.0.255\"\n  \
                 class = 7\n  attribute = 2\n",
            );
        }
        c.push('\n');
    }
    let path = dir.join("bridge.toml");
    std::fs::write(&path, c).expect("write bridge.toml");
    path
}

/// `fieldbridge check --config`: `Err` with its output when it refuses the configuration.
pub(crate) fn check(bridge: &Path, config: &Path) -> Result<(), String> {
    let out = Command::new(bridge)
        .args(["check", "--config"])
        .arg(config)
        .output()
        .map_err(|e| format!("cannot run {} check: {e}", bridge.display()))?;
    if out.status.success() {
        return Ok(());
    }
    let mut text = String::from_utf8_lossy(&out.stderr).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stdout));
    // A thousand sources refused for the same reason: the first lines say it.
    let lines: Vec<&str> = text.lines().collect();
    let mut shown = lines.iter().take(6).copied().collect::<Vec<_>>().join("\n");
    if lines.len() > 6 {
        let _ = write!(shown, "\n... ({} lines in all)", lines.len());
    }
    Err(shown)
}
