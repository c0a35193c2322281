//! Short-name services: Read, Write, UnconfirmedWrite. The vectors are built from the ASN.1 of
//! DLMS UA 1000-2 Ed. 10 clause 9.5, field by field.

use fieldbridge_dlms::apdu::get::DataAccessResult;
use fieldbridge_dlms::apdu::sn::{
    encode_read_request, encode_read_response, encode_write_response, read_request_len,
    read_response_len, write_response_len, ReadRequest, ReadResponse, ReadResult, VariableAccess,
    WriteRequest, WriteResponse, WriteResult,
};
use fieldbridge_dlms::axdr::Value;
use fieldbridge_dlms::strategy::services as s;
use fieldbridge_dlms::Error;
use proptest::collection::vec;
use proptest::prelude::*;

#[test]
fn a_read_request_lists_its_variables() {
    let input = [
        0x05, 0x02, // read-request, 2 variables
        0x02, 0xFA, 0x00, // variable-name 0xFA00
        0x04, 0x3C, 0x08, 0x02, 0x11, 0x01, // parameterized 0x3C08, selector 2, unsigned 1
    ];
    let request = ReadRequest::decode(&input).unwrap();
    let variables: Vec<_> = request.variables.clone().collect();
    assert_eq!(variables[0], VariableAccess::VariableName(0xFA00));
    let VariableAccess::ParameterizedAccess {
        variable_name,
        selector,
        parameter,
    } = variables[1]
    else {
        panic!()
    };
    assert_eq!((variable_name, selector), (0x3C08, 2));
    assert_eq!(parameter.value(), Value::Unsigned(1));
    let mut out = Vec::new();
    encode_read_request(&request.to_owned(), &mut out);
    assert_eq!(out, input);
}

#[test]
fn a_read_response_holds_every_result_kind() {
    let input = [
        0x0C, 0x04, // read-response, 4 results
        0x00, 0x12, 0x01, 0x00, // data: long-unsigned 256
        0x01, 0x03, // data-access-error: read-write-denied
        0x02, 0x01, 0x00, 0x02, 0x02, 0xAA,
        0xBB, // data-block-result: last, block 2, 2 octets
        0x03, 0x00, 0x07, // block-number 7
    ];
    let response = ReadResponse::decode(&input).unwrap();
    let results: Vec<_> = response.results.clone().collect();
    assert!(matches!(results[0], ReadResult::Data(d) if d.value() == Value::LongUnsigned(256)));
    assert_eq!(
        results[1],
        ReadResult::DataAccessError(DataAccessResult::READ_WRITE_DENIED)
    );
    assert_eq!(
        results[2],
        ReadResult::DataBlockResult {
            last_block: true,
            block_number: 2,
            raw_data: &[0xAA, 0xBB]
        }
    );
    assert_eq!(results[3], ReadResult::BlockNumber(7));
    let mut out = Vec::new();
    encode_read_response(&response.to_owned(), &mut out);
    assert_eq!(out, input);
    every_prefix_fails!(input, ReadResponse::decode);
}

#[test]
fn a_write_request_and_its_unconfirmed_twin_differ_only_in_the_tag() {
    let input = [
        0x06, 0x01, 0x02, 0x01, 0x08, // write-request, 1 variable: name 0x0108
        0x01, 0x06, 0x00, 0x00, 0x00, 0x2A, // 1 value: double-long-unsigned 42
    ];
    let request = WriteRequest::decode(&input).unwrap();
    assert_eq!(
        request.variables.clone().next(),
        Some(VariableAccess::VariableName(0x0108))
    );
    let owned = request.to_owned();
    let mut out = Vec::new();
    owned.encode(&mut out);
    assert_eq!(out, input);
    let mut unconfirmed = Vec::new();
    owned.encode_unconfirmed(&mut unconfirmed);
    assert_eq!(unconfirmed[0], 0x16);
    assert_eq!(
        WriteRequest::decode_unconfirmed(&unconfirmed)
            .unwrap()
            .to_owned(),
        owned
    );
    assert!(matches!(
        WriteRequest::decode(&unconfirmed),
        Err(Error::BadByte {
            offset: 0,
            found: 0x16,
            ..
        })
    ));
}

#[test]
fn a_write_response_decodes_every_result_kind() {
    let input = [0x0D, 0x03, 0x00, 0x01, 0x0C, 0x02, 0x00, 0x05];
    let results: Vec<_> = WriteResponse::decode(&input).unwrap().results.collect();
    assert_eq!(
        results,
        [
            WriteResult::Success,
            WriteResult::DataAccessError(DataAccessResult::TYPE_UNMATCHED),
            WriteResult::BlockNumber(5)
        ]
    );
    let mut out = Vec::new();
    encode_write_response(&results, &mut out);
    assert_eq!(out, input);
}

#[test]
fn unknown_short_name_choices_are_refused_with_their_offsets() {
    // detailed-access [3] is reserved.
    assert_eq!(
        ReadRequest::decode(&[0x05, 0x01, 0x03, 0x00, 0x00]),
        Err(Error::UnknownChoice {
            offset: 2,
            what: "Variable-Access-Specification",
            found: 3
        })
    );
    assert_eq!(
        ReadResponse::decode(&[0x0C, 0x01, 0x04]),
        Err(Error::UnknownChoice {
            offset: 2,
            what: "ReadResponse choice",
            found: 4
        })
    );
    assert_eq!(
        WriteResponse::decode(&[0x0D, 0x01, 0x03]),
        Err(Error::UnknownChoice {
            offset: 2,
            what: "WriteResponse choice",
            found: 3
        })
    );
}

proptest! {
    #[test]
    fn read_requests_round_trip(x in vec(s::variable_access(), 0..4)) {
        let mut bytes = Vec::new();
        encode_read_request(&x, &mut bytes);
        prop_assert_eq!(bytes.len(), read_request_len(&x));
        prop_assert_eq!(ReadRequest::decode(&bytes).unwrap().to_owned(), x);
    }

    #[test]
    fn read_responses_round_trip(x in vec(s::read_result(), 0..4)) {
        let mut bytes = Vec::new();
        encode_read_response(&x, &mut bytes);
        prop_assert_eq!(bytes.len(), read_response_len(&x));
        prop_assert_eq!(ReadResponse::decode(&bytes).unwrap().to_owned(), x);
    }

    #[test]
    fn write_requests_round_trip(x in s::write_request()) {
        let mut bytes = Vec::new();
        x.encode(&mut bytes);
        prop_assert_eq!(bytes.len(), x.encoded_len());
        prop_assert_eq!(WriteRequest::decode(&bytes).unwrap().to_owned(), x.clone());
        for len in 0..bytes.len() {
            prop_assert!(WriteRequest::decode(&bytes[..len]).is_err());
        }
    }

    #[test]
    fn write_responses_round_trip(x in vec(s::write_result(), 0..6)) {
        let mut bytes = Vec::new();
        encode_write_response(&x, &mut bytes);
        prop_assert_eq!(bytes.len(), write_response_len(&x));
        let decoded: Vec<_> = WriteResponse::decode(&bytes).unwrap().results.collect();
        prop_assert_eq!(decoded, x);
    }
}
