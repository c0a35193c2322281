//! The IEC 60870-5-101 source: a controlling station (master) on a serial line (issue 16;
//! `docs/iec101.md`).
//!
//! One task per source ([`run`]) owns the serial port (tokio-serial) and the link layer of the
//! line ([`line`]): unbalanced, it polls every configured link address in turn (class 1 while
//! the outstation's answers set ACD, class 2 every `poll` otherwise); balanced, it is station A
//! of a point-to-point link. Each link address that comes up (status of link, reset of remote
//! link) gets a station interrogation (C_IC_NA_1, QOI 20) of every common address behind it,
//! clock synchronization (C_CS_NA_1) and counter interrogation (C_CI_NA_1) when configured,
//! periodic interrogations, and a new interrogation after an end of initialization. A link
//! address that stops answering (the link layer's repetitions used up) is down: its points'
//! last values are published again with `comm_failure`, and it is started again after an
//! exponential backoff (1 s to 60 s) so that the live outstations keep the line.
//!
//! `$state`: one device per source, online while at least one link address answers (the reason
//! names those that do not: `link address 4 not answering`), offline when none does or the
//! port cannot be opened.
//!
//! Backpressure: readings wait in a [`Handoff`]. While it holds [`HANDOFF`] readings an
//! unbalanced line starts no new exchange (the outstations keep their class 1 and 2 data until
//! they are asked again). A balanced outstation sends on its own: its user data are taken and
//! acknowledged up to [`BUSY_AT`] waiting readings, and beyond that answered with NACK and DFC = 1
//! (busy, IEC 60870-5-2 clause 5.2: the outstation keeps them and asks for the link status until
//! DFC clears). The link procedures themselves never wait for the point stream.
//!
//! Commands ([`crate::command`]) to a writable point go to its link address once that is up (on
//! an unbalanced line with SEND/CONFIRM, their confirmations coming back as class 1 data), with
//! select before operate when configured; they wait (at most [`control::WAITING`]) for the link
//! address up to their deadline, and each gets exactly one reply. A command's frame is handed
//! to the link layer only when it can go out at once, its deadline checked at that moment; a
//! frame the outstation's link refuses (NACK) or leaves unanswered ends its command at once.
mod control;
mod line;
mod station;

use crate::points::Profile;
use std::sync::Arc;
use std::time::Duration;

use fieldbridge_core::backoff::Backoff;
use fieldbridge_core::command::CommandReceiver;
use fieldbridge_core::config::{
    Iec101Mode, Iec101Source, Parity, SerialSettings, SourceConfig, SourceKind,
};
use fieldbridge_core::event::{DeviceState, EventSender, SourceEvent};
use fieldbridge_core::source::{Counter, Handoff, SourceContext, SourceStats, SourceTask};
use fieldbridge_core::time::Timestamp;
use fieldbridge_iec60870::link101::{Event, Refusal, SendError, SendId};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::Instant;

use control::Control;
use line::Line;
use station::{Context, Station};

/// Readings that may wait for room in the point stream before the line holds: about one
/// ASDU's worth of the smallest objects. A hold never loses anything: an answer already on its
/// way is still taken (the handoff grows past this by at most one ASDU).
pub const HANDOFF: usize = 256;

/// Balanced: readings waiting before the outstation's user data are answered busy (NACK, DFC =
/// 1). Higher than [`HANDOFF`] because some outstations take a busy answer badly (lib60870-C
/// 2.3.4 stops sending for good, `docs/iec101.md`): a short stall of the point
/// stream is absorbed, a long one still bounded.
pub const BUSY_AT: usize = 4096;

/// The shortest wait before the serial port is opened again.
const REOPEN_MIN: Duration = Duration::from_millis(500);
/// The longest.
const REOPEN_MAX: Duration = Duration::from_secs(30);

/// The IEC 60870-5-101 driver for the bridge's registry: `protocol = "iec101"`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Iec101Driver;

impl fieldbridge_core::source::Driver for Iec101Driver {
    fn family(&self) -> &'static str {
        "iec101"
    }

    fn protocols(&self) -> &'static [&'static str] {
        &["iec101"]
    }

    fn unsupported(&self, source: &SourceConfig) -> Vec<(String, String)> {
        let SourceKind::Iec101(config) = &source.kind else {
            return Vec::new();
        };
        let mut out = Vec::new();
        if let Err(error) = line::params(config).check() {
            out.push(("timeout".to_owned(), error.to_string()));
        }
        out.extend(crate::master::refusals(&config.master));
        out
    }

    fn command_params(&self) -> &'static [&'static str] {
        crate::master::COMMAND_PARAMS
    }

    fn start(&self, source: SourceConfig, context: SourceContext) -> SourceTask {
        let SourceKind::Iec101(config) = source.kind else {
            tracing::error!(device = %source.name, protocol = source.kind.protocol(), "not an IEC 101 source");
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

/// The serial port of `settings`, opened.
fn open(settings: &SerialSettings) -> Result<tokio_serial::SerialStream, tokio_serial::Error> {
    let parity = match settings.parity {
        Parity::None => tokio_serial::Parity::None,
        Parity::Even => tokio_serial::Parity::Even,
        Parity::Odd => tokio_serial::Parity::Odd,
    };
    let data_bits = match settings.data_bits {
        5 => tokio_serial::DataBits::Five,
        6 => tokio_serial::DataBits::Six,
        7 => tokio_serial::DataBits::Seven,
        _ => tokio_serial::DataBits::Eight,
    };
    let stop_bits = match settings.stop_bits {
        2 => tokio_serial::StopBits::Two,
        _ => tokio_serial::StopBits::One,
    };
    let builder = tokio_serial::new(settings.path.as_str(), settings.baud)
        .parity(parity)
        .data_bits(data_bits)
        .stop_bits(stop_bits);
    tokio_serial::SerialStream::open(&builder)
}

/// Whether each link address answers, and the `$state` last published from it.
#[derive(Debug, Default)]
struct Health {
    published: Option<(bool, Option<String>)>,
}

/// `link address 4 not answering`, `link addresses 3, 4 not answering`.
fn not_answering(addresses: &[u16]) -> Option<String> {
    let list: Vec<String> = addresses.iter().map(u16::to_string).collect();
    match list.as_slice() {
        [] => None,
        [one] => Some(format!("link address {one} not answering")),
        many => Some(format!("link addresses {} not answering", many.join(", "))),
    }
}

impl Health {
    /// The `$state` to publish now, if it changed: nothing while some link address has not
    /// resolved yet and none answers, so the first state does not flap address by address.
    fn state(&mut self, device: &Arc<str>, stations: &[Station]) -> Option<SourceEvent> {
        let up = stations.iter().any(|s| s.answering == Some(true));
        let unresolved = stations.iter().any(|s| s.answering.is_none());
        if unresolved && !up {
            return None;
        }
        let dead: Vec<u16> = stations
            .iter()
            .filter(|s| s.answering == Some(false))
            .map(|s| s.address)
            .collect();
        let next = (up, not_answering(&dead));
        self.publish(device, next)
    }

    /// The port cannot be opened or failed: offline with `reason`.
    fn offline(&mut self, device: &Arc<str>, reason: String) -> Option<SourceEvent> {
        self.publish(device, (false, Some(reason)))
    }

    fn publish(&mut self, device: &Arc<str>, next: (bool, Option<String>)) -> Option<SourceEvent> {
        if self.published.as_ref() == Some(&next) {
            return None;
        }
        let (online, reason) = next.clone();
        self.published = Some(next);
        tracing::info!(device = %device, online, reason = reason.as_deref().unwrap_or(""), "iec101 state");
        Some(SourceEvent::DeviceState(DeviceState {
            device: device.clone(),
            online,
            reason,
            since: Timestamp::now(),
        }))
    }
}

/// The state of one source across openings of its port.
struct Source {
    device: Arc<str>,
    config: Iec101Source,
    asdu: fieldbridge_iec60870::asdu::AsduConfig,
    events: EventSender,
    stats: Arc<SourceStats>,
    stations: Vec<Station>,
    handoff: Handoff<()>,
    health: Health,
    control: Control,
    /// Balanced: readings waiting before the outstation's data are answered busy.
    busy_at: usize,
}

/// Why the line ended.
enum End {
    /// Reading or writing the port failed, or it closed.
    Io(String),
    /// The point stream is gone: the bridge stops.
    Stopped,
}

/// Runs one IEC 101 source until the task is aborted or the point stream closes.
///
/// Sends the [`DeviceMeta`] first, then `$state` once the link addresses resolve (or the port
/// cannot be opened) and on every change, then readings. Commands from `commands` go to their
/// point's link address while it is up; each gets exactly one reply. Never panics on anything
/// the line carries.
pub async fn run(
    device: Arc<str>,
    config: Iec101Source,
    events: EventSender,
    stats: Arc<SourceStats>,
    commands: CommandReceiver,
) {
    let settings = config.serial.clone();
    run_on(device, config, events, stats, commands, BUSY_AT, || {
        open(&settings).map_err(|e| format!("cannot open {}: {e}", settings.path))
    })
    .await;
}

/// [`run`] on the ports `open` gives (a serial port; a pipe in tests): called again after the
/// port failed, with a backoff; its error is the offline reason. `busy_at` is [`BUSY_AT`]
/// (a parameter for tests).
async fn run_on<S: AsyncRead + AsyncWrite>(
    device: Arc<str>,
    config: Iec101Source,
    events: EventSender,
    stats: Arc<SourceStats>,
    commands: CommandReceiver,
    busy_at: usize,
    mut open: impl FnMut() -> Result<S, String>,
) {
    let path = config.serial.path.clone();
    let mut source = Source::new(device, config, events, stats, commands);
    source.busy_at = busy_at;
    if !source.meta().await {
        return;
    }
    let mut backoff = Backoff::new(REOPEN_MIN, REOPEN_MAX);
    let mut opened_before = false;
    loop {
        let reason = match open() {
            Ok(port) => {
                if opened_before {
                    source.stats.bump(Counter::Reconnects);
                }
                opened_before = true;
                tracing::info!(device = %source.device, path = %path, "serial port open");
                let started = Instant::now();
                let end = source.line(port).await;
                if started.elapsed() > REOPEN_MAX {
                    backoff.reset();
                }
                match end {
                    End::Stopped => return,
                    End::Io(reason) => format!("{path}: {reason}"),
                }
            }
            Err(error) => error,
        };
        tracing::warn!(device = %source.device, reason = %reason, "serial line lost");
        source.all_down(&reason);
        if !source.wait(backoff.next_delay(), &reason).await {
            return;
        }
    }
}

impl Source {
    fn new(
        device: Arc<str>,
        config: Iec101Source,
        events: EventSender,
        stats: Arc<SourceStats>,
        commands: CommandReceiver,
    ) -> Self {
        let control = Control::new(device.clone(), &config, commands);
        let stations = config
            .link_addresses
            .iter()
            .map(|&a| Station::new(device.clone(), &config, a))
            .collect();
        Source {
            asdu: station::asdu_config(&config),
            device,
            config,
            events,
            stats,
            stations,
            handoff: Handoff::new(HANDOFF),
            health: Health::default(),
            control,
            busy_at: BUSY_AT,
        }
    }

    /// Waits `delay` without a line: delivers what waits in the handoff and takes commands,
    /// which wait for their link address up to their deadline (then answered: not sent,
    /// `offline` says why). `false` when the point stream is gone.
    async fn wait(&mut self, delay: Duration, offline: &str) -> bool {
        let until = Instant::now() + delay;
        loop {
            let deadline = self.control.next_deadline();
            tokio::select! {
                biased;
                permit = self.events.reserve(), if !self.handoff.is_empty() => {
                    let Ok(permit) = permit else { return false };
                    self.handoff.deliver(permit, &self.events);
                }
                request = self.control.recv() => self.control.queue(request),
                _ = tokio::time::sleep_until(deadline.unwrap_or(until)), if deadline.is_some() => {
                    self.control.on_timeout(|_| format!("no serial line ({offline})"));
                }
                _ = tokio::time::sleep_until(until) => return true,
            }
        }
    }

    async fn meta(&self) -> bool {
        self.events
            .send(SourceEvent::DeviceMeta(crate::master::meta(
                self.device.clone(),
                &self.config.master,
                Profile::Iec101,
            )))
            .await
            .is_ok()
    }

    /// The port is gone: every link address is down (their points with `comm_failure`), and
    /// `$state` offline with `reason`.
    fn all_down(&mut self, reason: &str) {
        if let Some(state) = self.health.offline(&self.device, reason.to_owned()) {
            self.handoff.push(state, None);
        }
        let cx = Context {
            config: &self.config,
            asdu: &self.asdu,
            device: &self.device,
            stats: &self.stats,
        };
        for station in &mut self.stations {
            station.lose_commands(&cx, reason);
            if station.answering == Some(true) {
                station.on_down();
                station.lose(&mut self.handoff);
            }
            station.answering = None;
        }
    }

    /// Runs the line on an open port until it fails or the bridge stops.
    async fn line<S: AsyncRead + AsyncWrite>(&mut self, port: S) -> End {
        let (mut rd, mut wr) = tokio::io::split(port);
        let mut line = match Line::new(&self.config, Instant::now().into_std()) {
            Ok(line) => line,
            Err(error) => return End::Io(format!("link parameters: {error}")),
        };
        let mut buf = vec![0u8; 1024];
        let device = self.device.clone();
        let events = self.events.clone();
        loop {
            let now = Instant::now();
            let hold = self.handoff.is_full();
            let busy = self.handoff.len() >= self.busy_at;
            line.set_full(busy);
            // User data are handed to the link layer only as it can send them (`offer`).
            loop {
                let cx = Context {
                    config: &self.config,
                    asdu: &self.asdu,
                    device: &self.device,
                    stats: &self.stats,
                };
                let stations = &mut self.stations;
                let control = &mut self.control;
                let mode = self.config.mode;
                let mut offer =
                    |address: u16, send: &mut dyn FnMut(&[u8]) -> Result<SendId, SendError>| {
                        let index = match mode {
                            Iec101Mode::Balanced => Some(0),
                            Iec101Mode::Unbalanced => {
                                stations.iter().position(|s| s.address == address)
                            }
                        };
                        if let Some(station) = index.and_then(|i| stations.get_mut(i)) {
                            if station.answering == Some(true) {
                                station.offer(&cx, control, send);
                            }
                        }
                    };
                let Some(frame) = line.poll_transmit(now.into_std(), hold, &mut offer) else {
                    break;
                };
                self.stats.bump(Counter::Requests);
                if let Err(e) = wr.write_all(frame.as_bytes()).await {
                    return End::Io(format!("write failed: {e}"));
                }
            }
            if let Err(e) = wr.flush().await {
                return End::Io(format!("write failed: {e}"));
            }
            let link_due = line.poll_timeout(hold).map(Instant::from_std);
            let tick_due = self
                .stations
                .iter()
                .filter_map(Station::next_deadline)
                .chain(self.control.next_deadline())
                .min();
            let far = now + Duration::from_secs(3600);
            tokio::select! {
                permit = events.reserve(), if !self.handoff.is_empty() => {
                    let Ok(permit) = permit else { return End::Stopped };
                    self.handoff.deliver(permit, &events);
                }
                read = rd.read(&mut buf) => {
                    let n = match read {
                        Ok(0) => return End::Io("the port closed".to_owned()),
                        Ok(n) => n,
                        Err(e) => return End::Io(format!("read failed: {e}")),
                    };
                    let data = buf.get(..n).unwrap_or_default();
                    let mut seen = Vec::new();
                    let stray = line.on_bytes(data, Instant::now().into_std(), |event| {
                        self.on_event(event, &mut seen);
                    });
                    if stray > 0 {
                        tracing::debug!(device = %device, bytes = %station::hex(data), "bytes while no request was outstanding, dropped");
                    }
                    self.after(&seen, &mut line);
                }
                _ = tokio::time::sleep_until(link_due.unwrap_or(far)), if link_due.is_some() => {
                    let mut seen = Vec::new();
                    let failed = line.on_timeout(Instant::now().into_std(), |event| {
                        self.on_event(event, &mut seen);
                    });
                    if let Some(address) = failed {
                        self.stats.bump(Counter::Timeouts);
                        seen.push(Seen::Failed(address));
                    }
                    self.after(&seen, &mut line);
                }
                _ = tokio::time::sleep_until(tick_due.unwrap_or(far)), if tick_due.is_some() => {
                    let cx = Context {
                        config: &self.config,
                        asdu: &self.asdu,
                        device: &self.device,
                        stats: &self.stats,
                    };
                    let now = Instant::now();
                    for station in &mut self.stations {
                        if station.answering == Some(true) {
                            station.on_tick(&cx, now, hold);
                        }
                    }
                    let stations = &self.stations;
                    let line = &line;
                    self.control.on_timeout(|link| {
                        match stations.iter().find(|s| s.address == link).and_then(|s| s.answering) {
                            Some(true) if hold => "the point stream was full (the line held)".to_owned(),
                            Some(true) if line.is_busy(link) => format!("link address {link} busy (DFC = 1)"),
                            Some(true) => format!("no turn on the line for link address {link}"),
                            Some(false) => format!("link address {link} not answering"),
                            None => format!("link address {link} not started"),
                        }
                    });
                }
                request = self.control.recv() => self.control.queue(request),
            }
        }
    }

    fn station_index(&self, address: u16) -> Option<usize> {
        match self.config.mode {
            // The user data of a balanced link carry our own address: one station.
            Iec101Mode::Balanced => Some(0),
            Iec101Mode::Unbalanced => self.stations.iter().position(|s| s.address == address),
        }
    }

    /// Takes one event of the link layer; link changes are noted in `seen` for [`Source::after`].
    fn on_event(&mut self, event: Event<'_>, seen: &mut Vec<Seen>) {
        let device = &self.device;
        match event {
            Event::UserData { address, asdu, .. } => {
                let Some(index) = self.station_index(address) else {
                    return;
                };
                let cx = Context {
                    config: &self.config,
                    asdu: &self.asdu,
                    device: &self.device,
                    stats: &self.stats,
                };
                if let Some(station) = self.stations.get_mut(index) {
                    station.on_asdu(&cx, asdu, &mut self.handoff);
                }
            }
            Event::LinkUp { address } => seen.push(Seen::Up(address)),
            Event::LinkDown { address } => seen.push(Seen::Down(address)),
            Event::Repeating { address, attempt } => {
                self.stats.bump(Counter::Timeouts);
                tracing::debug!(device = %device, link = address, attempt, "no answer: repeating");
            }
            Event::Confirmed { address, id } => {
                if let Some(station) = self
                    .station_index(address)
                    .and_then(|i| self.stations.get_mut(i))
                {
                    station.on_link_confirmed(id);
                }
            }
            Event::NotConfirmed {
                address,
                id,
                reason,
            } => {
                if reason != Refusal::NoResponse {
                    self.stats.bump(Counter::Exceptions);
                    tracing::warn!(device = %device, link = address, reason = ?reason, "user data not confirmed");
                }
                let cx = Context {
                    config: &self.config,
                    asdu: &self.asdu,
                    device: &self.device,
                    stats: &self.stats,
                };
                let retries = line::params(&self.config).retries;
                if let Some(station) = self
                    .station_index(address)
                    .and_then(|i| self.stations.get_mut(i))
                {
                    station.on_link_refusal(&cx, id, reason, retries);
                }
            }
            Event::Discarded { bytes, error } => {
                self.stats.bump(Counter::DecodeErrors);
                tracing::warn!(device = %device, bytes, error = ?error, "bytes on the line that are no frame, discarded");
            }
            Event::Unexpected { address, control } => {
                tracing::debug!(device = %device, link = address, control = ?control, "unexpected frame ignored");
            }
            Event::AccessDemand { address } => {
                tracing::trace!(device = %device, link = address, "class 1 data waiting");
            }
            Event::Busy { address, busy } => {
                tracing::debug!(device = %device, link = address, busy, "outstation busy (DFC)");
            }
            Event::ResetByRemote { address } => {
                tracing::info!(device = %device, link = address, "the outstation reset our link");
            }
            _ => {}
        }
    }

    /// Acts on the link changes of one read or timeout, then publishes `$state` if it changed.
    fn after(&mut self, seen: &[Seen], line: &mut Line) {
        let now = Instant::now();
        let mut lost = Vec::new();
        for &event in seen {
            let (address, up) = match event {
                Seen::Up(a) => (a, true),
                Seen::Down(a) | Seen::Failed(a) => (a, false),
            };
            let Some(index) = self.station_index(address) else {
                continue;
            };
            let cx = Context {
                config: &self.config,
                asdu: &self.asdu,
                device: &self.device,
                stats: &self.stats,
            };
            let Some(station) = self.stations.get_mut(index) else {
                continue;
            };
            if up && line.is_up(station.address) {
                if station.was_up {
                    self.stats.bump(Counter::Reconnects);
                }
                tracing::info!(device = %self.device, link = station.address, "link up");
                station.on_up(&cx, now);
            } else if !up && station.answering != Some(false) {
                tracing::warn!(device = %self.device, link = station.address, "link address not answering");
                let why = format!("link address {} not answering", station.address);
                // Nothing queued for it may go after the next reset of its link.
                let dropped = line.clear(station.address);
                if dropped > 0 {
                    tracing::debug!(device = %self.device, link = station.address, dropped, "user data for a lost link discarded");
                }
                station.lose_commands(&cx, &why);
                station.on_down();
                lost.push(index);
            }
        }
        // `$state` first, then the points it explains.
        if let Some(state) = self.health.state(&self.device, &self.stations) {
            self.handoff.push(state, None);
        }
        for index in lost {
            if let Some(station) = self.stations.get_mut(index) {
                station.lose(&mut self.handoff);
            }
        }
    }
}

/// A change of a link, noted while the link layer has the source borrowed.
#[derive(Debug, Clone, Copy)]
enum Seen {
    Up(u16),
    Down(u16),
    /// An exchange failed after every repetition (also of a link never up).
    Failed(u16),
}

#[cfg(test)]
mod tests;
