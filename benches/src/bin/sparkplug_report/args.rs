//! The command line.

use std::path::PathBuf;

use fieldbridge_bench::process::default_bridge;

#[derive(Debug)]
pub(crate) struct Args {
    pub(crate) bridge: PathBuf,
    pub(crate) sources: u16,
    pub(crate) points: u16,
    pub(crate) poll_ms: u64,
    pub(crate) secs: u64,
    pub(crate) warmup_secs: u64,
    pub(crate) sync: String,
    pub(crate) rounds: usize,
    /// Also replay the JSON payloads with the bare publisher (the JSON / bare JSON line).
    pub(crate) json_bare: bool,
    pub(crate) perf: Option<PathBuf>,
    /// The publisher side on CPU 0, the broker side on CPU 1 (`--pin`, the default).
    pub(crate) pin: bool,
}

fn usage(problem: &str) -> ! {
    if !problem.is_empty() {
        eprintln!("sparkplug_report: {problem}");
    }
    eprintln!(
        "usage: sparkplug_report [--bridge PATH] [--sources N] [--points N] [--poll-ms MS]\n\
         \x20                       [--secs S] [--warmup-secs S] [--sync always|never|DURATION]\n\
         \x20                       [--rounds N] [--no-json-bare] [--perf FILE] [--pin | --no-pin]\n\
         defaults: --bridge $CARGO_TARGET_DIR/release/fieldbridge (else target/release/fieldbridge),\n\
         4 sources x 125 points every 5 ms, 8 s window after 2 s warm-up, 3 rounds of\n\
         (bridge JSON, bridge Sparkplug, bare Sparkplug publisher, bare JSON publisher),\n\
         outbox sync \"200ms\" (the default). --no-json-bare leaves out the bare JSON publisher.\n\
         --pin (the default) runs the publisher side (this process and its bare publisher, the\n\
         bridge, the simulator) on CPU 0 and the broker side (mosquitto, the subscriber process)\n\
         on CPU 1, with taskset; --no-pin lets every process run anywhere.\n\
         --perf records the bridge with `perf record -g` during the first Sparkplug window\n\
         (for diagnosis; perf costs CPU itself, on the publisher's core with --pin)."
    );
    std::process::exit(2)
}

pub(crate) fn parse_args() -> Args {
    let mut a = Args {
        bridge: default_bridge(),
        sources: 4,
        points: 125,
        poll_ms: 5,
        secs: 8,
        warmup_secs: 2,
        sync: "200ms".to_owned(),
        rounds: 3,
        json_bare: true,
        perf: None,
        pin: true,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .unwrap_or_else(|| usage(&format!("{flag} needs a value")))
        };
        let bad = |what: &str| -> ! { usage(&format!("bad value for {what}")) };
        match flag.as_str() {
            "--bridge" => a.bridge = PathBuf::from(value()),
            "--sources" => a.sources = value().parse().unwrap_or_else(|_| bad("--sources")),
            "--points" => a.points = value().parse().unwrap_or_else(|_| bad("--points")),
            "--poll-ms" => a.poll_ms = value().parse().unwrap_or_else(|_| bad("--poll-ms")),
            "--secs" => a.secs = value().parse().unwrap_or_else(|_| bad("--secs")),
            "--warmup-secs" => {
                a.warmup_secs = value().parse().unwrap_or_else(|_| bad("--warmup-secs"));
            }
            "--sync" => a.sync = value(),
            "--rounds" => a.rounds = value().parse().unwrap_or_else(|_| bad("--rounds")),
            "--no-json-bare" => a.json_bare = false,
            "--perf" => a.perf = Some(PathBuf::from(value())),
            "--pin" => a.pin = true,
            "--no-pin" => a.pin = false,
            "-h" | "--help" => usage(""),
            other => usage(&format!("unknown argument {other}")),
        }
    }
    if a.sources == 0
        || a.points == 0
        || a.points > 125
        || a.poll_ms == 0
        || a.secs == 0
        || a.rounds == 0
    {
        usage("--sources, --poll-ms, --secs and --rounds must be positive, --points 1..=125");
    }
    if a.pin && std::thread::available_parallelism().map_or(0, usize::from) < 2 {
        usage("--pin needs two CPUs (use --no-pin)");
    }
    if !a.bridge.is_file() {
        usage(&format!(
            "no bridge binary at {} (cargo build --release -p fieldbridge, or --bridge PATH)",
            a.bridge.display()
        ));
    }
    a
}
