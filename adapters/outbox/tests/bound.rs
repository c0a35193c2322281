//! The bound on the outbox's size: drop oldest, or back-pressure.

mod common;

use common::*;
use fieldbridge_outbox::{Config, Error, WhenFull, HEADER_LEN};

fn bounded(when_full: WhenFull) -> Config {
    Config {
        max_bytes: 1024,
        when_full,
        ..small()
    }
}

#[test]
fn drop_oldest_drops_whole_oldest_segments_and_counts_them() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = bounded(WhenFull::DropOldest);
    let mut ob = open(dir.path(), &cfg);
    let one = (HEADER_LEN + payload(1).len()) as u64;
    let mut dropped = 0;
    let mut dropped_segments = 0;
    for seq in 1..=200 {
        let out = ob.append_at(seq, &payload(seq), 0).unwrap();
        dropped += out.dropped_records;
        dropped_segments += out.dropped_segments;
        assert!(ob.disk_bytes() <= cfg.max_bytes);
        assert!(ob.pending_bytes() <= cfg.max_bytes + one);
    }
    assert!(dropped_segments > 10);
    assert_eq!(dropped, ob.dropped_total());
    let got = drain(&mut ob);
    assert_eq!(got.len() as u64 + dropped, 200);
    // What is left is the newest records, without a hole.
    let first = got[0].seq;
    assert_eq!(seqs(&got), (first..=200).collect::<Vec<_>>());
    // Records go by whole segments: seven to a segment here.
    assert_eq!(dropped % 7, 0);
}

#[test]
fn drop_oldest_counts_only_unacknowledged_records_as_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let mut ob = open(dir.path(), &bounded(WhenFull::DropOldest));
    append_range(&mut ob, 1..=28);
    drain(&mut ob);
    // Acknowledge the second record of every segment so no segment is fully acknowledged.
    for s in (2..=28).step_by(7) {
        ob.ack(s).unwrap();
    }
    let mut dropped = 0;
    let mut segments = 0;
    for seq in 29..=40 {
        let out = ob.append_at(seq, &payload(seq), 0).unwrap();
        dropped += out.dropped_records;
        segments += out.dropped_segments;
    }
    assert!(segments > 0);
    assert_eq!(dropped, segments * 6);
    // Acks for dropped records are ignored.
    assert!(!ob.ack(1).unwrap());
    ob.rewind();
    let got = seqs(&drain(&mut ob));
    assert_eq!(got.len() as u64, 40 - 4 - dropped);
    assert_eq!(ob.pending_len(), 40 - 4 - dropped);
}

#[test]
fn backpressure_refuses_without_writing_and_accepts_again_once_acknowledgements_free_space() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = bounded(WhenFull::Backpressure);
    let mut ob = open(dir.path(), &cfg);
    let mut seq = 0;
    let err = loop {
        seq += 1;
        match ob.append_at(seq, &payload(seq), 0) {
            Ok(out) => assert_eq!(out.dropped_records, 0),
            Err(e) => break e,
        }
    };
    let Error::Full { needed, used, max } = err else {
        panic!("expected Full, got {err:?}");
    };
    assert_eq!(max, 1024);
    assert!(used + needed > max && used <= max);
    assert_eq!(ob.last_seq(), Some(seq - 1));
    assert_eq!(ob.disk_bytes(), used);
    // Still refused until a whole segment is acknowledged.
    for s in 1..=6 {
        ob.ack(s).unwrap();
    }
    assert!(matches!(
        ob.append_at(seq, &payload(seq), 0),
        Err(Error::Full { .. })
    ));
    ob.ack(7).unwrap();
    ob.append_at(seq, &payload(seq), 0).unwrap();
    assert_eq!(seqs(&drain(&mut ob)), (8..=seq).collect::<Vec<_>>());
}

#[test]
fn backpressure_refuses_a_whole_batch_that_does_not_fit() {
    let dir = tempfile::tempdir().unwrap();
    let mut ob = open(dir.path(), &bounded(WhenFull::Backpressure));
    let payloads: Vec<Vec<u8>> = (1..=40).map(payload).collect();
    let batch: Vec<(u64, &[u8])> = (1..=40).zip(payloads.iter().map(Vec::as_slice)).collect();
    assert!(matches!(
        ob.append_batch_at(&batch, 0),
        Err(Error::Full { used: 0, .. })
    ));
    assert_eq!(
        (ob.disk_bytes(), ob.last_seq(), ob.segment_count()),
        (0, None, 0)
    );
    ob.append_batch_at(&batch[..20], 0).unwrap();
    assert_eq!(ob.last_seq(), Some(20));
}
