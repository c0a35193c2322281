//! A frame lost on the line, made by a relay between two socat pairs: how lib60870 and our
//! links repeat and recognise repetitions (IEC 60870-5-2 clause 5.1.2).

use super::*;
use crate::driver::Decoded;
use crate::relay;
use fieldbridge_iec60870::ft12::SecondaryFunction;
use fieldbridge_iec60870::Control;

/// Loses the first answer that carries user data (FC 8, or FC 3 in balanced mode).
fn lose_first_user_data() -> relay::Lose {
    let mut done = false;
    Box::new(move |_, frame| {
        let hit = !done
            && matches!(
                frame,
                Decoded::Frame {
                    control: Control::Secondary {
                        function: SecondaryFunction::USER_DATA,
                        ..
                    },
                    asdu: Some(_),
                    ..
                }
            );
        done |= hit;
        hit
    })
}

fn keep_all() -> relay::Lose {
    Box::new(|_, _| false)
}

#[test]
fn the_lib60870_master_repeats_after_our_lost_answer_and_our_secondary_answers_from_memory() {
    let ours = SocatPair::start();
    let theirs = SocatPair::start();
    let p = params();
    let lost = relay::start(
        ours.b(),
        theirs.a(),
        p.link,
        lose_first_user_data(),
        keep_all(),
    );
    let mut d = Driver::open(ours.a(), UnbalancedSecondary::new(p, 3).unwrap(), p.link);
    let mut master = start_master(theirs.b(), "--link-address 3 --ca 3");
    serve_until_complete(&mut d, &mut master, 3, |s, asdu| {
        s.push_class1(asdu).expect("class 1 queue")
    });
    assert_eq!(
        lost.lock().unwrap().left_to_right.len(),
        1,
        "one answer lost"
    );
    // lib60870 repeated its class 1 request with the same FCB; we sent the lost ACTCON again
    // from memory instead of the next ASDU, so it saw every ASDU once.
    // (More than one only if this machine was too slow for lib60870's 500 ms.)
    assert!(d.count(&Seen::Repetition(3)) >= 1, "{:?}", d.events);
    d.check_their_fcb(Some(3));
    assert_master_saw_our_answers(&master, 3);
    for parts in [
        ["asdu", "type=100", "cot=7"],
        ["asdu", "type=1", "cot=20"],
        ["asdu", "type=13", "cot=20"],
        ["asdu", "type=100", "cot=10"],
    ] {
        assert_eq!(
            master.count(&parts),
            1,
            "{parts:?} once:\n{}",
            master.seen.join("\n")
        );
    }
    assert_we_got_the_masters_requests(&d.events, 3, 3);
}

#[test]
fn our_primary_repeats_after_a_lost_lib60870_answer_and_gets_it_again() {
    let ours = SocatPair::start();
    let theirs = SocatPair::start();
    let p = Params {
        response_timeout: Duration::from_millis(300),
        ..params()
    };
    let lost = relay::start(
        ours.b(),
        theirs.a(),
        p.link,
        keep_all(),
        lose_first_user_data(),
    );
    let mut slave = start_slave(theirs.b(), "--link-address 1 --ca 1 --spontaneous-ms 0", 1);
    let d = primary_interrogates(ours.a(), p, 1, 1);
    assert_eq!(
        lost.lock().unwrap().right_to_left.len(),
        1,
        "one answer lost"
    );
    // Our class 1 request went again with the same FCB; lib60870 2.3.4 took it for a
    // repetition and sent the lost ACTCON again: every ASDU came once, in order.
    assert!(d.count(&Seen::Repeating(1)) >= 1, "{:?}", d.events);
    assert_eq!(d.count(&Seen::Down(1)), 0);
    d.check_our_fcb(Some(1));
    slave.collect();
    assert_eq!(
        slave.count(&["reset-cu", "link=1"]),
        1,
        "{}",
        slave.seen.join("\n")
    );
}

#[test]
fn in_balanced_mode_lib60870_repeats_user_data_whose_ack_we_lost_and_we_deliver_them_once() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let ours = SocatPair::start();
    let theirs = SocatPair::start();
    let p = params();
    // Once lib60870 has sent user data (FC 3), lose our next ACK.
    let seen_data = Arc::new(AtomicBool::new(false));
    let flag = seen_data.clone();
    let watch: relay::Lose = Box::new(move |_, frame| {
        if matches!(
            frame,
            Decoded::Frame {
                control: Control::Primary { .. },
                asdu: Some(_),
                ..
            }
        ) {
            flag.store(true, Ordering::SeqCst);
        }
        false
    });
    let mut done = false;
    let lose_ack: relay::Lose = Box::new(move |_, frame| {
        let hit = !done
            && seen_data.load(Ordering::SeqCst)
            && matches!(
                frame,
                Decoded::Frame {
                    control: Control::Secondary {
                        function: SecondaryFunction::ACK,
                        ..
                    },
                    ..
                }
            );
        done |= hit;
        hit
    });
    let lost = relay::start(ours.b(), theirs.a(), p.link, lose_ack, watch);
    let _slave = start_slave(theirs.b(), BALANCED_SLAVE_2, 2);
    let d = station_a_interrogates(ours.a(), p, 1, 2, 2);
    assert_eq!(
        lost.lock().unwrap().left_to_right.len(),
        1,
        "one ACK of ours lost"
    );
    assert!(d.count(&Seen::Repetition(1)) >= 1, "{:?}", d.events);
    d.check_their_fcb(Some(1));
}
