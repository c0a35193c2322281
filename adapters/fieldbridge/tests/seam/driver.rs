//! A protocol that exists only in tests, registered through the source seam: it stands in for the
//! IEC 104 master (it reads `iec104` sources) and keeps a link alive the way one must.
//!
//! The field link is a line protocol over TCP, spoken by the test's peer:
//! - peer → source: `DATA <n> <ioa> <value>` (field data, numbered), `PING <n>` (a keep-alive),
//!   `DONE <command id>` (a command's confirmation);
//! - source → peer: `PONG <n>` at once, `ACK <n>` once data up to `n` is in the point stream
//!   (cumulative, like an IEC 104 S-frame), `CMD <id> <ioa> <value JSON> <params JSON>`.
//!
//! The peer sends data only while fewer than `k` are unacknowledged, as an outstation does.

use std::collections::HashMap;
use std::sync::Arc;

use fieldbridge_core::command::{CommandRequest, FieldReply, Outcome};
use fieldbridge_core::config::{IecPoint, SourceConfig, SourceKind};
use fieldbridge_core::event::{DeviceMeta, DeviceState, PointMeta, SourceEvent};
use fieldbridge_core::point::{IecAddress, Quality, Reading, SampleFacts, SourceAddress, Value};
use fieldbridge_core::source::{Counter, Driver, Handoff, SourceContext, SourceTask};
use fieldbridge_core::time::Timestamp;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// The test protocol's driver.
pub struct LineDriver;

impl Driver for LineDriver {
    fn family(&self) -> &'static str {
        "test-line"
    }

    fn protocols(&self) -> &'static [&'static str] {
        &["iec104"]
    }

    fn command_params(&self) -> &'static [&'static str] {
        &["qualifier"]
    }

    fn start(&self, source: SourceConfig, context: SourceContext) -> SourceTask {
        let SourceKind::Iec104(config) = source.kind else {
            return Box::pin(async {});
        };
        let address = config.addresses.first().cloned().unwrap_or_default();
        let k = usize::from(config.link.k);
        Box::pin(run(address, k, config.master.points, context))
    }
}

fn address(p: &IecPoint) -> SourceAddress {
    SourceAddress::Iec104(IecAddress {
        common_address: p.common_address,
        ioa: p.ioa,
    })
}

async fn run(link: String, k: usize, points: Vec<IecPoint>, mut ctx: SourceContext) {
    let meta = DeviceMeta {
        device: ctx.name.clone(),
        protocol: "iec104",
        points: points
            .iter()
            .map(|p| PointMeta {
                name: p.name.clone(),
                unit: p.unit.clone(),
                writable: p.writable,
                source: address(p),
            })
            .collect(),
    };
    if ctx
        .events
        .send(SourceEvent::DeviceMeta(meta))
        .await
        .is_err()
    {
        return;
    }
    let Ok(stream) = TcpStream::connect(&link).await else {
        return;
    };
    let state = SourceEvent::DeviceState(DeviceState {
        device: ctx.name.clone(),
        online: true,
        reason: None,
        since: Timestamp::now(),
    });
    if ctx.events.send(state).await.is_err() {
        return;
    }
    let by_ioa: HashMap<u32, IecPoint> = points.into_iter().map(|p| (p.ioa, p)).collect();
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    let mut handoff: Handoff<u64> = Handoff::new(k);
    let mut pending: HashMap<String, CommandRequest> = HashMap::new();
    let events = ctx.events.clone();
    loop {
        let out = tokio::select! {
            // Room in the point stream: hand over, then acknowledge to the field.
            permit = events.reserve(), if !handoff.is_empty() => {
                let Ok(permit) = permit else { return };
                handoff.deliver(permit, &events).map(|n| format!("ACK {n}\n"))
            }
            // The link is always read: keep-alives are answered whatever the point stream does.
            line = lines.next_line() => {
                let Ok(Some(line)) = line else { return };
                ctx.stats.bump(Counter::Responses);
                handle(&line, &ctx.name, &by_ioa, &mut handoff, &mut pending)
            }
            Some(request) = ctx.commands.recv() => {
                let c = &request.command;
                let ioa = by_ioa.values().find(|p| p.name == c.point).map_or(0, |p| p.ioa);
                let line = format!(
                    "CMD {} {ioa} {} {}\n",
                    c.id,
                    c.value.to_json(),
                    serde_json::Value::Object(c.params.clone())
                );
                ctx.stats.bump(Counter::Writes);
                pending.insert(c.id.to_string(), request);
                Some(line)
            }
        };
        if let Some(out) = out {
            ctx.stats.bump(Counter::Requests);
            if write.write_all(out.as_bytes()).await.is_err() {
                return;
            }
        }
    }
}

/// One line from the peer; returns what to send back at once.
fn handle(
    line: &str,
    device: &Arc<str>,
    by_ioa: &HashMap<u32, IecPoint>,
    handoff: &mut Handoff<u64>,
    pending: &mut HashMap<String, CommandRequest>,
) -> Option<String> {
    let mut words = line.split_whitespace();
    match (words.next(), words.next(), words.next(), words.next()) {
        (Some("PING"), Some(n), _, _) => Some(format!("PONG {n}\n")),
        (Some("DATA"), Some(n), Some(ioa), Some(value)) => {
            let n: u64 = n.parse().ok()?;
            let point = by_ioa.get(&ioa.parse().ok()?)?;
            let reading = Reading {
                device: device.clone(),
                point: point.name.clone(),
                value: Value::Int(value.parse().ok()?),
                quality: Quality::GOOD,
                ts: None,
                received: Timestamp::now(),
                unit: point.unit.clone(),
                source: address(point),
                facts: SampleFacts {
                    type_id: Some(13),
                    cot: Some(3),
                    ..SampleFacts::default()
                },
            };
            handoff.push(SourceEvent::Reading(reading), Some(n));
            None
        }
        (Some("DONE"), Some(id), _, _) => {
            if let Some(request) = pending.remove(id) {
                let reply = FieldReply::success("line CMD");
                let _ = request.reply.send(reply);
            }
            None
        }
        (Some("FAIL"), Some(id), _, _) => {
            if let Some(request) = pending.remove(id) {
                let reply = FieldReply::not_done(Outcome::Failed, "negative confirmation");
                let _ = request.reply.send(reply);
            }
            None
        }
        _ => None,
    }
}
