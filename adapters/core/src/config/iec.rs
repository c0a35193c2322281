//! `iec104` and `iec101` sources and their points.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use super::model::*;
use super::node::NodeKind;
use super::parse::{command_timeout, device_time, read_points, required_name, serial_settings};
use super::reader::TableReader;

/// The keys both masters share, bounded by the link's field sizes.
struct Bounds {
    max_common_address: u32,
    max_ioa: u32,
    /// Whether the cause of transmission has a second octet (the originator address).
    originator: bool,
    /// The link addresses a point may name (`iec101`); `None` where points have none (`iec104`).
    links: Option<Vec<u16>>,
}

/// The settings above the link layer, shared by both masters, and the link address of each
/// point (0 without [`Bounds::links`]).
fn master(t: &TableReader<'_>, bounds: &Bounds) -> Option<(IecMaster, Vec<u16>)> {
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
    let (points, links): (Vec<IecPoint>, Vec<u16>) = points?.into_iter().unzip();
    let master = IecMaster {
        common_address,
        originator_address,
        interrogation,
        counter_interrogation,
        clock_sync,
        device_time: device_time?,
        only_listed,
        command_timeout,
        points,
    };
    Some((master, links))
}

/// The points, each with its link address: an information object is named by link address,
/// common address and IOA, so two outstations on one line may use the same addresses.
fn points(t: &TableReader<'_>, default_ca: u16, bounds: &Bounds) -> Option<Vec<(IecPoint, u16)>> {
    let mut addresses = HashSet::new();
    let several_links = bounds.links.as_ref().is_some_and(|l| l.len() > 1);
    let unique_address = |p: &TableReader<'_>, (point, link): &(IecPoint, u16)| {
        if addresses.insert((*link, point.common_address, point.ioa)) {
            return true;
        }
        let behind = if several_links {
            format!(" behind link address {link}")
        } else {
            String::new()
        };
        p.error(
            "ioa",
            format!(
                "IOA {} of station {}{behind} is used by two points",
                point.ioa, point.common_address
            ),
        );
        false
    };
    read_points(
        t,
        |p| point(p, default_ca, bounds),
        |(p, _)| &p.name,
        unique_address,
    )
}

fn point(p: &TableReader<'_>, default_ca: u16, bounds: &Bounds) -> Option<(IecPoint, u16)> {
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
    let link = match &bounds.links {
        None => {
            if p.get("link_address").is_some() {
                bad(
                    "link_address",
                    "only iec101 points have a link address (several outstations on one serial line)",
                );
            }
            0
        }
        Some(links) => match p.int("link_address", 0, 65535) {
            Some(a) if links.contains(&(a as u16)) => a as u16,
            Some(a) => {
                let list: Vec<String> = links.iter().map(u16::to_string).collect();
                bad(
                    "link_address",
                    &format!(
                        "link address {a} is not one of the source's link_address ({})",
                        list.join(", ")
                    ),
                );
                0
            }
            None => links.first().copied().unwrap_or(0),
        },
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
    let point = IecPoint {
        name: name?,
        common_address,
        ioa: ioa? as u32,
        unit,
        command,
        writable,
        min,
        max,
        command_timeout,
    };
    Some((point, link))
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
            links: None,
        },
    );
    Some(Iec104Source {
        addresses: addresses?.into_iter().map(str::to_owned).collect(),
        link,
        master: master?.0,
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
    let link_addresses = link_addresses(t, &sizes, mode);
    let own_link_address = match t.int("own_link_address", 0, 65535) {
        Some(_) if mode == Iec101Mode::Unbalanced => {
            t.error(
                "own_link_address",
                "only a balanced link has an address of the master's own",
            );
            0
        }
        Some(a) => checked_link_address(t, "own_link_address", a, &sizes).unwrap_or(0),
        None => link_addresses.first().copied().unwrap_or(0),
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
            links: Some(link_addresses.clone()),
        },
    );
    let (master, point_links) = master?;
    Some(Iec101Source {
        serial: serial?,
        link_addresses,
        point_links,
        own_link_address,
        mode,
        sizes,
        timeout,
        poll,
        master,
    })
}

/// A link address that fits the address field below its broadcast address; `None` (and the
/// mistake recorded) otherwise.
fn checked_link_address(
    t: &TableReader<'_>,
    key: &str,
    a: i64,
    sizes: &Iec101Sizes,
) -> Option<u16> {
    let max_link = Iec101Sizes::max_of(sizes.link_address);
    if sizes.link_address == 0 {
        t.error(
            key,
            "the link has no address field (sizes.link_address = 0)",
        );
        return None;
    }
    if !(0..i64::from(max_link)).contains(&a) {
        t.error(
            key,
            format!(
                "{a} does not fit in {} octet(s) below the broadcast address {max_link}",
                sizes.link_address
            ),
        );
        return None;
    }
    Some(a as u16)
}

/// `link_address = 3`, or in unbalanced mode a list `[3, 4]`: the outstations on the line.
/// Without the key: 1, or 0 without an address field. Never empty.
fn link_addresses(t: &TableReader<'_>, sizes: &Iec101Sizes, mode: Iec101Mode) -> Vec<u16> {
    let default = if sizes.link_address == 0 { 0 } else { 1 };
    let Some(entry) = t.get("link_address") else {
        return vec![default];
    };
    let list = match &entry.value.kind {
        NodeKind::Int(a) => vec![*a],
        NodeKind::Array(items) => {
            if mode == Iec101Mode::Balanced && items.len() != 1 {
                t.error(
                    "link_address",
                    "a balanced link has one outstation: give one link address",
                );
                return vec![default];
            }
            let mut list = Vec::with_capacity(items.len());
            for item in items {
                match item.kind {
                    NodeKind::Int(a) => list.push(a),
                    ref other => {
                        t.error(
                            "link_address",
                            format!("expected integers, found {}", other.type_name()),
                        );
                        return vec![default];
                    }
                }
            }
            if list.is_empty() {
                t.error("link_address", "must not be empty");
                return vec![default];
            }
            list
        }
        other => {
            t.error(
                "link_address",
                format!(
                    "expected a link address or an array of them, found {}",
                    other.type_name()
                ),
            );
            return vec![default];
        }
    };
    let mut out: Vec<u16> = Vec::with_capacity(list.len());
    for a in list {
        let Some(a) = checked_link_address(t, "link_address", a, sizes) else {
            return vec![default];
        };
        if out.contains(&a) {
            t.error("link_address", format!("link address {a} is given twice"));
            return vec![default];
        }
        out.push(a);
    }
    out
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
