//! The keys `decode` deciphers DLMS APDUs with (security suite 0, DLMS UA 1000-2 Ed. 10 clause
//! 9.2): a keys file (`--keys`, JSON or flat TOML) and/or the key files of the bridge's
//! configuration (`--encryption-key-file`, `--authentication-key-file`: 16 bytes as 32 hex
//! digits, read as `fieldbridge check` reads them).
//!
//! ```text
//! {"block_cipher_key": "000102...0F", "authentication_key": "D0D1...DF",
//!  "client_system_title": "4D4D4D0000000001", "server_system_title": "4D4D4D0000BC614E"}
//! block_cipher_key = "000102...0F"          # the same names, as TOML
//! ```
//!
//! Names read (others, such as a `doc` string or challenges, are ignored): the global unicast
//! encryption key as `block_cipher_key`, `encryption_key`, `global_unicast_key` or
//! `global_unicast_encryption_key`; `authentication_key`; `global_broadcast_key` (or
//! `broadcast_key`, `global_broadcast_encryption_key`); `dedicated_key`; and the system titles
//! `client_system_title` and `server_system_title` (8 bytes), used when the association seen in
//! the capture does not give them. `captures/dlms/keys.json` is in this format.

use std::path::Path;

use fieldbridge_dlms::security::{Keys, SystemTitle};

/// Keys and the system titles known beforehand.
#[derive(Debug, Clone, Default)]
pub(crate) struct KeySet {
    /// The keys.
    pub(crate) keys: Keys,
    /// The client's system title, from the keys file.
    pub(crate) client_title: Option<SystemTitle>,
    /// The server's system title, from the keys file.
    pub(crate) server_title: Option<SystemTitle>,
}

/// Names of the global unicast encryption key.
const ENCRYPTION: [&str; 4] = [
    "block_cipher_key",
    "encryption_key",
    "global_unicast_key",
    "global_unicast_encryption_key",
];
/// Names of the global broadcast encryption key.
const BROADCAST: [&str; 3] = [
    "global_broadcast_key",
    "broadcast_key",
    "global_broadcast_encryption_key",
];

/// Reads the keys the options name; `None` when none is given.
pub(crate) fn load(
    keys_file: Option<&Path>,
    encryption_key_file: Option<&Path>,
    authentication_key_file: Option<&Path>,
) -> Result<Option<KeySet>, String> {
    if keys_file.is_none() && encryption_key_file.is_none() && authentication_key_file.is_none() {
        return Ok(None);
    }
    let mut set = match keys_file {
        Some(path) => read_keys_file(path)?,
        None => KeySet::default(),
    };
    if let Some(path) = encryption_key_file {
        set.keys.global_unicast = Some(fieldbridge_core::config::load_key(path)?);
    }
    if let Some(path) = authentication_key_file {
        set.keys.authentication = Some(fieldbridge_core::config::load_key(path)?);
    }
    Ok(Some(set))
}

/// Reads a keys file, JSON when it starts with `{`, else flat TOML.
fn read_keys_file(path: &Path) -> Result<KeySet, String> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{shown}: cannot read: {e}"))?;
    let pairs = if text.trim_start().starts_with('{') {
        json_pairs(&text).map_err(|e| format!("{shown}: not a JSON object of hex strings: {e}"))?
    } else {
        toml_pairs(&text).map_err(|e| format!("{shown}: {e}"))?
    };
    let mut set = KeySet::default();
    let mut found = false;
    for (name, value) in &pairs {
        let name = name.as_str();
        let what = |e: String| format!("{shown}: {name}: {e}");
        if ENCRYPTION.contains(&name) {
            set.keys.global_unicast = Some(hex_array::<16>(value).map_err(what)?);
        } else if BROADCAST.contains(&name) {
            set.keys.global_broadcast = Some(hex_array::<16>(value).map_err(what)?);
        } else if name == "authentication_key" {
            set.keys.authentication = Some(hex_array::<16>(value).map_err(what)?);
        } else if name == "dedicated_key" {
            set.keys.dedicated = Some(hex_array::<16>(value).map_err(what)?);
        } else if name == "client_system_title" {
            set.client_title = Some(hex_array::<8>(value).map_err(what)?);
        } else if name == "server_system_title" {
            set.server_title = Some(hex_array::<8>(value).map_err(what)?);
        } else {
            continue;
        }
        found = true;
    }
    if !found {
        return Err(format!(
            "{shown}: no key in it (expected block_cipher_key or encryption_key, \
             authentication_key, client_system_title, server_system_title, ...)"
        ));
    }
    Ok(set)
}

/// The string members of a JSON object.
fn json_pairs(text: &str) -> Result<Vec<(String, String)>, String> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let serde_json::Value::Object(map) = value else {
        return Err("not an object".to_owned());
    };
    Ok(map
        .into_iter()
        .filter_map(|(k, v)| match v {
            serde_json::Value::String(s) => Some((k, s)),
            _ => None,
        })
        .collect())
}

/// The `name = "value"` lines of a flat TOML file (comments, blank lines and `[table]` headers
/// skipped; values that are not strings ignored).
fn toml_pairs(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut pairs = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('[') {
            continue;
        }
        let Some((name, value)) = line.split_once('=') else {
            return Err(format!(
                "line {}: expected `name = \"hex\"` (JSON or TOML)",
                n + 1
            ));
        };
        let value = value.trim();
        let quoted = value
            .strip_prefix('"')
            .and_then(|v| v.split_once('"'))
            .or_else(|| value.strip_prefix('\'').and_then(|v| v.split_once('\'')));
        if let Some((inner, _comment)) = quoted {
            pairs.push((name.trim().trim_matches('"').to_owned(), inner.to_owned()));
        }
    }
    Ok(pairs)
}

/// `N` bytes written as hex (spaces and colons allowed).
fn hex_array<const N: usize>(text: &str) -> Result<[u8; N], String> {
    let digits: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ':')
        .collect();
    let bytes = hex::decode(&digits).map_err(|e| format!("\"{text}\" is not hex: {e}"))?;
    <[u8; N]>::try_from(bytes.as_slice()).map_err(|_| {
        format!(
            "expected {N} bytes ({} hex digits), found {}",
            2 * N,
            bytes.len()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_and_json_keys_files_read_the_same() {
        let dir = std::env::temp_dir().join(format!("fb-dlms-keys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let json = dir.join("k.json");
        std::fs::write(
            &json,
            r#"{"doc": "x", "security_suite": 0, "block_cipher_key": "000102030405060708090A0B0C0D0E0F",
                "authentication_key": "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF",
                "client_system_title": "4D4D4D0000000001"}"#,
        )
        .unwrap();
        let toml = dir.join("k.toml");
        std::fs::write(
            &toml,
            "# keys\nencryption_key = \"00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F\"\n\
             authentication_key = 'D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF' # AK\n\
             client_system_title = \"4D4D4D0000000001\"\n",
        )
        .unwrap();
        let a = load(Some(&json), None, None).unwrap().unwrap();
        let b = load(Some(&toml), None, None).unwrap().unwrap();
        assert_eq!(a.keys, b.keys);
        assert_eq!(a.client_title, b.client_title);
        assert_eq!(a.server_title, None);
        std::fs::write(&toml, "authentication_key = \"D0D1\"\n").unwrap();
        let e = load(Some(&toml), None, None).unwrap_err();
        assert!(e.contains("expected 16 bytes"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
