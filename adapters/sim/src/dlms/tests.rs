//! The meter and its sessions, driven by a client built from the codec.

use fieldbridge_dlms::apdu::action::{ActionResponse, OwnedActionRequest};
use fieldbridge_dlms::apdu::association::{
    AareView, AcseRequirements, AcseServiceUser, ApplicationContextName, AssociationResult,
    AuthenticationValue, MechanismName, OwnedAarq, SourceDiagnostic, UserInformation,
};
use fieldbridge_dlms::apdu::conformance::Conformance;
use fieldbridge_dlms::apdu::get::OwnedGetDataResult;
use fieldbridge_dlms::apdu::get::{
    ActionResult, AttributeDescriptor, DataAccessResult, GetDataResult, GetResponse,
    InvokeIdAndPriority, MethodDescriptor, OwnedGetRequest, Progress, Reassembler,
};
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
}

impl Client {
    fn new(authentication: Authentication) -> Self {
        Self::with_security(authentication, None)
    }

    fn with_security(authentication: Authentication, security: Option<SecurityPolicy>) -> Self {
        Client {
            security: security.map(|p| (p, Keys::new(EK, AK))),
            frame_counter: 0,
            meter: Meter::new("SIM123", START, 900),
            session: Session::new(
                SessionConfig {
                    authentication,
                    keys: Keys::new(EK, AK),
                    system_title: SERVER_TITLE,
                    security,
                },
                42,
            ),
            max_pdu: 1024,
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
        self.session.handle(&mut self.meter, apdu)
    }

    fn exchange(&mut self, apdu: &[u8]) -> Vec<u8> {
        let ciphered = self.security.is_some() && !matches!(apdu.first(), Some(0x60 | 0x62));
        let apdu = if ciphered {
            self.cipher(Envelope::ServiceSpecific(KeyKind::Global), apdu)
        } else {
            apdu.to_vec()
        };
        let answer = match self.session.handle(&mut self.meter, &apdu) {
            Reply::Send(out) | Reply::SendAndClose(out) => out,
            Reply::Close => panic!("closed"),
        };
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

#[test]
fn registers_read_with_their_scalers_and_units_after_an_unauthenticated_association() {
    let mut c = Client::new(Authentication::None);
    let answer = c.aarq(None, None);
    assert_eq!(aare(&answer).result, AssociationResult::Accepted);
    c.meter.advance(START + 3600);
    assert_eq!(
        c.get(3, ENERGY_IMPORT, 2, None),
        Ok(Data::DoubleLongUnsigned(1_000_900))
    );
    assert_eq!(
        c.get(3, ENERGY_IMPORT, 3, None),
        Ok(Data::Structure(vec![Data::Integer(0), Data::Enum(UNIT_WH)]))
    );
    assert_eq!(
        c.get(3, ENERGY_EXPORT, 2, None),
        Ok(Data::DoubleLongUnsigned(200_180))
    );
    assert_eq!(
        c.get(3, VOLTAGE, 3, None),
        Ok(Data::Structure(vec![Data::Integer(-1), Data::Enum(UNIT_V)]))
    );
    assert_eq!(
        c.get(1, SERIAL, 2, None),
        Ok(Data::OctetString(b"SIM123".to_vec()))
    );
    assert_eq!(c.get(8, CLOCK, 2, None), Ok(clock(START + 3600)));
}

#[test]
fn unknown_objects_and_attributes_are_answered_with_their_data_access_results() {
    let mut c = Client::new(Authentication::None);
    c.aarq(None, None);
    assert_eq!(
        c.get(3, [1, 0, 99, 99, 0, 255], 2, None),
        Err(DataAccessResult::OBJECT_UNDEFINED)
    );
    assert_eq!(
        c.get(1, ENERGY_IMPORT, 2, None),
        Err(DataAccessResult::OBJECT_UNDEFINED)
    );
    assert_eq!(
        c.get(3, ENERGY_IMPORT, 9, None),
        Err(DataAccessResult::OBJECT_UNAVAILABLE)
    );
}

#[test]
fn nothing_is_read_before_the_association() {
    let mut c = Client::new(Authentication::None);
    assert_eq!(
        c.get(3, ENERGY_IMPORT, 2, None),
        Err(DataAccessResult::READ_WRITE_DENIED)
    );
}

#[test]
fn the_profile_grows_every_period_and_is_read_whole_by_entry_and_by_range() {
    let mut c = Client::new(Authentication::None);
    c.max_pdu = 128; // forces block transfer of the buffer
    c.aarq(None, None);
    c.meter.advance(START + 10 * 900 + 5);
    assert_eq!(c.get(7, PROFILE, 7, None), Ok(Data::DoubleLongUnsigned(10)));
    let Ok(Data::Array(rows)) = c.get(7, PROFILE, 2, None) else {
        panic!("buffer")
    };
    assert_eq!(rows.len(), 10);
    assert_eq!(
        rows[0],
        Data::Structure(vec![
            clock(START + 900),
            Data::DoubleLongUnsigned(1_000_225),
            Data::DoubleLongUnsigned(200_045)
        ])
    );
    let entries = EntryDescriptor {
        from_entry: 3,
        to_entry: 4,
        from_selected_value: 1,
        to_selected_value: 2,
    };
    let Ok(Data::Array(rows)) = c.get(7, PROFILE, 2, Some((2, entries.to_data()))) else {
        panic!("entries")
    };
    assert_eq!(
        rows,
        vec![
            Data::Structure(vec![
                clock(START + 2700),
                Data::DoubleLongUnsigned(1_000_675)
            ]),
            Data::Structure(vec![
                clock(START + 3600),
                Data::DoubleLongUnsigned(1_000_900)
            ]),
        ]
    );
    let range = RangeDescriptor {
        restricting_object: CaptureObject::new(8, CLOCK, 2, 0),
        from_value: RangeValue::DateTime(
            DateTime::from_utc(
                UtcTime {
                    seconds: START + 8 * 900,
                    hundredths: 0,
                },
                0,
                ClockStatus(0),
            )
            .expect("from"),
        ),
        to_value: RangeValue::DateTime(
            DateTime::from_utc(
                UtcTime {
                    seconds: START + 20 * 900,
                    hundredths: 0,
                },
                0,
                ClockStatus(0),
            )
            .expect("to"),
        ),
        selected_values: vec![],
    };
    let Ok(Data::Array(rows)) = c.get(7, PROFILE, 2, Some((1, range.to_data()))) else {
        panic!("range")
    };
    assert_eq!(rows.len(), 3);
    c.meter.advance(START + 11 * 900);
    assert_eq!(c.get(7, PROFILE, 7, None), Ok(Data::DoubleLongUnsigned(11)));
}

#[test]
fn the_disconnect_control_disconnects_and_reconnects() {
    let mut c = Client::new(Authentication::None);
    c.aarq(None, None);
    assert_eq!(c.get(70, DISCONNECT, 2, None), Ok(Data::Boolean(true)));
    assert_eq!(
        c.action(70, DISCONNECT, 1, Some(Data::Integer(0))).0,
        ActionResult::SUCCESS
    );
    assert_eq!(c.get(70, DISCONNECT, 2, None), Ok(Data::Boolean(false)));
    assert_eq!(c.get(70, DISCONNECT, 3, None), Ok(Data::Enum(0)));
    assert_eq!(
        c.action(70, DISCONNECT, 2, Some(Data::Integer(0))).0,
        ActionResult::SUCCESS
    );
    assert_eq!(c.get(70, DISCONNECT, 2, None), Ok(Data::Boolean(true)));
    assert_eq!(
        c.action(70, DISCONNECT, 9, None).0,
        ActionResult::OBJECT_UNAVAILABLE
    );
}

#[test]
fn the_clock_and_the_export_register_are_set_and_the_import_register_is_not_writable() {
    let mut c = Client::new(Authentication::None);
    c.aarq(None, None);
    let set = |attribute, value| {
        OwnedSetRequest::Normal {
            invoke: invoke(),
            attribute,
            selection: None,
            value,
        }
        .to_vec()
    };
    let answer = c.exchange(&set(
        AttributeDescriptor::new(8, CLOCK, 2),
        clock(START + 86_400),
    ));
    assert!(matches!(
        SetResponse::decode(&answer),
        Ok(SetResponse::Normal {
            result: DataAccessResult::SUCCESS,
            ..
        })
    ));
    assert_eq!(c.get(8, CLOCK, 2, None), Ok(clock(START + 86_400)));
    let answer = c.exchange(&set(
        AttributeDescriptor::new(3, ENERGY_EXPORT, 2),
        Data::DoubleLongUnsigned(5000),
    ));
    assert!(matches!(
        SetResponse::decode(&answer),
        Ok(SetResponse::Normal {
            result: DataAccessResult::SUCCESS,
            ..
        })
    ));
    assert_eq!(
        c.get(3, ENERGY_EXPORT, 2, None),
        Ok(Data::DoubleLongUnsigned(5000))
    );
    let answer = c.exchange(&set(
        AttributeDescriptor::new(3, ENERGY_EXPORT, 2),
        Data::Long(1),
    ));
    assert!(matches!(
        SetResponse::decode(&answer),
        Ok(SetResponse::Normal {
            result: DataAccessResult::TYPE_UNMATCHED,
            ..
        })
    ));
    let answer = c.exchange(&set(
        AttributeDescriptor::new(3, ENERGY_IMPORT, 2),
        Data::DoubleLongUnsigned(0),
    ));
    assert!(matches!(
        SetResponse::decode(&answer),
        Ok(SetResponse::Normal {
            result: DataAccessResult::READ_WRITE_DENIED,
            ..
        })
    ));
}

#[test]
fn low_authentication_takes_the_password_and_refuses_another() {
    let mut c = Client::new(Authentication::Low(b"12345678".to_vec()));
    let answer = c.aarq(Some(MechanismName::Low), Some(b"wrong"));
    let refused = aare(&answer);
    assert_eq!(refused.result, AssociationResult::RejectedPermanent);
    assert_eq!(
        refused.result_source_diagnostic,
        SourceDiagnostic::User(AcseServiceUser::AUTHENTICATION_FAILURE)
    );
    assert_eq!(
        c.get(3, ENERGY_IMPORT, 2, None),
        Err(DataAccessResult::READ_WRITE_DENIED)
    );
    let answer = c.aarq(None, None);
    assert_eq!(
        aare(&answer).result_source_diagnostic,
        SourceDiagnostic::User(AcseServiceUser::AUTHENTICATION_MECHANISM_NAME_REQUIRED)
    );
    let answer = c.aarq(Some(MechanismName::Low), Some(b"12345678"));
    assert_eq!(aare(&answer).result, AssociationResult::Accepted);
    assert!(c.get(3, ENERGY_IMPORT, 2, None).is_ok());
}

#[test]
fn high_gmac_authentication_checks_the_clients_reply_and_answers_with_its_own() {
    let mut c = Client::new(Authentication::HighGmac);
    let ctos = b"ClientChallenge1";
    let answer = c.aarq(Some(MechanismName::HighGmac), Some(ctos));
    let accepted = aare(&answer);
    assert_eq!(accepted.result, AssociationResult::Accepted);
    assert_eq!(
        accepted.result_source_diagnostic,
        SourceDiagnostic::User(AcseServiceUser::AUTHENTICATION_REQUIRED)
    );
    let stoc = accepted
        .responding_authentication_value
        .expect("StoC")
        .as_bytes()
        .to_vec();
    assert_eq!(accepted.server_system_title(), Some(SERVER_TITLE));
    // Pass 3 not done yet: nothing is read.
    assert_eq!(
        c.get(3, ENERGY_IMPORT, 2, None),
        Err(DataAccessResult::READ_WRITE_DENIED)
    );
    let f_stoc = hls_gmac(&EK, &AK, &CLIENT_TITLE, 7, &stoc).expect("f(StoC)");
    let (result, reply) = c.action(15, ASSOCIATION, 1, Some(Data::OctetString(f_stoc.to_vec())));
    assert_eq!(result, ActionResult::SUCCESS);
    let Some(Data::OctetString(f_ctos)) = reply else {
        panic!("f(CtoS)")
    };
    verify_hls_gmac(&EK, &AK, &SERVER_TITLE, ctos, &f_ctos).expect("the server's reply verifies");
    assert!(c.get(3, ENERGY_IMPORT, 2, None).is_ok());
}

#[test]
fn high_gmac_with_a_wrong_key_is_refused() {
    let mut c = Client::new(Authentication::HighGmac);
    let answer = c.aarq(Some(MechanismName::HighGmac), Some(b"ClientChallenge1"));
    let stoc = aare(&answer)
        .responding_authentication_value
        .expect("StoC")
        .as_bytes()
        .to_vec();
    let f_stoc = hls_gmac(&[0x55; 16], &AK, &CLIENT_TITLE, 7, &stoc).expect("f(StoC)");
    let (result, reply) = c.action(15, ASSOCIATION, 1, Some(Data::OctetString(f_stoc.to_vec())));
    assert_eq!(result, ActionResult::READ_WRITE_DENIED);
    assert_eq!(reply, None);
    assert_eq!(
        c.get(3, ENERGY_IMPORT, 2, None),
        Err(DataAccessResult::READ_WRITE_DENIED)
    );
}

#[test]
fn a_release_request_is_answered_and_closes() {
    let mut c = Client::new(Authentication::None);
    c.aarq(None, None);
    let mut rlrq = Vec::new();
    OwnedReleaseRequest {
        reason: None,
        user_information: None,
    }
    .encode(&mut rlrq);
    let reply = c.session.handle(&mut c.meter, &rlrq);
    let Reply::SendAndClose(rlre) = reply else {
        panic!("{reply:?}")
    };
    assert!(matches!(Apdu::decode(&rlre), Ok(Apdu::ReleaseResponse(_))));
    assert!(!c.session.associated());
}

#[test]
fn an_authenticated_and_encrypted_association_reads_with_every_answer_ciphered() {
    let policy = SecurityPolicy::AuthenticatedEncrypted;
    let mut c = Client::with_security(Authentication::None, Some(policy));
    let answer = c.aarq(None, None);
    let accepted = aare(&answer);
    assert_eq!(accepted.result, AssociationResult::Accepted);
    assert_eq!(
        accepted.application_context_name,
        ApplicationContextName::LogicalNameCiphered
    );
    assert_eq!(accepted.server_system_title(), Some(SERVER_TITLE));
    let Some(UserInformation::Ciphered(initiate)) = accepted.user_information else {
        panic!("glo-initiate-response")
    };
    let mut plain = Vec::new();
    let inner = CipheredApdu::decode(initiate)
        .expect("envelope")
        .decrypt_with_policy(&Keys::new(EK, AK), policy, Some(&SERVER_TITLE), &mut plain)
        .expect("verifies");
    assert!(matches!(Apdu::decode(inner), Ok(Apdu::InitiateResponse(_))));
    assert_eq!(
        c.get(3, VOLTAGE, 3, None),
        Ok(Data::Structure(vec![Data::Integer(-1), Data::Enum(UNIT_V)]))
    );
    assert_eq!(
        c.get(1, SERIAL, 2, None),
        Ok(Data::OctetString(b"SIM123".to_vec()))
    );
}

#[test]
fn a_ciphered_aarq_with_a_wrong_key_is_refused() {
    let mut c = Client::with_security(
        Authentication::None,
        Some(SecurityPolicy::AuthenticatedEncrypted),
    );
    c.security = Some((
        SecurityPolicy::AuthenticatedEncrypted,
        Keys::new([0x55; 16], AK),
    ));
    let answer = c.aarq(None, None);
    let refused = aare(&answer);
    assert_eq!(refused.result, AssociationResult::RejectedPermanent);
    assert_eq!(
        refused.result_source_diagnostic,
        SourceDiagnostic::User(AcseServiceUser::AUTHENTICATION_FAILURE)
    );
}

#[test]
fn a_request_with_a_bad_tag_a_replayed_counter_or_in_clear_closes_the_connection() {
    let policy = SecurityPolicy::AuthenticatedEncrypted;
    let get = OwnedGetRequest::Normal {
        invoke: invoke(),
        attribute: AttributeDescriptor::new(3, ENERGY_IMPORT, 2),
        selection: None,
    }
    .to_vec();
    // A changed byte in the tag.
    let mut c = Client::with_security(Authentication::None, Some(policy));
    c.aarq(None, None);
    let mut bad = c.cipher(Envelope::ServiceSpecific(KeyKind::Global), &get);
    *bad.last_mut().expect("tag") ^= 1;
    assert_eq!(c.exchange_raw(&bad), Reply::Close);
    // A replayed frame counter.
    let mut c = Client::with_security(Authentication::None, Some(policy));
    c.aarq(None, None);
    let good = c.cipher(Envelope::ServiceSpecific(KeyKind::Global), &get);
    assert!(matches!(c.exchange_raw(&good), Reply::Send(_)));
    assert_eq!(c.exchange_raw(&good), Reply::Close);
    // A request in clear.
    let mut c = Client::with_security(Authentication::None, Some(policy));
    c.aarq(None, None);
    assert_eq!(c.exchange_raw(&get), Reply::Close);
}

#[test]
fn authenticated_only_and_general_glo_ciphering_are_answered_in_kind() {
    let policy = SecurityPolicy::Authenticated;
    let mut c = Client::with_security(Authentication::None, Some(policy));
    c.aarq(None, None);
    let get = OwnedGetRequest::Normal {
        invoke: invoke(),
        attribute: AttributeDescriptor::new(1, SERIAL, 2),
        selection: None,
    }
    .to_vec();
    let request = c.cipher(Envelope::General(KeyKind::Global), &get);
    let Reply::Send(answer) = c.exchange_raw(&request) else {
        panic!("no answer")
    };
    assert_eq!(answer[0], 0xDB, "general-glo-ciphering");
    let mut plain = Vec::new();
    let inner = CipheredApdu::decode(&answer)
        .expect("envelope")
        .decrypt_with_policy(&Keys::new(EK, AK), policy, Some(&SERVER_TITLE), &mut plain)
        .expect("verifies");
    assert!(matches!(
        GetResponse::decode(inner),
        Ok(GetResponse::Normal {
            result: GetDataResult::Data(_),
            ..
        })
    ));
}

#[test]
fn a_get_with_list_answers_each_attribute_with_its_value_or_result() {
    let mut c = Client::new(Authentication::None);
    c.aarq(None, None);
    let attribute = |class_id, ln, id| OwnedAttributeWithSelection {
        attribute: AttributeDescriptor::new(class_id, ln, id),
        selection: None,
    };
    let request = OwnedGetRequest::WithList {
        invoke: invoke(),
        attributes: vec![
            attribute(1, SERIAL, 2),
            attribute(3, [9, 9, 9, 9, 9, 9], 2),
            attribute(3, VOLTAGE, 3),
        ],
    };
    let answer = c.exchange(&request.to_vec());
    let Ok(GetResponse::WithList { results, .. }) = GetResponse::decode(&answer) else {
        panic!("get-response-with-list")
    };
    let results: Vec<_> = results.map(|r| r.to_owned()).collect();
    assert_eq!(
        results,
        vec![
            OwnedGetDataResult::Data(Data::OctetString(b"SIM123".to_vec())),
            OwnedGetDataResult::DataAccessResult(DataAccessResult::OBJECT_UNDEFINED),
            OwnedGetDataResult::Data(Data::Structure(vec![Data::Integer(-1), Data::Enum(UNIT_V)])),
        ]
    );
}
