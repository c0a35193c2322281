//! Frames damaged on the line (IEC 60870-5-1 clause 6.2.4.2): a frame whose checksum fails is
//! no frame, and neither is anything inside it. Found by review: an E5 inside a corrupt answer
//! was taken for an acknowledgement, the primary toggled its FCB and the secondary's data,
//! already taken from its queue, was lost.

use crate::common::*;
use fieldbridge_iec60870::ft12::{Control, PrimaryFunction, SecondaryFunction};
use fieldbridge_iec60870::link101::{Params, UnbalancedSecondary};
use std::time::Instant;

#[test]
fn a_corrupt_answer_holding_e5_is_no_answer_and_the_request_is_repeated_with_its_fcb() {
    let t0 = Instant::now();
    let params = Params::default();
    let mut p = primary_up(params, &[1], t0);
    let request = next_request(&mut p, t0).expect("a class 2 poll");
    let answer = Wire::Variable(
        Control::secondary(SecondaryFunction::USER_DATA, false, false),
        1,
        vec![0x01, 0x01, 0x03, 0x01, 0x01, 0x00, 0xE5],
    );
    let mut bytes = answer.encode(&params);
    let checksum = bytes.len() - 2;
    bytes[checksum] ^= 0x01;
    let seen = feed_primary(&mut p, &bytes, t0);
    assert!(
        seen.iter().all(|s| matches!(s, Seen::Discarded(_))),
        "nothing but discarded bytes: {seen:?}"
    );
    assert!(p.is_waiting(), "the request is still unanswered");
    let later = t0 + secs(5);
    timeout_primary(&mut p, later);
    let repeated = next_request(&mut p, later).expect("the repetition");
    assert_eq!(
        repeated.primary(),
        request.primary(),
        "the same function with the same FCB"
    );
}

#[test]
fn a_frame_inside_a_corrupt_frame_is_not_answered() {
    let params = Params::default();
    let mut s = UnbalancedSecondary::new(params, 1).unwrap();
    // User data that happen to hold a whole fixed frame (request status of link 1).
    let frame = pri_data(
        PrimaryFunction::USER_DATA_CONFIRM,
        true,
        1,
        &[0x10, 0x49, 0x01, 0x4A, 0x16],
    );
    let mut bytes = frame.encode(&params);
    let checksum = bytes.len() - 2;
    bytes[checksum] ^= 0x01;
    let seen = feed_secondary(&mut s, &bytes);
    assert!(
        seen.iter().all(|s| matches!(s, Seen::Discarded(_))),
        "nothing but discarded bytes: {seen:?}"
    );
    assert_eq!(
        answers(&mut s),
        [],
        "no answer to a frame inside a corrupt one"
    );
}

#[test]
fn a_lone_fixed_start_character_in_garbage_does_not_swallow_the_next_frame() {
    let params = Params::default();
    let mut s = UnbalancedSecondary::new(params, 5).unwrap();
    let mut bytes = vec![0x10, 0x10];
    bytes.extend(pri(PrimaryFunction::REQUEST_LINK_STATUS, false, false, 5).encode(&params));
    feed_secondary(&mut s, &bytes);
    assert_eq!(
        answers(&mut s),
        [sec(SecondaryFunction::LINK_STATUS, false, false, 5)]
    );
}
