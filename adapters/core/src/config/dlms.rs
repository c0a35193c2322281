//! `dlms` and `dlms-push` sources, their security and their points.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::model::*;
use super::parse::{command_timeout, device_time, read_points, required_name, serial_settings};
use super::reader::TableReader;

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

/// Parses 16 hex digits (a system title).
fn parse_system_title(text: &str) -> Result<[u8; 8], String> {
    let bytes = hex_bytes(text)?;
    <[u8; 8]>::try_from(bytes.as_slice()).map_err(|_| {
        format!(
            "a system title is 8 bytes (16 hex digits); \"{text}\" has {}",
            bytes.len()
        )
    })
}

fn hex_bytes(text: &str) -> Result<Vec<u8>, String> {
    let digits: Vec<u8> = text
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b':')
        .collect();
    if !digits.len().is_multiple_of(2) {
        return Err(format!("\"{text}\" has an odd number of hex digits"));
    }
    digits
        .chunks(2)
        .map(|pair| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|s| u8::from_str_radix(s, 16).ok())
                .ok_or_else(|| format!("\"{text}\" is not hexadecimal"))
        })
        .collect()
}

/// Reads a suite 0 key file: 16 bytes written as 32 hex digits (spaces, colons and a trailing
/// newline allowed). For the source when it starts and for `fieldbridge check`.
pub fn load_key(path: &std::path::Path) -> Result<[u8; 16], String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let bytes = hex_bytes(text.trim()).map_err(|e| format!("{}: {e}", path.display()))?;
    <[u8; 16]>::try_from(bytes.as_slice()).map_err(|_| {
        format!(
            "{}: a suite 0 key is 16 bytes (32 hex digits), found {}",
            path.display(),
            bytes.len()
        )
    })
}

/// `security`, the key files and the system title; `authentication` needs some of them too.
fn security(t: &TableReader<'_>, authentication: Option<&DlmsAuthentication>) -> DlmsSecurity {
    let policy = t
        .choice("security", &DlmsSecurityPolicy::NAMES)
        .unwrap_or(DlmsSecurityPolicy::None);
    let path = |key: &str| t.str(key).map(PathBuf::from);
    let authentication_key_file = path("authentication_key_file");
    let encryption_key_file = path("encryption_key_file");
    let system_title = t
        .str("system_title")
        .and_then(|text| match parse_system_title(text) {
            Ok(st) => Some(st),
            Err(m) => {
                t.error("system_title", m);
                None
            }
        });
    let gmac = authentication == Some(&DlmsAuthentication::HighGmac);
    let needs = |key: &str, present: bool, why: &str| {
        if !present && !t.has(key) {
            t.error(key, format!("missing: {why}"));
        }
    };
    needs(
        "authentication_key_file",
        authentication_key_file.is_some() || !(policy.authenticates() || gmac),
        "authenticated security and high-gmac need the authentication key",
    );
    needs(
        "encryption_key_file",
        encryption_key_file.is_some() || !(policy.encrypts() || gmac),
        "encrypted security and high-gmac need the encryption key",
    );
    needs(
        "system_title",
        system_title.is_some() || (policy == DlmsSecurityPolicy::None && !gmac),
        "ciphering and high-gmac need the client's system title",
    );
    DlmsSecurity {
        policy,
        authentication_key_file,
        encryption_key_file,
        system_title,
    }
}

fn points(t: &TableReader<'_>, commands: bool) -> Option<Vec<DlmsPoint>> {
    read_points(t, |p| point(p, commands), |p| &p.name, |_, _| true)
}

fn point(p: &TableReader<'_>, commands: bool) -> Option<DlmsPoint> {
    let name = required_name(p, "name");
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
    let attribute = p.int("attribute", 1, 127).map(|a| a as i8);
    let method = p.int("method", 1, 127).map(|m| m as i8);
    let writable = p.bool("writable").unwrap_or(false);
    let unit = p.str("unit").map(Arc::from);
    let command_timeout = command_timeout(p);
    let mut ok = true;
    let write = match (writable, method) {
        (false, Some(_)) => {
            p.error(
                "method",
                "a method is invoked by a command: add writable = true",
            );
            ok = false;
            DlmsWrite::None
        }
        (false, None) => DlmsWrite::None,
        (true, _) if !commands => {
            p.error("writable", "a push listener takes no commands");
            ok = false;
            DlmsWrite::None
        }
        (true, Some(m)) => DlmsWrite::Action(m),
        (true, None) if attribute.is_some() => DlmsWrite::Set,
        (true, None) => {
            p.error(
                "writable",
                "a writable DLMS point needs `attribute = N` (SET) or `method = N` (ACTION)",
            );
            ok = false;
            DlmsWrite::None
        }
    };
    if class == Some(7) && write != DlmsWrite::None {
        p.error(
            "writable",
            "a profile generic is read, not written, by this bridge",
        );
        ok = false;
    }
    p.finish("a DLMS point");
    if !ok {
        return None;
    }
    Some(DlmsPoint {
        name: name?,
        obis: obis?,
        class: class? as u16,
        // A method-only point (ACTION) still reads attribute 2 unless it says otherwise.
        attribute: attribute.unwrap_or(2),
        write,
        unit,
        command_timeout,
    })
}

pub(crate) fn dlms(t: &TableReader<'_>) -> Option<DlmsSource> {
    let hdlc = t
        .choice("transport", &[("wrapper", false), ("hdlc", true)])
        .unwrap_or(t.has("serial"));
    let transport = if t.has("serial") {
        if !hdlc {
            t.error(
                "transport",
                "a serial line carries HDLC (transport = \"hdlc\")",
            );
        }
        serial_settings(t, 9600, Parity::None).map(DlmsTransport::HdlcSerial)
    } else {
        let address = t.required_str("address").map(str::to_owned);
        address.map(|address| match hdlc {
            true => DlmsTransport::HdlcTcp { address },
            false => DlmsTransport::Wrapper { address },
        })
    };
    // HDLC: client one byte (IEC 62056-46 §6.4.2.2), server upper/lower 14 bits each;
    // the wrapper: 16-bit wPorts (IEC 62056-47 §5.3).
    let (max_client, max_server) = if hdlc {
        (0x7F, 0x3FFF)
    } else {
        (0xFFFF, 0xFFFF)
    };
    let client_address = t
        .int("client_address", 1, max_client)
        .map_or(16, |a| a as u16);
    let server_address = t
        .int("server_address", 0, max_server)
        .map_or(1, |a| a as u16);
    let physical_address = t.int("physical_address", 0x10, 0x3FFD).map(|a| a as u16);
    if physical_address.is_some() && !hdlc {
        t.warn(
            "physical_address",
            "not used: only HDLC has a lower (physical) address; the wrapper addresses by wPort",
        );
    }
    let password_file = t.str("password_file").map(PathBuf::from);
    let mechanism = t
        .choice(
            "authentication",
            &[("none", 0u8), ("low", 1), ("high-gmac", 5)],
        )
        .unwrap_or(0);
    let authentication = match (mechanism, password_file) {
        (1, Some(password_file)) => Some(DlmsAuthentication::Low { password_file }),
        (1, None) => {
            t.error(
                "authentication",
                "low-level authentication needs password_file",
            );
            None
        }
        (_, Some(_)) => {
            t.error("password_file", "only used with authentication = \"low\"");
            None
        }
        (5, None) => Some(DlmsAuthentication::HighGmac),
        (_, None) => Some(DlmsAuthentication::None),
    };
    let security = security(t, authentication.as_ref());
    let device_time = device_time(t);
    let poll = t
        .duration("poll", false)
        .unwrap_or(Duration::from_secs(900));
    let timeout = t
        .duration("timeout", false)
        .unwrap_or(Duration::from_secs(5));
    let command_timeout = command_timeout(t);
    let points = points(t, true);
    Some(DlmsSource {
        transport: transport?,
        client_address,
        server_address,
        physical_address,
        authentication: authentication?,
        security,
        device_time: device_time?,
        poll,
        timeout,
        command_timeout,
        points: points?,
    })
}

pub(crate) fn dlms_push(t: &TableReader<'_>) -> Option<DlmsPushSource> {
    let text = t.required_str("listen")?;
    let (udp, address) = match text.strip_prefix("udp://") {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix("tcp://").unwrap_or(text)),
    };
    let listen = address.parse::<std::net::SocketAddr>().ok();
    if listen.is_none() {
        t.error(
            "listen",
            format!("\"{text}\" is not an address such as 0.0.0.0:4059 or udp://0.0.0.0:4059"),
        );
    }
    let transport = match t.choice("transport", &[("wrapper", false), ("hdlc", true)]) {
        Some(true) if udp => {
            t.error("transport", "HDLC is not carried over UDP; use the wrapper");
            None
        }
        Some(true) => Some(PushTransport::HdlcTcp),
        _ if udp => Some(PushTransport::WrapperUdp),
        _ => Some(PushTransport::WrapperTcp),
    };
    let security = security(t, None);
    let device_time = device_time(t);
    let only_listed = t.bool("only_listed").unwrap_or(false);
    let points = points(t, false);
    Some(DlmsPushSource {
        listen: listen?,
        transport: transport?,
        security,
        device_time: device_time?,
        only_listed,
        points: points?,
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

    #[test]
    fn system_titles_and_keys_are_hex_of_the_right_length() {
        assert_eq!(
            parse_system_title("4D4D4D0000BC614E"),
            Ok([0x4D, 0x4D, 0x4D, 0, 0, 0xBC, 0x61, 0x4E])
        );
        assert!(parse_system_title("4D4D4D").is_err());
        assert!(parse_system_title("4D4D4D0000BC614G").is_err());
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let good = dir.path().join("ek");
        std::fs::write(&good, "000102030405060708090A0B0C0D0E0F\n").unwrap_or_default();
        assert_eq!(load_key(&good).map(|k| k[15]), Ok(0x0F));
        let short = dir.path().join("short");
        std::fs::write(&short, "0001").unwrap_or_default();
        assert!(load_key(&short).unwrap_err().contains("16 bytes"));
        assert!(load_key(&dir.path().join("none"))
            .unwrap_err()
            .contains("cannot read"));
    }
}
