//! The observability endpoint: `GET /metrics` (Prometheus text), `/health` (the bridge runs) and
//! `/ready` (the broker link is up). A small HTTP/1.1 responder: three fixed routes, one request per
//! connection, no body read. The metrics are encoded by prometheus-client: one [`Registry`] holds
//! one collector, [`Observed`], which reads the counters at each scrape (the hot paths keep their
//! atomics).

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use fieldbridge_core::command::CommandStats;
use fieldbridge_core::metrics::{self, Collector, DescriptorEncoder, Registry};
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

impl Collector for Observed {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        let link = *self.link.borrow();
        self.delivery.encode(link, &mut encoder)?;
        if let Some(commands) = &self.commands {
            commands.encode(&mut encoder)?;
        }
        let snapshots: Vec<_> = self
            .sources
            .iter()
            .map(|(d, family, s)| (d.as_ref(), *family, s.snapshot()))
            .collect();
        let mut family = metrics::counter_family(
            &mut encoder,
            "fieldbridge_source_requests_total",
            "Field requests sent (retries included).",
        )?;
        for (device, protocol, s) in &snapshots {
            let labels = [("device", *device), ("protocol", *protocol)];
            metrics::sample(&mut family, &labels, s.requests)?;
        }
        let mut family = metrics::counter_family(
            &mut encoder,
            "fieldbridge_source_reconnects_total",
            "Field connection attempts after the first.",
        )?;
        for (device, protocol, s) in &snapshots {
            let labels = [("device", *device), ("protocol", *protocol)];
            metrics::sample(&mut family, &labels, s.reconnects)?;
        }
        let mut family = metrics::counter_family(
            &mut encoder,
            "fieldbridge_source_writes_total",
            "Commands written to the field, by result (confirmed by read-back, or not).",
        )?;
        for (device, protocol, s) in &snapshots {
            for (result, n) in [
                ("confirmed", s.writes.saturating_sub(s.write_failures)),
                ("failed", s.write_failures),
            ] {
                let labels = [
                    ("device", *device),
                    ("protocol", *protocol),
                    ("result", result),
                ];
                metrics::sample(&mut family, &labels, n)?;
            }
        }
        let mut family = metrics::counter_family(
            &mut encoder,
            "fieldbridge_protocol_errors_total",
            "Field protocol errors by kind.",
        )?;
        for (device, protocol, s) in &snapshots {
            for (kind, n) in [
                ("timeout", s.timeouts),
                ("exception", s.exceptions),
                ("decode", s.decode_errors),
            ] {
                let labels = [("device", *device), ("protocol", *protocol), ("kind", kind)];
                metrics::sample(&mut family, &labels, n)?;
            }
        }
        Ok(())
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
    let link = observed.link.clone();
    let mut registry = Registry::default();
    registry.register_collector(Box::new(observed));
    let registry = Arc::new(registry);
    Ok(tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let (registry, link) = (Arc::clone(&registry), link.clone());
            tokio::spawn(async move {
                let _ =
                    tokio::time::timeout(Duration::from_secs(5), answer(stream, &registry, &link))
                        .await;
            });
        }
    }))
}

async fn answer(
    mut stream: TcpStream,
    registry: &Registry,
    link: &watch::Receiver<LinkStatus>,
) -> std::io::Result<()> {
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
    let connected = link.borrow().connected;
    let (status, kind, body) = match path {
        "/metrics" => match metrics::encode(registry) {
            Ok(text) => ("200 OK", metrics::CONTENT_TYPE, text),
            Err(fmt::Error) => ("500 Internal Server Error", "text/plain", String::new()),
        },
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
