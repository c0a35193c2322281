//! SET-Request and SET-Response.

use fieldbridge_dlms::apdu::get::{AttributeDescriptor, DataAccessResult, InvokeIdAndPriority};
use fieldbridge_dlms::apdu::set::{OwnedSetResponse, SetRequest, SetResponse};
use fieldbridge_dlms::axdr::Value;
use fieldbridge_dlms::Error;

/// u9n/dlms-cosem tests/test_xdlms/test_set.py, TestSetRequestNormal: set the clock's time.
const SET_NORMAL: [u8; 27] = [
    0xC1, 0x01, 0xC1, // set-request-normal, invoke 1 confirmed high
    0x00, 0x08, 0x00, 0x00, 0x01, 0x00, 0x00, 0xFF, 0x02, // Clock 0.0.1.0.0.255 /2
    0x00, // no access-selection
    0x09, 0x0C, 0x07, 0xE5, 0x01, 0x18, 0xFF, 0x0E, 0x30, 0x39, 0x50, 0xFF, 0xC4,
    0x00, // value: octet-string(12) 2021-01-24 14:48:57.80, deviation -60
];

/// u9n/dlms-cosem TestSetRequestWithFirstBlock, the Green Book's Table 137 example.
const SET_FIRST_BLOCK: [u8; 40] = [
    0xC1, 0x02, 0xC1, // set-request-with-first-datablock
    0x00, 0x01, 0x00, 0x00, 0x80, 0x00, 0x00, 0xFF, 0x02, // Data 0.0.128.0.0.255 /2
    0x00, // no access-selection
    0x00, // last-block FALSE
    0x00, 0x00, 0x00, 0x01, // block-number 1
    0x15, // raw-data, 21 octets
    0x09, 0x32, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x10, 0x11, 0x12, 0x13, 0x14,
    0x15, 0x16, 0x17, 0x18, 0x19,
];

#[test]
fn a_set_request_normal_decodes_field_by_field_and_reencodes() {
    let request = SetRequest::decode(&SET_NORMAL).unwrap();
    let SetRequest::Normal {
        invoke,
        attribute,
        selection,
        value,
    } = &request
    else {
        panic!()
    };
    assert_eq!(*invoke, InvokeIdAndPriority::new(1, true, true));
    assert_eq!(
        *attribute,
        AttributeDescriptor::new(8, [0, 0, 1, 0, 0, 255], 2)
    );
    assert!(selection.is_none());
    assert!(matches!(value.value(), Value::OctetString(s) if s.len() == 12));
    assert_eq!(request.to_owned().to_vec(), SET_NORMAL);
    assert_eq!(request.to_owned().encoded_len(), SET_NORMAL.len());
}

#[test]
fn a_set_request_with_first_datablock_keeps_the_raw_data() {
    let request = SetRequest::decode(&SET_FIRST_BLOCK).unwrap();
    let SetRequest::WithFirstDatablock {
        attribute, block, ..
    } = &request
    else {
        panic!()
    };
    assert_eq!(attribute.instance_id, [0, 0, 128, 0, 0, 255]);
    assert!(!block.last_block);
    assert_eq!(block.block_number, 1);
    assert_eq!(block.raw_data.len(), 21);
    assert_eq!(request.to_owned().to_vec(), SET_FIRST_BLOCK);
}

#[test]
fn set_responses_decode_and_reencode() {
    // u9n/dlms-cosem TestSetResponseNormal, TestSetResponseWithBlock, TestSetResponseLastBlock.
    let normal = [0xC5, 0x01, 0xC1, 0x00];
    assert_eq!(
        SetResponse::decode(&normal).unwrap().to_owned(),
        OwnedSetResponse::Normal {
            invoke: InvokeIdAndPriority(0xC1),
            result: DataAccessResult::SUCCESS
        }
    );
    let datablock = [0xC5, 0x02, 0xC1, 0x00, 0x00, 0x00, 0x01];
    assert_eq!(
        SetResponse::decode(&datablock).unwrap().to_owned(),
        OwnedSetResponse::Datablock {
            invoke: InvokeIdAndPriority(0xC1),
            block_number: 1
        }
    );
    let last = [0xC5, 0x03, 0xC1, 0x00, 0x00, 0x00, 0x00, 0x02];
    assert_eq!(
        SetResponse::decode(&last).unwrap().to_owned(),
        OwnedSetResponse::LastDatablock {
            invoke: InvokeIdAndPriority(0xC1),
            result: DataAccessResult::SUCCESS,
            block_number: 2
        }
    );
    for input in [&normal[..], &datablock, &last] {
        assert_eq!(
            SetResponse::decode(input).unwrap().to_owned().to_vec(),
            input
        );
    }
}

#[test]
fn a_set_response_with_list_iterates_its_results() {
    let input = [0xC5, 0x05, 0xC1, 0x02, 0x00, 0x03]; // success, read-write-denied
    let SetResponse::WithList { results, .. } = SetResponse::decode(&input).unwrap() else {
        panic!()
    };
    let names: Vec<_> = results.map(|r| r.name()).collect();
    assert_eq!(names, ["success", "read-write-denied"]);
}

#[test]
fn an_unknown_set_choice_is_refused() {
    let input = [0xC1, 0x06, 0xC1];
    assert_eq!(
        SetRequest::decode(&input),
        Err(Error::UnknownChoice {
            offset: 1,
            what: "Set-Request choice",
            found: 6
        })
    );
    assert_eq!(
        SetResponse::decode(&[0xC5, 0x00, 0xC1]),
        Err(Error::UnknownChoice {
            offset: 1,
            what: "Set-Response choice",
            found: 0
        })
    );
}

#[test]
fn every_prefix_of_every_set_vector_fails_without_panicking() {
    every_prefix_fails!(SET_NORMAL, SetRequest::decode);
    every_prefix_fails!(SET_FIRST_BLOCK, SetRequest::decode);
    every_prefix_fails!(
        [0xC5, 0x03, 0xC1, 0x00, 0x00, 0x00, 0x00, 0x02],
        SetResponse::decode
    );
}
