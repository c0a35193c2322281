//! The configuration of a Modbus source (`modbus-tcp`, `modbus-rtu`).

use std::sync::Arc;
use std::time::Duration;

use super::SerialSettings;
use crate::point::ModbusTable;

/// How a Modbus source reaches its devices.
#[derive(Debug, Clone, PartialEq)]
pub enum ModbusTransport {
    /// Modbus TCP (MBAP header, Modbus Messaging on TCP/IP V1.0b §3.1) to `host:port`.
    Tcp {
        /// `host:port`.
        address: String,
    },
    /// Modbus RTU on a serial line (Modbus over serial line V1.02 §2.5.1).
    Rtu(SerialSettings),
    /// RTU frames (CRC, no MBAP) over a TCP connection to a serial gateway: `modbus-rtu` with
    /// `address` instead of `serial`.
    RtuOverTcp {
        /// `host:port`.
        address: String,
    },
    /// Modbus ASCII on a serial line (Modbus over serial line V1.02 §2.5.2).
    Ascii(SerialSettings),
}

impl ModbusTransport {
    /// The protocol as named in the configuration.
    pub fn protocol(&self) -> &'static str {
        match self {
            ModbusTransport::Tcp { .. } => "modbus-tcp",
            ModbusTransport::Rtu(_) | ModbusTransport::RtuOverTcp { .. } => "modbus-rtu",
            ModbusTransport::Ascii(_) => "modbus-ascii",
        }
    }
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
    /// The longest a command to this source may take (`command_timeout`; else `[commands] timeout`).
    pub command_timeout: Option<Duration>,
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
