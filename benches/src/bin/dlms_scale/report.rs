//! The figures of one run and how they are printed: a Markdown table for
//! `docs/performance.md`, the comparison with the Gurux peer, and the failures.

use fieldbridge_bench::report::thousands;

use crate::measure::Counters;
use crate::Args;

/// CPU seconds (user + system) of each process at one moment, or used over a window.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Cpu {
    pub(crate) bridge: f64,
    /// All the simulators together.
    pub(crate) sims: f64,
    /// The busiest simulator.
    pub(crate) sim_max: f64,
    pub(crate) broker: f64,
    pub(crate) peer: f64,
    pub(crate) bench: f64,
    /// The machine's busy time, all cores.
    pub(crate) machine: f64,
}

impl Cpu {
    /// What was used between `earlier` and `self`. The busiest simulator is taken from both
    /// readings' maximum, an upper bound of its use over the window.
    pub(crate) fn minus(&self, earlier: &Cpu) -> Cpu {
        Cpu {
            bridge: self.bridge - earlier.bridge,
            sims: self.sims - earlier.sims,
            sim_max: self.sim_max - earlier.sim_max.min(self.sim_max),
            broker: self.broker - earlier.broker,
            peer: self.peer - earlier.peer,
            bench: self.bench - earlier.bench,
            machine: self.machine - earlier.machine,
        }
    }
}

/// What the Gurux peer did in the window.
#[derive(Debug, Clone, Default)]
pub(crate) struct PeerFigures {
    pub(crate) meters: usize,
    /// Meter reads completed.
    pub(crate) reads: u64,
    pub(crate) failed: u64,
    /// Values read, counted as the bridge publishes them.
    pub(crate) samples: u64,
    /// Profile entries read.
    pub(crate) rows: u64,
    /// APDUs sent.
    pub(crate) requests: u64,
    /// Its CPU seconds in the window by its own `time.process_time()`, when it reported them
    /// (else the /proc figure in [`Cpu::peer`] is used).
    pub(crate) cpu: Option<f64>,
    pub(crate) first_error: Option<String>,
}

/// The figures of one run.
#[derive(Debug, Clone, Default)]
pub(crate) struct Outcome {
    pub(crate) version: String,
    pub(crate) speed: u64,
    pub(crate) window: f64,
    /// From the bridge's start until every meter was online (or the limit).
    pub(crate) online_secs: f64,
    pub(crate) all_online: bool,
    pub(crate) never_online: usize,
    /// Meters not one sample came from.
    pub(crate) never_read: usize,
    pub(crate) offline_states: u64,
    /// Samples received in the window, by kind.
    pub(crate) registers: u64,
    pub(crate) clocks: u64,
    pub(crate) offsets: u64,
    pub(crate) profile: u64,
    /// Samples in the window whose quality was not good.
    pub(crate) bad: u64,
    /// The bridge's counters over the window.
    pub(crate) counters: Counters,
    /// The bridge's counters at the window's end.
    pub(crate) counters_total: Counters,
    pub(crate) rss_steady_kib: f64,
    pub(crate) rss_peak_kib: f64,
    pub(crate) hwm_kib: f64,
    pub(crate) anon_kib: f64,
    pub(crate) file_kib: f64,
    pub(crate) threads: u64,
    /// CPU seconds used in the window.
    pub(crate) cpu: Cpu,
    /// Other processes' CPU in the window, % of one core, by name.
    pub(crate) others: Vec<(String, f64)>,
    pub(crate) peer: Option<PeerFigures>,
}

impl Outcome {
    fn samples(&self) -> u64 {
        self.registers + self.clocks + self.offsets + self.profile
    }
}

fn mib(kib: f64) -> f64 {
    kib / 1024.0
}

/// The date and the machine, for the figures' heading.
fn machine() -> String {
    let date = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")?
                .split_once(':')
                .map(|(_, m)| m.trim())
        })
        .unwrap_or("?")
        .to_owned();
    format!(
        "{date}, {model}, {} CPUs",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    )
}

pub(crate) fn print(args: &Args, o: &Outcome) {
    let modified = std::fs::metadata(&args.bridge)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs());
    println!("\n## dlms_scale\n");
    println!(
        "{}; bridge {} (modified at unix {modified}); {}",
        machine(),
        args.bridge.display(),
        o.version
    );
    println!(
        "\n**mode: {}**",
        if args.profile {
            format!(
                "registers, clock and load profile (1.0.99.1.0.255 class 7 attribute 2, {} new \
                 entries a poll)",
                args.entries
            )
        } else {
            "--no-profile: registers and clock only, no load profile".to_owned()
        }
    );
    println!(
        "\n{} meters over {} on {} simulator processes ({} associations each; a process is one \
         simulated meter shared by its associations), authentication none, no ciphering (the \
         simulator keeps one replay guard per client SAP for the whole process: a hundred \
         ciphered associations of SAP 16 would refuse each other's frame counters). Each source \
         reads 1.0.1.8.0.255 and 1.0.2.8.0.255 (class 3, scaler_unit and value), the clock \
         0.0.1.0.0.255 (class 8){} every {} s, each poll one cycle (connect, associate, read, \
         release, close). Simulators: capture period {} s, speed \
         {} (simulated seconds per second), history {}.",
        thousands(args.meters as f64),
        if args.hdlc {
            "HDLC over TCP"
        } else {
            "the TCP wrapper"
        },
        args.sims(),
        args.per_sim,
        if args.profile {
            " and the load profile by range"
        } else {
            ""
        },
        args.poll,
        args.period,
        o.speed,
        args.entries
    );
    let c = &o.cpu;
    let pct = |s: f64| s / o.window * 100.0;
    let samples = o.samples();
    println!(
        "\n| meters | poll s | window s | samples/s at the subscriber | meter reads | samples a read | RSS steady MiB | peak / VmHWM MiB | RssAnon / RssFile MiB | KiB a meter: steady / VmHWM / RssAnon | threads | CPU % of one core: bridge / simulators (busiest) / mosquitto / Gurux / bench | machine busy % (of {}) |",
        std::thread::available_parallelism().map_or(0, |n| n.get()) * 100
    );
    println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    let per_meter = |kib: f64| kib / args.meters as f64;
    println!(
        "| {} | {} | {:.0} | {:.1} | {} | {:.1} | {:.1} | {:.1} / {:.1} | {:.1} / {:.1} | {:.1} / {:.1} / {:.1} | {} | {:.1} / {:.1} ({:.1}) / {:.1} / {:.1} / {:.1} | {:.1} |",
        thousands(args.meters as f64),
        args.poll,
        o.window,
        samples as f64 / o.window,
        thousands(o.clocks as f64),
        samples as f64 / o.clocks.max(1) as f64,
        mib(o.rss_steady_kib),
        mib(o.rss_peak_kib),
        mib(o.hwm_kib),
        mib(o.anon_kib),
        mib(o.file_kib),
        per_meter(o.rss_steady_kib),
        per_meter(o.hwm_kib),
        per_meter(o.anon_kib),
        o.threads,
        pct(c.bridge),
        pct(c.sims),
        pct(c.sim_max),
        pct(c.broker),
        pct(c.peer),
        pct(c.bench),
        pct(c.machine),
    );
    print_peer(args, o);
    println!();
    let k = &o.counters;
    println!(
        "- samples in the window: {} registers, {} clock, {} clock offset, {} profile columns; \
         {} not good",
        thousands(o.registers as f64),
        thousands(o.clocks as f64),
        thousands(o.offsets as f64),
        thousands(o.profile as f64),
        thousands(o.bad as f64),
    );
    println!(
        "- failed polls in the window (the bridge's metrics): {} ({} timeouts, {} negative \
         answers (data-access-result), {} undecodable); {} reconnects; {} offline `$state` \
         during the run; {} field requests",
        k.errors(),
        k.timeouts,
        k.exceptions,
        k.decode,
        k.reconnects,
        o.offline_states,
        thousands(k.requests),
    );
    println!(
        "- meters online: {} {:.1} s after the bridge started; never online: {}; never a \
         sample: {}",
        if o.all_online {
            "all"
        } else {
            "not all within"
        },
        o.online_secs,
        o.never_online,
        o.never_read,
    );
    println!(
        "- the bridge's outbox in the window: {} samples in, {} published, {} acknowledged; \
         {} pending at its end",
        thousands(k.samples_in),
        thousands(k.published),
        thousands(k.acked),
        thousands(o.counters_total.outbox_pending),
    );
    let busy: Vec<String> = o
        .others
        .iter()
        .filter(|(_, p)| *p >= 0.5)
        .take(6)
        .map(|(n, p)| format!("{n} {p:.1} %"))
        .collect();
    let visible: f64 = o.others.iter().map(|(_, p)| p).sum();
    let ours = pct(c.bridge + c.sims + c.broker + c.peer + c.bench);
    println!(
        "- what else ran in the window, % of one core: the machine was busy {:.1} %, this \
         run's processes {ours:.1} %, other processes in sight {visible:.1} % ({}), and {:.1} % \
         unattributed: processes out of sight (other containers on the same cores) or that \
         started and ended within the window",
        pct(c.machine),
        if busy.is_empty() {
            "none above 0.5 %".to_owned()
        } else {
            busy.join(", ")
        },
        (pct(c.machine) - ours - visible).max(0.0)
    );
}

/// The bridge against the Gurux client, per meter read and per 1,000 samples.
fn print_peer(args: &Args, o: &Outcome) {
    let Some(p) = &o.peer else {
        println!("\nno Gurux peer in this run");
        return;
    };
    // Its own nanosecond clock where it reported one: its figure is small, and /proc counts
    // in ticks of 10 ms.
    let peer_cpu = p.cpu.unwrap_or(o.cpu.peer);
    let bridge_reads = o.clocks as f64;
    let bridge_samples = o.samples() as f64;
    let per_read = |cpu: f64, reads: f64| cpu * 1000.0 / reads.max(1.0);
    let per_k = |cpu: f64, samples: f64| cpu * 1000.0 / samples.max(1.0);
    let (b_read, g_read) = (
        per_read(o.cpu.bridge, bridge_reads),
        per_read(peer_cpu, p.reads as f64),
    );
    let (b_k, g_k) = (
        per_k(o.cpu.bridge, bridge_samples),
        per_k(peer_cpu, p.samples as f64),
    );
    println!(
        "\n| client | meters | reads in the window | requests a read | samples | of which profile values | CPU s | CPU ms a meter read | CPU s per 1,000 samples |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    println!(
        "| fieldbridge (read, normalise, outbox, MQTT) | {} | {} | {:.1} | {} | {} | {:.3} | {:.3} | {:.4} |",
        thousands(args.meters.saturating_sub(o.never_read) as f64),
        thousands(bridge_reads),
        o.counters.requests / bridge_reads.max(1.0),
        thousands(bridge_samples),
        thousands(o.profile as f64),
        o.cpu.bridge,
        b_read,
        b_k,
    );
    println!(
        "| Gurux gurux-dlms (read and decode only) | {} | {} | {:.1} | {} | {} | {:.3} | {:.3} | {:.4} |",
        p.meters,
        thousands(p.reads as f64),
        p.requests as f64 / p.reads.max(1) as f64,
        thousands(p.samples as f64),
        thousands(2.0 * p.rows as f64),
        peer_cpu,
        g_read,
        g_k,
    );
    println!(
        "| **Gurux / fieldbridge** | | | | | | | **{:.1}×** | **{:.1}×** |",
        g_read / b_read,
        g_k / b_k
    );
    println!(
        "\nCPU: the bridge's from /proc (user + system, clock ticks of 10 ms); Gurux's {}, \
         /proc says {:.2} s. Samples: the bridge's as received by the subscriber; Gurux's the \
         values it read, counted as the bridge publishes them (two per clock read, time and \
         offset; two energy columns per profile entry, whose capture time is their `ts`).",
        if p.cpu.is_some() {
            "from its own time.process_time() (nanoseconds)"
        } else {
            "from /proc too (it reported no CPU time)"
        },
        o.cpu.peer
    );
    if p.failed > 0 {
        println!(
            "\nthe Gurux peer failed {} reads in the window (first error: {})",
            p.failed,
            p.first_error.as_deref().unwrap_or("?")
        );
    }
}
