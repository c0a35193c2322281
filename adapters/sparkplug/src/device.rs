//! One device's metrics: names, aliases, datatypes (hinted, learnt, born) and current values.

use std::collections::HashMap;

use crate::proto::{property_value, DataType, Metric, PropertySet, PropertyValue};
use crate::value::is_scalar;
use crate::{MetricValue, PointInfo, Quality};

/// Property keys this crate writes on metrics (see the crate documentation for why these).
pub mod keys {
    /// The bridge's own per-sample sequence number (UInt64), on every DDATA metric.
    pub const SEQ: &str = "seq";
    /// Sparkplug's quality code (Int32, 6.4.9.1): 0 (BAD) on bad samples, absent when good.
    pub const QUALITY: &str = "Quality";
    /// The bridge's quality level when not good (String: `"uncertain"` or `"bad"`).
    pub const QUALITY_LEVEL: &str = "qualityLevel";
    /// The protocol's own quality flags, comma-separated (String), when there are any.
    pub const QUALITY_FLAGS: &str = "qualityFlags";
    /// The engineering unit (String), as Ignition names the tag property.
    pub const ENG_UNIT: &str = "engUnit";
    /// The protocol address of the point (String).
    pub const ADDRESS: &str = "address";
    /// True when the bridge refuses writes to the point (Boolean), as Ignition names it.
    pub const READ_ONLY: &str = "readOnly";
}

/// The Sparkplug quality code for BAD (6.4.9.1).
pub const QUALITY_BAD: i32 = 0;

/// The last value of a metric and what came with it.
#[derive(Clone, Debug)]
pub(crate) struct Last {
    pub(crate) value: MetricValue,
    pub(crate) timestamp_ms: u64,
    pub(crate) quality: Quality,
    pub(crate) flags: Vec<String>,
}

#[derive(Clone, Debug)]
pub(crate) struct Slot {
    pub(crate) name: String,
    pub(crate) alias: u64,
    /// From the device's point list; `None` for a point only ever seen in data.
    pub(crate) info: Option<PointInfo>,
    /// In the current point list.
    pub(crate) listed: bool,
    /// Learnt from a value that did not fit the hint.
    pub(crate) learnt: Option<DataType>,
    /// The datatype in this session's last DBIRTH, `None` if not in it.
    pub(crate) born: Option<DataType>,
    pub(crate) last: Option<Last>,
}

impl Slot {
    pub(crate) fn hint(&self) -> Option<DataType> {
        self.info
            .as_ref()
            .and_then(|i| i.datatype)
            .filter(|d| is_scalar(*d))
    }

    /// The datatype the next DBIRTH gives it.
    pub(crate) fn datatype(&self) -> Option<DataType> {
        self.learnt.or(self.hint())
    }

    fn birthable(&self) -> bool {
        self.datatype().is_some() && (self.listed || self.last.is_some() || self.learnt.is_some())
    }

    /// The datatype for `value`: the current one if it fits, else the hint if it fits, else
    /// the value's own. `None` only for Null without any datatype.
    pub(crate) fn datatype_for(&self, value: &MetricValue) -> Option<DataType> {
        if let Some(dt) = self.datatype().filter(|dt| value.fits(*dt)) {
            return Some(dt);
        }
        match self.hint() {
            Some(h) if value.fits(h) => Some(h),
            _ => value.natural_datatype(),
        }
    }

    /// The DBIRTH metric: name, alias, timestamp, datatype, current value (or null) and
    /// properties (Sparkplug 3.0, 6.4.20; values 5.16).
    fn birth_metric(&self, datatype: DataType, now_ms: u64) -> Metric {
        let mut metric = Metric {
            name: Some(self.name.clone()),
            alias: Some(self.alias),
            timestamp: Some(self.last.as_ref().map_or(now_ms, |l| l.timestamp_ms)),
            datatype: Some(datatype.code()),
            ..Metric::default()
        };
        let value = self.last.as_ref().map_or(&MetricValue::Null, |l| &l.value);
        if value.encode_into(datatype, &mut metric).is_err() {
            metric.is_null = Some(true);
        }
        let mut props = PropertySet::default();
        if let Some(info) = &self.info {
            if let Some(unit) = &info.unit {
                push(&mut props, keys::ENG_UNIT, string(unit));
            }
            if let Some(address) = &info.address {
                push(&mut props, keys::ADDRESS, string(address));
            }
        }
        let read_only = !self.info.as_ref().is_some_and(|i| i.writable);
        push(&mut props, keys::READ_ONLY, boolean(read_only));
        if let Some(last) = &self.last {
            quality_props(&mut props, last.quality, &last.flags);
        }
        metric.properties = Some(props);
        metric
    }
}

/// One Sparkplug device: a source of the bridge.
#[derive(Clone, Debug, Default)]
pub(crate) struct Device {
    pub(crate) points: Vec<PointInfo>,
    pub(crate) slots: Vec<Slot>,
    pub(crate) by_name: HashMap<String, usize>,
    pub(crate) by_alias: HashMap<u64, usize>,
    pub(crate) online: bool,
    /// A DBIRTH was sent in this session and no DDEATH since.
    pub(crate) born: bool,
}

impl Device {
    /// The slot of `name`, created with the next alias of the edge node if new.
    pub(crate) fn slot(&mut self, name: &str, next_alias: &mut u64) -> usize {
        if let Some(i) = self.by_name.get(name) {
            return *i;
        }
        let alias = *next_alias;
        *next_alias = next_alias.wrapping_add(1);
        let i = self.slots.len();
        self.slots.push(Slot {
            name: name.to_string(),
            alias,
            info: None,
            listed: false,
            learnt: None,
            born: None,
            last: None,
        });
        self.by_name.insert(name.to_string(), i);
        self.by_alias.insert(alias, i);
        i
    }

    /// Replaces the point list; true when it changed.
    pub(crate) fn set_points(&mut self, points: Vec<PointInfo>, next_alias: &mut u64) -> bool {
        if points == self.points {
            return false;
        }
        for slot in &mut self.slots {
            slot.listed = false;
        }
        for p in &points {
            let i = self.slot(&p.name, next_alias);
            if let Some(slot) = self.slots.get_mut(i) {
                if slot.hint() != p.datatype.filter(|d| is_scalar(*d)) {
                    slot.learnt = None;
                }
                slot.info = Some(p.clone());
                slot.listed = true;
            }
        }
        self.points = points;
        true
    }

    /// True when a DBIRTH would hold at least one metric.
    pub(crate) fn has_metrics(&self) -> bool {
        self.slots.iter().any(Slot::birthable)
    }

    /// Forgets this session's births (after a disconnection or before a new NBIRTH).
    pub(crate) fn end_session(&mut self) {
        self.born = false;
        for slot in &mut self.slots {
            slot.born = None;
        }
    }

    /// The DBIRTH payload's metrics, in a stable order (the point list's, then points only
    /// seen in data in order of appearance); marks them born.
    pub(crate) fn birth_metrics(&mut self, now_ms: u64) -> Vec<Metric> {
        let mut listed = vec![false; self.slots.len()];
        let mut order: Vec<usize> = Vec::with_capacity(self.slots.len());
        for p in &self.points {
            if let Some(&i) = self.by_name.get(&p.name) {
                if let Some(seen) = listed.get_mut(i) {
                    if !*seen {
                        *seen = true;
                        order.push(i);
                    }
                }
            }
        }
        order.extend((0..self.slots.len()).filter(|i| !listed.get(*i).copied().unwrap_or(false)));
        let mut metrics = Vec::with_capacity(order.len());
        for slot in &mut self.slots {
            slot.born = None;
        }
        for i in order {
            let Some(slot) = self.slots.get_mut(i) else {
                continue;
            };
            if !slot.birthable() {
                continue;
            }
            let Some(dt) = slot.datatype() else {
                continue;
            };
            metrics.push(slot.birth_metric(dt, now_ms));
            slot.born = Some(dt);
        }
        self.born = true;
        metrics
    }
}

/// Adds the quality properties of a sample that is not good (see [`keys`]).
pub(crate) fn quality_props(props: &mut PropertySet, quality: Quality, flags: &[String]) {
    match quality {
        Quality::Good => {}
        Quality::Uncertain => push(props, keys::QUALITY_LEVEL, string("uncertain")),
        Quality::Bad => {
            push(props, keys::QUALITY, int32(QUALITY_BAD));
            push(props, keys::QUALITY_LEVEL, string("bad"));
        }
    }
    if !flags.is_empty() {
        push(props, keys::QUALITY_FLAGS, string(&flags.join(",")));
    }
}

pub(crate) fn push(props: &mut PropertySet, key: &str, value: PropertyValue) {
    props.keys.push(key.to_string());
    props.values.push(value);
}

pub(crate) fn string(s: &str) -> PropertyValue {
    PropertyValue {
        r#type: Some(DataType::String.code()),
        is_null: None,
        value: Some(property_value::Value::StringValue(s.to_string())),
    }
}

pub(crate) fn boolean(b: bool) -> PropertyValue {
    PropertyValue {
        r#type: Some(DataType::Boolean.code()),
        is_null: None,
        value: Some(property_value::Value::BooleanValue(b)),
    }
}

pub(crate) fn uint64(v: u64) -> PropertyValue {
    PropertyValue {
        r#type: Some(DataType::UInt64.code()),
        is_null: None,
        value: Some(property_value::Value::LongValue(v)),
    }
}

/// An Int32 property, two's complement in 32 bits (6.4.9.1 wants type 3 in int_value).
pub(crate) fn int32(v: i32) -> PropertyValue {
    PropertyValue {
        r#type: Some(DataType::Int32.code()),
        is_null: None,
        value: Some(property_value::Value::IntValue(v as u32)),
    }
}
