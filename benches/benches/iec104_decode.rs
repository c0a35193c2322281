//! Decoding IEC 60870-5-104 I frames: fieldbridge's view and owned form against the `iec104`
//! crate, on identical bytes (lib60870-C, a separate C program, is in the `iec_report` binary
//! only).
//!
//! One group per frame kind (`float`: M_ME_NC_1 SQ = 1 with 40 floats; `single`: M_SP_TB_1 with
//! 10 CP56 single points; `command`: C_SC_NA_1), each with `view`, `owned`, `iec104` and the
//! `floor` of a hand-written loop. Each iteration decodes one whole frame and reads every value
//! into a digest (see `fieldbridge_bench::iec`), so criterion's throughput is frames per second.
//! Every decoder must read every frame to the expected digest first, or the bench panics.
//!
//! Run: `cargo bench -p fieldbridge-bench --bench iec104_decode`. For frames/s, lib60870-C,
//! the ratios and allocations per frame in one table, run the `iec_report` binary.

#![forbid(unsafe_code)]

mod config;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use fieldbridge_bench::iec::{verify, IecKind, RUST_DECODERS};
use std::hint::black_box;

fn iec104_decode(c: &mut Criterion) {
    for kind in IecKind::ALL {
        if let Err(mismatch) = verify(kind) {
            panic!("refusing to benchmark: {mismatch}");
        }
        let frame = kind.frame();
        let mut group = c.benchmark_group(kind.name());
        group.throughput(Throughput::Elements(1));
        // The short names of `RUST_DECODERS`, in its order.
        let ids = ["view", "owned", "iec104", "floor"];
        for (id, (_, decode)) in ids.into_iter().zip(RUST_DECODERS) {
            group.bench_function(id, |b| {
                b.iter(|| black_box(decode(black_box(kind), black_box(&frame))));
            });
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    // About a minute for the 12 functions.
    config = config::criterion();
    targets = iec104_decode
}
criterion_main!(benches);
