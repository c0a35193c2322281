//! Restarts: after a clean close, after a kill, and what is persisted when.

mod common;

use std::fs;
use std::time::{Duration, Instant};

use common::*;
use fieldbridge_outbox::{Config, CursorState, Error, Outbox, SyncPolicy};

#[test]
fn after_a_clean_close_nothing_acknowledged_is_replayed_and_nothing_unacknowledged_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let mut ob = open(dir.path(), &small());
    append_range(&mut ob, 1..=40);
    drain(&mut ob);
    let acked: Vec<u64> = (1..=40).filter(|s| s % 4 != 0).collect();
    for &s in &acked {
        ob.ack(s).unwrap();
    }
    ob.close().unwrap();

    let (mut ob, rec) = Outbox::open(dir.path(), small()).unwrap();
    assert_eq!(rec.cursor, CursorState::Ok);
    assert_eq!(rec.low_water, Some(3));
    assert_eq!(rec.last_seq, Some(40));
    assert_eq!((rec.bytes_truncated, rec.corrupt_regions), (0, 0));
    let got = drain(&mut ob);
    // Everything unacknowledged comes back; of the acknowledged ones only those above the low-water
    // mark (acknowledged out of order) may, as duplicates.
    let unacked: Vec<u64> = (1..=40).filter(|s| !acked.contains(s)).collect();
    let got_seqs = seqs(&got);
    assert!(unacked.iter().all(|s| got_seqs.contains(s)));
    assert!(got_seqs.iter().all(|&s| s > 3));
    assert!(got.iter().all(|r| r.payload == payload(r.seq)));
}

#[test]
fn after_a_clean_close_with_everything_acknowledged_nothing_is_replayed() {
    let dir = tempfile::tempdir().unwrap();
    let mut ob = open(dir.path(), &small());
    append_range(&mut ob, 1..=20);
    for s in (1..=20).rev() {
        ob.ack(s).unwrap();
    }
    ob.close().unwrap();
    let (mut ob, rec) = Outbox::open(dir.path(), small()).unwrap();
    assert_eq!(rec.pending, 0);
    assert!(drain(&mut ob).is_empty());
    assert_eq!(ob.last_seq(), Some(20));
}

#[test]
fn after_a_kill_nothing_is_lost_and_duplicates_come_only_from_above_the_persisted_low_water_mark() {
    let dir = tempfile::tempdir().unwrap();
    let mut ob = open(dir.path(), &small());
    let t0 = Instant::now();
    append_range(&mut ob, 1..=30);
    drain(&mut ob);
    for s in 1..=10 {
        ob.ack(s).unwrap();
    }
    assert!(
        ob.maybe_sync(t0).unwrap(),
        "the first maybe_sync persists the cursor"
    );
    for s in 11..=20 {
        ob.ack(s).unwrap();
    }
    append_range(&mut ob, 31..=35);
    drop(ob); // no close, no sync: kill -9 with the page cache intact

    let (mut ob, rec) = Outbox::open(dir.path(), small()).unwrap();
    assert_eq!(rec.low_water, Some(10));
    assert_eq!(rec.last_seq, Some(35));
    let got = seqs(&drain(&mut ob));
    // Nothing unacknowledged is lost; anything else handed out again lies above the persisted mark
    // (segments fully acknowledged before the kill are gone, so fewer duplicates is fine).
    assert!((21..=35).all(|s| got.contains(&s)), "{got:?}");
    assert!(got.iter().all(|&s| s > 10), "{got:?}");
    assert!(got.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(ob.last_seq(), Some(35));
}

#[test]
fn seq_order_is_enforced_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let mut ob = open(dir.path(), &small());
    append_range(&mut ob, 1..=5);
    drop(ob);
    let mut ob = open(dir.path(), &small());
    assert!(matches!(
        ob.append(5, b"x"),
        Err(Error::SeqNotIncreasing { seq: 5, last: 5 })
    ));
    ob.append(6, b"x").unwrap();
}

#[test]
fn the_last_seq_survives_when_every_segment_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let mut ob = open(dir.path(), &small());
    append_range(&mut ob, 1..=50);
    for s in 1..=50 {
        ob.ack(s).unwrap();
    }
    ob.close().unwrap();
    for f in segment_files(dir.path()) {
        fs::remove_file(f).unwrap();
    }
    let (mut ob, rec) = Outbox::open(dir.path(), small()).unwrap();
    assert_eq!((rec.segments, rec.last_seq), (0, Some(50)));
    assert_eq!(ob.last_seq(), Some(50));
    assert!(matches!(
        ob.append(50, b"x"),
        Err(Error::SeqNotIncreasing { .. })
    ));
    ob.append(51, b"x").unwrap();
    assert_eq!(seqs(&drain(&mut ob)), [51]);
}

#[test]
fn interval_sync_happens_only_when_the_caller_clock_says_the_interval_elapsed() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = Config {
        sync: SyncPolicy::Interval(Duration::from_millis(100)),
        ..small()
    };
    let mut ob = open(dir.path(), &cfg);
    let t0 = Instant::now();
    assert!(!ob.maybe_sync(t0).unwrap(), "nothing to sync yet");
    ob.append(1, b"a").unwrap();
    assert!(ob.maybe_sync(t0).unwrap());
    ob.append(2, b"b").unwrap();
    assert!(!ob.maybe_sync(t0 + Duration::from_millis(99)).unwrap());
    assert!(ob.maybe_sync(t0 + Duration::from_millis(100)).unwrap());
    assert!(
        !ob.maybe_sync(t0 + Duration::from_millis(500)).unwrap(),
        "nothing new"
    );
    // The cursor went out with the sync.
    drop(ob);
    let (_, rec) = Outbox::open(dir.path(), cfg).unwrap();
    assert_eq!((rec.cursor, rec.last_seq), (CursorState::Ok, Some(2)));
}

#[test]
fn under_always_the_cursor_is_persisted_at_most_once_per_cursor_interval() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = Config {
        sync: SyncPolicy::Always,
        ..small()
    };
    let mut ob = open(dir.path(), &cfg);
    let t0 = Instant::now();
    append_range(&mut ob, 1..=3);
    ob.ack(1).unwrap();
    assert!(ob.maybe_sync(t0).unwrap());
    ob.ack(2).unwrap();
    assert!(!ob.maybe_sync(t0 + Duration::from_millis(999)).unwrap());
    drop(ob);
    let (mut ob, rec) = Outbox::open(dir.path(), cfg.clone()).unwrap();
    assert_eq!(rec.low_water, Some(1));
    assert_eq!(seqs(&drain(&mut ob)), [2, 3]);
    ob.ack(2).unwrap();
    assert!(ob.maybe_sync(t0 + Duration::from_secs(1)).unwrap());
    drop(ob);
    let (_, rec) = Outbox::open(dir.path(), cfg).unwrap();
    assert_eq!(rec.low_water, Some(2));
}

#[test]
fn a_damaged_cursor_file_means_redelivery_not_loss() {
    let dir = tempfile::tempdir().unwrap();
    let mut ob = open(dir.path(), &small());
    append_range(&mut ob, 1..=5);
    ob.ack(1).unwrap();
    ob.ack(2).unwrap();
    ob.close().unwrap();
    fs::write(dir.path().join("cursor"), b"garbage").unwrap();
    fs::write(dir.path().join("cursor.tmp"), b"left by a crash").unwrap();
    let (mut ob, rec) = Outbox::open(dir.path(), small()).unwrap();
    assert_eq!(rec.cursor, CursorState::Corrupt);
    assert_eq!(seqs(&drain(&mut ob)), [1, 2, 3, 4, 5]);
    assert_eq!(ob.last_seq(), Some(5));
    assert!(!dir.path().join("cursor.tmp").exists());
}

#[test]
fn segments_fully_acknowledged_before_a_kill_are_deleted_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let mut ob = open(dir.path(), &small());
    append_range(&mut ob, 1..=30);
    let files = segment_files(dir.path()).len();
    // Acknowledge the first half, persist the mark, then die before acknowledging more.
    for s in 1..=15 {
        ob.ack(s).unwrap();
    }
    ob.sync().unwrap();
    drop(ob);
    let (mut ob, rec) = Outbox::open(dir.path(), small()).unwrap();
    assert!(segment_files(dir.path()).len() < files);
    assert_eq!(rec.pending, 15);
    assert_eq!(seqs(&drain(&mut ob)), (16..=30).collect::<Vec<_>>());
}

#[test]
fn a_delivered_active_segment_is_reclaimed_by_the_next_append_and_numbering_survives_a_kill() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = Config {
        reclaim_bytes: 64,
        ..small()
    };
    let mut ob = open(dir.path(), &cfg);
    append_range(&mut ob, 1..=5);
    for s in 1..=5 {
        ob.ack(s).unwrap();
    }
    // The ack leaves the active segment; the next append starts a new one and deletes it.
    assert_eq!(segment_files(dir.path()).len(), 1);
    let before = segment_files(dir.path());
    append_range(&mut ob, 6..=6);
    let after = segment_files(dir.path());
    assert_eq!(after.len(), 1);
    assert_ne!(before, after, "the delivered segment is gone");
    assert_eq!(ob.disk_bytes(), fs::metadata(&after[0]).unwrap().len());
    drop(ob); // a kill: the cursor was never synced after the acks
    let (mut ob, rec) = Outbox::open(dir.path(), cfg).unwrap();
    assert_eq!(rec.last_seq, Some(6));
    assert_eq!(seqs(&drain(&mut ob)), [6]);
    assert!(matches!(
        ob.append(6, b"x"),
        Err(Error::SeqNotIncreasing { seq: 6, last: 6 })
    ));
    ob.append(7, b"x").unwrap();
}
