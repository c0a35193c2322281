//! Appending: validation, the bound, segment rolls.

use std::fs;
use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use super::{above, Outbox};
use crate::config::{SyncPolicy, WhenFull};
use crate::error::{io_err, Error, Result};
use crate::record;
use crate::segment::{self, RecMeta};

/// What an append did besides appending.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AppendOutcome {
    /// Unacknowledged records deleted to make room ([`WhenFull::DropOldest`], for
    /// [`crate::Config::max_bytes`] or because the filesystem was full): lost, to be reported.
    pub dropped_records: u64,
    /// Segment files deleted to make room (those dropped; a retired fully acknowledged segment is
    /// not counted).
    pub dropped_segments: u64,
}

fn unix_ms_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl Outbox {
    /// Appends one record, stamped with the system clock's time.
    ///
    /// `seq` must be above every seq appended before ([`Outbox::last_seq`]), across restarts.
    /// Under [`SyncPolicy::Always`] the record is on stable storage when this returns.
    pub fn append(&mut self, seq: u64, payload: &[u8]) -> Result<AppendOutcome> {
        self.append_batch_at(&[(seq, payload)], unix_ms_now())
    }

    /// Appends one record stamped `appended_at_ms` (unix milliseconds), for callers with their own
    /// clock.
    pub fn append_at(
        &mut self,
        seq: u64,
        payload: &[u8],
        appended_at_ms: u64,
    ) -> Result<AppendOutcome> {
        self.append_batch_at(&[(seq, payload)], appended_at_ms)
    }

    /// Appends records in one write per segment and (under [`SyncPolicy::Always`]) one fsync,
    /// stamped with the system clock's time.
    pub fn append_batch(&mut self, records: &[(u64, &[u8])]) -> Result<AppendOutcome> {
        self.append_batch_at(records, unix_ms_now())
    }

    /// Appends records stamped `appended_at_ms`.
    ///
    /// The whole batch is checked (seq order, payload lengths, and under
    /// [`WhenFull::Backpressure`] the bound) before anything is written. If writing fails part-way, a
    /// prefix of the batch may be in the outbox: [`Outbox::last_seq`] tells exactly how far it got
    /// (records above it are not in the outbox; a partial record is cut off again). `Ok` means
    /// every record of the batch is in the segment files.
    ///
    /// When the filesystem is full ([`crate::StorageFault::NoSpace`] on a write, on creating a
    /// segment, or on an fsync), a fully acknowledged active segment is retired (under every
    /// policy), and under [`WhenFull::DropOldest`] whole oldest segments are dropped, counted in
    /// the outcome as for [`crate::Config::max_bytes`], and the step is retried until it succeeds
    /// or only the active segment is left; then the error is returned. Under
    /// [`WhenFull::Backpressure`] nothing unacknowledged is dropped: the error is returned and the
    /// caller holds its sources. A file or the directory that vanished is recreated (see
    /// [`Outbox::vanished_total`]).
    pub fn append_batch_at(
        &mut self,
        records: &[(u64, &[u8])],
        appended_at_ms: u64,
    ) -> Result<AppendOutcome> {
        let mut last = self.last_seq;
        let mut total = 0u64;
        for &(seq, payload) in records {
            if let Some(l) = last.filter(|&l| seq <= l) {
                return Err(Error::SeqNotIncreasing { seq, last: l });
            }
            if payload.len() > self.cfg.max_payload as usize {
                return Err(Error::PayloadTooLarge {
                    seq,
                    len: payload.len(),
                    max: self.cfg.max_payload,
                });
            }
            last = Some(seq);
            total = total.saturating_add(record::encoded_len(payload.len()));
        }
        if self.cfg.when_full == WhenFull::Backpressure
            && self.disk_bytes.saturating_add(total) > self.cfg.max_bytes
        {
            return Err(Error::Full {
                needed: total,
                used: self.disk_bytes,
                max: self.cfg.max_bytes,
            });
        }

        let mut outcome = AppendOutcome::default();
        self.heal()?;
        let mut buf = Vec::new();
        let mut metas = Vec::new();
        for &(seq, payload) in records {
            let size = record::encoded_len(payload.len());
            let back_len = self.segments.back().map_or(0, |s| s.len);
            let active_len = back_len + buf.len() as u64;
            let full = active_len > 0 && active_len.saturating_add(size) > self.roll_bytes;
            // A delivered active segment of reclaim_bytes or more: start a new one, so the old
            // one can be deleted (after this append, once the new one holds the last seq).
            let reclaim = buf.is_empty()
                && back_len >= self.cfg.reclaim_bytes.max(1)
                && self.back_delivered();
            if self.writer.is_none() || full || reclaim {
                self.retrying(&mut outcome, |ob| ob.write_buffered(&mut buf, &mut metas))?;
                self.retrying(&mut outcome, |ob| ob.roll(seq))?;
            }
            if self.cfg.when_full == WhenFull::DropOldest {
                while self.segments.len() > 1
                    && self.disk_bytes + buf.len() as u64 + size > self.cfg.max_bytes
                {
                    self.drop_oldest(&mut outcome)?;
                }
            }
            let offset = buf.len() as u64;
            record::encode_into(&mut buf, seq, appended_at_ms, payload);
            metas.push(RecMeta {
                seq,
                offset,
                len: u32::try_from(payload.len()).unwrap_or(u32::MAX),
                appended_at_ms,
            });
        }
        self.retrying(&mut outcome, |ob| ob.write_buffered(&mut buf, &mut metas))?;
        if self.cfg.sync == SyncPolicy::Always {
            self.retrying(&mut outcome, Outbox::sync_data)?;
        }
        // Written: keep the payloads at hand, so handing them out needs no read-back.
        for &(seq, payload) in records {
            self.recent.remember(seq, payload);
        }
        // A delivered segment rolled away from above is deleted now.
        self.delete_delivered();
        Ok(outcome)
    }

    /// Whether the last segment has records and all of them are acknowledged.
    fn back_delivered(&self) -> bool {
        self.segments
            .back()
            .and_then(|s| s.last_seq())
            .is_some_and(|l| !above(l, self.low_water))
    }

    /// Writes the encoded records in `buf` (offsets in `metas` relative to `buf`) to the active
    /// segment, starting one if there is none (it may have been retired or vanished since the
    /// records were encoded), and indexes them.
    fn write_buffered(&mut self, buf: &mut Vec<u8>, metas: &mut Vec<RecMeta>) -> Result<()> {
        let Some(first) = metas.first().map(|m| m.seq) else {
            return Ok(());
        };
        if self.writer.is_none() {
            self.roll(first)?;
        }
        self.flush(buf, metas)
    }

    /// Writes the encoded records in `buf` to the active segment and indexes them. A partial
    /// write is truncated back, so the file ends at its last whole record; if even that fails,
    /// the segment is left (its index stays right) and the next write starts a new one.
    fn flush(&mut self, buf: &mut Vec<u8>, metas: &mut Vec<RecMeta>) -> Result<()> {
        if buf.is_empty() {
            return Ok(());
        }
        let (Some(w), Some(seg)) = (self.writer.as_mut(), self.segments.back_mut()) else {
            return Ok(());
        };
        if let Err(e) = w.write_all(buf) {
            if let Err(cut) = w.set_len(seg.len) {
                tracing::warn!(path = %seg.path.display(), %cut, "outbox: cannot cut a partial write back; continuing in a new segment");
                self.writer = None;
            }
            return Err(io_err("append to segment", &seg.path)(e));
        }
        self.unsynced = true;
        let base = seg.len;
        seg.len += buf.len() as u64;
        self.disk_bytes += buf.len() as u64;
        for mut m in metas.drain(..) {
            m.offset += base;
            if above(m.seq, self.low_water) {
                self.pending_records += 1;
                self.pending_bytes += m.size();
            }
            self.last_seq = Some(m.seq);
            seg.records.push(m);
        }
        buf.clear();
        Ok(())
    }

    /// Starts a new segment for records from `seq` on. The segment left behind is fsynced first
    /// (whatever the policy, unless all its records are acknowledged), so that [`Outbox::sync`]
    /// only ever has one file to sync. A failed fsync keeps the segment active, to be retried.
    fn roll(&mut self, seq: u64) -> Result<()> {
        let delivered = self.back_delivered();
        if let Some(w) = self.writer.take() {
            if let (false, Some(seg)) = (delivered, self.segments.back()) {
                if let Err(e) = w.sync_data() {
                    let e = io_err("fsync segment", &seg.path)(e);
                    self.writer = Some(w);
                    return Err(e);
                }
            }
        }
        self.unsynced = false;
        // A last segment left without records (a write into it failed) goes, so that no empty
        // segment ever sits between others.
        if self.segments.back().is_some_and(|s| s.records.is_empty()) {
            if let Some(seg) = self.segments.pop_back() {
                self.disk_bytes = self.disk_bytes.saturating_sub(seg.len);
                if let Err(e) = fs::remove_file(&seg.path) {
                    tracing::debug!(path = %seg.path.display(), %e, "outbox: cannot remove an empty segment");
                }
            }
        }
        let (seg, file) = segment::create(&self.dir, seq)?;
        self.segments.push_back(seg);
        self.writer = Some(file);
        Ok(())
    }
}
