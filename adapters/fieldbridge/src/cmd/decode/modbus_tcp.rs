//! Modbus TCP in a capture: the connections (see [`connections`]) cut into frames, and each
//! response matched with its request.
//!
//! [`connections`]: super::connections

use std::collections::HashMap;

use fieldbridge_modbus::tcp;

use super::connections::{self, key, Decoded, Key, Protocol, StreamFraming, Where};
use super::json::Obj;
use super::modbus_json::{error_fields, pdu_fields, Asked, Direction};
use super::pcap::Packet;

/// The registered Modbus TCP port.
pub(crate) const MODBUS_PORT: u16 = 502;

/// Decodes every Modbus TCP frame in `packets`. The server port is `port` when given (only
/// connections using it are decoded), else 502 when a connection uses it (only those are decoded),
/// else, for every connection, the side the first SYN went to, else the lower port.
pub(crate) fn decode(packets: &[Packet], port: Option<u16>) -> Decoded {
    let protocol = Protocol {
        name: "Modbus TCP",
        registered: Some(MODBUS_PORT),
        acked_first: false,
    };
    let mut framer = Framer {
        pending: HashMap::new(),
    };
    connections::decode(packets, port, &protocol, &mut framer)
}

/// Cuts reassembled bytes into frames and writes their lines.
struct Framer {
    /// The requests waiting for their response, by connection and transaction: the request's
    /// packet number and what it asked.
    pending: HashMap<(Key, u16), (u64, Asked)>,
}

impl StreamFraming for Framer {
    /// The fields every line starts with: frame number, time and endpoints.
    fn start(&self, at: &Where) -> Obj {
        at.endpoints()
    }

    /// Writes every whole frame at the start of the side's buffer: requests from the client,
    /// responses from the server. A bad MBAP header means the stream is out of step: the
    /// buffered bytes are reported and dropped, and framing starts again with the next segment.
    fn frames(&mut self, buf: &mut Vec<u8>, at: &Where, _at_end: bool, lines: &mut Vec<Obj>) {
        let direction = if at.from_server {
            Direction::Response
        } else {
            Direction::Request
        };
        loop {
            match tcp::decode(buf) {
                Ok(None) => return,
                Ok(Some((frame, used))) => {
                    let mut obj = at.endpoints();
                    let header = frame.header;
                    obj.put("transaction_id", header.transaction_id)
                        .put("protocol_id", tcp::PROTOCOL_ID)
                        .put("length", frame.pdu.len() + 1)
                        .put("unit_id", header.unit_id);
                    let id = (key(at.src, at.dst), header.transaction_id);
                    match direction {
                        Direction::Request => {
                            let asked = pdu_fields(&mut obj, frame.pdu, direction, None, None);
                            if let Some(asked) = asked {
                                self.pending.insert(id, (at.frame, asked));
                            }
                        }
                        Direction::Response => {
                            let request = self.pending.remove(&id);
                            let (frame_no, asked) = request.unzip();
                            pdu_fields(&mut obj, frame.pdu, direction, frame_no, asked);
                        }
                    }
                    lines.push(obj);
                    buf.drain(..used);
                }
                Err(e) => {
                    let mut obj = at.endpoints();
                    let shown = buf.len().min(tcp::MAX_FRAME_LEN);
                    error_fields(&mut obj, &e, "mbap", &buf[..shown]);
                    obj.put("discarded", buf.len());
                    lines.push(obj);
                    buf.clear();
                    return;
                }
            }
        }
    }
}
