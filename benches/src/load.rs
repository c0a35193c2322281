//! The command line of the end-to-end reports (`e2e_report`, `sparkplug_report`): the load they
//! offer the bridge and how long they measure it, and the flag parsing they share.

use std::path::PathBuf;
use std::str::FromStr;

/// The load offered to the bridge and the measurement windows: the flags both reports take.
#[derive(Debug, Clone)]
pub struct Load {
    /// The `fieldbridge` binary measured (`--bridge`).
    pub bridge: PathBuf,
    /// Modbus sources, each a connection to the simulator (`--sources`).
    pub sources: u16,
    /// Points a source reads in one FC3 request, 1 to 125 (`--points`).
    pub points: u16,
    /// The poll period of every source, in ms (`--poll-ms`).
    pub poll_ms: u64,
    /// The measurement window of a phase, in s (`--secs`).
    pub secs: u64,
    /// The warm-up before each window, in s (`--warmup-secs`).
    pub warmup_secs: u64,
    /// The outbox's `sync` setting (`--sync`: always, never or a duration).
    pub sync: String,
    /// Where `perf record -g` writes its profile of the first window, if at all (`--perf`).
    pub perf: Option<PathBuf>,
    /// How many rounds of every phase (`--rounds`).
    pub rounds: usize,
}

impl Load {
    /// Samples per second the sources offer.
    pub fn offered_per_sec(&self) -> f64 {
        f64::from(self.sources) * f64::from(self.points) * 1000.0 / self.poll_ms as f64
    }

    /// Takes `flag` when it is one of the load's, its value from `args`; false when it is not.
    pub fn take(&mut self, flag: &str, args: &mut CommandLine) -> bool {
        match flag {
            "--bridge" => self.bridge = PathBuf::from(args.value(flag)),
            "--sources" => self.sources = args.parsed(flag),
            "--points" => self.points = args.parsed(flag),
            "--poll-ms" => self.poll_ms = args.parsed(flag),
            "--secs" => self.secs = args.parsed(flag),
            "--warmup-secs" => self.warmup_secs = args.parsed(flag),
            "--sync" => self.sync = args.value(flag),
            "--perf" => self.perf = Some(PathBuf::from(args.value(flag))),
            "--rounds" => self.rounds = args.parsed(flag),
            _ => return false,
        }
        true
    }

    /// Refuses (with the usage) values out of range and a bridge binary that is not there.
    pub fn check(&self, args: &CommandLine) {
        if self.sources == 0
            || self.points == 0
            || self.points > 125
            || self.poll_ms == 0
            || self.secs == 0
            || self.rounds == 0
        {
            args.fail(
                "--sources, --poll-ms, --secs and --rounds must be positive, --points 1..=125",
            );
        }
        if !self.bridge.is_file() {
            args.fail(&format!(
                "no bridge binary at {} (cargo build --release -p fieldbridge, or --bridge PATH)",
                self.bridge.display()
            ));
        }
    }
}

/// A report's arguments, read flag by flag; a mistake prints the problem and the usage and exits
/// with status 2.
#[derive(Debug)]
pub struct CommandLine {
    program: &'static str,
    usage: &'static str,
    args: std::vec::IntoIter<String>,
}

impl CommandLine {
    /// The process's arguments, for `program` whose usage text is `usage`.
    pub fn new(program: &'static str, usage: &'static str) -> CommandLine {
        let args: Vec<String> = std::env::args().skip(1).collect();
        CommandLine {
            program,
            usage,
            args: args.into_iter(),
        }
    }

    /// The next flag, or none at the end.
    pub fn next_flag(&mut self) -> Option<String> {
        self.args.next()
    }

    /// The value that follows `flag`.
    pub fn value(&mut self, flag: &str) -> String {
        match self.args.next() {
            Some(v) => v,
            None => self.fail(&format!("{flag} needs a value")),
        }
    }

    /// The value that follows `flag`, parsed.
    pub fn parsed<T: FromStr>(&mut self, flag: &str) -> T {
        let value = self.value(flag);
        value
            .parse()
            .unwrap_or_else(|_| self.fail(&format!("bad value for {flag}: {value}")))
    }

    /// Prints `problem` (unless empty) and the usage, and exits with status 2.
    pub fn fail(&self, problem: &str) -> ! {
        if !problem.is_empty() {
            eprintln!("{}: {problem}", self.program);
        }
        eprintln!("{}", self.usage);
        std::process::exit(2)
    }
}
