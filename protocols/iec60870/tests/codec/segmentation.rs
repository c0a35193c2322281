//! Every vector fed split at every byte position, and one byte at a time: a prefix is never an
//! error and never a frame; the whole decodes; a second frame behind the first is left alone.

use crate::common::{APDUS, FT12};
use fieldbridge_iec60870::apci::{self, Apci, StreamSplitter};
use fieldbridge_iec60870::ft12;

#[test]
fn apdus_split_at_every_byte_decode_only_when_whole() {
    for v in APDUS {
        for split in 0..v.bytes.len() {
            assert_eq!(
                apci::decode(&v.bytes[..split]),
                Ok(None),
                "{}: prefix of {split}",
                v.name
            );
        }
        let doubled = [v.bytes, v.bytes].concat();
        let (apdu, len) = apci::decode(&doubled).unwrap().unwrap();
        assert_eq!((apdu.apci, len), (v.apci, v.bytes.len()), "{}", v.name);
    }
}

/// Every vector back to back, and the control fields the splitter must find in them.
fn stream() -> (Vec<u8>, Vec<Apci>) {
    let bytes = APDUS.iter().flat_map(|v| v.bytes.iter().copied()).collect();
    (bytes, APDUS.iter().map(|v| v.apci).collect())
}

/// Feeds `reads` to a splitter and collects every APDU's control field and ASDU.
fn drain(reads: &[&[u8]]) -> (Vec<Apci>, Vec<Vec<u8>>) {
    let mut splitter = StreamSplitter::new();
    let (mut apcis, mut asdus) = (Vec::new(), Vec::new());
    for read in reads {
        splitter.push(read);
        while let Some(apdu) = splitter.next_apdu().unwrap() {
            apcis.push(apdu.apci);
            asdus.push(apdu.asdu.to_vec());
        }
    }
    assert_eq!(splitter.buffered(), 0);
    (apcis, asdus)
}

#[test]
fn the_stream_splitter_finds_every_apdu_whatever_the_split() {
    let (bytes, expected) = stream();
    let expected_asdus: Vec<Vec<u8>> = APDUS.iter().map(|v| v.bytes[6..].to_vec()).collect();
    for split in 0..=bytes.len() {
        let (first, second) = bytes.split_at(split);
        let (apcis, asdus) = drain(&[first, second]);
        assert_eq!(apcis, expected, "split at {split}");
        assert_eq!(asdus, expected_asdus, "split at {split}");
    }
}

#[test]
fn the_stream_splitter_takes_one_byte_at_a_time() {
    let (bytes, expected) = stream();
    let reads: Vec<&[u8]> = bytes.chunks(1).collect();
    assert_eq!(drain(&reads).0, expected);
    let mut splitter = StreamSplitter::new();
    splitter.push(&bytes);
    assert_eq!(splitter.stream_offset(), 0);
    while splitter.next_apdu().unwrap().is_some() {}
    assert_eq!(splitter.stream_offset(), bytes.len());
}

#[test]
fn the_stream_splitter_takes_every_apdu_of_a_single_read() {
    let (bytes, expected) = stream();
    assert_eq!(drain(&[&bytes]).0, expected);
}

#[test]
fn split_stops_at_an_incomplete_apdu_and_says_what_it_consumed() {
    let (mut bytes, expected) = stream();
    let whole = bytes.len();
    bytes.extend_from_slice(&[0x68, 0x04, 0x43]);
    let mut split = apci::split(&bytes);
    let apcis: Vec<Apci> = split.by_ref().map(|r| r.unwrap().apci).collect();
    assert_eq!(apcis, expected);
    assert_eq!(split.consumed(), whole);
    assert_eq!(split.remainder(), [0x68, 0x04, 0x43]);
}

#[test]
fn split_reports_an_error_at_its_offset_in_the_buffer_then_stops() {
    let mut bytes = APDUS[0].bytes.to_vec();
    bytes.extend_from_slice(&[0x00, 0x68, 0x04, 0x43, 0x00, 0x00, 0x00]);
    let results: Vec<_> = apci::split(&bytes).collect();
    assert_eq!(results.len(), 2);
    assert_eq!(results[1].as_ref().unwrap_err().offset(), 6);
}

#[test]
fn ft12_frames_split_at_every_byte_decode_only_when_whole() {
    for v in FT12 {
        for split in 0..v.bytes.len() {
            assert_eq!(
                ft12::decode(&v.bytes[..split], &v.config),
                Ok(None),
                "{}: prefix of {split}",
                v.name
            );
            let hunt = ft12::decode_hunting(&v.bytes[..split], &v.config);
            assert_eq!(
                (hunt.discarded, hunt.frame),
                (0, None),
                "{}: hunting a prefix of {split}",
                v.name
            );
        }
        let doubled = [v.bytes, v.bytes].concat();
        assert_eq!(
            ft12::decode(&doubled, &v.config),
            Ok(Some((v.frame, v.bytes.len()))),
            "{}",
            v.name
        );
    }
}

#[test]
fn ft12_frames_fed_one_byte_at_a_time_decode_at_their_last_byte() {
    for v in FT12 {
        let mut buf = Vec::new();
        for (i, &byte) in v.bytes.iter().enumerate() {
            buf.push(byte);
            let hunt = ft12::decode_hunting(&buf, &v.config);
            let expected = (i + 1 == v.bytes.len()).then_some((v.frame, v.bytes.len()));
            assert_eq!(hunt.frame, expected, "{}: after byte {i}", v.name);
            assert_eq!(hunt.first_error, None, "{}", v.name);
        }
    }
}
