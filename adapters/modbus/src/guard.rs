//! A guard between tokio-modbus and a Modbus TCP socket: every answer is checked against the
//! request it answers before tokio-modbus sees it, so that what is wrong with it can be named.
//!
//! Checked, in this order: the MBAP header (Modbus Messaging on TCP/IP Implementation Guide V1.0b
//! §3.1.3: protocol identifier 0, a length of 2..=254 counting the unit id and the PDU, the
//! transaction id and unit id of the request), the function code (the request's, or it with bit
//! 0x80 set for an exception, Modbus Application Protocol V1.1b3 §7), and the PDU's length and
//! byte count for the function (§6.1–§6.4 reads, §6.5/§6.6/§6.11/§6.12/§6.16 writes).
//!
//! An answer to an earlier request that timed out (a late answer) is dropped, or, when it answers
//! an earlier attempt of the very request in flight, taken as its answer. Anything else wrong is a
//! [`Garbage`]: the guard records it for [`GarbageSlot::take`], drops what it has buffered, and hands
//! tokio-modbus a frame it refuses with a header mismatch (a read error would leave tokio-modbus's
//! framed stream unusable for the next request).

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

pub use crate::error::Garbage;

/// The MBAP header: transaction id, protocol id, length (§3.1.3), then the unit id.
const MBAP: usize = 7;
/// The largest MBAP length: a unit id and a PDU of at most 253 bytes (§4.1 of the protocol spec).
const MAX_LENGTH: usize = 254;
/// How many requests abandoned after a timeout are remembered, to drop their late answers.
const ABANDONED: usize = 8;

/// Where the guard leaves the problem of the last answer it refused; shared with the connection.
#[derive(Debug, Clone, Default)]
pub(crate) struct GarbageSlot(Arc<Mutex<Option<Garbage>>>);

impl GarbageSlot {
    /// The problem of the last refused answer, if one was refused since the last call.
    pub(crate) fn take(&self) -> Option<Garbage> {
        self.0.lock().ok().and_then(|mut g| g.take())
    }

    pub(crate) fn put(&self, garbage: Garbage) {
        if let Ok(mut g) = self.0.lock() {
            *g = Some(garbage);
        }
    }
}

/// A request as sent: its transaction id, unit id and PDU.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Sent {
    tid: u16,
    unit: u8,
    pdu: Vec<u8>,
}

/// What to do with the next frame in the read buffer.
enum Verdict {
    /// Not a whole frame yet.
    Incomplete,
    /// A checked answer to the request in flight: hand it on (its length).
    Answer(usize),
    /// A late answer to an abandoned request: drop it (its length).
    Late(usize),
    /// Wrong.
    Garbage(Garbage),
}

/// The stream handed to tokio-modbus in place of the socket.
#[derive(Debug)]
pub(crate) struct MbapGuard<S> {
    inner: S,
    device: Arc<str>,
    slot: GarbageSlot,
    /// Bytes of requests being written, until a whole request is seen.
    written: Vec<u8>,
    current: Option<Sent>,
    abandoned: VecDeque<Sent>,
    /// Bytes read from the socket, not yet checked.
    raw: Vec<u8>,
    /// A checked frame (or a refusal) being handed to tokio-modbus, and how much of it was.
    ready: Vec<u8>,
    ready_at: usize,
}

impl<S> MbapGuard<S> {
    pub(crate) fn new(inner: S, device: Arc<str>, slot: GarbageSlot) -> Self {
        MbapGuard {
            inner,
            device,
            slot,
            written: Vec::new(),
            current: None,
            abandoned: VecDeque::new(),
            raw: Vec::new(),
            ready: Vec::new(),
            ready_at: 0,
        }
    }

    /// Notes the requests in bytes written to the socket.
    fn note_written(&mut self, bytes: &[u8]) {
        self.written.extend_from_slice(bytes);
        while self.written.len() >= MBAP {
            let length = usize::from(u16::from_be_bytes([self.written[4], self.written[5]]));
            let end = 6 + length.max(1);
            if self.written.len() < end {
                return;
            }
            let frame: Vec<u8> = self.written.drain(..end).collect();
            let sent = Sent {
                tid: u16::from_be_bytes([frame[0], frame[1]]),
                unit: frame[6],
                pdu: frame[MBAP..].to_vec(),
            };
            if let Some(previous) = self.current.replace(sent) {
                // A new request while the last one is unanswered: it timed out.
                if self.abandoned.len() == ABANDONED {
                    self.abandoned.pop_front();
                }
                self.abandoned.push_back(previous);
            }
        }
    }

    /// Checks the frame at the start of the read buffer.
    fn check(&mut self) -> Verdict {
        let raw = &self.raw;
        if raw.len() >= 4 && raw[2..4] != [0, 0] {
            return Verdict::Garbage(Garbage::ProtocolId);
        }
        if raw.len() < 6 {
            return Verdict::Incomplete;
        }
        let length = usize::from(u16::from_be_bytes([raw[4], raw[5]]));
        if !(2..=MAX_LENGTH).contains(&length) {
            return Verdict::Garbage(Garbage::Length);
        }
        let end = 6 + length;
        if raw.len() < end {
            return Verdict::Incomplete;
        }
        let tid = u16::from_be_bytes([raw[0], raw[1]]);
        let Some(current) = self.current.as_ref() else {
            return Verdict::Garbage(Garbage::TransactionId);
        };
        if tid != current.tid {
            let Some(i) = self.abandoned.iter().position(|s| s.tid == tid) else {
                return Verdict::Garbage(Garbage::TransactionId);
            };
            let earlier = self.abandoned.remove(i);
            let same = earlier.is_some_and(|e| e.unit == current.unit && e.pdu == current.pdu);
            if !same {
                return Verdict::Late(end);
            }
            // The answer to an earlier attempt of this very request: it is the answer.
            let [hi, lo] = current.tid.to_be_bytes();
            self.raw[0] = hi;
            self.raw[1] = lo;
        }
        let Some(current) = self.current.as_ref() else {
            return Verdict::Garbage(Garbage::TransactionId);
        };
        let raw = &self.raw;
        if raw[6] != current.unit {
            return Verdict::Garbage(Garbage::UnitId);
        }
        match check_pdu(&current.pdu, &raw[MBAP..end]) {
            Ok(()) => Verdict::Answer(end),
            Err(g) => Verdict::Garbage(g),
        }
    }

    /// A frame tokio-modbus refuses with a header mismatch (its transaction id is not the
    /// request's), so that the call ends at once with a protocol error the connection maps to
    /// the recorded [`Garbage`].
    fn refusal(&self) -> Vec<u8> {
        let (tid, unit, function) = self.current.as_ref().map_or((0, 0, 0), |c| {
            (c.tid, c.unit, c.pdu.first().copied().unwrap_or(0))
        });
        let [hi, lo] = tid.wrapping_add(0x8000).to_be_bytes();
        vec![hi, lo, 0, 0, 0, 3, unit, function | 0x80, 0x04]
    }
}

/// Checks an answer's PDU against the request's PDU: the function code, and the length and byte
/// count the function prescribes.
pub(crate) fn check_pdu(request: &[u8], answer: &[u8]) -> Result<(), Garbage> {
    let (Some(&function), Some(&got)) = (request.first(), answer.first()) else {
        return Err(Garbage::Length);
    };
    if got == function | 0x80 {
        // §7: function code + 0x80 and one exception code.
        return if answer.len() == 2 {
            Ok(())
        } else {
            Err(Garbage::PduLength)
        };
    }
    if got != function {
        return Err(Garbage::FunctionCode);
    }
    let quantity = request
        .get(3..5)
        .map_or(0, |q| usize::from(u16::from_be_bytes([q[0], q[1]])));
    match function {
        // §6.1–§6.4: byte count, then the values.
        1..=4 => {
            let Some(&count) = answer.get(1) else {
                return Err(Garbage::PduLength);
            };
            if answer.len() != 2 + usize::from(count) {
                return Err(Garbage::ByteCount);
            }
            let expected = if function <= 2 {
                quantity.div_ceil(8)
            } else {
                quantity * 2
            };
            if usize::from(count) != expected {
                return Err(Garbage::Quantity);
            }
            Ok(())
        }
        // §6.5, §6.6, §6.11, §6.12: address and value or quantity; §6.16: address and two masks.
        5 | 6 | 15 | 16 if answer.len() != 5 => Err(Garbage::PduLength),
        22 if answer.len() != 7 => Err(Garbage::PduLength),
        _ => Ok(()),
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for MbapGuard<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if this.ready_at < this.ready.len() {
                let n = buf.remaining().min(this.ready.len() - this.ready_at);
                buf.put_slice(&this.ready[this.ready_at..this.ready_at + n]);
                this.ready_at += n;
                return Poll::Ready(Ok(()));
            }
            match this.check() {
                Verdict::Answer(len) => {
                    this.ready = this.raw.drain(..len).collect();
                    this.ready_at = 0;
                    this.current = None;
                    continue;
                }
                Verdict::Late(len) => {
                    this.raw.drain(..len);
                    tracing::debug!(device = %this.device, "late modbus answer to an abandoned request dropped");
                    continue;
                }
                Verdict::Garbage(garbage) => {
                    // Logged by the connection, throttled: a device that keeps answering
                    // garbage must not flood the log.
                    tracing::debug!(
                        device = %this.device,
                        problem = garbage.as_str(),
                        bytes = this.raw.len(),
                        "garbage answer from the modbus device"
                    );
                    this.raw.clear();
                    this.ready = this.refusal();
                    this.ready_at = 0;
                    this.current = None;
                    this.slot.put(garbage);
                    continue;
                }
                Verdict::Incomplete => {}
            }
            let mut chunk = [0u8; 512];
            let mut chunk_buf = ReadBuf::new(&mut chunk);
            match Pin::new(&mut this.inner).poll_read(cx, &mut chunk_buf) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(())) if chunk_buf.filled().is_empty() => {
                    // End of stream: tokio-modbus sees it as such.
                    return Poll::Ready(Ok(()));
                }
                Poll::Ready(Ok(())) => this.raw.extend_from_slice(chunk_buf.filled()),
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for MbapGuard<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_write(cx, buf) {
            Poll::Ready(Ok(n)) => {
                this.note_written(buf.get(..n).unwrap_or(buf));
                Poll::Ready(Ok(n))
            }
            other => other,
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard_with(request: &[u8]) -> MbapGuard<tokio::io::Empty> {
        let mut g = MbapGuard::new(tokio::io::empty(), "d".into(), GarbageSlot::default());
        g.note_written(request);
        g
    }

    /// FC3, transaction 7, unit 1, two registers from 0.
    const READ2: [u8; 12] = [0, 7, 0, 0, 0, 6, 1, 3, 0, 0, 0, 2];

    fn verdict(answer: &[u8]) -> Result<usize, Option<Garbage>> {
        let mut g = guard_with(&READ2);
        g.raw = answer.to_vec();
        match g.check() {
            Verdict::Answer(n) => Ok(n),
            Verdict::Garbage(x) => Err(Some(x)),
            _ => Err(None),
        }
    }

    #[test]
    fn each_kind_of_wrong_answer_is_named() {
        #[rustfmt::skip]
        type Case<'a> = (&'a str, &'a [u8], Result<usize, Option<Garbage>>);
        let cases: [Case; 10] = [
            (
                "a good answer",
                &[0, 7, 0, 0, 0, 7, 1, 3, 4, 0, 1, 0, 2],
                Ok(13),
            ),
            ("an exception", &[0, 7, 0, 0, 0, 3, 1, 0x83, 2], Ok(9)),
            (
                "protocol id",
                &[0x5a, 0x17, 0xc3, 0x09, 0x44, 0x81, 0x12],
                Err(Some(Garbage::ProtocolId)),
            ),
            (
                "length 0xFFFF",
                &[0, 7, 0, 0, 0xff, 0xff, 1, 3],
                Err(Some(Garbage::Length)),
            ),
            ("length 0", &[0, 7, 0, 0, 0, 0], Err(Some(Garbage::Length))),
            (
                "transaction id",
                &[0, 9, 0, 0, 0, 7, 1, 3, 4, 0, 1, 0, 2],
                Err(Some(Garbage::TransactionId)),
            ),
            (
                "unit id",
                &[0, 7, 0, 0, 0, 7, 9, 3, 4, 0, 1, 0, 2],
                Err(Some(Garbage::UnitId)),
            ),
            (
                "function code",
                &[0, 7, 0, 0, 0, 7, 1, 4, 4, 0, 1, 0, 2],
                Err(Some(Garbage::FunctionCode)),
            ),
            (
                "byte count",
                &[0, 7, 0, 0, 0, 7, 1, 3, 9, 0, 1, 0, 2],
                Err(Some(Garbage::ByteCount)),
            ),
            (
                "quantity",
                &[0, 7, 0, 0, 0, 5, 1, 3, 2, 0, 1],
                Err(Some(Garbage::Quantity)),
            ),
        ];
        for (name, answer, expected) in cases {
            assert_eq!(verdict(answer), expected, "{name}");
        }
        assert_eq!(verdict(&[0, 7, 0, 0, 0, 7, 1, 3]), Err(None), "incomplete");
    }

    #[test]
    fn a_late_answer_is_dropped_and_an_earlier_attempt_of_the_same_request_adopted() {
        let mut g = guard_with(&READ2);
        // The retry of the same request, then another request.
        let mut retry = READ2;
        retry[1] = 8;
        g.note_written(&retry);
        g.raw = vec![0, 7, 0, 0, 0, 7, 1, 3, 4, 0, 1, 0, 2];
        assert!(matches!(g.check(), Verdict::Answer(13)));
        assert_eq!(
            &g.raw[..2],
            &[0, 8],
            "adopted under the retry's transaction id"
        );

        let mut g = guard_with(&READ2);
        let other = [0, 8, 0, 0, 0, 6, 1, 4, 0, 0, 0, 1];
        g.note_written(&other);
        g.raw = vec![0, 7, 0, 0, 0, 7, 1, 3, 4, 0, 1, 0, 2];
        assert!(matches!(g.check(), Verdict::Late(13)));
    }
}
