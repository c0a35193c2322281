//! Catch-up: which entries are new, each anomaly, and a whole catch-up against a model of the
//! Gurux meter's shifting buffer across restarts and outages.

mod store;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use fieldbridge_core::config::DeviceTime;
use fieldbridge_core::time::Timestamp;
use fieldbridge_dlms::axdr::{Data, DateTime};

use super::*;
use crate::profile::testkit::{at, gurux_layout, gurux_time, octets, row, Rng, JUNE_1};
use crate::profile::Entry;

const PERIOD: u32 = 900;

/// A folder under the system's temporary folder, removed on drop.
#[derive(Debug)]
pub struct TestDir(PathBuf);

impl TestDir {
    /// A new, empty folder.
    pub fn new() -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "fieldbridge-dlms-catchup-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("a temporary folder");
        TestDir(path)
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&self.0, std::fs::Permissions::from_mode(0o755));
        }
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An entry captured `k` periods after midnight, 1 June 2024, with the time the Gurux meter
/// writes.
fn entry(k: i64) -> Entry {
    let seconds = JUNE_1 + k * i64::from(PERIOD);
    Entry {
        capture_time: at(seconds),
        meter_time: Some(gurux_time(seconds)),
        values: vec![
            octets(gurux_time(seconds)),
            Data::DoubleLongUnsigned(k as u32),
            Data::DoubleLongUnsigned(0),
        ],
    }
}

fn entries(ks: &[i64]) -> Vec<Entry> {
    ks.iter().map(|&k| entry(k)).collect()
}

/// The cursor after publishing entry `k`.
fn cursor(k: i64, entries_in_use: Option<u32>) -> Cursor {
    let e = entry(k);
    Cursor {
        last: e.capture_time,
        range_from: e.meter_time.expect("explicit"),
        range_from_time: e.capture_time,
        entries_in_use,
    }
}

fn published(selection: &Selection) -> Vec<i64> {
    selection
        .publish
        .iter()
        .map(|e| (e.capture_time.unix_millis() / 1000 - JUNE_1) / i64::from(PERIOD))
        .collect()
}

fn observe(ks: &[i64]) -> Observation {
    Observation {
        entries: entries(ks),
        ..Observation::default()
    }
}

#[test]
fn a_first_read_publishes_every_entry_and_starts_the_cursor_at_the_newest() {
    let selection = select(None, PERIOD, observe(&[1, 2, 3]));
    assert_eq!(published(&selection), [1, 2, 3]);
    assert_eq!(selection.cursor, Some(cursor(3, None)));
    assert!(selection.anomalies.is_empty());
}

#[test]
fn the_cursor_entry_that_the_meter_sends_again_is_not_published_twice() {
    // The Gurux meter includes both ends: a read from 3 brings 3 again.
    let selection = select(Some(&cursor(3, Some(96))), PERIOD, observe(&[3, 4, 5]));
    assert_eq!(published(&selection), [4, 5]);
    assert_eq!(selection.cursor, Some(cursor(5, Some(96))));
    assert!(selection.anomalies.is_empty(), "{:?}", selection.anomalies);
}

#[test]
fn a_read_with_nothing_new_leaves_the_cursor_alone() {
    let c = cursor(3, Some(96));
    let selection = select(
        Some(&c),
        PERIOD,
        Observation {
            entries_in_use: Some(96),
            ..observe(&[3])
        },
    );
    assert!(selection.publish.is_empty());
    assert_eq!(selection.cursor, None);
    assert!(selection.anomalies.is_empty());
    // A new entries_in_use alone is remembered.
    let selection = select(
        Some(&c),
        PERIOD,
        Observation {
            entries_in_use: Some(97),
            ..observe(&[3])
        },
    );
    assert_eq!(selection.cursor, Some(cursor(3, Some(97))));
}

#[test]
fn a_meter_whose_newest_entry_is_older_than_the_cursor_is_reported_and_nothing_is_republished() {
    // Its clock went back two hours: the newest entry (read by position) is from before the
    // cursor, and a range read from the cursor finds only the cursor's own entry.
    let selection = select(
        Some(&cursor(20, Some(96))),
        PERIOD,
        Observation {
            newest: Some(entry(13).capture_time),
            entries_in_use: Some(96),
            ..observe(&[20])
        },
    );
    assert!(selection.publish.is_empty());
    assert_eq!(selection.cursor, None);
    assert_eq!(
        selection.anomalies,
        [Anomaly::BehindCursor {
            cursor: entry(20).capture_time,
            meter: entry(13).capture_time,
            evidence: Evidence::NewestEntry
        }]
    );
}

#[test]
fn a_meter_clock_behind_the_cursor_is_reported() {
    let selection = select(
        Some(&cursor(20, None)),
        PERIOD,
        Observation {
            meter_clock: Some(at(JUNE_1 + 60)),
            ..observe(&[20])
        },
    );
    assert!(matches!(
        selection.anomalies.as_slice(),
        [Anomaly::BehindCursor {
            evidence: Evidence::MeterClock,
            ..
        }]
    ));
}

#[test]
fn an_entry_after_the_cursors_that_is_not_later_shows_the_clock_went_back() {
    // The meter sent its whole buffer; after the cursor's entry 20 comes 18 again, then 19,
    // 20, 21: entries 18 to 20 of the new time line are held back, 21 is new.
    let selection = select(
        Some(&cursor(20, None)),
        PERIOD,
        observe(&[19, 20, 18, 19, 20, 21]),
    );
    assert_eq!(published(&selection), [21]);
    let kinds: Vec<&str> = selection.anomalies.iter().map(Anomaly::kind).collect();
    assert_eq!(kinds, ["out_of_order", "range_ignored", "behind_cursor"]);
    assert!(selection.anomalies.contains(&Anomaly::BehindCursor {
        cursor: entry(20).capture_time,
        meter: entry(18).capture_time,
        evidence: Evidence::EntryAfterCursor
    }));
    assert_eq!(selection.cursor, Some(cursor(21, None)));
}

#[test]
fn a_reset_profile_is_reported_and_the_entries_since_are_still_published() {
    // Reset after entry 20 was read; the meter captured 22 and 23 since (21 was erased).
    let selection = select(
        Some(&cursor(20, Some(96))),
        PERIOD,
        Observation {
            entries_in_use: Some(2),
            profile_entries: Some(96),
            ..observe(&[22, 23])
        },
    );
    assert_eq!(published(&selection), [22, 23]);
    assert_eq!(
        selection.anomalies,
        [
            Anomaly::Reset { was: 96, now: 2 },
            Anomaly::Gap {
                after: entry(20).capture_time,
                before: entry(22).capture_time,
                missing: 1
            }
        ]
    );
    assert_eq!(selection.cursor, Some(cursor(23, Some(2))));
}

#[test]
fn entries_out_of_order_in_one_read_are_published_in_capture_time_order() {
    let selection = select(Some(&cursor(1, None)), PERIOD, observe(&[1, 2, 4, 3, 5]));
    assert_eq!(published(&selection), [2, 3, 4, 5]);
    assert_eq!(
        selection.anomalies,
        [Anomaly::OutOfOrder {
            count: 1,
            previous: entry(4).capture_time,
            next: entry(3).capture_time
        }]
    );
    assert_eq!(selection.cursor, Some(cursor(5, None)));
}

#[test]
fn a_capture_time_repeated_in_one_read_is_published_once_the_earlier_capture_first() {
    let mut read = entries(&[1, 2, 3, 3, 4]);
    read[3].values[1] = Data::DoubleLongUnsigned(999);
    let selection = select(
        Some(&cursor(1, None)),
        PERIOD,
        Observation {
            entries: read,
            ..Observation::default()
        },
    );
    assert_eq!(published(&selection), [2, 3, 4]);
    assert_eq!(selection.publish[1].values[1], Data::DoubleLongUnsigned(3));
    assert_eq!(
        selection.anomalies,
        [Anomaly::DuplicateTime {
            time: entry(3).capture_time,
            count: 1
        }]
    );
}

#[test]
fn missed_captures_are_reported_as_a_gap_with_how_many_are_missing() {
    let selection = select(Some(&cursor(1, None)), PERIOD, observe(&[1, 2, 6, 7]));
    assert_eq!(published(&selection), [2, 6, 7]);
    assert_eq!(
        selection.anomalies,
        [Anomaly::Gap {
            after: entry(2).capture_time,
            before: entry(6).capture_time,
            missing: 3
        }]
    );
    assert!(selection
        .anomalies
        .iter()
        .all(|a| a.severity() == Severity::Info));
    // A profile without a capture period has no gaps.
    assert!(select(Some(&cursor(1, None)), 0, observe(&[1, 2, 6]))
        .anomalies
        .is_empty());
    // Half a period late is a missed capture too (rounded up).
    let late = Entry {
        capture_time: at(JUNE_1 + 2 * 900 + 450),
        ..entry(2)
    };
    let selection = select(
        Some(&cursor(1, None)),
        PERIOD,
        Observation {
            entries: vec![entry(1), late],
            ..Observation::default()
        },
    );
    assert!(matches!(
        selection.anomalies.as_slice(),
        [Anomaly::Gap { missing: 1, .. }]
    ));
}

#[test]
fn a_full_buffer_that_no_longer_holds_the_cursor_entry_is_an_overrun() {
    // Down for 130 periods with a 96-entry buffer: entries 11 to 44 were overwritten.
    let ks: Vec<i64> = (45..=140).collect();
    let selection = select(
        Some(&cursor(10, Some(96))),
        PERIOD,
        Observation {
            entries_in_use: Some(96),
            profile_entries: Some(96),
            ..observe(&ks)
        },
    );
    assert_eq!(selection.publish.len(), 96);
    assert_eq!(
        selection.anomalies,
        [Anomaly::Overrun {
            cursor: entry(10).capture_time,
            oldest: entry(45).capture_time,
            missing: 34
        }]
    );
    assert_eq!(selection.anomalies[0].severity(), Severity::Warning);
}

#[test]
fn entries_from_before_the_range_are_dropped_and_reported() {
    // A meter that ignored the range and sent its whole buffer.
    let selection = select(Some(&cursor(3, None)), PERIOD, observe(&[1, 2, 3, 4]));
    assert_eq!(published(&selection), [4]);
    assert_eq!(
        selection.anomalies,
        [Anomaly::RangeIgnored { before_range: 2 }]
    );
    // The whole buffer's last entry is its newest: one behind the cursor is found out.
    let selection = select(Some(&cursor(5, None)), PERIOD, observe(&[1, 2, 3]));
    assert!(selection.anomalies.contains(&Anomaly::BehindCursor {
        cursor: entry(5).capture_time,
        meter: entry(3).capture_time,
        evidence: Evidence::NewestEntry
    }));
}

#[test]
fn in_a_compressed_profile_the_next_read_starts_at_the_last_entry_that_carried_a_time() {
    let rows = Data::Array(vec![
        row(octets(gurux_time(JUNE_1 + 900)), 1, 1),
        row(Data::Null, 2, 2),
        row(Data::Null, 3, 3),
    ]);
    let read = gurux_layout()
        .decode(rows, &DeviceTime::Utc)
        .expect("entries");
    let selection = select(
        None,
        PERIOD,
        Observation {
            entries: read,
            ..Observation::default()
        },
    );
    let next = selection.cursor.expect("a cursor");
    assert_eq!(next.last, at(JUNE_1 + 2700));
    assert_eq!(next.range_from, gurux_time(JUNE_1 + 900));
    assert_eq!(next.range_from_time, at(JUNE_1 + 900));
    // The next read from there brings 1 to 4 (4 new), none reported as outside the range.
    let rows = Data::Array(vec![
        row(octets(gurux_time(JUNE_1 + 900)), 1, 1),
        row(Data::Null, 2, 2),
        row(Data::Null, 3, 3),
        row(Data::Null, 4, 4),
    ]);
    let read = gurux_layout()
        .decode(rows, &DeviceTime::Utc)
        .expect("entries");
    let selection = select(
        Some(&next),
        PERIOD,
        Observation {
            entries: read,
            ..Observation::default()
        },
    );
    assert_eq!(selection.publish.len(), 1);
    assert_eq!(selection.publish[0].capture_time, at(JUNE_1 + 3600));
    assert!(selection.anomalies.is_empty(), "{:?}", selection.anomalies);
    assert_eq!(
        selection.cursor.map(|c| c.range_from),
        Some(gurux_time(JUNE_1 + 900))
    );
}

#[test]
fn every_anomaly_has_a_name_a_severity_and_a_sentence() {
    let t = entry(1).capture_time;
    let all = [
        Anomaly::BehindCursor {
            cursor: t,
            meter: t,
            evidence: Evidence::MeterClock,
        },
        Anomaly::Reset { was: 2, now: 1 },
        Anomaly::OutOfOrder {
            count: 1,
            previous: t,
            next: t,
        },
        Anomaly::DuplicateTime { time: t, count: 1 },
        Anomaly::Gap {
            after: t,
            before: t,
            missing: 1,
        },
        Anomaly::Overrun {
            cursor: t,
            oldest: t,
            missing: 1,
        },
        Anomaly::RangeIgnored { before_range: 1 },
    ];
    let kinds: Vec<&str> = all.iter().map(Anomaly::kind).collect();
    assert_eq!(
        kinds,
        [
            "behind_cursor",
            "reset",
            "out_of_order",
            "duplicate_time",
            "gap",
            "overrun",
            "range_ignored"
        ]
    );
    for a in &all {
        assert!(!a.to_string().is_empty());
        a.log("meter12", "load_profile");
    }
    assert_eq!(
        all[0].to_string(),
        "the meter is behind the last entry published (2024-06-01T00:15:00.000Z): its clock shows 2024-06-01T00:15:00.000Z; entries at or before 2024-06-01T00:15:00.000Z are held back"
    );
}

/// Property: whatever a read holds and wherever the cursor is, what is published is later
/// than the cursor, strictly increasing, and holds every capture time of the read later than
/// the cursor exactly once.
#[test]
fn any_read_publishes_each_new_capture_time_once_in_order() {
    let mut rng = Rng::new(7);
    for case in 0..2000 {
        let n = rng.below(30) as usize;
        let ks: Vec<i64> = (0..n).map(|_| rng.below(40) as i64).collect();
        let c = (rng.below(3) > 0).then(|| cursor(rng.below(40) as i64, None));
        let selection = select(c.as_ref(), PERIOD, observe(&ks));
        let got = published(&selection);
        let floor = c.map(|c| (c.last.unix_millis() / 1000 - JUNE_1) / 900);
        let mut want: Vec<i64> = ks
            .iter()
            .copied()
            .filter(|&k| floor.is_none_or(|f| k > f))
            .collect();
        want.sort_unstable();
        want.dedup();
        assert_eq!(got, want, "case {case}: {ks:?} after {floor:?}");
        match (want.last(), selection.cursor) {
            (Some(&last), Some(next)) => assert_eq!(next.last, entry(last).capture_time),
            (None, next) => assert_eq!(next, None, "case {case}"),
            (Some(_), None) => panic!("case {case}: no cursor after publishing"),
        }
    }
}

/// The Gurux meter's profile as a model: one entry per period, `capacity` kept (the oldest
/// shifts out), read by range with both ends included, or whole.
struct Meter {
    capacity: usize,
    captured: i64,
    buffer: std::collections::VecDeque<i64>,
}

impl Meter {
    fn capture(&mut self) {
        self.captured += 1;
        self.buffer.push_back(self.captured);
        if self.buffer.len() > self.capacity {
            self.buffer.pop_front();
        }
    }

    fn read(&self, from: Option<DateTime>) -> Data {
        let from = from.and_then(|t| t.to_utc()).map(|u| u.seconds);
        Data::Array(
            self.buffer
                .iter()
                .map(|&k| JUNE_1 + k * 900)
                .filter(|&t| from.is_none_or(|f| t >= f))
                .map(|t| row(octets(gurux_time(t)), t as u32, 0))
                .collect(),
        )
    }
}

#[test]
fn after_outages_of_the_bridge_each_entry_still_in_the_meter_is_published_once_in_order() {
    let dir = TestDir::new();
    let layout = gurux_layout();
    let mut meter = Meter {
        capacity: 24,
        captured: 0,
        buffer: Default::default(),
    };
    let mut out: Vec<Timestamp> = Vec::new();
    let mut overrun_missing = 0;
    for step in 0..300 {
        meter.capture();
        // The bridge is down (or the meter unreachable) for 10 periods, then for 50: more
        // than the buffer holds.
        if (30..40).contains(&step) || (100..150).contains(&step) {
            continue;
        }
        // Every read is after a restart: the cursor comes from the file.
        let opened = CatchupStore::open(dir.path());
        assert!(opened.problem.is_none());
        let mut store = opened.store;
        let cursor = store.cursor("load_profile").copied();
        let buffer = meter.read(cursor.map(|c| c.range_from));
        let read = layout.decode(buffer, &DeviceTime::Utc).expect("entries");
        let selection = select(
            cursor.as_ref(),
            layout.capture_period(),
            Observation {
                entries: read,
                entries_in_use: Some(meter.buffer.len() as u32),
                profile_entries: Some(24),
                ..Observation::default()
            },
        );
        for anomaly in &selection.anomalies {
            match anomaly {
                Anomaly::Overrun { missing, .. } => overrun_missing += missing,
                other => panic!("step {step}: {other}"),
            }
        }
        out.extend(selection.publish.iter().map(|e| e.capture_time));
        if let Some(next) = selection.cursor {
            store.advance("load_profile", next).expect("written");
        }
    }
    assert!(out.windows(2).all(|w| w[0] < w[1]), "in order, each once");
    // Back at step 150 (capture 151), the meter holds 128 to 151: 101 to 127 were
    // overwritten, and reported.
    assert_eq!(overrun_missing, 27);
    let expected: Vec<Timestamp> = (1..=300)
        .filter(|k| !(101..=127).contains(k))
        .map(|k| at(JUNE_1 + k * 900))
        .collect();
    assert_eq!(out, expected);
}
