//! The server: the secondary station of normal response mode (IEC 62056-46 clause 6.4.4, Green
//! Book 8.4.4). It speaks only when polled, and answers a protocol error with FRMR.

use super::client::strip;
use super::window::{build, clamp_info, Assembled, Reassembly, Receiver, SendWindow};
use super::{Config, Disconnect, Event, SendError, State};
use crate::hdlc::{Address, Control, Frame, FrameReject, Llc, Parameters};
use std::collections::VecDeque;
use std::time::Instant;

/// The link layer of a DLMS server (a meter) over HDLC.
#[derive(Debug, Clone)]
pub struct Server {
    rx: Receiver,
    core: Core,
}

/// How many DMs to other clients' SNRMs may wait at once.
const MAX_REFUSED: usize = 4;

/// The response the server owes to a frame with the P bit.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Reply {
    /// UA, with parameters after SNRM.
    Ua(Vec<u8>),
    /// DM to this client.
    Dm(Address),
    /// FRMR with this reason.
    Frmr(FrameReject),
    /// I frames or RR.
    Data,
}

#[derive(Debug, Clone)]
struct Core {
    config: Config,
    state: State,
    params: Parameters,
    /// The client of the current link.
    peer: Address,
    tx: SendWindow,
    vr: u8,
    reassembly: Reassembly,
    reply: Option<Reply>,
    /// DMs owed to other clients' SNRMs while a link is open, sent after `reply`.
    refused: VecDeque<Address>,
    /// The client answered RNR: no I frames until it says RR.
    peer_busy: bool,
    /// The FRMR sent, repeated to every poll until the link is reset.
    rejected: Option<FrameReject>,
    last_heard: Option<Instant>,
    events: VecDeque<Event>,
}

impl Server {
    /// A server with `config` (its own address in `config.server`), not connected.
    pub fn new(config: Config) -> Self {
        Server {
            rx: Receiver::default(),
            core: Core {
                params: config.parameters,
                peer: config.client,
                config,
                state: State::Disconnected,
                tx: SendWindow::default(),
                vr: 0,
                reassembly: Reassembly::default(),
                reply: None,
                refused: VecDeque::new(),
                peer_busy: false,
                rejected: None,
                last_heard: None,
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

    /// The negotiated parameters (the configured ones before SNRM).
    pub fn parameters(&self) -> &Parameters {
        &self.core.params
    }

    /// The client of the current link.
    pub fn client(&self) -> Option<Address> {
        (self.core.state != State::Disconnected).then_some(self.core.peer)
    }

    /// Queues an APDU (without LLC header) for the client: it goes when the client polls. Call
    /// it before [`Server::poll_transmit`] to answer a request in the same exchange; otherwise
    /// the poll is answered with RR (not RNR: the receiver is not busy, and Gurux's client takes
    /// RNR as an error) and the data wait for the next poll, which [`super::Client`] sends
    /// every [`Config::busy_poll_interval`] while it is owed an answer.
    ///
    /// # Errors
    /// [`SendError::NotConnected`] unless the link is connected.
    pub fn send(&mut self, apdu: &[u8]) -> Result<(), SendError> {
        let core = &mut self.core;
        if core.state != State::Connected {
            return Err(SendError::NotConnected);
        }
        let max = clamp_info(core.params.max_info_tx, &core.peer, &core.config.server);
        core.tx.push(&Llc::Response.prefix(apdu), max, false);
        Ok(())
    }

    /// Whether no data wait to be sent or acknowledged and no answer is owed.
    pub fn is_idle(&self) -> bool {
        self.core.tx.is_empty() && self.core.reply.is_none() && self.core.refused.is_empty()
    }

    /// Takes the bytes of one read from the line at `now`.
    pub fn handle_input(&mut self, now: Instant, bytes: &[u8]) {
        self.rx
            .push(now, bytes, self.core.config.inter_octet_timeout);
        while let Some(frame) = self.rx.splitter.next_frame() {
            self.core.on_frame(now, &frame);
        }
    }

    /// The next frame to write, if a poll is owed an answer.
    pub fn poll_transmit(&mut self, _now: Instant) -> Option<Vec<u8>> {
        self.core.poll_transmit()
    }

    /// The next event. Events queue up until taken: a caller that never calls this lets the
    /// queue grow.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.core.events.pop_front()
    }

    /// When [`Server::handle_timeout`] is due: the inactivity timeout of an open link, counted
    /// from the last frame heard from its client. `None` without a link, without the timeout,
    /// or when it is too long to add to the time (no deadline).
    pub fn poll_timeout(&self) -> Option<Instant> {
        let core = &self.core;
        if core.state == State::Disconnected {
            return None;
        }
        core.last_heard?
            .checked_add(core.config.inactivity_timeout?)
    }

    /// Runs the inactivity timer at `now`. A link dropped for inactivity owes nothing any more:
    /// the next poll is answered DM.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.poll_timeout().is_some_and(|t| now >= t) {
            self.core.down();
            self.core
                .events
                .push_back(Event::Disconnected(Disconnect::Inactivity));
        }
    }
}

impl Core {
    fn reset_link(&mut self) {
        self.tx.reset();
        self.vr = 0;
        self.reassembly.reset();
        self.peer_busy = false;
        self.rejected = None;
    }

    /// The link is gone: nothing owed to it is sent any more.
    fn down(&mut self) {
        self.reset_link();
        self.state = State::Disconnected;
        self.params = self.config.parameters;
        self.reply = None;
    }

    fn frame(&self, to: Address, control: Control, segmented: bool, info: &[u8]) -> Vec<u8> {
        build(to, self.config.server, control, segmented, info)
    }

    fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        let pf = true;
        let peer = self.peer;
        let Some(reply) = self.reply.take() else {
            let to = self.refused.pop_front()?;
            return Some(self.frame(to, Control::Dm { pf }, false, &[]));
        };
        let bytes = match reply {
            Reply::Ua(info) => self.frame(peer, Control::Ua { pf }, false, &info),
            Reply::Dm(to) => self.frame(to, Control::Dm { pf }, false, &[]),
            Reply::Frmr(reject) => {
                self.frame(peer, Control::Frmr { pf }, false, &reject.to_bytes())
            }
            Reply::Data => {
                let next = if self.peer_busy {
                    None
                } else {
                    self.tx.next(self.params.window_tx)
                };
                let Some((ns, segment, last)) = next else {
                    return Some(self.frame(peer, Control::Rr { nr: self.vr, pf }, false, &[]));
                };
                let control = Control::I {
                    ns,
                    nr: self.vr,
                    pf: last,
                };
                let bytes = self.frame(peer, control, segment.more, &segment.info);
                self.tx.mark_sent();
                if !last {
                    self.reply = Some(Reply::Data);
                }
                bytes
            }
        };
        Some(bytes)
    }

    fn discard(&mut self, control: Control, reason: &'static str) {
        self.events.push_back(Event::Discarded { control, reason });
    }

    /// Refuses a frame with FRMR: the link accepts only SNRM or DISC until reset.
    fn reject(&mut self, control: Control, reasons: u8) {
        let reject = FrameReject {
            control: control.to_octet(),
            vs: self.tx.vs(),
            response: false,
            vr: self.vr,
            reasons,
        };
        self.state = State::FrameRejected;
        self.rejected = Some(reject);
        self.events.push_back(Event::FrameReject(reject));
        if control.pf() {
            self.reply = Some(Reply::Frmr(reject));
        }
    }

    fn on_frame(&mut self, now: Instant, frame: &Frame<'_>) {
        if frame.destination != self.config.server || frame.source.octets() != 1 {
            return;
        }
        let control = frame.control;
        if frame.source == Address::NO_STATION || frame.source.is_all_station() {
            // Neither is a client: ignored, never answered.
            return self.discard(control, "a no-station or all-station source address");
        }
        let connected = self.state != State::Disconnected;
        if connected && frame.source != self.peer {
            // Another client while a link is open: refuse it after what ours is owed, keep ours.
            if control.pf()
                && matches!(control, Control::Snrm { .. })
                && !self.refused.contains(&frame.source)
                && self.refused.len() < MAX_REFUSED
            {
                self.refused.push_back(frame.source);
            }
            return self.discard(control, "another client while a link is open");
        }
        self.last_heard = Some(now);
        match (self.state, control) {
            (_, Control::Snrm { .. }) => self.on_snrm(frame),
            (State::Disconnected, Control::Disc { .. }) => {
                self.peer = frame.source;
                self.reply = Some(Reply::Dm(frame.source));
            }
            (_, Control::Disc { .. }) => {
                self.down();
                self.reply = Some(Reply::Ua(Vec::new()));
                self.events
                    .push_back(Event::Disconnected(Disconnect::Remote));
            }
            (State::Disconnected, _) => {
                if control.pf() {
                    self.reply = Some(Reply::Dm(frame.source));
                }
                self.discard(control, "not connected");
            }
            (State::FrameRejected, _) => {
                if control.pf() {
                    // The FRMR again, until the client resets the link.
                    self.reply = self.rejected.map(Reply::Frmr);
                }
                self.discard(control, "link in frame reject condition");
            }
            (_, Control::Unknown(_)) => {
                self.discard(control, "unknown control field");
                self.reject(control, FrameReject::W);
            }
            (_, Control::I { .. } | Control::Rr { .. } | Control::Rnr { .. }) => {
                self.on_numbered(frame)
            }
            (_, Control::Ui { .. }) => self.discard(control, "UI frames are not served"),
            _ => {
                self.discard(control, "a response where a command is expected");
                self.reject(control, FrameReject::W);
            }
        }
    }

    fn on_snrm(&mut self, frame: &Frame<'_>) {
        let peer = match Parameters::decode_lenient(frame.info) {
            Ok(peer) => peer,
            Err(error) => {
                self.events.push_back(Event::Malformed(error));
                self.reply = Some(Reply::Dm(frame.source));
                return;
            }
        };
        let mut params = self.config.parameters.negotiate(&peer);
        let (c, s) = (&frame.source, &self.config.server);
        params.max_info_tx = clamp_info(params.max_info_tx, c, s) as u32;
        params.max_info_rx = clamp_info(params.max_info_rx, c, s) as u32;
        self.reset_link();
        self.peer = frame.source;
        self.params = params;
        self.state = State::Connected;
        self.reply = Some(Reply::Ua(params.to_bytes()));
        self.events.push_back(Event::Connected(params));
    }

    fn on_numbered(&mut self, frame: &Frame<'_>) {
        let control = frame.control;
        let Some(nr) = control.nr() else {
            return;
        };
        let is_i = matches!(control, Control::I { .. });
        if !is_i && !frame.info.is_empty() {
            return self.reject(control, FrameReject::W | FrameReject::X);
        }
        // Tolerant up to this station's own configured maximum, strict above it.
        let max = clamp_info(
            self.config
                .parameters
                .max_info_rx
                .max(self.params.max_info_rx),
            &self.peer,
            &self.config.server,
        );
        if frame.info.len() > max {
            return self.reject(control, FrameReject::Y);
        }
        if self.tx.ack(nr).is_err() {
            return self.reject(control, FrameReject::Z);
        }
        match control {
            Control::I { ns, .. } if ns == self.vr => {
                self.vr = (self.vr + 1) & 7;
                let limit = self.config.max_apdu_len;
                match self.reassembly.push(frame.info, frame.segmented, limit) {
                    Assembled::Partial => {}
                    Assembled::TooLong(len) => self.events.push_back(Event::ApduTooLong { len }),
                    Assembled::Complete(data) => {
                        match strip(Llc::Command, &data, self.config.accept_missing_llc) {
                            Ok(apdu) => self.events.push_back(Event::Data(apdu.to_vec())),
                            Err(error) => self.events.push_back(Event::Malformed(error)),
                        }
                    }
                }
            }
            Control::I { ns, .. } => self.events.push_back(Event::SequenceError {
                expected: self.vr,
                found: ns,
            }),
            Control::Rnr { .. } => self.peer_busy = true,
            _ => self.peer_busy = false,
        }
        if control.pf() {
            // The poll: what it did not acknowledge was lost and goes again.
            if self.tx.outstanding() {
                self.tx.go_back();
            }
            self.reply = Some(Reply::Data);
        }
    }
}
