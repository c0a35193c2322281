//! The client's invocation counter across restarts (DLMS UA 1000-2 Ed. 10 clause 9.2.7.2.4.3:
//! the invocation counter of a key is never used twice; meters remember the last one they
//! accepted, across associations and their own restarts, and refuse a lower one).
//!
//! Counters are reserved on disk in blocks, as the bridge's sequence numbers are: the file
//! `invocation-counter` in the source's state folder always holds a counter that no APDU has
//! used yet. A restart, a crash or a power cut resumes at that value, skipping at most
//! [`BLOCK`] counters, which the meter does not mind (it wants them to increase, not to be
//! contiguous). A counter is only handed to the session once its block is on disk, so a full or
//! read-only disk stops the ciphering (the source says why) rather than risk a reuse.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::state_file;

/// The file, in the source's state folder.
pub const FILE: &str = "invocation-counter";
const TMP_FILE: &str = "invocation-counter.tmp";
const HEADER: &str = "fieldbridge-dlms-invocation-counter 1";
/// How many counters each write reserves.
pub const BLOCK: u32 = 1_000;

/// Why the counter cannot be kept.
#[derive(Debug, thiserror::Error)]
pub enum InvocationError {
    /// A file operation failed (a full or read-only disk, permissions).
    #[error("invocation counter: cannot {action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// The file is not one this store wrote: the last counter used is unknown, and guessing low
    /// would have the meter refuse every request (or, worse, accept a reused nonce).
    #[error("invocation counter: {path} is damaged ({reason}); set it to a counter above the meter's (its frame counter object 0-0:43.1.x.255) or remove it for a new meter")]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: &'static str,
    },
    /// Every counter of the key is used: the key must be changed.
    #[error(
        "invocation counter: every counter of this key is used; the meter's keys must be changed"
    )]
    Exhausted,
}

/// The reserved invocation counters of one source.
#[derive(Debug)]
pub struct InvocationStore {
    dir: PathBuf,
    /// Counters below this one may have been used; this one and above never were.
    reserved: u32,
}

impl InvocationStore {
    /// Opens the store of the source whose state folder is `state_dir`, and returns it with the
    /// first counter to use. A missing file is a first start (counter 1); nothing is written
    /// until [`InvocationStore::reserve`].
    ///
    /// # Errors
    /// [`InvocationError::Io`] when the file exists and cannot be read,
    /// [`InvocationError::Damaged`] when it is not whole.
    pub fn open(state_dir: &Path) -> Result<(Self, u32), InvocationError> {
        let path = state_dir.join(FILE);
        let first = match fs::read_to_string(&path) {
            Ok(text) => parse(&text).map_err(|reason| InvocationError::Damaged {
                path: path.clone(),
                reason,
            })?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => 1,
            Err(source) => {
                return Err(InvocationError::Io {
                    action: "read",
                    path,
                    source,
                })
            }
        };
        let store = InvocationStore {
            dir: state_dir.to_owned(),
            reserved: first,
        };
        Ok((store, first))
    }

    /// Makes sure the counters up to `last` (the highest the next APDUs may use) are reserved on
    /// disk, writing a new block when they are not.
    ///
    /// # Errors
    /// [`InvocationError::Io`] when the block cannot be written (nothing may be ciphered with
    /// these counters then), [`InvocationError::Exhausted`] past `u32::MAX`.
    pub fn reserve(&mut self, last: u32) -> Result<(), InvocationError> {
        if last < self.reserved {
            return Ok(());
        }
        let Some(next) = last.checked_add(1) else {
            return Err(InvocationError::Exhausted);
        };
        let reserved = next.saturating_add(BLOCK);
        let text = render(reserved);
        state_file::replace(&self.dir, FILE, TMP_FILE, text.as_bytes()).map_err(|e| {
            InvocationError::Io {
                action: e.action,
                path: e.path,
                source: e.source,
            }
        })?;
        self.reserved = reserved;
        Ok(())
    }

    /// The first counter not reserved.
    pub fn reserved(&self) -> u32 {
        self.reserved
    }
}

fn render(reserved: u32) -> String {
    let body = format!("{HEADER}\n{reserved}\n");
    let crc = fieldbridge_dlms::crc::crc16(body.as_bytes());
    format!("{body}{crc:04x}\n")
}

fn parse(text: &str) -> Result<u32, &'static str> {
    if !text.ends_with('\n') {
        return Err("not whole");
    }
    let mut lines = text.lines();
    if lines.next() != Some(HEADER) {
        return Err("not an invocation counter file");
    }
    let value = lines.next().ok_or("no counter")?;
    let crc = lines.next().ok_or("no checksum")?;
    if lines.next().is_some() {
        return Err("more lines than written");
    }
    let body = format!("{HEADER}\n{value}\n");
    let expected = format!("{:04x}", fieldbridge_dlms::crc::crc16(body.as_bytes()));
    if crc != expected {
        return Err("the checksum does not match");
    }
    value.parse().map_err(|_| "the counter is not a number")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tempdir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("fieldbridge-dlms-ic-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn a_first_start_begins_at_one_and_a_restart_above_every_counter_handed_out() {
        let dir = tempdir("restart");
        let (mut store, first) = InvocationStore::open(&dir).unwrap();
        assert_eq!(first, 1);
        assert!(!dir.join(FILE).exists(), "nothing written before a reserve");
        store.reserve(1).unwrap();
        assert_eq!(store.reserved(), 2 + BLOCK);
        store.reserve(500).unwrap();
        assert_eq!(store.reserved(), 2 + BLOCK, "within the block: no write");
        // A crash after counter 700 was used: the restart begins above it.
        let (_, resumed) = InvocationStore::open(&dir).unwrap();
        assert!(resumed > 700);
        assert_eq!(resumed, 2 + BLOCK);
        let (mut again, _) = InvocationStore::open(&dir).unwrap();
        again.reserve(resumed + 5).unwrap();
        let (_, third) = InvocationStore::open(&dir).unwrap();
        assert!(third > resumed + 5);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_damaged_file_is_refused_rather_than_guessed() {
        let dir = tempdir("damaged");
        let (mut store, _) = InvocationStore::open(&dir).unwrap();
        store.reserve(10).unwrap();
        let path = dir.join(FILE);
        let text = fs::read_to_string(&path).unwrap();
        for cut in 0..text.len() {
            fs::write(&path, &text[..cut]).unwrap();
            assert!(
                matches!(
                    InvocationStore::open(&dir),
                    Err(InvocationError::Damaged { .. })
                ),
                "cut at {cut}"
            );
        }
        fs::write(&path, text.replace("1011", "1012")).unwrap();
        assert!(matches!(
            InvocationStore::open(&dir),
            Err(InvocationError::Damaged {
                reason: "the checksum does not match",
                ..
            })
        ));
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_disk_that_takes_no_write_stops_the_counters_and_the_last_one_is_exhausted() {
        let dir = tempdir("full");
        fs::create_dir_all(&dir).unwrap();
        let state = dir.join("state");
        let (mut store, first) = InvocationStore::open(&state).unwrap();
        // The state folder cannot be made: a file stands where it should be.
        fs::write(&state, b"").unwrap();
        assert!(matches!(
            store.reserve(first),
            Err(InvocationError::Io {
                action: "create the folder",
                ..
            })
        ));
        assert_eq!(store.reserved(), first, "nothing reserved, nothing to use");
        let (mut edge, _) = InvocationStore::open(&dir.join("edge")).unwrap();
        assert!(matches!(
            edge.reserve(u32::MAX),
            Err(InvocationError::Exhausted)
        ));
        edge.reserve(u32::MAX - 1).unwrap();
        assert_eq!(edge.reserved(), u32::MAX);
        fs::remove_dir_all(dir).unwrap();
    }
}
