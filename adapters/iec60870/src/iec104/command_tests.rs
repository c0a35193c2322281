//! Commands through the IEC 104 source against an outstation made of the codec's own
//! controlled-station link, on loopback: select before operate, a negative confirmation with
//! its cause, a command while offline, and a link lost mid-command.

use std::sync::Arc;
use std::time::{Duration, Instant as StdInstant};

use fieldbridge_core::command::{
    CommandRequest, CommandSender, CommandValue, FieldCommand, FieldReply, Outcome,
};
use fieldbridge_core::config::{
    Iec104Link, Iec104Source, IecCommand, IecCommandKind, IecMaster, IecPoint, PulseQualifier,
};
use fieldbridge_core::source::SourceStats;
use fieldbridge_iec60870::asdu::{Asdu, AsduConfig, Cot, Element, OwnedAsdu, TypeId};
use fieldbridge_iec60870::link104::{Event, Link104, Params, Role};
use fieldbridge_iec60870::types::{Dco, Qu};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::run;

/// How the outstation answers a command ASDU.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Answer {
    /// ACTCON, and ACTTERM after an execute.
    Confirm,
    /// A negative ACTCON, then the ASDU again with cause 47 (as lib60870 does).
    Unknown,
    /// Nothing: the connection is closed at once.
    Hangup,
}

fn source(port: u16, points: Vec<IecPoint>) -> Iec104Source {
    Iec104Source {
        addresses: vec![format!("127.0.0.1:{port}")],
        link: Iec104Link {
            t0: Duration::from_secs(1),
            t1: Duration::from_secs(2),
            t2: Duration::from_secs(1),
            ..Iec104Link::default()
        },
        master: IecMaster {
            common_address: 1,
            originator_address: 9,
            interrogation: None,
            counter_interrogation: None,
            clock_sync: false,
            device_time: Default::default(),
            only_listed: false,
            command_timeout: None,
            points,
        },
    }
}

fn command_point(name: &str, ioa: u32, kind: IecCommandKind, sbo: bool) -> IecPoint {
    IecPoint {
        name: name.into(),
        common_address: 1,
        ioa,
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

/// Sends one command for `point` to the source and returns where its reply comes.
async fn send(
    tx: &CommandSender,
    point: &str,
    value: CommandValue,
    within: Duration,
) -> oneshot::Receiver<FieldReply> {
    let (reply, rx) = oneshot::channel();
    let command = FieldCommand {
        id: Arc::from(format!("{point}-1")),
        point: Arc::from(point),
        value,
        params: Default::default(),
        deadline: Instant::now() + within,
        deadline_is_expiry: false,
    };
    tx.send(CommandRequest { command, reply })
        .await
        .expect("the source takes commands");
    rx
}

async fn reply(rx: oneshot::Receiver<FieldReply>) -> FieldReply {
    tokio::time::timeout(Duration::from_secs(10), rx)
        .await
        .expect("a reply within 10 s")
        .expect("a reply, not a dropped sender")
}

fn with_cause(bytes: &[u8], cot: u8, negative: bool) -> Vec<u8> {
    let mut asdu = OwnedAsdu::decode(bytes, &AsduConfig::IEC104).expect("decodes");
    asdu.header.cause = Cot(cot);
    asdu.header.negative = negative;
    let mut out = Vec::new();
    asdu.encode(&mut out).expect("encodes");
    out
}

/// A controlled station on one accepted connection: answers each interrogation with ACTCON and
/// ACTTERM and each command as `answer` says, for `stop_after`; returns the commands received.
async fn outstation(stream: TcpStream, answer: Answer, stop_after: Duration) -> Vec<OwnedAsdu> {
    let (mut rd, mut wr) = stream.into_split();
    let mut link =
        Link104::new(Role::Controlled, Params::default(), StdInstant::now()).expect("params");
    let mut commands = Vec::new();
    let mut buf = vec![0u8; 4096];
    let end = Instant::now() + stop_after;
    loop {
        while let Some(frame) = link.poll_transmit() {
            if wr.write_all(frame.as_bytes()).await.is_err() {
                return commands;
            }
        }
        tokio::select! {
            read = rd.read(&mut buf) => {
                let n = match read {
                    Ok(0) | Err(_) => return commands,
                    Ok(n) => n,
                };
                let mut asdus = Vec::new();
                link.on_bytes(buf.get(..n).unwrap_or_default(), StdInstant::now(), |e| {
                    if let Event::Received(a) = e {
                        asdus.push(a.to_vec());
                    }
                });
                for bytes in asdus {
                    let Ok(asdu) = Asdu::decode(&bytes, &AsduConfig::IEC104) else { continue };
                    let h = asdu.header;
                    let mut replies = Vec::new();
                    if h.type_id == TypeId::C_IC_NA_1 {
                        replies.push(with_cause(&bytes, 7, false));
                        replies.push(with_cause(&bytes, 10, false));
                    } else if (45..=64).contains(&h.type_id.0) {
                        let execute = !matches!(
                            asdu.objects().next().map(|o| o.element),
                            Some(Element::DoubleCommand(dco)) if dco.select()
                        );
                        commands.push(OwnedAsdu::decode(&bytes, &AsduConfig::IEC104).expect("decodes"));
                        match answer {
                            Answer::Confirm => {
                                replies.push(with_cause(&bytes, 7, false));
                                if execute {
                                    replies.push(with_cause(&bytes, 10, false));
                                }
                            }
                            Answer::Unknown => {
                                replies.push(with_cause(&bytes, 7, true));
                                replies.push(with_cause(&bytes, 47, true));
                            }
                            Answer::Hangup => return commands,
                        }
                    }
                    for r in replies {
                        let _ = link.send_asdu(&r, StdInstant::now());
                    }
                }
            }
            _ = tokio::time::sleep_until(end) => return commands,
        }
    }
}

/// Starts the source on a fresh listener with `points`; returns the command queue, the
/// listener and the task.
async fn start(points: Vec<IecPoint>) -> (CommandSender, TcpListener, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let (tx, mut events) = fieldbridge_core::event::channel(64);
    // Readings and states are not what these tests look at.
    tokio::spawn(async move { while events.recv().await.is_some() {} });
    let (commands, rx) = fieldbridge_core::command::channel();
    let task = tokio::spawn(run(
        "d".into(),
        source(port, points),
        tx,
        Arc::new(SourceStats::new()),
        rx,
    ));
    (commands, listener, task)
}

#[tokio::test]
async fn a_select_before_operate_double_command_sends_one_select_and_one_execute() {
    let (commands, listener, task) = start(vec![command_point(
        "breaker",
        5001,
        IecCommandKind::Double,
        true,
    )])
    .await;
    let (stream, _) = listener.accept().await.expect("accept");
    let station = tokio::spawn(outstation(stream, Answer::Confirm, Duration::from_secs(2)));
    let rx = send(
        &commands,
        "breaker",
        CommandValue::String("on".into()),
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(
        reply(rx).await,
        FieldReply::success("C_DC_NA_1 select+execute")
    );
    task.abort();
    let received = station.await.expect("outstation");
    let steps: Vec<(u8, u16, u32, Element)> = received
        .iter()
        .map(|a| {
            let o = a.objects()[0];
            (
                a.header.cause.0,
                a.header.originator.into(),
                o.address,
                o.element,
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            (
                6,
                9,
                5001,
                Element::DoubleCommand(Dco::new(Dco::ON, Qu(0), true))
            ),
            (
                6,
                9,
                5001,
                Element::DoubleCommand(Dco::new(Dco::ON, Qu(0), false))
            ),
        ],
        "one select, one execute"
    );
}

#[tokio::test]
async fn an_unknown_object_is_named_in_the_failure() {
    let (commands, listener, task) = start(vec![command_point(
        "bogus",
        999_999,
        IecCommandKind::SetpointFloat,
        false,
    )])
    .await;
    let (stream, _) = listener.accept().await.expect("accept");
    let station = tokio::spawn(outstation(stream, Answer::Unknown, Duration::from_secs(2)));
    let rx = send(
        &commands,
        "bogus",
        CommandValue::Number(21.into()),
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(
        reply(rx).await,
        FieldReply::not_done(
            Outcome::Failed,
            "negative confirmation of the execute, cause 47 (unknown information object address)"
        )
        .with_method("C_SE_NC_1 direct")
    );
    task.abort();
    assert_eq!(station.await.expect("outstation").len(), 1, "sent once");
}

#[tokio::test]
async fn a_command_while_offline_waits_then_times_out_without_blocking_the_source() {
    // Nobody listens on the port.
    let (commands, listener, task) = start(vec![command_point(
        "breaker",
        5001,
        IecCommandKind::Single,
        false,
    )])
    .await;
    drop(listener);
    let first = send(
        &commands,
        "breaker",
        CommandValue::Bool(true),
        Duration::from_millis(300),
    )
    .await;
    let second = send(
        &commands,
        "breaker",
        CommandValue::Bool(false),
        Duration::from_millis(600),
    )
    .await;
    let a = reply(first).await;
    assert_eq!(a.outcome, Outcome::Timeout);
    let reason = a.reason.unwrap_or_default();
    assert!(
        reason.starts_with("not sent to the field: no connection to the outstation ("),
        "{reason}"
    );
    assert!(reason.ends_with("before the deadline"), "{reason}");
    assert_eq!(reply(second).await.outcome, Outcome::Timeout);
    task.abort();
}

#[tokio::test]
async fn commands_beyond_the_waiting_bound_are_refused_at_once_while_offline() {
    let (commands, listener, task) = start(vec![command_point(
        "breaker",
        5001,
        IecCommandKind::Single,
        false,
    )])
    .await;
    drop(listener);
    let mut waiting = Vec::new();
    for _ in 0..crate::command::MAX_WAITING {
        waiting.push(
            send(
                &commands,
                "breaker",
                CommandValue::Bool(true),
                Duration::from_secs(60),
            )
            .await,
        );
    }
    let one_more = send(
        &commands,
        "breaker",
        CommandValue::Bool(true),
        Duration::from_secs(60),
    )
    .await;
    let refused = reply(one_more).await;
    assert_eq!(refused.outcome, Outcome::Refused);
    assert_eq!(
        refused.reason.as_deref(),
        Some("not sent: too many commands waiting for this device")
    );
    // The ones that wait are still waiting (their deadline is a minute away).
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut first = waiting.remove(0);
    assert_eq!(
        first.try_recv(),
        Err(oneshot::error::TryRecvError::Empty),
        "answered too early"
    );
    task.abort();
}

#[tokio::test]
async fn a_command_waiting_for_the_connection_is_sent_once_it_is_up() {
    let (commands, listener, task) = start(vec![command_point(
        "breaker",
        5001,
        IecCommandKind::Double,
        false,
    )])
    .await;
    // The command arrives before the outstation accepts the connection.
    let rx = send(
        &commands,
        "breaker",
        CommandValue::Bool(false),
        Duration::from_secs(5),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (stream, _) = listener.accept().await.expect("accept");
    let station = tokio::spawn(outstation(stream, Answer::Confirm, Duration::from_secs(2)));
    assert_eq!(reply(rx).await, FieldReply::success("C_DC_NA_1 direct"));
    task.abort();
    assert_eq!(station.await.expect("outstation").len(), 1);
}

#[tokio::test]
async fn a_link_lost_before_the_confirmation_is_a_timeout_whose_effect_is_unknown() {
    let (commands, listener, task) = start(vec![command_point(
        "breaker",
        5001,
        IecCommandKind::Double,
        false,
    )])
    .await;
    let (stream, _) = listener.accept().await.expect("accept");
    let station = tokio::spawn(outstation(stream, Answer::Hangup, Duration::from_secs(2)));
    let rx = send(
        &commands,
        "breaker",
        CommandValue::Bool(true),
        Duration::from_secs(5),
    )
    .await;
    let answer = reply(rx).await;
    assert_eq!(answer.outcome, Outcome::Timeout);
    assert_eq!(
        answer.reason.as_deref(),
        Some("connection lost (the outstation closed the connection) before the confirmation (ACTCON) of the execute: whether the outstation carried it out is unknown")
    );
    assert_eq!(answer.method.as_deref(), Some("C_DC_NA_1 direct"));
    task.abort();
    assert_eq!(
        station.await.expect("outstation").len(),
        1,
        "never sent again"
    );
}

#[tokio::test]
async fn a_value_the_type_cannot_carry_is_refused_without_reaching_the_outstation() {
    let (commands, listener, task) = start(vec![command_point(
        "breaker",
        5001,
        IecCommandKind::Double,
        false,
    )])
    .await;
    let (stream, _) = listener.accept().await.expect("accept");
    let station = tokio::spawn(outstation(stream, Answer::Confirm, Duration::from_secs(1)));
    let rx = send(
        &commands,
        "breaker",
        CommandValue::Number(1.into()),
        Duration::from_secs(5),
    )
    .await;
    let answer = reply(rx).await;
    assert_eq!(answer.outcome, Outcome::Refused);
    assert!(answer
        .reason
        .unwrap_or_default()
        .contains("a number is ambiguous"));
    let received = station.await.expect("outstation");
    task.abort();
    assert!(
        received.is_empty(),
        "nothing reached the field: {received:?}"
    );
}
