//! Configuration of an outbox.

use std::time::Duration;

use crate::error::{Error, Result};
use crate::record::HEADER_LEN;

/// When appended records are forced to stable storage (fsync).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncPolicy {
    /// After every [`crate::Outbox::append`] and every [`crate::Outbox::append_batch`].
    Always,
    /// When [`crate::Outbox::maybe_sync`] finds this much time elapsed since the last sync.
    Interval(Duration),
    /// Never by the outbox on its own (only [`crate::Outbox::sync`], [`crate::Outbox::close`] and
    /// segment rolls); the operating system writes back when it likes.
    Never,
}

/// What an append does when it would take the outbox above [`Config::max_bytes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenFull {
    /// Delete the oldest segment(s), acknowledged or not, until the record fits, within
    /// [`Config::max_bytes`] and within the filesystem (an append that fails for lack of space
    /// drops and retries). Dropped unacknowledged records are counted in
    /// [`crate::AppendOutcome::dropped_records`]. The segment being appended to is never dropped.
    DropOldest,
    /// Refuse the append with [`crate::Error::Full`] (the bound) or an error classified
    /// [`crate::StorageFault::NoSpace`] (the filesystem is full); nothing unacknowledged is
    /// dropped, and the caller slows its sources down.
    Backpressure,
}

/// Tunables of an outbox. `Config::default()` is a sensible start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// A segment file is closed and a new one started when the next record would take it above this
    /// many bytes. Default 8 MiB. Must hold at least one record of `max_payload`.
    ///
    /// On a small filesystem the outbox rolls earlier: at a sixteenth of the filesystem's size
    /// (measured at open; but never below one largest record), so that a full disk under
    /// [`WhenFull::DropOldest`] frees space a small part at a time instead of finding nothing but
    /// the segment being written.
    pub segment_bytes: u64,
    /// Bound on the bytes of all segment files. Default 256 MiB. At least `segment_bytes`; a few
    /// segments' worth is better, since whole segments are freed at a time.
    pub max_bytes: u64,
    /// Longest payload accepted. Default 1 MiB.
    pub max_payload: u32,
    /// When appends are fsynced.
    pub sync: SyncPolicy,
    /// What happens when the bound is reached.
    pub when_full: WhenFull,
    /// How often [`crate::Outbox::maybe_sync`] persists a changed low-water mark under
    /// [`SyncPolicy::Always`] and [`SyncPolicy::Never`] (under `Interval` it goes with the data sync).
    /// Default 1 s. A longer interval means more duplicates after a crash, never a loss.
    pub cursor_interval: Duration,
    /// A segment being appended to whose records are all acknowledged is retired once it holds
    /// this many bytes: the next append starts a new segment and the old one is deleted, so its
    /// bytes return to the filesystem. Default 1 MiB. So acknowledged records waste at most this
    /// much in the active segment (plus, as before, the acknowledged records that share a segment
    /// with unacknowledged ones). An append that finds the filesystem full retires a fully
    /// acknowledged active segment whatever its size. A small value means more segment files
    /// (a file creation and a directory fsync per roll) when the broker keeps up.
    pub reclaim_bytes: u64,
    /// Bytes of recently appended payloads kept in memory, so that handing a record out right after
    /// its append reads no file. Default 4 MiB; 0 reads every record back from disk.
    pub read_cache_bytes: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            segment_bytes: 8 << 20,
            max_bytes: 256 << 20,
            max_payload: 1 << 20,
            sync: SyncPolicy::Interval(Duration::from_millis(200)),
            when_full: WhenFull::DropOldest,
            cursor_interval: Duration::from_secs(1),
            reclaim_bytes: 1 << 20,
            read_cache_bytes: 4 << 20,
        }
    }
}

impl Config {
    /// Checks that the values fit together.
    pub fn validate(&self) -> Result<()> {
        let largest = HEADER_LEN as u64 + u64::from(self.max_payload);
        if self.segment_bytes < largest {
            return Err(Error::InvalidConfig {
                field: "segment_bytes",
                value: self.segment_bytes,
                expected: format!("at least one largest record, {largest} bytes"),
            });
        }
        if self.max_bytes < self.segment_bytes {
            return Err(Error::InvalidConfig {
                field: "max_bytes",
                value: self.max_bytes,
                expected: format!("at least segment_bytes, {}", self.segment_bytes),
            });
        }
        Ok(())
    }
}
