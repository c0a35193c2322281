//! The observability endpoint: `GET /metrics` (Prometheus text), `/health` (the bridge runs) and
//! `/ready` (the broker link is up), served by axum; the metrics are encoded by prometheus-client.
//!
//! One [`Registry`] holds one collector, [`Observed`], which reads the counters at each scrape: the
//! hot paths keep their atomics. Every response says `Connection: close`, so hyper closes the
//! connection after it (one request per connection: no idle keep-alive connections pile up).

use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::extract::State;
use axum::http::header::{CONNECTION, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use fieldbridge_core::command::CommandStats;
use fieldbridge_core::metrics::{self, Collector, DescriptorEncoder, Registry};
use fieldbridge_core::publisher::{DeliveryStats, LinkStatus};
use fieldbridge_core::source::SourceStats;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::error::Error;

/// One source as the endpoint lists it: its name, protocol family (the `protocol` label) and
/// counters.
pub(crate) type ObservedSource = (Arc<str>, &'static str, Arc<SourceStats>);

/// The running sources, in configuration order; a reload replaces the list.
#[derive(Debug, Clone, Default)]
pub(crate) struct SourceList(Arc<RwLock<Vec<ObservedSource>>>);

impl SourceList {
    /// Replaces the list (a reload: sources added, removed, restarted).
    pub(crate) fn replace(&self, sources: Vec<ObservedSource>) {
        // A panic while the lock was held cannot leave a half-written Vec: the list is replaced whole.
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = sources;
    }

    pub(crate) fn snapshot(
        &self,
    ) -> Vec<(
        Arc<str>,
        &'static str,
        fieldbridge_core::source::StatsSnapshot,
    )> {
        self.0
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(d, family, s)| (d.clone(), *family, s.snapshot()))
            .collect()
    }
}

/// Configuration reloads (SIGHUP), by result.
#[derive(Debug, Default)]
pub(crate) struct Reloads {
    /// Reloads whose file was checked and applied.
    pub(crate) applied: AtomicU64,
    /// Reloads whose file had mistakes: the running configuration stayed.
    pub(crate) refused: AtomicU64,
}

impl Reloads {
    fn encode(&self, encoder: &mut DescriptorEncoder<'_>) -> fmt::Result {
        let mut family = metrics::counter_family(
            encoder,
            "fieldbridge_config_reloads_total",
            "Configuration reloads (SIGHUP), by result: applied, or refused for mistakes in the file.",
        )?;
        for (result, n) in [("applied", &self.applied), ("refused", &self.refused)] {
            metrics::sample(
                &mut family,
                &[("result", result)],
                n.load(Ordering::Relaxed),
            )?;
        }
        Ok(())
    }
}

/// What the endpoint reports.
#[derive(Debug, Clone)]
pub(crate) struct Observed {
    pub(crate) delivery: Arc<DeliveryStats>,
    pub(crate) link: watch::Receiver<LinkStatus>,
    /// The running sources.
    pub(crate) sources: SourceList,
    /// The command router's counters, when commands are enabled.
    pub(crate) commands: Option<Arc<CommandStats>>,
    /// Configuration reloads.
    pub(crate) reloads: Arc<Reloads>,
}

impl Collector for Observed {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        let link = *self.link.borrow();
        self.delivery.encode(link, &mut encoder)?;
        if let Some(commands) = &self.commands {
            commands.encode(&mut encoder)?;
        }
        self.reloads.encode(&mut encoder)?;
        let owned = self.sources.snapshot();
        let snapshots: Vec<_> = owned
            .iter()
            .map(|(d, family, s)| (d.as_ref(), *family, *s))
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
            "fieldbridge_source_dropped_total",
            "Field values not published by configuration (unlisted objects with only_listed).",
        )?;
        for (device, protocol, s) in &snapshots {
            let labels = [("device", *device), ("protocol", *protocol)];
            metrics::sample(&mut family, &labels, s.dropped)?;
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

/// The handlers' state.
#[derive(Debug, Clone)]
struct Endpoint {
    registry: Arc<Registry>,
    link: watch::Receiver<LinkStatus>,
    /// For `/ready`: whether `data_dir` takes what the bridge writes.
    delivery: Arc<DeliveryStats>,
}

/// Binds `listen` and serves until the task is dropped.
pub(crate) async fn serve(
    listen: SocketAddr,
    observed: Observed,
) -> Result<tokio::task::JoinHandle<()>, Error> {
    Ok(serve_on(bind(listen).await?, observed))
}

/// Binds the endpoint's address, so that a reload moves the endpoint only once the new address is
/// taken.
pub(crate) async fn bind(listen: SocketAddr) -> Result<TcpListener, Error> {
    TcpListener::bind(listen).await.map_err(|e| Error::Io {
        what: format!("metrics endpoint on {listen}"),
        source: e,
    })
}

/// Serves on a bound listener until the task is dropped.
pub(crate) fn serve_on(listener: TcpListener, observed: Observed) -> tokio::task::JoinHandle<()> {
    let listen = listener
        .local_addr()
        .map_or_else(|e| e.to_string(), |a| a.to_string());
    tracing::info!(%listen, "metrics and health endpoint listening");
    let link = observed.link.clone();
    let delivery = Arc::clone(&observed.delivery);
    let mut registry = Registry::default();
    registry.register_collector(Box::new(observed));
    let app = router(Endpoint {
        registry: Arc::new(registry),
        link,
        delivery,
    });
    tokio::spawn(accept_loop(listener, app, CONNECTION_DEADLINE))
}

/// How long one connection may take, request and answer: a scrape takes milliseconds, and a client
/// that connects and sends nothing must not hold a file descriptor for long.
const CONNECTION_DEADLINE: Duration = Duration::from_secs(10);

/// Accepts connections until the task is dropped. A failed accept other than a connection reset
/// or refused before it was taken (out of file descriptors: EMFILE, ENFILE) is logged and followed
/// by a second's pause, never retried in a hot loop.
async fn accept_loop(listener: TcpListener, app: Router, deadline: Duration) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) if is_transient(&e) => continue,
            Err(e) => {
                tracing::warn!(error = %e, "metrics endpoint cannot accept; retrying in 1 s");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let connection = hyper::server::conn::http1::Builder::new()
                .keep_alive(false)
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            // Dropping the connection at the deadline closes it, whatever the client does.
            let _ = tokio::time::timeout(deadline, connection).await;
        });
    }
}

fn is_transient(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}

fn router(endpoint: Endpoint) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .route("/health", get(health))
        .route("/ready", get(ready))
        .fallback(not_found)
        .layer(axum::middleware::map_response(close))
        .with_state(endpoint)
}

async fn close(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    response
}

async fn scrape(State(endpoint): State<Endpoint>) -> Response {
    match metrics::encode(&endpoint.registry) {
        Ok(text) => ([(CONTENT_TYPE, metrics::CONTENT_TYPE)], text).into_response(),
        Err(fmt::Error) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn health() -> Response {
    json(StatusCode::OK, r#"{"status":"ok"}"#)
}

/// Ready: the broker link is up and `data_dir` takes every write. Not ready names what is not
/// (`broker`, and `storage` with the kind of disk fault while an operation keeps failing).
async fn ready(State(endpoint): State<Endpoint>) -> Response {
    let connected = endpoint.link.borrow().connected;
    let storage = endpoint.delivery.storage.problem();
    let ready = connected && storage.is_none();
    let body = serde_json::json!({
        "status": if ready { "ready" } else { "not ready" },
        "broker": if connected { "connected" } else { "disconnected" },
        "storage": storage.as_ref().map_or_else(
            || serde_json::json!("ok"),
            |p| serde_json::json!({"fault": p.kind, "operation": p.operation, "error": p.message}),
        ),
    });
    let code = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    json(code, &body.to_string())
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(CONTENT_TYPE, "text/plain")],
        "try /metrics, /health or /ready\n",
    )
        .into_response()
}

fn json(status: StatusCode, body: &str) -> Response {
    (
        status,
        [(CONTENT_TYPE, "application/json")],
        body.to_owned(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    use super::*;

    async fn endpoint(deadline: Duration) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (_tx, link) = watch::channel(LinkStatus::default());
        let app = router(Endpoint {
            registry: Arc::new(Registry::default()),
            link,
            delivery: Arc::default(),
        });
        tokio::spawn(accept_loop(listener, app, deadline));
        addr
    }

    #[tokio::test]
    async fn a_client_that_sends_nothing_is_closed_at_the_deadline_and_others_are_served() {
        let addr = endpoint(Duration::from_millis(300)).await;
        let mut silent = TcpStream::connect(addr).await.expect("connect");
        let mut ok = TcpStream::connect(addr).await.expect("connect");
        ok.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .expect("send");
        let mut answer = String::new();
        ok.read_to_string(&mut answer).await.expect("read");
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.ends_with(r#"{"status":"ok"}"#), "{answer}");
        // The silent one is closed by the endpoint: end of stream, within a few deadlines.
        let mut buf = [0u8; 16];
        let read = tokio::time::timeout(Duration::from_secs(3), silent.read(&mut buf)).await;
        assert!(matches!(read, Ok(Ok(0))), "{read:?}");
    }
}
