//! Prints frames per second, the fieldbridge/sawp-modbus ratio and heap allocations per frame
//! for each frame kind of the `modbus_decode` bench, timing the same functions; then the same
//! frames against a hand-written slice-indexing baseline (`codec_report/baseline.rs`), with the
//! registers read by a `for` loop and by `for_each`; then the serial resync hunt through N bytes
//! of garbage (`codec_report/garbage.rs`).
//!
//! Run: `cargo run --release -p fieldbridge-bench --bin codec_report [-- ITERATIONS]`.
//!
//! For instruction counts, `--callgrind VARIANT KIND FRAMES` runs one decoder alone (VARIANT
//! `baseline`, `for`, `for_each` or `sawp`; KIND `fc3` or `fc16`), under
//! `valgrind --tool=callgrind --toggle-collect='*timed_loop*'`; divide the Ir by FRAMES.
//!
//! Each decoder runs ITERATIONS frames (default 1,000,000) per round after a warm-up round; five
//! rounds each, alternating between the two decoders, are timed with `Instant` and the median is
//! reported. Allocations are counted by the
//! global allocator below (`fieldbridge_bench::counting_alloc`), over one further round of
//! ITERATIONS frames per decoder, and divided by ITERATIONS.

use fieldbridge_bench::{verify, FrameKind};

#[path = "codec_report/baseline.rs"]
mod baseline;
#[path = "codec_report/garbage.rs"]
mod garbage;
#[path = "codec_report/sections.rs"]
mod sections;
use fieldbridge_bench::counting_alloc::{allocations, CountingAlloc};
use fieldbridge_bench::report::{iterations_arg, thousands, ROUNDS};
use std::hint::black_box;
use std::time::{Duration, Instant};

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

#[derive(Debug, Clone, Copy)]
enum Decoder {
    Fieldbridge,
    Sawp,
}

/// Decodes `frame` `iterations` times with `decoder`; the frame and each result go through
/// `black_box` so the work cannot be hoisted or dropped.
fn run(kind: FrameKind, decoder: Decoder, frame: &[u8], iterations: u64) {
    match decoder {
        Decoder::Fieldbridge => {
            for _ in 0..iterations {
                black_box(kind.decode_fieldbridge(black_box(frame)));
            }
        }
        Decoder::Sawp => {
            for _ in 0..iterations {
                black_box(kind.decode_sawp(black_box(frame)));
            }
        }
    }
}

#[derive(Debug)]
struct Measurement {
    frames_per_second: f64,
    allocations_per_frame: f64,
}

/// Times both decoders on `frame`. The rounds alternate between the two, so a change in the load
/// of a shared machine falls on both rather than on whichever ran second.
fn measure(kind: FrameKind, frame: &[u8], iterations: u64) -> [Measurement; 2] {
    const DECODERS: [Decoder; 2] = [Decoder::Fieldbridge, Decoder::Sawp];
    for decoder in DECODERS {
        run(kind, decoder, frame, iterations); // warm-up
    }
    let mut times: [Vec<Duration>; 2] = Default::default();
    for _ in 0..ROUNDS {
        for (decoder, times) in DECODERS.into_iter().zip(&mut times) {
            let start = Instant::now();
            run(kind, decoder, frame, iterations);
            times.push(start.elapsed());
        }
    }
    let mut results = DECODERS.into_iter().zip(times).map(|(decoder, mut times)| {
        times.sort();
        let median = times[ROUNDS / 2];
        let before = allocations();
        run(kind, decoder, frame, iterations);
        let allocations = allocations() - before;
        Measurement {
            frames_per_second: iterations as f64 / median.as_secs_f64(),
            allocations_per_frame: allocations as f64 / iterations as f64,
        }
    });
    let ours = results.next().expect("two decoders");
    let theirs = results.next().expect("two decoders");
    [ours, theirs]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--callgrind") {
        std::process::exit(sections::callgrind(&args[1..]));
    }
    let iterations = iterations_arg(args.first(), "codec_report");

    println!(
        "Modbus TCP decode, 259-byte frames; median of {ROUNDS} rounds of {iterations} frames"
    );
    println!();
    println!(
        "| {:<28} | {:>16} | {:>16} | {:>17} | {:>17} | {:>12} |",
        "frame",
        "fieldbridge f/s",
        "sawp-modbus f/s",
        "fieldbridge/sawp",
        "fieldbridge alloc",
        "sawp alloc"
    );
    println!(
        "| {:-<28} | {:->16} | {:->16} | {:->17} | {:->17} | {:->12} |",
        "", "", "", "", "", ""
    );
    for kind in FrameKind::ALL {
        let frame = kind.frame();
        if let Err(problem) = verify(kind, &frame) {
            eprintln!("refusing to measure: {problem}");
            std::process::exit(1);
        }
        let [ours, theirs] = measure(kind, &frame, iterations);
        println!(
            "| {:<28} | {:>16} | {:>16} | {:>16.2}x | {:>17.2} | {:>12.2} |",
            kind.name(),
            thousands(ours.frames_per_second),
            thousands(theirs.frames_per_second),
            ours.frames_per_second / theirs.frames_per_second,
            ours.allocations_per_frame,
            theirs.allocations_per_frame,
        );
    }
    println!();
    println!("f/s: frames decoded per second; alloc: heap allocations per frame.");
    println!();
    sections::against_baseline(iterations);
    println!();
    sections::garbage_hunt();
}
