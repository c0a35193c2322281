//! `iec104` and `iec101` sources and their points.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use super::model::*;
use super::parse::{command_timeout, device_time, read_points, required_name, serial_settings};
use super::reader::TableReader;

/// The keys both masters share, bounded by the link's field sizes.
struct Bounds {
    max_common_address: u32,
    max_ioa: u32,
    /// Whether the cause of transmission has a second octet (the originator address).
    originator: bool,
}

/// The settings above the link layer, shared by both masters.
fn master(t: &TableReader<'_>, bounds: &Bounds) -> Option<IecMaster> {
    // 0 is not used; the broadcast address (255 or 65535) is not a station.
    let max_ca = i64::from(bounds.max_common_address) - 1;
    let common_address = t.int("common_address", 1, max_ca).map_or(1, |c| c as u16);
    let originator_address = match t.int("originator_address", 0, 255) {
        Some(o) if o != 0 && !bounds.originator => {
            t.error(
                "originator_address",
                "needs a cause of transmission of two octets (sizes.cot = 2)",
            );
            0
        }
        Some(o) => o as u8,
        None => 0,
    };
    let interrogation = t.duration("interrogation", true).filter(|d| !d.is_zero());
    let counter_interrogation = t
        .duration("counter_interrogation", true)
        .filter(|d| !d.is_zero());
    let clock_sync = t.bool("clock_sync").unwrap_or(false);
    let device_time = device_time(t);
    let only_listed = t.bool("only_listed").unwrap_or(false);
    let command_timeout = command_timeout(t);
    let points = points(t, common_address, bounds);
    Some(IecMaster {
        common_address,
        originator_address,
        interrogation,
        counter_interrogation,
        clock_sync,
        device_time: device_time?,
        only_listed,
        command_timeout,
        points: points?,
    })
}

fn points(t: &TableReader<'_>, default_ca: u16, bounds: &Bounds) -> Option<Vec<IecPoint>> {
    let mut addresses = HashSet::new();
    let unique_address = |p: &TableReader<'_>, point: &IecPoint| {
        if addresses.insert((point.common_address, point.ioa)) {
            return true;
        }
        p.error(
            "ioa",
            format!(
                "IOA {} of station {} is used by two points",
                point.ioa, point.common_address
            ),
        );
        false
    };
    read_points(
        t,
        |p| point(p, default_ca, bounds),
        |p| &p.name,
        unique_address,
    )
}

fn point(p: &TableReader<'_>, default_ca: u16, bounds: &Bounds) -> Option<IecPoint> {
    let name = required_name(p, "name");
    let ioa = if p.require("ioa") {
        p.int("ioa", 1, i64::from(bounds.max_ioa))
    } else {
        None
    };
    let common_address = p
        .int(
            "common_address",
            1,
            i64::from(bounds.max_common_address) - 1,
        )
        .map_or(default_ca, |c| c as u16);
    let unit = p.str("unit").map(Arc::from);
    let kind = p.str("command").map(command_kind);
    let select_before_operate = p.bool("select_before_operate");
    let qualifier = p.choice("qualifier", &PulseQualifier::NAMES);
    let writable = p.bool("writable").unwrap_or(false);
    let min = p.float("min");
    let max = p.float("max");
    let command_timeout = command_timeout(p);
    let mut ok = true;
    let mut bad = |key: &str, message: &str| {
        p.error(key, message);
        ok = false;
    };
    let command = match kind {
        Some(Ok((kind, time_tag))) => {
            if qualifier.is_some() && !kind.has_pulse_qualifier() {
                bad(
                    "qualifier",
                    "only single, double and step commands have a pulse qualifier",
                );
            }
            if (min.is_some() || max.is_some()) && !kind.is_setpoint() {
                bad("min", "min and max limit set-point commands only");
            }
            Some(IecCommand {
                kind,
                time_tag,
                select_before_operate: select_before_operate.unwrap_or(false),
                qualifier: qualifier.unwrap_or_default(),
            })
        }
        Some(Err(message)) => {
            bad("command", &message);
            None
        }
        None => {
            for key in ["select_before_operate", "qualifier", "min", "max"] {
                if p.has(key) {
                    bad(key, "only used with `command`");
                }
            }
            if writable {
                bad(
                    "writable",
                    "a writable IEC point needs `command` (single, double, step, setpoint-..., bitstring)",
                );
            }
            None
        }
    };
    if let (Some(lo), Some(hi)) = (min, max) {
        if lo > hi {
            bad("min", &format!("min {lo} is greater than max {hi}"));
        }
    }
    p.finish("an IEC 60870-5 point");
    if !ok {
        return None;
    }
    Some(IecPoint {
        name: name?,
        common_address,
        ioa: ioa? as u32,
        unit,
        command,
        writable,
        min,
        max,
        command_timeout,
    })
}

/// `double`, `setpoint-float-time`, ...: the kind and whether the CP56Time2a form is used.
fn command_kind(text: &str) -> Result<(IecCommandKind, bool), String> {
    let (base, time_tag) = match text.strip_suffix("-time") {
        Some(base) => (base, true),
        None => (text, false),
    };
    IecCommandKind::NAMES
        .iter()
        .find(|(name, _)| *name == base)
        .map(|(_, kind)| (*kind, time_tag))
        .ok_or_else(|| {
            let names: Vec<&str> = IecCommandKind::NAMES.iter().map(|(n, _)| *n).collect();
            format!(
                "unknown command \"{text}\" (expected one of {}, each also with \"-time\")",
                names.join(", ")
            )
        })
}

/// A timer of IEC 60870-5-104 §9.6 within its range (whole seconds, as the standard gives them).
fn timer(t: &TableReader<'_>, key: &str, default: Duration, max_secs: u64) -> Duration {
    match t.duration(key, false) {
        Some(d) if d < Duration::from_secs(1) || d > Duration::from_secs(max_secs) => {
            t.error(key, format!("must be between 1s and {max_secs}s"));
            default
        }
        Some(d) => d,
        None => default,
    }
}

fn link104(t: &TableReader<'_>) -> Iec104Link {
    let d = Iec104Link::default();
    let k = t.int("k", 1, 32767).map_or(d.k, |k| k as u16);
    let w = t.int("w", 1, 32767).map_or(d.w, |w| w as u16);
    if u32::from(w) * 3 > u32::from(k) * 2 {
        t.error(
            "w",
            format!("w = {w} must not exceed two thirds of k = {k} (IEC 60870-5-104 §5.5)"),
        );
    }
    let link = Iec104Link {
        k,
        w,
        t0: timer(t, "t0", d.t0, 255),
        t1: timer(t, "t1", d.t1, 255),
        t2: timer(t, "t2", d.t2, 255),
        t3: timer(t, "t3", d.t3, 172_800),
    };
    if link.t2 >= link.t1 {
        t.error(
            "t2",
            "must be shorter than t1, or the outstation times out before it is acknowledged",
        );
    }
    link
}

pub(crate) fn iec104(t: &TableReader<'_>) -> Option<Iec104Source> {
    let addresses = if t.require("address") {
        t.str_list("address")
    } else {
        None
    };
    if let Some(list) = &addresses {
        for a in list.iter().filter(|a| !a.contains(':')) {
            t.error(
                "address",
                format!("\"{a}\" needs a port, e.g. \"{a}:2404\""),
            );
        }
    }
    let link = link104(t);
    // IEC 60870-5-104 §9.1: COT two octets, common address two, IOA three.
    let master = master(
        t,
        &Bounds {
            max_common_address: 0xFFFF,
            max_ioa: 0xFF_FFFF,
            originator: true,
        },
    );
    Some(Iec104Source {
        addresses: addresses?.into_iter().map(str::to_owned).collect(),
        link,
        master: master?,
    })
}

pub(crate) fn iec101(t: &TableReader<'_>) -> Option<Iec101Source> {
    let serial = serial_settings(t, 9600, Parity::Even);
    let mode = t
        .choice(
            "mode",
            &[
                ("unbalanced", Iec101Mode::Unbalanced),
                ("balanced", Iec101Mode::Balanced),
            ],
        )
        .unwrap_or(Iec101Mode::Unbalanced);
    let sizes = match t.table("sizes") {
        Some(s) => {
            let sizes = Iec101Sizes {
                link_address: s.int("link_address", 0, 2).map_or(1, |v| v as u8),
                cot: s.int("cot", 1, 2).map_or(1, |v| v as u8),
                common_address: s.int("common_address", 1, 2).map_or(1, |v| v as u8),
                ioa: s.int("ioa", 1, 3).map_or(2, |v| v as u8),
            };
            if sizes.link_address == 0 && mode == Iec101Mode::Unbalanced {
                s.error(
                    "link_address",
                    "an unbalanced link addresses its outstations (1 or 2 octets)",
                );
            }
            s.finish("IEC 60870-5-101 field sizes");
            sizes
        }
        None => Iec101Sizes {
            link_address: 1,
            cot: 1,
            common_address: 1,
            ioa: 2,
        },
    };
    let max_link = Iec101Sizes::max_of(sizes.link_address);
    // Without a link address field there is nothing to configure; otherwise 1 by default, and the
    // all-ones broadcast address is not an outstation.
    let link_address = match t.int("link_address", 0, 65535) {
        Some(_) if sizes.link_address == 0 => {
            t.error(
                "link_address",
                "the link has no address field (sizes.link_address = 0)",
            );
            0
        }
        Some(a) if a >= i64::from(max_link) => {
            t.error(
                "link_address",
                format!(
                    "{a} does not fit in {} octet(s) below the broadcast address {max_link}",
                    sizes.link_address
                ),
            );
            0
        }
        Some(a) => a as u16,
        None if sizes.link_address == 0 => 0,
        None => 1,
    };
    let timeout = t
        .duration("timeout", false)
        .unwrap_or(Duration::from_secs(1));
    let poll = t.duration("poll", false).unwrap_or(Duration::from_secs(1));
    let master = master(
        t,
        &Bounds {
            max_common_address: Iec101Sizes::max_of(sizes.common_address),
            max_ioa: Iec101Sizes::max_of(sizes.ioa),
            originator: sizes.cot == 2,
        },
    );
    Some(Iec101Source {
        serial: serial?,
        link_address,
        mode,
        sizes,
        timeout,
        poll,
        master: master?,
    })
}

#[cfg(test)]
mod tests {
    use super::command_kind;
    use crate::config::IecCommandKind;

    #[test]
    fn command_names_map_to_the_type_identifications_of_the_standard() {
        let id = |text| command_kind(text).map(|(k, t)| k.type_id(t));
        assert_eq!(id("single"), Ok(45));
        assert_eq!(id("double-time"), Ok(59));
        assert_eq!(id("setpoint-float"), Ok(50));
        assert_eq!(id("bitstring-time"), Ok(64));
        assert!(command_kind("triple").is_err());
        assert!(IecCommandKind::Step.has_pulse_qualifier());
    }
}
