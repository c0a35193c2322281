//! The `dlms` driver: associates with a meter over the TCP wrapper or HDLC over TCP and polls
//! its configured points every `poll` (DLMS UA 1000-2 Ed. 10 clause 9.3; the interface classes
//! of IEC 62056-6-2 clause 4.3).
//!
//! Register, extended register and demand register (classes 3, 4, 5): the scaler_unit is read
//! once per association and applied to each value read, the unit published with it. Data
//! (class 1) as it comes. Clock (class 8, attribute 2): the meter's time is the value and the
//! device timestamp, and `<point>_offset` carries its offset from the bridge's clock in seconds.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use fieldbridge_core::config::{
    DlmsAuthentication, DlmsPoint, DlmsSource, DlmsTransport, SourceConfig, SourceKind,
};
use fieldbridge_core::event::{DeviceMeta, DeviceState, EventSender, PointMeta, SourceEvent};
use fieldbridge_core::point::{
    Quality, QualityFlag, QualityLevel, Reading, SampleFacts, SourceAddress, Value,
};
use fieldbridge_core::source::report::{PointState, Policy};
use fieldbridge_core::source::{Counter, SourceContext, SourceStats, SourceTask};
use fieldbridge_core::time::Timestamp;
use fieldbridge_dlms::apdu::get::AttributeDescriptor;
use fieldbridge_dlms::axdr::Data;
use tokio::time::Instant;

use crate::convert::{self, ScalerUnit};
use crate::hdlc_link::HdlcLink;
use crate::link::{Link, LinkError, WrapperLink};
use crate::session::{Authentication, Received, Session, SessionConfig};

/// The DLMS/COSEM client driver (`protocol = "dlms"`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Driver;

impl fieldbridge_core::source::Driver for Driver {
    fn family(&self) -> &'static str {
        "dlms"
    }

    fn protocols(&self) -> &'static [&'static str] {
        &["dlms"]
    }

    fn unsupported(&self, source: &SourceConfig) -> Vec<(String, String)> {
        let SourceKind::Dlms(config) = &source.kind else {
            return Vec::new();
        };
        refusals(config)
    }

    fn start(&self, source: SourceConfig, context: SourceContext) -> SourceTask {
        let SourceKind::Dlms(config) = source.kind else {
            tracing::error!(device = %source.name, protocol = source.kind.protocol(), "not a DLMS source");
            return Box::pin(async {});
        };
        Box::pin(Poller::new(context.name, config, context.events, context.stats).run())
    }
}

/// What this source cannot do yet with `config`, as `(key, message)`.
pub fn refusals(config: &DlmsSource) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let not_yet = |key: &str, what: &str| {
        (
            key.to_owned(),
            format!("{what} is not supported by the dlms source yet"),
        )
    };
    if matches!(config.transport, DlmsTransport::HdlcSerial(_)) {
        out.push(not_yet("serial", "HDLC on a serial line"));
    }
    if config.authentication == DlmsAuthentication::HighGmac {
        out.push(not_yet("authentication", "high-gmac authentication"));
    }
    if config.security.policy != fieldbridge_core::config::DlmsSecurityPolicy::None {
        out.push(not_yet("security", "ciphering (security other than none)"));
    }
    for point in &config.points {
        if point.is_profile() || point.class == 7 {
            out.push(not_yet(
                "point",
                &format!("point {}: profile generic (class 7)", point.name),
            ));
        } else if point.writable() {
            out.push(not_yet(
                "point",
                &format!("point {}: commands (SET, ACTION)", point.name),
            ));
        }
    }
    out
}

/// The `$meta` of a source: its points, and a `<name>_offset` point for each clock.
pub fn meta(device: Arc<str>, config: &DlmsSource) -> DeviceMeta {
    let mut points = Vec::new();
    for p in &config.points {
        points.push(PointMeta {
            name: p.name.clone(),
            unit: p.unit.clone(),
            writable: p.writable(),
            source: address(p),
        });
        if is_clock(p) {
            points.push(PointMeta {
                name: offset_name(p),
                unit: Some(Arc::from("s")),
                writable: false,
                source: address(p),
            });
        }
    }
    DeviceMeta {
        device,
        protocol: "dlms",
        points,
    }
}

fn is_clock(p: &DlmsPoint) -> bool {
    p.class == 8 && p.attribute == 2
}

fn offset_name(p: &DlmsPoint) -> Arc<str> {
    Arc::from(format!("{}_offset", p.name))
}

fn address(p: &DlmsPoint) -> SourceAddress {
    let [a, b, c, d, e, f] = p.obis;
    SourceAddress::Dlms {
        obis: Arc::from(format!("{a}.{b}.{c}.{d}.{e}.{f}")),
        class: p.class,
        attribute: p.attribute,
        profile: None,
    }
}

/// The attribute holding a register's scaler_unit, when the point's value is scaled.
fn scaler_attribute(p: &DlmsPoint) -> Option<i8> {
    match (p.class, p.attribute) {
        (3 | 4, 2) => Some(3),
        (5, 2 | 3) => Some(4),
        _ => None,
    }
}

struct PointRt {
    config: DlmsPoint,
    state: PointState,
    source: SourceAddress,
    offset_state: PointState,
}

struct Poller {
    device: Arc<str>,
    config: DlmsSource,
    events: EventSender,
    stats: Arc<SourceStats>,
    points: Vec<PointRt>,
    online: Option<bool>,
    /// Whether the last connection got as far as an association (the backoff starts over).
    associated: bool,
}

const BACKOFF_MIN: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(60);

impl Poller {
    fn new(
        device: Arc<str>,
        config: DlmsSource,
        events: EventSender,
        stats: Arc<SourceStats>,
    ) -> Self {
        let points = config
            .points
            .iter()
            .map(|p| PointRt {
                source: address(p),
                config: p.clone(),
                state: PointState::default(),
                offset_state: PointState::default(),
            })
            .collect();
        Poller {
            device,
            config,
            events,
            stats,
            points,
            online: None,
            associated: false,
        }
    }

    async fn run(mut self) {
        let meta = meta(self.device.clone(), &self.config);
        if self
            .events
            .send(SourceEvent::DeviceMeta(meta))
            .await
            .is_err()
        {
            return;
        }
        tracing::info!(device = %self.device, points = self.points.len(), "dlms source started");
        let mut backoff = BACKOFF_MIN;
        let mut attempts = 0u64;
        loop {
            if attempts > 0 {
                self.stats.bump(Counter::Reconnects);
            }
            attempts += 1;
            let outcome = self.connected().await;
            let Err(error) = outcome else {
                return; // the point stream closed
            };
            if error.is_bad_input() {
                self.stats.bump(Counter::DecodeErrors);
            }
            if error.is_timeout() {
                self.stats.bump(Counter::Timeouts);
            }
            tracing::warn!(device = %self.device, error = %error, retry_ms = backoff.as_millis() as u64, "dlms association lost");
            if self.offline(&error.to_string()).await.is_err() {
                return;
            }
            if self.sleep(backoff).await.is_err() {
                return;
            }
            backoff = if std::mem::take(&mut self.associated) {
                BACKOFF_MIN
            } else {
                (backoff * 2).min(BACKOFF_MAX)
            };
        }
    }

    /// Connects, associates and polls until an error; `Ok` only when the point stream closed.
    async fn connected(&mut self) -> Result<(), LinkError> {
        let authentication = match &self.config.authentication {
            DlmsAuthentication::Low { password_file } => {
                let password = std::fs::read(password_file)?;
                let end = password
                    .iter()
                    .rposition(|b| !b.is_ascii_whitespace())
                    .map_or(0, |i| i + 1);
                Authentication::Low {
                    password: password.get(..end).unwrap_or_default().to_vec(),
                }
            }
            _ => Authentication::None,
        };
        let c = &self.config;
        let (mut link, address) = match &c.transport {
            DlmsTransport::Wrapper { address } => (
                Link::Wrapper(
                    WrapperLink::connect(address, c.client_address, c.server_address, c.timeout)
                        .await?,
                ),
                address.clone(),
            ),
            DlmsTransport::HdlcTcp { address } => (
                Link::Hdlc(Box::new(
                    HdlcLink::connect(
                        address,
                        c.client_address,
                        c.server_address,
                        c.physical_address,
                        c.timeout,
                    )
                    .await?,
                )),
                address.clone(),
            ),
            DlmsTransport::HdlcSerial(_) => {
                return Err(LinkError::Hdlc(
                    "HDLC on a serial line is not supported yet".to_owned(),
                ))
            }
        };
        let mut session = Session::new(SessionConfig {
            authentication,
            timeout: self.config.timeout,
            ..SessionConfig::default()
        });
        let aarq = session.associate(std::time::Instant::now());
        link.exchange(&mut session, aarq, &self.stats).await?;
        tracing::info!(device = %self.device, address = %address, "dlms association open");
        self.associated = true;
        if self.set_online().await.is_err() {
            return Ok(());
        }
        let mut scalers: HashMap<usize, ScalerUnit> = HashMap::new();
        let mut due = Instant::now();
        loop {
            for index in 0..self.points.len() {
                if self
                    .poll_point(index, &mut link, &mut session, &mut scalers)
                    .await?
                    .is_err()
                {
                    return Ok(());
                }
            }
            due += self.config.poll.max(Duration::from_millis(100));
            let now = Instant::now();
            if due < now {
                due = now;
            }
            tokio::select! {
                () = self.events.closed() => return Ok(()),
                () = tokio::time::sleep_until(due) => {}
            }
        }
    }

    /// Reads one point and publishes it. The outer error ends the association; the inner one
    /// means the point stream closed.
    async fn poll_point(
        &mut self,
        index: usize,
        link: &mut Link,
        session: &mut Session,
        scalers: &mut HashMap<usize, ScalerUnit>,
    ) -> Result<Result<(), ()>, LinkError> {
        let Some(point) = self.points.get(index).map(|p| p.config.clone()) else {
            return Ok(Ok(()));
        };
        let mut scaler = None;
        if let Some(attribute) = scaler_attribute(&point) {
            match scalers.get(&index) {
                Some(known) => scaler = Some(*known),
                None => match self.get(link, session, &point, attribute).await? {
                    Ok(data) => match ScalerUnit::from_data(&data) {
                        Ok(found) => {
                            scalers.insert(index, found);
                            scaler = Some(found);
                        }
                        Err(e) => {
                            self.stats.bump(Counter::DecodeErrors);
                            return Ok(self.failed(index, QualityFlag::DecodeError, &e).await);
                        }
                    },
                    Err(refused) => {
                        return Ok(self.failed(index, QualityFlag::DeviceError, &refused).await)
                    }
                },
            }
        }
        let data = match self.get(link, session, &point, point.attribute).await? {
            Ok(data) => data,
            Err(refused) => {
                return Ok(self.failed(index, QualityFlag::DeviceError, &refused).await)
            }
        };
        let received = Timestamp::now();
        if is_clock(&point) {
            return Ok(self.publish_clock(index, &data, received).await);
        }
        let converted = match scaler {
            Some(s) => s.apply(&data),
            None => convert::value(&data),
        };
        match converted {
            Ok(value) => {
                let unit = point
                    .unit
                    .clone()
                    .or_else(|| scaler.and_then(ScalerUnit::unit_name));
                Ok(self
                    .publish(index, false, value, Quality::GOOD, None, received, unit)
                    .await)
            }
            Err(e) => {
                self.stats.bump(Counter::DecodeErrors);
                Ok(self.failed(index, QualityFlag::DecodeError, &e).await)
            }
        }
    }

    /// One GET: the value or the meter's data-access-result.
    async fn get(
        &mut self,
        link: &mut Link,
        session: &mut Session,
        point: &DlmsPoint,
        attribute: i8,
    ) -> Result<Result<Data, String>, LinkError> {
        let request = session.get(
            AttributeDescriptor::new(point.class, point.obis, attribute),
            std::time::Instant::now(),
        )?;
        match link.exchange(session, request, &self.stats).await? {
            Received::Value(data) => Ok(Ok(data)),
            Received::Refused(result) => {
                self.stats.bump(Counter::Exceptions);
                Ok(Err(format!(
                    "the meter refused attribute {attribute}: {result}"
                )))
            }
            other => Err(LinkError::Session(crate::SessionError::Unexpected {
                expected: "a GET result",
                found: match other {
                    Received::Associated(_) => "an association",
                    _ => "another answer",
                },
            })),
        }
    }

    async fn publish_clock(
        &mut self,
        index: usize,
        data: &Data,
        received: Timestamp,
    ) -> Result<(), ()> {
        let Some(dt) = convert::date_time(data) else {
            self.stats.bump(Counter::DecodeErrors);
            return self
                .failed(
                    index,
                    QualityFlag::DecodeError,
                    &"the clock's time is not a date-time",
                )
                .await;
        };
        let ts = match convert::timestamp(&dt, &self.config.device_time) {
            Ok(ts) => ts,
            Err(e) => {
                self.stats.bump(Counter::DecodeErrors);
                return self.failed(index, QualityFlag::DecodeError, &e).await;
            }
        };
        let offset = (ts.unix_millis() - received.unix_millis()) as f64 / 1000.0;
        let seconds = Some(Arc::from("s"));
        self.publish(
            index,
            false,
            Value::DateTime(ts),
            Quality::GOOD,
            Some(ts),
            received,
            None,
        )
        .await?;
        self.publish(
            index,
            true,
            Value::Float(offset),
            Quality::GOOD,
            Some(ts),
            received,
            seconds,
        )
        .await
    }

    async fn failed(
        &mut self,
        index: usize,
        flag: QualityFlag,
        why: &(dyn std::fmt::Display + Sync),
    ) -> Result<(), ()> {
        let name = self.points.get(index).map(|p| p.config.name.clone());
        tracing::warn!(device = %self.device, point = ?name, error = %why, "dlms point not read");
        let quality = Quality::new(QualityLevel::Bad, [flag]);
        let Some(p) = self.points.get_mut(index) else {
            return Ok(());
        };
        let Some(value) = p
            .state
            .update(&Policy::default(), None, quality, Instant::now())
        else {
            return Ok(());
        };
        let reading = Reading {
            device: self.device.clone(),
            point: p.config.name.clone(),
            value,
            quality,
            ts: None,
            received: Timestamp::now(),
            unit: p.config.unit.clone(),
            source: p.source.clone(),
            facts: SampleFacts::default(),
        };
        self.events
            .send(SourceEvent::Reading(reading))
            .await
            .map_err(|_| ())
    }

    #[allow(clippy::too_many_arguments)]
    async fn publish(
        &mut self,
        index: usize,
        offset: bool,
        value: Value,
        quality: Quality,
        ts: Option<Timestamp>,
        received: Timestamp,
        unit: Option<Arc<str>>,
    ) -> Result<(), ()> {
        let Some(p) = self.points.get_mut(index) else {
            return Ok(());
        };
        let state = if offset {
            &mut p.offset_state
        } else {
            &mut p.state
        };
        let Some(value) = state.update(&Policy::default(), Some(value), quality, Instant::now())
        else {
            return Ok(());
        };
        let reading = Reading {
            device: self.device.clone(),
            point: if offset {
                offset_name(&p.config)
            } else {
                p.config.name.clone()
            },
            value,
            quality,
            ts,
            received,
            unit,
            source: p.source.clone(),
            facts: SampleFacts::default(),
        };
        self.events
            .send(SourceEvent::Reading(reading))
            .await
            .map_err(|_| ())
    }

    async fn set_online(&mut self) -> Result<(), ()> {
        if self.online == Some(true) {
            return Ok(());
        }
        self.online = Some(true);
        self.state(true, None).await
    }

    async fn offline(&mut self, reason: &str) -> Result<(), ()> {
        if self.online == Some(false) {
            return Ok(());
        }
        self.online = Some(false);
        self.state(false, Some(reason.to_owned())).await?;
        let now = Instant::now();
        let received = Timestamp::now();
        let mut lost = Vec::new();
        for p in &mut self.points {
            if let Some(value) = p.state.lost(now) {
                lost.push(Reading {
                    device: self.device.clone(),
                    point: p.config.name.clone(),
                    value,
                    quality: Quality::comm_failure(),
                    ts: None,
                    received,
                    unit: p.config.unit.clone(),
                    source: p.source.clone(),
                    facts: SampleFacts::default(),
                });
            }
        }
        for reading in lost {
            self.events
                .send(SourceEvent::Reading(reading))
                .await
                .map_err(|_| ())?;
        }
        Ok(())
    }

    async fn state(&mut self, online: bool, reason: Option<String>) -> Result<(), ()> {
        let state = DeviceState {
            device: self.device.clone(),
            online,
            reason,
            since: Timestamp::now(),
        };
        self.events
            .send(SourceEvent::DeviceState(state))
            .await
            .map_err(|_| ())
    }

    async fn sleep(&self, delay: Duration) -> Result<(), ()> {
        tokio::select! {
            () = self.events.closed() => Err(()),
            () = tokio::time::sleep(delay) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests;
