//! The configuration as the bridge uses it, after parsing and checking (`design/CONFIG.md`).
//!
//! Every key is documented in `docs/configuration.md`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::point::ModbusTable;

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
    /// `mqtt://host:port` (plain TCP) or `mqtts://host:port` (TLS).
    Remote {
        /// Host name or address.
        host: String,
        /// TCP port (1883 for mqtt, 8883 for mqtts by default).
        port: u16,
        /// Whether TLS is required.
        tls: bool,
    },
}

/// The output mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// One topic per point with a JSON payload (`docs/topics.md`).
    Json,
    /// Eclipse Sparkplug B.
    Sparkplug,
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
    /// Points not listed are dropped rather than published under a default name.
    pub only_listed: bool,
    /// The protocol and its settings.
    pub kind: SourceKind,
}

/// The protocol of a source and its settings.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceKind {
    /// `modbus-tcp` or `modbus-rtu`.
    Modbus(ModbusSource),
    /// `iec104` (parsed and checked; the master arrives with the IEC 60870-5 issue).
    Iec104(Iec104Source),
    /// `iec101` (parsed and checked; the master arrives with the IEC 60870-5 issue).
    Iec101(Iec101Source),
    /// `dlms` (parsed and checked; the client arrives with the DLMS issue).
    Dlms(DlmsSource),
    /// `dlms-push` (parsed and checked; the listener arrives with the DLMS issue).
    DlmsPush(DlmsPushSource),
}

impl SourceKind {
    /// The protocol as named in the configuration.
    pub fn protocol(&self) -> &'static str {
        match self {
            SourceKind::Modbus(m) => match m.transport {
                ModbusTransport::Tcp { .. } => "modbus-tcp",
                ModbusTransport::Rtu(_) => "modbus-rtu",
            },
            SourceKind::Iec104(_) => "iec104",
            SourceKind::Iec101(_) => "iec101",
            SourceKind::Dlms(_) => "dlms",
            SourceKind::DlmsPush(_) => "dlms-push",
        }
    }
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

/// How a Modbus source reaches its devices.
#[derive(Debug, Clone, PartialEq)]
pub enum ModbusTransport {
    /// Modbus TCP to `host:port`.
    Tcp {
        /// `host:port`.
        address: String,
    },
    /// Modbus RTU on a serial line.
    Rtu(SerialSettings),
}

/// A Modbus source (`modbus-tcp`, `modbus-rtu`).
#[derive(Debug, Clone, PartialEq)]
pub struct ModbusSource {
    /// The transport.
    pub transport: ModbusTransport,
    /// Default unit id of the points.
    pub unit: u8,
    /// Default poll interval of the points.
    pub poll: Duration,
    /// Time allowed for one request's answer.
    pub timeout: Duration,
    /// Further attempts of a request that timed out before the device counts as unreachable.
    pub retries: u32,
    /// Largest gap, in registers or bits, bridged when coalescing adjacent points into one request.
    pub max_gap: u16,
    /// Most registers per read request (the device may allow fewer than the protocol's 125).
    pub max_registers: u16,
    /// Most bits per read request (the device may allow fewer than the protocol's 2000).
    pub max_bits: u16,
    /// Republish an unchanged value after this much silence (report by exception).
    pub heartbeat: Option<Duration>,
    /// Reconnection backoff start.
    pub reconnect_min: Duration,
    /// Reconnection backoff ceiling.
    pub reconnect_max: Duration,
    /// Always write with FC15/FC16 (write multiple), for devices without FC5/FC6 (`write_multiple`).
    pub write_multiple: bool,
    /// The points.
    pub points: Vec<ModbusPoint>,
}

/// A Modbus register reference, `holding:100` or `holding:100.3`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RegisterRef {
    /// The data table.
    pub table: ModbusTable,
    /// The zero-based address on the wire.
    pub address: u16,
    /// The bit (0 = least significant) of a register, for `holding:N.bit` / `input:N.bit`.
    pub bit: Option<u8>,
}

/// The data type of a Modbus point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModbusType {
    /// One bit.
    Bool,
    /// One register, unsigned.
    U16,
    /// One register, two's complement.
    I16,
    /// Two registers, unsigned.
    U32,
    /// Two registers, two's complement.
    I32,
    /// Four registers, unsigned.
    U64,
    /// Four registers, two's complement.
    I64,
    /// Two registers, IEEE 754 single.
    F32,
    /// Four registers, IEEE 754 double.
    F64,
    /// `N` bytes of text, two per register, high byte first; trailing NULs and spaces trimmed.
    String(u16),
}

impl ModbusType {
    /// How many registers (or bits, for `Bool` in a bit table) the type spans.
    pub fn registers(self) -> u16 {
        match self {
            ModbusType::Bool | ModbusType::U16 | ModbusType::I16 => 1,
            ModbusType::U32 | ModbusType::I32 | ModbusType::F32 => 2,
            ModbusType::U64 | ModbusType::I64 | ModbusType::F64 => 4,
            ModbusType::String(n) => n.div_ceil(2),
        }
    }

    /// The name as written in the configuration.
    pub fn name(self) -> String {
        match self {
            ModbusType::Bool => "bool".into(),
            ModbusType::U16 => "u16".into(),
            ModbusType::I16 => "i16".into(),
            ModbusType::U32 => "u32".into(),
            ModbusType::I32 => "i32".into(),
            ModbusType::U64 => "u64".into(),
            ModbusType::I64 => "i64".into(),
            ModbusType::F32 => "f32".into(),
            ModbusType::F64 => "f64".into(),
            ModbusType::String(n) => format!("string({n})"),
        }
    }

    /// Whether the value is numeric (scale, offset and deadband apply).
    pub fn is_numeric(self) -> bool {
        !matches!(self, ModbusType::Bool | ModbusType::String(_))
    }
}

/// Byte and word order of multi-register values: one definition, shared with the codec, the
/// Modbus source and the simulator.
pub use fieldbridge_modbus::WordOrder;

/// One `[[source.point]]` of a Modbus source.
#[derive(Debug, Clone, PartialEq)]
pub struct ModbusPoint {
    /// The point name: the last topic level.
    pub name: Arc<str>,
    /// Where it is.
    pub register: RegisterRef,
    /// How to read it.
    pub data_type: ModbusType,
    /// Byte and word order for multi-register types.
    pub word_order: WordOrder,
    /// Published value = raw × scale + offset (numeric types).
    pub scale: f64,
    /// Added after scaling.
    pub offset: f64,
    /// SI unit.
    pub unit: Option<Arc<str>>,
    /// Report by exception: publish only when the value moved by more than this (absent: every poll).
    pub deadband: Option<f64>,
    /// Accepts commands on `<point>/set`.
    pub writable: bool,
    /// Lowest value a command may set.
    pub min: Option<f64>,
    /// Highest value a command may set.
    pub max: Option<f64>,
    /// This point's poll interval; points sharing an interval and unit form one polling group.
    pub poll: Duration,
    /// The unit id of this point.
    pub unit_id: u8,
}

impl ModbusPoint {
    /// A point with the defaults of `docs/configuration.md` for everything but its name, register
    /// and type: `abcd`, no scale or offset, no unit or deadband, read-only, no limits, unit id 1,
    /// polled every second. Embedders and tests set the rest with struct update syntax.
    pub fn new(name: &str, register: RegisterRef, data_type: ModbusType) -> Self {
        ModbusPoint {
            name: Arc::from(name),
            register,
            data_type,
            word_order: WordOrder::Abcd,
            scale: 1.0,
            offset: 0.0,
            unit: None,
            deadband: None,
            writable: false,
            min: None,
            max: None,
            poll: Duration::from_secs(1),
            unit_id: 1,
        }
    }
}

/// `iec104` source settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Iec104Source {
    /// Redundant endpoints, tried in order.
    pub addresses: Vec<String>,
    /// The common address of the ASDU.
    pub common_address: u16,
    /// Periodic general interrogation; one always follows a connect.
    pub interrogation: Option<Duration>,
    /// Whether the master synchronises the outstation's clock.
    pub clock_sync: bool,
    /// The configured points.
    pub points: Vec<IecPoint>,
}

/// Field sizes of an IEC 60870-5-101 link (IEC 60870-5-101 §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Iec101Sizes {
    /// Link address octets (0, 1, 2).
    pub link_address: u8,
    /// Cause of transmission octets (1, 2).
    pub cot: u8,
    /// Common address octets (1, 2).
    pub common_address: u8,
    /// Information object address octets (1, 2, 3).
    pub ioa: u8,
}

/// `iec101` source settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Iec101Source {
    /// The serial line.
    pub serial: SerialSettings,
    /// The outstation's link address.
    pub link_address: u16,
    /// Balanced or unbalanced transmission.
    pub balanced: bool,
    /// Field sizes.
    pub sizes: Iec101Sizes,
    /// The common address of the ASDU.
    pub common_address: u16,
    /// The configured points.
    pub points: Vec<IecPoint>,
}

/// One point of an IEC 60870-5 source.
#[derive(Debug, Clone, PartialEq)]
pub struct IecPoint {
    /// The point name.
    pub name: Arc<str>,
    /// The information object address.
    pub ioa: u32,
    /// SI unit.
    pub unit: Option<Arc<str>>,
    /// The command kind (`single`, `double`, `step`, `setpoint-float`, ...), for writable points.
    pub command: Option<String>,
    /// Whether commands use select-before-operate.
    pub select_before_operate: bool,
    /// Accepts commands.
    pub writable: bool,
    /// Lowest value a command may set.
    pub min: Option<f64>,
    /// Highest value a command may set.
    pub max: Option<f64>,
}

/// How a DLMS source reaches its meter.
#[derive(Debug, Clone, PartialEq)]
pub enum DlmsTransport {
    /// IEC 62056-47 TCP wrapper to `host:port`.
    Wrapper {
        /// `host:port`.
        address: String,
    },
    /// HDLC (IEC 62056-46) over TCP.
    HdlcTcp {
        /// `host:port`.
        address: String,
    },
    /// HDLC on a serial line.
    HdlcSerial(SerialSettings),
}

/// `dlms` source settings.
#[derive(Debug, Clone, PartialEq)]
pub struct DlmsSource {
    /// The transport.
    pub transport: DlmsTransport,
    /// Client SAP.
    pub client_address: u16,
    /// Server (logical device) address.
    pub server_address: u16,
    /// `none`, `low` or `high-gmac`.
    pub authentication: String,
    /// File with the LLS password.
    pub password_file: Option<PathBuf>,
    /// `none`, `authenticated`, `encrypted`, `authenticated-encrypted`.
    pub security: String,
    /// Poll interval.
    pub poll: Duration,
    /// The points.
    pub points: Vec<DlmsPoint>,
}

/// One COSEM attribute to read.
#[derive(Debug, Clone, PartialEq)]
pub struct DlmsPoint {
    /// The point name.
    pub name: Arc<str>,
    /// The logical name.
    pub obis: [u8; 6],
    /// The interface class.
    pub class: u16,
    /// The attribute index.
    pub attribute: i8,
    /// SI unit override (else the meter's scaler_unit).
    pub unit: Option<Arc<str>>,
}

/// `dlms-push` source settings.
#[derive(Debug, Clone, PartialEq)]
pub struct DlmsPushSource {
    /// Where to listen for DataNotification.
    pub listen: String,
}
