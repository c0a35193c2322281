//! The link machines against hostile or odd peers: durations too long to add to the time,
//! answers owed to a link that went down, other clients and reserved addresses, frames longer
//! than negotiated, out-of-range parameters, a missing LLC header, four-octet server addresses,
//! RNR from the client, a second SNRM and the inactivity timer.

use crate::common::*;
use crate::link_common::{self, Pair};
use fieldbridge_dlms::hdlc::link::{Client, Config, Event, Server, State};
use fieldbridge_dlms::hdlc::{Address, Control, Frame, OwnedFrame, Parameters};
use std::time::{Duration, Instant};

fn srv() -> Address {
    Address::server(1, None).unwrap()
}

fn to_server(from: Address, control: Control, info: &[u8]) -> Vec<u8> {
    encode(&Frame {
        segmented: false,
        destination: srv(),
        source: from,
        control,
        info,
    })
}

fn to_client(control: Control, info: &[u8]) -> Vec<u8> {
    encode(&Frame {
        segmented: false,
        destination: Address::PUBLIC_CLIENT,
        source: srv(),
        control,
        info,
    })
}

fn out(s: &mut Server, now: Instant) -> Vec<OwnedFrame> {
    std::iter::from_fn(|| s.poll_transmit(now))
        .map(|b| whole(&b).to_owned_frame())
        .collect()
}

fn events_s(s: &mut Server) -> Vec<Event> {
    std::iter::from_fn(|| s.poll_event()).collect()
}

fn events_c(c: &mut Client) -> Vec<Event> {
    std::iter::from_fn(|| c.poll_event()).collect()
}

fn snrm(from: Address) -> Vec<u8> {
    to_server(from, Control::Snrm { pf: true }, &[])
}

fn linked_server(config: Config, now: Instant) -> Server {
    let mut s = Server::new(config);
    s.handle_input(now, &snrm(Address::PUBLIC_CLIENT));
    out(&mut s, now);
    events_s(&mut s);
    s
}

fn linked_client(config: Config, ua_info: &[u8], now: Instant) -> Client {
    let mut c = Client::new(config);
    c.connect();
    c.poll_transmit(now).unwrap();
    c.handle_input(now, &to_client(Control::Ua { pf: true }, ua_info));
    events_c(&mut c);
    c
}

fn i(ns: u8, nr: u8) -> Control {
    Control::I { ns, nr, pf: true }
}

// --- durations too long to add to an Instant: no panic, no deadline ---

#[test]
fn a_response_timeout_of_duration_max_means_no_deadline() {
    let now = Instant::now();
    let mut c = Client::new(Config {
        response_timeout: Duration::MAX,
        ..Config::default()
    });
    c.connect();
    assert!(c.poll_transmit(now).is_some());
    assert_eq!(c.poll_timeout(), None);
    c.handle_timeout(now + Duration::from_secs(1_000_000));
    assert_eq!(c.state(), State::Connecting);
    assert_eq!(events_c(&mut c), []);
}

#[test]
fn a_busy_poll_interval_of_duration_max_waits_for_poll() {
    let now = Instant::now();
    let mut c = linked_client(
        Config {
            busy_poll_interval: Duration::MAX,
            ..Config::default()
        },
        &[],
        now,
    );
    c.send(&[1]).unwrap();
    c.poll_transmit(now).unwrap();
    c.handle_input(now, &to_client(Control::Rnr { nr: 1, pf: true }, &[]));
    assert_eq!(c.poll_timeout(), None);
    assert_eq!(c.poll_transmit(now + Duration::from_secs(100)), None);
    c.poll(now);
    assert!(c.poll_transmit(now).is_some());
    // An RR without the answer: no repoll time either, but no panic.
    c.handle_input(now, &to_client(Control::Rr { nr: 1, pf: true }, &[]));
    assert_eq!(c.poll_timeout(), None);
    assert_eq!(c.state(), State::Connected);
}

#[test]
fn a_response_timeout_whose_multiple_overflows_leaves_the_wait_unbounded() {
    let now = Instant::now();
    let mut c = linked_client(
        Config {
            response_timeout: Duration::MAX / 2,
            ..Config::default()
        },
        &[],
        now,
    );
    c.send(&[1]).unwrap();
    c.poll_transmit(now).unwrap();
    let mut t = now;
    for _ in 0..100 {
        c.handle_input(t, &to_client(Control::Rr { nr: 1, pf: true }, &[]));
        t += Duration::from_millis(200);
        assert!(c.poll_transmit(t).is_some());
    }
    assert_eq!(events_c(&mut c), []);
}

#[test]
fn an_inactivity_timeout_of_duration_max_means_no_deadline() {
    let now = Instant::now();
    let mut s = linked_server(
        Config {
            inactivity_timeout: Some(Duration::MAX),
            ..Config::default()
        },
        now,
    );
    assert_eq!(s.poll_timeout(), None);
    s.handle_timeout(now + Duration::from_secs(1_000_000));
    assert_eq!(s.state(), State::Connected);
}

#[test]
fn an_inter_octet_timeout_of_duration_max_keeps_a_partial_frame() {
    let now = Instant::now();
    let mut c = linked_client(
        Config {
            inter_octet_timeout: Duration::MAX,
            ..Config::default()
        },
        &[],
        now,
    );
    let f = to_client(i(0, 0), &[0xE6, 0xE7, 0x00, 0x61]);
    c.handle_input(now, &f[..5]);
    c.handle_input(now + Duration::from_secs(1_000_000), &f[5..]);
    assert_eq!(events_c(&mut c), [Event::Data(vec![0x61])]);
}

// --- D4: nothing owed to a link that went down ---

#[test]
fn a_reply_owed_when_the_link_times_out_is_not_sent_and_the_next_poll_gets_dm() {
    let now = Instant::now();
    let mut s = linked_server(Config::default(), now);
    s.handle_input(
        now,
        &to_server(Address::PUBLIC_CLIENT, Control::Rr { nr: 0, pf: true }, &[]),
    );
    let later = now + Duration::from_secs(121);
    s.handle_timeout(later);
    assert_eq!(s.state(), State::Disconnected);
    assert_eq!(out(&mut s, later), []);
    assert!(s.is_idle());
    s.handle_input(
        later,
        &to_server(Address::PUBLIC_CLIENT, Control::Rr { nr: 0, pf: true }, &[]),
    );
    let dm = out(&mut s, later);
    assert_eq!(dm.len(), 1);
    assert_eq!(dm[0].control, Control::Dm { pf: true });
}

// --- D5: another client's SNRM does not take the linked client's answer ---

#[test]
fn another_clients_snrm_is_answered_dm_after_the_linked_clients_answer() {
    let now = Instant::now();
    let mut s = linked_server(Config::default(), now);
    s.send(&[1, 2, 3]).unwrap();
    s.handle_input(
        now,
        &to_server(Address::PUBLIC_CLIENT, Control::Rr { nr: 0, pf: true }, &[]),
    );
    s.handle_input(now, &snrm(Address::MANAGEMENT_CLIENT));
    let frames = out(&mut s, now);
    let seen: Vec<_> = frames.iter().map(|f| (f.control, f.destination)).collect();
    assert_eq!(
        seen,
        [
            (
                Control::I {
                    ns: 0,
                    nr: 0,
                    pf: true
                },
                Address::PUBLIC_CLIENT
            ),
            (Control::Dm { pf: true }, Address::MANAGEMENT_CLIENT),
        ]
    );
    assert_eq!(s.client(), Some(Address::PUBLIC_CLIENT));
}

#[test]
fn at_most_four_dms_to_other_clients_wait_and_each_client_once() {
    let now = Instant::now();
    let mut s = linked_server(Config::default(), now);
    for c in [0x20, 0x21, 0x21, 0x22, 0x23, 0x24, 0x25] {
        s.handle_input(now, &snrm(Address::client(c).unwrap()));
    }
    let to: Vec<_> = out(&mut s, now)
        .iter()
        .map(|f| f.destination.upper())
        .collect();
    assert_eq!(to, [0x20, 0x21, 0x22, 0x23]);
}

// --- I1: reserved source addresses ---

#[test]
fn an_snrm_from_the_no_station_or_all_station_address_is_ignored() {
    let now = Instant::now();
    let mut s = Server::new(Config::default());
    for from in [Address::NO_STATION, Address::ALL_STATION] {
        s.handle_input(now, &snrm(from));
        assert_eq!(out(&mut s, now), []);
        assert_eq!(s.state(), State::Disconnected);
        assert_eq!(
            events_s(&mut s),
            [Event::Discarded {
                control: Control::Snrm { pf: true },
                reason: "a no-station or all-station source address"
            }]
        );
    }
}

// --- I2: tolerant up to the configured receive size ---

#[test]
fn a_meter_that_sends_ua_without_parameters_may_still_send_long_frames() {
    let now = Instant::now();
    let config = Config {
        parameters: Parameters {
            max_info_rx: 1024,
            ..Parameters::default()
        },
        ..Config::default()
    };
    let mut c = linked_client(config, &[], now); // 128 negotiated
    assert_eq!(c.parameters().max_info_rx, 128);
    let mut info = vec![0xE6, 0xE7, 0x00];
    info.resize(600, 0x42);
    c.handle_input(now, &to_client(i(0, 0), &info));
    assert_eq!(events_c(&mut c), [Event::Data(vec![0x42; 597])]);
    assert_eq!(c.state(), State::Connected);
}

#[test]
fn the_server_takes_frames_up_to_its_own_maximum_and_refuses_longer_ones() {
    let now = Instant::now();
    let config = Config {
        parameters: Parameters {
            max_info_rx: 512,
            ..Parameters::default()
        },
        ..Config::default()
    };
    let mut s = Server::new(config);
    // SNRM proposing 128 octets transmit: 128 negotiated for the server's receive.
    let params = Parameters::default().to_bytes();
    s.handle_input(
        now,
        &to_server(Address::PUBLIC_CLIENT, Control::Snrm { pf: true }, &params),
    );
    out(&mut s, now);
    events_s(&mut s);
    let mut info = vec![0xE6, 0xE6, 0x00];
    info.resize(512, 0x01);
    s.handle_input(now, &to_server(Address::PUBLIC_CLIENT, i(0, 0), &info));
    assert_eq!(events_s(&mut s), [Event::Data(vec![0x01; 509])]);
    out(&mut s, now);
    info.push(0x01);
    s.handle_input(now, &to_server(Address::PUBLIC_CLIENT, i(1, 0), &info));
    assert_eq!(s.state(), State::FrameRejected);
}

// --- I3: out-of-range parameters are clamped, not refused ---

#[test]
fn an_snrm_with_a_window_of_nine_and_an_eight_octet_field_links_with_seven_and_thirty_two() {
    let now = Instant::now();
    let own = Parameters {
        max_info_tx: 512,
        max_info_rx: 512,
        window_tx: 7,
        window_rx: 7,
    };
    let mut s = Server::new(Config {
        parameters: own,
        ..Config::default()
    });
    // 81 80 0C | 05 01 08 (tx 8) | 06 01 08 (rx 8) | 07 01 09 (window 9) | 08 01 09
    let info = [
        0x81, 0x80, 0x0C, 0x05, 0x01, 0x08, 0x06, 0x01, 0x08, 0x07, 0x01, 0x09, 0x08, 0x01, 0x09,
    ];
    s.handle_input(
        now,
        &to_server(Address::PUBLIC_CLIENT, Control::Snrm { pf: true }, &info),
    );
    let clamped = Parameters {
        max_info_tx: 32,
        max_info_rx: 32,
        window_tx: 7,
        window_rx: 7,
    };
    assert_eq!(events_s(&mut s), [Event::Connected(clamped)]);
    assert_eq!(out(&mut s, now)[0].control, Control::Ua { pf: true });
}

#[test]
fn a_ua_with_a_window_of_eight_links_the_client_with_seven() {
    let now = Instant::now();
    let own = Parameters {
        max_info_tx: 128,
        max_info_rx: 128,
        window_tx: 7,
        window_rx: 7,
    };
    let mut c = Client::new(Config {
        parameters: own,
        ..Config::default()
    });
    c.connect();
    c.poll_transmit(now);
    // 81 80 06 | 07 01 08 | 08 01 08
    let info = [0x81, 0x80, 0x06, 0x07, 0x01, 0x08, 0x08, 0x01, 0x08];
    c.handle_input(now, &to_client(Control::Ua { pf: true }, &info));
    assert_eq!(events_c(&mut c), [Event::Connected(own)]);
}

// --- I4: the client takes a response without the LLC header by default ---

#[test]
fn the_client_takes_a_gurux_style_response_without_llc_and_refuses_a_wrong_llc() {
    let now = Instant::now();
    let mut c = linked_client(Config::default(), &[], now);
    // Gurux's server over HDLC: the AARE starts the information field, no E6 E7 00.
    let aare = [0x61, 0x03, 0xA1, 0x01, 0x00];
    c.handle_input(now, &to_client(i(0, 0), &aare));
    assert_eq!(events_c(&mut c), [Event::Data(aare.to_vec())]);
    // A correct header is stripped.
    c.handle_input(now, &to_client(i(1, 0), &[0xE6, 0xE7, 0x00, 0x61]));
    assert_eq!(events_c(&mut c), [Event::Data(vec![0x61])]);
    // The command header on a response is wrong: refused.
    c.handle_input(now, &to_client(i(2, 0), &[0xE6, 0xE6, 0x00, 0x61]));
    assert!(matches!(events_c(&mut c)[..], [Event::Malformed(_)]));
}

// --- test gaps ---

#[test]
fn rnr_from_the_client_holds_the_servers_data_until_rr() {
    let now = Instant::now();
    let mut s = linked_server(Config::default(), now);
    s.send(&[7, 7]).unwrap();
    s.handle_input(
        now,
        &to_server(
            Address::PUBLIC_CLIENT,
            Control::Rnr { nr: 0, pf: true },
            &[],
        ),
    );
    let held = out(&mut s, now);
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].control, Control::Rr { nr: 0, pf: true });
    s.handle_input(
        now,
        &to_server(Address::PUBLIC_CLIENT, Control::Rr { nr: 0, pf: true }, &[]),
    );
    let sent = out(&mut s, now);
    assert_eq!(sent[0].control, i(0, 0));
    assert_eq!(sent[0].info, [0xE6, 0xE7, 0x00, 7, 7]);
}

#[test]
fn a_four_octet_server_address_carries_a_segmented_exchange() {
    let server = Address::four(0x1234, 0x2345).unwrap();
    let config = Config {
        server,
        parameters: Parameters {
            max_info_tx: 40,
            max_info_rx: 40,
            window_tx: 2,
            window_rx: 2,
        },
        ..link_common::config()
    };
    let mut pair = Pair::new(config.clone(), config);
    pair.connect();
    assert_eq!(pair.server.state(), State::Connected);
    let request = link_common::apdu(150, 3);
    pair.client.send(&request).unwrap();
    pair.run(Duration::from_secs(60));
    assert_eq!(pair.server_data(), std::slice::from_ref(&request));
    assert_eq!(pair.client_data(), [link_common::answer(&request, 1)]);
}

#[test]
fn an_snrm_on_an_open_link_resets_both_sequence_numbers() {
    let now = Instant::now();
    let mut s = linked_server(Config::default(), now);
    s.handle_input(
        now,
        &to_server(Address::PUBLIC_CLIENT, i(0, 0), &[0xE6, 0xE6, 0x00, 1]),
    );
    s.send(&[2]).unwrap();
    assert_eq!(out(&mut s, now)[0].control, i(0, 1)); // V(S) 1, V(R) 1 now
    s.handle_input(now, &snrm(Address::PUBLIC_CLIENT));
    assert_eq!(out(&mut s, now)[0].control, Control::Ua { pf: true });
    events_s(&mut s);
    // N(S) 0 again is new data, and the server's numbering starts at 0.
    s.handle_input(
        now,
        &to_server(Address::PUBLIC_CLIENT, i(0, 0), &[0xE6, 0xE6, 0x00, 3]),
    );
    assert_eq!(events_s(&mut s), [Event::Data(vec![3])]);
    s.send(&[4]).unwrap();
    assert_eq!(out(&mut s, now)[0].control, i(0, 1));
}

#[test]
fn every_frame_from_the_client_restarts_the_inactivity_timer() {
    let now = Instant::now();
    let mut s = linked_server(Config::default(), now);
    let t = now + Duration::from_secs(100);
    s.handle_input(
        t,
        &to_server(Address::PUBLIC_CLIENT, Control::Rr { nr: 0, pf: true }, &[]),
    );
    assert_eq!(s.poll_timeout(), Some(t + Duration::from_secs(120)));
    s.handle_timeout(now + Duration::from_secs(121));
    assert_eq!(s.state(), State::Connected);
    // A frame from another client does not keep our link alive.
    let u = t + Duration::from_secs(60);
    s.handle_input(u, &snrm(Address::MANAGEMENT_CLIENT));
    assert_eq!(s.poll_timeout(), Some(t + Duration::from_secs(120)));
}
