//! Prints frames/s, bytes/s, heap allocations per frame and the ratios for decoding three
//! IEC 60870-5-104 I frames (see `fieldbridge_bench::iec`) with fieldbridge's view and owned
//! form, the `iec104` crate and lib60870-C, in one process and one run.
//!
//! Run: `scripts/build-lib60870 && cargo run --release -p fieldbridge-bench --bin iec_report
//! [-- ITERATIONS]`.
//!
//! For instruction counts, `--callgrind DECODER KIND FRAMES` runs one Rust decoder alone
//! (DECODER `view`, `owned`, `iec104` or `floor`; KIND `float`, `single` or `command`) under
//! `valgrind --tool=callgrind --toggle-collect='*timed_loop*'`; divide the Ir by FRAMES. For
//! lib60870-C, `--hex KIND` prints the frame for `lib60870_decode --frame`, run under
//! `valgrind --tool=callgrind --toggle-collect=decode`.
//!
//! Each decoder decodes ITERATIONS frames (default 1,000,000) per round after a warm-up round;
//! five rounds each, alternating between the decoders so that load changes on a shared machine
//! fall on all of them, are timed and the median is reported. lib60870-C runs as a separate
//! program (`lib60870.rs`), one process per round, timing itself the same way (warm-up, then
//! ITERATIONS frames timed with `CLOCK_MONOTONIC`); process start-up is not timed. Allocations
//! of the Rust decoders are counted by the global allocator below
//! (`fieldbridge_bench::counting_alloc`) over one further round;
//! lib60870-C counts its own heap calls with `--wrap=malloc,calloc,realloc`.

#[path = "lib60870.rs"]
mod lib60870;

use fieldbridge_bench::counting_alloc::{allocations, CountingAlloc};
use fieldbridge_bench::iec::{verify, Decode, IecKind, RUST_DECODERS};
use fieldbridge_bench::report::{iterations_arg, thousands, ROUNDS};
use std::hint::black_box;
use std::time::{Duration, Instant};

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

/// The decoders of the report: the Rust ones by index into `RUST_DECODERS`, then lib60870-C.
#[derive(Debug, Clone, Copy)]
enum Decoder {
    Rust(usize),
    C(lib60870::Variant),
}

impl Decoder {
    const ALL: [Decoder; 6] = [
        Decoder::Rust(0),
        Decoder::Rust(1),
        Decoder::Rust(2),
        Decoder::C(lib60870::Variant::Stack),
        Decoder::C(lib60870::Variant::Public),
        Decoder::Rust(3),
    ];

    fn name(self) -> &'static str {
        match self {
            Decoder::Rust(i) => RUST_DECODERS[i].0,
            Decoder::C(lib60870::Variant::Stack) => "lib60870-C (stack ASDU)",
            Decoder::C(lib60870::Variant::Public) => "lib60870-C (public API)",
        }
    }
}

/// Decodes `frame` `iterations` times with the Rust decoder `decode`; not inlined, so that
/// callgrind can count exactly this loop (`--toggle-collect='*timed_loop*'`).
#[inline(never)]
fn timed_loop(decode: Decode, kind: IecKind, frame: &[u8], n: u64) {
    for _ in 0..n {
        black_box(decode(black_box(kind), black_box(frame)));
    }
}

/// One round of `decoder`: its elapsed time, and for lib60870-C its heap calls.
fn round(decoder: Decoder, kind: IecKind, frame: &[u8], n: u64) -> (Duration, Option<u64>) {
    match decoder {
        Decoder::Rust(i) => {
            let start = Instant::now();
            timed_loop(RUST_DECODERS[i].1, kind, frame, n);
            (start.elapsed(), None)
        }
        Decoder::C(variant) => match lib60870::round(variant, kind, frame, n) {
            Ok(round) if round.digest == kind.expected_digest() => {
                (round.elapsed, Some(round.allocations))
            }
            Ok(round) => fail(&format!(
                "lib60870-C read digest {} from the {} frame, expected {}",
                round.digest,
                kind.name(),
                kind.expected_digest()
            )),
            Err(problem) => fail(&problem),
        },
    }
}

fn fail(problem: &str) -> ! {
    eprintln!("refusing to measure: {problem}");
    std::process::exit(1);
}

#[derive(Debug, Clone, Copy)]
struct Measurement {
    frames_per_second: f64,
    allocations_per_frame: f64,
}

/// Times every decoder on `frame`, rounds alternating between them; median of [`ROUNDS`].
fn measure(kind: IecKind, frame: &[u8], n: u64) -> Vec<Measurement> {
    for decoder in Decoder::ALL {
        if let Decoder::Rust(i) = decoder {
            timed_loop(RUST_DECODERS[i].1, kind, frame, n); // warm-up (C warms up itself)
        }
    }
    let mut times = vec![Vec::<Duration>::with_capacity(ROUNDS); Decoder::ALL.len()];
    let mut c_allocations = vec![0u64; Decoder::ALL.len()];
    for _ in 0..ROUNDS {
        for (index, decoder) in Decoder::ALL.into_iter().enumerate() {
            let (elapsed, allocations) = round(decoder, kind, frame, n);
            times[index].push(elapsed);
            c_allocations[index] = allocations.unwrap_or(0);
        }
    }
    Decoder::ALL
        .into_iter()
        .zip(times)
        .zip(c_allocations)
        .map(|((decoder, mut times), c_allocations)| {
            times.sort();
            let allocations = match decoder {
                Decoder::Rust(i) => {
                    let before = allocations();
                    timed_loop(RUST_DECODERS[i].1, kind, frame, n);
                    allocations() - before
                }
                Decoder::C(_) => c_allocations,
            };
            Measurement {
                frames_per_second: n as f64 / times[ROUNDS / 2].as_secs_f64(),
                allocations_per_frame: allocations as f64 / n as f64,
            }
        })
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--callgrind") {
        std::process::exit(callgrind(&args[1..]));
    }
    if let [flag, kind] = args.as_slice() {
        if flag == "--hex" {
            let Some(kind) = IecKind::ALL.into_iter().find(|k| k.name() == kind) else {
                fail("--hex takes float, single or command");
            };
            println!(
                "{}",
                kind.frame()
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>()
            );
            return;
        }
    }
    let iterations = iterations_arg(args.first(), "iec_report");
    for kind in IecKind::ALL {
        if let Err(mismatch) = verify(kind) {
            fail(&mismatch.to_string());
        }
        // lib60870-C too, before anything is timed (its digest is checked again every round).
        for decoder in Decoder::ALL {
            if let Decoder::C(_) = decoder {
                round(decoder, kind, &kind.frame(), 1);
            }
        }
    }

    println!("IEC 60870-5-104 I frame decode; median of {ROUNDS} rounds of {iterations} frames");
    println!("{}", machine());
    println!();
    println!(
        "| {:<38} | {:<25} | {:>12} | {:>9} | {:>11} | {:>10} |",
        "frame (APDU bytes)", "decoder", "frames/s", "MB/s", "alloc/frame", "view / it"
    );
    println!(
        "| {:-<38} | {:-<25} | {:->12} | {:->9} | {:->11} | {:->10} |",
        "", "", "", "", "", ""
    );
    let mut summary = Vec::new();
    for kind in IecKind::ALL {
        let frame = kind.frame();
        let results = measure(kind, &frame, iterations);
        let view = results[0].frames_per_second;
        for (decoder, m) in Decoder::ALL.into_iter().zip(&results) {
            println!(
                "| {:<38} | {:<25} | {:>12} | {:>9.1} | {:>11.2} | {:>9.2}x |",
                format!("{} ({})", kind.description(), frame.len()),
                decoder.name(),
                thousands(m.frames_per_second),
                m.frames_per_second * frame.len() as f64 / 1e6,
                m.allocations_per_frame,
                view / m.frames_per_second,
            );
        }
        summary.push((kind, view / results[3].frames_per_second, results[0]));
    }
    println!();
    println!("frames/s: frames decoded per second; MB/s: 10^6 frame bytes per second;");
    println!("alloc/frame: heap allocations per frame; view / it: the view's frames/s over this decoder's.");
    println!();
    for (kind, ratio, view) in summary {
        let target = match kind {
            IecKind::Float => Some(5.0),
            IecKind::Single => Some(4.0),
            IecKind::Command => None,
        };
        let verdict = target.map_or(String::from("no target"), |t| {
            let met = ratio >= t && (kind != IecKind::Float || view.allocations_per_frame == 0.0);
            format!("target {t}x: {}", if met { "met" } else { "MISSED" })
        });
        println!(
            "{:<8} view / lib60870-C (stack ASDU) = {ratio:.2}x, {:.2} alloc/frame; {verdict}",
            kind.name(),
            view.allocations_per_frame
        );
    }
}

/// `--callgrind DECODER KIND FRAMES`: one Rust decoder alone, for instruction counts.
fn callgrind(args: &[String]) -> i32 {
    let usage = "usage: iec_report --callgrind view|owned|iec104|floor float|single|command FRAMES";
    let [decoder, kind, frames] = args else {
        eprintln!("{usage}");
        return 2;
    };
    let index = match decoder.as_str() {
        "view" => 0,
        "owned" => 1,
        "iec104" => 2,
        "floor" => 3,
        _ => {
            eprintln!("{usage}");
            return 2;
        }
    };
    let Some(kind) = IecKind::ALL.into_iter().find(|k| k.name() == kind) else {
        eprintln!("{usage}");
        return 2;
    };
    let Ok(frames) = frames.parse::<u64>() else {
        eprintln!("{usage}");
        return 2;
    };
    let frame = kind.frame();
    timed_loop(RUST_DECODERS[index].1, kind, &frame, frames);
    0
}

/// The CPU, the number of cores and the load, for the report's header.
fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("model name")?.split_once(':'))
                .map(|(_, name)| name.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    format!("machine: {cpu}, {cores} cores, load average {load}")
}
