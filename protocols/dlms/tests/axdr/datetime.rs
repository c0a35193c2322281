//! Date-time semantics (Blue Book 4.1.6.1): the deviation's sign, UTC instants, rendering.

use fieldbridge_dlms::axdr::{
    ClockStatus, Date, DateTime, DeviationSign, Time, UtcTime, DEVIATION_NOT_SPECIFIED,
};

fn dt(bytes: [u8; 12]) -> DateTime {
    DateTime::from_bytes(bytes)
}

#[test]
fn a_negative_deviation_is_east_of_utc_as_the_blue_book_and_dlms_cosem_read_it() {
    // dlms-cosem tests/test_time.py: 2020-01-01 00:03:00.00, deviation 0xFF88 = -120, status 0,
    // is 2020-01-01T00:03:00+02:00, that is 2019-12-31T22:03:00Z.
    let at = dt([
        0x07, 0xE4, 0x01, 0x01, 0xFF, 0x00, 0x03, 0x00, 0x00, 0xFF, 0x88, 0x00,
    ]);
    assert_eq!(at.deviation, -120);
    assert_eq!(at.utc_offset_minutes(), Some(120));
    assert_eq!(
        at.to_utc(),
        Some(UtcTime {
            seconds: 1_577_829_780,
            hundredths: 0
        })
    );
    assert_eq!(at.to_string(), "2020-01-01T00:03:00.00+02:00 status 0x00");
    // Same file: deviation 0xFFC4 = -60 is +01:00; 2020-01-06T00:03+01:00 is 23:03Z the day
    // before.
    let at = dt([
        0x07, 0xE4, 0x01, 0x06, 0xFF, 0x00, 0x03, 0x00, 0x00, 0xFF, 0xC4, 0x00,
    ]);
    assert_eq!(at.to_utc().map(|u| u.seconds), Some(1_578_265_380));
    // Same file: deviation 0x8000 is not specified: a local time with no instant.
    let at = dt([
        0x07, 0xE2, 0x02, 0x0C, 0xFF, 0x00, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00,
    ]);
    assert_eq!(at.deviation, DEVIATION_NOT_SPECIFIED);
    assert_eq!(at.to_utc(), None);
    assert_eq!(at.to_string(), "2018-02-12T00:00:00.00+**:** status 0x00");
}

#[test]
fn companion_specifications_that_count_utc_to_local_read_the_opposite_sign() {
    // Gurux's useUtc2NormalTime: -120 then means UTC-02:00, so UTC is two hours later.
    let at = dt([
        0x07, 0xE4, 0x01, 0x01, 0xFF, 0x00, 0x03, 0x00, 0x00, 0xFF, 0x88, 0x00,
    ]);
    assert_eq!(
        at.utc_offset_minutes_with(DeviationSign::UtcToLocal),
        Some(-120)
    );
    assert_eq!(
        at.to_utc_with(DeviationSign::UtcToLocal).map(|u| u.seconds),
        Some(1_577_844_180)
    );
}

#[test]
fn a_utc_instant_becomes_the_meters_local_time_with_its_day_of_week() {
    // 2026-12-07T09:15:00.50Z on a meter at UTC+01:00 (deviation -60): Monday 10:15:00.50.
    let utc = UtcTime {
        seconds: 1_796_634_900,
        hundredths: 50,
    };
    let local = DateTime::from_utc(utc, -60, ClockStatus(0x80)).unwrap();
    assert_eq!(
        local.to_bytes(),
        [0x07, 0xEA, 0x0C, 0x07, 0x01, 0x0A, 0x0F, 0x00, 0x32, 0xFF, 0xC4, 0x80]
    );
    assert_eq!(
        local.to_string(),
        "2026-12-07T10:15:00.50+01:00 status 0x80"
    );
    assert_eq!(local.to_utc(), Some(utc));
    // The epoch was a Thursday; one second before it is 1969-12-31 23:59:59.
    let epoch = DateTime::from_utc(
        UtcTime {
            seconds: 0,
            hundredths: 0,
        },
        0,
        ClockStatus(0),
    );
    assert_eq!(epoch.map(|e| e.date.day_of_week), Some(4));
    let before = DateTime::from_utc(
        UtcTime {
            seconds: -1,
            hundredths: 0,
        },
        0,
        ClockStatus(0),
    )
    .unwrap();
    assert_eq!(
        before.to_string(),
        "1969-12-31T23:59:59.00+00:00 status 0x00"
    );
    // Without a deviation the time stays UTC and the deviation not specified.
    let plain = DateTime::from_utc(utc, DEVIATION_NOT_SPECIFIED, ClockStatus(0)).unwrap();
    assert_eq!(plain.time.hour, 9);
    assert_eq!(plain.deviation, DEVIATION_NOT_SPECIFIED);
    // Hundredths above 99 are no instant.
    assert_eq!(
        DateTime::from_utc(
            UtcTime {
                seconds: 0,
                hundredths: 100
            },
            0,
            ClockStatus(0)
        ),
        None
    );
}

#[test]
fn wildcards_and_impossible_dates_have_no_instant_and_render_as_stars_or_hex() {
    let all = dt([0xFF; 12]);
    assert_eq!(all.to_utc(), None);
    assert_eq!(all.to_string(), "****-**-**T**:**:**.**+00:01 status 0xff");
    let none = dt([
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x80, 0x00, 0xFF,
    ]);
    assert_eq!(none.to_string(), "****-**-**T**:**:**.**+**:** status 0xff");
    // Last day of a month (0xFE) and daylight saving begin as the month (0xFE).
    let schedule = dt([
        0xFF, 0xFF, 0xFE, 0xFE, 0x07, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ]);
    assert_eq!(
        schedule.to_string(),
        "****-FE-FET02:00:00.00+00:00 status 0x00"
    );
    assert_eq!(schedule.to_utc(), None);
    // 2023-02-29 does not exist; 2024-02-29 and 2000-02-29 do; 2100-02-29 does not.
    let feb29 = |year: u16| Date {
        year,
        month: 2,
        day: 29,
        day_of_week: 0xFF,
    };
    assert_eq!(feb29(2023).to_days(), None);
    assert_eq!(feb29(2024).to_days(), Some(19_782));
    assert!(feb29(2000).to_days().is_some());
    assert_eq!(feb29(2100).to_days(), None);
    // Hour 24 is out of range.
    let late = DateTime {
        time: Time::from_bytes([24, 0, 0, 0]),
        ..dt([
            0x07, 0xE4, 0x01, 0x01, 0xFF, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00,
        ])
    };
    assert_eq!(late.to_utc(), None);
    assert_eq!(late.to_string(), "2020-01-01T18:00:00.00+00:00 status 0x00");
}
