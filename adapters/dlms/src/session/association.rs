//! The association (DLMS UA 1000-2 Ed. 10 clause 9.3.2 and 9.2.7.4): the AARQ with no, low or
//! HLS-GMAC authentication and, under a security policy, a ciphered InitiateRequest; the AARE;
//! HLS pass 3 (ACTION reply_to_HLS_authentication of the current Association LN object,
//! class 15, 0-0:40.0.0*255, method 1, with f(StoC)) and pass 4 (its action-result with the
//! meter's f(CtoS), which must verify). With short names, the SN application context and, once
//! the AARE is in, the read of the object list before the association counts as up.

use std::time::Instant;

use fieldbridge_dlms::apdu::action::{ActionResponse, OwnedActionRequest};
use fieldbridge_dlms::apdu::association::{
    AareView, AcseRequirements, ApplicationContextName, AssociationResult, AuthenticationValue,
    MechanismName, OwnedAarq, SourceDiagnostic, UserInformation,
};
use fieldbridge_dlms::apdu::get::{ActionResult, GetDataResult, MethodDescriptor};
use fieldbridge_dlms::apdu::initiate::{InitiateRequest, InitiateResponse};
use fieldbridge_dlms::apdu::Apdu;
use fieldbridge_dlms::axdr::{Data, Value};
use fieldbridge_dlms::security::{verify_hls_gmac, CipheredApdu};

use super::config::{Authentication, Challenge};
use super::error::SessionError;
use super::security::{self, hls_keys};
use super::{check_invoke, invoke_octet, Phase, Received, Session};

/// The current association's Association LN object and its reply_to_HLS_authentication
/// method (IEC 62056-6-2 class 15, method 1).
const ASSOCIATION_LN: MethodDescriptor = MethodDescriptor {
    class_id: 15,
    instance_id: [0, 0, 40, 0, 0, 255],
    method_id: 1,
};

impl Session {
    /// The AARQ that opens an association; from any state (a re-association starts here).
    ///
    /// With HLS-GMAC or ciphering, prefer [`Session::try_associate`]: when the AARQ cannot be
    /// built (a configuration without the keys, no random challenge, the invocation counter
    /// used up), this returns an empty APDU and the reason comes from the next
    /// [`Session::check_timeout`] or [`Session::receive`], whose deadline is `now`.
    pub fn associate(&mut self, now: Instant) -> Vec<u8> {
        match self.try_associate(now) {
            Ok(aarq) => aarq,
            Err(error) => {
                tracing::error!(error = %error, "dlms association cannot start");
                self.broken = Some(error);
                self.deadline = Some(now);
                Vec::new()
            }
        }
    }

    /// The AARQ that opens an association; from any state (a re-association starts here).
    ///
    /// Under HLS-GMAC it carries the client's system title (calling-AP-title) and a fresh
    /// challenge CtoS (calling-authentication-value); under a security policy its
    /// InitiateRequest goes as a glo-initiate-request with the next invocation counter.
    ///
    /// # Errors
    /// [`SessionError::Config`] for a configuration that cannot give this association,
    /// [`SessionError::Random`] when the operating system gives no random challenge,
    /// [`SessionError::CounterExhausted`]. The session is then idle.
    pub fn try_associate(&mut self, now: Instant) -> Result<Vec<u8>, SessionError> {
        self.reset();
        self.broken = None;
        security::check(&self.config)?;
        let security = self.config.security.as_ref();
        let ciphering = security.and_then(|s| s.policy).is_some();
        let context = match (self.by_short_names(), ciphering) {
            (false, false) => ApplicationContextName::LogicalName,
            (false, true) => ApplicationContextName::LogicalNameCiphered,
            (true, false) => ApplicationContextName::ShortName,
            (true, true) => ApplicationContextName::ShortNameCiphered,
        };
        let mut aarq = OwnedAarq::new(context);
        let mut challenge = None;
        match &self.config.authentication {
            Authentication::None => {}
            Authentication::Low { password } => {
                aarq.sender_acse_requirements = Some(AcseRequirements::AUTHENTICATION);
                aarq.mechanism_name = Some(MechanismName::Low);
                aarq.calling_authentication_value =
                    Some(AuthenticationValue::CharString(password.clone()));
            }
            Authentication::HighGmac { challenge: source } => {
                let ctos = draw(source)?;
                aarq.sender_acse_requirements = Some(AcseRequirements::AUTHENTICATION);
                aarq.mechanism_name = Some(MechanismName::HighGmac);
                aarq.calling_authentication_value =
                    Some(AuthenticationValue::CharString(ctos.clone()));
                challenge = Some(ctos);
            }
        }
        // The meter needs the client's system title for HLS-GMAC and for ciphering: the IV of
        // everything the client protects starts with it.
        if let Some(security) = security.filter(|_| ciphering || challenge.is_some()) {
            aarq.calling_ap_title = Some(security.system_title.to_vec());
        }
        let initiate = InitiateRequest::new(
            self.config.proposed_conformance(),
            self.config.max_receive_pdu_size,
        );
        let mut plain = Vec::with_capacity(initiate.encoded_len());
        initiate.encode(&mut plain);
        aarq.user_information = Some(if ciphering {
            UserInformation::Ciphered(self.protection.seal(security, plain, true)?)
        } else {
            UserInformation::InitiateRequest(initiate)
        });
        let mut out = Vec::with_capacity(aarq.encoded_len());
        aarq.encode(&mut out);
        self.phase = Phase::Associating { challenge };
        self.arm(now);
        Ok(out)
    }

    /// The AARE: accepted or not, the meter's system title, the (deciphered) InitiateResponse,
    /// and under HLS the meter's challenge StoC, answered with pass 3.
    pub(super) fn on_aare(
        &mut self,
        aare: &AareView<'_>,
        now: Instant,
    ) -> Result<Received, SessionError> {
        if aare.result != AssociationResult::Accepted {
            return Err(SessionError::Rejected {
                result: aare.result.name(),
                diagnostic: diagnostic_name(aare.result_source_diagnostic),
            });
        }
        let Phase::Associating { challenge } = &mut self.phase else {
            return Err(SessionError::State {
                action: "take an AARE",
                phase: self.phase.name(),
            });
        };
        let challenge = challenge.take();
        let ciphering = self
            .config
            .security
            .as_ref()
            .is_some_and(|s| s.policy.is_some());
        self.protection.server_title = aare.server_system_title();
        if (ciphering || challenge.is_some()) && self.protection.server_title.is_none() {
            return Err(SessionError::Unexpected {
                expected: "the meter's 8-octet system title (responding-AP-title) in the AARE",
                found: "none",
            });
        }
        let granted = self.initiate_response(aare)?;
        let Some(ctos) = challenge else {
            return self.associated(granted, now);
        };
        if let Some(mechanism) = aare.mechanism_name {
            if mechanism != MechanismName::HighGmac {
                return Err(SessionError::Unexpected {
                    expected: "mechanism high-level-security-gmac in the AARE",
                    found: "another mechanism-name",
                });
            }
        }
        let stoc = aare
            .responding_authentication_value
            .as_ref()
            .map(|v| v.bytes())
            .ok_or(SessionError::Unexpected {
                expected: "the meter's challenge StoC (responding-authentication-value)",
                found: "an AARE without one",
            })?;
        let reply = self
            .protection
            .reply_to_challenge(self.config.security.as_ref(), stoc)?;
        let invoke = self.take_invoke();
        let pass3 = OwnedActionRequest::Normal {
            invoke: invoke_octet(invoke),
            method: ASSOCIATION_LN,
            parameters: Some(Data::OctetString(reply.to_vec())),
        }
        .to_vec();
        // Pass 3 goes in the service-specific form (glo-action-request) whatever the envelope
        // of later requests: every ciphering meter takes it, and Gurux sends it so.
        let pass3 = self
            .protection
            .seal(self.config.security.as_ref(), pass3, true)?;
        tracing::debug!(invoke, "dlms hls pass 3 sent");
        self.phase = Phase::Authenticating {
            invoke,
            challenge: ctos,
            granted,
        };
        self.arm(now);
        Ok(Received::Send(pass3))
    }

    /// The InitiateResponse of the AARE: in clear without a policy, ciphered with one.
    fn initiate_response(&mut self, aare: &AareView<'_>) -> Result<InitiateResponse, SessionError> {
        let ciphering = self
            .config
            .security
            .as_ref()
            .is_some_and(|s| s.policy.is_some());
        match aare.user_information {
            Some(UserInformation::InitiateResponse(granted)) if !ciphering => Ok(granted),
            Some(UserInformation::InitiateResponse(_)) => Err(SessionError::Unprotected {
                found: "the AARE's InitiateResponse",
            }),
            Some(UserInformation::Ciphered(bytes)) => {
                let ciphered = CipheredApdu::decode(bytes).map_err(SessionError::Security)?;
                let mut plain = Vec::new();
                let text =
                    self.protection
                        .open(self.config.security.as_ref(), &ciphered, &mut plain)?;
                match Apdu::decode(text)? {
                    Apdu::InitiateResponse(granted) => Ok(granted),
                    Apdu::ConfirmedServiceError(_) => Err(refused_initiate()),
                    other => Err(SessionError::Unexpected {
                        expected: "an InitiateResponse in the AARE",
                        found: other.name(),
                    }),
                }
            }
            Some(UserInformation::ConfirmedServiceError(_)) => Err(refused_initiate()),
            Some(UserInformation::InitiateRequest(_)) => Err(SessionError::Unexpected {
                expected: "an InitiateResponse in the AARE",
                found: "an InitiateRequest",
            }),
            None => Err(SessionError::Unexpected {
                expected: "an InitiateResponse in the AARE",
                found: "none",
            }),
        }
    }

    /// HLS pass 4: the action-result of reply_to_HLS_authentication and the meter's
    /// f(CtoS), verified with the meter's system title.
    pub(super) fn on_pass_four(
        &mut self,
        response: &ActionResponse<'_>,
        now: Instant,
    ) -> Result<Received, SessionError> {
        let Phase::Authenticating {
            invoke,
            challenge,
            granted,
        } = &self.phase
        else {
            return Err(SessionError::State {
                action: "take HLS pass 4",
                phase: self.phase.name(),
            });
        };
        let ActionResponse::Normal {
            invoke: found,
            response: outcome,
        } = response
        else {
            return Err(SessionError::Unexpected {
                expected: "action-response-normal to HLS pass 3",
                found: "another action-response",
            });
        };
        check_invoke(*invoke, *found)?;
        if outcome.result != ActionResult::SUCCESS {
            return Err(SessionError::HlsRefused {
                result: outcome.result,
            });
        }
        let reply = match outcome.return_parameters {
            Some(GetDataResult::Data(data)) => match data.value() {
                Value::OctetString(bytes) => bytes,
                _ => {
                    return Err(SessionError::HlsReply {
                        problem: "is not an octet-string",
                    })
                }
            },
            _ => {
                return Err(SessionError::HlsReply {
                    problem: "is missing",
                })
            }
        };
        let (_, ek, ak) = hls_keys(self.config.security.as_ref())?;
        let title = self.protection.server_title.ok_or(SessionError::HlsReply {
            problem: "cannot be checked without the meter's system title",
        })?;
        verify_hls_gmac(ek, ak, &title, challenge, reply).map_err(|e| SessionError::HlsReply {
            problem: match e {
                fieldbridge_dlms::Error::BadLength { .. } => "is not 17 octets",
                fieldbridge_dlms::Error::BadByte { .. } => "has a security control other than 0x10",
                _ => "does not verify",
            },
        })?;
        // The counter inside f(CtoS) is not checked against the guard: the ciphered envelope
        // around it (when ciphering) already moved the guard past it, and f(CtoS) cannot be
        // replayed anyway, since it answers this association's fresh challenge.
        let granted = *granted;
        tracing::debug!("dlms hls pass 4 verified");
        self.associated(granted, now)
    }

    /// The association is up; with short names, once the object list it now reads is in.
    fn associated(
        &mut self,
        granted: InitiateResponse,
        now: Instant,
    ) -> Result<Received, SessionError> {
        let general = self.config.security.as_ref().is_some_and(|s| {
            s.policy.is_some()
                && s.general_ciphering
                && granted
                    .negotiated_conformance
                    .contains(fieldbridge_dlms::apdu::conformance::Conformance::GENERAL_PROTECTION)
        });
        self.protection.general = general;
        if self.by_short_names() {
            return self.list_objects(granted, now);
        }
        self.granted = Some(granted);
        self.settle();
        Ok(Received::Associated(granted))
    }
}

/// A fresh challenge CtoS: from the operating system's CSPRNG, or the fixed one of a test.
fn draw(source: &Challenge) -> Result<Vec<u8>, SessionError> {
    match source {
        Challenge::Fixed(bytes) => Ok(bytes.clone()),
        Challenge::Random { len } => {
            let mut bytes = vec![0u8; *len];
            getrandom::fill(&mut bytes).map_err(|e| SessionError::Random(e.to_string()))?;
            Ok(bytes)
        }
    }
}

fn refused_initiate() -> SessionError {
    SessionError::Rejected {
        result: "accepted",
        diagnostic: "confirmed-service-error in the user-information",
    }
}

fn diagnostic_name(diagnostic: SourceDiagnostic) -> &'static str {
    diagnostic.name().unwrap_or("unknown diagnostic")
}
