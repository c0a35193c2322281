//! A profile's buffer (IEC 62056-6-2 clause 4.3.6, attribute 2): `array` of entries, each a
//! `structure` with one element per capture object, turned into [`Entry`]s with their capture
//! time.
//!
//! ```text
//! buffer   array { entry, ... }                    oldest first (sort_method FIFO)
//! entry    structure { value of capture object 1, ..., value of capture object n }
//! clock    octet-string(12) date-time              or null-data in a compressed profile
//! ```
//!
//! Compressed profiles (DLMS UA 1000-1 "Blue Book" 4.3.6, Green Book): an entry whose
//! capture-time value is null-data, or a date-time with every date and time field not specified,
//! was captured one capture_period after the entry before it. The first entry of a read has
//! nothing before it, so it must carry its time.

use fieldbridge_core::config::DeviceTime;
use fieldbridge_core::time::Timestamp;
use fieldbridge_dlms::axdr::{ClockStatus, Data, DateTime};

use super::layout::{Column, ProfileLayout};
use crate::convert;

/// Why a buffer cannot be turned into entries. The whole read is refused: the cursor stays
/// where it was and the same entries are asked for again at the next read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BufferError {
    /// Attribute 2 is not an array.
    #[error("the buffer is a {found}, expected an array of entries")]
    NotArray {
        /// The type that came.
        found: &'static str,
    },
    /// An entry is not a structure.
    #[error("entry {row} is a {found}, expected a structure")]
    NotStructure {
        /// The entry's position in the read, from 0.
        row: usize,
        /// The type that came.
        found: &'static str,
    },
    /// An entry does not hold one value per capture object: the capture_objects the layout was
    /// built from are not the profile's any more (read attribute 3 again), or the meter
    /// answered selected columns only.
    #[error("entry {row} has {found} values, expected {expected} (one per capture object)")]
    Width {
        /// The entry's position in the read, from 0.
        row: usize,
        /// The number of capture objects.
        expected: usize,
        /// The number of values in the entry.
        found: usize,
    },
    /// An entry carries no capture time and none can be derived: it is the first of the read,
    /// or the profile has no capture period (asynchronous capture).
    #[error("entry {row} has no capture time and {reason}")]
    NoCaptureTime {
        /// The entry's position in the read, from 0.
        row: usize,
        /// Why it cannot be derived.
        reason: &'static str,
    },
    /// An entry's capture time is neither a date-time nor null-data, or a date-time that cannot
    /// be placed in time (a field partly not specified or out of range).
    #[error(
        "entry {row}: the capture time {found} is not a date-time the bridge can place in time"
    )]
    BadCaptureTime {
        /// The entry's position in the read, from 0.
        row: usize,
        /// What came (the date-time as shown by the codec, or the type).
        found: String,
    },
}

/// One entry of a profile: its capture time and the raw value of every column.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// When the meter captured the entry (UTC).
    pub capture_time: Timestamp,
    /// The capture-time column's date-time as the meter sent it; `None` for an entry of a
    /// compressed profile whose time was derived from the entry before it.
    pub meter_time: Option<DateTime>,
    /// Every column's value as the meter sent it, in the layout's column order (the
    /// capture-time column included): raw, without the scaler.
    pub values: Vec<Data>,
}

impl Entry {
    /// Whether the meter flagged the capture time invalid or doubtful in its clock status (IEC
    /// 62056-6-2 clause 4.1.6.1, bits 0 and 1): the values are the meter's, the time is not to
    /// be trusted (publish with quality `uncertain`).
    pub fn clock_doubtful(&self) -> bool {
        self.meter_time.is_some_and(|t| {
            t.clock_status.has(ClockStatus::INVALID) || t.clock_status.has(ClockStatus::DOUBTFUL)
        })
    }

    /// The value columns with their raw values, the capture-time column left out (it is each
    /// sample's `ts`).
    pub fn columns<'a>(
        &'a self,
        layout: &'a ProfileLayout,
    ) -> impl Iterator<Item = (&'a Column, &'a Data)> + 'a {
        layout
            .value_columns()
            .filter_map(move |(i, column)| self.values.get(i).map(|value| (column, value)))
    }
}

/// Whether a capture-time value says "not specified": null-data, or a date-time whose date
/// and time fields are all not specified.
fn unspecified(value: &Data) -> bool {
    match value {
        Data::Null => true,
        other => convert::date_time(other).is_some_and(|t| {
            t.date.year == 0xFFFF
                && [
                    t.date.month,
                    t.date.day,
                    t.time.hour,
                    t.time.minute,
                    t.time.second,
                ]
                .iter()
                .all(|&f| f == 0xFF)
        }),
    }
}

impl ProfileLayout {
    /// Decodes a buffer read from this profile (whole or by range) into its entries, in the
    /// order the meter sent them (the anomalies of that order are for
    /// [`crate::catchup::select`] to find). Date-times without a deviation are read in
    /// `device_time`.
    ///
    /// # Errors
    /// [`BufferError`]: the whole read is refused at the first bad entry, since publishing
    /// the rest could mislabel values (a changed column list) or skip entries silently.
    pub fn decode(
        &self,
        buffer: Data,
        device_time: &DeviceTime,
    ) -> Result<Vec<Entry>, BufferError> {
        let Data::Array(rows) = buffer else {
            return Err(BufferError::NotArray {
                found: buffer.data_type().name(),
            });
        };
        let width = self.columns().len();
        let period_ms = i64::from(self.capture_period()) * 1000;
        let mut entries: Vec<Entry> = Vec::with_capacity(rows.len());
        for (row, data) in rows.into_iter().enumerate() {
            let Data::Structure(values) = data else {
                return Err(BufferError::NotStructure {
                    row,
                    found: data.data_type().name(),
                });
            };
            if values.len() != width {
                return Err(BufferError::Width {
                    row,
                    expected: width,
                    found: values.len(),
                });
            }
            let clock = values.get(self.clock_index()).unwrap_or(&Data::Null);
            let (capture_time, meter_time) = if unspecified(clock) {
                let previous = entries.last().ok_or(BufferError::NoCaptureTime {
                    row,
                    reason: "it is the first entry of the read",
                })?;
                if period_ms == 0 {
                    return Err(BufferError::NoCaptureTime {
                        row,
                        reason: "the profile has no capture period to derive it from",
                    });
                }
                let time = previous
                    .capture_time
                    .unix_millis()
                    .checked_add(period_ms)
                    .and_then(Timestamp::from_unix_millis)
                    .ok_or_else(|| BufferError::BadCaptureTime {
                        row,
                        found: "the previous capture time plus the capture period".to_owned(),
                    })?;
                (time, None)
            } else {
                let meter_time =
                    convert::date_time(clock).ok_or_else(|| BufferError::BadCaptureTime {
                        row,
                        found: match clock {
                            Data::OctetString(b) => format!("octet-string of {} octets", b.len()),
                            other => other.data_type().name().to_owned(),
                        },
                    })?;
                let time = convert::timestamp(&meter_time, device_time).map_err(|_| {
                    BufferError::BadCaptureTime {
                        row,
                        found: meter_time.to_string(),
                    }
                })?;
                (time, Some(meter_time))
            };
            entries.push(Entry {
                capture_time,
                meter_time,
                values,
            });
        }
        Ok(entries)
    }
}
