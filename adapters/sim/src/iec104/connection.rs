//! One TCP connection of the simulated outstation: a controlled-station [`Link104`] and a
//! [`Station`], driven by the socket, the link's timers and the spontaneous rate.

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use fieldbridge_iec60870::link104::{Event, Link104, Role, State};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::station::Station;
use super::{Iec104Config, Rate};

/// How far behind its schedule the spontaneous rate may fall (while k holds it back) before
/// the schedule restarts from now instead of catching up in a burst.
const MAX_LAG: Duration = Duration::from_secs(1);

/// Serves one connection until the peer closes it or the link closes it.
pub(crate) async fn serve(
    mut stream: TcpStream,
    peer: SocketAddr,
    config: Iec104Config,
) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let started = Instant::now();
    let mut link = Link104::new(Role::Controlled, config.params, started.into_std())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let mut station = Station::new(
        config.common_address,
        config.select_timeout,
        config.points.as_deref(),
    );
    let period = match config.rate {
        Rate::PerSecond(n) if n > 0 => Some(Duration::from_secs(1) / n),
        _ => None,
    };
    let spontaneous =
        station.has_spontaneous() && !matches!(config.rate, Rate::Off | Rate::PerSecond(0));
    let mut next_change = started;
    let mut replies: VecDeque<Vec<u8>> = VecDeque::new();
    let mut buf = vec![0u8; 4096];
    let mut wire = Vec::with_capacity(4096);
    let mut sent: u64 = 0;
    loop {
        let now = Instant::now();
        // Replies first, then spontaneous changes, while the window (k) allows.
        while link.can_send() {
            if let Some(asdu) = replies.pop_front() {
                // Only an ASDU too long for an I frame fails here (the window has room).
                if let Err(error) = link.send_asdu(&asdu, now.into_std()) {
                    tracing::error!(%peer, %error, "iec104 simulator: reply not sent");
                }
            } else if spontaneous && next_change <= now {
                let Some(asdu) = station.spontaneous() else {
                    break;
                };
                if link.send_asdu(&asdu, now.into_std()).is_err() {
                    break;
                }
                sent += 1;
                if let Some(period) = period {
                    next_change =
                        (next_change + period).max(now.checked_sub(MAX_LAG).unwrap_or(now));
                }
            } else {
                break;
            }
        }
        wire.clear();
        while let Some(frame) = link.poll_transmit() {
            wire.extend_from_slice(frame.as_bytes());
        }
        if !wire.is_empty() {
            stream.write_all(&wire).await?;
        }
        if link.state() == State::Closed {
            tracing::info!(%peer, reason = ?link.close_reason(), sent, "iec104 simulator: link closed");
            return Ok(());
        }
        // Wake for the link's timers, and for the next change when the window has room.
        let mut wake = link.poll_timeout().map(Instant::from_std);
        if spontaneous && link.can_send() && replies.is_empty() {
            wake = Some(wake.map_or(next_change, |w| w.min(next_change)));
        }
        let timer = async {
            match wake {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            read = stream.read(&mut buf) => {
                let n = read?;
                if n == 0 {
                    tracing::info!(%peer, sent, "iec104 simulator: peer closed the connection");
                    return Ok(());
                }
                let now = Instant::now();
                let data = buf.get(..n).unwrap_or_default();
                link.on_bytes(data, now.into_std(), |event| match event {
                    Event::Received(asdu) => station.handle(asdu, now.into_std(), &mut replies),
                    Event::Started => tracing::info!(%peer, "iec104 simulator: data transfer started"),
                    Event::Stopped => tracing::info!(%peer, "iec104 simulator: data transfer stopped"),
                    Event::Closed(reason) => tracing::warn!(%peer, ?reason, "iec104 simulator: closing"),
                    _ => {}
                });
            }
            () = timer => {
                if let Some(Event::Closed(reason)) = link.on_timeout(Instant::now().into_std()) {
                    tracing::warn!(%peer, ?reason, "iec104 simulator: closing");
                }
            }
        }
    }
}
