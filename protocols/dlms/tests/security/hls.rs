use super::{AK, CLIENT_TITLE, EK};
use fieldbridge_dlms::security::{hls_gmac, verify_hls_gmac, HLS_GMAC_LEN};
use fieldbridge_dlms::Error;

/// u9n/dlms-cosem tests/test_security.py test_gmac: the client's f(StoC) over the server's
/// challenge, with the Green Book keys, client system title 4D4D4D0000000001 and frame counter 1.
const STOC: [u8; 8] = *b"P6wRJ21F"; // 503677524A323146
const F_STOC_GMAC: [u8; 12] = [
    0x1A, 0x52, 0xFE, 0x7D, 0xD3, 0xE7, 0x27, 0x48, 0x97, 0x3C, 0x1E, 0x28,
];

fn reply() -> [u8; HLS_GMAC_LEN] {
    let mut reply = [0u8; HLS_GMAC_LEN];
    reply[0] = 0x10; // security control: suite 0, authentication
    reply[1..5].copy_from_slice(&[0x00, 0x00, 0x00, 0x01]); // frame counter 1
    reply[5..].copy_from_slice(&F_STOC_GMAC);
    reply
}

#[test]
fn the_dlms_cosem_hls_gmac_vector_is_computed() {
    assert_eq!(
        hls_gmac(&EK, &AK, &CLIENT_TITLE, 1, &STOC).unwrap(),
        reply()
    );
}

#[test]
fn the_server_verifies_the_clients_reply_and_learns_its_counter() {
    assert_eq!(
        verify_hls_gmac(&EK, &AK, &CLIENT_TITLE, &STOC, &reply()),
        Ok(1)
    );
}

#[test]
fn a_reply_over_another_challenge_fails() {
    assert_eq!(
        verify_hls_gmac(&EK, &AK, &CLIENT_TITLE, b"K56iVagY", &reply()),
        Err(Error::AuthenticationFailed {
            offset: 0,
            what: "HLS GMAC"
        })
    );
}

#[test]
fn a_reply_with_a_flipped_gmac_byte_fails() {
    let mut reply = reply();
    reply[16] ^= 0x01;
    assert_eq!(
        verify_hls_gmac(&EK, &AK, &CLIENT_TITLE, &STOC, &reply),
        Err(Error::AuthenticationFailed {
            offset: 0,
            what: "HLS GMAC"
        })
    );
}

#[test]
fn a_reply_under_another_key_or_title_fails() {
    let mut other = EK;
    other[0] ^= 0xFF;
    assert!(matches!(
        verify_hls_gmac(&other, &AK, &CLIENT_TITLE, &STOC, &reply()),
        Err(Error::AuthenticationFailed { .. })
    ));
    assert!(matches!(
        verify_hls_gmac(&EK, &AK, &super::SENDER_TITLE, &STOC, &reply()),
        Err(Error::AuthenticationFailed { .. })
    ));
}

#[test]
fn a_reply_of_the_wrong_length_or_security_control_is_refused() {
    assert_eq!(
        verify_hls_gmac(&EK, &AK, &CLIENT_TITLE, &STOC, &reply()[..16]),
        Err(Error::BadLength {
            offset: 0,
            what: "HLS-GMAC reply",
            min: 17,
            max: 17,
            found: 16
        })
    );
    let mut reply = reply();
    reply[0] = 0x30;
    assert_eq!(
        verify_hls_gmac(&EK, &AK, &CLIENT_TITLE, &STOC, &reply),
        Err(Error::BadByte {
            offset: 0,
            what: "HLS-GMAC security control",
            expected: "0x10 (suite 0, authentication)",
            found: 0x30
        })
    );
}

#[test]
fn a_challenge_over_64_octets_is_refused() {
    assert!(matches!(
        hls_gmac(&EK, &AK, &CLIENT_TITLE, 1, &[0; 65]),
        Err(Error::BadLength { found: 65, .. })
    ));
}

#[test]
fn a_challenge_under_8_octets_is_refused() {
    let short = |found| Error::BadLength {
        offset: 0,
        what: "HLS challenge",
        min: 8,
        max: 64,
        found,
    };
    for len in [0usize, 1, 7] {
        let challenge = &STOC[..len];
        assert_eq!(
            hls_gmac(&EK, &AK, &CLIENT_TITLE, 1, challenge),
            Err(short(len as u64))
        );
        assert_eq!(
            verify_hls_gmac(&EK, &AK, &CLIENT_TITLE, challenge, &reply()),
            Err(short(len as u64))
        );
    }
    assert!(hls_gmac(&EK, &AK, &CLIENT_TITLE, 1, &[0; 64]).is_ok());
}
