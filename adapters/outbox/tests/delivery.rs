//! Appending, handing out, acknowledging, rewinding.

mod common;

use common::*;
use fieldbridge_outbox::{Config, Error, Outbox, RecordInfo};

#[test]
fn records_come_out_in_order_and_their_segments_go_once_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let mut ob = open(dir.path(), &small());
    append_range(&mut ob, 1..=50);
    assert!(ob.segment_count() > 5);
    assert_eq!(ob.pending_len(), 50);
    let got = drain(&mut ob);
    assert_eq!(seqs(&got), (1..=50).collect::<Vec<_>>());
    for r in &got {
        assert_eq!(r.payload, payload(r.seq));
        assert_eq!(r.appended_at_ms, 1_000 + r.seq);
    }
    for r in &got {
        assert!(ob.ack(r.seq).unwrap());
    }
    assert_eq!((ob.pending_len(), ob.pending_bytes()), (0, 0));
    assert_eq!(ob.low_water(), Some(50));
    // Only the segment being appended to is left.
    assert_eq!(ob.segment_count(), 1);
    assert_eq!(segment_files(dir.path()).len(), 1);
    assert!(ob.next_unsent().unwrap().is_none());
    ob.rewind();
    assert!(ob.next_unsent().unwrap().is_none());
}

#[test]
fn acks_in_any_order_move_the_low_water_mark_only_over_a_contiguous_run() {
    let dir = tempfile::tempdir().unwrap();
    let mut ob = open(dir.path(), &small());
    append_range(&mut ob, 1..=10);
    drain(&mut ob);
    assert!(ob.ack(3).unwrap());
    assert_eq!(ob.low_water(), None);
    assert!(ob.ack(1).unwrap());
    assert_eq!(ob.low_water(), Some(1));
    assert!(ob.ack(2).unwrap());
    assert_eq!(ob.low_water(), Some(3));
    assert!(ob.ack(10).unwrap());
    assert_eq!(ob.low_water(), Some(3));
    assert_eq!(ob.pending_len(), 6);
    for s in [9, 5, 7, 4, 8] {
        ob.ack(s).unwrap();
    }
    assert_eq!(ob.low_water(), Some(5));
    assert!(ob.ack(6).unwrap());
    assert_eq!(ob.low_water(), Some(10));
    assert_eq!(ob.pending_len(), 0);
}

#[test]
fn a_repeated_or_unknown_ack_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut ob = open(dir.path(), &small());
    append_range(&mut ob, [10, 20, 30]);
    assert!(ob.ack(20).unwrap());
    assert!(!ob.ack(20).unwrap());
    assert!(!ob.ack(15).unwrap());
    assert!(!ob.ack(99).unwrap());
    assert_eq!(ob.pending_len(), 2);
    assert!(ob.ack(10).unwrap());
    assert!(!ob.ack(10).unwrap());
    assert_eq!(ob.low_water(), Some(20), "seqs may have gaps");
}

#[test]
fn rewind_resends_exactly_the_unacknowledged_records_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut ob = open(dir.path(), &small());
    append_range(&mut ob, 1..=30);
    let first = drain(&mut ob);
    assert_eq!(first.len(), 30);
    let acked: Vec<u64> = (1..=30).filter(|s| s % 3 != 0 && *s != 4).collect();
    for &s in acked.iter().rev() {
        ob.ack(s).unwrap();
    }
    ob.rewind();
    let again = seqs(&drain(&mut ob));
    let expected: Vec<u64> = (1..=30).filter(|s| !acked.contains(s)).collect();
    assert_eq!(again, expected);
    // Rewinding in the middle of a resend starts over from the oldest unacknowledged one.
    ob.rewind();
    assert_eq!(ob.next_unsent().unwrap().map(|r| r.seq), Some(3));
    ob.ack(3).unwrap();
    ob.rewind();
    assert_eq!(ob.next_unsent().unwrap().map(|r| r.seq), Some(4));
}

#[test]
fn records_appended_after_everything_was_handed_out_come_next() {
    let dir = tempfile::tempdir().unwrap();
    let mut ob = open(dir.path(), &small());
    append_range(&mut ob, 1..=3);
    assert_eq!(seqs(&drain(&mut ob)), [1, 2, 3]);
    append_range(&mut ob, 4..=5);
    assert_eq!(seqs(&drain(&mut ob)), [4, 5]);
}

#[test]
fn the_oldest_pending_record_carries_its_append_time() {
    let dir = tempfile::tempdir().unwrap();
    let mut ob = open(dir.path(), &small());
    assert_eq!(ob.oldest_pending(), None);
    ob.append_at(7, b"a", 111).unwrap();
    ob.append_at(8, b"bc", 222).unwrap();
    assert_eq!(
        ob.oldest_pending(),
        Some(RecordInfo {
            seq: 7,
            appended_at_ms: 111,
            len: 1
        })
    );
    ob.ack(8).unwrap();
    assert_eq!(ob.oldest_pending().map(|r| r.seq), Some(7));
    ob.ack(7).unwrap();
    assert_eq!(ob.oldest_pending(), None);
    assert_eq!(ob.pending_bytes(), 0);
}

#[test]
fn pending_bytes_count_header_and_payload_of_unacknowledged_records() {
    let dir = tempfile::tempdir().unwrap();
    let mut ob = open(dir.path(), &small());
    ob.append_at(1, &[0; 10], 0).unwrap();
    ob.append_at(2, &[0; 20], 0).unwrap();
    let h = fieldbridge_outbox::HEADER_LEN as u64;
    assert_eq!(ob.pending_bytes(), 2 * h + 30);
    ob.ack(2).unwrap();
    assert_eq!(ob.pending_bytes(), h + 10);
    assert_eq!(ob.disk_bytes(), 2 * h + 30);
}

#[test]
fn a_batch_is_written_across_segments_and_read_back_whole() {
    let dir = tempfile::tempdir().unwrap();
    let mut ob = open(dir.path(), &small());
    let payloads: Vec<Vec<u8>> = (1..=40).map(payload).collect();
    let batch: Vec<(u64, &[u8])> = (1..=40).zip(payloads.iter().map(Vec::as_slice)).collect();
    ob.append_batch_at(&batch, 5).unwrap();
    assert!(ob.segment_count() > 3);
    assert_eq!(ob.last_seq(), Some(40));
    let got = drain(&mut ob);
    assert_eq!(seqs(&got), (1..=40).collect::<Vec<_>>());
    assert!(got
        .iter()
        .all(|r| r.payload == payload(r.seq) && r.appended_at_ms == 5));
}

#[test]
fn seqs_must_strictly_increase_and_a_bad_batch_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut ob = open(dir.path(), &small());
    ob.append(5, b"x").unwrap();
    assert!(matches!(
        ob.append(5, b"y"),
        Err(Error::SeqNotIncreasing { seq: 5, last: 5 })
    ));
    assert!(matches!(
        ob.append(4, b"y"),
        Err(Error::SeqNotIncreasing { seq: 4, last: 5 })
    ));
    let bytes = ob.disk_bytes();
    let r = ob.append_batch(&[(6, b"a"), (8, b"b"), (7, b"c")]);
    assert!(matches!(
        r,
        Err(Error::SeqNotIncreasing { seq: 7, last: 8 })
    ));
    assert_eq!((ob.disk_bytes(), ob.last_seq()), (bytes, Some(5)));
    ob.append(6, b"z").unwrap();
}

#[test]
fn a_payload_above_the_maximum_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut ob = open(dir.path(), &small());
    ob.append(1, &[0; 64]).unwrap();
    assert!(matches!(
        ob.append(2, &[0; 65]),
        Err(Error::PayloadTooLarge {
            seq: 2,
            len: 65,
            max: 64
        })
    ));
    assert_eq!(ob.last_seq(), Some(1));
}

#[test]
fn a_second_outbox_cannot_open_the_same_directory() {
    let dir = tempfile::tempdir().unwrap();
    let ob = open(dir.path(), &small());
    assert!(matches!(
        Outbox::open(dir.path(), small()),
        Err(Error::Locked { .. })
    ));
    drop(ob);
    assert!(Outbox::open(dir.path(), small()).is_ok());
}

#[test]
fn a_configuration_that_does_not_fit_together_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let tiny = Config {
        segment_bytes: 50,
        ..small()
    };
    assert!(matches!(
        Outbox::open(dir.path(), tiny),
        Err(Error::InvalidConfig {
            field: "segment_bytes",
            ..
        })
    ));
    let tight = Config {
        max_bytes: 100,
        ..small()
    };
    assert!(matches!(
        Outbox::open(dir.path(), tight),
        Err(Error::InvalidConfig {
            field: "max_bytes",
            ..
        })
    ));
    assert!(Config::default().validate().is_ok());
}
