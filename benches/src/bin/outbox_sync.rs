//! The cost of each outbox sync policy: appends per second and microseconds per append of
//! ~250-byte records (the size of a bridge sample: topic and JSON payload), under
//! `SyncPolicy::Always`, `SyncPolicy::Interval(200 ms)` and `SyncPolicy::Never`.
//!
//! Run: `cargo run --release -p fieldbridge-bench --bin outbox_sync [-- [--records N]
//! [--always-secs S] [--rounds R] [--dir PATH]]`.
//!
//! Each round opens a fresh `Outbox` (default `Config`: 8 MiB segments, 256 MiB bound,
//! drop-oldest) in a new temporary folder under `--dir` (default: the system temp folder) and
//! times, with `Instant`:
//!
//! - **append**: `append(seq, record)` then `maybe_sync(Instant::now())`, as the bridge's delivery
//!   task does for every sample. `Always` fsyncs inside every append; `Interval` fsyncs in
//!   `maybe_sync` once 200 ms have passed; `Never` leaves write-back to the kernel (segment rolls
//!   and the cursor file still sync).
//! - **cycle**: the whole life of a sample in the outbox: `append`, `next_unsent_into`, `ack`,
//!   `maybe_sync`.
//!
//! `Interval` and `Never` run `--records` records (default 100,000); `Always` runs the same
//! count or until `--always-secs` (default 3 s) have passed, whichever comes first, since one
//! fsync per record is slow. Rounds (default 3) alternate between the policies and the median is
//! printed. The filesystem is shown with `df -T`.

#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use fieldbridge_outbox::{Config, Outbox, SyncPolicy};

/// One measured run: records done and the time they took.
#[derive(Debug, Clone, Copy)]
struct Timing {
    records: u64,
    elapsed: Duration,
}

impl Timing {
    fn per_sec(self) -> f64 {
        self.records as f64 / self.elapsed.as_secs_f64()
    }

    fn micros_each(self) -> f64 {
        self.elapsed.as_secs_f64() * 1e6 / self.records as f64
    }
}

#[derive(Debug)]
struct Args {
    records: u64,
    always_budget: Duration,
    rounds: usize,
    dir: PathBuf,
}

fn parse_args() -> Args {
    let mut args = Args {
        records: 100_000,
        always_budget: Duration::from_secs(3),
        rounds: 3,
        dir: std::env::temp_dir(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .unwrap_or_else(|| usage(&format!("{flag} needs a value")))
        };
        match flag.as_str() {
            "--records" => args.records = value().parse().unwrap_or_else(|_| usage("--records N")),
            "--always-secs" => {
                args.always_budget = Duration::from_secs_f64(
                    value().parse().unwrap_or_else(|_| usage("--always-secs S")),
                );
            }
            "--rounds" => args.rounds = value().parse().unwrap_or_else(|_| usage("--rounds R")),
            "--dir" => args.dir = PathBuf::from(value()),
            "-h" | "--help" => usage(""),
            other => usage(&format!("unknown argument {other}")),
        }
    }
    args.rounds = args.rounds.max(1);
    args.records = args.records.max(1);
    args
}

fn usage(problem: &str) -> ! {
    if !problem.is_empty() {
        eprintln!("outbox_sync: {problem}");
    }
    eprintln!(
        "usage: outbox_sync [--records N] [--always-secs S] [--rounds R] [--dir PATH]\n\
         (default 100000 records, 3 s budget for Always, 3 rounds, the system temp folder)"
    );
    std::process::exit(2)
}

/// A record as the bridge writes it (`u16 LE topic length | topic | JSON payload`), in the
/// bridge's sample format, about 250 bytes.
fn record(seq: u64, buf: &mut Vec<u8>) {
    let point = seq % 125;
    let topic = format!("fieldbridge/plant-1/meter-7/energy_{point}");
    let json = format!(
        "{{\"seq\":{seq},\"value\":{v}.25,\"quality\":\"good\",\
         \"received\":\"2026-11-24T10:00:00.123Z\",\"unit\":\"kWh\",\"source\":{{\"device\":\"meter-7\",\
         \"protocol\":\"modbus\",\"unit\":1,\"table\":\"holding\",\"address\":{a},\"type\":\"f32\",\
         \"word_order\":\"abcd\"}}}}",
        v = seq % 100_000,
        a = 200 + 2 * point
    );
    buf.clear();
    let len = u16::try_from(topic.len()).unwrap_or(u16::MAX);
    buf.extend_from_slice(&len.to_le_bytes());
    buf.extend_from_slice(topic.as_bytes());
    buf.extend_from_slice(json.as_bytes());
}

/// Pre-built records, so formatting is not timed.
fn records(n: u64) -> Vec<Vec<u8>> {
    (1..=n)
        .map(|seq| {
            let mut buf = Vec::with_capacity(260);
            record(seq, &mut buf);
            buf
        })
        .collect()
}

fn open(dir: &tempfile::TempDir, sync: SyncPolicy) -> Outbox {
    let config = Config {
        sync,
        ..Config::default()
    };
    match Outbox::open(&dir.path().join("outbox"), config) {
        Ok((outbox, _recovery)) => outbox,
        Err(e) => panic!("cannot open an outbox in {}: {e}", dir.path().display()),
    }
}

/// Appends (and, with `cycle`, reads back and acknowledges) up to `records.len()` records, or
/// until `budget` has passed.
fn run(
    base: &std::path::Path,
    sync: SyncPolicy,
    recs: &[Vec<u8>],
    budget: Duration,
    cycle: bool,
) -> Timing {
    let dir = tempfile::Builder::new()
        .prefix("fb-outbox-sync-")
        .tempdir_in(base)
        .expect("temporary folder for the outbox");
    let mut outbox = open(&dir, sync);
    let mut buf = Vec::with_capacity(512);
    let start = Instant::now();
    let mut done = 0u64;
    for (i, rec) in recs.iter().enumerate() {
        let seq = i as u64 + 1;
        if let Err(e) = outbox.append(seq, rec) {
            panic!("append {seq}: {e}");
        }
        if cycle {
            match outbox.next_unsent_into(&mut buf) {
                Ok(Some(info)) => {
                    assert_eq!(info.seq, seq, "read back in order");
                    if let Err(e) = outbox.ack(info.seq) {
                        panic!("ack {seq}: {e}");
                    }
                }
                other => panic!("read back {seq}: {other:?}"),
            }
        }
        if let Err(e) = outbox.maybe_sync(Instant::now()) {
            panic!("maybe_sync: {e}");
        }
        done += 1;
        // Checking the clock every 64 records keeps the check out of the measurement.
        if done.is_multiple_of(64) && start.elapsed() >= budget {
            break;
        }
    }
    let elapsed = start.elapsed();
    if let Err(e) = outbox.close() {
        panic!("close: {e}");
    }
    Timing {
        records: done,
        elapsed,
    }
}

fn median(mut v: Vec<Timing>) -> Timing {
    v.sort_by(|a, b| a.per_sec().total_cmp(&b.per_sec()));
    v[v.len() / 2]
}

fn filesystem(path: &std::path::Path) -> String {
    match Command::new("df").arg("-T").arg(path).output() {
        Ok(out) => {
            let text = String::from_utf8_lossy(&out.stdout);
            text.lines().nth(1).map_or_else(
                || "unknown".to_owned(),
                |line| {
                    let f: Vec<&str> = line.split_whitespace().collect();
                    match f.as_slice() {
                        [dev, fstype, .., mount] => format!("{dev} ({fstype}) mounted on {mount}"),
                        _ => line.to_owned(),
                    }
                },
            )
        }
        Err(e) => format!("unknown (df: {e})"),
    }
}

fn main() {
    let args = parse_args();
    let recs = records(args.records);
    let mean_len = recs.iter().map(Vec::len).sum::<usize>() as f64 / recs.len() as f64;
    let policies = [
        ("Always", SyncPolicy::Always),
        (
            "Interval(200ms)",
            SyncPolicy::Interval(Duration::from_millis(200)),
        ),
        ("Never", SyncPolicy::Never),
    ];
    let forever = Duration::from_secs(3600);
    let budget = |p: SyncPolicy| {
        if p == SyncPolicy::Always {
            args.always_budget
        } else {
            forever
        }
    };

    // Warm-up: page cache, allocator, the folder's metadata.
    for (_, p) in policies {
        run(
            &args.dir,
            p,
            &recs[..recs.len().min(5_000)],
            Duration::from_millis(300),
            false,
        );
    }

    let mut append: Vec<Vec<Timing>> = vec![Vec::new(); policies.len()];
    let mut cycle: Vec<Vec<Timing>> = vec![Vec::new(); policies.len()];
    for _ in 0..args.rounds {
        for (i, (_, p)) in policies.iter().enumerate() {
            append[i].push(run(&args.dir, *p, &recs, budget(*p), false));
            cycle[i].push(run(&args.dir, *p, &recs, budget(*p), true));
        }
    }

    println!(
        "outbox sync policies: {} records of {mean_len:.0} bytes (Always: at most {:.1} s), \
         median of {} rounds",
        args.records,
        args.always_budget.as_secs_f64(),
        args.rounds
    );
    println!("filesystem: {}", filesystem(&args.dir));
    println!(
        "example record: {}",
        String::from_utf8_lossy(&recs[recs.len() / 2][2..])
    );
    println!();
    println!(
        "| policy | records | appends/s | µs/append | cycles/s | µs/cycle (append+read+ack) |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for (i, (name, _)) in policies.iter().enumerate() {
        let a = median(append[i].clone());
        let c = median(cycle[i].clone());
        println!(
            "| {name} | {} | {:.0} | {:.2} | {:.0} | {:.2} |",
            a.records,
            a.per_sec(),
            a.micros_each(),
            c.per_sec(),
            c.micros_each()
        );
    }
}
