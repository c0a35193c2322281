//! The report's second and third tables, and the `--callgrind` mode.

use crate::baseline::Variant;
use crate::garbage;
use fieldbridge_bench::report::thousands;
use fieldbridge_bench::FrameKind;
use std::time::{Duration, Instant};

const ROUNDS: usize = 5;

/// Times every [`Variant`] on `frame`, rounds alternating between them; median frames/s each.
fn measure(kind: FrameKind, frame: &[u8], iterations: u64) -> Vec<f64> {
    for variant in Variant::ALL {
        variant.run(kind, frame, iterations); // warm-up
    }
    let mut times = vec![Vec::<Duration>::with_capacity(ROUNDS); Variant::ALL.len()];
    for _ in 0..ROUNDS {
        for (variant, times) in Variant::ALL.into_iter().zip(&mut times) {
            let start = Instant::now();
            variant.run(kind, frame, iterations);
            times.push(start.elapsed());
        }
    }
    times
        .into_iter()
        .map(|mut times| {
            times.sort();
            iterations as f64 / times[ROUNDS / 2].as_secs_f64()
        })
        .collect()
}

/// The decoders against the hand-written baseline: time per frame as a multiple of the
/// baseline's (1.00x is as fast as the baseline; lower is better).
pub fn against_baseline(iterations: u64) {
    println!(
        "Against a hand-written slice-indexing decoder (MBAP + PDU checks, sum of registers); \
         ns/frame and time as a multiple of the baseline's, median of {ROUNDS} rounds"
    );
    println!();
    println!(
        "| {:<28} | {:>14} | {:>16} | {:>16} | {:>16} |",
        "frame", "baseline ns", "for loop", "for_each", "sawp-modbus"
    );
    println!(
        "| {:-<28} | {:->14} | {:->16} | {:->16} | {:->16} |",
        "", "", "", "", ""
    );
    for kind in FrameKind::ALL {
        let frame = kind.frame();
        let expected = kind.decode_fieldbridge(&frame);
        for variant in Variant::ALL {
            let got = variant.decode(kind, &frame);
            if got != expected || got.is_none() {
                eprintln!(
                    "refusing to measure: {} {} returned {got:?}, expected {expected:?}",
                    kind.name(),
                    variant.name()
                );
                std::process::exit(1);
            }
        }
        let fps = measure(kind, &frame, iterations);
        let ns = |i: usize| 1e9 / fps[i];
        let cell = |i: usize| format!("{:.1} ns {:.2}x", ns(i), fps[0] / fps[i]);
        println!(
            "| {:<28} | {:>14.1} | {:>16} | {:>16} | {:>16} |",
            kind.name(),
            ns(0),
            cell(1),
            cell(2),
            cell(3)
        );
    }
}

/// Time per garbage byte of the serial resync decoders.
pub fn garbage_hunt() {
    println!(
        "Serial resync: a frame after N bytes of garbage, time per garbage byte (median of 3 \
         rounds of about 1 MiB of garbage each)"
    );
    println!();
    println!(
        "| {:>9} | {:>16} | {:>14} | {:>18} |",
        "N", "rtu ns/byte", "rtu MiB/s", "ascii ns/byte"
    );
    println!("| {:->9} | {:->16} | {:->14} | {:->18} |", "", "", "", "");
    let rtu = garbage::measure_rtu();
    let ascii = garbage::measure_ascii();
    for (r, a) in rtu.iter().zip(&ascii) {
        println!(
            "| {:>9} | {:>16.2} | {:>14.2} | {:>18.2} |",
            thousands(r.garbage as f64),
            r.ns_per_byte,
            1e9 / r.ns_per_byte / f64::from(1 << 20),
            a.ns_per_byte
        );
    }
    println!();
    println!(
        "rtu: decode_resync(Direction::Response), uniform noise cleared of accidental CRC \
         matches, then an FC3 response; ascii: hex digits and ':' (no CR), then a frame."
    );
}

/// `--callgrind VARIANT KIND FRAMES`: one decoder alone, for instruction counts. Returns the exit
/// status.
pub fn callgrind(args: &[String]) -> i32 {
    let usage = "usage: codec_report --callgrind baseline|for|for_each|sawp fc3|fc16 FRAMES";
    let [variant, kind, frames] = args else {
        eprintln!("{usage}");
        return 2;
    };
    let Some(variant) = Variant::ALL.into_iter().find(|v| v.name() == variant) else {
        eprintln!("{usage}");
        return 2;
    };
    let kind = match kind.as_str() {
        "fc3" => FrameKind::Fc3Response,
        "fc16" => FrameKind::Fc16Request,
        _ => {
            eprintln!("{usage}");
            return 2;
        }
    };
    let Ok(frames) = frames.replace('_', "").parse::<u64>() else {
        eprintln!("{usage}");
        return 2;
    };
    let frame = kind.frame();
    if variant.decode(kind, &frame) != kind.decode_fieldbridge(&frame) {
        eprintln!("refusing to measure: {} disagrees", variant.name());
        return 1;
    }
    variant.run(kind, &frame, frames);
    println!(
        "ran {frames} frames of {} through {}",
        kind.name(),
        variant.name()
    );
    0
}
