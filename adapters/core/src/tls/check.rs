//! What can be known about the link's files without connecting: certificate dates, the
//! password file, and the problems `fieldbridge check` reports (with their severity).

use std::fmt;
use std::path::Path;
use std::time::SystemTime;

use super::{client_identity, load_certs, load_roots, provider, FileRole, TlsError};
use crate::config::MqttConfig;
use crate::publisher::TlsFiles;

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
