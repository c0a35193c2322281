//! The bad input the issue names, each in one place: a wrong GCM tag, a wrong key, a replayed
//! frame counter, an HDLC frame with a bad FCS or HCS, a Data tree nested 10,000 deep and a
//! declared length of 4 GiB. Each is refused with an error that says what failed and where.
//! (That none of them allocates much is checked with a counting allocator in
//! `benches/tests/dlms_bad_input_allocations.rs`, where a global allocator may be installed.)

use fieldbridge_dlms::apdu::Apdu;
use fieldbridge_dlms::axdr::DataRef;
use fieldbridge_dlms::hdlc;
use fieldbridge_dlms::security::{CipheredApdu, CounterGuard, Keys};
use fieldbridge_dlms::{Checksum, Error};

/// The Green Book's keys, and the system title of the client that sent its ciphered GET
/// (DLMS UA 1000-2 Ed. 10, 9.2.7).
const EK: [u8; 16] = [
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F,
];
const AK: [u8; 16] = [
    0xD0, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9, 0xDA, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF,
];
const TITLE: [u8; 8] = [0x4D, 0x4D, 0x4D, 0x00, 0x00, 0xBC, 0x61, 0x4E];

/// The Green Book's glo-get-request, authenticated and encrypted, frame counter 0x01234567.
fn green_book_glo_get() -> Vec<u8> {
    hex::decode("C81E3001234567411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B").unwrap()
}

#[test]
fn the_green_book_ciphered_get_deciphers_with_its_keys() {
    let apdu = green_book_glo_get();
    let ciphered = CipheredApdu::decode(&apdu).unwrap();
    let mut out = Vec::new();
    let plain = ciphered
        .decrypt(&Keys::new(EK, AK), Some(&TITLE), &mut out)
        .unwrap();
    assert!(matches!(Apdu::decode(plain), Ok(Apdu::GetRequest(_))));
}

#[test]
fn a_wrong_gcm_tag_is_refused_naming_the_tag() {
    let mut apdu = green_book_glo_get();
    *apdu.last_mut().unwrap() ^= 0x01;
    let ciphered = CipheredApdu::decode(&apdu).unwrap();
    let mut out = Vec::new();
    assert_eq!(
        ciphered.decrypt(&Keys::new(EK, AK), Some(&TITLE), &mut out),
        Err(Error::AuthenticationFailed {
            offset: 2,
            what: "GCM tag"
        })
    );
    assert!(out.is_empty(), "no plaintext is handed out");
}

#[test]
fn a_tampered_ciphertext_byte_is_refused() {
    let mut apdu = green_book_glo_get();
    apdu[10] ^= 0x80;
    let ciphered = CipheredApdu::decode(&apdu).unwrap();
    let mut out = Vec::new();
    let err = ciphered
        .decrypt(&Keys::new(EK, AK), Some(&TITLE), &mut out)
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::AuthenticationFailed {
                what: "GCM tag",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn a_wrong_key_is_refused_and_the_message_says_what_to_check() {
    let apdu = green_book_glo_get();
    let ciphered = CipheredApdu::decode(&apdu).unwrap();
    let mut wrong = EK;
    wrong[0] ^= 0xFF;
    let mut out = Vec::new();
    let err = ciphered
        .decrypt(&Keys::new(wrong, AK), Some(&TITLE), &mut out)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "GCM tag does not verify at byte 2: wrong key, wrong system title or frame counter, or altered data"
    );
    let mut wrong_ak = AK;
    wrong_ak[15] ^= 0x01;
    assert!(ciphered
        .decrypt(&Keys::new(EK, wrong_ak), Some(&TITLE), &mut out)
        .is_err());
}

#[test]
fn a_replayed_frame_counter_is_refused_before_deciphering() {
    let apdu = green_book_glo_get();
    let ciphered = CipheredApdu::decode(&apdu).unwrap();
    let keys = Keys::new(EK, AK);
    let mut guard = CounterGuard::new();
    let mut out = Vec::new();
    ciphered
        .decrypt_guarded(&keys, Some(&TITLE), &mut guard, &mut out)
        .unwrap();
    assert_eq!(
        ciphered.decrypt_guarded(&keys, Some(&TITLE), &mut guard, &mut out),
        Err(Error::Replay {
            offset: 3,
            last: 0x0123_4567,
            found: 0x0123_4567
        })
    );
}

/// SNRM from client 0x21 to server 0x02 0x23 (upper 1, lower 17) with no information field:
/// `7E A0 08 02 23 21 93 | BD 64 | 7E`.
const SNRM: [u8; 10] = [0x7E, 0xA0, 0x08, 0x02, 0x23, 0x21, 0x93, 0xBD, 0x64, 0x7E];

#[test]
fn an_hdlc_frame_with_a_bad_fcs_is_refused() {
    let mut frame = SNRM;
    frame[8] ^= 0x01;
    assert_eq!(
        hdlc::decode(&frame),
        Err(Error::BadChecksum {
            offset: 7,
            which: Checksum::Fcs,
            computed: 0x64BD,
            found: 0x65BD
        })
    );
}

#[test]
fn an_hdlc_frame_with_a_bad_hcs_is_refused_before_its_information_field_arrives() {
    // An I frame with the AARQ of dlms-cosem's tests; only the header and a wrong HCS are given:
    // the error comes at once, without waiting for the rest of the frame.
    let frame = hex::decode("7EA04402232110FFFF").unwrap();
    let err = hdlc::decode(&frame).unwrap_err();
    assert!(
        matches!(
            err,
            Error::BadChecksum {
                offset: 7,
                which: Checksum::Hcs,
                found: 0xFFFF,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn a_data_tree_nested_10000_deep_is_refused_in_a_get_response() {
    // GET-Response-Normal, invoke 0xC1, data: 10,000 arrays of one element around a null.
    let mut apdu = vec![0xC4, 0x01, 0xC1, 0x00];
    for _ in 0..10_000 {
        apdu.extend_from_slice(&[0x01, 0x01]);
    }
    apdu.push(0x00);
    let err = Apdu::decode(&apdu).unwrap_err();
    assert_eq!(
        err,
        Error::TooDeep {
            offset: 4 + 32,
            max: 16
        }
    );
    assert_eq!(
        err.to_string(),
        "Data nested deeper than 16 levels at byte 36"
    );
}

#[test]
fn a_declared_length_of_4_gib_is_refused_at_the_length() {
    // An octet-string claiming 0xFFFFFFFF octets, as Data and inside a DataNotification.
    let data = [0x09, 0x84, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x02];
    assert_eq!(
        DataRef::decode(&data),
        Err(Error::BadLength {
            offset: 1,
            what: "octet-string",
            min: 0,
            max: 2,
            found: 0xFFFF_FFFF
        })
    );
    // An array claiming 0xFFFFFFFF elements.
    let array = [0x01, 0x84, 0xFF, 0xFF, 0xFF, 0xFF, 0x00];
    assert!(matches!(
        DataRef::decode(&array),
        Err(Error::BadLength {
            offset: 1,
            found: 0xFFFF_FFFF,
            ..
        })
    ));
    // A BER length of 4 GiB in an AARQ.
    let aarq = [0x60, 0x84, 0xFF, 0xFF, 0xFF, 0xFF, 0xA1, 0x00];
    let err = Apdu::decode(&aarq).unwrap_err();
    assert!(matches!(err, Error::BadLength { offset: 1, .. }), "{err:?}");
}
