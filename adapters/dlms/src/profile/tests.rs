//! The profile's layout, range access and buffer decoding against the Gurux meter's recorded
//! frames (`captures/dlms/wrapper-low` and `hdlc-low`), our simulator's rows and the errors.

use fieldbridge_core::config::DeviceTime;
use fieldbridge_core::point::Value;
use fieldbridge_core::time::{Timestamp, Zone};
use fieldbridge_dlms::apdu::get::{
    AttributeDescriptor, GetResponse, InvokeIdAndPriority, OwnedGetRequest, Progress, Reassembler,
};
use fieldbridge_dlms::axdr::{ClockStatus, Data, DataRef, DateTime};
use fieldbridge_dlms::obis::ObisCode;

use super::testkit::*;
use super::*;
use crate::convert::ScalerUnit;

const PROFILE: [u8; 6] = [1, 0, 99, 1, 0, 255];

fn capture(class_id: u16, ln: [u8; 6], attribute: i8, data_index: u16) -> Data {
    CaptureObject::new(class_id, ln, attribute, data_index).to_data()
}

#[test]
fn the_gurux_meters_capture_objects_are_the_clock_and_two_registers() {
    let layout = gurux_layout();
    let objects: Vec<CaptureObject> = layout.columns().iter().map(|c| c.object).collect();
    assert_eq!(
        objects,
        vec![
            CaptureObject::new(8, [0, 0, 1, 0, 0, 255], 2, 0),
            CaptureObject::new(3, [1, 0, 1, 8, 0, 255], 2, 0),
            CaptureObject::new(3, [1, 0, 2, 8, 0, 255], 2, 0),
        ]
    );
    assert_eq!(layout.clock_index(), 0);
    assert_eq!(layout.clock_object(), objects[0]);
    assert_eq!(layout.capture_period(), 900);
    assert!(layout.captures(&objects));
    assert!(!layout.captures(&objects[..2]));
}

#[test]
fn the_gurux_meters_counters_read_as_900_seconds_and_96_entries() {
    let read = |vector| counter(&response_data(&hex(vector)), "attribute");
    assert_eq!(read(GURUX_CAPTURE_PERIOD), Ok(900));
    assert_eq!(read(GURUX_ENTRIES_IN_USE), Ok(96));
    assert_eq!(read(GURUX_PROFILE_ENTRIES), Ok(96));
    assert_eq!(
        counter(&Data::LongUnsigned(96), "entries_in_use"),
        Err(LayoutError::NotCounter {
            attribute: "entries_in_use",
            found: "long-unsigned"
        })
    );
}

#[test]
fn value_columns_are_named_after_their_obis_code_and_the_clock_is_not_one() {
    let layout = gurux_layout();
    let names: Vec<&str> = layout.value_columns().map(|(_, c)| &*c.point).collect();
    assert_eq!(
        names,
        ["load_profile.1-0-1-8-0-255", "load_profile.1-0-2-8-0-255"]
    );
    assert_eq!(
        column_point_name("lp", ObisCode::new(0, 0, 96, 10, 1, 255)),
        "lp.0-0-96-10-1-255"
    );
    for column in layout.columns() {
        assert!(column
            .point
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')));
    }
}

#[test]
fn columns_that_capture_the_same_object_get_suffixes_that_tell_them_apart() {
    let demand = [1, 0, 1, 4, 0, 255];
    let objects = Data::Array(vec![
        capture(8, [0, 0, 1, 0, 0, 255], 2, 0),
        capture(5, demand, 2, 0),
        capture(5, demand, 3, 0),
        capture(5, demand, -3, 0),
        capture(4, [1, 0, 1, 6, 0, 255], 5, 1),
        capture(4, [1, 0, 1, 6, 0, 255], 5, 2),
        capture(3, [1, 0, 1, 8, 0, 255], 2, 0),
        capture(3, [1, 0, 1, 8, 0, 255], 2, 0),
    ]);
    let layout = ProfileLayout::new("p", &objects, 900).expect("layout");
    let names: Vec<&str> = layout.columns().iter().map(|c| &*c.point).collect();
    assert_eq!(
        names,
        [
            "p.0-0-1-0-0-255",
            "p.1-0-1-4-0-255_a2",
            "p.1-0-1-4-0-255_a3",
            "p.1-0-1-4-0-255_a-3",
            "p.1-0-1-6-0-255_a5_d1",
            "p.1-0-1-6-0-255_a5_d2",
            "p.1-0-1-8-0-255_a2_d0",
            "p.1-0-1-8-0-255_a2_d0_c7",
        ]
    );
}

#[test]
fn a_register_columns_scaler_is_read_from_its_scaler_unit_attribute() {
    let mut layout = ProfileLayout::new(
        "p",
        &Data::Array(vec![
            capture(8, [0, 0, 1, 0, 0, 255], 2, 0),
            capture(3, [1, 0, 32, 7, 0, 255], 2, 0),
            capture(5, [1, 0, 1, 4, 0, 255], 3, 0),
            capture(1, [0, 0, 96, 10, 1, 255], 2, 0),
        ]),
        900,
    )
    .expect("layout");
    let attributes: Vec<Option<i8>> = layout
        .columns()
        .iter()
        .map(Column::scaler_attribute)
        .collect();
    assert_eq!(attributes, [None, Some(3), Some(4), None]);
    let voltage = &layout.columns()[1];
    assert_eq!(
        voltage.value(&Data::LongUnsigned(2301)),
        Ok(Value::Int(2301))
    );
    assert_eq!(voltage.unit(), None);
    assert!(layout.set_scaler_unit(
        1,
        ScalerUnit {
            scaler: -1,
            unit: 35
        }
    ));
    assert!(!layout.set_scaler_unit(
        9,
        ScalerUnit {
            scaler: 0,
            unit: 35
        }
    ));
    let voltage = &layout.columns()[1];
    assert_eq!(
        voltage.value(&Data::LongUnsigned(2301)),
        Ok(Value::Float(230.1))
    );
    assert_eq!(voltage.unit().as_deref(), Some("V"));
}

#[test]
fn capture_objects_that_are_not_definitions_are_refused_with_the_element_named() {
    let clock = capture(8, [0, 0, 1, 0, 0, 255], 2, 0);
    assert_eq!(
        capture_objects(&Data::Structure(vec![])),
        Err(LayoutError::NotArray { found: "structure" })
    );
    assert_eq!(
        capture_objects(&Data::Array(vec![])),
        Err(LayoutError::Empty)
    );
    assert_eq!(
        capture_objects(&Data::Array(vec![clock.clone(), Data::LongUnsigned(3)])),
        Err(LayoutError::BadShape {
            index: 1,
            found: "long-unsigned",
            len: 0
        })
    );
    assert_eq!(
        capture_objects(&Data::Array(vec![Data::Structure(vec![
            Data::LongUnsigned(8),
            Data::OctetString(vec![0, 0, 1, 0, 0, 255]),
            Data::Integer(2),
        ])])),
        Err(LayoutError::BadShape {
            index: 0,
            found: "structure",
            len: 3
        })
    );
    let with = |class, name, attribute, index| {
        capture_objects(&Data::Array(vec![
            clock.clone(),
            Data::Structure(vec![class, name, attribute, index]),
        ]))
    };
    let name = || Data::OctetString(vec![1, 0, 1, 8, 0, 255]);
    let bad = |field, expected, found: &str| {
        Err(LayoutError::BadField {
            index: 1,
            field,
            expected,
            found: found.to_owned(),
        })
    };
    assert_eq!(
        with(
            Data::Unsigned(3),
            name(),
            Data::Integer(2),
            Data::LongUnsigned(0)
        ),
        bad("class_id", "long-unsigned", "unsigned")
    );
    assert_eq!(
        with(
            Data::LongUnsigned(3),
            Data::OctetString(vec![1, 0, 1, 8, 0]),
            Data::Integer(2),
            Data::LongUnsigned(0)
        ),
        bad(
            "logical_name",
            "octet-string of 6 octets",
            "octet-string of 5 octets"
        )
    );
    assert_eq!(
        with(
            Data::LongUnsigned(3),
            name(),
            Data::Unsigned(2),
            Data::LongUnsigned(0)
        ),
        bad("attribute_index", "integer", "unsigned")
    );
    assert_eq!(
        with(
            Data::LongUnsigned(3),
            name(),
            Data::Integer(2),
            Data::Unsigned(0)
        ),
        bad("data_index", "long-unsigned", "unsigned")
    );
    let message = with(
        Data::Unsigned(3),
        name(),
        Data::Integer(2),
        Data::LongUnsigned(0),
    )
    .expect_err("bad")
    .to_string();
    assert_eq!(
        message,
        "capture object 1: class_id is a unsigned, expected long-unsigned"
    );
}

#[test]
fn a_profile_without_a_clock_column_is_refused() {
    let objects = Data::Array(vec![
        capture(3, [1, 0, 1, 8, 0, 255], 2, 0),
        // the clock's time zone, not its time
        capture(8, [0, 0, 1, 0, 0, 255], 3, 0),
    ]);
    assert_eq!(
        ProfileLayout::new("p", &objects, 900),
        Err(LayoutError::NoClock)
    );
}

#[test]
fn the_range_access_is_byte_for_byte_the_recorded_gurux_request() {
    let frames = apdus(WRAPPER_LOW);
    let recorded = frames[8].as_deref().expect("frame 9");
    let layout = gurux_layout();
    let from = gurux_time(JUNE_1 + 3600);
    let to = gurux_time(JUNE_1 + 3600 + 45 * 60);
    let request = OwnedGetRequest::Normal {
        invoke: InvokeIdAndPriority(0xC1),
        attribute: AttributeDescriptor::new(7, PROFILE, 2),
        selection: Some(layout.range_access(from, to)),
    };
    assert_eq!(request.to_vec(), recorded);
}

#[test]
fn the_access_since_a_time_ends_at_an_open_bound_in_the_same_representation() {
    let from = DateTime {
        deviation: -60,
        clock_status: ClockStatus(0x80),
        ..gurux_time(JUNE_1)
    };
    let end = open_end(from);
    assert_eq!(
        end.to_bytes(),
        [0x08, 0x33, 12, 31, 0xFF, 23, 59, 59, 0, 0xFF, 0xC4, 0x80]
    );
    let access = gurux_layout().access_since(from);
    assert_eq!(access, range_access(&gurux_layout(), from, end));
    let mut bytes = Vec::new();
    access.encode(&mut bytes);
    let parameters = DataRef::decode_all(&bytes[1..]).expect("Data");
    let range = fieldbridge_dlms::apdu::selective::RangeDescriptor::from_data(parameters)
        .expect("a range_descriptor");
    assert_eq!(bytes[0], 1, "selector 1");
    assert_eq!(range.restricting_object, gurux_layout().clock_object());
    assert!(range.selected_values.is_empty(), "every column");
}

#[test]
fn the_entry_access_reads_one_entry_with_every_column() {
    let mut bytes = Vec::new();
    entry_access(96).encode(&mut bytes);
    assert_eq!(
        bytes,
        [2, 0x02, 4, 0x06, 0, 0, 0, 96, 0x06, 0, 0, 0, 96, 0x12, 0, 1, 0x12, 0, 0]
    );
}

/// Entry `i` of the Gurux meter's profile: 00:15 + 15 min × i, import 12340000 + 60 i, export
/// 4000 + 3 i.
fn gurux_entry(i: u32) -> (Timestamp, u32, u32) {
    (
        at(JUNE_1 + 900 * (i64::from(i) + 1)),
        12_340_000 + 60 * i,
        4000 + 3 * i,
    )
}

fn check_gurux_entries(entries: &[Entry], first: u32) {
    for (k, entry) in entries.iter().enumerate() {
        let i = first + k as u32;
        let (time, import, export) = gurux_entry(i);
        assert_eq!(entry.capture_time, time, "entry {i}");
        assert_eq!(
            entry.meter_time.map(|t| t.to_bytes()),
            Some(gurux_time(time.unix_millis() / 1000).to_bytes())
        );
        assert_eq!(
            entry.values[1..],
            [
                Data::DoubleLongUnsigned(import),
                Data::DoubleLongUnsigned(export)
            ]
        );
        assert!(!entry.clock_doubtful());
    }
}

#[test]
fn the_recorded_range_answer_holds_four_entries_with_both_ends_included() {
    let frames = apdus(WRAPPER_LOW);
    let buffer = response_data(frames[9].as_deref().expect("frame 10"));
    let layout = gurux_layout();
    let entries = layout.decode(buffer, &DeviceTime::Utc).expect("entries");
    assert_eq!(entries.len(), 4);
    // 01:00 (entry 3) to 01:45 (entry 6): both bounds came back.
    check_gurux_entries(&entries, 3);
    let columns: Vec<(&str, &Data)> = entries[0]
        .columns(&layout)
        .map(|(c, v)| (&*c.point, v))
        .collect();
    assert_eq!(
        columns,
        [
            (
                "load_profile.1-0-1-8-0-255",
                &Data::DoubleLongUnsigned(12_340_180)
            ),
            (
                "load_profile.1-0-2-8-0-255",
                &Data::DoubleLongUnsigned(4009)
            ),
        ]
    );
}

#[test]
fn the_recorded_whole_buffer_in_five_blocks_holds_all_96_entries_over_both_transports() {
    for (name, jsonl) in [("wrapper", WRAPPER_LOW), ("hdlc", HDLC_LOW)] {
        let mut blocks = Reassembler::new(1 << 16);
        let mut complete = false;
        for apdu in apdus(jsonl).into_iter().flatten() {
            if apdu.starts_with(&[0xC4, 0x02]) {
                let response = GetResponse::decode(&apdu).expect("a Get-Response");
                complete = blocks.push(&response).expect("in sequence") == Progress::Complete;
            }
        }
        assert!(complete, "{name}: the last block came");
        let buffer = DataRef::decode_all(blocks.data()).expect("Data").to_owned();
        let entries = gurux_layout()
            .decode(buffer, &DeviceTime::Utc)
            .expect("entries");
        assert_eq!(entries.len(), 96, "{name}");
        check_gurux_entries(&entries, 0);
    }
}

#[test]
fn the_simulators_rows_decode_with_their_day_of_week_filled_in() {
    // As adapters/sim/src/dlms/meter.rs builds them: 1,000,000 Wh + elapsed / 4, export a
    // fifth of it, times from DateTime::from_utc with deviation 0.
    let start = JUNE_1;
    let rows = (1..=3)
        .map(|k| {
            let elapsed = 900 * k;
            let import = 1_000_000 + (elapsed / 4) as u32;
            row(octets(sim_time(start + elapsed)), import, import / 5)
        })
        .collect();
    let entries = gurux_layout()
        .decode(Data::Array(rows), &DeviceTime::Utc)
        .expect("entries");
    let times: Vec<Timestamp> = entries.iter().map(|e| e.capture_time).collect();
    assert_eq!(times, [at(start + 900), at(start + 1800), at(start + 2700)]);
    assert_eq!(entries[0].meter_time.map(|t| t.date.day_of_week), Some(6));
    assert_eq!(entries[2].values[1], Data::DoubleLongUnsigned(1_000_675));
}

#[test]
fn a_capture_time_without_deviation_is_read_in_the_devices_zone() {
    let local = DateTime {
        deviation: fieldbridge_dlms::axdr::DEVIATION_NOT_SPECIFIED,
        ..gurux_time(JUNE_1 + 3600)
    };
    let vienna = DeviceTime::Local(Zone::named("Europe/Vienna").expect("zone"));
    let entries = gurux_layout()
        .decode(Data::Array(vec![row(octets(local), 1, 1)]), &vienna)
        .expect("entries");
    // 01:00 in Vienna on 1 June is 23:00 UTC the day before.
    assert_eq!(entries[0].capture_time, at(JUNE_1 - 3600));
}

#[test]
fn a_null_capture_time_is_the_previous_one_plus_the_capture_period() {
    let wildcard = Data::OctetString(vec![
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x80, 0x00, 0xFF,
    ]);
    let rows = Data::Array(vec![
        row(octets(gurux_time(JUNE_1)), 1, 1),
        row(Data::Null, 2, 2),
        row(wildcard, 3, 3),
        row(octets(gurux_time(JUNE_1 + 7200)), 4, 4),
        row(Data::Null, 5, 5),
    ]);
    let entries = gurux_layout()
        .decode(rows, &DeviceTime::Utc)
        .expect("entries");
    let times: Vec<(Timestamp, bool)> = entries
        .iter()
        .map(|e| (e.capture_time, e.meter_time.is_some()))
        .collect();
    assert_eq!(
        times,
        [
            (at(JUNE_1), true),
            (at(JUNE_1 + 900), false),
            (at(JUNE_1 + 1800), false),
            (at(JUNE_1 + 7200), true),
            (at(JUNE_1 + 8100), false),
        ]
    );
}

#[test]
fn a_read_whose_first_entry_has_no_time_is_refused() {
    let rows = Data::Array(vec![row(Data::Null, 1, 1)]);
    assert!(matches!(
        gurux_layout().decode(rows, &DeviceTime::Utc),
        Err(BufferError::NoCaptureTime { row: 0, .. })
    ));
}

#[test]
fn a_null_time_in_a_profile_without_capture_period_is_refused() {
    let layout = ProfileLayout::from_objects(
        "events",
        gurux_layout().columns().iter().map(|c| c.object).collect(),
        0,
    )
    .expect("layout");
    let rows = Data::Array(vec![
        row(octets(gurux_time(JUNE_1)), 1, 1),
        row(Data::Null, 2, 2),
    ]);
    let error = layout.decode(rows, &DeviceTime::Utc).expect_err("refused");
    assert!(matches!(error, BufferError::NoCaptureTime { row: 1, .. }));
    assert_eq!(
        error.to_string(),
        "entry 1 has no capture time and the profile has no capture period to derive it from"
    );
}

#[test]
fn a_row_of_another_width_refuses_the_whole_read() {
    let rows = Data::Array(vec![
        row(octets(gurux_time(JUNE_1)), 1, 1),
        Data::Structure(vec![octets(gurux_time(JUNE_1 + 900)), Data::Unsigned(1)]),
    ]);
    let error = gurux_layout()
        .decode(rows, &DeviceTime::Utc)
        .expect_err("refused");
    assert_eq!(
        error,
        BufferError::Width {
            row: 1,
            expected: 3,
            found: 2
        }
    );
    assert_eq!(
        error.to_string(),
        "entry 1 has 2 values, expected 3 (one per capture object)"
    );
}

#[test]
fn a_buffer_or_entry_of_another_type_is_refused() {
    let layout = gurux_layout();
    assert_eq!(
        layout.decode(Data::Structure(vec![]), &DeviceTime::Utc),
        Err(BufferError::NotArray { found: "structure" })
    );
    assert_eq!(
        layout.decode(Data::Array(vec![Data::Null]), &DeviceTime::Utc),
        Err(BufferError::NotStructure {
            row: 0,
            found: "null-data"
        })
    );
    assert_eq!(
        layout.decode(Data::Array(vec![]), &DeviceTime::Utc),
        Ok(vec![])
    );
}

#[test]
fn a_capture_time_that_cannot_be_placed_in_time_is_refused() {
    let no_hour = DateTime {
        time: fieldbridge_dlms::axdr::Time {
            hour: 0xFF,
            ..gurux_time(JUNE_1).time
        },
        ..gurux_time(JUNE_1)
    };
    for (clock, found) in [
        (octets(no_hour), "2024-06-01T**:00:00.00+00:00 status 0x00"),
        (Data::OctetString(vec![7, 0xE8]), "octet-string of 2 octets"),
        (Data::DoubleLongUnsigned(0), "double-long-unsigned"),
    ] {
        assert_eq!(
            gurux_layout().decode(Data::Array(vec![row(clock, 1, 1)]), &DeviceTime::Utc),
            Err(BufferError::BadCaptureTime {
                row: 0,
                found: found.to_owned()
            })
        );
    }
}

#[test]
fn an_entry_flagged_invalid_or_doubtful_by_its_clock_status_says_so() {
    for (status, doubtful) in [(0x00, false), (0x01, true), (0x02, true), (0x80, false)] {
        let time = DateTime {
            clock_status: ClockStatus(status),
            ..gurux_time(JUNE_1)
        };
        let entries = gurux_layout()
            .decode(Data::Array(vec![row(octets(time), 1, 1)]), &DeviceTime::Utc)
            .expect("entries");
        assert_eq!(
            entries[0].clock_doubtful(),
            doubtful,
            "status {status:#04x}"
        );
    }
}

/// Property: for any buffer of explicit and null capture times (the first explicit), decode
/// keeps every row in order, its values untouched, explicit times as sent and null ones one
/// period after the entry before.
#[test]
fn any_rows_decode_to_entries_that_keep_their_order_values_and_times() {
    let mut rng = Rng::new(18);
    let layout = gurux_layout();
    for case in 0..500 {
        let n = rng.below(40) as usize;
        let mut expected = Vec::new();
        let mut rows = Vec::new();
        let mut t = JUNE_1 + rng.below(1 << 20) as i64;
        for k in 0..n {
            let explicit = k == 0 || rng.below(3) > 0;
            if explicit {
                // Any time, later or earlier: decode keeps the meter's order.
                t = JUNE_1 + rng.below(1 << 24) as i64;
            } else {
                t += 900;
            }
            let (import, export) = (rng.next() as u32, rng.next() as u32);
            let clock = if explicit {
                octets(gurux_time(t))
            } else {
                Data::Null
            };
            rows.push(row(clock, import, export));
            expected.push((at(t), explicit, import, export));
        }
        let entries = layout
            .decode(Data::Array(rows), &DeviceTime::Utc)
            .unwrap_or_else(|e| panic!("case {case}: {e}"));
        let got: Vec<(Timestamp, bool, u32, u32)> = entries
            .iter()
            .map(|e| match e.values[1..] {
                [Data::DoubleLongUnsigned(i), Data::DoubleLongUnsigned(x)] => {
                    (e.capture_time, e.meter_time.is_some(), i, x)
                }
                _ => panic!("case {case}: values changed"),
            })
            .collect();
        assert_eq!(got, expected, "case {case}");
    }
}
