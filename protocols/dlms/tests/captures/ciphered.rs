//! Security suite 0 on the recorded ciphered APDUs (Green Book 9.2.7.2): each deciphers, with
//! `keys.json`'s keys and the sender's system title, to exactly Gurux's plaintext, and ciphers
//! back to the recorded bytes; the invocation counters run as README.md says; the HLS-GMAC
//! replies f(StoC) and f(CtoS) (Green Book 9.2.7.4, mechanism 5) verify, and a flipped byte fails;
//! the LLS AARQ carries the recorded password.

use crate::scenario::{key_file, scenarios, Dir, Frame, KeyFile};
use fieldbridge_dlms::apdu::action::{ActionRequest, ActionResponse};
use fieldbridge_dlms::apdu::association::{MechanismName, UserInformation};
use fieldbridge_dlms::apdu::get::GetDataResult;
use fieldbridge_dlms::apdu::Apdu;
use fieldbridge_dlms::axdr::Value;
use fieldbridge_dlms::obis::ObisCode;
use fieldbridge_dlms::security::{encrypt, verify_hls_gmac, CipheredApdu, Envelope, KeyKind};
use fieldbridge_dlms::Error;

/// The ciphered envelope a recorded APDU carries: the APDU itself, or an AARQ's or AARE's
/// user-information.
fn envelope<'a>(at: &str, apdu: &'a Apdu<'a>) -> Option<CipheredApdu<'a>> {
    let info = match apdu {
        Apdu::Ciphered(c) => return Some(*c),
        Apdu::Aarq(a) => a.user_information,
        Apdu::Aare(a) => a.user_information,
        _ => return None,
    };
    match info {
        Some(UserInformation::Ciphered(bytes)) => {
            Some(CipheredApdu::decode(bytes).unwrap_or_else(|e| panic!("{at}: {e}")))
        }
        _ => None,
    }
}

fn check_frame(keys: &KeyFile, scenario: &str, f: &Frame, counters: &mut [Vec<u32>; 2]) {
    let at = f.at(scenario);
    let Some(bytes) = &f.apdu else { return };
    let apdu = Apdu::decode(bytes).unwrap();
    let Some(c) = envelope(&at, &apdu) else {
        assert!(
            f.plain.is_none(),
            "{at}: Gurux deciphered it, we see no ciphering"
        );
        return;
    };
    let plain = f
        .plain
        .as_ref()
        .unwrap_or_else(|| panic!("{at}: no plain_hex"));
    let title = keys.sender_title(f.dir);
    if let Some(carried) = c.system_title() {
        assert_eq!(
            carried, title,
            "{at}: general-glo-ciphering names its sender"
        );
    }
    assert_eq!(
        c.security_control().0,
        0x30,
        "{at}: authenticated and encrypted, suite 0"
    );

    counters[usize::from(f.dir == Dir::S2c)].push(c.frame_counter());

    let mut out = Vec::new();
    let deciphered = c
        .decrypt(&keys.keys(), Some(title), &mut out)
        .unwrap_or_else(|e| panic!("{at}: {e}"));
    assert_eq!(
        hex::encode_upper(deciphered),
        hex::encode_upper(plain),
        "{at}"
    );
    Apdu::decode(plain).unwrap_or_else(|e| panic!("{at}: the plaintext: {e}"));

    // The other title does not decipher it.
    let wrong = keys.sender_title(match f.dir {
        Dir::C2s => Dir::S2c,
        Dir::S2c => Dir::C2s,
    });
    assert!(
        c.decrypt(&keys.keys(), Some(wrong), &mut out).is_err(),
        "{at}"
    );

    // Ciphered again with the same control byte, counter, title and keys: the recorded bytes.
    let kind = if c.tag().is_general() {
        Envelope::General(KeyKind::Global)
    } else {
        Envelope::ServiceSpecific(KeyKind::Global)
    };
    let mut again = Vec::new();
    encrypt(
        kind,
        c.security_control(),
        c.frame_counter(),
        title,
        &keys.keys(),
        plain,
        &mut again,
    )
    .unwrap_or_else(|e| panic!("{at}: {e}"));
    let envelope_bytes = match &apdu {
        Apdu::Ciphered(_) => bytes.clone(),
        Apdu::Aarq(a) => match a.user_information {
            Some(UserInformation::Ciphered(b)) => b.to_vec(),
            _ => unreachable!(),
        },
        Apdu::Aare(a) => match a.user_information {
            Some(UserInformation::Ciphered(b)) => b.to_vec(),
            _ => unreachable!(),
        },
        _ => unreachable!(),
    };
    assert_eq!(
        hex::encode_upper(&again),
        hex::encode_upper(&envelope_bytes),
        "{at}"
    );

    // A flipped byte of the ciphertext fails the tag.
    let mut bad = envelope_bytes.clone();
    let last = bad.len() - 13;
    bad[last] ^= 0x01;
    let bad = CipheredApdu::decode(&bad).unwrap();
    match bad.decrypt(&keys.keys(), Some(title), &mut out) {
        Err(Error::AuthenticationFailed { .. }) => {}
        other => panic!("{at}: a flipped byte gave {other:?}"),
    }
}

#[test]
fn every_ciphered_apdu_deciphers_to_gurux_plaintext_and_ciphers_back_byte_for_byte() {
    let keys = key_file();
    for s in scenarios() {
        let mut counters = [Vec::new(), Vec::new()];
        for f in &s.frames {
            check_frame(&keys, &s.name, f, &mut counters);
        }
        // The invocation counters, one per use of the key (README.md): the AARQ takes the
        // client's first (16), the GMAC f(StoC) the next (17), then the envelope carrying it
        // and every later request one each; the same on the server's side from 256.
        let expected = |first: u32| -> Vec<u32> {
            if s.ciphered() {
                std::iter::once(first).chain(first + 2..first + 9).collect()
            } else {
                Vec::new()
            }
        };
        let expected = [
            expected(keys.client_first_counter),
            expected(keys.server_first_counter),
        ];
        assert_eq!(counters, expected, "{}: invocation counters", s.name);
    }
}

/// The APDU of a frame in clear: the recorded one, or the deciphered one.
fn clear(f: &Frame) -> Option<Vec<u8>> {
    let apdu = f.apdu.as_ref()?;
    match Apdu::decode(apdu).ok()? {
        Apdu::Ciphered(_) => f.plain.clone(),
        _ => Some(apdu.clone()),
    }
}

#[test]
fn the_hls_gmac_replies_verify_with_the_recorded_challenges_and_a_flipped_byte_fails() {
    let keys = key_file();
    let mut checked = 0;
    for s in scenarios()
        .into_iter()
        .filter(|s| s.name.ends_with("-hls") || s.ciphered())
    {
        let clears: Vec<(Dir, Vec<u8>, String)> = s
            .frames
            .iter()
            .filter_map(|f| clear(f).map(|c| (f.dir, c, f.at(&s.name))))
            .collect();

        // The challenges and titles of the association.
        let Ok(Apdu::Aarq(aarq)) = Apdu::decode(&clears[0].1) else {
            panic!("{}: AARQ first", s.name)
        };
        let Ok(Apdu::Aare(aare)) = Apdu::decode(&clears[1].1) else {
            panic!("{}: AARE second", s.name)
        };
        assert_eq!(
            aarq.calling_authentication_value.map(|v| v.bytes()),
            Some(&keys.ctos[..])
        );
        assert_eq!(
            aare.responding_authentication_value.map(|v| v.bytes()),
            Some(&keys.stoc[..])
        );
        assert_eq!(aarq.client_system_title(), Some(keys.client_title));
        assert_eq!(aare.server_system_title(), Some(keys.server_title));

        // Pass 3: ACTION 0-0:40.0.0*255 (association LN, class 15) method 1 with f(StoC).
        let (i, at) = clears
            .iter()
            .enumerate()
            .find_map(|(i, (_, c, at))| match ActionRequest::decode(c) {
                Ok(ActionRequest::Normal { method, .. })
                    if method.class_id == 15
                        && ObisCode::from_bytes(method.instance_id)
                            == ObisCode::CURRENT_ASSOCIATION
                        && method.method_id == 1 =>
                {
                    Some((i, at.clone()))
                }
                _ => None,
            })
            .unwrap_or_else(|| panic!("{}: no reply_to_HLS_authentication", s.name));
        let Ok(ActionRequest::Normal {
            parameters: Some(p),
            ..
        }) = ActionRequest::decode(&clears[i].1)
        else {
            unreachable!()
        };
        let Value::OctetString(f_stoc) = p.value() else {
            panic!("{at}: f(StoC) is an octet-string")
        };
        // Pass 4: the response's return parameters carry f(CtoS).
        let (dir, response, at4) = &clears[i + 1];
        assert_eq!(*dir, Dir::S2c);
        let Ok(ActionResponse::Normal { response, .. }) = ActionResponse::decode(response) else {
            panic!("{at4}")
        };
        let Some(GetDataResult::Data(d)) = response.return_parameters else {
            panic!("{at4}: no f(CtoS)")
        };
        let Value::OctetString(f_ctos) = d.value() else {
            panic!("{at4}: f(CtoS) is an octet-string")
        };

        // f(StoC) is the client's GMAC over the server's challenge, f(CtoS) the server's over the
        // client's (with the counters README.md gives).
        let (ek, ak) = (&keys.block_cipher_key, &keys.authentication_key);
        let offset = u32::from(s.ciphered());
        let fc = verify_hls_gmac(ek, ak, &keys.client_title, &keys.stoc, f_stoc)
            .unwrap_or_else(|e| panic!("{at}: f(StoC): {e}"));
        assert_eq!(fc, keys.client_first_counter + offset, "{at}");
        let fc = verify_hls_gmac(ek, ak, &keys.server_title, &keys.ctos, f_ctos)
            .unwrap_or_else(|e| panic!("{at4}: f(CtoS): {e}"));
        assert_eq!(fc, keys.server_first_counter + offset, "{at4}");

        // Each byte flipped in turn fails; so does the other side's title or challenge.
        for (title, challenge, reply) in [
            (&keys.client_title, &keys.stoc, f_stoc),
            (&keys.server_title, &keys.ctos, f_ctos),
        ] {
            for b in 0..reply.len() {
                let mut bad = reply.to_vec();
                bad[b] ^= 0x80;
                assert!(
                    verify_hls_gmac(ek, ak, title, challenge, &bad).is_err(),
                    "{at}: byte {b}"
                );
            }
        }
        assert!(verify_hls_gmac(ek, ak, &keys.server_title, &keys.stoc, f_stoc).is_err());
        assert!(verify_hls_gmac(ek, ak, &keys.client_title, &keys.ctos, f_stoc).is_err());
        checked += 1;
    }
    assert_eq!(
        checked, 6,
        "hls, ciphered and ciphered-general over both transports"
    );
}

#[test]
fn the_lls_aarq_carries_the_recorded_password() {
    let keys = key_file();
    for s in scenarios().into_iter().filter(|s| s.name.ends_with("-low")) {
        let aarq = s.frames.iter().find_map(|f| f.apdu.clone()).unwrap();
        let Ok(Apdu::Aarq(aarq)) = Apdu::decode(&aarq) else {
            panic!("{}: AARQ first", s.name)
        };
        assert_eq!(aarq.mechanism_name, Some(MechanismName::Low), "{}", s.name);
        let password = aarq.calling_authentication_value.map(|v| v.bytes());
        assert_eq!(password, Some(&keys.password[..]), "{}", s.name);
    }
}
