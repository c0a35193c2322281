//! The serial-line splitter: frames split at every byte, shared and idle flags, garbage, resync.

use crate::common::*;
use fieldbridge_dlms::hdlc::{self, Frame, OwnedFrame, Splitter};
use fieldbridge_dlms::{Checksum, Error};

fn drain(s: &mut Splitter) -> Vec<OwnedFrame> {
    let mut out = Vec::new();
    while let Some(f) = s.next_frame() {
        out.push(f.to_owned_frame());
    }
    out
}

fn expected(vectors: &[&str]) -> Vec<OwnedFrame> {
    vectors
        .iter()
        .map(|v| whole(&bytes(v)).to_owned_frame())
        .collect()
}

#[test]
fn every_vector_split_at_every_byte_position_decodes_once() {
    for v in ALL {
        let bytes = bytes(v);
        for cut in 0..=bytes.len() {
            assert_eq!(
                hdlc::decode(&bytes[..cut]).map(|r| r.is_some()),
                Ok(cut == bytes.len()),
                "{v} cut at {cut}"
            );
            let mut s = Splitter::new();
            s.push(&bytes[..cut]);
            let mut frames = drain(&mut s);
            s.push(&bytes[cut..]);
            frames.extend(drain(&mut s));
            assert_eq!(frames, expected(&[v]), "{v} cut at {cut}");
            assert_eq!(s.discarded(), 0);
        }
    }
}

#[test]
fn all_vectors_fed_one_byte_at_a_time_come_out_in_order() {
    let stream: Vec<u8> = ALL.iter().flat_map(|v| bytes(v)).collect();
    let mut s = Splitter::new();
    let mut frames = Vec::new();
    for b in &stream {
        s.push(std::slice::from_ref(b));
        frames.extend(drain(&mut s));
    }
    assert_eq!(frames, expected(ALL));
    assert_eq!((s.discarded(), s.bad_frames()), (0, 0));
}

#[test]
fn frames_sharing_one_flag_are_both_found() {
    // SNRM ... 64 7E | A0 1F ... : the UA uses the SNRM's closing flag as its opening flag
    let mut stream = bytes(SNRM);
    stream.extend_from_slice(&bytes(UA)[1..]);
    stream.extend_from_slice(&bytes(RR)[1..]);
    let mut s = Splitter::new();
    s.push(&stream);
    assert_eq!(drain(&mut s), expected(&[SNRM, UA, RR]));
    assert_eq!(s.discarded(), 0);
}

#[test]
fn idle_flags_between_frames_are_not_garbage() {
    let mut stream = bytes(SNRM);
    stream.extend_from_slice(&[0x7E, 0x7E, 0x7E]);
    stream.extend_from_slice(&bytes(UA));
    let mut s = Splitter::new();
    s.push(&stream);
    assert_eq!(drain(&mut s), expected(&[SNRM, UA]));
    assert_eq!((s.discarded(), s.bad_frames()), (0, 0));
    assert!(!s.in_frame());
}

#[test]
fn garbage_before_and_between_frames_is_discarded_and_counted() {
    let mut stream = vec![0x00, 0xFF, 0xA0, 0x13];
    stream.extend_from_slice(&bytes(SNRM));
    stream.extend_from_slice(&[0x55, 0x55]);
    stream.extend_from_slice(&bytes(UA));
    let mut s = Splitter::new();
    s.push(&stream);
    assert_eq!(drain(&mut s), expected(&[SNRM, UA]));
    // 4 before; after the SNRM its closing flag is followed by 0x55, which cannot open a
    // frame: the flag only closed the SNRM (not counted), then 55 55.
    assert_eq!(s.discarded(), 4 + 2);
    assert_eq!(s.bad_frames(), 0);
}

#[test]
fn a_frame_with_a_bad_fcs_is_dropped_and_the_next_one_found() {
    let mut bad = bytes(I_AARE);
    bad[20] ^= 0x01;
    let mut stream = bad.clone();
    stream.extend_from_slice(&bytes(RR));
    let mut s = Splitter::new();
    s.push(&stream);
    assert_eq!(drain(&mut s), expected(&[RR]));
    assert!(matches!(
        s.last_error(),
        Some(Error::BadChecksum {
            which: Checksum::Fcs,
            ..
        })
    ));
    // The bad frame but its closing flag, which opened the RR... and then the RR's own flag.
    assert_eq!(s.discarded(), bad.len() as u64 - 1);
}

#[test]
fn a_flag_inside_garbage_that_looks_like_a_frame_start_is_hunted_past() {
    // 7E A0 FF 03 21 93 ..: a frame claiming 255 octets whose header fails nothing yet; the
    // splitter waits. A clear after the inter-octet timeout throws it away.
    let mut s = Splitter::new();
    s.push(&[0x7E, 0xA0, 0xFF, 0x03, 0x21, 0x93]);
    assert!(s.next_frame().is_none());
    assert!(s.in_frame());
    s.clear();
    assert_eq!(s.discarded(), 5);
    s.push(&bytes(RR));
    assert_eq!(drain(&mut s), expected(&[RR]));
}

#[test]
fn a_bad_hcs_resynchronises_on_the_next_flag() {
    let mut bad = bytes(I_AARQ);
    bad[7] ^= 0xFF;
    let mut stream = bad[..12].to_vec(); // the corrupt frame is cut short too
    stream.extend_from_slice(&bytes(UA));
    let mut s = Splitter::new();
    for chunk in stream.chunks(3) {
        s.push(chunk);
    }
    let frames = drain(&mut s);
    assert_eq!(frames, expected(&[UA]));
    assert_eq!(s.discarded(), 12);
}

#[test]
fn the_stream_keeps_the_frame_borrowed_until_the_next_call() {
    let mut s = Splitter::new();
    s.push(&bytes(UI_PUSH));
    let f: Frame<'_> = s.next_frame().unwrap();
    assert_eq!(f.info.len(), 569);
    assert!(s.next_frame().is_none());
    assert_eq!(s.buffered(), 1);
}

#[test]
fn a_hundred_and_sixty_thousand_frames_in_one_push_are_split_without_moving_bytes() {
    let rr = bytes(RR);
    let stream: Vec<u8> = rr
        .iter()
        .copied()
        .cycle()
        .take(rr.len() * 160_000)
        .collect();
    let mut s = Splitter::new();
    s.push(&stream);
    let mut n = 0;
    while s.next_frame().is_some() {
        n += 1;
    }
    assert_eq!(n, 160_000);
    // Handing out frames moves nothing: they are read from a cursor.
    assert_eq!(s.bytes_moved(), 0);
    assert_eq!((s.discarded(), s.bad_frames()), (0, 0));
}

#[test]
fn compaction_moves_at_most_as_many_bytes_as_were_pushed() {
    // Frames arriving in reads that cut them anywhere: each push may compact, but only once the
    // consumed prefix is half the buffer, so the bytes moved stay below the bytes pushed.
    let rr = bytes(RR);
    let stream: Vec<u8> = rr.iter().copied().cycle().take(rr.len() * 20_000).collect();
    let mut s = Splitter::new();
    let mut n = 0;
    for chunk in stream.chunks(13) {
        s.push(chunk);
        while s.next_frame().is_some() {
            n += 1;
        }
    }
    assert_eq!(n, 20_000);
    assert!(
        s.bytes_moved() <= stream.len() as u64,
        "{}",
        s.bytes_moved()
    );
    assert!(s.buffered() < 2 * rr.len());
}

#[test]
fn a_closing_flag_followed_by_noise_counts_the_noise_only() {
    // RR 7E | 00 | 7E RR: the 0x00 is noise; the flag before it closed the first RR.
    let mut stream = bytes(RR);
    stream.push(0x00);
    stream.extend_from_slice(&bytes(RR));
    let mut s = Splitter::new();
    s.push(&stream);
    assert_eq!(drain(&mut s), expected(&[RR, RR]));
    assert_eq!((s.discarded(), s.bad_frames()), (1, 0));
    assert_eq!(s.last_error(), None);
}

#[test]
fn a_shared_flag_that_opens_a_bad_frame_counts_a_bad_frame() {
    // RR 7E | A0 07 03 21 71 13 C4 (FCS one off) 7E | RR again sharing that flag.
    let rr = bytes(RR);
    let mut bad = rr[1..].to_vec();
    bad[6] ^= 0x01;
    let mut stream = rr.clone();
    stream.extend_from_slice(&bad);
    stream.extend_from_slice(&rr[1..]);
    let mut s = Splitter::new();
    s.push(&stream);
    assert_eq!(drain(&mut s), expected(&[RR, RR]));
    assert_eq!(s.bad_frames(), 1);
    // The shared flag that opened the bad frame and its 7 octets; its closing flag opened the
    // second RR.
    assert_eq!(s.discarded(), 8);
}
