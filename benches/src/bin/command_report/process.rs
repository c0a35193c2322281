//! The bridge as a child process: its configuration, start and stop.

use std::path::Path;

use crate::{DEVICE, POINT, PREFIX, REGISTER, SITE, UNIT};

pub(crate) use fieldbridge_bench::process::Proc;

pub(crate) fn bridge_config(
    data_dir: &Path,
    broker_port: u16,
    modbus_port: u16,
    poll_ms: u64,
) -> String {
    format!(
        "[bridge]\nid = \"cmdbench\"\nsite = \"{SITE}\"\ndata_dir = \"{}\"\n\n\
         [mqtt]\nurl = \"mqtt://127.0.0.1:{broker_port}\"\nprefix = \"{PREFIX}\"\n\
         reconnect_min = \"100ms\"\nreconnect_max = \"1s\"\n\n\
         [commands]\ntimeout = \"10s\"\n\n\
         [[source]]\nname = \"{DEVICE}\"\nprotocol = \"modbus-tcp\"\n\
         address = \"127.0.0.1:{modbus_port}\"\nunit = {UNIT}\npoll = \"{poll_ms}ms\"\n\
         heartbeat = \"0s\"\n\n\
         \x20 [[source.point]]\n  name = \"{POINT}\"\n  register = \"holding:{REGISTER}\"\n\
         \x20 type = \"f32\"\n  word_order = \"cdab\"\n  writable = true\n",
        data_dir.display()
    )
}

/// The last `lines` lines of a log file.
pub(crate) fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
