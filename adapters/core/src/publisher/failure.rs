//! Why a connection to the broker failed, in words an edge engineer can act on, and how often it
//! is said: a broker that refuses the bridge every few seconds for a week must not fill the disk
//! with the same line.
//!
//! rumqttc wraps TLS failures several ways: `ConnectionError::Tls(TlsError::Io(io::Error))` during
//! the handshake, `ConnectionError::Io` or a state error around an `io::Error` after it (TLS 1.3,
//! RFC 8446 §4.4.2: the server checks the client certificate after the client's Finished, so its
//! alert arrives while the bridge waits for the CONNACK). The `rustls::Error` is found by walking
//! the error chain and looking inside every `io::Error` (`get_ref`).

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use rustls::{AlertDescription, CertificateError};

use super::client::LinkError;
use super::TlsFiles;
use crate::metrics::{self, DescriptorEncoder};
use crate::tls::TlsError;

/// What the failure messages name.
#[derive(Debug, Clone, Default)]
pub(crate) struct Context {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) tls: Option<TlsFiles>,
    pub(crate) user: Option<String>,
    pub(crate) password_file: Option<PathBuf>,
}

impl Context {
    fn ca_file(&self) -> String {
        self.tls
            .as_ref()
            .and_then(|t| t.ca_file.as_ref())
            .map_or_else(|| "(none)".to_owned(), |p| p.display().to_string())
    }

    fn cert_file(&self) -> Option<String> {
        self.tls
            .as_ref()
            .and_then(|t| t.cert_file.as_ref())
            .map(|p| p.display().to_string())
    }

    fn credentials(&self) -> String {
        let user = self.user.as_deref().unwrap_or("(none)");
        match &self.password_file {
            Some(p) => format!(
                "mqtt.username \"{user}\", mqtt.password_file {}",
                p.display()
            ),
            None => format!("mqtt.username \"{user}\", no mqtt.password_file"),
        }
    }
}

/// A classified failure: a short kind word (the `reason` label and log field) and the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    /// `network`, `tls-unknown-ca`, `tls-expired`, `tls-not-yet-valid`, `tls-name`,
    /// `tls-client-cert`, `tls-certificate`, `tls`, `tls-config`, `auth`, `refused`,
    /// `disconnected`, `protocol`, `ack-timeout`.
    pub(crate) reason: &'static str,
    /// What happened, naming the file or the setting to look at.
    pub(crate) message: String,
}

/// The broker took publishes and acknowledged none of them for `delivery::ACK_STALL`: a node of
/// a cluster that lost its stream leaders can do that without closing the connection.
pub(crate) fn ack_stall() -> Failure {
    Failure {
        reason: "ack-timeout",
        message: format!(
            "the broker acknowledged no publish for {} s; the connection is dropped and the unacknowledged samples are sent again on the next",
            super::delivery::ACK_STALL.as_secs()
        ),
    }
}

impl Failure {
    /// Whether the failure is a setting to fix rather than the network: logged as an error.
    pub(crate) fn is_configuration(&self) -> bool {
        self.reason.starts_with("tls") || self.reason == "auth"
    }
}

/// The TLS files could not be loaded when a connection was due.
pub(crate) fn tls_config_failure(error: &TlsError) -> Failure {
    Failure {
        reason: "tls-config",
        message: error.to_string(),
    }
}

/// The `rustls::Error` somewhere in the chain of `error`, if any.
fn find_rustls<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut current = Some(error);
    let mut depth = 0;
    while let Some(e) = current {
        if let Some(r) = e.downcast_ref::<rustls::Error>() {
            return Some(r);
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if let Some(inner) = io.get_ref() {
                if let Some(r) = find_rustls(inner) {
                    return Some(r);
                }
            }
        }
        depth += 1;
        if depth > 16 {
            return None;
        }
        current = e.source();
    }
    None
}

/// The innermost `io::Error` kind in the chain, for network failures.
fn find_io<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a std::io::Error> {
    let mut current = Some(error);
    let mut depth = 0;
    while let Some(e) = current {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return Some(io);
        }
        depth += 1;
        if depth > 16 {
            return None;
        }
        current = e.source();
    }
    None
}

/// The error that carries the cause: rumqttc's v5 state error keeps its codec error without
/// marking it as the source, so it is unwrapped by hand.
fn cause(error: &LinkError) -> &(dyn std::error::Error + 'static) {
    use rumqttc::v5::{ConnectionError as C5, StateError as S5};
    match error {
        LinkError::V3(e) => e,
        LinkError::V5(C5::MqttState(S5::Deserialization(inner))) => inner,
        LinkError::V5(e) => e,
    }
}

fn tls_failure(r: &rustls::Error, ctx: &Context) -> Failure {
    let host = &ctx.host;
    let (reason, message) = match r {
        rustls::Error::InvalidCertificate(c) => match c {
            CertificateError::UnknownIssuer => (
                "tls-unknown-ca",
                format!(
                    "the broker's certificate is not signed by a CA in mqtt.ca_file {}",
                    ctx.ca_file()
                ),
            ),
            // A CA of the same name whose key did not sign it (a re-made CA, another site's).
            CertificateError::BadSignature => (
                "tls-unknown-ca",
                format!(
                    "the broker's certificate is not signed by a CA in mqtt.ca_file {} (a CA of the same name is there, but not the one that signed it)",
                    ctx.ca_file()
                ),
            ),
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => (
                "tls-expired",
                match c {
                    CertificateError::ExpiredContext { time, not_after } => format!(
                        "the broker's certificate (or its CA) expired on {} (now {})",
                        unix_rfc3339(not_after.as_secs()),
                        unix_rfc3339(time.as_secs())
                    ),
                    _ => "the broker's certificate (or its CA) has expired".to_owned(),
                },
            ),
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => (
                "tls-not-yet-valid",
                match c {
                    CertificateError::NotValidYetContext { time, not_before } => format!(
                        "the broker's certificate is not valid before {} (now {}: is the clock right?)",
                        unix_rfc3339(not_before.as_secs()),
                        unix_rfc3339(time.as_secs())
                    ),
                    _ => "the broker's certificate is not valid yet (is the clock right?)"
                        .to_owned(),
                },
            ),
            CertificateError::NotValidForName
            | CertificateError::NotValidForNameContext { .. } => (
                "tls-name",
                match c {
                    CertificateError::NotValidForNameContext { presented, .. } => format!(
                        "the broker's certificate is not valid for the host {host} (it names: {}); use one of those in mqtt.url",
                        presented.join(", ")
                    ),
                    _ => format!("the broker's certificate is not valid for the host {host}"),
                },
            ),
            other => (
                "tls-certificate",
                format!("the broker's certificate is not acceptable: {other:?}"),
            ),
        },
        rustls::Error::AlertReceived(alert) => match alert {
            AlertDescription::CertificateRequired
            | AlertDescription::BadCertificate
            | AlertDescription::UnknownCA
            | AlertDescription::CertificateUnknown
            | AlertDescription::CertificateExpired
            | AlertDescription::CertificateRevoked
            | AlertDescription::UnsupportedCertificate
            | AlertDescription::AccessDenied
            | AlertDescription::DecryptError => (
                "tls-client-cert",
                match ctx.cert_file() {
                    Some(cert) => format!(
                        "the broker refused the client certificate {cert} (TLS alert {alert:?})"
                    ),
                    None => format!(
                        "the broker requires a client certificate: set mqtt.cert_file and mqtt.key_file (TLS alert {alert:?})"
                    ),
                },
            ),
            AlertDescription::HandshakeFailure => (
                "tls",
                match ctx.cert_file() {
                    Some(cert) => format!(
                        "the broker ended the TLS handshake (handshake_failure): no common cipher suite, or it refused the client certificate {cert}"
                    ),
                    None => "the broker ended the TLS handshake (handshake_failure): no common cipher suite or protocol version, or it wants a client certificate".to_owned(),
                },
            ),
            other => (
                "tls",
                format!("the broker sent the TLS alert {other:?}"),
            ),
        },
        other => ("tls", format!("TLS with the broker failed: {other}")),
    };
    Failure { reason, message }
}

fn unix_rfc3339(secs: u64) -> String {
    time::OffsetDateTime::from_unix_timestamp(i64::try_from(secs).unwrap_or(i64::MAX))
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| secs.to_string())
}

/// Classifies a failed connection.
pub(crate) fn classify(error: &LinkError, ctx: &Context) -> Failure {
    if let Some(r) = find_rustls(cause(error)) {
        return tls_failure(r, ctx);
    }
    let addr = format!("{}:{}", ctx.host, ctx.port);
    let refused = |code: String, bad_credentials: bool, not_authorized: bool| {
        if bad_credentials {
            Failure {
                reason: "auth",
                message: format!(
                    "the broker refused the connection: bad user name or password ({})",
                    ctx.credentials()
                ),
            }
        } else if not_authorized {
            Failure {
                reason: "auth",
                message: format!(
                    "the broker refused the connection: not authorized (a wrong password, or a user the broker does not allow; {})",
                    ctx.credentials()
                ),
            }
        } else {
            Failure {
                reason: "refused",
                message: format!("the broker refused the connection: {code}"),
            }
        }
    };
    match error {
        LinkError::V3(rumqttc::ConnectionError::ConnectionRefused(code)) => {
            use rumqttc::ConnectReturnCode as C;
            return refused(
                format!("{code:?}"),
                *code == C::BadUserNamePassword,
                *code == C::NotAuthorized,
            );
        }
        LinkError::V5(rumqttc::v5::ConnectionError::ConnectionRefused(code))
        | LinkError::V5(rumqttc::v5::ConnectionError::MqttState(
            rumqttc::v5::StateError::ConnFail { reason: code },
        )) => {
            use rumqttc::v5::mqttbytes::v5::ConnectReturnCode as C;
            return refused(
                format!("{code:?}"),
                matches!(code, C::BadUserNamePassword | C::BadAuthenticationMethod),
                matches!(code, C::NotAuthorized | C::Banned),
            );
        }
        LinkError::V5(rumqttc::v5::ConnectionError::MqttState(
            rumqttc::v5::StateError::ServerDisconnect {
                reason_code,
                reason_string,
            },
        )) => {
            return Failure {
                reason: "disconnected",
                message: format!(
                    "the broker closed the connection: {reason_code:?}{}",
                    reason_string
                        .as_ref()
                        .map(|s| format!(" ({s})"))
                        .unwrap_or_default()
                ),
            }
        }
        LinkError::V3(rumqttc::ConnectionError::NetworkTimeout)
        | LinkError::V5(rumqttc::v5::ConnectionError::Timeout(_)) => {
            return Failure {
                reason: "network",
                message: format!("no answer from the broker {addr} in time"),
            }
        }
        LinkError::V3(rumqttc::ConnectionError::MqttState(
            rumqttc::StateError::ConnectionAborted,
        ))
        | LinkError::V5(rumqttc::v5::ConnectionError::MqttState(
            rumqttc::v5::StateError::ConnectionAborted,
        )) => {
            return Failure {
                reason: "network",
                message: format!("the broker {addr} closed the connection"),
            }
        }
        LinkError::V3(rumqttc::ConnectionError::MqttState(rumqttc::StateError::AwaitPingResp))
        | LinkError::V5(rumqttc::v5::ConnectionError::MqttState(
            rumqttc::v5::StateError::AwaitPingResp,
        )) => {
            return Failure {
                reason: "network",
                message: format!("the broker {addr} stopped answering (no PINGRESP)"),
            }
        }
        _ => {}
    }
    if let Some(io) = find_io(cause(error)) {
        return Failure {
            reason: "network",
            message: format!("cannot reach the broker {addr}: {io}"),
        };
    }
    Failure {
        reason: "protocol",
        message: format!("MQTT with the broker {addr} failed: {error}"),
    }
}

pub(crate) use crate::throttle::Throttle;

/// Counters of the broker link and of the command seam, rendered with the delivery's metrics.
#[derive(Debug, Default)]
pub(crate) struct LinkCounters {
    /// Failed connections by reason.
    pub(crate) connect_errors: Mutex<BTreeMap<&'static str, u64>>,
    /// PUBLISHes received on the command subscription.
    pub(crate) commands_received: AtomicU64,
    /// SUBACKs refusing the command subscription.
    pub(crate) subscribe_refused: AtomicU64,
    /// Command results handed to the client (resends included).
    pub(crate) results_published: AtomicU64,
    /// Command results the broker acknowledged.
    pub(crate) results_acked: AtomicU64,
    /// Command results dropped unsent because too many were waiting.
    pub(crate) results_dropped: AtomicU64,
    /// Publishes the broker acknowledged with a refusal (MQTT 5 reason code >= 0x80).
    pub(crate) publish_refused: AtomicU64,
    /// Sparkplug NCMD/DCMD messages refused (unknown metric or alias, wrong datatype, bad payload).
    pub(crate) sparkplug_refused: AtomicU64,
}

impl LinkCounters {
    pub(crate) fn count_failure(&self, reason: &'static str) {
        if let Ok(mut m) = self.connect_errors.lock() {
            *m.entry(reason).or_insert(0) += 1;
        }
    }

    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn encode(&self, encoder: &mut DescriptorEncoder<'_>) -> fmt::Result {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mut family = metrics::counter_family(
            encoder,
            "fieldbridge_mqtt_connect_errors_total",
            "Failed connections to the broker, by reason.",
        )?;
        if let Ok(m) = self.connect_errors.lock() {
            for (reason, n) in m.iter() {
                metrics::sample(&mut family, &[("reason", reason)], *n)?;
            }
        }
        for (name, help, counter) in [
            (
                "fieldbridge_mqtt_publish_refused_total",
                "Publishes the broker acknowledged with a refusal (MQTT 5 reason code 0x80 or more).",
                &self.publish_refused,
            ),
            (
                "fieldbridge_commands_received_total",
                "PUBLISHes received on the command subscription.",
                &self.commands_received,
            ),
            (
                "fieldbridge_commands_subscribe_refused_total",
                "SUBACKs that refused the command subscription.",
                &self.subscribe_refused,
            ),
            (
                "fieldbridge_command_results_published_total",
                "Command results handed to MQTT (resends included).",
                &self.results_published,
            ),
            (
                "fieldbridge_command_results_acked_total",
                "Command results the broker acknowledged.",
                &self.results_acked,
            ),
            (
                "fieldbridge_command_results_dropped_total",
                "Command results dropped unsent because too many were waiting.",
                &self.results_dropped,
            ),
            (
                "fieldbridge_sparkplug_commands_refused_total",
                "Sparkplug NCMD and DCMD messages refused (unknown metric or alias, wrong datatype, unreadable payload).",
                &self.sparkplug_refused,
            ),
        ] {
            metrics::counter(encoder, name, help, get(counter))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        Context {
            host: "broker.example".into(),
            port: 8883,
            tls: Some(TlsFiles {
                ca_file: Some("/etc/fb/ca.pem".into()),
                cert_file: Some("/etc/fb/client.pem".into()),
                key_file: Some("/etc/fb/client.key".into()),
            }),
            user: Some("bridge".into()),
            password_file: Some("/etc/fb/password".into()),
        }
    }

    fn io_tls(e: rustls::Error) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::InvalidData, e)
    }

    #[test]
    fn tls_errors_are_found_however_rumqttc_wraps_them() {
        let unknown = || rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer);
        let wrapped = [
            LinkError::V3(rumqttc::ConnectionError::Tls(rumqttc::TlsError::Io(
                io_tls(unknown()),
            ))),
            LinkError::V3(rumqttc::ConnectionError::Tls(rumqttc::TlsError::TLS(
                unknown(),
            ))),
            LinkError::V3(rumqttc::ConnectionError::Io(io_tls(unknown()))),
            LinkError::V3(rumqttc::ConnectionError::MqttState(
                rumqttc::StateError::Deserialization(rumqttc::mqttbytes::Error::Io(io_tls(
                    unknown(),
                ))),
            )),
            LinkError::V5(rumqttc::v5::ConnectionError::Tls(rumqttc::TlsError::Io(
                io_tls(unknown()),
            ))),
            LinkError::V5(rumqttc::v5::ConnectionError::MqttState(
                rumqttc::v5::StateError::Deserialization(rumqttc::v5::mqttbytes::Error::Io(
                    io_tls(unknown()),
                )),
            )),
        ];
        for e in &wrapped {
            let f = classify(e, &ctx());
            assert_eq!(f.reason, "tls-unknown-ca", "{e:?}");
            assert_eq!(
                f.message,
                "the broker's certificate is not signed by a CA in mqtt.ca_file /etc/fb/ca.pem"
            );
        }
    }

    #[test]
    fn each_kind_gets_its_reason_and_message() {
        let tls = |e| {
            classify(
                &LinkError::V3(rumqttc::ConnectionError::Tls(rumqttc::TlsError::Io(
                    io_tls(e),
                ))),
                &ctx(),
            )
        };
        let f = tls(rustls::Error::InvalidCertificate(CertificateError::Expired));
        assert_eq!(f.reason, "tls-expired");
        let f = tls(rustls::Error::InvalidCertificate(
            CertificateError::NotValidForNameContext {
                expected: rustls::pki_types::ServerName::try_from("broker.example")
                    .map(|n| n.to_owned())
                    .expect("name"),
                presented: vec!["DNS name \"other\"".into()],
            },
        ));
        assert_eq!(f.reason, "tls-name");
        assert!(
            f.message.contains("not valid for the host broker.example"),
            "{}",
            f.message
        );
        let f = tls(rustls::Error::AlertReceived(
            AlertDescription::CertificateRequired,
        ));
        assert_eq!(f.reason, "tls-client-cert");
        assert_eq!(
            f.message,
            "the broker refused the client certificate /etc/fb/client.pem (TLS alert CertificateRequired)"
        );
        assert!(f.is_configuration());

        let f = classify(
            &LinkError::V3(rumqttc::ConnectionError::ConnectionRefused(
                rumqttc::ConnectReturnCode::BadUserNamePassword,
            )),
            &ctx(),
        );
        assert_eq!(f.reason, "auth");
        assert_eq!(
            f.message,
            "the broker refused the connection: bad user name or password (mqtt.username \"bridge\", mqtt.password_file /etc/fb/password)"
        );
        let f = classify(
            &LinkError::V5(rumqttc::v5::ConnectionError::ConnectionRefused(
                rumqttc::v5::mqttbytes::v5::ConnectReturnCode::NotAuthorized,
            )),
            &ctx(),
        );
        assert_eq!(f.reason, "auth");
        assert!(f.message.contains("not authorized"), "{}", f.message);

        let f = classify(
            &LinkError::V3(rumqttc::ConnectionError::Io(std::io::Error::from(
                std::io::ErrorKind::ConnectionRefused,
            ))),
            &ctx(),
        );
        assert_eq!(f.reason, "network");
        assert!(f
            .message
            .starts_with("cannot reach the broker broker.example:8883"));
        assert!(!f.is_configuration());
    }
}
