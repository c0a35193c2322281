use super::{keys, CLIENT_TITLE, SENDER_TITLE};
use fieldbridge_dlms::security::{
    encrypt, strategy, CipheredApdu, CounterGuard, Envelope, KeyKind, Keys, SecurityControl,
    SecurityPolicy,
};
use fieldbridge_dlms::Error;
use proptest::prelude::*;

fn all_keys(ek: [u8; 16], ak: [u8; 16], bk: [u8; 16], dk: [u8; 16]) -> Keys {
    Keys {
        global_unicast: Some(ek),
        global_broadcast: Some(bk),
        dedicated: Some(dk),
        authentication: Some(ak),
    }
}

#[test]
fn every_policy_and_envelope_round_trips() {
    let keys = all_keys([1; 16], [2; 16], [3; 16], [4; 16]);
    let plain = [0xC4, 0x01, 0xC1, 0x00, 0x06, 0x00, 0x00, 0x00, 0x2A];
    let mut wire = Vec::new();
    let mut out = Vec::new();
    for policy in SecurityPolicy::ALL {
        for broadcast in [false, true] {
            for envelope in [
                Envelope::ServiceSpecific(KeyKind::Global),
                Envelope::ServiceSpecific(KeyKind::Dedicated),
                Envelope::General(KeyKind::Global),
                Envelope::General(KeyKind::Dedicated),
            ] {
                let mut control = SecurityControl::new(policy);
                if broadcast {
                    control = control.with_broadcast_key();
                }
                wire.clear();
                let built = encrypt(
                    envelope,
                    control,
                    7,
                    &SENDER_TITLE,
                    &keys,
                    &plain,
                    &mut wire,
                );
                let dedicated = matches!(
                    envelope,
                    Envelope::ServiceSpecific(KeyKind::Dedicated)
                        | Envelope::General(KeyKind::Dedicated)
                );
                if broadcast && dedicated {
                    // The dedicated key has no broadcast form.
                    assert!(matches!(built, Err(Error::BadByte { .. })), "{envelope:?}");
                    continue;
                }
                built.unwrap();
                let apdu = CipheredApdu::decode(&wire).unwrap();
                assert_eq!(apdu.security_control(), control);
                let got = apdu
                    .decrypt_with_policy(&keys, policy, Some(&SENDER_TITLE), &mut out)
                    .unwrap();
                assert_eq!(got, plain, "{policy:?} {envelope:?} broadcast {broadcast}");
                // Without a configured policy only the authenticated ones are read.
                assert_eq!(
                    apdu.decrypt(&keys, Some(&SENDER_TITLE), &mut out).is_ok(),
                    policy.authenticated()
                );
                if policy.encrypted() {
                    assert!(!wire.windows(plain.len()).any(|w| w == plain));
                } else {
                    assert!(wire.windows(plain.len()).any(|w| w == plain));
                }
            }
        }
    }
}

#[test]
fn a_guard_accepts_increasing_counters_and_remembers_the_last() {
    let keys = keys();
    let mut guard = CounterGuard::new();
    let mut wire = Vec::new();
    let mut out = Vec::new();
    for counter in [0u32, 1, 5, u32::MAX] {
        wire.clear();
        encrypt(
            Envelope::ServiceSpecific(KeyKind::Global),
            SecurityControl::new(SecurityPolicy::AuthenticatedEncrypted),
            counter,
            &CLIENT_TITLE,
            &keys,
            &[0xC0, 0x01],
            &mut wire,
        )
        .unwrap();
        let apdu = CipheredApdu::decode(&wire).unwrap();
        apdu.decrypt_guarded(&keys, Some(&CLIENT_TITLE), &mut guard, &mut out)
            .unwrap();
        assert_eq!(guard.last(), Some(counter));
    }
    assert_eq!(CounterGuard::after(9).last(), Some(9));
}

#[test]
fn the_output_buffer_is_reused_from_frame_to_frame() {
    let keys = keys();
    let mut wire = Vec::new();
    encrypt(
        Envelope::General(KeyKind::Global),
        SecurityControl::new(SecurityPolicy::AuthenticatedEncrypted),
        3,
        &CLIENT_TITLE,
        &keys,
        &[0x0F; 200],
        &mut wire,
    )
    .unwrap();
    let apdu = CipheredApdu::decode(&wire).unwrap();
    let mut out = Vec::with_capacity(256);
    let before = out.as_ptr();
    for _ in 0..3 {
        assert_eq!(apdu.decrypt(&keys, None, &mut out).unwrap().len(), 200);
    }
    assert_eq!(out.as_ptr(), before, "no reallocation");
}

proptest! {
    #[test]
    fn any_plaintext_round_trips_under_any_policy(
        policy in strategy::security_policy(),
        ek in strategy::key(),
        ak in strategy::key(),
        title in strategy::system_title(),
        counter in any::<u32>(),
        plain in strategy::plaintext(300),
        general in any::<bool>(),
    ) {
        let keys = Keys::new(ek, ak);
        let envelope = if general {
            Envelope::General(KeyKind::Global)
        } else {
            Envelope::ServiceSpecific(KeyKind::Global)
        };
        let mut wire = Vec::new();
        encrypt(envelope, SecurityControl::new(policy), counter, &title, &keys, &plain, &mut wire).unwrap();
        let apdu = CipheredApdu::decode(&wire).unwrap();
        prop_assert_eq!(apdu.frame_counter(), counter);
        let mut reencoded = Vec::new();
        apdu.encode(&mut reencoded);
        prop_assert_eq!(&reencoded, &wire);
        prop_assert_eq!(apdu.encoded_len(), wire.len());
        let mut out = Vec::new();
        let got = apdu.decrypt_with_policy(&keys, policy, Some(&title), &mut out).unwrap();
        prop_assert_eq!(got, &plain[..]);
    }

    #[test]
    fn any_input_decodes_or_fails_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        if let Ok(apdu) = CipheredApdu::decode(&bytes) {
            let mut out = Vec::new();
            let _ = apdu.decrypt(&keys(), Some(&SENDER_TITLE), &mut out);
            for policy in SecurityPolicy::ALL {
                let _ = apdu.decrypt_with_policy(&keys(), policy, Some(&SENDER_TITLE), &mut out);
            }
        }
    }
}
