//! What can be wrong with a profile's entries, as [`select`](super::select) finds it: each
//! variant says what the bridge does about it (see also the module documentation of
//! [`crate::catchup`]).

use std::fmt;

use fieldbridge_core::time::Timestamp;

/// How loud an anomaly is: a warning when entries are held back or lost in the meter, info when
/// the meter simply did not capture or answered more than asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Worth a look, nothing lost by the bridge.
    Info,
    /// Entries are held back or were lost in the meter.
    Warning,
}

/// What showed that the meter is behind the cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    /// The meter's newest entry, by position, is older than the cursor.
    NewestEntry,
    /// The meter's clock is earlier than the cursor.
    MeterClock,
    /// The entry that follows the cursor's own entry in the buffer is not later than it.
    EntryAfterCursor,
}

impl Evidence {
    /// A short name for logs.
    pub fn name(self) -> &'static str {
        match self {
            Evidence::NewestEntry => "newest_entry",
            Evidence::MeterClock => "meter_clock",
            Evidence::EntryAfterCursor => "entry_after_cursor",
        }
    }
}

/// Something about a profile's entries that the bridge reports and never passes over in
/// silence. Each variant documents what is done about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Anomaly {
    /// The meter is behind the last entry published: its clock went backwards (set back by a
    /// time sync or by hand, a battery-less clock after a power failure) or the profile was
    /// reset with the clock behind. Entries the meter captures at times at or before the
    /// cursor are held back: each of those times was already published with another value,
    /// and a second value under the same time would silently overwrite the first in the
    /// consumers' stores. Publishing resumes, with no gap, with the first entry captured after
    /// the cursor. Reported at every read while it lasts. To accept the meter's new time line
    /// instead (its old clock was wrong), an operator removes the profile's cursor
    /// ([`CatchupStore::forget`](super::CatchupStore::forget), or its line in the file while
    /// the bridge is stopped): the next read then starts as on a first start.
    BehindCursor {
        /// The capture time of the last entry published.
        cursor: Timestamp,
        /// The meter's time that is behind it.
        meter: Timestamp,
        /// Where `meter` comes from.
        evidence: Evidence,
    },
    /// entries_in_use went down: the profile was reset (method 1, or a change of its
    /// capture_objects or profile_entries, which clear the buffer). Nothing else is done: the
    /// range read from the cursor still finds every entry captured since, their times being
    /// after the cursor while the clock is right; entries captured between the last read and
    /// the reset were lost in the meter and show as [`Anomaly::Gap`].
    Reset {
        /// entries_in_use at the read before.
        was: u32,
        /// entries_in_use now.
        now: u32,
    },
    /// Entries of one read whose capture times go backwards in buffer order. The entries later
    /// than the cursor are published in capture-time order all the same: none of them was
    /// published before.
    OutOfOrder {
        /// How many entries are earlier than the one before them.
        count: usize,
        /// The first such pair: the earlier entry's capture time ...
        previous: Timestamp,
        /// ... and the next one's.
        next: Timestamp,
    },
    /// Several entries of one read carry the same capture time. The first in buffer order (the
    /// earlier capture) is published, the others are held back: two values under one time
    /// would overwrite each other downstream.
    DuplicateTime {
        /// The first repeated capture time.
        time: Timestamp,
        /// How many entries were held back for a repeated time.
        count: usize,
    },
    /// More than one capture_period between two entries (the cursor and the first new entry
    /// included): the meter missed captures (a power failure, a clock moved forward). Info only:
    /// there is nothing to read.
    Gap {
        /// The capture time before the gap.
        after: Timestamp,
        /// The capture time after it.
        before: Timestamp,
        /// How many captures are missing (rounded up).
        missing: u64,
    },
    /// The cursor's entry is no longer in the meter, whose buffer is full: entries captured
    /// after it were overwritten before the bridge read them (the outage outlasted
    /// profile_entries × capture_period). They are lost; reading continues with the oldest
    /// entry the meter still has.
    Overrun {
        /// The capture time of the last entry published.
        cursor: Timestamp,
        /// The oldest entry still in the meter after it.
        oldest: Timestamp,
        /// How many captures are missing in between (rounded up).
        missing: u64,
    },
    /// The meter sent entries from before the range asked for (it did not honour the range
    /// and sent more of its buffer): they are dropped as already published. Info: the read
    /// costs more than it should (the Gurux meter does this when the bounds are not 12-octet
    /// date-times).
    RangeIgnored {
        /// How many entries came from before the range.
        before_range: usize,
    },
}

impl Anomaly {
    /// A short name, for a counter's label and the log's `anomaly` field.
    pub fn kind(&self) -> &'static str {
        match self {
            Anomaly::BehindCursor { .. } => "behind_cursor",
            Anomaly::Reset { .. } => "reset",
            Anomaly::OutOfOrder { .. } => "out_of_order",
            Anomaly::DuplicateTime { .. } => "duplicate_time",
            Anomaly::Gap { .. } => "gap",
            Anomaly::Overrun { .. } => "overrun",
            Anomaly::RangeIgnored { .. } => "range_ignored",
        }
    }

    /// How loud it is.
    pub fn severity(&self) -> Severity {
        match self {
            Anomaly::Gap { .. } | Anomaly::RangeIgnored { .. } => Severity::Info,
            _ => Severity::Warning,
        }
    }

    /// Logs the anomaly once, with the device and profile point as fields, at its severity.
    pub fn log(&self, device: &str, profile: &str) {
        let kind = self.kind();
        match self.severity() {
            Severity::Warning => {
                tracing::warn!(device, profile, anomaly = kind, detail = %self, "load profile anomaly")
            }
            Severity::Info => {
                tracing::info!(device, profile, anomaly = kind, detail = %self, "load profile anomaly")
            }
        }
    }
}

impl fmt::Display for Anomaly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Anomaly::BehindCursor {
                cursor,
                meter,
                evidence,
            } => write!(
                f,
                "the meter is behind the last entry published ({cursor}): {} {meter}; entries at or before {cursor} are held back",
                match evidence {
                    Evidence::NewestEntry => "its newest entry is from",
                    Evidence::MeterClock => "its clock shows",
                    Evidence::EntryAfterCursor => "the entry after it is from",
                }
            ),
            Anomaly::Reset { was, now } => write!(
                f,
                "entries_in_use went down from {was} to {now}: the profile was reset"
            ),
            Anomaly::OutOfOrder {
                count,
                previous,
                next,
            } => write!(
                f,
                "{count} entries are earlier than the one before them (first: {next} after {previous})"
            ),
            Anomaly::DuplicateTime { time, count } => write!(
                f,
                "{count} entries repeat a capture time (first: {time}); the first of each is published"
            ),
            Anomaly::Gap {
                after,
                before,
                missing,
            } => write!(f, "{missing} captures missing between {after} and {before}"),
            Anomaly::Overrun {
                cursor,
                oldest,
                missing,
            } => write!(
                f,
                "the meter overwrote {missing} captures after {cursor} before they were read; its oldest entry after it is from {oldest}"
            ),
            Anomaly::RangeIgnored { before_range } => write!(
                f,
                "the meter sent {before_range} entries from before the range asked for"
            ),
        }
    }
}
