//! The per-bridge sequence number (design brief §3, `seq`): strictly increasing across the bridge's
//! whole life, restarts included, so a consumer can prove that nothing was lost.
//!
//! The number is persisted in `data_dir/seq` by reserving blocks: the file always holds a value that
//! no sample has used yet. A clean stop writes the exact next value, so numbering continues with no
//! gap; after a crash the numbering resumes at the end of the reserved block, so a number is never
//! used twice, at the cost of a gap. The disk outbox (a later issue) keeps the exact last number with
//! each record and closes that gap.
//!
//! The data directory is locked while a bridge holds it: two bridges must never share one.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// How many numbers are reserved with each write of the file.
pub const BLOCK: u64 = 10_000;

/// The persisted sequence counter of one bridge.
#[derive(Debug)]
pub struct SeqStore {
    path: PathBuf,
    next: u64,
    reserved: u64,
    _lock: File,
}

/// A failure to open or persist the sequence number.
#[derive(Debug, thiserror::Error)]
pub enum SeqError {
    /// The data directory or the sequence file could not be used.
    #[error("sequence file {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What went wrong.
        source: io::Error,
    },
    /// The sequence file does not hold a number.
    #[error("sequence file {path} is corrupt: {content:?} is not a number")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What it held.
        content: String,
    },
    /// Another bridge holds the data directory.
    #[error("data directory {path} is in use by another bridge (its lock file is held)")]
    Locked {
        /// The lock file.
        path: PathBuf,
    },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> SeqError + '_ {
    move |source| SeqError::Io {
        path: path.to_owned(),
        source,
    }
}

impl SeqStore {
    /// Opens (or creates) the counter in `data_dir`, locking the directory.
    pub fn open(data_dir: &Path) -> Result<Self, SeqError> {
        fs::create_dir_all(data_dir).map_err(io_err(data_dir))?;
        let lock_path = data_dir.join("lock");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io_err(&lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => return Err(SeqError::Locked { path: lock_path }),
            Err(fs::TryLockError::Error(e)) => {
                return Err(SeqError::Io {
                    path: lock_path,
                    source: e,
                })
            }
        }
        let path = data_dir.join("seq");
        let next = match fs::read_to_string(&path) {
            Ok(text) => text.trim().parse::<u64>().map_err(|_| SeqError::Corrupt {
                path: path.clone(),
                content: text.chars().take(40).collect(),
            })?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => 1,
            Err(e) => return Err(SeqError::Io { path, source: e }),
        };
        Ok(SeqStore {
            path,
            next,
            reserved: next,
            _lock: lock,
        })
    }

    /// The number the next sample will get.
    pub fn peek(&self) -> u64 {
        self.next
    }

    /// Takes the next number, reserving a new block on disk first when the current one is used up.
    pub fn take(&mut self) -> Result<u64, SeqError> {
        if self.next >= self.reserved {
            let reserved = self.next.saturating_add(BLOCK);
            self.write(reserved)?;
            self.reserved = reserved;
        }
        let n = self.next;
        self.next = self.next.saturating_add(1);
        Ok(n)
    }

    /// Writes the exact next number, so that a restart continues without a gap.
    pub fn close(&mut self) -> Result<(), SeqError> {
        self.write(self.next)?;
        self.reserved = self.next;
        Ok(())
    }

    /// Writes `next` (or the current next number, whichever is higher) as the exact next number:
    /// at a clean stop, when the outbox numbered the samples.
    pub fn close_at(&mut self, next: u64) -> Result<(), SeqError> {
        self.next = self.next.max(next);
        self.close()
    }

    /// Atomically replaces the file: write a temporary file, sync it, rename, sync the directory.
    fn write(&self, value: u64) -> Result<(), SeqError> {
        let tmp = self.path.with_extension("tmp");
        let mut f = File::create(&tmp).map_err(io_err(&tmp))?;
        writeln!(f, "{value}").map_err(io_err(&tmp))?;
        f.sync_all().map_err(io_err(&tmp))?;
        fs::rename(&tmp, &self.path).map_err(io_err(&self.path))?;
        if let Some(dir) = self.path.parent() {
            File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(io_err(dir))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_continue_without_a_gap_after_a_clean_stop() -> Result<(), SeqError> {
        let dir = tempfile::tempdir().map_err(io_err(Path::new("tmp")))?;
        let mut s = SeqStore::open(dir.path())?;
        assert_eq!((s.take()?, s.take()?, s.take()?), (1, 2, 3));
        s.close()?;
        drop(s);
        let mut s = SeqStore::open(dir.path())?;
        assert_eq!(s.take()?, 4);
        Ok(())
    }

    #[test]
    fn numbers_never_repeat_after_a_crash() -> Result<(), SeqError> {
        let dir = tempfile::tempdir().map_err(io_err(Path::new("tmp")))?;
        let mut s = SeqStore::open(dir.path())?;
        let mut last = 0;
        for _ in 0..(BLOCK + 5) {
            last = s.take()?;
        }
        drop(s); // no close: as after kill -9
        let mut s = SeqStore::open(dir.path())?;
        let first = s.take()?;
        assert!(first > last, "{first} after {last}");
        assert_eq!(first, 2 * BLOCK + 1);
        Ok(())
    }

    #[test]
    fn a_second_bridge_cannot_share_the_data_directory() -> Result<(), SeqError> {
        let dir = tempfile::tempdir().map_err(io_err(Path::new("tmp")))?;
        let _first = SeqStore::open(dir.path())?;
        assert!(matches!(
            SeqStore::open(dir.path()),
            Err(SeqError::Locked { .. })
        ));
        Ok(())
    }

    #[test]
    fn a_corrupt_file_is_an_error_not_a_restart_from_one() -> Result<(), SeqError> {
        let dir = tempfile::tempdir().map_err(io_err(Path::new("tmp")))?;
        fs::write(dir.path().join("seq"), "garbage").map_err(io_err(dir.path()))?;
        assert!(matches!(
            SeqStore::open(dir.path()),
            Err(SeqError::Corrupt { .. })
        ));
        Ok(())
    }
}
