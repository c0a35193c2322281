//! Answers that come late: the client keeps polling a server that acknowledged a request with RR
//! but has not answered yet, gives up with `NoResponse` after a bound, and gives a server that
//! stays busy (RNR) the same bound before it drops the link.

use crate::common::*;
use crate::link_common::*;
use fieldbridge_dlms::hdlc::link::{Client, Config, Disconnect, Event, Server, State};
use fieldbridge_dlms::hdlc::{self, Address, Control, Frame};
use std::time::{Duration, Instant};

fn control(frame: &[u8]) -> Control {
    hdlc::decode(frame).unwrap().unwrap().0.control
}

/// A client and a server linked at `now`, directly (no Pair).
fn linked(now: Instant) -> (Client, Server) {
    let mut c = Client::new(Config::default());
    let mut s = Server::new(Config::default());
    c.connect();
    s.handle_input(now, &c.poll_transmit(now).unwrap());
    c.handle_input(now, &s.poll_transmit(now).unwrap());
    while c.poll_event().is_some() {}
    while s.poll_event().is_some() {}
    (c, s)
}

/// An RR from server 1 to the public client.
fn rr(nr: u8) -> Vec<u8> {
    frame(Control::Rr { nr, pf: true })
}

fn frame(control: Control) -> Vec<u8> {
    encode(&Frame {
        segmented: false,
        destination: Address::PUBLIC_CLIENT,
        source: Address::server(1, None).unwrap(),
        control,
        info: &[],
    })
}

#[test]
fn a_request_acknowledged_with_rr_and_no_answer_is_polled_for_after_the_busy_interval() {
    // The reviewer's case: the server's application is not ready when the request arrives, so
    // its driver flushes the RR it owes; the answer is queued afterwards.
    let now = Instant::now();
    let (mut c, mut s) = linked(now);
    c.send(&[0xC0, 0x01, 0xC1, 0x00, 0x08]).unwrap();
    s.handle_input(now, &c.poll_transmit(now).unwrap());
    let answer = s.poll_transmit(now).unwrap();
    assert_eq!(control(&answer), Control::Rr { nr: 1, pf: true });
    c.handle_input(now, &answer);
    assert!(!c.is_idle(), "an answer is owed");
    let poll_at = now + Duration::from_millis(200);
    assert_eq!(c.poll_timeout(), Some(poll_at));
    assert_eq!(c.poll_transmit(now), None, "not before the interval");
    s.send(&[0xC4, 0x01, 0xC1, 0x00, 0x11, 0x07]).unwrap();
    let poll = c.poll_transmit(poll_at).unwrap();
    assert_eq!(control(&poll), Control::Rr { nr: 0, pf: true });
    s.handle_input(poll_at, &poll);
    c.handle_input(poll_at, &s.poll_transmit(poll_at).unwrap());
    let events: Vec<_> = std::iter::from_fn(|| c.poll_event()).collect();
    assert_eq!(
        events,
        [Event::Data(vec![0xC4, 0x01, 0xC1, 0x00, 0x11, 0x07])]
    );
    assert!(c.is_idle());
    assert_eq!(c.poll_timeout(), None);
}

#[test]
fn a_server_that_answers_two_seconds_late_is_polled_until_the_answer_comes() {
    let mut pair = Pair::new(config(), config());
    pair.answer_delay = Some(Duration::from_secs(2));
    pair.connect();
    let start = pair.now;
    pair.client.send(&[1, 2, 3]).unwrap();
    pair.run(Duration::from_secs(60));
    assert_eq!(pair.client_data(), [vec![3, 2, 1]]);
    assert!(pair.client.is_idle());
    assert!(pair
        .client_events
        .iter()
        .all(|e| !matches!(e, Event::Retrying { .. } | Event::NoResponse)));
    // I, RR(1) back; then a poll every 200 ms answered RR until the answer at 2 s.
    assert_eq!(pair.now - start, Duration::from_secs(2));
    let polls = pair.count(true, |c| matches!(c, Control::Rr { .. }));
    assert_eq!(polls, 10);
    assert_eq!(
        pair.wire.last(),
        Some(&(
            false,
            Control::I {
                ns: 0,
                nr: 1,
                pf: true
            }
        ))
    );
    assert_eq!(pair.client.state(), State::Connected);
}

#[test]
fn a_server_that_never_answers_is_given_up_with_no_response_and_the_link_stays_up() {
    let mut pair = Pair::new(config(), config()); // 1 s timeout, 3 retries
    pair.answer_delay = None;
    pair.connect();
    let start = pair.now;
    pair.client.send(&[1, 2, 3]).unwrap();
    pair.run(Duration::from_secs(600));
    // As long as a silent server gets: 1 s times (3 + 1).
    assert_eq!(pair.now - start, Duration::from_secs(4));
    assert_eq!(pair.client_events.last(), Some(&Event::NoResponse));
    assert_eq!(pair.client.state(), State::Connected);
    assert!(pair.client.is_idle());
    assert_eq!(pair.client.poll_timeout(), None);
    // The link still works.
    pair.answer_delay = Some(Duration::ZERO);
    pair.client.send(&[4, 5]).unwrap();
    pair.run(Duration::from_secs(60));
    assert_eq!(pair.client_data(), [vec![5, 4]]);
}

#[test]
fn an_unconfirmed_request_is_not_polled_for() {
    let now = Instant::now();
    let (mut c, mut s) = linked(now);
    c.send_unconfirmed(&[0xC1, 0x02]).unwrap();
    s.handle_input(now, &c.poll_transmit(now).unwrap());
    c.handle_input(now, &s.poll_transmit(now).unwrap());
    assert!(c.is_idle());
    assert_eq!(c.poll_timeout(), None);
    assert_eq!(c.poll_transmit(now + Duration::from_secs(10)), None);
}

#[test]
fn poll_asks_the_server_at_once_for_an_answer_the_application_knows_is_owed() {
    let now = Instant::now();
    let (mut c, mut s) = linked(now);
    c.poll(now);
    let poll = c.poll_transmit(now).unwrap();
    assert_eq!(control(&poll), Control::Rr { nr: 0, pf: true });
    assert_eq!(c.poll_transmit(now), None, "one poll at a time");
    s.send(&[0x0F, 0x01]).unwrap();
    s.handle_input(now, &poll);
    c.handle_input(now, &s.poll_transmit(now).unwrap());
    assert_eq!(c.poll_event(), Some(Event::Data(vec![0x0F, 0x01])));
    assert!(c.is_idle());
    // Without a link, poll does nothing.
    let mut idle = Client::new(Config::default());
    idle.poll(now);
    assert_eq!(idle.poll_transmit(now), None);
}

#[test]
fn a_server_that_stays_busy_is_polled_then_disconnected_with_link_failure() {
    let now = Instant::now();
    let (mut c, _) = linked(now);
    c.send(&[1]).unwrap();
    c.poll_transmit(now).unwrap();
    // RNR acknowledging the request, then RNR to every poll.
    let mut t = now;
    let mut polls = 0;
    c.handle_input(t, &frame(Control::Rnr { nr: 1, pf: true }));
    while let Some(next) = c.poll_timeout() {
        t = next;
        let Some(out) = c.poll_transmit(t) else { break };
        if control(&out) == (Control::Disc { pf: true }) {
            break;
        }
        assert_eq!(control(&out), Control::Rr { nr: 0, pf: true });
        polls += 1;
        c.handle_input(t, &frame(Control::Rnr { nr: 1, pf: true }));
        assert!(polls < 1000);
    }
    // 3 s timeout times (3 + 1) at one poll per 200 ms: the 60th RNR ends it.
    assert_eq!(polls, 60);
    assert_eq!(t - now, Duration::from_secs(12));
    assert_eq!(c.state(), State::Disconnecting);
    let disc = c.poll_transmit(t).expect("the DISC goes out");
    assert_eq!(control(&disc), Control::Disc { pf: true });
    c.handle_input(t, &frame(Control::Ua { pf: true }));
    let events: Vec<_> = std::iter::from_fn(|| c.poll_event()).collect();
    assert_eq!(
        events.last(),
        Some(&Event::Disconnected(Disconnect::LinkFailure))
    );
}

#[test]
fn an_rr_between_rnrs_restarts_the_busy_bound() {
    let now = Instant::now();
    let (mut c, _) = linked(now);
    c.send(&[1]).unwrap();
    c.poll_transmit(now).unwrap();
    c.handle_input(now, &frame(Control::Rnr { nr: 1, pf: true }));
    let t = now + Duration::from_millis(11_900);
    assert!(c.poll_transmit(t).is_some());
    c.handle_input(t, &rr(1)); // not busy any more, still no answer
    let t = t + Duration::from_millis(200);
    assert!(c.poll_transmit(t).is_some());
    // 12.1 s after the first RNR, but only 0.2 s after the last busy run began.
    c.handle_input(t, &frame(Control::Rnr { nr: 1, pf: true }));
    assert_eq!(c.state(), State::Connected);
}
