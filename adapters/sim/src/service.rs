//! The tokio-modbus [`Service`] that answers requests from the simulator's models.

use std::future::{ready, Ready};

use tokio_modbus::{server::Service, ExceptionCode, Request, Response, SlaveRequest};

use crate::{
    map,
    model::{Model, Table},
    ModbusSim, SimError, UnitIds,
};

/// Protocol limits on the quantity of one request (Modbus application protocol v1.1b3).
const MAX_READ_BITS: u16 = 2000;
const MAX_READ_WORDS: u16 = 125;
const MAX_WRITE_BITS: u16 = 1968;
const MAX_WRITE_WORDS: u16 = 123;
const MAX_READ_WRITE_WORDS: u16 = 121;

/// How the request reached us: RTU has broadcasts and answers unknown units with silence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transport {
    Tcp,
    Rtu,
}

/// One service per connection (TCP) or serial port (RTU); all share the simulator state.
#[derive(Debug, Clone)]
pub(crate) struct SimService {
    sim: ModbusSim,
    transport: Transport,
}

impl SimService {
    pub(crate) fn new(sim: ModbusSim, transport: Transport) -> Self {
        Self { sim, transport }
    }

    fn dispatch(&self, unit: u8, request: &Request<'_>) -> Result<Option<Response>, ExceptionCode> {
        let fc = request.function_code().value();
        if self.transport == Transport::Rtu && unit == 0 {
            if is_write(request) {
                self.sim.for_each_model(|m| {
                    // A broadcast has no answer, so an exception has nowhere to go.
                    let _ = execute(m, request);
                });
            }
            tracing::trace!(unit, fc, "modbus broadcast");
            return Ok(None);
        }
        match self.sim.with_unit(unit, |m| execute(m, request)) {
            Some(Ok(mut response)) => {
                if self.sim.config().units == UnitIds::Any {
                    show_unit_id(request, &mut response, unit);
                }
                tracing::trace!(unit, fc, "modbus request answered");
                Ok(Some(response))
            }
            Some(Err(exception)) => {
                tracing::debug!(unit, fc, ?exception, ?request, "modbus exception");
                Err(exception)
            }
            None if self.transport == Transport::Tcp => {
                tracing::debug!(unit, fc, "modbus request for a unit not simulated");
                Err(ExceptionCode::GatewayTargetDevice)
            }
            None => {
                tracing::trace!(unit, fc, "modbus request for another unit ignored");
                Ok(None)
            }
        }
    }
}

impl Service for SimService {
    type Request = SlaveRequest<'static>;
    type Response = Option<Response>;
    type Exception = ExceptionCode;
    type Future = Ready<Result<Self::Response, Self::Exception>>;

    fn call(&self, req: Self::Request) -> Self::Future {
        ready(self.dispatch(req.slave, &req.request))
    }
}

/// With one shared model for every unit id, [`map::HR_UNIT_ID`] reads as the unit id the request
/// was addressed to, so that a client can tell which unit answered.
fn show_unit_id(request: &Request<'_>, response: &mut Response, unit: u8) {
    let (Request::ReadHoldingRegisters(start, _)
    | Request::ReadWriteMultipleRegisters(start, _, _, _)) = request
    else {
        return;
    };
    let (Response::ReadHoldingRegisters(words) | Response::ReadWriteMultipleRegisters(words)) =
        response
    else {
        return;
    };
    if let Some(word) = map::HR_UNIT_ID
        .checked_sub(*start)
        .and_then(|i| words.get_mut(usize::from(i)))
    {
        *word = u16::from(unit);
    }
}

fn is_write(request: &Request<'_>) -> bool {
    matches!(
        request,
        Request::WriteSingleCoil(..)
            | Request::WriteMultipleCoils(..)
            | Request::WriteSingleRegister(..)
            | Request::WriteMultipleRegisters(..)
            | Request::MaskWriteRegister(..)
            | Request::ReadWriteMultipleRegisters(..)
    )
}

fn check_quantity(quantity: usize, max: u16) -> Result<u16, ExceptionCode> {
    match u16::try_from(quantity) {
        Ok(q) if (1..=max).contains(&q) => Ok(q),
        _ => Err(ExceptionCode::IllegalDataValue),
    }
}

impl From<SimError> for ExceptionCode {
    fn from(err: SimError) -> Self {
        match err {
            SimError::OutOfRange { .. } => ExceptionCode::IllegalDataAddress,
            _ => ExceptionCode::ServerDeviceFailure,
        }
    }
}

/// Executes one request against `model`. Checks follow the order of the specification: function
/// (exception 1), then quantity (exception 3), then address range (exception 2).
pub(crate) fn execute(model: &mut Model, request: &Request<'_>) -> Result<Response, ExceptionCode> {
    use Request as Q;
    use Response as R;
    Ok(match request {
        Q::ReadCoils(addr, qty) | Q::ReadDiscreteInputs(addr, qty) => {
            let qty = check_quantity(usize::from(*qty), MAX_READ_BITS)?;
            if let Q::ReadCoils(..) = request {
                R::ReadCoils(model.bits(Table::Coils, *addr, qty)?.to_vec())
            } else {
                R::ReadDiscreteInputs(model.bits(Table::DiscreteInputs, *addr, qty)?.to_vec())
            }
        }
        Q::ReadHoldingRegisters(addr, qty) => {
            let qty = check_quantity(usize::from(*qty), MAX_READ_WORDS)?;
            R::ReadHoldingRegisters(model.words(Table::HoldingRegisters, *addr, qty)?.to_vec())
        }
        Q::ReadInputRegisters(addr, qty) => {
            let qty = check_quantity(usize::from(*qty), MAX_READ_WORDS)?;
            R::ReadInputRegisters(model.words(Table::InputRegisters, *addr, qty)?.to_vec())
        }
        Q::WriteSingleCoil(addr, value) => {
            model.set_bits(Table::Coils, *addr, &[*value])?;
            R::WriteSingleCoil(*addr, *value)
        }
        Q::WriteMultipleCoils(addr, values) => {
            let qty = check_quantity(values.len(), MAX_WRITE_BITS)?;
            model.set_bits(Table::Coils, *addr, values)?;
            R::WriteMultipleCoils(*addr, qty)
        }
        Q::WriteSingleRegister(addr, value) => {
            model.set_words(Table::HoldingRegisters, *addr, &[*value])?;
            R::WriteSingleRegister(*addr, *value)
        }
        Q::WriteMultipleRegisters(addr, values) => {
            let qty = check_quantity(values.len(), MAX_WRITE_WORDS)?;
            model.set_words(Table::HoldingRegisters, *addr, values)?;
            R::WriteMultipleRegisters(*addr, qty)
        }
        Q::MaskWriteRegister(addr, and_mask, or_mask) => {
            let current = model.words(Table::HoldingRegisters, *addr, 1)?[0];
            let result = (current & and_mask) | (or_mask & !and_mask);
            model.set_words(Table::HoldingRegisters, *addr, &[result])?;
            R::MaskWriteRegister(*addr, *and_mask, *or_mask)
        }
        Q::ReadWriteMultipleRegisters(read_addr, read_qty, write_addr, values) => {
            let read_qty = check_quantity(usize::from(*read_qty), MAX_READ_WORDS)?;
            check_quantity(values.len(), MAX_READ_WRITE_WORDS)?;
            // Check both ranges before changing anything; the write happens before the read.
            model.words(Table::HoldingRegisters, *read_addr, read_qty)?;
            model.set_words(Table::HoldingRegisters, *write_addr, values)?;
            R::ReadWriteMultipleRegisters(
                model
                    .words(Table::HoldingRegisters, *read_addr, read_qty)?
                    .to_vec(),
            )
        }
        Q::ReportServerId | Q::ReadDeviceIdentification(..) | Q::Custom(..) => {
            return Err(ExceptionCode::IllegalFunction)
        }
    })
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;

    #[test]
    fn requests() {
        let mut m = Model::simulated(1);
        assert_eq!(
            execute(&mut m, &Request::ReadHoldingRegisters(100, 1)),
            Ok(Response::ReadHoldingRegisters(vec![12345]))
        );
        assert_eq!(
            execute(&mut m, &Request::ReadHoldingRegisters(999, 2)),
            Err(ExceptionCode::IllegalDataAddress)
        );
        assert_eq!(
            execute(&mut m, &Request::ReadHoldingRegisters(0, 126)),
            Err(ExceptionCode::IllegalDataValue)
        );
        assert_eq!(
            execute(&mut m, &Request::ReadCoils(0, 0)),
            Err(ExceptionCode::IllegalDataValue)
        );
        assert_eq!(
            execute(&mut m, &Request::Custom(0x41, Cow::Borrowed(&[]))),
            Err(ExceptionCode::IllegalFunction)
        );
        // FC 22, the example of the specification: 0x12 AND 0xF2 OR 0x25 gives 0x17.
        m.holding_registers_mut()[200] = 0x12;
        assert!(execute(&mut m, &Request::MaskWriteRegister(200, 0xF2, 0x25)).is_ok());
        assert_eq!(m.holding_registers()[200], 0x17);
        // FC 23 writes before it reads; a bad read range changes nothing.
        let words = Cow::Borrowed(&[7u16, 8][..]);
        assert_eq!(
            execute(
                &mut m,
                &Request::ReadWriteMultipleRegisters(200, 3, 201, words.clone())
            ),
            Ok(Response::ReadWriteMultipleRegisters(vec![0x17, 7, 8]))
        );
        assert_eq!(
            execute(
                &mut m,
                &Request::ReadWriteMultipleRegisters(999, 2, 210, words)
            ),
            Err(ExceptionCode::IllegalDataAddress)
        );
        assert_eq!(m.holding_registers()[210], 0);
    }
}
