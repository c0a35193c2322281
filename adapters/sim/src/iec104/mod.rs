//! An IEC 60870-5-104 outstation simulator (controlled station): `fieldbridge simulate iec104`.
//!
//! Every TCP connection gets its own [`Link104`](fieldbridge_iec60870::link104::Link104) in the
//! controlled role and its own station ([`outstation`](crate::outstation), shared with the 101
//! simulator) with one common address: points of every monitoring type
//! ([`POINTS`]), animated from their own change counts and sent spontaneously (COT 3) at
//! [`Rate`], general and group interrogation, counter interrogation, read, clock
//! synchronization, and commands ([`COMMANDS`]) executed directly or with select-before-operate.
//! The point table is in adapters/sim/README.md.
//!
//! Each point's value counts its own changes since the connection opened (the float at IOA 320
//! reads 1.0, 2.0, 3.0, ...), so a client can check that no spontaneous change was lost.
//! Spontaneous changes are made only when the window (k) has room: a peer that stops
//! acknowledging stops the changes, never the link's own service (TESTFR, S frames). Writing
//! to the socket never holds up the link's timers: a client that stops reading still has its
//! link tested and timed out (t1, t3).
//!
//! After the first STARTDT of a connection the station sends end of initialization (M_EI_NA_1,
//! COT 4) once, unless [`Iec104Config::end_of_init`] is false.

mod connection;

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use fieldbridge_iec60870::link104::Params;
use fieldbridge_iec60870::AsduConfig;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use crate::outstation::points;
pub use crate::outstation::{CommandSpec, Kind, PointSpec, Rate, COMMANDS, POINTS};
use crate::outstation::{Settings, Station};

/// The longest ASDU of an I frame (IEC 60870-5-104 clause 5: an APDU of at most 255 octets).
const MAX_ASDU: usize = 249;

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
    /// Send end of initialization (M_EI_NA_1, COT 4) once, after the first STARTDT of a
    /// connection (default true).
    pub end_of_init: bool,
    /// A time-tagged command (58..=64) whose CP56Time2a is older than this by the station's
    /// clock, or invalid, is refused with a negative actcon (default 10 s).
    pub max_command_age: Duration,
}

impl Iec104Config {
    /// A station with these settings and the 104 profile.
    pub(crate) fn station(&self) -> Station {
        Station::new(Settings {
            asdu: AsduConfig::IEC104,
            max_asdu: MAX_ASDU,
            common_address: self.common_address,
            select_timeout: self.select_timeout,
            max_command_age: self.max_command_age,
            points: self.points.clone(),
        })
    }
}

impl Default for Iec104Config {
    fn default() -> Self {
        Self {
            params: Params::default(),
            common_address: 1,
            rate: Rate::PerSecond(1),
            select_timeout: Duration::from_secs(10),
            points: None,
            end_of_init: true,
            max_command_age: Duration::from_secs(10),
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
