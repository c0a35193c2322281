use super::vectors::glo_get_request;
use super::{hex, keys, AK, EK, SENDER_TITLE};
use fieldbridge_dlms::security::{
    encrypt, CipheredApdu, CounterGuard, Envelope, KeyKind, Keys, SecurityControl, SecurityPolicy,
};
use fieldbridge_dlms::Error;

const GCM_FAILED: Error = Error::AuthenticationFailed {
    offset: 2,
    what: "GCM tag",
};

fn decrypt(bytes: &[u8], keys: &Keys) -> Result<Vec<u8>, Error> {
    let apdu = CipheredApdu::decode(bytes)?;
    let mut out = Vec::new();
    let result = apdu
        .decrypt(keys, Some(&SENDER_TITLE), &mut out)
        .map(<[u8]>::to_vec);
    if result.is_err() {
        assert!(out.is_empty(), "nothing left in the buffer after an error");
    }
    result
}

/// A general-glo-ciphering APDU under the Green Book keys with `policy`.
fn general(policy: SecurityPolicy) -> Vec<u8> {
    let mut out = Vec::new();
    encrypt(
        Envelope::General(KeyKind::Global),
        SecurityControl::new(policy),
        0x10,
        &SENDER_TITLE,
        &keys(),
        &[0x0F, 0x00, 0x00, 0x00, 0x01, 0x00, 0x12, 0x34],
        &mut out,
    )
    .unwrap();
    out
}

#[test]
fn a_wrong_encryption_key_fails_the_tag() {
    let mut wrong = EK;
    wrong[15] ^= 1;
    assert_eq!(
        decrypt(&glo_get_request(), &Keys::new(wrong, AK)),
        Err(GCM_FAILED)
    );
}

#[test]
fn a_wrong_authentication_key_fails_the_tag() {
    let mut wrong = AK;
    wrong[0] ^= 1;
    assert_eq!(
        decrypt(&glo_get_request(), &Keys::new(EK, wrong)),
        Err(GCM_FAILED)
    );
}

#[test]
fn a_flipped_ciphertext_byte_fails_the_tag() {
    let mut bytes = glo_get_request();
    bytes[10] ^= 0x80;
    assert_eq!(decrypt(&bytes, &keys()), Err(GCM_FAILED));
}

#[test]
fn a_flipped_tag_byte_fails_the_tag() {
    let mut bytes = glo_get_request();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    assert_eq!(decrypt(&bytes, &keys()), Err(GCM_FAILED));
}

#[test]
fn a_changed_frame_counter_fails_the_tag() {
    let mut bytes = glo_get_request();
    bytes[6] ^= 0x01;
    assert_eq!(decrypt(&bytes, &keys()), Err(GCM_FAILED));
}

#[test]
fn a_flipped_byte_of_an_authenticated_only_apdu_fails_the_tag() {
    let mut bytes = general(SecurityPolicy::Authenticated);
    bytes[17] ^= 0x01; // in the plaintext
    assert_eq!(
        decrypt(&bytes, &keys()),
        Err(Error::AuthenticationFailed {
            offset: 11,
            what: "GCM tag"
        })
    );
}

#[test]
fn a_wrong_system_title_fails_the_tag() {
    let apdu_bytes = glo_get_request();
    let apdu = CipheredApdu::decode(&apdu_bytes).unwrap();
    let mut title = SENDER_TITLE;
    title[7] ^= 1;
    let mut out = Vec::new();
    assert_eq!(
        apdu.decrypt(&keys(), Some(&title), &mut out),
        Err(GCM_FAILED)
    );
}

#[test]
fn a_carried_system_title_other_than_the_peers_is_refused() {
    let bytes = general(SecurityPolicy::AuthenticatedEncrypted);
    let apdu = CipheredApdu::decode(&bytes).unwrap();
    let mut title = SENDER_TITLE;
    title[0] ^= 1;
    let mut out = Vec::new();
    assert_eq!(
        apdu.decrypt(&keys(), Some(&title), &mut out),
        Err(Error::AuthenticationFailed {
            offset: 2,
            what: "system title"
        })
    );
    // A carried title that was altered on the way fails the tag.
    let mut bytes = bytes;
    bytes[2] ^= 1;
    assert!(matches!(
        decrypt(&bytes, &keys()).map(|_| ()),
        Err(Error::AuthenticationFailed { .. })
    ));
}

#[test]
fn a_replayed_counter_is_refused_and_does_not_move_the_guard() {
    let bytes = glo_get_request();
    let apdu = CipheredApdu::decode(&bytes).unwrap();
    let mut guard = CounterGuard::new();
    let mut out = Vec::new();
    apdu.decrypt_guarded(&keys(), Some(&SENDER_TITLE), &mut guard, &mut out)
        .unwrap();
    assert_eq!(
        apdu.decrypt_guarded(&keys(), Some(&SENDER_TITLE), &mut guard, &mut out),
        Err(Error::Replay {
            offset: 3,
            last: 0x0123_4567,
            found: 0x0123_4567
        })
    );
    let mut ahead = CounterGuard::after(0x0200_0000);
    assert!(matches!(
        apdu.decrypt_guarded(&keys(), Some(&SENDER_TITLE), &mut ahead, &mut out),
        Err(Error::Replay { .. })
    ));
    assert_eq!(ahead.last(), Some(0x0200_0000));
}

#[test]
fn a_forged_apdu_does_not_move_the_guard() {
    let mut bytes = glo_get_request();
    bytes[12] ^= 1;
    let apdu = CipheredApdu::decode(&bytes).unwrap();
    let mut guard = CounterGuard::after(5);
    let mut out = Vec::new();
    assert_eq!(
        apdu.decrypt_guarded(&keys(), Some(&SENDER_TITLE), &mut guard, &mut out),
        Err(GCM_FAILED)
    );
    assert_eq!(guard.last(), Some(5));
}

#[test]
fn a_missing_key_is_named() {
    let bytes = glo_get_request();
    let no_ek = Keys {
        authentication: Some(AK),
        ..Keys::default()
    };
    assert_eq!(
        decrypt(&bytes, &no_ek),
        Err(Error::Key {
            offset: 0,
            what: "global unicast encryption key",
            expected: "a 16-octet AES-128 key"
        })
    );
    let no_ak = Keys {
        global_unicast: Some(EK),
        ..Keys::default()
    };
    assert_eq!(
        decrypt(&bytes, &no_ak),
        Err(Error::Key {
            offset: 0,
            what: "authentication key",
            expected: "a 16-octet AES-128 key"
        })
    );
    let mut out = vec![0xAA];
    assert_eq!(
        encrypt(
            Envelope::ServiceSpecific(KeyKind::Dedicated),
            SecurityControl::new(SecurityPolicy::Encrypted),
            1,
            &SENDER_TITLE,
            &keys(),
            &[0xC0],
            &mut out,
        ),
        Err(Error::Key {
            offset: 0,
            what: "dedicated key",
            expected: "a 16-octet AES-128 key"
        })
    );
    assert_eq!(out, [0xAA], "nothing written on error");
}

#[test]
fn a_missing_system_title_is_named() {
    let bytes = glo_get_request();
    let apdu = CipheredApdu::decode(&bytes).unwrap();
    let mut out = Vec::new();
    assert_eq!(
        apdu.decrypt(&keys(), None, &mut out),
        Err(Error::Key {
            offset: 0,
            what: "system title",
            expected: "the sender's 8-octet system title"
        })
    );
}

#[test]
fn the_compression_bit_is_unsupported() {
    let mut bytes = glo_get_request();
    bytes[2] |= 0x80;
    assert_eq!(
        decrypt(&bytes, &keys()),
        Err(Error::Unsupported {
            offset: 2,
            what: "compression (security control bit 7)"
        })
    );
    let mut out = Vec::new();
    assert_eq!(
        encrypt(
            Envelope::General(KeyKind::Global),
            SecurityControl(0xB0),
            1,
            &SENDER_TITLE,
            &keys(),
            &[0x0F],
            &mut out
        ),
        Err(Error::Unsupported {
            offset: 0,
            what: "compression (security control bit 7)"
        })
    );
}

#[test]
fn a_suite_other_than_0_is_unsupported() {
    let mut bytes = glo_get_request();
    bytes[2] = 0x31;
    assert_eq!(
        decrypt(&bytes, &keys()),
        Err(Error::Unsupported {
            offset: 2,
            what: "security suite other than 0"
        })
    );
}

#[test]
fn a_security_control_without_protection_is_refused() {
    // glo-get-request, length 6, SC 0x00, FC 1, one octet.
    let bytes = [0xC8, 0x06, 0x00, 0x00, 0x00, 0x00, 0x01, 0xC0];
    assert_eq!(
        decrypt(&bytes, &keys()),
        Err(Error::BadByte {
            offset: 2,
            what: "security control",
            expected: "authentication (0x10), encryption (0x20) or both",
            found: 0x00
        })
    );
}

#[test]
fn general_ciphering_is_unsupported() {
    assert_eq!(
        CipheredApdu::decode(&hex("DD0801020304050607080000")),
        Err(Error::Unsupported {
            offset: 0,
            what: "general-ciphering"
        })
    );
}

#[test]
fn a_tag_that_is_no_ciphered_apdu_is_an_unknown_choice() {
    assert_eq!(
        CipheredApdu::decode(&[0xC0, 0x01]),
        Err(Error::UnknownChoice {
            offset: 0,
            what: "ciphered APDU tag",
            found: 0xC0
        })
    );
}

#[test]
fn a_length_beyond_the_input_is_refused() {
    let mut bytes = glo_get_request();
    bytes[1] = 0x1F;
    assert_eq!(
        CipheredApdu::decode(&bytes),
        Err(Error::BadLength {
            offset: 1,
            what: "ciphered content length",
            min: 0,
            max: 30,
            found: 31
        })
    );
}

#[test]
fn bytes_after_the_apdu_are_refused() {
    let mut bytes = glo_get_request();
    bytes.push(0x00);
    assert_eq!(
        CipheredApdu::decode(&bytes),
        Err(Error::TrailingBytes {
            offset: 32,
            what: "ciphered APDU",
            count: 1
        })
    );
}

#[test]
fn content_too_short_for_its_tag_is_truncated() {
    // glo-get-request, length 8: SC 0x30, FC, then 3 octets where a 12-octet tag belongs.
    let bytes = [0xC8, 0x08, 0x30, 0x00, 0x00, 0x00, 0x01, 0xAA, 0xBB, 0xCC];
    assert_eq!(
        CipheredApdu::decode(&bytes),
        Err(Error::Truncated {
            offset: 7,
            what: "authentication tag",
            needed: 9
        })
    );
}

#[test]
fn a_system_title_that_is_not_8_octets_is_refused() {
    // general-glo-ciphering with a 4-octet system title.
    let bytes = hex("DB04010203040530000000010F");
    assert_eq!(
        CipheredApdu::decode(&bytes),
        Err(Error::BadLength {
            offset: 1,
            what: "system-title length",
            min: 8,
            max: 8,
            found: 4
        })
    );
}

#[test]
fn a_plain_apdu_without_a_service_specific_form_or_empty_cannot_be_encrypted() {
    let mut out = Vec::new();
    let control = SecurityControl::new(SecurityPolicy::AuthenticatedEncrypted);
    assert!(matches!(
        encrypt(
            Envelope::ServiceSpecific(KeyKind::Global),
            control,
            1,
            &SENDER_TITLE,
            &keys(),
            &[0x0F, 0x00],
            &mut out
        ),
        Err(Error::BadByte {
            offset: 0,
            what: "plain APDU tag",
            found: 0x0F,
            ..
        })
    ));
    assert!(matches!(
        encrypt(
            Envelope::General(KeyKind::Global),
            control,
            1,
            &SENDER_TITLE,
            &keys(),
            &[],
            &mut out
        ),
        Err(Error::BadLength { found: 0, .. })
    ));
    assert!(out.is_empty());
}
