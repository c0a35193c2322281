//! Data to point values.

use super::*;
use fieldbridge_dlms::axdr::{Date, Time};

fn scaler_unit(scaler: i8, unit: u8) -> Data {
    Data::Structure(vec![Data::Integer(scaler), Data::Enum(unit)])
}

#[test]
fn a_register_value_is_scaled_and_named_in_its_unit() {
    let su = ScalerUnit::from_data(&scaler_unit(-1, 30)).expect("scaler_unit");
    assert_eq!(
        su,
        ScalerUnit {
            scaler: -1,
            unit: 30
        }
    );
    assert_eq!(su.unit_name().as_deref(), Some("Wh"));
    let Ok(Value::Float(v)) = su.apply(&Data::DoubleLongUnsigned(12_345)) else {
        panic!("not a float");
    };
    assert!((v - 1_234.5).abs() < 1e-9, "{v}");
}

#[test]
fn a_scaler_of_zero_keeps_the_integer() {
    let su = ScalerUnit::from_data(&scaler_unit(0, 35)).expect("scaler_unit");
    assert_eq!(su.apply(&Data::LongUnsigned(230)), Ok(Value::Int(230)));
    assert_eq!(su.unit_name().as_deref(), Some("V"));
}

#[test]
fn a_negative_scaler_gives_the_nearest_decimal() {
    let su = ScalerUnit {
        scaler: -1,
        unit: 35,
    };
    assert_eq!(su.apply(&Data::LongUnsigned(2301)), Ok(Value::Float(230.1)));
}

#[test]
fn a_positive_scaler_multiplies() {
    let su = ScalerUnit {
        scaler: 3,
        unit: 27,
    };
    assert_eq!(su.apply(&Data::Long(-2)), Ok(Value::Float(-2000.0)));
}

#[test]
fn a_scaler_unit_of_another_shape_is_refused() {
    assert_eq!(
        ScalerUnit::from_data(&Data::Structure(vec![Data::Integer(0)])),
        Err(ConvertError::BadScalerUnit)
    );
    assert_eq!(
        ScalerUnit::from_data(&Data::Unsigned(0)),
        Err(ConvertError::BadScalerUnit)
    );
}

#[test]
fn count_and_unknown_units_have_no_symbol() {
    assert_eq!(unit_symbol(255), None);
    assert_eq!(unit_symbol(0), None);
}

#[test]
fn structures_are_not_one_value() {
    assert_eq!(
        value(&Data::Structure(vec![])),
        Err(ConvertError::NotScalar("structure"))
    );
}

#[test]
fn printable_octets_are_text_and_others_bytes() {
    assert_eq!(
        value(&Data::OctetString(b"GRX12345".to_vec())),
        Ok(Value::String("GRX12345".to_owned()))
    );
    assert_eq!(
        value(&Data::OctetString(vec![0, 1])),
        Ok(Value::Bytes(Arc::from(&[0u8, 1][..])))
    );
}

fn clock(deviation: i16) -> DateTime {
    DateTime {
        date: Date {
            year: 2026,
            month: 12,
            day: 7,
            day_of_week: 1,
        },
        time: Time {
            hour: 13,
            minute: 30,
            second: 5,
            hundredths: 50,
        },
        deviation,
        clock_status: ClockStatus(0),
    }
}

#[test]
fn a_date_time_with_a_deviation_is_placed_by_it() {
    // UTC+01:00 is a deviation of -60 (Blue Book 4.1.6.1): 13:30 local is 12:30 UTC.
    let ts = timestamp(&clock(-60), &DeviceTime::Utc).expect("valid");
    assert_eq!(ts.to_rfc3339_millis(), "2026-12-07T12:30:05.500Z");
}

#[test]
fn a_date_time_without_a_deviation_is_read_in_the_device_zone() {
    let no_deviation = clock(fieldbridge_dlms::axdr::DEVIATION_NOT_SPECIFIED);
    let ts = timestamp(&no_deviation, &DeviceTime::Utc).expect("valid");
    assert_eq!(ts.to_rfc3339_millis(), "2026-12-07T13:30:05.500Z");
    let zone = fieldbridge_core::time::Zone::named("Europe/Berlin").expect("zone");
    let ts = timestamp(&no_deviation, &DeviceTime::Local(zone)).expect("valid");
    assert_eq!(ts.to_rfc3339_millis(), "2026-12-07T12:30:05.500Z");
}

#[test]
fn a_clock_sent_as_twelve_octets_is_a_date_time() {
    let octets = Data::OctetString(clock(0).to_bytes().to_vec());
    assert_eq!(date_time(&octets), Some(clock(0)));
    assert_eq!(date_time(&Data::OctetString(vec![0; 5])), None);
}

#[test]
fn an_unspecified_date_is_refused() {
    let mut dt = clock(0);
    dt.date.year = 0xFFFF;
    assert_eq!(
        timestamp(&dt, &DeviceTime::Utc),
        Err(ConvertError::BadDateTime)
    );
}

fn in_the_repeated_hour(status: u8) -> DateTime {
    // 2026-10-25 02:30 in Europe/Berlin happens twice: at 00:30 UTC (summer time, +02:00), then
    // at 01:30 UTC (standard time, +01:00).
    DateTime {
        date: Date {
            year: 2026,
            month: 10,
            day: 25,
            day_of_week: 7,
        },
        time: Time {
            hour: 2,
            minute: 30,
            second: 0,
            hundredths: 0,
        },
        deviation: fieldbridge_dlms::axdr::DEVIATION_NOT_SPECIFIED,
        clock_status: ClockStatus(status),
    }
}

fn berlin() -> DeviceTime {
    DeviceTime::Local(fieldbridge_core::time::Zone::named("Europe/Berlin").expect("zone"))
}

#[test]
fn the_daylight_saving_bit_picks_the_pass_of_the_repeated_hour() {
    let summer = timestamp(&in_the_repeated_hour(0x80), &berlin()).expect("valid");
    assert_eq!(summer.to_rfc3339_millis(), "2026-10-25T00:30:00.000Z");
    let winter = timestamp(&in_the_repeated_hour(0x00), &berlin()).expect("valid");
    assert_eq!(winter.to_rfc3339_millis(), "2026-10-25T01:30:00.000Z");
}

#[test]
fn a_clock_status_not_specified_says_nothing_about_daylight_saving() {
    // 0xFF is "not specified", not "every bit set" nor "standard time": the first pass is read,
    // as for a time tag without a daylight-saving flag.
    let ts = timestamp(&in_the_repeated_hour(0xFF), &berlin()).expect("valid");
    assert_eq!(ts.to_rfc3339_millis(), "2026-10-25T00:30:00.000Z");
    assert_eq!(date_time_quality(ClockStatus(0xFF)), Quality::GOOD);
}

#[test]
fn the_clock_status_bits_grade_the_quality() {
    let q = |status: u8| date_time_quality(ClockStatus(status));
    assert_eq!(q(0x00), Quality::GOOD);
    assert_eq!(q(0x80), Quality::GOOD, "daylight saving is no defect");
    assert_eq!(
        q(0x01),
        Quality::new(QualityLevel::Bad, [QualityFlag::Invalid])
    );
    assert_eq!(
        q(0x02),
        Quality::new(QualityLevel::Uncertain, [QualityFlag::ClockDoubtful])
    );
    assert_eq!(
        q(0x04),
        Quality::new(QualityLevel::Uncertain, [QualityFlag::ClockBaseDifferent])
    );
    assert_eq!(
        q(0x08),
        Quality::new(QualityLevel::Uncertain, [QualityFlag::ClockStatusInvalid])
    );
    assert_eq!(
        q(0x83),
        Quality::new(
            QualityLevel::Bad,
            [QualityFlag::Invalid, QualityFlag::ClockDoubtful]
        ),
        "the worse level wins and every flag is kept"
    );
}

#[test]
fn a_date_time_inside_a_value_is_read_in_the_device_zone_with_its_clock_status() {
    let mut dt = in_the_repeated_hour(0x02);
    dt.date.day = 24; // 2026-10-24 02:30 in Berlin is 00:30 UTC
    let converted = convert(&Data::DateTime(dt), None, &berlin()).expect("converted");
    let Value::DateTime(ts) = converted.value else {
        panic!("{:?}", converted.value);
    };
    assert_eq!(ts.to_rfc3339_millis(), "2026-10-24T00:30:00.000Z");
    assert_eq!(
        converted.quality,
        Quality::new(QualityLevel::Uncertain, [QualityFlag::ClockDoubtful])
    );
    dt.clock_status = ClockStatus(ClockStatus::INVALID);
    let invalid = convert(&Data::DateTime(dt), None, &berlin()).expect("converted");
    assert_eq!(invalid.quality.level, QualityLevel::Bad);
    assert!(invalid.quality.flags.contains(QualityFlag::Invalid));
}

#[test]
fn a_clock_time_carries_the_quality_of_its_status() {
    let mut dt = clock(0);
    dt.clock_status = ClockStatus(ClockStatus::INVALID);
    let (ts, quality) =
        super::clock(&Data::OctetString(dt.to_bytes().to_vec()), &DeviceTime::Utc).expect("time");
    assert_eq!(ts.to_rfc3339_millis(), "2026-12-07T13:30:05.500Z");
    assert_eq!(
        quality,
        Quality::new(QualityLevel::Bad, [QualityFlag::Invalid])
    );
    assert_eq!(
        super::clock(&Data::Unsigned(1), &DeviceTime::Utc),
        Err(ConvertError::NotDateTime)
    );
}

#[test]
fn a_register_keeps_its_raw_value_and_scaler_beside_the_scaled_value() {
    let su = ScalerUnit {
        scaler: -1,
        unit: 35,
    };
    let converted = convert(&Data::LongUnsigned(2301), Some(su), &DeviceTime::Utc).expect("ok");
    assert_eq!(converted.value, Value::Float(230.1));
    assert_eq!(converted.raw, Some(2301));
    assert_eq!(converted.scaler, Some(-1));
    assert_eq!(converted.quality, Quality::GOOD);
    let plain = convert(&Data::Unsigned(7), None, &DeviceTime::Utc).expect("ok");
    assert_eq!((plain.raw, plain.scaler), (None, None));
    let float = convert(&Data::Float32(2.5), Some(su), &DeviceTime::Utc).expect("ok");
    assert_eq!(
        (float.raw, float.scaler),
        (None, Some(-1)),
        "no integer to carry"
    );
}
