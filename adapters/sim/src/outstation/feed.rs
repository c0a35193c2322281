//! What a transport takes from a station: its replies in order, then its spontaneous changes
//! on schedule, one ASDU at a time and only while the transport has room (k in 104, the class 1
//! or send queue in 101), so a peer that stops taking data stops the changes and none is lost.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::{Rate, Station};

/// How far behind its schedule the spontaneous rate may fall (while the transport holds it
/// back) before the schedule restarts from now instead of catching up in a burst.
const MAX_LAG: Duration = Duration::from_secs(1);

/// A station with its replies waiting for room and its schedule of spontaneous changes.
#[derive(Debug)]
pub(crate) struct Feed {
    station: Station,
    replies: VecDeque<Vec<u8>>,
    period: Option<Duration>,
    spontaneous: bool,
    next_change: Instant,
    /// Spontaneous changes handed out so far.
    pub(crate) changes: u64,
}

impl Feed {
    /// A feed whose first change is due at `now`.
    pub(crate) fn new(station: Station, rate: Rate, now: Instant) -> Self {
        Self {
            spontaneous: station.has_spontaneous() && rate.is_on(),
            station,
            replies: VecDeque::new(),
            period: rate.period(),
            next_change: now,
            changes: 0,
        }
    }

    /// Lets the station answer `asdu`, received at `now`; its replies wait for room.
    pub(crate) fn handle(&mut self, asdu: &[u8], now: Instant) {
        self.station.handle(asdu, now, &mut self.replies);
    }

    /// Puts end of initialization ahead of every reply waiting.
    pub(crate) fn end_of_init(&mut self) {
        if let Some(asdu) = self.station.end_of_init() {
            self.replies.push_front(asdu);
        }
    }

    /// Whether replies wait.
    pub(crate) fn has_replies(&self) -> bool {
        !self.replies.is_empty()
    }

    /// The next ASDU to send at `now`, when the transport has room for one: a reply, else a
    /// spontaneous change when one is due.
    pub(crate) fn next(&mut self, now: Instant) -> Option<Vec<u8>> {
        if let Some(reply) = self.replies.pop_front() {
            return Some(reply);
        }
        if !self.spontaneous || self.next_change > now {
            return None;
        }
        let asdu = self.station.spontaneous()?;
        self.changes += 1;
        if let Some(period) = self.period {
            let floor = now.checked_sub(MAX_LAG).unwrap_or(now);
            self.next_change = (self.next_change + period).max(floor);
        }
        Some(asdu)
    }

    /// When the next spontaneous change falls due (possibly already), if any is made.
    pub(crate) fn next_change(&self) -> Option<Instant> {
        self.spontaneous.then_some(self.next_change)
    }
}
