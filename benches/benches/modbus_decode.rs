//! Decoding Modbus TCP frames: fieldbridge against sawp-modbus, on identical bytes.
//!
//! Two groups, one per frame kind, each with a `fieldbridge` and a `sawp` function:
//!
//! - `fc3_response_125_registers`: an FC3 (Read Holding Registers) response with 125 registers,
//!   the most one read returns;
//! - `fc16_request_123_registers`: an FC16 (Write Multiple Registers) request with 123
//!   registers, the most one write carries.
//!
//! Each iteration decodes one whole frame (259 bytes: MBAP header and PDU), so the throughput
//! criterion prints, in elements per second, is frames per second. Each function parses the MBAP
//! header and the full PDU and then reads every register value and sums them:
//! fieldbridge's messages borrow the frame and decode register values lazily, sawp-modbus copies
//! the register bytes into a `Vec<u8>` eagerly; summing on both sides makes both end with the
//! same values in hand (see the `fieldbridge_bench` crate docs). The frames are checked first:
//! both decoders must accept them and agree on every register value, or the bench panics.
//!
//! Run: `cargo bench -p fieldbridge-bench --bench modbus_decode`. For frames/s, the ratio and
//! allocations per frame in one table, run the `codec_report` binary.

#![forbid(unsafe_code)]

mod config;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use fieldbridge_bench::{verify, FrameKind};
use std::hint::black_box;

fn modbus_decode(c: &mut Criterion) {
    for kind in FrameKind::ALL {
        let frame = kind.frame();
        // Outside the timed loop: both parsers accept the frame and return the same values.
        if let Err(problem) = verify(kind, &frame) {
            panic!("refusing to benchmark: {problem}");
        }
        let mut group = c.benchmark_group(kind.name());
        group.throughput(Throughput::Elements(1));
        group.bench_function("fieldbridge", |b| {
            b.iter(|| black_box(kind.decode_fieldbridge(black_box(&frame))));
        });
        group.bench_function("sawp", |b| {
            b.iter(|| black_box(kind.decode_sawp(black_box(&frame))));
        });
        group.finish();
    }
}

criterion_group! {
    name = benches;
    // Well under a minute for the 4 functions.
    config = config::criterion();
    targets = modbus_decode
}
criterion_main!(benches);
