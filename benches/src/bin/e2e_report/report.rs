//! The report: one table row per phase, then the ratios.

use crate::phases::PhaseResult;
use crate::Env;

fn mib(bytes: Option<u64>) -> String {
    bytes.map_or_else(
        || "–".to_owned(),
        |b| format!("{:.1}", b as f64 / (1 << 20) as f64),
    )
}

fn row(r: &PhaseResult) -> String {
    format!(
        "| {} | {} | {:.0} | {:.1} | {:.1} | {:.1} | {:.1} → {:.1} | {} | {} / {} | {:.2} / {:.2} / {:.2} / {:.2} | {:.2} ({:.2}) |",
        r.name,
        r.offered.map_or_else(|| "as fast as it can".to_owned(), |o| format!("{o:.0}")),
        r.rate(),
        r.latency.p50_ms,
        r.latency.p99_ms,
        r.latency.max_ms,
        r.first_second_ms,
        r.last_second_ms,
        r.outbox_growth
            .map_or_else(|| "–".to_owned(), |g| format!("{:.1}", g / (1 << 20) as f64)),
        mib(r.rss_peak),
        mib(r.hwm),
        r.cpu.bridge / r.secs,
        r.cpu.simulator / r.secs,
        r.cpu.broker / r.secs,
        r.cpu.bench / r.secs,
        r.cpu.machine / r.secs,
        (r.cpu.machine - r.cpu.bridge - r.cpu.simulator - r.cpu.broker - r.cpu.bench) / r.secs,
    )
}

/// Prints the report of a run: the broker and the load, a table row per phase, the nominal
/// phase's first sample of each poll, and the bridge / bare publisher ratio of each round.
pub(crate) fn print(
    env: &Env,
    version: &str,
    payloads: &[(String, Vec<u8>)],
    nominal: &PhaseResult,
    rounds: &[(PhaseResult, PhaseResult, f64)],
) {
    let mean_len =
        payloads.iter().map(|(_, p)| p.len()).sum::<usize>() as f64 / payloads.len() as f64;
    let (example_topic, example) = &payloads[0];
    println!();
    println!("fieldbridge end-to-end report");
    println!(
        "broker: {version} on 127.0.0.1 (max_queued_messages 0, other settings default); \
         bridge: {}; outbox sync \"{}\"",
        env.args.load.bridge.display(),
        env.args.load.sync
    );
    println!(
        "saturation load: {} sources x {} holding registers every {} ms; {} payloads captured, \
         {mean_len:.0} bytes on average, e.g. {example_topic} {}",
        env.args.load.sources,
        env.args.load.points,
        env.args.load.poll_ms,
        payloads.len(),
        String::from_utf8_lossy(example)
    );
    println!();
    println!(
        "| phase | offered samples/s | received samples/s | p50 ms | p99 ms | max ms | mean latency first → last s, ms | outbox growth MiB/s | bridge RSS peak / VmHWM MiB | CPU cores: bridge / simulator / mosquitto / bench | CPU cores: machine (other processes) |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    println!("{}", row(nominal));
    for (saturation, bare, _) in rounds {
        println!("{}", row(saturation));
        println!("{}", row(bare));
    }
    println!();
    println!(
        "nominal: first sample of each of {} polls (a lone change, not queued behind the other 99 \
         samples of its poll): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        nominal.polls,
        nominal.first_of_poll.p50_ms,
        nominal.first_of_poll.p99_ms,
        nominal.first_of_poll.max_ms
    );
    let mut ratios = Vec::new();
    for (i, (saturation, bare, publish_rate)) in rounds.iter().enumerate() {
        let ratio = saturation.rate() / bare.rate();
        ratios.push(ratio);
        println!(
            "round {}: bridge / bare publisher = {ratio:.2} ({:.0} / {:.0} samples/s received); \
             bare: {} messages PUBACKed at {publish_rate:.0}/s, received over {:.1} s",
            i + 1,
            saturation.rate(),
            bare.rate(),
            bare.count,
            bare.secs
        );
    }
    ratios.sort_by(f64::total_cmp);
    let median = if ratios.len() % 2 == 1 {
        ratios[ratios.len() / 2]
    } else {
        (ratios[ratios.len() / 2 - 1] + ratios[ratios.len() / 2]) / 2.0
    };
    println!(
        "bridge / bare publisher rate, median of {} rounds: {median:.2} (target ≥ 0.90)",
        ratios.len()
    );
    println!(
        "latency: subscriber receive time − the sample's `received` (bridge receive time of the \
         Modbus answer, ms resolution, truncated): excludes the Modbus poll; over-estimated by up to \
         1 ms. For the bare publisher, `received` is rewritten to the moment of publishing."
    );
}
