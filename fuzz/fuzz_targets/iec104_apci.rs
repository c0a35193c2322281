//! IEC 104 stream splitting: the input is a TCP byte stream, split into reads of a size taken from
//! its length. The splitter fed read by read finds the same APDUs (and the same error, at the same
//! stream offset) as `apci::split` over the whole buffer, and every APDU re-encodes to its bytes.
#![no_main]
use fieldbridge_iec60870::apci::{self, StreamSplitter};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut whole = Vec::new();
    let mut split = apci::split(data);
    for result in split.by_ref() {
        whole.push(result.map(|apdu| {
            let mut out = Vec::new();
            apdu.encode(&mut out).expect("a decoded APDU encodes");
            out
        }));
    }
    let consumed: usize = whole.iter().flatten().map(Vec::len).sum();
    assert_eq!(consumed, split.consumed());
    assert_eq!(
        whole
            .iter()
            .flatten()
            .flatten()
            .copied()
            .collect::<Vec<u8>>(),
        data[..consumed],
        "APDUs re-encode to the bytes they came from"
    );

    let mut splitter = StreamSplitter::new();
    let mut pieces = Vec::new();
    'reads: for read in data.chunks(1 + data.len() % 13) {
        splitter.push(read);
        loop {
            match splitter.next_apdu() {
                Ok(Some(apdu)) => {
                    let mut out = Vec::new();
                    apdu.encode(&mut out).expect("a decoded APDU encodes");
                    pieces.push(Ok(out));
                }
                Ok(None) => break,
                Err(error) => {
                    pieces.push(Err(error));
                    break 'reads;
                }
            }
        }
    }
    assert_eq!(pieces, whole, "read by read == all at once");
});
