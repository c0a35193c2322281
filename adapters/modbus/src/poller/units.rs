//! The health of each unit behind the connection, and the device's `$state` from it.
//!
//! A gateway (Modbus Application Protocol V1.1b3 §7, exceptions 0x0A GATEWAY PATH UNAVAILABLE and
//! 0x0B GATEWAY TARGET DEVICE FAILED TO RESPOND) or a bus holds several units on one connection. A
//! unit that does not answer (one of those exceptions, or a timeout) has its points published bad
//! with `comm_failure`, once; the connection is kept and the other units go on being polled. The
//! device stays online while the connection works and some unit answers (its `reason` names the
//! units that do not); it goes offline when no unit answers or the connection is lost.

use fieldbridge_core::event::{DeviceState, SourceEvent};
use fieldbridge_core::point::Quality;
use fieldbridge_core::time::Timestamp;
use tokio::time::Instant;

use super::{reading, send, Poller};
use crate::error::Error;

/// Whether a unit answers: unknown until it is first asked (and again after a reconnect).
pub(super) type Answering = Option<bool>;

impl Poller {
    /// Whether `unit` is known not to answer: it is then asked once per poll, briefly.
    pub(super) fn unit_is_dead(&self, unit: u8) -> bool {
        self.units.get(&unit) == Some(&Some(false))
    }

    /// After a reconnect no unit is known to answer or not until it is asked again.
    pub(super) fn forget_units(&mut self) {
        self.units.values_mut().for_each(|a| *a = None);
    }

    /// `unit` answered: the device is online, and the reconnect backoff starts over.
    pub(super) async fn unit_answered(&mut self, unit: Option<u8>) -> Result<(), Error> {
        self.backoff.reset();
        if let Some(unit) = unit {
            let before = self.units.insert(unit, Some(true));
            if before == Some(Some(false)) {
                tracing::info!(device = %self.device, unit, "modbus unit answers again");
            }
        }
        self.publish_state(true, None).await
    }

    /// `unit` did not answer (`error` is a timeout or a gateway exception): its points go bad with
    /// `comm_failure`. Returns `error` when no unit of the connection answers any more: then the
    /// device is unreachable.
    pub(super) async fn unit_lost(&mut self, unit: u8, error: Error) -> Result<(), Error> {
        let before = self.units.insert(unit, Some(false));
        if before != Some(Some(false)) {
            tracing::warn!(device = %self.device, unit, reason = %error.reason(), "modbus unit not answering");
        }
        if self.units.values().all(|a| *a == Some(false)) {
            // `offline` marks every point, after `$state`.
            return Err(error);
        }
        self.lose_points(Some(unit)).await?;
        if self.units.values().any(|a| *a == Some(true)) {
            // Still online; the reason names the units that do not answer.
            self.publish_state(true, None).await?;
        }
        Ok(())
    }

    /// The device is unreachable: on the transition, `$state` goes offline and every point is
    /// republished with `comm_failure` (a point never read without a value).
    pub(super) async fn offline(&mut self, error: &Error) -> Result<(), Error> {
        if self.online == Some(false) {
            tracing::debug!(device = %self.device, error = %error, "modbus device still unreachable");
            return Ok(());
        }
        let reason = error.reason();
        tracing::warn!(device = %self.device, error = %error, reason = %reason, "modbus device unreachable");
        self.publish_state(false, Some(reason)).await?;
        self.lose_points(None).await
    }

    /// Publishes `comm_failure` once for the points of `unit` (every point when `None`): the last
    /// value when one is known, else no value (`null`).
    async fn lose_points(&mut self, unit: Option<u8>) -> Result<(), Error> {
        let now = Instant::now();
        let received = Timestamp::now();
        let quality = Quality::comm_failure();
        for i in 0..self.points.len() {
            let p = &mut self.points[i];
            if unit.is_some_and(|u| u != p.config.unit_id) {
                continue;
            }
            let value = if p.state.last_value().is_some() {
                p.state.lost(now)
            } else if p.state.published().is_some_and(|x| x.quality == quality) {
                None
            } else {
                p.state.update(&p.policy, None, quality, now)
            };
            if let Some(value) = value {
                let reading = reading(&self.device, p, value, quality, received);
                send(&self.events, SourceEvent::Reading(reading)).await?;
            }
        }
        Ok(())
    }

    /// Publishes `$state` when it differs from the last one sent. Online, its reason names the
    /// units that do not answer, and it waits until every unit was asked since the connection
    /// opened (all are, in the first round of polls), so the reason does not change unit by unit.
    async fn publish_state(&mut self, online: bool, reason: Option<String>) -> Result<(), Error> {
        if online && self.units.values().any(Option::is_none) {
            return Ok(());
        }
        let reason = if online { self.dead_units() } else { reason };
        if self.online == Some(online) && (!online || self.state_reason == reason) {
            return Ok(());
        }
        if online && self.online != Some(true) {
            tracing::info!(device = %self.device, "modbus device online");
        }
        self.online = Some(online);
        self.state_reason.clone_from(&reason);
        let state = DeviceState {
            device: self.device.clone(),
            online,
            reason,
            since: Timestamp::now(),
        };
        send(&self.events, SourceEvent::DeviceState(state)).await
    }

    /// `unit 3 not answering`, `units 3, 4 not answering`, or `None`.
    fn dead_units(&self) -> Option<String> {
        let dead: Vec<String> = self
            .units
            .iter()
            .filter(|(_, a)| **a == Some(false))
            .map(|(u, _)| u.to_string())
            .collect();
        match dead.as_slice() {
            [] => None,
            [one] => Some(format!("unit {one} not answering")),
            many => Some(format!("units {} not answering", many.join(", "))),
        }
    }
}
