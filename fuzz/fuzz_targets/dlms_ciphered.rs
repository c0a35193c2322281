//! DLMS security suite 0 (DLMS UA 1000-2 Ed. 10 clause 9.2) under fixed keys: the Green Book's
//! global unicast key 000102..0F and authentication key D0D1..DF (plus a broadcast and a
//! dedicated key), server system title 4D4D4D0000BC614E.
//!
//! Byte 0 selects the mode.
//! - Even: raw. Bits 1-2 pick the system title given to `decrypt` (the Green Book one, none,
//!   another), bits 3-4 the key set (all four keys, the Green Book pair, no authentication key,
//!   none); the rest is a ciphered APDU. `CipheredApdu::decode` never panics, and what decodes
//!   re-encodes to its bytes (lengths in the fewest octets). `decrypt` never panics and fails only
//!   with AuthenticationFailed, Unsupported, BadByte or Key; `decrypt_guarded` agrees with it and
//!   moves the guard only on success. Whatever decrypts re-encrypts, with the same control,
//!   counter, title and keys, to the same content (security header, information and tag), and to
//!   the same APDU when the plaintext's service has the APDU's service-specific tag. The first
//!   17 octets also go through `verify_hls_gmac` against a challenge cut from the rest.
//! - Odd: built. Byte 1 is the security control, byte 2 the envelope (bit 0: general, bit 1:
//!   dedicated key), byte 3 the offset of a byte to flip, byte 4 the XOR mask (0: no flip),
//!   bytes 5..=8 the frame counter, the rest the plaintext. `encrypt` fails exactly when the
//!   standard says it must; what it builds decodes into its fields and decrypts to the plaintext.
//!   The flipped APDU is always refused when authentication is on, but for the two bytes the
//!   standard leaves unauthenticated: the APDU tag, and a security control that drops the
//!   authentication bit (a downgrade only the receiver's policy can catch). With encryption only
//!   a flipped information byte flips the same plaintext byte.
#![no_main]
use fieldbridge_dlms::security::{
    encrypt, hls_gmac, verify_hls_gmac, CipheredApdu, CipheredTag, CounterGuard, Envelope, KeyKind,
    Keys, SecurityControl, SecurityPolicy, SystemTitle, HEADER_LEN, HLS_GMAC_LEN, TAG_LEN,
};
use fieldbridge_dlms::Error;

#[path = "../common/dlms_axdr_canon.rs"]
mod canon;
use canon::put_length;

const EK: [u8; 16] = [
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F,
];
const AK: [u8; 16] = [
    0xD0, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9, 0xDA, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF,
];
const BK: [u8; 16] = [0xB0; 16];
const DK: [u8; 16] = [
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF,
];
const TITLE: SystemTitle = [0x4D, 0x4D, 0x4D, 0x00, 0x00, 0xBC, 0x61, 0x4E];
const OTHER_TITLE: SystemTitle = [0x4D, 0x4D, 0x4D, 0x00, 0x00, 0x00, 0x00, 0x01];

fn all_keys() -> Keys {
    Keys {
        global_unicast: Some(EK),
        global_broadcast: Some(BK),
        dedicated: Some(DK),
        authentication: Some(AK),
    }
}

/// The APDU with its lengths in the fewest octets: tag, title, content.
fn canonical(apdu: &CipheredApdu<'_>, input: &[u8]) -> Vec<u8> {
    let mut out = vec![apdu.tag().0];
    if let Some(title) = apdu.system_title() {
        out.push(8);
        out.extend_from_slice(title);
    }
    let content = &input[apdu.header_offset()..];
    put_length(&mut out, content.len());
    out.extend_from_slice(content);
    out
}

/// The content (security header, information, tag) of an APDU `encrypt` wrote.
fn content_of(wire: &[u8]) -> &[u8] {
    CipheredApdu::decode(wire)
        .map(|a| &wire[a.header_offset()..])
        .expect("what encrypt writes decodes")
}

fn raw(mode: u8, input: &[u8]) {
    let title = match (mode >> 1) & 3 {
        0 | 3 => Some(TITLE),
        1 => None,
        _ => Some(OTHER_TITLE),
    };
    let keys = match (mode >> 3) & 3 {
        0 => all_keys(),
        1 => Keys::new(EK, AK),
        2 => Keys {
            authentication: None,
            ..all_keys()
        },
        _ => Keys::default(),
    };

    // HLS-GMAC: any reply verifies or fails cleanly; a reply we compute verifies.
    if let Some((reply, challenge)) = input.split_at_checked(HLS_GMAC_LEN.min(input.len())) {
        let _ = verify_hls_gmac(&EK, &AK, &TITLE, challenge, reply);
        if let Ok(mac) = hls_gmac(&EK, &AK, &TITLE, 7, challenge) {
            assert_eq!(
                verify_hls_gmac(&EK, &AK, &TITLE, challenge, &mac),
                Ok(7),
                "our own f(challenge) verifies"
            );
        } else {
            assert!(
                !(8..=64).contains(&challenge.len()),
                "only a challenge outside 8..=64 octets is refused"
            );
        }
    }

    let Ok(apdu) = CipheredApdu::decode(input) else {
        return;
    };
    let tag = apdu.tag();
    let kind = tag.key().expect("a decoded APDU has a key kind");
    assert_eq!(apdu.system_title().is_some(), tag.is_general());
    let control = apdu.security_control();
    assert_eq!(apdu.auth_tag().is_some(), control.authenticated());
    let canonical = canonical(&apdu, input);
    let mut out = Vec::new();
    apdu.encode(&mut out);
    assert_eq!(out, canonical, "a decoded APDU re-encodes to its bytes");
    assert_eq!(apdu.encoded_len(), out.len());
    let again = CipheredApdu::decode(&out).expect("its encoding decodes");
    assert_eq!(
        (again.tag(), again.system_title(), again.security_control()),
        (tag, apdu.system_title(), control)
    );
    assert_eq!(again.frame_counter(), apdu.frame_counter());
    assert_eq!(again.information(), apdu.information());
    assert_eq!(again.auth_tag(), apdu.auth_tag());
    assert_eq!(
        apdu.information().len() + HEADER_LEN + if control.authenticated() { TAG_LEN } else { 0 },
        input.len() - apdu.header_offset()
    );

    let mut plain = vec![0xAA; 3];
    let result = apdu
        .decrypt(&keys, title.as_ref(), &mut plain)
        .map(<[u8]>::to_vec);
    let mut guard = CounterGuard::new();
    let mut guarded_out = Vec::new();
    let guarded = apdu
        .decrypt_guarded(&keys, title.as_ref(), &mut guard, &mut guarded_out)
        .map(<[u8]>::to_vec);
    assert_eq!(guarded, result, "a fresh guard changes nothing");
    assert_eq!(
        guard.last(),
        result.as_ref().ok().map(|_| apdu.frame_counter()),
        "the guard moves only on success"
    );
    if result.is_ok() {
        let mut replay = Vec::new();
        assert!(matches!(
            apdu.decrypt_guarded(&keys, title.as_ref(), &mut guard, &mut replay),
            Err(Error::Replay { .. })
        ));
    }
    let plaintext = match result {
        Ok(plaintext) => plaintext,
        Err(e) => {
            assert!(plain.is_empty(), "out is empty after an error");
            assert!(
                matches!(
                    e,
                    Error::AuthenticationFailed { .. }
                        | Error::Unsupported { .. }
                        | Error::BadByte { .. }
                        | Error::Key { .. }
                ),
                "decrypt fails with {e:?}"
            );
            return;
        }
    };
    assert_eq!(plaintext.len(), apdu.information().len());
    if control.policy() == Some(SecurityPolicy::Authenticated) {
        assert_eq!(
            plaintext,
            apdu.information(),
            "authentication only sends the plaintext"
        );
    }

    // Re-encryption with the same control, counter, title and keys.
    let sender = *apdu
        .system_title()
        .or(title.as_ref())
        .expect("a title was used");
    let mut wire = Vec::new();
    let general = encrypt(
        Envelope::General(kind),
        control,
        apdu.frame_counter(),
        &sender,
        &keys,
        &plaintext,
        &mut wire,
    );
    if plaintext.is_empty() {
        assert!(
            matches!(general, Err(Error::BadLength { .. })),
            "an empty plaintext is refused: {general:?}"
        );
        assert!(wire.is_empty());
        return;
    }
    general.expect("what decrypts re-encrypts");
    assert_eq!(
        content_of(&wire),
        &input[apdu.header_offset()..],
        "re-encryption gives the same content"
    );
    if tag.is_general() {
        assert_eq!(wire, canonical, "and the same general-ciphering APDU");
    } else if CipheredTag::for_plain(plaintext[0], kind) == Some(tag) {
        wire.clear();
        encrypt(
            Envelope::ServiceSpecific(kind),
            control,
            apdu.frame_counter(),
            &sender,
            &keys,
            &plaintext,
            &mut wire,
        )
        .expect("the service-specific form re-encrypts");
        assert_eq!(wire, canonical, "and the same service-specific APDU");
    }
}

fn built(data: &[u8]) {
    if data.len() < 8 {
        return;
    }
    let control = SecurityControl(data[0]);
    let envelope = match data[1] & 3 {
        0 => Envelope::ServiceSpecific(KeyKind::Global),
        1 => Envelope::General(KeyKind::Global),
        2 => Envelope::ServiceSpecific(KeyKind::Dedicated),
        _ => Envelope::General(KeyKind::Dedicated),
    };
    let (flip_at, mask) = (usize::from(data[2]), data[3]);
    let counter = u32::from_be_bytes([data[4], data[5], data[6], data[7]]);
    let plaintext = &data[8..];
    let keys = all_keys();

    let mut wire = vec![0xEE];
    let result = encrypt(
        envelope, control, counter, &TITLE, &keys, plaintext, &mut wire,
    );
    let expected_failure = if control.compressed() || control.suite() != 0 {
        Some("Unsupported")
    } else if control.policy().is_none() {
        Some("BadByte")
    } else if plaintext.is_empty() {
        Some("BadLength")
    } else if control.broadcast_key()
        && matches!(
            envelope,
            Envelope::ServiceSpecific(KeyKind::Dedicated) | Envelope::General(KeyKind::Dedicated)
        )
    {
        // The broadcast key bit names a global key: refused with the dedicated key.
        Some("BadByte")
    } else if matches!(envelope, Envelope::ServiceSpecific(kind)
        if CipheredTag::for_plain(plaintext[0], kind).is_none())
    {
        Some("BadByte")
    } else {
        None
    };
    match (&result, expected_failure) {
        (Ok(()), None) => {}
        (Err(e), Some(name)) => {
            assert!(format!("{e:?}").starts_with(name), "{e:?}, expected {name}");
            assert_eq!(wire, [0xEE], "nothing written on error");
            return;
        }
        _ => panic!("encrypt gave {result:?}, expected {expected_failure:?}"),
    }
    let wire = wire.split_off(1);
    let policy = control.policy().expect("checked above");

    let apdu = CipheredApdu::decode(&wire).expect("what encrypt builds decodes");
    let (kind, general) = match envelope {
        Envelope::General(kind) => (kind, true),
        Envelope::ServiceSpecific(kind) => (kind, false),
    };
    assert_eq!(apdu.tag().key(), Some(kind));
    assert_eq!(apdu.tag().is_general(), general);
    if !general {
        assert_eq!(apdu.tag().service(), Some((plaintext[0], kind)));
    }
    assert_eq!(apdu.system_title(), general.then_some(&TITLE));
    assert_eq!(apdu.security_control(), control);
    assert_eq!(apdu.frame_counter(), counter);
    assert_eq!(apdu.information().len(), plaintext.len());
    assert_eq!(apdu.auth_tag().is_some(), policy.authenticated());
    if policy == SecurityPolicy::Authenticated {
        assert_eq!(apdu.information(), plaintext);
    }
    let mut out = Vec::new();
    apdu.encode(&mut out);
    assert_eq!(out, wire, "the envelope re-encodes");
    let mut plain = Vec::new();
    assert_eq!(
        apdu.decrypt_with_policy(&keys, policy, Some(&TITLE), &mut plain),
        Ok(plaintext),
        "what encrypt builds decrypts"
    );
    if general {
        assert_eq!(
            apdu.decrypt_with_policy(&keys, policy, None, &mut plain),
            Ok(plaintext)
        );
        assert!(matches!(
            apdu.decrypt_with_policy(&keys, policy, Some(&OTHER_TITLE), &mut plain),
            Err(Error::AuthenticationFailed { .. })
        ));
    } else if policy.authenticated() {
        assert!(matches!(
            apdu.decrypt_with_policy(&keys, policy, Some(&OTHER_TITLE), &mut plain),
            Err(Error::AuthenticationFailed { .. })
        ));
    }
    let mut guard = CounterGuard::after(counter);
    assert!(matches!(
        apdu.decrypt_guarded_with_policy(&keys, policy, Some(&TITLE), &mut guard, &mut plain),
        Err(Error::Replay { .. })
    ));
    if let Some(before) = counter.checked_sub(1) {
        let mut guard = CounterGuard::after(before);
        assert_eq!(
            apdu.decrypt_guarded_with_policy(&keys, policy, Some(&TITLE), &mut guard, &mut plain),
            Ok(plaintext)
        );
        // Without a tag nothing proves the counter: the guard only moves on an authenticated APDU.
        let moved = if policy.authenticated() {
            counter
        } else {
            before
        };
        assert_eq!(guard.last(), Some(moved));
    }

    if mask == 0 {
        return;
    }
    let at = flip_at % wire.len();
    let mut flipped = wire.clone();
    flipped[at] ^= mask;
    let Ok(altered) = CipheredApdu::decode(&flipped) else {
        return;
    };
    let header = apdu.header_offset();
    // The receiver reads with the policy it expects, so a security control switched to another
    // policy is refused too.
    let Ok(got) = altered.decrypt_with_policy(&keys, policy, Some(&TITLE), &mut plain) else {
        return;
    };
    if policy.authenticated() {
        // Accepted with authentication on: only an unauthenticated APDU tag that still names
        // the same service (a service-specific tag swapped for general-ciphering or back).
        assert!(
            at == 0,
            "a flipped byte at {at} (mask {mask:#04x}) of {wire:02X?} was accepted"
        );
    } else if at >= header + HEADER_LEN {
        // Encryption only is malleable: the same plaintext byte flips.
        let mut expected = plaintext.to_vec();
        expected[at - header - HEADER_LEN] ^= mask;
        assert_eq!(got, expected);
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        raw(mode, rest);
    } else {
        built(rest);
    }
});
