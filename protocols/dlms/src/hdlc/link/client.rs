//! The client: the primary station of normal response mode (IEC 62056-46 clause 6.4.4, Green
//! Book 8.4.4). It opens and closes the link, polls, and alone runs the response timer.

use super::window::{build, clamp_info, Assembled, InvalidNr, Reassembly, Receiver, SendWindow};
use super::{Config, Disconnect, Event, SendError, State};
use crate::hdlc::{Control, Frame, FrameReject, Llc, Parameters};
use std::collections::VecDeque;
use std::time::Instant;

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
    /// The deadline of the response to the last frame sent with the P bit.
    awaiting: Option<Instant>,
    retries: u8,
    due: Due,
    /// The server answered RNR: no I frames, and a poll no earlier than this.
    busy_until: Option<Instant>,
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
                awaiting: None,
                retries: 0,
                due: Due::Nothing,
                busy_until: None,
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
        core.awaiting = None;
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

    /// Queues an APDU (without LLC header) for the server.
    ///
    /// # Errors
    /// [`SendError::NotConnected`] unless the link is connected.
    pub fn send(&mut self, apdu: &[u8]) -> Result<(), SendError> {
        let core = &mut self.core;
        if core.state != State::Connected {
            return Err(SendError::NotConnected);
        }
        let max = clamp_info(
            core.params.max_info_tx,
            &core.config.server,
            &core.config.client,
        );
        core.tx.push(&Llc::Command.prefix(apdu), max);
        Ok(())
    }

    /// Whether nothing waits to be sent, acknowledged or received.
    pub fn is_idle(&self) -> bool {
        let core = &self.core;
        core.tx.is_empty() && core.awaiting.is_none() && !core.reassembly.in_progress()
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

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.core.events.pop_front()
    }

    /// When [`Client::handle_timeout`] is due (a response not received in time), or when
    /// [`Client::poll_transmit`] will poll a busy server again.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let core = &self.core;
        match (core.awaiting, core.busy_until) {
            (Some(a), _) => Some(a),
            (None, b) => b,
        }
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
        self.busy_until = None;
        self.gap = false;
        self.params = self.config.parameters;
    }

    fn disconnect(&mut self, why: Disconnect) {
        self.reset_link();
        self.state = State::Disconnecting;
        self.closing = why;
        self.due = Due::Disc;
        self.awaiting = None;
        self.retries = 0;
    }

    fn down(&mut self, why: Disconnect) {
        self.reset_link();
        self.state = State::Disconnected;
        self.due = Due::Nothing;
        self.awaiting = None;
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
        if self.awaiting.is_some() {
            return None;
        }
        let deadline = now + self.config.response_timeout;
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
        self.awaiting = Some(deadline);
        Some(bytes)
    }

    /// I frames within the window, else a poll for the rest of a segmented response.
    fn next_data(&mut self, now: Instant) -> Option<Vec<u8>> {
        if let Some(until) = self.busy_until {
            if now < until {
                return None;
            }
            self.busy_until = None;
            self.awaiting = Some(now + self.config.response_timeout);
            return Some(self.frame(
                Control::Rr {
                    nr: self.vr,
                    pf: true,
                },
                false,
                &[],
            ));
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
                self.awaiting = Some(now + self.config.response_timeout);
            }
            return Some(bytes);
        }
        if self.reassembly.in_progress() || self.gap {
            self.gap = false;
            self.awaiting = Some(now + self.config.response_timeout);
            return Some(self.frame(
                Control::Rr {
                    nr: self.vr,
                    pf: true,
                },
                false,
                &[],
            ));
        }
        None
    }

    fn handle_timeout(&mut self, now: Instant) {
        let Some(deadline) = self.awaiting else {
            return;
        };
        if now < deadline {
            return;
        }
        self.awaiting = None;
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
            (State::Connecting, Control::Ua { .. }) => match Parameters::decode(frame.info) {
                Ok(peer) => {
                    let mut params = self.config.parameters.negotiate(&peer);
                    let (s, c) = (&self.config.server, &self.config.client);
                    params.max_info_tx = clamp_info(params.max_info_tx, s, c) as u32;
                    params.max_info_rx = clamp_info(params.max_info_rx, s, c) as u32;
                    self.reset_link();
                    self.params = params;
                    self.state = State::Connected;
                    self.awaiting = None;
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
        if let Err(InvalidNr) = self.tx.ack(nr) {
            self.discard(control, "N(R) acknowledges a frame never sent");
            return self.disconnect(Disconnect::ProtocolError);
        }
        match control {
            Control::I { ns, .. } => {
                let max = self.params.max_info_rx as usize;
                if frame.info.len() > max {
                    self.discard(control, "information field longer than negotiated");
                    return self.disconnect(Disconnect::ProtocolError);
                }
                if ns != self.vr {
                    self.gap = true;
                    self.events.push_back(Event::SequenceError {
                        expected: self.vr,
                        found: ns,
                    });
                } else {
                    self.vr = (self.vr + 1) & 7;
                    self.assemble(frame);
                }
            }
            Control::Rnr { .. } => self.busy_until = Some(now + self.config.busy_poll_interval),
            _ => {}
        }
        if control.pf() {
            // The response is complete: what it did not acknowledge was lost.
            self.awaiting = None;
            self.retries = 0;
            if self.tx.outstanding() {
                self.tx.go_back();
            }
        }
    }

    fn assemble(&mut self, frame: &Frame<'_>) {
        let limit = self.config.max_apdu_len;
        match self.reassembly.push(frame.info, frame.segmented, limit) {
            Assembled::Partial => {}
            Assembled::TooLong(len) => self.events.push_back(Event::ApduTooLong { len }),
            Assembled::Complete(data) => {
                match strip(Llc::Response, &data, self.config.accept_missing_llc) {
                    Ok(apdu) => self.events.push_back(Event::Data(apdu.to_vec())),
                    Err(error) => self.events.push_back(Event::Malformed(error)),
                }
            }
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
