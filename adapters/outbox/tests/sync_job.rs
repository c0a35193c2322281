//! Sync jobs: the periodic fsync and cursor write run on another thread than the outbox's.

mod common;

use std::fs;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::*;
use fieldbridge_outbox::{Config, CursorState, Error, Outbox, SyncPolicy};

fn every_100ms() -> Config {
    Config {
        sync: SyncPolicy::Interval(Duration::from_millis(100)),
        ..small()
    }
}

#[test]
fn a_job_run_on_another_thread_persists_what_was_appended_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = every_100ms();
    let mut ob = open(dir.path(), &cfg);
    let t0 = Instant::now();
    assert!(ob.sync_job(t0).unwrap().is_none(), "nothing to sync yet");
    append_range(&mut ob, 1..=20);
    drain(&mut ob);
    for s in 1..=5 {
        ob.ack(s).unwrap();
    }
    let job = ob.sync_job(t0).unwrap().expect("due: data and cursor");
    assert!(job.syncs_data() && job.writes_cursor());
    assert!(ob.sync_in_flight());
    // While it is in flight no second job is handed out, however late it gets.
    assert!(ob.sync_job(t0 + Duration::from_secs(5)).unwrap().is_none());
    // The outbox goes on appending and acknowledging meanwhile, and rolls segments.
    let segments = ob.segment_count();
    append_range(&mut ob, 21..=40);
    assert!(ob.segment_count() > segments);
    ob.ack(6).unwrap();
    thread::spawn(move || job.run()).join().unwrap();
    // Taken up at the next call; not due again before the interval.
    assert!(ob
        .sync_job(t0 + Duration::from_millis(99))
        .unwrap()
        .is_none());
    assert!(!ob.sync_in_flight());
    drop(ob); // as a kill: no close

    let (mut ob, rec) = Outbox::open(dir.path(), cfg).unwrap();
    assert_eq!(rec.cursor, CursorState::Ok);
    assert_eq!(rec.low_water, Some(5), "the cursor the job took");
    assert_eq!(rec.last_seq, Some(40));
    let got = drain(&mut ob);
    assert_eq!(seqs(&got), (6..=40).collect::<Vec<_>>());
    assert!(got.iter().all(|r| r.payload == payload(r.seq)));
}

#[test]
fn the_next_job_comes_once_the_interval_has_elapsed_and_only_with_something_to_write() {
    let dir = tempfile::tempdir().unwrap();
    let mut ob = open(dir.path(), &every_100ms());
    let t0 = Instant::now();
    ob.append(1, b"a").unwrap();
    ob.sync_job(t0).unwrap().unwrap().run();
    ob.append(2, b"b").unwrap();
    assert!(ob
        .sync_job(t0 + Duration::from_millis(99))
        .unwrap()
        .is_none());
    let job = ob
        .sync_job(t0 + Duration::from_millis(100))
        .unwrap()
        .unwrap();
    assert!(job.syncs_data() && job.writes_cursor());
    job.run();
    assert!(
        ob.sync_job(t0 + Duration::from_secs(1)).unwrap().is_none(),
        "nothing new"
    );
    // An acknowledgement alone moves only the cursor.
    drain(&mut ob);
    ob.ack(1).unwrap();
    let job = ob.sync_job(t0 + Duration::from_secs(2)).unwrap().unwrap();
    assert!(!job.syncs_data() && job.writes_cursor());
    job.run();
    ob.close().unwrap();
}

#[test]
fn under_always_a_job_only_persists_the_cursor_since_appends_sync_themselves() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = Config {
        sync: SyncPolicy::Always,
        ..small()
    };
    let mut ob = open(dir.path(), &cfg);
    let t0 = Instant::now();
    append_range(&mut ob, 1..=3);
    let job = ob.sync_job(t0).unwrap().unwrap();
    assert!(!job.syncs_data() && job.writes_cursor());
    job.run();
    drain(&mut ob);
    ob.ack(1).unwrap();
    assert!(ob
        .sync_job(t0 + Duration::from_millis(999))
        .unwrap()
        .is_none());
    ob.sync_job(t0 + Duration::from_secs(1))
        .unwrap()
        .unwrap()
        .run();
    drop(ob);
    let (_, rec) = Outbox::open(dir.path(), cfg).unwrap();
    assert_eq!((rec.low_water, rec.last_seq), (Some(1), Some(3)));
}

#[test]
fn close_waits_for_the_job_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = every_100ms();
    let mut ob = open(dir.path(), &cfg);
    append_range(&mut ob, 1..=10);
    let job = ob.sync_job(Instant::now()).unwrap().unwrap();
    let running = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&running);
    let worker = thread::spawn(move || {
        thread::sleep(Duration::from_millis(300));
        flag.store(true, Ordering::SeqCst);
        job.run();
    });
    append_range(&mut ob, 11..=12);
    let started = Instant::now();
    ob.close().unwrap();
    assert!(
        running.load(Ordering::SeqCst),
        "close returned before the job ran"
    );
    assert!(started.elapsed() >= Duration::from_millis(200));
    // The directory is free as soon as close returns, with the job's thread maybe not done yet.
    let (mut ob, rec) = Outbox::open(dir.path(), cfg).unwrap();
    assert_eq!((rec.cursor, rec.last_seq), (CursorState::Ok, Some(12)));
    assert_eq!(seqs(&drain(&mut ob)), (1..=12).collect::<Vec<_>>());
    worker.join().unwrap();
}

#[test]
fn sync_and_maybe_sync_wait_for_the_job_in_flight_too() {
    let dir = tempfile::tempdir().unwrap();
    let mut ob = open(dir.path(), &every_100ms());
    let t0 = Instant::now();
    ob.append(1, b"a").unwrap();
    let job = ob.sync_job(t0).unwrap().unwrap();
    let worker = thread::spawn(move || {
        thread::sleep(Duration::from_millis(100));
        job.run();
    });
    ob.sync().unwrap();
    assert!(!ob.sync_in_flight());
    ob.append(2, b"b").unwrap();
    let job = ob.sync_job(t0 + Duration::from_secs(1)).unwrap().unwrap();
    let worker2 = thread::spawn(move || {
        thread::sleep(Duration::from_millis(100));
        job.run();
    });
    assert!(
        !ob.maybe_sync(t0 + Duration::from_secs(1)).unwrap(),
        "the job did it"
    );
    assert!(!ob.sync_in_flight());
    worker.join().unwrap();
    worker2.join().unwrap();
}

#[test]
fn a_failed_job_surfaces_as_an_error_and_is_retried() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("outbox");
    let moved = dir.path().join("moved");
    let cfg = every_100ms();
    let mut ob = open(&path, &cfg);
    let t0 = Instant::now();
    append_range(&mut ob, 1..=5);
    let job = ob.sync_job(t0).unwrap().unwrap();
    // The cursor's temporary file cannot be created where the outbox was.
    fs::rename(&path, &moved).unwrap();
    job.run();
    fs::rename(&moved, &path).unwrap();
    let err = ob.sync_job(t0).unwrap_err();
    assert!(
        matches!(&err, Error::Io { op: "create", .. }),
        "the job's own error: {err}"
    );
    assert!(err.to_string().contains("cursor.tmp"), "{err}");
    // Reported once; what failed is due again at once, data included.
    let job = ob.sync_job(t0).unwrap().expect("retried without waiting");
    assert!(job.syncs_data() && job.writes_cursor());
    job.run();
    assert!(ob.sync_job(t0).unwrap().is_none());
    drop(ob);
    let (_, rec) = Outbox::open(&path, cfg).unwrap();
    assert_eq!((rec.cursor, rec.last_seq), (CursorState::Ok, Some(5)));
}

#[test]
fn a_failed_job_surfaces_from_maybe_sync_and_close_too() {
    for closing in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("outbox");
        let moved = dir.path().join("moved");
        let mut ob = open(&path, &every_100ms());
        let t0 = Instant::now();
        ob.append(1, b"a").unwrap();
        let job = ob.sync_job(t0).unwrap().unwrap();
        fs::rename(&path, &moved).unwrap();
        job.run();
        fs::rename(&moved, &path).unwrap();
        let err = if closing {
            ob.close().unwrap_err()
        } else {
            let err = ob.maybe_sync(t0).unwrap_err();
            assert!(ob.maybe_sync(t0).unwrap(), "then done inline");
            ob.close().unwrap();
            err
        };
        assert!(err.to_string().contains("cursor.tmp"), "{err}");
        let (_, rec) = Outbox::open(&path, every_100ms()).unwrap();
        assert_eq!((rec.cursor, rec.last_seq), (CursorState::Ok, Some(1)));
    }
}

#[test]
fn a_job_keeps_the_directory_locked_after_its_outbox_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = every_100ms();
    let mut ob = open(dir.path(), &cfg);
    ob.append(1, b"a").unwrap();
    let job = ob.sync_job(Instant::now()).unwrap().unwrap();
    drop(ob);
    assert!(matches!(
        Outbox::open(dir.path(), cfg.clone()),
        Err(Error::Locked { .. })
    ));
    job.run();
    let (_, rec) = Outbox::open(dir.path(), cfg).unwrap();
    assert_eq!((rec.cursor, rec.last_seq), (CursorState::Ok, Some(1)));
}

#[test]
fn a_job_dropped_without_running_is_done_again() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = every_100ms();
    let mut ob = open(dir.path(), &cfg);
    let t0 = Instant::now();
    ob.append(1, b"a").unwrap();
    drop(ob.sync_job(t0).unwrap().unwrap());
    let job = ob.sync_job(t0).unwrap().expect("due again, no error");
    assert!(job.syncs_data() && job.writes_cursor());
    drop(job);
    ob.close().unwrap();
    let (_, rec) = Outbox::open(dir.path(), cfg).unwrap();
    assert_eq!((rec.cursor, rec.last_seq), (CursorState::Ok, Some(1)));
}
