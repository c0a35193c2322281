//! Modbus TCP in a capture: which TCP connections carry it and which side is the server, each
//! direction reassembled and cut into frames, and each response matched with its request.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::time::Duration;

use fieldbridge_modbus::tcp;

use super::json::{hex, rfc3339, Obj};
use super::modbus_json::{error_fields, pdu_fields, Asked, Direction};
use super::net::{tcp_segment, Segment, Skip};
use super::pcap::Packet;
use super::tcp_stream::{Delivery, Stream};

/// The registered Modbus TCP port.
pub(crate) const MODBUS_PORT: u16 = 502;

/// A segment's packet: its frame number and capture time.
#[derive(Debug, Clone, Copy)]
struct Tag {
    frame: u64,
    time: Option<Duration>,
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
    stream: Stream<Tag>,
    buf: Vec<u8>,
    /// The packet that brought the last bytes.
    last: Option<Tag>,
}

/// A connection carrying Modbus TCP.
#[derive(Debug)]
struct Connection {
    server: SocketAddr,
    client: SocketAddr,
    /// Client to server: requests.
    up: Side,
    /// Server to client: responses.
    down: Side,
}

/// What a capture decodes to: the lines for stdout and notes for the engineer on stderr.
#[derive(Debug, Default)]
pub(crate) struct Decoded {
    /// One object per Modbus frame or error, in capture order.
    pub(crate) lines: Vec<Obj>,
    /// Remarks about the capture as a whole.
    pub(crate) notes: Vec<String>,
}

/// What is known about a connection before decoding it.
#[derive(Debug)]
struct Seen {
    /// Where the first SYN went (the server), or came from when it was a SYN-ACK.
    syn_server: Option<SocketAddr>,
    payload: bool,
}

/// Decodes every Modbus TCP frame in `packets`. The server port is `port` when given (only
/// connections using it are decoded), else 502 when a connection uses it (only those are decoded),
/// else, for every connection, the side the first SYN went to, else the lower port.
pub(crate) fn decode(packets: &[Packet], port: Option<u16>) -> Decoded {
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
    let (index, mut connections) = choose_servers(&segments, port, &mut out.notes);
    let mut pending: HashMap<(Key, u16), (u64, Asked)> = HashMap::new();
    for (packet, segment) in &segments {
        let k = key(segment.src, segment.dst);
        let Some(connection) = index.get(&k).and_then(|&i| connections.get_mut(i)) else {
            continue;
        };
        let tag = Tag {
            frame: packet.number,
            time: packet.time,
        };
        let from_client = segment.src == connection.client;
        let mut framer = Framer {
            key: k,
            pending: &mut pending,
            lines: &mut out.lines,
        };
        framer.segment(connection, from_client, segment, tag);
    }
    for connection in &mut connections {
        let mut framer = Framer {
            key: key(connection.client, connection.server),
            pending: &mut pending,
            lines: &mut out.lines,
        };
        framer.finish(connection);
    }
    out
}

/// Picks the connections to decode, in order of appearance, and the server side of each (see
/// [`decode`]); the map gives each connection's place in the list.
fn choose_servers(
    segments: &[(&Packet, Segment<'_>)],
    port: Option<u16>,
    notes: &mut Vec<String>,
) -> (HashMap<Key, usize>, Vec<Connection>) {
    let mut seen: Vec<(Key, Seen)> = Vec::new();
    let mut places: HashMap<Key, usize> = HashMap::new();
    for (_, s) in segments {
        let k = key(s.src, s.dst);
        let place = *places.entry(k).or_insert_with(|| {
            seen.push((
                k,
                Seen {
                    syn_server: None,
                    payload: false,
                },
            ));
            seen.len() - 1
        });
        let entry = &mut seen[place].1;
        if s.syn && entry.syn_server.is_none() {
            entry.syn_server = Some(if s.ack.is_some() { s.src } else { s.dst });
        }
        entry.payload |= !s.payload.is_empty();
    }
    let uses = |k: &Key, p: u16| k.0.port() == p || k.1.port() == p;
    let wanted = port.or_else(|| {
        seen.iter()
            .any(|(k, _)| uses(k, MODBUS_PORT))
            .then_some(MODBUS_PORT)
    });
    if wanted.is_none() && seen.iter().any(|(_, s)| s.payload) {
        notes.push(format!(
            "no --port and no connection on port {MODBUS_PORT}: every TCP connection is decoded as Modbus TCP, \
             its server being the side the first SYN went to, else the lower port"
        ));
    }
    let mut index = HashMap::new();
    let mut connections = Vec::new();
    for (k, s) in seen {
        let server = match wanted {
            Some(p) if k.1.port() == p => k.1,
            Some(p) if k.0.port() == p => k.0,
            Some(_) => continue,
            None => s
                .syn_server
                .unwrap_or(if k.1.port() < k.0.port() { k.1 } else { k.0 }),
        };
        let client = if server == k.0 { k.1 } else { k.0 };
        index.insert(k, connections.len());
        connections.push(Connection {
            server,
            client,
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

/// Cuts reassembled bytes into frames and writes their lines.
struct Framer<'a> {
    key: Key,
    pending: &'a mut HashMap<(Key, u16), (u64, Asked)>,
    lines: &'a mut Vec<Obj>,
}

impl Framer<'_> {
    /// One segment of `connection`, from its client when `from_client`.
    fn segment(
        &mut self,
        connection: &mut Connection,
        from_client: bool,
        segment: &Segment<'_>,
        tag: Tag,
    ) {
        let (server, client) = (connection.server, connection.client);
        let (side, other) = if from_client {
            (&mut connection.up, &mut connection.down)
        } else {
            (&mut connection.down, &mut connection.up)
        };
        let (src, dst, direction) = if from_client {
            (client, server, Direction::Request)
        } else {
            (server, client, Direction::Response)
        };
        if segment.syn {
            side.stream.syn(segment.seq);
        }
        let delivered = side
            .stream
            .segment(segment.seq, segment.payload, segment.fin, tag);
        self.deliver(side, delivered, src, dst, direction);
        if let Some(ack) = segment.ack {
            let delivered = other.stream.acked(ack, &tag);
            let back = match direction {
                Direction::Request => Direction::Response,
                Direction::Response => Direction::Request,
            };
            self.deliver(other, delivered, dst, src, back);
        }
    }

    /// The end of the capture: gaps skipped, then whatever is left of a frame reported.
    fn finish(&mut self, connection: &mut Connection) {
        let (server, client) = (connection.server, connection.client);
        for (side, src, dst, direction) in [
            (&mut connection.up, client, server, Direction::Request),
            (&mut connection.down, server, client, Direction::Response),
        ] {
            let delivered = side.stream.finish();
            self.deliver(side, delivered, src, dst, direction);
            if let (false, Some(tag)) = (side.buf.is_empty(), side.last) {
                let mut obj = where_(tag, src, dst);
                obj.put(
                    "error",
                    format!(
                        "the capture ends inside a frame: only {} of it",
                        super::count(side.buf.len(), "byte")
                    ),
                )
                .put("error_in", "tcp")
                .put("raw", hex(&side.buf));
                self.lines.push(obj);
                side.buf.clear();
            }
        }
    }

    /// Appends delivered bytes and writes every whole frame; a gap discards the partial frame.
    fn deliver(
        &mut self,
        side: &mut Side,
        delivered: Vec<Delivery<Tag>>,
        src: SocketAddr,
        dst: SocketAddr,
        direction: Direction,
    ) {
        for delivery in delivered {
            match delivery {
                Delivery::Data(bytes, tag) => {
                    side.buf.extend_from_slice(&bytes);
                    side.last = Some(tag);
                    self.frames(side, tag, src, dst, direction);
                }
                Delivery::Gap { missing, tag } => {
                    let mut obj = where_(tag, src, dst);
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
                    self.lines.push(obj);
                    side.buf.clear();
                }
            }
        }
    }

    /// Writes every whole frame at the start of the side's buffer. A bad MBAP header means the
    /// stream is out of step: the buffered bytes are reported and dropped, and framing starts again
    /// with the next segment.
    fn frames(
        &mut self,
        side: &mut Side,
        tag: Tag,
        src: SocketAddr,
        dst: SocketAddr,
        direction: Direction,
    ) {
        loop {
            match tcp::decode(&side.buf) {
                Ok(None) => return,
                Ok(Some((frame, used))) => {
                    let mut obj = where_(tag, src, dst);
                    let header = frame.header;
                    obj.put("transaction_id", header.transaction_id)
                        .put("protocol_id", tcp::PROTOCOL_ID)
                        .put("length", frame.pdu.len() + 1)
                        .put("unit_id", header.unit_id);
                    let id = (self.key, header.transaction_id);
                    match direction {
                        Direction::Request => {
                            let asked = pdu_fields(&mut obj, frame.pdu, direction, None, None);
                            if let Some(asked) = asked {
                                self.pending.insert(id, (tag.frame, asked));
                            }
                        }
                        Direction::Response => {
                            let request = self.pending.remove(&id);
                            let (frame_no, asked) = request.unzip();
                            pdu_fields(&mut obj, frame.pdu, direction, frame_no, asked);
                        }
                    }
                    self.lines.push(obj);
                    side.buf.drain(..used);
                }
                Err(e) => {
                    let mut obj = where_(tag, src, dst);
                    let shown = side.buf.len().min(tcp::MAX_FRAME_LEN);
                    error_fields(&mut obj, &e, "mbap", &side.buf[..shown]);
                    obj.put("discarded", side.buf.len());
                    self.lines.push(obj);
                    side.buf.clear();
                    return;
                }
            }
        }
    }
}

/// The fields every line starts with: frame number, time and endpoints.
fn where_(tag: Tag, src: SocketAddr, dst: SocketAddr) -> Obj {
    let mut obj = Obj::new();
    obj.put("frame", tag.frame)
        .put("time", tag.time.map(rfc3339))
        .put("src", src.to_string())
        .put("dst", dst.to_string());
    obj
}
