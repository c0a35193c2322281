//! Protocol data units: the function code and data that every framing carries
//! (Modbus Application Protocol Specification V1.1b3 §4.1).
//!
//! [`Request::parse`] and [`Response::parse`] take the PDU slice of a decoded frame; both borrow
//! from it. [`Request::encode`] and [`Response::encode`] write one back, after checking the same
//! limits the parsers enforce.

mod bits;
mod device_id;
mod read;
mod request;
mod response;

pub use bits::{Coils, CoilsIter, Registers, RegistersIter};
pub use device_id::{
    ConformityLevel, DeviceIdObject, DeviceIdObjects, DeviceIdObjectsIter, DeviceIdentification,
    ObjectId, ReadDeviceIdCode, MEI_READ_DEVICE_ID,
};
pub use request::Request;
pub use response::Response;

use crate::{Error, FunctionCode};
use core::fmt;

/// The longest PDU: 253 bytes, what fits a 256-byte RTU frame after the address and CRC (§4.1).
pub const MAX_PDU_LEN: usize = 253;
/// The most coils or discrete inputs one read may ask for: 2000 (0x7D0) (§6.1, §6.2).
pub const MAX_READ_BITS: u16 = 2000;
/// The most registers one read may ask for: 125 (0x7D) (§6.3, §6.4).
pub const MAX_READ_REGISTERS: u16 = 125;
/// The most coils one Write Multiple Coils may set: 1968 (0x7B0) (§6.11).
pub const MAX_WRITE_COILS: u16 = 1968;
/// The most registers one Write Multiple Registers may set: 123 (0x7B) (§6.12).
pub const MAX_WRITE_REGISTERS: u16 = 123;
/// The most registers Read/Write Multiple Registers may read: 125 (0x7D) (§6.17).
pub const MAX_READ_WRITE_READ: u16 = 125;
/// The most registers Read/Write Multiple Registers may write: 121 (0x79) (§6.17).
pub const MAX_READ_WRITE_WRITE: u16 = 121;

/// Fails with [`Error::QuantityOutOfRange`] unless `1 <= quantity <= max`.
pub(crate) fn check_quantity(
    offset: usize,
    function: FunctionCode,
    quantity: usize,
    max: u16,
) -> Result<(), Error> {
    if quantity == 0 || quantity > usize::from(max) {
        return Err(Error::QuantityOutOfRange {
            offset,
            function,
            quantity,
            max: usize::from(max),
        });
    }
    Ok(())
}

/// Fails unless `function` may start a PDU: never 0, and 0x80 and above only when an exception
/// is allowed.
pub(crate) fn check_function(function: u8, exception_allowed: bool) -> Result<(), Error> {
    let ok = match function {
        0x00 => false,
        0x01..=0x7F => true,
        _ => exception_allowed,
    };
    if ok {
        Ok(())
    } else {
        Err(Error::BadFunctionCode {
            offset: 0,
            found: function,
        })
    }
}

/// Fails unless a PDU of `len` bytes is within `1..=MAX_PDU_LEN`.
pub(crate) fn check_pdu_len(len: usize) -> Result<(), Error> {
    if len == 0 {
        return Err(Error::Truncated {
            offset: 0,
            expected_len: 1,
        });
    }
    if len > MAX_PDU_LEN {
        return Err(Error::PduTooLong {
            offset: MAX_PDU_LEN,
            max: MAX_PDU_LEN,
            found: len,
        });
    }
    Ok(())
}

/// An owned PDU of at most 253 bytes, held inline: no heap allocation.
///
/// It carries an encoded [`Request`] or [`Response`] to a framing encoder
/// (`tcp::Frame`, `rtu::Frame`, `ascii::Frame`), and holds the binary PDU an ASCII frame decodes
/// to. Dereferences to the PDU bytes.
#[derive(Clone)]
pub struct PduBuf {
    bytes: [u8; MAX_PDU_LEN],
    len: usize,
}

impl PduBuf {
    /// Copies a PDU of 1 to 253 bytes (§4.1).
    ///
    /// # Errors
    /// [`Error::Truncated`] for an empty slice, [`Error::PduTooLong`] past 253 bytes.
    pub fn from_slice(pdu: &[u8]) -> Result<Self, Error> {
        check_pdu_len(pdu.len())?;
        let mut buf = Self::empty();
        for (slot, &byte) in buf.bytes.iter_mut().zip(pdu) {
            *slot = byte;
        }
        buf.len = pdu.len();
        Ok(buf)
    }

    pub(crate) fn empty() -> Self {
        Self {
            bytes: [0; MAX_PDU_LEN],
            len: 0,
        }
    }

    /// Encodes a message into a new buffer.
    pub(crate) fn encode_with(
        encode: impl FnOnce(&mut &mut [u8]) -> Result<(), Error>,
    ) -> Result<Self, Error> {
        let mut buf = Self::empty();
        let mut rest: &mut [u8] = &mut buf.bytes;
        encode(&mut rest)?;
        let remaining = rest.len();
        buf.len = MAX_PDU_LEN - remaining;
        Ok(buf)
    }

    /// The PDU bytes.
    pub fn as_slice(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }
}

impl core::ops::Deref for PduBuf {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for PduBuf {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl PartialEq for PduBuf {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for PduBuf {}

impl fmt::Debug for PduBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PduBuf").field(&self.as_slice()).finish()
    }
}
