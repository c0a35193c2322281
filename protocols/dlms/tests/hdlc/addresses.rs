//! HDLC addresses: the forms, the reserved values and the limits.

use fieldbridge_dlms::hdlc::address::{self, Address};
use fieldbridge_dlms::Error;

fn wire(a: Address) -> Vec<u8> {
    let mut out = Vec::new();
    a.encode(&mut out);
    out
}

#[test]
fn addresses_of_dlms_cosem_encode_as_its_tests_say() {
    // u9n/dlms-cosem tests/test_hdlc: client 1 -> 03, client 16 -> 21, server 0b1001010 -> 95,
    // client 0b0100101 -> 4B, server 1/17 -> 02 23.
    assert_eq!(wire(Address::client(1).unwrap()), [0x03]);
    assert_eq!(wire(Address::client(16).unwrap()), [0x21]);
    assert_eq!(wire(Address::server(0b1001010, None).unwrap()), [0x95]);
    assert_eq!(wire(Address::client(0b0100101).unwrap()), [0x4B]);
    assert_eq!(wire(Address::server(1, Some(17)).unwrap()), [0x02, 0x23]);
}

#[test]
fn a_four_octet_address_holds_fourteen_bits_per_part_high_first() {
    // upper 0x3FFF: FE FE | lower 0x0123 = 0b10_0100011: 04 47
    let a = Address::four(0x3FFF, 0x0123).unwrap();
    assert_eq!(wire(a), [0xFE, 0xFE, 0x04, 0x47]);
    assert_eq!(
        Address::decode(&[0xFE, 0xFE, 0x04, 0x47], 0, "test"),
        Ok(Some((a, 4)))
    );
    assert_eq!(
        Address::server(0x80, Some(1)).unwrap(),
        Address::four(0x80, 1).unwrap()
    );
}

#[test]
fn reserved_addresses_are_named() {
    assert_eq!(wire(Address::PUBLIC_CLIENT), [0x21]);
    assert_eq!(wire(Address::MANAGEMENT_CLIENT), [0x03]);
    assert_eq!(wire(Address::ALL_STATION), [0xFF]);
    assert_eq!(wire(Address::NO_STATION), [0x01]);
    assert!(Address::ALL_STATION.is_all_station());
    assert!(
        Address::four(address::ALL_STATION_4, address::ALL_STATION_4)
            .unwrap()
            .is_all_station()
    );
    assert!(!Address::two(1, 0x7F).unwrap().is_all_station());
    assert_eq!(address::CLIENT_PUBLIC, 0x10);
    assert_eq!(address::MANAGEMENT_LOGICAL_DEVICE, 1);
    assert_eq!(address::CALLING_PHYSICAL, 0x7E);
}

#[test]
fn an_address_ending_on_its_third_octet_is_refused() {
    assert_eq!(
        Address::decode(&[0x02, 0x04, 0x07], 3, "HDLC destination address"),
        Err(Error::BadByte {
            offset: 5,
            what: "HDLC destination address",
            expected: "an address of 1, 2 or 4 octets",
            found: 0x07
        })
    );
}

#[test]
fn an_address_not_ending_within_four_octets_is_refused() {
    assert_eq!(
        Address::decode(&[0x02, 0x04, 0x06, 0x08, 0x01], 3, "HDLC source address"),
        Err(Error::BadByte {
            offset: 6,
            what: "HDLC source address",
            expected: "the low bit set on the 1st, 2nd or 4th octet",
            found: 0x08
        })
    );
}

#[test]
fn an_address_cut_short_needs_more_bytes() {
    assert_eq!(Address::decode(&[0x02, 0x04], 0, "test"), Ok(None));
}

#[test]
fn values_that_do_not_fit_their_form_are_refused() {
    assert_eq!(
        Address::one(0x80),
        Err(Error::BadValue {
            offset: 0,
            what: "HDLC one-octet address",
            expected: "0..=0x7F",
            found: 0x80
        })
    );
    assert!(matches!(
        Address::two(1, 0x80),
        Err(Error::BadValue {
            what: "HDLC lower address",
            ..
        })
    ));
    assert!(matches!(
        Address::four(0x4000, 1),
        Err(Error::BadValue {
            what: "HDLC upper address",
            found: 0x4000,
            ..
        })
    ));
    assert!(Address::server(0x80, None).is_err());
}
