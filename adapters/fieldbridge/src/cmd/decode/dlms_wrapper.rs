//! DLMS wrapper PDUs (IEC 62056-47, DLMS UA 1000-2 Ed. 10 clause 8.5) as JSON: from hex, or from
//! one direction of a TCP connection.
//!
//! ```text
//! version 0x0001 (2) | source wPort (2) | destination wPort (2) | length (2) | APDU
//! ```
//!
//! The wrapper has no checksum and no delimiter: a wrong version or an impossible length means
//! the stream is out of step. The bytes buffered are then reported and dropped (as for Modbus
//! TCP), and framing starts again with the next bytes.

use fieldbridge_dlms::wrapper;

use super::dlms_apdu::{apdu_obj, Ctx, Session};
use super::dlms_keys::KeySet;
use super::json::{hex, Obj};

/// Writes a line for every whole PDU at the start of `buf` and removes it; on a framing error,
/// one error line for everything buffered, which is dropped. Each line starts with
/// `start(offset)`; `from_server` is the TCP side, when known.
pub(crate) fn frames(
    buf: &mut Vec<u8>,
    start: &dyn Fn(usize) -> Obj,
    session: &mut Session,
    keys: Option<&KeySet>,
    from_server: Option<bool>,
    lines: &mut Vec<Obj>,
) {
    let mut done = 0usize;
    loop {
        let rest = buf.get(done..).unwrap_or_default();
        match wrapper::decode(rest) {
            Ok(None) => break,
            Ok(Some((pdu, used))) => {
                let mut obj = start(done);
                obj.put("version", wrapper::VERSION)
                    .put("source_wport", pdu.source)
                    .put("destination_wport", pdu.destination)
                    .put("length", pdu.apdu.len());
                let mut ctx = Ctx {
                    keys,
                    session: &mut *session,
                    from_server,
                };
                match apdu_obj(pdu.apdu, &mut ctx) {
                    Ok(apdu) => {
                        obj.put_obj("apdu", apdu);
                    }
                    Err(e) => {
                        obj.put("error", e.to_string())
                            .put("error_offset", e.offset())
                            .put("error_in", "apdu")
                            .put("raw", hex(pdu.apdu));
                    }
                }
                lines.push(obj);
                done += used;
            }
            Err(e) => {
                let mut obj = start(done);
                let shown = rest.len().min(wrapper::HEADER_LEN + wrapper::MAX_APDU_LEN);
                obj.put("error", e.to_string())
                    .put("error_offset", e.offset())
                    .put("error_in", "wrapper")
                    .put("raw", hex(rest.get(..shown).unwrap_or_default()))
                    .put("discarded", rest.len());
                lines.push(obj);
                done = buf.len();
                break;
            }
        }
    }
    buf.drain(..done.min(buf.len()));
}
