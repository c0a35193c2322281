//! Faults of the disk: a full filesystem, a read-only one, files or the directory vanishing.
//!
//! Nothing here is sticky. A step of an append that fails is retried within the same append when
//! something can be done about it (room made, the directory recreated), and otherwise returned as
//! an error classified by [`crate::Error::fault`]; the next append tries again from the state the
//! outbox is really in.

use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;

use super::{above, lock, AppendOutcome, Outbox};
use crate::config::WhenFull;
use crate::cursor::{self, Cursor};
use crate::error::{io_err, Result, StorageFault};
use crate::segment;

impl Outbox {
    /// Runs `step`, and after a failure that can be helped, helps and runs it again: on
    /// [`StorageFault::NoSpace`] as long as [`Outbox::make_room`] frees something, on
    /// [`StorageFault::Gone`] once after [`Outbox::heal`]. Every retry follows a deletion or a
    /// recreation, so this ends.
    pub(super) fn retrying<T>(
        &mut self,
        outcome: &mut AppendOutcome,
        mut step: impl FnMut(&mut Self) -> Result<T>,
    ) -> Result<T> {
        let mut healed = false;
        loop {
            let e = match step(self) {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            match e.fault() {
                Some(StorageFault::NoSpace) => match self.make_room(outcome) {
                    Ok(true) => continue,
                    Ok(false) => {}
                    Err(other) => {
                        tracing::warn!(%other, "outbox: cannot make room on the full filesystem")
                    }
                },
                Some(StorageFault::Gone) if !healed => {
                    healed = true;
                    self.suspect = true;
                    match self.heal() {
                        Ok(()) => continue,
                        Err(other) => tracing::warn!(%other, "outbox: cannot recreate its files"),
                    }
                }
                Some(_) => self.suspect = true,
                None => {}
            }
            return Err(e);
        }
    }

    /// Frees room on a full filesystem for another writer of the same directory (the bridge's
    /// sequence reservation, which must be on disk before the numbers it covers are published),
    /// as an append would for itself: a fully acknowledged last segment is retired under every
    /// policy, and under [`WhenFull::DropOldest`] the oldest segment is dropped (never the last
    /// one), counted like a drop for the bound. `None` when nothing could be freed.
    pub fn free_room(&mut self) -> Result<Option<AppendOutcome>> {
        let mut outcome = AppendOutcome::default();
        let freed = self.make_room(&mut outcome)?;
        Ok(freed.then_some(outcome))
    }

    /// After the filesystem ran full: frees what the policy allows. A fully acknowledged last
    /// segment is retired under every policy (nothing is lost); under [`WhenFull::DropOldest`]
    /// the oldest segment is dropped, never the last one. Returns whether anything was freed.
    fn make_room(&mut self, outcome: &mut AppendOutcome) -> Result<bool> {
        if self.retire_delivered_back()? {
            return Ok(true);
        }
        if self.cfg.when_full == WhenFull::DropOldest && self.segments.len() > 1 {
            self.drop_oldest(outcome)?;
            return Ok(true);
        }
        Ok(false)
    }

    /// When every record of the last segment (hence of all) is acknowledged, deletes every
    /// segment, the last included, so their bytes go back to the filesystem. The last seq lives
    /// on in the cursor file, which is written first. Returns whether anything was deleted.
    pub(super) fn retire_delivered_back(&mut self) -> Result<bool> {
        let delivered = self
            .segments
            .back()
            .and_then(|s| s.last_seq())
            .is_some_and(|l| !above(l, self.low_water));
        if !delivered {
            return Ok(false);
        }
        self.ensure_last_seq_persisted()?;
        self.writer = None;
        self.unsynced = false;
        while !self.segments.is_empty() {
            self.remove_front()?;
        }
        if let Err(e) = segment::sync_dir(&self.dir) {
            tracing::debug!(%e, "outbox: directory fsync after retiring segments failed");
        }
        tracing::debug!(dir = %self.dir.display(), "outbox: retired the delivered active segment");
        Ok(true)
    }

    /// Makes sure the cursor file holds the last seq, before the only segment file that holds it
    /// is deleted (else a restart could number from a lower seq). On a full disk, where the
    /// atomic replacement cannot get a block, the existing cursor file is overwritten in place.
    pub(super) fn ensure_last_seq_persisted(&mut self) -> Result<()> {
        self.wait_for_job();
        let c = self.cursor();
        if self.persisted.last_seq >= c.last_seq {
            return Ok(());
        }
        match cursor::store(&self.dir, &c) {
            Ok(()) => {}
            Err(e) if e.is_no_space() => cursor::store_in_place(&self.dir, &c)?,
            Err(e) => return Err(e),
        }
        self.persisted = c;
        Ok(())
    }

    /// Waits for a sync job in flight, so that the cursor file is written from one place only.
    /// Its error, if it failed, is kept for the next `collect_job` to report.
    fn wait_for_job(&mut self) {
        if let Err(e) = self.collect_job(true) {
            self.job_error = Some(e);
        }
    }

    /// Before an append: finds out whether the active segment file or the whole directory
    /// vanished (cheaply: one `fstat` of the append handle, unless a step failed before), and if
    /// so recreates the directory and its lock, and forgets the segments that are gone, counting
    /// their unacknowledged records in [`Outbox::vanished_total`].
    pub(super) fn heal(&mut self) -> Result<()> {
        let unlinked = self
            .writer
            .as_ref()
            .is_some_and(|w| w.metadata().map_or(true, |m| m.nlink() == 0));
        if !unlinked && !self.suspect {
            return Ok(());
        }
        if !self.dir.is_dir() {
            fs::create_dir_all(&self.dir).map_err(io_err("recreate directory", &self.dir))?;
            tracing::warn!(dir = %self.dir.display(), "outbox directory vanished; recreated it");
            self._lock = lock(&self.dir)?;
        }
        if !self.dir.join(cursor::NAME).is_file() {
            // The next sync writes it again; try now, so that a full disk finds one to overwrite.
            self.wait_for_job();
            let c = self.cursor();
            self.persisted = match cursor::store(&self.dir, &c) {
                Ok(()) => c,
                Err(_) => Cursor {
                    low_water: None,
                    last_seq: None,
                },
            };
        }
        self.forget_vanished();
        self.suspect = false;
        Ok(())
    }

    /// Forgets the segments whose files no longer exist. Unacknowledged records in them are lost:
    /// counted in [`Outbox::vanished_total`] and logged. Returns how many segments were forgotten.
    pub(super) fn forget_vanished(&mut self) -> usize {
        let mut removed = 0;
        let mut i = 0;
        while i < self.segments.len() {
            let gone = self.segments.get(i).is_some_and(|s| {
                matches!(fs::symlink_metadata(&s.path), Err(e) if e.kind() == io::ErrorKind::NotFound)
            });
            if !gone {
                i += 1;
                continue;
            }
            let was_last = i + 1 == self.segments.len();
            let Some(seg) = self.segments.remove(i) else {
                break;
            };
            removed += 1;
            if was_last {
                self.writer = None;
                self.unsynced = false;
            }
            if self.reader.as_ref().is_some_and(|(n, _)| *n == seg.name) {
                self.reader = None;
            }
            let mut lost = 0u64;
            for r in seg.records.iter().filter(|r| above(r.seq, self.low_water)) {
                if !self.acked.remove(&r.seq) {
                    lost += 1;
                    self.pending_records = self.pending_records.saturating_sub(1);
                    self.pending_bytes = self.pending_bytes.saturating_sub(r.size());
                }
            }
            self.disk_bytes = self.disk_bytes.saturating_sub(seg.len);
            if i == 0 {
                if let Some(last) = seg.last_seq().filter(|&l| above(l, self.low_water)) {
                    self.low_water = Some(last);
                }
            }
            self.vanished_total += lost;
            tracing::warn!(path = %seg.path.display(), lost, "outbox segment file vanished; its unacknowledged records are lost");
        }
        if removed > 0 {
            self.advance_low_water();
        }
        removed
    }
}
