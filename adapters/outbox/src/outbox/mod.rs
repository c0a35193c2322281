//! The outbox itself: state, open, reading for publication, syncing and metrics.

mod ack;
mod append;
mod faults;
mod recent;
mod sync;

use std::collections::{BTreeSet, VecDeque};
use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::config::Config;
use crate::cursor::{self, Cursor, CursorState};
use crate::error::{io_err, Error, Result};
use crate::recovery::{self, Recovery};
use crate::segment::{self, Readback, RecMeta, Segment};
use crate::space::{self, FsSpace};

pub use append::AppendOutcome;
pub use sync::SyncJob;

/// File name of the lock file in the outbox directory.
const LOCK_NAME: &str = "lock";

/// A record handed out for publication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Its sequence number.
    pub seq: u64,
    /// When it was appended, unix milliseconds (as given to, or read by, the append).
    pub appended_at_ms: u64,
    /// The payload, as appended.
    pub payload: Vec<u8>,
}

/// What the outbox knows about a record without reading its payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordInfo {
    /// Its sequence number.
    pub seq: u64,
    /// When it was appended, unix milliseconds.
    pub appended_at_ms: u64,
    /// Length of its payload.
    pub len: u32,
}

impl From<&RecMeta> for RecordInfo {
    fn from(m: &RecMeta) -> Self {
        RecordInfo {
            seq: m.seq,
            appended_at_ms: m.appended_at_ms,
            len: m.len,
        }
    }
}

/// `true` when `seq` lies above `bound` (`None`: below everything).
pub(crate) fn above(seq: u64, bound: Option<u64>) -> bool {
    bound.is_none_or(|b| seq > b)
}

/// The durable on-disk outbox. See the crate documentation for the guarantees.
#[derive(Debug)]
pub struct Outbox {
    dir: PathBuf,
    cfg: Config,
    _lock: File,
    /// Segments in seq order; the last one is the one appended to (when `writer` is set).
    segments: VecDeque<Segment>,
    /// Append handle on the last segment; `None`: the next append starts a new segment.
    writer: Option<File>,
    /// Read handle, with the name of the segment it reads.
    reader: Option<(u64, File)>,
    /// Bytes of all segment files.
    disk_bytes: u64,
    last_seq: Option<u64>,
    /// Every record with a seq at or below it is acknowledged (or gone).
    low_water: Option<u64>,
    /// Acknowledged seqs above the low-water mark, of records in the outbox.
    acked: BTreeSet<u64>,
    /// Every record with a seq at or below it was handed out since the last rewind.
    sent_upto: Option<u64>,
    pending_records: u64,
    pending_bytes: u64,
    dropped_total: u64,
    damaged_on_read: u64,
    /// Unacknowledged records lost because their segment file (or the directory) vanished.
    vanished_total: u64,
    /// Segments are rolled at this size: `segment_bytes`, or less on a small filesystem.
    roll_bytes: u64,
    /// Deleting delivered segments failed last time (logged once, retried on later calls).
    delete_failing: bool,
    /// A file or the directory may have vanished: the next append checks and heals.
    suspect: bool,
    /// Payloads appended lately, so the usual case (publish right after append) reads no file.
    recent: recent::Recent,
    /// The active segment has bytes not yet fsynced.
    unsynced: bool,
    persisted: Cursor,
    last_sync: Option<Instant>,
    last_cursor_write: Option<Instant>,
    /// The sync job handed out and not taken back yet (at most one).
    in_flight: Option<sync::InFlight>,
    /// The error of a job waited for inside an append, reported by the next `collect_job`.
    job_error: Option<Error>,
}

impl Outbox {
    /// Opens (or creates) the outbox in `dir`, locking the directory, and recovers what is on disk.
    ///
    /// Damaged records are never returned and never stop the open: a torn tail of the last segment
    /// is truncated, damage elsewhere is skipped; both are counted in the returned [`Recovery`].
    pub fn open(dir: &Path, cfg: Config) -> Result<(Outbox, Recovery)> {
        cfg.validate()?;
        let read_cache_bytes = cfg.read_cache_bytes;
        fs::create_dir_all(dir).map_err(io_err("create directory", dir))?;
        let lock = lock(dir)?;
        cursor::remove_stale_tmp(dir)?;
        let (mut persisted, cursor_state) = cursor::load(dir)?;
        let low_water = persisted.low_water;
        let rec = recovery::recover(dir, low_water, cfg.max_payload)?;
        let last_seq = match (persisted.last_seq, rec.last_seq_on_disk) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        let mut report = rec.report;
        report.last_seq = last_seq;
        report.low_water = low_water;
        report.cursor = cursor_state;

        let pending = rec
            .segments
            .iter()
            .flat_map(|s| &s.records)
            .filter(|r| above(r.seq, low_water));
        let (pending_records, pending_bytes) =
            pending.fold((0u64, 0u64), |(n, b), r| (n + 1, b + r.size()));
        let disk_bytes = rec.segments.iter().map(|s| s.len).sum();
        if cursor_state == CursorState::Missing {
            // A cursor file from the start, so that a full disk can still record the last seq by
            // overwriting it in place (see `faults.rs`). Best effort: a failure here only means
            // the first sync writes it.
            let c = Cursor {
                low_water,
                last_seq,
            };
            match cursor::store(dir, &c) {
                Ok(()) => persisted = c,
                Err(e) => tracing::debug!(%e, "outbox: cannot write the first cursor file yet"),
            }
        }
        let largest = crate::record::encoded_len(cfg.max_payload as usize);
        let roll_bytes = match space::of(dir) {
            Ok(fs) => cfg.segment_bytes.min((fs.total / 16).max(largest)),
            Err(_) => cfg.segment_bytes,
        };
        let outbox = Outbox {
            dir: dir.to_owned(),
            cfg,
            _lock: lock,
            segments: rec.segments,
            writer: rec.writer,
            reader: None,
            disk_bytes,
            last_seq,
            low_water,
            acked: BTreeSet::new(),
            sent_upto: low_water,
            pending_records,
            pending_bytes,
            dropped_total: 0,
            damaged_on_read: 0,
            vanished_total: 0,
            roll_bytes,
            delete_failing: false,
            suspect: false,
            recent: recent::Recent::with_capacity(read_cache_bytes),
            unsynced: false,
            persisted,
            last_sync: None,
            last_cursor_write: None,
            in_flight: None,
            job_error: None,
        };
        if report.bytes_truncated > 0 || report.corrupt_regions > 0 {
            tracing::warn!(dir = %dir.display(), ?report, "outbox recovered with damage");
        }
        Ok((outbox, report))
    }

    /// The directory of the outbox.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The configuration it was opened with.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// The highest seq ever appended, across restarts, even when its record is long delivered and
    /// deleted. The next append must be above it.
    pub fn last_seq(&self) -> Option<u64> {
        self.last_seq
    }

    /// The low-water mark: every record with a seq at or below it was acknowledged (or dropped).
    pub fn low_water(&self) -> Option<u64> {
        self.low_water
    }

    /// Records in the outbox not acknowledged yet (handed out or not).
    pub fn pending_len(&self) -> u64 {
        self.pending_records
    }

    /// On-disk bytes (header included) of the records counted by [`Outbox::pending_len`].
    pub fn pending_bytes(&self) -> u64 {
        self.pending_bytes
    }

    /// Bytes of all segment files: what [`Config::max_bytes`] bounds. Includes acknowledged records
    /// that share a segment with unacknowledged ones.
    pub fn disk_bytes(&self) -> u64 {
        self.disk_bytes
    }

    /// Number of segment files.
    pub fn segment_count(&self) -> usize {
        self.segments.len()
    }

    /// Unacknowledged records deleted by [`crate::WhenFull::DropOldest`] since open.
    pub fn dropped_total(&self) -> u64 {
        self.dropped_total
    }

    /// Records found damaged when read back for publication since open (skipped, never returned).
    pub fn damaged_on_read(&self) -> u64 {
        self.damaged_on_read
    }

    /// Unacknowledged records lost since open because their segment file or the whole directory
    /// vanished under the outbox (an unplugged card, a removed directory). Found by the next
    /// append (which recreates the directory) or read; logged when found.
    pub fn vanished_total(&self) -> u64 {
        self.vanished_total
    }

    /// Free and total space of the filesystem that holds the outbox directory (`statvfs`), for a
    /// metric and for warning when [`Config::max_bytes`] exceeds what the filesystem can hold.
    pub fn fs_space(&self) -> std::io::Result<FsSpace> {
        space::of(&self.dir)
    }

    /// The oldest unacknowledged record; the caller computes the oldest buffered age from
    /// [`RecordInfo::appended_at_ms`].
    pub fn oldest_pending(&self) -> Option<RecordInfo> {
        self.first_after(self.low_water)
            .and_then(|pos| self.meta(pos))
            .map(RecordInfo::from)
    }

    /// The next record not handed out since open or the last [`Outbox::rewind`], skipping records
    /// already acknowledged. `None` when all have been handed out.
    pub fn next_unsent(&mut self) -> Result<Option<Record>> {
        let mut payload = Vec::new();
        Ok(self.next_unsent_into(&mut payload)?.map(|info| Record {
            seq: info.seq,
            appended_at_ms: info.appended_at_ms,
            payload,
        }))
    }

    /// Like [`Outbox::next_unsent`], reading the payload into `buf` (cleared first) to reuse it.
    ///
    /// A record whose bytes no longer verify (the disk changed under the outbox) is skipped, counted
    /// in [`Outbox::damaged_on_read`], logged and treated as acknowledged: garbage is never returned.
    pub fn next_unsent_into(&mut self, buf: &mut Vec<u8>) -> Result<Option<RecordInfo>> {
        loop {
            let from = match (self.sent_upto, self.low_water) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
            let Some(pos) = self.first_after(from) else {
                buf.clear();
                return Ok(None);
            };
            let (Some(meta), Some(seg)) = (self.meta(pos).copied(), self.segments.get(pos.0))
            else {
                buf.clear();
                return Ok(None);
            };
            if self.acked.contains(&meta.seq) {
                self.sent_upto = Some(meta.seq);
                continue;
            }
            if self.recent.copy_into(meta.seq, buf) {
                self.sent_upto = Some(meta.seq);
                return Ok(Some(RecordInfo::from(&meta)));
            }
            let (name, path) = (seg.name, seg.path.clone());
            let file = match &mut self.reader {
                Some((n, f)) if *n == name => f,
                slot => match OpenOptions::new().read(true).open(&path) {
                    Ok(f) => &mut slot.insert((name, f)).1,
                    Err(e)
                        if e.kind() == std::io::ErrorKind::NotFound
                            && self.forget_vanished() > 0 =>
                    {
                        // The file vanished: what it held is counted as lost; go on with the rest.
                        self.suspect = true;
                        continue;
                    }
                    Err(e) => return Err(io_err("open segment", &path)(e)),
                },
            };
            match segment::read_record(file, &path, &meta, self.cfg.max_payload, buf)? {
                Readback::Ok => {
                    self.sent_upto = Some(meta.seq);
                    return Ok(Some(RecordInfo::from(&meta)));
                }
                Readback::Damaged(reason) => {
                    tracing::warn!(path = %path.display(), offset = meta.offset, seq = meta.seq, %reason, "outbox record damaged on disk; skipping it");
                    self.damaged_on_read += 1;
                    self.sent_upto = Some(meta.seq);
                    self.ack(meta.seq)?;
                }
            }
        }
    }

    /// Puts the read cursor back to the oldest unacknowledged record, so that [`Outbox::next_unsent`]
    /// hands out again, in seq order, exactly the records not acknowledged yet. Call it after a
    /// broker reconnect.
    pub fn rewind(&mut self) {
        self.sent_upto = self.low_water;
    }

    /// Fsyncs appended data now and persists the low-water mark and last seq if they changed.
    ///
    /// Waits first for a job of [`Outbox::sync_job`] still in flight. If that job failed, its error
    /// is returned, after everything was synced here all the same.
    pub fn sync(&mut self) -> Result<()> {
        let earlier = self.collect_job(true);
        self.sync_data()?;
        self.store_cursor()?;
        earlier
    }

    /// The periodic duty, done on the caller's thread: under [`crate::SyncPolicy::Interval`],
    /// fsyncs when the interval has elapsed since the last sync; persists a changed cursor at most
    /// once per interval (the sync interval, or [`Config::cursor_interval`] under the other
    /// policies). `now` is the caller's clock. Returns whether anything was written.
    ///
    /// This blocks for as long as the disk takes; [`Outbox::sync_job`] hands the same work out to
    /// be run elsewhere. A job of `sync_job` still in flight is waited for first (and its error, if
    /// it failed, returned).
    pub fn maybe_sync(&mut self, now: Instant) -> Result<bool> {
        self.collect_job(true)?;
        match self.sync_job(now)? {
            Some(job) => {
                job.run();
                self.collect_job(true)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Syncs everything and releases the directory. Dropping an outbox without `close` leaves
    /// unsynced data to the operating system and the low-water mark as last persisted: as after a
    /// process crash, nothing is lost, and records acknowledged since the last sync are delivered
    /// again.
    ///
    /// Like [`Outbox::sync`], waits first for a job of [`Outbox::sync_job`] still in flight, and
    /// returns its error if it failed (after syncing everything all the same).
    pub fn close(mut self) -> Result<()> {
        self.sync()
    }

    fn cursor(&self) -> Cursor {
        Cursor {
            low_water: self.low_water,
            last_seq: self.last_seq,
        }
    }

    fn sync_data(&mut self) -> Result<()> {
        if let (true, Some(w), Some(seg)) = (self.unsynced, &self.writer, self.segments.back()) {
            w.sync_data().map_err(io_err("fsync segment", &seg.path))?;
        }
        self.unsynced = false;
        Ok(())
    }

    fn store_cursor(&mut self) -> Result<()> {
        let c = self.cursor();
        if c != self.persisted {
            cursor::store(&self.dir, &c)?;
            self.persisted = c;
        }
        Ok(())
    }

    /// Position (segment index, record index) of the first record with a seq above `bound`.
    fn first_after(&self, bound: Option<u64>) -> Option<(usize, usize)> {
        let start = self
            .segments
            .partition_point(|s| s.last_seq().is_some_and(|l| !above(l, bound)));
        self.segments
            .iter()
            .enumerate()
            .skip(start)
            .find_map(|(si, s)| {
                let ri = s.records.partition_point(|r| !above(r.seq, bound));
                (ri < s.records.len()).then_some((si, ri))
            })
    }

    fn meta(&self, (si, ri): (usize, usize)) -> Option<&RecMeta> {
        self.segments.get(si)?.records.get(ri)
    }

    /// The record with exactly this seq, if it is in the outbox.
    fn find(&self, seq: u64) -> Option<&RecMeta> {
        let si = self
            .segments
            .partition_point(|s| s.last_seq().is_some_and(|l| l < seq));
        let seg = self.segments.get(si)?;
        let ri = seg.records.binary_search_by_key(&seq, |r| r.seq).ok()?;
        seg.records.get(ri)
    }
}

fn lock(dir: &Path) -> Result<File> {
    let path = dir.join(LOCK_NAME);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io_err("create lock file", &path))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(fs::TryLockError::WouldBlock) => Err(Error::Locked { path }),
        Err(fs::TryLockError::Error(e)) => Err(io_err("lock", &path)(e)),
    }
}
