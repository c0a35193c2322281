//! Statistics, the machine, and the plain-text report.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use crate::bridge::BridgeSeries;
use crate::floor::FloorSeries;
use crate::{Env, DEFAULT_RESULT_LEN, REGISTER, VALUES, WARMUP};

/// One series of samples of a `BridgeSeries` or `FloorSeries`.
type Field<S> = fn(&S) -> &Vec<f64>;

#[derive(Debug, Clone, Copy, Default)]
struct Stats {
    n: usize,
    p50: f64,
    p99: f64,
    max: f64,
}

/// Nearest-rank percentiles, ms.
fn stats(samples: &[f64]) -> Stats {
    let mut v = samples.to_vec();
    if v.is_empty() {
        return Stats::default();
    }
    v.sort_by(f64::total_cmp);
    let pick = |q: f64| v[((v.len() as f64 * q).ceil() as usize).clamp(1, v.len()) - 1];
    Stats {
        n: v.len(),
        p50: pick(0.50),
        p99: pick(0.99),
        max: v[v.len() - 1],
    }
}

fn row(out: &mut String, round: &str, what: &str, s: Stats) {
    let _ = writeln!(
        out,
        "| {round} | {what} | {} | {:.2} | {:.2} | {:.2} |",
        s.n, s.p50, s.p99, s.max
    );
}

/// The 1, 5 and 15 minute load averages.
pub(crate) fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".to_owned())
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")?
                .split_once(':')
                .map(|(_, m)| m.trim())
        })
        .unwrap_or("unknown CPU")
        .to_owned();
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZeroUsize::get);
    format!("{model}, {cores} cores available")
}

fn first_line(program: &Path, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .and_then(|o| {
            let text = String::from_utf8_lossy(&o.stdout).into_owned();
            text.lines().next().map(str::to_owned)
        })
        .unwrap_or_else(|| "?".to_owned())
}

/// All samples of `field` in the series of `round` (`None`: every round) that `keep` accepts.
fn gather<S>(
    series: &[S],
    round: Option<usize>,
    round_of: impl Fn(&S) -> usize,
    keep: impl Fn(&S) -> bool,
    field: impl Fn(&S) -> &Vec<f64>,
) -> Vec<f64> {
    series
        .iter()
        .filter(|s| round.is_none_or(|r| round_of(s) == r) && keep(s))
        .flat_map(|s| field(s).iter().copied())
        .collect()
}

/// The report, and whether any command did not succeed.
pub(crate) fn render(
    env: &Env,
    bridge: &[BridgeSeries],
    floor: &[FloorSeries],
    load_before: &str,
) -> (String, bool) {
    let args = &env.args;
    let mut out = String::new();
    let _ = writeln!(out, "\nfieldbridge command round-trip report");
    let _ = writeln!(
        out,
        "machine: {}; load average (1/5/15 min) {load_before} before, {} after",
        machine(),
        loadavg()
    );
    let mosquitto = fieldbridge_tests::locate(fieldbridge_tests::Peer::Mosquitto)
        .map_or_else(|_| "?".to_owned(), |m| first_line(&m, &["-h"]));
    let pymodbus = first_line(
        &fieldbridge_tests::python(),
        &["-c", "import pymodbus; print(pymodbus.__version__)"],
    );
    let _ = writeln!(
        out,
        "peers: {mosquitto} (test harness configuration, `log_type all`{}) and pymodbus \
         {pymodbus} (tests/peers/modbus_server.py --profile map), on 127.0.0.1; rumqttc clients \
         in this process {}; bridge: {}",
        if args.nagle {
            ""
        } else {
            ", `set_tcp_nodelay true`"
        },
        if args.nagle {
            "with Nagle's algorithm (default)"
        } else {
            "with TCP_NODELAY"
        },
        args.bridge.display()
    );
    let _ = writeln!(
        out,
        "work: {} commands per series, one at a time, QoS 1, after {WARMUP} unmeasured; point \
         holding:{REGISTER} (f32, cdab: FC16 write + FC3 read-back of 2 registers), values {} \
         and {} alternated; command {} bytes, result {} bytes (the echo answers with as many)",
        args.commands,
        VALUES[0],
        VALUES[1],
        env.command_len,
        env.result_len.map_or_else(
            || format!("{DEFAULT_RESULT_LEN} (no result seen)"),
            |l| l.to_string()
        ),
    );

    let mut rounds: Vec<(String, Option<usize>)> = (1..=args.rounds)
        .map(|r| (r.to_string(), Some(r)))
        .collect();
    if args.rounds > 1 {
        rounds.push(("all".to_owned(), None));
    }
    let bridge_samples = |round, poll: u64, field: Field<BridgeSeries>| {
        gather(bridge, round, |s| s.round, |s| s.poll_ms == poll, field)
    };
    let floor_samples =
        |round, field: Field<FloorSeries>| gather(floor, round, |s| s.round, |_| true, field);

    let _ = writeln!(out);
    let _ = writeln!(out, "| round | series | n | p50 ms | p99 ms | max ms |");
    let _ = writeln!(out, "| --- | --- | ---: | ---: | ---: | ---: |");
    for (label, round) in &rounds {
        for &poll in &args.polls_ms {
            let series: [(&str, Field<BridgeSeries>); 3] = [
                ("(a) bridge round trip", |s| &s.rtt),
                ("bridge `latency_ms` (arrival → result)", |s| &s.inside),
                ("(a) − `latency_ms` (MQTT legs)", |s| &s.outside),
            ];
            for (what, field) in series {
                let v = bridge_samples(*round, poll, field);
                row(
                    &mut out,
                    label,
                    &format!("{what}, poll {poll} ms"),
                    stats(&v),
                );
            }
        }
        let series: [(&str, Field<FloorSeries>); 2] = [
            ("(b-modbus) tokio-modbus FC16 + FC3, pymodbus", |s| {
                &s.modbus
            }),
            ("(b-mqtt) rumqttc echo through mosquitto", |s| &s.mqtt),
        ];
        for (what, field) in series {
            row(&mut out, label, what, stats(&floor_samples(*round, field)));
        }
    }

    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "| round | poll | (a) / (b-modbus + b-mqtt) at p50 | at p99 |"
    );
    let _ = writeln!(out, "| --- | ---: | ---: | ---: |");
    for (label, round) in &rounds {
        let m = stats(&floor_samples(*round, |s| &s.modbus));
        let q = stats(&floor_samples(*round, |s| &s.mqtt));
        for &poll in &args.polls_ms {
            let a = stats(&bridge_samples(*round, poll, |s| &s.rtt));
            let _ = writeln!(
                out,
                "| {label} | {poll} ms | {:.2} ({:.2} / {:.2} ms) | {:.2} ({:.2} / {:.2} ms) |",
                a.p50 / (m.p50 + q.p50),
                a.p50,
                m.p50 + q.p50,
                a.p99 / (m.p99 + q.p99),
                a.p99,
                m.p99 + q.p99
            );
        }
    }

    let _ = writeln!(out);
    let mut failed = false;
    for s in bridge {
        let counts: Vec<String> = s.outcomes.iter().map(|(k, v)| format!("{k} {v}")).collect();
        let _ = writeln!(
            out,
            "outcomes, round {} poll {} ms: {}",
            s.round,
            s.poll_ms,
            counts.join(", ")
        );
        for f in &s.failures {
            let _ = writeln!(out, "  not success: {f}");
        }
        failed |= !s.failures.is_empty()
            || s.outcomes.get("success").copied().unwrap_or(0) != args.commands;
    }
    let _ = writeln!(
        out,
        "(a): publish → result received, by a rumqttc client in this process; `latency_ms`: the \
         bridge's own arrival → result. (b): the same FC16 write + FC3 read-back by a bare \
         tokio-modbus client on the same pymodbus server, and a QoS 1 publish → answer → receive \
         echo of the same sizes through the same mosquitto (two broker crossings, as for a \
         command). Ratio 1.00: the bridge adds nothing to the work of its peers."
    );
    (out, failed)
}
