//! Link-layer, IP and TCP headers: from a captured packet to a TCP segment.
//!
//! Link types: Ethernet (with 802.1Q/802.1ad VLAN tags), Linux cooked capture v1 and v2, raw IP,
//! BSD null and OpenBSD loopback. IPv4 (unfragmented; the total length cuts Ethernet padding
//! off) and IPv6 (hop-by-hop, routing and destination options headers skipped). Checksums are not
//! checked: captures on the sending host carry offloaded, unfinished checksums.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use pcap_file::DataLink;

/// IP protocol number of TCP.
const IPPROTO_TCP: u8 = 6;
/// Ethertype of IPv4.
const ETHERTYPE_IPV4: u16 = 0x0800;
/// Ethertype of IPv6.
const ETHERTYPE_IPV6: u16 = 0x86DD;
/// Ethertype of an 802.1Q VLAN tag.
const ETHERTYPE_VLAN: u16 = 0x8100;
/// Ethertype of an 802.1ad (QinQ) service tag.
const ETHERTYPE_QINQ: u16 = 0x88A8;

/// TCP flag FIN.
const FIN: u8 = 0x01;
/// TCP flag SYN.
const SYN: u8 = 0x02;
/// TCP flag ACK.
const ACK: u8 = 0x10;

/// A TCP segment from one packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Segment<'a> {
    /// Sender.
    pub(crate) src: SocketAddr,
    /// Receiver.
    pub(crate) dst: SocketAddr,
    /// Sequence number of the first payload byte (of the SYN itself when `syn`).
    pub(crate) seq: u32,
    /// The acknowledgement number, when the ACK flag is set.
    pub(crate) ack: Option<u32>,
    /// SYN flag.
    pub(crate) syn: bool,
    /// FIN flag: the sender is done; the FIN takes one sequence number after the payload.
    pub(crate) fin: bool,
    /// The payload, without Ethernet padding.
    pub(crate) payload: &'a [u8],
}

/// Why a packet holds no TCP segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Skip {
    /// Its link type is not one this decoder reads.
    LinkType,
    /// Not IP, not TCP, an IP fragment, or a header cut short.
    NotTcp,
}

/// The TCP segment in a packet of link type `link`.
pub(crate) fn tcp_segment(link: DataLink, data: &[u8]) -> Result<Segment<'_>, Skip> {
    let ip = match link {
        DataLink::ETHERNET => ethernet(data)?,
        DataLink::LINUX_SLL => ethertype_at(data, 14, 16)?,
        DataLink::LINUX_SLL2 => ethertype_at(data, 0, 20)?,
        DataLink::RAW | DataLink::IPV4 | DataLink::IPV6 => data,
        DataLink::NULL | DataLink::LOOP => null_loopback(data)?,
        _ => return Err(Skip::LinkType),
    };
    match ip.first().map(|b| b >> 4) {
        Some(4) => ipv4(ip),
        Some(6) => ipv6(ip),
        _ => Err(Skip::NotTcp),
    }
}

/// A big-endian u16 at `at`.
fn be16(data: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*data.get(at)?, *data.get(at + 1)?]))
}

/// A big-endian u32 at `at`.
fn be32(data: &[u8], at: usize) -> Option<u32> {
    let b = data.get(at..at + 4)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// The IP packet in an Ethernet frame, VLAN tags skipped.
fn ethernet(data: &[u8]) -> Result<&[u8], Skip> {
    let mut at = 12;
    loop {
        match be16(data, at).ok_or(Skip::NotTcp)? {
            ETHERTYPE_VLAN | ETHERTYPE_QINQ => at += 4,
            ETHERTYPE_IPV4 | ETHERTYPE_IPV6 => return data.get(at + 2..).ok_or(Skip::NotTcp),
            _ => return Err(Skip::NotTcp),
        }
    }
}

/// The IP packet after a header of `len` bytes whose ethertype is at `at` (Linux cooked capture).
fn ethertype_at(data: &[u8], at: usize, len: usize) -> Result<&[u8], Skip> {
    match be16(data, at).ok_or(Skip::NotTcp)? {
        ETHERTYPE_IPV4 | ETHERTYPE_IPV6 => data.get(len..).ok_or(Skip::NotTcp),
        _ => Err(Skip::NotTcp),
    }
}

/// The IP packet after a 4-byte address family (host byte order for NULL, network for LOOP; both
/// are accepted since the family values cannot be confused).
fn null_loopback(data: &[u8]) -> Result<&[u8], Skip> {
    let family = data.get(..4).ok_or(Skip::NotTcp)?;
    let le = u32::from_le_bytes([family[0], family[1], family[2], family[3]]);
    let be = u32::from_be_bytes([family[0], family[1], family[2], family[3]]);
    // AF_INET is 2 everywhere; AF_INET6 is 10 (Linux), 24 (BSDs), 28 (FreeBSD), 30 (macOS).
    if [le, be].iter().any(|f| matches!(f, 2 | 10 | 24 | 28 | 30)) {
        data.get(4..).ok_or(Skip::NotTcp)
    } else {
        Err(Skip::NotTcp)
    }
}

/// An IPv4 packet carrying TCP.
fn ipv4(ip: &[u8]) -> Result<Segment<'_>, Skip> {
    let header_len = usize::from(ip.first().ok_or(Skip::NotTcp)? & 0x0F) * 4;
    if header_len < 20 {
        return Err(Skip::NotTcp);
    }
    let total = usize::from(be16(ip, 2).ok_or(Skip::NotTcp)?);
    let fragment = be16(ip, 6).ok_or(Skip::NotTcp)?;
    // More-fragments flag or a fragment offset: a piece of a larger datagram.
    if fragment & 0x3FFF != 0 || *ip.get(9).ok_or(Skip::NotTcp)? != IPPROTO_TCP {
        return Err(Skip::NotTcp);
    }
    let src = Ipv4Addr::from(be32(ip, 12).ok_or(Skip::NotTcp)?);
    let dst = Ipv4Addr::from(be32(ip, 16).ok_or(Skip::NotTcp)?);
    // A capture cut by its snap length holds less than `total`: keep what there is.
    let end = total.min(ip.len());
    let tcp = ip.get(header_len..end).ok_or(Skip::NotTcp)?;
    tcp_header(IpAddr::V4(src), IpAddr::V4(dst), tcp)
}

/// An IPv6 packet carrying TCP, after any hop-by-hop, routing and destination options headers.
fn ipv6(ip: &[u8]) -> Result<Segment<'_>, Skip> {
    let payload_len = usize::from(be16(ip, 4).ok_or(Skip::NotTcp)?);
    let mut next = *ip.get(6).ok_or(Skip::NotTcp)?;
    let addr = |at: usize| -> Result<Ipv6Addr, Skip> {
        let b: [u8; 16] = ip
            .get(at..at + 16)
            .and_then(|s| s.try_into().ok())
            .ok_or(Skip::NotTcp)?;
        Ok(Ipv6Addr::from(b))
    };
    let (src, dst) = (addr(8)?, addr(24)?);
    let end = (40 + payload_len).min(ip.len());
    let mut at = 40;
    while matches!(next, 0 | 43 | 60) {
        next = *ip.get(at).ok_or(Skip::NotTcp)?;
        at += (usize::from(*ip.get(at + 1).ok_or(Skip::NotTcp)?) + 1) * 8;
    }
    if next != IPPROTO_TCP {
        return Err(Skip::NotTcp);
    }
    let tcp = ip.get(at..end).ok_or(Skip::NotTcp)?;
    tcp_header(IpAddr::V6(src), IpAddr::V6(dst), tcp)
}

/// The TCP header and payload.
fn tcp_header(src: IpAddr, dst: IpAddr, tcp: &[u8]) -> Result<Segment<'_>, Skip> {
    let src_port = be16(tcp, 0).ok_or(Skip::NotTcp)?;
    let dst_port = be16(tcp, 2).ok_or(Skip::NotTcp)?;
    let seq = be32(tcp, 4).ok_or(Skip::NotTcp)?;
    let ack = be32(tcp, 8).ok_or(Skip::NotTcp)?;
    let data_offset = usize::from(tcp.get(12).ok_or(Skip::NotTcp)? >> 4) * 4;
    let flags = *tcp.get(13).ok_or(Skip::NotTcp)?;
    if data_offset < 20 {
        return Err(Skip::NotTcp);
    }
    Ok(Segment {
        src: SocketAddr::new(src, src_port),
        dst: SocketAddr::new(dst, dst_port),
        seq,
        ack: (flags & ACK != 0).then_some(ack),
        syn: flags & SYN != 0,
        fin: flags & FIN != 0,
        payload: tcp.get(data_offset..).ok_or(Skip::NotTcp)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An IPv4/TCP packet with `payload`, from 10.0.0.1:1234 to 10.0.0.2:502.
    fn ipv4_packet(payload: &[u8]) -> Vec<u8> {
        let total = (20 + 20 + payload.len()) as u16;
        let mut p = vec![
            0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ];
        p[2..4].copy_from_slice(&total.to_be_bytes());
        p.extend_from_slice(&1234u16.to_be_bytes());
        p.extend_from_slice(&502u16.to_be_bytes());
        p.extend_from_slice(&7u32.to_be_bytes());
        p.extend_from_slice(&9u32.to_be_bytes());
        p.extend_from_slice(&[0x50, ACK, 0, 0, 0, 0, 0, 0]);
        p.extend_from_slice(payload);
        p
    }

    #[test]
    fn every_link_type_yields_the_same_segment() {
        let ip = ipv4_packet(b"abc");
        let mut eth = vec![0; 12];
        eth.extend_from_slice(&[0x81, 0x00, 0, 5, 0x08, 0x00]);
        eth.extend_from_slice(&ip);
        eth.extend_from_slice(&[0; 7]); // padding, cut by the IP total length
        let mut sll = vec![0; 14];
        sll.extend_from_slice(&[0x08, 0x00]);
        sll.extend_from_slice(&ip);
        let mut sll2 = vec![0x08, 0x00];
        sll2.extend_from_slice(&[0; 18]);
        sll2.extend_from_slice(&ip);
        let mut null = 2u32.to_le_bytes().to_vec();
        null.extend_from_slice(&ip);
        for (link, data) in [
            (DataLink::ETHERNET, &eth),
            (DataLink::LINUX_SLL, &sll),
            (DataLink::LINUX_SLL2, &sll2),
            (DataLink::RAW, &ip),
            (DataLink::NULL, &null),
        ] {
            let s = tcp_segment(link, data).unwrap_or_else(|e| panic!("{link:?}: {e:?}"));
            assert_eq!(s.src, "10.0.0.1:1234".parse().unwrap());
            assert_eq!(s.dst, "10.0.0.2:502".parse().unwrap());
            assert_eq!((s.seq, s.ack, s.syn), (7, Some(9), false));
            assert_eq!(s.payload, b"abc", "{link:?}");
        }
        assert_eq!(tcp_segment(DataLink::PPP, &ip), Err(Skip::LinkType));
        assert_eq!(tcp_segment(DataLink::RAW, &ip[..30]), Err(Skip::NotTcp));
    }

    #[test]
    fn ipv6_segments_are_read() {
        let v4 = ipv4_packet(b"xy");
        let tcp = &v4[20..];
        let mut ip = vec![0x60, 0, 0, 0];
        ip.extend_from_slice(&(tcp.len() as u16).to_be_bytes());
        ip.extend_from_slice(&[6, 64]);
        ip.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
        ip.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
        ip.extend_from_slice(tcp);
        let s = tcp_segment(DataLink::RAW, &ip).expect("segment");
        assert_eq!(s.src, "[::1]:1234".parse().unwrap());
        assert_eq!(s.payload, b"xy");
    }
}
