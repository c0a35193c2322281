//! The CHOICE tag of every data-transfer APDU is checked before anything after it is read, so an
//! unknown service is reported as such even when the APDU ends right after it.

use fieldbridge_dlms::apdu::Apdu;
use fieldbridge_dlms::Error;

fn unknown(what: &'static str, found: u8) -> Result<(), Error> {
    Err(Error::UnknownChoice {
        offset: 1,
        what,
        found,
    })
}

#[test]
fn an_unknown_choice_right_after_the_tag_is_an_unknown_choice_not_a_truncation() {
    for (input, what) in [
        ([0xC0, 0x09], "Get-Request choice"),    // get-request, choice 9
        ([0xC4, 0x09], "Get-Response choice"),   // get-response, choice 9
        ([0xC1, 0x09], "Set-Request choice"),    // set-request, choice 9
        ([0xC5, 0x09], "Set-Response choice"),   // set-response, choice 9
        ([0xC3, 0x09], "Action-Request choice"), // action-request, choice 9
        ([0xC7, 0x09], "Action-Response choice"), // action-response, choice 9
    ] {
        assert_eq!(Apdu::decode(&input).map(|_| ()), unknown(what, 0x09));
    }
}

#[test]
fn a_choice_of_zero_is_unknown_for_every_data_transfer_apdu() {
    for (tag, what) in [
        (0xC0, "Get-Request choice"),
        (0xC4, "Get-Response choice"),
        (0xC1, "Set-Request choice"),
        (0xC5, "Set-Response choice"),
        (0xC3, "Action-Request choice"),
        (0xC7, "Action-Response choice"),
    ] {
        // tag | choice 0 | invoke-id 0xC1, then nothing
        assert_eq!(
            Apdu::decode(&[tag, 0x00, 0xC1]).map(|_| ()),
            unknown(what, 0)
        );
    }
}

#[test]
fn a_known_choice_without_its_invoke_id_is_a_truncation() {
    assert!(matches!(
        Apdu::decode(&[0xC4, 0x01]), // get-response-normal, then nothing
        Err(Error::Truncated { offset: 2, .. })
    ));
}
