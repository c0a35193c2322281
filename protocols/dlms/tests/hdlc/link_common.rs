//! A simulated line between a client and a server link: frames may be dropped on the way, time
//! moves only when both sides are quiet.

use fieldbridge_dlms::hdlc::link::{Client, Config, Event, Server};
use fieldbridge_dlms::hdlc::{self, Control};
use std::time::{Duration, Instant};

/// The decision to drop the `n`th frame (from 0) of a direction.
pub type Dropper = Box<dyn FnMut(usize, &[u8]) -> bool>;

/// What the line makes of the `n`th frame (from 0) of a direction: the bytes delivered (none:
/// lost; the frame twice: duplicated; cut short; a byte changed).
pub type Mangler = Box<dyn FnMut(usize, &[u8]) -> Vec<u8>>;

/// Two stations on a line.
pub struct Pair {
    pub client: Client,
    pub server: Server,
    pub now: Instant,
    pub start: Instant,
    pub client_events: Vec<Event>,
    pub server_events: Vec<Event>,
    /// The controls of every frame written, with the direction (true: client to server).
    pub wire: Vec<(bool, Control)>,
    pub drop_to_server: Dropper,
    pub drop_to_client: Dropper,
    /// Applied after the droppers, when set.
    pub mangle_to_server: Option<Mangler>,
    pub mangle_to_client: Option<Mangler>,
    sent: [usize; 2],
    /// What the server answers to a request: its bytes reversed and repeated `echo_factor` times.
    pub echo_factor: usize,
    /// How long the server's application takes to answer (`None`: never).
    pub answer_delay: Option<Duration>,
    /// Answers waiting for their time.
    pending: Vec<(Instant, Vec<u8>)>,
}

pub fn config() -> Config {
    Config {
        response_timeout: Duration::from_secs(1),
        ..Config::default()
    }
}

/// The server's answer to `request`.
pub fn answer(request: &[u8], factor: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..factor {
        out.extend(request.iter().rev());
    }
    out
}

impl Pair {
    pub fn new(client: Config, server: Config) -> Self {
        let now = Instant::now();
        Pair {
            client: Client::new(client),
            server: Server::new(server),
            now,
            start: now,
            client_events: Vec::new(),
            server_events: Vec::new(),
            wire: Vec::new(),
            drop_to_server: Box::new(|_, _| false),
            drop_to_client: Box::new(|_, _| false),
            mangle_to_server: None,
            mangle_to_client: None,
            sent: [0, 0],
            echo_factor: 1,
            answer_delay: Some(Duration::ZERO),
            pending: Vec::new(),
        }
    }

    /// Gives the server the answers whose time has come.
    fn release_answers(&mut self) {
        let now = self.now;
        let (due, later): (Vec<_>, Vec<_>) = self.pending.drain(..).partition(|(t, _)| *t <= now);
        self.pending = later;
        for (_, answer) in due {
            self.server.send(&answer).unwrap();
        }
    }

    fn control(frame: &[u8]) -> Control {
        hdlc::decode(frame).unwrap().unwrap().0.control
    }

    /// Moves frames both ways until neither side has anything to write; the server answers
    /// every request at once. Returns whether anything moved.
    fn exchange(&mut self) -> bool {
        let mut moved = false;
        loop {
            let mut any = false;
            self.release_answers();
            while let Some(frame) = self.client.poll_transmit(self.now) {
                any = true;
                self.wire.push((true, Self::control(&frame)));
                let n = self.sent[0];
                self.sent[0] += 1;
                if !(self.drop_to_server)(n, &frame) {
                    let bytes = match &mut self.mangle_to_server {
                        Some(m) => m(n, &frame),
                        None => frame,
                    };
                    self.server.handle_input(self.now, &bytes);
                }
                while let Some(event) = self.server.poll_event() {
                    if let Event::Data(request) = &event {
                        let answer = answer(request, self.echo_factor);
                        match self.answer_delay {
                            Some(d) if d.is_zero() => self.server.send(&answer).unwrap(),
                            Some(d) => self.pending.push((self.now + d, answer)),
                            None => {}
                        }
                    }
                    self.server_events.push(event);
                }
            }
            while let Some(frame) = self.server.poll_transmit(self.now) {
                any = true;
                self.wire.push((false, Self::control(&frame)));
                let n = self.sent[1];
                self.sent[1] += 1;
                if !(self.drop_to_client)(n, &frame) {
                    let bytes = match &mut self.mangle_to_client {
                        Some(m) => m(n, &frame),
                        None => frame,
                    };
                    self.client.handle_input(self.now, &bytes);
                }
            }
            while let Some(event) = self.client.poll_event() {
                self.client_events.push(event);
            }
            if !any {
                return moved;
            }
            moved = true;
        }
    }

    /// Runs until both sides are quiet and no client timer is pending, or `limit` of simulated
    /// time passed.
    pub fn run(&mut self, limit: Duration) {
        let end = self.now + limit;
        while self.now < end {
            if self.exchange() {
                continue;
            }
            match self.client.poll_timeout() {
                Some(t) => {
                    self.now = self.now.max(t);
                    self.client.handle_timeout(self.now);
                    while let Some(event) = self.client.poll_event() {
                        self.client_events.push(event);
                    }
                }
                None => return,
            }
        }
    }

    pub fn connect(&mut self) {
        self.client.connect();
        self.run(Duration::from_secs(60));
    }

    /// The data events of the client.
    pub fn client_data(&self) -> Vec<Vec<u8>> {
        data(&self.client_events)
    }

    /// The data events of the server.
    pub fn server_data(&self) -> Vec<Vec<u8>> {
        data(&self.server_events)
    }

    /// How many frames of a control kind went one way.
    pub fn count(&self, to_server: bool, kind: fn(&Control) -> bool) -> usize {
        self.wire
            .iter()
            .filter(|(dir, c)| *dir == to_server && kind(c))
            .count()
    }
}

fn data(events: &[Event]) -> Vec<Vec<u8>> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Data(d) => Some(d.clone()),
            _ => None,
        })
        .collect()
}

/// `len` bytes of a recognisable pattern.
pub fn apdu(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}
