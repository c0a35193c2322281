//! A Modbus PDU as JSON fields with the specification's names (Modbus Application Protocol
//! Specification V1.1b3 §6, §7).

use fieldbridge_modbus::pdu::{DeviceIdentification, ObjectId, MEI_READ_DEVICE_ID};
use fieldbridge_modbus::{Coils, Error, ExceptionCode, FunctionCode, Registers, Request, Response};
use serde_json::{json, Value};

use super::json::{hex, Obj};

/// Which way a PDU travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Client to server.
    Request,
    /// Server to client.
    Response,
}

/// What a request leaves for its response: its function code and, for reads, the quantity asked
/// for (coil and input responses are padded to whole bytes and cut back to it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Asked {
    /// The request's function code.
    pub(crate) function: u8,
    /// The quantity of a read request.
    pub(crate) quantity: Option<u16>,
}

/// The fields of one PDU: `function_code`, `function`, `kind`, then `request_frame` when
/// `request_frame` is given, then the data fields. A request returns what its response needs.
///
/// `request` is the matching request of a response, if it was seen. A PDU that does not parse
/// yields its function, kind, `error`, `error_offset` (in the PDU, as in the message) and the PDU
/// as hex, and decoding goes on.
pub(crate) fn pdu_fields(
    obj: &mut Obj,
    pdu: &[u8],
    direction: Direction,
    request_frame: Option<u64>,
    request: Option<Asked>,
) -> Option<Asked> {
    let code = pdu.first().copied().unwrap_or(0);
    let exception = direction == Direction::Response && code & FunctionCode::EXCEPTION_BIT != 0;
    let function = if exception {
        code & !FunctionCode::EXCEPTION_BIT
    } else {
        code
    };
    obj.put("function_code", function)
        .put("function", FunctionCode(function).name())
        .put(
            "kind",
            match (direction, exception) {
                (Direction::Request, _) => "request",
                (Direction::Response, false) => "response",
                (Direction::Response, true) => "exception",
            },
        );
    if let Some(frame) = request_frame {
        obj.put("request_frame", frame);
    }
    let parsed = match direction {
        Direction::Request => Request::parse(pdu).map(|r| Some(request_fields(obj, &r))),
        Direction::Response => Response::parse(pdu).map(|r| {
            response_fields(obj, &r, request.filter(|a| a.function == code));
            None
        }),
    };
    match parsed {
        Ok(asked) => asked,
        Err(e) => {
            error_fields(obj, &e, "pdu", pdu);
            None
        }
    }
}

/// The fields of a decoding error: its message, its offset, what it was in and the bytes.
pub(crate) fn error_fields(obj: &mut Obj, error: &Error, scope: &'static str, bytes: &[u8]) {
    obj.put("error", error.to_string())
        .put("error_offset", error.offset())
        .put("error_in", scope)
        .put("raw", hex(bytes));
}

/// The data fields of a request; returns what its response needs.
fn request_fields(obj: &mut Obj, request: &Request<'_>) -> Asked {
    let mut quantity = None;
    match *request {
        Request::ReadCoils {
            address,
            quantity: q,
        }
        | Request::ReadDiscreteInputs {
            address,
            quantity: q,
        }
        | Request::ReadHoldingRegisters {
            address,
            quantity: q,
        }
        | Request::ReadInputRegisters {
            address,
            quantity: q,
        } => {
            obj.put("address", address).put("quantity", q);
            quantity = Some(q);
        }
        Request::WriteSingleCoil { address, value } => {
            obj.put("address", address).put("value", value);
        }
        Request::WriteSingleRegister { address, value } => {
            obj.put("address", address).put("value", value);
        }
        Request::WriteMultipleCoils { address, coils } => {
            obj.put("address", address)
                .put("quantity", coils.len())
                .put("byte_count", coils.byte_len())
                .put("values", bools(coils));
        }
        Request::WriteMultipleRegisters { address, registers } => {
            obj.put("address", address)
                .put("quantity", registers.len())
                .put("byte_count", registers.byte_len())
                .put("values", words(registers));
        }
        Request::MaskWriteRegister {
            address,
            and_mask,
            or_mask,
        } => {
            obj.put("address", address)
                .put("and_mask", and_mask)
                .put("or_mask", or_mask);
        }
        Request::ReadWriteMultipleRegisters {
            read_address,
            read_quantity,
            write_address,
            write_registers,
        } => {
            obj.put("read_address", read_address)
                .put("read_quantity", read_quantity)
                .put("write_address", write_address)
                .put("write_quantity", write_registers.len())
                .put("byte_count", write_registers.byte_len())
                .put("values", words(write_registers));
            quantity = Some(read_quantity);
        }
        Request::ReadDeviceIdentification { code, object_id } => {
            obj.put("mei_type", MEI_READ_DEVICE_ID)
                .put("read_device_id_code", code.0)
                .put("object_id", object_id.0)
                .put("object", object_id.name());
        }
        Request::Unknown { data, .. } => {
            obj.put("data", hex(data));
        }
    }
    Asked {
        function: request.function().0,
        quantity,
    }
}

/// The data fields of a response; coil and input states are cut to the request's quantity when
/// the request was seen.
fn response_fields(obj: &mut Obj, response: &Response<'_>, request: Option<Asked>) {
    match *response {
        Response::ReadCoils(coils) | Response::ReadDiscreteInputs(coils) => {
            let byte_count = coils.byte_len();
            let coils = match request.and_then(|r| r.quantity) {
                Some(q) => coils.truncated(usize::from(q)),
                None => coils,
            };
            obj.put("byte_count", byte_count)
                .put("quantity", coils.len())
                .put("values", bools(coils));
        }
        Response::ReadHoldingRegisters(registers)
        | Response::ReadInputRegisters(registers)
        | Response::ReadWriteMultipleRegisters(registers) => {
            obj.put("byte_count", registers.byte_len())
                .put("quantity", registers.len())
                .put("values", words(registers));
        }
        Response::WriteSingleCoil { address, value } => {
            obj.put("address", address).put("value", value);
        }
        Response::WriteSingleRegister { address, value } => {
            obj.put("address", address).put("value", value);
        }
        Response::WriteMultipleCoils { address, quantity }
        | Response::WriteMultipleRegisters { address, quantity } => {
            obj.put("address", address).put("quantity", quantity);
        }
        Response::MaskWriteRegister {
            address,
            and_mask,
            or_mask,
        } => {
            obj.put("address", address)
                .put("and_mask", and_mask)
                .put("or_mask", or_mask);
        }
        Response::ReadDeviceIdentification(ref id) => device_identification(obj, id),
        Response::Exception { code, .. } => {
            obj.put("exception_code", code.0)
                .put("exception", ExceptionCode::from(code.0).name());
        }
        Response::Unknown { data, .. } => {
            obj.put("data", hex(data));
        }
    }
}

/// The fields of a Read Device Identification response (§6.21); each object has its id, its
/// name and its value, as text when it is printable UTF-8 and as `value_hex` otherwise.
fn device_identification(obj: &mut Obj, id: &DeviceIdentification<'_>) {
    let objects: Vec<Value> = id
        .objects
        .iter()
        .map(|o| match std::str::from_utf8(o.value) {
            Ok(text) if !text.chars().any(char::is_control) => {
                json!({"id": o.id.0, "name": ObjectId::name(o.id), "value": text})
            }
            _ => json!({"id": o.id.0, "name": ObjectId::name(o.id), "value_hex": hex(o.value)}),
        })
        .collect();
    obj.put("mei_type", MEI_READ_DEVICE_ID)
        .put("read_device_id_code", id.code.0)
        .put("conformity_level", id.conformity.0)
        .put("more_follows", id.more_follows)
        .put("next_object_id", id.next_object_id.0)
        .put("number_of_objects", objects.len())
        .put("objects", objects);
}

/// Coil states as a list.
fn bools(coils: Coils<'_>) -> Vec<bool> {
    coils.iter().collect()
}

/// Register values as a list.
fn words(registers: Registers<'_>) -> Vec<u16> {
    registers.iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pdu: &[u8], direction: Direction, request: Option<Asked>) -> String {
        let mut obj = Obj::new();
        pdu_fields(&mut obj, pdu, direction, None, request);
        obj.to_line()
    }

    #[test]
    fn coil_responses_are_cut_to_the_request() {
        let asked = fields(&[1, 0, 0, 0, 3], Direction::Request, None);
        assert_eq!(
            asked,
            r#"{"function_code":1,"function":"Read Coils","kind":"request","address":0,"quantity":3}"#
        );
        let request = Some(Asked {
            function: 1,
            quantity: Some(3),
        });
        let line = fields(&[1, 1, 0b101], Direction::Response, request);
        assert!(
            line.ends_with(r#""byte_count":1,"quantity":3,"values":[true,false,true]}"#),
            "{line}"
        );
        let untrimmed = fields(&[1, 1, 0b101], Direction::Response, None);
        assert!(untrimmed.contains(r#""quantity":8"#), "{untrimmed}");
    }

    #[test]
    fn exceptions_and_errors_are_named() {
        let line = fields(&[0x83, 2], Direction::Response, None);
        assert!(
            line.ends_with(r#""function_code":3,"function":"Read Holding Registers","kind":"exception","exception_code":2,"exception":"ILLEGAL DATA ADDRESS"}"#),
            "{line}"
        );
        let line = fields(&[3, 0, 0, 0, 200], Direction::Request, None);
        assert!(line.contains(r#""error":"Read Holding Registers (0x03) quantity 200 at byte 3 out of range: expected 1..=125","error_offset":3,"error_in":"pdu","raw":"03000000c8""#), "{line}");
    }
}
