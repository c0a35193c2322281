//! An IEC 60870-5-104 outstation simulator (controlled station): `fieldbridge simulate iec104`.
//!
//! Every TCP connection gets its own [`Link104`](fieldbridge_iec60870::link104::Link104) in the
//! controlled role and its own station with one common address: points of every monitoring type
//! ([`POINTS`]), animated from their own change counts and sent spontaneously (COT 3) at
//! [`Rate`], general and group interrogation, counter interrogation, read, clock
//! synchronization, and commands ([`COMMANDS`]) executed directly or with select-before-operate.
//! The point table is in adapters/sim/README.md.
//!
//! Each point's value counts its own changes since the connection opened (the float at IOA 320
//! reads 1.0, 2.0, 3.0, ...), so a client can check that no spontaneous change was lost.
//! Spontaneous changes are made only when the window (k) has room: a peer that stops
//! acknowledging stops the changes, never the link's own service (TESTFR, S frames).

mod clock;
mod connection;
pub mod points;
mod station;

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use fieldbridge_iec60870::link104::Params;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use points::{CommandSpec, Kind, PointSpec, COMMANDS, POINTS};

/// How often the simulator changes a point spontaneously.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rate {
    /// No spontaneous changes.
    Off,
    /// This many changes per second (one ASDU each).
    PerSecond(u32),
    /// As fast as the window (k) allows.
    Flood,
}

impl FromStr for Rate {
    type Err = String;

    /// `0` or `off`, a number of changes per second, or `flood`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "off" | "0" => Ok(Rate::Off),
            "flood" => Ok(Rate::Flood),
            n => n.parse::<u32>().map(Rate::PerSecond).map_err(|_| {
                format!("invalid rate {s:?}: expected a number per second, \"off\" or \"flood\"")
            }),
        }
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rate::Off => f.write_str("off"),
            Rate::PerSecond(n) => write!(f, "{n}"),
            Rate::Flood => f.write_str("flood"),
        }
    }
}

/// The simulator's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Iec104Config {
    /// k, w, t1, t2, t3 (the standard's defaults: 12, 8, 15 s, 10 s, 20 s).
    pub params: Params,
    /// The station's common address (default 1). Interrogations, counter interrogations and
    /// clock synchronizations to the broadcast address 65535 are answered too.
    pub common_address: u16,
    /// The spontaneous rate (default 1 per second).
    pub rate: Rate,
    /// How long a selected command point waits for its execute (default 10 s).
    pub select_timeout: Duration,
    /// Only these IOAs change spontaneously (default: every animated point of [`POINTS`]).
    pub points: Option<Vec<u32>>,
}

impl Default for Iec104Config {
    fn default() -> Self {
        Self {
            params: Params::default(),
            common_address: 1,
            rate: Rate::PerSecond(1),
            select_timeout: Duration::from_secs(10),
            points: None,
        }
    }
}

/// Binds `listen` (port 0 picks a free port) and serves the simulator on a spawned task.
/// Returns the bound address and the task (aborting it closes every connection).
///
/// # Errors
/// Binding fails, or the parameters are out of range.
pub async fn bind_iec104(
    listen: SocketAddr,
    config: Iec104Config,
) -> io::Result<(SocketAddr, JoinHandle<io::Result<()>>)> {
    config
        .params
        .check()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let listener = TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    Ok((addr, tokio::spawn(serve_iec104_listener(listener, config))))
}

/// Binds `listen` and serves the simulator until accepting fails.
///
/// # Errors
/// Binding or accepting fails, or the parameters are out of range.
pub async fn serve_iec104(listen: SocketAddr, config: Iec104Config) -> io::Result<()> {
    config
        .params
        .check()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    serve_iec104_listener(TcpListener::bind(listen).await?, config).await
}

/// Serves the simulator on a bound listener, one task per connection.
///
/// # Errors
/// Accepting fails.
pub async fn serve_iec104_listener(listener: TcpListener, config: Iec104Config) -> io::Result<()> {
    let addr = listener.local_addr()?;
    tracing::info!(%addr, common_address = config.common_address, rate = %config.rate, k = config.params.k, "iec104 simulator listening");
    loop {
        let (stream, peer) = listener.accept().await?;
        tracing::info!(%peer, "iec104 client connected");
        let config = config.clone();
        tokio::spawn(async move {
            if let Err(error) = connection::serve(stream, peer, config).await {
                tracing::info!(%peer, %error, "iec104 connection ended");
            }
        });
    }
}
