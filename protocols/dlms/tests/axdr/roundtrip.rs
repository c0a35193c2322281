//! proptest round trips over the public strategies (`fieldbridge_dlms::strategy::data`).

use fieldbridge_dlms::axdr::{DataRef, DateTime, Value};
use fieldbridge_dlms::strategy::data::{compact_array, data, specified_date_time};
use fieldbridge_dlms::Error;
use proptest::prelude::*;

proptest! {
    #[test]
    fn any_tree_decodes_to_itself_and_its_length_is_announced(tree in data()) {
        let encoded = tree.to_vec();
        prop_assert_eq!(tree.encoded_len(), encoded.len());
        let view = DataRef::decode_all(&encoded).unwrap();
        prop_assert_eq!(view.as_bytes(), &encoded[..]);
        prop_assert_eq!(view.to_owned(), tree.clone());
        prop_assert_eq!(view.data_type(), tree.data_type());
        prop_assert_eq!(view.to_string(), tree.to_string());
    }

    #[test]
    fn any_tree_cut_short_is_truncated_or_a_bad_length(tree in data(), cut in any::<prop::sample::Index>()) {
        let encoded = tree.to_vec();
        let cut = cut.index(encoded.len());
        let result = DataRef::decode(&encoded[..cut]);
        prop_assert!(
            matches!(result, Err(Error::Truncated { .. } | Error::BadLength { .. })),
            "cut at {}: {:?}", cut, result
        );
    }

    #[test]
    fn compact_array_values_are_the_values_written(case in compact_array()) {
        let (compact, written) = case;
        let encoded = compact.to_vec();
        let view = DataRef::decode_all(&encoded).unwrap();
        let Value::CompactArray(c) = view.value() else {
            panic!("not a compact-array");
        };
        let read: Vec<_> = c.values().unwrap().collect();
        prop_assert_eq!(read, written);
        prop_assert_eq!(view.to_owned(), compact);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        if let Ok((view, len)) = DataRef::decode(&bytes) {
            prop_assert_eq!(view.as_bytes().len(), len);
            let _ = view.to_string();
            let owned = view.to_owned();
            prop_assert_eq!(owned.encoded_len(), owned.to_vec().len());
        }
    }

    #[test]
    fn a_specified_date_time_goes_to_utc_and_back(at in specified_date_time()) {
        let utc = at.to_utc().unwrap();
        prop_assert_eq!(DateTime::from_utc(utc, at.deviation, at.clock_status), Some(at));
        prop_assert_eq!(
            utc.seconds,
            at.date.to_days().unwrap() * 86_400
                + i64::from(at.time.hour) * 3600
                + i64::from(at.time.minute) * 60
                + i64::from(at.time.second)
                + i64::from(at.deviation) * 60
        );
    }
}
