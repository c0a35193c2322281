//! From COSEM attribute values to normalized point values (IEC 62056-6-2 clause 4.1.5 and
//! 4.3.2): A-XDR Data to [`Value`], a register's scaler_unit, a date-time to a [`Timestamp`]
//! and its clock status to a [`Quality`].

use std::sync::Arc;

use fieldbridge_core::config::{DeviceTime, DlmsPoint};
use fieldbridge_core::point::{Quality, QualityFlag, QualityLevel, SourceAddress, Value};
use fieldbridge_core::time::Timestamp;
use fieldbridge_dlms::axdr::{ClockStatus, Data, DateTime};

/// Why a value could not be turned into a point value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConvertError {
    /// A type the bridge does not publish as one value (an array, a structure).
    #[error("a {0} is not one value (profile generic and structured attributes are not read yet)")]
    NotScalar(&'static str),
    /// A scaler_unit that is not `structure { integer, enum }`.
    #[error("scaler_unit is not a structure of an integer and an enum")]
    BadScalerUnit,
    /// A date-time the bridge cannot place in time.
    #[error("the date-time is not specified or not valid")]
    BadDateTime,
    /// A clock's time that is not a date-time.
    #[error("the clock's time is not a date-time")]
    NotDateTime,
}

/// The `$meta` and sample address of a configured point: its OBIS code, class and attribute.
pub fn address(p: &DlmsPoint) -> SourceAddress {
    let [a, b, c, d, e, f] = p.obis;
    SourceAddress::Dlms {
        obis: Arc::from(format!("{a}.{b}.{c}.{d}.{e}.{f}")),
        class: p.class,
        attribute: p.attribute,
        profile: None,
    }
}

/// The attribute holding the scaler_unit of a scaled attribute: a register's or extended
/// register's value (class 3 or 4, attribute 2) has it in attribute 3, a demand register's
/// current or last average value (class 5, attribute 2 or 3) in attribute 4 (IEC 62056-6-2
/// clauses 4.3.2 to 4.3.4).
pub fn scaler_attribute(class: u16, attribute: i8) -> Option<i8> {
    match (class, attribute) {
        (3 | 4, 2) => Some(3),
        (5, 2 | 3) => Some(4),
        _ => None,
    }
}

/// A register's scaler and unit (IEC 62056-6-2 clause 4.3.2, attribute 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScalerUnit {
    /// The power of ten the raw value is multiplied by.
    pub scaler: i8,
    /// The unit enumeration.
    pub unit: u8,
}

impl ScalerUnit {
    /// Reads attribute 3 of a register: `structure { scaler integer, unit enum }`.
    ///
    /// # Errors
    /// [`ConvertError::BadScalerUnit`] for any other shape.
    pub fn from_data(data: &Data) -> Result<Self, ConvertError> {
        match data {
            Data::Structure(fields) => match fields.as_slice() {
                [Data::Integer(scaler), Data::Enum(unit)] => Ok(ScalerUnit {
                    scaler: *scaler,
                    unit: *unit,
                }),
                _ => Err(ConvertError::BadScalerUnit),
            },
            _ => Err(ConvertError::BadScalerUnit),
        }
    }

    /// The unit's symbol, when the unit is a physical one the bridge names.
    pub fn unit_name(self) -> Option<Arc<str>> {
        unit_symbol(self.unit).map(Arc::from)
    }

    /// The raw value with the scaler applied: an integer stays an integer when the scaler is 0.
    ///
    /// # Errors
    /// Those of [`value`] for a value that is not a number.
    pub fn apply(self, raw: &Data) -> Result<Value, ConvertError> {
        let plain = value(raw)?;
        if self.scaler == 0 {
            return Ok(plain);
        }
        // A division for a negative scaler: 2301 / 10 is the double nearest 230.1, where
        // 2301 * 0.1 is not.
        let power = 10f64.powi(i32::from(self.scaler.unsigned_abs()));
        Ok(match plain.as_f64() {
            Some(number) if self.scaler < 0 => Value::Float(number / power),
            Some(number) => Value::Float(number * power),
            None => plain,
        })
    }
}

/// The symbol of a unit enumeration value (IEC 62056-6-2 clause 4.3.2, table of units). 255
/// (count) and 0 or unknown values have none.
pub fn unit_symbol(unit: u8) -> Option<&'static str> {
    Some(match unit {
        1 => "a",
        2 => "mo",
        3 => "wk",
        4 => "d",
        5 => "h",
        6 => "min",
        7 => "s",
        8 => "°",
        9 => "°C",
        11 => "m",
        12 => "m/s",
        13 | 14 => "m³",
        15 | 16 => "m³/h",
        17 | 18 => "m³/d",
        19 => "l",
        20 => "kg",
        21 => "N",
        22 => "Nm",
        23 => "Pa",
        24 => "bar",
        25 => "J",
        26 => "J/h",
        27 => "W",
        28 => "VA",
        29 => "var",
        30 => "Wh",
        31 => "VAh",
        32 => "varh",
        33 => "A",
        34 => "C",
        35 => "V",
        36 => "V/m",
        37 => "F",
        38 => "Ω",
        40 => "Wb",
        41 => "T",
        42 => "A/m",
        43 => "H",
        44 => "Hz",
        52 => "K",
        56 => "%",
        57 => "Ah",
        _ => return None,
    })
}

/// One attribute value as a point value, with what the sample carries beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct Converted {
    /// The value, scaled when the attribute has a scaler.
    pub value: Value,
    /// Good, or what the clock status of a date-time value says ([`date_time_quality`]).
    pub quality: Quality,
    /// The integer the meter sent, before the scaler: registers with an integer value only, so
    /// that a consumer can check the scaling (`value = raw × 10^scaler`).
    pub raw: Option<i64>,
    /// The scaler applied (IEC 62056-6-2 clause 4.3.2): registers only.
    pub scaler: Option<i8>,
}

/// Converts one attribute value: scaled when `scaler` is given (a register's value, IEC
/// 62056-6-2 clause 4.3.2), a date-time placed in time by its deviation or `device_time` and
/// qualified by its clock status (clause 4.1.6.1).
///
/// # Errors
/// Those of [`value`].
pub fn convert(
    data: &Data,
    scaler: Option<ScalerUnit>,
    device_time: &DeviceTime,
) -> Result<Converted, ConvertError> {
    if let Data::DateTime(dt) = data {
        return Ok(Converted {
            value: Value::DateTime(timestamp(dt, device_time)?),
            quality: date_time_quality(dt.clock_status),
            raw: None,
            scaler: None,
        });
    }
    Ok(match scaler {
        Some(su) => Converted {
            value: su.apply(data)?,
            quality: Quality::GOOD,
            raw: match value(data)? {
                Value::Int(raw) => Some(raw),
                _ => None,
            },
            scaler: Some(su.scaler),
        },
        None => Converted {
            value: value(data)?,
            quality: Quality::GOOD,
            raw: None,
            scaler: None,
        },
    })
}

/// The quality of a value given its date-time's clock status (IEC 62056-6-2 clause 4.1.6.1):
/// invalid value (bit 0) is bad with `invalid`; doubtful value (bit 1) uncertain with
/// `clock_doubtful`; a different clock base (bit 2) uncertain with `clock_base_different`; an
/// invalid clock status (bit 3) uncertain with `clock_status_invalid`. A status of 0xFF is not
/// specified: good, and no bit is read from it (not even daylight saving).
pub fn date_time_quality(status: ClockStatus) -> Quality {
    let marks = [
        (
            ClockStatus::INVALID,
            QualityLevel::Bad,
            QualityFlag::Invalid,
        ),
        (
            ClockStatus::DOUBTFUL,
            QualityLevel::Uncertain,
            QualityFlag::ClockDoubtful,
        ),
        (
            ClockStatus::DIFFERENT_BASE,
            QualityLevel::Uncertain,
            QualityFlag::ClockBaseDifferent,
        ),
        (
            ClockStatus::INVALID_STATUS,
            QualityLevel::Uncertain,
            QualityFlag::ClockStatusInvalid,
        ),
    ];
    marks
        .into_iter()
        .filter(|(bit, _, _)| status.has(*bit))
        .fold(Quality::GOOD, |q, (_, level, flag)| Quality {
            level: q.level.max(level),
            flags: q.flags.with(flag),
        })
}

/// The time a clock's attribute 2 holds (a date-time, or the 12 octets meters send), placed in
/// time, and the quality its clock status gives it.
///
/// # Errors
/// [`ConvertError::NotDateTime`] for another value, [`ConvertError::BadDateTime`] when it cannot
/// be placed in time.
pub fn clock(data: &Data, device_time: &DeviceTime) -> Result<(Timestamp, Quality), ConvertError> {
    let dt = date_time(data).ok_or(ConvertError::NotDateTime)?;
    Ok((
        timestamp(&dt, device_time)?,
        date_time_quality(dt.clock_status),
    ))
}

/// The point value of one Data element. A date-time without a deviation is read as UTC here and
/// its clock status is not looked at: [`convert`] reads it in the device's zone, with its quality.
///
/// # Errors
/// [`ConvertError::NotScalar`] for arrays, structures and compact arrays; a date-time with no
/// date is [`ConvertError::BadDateTime`].
pub fn value(data: &Data) -> Result<Value, ConvertError> {
    Ok(match data {
        Data::Null => return Err(ConvertError::NotScalar("null-data")),
        Data::Array(_) => return Err(ConvertError::NotScalar("array")),
        Data::Structure(_) => return Err(ConvertError::NotScalar("structure")),
        Data::CompactArray { .. } => return Err(ConvertError::NotScalar("compact-array")),
        Data::Boolean(b) => Value::Bool(*b),
        Data::DoubleLong(v) => Value::Int(i64::from(*v)),
        Data::DoubleLongUnsigned(v) => Value::Int(i64::from(*v)),
        Data::Integer(v) | Data::DeltaInteger(v) => Value::Int(i64::from(*v)),
        Data::Long(v) | Data::DeltaLong(v) => Value::Int(i64::from(*v)),
        Data::DeltaDoubleLong(v) => Value::Int(i64::from(*v)),
        Data::Unsigned(v) | Data::Enum(v) | Data::Bcd(v) => Value::Int(i64::from(*v)),
        Data::LongUnsigned(v) => Value::Int(i64::from(*v)),
        Data::Long64(v) => Value::Int(*v),
        Data::Long64Unsigned(v) => match i64::try_from(*v) {
            Ok(v) => Value::Int(v),
            Err(_) => Value::UInt(*v),
        },
        Data::Float32(v) => Value::Float(f64::from(*v)),
        Data::Float64(v) => Value::Float(*v),
        Data::OctetString(bytes) => octets(bytes),
        Data::VisibleString(bytes) | Data::Utf8String(bytes) => {
            Value::String(String::from_utf8_lossy(bytes).into_owned())
        }
        Data::BitString(bits) => {
            let bools: Vec<u8> = (0..bits.len())
                .map(|i| u8::from(bits.get(i).unwrap_or(false)))
                .collect();
            Value::Bytes(Arc::from(bools))
        }
        Data::DateTime(dt) => Value::DateTime(timestamp(dt, &DeviceTime::Utc)?),
        other => return Err(ConvertError::NotScalar(other.data_type().name())),
    })
}

/// An octet-string: text when every octet is printable ASCII, else the octets.
fn octets(bytes: &[u8]) -> Value {
    if !bytes.is_empty() && bytes.iter().all(|b| (0x20..0x7F).contains(b)) {
        Value::String(String::from_utf8_lossy(bytes).into_owned())
    } else {
        Value::Bytes(Arc::from(bytes))
    }
}

/// The instant of a COSEM date-time (IEC 62056-6-2 clause 4.1.6.1): with its deviation when it
/// has one, else read in the device's zone (`device_time`), the clock status's daylight-saving
/// bit resolving the repeated hour. A clock status of 0xFF is not specified: it says nothing about
/// daylight saving, and the repeated hour is read as its first pass.
///
/// # Errors
/// [`ConvertError::BadDateTime`] when a field is not specified or out of range.
pub fn timestamp(dt: &DateTime, device_time: &DeviceTime) -> Result<Timestamp, ConvertError> {
    if let Some(utc) = dt.to_utc() {
        let millis = utc
            .seconds
            .checked_mul(1000)
            .and_then(|ms| ms.checked_add(i64::from(utc.hundredths) * 10))
            .ok_or(ConvertError::BadDateTime)?;
        return Timestamp::from_unix_millis(millis).ok_or(ConvertError::BadDateTime);
    }
    let month = time::Month::try_from(dt.date.month).map_err(|_| ConvertError::BadDateTime)?;
    let date = time::Date::from_calendar_date(i32::from(dt.date.year), month, dt.date.day)
        .map_err(|_| ConvertError::BadDateTime)?;
    let clock = time::Time::from_hms_milli(
        dt.time.hour,
        dt.time.minute,
        dt.time.second,
        if dt.time.hundredths == 0xFF {
            0
        } else {
            u16::from(dt.time.hundredths) * 10
        },
    )
    .map_err(|_| ConvertError::BadDateTime)?;
    let summer = (dt.clock_status != ClockStatus::NOT_SPECIFIED)
        .then(|| dt.clock_status.has(ClockStatus::DAYLIGHT_SAVING));
    device_time
        .instant(time::PrimitiveDateTime::new(date, clock), summer)
        .ok_or(ConvertError::BadDateTime)
}

/// The date-time in a Data element: a date-time, or the 12-octet octet-string that meters send
/// for the clock's time attribute.
pub fn date_time(data: &Data) -> Option<DateTime> {
    match data {
        Data::DateTime(dt) => Some(*dt),
        Data::OctetString(bytes) => <[u8; 12]>::try_from(bytes.as_slice())
            .ok()
            .map(DateTime::from_bytes),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
