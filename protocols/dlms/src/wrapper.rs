//! The wrapper of the TCP-UDP/IP communication profile (IEC 62056-47, DLMS UA 1000-2 Ed. 10
//! clause 8.5): an 8-octet header in front of every APDU sent over TCP or UDP (port 4059).
//!
//! ```text
//! offset 0  version              u16 big-endian, 0x0001
//!        2  source wPort         u16: the sending application process
//!        4  destination wPort    u16: the receiving application process
//!        6  length               u16: the length of the APDU that follows, 1..=max
//!        8  APDU                 length octets (an xDLMS or ACSE APDU, ciphered or not)
//! ```
//!
//! TCP carries no checksum and no frame delimiter: the length field alone says where a PDU ends,
//! and a wrong version or an impossible length means the stream is out of step. There is no
//! resync on TCP: close the connection. [`decode`] reads one PDU from the start of a buffer
//! (`Ok(None)` when it needs more bytes); [`StreamSplitter`] owns a buffer, takes the bytes of
//! each read and hands out whole PDUs. Both refuse a declared length above a maximum before they
//! wait for the bytes, so a declared 64 KiB costs nothing.

mod stream;

pub use stream::StreamSplitter;

use crate::reader::Reader;
use crate::Error;

/// The only version of the wrapper: 0x0001 (IEC 62056-47 clause 5.2).
pub const VERSION: u16 = 0x0001;
/// The length of the wrapper header: version, two wPorts and the length, 8 octets.
pub const HEADER_LEN: usize = 8;
/// The longest APDU the length field can declare: 65,535 octets.
pub const MAX_APDU_LEN: usize = u16::MAX as usize;
/// The registered TCP and UDP port of DLMS/COSEM: 4059 (IEC 62056-47 clause 5.1).
pub const PORT: u16 = 4059;

/// Reserved wPort numbers (IEC 62056-47 clause 5.3, Green Book table "Reserved wrapper port
/// numbers").
pub mod wport {
    /// No-station: on both sides, the PDU is addressed to no application process.
    pub const NO_STATION: u16 = 0x0000;
    /// Client side: the client management process.
    pub const CLIENT_MANAGEMENT_PROCESS: u16 = 0x0001;
    /// Client side: the public client.
    pub const PUBLIC_CLIENT: u16 = 0x0010;
    /// Server side: the management logical device.
    pub const MANAGEMENT_LOGICAL_DEVICE: u16 = 0x0001;
    /// Server side: all-station (broadcast).
    pub const ALL_STATION: u16 = 0x007F;
}

/// One wrapper PDU, borrowed from the buffer it was decoded from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WrapperPdu<'a> {
    /// The source wPort: the sending application process.
    pub source: u16,
    /// The destination wPort: the receiving application process.
    pub destination: u16,
    /// The APDU the wrapper carries.
    pub apdu: &'a [u8],
}

/// One wrapper PDU that owns its APDU, for building output.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct OwnedWrapperPdu {
    /// The source wPort: the sending application process.
    pub source: u16,
    /// The destination wPort: the receiving application process.
    pub destination: u16,
    /// The APDU the wrapper carries: 1..=65,535 octets.
    pub apdu: Vec<u8>,
}

/// Reads one wrapper PDU from the start of `buf`, accepting any APDU length the field can hold
/// (1..=65,535 octets).
///
/// Returns the PDU and the bytes it took, or `Ok(None)` while `buf` holds less than a whole PDU.
///
/// # Errors
/// Those of [`decode_with_max`].
pub fn decode(buf: &[u8]) -> Result<Option<(WrapperPdu<'_>, usize)>, Error> {
    decode_with_max(buf, MAX_APDU_LEN)
}

/// Reads one wrapper PDU from the start of `buf`, refusing an APDU longer than `max_apdu_len`
/// octets (the negotiated maximum PDU size plus what security adds, for example).
///
/// The header is checked as soon as its octets are there: a wrong version or a length outside
/// `1..=max_apdu_len` is an error even before the APDU arrives. Offsets count from the start of
/// `buf`.
///
/// # Errors
/// [`Error::BadByte`] for a version other than 0x0001 (the offset of its first wrong octet),
/// [`Error::BadLength`] for a length of 0 or above `max_apdu_len` (offset 6).
pub fn decode_with_max(
    buf: &[u8],
    max_apdu_len: usize,
) -> Result<Option<(WrapperPdu<'_>, usize)>, Error> {
    let version = VERSION.to_be_bytes();
    for (offset, (&found, &expected)) in buf.iter().zip(version.iter()).enumerate() {
        if found != expected {
            return Err(Error::BadByte {
                offset,
                what: "wrapper version",
                expected: "0x0001",
                found,
            });
        }
    }
    let Some(header) = buf.get(..HEADER_LEN) else {
        return Ok(None);
    };
    let mut r = Reader::new(header);
    let _version = r.u16("wrapper version")?;
    let source = r.u16("source wPort")?;
    let destination = r.u16("destination wPort")?;
    let length = usize::from(r.u16("wrapper length")?);
    let max = max_apdu_len.min(MAX_APDU_LEN);
    if length == 0 || length > max {
        return Err(Error::BadLength {
            offset: 6,
            what: "wrapper length",
            min: 1,
            max: max as u64,
            found: length as u64,
        });
    }
    let total = HEADER_LEN + length;
    match buf.get(HEADER_LEN..total) {
        Some(apdu) => Ok(Some((
            WrapperPdu {
                source,
                destination,
                apdu,
            },
            total,
        ))),
        None => Ok(None),
    }
}

/// Appends the 8-octet wrapper header for an APDU of `apdu_len` octets, for a caller that writes
/// the APDU itself right after (no copy of the APDU).
///
/// # Errors
/// [`Error::BadLength`] when `apdu_len` is 0 or above 65,535 (offset 6 of the header written
/// would-be); nothing is written then.
pub fn encode_header(
    source: u16,
    destination: u16,
    apdu_len: usize,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    let length = match u16::try_from(apdu_len) {
        Ok(length) if length > 0 => length,
        _ => {
            return Err(Error::BadLength {
                offset: out.len().saturating_add(6),
                what: "wrapper length",
                min: 1,
                max: MAX_APDU_LEN as u64,
                found: apdu_len as u64,
            })
        }
    };
    out.extend_from_slice(&VERSION.to_be_bytes());
    out.extend_from_slice(&source.to_be_bytes());
    out.extend_from_slice(&destination.to_be_bytes());
    out.extend_from_slice(&length.to_be_bytes());
    Ok(())
}

impl WrapperPdu<'_> {
    /// The bytes [`WrapperPdu::encode`] writes: the header and the APDU.
    pub fn encoded_len(&self) -> usize {
        HEADER_LEN + self.apdu.len()
    }

    /// Appends the PDU to `out`.
    ///
    /// # Errors
    /// [`Error::BadLength`] for an empty APDU or one longer than 65,535 octets; nothing is
    /// written then.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        encode_header(self.source, self.destination, self.apdu.len(), out)?;
        out.extend_from_slice(self.apdu);
        Ok(())
    }

    /// A copy that owns its APDU.
    pub fn to_owned(&self) -> OwnedWrapperPdu {
        OwnedWrapperPdu {
            source: self.source,
            destination: self.destination,
            apdu: self.apdu.to_vec(),
        }
    }
}

impl OwnedWrapperPdu {
    /// A PDU from `source` to `destination` carrying `apdu`.
    pub fn new(source: u16, destination: u16, apdu: Vec<u8>) -> Self {
        Self {
            source,
            destination,
            apdu,
        }
    }

    /// The same PDU as a borrowed view.
    pub fn as_view(&self) -> WrapperPdu<'_> {
        WrapperPdu {
            source: self.source,
            destination: self.destination,
            apdu: &self.apdu,
        }
    }

    /// The bytes [`OwnedWrapperPdu::encode`] writes: the header and the APDU.
    pub fn encoded_len(&self) -> usize {
        HEADER_LEN + self.apdu.len()
    }

    /// Appends the PDU to `out`.
    ///
    /// # Errors
    /// [`Error::BadLength`] for an empty APDU or one longer than 65,535 octets; nothing is
    /// written then.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        self.as_view().encode(out)
    }
}

impl From<WrapperPdu<'_>> for OwnedWrapperPdu {
    fn from(pdu: WrapperPdu<'_>) -> Self {
        pdu.to_owned()
    }
}

/// Public proptest strategies for wrapper PDUs (feature `proptest`).
#[cfg(feature = "proptest")]
pub mod strategy {
    use super::OwnedWrapperPdu;
    use proptest::prelude::*;

    /// Any well-formed wrapper PDU with an APDU of 1..=`max_apdu_len` octets (at most 65,535).
    pub fn wrapper_pdu(max_apdu_len: usize) -> impl Strategy<Value = OwnedWrapperPdu> {
        let max = max_apdu_len.clamp(1, super::MAX_APDU_LEN);
        (
            any::<u16>(),
            any::<u16>(),
            proptest::collection::vec(any::<u8>(), 1..=max),
        )
            .prop_map(|(source, destination, apdu)| OwnedWrapperPdu {
                source,
                destination,
                apdu,
            })
    }
}
