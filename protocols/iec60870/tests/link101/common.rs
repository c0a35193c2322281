//! Helpers: frames by hand, owned events, and simulated lines.

use fieldbridge_iec60870::ft12::{self, Control, Frame, PrimaryFunction, SecondaryFunction};
use fieldbridge_iec60870::link101::{
    Balanced, Event, Params, Refusal, SendId, Service, Station, Transmit, UnbalancedPrimary,
    UnbalancedSecondary,
};
use std::time::{Duration, Instant};

/// A short ASDU (M_SP_NA_1 spontaneous, IOA 1, on; opaque to the link).
pub const ASDU: [u8; 7] = [0x01, 0x01, 0x03, 0x01, 0x01, 0x00, 0x01];

pub fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

pub fn ms(m: u64) -> Duration {
    Duration::from_millis(m)
}

/// An ASDU numbered `n`, to tell them apart.
pub fn asdu(n: u8) -> Vec<u8> {
    vec![0x01, 0x01, 0x03, 0x01, n, 0x00, 0x01]
}

/// A frame from the wire, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wire {
    E5,
    Fixed(Control, u16),
    Variable(Control, u16, Vec<u8>),
}

impl Wire {
    pub fn decode(bytes: &[u8], params: &Params) -> Wire {
        match ft12::decode(bytes, &params.link) {
            Ok(Some((frame, len))) if len == bytes.len() => match frame {
                Frame::SingleChar => Wire::E5,
                Frame::Fixed { control, address } => Wire::Fixed(control, address),
                Frame::Variable {
                    control,
                    address,
                    asdu,
                } => Wire::Variable(control, address, asdu.to_vec()),
            },
            other => panic!("not one frame: {other:?} from {bytes:02x?}"),
        }
    }

    pub fn of(t: &Transmit, params: &Params) -> Wire {
        Wire::decode(t.as_bytes(), params)
    }

    pub fn control(&self) -> Option<Control> {
        match self {
            Wire::E5 => None,
            Wire::Fixed(c, _) | Wire::Variable(c, _, _) => Some(*c),
        }
    }

    pub fn address(&self) -> Option<u16> {
        match self {
            Wire::E5 => None,
            Wire::Fixed(_, a) | Wire::Variable(_, a, _) => Some(*a),
        }
    }

    /// (function code, FCB, FCV) of a primary frame.
    pub fn primary(&self) -> (u8, bool, bool) {
        match self.control() {
            Some(Control::Primary {
                function, fcb, fcv, ..
            }) => (function.code(), fcb, fcv),
            other => panic!("not a primary frame: {other:?}"),
        }
    }

    /// (function code, ACD, DFC) of a secondary frame.
    pub fn secondary(&self) -> (u8, bool, bool) {
        match self.control() {
            Some(Control::Secondary {
                function, acd, dfc, ..
            }) => (function.code(), acd, dfc),
            other => panic!("not a secondary frame: {other:?}"),
        }
    }

    pub fn encode(&self, params: &Params) -> Vec<u8> {
        let mut out = Vec::new();
        let frame = match self {
            Wire::E5 => Frame::SingleChar,
            Wire::Fixed(control, address) => Frame::Fixed {
                control: *control,
                address: *address,
            },
            Wire::Variable(control, address, asdu) => Frame::Variable {
                control: *control,
                address: *address,
                asdu,
            },
        };
        frame.encode(&params.link, &mut out).unwrap();
        out
    }
}

/// A primary frame (unbalanced, RES = 0).
pub fn pri(function: PrimaryFunction, fcb: bool, fcv: bool, address: u16) -> Wire {
    Wire::Fixed(Control::primary(function, fcb, fcv), address)
}

/// A primary frame with user data.
pub fn pri_data(function: PrimaryFunction, fcb: bool, address: u16, asdu: &[u8]) -> Wire {
    let fcv = function == PrimaryFunction::USER_DATA_CONFIRM;
    Wire::Variable(
        Control::primary(function, fcb && fcv, fcv),
        address,
        asdu.to_vec(),
    )
}

/// A secondary frame (unbalanced, RES = 0).
pub fn sec(function: SecondaryFunction, acd: bool, dfc: bool, address: u16) -> Wire {
    Wire::Fixed(Control::secondary(function, acd, dfc), address)
}

/// A secondary frame with user data (FC 8, unbalanced).
pub fn sec_data(acd: bool, dfc: bool, address: u16, asdu: &[u8]) -> Wire {
    Wire::Variable(
        Control::secondary(SecondaryFunction::USER_DATA, acd, dfc),
        address,
        asdu.to_vec(),
    )
}

/// An event with its data owned, to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    Data(u16, Service, Vec<u8>),
    Up(u16),
    Down(u16),
    ResetByRemote(u16),
    UserProcessReset(u16),
    AccessDemand(u16),
    Busy(u16, bool),
    Confirmed(u16, SendId),
    NotConfirmed(u16, SendId, Refusal),
    Repetition(u16, u8),
    Repeating(u16, u8),
    Unexpected(u16, Option<Control>),
    Discarded(usize),
    Other(String),
}

impl From<Event<'_>> for Seen {
    fn from(e: Event<'_>) -> Self {
        match e {
            Event::UserData {
                address,
                service,
                asdu,
            } => Seen::Data(address, service, asdu.to_vec()),
            Event::LinkUp { address } => Seen::Up(address),
            Event::LinkDown { address } => Seen::Down(address),
            Event::ResetByRemote { address } => Seen::ResetByRemote(address),
            Event::UserProcessReset { address } => Seen::UserProcessReset(address),
            Event::AccessDemand { address } => Seen::AccessDemand(address),
            Event::Busy { address, busy } => Seen::Busy(address, busy),
            Event::Confirmed { address, id } => Seen::Confirmed(address, id),
            Event::NotConfirmed {
                address,
                id,
                reason,
            } => Seen::NotConfirmed(address, id, reason),
            Event::Repetition { address, function } => Seen::Repetition(address, function.code()),
            Event::Repeating { address, attempt } => Seen::Repeating(address, attempt),
            Event::Unexpected { address, control } => Seen::Unexpected(address, control),
            Event::Discarded { bytes, .. } => Seen::Discarded(bytes),
            other => Seen::Other(format!("{other:?}")),
        }
    }
}

/// The user data among `events`, in order.
pub fn data(events: &[Seen]) -> Vec<(u16, Service, Vec<u8>)> {
    events
        .iter()
        .filter_map(|e| match e {
            Seen::Data(a, s, d) => Some((*a, *s, d.clone())),
            _ => None,
        })
        .collect()
}

/// Feeds `bytes` to a primary and returns its events.
pub fn feed_primary(p: &mut UnbalancedPrimary, bytes: &[u8], now: Instant) -> Vec<Seen> {
    let mut seen = Vec::new();
    p.on_bytes(bytes, now, |e| seen.push(e.into()));
    seen
}

/// Feeds `frame`, encoded with the primary's parameters, to a primary and returns its events.
pub fn feed_frame(p: &mut UnbalancedPrimary, frame: &Wire, now: Instant) -> Vec<Seen> {
    let params = *p.params();
    feed_primary(p, &frame.encode(&params), now)
}

/// Feeds `bytes` to a secondary and returns its events.
pub fn feed_secondary(s: &mut UnbalancedSecondary, bytes: &[u8]) -> Vec<Seen> {
    let mut seen = Vec::new();
    s.on_bytes(bytes, |e| seen.push(e.into()));
    seen
}

/// Times out a primary at `now` and returns its events.
pub fn timeout_primary(p: &mut UnbalancedPrimary, now: Instant) -> Vec<Seen> {
    let mut seen = Vec::new();
    p.on_timeout(now, |e| seen.push(e.into()));
    seen
}

/// Everything a secondary has to send, decoded.
pub fn answers(s: &mut UnbalancedSecondary) -> Vec<Wire> {
    let params = *s.params();
    std::iter::from_fn(|| s.poll_transmit())
        .map(|t| Wire::of(&t, &params))
        .collect()
}

/// The primary's next frame at `now`, decoded.
pub fn next_request(p: &mut UnbalancedPrimary, now: Instant) -> Option<Wire> {
    let params = *p.params();
    p.poll_transmit(now).map(|t| Wire::of(&t, &params))
}

/// A primary with its link to each of `addresses` up: FC 9, FC 11, FC 0, ACK by hand.
pub fn primary_up(params: Params, addresses: &[u16], t0: Instant) -> UnbalancedPrimary {
    let mut p = UnbalancedPrimary::new(params, addresses, t0).unwrap();
    for _ in addresses {
        let req = next_request(&mut p, t0).unwrap();
        let a = req.address().unwrap();
        assert_eq!(req.primary(), (9, false, false));
        feed_frame(
            &mut p,
            &sec(SecondaryFunction::LINK_STATUS, false, false, a),
            t0,
        );
    }
    for _ in addresses {
        let req = next_request(&mut p, t0).unwrap();
        let a = req.address().unwrap();
        assert_eq!(req.primary(), (0, false, false));
        let seen = feed_frame(&mut p, &sec(SecondaryFunction::ACK, false, false, a), t0);
        assert_eq!(seen, [Seen::Up(a)]);
    }
    p
}

/// Decides, for the k-th frame on a party line, whether it is lost.
pub type LoseOnLine = Box<dyn FnMut(usize, &Wire) -> bool>;

/// Decides, for the k-th frame on a balanced pair (and whether A sent it), whether it is lost.
pub type LoseOnPair = Box<dyn FnMut(usize, bool, &Wire) -> bool>;

/// One frame that went over a simulated line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    pub at: Instant,
    pub from_primary: bool,
    pub wire: Wire,
    pub dropped: bool,
}

/// An unbalanced primary and our own secondaries on one simulated half-duplex party line:
/// every secondary hears every request, the primary hears every answer.
pub struct PartyLine {
    pub params: Params,
    pub primary: UnbalancedPrimary,
    pub secondaries: Vec<UnbalancedSecondary>,
    pub now: Instant,
    pub primary_events: Vec<Seen>,
    pub secondary_events: Vec<Vec<Seen>>,
    pub log: Vec<Logged>,
    /// Secondaries cut off from the line (by index).
    pub cut: Vec<bool>,
    /// Decides, for each frame in order (counted from 0), whether the line loses it.
    pub lose: LoseOnLine,
    frames: usize,
}

impl PartyLine {
    pub fn new(params: Params, addresses: &[u16]) -> Self {
        let now = Instant::now();
        Self {
            params,
            primary: UnbalancedPrimary::new(params, addresses, now).unwrap(),
            secondaries: addresses
                .iter()
                .map(|&a| UnbalancedSecondary::new(params, a).unwrap())
                .collect(),
            now,
            primary_events: Vec::new(),
            secondary_events: vec![Vec::new(); addresses.len()],
            log: Vec::new(),
            cut: vec![false; addresses.len()],
            lose: Box::new(|_, _| false),
            frames: 0,
        }
    }

    fn carry(&mut self, bytes: &[u8], from_primary: bool) -> bool {
        let wire = Wire::decode(bytes, &self.params);
        let dropped = (self.lose)(self.frames, &wire);
        self.frames += 1;
        self.log.push(Logged {
            at: self.now,
            from_primary,
            wire,
            dropped,
        });
        !dropped
    }

    /// Sends what the primary has now and delivers the answers; returns whether anything went.
    pub fn exchange(&mut self) -> bool {
        let Some(request) = self.primary.poll_transmit(self.now) else {
            return false;
        };
        if !self.carry(request.as_bytes(), true) {
            return true;
        }
        for i in 0..self.secondaries.len() {
            if self.cut[i] {
                continue;
            }
            let events = &mut self.secondary_events[i];
            self.secondaries[i].on_bytes(request.as_bytes(), |e| events.push(e.into()));
            while let Some(answer) = self.secondaries[i].poll_transmit() {
                if self.carry(answer.as_bytes(), false) {
                    let events = &mut self.primary_events;
                    self.primary
                        .on_bytes(answer.as_bytes(), self.now, |e| events.push(e.into()));
                }
            }
        }
        true
    }

    /// Runs the line until `by` has passed, timers included.
    pub fn run(&mut self, by: Duration) {
        run_clocked(self, by);
    }

    /// The requests the primary sent, as (address, function, FCB, FCV).
    pub fn requests(&self) -> Vec<(u16, u8, bool, bool)> {
        self.log
            .iter()
            .filter(|l| l.from_primary)
            .map(|l| {
                let (f, fcb, fcv) = l.wire.primary();
                (l.wire.address().unwrap(), f, fcb, fcv)
            })
            .collect()
    }
}

/// Two balanced stations on one full-duplex line, each frame delivered at once.
pub struct BalancedPair {
    pub params: Params,
    pub a: Balanced,
    pub b: Balanced,
    pub now: Instant,
    pub a_events: Vec<Seen>,
    pub b_events: Vec<Seen>,
    /// (from A, frame, lost)
    pub log: Vec<(bool, Wire, bool)>,
    pub lose: LoseOnPair,
}

impl BalancedPair {
    pub fn new(params: Params) -> Self {
        let now = Instant::now();
        Self {
            params,
            a: Balanced::new(params, Station::A, 1, 2, now).unwrap(),
            b: Balanced::new(params, Station::B, 2, 1, now).unwrap(),
            now,
            a_events: Vec::new(),
            b_events: Vec::new(),
            log: Vec::new(),
            lose: Box::new(|_, _, _| false),
        }
    }

    /// Delivers everything both have to send, until both are quiet.
    pub fn flush(&mut self) {
        loop {
            let from_a = self.deliver(true);
            let from_b = self.deliver(false);
            if !from_a && !from_b {
                break;
            }
        }
    }

    /// Delivers what A (or B) has to send to the other; returns whether anything went.
    fn deliver(&mut self, from_a: bool) -> bool {
        let (from, to, events) = if from_a {
            (&mut self.a, &mut self.b, &mut self.b_events)
        } else {
            (&mut self.b, &mut self.a, &mut self.a_events)
        };
        let mut any = false;
        while let Some(t) = from.poll_transmit(self.now) {
            any = true;
            let wire = Wire::of(&t, &self.params);
            let lost = (self.lose)(self.log.len(), from_a, &wire);
            self.log.push((from_a, wire, lost));
            if !lost {
                to.on_bytes(t.as_bytes(), self.now, |e| events.push(e.into()));
            }
        }
        any
    }

    /// Runs both until `by` has passed.
    pub fn run(&mut self, by: Duration) {
        run_clocked(self, by);
    }
}

impl Clocked for PartyLine {
    fn clock(&mut self) -> &mut Instant {
        &mut self.now
    }

    fn settle(&mut self) {
        while self.exchange() {}
    }

    fn next_timer(&self) -> Option<Instant> {
        self.primary.poll_timeout()
    }

    fn fire(&mut self) {
        let events = &mut self.primary_events;
        self.primary.on_timeout(self.now, |e| events.push(e.into()));
    }

    fn last(&self) -> String {
        format!("{:?}", self.log.last())
    }
}

impl Clocked for BalancedPair {
    fn clock(&mut self) -> &mut Instant {
        &mut self.now
    }

    fn settle(&mut self) {
        self.flush();
    }

    fn next_timer(&self) -> Option<Instant> {
        [self.a.poll_timeout(), self.b.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
    }

    fn fire(&mut self) {
        let ev = &mut self.a_events;
        self.a.on_timeout(self.now, |e| ev.push(e.into()));
        let ev = &mut self.b_events;
        self.b.on_timeout(self.now, |e| ev.push(e.into()));
    }

    fn last(&self) -> String {
        format!("{:?}", self.log.last())
    }
}

/// Stations on a simulated line with one simulated clock.
trait Clocked {
    fn clock(&mut self) -> &mut Instant;
    /// Delivers everything the stations have to send now, until they are quiet.
    fn settle(&mut self);
    /// When the next timer of any station is due.
    fn next_timer(&self) -> Option<Instant>;
    /// Runs the stations' timers at the clock's time.
    fn fire(&mut self);
    /// The last frame on the line, for the message of a stuck run.
    fn last(&self) -> String;
}

/// Runs `line` until `by` has passed: delivers, moves the clock to the next timer and runs it,
/// until no timer is due before the end.
fn run_clocked(line: &mut impl Clocked, by: Duration) {
    let end = *line.clock() + by;
    for _ in 0..1_000_000 {
        line.settle();
        match line.next_timer() {
            Some(at) if at <= end => {
                let now = line.clock();
                *now = (*now).max(at);
                line.fire();
            }
            _ => {
                *line.clock() = end;
                return;
            }
        }
    }
    panic!("the line is stuck at {}", line.last());
}
