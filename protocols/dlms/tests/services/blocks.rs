//! Block transfer: the reassembler of GET-Response-With-Datablock and the splitter of SET and
//! ACTION requests.

use fieldbridge_dlms::apdu::action::{ActionRequest, OwnedActionRequest};
use fieldbridge_dlms::apdu::get::{
    AttributeDescriptor, DataAccessResult, GetResponse, InvokeIdAndPriority, MethodDescriptor,
    OwnedBlockResult, OwnedDataBlockG, OwnedGetResponse, Progress, Reassembler, Splitter,
};
use fieldbridge_dlms::apdu::set::{OwnedSetRequest, SetRequest};
use fieldbridge_dlms::axdr::{Data, DataRef};
use fieldbridge_dlms::Error;

const INVOKE: InvokeIdAndPriority = InvokeIdAndPriority(0xC1);

fn block(number: u32, last: bool, raw: &[u8]) -> Vec<u8> {
    OwnedGetResponse::WithDatablock {
        invoke: INVOKE,
        block: OwnedDataBlockG {
            last_block: last,
            block_number: number,
            result: OwnedBlockResult::RawData(raw.to_vec()),
        },
    }
    .to_vec()
}

fn profile() -> Data {
    Data::Array(
        (0..40)
            .map(|i| Data::Structure(vec![Data::DoubleLongUnsigned(i), Data::LongUnsigned(7)]))
            .collect(),
    )
}

#[test]
fn blocks_in_sequence_reassemble_into_the_data() {
    let raw = profile().to_vec();
    let mut reassembler = Reassembler::new(4096);
    let chunks: Vec<&[u8]> = raw.chunks(64).collect();
    for (i, chunk) in chunks.iter().enumerate() {
        let last = i + 1 == chunks.len();
        let frame = block(i as u32 + 1, last, chunk);
        let progress = reassembler
            .push(&GetResponse::decode(&frame).unwrap())
            .unwrap();
        if last {
            assert_eq!(progress, Progress::Complete);
        } else {
            assert_eq!(progress, Progress::Next(i as u32 + 1));
        }
    }
    assert!(reassembler.is_complete());
    let data = DataRef::decode_all(reassembler.data()).unwrap();
    assert_eq!(data.to_owned(), profile());
}

#[test]
fn a_block_out_of_sequence_is_refused_at_its_block_number() {
    let mut reassembler = Reassembler::new(4096);
    let frame = block(2, false, &[1, 2, 3]);
    assert_eq!(
        reassembler.push(&GetResponse::decode(&frame).unwrap()),
        Err(Error::BadValue {
            offset: 4,
            what: "block-number",
            expected: "the next block number in sequence",
            found: 2
        })
    );
}

#[test]
fn a_block_after_the_last_is_refused() {
    let mut reassembler = Reassembler::new(4096);
    let frame = block(1, true, &[0x00]);
    reassembler
        .push(&GetResponse::decode(&frame).unwrap())
        .unwrap();
    let again = block(2, true, &[0x00]);
    assert!(matches!(
        reassembler.push(&GetResponse::decode(&again).unwrap()),
        Err(Error::BadValue {
            expected: "no block after the last one",
            ..
        })
    ));
}

#[test]
fn reassembly_past_the_size_limit_is_refused() {
    let mut reassembler = Reassembler::new(10);
    let first = block(1, false, &[0; 8]);
    reassembler
        .push(&GetResponse::decode(&first).unwrap())
        .unwrap();
    let second = block(2, true, &[0; 3]);
    assert_eq!(
        reassembler.push(&GetResponse::decode(&second).unwrap()),
        Err(Error::BadLength {
            // C4 02 C1 | last 01 | block-number 00000002 | raw-data 00 | length (byte 9) 03
            offset: 9,
            what: "reassembled raw-data",
            min: 0,
            max: 10,
            found: 11
        })
    );
    assert_eq!(reassembler.data().len(), 8);
}

#[test]
fn the_size_limit_error_points_at_the_raw_data_length_octet() {
    let frame = [
        0xC4, 0x02, // Get-Response, with-datablock
        0xC1, // invoke-id-and-priority
        0x00, // last-block FALSE
        0x00, 0x00, 0x00, 0x01, // block-number 1
        0x00, // result: raw-data
        0x03, // length 3 (byte 9)
        0xAA, 0xBB, 0xCC, // raw data
    ];
    let response = GetResponse::decode(&frame).unwrap();
    assert_eq!(
        Reassembler::new(2).push(&response),
        Err(Error::BadLength {
            offset: 9,
            what: "reassembled raw-data",
            min: 0,
            max: 2,
            found: 3
        })
    );
    assert_eq!(frame[9], 0x03);
    assert_eq!(Reassembler::new(100).push(&response), Ok(Progress::Next(1)));
}

#[test]
fn a_data_access_result_with_an_unexpected_block_number_still_reports_the_reason() {
    let mut reassembler = Reassembler::new(100);
    let first = block(1, false, &[0x01, 0x02]);
    assert_eq!(
        reassembler.push(&GetResponse::decode(&first).unwrap()),
        Ok(Progress::Next(1))
    );
    let abort = [
        0xC4, 0x02, // Get-Response, with-datablock
        0xC1, // invoke-id-and-priority
        0x01, // last-block TRUE
        0x00, 0x00, 0x00, 0x07, // block-number 7, not the 2 expected
        0x01, // result: data-access-result
        0x0F, // long-get-aborted
    ];
    assert_eq!(
        reassembler.push(&GetResponse::decode(&abort).unwrap()),
        Ok(Progress::Failed(DataAccessResult::LONG_GET_ABORTED))
    );
    assert!(!reassembler.is_complete());
    assert!(matches!(
        reassembler.push(&GetResponse::decode(&first).unwrap()),
        Err(Error::BadValue {
            offset: 4,
            what: "block-number",
            ..
        })
    ));
}

#[test]
fn a_data_access_result_ends_the_transfer() {
    let frame = [0xC4, 0x02, 0xC1, 0x01, 0x00, 0x00, 0x00, 0x01, 0x01, 0x0E];
    let mut reassembler = Reassembler::new(100);
    assert_eq!(
        reassembler.push(&GetResponse::decode(&frame).unwrap()),
        Ok(Progress::Failed(DataAccessResult::DATA_BLOCK_UNAVAILABLE))
    );
}

#[test]
fn a_response_without_blocks_is_not_reassembled() {
    let frame = [0xC4, 0x01, 0xC1, 0x01, 0x01];
    assert_eq!(
        Reassembler::new(100).push(&GetResponse::decode(&frame).unwrap()),
        Err(Error::UnknownChoice {
            offset: 1,
            what: "Get-Response with-datablock",
            found: 1
        })
    );
}

#[test]
fn the_splitter_numbers_blocks_from_1_and_flags_the_last() {
    let raw: Vec<u8> = (0..25).collect();
    let blocks: Vec<_> = Splitter::new(&raw, 10).collect();
    assert_eq!(blocks.len(), 3);
    assert_eq!(
        blocks
            .iter()
            .map(|b| (b.block_number, b.last_block, b.raw_data.len()))
            .collect::<Vec<_>>(),
        [(1, false, 10), (2, false, 10), (3, true, 5)]
    );
    let empty: Vec<_> = Splitter::new(&[], 10).collect();
    assert_eq!(empty.len(), 1);
    assert!(empty[0].last_block);
    let exact: Vec<_> = Splitter::new(&raw[..20], 10).collect();
    assert_eq!(exact.len(), 2);
    assert!(exact[1].last_block);
}

#[test]
fn a_set_in_blocks_rejoins_into_the_value() {
    let value = profile();
    let attribute = AttributeDescriptor::new(7, [1, 0, 99, 1, 0, 255], 2);
    let requests = OwnedSetRequest::in_blocks(INVOKE, attribute, None, &value, 50);
    assert!(requests.len() > 2);
    let mut joined = Vec::new();
    for (i, request) in requests.iter().enumerate() {
        let bytes = request.to_vec();
        let block = match SetRequest::decode(&bytes).unwrap() {
            SetRequest::WithFirstDatablock {
                attribute: a,
                block,
                ..
            } if i == 0 => {
                assert_eq!(a, attribute);
                block
            }
            SetRequest::WithDatablock { block, .. } if i > 0 => block,
            other => panic!("unexpected {other:?}"),
        };
        assert_eq!(block.block_number, i as u32 + 1);
        assert_eq!(block.last_block, i + 1 == requests.len());
        joined.extend_from_slice(block.raw_data);
    }
    assert_eq!(DataRef::decode_all(&joined).unwrap().to_owned(), value);
}

#[test]
fn an_action_in_blocks_rejoins_into_the_parameters() {
    let value = profile();
    let method = MethodDescriptor::new(9, [0, 0, 10, 0, 100, 255], 1);
    let requests = OwnedActionRequest::in_blocks(INVOKE, method, &value, 100);
    let mut joined = Vec::new();
    for (i, request) in requests.iter().enumerate() {
        let bytes = request.to_vec();
        let block = match ActionRequest::decode(&bytes).unwrap() {
            ActionRequest::WithFirstPblock { block, .. } if i == 0 => block,
            ActionRequest::WithPblock { block, .. } if i > 0 => block,
            other => panic!("unexpected {other:?}"),
        };
        joined.extend_from_slice(block.raw_data);
    }
    assert_eq!(DataRef::decode_all(&joined).unwrap().to_owned(), value);
}
