//! The secured broker link (`mqtts://`): the rustls client configuration built from the PEM files
//! of `[mqtt]`, and the static checks `fieldbridge check` runs on them.
//!
//! TLS is rustls with the *ring* provider only (never aws-lc), TLS 1.2 and 1.3 (RFC 5246, RFC 8446)
//! with the provider's safe defaults. Certificates are X.509 (RFC 5280). The bridge builds the
//! configuration itself rather than through rumqttc's `TlsConfiguration::Simple` so that every
//! problem names the file and what is wrong with it: an edge engineer reads the log, not the code.
//!
//! There are no system roots in this build: `mqtts://` needs `mqtt.ca_file`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, RootCertStore};

use crate::publisher::TlsFiles;

/// Which `[mqtt]` key a file comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileRole {
    /// `mqtt.ca_file`: the CA bundle that signs the broker's certificate.
    CaFile,
    /// `mqtt.cert_file`: the client certificate chain (mutual TLS).
    CertFile,
    /// `mqtt.key_file`: the client private key (mutual TLS).
    KeyFile,
    /// `mqtt.password_file`: the MQTT password (MQTT 3.1.1 §3.1.3.5, MQTT 5.0 §3.1.3.6).
    PasswordFile,
}

impl fmt::Display for FileRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileRole::CaFile => "mqtt.ca_file",
            FileRole::CertFile => "mqtt.cert_file",
            FileRole::KeyFile => "mqtt.key_file",
            FileRole::PasswordFile => "mqtt.password_file",
        })
    }
}

/// What is wrong with the files of the secured link. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The file cannot be read.
    #[error("{role} {}: cannot read: {source}", path.display())]
    Unreadable {
        /// Which key.
        role: FileRole,
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not PEM (RFC 7468): no `-----BEGIN ...-----` block, or a malformed one.
    #[error("{role} {}: not PEM ({detail})", path.display())]
    NotPem {
        /// Which key.
        role: FileRole,
        /// The file.
        path: PathBuf,
        /// What was found instead.
        detail: String,
    },
    /// PEM, but no `CERTIFICATE` block in it.
    #[error("{role} {}: no certificate in the file{}", path.display(), found_suffix(found))]
    NoCertificate {
        /// Which key.
        role: FileRole,
        /// The file.
        path: PathBuf,
        /// The PEM blocks that were there instead.
        found: Vec<&'static str>,
    },
    /// A `CERTIFICATE` block that is not an X.509 certificate (RFC 5280).
    #[error("{role} {}: certificate #{index} cannot be parsed as X.509: {reason}", path.display())]
    BadCertificate {
        /// Which key.
        role: FileRole,
        /// The file.
        path: PathBuf,
        /// 1-based position in the file.
        index: usize,
        /// Why.
        reason: String,
    },
    /// `mqtt.ca_file` holds no usable CA certificate.
    #[error("mqtt.ca_file {}: no CA certificates found{detail}", path.display())]
    NoCaCertificates {
        /// The file.
        path: PathBuf,
        /// Why the certificates in it were not taken.
        detail: String,
    },
    /// The key file holds no private key this build can use.
    #[error("mqtt.key_file {}: {reason}", path.display())]
    BadKey {
        /// The file.
        path: PathBuf,
        /// What is wrong: none found, encrypted, unsupported type.
        reason: String,
    },
    /// The private key is not the key of the certificate (their public keys differ).
    #[error("mqtt.key_file {} does not match the certificate in mqtt.cert_file {} (their public keys differ)", key.display(), cert.display())]
    KeyMismatch {
        /// The key file.
        key: PathBuf,
        /// The certificate file.
        cert: PathBuf,
    },
    /// A certificate's validity ended (RFC 5280 §4.1.2.5).
    #[error("{role} {}: certificate \"{subject}\" expired on {not_after}", path.display())]
    Expired {
        /// Which key.
        role: FileRole,
        /// The file.
        path: PathBuf,
        /// The certificate's subject.
        subject: String,
        /// Its notAfter (RFC 3339).
        not_after: String,
    },
    /// A certificate's validity has not begun (RFC 5280 §4.1.2.5): often a clock not set yet.
    #[error("{role} {}: certificate \"{subject}\" is not valid before {not_before} (is the clock right?)", path.display())]
    NotYetValid {
        /// Which key.
        role: FileRole,
        /// The file.
        path: PathBuf,
        /// The certificate's subject.
        subject: String,
        /// Its notBefore (RFC 3339).
        not_before: String,
    },
    /// `mqtts://` without `mqtt.ca_file`.
    #[error("mqtt.ca_file is required for mqtts:// (the CA bundle, PEM, that signs the broker's certificate); this build does not use the system's roots")]
    CaFileRequired,
    /// Only one of `mqtt.cert_file` and `mqtt.key_file`.
    #[error("mqtt.cert_file and mqtt.key_file go together (mutual TLS needs both)")]
    HalfClientIdentity,
    /// TLS files on a plain `mqtt://` link: they would be ignored.
    #[error("{role} is set but the broker url is not mqtts://: it would be ignored")]
    TlsFileWithoutTls {
        /// Which key.
        role: FileRole,
    },
    /// `mqtt.password_file` without `mqtt.username`.
    #[error("mqtt.password_file {} is set without mqtt.username (MQTT 3.1.1 §3.1.2.9: no password without a user name)", path.display())]
    PasswordWithoutUser {
        /// The file.
        path: PathBuf,
    },
    /// The password file is empty (a trailing newline does not count).
    #[error("mqtt.password_file {}: the file is empty", path.display())]
    EmptyPassword {
        /// The file.
        path: PathBuf,
    },
    /// rustls refused the configuration (should not happen with the ring provider's defaults).
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
}

fn found_suffix(found: &[&'static str]) -> String {
    if found.is_empty() {
        String::new()
    } else {
        format!(" (found: {})", found.join(", "))
    }
}

impl TlsError {
    /// The file the problem is about, when there is one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            TlsError::Unreadable { path, .. }
            | TlsError::NotPem { path, .. }
            | TlsError::NoCertificate { path, .. }
            | TlsError::BadCertificate { path, .. }
            | TlsError::NoCaCertificates { path, .. }
            | TlsError::BadKey { path, .. }
            | TlsError::Expired { path, .. }
            | TlsError::NotYetValid { path, .. }
            | TlsError::PasswordWithoutUser { path }
            | TlsError::EmptyPassword { path } => Some(path),
            TlsError::KeyMismatch { key, .. } => Some(key),
            _ => None,
        }
    }
}

/// The crypto provider of every TLS link: rustls' *ring* provider.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Builds the rustls client configuration of an `mqtts://` link: roots from `ca_file` (one or more
/// PEM certificates), client authentication (RFC 8446 §4.4.2) from `cert_file` + `key_file` when
/// both are set. Hand it to rumqttc as `Transport::tls_with_config(TlsConfiguration::Rustls(..))`.
///
/// Validity dates are not checked here (see [`validity_problems`]): a device whose clock is not set
/// yet must still start, and the broker has the last word.
pub fn client_config(files: &TlsFiles) -> Result<Arc<ClientConfig>, TlsError> {
    let ca_file = files.ca_file.as_ref().ok_or(TlsError::CaFileRequired)?;
    let roots = load_roots(ca_file)?;
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots);
    let config = match client_identity(files, &provider)? {
        Some(key) => builder.with_client_cert_resolver(Arc::new(SingleIdentity(Arc::new(key)))),
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// Presents the one client certificate whatever the server asks.
#[derive(Debug)]
struct SingleIdentity(Arc<CertifiedKey>);

impl rustls::client::ResolvesClientCert for SingleIdentity {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[rustls::SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }

    fn has_certs(&self) -> bool {
        true
    }
}

fn read(role: FileRole, path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Unreadable {
        role,
        path: path.to_owned(),
        source,
    })
}

/// The PEM blocks of a file, with their kinds.
fn pem_items(
    role: FileRole,
    path: &Path,
    data: &[u8],
) -> Result<Vec<rustls_pemfile::Item>, TlsError> {
    let not_pem = |detail: String| TlsError::NotPem {
        role,
        path: path.to_owned(),
        detail,
    };
    let mut reader = data;
    let items = rustls_pemfile::read_all(&mut reader)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| not_pem(format!("a malformed PEM block: {e}")))?;
    let has_begin = data.windows(11).any(|w| w == b"-----BEGIN ");
    if items.is_empty() && !has_begin {
        let detail = if data.is_empty() {
            "the file is empty".to_owned()
        } else if data.first() == Some(&0x30) {
            "it looks like DER; convert it with `openssl x509 -inform der -in FILE -out FILE.pem`"
                .to_owned()
        } else {
            "no -----BEGIN ...----- block".to_owned()
        };
        return Err(not_pem(detail));
    }
    Ok(items)
}

fn item_kind(item: &rustls_pemfile::Item) -> &'static str {
    use rustls_pemfile::Item;
    match item {
        Item::X509Certificate(_) => "CERTIFICATE",
        Item::Pkcs1Key(_) => "RSA PRIVATE KEY",
        Item::Pkcs8Key(_) => "PRIVATE KEY",
        Item::Sec1Key(_) => "EC PRIVATE KEY",
        Item::Crl(_) => "X509 CRL",
        Item::Csr(_) => "CERTIFICATE REQUEST",
        _ => "other",
    }
}

/// Every certificate of a PEM file (at least one), each checked to parse as X.509.
fn load_certs(role: FileRole, path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let data = read(role, path)?;
    let items = pem_items(role, path, &data)?;
    let mut certs = Vec::new();
    let mut found = Vec::new();
    for item in items {
        match item {
            rustls_pemfile::Item::X509Certificate(c) => certs.push(c),
            other => {
                let kind = item_kind(&other);
                if !found.contains(&kind) {
                    found.push(kind);
                }
            }
        }
    }
    if certs.is_empty() {
        return Err(TlsError::NoCertificate {
            role,
            path: path.to_owned(),
            found,
        });
    }
    for (i, der) in certs.iter().enumerate() {
        if let Err(e) = x509_parser::parse_x509_certificate(der) {
            return Err(TlsError::BadCertificate {
                role,
                path: path.to_owned(),
                index: i + 1,
                reason: e.to_string(),
            });
        }
    }
    Ok(certs)
}

fn load_roots(path: &Path) -> Result<RootCertStore, TlsError> {
    let certs = load_certs(FileRole::CaFile, path).map_err(|e| match e {
        TlsError::NoCertificate { path, found, .. } => TlsError::NoCaCertificates {
            path,
            detail: found_suffix(&found),
        },
        other => other,
    })?;
    let mut roots = RootCertStore::empty();
    let (_added, ignored) = roots.add_parsable_certificates(certs);
    if roots.is_empty() {
        return Err(TlsError::NoCaCertificates {
            path: path.to_owned(),
            detail: format!(" ({ignored} certificate(s) not usable as a trust anchor)"),
        });
    }
    Ok(roots)
}

/// The private key of a PEM file: PKCS#8, PKCS#1 (RSA) or SEC1 (EC), unencrypted.
fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let role = FileRole::KeyFile;
    let data = read(role, path)?;
    let bad = |reason: String| TlsError::BadKey {
        path: path.to_owned(),
        reason,
    };
    if data
        .windows(29)
        .any(|w| w == b"-----BEGIN ENCRYPTED PRIVATE")
    {
        return Err(bad(
            "the private key is encrypted (a passphrase is not supported); decrypt it with `openssl pkey -in FILE -out FILE.key`".to_owned(),
        ));
    }
    let items = pem_items(role, path, &data)?;
    let mut found = Vec::new();
    for item in items {
        match item {
            rustls_pemfile::Item::Pkcs8Key(k) => return Ok(k.into()),
            rustls_pemfile::Item::Pkcs1Key(k) => return Ok(k.into()),
            rustls_pemfile::Item::Sec1Key(k) => return Ok(k.into()),
            other => {
                let kind = item_kind(&other);
                if !found.contains(&kind) {
                    found.push(kind);
                }
            }
        }
    }
    Err(bad(format!(
        "no private key in the file (PKCS#8, PKCS#1 or SEC1 PEM){}",
        found_suffix(&found)
    )))
}

/// The client certificate and key, checked to belong together; `None` without mutual TLS.
fn client_identity(
    files: &TlsFiles,
    provider: &CryptoProvider,
) -> Result<Option<CertifiedKey>, TlsError> {
    let (cert_file, key_file) = match (&files.cert_file, &files.key_file) {
        (None, None) => return Ok(None),
        (Some(c), Some(k)) => (c, k),
        _ => return Err(TlsError::HalfClientIdentity),
    };
    let chain = load_certs(FileRole::CertFile, cert_file)?;
    let key = load_key(key_file)?;
    let signing_key =
        provider
            .key_provider
            .load_private_key(key)
            .map_err(|e| TlsError::BadKey {
                path: key_file.clone(),
                reason: format!(
                    "the private key cannot be used (unsupported type or damaged): {e}"
                ),
            })?;
    let certified = CertifiedKey::new(chain, signing_key);
    match certified.keys_match() {
        Ok(()) | Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => {
            Ok(Some(certified))
        }
        Err(rustls::Error::InconsistentKeys(_)) => Err(TlsError::KeyMismatch {
            key: key_file.clone(),
            cert: cert_file.clone(),
        }),
        Err(e) => Err(TlsError::BadCertificate {
            role: FileRole::CertFile,
            path: cert_file.clone(),
            index: 1,
            reason: e.to_string(),
        }),
    }
}

mod check;

pub use check::{
    check_files, check_link, credentials, files_of, read_password, validity_problems, Problem,
    Severity,
};

#[cfg(test)]
pub(crate) mod test_pki;
#[cfg(test)]
mod tests;
