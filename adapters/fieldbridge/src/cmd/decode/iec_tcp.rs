//! IEC 60870-5 over TCP in a capture: which connections carry it, which side is the server, each
//! direction reassembled, and the bytes handed to a framing (104 APDUs, or FT1.2 frames of 101
//! carried in TCP as Wireshark's `-d tcp.port==N,iec60870_101` reads them).
//!
//! The server port is `--port` when given (only connections using it are decoded), else the
//! protocol's registered port when a connection uses it (2404 for 104; only those are decoded),
//! else, for every connection, the side the first SYN went to, else the lower port.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::time::Duration;

use super::json::{hex, rfc3339, Obj};
use super::net::{tcp_segment, Segment, Skip};
use super::pcap::Packet;
use super::tcp_stream::{Delivery, Stream};

/// Where a frame was seen: the packet that brought its last bytes, and its direction.
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
    /// Whether the sender is the TCP server (for 104, the controlled station).
    pub(crate) from_server: bool,
}

impl Where {
    /// The fields every line starts with.
    pub(crate) fn obj(&self) -> Obj {
        let mut obj = Obj::new();
        obj.put("frame", self.frame)
            .put("time", self.time.map(rfc3339))
            .put("src", self.src.to_string())
            .put("dst", self.dst.to_string())
            .put("from", if self.from_server { "server" } else { "client" });
        obj
    }
}

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

/// What a capture decodes to: the lines for stdout and notes for the engineer on stderr.
#[derive(Debug, Default)]
pub(crate) struct Decoded {
    /// One object per frame or error, in capture order.
    pub(crate) lines: Vec<Obj>,
    /// Remarks about the capture as a whole.
    pub(crate) notes: Vec<String>,
}

/// A connection, named by its two endpoints in a fixed order.
type Key = (SocketAddr, SocketAddr);

/// The key of the connection between `a` and `b`, either way round.
fn key(a: SocketAddr, b: SocketAddr) -> Key {
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
    last: Option<Where>,
}

/// A connection being decoded.
#[derive(Debug)]
struct Connection {
    server: SocketAddr,
    up: Side,
    down: Side,
}

/// Decodes every connection of `packets` with `framing`; `name` and `registered` name the
/// protocol and its registered port for the notes and the default choice of server.
pub(crate) fn decode(
    packets: &[Packet],
    port: Option<u16>,
    registered: Option<u16>,
    name: &str,
    framing: &mut dyn Framing,
) -> Decoded {
    let mut out = Decoded::default();
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
        out.notes.push(format!(
            "{count} packets of link type {link} skipped: only Ethernet, Linux cooked, raw IP and loopback captures are read"
        ));
    }
    let (index, mut connections) =
        choose_servers(&segments, port, registered, name, &mut out.notes);
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
        // What this packet acknowledges was sent before it: those bytes first.
        if let Some(ack) = segment.ack {
            let delivered = other.stream.acked(ack, &back);
            deliver(other, delivered, framing, &mut out.lines);
        }
        if segment.syn {
            side.stream.syn(segment.seq);
        }
        let delivered = side
            .stream
            .segment(segment.seq, segment.payload, segment.fin, at);
        deliver(side, delivered, framing, &mut out.lines);
    }
    for c in &mut connections {
        for side in [&mut c.up, &mut c.down] {
            let delivered = side.stream.finish();
            deliver(side, delivered, framing, &mut out.lines);
            if let Some(at) = side.last {
                framing.frames(&mut side.buf, &|_| at.obj(), true, &mut out.lines);
                if !side.buf.is_empty() {
                    let mut obj = at.obj();
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

/// Appends delivered bytes and frames them; a gap reports and drops the partial frame.
fn deliver(
    side: &mut Side,
    delivered: Vec<Delivery<Where>>,
    framing: &mut dyn Framing,
    lines: &mut Vec<Obj>,
) {
    for delivery in delivered {
        match delivery {
            Delivery::Data(bytes, at) => {
                side.buf.extend_from_slice(&bytes);
                side.last = Some(at);
                framing.frames(&mut side.buf, &|_| at.obj(), false, lines);
            }
            Delivery::Gap { missing, tag } => {
                let mut obj = tag.obj();
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

/// Picks the connections to decode, in order of appearance, and the server side of each.
fn choose_servers(
    segments: &[(&Packet, Segment<'_>)],
    port: Option<u16>,
    registered: Option<u16>,
    name: &str,
    notes: &mut Vec<String>,
) -> (HashMap<Key, usize>, Vec<Connection>) {
    // Per connection: where the first SYN went, and whether it carries payload.
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
    let uses = |k: &Key, p: u16| k.0.port() == p || k.1.port() == p;
    let wanted = port.or_else(|| registered.filter(|&r| seen.iter().any(|(k, _, _)| uses(k, r))));
    if wanted.is_none() && seen.iter().any(|(_, _, payload)| *payload) {
        let registered =
            registered.map_or(String::new(), |r| format!(" and no connection on port {r}"));
        notes.push(format!(
            "no --port{registered}: every TCP connection is decoded as {name}, its server being \
             the side the first SYN went to, else the lower port"
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
