//! DLMS HDLC frames (IEC 62056-46 clause 6.4, Green Book 8.4.3). Input: bytes 0..=2 are read
//! sizes used in turn (0: the rest of the stream at once), the rest is a serial line.
//!
//! - `hdlc::decode` on the line: the results of its prefixes are `Ok(None)` up to some length and
//!   the same result from there on (each check runs once its bytes are there, and never changes
//!   its mind), `Ok(None)` only when some completion of the bytes is a frame (one is built: any
//!   address form and information field the length allows, with the right HCS, FCS and flag),
//!   and an error points into the input. A frame re-encodes to its bytes through `Frame` and
//!   `OwnedFrame`, with `encoded_len` and `length_field` its lengths; the information field of
//!   an SNRM or UA that `Parameters::decode` accepts encodes (all four values, shortest form) to
//!   bytes that decode to the same parameters, and an FRMR's `FrameReject` re-encodes to its
//!   octets with the unused low bit of the second cleared.
//! - A `Splitter` fed the line in those reads hands out the frames that repeated one-shot decoding
//!   with the splitter's resync rule (hunt for a flag, skip idle flags, keep a closing flag as
//!   the next opening one, drop one byte after a bad frame; a flag before an octet that cannot
//!   open a frame, not 0xA0..=0xAF, closes one or idles: neither a bad frame nor discarded) finds
//!   on the whole line, with the same `discarded`, `bad_frames`, `last_error` and `buffered`; its
//!   counters add up (bytes pushed = discarded + idle and closing flags + frames without their
//!   shared closing flag + buffered), `in_frame`
//!   says whether the bytes kept hold more than flags, and `clear` counts those as discarded.
#![no_main]
use fieldbridge_dlms::crc::crc16;
use fieldbridge_dlms::hdlc::{
    self, Control, Frame, FrameReject, OwnedFrame, Parameters, Splitter, FLAG, MAX_LENGTH,
};
use fieldbridge_dlms::Error;

/// A frame found at the start of `bytes` (its length): every re-encoding gives its bytes.
fn check_frame(frame: &Frame<'_>, bytes: &[u8]) {
    assert_eq!(frame.encoded_len(), bytes.len());
    assert_eq!(frame.length_field() + 2, bytes.len());
    assert!(frame.length_field() <= MAX_LENGTH);
    assert_eq!(frame.segmented, bytes[1] & hdlc::SEGMENTED != 0);
    assert_eq!(
        frame.control.to_octet(),
        bytes[3 + frame.destination.octets() + frame.source.octets()]
    );
    assert_eq!(Control::from_octet(frame.control.to_octet()), frame.control);
    assert!(frame.info.len() <= Frame::max_info_len(&frame.destination, &frame.source));
    let mut out = vec![0xEE];
    frame.encode(&mut out).expect("a decoded frame encodes");
    assert_eq!(out[1..], *bytes, "the view re-encodes to its bytes");
    let owned: OwnedFrame = frame.to_owned_frame();
    assert_eq!(owned.as_frame(), *frame);
    assert_eq!(owned.encoded_len(), bytes.len());
    let mut out = Vec::new();
    owned.encode(&mut out).expect("the owned frame encodes");
    assert_eq!(out, bytes, "the owned frame re-encodes to its bytes");

    match frame.control {
        Control::Snrm { .. } | Control::Ua { .. } => {
            if let Ok(params) = Parameters::decode(frame.info) {
                let encoded = params.to_bytes();
                assert_eq!(encoded.len(), params.encoded_len());
                assert_eq!(
                    Parameters::decode(&encoded),
                    Ok(params),
                    "parameters round trip"
                );
                assert!((1..=7).contains(&params.window_tx) && (1..=7).contains(&params.window_rx));
                assert!(params.max_info_tx >= 1 && params.max_info_rx >= 1);
                assert_eq!(params.negotiate(&Parameters::default()).window_tx, 1);
            }
        }
        Control::Frmr { .. } => {
            if let Ok(reject) = FrameReject::decode(frame.info) {
                let octets = reject.to_bytes();
                assert_eq!(octets[0], frame.info[0]);
                assert_eq!(octets[1], frame.info[1] & 0xFE);
                assert_eq!(octets[2], frame.info[2]);
                assert_eq!(FrameReject::decode(&octets), Ok(reject));
            }
        }
        _ => {}
    }
}

/// `hdlc::decode` checks the HCS and the FCS once both their octets are there, though the first
/// alone may already be wrong (`7E A0 07 03 21 93 00` is `Ok(None)` although no FCS starting
/// with 00 fits): the error carries the check sequence found, and a decision on one octet
/// would have to report half of it, on every line (a check never changes its mind). The
/// completion check forgives that one octet. (The length field, by contrast, is checked
/// against the address octets as each arrives: `7E A0 08 36 28` is an error.)
const LATE_CHECKSUMS: bool = true;

/// Whether some bytes after `p` make a whole frame of it: every address form and information
/// field its length field allows, tried with the right checksums.
fn completable(p: &[u8]) -> bool {
    if p.len() < 3 {
        return true;
    }
    let len = (usize::from(p[1] & 0x07) << 8) | usize::from(p[2]);
    for d in [1usize, 2, 4] {
        for s in [1usize, 2, 4] {
            let header_end = 3 + d + s + 1;
            let fcs_at = len - 1;
            if fcs_at < header_end || (fcs_at > header_end && fcs_at < header_end + 3) {
                continue;
            }
            let total = len + 2;
            if p.len() >= total {
                continue;
            }
            let mut cand = vec![0u8; total];
            cand[..p.len()].copy_from_slice(p);
            let mut ok = true;
            // Addresses: the low bit set on the last octet only.
            for (start, n) in [(3, d), (3 + d, s)] {
                for i in 0..n {
                    let want = u8::from(i + 1 == n);
                    if start + i < p.len() {
                        ok &= p[start + i] & 1 == want;
                    } else {
                        cand[start + i] = 0x02 | want;
                    }
                }
            }
            let mut fix = |cand: &mut Vec<u8>, at: usize| {
                let crc = crc16(&cand[1..at]).to_le_bytes();
                // A checksum with one octet there is not checked yet (see LATE_CHECKSUMS).
                let late = LATE_CHECKSUMS && at + 1 == p.len();
                for i in 0..2 {
                    if at + i < p.len() && !late {
                        ok &= p[at + i] == crc[i];
                    } else {
                        cand[at + i] = crc[i];
                    }
                }
            };
            if fcs_at > header_end {
                fix(&mut cand, header_end);
            }
            fix(&mut cand, fcs_at);
            cand[total - 1] = FLAG;
            if ok {
                let (frame, n) = hdlc::decode(&cand)
                    .expect("the completion decodes")
                    .expect("the completion is whole");
                assert_eq!(n, total);
                check_frame(&frame, &cand);
                return true;
            }
        }
    }
    false
}

/// One-shot decoding of `line` and of each of its prefixes.
fn one_shot(line: &[u8]) {
    let whole = hdlc::decode(line);
    // Prefixes: Ok(None) up to some length, then the result of the whole line.
    let mut settled = None;
    for k in 0..=line.len() {
        let r = hdlc::decode(&line[..k]);
        if let Ok(None) = r {
            assert!(
                settled.is_none(),
                "Ok(None) after {settled:?} at length {k}"
            );
            continue;
        }
        assert_eq!(r, whole, "a prefix of {k} bytes decides as the whole line");
        settled = Some(k);
        break;
    }
    match whole {
        Ok(Some((frame, len))) => {
            assert_eq!(settled, Some(len), "a frame is decided by its last byte");
            check_frame(&frame, &line[..len]);
        }
        Ok(None) => assert!(
            completable(line),
            "Ok(None) for bytes that no completion makes a frame: {line:02X?}"
        ),
        Err(e) => {
            assert!(e.offset() < line.len(), "{e:?} points into the input");
            let k = settled.expect("an error is decided");
            assert!(
                e.offset() < k,
                "{e:?} is within the {k} bytes that decided it"
            );
        }
    }
}

#[derive(Debug, Default)]
struct Found {
    frames: Vec<(usize, OwnedFrame)>,
    discarded: u64,
    bad_frames: u64,
    last_error: Option<Error>,
    /// Idle flags skipped (a flag directly followed by another) and closing flags followed by
    /// an octet that cannot open a frame.
    idle: usize,
    buffered: usize,
}

/// Repeated one-shot decoding of the whole line with the splitter's resync rule.
fn resync(line: &[u8]) -> Found {
    let mut found = Found::default();
    let mut at = 0;
    loop {
        let Some(flag) = line[at..].iter().position(|&b| b == FLAG) else {
            found.discarded += (line.len() - at) as u64;
            return found;
        };
        found.discarded += flag as u64;
        at += flag;
        while line.get(at + 1) == Some(&FLAG) {
            at += 1;
            found.idle += 1;
        }
        match hdlc::decode(&line[at..]) {
            Ok(None) => {
                found.buffered = line.len() - at;
                return found;
            }
            Ok(Some((frame, len))) => {
                check_frame(&frame, &line[at..at + len]);
                found.frames.push((len, frame.to_owned_frame()));
                at += len - 1;
            }
            Err(e) => {
                // Only a frame format octet after the flag makes a bad frame.
                if line
                    .get(at + 1)
                    .is_some_and(|b| b & 0xF0 == hdlc::FORMAT_TYPE_3)
                {
                    found.bad_frames += 1;
                    found.last_error = Some(e);
                    found.discarded += 1;
                } else {
                    found.idle += 1;
                }
                at += 1;
            }
        }
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let reads = [data[0], data[1], data[2]];
    let line = &data[3..];
    one_shot(line);

    let expected = resync(line);
    let framed: usize = expected.frames.iter().map(|(len, _)| len - 1).sum();
    assert_eq!(
        line.len() as u64,
        expected.discarded + (expected.idle + framed + expected.buffered) as u64,
        "every byte is discarded, an idle flag, in a frame or buffered"
    );

    let mut splitter = Splitter::new();
    let mut frames = Vec::new();
    let mut fed = 0;
    let mut turn = 0;
    let mut before = 0;
    while fed < line.len() {
        let size = match reads[turn % reads.len()] {
            0 => line.len() - fed,
            n => usize::from(n).min(line.len() - fed),
        };
        turn += 1;
        splitter.push(&line[fed..fed + size]);
        fed += size;
        while let Some(frame) = splitter.next_frame() {
            frames.push(frame.to_owned_frame());
            assert!(
                frames.len() <= expected.frames.len(),
                "more frames than one-shot"
            );
        }
        assert!(splitter.discarded() >= before, "discarded only grows");
        before = splitter.discarded();
        assert!(splitter.discarded() <= expected.discarded);
        assert!(splitter.bad_frames() <= expected.bad_frames);
        assert!(splitter.buffered() <= fed);
    }
    let wanted: Vec<OwnedFrame> = expected.frames.iter().map(|(_, f)| f.clone()).collect();
    assert_eq!(frames, wanted, "the splitter hands out the one-shot frames");
    assert_eq!(splitter.discarded(), expected.discarded, "discarded");
    assert_eq!(splitter.bad_frames(), expected.bad_frames, "bad_frames");
    assert_eq!(
        splitter.last_error(),
        expected.last_error.as_ref(),
        "last_error"
    );
    assert_eq!(splitter.buffered(), expected.buffered, "buffered");
    assert!(
        splitter.next_frame().is_none(),
        "nothing more without bytes"
    );

    let kept = &line[line.len() - expected.buffered..];
    let content = kept.iter().filter(|&&b| b != FLAG).count();
    assert_eq!(splitter.in_frame(), content > 0, "in_frame");
    splitter.clear();
    assert_eq!(
        splitter.discarded(),
        expected.discarded + content as u64,
        "clear counts"
    );
    assert_eq!(splitter.buffered(), 0);
    assert!(!splitter.in_frame());
});
