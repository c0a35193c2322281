use super::{hex, keys, AK, EK, SENDER_TITLE};
use fieldbridge_dlms::security::{
    encrypt, CipheredApdu, CipheredTag, Envelope, KeyKind, Keys, SecurityControl, SecurityPolicy,
};

/// Green Book Ed. 10, table 40 "Example: glo-get-request xDLMS APDU" (also in u9n/dlms-cosem
/// tests/test_xdlms/test_service_specific_cipher.py and tests/test_security.py).
pub fn glo_get_request() -> Vec<u8> {
    hex(concat!(
        "C8",                         // glo-get-request
        "1E",                         // length: 30
        "30",                         // security control: suite 0, authenticated and encrypted
        "01234567",                   // frame counter
        "411312FF935A47566827C467BC", // ciphertext (13 octets)
        "7D825C3BE4A77C3FCC056B6B",   // authentication tag (12 octets)
    ))
}

/// The plaintext of [`glo_get_request`]: get-request-normal of the clock's time.
pub const GET_CLOCK: [u8; 13] = [
    0xC0, 0x01, 0x00, // get-request, normal, invoke-id-and-priority 0x00
    0x00, 0x08, // class 8 (clock)
    0x00, 0x00, 0x01, 0x00, 0x00, 0xFF, // 0-0:1.0.0*255
    0x02, 0x00, // attribute 2, no selective access
];

#[test]
fn the_green_book_glo_get_request_decodes_into_its_fields() {
    let bytes = glo_get_request();
    let apdu = CipheredApdu::decode(&bytes).unwrap();
    assert_eq!(apdu.tag(), CipheredTag::GLO_GET_REQUEST);
    assert_eq!(apdu.tag().name(), Some("glo-get-request"));
    assert_eq!(apdu.tag().service(), Some((0xC0, KeyKind::Global)));
    assert_eq!(apdu.security_control(), SecurityControl(0x30));
    assert_eq!(
        apdu.security_control().policy(),
        Some(SecurityPolicy::AuthenticatedEncrypted)
    );
    assert_eq!(apdu.frame_counter(), 0x0123_4567);
    assert_eq!(apdu.system_title(), None);
    assert_eq!(apdu.information(), &hex("411312FF935A47566827C467BC")[..]);
    assert_eq!(
        &apdu.auth_tag().unwrap()[..],
        &hex("7D825C3BE4A77C3FCC056B6B")[..]
    );
    assert_eq!(apdu.header_offset(), 2);
    let mut out = Vec::new();
    apdu.encode(&mut out);
    assert_eq!(out, bytes);
    assert_eq!(apdu.encoded_len(), bytes.len());
}

#[test]
fn the_green_book_glo_get_request_decrypts_to_a_get_request() {
    let bytes = glo_get_request();
    let apdu = CipheredApdu::decode(&bytes).unwrap();
    let mut out = Vec::new();
    let plain = apdu
        .decrypt(&keys(), Some(&SENDER_TITLE), &mut out)
        .unwrap();
    assert_eq!(plain, GET_CLOCK);
    assert_eq!(plain[0], 0xC0, "a get-request");
}

#[test]
fn the_green_book_glo_get_request_is_what_encrypt_builds() {
    let mut out = Vec::new();
    encrypt(
        Envelope::ServiceSpecific(KeyKind::Global),
        SecurityControl::new(SecurityPolicy::AuthenticatedEncrypted),
        0x0123_4567,
        &SENDER_TITLE,
        &keys(),
        &GET_CLOCK,
        &mut out,
    )
    .unwrap();
    assert_eq!(out, glo_get_request());
}

/// u9n/dlms-cosem tests/test_xdlms/test_initiate.py, TestGlobalCipherInitiateRequest: a
/// glo-initiate-request under the Green Book keys, sent by the client whose system title is
/// [`SENDER_TITLE`].
const GLO_INITIATE_REQUEST: &str = concat!(
    "21",                                                             // glo-initiate-request
    "30",                                                             // length: 48
    "30",       // security control: authenticated and encrypted
    "01234567", // frame counter
    "801302FF8A7874133D414CED25B42534D28DB0047720606B175BD52211BE68", // ciphertext (31)
    "41DB204D39EE6FDB8E356855", // authentication tag
);

/// Its plaintext: an xDLMS InitiateRequest with a dedicated key (same test file).
const INITIATE_REQUEST: &str = concat!(
    "01", // initiate-request
    "01",
    "10",                               // dedicated-key present, 16 octets
    "00112233445566778899AABBCCDDEEFF", // the dedicated key
    "00",                               // response-allowed: default (true)
    "00",                               // proposed-quality-of-service: absent
    "06",                               // proposed-dlms-version-number 6
    "5F1F0400007E1F",                   // proposed-conformance
    "04B0",                             // client-max-receive-pdu-size 1200
);

#[test]
fn the_dlms_cosem_glo_initiate_request_decrypts_and_encrypts_back() {
    let bytes = hex(GLO_INITIATE_REQUEST);
    let apdu = CipheredApdu::decode(&bytes).unwrap();
    assert_eq!(apdu.tag(), CipheredTag::GLO_INITIATE_REQUEST);
    let mut out = Vec::new();
    let plain = apdu
        .decrypt(&keys(), Some(&SENDER_TITLE), &mut out)
        .unwrap();
    assert_eq!(plain, hex(INITIATE_REQUEST));
    let mut again = Vec::new();
    encrypt(
        Envelope::ServiceSpecific(KeyKind::Global),
        apdu.security_control(),
        apdu.frame_counter(),
        &SENDER_TITLE,
        &keys(),
        &hex(INITIATE_REQUEST),
        &mut again,
    )
    .unwrap();
    assert_eq!(again, bytes);
}

/// u9n/dlms-cosem tests/test_gen_glo_cipher.py: a general-glo-ciphering APDU pushed by a meter,
/// under the test key "MYDUMMYGLOBALKEY" as both encryption and authentication key.
const GENERAL_GLO_CIPHERING: &str = concat!(
    "DB",               // general-glo-ciphering
    "08",               // system-title length
    "2F19229199164103", // system title
    "3B",               // ciphered content length: 59
    "30",               // security control: authenticated and encrypted
    "000001E5",         // frame counter 485
    "025CE9D2271FD78BE8C204211A916A9D7F587E0A7A814CADEA89E9593F01F92EA8C087B5BDFDEFEAB6BE", // 42
    "CF282DFE49C08F5BE6DC8400", // authentication tag
);

#[test]
fn the_dlms_cosem_general_glo_ciphering_push_decrypts_to_a_data_notification() {
    let bytes = hex(GENERAL_GLO_CIPHERING);
    let apdu = CipheredApdu::decode(&bytes).unwrap();
    assert_eq!(apdu.tag(), CipheredTag::GENERAL_GLO_CIPHERING);
    assert_eq!(
        apdu.system_title(),
        Some(&[0x2F, 0x19, 0x22, 0x91, 0x99, 0x16, 0x41, 0x03])
    );
    assert_eq!(apdu.information().len(), 42);
    assert_eq!(apdu.frame_counter(), 485);
    let key = *b"MYDUMMYGLOBALKEY";
    let keys = Keys::new(key, key);
    let mut out = Vec::new();
    let plain = apdu.decrypt(&keys, None, &mut out).unwrap();
    assert_eq!(plain[0], 0x0F, "a data-notification");
    let mut again = Vec::new();
    let title = *apdu.system_title().unwrap();
    encrypt(
        Envelope::General(KeyKind::Global),
        apdu.security_control(),
        apdu.frame_counter(),
        &title,
        &keys,
        plain,
        &mut again,
    )
    .unwrap();
    assert_eq!(again, bytes);
}

#[test]
fn ciphered_tags_map_to_their_plain_services() {
    for (plain, glo, ded) in [
        (0x01u8, 33u8, 65u8), // initiate-request
        (0x08, 40, 72),       // initiate-response
        (0x0E, 46, 78),       // confirmed-service-error
        (0x05, 37, 69),       // read-request
        (0x0C, 44, 76),       // read-response
        (0x18, 56, 88),       // information-report
        (0xC0, 200, 208),     // get-request
        (0xC2, 202, 210),     // event-notification-request
        (0xC4, 204, 212),     // get-response
        (0xC7, 207, 215),     // action-response
    ] {
        assert_eq!(
            CipheredTag::for_plain(plain, KeyKind::Global),
            Some(CipheredTag(glo))
        );
        assert_eq!(
            CipheredTag::for_plain(plain, KeyKind::Dedicated),
            Some(CipheredTag(ded))
        );
        assert_eq!(CipheredTag(glo).service(), Some((plain, KeyKind::Global)));
        assert_eq!(
            CipheredTag(ded).service(),
            Some((plain, KeyKind::Dedicated))
        );
        assert!(CipheredTag(glo).name().unwrap().starts_with("glo-"));
        assert!(CipheredTag(ded).name().unwrap().starts_with("ded-"));
    }
    assert_eq!(
        CipheredTag::for_plain(0x0F, KeyKind::Global),
        None,
        "data-notification"
    );
    assert_eq!(CipheredTag::for_plain(0x60, KeyKind::Global), None, "AARQ");
    assert_eq!(CipheredTag(206).service(), None);
    assert_eq!(
        CipheredTag::GENERAL_DED_CIPHERING.key(),
        Some(KeyKind::Dedicated)
    );
}

#[test]
fn keys_never_show_in_debug_output() {
    let shown = format!("{:?}", keys());
    assert!(
        !shown.contains("208") && !shown.to_lowercase().contains("d0"),
        "{shown}"
    );
    assert!(shown.contains("set"));
    let _ = (EK, AK);
}
