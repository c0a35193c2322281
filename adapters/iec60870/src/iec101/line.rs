//! The link layer of one serial line (IEC 60870-5-2 clause 5, IEC 60870-5-101 clause 6), over
//! the codec's sans-IO state machines: in unbalanced mode one [`UnbalancedPrimary`] per link
//! address taking turns on the half-duplex line, in balanced mode one [`Balanced`] station A.
//!
//! One primary per link address rather than one for all: the source decides per address when a
//! link that went down is started again (an exponential backoff, so that a dead outstation
//! does not take the line from the live ones every few seconds), and while the point stream is
//! full it starts no new exchange at all (`hold`), so the secondaries keep their class 1 and 2
//! data until there is room. An exchange already on the line always runs to its end: its
//! answer is read and its repetitions are sent, whatever the point stream does.
//!
//! User data are not queued in the codec ahead of time: [`Line::poll_transmit`] offers each
//! link address that could send user data at once (up, not busy, nothing queued, its turn on
//! the line) to the source, which hands over at most one ASDU, checked against its command's
//! deadline at that moment; the frame goes out in the same call. So nothing waits in the
//! codec to be sent after a deadline, after a DFC clears or after the next reset of the link.

use std::time::{Duration, Instant};

use fieldbridge_core::backoff::Backoff;
use fieldbridge_core::config::{Iec101Mode, Iec101Source};
use fieldbridge_iec60870::ft12::{AddressLen, LinkConfig};
use fieldbridge_iec60870::link101::{
    Balanced, Event, Params, ParamsError, SendError, SendId, Station, Transmit, UnbalancedPrimary,
};

/// The shortest wait before a link address that does not answer is asked again.
pub const RESTART_MIN: Duration = Duration::from_secs(1);
/// The longest.
pub const RESTART_MAX: Duration = Duration::from_secs(60);

/// The link parameters of a source (IEC 60870-5-101 clause 6 and the system parameters of
/// clause 8): the address length, the response timeout (`timeout`), the class 2 poll period
/// (`poll`), three repetitions, and the codec's defaults for the rest.
pub fn params(config: &Iec101Source) -> Params {
    let address_len = match config.sizes.link_address {
        0 => AddressLen::Zero,
        1 => AddressLen::One,
        _ => AddressLen::Two,
    };
    Params {
        link: LinkConfig::new(address_len),
        response_timeout: config.timeout,
        poll_interval: config.poll,
        // Unbalanced: a link that went down is started again by the source's backoff; the
        // codec only waits a poll period after a refused reset.
        link_retry: match config.mode {
            Iec101Mode::Unbalanced => config.poll,
            Iec101Mode::Balanced => Params::default().link_retry,
        },
        ..Params::default()
    }
}

/// What [`Line::poll_transmit`] asks for user data: the link address that can send now, and
/// the codec's `send` for it.
pub type Offer<'a> = dyn FnMut(u16, &mut dyn FnMut(&[u8]) -> Result<SendId, SendError>) + 'a;

/// One link address's primary, and when it may start its link again.
#[derive(Debug)]
pub struct Remote {
    address: u16,
    link: UnbalancedPrimary,
    /// While down: not before this instant.
    restart_at: Option<Instant>,
    backoff: Backoff,
}

impl Remote {
    /// Whether it may start a new exchange at `now`.
    fn may_start(&self, now: Instant) -> bool {
        self.link.is_up(self.address) == Some(true) || self.restart_at.is_none_or(|at| at <= now)
    }
}

/// The line's link layer.
#[derive(Debug)]
pub enum Line {
    /// Polled outstations, in turn.
    Unbalanced {
        /// One per link address, in the configured order.
        remotes: Vec<Remote>,
        /// The remote whose turn comes next.
        turn: usize,
        /// The remote with a request on the line.
        waiting: Option<usize>,
    },
    /// Balanced transmission with one outstation; `address` is the outstation's link address.
    Balanced {
        /// Our station A.
        link: Box<Balanced>,
        /// The outstation's link address.
        address: u16,
    },
}

impl Line {
    /// The line of `config`, every link down, at `now`.
    ///
    /// # Errors
    /// A link address the codec refuses (the parser checks them first).
    pub fn new(config: &Iec101Source, now: Instant) -> Result<Self, ParamsError> {
        let params = params(config);
        match config.mode {
            Iec101Mode::Unbalanced => {
                let remotes = config
                    .link_addresses
                    .iter()
                    .map(|&address| {
                        Ok(Remote {
                            address,
                            link: UnbalancedPrimary::new(params, &[address], now)?,
                            restart_at: None,
                            backoff: Backoff::new(RESTART_MIN, RESTART_MAX),
                        })
                    })
                    .collect::<Result<Vec<_>, ParamsError>>()?;
                Ok(Line::Unbalanced {
                    remotes,
                    turn: 0,
                    waiting: None,
                })
            }
            Iec101Mode::Balanced => {
                let address = config.link_address();
                let link =
                    Balanced::new(params, Station::A, config.own_link_address, address, now)?;
                Ok(Line::Balanced {
                    link: Box::new(link),
                    address,
                })
            }
        }
    }

    /// Whether the link to `address` is up.
    pub fn is_up(&self, address: u16) -> bool {
        match self {
            Line::Unbalanced { remotes, .. } => remotes
                .iter()
                .any(|r| r.address == address && r.link.is_up(address) == Some(true)),
            Line::Balanced { link, address: a } => *a == address && link.is_up(),
        }
    }

    /// Balanced: whether our answers say DFC (full). Unbalanced: nothing to say; the source
    /// passes `hold` to [`Line::poll_transmit`] instead.
    pub fn set_full(&mut self, full: bool) {
        if let Line::Balanced { link, .. } = self {
            link.set_full(full);
        }
    }

    /// Whether the outstation at `address` last answered with DFC = 1 (busy: no user data go
    /// to it).
    pub fn is_busy(&self, address: u16) -> bool {
        match self {
            Line::Unbalanced { remotes, .. } => remotes
                .iter()
                .any(|r| r.address == address && r.link.is_busy(address) == Some(true)),
            Line::Balanced { link, address: a } => *a == address && link.is_busy(),
        }
    }

    /// Discards the user data the link layer holds for `address` (the frame on the line
    /// stays: its answer or last repetition ends it); how many.
    pub fn clear(&mut self, address: u16) -> usize {
        match self {
            Line::Unbalanced { remotes, .. } => remotes
                .iter_mut()
                .find(|r| r.address == address)
                .and_then(|r| r.link.clear(address))
                .unwrap_or(0),
            Line::Balanced { link, address: a } if *a == address => link.clear(),
            Line::Balanced { .. } => 0,
        }
    }

    /// The next frame to write at `now`. With `hold` an unbalanced line starts no new exchange
    /// (the outstanding one is still repeated); a balanced line is never held (its answers must
    /// go out; the outstation is told DFC instead).
    ///
    /// A link address that can send user data right now (up, not busy, nothing queued, no
    /// request outstanding, and on an unbalanced line its turn) is first offered to `offer`,
    /// which may hand one ASDU to the link layer with the `send` it is given; that frame then
    /// goes out in this call (SEND/CONFIRM, FC 3).
    pub fn poll_transmit(
        &mut self,
        now: Instant,
        hold: bool,
        offer: &mut Offer<'_>,
    ) -> Option<Transmit> {
        match self {
            Line::Balanced { link, address } => {
                if link.is_up() && !link.is_busy() && link.queued() == 0 && !link.is_waiting() {
                    offer(*address, &mut |asdu| link.send(asdu));
                }
                link.poll_transmit(now)
            }
            Line::Unbalanced {
                remotes,
                turn,
                waiting,
            } => {
                if let Some(index) = *waiting {
                    return remotes.get_mut(index)?.link.poll_transmit(now);
                }
                if hold {
                    return None;
                }
                let n = remotes.len();
                for k in 0..n {
                    let index = (*turn + k) % n;
                    let Some(remote) = remotes.get_mut(index) else {
                        continue;
                    };
                    if !remote.may_start(now) {
                        continue;
                    }
                    let address = remote.address;
                    let link = &mut remote.link;
                    if link.is_up(address) == Some(true)
                        && link.is_busy(address) == Some(false)
                        && link.queued(address) == Some(0)
                    {
                        offer(address, &mut |asdu| link.send(address, asdu));
                    }
                    if let Some(frame) = remote.link.poll_transmit(now) {
                        *turn = (index + 1) % n;
                        if remote.link.is_waiting() {
                            *waiting = Some(index);
                        }
                        return Some(frame);
                    }
                }
                None
            }
        }
    }

    /// When [`Line::on_timeout`] or [`Line::poll_transmit`] must be called next; `None` when
    /// nothing is due (a held unbalanced line with nothing on it).
    pub fn poll_timeout(&self, hold: bool) -> Option<Instant> {
        match self {
            Line::Balanced { link, .. } => link.poll_timeout(),
            Line::Unbalanced {
                remotes, waiting, ..
            } => {
                if let Some(index) = *waiting {
                    return remotes.get(index)?.link.poll_timeout();
                }
                if hold {
                    return None;
                }
                remotes
                    .iter()
                    .filter_map(|r| {
                        let due = r.link.poll_timeout()?;
                        Some(match r.restart_at {
                            Some(at) if r.link.is_up(r.address) != Some(true) => due.max(at),
                            _ => due,
                        })
                    })
                    .min()
            }
        }
    }

    /// Runs the response timeout at `now`. Returns the link address whose exchange failed
    /// after every repetition (it does not answer: a link that was up went down, and
    /// [`Event::LinkDown`] was reported; a link that was down stays down); its next start is
    /// then backed off.
    pub fn on_timeout(&mut self, now: Instant, mut on_event: impl FnMut(Event<'_>)) -> Option<u16> {
        match self {
            Line::Balanced { link, address } => {
                let was_waiting = link.is_waiting();
                link.on_timeout(now, &mut on_event);
                (was_waiting && !link.is_waiting()).then_some(*address)
            }
            Line::Unbalanced {
                remotes, waiting, ..
            } => {
                let index = (*waiting)?;
                let remote = remotes.get_mut(index)?;
                remote.link.on_timeout(now, &mut on_event);
                if remote.link.is_waiting() {
                    return None;
                }
                *waiting = None;
                let delay = remote.backoff.next_delay();
                remote.restart_at = now.checked_add(delay);
                Some(remote.address)
            }
        }
    }

    /// Takes one read from the line at `now`: in unbalanced mode the bytes go to the primary
    /// waiting for its answer (bytes when none waits are reported as unexpected and dropped).
    /// Returns the number of bytes no primary was waiting for.
    pub fn on_bytes(
        &mut self,
        data: &[u8],
        now: Instant,
        mut on_event: impl FnMut(Event<'_>),
    ) -> usize {
        match self {
            Line::Balanced { link, .. } => {
                link.on_bytes(data, now, on_event);
                0
            }
            Line::Unbalanced {
                remotes, waiting, ..
            } => {
                let Some(remote) = waiting.and_then(|i| remotes.get_mut(i)) else {
                    return data.len();
                };
                let address = remote.address;
                remote.link.on_bytes(data, now, &mut on_event);
                // Started (or still up): the next loss backs off from the shortest wait again.
                if remote.link.is_up(address) == Some(true) {
                    remote.backoff.reset();
                    remote.restart_at = None;
                }
                if !remote.link.is_waiting() {
                    *waiting = None;
                }
                0
            }
        }
    }
}
