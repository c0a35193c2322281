//! The sans-IO HDLC link stations (`hdlc::link`, IEC 62056-46 clause 6.4.4, Green Book 8.4.4
//! and 8.4.5) driven by a script. Input: byte 0 the mode (0: a `Client` alone, 1: a `Server`
//! alone, the fuzzer playing the peer; 2: both, through a lossy line), bytes 1 and 2 the
//! configuration (windows, maximum information field, server address form, retries, the longest
//! APDU, inactivity timeout, lenient LLC), then steps of an opcode and its operands, at most
//! `MAX_STEPS`:
//!
//! | op | alone | both |
//! | --- | --- | --- |
//! | 0 | feed `n` raw bytes, in one read | raw noise to the client or the server |
//! | 1 | feed a frame built from the peer's address (control, S bit, information field; sometimes a wrong address, sometimes split in two reads) | deliver the next client frame: whole, dropped, one octet corrupted, or in two reads |
//! | 2 | advance the time (1 ms to 121 s) | deliver the next server frame, likewise |
//! | 3 | drain `poll_transmit` | advance the time |
//! | 4 | drain `poll_event` | drain both stations' `poll_transmit` onto the line |
//! | 5 | `handle_timeout` (at the timer's deadline, or now) | likewise, both stations |
//! | 6 | `send` an APDU of a chosen size | `send` from the client or the server |
//! | 7 | client: `connect` or `disconnect` | client: `connect` or `disconnect` |
//!
//! Checked at every step: nothing panics; `poll_transmit` stops within a window of frames; every
//! frame a station writes decodes as exactly one HDLC frame of its length, from its own address
//! (to the server address, or to the client's one-octet address), with an information field
//! within the negotiated maximum once connected; once `poll_transmit` has nothing more, a client
//! that is opening or closing the link, or connected and not idle (frames unacknowledged or
//! queued, a segmented response half received), has a timer (`poll_timeout` is `Some`: else it
//! would wait forever), and a connected server with an inactivity timeout has one; after
//! `handle_timeout(now)` and a drain, no timer is due at `now` or before (no busy loop).
//! With both stations, every APDU delivered (`Event::Data`, either way) is one that was sent,
//! byte for byte, at most once, and in the order sent, unless some frame addressed to a station
//! did not come whole from the other one: raw noise (with frames of its own, e.g. a capture of
//! another client's SNRM and AARQ, which a server without a link rightly accepts) or a corrupted
//! frame can carry anything. A copy of each station's receive path (a `Splitter` with the same
//! inter-octet rule) sees every frame the station sees, and marks the run `foreign` then.
#![no_main]
use fieldbridge_dlms::hdlc::link::{Client, Config, Event, Server, State};
use fieldbridge_dlms::hdlc::{self, Address, Control, Frame, Parameters, Splitter};
use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

const MAX_STEPS: usize = 400;
/// More frames than any window allows in one drain.
const MAX_DRAIN: usize = 16;
const STEPS_MS: [u64; 8] = [1, 10, 100, 499, 501, 1_000, 3_001, 121_000];
const SIZES: [usize; 8] = [0, 1, 20, 120, 128, 129, 300, 1_100];

struct Script<'a> {
    data: &'a [u8],
}

impl Script<'_> {
    fn byte(&mut self) -> u8 {
        let (&b, rest) = self.data.split_first().unwrap_or((&0, &[]));
        self.data = rest;
        b
    }
    fn bytes(&mut self, n: usize) -> &[u8] {
        let n = n.min(self.data.len());
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        head
    }
}

fn config(a: u8, b: u8) -> Config {
    let server = match a >> 6 {
        0 => Address::server(1, None),
        1 => Address::server(1, Some(17)),
        _ => Address::server(0x1234 & 0x3FFF, Some(0x100)),
    }
    .expect("a valid server address");
    let max_info = [1u32, 16, 128, 2030][usize::from((a >> 4) & 3)];
    Config {
        server,
        parameters: Parameters {
            max_info_tx: max_info,
            max_info_rx: [128u32, 32, 512, 7][usize::from((b >> 6) & 3)],
            window_tx: (a & 7).clamp(1, 7),
            window_rx: ((a >> 3) & 1) * 6 + 1,
        },
        retries: b & 3,
        max_apdu_len: [0xFFFF, 600, 40, 5][usize::from((b >> 2) & 3)],
        inactivity_timeout: (b & 0x10 == 0).then(|| Duration::from_secs(120)),
        accept_missing_llc: b & 0x20 != 0,
        ..Config::default()
    }
}

/// An APDU that says who it is: a tag, a sequence number, then a pattern of its own length.
fn apdu(seq: u32, size: usize) -> Vec<u8> {
    let mut out = vec![0xC4];
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend((0..size).map(|i| (i as u32).wrapping_add(seq) as u8));
    out
}

/// A frame written by a station: one whole frame, from its own address.
fn check_out(bytes: &[u8], from: &Address, to_server: Option<&Address>, max_info: Option<u32>) {
    let (frame, len) = hdlc::decode(bytes)
        .unwrap_or_else(|e| panic!("a station wrote a bad frame {bytes:02X?}: {e:?}"))
        .unwrap_or_else(|| panic!("a station wrote part of a frame {bytes:02X?}"));
    assert_eq!(len, bytes.len(), "one frame per poll_transmit");
    assert_eq!(frame.source, *from, "from its own address");
    match to_server {
        Some(server) => assert_eq!(frame.destination, *server),
        None => assert_eq!(frame.destination.octets(), 1, "to a client"),
    }
    assert!(frame.control.is_known(), "a known control field");
    if let (Some(max), Control::I { .. }) = (max_info, frame.control) {
        assert!(
            frame.info.len() <= max as usize,
            "within the negotiated maximum"
        );
    }
}

/// What a station's receive path does with the bytes it is given: a splitter whose partial frame
/// is dropped after the inter-octet timeout (as `link::Receiver`).
#[derive(Default)]
struct Shadow {
    splitter: Splitter,
    last_byte: Option<Instant>,
}

impl Shadow {
    /// The frames the station finds in `bytes` read at `now`, re-encoded.
    fn push(&mut self, now: Instant, bytes: &[u8], inter_octet: Duration) -> Vec<Vec<u8>> {
        if let Some(last) = self.last_byte {
            if self.splitter.in_frame() && now.saturating_duration_since(last) > inter_octet {
                self.splitter.clear();
            }
        }
        if !bytes.is_empty() {
            self.last_byte = Some(now);
        }
        self.splitter.push(bytes);
        let mut frames = Vec::new();
        while let Some(frame) = self.splitter.next_frame() {
            let mut out = Vec::new();
            frame.encode(&mut out).expect("a decoded frame encodes");
            frames.push(out);
        }
        frames
    }
}

struct Side {
    now: Instant,
    client: Client,
    server: Server,
    c2s: VecDeque<Vec<u8>>,
    s2c: VecDeque<Vec<u8>>,
    /// Sent APDUs by sequence number, per direction (0: client to server).
    sent: [BTreeMap<u32, Vec<u8>>; 2],
    last_delivered: [Option<u32>; 2],
    seq: u32,
    /// The receive paths of the server (0) and the client (1).
    shadow: [Shadow; 2],
    /// A station was given a frame for it that the other did not write as it came (noise, or
    /// a corrupted frame that still decodes): what it delivers is no longer checked.
    foreign: bool,
}

impl Side {
    fn drain_client(&mut self, keep: bool) {
        let config = self.client.config().clone();
        for n in 0.. {
            assert!(n <= MAX_DRAIN, "the client's poll_transmit never ends");
            let Some(frame) = self.client.poll_transmit(self.now) else {
                break;
            };
            let max = (self.client.state() == State::Connected)
                .then(|| self.client.parameters().max_info_tx);
            check_out(&frame, &config.client, Some(&config.server), max);
            if keep {
                self.c2s.push_back(frame);
            }
        }
        let state = self.client.state();
        let pending = matches!(state, State::Connecting | State::Disconnecting)
            || (state == State::Connected && !self.client.is_idle());
        assert!(
            !pending || self.client.poll_timeout().is_some(),
            "a client {state:?} with work pending (idle: {}) has no timer",
            self.client.is_idle()
        );
    }

    fn drain_server(&mut self, keep: bool) {
        let address = self.server.config().server;
        for n in 0.. {
            assert!(n <= MAX_DRAIN, "the server's poll_transmit never ends");
            let Some(frame) = self.server.poll_transmit(self.now) else {
                break;
            };
            let max = (self.server.state() == State::Connected)
                .then(|| self.server.parameters().max_info_tx);
            check_out(&frame, &address, None, max);
            if keep {
                self.s2c.push_back(frame);
            }
        }
        if self.server.state() != State::Disconnected
            && self.server.config().inactivity_timeout.is_some()
        {
            assert!(
                self.server.poll_timeout().is_some(),
                "a connected server has its timer"
            );
        }
    }

    /// Drains the events; with both stations, checks what is delivered.
    fn events(&mut self, both: bool) {
        for dir in 0..2 {
            for n in 0.. {
                assert!(n < 10_000, "poll_event never ends");
                let event = if dir == 0 {
                    self.server.poll_event()
                } else {
                    self.client.poll_event()
                };
                let Some(event) = event else { break };
                let _ = format!("{event:?}");
                if let (true, Event::Data(data)) = (both, &event) {
                    self.delivered(dir, data);
                }
            }
        }
    }

    /// Gives `bytes` to a station (with both stations); `sent`: the frame the other wrote, when
    /// these bytes are (part of) it unchanged. Any other frame for the station is foreign.
    fn input(&mut self, to_server: bool, bytes: &[u8], sent: Option<&[u8]>) {
        let inter_octet = self.server.config().inter_octet_timeout;
        let frames = self.shadow[usize::from(!to_server)].push(self.now, bytes, inter_octet);
        let config = self.client.config();
        for frame in frames {
            if Some(frame.as_slice()) == sent {
                continue;
            }
            let (frame, _) = hdlc::decode(&frame)
                .expect("a frame re-encoded decodes")
                .expect("whole");
            self.foreign |= if to_server {
                frame.destination == config.server
            } else {
                frame.destination == config.client || frame.destination.is_all_station()
            };
        }
        if to_server {
            self.server.handle_input(self.now, bytes);
        } else {
            self.client.handle_input(self.now, bytes);
        }
    }

    fn delivered(&mut self, dir: usize, data: &[u8]) {
        if self.foreign {
            return;
        }
        let seq = data
            .get(1..5)
            .map(|s| u32::from_be_bytes(s.try_into().expect("4 octets")))
            .unwrap_or_else(|| panic!("delivered {data:02X?}, never sent"));
        let sent = self.sent[dir]
            .get(&seq)
            .unwrap_or_else(|| panic!("delivered APDU {seq} was never sent this way"));
        assert_eq!(sent.as_slice(), data, "delivered as sent");
        if let Some(last) = self.last_delivered[dir] {
            assert!(
                seq > last,
                "APDU {seq} delivered after {last}: twice or out of order"
            );
        }
        self.last_delivered[dir] = Some(seq);
    }

    fn timeouts(&mut self, keep: bool) {
        self.client.handle_timeout(self.now);
        self.server.handle_timeout(self.now);
        self.drain_client(keep);
        self.drain_server(keep);
        if let Some(t) = self.client.poll_timeout() {
            assert!(t > self.now, "the client's timer is due again at once");
        }
        if let Some(t) = self.server.poll_timeout() {
            assert!(t > self.now, "the server's timer is due again at once");
        }
    }

    fn deliver(&mut self, to_server: bool, action: u8, s: &mut Script<'_>) {
        let queue = if to_server {
            &mut self.c2s
        } else {
            &mut self.s2c
        };
        let Some(mut frame) = queue.pop_front() else {
            return;
        };
        let mut split = None;
        let mut sent = Some(frame.clone());
        match action % 8 {
            5 => return, // lost
            6 => {
                let at = usize::from(s.byte()) % frame.len();
                frame[at] ^= s.byte().max(1);
                sent = None;
            }
            7 => split = Some(usize::from(s.byte()) % frame.len()),
            _ => {}
        }
        let (a, b) = frame.split_at(split.unwrap_or(frame.len()));
        for part in [a, b] {
            self.input(to_server, part, sent.as_deref());
        }
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut s = Script { data };
    let mode = s.byte() % 3;
    let config = config(s.byte(), s.byte());
    let mut side = Side {
        now: Instant::now(),
        client: Client::new(config.clone()),
        server: Server::new(config.clone()),
        c2s: VecDeque::new(),
        s2c: VecDeque::new(),
        sent: [BTreeMap::new(), BTreeMap::new()],
        last_delivered: [None, None],
        seq: 0,
        shadow: [Shadow::default(), Shadow::default()],
        foreign: false,
    };
    let both = mode == 2;
    let alone_client = mode == 0;
    for _ in 0..MAX_STEPS {
        if s.data.is_empty() {
            break;
        }
        let op = s.byte() % 8;
        match (both, op) {
            (_, 0) => {
                let n = usize::from(s.byte());
                let to_server = if both { n & 1 == 1 } else { !alone_client };
                let bytes = s.bytes(n / 2 + 1).to_vec();
                if both {
                    side.input(to_server, &bytes, None);
                } else if to_server {
                    side.server.handle_input(side.now, &bytes);
                } else {
                    side.client.handle_input(side.now, &bytes);
                }
            }
            (false, 1) => {
                let control = Control::from_octet(s.byte());
                let flags = s.byte();
                let len = usize::from(s.byte());
                let info = s.bytes(len).to_vec();
                let (mut destination, mut source) = if alone_client {
                    (config.client, config.server)
                } else {
                    (config.server, config.client)
                };
                if flags & 2 != 0 {
                    source = Address::client(0x11).expect("a client address");
                }
                if flags & 4 != 0 {
                    destination = Address::ALL_STATION;
                }
                if info.len() > Frame::max_info_len(&destination, &source) {
                    continue;
                }
                let frame = Frame {
                    segmented: flags & 1 != 0,
                    destination,
                    source,
                    control,
                    info: &info,
                };
                let mut bytes = Vec::new();
                frame.encode(&mut bytes).expect("a frame within its length");
                let at = if flags & 8 != 0 {
                    usize::from(flags >> 4) % bytes.len()
                } else {
                    0
                };
                for part in [&bytes[..at], &bytes[at..]] {
                    if alone_client {
                        side.client.handle_input(side.now, part);
                    } else {
                        side.server.handle_input(side.now, part);
                    }
                }
            }
            (true, 1 | 2) => {
                let action = s.byte();
                side.deliver(op == 1, action, &mut s);
            }
            (false, 2) | (true, 3) => {
                side.now += Duration::from_millis(STEPS_MS[usize::from(s.byte() % 8)]);
            }
            (false, 3) => {
                if alone_client {
                    side.drain_client(false);
                } else {
                    side.drain_server(false);
                }
            }
            (false, 4) => side.events(false),
            (true, 4) => {
                side.drain_client(true);
                side.drain_server(true);
            }
            (_, 5) => {
                if s.byte() & 1 == 1 {
                    let next = [side.client.poll_timeout(), side.server.poll_timeout()]
                        .into_iter()
                        .flatten()
                        .min();
                    if let Some(t) = next {
                        side.now = side.now.max(t);
                    }
                }
                side.timeouts(both);
            }
            (_, 6) => {
                let b = s.byte();
                let size = SIZES[usize::from(b % 8)] + usize::from(s.byte() % 4);
                let from_client = if both { b & 0x80 == 0 } else { alone_client };
                side.seq += 1;
                let payload = apdu(side.seq, size);
                let result = if from_client {
                    side.client.send(&payload)
                } else {
                    side.server.send(&payload)
                };
                if result.is_ok() {
                    side.sent[usize::from(!from_client)].insert(side.seq, payload);
                }
            }
            (_, 7) => {
                if s.byte() & 1 == 0 {
                    side.client.connect();
                } else {
                    side.client.disconnect();
                }
            }
            _ => {}
        }
        side.events(both);
    }
    // Settle with a lossless line: the stations keep their promises.
    if both {
        for _ in 0..64 {
            side.drain_client(true);
            side.drain_server(true);
            side.events(true);
            if side.c2s.is_empty() && side.s2c.is_empty() {
                match [side.client.poll_timeout(), side.server.poll_timeout()]
                    .into_iter()
                    .flatten()
                    .min()
                {
                    Some(t) if t > side.now + Duration::from_secs(60) => break,
                    Some(t) => side.now = side.now.max(t),
                    None => break,
                }
                side.timeouts(true);
                continue;
            }
            while side.c2s.front().is_some() {
                side.deliver(true, 0, &mut Script { data: &[] });
            }
            while side.s2c.front().is_some() {
                side.deliver(false, 0, &mut Script { data: &[] });
            }
        }
        side.events(true);
    } else if alone_client {
        side.drain_client(false);
    } else {
        side.drain_server(false);
    }
});
