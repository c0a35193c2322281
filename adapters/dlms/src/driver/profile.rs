//! Profile generic points (class 7, attribute 2; IEC 62056-6-2 clause 4.3.6) read with catch-up
//! (the order of [`crate::profile`]): the capture objects and period, each register column's
//! scaler_unit, entries_in_use and profile_entries, then the buffer by range from the cursor
//! (the whole buffer on a first start), [`catchup::select`], one sample per value column of
//! each new entry with the entry's capture time as `ts`, and only then the cursor advanced on
//! disk.
//!
//! An entry is published `historical` (late) when a poll before this one could have read it:
//! it was captured a poll interval or more before this cycle began (after a restart, or an
//! outage of the meter, every entry of the backlog; in a steady run, none). The profile point
//! itself carries no value; its columns are points of their own, added to `$meta` once the
//! capture objects are known.

use std::sync::Arc;

use fieldbridge_core::event::{DeviceMeta, PointMeta, SourceEvent};
use fieldbridge_core::point::{
    Quality, QualityFlag, QualityLevel, Reading, SampleFacts, SourceAddress, Value,
};
use fieldbridge_core::source::Counter;
use fieldbridge_core::time::Timestamp;
use fieldbridge_dlms::apdu::get::AttributeDescriptor;

use super::cycle::Answer;
use super::exchange::Bounds;
use super::poll::Poller;
use super::state::Stopped;
use crate::catchup::{self, CatchupStore, Observation, Severity};
use crate::convert::{self, ConvertError, ScalerUnit};
use crate::link::{Link, LinkError};
use crate::profile::{counter, Column, Entry, ProfileLayout};
use crate::session::Session;

/// A cycle's answer for one profile point: `Ok(Ok)` read (or refused and reported), the outer
/// error ends the cycle, the inner one means the point stream closed.
type ProfileResult = Result<Result<(), Stopped>, LinkError>;

impl Poller {
    /// Reads profile point `index` and publishes its new entries.
    pub(super) async fn read_profile(
        &mut self,
        index: usize,
        link: &mut Link,
        session: &mut Session,
        bounds: Bounds,
    ) -> ProfileResult {
        let Some(point) = self.points.get(index).map(|p| p.config.clone()) else {
            return Ok(Ok(()));
        };
        let descriptor =
            |attribute: i8| AttributeDescriptor::new(point.class, point.obis, attribute);
        let objects = match self
            .get_attribute(link, session, descriptor(3), None, bounds)
            .await?
        {
            Answer::Value(data) => data,
            Answer::Refused(result) => return Ok(self.refused(index, 3, result).await),
        };
        let period = match self
            .get_attribute(link, session, descriptor(4), None, bounds)
            .await?
        {
            Answer::Value(data) => counter(&data, "capture_period").unwrap_or(0),
            Answer::Refused(_) => 0,
        };
        let mut layout = match ProfileLayout::new(&point.name, &objects, period) {
            Ok(layout) => layout,
            Err(e) => return Ok(self.undecodable(index, &e).await),
        };
        self.scalers(&mut layout, link, session, bounds).await?;
        let entries_in_use = self
            .counter_attribute(link, session, descriptor(7), bounds)
            .await?;
        let profile_entries = self
            .counter_attribute(link, session, descriptor(8), bounds)
            .await?;

        let cursor = self.catchup_store().cursor(&point.name).copied();
        let access = cursor.map(|c| layout.access_since(c.range_from));
        let buffer = match self
            .get_attribute(link, session, descriptor(2), access, bounds)
            .await?
        {
            Answer::Value(data) => data,
            Answer::Refused(result) => return Ok(self.refused(index, 2, result).await),
        };
        let entries = match layout.decode(buffer, &self.config.device_time) {
            Ok(entries) => entries,
            Err(e) => return Ok(self.undecodable(index, &e).await),
        };
        let read = entries.len();
        let selection = catchup::select(
            cursor.as_ref(),
            layout.capture_period(),
            Observation {
                entries,
                entries_in_use,
                profile_entries,
                newest: None,
                meter_clock: None,
            },
        );
        for anomaly in &selection.anomalies {
            anomaly.log(&self.device, &point.name);
            if anomaly.severity() == Severity::Warning {
                self.stats.bump(Counter::Exceptions);
            }
        }
        if let Err(stopped) = self.profile_meta(index, &layout).await {
            return Ok(Err(stopped));
        }
        self.read_again(index);
        let received = Timestamp::now();
        let poll_ms = i64::try_from(self.config.poll.as_millis()).unwrap_or(i64::MAX);
        let live_from = self.cycle_started.unix_millis().saturating_sub(poll_ms);
        let source = self.points.get(index).map(|p| p.source.clone());
        let mut unreadable = None;
        for entry in &selection.publish {
            let late = entry.capture_time.unix_millis() <= live_from;
            for (column, raw) in entry.columns(&layout) {
                let reading =
                    match column_reading(&self.device, &source, column, entry, raw, received, late)
                    {
                        Ok(reading) => reading,
                        Err(e) => {
                            // A value the meter did not capture (null-data) or cannot be one.
                            self.stats.bump(Counter::DecodeErrors);
                            unreadable.get_or_insert((column.point.clone(), e));
                            continue;
                        }
                    };
                if let Err(stopped) = self.send(SourceEvent::Reading(reading)).await {
                    return Ok(Err(stopped));
                }
            }
        }
        if let Some((column, error)) = unreadable {
            tracing::warn!(device = %self.device, profile = %point.name, %column, %error, "dlms profile values not read (first of this read shown)");
        }
        tracing::debug!(device = %self.device, profile = %point.name, read, published = selection.publish.len(), "dlms profile read");
        if let Some(next) = selection.cursor {
            let name = point.name.to_string();
            if let Err(error) = self.catchup_store().advance(&name, next) {
                // Kept in memory: this run does not publish the entries again; a restart
                // before a write succeeds publishes them again, never loses them.
                self.stats.bump(Counter::DecodeErrors);
                tracing::warn!(device = %self.device, profile = %point.name, %error, "dlms profile cursor not saved; retried at the next read");
            }
        }
        Ok(Ok(()))
    }

    /// The source's profile cursors, opened from its state folder on first use.
    fn catchup_store(&mut self) -> &mut CatchupStore {
        let device = self.device.clone();
        let dir = self.state_dir.clone();
        self.catchup.get_or_insert_with(|| {
            let opened = CatchupStore::open(&dir);
            if let Some(problem) = opened.problem {
                tracing::warn!(device = %device, error = %problem, "dlms profile cursors not used");
            }
            opened.store
        })
    }

    /// Each register column's scaler_unit, from the captured register itself. A column whose
    /// scaler cannot be read is published raw, without a unit.
    async fn scalers(
        &mut self,
        layout: &mut ProfileLayout,
        link: &mut Link,
        session: &mut Session,
        bounds: Bounds,
    ) -> Result<(), LinkError> {
        let wanted: Vec<(usize, AttributeDescriptor)> = layout
            .columns()
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                c.scaler_attribute().map(|a| {
                    (
                        i,
                        AttributeDescriptor::new(c.object.class_id, c.object.logical_name, a),
                    )
                })
            })
            .collect();
        for (i, descriptor) in wanted {
            if let Answer::Value(data) = self
                .get_attribute(link, session, descriptor, None, bounds)
                .await?
            {
                match ScalerUnit::from_data(&data) {
                    Ok(su) => {
                        layout.set_scaler_unit(i, su);
                    }
                    Err(e) => {
                        tracing::debug!(device = %self.device, column = i, error = %e, "dlms profile column scaler not read; raw values published")
                    }
                }
            }
        }
        Ok(())
    }

    /// A double-long-unsigned attribute of a profile (entries_in_use, profile_entries), when
    /// the meter gives it.
    async fn counter_attribute(
        &mut self,
        link: &mut Link,
        session: &mut Session,
        descriptor: AttributeDescriptor,
        bounds: Bounds,
    ) -> Result<Option<u32>, LinkError> {
        Ok(
            match self
                .get_attribute(link, session, descriptor, None, bounds)
                .await?
            {
                Answer::Value(data) => counter(&data, "entries_in_use").ok(),
                Answer::Refused(_) => None,
            },
        )
    }

    /// `$meta` again when a profile's columns are new or changed.
    async fn profile_meta(&mut self, index: usize, layout: &ProfileLayout) -> Result<(), Stopped> {
        let columns: Vec<PointMeta> = layout
            .value_columns()
            .map(|(_, c)| PointMeta {
                name: c.point.clone(),
                unit: c.unit(),
                writable: false,
                source: column_address(self.points.get(index).map(|p| &p.source), c),
            })
            .collect();
        if self.profile_columns.get(&index) == Some(&columns) {
            return Ok(());
        }
        self.profile_columns.insert(index, columns);
        let mut meta: DeviceMeta = super::meta(self.device.clone(), &self.config);
        for columns in self.profile_columns.values() {
            meta.points.extend(columns.iter().cloned());
        }
        self.send(SourceEvent::DeviceMeta(meta)).await
    }
}

/// A column's address: the captured object, and the profile it was read from.
fn column_address(profile: Option<&SourceAddress>, column: &Column) -> SourceAddress {
    let profile = match profile {
        Some(SourceAddress::Dlms { obis, .. }) => Some(obis.clone()),
        _ => None,
    };
    let [a, b, c, d, e, f] = column.object.logical_name;
    SourceAddress::Dlms {
        obis: Arc::from(format!("{a}.{b}.{c}.{d}.{e}.{f}")),
        class: column.object.class_id,
        attribute: column.object.attribute_index,
        profile,
    }
}

/// One sample of one column of one entry.
fn column_reading(
    device: &Arc<str>,
    profile: &Option<SourceAddress>,
    column: &Column,
    entry: &Entry,
    raw: &fieldbridge_dlms::axdr::Data,
    received: Timestamp,
    late: bool,
) -> Result<Reading, ConvertError> {
    let quality = if entry.clock_doubtful() {
        Quality::new(QualityLevel::Uncertain, [QualityFlag::ClockDoubtful])
    } else {
        Quality::GOOD
    };
    let value = column.value(raw)?;
    let raw_int = match convert::value(raw) {
        Ok(Value::Int(i)) => Some(i),
        _ => None,
    };
    Ok(Reading {
        device: device.clone(),
        point: column.point.clone(),
        value,
        quality,
        ts: Some(entry.capture_time),
        received,
        unit: column.unit(),
        source: column_address(profile.as_ref(), column),
        facts: SampleFacts {
            raw: column.scaler_unit.and(raw_int),
            scaler: column.scaler_unit.map(|su| su.scaler),
            late,
            ..SampleFacts::default()
        },
    })
}
