//! The point table of one source: which name each information object is published under, and
//! what was last published for it (for `comm_failure` when the link is lost).

use std::collections::HashMap;
use std::sync::Arc;

use fieldbridge_core::config::IecMaster;
use fieldbridge_core::point::{IecAddress, Quality, Reading, SampleFacts, SourceAddress};
use fieldbridge_core::source::report::{PointState, Policy};
use fieldbridge_core::source::{Counter, SourceStats};
use fieldbridge_core::time::Timestamp;
use fieldbridge_iec60870::asdu::{Asdu, InformationObject};
use tokio::time::Instant;

use crate::convert::observe;

/// One point: its name, unit and report state.
#[derive(Debug)]
struct Point {
    name: Arc<str>,
    unit: Option<Arc<str>>,
    state: PointState,
}

/// Which companion standard a source speaks: the `source.protocol` of its samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// IEC 60870-5-104 (TCP).
    Iec104,
    /// IEC 60870-5-101 (serial).
    Iec101,
}

impl Profile {
    /// The `protocol` of its sources.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Iec104 => "iec104",
            Profile::Iec101 => "iec101",
        }
    }

    /// The address of object `ioa` of station `common_address`, as samples carry it.
    pub fn address(self, common_address: u16, ioa: u32) -> SourceAddress {
        let address = IecAddress {
            common_address,
            ioa,
        };
        match self {
            Profile::Iec104 => SourceAddress::Iec104(address),
            Profile::Iec101 => SourceAddress::Iec101(address),
        }
    }
}

/// Every point of a source, configured or met on the link.
#[derive(Debug)]
pub struct Points {
    device: Arc<str>,
    profile: Profile,
    only_listed: bool,
    by_address: HashMap<(u16, u32), Point>,
}

impl Points {
    /// The configured points of `master`.
    pub fn new(device: Arc<str>, master: &IecMaster, profile: Profile) -> Self {
        let by_address = master
            .points
            .iter()
            .map(|p| {
                let point = Point {
                    name: p.name.clone(),
                    unit: p.unit.clone(),
                    state: PointState::default(),
                };
                ((p.common_address, p.ioa), point)
            })
            .collect();
        Points {
            device,
            profile,
            only_listed: master.only_listed,
            by_address,
        }
    }

    /// The readings of every monitoring object of `asdu` (IEC 60870-5-104 clause 8), in order;
    /// objects of other types give none. An object not listed while `only_listed` is set is
    /// counted in `stats` as [`Counter::Dropped`].
    pub fn readings(
        &mut self,
        asdu: &Asdu<'_>,
        device_time: &fieldbridge_core::config::DeviceTime,
        stats: &SourceStats,
        mut out: impl FnMut(Reading),
    ) {
        let header = asdu.header;
        let ca = header.common_address;
        let received = Timestamp::now();
        let now = Instant::now();
        asdu.objects().for_each(|object: InformationObject| {
            let Some(o) = observe(&object.element, object.time.as_ref(), device_time, received)
            else {
                return;
            };
            let key = (ca, object.address);
            let point = match self.by_address.get_mut(&key) {
                Some(point) => point,
                None if self.only_listed => {
                    stats.bump(Counter::Dropped);
                    return;
                }
                None => self.by_address.entry(key).or_insert_with(|| Point {
                    name: Arc::from(format!("ca{ca}-ioa{}", object.address)),
                    unit: None,
                    state: PointState::default(),
                }),
            };
            let facts = SampleFacts {
                type_id: Some(header.type_id.0),
                cot: Some(header.cause.0),
                test: header.test,
                counter_sequence: o.counter_sequence,
                ..SampleFacts::default()
            };
            // Every object the outstation sends is published: it reports by exception itself.
            let Some(value) = point
                .state
                .update(&Policy::default(), Some(o.value), o.quality, now)
            else {
                return;
            };
            out(Reading {
                device: self.device.clone(),
                point: point.name.clone(),
                value,
                quality: o.quality,
                ts: o.ts,
                received,
                unit: point.unit.clone(),
                source: self.profile.address(ca, object.address),
                facts,
            });
        });
    }

    /// The link is lost: every point with a known value, once, with `comm_failure` and no type
    /// or cause (the outstation sent nothing).
    pub fn lost(&mut self, mut out: impl FnMut(Reading)) {
        let received = Timestamp::now();
        let now = Instant::now();
        let mut lost: Vec<(&(u16, u32), &mut Point)> = self.by_address.iter_mut().collect();
        lost.sort_by_key(|(key, _)| **key);
        for (&(ca, ioa), point) in lost {
            if let Some(value) = point.state.lost(now) {
                out(Reading {
                    device: self.device.clone(),
                    point: point.name.clone(),
                    value,
                    quality: Quality::comm_failure(),
                    ts: None,
                    received,
                    unit: point.unit.clone(),
                    source: self.profile.address(ca, ioa),
                    facts: SampleFacts::default(),
                });
            }
        }
    }
}
