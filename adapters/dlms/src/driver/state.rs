//! What the source publishes: each point's report state and readings, `$state`, and the
//! readings of a meter lost (the last values again with `comm_failure`).
//!
//! A point the meter cannot give (a data-access-result other than success, a value that does
//! not decode) is published bad and counted every poll, but logged only when its problem
//! changes, and once more when it reads again: a meter that lacks one object does not fill the
//! log every poll.

use std::sync::Arc;

use fieldbridge_core::config::DlmsPoint;
use fieldbridge_core::event::{DeviceState, SourceEvent};
use fieldbridge_core::point::{
    Quality, QualityFlag, QualityLevel, Reading, SampleFacts, SourceAddress, Value,
};
use fieldbridge_core::source::report::{PointState, Policy};
use fieldbridge_core::time::Timestamp;
use tokio::time::Instant;

use super::poll::Poller;
use super::{is_clock, offset_name};
use crate::convert::address;
use crate::convert::Converted;

/// The point stream closed: the bridge is stopping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Stopped;

/// One configured point at run time.
pub(super) struct PointRt {
    pub(super) config: DlmsPoint,
    pub(super) source: SourceAddress,
    state: PointState,
    /// The clock's `<name>_offset` point.
    offset_state: PointState,
    /// The problem last logged for this point, until it reads again.
    problem: Option<String>,
}

impl PointRt {
    pub(super) fn new(config: &DlmsPoint) -> Self {
        PointRt {
            source: address(config),
            config: config.clone(),
            state: PointState::default(),
            offset_state: PointState::default(),
            problem: None,
        }
    }
}

/// Which of a point's two series a reading belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Series {
    /// The point itself.
    Value,
    /// A clock's offset from the bridge's clock.
    Offset,
}

/// One reading to publish, before the report state decides.
pub(super) struct Outcome {
    pub(super) converted: Converted,
    pub(super) ts: Option<Timestamp>,
    pub(super) received: Timestamp,
    pub(super) unit: Option<Arc<str>>,
}

impl Poller {
    /// Publishes a reading of point `index` when its report state says so, and logs its
    /// recovery when a problem was logged before.
    pub(super) async fn publish(
        &mut self,
        index: usize,
        series: Series,
        outcome: Outcome,
    ) -> Result<(), Stopped> {
        let Some(p) = self.points.get_mut(index) else {
            return Ok(());
        };
        if series == Series::Value {
            if let Some(problem) = p.problem.take() {
                tracing::info!(device = %self.device, point = %p.config.name, was = %problem, "dlms point read again");
            }
        }
        let (state, name) = match series {
            Series::Value => (&mut p.state, p.config.name.clone()),
            Series::Offset => (&mut p.offset_state, offset_name(&p.config)),
        };
        let Outcome {
            converted,
            ts,
            received,
            unit,
        } = outcome;
        let quality = converted.quality;
        let Some(value) = state.update(
            &Policy::default(),
            Some(converted.value),
            quality,
            Instant::now(),
        ) else {
            return Ok(());
        };
        let reading = Reading {
            device: self.device.clone(),
            point: name,
            value,
            quality,
            ts,
            received,
            unit,
            source: p.source.clone(),
            facts: SampleFacts {
                raw: converted.raw,
                scaler: converted.scaler,
                ..SampleFacts::default()
            },
        };
        self.send(SourceEvent::Reading(reading)).await
    }

    /// Logs that point `index` reads again, when a problem was logged for it before.
    pub(super) fn read_again(&mut self, index: usize) {
        if let Some(p) = self.points.get_mut(index) {
            if let Some(problem) = p.problem.take() {
                tracing::info!(device = %self.device, point = %p.config.name, was = %problem, "dlms point read again");
            }
        }
    }

    /// Publishes point `index` (and its offset, for a clock) bad with `flag`, because of `why`.
    /// Logged when `why` differs from the point's last problem.
    pub(super) async fn failed(
        &mut self,
        index: usize,
        flag: QualityFlag,
        why: &(dyn std::fmt::Display + Sync),
    ) -> Result<(), Stopped> {
        let Some(p) = self.points.get_mut(index) else {
            return Ok(());
        };
        let text = why.to_string();
        if p.problem.as_deref() != Some(text.as_str()) {
            tracing::warn!(device = %self.device, point = %p.config.name, error = %text, "dlms point not read");
            p.problem = Some(text);
        }
        let quality = Quality::new(QualityLevel::Bad, [flag]);
        let now = Instant::now();
        let received = Timestamp::now();
        let mut out = Vec::new();
        if let Some(value) = p.state.update(&Policy::default(), None, quality, now) {
            out.push(self.bad_reading(index, Series::Value, value, quality, received));
        }
        if self.points.get(index).is_some_and(|p| is_clock(&p.config)) {
            if let Some(value) = self.points.get_mut(index).and_then(|p| {
                p.offset_state
                    .update(&Policy::default(), None, quality, now)
            }) {
                out.push(self.bad_reading(index, Series::Offset, value, quality, received));
            }
        }
        for reading in out.into_iter().flatten() {
            self.send(SourceEvent::Reading(reading)).await?;
        }
        Ok(())
    }

    fn bad_reading(
        &self,
        index: usize,
        series: Series,
        value: Value,
        quality: Quality,
        received: Timestamp,
    ) -> Option<Reading> {
        let p = self.points.get(index)?;
        let (point, unit) = match series {
            Series::Value => (p.config.name.clone(), p.config.unit.clone()),
            Series::Offset => (offset_name(&p.config), Some(Arc::from("s"))),
        };
        Some(Reading {
            device: self.device.clone(),
            point,
            value,
            quality,
            ts: None,
            received,
            unit,
            source: p.source.clone(),
            facts: SampleFacts::default(),
        })
    }

    /// `$state` online, when it was not.
    pub(super) async fn set_online(&mut self) -> Result<(), Stopped> {
        if self.online == Some(true) {
            return Ok(());
        }
        self.online = Some(true);
        self.state(true, None).await
    }

    /// `$state` offline with `reason`, and every point read before (clock offsets included)
    /// published again with its last value and `comm_failure`.
    pub(super) async fn offline(&mut self, reason: &str) -> Result<(), Stopped> {
        if self.online == Some(false) {
            return Ok(());
        }
        self.online = Some(false);
        self.state(false, Some(reason.to_owned())).await?;
        let now = Instant::now();
        let received = Timestamp::now();
        let mut lost = Vec::new();
        for index in 0..self.points.len() {
            let Some(p) = self.points.get_mut(index) else {
                continue;
            };
            let value = p.state.lost(now);
            let offset = p.offset_state.lost(now);
            for (series, value) in [(Series::Value, value), (Series::Offset, offset)] {
                if let Some(value) = value {
                    lost.extend(self.bad_reading(
                        index,
                        series,
                        value,
                        Quality::comm_failure(),
                        received,
                    ));
                }
            }
        }
        for reading in lost {
            self.send(SourceEvent::Reading(reading)).await?;
        }
        Ok(())
    }

    async fn state(&mut self, online: bool, reason: Option<String>) -> Result<(), Stopped> {
        let state = DeviceState {
            device: self.device.clone(),
            online,
            reason,
            since: Timestamp::now(),
        };
        self.send(SourceEvent::DeviceState(state)).await
    }

    pub(super) async fn send(&self, event: SourceEvent) -> Result<(), Stopped> {
        self.events.send(event).await.map_err(|_| Stopped)
    }
}
