//! The simulated meter's logical device (sans-IO): its COSEM objects, read with GET, written
//! with SET and operated with ACTION (IEC 62056-6-2 interface classes, Green Book 9.3).
//!
//! | object | class | attributes | methods |
//! | --- | --- | --- | --- |
//! | 0-0:1.0.0*255 clock | 8 | 1 logical_name, 2 time, 3 time_zone, 4 status | |
//! | 1-0:1.8.0*255 active energy import | 3 | 1, 2 value (Wh, grows), 3 scaler_unit (0, Wh) | |
//! | 1-0:2.8.0*255 active energy export | 3 | 1, 2 value (Wh, grows), 3 scaler_unit (0, Wh) | |
//! | 1-0:32.7.0*255 voltage L1 | 3 | 1, 2 value (0.1 V), 3 scaler_unit (-1, V) | |
//! | 0-0:96.1.0*255 serial number | 1 | 1, 2 value | |
//! | 1-0:99.1.0*255 load profile | 7 | 1, 2 buffer (selectors 1 and 2), 3 capture_objects, 4 capture_period, 7 entries_in_use, 8 profile_entries | |
//! | 0-0:96.3.10*255 disconnect control | 70 | 1, 2 output_state, 3 control_state (0 or 1) | 1 remote_disconnect, 2 remote_reconnect |
//! | 0-0:40.0.0*255 current association | 15 | 1 | 1 reply_to_HLS_authentication (in the session) |
//!
//! The disconnect control has no control_mode (attribute 4): remote_reconnect connects at
//! once, with no ready_for_reconnection state in between.
//!
//! The meter's clock is the host's (simulated) time given to [`Meter::advance`] plus a signed
//! offset, 0 until a client SETs the clock. The profile captures the clock and the two energy
//! registers at every multiple of the period on the meter's clock (a 15-minute profile at :00,
//! :15, :30 and :45), and the energy registers grow with the host's time, whatever the clock.
//!
//! When the clock is SET, the meter does what a real one does: it does not invent entries for
//! the intervals the clock skipped, nor replay those it lived again. Set forwards, the next
//! capture is at the first period boundary after the new time (a real meter also flags the
//! shortened interval as clock-adjusted in a status column, which this profile does not have);
//! set backwards, the entries already captured stay, later than the clock, and the profile
//! grows from the new time on, so the buffer's capture times go back once: a reader must go by
//! capture time and notice it. When the host's time itself jumps (the process stopped, a high
//! speed), every period passed is captured, but at most [`PROFILE_ENTRIES`] of them: older ones
//! would be overwritten at once, so none of them is made. An unknown object is
//! answered with object-undefined, a known object's unknown attribute with
//! object-unavailable, a SET of a read-only attribute with read-write-denied. The clock's time
//! and the export register's value are writable.

use fieldbridge_dlms::apdu::get::{
    ActionResult, AttributeDescriptor, DataAccessResult, MethodDescriptor,
};
use fieldbridge_dlms::apdu::selective::{EntryDescriptor, RangeDescriptor, RangeValue};

use fieldbridge_dlms::axdr::{
    ClockStatus, Data, DataRef, DateTime, UtcTime, DEVIATION_NOT_SPECIFIED,
};

/// 0-0:1.0.0*255, the clock.
pub const CLOCK: [u8; 6] = [0, 0, 1, 0, 0, 255];
/// 1-0:1.8.0*255, active energy import (+A), Wh.
pub const ENERGY_IMPORT: [u8; 6] = [1, 0, 1, 8, 0, 255];
/// 1-0:2.8.0*255, active energy export (-A), Wh.
pub const ENERGY_EXPORT: [u8; 6] = [1, 0, 2, 8, 0, 255];
/// 1-0:32.7.0*255, instantaneous voltage L1, 0.1 V.
pub const VOLTAGE: [u8; 6] = [1, 0, 32, 7, 0, 255];
/// 0-0:96.1.0*255, the device's serial number.
pub const SERIAL: [u8; 6] = [0, 0, 96, 1, 0, 255];
/// 1-0:99.1.0*255, load profile 1.
pub const PROFILE: [u8; 6] = [1, 0, 99, 1, 0, 255];
/// 0-0:96.3.10*255, the disconnect control.
pub const DISCONNECT: [u8; 6] = [0, 0, 96, 3, 10, 255];
/// 0-0:40.0.0*255, the current association (LN).
pub const ASSOCIATION: [u8; 6] = [0, 0, 40, 0, 0, 255];

/// The unit enum of watt-hour (IEC 62056-6-2 table "Enumerated values for physical units").
pub const UNIT_WH: u8 = 30;
/// The unit enum of volt.
pub const UNIT_V: u8 = 35;

/// The most entries the profile keeps (a ring buffer: the oldest go first).
pub const PROFILE_ENTRIES: u32 = 10_000;

/// The simulated meter.
#[derive(Debug, Clone)]
pub struct Meter {
    serial: Vec<u8>,
    /// The host time the meter started at (where the energy registers start).
    start: i64,
    /// The host time last given to [`Meter::advance`].
    host: i64,
    /// The meter's clock minus the host's time (a clock SET changes it).
    offset: i64,
    period: u32,
    /// The meter's clock time of the next capture.
    next_capture: i64,
    /// The profile: (capture time, import, export).
    buffer: std::collections::VecDeque<(i64, u32, u32)>,
    /// The disconnect control's output_state (true: connected).
    connected: bool,
    /// What a SET of the export register added to it.
    export_adjust: i64,
}

/// The energy registers `elapsed` seconds after the start: import grows 1 Wh every 4 simulated
/// seconds (225 Wh a quarter hour, 900 W) from 1,000,000 Wh, export is a fifth of import.
fn energy(elapsed: i64) -> (u32, u32) {
    let elapsed = elapsed.max(0);
    let import = 1_000_000 + elapsed / 4;
    let import = u32::try_from(import % i64::from(u32::MAX)).unwrap_or(0);
    (import, import / 5)
}

fn date_time(seconds: i64) -> DateTime {
    DateTime::from_utc(
        UtcTime {
            seconds,
            hundredths: 0,
        },
        0,
        ClockStatus(0),
    )
    .unwrap_or(DateTime::from_bytes([0xFF; 12]))
}

fn octets(t: DateTime) -> Data {
    Data::OctetString(t.to_bytes().to_vec())
}

fn capture_object(class_id: u16, ln: [u8; 6], attribute: i8) -> Data {
    Data::Structure(vec![
        Data::LongUnsigned(class_id),
        Data::OctetString(ln.to_vec()),
        Data::Integer(attribute),
        Data::LongUnsigned(0),
    ])
}

fn scaler_unit(scaler: i8, unit: u8) -> Data {
    Data::Structure(vec![Data::Integer(scaler), Data::Enum(unit)])
}

/// The first multiple of `period` after `t`.
fn boundary_after(t: i64, period: i64) -> i64 {
    t.div_euclid(period)
        .saturating_add(1)
        .saturating_mul(period)
}

impl Meter {
    /// A meter whose clock starts at `start` (Unix seconds, also the host's time then),
    /// capturing at every multiple of `period` seconds (at least 1) on its clock.
    pub fn new(serial: &str, start: i64, period: u32) -> Self {
        let period = period.max(1);
        Meter {
            serial: serial.as_bytes().to_vec(),
            start,
            host: start,
            offset: 0,
            period,
            next_capture: boundary_after(start, i64::from(period)),
            buffer: std::collections::VecDeque::new(),
            connected: true,
            export_adjust: 0,
        }
    }

    /// The meter's clock, Unix seconds.
    pub fn now(&self) -> i64 {
        self.host.saturating_add(self.offset)
    }

    /// The meter's clock minus the host's time, seconds (0 until the clock is SET).
    pub fn offset(&self) -> i64 {
        self.offset
    }

    /// The profile's entries in use.
    pub fn entries(&self) -> u32 {
        u32::try_from(self.buffer.len()).unwrap_or(u32::MAX)
    }

    /// Whether the disconnect control's output is connected.
    pub fn connected(&self) -> bool {
        self.connected
    }

    /// Moves the host's time to `host` (never backwards) and the meter's clock with it,
    /// capturing a profile entry at every period boundary the clock passed (at most
    /// [`PROFILE_ENTRIES`]: older ones would be overwritten at once). The work is bounded
    /// whatever the jump.
    pub fn advance(&mut self, host: i64) {
        if host <= self.host {
            return;
        }
        self.host = host;
        let now = self.now();
        if self.next_capture > now {
            return;
        }
        let period = i64::from(self.period);
        let due = (now - self.next_capture) / period + 1;
        let keep = i64::from(PROFILE_ENTRIES);
        if due > keep {
            // Every entry in the buffer would be pushed out by the newer ones.
            self.buffer.clear();
            self.next_capture = self
                .next_capture
                .saturating_add((due - keep).saturating_mul(period));
        }
        while self.next_capture <= now {
            let at = self.next_capture;
            let (import, export) = energy(at - self.offset - self.start);
            let export = self.adjusted(export);
            self.buffer.push_back((at, import, export));
            if self.buffer.len() > PROFILE_ENTRIES as usize {
                self.buffer.pop_front();
            }
            self.next_capture = at.saturating_add(period);
        }
    }

    fn registers(&self) -> (u32, u32) {
        let (import, export) = energy(self.host - self.start);
        (import, self.adjusted(export))
    }

    fn adjusted(&self, export: u32) -> u32 {
        u32::try_from((i64::from(export) + self.export_adjust).clamp(0, i64::from(u32::MAX)))
            .unwrap_or(0)
    }

    fn voltage(&self) -> u16 {
        // 230.0 V give or take 2 V, changing every second.
        2300 + u16::try_from(self.now().rem_euclid(41)).unwrap_or(0) - 20
    }

    fn class_of(ln: [u8; 6]) -> Option<u16> {
        Some(match ln {
            CLOCK => 8,
            ENERGY_IMPORT | ENERGY_EXPORT | VOLTAGE => 3,
            SERIAL => 1,
            PROFILE => 7,
            DISCONNECT => 70,
            ASSOCIATION => 15,
            _ => return None,
        })
    }

    /// Checks that the descriptor names one of our objects with its class.
    fn find(class_id: u16, ln: [u8; 6]) -> Result<(), DataAccessResult> {
        match Self::class_of(ln) {
            Some(class) if class == class_id => Ok(()),
            _ => Err(DataAccessResult::OBJECT_UNDEFINED),
        }
    }

    /// GET of one attribute, with its selective access (selector, parameters) if any.
    pub fn get(
        &self,
        attribute: &AttributeDescriptor,
        selection: Option<(u8, DataRef<'_>)>,
    ) -> Result<Data, DataAccessResult> {
        let ln = attribute.instance_id;
        Self::find(attribute.class_id, ln)?;
        if selection.is_some() && (ln, attribute.attribute_id) != (PROFILE, 2) {
            return Err(DataAccessResult::SCOPE_OF_ACCESS_VIOLATED);
        }
        let (import, export) = self.registers();
        let value = match (ln, attribute.attribute_id) {
            (_, 1) => Data::OctetString(ln.to_vec()),
            (CLOCK, 2) => octets(date_time(self.now())),
            (CLOCK, 3) => Data::Long(0),
            (CLOCK, 4) => Data::Unsigned(0),
            (ENERGY_IMPORT, 2) => Data::DoubleLongUnsigned(import),
            (ENERGY_EXPORT, 2) => Data::DoubleLongUnsigned(export),
            (ENERGY_IMPORT | ENERGY_EXPORT, 3) => scaler_unit(0, UNIT_WH),
            (VOLTAGE, 2) => Data::LongUnsigned(self.voltage()),
            (VOLTAGE, 3) => scaler_unit(-1, UNIT_V),
            (SERIAL, 2) => Data::OctetString(self.serial.clone()),
            (PROFILE, 2) => self.buffer_data(selection)?,
            (PROFILE, 3) => Data::Array(vec![
                capture_object(8, CLOCK, 2),
                capture_object(3, ENERGY_IMPORT, 2),
                capture_object(3, ENERGY_EXPORT, 2),
            ]),
            (PROFILE, 4) => Data::DoubleLongUnsigned(self.period),
            (PROFILE, 5) => Data::Enum(1),
            (PROFILE, 6) => capture_object(8, CLOCK, 2),
            (PROFILE, 7) => Data::DoubleLongUnsigned(self.entries()),
            (PROFILE, 8) => Data::DoubleLongUnsigned(PROFILE_ENTRIES),
            (DISCONNECT, 2) => Data::Boolean(self.connected),
            (DISCONNECT, 3) => Data::Enum(u8::from(self.connected)),
            _ => return Err(DataAccessResult::OBJECT_UNAVAILABLE),
        };
        Ok(value)
    }

    /// The profile buffer, whole or selected by range (selector 1, on the clock) or entry
    /// (selector 2).
    fn buffer_data(&self, selection: Option<(u8, DataRef<'_>)>) -> Result<Data, DataAccessResult> {
        let row = |&(t, import, export): &(i64, u32, u32)| {
            vec![
                octets(date_time(t)),
                Data::DoubleLongUnsigned(import),
                Data::DoubleLongUnsigned(export),
            ]
        };
        let (rows, columns): (Vec<Vec<Data>>, (usize, usize)) = match selection {
            None => (self.buffer.iter().map(row).collect(), (1, 3)),
            Some((1, parameters)) => {
                let range = RangeDescriptor::from_data(parameters)
                    .map_err(|_| DataAccessResult::TYPE_UNMATCHED)?;
                if range.restricting_object.logical_name != CLOCK {
                    return Err(DataAccessResult::OBJECT_UNAVAILABLE);
                }
                let bound = |v: &RangeValue| match v {
                    // A bound with no deviation is in the meter's local time, which is UTC.
                    RangeValue::DateTime(t) => DateTime {
                        deviation: if t.deviation == DEVIATION_NOT_SPECIFIED {
                            0
                        } else {
                            t.deviation
                        },
                        ..*t
                    }
                    .to_utc()
                    .map(|u| u.seconds),
                    RangeValue::Data(_) => None,
                };
                let (Some(from), Some(to)) = (bound(&range.from_value), bound(&range.to_value))
                else {
                    return Err(DataAccessResult::TYPE_UNMATCHED);
                };
                (
                    self.buffer
                        .iter()
                        .filter(|(t, _, _)| (from..=to).contains(t))
                        .map(row)
                        .collect(),
                    (1, 3),
                )
            }
            Some((2, parameters)) => {
                let entry = EntryDescriptor::from_data(parameters)
                    .map_err(|_| DataAccessResult::TYPE_UNMATCHED)?;
                let last = self.buffer.len();
                let to = match entry.to_entry {
                    0 => last,
                    n => (n as usize).min(last),
                };
                let from = (entry.from_entry.max(1) as usize).min(to + 1);
                let to_col = match entry.to_selected_value {
                    0 => 3,
                    n => usize::from(n).min(3),
                };
                (
                    self.buffer
                        .iter()
                        .skip(from - 1)
                        .take(to + 1 - from)
                        .map(row)
                        .collect(),
                    (usize::from(entry.from_selected_value.max(1)), to_col),
                )
            }
            Some(_) => return Err(DataAccessResult::OTHER_REASON),
        };
        let (first, last) = columns;
        Ok(Data::Array(
            rows.into_iter()
                .map(|r| {
                    Data::Structure(
                        r.into_iter()
                            .enumerate()
                            .filter(|(i, _)| (first..=last).contains(&(i + 1)))
                            .map(|(_, v)| v)
                            .collect(),
                    )
                })
                .collect(),
        ))
    }

    /// SET of one attribute: the clock's time and the export register's value are writable
    /// (the register keeps growing from the value set).
    pub fn set(
        &mut self,
        attribute: &AttributeDescriptor,
        value: DataRef<'_>,
    ) -> Result<(), DataAccessResult> {
        Self::find(attribute.class_id, attribute.instance_id)?;
        match (attribute.instance_id, attribute.attribute_id) {
            (CLOCK, 2) => {
                let Data::OctetString(b) = value.to_owned() else {
                    return Err(DataAccessResult::TYPE_UNMATCHED);
                };
                let bytes: [u8; 12] = b.try_into().map_err(|_| DataAccessResult::TYPE_UNMATCHED)?;
                let t = DateTime::from_bytes(bytes)
                    .to_utc()
                    .ok_or(DataAccessResult::TYPE_UNMATCHED)?;
                // The clock jumps; the profile captures from the new time on, with no entries
                // for the intervals skipped or lived again (see the module's docs).
                self.offset = t.seconds.saturating_sub(self.host);
                self.next_capture = boundary_after(t.seconds, i64::from(self.period));
                Ok(())
            }
            (ENERGY_EXPORT, 2) => {
                let Data::DoubleLongUnsigned(value) = value.to_owned() else {
                    return Err(DataAccessResult::TYPE_UNMATCHED);
                };
                let (_, export) = energy(self.host - self.start);
                self.export_adjust = i64::from(value) - i64::from(export);
                Ok(())
            }
            (ln, id) if Self::class_of(ln).is_some() && (1..=8).contains(&id) => {
                Err(DataAccessResult::READ_WRITE_DENIED)
            }
            _ => Err(DataAccessResult::OBJECT_UNAVAILABLE),
        }
    }

    /// ACTION on the disconnect control (methods 1 and 2). The association's method 1 is the
    /// session's.
    pub fn action(&mut self, method: &MethodDescriptor) -> ActionResult {
        if Self::find(method.class_id, method.instance_id).is_err() {
            return ActionResult::OBJECT_UNDEFINED;
        }
        match (method.instance_id, method.method_id) {
            (DISCONNECT, 1) => {
                self.connected = false;
                ActionResult::SUCCESS
            }
            (DISCONNECT, 2) => {
                self.connected = true;
                ActionResult::SUCCESS
            }
            _ => ActionResult::OBJECT_UNAVAILABLE,
        }
    }
}
