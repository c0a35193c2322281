//! The command line.

use fieldbridge_bench::load::{CommandLine, Load};
use fieldbridge_bench::process::default_bridge;

#[derive(Debug)]
pub(crate) struct Args {
    pub(crate) load: Load,
    /// Also replay the JSON payloads with the bare publisher (the JSON / bare JSON line).
    pub(crate) json_bare: bool,
    /// The publisher side on CPU 0, the broker side on CPU 1 (`--pin`, the default).
    pub(crate) pin: bool,
}

const USAGE: &str = "\
usage: sparkplug_report [--bridge PATH] [--sources N] [--points N] [--poll-ms MS]
                        [--secs S] [--warmup-secs S] [--sync always|never|DURATION]
                        [--rounds N] [--no-json-bare] [--perf FILE] [--pin | --no-pin]
defaults: --bridge $CARGO_TARGET_DIR/release/fieldbridge (else target/release/fieldbridge),
4 sources x 125 points every 5 ms, 8 s window after 2 s warm-up, 3 rounds of
(bridge JSON, bridge Sparkplug, bare Sparkplug publisher, bare JSON publisher),
outbox sync \"200ms\" (the default). --no-json-bare leaves out the bare JSON publisher.
--pin (the default) runs the publisher side (this process and its bare publisher, the
bridge, the simulator) on CPU 0 and the broker side (mosquitto, the subscriber process)
on CPU 1, with taskset; --no-pin lets every process run anywhere.
--perf records the bridge with `perf record -g` during the first Sparkplug window
(for diagnosis; perf costs CPU itself, on the publisher's core with --pin).";

pub(crate) fn parse_args() -> Args {
    let mut a = Args {
        load: Load {
            bridge: default_bridge(),
            sources: 4,
            points: 125,
            poll_ms: 5,
            secs: 8,
            warmup_secs: 2,
            sync: "200ms".to_owned(),
            perf: None,
            rounds: 3,
        },
        json_bare: true,
        pin: true,
    };
    let mut args = CommandLine::new("sparkplug_report", USAGE);
    while let Some(flag) = args.next_flag() {
        match flag.as_str() {
            "--no-json-bare" => a.json_bare = false,
            "--pin" => a.pin = true,
            "--no-pin" => a.pin = false,
            "-h" | "--help" => args.fail(""),
            other => {
                if !a.load.take(other, &mut args) {
                    args.fail(&format!("unknown argument {other}"));
                }
            }
        }
    }
    a.load.check(&args);
    if a.pin && std::thread::available_parallelism().map_or(0, usize::from) < 2 {
        args.fail("--pin needs two CPUs (use --no-pin)");
    }
    a
}
