use super::{CLOCK_RESPONSE, GET_CLOCK};
use fieldbridge_dlms::wrapper::{self, wport, OwnedWrapperPdu, WrapperPdu, HEADER_LEN};

#[test]
fn a_get_request_decodes_into_its_wports_and_apdu() {
    let (pdu, len) = wrapper::decode(&GET_CLOCK).unwrap().unwrap();
    assert_eq!(len, GET_CLOCK.len());
    assert_eq!(pdu.source, wport::PUBLIC_CLIENT);
    assert_eq!(pdu.destination, wport::MANAGEMENT_LOGICAL_DEVICE);
    assert_eq!(pdu.apdu, &GET_CLOCK[HEADER_LEN..]);
}

#[test]
fn the_vectors_encode_to_the_same_bytes() {
    for vector in [&GET_CLOCK[..], &CLOCK_RESPONSE[..]] {
        let (pdu, _) = wrapper::decode(vector).unwrap().unwrap();
        let mut out = Vec::new();
        pdu.encode(&mut out).unwrap();
        assert_eq!(out, vector);
        assert_eq!(pdu.encoded_len(), vector.len());
        let owned = pdu.to_owned();
        let mut out = Vec::new();
        owned.encode(&mut out).unwrap();
        assert_eq!(out, vector);
        assert_eq!(owned.encoded_len(), vector.len());
        assert_eq!(owned.as_view(), pdu);
    }
}

#[test]
fn bytes_after_a_pdu_are_left_for_the_next() {
    let mut two = GET_CLOCK.to_vec();
    two.extend_from_slice(&CLOCK_RESPONSE);
    let (first, len) = wrapper::decode(&two).unwrap().unwrap();
    assert_eq!(len, GET_CLOCK.len());
    assert_eq!(first.source, 0x10);
    let (second, len2) = wrapper::decode(&two[len..]).unwrap().unwrap();
    assert_eq!(len2, CLOCK_RESPONSE.len());
    assert_eq!(second.destination, 0x10);
}

#[test]
fn the_header_alone_can_be_written_before_the_apdu() {
    let apdu = &GET_CLOCK[HEADER_LEN..];
    let mut out = Vec::new();
    wrapper::encode_header(0x10, 0x01, apdu.len(), &mut out).unwrap();
    out.extend_from_slice(apdu);
    assert_eq!(out, GET_CLOCK);
}

#[test]
fn the_largest_apdu_round_trips() {
    let pdu = OwnedWrapperPdu::new(1, 2, vec![0xA5; wrapper::MAX_APDU_LEN]);
    let mut out = Vec::new();
    pdu.encode(&mut out).unwrap();
    assert_eq!(&out[..HEADER_LEN], &[0, 1, 0, 1, 0, 2, 0xFF, 0xFF]);
    let (view, len) = wrapper::decode(&out).unwrap().unwrap();
    assert_eq!(len, out.len());
    assert_eq!(OwnedWrapperPdu::from(view), pdu);
}

#[test]
fn a_pdu_exactly_at_the_maximum_is_accepted() {
    let (pdu, _) = wrapper::decode_with_max(&GET_CLOCK, 13).unwrap().unwrap();
    assert_eq!(pdu.apdu.len(), 13);
}

proptest::proptest! {
    #[test]
    fn any_pdu_round_trips(pdu in wrapper::strategy::wrapper_pdu(300)) {
        let mut out = Vec::new();
        pdu.encode(&mut out).unwrap();
        proptest::prop_assert_eq!(out.len(), pdu.encoded_len());
        let (view, len) = wrapper::decode(&out).unwrap().unwrap();
        proptest::prop_assert_eq!(len, out.len());
        proptest::prop_assert_eq!(view, pdu.as_view());
    }

    #[test]
    fn any_input_decodes_or_fails_without_panicking(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40)) {
        if let Ok(Some((pdu, len))) = wrapper::decode(&bytes) {
            let pdu: WrapperPdu<'_> = pdu;
            proptest::prop_assert_eq!(len, HEADER_LEN + pdu.apdu.len());
        }
    }
}
