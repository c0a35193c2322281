//! The key is chosen by the APDU's tag (glo- or ded-) and the security control's key-set bit
//! (unicast or broadcast), DLMS UA 1000-2 Ed. 10, 9.2.5 and 9.2.7.2.3: a missing key is named, and
//! another kind of key in its place fails the tag.

use super::vectors::GET_CLOCK;
use super::{AK, EK, SENDER_TITLE};
use fieldbridge_dlms::security::{
    encrypt, CipheredApdu, Envelope, KeyKind, Keys, SecurityControl, SecurityPolicy,
};
use fieldbridge_dlms::Error;

const BROADCAST: [u8; 16] = [0xB0; 16];
const DEDICATED: [u8; 16] = [0xDE; 16];

/// All four keys, each different.
fn all_keys() -> Keys {
    Keys {
        global_unicast: Some(EK),
        global_broadcast: Some(BROADCAST),
        dedicated: Some(DEDICATED),
        authentication: Some(AK),
    }
}

/// A get-request under [`all_keys`], with the broadcast key when `broadcast`.
fn build(envelope: Envelope, broadcast: bool) -> Vec<u8> {
    let mut control = SecurityControl::new(SecurityPolicy::AuthenticatedEncrypted);
    if broadcast {
        control = control.with_broadcast_key();
    }
    let mut out = Vec::new();
    encrypt(
        envelope,
        control,
        1,
        &SENDER_TITLE,
        &all_keys(),
        &GET_CLOCK,
        &mut out,
    )
    .unwrap();
    out
}

fn decrypt(bytes: &[u8], keys: &Keys) -> Result<Vec<u8>, Error> {
    let apdu = CipheredApdu::decode(bytes)?;
    let mut out = Vec::new();
    apdu.decrypt(keys, Some(&SENDER_TITLE), &mut out)
        .map(<[u8]>::to_vec)
}

fn missing(what: &'static str) -> Error {
    Error::Key {
        offset: 0,
        what,
        expected: "a 16-octet AES-128 key",
    }
}

#[test]
fn each_apdu_decrypts_with_the_key_its_tag_and_key_set_name() {
    for envelope in [
        Envelope::ServiceSpecific(KeyKind::Global),
        Envelope::General(KeyKind::Global),
    ] {
        for broadcast in [false, true] {
            assert_eq!(
                decrypt(&build(envelope, broadcast), &all_keys()),
                Ok(GET_CLOCK.to_vec())
            );
        }
    }
    for envelope in [
        Envelope::ServiceSpecific(KeyKind::Dedicated),
        Envelope::General(KeyKind::Dedicated),
    ] {
        assert_eq!(
            decrypt(&build(envelope, false), &all_keys()),
            Ok(GET_CLOCK.to_vec())
        );
    }
}

#[test]
fn a_broadcast_apdu_without_the_broadcast_key_names_it() {
    let keys = Keys {
        global_broadcast: None,
        ..all_keys()
    };
    for envelope in [
        Envelope::ServiceSpecific(KeyKind::Global),
        Envelope::General(KeyKind::Global),
    ] {
        assert_eq!(
            decrypt(&build(envelope, true), &keys),
            Err(missing("global broadcast encryption key"))
        );
    }
}

#[test]
fn a_dedicated_key_apdu_with_only_the_global_key_names_the_dedicated_key() {
    let keys = Keys::new(EK, AK);
    for envelope in [
        Envelope::ServiceSpecific(KeyKind::Dedicated),
        Envelope::General(KeyKind::Dedicated),
    ] {
        assert_eq!(
            decrypt(&build(envelope, false), &keys),
            Err(missing("dedicated key"))
        );
    }
}

#[test]
fn another_kind_of_key_in_the_slot_the_apdu_names_fails_the_tag() {
    let failed = |offset| {
        Err(Error::AuthenticationFailed {
            offset,
            what: "GCM tag",
        })
    };
    // A unicast APDU read with the broadcast key as the unicast one.
    let swapped = Keys {
        global_unicast: Some(BROADCAST),
        global_broadcast: Some(EK),
        ..all_keys()
    };
    let unicast = build(Envelope::ServiceSpecific(KeyKind::Global), false);
    assert_eq!(decrypt(&unicast, &swapped), failed(2));
    // A broadcast APDU read with the unicast key as the broadcast one.
    let broadcast = build(Envelope::General(KeyKind::Global), true);
    assert_eq!(decrypt(&broadcast, &swapped), failed(11));
    // A dedicated-key APDU read with the global key as the dedicated one.
    let global_as_dedicated = Keys {
        dedicated: Some(EK),
        ..all_keys()
    };
    let dedicated = build(Envelope::ServiceSpecific(KeyKind::Dedicated), false);
    assert_eq!(decrypt(&dedicated, &global_as_dedicated), failed(2));
    // A global APDU read with the dedicated key as the global one.
    let dedicated_as_global = Keys {
        global_unicast: Some(DEDICATED),
        ..all_keys()
    };
    assert_eq!(decrypt(&unicast, &dedicated_as_global), failed(2));
}
