//! Commands through the Modbus source against the in-repo simulator (`fieldbridge_sim`). What landed
//! on the device is read back with tokio-modbus directly, not through the source.

mod support;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use fieldbridge_core::command::{CommandRequest, CommandValue, FieldCommand, FieldReply, Outcome};
use fieldbridge_core::config::{ModbusPoint, ModbusType, WordOrder};
use fieldbridge_core::event::SourceEvent;
use fieldbridge_core::point::{ModbusTable, QualityLevel, Value};
use fieldbridge_sim::{ModbusSim, SimConfig, UnitIds};
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::oneshot;
use tokio::time::Instant;

use support::*;

#[tokio::test]
async fn an_f32_cdab_write_lands_as_two_registers_and_is_published_at_once() {
    let (_sim, addr, _server) = sim().await;
    let mut level = point(
        "level",
        ModbusTable::Holding,
        SCRATCH,
        None,
        ModbusType::F32,
    );
    level.word_order = WordOrder::Cdab;
    level.scale = 0.1;
    level.min = Some(0.0);
    level.max = Some(12.0);
    let mut s = start(source(addr, vec![level]));
    s.online().await;
    assert_eq!(
        s.reading("level", Duration::from_secs(2)).await,
        (Value::Float(0.0), QualityLevel::Good)
    );

    let reply = s.command("level", number(10.25)).await;
    assert_eq!(reply, FieldReply::success("fc16"));
    // 10.25 at a scale of 0.1 is raw 102.5 = 0x42CD0000; cdab puts the low word first.
    assert_eq!(holding(addr, SCRATCH, 2).await, [0x0000, 0x42CD]);
    // Published from the read back, long before the next poll (60 s).
    assert_eq!(
        s.reading("level", Duration::from_secs(1)).await,
        (Value::Float(10.25), QualityLevel::Good)
    );

    let refused = s.command("level", number(12.5)).await;
    assert_eq!(refused.outcome, Outcome::Refused);
    assert_eq!(
        refused.reason.as_deref(),
        Some("value 12.5 is above the maximum 12 configured for this f32 point")
    );
    let refused = s.command("level", CommandValue::Bool(true)).await;
    assert_eq!(refused.outcome, Outcome::Refused);
    assert_eq!(
        holding(addr, SCRATCH, 2).await,
        [0x0000, 0x42CD],
        "nothing sent"
    );
    let stats = s.stats.snapshot();
    assert_eq!((stats.writes, stats.write_failures), (1, 0));
}

#[tokio::test]
async fn coils_and_registers_use_single_writes_unless_write_multiple() {
    let (sim, addr, _server) = sim().await;
    let points = || {
        vec![
            point(
                "run",
                ModbusTable::Coil,
                COIL_SCRATCH,
                None,
                ModbusType::Bool,
            ),
            point(
                "speed",
                ModbusTable::Holding,
                SCRATCH + 10,
                None,
                ModbusType::I16,
            ),
            point(
                "total",
                ModbusTable::Holding,
                SCRATCH + 12,
                None,
                ModbusType::U64,
            ),
            point(
                "label",
                ModbusTable::Holding,
                SCRATCH + 20,
                None,
                ModbusType::String(5),
            ),
        ]
    };
    let s = start(source(addr, points()));
    assert_eq!(
        s.command("run", CommandValue::Bool(true)).await,
        FieldReply::success("fc5")
    );
    assert_eq!(coils(addr, COIL_SCRATCH, 1).await, [true]);
    assert_eq!(
        s.command("speed", int(-300)).await,
        FieldReply::success("fc6")
    );
    assert_eq!(holding(addr, SCRATCH + 10, 1).await, [(-300i16) as u16]);
    assert_eq!(
        s.command("total", CommandValue::Number(u64::MAX.into()))
            .await,
        FieldReply::success("fc16")
    );
    assert_eq!(holding(addr, SCRATCH + 12, 4).await, [0xFFFF; 4]);
    assert_eq!(
        s.command("label", CommandValue::String("AB".into())).await,
        FieldReply::success("fc16")
    );
    assert_eq!(holding(addr, SCRATCH + 20, 3).await, [0x4142, 0, 0]);
    drop(s);

    let mut config = source(addr, points());
    config.write_multiple = true;
    let s = start(config);
    assert_eq!(
        s.command("run", CommandValue::Bool(false)).await,
        FieldReply::success("fc15")
    );
    assert_eq!(coils(addr, COIL_SCRATCH, 1).await, [false]);
    assert_eq!(
        s.command("speed", int(7)).await,
        FieldReply::success("fc16")
    );
    assert_eq!(holding(addr, SCRATCH + 10, 1).await, [7]);
    assert_eq!(
        sim.snapshot(1)
            .map(|m| m.holding_registers()[usize::from(SCRATCH + 10)]),
        Some(7)
    );
}

#[tokio::test]
async fn a_holding_register_bit_is_written_with_fc22_and_the_other_bits_stay() {
    let (sim, addr, _server) = sim().await;
    sim.with_unit(1, |m| {
        m.holding_registers_mut()[usize::from(SCRATCH + 30)] = 0xA5A5
    });
    let mut s = start(source(
        addr,
        vec![point(
            "valve",
            ModbusTable::Holding,
            SCRATCH + 30,
            Some(1),
            ModbusType::Bool,
        )],
    ));
    s.online().await;
    assert_eq!(
        s.reading("valve", Duration::from_secs(2)).await,
        (Value::Bool(false), QualityLevel::Good)
    );
    assert_eq!(
        s.command("valve", CommandValue::Bool(true)).await,
        FieldReply::success("fc22 mask write")
    );
    assert_eq!(holding(addr, SCRATCH + 30, 1).await, [0xA5A7]);
    assert_eq!(
        s.reading("valve", Duration::from_secs(1)).await,
        (Value::Bool(true), QualityLevel::Good)
    );
    let refused = s.command("valve", int(1)).await;
    assert_eq!(refused.outcome, Outcome::Refused);
    assert_eq!(
        s.command("valve", CommandValue::Bool(false)).await,
        FieldReply::success("fc22 mask write")
    );
    assert_eq!(holding(addr, SCRATCH + 30, 1).await, [0xA5A5]);
}

#[tokio::test]
async fn an_exception_fails_the_command_with_its_code_and_name() {
    let (_sim, addr, _server) = sim().await;
    // The simulator maps 0..=999: a u32 at 999 runs into 1000.
    let s = start(source(
        addr,
        vec![
            point("edge", ModbusTable::Holding, 999, None, ModbusType::U32),
            ModbusPoint {
                unit_id: 2,
                ..point(
                    "other_unit",
                    ModbusTable::Holding,
                    SCRATCH,
                    None,
                    ModbusType::U16,
                )
            },
        ],
    ));
    let reply = s.command("edge", int(1)).await;
    assert_eq!(reply.outcome, Outcome::Failed);
    assert_eq!(
        reply.reason.as_deref(),
        Some("exception 2 (illegal data address)")
    );
    assert_eq!(reply.method.as_deref(), Some("fc16"));
    drop(s);

    // A simulator serving only unit 1 answers other units as a gateway would: exception 0x0B.
    let only1 = ModbusSim::new(SimConfig {
        animate: false,
        units: UnitIds::Only(vec![1]),
        ..SimConfig::default()
    })
    .expect("sim");
    let (addr, _server) = fieldbridge_sim::bind_tcp("127.0.0.1:0".parse().expect("addr"), only1)
        .await
        .expect("bind");
    let s = start(source(
        addr,
        vec![ModbusPoint {
            unit_id: 2,
            ..point(
                "other_unit",
                ModbusTable::Holding,
                SCRATCH,
                None,
                ModbusType::U16,
            )
        }],
    ));
    let reply = s.command("other_unit", int(1)).await;
    assert_eq!(reply.outcome, Outcome::Failed);
    assert_eq!(
        reply.reason.as_deref(),
        Some("exception 11 (gateway target device failed to respond)")
    );
    assert_eq!(s.stats.snapshot().write_failures, 1);
}

#[tokio::test]
async fn an_expired_command_is_never_sent() {
    let (_sim, addr, _server) = sim().await;
    let mut s = start(source(
        addr,
        vec![point(
            "speed",
            ModbusTable::Holding,
            SCRATCH + 40,
            None,
            ModbusType::U16,
        )],
    ));
    s.online().await;
    let past = Instant::now() - Duration::from_millis(10);
    let reply = s.command_until("speed", int(42), past, true).await;
    assert_eq!(reply.outcome, Outcome::Expired);
    assert!(
        reply
            .reason
            .as_deref()
            .is_some_and(|r| r.starts_with("not sent")),
        "{reply:?}"
    );
    let reply = s.command_until("speed", int(42), past, false).await;
    assert_eq!(reply.outcome, Outcome::Timeout);
    assert!(
        reply
            .reason
            .as_deref()
            .is_some_and(|r| r.starts_with("not sent")),
        "{reply:?}"
    );
    assert_eq!(holding(addr, SCRATCH + 40, 1).await, [0], "nothing written");
    let stats = s.stats.snapshot();
    assert_eq!((stats.writes, stats.write_failures), (0, 0));
}

/// Binds with SO_REUSEADDR so a stopped server's port can be bound again.
fn reusable(addr: SocketAddr) -> TcpListener {
    let socket = TcpSocket::new_v4().expect("socket");
    socket.set_reuseaddr(true).expect("reuseaddr");
    socket.bind(addr).expect("bind");
    socket.listen(16).expect("listen")
}

#[tokio::test]
async fn a_stopped_server_times_out_at_once_and_a_command_brings_it_back_online() {
    let sim = ModbusSim::new(SimConfig {
        animate: false,
        ..SimConfig::default()
    })
    .expect("sim");
    let listener = reusable("127.0.0.1:0".parse().expect("addr"));
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(fieldbridge_sim::serve_tcp_listener(listener, sim.clone()));
    let mut config = source(
        addr,
        vec![point(
            "speed",
            ModbusTable::Holding,
            SCRATCH + 50,
            None,
            ModbusType::U16,
        )],
    );
    // Only a command can reconnect within the test: the backoff is far longer.
    config.reconnect_min = Duration::from_secs(60);
    config.reconnect_max = Duration::from_secs(60);
    let mut s = start(config);
    s.online().await;
    server.abort();
    let _ = server.await;

    let started = Instant::now();
    let reply = s.command("speed", int(5)).await;
    assert_eq!(reply.outcome, Outcome::Timeout, "{reply:?}");
    assert!(
        reply
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("connection refused")),
        "{reply:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "answered without waiting"
    );
    // Offline now; a second command still tries at once, not after the 60 s backoff.
    let reply = s.command("speed", int(6)).await;
    assert_eq!(reply.outcome, Outcome::Timeout, "{reply:?}");

    let _server = tokio::spawn(fieldbridge_sim::serve_tcp_listener(
        reusable(addr),
        sim.clone(),
    ));
    let reply = s.command("speed", int(7)).await;
    assert_eq!(reply, FieldReply::success("fc6"));
    assert_eq!(holding(addr, SCRATCH + 50, 1).await, [7]);
    // The command brought the device back: $state online and the value, well before the backoff.
    // Before: the first poll's 0, then the same 0 with comm_failure when the device was lost.
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut states = Vec::new();
    let mut readings = Vec::new();
    while !(states.last() == Some(&true)
        && readings.last() == Some(&(Value::Int(7), QualityLevel::Good)))
    {
        match next(&mut s.events, deadline).await {
            SourceEvent::DeviceState(st) => states.push(st.online),
            SourceEvent::Reading(r) => readings.push((r.value, r.quality.level)),
            SourceEvent::DeviceMeta(_) => {}
        }
    }
    assert_eq!(states, [false, true]);
    assert_eq!(
        readings,
        [
            (Value::Int(0), QualityLevel::Good),
            (Value::Int(0), QualityLevel::Bad),
            (Value::Int(7), QualityLevel::Good)
        ]
    );
    let stats = s.stats.snapshot();
    assert_eq!((stats.writes, stats.write_failures), (3, 2));
}

#[tokio::test]
async fn writes_during_busy_polling_do_not_disturb_the_polls() {
    let (_sim, addr, _server) = sim().await;
    let fast = Duration::from_millis(5);
    let polled = |name: &str, address: u16, ty: ModbusType| ModbusPoint {
        poll: fast,
        writable: false,
        ..point(name, ModbusTable::Holding, address, None, ty)
    };
    let mut points = vec![
        polled("u16", 100, ModbusType::U16),
        polled("i16", 101, ModbusType::I16),
        polled("u32", 102, ModbusType::U32),
        polled("i64", 110, ModbusType::I64),
        polled("name", 150, ModbusType::String(15)),
        ModbusPoint {
            poll: Duration::from_millis(7),
            ..point("coil", ModbusTable::Coil, 10, None, ModbusType::Bool)
        },
    ];
    for i in 0..4 {
        points.push(ModbusPoint {
            poll: fast,
            ..point(
                &format!("set{i}"),
                ModbusTable::Holding,
                SCRATCH + 60 + i,
                None,
                ModbusType::U16,
            )
        });
    }
    let mut s = start(source(addr, points));
    s.online().await;
    let expected: HashMap<&str, Value> = HashMap::from([
        ("u16", Value::Int(12345)),
        ("i16", Value::Int(-1234)),
        ("u32", Value::Int(305_419_896)),
        ("i64", Value::Int(-1_234_567_890_123)),
        ("name", Value::String("FIELDBRIDGE-SIM".into())),
        ("coil", Value::Bool(true)),
    ]);
    let commands = s.commands.clone();
    let writer = tokio::spawn(async move {
        let mut replies = Vec::new();
        for n in 0..40i64 {
            let (reply, rx) = oneshot::channel();
            let point = format!("set{}", n % 4);
            let request = CommandRequest {
                command: FieldCommand {
                    id: format!("c{n}").into(),
                    point: point.into(),
                    value: CommandValue::Number((1000 + n).into()),
                    params: Default::default(),
                    deadline: Instant::now() + Duration::from_secs(5),
                    deadline_is_expiry: false,
                },
                reply,
            };
            if commands.send(request).await.is_err() {
                break;
            }
            replies.push(rx.await.map(|r| r.outcome));
            tokio::time::sleep(Duration::from_millis(3)).await;
        }
        replies
    });
    let mut polls: HashMap<String, usize> = HashMap::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !writer.is_finished() {
        match tokio::time::timeout_at(deadline, s.events.recv()).await {
            Ok(Some(SourceEvent::Reading(r))) => {
                assert_eq!(r.quality.level, QualityLevel::Good, "{r:?}");
                if let Some(v) = expected.get(&*r.point) {
                    assert_eq!(&r.value, v, "{}", r.point);
                }
                *polls.entry(r.point.to_string()).or_default() += 1;
            }
            Ok(Some(SourceEvent::DeviceState(st))) => panic!("state changed: {st:?}"),
            Ok(Some(SourceEvent::DeviceMeta(_))) => {}
            Ok(None) | Err(_) => panic!("the source stopped or the writes took too long"),
        }
    }
    let replies = writer.await.expect("writer");
    assert_eq!(replies.len(), 40);
    assert!(
        replies.iter().all(|r| *r == Ok(Outcome::Success)),
        "{replies:?}"
    );
    for name in expected.keys() {
        assert!(
            polls.get(*name).is_some_and(|n| *n >= 5),
            "{name} polled meanwhile: {polls:?}"
        );
    }
    assert_eq!(
        holding(addr, SCRATCH + 60, 4).await,
        [1036, 1037, 1038, 1039]
    );
    let stats = s.stats.snapshot();
    assert_eq!(
        (stats.timeouts, stats.exceptions, stats.decode_errors),
        (0, 0, 0),
        "{stats:?}"
    );
    assert_eq!((stats.writes, stats.write_failures), (40, 0));
}
