//! IEC 60870-5-104/-101 and DLMS sources: parsed and checked now so that every configuration of
//! `design/CONFIG.md` validates; their drivers arrive with their own issues.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::model::*;
use super::parse::{required_name, serial_settings};
use super::reader::TableReader;

const COMMANDS: &[(&str, &str)] = &[
    ("single", "single"),
    ("double", "double"),
    ("step", "step"),
    ("setpoint-normalized", "setpoint-normalized"),
    ("setpoint-scaled", "setpoint-scaled"),
    ("setpoint-float", "setpoint-float"),
    ("bitstring", "bitstring"),
];

fn iec_points(t: &TableReader<'_>, max_ioa: u32) -> Option<Vec<IecPoint>> {
    let mut points = Vec::new();
    let mut names = HashSet::new();
    let mut ioas = HashSet::new();
    let mut ok = true;
    for p in t.tables("point") {
        let name = required_name(&p, "name");
        let ioa = if p.require("ioa") {
            p.int("ioa", 1, i64::from(max_ioa))
        } else {
            None
        };
        let unit = p.str("unit").map(Arc::from);
        let command = p.choice("command", COMMANDS).map(str::to_owned);
        let select_before_operate = p.bool("select_before_operate").unwrap_or(false);
        let writable = p.bool("writable").unwrap_or(false);
        let min = p.float("min");
        let max = p.float("max");
        if writable && command.is_none() && !p.has("command") {
            p.error(
                "writable",
                "a writable IEC point needs `command` (single, double, step, setpoint-...)",
            );
            ok = false;
        }
        if let (Some(lo), Some(hi)) = (min, max) {
            if lo > hi {
                p.error("min", format!("min {lo} is greater than max {hi}"));
                ok = false;
            }
        }
        p.finish("an IEC 60870-5 point");
        match (name, ioa) {
            (Some(name), Some(ioa)) => {
                if !names.insert(name.clone()) {
                    p.error(
                        "name",
                        format!("point \"{name}\" is defined twice in this source"),
                    );
                    ok = false;
                }
                if !ioas.insert(ioa) {
                    p.error("ioa", format!("IOA {ioa} is used by two points"));
                    ok = false;
                }
                points.push(IecPoint {
                    name,
                    ioa: ioa as u32,
                    unit,
                    command,
                    select_before_operate,
                    writable,
                    min,
                    max,
                });
            }
            _ => ok = false,
        }
    }
    ok.then_some(points)
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
    let common_address = t.int("common_address", 1, 65535).map_or(1, |c| c as u16);
    let interrogation = t.duration("interrogation", true).filter(|d| !d.is_zero());
    let clock_sync = t.bool("clock_sync").unwrap_or(false);
    let points = iec_points(t, 0xFF_FFFF);
    Some(Iec104Source {
        addresses: addresses?.into_iter().map(str::to_owned).collect(),
        common_address,
        interrogation,
        clock_sync,
        points: points?,
    })
}

pub(crate) fn iec101(t: &TableReader<'_>) -> Option<Iec101Source> {
    let serial = serial_settings(t, 9600, Parity::Even);
    let link_address = t.int("link_address", 0, 65535).map_or(1, |a| a as u16);
    let balanced = t
        .choice("mode", &[("unbalanced", false), ("balanced", true)])
        .unwrap_or(false);
    let sizes = match t.table("sizes") {
        Some(s) => {
            let sizes = Iec101Sizes {
                link_address: s.int("link_address", 0, 2).map_or(1, |v| v as u8),
                cot: s.int("cot", 1, 2).map_or(1, |v| v as u8),
                common_address: s.int("common_address", 1, 2).map_or(1, |v| v as u8),
                ioa: s.int("ioa", 1, 3).map_or(2, |v| v as u8),
            };
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
    if u32::from(link_address) >= 1 << (8 * u32::from(sizes.link_address)) && sizes.link_address < 2
    {
        t.error(
            "link_address",
            format!(
                "{link_address} does not fit in {} octet(s)",
                sizes.link_address
            ),
        );
    }
    let common_address = t.int("common_address", 1, 65535).map_or(1, |c| c as u16);
    let max_ioa = (1u32 << (8 * u32::from(sizes.ioa))) - 1;
    let points = iec_points(t, max_ioa);
    Some(Iec101Source {
        serial: serial?,
        link_address,
        balanced,
        sizes,
        common_address,
        points: points?,
    })
}

/// Parses an OBIS code `A.B.C.D.E.F` (IEC 62056-6-1 §4); `A-B:C.D.E*F` is accepted too.
pub(crate) fn parse_obis(text: &str) -> Result<[u8; 6], String> {
    let parts: Vec<&str> = text.split(['.', '-', ':', '*']).collect();
    let mut out = [0u8; 6];
    if parts.len() != 6 {
        return Err(format!("\"{text}\" is not an OBIS code A.B.C.D.E.F"));
    }
    for (slot, part) in out.iter_mut().zip(&parts) {
        *slot = part
            .trim()
            .parse()
            .map_err(|_| format!("\"{part}\" in \"{text}\" is not 0 to 255"))?;
    }
    Ok(out)
}

pub(crate) fn dlms(t: &TableReader<'_>) -> Option<DlmsSource> {
    let kind = t
        .choice("transport", &[("wrapper", "wrapper"), ("hdlc", "hdlc")])
        .unwrap_or("wrapper");
    let transport = if t.has("serial") {
        if kind == "wrapper" && t.has("transport") {
            t.error(
                "transport",
                "a serial line carries HDLC (transport = \"hdlc\")",
            );
        }
        serial_settings(t, 9600, Parity::None).map(DlmsTransport::HdlcSerial)
    } else {
        let address = t.required_str("address").map(str::to_owned);
        address.map(|address| match kind {
            "hdlc" => DlmsTransport::HdlcTcp { address },
            _ => DlmsTransport::Wrapper { address },
        })
    };
    let client_address = t.int("client_address", 0, 0x7F).map_or(16, |a| a as u16);
    let server_address = t.int("server_address", 0, 0x3FFF).map_or(1, |a| a as u16);
    let authentication = t
        .choice(
            "authentication",
            &[("none", "none"), ("low", "low"), ("high-gmac", "high-gmac")],
        )
        .unwrap_or("none")
        .to_owned();
    let password_file = t.str("password_file").map(PathBuf::from);
    if authentication == "low" && password_file.is_none() {
        t.error(
            "authentication",
            "low-level authentication needs password_file",
        );
    }
    let security = t
        .choice(
            "security",
            &[
                ("none", "none"),
                ("authenticated", "authenticated"),
                ("encrypted", "encrypted"),
                ("authenticated-encrypted", "authenticated-encrypted"),
            ],
        )
        .unwrap_or("none")
        .to_owned();
    for key in [
        "authentication_key_file",
        "encryption_key_file",
        "system_title",
    ] {
        let _ = t.str(key);
    }
    let poll = t
        .duration("poll", false)
        .unwrap_or(Duration::from_secs(900));
    let mut points = Vec::new();
    let mut ok = true;
    for p in t.tables("point") {
        let name = required_name(&p, "name");
        let obis = match p.required_str("obis").map(parse_obis) {
            Some(Ok(o)) => Some(o),
            Some(Err(m)) => {
                p.error("obis", m);
                None
            }
            None => None,
        };
        let class = if p.require("class") {
            p.int("class", 1, 65535)
        } else {
            None
        };
        let attribute = p.int("attribute", 1, 127).map_or(2, |a| a as i8);
        let unit = p.str("unit").map(Arc::from);
        p.finish("a DLMS point");
        match (name, obis, class) {
            (Some(name), Some(obis), Some(class)) => points.push(DlmsPoint {
                name,
                obis,
                class: class as u16,
                attribute,
                unit,
            }),
            _ => ok = false,
        }
    }
    if !ok {
        return None;
    }
    Some(DlmsSource {
        transport: transport?,
        client_address,
        server_address,
        authentication,
        password_file,
        security,
        poll,
        points,
    })
}

pub(crate) fn dlms_push(t: &TableReader<'_>) -> Option<DlmsPushSource> {
    let listen = t.required_str("listen")?;
    if listen.parse::<std::net::SocketAddr>().is_err() {
        t.error(
            "listen",
            format!("\"{listen}\" is not an address such as 0.0.0.0:4059"),
        );
        return None;
    }
    Some(DlmsPushSource {
        listen: listen.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn obis_codes_parse_in_both_notations() {
        assert_eq!(parse_obis("1.0.1.8.0.255"), Ok([1, 0, 1, 8, 0, 255]));
        assert_eq!(parse_obis("1-0:1.8.0*255"), Ok([1, 0, 1, 8, 0, 255]));
        assert!(parse_obis("1.0.1.8.0").is_err());
        assert!(parse_obis("1.0.1.8.0.256").is_err());
    }
}
