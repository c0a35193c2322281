//! Segment files: naming, the in-memory index of their records, creation, deletion and reading.
//!
//! A segment is named after the seq its first record was appended with, zero-padded to 20 digits so
//! that names sort in seq order: `00000000000000000042.seg`.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::error::{io_err, Error, Result};
use crate::record::{self, Header, HEADER_LEN};

/// File name extension of segment files.
pub(crate) const EXT: &str = "seg";

/// Where one record lies, and what the outbox needs to know about it without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RecMeta {
    pub(crate) seq: u64,
    pub(crate) offset: u64,
    pub(crate) len: u32,
    pub(crate) appended_at_ms: u64,
}

impl RecMeta {
    /// Bytes the record occupies on disk.
    pub(crate) fn size(&self) -> u64 {
        record::encoded_len(self.len as usize)
    }
}

/// One segment file and the index of its valid records, in seq order.
#[derive(Debug)]
pub(crate) struct Segment {
    /// The seq in the file name.
    pub(crate) name: u64,
    pub(crate) path: PathBuf,
    /// Bytes in the file (valid records and any damaged regions left in place).
    pub(crate) len: u64,
    pub(crate) records: Vec<RecMeta>,
}

impl Segment {
    /// The seq of the last valid record.
    pub(crate) fn last_seq(&self) -> Option<u64> {
        self.records.last().map(|r| r.seq)
    }
}

/// The path of the segment whose first seq is `seq`.
pub(crate) fn path_for(dir: &Path, seq: u64) -> PathBuf {
    dir.join(format!("{seq:020}.{EXT}"))
}

/// The seq in a segment file name, if `name` is one.
pub(crate) fn parse_name(name: &str) -> Option<u64> {
    let stem = name.strip_suffix(EXT)?.strip_suffix('.')?;
    if stem.len() != 20 || !stem.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    stem.parse().ok()
}

/// The segment files in `dir`, sorted by their seq.
pub(crate) fn list(dir: &Path) -> Result<Vec<(u64, PathBuf)>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).map_err(io_err("list", dir))? {
        let entry = entry.map_err(io_err("list", dir))?;
        if let Some(seq) = entry.file_name().to_str().and_then(parse_name) {
            out.push((seq, entry.path()));
        }
    }
    out.sort_unstable_by_key(|(seq, _)| *seq);
    Ok(out)
}

/// Makes creations, renames and deletions of entries in `dir` durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err("fsync directory", dir))
}

/// Opens an existing segment for appending.
pub(crate) fn open_append(path: &Path) -> Result<File> {
    OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(io_err("open segment", path))
}

/// Creates the (empty) segment for records from `seq` on and makes its directory entry durable.
pub(crate) fn create(dir: &Path, seq: u64) -> Result<(Segment, File)> {
    let path = path_for(dir, seq);
    let file = match OpenOptions::new().append(true).create_new(true).open(&path) {
        Ok(f) => f,
        // Left empty by an earlier attempt that failed after creating it: take it over.
        Err(e)
            if e.kind() == io::ErrorKind::AlreadyExists
                && fs::metadata(&path).is_ok_and(|m| m.is_file() && m.len() == 0) =>
        {
            open_append(&path)?
        }
        Err(e) => return Err(io_err("create segment", &path)(e)),
    };
    if let Err(e) = sync_dir(dir) {
        drop(file);
        let _ = fs::remove_file(&path);
        return Err(e);
    }
    Ok((
        Segment {
            name: seq,
            path,
            len: 0,
            records: Vec::new(),
        },
        file,
    ))
}

/// Outcome of reading one record back.
pub(crate) enum Readback {
    /// The record verified; the payload is in the buffer.
    Ok,
    /// The bytes on disk are no longer the record that was written.
    Damaged(String),
}

/// Reads the record `meta` from `file` (the segment at `path`) into `buf` (payload only) and checks it.
pub(crate) fn read_record(
    file: &mut File,
    path: &Path,
    meta: &RecMeta,
    max_payload: u32,
    buf: &mut Vec<u8>,
) -> Result<Readback> {
    let read_err = |source: io::Error| Error::Read {
        path: path.to_owned(),
        offset: meta.offset,
        seq: meta.seq,
        source,
    };
    let mut head = [0u8; HEADER_LEN];
    buf.clear();
    let read = file
        .seek(SeekFrom::Start(meta.offset))
        .and_then(|_| file.read_exact(&mut head))
        .and_then(|()| {
            buf.resize(meta.len as usize, 0);
            file.read_exact(buf)
        });
    match read {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
            buf.clear();
            return Ok(Readback::Damaged("the file ends inside the record".into()));
        }
        Err(e) => return Err(read_err(e)),
    }
    let checked = record::parse_header(&head, max_payload).and_then(|h: Header| {
        record::verify(&h, buf)?;
        Ok(h)
    });
    match checked {
        Ok(h) if h.seq == meta.seq => Ok(Readback::Ok),
        Ok(h) => Ok(Readback::Damaged(format!(
            "expected seq {}, found {}",
            meta.seq, h.seq
        ))),
        Err(bad) => {
            buf.clear();
            Ok(Readback::Damaged(bad.to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_names_sort_by_seq_and_parse_back() {
        let dir = Path::new("/x");
        let a = path_for(dir, 9);
        let b = path_for(dir, 10);
        assert!(a < b);
        let name = b.file_name().unwrap().to_str().unwrap();
        assert_eq!(name, "00000000000000000010.seg");
        assert_eq!(parse_name(name), Some(10));
        assert_eq!(parse_name(&format!("{:020}.seg", u64::MAX)), Some(u64::MAX));
        assert_eq!(parse_name("10.seg"), None);
        assert_eq!(parse_name("cursor"), None);
        assert_eq!(parse_name("0000000000000000001x.seg"), None);
    }
}
