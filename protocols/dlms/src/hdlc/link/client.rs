//! The client: the primary station of normal response mode (IEC 62056-46 clause 6.4.4, Green
//! Book 8.4.4). It opens and closes the link, polls, and alone runs the response timer.

use super::window::{build, clamp_info, Assembled, InvalidNr, Reassembly, Receiver, SendWindow};
use super::{Config, Disconnect, Event, SendError, State};
use crate::hdlc::{Control, Frame, FrameReject, Llc, Parameters};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The link layer of a DLMS client over HDLC.
#[derive(Debug, Clone)]
pub struct Client {
    rx: Receiver,
    core: Core,
}

/// A command the client owes the line next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Due {
    Nothing,
    Snrm,
    Disc,
    Poll,
}

#[derive(Debug, Clone)]
struct Core {
    config: Config,
    state: State,
    params: Parameters,
    tx: SendWindow,
    /// V(R): the N(S) expected next.
    vr: u8,
    reassembly: Reassembly,
    /// A frame with the P bit is out and no response with the F bit came yet.
    awaiting: bool,
    /// When the response to it is late (`None`: never, the timeout being too long to add).
    deadline: Option<Instant>,
    retries: u8,
    due: Due,
    /// The SNRM or DISC of the present state went out: only then can a UA or DM answer it (one
    /// that comes before is the late answer to an earlier command).
    commanded: bool,
    /// The server answered RNR: no I frames, and a poll no earlier than `busy_until` (`None`:
    /// never, the interval being too long to add, unless [`Client::poll`] is called).
    busy: bool,
    busy_until: Option<Instant>,
    /// When the server started answering RNR, for the cap on busy polls.
    busy_since: Option<Instant>,
    /// Requests the server acknowledged and has not answered yet.
    owed: usize,
    /// When the server first answered RR without the answer owed.
    owed_since: Option<Instant>,
    /// When to poll again for the answer owed.
    repoll: Option<Instant>,
    /// An I frame was out of sequence: the server has frames we lost, poll for them.
    gap: bool,
    /// Why a DISC was sent, reported when it is answered.
    closing: Disconnect,
    events: VecDeque<Event>,
}

impl Client {
    /// A client with `config`, not connected.
    pub fn new(config: Config) -> Self {
        Client {
            rx: Receiver::default(),
            core: Core {
                params: config.parameters,
                config,
                state: State::Disconnected,
                tx: SendWindow::default(),
                vr: 0,
                reassembly: Reassembly::default(),
                awaiting: false,
                deadline: None,
                retries: 0,
                due: Due::Nothing,
                commanded: false,
                busy: false,
                busy_until: None,
                busy_since: None,
                owed: 0,
                owed_since: None,
                repoll: None,
                gap: false,
                closing: Disconnect::Local,
                events: VecDeque::new(),
            },
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.core.config
    }

    /// Where the link is.
    pub fn state(&self) -> State {
        self.core.state
    }

    /// The negotiated parameters (the proposed ones before UA).
    pub fn parameters(&self) -> &Parameters {
        &self.core.params
    }

    /// Opens the link: SNRM with the configured parameters goes out at the next
    /// [`Client::poll_transmit`]. A link already open is reset (its queued data dropped).
    pub fn connect(&mut self) {
        let core = &mut self.core;
        core.reset_link();
        core.state = State::Connecting;
        core.due = Due::Snrm;
        core.commanded = false;
        core.stop_waiting();
        core.retries = 0;
    }

    /// Closes the link: DISC goes out at the next [`Client::poll_transmit`], even if a response
    /// is still awaited; queued data are dropped.
    pub fn disconnect(&mut self) {
        let core = &mut self.core;
        if core.state == State::Disconnected {
            return;
        }
        core.disconnect(Disconnect::Local);
    }

    /// Queues an APDU (without LLC header) for the server: a request, to which the server owes
    /// an answer. Once the server has acknowledged it, the client polls until the answer comes
    /// (see [`Client::poll`]).
    ///
    /// # Errors
    /// [`SendError::NotConnected`] unless the link is connected.
    pub fn send(&mut self, apdu: &[u8]) -> Result<(), SendError> {
        self.queue(apdu, true)
    }

    /// Queues an APDU that the server does not answer (an unconfirmed service, e.g. an
    /// unconfirmed SET or a data-notification): the client does not poll for an answer to it.
    ///
    /// # Errors
    /// [`SendError::NotConnected`] unless the link is connected.
    pub fn send_unconfirmed(&mut self, apdu: &[u8]) -> Result<(), SendError> {
        self.queue(apdu, false)
    }

    /// Polls the server (RR with the P bit) at the next [`Client::poll_transmit`], for an
    /// application that knows an answer is owed; the client then keeps polling every
    /// [`Config::busy_poll_interval`] until the answer comes, within the same bound as after
    /// [`Client::send`]. Nothing happens unless the link is connected, and no second poll goes
    /// out while one awaits its response.
    pub fn poll(&mut self, now: Instant) {
        let core = &mut self.core;
        if core.state != State::Connected {
            return;
        }
        core.owed = core.owed.max(1);
        core.repoll = Some(now);
        if core.busy {
            core.busy_until = Some(now);
        }
    }

    fn queue(&mut self, apdu: &[u8], answered: bool) -> Result<(), SendError> {
        let core = &mut self.core;
        if core.state != State::Connected {
            return Err(SendError::NotConnected);
        }
        let max = clamp_info(
            core.params.max_info_tx,
            &core.config.server,
            &core.config.client,
        );
        core.tx.push(&Llc::Command.prefix(apdu), max, answered);
        Ok(())
    }

    /// Whether nothing waits to be sent, acknowledged or received (an answer owed included).
    pub fn is_idle(&self) -> bool {
        let core = &self.core;
        core.tx.is_empty() && !core.awaiting && !core.reassembly.in_progress() && core.owed == 0
    }

    /// Frames the line brought that did not check (a bad HCS or FCS, a length the bytes do not
    /// fill), since the client was made. They are dropped, as IEC 62056-46 clause 6.4.4 wants,
    /// and the server's retransmission recovers; a caller counts and reports them.
    pub fn bad_frames(&self) -> u64 {
        self.rx.splitter.bad_frames()
    }

    /// Why the last frame that did not check was dropped.
    pub fn last_bad_frame(&self) -> Option<&crate::Error> {
        self.rx.splitter.last_error()
    }

    /// Takes the bytes of one read from the line at `now`.
    pub fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        self.rx
            .push(now, bytes, self.core.config.inter_octet_timeout);
        while let Some(frame) = self.rx.splitter.next_frame() {
            self.core.on_frame(now, &frame);
        }
    }

    /// The next frame to write at `now`, if any.
    pub fn poll_transmit(&mut self, now: Instant) -> Option<Vec<u8>> {
        self.core.poll_transmit(now)
    }

    /// The next event. Events queue up until taken: a caller that never calls this lets the
    /// queue grow.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.core.events.pop_front()
    }

    /// When [`Client::handle_timeout`] is due (a response not received in time), or when
    /// [`Client::poll_transmit`] will poll again a server that answered RNR, or one that owes
    /// an answer. `None` while no timer runs, or when a configured duration is too long to add
    /// to the time (no deadline).
    pub fn poll_timeout(&self) -> Option<Instant> {
        let core = &self.core;
        if core.awaiting {
            return core.deadline;
        }
        let busy = core.busy.then_some(core.busy_until).flatten();
        let repoll = (core.owed > 0).then_some(core.repoll).flatten();
        busy.into_iter().chain(repoll).min()
    }

    /// Runs the timers at `now`: a response that did not come in time is polled for again, or
    /// after the last retry the link is declared failed.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.core.handle_timeout(now);
    }
}

impl Core {
    fn reset_link(&mut self) {
        self.tx.reset();
        self.vr = 0;
        self.reassembly.reset();
        self.busy = false;
        self.busy_until = None;
        self.busy_since = None;
        self.owed = 0;
        self.owed_since = None;
        self.repoll = None;
        self.gap = false;
        self.params = self.config.parameters;
    }

    /// A frame with the P bit went out at `now`: its response is due within the timeout.
    fn wait(&mut self, now: Instant) {
        self.awaiting = true;
        self.deadline = now.checked_add(self.config.response_timeout);
    }

    fn stop_waiting(&mut self) {
        self.awaiting = false;
        self.deadline = None;
    }

    /// How long a server that answers but says nothing useful (RNR, or RR without the answer
    /// owed) is polled: as long as a silent one gets, the response timeout times the retries
    /// plus one. `None`: no bound (the product does not fit a `Duration`).
    fn patience(&self) -> Option<Duration> {
        self.config
            .response_timeout
            .checked_mul(u32::from(self.config.retries) + 1)
    }

    /// Whether `patience` ran out between `since` and `now`.
    fn out_of_patience(&self, since: Instant, now: Instant) -> bool {
        self.patience()
            .and_then(|p| since.checked_add(p))
            .is_some_and(|end| now >= end)
    }

    fn disconnect(&mut self, why: Disconnect) {
        self.reset_link();
        self.state = State::Disconnecting;
        self.closing = why;
        self.due = Due::Disc;
        self.commanded = false;
        self.stop_waiting();
        self.retries = 0;
    }

    fn down(&mut self, why: Disconnect) {
        self.reset_link();
        self.state = State::Disconnected;
        self.due = Due::Nothing;
        self.stop_waiting();
        self.events.push_back(Event::Disconnected(why));
    }

    fn frame(&self, control: Control, segmented: bool, info: &[u8]) -> Vec<u8> {
        build(
            self.config.server,
            self.config.client,
            control,
            segmented,
            info,
        )
    }

    fn poll_transmit(&mut self, now: Instant) -> Option<Vec<u8>> {
        if self.awaiting {
            return None;
        }
        let pf = true;
        let due = std::mem::replace(&mut self.due, Due::Nothing);
        let bytes = match (self.state, due) {
            (State::Connecting, Due::Snrm) => {
                let info = self.config.parameters.to_bytes();
                self.frame(Control::Snrm { pf }, false, &info)
            }
            (State::Disconnecting, Due::Disc) => self.frame(Control::Disc { pf }, false, &[]),
            (State::Connected, Due::Poll) => {
                self.frame(Control::Rr { nr: self.vr, pf }, false, &[])
            }
            (State::Connected, _) => return self.next_data(now),
            _ => return None,
        };
        self.commanded |= matches!(due, Due::Snrm | Due::Disc);
        self.wait(now);
        Some(bytes)
    }

    /// RR with the P bit, at `now`.
    fn poll_frame(&mut self, now: Instant) -> Vec<u8> {
        self.wait(now);
        self.frame(
            Control::Rr {
                nr: self.vr,
                pf: true,
            },
            false,
            &[],
        )
    }

    /// I frames within the window, else a poll for the rest of a segmented response or for an
    /// answer owed.
    fn next_data(&mut self, now: Instant) -> Option<Vec<u8>> {
        if self.busy {
            if self.busy_until.is_none_or(|until| now < until) {
                return None;
            }
            self.busy = false;
            self.busy_until = None;
            return Some(self.poll_frame(now));
        }
        if let Some((ns, segment, last)) = self.tx.next(self.params.window_tx) {
            let control = Control::I {
                ns,
                nr: self.vr,
                pf: last,
            };
            let bytes = self.frame(control, segment.more, &segment.info);
            self.tx.mark_sent();
            if last {
                self.wait(now);
            }
            return Some(bytes);
        }
        if self.reassembly.in_progress() || self.gap {
            self.gap = false;
            return Some(self.poll_frame(now));
        }
        if self.owed > 0 && self.repoll.is_some_and(|at| now >= at) {
            self.repoll = None;
            return Some(self.poll_frame(now));
        }
        None
    }

    fn handle_timeout(&mut self, now: Instant) {
        match self.deadline {
            Some(deadline) if self.awaiting && now >= deadline => {}
            _ => return,
        }
        self.stop_waiting();
        if self.retries >= self.config.retries {
            let why = match self.state {
                State::Disconnecting => self.closing,
                _ => Disconnect::LinkFailure,
            };
            self.down(why);
            return;
        }
        self.retries += 1;
        self.events.push_back(Event::Retrying {
            attempt: self.retries,
        });
        self.due = match self.state {
            State::Connecting => Due::Snrm,
            State::Disconnecting => Due::Disc,
            State::Connected => Due::Poll,
            _ => Due::Nothing,
        };
    }

    fn discard(&mut self, control: Control, reason: &'static str) {
        self.events.push_back(Event::Discarded { control, reason });
    }

    fn on_frame(&mut self, now: Instant, frame: &Frame<'_>) {
        if frame.source != self.config.server
            || (frame.destination != self.config.client && !frame.destination.is_all_station())
        {
            return;
        }
        let control = frame.control;
        if !control.is_known() {
            return self.discard(control, "unknown control field");
        }
        if let Control::Ui { .. } = control {
            return self.on_push(frame);
        }
        match (self.state, control) {
            (State::Connecting | State::Disconnecting, Control::Ua { .. } | Control::Dm { .. })
                if !self.commanded =>
            {
                self.discard(control, "an answer to a command not sent yet")
            }
            (State::Connecting, Control::Ua { .. }) => match Parameters::decode_lenient(frame.info)
            {
                Ok(peer) => {
                    let mut params = self.config.parameters.negotiate(&peer);
                    let (s, c) = (&self.config.server, &self.config.client);
                    params.max_info_tx = clamp_info(params.max_info_tx, s, c) as u32;
                    params.max_info_rx = clamp_info(params.max_info_rx, s, c) as u32;
                    self.reset_link();
                    self.params = params;
                    self.state = State::Connected;
                    self.stop_waiting();
                    self.retries = 0;
                    self.events.push_back(Event::Connected(params));
                }
                Err(error) => self.events.push_back(Event::Malformed(error)),
            },
            (State::Connecting, Control::Dm { .. }) => self.down(Disconnect::Refused),
            (State::Disconnecting, Control::Ua { .. } | Control::Dm { .. }) => {
                self.down(self.closing)
            }
            (State::Connected, Control::I { .. } | Control::Rr { .. } | Control::Rnr { .. }) => {
                self.on_numbered(now, frame)
            }
            (State::Connected, Control::Dm { .. }) => self.down(Disconnect::Remote),
            (State::Connected, Control::Frmr { .. }) => {
                match FrameReject::decode(frame.info) {
                    Ok(reject) => self.events.push_back(Event::FrameReject(reject)),
                    Err(error) => self.events.push_back(Event::Malformed(error)),
                }
                self.disconnect(Disconnect::ProtocolError);
            }
            _ => self.discard(control, "not expected in this state"),
        }
    }

    fn on_push(&mut self, frame: &Frame<'_>) {
        if frame.segmented {
            return self.discard(frame.control, "segmented UI frames are not supported");
        }
        match strip(Llc::Response, frame.info, self.config.accept_missing_llc) {
            Ok(apdu) => self.events.push_back(Event::Push(apdu.to_vec())),
            Err(error) => self.events.push_back(Event::Malformed(error)),
        }
    }

    fn on_numbered(&mut self, now: Instant, frame: &Frame<'_>) {
        let control = frame.control;
        let Some(nr) = control.nr() else {
            return;
        };
        match self.tx.ack(nr) {
            Ok(answered) => self.owed += answered,
            Err(InvalidNr) => {
                self.discard(control, "N(R) acknowledges a frame never sent");
                return self.disconnect(Disconnect::ProtocolError);
            }
        }
        match control {
            Control::I { ns, .. } => {
                // Tolerant up to what this station was configured to receive, even above the
                // negotiated value (a meter whose UA states none may still send longer frames);
                // strict above it.
                let max = clamp_info(
                    self.config
                        .parameters
                        .max_info_rx
                        .max(self.params.max_info_rx),
                    &self.config.server,
                    &self.config.client,
                );
                if frame.info.len() > max {
                    self.discard(
                        control,
                        "information field longer than this station receives",
                    );
                    return self.disconnect(Disconnect::ProtocolError);
                }
                self.busy_since = None;
                if ns != self.vr {
                    self.gap = true;
                    self.events.push_back(Event::SequenceError {
                        expected: self.vr,
                        found: ns,
                    });
                } else {
                    self.vr = (self.vr + 1) & 7;
                    self.owed_since = None;
                    self.assemble(frame);
                }
            }
            Control::Rnr { .. } => {
                let since = *self.busy_since.get_or_insert(now);
                if self.out_of_patience(since, now) {
                    // Busy for as long as a silent server may be: give the link up.
                    self.discard(control, "the server stayed busy (RNR) too long");
                    return self.disconnect(Disconnect::LinkFailure);
                }
                self.busy = true;
                self.busy_until = now.checked_add(self.config.busy_poll_interval);
            }
            _ => self.busy_since = None,
        }
        if control.pf() {
            // The response is complete: what it did not acknowledge was lost.
            self.stop_waiting();
            self.retries = 0;
            if self.tx.outstanding() {
                self.tx.go_back();
            }
            if !matches!(control, Control::Rnr { .. }) {
                self.answer_owed(now);
            }
        }
    }

    /// After RR or I with the F bit: when the server acknowledged every request but still owes an
    /// answer, it may only send it when polled (normal response mode), so poll again after the
    /// busy interval; give up with [`Event::NoResponse`] once the server has had as long as a
    /// silent one would.
    fn answer_owed(&mut self, now: Instant) {
        if self.owed == 0 || !self.tx.is_empty() || self.reassembly.in_progress() {
            return;
        }
        let since = *self.owed_since.get_or_insert(now);
        if self.out_of_patience(since, now) {
            self.owed = 0;
            self.owed_since = None;
            self.repoll = None;
            self.events.push_back(Event::NoResponse);
            return;
        }
        self.repoll = now.checked_add(self.config.busy_poll_interval);
    }

    fn assemble(&mut self, frame: &Frame<'_>) {
        let limit = self.config.max_apdu_len;
        match self.reassembly.push(frame.info, frame.segmented, limit) {
            Assembled::Partial => {}
            Assembled::TooLong(len) => {
                self.answered();
                self.events.push_back(Event::ApduTooLong { len })
            }
            Assembled::Complete(data) => {
                self.answered();
                match strip(Llc::Response, &data, self.config.accept_missing_llc) {
                    Ok(apdu) => self.events.push_back(Event::Data(apdu.to_vec())),
                    Err(error) => self.events.push_back(Event::Malformed(error)),
                }
            }
        }
    }
}

impl Core {
    /// A whole APDU came from the server: one answer owed fewer.
    fn answered(&mut self) {
        self.owed = self.owed.saturating_sub(1);
        if self.owed == 0 {
            self.repoll = None;
        }
    }
}

/// The APDU after the LLC header `llc`; with `lenient`, an information field without one is
/// taken whole.
pub(super) fn strip(llc: Llc, info: &[u8], lenient: bool) -> Result<&[u8], crate::Error> {
    match llc.strip(info) {
        Ok(apdu) => Ok(apdu),
        Err(_) if lenient && info.first() != Some(&0xE6) => Ok(info),
        Err(error) => Err(error),
    }
}
