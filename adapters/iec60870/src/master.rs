//! What the IEC 104 and IEC 101 drivers share about a controlling station's configuration:
//! its `$meta`, what the bridge cannot do with it, the command params it reads.

use std::sync::Arc;

use fieldbridge_core::config::{DeviceTime, IecMaster};
use fieldbridge_core::event::{DeviceMeta, PointMeta};

use crate::points::Profile;

/// The names a command's `params` may use with an IEC source ([`crate::command`]): the pulse
/// or set-point qualifier, and select before operate.
pub const COMMAND_PARAMS: &[&str] = &["qualifier", "select"];

/// The `$meta` content of a source: every configured point with its unit and address.
pub fn meta(device: Arc<str>, master: &IecMaster, profile: Profile) -> DeviceMeta {
    let points = master
        .points
        .iter()
        .map(|p| PointMeta {
            name: p.name.clone(),
            unit: p.unit.clone(),
            writable: p.writable,
            source: profile.address(p.common_address, p.ioa),
        })
        .collect();
    DeviceMeta {
        device,
        protocol: profile.name(),
        points,
    }
}

/// What the source cannot do with `master`, as `(key, message)`: clock synchronization sends
/// UTC (C_CS_NA_1 has no zone), so it is refused for a device on local time. A writable point
/// without `command` is refused by the configuration parser already.
pub fn refusals(master: &IecMaster) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if master.clock_sync && master.device_time != DeviceTime::Utc {
        out.push((
            "clock_sync".to_owned(),
            format!(
                "clock_sync sends UTC; with device_time = \"{}\" the outstation would be set to the wrong time (synchronizing a device that keeps local time is not supported yet)",
                master.device_time.name()
            ),
        ));
    }
    out
}
