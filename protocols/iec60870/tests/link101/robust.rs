//! No input crashes a link: arbitrary bytes and times fed to each of the three link types,
//! whose every output must still be one well-formed FT1.2 frame.

use crate::common::*;
use fieldbridge_iec60870::ft12::{self, AddressLen, LinkConfig};
use fieldbridge_iec60870::link101::{
    Balanced, Params, Station, Transmit, UnbalancedPrimary, UnbalancedSecondary,
};
use proptest::prelude::*;
use std::time::Instant;

/// A read of the line or a step of the clock.
#[derive(Debug, Clone)]
enum Input {
    Bytes(Vec<u8>),
    /// Frames shaped enough to get past the checksum: a control octet and an address.
    Frame(u8, u16, Vec<u8>),
    Wait(u16),
}

fn input() -> impl Strategy<Value = Input> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(Input::Bytes),
        (
            any::<u8>(),
            0u16..4,
            proptest::collection::vec(any::<u8>(), 0..8)
        )
            .prop_map(|(c, a, d)| Input::Frame(c, a, d)),
        (0u16..3000).prop_map(Input::Wait),
    ]
}

fn check(t: &Transmit, config: &LinkConfig) {
    let bytes = t.as_bytes();
    match ft12::decode(bytes, config) {
        Ok(Some((_, len))) => assert_eq!(len, bytes.len()),
        other => panic!("a bad frame out: {other:?} {bytes:02x?}"),
    }
}

fn frame_bytes(control: u8, address: u16, data: &[u8], config: &LinkConfig) -> Vec<u8> {
    let control = fieldbridge_iec60870::Control::from_octet(control);
    let address = address.min(config.address_len.max_address());
    let frame = if data.is_empty() {
        ft12::Frame::Fixed { control, address }
    } else {
        ft12::Frame::Variable {
            control,
            address,
            asdu: data,
        }
    };
    let mut out = Vec::new();
    frame.encode(config, &mut out).unwrap();
    out
}

proptest! {
    #[test]
    fn arbitrary_input_never_panics_and_every_output_is_a_frame(
        inputs in proptest::collection::vec(input(), 0..60),
        len in prop_oneof![Just(AddressLen::Zero), Just(AddressLen::One), Just(AddressLen::Two)],
    ) {
        let config = LinkConfig::new(len);
        let p0 = Params { link: config, single_char_ack: true, ..Params::default() };
        let mut now = Instant::now();
        let addresses: &[u16] = if len == AddressLen::Zero { &[0] } else { &[1, 2] };
        let mut primary = UnbalancedPrimary::new(p0, addresses, now).unwrap();
        let mut secondary = UnbalancedSecondary::new(p0, addresses[0]).unwrap();
        let (own, other) = if len == AddressLen::Zero { (0, 0) } else { (1, 2) };
        let mut balanced = Balanced::new(p0, Station::A, own, other, now).unwrap();
        primary.send(addresses[0], &ASDU).unwrap();
        balanced.send(&ASDU).unwrap();
        secondary.push_class1(&ASDU).unwrap();
        for input in inputs {
            let bytes = match input {
                Input::Bytes(b) => b,
                Input::Frame(c, a, d) => frame_bytes(c, a, &d, &config),
                Input::Wait(m) => {
                    now += ms(u64::from(m));
                    primary.on_timeout(now, |_| {});
                    balanced.on_timeout(now, |_| {});
                    Vec::new()
                }
            };
            primary.on_bytes(&bytes, now, |_| {});
            secondary.on_bytes(&bytes, |_| {});
            balanced.on_bytes(&bytes, now, |_| {});
            for _ in 0..8 {
                if let Some(t) = primary.poll_transmit(now) { check(&t, &config); }
                if let Some(t) = secondary.poll_transmit() { check(&t, &config); }
                if let Some(t) = balanced.poll_transmit(now) { check(&t, &config); }
            }
            if let Some(at) = primary.poll_timeout() {
                prop_assert!(at <= now + p0.link_retry + p0.response_timeout + p0.poll_interval);
            }
        }
    }
}
