//! A classic pcap file of TCP segments, for feeding what our encoders emit to tshark.
//!
//! Each payload becomes one Ethernet II / IPv4 / TCP packet with correct lengths and checksums
//! (IPv4 header checksum, TCP checksum over the pseudo-header), PSH and ACK set, and sequence and
//! acknowledgement numbers that continue from one segment to the next in each direction, so
//! Wireshark's TCP analysis sees a clean stream. The file starts with a three-way handshake per
//! connection. Timestamps are synthetic: one millisecond apart from 2026-01-01, so a file is the
//! same bytes on every run.
//!
//! ```text
//! global header  magic a1b2c3d4 | 2.4 | thiszone 0 | sigfigs 0 | snaplen 65535 | linktype 1
//! record         ts_sec | ts_usec | incl_len | orig_len | frame
//! frame          Ethernet (14) | IPv4 (20, no options) | TCP (20, no options) | payload
//! ```

use std::net::Ipv4Addr;

/// LINKTYPE_ETHERNET.
const LINKTYPE_ETHERNET: u32 = 1;
/// The snapshot length announced in the global header.
const SNAPLEN: u32 = 65_535;
/// 2026-01-01T00:00:00Z, the first packet's time.
const EPOCH_SECONDS: u32 = 1_767_225_600;
/// The largest payload one segment takes (IPv4 total length is 16 bits).
pub const MAX_PAYLOAD: usize = 65_535 - 20 - 20;

const TCP_FIN: u8 = 0x01;
const TCP_SYN: u8 = 0x02;
const TCP_PSH: u8 = 0x08;
const TCP_ACK: u8 = 0x10;

/// One side of a TCP connection: its address, port, MAC and next sequence number.
#[derive(Debug, Clone, Copy)]
struct Endpoint {
    ip: Ipv4Addr,
    port: u16,
    mac: [u8; 6],
    next_seq: u32,
}

/// Which way a segment travels on a [`TcpConnection`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From the client (the side that connected) to the server.
    ToServer,
    /// From the server to the client.
    ToClient,
}

/// A TCP connection between a client and a server, tracking both sequence numbers.
#[derive(Debug, Clone)]
pub struct TcpConnection {
    client: Endpoint,
    server: Endpoint,
    handshake_done: bool,
}

impl TcpConnection {
    /// A connection from `client_ip:client_port` to `server_ip:server_port`. The handshake is
    /// written by the first [`PcapWriter::segment`] on it.
    pub fn new(
        client_ip: Ipv4Addr,
        client_port: u16,
        server_ip: Ipv4Addr,
        server_port: u16,
    ) -> Self {
        Self {
            client: Endpoint {
                ip: client_ip,
                port: client_port,
                mac: [0x02, 0, 0, 0, 0, 0x01],
                next_seq: 0x1000_0000,
            },
            server: Endpoint {
                ip: server_ip,
                port: server_port,
                mac: [0x02, 0, 0, 0, 0, 0x02],
                next_seq: 0x2000_0000,
            },
            handshake_done: false,
        }
    }

    /// A connection on loopback addresses: 127.0.0.1:`client_port` to 127.0.0.2:`server_port`.
    pub fn loopback(client_port: u16, server_port: u16) -> Self {
        Self::new(
            Ipv4Addr::new(127, 0, 0, 1),
            client_port,
            Ipv4Addr::new(127, 0, 0, 2),
            server_port,
        )
    }

    fn ends(&mut self, direction: Direction) -> (&mut Endpoint, &mut Endpoint) {
        match direction {
            Direction::ToServer => (&mut self.client, &mut self.server),
            Direction::ToClient => (&mut self.server, &mut self.client),
        }
    }
}

/// A pcap file being written to memory; [`PcapWriter::into_bytes`] gives the file.
#[derive(Debug, Clone)]
pub struct PcapWriter {
    bytes: Vec<u8>,
    packets: u32,
    ip_id: u16,
}

impl Default for PcapWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl PcapWriter {
    /// An empty file: the global header only (classic pcap, microseconds, Ethernet).
    pub fn new() -> Self {
        let mut bytes = Vec::with_capacity(4096);
        bytes.extend_from_slice(&0xA1B2_C3D4u32.to_le_bytes());
        bytes.extend_from_slice(&2u16.to_le_bytes());
        bytes.extend_from_slice(&4u16.to_le_bytes());
        bytes.extend_from_slice(&0i32.to_le_bytes());
        bytes.extend_from_slice(&0u32.to_le_bytes());
        bytes.extend_from_slice(&SNAPLEN.to_le_bytes());
        bytes.extend_from_slice(&LINKTYPE_ETHERNET.to_le_bytes());
        Self {
            bytes,
            packets: 0,
            ip_id: 1,
        }
    }

    /// The number of packets written so far (the handshake's included).
    pub fn packets(&self) -> u32 {
        self.packets
    }

    /// Writes `payload` as one TCP segment (PSH, ACK) on `connection` in `direction`, after the
    /// connection's handshake if it has not been written yet. Returns the segment's frame
    /// number in the file (1-based, as Wireshark counts).
    ///
    /// # Panics
    /// When `payload` is longer than [`MAX_PAYLOAD`].
    pub fn segment(
        &mut self,
        connection: &mut TcpConnection,
        direction: Direction,
        payload: &[u8],
    ) -> u32 {
        assert!(
            payload.len() <= MAX_PAYLOAD,
            "a TCP segment of {} octets does not fit one IPv4 packet",
            payload.len()
        );
        if !connection.handshake_done {
            self.handshake(connection);
        }
        let (from, to) = connection.ends(direction);
        let (from, to) = (*from, *to);
        self.packet(&from, &to, TCP_PSH | TCP_ACK, payload);
        connection.ends(direction).0.next_seq = from.next_seq.wrapping_add(payload.len() as u32);
        self.packets
    }

    /// Writes FIN, FIN and ACK: the client closes the connection, the server closes too.
    pub fn close(&mut self, connection: &mut TcpConnection) {
        if !connection.handshake_done {
            return;
        }
        for direction in [Direction::ToServer, Direction::ToClient] {
            let (from, to) = connection.ends(direction);
            let (from, to) = (*from, *to);
            self.packet(&from, &to, TCP_FIN | TCP_ACK, &[]);
            connection.ends(direction).0.next_seq = from.next_seq.wrapping_add(1);
        }
        let (client, server) = (connection.client, connection.server);
        self.packet(&client, &server, TCP_ACK, &[]);
    }

    /// The pcap file.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    fn handshake(&mut self, connection: &mut TcpConnection) {
        let client = connection.client;
        self.packet_with_ack(&client, &connection.server, 0, TCP_SYN, &[]);
        connection.client.next_seq = client.next_seq.wrapping_add(1);
        let (server, client) = (connection.server, connection.client);
        self.packet(&server, &client, TCP_SYN | TCP_ACK, &[]);
        connection.server.next_seq = server.next_seq.wrapping_add(1);
        let (client, server) = (connection.client, connection.server);
        self.packet(&client, &server, TCP_ACK, &[]);
        connection.handshake_done = true;
    }

    fn packet(&mut self, from: &Endpoint, to: &Endpoint, flags: u8, payload: &[u8]) {
        self.packet_with_ack(from, to, to.next_seq, flags, payload);
    }

    fn packet_with_ack(
        &mut self,
        from: &Endpoint,
        to: &Endpoint,
        ack: u32,
        flags: u8,
        payload: &[u8],
    ) {
        let tcp = tcp_segment(from, to, ack, flags, payload);
        let ip = ipv4_header(from.ip, to.ip, self.ip_id, tcp.len());
        self.ip_id = self.ip_id.wrapping_add(1);
        let mut frame = Vec::with_capacity(14 + ip.len() + tcp.len());
        frame.extend_from_slice(&to.mac);
        frame.extend_from_slice(&from.mac);
        frame.extend_from_slice(&0x0800u16.to_be_bytes());
        frame.extend_from_slice(&ip);
        frame.extend_from_slice(&tcp);
        let micros = u64::from(self.packets) * 1_000;
        let seconds = EPOCH_SECONDS + (micros / 1_000_000) as u32;
        let usec = (micros % 1_000_000) as u32;
        let len = frame.len() as u32;
        self.bytes.extend_from_slice(&seconds.to_le_bytes());
        self.bytes.extend_from_slice(&usec.to_le_bytes());
        self.bytes.extend_from_slice(&len.to_le_bytes());
        self.bytes.extend_from_slice(&len.to_le_bytes());
        self.bytes.extend_from_slice(&frame);
        self.packets += 1;
    }
}

/// An IPv4 header without options for a TCP payload of `tcp_len` octets.
fn ipv4_header(src: Ipv4Addr, dst: Ipv4Addr, id: u16, tcp_len: usize) -> [u8; 20] {
    let total = (20 + tcp_len) as u16;
    let mut h = [0u8; 20];
    h[0] = 0x45; // version 4, IHL 5
    h[2..4].copy_from_slice(&total.to_be_bytes());
    h[4..6].copy_from_slice(&id.to_be_bytes());
    h[6] = 0x40; // don't fragment
    h[8] = 64; // TTL
    h[9] = 6; // TCP
    h[12..16].copy_from_slice(&src.octets());
    h[16..20].copy_from_slice(&dst.octets());
    let sum = internet_checksum(&[&h]);
    h[10..12].copy_from_slice(&sum.to_be_bytes());
    h
}

/// A TCP header without options, then the payload, with its checksum.
fn tcp_segment(from: &Endpoint, to: &Endpoint, ack: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut t = vec![0u8; 20];
    t[0..2].copy_from_slice(&from.port.to_be_bytes());
    t[2..4].copy_from_slice(&to.port.to_be_bytes());
    t[4..8].copy_from_slice(&from.next_seq.to_be_bytes());
    t[8..12].copy_from_slice(&ack.to_be_bytes());
    t[12] = 5 << 4; // data offset: 5 words
    t[13] = flags;
    t[14..16].copy_from_slice(&65_535u16.to_be_bytes()); // window
    t.extend_from_slice(payload);
    let tcp_len = (t.len() as u16).to_be_bytes();
    let mut pseudo = [0u8; 12];
    pseudo[0..4].copy_from_slice(&from.ip.octets());
    pseudo[4..8].copy_from_slice(&to.ip.octets());
    pseudo[9] = 6;
    pseudo[10..12].copy_from_slice(&tcp_len);
    let sum = internet_checksum(&[&pseudo, &t]);
    t[16..18].copy_from_slice(&sum.to_be_bytes());
    t
}

/// The Internet checksum (RFC 1071) over the concatenation of `parts`, each of even length
/// except possibly the last.
fn internet_checksum(parts: &[&[u8]]) -> u16 {
    let mut sum: u32 = 0;
    for part in parts {
        let mut chunks = part.chunks_exact(2);
        for pair in &mut chunks {
            sum += u32::from(u16::from_be_bytes([pair[0], pair[1]]));
        }
        if let [last] = chunks.remainder() {
            sum += u32::from(*last) << 8;
        }
    }
    while sum > 0xFFFF {
        sum = (sum & 0xFFFF) + (sum >> 16);
    }
    !(sum as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_of_a_header_with_its_checksum_is_zero() {
        let h = ipv4_header(
            Ipv4Addr::new(10, 0, 0, 1),
            Ipv4Addr::new(10, 0, 0, 2),
            7,
            26,
        );
        assert_eq!(internet_checksum(&[&h]), 0);
        assert_eq!(u16::from_be_bytes([h[2], h[3]]), 46);
    }

    #[test]
    fn a_segment_after_the_handshake_continues_the_sequence_numbers() {
        let mut pcap = PcapWriter::new();
        let mut conn = TcpConnection::loopback(40_000, 2404);
        assert_eq!(pcap.segment(&mut conn, Direction::ToServer, &[1, 2, 3]), 4);
        assert_eq!(pcap.segment(&mut conn, Direction::ToClient, &[4]), 5);
        // ISN + 1 (SYN) + 3 octets
        assert_eq!(conn.client.next_seq, 0x1000_0004);
        assert_eq!(conn.server.next_seq, 0x2000_0002);
        let bytes = pcap.into_bytes();
        assert_eq!(&bytes[..4], &[0xD4, 0xC3, 0xB2, 0xA1]);
        // 24 + 3 × (16 + 54) + (16 + 57) + (16 + 55)
        assert_eq!(bytes.len(), 24 + 3 * 70 + 73 + 71);
    }
}
