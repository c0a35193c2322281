//! A client and a server link machine against each other: opening, data, segmentation both
//! ways, windows, lost frames and retries, closing.

use crate::link_common::*;
use fieldbridge_dlms::hdlc::link::{Config, Disconnect, Event, State};
use fieldbridge_dlms::hdlc::{Control, Parameters};
use proptest::prelude::*;
use std::time::Duration;

fn params(tx: u32, rx: u32, wtx: u8, wrx: u8) -> Parameters {
    Parameters {
        max_info_tx: tx,
        max_info_rx: rx,
        window_tx: wtx,
        window_rx: wrx,
    }
}

fn with(p: Parameters) -> Config {
    Config {
        parameters: p,
        ..config()
    }
}

#[test]
fn snrm_and_ua_open_the_link_with_the_minimum_of_each_parameter() {
    let mut pair = Pair::new(with(params(512, 256, 3, 2)), with(params(128, 1024, 7, 4)));
    pair.connect();
    let client_view = params(512, 128, 3, 2);
    let server_view = params(128, 512, 2, 3);
    assert_eq!(pair.client.state(), State::Connected);
    assert_eq!(pair.server.state(), State::Connected);
    assert_eq!(pair.client_events, [Event::Connected(client_view)]);
    assert_eq!(pair.server_events, [Event::Connected(server_view)]);
    assert_eq!(
        pair.wire,
        [
            (true, Control::Snrm { pf: true }),
            (false, Control::Ua { pf: true })
        ]
    );
}

#[test]
fn a_request_and_its_answer_fit_one_frame_each() {
    let mut pair = Pair::new(config(), config());
    pair.connect();
    pair.client.send(&[0xC0, 0x01, 0x81]).unwrap();
    pair.run(Duration::from_secs(10));
    assert_eq!(pair.server_data(), [vec![0xC0, 0x01, 0x81]]);
    assert_eq!(pair.client_data(), [vec![0x81, 0x01, 0xC0]]);
    assert_eq!(
        pair.wire[2..],
        [
            (
                true,
                Control::I {
                    ns: 0,
                    nr: 0,
                    pf: true
                }
            ),
            (
                false,
                Control::I {
                    ns: 0,
                    nr: 1,
                    pf: true
                }
            )
        ]
    );
    assert!(pair.client.is_idle());
}

#[test]
fn segmented_request_and_answer_with_window_one_go_with_rr_between() {
    let mut pair = Pair::new(with(params(32, 32, 1, 1)), config());
    pair.echo_factor = 3;
    pair.connect();
    let request = apdu(100, 7);
    pair.client.send(&request).unwrap();
    pair.run(Duration::from_secs(10));
    assert_eq!(pair.server_data(), std::slice::from_ref(&request));
    assert_eq!(pair.client_data(), [answer(&request, 3)]);
    // 103 octets with the LLC in 32-octet segments: 4 I frames, the server's RR after the
    // first three; 303 back: 10 I frames, the client's RR after the first nine.
    let is_i = |c: &Control| matches!(c, Control::I { .. });
    let is_rr = |c: &Control| matches!(c, Control::Rr { .. });
    assert_eq!(pair.count(true, is_i), 4);
    assert_eq!(pair.count(false, is_rr), 3);
    assert_eq!(pair.count(false, is_i), 10);
    assert_eq!(pair.count(true, is_rr), 9);
    assert!(pair
        .client_events
        .iter()
        .all(|e| !matches!(e, Event::Retrying { .. })));
}

#[test]
fn windows_above_one_put_the_poll_bit_on_the_last_frame_only() {
    let p = params(16, 16, 3, 3);
    let mut pair = Pair::new(with(p), with(p));
    pair.connect();
    let request = apdu(100, 1);
    pair.client.send(&request).unwrap();
    pair.run(Duration::from_secs(10));
    assert_eq!(pair.server_data(), std::slice::from_ref(&request));
    assert_eq!(pair.client_data(), [answer(&request, 1)]);
    let first_burst: Vec<_> = pair.wire[2..5].to_vec();
    assert_eq!(
        first_burst,
        [
            (
                true,
                Control::I {
                    ns: 0,
                    nr: 0,
                    pf: false
                }
            ),
            (
                true,
                Control::I {
                    ns: 1,
                    nr: 0,
                    pf: false
                }
            ),
            (
                true,
                Control::I {
                    ns: 2,
                    nr: 0,
                    pf: true
                }
            )
        ]
    );
    assert_eq!(pair.wire[5], (false, Control::Rr { nr: 3, pf: true }));
}

#[test]
fn a_lost_request_is_polled_for_and_sent_again() {
    let mut pair = Pair::new(config(), config());
    pair.drop_to_server = Box::new(|n, _| n == 1); // the first I frame
    pair.connect();
    pair.client.send(&[1, 2, 3]).unwrap();
    pair.run(Duration::from_secs(10));
    assert_eq!(pair.server_data(), [vec![1, 2, 3]]);
    assert_eq!(pair.client_data(), [vec![3, 2, 1]]);
    assert!(pair.client_events.contains(&Event::Retrying { attempt: 1 }));
    // I (lost), RR poll, RR(N(R) 0) back, I again.
    assert_eq!(
        pair.wire[2..6],
        [
            (
                true,
                Control::I {
                    ns: 0,
                    nr: 0,
                    pf: true
                }
            ),
            (true, Control::Rr { nr: 0, pf: true }),
            (false, Control::Rr { nr: 0, pf: true }),
            (
                true,
                Control::I {
                    ns: 0,
                    nr: 0,
                    pf: true
                }
            ),
        ]
    );
}

#[test]
fn a_lost_answer_is_sent_again_and_delivered_once() {
    let mut pair = Pair::new(config(), config());
    pair.drop_to_client = Box::new(|n, _| n == 1); // the answer
    pair.connect();
    pair.client.send(&[1, 2, 3]).unwrap();
    pair.run(Duration::from_secs(10));
    assert_eq!(pair.server_data(), [vec![1, 2, 3]]);
    assert_eq!(pair.client_data(), [vec![3, 2, 1]]);
    assert_eq!(
        pair.wire[4..],
        [
            (true, Control::Rr { nr: 0, pf: true }),
            (
                false,
                Control::I {
                    ns: 0,
                    nr: 1,
                    pf: true
                }
            ),
        ]
    );
}

#[test]
fn a_lost_ua_makes_the_client_repeat_snrm() {
    let mut pair = Pair::new(config(), config());
    pair.drop_to_client = Box::new(|n, _| n == 0);
    pair.connect();
    assert_eq!(pair.client.state(), State::Connected);
    assert_eq!(pair.count(true, |c| matches!(c, Control::Snrm { .. })), 2);
}

#[test]
fn a_silent_server_fails_the_link_after_every_retry() {
    let mut pair = Pair::new(config(), config());
    pair.drop_to_server = Box::new(|_, _| true);
    pair.connect();
    assert_eq!(pair.client.state(), State::Disconnected);
    assert_eq!(pair.count(true, |c| matches!(c, Control::Snrm { .. })), 4);
    assert_eq!(
        pair.client_events,
        [
            Event::Retrying { attempt: 1 },
            Event::Retrying { attempt: 2 },
            Event::Retrying { attempt: 3 },
            Event::Disconnected(Disconnect::LinkFailure)
        ]
    );
    assert_eq!(pair.now - pair.start, Duration::from_secs(4));
}

#[test]
fn disc_closes_both_sides() {
    let mut pair = Pair::new(config(), config());
    pair.connect();
    pair.client.disconnect();
    pair.run(Duration::from_secs(10));
    assert_eq!(pair.client.state(), State::Disconnected);
    assert_eq!(pair.server.state(), State::Disconnected);
    assert_eq!(
        pair.client_events.last(),
        Some(&Event::Disconnected(Disconnect::Local))
    );
    assert_eq!(
        pair.server_events.last(),
        Some(&Event::Disconnected(Disconnect::Remote))
    );
    assert_eq!(
        pair.wire[2..],
        [
            (true, Control::Disc { pf: true }),
            (false, Control::Ua { pf: true })
        ]
    );
    assert!(pair.client.send(&[1]).is_err());
}

#[test]
fn a_disc_to_a_server_without_a_link_is_answered_dm() {
    let mut pair = Pair::new(config(), config());
    pair.connect();
    pair.client.disconnect();
    pair.drop_to_client = Box::new(|n, _| n == 1); // the UA
    pair.run(Duration::from_secs(10));
    // The repeated DISC finds the server disconnected: DM, which closes the client too.
    assert_eq!(pair.wire.last(), Some(&(false, Control::Dm { pf: true })));
    assert_eq!(
        pair.client_events.last(),
        Some(&Event::Disconnected(Disconnect::Local))
    );
}

#[test]
fn segmentation_lost_frames_and_a_disconnect_in_one_session() {
    let p = params(24, 24, 2, 2);
    let mut pair = Pair::new(with(p), with(p));
    pair.echo_factor = 2;
    // Every 5th frame to the server and every 4th to the client is lost.
    pair.drop_to_server = Box::new(|n, _| n % 5 == 4);
    pair.drop_to_client = Box::new(|n, _| n % 4 == 3);
    pair.connect();
    let requests: Vec<Vec<u8>> = (0..4).map(|i| apdu(40 + 30 * i, i as u8)).collect();
    for r in &requests {
        pair.client.send(r).unwrap();
        pair.run(Duration::from_secs(60));
    }
    assert_eq!(pair.server_data(), requests);
    let answers: Vec<Vec<u8>> = requests.iter().map(|r| answer(r, 2)).collect();
    assert_eq!(pair.client_data(), answers);
    assert!(pair
        .client_events
        .iter()
        .any(|e| matches!(e, Event::Retrying { .. })));
    pair.client.disconnect();
    pair.run(Duration::from_secs(60));
    assert_eq!(pair.client.state(), State::Disconnected);
    assert_eq!(pair.server.state(), State::Disconnected);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn any_sizes_windows_and_losses_deliver_every_apdu_once_in_order(
        max_info in 8u32..64,
        window in 1u8..=7,
        lens in proptest::collection::vec(0usize..300, 1..4),
        loss_to_server in proptest::collection::vec(prop::bool::weighted(0.25), 64),
        loss_to_client in proptest::collection::vec(prop::bool::weighted(0.25), 64),
    ) {
        let p = params(max_info, max_info, window, window);
        let mut pair = Pair::new(Config { retries: 20, ..with(p) }, with(p));
        // A quarter of the first 64 frames each way are lost, then none: the link must recover.
        pair.drop_to_server = Box::new(move |n, _| loss_to_server.get(n).copied().unwrap_or(false));
        pair.drop_to_client = Box::new(move |n, _| loss_to_client.get(n).copied().unwrap_or(false));
        pair.connect();
        prop_assert_eq!(pair.client.state(), State::Connected);
        let requests: Vec<Vec<u8>> = lens.iter().enumerate().map(|(i, &n)| apdu(n, i as u8)).collect();
        for r in &requests {
            pair.client.send(r).unwrap();
            pair.run(Duration::from_secs(600));
        }
        prop_assert_eq!(pair.server_data(), requests.clone());
        let answers: Vec<Vec<u8>> = requests.iter().map(|r| answer(r, 1)).collect();
        prop_assert_eq!(pair.client_data(), answers);
    }
}

/// What the line does to one frame.
#[derive(Debug, Clone, Copy)]
enum Fate {
    Deliver,
    Drop,
    /// One octet changed: at this fraction of the frame, XORed with this (never 0).
    Corrupt(u8, u8),
    Duplicate,
    /// Cut after this fraction of the frame: the rest never comes.
    Truncate(u8),
}

fn fate() -> impl Strategy<Value = Fate> {
    prop_oneof![
        12 => Just(Fate::Deliver),
        2 => Just(Fate::Drop),
        2 => (any::<u8>(), 1u8..=255).prop_map(|(at, x)| Fate::Corrupt(at, x)),
        2 => Just(Fate::Duplicate),
        2 => any::<u8>().prop_map(Fate::Truncate),
    ]
}

fn mangler(fates: Vec<Fate>) -> Mangler {
    Box::new(move |n, frame| {
        let at = |f: u8| (frame.len() * usize::from(f)) / 256;
        match fates.get(n).copied().unwrap_or(Fate::Deliver) {
            Fate::Deliver => frame.to_vec(),
            Fate::Drop => Vec::new(),
            Fate::Corrupt(f, x) => {
                let mut out = frame.to_vec();
                out[at(f)] ^= x;
                out
            }
            Fate::Duplicate => [frame, frame].concat(),
            Fate::Truncate(f) => frame[..at(f)].to_vec(),
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn corrupted_duplicated_truncated_and_lost_frames_still_deliver_every_apdu_once_in_order(
        max_info in 8u32..64,
        window in 1u8..=7,
        lens in proptest::collection::vec(0usize..300, 1..4),
        to_server in proptest::collection::vec(fate(), 48),
        to_client in proptest::collection::vec(fate(), 48),
    ) {
        let p = params(max_info, max_info, window, window);
        let mut pair = Pair::new(Config { retries: 30, ..with(p) }, with(p));
        // The first 48 frames each way meet the line's faults, then none: the link must recover.
        pair.mangle_to_server = Some(mangler(to_server));
        pair.mangle_to_client = Some(mangler(to_client));
        pair.connect();
        if pair.client.state() != State::Connected {
            // A corrupted SNRM or UA may fail the opening; open again on a clean line.
            pair.connect();
        }
        prop_assert_eq!(pair.client.state(), State::Connected);
        let requests: Vec<Vec<u8>> = lens.iter().enumerate().map(|(i, &n)| apdu(n, i as u8)).collect();
        for r in &requests {
            pair.client.send(r).unwrap();
            pair.run(Duration::from_secs(600));
        }
        prop_assert_eq!(pair.server_data(), requests.clone());
        let answers: Vec<Vec<u8>> = requests.iter().map(|r| answer(r, 1)).collect();
        prop_assert_eq!(pair.client_data(), answers);
        prop_assert!(pair.client.is_idle());
    }
}
