//! Request PDUs (Application Protocol Specification V1.1b3 §6).

use super::device_id::{ObjectId, ReadDeviceIdCode, MEI_READ_DEVICE_ID};
use super::read::Reader;
use super::{
    check_function, check_pdu_len, check_quantity, Coils, PduBuf, Registers, MAX_READ_BITS,
    MAX_READ_REGISTERS, MAX_READ_WRITE_READ, MAX_READ_WRITE_WRITE, MAX_WRITE_COILS,
    MAX_WRITE_REGISTERS,
};
use crate::error::ensure_room;
use crate::{Error, FunctionCode};
use bytes::BufMut;

/// The value that turns a coil on in Write Single Coil (§6.5).
pub(crate) const COIL_ON: u16 = 0xFF00;
/// The value that turns a coil off in Write Single Coil (§6.5).
pub(crate) const COIL_OFF: u16 = 0x0000;

/// A client's request PDU (Application Protocol Specification V1.1b3 §6).
///
/// Parsed requests borrow their values from the PDU; to build one from owned data, borrow it with
/// [`Registers::from_values`] or [`Coils::from_bools`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request<'a> {
    /// 0x01 Read Coils (§6.1): `quantity` in 1..=2000.
    ReadCoils {
        /// The first coil's address (0-based).
        address: u16,
        /// How many coils.
        quantity: u16,
    },
    /// 0x02 Read Discrete Inputs (§6.2): `quantity` in 1..=2000.
    ReadDiscreteInputs {
        /// The first input's address (0-based).
        address: u16,
        /// How many inputs.
        quantity: u16,
    },
    /// 0x03 Read Holding Registers (§6.3): `quantity` in 1..=125.
    ReadHoldingRegisters {
        /// The first register's address (0-based).
        address: u16,
        /// How many registers.
        quantity: u16,
    },
    /// 0x04 Read Input Registers (§6.4): `quantity` in 1..=125.
    ReadInputRegisters {
        /// The first register's address (0-based).
        address: u16,
        /// How many registers.
        quantity: u16,
    },
    /// 0x05 Write Single Coil (§6.5): on the wire 0xFF00 for on, 0x0000 for off.
    WriteSingleCoil {
        /// The coil's address.
        address: u16,
        /// The state to set.
        value: bool,
    },
    /// 0x06 Write Single Register (§6.6).
    WriteSingleRegister {
        /// The register's address.
        address: u16,
        /// The value to write.
        value: u16,
    },
    /// 0x0F Write Multiple Coils (§6.11): 1..=1968 coils.
    WriteMultipleCoils {
        /// The first coil's address.
        address: u16,
        /// The states to set; the quantity is their number.
        coils: Coils<'a>,
    },
    /// 0x10 Write Multiple Registers (§6.12): 1..=123 registers.
    WriteMultipleRegisters {
        /// The first register's address.
        address: u16,
        /// The values to write; the quantity is their number.
        registers: Registers<'a>,
    },
    /// 0x16 Mask Write Register (§6.16): the register becomes
    /// `(current AND and_mask) OR (or_mask AND NOT and_mask)`.
    MaskWriteRegister {
        /// The register's address.
        address: u16,
        /// The AND mask.
        and_mask: u16,
        /// The OR mask.
        or_mask: u16,
    },
    /// 0x17 Read/Write Multiple Registers (§6.17): the write happens before the read; reads
    /// 1..=125 registers, writes 1..=121.
    ReadWriteMultipleRegisters {
        /// The first register to read.
        read_address: u16,
        /// How many registers to read.
        read_quantity: u16,
        /// The first register to write.
        write_address: u16,
        /// The values to write; the write quantity is their number.
        write_registers: Registers<'a>,
    },
    /// 0x2B / 0x0E Read Device Identification (§6.21).
    ReadDeviceIdentification {
        /// Which objects to read: a stream category or one specific object.
        code: ReadDeviceIdCode,
        /// The object to start from (stream access) or to read (individual access).
        object_id: ObjectId,
    },
    /// Any other function code (or a 0x2B MEI type other than 0x0E), kept as raw bytes so it can
    /// be shown or forwarded.
    Unknown {
        /// The function code, 1..=127.
        function: FunctionCode,
        /// Everything after the function code.
        data: &'a [u8],
    },
}

impl<'a> Request<'a> {
    /// Parses a complete request PDU: the function code and its data, as a frame carries it.
    ///
    /// ```text
    /// 01..04  address(2) quantity(2)                                   §6.1-§6.4
    /// 05      address(2) value(2: FF00 on | 0000 off)                  §6.5
    /// 06      address(2) value(2)                                      §6.6
    /// 0F      address(2) quantity(2) byte-count(1) bits(byte-count)    §6.11
    /// 10      address(2) quantity(2) byte-count(1) values(2*quantity)  §6.12
    /// 16      address(2) and-mask(2) or-mask(2)                        §6.16
    /// 17      read-address(2) read-quantity(2) write-address(2)
    ///         write-quantity(2) byte-count(1) values(2*write-quantity) §6.17
    /// 2B      0E read-device-id-code(1) object-id(1)                   §6.21
    /// other   data(*)                                                  kept raw
    /// ```
    /// All fields big-endian (§4.2). Offsets in errors count from the function code.
    ///
    /// # Errors
    /// Any limit of §6 broken: [`Error::QuantityOutOfRange`], [`Error::ByteCountMismatch`],
    /// [`Error::BadCoilValue`], [`Error::BadFunctionCode`] (0 or 0x80 and above),
    /// [`Error::Truncated`], [`Error::TrailingBytes`], [`Error::PduTooLong`].
    pub fn parse(pdu: &'a [u8]) -> Result<Self, Error> {
        check_pdu_len(pdu.len())?;
        let mut r = Reader::new(pdu);
        let code = r.u8()?;
        check_function(code, false)?;
        let function = FunctionCode(code);
        let request = match function {
            FunctionCode::READ_COILS
            | FunctionCode::READ_DISCRETE_INPUTS
            | FunctionCode::READ_HOLDING_REGISTERS
            | FunctionCode::READ_INPUT_REGISTERS => {
                let address = r.be_u16()?;
                let quantity = r.be_u16()?;
                let max = if code <= 0x02 {
                    MAX_READ_BITS
                } else {
                    MAX_READ_REGISTERS
                };
                check_quantity(3, function, usize::from(quantity), max)?;
                match function {
                    FunctionCode::READ_COILS => Self::ReadCoils { address, quantity },
                    FunctionCode::READ_DISCRETE_INPUTS => {
                        Self::ReadDiscreteInputs { address, quantity }
                    }
                    FunctionCode::READ_HOLDING_REGISTERS => {
                        Self::ReadHoldingRegisters { address, quantity }
                    }
                    _ => Self::ReadInputRegisters { address, quantity },
                }
            }
            FunctionCode::WRITE_SINGLE_COIL => {
                let address = r.be_u16()?;
                let value = parse_coil_value(&mut r)?;
                Self::WriteSingleCoil { address, value }
            }
            FunctionCode::WRITE_SINGLE_REGISTER => Self::WriteSingleRegister {
                address: r.be_u16()?,
                value: r.be_u16()?,
            },
            FunctionCode::WRITE_MULTIPLE_COILS => {
                let address = r.be_u16()?;
                let quantity = usize::from(r.be_u16()?);
                check_quantity(3, function, quantity, MAX_WRITE_COILS)?;
                let bytes = take_counted(&mut r, function, quantity.div_ceil(8))?;
                let coils = Coils::from_packed(bytes, quantity).ok_or(Error::Truncated {
                    offset: pdu.len(),
                    expected_len: 6 + quantity.div_ceil(8),
                })?;
                Self::WriteMultipleCoils { address, coils }
            }
            FunctionCode::WRITE_MULTIPLE_REGISTERS => {
                let address = r.be_u16()?;
                let quantity = usize::from(r.be_u16()?);
                check_quantity(3, function, quantity, MAX_WRITE_REGISTERS)?;
                let registers = take_registers(&mut r, function, quantity)?;
                Self::WriteMultipleRegisters { address, registers }
            }
            FunctionCode::MASK_WRITE_REGISTER => Self::MaskWriteRegister {
                address: r.be_u16()?,
                and_mask: r.be_u16()?,
                or_mask: r.be_u16()?,
            },
            FunctionCode::READ_WRITE_MULTIPLE_REGISTERS => {
                let read_address = r.be_u16()?;
                let read_quantity = r.be_u16()?;
                check_quantity(3, function, usize::from(read_quantity), MAX_READ_WRITE_READ)?;
                let write_address = r.be_u16()?;
                let write_quantity = usize::from(r.be_u16()?);
                check_quantity(7, function, write_quantity, MAX_READ_WRITE_WRITE)?;
                let write_registers = take_registers(&mut r, function, write_quantity)?;
                Self::ReadWriteMultipleRegisters {
                    read_address,
                    read_quantity,
                    write_address,
                    write_registers,
                }
            }
            FunctionCode::ENCAPSULATED_INTERFACE_TRANSPORT
                if pdu.get(1) == Some(&MEI_READ_DEVICE_ID) =>
            {
                let _mei = r.u8()?;
                Self::ReadDeviceIdentification {
                    code: ReadDeviceIdCode(r.u8()?),
                    object_id: ObjectId(r.u8()?),
                }
            }
            _ => Self::Unknown {
                function,
                data: r.rest(),
            },
        };
        r.finish()?;
        Ok(request)
    }

    /// The request's function code.
    pub fn function(&self) -> FunctionCode {
        match self {
            Self::ReadCoils { .. } => FunctionCode::READ_COILS,
            Self::ReadDiscreteInputs { .. } => FunctionCode::READ_DISCRETE_INPUTS,
            Self::ReadHoldingRegisters { .. } => FunctionCode::READ_HOLDING_REGISTERS,
            Self::ReadInputRegisters { .. } => FunctionCode::READ_INPUT_REGISTERS,
            Self::WriteSingleCoil { .. } => FunctionCode::WRITE_SINGLE_COIL,
            Self::WriteSingleRegister { .. } => FunctionCode::WRITE_SINGLE_REGISTER,
            Self::WriteMultipleCoils { .. } => FunctionCode::WRITE_MULTIPLE_COILS,
            Self::WriteMultipleRegisters { .. } => FunctionCode::WRITE_MULTIPLE_REGISTERS,
            Self::MaskWriteRegister { .. } => FunctionCode::MASK_WRITE_REGISTER,
            Self::ReadWriteMultipleRegisters { .. } => FunctionCode::READ_WRITE_MULTIPLE_REGISTERS,
            Self::ReadDeviceIdentification { .. } => FunctionCode::ENCAPSULATED_INTERFACE_TRANSPORT,
            Self::Unknown { function, .. } => *function,
        }
    }

    /// The number of bytes [`Request::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        match self {
            Self::ReadCoils { .. }
            | Self::ReadDiscreteInputs { .. }
            | Self::ReadHoldingRegisters { .. }
            | Self::ReadInputRegisters { .. }
            | Self::WriteSingleCoil { .. }
            | Self::WriteSingleRegister { .. } => 5,
            Self::WriteMultipleCoils { coils, .. } => 6 + coils.byte_len(),
            Self::WriteMultipleRegisters { registers, .. } => 6 + registers.byte_len(),
            Self::MaskWriteRegister { .. } => 7,
            Self::ReadWriteMultipleRegisters {
                write_registers, ..
            } => 10 + write_registers.byte_len(),
            Self::ReadDeviceIdentification { .. } => 4,
            Self::Unknown { data, .. } => 1 + data.len(),
        }
    }

    /// Checks the limits [`Request::parse`] enforces, with the offsets the fields would have.
    ///
    /// # Errors
    /// [`Error::QuantityOutOfRange`], [`Error::BadFunctionCode`] or [`Error::PduTooLong`].
    pub fn validate(&self) -> Result<(), Error> {
        let function = self.function();
        match self {
            Self::ReadCoils { quantity, .. } | Self::ReadDiscreteInputs { quantity, .. } => {
                check_quantity(3, function, usize::from(*quantity), MAX_READ_BITS)
            }
            Self::ReadHoldingRegisters { quantity, .. }
            | Self::ReadInputRegisters { quantity, .. } => {
                check_quantity(3, function, usize::from(*quantity), MAX_READ_REGISTERS)
            }
            Self::WriteMultipleCoils { coils, .. } => {
                check_quantity(3, function, coils.len(), MAX_WRITE_COILS)
            }
            Self::WriteMultipleRegisters { registers, .. } => {
                check_quantity(3, function, registers.len(), MAX_WRITE_REGISTERS)
            }
            Self::ReadWriteMultipleRegisters {
                read_quantity,
                write_registers,
                ..
            } => {
                check_quantity(
                    3,
                    function,
                    usize::from(*read_quantity),
                    MAX_READ_WRITE_READ,
                )?;
                check_quantity(7, function, write_registers.len(), MAX_READ_WRITE_WRITE)
            }
            Self::Unknown { function, .. } => {
                check_function(function.0, false)?;
                check_pdu_len(self.encoded_len())
            }
            Self::WriteSingleCoil { .. }
            | Self::WriteSingleRegister { .. }
            | Self::MaskWriteRegister { .. }
            | Self::ReadDeviceIdentification { .. } => Ok(()),
        }
    }

    /// Writes the request PDU, big-endian (§4.2), after [`Request::validate`]. Nothing is written
    /// on error.
    ///
    /// # Errors
    /// What [`Request::validate`] reports, or [`Error::BufferTooSmall`].
    pub fn encode(&self, buf: &mut impl BufMut) -> Result<(), Error> {
        self.validate()?;
        ensure_room(buf, self.encoded_len())?;
        buf.put_u8(self.function().0);
        match self {
            Self::ReadCoils { address, quantity }
            | Self::ReadDiscreteInputs { address, quantity }
            | Self::ReadHoldingRegisters { address, quantity }
            | Self::ReadInputRegisters { address, quantity } => {
                buf.put_u16(*address);
                buf.put_u16(*quantity);
            }
            Self::WriteSingleCoil { address, value } => {
                buf.put_u16(*address);
                buf.put_u16(if *value { COIL_ON } else { COIL_OFF });
            }
            Self::WriteSingleRegister { address, value } => {
                buf.put_u16(*address);
                buf.put_u16(*value);
            }
            Self::WriteMultipleCoils { address, coils } => {
                buf.put_u16(*address);
                put_len_u16(buf, coils.len());
                put_len_u8(buf, coils.byte_len());
                coils.put(buf);
            }
            Self::WriteMultipleRegisters { address, registers } => {
                buf.put_u16(*address);
                put_len_u16(buf, registers.len());
                put_len_u8(buf, registers.byte_len());
                registers.put(buf);
            }
            Self::MaskWriteRegister {
                address,
                and_mask,
                or_mask,
            } => {
                buf.put_u16(*address);
                buf.put_u16(*and_mask);
                buf.put_u16(*or_mask);
            }
            Self::ReadWriteMultipleRegisters {
                read_address,
                read_quantity,
                write_address,
                write_registers,
            } => {
                buf.put_u16(*read_address);
                buf.put_u16(*read_quantity);
                buf.put_u16(*write_address);
                put_len_u16(buf, write_registers.len());
                put_len_u8(buf, write_registers.byte_len());
                write_registers.put(buf);
            }
            Self::ReadDeviceIdentification { code, object_id } => {
                buf.put_u8(MEI_READ_DEVICE_ID);
                buf.put_u8(code.0);
                buf.put_u8(object_id.0);
            }
            Self::Unknown { data, .. } => buf.put_slice(data),
        }
        Ok(())
    }

    /// Encodes the request into an inline [`PduBuf`], ready for a framing encoder.
    ///
    /// # Errors
    /// What [`Request::validate`] reports.
    pub fn to_pdu(&self) -> Result<PduBuf, Error> {
        PduBuf::encode_with(|buf| self.encode(buf))
    }
}

/// Reads a Write Single Coil value, 0xFF00 or 0x0000 (§6.5).
pub(crate) fn parse_coil_value(r: &mut Reader<'_>) -> Result<bool, Error> {
    let offset = r.offset();
    match r.be_u16()? {
        COIL_ON => Ok(true),
        COIL_OFF => Ok(false),
        found => Err(Error::BadCoilValue { offset, found }),
    }
}

/// Reads a byte count that must equal `expected`, then that many bytes.
fn take_counted<'a>(
    r: &mut Reader<'a>,
    function: FunctionCode,
    expected: usize,
) -> Result<&'a [u8], Error> {
    let offset = r.offset();
    let found = usize::from(r.u8()?);
    if found != expected {
        return Err(Error::ByteCountMismatch {
            offset,
            function,
            expected,
            found,
        });
    }
    r.take(found)
}

/// Reads a byte count for `quantity` registers, then the registers.
fn take_registers<'a>(
    r: &mut Reader<'a>,
    function: FunctionCode,
    quantity: usize,
) -> Result<Registers<'a>, Error> {
    let bytes = take_counted(r, function, quantity * 2)?;
    Ok(Registers::from_be_bytes(bytes).unwrap_or(Registers::from_values(&[])))
}

/// Writes a length already checked to fit 16 bits.
pub(crate) fn put_len_u16(buf: &mut impl BufMut, len: usize) {
    buf.put_u16(u16::try_from(len).unwrap_or(u16::MAX));
}

/// Writes a length already checked to fit 8 bits.
pub(crate) fn put_len_u8(buf: &mut impl BufMut, len: usize) {
    buf.put_u8(u8::try_from(len).unwrap_or(u8::MAX));
}
