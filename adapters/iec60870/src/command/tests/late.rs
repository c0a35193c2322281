//! Late confirmations: an ACTCON of an earlier command to the same object, which timed out,
//! must not complete a new one (the confirmation mirrors the element, clause 7.2.3).

use fieldbridge_core::command::Outcome;
use fieldbridge_core::config::IecCommandKind;
use serde_json::json;
use tokio::time::Instant;

use super::{answer, at, command, commands, feed, point, tagged};

#[test]
fn a_late_confirmation_of_a_timed_out_command_does_not_complete_the_next_one() {
    let t0 = Instant::now();
    let mut c = commands();
    let p = point(IecCommandKind::Single, false);
    let first = c
        .start(command(t0, json!("on"), json!(null)), 1, &p, at(t0, 0))
        .expect("sent");
    let timed_out = c.on_timeout(at(t0, 15_000));
    assert_eq!(timed_out.len(), 1);
    assert_eq!(timed_out[0].1.outcome, Outcome::Timeout);

    let mut second_command = command(t0, json!("off"), json!(null));
    second_command.deadline = t0 + std::time::Duration::from_secs(60);
    let second = c
        .start(second_command, 2, &p, at(t0, 15_100))
        .expect("sent");
    // The first command's ACTCON arrives late: it mirrors "on", not "off".
    let late = feed(&mut c, &answer(&first, 7, false), at(t0, 15_200));
    assert!(late.replies.is_empty(), "{:?}", late.replies);
    assert!(late.send.is_empty());
    // The second's own negative ACTCON is what answers it.
    let own = feed(&mut c, &answer(&second, 7, true), at(t0, 15_300));
    assert!(own.replies.is_empty(), "waits for the cause");
    let cause = feed(&mut c, &answer(&second, 47, false), at(t0, 15_400));
    assert_eq!(cause.replies.len(), 1);
    assert_eq!(cause.replies[0].0, 2);
    assert_eq!(cause.replies[0].1.outcome, Outcome::Failed);
}

#[test]
fn a_time_tagged_confirmation_must_carry_the_tag_that_was_sent() {
    let t0 = Instant::now();
    let mut c = commands();
    let p = tagged(IecCommandKind::Single, false);
    let first = c
        .start(command(t0, json!("on"), json!(null)), 1, &p, at(t0, 0))
        .expect("sent");
    assert_eq!(c.on_timeout(at(t0, 15_000)).len(), 1);
    let mut again = command(t0, json!("on"), json!(null));
    again.deadline = t0 + std::time::Duration::from_secs(60);
    let second = c.start(again, 2, &p, at(t0, 15_100)).expect("sent");
    // The same value, but the first command's time tag: not this command's confirmation.
    let late = feed(&mut c, &answer(&first, 7, false), at(t0, 15_200));
    assert!(late.replies.is_empty(), "{:?}", late.replies);
    let own = feed(&mut c, &answer(&second, 7, false), at(t0, 15_300));
    assert_eq!(own.replies.len(), 1);
    assert_eq!(own.replies[0].0, 2);
    assert_eq!(own.replies[0].1.outcome, Outcome::Success);
}

#[test]
fn a_cancelled_command_is_answered_as_told_and_frees_its_object() {
    let t0 = Instant::now();
    let mut c = commands();
    let p = point(IecCommandKind::Double, true);
    let select = c
        .start(command(t0, json!("on"), json!(null)), 1, &p, at(t0, 0))
        .expect("sent");
    let told = fieldbridge_core::command::FieldReply::not_done(
        Outcome::Failed,
        "the outstation's link refused the select (NACK): not executed",
    );
    let (reply, ended) = c.cancel(1, 5001, told).expect("in flight");
    assert_eq!(reply, 1);
    assert_eq!(ended.outcome, Outcome::Failed);
    assert_eq!(ended.method.as_deref(), Some("C_DC_NA_1 select+execute"));
    assert!(c.is_empty());
    assert!(c.cancel(1, 5001, ended).is_none(), "nothing left to cancel");
    // Its select's confirmation, if it still came, starts nothing.
    let late = feed(&mut c, &answer(&select, 7, false), at(t0, 100));
    assert!(late.send.is_empty() && late.replies.is_empty());
}

/// lib60870 (c104) terminates select before operate with the ASDU it kept at the select: the
/// select's S/E bit and time tag. Once the outstation is known to terminate, that ACTTERM must
/// still complete the command.
#[test]
fn a_termination_carrying_the_selects_time_tag_completes_the_command() {
    let t0 = Instant::now();
    let mut c = commands();
    let p = tagged(IecCommandKind::Single, true);
    for (n, at_ms) in [(1u32, 0u64), (2, 1_000)] {
        let mut cmd = command(t0, json!("on"), json!(null));
        cmd.deadline = t0 + std::time::Duration::from_secs(60);
        let select = c.start(cmd, n, &p, at(t0, at_ms)).expect("sent");
        let execute = feed(&mut c, &answer(&select, 7, false), at(t0, at_ms + 10))
            .send
            .remove(0);
        let confirmed = feed(&mut c, &answer(&execute, 7, false), at(t0, at_ms + 20));
        // As c104 sends it: the select's ASDU with COT 10.
        let terminated = feed(&mut c, &answer(&select, 10, false), at(t0, at_ms + 30));
        let replies: Vec<_> = confirmed
            .replies
            .into_iter()
            .chain(terminated.replies)
            .collect();
        assert_eq!(replies.len(), 1, "command {n}: {replies:?}");
        assert_eq!(replies[0].0, n);
        assert_eq!(replies[0].1.outcome, Outcome::Success, "command {n}");
    }
    assert!(c.is_empty());
}
