//! The meter and its sessions, driven by a client built from the codec: in clear
//! ([`session`]), ciphered ([`security`]), the clock and its profile ([`meter`]), over TCP
//! ([`serve`]); and the faults it injects on purpose ([`faults`]).

mod faults;
mod meter;
mod security;
mod serve;
mod session;

use std::sync::Arc;

use fieldbridge_dlms::apdu::action::{ActionResponse, OwnedActionRequest};
use fieldbridge_dlms::apdu::association::{
    AareView, AcseRequirements, AcseServiceUser, ApplicationContextName, AssociationResult,
    AuthenticationValue, MechanismName, OwnedAarq, SourceDiagnostic, UserInformation,
};
use fieldbridge_dlms::apdu::conformance::Conformance;
use fieldbridge_dlms::apdu::get::{
    ActionResult, AttributeDescriptor, DataAccessResult, GetDataResult, GetResponse,
    InvokeIdAndPriority, MethodDescriptor, OwnedGetRequest, Progress, Reassembler,
};
use fieldbridge_dlms::apdu::get::{BlockResult, OwnedGetDataResult};
use fieldbridge_dlms::apdu::initiate::InitiateRequest;
use fieldbridge_dlms::apdu::release::OwnedReleaseRequest;
use fieldbridge_dlms::apdu::selective::OwnedAttributeWithSelection;
use fieldbridge_dlms::apdu::selective::OwnedSelectiveAccess;
use fieldbridge_dlms::apdu::selective::{
    CaptureObject, EntryDescriptor, RangeDescriptor, RangeValue,
};
use fieldbridge_dlms::apdu::set::{OwnedSetRequest, SetResponse};
use fieldbridge_dlms::apdu::Apdu;
use fieldbridge_dlms::axdr::{ClockStatus, Data, DataRef, DateTime, UtcTime};
use fieldbridge_dlms::security::{
    encrypt, hls_gmac, verify_hls_gmac, CipheredApdu, Envelope, KeyKind, Keys, SecurityControl,
    SecurityPolicy,
};

use super::counters::Counters;
use super::meter::*;
use super::session::{Authentication, Reply, Session, SessionConfig};

const START: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z
const EK: [u8; 16] = *b"0123456789ABCDEF";
const AK: [u8; 16] = *b"abcdefghijklmnop";
const CLIENT_TITLE: [u8; 8] = *b"CLIENT01";
const SERVER_TITLE: [u8; 8] = *b"FBS00001";

fn invoke() -> InvokeIdAndPriority {
    InvokeIdAndPriority::new(1, true, true)
}

struct Client {
    meter: Meter,
    session: Session,
    max_pdu: u16,
    /// Ciphering with this policy and this client key.
    security: Option<(SecurityPolicy, Keys)>,
    frame_counter: u32,
    /// The envelope of ciphered requests.
    envelope: Envelope,
    /// The length of every answer received, as sent (ciphered or not).
    answer_lengths: Vec<usize>,
    /// The client SAP the requests come from.
    sap: u16,
    /// The process's counters, shared by every connection.
    counters: Arc<Counters>,
}

impl Client {
    fn new(authentication: Authentication) -> Self {
        Self::with_security(authentication, None)
    }

    fn with_security(authentication: Authentication, security: Option<SecurityPolicy>) -> Self {
        let counters = Arc::new(Counters::new());
        Client {
            security: security.map(|p| (p, Keys::new(EK, AK))),
            frame_counter: 0,
            meter: Meter::new("SIM123", START, 900),
            session: session(authentication, security, counters.clone()),
            max_pdu: 1024,
            envelope: Envelope::ServiceSpecific(KeyKind::Global),
            answer_lengths: Vec::new(),
            sap: 0x10,
            counters,
        }
    }

    /// A new connection to the same meter process: a new session, the same counters.
    fn reconnect(&mut self) {
        let config = self.session_config();
        self.session = Session::new(config, 43, self.counters.clone());
    }

    fn session_config(&self) -> SessionConfig {
        SessionConfig {
            authentication: Authentication::None,
            keys: Keys::new(EK, AK),
            system_title: SERVER_TITLE,
            security: self.security.as_ref().map(|(p, _)| *p),
        }
    }

    fn cipher(&mut self, envelope: Envelope, plain: &[u8]) -> Vec<u8> {
        let (policy, keys) = self.security.clone().expect("security");
        self.frame_counter += 1;
        let mut out = Vec::new();
        encrypt(
            envelope,
            SecurityControl::new(policy),
            self.frame_counter,
            &CLIENT_TITLE,
            &keys,
            plain,
            &mut out,
        )
        .expect("encrypt");
        out
    }

    fn exchange_raw(&mut self, apdu: &[u8]) -> Reply {
        self.session.handle(&mut self.meter, self.sap, apdu)
    }

    fn exchange(&mut self, apdu: &[u8]) -> Vec<u8> {
        let ciphered = self.security.is_some() && !matches!(apdu.first(), Some(0x60 | 0x62));
        let apdu = if ciphered {
            self.cipher(self.envelope, apdu)
        } else {
            apdu.to_vec()
        };
        let answer = match self.session.handle(&mut self.meter, self.sap, &apdu) {
            Reply::Send(out) | Reply::SendAndClose(out) => out,
            Reply::Close => panic!("closed"),
        };
        self.answer_lengths.push(answer.len());
        if !ciphered {
            return answer;
        }
        let (policy, keys) = self.security.clone().expect("security");
        let mut plain = Vec::new();
        CipheredApdu::decode(&answer)
            .expect("ciphered answer")
            .decrypt_with_policy(&keys, policy, Some(&SERVER_TITLE), &mut plain)
            .expect("the answer's tag verifies")
            .to_vec()
    }

    fn aarq(&mut self, mechanism: Option<MechanismName>, value: Option<&[u8]>) -> Vec<u8> {
        let mut aarq = OwnedAarq::new(ApplicationContextName::LogicalName);
        if let Some(m) = mechanism {
            aarq.sender_acse_requirements = Some(AcseRequirements::AUTHENTICATION);
            aarq.mechanism_name = Some(m);
        }
        aarq.calling_authentication_value =
            value.map(|v| AuthenticationValue::CharString(v.to_vec()));
        aarq.calling_ap_title = Some(CLIENT_TITLE.to_vec());
        let initiate = InitiateRequest::new(Conformance::LN, self.max_pdu);
        aarq.user_information = Some(if self.security.is_some() {
            aarq.application_context_name = ApplicationContextName::LogicalNameCiphered;
            let mut plain = Vec::new();
            initiate.encode(&mut plain);
            UserInformation::Ciphered(
                self.cipher(Envelope::ServiceSpecific(KeyKind::Global), &plain),
            )
        } else {
            UserInformation::InitiateRequest(initiate)
        });
        let mut out = Vec::new();
        aarq.encode(&mut out);
        self.exchange(&out)
    }

    fn get(
        &mut self,
        class_id: u16,
        ln: [u8; 6],
        attribute: i8,
        selection: Option<(u8, Data)>,
    ) -> Result<Data, DataAccessResult> {
        let request = OwnedGetRequest::Normal {
            invoke: invoke(),
            attribute: AttributeDescriptor::new(class_id, ln, attribute),
            selection: selection.map(|(selector, parameters)| OwnedSelectiveAccess {
                selector,
                parameters,
            }),
        };
        let mut answer = self.exchange(&request.to_vec());
        let mut blocks = Reassembler::new(1 << 20);
        loop {
            let response = GetResponse::decode(&answer).expect("get-response");
            match &response {
                GetResponse::Normal {
                    result: GetDataResult::Data(d),
                    ..
                } => return Ok(d.to_owned()),
                GetResponse::Normal {
                    result: GetDataResult::DataAccessResult(r),
                    ..
                } => return Err(*r),
                _ => {}
            }
            match blocks.push(&response).expect("block") {
                Progress::Next(n) => {
                    answer = self.exchange(
                        &OwnedGetRequest::Next {
                            invoke: invoke(),
                            block_number: n,
                        }
                        .to_vec(),
                    );
                }
                Progress::Complete => {
                    let raw = blocks.into_data();
                    return Ok(DataRef::decode_all(&raw).expect("data").to_owned());
                }
                Progress::Failed(r) => return Err(r),
            }
        }
    }

    fn action(
        &mut self,
        class_id: u16,
        ln: [u8; 6],
        method: i8,
        parameters: Option<Data>,
    ) -> (ActionResult, Option<Data>) {
        let request = OwnedActionRequest::Normal {
            invoke: invoke(),
            method: MethodDescriptor::new(class_id, ln, method),
            parameters,
        };
        let answer = self.exchange(&request.to_vec());
        let ActionResponse::Normal { response, .. } =
            ActionResponse::decode(&answer).expect("action-response")
        else {
            panic!("not action-response-normal");
        };
        let data = match response.return_parameters {
            Some(GetDataResult::Data(d)) => Some(d.to_owned()),
            _ => None,
        };
        (response.result, data)
    }
}

fn session(
    authentication: Authentication,
    security: Option<SecurityPolicy>,
    counters: Arc<Counters>,
) -> Session {
    Session::new(
        SessionConfig {
            authentication,
            keys: Keys::new(EK, AK),
            system_title: SERVER_TITLE,
            security,
        },
        42,
        counters,
    )
}

fn aare(bytes: &[u8]) -> AareView<'_> {
    match Apdu::decode(bytes).expect("apdu") {
        Apdu::Aare(aare) => aare,
        other => panic!("{}", other.name()),
    }
}

fn clock(seconds: i64) -> Data {
    let t = DateTime::from_utc(
        UtcTime {
            seconds,
            hundredths: 0,
        },
        0,
        ClockStatus(0),
    )
    .expect("date");
    Data::OctetString(t.to_bytes().to_vec())
}
