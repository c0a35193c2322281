//! The conformance block: bits by name, wire form, iteration and Display.

use fieldbridge_dlms::apdu::conformance::Conformance;

#[test]
fn the_green_book_conformance_examples_encode_as_published() {
    // u9n/dlms-cosem tests/test_asce/test_conformance.py (the Green Book's examples).
    let ln = Conformance::PRIORITY_MGMT_SUPPORTED
        | Conformance::ATTRIBUTE0_SUPPORTED_WITH_GET
        | Conformance::BLOCK_TRANSFER_WITH_ACTION
        | Conformance::BLOCK_TRANSFER_WITH_GET_OR_READ
        | Conformance::BLOCK_TRANSFER_WITH_SET_OR_WRITE
        | Conformance::MULTIPLE_REFERENCES
        | Conformance::GET
        | Conformance::SET
        | Conformance::SELECTIVE_ACCESS
        | Conformance::EVENT_NOTIFICATION
        | Conformance::ACTION;
    let mut out = Vec::new();
    ln.encode(&mut out);
    assert_eq!(out, [0x5F, 0x1F, 0x04, 0x00, 0x00, 0x7E, 0x1F]);
    assert_eq!(Conformance::decode(&out), Ok(ln));
    assert_eq!(ln.octets(), [0x00, 0x7E, 0x1F]);
    assert_eq!(
        Conformance::from_octets([0x00, 0x50, 0x1F]),
        Conformance::PRIORITY_MGMT_SUPPORTED
            | Conformance::BLOCK_TRANSFER_WITH_GET_OR_READ
            | Conformance::GET
            | Conformance::SET
            | Conformance::SELECTIVE_ACCESS
            | Conformance::EVENT_NOTIFICATION
            | Conformance::ACTION
    );
}

#[test]
fn every_bit_has_its_standard_name_in_order() {
    let names: Vec<_> = Conformance::ALL.names().collect();
    assert_eq!(names.len(), 24);
    assert_eq!(names[0], "reserved-zero");
    assert_eq!(names[1], "general-protection");
    assert_eq!(names[10], "attribute0-supported-with-get");
    assert_eq!(names[23], "action");
    for (i, (name, flag)) in Conformance::ALL.iter().enumerate() {
        assert_eq!(flag.bits(), 1 << (23 - i), "{name}");
        assert_eq!(flag.name(), Some(name));
    }
    assert_eq!(Conformance::EMPTY.name(), None);
    assert_eq!((Conformance::GET | Conformance::SET).name(), None);
}

#[test]
fn display_lists_the_names_of_the_bits_set() {
    assert_eq!(
        (Conformance::GET | Conformance::ACTION | Conformance::GENERAL_PROTECTION).to_string(),
        "general-protection | get | action"
    );
    assert_eq!(Conformance::EMPTY.to_string(), "(none)");
    assert_eq!(
        format!("{:?}", Conformance::GET),
        "Conformance(0x000010: get)"
    );
}

#[test]
fn set_operations_behave_like_bitflags() {
    let proposed = Conformance::from_octets([0x00, 0x7E, 0x1F]);
    let granted = proposed & Conformance::from_octets([0x00, 0x50, 0x1F]);
    assert!(granted.contains(Conformance::GET));
    assert!(!granted.contains(Conformance::MULTIPLE_REFERENCES));
    assert!(proposed.intersects(Conformance::MULTIPLE_REFERENCES));
    let mut c = Conformance::EMPTY;
    c.insert(Conformance::READ);
    c |= Conformance::WRITE;
    c.remove(Conformance::READ);
    assert_eq!(c, Conformance::WRITE);
    assert_eq!(!Conformance::EMPTY, Conformance::ALL);
    assert_eq!(Conformance::ALL - Conformance::ALL, Conformance::EMPTY);
    assert_eq!(Conformance::from_bits(0x0100_0000), None);
    assert_eq!(
        Conformance::from_bits_truncate(0x0100_0001),
        Conformance::ACTION
    );
    assert!(Conformance::LN.contains(Conformance::GET));
    assert!(!Conformance::LN.intersects(Conformance::READ | Conformance::WRITE));
    assert!(Conformance::SN.contains(Conformance::READ | Conformance::WRITE));
    assert!(!Conformance::SN.intersects(Conformance::GET));
}
