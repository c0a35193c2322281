//! Syncing: the periodic fsync and cursor write, as a job the caller may run on another thread.
//!
//! The outbox starts no thread of its own. [`Outbox::sync_job`] hands out what is due as a
//! [`SyncJob`]: a duplicate of the active segment's file handle (`fdatasync` on a duplicate flushes
//! the file's data, whoever wrote it), and the cursor to persist. The caller runs it where waiting
//! for the disk stalls nothing (the bridge: tokio's blocking pool). The job reports its outcome
//! into a slot it shares with the outbox; the outbox takes it up at its next
//! [`Outbox::sync_job`], [`Outbox::maybe_sync`], [`Outbox::sync`] or [`Outbox::close`]. At most
//! one job is in flight; `sync`, `close` and `maybe_sync` wait for it before they write anything
//! themselves, so the cursor file is never written from two places at once.

use std::fs::File;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::Outbox;
use crate::config::SyncPolicy;
use crate::cursor::{self, Cursor};
use crate::error::{io_err, Result};

/// How a job ended, as the outbox learns it.
#[derive(Debug)]
enum State {
    /// Not finished yet.
    Running,
    /// Run; its outcome.
    Finished(Result<()>),
    /// Dropped without being run (its runtime shut down, say): nothing was written.
    Abandoned,
}

/// The slot a job reports into.
#[derive(Debug)]
pub(super) struct Slot {
    state: Mutex<State>,
    changed: Condvar,
}

impl Slot {
    fn new() -> Self {
        Slot {
            state: Mutex::new(State::Running),
            changed: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A job never panics while it holds the lock; a poisoned lock still holds a valid state.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn finish(&self, state: State) {
        *self.lock() = state;
        self.changed.notify_all();
    }

    /// The outcome, if the job has ended; with `wait`, waits until it has.
    fn take(&self, wait: bool) -> Option<State> {
        let mut state = self.lock();
        while wait && matches!(*state, State::Running) {
            state = self.changed.wait(state).unwrap_or_else(|p| p.into_inner());
        }
        match *state {
            State::Running => None,
            _ => Some(std::mem::replace(&mut *state, State::Abandoned)),
        }
    }
}

/// What the outbox remembers of the job in flight.
#[derive(Debug)]
pub(super) struct InFlight {
    slot: Arc<Slot>,
    /// The job fsyncs the active segment.
    data: bool,
    /// The cursor the job persists.
    cursor: Option<Cursor>,
}

/// A due sync, handed out by [`Outbox::sync_job`] to be run away from the caller's thread.
///
/// [`SyncJob::run`] fsyncs the segment being appended to (the data written to it before the job
/// was made, and possibly more) and then atomically replaces the cursor file. Its outcome goes
/// back to the outbox that made it, which reports an error from its next
/// [`Outbox::sync_job`], [`Outbox::maybe_sync`], [`Outbox::sync`] or [`Outbox::close`] and redoes
/// the sync. A job dropped without being run counts as not done: the outbox syncs again.
///
/// While a job exists, the outbox's directory stays locked, even if the outbox itself is dropped,
/// so that no other outbox opens it and writes its cursor file at the same time.
#[derive(Debug)]
#[must_use = "a sync job writes nothing until it is run"]
pub struct SyncJob {
    /// The active segment (a duplicate handle) and its path.
    data: Option<(File, PathBuf)>,
    /// The directory and the cursor to persist there.
    cursor: Option<(PathBuf, Cursor)>,
    /// A duplicate of the lock file's handle: the lock lasts as long as the job. Released before
    /// the outcome is reported, so that an outbox opened right after `close` finds it free.
    lock: Option<File>,
    slot: Arc<Slot>,
    reported: bool,
}

impl SyncJob {
    /// Does the job: `fdatasync` of the segment, then the cursor file (temp file, fsync, rename,
    /// fsync of the directory). Blocks for as long as the disk takes. The outcome is reported to
    /// the outbox.
    pub fn run(mut self) {
        let outcome = self.write();
        self.data = None;
        self.lock = None;
        self.reported = true;
        self.slot.finish(State::Finished(outcome));
    }

    /// Whether the job fsyncs appended data (else it only persists the cursor).
    pub fn syncs_data(&self) -> bool {
        self.data.is_some()
    }

    /// Whether the job persists the cursor (low-water mark and last seq).
    pub fn writes_cursor(&self) -> bool {
        self.cursor.is_some()
    }

    fn write(&self) -> Result<()> {
        if let Some((file, path)) = &self.data {
            file.sync_data().map_err(io_err("fsync segment", path))?;
        }
        if let Some((dir, c)) = &self.cursor {
            cursor::store(dir, c)?;
        }
        Ok(())
    }
}

impl Drop for SyncJob {
    fn drop(&mut self) {
        if !self.reported {
            self.slot.finish(State::Abandoned);
        }
    }
}

impl Outbox {
    /// The periodic duty, without blocking: what [`Outbox::maybe_sync`] would write now, as a job
    /// for the caller to run on another thread ([`SyncJob::run`]). `None` when nothing is due or a
    /// job is still in flight (at most one is).
    ///
    /// Due as for `maybe_sync`: under [`SyncPolicy::Interval`] an fsync of appended data once the
    /// interval has elapsed since the last job started; a changed cursor at most once per interval
    /// (the sync interval, or [`crate::Config::cursor_interval`] under the other policies).
    /// Everything appended before the job was made is durable when it has run.
    ///
    /// A job that failed is reported here, once, as the error (nothing new is handed out on that
    /// call); what it should have written is due again at once, so the next call retries it.
    pub fn sync_job(&mut self, now: Instant) -> Result<Option<SyncJob>> {
        self.collect_job(false)?;
        if self.in_flight.is_some() {
            return Ok(None);
        }
        let due = |last: Option<Instant>, every: Duration| {
            last.is_none_or(|l| now.saturating_duration_since(l) >= every)
        };
        let (data_due, cursor_every) = match self.cfg.sync {
            SyncPolicy::Interval(every) => (self.unsynced && due(self.last_sync, every), every),
            SyncPolicy::Always | SyncPolicy::Never => (false, self.cfg.cursor_interval),
        };
        let cursor = self.cursor();
        let cursor_due = cursor != self.persisted && due(self.last_cursor_write, cursor_every);
        if !data_due && !cursor_due {
            return Ok(None);
        }
        let lock_path = self.dir.join(super::LOCK_NAME);
        let lock = self
            ._lock
            .try_clone()
            .map_err(io_err("duplicate the handle of", &lock_path))?;
        let data = match (data_due, &self.writer, self.segments.back()) {
            (true, Some(w), Some(seg)) => Some((
                w.try_clone()
                    .map_err(io_err("duplicate the handle of segment", &seg.path))?,
                seg.path.clone(),
            )),
            _ => None,
        };
        if data_due {
            // Anything appended from now on makes the segment unsynced again.
            self.unsynced = false;
            self.last_sync = Some(now);
        }
        if cursor_due {
            self.last_cursor_write = Some(now);
        }
        let slot = Arc::new(Slot::new());
        self.in_flight = Some(InFlight {
            slot: Arc::clone(&slot),
            data: data.is_some(),
            cursor: cursor_due.then_some(cursor),
        });
        Ok(Some(SyncJob {
            data,
            cursor: cursor_due.then(|| (self.dir.clone(), cursor)),
            lock: Some(lock),
            slot,
            reported: false,
        }))
    }

    /// Whether a job handed out by [`Outbox::sync_job`] has not been taken back yet (it may have
    /// finished; the outbox learns that at its next call).
    pub fn sync_in_flight(&self) -> bool {
        self.in_flight.is_some()
    }

    /// Takes up the outcome of the job in flight, if it has ended (with `wait`: waiting until it
    /// has). After a failure or an abandoned job, what it was to write is due again at once.
    pub(super) fn collect_job(&mut self, wait: bool) -> Result<()> {
        if let Some(e) = self.job_error.take() {
            return Err(e);
        }
        let Some(job) = &self.in_flight else {
            return Ok(());
        };
        let Some(state) = job.slot.take(wait) else {
            return Ok(());
        };
        let Some(job) = self.in_flight.take() else {
            return Ok(());
        };
        let failed = match state {
            State::Finished(Ok(())) => {
                if let Some(c) = job.cursor {
                    self.persisted = c;
                }
                return Ok(());
            }
            State::Finished(Err(e)) => Err(e),
            State::Running | State::Abandoned => Ok(()),
        };
        if job.data {
            self.unsynced = true;
            self.last_sync = None;
        }
        if job.cursor.is_some() {
            self.last_cursor_write = None;
        }
        failed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, WhenFull};
    use crate::error::Error;
    use std::io;

    fn interval_cfg() -> Config {
        Config {
            segment_bytes: 4096,
            max_bytes: 1 << 20,
            max_payload: 64,
            sync: SyncPolicy::Interval(Duration::from_millis(100)),
            when_full: WhenFull::Backpressure,
            cursor_interval: Duration::from_secs(1),
            reclaim_bytes: 1 << 20,
            read_cache_bytes: 0,
        }
    }

    fn fail(job: SyncJob) {
        let mut job = job;
        job.reported = true;
        job.slot.finish(State::Finished(Err(Error::Io {
            path: PathBuf::from("/dev/test"),
            op: "fsync segment",
            source: io::Error::other("injected"),
        })));
    }

    #[test]
    fn a_failed_job_is_reported_once_and_its_writes_are_due_again_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let (mut ob, _) = Outbox::open(dir.path(), interval_cfg()).unwrap();
        let t0 = Instant::now();
        ob.append(1, b"a").unwrap();
        let job = ob.sync_job(t0).unwrap().unwrap();
        assert!(job.syncs_data() && job.writes_cursor());
        assert!(!ob.unsynced);
        fail(job);
        // Not yet due by the clock, but the failure makes it due.
        let err = ob.sync_job(t0).unwrap_err();
        assert!(err.to_string().contains("injected"), "{err}");
        assert!(ob.unsynced && !ob.sync_in_flight());
        let job = ob.sync_job(t0).unwrap().expect("retried at once");
        assert!(job.syncs_data() && job.writes_cursor());
        job.run();
        assert!(ob.sync_job(t0).unwrap().is_none());
        assert!(!ob.unsynced);
        assert_eq!(ob.persisted, ob.cursor());
    }

    #[test]
    fn an_abandoned_job_is_done_again_without_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let (mut ob, _) = Outbox::open(dir.path(), interval_cfg()).unwrap();
        let t0 = Instant::now();
        ob.append(1, b"a").unwrap();
        drop(ob.sync_job(t0).unwrap().unwrap());
        let job = ob.sync_job(t0).unwrap().expect("due again");
        assert!(job.syncs_data() && job.writes_cursor());
        job.run();
        ob.close().unwrap();
    }

    #[test]
    fn a_failed_job_is_reported_by_close_after_close_synced_everything() {
        let dir = tempfile::tempdir().unwrap();
        let (mut ob, _) = Outbox::open(dir.path(), interval_cfg()).unwrap();
        ob.append(1, b"a").unwrap();
        let job = ob.sync_job(Instant::now()).unwrap().unwrap();
        fail(job);
        ob.append(2, b"b").unwrap();
        assert!(ob.close().unwrap_err().to_string().contains("injected"));
        let (_, rec) = Outbox::open(dir.path(), interval_cfg()).unwrap();
        assert_eq!(rec.last_seq, Some(2), "close wrote the cursor all the same");
        assert_eq!(rec.cursor, crate::CursorState::Ok);
    }
}
