//! The Modbus source against an in-process Modbus TCP server: readings, a server that dies, and
//! recovery without restarting the source.

use std::collections::HashMap;
use std::future::{ready, Ready};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use fieldbridge_core::config::{
    ModbusPoint, ModbusSource, ModbusTransport, ModbusType, RegisterRef, WordOrder,
};
use fieldbridge_core::event::{self, EventReceiver, SourceEvent};
use fieldbridge_core::point::{
    ModbusTable, Quality, QualityFlag, QualityLevel, Reading, SourceAddress, Value,
};
use fieldbridge_source_modbus::{run, run_with_stats, SourceStats};
use tokio::net::{TcpSocket, TcpStream};
use tokio::task::JoinHandle;
use tokio::time::{timeout, Instant};
use tokio_modbus::server::Service;
use tokio_modbus::{ExceptionCode, Request, Response, SlaveRequest};

const FAST: Duration = Duration::from_millis(150);
const SLOW: Duration = Duration::from_millis(300);

/// The registers of one unit; an address absent from a map answers ILLEGAL DATA ADDRESS.
#[derive(Debug, Default)]
struct Unit {
    coils: HashMap<u16, bool>,
    discrete: HashMap<u16, bool>,
    input: HashMap<u16, u16>,
    holding: HashMap<u16, u16>,
}

#[derive(Debug, Clone)]
struct Device(Arc<HashMap<u8, Unit>>);

fn range<T: Copy>(map: &HashMap<u16, T>, start: u16, count: u16) -> Result<Vec<T>, ExceptionCode> {
    (u32::from(start)..u32::from(start) + u32::from(count))
        .map(|a| {
            u16::try_from(a)
                .ok()
                .and_then(|a| map.get(&a).copied())
                .ok_or(ExceptionCode::IllegalDataAddress)
        })
        .collect()
}

impl Service for Device {
    type Request = SlaveRequest<'static>;
    type Response = Response;
    type Exception = ExceptionCode;
    type Future = Ready<Result<Response, ExceptionCode>>;

    fn call(&self, req: Self::Request) -> Self::Future {
        let Some(unit) = self.0.get(&req.slave) else {
            return ready(Err(ExceptionCode::GatewayTargetDevice));
        };
        ready(match req.request {
            Request::ReadCoils(a, n) => range(&unit.coils, a, n).map(Response::ReadCoils),
            Request::ReadDiscreteInputs(a, n) => {
                range(&unit.discrete, a, n).map(Response::ReadDiscreteInputs)
            }
            Request::ReadInputRegisters(a, n) => {
                range(&unit.input, a, n).map(Response::ReadInputRegisters)
            }
            Request::ReadHoldingRegisters(a, n) => {
                range(&unit.holding, a, n).map(Response::ReadHoldingRegisters)
            }
            _ => Err(ExceptionCode::IllegalFunction),
        })
    }
}

fn device() -> Device {
    let mut u1 = Unit::default();
    let temp = 21.5f32.to_bits();
    // f32 cdab: the low word first.
    u1.holding.insert(0, temp as u16);
    u1.holding.insert(1, (temp >> 16) as u16);
    u1.holding.insert(2, (-42i16) as u16);
    u1.holding.insert(3, 0x0001);
    u1.holding.insert(4, 0x1170); // 70000
    u1.holding.insert(5, 0b1000);
    u1.holding.insert(6, u16::from_be_bytes(*b"PU"));
    u1.holding.insert(7, u16::from_be_bytes(*b"MP"));
    u1.holding.insert(8, u16::from_be_bytes([b'1', 0]));
    // 21..=23 are a hole the coalesced read of 20..=24 spans.
    u1.holding.insert(20, 7);
    u1.holding.insert(24, 9);
    u1.coils.insert(0, true);
    let mut u2 = Unit::default();
    u2.input.insert(0, 123);
    u2.discrete.insert(0, false);
    u2.holding.insert(0, 0xFFFF);
    u2.holding.insert(1, 0xFF00); // i32 -256
    Device(Arc::new(HashMap::from([(1, u1), (2, u2)])))
}

/// Serves the device on `addr` (port 0: any). Aborting the task drops the listener and closes every
/// connection.
async fn serve(addr: SocketAddr) -> (SocketAddr, JoinHandle<()>) {
    let socket = TcpSocket::new_v4().expect("socket");
    socket.set_reuseaddr(true).expect("reuseaddr");
    socket.bind(addr).expect("bind");
    let listener = socket.listen(16).expect("listen");
    let local = listener.local_addr().expect("local addr");
    let dev = device();
    let task = tokio::spawn(async move {
        let server = tokio_modbus::server::tcp::Server::new(listener);
        let on_connected = |stream: TcpStream, _peer: SocketAddr| {
            let service = dev.clone();
            async move { Ok::<_, std::io::Error>(Some((service, stream))) }
        };
        let _ = server.serve(&on_connected, |_err| {}).await;
    });
    (local, task)
}

fn point(
    name: &str,
    unit_id: u8,
    poll: Duration,
    table: ModbusTable,
    address: u16,
    bit: Option<u8>,
    ty: ModbusType,
) -> ModbusPoint {
    let register = RegisterRef {
        table,
        address,
        bit,
    };
    ModbusPoint {
        poll,
        unit_id,
        ..ModbusPoint::new(name, register, ty)
    }
}

fn config(address: SocketAddr) -> ModbusSource {
    use ModbusTable::*;
    let mut temp = point("temp", 1, FAST, Holding, 0, None, ModbusType::F32);
    temp.word_order = WordOrder::Cdab;
    temp.unit = Some("°C".into());
    let mut flow = point("flow", 2, SLOW, Input, 0, None, ModbusType::U16);
    flow.scale = 0.1;
    flow.unit = Some("m3/h".into());
    let mut level = point("level", 2, SLOW, Holding, 0, None, ModbusType::I32);
    level.deadband = Some(5.0);
    ModbusSource {
        transport: ModbusTransport::Tcp {
            address: address.to_string(),
        },
        unit: 1,
        poll: FAST,
        timeout: Duration::from_millis(200),
        retries: 1,
        max_gap: 8,
        max_registers: 125,
        max_bits: 2000,
        heartbeat: None,
        reconnect_min: Duration::from_millis(50),
        reconnect_max: Duration::from_millis(200),
        write_multiple: false,
        command_timeout: None,
        points: vec![
            temp,
            point("delta", 1, FAST, Holding, 2, None, ModbusType::I16),
            point("count", 1, FAST, Holding, 3, None, ModbusType::U32),
            point("alarm", 1, FAST, Holding, 5, Some(3), ModbusType::Bool),
            point("name", 1, FAST, Holding, 6, None, ModbusType::String(6)),
            point("gap_a", 1, FAST, Holding, 20, None, ModbusType::U16),
            point("gap_b", 1, FAST, Holding, 24, None, ModbusType::U16),
            point("missing", 1, FAST, Holding, 40, None, ModbusType::U16),
            point("run", 1, FAST, Coil, 0, None, ModbusType::Bool),
            flow,
            point("door", 2, SLOW, Discrete, 0, None, ModbusType::Bool),
            level,
        ],
    }
}

async fn next(rx: &mut EventReceiver, deadline: Instant) -> SourceEvent {
    match tokio::time::timeout_at(deadline, rx.recv()).await {
        Ok(Some(e)) => e,
        Ok(None) => panic!("the source closed the channel"),
        Err(_) => panic!("no event before the deadline"),
    }
}

/// Collects readings by point name until `done` says enough, failing at the deadline.
async fn collect(
    rx: &mut EventReceiver,
    within: Duration,
    mut on_state: impl FnMut(bool),
    done: impl Fn(&HashMap<String, Vec<Reading>>) -> bool,
) -> HashMap<String, Vec<Reading>> {
    let deadline = Instant::now() + within;
    let mut seen: HashMap<String, Vec<Reading>> = HashMap::new();
    while !done(&seen) {
        match next(rx, deadline).await {
            SourceEvent::Reading(r) => seen.entry(r.point.to_string()).or_default().push(r),
            SourceEvent::DeviceState(s) => on_state(s.online),
            SourceEvent::DeviceMeta(_) => panic!("$meta is sent once, at start"),
        }
    }
    seen
}

fn bad(flag: QualityFlag) -> Quality {
    Quality::new(QualityLevel::Bad, [flag])
}

const KNOWN: [&str; 11] = [
    "temp", "delta", "count", "alarm", "name", "gap_a", "gap_b", "run", "flow", "door", "level",
];

#[tokio::test]
async fn readings_go_bad_when_the_server_dies_and_recover_when_it_returns() {
    let (addr, server) = serve("127.0.0.1:0".parse().expect("addr")).await;
    let (tx, mut rx) = event::channel(1024);
    let stats = Arc::new(SourceStats::new());
    let source = tokio::spawn(run_with_stats(
        "plc1".into(),
        config(addr),
        tx,
        stats.clone(),
    ));

    // Start: $meta, then $state online once every unit was asked (readings of the first round
    // may come before it).
    let deadline = Instant::now() + Duration::from_secs(3);
    match next(&mut rx, deadline).await {
        SourceEvent::DeviceMeta(m) => {
            assert_eq!(m.protocol, "modbus-tcp");
            assert_eq!(m.points.len(), 12);
            assert_eq!(m.points[0].unit.as_deref(), Some("°C"));
        }
        other => panic!("expected $meta first, got {other:?}"),
    }

    let mut states = 0;
    // Readings: every point, and the fast ones several times.
    let seen = collect(
        &mut rx,
        Duration::from_secs(3),
        |online| {
            assert!(online);
            states += 1;
        },
        |seen| {
            KNOWN.iter().all(|p| seen.contains_key(*p))
                && seen.contains_key("missing")
                && seen.get("temp").is_some_and(|r| r.len() >= 4)
        },
    )
    .await;
    assert_eq!(states, 1, "one $state online");
    let value = |p: &str| seen[p].last().map(|r| r.value.clone());
    assert_eq!(value("temp"), Some(Value::Float(21.5)));
    assert_eq!(value("delta"), Some(Value::Int(-42)));
    assert_eq!(value("count"), Some(Value::Int(70000)));
    assert_eq!(value("alarm"), Some(Value::Bool(true)));
    assert_eq!(value("name"), Some(Value::String("PUMP1".into())));
    assert_eq!(
        value("gap_a"),
        Some(Value::Int(7)),
        "the block spanning the hole was split"
    );
    assert_eq!(value("gap_b"), Some(Value::Int(9)));
    assert_eq!(value("run"), Some(Value::Bool(true)));
    assert_eq!(value("door"), Some(Value::Bool(false)));
    assert_eq!(value("level"), Some(Value::Int(-256)));
    match value("flow") {
        Some(Value::Float(f)) => assert!((f - 12.3).abs() < 1e-9, "{f}"),
        other => panic!("flow: {other:?}"),
    }
    for p in KNOWN {
        assert!(
            seen[p].iter().all(|r| r.quality == Quality::GOOD),
            "{p}: {:?}",
            seen[p]
        );
    }
    assert!(
        seen["missing"]
            .iter()
            .all(|r| r.quality == bad(QualityFlag::DeviceError)),
        "{:?}",
        seen["missing"]
    );
    assert_eq!(
        seen["level"].len(),
        1,
        "a value within the deadband is not republished"
    );
    let temp = &seen["temp"][0];
    assert_eq!(temp.device.as_ref(), "plc1");
    assert_eq!(temp.unit.as_deref(), Some("°C"));
    assert_eq!(
        temp.source,
        SourceAddress::Modbus {
            unit: 1,
            table: ModbusTable::Holding,
            address: 0,
            bit: None,
            data_type: "f32".into(),
            word_order: Some("cdab"),
        }
    );
    assert!(matches!(
        seen["alarm"][0].source,
        SourceAddress::Modbus {
            unit: 1,
            bit: Some(3),
            word_order: None,
            ..
        }
    ));
    assert!(matches!(
        seen["flow"][0].source,
        SourceAddress::Modbus {
            unit: 2,
            table: ModbusTable::Input,
            ..
        }
    ));
    assert_eq!(seen["flow"][0].unit.as_deref(), Some("m3/h"));

    // The server dies: comm_failure for every known value and $state offline within two polls.
    server.abort();
    let _ = server.await;
    let killed = Instant::now();
    let mut offline = false;
    let lost = collect(
        &mut rx,
        2 * FAST + Duration::from_millis(100),
        |online| {
            assert!(!online);
            offline = true;
        },
        |seen| {
            KNOWN.iter().all(|p| {
                seen.get(*p)
                    .is_some_and(|r| r.iter().any(|r| r.quality == Quality::comm_failure()))
            })
        },
    )
    .await;
    let elapsed = killed.elapsed();
    assert!(offline, "$state offline was sent");
    assert!(elapsed <= 2 * FAST, "bad after {elapsed:?}");
    assert_eq!(
        lost["temp"].last().map(|r| r.value.clone()),
        Some(Value::Float(21.5)),
        "the last value is kept"
    );
    let missing = lost.get("missing").map(Vec::as_slice).unwrap_or_default();
    assert_eq!(
        missing.len(),
        1,
        "a point never read is reported once: {missing:?}"
    );
    assert!(
        matches!(missing[0].value, Value::Float(f) if f.is_nan()),
        "without a value (null)"
    );
    assert_eq!(missing[0].quality, Quality::comm_failure());

    // The server returns on the same port: $state online and good readings, the deadband point too.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_, server) = serve(addr).await;
    let mut online = false;
    let back = collect(
        &mut rx,
        Duration::from_secs(3),
        |o| {
            assert!(o);
            online = true;
        },
        |seen| {
            KNOWN.iter().all(|p| {
                seen.get(*p)
                    .is_some_and(|r| r.iter().any(|r| r.quality == Quality::GOOD))
            })
        },
    )
    .await;
    assert!(online, "$state online was sent");
    assert_eq!(
        back["level"].last().map(|r| r.value.clone()),
        Some(Value::Int(-256))
    );

    let s = stats.snapshot();
    assert!(s.reconnects >= 1, "{s:?}");
    assert!(s.exceptions >= 2, "{s:?}");
    assert!(s.requests >= s.responses && s.responses > 10, "{s:?}");

    source.abort();
    server.abort();
}

#[tokio::test]
async fn a_refused_connection_reports_offline_and_the_source_stops_when_the_channel_closes() {
    // A port that was just free: nothing listens there.
    let (addr, server) = serve("127.0.0.1:0".parse().expect("addr")).await;
    server.abort();
    let _ = server.await;
    let (tx, mut rx) = event::channel(16);
    let source = tokio::spawn(run("plc2".into(), config(addr), tx));
    let deadline = Instant::now() + Duration::from_secs(3);
    assert!(matches!(
        next(&mut rx, deadline).await,
        SourceEvent::DeviceMeta(_)
    ));
    match next(&mut rx, deadline).await {
        SourceEvent::DeviceState(s) => {
            assert!(!s.online);
            assert_eq!(s.reason.as_deref(), Some("connection refused"));
        }
        other => panic!("expected $state offline, got {other:?}"),
    }
    drop(rx);
    assert!(
        timeout(Duration::from_secs(2), source).await.is_ok(),
        "the source ends when the channel closes"
    );
}

#[tokio::test]
async fn an_rtu_source_whose_port_cannot_be_opened_reports_offline() {
    let mut cfg = config("127.0.0.1:1".parse().expect("addr"));
    cfg.transport = ModbusTransport::Rtu(fieldbridge_core::config::SerialSettings {
        path: "/dev/fieldbridge-no-such-port".into(),
        baud: 19200,
        parity: fieldbridge_core::config::Parity::Even,
        data_bits: 8,
        stop_bits: 1,
    });
    let (tx, mut rx) = event::channel(16);
    let source = tokio::spawn(run("rtu1".into(), cfg, tx));
    let deadline = Instant::now() + Duration::from_secs(3);
    match next(&mut rx, deadline).await {
        SourceEvent::DeviceMeta(m) => assert_eq!(m.protocol, "modbus-rtu"),
        other => panic!("expected $meta, got {other:?}"),
    }
    match next(&mut rx, deadline).await {
        SourceEvent::DeviceState(s) => {
            assert!(!s.online);
            assert!(
                s.reason
                    .as_deref()
                    .is_some_and(|r| r.starts_with("serial port")),
                "{s:?}"
            );
        }
        other => panic!("expected $state offline, got {other:?}"),
    }
    source.abort();
}

#[tokio::test]
async fn a_device_that_never_answers_goes_offline_once_the_timeout_with_its_retries_has_passed() {
    // Accepts connections and keeps them open, but never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("local addr");
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let mut cfg = config(addr);
    cfg.points.truncate(1);
    cfg.timeout = Duration::from_millis(100);
    cfg.retries = 2;
    // Long enough that no reconnect runs before the counters are read.
    cfg.reconnect_min = Duration::from_secs(2);
    cfg.reconnect_max = Duration::from_secs(4);
    let stats = Arc::new(SourceStats::new());
    let (tx, mut rx) = event::channel(16);
    let started = Instant::now();
    let source = tokio::spawn(run_with_stats("plc3".into(), cfg, tx, stats.clone()));
    let deadline = Instant::now() + Duration::from_secs(3);
    assert!(matches!(
        next(&mut rx, deadline).await,
        SourceEvent::DeviceMeta(_)
    ));
    match next(&mut rx, deadline).await {
        SourceEvent::DeviceState(s) => {
            assert!(!s.online);
            assert_eq!(s.reason.as_deref(), Some("timeout"));
        }
        other => panic!("expected $state offline, got {other:?}"),
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(100) && elapsed < Duration::from_millis(1500),
        "three attempts within the one timeout of 100 ms: {elapsed:?}"
    );
    let s = stats.snapshot();
    assert_eq!((s.requests, s.timeouts, s.responses), (3, 3, 0), "{s:?}");
    assert_eq!(
        s.reconnects, 0,
        "TCP is kept across retries (answers are matched by transaction id): {s:?}"
    );
    source.abort();
    silent.abort();
}

#[tokio::test]
async fn a_device_that_closes_idle_connections_does_not_make_the_points_flap() {
    // Answers exactly one request per connection, then closes it, as many PLCs and gateways do
    // with sockets idle longer than their timeout: FC3 for one register, value 7.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("local addr");
    let closer = tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut request = [0u8; 12];
            if stream.read_exact(&mut request).await.is_err() {
                continue;
            }
            // MBAP: the request's transaction id, protocol 0, length 5, its unit; PDU 03 02 00 07.
            let mut answer = [0u8, 0, 0, 0, 0, 5, request[6], 3, 2, 0, 7];
            answer[..2].copy_from_slice(&request[..2]);
            let _ = stream.write_all(&answer).await;
            // Then close: the next poll finds the connection gone.
        }
    });
    let mut cfg = config(addr);
    cfg.points = vec![point(
        "one",
        1,
        FAST,
        ModbusTable::Holding,
        0,
        None,
        ModbusType::U16,
    )];
    cfg.retries = 0;
    let (tx, mut rx) = event::channel(64);
    let source = tokio::spawn(run("plc4".into(), cfg, tx));
    let deadline = Instant::now() + Duration::from_millis(8 * FAST.as_millis() as u64);
    let mut readings = 0;
    while Instant::now() < deadline {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(SourceEvent::Reading(r))) => {
                assert_eq!(
                    (r.value.clone(), r.quality),
                    (Value::Int(7), Quality::GOOD),
                    "{r:?}"
                );
                readings += 1;
            }
            Ok(Some(SourceEvent::DeviceState(s))) => assert!(s.online, "flapped offline: {s:?}"),
            Ok(Some(SourceEvent::DeviceMeta(_))) => {}
            Ok(None) => panic!("the source closed the channel"),
            Err(_) => break,
        }
    }
    assert!(readings >= 5, "one reading per poll, got {readings}");
    source.abort();
    closer.abort();
}
