//! The command exchange by itself: every kind and refusal, select before operate, negative
//! confirmations, timers, deadlines and a lost link, with the time given by the test.

use std::sync::Arc;
use std::time::Duration;

use fieldbridge_core::command::{CommandValue, FieldCommand, FieldReply, Outcome};
use fieldbridge_core::config::{IecCommand, IecCommandKind, IecPoint, PulseQualifier};
use fieldbridge_iec60870::asdu::{
    Asdu, AsduConfig, CaLen, Cot, CotLen, Element, IoaLen, OwnedAsdu, TimeTag, TypeId,
};
use fieldbridge_iec60870::types::{Dco, Nva, Qos, Qu, Rco, Sco};
use serde_json::{json, Map};
use tokio::time::Instant;

use super::{Commands, Now, Timers};

mod departing;
mod late;
mod values;

const TIMERS: Timers = Timers {
    confirmation: Duration::from_secs(15),
    termination: Duration::from_secs(10),
    cause: Duration::from_secs(1),
};

/// 2026-11-24T10:00:05.250Z.
const UTC: i64 = 1_795_514_405_250;

fn at(t0: Instant, ms: u64) -> Now {
    Now {
        instant: t0 + Duration::from_millis(ms),
        utc_ms: UTC + ms as i64,
    }
}

fn point(kind: IecCommandKind, sbo: bool) -> IecPoint {
    IecPoint {
        name: "breaker".into(),
        common_address: 1,
        ioa: 5001,
        unit: None,
        command: Some(IecCommand {
            kind,
            time_tag: false,
            select_before_operate: sbo,
            qualifier: PulseQualifier::None,
        }),
        writable: true,
        min: None,
        max: None,
        command_timeout: None,
    }
}

/// [`point`] with a time-tagged command type (58 to 64).
fn tagged(kind: IecCommandKind, sbo: bool) -> IecPoint {
    let mut p = point(kind, sbo);
    if let Some(command) = p.command.as_mut() {
        command.time_tag = true;
    }
    p
}

fn command(t0: Instant, value: serde_json::Value, params: serde_json::Value) -> FieldCommand {
    let value = match value {
        serde_json::Value::Null => CommandValue::None,
        serde_json::Value::Bool(b) => CommandValue::Bool(b),
        serde_json::Value::Number(n) => CommandValue::Number(n),
        serde_json::Value::String(s) => CommandValue::String(s),
        other => CommandValue::Structured(other),
    };
    let params: Map<String, serde_json::Value> = match params {
        serde_json::Value::Object(map) => map,
        _ => Map::new(),
    };
    FieldCommand {
        id: Arc::from("c-1"),
        point: Arc::from("breaker"),
        value,
        params,
        deadline: t0 + Duration::from_secs(10),
        deadline_is_expiry: false,
    }
}

fn commands() -> Commands<u32> {
    Commands::new(AsduConfig::IEC104, 3, TIMERS)
}

fn decode(bytes: &[u8]) -> OwnedAsdu {
    OwnedAsdu::decode(bytes, &AsduConfig::IEC104).expect("a well-formed ASDU")
}

/// The outstation's answer to `sent`: the same ASDU with `cot` and P/N.
fn answer(sent: &[u8], cot: u8, negative: bool) -> Vec<u8> {
    let mut asdu = decode(sent);
    asdu.header.cause = Cot(cot);
    asdu.header.negative = negative;
    let mut out = Vec::new();
    asdu.encode(&mut out).expect("encodes");
    out
}

fn feed(c: &mut Commands<u32>, bytes: &[u8], now: Now) -> super::Output<u32> {
    let asdu = Asdu::decode(bytes, &AsduConfig::IEC104).expect("decodes");
    c.on_asdu(&asdu, now)
}

fn element(bytes: &[u8]) -> (TypeId, Element, Option<TimeTag>) {
    let asdu = decode(bytes);
    let object = asdu.objects()[0];
    (asdu.header.type_id, object.element, object.time)
}

/// Teaches `c` that the outstation terminates commands of `kind` sent with `select` or
/// directly: one runs to its ACTTERM on IOA 9999.
fn learn(c: &mut Commands<u32>, kind: IecCommandKind, select: bool, t0: Instant) {
    let mut p = point(kind, select);
    p.ioa = 9999;
    let value = match kind {
        IecCommandKind::Step => json!("higher"),
        IecCommandKind::Single | IecCommandKind::Double => json!("on"),
        _ => json!(0),
    };
    let first = c
        .start(command(t0, value, json!(null)), 99, &p, at(t0, 0))
        .expect("sent");
    let execute = if select {
        feed(c, &answer(&first, 7, false), at(t0, 0)).send.remove(0)
    } else {
        first
    };
    let out = feed(c, &answer(&execute, 7, false), at(t0, 0));
    assert_eq!(out.replies[0].1.outcome, Outcome::Success);
    assert!(feed(c, &answer(&execute, 10, false), at(t0, 0))
        .replies
        .is_empty());
    assert!(c.terminates(TypeId(kind.type_id(false)), select));
}

#[test]
fn a_direct_command_succeeds_at_its_confirmation_until_the_outstation_is_seen_to_terminate() {
    let t0 = Instant::now();
    let mut c = commands();
    let p = point(IecCommandKind::SetpointFloat, false);
    let sent = c
        .start(command(t0, json!(21.5), json!(null)), 7, &p, at(t0, 0))
        .expect("sent");
    let asdu = decode(&sent);
    assert_eq!(asdu.header.cause, Cot::ACTIVATION);
    assert_eq!(asdu.header.originator, 3);
    assert_eq!(
        (asdu.header.common_address, asdu.objects()[0].address),
        (1, 5001)
    );
    // Not known to terminate: the positive confirmation is the success.
    let out = feed(&mut c, &answer(&sent, 7, false), at(t0, 5));
    assert_eq!(
        out.replies,
        vec![(7, FieldReply::success("C_SE_NC_1 direct"))]
    );
    assert!(c.is_empty() && c.next_deadline().is_none());
    assert!(!c.terminates(TypeId::C_SE_NC_1, false));
    // Its termination follows: from now on the success waits for it.
    assert!(feed(&mut c, &answer(&sent, 10, false), at(t0, 9))
        .replies
        .is_empty());
    assert!(c.terminates(TypeId::C_SE_NC_1, false));
    assert!(
        !c.terminates(TypeId::C_SE_NC_1, true),
        "learnt per procedure"
    );
    let sent = c
        .start(command(t0, json!(1), json!(null)), 8, &p, at(t0, 10))
        .expect("sent");
    assert!(feed(&mut c, &answer(&sent, 7, false), at(t0, 20))
        .replies
        .is_empty());
    assert_eq!(
        c.next_deadline(),
        Some(t0 + Duration::from_millis(20) + TIMERS.termination)
    );
    let out = feed(&mut c, &answer(&sent, 10, false), at(t0, 30));
    assert_eq!(
        out.replies,
        vec![(8, FieldReply::success("C_SE_NC_1 direct"))]
    );
}

#[test]
fn a_termination_after_the_watch_or_for_a_new_command_teaches_nothing() {
    let t0 = Instant::now();
    let mut c = commands();
    let p = point(IecCommandKind::Single, false);
    let sent = c
        .start(command(t0, json!(true), json!(null)), 1, &p, at(t0, 0))
        .expect("sent");
    feed(&mut c, &answer(&sent, 7, false), at(t0, 1));
    // After the termination timer: too late to be this command's.
    feed(&mut c, &answer(&sent, 10, false), at(t0, 10_001));
    assert!(!c.terminates(TypeId::C_SC_NA_1, false));
    let sent = c
        .start(
            command(t0 + Duration::from_secs(10), json!(true), json!(null)),
            2,
            &p,
            at(t0, 10_002),
        )
        .expect("sent");
    feed(&mut c, &answer(&sent, 7, false), at(t0, 10_003));
    // A new command on the object ends the watch over the previous one.
    let next = c
        .start(
            command(t0 + Duration::from_secs(10), json!(false), json!(null)),
            3,
            &p,
            at(t0, 10_004),
        )
        .expect("sent");
    assert!(feed(&mut c, &answer(&sent, 10, false), at(t0, 10_005))
        .replies
        .is_empty());
    assert!(!c.terminates(TypeId::C_SC_NA_1, false));
    assert_eq!(
        feed(&mut c, &answer(&next, 7, false), at(t0, 10_006)).replies[0]
            .1
            .outcome,
        Outcome::Success
    );
}

#[test]
fn select_then_execute_sends_the_execute_once_after_the_positive_select() {
    let t0 = Instant::now();
    let mut c = commands();
    learn(&mut c, IecCommandKind::Double, true, t0);
    let p = point(IecCommandKind::Double, true);
    let select = c
        .start(command(t0, json!("on"), json!(null)), 1, &p, at(t0, 0))
        .expect("sent");
    assert_eq!(
        element(&select).1,
        Element::DoubleCommand(Dco::new(Dco::ON, Qu(0), true))
    );
    let out = feed(&mut c, &answer(&select, 7, false), at(t0, 10));
    let [execute] = out.send.as_slice() else {
        panic!("one execute: {out:?}")
    };
    assert_eq!(
        element(execute).1,
        Element::DoubleCommand(Dco::new(Dco::ON, Qu(0), false))
    );
    // The select's confirmation again is not taken for the execute's, nor sends it twice.
    let again = feed(&mut c, &answer(&select, 7, false), at(t0, 11));
    assert!(again.send.is_empty() && again.replies.is_empty());
    assert!(feed(&mut c, &answer(execute, 7, false), at(t0, 20))
        .replies
        .is_empty());
    // lib60870 mirrors the select (S/E = 1) in the termination.
    let out = feed(&mut c, &answer(&select, 10, false), at(t0, 30));
    assert_eq!(
        out.replies,
        vec![(1, FieldReply::success("C_DC_NA_1 select+execute"))]
    );
}

#[test]
fn the_select_param_overrides_the_configuration_both_ways() {
    let t0 = Instant::now();
    let mut c = commands();
    let direct = c
        .start(
            command(t0, json!(true), json!({"select": false})),
            1,
            &point(IecCommandKind::Single, true),
            at(t0, 0),
        )
        .expect("sent");
    assert_eq!(
        element(&direct).1,
        Element::SingleCommand(Sco::new(true, Qu(0), false))
    );
    let mut other = point(IecCommandKind::Single, false);
    other.ioa = 5002;
    let select = c
        .start(
            command(t0, json!(true), json!({"select": true})),
            2,
            &other,
            at(t0, 0),
        )
        .expect("sent");
    assert_eq!(
        element(&select).1,
        Element::SingleCommand(Sco::new(true, Qu(0), true))
    );
    assert_eq!(c.len(), 2);
}

#[test]
fn a_negative_select_fails_without_an_execute() {
    let t0 = Instant::now();
    let mut c = commands();
    let select = c
        .start(
            command(t0, json!("on"), json!(null)),
            1,
            &point(IecCommandKind::Single, true),
            at(t0, 0),
        )
        .expect("sent");
    let out = feed(&mut c, &answer(&select, 7, true), at(t0, 10));
    assert!(
        out.send.is_empty() && out.replies.is_empty(),
        "waits for the cause"
    );
    assert_eq!(
        c.next_deadline(),
        Some(t0 + Duration::from_millis(10) + TIMERS.cause)
    );
    assert!(c.on_timeout(at(t0, 500)).is_empty());
    let replies = c.on_timeout(at(t0, 1010));
    assert_eq!(
        replies,
        vec![(
            1,
            FieldReply::not_done(
                Outcome::Failed,
                "negative confirmation (P/N = 1) of the select"
            )
            .with_method("C_SC_NA_1 select+execute")
        )]
    );
    assert!(c.is_empty());
}

#[test]
fn a_negative_execute_names_cause_47_sent_after_it() {
    let t0 = Instant::now();
    let mut c = commands();
    let sent = c
        .start(
            command(t0, json!(21.5), json!(null)),
            1,
            &point(IecCommandKind::SetpointFloat, false),
            at(t0, 0),
        )
        .expect("sent");
    // lib60870: the negative ACTCON, then the ASDU again with cause 47.
    assert!(feed(&mut c, &answer(&sent, 7, true), at(t0, 1))
        .replies
        .is_empty());
    let out = feed(&mut c, &answer(&sent, 47, true), at(t0, 2));
    assert_eq!(
        out.replies,
        vec![(
            1,
            FieldReply::not_done(
                Outcome::Failed,
                "negative confirmation of the execute, cause 47 (unknown information object address)"
            )
            .with_method("C_SE_NC_1 direct")
        )]
    );
}

#[test]
fn a_cause_44_alone_answers_the_select() {
    let t0 = Instant::now();
    let mut c = commands();
    let sent = c
        .start(
            command(t0, json!("lower"), json!(null)),
            1,
            &point(IecCommandKind::Step, true),
            at(t0, 0),
        )
        .expect("sent");
    let out = feed(&mut c, &answer(&sent, 44, true), at(t0, 1));
    assert_eq!(
        out.replies[0].1.reason.as_deref(),
        Some("negative confirmation of the select, cause 44 (unknown type identification)")
    );
    assert!(out.send.is_empty());
}

#[test]
fn a_missing_confirmation_is_a_timeout_at_the_confirmation_timer() {
    let t0 = Instant::now();
    let mut c = commands();
    c.start(
        command(t0, json!(true), json!(null)),
        1,
        &point(IecCommandKind::Single, false),
        at(t0, 0),
    )
    .expect("sent");
    assert_eq!(c.next_deadline(), Some(t0 + TIMERS.confirmation));
    assert!(c.on_timeout(at(t0, 14_999)).is_empty());
    let replies = c.on_timeout(at(t0, 15_000));
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0].1.outcome, Outcome::Timeout);
    assert_eq!(
        replies[0].1.reason.as_deref(),
        Some("no confirmation (ACTCON) of the execute within 15s: whether the outstation carried it out is unknown")
    );
}

#[test]
fn a_missing_termination_fails_once_the_outstation_is_known_to_terminate() {
    let t0 = Instant::now();
    let mut c = commands();
    learn(&mut c, IecCommandKind::Single, false, t0);
    let sent = c
        .start(
            command(t0, json!(true), json!(null)),
            1,
            &point(IecCommandKind::Single, false),
            at(t0, 0),
        )
        .expect("sent");
    feed(&mut c, &answer(&sent, 7, false), at(t0, 100));
    assert!(c.on_timeout(at(t0, 10_099)).is_empty());
    let replies = c.on_timeout(at(t0, 10_100));
    assert_eq!(replies[0].1.outcome, Outcome::Failed);
    assert!(replies[0]
        .1
        .reason
        .as_deref()
        .unwrap_or_default()
        .starts_with(
            "no termination (ACTTERM) within 10s after the positive confirmation of the execute"
        ));
}

#[test]
fn a_termination_before_its_confirmation_is_ignored_and_a_negative_one_fails() {
    let t0 = Instant::now();
    let mut c = commands();
    learn(&mut c, IecCommandKind::Double, false, t0);
    let p = point(IecCommandKind::Double, false);
    let sent = c
        .start(command(t0, json!("on"), json!(null)), 1, &p, at(t0, 0))
        .expect("sent");
    assert!(feed(&mut c, &answer(&sent, 10, false), at(t0, 1))
        .replies
        .is_empty());
    feed(&mut c, &answer(&sent, 7, false), at(t0, 1));
    let out = feed(&mut c, &answer(&sent, 10, true), at(t0, 2));
    assert_eq!(
        out.replies,
        vec![(
            1,
            FieldReply::not_done(
                Outcome::Failed,
                "negative termination (ACTTERM with P/N = 1) of the execute"
            )
            .with_method("C_DC_NA_1 direct")
        )]
    );
}

#[test]
fn a_select_confirmed_after_the_deadline_is_not_executed() {
    let t0 = Instant::now();
    let mut c = commands();
    let mut cmd = command(t0, json!("on"), json!(null));
    cmd.deadline = t0 + Duration::from_millis(50);
    cmd.deadline_is_expiry = true;
    let select = c
        .start(cmd, 1, &point(IecCommandKind::Double, true), at(t0, 0))
        .expect("sent");
    let out = feed(&mut c, &answer(&select, 7, false), at(t0, 51));
    assert!(out.send.is_empty(), "no execute");
    assert_eq!(
        out.replies,
        vec![(
            1,
            FieldReply::not_done(Outcome::Expired, "selected, not executed: deadline passed")
                .with_method("C_DC_NA_1 select+execute")
        )]
    );
}

#[test]
fn a_command_past_its_deadline_is_not_sent() {
    let t0 = Instant::now();
    let mut cmd = command(t0, json!("on"), json!(null));
    cmd.deadline = t0;
    let (_, reply) = commands()
        .start(cmd, 1, &point(IecCommandKind::Double, true), at(t0, 1))
        .expect_err("not sent");
    assert_eq!(reply.outcome, Outcome::Timeout);
    assert_eq!(
        reply.reason.as_deref(),
        Some("not sent to the field: deadline passed")
    );
}

#[test]
fn a_second_command_to_the_same_object_is_refused_while_the_first_runs() {
    let t0 = Instant::now();
    let mut c = commands();
    let p = point(IecCommandKind::Single, false);
    c.start(command(t0, json!(true), json!(null)), 1, &p, at(t0, 0))
        .expect("sent");
    let (tag, reply) = c
        .start(command(t0, json!(false), json!(null)), 2, &p, at(t0, 1))
        .expect_err("refused");
    assert_eq!(tag, 2);
    assert_eq!(reply.outcome, Outcome::Refused);
    assert_eq!(
        reply.reason.as_deref(),
        Some("not sent: command \"c-1\" to this object (CA 1, IOA 5001) is still in progress")
    );
}

#[test]
fn answers_for_other_objects_types_or_test_asdus_are_ignored() {
    let t0 = Instant::now();
    let mut c = commands();
    let sent = c
        .start(
            command(t0, json!(true), json!(null)),
            1,
            &point(IecCommandKind::Single, false),
            at(t0, 0),
        )
        .expect("sent");
    let mut other = decode(&answer(&sent, 10, false));
    other.header.common_address = 2;
    let mut bytes = Vec::new();
    other.encode(&mut bytes).expect("encodes");
    assert!(feed(&mut c, &bytes, at(t0, 1)).replies.is_empty());
    let mut test = decode(&answer(&sent, 10, false));
    test.header.test = true;
    let mut bytes = Vec::new();
    test.encode(&mut bytes).expect("encodes");
    assert!(feed(&mut c, &bytes, at(t0, 1)).replies.is_empty());
    assert_eq!(c.len(), 1);
}

#[test]
fn a_lost_link_answers_each_command_by_what_it_waited_for() {
    let t0 = Instant::now();
    let mut c = commands();
    learn(&mut c, IecCommandKind::Single, false, t0);
    let mut points = (0..3).map(|i| {
        let mut p = point(IecCommandKind::Single, i == 0);
        p.ioa = 100 + i;
        p
    });
    let a = c
        .start(
            command(t0, json!(true), json!(null)),
            0,
            &points.next().unwrap(),
            at(t0, 0),
        )
        .expect("sent");
    let b = c
        .start(
            command(t0, json!(true), json!(null)),
            1,
            &points.next().unwrap(),
            at(t0, 0),
        )
        .expect("sent");
    c.start(
        command(t0, json!(true), json!(null)),
        2,
        &points.next().unwrap(),
        at(t0, 0),
    )
    .expect("sent");
    let _ = a;
    feed(&mut c, &answer(&b, 7, false), at(t0, 1));
    let mut replies = c.lost("the outstation closed the connection");
    replies.sort_by_key(|(tag, _)| *tag);
    let words: Vec<(u32, Outcome, String)> = replies
        .into_iter()
        .map(|(tag, r)| (tag, r.outcome, r.reason.unwrap_or_default()))
        .collect();
    assert_eq!(words[0].1, Outcome::Timeout);
    assert!(
        words[0].2.ends_with("of the select: nothing executed"),
        "{}",
        words[0].2
    );
    assert_eq!(words[1].1, Outcome::Failed);
    assert!(
        words[1].2.contains("before its termination (ACTTERM)"),
        "{}",
        words[1].2
    );
    assert_eq!(words[2].1, Outcome::Timeout);
    assert!(words[2]
        .2
        .contains("whether the outstation carried it out is unknown"));
    assert!(c.is_empty());
}

#[test]
fn a_time_tagged_command_carries_the_bridges_clock_in_utc() {
    let t0 = Instant::now();
    let mut c = commands();
    let p = tagged(IecCommandKind::SetpointScaled, true);
    let select = c
        .start(command(t0, json!(-5), json!(null)), 1, &p, at(t0, 0))
        .expect("sent");
    let (type_id, _, time) = element(&select);
    assert_eq!(type_id, TypeId::C_SE_TB_1);
    let Some(TimeTag::Cp56(tag)) = time else {
        panic!("a CP56Time2a: {time:?}")
    };
    // 2026-11-24T10:00:05.250Z, a Tuesday.
    assert_eq!(
        (
            tag.year,
            tag.month,
            tag.day,
            tag.hour,
            tag.minute,
            tag.millisecond,
            tag.day_of_week,
            tag.summer_time
        ),
        (26, 11, 24, 10, 0, 5250, 2, false)
    );
    let out = feed(&mut c, &answer(&select, 7, false), at(t0, 1000));
    let (_, _, time) = element(&out.send[0]);
    let Some(TimeTag::Cp56(tag)) = time else {
        panic!("a CP56Time2a")
    };
    assert_eq!(tag.millisecond, 6250, "the execute carries its own time");
}

#[test]
fn a_smaller_101_layout_is_used_and_an_address_it_cannot_carry_is_refused() {
    let t0 = Instant::now();
    let config = AsduConfig::new(CotLen::One, CaLen::One, IoaLen::Two);
    let mut c: Commands<u32> = Commands::new(config, 0, TIMERS);
    let mut p = point(IecCommandKind::Single, false);
    p.ioa = 70_000;
    let (_, reply) = c
        .start(command(t0, json!(true), json!(null)), 1, &p, at(t0, 0))
        .expect_err("refused");
    assert_eq!(reply.outcome, Outcome::Refused);
    assert!(reply
        .reason
        .unwrap_or_default()
        .starts_with("cannot encode C_SC_NA_1"));
    p.ioa = 500;
    let sent = c
        .start(command(t0, json!(true), json!(null)), 1, &p, at(t0, 0))
        .expect("sent");
    // type, VSQ, COT, CA, IOA (2), SCO.
    assert_eq!(sent, vec![45, 1, 6, 1, 0xF4, 0x01, 0x01]);
}

#[test]
fn a_time_tag_the_clock_cannot_give_is_refused_before_anything_is_sent() {
    let t0 = Instant::now();
    let mut c = commands();
    let p = tagged(IecCommandKind::Single, false);
    // A box that starts at 1970 until NTP sets it.
    let now = Now {
        instant: t0,
        utc_ms: 192_250,
    };
    let (_, reply) = c
        .start(command(t0, json!(true), json!(null)), 1, &p, now)
        .expect_err("refused");
    assert_eq!(reply.outcome, Outcome::Refused);
    assert_eq!(
        reply.reason.as_deref(),
        Some("the bridge's clock (1970-01-01T00:03:12.250Z) cannot be sent as a CP56Time2a time tag (2000 to 2099)")
    );
    assert!(c.is_empty());
}

#[test]
fn selecting_is_true_from_the_start_of_a_select_until_its_confirmation() {
    let t0 = Instant::now();
    let mut c = commands();
    let sbo = point(IecCommandKind::Double, true);
    let select = c
        .start(command(t0, json!("on"), json!(null)), 1, &sbo, at(t0, 0))
        .expect("sent");
    assert!(c.selecting(1, 5001));
    assert!(!c.selecting(1, 5002), "another object");
    let out = feed(&mut c, &answer(&select, 7, false), at(t0, 10));
    assert_eq!(out.send.len(), 1, "the execute");
    assert!(!c.selecting(1, 5001), "at its execute");

    let mut direct = commands();
    let p = point(IecCommandKind::Double, false);
    direct
        .start(command(t0, json!("on"), json!(null)), 2, &p, at(t0, 0))
        .expect("sent");
    assert!(!direct.selecting(1, 5001));
}
