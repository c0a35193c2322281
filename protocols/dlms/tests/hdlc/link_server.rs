//! The server link machine alone, fed frames by hand: the public vectors, FRMR for every reason,
//! sequence errors, a second client, inactivity.

use crate::common::*;
use fieldbridge_dlms::hdlc::link::{Config, Disconnect, Event, Server, State};
use fieldbridge_dlms::hdlc::{self, Address, Control, Frame, FrameReject, Parameters};
use std::time::{Duration, Instant};

fn server_address() -> Address {
    Address::two(1, 17).unwrap()
}

fn server() -> Server {
    Server::new(Config {
        server: server_address(),
        ..Config::default()
    })
}

/// A command frame from the public client to server 1/17.
fn command(control: Control, segmented: bool, info: &[u8]) -> Vec<u8> {
    from(Address::PUBLIC_CLIENT, control, segmented, info)
}

fn from(client: Address, control: Control, segmented: bool, info: &[u8]) -> Vec<u8> {
    encode(&Frame {
        segmented,
        destination: server_address(),
        source: client,
        control,
        info,
    })
}

fn events(s: &mut Server) -> Vec<Event> {
    std::iter::from_fn(|| s.poll_event()).collect()
}

/// Every frame the server writes now, decoded.
fn replies(s: &mut Server, now: Instant) -> Vec<hdlc::OwnedFrame> {
    std::iter::from_fn(|| s.poll_transmit(now))
        .map(|b| whole(&b).to_owned_frame())
        .collect()
}

fn connected(now: Instant) -> Server {
    let mut s = server();
    s.handle_input(now, &bytes(SNRM));
    replies(&mut s, now);
    events(&mut s);
    s
}

fn i(ns: u8, nr: u8, pf: bool) -> Control {
    Control::I { ns, nr, pf }
}

#[test]
fn the_public_snrm_is_answered_with_ua_and_default_parameters() {
    let now = Instant::now();
    let mut s = server();
    s.handle_input(now, &bytes(SNRM));
    assert_eq!(events(&mut s), [Event::Connected(Parameters::default())]);
    let ua = replies(&mut s, now);
    assert_eq!(ua.len(), 1);
    assert_eq!(ua[0].control, Control::Ua { pf: true });
    assert_eq!(ua[0].destination, Address::PUBLIC_CLIENT);
    assert_eq!(ua[0].source, server_address());
    // 81 80 0C | 05 01 80 | 06 01 80 | 07 01 01 | 08 01 01
    assert_eq!(
        hex::encode_upper(&ua[0].info),
        "81800C050180060180070101080101"
    );
    assert_eq!(s.state(), State::Connected);
    assert_eq!(s.client(), Some(Address::PUBLIC_CLIENT));
}

#[test]
fn the_aarq_vector_is_delivered_and_the_aare_answer_matches_its_vector() {
    let now = Instant::now();
    let mut s = connected(now);
    s.handle_input(now, &bytes(I_AARQ));
    let aarq = bytes(I_AARQ)[12..bytes(I_AARQ).len() - 3].to_vec();
    assert_eq!(events(&mut s), [Event::Data(aarq)]);
    let aare = &bytes(I_AARE)[12..bytes(I_AARE).len() - 3];
    s.send(aare).unwrap();
    let out = s.poll_transmit(now).unwrap();
    assert_eq!(hex::encode_upper(out), I_AARE);
    assert_eq!(s.poll_transmit(now), None);
}

#[test]
fn an_unknown_control_field_is_refused_with_frmr_until_the_link_is_reset() {
    let now = Instant::now();
    let mut s = connected(now);
    // 0x19: REJ with P, which DLMS does not use
    s.handle_input(now, &command(Control::from_octet(0x19), false, &[]));
    let reject = FrameReject {
        control: 0x19,
        vs: 0,
        response: false,
        vr: 0,
        reasons: FrameReject::W,
    };
    assert_eq!(
        events(&mut s),
        [
            Event::Discarded {
                control: Control::Unknown(0x19),
                reason: "unknown control field"
            },
            Event::FrameReject(reject)
        ]
    );
    let out = replies(&mut s, now);
    assert_eq!(out[0].control, Control::Frmr { pf: true });
    assert_eq!(FrameReject::decode(&out[0].info), Ok(reject));
    assert_eq!(s.state(), State::FrameRejected);
    // An RR poll gets the same FRMR; DISC is accepted.
    s.handle_input(now, &command(Control::Rr { nr: 0, pf: true }, false, &[]));
    assert_eq!(replies(&mut s, now)[0].info, reject.to_bytes());
    s.handle_input(now, &command(Control::Disc { pf: true }, false, &[]));
    assert_eq!(replies(&mut s, now)[0].control, Control::Ua { pf: true });
    assert_eq!(s.state(), State::Disconnected);
}

#[test]
fn an_n_r_acknowledging_a_frame_never_sent_is_refused_with_frmr_z() {
    let now = Instant::now();
    let mut s = connected(now);
    s.handle_input(
        now,
        &command(i(0, 3, true), false, &[0xE6, 0xE6, 0x00, 0x01]),
    );
    let out = replies(&mut s, now);
    let reject = FrameReject::decode(&out[0].info).unwrap();
    assert_eq!(reject.reasons, FrameReject::Z);
    assert_eq!(reject.control, 0x70);
    assert!(events(&mut s).iter().all(|e| !matches!(e, Event::Data(_))));
}

#[test]
fn an_information_field_of_the_negotiated_maximum_is_taken_and_one_more_is_refused() {
    let now = Instant::now();
    let mut s = connected(now);
    let mut info = vec![0xE6, 0xE6, 0x00];
    info.resize(128, 0xAB);
    s.handle_input(now, &command(i(0, 0, true), false, &info));
    assert_eq!(events(&mut s), [Event::Data(vec![0xAB; 125])]);
    assert_eq!(
        replies(&mut s, now)[0].control,
        Control::Rr { nr: 1, pf: true }
    );
    info.push(0xAB);
    s.handle_input(now, &command(i(1, 0, true), false, &info));
    let out = replies(&mut s, now);
    assert_eq!(
        FrameReject::decode(&out[0].info).unwrap().reasons,
        FrameReject::Y
    );
}

#[test]
fn an_rr_with_an_information_field_is_refused_with_frmr_w_and_x() {
    let now = Instant::now();
    let mut s = connected(now);
    s.handle_input(now, &command(Control::Rr { nr: 0, pf: true }, false, &[1]));
    let out = replies(&mut s, now);
    assert_eq!(
        FrameReject::decode(&out[0].info).unwrap().reasons,
        FrameReject::W | FrameReject::X
    );
}

#[test]
fn a_repeated_i_frame_is_acknowledged_but_not_delivered_twice() {
    let now = Instant::now();
    let mut s = connected(now);
    let frame = command(i(0, 0, true), false, &[0xE6, 0xE6, 0x00, 0x42]);
    s.handle_input(now, &frame);
    replies(&mut s, now);
    s.handle_input(now, &frame);
    assert_eq!(
        events(&mut s),
        [
            Event::Data(vec![0x42]),
            Event::SequenceError {
                expected: 1,
                found: 0
            }
        ]
    );
    assert_eq!(
        replies(&mut s, now)[0].control,
        Control::Rr { nr: 1, pf: true }
    );
}

#[test]
fn frames_before_snrm_are_answered_dm() {
    let now = Instant::now();
    let mut s = server();
    s.handle_input(now, &command(i(0, 0, true), false, &[0xE6, 0xE6, 0x00]));
    assert_eq!(replies(&mut s, now)[0].control, Control::Dm { pf: true });
    s.handle_input(now, &command(Control::Disc { pf: true }, false, &[]));
    assert_eq!(replies(&mut s, now)[0].control, Control::Dm { pf: true });
    assert_eq!(s.state(), State::Disconnected);
}

#[test]
fn a_second_client_is_refused_while_a_link_is_open() {
    let now = Instant::now();
    let mut s = connected(now);
    let other = Address::client(0x30).unwrap();
    s.handle_input(now, &from(other, Control::Snrm { pf: true }, false, &[]));
    let out = replies(&mut s, now);
    assert_eq!(out[0].control, Control::Dm { pf: true });
    assert_eq!(out[0].destination, other);
    assert_eq!(s.client(), Some(Address::PUBLIC_CLIENT));
    assert_eq!(s.state(), State::Connected);
}

#[test]
fn a_server_whose_link_was_closed_takes_another_client_and_delivers_its_request() {
    // Found by the dlms_hdlc_link fuzz target: after the public client's DISC, a capture of
    // client 0x11's SNRM and AARQ on the line opens a link for it and delivers the AARQ. Not a
    // misdelivery: a server without a link serves whichever client opens one.
    let now = Instant::now();
    let mut s = connected(now);
    s.handle_input(now, &command(Control::Disc { pf: true }, false, &[]));
    replies(&mut s, now);
    events(&mut s);
    let other = Address::client(0x11).unwrap();
    let mut line = from(other, Control::Snrm { pf: true }, false, &[]);
    // E6 E6 00: the command LLC header | 60 ..: an AARQ's first octets
    line.extend(from(
        other,
        i(0, 0, true),
        false,
        &[0xE6, 0xE6, 0x00, 0x60, 0x36, 0xA1],
    ));
    s.handle_input(now, &line);
    assert!(
        matches!(events(&mut s)[..], [Event::Connected(_), Event::Data(ref d)] if d == &[0x60, 0x36, 0xA1])
    );
    assert_eq!(s.client(), Some(other));
    let out = replies(&mut s, now);
    assert_eq!(out[0].destination, other);
}

#[test]
fn frames_for_another_server_are_ignored() {
    let now = Instant::now();
    let mut s = server();
    let snrm = encode(&Frame {
        segmented: false,
        destination: Address::two(1, 18).unwrap(),
        source: Address::PUBLIC_CLIENT,
        control: Control::Snrm { pf: true },
        info: &[],
    });
    s.handle_input(now, &snrm);
    assert_eq!(s.poll_transmit(now), None);
    assert_eq!(events(&mut s), []);
}

#[test]
fn a_silent_client_loses_its_link_after_the_inactivity_timeout() {
    let now = Instant::now();
    let mut s = connected(now);
    let t = s.poll_timeout().unwrap();
    assert_eq!(t, now + Duration::from_secs(120));
    s.handle_timeout(t - Duration::from_millis(1));
    assert_eq!(s.state(), State::Connected);
    s.handle_timeout(t);
    assert_eq!(s.state(), State::Disconnected);
    assert_eq!(
        events(&mut s),
        [Event::Disconnected(Disconnect::Inactivity)]
    );
}

#[test]
fn an_snrm_with_malformed_parameters_is_answered_dm() {
    let now = Instant::now();
    let mut s = server();
    // 81 | 81 (not the group identifier 80) | 03 | 07 01 01
    s.handle_input(
        now,
        &command(
            Control::Snrm { pf: true },
            false,
            &[0x81, 0x81, 0x03, 0x07, 0x01, 0x01],
        ),
    );
    assert!(matches!(events(&mut s)[..], [Event::Malformed(_)]));
    assert_eq!(replies(&mut s, now)[0].control, Control::Dm { pf: true });
}

#[test]
fn a_missing_llc_header_is_refused_only_in_strict_mode() {
    let now = Instant::now();
    let mut s = Server::new(Config {
        server: server_address(),
        accept_missing_llc: false,
        ..Config::default()
    });
    s.handle_input(now, &bytes(SNRM));
    events(&mut s);
    s.handle_input(now, &command(i(0, 0, true), false, &[0xC0, 0x01]));
    assert!(matches!(events(&mut s)[..], [Event::Malformed(_)]));
    let mut lenient = server(); // the default
    lenient.handle_input(now, &bytes(SNRM));
    lenient.handle_input(now, &command(i(0, 0, true), false, &[0xC0, 0x01]));
    assert_eq!(events(&mut lenient)[1], Event::Data(vec![0xC0, 0x01]));
}

#[test]
fn a_segmented_apdu_over_the_limit_is_dropped_whole() {
    let now = Instant::now();
    let mut s = Server::new(Config {
        server: server_address(),
        max_apdu_len: 100,
        ..Config::default()
    });
    s.handle_input(now, &bytes(SNRM));
    events(&mut s);
    for (ns, more) in [(0, true), (1, false)] {
        s.handle_input(now, &command(i(ns, 0, true), more, &[0xE6; 60]));
        replies(&mut s, now);
    }
    assert_eq!(events(&mut s), [Event::ApduTooLong { len: 120 }]);
}
