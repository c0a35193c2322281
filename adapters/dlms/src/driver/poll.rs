//! The schedule of a `dlms` source: one cycle every `poll`, and after a failed cycle another
//! after a backoff with jitter (design brief §4, [`Backoff`]), which starts over only after a
//! whole cycle succeeded: a meter that accepts the association and then fails every read backs
//! off like one that refuses connections.
//!
//! A cycle whose connection or first request (the AARQ) fails in the transport (refused, reset,
//! no answer) is tried once more at once, silently: a meter may still be closing its previous
//! association, or a terminal server may drop one SYN. Only when the second try fails too is the
//! failure counted, logged, and the device reported offline. A refused association or bytes that
//! are no APDU are never retried so: a wrong password tried twice may lock a meter.
//!
//! Between cycles, and during the backoff, the poller waits for commands beside its schedule
//! ([`Poller::wait_for_poll`]): each batch of commands runs as its own short cycle
//! ([`super::command`]), and a command waiting when a poll falls due goes first. A command
//! arriving during a poll cycle waits in the queue until that cycle ends.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use fieldbridge_core::backoff::Backoff;
use fieldbridge_core::command::{CommandReceiver, CommandRequest};
use fieldbridge_core::config::DlmsSource;
use fieldbridge_core::event::{EventSender, PointMeta, SourceEvent};
use fieldbridge_core::source::{Counter, SourceStats};
use fieldbridge_core::time::Timestamp;
use tokio::time::Instant;

use super::cycle::{Failure, Phase};
use super::meta;
use super::state::{PointRt, Stopped};
use crate::catchup::CatchupStore;
use crate::invocation::InvocationStore;
use crate::session::Referencing;

/// The reconnection backoff starts here, after a failed cycle...
const BACKOFF_MIN: Duration = Duration::from_millis(500);
/// ...and doubles up to this.
const BACKOFF_MAX: Duration = Duration::from_secs(60);
/// The pause before the one silent retry of a cycle that failed on connect.
const RETRY_PAUSE: Duration = Duration::from_millis(200);
/// Polls come at most this often, whatever `poll` says.
const MIN_POLL: Duration = Duration::from_millis(100);

/// What can be tuned below the configuration (tests shrink it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Tuning {
    pub(super) backoff_min: Duration,
    pub(super) backoff_max: Duration,
    pub(super) retry_pause: Duration,
    /// The longest value a GET with block transfer may join.
    pub(super) max_value_len: usize,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            backoff_min: BACKOFF_MIN,
            backoff_max: BACKOFF_MAX,
            retry_pause: RETRY_PAUSE,
            max_value_len: crate::session::SessionConfig::default().max_value_len,
        }
    }
}

/// One `dlms` source at run time.
pub(super) struct Poller {
    pub(super) device: Arc<str>,
    pub(super) config: DlmsSource,
    pub(super) events: EventSender,
    pub(super) stats: Arc<SourceStats>,
    pub(super) points: Vec<PointRt>,
    /// The last `$state` sent.
    pub(super) online: Option<bool>,
    pub(super) tuning: Tuning,
    /// The failure last logged, until a cycle succeeds: the same failure again is logged at
    /// debug level only.
    last_failure: Option<String>,
    /// The source's own folder in `data_dir` (the invocation counter, the profile cursors).
    pub(super) state_dir: PathBuf,
    /// The reserved invocation counters, once a session ciphers or authenticates with HLS.
    pub(super) invocation: Option<InvocationStore>,
    /// The invocation counter the next cycle's session starts at.
    pub(super) next_invocation: u32,
    /// Logical names, or short names once the meter refused the logical name context.
    pub(super) referencing: Referencing,
    /// The profiles' catch-up cursors, opened on the first profile read.
    pub(super) catchup: Option<CatchupStore>,
    /// The column points of each profile point (by index), as last sent in `$meta`.
    pub(super) profile_columns: BTreeMap<usize, Vec<PointMeta>>,
    /// When the cycle under way began (a profile entry captured a poll before is late).
    pub(super) cycle_started: Timestamp,
    /// Commands for the writable points; `None` once the router dropped its end.
    pub(super) commands: Option<CommandReceiver>,
}

impl Poller {
    pub(super) fn new(
        device: Arc<str>,
        config: DlmsSource,
        events: EventSender,
        stats: Arc<SourceStats>,
        state_dir: PathBuf,
    ) -> Self {
        let points = config.points.iter().map(PointRt::new).collect();
        Poller {
            device,
            config,
            events,
            stats,
            points,
            online: None,
            tuning: Tuning::default(),
            last_failure: None,
            state_dir,
            invocation: None,
            next_invocation: 1,
            referencing: Referencing::default(),
            catchup: None,
            profile_columns: BTreeMap::new(),
            cycle_started: Timestamp::now(),
            commands: None,
        }
    }

    /// Takes commands from `commands` (the router's queue for this source).
    pub(super) fn with_commands(mut self, commands: CommandReceiver) -> Self {
        self.commands = Some(commands);
        self
    }

    /// Runs until the point stream closes.
    pub(super) async fn run(mut self) {
        let meta = meta(self.device.clone(), &self.config);
        if self.send(SourceEvent::DeviceMeta(meta)).await.is_err() {
            return;
        }
        tracing::info!(device = %self.device, points = self.points.len(), "dlms source started");
        let _ = self.schedule().await;
    }

    async fn schedule(&mut self) -> Result<(), Stopped> {
        let mut backoff = Backoff::new(self.tuning.backoff_min, self.tuning.backoff_max);
        let period = self.config.poll.max(MIN_POLL);
        let mut due = Instant::now();
        let mut after_failure = false;
        loop {
            self.wait_for_poll(due).await?;
            if after_failure {
                self.stats.bump(Counter::Reconnects);
            }
            match self.cycle_with_retry().await {
                Ok(()) => {
                    backoff.reset();
                    after_failure = false;
                    if self.last_failure.take().is_some() {
                        tracing::info!(device = %self.device, "dlms meter read again");
                    }
                    due = next_due(due, period, Instant::now());
                }
                Err(Failure::Stopped) => return Err(Stopped),
                Err(Failure::Link { error, .. }) => {
                    after_failure = true;
                    let delay = backoff.next_delay();
                    self.cycle_failed(&error, delay).await?;
                    due = Instant::now() + delay;
                }
            }
        }
    }

    /// One cycle, tried once more at once when it failed in the transport before the
    /// association was up.
    async fn cycle_with_retry(&mut self) -> Result<(), Failure> {
        match self.cycle().await {
            Err(Failure::Link {
                error,
                phase: Phase::Connecting,
            }) if self.try_short_names(&error) => self.cycle().await,
            Err(Failure::Link {
                error,
                phase: Phase::Connecting,
            }) if error.is_transient() => {
                tracing::debug!(device = %self.device, error = %error, "dlms connection failed; trying once more");
                self.stats.bump(Counter::Reconnects);
                self.sleep_until(Instant::now() + self.tuning.retry_pause)
                    .await
                    .map_err(|_| Failure::Stopped)?;
                self.cycle().await
            }
            other => other,
        }
    }

    /// Counts, logs and reports a failed cycle.
    async fn cycle_failed(
        &mut self,
        error: &crate::link::LinkError,
        retry: Duration,
    ) -> Result<(), Stopped> {
        if error.is_bad_input() {
            self.stats.bump(Counter::DecodeErrors);
        }
        if error.is_timeout() {
            self.stats.bump(Counter::Timeouts);
        }
        let text = error.to_string();
        let retry_ms = u64::try_from(retry.as_millis()).unwrap_or(u64::MAX);
        // The same failure again, numbers aside (a replayed frame counter names its counters,
        // a timeout its duration): logged at debug level only.
        let reason = failure_kind(&text);
        if self.last_failure.as_deref().map(failure_kind) == Some(reason) {
            tracing::debug!(device = %self.device, error = %text, retry_ms, "dlms poll failed again");
        } else {
            tracing::warn!(device = %self.device, error = %text, retry_ms, "dlms poll failed");
        }
        self.offline(&text).await?;
        self.last_failure = Some(text);
        Ok(())
    }

    /// Waits until `due`, running the commands that arrive meanwhile; one waiting when `due`
    /// comes goes first.
    async fn wait_for_poll(&mut self, due: Instant) -> Result<(), Stopped> {
        loop {
            tokio::select! {
                biased;
                () = self.events.closed() => return Err(Stopped),
                request = next_command(&mut self.commands) => match request {
                    Some(request) => self.run_commands(request).await?,
                    None => self.commands = None,
                },
                () = tokio::time::sleep_until(due) => return Ok(()),
            }
        }
    }

    async fn sleep_until(&self, due: Instant) -> Result<(), Stopped> {
        tokio::select! {
            () = self.events.closed() => Err(Stopped),
            () = tokio::time::sleep_until(due) => Ok(()),
        }
    }
}

/// The next command, or `None` once the router dropped its end; pending for ever without a
/// queue, so a closed queue never wakes the poller again.
async fn next_command(commands: &mut Option<CommandReceiver>) -> Option<CommandRequest> {
    match commands {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// A failure's text without its numbers: what makes two failures the same reason.
fn failure_kind(text: &str) -> String {
    text.chars().filter(|c| !c.is_ascii_digit()).collect()
}

/// The next poll after one due at `due`: a period later, or now when that is already past.
fn next_due(due: Instant, period: Duration, now: Instant) -> Instant {
    let next = due + period;
    if next < now {
        now
    } else {
        next
    }
}
