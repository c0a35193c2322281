//! The configuration as the bridge uses it, after parsing and checking (`design/CONFIG.md`).
//!
//! Every key is documented in `docs/configuration.md`.

mod dlms;
mod iec;
mod modbus;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub use dlms::*;
pub use iec::*;
pub use modbus::*;

/// One bridge: one TOML file.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `[bridge]`.
    pub bridge: BridgeConfig,
    /// `[mqtt]`.
    pub mqtt: MqttConfig,
    /// `[outbox]`.
    pub outbox: OutboxConfig,
    /// `[log]`.
    pub log: LogConfig,
    /// `[metrics]`: where the HTTP endpoint listens (`/metrics`, `/health`, `/ready`); off when absent.
    pub metrics_listen: Option<std::net::SocketAddr>,
    /// `[commands]`: the command router.
    pub commands: CommandsConfig,
    /// Every `[[source]]`, in file order.
    pub sources: Vec<SourceConfig>,
    /// Keys accepted but without effect (such as an HDLC address on a wrapper source), with their
    /// line: `check` prints them and `run` logs them.
    pub warnings: Vec<super::ConfigError>,
    /// The file's version: `sha256:` and the first 16 hex digits of the SHA-256 of its bytes (the
    /// start of what `sha256sum` prints), shown on the bridge's state topic.
    pub version: String,
}

/// `[commands]`: how commands from `<point>/set` are handled (`docs/commands.md`).
#[derive(Debug, Clone, PartialEq)]
pub struct CommandsConfig {
    /// Whether the bridge subscribes to `set` topics at all (`false`: read-only, no command topic).
    pub enabled: bool,
    /// The longest a command may wait for its device and run, from its arrival to its result; a
    /// command not sent to the field by then is answered `timeout` and never sent later.
    pub timeout: Duration,
    /// How many executed command ids are remembered (in `data_dir`) to answer repeats.
    pub remember: usize,
}

impl Default for CommandsConfig {
    fn default() -> Self {
        CommandsConfig {
            enabled: true,
            timeout: Duration::from_secs(10),
            remember: 10_000,
        }
    }
}

/// `[bridge]`: who this bridge is and where it keeps its state.
#[derive(Debug, Clone, PartialEq)]
pub struct BridgeConfig {
    /// Unique per bridge; used in client ids and status topics.
    pub id: String,
    /// The second level of every topic.
    pub site: String,
    /// Outbox and persistent state (sequence numbers).
    pub data_dir: PathBuf,
}

/// Where the broker is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrokerUrl {
    /// `embedded`: start the built-in broker, listening on `listen`.
    Embedded {
        /// Where the embedded broker listens (`mqtt.embedded_listen`, default `127.0.0.1:1883`).
        listen: std::net::SocketAddr,
    },
    /// `mqtt://host:port` (plain TCP) or `mqtts://host:port` (TLS), or a list of a cluster's
    /// nodes, all with the same scheme: the bridge connects to one and fails over to the next.
    Remote {
        /// The nodes, in the configured order (at least one).
        nodes: Vec<BrokerNode>,
        /// Whether TLS is required.
        tls: bool,
    },
}

impl BrokerUrl {
    /// A single remote broker.
    pub fn remote(host: impl Into<String>, port: u16, tls: bool) -> Self {
        BrokerUrl::Remote {
            nodes: vec![BrokerNode {
                host: host.into(),
                port,
            }],
            tls,
        }
    }
}

/// One broker (one node of a cluster).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BrokerNode {
    /// Host name or address.
    pub host: String,
    /// TCP port (1883 for mqtt, 8883 for mqtts by default).
    pub port: u16,
}

impl std::fmt::Display for BrokerNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// The output mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputFormat {
    /// One topic per point with a JSON payload (`docs/topics.md`).
    Json,
    /// Eclipse Sparkplug B 3.0 (`docs/sparkplug.md`): the bridge is an edge node, each source a
    /// device.
    Sparkplug {
        /// The group id (`sparkplug_group`, default the site).
        group: String,
        /// The primary host application whose STATE gates publishing (`primary_host`).
        primary_host: Option<String>,
    },
}

/// The MQTT protocol version spoken to the broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MqttVersion {
    /// MQTT 3.1.1 (OASIS standard, 2014): the default, understood by every broker.
    #[default]
    V311,
    /// MQTT 5.0 (OASIS standard, 2019).
    V5,
}

/// `[mqtt]`.
#[derive(Debug, Clone, PartialEq)]
pub struct MqttConfig {
    /// The broker.
    pub url: BrokerUrl,
    /// `version = "3.1.1"` (default) or `"5"`.
    pub version: MqttVersion,
    /// The first level of every topic.
    pub prefix: String,
    /// The output mode.
    pub format: OutputFormat,
    /// QoS of samples: 0 or 1.
    pub qos: u8,
    /// MQTT keep-alive.
    pub keep_alive: Duration,
    /// The MQTT client id; defaults to `fieldbridge-<bridge.id>`.
    pub client_id: Option<String>,
    /// User name for the broker.
    pub username: Option<String>,
    /// File holding the password.
    pub password_file: Option<PathBuf>,
    /// CA bundle for `mqtts://`.
    pub ca_file: Option<PathBuf>,
    /// Client certificate for mutual TLS.
    pub cert_file: Option<PathBuf>,
    /// Client key for mutual TLS.
    pub key_file: Option<PathBuf>,
    /// Reconnection backoff start.
    pub reconnect_min: Duration,
    /// Reconnection backoff ceiling.
    pub reconnect_max: Duration,
}

/// What the outbox does when it reaches its bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenFull {
    /// Drop the oldest samples, counted and reported.
    DropOldest,
    /// Slow the sources down.
    Backpressure,
}

/// The order in which a backlog is replayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayOrder {
    /// Backlog first, then live data.
    InOrder,
    /// Live data at once, the backlog beside it.
    LiveFirst,
}

/// When the outbox forces what it wrote to stable storage (fsync).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxSync {
    /// After every record: nothing appended is lost on a power cut; the slowest.
    Always,
    /// At most this long after a record.
    Interval(Duration),
    /// Left to the operating system (still safe against a crash of the bridge itself).
    Never,
}

/// `[outbox]`.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxConfig {
    /// The sync policy.
    pub sync: OutboxSync,
    /// Bound on disk, bytes.
    pub max_bytes: u64,
    /// Policy when full.
    pub when_full: WhenFull,
    /// Samples per second when draining after an outage.
    pub replay_rate: u32,
    /// Replay order.
    pub replay_order: ReplayOrder,
}

/// `[log]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    /// `text` or `json` lines.
    pub json: bool,
    /// An `EnvFilter` directive such as `info` or `fieldbridge=debug`; `RUST_LOG` wins when set.
    pub level: String,
}

/// One `[[source]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceConfig {
    /// The device name: the third topic level.
    pub name: Arc<str>,
    /// The protocol and its settings.
    pub kind: SourceKind,
    /// Where each key of the source's table stands, so that what a driver cannot do is reported
    /// with its line.
    pub lines: KeyLines,
}

/// The line of each key of one table, and of the table itself.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyLines {
    /// The table's own line (its `[[source]]` header).
    pub table: usize,
    /// Each key's line.
    pub keys: BTreeMap<String, usize>,
}

impl KeyLines {
    /// The line of `key`, or the table's when the key is absent.
    pub fn line_of(&self, key: &str) -> usize {
        self.keys.get(key).copied().unwrap_or(self.table)
    }
}

/// How a device's own time tags are read (CP56Time2a, a DLMS clock without deviation): in UTC, or
/// in a local time zone (IANA name) whose offset the bridge applies.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum DeviceTime {
    /// The device keeps UTC (the IEC 60870-5-104 recommendation, §7.2.6.18 note).
    #[default]
    Utc,
    /// The device keeps the local time of this zone (`local:Europe/Berlin`).
    Local(crate::time::Zone),
}

impl DeviceTime {
    /// The instant of a device's time tag read as this says; `summer` is the tag's own
    /// daylight-saving flag, when it has one (used only to resolve the repeated hour of a local zone).
    pub fn instant(
        &self,
        tag: time::PrimitiveDateTime,
        summer: Option<bool>,
    ) -> Option<crate::time::Timestamp> {
        match self {
            DeviceTime::Utc => Some(crate::time::Timestamp::from_datetime(tag.assume_utc())),
            DeviceTime::Local(zone) => zone.instant(tag, summer),
        }
    }

    /// As written in the configuration: `utc` or `local:<zone>`.
    pub fn name(&self) -> String {
        match self {
            DeviceTime::Utc => "utc".to_owned(),
            DeviceTime::Local(zone) => format!("local:{}", zone.name()),
        }
    }
}

/// The protocol of a source and its settings.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceKind {
    /// `modbus-tcp` or `modbus-rtu`.
    Modbus(ModbusSource),
    /// `iec104`: an IEC 60870-5-104 master.
    Iec104(Iec104Source),
    /// `iec101`: an IEC 60870-5-101 master on a serial line.
    Iec101(Iec101Source),
    /// `dlms`: a DLMS/COSEM client.
    Dlms(DlmsSource),
    /// `dlms-push`: a listener for DLMS DataNotification.
    DlmsPush(DlmsPushSource),
}

impl SourceKind {
    /// The protocol as named in the configuration.
    pub fn protocol(&self) -> &'static str {
        match self {
            SourceKind::Modbus(m) => m.transport.protocol(),
            SourceKind::Iec104(_) => "iec104",
            SourceKind::Iec101(_) => "iec101",
            SourceKind::Dlms(_) => "dlms",
            SourceKind::DlmsPush(_) => "dlms-push",
        }
    }

    /// The files of secrets the source reads: a DLMS client's password file and the suite 0 key
    /// files of a DLMS client or push listener (DLMS UA 1000-2 §9.2.7), which the configuration
    /// names but does not hold. A reload restarts a source when one of them changed, even when the
    /// configuration did not.
    pub fn secret_files(&self) -> Vec<&Path> {
        let mut files = Vec::new();
        let security = match self {
            SourceKind::Dlms(d) => {
                if let DlmsAuthentication::Low { password_file } = &d.authentication {
                    files.push(password_file.as_path());
                }
                &d.security
            }
            SourceKind::DlmsPush(p) => &p.security,
            SourceKind::Modbus(_) | SourceKind::Iec104(_) | SourceKind::Iec101(_) => return files,
        };
        files.extend(security.authentication_key_file.as_deref());
        files.extend(security.encryption_key_file.as_deref());
        files
    }

    /// Every configured point, in file order, as the command router sees it.
    pub fn points(&self) -> Vec<PointSummary> {
        match self {
            SourceKind::Modbus(m) => m
                .points
                .iter()
                .map(|p| PointSummary {
                    name: p.name.clone(),
                    writable: p.writable,
                    command_timeout: None,
                })
                .collect(),
            SourceKind::Iec104(s) => iec_names(&s.master.points),
            SourceKind::Iec101(s) => iec_names(&s.master.points),
            SourceKind::Dlms(s) => dlms_names(&s.points),
            SourceKind::DlmsPush(s) => dlms_names(&s.points),
        }
    }

    /// The longest a command may take on this source, when the source sets its own (`command_timeout`).
    pub fn command_timeout(&self) -> Option<Duration> {
        match self {
            SourceKind::Modbus(m) => m.command_timeout,
            SourceKind::Iec104(s) => s.master.command_timeout,
            SourceKind::Iec101(s) => s.master.command_timeout,
            SourceKind::Dlms(s) => s.command_timeout,
            SourceKind::DlmsPush(_) => None,
        }
    }
}

/// A configured point as the command router sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointSummary {
    /// The point name.
    pub name: Arc<str>,
    /// Whether `<point>/set` is accepted.
    pub writable: bool,
    /// The point's own `command_timeout`.
    pub command_timeout: Option<Duration>,
}

fn iec_names(points: &[IecPoint]) -> Vec<PointSummary> {
    points
        .iter()
        .map(|p| PointSummary {
            name: p.name.clone(),
            writable: p.writable,
            command_timeout: p.command_timeout,
        })
        .collect()
}

fn dlms_names(points: &[DlmsPoint]) -> Vec<PointSummary> {
    points
        .iter()
        .map(|p| PointSummary {
            name: p.name.clone(),
            writable: p.writable(),
            command_timeout: p.command_timeout,
        })
        .collect()
}

/// Serial line settings shared by every serial protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialSettings {
    /// The device path, e.g. `/dev/ttyUSB0`.
    pub path: String,
    /// Bits per second.
    pub baud: u32,
    /// Parity.
    pub parity: Parity,
    /// 7 or 8.
    pub data_bits: u8,
    /// 1 or 2.
    pub stop_bits: u8,
}

/// Serial parity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parity {
    /// No parity bit.
    None,
    /// Even parity (the Modbus serial default, Modbus over serial line V1.02 §2.5.1).
    Even,
    /// Odd parity.
    Odd,
}
