//! The TCP connections of a capture, for every protocol carried in TCP (Modbus TCP, IEC 104,
//! FT1.2 frames of 101): which connections are decoded and which side of each is the server,
//! each direction reassembled ([`Stream`]), and the bytes handed to the protocol's framing as
//! they arrive. A gap in a stream and a capture that ends inside a frame give error lines.
//!
//! The server port is `--port` when given (only connections using it are decoded), else the
//! protocol's registered port when a connection uses it (only those are decoded), else, for every
//! connection, the side the first SYN went to, else the lower port.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::time::Duration;

use super::json::{hex, rfc3339, Obj};
use super::net::{tcp_segment, Segment, Skip};
use super::pcap::Packet;
use super::tcp_stream::{Delivery, Stream};

/// Where bytes were seen: the packet that brought them, and their direction.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Where {
    /// The packet's number in the capture.
    pub(crate) frame: u64,
    /// Its capture time.
    pub(crate) time: Option<Duration>,
    /// The sender.
    pub(crate) src: SocketAddr,
    /// The receiver.
    pub(crate) dst: SocketAddr,
    /// Whether the sender is the TCP server.
    pub(crate) from_server: bool,
}

impl Where {
    /// The fields `frame`, `time`, `src` and `dst`.
    pub(crate) fn endpoints(&self) -> Obj {
        let mut obj = Obj::new();
        obj.put("frame", self.frame)
            .put("time", self.time.map(rfc3339))
            .put("src", self.src.to_string())
            .put("dst", self.dst.to_string());
        obj
    }
}

/// A protocol's framing of one direction of a TCP connection.
pub(crate) trait StreamFraming {
    /// The fields every line about bytes seen at `at` starts with.
    fn start(&self, at: &Where) -> Obj;

    /// Writes a line for every whole frame at the start of `buf`, which holds bytes of the
    /// direction `at` names (the last of them brought by `at`'s packet), and removes what it used
    /// (frames, or bytes it reports as bad); `at_end` when no more bytes will come.
    fn frames(&mut self, buf: &mut Vec<u8>, at: &Where, at_end: bool, lines: &mut Vec<Obj>);
}

/// What [`decode`] needs to know of the protocol.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Protocol<'a> {
    /// Its name, for the notes.
    pub(crate) name: &'a str,
    /// Its registered port, if it has one.
    pub(crate) registered: Option<u16>,
    /// Frame the bytes a packet acknowledges (they were sent first) before the packet's own
    /// payload, rather than after it.
    pub(crate) acked_first: bool,
}

/// What a capture decodes to: the lines for stdout and notes for the engineer on stderr.
#[derive(Debug, Default)]
pub(crate) struct Decoded {
    /// One object per frame or error, in capture order.
    pub(crate) lines: Vec<Obj>,
    /// Remarks about the capture as a whole.
    pub(crate) notes: Vec<String>,
}

/// A connection, named by its two endpoints in a fixed order.
pub(crate) type Key = (SocketAddr, SocketAddr);

/// The key of the connection between `a` and `b`, either way round.
pub(crate) fn key(a: SocketAddr, b: SocketAddr) -> Key {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

/// One direction of a connection: reassembly, and the bytes not yet framed.
#[derive(Debug, Default)]
struct Side {
    stream: Stream<Where>,
    buf: Vec<u8>,
    /// Where the last bytes were seen.
    last: Option<Where>,
}

/// A connection being decoded.
#[derive(Debug)]
struct Connection {
    server: SocketAddr,
    /// Client to server.
    up: Side,
    /// Server to client.
    down: Side,
}

/// Decodes every chosen connection of `packets` with `framing`.
pub(crate) fn decode(
    packets: &[Packet],
    port: Option<u16>,
    protocol: &Protocol<'_>,
    framing: &mut dyn StreamFraming,
) -> Decoded {
    let mut out = Decoded::default();
    let segments = tcp_segments(packets, &mut out.notes);
    let (index, mut connections) = choose_servers(&segments, port, protocol, &mut out.notes);
    for (packet, segment) in &segments {
        let k = key(segment.src, segment.dst);
        let Some(c) = index.get(&k).and_then(|&i| connections.get_mut(i)) else {
            continue;
        };
        let from_server = segment.src == c.server;
        let at = Where {
            frame: packet.number,
            time: packet.time,
            src: segment.src,
            dst: segment.dst,
            from_server,
        };
        let back = Where {
            src: segment.dst,
            dst: segment.src,
            from_server: !from_server,
            ..at
        };
        let (side, other) = if from_server {
            (&mut c.down, &mut c.up)
        } else {
            (&mut c.up, &mut c.down)
        };
        if protocol.acked_first {
            acknowledged(other, segment.ack, &back, framing, &mut out.lines);
        }
        if segment.syn {
            side.stream.syn(segment.seq);
        }
        let delivered = side
            .stream
            .segment(segment.seq, segment.payload, segment.fin, at);
        deliver(side, delivered, framing, &mut out.lines);
        if !protocol.acked_first {
            acknowledged(other, segment.ack, &back, framing, &mut out.lines);
        }
    }
    for c in &mut connections {
        for side in [&mut c.up, &mut c.down] {
            let delivered = side.stream.finish();
            deliver(side, delivered, framing, &mut out.lines);
            if let Some(at) = side.last {
                framing.frames(&mut side.buf, &at, true, &mut out.lines);
                if !side.buf.is_empty() {
                    let mut obj = framing.start(&at);
                    obj.put(
                        "error",
                        format!(
                            "the capture ends inside a frame: only {} of it",
                            super::count(side.buf.len(), "byte")
                        ),
                    )
                    .put("error_in", "tcp")
                    .put("raw", hex(&side.buf));
                    out.lines.push(obj);
                    side.buf.clear();
                }
            }
        }
    }
    out
}

/// The TCP segments of `packets`, with a note per link type that is not read.
fn tcp_segments<'a>(
    packets: &'a [Packet],
    notes: &mut Vec<String>,
) -> Vec<(&'a Packet, Segment<'a>)> {
    let mut segments = Vec::new();
    let mut unsupported = BTreeMap::new();
    for packet in packets {
        match tcp_segment(packet.link, &packet.data) {
            Ok(segment) => segments.push((packet, segment)),
            Err(Skip::LinkType) => {
                *unsupported.entry(format!("{:?}", packet.link)).or_insert(0) += 1
            }
            Err(Skip::NotTcp) => {}
        }
    }
    for (link, count) in &unsupported {
        notes.push(format!(
            "{count} packets of link type {link} skipped: only Ethernet, Linux cooked, raw IP and loopback captures are read"
        ));
    }
    segments
}

/// What `ack`, acknowledging the bytes of `side` and seen at `at`, makes known: bytes before it
/// that the capture missed are skipped.
fn acknowledged(
    side: &mut Side,
    ack: Option<u32>,
    at: &Where,
    framing: &mut dyn StreamFraming,
    lines: &mut Vec<Obj>,
) {
    if let Some(ack) = ack {
        let delivered = side.stream.acked(ack, at);
        deliver(side, delivered, framing, lines);
    }
}

/// Appends delivered bytes and frames them; a gap reports and drops the partial frame.
fn deliver(
    side: &mut Side,
    delivered: Vec<Delivery<Where>>,
    framing: &mut dyn StreamFraming,
    lines: &mut Vec<Obj>,
) {
    for delivery in delivered {
        match delivery {
            Delivery::Data(bytes, at) => {
                side.buf.extend_from_slice(&bytes);
                side.last = Some(at);
                framing.frames(&mut side.buf, &at, false, lines);
            }
            Delivery::Gap { missing, tag } => {
                let mut obj = framing.start(&tag);
                obj.put(
                    "error",
                    format!(
                        "{} of the TCP stream missing from the capture",
                        super::count(usize::try_from(missing).unwrap_or(usize::MAX), "byte"),
                    ),
                )
                .put("error_in", "tcp");
                if !side.buf.is_empty() {
                    obj.put("raw", hex(&side.buf));
                }
                lines.push(obj);
                side.buf.clear();
            }
        }
    }
}

/// Picks the connections to decode, in order of appearance, and the server side of each (see
/// the module docs); the map gives each connection's place in the list.
fn choose_servers(
    segments: &[(&Packet, Segment<'_>)],
    port: Option<u16>,
    protocol: &Protocol<'_>,
    notes: &mut Vec<String>,
) -> (HashMap<Key, usize>, Vec<Connection>) {
    // Per connection: where the first SYN went (or came from, when it was a SYN-ACK), and
    // whether it carries payload.
    let mut seen: Vec<(Key, Option<SocketAddr>, bool)> = Vec::new();
    let mut places: HashMap<Key, usize> = HashMap::new();
    for (_, s) in segments {
        let k = key(s.src, s.dst);
        let place = *places.entry(k).or_insert_with(|| {
            seen.push((k, None, false));
            seen.len() - 1
        });
        let entry = &mut seen[place];
        if s.syn && entry.1.is_none() {
            entry.1 = Some(if s.ack.is_some() { s.src } else { s.dst });
        }
        entry.2 |= !s.payload.is_empty();
    }
    let registered = protocol.registered;
    let uses = |k: &Key, p: u16| k.0.port() == p || k.1.port() == p;
    let wanted = port.or_else(|| registered.filter(|&r| seen.iter().any(|(k, _, _)| uses(k, r))));
    if wanted.is_none() && seen.iter().any(|(_, _, payload)| *payload) {
        let registered =
            registered.map_or(String::new(), |r| format!(" and no connection on port {r}"));
        notes.push(format!(
            "no --port{registered}: every TCP connection is decoded as {}, its server being \
             the side the first SYN went to, else the lower port",
            protocol.name
        ));
    }
    let mut index = HashMap::new();
    let mut connections = Vec::new();
    for (k, syn_server, _) in seen {
        let server = match wanted {
            Some(p) if k.1.port() == p => k.1,
            Some(p) if k.0.port() == p => k.0,
            Some(_) => continue,
            None => syn_server.unwrap_or(if k.1.port() < k.0.port() { k.1 } else { k.0 }),
        };
        index.insert(k, connections.len());
        connections.push(Connection {
            server,
            up: Side::default(),
            down: Side::default(),
        });
    }
    if connections.is_empty() {
        notes.push(match port {
            Some(p) => format!("no TCP connection on port {p} in the capture"),
            None => "no TCP connection in the capture".to_owned(),
        });
    }
    (index, connections)
}
