//! The cursor file: the persisted low-water mark and the highest seq ever appended.
//!
//! Layout (26 bytes, little-endian), replaced atomically (temp file, fsync, rename, fsync directory):
//!
//! ```text
//! offset  size  field
//!      0     4  magic "FBOC"
//!      4     1  version 1
//!      5     1  flags: bit 0 = low-water present, bit 1 = last seq present
//!      6     8  low-water mark (u64): every record with a seq <= it was acknowledged
//!     14     8  last seq (u64): the highest seq ever appended
//!     22     4  CRC-32 of bytes 0..22
//! ```

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::error::{io_err, Result};
use crate::segment::sync_dir;

const MAGIC: &[u8; 4] = b"FBOC";
const VERSION: u8 = 1;
const LEN: usize = 26;

/// File name of the cursor file.
pub(crate) const NAME: &str = "cursor";
/// File name of the temporary file the cursor is written to before the rename.
pub(crate) const TMP_NAME: &str = "cursor.tmp";

/// What the cursor file holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Cursor {
    pub(crate) low_water: Option<u64>,
    pub(crate) last_seq: Option<u64>,
}

/// What was found where the cursor file should be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CursorState {
    /// No cursor file: a new outbox, or one that never synced. Everything found is pending.
    #[default]
    Missing,
    /// The cursor file was read.
    Ok,
    /// The cursor file is damaged; it was ignored, so everything found is delivered again.
    Corrupt,
}

fn encode(c: &Cursor) -> [u8; LEN] {
    let mut b = Vec::with_capacity(LEN);
    b.extend_from_slice(MAGIC);
    b.push(VERSION);
    b.push(u8::from(c.low_water.is_some()) | (u8::from(c.last_seq.is_some()) << 1));
    b.extend_from_slice(&c.low_water.unwrap_or(0).to_le_bytes());
    b.extend_from_slice(&c.last_seq.unwrap_or(0).to_le_bytes());
    let crc = crc32fast::hash(&b);
    b.extend_from_slice(&crc.to_le_bytes());
    let mut out = [0u8; LEN];
    out.copy_from_slice(&b);
    out
}

fn decode(b: &[u8]) -> Option<Cursor> {
    let b: &[u8; LEN] = b.try_into().ok()?;
    let (body, crc) = b.split_last_chunk::<4>()?;
    if crc32fast::hash(body) != u32::from_le_bytes(*crc) {
        return None;
    }
    let (magic, rest) = body.split_first_chunk::<4>()?;
    let (&[version, flags], rest) = rest.split_first_chunk::<2>()?;
    let (lw, rest) = rest.split_first_chunk::<8>()?;
    let (last, _) = rest.split_first_chunk::<8>()?;
    if magic != MAGIC || version != VERSION || flags > 3 {
        return None;
    }
    Some(Cursor {
        low_water: (flags & 1 != 0).then(|| u64::from_le_bytes(*lw)),
        last_seq: (flags & 2 != 0).then(|| u64::from_le_bytes(*last)),
    })
}

/// Reads the cursor file of `dir`; a damaged file is reported, not an error.
pub(crate) fn load(dir: &Path) -> Result<(Cursor, CursorState)> {
    let path = dir.join(NAME);
    match fs::read(&path) {
        Ok(bytes) => Ok(match decode(&bytes) {
            Some(c) => (c, CursorState::Ok),
            None => {
                tracing::warn!(path = %path.display(), "outbox cursor file is damaged; ignoring it, pending records will be delivered again");
                (Cursor::default(), CursorState::Corrupt)
            }
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            Ok((Cursor::default(), CursorState::Missing))
        }
        Err(e) => Err(io_err("read", &path)(e)),
    }
}

/// Atomically replaces the cursor file of `dir`. On failure the temporary file is removed (as far
/// as the filesystem allows), so a full disk is not made fuller by it.
pub(crate) fn store(dir: &Path, c: &Cursor) -> Result<()> {
    let tmp: PathBuf = dir.join(TMP_NAME);
    let path = dir.join(NAME);
    let written = File::create(&tmp)
        .map_err(io_err("create", &tmp))
        .and_then(|mut f| {
            f.write_all(&encode(c)).map_err(io_err("write", &tmp))?;
            f.sync_all().map_err(io_err("fsync", &tmp))
        });
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    fs::rename(&tmp, &path).map_err(io_err("rename into place", &path))?;
    sync_dir(dir)
}

/// Overwrites the existing cursor file of `dir` in place (no new block needed): the fallback of
/// [`store`] when the filesystem is full. Not atomic: a power cut during the 26-byte write (one
/// sector) could leave a cursor that fails its CRC, which open reports as
/// [`CursorState::Corrupt`] and ignores.
pub(crate) fn store_in_place(dir: &Path, c: &Cursor) -> Result<()> {
    use std::os::unix::fs::FileExt;
    let path = dir.join(NAME);
    let f = fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .map_err(io_err("open", &path))?;
    let len = f.metadata().map_err(io_err("stat", &path))?.len();
    if len != LEN as u64 {
        return Err(io_err("overwrite in place", &path)(io::Error::other(
            format!("expected a cursor file of {LEN} bytes, found {len}"),
        )));
    }
    f.write_all_at(&encode(c), 0)
        .map_err(io_err("overwrite in place", &path))?;
    f.sync_data().map_err(io_err("fsync", &path))
}

/// Removes a temporary cursor file a crash left behind.
pub(crate) fn remove_stale_tmp(dir: &Path) -> Result<()> {
    let tmp = dir.join(TMP_NAME);
    match fs::remove_file(&tmp) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_err("remove", &tmp)(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_survives_a_store_and_load() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path()).unwrap().1, CursorState::Missing);
        for c in [
            Cursor::default(),
            Cursor {
                low_water: Some(0),
                last_seq: Some(u64::MAX),
            },
            Cursor {
                low_water: None,
                last_seq: Some(7),
            },
        ] {
            store(dir.path(), &c).unwrap();
            assert_eq!(load(dir.path()).unwrap(), (c, CursorState::Ok));
        }
    }

    #[test]
    fn a_damaged_cursor_is_reported_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let c = Cursor {
            low_water: Some(5),
            last_seq: Some(9),
        };
        store(dir.path(), &c).unwrap();
        let path = dir.path().join(NAME);
        let good = fs::read(&path).unwrap();
        for i in 0..good.len() {
            let mut b = good.clone();
            b[i] ^= 0x10;
            fs::write(&path, &b).unwrap();
            assert_eq!(
                load(dir.path()).unwrap(),
                (Cursor::default(), CursorState::Corrupt)
            );
        }
        fs::write(&path, &good[..10]).unwrap();
        assert_eq!(load(dir.path()).unwrap().1, CursorState::Corrupt);
        assert!(
            store_in_place(dir.path(), &c).is_err(),
            "only over a whole cursor"
        );
    }

    #[test]
    fn a_cursor_overwritten_in_place_loads_back() {
        let dir = tempfile::tempdir().unwrap();
        assert!(store_in_place(dir.path(), &Cursor::default()).is_err());
        store(dir.path(), &Cursor::default()).unwrap();
        let c = Cursor {
            low_water: Some(41),
            last_seq: Some(42),
        };
        store_in_place(dir.path(), &c).unwrap();
        assert_eq!(load(dir.path()).unwrap(), (c, CursorState::Ok));
    }
}
