//! A canned meter for the session's tests: it builds AAREs, HLS pass 4 and ciphered answers
//! with the codec, and checks what the client sent as a meter would (the GCM tag of every
//! request, f(StoC)). The keys and titles are the Green Book's, as in `captures/dlms`.

use fieldbridge_dlms::apdu::action::ActionRequest;
use fieldbridge_dlms::apdu::action::{OwnedActionOutcome, OwnedActionResponse};
use fieldbridge_dlms::apdu::association::{
    AarqView, AcseServiceUser, ApplicationContextName, AssociationResult, AuthenticationValue,
    MechanismName, OwnedAare, SourceDiagnostic, UserInformation,
};
use fieldbridge_dlms::apdu::get::{ActionResult, InvokeIdAndPriority, OwnedGetDataResult};
use fieldbridge_dlms::apdu::initiate::{InitiateResponse, VaaName};
use fieldbridge_dlms::apdu::Apdu;
use fieldbridge_dlms::axdr::{Data, Value};
use fieldbridge_dlms::security::{
    encrypt, hls_gmac, verify_hls_gmac, CipheredApdu, CounterGuard, Envelope, KeyKind, Keys,
    SecurityControl, SecurityPolicy, SystemTitle,
};

use crate::session::{Authentication, Challenge, InvokeIds, Security, SessionConfig};

/// The block cipher key of the captures (Green Book example).
pub(super) const EK: [u8; 16] = [
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F,
];
/// The authentication key of the captures.
pub(super) const AK: [u8; 16] = [
    0xD0, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9, 0xDA, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF,
];
/// The client's system title.
pub(super) const CLIENT: SystemTitle = [0x4D, 0x4D, 0x4D, 0x00, 0x00, 0x00, 0x00, 0x01];
/// The meter's system title.
pub(super) const SERVER: SystemTitle = [0x4D, 0x4D, 0x4D, 0x00, 0x00, 0xBC, 0x61, 0x4E];
/// The client's challenge CtoS.
pub(super) const CTOS: [u8; 16] = [
    0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF,
];
/// The meter's challenge StoC.
pub(super) const STOC: [u8; 16] = [
    0x5A, 0xB1, 0xC2, 0xD3, 0xE4, 0xF5, 0x06, 0x17, 0x28, 0x39, 0x4A, 0x5B, 0x6C, 0x7D, 0x8E, 0x9F,
];

/// A session set up for HLS-GMAC with the captures' keys, a fixed challenge and `policy`.
pub(super) fn hls_config(policy: Option<SecurityPolicy>) -> SessionConfig {
    SessionConfig {
        authentication: Authentication::HighGmac {
            challenge: Challenge::Fixed(CTOS.to_vec()),
        },
        security: Some(Security {
            system_title: CLIENT,
            keys: Keys::new(EK, AK),
            policy,
            general_ciphering: false,
        }),
        invoke_ids: InvokeIds::Fixed(1),
        ..SessionConfig::default()
    }
}

/// The canned meter.
#[derive(Debug)]
pub(super) struct Meter {
    pub(super) keys: Keys,
    pub(super) title: SystemTitle,
    pub(super) policy: Option<SecurityPolicy>,
    /// The meter's next invocation counter.
    pub(super) counter: u32,
    /// Answer in general-glo-ciphering.
    pub(super) general: bool,
    /// The client's counters seen.
    pub(super) guard: CounterGuard,
    pub(super) granted: InitiateResponse,
}

impl Meter {
    /// The meter of the captures, with `policy`.
    pub(super) fn new(policy: Option<SecurityPolicy>) -> Self {
        Meter {
            keys: Keys::new(EK, AK),
            title: SERVER,
            policy,
            counter: 256,
            general: false,
            guard: CounterGuard::new(),
            granted: InitiateResponse {
                negotiated_quality_of_service: None,
                negotiated_dlms_version_number: 6,
                negotiated_conformance: SessionConfig::DEFAULT_CONFORMANCE,
                server_max_receive_pdu_size: 512,
                vaa_name: VaaName::LN,
            },
        }
    }

    /// The AARE accepting an HLS-GMAC association (authentication-required), with the meter's
    /// title, StoC and the InitiateResponse (ciphered under a policy). Checks the AARQ.
    pub(super) fn aare(&mut self, aarq: &[u8]) -> Vec<u8> {
        let view = AarqView::decode(aarq).expect("the client's AARQ decodes");
        assert_eq!(view.client_system_title(), Some(CLIENT));
        assert_eq!(view.mechanism_name, Some(MechanismName::HighGmac));
        if let (Some(_), Some(UserInformation::Ciphered(bytes))) =
            (self.policy, view.user_information)
        {
            let plain = self.open(bytes);
            assert!(matches!(Apdu::decode(&plain), Ok(Apdu::InitiateRequest(_))));
        }
        let context = if self.policy.is_some() {
            ApplicationContextName::LogicalNameCiphered
        } else {
            ApplicationContextName::LogicalName
        };
        let mut aare = OwnedAare::new(
            context,
            AssociationResult::Accepted,
            SourceDiagnostic::User(AcseServiceUser::AUTHENTICATION_REQUIRED),
        );
        aare.responding_ap_title = Some(self.title.to_vec());
        aare.mechanism_name = Some(MechanismName::HighGmac);
        aare.responding_authentication_value = Some(AuthenticationValue::CharString(STOC.to_vec()));
        let mut initiate = Vec::new();
        self.granted.encode(&mut initiate);
        aare.user_information = Some(match self.policy {
            Some(_) => UserInformation::Ciphered(self.seal_with(&initiate, false)),
            None => UserInformation::InitiateResponse(self.granted),
        });
        let mut out = Vec::new();
        aare.encode(&mut out);
        out
    }

    /// Deciphers a client request as a meter does: tag, title, policy and counter checked.
    pub(super) fn open(&mut self, request: &[u8]) -> Vec<u8> {
        let ciphered = CipheredApdu::decode(request).expect("a ciphered request");
        let mut plain = Vec::new();
        ciphered
            .decrypt_guarded_with_policy(
                &self.keys,
                self.policy.expect("a ciphering meter"),
                Some(&CLIENT),
                &mut self.guard,
                &mut plain,
            )
            .expect("the request's tag verifies and its counter grows");
        plain
    }

    /// The plain APDU of a request: deciphered under a policy.
    pub(super) fn plain(&mut self, request: &[u8]) -> Vec<u8> {
        if self.policy.is_some() {
            self.open(request)
        } else {
            request.to_vec()
        }
    }

    /// Ciphers an answer under the meter's policy (in clear without one).
    pub(super) fn seal(&mut self, plain: &[u8]) -> Vec<u8> {
        if self.policy.is_none() {
            return plain.to_vec();
        }
        let general = self.general;
        self.seal_with(plain, general)
    }

    fn seal_with(&mut self, plain: &[u8], general: bool) -> Vec<u8> {
        let envelope = if general {
            Envelope::General(KeyKind::Global)
        } else {
            Envelope::ServiceSpecific(KeyKind::Global)
        };
        let mut out = Vec::new();
        encrypt(
            envelope,
            SecurityControl::new(
                self.policy
                    .unwrap_or(SecurityPolicy::AuthenticatedEncrypted),
            ),
            self.counter,
            &self.title,
            &self.keys,
            plain,
            &mut out,
        )
        .expect("the meter ciphers");
        self.counter += 1;
        out
    }

    /// Checks f(StoC) in HLS pass 3 and answers pass 4 with f(CtoS) over `ctos`.
    pub(super) fn pass4(&mut self, pass3: &[u8], ctos: &[u8]) -> Vec<u8> {
        let plain = self.plain(pass3);
        let Ok(Apdu::ActionRequest(ActionRequest::Normal {
            invoke,
            method,
            parameters: Some(parameters),
        })) = Apdu::decode(&plain)
        else {
            panic!("pass 3 is not an action-request-normal: {plain:02X?}");
        };
        assert_eq!(
            (method.class_id, method.instance_id, method.method_id),
            (15, [0, 0, 40, 0, 0, 255], 1)
        );
        let Value::OctetString(reply) = parameters.value() else {
            panic!("f(StoC) is not an octet-string");
        };
        verify_hls_gmac(&EK, &AK, &CLIENT, &STOC, reply).expect("f(StoC) verifies");
        let f_ctos = hls_gmac(&EK, &AK, &self.title, self.counter, ctos).expect("f(CtoS)");
        let answer = action_result(invoke, ActionResult::SUCCESS, Some(f_ctos.to_vec()));
        self.seal(&answer)
    }
}

/// An action-response-normal with `result` and, when given, an octet-string returned.
pub(super) fn action_result(
    invoke: InvokeIdAndPriority,
    result: ActionResult,
    returned: Option<Vec<u8>>,
) -> Vec<u8> {
    OwnedActionResponse::Normal {
        invoke,
        response: OwnedActionOutcome {
            result,
            return_parameters: returned.map(|b| OwnedGetDataResult::Data(Data::OctetString(b))),
        },
    }
    .to_vec()
}
