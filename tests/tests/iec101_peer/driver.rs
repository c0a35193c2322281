//! Drives one of our 101 links over a serial line with the wall clock: frames out as the link
//! hands them over, reads in as they come, timeouts when due. Every byte both ways is kept.

use fieldbridge_iec60870::ft12::{self, Control, Frame, LinkConfig};
use fieldbridge_iec60870::link101::{
    Balanced, Event, Service, Transmit, UnbalancedPrimary, UnbalancedSecondary,
};
use fieldbridge_tests::{LineRead, SerialLine};
use std::path::Path;
use std::time::{Duration, Instant};

/// The three link types, as the driver sees them.
pub trait Link {
    fn transmit(&mut self, now: Instant) -> Option<Transmit>;
    fn deadline(&self) -> Option<Instant>;
    fn timeout(&mut self, now: Instant, on_event: &mut dyn FnMut(Event<'_>));
    fn bytes(&mut self, data: &[u8], now: Instant, on_event: &mut dyn FnMut(Event<'_>));
}

/// The links with timers (the unbalanced primary and the balanced station) have methods of
/// the same names and signatures.
macro_rules! timed_link {
    ($($link:ty),*) => {$(
        impl Link for $link {
            fn transmit(&mut self, now: Instant) -> Option<Transmit> {
                self.poll_transmit(now)
            }
            fn deadline(&self) -> Option<Instant> {
                self.poll_timeout()
            }
            fn timeout(&mut self, now: Instant, on_event: &mut dyn FnMut(Event<'_>)) {
                self.on_timeout(now, on_event);
            }
            fn bytes(&mut self, data: &[u8], now: Instant, on_event: &mut dyn FnMut(Event<'_>)) {
                self.on_bytes(data, now, on_event);
            }
        }
    )*};
}

timed_link!(UnbalancedPrimary, Balanced);
impl Link for UnbalancedSecondary {
    fn transmit(&mut self, _now: Instant) -> Option<Transmit> {
        self.poll_transmit()
    }
    fn deadline(&self) -> Option<Instant> {
        None
    }
    fn timeout(&mut self, _now: Instant, _on_event: &mut dyn FnMut(Event<'_>)) {}
    fn bytes(&mut self, data: &[u8], _now: Instant, on_event: &mut dyn FnMut(Event<'_>)) {
        self.on_bytes(data, on_event);
    }
}

/// An event with its data owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    Data(u16, Service, Vec<u8>),
    Up(u16),
    Down(u16),
    Repeating(u16),
    Repetition(u16),
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
            Event::Repeating { address, .. } => Seen::Repeating(address),
            Event::Repetition { address, .. } => Seen::Repetition(address),
            other => Seen::Other(format!("{other:?}")),
        }
    }
}

/// One of our links on one end of a serial line.
pub struct Driver<L> {
    pub line: SerialLine,
    pub link: L,
    pub config: LinkConfig,
    /// Every frame we wrote, in order.
    pub sent: Vec<Vec<u8>>,
    /// Every byte we read, in order.
    pub received: Vec<u8>,
    /// Every event, in order.
    pub events: Vec<Seen>,
}

impl<L: Link> Driver<L> {
    /// The driver of `link` on the serial line at `path`.
    pub fn open(path: &Path, link: L, config: LinkConfig) -> Self {
        let line = SerialLine::open(path)
            .unwrap_or_else(|e| panic!("open the serial line {}: {e}", path.display()));
        Self {
            line,
            link,
            config,
            sent: Vec::new(),
            received: Vec::new(),
            events: Vec::new(),
        }
    }

    /// Writes what the link has to send, then waits at most `max_wait` (less when a timer is
    /// due sooner) for bytes, and runs the timers. Returns the new events.
    pub fn step(&mut self, max_wait: Duration) -> Vec<Seen> {
        let mut seen = Vec::new();
        let now = Instant::now();
        while let Some(t) = self.link.transmit(now) {
            self.line
                .write(t.as_bytes())
                .expect("write to the serial line");
            self.sent.push(t.as_bytes().to_vec());
        }
        let wait = self
            .link
            .deadline()
            .map_or(max_wait, |at| at.saturating_duration_since(now))
            .min(max_wait);
        match self.line.read_timeout(wait) {
            LineRead::Bytes(bytes) => {
                self.received.extend_from_slice(&bytes);
                self.link
                    .bytes(&bytes, Instant::now(), &mut |e| seen.push(Seen::from(e)));
            }
            LineRead::Timeout => {}
            LineRead::Closed => panic!("the serial line closed (socat or the peer ended)"),
        }
        self.link
            .timeout(Instant::now(), &mut |e| seen.push(Seen::from(e)));
        self.events.extend(seen.iter().cloned());
        seen
    }

    /// Steps until `done` holds for the events so far, or panics after `limit` with `what`.
    pub fn run_until(
        &mut self,
        limit: Duration,
        what: &str,
        mut done: impl FnMut(&[Seen]) -> bool,
    ) {
        let end = Instant::now() + limit;
        while !done(&self.events) {
            assert!(
                Instant::now() < end,
                "{what}: not within {limit:?}; events so far: {:#?}",
                self.events
            );
            self.step(Duration::from_millis(20));
        }
    }

    /// The frames we received, decoded.
    pub fn frames_received(&self) -> Vec<Decoded> {
        decode_all(&self.received, &self.config)
    }

    /// The frames we sent, decoded.
    pub fn frames_sent(&self) -> Vec<Decoded> {
        let bytes: Vec<u8> = self.sent.concat();
        decode_all(&bytes, &self.config)
    }

    /// [`check_fcb`] on the frames we sent to `address` (`None`: all, without address field),
    /// allowing as many repeats as our primary reported ([`Seen::Repeating`]).
    pub fn check_our_fcb(&self, address: Option<u16>) -> usize {
        let repeats = self.count(&Seen::Repeating(address.unwrap_or(0)));
        check_fcb(&self.frames_sent(), address, repeats)
    }

    /// [`check_fcb`] on the frames we received for `address`, allowing as many repeats as our
    /// secondary recognised ([`Seen::Repetition`]).
    pub fn check_their_fcb(&self, address: Option<u16>) -> usize {
        let repeats = self.count(&Seen::Repetition(address.unwrap_or(0)));
        check_fcb(&self.frames_received(), address, repeats)
    }

    /// How many of the events so far are `wanted`.
    pub fn count(&self, wanted: &Seen) -> usize {
        self.events.iter().filter(|e| *e == wanted).count()
    }
}

/// A frame from the line, owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    E5,
    Frame {
        control: Control,
        address: u16,
        asdu: Option<Vec<u8>>,
    },
}

impl Decoded {
    /// (function code, FCB, FCV) of a primary frame.
    pub fn primary(&self) -> Option<(u8, bool, bool)> {
        match self {
            Decoded::Frame {
                control:
                    Control::Primary {
                        function, fcb, fcv, ..
                    },
                ..
            } => Some((function.code(), *fcb, *fcv)),
            _ => None,
        }
    }

    pub fn address(&self) -> Option<u16> {
        match self {
            Decoded::Frame { address, .. } => Some(*address),
            Decoded::E5 => None,
        }
    }

    pub fn dir(&self) -> Option<bool> {
        match self {
            Decoded::Frame {
                control: Control::Primary { dir, .. } | Control::Secondary { dir, .. },
                ..
            } => Some(*dir),
            Decoded::E5 => None,
        }
    }
}

/// Every frame in `bytes`; garbage fails the test.
pub fn decode_all(mut bytes: &[u8], config: &LinkConfig) -> Vec<Decoded> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let hunt = ft12::decode_hunting(bytes, config);
        assert_eq!(hunt.discarded, 0, "garbage on the line: {:02x?}", bytes);
        let Some((frame, len)) = hunt.frame else {
            break;
        };
        out.push(match frame {
            Frame::SingleChar => Decoded::E5,
            Frame::Fixed { control, address } => Decoded::Frame {
                control,
                address,
                asdu: None,
            },
            Frame::Variable {
                control,
                address,
                asdu,
            } => Decoded::Frame {
                control,
                address,
                asdu: Some(asdu.to_vec()),
            },
        });
        bytes = &bytes[len..];
    }
    out
}

/// Checks the FCB rule on the primary frames of `frames` to `address`: request status, reset,
/// then FCB = 1 on the first frame with FCV = 1 and toggled on each next one (`repeats` frames
/// may repeat the one before). Returns how many frames with FCV = 1 there were.
pub fn check_fcb(frames: &[Decoded], address: Option<u16>, repeats: usize) -> usize {
    let mine: Vec<(u8, bool, bool)> = frames
        .iter()
        .filter(|f| address.is_none() || f.address() == address)
        .filter_map(Decoded::primary)
        .collect();
    let reset = mine
        .iter()
        .position(|(f, _, _)| *f == 0)
        .unwrap_or_else(|| panic!("no reset of remote link (FC 0) to {address:?}: {mine:?}"));
    assert!(
        mine[..reset].iter().any(|(f, _, _)| *f == 9),
        "FC 9 before FC 0 to {address:?}: {mine:?}"
    );
    let counted: Vec<bool> = mine[reset..]
        .iter()
        .filter(|(_, _, fcv)| *fcv)
        .map(|(_, fcb, _)| *fcb)
        .collect();
    assert_eq!(
        counted.first(),
        Some(&true),
        "first FCB after the reset to {address:?}"
    );
    let same = counted.windows(2).filter(|w| w[0] == w[1]).count();
    assert!(
        same <= repeats,
        "the FCB must toggle on every new exchange to {address:?} ({same} repeats, {repeats} allowed): {counted:?}"
    );
    counted.len()
}
