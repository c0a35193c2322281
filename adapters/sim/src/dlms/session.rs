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
//! get-response-with-datablock, the client asking each next block with get-request-next; with
//! ciphering, the envelope's octets count against that size too, so every ciphered block fits.
//!
//! The association ends with RLRQ, and also when the transport under it ends ([`Session::reset`]:
//! an HDLC DISC or SNRM, or the TCP connection closing); a long GET in progress ends with it.
//! The meter's own frame counter and the clients' replay guards live in [`Counters`], shared
//! by the whole process, so that no frame counter is used twice and none accepted twice.

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
    encrypt, hls_gmac, verify_hls_gmac, CipheredApdu, CipheredTag, Envelope, KeyKind, Keys,
    SecurityControl, SecurityPolicy, SystemTitle,
};
use std::sync::Arc;

use super::counters::Counters;
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
    /// How many octets of `raw` went out.
    offset: usize,
}

/// The octets a ciphered APDU adds to the one it carries (Green Book 9.2.7.2.4): its tag, the
/// sender's system title with its length (general-glo-ciphering only), a length of up to three
/// octets, the security header (security control and frame counter, five octets) and, when
/// authenticated, the 12-octet GCM tag.
pub fn cipher_overhead(envelope: Envelope, policy: SecurityPolicy) -> usize {
    let title = match envelope {
        Envelope::General(_) => 1 + 8,
        Envelope::ServiceSpecific(_) => 0,
    };
    let tag = if policy.authenticated() { 12 } else { 0 };
    1 + title + 3 + 5 + tag
}

/// One association's state.
#[derive(Debug)]
pub struct Session {
    config: SessionConfig,
    state: State,
    client_max_pdu: usize,
    /// What the envelope of the answer being built adds to it (0 in clear).
    overhead: usize,
    long_get: Option<LongGet>,
    seed: u64,
    /// The client's system title (from the AARQ's calling-AP-title).
    client_title: Option<SystemTitle>,
    /// The client SAP of the association (from the AARQ's carrier).
    client_sap: Option<u16>,
    /// The meter's frame counter and the clients' replay guards, shared by the process.
    counters: Arc<Counters>,
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
    /// A session; `seed` makes its HLS challenges (any value; differ per connection);
    /// `counters` are the process's (one meter frame counter, one replay guard per client SAP).
    pub fn new(config: SessionConfig, seed: u64, counters: Arc<Counters>) -> Self {
        Session {
            config,
            state: State::Idle,
            client_max_pdu: usize::from(SERVER_MAX_PDU),
            overhead: 0,
            long_get: None,
            seed: seed | 1,
            client_title: None,
            client_sap: None,
            counters,
        }
    }

    /// Whether the association is open for GET, SET and ACTION.
    pub fn associated(&self) -> bool {
        self.state == State::Associated
    }

    /// Ends the association (and any long GET in progress) without an answer: the transport
    /// under it ended (an HDLC DISC, a new SNRM, the TCP connection closing). The next
    /// association starts from AARQ; the replay guards are the process's and stay.
    pub fn reset(&mut self) {
        self.state = State::Idle;
        self.long_get = None;
        self.client_title = None;
        self.client_sap = None;
        self.overhead = 0;
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

    /// Handles one APDU from the client at `client_sap` (the wrapper's source wPort, the
    /// HDLC client address).
    ///
    /// With ciphering configured, a request after the AARQ must be ciphered with the
    /// configured policy, the client's system title and a frame counter above the last one
    /// the meter accepted from that client SAP, in this association or any before it; one
    /// whose tag does not verify (a wrong key, a changed byte, a replayed counter) or that
    /// comes in clear is dropped and the connection closed with no answer: the Green Book
    /// (9.2.7.2.4) has the receiver discard an APDU that fails deciphering, and an answer
    /// would only give an attacker a ciphered oracle. The answer is ciphered in the same
    /// envelope (service-specific or general-glo) with the meter's system title and the
    /// process's next frame counter. A request from another SAP than the association's is
    /// dropped the same way.
    pub fn handle(&mut self, meter: &mut Meter, client_sap: u16, apdu: &[u8]) -> Reply {
        let Ok(decoded) = Apdu::decode(apdu) else {
            return Reply::Close;
        };
        if let Apdu::Aarq(_) = decoded {
            self.client_sap = Some(client_sap);
        } else if self.client_sap.is_some_and(|sap| sap != client_sap) {
            return Reply::Close;
        }
        self.overhead = 0;
        let Some(policy) = self.config.security else {
            return self.handle_plain(meter, decoded);
        };
        let ciphered = match decoded {
            Apdu::Aarq(_) | Apdu::ReleaseRequest(_) => return self.handle_plain(meter, decoded),
            Apdu::Ciphered(ciphered) => ciphered,
            _ => return Reply::Close,
        };
        let (Some(title), Some(sap)) = (self.client_title, self.client_sap) else {
            return Reply::Close;
        };
        let mut plain = Vec::new();
        let keys = &self.config.keys;
        let deciphered = self.counters.with_client(sap, |guard| {
            ciphered
                .decrypt_guarded_with_policy(keys, policy, Some(&title), guard, &mut plain)
                .map(|_| ())
        });
        if let Err(error) = deciphered {
            tracing::info!(%error, client_sap = sap, "dlms simulator: a ciphered request refused");
            self.reset();
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
        self.overhead = cipher_overhead(envelope, policy);
        match self.handle_plain(meter, inner) {
            Reply::Send(answer) => match self.cipher(envelope, policy, &answer) {
                Some(out) => Reply::Send(out),
                None => Reply::Close,
            },
            other => other,
        }
    }

    /// Ciphers an answer with the meter's title and the process's next frame counter; `None`
    /// once that counter is exhausted (it never wraps) or a key is missing.
    fn cipher(&self, envelope: Envelope, policy: SecurityPolicy, plain: &[u8]) -> Option<Vec<u8>> {
        let Some(counter) = self.counters.next_own() else {
            tracing::warn!("dlms simulator: the frame counter is exhausted; nothing is ciphered");
            return None;
        };
        let mut out = Vec::new();
        encrypt(
            envelope,
            SecurityControl::new(policy),
            counter,
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
                // The release ends the association and whatever it had in progress.
                let sap = self.client_sap;
                self.reset();
                self.client_sap = sap;
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
        let sap = self.client_sap.unwrap_or_default();
        self.reset();
        self.client_sap = Some(sap);
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
                // The client's frames go on counting from the last one the meter accepted from
                // this SAP, in any association before: a replayed AARQ is refused.
                let mut plain = Vec::new();
                let keys = &self.config.keys;
                let deciphered = CipheredApdu::decode(bytes).and_then(|c| {
                    self.counters.with_client(sap, |guard| {
                        c.decrypt_guarded_with_policy(keys, policy, Some(&title), guard, &mut plain)
                            .map(<[u8]>::to_vec)
                    })
                });
                match deciphered.as_deref().map(Apdu::decode) {
                    Ok(Ok(Apdu::InitiateRequest(initiate))) => initiate,
                    Ok(_) => return refuse(AcseServiceUser::NO_REASON_GIVEN),
                    Err(error) => {
                        tracing::info!(%error, client_sap = sap, "dlms simulator: a ciphered AARQ refused");
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
                if answer.encoded_len() <= self.max_answer() {
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
                    offset: 0,
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
                if answer.encoded_len() <= self.max_answer() {
                    answer.to_vec()
                } else {
                    dar_get(*invoke, DataAccessResult::OTHER_REASON)
                }
            }
        }
    }

    /// The longest answer that fits the client's max receive PDU size once enveloped.
    fn max_answer(&self) -> usize {
        self.client_max_pdu.saturating_sub(self.overhead)
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
        // C4 02 invoke last(1) block-number(4) choice(1) length(up to 3) data, then the
        // envelope when ciphered: the whole must fit the client's max receive PDU size.
        let room = self
            .client_max_pdu
            .saturating_sub(14 + self.overhead)
            .max(16);
        let start = long.offset;
        let end = start.saturating_add(room).min(long.raw.len());
        let chunk = long.raw.get(start..end).unwrap_or_default().to_vec();
        let last = end >= long.raw.len();
        long.offset = end;
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
        if let Err(error) = verify_hls_gmac(&ek, &ak, client_title, stoc, reply) {
            tracing::info!(%error, client_sap = ?self.client_sap, "dlms simulator: the client's f(StoC) does not verify; HLS refused");
            self.state = State::Idle;
            return None;
        }
        let f_ctos = hls_gmac(
            &ek,
            &ak,
            &self.config.system_title,
            self.counters.next_own()?,
            ctos,
        )
        .ok()?;
        self.state = State::Associated;
        Some(Data::OctetString(f_ctos.to_vec()))
    }
}
