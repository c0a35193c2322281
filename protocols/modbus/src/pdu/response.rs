//! Response PDUs, normal and exception (Application Protocol Specification V1.1b3 §6, §7).

use super::device_id::{
    ConformityLevel, DeviceIdObjects, DeviceIdentification, ObjectId, ReadDeviceIdCode,
    MEI_READ_DEVICE_ID,
};
use super::read::Reader;
use super::request::{parse_coil_value, put_len_u8, COIL_OFF, COIL_ON};
use super::{
    check_function, check_pdu_len, check_quantity, Coils, PduBuf, Registers, MAX_PDU_LEN,
    MAX_READ_BITS, MAX_READ_REGISTERS, MAX_READ_WRITE_READ, MAX_WRITE_COILS, MAX_WRITE_REGISTERS,
};
use crate::error::ensure_room;
use crate::{Error, ExceptionCode, FunctionCode};
use bytes::BufMut;

/// The largest byte count of a read response: 250 (2000 bits, or 125 registers).
const MAX_READ_BYTE_COUNT: u8 = 250;
/// Read Device Identification's fixed part: function, MEI type, code, conformity, more follows,
/// next object id, number of objects.
const DEVICE_ID_HEADER_LEN: usize = 7;

/// A server's response PDU (Application Protocol Specification V1.1b3 §6), or an exception
/// response (§7).
///
/// Read responses carry a byte count and no quantity, so they parse without the request.
/// Coil reads come back padded to whole bytes: trim them with [`Coils::truncated`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Response<'a> {
    /// 0x01 Read Coils (§6.1): 1..=250 bytes of coil states.
    ReadCoils(Coils<'a>),
    /// 0x02 Read Discrete Inputs (§6.2): 1..=250 bytes of input states.
    ReadDiscreteInputs(Coils<'a>),
    /// 0x03 Read Holding Registers (§6.3): 1..=125 registers.
    ReadHoldingRegisters(Registers<'a>),
    /// 0x04 Read Input Registers (§6.4): 1..=125 registers.
    ReadInputRegisters(Registers<'a>),
    /// 0x05 Write Single Coil (§6.5): an echo of the request.
    WriteSingleCoil {
        /// The coil's address.
        address: u16,
        /// The state written.
        value: bool,
    },
    /// 0x06 Write Single Register (§6.6): an echo of the request.
    WriteSingleRegister {
        /// The register's address.
        address: u16,
        /// The value written.
        value: u16,
    },
    /// 0x0F Write Multiple Coils (§6.11).
    WriteMultipleCoils {
        /// The first coil's address.
        address: u16,
        /// How many coils were written, 1..=1968.
        quantity: u16,
    },
    /// 0x10 Write Multiple Registers (§6.12).
    WriteMultipleRegisters {
        /// The first register's address.
        address: u16,
        /// How many registers were written, 1..=123.
        quantity: u16,
    },
    /// 0x16 Mask Write Register (§6.16): an echo of the request.
    MaskWriteRegister {
        /// The register's address.
        address: u16,
        /// The AND mask.
        and_mask: u16,
        /// The OR mask.
        or_mask: u16,
    },
    /// 0x17 Read/Write Multiple Registers (§6.17): the registers read, 1..=125.
    ReadWriteMultipleRegisters(Registers<'a>),
    /// 0x2B / 0x0E Read Device Identification (§6.21).
    ReadDeviceIdentification(DeviceIdentification<'a>),
    /// An exception response (§7): the function code with its high bit set, then the code.
    ///
    /// Function code 0x80 (an exception "to function 0") parses too, with `function` 0: pymodbus
    /// 3.16 answers unknown function codes that way, and a monitoring tool must show it.
    Exception {
        /// The function the exception answers (without the 0x80 bit), 0..=127.
        function: FunctionCode,
        /// Why the request failed.
        code: ExceptionCode,
    },
    /// Any other function code (or a 0x2B MEI type other than 0x0E), kept as raw bytes.
    Unknown {
        /// The function code, 1..=127.
        function: FunctionCode,
        /// Everything after the function code.
        data: &'a [u8],
    },
}

impl<'a> Response<'a> {
    /// Parses a complete response PDU.
    ///
    /// ```text
    /// 01, 02  byte-count(1: 1..=250) bits(byte-count)              §6.1, §6.2
    /// 03, 04  byte-count(1: even, 2..=250) values(byte-count)      §6.3, §6.4
    /// 05      address(2) value(2: FF00 on | 0000 off)              §6.5
    /// 06      address(2) value(2)                                  §6.6
    /// 0F, 10  address(2) quantity(2)                               §6.11, §6.12
    /// 16      address(2) and-mask(2) or-mask(2)                    §6.16
    /// 17      byte-count(1: even, 2..=250) values(byte-count)      §6.17
    /// 2B      0E code(1) conformity(1) more-follows(1: 00 | FF)
    ///         next-object-id(1) count(1) { id(1) len(1) value(len) }*count  §6.21
    /// 80..FF  exception-code(1)                                    §7
    /// other   data(*)                                              kept raw
    /// ```
    /// All fields big-endian (§4.2). Offsets in errors count from the function code.
    ///
    /// # Errors
    /// Any limit of §6 broken: [`Error::ByteCountOutOfRange`], [`Error::OddByteCount`],
    /// [`Error::QuantityOutOfRange`], [`Error::BadCoilValue`], [`Error::BadMoreFollows`],
    /// [`Error::BadFunctionCode`] (0), [`Error::Truncated`], [`Error::TrailingBytes`],
    /// [`Error::PduTooLong`].
    pub fn parse(pdu: &'a [u8]) -> Result<Self, Error> {
        check_pdu_len(pdu.len())?;
        let mut r = Reader::new(pdu);
        let code = r.u8()?;
        check_function(code, true)?;
        let function = FunctionCode(code);
        let response = match function {
            FunctionCode::READ_COILS | FunctionCode::READ_DISCRETE_INPUTS => {
                let count = read_byte_count(&mut r, function, 1)?;
                let bytes = r.take(usize::from(count))?;
                let coils =
                    Coils::from_packed(bytes, bytes.len() * 8).unwrap_or(Coils::from_bools(&[]));
                if function == FunctionCode::READ_COILS {
                    Self::ReadCoils(coils)
                } else {
                    Self::ReadDiscreteInputs(coils)
                }
            }
            FunctionCode::READ_HOLDING_REGISTERS => {
                Self::ReadHoldingRegisters(read_registers(&mut r, function)?)
            }
            FunctionCode::READ_INPUT_REGISTERS => {
                Self::ReadInputRegisters(read_registers(&mut r, function)?)
            }
            FunctionCode::READ_WRITE_MULTIPLE_REGISTERS => {
                Self::ReadWriteMultipleRegisters(read_registers(&mut r, function)?)
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
            FunctionCode::WRITE_MULTIPLE_COILS | FunctionCode::WRITE_MULTIPLE_REGISTERS => {
                let address = r.be_u16()?;
                let quantity = r.be_u16()?;
                let max = if function == FunctionCode::WRITE_MULTIPLE_COILS {
                    MAX_WRITE_COILS
                } else {
                    MAX_WRITE_REGISTERS
                };
                check_quantity(3, function, usize::from(quantity), max)?;
                if function == FunctionCode::WRITE_MULTIPLE_COILS {
                    Self::WriteMultipleCoils { address, quantity }
                } else {
                    Self::WriteMultipleRegisters { address, quantity }
                }
            }
            FunctionCode::MASK_WRITE_REGISTER => Self::MaskWriteRegister {
                address: r.be_u16()?,
                and_mask: r.be_u16()?,
                or_mask: r.be_u16()?,
            },
            FunctionCode::ENCAPSULATED_INTERFACE_TRANSPORT
                if pdu.get(1) == Some(&MEI_READ_DEVICE_ID) =>
            {
                let _mei = r.u8()?;
                let code = ReadDeviceIdCode(r.u8()?);
                let conformity = ConformityLevel(r.u8()?);
                let more_offset = r.offset();
                let more_follows = match r.u8()? {
                    0x00 => false,
                    0xFF => true,
                    found => {
                        return Err(Error::BadMoreFollows {
                            offset: more_offset,
                            found,
                        })
                    }
                };
                let next_object_id = ObjectId(r.u8()?);
                let count = r.u8()?;
                let objects = DeviceIdObjects::parse(&mut r, count)?;
                Self::ReadDeviceIdentification(DeviceIdentification {
                    code,
                    conformity,
                    more_follows,
                    next_object_id,
                    objects,
                })
            }
            _ if function.is_exception() => Self::Exception {
                function: FunctionCode(code & !FunctionCode::EXCEPTION_BIT),
                code: ExceptionCode(r.u8()?),
            },
            _ => Self::Unknown {
                function,
                data: r.rest(),
            },
        };
        r.finish()?;
        Ok(response)
    }

    /// The function code on the wire (with the 0x80 bit for an exception).
    pub fn function(&self) -> FunctionCode {
        match self {
            Self::ReadCoils(_) => FunctionCode::READ_COILS,
            Self::ReadDiscreteInputs(_) => FunctionCode::READ_DISCRETE_INPUTS,
            Self::ReadHoldingRegisters(_) => FunctionCode::READ_HOLDING_REGISTERS,
            Self::ReadInputRegisters(_) => FunctionCode::READ_INPUT_REGISTERS,
            Self::WriteSingleCoil { .. } => FunctionCode::WRITE_SINGLE_COIL,
            Self::WriteSingleRegister { .. } => FunctionCode::WRITE_SINGLE_REGISTER,
            Self::WriteMultipleCoils { .. } => FunctionCode::WRITE_MULTIPLE_COILS,
            Self::WriteMultipleRegisters { .. } => FunctionCode::WRITE_MULTIPLE_REGISTERS,
            Self::MaskWriteRegister { .. } => FunctionCode::MASK_WRITE_REGISTER,
            Self::ReadWriteMultipleRegisters(_) => FunctionCode::READ_WRITE_MULTIPLE_REGISTERS,
            Self::ReadDeviceIdentification(_) => FunctionCode::ENCAPSULATED_INTERFACE_TRANSPORT,
            Self::Exception { function, .. } => {
                FunctionCode(function.0 | FunctionCode::EXCEPTION_BIT)
            }
            Self::Unknown { function, .. } => *function,
        }
    }

    /// The number of bytes [`Response::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        match self {
            Self::ReadCoils(coils) | Self::ReadDiscreteInputs(coils) => 2 + coils.byte_len(),
            Self::ReadHoldingRegisters(registers)
            | Self::ReadInputRegisters(registers)
            | Self::ReadWriteMultipleRegisters(registers) => 2 + registers.byte_len(),
            Self::WriteSingleCoil { .. }
            | Self::WriteSingleRegister { .. }
            | Self::WriteMultipleCoils { .. }
            | Self::WriteMultipleRegisters { .. } => 5,
            Self::MaskWriteRegister { .. } => 7,
            Self::ReadDeviceIdentification(id) => DEVICE_ID_HEADER_LEN + id.objects.byte_len(),
            Self::Exception { .. } => 2,
            Self::Unknown { data, .. } => 1 + data.len(),
        }
    }

    /// Checks the limits [`Response::parse`] enforces, with the offsets the fields would have.
    ///
    /// # Errors
    /// [`Error::QuantityOutOfRange`] (for reads: the number of coils or registers),
    /// [`Error::BadFunctionCode`] or [`Error::PduTooLong`].
    pub fn validate(&self) -> Result<(), Error> {
        let function = self.function();
        match self {
            Self::ReadCoils(coils) | Self::ReadDiscreteInputs(coils) => {
                check_quantity(1, function, coils.len(), MAX_READ_BITS)
            }
            Self::ReadHoldingRegisters(registers) | Self::ReadInputRegisters(registers) => {
                check_quantity(1, function, registers.len(), MAX_READ_REGISTERS)
            }
            Self::ReadWriteMultipleRegisters(registers) => {
                check_quantity(1, function, registers.len(), MAX_READ_WRITE_READ)
            }
            Self::WriteMultipleCoils { quantity, .. } => {
                check_quantity(3, function, usize::from(*quantity), MAX_WRITE_COILS)
            }
            Self::WriteMultipleRegisters { quantity, .. } => {
                check_quantity(3, function, usize::from(*quantity), MAX_WRITE_REGISTERS)
            }
            Self::ReadDeviceIdentification(id) => {
                let len = self.encoded_len();
                if len > MAX_PDU_LEN || id.objects.len() > usize::from(u8::MAX) {
                    return Err(Error::PduTooLong {
                        offset: MAX_PDU_LEN,
                        max: MAX_PDU_LEN,
                        found: len,
                    });
                }
                Ok(())
            }
            Self::Exception { function, .. } if function.is_exception() => {
                Err(Error::BadFunctionCode {
                    offset: 0,
                    found: function.0,
                })
            }
            Self::Exception { .. } => Ok(()),
            Self::Unknown { function, .. } => {
                check_function(function.0, false)?;
                check_pdu_len(self.encoded_len())
            }
            Self::WriteSingleCoil { .. }
            | Self::WriteSingleRegister { .. }
            | Self::MaskWriteRegister { .. } => Ok(()),
        }
    }

    /// Writes the response PDU, big-endian (§4.2), after [`Response::validate`]. Nothing is
    /// written on error.
    ///
    /// # Errors
    /// What [`Response::validate`] reports, or [`Error::BufferTooSmall`].
    pub fn encode(&self, buf: &mut impl BufMut) -> Result<(), Error> {
        self.validate()?;
        ensure_room(buf, self.encoded_len())?;
        buf.put_u8(self.function().0);
        match self {
            Self::ReadCoils(coils) | Self::ReadDiscreteInputs(coils) => {
                put_len_u8(buf, coils.byte_len());
                coils.put(buf);
            }
            Self::ReadHoldingRegisters(registers)
            | Self::ReadInputRegisters(registers)
            | Self::ReadWriteMultipleRegisters(registers) => {
                put_len_u8(buf, registers.byte_len());
                registers.put(buf);
            }
            Self::WriteSingleCoil { address, value } => {
                buf.put_u16(*address);
                buf.put_u16(if *value { COIL_ON } else { COIL_OFF });
            }
            Self::WriteSingleRegister { address, value } => {
                buf.put_u16(*address);
                buf.put_u16(*value);
            }
            Self::WriteMultipleCoils { address, quantity }
            | Self::WriteMultipleRegisters { address, quantity } => {
                buf.put_u16(*address);
                buf.put_u16(*quantity);
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
            Self::ReadDeviceIdentification(id) => {
                buf.put_u8(MEI_READ_DEVICE_ID);
                buf.put_u8(id.code.0);
                buf.put_u8(id.conformity.0);
                buf.put_u8(if id.more_follows { 0xFF } else { 0x00 });
                buf.put_u8(id.next_object_id.0);
                put_len_u8(buf, id.objects.len());
                id.objects.put(buf);
            }
            Self::Exception { code, .. } => buf.put_u8(code.0),
            Self::Unknown { data, .. } => buf.put_slice(data),
        }
        Ok(())
    }

    /// Encodes the response into an inline [`PduBuf`], ready for a framing encoder.
    ///
    /// # Errors
    /// What [`Response::validate`] reports.
    pub fn to_pdu(&self) -> Result<PduBuf, Error> {
        PduBuf::encode_with(|buf| self.encode(buf))
    }

    /// An exception response to `function` (§7).
    pub fn exception(function: FunctionCode, code: ExceptionCode) -> Self {
        Self::Exception {
            function: FunctionCode(function.0 & !FunctionCode::EXCEPTION_BIT),
            code,
        }
    }
}

/// Reads a read response's byte count: `min..=250`.
fn read_byte_count(r: &mut Reader<'_>, function: FunctionCode, min: u8) -> Result<u8, Error> {
    let offset = r.offset();
    let found = r.u8()?;
    if !(min..=MAX_READ_BYTE_COUNT).contains(&found) {
        return Err(Error::ByteCountOutOfRange {
            offset,
            function,
            found,
            min,
            max: MAX_READ_BYTE_COUNT,
        });
    }
    Ok(found)
}

/// Reads a register read response's byte count (even, 2..=250), then the registers.
fn read_registers<'a>(r: &mut Reader<'a>, function: FunctionCode) -> Result<Registers<'a>, Error> {
    let offset = r.offset();
    let count = read_byte_count(r, function, 2)?;
    if count & 1 != 0 {
        return Err(Error::OddByteCount {
            offset,
            function,
            found: count,
        });
    }
    let bytes = r.take(usize::from(count))?;
    Ok(Registers::from_be_bytes(bytes).unwrap_or(Registers::from_values(&[])))
}
