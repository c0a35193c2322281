//! The suite-0 keys of a source, read from the files the configuration names
//! (`authentication_key_file`, `encryption_key_file`: 16 octets as 32 hexadecimal digits, DLMS UA
//! 1000-2 Ed. 10 clause 9.2.5). They are read when the source starts and never logged.

use std::fmt;
use std::path::{Path, PathBuf};

use fieldbridge_core::config::{DlmsSecurity, DlmsSecurityPolicy};
use fieldbridge_dlms::security::{Key, Keys, SecurityPolicy, SystemTitle};

/// Why the keys of a source could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    /// The policy or the authentication needs a key file the configuration does not name.
    #[error("the {what} file is needed and not configured")]
    Missing {
        /// Which key.
        what: &'static str,
    },
    /// The file could not be read.
    #[error("cannot read the {what} file {path}: {reason}")]
    Read {
        /// Which key.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The operating system's words.
        reason: String,
    },
    /// The file does not hold 32 hexadecimal digits.
    #[error("the {what} file {path} must hold 16 bytes as 32 hexadecimal digits (found {found} characters)")]
    Malformed {
        /// Which key.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// How many characters it held, spaces removed (never the characters themselves).
        found: usize,
    },
    /// Ciphering or HLS needs the client's system title.
    #[error("the system_title is needed and not configured")]
    NoSystemTitle,
}

/// The keys and identity of a source's ciphering, ready for the codec.
#[derive(Clone, PartialEq, Eq)]
pub struct SourceKeys {
    /// The APDU security policy; `None` for plain APDUs.
    pub policy: Option<SecurityPolicy>,
    /// The keys read (only those configured).
    pub keys: Keys,
    /// The bridge's system title, when configured.
    pub system_title: Option<SystemTitle>,
}

impl fmt::Debug for SourceKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SourceKeys")
            .field("policy", &self.policy)
            .field("encryption_key", &self.keys.global_unicast.map(|_| "…"))
            .field("authentication_key", &self.keys.authentication.map(|_| "…"))
            .field("system_title", &self.system_title)
            .finish()
    }
}

/// The codec's policy for a configured one.
pub fn policy(policy: DlmsSecurityPolicy) -> Option<SecurityPolicy> {
    match policy {
        DlmsSecurityPolicy::None => None,
        DlmsSecurityPolicy::Authenticated => Some(SecurityPolicy::Authenticated),
        DlmsSecurityPolicy::Encrypted => Some(SecurityPolicy::Encrypted),
        DlmsSecurityPolicy::AuthenticatedEncrypted => Some(SecurityPolicy::AuthenticatedEncrypted),
    }
}

/// Reads the key files of `security`. `hls` says that high-level GMAC authentication needs both
/// keys and the system title whatever the policy.
///
/// # Errors
/// [`KeyError`] naming the key and its file.
pub fn load(security: &DlmsSecurity, hls: bool) -> Result<SourceKeys, KeyError> {
    let policy = policy(security.policy);
    let needs_encryption = hls || policy.is_some();
    let needs_authentication = hls || policy.is_some_and(SecurityPolicy::authenticated);
    let read = |file: &Option<PathBuf>, what: &'static str, needed: bool| match file {
        Some(path) => read_key(path, what).map(Some),
        None if needed => Err(KeyError::Missing { what }),
        None => Ok(None),
    };
    let global_unicast = read(
        &security.encryption_key_file,
        "encryption key",
        needs_encryption,
    )?;
    let authentication = read(
        &security.authentication_key_file,
        "authentication key",
        needs_authentication,
    )?;
    if needs_encryption && security.system_title.is_none() {
        return Err(KeyError::NoSystemTitle);
    }
    Ok(SourceKeys {
        policy,
        keys: Keys {
            global_unicast,
            authentication,
            ..Keys::default()
        },
        system_title: security.system_title,
    })
}

/// One key file: 32 hexadecimal digits, with any whitespace (a trailing newline, groups of
/// digits) ignored.
///
/// # Errors
/// [`KeyError::Read`] or [`KeyError::Malformed`].
pub fn read_key(path: &Path, what: &'static str) -> Result<Key, KeyError> {
    let text = std::fs::read_to_string(path).map_err(|e| KeyError::Read {
        what,
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    let malformed = || KeyError::Malformed {
        what,
        path: path.to_owned(),
        found: digits.len(),
    };
    if digits.len() != 32 {
        return Err(malformed());
    }
    let mut key = [0u8; 16];
    for (out, pair) in key.iter_mut().zip(digits.chunks_exact(2)) {
        let pair = std::str::from_utf8(pair).map_err(|_| malformed())?;
        *out = u8::from_str_radix(pair, 16).map_err(|_| malformed())?;
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn tempdir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "fieldbridge-dlms-keys-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_key_file_is_32_hex_digits_with_any_whitespace() {
        let dir = tempdir();
        let ok = file(&dir, "ek", "000102030405060708090A0B0C0D0E0F\n");
        assert_eq!(
            read_key(&ok, "encryption key").unwrap(),
            [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]
        );
        let grouped = file(&dir, "ak", "d0d1d2d3 d4d5d6d7 d8d9dadb dcdddedf");
        assert_eq!(read_key(&grouped, "authentication key").unwrap()[0], 0xD0);
        let short = file(&dir, "short", "0001");
        assert_eq!(
            read_key(&short, "encryption key"),
            Err(KeyError::Malformed {
                what: "encryption key",
                path: short.clone(),
                found: 4
            })
        );
        let not_hex = file(&dir, "nothex", &"zz".repeat(16));
        assert!(matches!(
            read_key(&not_hex, "encryption key"),
            Err(KeyError::Malformed { found: 32, .. })
        ));
        let missing = dir.join("absent");
        assert!(matches!(
            read_key(&missing, "encryption key"),
            Err(KeyError::Read { .. })
        ));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn the_policy_and_hls_say_which_keys_are_needed() {
        let dir = tempdir();
        let ek = file(&dir, "ek2", "000102030405060708090A0B0C0D0E0F");
        let ak = file(&dir, "ak2", "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF");
        let mut security = DlmsSecurity::none();
        let plain = load(&security, false).unwrap();
        assert_eq!(plain.policy, None);
        assert_eq!(plain.keys, Keys::default());
        assert_eq!(
            load(&security, true),
            Err(KeyError::Missing {
                what: "encryption key"
            })
        );
        security.policy = DlmsSecurityPolicy::Encrypted;
        security.encryption_key_file = Some(ek.clone());
        assert_eq!(load(&security, false), Err(KeyError::NoSystemTitle));
        security.system_title = Some(*b"FLB00001");
        let encrypted = load(&security, false).unwrap();
        assert_eq!(encrypted.policy, Some(SecurityPolicy::Encrypted));
        assert_eq!(encrypted.keys.authentication, None);
        security.policy = DlmsSecurityPolicy::AuthenticatedEncrypted;
        assert_eq!(
            load(&security, false),
            Err(KeyError::Missing {
                what: "authentication key"
            })
        );
        security.authentication_key_file = Some(ak);
        let both = load(&security, false).unwrap();
        assert!(both.keys.authentication.is_some() && both.keys.global_unicast.is_some());
        let shown = format!("{both:?}");
        assert!(
            !shown.contains("208") && !shown.contains("D0"),
            "keys never printed"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
