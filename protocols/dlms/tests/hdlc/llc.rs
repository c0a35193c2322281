//! The LLC header: added and stripped, one test per wrong octet.

use fieldbridge_dlms::hdlc::{Llc, LLC_COMMAND, LLC_RESPONSE};
use fieldbridge_dlms::Error;

#[test]
fn commands_and_responses_get_their_own_header() {
    assert_eq!(
        Llc::Command.prefix(&[0x60, 0x00]),
        [0xE6, 0xE6, 0x00, 0x60, 0x00]
    );
    assert_eq!(Llc::Response.prefix(&[0x61]), [0xE6, 0xE7, 0x00, 0x61]);
    assert_eq!(
        Llc::Command.strip(&[0xE6, 0xE6, 0x00, 0xC0]),
        Ok(&[0xC0][..])
    );
    assert_eq!(Llc::Response.strip(&LLC_RESPONSE), Ok(&[][..]));
    assert_eq!(LLC_COMMAND, [0xE6, 0xE6, 0x00]);
}

#[test]
fn a_header_cut_short_is_truncated() {
    assert_eq!(
        Llc::Command.strip(&[0xE6]),
        Err(Error::Truncated {
            offset: 0,
            what: "LLC header",
            needed: 2
        })
    );
}

#[test]
fn a_wrong_destination_lsap_is_refused() {
    assert_eq!(
        Llc::Command.strip(&[0xE7, 0xE6, 0x00]),
        Err(Error::BadByte {
            offset: 0,
            what: "LLC destination LSAP",
            expected: "0xE6",
            found: 0xE7
        })
    );
}

#[test]
fn a_response_header_where_a_command_is_expected_is_refused() {
    assert_eq!(
        Llc::Command.strip(&LLC_RESPONSE),
        Err(Error::BadByte {
            offset: 1,
            what: "LLC source LSAP",
            expected: "0xE6 (command)",
            found: 0xE7
        })
    );
}

#[test]
fn a_wrong_llc_quality_is_refused() {
    assert_eq!(
        Llc::Response.strip(&[0xE6, 0xE7, 0x01]),
        Err(Error::BadByte {
            offset: 2,
            what: "LLC quality",
            expected: "0x00",
            found: 0x01
        })
    );
}
