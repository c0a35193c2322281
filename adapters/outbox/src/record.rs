//! The on-disk record: layout, encoding and verification.
//!
//! Every record is a fixed 25-byte header followed by the payload. All integers are little-endian.
//!
//! ```text
//! offset  size  field
//!      0     1  magic/version byte: 0xF1 (format 1)
//!      1     4  payload length L (u32), at most Config::max_payload
//!      5     4  CRC-32 (IEEE, crc32fast) of bytes 1..5 and 9..25 of the header, then the payload,
//!               i.e. of length, seq, appended-at and payload
//!      9     8  seq (u64), strictly increasing through the whole outbox
//!     17     8  appended at, unix milliseconds (u64)
//!     25     L  payload (opaque bytes)
//! ```
//!
//! The checksum covers the length as well as the seq, so a flipped bit in either is caught, and a
//! record torn anywhere (header or payload) never verifies.

use std::fmt;

/// Length of the record header in bytes.
pub const HEADER_LEN: usize = 25;
/// The magic/version byte that starts every record.
pub const MAGIC: u8 = 0xF1;

/// The header fields of one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) len: u32,
    pub(crate) crc: u32,
    pub(crate) seq: u64,
    pub(crate) appended_at_ms: u64,
}

/// Why bytes are not a valid record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Bad {
    /// Fewer bytes than the header or the payload needs.
    Short { need: u64, have: u64 },
    /// The first byte is not [`MAGIC`].
    Magic(u8),
    /// The length field is above the configured maximum.
    TooLong { len: u32, max: u32 },
    /// The checksum does not match.
    Crc { stored: u32, computed: u32 },
}

impl fmt::Display for Bad {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Bad::Short { need, have } => write!(f, "expected {need} bytes, found {have}"),
            Bad::Magic(b) => write!(f, "expected magic byte {MAGIC:#04x}, found {b:#04x}"),
            Bad::TooLong { len, max } => {
                write!(f, "expected a length of at most {max}, found {len}")
            }
            Bad::Crc { stored, computed } => {
                write!(f, "expected CRC {computed:#010x}, found {stored:#010x}")
            }
        }
    }
}

/// Bytes one record with a payload of `payload_len` bytes occupies on disk.
pub(crate) fn encoded_len(payload_len: usize) -> u64 {
    (HEADER_LEN as u64).saturating_add(payload_len as u64)
}

fn checksum(len: u32, seq: u64, appended_at_ms: u64, payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&len.to_le_bytes());
    h.update(&seq.to_le_bytes());
    h.update(&appended_at_ms.to_le_bytes());
    h.update(payload);
    h.finalize()
}

/// Appends the encoded record to `buf`. The caller has checked that the payload fits in a `u32`.
pub(crate) fn encode_into(buf: &mut Vec<u8>, seq: u64, appended_at_ms: u64, payload: &[u8]) {
    let len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
    let crc = checksum(len, seq, appended_at_ms, payload);
    buf.reserve(HEADER_LEN + payload.len());
    buf.push(MAGIC);
    buf.extend_from_slice(&len.to_le_bytes());
    buf.extend_from_slice(&crc.to_le_bytes());
    buf.extend_from_slice(&seq.to_le_bytes());
    buf.extend_from_slice(&appended_at_ms.to_le_bytes());
    buf.extend_from_slice(payload);
}

fn field<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    if let Some(src) = bytes.get(at..at + N) {
        out.copy_from_slice(src);
    }
    out
}

/// Parses a header (without checking the checksum, which needs the payload).
pub(crate) fn parse_header(bytes: &[u8; HEADER_LEN], max_payload: u32) -> Result<Header, Bad> {
    let [magic, ..] = *bytes;
    if magic != MAGIC {
        return Err(Bad::Magic(magic));
    }
    let header = Header {
        len: u32::from_le_bytes(field(bytes, 1)),
        crc: u32::from_le_bytes(field(bytes, 5)),
        seq: u64::from_le_bytes(field(bytes, 9)),
        appended_at_ms: u64::from_le_bytes(field(bytes, 17)),
    };
    if header.len > max_payload {
        return Err(Bad::TooLong {
            len: header.len,
            max: max_payload,
        });
    }
    Ok(header)
}

/// Checks the payload against the header's length and checksum.
pub(crate) fn verify(header: &Header, payload: &[u8]) -> Result<(), Bad> {
    if payload.len() as u64 != u64::from(header.len) {
        return Err(Bad::Short {
            need: u64::from(header.len),
            have: payload.len() as u64,
        });
    }
    let computed = checksum(header.len, header.seq, header.appended_at_ms, payload);
    if computed != header.crc {
        return Err(Bad::Crc {
            stored: header.crc,
            computed,
        });
    }
    Ok(())
}

/// Decodes the record at the start of `bytes`; returns its header and payload.
pub(crate) fn decode(bytes: &[u8], max_payload: u32) -> Result<(Header, &[u8]), Bad> {
    let short = |need: u64| Bad::Short {
        need,
        have: bytes.len() as u64,
    };
    let head: &[u8; HEADER_LEN] = bytes
        .first_chunk()
        .ok_or_else(|| short(HEADER_LEN as u64))?;
    let header = parse_header(head, max_payload)?;
    let end = HEADER_LEN + header.len as usize;
    let payload = bytes
        .get(HEADER_LEN..end)
        .ok_or_else(|| short(end as u64))?;
    verify(&header, payload)?;
    Ok((header, payload))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_decodes_to_what_was_encoded() {
        let mut buf = Vec::new();
        encode_into(&mut buf, 42, 1_700_000_000_000, b"hello");
        assert_eq!(buf.len() as u64, encoded_len(5));
        assert_eq!(buf[0], MAGIC);
        let (h, p) = decode(&buf, 1024).unwrap();
        assert_eq!(
            (h.seq, h.appended_at_ms, h.len, p),
            (42, 1_700_000_000_000, 5, &b"hello"[..])
        );
    }

    #[test]
    fn every_single_bit_flip_is_detected() {
        let mut buf = Vec::new();
        encode_into(&mut buf, 7, 99, b"payload bytes");
        for i in 0..buf.len() * 8 {
            let mut b = buf.clone();
            b[i / 8] ^= 1 << (i % 8);
            assert!(
                decode(&b, 1 << 20).is_err(),
                "flip of bit {i} went unnoticed"
            );
        }
    }

    #[test]
    fn every_truncation_is_detected() {
        let mut buf = Vec::new();
        encode_into(&mut buf, 7, 99, b"payload bytes");
        for cut in 0..buf.len() {
            assert!(matches!(
                decode(&buf[..cut], 1 << 20),
                Err(Bad::Short { .. })
            ));
        }
    }

    #[test]
    fn a_length_above_the_maximum_is_rejected_before_reading_the_payload() {
        let mut buf = Vec::new();
        encode_into(&mut buf, 1, 0, &[0u8; 100]);
        assert!(matches!(
            decode(&buf, 99),
            Err(Bad::TooLong { len: 100, max: 99 })
        ));
    }
}
