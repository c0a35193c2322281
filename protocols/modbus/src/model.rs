//! A small data model for bridges: the four primary tables (Application Protocol Specification
//! V1.1b3 §4.3), splitting a long read into legal requests, and checking that a response answers
//! its request. The layout of values wider than a register is [`WordOrder`](crate::WordOrder);
//! turning registers into typed values is the bridge's own business.

use crate::pdu::{MAX_READ_BITS, MAX_READ_REGISTERS};
use crate::{Error, FunctionCode, Request, Response};

/// One of the four primary tables of the Modbus data model (§4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Table {
    /// Single bits, read-write (functions 1, 5, 15).
    Coils,
    /// Single bits, read-only (function 2).
    DiscreteInputs,
    /// 16-bit words, read-only (function 4).
    InputRegisters,
    /// 16-bit words, read-write (functions 3, 6, 16, 22, 23).
    HoldingRegisters,
}

impl core::fmt::Display for Table {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Table {
    /// The table's short name as bridges write it: `coil`, `discrete`, `input`, `holding`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Coils => "coil",
            Self::DiscreteInputs => "discrete",
            Self::InputRegisters => "input",
            Self::HoldingRegisters => "holding",
        }
    }

    /// The function that reads this table.
    pub fn read_function(self) -> FunctionCode {
        match self {
            Self::Coils => FunctionCode::READ_COILS,
            Self::DiscreteInputs => FunctionCode::READ_DISCRETE_INPUTS,
            Self::InputRegisters => FunctionCode::READ_INPUT_REGISTERS,
            Self::HoldingRegisters => FunctionCode::READ_HOLDING_REGISTERS,
        }
    }

    /// The most items one read may ask for: 2000 bits or 125 registers (§6.1-§6.4).
    pub fn max_read_quantity(self) -> u16 {
        if self.is_bits() {
            MAX_READ_BITS
        } else {
            MAX_READ_REGISTERS
        }
    }

    /// True for the bit tables (coils, discrete inputs).
    pub fn is_bits(self) -> bool {
        matches!(self, Self::Coils | Self::DiscreteInputs)
    }

    /// True for the tables a client may write (coils, holding registers).
    pub fn is_writable(self) -> bool {
        matches!(self, Self::Coils | Self::HoldingRegisters)
    }

    /// The request that reads `quantity` items from `address`. It is checked when encoded.
    pub fn read_request(self, address: u16, quantity: u16) -> Request<'static> {
        match self {
            Self::Coils => Request::ReadCoils { address, quantity },
            Self::DiscreteInputs => Request::ReadDiscreteInputs { address, quantity },
            Self::InputRegisters => Request::ReadInputRegisters { address, quantity },
            Self::HoldingRegisters => Request::ReadHoldingRegisters { address, quantity },
        }
    }

    /// Splits a read of `count` items from `address` into requests within the table's limit,
    /// stopping at the end of the address space (0xFFFF).
    pub fn read_requests(self, address: u16, count: u32) -> ReadRequests {
        ReadRequests {
            table: self,
            next: u32::from(address),
            end: u32::from(address).saturating_add(count).min(0x1_0000),
        }
    }
}

/// Iterator of the read requests covering a range: see [`Table::read_requests`].
#[derive(Debug, Clone)]
pub struct ReadRequests {
    table: Table,
    next: u32,
    end: u32,
}

impl Iterator for ReadRequests {
    type Item = Request<'static>;

    fn next(&mut self) -> Option<Request<'static>> {
        let quantity = self
            .end
            .saturating_sub(self.next)
            .min(u32::from(self.table.max_read_quantity()));
        let address = u16::try_from(self.next).ok()?;
        let quantity = u16::try_from(quantity).ok().filter(|&q| q > 0)?;
        self.next += u32::from(quantity);
        Some(self.table.read_request(address, quantity))
    }
}

/// Checks that `response` answers `request` (§6): the same function (or its exception), read
/// byte counts that match the quantity asked for, and write echoes that repeat the request.
///
/// # Errors
/// [`Error::ResponseMismatch`] with the offset of the first field that differs in the response PDU.
pub fn check_response(request: &Request<'_>, response: &Response<'_>) -> Result<(), Error> {
    let function = request.function();
    let mismatch = |offset: usize, expected: usize, found: usize| {
        let clip = |v: usize| u16::try_from(v).unwrap_or(u16::MAX);
        Err(Error::ResponseMismatch {
            offset,
            function,
            expected: clip(expected),
            found: clip(found),
        })
    };
    let check = |offset: usize, expected: usize, found: usize| {
        if expected == found {
            Ok(())
        } else {
            mismatch(offset, expected, found)
        }
    };
    if let Response::Exception {
        function: answered, ..
    } = response
    {
        return check(0, usize::from(function.0), usize::from(answered.0));
    }
    check(
        0,
        usize::from(function.0),
        usize::from(response.function().0),
    )?;
    match (request, response) {
        (
            Request::ReadCoils { quantity, .. } | Request::ReadDiscreteInputs { quantity, .. },
            Response::ReadCoils(coils) | Response::ReadDiscreteInputs(coils),
        ) => check(1, usize::from(*quantity).div_ceil(8), coils.byte_len()),
        (
            Request::ReadHoldingRegisters { quantity, .. }
            | Request::ReadInputRegisters { quantity, .. }
            | Request::ReadWriteMultipleRegisters {
                read_quantity: quantity,
                ..
            },
            Response::ReadHoldingRegisters(registers)
            | Response::ReadInputRegisters(registers)
            | Response::ReadWriteMultipleRegisters(registers),
        ) => check(1, usize::from(*quantity) * 2, registers.byte_len()),
        (
            Request::WriteSingleCoil { address, value },
            Response::WriteSingleCoil {
                address: echoed,
                value: echoed_value,
            },
        ) => {
            check(1, usize::from(*address), usize::from(*echoed))?;
            check(3, usize::from(*value), usize::from(*echoed_value))
        }
        (
            Request::WriteSingleRegister { address, value },
            Response::WriteSingleRegister {
                address: echoed,
                value: echoed_value,
            },
        ) => {
            check(1, usize::from(*address), usize::from(*echoed))?;
            check(3, usize::from(*value), usize::from(*echoed_value))
        }
        (
            Request::WriteMultipleCoils { address, coils },
            Response::WriteMultipleCoils {
                address: echoed,
                quantity,
            },
        ) => {
            check(1, usize::from(*address), usize::from(*echoed))?;
            check(3, coils.len(), usize::from(*quantity))
        }
        (
            Request::WriteMultipleRegisters { address, registers },
            Response::WriteMultipleRegisters {
                address: echoed,
                quantity,
            },
        ) => {
            check(1, usize::from(*address), usize::from(*echoed))?;
            check(3, registers.len(), usize::from(*quantity))
        }
        (
            Request::MaskWriteRegister {
                address,
                and_mask,
                or_mask,
            },
            Response::MaskWriteRegister {
                address: a,
                and_mask: m,
                or_mask: o,
            },
        ) => {
            check(1, usize::from(*address), usize::from(*a))?;
            check(3, usize::from(*and_mask), usize::from(*m))?;
            check(5, usize::from(*or_mask), usize::from(*o))
        }
        (
            Request::ReadDeviceIdentification { code, .. },
            Response::ReadDeviceIdentification(id),
        ) => check(2, usize::from(code.0), usize::from(id.code.0)),
        _ => Ok(()),
    }
}
