//! Faults of the disk under the outbox, on a real 3 MiB tmpfs: full (by the outbox itself or by
//! another file), remounted read-only, the directory removed.
//!
//! Mounting needs root (CI runs as root). Elsewhere the tmpfs tests print `SKIPPED: <why>` and
//! pass.

mod common;

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{drain, seqs};
use fieldbridge_outbox::{Config, Outbox, StorageFault, SyncPolicy, WhenFull};

/// A tmpfs mounted on a temporary directory, unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
    /// A read-only bind mount lies over it.
    read_only: bool,
}

fn run(cmd: &str, args: &[&str], path: &Path) -> Result<(), String> {
    let out = Command::new(cmd)
        .args(args)
        .arg(path)
        .output()
        .map_err(|e| format!("cannot run {cmd}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cmd} {} {} failed: {}",
            args.join(" "),
            path.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

impl Tmpfs {
    /// A 3 MiB tmpfs, or why there is none.
    fn mount() -> Result<Tmpfs, String> {
        let uid = Command::new("id")
            .arg("-u")
            .output()
            .map_err(|e| e.to_string())?;
        if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
            return Err("not root, cannot mount a tmpfs".into());
        }
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        run(
            "mount",
            &["-t", "tmpfs", "-o", "size=3m", "tmpfs"],
            dir.path(),
        )?;
        Ok(Tmpfs {
            dir,
            read_only: false,
        })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Makes the filesystem read-only from here on, as after `errors=remount-ro`. A tmpfs with
    /// files open for writing refuses `remount,ro` (EBUSY), so a read-only bind mount is laid
    /// over it: every open, create, rename and unlink by path fails with EROFS; a handle opened
    /// before keeps writing into the (still writable) filesystem underneath, and what it writes
    /// is really in the file.
    fn make_read_only(&mut self) {
        let p = self.path().display().to_string();
        run("mount", &["--bind", &p], self.path()).unwrap();
        self.read_only = true;
        run("mount", &["-o", "remount,bind,ro"], self.path()).unwrap();
    }

    fn make_writable(&mut self) {
        run("umount", &[], self.path()).unwrap();
        self.read_only = false;
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        if self.read_only {
            let _ = run("umount", &[], self.path());
        }
        let _ = run("umount", &[], self.path());
    }
}

macro_rules! tmpfs_or_skip {
    () => {
        match Tmpfs::mount() {
            Ok(t) => t,
            Err(why) => {
                println!("SKIPPED: {why}");
                return;
            }
        }
    };
}

/// A sample of about 200 bytes, telling its seq.
fn sample(seq: u64) -> Vec<u8> {
    let mut p = format!("{{\"seq\":{seq},\"value\":").into_bytes();
    p.resize(200, b'7');
    p
}

fn cfg(when_full: WhenFull) -> Config {
    Config {
        segment_bytes: 64 << 10,
        max_bytes: 512 << 20,
        max_payload: 1024,
        sync: SyncPolicy::Never,
        when_full,
        cursor_interval: Duration::from_secs(1),
        reclaim_bytes: 1 << 20,
        read_cache_bytes: 0,
    }
}

/// Fills the filesystem of `dir` with a file until a write fails; returns the file.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut f = File::create(&path).unwrap();
    let chunk = vec![0u8; 4096];
    let mut written = 0u64;
    loop {
        match f.write(&chunk) {
            Ok(0) => break,
            Ok(n) => written += n as u64,
            Err(e) => {
                assert_eq!(e.raw_os_error(), Some(28), "expected ENOSPC, got {e}");
                break;
            }
        }
    }
    println!("filler: {written} bytes until the disk was full");
    path
}

/// Every record still in the outbox, checked against what was appended.
fn read_back(ob: &mut Outbox) -> Vec<u64> {
    ob.rewind();
    let got = drain(ob);
    for r in &got {
        assert_eq!(r.payload, sample(r.seq), "seq {}", r.seq);
    }
    let s = seqs(&got);
    assert!(s.windows(2).all(|w| w[0] < w[1]), "strictly increasing");
    s
}

#[test]
fn under_drop_oldest_a_full_disk_drops_whole_oldest_segments_and_counts_exactly_what_is_missing() {
    let fs = tmpfs_or_skip!();
    let dir = fs.path().join("outbox");
    let (mut ob, _) = Outbox::open(&dir, cfg(WhenFull::DropOldest)).unwrap();
    let n = 30_000u64; // about 6.7 MiB on a 3 MiB disk
    let (mut dropped, mut dropped_segments) = (0, 0);
    for seq in 1..=n {
        let out = ob.append(seq, &sample(seq)).unwrap();
        dropped += out.dropped_records;
        dropped_segments += out.dropped_segments;
    }
    let got = read_back(&mut ob);
    println!(
        "drop-oldest on a full disk: appended {n}, read back {}, dropped {dropped} in {dropped_segments} segments (counted {}), disk {} bytes in {} segments",
        got.len(),
        ob.dropped_total(),
        ob.disk_bytes(),
        ob.segment_count()
    );
    assert!(dropped_segments > 10, "the disk bound was reached");
    assert_eq!(dropped, ob.dropped_total());
    assert_eq!(got.len() as u64 + dropped, n, "missing == dropped");
    // What is left is the newest records, without a hole.
    assert_eq!(got, (n - got.len() as u64 + 1..=n).collect::<Vec<_>>());
    assert_eq!(ob.pending_len(), got.len() as u64);
    ob.close().unwrap();
}

#[test]
fn under_backpressure_a_full_disk_refuses_with_no_space_and_resumes_once_acks_free_it() {
    let fs = tmpfs_or_skip!();
    let dir = fs.path().join("outbox");
    let (mut ob, _) = Outbox::open(&dir, cfg(WhenFull::Backpressure)).unwrap();
    let mut seq = 0;
    let err = loop {
        seq += 1;
        if let Err(e) = ob.append(seq, &sample(seq)) {
            break e;
        }
    };
    let stored = seq - 1;
    println!("backpressure: {stored} appended before the disk was full: {err}");
    assert_eq!(err.fault(), Some(StorageFault::NoSpace), "{err:?}");
    assert_eq!(ob.last_seq(), Some(stored), "nothing half-written");
    // Asking again changes nothing: no drop, no Ok.
    let again = ob.append(seq, &sample(seq)).unwrap_err();
    assert_eq!(again.fault(), Some(StorageFault::NoSpace));
    assert_eq!(ob.dropped_total(), 0);
    // The broker returns: everything stored is delivered.
    let got = read_back(&mut ob);
    assert_eq!(got, (1..=stored).collect::<Vec<_>>(), "nothing lost");
    for &s in got.iter().take(got.len() / 2) {
        ob.ack(s).unwrap();
    }
    // Acknowledged segments went: appending works again, the held sample first.
    ob.append(seq, &sample(seq)).unwrap();
    for &s in &got[got.len() / 2..] {
        ob.ack(s).unwrap();
    }
    ob.ack(seq).unwrap();
    // And goes on for much more than the disk holds, the broker keeping up.
    let end = seq + 30_000;
    for s in seq + 1..=end {
        ob.append(s, &sample(s)).unwrap();
        ob.ack(s).unwrap();
    }
    println!(
        "backpressure: then {} more appended and acknowledged; disk {} bytes in {} segments, dropped {}",
        end - seq,
        ob.disk_bytes(),
        ob.segment_count(),
        ob.dropped_total()
    );
    assert_eq!(ob.dropped_total(), 0);
    assert!(
        ob.disk_bytes() <= 2 << 20,
        "acknowledged bytes are reclaimed"
    );
    assert_eq!(ob.last_seq(), Some(end));
}

#[test]
fn a_delivered_active_segment_on_a_full_disk_is_retired_and_appends_resume_and_survive_a_restart() {
    let fs = tmpfs_or_skip!();
    let dir = fs.path().join("outbox");
    // Large segments and no reclaim roll: the one open segment holds every delivered record,
    // as in issue 14's wedge.
    let config = Config {
        segment_bytes: 8 << 20,
        max_bytes: 512 << 20,
        reclaim_bytes: 8 << 20,
        ..cfg(WhenFull::Backpressure)
    };
    let (mut ob, _) = Outbox::open(&dir, config.clone()).unwrap();
    let n = 700; // about 156 KiB, under the roll size on this disk
    for seq in 1..=n {
        ob.append(seq, &sample(seq)).unwrap();
    }
    // No sync: the cursor file still says nothing was appended, so retiring the segment must
    // write it, on a disk without a free block.
    for s in read_back(&mut ob) {
        ob.ack(s).unwrap();
    }
    assert_eq!((ob.segment_count(), ob.pending_len()), (1, 0));
    let filler = fill(fs.path());
    // The disk is full and every stored record is delivered: the append must not wedge. (A
    // batch of two pages and more, since the segment's last page may have room for a few.)
    let payloads: Vec<Vec<u8>> = (n + 1..=n + 40).map(sample).collect();
    let batch: Vec<(u64, &[u8])> = (n + 1..=n + 40)
        .zip(payloads.iter().map(Vec::as_slice))
        .collect();
    let out = ob.append_batch(&batch).unwrap();
    println!(
        "wedge: {n} delivered in the active segment, disk full; batch {}..={} -> {out:?}, segments {}, disk {} bytes",
        n + 1,
        n + 40,
        ob.segment_count(),
        ob.disk_bytes()
    );
    assert_eq!(out.dropped_records, 0);
    assert_eq!(ob.segment_count(), 1);
    assert_eq!(ob.disk_bytes(), 40 * 225, "the delivered segment is gone");
    let mut seq = n + 40;
    // It goes on until the reclaimed space is used up by undelivered records, then says so.
    let err = loop {
        seq += 1;
        if let Err(e) = ob.append(seq, &sample(seq)) {
            break e;
        }
    };
    assert_eq!(err.fault(), Some(StorageFault::NoSpace));
    let got = read_back(&mut ob);
    assert_eq!(got, (n + 1..seq).collect::<Vec<_>>());
    println!(
        "wedge: then {} more appended until full again, all read back",
        got.len()
    );
    fs::remove_file(filler).unwrap();
    ob.append(seq, &sample(seq)).unwrap();
    drop(ob); // as a kill, without a sync

    let (mut ob, rec) = Outbox::open(&dir, config).unwrap();
    println!("wedge: reopened: {rec:?}");
    assert_eq!(ob.last_seq(), Some(seq));
    assert_eq!(
        rec.pending,
        seq - n,
        "nothing of the retired segment comes back"
    );
    assert_eq!(
        rec.low_water,
        Some(n),
        "the cursor written in place at the retirement"
    );
    assert!(ob.append(n, b"x").is_err(), "no seq is reused");
    let got = read_back(&mut ob);
    assert_eq!(got, (n + 1..=seq).collect::<Vec<_>>());
    ob.append(seq + 1, &sample(seq + 1)).unwrap();
}

#[test]
fn a_disk_filled_by_another_file_drops_or_refuses_and_appends_resume_once_it_is_freed() {
    let fs = tmpfs_or_skip!();
    for when_full in [WhenFull::Backpressure, WhenFull::DropOldest] {
        let dir = fs.path().join(format!("{when_full:?}"));
        let (mut ob, _) = Outbox::open(&dir, cfg(when_full)).unwrap();
        let n = 2_000; // about 450 KiB, seven segments
        for seq in 1..=n {
            ob.append(seq, &sample(seq)).unwrap();
        }
        let filler = fill(fs.path());
        let mut seq = n;
        let mut dropped = 0;
        let refused = loop {
            seq += 1;
            match ob.append(seq, &sample(seq)) {
                Ok(out) => dropped += out.dropped_records,
                Err(e) => break Some(e),
            }
            // Dropping the oldest makes room again and again: it never refuses.
            if seq == n + 5_000 {
                seq += 1;
                break None;
            }
        };
        let got = read_back(&mut ob);
        println!(
            "{when_full:?}, disk filled by another file: appended {}, read back {}, dropped {dropped} (counted {}), refused at seq {seq}: {refused:?}",
            seq - 1,
            got.len(),
            ob.dropped_total()
        );
        assert_eq!(ob.last_seq(), Some(seq - 1));
        assert_eq!(got.len() as u64 + dropped, seq - 1, "missing == dropped");
        assert_eq!(dropped, ob.dropped_total());
        match when_full {
            WhenFull::Backpressure => {
                let e = refused.expect("refused");
                assert_eq!(e.fault(), Some(StorageFault::NoSpace), "{e:?}");
                assert_eq!(dropped, 0);
            }
            WhenFull::DropOldest => {
                assert!(refused.is_none(), "{refused:?}");
                assert!(dropped > 0);
            }
        }
        fs::remove_file(filler).unwrap();
        for s in seq..seq + 100 {
            ob.append(s, &sample(s)).unwrap();
        }
        let after = read_back(&mut ob);
        assert_eq!(after.len(), got.len() + 100);
        assert_eq!(after.last(), Some(&(seq + 99)));
        ob.close().unwrap();
    }
}

#[test]
fn a_read_only_remount_is_classified_nothing_is_reported_stored_that_is_not_and_writing_resumes() {
    let mut fs = tmpfs_or_skip!();
    let dir = fs.path().join("outbox");
    let config = Config {
        segment_bytes: 4096,
        ..cfg(WhenFull::DropOldest)
    };
    let (mut ob, _) = Outbox::open(&dir, config.clone()).unwrap();
    for seq in 1..=100 {
        ob.append(seq, &sample(seq)).unwrap();
    }
    for s in 1..=50 {
        ob.ack(s).unwrap();
    }
    ob.sync().unwrap();
    fs.make_read_only();

    // The caller retries a refused seq until it is taken, as the bridge does.
    let (mut ok, mut refused) = (Vec::new(), 0u64);
    let mut seq = 101;
    for _ in 0..200 {
        match ob.append(seq, &sample(seq)) {
            Ok(_) => {
                ok.push(seq);
                seq += 1;
            }
            Err(e) => {
                assert_eq!(e.fault(), Some(StorageFault::ReadOnly), "{e:?}");
                assert_eq!(ob.last_seq(), Some(seq - 1), "a refused record is not in");
                refused += 1;
            }
        }
    }
    assert!(refused > 0, "a segment roll needs a new file");
    // Acks are taken (deleting segments waits); sync and sync jobs report the fault.
    for s in 51..=60 {
        assert!(ob.ack(s).unwrap());
    }
    let err = ob.sync().unwrap_err();
    assert_eq!(err.fault(), Some(StorageFault::ReadOnly), "{err:?}");
    let now = std::time::Instant::now();
    if let Some(job) = ob.sync_job(now).unwrap() {
        job.run();
        let err = ob.sync_job(now).unwrap_err();
        assert_eq!(err.fault(), Some(StorageFault::ReadOnly), "{err:?}");
    }
    println!(
        "read-only: {} appended into the open segment, {refused} attempts refused (ReadOnly), last seq {:?}",
        ok.len(),
        ob.last_seq()
    );

    fs.make_writable();
    let before = seq;
    for _ in 0..100 {
        ob.append(seq, &sample(seq)).unwrap();
        seq += 1;
    }
    ob.sync().unwrap();
    let got = read_back(&mut ob);
    assert_eq!(got, (61..seq).collect::<Vec<_>>(), "every Ok is stored");
    drop(ob);
    let (mut ob, rec) = Outbox::open(&dir, config).unwrap();
    println!(
        "read-only then writable: {} more appended from seq {before}; reopened with last seq {:?}, {} pending",
        seq - before,
        rec.last_seq,
        rec.pending
    );
    assert_eq!(rec.last_seq, Some(seq - 1));
    assert_eq!(read_back(&mut ob), (61..seq).collect::<Vec<_>>());
}

#[test]
fn a_vanished_directory_is_recreated_and_the_records_lost_with_it_are_counted() {
    // No tmpfs needed: any directory can be removed.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("outbox");
    let config = Config {
        segment_bytes: 4096,
        ..cfg(WhenFull::Backpressure)
    };
    let (mut ob, _) = Outbox::open(&dir, config.clone()).unwrap();
    for seq in 1..=100 {
        ob.append(seq, &sample(seq)).unwrap();
    }
    for s in 1..=30 {
        ob.ack(s).unwrap();
    }
    fs::remove_dir_all(&dir).unwrap();
    let out = ob.append(101, &sample(101)).unwrap();
    println!(
        "vanished: 100 appended, 30 acknowledged, directory removed; next append {out:?}, vanished {}, pending {}",
        ob.vanished_total(),
        ob.pending_len()
    );
    assert_eq!(
        ob.vanished_total(),
        70,
        "the unacknowledged ones are counted"
    );
    assert!(dir.join("lock").is_file());
    assert_eq!(read_back(&mut ob), [101]);
    ob.append(102, &sample(102)).unwrap();
    drop(ob);
    let (mut ob, rec) = Outbox::open(&dir, config).unwrap();
    assert_eq!(rec.last_seq, Some(102));
    assert_eq!(read_back(&mut ob), [101, 102]);
}

#[test]
fn fs_space_reports_the_size_and_the_free_space_of_the_tmpfs() {
    let fs = tmpfs_or_skip!();
    let (mut ob, _) = Outbox::open(&fs.path().join("outbox"), cfg(WhenFull::DropOldest)).unwrap();
    let before = ob.fs_space().unwrap();
    for seq in 1..=4_000 {
        ob.append(seq, &sample(seq)).unwrap();
    }
    let after = ob.fs_space().unwrap();
    println!(
        "fs_space: before {before:?}, after {} bytes appended {after:?}",
        ob.disk_bytes()
    );
    assert_eq!(before.total, 3 << 20);
    assert_eq!(after.total, before.total);
    assert!(before.available <= before.total);
    let used = before.available - after.available;
    assert!(
        used >= ob.disk_bytes() && used <= ob.disk_bytes() + (64 << 10),
        "{used}"
    );
}
