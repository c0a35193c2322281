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
use std::time::SystemTime;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, RootCertStore};

use crate::config::MqttConfig;
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

fn rfc3339(unix_seconds: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix_seconds)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| unix_seconds.to_string())
}

/// The validity problems (RFC 5280 §4.1.2.5) of the certificates in `ca_file` and `cert_file` at
/// `now`: expired or not yet valid. Files that cannot be read are left to [`client_config`].
pub fn validity_problems(files: &TlsFiles, now: SystemTime) -> Vec<TlsError> {
    let now = match now.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(_) => 0,
    };
    let mut problems = Vec::new();
    let roles = [
        (FileRole::CaFile, files.ca_file.as_ref()),
        (FileRole::CertFile, files.cert_file.as_ref()),
    ];
    for (role, path) in roles {
        let Some(path) = path else { continue };
        let Ok(certs) = load_certs(role, path) else {
            continue;
        };
        for der in &certs {
            let Ok((_, cert)) = x509_parser::parse_x509_certificate(der) else {
                continue;
            };
            let subject = cert.subject().to_string();
            let validity = cert.validity();
            if validity.not_after.timestamp() < now {
                problems.push(TlsError::Expired {
                    role,
                    path: path.clone(),
                    subject,
                    not_after: rfc3339(validity.not_after.timestamp()),
                });
            } else if validity.not_before.timestamp() > now {
                problems.push(TlsError::NotYetValid {
                    role,
                    path: path.clone(),
                    subject,
                    not_before: rfc3339(validity.not_before.timestamp()),
                });
            }
        }
    }
    problems
}

/// Reads `mqtt.password_file`: the whole file, one trailing line break removed; an empty
/// password is refused (leave `password_file` out to send none).
pub fn read_password(path: &Path) -> Result<String, TlsError> {
    let text = std::fs::read_to_string(path).map_err(|source| TlsError::Unreadable {
        role: FileRole::PasswordFile,
        path: path.to_owned(),
        source,
    })?;
    let password = text.trim_end_matches(['\r', '\n']);
    if password.is_empty() {
        return Err(TlsError::EmptyPassword {
            path: path.to_owned(),
        });
    }
    Ok(password.to_owned())
}

/// The user name and password of the CONNECT packet (MQTT 3.1.1 §3.1.3.4-5, MQTT 5.0
/// §3.1.3.5-6): a user name alone sends an empty password; a password file without a user name
/// is refused.
pub fn credentials(mqtt: &MqttConfig) -> Result<Option<(String, String)>, TlsError> {
    match (&mqtt.username, &mqtt.password_file) {
        (Some(user), Some(file)) => Ok(Some((user.clone(), read_password(file)?))),
        (Some(user), None) => Ok(Some((user.clone(), String::new()))),
        (None, Some(file)) => Err(TlsError::PasswordWithoutUser { path: file.clone() }),
        (None, None) => Ok(None),
    }
}

/// The TLS files of `[mqtt]`, `None` for a plain `mqtt://` or embedded broker.
pub fn files_of(mqtt: &MqttConfig) -> Option<TlsFiles> {
    match mqtt.url {
        crate::config::BrokerUrl::Remote { tls: true, .. } => Some(TlsFiles {
            ca_file: mqtt.ca_file.clone(),
            cert_file: mqtt.cert_file.clone(),
            key_file: mqtt.key_file.clone(),
        }),
        _ => None,
    }
}

/// How bad a [`Problem`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The bridge would not start, or the broker would refuse it.
    Error,
    /// Worth knowing; the bridge runs.
    Warning,
}

/// One finding of [`check_files`] or [`check_link`].
#[derive(Debug)]
pub struct Problem {
    /// How bad.
    pub severity: Severity,
    /// What, naming the file.
    pub error: TlsError,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.severity {
            Severity::Error => write!(f, "error: {}", self.error),
            Severity::Warning => write!(f, "warning: {}", self.error),
        }
    }
}

/// Everything knowable about the TLS files without connecting (for `fieldbridge check`): each
/// file readable and PEM, certificates present and X.509, a CA in `ca_file`, the key usable and
/// matching the certificate, and every certificate valid at `now`.
pub fn check_files(files: &TlsFiles, now: SystemTime) -> Vec<Problem> {
    let mut problems = Vec::new();
    let error = |error| Problem {
        severity: Severity::Error,
        error,
    };
    match &files.ca_file {
        None => problems.push(error(TlsError::CaFileRequired)),
        Some(ca) => {
            if let Err(e) = load_roots(ca) {
                problems.push(error(e));
            }
        }
    }
    if let Err(e) = client_identity(files, &provider()) {
        problems.push(error(e));
    }
    problems.extend(validity_problems(files, now).into_iter().map(error));
    problems
}

/// [`check_files`] for an `mqtts://` url, plus the credentials (`password_file` readable and not
/// empty, never without `username`), and TLS files set on a plain link (a warning).
pub fn check_link(mqtt: &MqttConfig, now: SystemTime) -> Vec<Problem> {
    let mut problems = match files_of(mqtt) {
        Some(files) => check_files(&files, now),
        None => {
            let set = [
                (FileRole::CaFile, mqtt.ca_file.is_some()),
                (FileRole::CertFile, mqtt.cert_file.is_some()),
                (FileRole::KeyFile, mqtt.key_file.is_some()),
            ];
            set.into_iter()
                .filter(|(_, set)| *set)
                .map(|(role, _)| Problem {
                    severity: Severity::Warning,
                    error: TlsError::TlsFileWithoutTls { role },
                })
                .collect()
        }
    };
    if let Err(error) = credentials(mqtt) {
        problems.push(Problem {
            severity: Severity::Error,
            error,
        });
    }
    problems
}

#[cfg(test)]
pub(crate) mod test_pki {
    //! Test certificates, made at test time with the `openssl` command line tool.

    use std::path::{Path, PathBuf};
    use std::process::Command;

    /// A CA and certificates it signs, in a temporary directory.
    pub(crate) struct Pki {
        pub(crate) dir: tempfile::TempDir,
    }

    impl Pki {
        pub(crate) fn new() -> Self {
            let pki = Pki {
                dir: tempfile::tempdir().expect("tempdir"),
            };
            pki.openssl(&[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-days",
                "30",
                "-subj",
                "/CN=fieldbridge test CA",
            ]);
            pki
        }

        pub(crate) fn path(&self, name: &str) -> PathBuf {
            self.dir.path().join(name)
        }

        pub(crate) fn openssl(&self, args: &[&str]) {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(self.dir.path())
                .output()
                .expect("the openssl command line tool");
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }

        pub(crate) fn write(&self, name: &str, data: &[u8]) -> PathBuf {
            let path = self.path(name);
            std::fs::write(&path, data).expect("write");
            path
        }

        /// `NAME.pem` and `NAME.key` (PKCS#8, EC P-256), signed by `ca` (`ca` for the test CA), with
        /// the subject alternative names `san` (e.g. `IP:127.0.0.1,DNS:localhost`).
        pub(crate) fn issue(&self, name: &str, ca: &str, san: &str) -> (PathBuf, PathBuf) {
            let key = format!("{name}.key");
            let csr = format!("{name}.csr");
            let pem = format!("{name}.pem");
            let ext = format!("{name}.ext");
            self.write(
                &ext,
                format!("basicConstraints=CA:FALSE\nsubjectAltName={san}\n").as_bytes(),
            );
            self.openssl(&[
                "req",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                &key,
                "-out",
                &csr,
                "-subj",
                &format!("/CN={name}"),
            ]);
            self.openssl(&[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                &format!("{ca}.pem"),
                "-CAkey",
                &format!("{ca}.key"),
                "-CAcreateserial",
                "-out",
                &pem,
                "-days",
                "30",
                "-extfile",
                &ext,
            ]);
            (self.path(&pem), self.path(&key))
        }

        /// Makes the files readable by everyone (mosquitto reads its key after dropping root).
        pub(crate) fn share(&self) {
            use std::os::unix::fs::PermissionsExt;
            let _ =
                std::fs::set_permissions(self.dir.path(), std::fs::Permissions::from_mode(0o755));
            for entry in std::fs::read_dir(self.dir.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                let _ =
                    std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(0o644));
            }
        }

        pub(crate) fn exists(path: &Path) -> bool {
            path.exists()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_pki::Pki;
    use super::*;
    use std::time::Duration;

    fn files(ca: Option<PathBuf>, cert: Option<PathBuf>, key: Option<PathBuf>) -> TlsFiles {
        TlsFiles {
            ca_file: ca,
            cert_file: cert,
            key_file: key,
        }
    }

    fn err(files: &TlsFiles) -> TlsError {
        match client_config(files) {
            Ok(_) => panic!("expected an error for {files:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn a_ca_and_a_matching_client_identity_make_a_config() {
        let pki = Pki::new();
        let (cert, key) = pki.issue("client", "ca", "DNS:client");
        let f = files(Some(pki.path("ca.pem")), Some(cert), Some(key));
        assert!(client_config(&f).is_ok());
        assert!(check_files(&f, SystemTime::now()).is_empty());
        // Server authentication only.
        assert!(client_config(&files(Some(pki.path("ca.pem")), None, None)).is_ok());
    }

    #[test]
    fn pkcs1_and_sec1_keys_and_bundles_of_several_cas_are_accepted() {
        let pki = Pki::new();
        // A second CA, RSA, and a client of it with a PKCS#1 key.
        pki.openssl(&["genrsa", "-traditional", "-out", "ca2.key", "2048"]);
        pki.openssl(&[
            "req",
            "-x509",
            "-key",
            "ca2.key",
            "-out",
            "ca2.pem",
            "-days",
            "30",
            "-subj",
            "/CN=second CA",
        ]);
        pki.openssl(&["genrsa", "-traditional", "-out", "rsa.key", "2048"]);
        pki.openssl(&[
            "req", "-new", "-key", "rsa.key", "-out", "rsa.csr", "-subj", "/CN=rsa",
        ]);
        pki.write("rsa.ext", b"basicConstraints=CA:FALSE\n");
        pki.openssl(&[
            "x509",
            "-req",
            "-in",
            "rsa.csr",
            "-CA",
            "ca2.pem",
            "-CAkey",
            "ca2.key",
            "-CAcreateserial",
            "-out",
            "rsa.pem",
            "-days",
            "30",
            "-extfile",
            "rsa.ext",
        ]);
        let rsa_key = std::fs::read_to_string(pki.path("rsa.key")).unwrap_or_default();
        assert!(rsa_key.contains("BEGIN RSA PRIVATE KEY"), "{rsa_key}");
        let bundle = [
            std::fs::read(pki.path("ca.pem")).unwrap_or_default(),
            std::fs::read(pki.path("ca2.pem")).unwrap_or_default(),
        ]
        .concat();
        let bundle = pki.write("bundle.pem", &bundle);
        let f = files(
            Some(bundle.clone()),
            Some(pki.path("rsa.pem")),
            Some(pki.path("rsa.key")),
        );
        client_config(&f).expect("PKCS#1 key");

        let (cert, key) = pki.issue("ec", "ca", "DNS:ec");
        pki.openssl(&["ec", "-in", "ec.key", "-out", "ec-sec1.key"]);
        let sec1 = std::fs::read_to_string(pki.path("ec-sec1.key")).unwrap_or_default();
        assert!(sec1.contains("BEGIN EC PRIVATE KEY"), "{sec1}");
        assert!(Pki::exists(&key));
        client_config(&files(
            Some(bundle),
            Some(cert),
            Some(pki.path("ec-sec1.key")),
        ))
        .expect("SEC1 key");
    }

    #[test]
    fn each_file_problem_names_the_file() {
        let pki = Pki::new();
        let (cert, key) = pki.issue("client", "ca", "DNS:client");
        let (_, other_key) = pki.issue("other", "ca", "DNS:other");
        let ca = pki.path("ca.pem");
        let missing = pki.path("missing.pem");

        let e = err(&files(Some(missing.clone()), None, None));
        assert!(
            matches!(
                e,
                TlsError::Unreadable {
                    role: FileRole::CaFile,
                    ..
                }
            ),
            "{e}"
        );
        assert!(
            e.to_string()
                .starts_with(&format!("mqtt.ca_file {}: cannot read", missing.display())),
            "{e}"
        );

        let text = pki.write("text.pem", b"hello\n");
        let e = err(&files(Some(text.clone()), None, None));
        assert!(matches!(e, TlsError::NotPem { .. }), "{e}");
        assert!(e.to_string().contains(&text.display().to_string()), "{e}");

        pki.openssl(&["x509", "-in", "ca.pem", "-outform", "der", "-out", "ca.der"]);
        let e = err(&files(Some(pki.path("ca.der")), None, None));
        assert!(e.to_string().contains("looks like DER"), "{e}");

        let e = err(&files(Some(key.clone()), None, None));
        assert!(matches!(e, TlsError::NoCaCertificates { .. }), "{e}");
        assert!(
            e.to_string()
                .contains("no CA certificates found (found: PRIVATE KEY)"),
            "{e}"
        );

        let e = err(&files(
            Some(ca.clone()),
            Some(key.clone()),
            Some(key.clone()),
        ));
        assert!(
            matches!(
                e,
                TlsError::NoCertificate {
                    role: FileRole::CertFile,
                    ..
                }
            ),
            "{e}"
        );

        let e = err(&files(
            Some(ca.clone()),
            Some(cert.clone()),
            Some(cert.clone()),
        ));
        assert!(matches!(e, TlsError::BadKey { .. }), "{e}");
        assert!(e.to_string().contains("no private key in the file"), "{e}");

        pki.openssl(&[
            "pkey",
            "-in",
            "client.key",
            "-out",
            "encrypted.key",
            "-aes256",
            "-passout",
            "pass:secret",
        ]);
        let e = err(&files(
            Some(ca.clone()),
            Some(cert.clone()),
            Some(pki.path("encrypted.key")),
        ));
        assert!(e.to_string().contains("encrypted"), "{e}");

        let garbage = pki.write(
            "garbage.key",
            b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        );
        let e = err(&files(Some(ca.clone()), Some(cert.clone()), Some(garbage)));
        assert!(e.to_string().contains("cannot be used"), "{e}");

        let e = err(&files(
            Some(ca.clone()),
            Some(cert.clone()),
            Some(other_key.clone()),
        ));
        assert!(matches!(e, TlsError::KeyMismatch { .. }), "{e}");
        assert_eq!(
            e.to_string(),
            format!(
                "mqtt.key_file {} does not match the certificate in mqtt.cert_file {} (their public keys differ)",
                other_key.display(),
                cert.display()
            )
        );

        assert!(matches!(
            err(&files(None, None, None)),
            TlsError::CaFileRequired
        ));
        assert!(matches!(
            err(&files(Some(ca.clone()), Some(cert), None)),
            TlsError::HalfClientIdentity
        ));
    }

    #[test]
    fn expired_and_not_yet_valid_certificates_are_reported_with_their_dates() {
        let pki = Pki::new();
        let (cert, key) = pki.issue("client", "ca", "DNS:client");
        let f = files(Some(pki.path("ca.pem")), Some(cert.clone()), Some(key));
        let later = SystemTime::now() + Duration::from_secs(365 * 86400);
        let problems = check_files(&f, later);
        assert_eq!(problems.len(), 2, "{problems:?}");
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(text[0].starts_with("error: mqtt.ca_file"), "{text:?}");
        assert!(
            text[0].contains("\"CN=fieldbridge test CA\" expired on 20"),
            "{text:?}"
        );
        assert!(
            text[1].contains(&format!(
                "mqtt.cert_file {}: certificate \"CN=client\" expired on",
                cert.display()
            )),
            "{text:?}"
        );
        // The loader itself does not refuse them: the broker has the last word.
        assert!(client_config(&f).is_ok());

        let before = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
        let problems = validity_problems(&f, before);
        assert_eq!(problems.len(), 2);
        assert!(matches!(problems[1], TlsError::NotYetValid { .. }));
        assert!(
            problems[1].to_string().contains("is not valid before 20"),
            "{}",
            problems[1]
        );
    }

    #[test]
    fn credentials_follow_the_rules() {
        let pki = Pki::new();
        let mut mqtt = crate::config::parse(
            "[bridge]\nid = \"b\"\nsite = \"s\"\ndata_dir = \"/tmp/x\"\n[mqtt]\nurl = \"mqtts://broker\"\n",
        )
        .map(|c| c.mqtt)
        .expect("a minimal configuration");
        assert_eq!(credentials(&mqtt).ok(), Some(None));
        let problems = check_link(&mqtt, SystemTime::now());
        assert!(
            matches!(problems[0].error, TlsError::CaFileRequired),
            "{problems:?}"
        );

        let password = pki.write("password", b"s3cret\n");
        mqtt.password_file = Some(password.clone());
        let e = credentials(&mqtt)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("without mqtt.username"), "{e}");

        mqtt.username = Some("bridge".into());
        assert_eq!(
            credentials(&mqtt).ok(),
            Some(Some(("bridge".into(), "s3cret".into())))
        );
        pki.write("password", b"\n");
        let e = credentials(&mqtt)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert_eq!(
            e,
            format!(
                "mqtt.password_file {}: the file is empty",
                password.display()
            )
        );
        mqtt.password_file = Some(pki.path("nope"));
        let e = credentials(&mqtt)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.starts_with("mqtt.password_file") && e.contains("cannot read"),
            "{e}"
        );
        mqtt.password_file = None;
        assert_eq!(
            credentials(&mqtt).ok(),
            Some(Some(("bridge".into(), String::new())))
        );
    }
}
