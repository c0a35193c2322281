//! Balanced transmission: one station B on a full-duplex line, primary and secondary at once
//! (IEC 60870-5-101 clause 6.1, IEC 60870-5-2 clause 5.2).

use std::io;

use fieldbridge_iec60870::link101::{Balanced, Event, Station};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;

use super::line::{Line, Woken};
use super::Iec101Config;
use crate::outstation::Feed;

/// Serves station B with the first link address of `config` on `stream` until it fails or
/// ends.
pub(super) async fn serve<S: AsyncRead + AsyncWrite>(
    stream: S,
    config: &Iec101Config,
) -> io::Result<()> {
    let params = config.params();
    let own = config.link_addresses.first().copied().unwrap_or(0);
    let now = Instant::now();
    let mut link = Balanced::new(
        params,
        Station::B,
        own,
        config.remote_address,
        now.into_std(),
    )
    .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let mut feed = Feed::new(config.station(own), config.rate, now.into_std());
    let mut initialized = false;
    let mut line = Line::new(stream);
    loop {
        let now = Instant::now();
        // The station's ASDUs go only over a link that is up, so end of initialization is
        // the first of them and nothing waits in a queue for a link that is down.
        while link.is_up() && link.queued() < params.queue_len {
            let Some(asdu) = feed.next(now.into_std()) else {
                break;
            };
            if let Err(error) = link.send(&asdu) {
                tracing::error!(%error, "iec101 simulator: ASDU not queued");
            }
        }
        while let Some(frame) = link.poll_transmit(now.into_std()) {
            line.send(frame.as_bytes());
        }
        let mut wake = link.poll_timeout().map(Instant::from_std);
        if link.is_up() && link.queued() < params.queue_len && !feed.has_replies() {
            if let Some(change) = feed.next_change().map(Instant::from_std) {
                wake = Some(wake.map_or(change, |w| w.min(change)));
            }
        }
        let mut on_event = |event: Event<'_>| match event {
            Event::UserData { asdu, .. } => feed.handle(asdu, Instant::now().into_std()),
            Event::LinkUp { address } => {
                tracing::info!(address, "iec101 simulator: link up");
                if !initialized {
                    initialized = true;
                    if config.end_of_init {
                        feed.end_of_init();
                    }
                }
            }
            Event::LinkDown { address } => {
                tracing::info!(address, "iec101 simulator: link down");
            }
            Event::Discarded { bytes, error } => {
                tracing::debug!(bytes, ?error, "iec101 simulator: discarded");
            }
            _ => {}
        };
        match line.wait(wake).await? {
            Woken::Read(data) => link.on_bytes(data, Instant::now().into_std(), &mut on_event),
            Woken::Timer => link.on_timeout(Instant::now().into_std(), &mut on_event),
            Woken::Written => {}
        }
    }
}
