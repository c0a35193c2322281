//! The source task: connects, polls the groups on their schedule, publishes by exception, reports
//! the device unreachable and back, and executes commands ([`command`]) between polls.
//!
//! The task waits in one place: for the next group to fall due (or the reconnect backoff while the
//! device is unreachable) *or* for a command. A command waiting when a poll falls due goes first;
//! polls and commands share the one [`Connection`], so they never overlap on the wire.

mod command;
mod units;

use std::sync::Arc;
use std::time::Duration;

use fieldbridge_core::backoff::Backoff;
use fieldbridge_core::command::{CommandReceiver, CommandRequest};
use fieldbridge_core::config::{ModbusPoint, ModbusSource, ModbusType};
use fieldbridge_core::event::{EventSender, SourceEvent};
use fieldbridge_core::point::{Quality, QualityFlag, QualityLevel, Reading, SourceAddress, Value};
use fieldbridge_core::time::Timestamp;
use tokio::time::Instant;
use tokio_modbus::ExceptionCode;

use crate::connection::{Connection, ReadData};
use crate::convert::{decode_point_bit, decode_point_registers, Decoded};
use crate::error::Error;
use crate::plan::{self, Block, Group, Limits};
use crate::report::{PointState, Policy};
use crate::write::Writer;
use fieldbridge_core::source::{Counter, SourceStats};

/// The shortest poll interval the scheduler accepts.
const MIN_INTERVAL: Duration = Duration::from_millis(1);

/// When a group is next due after being polled for `due`, skipping (not bursting) missed ticks and
/// keeping the phase of the schedule.
pub(crate) fn next_due(due: Instant, interval: Duration, now: Instant) -> Instant {
    let interval = interval.max(MIN_INTERVAL);
    // An interval too long for the clock: poll again in an hour rather than overflow.
    let Some(next) = due.checked_add(interval) else {
        return now + Duration::from_secs(3600);
    };
    if next > now {
        return next;
    }
    let periods = now.saturating_duration_since(due).as_nanos() / interval.as_nanos() + 1;
    u32::try_from(periods)
        .ok()
        .and_then(|n| interval.checked_mul(n))
        .and_then(|d| due.checked_add(d))
        .unwrap_or(now + interval)
}

/// The protocol address of a point as published in `source`.
pub(crate) fn source_address(point: &ModbusPoint) -> SourceAddress {
    let r = point.register;
    let has_order = !r.table.is_bits() && r.bit.is_none() && point.data_type != ModbusType::Bool;
    SourceAddress::Modbus {
        unit: point.unit_id,
        table: r.table,
        address: r.address,
        bit: r.bit,
        data_type: Arc::from(point.data_type.name()),
        word_order: has_order.then(|| point.word_order.as_str()),
    }
}

struct PointRt {
    config: ModbusPoint,
    source: SourceAddress,
    policy: Policy,
    state: PointState,
}

struct GroupRt {
    group: Group,
    due: Instant,
}

/// One Modbus source: its connection, its plan and the state of its points.
pub(crate) struct Poller {
    device: Arc<str>,
    points: Vec<PointRt>,
    groups: Vec<GroupRt>,
    limits: Limits,
    conn: Connection,
    events: EventSender,
    stats: Arc<SourceStats>,
    /// The last `$state` sent: online or not, and its reason.
    online: Option<bool>,
    state_reason: Option<String>,
    /// Whether each unit polled answers ([`units`]).
    units: std::collections::BTreeMap<u8, units::Answering>,
    backoff: Backoff,
    /// `None` once the router dropped its end: then only polls wake the task.
    commands: Option<CommandReceiver>,
    writer: Writer,
    /// Values that cannot be decoded: logged once, then once a minute with a count (each is
    /// published with its bad quality).
    decode_log: fieldbridge_core::throttle::Throttle,
}

impl Poller {
    pub(crate) fn new(
        device: Arc<str>,
        config: ModbusSource,
        events: EventSender,
        stats: Arc<SourceStats>,
        commands: CommandReceiver,
    ) -> Self {
        let limits = Limits::from_source(&config);
        let writer = Writer::new(config.write_multiple, limits.max_registers);
        let now = Instant::now();
        let groups: Vec<GroupRt> = plan::groups(&config.points, &limits)
            .into_iter()
            .map(|mut group| {
                group.interval = group.interval.max(MIN_INTERVAL);
                GroupRt { group, due: now }
            })
            .collect();
        let units = groups.iter().map(|g| (g.group.unit, None)).collect();
        let points = config
            .points
            .into_iter()
            .map(|p| PointRt {
                source: source_address(&p),
                policy: Policy {
                    deadband: p.deadband,
                    heartbeat: config.heartbeat,
                },
                state: PointState::default(),
                config: p,
            })
            .collect();
        let conn = Connection::new(
            device.clone(),
            config.transport,
            config.timeout,
            config.retries,
            stats.clone(),
        );
        Poller {
            device,
            points,
            groups,
            limits,
            conn,
            events,
            stats,
            online: None,
            state_reason: None,
            units,
            backoff: Backoff::new(config.reconnect_min, config.reconnect_max),
            commands: Some(commands),
            writer,
            decode_log: fieldbridge_core::throttle::Throttle::default(),
        }
    }

    /// Runs until the event channel closes.
    pub(crate) async fn run(mut self) {
        tracing::info!(device = %self.device, points = self.points.len(), groups = self.groups.len(), "modbus source started");
        for g in &self.groups {
            tracing::debug!(
                device = %self.device,
                unit = g.group.unit,
                interval_ms = g.group.interval.as_millis() as u64,
                requests = g.group.blocks.len(),
                "modbus polling group"
            );
        }
        if let Err(e) = self.run_inner().await {
            tracing::info!(device = %self.device, reason = %e, "modbus source stopped");
        }
    }

    async fn run_inner(&mut self) -> Result<(), Error> {
        loop {
            if self.events.is_closed() {
                return Err(Error::ChannelClosed);
            }
            if !self.conn.is_connected() {
                if let Err(e) = self.conn.connect().await {
                    self.offline(&e).await?;
                    self.pause().await?;
                    continue;
                }
                tracing::debug!(device = %self.device, "modbus connection open");
                self.forget_units();
                let now = Instant::now();
                self.groups.iter_mut().for_each(|g| g.due = now);
                if self.groups.is_empty() {
                    self.unit_answered(None).await?;
                }
            }
            let next = (0..self.groups.len()).min_by_key(|&i| self.groups[i].due);
            let due = next.map(|gi| self.groups[gi].due);
            // Biased: a command waiting when a poll falls due goes first.
            tokio::select! {
                biased;
                () = self.events.closed() => return Err(Error::ChannelClosed),
                request = next_command(&mut self.commands) => {
                    match request {
                        Some(request) => self.handle_command(request).await?,
                        None => self.commands = None,
                    }
                    continue;
                }
                () = sleep_until(due) => {}
            }
            let (Some(gi), Some(due)) = (next, due) else {
                continue;
            };
            match self.poll_group(gi).await {
                Ok(()) => {}
                Err(Error::ChannelClosed) => return Err(Error::ChannelClosed),
                Err(e) => {
                    self.conn.disconnect();
                    self.offline(&e).await?;
                    self.pause().await?;
                    continue;
                }
            }
            let g = &mut self.groups[gi];
            g.due = next_due(due, g.group.interval, Instant::now());
        }
    }

    /// Waits the next backoff delay before reconnecting, or until the event channel closes.
    /// Commands arriving meanwhile are executed at once (they connect without waiting for the
    /// backoff); the pause ends early when one of them opened the connection.
    async fn pause(&mut self) -> Result<(), Error> {
        let delay = self.backoff.next_delay();
        tracing::debug!(device = %self.device, delay_ms = delay.as_millis() as u64, "modbus reconnect scheduled");
        let until = Instant::now() + delay;
        loop {
            tokio::select! {
                biased;
                () = self.events.closed() => return Err(Error::ChannelClosed),
                request = next_command(&mut self.commands) => match request {
                    Some(request) => {
                        self.handle_command(request).await?;
                        if self.conn.is_connected() {
                            return Ok(());
                        }
                    }
                    None => self.commands = None,
                },
                () = tokio::time::sleep_until(until) => return Ok(()),
            }
        }
    }

    /// Polls every block of one group, splitting a coalesced block that spans an unmapped address.
    /// A unit that does not answer ends its group's poll and has its points marked ([`units`]).
    /// Returns an error only when the device is unreachable (or the channel closed).
    async fn poll_group(&mut self, gi: usize) -> Result<(), Error> {
        let unit = self.groups[gi].group.unit;
        let mut bi = 0;
        while let Some(block) = self.groups[gi].group.blocks.get(bi).cloned() {
            let probe = self.unit_is_dead(unit);
            match self.read_block(unit, &block, probe).await {
                Ok(data) => {
                    self.unit_answered(Some(unit)).await?;
                    self.publish_block(unit, &block, &data).await?;
                }
                Err(
                    e @ Error::Exception {
                        exception: ExceptionCode::IllegalDataAddress,
                        ..
                    },
                ) if block.is_splittable() => {
                    self.unit_answered(Some(unit)).await?;
                    let parts = block.split();
                    tracing::warn!(
                        device = %self.device,
                        unit,
                        table = block.table.as_str(),
                        address = block.start,
                        count = block.count,
                        requests = parts.len(),
                        error = %e,
                        "coalesced modbus read spans an address the device does not map; reading its points one by one from now on"
                    );
                    self.groups[gi].group.blocks.splice(bi..=bi, parts);
                    continue;
                }
                Err(e) if e.device_answered() => {
                    self.unit_answered(Some(unit)).await?;
                    self.publish_failure(unit, &block, &e).await?;
                }
                Err(e) if e.unit_silent() => return self.unit_lost(unit, e).await,
                Err(e) => return Err(e),
            }
            bi += 1;
        }
        Ok(())
    }

    /// Reads a block, in several requests only when one point exceeds the request limit.
    /// A `probe` (a unit known not to answer) is one short attempt.
    async fn read_block(
        &mut self,
        unit: u8,
        block: &Block,
        probe: bool,
    ) -> Result<ReadData, Error> {
        let mut out: Option<ReadData> = None;
        for (start, count) in block.requests(self.limits.max_for(block.table)) {
            let part = self
                .conn
                .read_as(unit, block.table, start, count, probe)
                .await?;
            out = Some(match (out, part) {
                (None, part) => part,
                (Some(ReadData::Words(mut a)), ReadData::Words(b)) => {
                    a.extend(b);
                    ReadData::Words(a)
                }
                (Some(ReadData::Bits(mut a)), ReadData::Bits(b)) => {
                    a.extend(b);
                    ReadData::Bits(a)
                }
                (Some(_), _) => {
                    return Err(Error::ShortResponse {
                        expected: usize::from(block.count),
                        got: 0,
                    })
                }
            });
        }
        out.ok_or(Error::ShortResponse {
            expected: usize::from(block.count),
            got: 0,
        })
    }

    async fn publish_block(
        &mut self,
        unit: u8,
        block: &Block,
        data: &ReadData,
    ) -> Result<(), Error> {
        let now = Instant::now();
        let received = Timestamp::now();
        for m in &block.members {
            let span = usize::from(m.offset)..usize::from(m.offset) + usize::from(m.count);
            self.publish_point(m.point, unit, data, span, now, received)
                .await?;
        }
        Ok(())
    }

    /// Decodes the point `index` from `span` of an answer (registers, or the bit at its start)
    /// and publishes it by exception: the one path from an answer to a reading, for polls and for
    /// the read-back of a command.
    pub(super) async fn publish_point(
        &mut self,
        index: usize,
        unit: u8,
        data: &ReadData,
        span: std::ops::Range<usize>,
        now: Instant,
        received: Timestamp,
    ) -> Result<(), Error> {
        let Some(p) = self.points.get_mut(index) else {
            return Ok(());
        };
        let decoded: Decoded = match data {
            ReadData::Words(w) => decode_point_registers(&p.config, w.get(span).unwrap_or(&[])),
            ReadData::Bits(b) => decode_point_bit(&p.config, b.get(span.start).copied()),
        };
        if decoded.error.is_some() {
            self.stats.bump(Counter::DecodeErrors);
        }
        let Some(value) = p
            .state
            .update(&p.policy, Some(decoded.value), decoded.quality, now)
        else {
            return Ok(());
        };
        if let Some(e) = &decoded.error {
            fieldbridge_core::throttled!(
                self.decode_log,
                "decode",
                warn,
                device = %self.device,
                point = %p.config.name,
                unit,
                address = p.config.register.address,
                error = %e,
                "cannot decode modbus value"
            );
        }
        let reading = reading(&self.device, p, value, decoded.quality, received);
        send(&self.events, SourceEvent::Reading(reading)).await
    }

    /// The device answered a block with an exception (or an unusable answer): its points go bad.
    async fn publish_failure(
        &mut self,
        unit: u8,
        block: &Block,
        error: &Error,
    ) -> Result<(), Error> {
        let flag = match error {
            Error::Exception { .. } => QualityFlag::DeviceError,
            // Counted where the connection refused it.
            Error::Garbage(_) => QualityFlag::DecodeError,
            _ => {
                self.stats.bump(Counter::DecodeErrors);
                QualityFlag::DecodeError
            }
        };
        let quality = Quality::new(QualityLevel::Bad, [flag]);
        let now = Instant::now();
        let received = Timestamp::now();
        let mut changed = 0usize;
        for m in &block.members {
            let Some(p) = self.points.get_mut(m.point) else {
                continue;
            };
            let Some(value) = p.state.update(&p.policy, None, quality, now) else {
                continue;
            };
            changed += 1;
            let reading = reading(&self.device, p, value, quality, received);
            send(&self.events, SourceEvent::Reading(reading)).await?;
        }
        if changed > 0 {
            tracing::warn!(
                device = %self.device,
                unit,
                table = block.table.as_str(),
                address = block.start,
                count = block.count,
                points = block.members.len(),
                error = %error,
                "modbus read refused by the device"
            );
        }
        Ok(())
    }
}

/// The next command, or `None` once the router dropped its end; pending for ever after that, so a
/// closed queue never wakes the task again.
async fn next_command(commands: &mut Option<CommandReceiver>) -> Option<CommandRequest> {
    match commands {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// Sleeps until `due`, or for ever when nothing is due.
async fn sleep_until(due: Option<Instant>) {
    match due {
        Some(due) => tokio::time::sleep_until(due).await,
        None => std::future::pending().await,
    }
}

/// Sends on the point stream. A free function: a `&Poller` held across the await would make the
/// source future need `Poller: Sync`, which the Modbus client is not.
async fn send(events: &EventSender, event: SourceEvent) -> Result<(), Error> {
    events.send(event).await.map_err(|_| Error::ChannelClosed)
}

fn reading(
    device: &Arc<str>,
    p: &PointRt,
    value: Value,
    quality: Quality,
    received: Timestamp,
) -> Reading {
    Reading {
        device: device.clone(),
        point: p.config.name.clone(),
        value,
        quality,
        ts: None,
        received,
        unit: p.config.unit.clone(),
        source: p.source.clone(),
        facts: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missed_ticks_are_skipped_not_bursted_and_the_phase_is_kept() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let cases = [
            ("on time: one interval later", 10, 100, t0 + ms(100)),
            (
                "late within the interval: still the next tick",
                99,
                100,
                t0 + ms(100),
            ),
            (
                "exactly one interval late: the tick after",
                100,
                100,
                t0 + ms(200),
            ),
            (
                "three and a half intervals late: the next future tick",
                350,
                100,
                t0 + ms(400),
            ),
        ];
        for (name, now_ms, interval_ms, expected) in cases {
            assert_eq!(
                next_due(t0, ms(interval_ms), t0 + ms(now_ms)),
                expected,
                "{name}"
            );
        }
    }

    #[test]
    fn a_zero_interval_cannot_spin() {
        let t0 = Instant::now();
        assert!(next_due(t0, Duration::ZERO, t0) > t0);
    }
}
