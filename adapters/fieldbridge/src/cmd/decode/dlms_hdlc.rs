//! DLMS HDLC frames (IEC 62056-46, DLMS UA 1000-2 Ed. 10 clause 8.4) as JSON: from a serial
//! dump given as hex, or from one direction of a TCP connection (HDLC carried in TCP).
//!
//! ```text
//! 7E | format (type 3, S, length) | destination | source | control | [HCS | information] | FCS | 7E
//! ```
//!
//! [`hdlc::Splitter`] finds the frames: idle and shared flags are skipped, and bytes that are no
//! frame (noise, a frame with a bad HCS or FCS, a frame cut short) are discarded and given one
//! error line, with the reason of the first flag among them that starts a bad frame. Each frame's
//! line holds the header: frame format, segmentation bit, length, both addresses with their upper
//! and lower parts, the control field's kind with N(S), N(R) and P/F, the HCS and FCS. SNRM and
//! UA show their parameters, FRMR its reason. I and UI frames carry an APDU in segments: the
//! information fields are joined per direction (source and destination addresses) until a frame
//! without the segmentation bit, whose line shows the LLC header and the APDU.

use std::collections::HashMap;

use fieldbridge_dlms::hdlc::{self, Address, Control, Frame, FrameReject, Parameters, Splitter};

use super::dlms_apdu::{apdu_obj, Ctx, Session};
use super::dlms_keys::KeySet;
use super::json::{hex, Obj};

/// The longest APDU joined from segments (1 MiB): more is reported and dropped.
const MAX_SEGMENTED: usize = 1 << 20;

/// The HDLC side of one connection (or of the whole `--hex` input): the APDUs being segmented,
/// per direction.
#[derive(Debug, Default)]
pub(crate) struct Link {
    /// Information fields so far and their number, by (source, destination).
    partial: HashMap<(Address, Address), (Vec<u8>, usize)>,
}

/// A piece of the input: a frame, or bytes discarded before one.
enum Piece {
    /// A whole frame: its start and length, flags included.
    Frame(usize, usize),
    /// Discarded bytes: start and length.
    Garbage(usize, usize),
}

/// Cuts `buf` into frames and discarded bytes; also returns where the bytes not yet used start
/// (a frame not yet whole, or flags that may open the next).
fn split(buf: &[u8]) -> (Vec<Piece>, usize) {
    let mut splitter = Splitter::new();
    splitter.push(buf);
    let mut pieces = Vec::new();
    let mut done = 0usize;
    let mut discarded = 0u64;
    while let Some(len) = splitter.next_frame().map(|f| f.encoded_len()) {
        // The splitter keeps the closing flag, which may open the next frame.
        let close = buf.len().saturating_sub(splitter.buffered());
        let begin = (close + 1).saturating_sub(len);
        if splitter.discarded() > discarded {
            garbage(buf, done, begin, &mut pieces);
        }
        discarded = splitter.discarded();
        pieces.push(Piece::Frame(begin, len));
        done = begin + len;
    }
    let rest = buf.len().saturating_sub(splitter.buffered());
    if splitter.discarded() > discarded {
        garbage(buf, done, rest, &mut pieces);
    }
    (pieces, rest)
}

/// Adds the discarded bytes between `from` and `to`, idle flags at either end left out but the
/// flag that opens them.
fn garbage(buf: &[u8], from: usize, to: usize, pieces: &mut Vec<Piece>) {
    let Some(bytes) = buf.get(from..to) else {
        return;
    };
    let flags = bytes.iter().take_while(|&&b| b == hdlc::FLAG).count();
    let trail = bytes.iter().rev().take_while(|&&b| b == hdlc::FLAG).count();
    if flags + trail >= bytes.len() {
        return;
    }
    let begin = from + flags.saturating_sub(1);
    pieces.push(Piece::Garbage(begin, to - trail - begin));
}

/// Writes a line for every frame and every run of discarded bytes at the start of `buf`, and
/// removes them; `at_end` when no more bytes will come (flags left over are dropped then; a
/// frame cut short is left for the caller to report). Each line starts with `start(offset)`.
/// `from_server` is the TCP side, when known.
#[allow(clippy::too_many_arguments)]
pub(crate) fn frames(
    buf: &mut Vec<u8>,
    at_end: bool,
    start: &dyn Fn(usize) -> Obj,
    link: &mut Link,
    session: &mut Session,
    keys: Option<&KeySet>,
    from_server: Option<bool>,
    lines: &mut Vec<Obj>,
) {
    let (pieces, used) = split(buf);
    for piece in pieces {
        match piece {
            Piece::Garbage(at, len) => lines.push(garbage_line(buf, at, len, start)),
            Piece::Frame(at, len) => {
                let raw = buf.get(at..at + len).unwrap_or_default();
                // The splitter checked this frame: it decodes again.
                if let Ok(Some((frame, _))) = hdlc::decode(raw) {
                    let mut obj = start(at);
                    let mut ctx = Ctx {
                        keys,
                        session: &mut *session,
                        from_server,
                    };
                    frame_fields(&mut obj, &frame, raw, link, &mut ctx);
                    lines.push(obj);
                }
            }
        }
    }
    buf.drain(..used.min(buf.len()));
    if at_end && buf.iter().all(|&b| b == hdlc::FLAG) {
        buf.clear();
    }
}

/// The error line of discarded bytes: why the first flag among them starts no frame, else why
/// the flag just before them (the closing flag of the frame before, which may open the next)
/// does not; `error_offset` counts from the first discarded byte.
fn garbage_line(buf: &[u8], at: usize, len: usize, start: &dyn Fn(usize) -> Obj) -> Obj {
    let raw = buf.get(at..at + len).unwrap_or_default();
    let decode_at = |flag: usize| hdlc::decode(buf.get(flag..).unwrap_or_default()).err();
    let reason = raw
        .iter()
        .enumerate()
        .filter(|(_, &b)| b == hdlc::FLAG)
        .find_map(|(i, _)| decode_at(at + i).map(|e| e.shifted(i)))
        .map(|e| (e.to_string(), e.offset()))
        .or_else(|| {
            let before = at.checked_sub(1)?;
            (buf.get(before) == Some(&hdlc::FLAG))
                .then(|| decode_at(before))
                .flatten()
                .map(|e| (e.to_string(), e.offset().saturating_sub(1)))
        });
    let mut obj = start(at);
    match reason {
        Some((message, offset)) => {
            obj.put("error", message)
                .put("error_offset", offset.min(len.saturating_sub(1)));
        }
        None => {
            obj.put(
                "error",
                format!(
                    "{} that start no HDLC frame (no opening flag 0x7E)",
                    super::count(len, "byte")
                ),
            )
            .put("error_offset", 0);
        }
    }
    obj.put("error_in", "hdlc")
        .put("raw", hex(raw))
        .put("discarded", len);
    obj
}

/// An address: its octets, and its value (one octet) or upper and lower parts.
fn address_obj(address: &Address, octets: &[u8]) -> Obj {
    let mut obj = Obj::new();
    obj.put("hex", hex(octets));
    match address.lower() {
        Some(lower) => {
            obj.put("upper", address.upper()).put("lower", lower);
        }
        None => {
            obj.put("address", address.upper());
        }
    }
    if address.is_all_station() {
        obj.put("all_station", true);
    }
    obj
}

/// The name of a control field's frame type.
fn kind(control: Control) -> &'static str {
    match control {
        Control::I { .. } => "I",
        Control::Rr { .. } => "RR",
        Control::Rnr { .. } => "RNR",
        Control::Snrm { .. } => "SNRM",
        Control::Disc { .. } => "DISC",
        Control::Ua { .. } => "UA",
        Control::Dm { .. } => "DM",
        Control::Frmr { .. } => "FRMR",
        Control::Ui { .. } => "UI",
        Control::Unknown(_) => "unknown",
    }
}

/// A little-endian check sequence at `at` in `raw`.
fn check_sequence(raw: &[u8], at: usize) -> String {
    let value = raw
        .get(at..at + 2)
        .map_or(0, |b| u16::from_le_bytes([b[0], b[1]]));
    format!("{value:#06x}")
}

/// The header fields of a frame whose bytes (both flags included) are `raw`, then what its
/// information field holds.
fn frame_fields(obj: &mut Obj, frame: &Frame<'_>, raw: &[u8], link: &mut Link, ctx: &mut Ctx<'_>) {
    let d = frame.destination.octets();
    let s = frame.source.octets();
    let control_at = 3 + d + s;
    let format = raw
        .get(1..3)
        .map_or(0, |f| u16::from_be_bytes([f[0], f[1]]));
    obj.put("frame_format", format!("{format:#06x}"))
        .put("format_type", 3)
        .put("segmented", frame.segmented)
        .put("length", frame.length_field())
        .put_obj(
            "destination",
            address_obj(&frame.destination, raw.get(3..3 + d).unwrap_or_default()),
        )
        .put_obj(
            "source",
            address_obj(
                &frame.source,
                raw.get(3 + d..control_at).unwrap_or_default(),
            ),
        )
        .put("control", format!("{:#04x}", frame.control.to_octet()))
        .put("frame_type", kind(frame.control));
    if let Control::I { ns, .. } = frame.control {
        obj.put("ns", ns);
    }
    if let Some(nr) = frame.control.nr() {
        obj.put("nr", nr);
    }
    obj.put("pf", frame.control.pf());
    if !frame.info.is_empty() {
        obj.put("hcs", check_sequence(raw, control_at + 1))
            .put("info_length", frame.info.len());
    }
    obj.put("fcs", check_sequence(raw, raw.len().saturating_sub(3)));
    match frame.control {
        Control::Snrm { .. } => {
            link.partial.clear();
            parameters(obj, frame.info);
        }
        Control::Ua { .. } => parameters(obj, frame.info),
        Control::Disc { .. } => {
            link.partial.clear();
            info(obj, frame.info);
        }
        Control::Frmr { .. } => match FrameReject::decode(frame.info) {
            Ok(r) => {
                obj.put_obj("frmr", frame_reject(&r));
            }
            Err(e) => {
                obj.put("frmr_error", e.to_string())
                    .put("info", hex(frame.info));
            }
        },
        Control::I { .. } | Control::Ui { .. } => segment(obj, frame, link, ctx),
        _ => info(obj, frame.info),
    }
}

/// An information field nothing is known about, when there is one.
fn info(obj: &mut Obj, info: &[u8]) {
    if !info.is_empty() {
        obj.put("info", hex(info));
    }
}

/// The HDLC parameters of an SNRM or UA with an information field (IEC 62056-46 clause
/// 6.4.4.4.3.2), as the station states them.
fn parameters(obj: &mut Obj, info: &[u8]) {
    if info.is_empty() {
        return;
    }
    match Parameters::decode(info) {
        Ok(p) => {
            let mut o = Obj::new();
            o.put("max_info_field_length_transmit", p.max_info_tx)
                .put("max_info_field_length_receive", p.max_info_rx)
                .put("window_size_transmit", p.window_tx)
                .put("window_size_receive", p.window_rx);
            obj.put_obj("parameters", o);
        }
        Err(e) => {
            obj.put("parameters_error", e.to_string())
                .put("info", hex(info));
        }
    }
}

/// The FRMR information field: the rejected control field, the rejecting station's state and
/// the reasons by name (ISO/IEC 13239 W, X, Y, Z, V).
fn frame_reject(r: &FrameReject) -> Obj {
    const REASONS: [(u8, &str); 5] = [
        (
            FrameReject::W,
            "W: control field undefined or not implemented",
        ),
        (
            FrameReject::X,
            "X: information field not permitted with this frame",
        ),
        (
            FrameReject::Y,
            "Y: information field longer than the station can receive",
        ),
        (FrameReject::Z, "Z: invalid N(R)"),
        (FrameReject::V, "V: invalid N(S)"),
    ];
    let reasons: Vec<&str> = REASONS
        .iter()
        .filter(|(bit, _)| r.reasons & bit != 0)
        .map(|(_, name)| *name)
        .collect();
    let mut obj = Obj::new();
    obj.put("rejected_control", format!("{:#04x}", r.control))
        .put("vs", r.vs)
        .put("vr", r.vr)
        .put(
            "rejected_frame",
            if r.response { "response" } else { "command" },
        )
        .put("reasons", reasons);
    obj
}

/// An I or UI frame: one more segment of its direction's APDU; on the last (the segmentation
/// bit clear) the LLC header and the APDU joined from every segment.
fn segment(obj: &mut Obj, frame: &Frame<'_>, link: &mut Link, ctx: &mut Ctx<'_>) {
    let key = (frame.source, frame.destination);
    let entry = link.partial.entry(key).or_default();
    if entry.0.len() + frame.info.len() > MAX_SEGMENTED {
        obj.put(
            "error",
            format!(
                "an APDU in segments longer than {} bytes: dropped",
                MAX_SEGMENTED
            ),
        )
        .put("error_in", "hdlc");
        link.partial.remove(&key);
        return;
    }
    entry.0.extend_from_slice(frame.info);
    entry.1 += 1;
    if frame.segmented {
        obj.put("segment", entry.1);
        return;
    }
    let Some((data, count)) = link.partial.remove(&key) else {
        return;
    };
    if count > 1 {
        obj.put("segment", count).put("segments", count);
    }
    if data.is_empty() {
        return;
    }
    let llc = match data.get(..3) {
        Some(h) if h == hdlc::LLC_COMMAND => Some(false),
        Some(h) if h == hdlc::LLC_RESPONSE => Some(true),
        _ => None,
    };
    let Some(response) = llc else {
        let direction = if data.get(1) == Some(&0xE7) {
            hdlc::Llc::Response
        } else {
            hdlc::Llc::Command
        };
        if let Err(e) = direction.strip(&data) {
            obj.put("error", e.to_string())
                .put("error_offset", e.offset())
                .put("error_in", "llc")
                .put("raw", hex(&data));
        }
        return;
    };
    obj.put("llc", if response { "response" } else { "command" });
    let apdu = data.get(3..).unwrap_or_default();
    if ctx.from_server.is_none() {
        ctx.from_server = Some(response);
    }
    match apdu_obj(apdu, ctx) {
        Ok(a) => {
            obj.put_obj("apdu", a);
        }
        Err(e) => {
            obj.put("error", e.to_string())
                .put("error_offset", e.offset())
                .put("error_in", "apdu")
                .put("raw", hex(apdu));
        }
    }
}
