//! Withholding acknowledgements: the user's way to stop the peer at k when it cannot take more
//! data (issue 15 point 4; IEC 60870-5-104 clauses 5.1 and 5.5).

use crate::common::*;
use fieldbridge_iec60870::apci::{Apci, UFunction::*};
use fieldbridge_iec60870::link104::{AckMode, AckTimeout, CloseReason, Event, Params, State};
use std::time::Instant;

fn probe() -> Params {
    Params {
        on_ack_timeout: AckTimeout::Probe,
        ..Params::default()
    }
}

#[test]
fn holding_acks_stops_the_peer_at_k_for_ten_minutes_then_releasing_delivers_everything() {
    let mut p = Pair::new(Params::default(), probe());
    p.flush();
    p.master.link.hold_acks(true);
    let total = 100u32;
    let mut next = 0u32;
    for second in 0..600 {
        while next < total && p.outstation.link.can_send() {
            p.outstation
                .link
                .send_asdu(&next.to_le_bytes(), p.now)
                .unwrap();
            next += 1;
        }
        if second == 300 {
            // The holding side still sends its own I frames, repeating its last N(R).
            p.master.link.send_asdu(&ASDU, p.now).unwrap();
        }
        p.advance(secs(1));
    }
    assert_eq!(p.any_closed(), None);
    assert_eq!(next, 12, "the peer stopped at k");
    assert_eq!(p.outstation.link.unacknowledged(), 12);
    assert_eq!(p.master.received().len(), 12);
    assert_eq!(p.master.link.unacknowledged_received(), 12);
    assert!(p.master.sent.iter().all(|a| !matches!(a, Apci::S { .. })));
    assert!(p.master.sent.contains(&Apci::I {
        send: seq(0),
        recv: seq(0)
    }));
    assert_eq!(
        p.master.link.unacknowledged(),
        0,
        "the outstation acknowledged it"
    );
    let probes = p.outstation.count_sent(Apci::U(TestFrAct));
    assert!(probes >= 30, "{probes} TESTFR act in ten minutes");
    assert_eq!(p.master.count_sent(Apci::U(TestFrCon)), probes);

    p.master.link.hold_acks(false);
    p.flush();
    assert_eq!(p.master.count_sent(Apci::S { recv: seq(12) }), 1);
    for _ in 0..60 {
        while next < total && p.outstation.link.can_send() {
            p.outstation
                .link
                .send_asdu(&next.to_le_bytes(), p.now)
                .unwrap();
            next += 1;
        }
        p.advance(secs(1));
    }
    p.advance(secs(30));
    assert_eq!(p.any_closed(), None);
    let received = p.master.received();
    assert_eq!(received.len(), total as usize);
    assert!(received
        .iter()
        .enumerate()
        .all(|(n, asdu)| asdu[..] == (n as u32).to_le_bytes()));
    assert_eq!(p.outstation.link.unacknowledged(), 0);
}

#[test]
fn a_peer_that_follows_clause_5_1_strictly_closes_t1_after_its_oldest_unacknowledged_frame() {
    let mut p = Pair::new(Params::default(), Params::default());
    p.flush();
    p.master.link.hold_acks(true);
    let sent = p.now;
    while p.outstation.link.can_send() {
        p.outstation.link.send_asdu(&ASDU, p.now).unwrap();
    }
    p.advance(secs(14));
    assert_eq!(p.any_closed(), None);
    p.advance(secs(1));
    assert_eq!(
        p.outstation.closed(),
        Some(&CloseReason::AckTimeout { unacknowledged: 12 })
    );
    assert_eq!(p.now, sent + secs(15));
}

#[test]
fn while_holding_no_s_frame_goes_out_and_our_own_testfr_t1_still_closes() {
    let t0 = Instant::now();
    let mut m = started_master(Params::default(), t0);
    m.hold_acks(true);
    for n in 0..10 {
        assert_eq!(m.on_apdu(i(n, 0), t0), Some(Event::Received(&ASDU)));
    }
    assert_eq!(drain(&mut m), [], "neither w nor t2 acknowledges");
    assert_eq!(m.poll_timeout(), Some(t0 + secs(20)), "t3 only");
    assert_eq!(m.on_timeout(t0 + secs(20)), None);
    assert_eq!(drain(&mut m), [Apci::U(TestFrAct)]);
    assert_eq!(
        m.on_timeout(t0 + secs(35)),
        Some(Event::Closed(CloseReason::ConfirmTimeout(TestFrAct)))
    );
}

#[test]
fn releasing_sends_the_pending_s_frame_at_once() {
    let t0 = Instant::now();
    let mut o = started_outstation(Params::default(), t0);
    o.hold_acks(true);
    assert!(o.holding_acks());
    for n in 0..10 {
        o.on_apdu(i(n, 0), t0);
    }
    assert_eq!(drain(&mut o), []);
    o.hold_acks(false);
    assert_eq!(drain(&mut o), [Apci::S { recv: seq(10) }]);
    o.hold_acks(false);
    assert_eq!(drain(&mut o), [], "nothing more to acknowledge");
}

#[test]
fn i_frames_sent_while_holding_repeat_the_last_n_r_sent() {
    let t0 = Instant::now();
    let mut o = started_outstation(Params::default(), t0);
    o.on_apdu(i(0, 0), t0);
    o.on_apdu(i(1, 0), t0);
    o.on_timeout(t0 + secs(10));
    assert_eq!(drain(&mut o), [Apci::S { recv: seq(2) }]);
    o.hold_acks(true);
    o.on_apdu(i(2, 0), t0 + secs(11));
    o.send_asdu(&ASDU, t0 + secs(11)).unwrap();
    assert_eq!(
        drain(&mut o),
        [Apci::I {
            send: seq(0),
            recv: seq(2)
        }]
    );
    assert_eq!(o.unacknowledged_received(), 1);
}

#[test]
fn a_probing_link_still_finds_a_dead_peer_within_twice_t1() {
    let t0 = Instant::now();
    let mut o = started_outstation(probe(), t0);
    o.send_asdu(&ASDU, t0).unwrap();
    drain(&mut o);
    assert_eq!(o.on_timeout(t0 + secs(15)), None);
    assert_eq!(drain(&mut o), [Apci::U(TestFrAct)]);
    assert_eq!(
        o.on_timeout(t0 + secs(30)),
        Some(Event::Closed(CloseReason::ConfirmTimeout(TestFrAct)))
    );
}

#[test]
fn paced_acks_slow_a_strict_peer_to_k_per_t2_without_reaching_its_t1() {
    // The outstation closes at t1 as clause 5.1 says; pacing must never let it get there.
    let mut p = Pair::new(Params::default(), Params::default());
    p.flush();
    p.master.link.set_ack_mode(AckMode::Paced);
    assert_eq!(p.master.link.ack_mode(), AckMode::Paced);
    assert!(!p.master.link.holding_acks());
    let mut next = 0u32;
    for _ in 0..120 {
        while p.outstation.link.can_send() {
            p.outstation
                .link
                .send_asdu(&next.to_le_bytes(), p.now)
                .unwrap();
            next += 1;
        }
        p.advance(secs(1));
    }
    assert_eq!(p.any_closed(), None, "paced acknowledgements kept the link");
    // k = 12 frames per t2 = 10 s: 12 windows in 120 s, give or take the last one.
    let received = p.master.received().len();
    assert!(
        (12 * 12..=13 * 12).contains(&received),
        "{received} I frames in 120 s"
    );
    let acks = p
        .master
        .sent
        .iter()
        .filter(|a| matches!(a, Apci::S { .. }))
        .count();
    assert!((11..=13).contains(&acks), "{acks} S frames, one per t2");
    // Back to prompt: everything received is acknowledged at once and the peer runs free.
    p.master.link.set_ack_mode(AckMode::Prompt);
    assert_eq!(p.master.link.unacknowledged_received(), 0);
    for _ in 0..10 {
        for _ in 0..50 {
            if !p.outstation.link.can_send() {
                break;
            }
            p.outstation
                .link
                .send_asdu(&next.to_le_bytes(), p.now)
                .unwrap();
            next += 1;
            p.flush();
        }
        p.advance(secs(1));
    }
    assert_eq!(p.any_closed(), None);
    let all = p.master.received();
    assert_eq!(all.len(), next as usize);
    assert!(all
        .iter()
        .enumerate()
        .all(|(n, asdu)| asdu[..] == (n as u32).to_le_bytes()));
    assert!(all.len() > received + 300, "prompt acks let the peer run");
}

#[test]
fn paced_acks_wait_for_t2_not_w_and_stopdt_still_acknowledges_at_once() {
    let t0 = Instant::now();
    let mut m = started_master(Params::default(), t0);
    m.set_ack_mode(AckMode::Paced);
    for n in 0..10 {
        assert_eq!(m.on_apdu(i(n, 0), t0), Some(Event::Received(&ASDU)));
    }
    assert_eq!(drain(&mut m), [], "w = 8 does not acknowledge while paced");
    assert_eq!(m.poll_timeout(), Some(t0 + secs(10)), "t2 does");
    assert_eq!(m.on_timeout(t0 + secs(10)), None);
    assert_eq!(drain(&mut m), [Apci::S { recv: seq(10) }]);
    // STOPDT: what was received is acknowledged first, and every I frame after it at once,
    // so the outstation can confirm.
    m.on_apdu(i(10, 0), t0 + secs(11));
    m.stop_dt(t0 + secs(11)).unwrap();
    assert_eq!(
        drain(&mut m),
        [Apci::S { recv: seq(11) }, Apci::U(StopDtAct)]
    );
    m.on_apdu(i(11, 0), t0 + secs(12));
    assert_eq!(drain(&mut m), [Apci::S { recv: seq(12) }]);
}

#[test]
fn stopdt_while_acks_are_held_acknowledges_so_the_outstation_can_confirm() {
    // Found by review: with acknowledgements held, STOPDT act went out alone, the outstation
    // could not confirm with its I frames unacknowledged, and the link closed at t1.
    let mut p = Pair::new(Params::default(), Params::default());
    p.flush();
    p.master.link.set_ack_mode(AckMode::Held);
    p.outstation.link.send_asdu(&ASDU, p.now).unwrap();
    p.flush();
    assert_eq!(p.master.link.unacknowledged_received(), 1);
    p.master.link.stop_dt(p.now).unwrap();
    // An I frame the outstation sent before it saw the act is acknowledged at once too.
    p.outstation.link.send_asdu(&ASDU, p.now).unwrap();
    p.flush();
    assert_eq!(p.master.link.state(), State::Stopped);
    assert_eq!(p.master.events.last(), Some(&Seen::Stopped));
    assert_eq!(p.outstation.link.unacknowledged(), 0);
    p.advance(secs(60));
    assert_eq!(p.any_closed(), None);
    assert_eq!(p.master.link.ack_mode(), AckMode::Held, "the mode is kept");
}
