//! The receiver, not the APDU, decides the security policy (DLMS UA 1000-2 Ed. 10, 9.2.7.2.3):
//! a security control byte without the authentication bit is refused by `decrypt`, an
//! association with a configured policy accepts that policy exactly, and only an authenticated
//! frame counter moves a `CounterGuard`.

use super::vectors::{glo_get_request, GET_CLOCK};
use super::{keys, SENDER_TITLE};
use fieldbridge_dlms::security::{
    encrypt, CipheredApdu, CounterGuard, Envelope, KeyKind, Keys, SecurityControl, SecurityPolicy,
};
use fieldbridge_dlms::Error;

/// The error `decrypt` gives for an APDU whose security control `found` lacks the
/// authentication bit.
fn unauthenticated(found: u8) -> Error {
    Error::BadByte {
        offset: 2,
        what: "security control",
        expected: "the authentication bit (0x10) set: encryption only is read with \
                   decrypt_with_policy",
        found,
    }
}

/// A glo-get-request carrying [`GET_CLOCK`] under the Green Book keys with `policy`.
fn glo_get(policy: SecurityPolicy, counter: u32) -> Vec<u8> {
    let mut out = Vec::new();
    encrypt(
        Envelope::ServiceSpecific(KeyKind::Global),
        SecurityControl::new(policy),
        counter,
        &SENDER_TITLE,
        &keys(),
        &GET_CLOCK,
        &mut out,
    )
    .unwrap();
    out
}

#[test]
fn the_green_book_glo_get_request_downgraded_to_encryption_only_is_refused() {
    let mut bytes = glo_get_request();
    bytes[2] = 0x20; // security control: authentication bit cleared
    let apdu = CipheredApdu::decode(&bytes).unwrap();
    let mut out = Vec::new();
    let err = apdu
        .decrypt(&keys(), Some(&SENDER_TITLE), &mut out)
        .unwrap_err();
    assert_eq!(err, unauthenticated(0x20));
    assert_eq!(
        err.to_string(),
        "bad security control 0x20 at byte 2: expected the authentication bit (0x10) set: \
         encryption only is read with decrypt_with_policy"
    );
    assert!(out.is_empty());
    // A chosen change of the ciphertext (get-request's attribute 2 made 3) is refused alike.
    bytes[7 + 11] ^= 0x02 ^ 0x03;
    let apdu = CipheredApdu::decode(&bytes).unwrap();
    assert_eq!(
        apdu.decrypt(&keys(), Some(&SENDER_TITLE), &mut out),
        Err(unauthenticated(0x20))
    );
    // An association configured for authenticated encryption refuses it too.
    assert_eq!(
        apdu.decrypt_with_policy(
            &keys(),
            SecurityPolicy::AuthenticatedEncrypted,
            Some(&SENDER_TITLE),
            &mut out
        ),
        Err(Error::BadByte {
            offset: 2,
            what: "security control",
            expected: "authentication and encryption (0x30), the association's security policy",
            found: 0x20
        })
    );
}

#[test]
fn the_green_book_glo_get_request_downgraded_to_authentication_only_fails_the_tag() {
    let mut bytes = glo_get_request();
    bytes[2] = 0x10; // security control: encryption bit cleared
    let apdu = CipheredApdu::decode(&bytes).unwrap();
    let mut out = Vec::new();
    assert_eq!(
        apdu.decrypt(&keys(), Some(&SENDER_TITLE), &mut out),
        Err(Error::AuthenticationFailed {
            offset: 2,
            what: "GCM tag"
        })
    );
}

#[test]
fn an_unauthenticated_apdu_cannot_poison_the_guard() {
    // glo-get-request, length 6, SC 0x20 (encryption only), FC 0xFFFFFFFF, one octet: needs
    // no key to forge.
    let forged = [0xC8, 0x06, 0x20, 0xFF, 0xFF, 0xFF, 0xFF, 0x00];
    let apdu = CipheredApdu::decode(&forged).unwrap();
    let mut guard = CounterGuard::new();
    let mut out = Vec::new();
    assert_eq!(
        apdu.decrypt_guarded(&keys(), Some(&SENDER_TITLE), &mut guard, &mut out),
        Err(unauthenticated(0x20))
    );
    for policy in SecurityPolicy::ALL {
        let _ = apdu.decrypt_guarded_with_policy(
            &keys(),
            policy,
            Some(&SENDER_TITLE),
            &mut guard,
            &mut out,
        );
    }
    assert_eq!(guard.last(), None, "the guard has not moved");
    // The genuine frame that follows is accepted.
    let genuine = glo_get_request();
    let apdu = CipheredApdu::decode(&genuine).unwrap();
    let plain = apdu
        .decrypt_guarded(&keys(), Some(&SENDER_TITLE), &mut guard, &mut out)
        .unwrap();
    assert_eq!(plain, GET_CLOCK);
    assert_eq!(guard.last(), Some(0x0123_4567));
}

#[test]
fn an_encryption_only_frame_is_read_but_never_moves_the_guard() {
    let bytes = glo_get(SecurityPolicy::Encrypted, u32::MAX);
    let apdu = CipheredApdu::decode(&bytes).unwrap();
    let mut guard = CounterGuard::after(10);
    let mut out = Vec::new();
    let plain = apdu
        .decrypt_guarded_with_policy(
            &keys(),
            SecurityPolicy::Encrypted,
            Some(&SENDER_TITLE),
            &mut guard,
            &mut out,
        )
        .unwrap();
    assert_eq!(plain, GET_CLOCK);
    assert_eq!(guard.last(), Some(10));
    // The guard is still checked: a counter not above the one restored is refused.
    let old = glo_get(SecurityPolicy::Encrypted, 10);
    let apdu = CipheredApdu::decode(&old).unwrap();
    assert_eq!(
        apdu.decrypt_guarded_with_policy(
            &keys(),
            SecurityPolicy::Encrypted,
            Some(&SENDER_TITLE),
            &mut guard,
            &mut out,
        ),
        Err(Error::Replay {
            offset: 3,
            last: 10,
            found: 10
        })
    );
}

#[test]
fn an_authenticated_frame_read_with_its_policy_moves_the_guard() {
    let bytes = glo_get(SecurityPolicy::Authenticated, 11);
    let apdu = CipheredApdu::decode(&bytes).unwrap();
    let mut guard = CounterGuard::after(10);
    let mut out = Vec::new();
    apdu.decrypt_guarded_with_policy(
        &keys(),
        SecurityPolicy::Authenticated,
        Some(&SENDER_TITLE),
        &mut guard,
        &mut out,
    )
    .unwrap();
    assert_eq!(guard.last(), Some(11));
}

#[test]
fn encryption_only_is_read_with_decrypt_with_policy_and_refused_by_decrypt() {
    let bytes = glo_get(SecurityPolicy::Encrypted, 1);
    let apdu = CipheredApdu::decode(&bytes).unwrap();
    let mut out = Vec::new();
    let plain = apdu
        .decrypt_with_policy(
            &keys(),
            SecurityPolicy::Encrypted,
            Some(&SENDER_TITLE),
            &mut out,
        )
        .unwrap();
    assert_eq!(plain, GET_CLOCK);
    assert_eq!(
        apdu.decrypt(&keys(), Some(&SENDER_TITLE), &mut out),
        Err(unauthenticated(0x20))
    );
    assert!(out.is_empty());
}

#[test]
fn a_policy_other_than_the_configured_one_is_refused_whether_weaker_or_stronger() {
    let expected = |policy| match policy {
        SecurityPolicy::Authenticated => {
            "authentication only (0x10), the association's security policy"
        }
        SecurityPolicy::Encrypted => "encryption only (0x20), the association's security policy",
        SecurityPolicy::AuthenticatedEncrypted => {
            "authentication and encryption (0x30), the association's security policy"
        }
    };
    let mut out = Vec::new();
    for sent in SecurityPolicy::ALL {
        let bytes = glo_get(sent, 1);
        let apdu = CipheredApdu::decode(&bytes).unwrap();
        for configured in SecurityPolicy::ALL {
            let got = apdu.decrypt_with_policy(&keys(), configured, Some(&SENDER_TITLE), &mut out);
            if sent == configured {
                assert_eq!(got, Ok(&GET_CLOCK[..]));
            } else {
                assert_eq!(
                    got,
                    Err(Error::BadByte {
                        offset: 2,
                        what: "security control",
                        expected: expected(configured),
                        found: SecurityControl::new(sent).0
                    }),
                    "sent {sent:?}, configured {configured:?}"
                );
                assert!(out.is_empty());
            }
        }
    }
}

#[test]
fn a_guard_at_the_last_counter_refuses_every_later_frame() {
    let mut guard = CounterGuard::new();
    let mut out = Vec::new();
    let last = glo_get(SecurityPolicy::AuthenticatedEncrypted, u32::MAX);
    let apdu = CipheredApdu::decode(&last).unwrap();
    apdu.decrypt_guarded(&keys(), Some(&SENDER_TITLE), &mut guard, &mut out)
        .unwrap();
    assert_eq!(guard.last(), Some(u32::MAX));
    for counter in [u32::MAX, 0, 1] {
        let next = glo_get(SecurityPolicy::AuthenticatedEncrypted, counter);
        let apdu = CipheredApdu::decode(&next).unwrap();
        assert_eq!(
            apdu.decrypt_guarded(&keys(), Some(&SENDER_TITLE), &mut guard, &mut out),
            Err(Error::Replay {
                offset: 3,
                last: u32::MAX,
                found: counter
            })
        );
        assert!(out.is_empty());
    }
}

#[test]
fn the_broadcast_key_bit_is_refused_with_the_dedicated_key() {
    let keys = Keys {
        dedicated: Some([0xDD; 16]),
        global_broadcast: Some([0xBB; 16]),
        ..keys()
    };
    let control = SecurityControl::new(SecurityPolicy::AuthenticatedEncrypted).with_broadcast_key();
    let mut out = vec![0xAA];
    for envelope in [
        Envelope::ServiceSpecific(KeyKind::Dedicated),
        Envelope::General(KeyKind::Dedicated),
    ] {
        assert_eq!(
            encrypt(
                envelope,
                control,
                1,
                &SENDER_TITLE,
                &keys,
                &GET_CLOCK,
                &mut out
            ),
            Err(Error::BadByte {
                offset: 0,
                what: "security control",
                expected: "the unicast key set (bit 6 clear) with the dedicated key",
                found: 0x70
            })
        );
        assert_eq!(out, [0xAA], "nothing written");
    }
    // A ded-get-request whose bit 6 was set on the way.
    let mut bytes = Vec::new();
    encrypt(
        Envelope::ServiceSpecific(KeyKind::Dedicated),
        SecurityControl::new(SecurityPolicy::AuthenticatedEncrypted),
        1,
        &SENDER_TITLE,
        &keys,
        &GET_CLOCK,
        &mut bytes,
    )
    .unwrap();
    bytes[2] |= 0x40; // security control: broadcast key set
    let apdu = CipheredApdu::decode(&bytes).unwrap();
    let mut out = Vec::new();
    assert_eq!(
        apdu.decrypt(&keys, Some(&SENDER_TITLE), &mut out),
        Err(Error::BadByte {
            offset: 2,
            what: "security control",
            expected: "the unicast key set (bit 6 clear) with the dedicated key",
            found: 0x70
        })
    );
}
