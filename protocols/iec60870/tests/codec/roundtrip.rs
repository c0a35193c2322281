//! proptest round trips: `decode(encode(x)) == x` for every frame kind and time tag, byte-exact
//! re-encoding of whatever decodes, and no panic on any input. Frames come from the crate's
//! public strategies (`fieldbridge_iec60870::strategy`).

use fieldbridge_iec60870::apci::{self, Apci, StreamSplitter};
use fieldbridge_iec60870::asdu::{Asdu, OwnedAsdu};
use fieldbridge_iec60870::ft12;
use fieldbridge_iec60870::strategy::{self, OwnedFrame};
use fieldbridge_iec60870::{CivilDateTime, Cp16Time2a, Cp24Time2a, Cp56Time2a};
use proptest::prelude::*;

proptest! {
    #[test]
    fn every_apdu_kind_round_trips(owned in strategy::apdu()) {
        let apdu = owned.as_apdu();
        prop_assert_eq!(apdu.asdu.is_empty(), !matches!(apdu.apci, Apci::I { .. }));
        let mut wire = Vec::new();
        apdu.encode(&mut wire).unwrap();
        prop_assert_eq!(wire.len(), apdu.encoded_len());
        prop_assert_eq!(apci::decode(&wire), Ok(Some((apdu, wire.len()))));
    }

    #[test]
    fn any_control_field_that_decodes_re_encodes_to_the_same_octets(
        control in any::<[u8; 4]>(),
        length in 4u8..=253,
    ) {
        if let Ok(apci) = Apci::decode_control(control, length) {
            prop_assert_eq!(apci.encode_control(), control);
        }
    }

    #[test]
    fn any_apdu_that_decodes_re_encodes_to_the_same_bytes(
        bytes in prop::collection::vec(any::<u8>(), 0..300),
    ) {
        if let Ok(Some((apdu, len))) = apci::decode(&bytes) {
            let mut wire = Vec::new();
            apdu.encode(&mut wire).unwrap();
            prop_assert_eq!(&wire[..], &bytes[..len]);
        }
    }

    #[test]
    fn the_splitter_never_panics_and_never_loses_a_byte(
        reads in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 0..10),
    ) {
        let mut splitter = StreamSplitter::new();
        let mut taken = 0;
        let mut pushed = 0;
        'reads: for read in &reads {
            splitter.push(read);
            pushed += read.len();
            loop {
                match splitter.next_apdu() {
                    Ok(Some(apdu)) => taken += apdu.encoded_len(),
                    Ok(None) => break,
                    Err(_) => break 'reads,
                }
            }
            prop_assert_eq!(taken + splitter.buffered(), pushed);
        }
    }

    #[test]
    fn i_frames_carrying_an_asdu_of_every_configuration_round_trip(
        (config, (owned, asdu)) in strategy::asdu_config()
            .prop_flat_map(|c| (Just(c), strategy::apdu_with_asdu(c))),
    ) {
        let mut wire = Vec::new();
        owned.encode(&mut wire).unwrap();
        let (apdu, _) = apci::decode(&wire).unwrap().unwrap();
        prop_assert_eq!(apdu, owned.as_apdu());
        if let Some(asdu) = asdu {
            prop_assert_eq!(OwnedAsdu::decode(apdu.asdu, &config).unwrap(), asdu);
        }
    }

    #[test]
    fn ft12_frames_carrying_an_asdu_of_every_configuration_round_trip(
        (link, config, (owned, asdu)) in (strategy::link_config(), strategy::asdu_config())
            .prop_flat_map(|(l, c)| (Just(l), Just(c), strategy::ft12_frame_with_asdu(l, c))),
    ) {
        let mut wire = Vec::new();
        owned.encode(&link, &mut wire).unwrap();
        let Some((ft12::Frame::Variable { asdu: user_data, .. }, len)) =
            ft12::decode(&wire, &link).unwrap()
        else {
            panic!("{owned:?}");
        };
        prop_assert_eq!(len, wire.len());
        let view = Asdu::decode(user_data, &config).unwrap();
        prop_assert_eq!(OwnedAsdu::from(&view), asdu);
    }

    #[test]
    fn every_ft12_frame_kind_round_trips(
        (config, owned) in strategy::link_config()
            .prop_flat_map(|c| (Just(c), strategy::ft12_frame(c))),
    ) {
        let frame = owned.as_frame();
        if let OwnedFrame::Variable { asdu, .. } = &owned {
            prop_assert!(asdu.len() <= 254 - config.address_len.octets());
        }
        let mut wire = Vec::new();
        frame.encode(&config, &mut wire).unwrap();
        prop_assert_eq!(wire.len(), frame.encoded_len(&config));
        prop_assert_eq!(ft12::decode(&wire, &config), Ok(Some((frame, wire.len()))));
    }

    #[test]
    fn hunting_any_input_never_panics_and_finds_a_frame_decode_agrees_with(
        config in strategy::link_config(),
        bytes in prop::collection::vec(any::<u8>(), 0..300),
    ) {
        let hunt = ft12::decode_hunting(&bytes, &config);
        prop_assert!(hunt.consumed() <= bytes.len());
        if let Some((frame, len)) = hunt.frame {
            let rest = &bytes[hunt.discarded..];
            prop_assert_eq!(ft12::decode(rest, &config), Ok(Some((frame, len))));
            let mut wire = Vec::new();
            frame.encode(&config, &mut wire).unwrap();
            prop_assert_eq!(&wire[..], &rest[..len]);
        }
        prop_assert_eq!(hunt.first_error.is_some(), hunt.discarded > 0);
    }

    #[test]
    fn every_cp56time2a_byte_pattern_re_encodes_to_itself(bytes in any::<[u8; 7]>()) {
        let tag = Cp56Time2a::from_bytes(bytes);
        prop_assert_eq!(tag.to_bytes(), Ok(bytes));
        prop_assert_eq!(Cp56Time2a::decode(&bytes), Ok(tag));
    }

    #[test]
    fn every_cp24time2a_and_cp16time2a_byte_pattern_re_encodes_to_itself(
        bytes in any::<[u8; 3]>(),
    ) {
        let tag = Cp24Time2a::from_bytes(bytes);
        prop_assert_eq!(tag.to_bytes(), Ok(bytes));
        let [a, b, _] = bytes;
        prop_assert_eq!(Cp16Time2a::from_bytes([a, b]).to_bytes(), [a, b]);
    }

    #[test]
    fn cp56time2a_fields_round_trip(
        millisecond in any::<u16>(), minute in 0u8..64, res1: bool, invalid: bool,
        hour in 0u8..32, res2 in 0u8..4, summer_time: bool, day in 0u8..32,
        day_of_week in 0u8..8, month in 0u8..16, res3 in 0u8..16, year in 0u8..128, res4: bool,
    ) {
        let tag = Cp56Time2a {
            millisecond, minute, res1, invalid, hour, res2, summer_time, day, day_of_week,
            month, res3, year, res4,
        };
        let mut wire = Vec::new();
        tag.encode(&mut wire).unwrap();
        prop_assert_eq!(Cp56Time2a::decode(&wire), Ok(tag));
    }

    #[test]
    fn cp24time2a_fields_round_trip(
        millisecond in any::<u16>(), minute in 0u8..64, res1: bool, invalid: bool,
    ) {
        let tag = Cp24Time2a { millisecond, minute, res1, invalid };
        let mut wire = Vec::new();
        tag.encode(&mut wire).unwrap();
        prop_assert_eq!(Cp24Time2a::decode(&wire), Ok(tag));
    }

    #[test]
    fn civil_date_times_round_trip_through_cp56time2a(
        year in 2000u16..=2099, month in 1u8..=12, day in 1u8..=28, hour in 0u8..24,
        minute in 0u8..60, second in 0u8..60, millisecond in 0u16..1000,
    ) {
        let civil = CivilDateTime { year, month, day, hour, minute, second, millisecond };
        let tag = Cp56Time2a::from_civil(&civil).unwrap();
        prop_assert!((1..=7).contains(&tag.day_of_week));
        prop_assert!(!tag.invalid && !tag.summer_time);
        prop_assert_eq!(tag.to_civil(), Ok(civil));
    }
}
