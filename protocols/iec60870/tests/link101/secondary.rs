//! The unbalanced secondary station (IEC 60870-5-2 clause 5.1, IEC 60870-5-101 clause 6.1), fed
//! requests by hand.

use crate::common::*;
use fieldbridge_iec60870::ft12::{PrimaryFunction as P, SecondaryFunction as S};
use fieldbridge_iec60870::link101::{Params, Service, UnbalancedSecondary};

fn station(params: Params) -> UnbalancedSecondary {
    UnbalancedSecondary::new(params, 5).unwrap()
}

/// Sends `request` and returns the events and the answers.
fn ask(s: &mut UnbalancedSecondary, request: &Wire) -> (Vec<Seen>, Vec<Wire>) {
    let params = *s.params();
    let seen = feed_secondary(s, &request.encode(&params));
    (seen, answers(s))
}

#[test]
fn status_and_reset_are_answered() {
    let mut s = station(Params::default());
    let (seen, out) = ask(&mut s, &pri(P::REQUEST_LINK_STATUS, false, false, 5));
    assert_eq!(
        (seen, out),
        (vec![], vec![sec(S::LINK_STATUS, false, false, 5)])
    );
    let (seen, out) = ask(&mut s, &pri(P::RESET_REMOTE_LINK, false, false, 5));
    assert_eq!(seen, [Seen::ResetByRemote(5)]);
    assert_eq!(out, [sec(S::ACK, false, false, 5)]);
    let (seen, out) = ask(&mut s, &pri(P::RESET_USER_PROCESS, false, false, 5));
    assert_eq!(seen, [Seen::UserProcessReset(5)]);
    assert_eq!(out, [sec(S::ACK, false, false, 5)]);
}

#[test]
fn class_requests_fetch_the_queues_and_acd_says_class_1_waits() {
    let mut s = station(Params::default());
    ask(&mut s, &pri(P::RESET_REMOTE_LINK, false, false, 5));
    let (_, out) = ask(&mut s, &pri(P::REQUEST_CLASS_2, true, true, 5));
    assert_eq!(out, [sec(S::NACK_NO_DATA, false, false, 5)], "no data");
    s.push_class1(&asdu(1)).unwrap();
    s.push_class1(&asdu(2)).unwrap();
    s.push_class2(&asdu(3)).unwrap();
    assert_eq!(s.queued(), (2, 1));
    let (_, out) = ask(&mut s, &pri(P::REQUEST_CLASS_2, false, true, 5));
    let data = |acd, n| sec_data(acd, false, 5, &asdu(n));
    assert_eq!(out, [data(true, 3)], "class 2 data, ACD set");
    let (_, out) = ask(&mut s, &pri(P::REQUEST_CLASS_1, true, true, 5));
    assert_eq!(out, [data(true, 1)]);
    let (_, out) = ask(&mut s, &pri(P::REQUEST_CLASS_1, false, true, 5));
    assert_eq!(out, [data(false, 2)], "the last class 1: ACD clear");
    let (_, out) = ask(&mut s, &pri(P::REQUEST_CLASS_1, true, true, 5));
    assert_eq!(out, [sec(S::NACK_NO_DATA, false, false, 5)]);
}

#[test]
fn the_single_character_answers_only_when_neither_acd_nor_dfc_is_set() {
    let mut s = station(Params {
        single_char_ack: true,
        ..Params::default()
    });
    let (_, out) = ask(&mut s, &pri(P::RESET_REMOTE_LINK, false, false, 5));
    assert_eq!(out, [Wire::E5]);
    let (_, out) = ask(&mut s, &pri(P::REQUEST_CLASS_2, true, true, 5));
    assert_eq!(out, [Wire::E5], "no data");
    let (_, out) = ask(&mut s, &pri(P::REQUEST_LINK_STATUS, false, false, 5));
    assert_eq!(
        out,
        [sec(S::LINK_STATUS, false, false, 5)],
        "status is never E5"
    );
    s.push_class1(&asdu(1)).unwrap();
    let (_, out) = ask(&mut s, &pri(P::REQUEST_CLASS_2, false, true, 5));
    assert_eq!(out, [sec(S::NACK_NO_DATA, true, false, 5)]);
    s.set_full(true);
    let (_, out) = ask(&mut s, &pri(P::REQUEST_CLASS_1, true, true, 5));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].secondary(), (8, false, true));
    let (_, out) = ask(&mut s, &pri(P::REQUEST_CLASS_2, false, true, 5));
    assert_eq!(out, [sec(S::NACK_NO_DATA, false, true, 5)]);
}

#[test]
fn a_repeated_frame_gets_the_last_answer_again_and_nothing_twice() {
    let mut s = station(Params::default());
    ask(&mut s, &pri(P::RESET_REMOTE_LINK, false, false, 5));
    let send = pri_data(P::USER_DATA_CONFIRM, true, 5, &asdu(1));
    let (seen, first) = ask(&mut s, &send);
    assert_eq!(seen, [Seen::Data(5, Service::Confirmed, asdu(1))]);
    assert_eq!(first, [sec(S::ACK, false, false, 5)]);
    // The ACK was lost: the same frame again.
    let (seen, again) = ask(&mut s, &send);
    assert_eq!(seen, [Seen::Repetition(5, 3)]);
    assert_eq!(again, first);
    // A class 1 answer lost: the same ASDU comes again, and the queue is not read twice.
    s.push_class1(&asdu(2)).unwrap();
    s.push_class1(&asdu(3)).unwrap();
    let poll = pri(P::REQUEST_CLASS_1, false, true, 5);
    let (_, first) = ask(&mut s, &poll);
    let (seen, again) = ask(&mut s, &poll);
    assert_eq!(seen, [Seen::Repetition(5, 10)]);
    assert_eq!(again, first);
    assert_eq!(s.queued(), (1, 0));
    // The FCB toggled: new frame, new data.
    let (seen, next) = ask(&mut s, &pri(P::REQUEST_CLASS_1, true, true, 5));
    assert_eq!(seen, []);
    assert_eq!(next, [sec_data(false, false, 5, &asdu(3))]);
    // Frames without FCV never count as repetitions.
    let (seen, _) = ask(&mut s, &pri(P::REQUEST_LINK_STATUS, false, false, 5));
    let (seen2, _) = ask(&mut s, &pri(P::REQUEST_LINK_STATUS, false, false, 5));
    assert_eq!((seen, seen2), (vec![], vec![]));
}

#[test]
fn after_a_reset_the_next_frame_is_new_whatever_its_fcb() {
    let mut s = station(Params::default());
    let send = pri_data(P::USER_DATA_CONFIRM, true, 5, &asdu(1));
    ask(&mut s, &send);
    ask(&mut s, &pri(P::RESET_REMOTE_LINK, false, false, 5));
    let (seen, out) = ask(&mut s, &send);
    assert_eq!(seen, [Seen::Data(5, Service::Confirmed, asdu(1))]);
    assert_eq!(out, [sec(S::ACK, false, false, 5)]);
}

#[test]
fn while_full_dfc_is_set_and_user_data_are_refused() {
    let mut s = station(Params::default());
    s.set_full(true);
    assert!(s.is_full());
    let (seen, out) = ask(&mut s, &pri_data(P::USER_DATA_CONFIRM, true, 5, &asdu(1)));
    assert_eq!(seen, []);
    assert_eq!(out, [sec(S::NACK_BUSY, false, true, 5)]);
    let (_, out) = ask(&mut s, &pri(P::REQUEST_LINK_STATUS, false, false, 5));
    assert_eq!(out, [sec(S::LINK_STATUS, false, true, 5)]);
    s.set_full(false);
    let (seen, out) = ask(&mut s, &pri_data(P::USER_DATA_CONFIRM, false, 5, &asdu(1)));
    assert_eq!(seen, [Seen::Data(5, Service::Confirmed, asdu(1))]);
    assert_eq!(out, [sec(S::ACK, false, false, 5)]);
}

#[test]
fn send_no_reply_and_broadcasts_are_delivered_without_an_answer() {
    let mut s = station(Params::default());
    let (seen, out) = ask(&mut s, &pri_data(P::USER_DATA_NO_REPLY, false, 5, &asdu(1)));
    assert_eq!(seen, [Seen::Data(5, Service::NoReply, asdu(1))]);
    assert_eq!(out, []);
    let (seen, out) = ask(
        &mut s,
        &pri_data(P::USER_DATA_NO_REPLY, false, 255, &asdu(2)),
    );
    assert_eq!(seen, [Seen::Data(255, Service::Broadcast, asdu(2))]);
    assert_eq!(out, []);
    // Only SEND/NO REPLY may be broadcast.
    let bad = pri(P::REQUEST_CLASS_2, true, true, 255);
    let (seen, out) = ask(&mut s, &bad);
    assert_eq!(seen, [Seen::Unexpected(255, bad.control())]);
    assert_eq!(out, []);
}

#[test]
fn frames_for_other_stations_and_answers_on_the_line_are_ignored() {
    let mut s = station(Params::default());
    s.push_class1(&asdu(1)).unwrap();
    for frame in [
        pri(P::REQUEST_CLASS_1, true, true, 6),
        pri_data(P::USER_DATA_CONFIRM, true, 6, &asdu(1)),
        sec(S::ACK, false, false, 5),
        Wire::E5,
    ] {
        assert_eq!(ask(&mut s, &frame), (vec![], vec![]), "{frame:?}");
    }
    assert_eq!(s.queued(), (1, 0));
}

#[test]
fn functions_not_served_are_answered_not_implemented() {
    let mut s = station(Params::default());
    for f in [P::TEST_LINK, P::from_bits(5), P::from_bits(14)] {
        let (_, out) = ask(&mut s, &pri(f, false, false, 5));
        assert_eq!(
            out,
            [sec(S::LINK_NOT_IMPLEMENTED, false, false, 5)],
            "{f:?}"
        );
    }
    // User data functions without user data are not answered.
    let (seen, out) = ask(&mut s, &pri(P::USER_DATA_CONFIRM, true, true, 5));
    assert_eq!(out, []);
    assert_eq!(seen.len(), 1);
}

#[test]
fn garbage_between_frames_and_reads_split_anywhere_change_nothing() {
    let p0 = Params::default();
    let mut stream = vec![0x00, 0xFF, 0x10, 0x10];
    stream.extend(pri(P::RESET_REMOTE_LINK, false, false, 5).encode(&p0));
    stream.extend([0x68, 0x03, 0x04]); // a variable frame whose lengths disagree
    stream.extend(pri_data(P::USER_DATA_CONFIRM, true, 5, &asdu(1)).encode(&p0));
    let mut corrupt = pri(P::REQUEST_CLASS_2, true, true, 5).encode(&p0);
    corrupt[3] ^= 0x01; // bad checksum
    stream.extend(corrupt);
    stream.extend(pri(P::REQUEST_LINK_STATUS, false, false, 5).encode(&p0));

    let expected_answers = vec![
        sec(S::ACK, false, false, 5),
        sec(S::ACK, false, false, 5),
        sec(S::LINK_STATUS, false, false, 5),
    ];
    for chunk in [stream.len(), 1, 2, 3, 7] {
        let mut s = station(p0);
        let mut seen = Vec::new();
        for read in stream.chunks(chunk) {
            seen.extend(feed_secondary(&mut s, read));
        }
        let discarded: usize = seen
            .iter()
            .map(|e| if let Seen::Discarded(n) = e { *n } else { 0 })
            .sum();
        let rest: Vec<_> = seen
            .into_iter()
            .filter(|e| !matches!(e, Seen::Discarded(_)))
            .collect();
        assert_eq!(
            rest,
            [
                Seen::ResetByRemote(5),
                Seen::Data(5, Service::Confirmed, asdu(1))
            ],
            "reads of {chunk}"
        );
        assert_eq!(discarded, 4 + 3 + 5, "reads of {chunk}");
        assert_eq!(answers(&mut s), expected_answers, "reads of {chunk}");
    }
}
