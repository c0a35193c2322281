//! One association with the simulated meter (sans-IO): APDUs in, APDUs out (Green Book 9.3).
//!
//! AARQ → AARE with authentication none, low (the password) or high-gmac (the server's
//! challenge StoC in the AARE, then the client's ACTION on 0-0:40.0.0*255 method 1 carrying
//! f(StoC), checked with [`verify_hls_gmac`] and answered with f(CtoS), Green Book 9.2.2.2.3). A wrong mechanism is
//! refused with `authentication-mechanism-name-not-recognised`, a wrong password or a missing
//! one with `authentication-failure`, an application context other than logical names with
//! `application-context-name-not-supported`. Until the association is accepted (and, with
//! high-gmac, until the client's f(CtoS) is verified) every other request is refused:
//! GET/SET with read-write-denied, ACTION with read-write-denied. RLRQ → RLRE ends the
//! association. A GET whose answer exceeds the client's max receive PDU size goes as
//! get-response-with-datablock, the client asking each next block with get-request-next.

use fieldbridge_dlms::apdu::action::{OwnedActionOutcome, OwnedActionResponse};
use fieldbridge_dlms::apdu::association::{
    AcseRequirements, AcseServiceUser, ApplicationContextName, AssociationResult,
    AuthenticationValue, MechanismName, OwnedAare, SourceDiagnostic, UserInformation,
};
use fieldbridge_dlms::apdu::conformance::Conformance;
use fieldbridge_dlms::apdu::get::{
    ActionResult, DataAccessResult, InvokeIdAndPriority, OwnedBlockResult, OwnedDataBlockG,
    OwnedGetDataResult, OwnedGetResponse,
};
use fieldbridge_dlms::apdu::initiate::{InitiateResponse, VaaName};
use fieldbridge_dlms::apdu::release::{OwnedReleaseResponse, ReleaseResponseReason};
use fieldbridge_dlms::apdu::set::OwnedSetResponse;
use fieldbridge_dlms::apdu::{action::ActionRequest, get::GetRequest, set::SetRequest, Apdu};
use fieldbridge_dlms::axdr::{Data, Value};
use fieldbridge_dlms::security::{
    encrypt, hls_gmac, verify_hls_gmac, CipheredApdu, CipheredTag, CounterGuard, Envelope, KeyKind,
    Keys, SecurityControl, SecurityPolicy, SystemTitle,
};

use super::meter::{Meter, ASSOCIATION};

/// The longest APDU the simulator takes (its server-max-receive-pdu-size).
pub const SERVER_MAX_PDU: u16 = 1024;

/// How a client authenticates (Green Book 9.2.2.2).
#[derive(Clone, PartialEq, Eq)]
pub enum Authentication {
    /// Lowest level: no authentication.
    None,
    /// Low level: the client sends this password in the AARQ.
    Low(Vec<u8>),
    /// High level with GMAC (mechanism 5): a challenge each way, answered with the keys.
    HighGmac,
}

impl std::fmt::Debug for Authentication {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::None => "None",
            Self::Low(_) => "Low(hidden)",
            Self::HighGmac => "HighGmac",
        })
    }
}

/// What the session is configured with.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// The authentication required.
    pub authentication: Authentication,
    /// The keys (needed for high-gmac).
    pub keys: Keys,
    /// The meter's own system title.
    pub system_title: SystemTitle,
    /// Security suite 0 with this policy (`None`: no ciphering). With a policy the AARQ must
    /// propose the ciphered LN context and every request after it must be ciphered so.
    pub security: Option<SecurityPolicy>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Idle,
    /// AARE sent with StoC; waiting for f(CtoS) from the client with this system title.
    Challenged {
        stoc: Vec<u8>,
        ctos: Vec<u8>,
        client_title: SystemTitle,
    },
    Associated,
}

/// What to do after an APDU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Send this APDU.
    Send(Vec<u8>),
    /// Send this APDU, then close the connection (the RLRE).
    SendAndClose(Vec<u8>),
    /// Close the connection without an answer (an APDU that could not be read).
    Close,
}

/// A long GET being sent block by block.
#[derive(Debug, Clone)]
struct LongGet {
    raw: Vec<u8>,
    /// The last block sent.
    sent: u32,
}

/// One association's state.
#[derive(Debug)]
pub struct Session {
    config: SessionConfig,
    state: State,
    client_max_pdu: usize,
    long_get: Option<LongGet>,
    frame_counter: u32,
    seed: u64,
    /// The client's system title (from the AARQ's calling-AP-title).
    client_title: Option<SystemTitle>,
    /// The client's last accepted frame counter.
    guard: CounterGuard,
}

fn dar_get(invoke: InvokeIdAndPriority, result: DataAccessResult) -> Vec<u8> {
    OwnedGetResponse::Normal {
        invoke,
        result: OwnedGetDataResult::DataAccessResult(result),
    }
    .to_vec()
}

fn set_invoke(set: &SetRequest<'_>) -> InvokeIdAndPriority {
    match set {
        SetRequest::Normal { invoke, .. }
        | SetRequest::WithFirstDatablock { invoke, .. }
        | SetRequest::WithDatablock { invoke, .. }
        | SetRequest::WithList { invoke, .. }
        | SetRequest::WithListAndFirstDatablock { invoke, .. } => *invoke,
    }
}

fn action_invoke(action: &ActionRequest<'_>) -> InvokeIdAndPriority {
    match action {
        ActionRequest::Normal { invoke, .. }
        | ActionRequest::NextPblock { invoke, .. }
        | ActionRequest::WithList { invoke, .. }
        | ActionRequest::WithFirstPblock { invoke, .. }
        | ActionRequest::WithListAndFirstPblock { invoke, .. }
        | ActionRequest::WithPblock { invoke, .. } => *invoke,
    }
}

impl Session {
    /// A session; `seed` makes its HLS challenges (any value; differ per connection).
    pub fn new(config: SessionConfig, seed: u64) -> Self {
        Session {
            config,
            state: State::Idle,
            client_max_pdu: usize::from(SERVER_MAX_PDU),
            long_get: None,
            frame_counter: 0,
            seed: seed | 1,
            client_title: None,
            guard: CounterGuard::new(),
        }
    }

    /// Whether the association is open for GET, SET and ACTION.
    pub fn associated(&self) -> bool {
        self.state == State::Associated
    }

    fn challenge(&mut self) -> Vec<u8> {
        (0..16)
            .map(|_| {
                // xorshift64: a simulator's challenge, not a secret.
                self.seed ^= self.seed << 13;
                self.seed ^= self.seed >> 7;
                self.seed ^= self.seed << 17;
                b'A' + (self.seed % 26) as u8
            })
            .collect()
    }

    /// Handles one APDU from the client.
    ///
    /// With ciphering configured, a request after the AARQ must be ciphered with the
    /// configured policy, the client's system title and a frame counter above the last one;
    /// one whose tag does not verify (a wrong key, a changed byte, a replayed counter) or that
    /// comes in clear is dropped and the connection closed with no answer: the Green Book
    /// (9.2.7.2.4) has the receiver discard an APDU that fails deciphering, and an answer
    /// would only give an attacker a ciphered oracle. The answer is ciphered in the same
    /// envelope (service-specific or general-glo) with the meter's system title and its own
    /// increasing frame counter.
    pub fn handle(&mut self, meter: &mut Meter, apdu: &[u8]) -> Reply {
        let Ok(decoded) = Apdu::decode(apdu) else {
            return Reply::Close;
        };
        let Some(policy) = self.config.security else {
            return self.handle_plain(meter, decoded);
        };
        let ciphered = match decoded {
            Apdu::Aarq(_) | Apdu::ReleaseRequest(_) => return self.handle_plain(meter, decoded),
            Apdu::Ciphered(ciphered) => ciphered,
            _ => return Reply::Close,
        };
        let Some(title) = self.client_title else {
            return Reply::Close;
        };
        let mut plain = Vec::new();
        if let Err(error) = ciphered.decrypt_guarded_with_policy(
            &self.config.keys,
            policy,
            Some(&title),
            &mut self.guard,
            &mut plain,
        ) {
            tracing::info!(%error, "dlms simulator: a ciphered request refused");
            self.state = State::Idle;
            return Reply::Close;
        }
        let Ok(inner) = Apdu::decode(&plain) else {
            return Reply::Close;
        };
        if matches!(
            inner,
            Apdu::Aarq(_) | Apdu::ReleaseRequest(_) | Apdu::Ciphered(_)
        ) {
            return Reply::Close;
        }
        let envelope = if ciphered.tag() == CipheredTag::GENERAL_GLO_CIPHERING {
            Envelope::General(KeyKind::Global)
        } else {
            Envelope::ServiceSpecific(KeyKind::Global)
        };
        match self.handle_plain(meter, inner) {
            Reply::Send(answer) => match self.cipher(envelope, policy, &answer) {
                Some(out) => Reply::Send(out),
                None => Reply::Close,
            },
            other => other,
        }
    }

    /// Ciphers an answer with the meter's title and next frame counter.
    fn cipher(
        &mut self,
        envelope: Envelope,
        policy: SecurityPolicy,
        plain: &[u8],
    ) -> Option<Vec<u8>> {
        self.frame_counter = self.frame_counter.checked_add(1)?;
        let mut out = Vec::new();
        encrypt(
            envelope,
            SecurityControl::new(policy),
            self.frame_counter,
            &self.config.system_title,
            &self.config.keys,
            plain,
            &mut out,
        )
        .ok()?;
        Some(out)
    }

    fn handle_plain(&mut self, meter: &mut Meter, decoded: Apdu<'_>) -> Reply {
        match decoded {
            Apdu::Aarq(aarq) => Reply::Send(self.associate(&aarq)),
            Apdu::ReleaseRequest(_) => {
                self.state = State::Idle;
                let rlre = OwnedReleaseResponse {
                    reason: Some(ReleaseResponseReason::NORMAL),
                    user_information: None,
                };
                let mut out = Vec::new();
                rlre.encode(&mut out);
                Reply::SendAndClose(out)
            }
            Apdu::GetRequest(get) => Reply::Send(self.get(meter, &get)),
            Apdu::SetRequest(set) => Reply::Send(self.set(meter, &set)),
            Apdu::ActionRequest(action) => Reply::Send(self.action(meter, &action)),
            _ => Reply::Close,
        }
    }

    fn associate(&mut self, aarq: &fieldbridge_dlms::apdu::association::AarqView<'_>) -> Vec<u8> {
        self.state = State::Idle;
        self.long_get = None;
        let refuse = |diagnostic: AcseServiceUser| {
            let aare: OwnedAare = OwnedAare::new(
                ApplicationContextName::LogicalName,
                AssociationResult::RejectedPermanent,
                SourceDiagnostic::User(diagnostic),
            );
            let mut out = Vec::new();
            aare.encode(&mut out);
            out
        };
        let context = match self.config.security {
            None => ApplicationContextName::LogicalName,
            Some(_) => ApplicationContextName::LogicalNameCiphered,
        };
        if aarq.application_context_name != context {
            return refuse(AcseServiceUser::APPLICATION_CONTEXT_NAME_NOT_SUPPORTED);
        }
        self.client_title = aarq.client_system_title();
        let initiate = match (aarq.user_information, self.config.security) {
            (Some(UserInformation::InitiateRequest(initiate)), None) => initiate,
            (Some(UserInformation::Ciphered(bytes)), Some(policy)) => {
                let Some(title) = self.client_title else {
                    return refuse(AcseServiceUser::CALLING_AP_TITLE_NOT_RECOGNIZED);
                };
                // A new association starts a new count of the client's frames.
                self.guard = CounterGuard::new();
                let mut plain = Vec::new();
                let deciphered = CipheredApdu::decode(bytes).and_then(|c| {
                    c.decrypt_guarded_with_policy(
                        &self.config.keys,
                        policy,
                        Some(&title),
                        &mut self.guard,
                        &mut plain,
                    )
                    .map(<[u8]>::to_vec)
                });
                match deciphered.as_deref().map(Apdu::decode) {
                    Ok(Ok(Apdu::InitiateRequest(initiate))) => initiate,
                    Ok(_) => return refuse(AcseServiceUser::NO_REASON_GIVEN),
                    Err(error) => {
                        tracing::info!(%error, "dlms simulator: a ciphered AARQ refused");
                        return refuse(AcseServiceUser::AUTHENTICATION_FAILURE);
                    }
                }
            }
            _ => return refuse(AcseServiceUser::NO_REASON_GIVEN),
        };
        let mechanism = aarq.mechanism_name.unwrap_or(MechanismName::Lowest);
        let value = aarq
            .calling_authentication_value
            .map(|v| v.as_bytes().to_vec());
        let mut aare = OwnedAare::new(context, AssociationResult::Accepted, SourceDiagnostic::NULL);
        match (&self.config.authentication, mechanism) {
            (Authentication::None, MechanismName::Lowest) => self.state = State::Associated,
            (Authentication::Low(password), MechanismName::Low) => {
                if value.as_deref() != Some(password.as_slice()) {
                    return refuse(AcseServiceUser::AUTHENTICATION_FAILURE);
                }
                self.state = State::Associated;
                aare.responder_acse_requirements = Some(AcseRequirements::AUTHENTICATION);
                aare.mechanism_name = Some(MechanismName::Low);
            }
            (Authentication::HighGmac, MechanismName::HighGmac) => {
                let (Some(ctos), Some(title)) = (value, aarq.client_system_title()) else {
                    return refuse(AcseServiceUser::AUTHENTICATION_FAILURE);
                };
                let stoc = self.challenge();
                aare.responder_acse_requirements = Some(AcseRequirements::AUTHENTICATION);
                aare.mechanism_name = Some(MechanismName::HighGmac);
                aare.responding_ap_title = Some(self.config.system_title.to_vec());
                aare.responding_authentication_value =
                    Some(AuthenticationValue::CharString(stoc.clone()));
                aare.result_source_diagnostic =
                    SourceDiagnostic::User(AcseServiceUser::AUTHENTICATION_REQUIRED);
                self.state = State::Challenged {
                    stoc,
                    ctos,
                    client_title: title,
                };
            }
            (Authentication::None, _) => {
                return refuse(AcseServiceUser::AUTHENTICATION_MECHANISM_NAME_NOT_RECOGNISED)
            }
            (_, MechanismName::Lowest) => {
                return refuse(AcseServiceUser::AUTHENTICATION_MECHANISM_NAME_REQUIRED)
            }
            _ => return refuse(AcseServiceUser::AUTHENTICATION_MECHANISM_NAME_NOT_RECOGNISED),
        }
        self.client_max_pdu = match initiate.client_max_receive_pdu_size {
            0 => usize::from(u16::MAX),
            n => usize::from(n),
        };
        let granted = Conformance::GET
            .union(Conformance::SET)
            .union(Conformance::ACTION)
            .union(Conformance::SELECTIVE_ACCESS)
            .union(Conformance::MULTIPLE_REFERENCES)
            .union(Conformance::BLOCK_TRANSFER_WITH_GET_OR_READ);
        let response = InitiateResponse {
            negotiated_quality_of_service: None,
            negotiated_dlms_version_number: 6,
            negotiated_conformance: initiate.proposed_conformance.intersection(granted),
            server_max_receive_pdu_size: SERVER_MAX_PDU,
            vaa_name: VaaName::LN,
        };
        aare.user_information = Some(match self.config.security {
            None => UserInformation::InitiateResponse(response),
            Some(policy) => {
                aare.responding_ap_title = Some(self.config.system_title.to_vec());
                let mut plain = Vec::new();
                response.encode(&mut plain);
                let envelope = Envelope::ServiceSpecific(KeyKind::Global);
                match self.cipher(envelope, policy, &plain) {
                    Some(ciphered) => UserInformation::Ciphered(ciphered),
                    None => return refuse(AcseServiceUser::NO_REASON_GIVEN),
                }
            }
        });
        let mut out = Vec::new();
        aare.encode(&mut out);
        out
    }

    fn get(&mut self, meter: &Meter, get: &GetRequest<'_>) -> Vec<u8> {
        match get {
            GetRequest::Normal {
                invoke,
                attribute,
                selection,
            } => {
                self.long_get = None;
                if !self.associated() {
                    return dar_get(*invoke, DataAccessResult::READ_WRITE_DENIED);
                }
                let selection = selection.as_ref().map(|s| (s.selector, s.parameters));
                let data = match meter.get(attribute, selection) {
                    Ok(data) => data,
                    Err(result) => return dar_get(*invoke, result),
                };
                let answer = OwnedGetResponse::Normal {
                    invoke: *invoke,
                    result: OwnedGetDataResult::Data(data),
                };
                if answer.encoded_len() <= self.client_max_pdu {
                    return answer.to_vec();
                }
                let OwnedGetResponse::Normal {
                    result: OwnedGetDataResult::Data(data),
                    ..
                } = answer
                else {
                    return dar_get(*invoke, DataAccessResult::OTHER_REASON);
                };
                self.long_get = Some(LongGet {
                    raw: data.to_vec(),
                    sent: 0,
                });
                self.next_block(*invoke, 0)
            }
            GetRequest::Next {
                invoke,
                block_number,
            } => self.next_block(*invoke, *block_number),
            GetRequest::WithList { invoke, attributes } => {
                self.long_get = None;
                let results = attributes
                    .clone()
                    .map(|item| {
                        let result = if self.associated() {
                            let selection =
                                item.selection.as_ref().map(|s| (s.selector, s.parameters));
                            meter.get(&item.attribute, selection)
                        } else {
                            Err(DataAccessResult::READ_WRITE_DENIED)
                        };
                        match result {
                            Ok(data) => OwnedGetDataResult::Data(data),
                            Err(result) => OwnedGetDataResult::DataAccessResult(result),
                        }
                    })
                    .collect();
                let answer = OwnedGetResponse::WithList {
                    invoke: *invoke,
                    results,
                };
                // A list answer too long for the client is refused whole (no block transfer
                // of lists in this simulator).
                if answer.encoded_len() <= self.client_max_pdu {
                    answer.to_vec()
                } else {
                    dar_get(*invoke, DataAccessResult::OTHER_REASON)
                }
            }
        }
    }

    /// The block after `block_number` of the long GET in progress.
    fn next_block(&mut self, invoke: InvokeIdAndPriority, block_number: u32) -> Vec<u8> {
        let block = |last_block, block_number, result| {
            OwnedGetResponse::WithDatablock {
                invoke,
                block: OwnedDataBlockG {
                    last_block,
                    block_number,
                    result,
                },
            }
            .to_vec()
        };
        let Some(long) = self.long_get.as_mut() else {
            return block(
                true,
                block_number,
                OwnedBlockResult::DataAccessResult(DataAccessResult::NO_LONG_GET_IN_PROGRESS),
            );
        };
        if block_number != long.sent {
            self.long_get = None;
            return block(
                true,
                block_number,
                OwnedBlockResult::DataAccessResult(DataAccessResult::LONG_GET_ABORTED),
            );
        }
        // C4 02 invoke last(1) block-number(4) choice(1) length(up to 3) data
        let room = self.client_max_pdu.saturating_sub(14).max(16);
        let start = (long.sent as usize).saturating_mul(room);
        let end = start.saturating_add(room).min(long.raw.len());
        let chunk = long.raw.get(start..end).unwrap_or_default().to_vec();
        let last = end >= long.raw.len();
        long.sent += 1;
        let number = long.sent;
        let out = block(last, number, OwnedBlockResult::RawData(chunk));
        if last {
            self.long_get = None;
        }
        out
    }

    fn set(&mut self, meter: &mut Meter, set: &SetRequest<'_>) -> Vec<u8> {
        let (invoke, result) = match set {
            SetRequest::Normal {
                invoke,
                attribute,
                value,
                ..
            } => (
                *invoke,
                if self.associated() {
                    meter
                        .set(attribute, *value)
                        .err()
                        .unwrap_or(DataAccessResult::SUCCESS)
                } else {
                    DataAccessResult::READ_WRITE_DENIED
                },
            ),
            other => (set_invoke(other), DataAccessResult::OTHER_REASON),
        };
        OwnedSetResponse::Normal { invoke, result }.to_vec()
    }

    fn action(&mut self, meter: &mut Meter, action: &ActionRequest<'_>) -> Vec<u8> {
        let respond = |invoke, result, data: Option<Data>| {
            OwnedActionResponse::Normal {
                invoke,
                response: OwnedActionOutcome {
                    result,
                    return_parameters: data.map(OwnedGetDataResult::Data),
                },
            }
            .to_vec()
        };
        let ActionRequest::Normal {
            invoke,
            method,
            parameters,
        } = action
        else {
            return respond(action_invoke(action), ActionResult::OTHER_REASON, None);
        };
        if (method.class_id, method.instance_id, method.method_id) == (15, ASSOCIATION, 1) {
            return match self.reply_to_hls(parameters.map(|p| p.value())) {
                Some(f_stoc) => respond(*invoke, ActionResult::SUCCESS, Some(f_stoc)),
                None => respond(*invoke, ActionResult::READ_WRITE_DENIED, None),
            };
        }
        if !self.associated() {
            return respond(*invoke, ActionResult::READ_WRITE_DENIED, None);
        }
        respond(*invoke, meter.action(method), None)
    }

    /// reply_to_HLS_authentication: checks the client's f(StoC), answers f(CtoS).
    fn reply_to_hls(&mut self, parameter: Option<Value<'_>>) -> Option<Data> {
        let State::Challenged {
            stoc,
            ctos,
            client_title,
        } = &self.state
        else {
            return None;
        };
        let Some(Value::OctetString(reply)) = parameter else {
            return None;
        };
        let (ek, ak) = (
            self.config.keys.global_unicast?,
            self.config.keys.authentication?,
        );
        if verify_hls_gmac(&ek, &ak, client_title, stoc, reply).is_err() {
            self.state = State::Idle;
            return None;
        }
        self.frame_counter = self.frame_counter.wrapping_add(1);
        let f_ctos = hls_gmac(
            &ek,
            &ak,
            &self.config.system_title,
            self.frame_counter,
            ctos,
        )
        .ok()?;
        self.state = State::Associated;
        Some(Data::OctetString(f_ctos.to_vec()))
    }
}
