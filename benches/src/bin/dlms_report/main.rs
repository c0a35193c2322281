//! Prints frames/s, bytes/s, heap allocations per frame and the ratios for decoding four
//! DLMS/COSEM APDUs (see `fieldbridge_bench::dlms`) with fieldbridge's view, owned form and
//! ciphered path, AES-GCM alone and the `dlms_cosem` crate, in one process and one run.
//!
//! Run: `cargo run --release -p fieldbridge-bench --bin dlms_report [-- ITERATIONS]`.
//!
//! For instruction counts, `--callgrind DECODER KIND FRAMES` runs one decoder alone (DECODER
//! `view`, `view_items`, `owned`, `dlms_cosem`, `dlms_cosem_parse`, `ciphered`, `aes` or
//! `aes_rekeyed`; KIND
//! `profile`, `push`, `glo_profile` or `general_push`, as in the table) under
//! `valgrind --tool=callgrind --toggle-collect='*timed_loop*'`; divide the Ir by FRAMES.
//!
//! Each row decodes ITERATIONS frames (default 100,000) per round after a warm-up round; five
//! rounds each, alternating between the rows of a frame so that load changes on a shared
//! machine fall on all of them, are timed and the median is reported. Allocations are counted by
//! the global allocator below (`fieldbridge_bench::counting_alloc`) over one further round, with
//! the scratch buffers the timed rounds used (grown already, as in a long-running reader).

use fieldbridge_bench::counting_alloc::{allocations, CountingAlloc};
use fieldbridge_bench::dlms::{
    dlms_cosem_on_authenticated_push, verify, DecodeFn, DlmsKind, Row, Scratch, NOT_RUN, ROWS,
};
use fieldbridge_bench::report::{thousands, ROUNDS};
use std::hint::black_box;
use std::time::{Duration, Instant};

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

/// Frames per round when no ITERATIONS is given: the profile takes microseconds a frame.
const DEFAULT_ITERATIONS: u64 = 100_000;

/// Decodes `frame` `n` times with `decode`; not inlined, so that callgrind can count exactly
/// this loop (`--toggle-collect='*timed_loop*'`).
#[inline(never)]
fn timed_loop(decode: DecodeFn, frame: &[u8], scratch: &mut Scratch, n: u64) {
    for _ in 0..n {
        black_box(decode(black_box(frame), scratch));
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

/// Times every row of `kind`, rounds alternating between them; median of [`ROUNDS`].
fn measure(rows: &[Row], frame: &[u8], n: u64) -> Vec<Measurement> {
    let mut scratches: Vec<Scratch> = rows.iter().map(|_| Scratch::new(frame)).collect();
    for (row, scratch) in rows.iter().zip(&mut scratches) {
        timed_loop(row.decode, frame, scratch, n); // warm-up
    }
    let mut times = vec![Vec::<Duration>::with_capacity(ROUNDS); rows.len()];
    for _ in 0..ROUNDS {
        for (index, (row, scratch)) in rows.iter().zip(&mut scratches).enumerate() {
            let start = Instant::now();
            timed_loop(row.decode, frame, scratch, n);
            times[index].push(start.elapsed());
        }
    }
    rows.iter()
        .zip(&mut scratches)
        .zip(times)
        .map(|((row, scratch), mut times)| {
            times.sort();
            let before = allocations();
            timed_loop(row.decode, frame, scratch, n);
            let counted = allocations() - before;
            Measurement {
                frames_per_second: n as f64 / times[ROUNDS / 2].as_secs_f64(),
                allocations_per_frame: counted as f64 / n as f64,
            }
        })
        .collect()
}

fn iterations_arg(arg: Option<&String>) -> u64 {
    match arg {
        None => DEFAULT_ITERATIONS,
        Some(arg) => match arg.replace('_', "").parse::<u64>() {
            Ok(n) if n > 0 => n,
            _ => {
                eprintln!("usage: dlms_report [ITERATIONS]  (a positive integer)");
                std::process::exit(2);
            }
        },
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--callgrind") {
        std::process::exit(callgrind(&args[1..]));
    }
    let iterations = iterations_arg(args.first());
    for kind in DlmsKind::ALL {
        if let Err(mismatch) = verify(kind) {
            fail(&mismatch);
        }
    }

    println!("DLMS/COSEM APDU decode; median of {ROUNDS} rounds of {iterations} frames");
    println!("{}", machine());
    println!();
    println!(
        "| {:<50} | {:<36} | {:>11} | {:>8} | {:>11} | {:>10} |",
        "frame (APDU bytes)", "decoder", "frames/s", "MB/s", "alloc/frame", "first / it"
    );
    println!(
        "| {:-<50} | {:-<36} | {:->11} | {:->8} | {:->11} | {:->10} |",
        "", "", "", "", "", ""
    );
    let mut results: Vec<(Row, Measurement)> = Vec::new();
    for kind in DlmsKind::ALL {
        let frame = kind.frame();
        let rows: Vec<Row> = ROWS.iter().copied().filter(|r| r.kind == kind).collect();
        let measured = measure(&rows, &frame, iterations);
        let first = measured[0].frames_per_second;
        let label = format!("{} ({})", kind.description(), frame.len());
        for (row, m) in rows.iter().zip(&measured) {
            println!(
                "| {:<50} | {:<36} | {:>11} | {:>8.1} | {:>11.2} | {:>9.2}x |",
                label,
                row.name,
                thousands(m.frames_per_second),
                m.frames_per_second * frame.len() as f64 / 1e6,
                m.allocations_per_frame,
                first / m.frames_per_second,
            );
            results.push((*row, *m));
        }
        for (_, why) in NOT_RUN.iter().filter(|(k, _)| *k == kind) {
            println!("| {label:<50} | {why}");
        }
    }
    println!();
    println!("frames/s: frames decoded per second; MB/s: 10^6 APDU bytes per second;");
    println!("alloc/frame: heap allocations per frame; first / it: the first row's frames/s over this row's.");
    println!();
    println!("dlms_cosem 0.2.0 decodes only APDU tags 15 (DataNotification) and 219 (general-glo-ciphering)");
    println!(
        "and panics (unimplemented!) on any other tag and on array, unsigned and other Data types:"
    );
    println!("it is not run on the GET responses. Its general-glo-ciphering decryption is AES-CTR: it never");
    println!(
        "checks the GCM tag; on the push authenticated and encrypted (SC 0x30) it {}.",
        dlms_cosem_on_authenticated_push()
    );
    println!();

    let find = |kind: DlmsKind, short: &str| {
        results
            .iter()
            .find(|(r, _)| r.kind == kind && r.short == short)
            .map(|(_, m)| *m)
            .unwrap_or_else(|| fail("a row is missing"))
    };
    let view = find(DlmsKind::Push, "view");
    let peer = find(DlmsKind::Push, "dlms_cosem");
    let peer_parse = find(DlmsKind::Push, "dlms_cosem_parse");
    let profile_view = find(DlmsKind::Profile, "view");
    let ratio = view.frames_per_second / peer.frames_per_second;
    let zero = view.allocations_per_frame == 0.0 && profile_view.allocations_per_frame == 0.0;
    println!(
        "DataNotification view / dlms_cosem = {ratio:.2}x, {:.2} alloc/frame (profile view {:.2}): \
         target 3x: {}",
        view.allocations_per_frame,
        profile_view.allocations_per_frame,
        if ratio >= 3.0 && zero { "met" } else { "MISSED" }
    );
    println!(
        "  (against dlms_cosem's Apdu::parse alone, which reaches no value: {:.2}x; general-glo push \
         ciphered view / dlms_cosem: {:.2}x)",
        view.frames_per_second / peer_parse.frames_per_second,
        find(DlmsKind::GeneralPush, "ciphered").frames_per_second
            / find(DlmsKind::GeneralPush, "dlms_cosem").frames_per_second
    );
    let micros = |m: Measurement| 1e6 / m.frames_per_second;
    let ciphered = micros(find(DlmsKind::GloProfile, "ciphered"));
    let plain = micros(profile_view);
    let aes = micros(find(DlmsKind::GloProfile, "aes"));
    let aes_rekeyed = micros(find(DlmsKind::GloProfile, "aes_rekeyed"));
    let bound = plain + aes;
    println!(
        "ciphered load profile = {ciphered:.2} µs, plain + AES-GCM alone = {bound:.2} µs \
         ({plain:.2} + {aes:.2}), ratio {:.2}: target ≤ 1.3: {}",
        ciphered / bound,
        if ciphered / bound <= 1.3 {
            "met"
        } else {
            "MISSED"
        }
    );
    println!(
        "  (with a key schedule per frame in AES-GCM alone, as CipheredApdu::decrypt does: \
         {aes_rekeyed:.2} µs, ratio {:.2})",
        ciphered / (plain + aes_rekeyed)
    );
}

/// `--callgrind DECODER KIND FRAMES`: one row alone, for instruction counts.
fn callgrind(args: &[String]) -> i32 {
    let usage = "usage: dlms_report --callgrind view|view_items|owned|dlms_cosem|dlms_cosem_parse|\
                 ciphered|aes|aes_rekeyed profile|push|glo_profile|general_push FRAMES";
    let [decoder, kind, frames] = args else {
        eprintln!("{usage}");
        return 2;
    };
    let Some(row) = ROWS
        .iter()
        .find(|r| r.short == decoder && r.kind.name() == kind)
    else {
        eprintln!("{usage} (that decoder does not run on that frame)");
        return 2;
    };
    let Ok(frames) = frames.parse::<u64>() else {
        eprintln!("{usage}");
        return 2;
    };
    if let Err(mismatch) = verify(row.kind) {
        fail(&mismatch);
    }
    let frame = row.kind.frame();
    let mut scratch = Scratch::new(&frame);
    timed_loop(row.decode, &frame, &mut scratch, frames);
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
