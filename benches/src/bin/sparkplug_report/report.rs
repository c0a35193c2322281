//! The report: a table row per phase, then each round's ratios, their medians and the bytes per
//! sample of both formats.

use fieldbridge_bench::report::thousands;
use fieldbridge_sparkplug::proto::Payload;
use prost::Message as _;

use crate::phases::PhaseResult;
use crate::pinning::{BROKER_CPU, PUBLISHER_CPU};
use crate::subscriber::Counts;
use crate::Env;

/// A core this busy or more is saturated; below [`IDLE_ENOUGH`] on both, neither side limits.
const SATURATED: f64 = 0.95;
const IDLE_ENOUGH: f64 = 0.90;

/// One round: the bridge in both formats, the bare publisher of Sparkplug payloads and, unless
/// `--no-json-bare`, of JSON payloads.
#[derive(Debug)]
pub(crate) struct Round {
    pub(crate) json: PhaseResult,
    pub(crate) sparkplug: PhaseResult,
    pub(crate) bare_sparkplug: PhaseResult,
    pub(crate) bare_json: Option<PhaseResult>,
}

/// What the report says about the run besides the phases.
#[derive(Debug)]
pub(crate) struct Run<'a> {
    pub(crate) broker_version: &'a str,
    pub(crate) load_before: String,
    pub(crate) load_after: String,
    /// The CPUs each long-lived process may run on.
    pub(crate) affinity: String,
    pub(crate) json_payloads: &'a [(String, Vec<u8>)],
    pub(crate) ddata_payloads: &'a [(String, Vec<u8>)],
}

fn mib(bytes: Option<u64>) -> String {
    bytes.map_or_else(
        || "–".to_owned(),
        |b| format!("{:.1}", b as f64 / f64::from(1 << 20)),
    )
}

fn opt(v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_owned(), thousands)
}

/// The CPU milliseconds per 1,000 samples of each process and of the rest of the machine:
/// bridge / simulator / bench / mosquitto / subscriber / other.
fn cpu_per_1000(r: &PhaseResult) -> [f64; 6] {
    let c = &r.cpu;
    [
        c.bridge,
        c.simulator,
        c.bench,
        c.broker,
        c.subscriber,
        c.other(),
    ]
    .map(|s| r.ms_per_1000(s))
}

/// Which side limited a phase, from how busy each core was; with `--no-pin` the cores say
/// nothing about the sides, only whether the machine was full.
fn bottleneck(r: &PhaseResult, pinned: bool) -> &'static str {
    let (p, b) = (r.core_busy(PUBLISHER_CPU), r.core_busy(BROKER_CPU));
    if !pinned {
        return if p.min(b) >= SATURATED {
            "machine (unpinned)"
        } else {
            "– (unpinned)"
        };
    }
    if p.max(b) < IDLE_ENOUGH {
        "neither"
    } else if p.min(b) >= SATURATED {
        "both"
    } else if p >= b {
        "publisher (CPU 0)"
    } else {
        "broker (CPU 1)"
    }
}

fn row(round: usize, r: &PhaseResult, pinned: bool) -> String {
    let mut name = r.name();
    if !r.complete {
        name.push_str(" (INCOMPLETE: not every message arrived)");
    }
    let cpu = cpu_per_1000(r).map(|v| format!("{v:.1}")).join(" / ");
    format!(
        "| {round} | {name} | {} | {} | {} | {:.1} | {:.1} | {cpu} | {:.0} / {:.0} | {} | {} / {} |",
        thousands(r.rate()),
        opt(r.polled),
        opt(r.backlog_growth),
        r.payload_per_sample(),
        r.wire_per_sample(),
        100.0 * r.core_busy(PUBLISHER_CPU),
        100.0 * r.core_busy(BROKER_CPU),
        bottleneck(r, pinned),
        mib(r.rss_peak),
        mib(r.hwm),
    )
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn total(phases: &[&PhaseResult]) -> Counts {
    let mut t = Counts::default();
    for p in phases {
        let c = &p.counts;
        t.json_messages += c.json_messages;
        t.json_payload += c.json_payload;
        t.json_topic += c.json_topic;
        t.json_wire += c.json_wire;
        t.ddata_messages += c.ddata_messages;
        t.ddata_metrics += c.ddata_metrics;
        t.ddata_payload += c.ddata_payload;
        t.ddata_topic += c.ddata_topic;
        t.ddata_wire += c.ddata_wire;
        t.births += c.births;
        t.undecodable += c.undecodable;
    }
    t
}

fn per(a: u64, b: u64) -> f64 {
    a as f64 / b as f64
}

/// A DDATA payload in a line: its seq and, per metric, alias, value and property keys.
fn describe_ddata(payload: &[u8]) -> String {
    let Ok(p) = Payload::decode(payload) else {
        return "(does not decode)".to_owned();
    };
    let metrics: Vec<String> = p
        .metrics
        .iter()
        .map(|m| {
            let props = m
                .properties
                .as_ref()
                .map(|s| s.keys.join(","))
                .unwrap_or_default();
            format!(
                "alias {:?} name {:?} timestamp {:?} value {:?} properties [{props}]",
                m.alias, m.name, m.timestamp, m.value
            )
        })
        .collect();
    format!(
        "payload seq {:?}, timestamp {:?}, metrics: {}",
        p.seq,
        p.timestamp,
        metrics.join("; ")
    )
}

/// The phases of one kind across the rounds.
fn kinds(rounds: &[Round]) -> Vec<(&'static str, Vec<&PhaseResult>)> {
    let mut k = vec![
        ("bridge JSON", rounds.iter().map(|r| &r.json).collect()),
        (
            "bridge Sparkplug",
            rounds.iter().map(|r| &r.sparkplug).collect(),
        ),
        (
            "bare Sparkplug",
            rounds.iter().map(|r| &r.bare_sparkplug).collect(),
        ),
    ];
    let bare_json: Vec<&PhaseResult> = rounds.iter().filter_map(|r| r.bare_json.as_ref()).collect();
    if !bare_json.is_empty() {
        k.push(("bare JSON", bare_json));
    }
    k
}

fn print_header(env: &Env, run: &Run<'_>, rounds: &[Round], offered: f64) {
    let a = &env.args;
    let topics = |p: &[(String, Vec<u8>)]| {
        p.iter()
            .map(|(t, _)| t.as_str())
            .collect::<std::collections::HashSet<_>>()
            .len()
    };
    println!();
    println!("fieldbridge Sparkplug B report");
    println!(
        "broker: {} on 127.0.0.1 (max_queued_messages 0, max_inflight_messages 256); bridge: {}; \
         outbox sync \"{}\"; CPUs {}; load average before {} / after {}",
        run.broker_version,
        a.load.bridge.display(),
        a.load.sync,
        std::fs::read_to_string("/proc/stat").map_or(0, |t| t
            .lines()
            .filter(|l| l.starts_with("cpu"))
            .count()
            - 1),
        run.load_before,
        run.load_after,
    );
    let bridge_cpus = rounds
        .first()
        .and_then(|r| r.json.bridge_cpus.clone())
        .unwrap_or_default();
    println!(
        "placement: {}; allowed CPUs: {}, bridge {bridge_cpus}",
        if a.pin {
            "--pin: publisher side (bench with its bare publisher, bridge, simulator) on CPU 0, \
             broker side (mosquitto, subscriber) on CPU 1"
        } else {
            "--no-pin: every process on any CPU"
        },
        run.affinity,
    );
    println!(
        "load: {} sources x {} holding registers every {} ms ({} samples/s offered); window {} s \
         after {} s of warm-up; {} rounds",
        a.load.sources,
        a.load.points,
        a.load.poll_ms,
        thousands(offered),
        a.load.secs,
        a.load.warmup_secs,
        rounds.len()
    );
    println!(
        "replayed by the bare publisher: {} JSON sample messages ({} topics), {} DDATA ({} topics), \
         the first of round 1's windows",
        run.json_payloads.len(),
        topics(run.json_payloads),
        run.ddata_payloads.len(),
        topics(run.ddata_payloads),
    );
    if let (Some((jt, jp)), Some((st, sp))) =
        (run.json_payloads.first(), run.ddata_payloads.first())
    {
        println!(
            "e.g. {jt} ({} bytes) {}",
            jp.len(),
            String::from_utf8_lossy(jp)
        );
        println!("e.g. {st} ({} bytes) {}", sp.len(), describe_ddata(sp));
    }
    println!();
    println!(
        "| round | phase | samples/s received | samples/s taken in | outbox backlog growth samples/s | payload B/sample | PUBLISH B/sample | CPU ms per 1,000 samples: bridge / simulator / bench / mosquitto / subscriber / other | busy %: CPU 0 / CPU 1 | bottleneck | bridge RSS peak / VmHWM MiB |"
    );
    println!("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |");
    for (i, r) in rounds.iter().enumerate() {
        println!("{}", row(i + 1, &r.json, a.pin));
        println!("{}", row(i + 1, &r.sparkplug, a.pin));
        println!("{}", row(i + 1, &r.bare_sparkplug, a.pin));
        if let Some(b) = &r.bare_json {
            println!("{}", row(i + 1, b, a.pin));
        }
    }
    println!();
}

/// Prints the report of a run.
pub(crate) fn print(env: &Env, run: &Run<'_>, rounds: &[Round]) {
    let a = &env.args;
    let offered = a.load.offered_per_sec();
    print_header(env, run, rounds, offered);

    let mut spb_ratios = Vec::new();
    let mut json_ratios = Vec::new();
    for (i, r) in rounds.iter().enumerate() {
        let spb = r.sparkplug.rate() / r.bare_sparkplug.rate();
        spb_ratios.push(spb);
        let mut line = format!(
            "round {}: Sparkplug / bare Sparkplug = {spb:.2} ({} / {} samples/s; bridge took in \
             {}/s, outbox backlog {:+.0}/s; bare: PUBACKed at {}/s)",
            i + 1,
            thousands(r.sparkplug.rate()),
            thousands(r.bare_sparkplug.rate()),
            opt(r.sparkplug.polled),
            r.sparkplug.backlog_growth.unwrap_or(f64::NAN),
            opt(r.bare_sparkplug.publish_rate),
        );
        if let Some(b) = &r.bare_json {
            let json = r.json.rate() / b.rate();
            json_ratios.push(json);
            line.push_str(&format!(
                "; JSON / bare JSON = {json:.2} ({} / {})",
                thousands(r.json.rate()),
                thousands(b.rate())
            ));
        }
        line.push_str(&format!(
            "; bridge Sparkplug / bridge JSON = {:.2}",
            r.sparkplug.rate() / r.json.rate()
        ));
        println!("{line}");
    }
    let med = |f: &dyn Fn(&Round) -> Option<f64>| median(rounds.iter().filter_map(f).collect());
    let bare_json = med(&|r| r.bare_json.as_ref().map(PhaseResult::rate));
    println!(
        "median samples/s of {} rounds: bridge JSON {}, bridge Sparkplug {}, bare Sparkplug {}{}",
        rounds.len(),
        thousands(med(&|r| Some(r.json.rate()))),
        thousands(med(&|r| Some(r.sparkplug.rate()))),
        thousands(med(&|r| Some(r.bare_sparkplug.rate()))),
        if bare_json.is_nan() {
            String::new()
        } else {
            format!(", bare JSON {}", thousands(bare_json))
        }
    );
    let spb = median(spb_ratios);
    println!(
        "Sparkplug / bare Sparkplug publisher, median of the rounds' ratios: {spb:.2} (target ≥ \
         0.90: {}; {})",
        if spb >= 0.9 { "met" } else { "NOT met" },
        if a.pin {
            "pinned: publisher side on CPU 0, broker side on CPU 1"
        } else {
            "unpinned"
        }
    );
    if !json_ratios.is_empty() {
        println!(
            "JSON / bare JSON publisher, median of the rounds' ratios: {:.2}",
            median(json_ratios)
        );
    }
    let bare_spb = med(&|r| Some(r.bare_sparkplug.rate()));
    if bare_spb > offered {
        println!(
            "note: the bare Sparkplug publisher ({}/s) is faster than the load offered to the \
             bridge ({}/s), which the bridge cannot exceed: the ratio's ceiling here is {:.2}",
            thousands(bare_spb),
            thousands(offered),
            offered / bare_spb
        );
    }
    let starved = rounds
        .iter()
        .flat_map(|r| [&r.json, &r.sparkplug])
        .filter(|p| p.backlog_growth.is_some_and(|g| g <= 0.0))
        .count();
    println!(
        "saturation: {}",
        if starved == 0 {
            "the bridge's outbox backlog grew in every bridge window (it took in more than it \
             published)"
                .to_owned()
        } else {
            format!(
                "in {starved} bridge window(s) the outbox backlog did NOT grow: the bridge was \
                 short of input there, not at saturation"
            )
        }
    );

    let json: Vec<&PhaseResult> = rounds.iter().map(|r| &r.json).collect();
    let sparkplug: Vec<&PhaseResult> = rounds.iter().map(|r| &r.sparkplug).collect();
    let (j, s) = (total(&json), total(&sparkplug));
    let json_payload = per(j.json_payload, j.json_messages);
    let spb_payload = per(s.ddata_payload, s.ddata_metrics);
    println!(
        "payload bytes per sample (bridge windows, all rounds): JSON {json_payload:.1} (topic \
         {:.1} B a message, one sample a message); Sparkplug {spb_payload:.1} DDATA bytes a metric \
         (topic {:.1} B a message, {:.2} metrics a DDATA); Sparkplug / JSON = {:.2}",
        per(j.json_topic, j.json_messages),
        per(s.ddata_topic, s.ddata_messages),
        per(s.ddata_metrics, s.ddata_messages),
        spb_payload / json_payload,
    );
    println!(
        "MQTT PUBLISH bytes per sample (fixed header, topic, packet id, payload): JSON {:.1}, \
         Sparkplug {:.1}",
        per(j.json_wire, j.json_messages),
        per(s.ddata_wire, s.ddata_metrics),
    );
    let kinds = kinds(rounds);
    let cpu: Vec<String> = kinds
        .iter()
        .map(|(name, phases)| {
            let m: Vec<String> = (0..6)
                .map(|k| {
                    let v = median(phases.iter().map(|p| cpu_per_1000(p)[k]).collect());
                    format!("{v:.1}")
                })
                .collect();
            format!("{name} {}", m.join(" / "))
        })
        .collect();
    println!(
        "CPU ms per 1,000 samples, medians (bridge / simulator / bench / mosquitto / subscriber / \
         other): {}",
        cpu.join("; ")
    );
    let busy: Vec<String> = kinds
        .iter()
        .map(|(name, phases)| {
            let core = |n| median(phases.iter().map(|p| 100.0 * p.core_busy(n)).collect());
            let sides: Vec<&str> = phases.iter().map(|p| bottleneck(p, a.pin)).collect();
            format!(
                "{name} {:.0} / {:.0} % ({})",
                core(PUBLISHER_CPU),
                core(BROKER_CPU),
                sides.join(", ")
            )
        })
        .collect();
    println!(
        "busy CPU 0 / CPU 1, medians (bottleneck of each round): {}",
        busy.join("; ")
    );
    let calls: Vec<String> = kinds
        .iter()
        .map(|(name, phases)| {
            let m = |f: &dyn Fn(&PhaseResult) -> f64| {
                median(
                    phases
                        .iter()
                        .map(|p| f(p) * 1000.0 / p.counts.samples() as f64)
                        .collect(),
                )
            };
            format!(
                "{name} {:.0} / {:.0} / {:.0}",
                m(&|p| p.cpu.broker_reads),
                m(&|p| p.cpu.broker_sleeps),
                m(&|p| p.cpu.tcp_segments)
            )
        })
        .collect();
    println!(
        "per 1,000 samples, medians: mosquitto read calls / mosquitto sleeps (voluntary context \
         switches) / TCP segments sent (all loopback connections): {}",
        calls.join("; ")
    );
    println!(
        "Sparkplug windows: {} births (NBIRTH/DBIRTH, not counted as samples), {} undecodable DDATA, \
         {} samples in JSON form",
        s.births, s.undecodable, s.json_messages
    );
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(Vec::new()).is_nan());
    }
}
