//! The load-profile catch-up cursor: the capture time of the last entry published, per profile,
//! kept crash-safe in the source's state folder.
//!
//! After a restart, or an outage of the meter or of the bridge, a profile is read by range from
//! its cursor ([`Cursor::range_from`], [`crate::profile::ProfileLayout::access_since`]), and
//! [`select`] keeps what is new: every entry later than the cursor, in capture-time order, each
//! capture time once. Catch-up goes by capture time, not by entry number: once full, a buffer
//! shifts by one entry each period, so entry numbers name other entries from one read to the
//! next.
//!
//! The order that makes it nothing-lost: read, [`select`], hand the entries to the bridge, then
//! [`CatchupStore::advance`]. A crash between handing over and advancing publishes those
//! entries again at the next start (at least once, each under its own capture time); a cursor
//! is never ahead of what was handed over.
//!
//! # What is reported, and what is done about it
//! [`Anomaly`] lists it; in short:
//!
//! | anomaly | severity | what the bridge does |
//! | --- | --- | --- |
//! | [`Anomaly::BehindCursor`]: the meter's newest entry, its clock, or the entry after the cursor's is not later than the cursor | warning | publishes nothing at or before the cursor (those times were published with other values); resumes with the first entry after it; reported at every read while it lasts; an operator can [`CatchupStore::forget`] the cursor to accept the meter's new time line |
//! | [`Anomaly::Reset`]: entries_in_use went down | warning | nothing more: the range from the cursor finds the entries captured since; what the reset erased before it was read is a gap |
//! | [`Anomaly::Overrun`]: the cursor's entry was overwritten in a full buffer | warning | reads on from the oldest entry the meter still has; the overwritten ones are lost in the meter |
//! | [`Anomaly::OutOfOrder`]: times go backwards within one read | warning | publishes the new entries in capture-time order |
//! | [`Anomaly::DuplicateTime`]: one capture time on several entries | warning | publishes the first (earlier capture), holds back the others |
//! | [`Anomaly::Gap`]: more than capture_period between entries | info | nothing: the meter did not capture |
//! | [`Anomaly::RangeIgnored`]: entries from before the range came | info | drops them as already published |
//!
//! A cursor file that cannot be read or is damaged is a [`StoreError`] returned by
//! [`CatchupStore::open`] and logged as a warning; every profile then starts as on a first start.

mod anomaly;
mod select;
mod store;

use fieldbridge_core::time::Timestamp;
use fieldbridge_dlms::axdr::DateTime;

pub use anomaly::{Anomaly, Evidence, Severity};
pub use select::{select, Observation, Selection};
pub use store::{CatchupStore, Opened, StoreError, DAMAGED_FILE, FILE, TMP_FILE};

/// Where a profile's catch-up stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// The capture time of the last entry published (UTC).
    pub last: Timestamp,
    /// The `from` bound of the next range read: the date-time the meter itself sent for the
    /// last entry published, or, in a compressed profile whose last entries carry no time, for
    /// the latest entry at or before it that carried one. Sent back as the meter wrote it, so
    /// that the meter's comparison matches the entry exactly.
    pub range_from: DateTime,
    /// The instant of `range_from` (at or before `last`).
    pub range_from_time: Timestamp,
    /// The profile's entries_in_use when last seen: a drop means a reset.
    pub entries_in_use: Option<u32>,
}

#[cfg(test)]
mod tests;
