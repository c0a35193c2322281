//! The controlled station both simulated outstations share: the IEC 104 one
//! ([`iec104`](crate::iec104)) and the IEC 101 one ([`iec101`](crate::iec101)) differ only in
//! their transport (a TCP connection with `Link104`, a serial line with the 101 link layers).
//!
//! A `Station` works on ASDUs and knows no link: it answers what the controlling station sends
//! (IEC 60870-5-101 clause 7.4; IEC 60870-5-104 clause 8) and makes the next spontaneous change
//! when its transport has room. Its points ([`POINTS`]) and command points ([`COMMANDS`]) are in
//! [`points`] and in adapters/sim/README.md; its sizes of the data unit identifier come from the
//! profile ([`AsduConfig`]).

mod clock;
mod commands;
mod feed;
pub mod points;
mod station;
#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use fieldbridge_iec60870::AsduConfig;

pub(crate) use feed::Feed;
pub use points::{CommandSpec, Kind, PointSpec, COMMANDS, POINTS};
pub(crate) use station::Station;

/// How often the simulator changes a point spontaneously.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rate {
    /// No spontaneous changes.
    Off,
    /// This many changes per second (one ASDU each).
    PerSecond(u32),
    /// As fast as the transport takes them (k in 104, the class 1 queue in 101).
    Flood,
}

impl Rate {
    /// The time between two changes; `None` for [`Rate::Off`] and [`Rate::Flood`].
    pub(crate) fn period(self) -> Option<Duration> {
        match self {
            Rate::PerSecond(n) if n > 0 => Some(Duration::from_secs(1) / n),
            _ => None,
        }
    }

    /// Whether any change is made at all.
    pub(crate) fn is_on(self) -> bool {
        !matches!(self, Rate::Off | Rate::PerSecond(0))
    }
}

impl FromStr for Rate {
    type Err = String;

    /// `0` or `off`, a number of changes per second, or `flood`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "off" | "0" => Ok(Rate::Off),
            "flood" => Ok(Rate::Flood),
            n => n.parse::<u32>().map(Rate::PerSecond).map_err(|_| {
                format!("invalid rate {s:?}: expected a number per second, \"off\" or \"flood\"")
            }),
        }
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rate::Off => f.write_str("off"),
            Rate::PerSecond(n) => write!(f, "{n}"),
            Rate::Flood => f.write_str("flood"),
        }
    }
}

/// What a [`Station`] is built from: the profile's sizes and the simulator's settings.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Settings {
    /// The sizes of the cause, common address and IOA.
    pub(crate) asdu: AsduConfig,
    /// The longest ASDU the transport carries (249 in an I frame, 253 or less in FT1.2).
    pub(crate) max_asdu: usize,
    /// The station's common address.
    pub(crate) common_address: u16,
    /// How long a selected command point waits for its execute.
    pub(crate) select_timeout: Duration,
    /// A time-tagged command (58..=64) whose tag is older than this is refused.
    pub(crate) max_command_age: Duration,
    /// Only these IOAs change spontaneously (`None`: every animated point).
    pub(crate) points: Option<Vec<u32>>,
}
