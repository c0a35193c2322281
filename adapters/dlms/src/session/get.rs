//! GET by logical name (DLMS UA 1000-2 Ed. 10 clause 9.3.6): get-request-normal with an
//! optional selective access (a profile generic's range or entry descriptor, IEC 62056-6-2
//! clause 4.3.6), and the long GET in blocks (clause 9.4.6.5.2): each GET-Response-With-Datablock
//! is acknowledged with a GET-Request-Next carrying its block number until the last one. With
//! short names the same calls make ReadRequests (module `read_write`).

use std::time::Instant;

use fieldbridge_dlms::apdu::get::{
    AttributeDescriptor, GetDataResult, GetResponse, OwnedGetRequest, Progress, Reassembler,
};
use fieldbridge_dlms::apdu::selective::OwnedSelectiveAccess;
use fieldbridge_dlms::axdr::DataRef;

use super::error::SessionError;
use super::{check_invoke, invoke_octet, Phase, Received, Session};

impl Session {
    /// The GET-Request-Normal that reads one attribute (ciphered under a security policy); with
    /// short names, the ReadRequest of the attribute's short name, base name +
    /// (attribute − 1) × 8.
    ///
    /// # Errors
    /// [`SessionError::State`] unless the association is up with nothing outstanding;
    /// [`SessionError::CounterExhausted`] when ciphering; with short names,
    /// [`SessionError::UnknownObject`] for an object the meter did not list and
    /// [`SessionError::NoShortName`] for an attribute id below 1 (nothing is sent then).
    pub fn get(
        &mut self,
        attribute: AttributeDescriptor,
        now: Instant,
    ) -> Result<Vec<u8>, SessionError> {
        self.get_with_selection(attribute, None, now)
    }

    /// The GET-Request-Normal that reads one attribute with an access selection: a profile
    /// generic's buffer (class 7, attribute 2) by range
    /// ([`OwnedSelectiveAccess::range`], selector 1) or by entry (selector 2). The answer may
    /// come in blocks, as for [`Session::get`]. With short names, a ReadRequest with
    /// parameterized-access (the short name, the selector and its parameters).
    ///
    /// # Errors
    /// As [`Session::get`].
    pub fn get_with_selection(
        &mut self,
        attribute: AttributeDescriptor,
        selection: Option<OwnedSelectiveAccess>,
        now: Instant,
    ) -> Result<Vec<u8>, SessionError> {
        if self.by_short_names() {
            return self.read(attribute, selection, now);
        }
        self.ready_for("send a GET")?;
        let invoke = self.take_invoke();
        let request = OwnedGetRequest::Normal {
            invoke: invoke_octet(invoke),
            attribute,
            selection,
        };
        let out = self.seal(request.to_vec())?;
        self.phase = Phase::Getting {
            invoke,
            blocks: None,
        };
        self.arm(now);
        Ok(out)
    }

    /// A GET-Response: the value, a refusal, or a block to acknowledge.
    pub(super) fn on_get_response(
        &mut self,
        response: &GetResponse<'_>,
        now: Instant,
    ) -> Result<Received, SessionError> {
        let max_value_len = self.config.max_value_len;
        let Phase::Getting { invoke, blocks } = &mut self.phase else {
            return Err(SessionError::State {
                action: "take a GET-Response",
                phase: self.phase.name(),
            });
        };
        let expected = *invoke;
        check_invoke(expected, response.invoke())?;
        match response {
            GetResponse::Normal { result, .. } => {
                if blocks.is_some() {
                    return Err(SessionError::Unexpected {
                        expected: "the next block",
                        found: "get-response-normal",
                    });
                }
                let received = match result {
                    GetDataResult::Data(data) => Received::Value(data.to_owned()),
                    GetDataResult::DataAccessResult(refused) => Received::Refused(*refused),
                };
                self.settle();
                Ok(received)
            }
            GetResponse::WithDatablock { .. } => {
                let reassembler = blocks.get_or_insert_with(|| Reassembler::new(max_value_len));
                match reassembler.push(response)? {
                    Progress::Next(block_number) => {
                        let next = OwnedGetRequest::Next {
                            invoke: invoke_octet(expected),
                            block_number,
                        };
                        let out = self.seal(next.to_vec())?;
                        self.arm(now);
                        Ok(Received::Send(out))
                    }
                    Progress::Complete => {
                        let value = DataRef::decode_all(reassembler.data())?.to_owned();
                        self.settle();
                        Ok(Received::Value(value))
                    }
                    Progress::Failed(refused) => {
                        self.settle();
                        Ok(Received::Refused(refused))
                    }
                }
            }
            GetResponse::WithList { .. } => Err(SessionError::Unexpected {
                expected: "get-response-normal or with-datablock",
                found: "get-response-with-list",
            }),
        }
    }
}
