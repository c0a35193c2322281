//! The router against a scripted source: every outcome, repeats, restarts.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::*;
use crate::config::CommandsConfig;
use crate::publisher::{DirectMessage, IncomingCommand};
use crate::topic::Topics;

fn devices(sender: Option<CommandSender>) -> HashMap<Arc<str>, RouterDevice> {
    let points = [("sp", true), ("ro", false)]
        .into_iter()
        .map(|(n, writable)| {
            (
                Arc::from(n),
                PointPolicy {
                    writable,
                    timeout: None,
                },
            )
        })
        .collect();
    HashMap::from([(
        Arc::from("plc"),
        RouterDevice {
            protocol: "modbus-tcp",
            points,
            timeout: None,
            params: &[],
            sender,
        },
    )])
}

fn message(topic: &str, payload: &str) -> IncomingCommand {
    IncomingCommand {
        topic: format!("fb/site/{topic}"),
        payload: payload.as_bytes().to_vec(),
        retained: false,
        message_expiry: None,
        received: Instant::now(),
        ack: None,
    }
}

struct Harness {
    incoming: mpsc::UnboundedSender<IncomingCommand>,
    results: mpsc::Receiver<DirectMessage>,
    _stop: tokio::sync::oneshot::Sender<()>,
    stats: Arc<CommandStats>,
    task: tokio::task::JoinHandle<()>,
    updates: RouterUpdates,
}

fn start(dir: &std::path::Path, sender: Option<CommandSender>) -> Harness {
    let topics = Topics::new("fb", "site", "gw");
    let mut router =
        CommandRouter::open(&topics, &CommandsConfig::default(), dir, devices(sender)).unwrap();
    assert_eq!(router.filter(), "fb/site/+/+/set");
    let stats = router.stats();
    let updates = router.updates();
    let (incoming, in_rx) = mpsc::unbounded_channel();
    let (res_tx, results) = mpsc::channel(16);
    let (stop, stop_rx) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(router.run(in_rx, res_tx, stop_rx));
    Harness {
        incoming,
        results,
        _stop: stop,
        stats,
        task,
        updates,
    }
}

impl Harness {
    async fn result(&mut self) -> (String, serde_json::Value) {
        let m = tokio::time::timeout(Duration::from_secs(5), self.results.recv())
            .await
            .expect("a result in time")
            .expect("router running");
        (m.topic, serde_json::from_slice(&m.payload).unwrap())
    }

    async fn stop(self) {
        drop(self.incoming);
        self.task.await.unwrap();
    }
}

/// A source that answers every command with `reply` and counts what it executed.
fn source(reply: FieldReply) -> (CommandSender, Arc<std::sync::atomic::AtomicU32>) {
    let (tx, mut rx) = channel();
    let executed = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let count = executed.clone();
    tokio::spawn(async move {
        while let Some(req) = rx.recv().await {
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(50)).await;
            let _ = req.reply.send(reply.clone());
        }
    });
    (tx, executed)
}

#[tokio::test]
async fn a_command_is_executed_once_and_every_repeat_gets_the_same_result() {
    let dir = tempfile::tempdir().unwrap();
    let (tx, executed) = source(FieldReply::success("fc16"));
    let mut h = start(dir.path(), Some(tx));
    let cmd = r#"{"id":"c1","value":4.5}"#;
    h.incoming.send(message("plc/sp/set", cmd)).unwrap();
    // The repeat arrives while the first is executing.
    h.incoming.send(message("plc/sp/set", cmd)).unwrap();
    let (topic, first) = h.result().await;
    let (_, second) = h.result().await;
    assert_eq!(topic, "fb/site/plc/sp/set/result");
    assert_eq!(first["id"], "c1");
    assert_eq!(first["outcome"], "success");
    assert_eq!(first["method"], "fc16");
    assert_eq!(first["value"], 4.5);
    assert!(first.get("reason").is_none());
    assert_eq!(first, second);
    // A repeat after completion, then one after a restart of the bridge.
    h.incoming.send(message("plc/sp/set", cmd)).unwrap();
    assert_eq!(h.result().await.1, first);
    assert_eq!(h.stats.outcomes(Outcome::Success), 1);
    assert_eq!(
        h.stats.repeats.load(std::sync::atomic::Ordering::Relaxed),
        2
    );
    h.stop().await;
    let (tx, executed_after) = source(FieldReply::success("fc16"));
    let mut h = start(dir.path(), Some(tx));
    h.incoming.send(message("plc/sp/set", cmd)).unwrap();
    assert_eq!(h.result().await.1, first);
    h.stop().await;
    assert_eq!(executed.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert_eq!(executed_after.load(std::sync::atomic::Ordering::SeqCst), 0);
}

#[tokio::test]
async fn what_the_configuration_does_not_allow_is_refused_and_never_reaches_the_source() {
    let dir = tempfile::tempdir().unwrap();
    let (tx, executed) = source(FieldReply::success("fc6"));
    let mut h = start(dir.path(), Some(tx));
    let cases = [
        ("plc/ro/set", r#"{"id":"a","value":1}"#, "not writable"),
        ("plc/nope/set", r#"{"id":"b","value":1}"#, "unknown point"),
        ("other/sp/set", r#"{"id":"c","value":1}"#, "unknown device"),
        ("plc/sp/set", r#"{"value":1}"#, "missing id"),
        ("plc/sp/set", "{oops", "malformed JSON"),
    ];
    for (topic, payload, reason) in cases {
        h.incoming.send(message(topic, payload)).unwrap();
        let (_, r) = h.result().await;
        assert_eq!(r["outcome"], "refused", "{topic} {payload}");
        assert!(
            r["reason"].as_str().unwrap().contains(reason),
            "{topic} {payload}: {r}"
        );
    }
    h.stop().await;
    assert_eq!(executed.load(std::sync::atomic::Ordering::SeqCst), 0);
}

#[tokio::test]
async fn stale_commands_are_expired_and_never_reach_the_source() {
    let dir = tempfile::tempdir().unwrap();
    let (tx, executed) = source(FieldReply::success("fc6"));
    let mut h = start(dir.path(), Some(tx));
    h.incoming
        .send(message(
            "plc/sp/set",
            r#"{"id":"old","value":1,"expires":"2020-01-01T00:00:00Z"}"#,
        ))
        .unwrap();
    let (_, r) = h.result().await;
    assert_eq!(
        (r["outcome"].as_str(), r["id"].as_str()),
        (Some("expired"), Some("old"))
    );
    let mut retained = message("plc/sp/set", r#"{"id":"kept","value":1}"#);
    retained.retained = true;
    h.incoming.send(retained).unwrap();
    let (_, r) = h.result().await;
    assert_eq!(r["outcome"], "expired");
    assert!(r["reason"].as_str().unwrap().contains("retained"));
    h.stop().await;
    assert_eq!(executed.load(std::sync::atomic::Ordering::SeqCst), 0);
}

#[tokio::test]
async fn the_deadline_handed_to_the_source_is_the_senders_when_it_is_earlier() {
    let dir = tempfile::tempdir().unwrap();
    let (tx, mut rx) = channel();
    let mut h = start(dir.path(), Some(tx));
    let expires = crate::time::Timestamp::from_unix_millis(
        crate::time::Timestamp::now().unix_millis() + 2_000,
    )
    .unwrap();
    let payload = format!(
        r#"{{"id":"soon","value":true,"expires":"{}"}}"#,
        expires.to_rfc3339_millis()
    );
    h.incoming.send(message("plc/sp/set", &payload)).unwrap();
    let req = rx.recv().await.unwrap();
    assert!(req.command.deadline_is_expiry);
    let left = req.command.deadline - Instant::now();
    assert!(
        left > Duration::from_millis(1_000) && left <= Duration::from_millis(2_000),
        "{left:?}"
    );
    assert_eq!(req.command.value, CommandValue::Bool(true));
    h.incoming
        .send(message("plc/sp/set", r#"{"id":"plain","value":true}"#))
        .unwrap();
    let plain = rx.recv().await.unwrap();
    assert!(!plain.command.deadline_is_expiry);
    let left = plain.command.deadline - Instant::now();
    assert!(left > Duration::from_secs(9), "{left:?}");
    // A source that drops a command unanswered still yields exactly one result.
    drop(req);
    let (_, r) = h.result().await;
    assert_eq!(
        (r["id"].as_str(), r["outcome"].as_str()),
        (Some("soon"), Some("failed"))
    );
    let _ = plain
        .reply
        .send(FieldReply::not_done(Outcome::Timeout, "no answer"));
    let (_, r) = h.result().await;
    assert_eq!(r["outcome"], "timeout");
    h.stop().await;
}

#[tokio::test]
async fn a_command_cut_off_by_a_stop_is_answered_failed_and_not_executed_again() {
    let dir = tempfile::tempdir().unwrap();
    {
        // A source that never answers, and a router dropped mid-command (as by a crash).
        let (tx, mut rx) = channel();
        let mut h = start(dir.path(), Some(tx));
        h.incoming
            .send(message("plc/sp/set", r#"{"id":"cut","value":1}"#))
            .unwrap();
        let req = rx.recv().await.unwrap();
        h.task.abort();
        let _ = h.results.try_recv();
        std::mem::forget(req);
    }
    let (tx, executed) = source(FieldReply::success("fc6"));
    let mut h = start(dir.path(), Some(tx));
    // Its result is published at once, and a repeat gets the same.
    let (topic, r) = h.result().await;
    assert_eq!(topic, "fb/site/plc/sp/set/result");
    assert_eq!(
        (r["id"].as_str(), r["outcome"].as_str()),
        (Some("cut"), Some("failed"))
    );
    assert!(r["reason"].as_str().unwrap().contains("interrupted"), "{r}");
    h.incoming
        .send(message("plc/sp/set", r#"{"id":"cut","value":1}"#))
        .unwrap();
    assert_eq!(h.result().await.1, r);
    h.stop().await;
    assert_eq!(executed.load(std::sync::atomic::Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_device_without_a_command_driver_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = start(dir.path(), None);
    h.incoming
        .send(message("plc/sp/set", r#"{"id":"x","value":1}"#))
        .unwrap();
    let (_, r) = h.result().await;
    assert_eq!(r["outcome"], "refused");
    assert!(
        r["reason"].as_str().unwrap().contains("not supported"),
        "{r}"
    );
    h.stop().await;
}

#[tokio::test]
async fn pubacks_follow_their_results_in_arrival_order_and_slow_ones_are_not_held() {
    let dir = tempfile::tempdir().unwrap();
    let (tx, mut rx) = channel();
    let mut h = start(dir.path(), Some(tx));
    let with_ack = |topic: &str, payload: &str, pkid: u16| {
        let mut m = message(topic, payload);
        m.ack = Some(crate::publisher::CommandAck { epoch: 1, pkid });
        m
    };
    let next = |h: &mut Harness| {
        let m = h.results.try_recv().expect("a message");
        (
            m.topic.rsplit('/').nth(2).unwrap_or("").to_owned(),
            m.ack.map(|a| a.pkid),
        )
    };
    h.incoming
        .send(with_ack("plc/sp/set", r#"{"id":"a","value":1}"#, 1))
        .unwrap();
    h.incoming
        .send(with_ack("plc/sp/set", r#"{"id":"b","value":2}"#, 2))
        .unwrap();
    h.incoming.send(with_ack("not/a/command", "x", 3)).unwrap();
    let a = rx.recv().await.unwrap();
    let b = rx.recv().await.unwrap();
    // b completes first: its result goes at once, its PUBACK waits for a's.
    let _ = b.reply.send(FieldReply::success("fc6"));
    let first = h.results.recv().await.unwrap();
    assert_eq!(
        (first.ack, first.topic.ends_with("/set/result")),
        (None, true)
    );
    let _ = a.reply.send(FieldReply::success("fc6"));
    let result_a = h.results.recv().await.unwrap();
    assert_eq!(
        result_a.ack.map(|a| a.pkid),
        Some(1),
        "a's PUBACK rides on a's result"
    );
    tokio::time::sleep(Duration::from_millis(20)).await;
    // Then b's and the non-command's, in arrival order, as PUBACK-only messages.
    assert_eq!(next(&mut h), (String::new(), Some(2)));
    assert_eq!(next(&mut h), (String::new(), Some(3)));
    // A command whose device is slow has its PUBACK sent after ACK_WITHIN, before its result.
    h.incoming
        .send(with_ack("plc/sp/set", r#"{"id":"slow","value":3}"#, 4))
        .unwrap();
    let slow = rx.recv().await.unwrap();
    tokio::time::sleep(super::acks::ACK_WITHIN * 2).await;
    assert_eq!(next(&mut h), (String::new(), Some(4)));
    let _ = slow.reply.send(FieldReply::success("fc6"));
    let result = h.results.recv().await.unwrap();
    assert_eq!(result.ack, None);
    h.stop().await;
}

#[tokio::test]
async fn params_reach_the_source_only_when_its_driver_names_them_and_timeouts_nest() {
    let dir = tempfile::tempdir().unwrap();
    let (tx, mut rx) = channel();
    let policy = |timeout| PointPolicy {
        writable: true,
        timeout,
    };
    let points = HashMap::from([
        (Arc::from("own"), policy(Some(Duration::from_millis(300)))),
        (Arc::from("inherits"), policy(None)),
    ]);
    let devices = HashMap::from([(
        Arc::from("rtu"),
        RouterDevice {
            protocol: "iec104",
            points,
            timeout: Some(Duration::from_secs(2)),
            params: &["qualifier", "select"],
            sender: Some(tx),
        },
    )]);
    let topics = Topics::new("fb", "site", "gw");
    let mut router =
        CommandRouter::open(&topics, &CommandsConfig::default(), dir.path(), devices).unwrap();
    let updates = router.updates();
    let (incoming, in_rx) = mpsc::unbounded_channel();
    let (res_tx, results) = mpsc::channel(16);
    let (stop, stop_rx) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(router.run(in_rx, res_tx, stop_rx));
    let mut h = Harness {
        incoming,
        results,
        _stop: stop,
        stats: Arc::new(CommandStats::default()),
        task,
        updates,
    };
    // An unknown parameter is refused by the router, naming what the protocol takes.
    h.incoming
        .send(message(
            "rtu/own/set",
            r#"{"id":"a","value":true,"params":{"qualifer":"long-pulse"}}"#,
        ))
        .unwrap();
    let (_, refused) = h.result().await;
    assert_eq!(refused["outcome"], "refused");
    assert_eq!(
        refused["reason"],
        "unknown parameter \"qualifer\" (a iec104 command takes qualifier, select)"
    );
    // Known ones reach the source with the value; the point's timeout bounds the deadline.
    let sent = Instant::now();
    h.incoming
        .send(message(
            "rtu/own/set",
            r#"{"id":"b","value":true,"params":{"qualifier":"long-pulse"}}"#,
        ))
        .unwrap();
    let req = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(req.command.params["qualifier"], "long-pulse");
    assert!(req.command.deadline <= sent + Duration::from_millis(300) + Duration::from_millis(50));
    let _ = req.reply.send(FieldReply::success("c_sc_na_1"));
    assert_eq!(h.result().await.1["outcome"], "success");
    // A point without its own timeout takes its source's; a command without a value is passed on.
    let sent = Instant::now();
    h.incoming
        .send(message("rtu/inherits/set", r#"{"id":"c"}"#))
        .unwrap();
    let req = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(req.command.value, CommandValue::None);
    let left = req.command.deadline - sent;
    assert!(
        left > Duration::from_millis(1500) && left <= Duration::from_millis(2050),
        "{left:?}"
    );
    let late = req
        .command
        .check_deadline(
            req.command.deadline + Duration::from_millis(1),
            "selected, not executed",
        )
        .unwrap_err();
    assert_eq!(late.outcome, Outcome::Timeout);
    assert_eq!(
        late.reason.as_deref(),
        Some("selected, not executed: deadline passed")
    );
    let _ = req.reply.send(late);
    assert_eq!(h.result().await.1["outcome"], "timeout");
    h.stop().await;
}

/// "Now" as a box whose wall clock reads `unix_ms` would read it.
fn now_at(unix_ms: i64) -> crate::clock::Now {
    crate::clock::Now {
        wall: crate::time::Timestamp::from_unix_millis(unix_ms).unwrap(),
        mono: Instant::now(),
    }
}

/// The floor of `crate::clock` plus a day: a wall clock that is set.
fn set_clock_ms() -> i64 {
    crate::clock::floor().unix_millis() + 86_400_000
}

fn with_expires(id: &str, unix_ms: i64) -> (IncomingCommand, Option<crate::time::Timestamp>) {
    let expires = crate::time::Timestamp::from_unix_millis(unix_ms).unwrap();
    let payload = format!(
        r#"{{"id":"{id}","value":1,"expires":"{}"}}"#,
        expires.to_rfc3339_millis()
    );
    (message("plc/sp/set", &payload), Some(expires))
}

#[tokio::test]
async fn while_the_clock_is_not_set_a_command_with_expires_is_refused_and_one_without_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let topics = Topics::new("fb", "site", "gw");
    let router = CommandRouter::open(
        &topics,
        &CommandsConfig::default(),
        dir.path(),
        devices(None),
    )
    .unwrap();
    let at_1970 = now_at(12_345);
    // Whatever its expires: at 1970 even a stale one would look like the far future.
    for expires_ms in [set_clock_ms(), 1_000, 60_000] {
        let (m, expires) = with_expires("e", expires_ms);
        let reply = router.stale(&m, expires, at_1970).unwrap();
        assert_eq!(reply.outcome, Outcome::Refused);
        let reason = reply.reason.unwrap();
        assert!(
            reason.starts_with("the bridge's clock is not set"),
            "{reason}"
        );
        assert!(reason.contains("1970-01-01T00:00:12.345Z"), "{reason}");
    }
    let plain = message("plc/sp/set", r#"{"id":"p","value":1}"#);
    assert_eq!(router.stale(&plain, None, at_1970), None);
    // Once the clock is set, expires is judged as usual.
    let set = now_at(set_clock_ms());
    let (m, expires) = with_expires("late", set_clock_ms() - 1);
    assert_eq!(
        router.stale(&m, expires, set).map(|r| r.outcome),
        Some(Outcome::Expired)
    );
    let (m, expires) = with_expires("fine", set_clock_ms() + 5_000);
    assert_eq!(router.stale(&m, expires, set), None);
}

#[test]
fn expires_becomes_a_monotonic_deadline_once_at_arrival() {
    let timeout = Duration::from_secs(10);
    let now = now_at(set_clock_ms());
    let mut m = message("plc/sp/set", "{}");
    m.received = now.mono;
    // Five seconds ahead by the wall clock read at arrival: five seconds on the monotonic clock.
    let (_, expires) = with_expires("a", set_clock_ms() + 5_000);
    assert_eq!(
        router::deadline(&m, expires, timeout, now),
        (now.mono + Duration::from_secs(5), true)
    );
    // Later than the command timeout: the timeout, counted from arrival, is the deadline.
    let (_, expires) = with_expires("b", set_clock_ms() + 60_000);
    assert_eq!(
        router::deadline(&m, expires, timeout, now),
        (now.mono + timeout, false)
    );
    assert_eq!(
        router::deadline(&m, None, timeout, now),
        (now.mono + timeout, false)
    );
    // The MQTT 5 message expiry is relative: it never needed the wall clock.
    m.message_expiry = Some(3);
    assert_eq!(
        router::deadline(&m, None, timeout, now),
        (now.mono + Duration::from_secs(3), true)
    );
    // A FieldCommand holds only the instant: what the wall clock does after arrival (a jump of a
    // day forward, say) cannot move it; only the monotonic clock is compared with it.
    let command = FieldCommand {
        id: "a".into(),
        point: "sp".into(),
        value: CommandValue::None,
        params: Default::default(),
        deadline: now.mono + Duration::from_secs(5),
        deadline_is_expiry: true,
    };
    assert!(command
        .check_deadline(now.mono + Duration::from_secs(4), "x")
        .is_ok());
    assert!(command
        .check_deadline(now.mono + Duration::from_secs(6), "x")
        .is_err());
}

/// A source that answers every command with its own name as the method.
fn named_source(name: &'static str) -> CommandSender {
    let (tx, mut rx) = channel();
    tokio::spawn(async move {
        while let Some(req) = rx.recv().await {
            let _ = req.reply.send(FieldReply::success(name));
        }
    });
    tx
}

#[tokio::test]
async fn a_reloaded_table_is_used_for_every_later_command() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = start(dir.path(), Some(named_source("old queue")));
    h.incoming
        .send(message("plc/sp/set", r#"{"id":"1","value":1}"#))
        .unwrap();
    assert_eq!(h.result().await.1["method"], "old queue");

    // The reload: plc was restarted with a fresh queue and "ro" became writable; "meter" is new.
    let mut table = devices(Some(named_source("fresh queue")));
    if let Some(plc) = table.get_mut("plc") {
        plc.points.insert(
            Arc::from("ro"),
            PointPolicy {
                writable: true,
                timeout: None,
            },
        );
    }
    let meter = RouterDevice {
        protocol: "dlms",
        points: HashMap::from([(
            Arc::from("disconnect"),
            PointPolicy {
                writable: true,
                timeout: None,
            },
        )]),
        timeout: None,
        params: &[],
        sender: Some(named_source("meter queue")),
    };
    table.insert(Arc::from("meter"), meter);
    assert!(h.updates.replace(table, Duration::from_secs(3)).await);
    for (topic, id, method) in [
        ("plc/sp/set", "2", "fresh queue"),
        ("plc/ro/set", "3", "fresh queue"),
        ("meter/disconnect/set", "4", "meter queue"),
    ] {
        h.incoming
            .send(message(topic, &format!(r#"{{"id":"{id}","value":1}}"#)))
            .unwrap();
        let (_, r) = h.result().await;
        assert_eq!(
            (r["outcome"].as_str(), r["method"].as_str()),
            (Some("success"), Some(method)),
            "{topic}: {r}"
        );
    }

    // The next reload removes plc: its commands are refused as for any unknown device.
    let only_meter: HashMap<_, _> = HashMap::from([(
        Arc::from("meter"),
        RouterDevice {
            protocol: "dlms",
            points: HashMap::new(),
            timeout: None,
            params: &[],
            sender: None,
        },
    )]);
    assert!(h.updates.replace(only_meter, Duration::from_secs(3)).await);
    h.incoming
        .send(message("plc/sp/set", r#"{"id":"5","value":1}"#))
        .unwrap();
    let (_, r) = h.result().await;
    assert_eq!(r["outcome"], "refused");
    assert!(
        r["reason"]
            .as_str()
            .unwrap()
            .contains("unknown device \"plc\""),
        "{r}"
    );
    let updates = h.updates.clone();
    h.stop().await;
    // A stopped router takes no table, and says so at once.
    assert!(
        !updates
            .replace(HashMap::new(), Duration::from_secs(1))
            .await
    );
}
