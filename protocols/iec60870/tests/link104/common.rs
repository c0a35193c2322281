//! Helpers: simulated time, frames by hand, and two links wired back to back.

use fieldbridge_iec60870::apci::{Apci, Apdu, SeqNo, UFunction};
use fieldbridge_iec60870::link104::{CloseReason, Event, Link104, Params, Role, Transmit};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// A short ASDU (C_IC_NA_1 act, opaque to the link).
pub const ASDU: [u8; 10] = [0x64, 0x01, 0x06, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x14];

pub fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

pub fn ms(m: u64) -> Duration {
    Duration::from_millis(m)
}

pub fn seq(n: u16) -> SeqNo {
    SeqNo::wrapping(n)
}

pub fn u(f: UFunction) -> Apdu<'static> {
    Apdu::u(f)
}

pub fn i(send: u16, recv: u16) -> Apdu<'static> {
    Apdu::i(seq(send), seq(recv), &ASDU)
}

pub fn s(recv: u16) -> Apdu<'static> {
    Apdu::s(seq(recv))
}

/// Everything queued for sending.
pub fn drain(link: &mut Link104) -> Vec<Apci> {
    std::iter::from_fn(|| link.poll_transmit())
        .map(|t| t.apci())
        .collect()
}

/// An event with its ASDU owned, to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    Received(Vec<u8>),
    Started,
    Stopped,
    Closed(CloseReason),
}

impl From<Event<'_>> for Seen {
    fn from(event: Event<'_>) -> Self {
        match event {
            Event::Received(asdu) => Self::Received(asdu.to_vec()),
            Event::Started => Self::Started,
            Event::Stopped => Self::Stopped,
            Event::Closed(reason) => Self::Closed(reason),
            other => panic!("an event these tests do not know: {other:?}"),
        }
    }
}

/// A controlled station at `t0` that has received STARTDT act and queued nothing else.
pub fn started_outstation(params: Params, t0: Instant) -> Link104 {
    let mut link = Link104::new(Role::Controlled, params, t0).unwrap();
    assert_eq!(
        link.on_apdu(u(UFunction::StartDtAct), t0),
        Some(Event::Started)
    );
    assert_eq!(drain(&mut link), [Apci::U(UFunction::StartDtCon)]);
    link
}

/// A controlling station at `t0` whose STARTDT act was confirmed.
pub fn started_master(params: Params, t0: Instant) -> Link104 {
    let mut link = Link104::new(Role::Controlling, params, t0).unwrap();
    assert_eq!(drain(&mut link), [Apci::U(UFunction::StartDtAct)]);
    assert_eq!(
        link.on_apdu(u(UFunction::StartDtCon), t0),
        Some(Event::Started)
    );
    link
}

/// One end of a wired pair.
#[derive(Debug)]
pub struct Side {
    pub link: Link104,
    /// What the link reported.
    pub events: Vec<Seen>,
    /// Frames sent and not yet delivered to the other end.
    pub wire: VecDeque<Transmit>,
    /// Every control field sent, in order.
    pub sent: Vec<Apci>,
}

impl Side {
    fn new(link: Link104) -> Self {
        Self {
            link,
            events: Vec::new(),
            wire: VecDeque::new(),
            sent: Vec::new(),
        }
    }

    fn pull(&mut self) {
        while let Some(t) = self.link.poll_transmit() {
            self.sent.push(t.apci());
            self.wire.push_back(t);
        }
    }

    pub fn received(&self) -> Vec<Vec<u8>> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Seen::Received(asdu) => Some(asdu.clone()),
                _ => None,
            })
            .collect()
    }

    pub fn closed(&self) -> Option<&CloseReason> {
        self.events.iter().find_map(|e| match e {
            Seen::Closed(reason) => Some(reason),
            _ => None,
        })
    }

    pub fn count_sent(&self, apci: Apci) -> usize {
        self.sent.iter().filter(|a| **a == apci).count()
    }
}

/// A controlling and a controlled station connected by a lossless, instant wire.
#[derive(Debug)]
pub struct Pair {
    pub master: Side,
    pub outstation: Side,
    pub now: Instant,
}

impl Pair {
    pub fn new(master: Params, outstation: Params) -> Self {
        let now = Instant::now();
        Self {
            master: Side::new(Link104::new(Role::Controlling, master, now).unwrap()),
            outstation: Side::new(Link104::new(Role::Controlled, outstation, now).unwrap()),
            now,
        }
    }

    /// Delivers up to `n` frames from the master to the outstation; returns how many.
    pub fn deliver_to_outstation(&mut self, n: usize) -> usize {
        deliver(&mut self.master, &mut self.outstation, n, self.now)
    }

    /// Delivers up to `n` frames from the outstation to the master; returns how many.
    pub fn deliver_to_master(&mut self, n: usize) -> usize {
        deliver(&mut self.outstation, &mut self.master, n, self.now)
    }

    /// Delivers everything, answers included, until both ends are quiet.
    pub fn flush(&mut self) {
        while self.deliver_to_outstation(usize::MAX) + self.deliver_to_master(usize::MAX) > 0 {}
    }

    /// Moves time forward by `by`, running each timer when it is due and delivering what it
    /// sends at once.
    pub fn advance(&mut self, by: Duration) {
        self.flush();
        let target = self.now + by;
        loop {
            let next = [
                self.master.link.poll_timeout(),
                self.outstation.link.poll_timeout(),
            ]
            .into_iter()
            .flatten()
            .min();
            match next {
                Some(at) if at <= target => {
                    self.now = self.now.max(at);
                    for side in [&mut self.master, &mut self.outstation] {
                        if let Some(event) = side.link.on_timeout(self.now) {
                            side.events.push(event.into());
                        }
                    }
                    self.flush();
                }
                _ => break,
            }
        }
        self.now = target;
    }

    pub fn any_closed(&self) -> Option<&CloseReason> {
        self.master.closed().or(self.outstation.closed())
    }
}

fn deliver(from: &mut Side, to: &mut Side, n: usize, now: Instant) -> usize {
    from.pull();
    let mut done = 0;
    while done < n {
        let Some(frame) = from.wire.pop_front() else {
            break;
        };
        let events = &mut to.events;
        to.link
            .on_bytes(frame.as_bytes(), now, |e| events.push(e.into()));
        done += 1;
    }
    done
}
