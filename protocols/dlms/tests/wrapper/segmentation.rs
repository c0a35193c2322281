use super::{CLOCK_RESPONSE, GET_CLOCK};
use fieldbridge_dlms::wrapper::{self, StreamSplitter, HEADER_LEN};

fn stream() -> Vec<u8> {
    let mut bytes = GET_CLOCK.to_vec();
    bytes.extend_from_slice(&CLOCK_RESPONSE);
    bytes.extend_from_slice(&GET_CLOCK);
    bytes
}

fn drain(splitter: &mut StreamSplitter, out: &mut Vec<Vec<u8>>) {
    while let Some(pdu) = splitter.next_pdu().unwrap() {
        out.push(pdu.apdu.to_vec());
    }
}

fn expected() -> Vec<Vec<u8>> {
    vec![
        GET_CLOCK[HEADER_LEN..].to_vec(),
        CLOCK_RESPONSE[HEADER_LEN..].to_vec(),
        GET_CLOCK[HEADER_LEN..].to_vec(),
    ]
}

#[test]
fn every_prefix_of_a_pdu_needs_more_bytes() {
    for end in 0..GET_CLOCK.len() {
        assert_eq!(wrapper::decode(&GET_CLOCK[..end]), Ok(None), "{end}");
    }
}

#[test]
fn a_stream_split_at_every_byte_gives_the_same_pdus() {
    let bytes = stream();
    for at in 0..=bytes.len() {
        let mut splitter = StreamSplitter::default();
        let mut got = Vec::new();
        splitter.push(&bytes[..at]);
        drain(&mut splitter, &mut got);
        splitter.push(&bytes[at..]);
        drain(&mut splitter, &mut got);
        assert_eq!(got, expected(), "split at {at}");
        assert_eq!(splitter.buffered(), 0);
        assert_eq!(splitter.stream_offset(), bytes.len());
    }
}

#[test]
fn a_stream_fed_one_byte_at_a_time_gives_the_same_pdus() {
    let bytes = stream();
    let mut splitter = StreamSplitter::new(100);
    let mut got = Vec::new();
    for byte in &bytes {
        splitter.push(std::slice::from_ref(byte));
        drain(&mut splitter, &mut got);
    }
    assert_eq!(got, expected());
}

#[test]
fn the_splitter_reports_its_maximum() {
    let splitter = StreamSplitter::with_capacity(1024, 4096);
    assert_eq!(splitter.max_apdu_len(), 1024);
    assert_eq!(splitter.max_pdu_len(), 1032);
    assert_eq!(StreamSplitter::new(0).max_apdu_len(), 1);
    assert_eq!(StreamSplitter::new(1 << 20).max_apdu_len(), 65_535);
}
