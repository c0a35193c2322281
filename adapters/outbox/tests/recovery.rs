//! Recovery from torn and damaged segments.

mod common;

use std::fs::{self, OpenOptions};
use std::io::{Seek, SeekFrom, Write};

use common::*;
use fieldbridge_outbox::{Config, Outbox, HEADER_LEN};

/// Bytes of one record of `payload(seq)` on disk.
fn record_len() -> u64 {
    (HEADER_LEN + payload(1).len()) as u64
}

#[test]
fn a_torn_last_record_is_cut_at_every_byte_offset_and_appends_continue_after_it() {
    let template = tempfile::tempdir().unwrap();
    let mut ob = open(template.path(), &small());
    append_range(&mut ob, 1..=20);
    ob.close().unwrap();
    let last = segment_files(template.path()).pop().unwrap();
    let full = fs::read(&last).unwrap();
    assert!(
        full.len() as u64 > record_len(),
        "the last segment has more than one record"
    );
    let start = full.len() - record_len() as usize;

    for cut in start..full.len() {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(template.path(), dir.path());
        let seg = dir.path().join(last.file_name().unwrap());
        fs::write(&seg, &full[..cut]).unwrap();

        let (mut ob, rec) = Outbox::open(dir.path(), small()).unwrap();
        assert_eq!(rec.bytes_truncated, (cut - start) as u64, "cut at {cut}");
        assert_eq!(rec.corrupt_regions, 0);
        assert_eq!(rec.records, 19);
        assert_eq!(
            rec.damage.iter().filter(|d| d.truncated).count(),
            usize::from(cut > start)
        );
        assert_eq!(fs::metadata(&seg).unwrap().len(), start as u64);
        // The number of the torn record stays used: the cursor file remembers it.
        assert_eq!(ob.last_seq(), Some(20));
        let got = drain(&mut ob);
        assert_eq!(seqs(&got), (1..=19).collect::<Vec<_>>());
        assert!(got.iter().all(|r| r.payload == payload(r.seq)));
        ob.append_at(21, &payload(21), 0).unwrap();
        assert_eq!(seqs(&drain(&mut ob)), [21]);
        drop(ob);

        let (mut ob, rec) = Outbox::open(dir.path(), small()).unwrap();
        assert_eq!(
            (rec.bytes_truncated, rec.corrupt_regions, rec.records),
            (0, 0, 20)
        );
        let mut want: Vec<u64> = (1..=19).collect();
        want.push(21);
        assert_eq!(seqs(&drain(&mut ob)), want);
    }
}

#[test]
fn a_torn_only_record_of_the_last_segment_removes_that_segment() {
    let dir = tempfile::tempdir().unwrap();
    let mut ob = open(dir.path(), &small());
    append_range(&mut ob, 1..=7);
    let before = segment_files(dir.path()).len();
    append_range(&mut ob, 8..=8);
    drop(ob);
    let files = segment_files(dir.path());
    assert_eq!(files.len(), before + 1, "record 8 starts a new segment");
    let last = files.last().unwrap();
    let bytes = fs::read(last).unwrap();
    fs::write(last, &bytes[..10]).unwrap();
    let (mut ob, rec) = Outbox::open(dir.path(), small()).unwrap();
    assert_eq!((rec.bytes_truncated, rec.segments_deleted), (10, 1));
    assert_eq!(seqs(&drain(&mut ob)), (1..=7).collect::<Vec<_>>());
    ob.append(9, b"x").unwrap();
    assert_eq!(seqs(&drain(&mut ob)), [9]);
}

#[test]
fn a_flipped_bit_in_an_old_segment_loses_only_that_record_and_is_counted() {
    let template = tempfile::tempdir().unwrap();
    let mut ob = open(template.path(), &small());
    append_range(&mut ob, 1..=30);
    ob.close().unwrap();
    let first = segment_files(template.path()).remove(0);
    let rl = record_len() as usize;
    // The third record of the first segment (seq 3), every bit of it in turn.
    let at = 2 * rl;
    for bit in 0..rl * 8 {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(template.path(), dir.path());
        let seg = dir.path().join(first.file_name().unwrap());
        let mut bytes = fs::read(&seg).unwrap();
        bytes[at + bit / 8] ^= 1 << (bit % 8);
        fs::write(&seg, &bytes).unwrap();

        let (mut ob, rec) = Outbox::open(dir.path(), small()).unwrap();
        assert_eq!(rec.corrupt_regions, 1, "bit {bit}");
        assert_eq!(rec.corrupt_bytes, rl as u64, "bit {bit}");
        assert_eq!(rec.bytes_truncated, 0);
        assert_eq!(rec.records, 29);
        assert!(!rec.damage[0].truncated);
        assert_eq!(rec.damage[0].offset, at as u64);
        let got = drain(&mut ob);
        let want: Vec<u64> = (1..=30).filter(|&s| s != 3).collect();
        assert_eq!(seqs(&got), want, "bit {bit}");
        assert!(got.iter().all(|r| r.payload == payload(r.seq)));
    }
}

#[test]
fn a_damaged_tail_of_an_old_segment_skips_to_its_end() {
    let dir = tempfile::tempdir().unwrap();
    let mut ob = open(dir.path(), &small());
    append_range(&mut ob, 1..=30);
    ob.close().unwrap();
    let first = segment_files(dir.path()).remove(0);
    let mut bytes = fs::read(&first).unwrap();
    let n = bytes.len();
    let rl = record_len() as usize;
    bytes[n - rl] = 0; // the last record's magic byte
    fs::write(&first, &bytes).unwrap();
    let (mut ob, rec) = Outbox::open(dir.path(), small()).unwrap();
    assert_eq!(
        (rec.corrupt_regions, rec.corrupt_bytes, rec.bytes_truncated),
        (1, rl as u64, 0)
    );
    let lost = (n / rl) as u64;
    let want: Vec<u64> = (1..=30).filter(|&s| s != lost).collect();
    assert_eq!(seqs(&drain(&mut ob)), want);
}

#[test]
fn zeros_after_the_last_record_are_cut() {
    let dir = tempfile::tempdir().unwrap();
    let mut ob = open(dir.path(), &small());
    append_range(&mut ob, 1..=3);
    drop(ob);
    let last = segment_files(dir.path()).pop().unwrap();
    let mut f = OpenOptions::new().append(true).open(&last).unwrap();
    f.write_all(&[0u8; 4096]).unwrap();
    drop(f);
    let (mut ob, rec) = Outbox::open(dir.path(), small()).unwrap();
    assert_eq!(rec.bytes_truncated, 4096);
    assert_eq!(seqs(&drain(&mut ob)), [1, 2, 3]);
}

#[test]
fn a_segment_of_pure_garbage_is_skipped_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let mut ob = open(dir.path(), &small());
    append_range(&mut ob, 1..=20);
    ob.close().unwrap();
    let first = segment_files(dir.path()).remove(0);
    let n = fs::metadata(&first).unwrap().len() as usize;
    fs::write(&first, vec![0xF1; n]).unwrap();
    let (mut ob, rec) = Outbox::open(dir.path(), small()).unwrap();
    assert_eq!((rec.corrupt_regions, rec.segments_deleted), (1, 1));
    assert!(!first.exists());
    let got = seqs(&drain(&mut ob));
    assert_eq!(got.last(), Some(&20));
    assert!(got.len() < 20);
}

#[test]
fn a_record_damaged_after_open_is_skipped_when_read_not_returned() {
    let dir = tempfile::tempdir().unwrap();
    // No read cache: every record is read back from the (damaged) file.
    let cfg = Config {
        reclaim_bytes: 1 << 20,
        read_cache_bytes: 0,
        ..small()
    };
    let mut ob = open(dir.path(), &cfg);
    append_range(&mut ob, 1..=3);
    let seg = segment_files(dir.path()).remove(0);
    let mut f = OpenOptions::new().write(true).open(&seg).unwrap();
    f.seek(SeekFrom::Start(record_len() + HEADER_LEN as u64))
        .unwrap();
    f.write_all(b"X").unwrap();
    drop(f);
    assert_eq!(seqs(&drain(&mut ob)), [1, 3]);
    assert_eq!(ob.damaged_on_read(), 1);
    assert_eq!(ob.pending_len(), 2);
    ob.ack(1).unwrap();
    assert_eq!(
        ob.low_water(),
        Some(2),
        "the damaged record does not hold the mark back"
    );
}

#[test]
fn stray_files_in_the_directory_are_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("README"), b"hello").unwrap();
    fs::write(dir.path().join("12.seg"), b"not a segment name").unwrap();
    let mut ob = open(dir.path(), &small());
    append_range(&mut ob, 1..=2);
    ob.close().unwrap();
    let (mut ob, rec) = Outbox::open(dir.path(), small()).unwrap();
    assert_eq!((rec.corrupt_regions, rec.records), (0, 2));
    assert_eq!(seqs(&drain(&mut ob)), [1, 2]);
    assert!(dir.path().join("README").exists() && dir.path().join("12.seg").exists());
}
