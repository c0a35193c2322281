//! Resynchronisation cost: one frame preceded by N bytes of line noise, decoded with
//! `rtu::decode_resync` and `ascii::decode_resync` (Modbus over serial line V1.02 §2.5.1.1,
//! §2.5.2.1). The figure is time per garbage byte: flat across N means the hunt is linear in the
//! garbage, growing with N would mean it is quadratic.

use fieldbridge_modbus::rtu::{self, Direction};
use fieldbridge_modbus::{ascii, Registers, Response};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// The garbage lengths measured.
pub const SIZES: [usize; 4] = [1 << 10, 4 << 10, 16 << 10, 64 << 10];
/// Garbage bytes decoded per timed round, whatever N (so every N costs about the same time).
const BYTES_PER_ROUND: usize = 1 << 20;
const ROUNDS: usize = 3;

/// A deterministic xorshift64 stream, so every run measures the same bytes.
struct Noise(u64);

impl Noise {
    fn byte(&mut self) -> u8 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0.to_le_bytes()[0]
    }
}

/// An RTU FC3 response (slave 0x11, 10 registers), the frame after the noise.
fn rtu_frame() -> Vec<u8> {
    let values: Vec<u16> = (0..10).map(|i| 0x0101 * i).collect();
    let pdu = Response::ReadHoldingRegisters(Registers::from_values(&values))
        .to_pdu()
        .expect("a legal FC3 response");
    let mut wire = Vec::new();
    rtu::Frame::new(0x11, &pdu)
        .encode(&mut wire)
        .expect("a PDU of at most 253 bytes frames");
    wire
}

/// `n` bytes of uniform noise, then the RTU frame. Noise holds accidental frames (about one
/// position in 600 has a CRC that matches some length); each one found is broken by flipping a
/// byte, until the first frame `decode_resync` finds is the real one, at offset `n`.
pub fn rtu_input(n: usize, seed: u64) -> Vec<u8> {
    let mut noise = Noise(seed | 1);
    let mut wire: Vec<u8> = (0..n).map(|_| noise.byte()).collect();
    wire.extend_from_slice(&rtu_frame());
    let mut from = 0;
    loop {
        let found = rtu::decode_resync(&wire[from..], Direction::Response);
        let at = from + found.skipped;
        if found.frame.is_some() && at == n {
            return wire;
        }
        assert!(at < n, "no frame found after {n} bytes of noise");
        // Change the function code (or, just before the frame, the address) of the false frame;
        // only windows that start within 256 bytes before it can change. Stepping the byte (not
        // flipping it back and forth) cannot cycle.
        let step = if at + 1 < n { at + 1 } else { at };
        wire[step] = wire[step].wrapping_add(1);
        from = at.saturating_sub(rtu::MAX_FRAME_LEN);
    }
}

/// `n` characters of ASCII-looking noise (hex digits with a ':' about every 24; no CR, so no frame
/// can end inside it), then `:010300000001FB` CR LF.
pub fn ascii_input(n: usize, seed: u64) -> Vec<u8> {
    const ALPHABET: &[u8] = b"0123456789ABCDEF";
    let mut noise = Noise(seed | 1);
    let mut wire: Vec<u8> = (0..n)
        .map(|_| {
            let b = noise.byte();
            if b < 11 {
                b':'
            } else {
                ALPHABET[usize::from(b % 16)]
            }
        })
        .collect();
    wire.extend_from_slice(b":010300000001FB\r\n");
    wire
}

/// One measured input.
#[derive(Debug)]
pub struct Hunt {
    /// Garbage bytes before the frame.
    pub garbage: usize,
    /// Median time per garbage byte.
    pub ns_per_byte: f64,
}

fn time_rounds(repeats: usize, mut decode: impl FnMut() -> usize, expected: usize) -> Duration {
    let mut times = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let start = Instant::now();
        for _ in 0..repeats {
            let skipped = decode();
            assert_eq!(skipped, expected, "the frame was not found where it is");
        }
        times.push(start.elapsed());
    }
    times.sort();
    times[ROUNDS / 2]
}

/// Times `rtu::decode_resync` (responses) on each size of [`SIZES`].
pub fn measure_rtu() -> Vec<Hunt> {
    SIZES
        .iter()
        .map(|&n| {
            let wire = rtu_input(n, 0x9E37_79B9_7F4A_7C15);
            let repeats = (BYTES_PER_ROUND / n).max(1);
            let decode = || rtu::decode_resync(black_box(&wire), Direction::Response).skipped;
            decode(); // warm-up
            let median = time_rounds(repeats, decode, n);
            Hunt {
                garbage: n,
                ns_per_byte: median.as_secs_f64() * 1e9 / (repeats * n) as f64,
            }
        })
        .collect()
}

/// Times `ascii::decode_resync` on each size of [`SIZES`].
pub fn measure_ascii() -> Vec<Hunt> {
    SIZES
        .iter()
        .map(|&n| {
            let wire = ascii_input(n, 0x2545_F491_4F6C_DD1D);
            let repeats = (BYTES_PER_ROUND / n).max(1);
            let decode = || ascii::decode_resync(black_box(&wire)).skipped;
            decode();
            let median = time_rounds(repeats, decode, n);
            Hunt {
                garbage: n,
                ns_per_byte: median.as_secs_f64() * 1e9 / (repeats * n) as f64,
            }
        })
        .collect()
}
