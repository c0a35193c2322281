//! k, N(S) and N(R) checks, and sequence numbers modulo 32768 (IEC 60870-5-104 clauses 5.1 and
//! 5.5).

use crate::common::*;
use fieldbridge_iec60870::apci::{Apci, Apdu};
use fieldbridge_iec60870::link104::{CloseReason, Event, Params, SendError};
use std::time::Instant;

#[test]
fn k_unacknowledged_frames_block_sending_and_an_s_frame_unblocks() {
    let t0 = Instant::now();
    let k3 = Params {
        k: 3,
        w: 2,
        ..Params::default()
    };
    let mut o = started_outstation(k3, t0);
    for _ in 0..3 {
        o.send_asdu(&ASDU, t0).unwrap();
    }
    assert!(!o.can_send());
    assert_eq!(o.send_asdu(&ASDU, t0), Err(SendError::WindowFull { k: 3 }));
    assert_eq!(drain(&mut o).len(), 3, "the refused ASDU was not queued");
    assert_eq!(o.on_apdu(s(2), t0 + secs(1)), None);
    assert_eq!(o.unacknowledged(), 1);
    o.send_asdu(&ASDU, t0).unwrap();
    o.send_asdu(&ASDU, t0).unwrap();
    assert_eq!(o.send_asdu(&ASDU, t0), Err(SendError::WindowFull { k: 3 }));
    // An I frame's N(R) acknowledges as well as an S frame's.
    assert_eq!(o.on_apdu(i(0, 5), t0), Some(Event::Received(&ASDU)));
    assert_eq!(o.unacknowledged(), 0);
    assert!(o.can_send());
}

#[test]
fn an_asdu_that_does_not_fit_an_i_frame_is_refused_and_nothing_counts() {
    let t0 = Instant::now();
    let mut o = started_outstation(Params::default(), t0);
    assert!(matches!(o.send_asdu(&[], t0), Err(SendError::Asdu(_))));
    assert!(matches!(
        o.send_asdu(&[0; 250], t0),
        Err(SendError::Asdu(_))
    ));
    o.send_asdu(&[0; 249], t0).unwrap();
    let sent = o.poll_transmit().unwrap();
    assert_eq!(sent.as_bytes().len(), 255);
    assert_eq!(
        sent.apci(),
        Apci::I {
            send: seq(0),
            recv: seq(0)
        }
    );
}

#[test]
fn a_wrong_n_s_closes() {
    let t0 = Instant::now();
    for bad in [0, 2, 32767] {
        let mut o = started_outstation(Params::default(), t0);
        o.on_apdu(i(0, 0), t0);
        assert_eq!(
            o.on_apdu(i(bad, 0), t0),
            Some(Event::Closed(CloseReason::SequenceError {
                expected: seq(1),
                found: seq(bad)
            })),
            "{bad}"
        );
    }
    let mut o = started_outstation(Params::default(), t0);
    o.on_apdu(i(0, 0), t0);
    assert!(
        matches!(o.on_apdu(i(0, 0), t0), Some(Event::Closed(_))),
        "a repeated frame closes too"
    );
}

#[test]
fn an_n_r_for_frames_never_sent_closes() {
    let t0 = Instant::now();
    let mut o = started_outstation(Params::default(), t0);
    o.send_asdu(&ASDU, t0).unwrap();
    o.send_asdu(&ASDU, t0).unwrap();
    let bad = CloseReason::BadAck {
        found: seq(3),
        oldest: seq(0),
        next: seq(2),
    };
    assert_eq!(o.on_apdu(s(3), t0), Some(Event::Closed(bad)));
    let mut o = started_outstation(Params::default(), t0);
    o.send_asdu(&ASDU, t0).unwrap();
    assert!(matches!(
        o.on_apdu(i(0, 2), t0),
        Some(Event::Closed(CloseReason::BadAck { .. }))
    ));
    // Going back behind an N(R) already received closes as well.
    let mut o = started_outstation(Params::default(), t0);
    o.send_asdu(&ASDU, t0).unwrap();
    o.send_asdu(&ASDU, t0).unwrap();
    o.on_apdu(s(2), t0);
    assert_eq!(
        o.on_apdu(s(1), t0),
        Some(Event::Closed(CloseReason::BadAck {
            found: seq(1),
            oldest: seq(2),
            next: seq(2)
        }))
    );
}

#[test]
fn sequence_numbers_wrap_at_32768_both_ways() {
    let mut p = Pair::new(Params::default(), Params::default());
    p.flush();
    let total: u32 = 32768 + 40;
    for n in 0..total {
        let payload = n.to_le_bytes();
        p.outstation.link.send_asdu(&payload, p.now).unwrap();
        p.master.link.send_asdu(&payload, p.now).unwrap();
        p.flush();
    }
    assert_eq!(p.any_closed(), None);
    for side in [&p.master, &p.outstation] {
        let received = side.received();
        assert_eq!(received.len(), total as usize);
        assert!(received
            .iter()
            .enumerate()
            .all(|(n, asdu)| asdu[..] == (n as u32).to_le_bytes()));
        let sends: Vec<u16> = side
            .sent
            .iter()
            .filter_map(|a| match a {
                Apci::I { send, .. } => Some(send.get()),
                _ => None,
            })
            .collect();
        assert_eq!(sends[32767], 32767);
        assert_eq!(sends[32768], 0);
        assert_eq!(sends.last(), Some(&39));
    }
    assert_eq!(p.master.link.unacknowledged(), 1);
    p.advance(secs(30));
    assert_eq!(p.any_closed(), None);
    assert_eq!(p.master.link.unacknowledged(), 0);
}

#[test]
fn an_ack_across_the_wrap_is_accepted() {
    let t0 = Instant::now();
    let mut o = started_outstation(Params::default(), t0);
    for _ in 0..32766 {
        o.send_asdu(&ASDU, t0).unwrap();
        let n = o.poll_transmit().unwrap();
        let Apci::I { send, .. } = n.apci() else {
            panic!()
        };
        assert_eq!(o.on_apdu(Apdu::s(send.next()), t0), None);
    }
    for _ in 0..4 {
        o.send_asdu(&ASDU, t0).unwrap();
    }
    assert_eq!(o.unacknowledged(), 4);
    assert_eq!(o.on_apdu(s(2), t0), None, "32766, 32767, 0, 1 acknowledged");
    assert_eq!(o.unacknowledged(), 0);
}
