//! One poll cycle (DLMS UA 1000-2 Ed. 10 clause 9.3): connect, associate (AARQ/AARE), read every
//! point, release (RLRQ/RLRE), disconnect the HDLC link (DISC) and close the connection.
//!
//! The link is closed on every way out but one: when the task is aborted (the bridge stops), the
//! socket is dropped mid-cycle, which closes the TCP connection; the meter sees it end, as it
//! would a cut line, and the next start associates afresh. A cycle that fails mid-way (no answer,
//! garbage, a GET past its bounds) abandons the association: there is no RLRQ to a meter that
//! misbehaves, only the DISC over HDLC and the close.

use std::sync::Arc;

use fieldbridge_core::config::{DlmsPoint, DlmsTransport};
use fieldbridge_core::point::QualityFlag;
use fieldbridge_core::source::Counter;
use fieldbridge_core::time::Timestamp;
use fieldbridge_dlms::apdu::get::{AttributeDescriptor, DataAccessResult};
use fieldbridge_dlms::apdu::selective::OwnedSelectiveAccess;
use fieldbridge_dlms::axdr::Data;
use tokio::time::Instant;

use super::exchange::{exchange, Bounds};
use super::poll::Poller;
use super::state::{Outcome, Series, Stopped};
use super::{is_clock, scaler_attribute};
use crate::convert::{self, Converted, ScalerUnit};
use crate::hdlc_link::{Endpoint, HdlcLink};
use crate::link::{Link, LinkError, Reporter, WrapperLink};
use crate::session::{Received, Session, SessionError};

/// How far a failed cycle got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    /// Connecting, or the first request (the AARQ): a transport failure here is retried once.
    Connecting,
    /// The association was up.
    Associated,
}

/// Why a cycle ended early.
#[derive(Debug)]
pub(super) enum Failure {
    /// The point stream closed.
    Stopped,
    /// The meter could not be read.
    Link {
        /// What went wrong.
        error: LinkError,
        /// How far the cycle got.
        phase: Phase,
    },
}

impl From<Stopped> for Failure {
    fn from(_: Stopped) -> Self {
        Failure::Stopped
    }
}

/// A point's answer: the value, or the meter's refusal.
pub(super) enum Answer {
    Value(Data),
    Refused(DataAccessResult),
}

impl Poller {
    /// Runs one cycle. `Ok` when every point was read (refused points included: the meter
    /// answered).
    pub(super) async fn cycle(&mut self) -> Result<(), Failure> {
        let connecting = |error: LinkError| Failure::Link {
            error,
            phase: Phase::Connecting,
        };
        self.cycle_started = Timestamp::now();
        let mut session = self.new_session().map_err(connecting)?;
        let aarq = session
            .try_associate(std::time::Instant::now())
            .map_err(|e| connecting(LinkError::Session(e)))?;
        let mut link = self.connect().await.map_err(connecting)?;
        let bounds = Bounds::new(self.config.timeout, self.tuning.max_value_len);
        if let Err(error) = self
            .exchange_aarq(&mut link, &mut session, aarq, bounds)
            .await
        {
            self.close(link).await;
            return Err(connecting(error));
        }
        tracing::debug!(device = %self.device, "dlms association open");
        let read = match self.set_online().await {
            Ok(()) => self.read_points(&mut link, &mut session, bounds).await,
            Err(Stopped) => Ok(Err(Stopped)),
        };
        self.keep_invocation(&session);
        match read {
            Ok(stopped) => {
                self.release(&mut link, &mut session, bounds).await;
                self.keep_invocation(&session);
                self.close(link).await;
                stopped.map_err(Failure::from)
            }
            Err(error) => {
                self.close(link).await;
                Err(Failure::Link {
                    error,
                    phase: Phase::Associated,
                })
            }
        }
    }

    /// Sends the AARQ and waits for the association (HLS passes 3 and 4 included), keeping
    /// the invocation counter where the session left it.
    pub(super) async fn exchange_aarq(
        &mut self,
        link: &mut Link,
        session: &mut Session,
        aarq: Vec<u8>,
        bounds: Bounds,
    ) -> Result<(), LinkError> {
        let associated = exchange(
            link,
            session,
            aarq,
            "an AARE",
            bounds,
            &self.stats,
            self.invocation.as_mut(),
        )
        .await
        .and_then(|received| match received {
            Received::Associated(_) => Ok(()),
            _ => Err(unexpected("an AARE")),
        });
        self.keep_invocation(session);
        associated
    }

    pub(super) async fn connect(&self) -> Result<Link, LinkError> {
        let c = &self.config;
        let reporter = Reporter {
            device: self.device.clone(),
            stats: self.stats.clone(),
        };
        Ok(match &c.transport {
            DlmsTransport::Wrapper { address } => Link::Wrapper(
                WrapperLink::connect(
                    address,
                    c.client_address,
                    c.server_address,
                    c.timeout,
                    reporter,
                )
                .await?,
            ),
            DlmsTransport::HdlcTcp { address } => Link::Hdlc(Box::new(
                HdlcLink::connect(
                    Endpoint::Tcp(address),
                    c.client_address,
                    c.server_address,
                    c.physical_address,
                    c.timeout,
                    reporter,
                )
                .await?,
            )),
            DlmsTransport::HdlcSerial(settings) => Link::Hdlc(Box::new(
                HdlcLink::connect(
                    Endpoint::Serial(settings),
                    c.client_address,
                    c.server_address,
                    c.physical_address,
                    c.timeout,
                    reporter,
                )
                .await?,
            )),
        })
    }

    /// RLRQ, waiting for the RLRE. A meter that does not confirm is logged, not failed: the
    /// points were read, and the connection is closed anyway.
    pub(super) async fn release(&mut self, link: &mut Link, session: &mut Session, bounds: Bounds) {
        let rlrq = session.release(std::time::Instant::now());
        let released = exchange(
            link,
            session,
            rlrq,
            "an RLRE",
            bounds,
            &self.stats,
            self.invocation.as_mut(),
        )
        .await;
        match released {
            Ok(Received::Released) => {}
            Ok(_) => {
                tracing::debug!(device = %self.device, "dlms release answered with something else")
            }
            Err(error) => {
                if error.is_timeout() {
                    self.stats.bump(Counter::Timeouts);
                }
                tracing::debug!(device = %self.device, error = %error, "dlms release not confirmed");
            }
        }
    }

    pub(super) async fn close(&self, link: Link) {
        link.close(Instant::now() + self.config.timeout).await;
    }

    /// Reads every point. The outer error ends the cycle; the inner one means the point stream
    /// closed.
    async fn read_points(
        &mut self,
        link: &mut Link,
        session: &mut Session,
        bounds: Bounds,
    ) -> Result<Result<(), Stopped>, LinkError> {
        for index in 0..self.points.len() {
            if let Err(stopped) = self.read_point(index, link, session, bounds).await? {
                return Ok(Err(stopped));
            }
        }
        Ok(Ok(()))
    }

    /// Reads one point (its scaler_unit first, for a register) and publishes it.
    async fn read_point(
        &mut self,
        index: usize,
        link: &mut Link,
        session: &mut Session,
        bounds: Bounds,
    ) -> Result<Result<(), Stopped>, LinkError> {
        let Some(point) = self.points.get(index).map(|p| p.config.clone()) else {
            return Ok(Ok(()));
        };
        if point.is_profile() {
            return self.read_profile(index, link, session, bounds).await;
        }
        let mut scaler = None;
        if let Some(attribute) = scaler_attribute(&point) {
            match self.get(link, session, &point, attribute, bounds).await? {
                Answer::Value(data) => match ScalerUnit::from_data(&data) {
                    Ok(found) => scaler = Some(found),
                    Err(e) => return Ok(self.undecodable(index, &e).await),
                },
                Answer::Refused(result) => {
                    return Ok(self.refused(index, attribute, result).await);
                }
            }
        }
        let data = match self
            .get(link, session, &point, point.attribute, bounds)
            .await?
        {
            Answer::Value(data) => data,
            Answer::Refused(result) => {
                return Ok(self.refused(index, point.attribute, result).await);
            }
        };
        let received = Timestamp::now();
        if is_clock(&point) {
            return Ok(self.publish_clock(index, &data, received).await);
        }
        match convert::convert(&data, scaler, &self.config.device_time) {
            Ok(converted) => {
                let unit = point
                    .unit
                    .clone()
                    .or_else(|| scaler.and_then(ScalerUnit::unit_name));
                let outcome = Outcome {
                    converted,
                    ts: None,
                    received,
                    unit,
                };
                Ok(self.publish(index, Series::Value, outcome).await)
            }
            Err(e) => Ok(self.undecodable(index, &e).await),
        }
    }

    /// One GET of an attribute of `point`: the value or the meter's data-access-result.
    async fn get(
        &mut self,
        link: &mut Link,
        session: &mut Session,
        point: &DlmsPoint,
        attribute: i8,
        bounds: Bounds,
    ) -> Result<Answer, LinkError> {
        let descriptor = AttributeDescriptor::new(point.class, point.obis, attribute);
        self.get_attribute(link, session, descriptor, None, bounds)
            .await
    }

    /// One GET, with selective access when `access` says so: the value or the meter's
    /// data-access-result. An object the meter's short-name list lacks is its refusal too.
    pub(super) async fn get_attribute(
        &mut self,
        link: &mut Link,
        session: &mut Session,
        descriptor: AttributeDescriptor,
        access: Option<OwnedSelectiveAccess>,
        bounds: Bounds,
    ) -> Result<Answer, LinkError> {
        let request =
            match session.get_with_selection(descriptor, access, std::time::Instant::now()) {
                Ok(request) => request,
                Err(e) => match e.object_undefined() {
                    Some(result) => return Ok(Answer::Refused(result)),
                    None => return Err(e.into()),
                },
            };
        match exchange(
            link,
            session,
            request,
            "a GET-Response",
            bounds,
            &self.stats,
            self.invocation.as_mut(),
        )
        .await?
        {
            Received::Value(data) => Ok(Answer::Value(data)),
            Received::Refused(result) => Ok(Answer::Refused(result)),
            _ => Err(unexpected("a GET-Response")),
        }
    }

    /// The clock's time as the value and the device timestamp, and its offset from the
    /// bridge's clock; both with the quality of the clock status. An invalid time is no
    /// device timestamp.
    async fn publish_clock(
        &mut self,
        index: usize,
        data: &Data,
        received: Timestamp,
    ) -> Result<(), Stopped> {
        let (ts, quality) = match convert::clock(data, &self.config.device_time) {
            Ok(found) => found,
            Err(e) => return self.undecodable(index, &e).await,
        };
        let device_ts = (!quality.flags.contains(QualityFlag::Invalid)).then_some(ts);
        let offset = (ts.unix_millis() - received.unix_millis()) as f64 / 1000.0;
        let time = Outcome {
            converted: Converted {
                value: fieldbridge_core::point::Value::DateTime(ts),
                quality,
                raw: None,
                scaler: None,
            },
            ts: device_ts,
            received,
            unit: None,
        };
        self.publish(index, Series::Value, time).await?;
        let offset = Outcome {
            converted: Converted {
                value: fieldbridge_core::point::Value::Float(offset),
                quality,
                raw: None,
                scaler: None,
            },
            ts: device_ts,
            received,
            unit: Some(Arc::from("s")),
        };
        self.publish(index, Series::Offset, offset).await
    }

    /// The meter refused an attribute of point `index`: counted every time, logged on change.
    pub(super) async fn refused(
        &mut self,
        index: usize,
        attribute: i8,
        result: DataAccessResult,
    ) -> Result<(), Stopped> {
        self.stats.bump(Counter::Exceptions);
        let why = format!("the meter refused attribute {attribute}: {result}");
        self.failed(index, QualityFlag::DeviceError, &why).await
    }

    /// A value of point `index` does not decode: counted every time, logged on change.
    pub(super) async fn undecodable(
        &mut self,
        index: usize,
        why: &(dyn std::fmt::Display + Sync),
    ) -> Result<(), Stopped> {
        self.stats.bump(Counter::DecodeErrors);
        self.failed(index, QualityFlag::DecodeError, why).await
    }
}

pub(super) fn unexpected(expected: &'static str) -> LinkError {
    LinkError::Session(SessionError::Unexpected {
        expected,
        found: "another answer",
    })
}
