//! Information objects of the monitoring direction as normalized values (IEC 60870-5-101 clause
//! 7.3.1, IEC 60870-5-104 clause 8): the element's value, its quality descriptor flag by flag, and
//! the CP56Time2a read per `device_time` (IEC 60870-5-4 clause 6.8), or the CP24Time2a completed
//! with the hour it arrived in (IEC 60870-5-101 clause 7.2.6.19).

use fieldbridge_core::config::DeviceTime;
use fieldbridge_core::point::{DoublePoint, Quality, QualityFlag, QualityLevel, Value};
use fieldbridge_core::time::Timestamp;
use fieldbridge_iec60870::asdu::{Element, TimeTag};
use fieldbridge_iec60870::types::{self, Cp24Time2a, Cp56Time2a};

/// What one information object says: its value, quality and (when tagged) the device's time.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// The value.
    pub value: Value,
    /// IV, NT, SB, BL, OV, EI, CY, CA, T and the time tag's IV, by name.
    pub quality: Quality,
    /// The device's time tag, read per `device_time`; `None` without a time tag or when it is
    /// not a real date.
    pub ts: Option<Timestamp>,
    /// SQ of a binary counter reading (clause 7.2.6.9).
    pub counter_sequence: Option<u8>,
}

/// The flags of a quality descriptor (clause 7.2.6.3): IV, NT, SB, BL in the same bits in SIQ,
/// DIQ, QDS, QDP and SEP.
fn descriptor_flags(bits: u8, flags: &mut Vec<QualityFlag>) {
    use types::quality::{BL, IV, NT, SB};
    for (mask, flag) in [
        (IV, QualityFlag::Invalid),
        (NT, QualityFlag::NotTopical),
        (SB, QualityFlag::Substituted),
        (BL, QualityFlag::Blocked),
    ] {
        if bits & mask != 0 {
            flags.push(flag);
        }
    }
}

/// QDS (clause 7.2.6.3): the four shared flags and OV.
fn qds_flags(bits: u8, flags: &mut Vec<QualityFlag>) {
    descriptor_flags(bits, flags);
    if bits & types::quality::OV != 0 {
        flags.push(QualityFlag::Overflow);
    }
}

/// QDP and SEP (clauses 7.2.6.4, 7.2.6.10): the four shared flags and EI.
fn protection_flags(bits: u8, flags: &mut Vec<QualityFlag>) {
    descriptor_flags(bits, flags);
    if bits & types::quality::EI != 0 {
        flags.push(QualityFlag::ElapsedTimeInvalid);
    }
}

fn double(state: types::DoublePoint) -> DoublePoint {
    match state {
        types::DoublePoint::Intermediate => DoublePoint::Intermediate,
        types::DoublePoint::Off => DoublePoint::Off,
        types::DoublePoint::On => DoublePoint::On,
        types::DoublePoint::Indeterminate => DoublePoint::Indeterminate,
    }
}

/// An IEEE 754 single as the shortest decimal that reads back to it (23.1, not
/// 23.100000381469727).
fn float(value: f32) -> Value {
    Value::Float(value.to_string().parse::<f64>().unwrap_or(f64::from(value)))
}

/// The level the flags make: bad when the value is invalid, uncertain when it is not topical,
/// substituted, blocked, overflowed, its elapsed time or its time tag is invalid, or its counter
/// carried; good otherwise (CA, an adjusted counter, and T, a moving step position, are facts
/// about a valid value).
fn level(flags: &[QualityFlag]) -> QualityLevel {
    if flags.contains(&QualityFlag::Invalid) {
        QualityLevel::Bad
    } else if flags.iter().any(|f| {
        matches!(
            f,
            QualityFlag::NotTopical
                | QualityFlag::Substituted
                | QualityFlag::Blocked
                | QualityFlag::Overflow
                | QualityFlag::ElapsedTimeInvalid
                | QualityFlag::TimeInvalid
                | QualityFlag::Carry
        )
    }) {
        QualityLevel::Uncertain
    } else {
        QualityLevel::Good
    }
}

/// The instant of a CP56Time2a read per `device_time`, or `None` when its fields are no date.
pub fn device_instant(tag: &Cp56Time2a, device_time: &DeviceTime) -> Option<Timestamp> {
    let civil = tag.to_civil().ok()?;
    // The civil time as if it were UTC, then read as `device_time` says.
    let wall = Timestamp::from_unix_millis(civil.to_unix_millis())?;
    let wall = wall.datetime();
    let primitive = wall.date().with_time(wall.time());
    device_time.instant(primitive, Some(tag.summer_time))
}

/// The observation of an element of the monitoring direction (type IDs 1 to 21 and 30 to 40), or
/// `None` for a command, system or file element (those are no points).
pub fn observe(
    element: &Element,
    time: Option<&TimeTag>,
    device_time: &DeviceTime,
    received: Timestamp,
) -> Option<Observation> {
    let mut flags = Vec::new();
    let mut counter_sequence = None;
    let value = match *element {
        Element::SinglePoint(siq) => {
            descriptor_flags(siq.bits(), &mut flags);
            Value::Bool(siq.on())
        }
        Element::DoublePoint(diq) => {
            descriptor_flags(diq.bits(), &mut flags);
            Value::DoublePoint(double(diq.state()))
        }
        Element::StepPosition { vti, qds } => {
            qds_flags(qds.0, &mut flags);
            if vti.transient() {
                flags.push(QualityFlag::Transient);
            }
            Value::Int(i64::from(vti.value()))
        }
        Element::Bitstring { bsi, qds } => {
            qds_flags(qds.0, &mut flags);
            Value::Bytes(bsi.to_le_bytes().into())
        }
        Element::Normalized { nva, qds } => {
            qds_flags(qds.0, &mut flags);
            float(nva.to_f32())
        }
        Element::NormalizedNoQuality(nva) => float(nva.to_f32()),
        Element::Scaled { sva, qds } => {
            qds_flags(qds.0, &mut flags);
            Value::Int(i64::from(sva))
        }
        Element::Float { value, qds } => {
            qds_flags(qds.0, &mut flags);
            float(value)
        }
        Element::Counter(bcr) => {
            for (set, flag) in [
                (bcr.invalid, QualityFlag::Invalid),
                (bcr.carry, QualityFlag::Carry),
                (bcr.adjusted, QualityFlag::Adjusted),
            ] {
                if set {
                    flags.push(flag);
                }
            }
            counter_sequence = Some(bcr.sequence);
            Value::Int(i64::from(bcr.value))
        }
        Element::ProtectionEvent { sep, .. } => {
            protection_flags(sep.0, &mut flags);
            Value::DoublePoint(double(sep.state()))
        }
        Element::ProtectionStart { spe, qdp, .. } => {
            protection_flags(qdp.0, &mut flags);
            Value::Int(i64::from(spe.bits()))
        }
        Element::ProtectionOutput { oci, qdp, .. } => {
            protection_flags(qdp.0, &mut flags);
            Value::Int(i64::from(oci.bits()))
        }
        Element::PackedSinglePoints { scd, qds } => {
            qds_flags(qds.0, &mut flags);
            Value::Int(i64::from(scd.status))
        }
        _ => return None,
    };
    let ts = match time {
        Some(TimeTag::Cp56(tag)) => {
            if tag.invalid {
                flags.push(QualityFlag::TimeInvalid);
            }
            device_instant(tag, device_time)
        }
        Some(TimeTag::Cp24(tag)) => {
            if tag.invalid {
                flags.push(QualityFlag::TimeInvalid);
            }
            cp24_instant(tag, device_time, received)
        }
        None => None,
    };
    Some(Observation {
        quality: Quality::new(level(&flags), flags),
        value,
        ts,
        counter_sequence,
    })
}

/// The instant of a CP24Time2a (minute and milliseconds, IEC 60870-5-101 clause 7.2.6.19) received
/// at `received`, read per `device_time`: the latest time with that minute and millisecond in
/// the device's wall clock that is not more than a minute after `received` (a device clock a
/// little ahead stays in the current hour). `None` when the wall clock cannot be read.
pub fn cp24_instant(
    tag: &Cp24Time2a,
    device_time: &DeviceTime,
    received: Timestamp,
) -> Option<Timestamp> {
    const HOUR: i64 = 3_600_000;
    let now_ms = received.unix_millis();
    let now = received.datetime();
    // The zone's offset now: the UTC wall clock read as the device's wall clock.
    let offset = now_ms
        - device_time
            .instant(now.date().with_time(now.time()), None)?
            .unix_millis();
    let wall_now = now_ms + offset;
    let mut wall = wall_now - wall_now.rem_euclid(HOUR)
        + i64::from(tag.minute) * 60_000
        + i64::from(tag.millisecond);
    if wall > wall_now + 60_000 {
        wall -= HOUR;
    }
    let civil = Timestamp::from_unix_millis(wall)?.datetime();
    device_time.instant(civil.date().with_time(civil.time()), None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use fieldbridge_iec60870::types::{Bcr, Diq, Nva, Qds, Siq, Vti};

    fn stamp() -> Cp56Time2a {
        // 2026-01-02 03:04:05.678
        Cp56Time2a::from_bytes([0x2E, 0x16, 4, 3, 2, 1, 26])
    }

    #[test]
    fn a_cp56_tag_in_utc_is_the_instant_it_names() {
        let ts = device_instant(&stamp(), &DeviceTime::Utc).map(Timestamp::to_rfc3339_millis);
        assert_eq!(ts.as_deref(), Some("2026-01-02T03:04:05.678Z"));
    }

    #[test]
    fn a_cp56_tag_in_local_time_is_read_in_its_zone() {
        let zone = fieldbridge_core::time::Zone::named("Europe/Berlin").expect("the zone");
        let ts =
            device_instant(&stamp(), &DeviceTime::Local(zone)).map(Timestamp::to_rfc3339_millis);
        assert_eq!(
            ts.as_deref(),
            Some("2026-01-02T02:04:05.678Z"),
            "CET is UTC+1"
        );
    }

    #[test]
    fn a_tag_that_is_no_date_gives_no_instant() {
        let bad = Cp56Time2a::from_bytes([0, 0, 61, 25, 0, 13, 26]);
        assert_eq!(device_instant(&bad, &DeviceTime::Utc), None);
    }

    #[test]
    fn an_invalid_time_tag_flags_the_sample_and_keeps_the_time() {
        let mut tag = stamp();
        tag.invalid = true;
        let o = observe(
            &Element::SinglePoint(Siq::new(true)),
            Some(&TimeTag::Cp56(tag)),
            &DeviceTime::Utc,
            Timestamp::now(),
        );
        let o = o.expect("a monitoring element");
        assert_eq!(o.value, Value::Bool(true));
        assert!(o.quality.flags.contains(QualityFlag::TimeInvalid));
        assert_eq!(o.quality.level, QualityLevel::Uncertain);
        assert!(o.ts.is_some());
    }

    #[test]
    fn a_cp24_tag_is_completed_with_the_hour_it_arrived_in_and_its_iv_flagged() {
        // Arrived at 10:59:58.000 UTC with a tag of minute 59, 57.5 s: 10:59:57.500.
        let received = Timestamp::from_unix_millis(
            1_780_000_000_000 - 1_780_000_000_000 % 3_600_000 + 3_598_000,
        )
        .expect("a time");
        let tag = Cp24Time2a {
            millisecond: 57_500,
            minute: 59,
            invalid: true,
            ..Cp24Time2a::default()
        };
        let o = observe(
            &Element::SinglePoint(Siq::new(true)),
            Some(&TimeTag::Cp24(tag)),
            &DeviceTime::Utc,
            received,
        )
        .expect("a monitoring element");
        assert_eq!(
            o.ts.map(Timestamp::unix_millis),
            Some(received.unix_millis() - 500)
        );
        assert!(o.quality.flags.contains(QualityFlag::TimeInvalid));
    }

    #[test]
    fn every_monitoring_element_has_its_value_and_flags() {
        let utc = DeviceTime::Utc;
        let cases: Vec<(Element, Value, &[QualityFlag], QualityLevel)> = vec![
            (
                Element::DoublePoint(Diq(0x02 | 0x80)),
                Value::DoublePoint(DoublePoint::On),
                &[QualityFlag::Invalid],
                QualityLevel::Bad,
            ),
            (
                Element::Float {
                    value: 23.1,
                    qds: Qds(0x40),
                },
                Value::Float(23.1),
                &[QualityFlag::NotTopical],
                QualityLevel::Uncertain,
            ),
            (
                Element::Scaled {
                    sva: -1234,
                    qds: Qds(0x01),
                },
                Value::Int(-1234),
                &[QualityFlag::Overflow],
                QualityLevel::Uncertain,
            ),
            (
                Element::Normalized {
                    nva: Nva(0x4000),
                    qds: Qds(0x20),
                },
                Value::Float(0.5),
                &[QualityFlag::Substituted],
                QualityLevel::Uncertain,
            ),
            (
                Element::Counter(Bcr {
                    value: 123_456,
                    sequence: 3,
                    carry: true,
                    adjusted: true,
                    invalid: false,
                }),
                Value::Int(123_456),
                &[QualityFlag::Carry, QualityFlag::Adjusted],
                QualityLevel::Uncertain,
            ),
            (
                Element::StepPosition {
                    vti: Vti::new(-3, true).unwrap_or_default(),
                    qds: Qds(0x10),
                },
                Value::Int(-3),
                &[QualityFlag::Blocked, QualityFlag::Transient],
                QualityLevel::Uncertain,
            ),
            (
                Element::Bitstring {
                    bsi: 0x0403_0201,
                    qds: Qds(0),
                },
                Value::Bytes([1u8, 2, 3, 4].into()),
                &[],
                QualityLevel::Good,
            ),
        ];
        for (element, value, flags, level) in cases {
            let o = observe(&element, None, &utc, Timestamp::now()).expect("a monitoring element");
            assert_eq!(o.value, value, "{element:?}");
            assert_eq!(o.quality.level, level, "{element:?}");
            let got: Vec<QualityFlag> = o.quality.flags.iter().collect();
            let mut want = flags.to_vec();
            want.sort();
            assert_eq!(got, want, "{element:?}");
        }
    }

    #[test]
    fn commands_and_system_elements_are_no_points() {
        use fieldbridge_iec60870::types::Qoi;
        assert_eq!(
            observe(
                &Element::Interrogation(Qoi::STATION),
                None,
                &DeviceTime::Utc,
                Timestamp::now()
            ),
            None
        );
    }
}
