//! The bridge data model: tables, read splitting, response checking.

use fieldbridge_modbus::model::{check_response, Table};
use fieldbridge_modbus::{Coils, ExceptionCode, FunctionCode, Registers, Request, Response};

#[test]
fn tables_know_their_read_function_limit_and_writability() {
    assert_eq!(Table::Coils.read_function(), FunctionCode::READ_COILS);
    assert_eq!(
        Table::InputRegisters.read_function(),
        FunctionCode::READ_INPUT_REGISTERS
    );
    assert_eq!(Table::DiscreteInputs.max_read_quantity(), 2000);
    assert_eq!(Table::HoldingRegisters.max_read_quantity(), 125);
    assert!(Table::HoldingRegisters.is_writable() && !Table::InputRegisters.is_writable());
    assert!(Table::Coils.is_bits() && !Table::HoldingRegisters.is_bits());
}

#[test]
fn a_long_read_is_split_into_legal_requests_up_to_the_end_of_the_address_space() {
    let requests: Vec<_> = Table::HoldingRegisters.read_requests(100, 300).collect();
    assert_eq!(
        requests,
        [
            Request::ReadHoldingRegisters {
                address: 100,
                quantity: 125
            },
            Request::ReadHoldingRegisters {
                address: 225,
                quantity: 125
            },
            Request::ReadHoldingRegisters {
                address: 350,
                quantity: 50
            },
        ]
    );
    let requests: Vec<_> = Table::Coils.read_requests(0xFFF0, 100).collect();
    assert_eq!(
        requests,
        [Request::ReadCoils {
            address: 0xFFF0,
            quantity: 16
        }]
    );
    assert_eq!(Table::Coils.read_requests(0, 0).count(), 0);
    assert_eq!(Table::Coils.read_requests(0xFFFF, u32::MAX).count(), 1);
    assert!(Table::InputRegisters
        .read_requests(0, 0x1_0000)
        .all(|r| r.validate().is_ok()));
}

#[test]
fn responses_that_answer_their_requests_pass_the_check() {
    let read = Request::ReadCoils {
        address: 0,
        quantity: 10,
    };
    let bits = [true; 16];
    assert_eq!(
        check_response(&read, &Response::ReadCoils(Coils::from_bools(&bits))),
        Ok(())
    );
    let exception = Response::exception(
        FunctionCode::READ_COILS,
        ExceptionCode::ILLEGAL_DATA_ADDRESS,
    );
    assert_eq!(check_response(&read, &exception), Ok(()));
    let values = [1, 2];
    let write = Request::WriteMultipleRegisters {
        address: 5,
        registers: Registers::from_values(&values),
    };
    assert_eq!(
        check_response(
            &write,
            &Response::WriteMultipleRegisters {
                address: 5,
                quantity: 2
            }
        ),
        Ok(())
    );
    assert!(check_response(
        &write,
        &Response::WriteMultipleRegisters {
            address: 6,
            quantity: 2
        }
    )
    .is_err());
    let wrong_exception = Response::exception(
        FunctionCode::READ_HOLDING_REGISTERS,
        ExceptionCode::ILLEGAL_FUNCTION,
    );
    assert!(check_response(&read, &wrong_exception).is_err());
}
