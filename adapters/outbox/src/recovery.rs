//! Recovery on open: scan every segment, verify every record, cut a torn tail, skip damage.

use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};

use crate::cursor::CursorState;
use crate::error::{io_err, Result};
use crate::record::{self, MAGIC};
use crate::segment::{self, RecMeta, Segment};

/// Most [`Damage`] entries kept in a [`Recovery`] report; the counters count them all.
pub const MAX_DAMAGE_REPORTS: usize = 32;

/// What [`crate::Outbox::open`] found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Segment files kept.
    pub segments: usize,
    /// Valid records in the kept segments (delivered ones included).
    pub records: u64,
    /// Of those, records above the low-water mark: they will be handed out again.
    pub pending: u64,
    /// Bytes cut from the end of the last segment (a record torn by a crash or power cut).
    pub bytes_truncated: u64,
    /// Damaged regions skipped in the segments (each is at least one lost record). A damaged region
    /// in the middle of a segment is skipped to the next record that verifies, so the records after
    /// it are kept; damage at the end of a segment other than the last skips to the end of it.
    pub corrupt_regions: u64,
    /// Bytes in those regions.
    pub corrupt_bytes: u64,
    /// Segment files deleted because every record in them was delivered, or none was valid.
    pub segments_deleted: usize,
    /// The highest seq ever appended (from the cursor file or the segments, whichever is higher).
    pub last_seq: Option<u64>,
    /// The persisted low-water mark: every record with a seq at or below it was acknowledged.
    pub low_water: Option<u64>,
    /// What was found of the cursor file.
    pub cursor: CursorState,
    /// The first [`MAX_DAMAGE_REPORTS`] damaged regions, for the log.
    pub damage: Vec<Damage>,
}

/// One damaged region of a segment file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    /// The segment file.
    pub path: PathBuf,
    /// Offset of the first damaged byte.
    pub offset: u64,
    /// Length of the region.
    pub bytes: u64,
    /// Whether the region was cut off the file (a torn tail) or left in place and skipped.
    pub truncated: bool,
    /// What was expected there and what was found.
    pub reason: String,
}

/// The records and damaged regions found in one segment's bytes.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    pub(crate) records: Vec<RecMeta>,
    /// `(start, end, reason)`; `end` is the next record that verifies, or the end of the bytes.
    pub(crate) bad: Vec<(u64, u64, String)>,
}

fn above(seq: u64, bound: Option<u64>) -> bool {
    bound.is_none_or(|b| seq > b)
}

fn decode_at(
    bytes: &[u8],
    pos: usize,
    prev: Option<u64>,
    max_payload: u32,
) -> Result<RecMeta, String> {
    let rest = bytes.get(pos..).unwrap_or_default();
    let (h, _) = record::decode(rest, max_payload).map_err(|b| b.to_string())?;
    if !above(h.seq, prev) {
        return Err(format!(
            "expected a seq above {}, found {}",
            prev.unwrap_or(0),
            h.seq
        ));
    }
    Ok(RecMeta {
        seq: h.seq,
        offset: pos as u64,
        len: h.len,
        appended_at_ms: h.appended_at_ms,
    })
}

/// Scans one segment's bytes. A record must verify and have a seq above `prev` (the last valid seq
/// before this segment). After a damaged record the scan resynchronises at the next offset where a
/// record verifies (magic, length, CRC and seq order all have to hold, so garbage is never taken
/// for a record).
pub(crate) fn scan(bytes: &[u8], mut prev: Option<u64>, max_payload: u32) -> Scan {
    let mut out = Scan::default();
    let mut pos = 0usize;
    while pos < bytes.len() {
        match decode_at(bytes, pos, prev, max_payload) {
            Ok(meta) => {
                prev = Some(meta.seq);
                pos = pos.saturating_add(meta.size() as usize);
                out.records.push(meta);
            }
            Err(reason) => {
                let next = (pos + 1..bytes.len()).find(|&p| {
                    bytes.get(p) == Some(&MAGIC) && decode_at(bytes, p, prev, max_payload).is_ok()
                });
                let end = next.unwrap_or(bytes.len());
                out.bad.push((pos as u64, end as u64, reason));
                pos = end;
            }
        }
    }
    out
}

/// The segments an outbox opens with.
pub(crate) struct Recovered {
    pub(crate) segments: VecDeque<Segment>,
    /// Append handle on the last segment, when appends may continue in it.
    pub(crate) writer: Option<File>,
    pub(crate) last_seq_on_disk: Option<u64>,
    pub(crate) report: Recovery,
}

/// Scans the segments of `dir`; truncates a torn tail of the last one; deletes segments that hold
/// no valid record or only records at or below `low_water` (the last one is kept if it has records).
pub(crate) fn recover(dir: &Path, low_water: Option<u64>, max_payload: u32) -> Result<Recovered> {
    let files = segment::list(dir)?;
    let count = files.len();
    let mut report = Recovery::default();
    let mut prev: Option<u64> = None;
    let mut found: Vec<Segment> = Vec::with_capacity(count);
    for (i, (name, path)) in files.into_iter().enumerate() {
        let is_last = i + 1 == count;
        let bytes = fs::read(&path).map_err(io_err("read segment", &path))?;
        let scan = scan(&bytes, prev, max_payload);
        let mut len = bytes.len() as u64;
        for (start, end, reason) in scan.bad {
            let truncated = is_last && end == len;
            if truncated {
                let f = OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .map_err(io_err("open segment", &path))?;
                f.set_len(start)
                    .map_err(io_err("truncate segment", &path))?;
                f.sync_all().map_err(io_err("fsync segment", &path))?;
                report.bytes_truncated += end - start;
                len = start;
            } else {
                report.corrupt_regions += 1;
                report.corrupt_bytes += end - start;
            }
            tracing::warn!(path = %path.display(), offset = start, bytes = end - start, truncated, %reason, "outbox segment damaged");
            if report.damage.len() < MAX_DAMAGE_REPORTS {
                report.damage.push(Damage {
                    path: path.clone(),
                    offset: start,
                    bytes: end - start,
                    truncated,
                    reason,
                });
            }
        }
        if let Some(last) = scan.records.last() {
            prev = Some(last.seq);
        }
        found.push(Segment {
            name,
            path,
            len,
            records: scan.records,
        });
    }

    let last_index = found.len().checked_sub(1);
    let mut segments = VecDeque::with_capacity(found.len());
    let mut writer = None;
    let mut deleted = false;
    for (i, seg) in found.into_iter().enumerate() {
        let is_last = Some(i) == last_index;
        let delivered = seg.last_seq().is_none_or(|l| !above(l, low_water));
        if seg.records.is_empty() || (delivered && !is_last) {
            fs::remove_file(&seg.path).map_err(io_err("delete segment", &seg.path))?;
            report.segments_deleted += 1;
            deleted = true;
            continue;
        }
        if is_last {
            writer = Some(segment::open_append(&seg.path)?);
        }
        report.records += seg.records.len() as u64;
        report.pending += seg
            .records
            .iter()
            .filter(|r| above(r.seq, low_water))
            .count() as u64;
        segments.push_back(seg);
    }
    if deleted {
        segment::sync_dir(dir)?;
    }
    report.segments = segments.len();
    Ok(Recovered {
        segments,
        writer,
        last_seq_on_disk: prev,
        report,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(records: &[(u64, &[u8])]) -> Vec<u8> {
        let mut buf = Vec::new();
        for &(seq, p) in records {
            record::encode_into(&mut buf, seq, 0, p);
        }
        buf
    }

    #[test]
    fn a_damaged_record_in_the_middle_is_skipped_and_the_rest_kept() {
        let mut bytes = encode(&[(1, b"one"), (2, b"two"), (3, b"three")]);
        let second = record::encoded_len(3) as usize;
        bytes[second + record::HEADER_LEN + 1] ^= 0x40;
        let s = scan(&bytes, None, 1024);
        let seqs: Vec<u64> = s.records.iter().map(|r| r.seq).collect();
        assert_eq!(seqs, [1, 3]);
        assert_eq!(s.bad.len(), 1);
        assert_eq!((s.bad[0].0, s.bad[0].1), (second as u64, 2 * second as u64));
    }

    #[test]
    fn a_valid_record_out_of_seq_order_is_not_trusted() {
        let bytes = encode(&[(5, b"a"), (4, b"b"), (6, b"c")]);
        let s = scan(&bytes, None, 1024);
        let seqs: Vec<u64> = s.records.iter().map(|r| r.seq).collect();
        assert_eq!(seqs, [5, 6]);
        assert_eq!(s.bad.len(), 1);
        assert!(scan(&encode(&[(3, b"x")]), Some(3), 1024)
            .records
            .is_empty());
    }

    #[test]
    fn garbage_never_decodes_as_records() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let garbage: Vec<u8> = (0..64 * 1024)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                if x.is_multiple_of(7) {
                    MAGIC
                } else {
                    x as u8
                }
            })
            .collect();
        let s = scan(&garbage, None, 1 << 20);
        assert!(s.records.is_empty());
        assert_eq!(s.bad.len(), 1);
    }
}
