//! Reading a profile's entries by capture time: selective access with a range_descriptor
//! (access selector 1, IEC 62056-6-2 clause 4.3.6; DLMS UA 1000-2 Ed. 10 clause 9.5).
//!
//! ```text
//! range_descriptor  structure {
//!     restricting_object  the capture-time column's capture object definition
//!                         structure { 8, 0-0:1.0.0*255, 2, 0 }
//!     from_value          octet-string(12) date-time     the cursor entry's own date-time
//!     to_value            octet-string(12) date-time     [`open_end`]
//!     selected_values     array {}                       every column
//! }
//! ```
//!
//! The Gurux meter includes both ends of the range, so the entry at `from` comes back at every
//! read; other meters leave it out (Gurux's own documentation says meters differ). Either way
//! [`crate::catchup::select`] drops it as already published. Both bounds go as 12-octet
//! date-time octet-strings: the Gurux meter answers any other form with its whole buffer, and
//! reads an all-wildcard bound as 2000-01-01. It answers a range up to [`open_end`] with every
//! entry from `from` to its newest (checked against `tests/peers/dlms/meter.py`).

use fieldbridge_dlms::apdu::selective::{
    EntryDescriptor, OwnedSelectiveAccess, RangeDescriptor, RangeValue,
};
use fieldbridge_dlms::axdr::{Date, DateTime, Time};

use super::layout::ProfileLayout;

/// The year of [`open_end`]: far enough for any meter's entries, within the range of meters
/// that count seconds in 32 bits from 1970.
pub const OPEN_END_YEAR: u16 = 2099;

/// The selective access that reads the entries captured from `from` to `to`, both included,
/// with every column: selector 1, restricted by the capture-time column.
///
/// `from` should be the date-time the meter itself sent for the entry to start at
/// ([`crate::catchup::Cursor::range_from`]): the meter compares its own representation, so
/// sending its octets back (deviation, clock status and day of week as it wrote them) matches
/// the entry exactly, whatever time zone the meter keeps.
pub fn range_access(layout: &ProfileLayout, from: DateTime, to: DateTime) -> OwnedSelectiveAccess {
    OwnedSelectiveAccess::range(&RangeDescriptor {
        restricting_object: layout.clock_object(),
        from_value: RangeValue::DateTime(from),
        to_value: RangeValue::DateTime(to),
        selected_values: Vec::new(),
    })
}

/// An upper bound later than any entry: 31 December [`OPEN_END_YEAR`] 23:59:59, day of week
/// not specified, with the deviation and clock status of `like` (the range's `from`), so both
/// bounds are in the same representation. A concrete date-time, not wildcards (see the module
/// documentation).
pub fn open_end(like: DateTime) -> DateTime {
    DateTime {
        date: Date {
            year: OPEN_END_YEAR,
            month: 12,
            day: 31,
            day_of_week: 0xFF,
        },
        time: Time {
            hour: 23,
            minute: 59,
            second: 59,
            hundredths: 0,
        },
        deviation: like.deviation,
        clock_status: like.clock_status,
    }
}

/// The selective access that reads entry `entry` alone (counted from 1, oldest first), every
/// column: selector 2, entry_descriptor `{ entry, entry, 1, 0 }`. With `entry` =
/// entries_in_use it reads the meter's newest entry, whose capture time tells whether the
/// meter is behind the cursor ([`crate::catchup::Observation::newest`]).
pub fn entry_access(entry: u32) -> OwnedSelectiveAccess {
    OwnedSelectiveAccess::entry(&EntryDescriptor {
        from_entry: entry,
        to_entry: entry,
        from_selected_value: 1,
        to_selected_value: 0,
    })
}

impl ProfileLayout {
    /// [`range_access`] for this profile.
    pub fn range_access(&self, from: DateTime, to: DateTime) -> OwnedSelectiveAccess {
        range_access(self, from, to)
    }

    /// The entries from `from` on: [`range_access`] up to [`open_end`].
    pub fn access_since(&self, from: DateTime) -> OwnedSelectiveAccess {
        range_access(self, from, open_end(from))
    }
}
