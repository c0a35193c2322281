//! `DataRef::events`: the single-pass walk, against the element-by-element `Items` walk.

use fieldbridge_dlms::axdr::{DataRef, Event, Limits, Value};
use fieldbridge_dlms::strategy::data::data;
use proptest::prelude::*;

/// The events of `data` as the recursive `Items` walk finds them.
fn events_by_items<'a>(data: DataRef<'a>, out: &mut Vec<Event<'a>>) {
    match data.value() {
        Value::Array(items) => {
            out.push(Event::Array(items.len()));
            items.for_each(|item| events_by_items(item, out));
            out.push(Event::End);
        }
        Value::Structure(items) => {
            out.push(Event::Structure(items.len()));
            items.for_each(|item| events_by_items(item, out));
            out.push(Event::End);
        }
        value => out.push(Event::Value(value)),
    }
}

#[test]
fn a_structure_holding_a_string_and_an_empty_array_gives_its_events_in_document_order() {
    let input = [
        0x02, 0x02, // structure of 2
        0x09, 0x06, 0x01, 0x00, 0x01, 0x08, 0x00, 0xFF, // octet-string(6): OBIS 1.0.1.8.0.255
        0x01, 0x00, // array of 0
    ];
    let data = DataRef::decode_all(&input).unwrap();
    let events: Vec<_> = data.events().collect();
    assert_eq!(
        events,
        [
            Event::Structure(2),
            Event::Value(Value::OctetString(&[1, 0, 1, 8, 0, 255])),
            Event::Array(0),
            Event::End,
            Event::End,
        ]
    );
}

#[test]
fn a_single_value_is_one_event_and_the_walk_then_stays_ended() {
    let input = [0x06, 0x00, 0xBC, 0x61, 0x4E]; // double-long-unsigned 12345678
    let data = DataRef::decode_all(&input).unwrap();
    let mut events = data.events();
    assert_eq!(
        events.next(),
        Some(Event::Value(Value::DoubleLongUnsigned(12_345_678)))
    );
    assert!(events.is_done());
    assert_eq!(events.next(), None);
    assert_eq!(events.next(), None);
}

#[test]
fn a_tree_nested_as_deep_as_the_ceiling_allows_is_walked_to_the_end() {
    // 64 arrays of one element around a null: the deepest tree any limit accepts.
    let mut input = [0x01, 0x01].repeat(64);
    input.push(0x00);
    let (data, len) = DataRef::decode_with(&input, 0, Limits { max_depth: 64 }).unwrap();
    assert_eq!(len, input.len());
    let mut events = data.events();
    for depth in 0..64 {
        assert_eq!(events.depth(), depth);
        assert_eq!(events.next(), Some(Event::Array(1)));
    }
    assert_eq!(events.next(), Some(Event::Value(Value::Null)));
    assert_eq!(events.depth(), 64);
    assert_eq!(events.by_ref().filter(|e| *e == Event::End).count(), 64);
    assert!(events.is_done());
}

#[test]
fn a_compact_array_is_one_value_with_its_description_and_contents() {
    let input = [
        0x01, 0x01, // array of 1
        0x13, // compact-array
        0x02, 0x02, 0x12, 0x06, // description: structure{long-unsigned, double-long-unsigned}
        0x06, // contents length 6
        0x00, 0x2A, 0x00, 0x00, 0x04, 0xD2, // 42, 1234
    ];
    let data = DataRef::decode_all(&input).unwrap();
    let events: Vec<_> = data.events().collect();
    let [Event::Array(1), Event::Value(Value::CompactArray(c)), Event::End] = events.as_slice()
    else {
        panic!("{events:?}");
    };
    assert_eq!(c.description_bytes(), &[0x02, 0x02, 0x12, 0x06]);
    assert_eq!(c.contents(), &input[8..]);
}

proptest! {
    #[test]
    fn events_are_the_recursive_items_walk(tree in data()) {
        let encoded = tree.to_vec();
        let view = DataRef::decode_all(&encoded).unwrap();
        let mut expected = Vec::new();
        events_by_items(view, &mut expected);
        let events: Vec<_> = view.events().collect();
        prop_assert_eq!(events, expected);
    }

    #[test]
    fn events_of_any_element_that_decodes_are_balanced(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        if let Ok((view, _)) = DataRef::decode(&bytes) {
            let mut expected = Vec::new();
            events_by_items(view, &mut expected);
            let mut events = view.events();
            let mut open = 0usize;
            let mut count = 0usize;
            for event in events.by_ref() {
                match event {
                    Event::Array(_) | Event::Structure(_) => open += 1,
                    Event::End => open -= 1,
                    Event::Value(_) => {}
                }
                count += 1;
            }
            prop_assert_eq!(open, 0);
            prop_assert_eq!(count, expected.len());
            prop_assert!(events.is_done());
        }
    }
}
