//! STARTDT, STOPDT and TESTFR in both roles (IEC 60870-5-104 clauses 5.2 and 5.3).

use crate::common::*;
use fieldbridge_iec60870::apci::{Apci, UFunction::*};
use fieldbridge_iec60870::link104::{CloseReason, Event, Link104, Params, Role, SendError, State};
use std::time::Instant;

#[test]
fn controlling_station_sends_startdt_act_on_connect_and_is_started_by_the_con() {
    let t0 = Instant::now();
    let mut m = Link104::new(Role::Controlling, Params::default(), t0).unwrap();
    let frame = m.poll_transmit().unwrap();
    assert_eq!(frame.as_bytes(), [0x68, 0x04, 0x07, 0x00, 0x00, 0x00]);
    assert_eq!(m.poll_transmit(), None);
    assert_eq!(m.state(), State::StartPending);
    assert_eq!(
        m.send_asdu(&ASDU, t0),
        Err(SendError::NotStarted {
            state: State::StartPending
        })
    );
    assert_eq!(m.on_apdu(u(StartDtCon), t0 + secs(1)), Some(Event::Started));
    assert_eq!(m.state(), State::Started);
    assert!(m.can_send());
}

#[test]
fn controlled_station_answers_startdt_act_with_con_and_only_then_sends_i_frames() {
    let t0 = Instant::now();
    let mut o = Link104::new(Role::Controlled, Params::default(), t0).unwrap();
    assert_eq!(o.poll_transmit(), None, "the controlled station waits");
    assert_eq!(
        o.send_asdu(&ASDU, t0),
        Err(SendError::NotStarted {
            state: State::Stopped
        })
    );
    assert_eq!(o.on_apdu(u(StartDtAct), t0), Some(Event::Started));
    o.send_asdu(&ASDU, t0).unwrap();
    assert_eq!(
        drain(&mut o),
        [
            Apci::U(StartDtCon),
            Apci::I {
                send: seq(0),
                recv: seq(0)
            }
        ]
    );
    // A repeated STARTDT act is confirmed again, without a second Started.
    assert_eq!(o.on_apdu(u(StartDtAct), t0), None);
    assert_eq!(drain(&mut o), [Apci::U(StartDtCon)]);
}

#[test]
fn two_stations_start_data_transfer_over_bytes_and_exchange_asdus() {
    let mut p = Pair::new(Params::default(), Params::default());
    p.flush();
    assert_eq!(p.master.events, [Seen::Started]);
    assert_eq!(p.outstation.events, [Seen::Started]);
    p.outstation.link.send_asdu(&[1], p.now).unwrap();
    p.master.link.send_asdu(&[2], p.now).unwrap();
    p.flush();
    assert_eq!(p.master.received(), [vec![1]]);
    assert_eq!(p.outstation.received(), [vec![2]]);
    p.advance(secs(60));
    assert_eq!(p.any_closed(), None);
    assert_eq!(
        (
            p.master.link.unacknowledged(),
            p.outstation.link.unacknowledged()
        ),
        (0, 0)
    );
}

#[test]
fn the_controlled_station_closes_on_an_i_frame_before_startdt() {
    let t0 = Instant::now();
    let mut o = Link104::new(Role::Controlled, Params::default(), t0).unwrap();
    let reason = CloseReason::UnexpectedFrame {
        apci: i(0, 0).apci,
        state: State::Stopped,
    };
    assert_eq!(o.on_apdu(i(0, 0), t0), Some(Event::Closed(reason.clone())));
    assert_eq!(o.state(), State::Closed);
    assert_eq!(o.close_reason(), Some(&reason));
    assert_eq!(
        o.on_apdu(u(TestFrAct), t0),
        None,
        "closed links ignore input"
    );
    assert_eq!(o.poll_transmit(), None);
    assert_eq!(o.poll_timeout(), None);
}

#[test]
fn the_controlling_station_closes_on_startdt_act_and_on_a_stopdt_con_it_did_not_ask_for() {
    let t0 = Instant::now();
    let mut m = started_master(Params::default(), t0);
    assert_eq!(
        m.on_apdu(u(StartDtAct), t0),
        Some(Event::Closed(CloseReason::UnexpectedFrame {
            apci: Apci::U(StartDtAct),
            state: State::Started
        }))
    );
    let mut m = started_master(Params::default(), t0);
    assert_eq!(
        m.on_apdu(u(StopDtCon), t0),
        Some(Event::Closed(CloseReason::UnexpectedFrame {
            apci: Apci::U(StopDtCon),
            state: State::Started
        }))
    );
}

#[test]
fn a_testfr_con_that_answers_no_act_is_ignored() {
    let t0 = Instant::now();
    let mut m = started_master(Params::default(), t0);
    assert_eq!(m.on_apdu(u(TestFrCon), t0), None);
    assert_eq!(m.state(), State::Started);
    assert_eq!(drain(&mut m), []);
    m.send_asdu(&ASDU, t0).unwrap();
}

#[test]
fn the_controlled_station_refuses_to_start_or_stop_and_closes_on_a_con() {
    let t0 = Instant::now();
    let mut o = started_outstation(Params::default(), t0);
    assert_eq!(
        o.stop_dt(t0),
        Err(SendError::NotAllowed {
            role: Role::Controlled,
            state: State::Started
        })
    );
    assert!(matches!(
        o.on_apdu(u(StartDtCon), t0),
        Some(Event::Closed(CloseReason::UnexpectedFrame { .. }))
    ));
}

#[test]
fn testfr_act_is_answered_in_every_state_and_while_acks_are_held() {
    let t0 = Instant::now();
    let mut o = Link104::new(Role::Controlled, Params::default(), t0).unwrap();
    assert_eq!(o.on_apdu(u(TestFrAct), t0), None);
    assert_eq!(drain(&mut o), [Apci::U(TestFrCon)]);
    let mut m = started_master(Params::default(), t0);
    m.hold_acks(true);
    assert_eq!(m.on_apdu(u(TestFrAct), t0), None);
    assert_eq!(drain(&mut m), [Apci::U(TestFrCon)]);
}

#[test]
fn stopdt_waits_for_the_outstations_frames_to_be_acknowledged_then_stops_data() {
    let mut p = Pair::new(Params::default(), Params::default());
    p.flush();
    for n in 0..3 {
        p.outstation.link.send_asdu(&[n], p.now).unwrap();
    }
    p.master.link.stop_dt(p.now).unwrap();
    assert_eq!(p.master.link.state(), State::StopPending);
    assert!(matches!(
        p.master.link.send_asdu(&ASDU, p.now),
        Err(SendError::NotStarted { .. })
    ));
    // STOPDT act reaches the outstation with its three I frames still unacknowledged.
    assert_eq!(p.deliver_to_outstation(usize::MAX), 1);
    assert_eq!(p.outstation.link.state(), State::StopPending);
    assert!(matches!(
        p.outstation.link.send_asdu(&ASDU, p.now),
        Err(SendError::NotStarted {
            state: State::StopPending
        })
    ));
    // The three arrive; the stopping master acknowledges each at once.
    assert_eq!(p.deliver_to_master(usize::MAX), 3);
    assert_eq!(p.master.received(), [vec![0], vec![1], vec![2]]);
    p.flush();
    assert_eq!(p.master.count_sent(Apci::S { recv: seq(3) }), 1);
    assert_eq!(p.outstation.events.last(), Some(&Seen::Stopped));
    assert_eq!(p.master.events.last(), Some(&Seen::Stopped));
    assert_eq!(p.outstation.count_sent(Apci::U(StopDtCon)), 1);
    assert!(!p.outstation.link.can_send());
    // Stopped is quiet but tested, and may be started again.
    p.advance(secs(300));
    assert_eq!(p.any_closed(), None);
    p.master.link.start_dt(p.now).unwrap();
    p.flush();
    assert_eq!(p.master.link.state(), State::Started);
    p.outstation.link.send_asdu(&[9], p.now).unwrap();
    p.flush();
    assert_eq!(p.master.received().last(), Some(&vec![9]));
}

#[test]
fn stopdt_act_in_the_stopped_state_is_confirmed_at_once() {
    let t0 = Instant::now();
    let mut o = Link104::new(Role::Controlled, Params::default(), t0).unwrap();
    assert_eq!(o.on_apdu(u(StopDtAct), t0), None);
    assert_eq!(drain(&mut o), [Apci::U(StopDtCon)]);
    let mut o = started_outstation(Params::default(), t0);
    assert_eq!(o.on_apdu(u(StopDtAct), t0), Some(Event::Stopped));
    assert_eq!(drain(&mut o), [Apci::U(StopDtCon)]);
    assert_eq!(o.state(), State::Stopped);
}

#[test]
fn a_standby_connection_is_tested_but_not_started_until_asked() {
    let t0 = Instant::now();
    let p = Params::default();
    let mut m = Link104::standby(p, t0).unwrap();
    assert_eq!(m.role(), Role::Controlling);
    assert_eq!(m.state(), State::Stopped);
    assert_eq!(drain(&mut m), [], "no STARTDT act on a standby connection");
    assert_eq!(
        m.send_asdu(&ASDU, t0),
        Err(SendError::NotStarted {
            state: State::Stopped
        })
    );
    // Idle for t3: tested with TESTFR act, kept open by the con.
    assert_eq!(m.poll_timeout(), Some(t0 + p.t3));
    assert_eq!(m.on_timeout(t0 + p.t3), None);
    assert_eq!(drain(&mut m), [Apci::U(TestFrAct)]);
    assert_eq!(m.on_apdu(u(TestFrCon), t0 + p.t3 + secs(1)), None);
    // An I frame on a standby connection is a protocol violation by the outstation.
    let mut unstarted = Link104::standby(p, t0).unwrap();
    assert!(matches!(
        unstarted.on_apdu(i(0, 0), t0),
        Some(Event::Closed(CloseReason::UnexpectedFrame { .. }))
    ));
    // Switch-over: the standby becomes the active connection.
    let later = t0 + p.t3 + secs(2);
    m.start_dt(later).unwrap();
    assert_eq!(drain(&mut m), [Apci::U(StartDtAct)]);
    assert_eq!(m.on_apdu(u(StartDtCon), later), Some(Event::Started));
    m.send_asdu(&ASDU, later).unwrap();
}

#[test]
fn a_standby_connection_without_a_testfr_con_closes_after_t1() {
    let t0 = Instant::now();
    let p = Params::default();
    let mut m = Link104::standby(p, t0).unwrap();
    assert_eq!(m.on_timeout(t0 + p.t3), None);
    assert_eq!(drain(&mut m), [Apci::U(TestFrAct)]);
    assert_eq!(
        m.on_timeout(t0 + p.t3 + p.t1),
        Some(Event::Closed(CloseReason::ConfirmTimeout(TestFrAct)))
    );
}
