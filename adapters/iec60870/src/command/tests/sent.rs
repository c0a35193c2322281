//! The confirmation of an execute is timed from when its frame left, not from the select's
//! confirmation that built it.

use fieldbridge_core::command::Outcome;
use fieldbridge_core::config::IecCommandKind;
use serde_json::json;
use tokio::time::Instant;

use super::{answer, at, command, commands, feed, point, TIMERS};

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
    let waited = TIMERS.confirmation.as_millis() as u64 * 4 / 5;
    c.sent(1, 5001, at(t0, waited).instant);
    let late = TIMERS.confirmation.as_millis() as u64 + 1000;
    assert!(
        c.on_timeout(at(t0, late)).is_empty(),
        "timed from the select's confirmation it would have run out"
    );
    assert_eq!(
        c.next_deadline(),
        Some(at(t0, waited).instant + TIMERS.confirmation)
    );
    let out = c.on_timeout(at(t0, waited + TIMERS.confirmation.as_millis() as u64));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].1.outcome, Outcome::Timeout);
}

#[test]
fn sent_changes_nothing_for_another_object_or_once_confirmed() {
    let t0 = Instant::now();
    let mut c = commands();
    let p = point(IecCommandKind::Single, false);
    let execute = c
        .start(command(t0, json!("on"), json!(null)), 1, &p, at(t0, 0))
        .expect("sent");
    let due = Some(at(t0, 0).instant + TIMERS.confirmation);
    c.sent(1, 5002, at(t0, 5000).instant);
    assert_eq!(c.next_deadline(), due, "another IOA");
    c.sent(2, 5001, at(t0, 5000).instant);
    assert_eq!(c.next_deadline(), due, "another common address");
    // Confirmed and not known to terminate: done, nothing left to time.
    let out = feed(&mut c, &answer(&execute, 7, false), at(t0, 10));
    assert_eq!(out.replies.len(), 1);
    c.sent(1, 5001, at(t0, 5000).instant);
    assert_eq!(c.next_deadline(), None);
}
