use super::GET_CLOCK;
use fieldbridge_dlms::wrapper::{self, OwnedWrapperPdu, StreamSplitter};
use fieldbridge_dlms::Error;

#[test]
fn a_wrong_version_is_refused_from_its_first_octet() {
    assert_eq!(
        wrapper::decode(&[0x01]),
        Err(Error::BadByte {
            offset: 0,
            what: "wrapper version",
            expected: "0x0001",
            found: 0x01
        })
    );
    let mut bytes = GET_CLOCK;
    bytes[1] = 0x02;
    assert_eq!(
        wrapper::decode(&bytes),
        Err(Error::BadByte {
            offset: 1,
            what: "wrapper version",
            expected: "0x0001",
            found: 0x02
        })
    );
}

#[test]
fn a_declared_length_over_the_maximum_is_refused_before_the_apdu_arrives() {
    // version 1, wPorts 0x10 -> 0x01, length 0xFFFF, and no APDU yet.
    let header = [0x00, 0x01, 0x00, 0x10, 0x00, 0x01, 0xFF, 0xFF];
    assert_eq!(
        wrapper::decode_with_max(&header, 2048),
        Err(Error::BadLength {
            offset: 6,
            what: "wrapper length",
            min: 1,
            max: 2048,
            found: 0xFFFF
        })
    );
    // Without a maximum the same header just waits for its 64 KiB.
    assert_eq!(wrapper::decode(&header), Ok(None));
}

#[test]
fn a_length_of_zero_is_refused() {
    let header = [0x00, 0x01, 0x00, 0x10, 0x00, 0x01, 0x00, 0x00];
    assert_eq!(
        wrapper::decode(&header),
        Err(Error::BadLength {
            offset: 6,
            what: "wrapper length",
            min: 1,
            max: 65_535,
            found: 0
        })
    );
}

#[test]
fn a_length_one_over_the_maximum_is_refused() {
    assert_eq!(
        wrapper::decode_with_max(&GET_CLOCK, 12),
        Err(Error::BadLength {
            offset: 6,
            what: "wrapper length",
            min: 1,
            max: 12,
            found: 13
        })
    );
}

#[test]
fn the_splitter_reports_errors_at_their_stream_offset_and_keeps_failing() {
    let mut splitter = StreamSplitter::new(12);
    let mut bytes = GET_CLOCK.to_vec();
    bytes[7] = 0x0C; // a 12-octet APDU: the first PDU is 20 bytes long
    bytes.pop();
    bytes.extend_from_slice(&GET_CLOCK); // the second one declares 13, one over the maximum
    splitter.push(&bytes);
    assert!(splitter.next_pdu().unwrap().is_some());
    let error = Error::BadLength {
        offset: 20 + 6,
        what: "wrapper length",
        min: 1,
        max: 12,
        found: 13,
    };
    assert_eq!(splitter.next_pdu(), Err(error.clone()));
    splitter.push(&GET_CLOCK);
    assert_eq!(splitter.next_pdu(), Err(error));
}

#[test]
fn an_empty_or_oversized_apdu_cannot_be_encoded() {
    let mut out = vec![0xAA];
    let empty = OwnedWrapperPdu::new(1, 1, Vec::new());
    assert_eq!(
        empty.encode(&mut out),
        Err(Error::BadLength {
            offset: 7,
            what: "wrapper length",
            min: 1,
            max: 65_535,
            found: 0
        })
    );
    let huge = OwnedWrapperPdu::new(1, 1, vec![0; 65_536]);
    assert!(matches!(
        huge.encode(&mut out),
        Err(Error::BadLength { found: 65_536, .. })
    ));
    assert_eq!(out, [0xAA], "nothing written on error");
}
