//! DLMS wrapper PDUs (IEC 62056-47) in a TCP stream. Input: byte 0 selects the maximum APDU
//! length (0: 65,535, else the byte itself, so 1..=255), bytes 1..=3 are read sizes used in turn
//! (0: the rest of the stream at once), the rest is the stream. One-shot decoding
//! (`decode_with_max` at each PDU's end until `Ok(None)` or an error) and a `StreamSplitter` fed
//! the stream in those reads find the same PDUs and end the same way: the same error at the same
//! stream offset (returned again by every later call), or the same bytes left buffered. Every PDU
//! re-encodes to its bytes through the view, the owned form and `encode_header`, with
//! `encoded_len` its length; `decode` is `decode_with_max(65,535)`.
#![no_main]
use fieldbridge_dlms::wrapper::{
    self, OwnedWrapperPdu, StreamSplitter, WrapperPdu, HEADER_LEN, MAX_APDU_LEN,
};
use fieldbridge_dlms::Error;

/// A PDU found, with the bytes it came from.
fn check_pdu(pdu: WrapperPdu<'_>, bytes: &[u8], max: usize) -> OwnedWrapperPdu {
    assert_eq!(bytes.len(), HEADER_LEN + pdu.apdu.len());
    assert!((1..=max).contains(&pdu.apdu.len()), "length within 1..={max}");
    assert_eq!(pdu.encoded_len(), bytes.len());
    let mut out = vec![0xEE];
    pdu.encode(&mut out).expect("a decoded PDU encodes");
    assert_eq!(out[1..], *bytes, "the view re-encodes to its bytes");
    let owned = OwnedWrapperPdu::from(pdu);
    assert_eq!(owned.as_view(), pdu);
    assert_eq!(owned.encoded_len(), bytes.len());
    let mut out = Vec::new();
    owned.encode(&mut out).expect("the owned PDU encodes");
    assert_eq!(out, bytes, "the owned form re-encodes to its bytes");
    let mut out = Vec::new();
    wrapper::encode_header(pdu.source, pdu.destination, pdu.apdu.len(), &mut out)
        .expect("the header encodes");
    out.extend_from_slice(pdu.apdu);
    assert_eq!(out, bytes, "encode_header then the APDU");
    owned
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let max = match data[0] {
        0 => MAX_APDU_LEN,
        n => usize::from(n),
    };
    let reads = [data[1], data[2], data[3]];
    let stream = &data[4..];

    // One shot: every PDU from the front of the buffer, then how it ends.
    let mut expected = Vec::new();
    let mut pos = 0;
    let end: Result<(), Error> = loop {
        let rest = &stream[pos..];
        let result = wrapper::decode_with_max(rest, max);
        if max == MAX_APDU_LEN {
            assert_eq!(wrapper::decode(rest), result, "decode is the largest maximum");
        }
        match result {
            Ok(Some((pdu, len))) => {
                expected.push(check_pdu(pdu, &rest[..len], max));
                pos += len;
            }
            Ok(None) => break Ok(()),
            Err(e) => {
                assert!(e.offset() < HEADER_LEN, "{e:?} is in the header");
                break Err(e.shifted(pos));
            }
        }
    };

    // The splitter, read by read.
    for mut splitter in [
        StreamSplitter::new(max),
        StreamSplitter::with_capacity(max, 64),
    ] {
        assert_eq!(splitter.max_apdu_len(), max.clamp(1, MAX_APDU_LEN));
        assert_eq!(splitter.max_pdu_len(), HEADER_LEN + splitter.max_apdu_len());
        let mut found = Vec::new();
        let mut failed = None;
        let mut fed = 0;
        let mut turn = 0;
        while fed < stream.len() && failed.is_none() {
            let size = match reads[turn % reads.len()] {
                0 => stream.len() - fed,
                n => usize::from(n).min(stream.len() - fed),
            };
            turn += 1;
            splitter.push(&stream[fed..fed + size]);
            fed += size;
            loop {
                let offset = splitter.stream_offset();
                match splitter.next_pdu() {
                    Ok(Some(pdu)) => {
                        let owned = OwnedWrapperPdu::from(pdu);
                        let start = offset;
                        let bytes = &stream[start..start + owned.encoded_len()];
                        found.push(check_pdu(owned.as_view(), bytes, max));
                    }
                    Ok(None) => break,
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
            }
            assert_eq!(
                splitter.stream_offset() + splitter.buffered(),
                fed,
                "every byte pushed is handed out or buffered"
            );
        }
        assert_eq!(found, expected, "the splitter finds the one-shot PDUs");
        match (&end, failed) {
            (Ok(()), None) => {
                assert_eq!(splitter.stream_offset(), pos);
                assert_eq!(splitter.buffered(), stream.len() - pos);
                assert_eq!(splitter.next_pdu(), Ok(None));
            }
            (Err(e), Some(f)) => {
                assert_eq!(*e, f, "the same error at the same stream offset");
                assert_eq!(splitter.next_pdu(), Err(f.clone()), "and again");
                splitter.push(b"\x00\x01");
                assert_eq!(splitter.next_pdu(), Err(f), "even after more bytes");
            }
            (end, failed) => panic!("one-shot ended {end:?}, the splitter {failed:?}"),
        }
    }
});
