//! t1, t2 and t3 driven forward in simulated time (IEC 60870-5-104 clauses 5.1, 5.2 and 9.6).

use crate::common::*;
use fieldbridge_iec60870::apci::{Apci, UFunction::*};
use fieldbridge_iec60870::link104::{CloseReason, Event, Link104, Params, Role, SendError};
use std::time::Instant;

#[test]
fn no_startdt_con_within_t1_closes() {
    let t0 = Instant::now();
    let mut m = Link104::new(Role::Controlling, Params::default(), t0).unwrap();
    assert_eq!(m.poll_timeout(), Some(t0 + secs(15)));
    assert_eq!(m.on_timeout(t0 + secs(15) - ms(1)), None);
    assert_eq!(
        m.on_timeout(t0 + secs(15)),
        Some(Event::Closed(CloseReason::ConfirmTimeout(StartDtAct)))
    );
    assert_eq!(m.poll_timeout(), None);
}

#[test]
fn an_i_frame_unacknowledged_for_t1_closes() {
    let t0 = Instant::now();
    let mut o = started_outstation(Params::default(), t0);
    let sent = t0 + secs(2);
    o.send_asdu(&ASDU, sent).unwrap();
    assert_eq!(o.poll_timeout(), Some(sent + secs(15)));
    assert_eq!(o.on_timeout(sent + secs(14)), None);
    assert_eq!(
        o.on_timeout(sent + secs(15)),
        Some(Event::Closed(CloseReason::AckTimeout { unacknowledged: 1 }))
    );
    assert_eq!(o.poll_transmit(), None, "a closed link drops its queue");
    assert_eq!(o.send_asdu(&ASDU, sent + secs(16)), Err(SendError::Closed));
}

#[test]
fn t1_restarts_from_the_oldest_frame_still_unacknowledged() {
    let t0 = Instant::now();
    let mut o = started_outstation(Params::default(), t0);
    o.send_asdu(&ASDU, t0).unwrap();
    o.send_asdu(&ASDU, t0 + secs(5)).unwrap();
    assert_eq!(o.on_apdu(s(1), t0 + secs(10)), None);
    assert_eq!(o.poll_timeout(), Some(t0 + secs(20)));
    assert_eq!(o.on_timeout(t0 + secs(19)), None);
    assert_eq!(o.on_apdu(s(2), t0 + secs(19)), None);
    // Nothing outstanding: only t3, from the last frame received.
    assert_eq!(o.poll_timeout(), Some(t0 + secs(39)));
}

#[test]
fn t2_sends_an_s_frame_for_the_frames_received() {
    let t0 = Instant::now();
    let mut o = started_outstation(Params::default(), t0);
    assert_eq!(
        o.on_apdu(i(0, 0), t0 + secs(1)),
        Some(Event::Received(&ASDU))
    );
    assert_eq!(
        o.on_apdu(i(1, 0), t0 + secs(5)),
        Some(Event::Received(&ASDU))
    );
    assert_eq!(drain(&mut o), []);
    assert_eq!(o.unacknowledged_received(), 2);
    assert_eq!(o.poll_timeout(), Some(t0 + secs(11)), "t2 from the first");
    assert_eq!(o.on_timeout(t0 + secs(11)), None);
    assert_eq!(drain(&mut o), [Apci::S { recv: seq(2) }]);
    assert_eq!(o.unacknowledged_received(), 0);
    assert_eq!(o.poll_timeout(), Some(t0 + secs(25)), "then t3");
}

#[test]
fn w_received_frames_force_an_acknowledgement_at_once() {
    let t0 = Instant::now();
    let mut o = started_outstation(Params::default(), t0);
    for n in 0..7 {
        o.on_apdu(i(n, 0), t0);
    }
    assert_eq!(drain(&mut o), []);
    o.on_apdu(i(7, 0), t0);
    assert_eq!(drain(&mut o), [Apci::S { recv: seq(8) }]);
    let w3 = Params {
        w: 3,
        ..Params::default()
    };
    let mut o = started_outstation(w3, t0);
    for n in 0..9 {
        o.on_apdu(i(n, 0), t0);
    }
    assert_eq!(drain(&mut o), [3, 6, 9].map(|n| Apci::S { recv: seq(n) }));
}

#[test]
fn an_i_frame_we_send_carries_the_acknowledgement_and_stops_t2() {
    let t0 = Instant::now();
    let mut o = started_outstation(Params::default(), t0);
    o.on_apdu(i(0, 0), t0);
    o.on_apdu(i(1, 0), t0);
    o.send_asdu(&ASDU, t0 + secs(1)).unwrap();
    assert_eq!(
        drain(&mut o),
        [Apci::I {
            send: seq(0),
            recv: seq(2)
        }]
    );
    assert_eq!(o.unacknowledged_received(), 0);
    assert_eq!(
        o.poll_timeout(),
        Some(t0 + secs(16)),
        "t1 of our frame, no t2"
    );
}

#[test]
fn t3_sends_testfr_and_a_missing_con_closes_at_t1() {
    let t0 = Instant::now();
    let mut o = started_outstation(Params::default(), t0);
    assert_eq!(o.poll_timeout(), Some(t0 + secs(20)));
    assert_eq!(o.on_timeout(t0 + secs(20)), None);
    assert_eq!(drain(&mut o), [Apci::U(TestFrAct)]);
    assert_eq!(o.poll_timeout(), Some(t0 + secs(35)));
    assert_eq!(o.on_timeout(t0 + secs(34)), None);
    assert_eq!(drain(&mut o), [], "one TESTFR act at a time");
    assert_eq!(
        o.on_timeout(t0 + secs(35)),
        Some(Event::Closed(CloseReason::ConfirmTimeout(TestFrAct)))
    );
}

#[test]
fn a_testfr_con_restarts_t3_and_any_frame_received_postpones_it() {
    let t0 = Instant::now();
    let mut m = started_master(Params::default(), t0);
    assert_eq!(m.on_timeout(t0 + secs(20)), None);
    assert_eq!(drain(&mut m), [Apci::U(TestFrAct)]);
    assert_eq!(m.on_apdu(u(TestFrCon), t0 + secs(21)), None);
    assert_eq!(m.poll_timeout(), Some(t0 + secs(41)));
    assert_eq!(m.on_apdu(u(TestFrAct), t0 + secs(30)), None);
    assert_eq!(m.poll_timeout(), Some(t0 + secs(50)));
    assert_eq!(drain(&mut m), [Apci::U(TestFrCon)]);
}

#[test]
fn ten_idle_minutes_between_two_stations_are_kept_alive_by_testfr() {
    let mut p = Pair::new(Params::default(), Params::default());
    p.advance(secs(600));
    assert_eq!(p.any_closed(), None);
    let tests =
        p.master.count_sent(Apci::U(TestFrAct)) + p.outstation.count_sent(Apci::U(TestFrAct));
    assert!(tests >= 29, "{tests} TESTFR act in 600 s with t3 = 20 s");
    assert_eq!(
        p.master.count_sent(Apci::U(TestFrCon)) + p.outstation.count_sent(Apci::U(TestFrCon)),
        tests
    );
}
