//! The observability endpoint: `GET /metrics` (Prometheus text), `/health` (the bridge runs) and
//! `/ready` (the broker link is up). A small HTTP/1.1 responder: three fixed routes, one request per
//! connection, no body read; a web framework would add far more than it brings here.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use fieldbridge_core::command::CommandStats;
use fieldbridge_core::metrics::MetricsText;
use fieldbridge_core::publisher::{DeliveryStats, LinkStatus};
use fieldbridge_core::source::SourceStats;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::error::Error;

/// What the endpoint reports.
#[derive(Debug, Clone)]
pub(crate) struct Observed {
    pub(crate) delivery: Arc<DeliveryStats>,
    pub(crate) link: watch::Receiver<LinkStatus>,
    /// Each source's name, protocol family (the `protocol` label) and counters.
    pub(crate) sources: Vec<(Arc<str>, &'static str, Arc<SourceStats>)>,
    /// The command router's counters, when commands are enabled.
    pub(crate) commands: Option<Arc<CommandStats>>,
}

impl Observed {
    /// The whole Prometheus document.
    pub(crate) fn render(&self) -> String {
        let mut out = MetricsText::default();
        self.delivery.render(*self.link.borrow(), &mut out);
        if let Some(commands) = &self.commands {
            commands.render(&mut out);
        }
        let snapshots: Vec<_> = self
            .sources
            .iter()
            .map(|(d, family, s)| (d.as_ref(), *family, s.snapshot()))
            .collect();
        out.header(
            "fieldbridge_source_requests_total",
            "Field requests sent (retries included).",
            "counter",
        );
        for (device, protocol, s) in &snapshots {
            out.labelled(
                "fieldbridge_source_requests_total",
                &[("device", device), ("protocol", protocol)],
                s.requests,
            );
        }
        out.header(
            "fieldbridge_source_reconnects_total",
            "Field connection attempts after the first.",
            "counter",
        );
        for (device, protocol, s) in &snapshots {
            out.labelled(
                "fieldbridge_source_reconnects_total",
                &[("device", device), ("protocol", protocol)],
                s.reconnects,
            );
        }
        out.header(
            "fieldbridge_source_writes_total",
            "Commands written to the field, by result (confirmed by read-back, or not).",
            "counter",
        );
        for (device, protocol, s) in &snapshots {
            for (result, n) in [
                ("confirmed", s.writes.saturating_sub(s.write_failures)),
                ("failed", s.write_failures),
            ] {
                out.labelled(
                    "fieldbridge_source_writes_total",
                    &[
                        ("device", device),
                        ("protocol", protocol),
                        ("result", result),
                    ],
                    n,
                );
            }
        }
        out.header(
            "fieldbridge_protocol_errors_total",
            "Field protocol errors by kind.",
            "counter",
        );
        for (device, protocol, s) in &snapshots {
            for (kind, n) in [
                ("timeout", s.timeouts),
                ("exception", s.exceptions),
                ("decode", s.decode_errors),
            ] {
                out.labelled(
                    "fieldbridge_protocol_errors_total",
                    &[("device", device), ("protocol", protocol), ("kind", kind)],
                    n,
                );
            }
        }
        out.finish()
    }
}

/// Binds `listen` and serves until the task is dropped.
pub(crate) async fn serve(
    listen: SocketAddr,
    observed: Observed,
) -> Result<tokio::task::JoinHandle<()>, Error> {
    let listener = TcpListener::bind(listen).await.map_err(|e| Error::Io {
        what: format!("metrics endpoint on {listen}"),
        source: e,
    })?;
    tracing::info!(%listen, "metrics and health endpoint listening");
    Ok(tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let observed = observed.clone();
            tokio::spawn(async move {
                let _ =
                    tokio::time::timeout(Duration::from_secs(5), answer(stream, &observed)).await;
            });
        }
    }))
}

async fn answer(mut stream: TcpStream, observed: &Observed) -> std::io::Result<()> {
    // Read until the request line is complete (a client may send it in pieces), 2 KiB at most.
    let mut buf = Vec::with_capacity(256);
    let mut chunk = [0u8; 512];
    while !buf.windows(2).any(|w| w == b"\r\n") && buf.len() < 2048 {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
    }
    let request = String::from_utf8_lossy(&buf);
    let path = request.split_whitespace().nth(1).unwrap_or("/");
    let connected = observed.link.borrow().connected;
    let (status, kind, body) = match path {
        "/metrics" => ("200 OK", "text/plain; version=0.0.4", observed.render()),
        "/health" => (
            "200 OK",
            "application/json",
            r#"{"status":"ok"}"#.to_owned(),
        ),
        "/ready" if connected => (
            "200 OK",
            "application/json",
            r#"{"status":"ready","broker":"connected"}"#.to_owned(),
        ),
        "/ready" => (
            "503 Service Unavailable",
            "application/json",
            r#"{"status":"not ready","broker":"disconnected"}"#.to_owned(),
        ),
        _ => (
            "404 Not Found",
            "text/plain",
            "try /metrics, /health or /ready\n".to_owned(),
        ),
    };
    let head = format!("HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.shutdown().await
}
