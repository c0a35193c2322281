//! Strategies for the association layer: conformance blocks, xDLMS InitiateRequest and
//! InitiateResponse, ConfirmedServiceError, user-information, AARQ, AARE, RLRQ and RLRE, in
//! their owned forms (`Vec<u8>` buffers).
//!
//! Everything generated encodes and decodes back to the same value: ciphered user-information
//! is framed as the standard frames it (tag, A-XDR length, security header), BIT STRING
//! authentication values have a valid unused-bits octet, and the ConfirmedServiceError choices
//! are in range.

use crate::apdu::association::{
    AcseRequirements, AcseServiceProvider, AcseServiceUser, AeQualifier, ApplicationContextName,
    AssociationResult, AuthenticationValue, MechanismName, OwnedAare, OwnedAarq, SourceDiagnostic,
    UserInformation, GENERAL_GLO_CIPHERING, GLO_CONFIRMED_SERVICE_ERROR, GLO_INITIATE_REQUEST,
    GLO_INITIATE_RESPONSE,
};
use crate::apdu::conformance::Conformance;
use crate::apdu::initiate::{DedicatedKey, InitiateRequest, InitiateResponse, VaaName};
use crate::apdu::release::{
    OwnedReleaseRequest, OwnedReleaseResponse, ReleaseRequest, ReleaseRequestReason,
    ReleaseResponse, ReleaseResponseReason,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

/// Any of the 2^24 conformance blocks.
pub fn conformance() -> impl Strategy<Value = Conformance> {
    (0u32..=Conformance::ALL.bits()).prop_map(Conformance::from_bits_truncate)
}

/// A dedicated key of 16 or 32 octets.
pub fn dedicated_key() -> impl Strategy<Value = DedicatedKey> {
    prop_oneof![vec(any::<u8>(), 16), vec(any::<u8>(), 32)]
        .prop_filter_map("a key of at most 32 octets", |b| DedicatedKey::new(&b))
}

/// Any InitiateRequest.
pub fn initiate_request() -> impl Strategy<Value = InitiateRequest> {
    (
        proptest::option::of(dedicated_key()),
        proptest::option::of(any::<bool>()),
        proptest::option::of(any::<i8>()),
        prop_oneof![Just(6u8), any::<u8>()],
        conformance(),
        any::<u16>(),
    )
        .prop_map(
            |(key, response, qos, version, conformance, size)| InitiateRequest {
                dedicated_key: key,
                response_allowed: response,
                proposed_quality_of_service: qos,
                proposed_dlms_version_number: version,
                proposed_conformance: conformance,
                client_max_receive_pdu_size: size,
            },
        )
}

/// Any InitiateResponse.
pub fn initiate_response() -> impl Strategy<Value = InitiateResponse> {
    (
        proptest::option::of(any::<i8>()),
        prop_oneof![Just(6u8), any::<u8>()],
        conformance(),
        any::<u16>(),
        prop_oneof![
            Just(VaaName::LN),
            Just(VaaName::SN),
            any::<u16>().prop_map(VaaName)
        ],
    )
        .prop_map(|(qos, version, conformance, size, vaa)| InitiateResponse {
            negotiated_quality_of_service: qos,
            negotiated_dlms_version_number: version,
            negotiated_conformance: conformance,
            server_max_receive_pdu_size: size,
            vaa_name: vaa,
        })
}

/// A ConfirmedServiceError of every service and kind (the data services' strategy).
pub use super::services::confirmed_service_error;

/// A ciphered xDLMS APDU as user-information carries it: a glo- tag, its A-XDR length, the
/// security header and some ciphertext; or general-glo-ciphering with a system title.
pub fn ciphered_apdu() -> impl Strategy<Value = Vec<u8>> {
    let glo = (
        select(vec![
            GLO_INITIATE_REQUEST,
            GLO_INITIATE_RESPONSE,
            GLO_CONFIRMED_SERVICE_ERROR,
        ]),
        vec(any::<u8>(), 5..=200),
    )
        .prop_map(|(tag, content)| {
            let mut out = vec![tag];
            put_axdr_length(&mut out, content.len());
            out.extend_from_slice(&content);
            out
        });
    let general =
        (vec(any::<u8>(), 0..=8), vec(any::<u8>(), 5..=60)).prop_map(|(title, content)| {
            let mut out = vec![GENERAL_GLO_CIPHERING];
            put_axdr_length(&mut out, title.len());
            out.extend_from_slice(&title);
            put_axdr_length(&mut out, content.len());
            out.extend_from_slice(&content);
            out
        });
    prop_oneof![3 => glo, 1 => general]
}

/// An A-XDR length in the fewest octets (lengths here stay below 65536).
fn put_axdr_length(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else if len < 0x100 {
        out.extend_from_slice(&[0x81, len as u8]);
    } else {
        out.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]);
    }
}

/// Any user-information content.
pub fn user_information() -> impl Strategy<Value = UserInformation<Vec<u8>>> {
    prop_oneof![
        initiate_request().prop_map(UserInformation::InitiateRequest),
        initiate_response().prop_map(UserInformation::InitiateResponse),
        confirmed_service_error().prop_map(UserInformation::ConfirmedServiceError),
        ciphered_apdu().prop_map(UserInformation::Ciphered),
    ]
}

/// One of the four application context names.
pub fn application_context_name() -> impl Strategy<Value = ApplicationContextName> {
    select(ApplicationContextName::ALL.to_vec())
}

/// One of the eight mechanism names.
pub fn mechanism_name() -> impl Strategy<Value = MechanismName> {
    select(MechanismName::ALL.to_vec())
}

/// A password or challenge as charstring, or a BIT STRING with a valid unused-bits octet.
pub fn authentication_value() -> impl Strategy<Value = AuthenticationValue<Vec<u8>>> {
    prop_oneof![
        3 => vec(any::<u8>(), 0..=64).prop_map(AuthenticationValue::CharString),
        1 => (0u8..=7, vec(any::<u8>(), 1..=32)).prop_map(|(unused, bytes)| {
            let mut contents = vec![unused];
            contents.extend_from_slice(&bytes);
            AuthenticationValue::BitString(contents)
        }),
        1 => Just(AuthenticationValue::BitString(vec![0])),
    ]
}

/// An AE qualifier: an INTEGER, or an OCTET STRING (a certificate, up to 300 octets so that
/// long-form lengths appear).
pub fn ae_qualifier() -> impl Strategy<Value = AeQualifier<Vec<u8>>> {
    prop_oneof![
        any::<i64>().prop_map(AeQualifier::Integer),
        vec(any::<u8>(), 0..=300).prop_map(AeQualifier::OctetString),
    ]
}

/// An AP title: a system title (8 octets) most of the time, any length up to 16 otherwise.
pub fn ap_title() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![3 => vec(any::<u8>(), 8), 1 => vec(any::<u8>(), 0..=16)]
}

/// The ACSE requirements bit string.
pub fn acse_requirements() -> impl Strategy<Value = AcseRequirements> {
    any::<bool>().prop_map(|authentication| AcseRequirements { authentication })
}

/// Any AARQ.
pub fn aarq() -> impl Strategy<Value = OwnedAarq> {
    use proptest::option::of;
    (
        (
            any::<bool>(),
            application_context_name(),
            of(ap_title()),
            of(ae_qualifier()),
            of(any::<i64>()),
            of(any::<i64>()),
            of(ap_title()),
            of(ae_qualifier()),
        ),
        (
            of(any::<i64>()),
            of(any::<i64>()),
            of(acse_requirements()),
            of(mechanism_name()),
            of(authentication_value()),
            of(vec(any::<u8>(), 0..=20)),
            of(user_information()),
        ),
    )
        .prop_map(
            |((pv, acn, t2, q3, i4, i5, t6, q7), (i8, i9, r, m, a, ii, ui))| {
                let mut aarq = OwnedAarq::new(acn);
                aarq.protocol_version = pv;
                aarq.called_ap_title = t2;
                aarq.called_ae_qualifier = q3;
                aarq.called_ap_invocation_id = i4;
                aarq.called_ae_invocation_id = i5;
                aarq.calling_ap_title = t6;
                aarq.calling_ae_qualifier = q7;
                aarq.calling_ap_invocation_id = i8;
                aarq.calling_ae_invocation_id = i9;
                aarq.sender_acse_requirements = r;
                aarq.mechanism_name = m;
                aarq.calling_authentication_value = a;
                aarq.implementation_information = ii;
                aarq.user_information = ui;
                aarq
            },
        )
}

/// Any result-source-diagnostic, named values and others.
pub fn source_diagnostic() -> impl Strategy<Value = SourceDiagnostic> {
    prop_oneof![
        3 => (0u8..=14).prop_map(|v| SourceDiagnostic::User(AcseServiceUser(v))),
        1 => (0u8..=2).prop_map(|v| SourceDiagnostic::Provider(AcseServiceProvider(v))),
        1 => any::<u8>().prop_map(|v| SourceDiagnostic::User(AcseServiceUser(v))),
    ]
}

/// Any AARE.
pub fn aare() -> impl Strategy<Value = OwnedAare> {
    use proptest::option::of;
    (
        (
            any::<bool>(),
            application_context_name(),
            select(AssociationResult::ALL.to_vec()),
            source_diagnostic(),
            of(ap_title()),
            of(ae_qualifier()),
            of(any::<i64>()),
        ),
        (
            of(any::<i64>()),
            of(acse_requirements()),
            of(mechanism_name()),
            of(authentication_value()),
            of(vec(any::<u8>(), 0..=20)),
            of(user_information()),
        ),
    )
        .prop_map(
            |((pv, acn, result, diag, t4, q5, i6), (i7, r, m, a, ii, ui))| {
                let mut aare = OwnedAare::new(acn, result, diag);
                aare.protocol_version = pv;
                aare.responding_ap_title = t4;
                aare.responding_ae_qualifier = q5;
                aare.responding_ap_invocation_id = i6;
                aare.responding_ae_invocation_id = i7;
                aare.responder_acse_requirements = r;
                aare.mechanism_name = m;
                aare.responding_authentication_value = a;
                aare.implementation_information = ii;
                aare.user_information = ui;
                aare
            },
        )
}

/// Any RLRQ.
pub fn rlrq() -> impl Strategy<Value = OwnedReleaseRequest> {
    (
        proptest::option::of(prop_oneof![select(vec![0u8, 1, 30]), any::<u8>()]),
        proptest::option::of(user_information()),
    )
        .prop_map(|(reason, user_information)| ReleaseRequest {
            reason: reason.map(ReleaseRequestReason),
            user_information,
        })
}

/// Any RLRE.
pub fn rlre() -> impl Strategy<Value = OwnedReleaseResponse> {
    (
        proptest::option::of(prop_oneof![select(vec![0u8, 1, 30]), any::<u8>()]),
        proptest::option::of(user_information()),
    )
        .prop_map(|(reason, user_information)| ReleaseResponse {
            reason: reason.map(ReleaseResponseReason),
            user_information,
        })
}
