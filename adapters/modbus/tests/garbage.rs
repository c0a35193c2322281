//! A device that answers garbage: each kind is named in the log and counted as a decode error,
//! never as a timeout, and the device stays online.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use fieldbridge_core::config::{ModbusPoint, ModbusSource, ModbusType, RegisterRef};
use fieldbridge_core::event::{self, SourceEvent};
use fieldbridge_core::point::{ModbusTable, QualityFlag, QualityLevel};
use fieldbridge_source_modbus::{run_with_stats, Garbage, SourceStats};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;

/// The kinds of garbage, in the order the device answers them, with their name in the log.
const KINDS: [(Garbage, &str); 8] = [
    (Garbage::ProtocolId, "protocol id not 0"),
    (Garbage::TransactionId, "wrong transaction id"),
    (Garbage::Length, "length out of range"),
    (Garbage::FunctionCode, "wrong function code"),
    (Garbage::ByteCount, "byte count does not match"),
    (Garbage::UnitId, "wrong unit id"),
    (Garbage::Quantity, "wrong quantity"),
    (Garbage::PduLength, "wrong PDU length"),
];

/// The answer of kind `kind` to an FC3 request for one register (`tid`, `unit`).
fn garbage(kind: usize, tid: u16, unit: u8) -> Vec<u8> {
    let [t0, t1] = tid.to_be_bytes();
    let [w0, w1] = tid.wrapping_add(100).to_be_bytes();
    match kind {
        // Random bytes: no MBAP protocol id 0.
        0 => vec![
            0x5a, 0x17, 0xc3, 0x09, 0x44, 0x81, 0x12, 0x9e, 0x33, 0x70, 0x01,
        ],
        // A good answer under another transaction id.
        1 => vec![w0, w1, 0, 0, 0, 5, unit, 3, 2, 0, 1],
        // Length 0xFFFF.
        2 => vec![t0, t1, 0, 0, 0xff, 0xff, unit, 3, 2, 0, 1],
        // FC4 for FC3.
        3 => vec![t0, t1, 0, 0, 0, 5, unit, 4, 2, 0, 1],
        // Byte count 4, two bytes follow.
        4 => vec![t0, t1, 0, 0, 0, 5, unit, 3, 4, 0, 1],
        // Another unit.
        5 => vec![t0, t1, 0, 0, 0, 5, unit.wrapping_add(1), 3, 2, 0, 1],
        // Two registers for one.
        6 => vec![t0, t1, 0, 0, 0, 7, unit, 3, 4, 0, 1, 0, 2],
        // An exception without its code.
        _ => vec![t0, t1, 0, 0, 0, 2, unit, 0x83],
    }
}

/// Answers request n with garbage of kind n % 8, on every connection.
async fn garbage_device() -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("local addr");
    let task = tokio::spawn(async move {
        let mut n = 0usize;
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut request = [0u8; 12];
            while stream.read_exact(&mut request).await.is_ok() {
                let tid = u16::from_be_bytes([request[0], request[1]]);
                let answer = garbage(n % KINDS.len(), tid, request[6]);
                n += 1;
                if stream.write_all(&answer).await.is_err() {
                    break;
                }
            }
        }
    });
    (addr, task)
}

/// The `problem` field of every event logged, from a minimal subscriber.
#[derive(Clone, Default)]
struct Problems(Arc<Mutex<Vec<String>>>);

struct ProblemField<'a>(&'a mut Option<String>);

impl tracing::field::Visit for ProblemField<'_> {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "problem" {
            *self.0 = Some(value.to_owned());
        }
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "problem" {
            *self.0 = Some(format!("{value:?}"));
        }
    }
}

impl tracing::Subscriber for Problems {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut problem = None;
        event.record(&mut ProblemField(&mut problem));
        if let (Some(p), Ok(mut all)) = (problem, self.0.lock()) {
            all.push(p);
        }
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[tokio::test]
async fn each_kind_of_garbage_is_named_in_the_log_and_counted_as_a_decode_error() {
    let problems = Problems::default();
    let _log = tracing::subscriber::set_default(problems.clone());
    let (addr, device) = garbage_device().await;
    let point = ModbusPoint {
        poll: Duration::from_millis(20),
        ..ModbusPoint::new(
            "p",
            RegisterRef {
                table: ModbusTable::Holding,
                address: 0,
                bit: None,
            },
            ModbusType::U16,
        )
    };
    let config = ModbusSource {
        poll: Duration::from_millis(20),
        timeout: Duration::from_secs(2),
        ..support::source(addr, vec![point])
    };
    let stats = Arc::new(SourceStats::new());
    let (tx, mut rx) = event::channel(1024);
    let source = tokio::spawn(run_with_stats("junk".into(), config, tx, stats.clone()));

    // Two rounds of every kind.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut states = Vec::new();
    let mut qualities = Vec::new();
    while stats.snapshot().requests < 2 * KINDS.len() as u64 {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(SourceEvent::DeviceState(s))) => states.push(s.online),
            Ok(Some(SourceEvent::Reading(r))) => qualities.push(r.quality),
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => panic!("stalled after {:?}", stats.snapshot()),
        }
    }
    source.abort();
    device.abort();

    let seen = problems.0.lock().map(|p| p.clone()).unwrap_or_default();
    for (kind, name) in KINDS {
        assert_eq!(kind.as_str(), name);
        assert!(
            seen.iter().any(|p| p == name),
            "{name} not in the log: {seen:?}"
        );
    }
    let s = stats.snapshot();
    assert_eq!(s.timeouts, 0, "garbage is not a timeout: {s:?}");
    assert!(
        s.decode_errors >= 2 * KINDS.len() as u64 - 1,
        "every answer a decode error: {s:?}"
    );
    assert_eq!(s.reconnects, 0, "the connection is kept: {s:?}");
    assert_eq!(states, [true], "online once, never offline");
    assert!(
        qualities
            .iter()
            .all(|q| q.level == QualityLevel::Bad && q.flags.contains(QualityFlag::DecodeError)),
        "{qualities:?}"
    );
}
