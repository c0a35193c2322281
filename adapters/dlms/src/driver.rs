//! The `dlms` driver: reads a meter's configured points every `poll` over the TCP wrapper or
//! HDLC over TCP (DLMS UA 1000-2 Ed. 10 clause 9.3; the interface classes of IEC 62056-6-2
//! clause 4.3).
//!
//! Each poll is one cycle, as metering head-ends run it: connect, associate (AARQ/AARE), read,
//! release (RLRQ/RLRE), disconnect the HDLC link (DISC) and close the TCP connection. Nothing is
//! left open between polls, so a meter's inactivity timeout never drops an idle link under the
//! bridge, and a meter that takes one association at a time is free for others between polls.
//!
//! - [`poll`]: the schedule, the reconnection backoff and the one silent retry of a cycle whose
//!   connection or first request failed.
//! - [`cycle`]: one cycle, and the request/answer exchange with its bounds ([`exchange`]).
//! - [`state`]: the points' report state, `$state`, and what is published.
//! - [`command`]: SET and ACTION on writable points, each batch of commands in a short cycle of
//!   its own between polls.
//!
//! Register, extended register and demand register (classes 3, 4, 5): the scaler_unit is read
//! once per association and applied to each value read, the unit published with it. Data
//! (class 1) as it comes. Clock (class 8, attribute 2): the meter's time is the value and the
//! device timestamp, and `<point>_offset` carries its offset from the bridge's clock in seconds;
//! both take the quality the clock status gives.

use std::sync::Arc;

use fieldbridge_core::config::{DlmsPoint, DlmsSource, SourceConfig, SourceKind};
use fieldbridge_core::event::{DeviceMeta, PointMeta};
use fieldbridge_core::source::{SourceContext, SourceTask};

mod command;
mod cycle;
mod exchange;
mod poll;
mod profile;
mod security;
mod state;

use poll::Poller;

/// The DLMS/COSEM client driver (`protocol = "dlms"`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Driver;

impl fieldbridge_core::source::Driver for Driver {
    fn family(&self) -> &'static str {
        "dlms"
    }

    fn protocols(&self) -> &'static [&'static str] {
        &["dlms"]
    }

    fn unsupported(&self, source: &SourceConfig) -> Vec<(String, String)> {
        let SourceKind::Dlms(config) = &source.kind else {
            return Vec::new();
        };
        refusals(config)
    }

    /// DLMS commands take no params: the point's configuration says SET or which method.
    fn command_params(&self) -> &'static [&'static str] {
        &[]
    }

    fn start(&self, source: SourceConfig, context: SourceContext) -> SourceTask {
        let SourceKind::Dlms(config) = source.kind else {
            tracing::error!(device = %source.name, protocol = source.kind.protocol(), "not a DLMS source");
            return Box::pin(async {});
        };
        Box::pin(
            Poller::new(
                context.name,
                config,
                context.events,
                context.stats,
                context.state_dir,
            )
            .with_commands(context.commands)
            .run(),
        )
    }
}

/// What this source cannot do yet with `config`, as `(key, message)`. Writable points are
/// carried: SET and ACTION commands.
pub fn refusals(config: &DlmsSource) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let not_yet = |key: &str, what: &str| {
        (
            key.to_owned(),
            format!("{what} is not supported by the dlms source yet"),
        )
    };
    for point in &config.points {
        if point.class == 7 && !point.is_profile() {
            out.push(not_yet(
                "point",
                &format!(
                    "point {}: profile generic attributes other than the buffer (2)",
                    point.name
                ),
            ));
        }
    }
    out
}

/// The `$meta` of a source: its points, and a `<name>_offset` point for each clock.
pub fn meta(device: Arc<str>, config: &DlmsSource) -> DeviceMeta {
    let mut points = Vec::new();
    for p in &config.points {
        points.push(PointMeta {
            name: p.name.clone(),
            unit: p.unit.clone(),
            writable: p.writable(),
            source: crate::convert::address(p),
        });
        if is_clock(p) {
            points.push(PointMeta {
                name: offset_name(p),
                unit: Some(Arc::from("s")),
                writable: false,
                source: crate::convert::address(p),
            });
        }
    }
    DeviceMeta {
        device,
        protocol: "dlms",
        points,
    }
}

fn is_clock(p: &DlmsPoint) -> bool {
    p.class == 8 && p.attribute == 2
}

fn offset_name(p: &DlmsPoint) -> Arc<str> {
    Arc::from(format!("{}_offset", p.name))
}

/// The attribute holding a register's scaler_unit, when the point's value is scaled.
fn scaler_attribute(p: &DlmsPoint) -> Option<i8> {
    crate::convert::scaler_attribute(p.class, p.attribute)
}

#[cfg(test)]
mod tests;
