//! The report: a table row per phase, then each round's ratios, their medians and the bytes per
//! sample of both formats.

use fieldbridge_bench::report::thousands;
use fieldbridge_sparkplug::proto::Payload;
use prost::Message as _;

use crate::phases::{PhaseResult, Publisher};
use crate::subscriber::Counts;
use crate::Env;

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
    pub(crate) json_payloads: &'a [(String, Vec<u8>)],
    pub(crate) ddata_payloads: &'a [(String, Vec<u8>)],
}

fn mib(bytes: Option<u64>) -> String {
    bytes.map_or_else(
        || "–".to_owned(),
        |b| format!("{:.1}", b as f64 / f64::from(1 << 20)),
    )
}

fn row(round: usize, r: &PhaseResult) -> String {
    let secs = r.secs;
    let c = &r.cpu;
    let mut name = r.name();
    if !r.complete {
        name.push_str(" (INCOMPLETE: not every message arrived)");
    }
    format!(
        "| {round} | {name} | {} | {} | {:.1} | {:.1} | {:.1} | {} | {:.2} / {:.2} / {:.2} / {:.2} | {:.2} ({:.2}) | {} / {} |",
        thousands(r.rate()),
        thousands(r.message_rate()),
        r.payload_per_sample(),
        r.topic_per_message(),
        r.wire_per_sample(),
        match r.publisher {
            Publisher::Bridge => format!("{:.1}", r.bridge_ms_per_1000()),
            Publisher::Bare => "–".to_owned(),
        },
        c.bridge / secs,
        c.simulator / secs,
        c.broker / secs,
        c.bench / secs,
        c.machine / secs,
        c.other() / secs,
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

/// Prints the report of a run.
pub(crate) fn print(env: &Env, run: &Run<'_>, rounds: &[Round]) {
    let a = &env.args;
    let topics = |p: &[(String, Vec<u8>)]| {
        p.iter()
            .map(|(t, _)| t.as_str())
            .collect::<std::collections::HashSet<_>>()
            .len()
    };
    let offered = f64::from(a.sources) * f64::from(a.points) * 1000.0 / a.poll_ms as f64;
    println!();
    println!("fieldbridge Sparkplug B report");
    println!(
        "broker: {} on 127.0.0.1 (max_queued_messages 0, max_inflight_messages 256); bridge: {}; \
         outbox sync \"{}\"; nproc {}; load average before {} / after {}",
        run.broker_version,
        a.bridge.display(),
        a.sync,
        std::thread::available_parallelism().map_or(0, usize::from),
        run.load_before,
        run.load_after,
    );
    println!(
        "load: {} sources x {} holding registers every {} ms ({} samples/s offered); window {} s \
         after {} s of warm-up; {} rounds",
        a.sources,
        a.points,
        a.poll_ms,
        thousands(offered),
        a.secs,
        a.warmup_secs,
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
        "| round | phase | samples/s | messages/s | payload B/sample | topic B/message | PUBLISH B/sample | bridge CPU ms/1000 samples | CPU cores: bridge / simulator / mosquitto / bench | CPU cores: machine (other) | bridge RSS peak / VmHWM MiB |"
    );
    println!("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (i, r) in rounds.iter().enumerate() {
        println!("{}", row(i + 1, &r.json));
        println!("{}", row(i + 1, &r.sparkplug));
        println!("{}", row(i + 1, &r.bare_sparkplug));
        if let Some(b) = &r.bare_json {
            println!("{}", row(i + 1, b));
        }
    }
    println!();

    let mut spb_ratios = Vec::new();
    let mut json_ratios = Vec::new();
    for (i, r) in rounds.iter().enumerate() {
        let spb = r.sparkplug.rate() / r.bare_sparkplug.rate();
        spb_ratios.push(spb);
        let mut line = format!(
            "round {}: Sparkplug / bare Sparkplug = {spb:.2} ({} / {} samples/s; bare: PUBACKed \
             at {}/s)",
            i + 1,
            thousands(r.sparkplug.rate()),
            thousands(r.bare_sparkplug.rate()),
            r.bare_sparkplug
                .publish_rate
                .map_or_else(|| "–".to_owned(), thousands)
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
        "Sparkplug / bare Sparkplug publisher, median of the rounds' ratios: {spb:.2} (target ≥ 0.90: {})",
        if spb >= 0.9 { "met" } else { "NOT met" }
    );
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
    if !json_ratios.is_empty() {
        println!(
            "JSON / bare JSON publisher, median of the rounds' ratios: {:.2}",
            median(json_ratios)
        );
    }

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
    println!(
        "bridge CPU per 1,000 samples, median: JSON {:.1} ms, Sparkplug {:.1} ms",
        med(&|r| Some(r.json.bridge_ms_per_1000())),
        med(&|r| Some(r.sparkplug.bridge_ms_per_1000())),
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
