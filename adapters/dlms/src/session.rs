//! The sans-IO DLMS client session (IEC 62056-5-3, DLMS UA 1000-2 Ed. 10 clause 9.3): the
//! association (AARQ/AARE, clause 9.3.2), GET by logical name with block transfer (clause
//! 9.3.6 and 9.4.6.5.2), the release (RLRQ/RLRE, clause 9.3.3), the invoke-id and a reply timer.
//!
//! The session takes the APDUs the meter sent and hands back the APDUs to send; it knows nothing
//! of the transport (the TCP wrapper or HDLC, with the LLC header) nor of the clock: the caller
//! passes `now`. Any error other than a data-access-result leaves the session idle: the caller
//! associates again.
//!
//! ```text
//! Idle --associate--> Associating --AARE accepted--> Associated --get--> Getting
//!   ^                                                  ^  |               | GET-Next while
//!   |                                                  |  |               | blocks come
//!   +------- error, timeout, RLRE <-- Releasing <------+  +---release     +--> Associated
//! ```

use std::fmt;
use std::time::{Duration, Instant};

use fieldbridge_dlms::apdu::association::{
    AcseRequirements, ApplicationContextName, AssociationResult, AuthenticationValue,
    MechanismName, OwnedAarq, SourceDiagnostic, UserInformation,
};
use fieldbridge_dlms::apdu::conformance::Conformance;
use fieldbridge_dlms::apdu::get::{
    AttributeDescriptor, DataAccessResult, GetDataResult, GetResponse, InvokeIdAndPriority,
    OwnedGetRequest, Progress, Reassembler,
};
use fieldbridge_dlms::apdu::initiate::{InitiateRequest, InitiateResponse};
use fieldbridge_dlms::apdu::release::{OwnedReleaseRequest, ReleaseRequestReason};
use fieldbridge_dlms::apdu::Apdu;
use fieldbridge_dlms::axdr::{Data, DataRef};

/// How the client authenticates (DLMS UA 1000-2 Ed. 10 clause 9.2.7.4).
#[derive(Clone, PartialEq, Eq)]
pub enum Authentication {
    /// Lowest level security: no authentication.
    None,
    /// Low level security (LLS): a password in the AARQ.
    Low {
        /// The password, sent as calling-authentication-value.
        password: Vec<u8>,
    },
}

impl fmt::Debug for Authentication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Authentication::None => f.write_str("None"),
            Authentication::Low { .. } => f.write_str("Low { password: <hidden> }"),
        }
    }
}

/// What a session is set up with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionConfig {
    /// The authentication of the association.
    pub authentication: Authentication,
    /// client-max-receive-pdu-size of the InitiateRequest.
    pub max_receive_pdu_size: u16,
    /// The most octets a block transfer may join into one value.
    pub max_value_len: usize,
    /// How long the meter has to answer a request.
    pub timeout: Duration,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            authentication: Authentication::None,
            max_receive_pdu_size: 0xFFFF,
            max_value_len: 1 << 20,
            timeout: Duration::from_secs(10),
        }
    }
}

/// Why a session failed. Every error but a refused read leaves the session idle.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The meter's APDU does not decode.
    #[error("the meter's APDU does not decode: {0}")]
    Codec(#[from] fieldbridge_dlms::Error),
    /// The AARE refused the association.
    #[error("the meter refused the association: {result} ({diagnostic})")]
    Rejected {
        /// The association-result's name.
        result: &'static str,
        /// The result-source-diagnostic's name.
        diagnostic: &'static str,
    },
    /// The meter sent an APDU the session did not wait for.
    #[error("expected {expected}, the meter sent {found}")]
    Unexpected {
        /// What the session waited for.
        expected: &'static str,
        /// The name of the APDU that came.
        found: &'static str,
    },
    /// The answer's invoke-id is not the request's.
    #[error("the answer carries invoke-id {found}, the request {expected}")]
    InvokeId {
        /// The request's invoke-id.
        expected: u8,
        /// The answer's.
        found: u8,
    },
    /// No answer came in time.
    #[error("no answer from the meter within {0:?}")]
    Timeout(Duration),
    /// A request was made in a state that does not allow it.
    #[error("cannot {action} while {phase}")]
    State {
        /// What the caller asked for.
        action: &'static str,
        /// What the session was doing.
        phase: &'static str,
    },
}

/// What an APDU from the meter led to.
#[derive(Debug, Clone, PartialEq)]
pub enum Received {
    /// The association is up, with what the meter granted.
    Associated(InitiateResponse),
    /// The value read by the GET.
    Value(Data),
    /// The meter refused the GET with this data-access-result; the association stays up.
    Refused(DataAccessResult),
    /// A block came: send this GET-Request-Next and wait again.
    Send(Vec<u8>),
    /// The release was confirmed; the session is idle.
    Released,
}

#[derive(Debug)]
enum Phase {
    Idle,
    Associating,
    Associated,
    Getting {
        invoke: u8,
        blocks: Option<Reassembler>,
    },
    Releasing,
}

impl Phase {
    fn name(&self) -> &'static str {
        match self {
            Phase::Idle => "not associated",
            Phase::Associating => "associating",
            Phase::Associated => "associated",
            Phase::Getting { .. } => "waiting for a GET response",
            Phase::Releasing => "releasing",
        }
    }
}

/// A DLMS client session with one meter (logical device), sans-IO.
#[derive(Debug)]
pub struct Session {
    config: SessionConfig,
    phase: Phase,
    next_invoke: u8,
    deadline: Option<Instant>,
    granted: Option<InitiateResponse>,
}

/// The services the client proposes (DLMS UA 1000-2 Ed. 10 clause 9.4.6.1).
fn proposed_conformance() -> Conformance {
    Conformance::GET
        | Conformance::SET
        | Conformance::ACTION
        | Conformance::SELECTIVE_ACCESS
        | Conformance::BLOCK_TRANSFER_WITH_GET_OR_READ
        | Conformance::MULTIPLE_REFERENCES
}

impl Session {
    /// An idle session.
    pub fn new(config: SessionConfig) -> Self {
        Session {
            config,
            phase: Phase::Idle,
            next_invoke: 1,
            deadline: None,
            granted: None,
        }
    }

    /// Whether the association is up and no request is outstanding.
    pub fn is_ready(&self) -> bool {
        matches!(self.phase, Phase::Associated)
    }

    /// Whether the association is up (a request may be outstanding).
    pub fn is_associated(&self) -> bool {
        matches!(self.phase, Phase::Associated | Phase::Getting { .. })
    }

    /// What the meter granted in its InitiateResponse, while associated.
    pub fn granted(&self) -> Option<&InitiateResponse> {
        self.granted.as_ref()
    }

    /// When the outstanding request times out, if one is outstanding.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Forgets the association (after a transport failure): the session is idle.
    pub fn reset(&mut self) {
        self.phase = Phase::Idle;
        self.deadline = None;
        self.granted = None;
    }

    /// The AARQ that opens an association; from any state (a re-association starts here).
    pub fn associate(&mut self, now: Instant) -> Vec<u8> {
        self.reset();
        let mut aarq = OwnedAarq::new(ApplicationContextName::LogicalName);
        if let Authentication::Low { password } = &self.config.authentication {
            aarq.sender_acse_requirements = Some(AcseRequirements::AUTHENTICATION);
            aarq.mechanism_name = Some(MechanismName::Low);
            aarq.calling_authentication_value =
                Some(AuthenticationValue::CharString(password.clone()));
        }
        aarq.user_information = Some(UserInformation::InitiateRequest(InitiateRequest::new(
            proposed_conformance(),
            self.config.max_receive_pdu_size,
        )));
        let mut out = Vec::with_capacity(aarq.encoded_len());
        aarq.encode(&mut out);
        self.phase = Phase::Associating;
        self.deadline = Some(now + self.config.timeout);
        out
    }

    /// The GET-Request-Normal that reads one attribute.
    ///
    /// # Errors
    /// [`SessionError::State`] unless the association is up with nothing outstanding.
    pub fn get(
        &mut self,
        attribute: AttributeDescriptor,
        now: Instant,
    ) -> Result<Vec<u8>, SessionError> {
        if !self.is_ready() {
            return Err(SessionError::State {
                action: "send a GET",
                phase: self.phase.name(),
            });
        }
        let invoke = self.next_invoke;
        self.next_invoke = if invoke >= 15 { 1 } else { invoke + 1 };
        let request = OwnedGetRequest::Normal {
            invoke: InvokeIdAndPriority::new(invoke, true, true),
            attribute,
            selection: None,
        };
        self.phase = Phase::Getting {
            invoke,
            blocks: None,
        };
        self.deadline = Some(now + self.config.timeout);
        Ok(request.to_vec())
    }

    /// The RLRQ that closes the association.
    pub fn release(&mut self, now: Instant) -> Vec<u8> {
        let request = OwnedReleaseRequest {
            reason: Some(ReleaseRequestReason::NORMAL),
            user_information: None,
        };
        let mut out = Vec::with_capacity(request.encoded_len());
        request.encode(&mut out);
        self.phase = Phase::Releasing;
        self.granted = None;
        self.deadline = Some(now + self.config.timeout);
        out
    }

    /// Checks the reply timer.
    ///
    /// # Errors
    /// [`SessionError::Timeout`] when the outstanding request's time is up; the session is then
    /// idle.
    pub fn check_timeout(&mut self, now: Instant) -> Result<(), SessionError> {
        match self.deadline {
            Some(deadline) if now >= deadline => {
                self.reset();
                Err(SessionError::Timeout(self.config.timeout))
            }
            _ => Ok(()),
        }
    }

    /// Takes one APDU from the meter.
    ///
    /// # Errors
    /// Any [`SessionError`]; the session is then idle.
    pub fn receive(&mut self, apdu: &[u8], now: Instant) -> Result<Received, SessionError> {
        let result = self.dispatch(apdu, now);
        if result.is_err() {
            self.reset();
        }
        result
    }

    fn dispatch(&mut self, apdu: &[u8], now: Instant) -> Result<Received, SessionError> {
        let decoded = Apdu::decode(apdu)?;
        match (&mut self.phase, decoded) {
            (Phase::Associating, Apdu::Aare(aare)) => {
                if aare.result != AssociationResult::Accepted {
                    return Err(SessionError::Rejected {
                        result: aare.result.name(),
                        diagnostic: diagnostic_name(aare.result_source_diagnostic),
                    });
                }
                match aare.user_information {
                    Some(UserInformation::InitiateResponse(granted)) => {
                        self.phase = Phase::Associated;
                        self.deadline = None;
                        self.granted = Some(granted);
                        Ok(Received::Associated(granted))
                    }
                    Some(UserInformation::ConfirmedServiceError(_)) => {
                        Err(SessionError::Rejected {
                            result: "accepted",
                            diagnostic: "confirmed-service-error in the user-information",
                        })
                    }
                    _ => Err(SessionError::Unexpected {
                        expected: "an InitiateResponse in the AARE",
                        found: "none",
                    }),
                }
            }
            (Phase::Getting { invoke, blocks }, Apdu::GetResponse(response)) => {
                let expected = *invoke;
                let found = response_invoke(&response);
                if found != expected {
                    return Err(SessionError::InvokeId { expected, found });
                }
                match &response {
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
                        self.phase = Phase::Associated;
                        self.deadline = None;
                        Ok(received)
                    }
                    GetResponse::WithDatablock { .. } => {
                        let reassembler = blocks
                            .get_or_insert_with(|| Reassembler::new(self.config.max_value_len));
                        match reassembler.push(&response)? {
                            Progress::Next(block_number) => {
                                let next = OwnedGetRequest::Next {
                                    invoke: InvokeIdAndPriority::new(expected, true, true),
                                    block_number,
                                };
                                self.deadline = Some(now + self.config.timeout);
                                Ok(Received::Send(next.to_vec()))
                            }
                            Progress::Complete => {
                                let value = DataRef::decode_all(reassembler.data())?.to_owned();
                                self.phase = Phase::Associated;
                                self.deadline = None;
                                Ok(Received::Value(value))
                            }
                            Progress::Failed(refused) => {
                                self.phase = Phase::Associated;
                                self.deadline = None;
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
            (Phase::Releasing, Apdu::ReleaseResponse(_)) => {
                self.reset();
                Ok(Received::Released)
            }
            (phase, other) => Err(SessionError::Unexpected {
                expected: expected_in(phase),
                found: other.name(),
            }),
        }
    }
}

fn response_invoke(response: &GetResponse<'_>) -> u8 {
    match response {
        GetResponse::Normal { invoke, .. }
        | GetResponse::WithDatablock { invoke, .. }
        | GetResponse::WithList { invoke, .. } => invoke.invoke_id(),
    }
}

fn diagnostic_name(diagnostic: SourceDiagnostic) -> &'static str {
    diagnostic.name().unwrap_or("unknown diagnostic")
}

fn expected_in(phase: &Phase) -> &'static str {
    match phase {
        Phase::Idle | Phase::Associated => "nothing (no request outstanding)",
        Phase::Associating => "an AARE",
        Phase::Getting { .. } => "a GET-Response",
        Phase::Releasing => "an RLRE",
    }
}

#[cfg(test)]
mod tests;
