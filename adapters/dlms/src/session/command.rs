//! SET and ACTION by logical name (DLMS UA 1000-2 Ed. 10 clause 9.3.7 and 9.3.8): the normal
//! requests, and the request sent in blocks when it is longer than the meter takes and the
//! meter granted block transfer with SET or ACTION (clause 9.4.6.5.3 and 9.4.6.5.4): each block
//! waits for the meter's acknowledgement of the one before. The results come back as
//! [`Received::Written`] and [`Received::Invoked`], so a command can name its outcome. With
//! short names the same calls make WriteRequests (module `read_write`).

use std::time::Instant;

use fieldbridge_dlms::apdu::action::{ActionResponse, OwnedActionRequest};
use fieldbridge_dlms::apdu::conformance::Conformance;
use fieldbridge_dlms::apdu::get::{
    ActionResult, AttributeDescriptor, DataAccessResult, InvokeIdAndPriority, MethodDescriptor,
};
use fieldbridge_dlms::apdu::selective::OwnedSelectiveAccess;
use fieldbridge_dlms::apdu::set::{OwnedSetRequest, SetResponse};
use fieldbridge_dlms::axdr::Data;

use super::error::SessionError;
use super::{check_invoke, invoke_octet, security, Outgoing, Phase, Received, Session};

/// The octets of a with-first-datablock or with-first-pblock request around its raw data,
/// without the attribute's access selection: tag, choice, invoke-id, the 9-octet descriptor,
/// the optional-selection flag (SET), last-block, block-number (4) and the raw data's length
/// (up to 3).
const BLOCK_HEADER: usize = 1 + 1 + 1 + 9 + 1 + 1 + 4 + 3;

impl Session {
    /// The SET-Request that writes `value` to one attribute: normal, or in blocks when it is
    /// longer than the meter takes. With short names, the WriteRequest of the attribute's short
    /// name (never in blocks).
    ///
    /// # Errors
    /// [`SessionError::State`] unless the association is up with nothing outstanding,
    /// [`SessionError::TooLong`] when blocks are needed but not granted (always, for a
    /// WriteRequest too long for the meter), [`SessionError::CounterExhausted`] when ciphering;
    /// with short names, [`SessionError::UnknownObject`] and [`SessionError::NoShortName`].
    pub fn set(
        &mut self,
        attribute: AttributeDescriptor,
        value: Data,
        now: Instant,
    ) -> Result<Vec<u8>, SessionError> {
        self.set_with_selection(attribute, None, value, now)
    }

    /// [`Session::set`] with an access selection on the attribute.
    ///
    /// # Errors
    /// As [`Session::set`].
    pub fn set_with_selection(
        &mut self,
        attribute: AttributeDescriptor,
        selection: Option<OwnedSelectiveAccess>,
        value: Data,
        now: Instant,
    ) -> Result<Vec<u8>, SessionError> {
        if self.by_short_names() {
            return self.write(attribute, selection, value, now);
        }
        self.ready_for("send a SET")?;
        let selection_len = selection
            .as_ref()
            .map_or(0, OwnedSelectiveAccess::encoded_len);
        let invoke = self.take_invoke();
        let request = OwnedSetRequest::Normal {
            invoke: invoke_octet(invoke),
            attribute,
            selection,
            value,
        };
        let whole = request.to_vec();
        let mut blocks = Outgoing::default();
        let first = match self.block_len(
            whole.len(),
            BLOCK_HEADER + selection_len,
            Conformance::BLOCK_TRANSFER_WITH_SET_OR_WRITE,
        )? {
            None => whole,
            Some((block_len, max)) => {
                let OwnedSetRequest::Normal {
                    attribute,
                    selection,
                    value,
                    ..
                } = request
                else {
                    return Err(too_long(whole.len(), max));
                };
                let parts = OwnedSetRequest::in_blocks(
                    invoke_octet(invoke),
                    attribute,
                    selection,
                    &value,
                    block_len,
                );
                blocks.pending = parts.iter().map(OwnedSetRequest::to_vec).collect();
                blocks.sent = 1;
                blocks
                    .pending
                    .pop_front()
                    .ok_or_else(|| too_long(whole.len(), max))?
            }
        };
        let out = self.seal(first)?;
        self.phase = Phase::Setting { invoke, blocks };
        self.arm(now);
        Ok(out)
    }

    /// The ACTION-Request that invokes one method, with its parameters: normal, or in blocks
    /// when it is longer than the meter takes.
    ///
    /// With short names, the WriteRequest of the method's short name (base name + the class's
    /// offset of method 1 + (method − 1) × 8, [`super::first_method`]) with the parameters, or
    /// null-data without: the way Gurux's and other SN clients invoke methods that return
    /// nothing. The meter's WriteResponse comes back as [`Received::Invoked`] without return
    /// parameters (its data-access-result as the action-result of the same number). Methods
    /// that return data would need a ReadRequest with parameterized-access, which the SN
    /// clients encode differently (the selector): the session does not guess at it.
    ///
    /// # Errors
    /// As [`Session::set`]; with short names, [`SessionError::NoShortName`] for a class whose
    /// method offsets the session does not know or a method id the class does not have.
    pub fn action(
        &mut self,
        method: MethodDescriptor,
        parameters: Option<Data>,
        now: Instant,
    ) -> Result<Vec<u8>, SessionError> {
        if self.by_short_names() {
            return self.invoke(method, parameters, now);
        }
        self.ready_for("send an ACTION")?;
        let invoke = self.take_invoke();
        let request = OwnedActionRequest::Normal {
            invoke: invoke_octet(invoke),
            method,
            parameters,
        };
        let whole = request.to_vec();
        let mut blocks = Outgoing::default();
        let first = match self.block_len(
            whole.len(),
            BLOCK_HEADER,
            Conformance::BLOCK_TRANSFER_WITH_ACTION,
        )? {
            None => whole,
            Some((block_len, max)) => {
                let OwnedActionRequest::Normal {
                    parameters: Some(parameters),
                    ..
                } = request
                else {
                    return Err(too_long(whole.len(), max));
                };
                let parts = OwnedActionRequest::in_blocks(
                    invoke_octet(invoke),
                    method,
                    &parameters,
                    block_len,
                );
                blocks.pending = parts.iter().map(OwnedActionRequest::to_vec).collect();
                blocks.sent = 1;
                blocks
                    .pending
                    .pop_front()
                    .ok_or_else(|| too_long(whole.len(), max))?
            }
        };
        let out = self.seal(first)?;
        self.phase = Phase::Acting { invoke, blocks };
        self.arm(now);
        Ok(out)
    }

    /// `None` when a request of `len` plain octets fits the meter's
    /// server-max-receive-pdu-size once ciphered; else the raw-data octets per block, and that
    /// size.
    fn block_len(
        &self,
        len: usize,
        header: usize,
        needed: Conformance,
    ) -> Result<Option<(usize, usize)>, SessionError> {
        let Some(granted) = self.granted.as_ref() else {
            return Ok(None);
        };
        let max = usize::from(granted.server_max_receive_pdu_size);
        let overhead = security::overhead(self.config.security.as_ref());
        if max == 0 || len + overhead <= max {
            return Ok(None);
        }
        let block_len = max.saturating_sub(overhead + header);
        if !granted.negotiated_conformance.contains(needed) || block_len == 0 {
            return Err(SessionError::TooLong {
                len: len + overhead,
                max,
            });
        }
        Ok(Some((block_len, max)))
    }

    /// A SET-Response: the result, or the acknowledgement of a block.
    pub(super) fn on_set_response(
        &mut self,
        response: &SetResponse<'_>,
        now: Instant,
    ) -> Result<Received, SessionError> {
        let (found, step) = match response {
            SetResponse::Normal { invoke, result } => (*invoke, Step::Done(*result)),
            SetResponse::LastDatablock { invoke, result, .. } => (*invoke, Step::Done(*result)),
            SetResponse::Datablock {
                invoke,
                block_number,
            } => (*invoke, Step::Next(*block_number)),
            SetResponse::LastDatablockWithList { .. } | SetResponse::WithList { .. } => {
                return Err(SessionError::Unexpected {
                    expected: "set-response-normal, -datablock or -last-datablock",
                    found: "a set-response with a list",
                })
            }
        };
        match self.advance(found, step, now)? {
            Ok(out) => Ok(Received::Send(out)),
            Err(result) => Ok(Received::Written(result)),
        }
    }

    /// An ACTION-Response: the result, or the acknowledgement of a block.
    pub(super) fn on_action_response(
        &mut self,
        response: &ActionResponse<'_>,
        now: Instant,
    ) -> Result<Received, SessionError> {
        match response {
            ActionResponse::Normal { invoke, response } => {
                self.check_command_invoke(*invoke)?;
                if let Phase::Acting { blocks, .. } = &self.phase {
                    if response.result == ActionResult::SUCCESS && !blocks.pending.is_empty() {
                        return Err(SessionError::Unexpected {
                            expected: "action-response-next-pblock",
                            found: "action-response-normal before the last block",
                        });
                    }
                }
                self.settle();
                Ok(Received::Invoked {
                    result: response.result,
                    returned: response.return_parameters.map(|p| p.to_owned()),
                })
            }
            ActionResponse::NextPblock {
                invoke,
                block_number,
            } => match self.advance(*invoke, Step::Next(*block_number), now)? {
                Ok(out) => Ok(Received::Send(out)),
                Err(_) => Err(SessionError::Unexpected {
                    expected: "action-response-normal",
                    found: "action-response-next-pblock",
                }),
            },
            ActionResponse::WithPblock { .. } => Err(SessionError::Unexpected {
                expected: "action-response-normal (return parameters in blocks are not supported)",
                found: "action-response-with-pblock",
            }),
            ActionResponse::WithList { .. } => Err(SessionError::Unexpected {
                expected: "action-response-normal",
                found: "action-response-with-list",
            }),
        }
    }

    fn check_command_invoke(&self, found: InvokeIdAndPriority) -> Result<(), SessionError> {
        match &self.phase {
            Phase::Setting { invoke, .. } | Phase::Acting { invoke, .. } => {
                check_invoke(*invoke, found)
            }
            other => Err(SessionError::State {
                action: "take a command's answer",
                phase: other.name(),
            }),
        }
    }

    /// Moves a SET or ACTION on: `Ok(bytes)` is the next block to send, `Err(result)` the
    /// SET's final result.
    fn advance(
        &mut self,
        found: InvokeIdAndPriority,
        step: Step,
        now: Instant,
    ) -> Result<Result<Vec<u8>, DataAccessResult>, SessionError> {
        self.check_command_invoke(found)?;
        let (Phase::Setting { blocks, .. } | Phase::Acting { blocks, .. }) = &mut self.phase else {
            return Err(SessionError::State {
                action: "take a command's answer",
                phase: self.phase.name(),
            });
        };
        match step {
            Step::Done(result) => {
                if result == DataAccessResult::SUCCESS && !blocks.pending.is_empty() {
                    return Err(SessionError::Unexpected {
                        expected: "set-response-datablock",
                        found: "the final set-response before the last block",
                    });
                }
                self.settle();
                Ok(Err(result))
            }
            Step::Next(number) => {
                if number != blocks.sent {
                    return Err(SessionError::Unexpected {
                        expected: "the acknowledgement of the block just sent",
                        found: "another block number",
                    });
                }
                let Some(next) = blocks.pending.pop_front() else {
                    return Err(SessionError::Unexpected {
                        expected: "the final result after the last block",
                        found: "a request for one more block",
                    });
                };
                blocks.sent = blocks.sent.saturating_add(1);
                let out = self.seal(next)?;
                self.arm(now);
                Ok(Ok(out))
            }
        }
    }
}

/// What a command's answer says.
enum Step {
    /// The final result.
    Done(DataAccessResult),
    /// The meter took block n: send the next.
    Next(u32),
}

/// A request that cannot be cut into blocks for a meter taking `max` octets.
fn too_long(len: usize, max: usize) -> SessionError {
    SessionError::TooLong { len, max }
}
