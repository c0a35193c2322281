//! The per-bridge sequence number (design brief §3, `seq`): strictly increasing across the bridge's
//! whole life, restarts included, so a consumer can prove that nothing was lost.
//!
//! Numbers are reserved on disk in blocks (`data_dir/seq` always holds a number no sample has used
//! yet) and the outbox records the exact number of every sample. Where numbering resumes:
//!
//! - after a clean stop: exactly where it stopped (the file holds the exact next number);
//! - after a crash of the process (kill -9, OOM): right after the outbox's last record, which is
//!   exact, since every append reached the kernel;
//! - after a power cut: above the reserved block, because the outbox may have lost records that
//!   were already published; their numbers must never name another sample. A power cut is told
//!   from a process crash by the kernel's boot id, kept in `data_dir/running` while the bridge runs:
//!   a different boot id means the machine went down with the bridge. The numbers skipped show as
//!   a gap, which is what a consumer must see when samples may have been lost.
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
    running: PathBuf,
    next: u64,
    reserved: u64,
    unclean_reboot: bool,
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
        Self::open_with_boot_id(data_dir, &current_boot_id())
    }

    /// [`SeqStore::open`] with the boot id given (tests simulate a reboot with it).
    pub fn open_with_boot_id(data_dir: &Path, boot_id: &str) -> Result<Self, SeqError> {
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
        let running = data_dir.join("running");
        let unclean_reboot = match fs::read_to_string(&running) {
            Ok(previous) => previous.trim() != boot_id || boot_id.is_empty(),
            Err(_) => false,
        };
        write_atomically(&running, boot_id)?;
        Ok(SeqStore {
            path,
            running,
            unclean_reboot,
            next,
            reserved: next,
            _lock: lock,
        })
    }

    /// Whether the previous run ended with the machine going down (a power cut, a kernel panic):
    /// it did not stop cleanly, and the boot id changed since.
    pub fn unclean_reboot(&self) -> bool {
        self.unclean_reboot
    }

    /// Sets where numbering resumes, given the number after the outbox's last record, and returns
    /// it (see the module documentation).
    pub fn resume(&mut self, after_outbox: Option<u64>) -> u64 {
        self.next = match after_outbox {
            Some(n) if self.unclean_reboot => n.max(self.next),
            Some(n) => n,
            None => self.next,
        };
        if self.unclean_reboot {
            tracing::warn!(next = self.next, "the previous run ended with a power cut or a crash of the machine: numbering resumes above every number it may have used");
        }
        self.reserved = self.next;
        self.next
    }

    /// The number the next sample will get.
    pub fn peek(&self) -> u64 {
        self.next
    }

    /// Numbers below this one are covered by the reservation on disk: after a power cut,
    /// numbering resumes at or above it.
    pub fn reserved(&self) -> u64 {
        self.reserved
    }

    /// Reserves a block above every number taken so far (also those taken by
    /// [`SeqStore::take_even_unreserved`] while the disk refused), so they may be published.
    pub fn reserve(&mut self) -> Result<(), SeqError> {
        let reserved = self.next.saturating_add(BLOCK);
        self.write(reserved)?;
        self.reserved = reserved;
        Ok(())
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

    /// The next number even when its block cannot be reserved on disk (the disk is full or gone).
    /// Such a number must not be published before [`SeqStore::reserve`] covered it (the bridge's
    /// delivery holds it until then), else a power cut could reuse it.
    pub fn take_even_unreserved(&mut self) -> (u64, Option<SeqError>) {
        match self.take() {
            Ok(n) => (n, None),
            Err(e) => {
                let n = self.next;
                self.next = self.next.saturating_add(1);
                (n, Some(e))
            }
        }
    }

    /// Writes the exact next number, so that a restart continues without a gap, and marks the stop
    /// as clean.
    pub fn close(&mut self) -> Result<(), SeqError> {
        self.write(self.next)?;
        self.reserved = self.next;
        match fs::remove_file(&self.running) {
            Ok(()) => sync_dir(&self.running),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(SeqError::Io {
                path: self.running.clone(),
                source: e,
            }),
        }
    }

    /// Atomically replaces the file.
    fn write(&self, value: u64) -> Result<(), SeqError> {
        write_atomically(&self.path, &value.to_string())
    }
}

/// Writes `text` to `path` atomically: a temporary file, synced, renamed, the directory synced.
fn write_atomically(path: &Path, text: &str) -> Result<(), SeqError> {
    let tmp = path.with_extension("tmp");
    let mut f = File::create(&tmp).map_err(io_err(&tmp))?;
    writeln!(f, "{text}").map_err(io_err(&tmp))?;
    f.sync_all().map_err(io_err(&tmp))?;
    fs::rename(&tmp, path).map_err(io_err(path))?;
    sync_dir(path)
}

fn sync_dir(path: &Path) -> Result<(), SeqError> {
    match path.parent() {
        Some(dir) => File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io_err(dir)),
        None => Ok(()),
    }
}

/// The kernel's id of this boot (Linux); empty where there is none, which counts as a reboot.
fn current_boot_id() -> String {
    fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
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

    #[test]
    fn after_a_crash_of_the_process_numbering_follows_the_outbox_exactly() -> Result<(), SeqError> {
        let dir = tempfile::tempdir().map_err(io_err(Path::new("tmp")))?;
        let mut s = SeqStore::open_with_boot_id(dir.path(), "boot-a")?;
        s.resume(None);
        for _ in 0..5 {
            s.take()?;
        }
        drop(s); // kill -9: no close
        let mut s = SeqStore::open_with_boot_id(dir.path(), "boot-a")?;
        assert!(!s.unclean_reboot());
        assert_eq!(s.resume(Some(6)), 6, "the outbox's last record was 5");
        Ok(())
    }

    #[test]
    fn after_a_power_cut_numbering_resumes_above_everything_the_last_run_may_have_used(
    ) -> Result<(), SeqError> {
        let dir = tempfile::tempdir().map_err(io_err(Path::new("tmp")))?;
        let mut s = SeqStore::open_with_boot_id(dir.path(), "boot-a")?;
        s.resume(None);
        let mut last = 0;
        for _ in 0..5 {
            last = s.take()?;
        }
        drop(s); // the machine went down
        let mut s = SeqStore::open_with_boot_id(dir.path(), "boot-b")?;
        assert!(s.unclean_reboot());
        // The outbox lost its tail: it says 3 was its last record, but 4 and 5 were published.
        let next = s.resume(Some(4));
        assert!(next > last, "{next} must not reuse {last}");
        Ok(())
    }

    #[test]
    fn a_clean_stop_is_not_taken_for_a_power_cut_after_a_reboot() -> Result<(), SeqError> {
        let dir = tempfile::tempdir().map_err(io_err(Path::new("tmp")))?;
        let mut s = SeqStore::open_with_boot_id(dir.path(), "boot-a")?;
        s.resume(None);
        s.take()?;
        s.close()?;
        drop(s);
        let mut s = SeqStore::open_with_boot_id(dir.path(), "boot-b")?;
        assert!(!s.unclean_reboot());
        assert_eq!(s.resume(Some(2)), 2);
        Ok(())
    }
}
