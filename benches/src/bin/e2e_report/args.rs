//! The command line.

use fieldbridge_bench::load::{CommandLine, Load};
use fieldbridge_bench::process::default_bridge;

#[derive(Debug)]
pub(crate) struct Args {
    pub(crate) load: Load,
    /// The phase at a nominal load, in s.
    pub(crate) nominal_secs: u64,
}

const USAGE: &str = "\
usage: e2e_report [--bridge PATH] [--sources N] [--points N] [--poll-ms MS] [--secs S]
                  [--nominal-secs S] [--warmup-secs S] [--sync always|never|DURATION]
                  [--rounds N] [--perf FILE]
defaults: --bridge $CARGO_TARGET_DIR/release/fieldbridge (else target/release/fieldbridge),
4 sources x 125 points every 10 ms, 15 s window after 3 s warm-up, 2 rounds of
(bridge, bare publisher), 10 s nominal phase, outbox sync \"200ms\" (the default).
--perf records the bridge with `perf record -g` during the first saturation window
(for diagnosis; perf costs CPU itself).";

pub(crate) fn parse_args() -> Args {
    let mut a = Args {
        load: Load {
            bridge: default_bridge(),
            sources: 4,
            points: 125,
            poll_ms: 10,
            secs: 15,
            warmup_secs: 3,
            sync: "200ms".to_owned(),
            perf: None,
            rounds: 2,
        },
        nominal_secs: 10,
    };
    let mut args = CommandLine::new("e2e_report", USAGE);
    while let Some(flag) = args.next_flag() {
        match flag.as_str() {
            "--nominal-secs" => a.nominal_secs = args.parsed(&flag),
            "-h" | "--help" => args.fail(""),
            other => {
                if !a.load.take(other, &mut args) {
                    args.fail(&format!("unknown argument {other}"));
                }
            }
        }
    }
    a.load.check(&args);
    a
}
