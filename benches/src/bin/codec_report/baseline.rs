//! The floor: a minimal hand-written decoder that slice-indexes the MBAP header and PDU and sums
//! the registers (no nom, no error values, no allocation), and fieldbridge's decode read two ways:
//! with a plain `for` loop (external iteration, `next()`) and with `for_each` (internal
//! iteration, `fold`). Each returns the sum of the register values, as the shared workloads of
//! `fieldbridge_bench` do, so all of them end with the same result from the same bytes.

use fieldbridge_bench::FrameKind;
use fieldbridge_modbus::{tcp, Registers, Request, Response};
use std::hint::black_box;

/// A decoder measured against the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// The hand-written slice-indexing decoder.
    Baseline,
    /// fieldbridge, registers read with a `for` loop.
    ForLoop,
    /// fieldbridge, registers read with `for_each`.
    ForEach,
    /// sawp-modbus, as in the main table.
    Sawp,
}

impl Variant {
    /// All of them, in report order.
    pub const ALL: [Variant; 4] = [
        Variant::Baseline,
        Variant::ForLoop,
        Variant::ForEach,
        Variant::Sawp,
    ];

    /// The name on the command line and in the report.
    pub fn name(self) -> &'static str {
        match self {
            Variant::Baseline => "baseline",
            Variant::ForLoop => "for",
            Variant::ForEach => "for_each",
            Variant::Sawp => "sawp",
        }
    }

    /// Decodes `frame` once, for the checks before timing.
    pub fn decode(self, kind: FrameKind, frame: &[u8]) -> Option<u32> {
        match (self, kind) {
            (Variant::Baseline, FrameKind::Fc3Response) => baseline_fc3_response(frame),
            (Variant::Baseline, FrameKind::Fc16Request) => baseline_fc16_request(frame),
            (Variant::ForLoop, FrameKind::Fc3Response) => fc3_registers(frame).map(sum_for_loop),
            (Variant::ForLoop, FrameKind::Fc16Request) => fc16_registers(frame).map(sum_for_loop),
            (Variant::ForEach, FrameKind::Fc3Response) => fc3_registers(frame).map(sum_for_each),
            (Variant::ForEach, FrameKind::Fc16Request) => fc16_registers(frame).map(sum_for_each),
            (Variant::Sawp, kind) => kind.decode_sawp(frame),
        }
    }

    /// Decodes `frame` `iterations` times. Each (variant, kind) pair is its own instance of
    /// [`timed_loop`], so the decode is inlined into the loop and nothing is called through a
    /// pointer.
    pub fn run(self, kind: FrameKind, frame: &[u8], iterations: u64) {
        match (self, kind) {
            (Variant::Baseline, FrameKind::Fc3Response) => {
                timed_loop(baseline_fc3_response, frame, iterations)
            }
            (Variant::Baseline, FrameKind::Fc16Request) => {
                timed_loop(baseline_fc16_request, frame, iterations)
            }
            (Variant::ForLoop, FrameKind::Fc3Response) => {
                timed_loop(|f| fc3_registers(f).map(sum_for_loop), frame, iterations)
            }
            (Variant::ForLoop, FrameKind::Fc16Request) => {
                timed_loop(|f| fc16_registers(f).map(sum_for_loop), frame, iterations)
            }
            (Variant::ForEach, FrameKind::Fc3Response) => {
                timed_loop(|f| fc3_registers(f).map(sum_for_each), frame, iterations)
            }
            (Variant::ForEach, FrameKind::Fc16Request) => {
                timed_loop(|f| fc16_registers(f).map(sum_for_each), frame, iterations)
            }
            (Variant::Sawp, FrameKind::Fc3Response) => timed_loop(
                fieldbridge_bench::sawp_peer::fc3_response,
                frame,
                iterations,
            ),
            (Variant::Sawp, FrameKind::Fc16Request) => timed_loop(
                fieldbridge_bench::sawp_peer::fc16_request,
                frame,
                iterations,
            ),
        }
    }
}

/// The measured loop; never inlined, so `valgrind --tool=callgrind
/// --toggle-collect='*timed_loop*'` counts exactly the decodes (see `--callgrind`).
#[inline(never)]
pub fn timed_loop(decode: impl Fn(&[u8]) -> Option<u32>, frame: &[u8], iterations: u64) {
    for _ in 0..iterations {
        black_box(decode(black_box(frame)));
    }
}

/// The MBAP header (TCP/IP Implementation Guide §3.1.3) checked as `tcp::decode` checks it:
/// protocol id 0, length 2..=254, the whole frame present. Returns the PDU.
#[inline(always)]
fn mbap_pdu(frame: &[u8]) -> Option<&[u8]> {
    if frame.len() < 8 {
        return None;
    }
    let protocol = u16::from_be_bytes([frame[2], frame[3]]);
    let length = usize::from(u16::from_be_bytes([frame[4], frame[5]]));
    if protocol != 0 || !(2..=254).contains(&length) || frame.len() < 6 + length {
        return None;
    }
    Some(&frame[7..6 + length])
}

/// Sums big-endian register pairs by index.
#[inline(always)]
fn sum_indexed(bytes: &[u8]) -> u32 {
    let mut sum = 0u32;
    let mut i = 0;
    while i + 1 < bytes.len() {
        sum += u32::from(u16::from_be_bytes([bytes[i], bytes[i + 1]]));
        i += 2;
    }
    sum
}

/// FC3 response, with the checks `Response::parse` makes for it: function 0x03, byte count even
/// and 2..=250, no trailing bytes.
#[inline(always)]
fn baseline_fc3_response(frame: &[u8]) -> Option<u32> {
    let pdu = mbap_pdu(frame)?;
    if pdu.len() < 2 || pdu[0] != 0x03 {
        return None;
    }
    let count = usize::from(pdu[1]);
    if !(2..=250).contains(&count) || count % 2 != 0 || pdu.len() != 2 + count {
        return None;
    }
    Some(sum_indexed(&pdu[2..]))
}

/// FC16 request, with the checks `Request::parse` makes for it: function 0x10, quantity
/// 1..=123, byte count twice the quantity, no trailing bytes.
#[inline(always)]
fn baseline_fc16_request(frame: &[u8]) -> Option<u32> {
    let pdu = mbap_pdu(frame)?;
    if pdu.len() < 6 || pdu[0] != 0x10 {
        return None;
    }
    let quantity = usize::from(u16::from_be_bytes([pdu[3], pdu[4]]));
    let count = usize::from(pdu[5]);
    if !(1..=123).contains(&quantity) || count != 2 * quantity || pdu.len() != 6 + count {
        return None;
    }
    Some(sum_indexed(&pdu[6..]))
}

#[inline(always)]
fn fc3_registers(frame: &[u8]) -> Option<Registers<'_>> {
    let (frame, _used) = tcp::decode(frame).ok()??;
    match Response::parse(frame.pdu).ok()? {
        Response::ReadHoldingRegisters(registers) => Some(registers),
        _ => None,
    }
}

#[inline(always)]
fn fc16_registers(frame: &[u8]) -> Option<Registers<'_>> {
    let (frame, _used) = tcp::decode(frame).ok()??;
    match Request::parse(frame.pdu).ok()? {
        Request::WriteMultipleRegisters { registers, .. } => Some(registers),
        _ => None,
    }
}

/// What an embedder writes first: external iteration through `next()`.
#[inline(always)]
fn sum_for_loop(registers: Registers<'_>) -> u32 {
    let mut sum = 0u32;
    for value in registers {
        sum += u32::from(value);
    }
    sum
}

/// Internal iteration through `fold`.
#[inline(always)]
fn sum_for_each(registers: Registers<'_>) -> u32 {
    let mut sum = 0u32;
    registers.iter().for_each(|value| sum += u32::from(value));
    sum
}
