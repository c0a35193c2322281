//! Captures written by the tests: IPv4 TCP segments, in a link-layer header, as pcap files with
//! one packet a millisecond.

use std::path::Path;
use std::time::Duration;

use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::DataLink;

/// An IPv4 address and a TCP port.
pub(crate) type Endpoint = ([u8; 4], u16);

/// The TCP flags SYN,
pub(crate) const SYN: u8 = 0x02;
/// SYN and ACK,
pub(crate) const SYN_ACK: u8 = 0x12;
/// ACK,
pub(crate) const ACK: u8 = 0x10;
/// and PSH and ACK.
pub(crate) const PSH_ACK: u8 = 0x18;

/// The Ethernet header of every packet: to 02:00:00:00:00:02 from 02:00:00:00:00:01, IPv4.
pub(crate) const ETHERNET: [u8; 14] = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];

/// An IPv4 packet holding a TCP segment.
pub(crate) fn ip_tcp(
    from: Endpoint,
    to: Endpoint,
    seq: u32,
    ack: u32,
    flags: u8,
    payload: &[u8],
) -> Vec<u8> {
    let total = u16::try_from(40 + payload.len()).expect("small packet");
    let mut p = vec![0x45, 0];
    p.extend_from_slice(&total.to_be_bytes());
    p.extend_from_slice(&[0, 0, 0x40, 0, 64, 6, 0, 0]);
    p.extend_from_slice(&from.0);
    p.extend_from_slice(&to.0);
    p.extend_from_slice(&from.1.to_be_bytes());
    p.extend_from_slice(&to.1.to_be_bytes());
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ack.to_be_bytes());
    p.extend_from_slice(&[0x50, flags, 0xFF, 0xFF, 0, 0, 0, 0]);
    p.extend_from_slice(payload);
    p
}

/// An Ethernet packet (without padding) holding a TCP segment.
pub(crate) fn packet(
    from: Endpoint,
    to: Endpoint,
    seq: u32,
    ack: u32,
    flags: u8,
    payload: &[u8],
) -> Vec<u8> {
    let mut p = ETHERNET.to_vec();
    p.extend_from_slice(&ip_tcp(from, to, seq, ack, flags, payload));
    p
}

/// Writes `packets` of link type `link` as a pcap file, one a millisecond.
pub(crate) fn write_pcap(path: &Path, link: DataLink, packets: &[Vec<u8>]) {
    let file = std::fs::File::create(path).expect("create capture");
    let header = PcapHeader {
        datalink: link,
        ..PcapHeader::default()
    };
    let mut writer = PcapWriter::with_header(file, header).expect("pcap header");
    for (i, data) in packets.iter().enumerate() {
        let time = Duration::from_secs(1_700_000_000) + Duration::from_millis(i as u64);
        writer
            .write_packet(&PcapPacket::new(time, data.len() as u32, data))
            .expect("write packet");
    }
}

/// Writes a TCP connection from `client` to `server` as an Ethernet pcap: the handshake (the
/// client's data starting at sequence number `seqs.0`, the server's at `seqs.1`), then one
/// segment per `(from the client, bytes)`, each acknowledging all the other side sent.
pub(crate) fn write_connection(
    path: &Path,
    (client, server): (Endpoint, Endpoint),
    (mut c, mut s): (u32, u32),
    segments: &[(bool, Vec<u8>)],
) {
    let mut packets = vec![
        packet(client, server, c - 1, 0, SYN, &[]),
        packet(server, client, s - 1, c, SYN_ACK, &[]),
        packet(client, server, c, s, ACK, &[]),
    ];
    for (from_client, bytes) in segments {
        if *from_client {
            packets.push(packet(client, server, c, s, PSH_ACK, bytes));
            c += bytes.len() as u32;
        } else {
            packets.push(packet(server, client, s, c, PSH_ACK, bytes));
            s += bytes.len() as u32;
        }
    }
    write_pcap(path, DataLink::ETHERNET, &packets);
}
