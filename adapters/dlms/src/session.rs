//! The sans-IO DLMS client session (IEC 62056-5-3, DLMS UA 1000-2 Ed. 10 clause 9.3): the
//! association (AARQ/AARE, clause 9.3.2) with no, low (password) or high-level GMAC
//! authentication (clause 9.2.7.4), security suite 0 ciphering (clause 9.2.7.2), GET by logical
//! name with selective access and block transfer (clause 9.3.6, 9.4.6.5.2), SET and ACTION
//! (clause 9.3.7, 9.3.8, with block transfer of the request), the release (RLRQ/RLRE, clause
//! 9.3.3), the invoke-id and a reply timer.
//!
//! The session takes the APDUs the meter sent and hands back the APDUs to send; it knows nothing
//! of the transport (the TCP wrapper or HDLC, with the LLC header) nor of the clock: the caller
//! passes `now`. Any error other than a data-access-result or action-result leaves the session
//! idle: the caller associates again.
//!
//! ```text
//! Idle --associate--> Associating --AARE--> Associated --get/set/action--> Getting, Setting,
//!   ^                      |                  ^   ^  |                     Acting (blocks: the
//!   |            HLS: Send(pass 3)            |   |  |                     next request is a
//!   |                      v                  |   |  |                     Received::Send)
//!   |                Authenticating --pass 4--+   |  |
//!   +------ error, timeout, RLRE <-- Releasing <--+  +---release
//! ```
//!
//! # Security suite 0
//! With [`SessionConfig::security`] and a policy, the AARQ's InitiateRequest goes ciphered
//! (glo-initiate-request), every request goes ciphered with the client's system title and the
//! next invocation counter, and every answer must come ciphered with the policy, the meter's
//! system title from the AARE, a GCM tag that verifies and a counter above the last one. The
//! invocation counter must never repeat with one key, across restarts too: the caller gives
//! the first one ([`Session::with_invocation_counter`]) and reads the next one
//! ([`Session::invocation_counter`]) after every APDU the session hands out, to store it.
//!
//! # Short names
//! With [`SessionConfig::referencing`] set to [`Referencing::ShortNames`] (IEC 62056-5-3
//! clause 6.3; for meters that speak only SN) the AARQ proposes the SN application context and
//! conformance, the session reads the Association SN object list (short name 0xFA08) before
//! it reports [`Received::Associated`], and [`Session::get`], [`Session::set`] and
//! [`Session::action`] become the Read and Write services on short names (module
//! `read_write`), with the same [`Received`] results: a source needs no SN-specific code, but
//! for [`SessionError::object_undefined`] (an object the meter did not list). HLS-GMAC is
//! refused with short names (module `security` says why).

mod association;
mod command;
mod config;
mod error;
mod get;
mod read_write;
mod security;
mod short_names;

use std::collections::VecDeque;
use std::time::Instant;

use fieldbridge_dlms::apdu::get::{
    ActionResult, DataAccessResult, InvokeIdAndPriority, OwnedGetDataResult, Reassembler,
};
use fieldbridge_dlms::apdu::initiate::InitiateResponse;
use fieldbridge_dlms::apdu::release::OwnedReleaseRequest;
use fieldbridge_dlms::apdu::release::ReleaseRequestReason;
use fieldbridge_dlms::apdu::Apdu;
use fieldbridge_dlms::axdr::Data;
use fieldbridge_dlms::security::SystemTitle;

pub use config::{Authentication, Challenge, InvokeIds, Referencing, Security, SessionConfig};
pub use error::SessionError;
pub use short_names::{first_method, ShortNames, SnObject, ASSOCIATION_SN, OBJECT_LIST};

use read_write::{Joined, ReadFor};
use security::Protection;

/// What an APDU from the meter led to.
#[derive(Debug, Clone, PartialEq)]
pub enum Received {
    /// The association is up, with what the meter granted (after HLS pass 4 when HLS-GMAC).
    Associated(InitiateResponse),
    /// The value read by the GET.
    Value(Data),
    /// The meter refused the GET with this data-access-result; the association stays up.
    Refused(DataAccessResult),
    /// Send this APDU (the next block of a transfer, or HLS pass 3) and wait again.
    Send(Vec<u8>),
    /// The release was confirmed; the session is idle.
    Released,
    /// The meter's answer to a SET: `success` or why not (clause 9.3.7); the association
    /// stays up either way.
    Written(DataAccessResult),
    /// The meter's answer to an ACTION (clause 9.3.8): its action-result and the return
    /// parameters, if any; the association stays up either way.
    Invoked {
        /// The action-result.
        result: ActionResult,
        /// The return-parameters: data, or a data-access-result.
        returned: Option<OwnedGetDataResult>,
    },
}

/// Requests of a SET or ACTION still to be sent in blocks, and the number of the last block
/// sent (0 for a request sent whole).
#[derive(Debug, Default)]
struct Outgoing {
    pending: VecDeque<Vec<u8>>,
    sent: u32,
}

#[derive(Debug)]
enum Phase {
    Idle,
    /// The AARQ is out; under HLS, the challenge CtoS is kept for pass 4.
    Associating {
        challenge: Option<Vec<u8>>,
    },
    /// HLS pass 3 is out; pass 4 must return f(CtoS).
    Authenticating {
        invoke: u8,
        challenge: Vec<u8>,
        granted: InitiateResponse,
    },
    Associated,
    Getting {
        invoke: u8,
        blocks: Option<Reassembler>,
    },
    Setting {
        invoke: u8,
        blocks: Outgoing,
    },
    Acting {
        invoke: u8,
        blocks: Outgoing,
    },
    /// Short names: a ReadRequest is out, and the data-block-results joined so far.
    Reading {
        read: ReadFor,
        blocks: Option<Joined>,
    },
    /// Short names: a WriteRequest is out, for an attribute or a method.
    Writing {
        method: bool,
    },
    Releasing,
}

impl Phase {
    fn name(&self) -> &'static str {
        match self {
            Phase::Idle => "not associated",
            Phase::Associating { .. } => "associating",
            Phase::Authenticating { .. } => "authenticating (HLS pass 3)",
            Phase::Associated => "associated",
            Phase::Getting { .. } => "waiting for a GET response",
            Phase::Setting { .. } => "waiting for a SET response",
            Phase::Acting { .. } => "waiting for an ACTION response",
            Phase::Reading {
                read: ReadFor::ObjectList(_),
                ..
            } => "reading the object list",
            Phase::Reading { .. } => "waiting for a ReadResponse",
            Phase::Writing { .. } => "waiting for a WriteResponse",
            Phase::Releasing => "releasing",
        }
    }

    fn expected(&self) -> &'static str {
        match self {
            Phase::Idle | Phase::Associated => "nothing (no request outstanding)",
            Phase::Associating { .. } => "an AARE",
            Phase::Authenticating { .. } => "the ACTION response of HLS pass 4",
            Phase::Getting { .. } => "a GET-Response",
            Phase::Setting { .. } => "a SET-Response",
            Phase::Acting { .. } => "an ACTION-Response",
            Phase::Reading { .. } => "a ReadResponse",
            Phase::Writing { .. } => "a WriteResponse",
            Phase::Releasing => "an RLRE",
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
    protection: Protection,
    /// Why [`Session::associate`] could not build its AARQ, reported by the next
    /// [`Session::check_timeout`] or [`Session::receive`].
    broken: Option<SessionError>,
    /// Short names: the meter's objects, from the object list of this association.
    short_names: ShortNames,
}

impl Session {
    /// An idle session; the invocation counter starts at 0 (see
    /// [`Session::with_invocation_counter`]).
    pub fn new(config: SessionConfig) -> Self {
        Session {
            config,
            phase: Phase::Idle,
            next_invoke: 1,
            deadline: None,
            granted: None,
            protection: Protection::default(),
            broken: None,
            short_names: ShortNames::default(),
        }
    }

    /// An idle session whose first ciphered APDU (or HLS f(StoC)) uses invocation counter
    /// `next`: the value [`Session::invocation_counter`] gave last time, restored from
    /// storage (DLMS UA 1000-2 Ed. 10 clause 9.2.7.2.4.3: never the same counter twice with
    /// one key).
    pub fn with_invocation_counter(config: SessionConfig, next: u32) -> Self {
        let mut session = Session::new(config);
        session.protection.next_counter = next;
        session
    }

    /// The invocation counter the next ciphered APDU or HLS reply will use: store it after
    /// every APDU the session hands out, and give it back to
    /// [`Session::with_invocation_counter`] after a restart.
    pub fn invocation_counter(&self) -> u32 {
        self.protection.next_counter
    }

    /// Sets the invocation counter of the next ciphered APDU (for a session kept across
    /// restarts of its caller's storage).
    pub fn set_invocation_counter(&mut self, next: u32) {
        self.protection.next_counter = next;
    }

    /// The meter's system title from the AARE, while associating or associated.
    pub fn server_system_title(&self) -> Option<SystemTitle> {
        self.protection.server_title
    }

    /// The meter's last invocation counter accepted in this association.
    pub fn server_invocation_counter(&self) -> Option<u32> {
        self.protection.guard.last()
    }

    /// The session's configuration.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// Whether the association is up and no request is outstanding.
    pub fn is_ready(&self) -> bool {
        matches!(self.phase, Phase::Associated)
    }

    /// Whether the association is up (a request may be outstanding). Under HLS-GMAC, only
    /// after pass 4; with short names, only once the object list is in.
    pub fn is_associated(&self) -> bool {
        matches!(
            self.phase,
            Phase::Associated
                | Phase::Getting { .. }
                | Phase::Setting { .. }
                | Phase::Acting { .. }
                | Phase::Reading {
                    read: ReadFor::Value,
                    ..
                }
                | Phase::Writing { .. }
        )
    }

    /// Short names: the meter's objects and their base names, from the object list read in
    /// this association (empty before, and by logical names).
    pub fn short_names(&self) -> &ShortNames {
        &self.short_names
    }

    /// What the meter granted in its InitiateResponse, while associated.
    pub fn granted(&self) -> Option<&InitiateResponse> {
        self.granted.as_ref()
    }

    /// When the outstanding request times out, if one is outstanding.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Forgets the association (after a transport failure): the session is idle. The
    /// invocation counter is kept.
    pub fn reset(&mut self) {
        self.phase = Phase::Idle;
        self.deadline = None;
        self.granted = None;
        self.protection.end_association();
        self.short_names = ShortNames::default();
    }

    /// The RLRQ that closes the association (in clear, without user-information, as Gurux
    /// sends it; clause 9.3.3).
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

    /// Whether objects are named by short names in this session.
    fn by_short_names(&self) -> bool {
        self.config.referencing == Referencing::ShortNames
    }

    /// Checks the reply timer.
    ///
    /// # Errors
    /// [`SessionError::Timeout`] when the outstanding request's time is up; the session is then
    /// idle. The error of an [`Session::associate`] that could not build its AARQ.
    pub fn check_timeout(&mut self, now: Instant) -> Result<(), SessionError> {
        if let Some(error) = self.broken.take() {
            self.reset();
            return Err(error);
        }
        match self.deadline {
            Some(deadline) if now >= deadline => {
                self.reset();
                Err(SessionError::Timeout(self.config.timeout))
            }
            _ => Ok(()),
        }
    }

    /// Takes one APDU from the meter (deciphering it under a security policy).
    ///
    /// # Errors
    /// Any [`SessionError`]; the session is then idle.
    pub fn receive(&mut self, apdu: &[u8], now: Instant) -> Result<Received, SessionError> {
        if let Some(error) = self.broken.take() {
            self.reset();
            return Err(error);
        }
        let mut plain = std::mem::take(&mut self.protection.scratch);
        let result = self.open(apdu, &mut plain, now);
        plain.clear();
        self.protection.scratch = plain;
        if result.is_err() {
            self.reset();
        }
        result
    }

    /// Deciphers a ciphered APDU, refuses a plain one the policy wants ciphered, and
    /// dispatches the plain APDU.
    fn open(
        &mut self,
        apdu: &[u8],
        plain: &mut Vec<u8>,
        now: Instant,
    ) -> Result<Received, SessionError> {
        let decoded = match Apdu::decode(apdu)? {
            Apdu::Ciphered(ciphered) => {
                let text = self
                    .protection
                    .open(self.config.security.as_ref(), &ciphered, plain)?;
                match Apdu::decode(text)? {
                    Apdu::Ciphered(inner) => {
                        return Err(SessionError::Unexpected {
                            expected: "a plain APDU inside a ciphered one",
                            found: inner.tag().name().unwrap_or("ciphered APDU"),
                        })
                    }
                    inner => inner,
                }
            }
            clear => {
                let ciphering = self
                    .config
                    .security
                    .as_ref()
                    .is_some_and(|s| s.policy.is_some());
                if ciphering && is_data_service(&clear) {
                    return Err(SessionError::Unprotected {
                        found: clear.name(),
                    });
                }
                clear
            }
        };
        self.dispatch(decoded, now)
    }

    fn dispatch(&mut self, decoded: Apdu<'_>, now: Instant) -> Result<Received, SessionError> {
        match (&self.phase, decoded) {
            (Phase::Associating { .. }, Apdu::Aare(aare)) => self.on_aare(&aare, now),
            (Phase::Authenticating { .. }, Apdu::ActionResponse(response)) => {
                self.on_pass_four(&response, now)
            }
            (Phase::Getting { .. }, Apdu::GetResponse(response)) => {
                self.on_get_response(&response, now)
            }
            (Phase::Setting { .. }, Apdu::SetResponse(response)) => {
                self.on_set_response(&response, now)
            }
            (Phase::Acting { .. }, Apdu::ActionResponse(response)) => {
                self.on_action_response(&response, now)
            }
            (Phase::Reading { .. }, Apdu::ReadResponse(response)) => {
                self.on_read_response(&response, now)
            }
            (Phase::Writing { .. }, Apdu::WriteResponse(response)) => {
                self.on_write_response(&response)
            }
            (Phase::Releasing, Apdu::ReleaseResponse(_)) => {
                self.reset();
                Ok(Received::Released)
            }
            (phase, other) => Err(SessionError::Unexpected {
                expected: phase.expected(),
                found: other.name(),
            }),
        }
    }

    /// The invoke-id of the next confirmed request.
    fn take_invoke(&mut self) -> u8 {
        match self.config.invoke_ids {
            InvokeIds::Fixed(id) => id & 0x0F,
            InvokeIds::Cycle => {
                let invoke = self.next_invoke;
                self.next_invoke = if invoke >= 15 { 1 } else { invoke + 1 };
                invoke
            }
        }
    }

    /// Refuses a request unless the association is up with nothing outstanding.
    fn ready_for(&self, action: &'static str) -> Result<(), SessionError> {
        if self.is_ready() {
            Ok(())
        } else {
            Err(SessionError::State {
                action,
                phase: self.phase.name(),
            })
        }
    }

    /// Ciphers a plain request under the policy (in the general form once associated, when
    /// configured and granted).
    fn seal(&mut self, plain: Vec<u8>) -> Result<Vec<u8>, SessionError> {
        self.protection
            .seal(self.config.security.as_ref(), plain, false)
    }

    /// The session is back to associated, nothing outstanding.
    fn settle(&mut self) {
        self.phase = Phase::Associated;
        self.deadline = None;
    }

    /// The reply timer of a request sent at `now`.
    fn arm(&mut self, now: Instant) {
        self.deadline = Some(now + self.config.timeout);
    }
}

/// The confirmed-service answers that must come ciphered under a security policy.
fn is_data_service(apdu: &Apdu<'_>) -> bool {
    matches!(
        apdu,
        Apdu::GetResponse(_)
            | Apdu::SetResponse(_)
            | Apdu::ActionResponse(_)
            | Apdu::ReadResponse(_)
            | Apdu::WriteResponse(_)
    )
}

/// The high-priority, confirmed Invoke-Id-And-Priority every request of the session carries.
fn invoke_octet(invoke: u8) -> InvokeIdAndPriority {
    InvokeIdAndPriority::new(invoke, true, true)
}

/// Checks an answer's invoke-id against the request's.
fn check_invoke(expected: u8, found: InvokeIdAndPriority) -> Result<(), SessionError> {
    let found = found.invoke_id();
    if found == expected {
        Ok(())
    } else {
        Err(SessionError::InvokeId { expected, found })
    }
}

#[cfg(test)]
mod tests;
