//! The cursor file of a source: one line per profile, checksummed, replaced atomically
//! (temporary file, fsync, rename, fsync of the folder: the project's way, as
//! `adapters/core/src/seq.rs` and `adapters/outbox/src/cursor.rs` do it).
//!
//! ```text
//! fieldbridge-dlms-catchup 1
//! <profile> <last ms> <range_from ms> <range_from: 24 hex digits> <entries_in_use or ->
//! ...
//! crc16 <4 hex digits>
//! ```
//!
//! Times are milliseconds since the Unix epoch (UTC); `range_from` is the meter's own 12-octet
//! date-time. The checksum is the CRC-16/X.25 of HDLC's FCS (`fieldbridge_dlms::crc::crc16`)
//! over every byte before the `crc16` line, so a torn or edited file is found out.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use fieldbridge_core::time::Timestamp;
use fieldbridge_dlms::axdr::DateTime;

use super::Cursor;

/// The file's name in the source's state folder.
pub const FILE: &str = "profile-cursors";
/// The temporary file a write goes to before the rename.
pub const TMP_FILE: &str = "profile-cursors.tmp";
/// Where a damaged file is moved, kept for a look rather than overwritten.
pub const DAMAGED_FILE: &str = "profile-cursors.damaged";
const HEADER: &str = "fieldbridge-dlms-catchup 1";

/// Why the cursors could not be read or kept.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file operation failed (a full or read-only disk, permissions, a missing folder).
    #[error("profile cursors: cannot {action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// The file is not one this store wrote, or not whole (a torn write, a disk error, an
    /// edit).
    #[error("profile cursors: {path} is damaged at line {line}: {reason}")]
    Damaged {
        /// The file.
        path: PathBuf,
        /// The first bad line, from 1.
        line: usize,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A profile name that cannot be a line's first field (the configuration only allows
    /// letters, digits, `_`, `-` and `.`).
    #[error("profile cursors: {name:?} is not a profile point name")]
    BadName {
        /// The name.
        name: String,
    },
    /// A cursor that would move back: the store only moves forward
    /// ([`CatchupStore::forget`] starts a profile over).
    #[error("profile cursors: {profile} is at {cursor}, refusing to move back to {given}")]
    Backwards {
        /// The profile point.
        profile: String,
        /// Where its cursor is.
        cursor: Timestamp,
        /// Where it was asked to go.
        given: Timestamp,
    },
}

/// What [`CatchupStore::open`] found.
#[derive(Debug)]
pub struct Opened {
    /// The store, empty when nothing could be read.
    pub store: CatchupStore,
    /// Why the file was not used, if it was not: already logged as a warning; count it. Every
    /// profile then starts as on a first start.
    pub problem: Option<StoreError>,
}

/// The catch-up cursors of one source's profiles, kept in its state folder
/// (`data_dir/sources/<source>`).
///
/// A cursor is changed in memory first, then written; a write that fails (a full or read-only
/// disk) is an error to count, and the cursor stays changed in memory so that the running
/// source does not publish the same entries again: [`flush`](Self::flush) (or the next
/// [`advance`](Self::advance)) writes it again. If the bridge stops before a write succeeds, the
/// next start resumes from the cursor on disk and publishes those entries a second time, each
/// under its own capture time: never lost, at worst repeated.
#[derive(Debug)]
pub struct CatchupStore {
    dir: PathBuf,
    cursors: BTreeMap<String, Cursor>,
    behind: bool,
}

fn io_err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> StoreError + 'a {
    move |source| StoreError::Io {
        action,
        path: path.to_owned(),
        source,
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

impl CatchupStore {
    /// Reads the cursors of the source whose state folder is `state_dir` (which need not exist
    /// yet). A missing file is a first start. A file that cannot be read or is damaged is not
    /// trusted: the store opens empty, the problem is logged as a warning and returned, and a
    /// damaged file is moved to [`DAMAGED_FILE`] for a look. A temporary file left by a write
    /// that a crash interrupted is removed: the file itself still holds the last complete
    /// write.
    pub fn open(state_dir: &Path) -> Opened {
        let mut store = CatchupStore {
            dir: state_dir.to_owned(),
            cursors: BTreeMap::new(),
            behind: false,
        };
        let tmp = state_dir.join(TMP_FILE);
        match fs::remove_file(&tmp) {
            Ok(()) => {
                tracing::info!(path = %tmp.display(), "removed the temporary profile cursor file of an interrupted write; the last complete one is used")
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(path = %tmp.display(), error = %e, "cannot remove the temporary profile cursor file")
            }
        }
        let path = state_dir.join(FILE);
        let problem = match fs::read(&path) {
            Ok(bytes) => match parse(&path, &bytes) {
                Ok(cursors) => {
                    store.cursors = cursors;
                    None
                }
                Err(e) => {
                    let kept = state_dir.join(DAMAGED_FILE);
                    let moved = fs::rename(&path, &kept).is_ok();
                    tracing::warn!(error = %e, kept = moved.then(|| kept.display().to_string()), "profile cursors not used: every profile starts as on a first start");
                    Some(e)
                }
            },
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => {
                let e = io_err("read", &path)(e);
                tracing::warn!(error = %e, "profile cursors not used: every profile starts as on a first start");
                Some(e)
            }
        };
        Opened { store, problem }
    }

    /// The cursor of the profile point `profile`.
    pub fn cursor(&self, profile: &str) -> Option<&Cursor> {
        self.cursors.get(profile)
    }

    /// Every profile's cursor, by name.
    pub fn cursors(&self) -> impl Iterator<Item = (&str, &Cursor)> {
        self.cursors.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Moves the cursor of `profile` to `cursor` and writes the file. Call it only once the
    /// entries up to `cursor.last` were handed to the bridge.
    ///
    /// # Errors
    /// [`StoreError::BadName`] and [`StoreError::Backwards`] change nothing. [`StoreError::Io`]:
    /// the cursor is taken in memory but not on disk ([`is_behind`](Self::is_behind)); count
    /// it and [`flush`](Self::flush) later.
    pub fn advance(&mut self, profile: &str, cursor: Cursor) -> Result<(), StoreError> {
        if !valid_name(profile) {
            return Err(StoreError::BadName {
                name: profile.to_owned(),
            });
        }
        if let Some(old) = self.cursors.get(profile) {
            if cursor.last < old.last {
                return Err(StoreError::Backwards {
                    profile: profile.to_owned(),
                    cursor: old.last,
                    given: cursor.last,
                });
            }
            if *old == cursor && !self.behind {
                return Ok(());
            }
        }
        self.cursors.insert(profile.to_owned(), cursor);
        self.behind = true;
        self.flush()
    }

    /// Removes the cursor of `profile`, on disk too: its next read starts as on a first start
    /// (an operator's choice after [`Anomaly::BehindCursor`](super::Anomaly::BehindCursor)).
    ///
    /// # Errors
    /// [`StoreError::Io`], as for [`advance`](Self::advance).
    pub fn forget(&mut self, profile: &str) -> Result<(), StoreError> {
        if self.cursors.remove(profile).is_some() {
            self.behind = true;
        }
        self.flush()
    }

    /// Whether the file is older than the cursors in memory (its last write failed).
    pub fn is_behind(&self) -> bool {
        self.behind
    }

    /// Writes the cursors if the file is behind.
    ///
    /// # Errors
    /// [`StoreError::Io`] when the folder cannot be created or the file cannot be written,
    /// synced or renamed; the file then still holds its last complete write.
    pub fn flush(&mut self) -> Result<(), StoreError> {
        if !self.behind {
            return Ok(());
        }
        write_atomically(&self.dir, render(&self.cursors).as_bytes())?;
        self.behind = false;
        Ok(())
    }

    /// The file's path.
    pub fn path(&self) -> PathBuf {
        self.dir.join(FILE)
    }
}

/// The file's text.
fn render(cursors: &BTreeMap<String, Cursor>) -> String {
    let mut text = String::new();
    text.push_str(HEADER);
    text.push('\n');
    for (name, c) in cursors {
        let hex: String = c
            .range_from
            .to_bytes()
            .iter()
            .fold(String::new(), |mut s, b| {
                let _ = write!(s, "{b:02X}");
                s
            });
        let entries = c
            .entries_in_use
            .map_or_else(|| "-".to_owned(), |n| n.to_string());
        let _ = writeln!(
            text,
            "{name} {} {} {hex} {entries}",
            c.last.unix_millis(),
            c.range_from_time.unix_millis()
        );
    }
    let crc = fieldbridge_dlms::crc::crc16(text.as_bytes());
    let _ = writeln!(text, "crc16 {crc:04X}");
    text
}

/// Reads the file's text back.
fn parse(path: &Path, bytes: &[u8]) -> Result<BTreeMap<String, Cursor>, StoreError> {
    let damaged = |line: usize, reason| StoreError::Damaged {
        path: path.to_owned(),
        line,
        reason,
    };
    let text = std::str::from_utf8(bytes).map_err(|_| damaged(1, "not UTF-8 text"))?;
    // The checksum line is the last one; everything before it is checked.
    let body_end = text
        .trim_end_matches('\n')
        .rfind('\n')
        .map(|i| i + 1)
        .ok_or_else(|| damaged(1, "no checksum line (a torn write)"))?;
    let (body, crc_line) = text.split_at(body_end);
    let lines = body.lines().count();
    let crc = crc_line
        .trim_end_matches('\n')
        .strip_prefix("crc16 ")
        .filter(|h| h.len() == 4)
        .and_then(|h| u16::from_str_radix(h, 16).ok())
        .ok_or_else(|| {
            damaged(
                lines + 1,
                "the last line is not the checksum (a torn write)",
            )
        })?;
    if !crc_line.ends_with('\n') {
        return Err(damaged(
            lines + 1,
            "the checksum line is not whole (a torn write)",
        ));
    }
    if fieldbridge_dlms::crc::crc16(body.as_bytes()) != crc {
        return Err(damaged(lines + 1, "the checksum does not match"));
    }
    let mut rows = body.lines();
    if rows.next() != Some(HEADER) {
        return Err(damaged(1, "not a fieldbridge-dlms-catchup 1 file"));
    }
    let mut cursors = BTreeMap::new();
    for (i, row) in rows.enumerate() {
        let line = i + 2;
        let (name, cursor) = parse_row(row).ok_or_else(|| {
            damaged(
                line,
                "expected <profile> <last ms> <range_from ms> <24 hex digits> <entries_in_use or ->",
            )
        })?;
        if cursors.insert(name.to_owned(), cursor).is_some() {
            return Err(damaged(line, "a profile named twice"));
        }
    }
    Ok(cursors)
}

fn parse_row(row: &str) -> Option<(&str, Cursor)> {
    let mut fields = row.split(' ');
    let name = fields.next().filter(|n| valid_name(n))?;
    let last = Timestamp::from_unix_millis(fields.next()?.parse().ok()?)?;
    let range_from_time = Timestamp::from_unix_millis(fields.next()?.parse().ok()?)?;
    let hex = fields.next()?;
    let mut octets = [0u8; 12];
    if hex.len() != 24 || !hex.is_ascii() {
        return None;
    }
    for (i, octet) in octets.iter_mut().enumerate() {
        *octet = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    let entries_in_use = match fields.next()? {
        "-" => None,
        n => Some(n.parse().ok()?),
    };
    if fields.next().is_some() {
        return None;
    }
    Some((
        name,
        Cursor {
            last,
            range_from: DateTime::from_bytes(octets),
            range_from_time,
            entries_in_use,
        },
    ))
}

/// Replaces the file in `dir` with `bytes` ([`crate::state_file::replace`]).
fn write_atomically(dir: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    crate::state_file::replace(dir, FILE, TMP_FILE, bytes).map_err(|e| StoreError::Io {
        action: e.action,
        path: e.path,
        source: e.source,
    })
}
