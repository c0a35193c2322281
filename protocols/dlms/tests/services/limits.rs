//! Every APDU that carries Data reads it with the limits given to `Apdu::decode_with`, whatever
//! the APDU kind: a table of every Data-carrying position, so that a decoder forgetting the
//! caller's limits cannot come back unnoticed.

use fieldbridge_dlms::apdu::Apdu;
use fieldbridge_dlms::axdr::Limits;
use fieldbridge_dlms::Error;

/// A class-id 7, instance 1.0.99.1.0.255, attribute or method 2 descriptor.
const DESCRIPTOR: [u8; 9] = [0x00, 0x07, 0x01, 0x00, 0x63, 0x01, 0x00, 0xFF, 0x02];

/// Every Data-carrying place in an APDU: a name, the octets before the Data and after it.
fn places() -> Vec<(&'static str, Vec<u8>, Vec<u8>)> {
    let with = |head: &[u8], tail: &[u8]| -> (Vec<u8>, Vec<u8>) { (head.to_vec(), tail.to_vec()) };
    let desc = |head: &[u8], mid: &[u8]| -> Vec<u8> {
        let mut v = head.to_vec();
        v.extend_from_slice(&DESCRIPTOR);
        v.extend_from_slice(mid);
        v
    };
    let rows = vec![
        // get-request-normal, invoke C1, descriptor, access-selection present, selector 1
        (
            "get-request-normal access-parameters",
            with(&desc(&[0xC0, 0x01, 0xC1], &[0x01, 0x01]), &[]),
        ),
        // get-request-with-list, 1 attribute, descriptor, access-selection, selector 1
        (
            "get-request-with-list access-parameters",
            with(&desc(&[0xC0, 0x03, 0xC1, 0x01], &[0x01, 0x01]), &[]),
        ),
        // get-response-normal, invoke C1, result: data
        (
            "get-response-normal data",
            with(&[0xC4, 0x01, 0xC1, 0x00], &[]),
        ),
        // get-response-with-list, 1 result: data
        (
            "get-response-with-list data",
            with(&[0xC4, 0x03, 0xC1, 0x01, 0x00], &[]),
        ),
        // set-request-normal, descriptor, no access-selection, value
        (
            "set-request-normal value",
            with(&desc(&[0xC1, 0x01, 0xC1], &[0x00]), &[]),
        ),
        // set-request-normal, access-selection selector 1, parameters, then value null-data
        (
            "set-request-normal access-parameters",
            with(&desc(&[0xC1, 0x01, 0xC1], &[0x01, 0x01]), &[0x00]),
        ),
        // set-request-with-first-datablock, selector 1, parameters, then block: last, 1, empty
        (
            "set-request-with-first-datablock access-parameters",
            with(
                &desc(&[0xC1, 0x02, 0xC1], &[0x01, 0x01]),
                &[0x01, 0x00, 0x00, 0x00, 0x01, 0x00],
            ),
        ),
        // set-request-with-list, 1 attribute without selection, 1 value
        (
            "set-request-with-list value",
            with(&desc(&[0xC1, 0x04, 0xC1, 0x01], &[0x00, 0x01]), &[]),
        ),
        // action-request-normal, method descriptor, parameters present
        (
            "action-request-normal parameters",
            with(&desc(&[0xC3, 0x01, 0xC1], &[0x01]), &[]),
        ),
        // action-request-with-list, 1 method, 1 parameter
        (
            "action-request-with-list parameters",
            with(&desc(&[0xC3, 0x03, 0xC1, 0x01], &[0x01]), &[]),
        ),
        // action-response-normal, success, return-parameters present, data
        (
            "action-response-normal return data",
            with(&[0xC7, 0x01, 0xC1, 0x00, 0x01, 0x00], &[]),
        ),
        // action-response-with-list, 1 response: success, present, data
        (
            "action-response-with-list return data",
            with(&[0xC7, 0x03, 0xC1, 0x01, 0x00, 0x01, 0x00], &[]),
        ),
        // data-notification, long-invoke-id 1, no date-time, body
        (
            "data-notification body",
            with(&[0x0F, 0x00, 0x00, 0x00, 0x01, 0x00], &[]),
        ),
        // event-notification-request, no time, descriptor, value
        (
            "event-notification-request value",
            with(&desc(&[0xC2, 0x00], &[]), &[]),
        ),
        // readRequest, 1 variable: parameterized-access, name 0x0008, selector 1, parameter
        (
            "readRequest parameter",
            with(&[0x05, 0x01, 0x04, 0x00, 0x08, 0x01], &[]),
        ),
        // readResponse, 1 result: data
        ("readResponse data", with(&[0x0C, 0x01, 0x00], &[])),
        // writeRequest, 1 variable-name 0x0008, 1 data
        (
            "writeRequest data",
            with(&[0x06, 0x01, 0x02, 0x00, 0x08, 0x01], &[]),
        ),
        // writeRequest, 1 parameterized-access (parameter), then 1 data null-data
        (
            "writeRequest parameter",
            with(&[0x06, 0x01, 0x04, 0x00, 0x08, 0x01], &[0x01, 0x00]),
        ),
        // unconfirmedWriteRequest, 1 variable-name 0x0008, 1 data
        (
            "unconfirmedWriteRequest data",
            with(&[0x16, 0x01, 0x02, 0x00, 0x08, 0x01], &[]),
        ),
    ];
    rows.into_iter()
        .map(|(name, (head, tail))| (name, head, tail))
        .collect()
}

/// `depth` arrays of one element each around a null-data.
fn nested(depth: usize) -> Vec<u8> {
    let mut data = Vec::new();
    for _ in 0..depth {
        data.extend_from_slice(&[0x01, 0x01]); // array of 1
    }
    data.push(0x00); // null-data
    data
}

fn apdu(head: &[u8], data: &[u8], tail: &[u8]) -> Vec<u8> {
    [head, data, tail].concat()
}

#[test]
fn every_data_carrying_apdu_accepts_a_tree_20_deep_with_max_depth_64() {
    for (name, head, tail) in places() {
        let input = apdu(&head, &nested(20), &tail);
        let decoded = Apdu::decode_with(&input, Limits { max_depth: 64 });
        assert!(decoded.is_ok(), "{name}: {decoded:?}");
        assert_eq!(decoded.unwrap().to_vec(), input, "{name}");
    }
}

#[test]
fn every_data_carrying_apdu_refuses_a_tree_20_deep_with_max_depth_16() {
    for (name, head, tail) in places() {
        let input = apdu(&head, &nested(20), &tail);
        for result in [
            Apdu::decode_with(&input, Limits { max_depth: 16 }),
            Apdu::decode(&input),
        ] {
            assert!(
                matches!(result, Err(Error::TooDeep { .. })),
                "{name}: {result:?}"
            );
        }
    }
}

#[test]
fn every_data_carrying_apdu_refuses_an_array_of_an_array_with_max_depth_1() {
    for (name, head, tail) in places() {
        // 01 01 | 01 01 | 00: an array holding an array holding a null-data, 2 deep
        let input = apdu(&head, &[0x01, 0x01, 0x01, 0x01, 0x00], &tail);
        let result = Apdu::decode_with(&input, Limits { max_depth: 1 });
        assert!(
            matches!(result, Err(Error::TooDeep { .. })),
            "{name}: {result:?}"
        );
        assert!(
            Apdu::decode_with(&input, Limits { max_depth: 2 }).is_ok(),
            "{name}"
        );
    }
}
