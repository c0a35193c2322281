//! DLMS/COSEM in `decode`: HDLC frames ([`dlms_hdlc`]) or wrapper PDUs ([`dlms_wrapper`]) from
//! hex or from a capture's TCP connections, each APDU decoded ([`dlms_apdu`]) and, with keys
//! ([`dlms_keys`]), deciphered ([`dlms_cipher`]).
//!
//! Every TCP connection (or the whole `--hex` input) is one association: the system titles its
//! AARQ and AARE give, the GET blocks and the HDLC segments being joined are kept per connection.
//! The wrapper's server is the side on port 4059 when a connection uses it; HDLC in TCP has no
//! registered port; otherwise, as for the other protocols, `--port`, else the side the first SYN
//! went to, else the lower port.
//!
//! [`dlms_hdlc`]: super::dlms_hdlc
//! [`dlms_wrapper`]: super::dlms_wrapper
//! [`dlms_apdu`]: super::dlms_apdu
//! [`dlms_keys`]: super::dlms_keys
//! [`dlms_cipher`]: super::dlms_cipher

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};

use fieldbridge_dlms::wrapper;

use super::connections::{self, key, Decoded, Key, Protocol, StreamFraming, Where};
use super::dlms_apdu::Session;
use super::dlms_hdlc::{self, Link};
use super::dlms_keys::KeySet;
use super::dlms_wrapper;
use super::json::{hex, Obj};
use super::pcap::Packet;

/// How the APDUs are carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transport {
    /// IEC 62056-46 HDLC frames.
    Hdlc,
    /// The IEC 62056-47 wrapper.
    Wrapper,
}

impl Transport {
    /// What a framing error is in, for `error_in`.
    pub(crate) fn error_in(self) -> &'static str {
        match self {
            Transport::Hdlc => "hdlc",
            Transport::Wrapper => "wrapper",
        }
    }
}

/// What one connection has shown so far.
#[derive(Debug, Default)]
struct Connection {
    session: Session,
    link: Link,
}

/// The DLMS decoder of a capture or of `--hex` input.
struct Dlms<'k> {
    transport: Transport,
    keys: Option<&'k KeySet>,
    connections: HashMap<Key, Connection>,
}

impl Dlms<'_> {
    /// Frames the bytes of one direction of connection `k` (see `dlms_hdlc::frames` and
    /// `dlms_wrapper::frames`).
    fn frames_of(
        &mut self,
        k: Key,
        buf: &mut Vec<u8>,
        at_end: bool,
        start: &dyn Fn(usize) -> Obj,
        from_server: Option<bool>,
        lines: &mut Vec<Obj>,
    ) {
        let c = self.connections.entry(k).or_default();
        match self.transport {
            Transport::Hdlc => dlms_hdlc::frames(
                buf,
                at_end,
                start,
                &mut c.link,
                &mut c.session,
                self.keys,
                from_server,
                lines,
            ),
            Transport::Wrapper => {
                dlms_wrapper::frames(buf, start, &mut c.session, self.keys, from_server, lines)
            }
        }
    }
}

impl StreamFraming for Dlms<'_> {
    /// The endpoints, and `from`: `server` (the meter) or `client`.
    fn start(&self, at: &Where) -> Obj {
        let mut obj = at.endpoints();
        obj.put("from", if at.from_server { "server" } else { "client" });
        obj
    }

    fn frames(&mut self, buf: &mut Vec<u8>, at: &Where, at_end: bool, lines: &mut Vec<Obj>) {
        let start = self.start(at);
        let k = key(at.src, at.dst);
        self.frames_of(
            k,
            buf,
            at_end,
            &|_| start.clone(),
            Some(at.from_server),
            lines,
        );
    }
}

/// Decodes every DLMS connection of a capture.
pub(crate) fn decode_capture(
    packets: &[Packet],
    port: Option<u16>,
    transport: Transport,
    keys: Option<&KeySet>,
) -> Decoded {
    let protocol = match transport {
        Transport::Hdlc => Protocol {
            name: "DLMS HDLC frames",
            registered: None,
            acked_first: true,
        },
        Transport::Wrapper => Protocol {
            name: "DLMS wrapper",
            registered: Some(wrapper::PORT),
            acked_first: true,
        },
    };
    let mut dlms = Dlms {
        transport,
        keys,
        connections: HashMap::new(),
    };
    connections::decode(packets, port, &protocol, &mut dlms)
}

/// Decodes `--hex` input: the lines of its frames, each starting with `offset`, and an error
/// line for bytes at the end that start a frame and do not finish it.
pub(crate) fn decode_hex(
    mut buf: Vec<u8>,
    transport: Transport,
    keys: Option<&KeySet>,
) -> Vec<Obj> {
    let mut dlms = Dlms {
        transport,
        keys,
        connections: HashMap::new(),
    };
    let unspecified = SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0));
    let total = buf.len();
    let at = |offset: usize| {
        let mut obj = Obj::new();
        obj.put("offset", offset);
        obj
    };
    let mut lines = Vec::new();
    dlms.frames_of(
        (unspecified, unspecified),
        &mut buf,
        true,
        &at,
        None,
        &mut lines,
    );
    if !buf.is_empty() {
        let mut obj = at(total - buf.len());
        obj.put("error", super::cut_short("input", &buf))
            .put("error_in", transport.error_in())
            .put("raw", hex(&buf));
        lines.push(obj);
    }
    lines
}
