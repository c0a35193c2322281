//! Ciphered associations: every tag checked, answers ciphered in kind.

use super::*;

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

/// The frame counter of a ciphered APDU.
fn counter_of(apdu: &[u8]) -> u32 {
    CipheredApdu::decode(apdu)
        .expect("ciphered")
        .frame_counter()
}

/// The frame counter of the AARE's ciphered initiate response.
fn aare_counter(answer: &[u8]) -> u32 {
    let Some(UserInformation::Ciphered(initiate)) = aare(answer).user_information else {
        panic!("glo-initiate-response")
    };
    counter_of(initiate)
}

#[test]
fn a_new_association_must_go_on_above_the_last_counter_accepted_from_that_sap() {
    let policy = SecurityPolicy::AuthenticatedEncrypted;
    let mut c = Client::with_security(Authentication::None, Some(policy));
    assert_eq!(
        aare(&c.aarq(None, None)).result,
        AssociationResult::Accepted
    );
    assert!(c.get(1, SERIAL, 2, None).is_ok());
    assert_eq!(c.counters.last_accepted(0x10), Some(2));

    // A new connection of the same client starting its count again is refused...
    c.reconnect();
    c.frame_counter = 0;
    let refused = aare(&c.aarq(None, None)).result_source_diagnostic;
    assert_eq!(
        refused,
        SourceDiagnostic::User(AcseServiceUser::AUTHENTICATION_FAILURE)
    );
    // ... so is its last counter again; the next one above it is accepted.
    c.reconnect();
    c.frame_counter = 1;
    assert_eq!(
        aare(&c.aarq(None, None)).result,
        AssociationResult::RejectedPermanent
    );
    c.reconnect();
    c.frame_counter = 2;
    assert_eq!(
        aare(&c.aarq(None, None)).result,
        AssociationResult::Accepted
    );
    assert!(c.get(1, SERIAL, 2, None).is_ok());

    // Another client SAP has a count of its own.
    c.reconnect();
    c.sap = 0x11;
    c.frame_counter = 0;
    assert_eq!(
        aare(&c.aarq(None, None)).result,
        AssociationResult::Accepted
    );
    assert_eq!(c.counters.last_accepted(0x10), Some(4));
    assert_eq!(c.counters.last_accepted(0x11), Some(1));
}

#[test]
fn a_request_from_another_sap_than_the_associations_is_dropped() {
    let policy = SecurityPolicy::AuthenticatedEncrypted;
    let mut c = Client::with_security(Authentication::None, Some(policy));
    c.aarq(None, None);
    c.sap = 0x11;
    let get = OwnedGetRequest::Normal {
        invoke: invoke(),
        attribute: AttributeDescriptor::new(1, SERIAL, 2),
        selection: None,
    }
    .to_vec();
    let request = c.cipher(Envelope::ServiceSpecific(KeyKind::Global), &get);
    assert_eq!(c.exchange_raw(&request), Reply::Close);
}

#[test]
fn every_connection_of_the_process_ciphers_with_the_next_frame_counter() {
    let policy = SecurityPolicy::AuthenticatedEncrypted;
    let mut c = Client::with_security(Authentication::None, Some(policy));
    assert_eq!(aare_counter(&c.aarq(None, None)), 1);
    let get = OwnedGetRequest::Normal {
        invoke: invoke(),
        attribute: AttributeDescriptor::new(1, SERIAL, 2),
        selection: None,
    }
    .to_vec();
    let request = c.cipher(Envelope::ServiceSpecific(KeyKind::Global), &get);
    let Reply::Send(answer) = c.exchange_raw(&request) else {
        panic!("answer")
    };
    assert_eq!(counter_of(&answer), 2);
    c.reconnect();
    assert_eq!(aare_counter(&c.aarq(None, None)), 3);
}

#[test]
fn nothing_is_ciphered_once_the_meters_frame_counter_is_exhausted() {
    let policy = SecurityPolicy::AuthenticatedEncrypted;
    let mut c = Client::with_security(Authentication::None, Some(policy));
    c.counters = Arc::new(Counters::after(u32::MAX - 1));
    c.reconnect();
    assert_eq!(aare_counter(&c.aarq(None, None)), u32::MAX);
    let get = OwnedGetRequest::Normal {
        invoke: invoke(),
        attribute: AttributeDescriptor::new(1, SERIAL, 2),
        selection: None,
    }
    .to_vec();
    let request = c.cipher(Envelope::ServiceSpecific(KeyKind::Global), &get);
    assert_eq!(c.exchange_raw(&request), Reply::Close);
    // A new association is refused rather than ciphered with a wrapped counter.
    c.reconnect();
    assert_eq!(
        aare(&c.aarq(None, None)).result,
        AssociationResult::RejectedPermanent
    );
}

/// Reads the whole profile ciphered in `envelope`, the client taking at most 128 octets.
fn ciphered_blocks_fit(policy: SecurityPolicy, envelope: Envelope) {
    let mut c = Client::with_security(Authentication::None, Some(policy));
    c.max_pdu = 128;
    c.envelope = envelope;
    c.aarq(None, None);
    c.meter.advance(START + 40 * 900);
    let Ok(Data::Array(rows)) = c.get(7, PROFILE, 2, None) else {
        panic!("buffer")
    };
    assert_eq!(rows.len(), 40);
    assert!(c.answer_lengths.len() > 10, "{:?}", c.answer_lengths);
    assert!(
        c.answer_lengths.iter().all(|&n| n <= 128),
        "{:?}",
        c.answer_lengths
    );
    // The blocks are as full as the limit allows.
    assert!(
        c.answer_lengths.iter().any(|&n| n >= 120),
        "{:?}",
        c.answer_lengths
    );
}

#[test]
fn ciphered_blocks_fit_the_clients_max_receive_pdu_size() {
    ciphered_blocks_fit(
        SecurityPolicy::AuthenticatedEncrypted,
        Envelope::ServiceSpecific(KeyKind::Global),
    );
}

#[test]
fn general_glo_ciphered_blocks_with_the_system_title_fit_too() {
    ciphered_blocks_fit(
        SecurityPolicy::Authenticated,
        Envelope::General(KeyKind::Global),
    );
}
