//! Appending: validation, the bound, segment rolls.

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
    /// Unacknowledged records deleted to make room ([`WhenFull::DropOldest`]): lost, to be reported.
    pub dropped_records: u64,
    /// Segment files deleted to make room.
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
    /// prefix of the batch may be in the outbox: [`Outbox::last_seq`] tells how far it got.
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
        let mut buf = Vec::new();
        let mut metas = Vec::new();
        for &(seq, payload) in records {
            let size = record::encoded_len(payload.len());
            let active_len = self.segments.back().map_or(0, |s| s.len) + buf.len() as u64;
            let full = active_len > 0 && active_len.saturating_add(size) > self.cfg.segment_bytes;
            if self.writer.is_none() || full {
                self.flush(&mut buf, &mut metas)?;
                self.roll(seq)?;
            }
            if self.cfg.when_full == WhenFull::DropOldest {
                while self.segments.len() > 1
                    && self.disk_bytes + buf.len() as u64 + size > self.cfg.max_bytes
                {
                    self.drop_oldest(&mut outcome)?;
                }
            }
            let offset = self.segments.back().map_or(0, |s| s.len) + buf.len() as u64;
            record::encode_into(&mut buf, seq, appended_at_ms, payload);
            metas.push(RecMeta {
                seq,
                offset,
                len: u32::try_from(payload.len()).unwrap_or(u32::MAX),
                appended_at_ms,
            });
        }
        self.flush(&mut buf, &mut metas)?;
        if self.cfg.sync == SyncPolicy::Always {
            self.sync_data()?;
        }
        // Written: keep the payloads at hand, so handing them out needs no read-back.
        for &(seq, payload) in records {
            self.recent.remember(seq, payload);
        }
        Ok(outcome)
    }

    /// Writes the encoded records in `buf` to the active segment and indexes them.
    fn flush(&mut self, buf: &mut Vec<u8>, metas: &mut Vec<RecMeta>) -> Result<()> {
        if buf.is_empty() {
            return Ok(());
        }
        let (Some(w), Some(seg)) = (self.writer.as_mut(), self.segments.back_mut()) else {
            return Ok(());
        };
        if let Err(e) = w.write_all(buf) {
            // Take back a partial write, so the file ends at its last whole record.
            let _ = w.set_len(seg.len);
            return Err(io_err("append to segment", &seg.path)(e));
        }
        self.unsynced = true;
        seg.len += buf.len() as u64;
        self.disk_bytes += buf.len() as u64;
        for m in metas.drain(..) {
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
    /// (whatever the policy), so that [`Outbox::sync`] only ever has one file to sync.
    fn roll(&mut self, seq: u64) -> Result<()> {
        if let Some(w) = self.writer.take() {
            if let Some(seg) = self.segments.back() {
                w.sync_data().map_err(io_err("fsync segment", &seg.path))?;
            }
        }
        self.unsynced = false;
        let (seg, file) = segment::create(&self.dir, seq)?;
        self.segments.push_back(seg);
        self.writer = Some(file);
        Ok(())
    }
}
