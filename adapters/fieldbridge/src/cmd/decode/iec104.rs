//! IEC 60870-5-104 APDUs (IEC 60870-5-104 clause 5): from a capture's TCP streams, or from hex.
//!
//! ```text
//! 68 | length (4..=253) | control (4 octets: I, S or U) | ASDU (I frames only)
//! ```
//!
//! A bad start byte or length means the stream is out of step. In a capture the buffered bytes
//! are reported and dropped, and framing starts again with the next segment (TCP segments of 104
//! traffic start with an APDU); in `--hex` input the decoder skips to the next 0x68.

use fieldbridge_iec60870::apci::{self, Apci, Apdu, START};
use fieldbridge_iec60870::AsduConfig;

use super::iec_json::{apci_fields, asdu_or_error, error_fields};
use super::iec_tcp::Framing;
use super::json::Obj;

/// The registered IEC 104 port.
pub(crate) const IEC104_PORT: u16 = 2404;

/// Frames APDUs and decodes their ASDUs with `config`.
#[derive(Debug)]
pub(crate) struct Apdus {
    /// The ASDU field sizes.
    pub(crate) config: AsduConfig,
    /// After a framing error, hunt for the next 0x68 (hex input) rather than drop the buffer
    /// (a capture's TCP stream).
    pub(crate) resync: bool,
}

/// The fields of an APDU whose bytes are `raw`.
fn apdu_fields(obj: &mut Obj, apdu: &Apdu<'_>, raw: &[u8], config: &AsduConfig) {
    apci_fields(obj, &apdu.apci, raw.len().saturating_sub(2));
    if let Apci::I { .. } = apdu.apci {
        asdu_or_error(obj, apdu.asdu, config, apci::APCI_LEN, raw);
    }
}

impl Framing for Apdus {
    fn frames(
        &mut self,
        buf: &mut Vec<u8>,
        start: &dyn Fn(usize) -> Obj,
        _at_end: bool,
        lines: &mut Vec<Obj>,
    ) {
        let mut done = 0;
        loop {
            match apci::decode(buf) {
                Ok(None) => return,
                Ok(Some((apdu, used))) => {
                    let mut obj = start(done);
                    apdu_fields(
                        &mut obj,
                        &apdu,
                        buf.get(..used).unwrap_or_default(),
                        &self.config,
                    );
                    lines.push(obj);
                    buf.drain(..used);
                    done += used;
                }
                Err(e) => {
                    let mut obj = start(done);
                    let bad = if self.resync {
                        buf.iter()
                            .skip(1)
                            .position(|&b| b == START)
                            .map_or(buf.len(), |p| p + 1)
                    } else {
                        buf.len()
                    };
                    let shown = bad.min(apci::MAX_APDU_LEN);
                    error_fields(
                        &mut obj,
                        &e,
                        "apci",
                        0,
                        buf.get(..shown).unwrap_or_default(),
                    );
                    obj.put("discarded", bad);
                    lines.push(obj);
                    buf.drain(..bad);
                    done += bad;
                    if !self.resync {
                        return;
                    }
                }
            }
        }
    }
}
