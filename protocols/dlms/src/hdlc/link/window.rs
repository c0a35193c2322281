//! What both stations share: the send window with its sequence numbers (modulo 8, go-back-N
//! retransmission from the N(R) of a response), the reassembly of segmented information fields,
//! and the receive path with its inter-octet timeout.

use crate::hdlc::{Address, Control, Frame, Splitter};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// `a - b` modulo 8.
pub(super) const fn seq_diff(a: u8, b: u8) -> u8 {
    a.wrapping_sub(b) & 7
}

/// One segment of an LLC-prefixed APDU: an information field and whether more follow (S bit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Segment {
    pub(super) info: Vec<u8>,
    pub(super) more: bool,
    /// On the last segment of a request: the peer owes an answer to it.
    pub(super) answered: bool,
}

/// The I frames of one station not yet acknowledged: those sent and those still to send.
#[derive(Debug, Clone, Default)]
pub(super) struct SendWindow {
    /// V(A): the N(S) of the first frame in `frames`.
    va: u8,
    frames: VecDeque<Segment>,
    /// How many of `frames` were sent since the last go-back: they await an acknowledgement.
    sent: usize,
}

/// An N(R) that acknowledges a frame never sent (IEC 62056-46 clause 6.4.4.4.3.3: an invalid
/// N(R)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct InvalidNr;

impl SendWindow {
    /// Splits `data` (an LLC-prefixed APDU) into segments of at most `max` octets; `answered`:
    /// the peer owes an answer to it.
    pub(super) fn push(&mut self, data: &[u8], max: usize, answered: bool) {
        let max = max.max(1);
        let count = data.len().div_ceil(max).max(1);
        for (i, chunk) in data.chunks(max).enumerate() {
            let more = i + 1 < count;
            self.frames.push_back(Segment {
                info: chunk.to_vec(),
                more,
                answered: answered && !more,
            });
        }
    }

    /// V(S): the N(S) of the next new frame.
    pub(super) fn vs(&self) -> u8 {
        (self.va.wrapping_add(self.sent as u8)) & 7
    }

    /// The next frame to send within `window`, with its N(S), and whether it is the last one the
    /// window or the queue allows now (it carries the P/F bit).
    pub(super) fn next(&self, window: u8) -> Option<(u8, &Segment, bool)> {
        let window = usize::from(window.clamp(1, 7));
        if self.sent >= window {
            return None;
        }
        let segment = self.frames.get(self.sent)?;
        let last = self.sent + 1 >= window || self.sent + 1 >= self.frames.len();
        Some((self.vs(), segment, last))
    }

    /// Records that the frame [`SendWindow::next`] returned went out.
    pub(super) fn mark_sent(&mut self) {
        self.sent = (self.sent + 1).min(self.frames.len());
    }

    /// Takes an N(R): every frame before it is acknowledged. Returns how many whole APDUs that
    /// the peer owes an answer to were acknowledged by it.
    pub(super) fn ack(&mut self, nr: u8) -> Result<usize, InvalidNr> {
        let k = usize::from(seq_diff(nr, self.va));
        if k > self.sent {
            return Err(InvalidNr);
        }
        let answered = self.frames.drain(..k).filter(|s| s.answered).count();
        self.sent -= k;
        self.va = nr & 7;
        Ok(answered)
    }

    /// Whether frames were sent and not acknowledged.
    pub(super) fn outstanding(&self) -> bool {
        self.sent > 0
    }

    /// After a response with the F bit (or a command with P) whose N(R) left frames
    /// unacknowledged: they were lost, and go again from the first (go-back-N).
    pub(super) fn go_back(&mut self) {
        self.sent = 0;
    }

    /// Whether nothing waits to be sent or acknowledged.
    pub(super) fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// Forgets everything and restarts the numbering at 0.
    pub(super) fn reset(&mut self) {
        *self = SendWindow::default();
    }
}

/// What [`Reassembly::push`] made of a segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Assembled {
    /// More segments are expected.
    Partial,
    /// The whole information field.
    Complete(Vec<u8>),
    /// The whole field was longer than the limit: its segments were dropped.
    TooLong(usize),
}

/// Segments of one information field being put together.
#[derive(Debug, Clone, Default)]
pub(super) struct Reassembly {
    buf: Vec<u8>,
    /// The length so far when it went over the limit (its bytes are no longer kept).
    overflow: Option<usize>,
}

impl Reassembly {
    /// Adds a segment; `more` is its S bit.
    pub(super) fn push(&mut self, info: &[u8], more: bool, limit: usize) -> Assembled {
        match &mut self.overflow {
            Some(len) => *len += info.len(),
            None if self.buf.len() + info.len() > limit => {
                self.overflow = Some(self.buf.len() + info.len());
                self.buf = Vec::new();
            }
            None => self.buf.extend_from_slice(info),
        }
        if more {
            return Assembled::Partial;
        }
        match self.overflow.take() {
            Some(len) => Assembled::TooLong(len),
            None => Assembled::Complete(std::mem::take(&mut self.buf)),
        }
    }

    /// Whether segments of an unfinished field are held.
    pub(super) fn in_progress(&self) -> bool {
        !self.buf.is_empty() || self.overflow.is_some()
    }

    /// Drops an unfinished field.
    pub(super) fn reset(&mut self) {
        *self = Reassembly::default();
    }
}

/// The receive side of a station: the splitter and the inter-octet timeout.
#[derive(Debug, Clone, Default)]
pub(super) struct Receiver {
    pub(super) splitter: Splitter,
    last_byte: Option<Instant>,
}

impl Receiver {
    /// Appends bytes read at `now`, first dropping a partial frame that waited longer than
    /// `inter_octet`.
    pub(super) fn push(&mut self, now: Instant, bytes: &[u8], inter_octet: Duration) {
        if let Some(last) = self.last_byte {
            if self.splitter.in_frame() && now.saturating_duration_since(last) > inter_octet {
                self.splitter.clear();
            }
        }
        if !bytes.is_empty() {
            self.last_byte = Some(now);
        }
        self.splitter.push(bytes);
    }
}

/// One frame's bytes.
pub(super) fn build(
    destination: Address,
    source: Address,
    control: Control,
    segmented: bool,
    info: &[u8],
) -> Vec<u8> {
    let frame = Frame {
        segmented,
        destination,
        source,
        control,
        info,
    };
    let mut out = Vec::with_capacity(frame.encoded_len());
    // The information fields given here were cut to the negotiated maximum, which is never
    // above what the length field holds: encoding cannot fail.
    let _ = frame.encode(&mut out);
    out
}

/// The longest information field that fits a frame between `a` and `b`, or less.
pub(super) fn clamp_info(value: u32, a: &Address, b: &Address) -> usize {
    usize::try_from(value)
        .unwrap_or(usize::MAX)
        .min(Frame::max_info_len(a, b))
        .max(1)
}
