//! Reading pcap and pcapng capture files into a list of packets, with the `pcap-file` crate.
//!
//! The whole file is read into memory: captures from site are small next to the memory of the
//! laptop that reads them, and holding every packet lets the decoder look at the connections first.

use std::path::Path;
use std::time::Duration;

use pcap_file::pcap::PcapReader;
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::{Block, PcapNgReader};
use pcap_file::{DataLink, PcapError};

/// The first four bytes of a pcapng file (its Section Header Block type).
const PCAPNG_MAGIC: [u8; 4] = [0x0A, 0x0D, 0x0D, 0x0A];
/// The first four bytes of a pcap file, in either byte order, micro- or nanosecond timestamps.
const PCAP_MAGICS: [[u8; 4]; 4] = [
    [0xD4, 0xC3, 0xB2, 0xA1],
    [0xA1, 0xB2, 0xC3, 0xD4],
    [0x4D, 0x3C, 0xB2, 0xA1],
    [0xA1, 0xB2, 0x3C, 0x4D],
];

/// One captured packet.
#[derive(Debug)]
pub(crate) struct Packet {
    /// Its number in the capture, from 1, as Wireshark counts them.
    pub(crate) number: u64,
    /// When it was captured, since the Unix epoch; `None` for a pcapng Simple Packet Block.
    pub(crate) time: Option<Duration>,
    /// The link-layer header type of its interface.
    pub(crate) link: DataLink,
    /// The captured bytes, link-layer header first.
    pub(crate) data: Vec<u8>,
}

/// Why a capture could not be read (entirely).
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReadError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// What the system said.
        source: std::io::Error,
    },
    /// The file is neither pcap nor pcapng.
    #[error("{path} is not a pcap or pcapng capture (it starts with {start})")]
    NotACapture {
        /// The file.
        path: String,
        /// Its first bytes, as hex.
        start: String,
    },
    /// The file starts as a capture but is damaged or cut off.
    #[error("{path}: the capture is damaged {}: {}", place(*.after), describe(.source))]
    Corrupt {
        /// The file.
        path: String,
        /// The number of the last packet that could be read (0: none).
        after: u64,
        /// What pcap-file reported.
        source: PcapError,
    },
}

/// Where in the capture the damage starts.
fn place(after: u64) -> String {
    match after {
        0 => "before its first packet".to_owned(),
        n => format!("after packet {n}"),
    }
}

/// What pcap-file reported, in words for the engineer.
fn describe(error: &PcapError) -> String {
    match error {
        PcapError::IncompleteBuffer => "the file is cut off inside a block (truncated)".to_owned(),
        PcapError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            "the file is cut off inside a block (truncated)".to_owned()
        }
        PcapError::IoError(e) => format!("read error: {e}"),
        other => other.to_string(),
    }
}

/// The packets of a capture, and the error that stopped reading early, if any.
#[derive(Debug)]
pub(crate) struct Capture {
    /// Every packet read, in file order.
    pub(crate) packets: Vec<Packet>,
    /// Set when the file is damaged or truncated after the packets above.
    pub(crate) error: Option<ReadError>,
}

/// Reads a pcap or pcapng file (chosen by its magic number).
///
/// # Errors
/// [`ReadError::Io`] when the file cannot be read, [`ReadError::NotACapture`] when it is neither
/// format, [`ReadError::Corrupt`] when even its file header is damaged. Damage after the header is
/// returned in [`Capture::error`] with the packets before it.
pub(crate) fn read(path: &Path) -> Result<Capture, ReadError> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| ReadError::Io {
        path: name.clone(),
        source,
    })?;
    let magic: [u8; 4] = bytes
        .get(..4)
        .and_then(|m| m.try_into().ok())
        .unwrap_or([0; 4]);
    let corrupt = |after: u64, source: PcapError| ReadError::Corrupt {
        path: name.clone(),
        after,
        source,
    };
    if magic == PCAPNG_MAGIC {
        read_pcapng(&bytes, corrupt)
    } else if PCAP_MAGICS.contains(&magic) {
        read_pcap(&bytes, corrupt)
    } else {
        let start = bytes
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>();
        Err(ReadError::NotACapture {
            path: name,
            start: if start.is_empty() {
                "nothing: it is empty".to_owned()
            } else {
                start.join(" ")
            },
        })
    }
}

/// Reads a classic pcap file; pcap-file converts its timestamps by the file's resolution.
fn read_pcap(
    bytes: &[u8],
    corrupt: impl Fn(u64, PcapError) -> ReadError,
) -> Result<Capture, ReadError> {
    let mut reader = PcapReader::new(bytes).map_err(|e| corrupt(0, e))?;
    let link = reader.header().datalink;
    let mut packets = Vec::new();
    let mut error = None;
    while let Some(next) = reader.next_packet() {
        match next {
            Ok(packet) => packets.push(Packet {
                number: packets.len() as u64 + 1,
                time: Some(packet.timestamp),
                link,
                data: packet.data.into_owned(),
            }),
            Err(e) => {
                error = Some(corrupt(packets.len() as u64, e));
                break;
            }
        }
    }
    Ok(Capture { packets, error })
}

/// Reads a pcapng file: Enhanced, Simple and (obsolete) Packet Blocks, each with its interface's
/// link type and timestamp resolution.
fn read_pcapng(
    bytes: &[u8],
    corrupt: impl Fn(u64, PcapError) -> ReadError,
) -> Result<Capture, ReadError> {
    let mut reader = PcapNgReader::new(bytes).map_err(|e| corrupt(0, e))?;
    let mut packets = Vec::new();
    let mut error = None;
    while let Some(next) = reader.next_block() {
        let block = match next {
            Ok(block) => block,
            Err(e) => {
                error = Some(corrupt(packets.len() as u64, e));
                break;
            }
        };
        // pcap-file 2 hands the raw timestamp out as nanoseconds whatever the interface's
        // resolution; `units` undoes that and `Interface::time` applies the real resolution.
        let (interface, units, data): (Option<u32>, Option<u64>, Vec<u8>) = match block {
            Block::EnhancedPacket(p) => (
                Some(p.interface_id),
                Some(u64::try_from(p.timestamp.as_nanos()).unwrap_or(u64::MAX)),
                p.data.into_owned(),
            ),
            Block::Packet(p) => (
                Some(u32::from(p.interface_id)),
                Some(p.timestamp),
                p.data.into_owned(),
            ),
            Block::SimplePacket(p) => (Some(0), None, p.data.into_owned()),
            _ => continue,
        };
        let description = interface.and_then(|i| reader.interfaces().get(i as usize));
        let Some(description) = description else {
            let id = interface.unwrap_or(0);
            error = Some(corrupt(
                packets.len() as u64,
                PcapError::InvalidInterfaceId(id),
            ));
            break;
        };
        packets.push(Packet {
            number: packets.len() as u64 + 1,
            time: units.map(|u| interface_time(description, u)),
            link: description.linktype,
            data,
        });
    }
    Ok(Capture { packets, error })
}

/// Converts a pcapng timestamp in the interface's units (`if_tsresol`, default microseconds) to
/// a time since the epoch, adding `if_tsoffset`.
fn interface_time(interface: &InterfaceDescriptionBlock<'_>, units: u64) -> Duration {
    let mut resolution = 6u8;
    let mut offset = 0u64;
    for option in &interface.options {
        match option {
            InterfaceDescriptionOption::IfTsResol(r) => resolution = *r,
            InterfaceDescriptionOption::IfTsOffset(o) => offset = *o,
            _ => {}
        }
    }
    let units = u128::from(units);
    let nanos = if resolution & 0x80 == 0 {
        // 10^-resolution seconds per unit.
        match 10u128.checked_pow(u32::from(resolution)) {
            Some(per_second) => units * 1_000_000_000 / per_second,
            None => 0,
        }
    } else {
        // 2^-n seconds per unit.
        (units * 1_000_000_000) >> u32::from(resolution & 0x7F).min(127)
    };
    let nanos = u64::try_from(nanos).unwrap_or(u64::MAX);
    Duration::from_nanos(nanos) + Duration::from_secs(offset)
}
