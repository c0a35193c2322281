//! The largest legal frames, and one octet more.

use crate::common::{ONE, TWO, ZERO};
use fieldbridge_iec60870::apci::{self, Apdu, SeqNo, StreamSplitter, MAX_APDU_LEN, MAX_ASDU_LEN};
use fieldbridge_iec60870::ft12::{self, Control, Frame, LinkConfig, MAX_FRAME_LEN};
use fieldbridge_iec60870::{Cp56Time2a, Error, SecondaryFunction};

#[test]
fn an_apdu_of_length_253_decodes_and_254_is_refused() {
    let asdu = [0xA5; MAX_ASDU_LEN];
    let apdu = Apdu::i(SeqNo::MAX, SeqNo::MAX, &asdu);
    let mut wire = Vec::new();
    apdu.encode(&mut wire).unwrap();
    assert_eq!(wire.len(), MAX_APDU_LEN);
    assert_eq!(wire[1], 253);
    assert_eq!(apci::decode(&wire), Ok(Some((apdu, 255))));

    wire[1] = 254;
    wire.push(0xA5);
    assert_eq!(
        apci::decode(&wire),
        Err(Error::BadApduLength {
            offset: 1,
            min: 4,
            max: 253,
            found: 254
        })
    );
}

#[test]
fn the_smallest_i_frame_carries_one_asdu_octet() {
    let wire = [0x68, 0x05, 0x02, 0x00, 0x04, 0x00, 0x64];
    let (apdu, len) = apci::decode(&wire).unwrap().unwrap();
    assert_eq!(len, 7);
    assert_eq!(
        apdu,
        Apdu::i(SeqNo::wrapping(1), SeqNo::wrapping(2), &[0x64])
    );
}

#[test]
fn the_splitter_holds_largest_apdus_back_to_back() {
    let asdu = [0x5A; MAX_ASDU_LEN];
    let mut wire = Vec::new();
    for n in 0..4 {
        Apdu::i(SeqNo::wrapping(n), SeqNo::ZERO, &asdu)
            .encode(&mut wire)
            .unwrap();
    }
    let mut splitter = StreamSplitter::with_capacity(64);
    let mut count = 0;
    for read in wire.chunks(100) {
        splitter.push(read);
        while let Some(apdu) = splitter.next_apdu().unwrap() {
            assert_eq!(apdu.asdu.len(), MAX_ASDU_LEN);
            count += 1;
        }
    }
    assert_eq!(count, 4);
}

/// The largest variable frame with `config`: L = 255.
fn largest(config: &LinkConfig) -> Vec<u8> {
    let asdu = vec![0xC3; 255 - 1 - config.address_len.octets()];
    let frame = Frame::Variable {
        control: Control::secondary(SecondaryFunction::USER_DATA, false, false),
        address: 0,
        asdu: &asdu,
    };
    let mut wire = Vec::new();
    frame.encode(config, &mut wire).unwrap();
    wire
}

#[test]
fn an_ft12_frame_with_l_255_decodes_with_every_address_length() {
    for config in [ZERO, ONE, TWO] {
        let wire = largest(&config);
        assert_eq!(wire.len(), MAX_FRAME_LEN);
        assert_eq!((wire[1], wire[2]), (255, 255));
        let (frame, len) = ft12::decode(&wire, &config).unwrap().unwrap();
        assert_eq!(len, MAX_FRAME_LEN);
        let Frame::Variable { asdu, .. } = frame else {
            panic!("variable frame expected");
        };
        assert_eq!(asdu.len(), 255 - 1 - config.address_len.octets());
    }
}

#[test]
fn an_ft12_frame_with_l_of_control_and_address_only_decodes() {
    // 68 02 02 68 | 08 01 | 09 | 16: no user data
    let wire = [0x68, 0x02, 0x02, 0x68, 0x08, 0x01, 0x09, 0x16];
    let (frame, len) = ft12::decode(&wire, &ONE).unwrap().unwrap();
    assert_eq!(len, 8);
    assert!(matches!(frame, Frame::Variable { asdu: [], .. }));
}

#[test]
fn two_octet_addresses_reach_65535_and_one_octet_addresses_255() {
    for (config, address) in [(TWO, 0xFFFF), (ONE, 0xFF)] {
        let frame = Frame::Fixed {
            control: Control::secondary(SecondaryFunction::ACK, false, false),
            address,
        };
        let mut wire = Vec::new();
        frame.encode(&config, &mut wire).unwrap();
        assert_eq!(ft12::decode(&wire, &config), Ok(Some((frame, wire.len()))));
    }
}

#[test]
fn time_ranges_end_at_59999_ms_59_minutes_23_hours_31_days_12_months() {
    let last = Cp56Time2a {
        millisecond: 59_999,
        minute: 59,
        hour: 23,
        day: 31,
        month: 12,
        year: 99,
        ..Cp56Time2a::default()
    };
    assert!(last.in_range());
    let civil = last.to_civil().unwrap();
    assert_eq!(
        (civil.year, civil.second, civil.millisecond),
        (2099, 59, 999)
    );
    for over in [
        Cp56Time2a {
            millisecond: 60_000,
            ..last
        },
        Cp56Time2a { minute: 60, ..last },
        Cp56Time2a { hour: 24, ..last },
        Cp56Time2a { day: 0, ..last },
        Cp56Time2a { month: 0, ..last },
        Cp56Time2a { month: 13, ..last },
        Cp56Time2a { year: 100, ..last },
    ] {
        assert!(!over.in_range(), "{over:?}");
        assert!(over.to_civil().is_err(), "{over:?}");
        // Out of range is still representable, so a test harness can send it.
        assert_eq!(
            Cp56Time2a::from_bytes(over.to_bytes().unwrap()),
            over,
            "{over:?}"
        );
    }
    // A day of 32 does not fit its five bits.
    assert!(Cp56Time2a { day: 32, ..last }.to_bytes().is_err());
}
