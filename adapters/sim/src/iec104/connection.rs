//! One TCP connection of the simulated outstation: a controlled-station [`Link104`] and a
//! [`Station`], driven by the socket, the link's timers and the spontaneous rate.
//!
//! The socket is written without ever blocking the loop: frames wait in a buffer that is
//! written whenever the socket takes them, while the link's timers keep running. Once that
//! buffer holds [`MAX_UNWRITTEN`] octets the loop stops reading (a client that does not read
//! cannot make it queue without bound), so the link's t3 and then t1 close a connection whose
//! client stopped reading.

use std::io;
use std::net::SocketAddr;

use fieldbridge_iec60870::link104::{Event, Link104, Role, State};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::Iec104Config;
use crate::outstation::Feed;

/// Octets waiting for the socket beyond which nothing more is read from it.
pub(crate) const MAX_UNWRITTEN: usize = 64 * 1024;

/// Serves one connection until the peer closes it or the link closes it.
pub(crate) async fn serve(
    mut stream: TcpStream,
    peer: SocketAddr,
    config: Iec104Config,
) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let (mut reader, mut writer) = stream.split();
    let started = Instant::now();
    let mut link = Link104::new(Role::Controlled, config.params, started.into_std())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let mut feed = Feed::new(config.station(), config.rate, started.into_std());
    let mut initialized = !config.end_of_init;
    let mut buf = vec![0u8; 4096];
    let mut unwritten: Vec<u8> = Vec::with_capacity(4096);
    loop {
        let now = Instant::now();
        // Replies first, then spontaneous changes, while the window (k) allows.
        while link.can_send() {
            let Some(asdu) = feed.next(now.into_std()) else {
                break;
            };
            // Only an ASDU too long for an I frame fails here (the window has room).
            if let Err(error) = link.send_asdu(&asdu, now.into_std()) {
                tracing::error!(%peer, %error, "iec104 simulator: ASDU not sent");
            }
        }
        while let Some(frame) = link.poll_transmit() {
            unwritten.extend_from_slice(frame.as_bytes());
        }
        if link.state() == State::Closed {
            tracing::info!(%peer, reason = ?link.close_reason(), sent = feed.changes, "iec104 simulator: link closed");
            return Ok(());
        }
        // Wake for the link's timers, and for the next change when the window has room.
        let mut wake = link.poll_timeout().map(Instant::from_std);
        if let (true, Some(change)) = (link.can_send(), feed.next_change()) {
            let change = Instant::from_std(change);
            wake = Some(wake.map_or(change, |w| w.min(change)));
        }
        let timer = async {
            match wake {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            written = writer.write(&unwritten), if !unwritten.is_empty() => {
                let n = written?;
                if n == 0 {
                    return Err(io::ErrorKind::WriteZero.into());
                }
                unwritten.drain(..n.min(unwritten.len()));
            }
            read = reader.read(&mut buf), if unwritten.len() < MAX_UNWRITTEN => {
                let n = read?;
                if n == 0 {
                    tracing::info!(%peer, sent = feed.changes, "iec104 simulator: peer closed the connection");
                    return Ok(());
                }
                let now = Instant::now();
                let data = buf.get(..n).unwrap_or_default();
                link.on_bytes(data, now.into_std(), |event| match event {
                    Event::Received(asdu) => feed.handle(asdu, now.into_std()),
                    Event::Started => {
                        tracing::info!(%peer, "iec104 simulator: data transfer started");
                        // End of initialization once, ahead of anything else of this start.
                        if !initialized {
                            initialized = true;
                            feed.end_of_init();
                        }
                    }
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
