//! `modbus-tcp` and `modbus-rtu` sources and their points.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use super::model::*;
use super::parse::{required_name, serial_settings};
use super::reader::TableReader;
use crate::point::ModbusTable;

/// Parses `holding:100`, `holding:100.3`, `coil:7`.
pub(crate) fn parse_register(text: &str) -> Result<RegisterRef, String> {
    let expected = "expected coil:N, discrete:N, input:N, holding:N or holding:N.bit";
    let (table, rest) = text
        .split_once(':')
        .ok_or_else(|| format!("\"{text}\": {expected}"))?;
    let table = match table.trim() {
        "coil" => ModbusTable::Coil,
        "discrete" => ModbusTable::Discrete,
        "input" => ModbusTable::Input,
        "holding" => ModbusTable::Holding,
        other => {
            return Err(format!(
                "unknown table \"{other}\" in \"{text}\": {expected}"
            ))
        }
    };
    let (address, bit) = match rest.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (rest, None),
    };
    let address: u16 = address
        .trim()
        .parse()
        .map_err(|_| format!("\"{address}\" in \"{text}\" is not an address from 0 to 65535"))?;
    let bit = match bit {
        None => None,
        Some(_) if table.is_bits() => {
            return Err(format!("\"{text}\": a {} has no bits", table.as_str()))
        }
        Some(b) => match b.trim().parse::<u8>() {
            Ok(b) if b < 16 => Some(b),
            _ => return Err(format!("bit \"{b}\" in \"{text}\" must be 0 to 15")),
        },
    };
    Ok(RegisterRef {
        table,
        address,
        bit,
    })
}

/// Parses `bool`, `u16` ... `f64`, `string(N)`.
pub(crate) fn parse_type(text: &str) -> Result<ModbusType, String> {
    Ok(match text.trim() {
        "bool" => ModbusType::Bool,
        "u16" => ModbusType::U16,
        "i16" => ModbusType::I16,
        "u32" => ModbusType::U32,
        "i32" => ModbusType::I32,
        "u64" => ModbusType::U64,
        "i64" => ModbusType::I64,
        "f32" => ModbusType::F32,
        "f64" => ModbusType::F64,
        t => {
            let n = t
                .strip_prefix("string(")
                .and_then(|r| r.strip_suffix(')'))
                .and_then(|n| n.trim().parse::<u16>().ok())
                .ok_or_else(|| {
                    format!("unknown type \"{text}\" (expected bool, u16, i16, u32, i32, u64, i64, f32, f64 or string(N))")
                })?;
            if !(1..=250).contains(&n) {
                return Err(format!(
                    "string length {n} must be 1 to 250 bytes (125 registers)"
                ));
            }
            ModbusType::String(n)
        }
    })
}

pub(crate) fn source(t: &TableReader<'_>, protocol: &str) -> Option<ModbusSource> {
    let tcp_address = || {
        let address = t.required_str("address")?;
        if !address.contains(':') {
            t.error(
                "address",
                format!("\"{address}\" needs a port, e.g. \"{address}:502\""),
            );
        }
        Some(address.to_owned())
    };
    let transport = match protocol {
        "modbus-tcp" => tcp_address().map(|address| ModbusTransport::Tcp { address }),
        // RTU framing to a serial-to-Ethernet gateway: `address` instead of `serial`.
        "modbus-rtu" if t.has("address") && !t.has("serial") => {
            tcp_address().map(|address| ModbusTransport::RtuOverTcp { address })
        }
        "modbus-rtu" => serial_settings(t, 19200, Parity::Even).map(ModbusTransport::Rtu),
        _ if t.has("address") && !t.has("serial") => {
            let _ = t.get("address");
            t.error(
                "address",
                "Modbus ASCII runs on a serial line (serial = \"/dev/...\"); for a TCP gateway use modbus-rtu or modbus-tcp",
            );
            None
        }
        _ => serial_settings(t, 9600, Parity::Even).map(ModbusTransport::Ascii),
    };
    let unit = t.int("unit", 0, 255).map_or(1, |u| u as u8);
    let poll = t.duration("poll", false).unwrap_or(Duration::from_secs(1));
    let timeout = t
        .duration("timeout", false)
        .unwrap_or(Duration::from_secs(1));
    let retries = t.int("retries", 0, 10).map_or(1, |r| r as u32);
    let max_gap = t.int("max_gap", 0, 2000).map_or(8, |g| g as u16);
    let max_registers = t.int("max_registers", 1, 125).map_or(125, |r| r as u16);
    let max_bits = t.int("max_bits", 1, 2000).map_or(2000, |r| r as u16);
    let heartbeat = match t.duration("heartbeat", true) {
        Some(d) if d.is_zero() => None,
        Some(d) => Some(d),
        None => Some(Duration::from_secs(300)),
    };
    let reconnect_min = t
        .duration("reconnect_min", false)
        .unwrap_or(Duration::from_millis(500));
    let reconnect_max = t
        .duration("reconnect_max", false)
        .unwrap_or(Duration::from_secs(30));
    if reconnect_min > reconnect_max {
        t.error("reconnect_min", "must not be longer than reconnect_max");
    }
    let write_multiple = t.bool("write_multiple").unwrap_or(false);
    let command_timeout = super::parse::command_timeout(t);
    let mut points = Vec::new();
    let mut names = HashSet::new();
    let mut ok = true;
    for p in t.tables("point") {
        match point(&p, unit, poll) {
            Some(pt) => {
                if !names.insert(pt.name.clone()) {
                    p.error(
                        "name",
                        format!("point \"{}\" is defined twice in this source", pt.name),
                    );
                    ok = false;
                }
                points.push(pt);
            }
            None => ok = false,
        }
    }
    if !ok {
        return None;
    }
    Some(ModbusSource {
        transport: transport?,
        unit,
        poll,
        timeout,
        retries,
        max_gap,
        max_registers,
        max_bits,
        heartbeat,
        reconnect_min,
        reconnect_max,
        write_multiple,
        command_timeout,
        points,
    })
}

fn point(t: &TableReader<'_>, default_unit: u8, default_poll: Duration) -> Option<ModbusPoint> {
    let name = required_name(t, "name");
    let register = match t.required_str("register").map(parse_register) {
        Some(Ok(r)) => Some(r),
        Some(Err(m)) => {
            t.error("register", m);
            None
        }
        None => None,
    };
    let data_type = match t.str("type").map(parse_type) {
        Some(Ok(ty)) => Some(ty),
        Some(Err(m)) => {
            t.error("type", m);
            None
        }
        None => register.map(|r| {
            if r.table.is_bits() || r.bit.is_some() {
                ModbusType::Bool
            } else {
                ModbusType::U16
            }
        }),
    };
    let word_order = t
        .choice("word_order", &WordOrder::ALL.map(|o| (o.as_str(), o)))
        .unwrap_or_default();
    let scale = t.float("scale");
    let offset = t.float("offset");
    let unit = t.str("unit").map(Arc::from);
    let deadband = t.float("deadband");
    let writable = t.bool("writable").unwrap_or(false);
    let min = t.float("min");
    let max = t.float("max");
    let poll = t.duration("poll", false).unwrap_or(default_poll);
    let unit_id = t.int("unit_id", 0, 255).map_or(default_unit, |u| u as u8);

    let mut ok = true;
    let mut bad = |key: &str, message: String| {
        t.error(key, message);
        ok = false;
    };
    if let (Some(r), Some(ty)) = (register, data_type) {
        let bit_like = r.table.is_bits() || r.bit.is_some();
        if bit_like && ty != ModbusType::Bool {
            bad(
                "type",
                format!("{} must be bool (found {})", describe(r), ty.name()),
            );
        }
        if !bit_like && ty == ModbusType::Bool {
            bad(
                "type",
                "bool needs a coil, a discrete input or a register bit such as holding:N.3"
                    .to_owned(),
            );
        }
        if u32::from(r.address) + u32::from(ty.registers()) > 65536 {
            bad(
                "register",
                format!(
                    "{} registers from {} run past address 65535",
                    ty.registers(),
                    r.address
                ),
            );
        }
        if !ty.is_numeric() {
            for key in ["scale", "offset", "deadband"] {
                if t.has(key) {
                    bad(
                        key,
                        format!(
                            "only numeric types have {key} (this point is {})",
                            ty.name()
                        ),
                    );
                }
            }
        }
        if t.has("word_order") && bit_like {
            bad("word_order", format!("{} has no word order", describe(r)));
        }
        if writable && matches!(r.table, ModbusTable::Discrete | ModbusTable::Input) {
            bad(
                "writable",
                format!(
                    "{} is read-only in Modbus (Modbus Application Protocol §4.3)",
                    r.table.as_str()
                ),
            );
        }
    }
    if scale == Some(0.0) {
        bad("scale", "must not be zero".to_owned());
    }
    if deadband.is_some_and(|d| d < 0.0) {
        bad("deadband", "must not be negative".to_owned());
    }
    if let (Some(lo), Some(hi)) = (min, max) {
        if lo > hi {
            bad("min", format!("min {lo} is greater than max {hi}"));
        }
    }
    t.finish("a Modbus point");
    if !ok {
        return None;
    }
    Some(ModbusPoint {
        name: name?,
        register: register?,
        data_type: data_type?,
        word_order,
        scale: scale.unwrap_or(1.0),
        offset: offset.unwrap_or(0.0),
        unit,
        deadband,
        writable,
        min,
        max,
        poll,
        unit_id,
    })
}

fn describe(r: RegisterRef) -> String {
    match r.bit {
        Some(b) => format!("{}:{}.{b}", r.table.as_str(), r.address),
        None => format!("{}:{}", r.table.as_str(), r.address),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registers_parse_with_and_without_bits() {
        assert_eq!(
            parse_register("holding:100.3"),
            Ok(RegisterRef {
                table: ModbusTable::Holding,
                address: 100,
                bit: Some(3)
            })
        );
        assert_eq!(
            parse_register("coil:0"),
            Ok(RegisterRef {
                table: ModbusTable::Coil,
                address: 0,
                bit: None
            })
        );
        assert!(parse_register("coil:1.2").is_err());
        assert!(parse_register("holding:1.16").is_err());
        assert!(parse_register("holding:65536").is_err());
        assert!(parse_register("register:5").is_err());
        assert!(parse_register("40001").is_err());
    }

    #[test]
    fn types_parse_including_strings() {
        assert_eq!(parse_type("f32"), Ok(ModbusType::F32));
        assert_eq!(parse_type("string(16)"), Ok(ModbusType::String(16)));
        assert_eq!(ModbusType::String(15).registers(), 8);
        assert!(parse_type("string(0)").is_err());
        assert!(parse_type("string(251)").is_err());
        assert!(parse_type("float").is_err());
    }

    #[test]
    fn write_multiple_defaults_to_false_and_must_be_a_bool() {
        let config = |extra: &str| {
            format!(
                "[bridge]\nid = \"gw1\"\nsite = \"s\"\n[mqtt]\nurl = \"mqtt://127.0.0.1:1883\"\n\
                 [[source]]\nname = \"plc\"\nprotocol = \"modbus-tcp\"\naddress = \"127.0.0.1:502\"\n{extra}\n\
                 [[source.point]]\nname = \"p\"\nregister = \"holding:1\"\n"
            )
        };
        let write_multiple = |extra: &str| {
            crate::config::parse(&config(extra)).ok().and_then(|c| {
                match c.sources.into_iter().next().map(|s| s.kind) {
                    Some(SourceKind::Modbus(m)) => Some(m.write_multiple),
                    _ => None,
                }
            })
        };
        assert_eq!(write_multiple(""), Some(false));
        assert_eq!(write_multiple("write_multiple = true"), Some(true));
        assert_eq!(write_multiple("write_multiple = false"), Some(false));
        assert_eq!(write_multiple("write_multiple = \"yes\""), None);
    }
}
