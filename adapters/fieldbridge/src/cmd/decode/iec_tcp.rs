//! IEC 60870-5 framings, and IEC over TCP in a capture: the connections (see [`connections`])
//! handed to a framing (104 APDUs, or FT1.2 frames of 101 carried in TCP as Wireshark's
//! `-d tcp.port==N,iec60870_101` reads them), each line saying which side sent the frame.
//!
//! [`connections`]: super::connections

use super::connections::{self, Decoded, Protocol, StreamFraming, Where};
use super::json::Obj;
use super::pcap::Packet;

/// Cuts a byte stream into frames: one direction of a TCP connection, or `--hex` input.
pub(crate) trait Framing {
    /// Writes a line for every whole frame at the start of `buf` and removes what it used (a
    /// frame, or bytes it reports as bad); `at_end` when no more bytes will come. Each line
    /// starts with the fields `start` gives for the offset in `buf` (as it was on the call) of
    /// the bytes the line is about.
    fn frames(
        &mut self,
        buf: &mut Vec<u8>,
        start: &dyn Fn(usize) -> Obj,
        at_end: bool,
        lines: &mut Vec<Obj>,
    );
}

/// An IEC framing reading the directions of TCP connections.
struct InTcp<'a>(&'a mut dyn Framing);

impl StreamFraming for InTcp<'_> {
    /// The endpoints, and `from`: `server` (for 104, the controlled station) or `client`.
    fn start(&self, at: &Where) -> Obj {
        let mut obj = at.endpoints();
        obj.put("from", if at.from_server { "server" } else { "client" });
        obj
    }

    fn frames(&mut self, buf: &mut Vec<u8>, at: &Where, at_end: bool, lines: &mut Vec<Obj>) {
        let start = self.start(at);
        self.0.frames(buf, &|_| start.clone(), at_end, lines);
    }
}

/// Decodes every connection of `packets` with `framing`; `name` and `registered` name the
/// protocol and its registered port for the notes and the default choice of server. What a
/// packet acknowledges was sent before it: those bytes are framed first.
pub(crate) fn decode(
    packets: &[Packet],
    port: Option<u16>,
    registered: Option<u16>,
    name: &str,
    framing: &mut dyn Framing,
) -> Decoded {
    let protocol = Protocol {
        name,
        registered,
        acked_first: true,
    };
    connections::decode(packets, port, &protocol, &mut InTcp(framing))
}
