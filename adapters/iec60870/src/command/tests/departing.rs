//! A step that waited for the link is encoded again as it leaves: its confirmation is timed,
//! and its time tag read, from then, not from the select's confirmation that built it.

use fieldbridge_core::command::{FieldReply, Outcome};
use fieldbridge_core::config::IecCommandKind;
use fieldbridge_iec60870::asdu::TimeTag;
use serde_json::json;
use tokio::time::Instant;

use super::{answer, at, command, commands, element, feed, learn, point, tagged, Now, TIMERS};

fn ms(d: std::time::Duration) -> u64 {
    d.as_millis() as u64
}

#[test]
fn an_execute_that_waited_for_the_link_gets_its_whole_confirmation_time() {
    let t0 = Instant::now();
    let mut c = commands();
    let p = point(IecCommandKind::Single, true);
    let mut cmd = command(t0, json!("on"), json!(null));
    cmd.deadline = t0 + 3 * TIMERS.confirmation;
    let select = c.start(cmd, 1, &p, at(t0, 0)).expect("sent");
    let out = feed(&mut c, &answer(&select, 7, false), at(t0, 100));
    assert_eq!(out.send.len(), 1, "the execute");
    // The link takes it 12 s later (a busy line): its confirmation is due 15 s after that.
    let waited = ms(TIMERS.confirmation) * 4 / 5;
    let execute = c
        .departing(1, 5001, at(t0, waited))
        .expect("still waited for")
        .expect("encodes");
    assert_eq!(
        execute, out.send[0],
        "an untagged execute is the same frame"
    );
    assert!(
        c.on_timeout(at(t0, ms(TIMERS.confirmation) + 1000))
            .is_empty(),
        "timed from the select's confirmation it would have run out"
    );
    assert_eq!(
        c.next_deadline(),
        Some(at(t0, waited).instant + TIMERS.confirmation)
    );
    let out = c.on_timeout(at(t0, waited + ms(TIMERS.confirmation)));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].1.outcome, Outcome::Timeout);
}

#[test]
fn a_time_tagged_execute_carries_the_time_it_leaves_and_is_confirmed_by_that_tag() {
    let t0 = Instant::now();
    let mut c = commands();
    let p = tagged(IecCommandKind::Single, true);
    let select = c
        .start(command(t0, json!("on"), json!(null)), 1, &p, at(t0, 0))
        .expect("sent");
    let built = feed(&mut c, &answer(&select, 7, false), at(t0, 1000))
        .send
        .remove(0);
    let execute = c
        .departing(1, 5001, at(t0, 4000))
        .expect("still waited for")
        .expect("encodes");
    let tag = |bytes: &[u8]| match element(bytes).2 {
        Some(TimeTag::Cp56(tag)) => tag.millisecond,
        other => panic!("a CP56Time2a: {other:?}"),
    };
    assert_eq!((tag(&built), tag(&execute)), (6250, 9250));
    // A confirmation mirroring the tag built at the select's ACTCON is not this execute's.
    let stale = feed(&mut c, &answer(&built, 7, false), at(t0, 4010));
    assert!(stale.replies.is_empty() && stale.send.is_empty());
    let out = feed(&mut c, &answer(&execute, 7, false), at(t0, 4020));
    assert_eq!(
        out.replies,
        vec![(1, FieldReply::success("C_SC_TA_1 select+execute"))]
    );
}

#[test]
fn nothing_departs_for_another_object_a_termination_or_an_ended_command() {
    let t0 = Instant::now();
    let mut c = commands();
    learn(&mut c, IecCommandKind::Single, false, t0);
    let p = point(IecCommandKind::Single, false);
    let execute = c
        .start(command(t0, json!("on"), json!(null)), 1, &p, at(t0, 0))
        .expect("sent");
    let due = Some(at(t0, 0).instant + TIMERS.confirmation);
    assert_eq!(c.departing(1, 5002, at(t0, 5000)), None, "another IOA");
    assert_eq!(c.departing(2, 5001, at(t0, 5000)), None, "another CA");
    assert_eq!(c.next_deadline(), due);
    // Confirmed, and known to terminate: waiting for the ACTTERM, not a confirmation.
    assert!(feed(&mut c, &answer(&execute, 7, false), at(t0, 10))
        .replies
        .is_empty());
    let terminating = c.next_deadline();
    assert_eq!(terminating, Some(at(t0, 10).instant + TIMERS.termination));
    assert_eq!(c.departing(1, 5001, at(t0, 5000)), None);
    assert_eq!(
        c.next_deadline(),
        terminating,
        "the termination's wait is unchanged"
    );
    // Ended by its timer: nothing left to send.
    assert_eq!(c.on_timeout(at(t0, 10 + ms(TIMERS.termination))).len(), 1);
    assert_eq!(c.departing(1, 5001, at(t0, 20_000)), None);
}

#[test]
fn an_execute_the_clock_can_no_longer_tag_ends_failed_unsent() {
    let t0 = Instant::now();
    let mut c = commands();
    let p = tagged(IecCommandKind::Single, true);
    let select = c
        .start(command(t0, json!("on"), json!(null)), 1, &p, at(t0, 0))
        .expect("sent");
    assert_eq!(
        feed(&mut c, &answer(&select, 7, false), at(t0, 10))
            .send
            .len(),
        1
    );
    // The clock was set back to 1970 (a lost RTC) before the line took the execute.
    let now = Now {
        instant: t0 + std::time::Duration::from_millis(20),
        utc_ms: 192_250,
    };
    let Some(Err((reply, answer))) = c.departing(1, 5001, now) else {
        panic!("the command ends")
    };
    assert_eq!(reply, 1);
    assert_eq!(answer.outcome, Outcome::Failed);
    assert!(
        answer
            .reason
            .as_deref()
            .is_some_and(|r| r.starts_with("selected, not executed: the bridge's clock (1970")),
        "{answer:?}"
    );
    assert!(c.is_empty());
}
