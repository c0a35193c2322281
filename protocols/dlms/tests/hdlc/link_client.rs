//! The client link machine alone, fed frames by hand: the public vectors, refusals, FRMR, RNR
//! and frames it must ignore.

use crate::common::*;
use fieldbridge_dlms::hdlc::link::{Client, Config, Disconnect, Event, SendError, State};
use fieldbridge_dlms::hdlc::{Address, Control, Frame, FrameReject, Parameters};
use std::time::{Duration, Instant};

fn server_address() -> Address {
    Address::two(1, 17).unwrap()
}

fn config() -> Config {
    Config {
        server: server_address(),
        parameters: Parameters {
            max_info_tx: 2030,
            max_info_rx: 2030,
            window_tx: 1,
            window_rx: 1,
        },
        ..Config::default()
    }
}

fn response(control: Control, info: &[u8]) -> Vec<u8> {
    encode(&Frame {
        segmented: false,
        destination: Address::PUBLIC_CLIENT,
        source: server_address(),
        control,
        info,
    })
}

fn events(c: &mut Client) -> Vec<Event> {
    std::iter::from_fn(|| c.poll_event()).collect()
}

fn sent(c: &mut Client, now: Instant) -> Vec<Control> {
    std::iter::from_fn(|| c.poll_transmit(now))
        .map(|b| whole(&b).control)
        .collect()
}

fn connected(now: Instant) -> Client {
    let mut c = Client::new(config());
    c.connect();
    c.poll_transmit(now).unwrap();
    c.handle_input(now, &bytes(UA));
    events(&mut c);
    c
}

#[test]
fn snrm_carries_the_proposed_parameters_and_the_ua_vector_is_negotiated_down() {
    let now = Instant::now();
    let mut c = Client::new(config());
    assert_eq!(c.send(&[1]), Err(SendError::NotConnected));
    c.connect();
    let snrm = c.poll_transmit(now).unwrap();
    let frame = whole(&snrm);
    assert_eq!(frame.control, Control::Snrm { pf: true });
    assert_eq!(frame.destination, server_address());
    assert_eq!(Parameters::decode(frame.info), Ok(config().parameters));
    assert_eq!(c.poll_transmit(now), None, "one poll at a time");
    assert_eq!(c.poll_timeout(), Some(now + Duration::from_secs(3)));
    c.handle_input(now, &bytes(UA));
    let negotiated = Parameters {
        max_info_tx: 154,
        max_info_rx: 154,
        window_tx: 1,
        window_rx: 1,
    };
    assert_eq!(events(&mut c), [Event::Connected(negotiated)]);
    assert_eq!(c.state(), State::Connected);
    assert_eq!(c.poll_timeout(), None);
}

#[test]
fn the_aarq_goes_out_as_its_vector_and_the_aare_vector_comes_back() {
    let now = Instant::now();
    let mut c = connected(now);
    let aarq = bytes(I_AARQ);
    c.send(&aarq[12..aarq.len() - 3]).unwrap();
    assert_eq!(hex::encode_upper(c.poll_transmit(now).unwrap()), I_AARQ);
    let aare = bytes(I_AARE);
    c.handle_input(now, &aare);
    assert_eq!(
        events(&mut c),
        [Event::Data(aare[12..aare.len() - 3].to_vec())]
    );
    assert!(c.is_idle());
}

#[test]
fn a_ui_push_of_579_octets_is_delivered_without_a_link() {
    let now = Instant::now();
    let mut c = Client::new(Config {
        client: Address::client(0x20).unwrap(),
        server: Address::two(4, 0x41).unwrap(),
        ..Config::default()
    });
    c.handle_input(now, &bytes(UI_PUSH));
    let events = events(&mut c);
    let [Event::Push(apdu)] = &events[..] else {
        panic!("{events:?}")
    };
    assert_eq!(apdu.len(), 569 - 3);
    assert_eq!(apdu[0], 0x0F); // data-notification
}

#[test]
fn dm_to_snrm_refuses_the_link() {
    let now = Instant::now();
    let mut c = Client::new(config());
    c.connect();
    c.poll_transmit(now);
    c.handle_input(now, &response(Control::Dm { pf: true }, &[]));
    assert_eq!(events(&mut c), [Event::Disconnected(Disconnect::Refused)]);
    assert_eq!(c.state(), State::Disconnected);
}

/// A fuzz finding (`dlms_hdlc_link`): the server answered a retried SNRM twice, the client
/// reopened the link, and the second UA, read before the new SNRM went out, was taken as its
/// answer. The server had kept its old link (V(R) and half a segmented APDU), so the next
/// request was joined to the old one's first segment. A UA or DM can only answer a command sent.
#[test]
fn a_ua_before_the_snrm_went_out_is_the_late_answer_to_an_earlier_one() {
    let now = Instant::now();
    let mut c = connected(now);
    c.connect();
    c.handle_input(now, &bytes(UA));
    assert_eq!(c.state(), State::Connecting);
    assert!(matches!(
        events(&mut c)[..],
        [Event::Discarded {
            control: Control::Ua { .. },
            ..
        }]
    ));
    assert_eq!(sent(&mut c, now), [Control::Snrm { pf: true }]);
    c.handle_input(now, &bytes(UA));
    assert_eq!(c.state(), State::Connected);

    c.disconnect();
    c.handle_input(now, &response(Control::Dm { pf: true }, &[]));
    assert_eq!(c.state(), State::Disconnecting, "DISC not sent yet");
    assert_eq!(sent(&mut c, now), [Control::Disc { pf: true }]);
    c.handle_input(now, &bytes(UA));
    assert_eq!(c.state(), State::Disconnected);
}

#[test]
fn a_ua_after_the_response_timeout_still_opens_the_link_before_the_retry() {
    let now = Instant::now();
    let mut c = Client::new(config());
    c.connect();
    assert_eq!(sent(&mut c, now), [Control::Snrm { pf: true }]);
    let late = now + Duration::from_secs(4);
    c.handle_timeout(late);
    assert_eq!(events(&mut c), [Event::Retrying { attempt: 1 }]);
    c.handle_input(late, &bytes(UA));
    assert_eq!(
        c.state(),
        State::Connected,
        "a slow meter's UA is its answer"
    );
}

#[test]
fn dm_on_an_open_link_means_the_server_dropped_it() {
    let now = Instant::now();
    let mut c = connected(now);
    c.handle_input(now, &response(Control::Dm { pf: true }, &[]));
    assert_eq!(events(&mut c), [Event::Disconnected(Disconnect::Remote)]);
}

#[test]
fn frmr_is_reported_and_the_link_closed_with_disc() {
    let now = Instant::now();
    let mut c = connected(now);
    let reject = FrameReject {
        control: 0x19,
        vs: 0,
        response: false,
        vr: 0,
        reasons: FrameReject::W,
    };
    c.handle_input(
        now,
        &response(Control::Frmr { pf: true }, &reject.to_bytes()),
    );
    assert_eq!(events(&mut c), [Event::FrameReject(reject)]);
    assert_eq!(sent(&mut c, now), [Control::Disc { pf: true }]);
    c.handle_input(now, &response(Control::Ua { pf: true }, &[]));
    assert_eq!(
        events(&mut c),
        [Event::Disconnected(Disconnect::ProtocolError)]
    );
}

#[test]
fn an_n_r_acknowledging_a_frame_never_sent_closes_the_link() {
    let now = Instant::now();
    let mut c = connected(now);
    c.handle_input(now, &response(Control::Rr { nr: 2, pf: true }, &[]));
    assert!(matches!(events(&mut c)[..], [Event::Discarded { .. }]));
    assert_eq!(sent(&mut c, now), [Control::Disc { pf: true }]);
    assert_eq!(c.state(), State::Disconnecting);
}

#[test]
fn rnr_holds_the_data_until_a_poll_after_the_busy_interval() {
    let now = Instant::now();
    let mut c = Client::new(Config {
        parameters: Parameters {
            max_info_tx: 8,
            ..config().parameters
        },
        ..config()
    });
    c.connect();
    c.poll_transmit(now);
    c.handle_input(now, &bytes(UA));
    c.send(&[0; 20]).unwrap();
    assert_eq!(
        sent(&mut c, now),
        [Control::I {
            ns: 0,
            nr: 0,
            pf: true
        }]
    );
    c.handle_input(now, &response(Control::Rnr { nr: 1, pf: true }, &[]));
    assert_eq!(sent(&mut c, now), []);
    let later = now + Duration::from_millis(200);
    assert_eq!(c.poll_timeout(), Some(later));
    assert_eq!(sent(&mut c, later), [Control::Rr { nr: 0, pf: true }]);
    c.handle_input(later, &response(Control::Rr { nr: 1, pf: true }, &[]));
    assert_eq!(
        sent(&mut c, later),
        [Control::I {
            ns: 1,
            nr: 0,
            pf: true
        }]
    );
}

#[test]
fn unknown_controls_and_other_stations_frames_are_not_acted_on() {
    let now = Instant::now();
    let mut c = connected(now);
    c.handle_input(now, &response(Control::from_octet(0x39), &[]));
    assert_eq!(
        events(&mut c),
        [Event::Discarded {
            control: Control::Unknown(0x39),
            reason: "unknown control field"
        }]
    );
    let other = encode(&Frame {
        segmented: false,
        destination: Address::PUBLIC_CLIENT,
        source: Address::two(1, 18).unwrap(),
        control: Control::Dm { pf: true },
        info: &[],
    });
    c.handle_input(now, &other);
    assert_eq!(events(&mut c), []);
    assert_eq!(c.state(), State::Connected);
}

#[test]
fn a_partial_frame_older_than_the_inter_octet_timeout_is_dropped() {
    let now = Instant::now();
    let mut c = connected(now);
    let aare = response(
        Control::I {
            ns: 0,
            nr: 0,
            pf: true,
        },
        &[0xE6, 0xE7, 0x00, 0x61, 0x00],
    );
    c.handle_input(now, &aare[..6]);
    let later = now + Duration::from_secs(1);
    c.handle_input(later, &aare[6..]);
    assert_eq!(events(&mut c), []);
    c.handle_input(later, &aare);
    assert_eq!(events(&mut c), [Event::Data(vec![0x61, 0x00])]);
}

#[test]
fn a_frame_with_a_bad_fcs_is_dropped_counted_and_named() {
    let now = Instant::now();
    let mut c = connected(now);
    assert_eq!(c.bad_frames(), 0);
    let mut aare = response(
        Control::I {
            ns: 0,
            nr: 0,
            pf: true,
        },
        &[0xE6, 0xE7, 0x00, 0x61, 0x00],
    );
    let fcs = aare.len() - 3;
    aare[fcs] ^= 0xFF;
    c.handle_input(now, &aare);
    assert_eq!(events(&mut c), [], "dropped, not acted on");
    assert_eq!(c.bad_frames(), 1);
    assert!(
        matches!(
            c.last_bad_frame(),
            Some(fieldbridge_dlms::Error::BadChecksum { .. })
        ),
        "{:?}",
        c.last_bad_frame()
    );
}

#[test]
fn an_information_field_above_the_negotiated_length_is_taken_up_to_the_configured_one() {
    let now = Instant::now();
    let mut c = connected(now); // 154 octets each way negotiated, 2030 configured
    let i = |ns| Control::I {
        ns,
        nr: 0,
        pf: true,
    };
    let mut info = vec![0xE6, 0xE7, 0x00];
    info.resize(155, 0x01);
    c.handle_input(now, &response(i(0), &info));
    assert_eq!(events(&mut c), [Event::Data(vec![0x01; 152])]);
    info.resize(2030, 0x01);
    c.handle_input(now, &response(i(1), &info));
    assert_eq!(events(&mut c), [Event::Data(vec![0x01; 2027])]);
    info.push(0x01);
    c.handle_input(now, &response(i(2), &info));
    assert_eq!(
        events(&mut c),
        [Event::Discarded {
            control: i(2),
            reason: "information field longer than this station receives"
        }]
    );
    assert_eq!(sent(&mut c, now), [Control::Disc { pf: true }]);
}
