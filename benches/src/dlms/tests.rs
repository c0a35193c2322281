use super::*;

#[test]
fn every_decoder_reads_every_frame_it_can_to_the_expected_values() {
    for kind in DlmsKind::ALL {
        verify(kind).unwrap();
    }
}

#[test]
fn the_frames_have_the_shapes_the_report_says() {
    let profile = DlmsKind::Profile.frame();
    assert_eq!(&profile[..3], &[0xC4, 0x01, 0xC1]);
    assert_eq!(DlmsKind::GloProfile.frame()[0], 204);
    assert_eq!(DlmsKind::GloProfile.frame()[1], 0x82);
    let general = DlmsKind::GeneralPush.frame();
    // general-glo-ciphering, system title, a two-octet length (dlms_cosem reads no 0x81).
    assert_eq!(general[0], 219);
    assert_eq!(general[10], 0x82);
    assert_eq!(general[13], 0x20);
}

#[test]
fn dlms_cosem_hands_over_an_altered_encrypted_only_push_with_a_wrong_value() {
    // Encryption only sends no tag: flipping a ciphertext bit flips the plaintext bit.
    let plain = push_notification().to_vec();
    let value = 12_345_678u32.to_be_bytes();
    let at = plain.windows(4).position(|w| w == value).unwrap();
    let mut frame = DlmsKind::GeneralPush.frame();
    // tag, system title (1 + 8), length 0x82 nn nn, SC, FC (4): 18 octets before the APDU.
    frame[18 + at + 3] ^= 0x01;
    let mut scratch = Scratch::new(&frame);
    let got = dlms_cosem_peer::general_push(&frame, &mut scratch);
    assert!(got.is_some());
    assert_ne!(got, Some(expected_push_digest()));
}

#[test]
fn dlms_cosem_refuses_the_authenticated_push() {
    assert!(dlms_cosem_on_authenticated_push().starts_with("refused"));
}

#[test]
fn a_wrong_tag_fails_our_ciphered_path_and_aes_alone() {
    let mut frame = DlmsKind::GloProfile.frame();
    let last = frame.len() - 1;
    frame[last] ^= 0x01;
    let mut scratch = Scratch::new(&frame);
    assert_eq!(ciphered_profile(&frame, &mut scratch), None);
    assert_eq!(aes_gcm_alone(&frame, &mut scratch), None);
}
