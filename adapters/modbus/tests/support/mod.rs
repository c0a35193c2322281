//! What the write tests share: points, a source with its command queue, the simulator, direct
//! reads with tokio-modbus.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use fieldbridge_core::command::{
    self, CommandRequest, CommandSender, CommandValue, FieldCommand, FieldReply,
};
use fieldbridge_core::config::{
    ModbusPoint, ModbusSource, ModbusTransport, ModbusType, RegisterRef,
};
use fieldbridge_core::event::{self, EventReceiver, SourceEvent};
use fieldbridge_core::point::{ModbusTable, QualityLevel, Value};
use fieldbridge_sim::{ModbusSim, SimConfig};
use fieldbridge_source_modbus::{run_with_commands, SourceStats};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::{timeout, Instant};
use tokio_modbus::client::Reader;
use tokio_modbus::Slave;

pub const SCRATCH: u16 = 200;
pub const COIL_SCRATCH: u16 = 100;

pub fn point(
    name: &str,
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
        writable: true,
        poll: Duration::from_secs(60),
        ..ModbusPoint::new(name, register, ty)
    }
}

pub fn source(address: SocketAddr, points: Vec<ModbusPoint>) -> ModbusSource {
    ModbusSource {
        transport: ModbusTransport::Tcp {
            address: address.to_string(),
        },
        unit: 1,
        poll: Duration::from_secs(60),
        timeout: Duration::from_millis(300),
        retries: 1,
        max_gap: 8,
        max_registers: 125,
        max_bits: 2000,
        heartbeat: None,
        reconnect_min: Duration::from_millis(50),
        reconnect_max: Duration::from_millis(200),
        write_multiple: false,
        command_timeout: None,
        points,
    }
}

/// A running source with its command queue, its point stream and its counters.
pub struct Source {
    pub commands: CommandSender,
    pub events: EventReceiver,
    pub stats: Arc<SourceStats>,
    pub task: JoinHandle<()>,
}

impl Drop for Source {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub fn start(config: ModbusSource) -> Source {
    let (tx, events) = event::channel(4096);
    let (commands, rx) = command::channel();
    let stats = Arc::new(SourceStats::new());
    let task = tokio::spawn(run_with_commands(
        "plc".into(),
        config,
        tx,
        stats.clone(),
        rx,
    ));
    Source {
        commands,
        events,
        stats,
        task,
    }
}

impl Source {
    /// Sends a command with a deadline `within` from now and waits for its reply.
    pub async fn command(&self, point: &str, value: CommandValue) -> FieldReply {
        self.command_until(point, value, Instant::now() + Duration::from_secs(5), false)
            .await
    }

    pub async fn command_until(
        &self,
        point: &str,
        value: CommandValue,
        deadline: Instant,
        deadline_is_expiry: bool,
    ) -> FieldReply {
        let (reply, rx) = oneshot::channel();
        let request = CommandRequest {
            command: FieldCommand {
                id: "c1".into(),
                point: point.into(),
                value,
                params: Default::default(),
                deadline,
                deadline_is_expiry,
            },
            reply,
        };
        assert!(self.commands.send(request).await.is_ok(), "source stopped");
        match timeout(Duration::from_secs(10), rx).await {
            Ok(Ok(reply)) => reply,
            Ok(Err(_)) => panic!("the source dropped the command unanswered"),
            Err(_) => panic!("no reply within 10 s"),
        }
    }

    /// Waits for the source's first `$state` online.
    pub async fn online(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            match next(&mut self.events, deadline).await {
                SourceEvent::DeviceState(s) if s.online => return,
                SourceEvent::DeviceState(s) => panic!("went offline: {s:?}"),
                _ => {}
            }
        }
    }

    /// The next reading of `point`, skipping everything else.
    pub async fn reading(&mut self, point: &str, within: Duration) -> (Value, QualityLevel) {
        let deadline = Instant::now() + within;
        loop {
            if let SourceEvent::Reading(r) = next(&mut self.events, deadline).await {
                if &*r.point == point {
                    return (r.value, r.quality.level);
                }
            }
        }
    }
}

pub async fn next(rx: &mut EventReceiver, deadline: Instant) -> SourceEvent {
    match tokio::time::timeout_at(deadline, rx.recv()).await {
        Ok(Some(e)) => e,
        Ok(None) => panic!("the source closed the channel"),
        Err(_) => panic!("no event before the deadline"),
    }
}

pub fn number(v: f64) -> CommandValue {
    match serde_json::Number::from_f64(v) {
        Some(n) => CommandValue::Number(n),
        None => panic!("{v} is not a JSON number"),
    }
}

pub fn int(v: i64) -> CommandValue {
    CommandValue::Number(v.into())
}

/// A simulator that only moves when told to, on a port of its own.
pub async fn sim() -> (ModbusSim, SocketAddr, JoinHandle<std::io::Result<()>>) {
    let sim = ModbusSim::new(SimConfig {
        animate: false,
        ..SimConfig::default()
    })
    .expect("sim");
    let (addr, server) =
        fieldbridge_sim::bind_tcp("127.0.0.1:0".parse().expect("addr"), sim.clone())
            .await
            .expect("bind");
    (sim, addr, server)
}

/// Reads holding registers with tokio-modbus directly.
pub async fn holding(addr: SocketAddr, start: u16, count: u16) -> Vec<u16> {
    let mut ctx = tokio_modbus::client::tcp::connect_slave(addr, Slave(1))
        .await
        .expect("connect");
    match ctx.read_holding_registers(start, count).await {
        Ok(Ok(words)) => words,
        other => panic!("direct read failed: {other:?}"),
    }
}

pub async fn coils(addr: SocketAddr, start: u16, count: u16) -> Vec<bool> {
    let mut ctx = tokio_modbus::client::tcp::connect_slave(addr, Slave(1))
        .await
        .expect("connect");
    match ctx.read_coils(start, count).await {
        Ok(Ok(mut bits)) => {
            bits.truncate(usize::from(count));
            bits
        }
        other => panic!("direct read failed: {other:?}"),
    }
}
