//! Public frames decoded field by field and re-encoded byte for byte.

use crate::common::*;
use fieldbridge_dlms::hdlc::{Address, Control, Frame, Llc, Parameters};

fn server_1_17() -> Address {
    Address::two(1, 17).unwrap()
}

#[test]
fn an_snrm_to_a_two_octet_server_address_decodes_and_reencodes() {
    // 7E | A0 08: type 3, no S, length 8 | 02 23: server upper 1, lower 0x11 | 21: client 0x10 |
    // 93: SNRM with P | BD 64: FCS (no HCS without information) | 7E
    let bytes = bytes(SNRM);
    let frame = whole(&bytes);
    assert_eq!(
        frame,
        Frame {
            segmented: false,
            destination: server_1_17(),
            source: Address::PUBLIC_CLIENT,
            control: Control::Snrm { pf: true },
            info: &[],
        }
    );
    assert_eq!(frame.destination.upper(), 1);
    assert_eq!(frame.destination.lower(), Some(17));
    assert_eq!(encode(&frame), bytes);
}

#[test]
fn a_ua_with_parameters_decodes_and_reencodes() {
    // 7E | A0 1F | 21: client 0x10 | 02 23: server 1/17 | 73: UA with F | E6 C7: HCS |
    // 81 80 12: format, group, 18 octets | 05 01 9A: max info tx 154 | 06 01 9A: rx 154 |
    // 07 04 00000001: window tx 1 | 08 04 00000001: window rx 1 | CC A2: FCS | 7E
    let bytes = bytes(UA);
    let frame = whole(&bytes);
    assert_eq!(frame.destination, Address::PUBLIC_CLIENT);
    assert_eq!(frame.source, server_1_17());
    assert_eq!(frame.control, Control::Ua { pf: true });
    assert!(!frame.segmented);
    assert_eq!(frame.info, &bytes[9..bytes.len() - 3]);
    assert_eq!(
        Parameters::decode(frame.info).unwrap(),
        Parameters {
            max_info_tx: 154,
            max_info_rx: 154,
            window_tx: 1,
            window_rx: 1,
        }
    );
    assert_eq!(encode(&frame), bytes);
}

#[test]
fn an_rr_poll_decodes_and_reencodes() {
    // 7E | A0 07 | 03: server 1 (one octet) | 21: client 0x10 | 71: RR, N(R) 3, P | 13 C5 | 7E
    let bytes = bytes(RR);
    let frame = whole(&bytes);
    assert_eq!(frame.destination, Address::one(1).unwrap());
    assert_eq!(frame.source, Address::PUBLIC_CLIENT);
    assert_eq!(frame.control, Control::Rr { nr: 3, pf: true });
    assert!(frame.info.is_empty());
    assert_eq!(encode(&frame), bytes);
}

#[test]
fn an_i_frame_with_an_aarq_decodes_and_reencodes() {
    // 7E | A0 2C | 02 23 | 21 | 10: I, N(S) 0, N(R) 0, P | AF 9F: HCS |
    // E6 E6 00: LLC command | 60 1D ...: AARQ | C5 E4: FCS | 7E
    let bytes = bytes(I_AARQ);
    let frame = whole(&bytes);
    assert_eq!(frame.destination, server_1_17());
    assert_eq!(frame.source, Address::PUBLIC_CLIENT);
    assert_eq!(
        frame.control,
        Control::I {
            ns: 0,
            nr: 0,
            pf: true
        }
    );
    let apdu = Llc::Command.strip(frame.info).unwrap();
    assert_eq!(apdu.first(), Some(&0x60));
    assert_eq!(apdu.len(), 0x1F);
    assert_eq!(encode(&frame), bytes);
}

#[test]
fn an_i_frame_with_an_aare_decodes_and_reencodes() {
    // 7E | A0 38 | 21 | 02 23 | 30: I, N(S) 0, N(R) 1, F | 34 E7: HCS |
    // E6 E7 00: LLC response | 61 29 ...: AARE | B8 6A | 7E
    let bytes = bytes(I_AARE);
    let frame = whole(&bytes);
    assert_eq!(frame.destination, Address::PUBLIC_CLIENT);
    assert_eq!(frame.source, server_1_17());
    assert_eq!(
        frame.control,
        Control::I {
            ns: 0,
            nr: 1,
            pf: true
        }
    );
    let apdu = Llc::Response.strip(frame.info).unwrap();
    assert_eq!(apdu.first(), Some(&0x61));
    assert_eq!(encode(&frame), bytes);
}

#[test]
fn a_segmented_i_frame_whose_length_octet_is_a_flag_decodes_and_reencodes() {
    // 7E | A8 7E: type 3, S set, length 0x7E | 21: client 0x10 | 03: server 1 |
    // 96: I, N(S) 3, N(R) 4, F | A4 09: HCS | 0F 01 16 ...: a middle segment | 6F F3 | 7E
    let bytes = bytes(I_SEGMENTED);
    let frame = whole(&bytes);
    assert!(frame.segmented);
    assert_eq!(frame.destination, Address::PUBLIC_CLIENT);
    assert_eq!(frame.source, Address::one(1).unwrap());
    assert_eq!(
        frame.control,
        Control::I {
            ns: 3,
            nr: 4,
            pf: true
        }
    );
    assert_eq!(frame.info.len(), 0x7E - 2 - 1 - 1 - 1 - 2 - 2);
    assert_eq!(&frame.info[..3], &[0x0F, 0x01, 0x16]);
    assert_eq!(encode(&frame), bytes);
}

#[test]
fn a_ua_without_information_decodes_and_reencodes() {
    // 7E | A0 07 | 21: client 0x10 | 03: server 1 | 73: UA, F | 01 40: FCS | 7E
    let bytes = bytes(UA_SHORT);
    let frame = whole(&bytes);
    assert_eq!(frame.control, Control::Ua { pf: true });
    assert_eq!(frame.source, Address::one(1).unwrap());
    assert_eq!(Parameters::decode(frame.info), Ok(Parameters::default()));
    assert_eq!(encode(&frame), bytes);
}

#[test]
fn a_579_octet_ui_push_with_a_two_octet_source_decodes_and_reencodes() {
    // 7E | A2 43: type 3, length 0x243 = 579 | 41: client 0x20 | 08 83: upper 4, lower 0x41 |
    // 13: UI, F | 85 EB: HCS | E6 E7 00 | 0F 40 00 00 00 ...: data-notification | BE 40 | 7E
    let bytes = bytes(UI_PUSH);
    assert_eq!(bytes.len(), 581);
    let frame = whole(&bytes);
    assert!(!frame.segmented);
    assert_eq!(frame.destination, Address::one(0x20).unwrap());
    assert_eq!(frame.source, Address::two(4, 0x41).unwrap());
    assert_eq!(frame.control, Control::Ui { pf: true });
    assert_eq!(frame.info.len(), 579 - 2 - 1 - 2 - 1 - 2 - 2);
    let apdu = Llc::Response.strip(frame.info).unwrap();
    assert_eq!(apdu.first(), Some(&0x0F));
    assert_eq!(encode(&frame), bytes);
}

#[test]
fn a_kamstrup_ui_push_decodes_and_reencodes() {
    // 7E | A0 E2 | 2B: 0x15 | 21: 0x10 | 13: UI, F | 23 9A: HCS | E6 E7 00 | 0F ... | 84 46 | 7E
    let bytes = bytes(UI_KAMSTRUP);
    let frame = whole(&bytes);
    assert_eq!(frame.destination, Address::one(0x15).unwrap());
    assert_eq!(frame.source, Address::PUBLIC_CLIENT);
    assert_eq!(frame.control, Control::Ui { pf: true });
    assert_eq!(encode(&frame), bytes);
}

#[test]
fn the_fcs_of_an_snrm_header_is_sent_low_byte_first() {
    // A0 07 | 03 | 21 | 93: SNRM with P from the public client to server 1 -> FCS 0F 01
    let frame = Frame {
        segmented: false,
        destination: Address::one(1).unwrap(),
        source: Address::PUBLIC_CLIENT,
        control: Control::Snrm { pf: true },
        info: &[],
    };
    assert_eq!(
        encode(&frame),
        [0x7E, 0xA0, 0x07, 0x03, 0x21, 0x93, 0x0F, 0x01, 0x7E]
    );
}

#[test]
fn every_frame_kind_reencodes_through_its_control_octet() {
    // One frame per kind, the control octet as on the wire, to server 1 from client 0x10.
    let kinds: [(u8, Control); 10] = [
        (
            0x32,
            Control::I {
                ns: 1,
                nr: 1,
                pf: true,
            },
        ),
        (0x51, Control::Rr { nr: 2, pf: true }),
        (0x45, Control::Rnr { nr: 2, pf: false }),
        (0x93, Control::Snrm { pf: true }),
        (0x53, Control::Disc { pf: true }),
        (0x73, Control::Ua { pf: true }),
        (0x1F, Control::Dm { pf: true }),
        (0x97, Control::Frmr { pf: true }),
        (0x13, Control::Ui { pf: true }),
        (0x09, Control::Unknown(0x09)), // REJ: not used by DLMS
    ];
    for (octet, control) in kinds {
        assert_eq!(Control::from_octet(octet), control, "{octet:#04x}");
        assert_eq!(control.to_octet(), octet);
        let frame = Frame {
            segmented: false,
            destination: Address::one(1).unwrap(),
            source: Address::PUBLIC_CLIENT,
            control,
            info: &[0xE6, 0xE6, 0x00, 0x01],
        };
        let bytes = encode(&frame);
        assert_eq!(bytes[5], octet);
        assert_eq!(whole(&bytes), frame);
    }
}

#[test]
fn every_control_octet_round_trips() {
    for octet in 0..=u8::MAX {
        assert_eq!(Control::from_octet(octet).to_octet(), octet);
    }
}

#[test]
fn an_frmr_information_field_names_its_reasons() {
    use fieldbridge_dlms::hdlc::FrameReject;
    // 09: the rejected control (REJ) | 62: V(R) 3, C/R 0, V(S) 1 | 01: W (undefined control)
    let reject = FrameReject::decode(&[0x09, 0x62, 0x01]).unwrap();
    assert_eq!(
        reject,
        FrameReject {
            control: 0x09,
            vs: 1,
            response: false,
            vr: 3,
            reasons: FrameReject::W
        }
    );
    assert_eq!(reject.to_bytes(), [0x09, 0x62, 0x01]);
}
