//! Acknowledgements, the low-water mark, and deleting segments (delivered, or dropped when full).

use std::fs;
use std::io;

use super::{above, Outbox};
use crate::error::{io_err, Result};
use crate::segment;

use super::AppendOutcome;

impl Outbox {
    /// Acknowledges the record `seq` (a PUBACK). Acks may come in any order. Returns `false` if the
    /// record was already acknowledged, dropped, or never appended.
    ///
    /// When the acknowledged records form a contiguous run from the oldest one, the low-water mark
    /// advances and segments holding only acknowledged records are deleted (the one being appended
    /// to is kept). The low-water mark reaches the disk with the next sync (see
    /// [`Outbox::maybe_sync`]); until then a crash means those records are delivered again.
    ///
    /// The acknowledgement is recorded even when deleting a segment fails (a read-only
    /// filesystem): that is logged once and retried by later acks and appends, so it is no error
    /// of the ack. A fully acknowledged active segment is left to the next append (see
    /// [`crate::Config::reclaim_bytes`]), which keeps the disk work off the acknowledging path.
    pub fn ack(&mut self, seq: u64) -> Result<bool> {
        if !above(seq, self.low_water) || self.acked.contains(&seq) {
            return Ok(false);
        }
        let Some(size) = self.find(seq).map(|m| m.size()) else {
            return Ok(false);
        };
        self.acked.insert(seq);
        self.pending_records = self.pending_records.saturating_sub(1);
        self.pending_bytes = self.pending_bytes.saturating_sub(size);
        self.advance_low_water();
        self.delete_delivered();
        Ok(true)
    }

    /// Moves the low-water mark over acknowledged records at the front.
    pub(super) fn advance_low_water(&mut self) {
        while let Some(seq) = self
            .first_after(self.low_water)
            .and_then(|pos| self.meta(pos))
            .map(|m| m.seq)
        {
            if !self.acked.remove(&seq) {
                break;
            }
            self.low_water = Some(seq);
        }
    }

    /// Deletes the oldest segments whose records are all at or below the low-water mark. A
    /// failure is logged when it starts and when it ends, and retried on the next call.
    pub(super) fn delete_delivered(&mut self) {
        match self.try_delete_delivered() {
            Ok(()) if self.delete_failing => {
                self.delete_failing = false;
                tracing::info!(dir = %self.dir.display(), "outbox: delivered segments can be deleted again");
            }
            Ok(()) => {}
            Err(e) => {
                if !self.delete_failing {
                    tracing::warn!(%e, "outbox: cannot delete delivered segments; will retry");
                }
                self.delete_failing = true;
            }
        }
    }

    fn try_delete_delivered(&mut self) -> Result<()> {
        let mut deleted = false;
        while self.segments.len() > 1
            && self
                .segments
                .front()
                .is_some_and(|s| s.last_seq().is_none_or(|l| !above(l, self.low_water)))
        {
            self.remove_front()?;
            deleted = true;
        }
        if deleted {
            segment::sync_dir(&self.dir)?;
        }
        Ok(())
    }

    /// Deletes the oldest segment to make room, acknowledged or not (never the active one).
    pub(super) fn drop_oldest(&mut self, outcome: &mut AppendOutcome) -> Result<()> {
        if self.segments.len() < 2 {
            return Ok(());
        }
        let Some(seg) = self.segments.front() else {
            return Ok(());
        };
        let mut dropped = 0u64;
        for r in seg.records.iter().filter(|r| above(r.seq, self.low_water)) {
            if !self.acked.remove(&r.seq) {
                dropped += 1;
                self.pending_records = self.pending_records.saturating_sub(1);
                self.pending_bytes = self.pending_bytes.saturating_sub(r.size());
            }
        }
        let (path, last) = (seg.path.clone(), seg.last_seq());
        if last.is_some() && last == self.last_seq {
            // Only this segment holds the last seq (the ones after it are empty).
            self.ensure_last_seq_persisted()?;
        }
        if let Some(last) = last.filter(|&l| above(l, self.low_water)) {
            self.low_water = Some(last);
        }
        self.remove_front()?;
        segment::sync_dir(&self.dir)?;
        self.advance_low_water();
        if dropped > 0 {
            tracing::warn!(path = %path.display(), dropped, "outbox full: dropped the oldest segment with unacknowledged records");
        }
        outcome.dropped_records += dropped;
        outcome.dropped_segments += 1;
        self.dropped_total += dropped;
        Ok(())
    }

    pub(super) fn remove_front(&mut self) -> Result<()> {
        if let Some(seg) = self.segments.front() {
            if self.reader.as_ref().is_some_and(|(n, _)| *n == seg.name) {
                self.reader = None;
            }
            match fs::remove_file(&seg.path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err("delete segment", &seg.path)(e)),
            }
            self.disk_bytes = self.disk_bytes.saturating_sub(seg.len);
        }
        self.segments.pop_front();
        Ok(())
    }
}
