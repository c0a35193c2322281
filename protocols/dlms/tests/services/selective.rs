//! The typed profile generic selectors (range_descriptor, entry_descriptor).

use fieldbridge_dlms::apdu::selective::{
    CaptureObject, EntryDescriptor, OwnedSelectiveAccess, RangeDescriptor, RangeValue,
    SelectiveAccess,
};
use fieldbridge_dlms::axdr::{Data, DataRef, DateTime};
use fieldbridge_dlms::strategy::services as s;
use fieldbridge_dlms::Error;
use proptest::prelude::*;

const CLOCK: CaptureObject = CaptureObject {
    class_id: 8,
    logical_name: [0, 0, 1, 0, 0, 255],
    attribute_index: 2,
    data_index: 0,
};

#[test]
fn a_capture_object_encodes_as_the_blue_book_structure() {
    // u9n/dlms-cosem tests/test_xdlms/test_selective_access.py, test_capture_object_definition.
    let expected = [
        0x02, 0x04, // structure of 4
        0x12, 0x00, 0x08, // class 8 (Clock)
        0x09, 0x06, 0x00, 0x00, 0x01, 0x00, 0x00, 0xFF, // 0.0.1.0.0.255
        0x0F, 0x02, // attribute 2
        0x12, 0x00, 0x00, // data index 0
    ];
    assert_eq!(CLOCK.to_data().to_vec(), expected);
}

#[test]
fn an_entry_descriptor_round_trips_through_its_selection() {
    let entry = EntryDescriptor {
        from_entry: 1,
        to_entry: 0,
        from_selected_value: 1,
        to_selected_value: 0,
    };
    let owned = OwnedSelectiveAccess::entry(&entry);
    assert_eq!(owned.selector, 2);
    let bytes = owned.parameters.to_vec();
    let view = SelectiveAccess {
        selector: 2,
        parameters: DataRef::decode_all(&bytes).unwrap(),
    };
    assert_eq!(view.entry_descriptor().unwrap(), entry);
    assert!(matches!(
        view.range_descriptor(),
        Err(Error::BadValue {
            what: "access-selector",
            found: 2,
            ..
        })
    ));
}

#[test]
fn a_malformed_range_descriptor_points_at_the_bad_element() {
    // structure { structure { long-unsigned 8, octet-string(5) ... } } : logical name too short.
    let data = Data::Structure(vec![
        Data::Structure(vec![
            Data::LongUnsigned(8),
            Data::OctetString(vec![0, 0, 1, 0, 0]),
            Data::Integer(2),
            Data::LongUnsigned(0),
        ]),
        Data::Null,
        Data::Null,
        Data::Array(vec![]),
    ]);
    let bytes = data.to_vec();
    assert_eq!(
        RangeDescriptor::from_data(DataRef::decode_all(&bytes).unwrap()),
        Err(Error::BadValue {
            offset: 7,
            what: "logical_name",
            expected: "octet-string of 6 octets",
            found: 9
        })
    );
}

#[test]
fn a_12_octet_octet_string_reads_back_as_a_date_time_with_the_same_octets() {
    let sent = RangeDescriptor {
        restricting_object: CLOCK,
        from_value: RangeValue::Data(Data::OctetString(vec![7; 12])),
        to_value: RangeValue::Data(Data::OctetString(vec![7; 11])),
        selected_values: vec![],
    };
    let bytes = sent.to_data().to_vec();
    let back = RangeDescriptor::from_data(DataRef::decode_all(&bytes).unwrap()).unwrap();
    assert_eq!(
        back.from_value,
        RangeValue::DateTime(DateTime::from_bytes([7; 12]))
    );
    assert!(back.from_value.same_on_the_wire(&sent.from_value));
    assert_eq!(back.to_value, sent.to_value);
    assert_eq!(back.to_data(), sent.to_data());
}

#[test]
fn asking_for_a_range_descriptor_of_selector_2_names_selector_1() {
    let bytes = Data::Null.to_vec();
    let selection = SelectiveAccess {
        selector: 2,
        parameters: DataRef::decode_all(&bytes).unwrap(),
    };
    assert_eq!(
        selection.range_descriptor(),
        Err(Error::BadValue {
            offset: 0,
            what: "access-selector",
            expected: "1 (range_descriptor)",
            found: 2
        })
    );
}

#[test]
fn asking_for_an_entry_descriptor_of_selector_1_names_selector_2() {
    let bytes = Data::Null.to_vec();
    let selection = SelectiveAccess {
        selector: 1,
        parameters: DataRef::decode_all(&bytes).unwrap(),
    };
    assert_eq!(
        selection.entry_descriptor(),
        Err(Error::BadValue {
            offset: 0,
            what: "access-selector",
            expected: "2 (entry_descriptor)",
            found: 1
        })
    );
}

proptest! {
    #[test]
    fn any_range_descriptor_gives_back_the_same_data(range in s::range_descriptor()) {
        let bytes = range.to_data().to_vec();
        let back = RangeDescriptor::from_data(DataRef::decode_all(&bytes).unwrap()).unwrap();
        prop_assert_eq!(back.to_data(), range.to_data());
        prop_assert!(back.from_value.same_on_the_wire(&range.from_value));
        prop_assert!(back.to_value.same_on_the_wire(&range.to_value));
        prop_assert_eq!(back.restricting_object, range.restricting_object);
        prop_assert_eq!(back.selected_values, range.selected_values);
    }

    #[test]
    fn range_descriptors_round_trip(
        from in any::<[u8; 12]>(),
        to in any::<u32>(),
        columns in proptest::collection::vec((any::<u16>(), any::<[u8; 6]>(), any::<i8>(), any::<u16>()), 0..4),
    ) {
        let range = RangeDescriptor {
            restricting_object: CLOCK,
            from_value: RangeValue::DateTime(DateTime::from_bytes(from)),
            to_value: RangeValue::Data(Data::DoubleLongUnsigned(to)),
            selected_values: columns.into_iter().map(|(c, n, a, d)| CaptureObject::new(c, n, a, d)).collect(),
        };
        let bytes = range.to_data().to_vec();
        prop_assert_eq!(RangeDescriptor::from_data(DataRef::decode_all(&bytes).unwrap()).unwrap(), range);
    }

    #[test]
    fn entry_descriptors_round_trip(a in any::<u32>(), b in any::<u32>(), c in any::<u16>(), d in any::<u16>()) {
        let entry = EntryDescriptor { from_entry: a, to_entry: b, from_selected_value: c, to_selected_value: d };
        let bytes = entry.to_data().to_vec();
        prop_assert_eq!(EntryDescriptor::from_data(DataRef::decode_all(&bytes).unwrap()).unwrap(), entry);
    }
}
