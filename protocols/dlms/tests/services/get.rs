//! GET-Request and GET-Response.

use fieldbridge_dlms::apdu::get::{
    AttributeDescriptor, BlockResult, DataAccessResult, GetDataResult, GetRequest, GetResponse,
    InvokeIdAndPriority,
};
use fieldbridge_dlms::axdr::Value;
use fieldbridge_dlms::Error;

/// u9n/dlms-cosem tests/test_xdlms/test_get.py, TestGetRequestNormal.
const GET_NORMAL: [u8; 13] = [
    0xC0, // get-request
    0x01, // get-request-normal
    0xC1, // invoke-id 1, confirmed, high priority
    0x00, 0x01, // class-id 1 (Data)
    0x00, 0x00, 0x2B, 0x01, 0x00, 0xFF, // instance-id 0.0.43.1.0.255
    0x02, // attribute-id 2
    0x00, // no access-selection
];

#[test]
fn a_get_request_normal_decodes_field_by_field_and_reencodes() {
    let GetRequest::Normal {
        invoke,
        attribute,
        selection,
    } = GetRequest::decode(&GET_NORMAL).unwrap()
    else {
        panic!("not normal")
    };
    assert_eq!(invoke, InvokeIdAndPriority::new(1, true, true));
    assert_eq!(
        (
            invoke.invoke_id(),
            invoke.confirmed(),
            invoke.high_priority()
        ),
        (1, true, true)
    );
    assert_eq!(
        attribute,
        AttributeDescriptor::new(1, [0, 0, 43, 1, 0, 255], 2)
    );
    assert_eq!(selection, None);
    let owned = GetRequest::decode(&GET_NORMAL).unwrap().to_owned();
    assert_eq!(owned.to_vec(), GET_NORMAL);
    assert_eq!(owned.encoded_len(), GET_NORMAL.len());
}

#[test]
fn a_get_request_next_carries_the_block_number() {
    // u9n/dlms-cosem TestGetRequestNext: C0 02 C1, block-number 1.
    let input = [0xC0, 0x02, 0xC1, 0x00, 0x00, 0x00, 0x01];
    let request = GetRequest::decode(&input).unwrap();
    assert_eq!(
        request,
        GetRequest::Next {
            invoke: InvokeIdAndPriority(0xC1),
            block_number: 1
        }
    );
    assert_eq!(request.to_owned().to_vec(), input);
}

#[test]
fn a_get_request_with_list_iterates_its_attributes() {
    // u9n/dlms-cosem TestGetRequestWithList.
    let input = [
        0xC0, 0x03, 0xC1, // get-request-with-list, invoke 0xC1
        0x02, // 2 attributes
        0x00, 0x01, 0x00, 0x00, 0x2A, 0x00, 0x00, 0xFF, 0x02, 0x00, // Data 0.0.42.0.0.255 /2
        0x00, 0x08, 0x00, 0x00, 0x01, 0x00, 0x00, 0xFF, 0x02, 0x00, // Clock 0.0.1.0.0.255 /2
    ];
    let request = GetRequest::decode(&input).unwrap();
    let GetRequest::WithList { attributes, .. } = &request else {
        panic!("not with-list")
    };
    let list: Vec<_> = attributes.clone().collect();
    assert_eq!(list.len(), 2);
    assert_eq!(
        list[0].attribute,
        AttributeDescriptor::new(1, [0, 0, 42, 0, 0, 255], 2)
    );
    assert_eq!(
        list[1].attribute,
        AttributeDescriptor::new(8, [0, 0, 1, 0, 0, 255], 2)
    );
    assert!(list.iter().all(|a| a.selection.is_none()));
    assert_eq!(request.to_owned().to_vec(), input);
}

#[test]
fn a_get_response_normal_holds_a_borrowed_value() {
    // u9n/dlms-cosem TestGetResponseNormal: double-long-unsigned 5009.
    let input = [0xC4, 0x01, 0xC1, 0x00, 0x06, 0x00, 0x00, 0x13, 0x91];
    let response = GetResponse::decode(&input).unwrap();
    let GetResponse::Normal {
        result: GetDataResult::Data(data),
        ..
    } = response
    else {
        panic!("not data")
    };
    assert_eq!(data.value(), Value::DoubleLongUnsigned(5009));
    assert_eq!(response.to_owned().to_vec(), input);
}

#[test]
fn a_get_response_normal_with_a_data_access_result_names_it() {
    // u9n/dlms-cosem TestGetRequestNormalWithError: hardware-fault.
    let input = [0xC4, 0x01, 0xC1, 0x01, 0x01];
    let response = GetResponse::decode(&input).unwrap();
    assert_eq!(
        response,
        GetResponse::Normal {
            invoke: InvokeIdAndPriority(0xC1),
            result: GetDataResult::DataAccessResult(DataAccessResult::HARDWARE_FAULT)
        }
    );
    assert_eq!(DataAccessResult::HARDWARE_FAULT.name(), "hardware-fault");
    assert_eq!(response.to_owned().to_vec(), input);
}

#[test]
fn an_unknown_data_access_result_still_decodes() {
    let input = [0xC4, 0x01, 0xC1, 0x01, 0x63];
    let response = GetResponse::decode(&input).unwrap();
    let GetResponse::Normal {
        result: GetDataResult::DataAccessResult(result),
        ..
    } = response
    else {
        panic!()
    };
    assert_eq!(result, DataAccessResult(99));
    assert_eq!(result.name(), "unknown");
    assert_eq!(result.to_string(), "unknown data-access-result 99");
}

#[test]
fn a_get_response_with_datablock_block_1_decodes() {
    // u9n/dlms-cosem TestGetResponseWithBlock: block 1 of a profile buffer, not the last.
    let input = hex::decode(include_str!("vectors/get_response_block_1.hex").trim()).unwrap();
    let response = GetResponse::decode(&input).unwrap();
    let GetResponse::WithDatablock { invoke, block } = response else {
        panic!("not with-datablock")
    };
    assert_eq!(invoke, InvokeIdAndPriority(0xC1));
    assert!(!block.last_block);
    assert_eq!(block.block_number, 1);
    let BlockResult::RawData(raw) = block.result else {
        panic!("not raw-data")
    };
    // Length 0x82 0x04 0x9E: 1182 octets, starting with an array of 0x05A0 entries.
    assert_eq!(raw.len(), 0x049E);
    assert_eq!(&raw[..4], &[0x01, 0x82, 0x05, 0xA0]);
    assert_eq!(response.to_owned().to_vec(), input);
}

#[test]
fn a_get_response_last_block_19_decodes() {
    // u9n/dlms-cosem TestGetResponseLastBlock.
    let input = hex::decode(include_str!("vectors/get_response_last_block_19.hex").trim()).unwrap();
    let response = GetResponse::decode(&input).unwrap();
    let GetResponse::WithDatablock { block, .. } = response else {
        panic!()
    };
    assert!(block.last_block);
    assert_eq!(block.block_number, 19);
    assert!(matches!(block.result, BlockResult::RawData(raw) if raw.len() == 0x017C));
    assert_eq!(response.to_owned().to_vec(), input);
}

#[test]
fn a_last_block_with_a_data_access_result_decodes() {
    // u9n/dlms-cosem TestGetResponseLastBlockWithError.
    let input = [0xC4, 0x02, 0xC1, 0x01, 0x00, 0x00, 0x00, 0x13, 0x01, 0x01];
    let GetResponse::WithDatablock { block, .. } = GetResponse::decode(&input).unwrap() else {
        panic!()
    };
    assert_eq!(block.block_number, 19);
    assert_eq!(
        block.result,
        BlockResult::DataAccessResult(DataAccessResult::HARDWARE_FAULT)
    );
}

#[test]
fn a_get_response_with_list_iterates_its_results() {
    // u9n/dlms-cosem TestGetResponseWithList.
    let mut input = vec![0xC4, 0x03, 0xC1, 0x02]; // with-list, 2 results
    input.extend_from_slice(&[0x00, 0x09, 0x10]); // data: octet-string(16)
    input.extend_from_slice(b"ISK1030777764366");
    input.extend_from_slice(&[0x00, 0x09, 0x0C]); // data: octet-string(12), a date-time
    input.extend_from_slice(&[
        0x07, 0xE5, 0x06, 0x03, 0x04, 0x0E, 0x09, 0x17, 0x00, 0xFF, 0xC4, 0x00,
    ]);
    let response = GetResponse::decode(&input).unwrap();
    let GetResponse::WithList { results, .. } = &response else {
        panic!()
    };
    let values: Vec<_> = results
        .clone()
        .map(|r| match r {
            GetDataResult::Data(d) => d.value(),
            GetDataResult::DataAccessResult(_) => panic!(),
        })
        .collect();
    assert_eq!(values[0], Value::OctetString(b"ISK1030777764366"));
    assert!(matches!(values[1], Value::OctetString(s) if s.len() == 12));
    assert_eq!(response.to_owned().to_vec(), input);
}

#[test]
fn a_get_request_with_a_range_descriptor_parses_its_selection() {
    // u9n/dlms-cosem tests/test_xdlms/test_selective_access.py, test_parse_range_descriptor.
    let input = [
        0xC0, 0x01, 0xC1, // get-request-normal
        0x00, 0x07, 0x01, 0x00, 0x63, 0x01, 0x00, 0xFF, 0x02, // profile 1.0.99.1.0.255 /2
        0x01, 0x01, // access-selection present, selector 1
        0x02, 0x04, // structure of 4
        0x02, 0x04, 0x12, 0x00, 0x08, // restricting object: class 8
        0x09, 0x06, 0x00, 0x00, 0x01, 0x00, 0x00, 0xFF, // 0.0.1.0.0.255
        0x0F, 0x02, 0x12, 0x00, 0x00, // attribute 2, data index 0
        0x09, 0x0C, 0x07, 0xE1, 0x0A, 0x01, 0x07, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xC4,
        0x80, // from
        0x09, 0x0C, 0x07, 0xE1, 0x0A, 0x01, 0x07, 0x01, 0x00, 0x00, 0x00, 0xFF, 0xC4,
        0x80, // to
        0x01, 0x00, // selected values: all
    ];
    let GetRequest::Normal {
        selection: Some(selection),
        ..
    } = GetRequest::decode(&input).unwrap()
    else {
        panic!()
    };
    assert_eq!(selection.selector, 1);
    let range = selection.range_descriptor().unwrap();
    assert_eq!(range.restricting_object.class_id, 8);
    assert_eq!(range.restricting_object.logical_name, [0, 0, 1, 0, 0, 255]);
    assert!(range.selected_values.is_empty());
    let fieldbridge_dlms::apdu::selective::RangeValue::DateTime(from) = range.from_value else {
        panic!()
    };
    assert_eq!(
        (from.date.year, from.date.month, from.time.hour),
        (2017, 10, 0)
    );
    assert_eq!(range.to_data().to_vec(), &input[14..]);
    assert_eq!(
        GetRequest::decode(&input).unwrap().to_owned().to_vec(),
        input
    );
}

#[test]
fn a_wrong_apdu_tag_is_a_bad_byte() {
    let mut input = GET_NORMAL;
    input[0] = 0xC1;
    assert_eq!(
        GetRequest::decode(&input),
        Err(Error::BadByte {
            offset: 0,
            what: "Get-Request tag",
            expected: "0xC0",
            found: 0xC1
        })
    );
}

#[test]
fn an_unknown_get_request_choice_is_refused_with_its_offset() {
    // u9n/dlms-cosem: "0x04 type not possible".
    let input = [0xC0, 0x04, 0xC1, 0x00, 0x00, 0x00, 0x01];
    assert_eq!(
        GetRequest::decode(&input),
        Err(Error::UnknownChoice {
            offset: 1,
            what: "Get-Request choice",
            found: 4
        })
    );
}

#[test]
fn an_unknown_get_data_result_tag_is_refused() {
    let input = [0xC4, 0x01, 0xC1, 0x02, 0x00];
    assert_eq!(
        GetResponse::decode(&input),
        Err(Error::UnknownChoice {
            offset: 3,
            what: "Get-Data-Result",
            found: 2
        })
    );
}

#[test]
fn an_unknown_block_result_tag_is_refused() {
    let input = [0xC4, 0x02, 0xC1, 0x01, 0x00, 0x00, 0x00, 0x13, 0x02, 0x01];
    assert_eq!(
        GetResponse::decode(&input),
        Err(Error::UnknownChoice {
            offset: 8,
            what: "DataBlock-G result",
            found: 2
        })
    );
}

#[test]
fn an_access_selection_flag_other_than_0_or_1_is_a_bad_byte() {
    let mut input = GET_NORMAL;
    input[12] = 0x02;
    assert!(matches!(
        GetRequest::decode(&input),
        Err(Error::BadByte {
            offset: 12,
            what: "access-selection",
            found: 2,
            ..
        })
    ));
}

#[test]
fn bytes_after_the_apdu_are_trailing() {
    let mut input = GET_NORMAL.to_vec();
    input.push(0xEE);
    assert_eq!(
        GetRequest::decode(&input),
        Err(Error::TrailingBytes {
            offset: 13,
            what: "Get-Request",
            count: 1
        })
    );
}

#[test]
fn a_truncated_descriptor_says_what_is_missing() {
    assert_eq!(
        GetRequest::decode(&GET_NORMAL[..6]),
        Err(Error::Truncated {
            offset: 5,
            what: "instance-id",
            needed: 5
        })
    );
}

#[test]
fn a_with_list_count_beyond_the_input_is_a_bad_length() {
    let input = [0xC4, 0x03, 0xC1, 0x05, 0x01, 0x01];
    assert!(matches!(
        GetResponse::decode(&input),
        Err(Error::BadLength {
            offset: 3,
            found: 5,
            ..
        })
    ));
}

#[test]
fn a_bad_data_inside_a_response_reports_the_offset_in_the_apdu() {
    // Data type tag 7 is unknown.
    let input = [0xC4, 0x01, 0xC1, 0x00, 0x07];
    assert_eq!(GetResponse::decode(&input).unwrap_err().offset(), 4);
}

#[test]
fn every_prefix_of_every_get_vector_fails_without_panicking() {
    every_prefix_fails!(GET_NORMAL, GetRequest::decode);
    every_prefix_fails!([0xC0, 0x02, 0xC1, 0, 0, 0, 1], GetRequest::decode);
    let block = hex::decode(include_str!("vectors/get_response_last_block_19.hex").trim()).unwrap();
    every_prefix_fails!(block, GetResponse::decode);
    every_prefix_fails!(
        [0xC4, 0x01, 0xC1, 0x00, 0x06, 0x00, 0x00, 0x13, 0x91],
        GetResponse::decode
    );
}
