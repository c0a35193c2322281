//! Balanced transmission (IEC 60870-5-2 clause 5.2, IEC 60870-5-101 clause 6.1): two of our
//! stations wired together, and one fed frames by hand.

use crate::common::*;
use fieldbridge_iec60870::ft12::{Control, PrimaryFunction as P, SecondaryFunction as S};
use fieldbridge_iec60870::link101::{Balanced, Params, Refusal, Service, Station};
use std::cell::Cell;
use std::rc::Rc;
use std::time::Instant;

fn params() -> Params {
    Params::default()
}

/// (from A, function code, FCB or ACD, FCV or DFC, DIR, address) of each frame in the log.
fn frames(pair: &BalancedPair) -> Vec<(bool, bool, u8, bool, bool, bool, u16)> {
    pair.log
        .iter()
        .map(|(from_a, w, _)| match w.control().unwrap() {
            Control::Primary {
                dir,
                fcb,
                fcv,
                function,
            } => (
                *from_a,
                true,
                function.code(),
                fcb,
                fcv,
                dir,
                w.address().unwrap(),
            ),
            Control::Secondary {
                dir,
                acd,
                dfc,
                function,
            } => (
                *from_a,
                false,
                function.code(),
                acd,
                dfc,
                dir,
                w.address().unwrap(),
            ),
        })
        .collect()
}

#[test]
fn both_directions_reset_their_link_with_dir_and_addresses() {
    let mut pair = BalancedPair::new(params());
    pair.run(ms(10));
    assert!(pair.a.is_up() && pair.b.is_up());
    let mut a = pair.a_events.clone();
    let mut b = pair.b_events.clone();
    a.sort_by_key(|e| format!("{e:?}"));
    b.sort_by_key(|e| format!("{e:?}"));
    assert_eq!(a, [Seen::ResetByRemote(1), Seen::Up(2)]);
    assert_eq!(b, [Seen::ResetByRemote(2), Seen::Up(1)]);
    let f = frames(&pair);
    // A sends with DIR = 1 to address 2 and answers with its own address 1; B the other way.
    assert!(f.contains(&(true, true, 9, false, false, true, 2)));
    assert!(f.contains(&(false, false, 11, false, false, false, 2)));
    assert!(f.contains(&(true, true, 0, false, false, true, 2)));
    assert!(f.contains(&(false, false, 0, false, false, false, 2)));
    assert!(f.contains(&(false, true, 9, false, false, false, 1)));
    assert!(f.contains(&(true, false, 11, false, false, true, 1)));
    assert_eq!(f.len(), 8);
}

#[test]
fn user_data_flow_both_ways_each_direction_with_its_own_fcb() {
    let mut pair = BalancedPair::new(params());
    pair.run(ms(10));
    let a1 = pair.a.send(&asdu(1)).unwrap();
    let a2 = pair.a.send(&asdu(2)).unwrap();
    let b1 = pair.b.send(&asdu(3)).unwrap();
    pair.log.clear();
    pair.run(ms(10));
    assert_eq!(
        data(&pair.b_events),
        [
            (2, Service::Confirmed, asdu(1)),
            (2, Service::Confirmed, asdu(2))
        ]
    );
    assert_eq!(data(&pair.a_events), [(1, Service::Confirmed, asdu(3))]);
    assert!(pair.a_events.contains(&Seen::Confirmed(2, a1)));
    assert!(pair.a_events.contains(&Seen::Confirmed(2, a2)));
    assert!(pair.b_events.contains(&Seen::Confirmed(1, b1)));
    let fcbs = |from_a: bool| -> Vec<bool> {
        frames(&pair)
            .into_iter()
            .filter(|f| f.0 == from_a && f.1 && f.2 == 3)
            .map(|f| f.3)
            .collect()
    };
    assert_eq!(fcbs(true), [true, false]);
    assert_eq!(fcbs(false), [true]);
}

#[test]
fn a_lost_ack_makes_a_repetition_that_is_answered_but_not_delivered_again() {
    let mut pair = BalancedPair::new(params());
    pair.run(ms(10));
    let mut lost = false;
    pair.lose = Box::new(move |_, from_a, w| {
        // B's first ACK to A's user data.
        let hit = !from_a && !lost && w.control().is_some_and(|c| !c.is_primary());
        if hit {
            lost = true;
        }
        hit
    });
    let id = pair.a.send(&asdu(1)).unwrap();
    pair.run(secs(3));
    assert_eq!(data(&pair.b_events), [(2, Service::Confirmed, asdu(1))]);
    assert!(pair.b_events.contains(&Seen::Repetition(2, 3)));
    assert_eq!(
        pair.a_events
            .iter()
            .filter(|e| **e == Seen::Confirmed(2, id))
            .count(),
        1
    );
    assert!(pair.a_events.contains(&Seen::Repeating(2, 1)));
}

#[test]
fn an_idle_link_is_tested_with_fc_2() {
    let mut pair = BalancedPair::new(params());
    pair.run(ms(10));
    pair.log.clear();
    pair.run(secs(11));
    let tests: Vec<_> = frames(&pair)
        .into_iter()
        .filter(|f| f.1 && f.2 == 2)
        .map(|f| (f.0, f.3, f.4))
        .collect();
    // A tests every 5 s with FCB toggling; each test is also activity heard by B, whose
    // own idle time therefore never runs out.
    assert_eq!(tests, [(true, true, true), (true, false, true)]);
    let acks = frames(&pair)
        .into_iter()
        .filter(|f| !f.1 && f.2 == 0)
        .count();
    assert_eq!(acks, tests.len());
    assert!(pair.a.is_up() && pair.b.is_up());
}

#[test]
fn a_station_that_falls_silent_is_found_down_and_reset_when_it_returns() {
    let p0 = Params {
        retries: 1,
        ..params()
    };
    let mut pair = BalancedPair::new(p0);
    pair.run(ms(10));
    let silent = Rc::new(Cell::new(true));
    let s = silent.clone();
    pair.lose = Box::new(move |_, from_a, _| !from_a && s.get());
    let id = pair.a.send(&asdu(1)).unwrap();
    pair.run(secs(3));
    assert!(pair
        .a_events
        .contains(&Seen::NotConfirmed(2, id, Refusal::NoResponse)));
    assert!(pair.a_events.contains(&Seen::Down(2)));
    assert!(!pair.a.is_up());
    silent.set(false);
    pair.run(secs(10));
    assert!(pair.a.is_up());
    assert_eq!(
        pair.a_events.iter().filter(|e| **e == Seen::Up(2)).count(),
        2
    );
    // B saw the data once, before it fell silent, and a second reset of its secondary.
    assert_eq!(data(&pair.b_events), [(2, Service::Confirmed, asdu(1))]);
    assert_eq!(
        pair.b_events
            .iter()
            .filter(|e| **e == Seen::ResetByRemote(2))
            .count(),
        2
    );
}

#[test]
fn dfc_holds_user_data_back_until_a_status_request_finds_it_clear() {
    let mut pair = BalancedPair::new(params());
    pair.run(ms(10));
    pair.b.set_full(true);
    let first = pair.a.send(&asdu(1)).unwrap();
    let second = pair.a.send(&asdu(2)).unwrap();
    pair.run(ms(10));
    assert!(pair
        .a_events
        .contains(&Seen::NotConfirmed(2, first, Refusal::Busy)));
    assert!(pair.a_events.contains(&Seen::Busy(2, true)));
    assert!(pair.a.is_busy());
    assert_eq!(pair.a.queued(), 1);
    pair.log.clear();
    pair.run(secs(2));
    // Status requests every poll interval, no user data.
    let sent: Vec<_> = frames(&pair)
        .into_iter()
        .filter(|f| f.0 && f.1)
        .map(|f| f.2)
        .collect();
    assert!(sent.iter().all(|&f| f == 9) && !sent.is_empty(), "{sent:?}");
    pair.b.set_full(false);
    pair.run(secs(2));
    assert!(pair.a_events.contains(&Seen::Busy(2, false)));
    assert!(pair.a_events.contains(&Seen::Confirmed(2, second)));
    assert_eq!(data(&pair.b_events), [(2, Service::Confirmed, asdu(2))]);
}

/// A master that keeps its user data back while the link is busy (so its queue is empty) still
/// learns that DFC cleared, though the outstation's own frames keep the idle test from coming.
#[test]
fn dfc_is_polled_clear_with_nothing_queued_while_the_other_side_keeps_sending() {
    let mut pair = BalancedPair::new(params());
    pair.run(ms(10));
    pair.b.set_full(true);
    let _ = pair.a.send(&asdu(1)).unwrap();
    pair.run(ms(10));
    assert!(pair.a.is_busy());
    assert_eq!(pair.a.clear(), 0, "the refused frame is gone already");
    pair.b.set_full(false);
    // B sends every second, more often than A's idle test interval.
    for n in 0..20 {
        let _ = pair.b.send(&asdu(n)).unwrap();
        pair.run(secs(1));
    }
    assert!(!pair.a.is_busy(), "DFC never polled clear");
    assert!(pair.a_events.contains(&Seen::Busy(2, false)));
}

/// Request status of link (FC 9) with this DIR, as a balanced station sends it.
fn status_request(dir: bool, address: u16) -> Wire {
    Wire::Fixed(
        Control::Primary {
            dir,
            fcb: false,
            fcv: false,
            function: P::REQUEST_LINK_STATUS,
        },
        address,
    )
}

#[test]
fn our_own_frames_echoed_and_frames_for_other_addresses_are_ignored() {
    let p0 = params();
    let t0 = Instant::now();
    let mut b = Balanced::new(p0, Station::B, 2, 1, t0).unwrap();
    let mut seen = Vec::new();
    let echo = status_request(false, 2);
    b.on_bytes(&echo.encode(&p0), t0, |e| seen.push(Seen::from(e)));
    let other = status_request(true, 3);
    b.on_bytes(&other.encode(&p0), t0, |e| seen.push(Seen::from(e)));
    assert_eq!(
        seen,
        [
            Seen::Unexpected(2, echo.control()),
            Seen::Unexpected(3, other.control())
        ]
    );
    // Only our own FC 9 goes out.
    let out: Vec<_> = std::iter::from_fn(|| b.poll_transmit(t0))
        .map(|t| Wire::of(&t, &p0))
        .collect();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].primary(), (9, false, false));
    // A's status request is answered with DIR = 0 and our address.
    let mut seen = Vec::new();
    let status = status_request(true, 2);
    b.on_bytes(&status.encode(&p0), t0, |e| seen.push(Seen::from(e)));
    assert_eq!(seen, []);
    let answer = Wire::of(&b.poll_transmit(t0).unwrap(), &p0);
    assert_eq!(
        answer,
        Wire::Fixed(
            Control::Secondary {
                dir: false,
                acd: false,
                dfc: false,
                function: S::LINK_STATUS
            },
            2
        )
    );
}

#[test]
fn two_octet_addresses_and_the_single_character_work_in_balanced_mode() {
    let p0 = Params {
        link: fieldbridge_iec60870::ft12::LinkConfig::new(
            fieldbridge_iec60870::ft12::AddressLen::Two,
        ),
        single_char_ack: true,
        ..params()
    };
    let mut pair = BalancedPair::new(p0);
    pair.run(ms(10));
    let id = pair.b.send(&asdu(1)).unwrap();
    pair.run(ms(10));
    assert!(pair.b_events.contains(&Seen::Confirmed(1, id)));
    assert_eq!(data(&pair.a_events), [(1, Service::Confirmed, asdu(1))]);
    // ACKs went as E5; status answers stayed fixed frames.
    assert!(pair.log.iter().any(|(_, w, _)| *w == Wire::E5));
    assert!(pair.log.iter().any(|(_, w, _)| matches!(
        w.control(),
        Some(Control::Secondary {
            function: S::LINK_STATUS,
            ..
        })
    )));
}
