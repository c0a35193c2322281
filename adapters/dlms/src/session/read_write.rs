//! The short-name services of the session (IEC 62056-5-3 clause 6.3; DLMS UA 1000-2 Ed. 10
//! clause 9.3.11 to 9.3.13), under the same calls as logical names:
//!
//! - [`Session::get`] is a ReadRequest of the attribute's short name (`variable-name`), or with
//!   an access selection a `parameterized-access` (variable-name, selector, parameter), the SN
//!   form of selective access. A long answer comes in `data-block-result`s, each acknowledged
//!   with a ReadRequest `block-number-access` carrying the number of the block received.
//! - [`Session::set`] is a WriteRequest of the attribute's short name and the value.
//! - [`Session::action`] is a WriteRequest of the method's short name with its parameters
//!   (null-data without), as Gurux's SN client and other SN clients invoke methods that
//!   return nothing, the commands a source sends (remote_disconnect, reset...); its result
//!   comes back as an [`Received::Invoked`] without return parameters. Methods that return
//!   data are not supported by short name (see [`Session::action`]).
//! - After the AARE the session reads the object list (Association SN attribute 2, short name
//!   0xFA08) and maps each (class, logical name) to its base name; [`Received::Associated`]
//!   comes once the list is in.
//!
//! The raw-data of the data-block-results joins into the encoded Data of the one result (as
//! Gurux's client and server do it) or into the ReadResponse's `SEQUENCE OF` results (as jDLMS
//! reads it); both are taken.

use std::time::Instant;

use fieldbridge_dlms::apdu::get::{
    ActionResult, AttributeDescriptor, DataAccessResult, MethodDescriptor,
};
use fieldbridge_dlms::apdu::initiate::InitiateResponse;
use fieldbridge_dlms::apdu::selective::OwnedSelectiveAccess;
use fieldbridge_dlms::apdu::sn::{
    self, OwnedVariableAccess, OwnedWriteRequest, ReadResponse, ReadResult, WriteResponse,
    WriteResult,
};
use fieldbridge_dlms::axdr::{Data, DataRef};

use super::error::SessionError;
use super::short_names::{ShortNames, OBJECT_LIST};
use super::{security, Phase, Received, Session};

/// Where the raw-data starts in a ReadResponse with one data-block-result (for errors).
const RAW_DATA_OFFSET: usize = 7;

/// What a ReadRequest in flight reads.
#[derive(Debug)]
pub(super) enum ReadFor {
    /// The object list, right after the association; the meter's InitiateResponse waits here.
    ObjectList(InitiateResponse),
    /// An attribute, for the caller.
    Value,
}

/// The raw-data of the data-block-results received so far.
#[derive(Debug)]
pub(super) struct Joined {
    next: u16,
    raw: Vec<u8>,
}

impl Joined {
    fn new() -> Self {
        Joined {
            next: 1,
            raw: Vec::new(),
        }
    }

    /// Adds block `number`, which must be the next one (from 1), within `max` octets in all.
    fn push(&mut self, number: u16, raw: &[u8], max: usize) -> Result<(), SessionError> {
        if number != self.next {
            return Err(SessionError::Codec(fieldbridge_dlms::Error::BadValue {
                offset: 4,
                what: "block-number",
                expected: "the next block number in sequence, from 1",
                found: u64::from(number),
            }));
        }
        let total = self.raw.len().saturating_add(raw.len());
        if total > max {
            return Err(SessionError::Codec(fieldbridge_dlms::Error::BadLength {
                offset: RAW_DATA_OFFSET,
                what: "reassembled raw-data",
                min: 0,
                max: max as u64,
                found: total as u64,
            }));
        }
        self.raw.extend_from_slice(raw);
        self.next = self.next.saturating_add(1);
        Ok(())
    }
}

/// The result of one variable read.
enum Outcome<'a> {
    Data(DataRef<'a>),
    Refused(DataAccessResult),
}

impl Session {
    /// Reads the object list once associated (the AARE, or HLS pass 4, is in).
    pub(super) fn list_objects(
        &mut self,
        granted: InitiateResponse,
        now: Instant,
    ) -> Result<Received, SessionError> {
        let out = self.seal(read_request(OwnedVariableAccess::VariableName(OBJECT_LIST)))?;
        self.phase = Phase::Reading {
            read: ReadFor::ObjectList(granted),
            blocks: None,
        };
        self.arm(now);
        tracing::debug!("dlms sn object list requested");
        Ok(Received::Send(out))
    }

    /// The ReadRequest of one attribute by its short name.
    pub(super) fn read(
        &mut self,
        attribute: AttributeDescriptor,
        selection: Option<OwnedSelectiveAccess>,
        now: Instant,
    ) -> Result<Vec<u8>, SessionError> {
        self.ready_for("send a ReadRequest")?;
        let access = variable(self.short_names.attribute(&attribute)?, selection);
        let out = self.seal(read_request(access))?;
        self.phase = Phase::Reading {
            read: ReadFor::Value,
            blocks: None,
        };
        self.arm(now);
        Ok(out)
    }

    /// The WriteRequest of one attribute by its short name.
    pub(super) fn write(
        &mut self,
        attribute: AttributeDescriptor,
        selection: Option<OwnedSelectiveAccess>,
        value: Data,
        now: Instant,
    ) -> Result<Vec<u8>, SessionError> {
        self.ready_for("send a WriteRequest")?;
        let access = variable(self.short_names.attribute(&attribute)?, selection);
        self.send_write(access, value, false, now)
    }

    /// The WriteRequest that invokes a method by its short name.
    pub(super) fn invoke(
        &mut self,
        method: MethodDescriptor,
        parameters: Option<Data>,
        now: Instant,
    ) -> Result<Vec<u8>, SessionError> {
        self.ready_for("invoke a method")?;
        let name = self.short_names.method(&method)?;
        let parameters = parameters.unwrap_or(Data::Null);
        self.send_write(
            OwnedVariableAccess::VariableName(name),
            parameters,
            true,
            now,
        )
    }

    fn send_write(
        &mut self,
        access: OwnedVariableAccess,
        value: Data,
        method: bool,
        now: Instant,
    ) -> Result<Vec<u8>, SessionError> {
        let request = OwnedWriteRequest {
            variables: vec![access],
            values: vec![value],
        };
        let mut plain = Vec::with_capacity(request.encoded_len());
        request.encode(&mut plain);
        // A WriteRequest is not cut into write-data-block-access blocks here.
        let max = self
            .granted
            .map_or(0, |g| usize::from(g.server_max_receive_pdu_size));
        let len = plain.len() + security::overhead(self.config.security.as_ref());
        if max != 0 && len > max {
            return Err(SessionError::TooLong { len, max });
        }
        let out = self.seal(plain)?;
        self.phase = Phase::Writing { method };
        self.arm(now);
        Ok(out)
    }

    /// A ReadResponse: the value, a refusal, or a block to acknowledge.
    pub(super) fn on_read_response(
        &mut self,
        response: &ReadResponse<'_>,
        now: Instant,
    ) -> Result<Received, SessionError> {
        let phase = std::mem::replace(&mut self.phase, Phase::Idle);
        let Phase::Reading { read, blocks } = phase else {
            self.phase = phase;
            return Err(SessionError::State {
                action: "take a ReadResponse",
                phase: self.phase.name(),
            });
        };
        match single(response)? {
            ReadResult::Data(data) => {
                if blocks.is_some() {
                    return Err(SessionError::Unexpected {
                        expected: "the next data-block-result",
                        found: "a whole result amid the blocks",
                    });
                }
                self.finish(read, Outcome::Data(data))
            }
            ReadResult::DataAccessError(refused) => self.finish(read, Outcome::Refused(refused)),
            ReadResult::DataBlockResult {
                last_block,
                block_number,
                raw_data,
            } => {
                let mut joined = blocks.unwrap_or_else(Joined::new);
                joined.push(block_number, raw_data, self.config.max_value_len)?;
                if !last_block {
                    let next = OwnedVariableAccess::BlockNumberAccess(block_number);
                    let out = self.seal(read_request(next))?;
                    self.phase = Phase::Reading {
                        read,
                        blocks: Some(joined),
                    };
                    self.arm(now);
                    return Ok(Received::Send(out));
                }
                let mut framed = Vec::new();
                let outcome = joined_outcome(&joined.raw, &mut framed)?;
                self.finish(read, outcome)
            }
            ReadResult::BlockNumber(_) => Err(SessionError::Unexpected {
                expected: "data, a data-access-error or a data-block-result",
                found: "a block-number (the acknowledgement of a request block)",
            }),
        }
    }

    /// The read is over: the caller's value, or the object list that completes the
    /// association.
    fn finish(&mut self, read: ReadFor, outcome: Outcome<'_>) -> Result<Received, SessionError> {
        match (read, outcome) {
            (ReadFor::Value, Outcome::Data(data)) => {
                self.settle();
                Ok(Received::Value(data.to_owned()))
            }
            (ReadFor::Value, Outcome::Refused(refused)) => {
                self.settle();
                Ok(Received::Refused(refused))
            }
            (ReadFor::ObjectList(granted), Outcome::Data(list)) => {
                self.short_names = ShortNames::from_object_list(list)?;
                tracing::debug!(objects = self.short_names.len(), "dlms sn object list read");
                self.granted = Some(granted);
                self.settle();
                Ok(Received::Associated(granted))
            }
            (ReadFor::ObjectList(_), Outcome::Refused(refused)) => {
                Err(SessionError::ObjectListRefused(refused))
            }
        }
    }

    /// A WriteResponse: the write's result, or the method's.
    pub(super) fn on_write_response(
        &mut self,
        response: &WriteResponse<'_>,
    ) -> Result<Received, SessionError> {
        let Phase::Writing { method } = self.phase else {
            return Err(SessionError::State {
                action: "take a WriteResponse",
                phase: self.phase.name(),
            });
        };
        let mut results = response.results.clone();
        let (Some(result), None) = (results.next(), results.next()) else {
            return Err(SessionError::Unexpected {
                expected: "one result in the WriteResponse",
                found: "none or several",
            });
        };
        let result = match result {
            WriteResult::Success => DataAccessResult::SUCCESS,
            WriteResult::DataAccessError(refused) => refused,
            WriteResult::BlockNumber(_) => {
                return Err(SessionError::Unexpected {
                    expected: "success or a data-access-error",
                    found: "a block-number (the acknowledgement of a request block)",
                })
            }
        };
        self.settle();
        Ok(if method {
            Received::Invoked {
                result: action_result(result),
                returned: None,
            }
        } else {
            Received::Written(result)
        })
    }
}

/// The Variable-Access-Specification of a short name, with its access selection if any.
fn variable(variable_name: u16, selection: Option<OwnedSelectiveAccess>) -> OwnedVariableAccess {
    match selection {
        None => OwnedVariableAccess::VariableName(variable_name),
        Some(selection) => OwnedVariableAccess::ParameterizedAccess {
            variable_name,
            selector: selection.selector,
            parameter: selection.parameters,
        },
    }
}

/// A ReadRequest of one variable.
fn read_request(access: OwnedVariableAccess) -> Vec<u8> {
    let variables = [access];
    let mut out = Vec::with_capacity(sn::read_request_len(&variables));
    sn::encode_read_request(&variables, &mut out);
    out
}

/// The one result of a ReadResponse to a request for one variable.
fn single<'a>(response: &ReadResponse<'a>) -> Result<ReadResult<'a>, SessionError> {
    let mut results = response.results.clone();
    match (results.next(), results.next()) {
        (Some(result), None) => Ok(result),
        _ => Err(SessionError::Unexpected {
            expected: "one result in the ReadResponse, for the one variable read",
            found: "none or several",
        }),
    }
}

/// The result the joined raw-data of data-block-results carries: the encoded Data, or else
/// the `SEQUENCE OF` results of a ReadResponse (decoded from `framed`, which gets the tag).
fn joined_outcome<'a>(raw: &'a [u8], framed: &'a mut Vec<u8>) -> Result<Outcome<'a>, SessionError> {
    let as_data = match DataRef::decode_all(raw) {
        Ok(data) => return Ok(Outcome::Data(data)),
        Err(error) => error,
    };
    framed.clear();
    framed.push(sn::READ_RESPONSE);
    framed.extend_from_slice(raw);
    let framed: &'a Vec<u8> = framed;
    let Ok(list) = ReadResponse::decode(framed) else {
        return Err(SessionError::Codec(as_data));
    };
    match single(&list)? {
        ReadResult::Data(data) => Ok(Outcome::Data(data)),
        ReadResult::DataAccessError(refused) => Ok(Outcome::Refused(refused)),
        _ => Err(SessionError::Unexpected {
            expected: "data or a data-access-error in the joined blocks",
            found: "another block inside the blocks",
        }),
    }
}

/// The action-result a data-access-result of a method invoked by a WriteRequest stands for:
/// the same number where both enumerations name the same outcome (0 to 16, 250), else
/// other-reason.
fn action_result(result: DataAccessResult) -> ActionResult {
    match result.0 {
        0..=16 | 250 => ActionResult(result.0),
        _ => ActionResult::OTHER_REASON,
    }
}
