//! The normalized point: what every reading of every protocol becomes (design brief §3).
//!
//! A source produces a [`Reading`]; the bridge gives it a per-bridge sequence number and turns it into
//! a [`Sample`], which is what reaches MQTT. The JSON shape of a sample is documented in
//! `docs/topics.md` and produced by [`crate::topic::sample_payload`].

use std::fmt;
use std::sync::Arc;

use serde::Serialize;

use crate::time::Timestamp;

/// The value of a sample.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A single bit: a coil, a discrete input, an IEC single point.
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer too large for `Int`.
    UInt(u64),
    /// A floating point number, after scale and offset. Non-finite values are published as `null`.
    Float(f64),
    /// Text: a Modbus string, a DLMS octet string shown as text.
    String(String),
    /// An IEC 60870-5-101 §7.2.6.2 double point (DIQ).
    DoublePoint(DoublePoint),
    /// Raw octets: a DLMS octet-string that is not text (IEC 62056-6-2 §4.1.5), an IEC 60870-5
    /// bitstring of 32 bits (§7.2.6.13). Published as lowercase hex.
    Bytes(Arc<[u8]>),
    /// A date and time the device reported as a value (a DLMS clock or date-time attribute,
    /// IEC 62056-6-2 §4.1.6.1), converted to UTC. Published as RFC 3339.
    DateTime(Timestamp),
}

impl Value {
    /// The value as a float when it is numeric (booleans count as 0 and 1), for deadband comparisons.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::Bool(b) => Some(if b { 1.0 } else { 0.0 }),
            Value::Int(i) => Some(i as f64),
            Value::UInt(u) => Some(u as f64),
            Value::Float(f) => Some(f),
            Value::String(_) | Value::DoublePoint(_) | Value::Bytes(_) | Value::DateTime(_) => None,
        }
    }
}

impl Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => s.serialize_i64(*i),
            Value::UInt(u) => s.serialize_u64(*u),
            Value::Float(f) if f.is_finite() => s.serialize_f64(*f),
            Value::Float(_) => s.serialize_none(),
            Value::String(t) => s.serialize_str(t),
            Value::DoublePoint(d) => s.serialize_str(d.as_str()),
            Value::Bytes(b) => s.collect_str(&Hex(b)),
            Value::DateTime(t) => t.serialize(s),
        }
    }
}

/// Lowercase hex without separators.
struct Hex<'a>(&'a [u8]);

impl fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

/// IEC 60870-5-101 §7.2.6.2 double point information: two bits, four states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DoublePoint {
    /// 0: neither on nor off (switching).
    Intermediate,
    /// 1: determined state off.
    Off,
    /// 2: determined state on.
    On,
    /// 3: indeterminate (faulty).
    Indeterminate,
}

impl DoublePoint {
    /// The name published on MQTT.
    pub fn as_str(self) -> &'static str {
        match self {
            DoublePoint::Intermediate => "intermediate",
            DoublePoint::Off => "off",
            DoublePoint::On => "on",
            DoublePoint::Indeterminate => "indeterminate",
        }
    }
}

/// The overall quality of a sample, the one field a consumer must look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum QualityLevel {
    /// The value is valid and current.
    #[default]
    Good,
    /// The value may be usable but is not guaranteed (substituted, not topical, overflow).
    Uncertain,
    /// The value must not be used (invalid, communication lost).
    Bad,
}

/// A protocol's own quality flag, kept by name so nothing the device said is lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum QualityFlag {
    /// IEC 60870-5-101 §7.2.6.3 IV: the value is invalid.
    Invalid = 0,
    /// IEC 60870-5-101 §7.2.6.3 NT: the value was not updated in time.
    NotTopical,
    /// IEC 60870-5-101 §7.2.6.3 SB: the value was substituted by an operator or automation.
    Substituted,
    /// IEC 60870-5-101 §7.2.6.3 BL: the value is blocked for transmission.
    Blocked,
    /// IEC 60870-5-101 §7.2.6.3 OV: the value overflowed its range.
    Overflow,
    /// IEC 60870-5-101 §7.2.6.4 EI: the elapsed time of a protection event is invalid.
    ElapsedTimeInvalid,
    /// IEC 60870-5-101 §7.2.6.18 IV of CP56Time2a: the device's time tag is invalid.
    TimeInvalid,
    /// The bridge lost communication with the device; the value is the last one known.
    CommFailure,
    /// The value could not be decoded from what the device sent (a NaN, a bad string).
    DecodeError,
    /// The device answered the read with a protocol exception (Modbus exception, DLMS access error).
    DeviceError,
    /// IEC 62056-6-2 (DLMS) register status marked the value as not valid.
    StatusInvalid,
    /// IEC 60870-5-101 §7.2.6.9 CY of a binary counter reading: the counter overflowed in the
    /// period.
    Carry,
    /// IEC 60870-5-101 §7.2.6.9 CA: the counter was adjusted in the period.
    Adjusted,
    /// IEC 60870-5-101 §7.2.6.5 T of a step position (VTI): the equipment is moving.
    Transient,
    /// IEC 62056-6-2 §4.1.6.1 clock status bit 1: the device's clock value is doubtful.
    ClockDoubtful,
    /// IEC 62056-6-2 §4.1.6.1 clock status bit 2: the clock's time base differs from the
    /// configured one.
    ClockBaseDifferent,
    /// IEC 62056-6-2 §4.1.6.1 clock status bit 3: the clock status itself is invalid.
    ClockStatusInvalid,
    /// The bridge's own wall clock was not set when it read `received` (earlier than
    /// [`crate::clock::floor`], e.g. a box without a real-time clock before NTP set it): the value
    /// is what the device said, but `received` is not a real time.
    BridgeClockUnset,
}

impl QualityFlag {
    /// Every flag, in bit order.
    pub const ALL: [QualityFlag; 18] = [
        QualityFlag::Invalid,
        QualityFlag::NotTopical,
        QualityFlag::Substituted,
        QualityFlag::Blocked,
        QualityFlag::Overflow,
        QualityFlag::ElapsedTimeInvalid,
        QualityFlag::TimeInvalid,
        QualityFlag::CommFailure,
        QualityFlag::DecodeError,
        QualityFlag::DeviceError,
        QualityFlag::StatusInvalid,
        QualityFlag::Carry,
        QualityFlag::Adjusted,
        QualityFlag::Transient,
        QualityFlag::ClockDoubtful,
        QualityFlag::ClockBaseDifferent,
        QualityFlag::ClockStatusInvalid,
        QualityFlag::BridgeClockUnset,
    ];

    /// The name published on MQTT.
    pub fn as_str(self) -> &'static str {
        match self {
            QualityFlag::Invalid => "invalid",
            QualityFlag::NotTopical => "not_topical",
            QualityFlag::Substituted => "substituted",
            QualityFlag::Blocked => "blocked",
            QualityFlag::Overflow => "overflow",
            QualityFlag::ElapsedTimeInvalid => "elapsed_time_invalid",
            QualityFlag::TimeInvalid => "time_invalid",
            QualityFlag::CommFailure => "comm_failure",
            QualityFlag::DecodeError => "decode_error",
            QualityFlag::DeviceError => "device_error",
            QualityFlag::StatusInvalid => "status_invalid",
            QualityFlag::Carry => "carry",
            QualityFlag::Adjusted => "adjusted",
            QualityFlag::Transient => "transient",
            QualityFlag::ClockDoubtful => "clock_doubtful",
            QualityFlag::ClockBaseDifferent => "clock_base_different",
            QualityFlag::ClockStatusInvalid => "clock_status_invalid",
            QualityFlag::BridgeClockUnset => "bridge_clock_unset",
        }
    }

    fn bit(self) -> u32 {
        1 << (self as u8)
    }
}

/// A set of [`QualityFlag`]s, stored as bits so a sample carries them without allocating.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct QualityFlags(u32);

impl QualityFlags {
    /// No flag set.
    pub const EMPTY: QualityFlags = QualityFlags(0);

    /// Whether no flag is set.
    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }

    /// Whether `flag` is set.
    pub fn contains(self, flag: QualityFlag) -> bool {
        self.0 & flag.bit() != 0
    }

    /// This set with `flag` added.
    #[must_use]
    pub fn with(self, flag: QualityFlag) -> Self {
        QualityFlags(self.0 | flag.bit())
    }

    /// The flags set, in a stable order.
    pub fn iter(self) -> impl Iterator<Item = QualityFlag> {
        QualityFlag::ALL
            .into_iter()
            .filter(move |f| self.contains(*f))
    }
}

impl fmt::Debug for QualityFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl Serialize for QualityFlags {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter().map(QualityFlag::as_str))
    }
}

impl FromIterator<QualityFlag> for QualityFlags {
    fn from_iter<I: IntoIterator<Item = QualityFlag>>(iter: I) -> Self {
        iter.into_iter()
            .fold(QualityFlags::EMPTY, QualityFlags::with)
    }
}

/// The quality of a sample: an overall level plus the protocol's own flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Quality {
    /// What a consumer should do with the value.
    pub level: QualityLevel,
    /// Why, in the protocol's own terms.
    pub flags: QualityFlags,
}

impl Quality {
    /// A good value with no flags.
    pub const GOOD: Quality = Quality {
        level: QualityLevel::Good,
        flags: QualityFlags::EMPTY,
    };

    /// A bad value because the bridge lost communication with the device.
    pub fn comm_failure() -> Self {
        Quality {
            level: QualityLevel::Bad,
            flags: QualityFlags::EMPTY.with(QualityFlag::CommFailure),
        }
    }

    /// A quality with the given level and flags.
    pub fn new(level: QualityLevel, flags: impl IntoIterator<Item = QualityFlag>) -> Self {
        Quality {
            level,
            flags: flags.into_iter().collect(),
        }
    }
}

/// The Modbus data table a register belongs to (Modbus Application Protocol V1.1b3 §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModbusTable {
    /// Single bits, read-write (FC 1, 5, 15).
    Coil,
    /// Single bits, read-only (FC 2).
    Discrete,
    /// 16-bit words, read-only (FC 4).
    Input,
    /// 16-bit words, read-write (FC 3, 6, 16, 22, 23).
    Holding,
}

impl ModbusTable {
    /// The name used in configuration and on MQTT.
    pub fn as_str(self) -> &'static str {
        match self {
            ModbusTable::Coil => "coil",
            ModbusTable::Discrete => "discrete",
            ModbusTable::Input => "input",
            ModbusTable::Holding => "holding",
        }
    }

    /// Whether this table holds single bits rather than 16-bit registers.
    pub fn is_bits(self) -> bool {
        matches!(self, ModbusTable::Coil | ModbusTable::Discrete)
    }
}

/// Where a sample came from, in its protocol's own address terms (design brief §3, `source`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "protocol", rename_all = "kebab-case")]
pub enum SourceAddress {
    /// A Modbus register or bit.
    Modbus {
        /// The unit identifier (slave address) on the connection.
        unit: u8,
        /// The data table.
        table: ModbusTable,
        /// The zero-based address on the wire.
        address: u16,
        /// The bit within a holding or input register, for `holding:N.bit` points.
        #[serde(skip_serializing_if = "Option::is_none")]
        bit: Option<u8>,
        /// The configured data type, as written in the configuration (`f32`, `string(8)`).
        #[serde(rename = "type")]
        data_type: Arc<str>,
        /// The word order for multi-register types.
        #[serde(skip_serializing_if = "Option::is_none")]
        word_order: Option<&'static str>,
    },
    /// An IEC 60870-5-104 information object.
    Iec104(IecAddress),
    /// An IEC 60870-5-101 information object.
    Iec101(IecAddress),
    /// A DLMS/COSEM attribute (IEC 62056-6-2 §4.1).
    Dlms {
        /// The logical name as an OBIS code `A.B.C.D.E.F`.
        obis: Arc<str>,
        /// The COSEM interface class.
        class: u16,
        /// The attribute index.
        attribute: i8,
        /// For a column of a profile generic's buffer (IEC 62056-6-2 §4.3.6, capture_objects):
        /// the profile's logical name; `obis`, `class` and `attribute` are then the captured
        /// object's.
        #[serde(skip_serializing_if = "Option::is_none")]
        profile: Option<Arc<str>>,
    },
}

impl SourceAddress {
    /// The protocol's name as it appears in the `source` object.
    pub fn protocol(&self) -> &'static str {
        match self {
            SourceAddress::Modbus { .. } => "modbus",
            SourceAddress::Iec104(_) => "iec104",
            SourceAddress::Iec101(_) => "iec101",
            SourceAddress::Dlms { .. } => "dlms",
        }
    }
}

/// The address of an IEC 60870-5 information object (IEC 60870-5-101 §7.2.4, §7.2.5): the
/// station and the object. What one sample arrived with (its type and cause) is in [`SampleFacts`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct IecAddress {
    /// The common address of the ASDU (the station).
    pub common_address: u16,
    /// The information object address.
    pub ioa: u32,
}

/// What one sample arrived with that is not its point's address: the same point is reported in
/// several types and for several causes (a general interrogation, then spontaneously), and the
/// cloud may want to know which. Published inside the sample's `source` object; absent fields are
/// left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct SampleFacts {
    /// IEC 60870-5-101 §7.2.1.1: the type identification (`M_ME_NC_1` = 13, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub type_id: Option<u8>,
    /// IEC 60870-5-101 §7.2.3: the cause of transmission (3 spontaneous, 20 interrogated, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cot: Option<u8>,
    /// IEC 60870-5-101 §7.2.3 T: the outstation marked the ASDU as a test.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub test: bool,
    /// IEC 60870-5-101 §7.2.6.9 SQ of a binary counter reading (0 to 31).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counter_sequence: Option<u8>,
    /// The integer the device sent before its scaler was applied (DLMS registers, IEC 62056-6-2
    /// clause 4.3.2: `value = raw × 10^scaler`), so a consumer can check the scaling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw: Option<i64>,
    /// The power of ten applied to `raw` (DLMS scaler_unit's scaler).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scaler: Option<i8>,
    /// The device kept the value and handed it over late (a DLMS load-profile entry read after
    /// its capture time): the sample is published `historical`, like one held back by an outage.
    #[serde(skip)]
    pub late: bool,
}

/// One reading as a source hands it to the bridge, before it has a sequence number.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    /// The device (source) name from the configuration: the third topic level.
    pub device: Arc<str>,
    /// The point name: the fourth topic level.
    pub point: Arc<str>,
    /// The value, after scale and offset.
    pub value: Value,
    /// Its quality.
    pub quality: Quality,
    /// The device's own time tag, when it sent one.
    pub ts: Option<Timestamp>,
    /// When the bridge received it.
    pub received: Timestamp,
    /// The SI unit, when known.
    pub unit: Option<Arc<str>>,
    /// The protocol address.
    pub source: SourceAddress,
    /// What this sample arrived with, beyond its address.
    pub facts: SampleFacts,
}

impl Reading {
    /// The flags published with this reading: its quality's, plus
    /// [`QualityFlag::BridgeClockUnset`] when `received` was read while the bridge's wall clock
    /// was not set ([`crate::clock::wall_clock_set`]). The rule depends on the reading of the
    /// clock alone, so every source gets the flag without setting it: it stamps `received` with
    /// [`Timestamp::now`] and the payload carries the judgement. The quality level is left as it
    /// is: the value itself is what the device said.
    pub fn published_flags(&self) -> QualityFlags {
        if crate::clock::wall_clock_set(self.received) {
            self.quality.flags
        } else {
            self.quality.flags.with(QualityFlag::BridgeClockUnset)
        }
    }
}

/// A reading with its per-bridge sequence number: what is published.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Strictly increasing across the bridge's life, restarts included.
    pub seq: u64,
    /// True when delivered late from the outbox after an outage.
    pub historical: bool,
    /// The reading itself.
    pub reading: Reading,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_iterate_in_a_stable_order_whatever_the_insertion_order() {
        let flags: QualityFlags = [QualityFlag::CommFailure, QualityFlag::Invalid]
            .into_iter()
            .collect();
        let names: Vec<_> = flags.iter().map(QualityFlag::as_str).collect();
        assert_eq!(names, ["invalid", "comm_failure"]);
        assert!(!flags.contains(QualityFlag::Blocked));
    }

    #[test]
    fn non_finite_floats_serialize_as_null() {
        assert_eq!(
            serde_json::to_string(&Value::Float(f64::NAN))
                .ok()
                .as_deref(),
            Some("null")
        );
        assert_eq!(
            serde_json::to_string(&Value::Float(1.5)).ok().as_deref(),
            Some("1.5")
        );
    }

    #[test]
    fn double_points_serialize_by_name() {
        let json = serde_json::to_string(&Value::DoublePoint(DoublePoint::Intermediate));
        assert_eq!(json.ok().as_deref(), Some("\"intermediate\""));
    }

    #[test]
    fn bytes_are_hex_and_date_times_rfc_3339() {
        let bytes = Value::Bytes(Arc::from(&[0x0a, 0xff, 0x00][..]));
        assert_eq!(
            serde_json::to_string(&bytes).ok().as_deref(),
            Some("\"0aff00\"")
        );
        let t = Timestamp::from_unix_millis(1_764_018_000_250).map(Value::DateTime);
        assert_eq!(
            t.and_then(|t| serde_json::to_string(&t).ok()).as_deref(),
            Some("\"2025-11-24T21:00:00.250Z\"")
        );
    }

    #[test]
    fn every_flag_has_a_distinct_bit() {
        let all: QualityFlags = QualityFlag::ALL.into_iter().collect();
        assert_eq!(all.iter().count(), QualityFlag::ALL.len());
    }
}
