//! Which entries of a read are new: everything later than the cursor, in capture-time order,
//! each capture time once; and the anomalies seen on the way.

use fieldbridge_core::time::Timestamp;
use fieldbridge_dlms::axdr::{ClockStatus, DateTime, UtcTime};

use super::anomaly::{Anomaly, Evidence};
use super::Cursor;
use crate::profile::Entry;

/// What one read of a profile brought: its entries and whatever else the driver read in the
/// same association, each piece of evidence optional.
#[derive(Debug, Clone, Default)]
pub struct Observation {
    /// The entries, in buffer order, as [`ProfileLayout::decode`](crate::profile::ProfileLayout::decode)
    /// returned them.
    pub entries: Vec<Entry>,
    /// Attribute 7, entries_in_use, when read: a drop means a reset.
    pub entries_in_use: Option<u32>,
    /// Attribute 8, profile_entries, when read: a full buffer tells an overrun from a gap.
    pub profile_entries: Option<u32>,
    /// The capture time of the meter's newest entry by position, when read (an
    /// entry_descriptor for entry `entries_in_use`: [`entry_access`](crate::profile::entry_access)).
    /// When the meter sent more than the range asked for, the read's last entry stands in
    /// for it.
    pub newest: Option<Timestamp>,
    /// The meter's clock (class 8, attribute 2), when read in the same association.
    pub meter_clock: Option<Timestamp>,
}

/// What to do with one read.
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    /// The entries to publish, oldest first: later than the cursor, each capture time once.
    pub publish: Vec<Entry>,
    /// The cursor to store once `publish` was handed to the bridge
    /// ([`CatchupStore::advance`](super::CatchupStore::advance)); `None` when it stays as it is.
    pub cursor: Option<Cursor>,
    /// What was found, to log and count.
    pub anomalies: Vec<Anomaly>,
}

/// Picks the entries of `observation` to publish after `cursor` (`None`: nothing was
/// published yet, every entry is new), with the anomalies; `capture_period` in seconds (0: no
/// gap detection).
///
/// The rules (a metering engineer's expectations):
/// - an entry at or before the cursor is never published again: the meter's range includes
///   its `from` bound, so the cursor's own entry comes back at every read; older ones come
///   back from a meter that ignores the range ([`Anomaly::RangeIgnored`]);
/// - the rest are published in capture-time order, and a capture time only once (the first
///   entry in buffer order, the earlier capture, wins: [`Anomaly::DuplicateTime`]);
/// - nothing is passed over in silence: every entry not published that is not the cursor's
///   own, or from before the range, is reported, and so is every sign that the meter's clock
///   or buffer jumped ([`Anomaly`]).
pub fn select(cursor: Option<&Cursor>, capture_period: u32, observation: Observation) -> Selection {
    let Observation {
        entries,
        entries_in_use,
        profile_entries,
        newest,
        meter_clock,
    } = observation;
    let mut anomalies = Vec::new();
    let floor = cursor.map(|c| c.last);

    if let (Some(was), Some(now)) = (cursor.and_then(|c| c.entries_in_use), entries_in_use) {
        if now < was {
            anomalies.push(Anomaly::Reset { was, now });
        }
    }

    if let Some(a) = out_of_order(&entries) {
        anomalies.push(a);
    }

    let mut newest = newest;
    if let Some(c) = cursor {
        let before_range = entries
            .iter()
            .filter(|e| e.capture_time < c.range_from_time)
            .count();
        if before_range > 0 {
            anomalies.push(Anomaly::RangeIgnored { before_range });
            // More of the buffer than asked for came: its last entry is the newest.
            newest = newest.or(entries.last().map(|e| e.capture_time));
        }
        if let Some(a) = behind(c.last, &entries, newest, meter_clock) {
            anomalies.push(a);
        }
    }

    let (publish, duplicates) = new_entries(entries_after(&entries, floor));
    if let Some(a) = duplicates {
        anomalies.push(a);
    }

    if capture_period > 0 {
        let full = matches!((entries_in_use, profile_entries), (Some(n), Some(max)) if n >= max);
        let has_cursor_entry = floor.is_some_and(|f| entries.iter().any(|e| e.capture_time <= f));
        gaps(
            floor,
            &publish,
            capture_period,
            full && !has_cursor_entry,
            &mut anomalies,
        );
    }

    let cursor = next_cursor(cursor, &entries, &publish, entries_in_use);
    Selection {
        publish,
        cursor,
        anomalies,
    }
}

/// [`Anomaly::OutOfOrder`] when capture times go backwards in buffer order.
fn out_of_order(entries: &[Entry]) -> Option<Anomaly> {
    let mut count = 0;
    let mut first = None;
    for pair in entries.windows(2) {
        if let [a, b] = pair {
            if b.capture_time < a.capture_time {
                count += 1;
                first.get_or_insert((a.capture_time, b.capture_time));
            }
        }
    }
    first.map(|(previous, next)| Anomaly::OutOfOrder {
        count,
        previous,
        next,
    })
}

/// [`Anomaly::BehindCursor`] on the first evidence that the meter is behind `last`.
fn behind(
    last: Timestamp,
    entries: &[Entry],
    newest: Option<Timestamp>,
    meter_clock: Option<Timestamp>,
) -> Option<Anomaly> {
    let after_cursor = entries
        .iter()
        .position(|e| e.capture_time == last)
        .and_then(|i| entries.get(i + 1))
        .map(|e| e.capture_time);
    [
        (newest, Evidence::NewestEntry),
        (meter_clock, Evidence::MeterClock),
        (after_cursor, Evidence::EntryAfterCursor),
    ]
    .into_iter()
    .find_map(|(time, evidence)| {
        let meter = time?;
        let behind = match evidence {
            Evidence::EntryAfterCursor => meter <= last,
            _ => meter < last,
        };
        behind.then_some(Anomaly::BehindCursor {
            cursor: last,
            meter,
            evidence,
        })
    })
}

/// The entries later than `floor`, in buffer order.
fn entries_after(entries: &[Entry], floor: Option<Timestamp>) -> Vec<Entry> {
    entries
        .iter()
        .filter(|e| floor.is_none_or(|f| e.capture_time > f))
        .cloned()
        .collect()
}

/// Sorts by capture time (stable: buffer order among equal times) and keeps the first entry
/// of each time, with [`Anomaly::DuplicateTime`] for the others.
fn new_entries(mut entries: Vec<Entry>) -> (Vec<Entry>, Option<Anomaly>) {
    entries.sort_by_key(|e| e.capture_time);
    let mut first_repeat = None;
    let mut count = 0;
    let mut kept: Vec<Entry> = Vec::with_capacity(entries.len());
    for entry in entries {
        if kept
            .last()
            .is_some_and(|k| k.capture_time == entry.capture_time)
        {
            count += 1;
            first_repeat.get_or_insert(entry.capture_time);
        } else {
            kept.push(entry);
        }
    }
    let anomaly = first_repeat.map(|time| Anomaly::DuplicateTime { time, count });
    (kept, anomaly)
}

/// [`Anomaly::Gap`]s (or an [`Anomaly::Overrun`] after the cursor) between consecutive times.
fn gaps(
    floor: Option<Timestamp>,
    publish: &[Entry],
    capture_period: u32,
    overrun_possible: bool,
    anomalies: &mut Vec<Anomaly>,
) {
    let period_ms = i64::from(capture_period) * 1000;
    let mut previous = floor;
    for (i, entry) in publish.iter().enumerate() {
        if let Some(before) = previous {
            let delta = entry.capture_time.unix_millis() - before.unix_millis();
            if delta > period_ms {
                let missing = delta.unsigned_abs().div_ceil(period_ms.unsigned_abs()) - 1;
                anomalies.push(if i == 0 && floor.is_some() && overrun_possible {
                    Anomaly::Overrun {
                        cursor: before,
                        oldest: entry.capture_time,
                        missing,
                    }
                } else {
                    Anomaly::Gap {
                        after: before,
                        before: entry.capture_time,
                        missing,
                    }
                });
            }
        }
        previous = Some(entry.capture_time);
    }
}

/// The cursor after `publish` was handed over, when it changes.
fn next_cursor(
    cursor: Option<&Cursor>,
    entries: &[Entry],
    publish: &[Entry],
    entries_in_use: Option<u32>,
) -> Option<Cursor> {
    let entries_in_use = entries_in_use.or(cursor.and_then(|c| c.entries_in_use));
    let Some(last) = publish.last().map(|e| e.capture_time) else {
        return cursor
            .filter(|c| c.entries_in_use != entries_in_use)
            .map(|c| Cursor {
                entries_in_use,
                ..*c
            });
    };
    // The next range starts at the latest entry at or before `last` that carried its own
    // date-time: in a compressed profile the last entry published may have none.
    let anchor = entries
        .iter()
        .filter(|e| e.capture_time <= last)
        .filter_map(|e| e.meter_time.map(|t| (e.capture_time, t)))
        .max_by_key(|(time, _)| *time);
    let (range_from_time, range_from) = match (anchor, cursor) {
        (Some(anchor), _) => anchor,
        (None, Some(c)) => (c.range_from_time, c.range_from),
        (None, None) => (last, utc_date_time(last)),
    };
    Some(Cursor {
        last,
        range_from,
        range_from_time,
        entries_in_use,
    })
}

/// `time` as a date-time in UTC with deviation 0: the last resort for a range bound when no
/// entry carried the meter's own (it cannot happen with what `decode` accepts).
fn utc_date_time(time: Timestamp) -> DateTime {
    let millis = time.unix_millis();
    DateTime::from_utc(
        UtcTime {
            seconds: millis.div_euclid(1000),
            hundredths: 0,
        },
        0,
        ClockStatus(0),
    )
    .unwrap_or(DateTime::from_bytes([0xFF; 12]))
}
