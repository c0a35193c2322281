//! Unbalanced transmission: one secondary station per link address on the line, each with its
//! own station, answering the controlling station's polls (IEC 60870-5-101 clause 6.1,
//! IEC 60870-5-2 clause 5.1).

use std::io;

use fieldbridge_iec60870::link101::{Event, UnbalancedSecondary};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;

use super::line::{Line, Woken};
use super::Iec101Config;
use crate::outstation::Feed;

/// One secondary on the line.
struct Secondary {
    link: UnbalancedSecondary,
    feed: Feed,
    /// Whether the controlling station reset the link once: from then on the station's data
    /// go to class 1.
    reset: bool,
}

impl Secondary {
    /// Moves the station's ASDUs into class 1 while it has room.
    fn fill(&mut self, now: Instant, queue_len: usize) {
        if !self.reset {
            return;
        }
        while self.link.queued().0 < queue_len {
            let Some(asdu) = self.feed.next(now.into_std()) else {
                return;
            };
            if let Err(error) = self.link.push_class1(&asdu) {
                let address = self.link.address();
                tracing::error!(address, %error, "iec101 simulator: ASDU not queued");
            }
        }
    }

    /// When the station's next change falls due, if class 1 has room for it.
    fn wake(&self, queue_len: usize) -> Option<Instant> {
        let room = self.reset && self.link.queued().0 < queue_len;
        room.then(|| self.feed.next_change().map(Instant::from_std))
            .flatten()
    }
}

/// Serves the secondaries of `config.link_addresses` on `stream` until it fails or ends.
pub(super) async fn serve<S: AsyncRead + AsyncWrite>(
    stream: S,
    config: &Iec101Config,
) -> io::Result<()> {
    let params = config.params();
    let now = Instant::now();
    let mut secondaries = Vec::with_capacity(config.link_addresses.len());
    for &address in &config.link_addresses {
        let link = UnbalancedSecondary::new(params, address)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        secondaries.push(Secondary {
            link,
            feed: Feed::new(config.station(address), config.rate, now.into_std()),
            reset: false,
        });
    }
    let mut line = Line::new(stream);
    let queue_len = params.queue_len;
    loop {
        let now = Instant::now();
        for secondary in &mut secondaries {
            secondary.fill(now, queue_len);
            while let Some(frame) = secondary.link.poll_transmit() {
                line.send(frame.as_bytes());
            }
        }
        let wake = secondaries.iter().filter_map(|s| s.wake(queue_len)).min();
        let Woken::Read(data) = line.wait(wake).await? else {
            continue;
        };
        let now = Instant::now();
        for Secondary { link, feed, reset } in &mut secondaries {
            let address = link.address();
            link.on_bytes(data, |event| match event {
                Event::UserData { asdu, .. } => feed.handle(asdu, now.into_std()),
                Event::ResetByRemote { .. } => {
                    tracing::info!(address, "iec101 simulator: link reset");
                    if !*reset {
                        *reset = true;
                        if config.end_of_init {
                            feed.end_of_init();
                        }
                    }
                }
                Event::Discarded { bytes, error } => {
                    tracing::debug!(address, bytes, ?error, "iec101 simulator: discarded");
                }
                _ => {}
            });
        }
    }
}
