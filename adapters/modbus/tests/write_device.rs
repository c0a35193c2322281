//! Commands through the Modbus source against a small tokio-modbus server doing what the simulator
//! cannot (refuse FC22, stay silent, ignore a write), and a source whose command queue is closed.

mod support;

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fieldbridge_core::command::{self, CommandValue, FieldReply, Outcome};
use fieldbridge_core::config::ModbusType;
use fieldbridge_core::event::{self, SourceEvent};
use fieldbridge_core::point::ModbusTable;
use fieldbridge_source_modbus::{run_with_commands, SourceStats};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_modbus::server::Service;
use tokio_modbus::{ExceptionCode, Request, Response, SlaveRequest};

use support::*;

/// A device without FC22 that can also stay silent or ignore writes.
#[derive(Debug, Clone, Default)]
struct OldDevice {
    holding: Arc<Mutex<HashMap<u16, u16>>>,
    mask_writes: Arc<AtomicUsize>,
    writes: Arc<AtomicUsize>,
    /// Writes received at [`SILENT`] (never answered).
    silent: Arc<AtomicUsize>,
}

/// Writes to this address are never answered.
const SILENT: u16 = 300;
/// Writes to this address are acknowledged but not stored.
const IGNORED: u16 = 310;
/// Writes to this address are clamped to 1000, and the echo says so.
const CLAMPED: u16 = 320;

type Answer = Pin<Box<dyn Future<Output = Result<Response, ExceptionCode>> + Send>>;

impl OldDevice {
    fn set(&self, address: u16, word: u16) {
        if let Ok(mut h) = self.holding.lock() {
            h.insert(address, word);
        }
    }

    fn get(&self, address: u16) -> u16 {
        self.holding
            .lock()
            .ok()
            .and_then(|h| h.get(&address).copied())
            .unwrap_or(0)
    }
}

impl Service for OldDevice {
    type Request = SlaveRequest<'static>;
    type Response = Response;
    type Exception = ExceptionCode;
    type Future = Answer;

    fn call(&self, req: Self::Request) -> Self::Future {
        let answer = match req.request {
            Request::ReadHoldingRegisters(a, n) => Ok(Response::ReadHoldingRegisters(
                (a..a + n).map(|a| self.get(a)).collect(),
            )),
            Request::WriteSingleRegister(SILENT, _)
            | Request::WriteMultipleRegisters(SILENT, _) => {
                self.silent.fetch_add(1, Ordering::SeqCst);
                return Box::pin(std::future::pending());
            }
            Request::WriteSingleRegister(CLAMPED, w) => {
                self.writes.fetch_add(1, Ordering::SeqCst);
                self.set(CLAMPED, w.min(1000));
                Ok(Response::WriteSingleRegister(CLAMPED, w.min(1000)))
            }
            Request::WriteSingleRegister(a, w) => {
                self.writes.fetch_add(1, Ordering::SeqCst);
                if a != IGNORED {
                    self.set(a, w);
                }
                Ok(Response::WriteSingleRegister(a, w))
            }
            Request::WriteMultipleRegisters(a, ws) => {
                self.writes.fetch_add(1, Ordering::SeqCst);
                for (i, w) in ws.iter().enumerate() {
                    self.set(a + i as u16, *w);
                }
                Ok(Response::WriteMultipleRegisters(a, ws.len() as u16))
            }
            Request::MaskWriteRegister(..) => {
                self.mask_writes.fetch_add(1, Ordering::SeqCst);
                Err(ExceptionCode::IllegalFunction)
            }
            _ => Err(ExceptionCode::IllegalFunction),
        };
        Box::pin(std::future::ready(answer))
    }
}

async fn serve_old(device: OldDevice) -> (SocketAddr, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        let server = tokio_modbus::server::tcp::Server::new(listener);
        let on_connected = |stream: TcpStream, _peer: SocketAddr| {
            let service = device.clone();
            async move { Ok::<_, std::io::Error>(Some((service, stream))) }
        };
        let _ = server.serve(&on_connected, |_err| {}).await;
    });
    (addr, task)
}

#[tokio::test]
async fn a_device_refusing_fc22_gets_read_modify_write_from_then_on() {
    let device = OldDevice::default();
    device.set(20, 0x0F01);
    let (addr, _server) = serve_old(device.clone()).await;
    let mut s = start(source(
        addr,
        vec![
            point("b2", ModbusTable::Holding, 20, Some(2), ModbusType::Bool),
            point("b8", ModbusTable::Holding, 20, Some(8), ModbusType::Bool),
        ],
    ));
    s.online().await;
    assert_eq!(
        s.command("b2", CommandValue::Bool(true)).await,
        FieldReply::success("read-modify-write fc3+fc6")
    );
    assert_eq!(device.get(20), 0x0F05);
    assert_eq!(device.mask_writes.load(Ordering::SeqCst), 1);
    assert_eq!(
        s.command("b8", CommandValue::Bool(false)).await,
        FieldReply::success("read-modify-write fc3+fc6")
    );
    assert_eq!(device.get(20), 0x0E05);
    assert_eq!(
        device.mask_writes.load(Ordering::SeqCst),
        1,
        "FC22 is not tried again on this unit"
    );
    // Read directly too.
    assert_eq!(holding(addr, 20, 1).await, [0x0E05]);
}

#[tokio::test]
async fn silence_is_a_timeout_and_a_different_read_back_is_a_mismatch() {
    let device = OldDevice::default();
    let (addr, _server) = serve_old(device.clone()).await;
    let s = start(source(
        addr,
        vec![
            point(
                "silent",
                ModbusTable::Holding,
                SILENT,
                None,
                ModbusType::U16,
            ),
            point(
                "ignored",
                ModbusTable::Holding,
                IGNORED,
                None,
                ModbusType::U16,
            ),
            point(
                "clamped",
                ModbusTable::Holding,
                CLAMPED,
                None,
                ModbusType::U16,
            ),
        ],
    ));
    let reply = s.command("ignored", int(7)).await;
    assert_eq!(reply.outcome, Outcome::Failed);
    assert_eq!(reply.method.as_deref(), Some("fc6"));
    assert_eq!(
        reply.reason.as_deref(),
        Some("mismatch: wrote 7, device holds 0")
    );
    // A different echo (§6.6) is a mismatch too, in the point's values, not a dump of the answer.
    let reply = s.command("clamped", int(5000)).await;
    assert_eq!(reply.outcome, Outcome::Failed);
    assert_eq!(
        reply.reason.as_deref(),
        Some("mismatch: wrote 5000, device echoed 1000")
    );
    let reply = s.command("silent", int(7)).await;
    assert_eq!(reply.outcome, Outcome::Timeout, "{reply:?}");
    assert_eq!(
        reply.reason.as_deref(),
        Some("no answer from the device within 300ms")
    );
    let stats = s.stats.snapshot();
    assert_eq!((stats.writes, stats.write_failures), (3, 3));
    // A write whose answer timed out may have been applied: it is never sent again (the
    // source's reads are retried, its writes are not).
    assert_eq!(device.silent.load(Ordering::SeqCst), 1, "{stats:?}");
    assert_eq!(stats.timeouts, 1, "{stats:?}");
}

/// CPU time of the calling thread, in clock ticks (Linux).
fn thread_cpu_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // Fields after the command name in parentheses; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

#[tokio::test]
async fn a_closed_command_queue_does_not_spin() {
    let (_sim, addr, _server) = sim().await;
    let (tx, mut events) = event::channel(64);
    let (commands, rx) = command::channel();
    drop(commands);
    let task = tokio::spawn(run_with_commands(
        "plc".into(),
        source(
            addr,
            vec![point(
                "speed",
                ModbusTable::Holding,
                SCRATCH,
                None,
                ModbusType::U16,
            )],
        ),
        tx,
        Arc::new(SourceStats::new()),
        rx,
    ));
    let deadline = Instant::now() + Duration::from_secs(3);
    while !matches!(next(&mut events, deadline).await, SourceEvent::Reading(_)) {}
    // Current-thread runtime: the source runs on this thread, so a loop on the closed queue would
    // show as CPU time here while the test sleeps.
    let before = thread_cpu_ticks();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = thread_cpu_ticks();
    if let (Some(before), Some(after)) = (before, after) {
        assert!(
            after - before < 10,
            "{} ticks of CPU in 500 ms",
            after - before
        );
    }
    assert!(
        !task.is_finished(),
        "the source keeps running without a router"
    );
    task.abort();
}
