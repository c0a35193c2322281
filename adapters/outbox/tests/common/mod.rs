//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use fieldbridge_outbox::{Config, Outbox, Record, SyncPolicy, WhenFull};

/// Small segments (about seven records each) so that tests cross segment boundaries.
pub fn small() -> Config {
    Config {
        segment_bytes: 256,
        max_bytes: 1 << 20,
        max_payload: 64,
        sync: SyncPolicy::Never,
        when_full: WhenFull::Backpressure,
        cursor_interval: Duration::from_secs(1),
        reclaim_bytes: 1 << 20,
        read_cache_bytes: 4 << 20,
    }
}

pub fn payload(seq: u64) -> Vec<u8> {
    format!("sample {seq:04}").into_bytes()
}

pub fn open(dir: &Path, cfg: &Config) -> Outbox {
    Outbox::open(dir, cfg.clone()).unwrap().0
}

pub fn append_range(ob: &mut Outbox, seqs: impl IntoIterator<Item = u64>) {
    for seq in seqs {
        ob.append_at(seq, &payload(seq), 1_000 + seq).unwrap();
    }
}

/// Everything `next_unsent` still hands out.
pub fn drain(ob: &mut Outbox) -> Vec<Record> {
    let mut out = Vec::new();
    while let Some(r) = ob.next_unsent().unwrap() {
        out.push(r);
    }
    out
}

pub fn seqs(records: &[Record]) -> Vec<u64> {
    records.iter().map(|r| r.seq).collect()
}

/// The segment files of `dir`, oldest first.
pub fn segment_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "seg"))
        .collect();
    v.sort();
    v
}

/// Copies the files of `from` into the (empty) directory `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    for e in fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
    }
}
