//! HDLC frames of frame format type 3 (IEC 62056-46 clause 6.4, DLMS UA 1000-2 Ed. 10 clause
//! 8.4.3).
//!
//! ```text
//! 7E | format (2) | destination (1, 2, 4) | source (1, 2, 4) | control | [HCS (2) | information]
//!    | FCS (2) | 7E
//! format: 1010 S LLL LLLLLLLL   type 3, segmentation bit, 11-bit length from format to FCS
//! ```
//!
//! The HCS covers format to control and is present only with an information field; the FCS covers
//! format to the end of the information field. Both are CRC-16/X.25 ([`crc16`]), low byte first.
//! There is no byte stuffing: a 0x7E inside a frame is data, and the length field says where the
//! frame ends.

use super::address::Address;
use super::control::Control;
use crate::crc::crc16;
use crate::{Checksum, Error};

/// The opening and closing flag.
pub const FLAG: u8 = 0x7E;
/// The frame format type 3 in the high nibble of the first format octet.
pub const FORMAT_TYPE_3: u8 = 0xA0;
/// The segmentation bit S in the first format octet.
pub const SEGMENTED: u8 = 0x08;
/// The largest value of the 11-bit length field.
pub const MAX_LENGTH: usize = 0x07FF;
/// The smallest length field: format, one-octet addresses, control and FCS.
pub const MIN_LENGTH: usize = 7;
/// The longest frame with its two flags.
pub const MAX_FRAME_LEN: usize = MAX_LENGTH + 2;

/// A decoded frame, its information field borrowed from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Frame<'a> {
    /// The segmentation bit S: more segments of the same APDU follow.
    pub segmented: bool,
    /// The destination address.
    pub destination: Address,
    /// The source address.
    pub source: Address,
    /// The control field.
    pub control: Control,
    /// The information field, empty when the frame has none.
    pub info: &'a [u8],
}

/// An owned frame, for building and keeping frames.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OwnedFrame {
    /// The segmentation bit S.
    pub segmented: bool,
    /// The destination address.
    pub destination: Address,
    /// The source address.
    pub source: Address,
    /// The control field.
    pub control: Control,
    /// The information field, empty for none.
    pub info: Vec<u8>,
}

/// Decodes one frame from the start of `buf` (IEC 62056-46 clause 6.4.1).
///
/// Returns `Ok(None)` while the buffer holds less than a whole frame, else the frame and its
/// length with both flags. Each check runs as soon as its bytes are there (the addresses and the
/// HCS before the rest of a long frame arrives), so that garbage is refused early, and a check
/// never changes its mind: a longer buffer gives the same error. The length field is checked
/// against the header after each address octet: once the octets seen leave no address sizes
/// that fit it (`7E A0 08 36 28`: a destination of four octets), it is refused. A check
/// sequence is checked once both its octets are there, so that the error carries it whole
/// (its first octet alone may already be wrong: the answer comes one octet later). On a serial
/// line the closing flag may also open the next frame: [`Splitter`](super::Splitter) handles that.
///
/// # Errors
/// [`Error::BadByte`] for the opening flag (offset 0), the frame format (1), an address that does
/// not end on its 1st, 2nd or 4th octet, the closing flag; [`Error::BadLength`] for a length
/// shorter than the header and FCS (offset 1; `min` is the shortest length the address octets
/// seen when it was refused allow); [`Error::BadValue`] for a length that leaves room for an HCS
/// but no information octet whatever sizes the addresses turn out to have (offset 1);
/// [`Error::BadChecksum`] at the HCS or FCS.
pub fn decode(buf: &[u8]) -> Result<Option<(Frame<'_>, usize)>, Error> {
    let Some(&flag) = buf.first() else {
        return Ok(None);
    };
    if flag != FLAG {
        return Err(Error::BadByte {
            offset: 0,
            what: "HDLC opening flag",
            expected: "0x7E",
            found: flag,
        });
    }
    let Some(&f0) = buf.get(1) else {
        return Ok(None);
    };
    if f0 & 0xF0 != FORMAT_TYPE_3 {
        return Err(Error::BadByte {
            offset: 1,
            what: "HDLC frame format",
            expected: "frame format type 3 (0xA0..=0xAF)",
            found: f0,
        });
    }
    let Some(&f1) = buf.get(2) else {
        return Ok(None);
    };
    let len = (usize::from(f0 & 0x07) << 8) | usize::from(f1);
    if len < MIN_LENGTH {
        return Err(bad_length(len, MIN_LENGTH));
    }
    let rest = |at: usize| buf.get(at..).unwrap_or_default();
    // The addresses and the length against them, octet by octet (two addresses of four at most).
    for seen in 1..=rest(3).len().min(8) {
        let octets = buf.get(3..3 + seen).unwrap_or_default();
        if let Some((_, d)) = Address::decode(octets, 3, "HDLC destination address")? {
            let source = octets.get(d..).unwrap_or_default();
            Address::decode(source, 3 + d, "HDLC source address")?;
        }
        fits(octets, len)?;
    }
    let Some((destination, d)) = Address::decode(rest(3), 3, "HDLC destination address")? else {
        return Ok(None);
    };
    let source_at = 3 + d;
    let Some((source, s)) = Address::decode(rest(source_at), source_at, "HDLC source address")?
    else {
        return Ok(None);
    };
    let control_at = source_at + s;
    let header_end = control_at + 1;
    // The FCS starts at 1 + len - 2; the closing flag follows it.
    let fcs_at = len - 1;
    if fcs_at < header_end {
        return Err(bad_length(len, header_end + 1));
    }
    let has_info = fcs_at > header_end;
    if has_info && fcs_at < header_end + 3 {
        return Err(no_info(len));
    }
    let Some(&control) = buf.get(control_at) else {
        return Ok(None);
    };
    if has_info {
        let Some(hcs) = buf.get(header_end..header_end + 2) else {
            return Ok(None);
        };
        check(buf, header_end, hcs, Checksum::Hcs)?;
    }
    let Some(fcs) = buf.get(fcs_at..fcs_at + 2) else {
        return Ok(None);
    };
    check(buf, fcs_at, fcs, Checksum::Fcs)?;
    let Some(&close) = buf.get(fcs_at + 2) else {
        return Ok(None);
    };
    if close != FLAG {
        return Err(Error::BadByte {
            offset: fcs_at + 2,
            what: "HDLC closing flag",
            expected: "0x7E",
            found: close,
        });
    }
    let info = if has_info {
        buf.get(header_end + 2..fcs_at).unwrap_or_default()
    } else {
        &[]
    };
    let frame = Frame {
        segmented: f0 & SEGMENTED != 0,
        destination,
        source,
        control: Control::from_octet(control),
        info,
    };
    Ok(Some((frame, len + 2)))
}

/// The sizes an address may have (1, 2 or 4 octets) given its first octets: the size it ends
/// at, or those longer than what is seen of it.
fn sizes(octets: &[u8]) -> impl Iterator<Item = usize> + '_ {
    let end = octets.iter().take(4).position(|b| b & 1 == 1);
    [1, 2, 4].into_iter().filter(move |&n| match end {
        Some(i) => n == i + 1,
        None => n > octets.len(),
    })
}

/// Whether a length field `len` fits a header whose address octets begin with `octets`: some
/// address sizes they allow leave exactly the FCS after the control field, or an HCS, at least
/// one information octet and the FCS. Refused only when no sizes do.
fn fits(octets: &[u8], len: usize) -> Result<(), Error> {
    let fcs_at = len.saturating_sub(1);
    let mut shortest = None;
    let mut gap = false;
    for d in sizes(octets) {
        for s in sizes(octets.get(d..).unwrap_or_default()) {
            let header_end = 3 + d + s + 1;
            if fcs_at == header_end || fcs_at >= header_end + 3 {
                return Ok(());
            }
            if fcs_at < header_end {
                shortest = Some(shortest.map_or(header_end + 1, |m: usize| m.min(header_end + 1)));
            } else {
                gap = true;
            }
        }
    }
    match shortest {
        _ if gap => Err(no_info(len)),
        Some(min) => Err(bad_length(len, min)),
        // No sizes: the address decoder refuses the octets.
        None => Ok(()),
    }
}

fn no_info(len: usize) -> Error {
    Error::BadValue {
        offset: 1,
        what: "HDLC frame length",
        expected: "the header and FCS alone, or with an HCS and an information field",
        found: len as u64,
    }
}

fn bad_length(found: usize, min: usize) -> Error {
    Error::BadLength {
        offset: 1,
        what: "HDLC frame length",
        min: min as u64,
        max: MAX_LENGTH as u64,
        found: found as u64,
    }
}

/// Checks the CRC at `at` (found in `sequence`) against bytes 1..at of `buf`.
fn check(buf: &[u8], at: usize, sequence: &[u8], which: Checksum) -> Result<(), Error> {
    let computed = crc16(buf.get(1..at).unwrap_or_default());
    let found = match sequence {
        [lo, hi] => u16::from_le_bytes([*lo, *hi]),
        _ => 0,
    };
    if computed != found {
        return Err(Error::BadChecksum {
            offset: at,
            which,
            computed,
            found,
        });
    }
    Ok(())
}

impl<'a> Frame<'a> {
    /// The length field: format to FCS.
    pub fn length_field(&self) -> usize {
        let info = if self.info.is_empty() {
            0
        } else {
            2 + self.info.len()
        };
        2 + self.destination.octets() + self.source.octets() + 1 + info + 2
    }

    /// The number of bytes [`Frame::encode`] writes, both flags included.
    pub fn encoded_len(&self) -> usize {
        self.length_field() + 2
    }

    /// The longest information field a frame between these addresses can carry.
    pub fn max_info_len(destination: &Address, source: &Address) -> usize {
        MAX_LENGTH - (2 + destination.octets() + source.octets() + 1 + 2 + 2)
    }

    /// Appends the frame with both flags, its HCS (when there is an information field) and its
    /// FCS. Nothing is written on error.
    ///
    /// # Errors
    /// [`Error::BadLength`] (at the length field in `out`) when the frame would be longer than the
    /// 11-bit length field allows.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        let len = self.length_field();
        let start = out.len();
        if len > MAX_LENGTH {
            return Err(Error::BadLength {
                offset: start + 1,
                what: "HDLC frame length",
                min: MIN_LENGTH as u64,
                max: MAX_LENGTH as u64,
                found: len as u64,
            });
        }
        out.reserve(len + 2);
        out.push(FLAG);
        let s = if self.segmented { SEGMENTED } else { 0 };
        // len <= 0x7FF: the high three bits go in the first octet.
        out.push(FORMAT_TYPE_3 | s | ((len >> 8) as u8 & 0x07));
        out.push((len & 0xFF) as u8);
        self.destination.encode(out);
        self.source.encode(out);
        out.push(self.control.to_octet());
        if !self.info.is_empty() {
            let hcs = crc16(out.get(start + 1..).unwrap_or_default());
            out.extend_from_slice(&hcs.to_le_bytes());
            out.extend_from_slice(self.info);
        }
        let fcs = crc16(out.get(start + 1..).unwrap_or_default());
        out.extend_from_slice(&fcs.to_le_bytes());
        out.push(FLAG);
        Ok(())
    }

    /// The frame as an owned value.
    pub fn to_owned_frame(&self) -> OwnedFrame {
        OwnedFrame {
            segmented: self.segmented,
            destination: self.destination,
            source: self.source,
            control: self.control,
            info: self.info.to_vec(),
        }
    }
}

impl OwnedFrame {
    /// The frame as a borrowed view.
    pub fn as_frame(&self) -> Frame<'_> {
        Frame {
            segmented: self.segmented,
            destination: self.destination,
            source: self.source,
            control: self.control,
            info: &self.info,
        }
    }

    /// The number of bytes [`OwnedFrame::encode`] writes, both flags included.
    pub fn encoded_len(&self) -> usize {
        self.as_frame().encoded_len()
    }

    /// Appends the frame, as [`Frame::encode`].
    ///
    /// # Errors
    /// As [`Frame::encode`].
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        self.as_frame().encode(out)
    }
}
