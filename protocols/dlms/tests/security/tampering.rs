//! Changes on the way: the ciphered tag of a service-specific APDU, which the GCM tag does not
//! cover (DLMS UA 1000-2 Ed. 10, 9.2.7.2.4.2: the AAD is SC || AK), must name the service the
//! plaintext is; and any single changed byte of an authenticated APDU makes it fail.

use super::vectors::{glo_get_request, GET_CLOCK};
use super::{hex, keys, AK, EK, SENDER_TITLE};
use fieldbridge_dlms::security::{
    encrypt, CipheredApdu, CipheredTag, Envelope, KeyKind, Keys, SecurityControl, SecurityPolicy,
};
use fieldbridge_dlms::Error;
use proptest::prelude::*;

const TAG_ALTERED: Error = Error::AuthenticationFailed {
    offset: 0,
    what: "ciphered APDU tag",
};

/// The glo- tags of every service but get-request (200).
const OTHER_GLO_TAGS: [u8; 15] = [
    33, 37, 38, 40, 44, 45, 46, 54, 56, // initiate and SN services
    201, 202, 203, 204, 205, 207, // set, event-notification, action, get/set/action-response
];

#[test]
fn the_green_book_glo_get_request_under_another_glo_tag_is_refused() {
    let mut out = Vec::new();
    for tag in OTHER_GLO_TAGS {
        let mut bytes = glo_get_request();
        bytes[0] = tag;
        let apdu = CipheredApdu::decode(&bytes).unwrap();
        assert_eq!(
            apdu.decrypt(&keys(), Some(&SENDER_TITLE), &mut out),
            Err(TAG_ALTERED),
            "{:?}",
            CipheredTag(tag).name()
        );
        assert!(out.is_empty(), "no plaintext is handed out");
    }
}

#[test]
fn the_dlms_cosem_glo_initiate_request_under_a_get_request_tag_is_refused() {
    // u9n/dlms-cosem tests/test_xdlms/test_initiate.py: tag 0x21, length 48, SC 0x30, FC,
    // ciphertext (31), GCM tag; sent as a glo-get-request (0xC8) and a glo-initiate-response
    // (0x28).
    let original = hex(concat!(
        "2130300123456780",
        "1302FF8A7874133D414CED25B42534D28DB0047720606B175BD52211BE68",
        "41DB204D39EE6FDB8E356855",
    ));
    let mut out = Vec::new();
    for tag in [0xC8, 0x28] {
        let mut bytes = original.clone();
        bytes[0] = tag;
        let apdu = CipheredApdu::decode(&bytes).unwrap();
        assert_eq!(
            apdu.decrypt(&keys(), Some(&SENDER_TITLE), &mut out),
            Err(TAG_ALTERED)
        );
    }
    let apdu = CipheredApdu::decode(&original).unwrap();
    assert_eq!(
        apdu.decrypt(&keys(), Some(&SENDER_TITLE), &mut out)
            .unwrap()[0],
        0x01,
        "an initiate-request"
    );
}

#[test]
fn an_encryption_only_apdu_under_another_tag_is_refused() {
    let mut bytes = Vec::new();
    encrypt(
        Envelope::ServiceSpecific(KeyKind::Global),
        SecurityControl::new(SecurityPolicy::Encrypted),
        1,
        &SENDER_TITLE,
        &keys(),
        &GET_CLOCK,
        &mut bytes,
    )
    .unwrap();
    bytes[0] = CipheredTag::GLO_SET_REQUEST.0;
    let apdu = CipheredApdu::decode(&bytes).unwrap();
    let mut out = Vec::new();
    assert_eq!(
        apdu.decrypt_with_policy(
            &keys(),
            SecurityPolicy::Encrypted,
            Some(&SENDER_TITLE),
            &mut out
        ),
        Err(TAG_ALTERED)
    );
}

/// All four keys, each different, so that a changed tag or key-set bit picks a wrong key.
fn all_keys() -> Keys {
    Keys {
        global_unicast: Some(EK),
        global_broadcast: Some([0xB0; 16]),
        dedicated: Some([0xDE; 16]),
        authentication: Some(AK),
    }
}

/// Valid authenticated APDUs: the Green Book glo-get-request, and others built here under each
/// authenticated policy and envelope.
fn valid_apdus() -> Vec<(Vec<u8>, SecurityPolicy)> {
    let mut apdus = vec![(glo_get_request(), SecurityPolicy::AuthenticatedEncrypted)];
    for policy in [
        SecurityPolicy::Authenticated,
        SecurityPolicy::AuthenticatedEncrypted,
    ] {
        for envelope in [
            Envelope::ServiceSpecific(KeyKind::Global),
            Envelope::ServiceSpecific(KeyKind::Dedicated),
            Envelope::General(KeyKind::Global),
            Envelope::General(KeyKind::Dedicated),
        ] {
            let mut out = Vec::new();
            encrypt(
                envelope,
                SecurityControl::new(policy),
                0x0102_0304,
                &SENDER_TITLE,
                &all_keys(),
                &GET_CLOCK,
                &mut out,
            )
            .unwrap();
            apdus.push((out, policy));
        }
    }
    apdus
}

/// Whether `bytes` decodes and decrypts, with and without the policy it was built with.
fn accepted(bytes: &[u8], policy: SecurityPolicy) -> bool {
    let Ok(apdu) = CipheredApdu::decode(bytes) else {
        return false;
    };
    let mut out = Vec::new();
    let plain = apdu
        .decrypt(&all_keys(), Some(&SENDER_TITLE), &mut out)
        .is_ok();
    let configured = apdu
        .decrypt_with_policy(&all_keys(), policy, Some(&SENDER_TITLE), &mut out)
        .is_ok();
    plain || configured
}

#[test]
fn every_valid_apdu_used_below_is_accepted_unchanged() {
    for (bytes, policy) in valid_apdus() {
        assert!(accepted(&bytes, policy), "{bytes:02X?}");
    }
}

#[test]
fn every_single_byte_change_of_the_green_book_glo_get_request_is_refused() {
    let original = glo_get_request();
    for at in 0..original.len() {
        for xor in 1..=255u8 {
            let mut bytes = original.clone();
            bytes[at] ^= xor;
            assert!(
                !accepted(&bytes, SecurityPolicy::AuthenticatedEncrypted),
                "byte {at} ^ {xor:#04x}"
            );
        }
    }
}

proptest! {
    #[test]
    fn any_single_byte_change_of_an_authenticated_apdu_is_refused(
        which in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        xor in 1..=255u8,
    ) {
        let apdus = valid_apdus();
        let (original, policy) = which.get(&apdus);
        let mut bytes = original.clone();
        let at = at.index(bytes.len());
        bytes[at] ^= xor;
        prop_assert!(!accepted(&bytes, *policy), "byte {} ^ {:#04x}", at, xor);
    }
}
