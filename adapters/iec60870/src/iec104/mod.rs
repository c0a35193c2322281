//! The IEC 60870-5-104 source: a controlling station (master) that connects to an
//! outstation's redundant endpoints in order, starts data transfer, interrogates every station
//! behind the link and turns every information object of the monitoring direction into a
//! normalized point (issue 16; `docs/iec104.md`).
//!
//! One task per source ([`run`]): connect with t0 as the connection timeout, STARTDT act
//! ([`Link104`](fieldbridge_iec60870::link104::Link104) as the controlling station), a station
//! interrogation (C_IC_NA_1, QOI 20) of every common address after every connect and
//! periodically, clock synchronization (C_CS_NA_1) and counter interrogation (C_CI_NA_1) when
//! configured; a station interrogation refused or left unfinished is asked again. Readings go
//! through a [`Handoff`] of k: once it is full the link paces its acknowledgements to t2
//! ([`AckMode::Paced`](fieldbridge_iec60870::link104::AckMode)), so the outstation slows to k I
//! frames per t2 without reaching its t1; at 4,096 waiting readings it holds them
//! altogether, so the backlog stays bounded. The task keeps answering TESTFR and sending S frames
//! whatever the point stream does, and keeps delivering the backlog across reconnections.
//!
//! Commands of writable points ([`crate::command`]) wait in the `control` module for a started link, go
//! before waiting interrogations, and are answered once each: at their confirmation or
//! termination, at a timer, at their deadline when no link came, or when the link is lost.
mod control;
mod session;

use std::sync::Arc;
use std::time::Duration;

use fieldbridge_core::backoff::Backoff;
use fieldbridge_core::command::CommandReceiver;
use fieldbridge_core::config::{Iec104Source, SourceConfig, SourceKind};
use fieldbridge_core::event::{DeviceState, EventSender, SourceEvent};
use fieldbridge_core::source::{Counter, Handoff, SourceContext, SourceStats, SourceTask};
use fieldbridge_core::time::Timestamp;
use tokio::net::TcpStream;

use crate::points::{Points, Profile};
use control::Control;
use session::{End, Progress, Session};

/// The shortest wait between two rounds over the endpoints.
const RECONNECT_MIN: Duration = Duration::from_millis(500);
/// The longest.
const RECONNECT_MAX: Duration = Duration::from_secs(30);

/// The IEC 60870-5-104 driver for the bridge's registry: `protocol = "iec104"`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Iec104Driver;

impl fieldbridge_core::source::Driver for Iec104Driver {
    fn family(&self) -> &'static str {
        "iec104"
    }

    fn protocols(&self) -> &'static [&'static str] {
        &["iec104"]
    }

    fn unsupported(&self, source: &SourceConfig) -> Vec<(String, String)> {
        let SourceKind::Iec104(config) = &source.kind else {
            return Vec::new();
        };
        let mut out = Vec::new();
        // The parser checks each key; the link also needs them together (t2 < t1).
        if let Err(error) = session::params(config).check() {
            out.push(("t2".to_owned(), error.to_string()));
        }
        out.extend(crate::master::refusals(&config.master));
        out
    }

    fn command_params(&self) -> &'static [&'static str] {
        crate::master::COMMAND_PARAMS
    }

    fn start(&self, source: SourceConfig, context: SourceContext) -> SourceTask {
        let SourceKind::Iec104(config) = source.kind else {
            tracing::error!(device = %source.name, protocol = source.kind.protocol(), "not an IEC 104 source");
            return Box::pin(async {});
        };
        Box::pin(run(
            context.name,
            config,
            context.events,
            context.stats,
            context.commands,
        ))
    }
}

/// Runs `work` (a connect, a wait) while delivering what waits in the handoff, so a backlog
/// never delays failover and nothing overtakes it, and while taking commands, which wait for a
/// connection up to their deadline (then answered: not sent, `offline` says why); `None` when
/// the point stream is gone.
async fn delivering<F: std::future::Future>(
    work: F,
    handoff: &mut Handoff<()>,
    events: &EventSender,
    control: &mut Control,
    offline: &str,
) -> Option<F::Output> {
    tokio::pin!(work);
    loop {
        let deadline = control.next_deadline();
        tokio::select! {
            biased;
            permit = events.reserve(), if !handoff.is_empty() => {
                let Ok(permit) = permit else { return None };
                handoff.deliver(permit, events);
            }
            request = control.recv() => control.queue(request),
            _ = tokio::time::sleep_until(deadline.unwrap_or_else(tokio::time::Instant::now)), if deadline.is_some() => {
                control.on_timeout(&format!("no connection to the outstation ({offline})"));
            }
            out = &mut work => return Some(out),
        }
    }
}

fn state(device: &Arc<str>, online: bool, reason: String) -> SourceEvent {
    SourceEvent::DeviceState(DeviceState {
        device: device.clone(),
        online,
        reason: Some(reason),
        since: Timestamp::now(),
    })
}

/// Runs one IEC 104 source until the task is aborted or the point stream closes.
///
/// Sends the [`DeviceMeta`] first; `$state` online (naming the active endpoint and, after a
/// loss, how long the link was down) once data transfer starts, offline (with the reason) when
/// the first round of connections fails or the link is lost; every point's last value with
/// `comm_failure` on a loss. Never panics on anything the outstation sends.
///
/// Commands from `commands` go to the outstation while data transfer is started
/// ([`crate::command`]); they wait for a connection up to their deadline, and each gets exactly
/// one reply.
pub async fn run(
    device: Arc<str>,
    config: Iec104Source,
    events: EventSender,
    stats: Arc<SourceStats>,
    commands: CommandReceiver,
) {
    run_holding(device, config, events, stats, commands, session::HOLD_AT).await;
}

/// [`run`] with the handoff bound `hold_at` (4,096 in [`run`]) as a parameter, for tests.
async fn run_holding(
    device: Arc<str>,
    config: Iec104Source,
    events: EventSender,
    stats: Arc<SourceStats>,
    commands: CommandReceiver,
    hold_at: usize,
) {
    if events
        .send(SourceEvent::DeviceMeta(crate::master::meta(
            device.clone(),
            &config.master,
            Profile::Iec104,
        )))
        .await
        .is_err()
    {
        return;
    }
    let mut points = Points::new(device.clone(), &config.master, Profile::Iec104);
    let mut control = Control::new(device.clone(), &config, commands);
    let mut handoff: Handoff<()> = Handoff::new(usize::from(config.link.k));
    let mut backoff = Backoff::new(RECONNECT_MIN, RECONNECT_MAX);
    let endpoints = config.addresses.len();
    // None before the first attempt resolves; Some(true) online.
    let mut online: Option<bool> = None;
    let mut down_since: Option<tokio::time::Instant> = None;
    // A connection counts as stable (the backoff starts over) once it stayed up this long: a
    // full t3 idle period and the t1 of its test frame without a loss.
    let stable = config.link.t1.saturating_add(config.link.t3);
    loop {
        let mut last_error = String::from("no endpoint configured");
        let mut any_stable = false;
        for (index, address) in config.addresses.iter().enumerate() {
            // A reconnection: an attempt after a connection was had or a whole round failed, not
            // the first round's tries of its endpoints.
            if online.is_some() {
                stats.bump(Counter::Reconnects);
            }
            // A backlog at the bound is delivered down below it first: a new connection would
            // only add k more frames to it before the link holds again.
            // Commands are taken and timed out meanwhile, as while connecting.
            while handoff.len() >= hold_at {
                let deadline = control.next_deadline();
                tokio::select! {
                    biased;
                    permit = events.reserve() => {
                        let Ok(permit) = permit else { return };
                        handoff.deliver(permit, &events);
                    }
                    request = control.recv() => control.queue(request),
                    _ = tokio::time::sleep_until(deadline.unwrap_or_else(tokio::time::Instant::now)), if deadline.is_some() => {
                        control.on_timeout("the point stream is full (a backlog of readings is being delivered)");
                    }
                }
            }
            let connect = tokio::time::timeout(config.link.t0, TcpStream::connect(address));
            let Some(connected) = delivering(
                connect,
                &mut handoff,
                &events,
                &mut control,
                &format!("connecting to {address}"),
            )
            .await
            else {
                return;
            };
            let stream = match connected {
                Ok(Ok(stream)) => stream,
                Ok(Err(error)) => {
                    tracing::debug!(device = %device, %address, %error, "connect failed");
                    last_error = format!("{address}: {error}");
                    continue;
                }
                Err(_) => {
                    stats.bump(Counter::Timeouts);
                    last_error =
                        format!("{address}: no connection within t0 ({:?})", config.link.t0);
                    continue;
                }
            };
            let mut started = None;
            let end = {
                let mut session = Session {
                    config: &config,
                    device: &device,
                    events: &events,
                    stats: &stats,
                    points: &mut points,
                    handoff: &mut handoff,
                    hold_at,
                    control: &mut control,
                };
                let online_now = &mut online;
                let down = &mut down_since;
                let dev = &device;
                session
                    .run(stream, |Progress::Started, handoff| {
                        started = Some(tokio::time::Instant::now());
                        let gap = down
                            .take()
                            .map(|since| format!(" after {:.1} s offline", since.elapsed().as_secs_f64()))
                            .unwrap_or_default();
                        let reason = format!(
                            "connected to {address} (endpoint {} of {endpoints}){gap}",
                            index + 1
                        );
                        tracing::info!(device = %dev, %address, endpoint = index + 1, "data transfer started");
                        *online_now = Some(true);
                        handoff.push(state(dev, true, reason), None);
                    })
                    .await
            };
            if matches!(end, End::Stopped) {
                return;
            }
            control.lost(&end.to_string());
            if end.is_violation() {
                stats.bump(Counter::DecodeErrors);
            } else if matches!(end, End::Link(_)) {
                stats.bump(Counter::Timeouts);
            }
            tracing::warn!(device = %device, %address, reason = %end, "connection closed");
            last_error = format!("{address}: {end}");
            if let Some(since) = started {
                any_stable |= since.elapsed() >= stable;
                online = Some(false);
                down_since = Some(tokio::time::Instant::now());
                handoff.push(state(&device, false, last_error.clone()), None);
                points.lost(|reading| handoff.push(SourceEvent::Reading(reading), None));
            }
        }
        if online.is_none() {
            online = Some(false);
            down_since = Some(tokio::time::Instant::now());
            handoff.push(state(&device, false, last_error.clone()), None);
        }
        if any_stable {
            backoff.reset();
        }
        let wait = tokio::time::sleep(backoff.next_delay());
        if delivering(wait, &mut handoff, &events, &mut control, &last_error)
            .await
            .is_none()
        {
            return;
        }
    }
}

#[cfg(test)]
mod command_tests;
#[cfg(test)]
mod periodic_tests;
#[cfg(test)]
mod tests;
