//! IEC 60870-5-101 FT1.2 link frames (IEC 60870-5-1 clause 6.2.4.2, IEC 60870-5-101 clause 6):
//! from a raw serial dump as hex, or carried in TCP payloads of a capture (as Wireshark reads
//! them with `-d tcp.port==N,iec60870_101`).
//!
//! ```text
//! E5                                   single control character
//! 10 | C | A | CS | 16                 fixed length
//! 68 | L | L | 68 | C | A | ASDU | CS | 16   variable length (L = C, A and ASDU octets)
//! ```
//!
//! Framing hunts as a serial receiver does: bytes that start no valid frame are reported once
//! (with the reason the first of them failed) and skipped up to the next start character.

use fieldbridge_iec60870::ft12::{self, LinkConfig};
use fieldbridge_iec60870::AsduConfig;

use super::iec_json::{error_fields, ft12_fields};
use super::iec_tcp::Framing;
use super::json::{hex, Obj};

/// Frames FT1.2 frames and decodes their ASDUs.
#[derive(Debug)]
pub(crate) struct Ft12Frames {
    /// The link address length.
    pub(crate) link: LinkConfig,
    /// The ASDU field sizes.
    pub(crate) config: AsduConfig,
}

impl Ft12Frames {
    /// A line for `n` bytes of garbage at the start of `buf`.
    fn garbage(
        &self,
        buf: &[u8],
        n: usize,
        why: Option<&fieldbridge_iec60870::Error>,
        mut obj: Obj,
    ) -> Obj {
        let raw = buf.get(..n).unwrap_or_default();
        match why {
            Some(e) => error_fields(&mut obj, e, "ft12", 0, raw),
            None => {
                obj.put(
                    "error",
                    format!(
                        "{} starting no whole frame before the next frame",
                        super::count(n, "byte")
                    ),
                )
                .put("error_offset", 0)
                .put("error_in", "ft12")
                .put("raw", hex(raw));
            }
        }
        obj.put("discarded", n);
        obj
    }
}

impl Framing for Ft12Frames {
    fn frames(
        &mut self,
        buf: &mut Vec<u8>,
        start: &dyn Fn(usize) -> Obj,
        at_end: bool,
        lines: &mut Vec<Obj>,
    ) {
        let mut done = 0;
        while !buf.is_empty() {
            let hunt = ft12::decode_hunting(buf, &self.link);
            let skip = hunt.discarded;
            if skip > 0 {
                lines.push(self.garbage(buf, skip, hunt.first_error.as_ref(), start(done)));
            }
            let used = match hunt.frame {
                Some((frame, len)) => {
                    let mut obj = start(done + skip);
                    let raw = buf.get(skip..skip + len).unwrap_or_default();
                    let octets = self.link.address_len.octets();
                    ft12_fields(&mut obj, &frame, octets, &self.config, raw);
                    lines.push(obj);
                    skip + len
                }
                None if at_end && buf.len() > skip => {
                    // The rest starts a frame the input cuts short; a whole frame later in it
                    // means the start was garbage.
                    let rest = buf.get(skip + 1..).unwrap_or_default();
                    let later = ft12::decode_hunting(rest, &self.link);
                    if later.frame.is_none() {
                        buf.drain(..skip);
                        return;
                    }
                    let n = 1 + later.discarded;
                    let tail = buf.get(skip..).unwrap_or_default();
                    lines.push(self.garbage(tail, n, None, start(done + skip)));
                    skip + n
                }
                None => skip,
            };
            buf.drain(..used);
            done += used;
            if used == 0 {
                return;
            }
        }
    }
}
