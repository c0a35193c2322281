//! The unbalanced primary station (IEC 60870-5-2 clause 5.1, IEC 60870-5-101 clause 6.1): fed
//! answers by hand, and on a simulated party line with our own secondaries.

use crate::common::*;
use fieldbridge_iec60870::ft12::{
    AddressLen, LinkConfig, PrimaryFunction as P, SecondaryFunction as S,
};
use fieldbridge_iec60870::link101::{
    Params, ParamsError, Refusal, SendError, SendId, Service, UnbalancedPrimary,
};
use std::time::Instant;

fn params() -> Params {
    Params::default()
}

#[test]
fn a_link_starts_with_status_then_reset_then_fcb_1() {
    let t0 = Instant::now();
    let p0 = params();
    let mut p = UnbalancedPrimary::new(p0, &[5], t0).unwrap();
    assert_eq!(p.is_up(5), Some(false));
    let req = next_request(&mut p, t0).unwrap();
    assert_eq!(req, pri(P::REQUEST_LINK_STATUS, false, false, 5));
    assert_eq!(next_request(&mut p, t0), None, "one request at a time");
    assert_eq!(p.poll_timeout(), Some(t0 + secs(1)), "the response timeout");
    feed_frame(&mut p, &sec(S::LINK_STATUS, false, false, 5), t0);
    assert_eq!(
        next_request(&mut p, t0).unwrap(),
        pri(P::RESET_REMOTE_LINK, false, false, 5)
    );
    let seen = feed_frame(&mut p, &sec(S::ACK, false, false, 5), t0);
    assert_eq!(seen, [Seen::Up(5)]);
    assert_eq!(p.is_up(5), Some(true));
    // The first frame with FCV = 1 after the reset carries FCB = 1.
    assert_eq!(
        next_request(&mut p, t0).unwrap(),
        pri(P::REQUEST_CLASS_2, true, true, 5)
    );
}

#[test]
fn the_fcb_toggles_after_every_answer_and_a_repetition_keeps_it() {
    let t0 = Instant::now();
    let p0 = params();
    let mut p = primary_up(p0, &[5], t0);
    let first = p.poll_transmit(t0).unwrap();
    assert_eq!(Wire::of(&first, &p0).primary(), (11, true, true));
    // No answer: the same bytes again after the response timeout.
    assert_eq!(p.poll_timeout(), Some(t0 + secs(1)));
    assert_eq!(timeout_primary(&mut p, t0 + ms(999)), []);
    assert_eq!(
        timeout_primary(&mut p, t0 + secs(1)),
        [Seen::Repeating(5, 1)]
    );
    let again = p.poll_transmit(t0 + secs(1)).unwrap();
    assert_eq!(again.as_bytes(), first.as_bytes());
    assert_eq!(p.poll_transmit(t0 + secs(1)), None);
    // E5 answers a class request: no data. The next poll, one poll interval later, toggles.
    assert_eq!(feed_primary(&mut p, &[0xE5], t0 + secs(1)), []);
    assert_eq!(
        p.poll_timeout(),
        Some(t0 + secs(1)),
        "class 2 every second from the first poll"
    );
    let next = next_request(&mut p, t0 + secs(1)).unwrap();
    assert_eq!(next.primary(), (11, false, true));
    feed_frame(&mut p, &sec(S::NACK_NO_DATA, false, false, 5), t0 + secs(1));
    assert_eq!(next_request(&mut p, t0 + secs(1)), None);
    assert_eq!(
        next_request(&mut p, t0 + secs(2)).unwrap().primary(),
        (11, true, true)
    );
}

#[test]
fn retries_run_out_then_the_link_is_down_and_restarts_after_the_backoff() {
    let t0 = Instant::now();
    let p0 = Params {
        retries: 2,
        ..params()
    };
    let mut p = primary_up(p0, &[7], t0);
    let id = p.send(7, &ASDU).unwrap();
    let sent = next_request(&mut p, t0).unwrap();
    assert_eq!(sent, pri_data(P::USER_DATA_CONFIRM, true, 7, &ASDU));
    let mut t = t0;
    for attempt in 1..=2 {
        t += secs(1);
        assert_eq!(timeout_primary(&mut p, t), [Seen::Repeating(7, attempt)]);
        assert_eq!(
            next_request(&mut p, t).unwrap(),
            sent,
            "same frame, same FCB"
        );
    }
    t += secs(1);
    assert_eq!(
        timeout_primary(&mut p, t),
        [
            Seen::NotConfirmed(7, id, Refusal::NoResponse),
            Seen::Down(7)
        ]
    );
    assert_eq!(p.is_up(7), Some(false));
    assert_eq!(p.queued(7), Some(0));
    assert_eq!(p.poll_timeout(), Some(t + secs(5)), "link_retry");
    assert_eq!(next_request(&mut p, t + secs(4)), None);
    assert_eq!(
        next_request(&mut p, t + secs(5)).unwrap(),
        pri(P::REQUEST_LINK_STATUS, false, false, 7)
    );
    feed_frame(&mut p, &sec(S::LINK_STATUS, false, false, 7), t + secs(5));
    assert_eq!(
        next_request(&mut p, t + secs(5)).unwrap().primary(),
        (0, false, false)
    );
    feed_primary(&mut p, &[0xE5], t + secs(5));
    assert_eq!(p.is_up(7), Some(true));
    assert_eq!(
        next_request(&mut p, t + secs(5)).unwrap().primary(),
        (11, true, true)
    );
}

#[test]
fn user_data_are_confirmed_and_held_back_while_dfc_is_set() {
    let t0 = Instant::now();
    let p0 = params();
    let mut p = primary_up(p0, &[3], t0);
    let first = p.send(3, &asdu(1)).unwrap();
    let second = p.send(3, &asdu(2)).unwrap();
    assert_eq!((first, second), (SendId(0), SendId(1)));
    assert_eq!(
        next_request(&mut p, t0).unwrap(),
        pri_data(P::USER_DATA_CONFIRM, true, 3, &asdu(1))
    );
    let seen = feed_frame(&mut p, &sec(S::ACK, false, true, 3), t0);
    assert_eq!(seen, [Seen::Busy(3, true), Seen::Confirmed(3, first)]);
    assert_eq!(p.is_busy(3), Some(true));
    // DFC: no user data; the class 2 poll (which reports DFC) goes instead.
    assert_eq!(
        next_request(&mut p, t0).unwrap(),
        pri(P::REQUEST_CLASS_2, false, true, 3)
    );
    let seen = feed_frame(&mut p, &sec(S::NACK_NO_DATA, false, true, 3), t0);
    assert_eq!(seen, []);
    assert_eq!(
        next_request(&mut p, t0 + ms(500)),
        None,
        "still busy, next poll in 1 s"
    );
    assert_eq!(
        next_request(&mut p, t0 + secs(1)).unwrap().primary(),
        (11, true, true)
    );
    let seen = feed_frame(&mut p, &sec(S::NACK_NO_DATA, false, false, 3), t0 + secs(1));
    assert_eq!(seen, [Seen::Busy(3, false)]);
    assert_eq!(
        next_request(&mut p, t0 + secs(1)).unwrap(),
        pri_data(P::USER_DATA_CONFIRM, false, 3, &asdu(2))
    );
}

#[test]
fn nack_and_link_service_answers_refuse_user_data() {
    let t0 = Instant::now();
    let p0 = params();
    let mut p = primary_up(p0, &[3], t0);
    for (answer, reason) in [
        (S::NACK_BUSY, Refusal::Busy),
        (S::LINK_NOT_FUNCTIONING, Refusal::NotFunctioning),
        (S::LINK_NOT_IMPLEMENTED, Refusal::NotImplemented),
    ] {
        let id = p.send(3, &ASDU).unwrap();
        let (_, fcb, fcv) = next_request(&mut p, t0).unwrap().primary();
        assert!(fcv);
        let seen = feed_frame(&mut p, &sec(answer, false, false, 3), t0);
        assert_eq!(seen, [Seen::NotConfirmed(3, id, reason)]);
        // An answered exchange: the FCB toggles even so.
        p.send(3, &ASDU).unwrap();
        assert_eq!(next_request(&mut p, t0).unwrap().primary().1, !fcb);
        feed_primary(&mut p, &[0xE5], t0);
    }
}

#[test]
fn acd_asks_for_class_1_until_it_clears() {
    let t0 = Instant::now();
    let p0 = params();
    let mut p = primary_up(p0, &[9], t0);
    assert_eq!(
        next_request(&mut p, t0).unwrap().primary(),
        (11, true, true)
    );
    let seen = feed_frame(&mut p, &sec(S::NACK_NO_DATA, true, false, 9), t0);
    assert_eq!(seen, [Seen::AccessDemand(9)]);
    assert_eq!(
        next_request(&mut p, t0).unwrap(),
        pri(P::REQUEST_CLASS_1, false, true, 9)
    );
    let reply = sec_data(true, false, 9, &asdu(1));
    let seen = feed_frame(&mut p, &reply, t0);
    assert_eq!(
        seen,
        [Seen::Data(9, Service::Class1, asdu(1))],
        "ACD still set: no new event"
    );
    assert_eq!(
        next_request(&mut p, t0).unwrap(),
        pri(P::REQUEST_CLASS_1, true, true, 9)
    );
    let reply = sec_data(false, false, 9, &asdu(2));
    let seen = feed_frame(&mut p, &reply, t0);
    assert_eq!(seen, [Seen::Data(9, Service::Class1, asdu(2))]);
    assert_eq!(
        next_request(&mut p, t0),
        None,
        "class 2 again after the poll interval"
    );
    assert_eq!(p.poll_timeout(), Some(t0 + secs(1)));
}

#[test]
fn answers_that_fit_nothing_outstanding_are_reported_and_ignored() {
    let t0 = Instant::now();
    let p0 = params();
    let mut p = primary_up(p0, &[1, 2], t0);
    // Nothing outstanding.
    let stray = sec(S::ACK, false, false, 1);
    assert_eq!(
        feed_frame(&mut p, &stray, t0),
        [Seen::Unexpected(1, stray.control())]
    );
    let req = next_request(&mut p, t0).unwrap();
    let asked = req.address().unwrap();
    let other = 3 - asked;
    // An answer from the other address, a primary frame and a status instead of data.
    let wrong = sec(S::NACK_NO_DATA, false, false, other);
    assert_eq!(
        feed_frame(&mut p, &wrong, t0),
        [Seen::Unexpected(other, wrong.control())]
    );
    let echo = pri(P::REQUEST_CLASS_2, true, true, asked);
    assert_eq!(
        feed_frame(&mut p, &echo, t0),
        [Seen::Unexpected(asked, echo.control())]
    );
    let status = sec(S::LINK_STATUS, false, false, asked);
    assert_eq!(
        feed_frame(&mut p, &status, t0),
        [Seen::Unexpected(asked, status.control())]
    );
    assert!(p.is_waiting());
    feed_frame(&mut p, &sec(S::NACK_NO_DATA, false, false, asked), t0);
    assert!(!p.is_waiting());
}

#[test]
fn a_broadcast_goes_first_and_waits_for_no_answer() {
    let t0 = Instant::now();
    let p0 = params();
    let mut p = primary_up(p0, &[1, 2], t0);
    p.send_no_reply(2, &asdu(2)).unwrap();
    p.broadcast(&asdu(9)).unwrap();
    assert_eq!(
        next_request(&mut p, t0).unwrap(),
        pri_data(P::USER_DATA_NO_REPLY, false, 255, &asdu(9))
    );
    assert!(!p.is_waiting());
    let mut seen = Vec::new();
    while let Some(req) = next_request(&mut p, t0) {
        let a = req.address().unwrap();
        seen.push(req.clone());
        if req.primary().2 {
            feed_primary(&mut p, &[0xE5], t0);
        }
        assert!(a == 1 || a == 2);
    }
    assert!(seen.contains(&pri_data(P::USER_DATA_NO_REPLY, false, 2, &asdu(2))));
}

#[test]
fn bad_configurations_are_refused() {
    let t0 = Instant::now();
    let p0 = params();
    assert_eq!(
        UnbalancedPrimary::new(p0, &[1, 1], t0).err(),
        Some(ParamsError::DuplicateAddress(1))
    );
    assert_eq!(
        UnbalancedPrimary::new(p0, &[255], t0).err(),
        Some(ParamsError::BadAddress {
            address: 255,
            max: 255
        })
    );
    let zero = Params {
        response_timeout: secs(0),
        ..p0
    };
    assert_eq!(
        UnbalancedPrimary::new(zero, &[1], t0).err(),
        Some(ParamsError::ZeroResponseTimeout)
    );
    let mut p = UnbalancedPrimary::new(Params { queue_len: 1, ..p0 }, &[1], t0).unwrap();
    assert_eq!(p.send(2, &ASDU), Err(SendError::UnknownAddress(2)));
    assert_eq!(p.send(1, &[]), Err(SendError::Length { len: 0, max: 253 }));
    assert_eq!(
        p.send(1, &[0; 254]),
        Err(SendError::Length { len: 254, max: 253 })
    );
    p.send(1, &[0; 253]).unwrap();
    assert_eq!(p.send(1, &ASDU), Err(SendError::QueueFull { address: 1 }));
}

#[test]
fn several_secondaries_are_polled_in_turn_each_with_its_own_fcb() {
    let mut line = PartyLine::new(params(), &[1, 2, 3]);
    line.run(secs(3) + ms(500));
    assert_eq!(line.primary_events, [Seen::Up(1), Seen::Up(2), Seen::Up(3)]);
    let requests = line.requests();
    // Start-up in turn: FC 9 to each, then FC 0 to each, then class 2 polls in turn.
    let start: Vec<_> = requests.iter().take(6).map(|r| (r.0, r.1)).collect();
    assert_eq!(start, [(1, 9), (2, 9), (3, 9), (1, 0), (2, 0), (3, 0)]);
    for address in 1..=3 {
        let polls: Vec<_> = requests
            .iter()
            .filter(|r| r.0 == address && r.1 == 11)
            .map(|r| r.2)
            .collect();
        assert_eq!(polls, [true, false, true, false], "address {address}");
    }
    let order: Vec<_> = requests.iter().skip(6).map(|r| r.0).collect();
    assert_eq!(order, [1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3]);
}

#[test]
fn a_silent_secondary_goes_down_while_the_others_keep_being_polled() {
    let mut line = PartyLine::new(params(), &[1, 2]);
    line.run(ms(100));
    assert_eq!(line.primary_events, [Seen::Up(1), Seen::Up(2)]);
    line.cut[1] = true;
    line.run(secs(10));
    assert!(line.primary_events.contains(&Seen::Down(2)));
    assert_eq!(line.primary.is_up(1), Some(true));
    assert_eq!(line.primary.is_up(2), Some(false));
    // Address 1 is polled whenever the line is free of address 2's repetitions.
    let polls_of_1 = line
        .requests()
        .iter()
        .filter(|r| r.0 == 1 && r.1 == 11)
        .count();
    assert!(polls_of_1 >= 5, "{polls_of_1} polls of address 1");
    // Back on the line: status, reset, up.
    line.cut[1] = false;
    line.run(secs(6));
    assert_eq!(line.primary.is_up(2), Some(true));
    assert_eq!(
        line.primary_events
            .iter()
            .filter(|e| **e == Seen::Up(2))
            .count(),
        2
    );
}

#[test]
fn a_lost_answer_is_asked_again_and_the_data_come_once() {
    let mut line = PartyLine::new(params(), &[4]);
    line.run(ms(10));
    line.secondaries[0].push_class1(&asdu(1)).unwrap();
    line.secondaries[0].push_class2(&asdu(2)).unwrap();
    // Lose the first answer carrying user data, and the first FC 3 request.
    let mut lost_answer = false;
    let mut lost_request = false;
    line.lose = Box::new(move |_, wire| match wire {
        Wire::Variable(c, _, _) if !c.is_primary() && !lost_answer => {
            lost_answer = true;
            true
        }
        Wire::Variable(c, _, _) if c.is_primary() && !lost_request => {
            lost_request = true;
            true
        }
        _ => false,
    });
    let id = line.primary.send(4, &asdu(3)).unwrap();
    line.run(secs(5));
    assert_eq!(
        data(&line.primary_events),
        [(4, Service::Class1, asdu(1)), (4, Service::Class2, asdu(2))]
    );
    assert_eq!(
        data(&line.secondary_events[0]),
        [(4, Service::Confirmed, asdu(3))]
    );
    assert!(line.primary_events.contains(&Seen::Confirmed(4, id)));
    assert!(line.primary_events.contains(&Seen::Repeating(4, 1)));
    assert_eq!(
        line.secondary_events[0]
            .iter()
            .filter(|e| matches!(e, Seen::Repetition(4, _)))
            .count(),
        1,
        "the lost answer's request came again; the lost request was not seen"
    );
}

#[test]
fn address_fields_of_zero_and_two_octets_work_too() {
    for (len, address) in [(AddressLen::Zero, 0), (AddressLen::Two, 0x1234)] {
        let p0 = Params {
            link: LinkConfig::new(len),
            ..params()
        };
        let mut line = PartyLine::new(p0, &[address]);
        line.secondaries[0].push_class2(&asdu(5)).unwrap();
        line.run(secs(2));
        assert_eq!(line.primary_events[0], Seen::Up(address));
        assert_eq!(
            data(&line.primary_events),
            [(address, Service::Class2, asdu(5))]
        );
        let first = &line.log[0];
        let bytes = first.wire.encode(&p0);
        assert_eq!(bytes.len(), 4 + len.octets(), "{len:?}");
    }
}

#[test]
fn a_broadcast_reaches_every_secondary_and_send_no_reply_only_its_own() {
    let mut line = PartyLine::new(params(), &[1, 2, 3]);
    line.run(ms(10));
    line.primary.broadcast(&asdu(7)).unwrap();
    line.primary.send_no_reply(2, &asdu(8)).unwrap();
    line.run(ms(10));
    for (i, events) in line.secondary_events.iter().enumerate() {
        let mut expected = vec![(255, Service::Broadcast, asdu(7))];
        if i == 1 {
            expected.push((2, Service::NoReply, asdu(8)));
        }
        assert_eq!(data(events), expected, "secondary {i}");
    }
    // Neither was answered; the polls went on without a timeout.
    assert!(!line
        .primary_events
        .iter()
        .any(|e| matches!(e, Seen::Repeating(..))));
}

#[test]
fn a_link_service_not_functioning_answer_to_status_or_reset_waits_for_the_retry() {
    let t0 = Instant::now();
    let p0 = params();
    let mut p = UnbalancedPrimary::new(p0, &[5], t0).unwrap();
    assert_eq!(
        next_request(&mut p, t0).unwrap().primary(),
        (9, false, false)
    );
    let seen = feed_frame(&mut p, &sec(S::LINK_NOT_FUNCTIONING, false, false, 5), t0);
    assert_eq!(seen, []);
    assert!(!p.is_waiting());
    assert_eq!(p.poll_timeout(), Some(t0 + secs(5)));
    assert_eq!(
        next_request(&mut p, t0 + secs(5)).unwrap().primary(),
        (9, false, false)
    );
    feed_frame(&mut p, &sec(S::LINK_STATUS, false, false, 5), t0 + secs(5));
    assert_eq!(
        next_request(&mut p, t0 + secs(5)).unwrap().primary(),
        (0, false, false)
    );
    feed_frame(
        &mut p,
        &sec(S::LINK_NOT_IMPLEMENTED, false, false, 5),
        t0 + secs(5),
    );
    assert_eq!(p.is_up(5), Some(false));
    assert_eq!(p.poll_timeout(), Some(t0 + secs(10)));
}
