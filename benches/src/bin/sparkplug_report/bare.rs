//! The bare publisher phase: rumqttc alone, replaying payloads captured from the bridge.

use std::time::{Duration, Instant};

use rumqttc::QoS;

use crate::phases::{PhaseResult, Publisher};
use crate::resources::Pids;
use crate::subscriber::{metrics_in, Format};
use crate::Env;

/// Publishes `count` messages cycling over `payloads` (topic and payload, as captured) at QoS 1
/// with the bridge's in-flight window, as fast as rumqttc goes, and measures what the subscriber
/// receives: first to last arrival.
pub(crate) async fn bare_phase(
    env: &Env,
    format: Format,
    payloads: &[(String, Vec<u8>)],
    count: usize,
) -> PhaseResult {
    assert!(
        !payloads.is_empty(),
        "no {} payload captured",
        format.name()
    );
    // The samples each payload carries: one per JSON message, the metrics of a DDATA.
    let samples: Vec<u64> = payloads
        .iter()
        .map(|(_, p)| match format {
            Format::Json => 1,
            Format::Sparkplug => metrics_in(p).unwrap_or(0) as u64,
        })
        .collect();
    let expected: u64 = (0..count).map(|i| samples[i % samples.len()]).sum();

    let target = count as u64;
    let fieldbridge_bench::bare::BarePublisher {
        client,
        driver,
        done: done_rx,
    } = fieldbridge_bench::bare::BarePublisher::connect(
        format!("spb-report-bare-{}", std::process::id()),
        env.broker_port,
        target,
    )
    .await;

    let pids = Pids {
        bridge: None,
        simulator: env.sim_pid,
        broker: env.broker_pid,
        subscriber: env.sub.pid(),
        ticks: env.ticks,
    };
    env.sub.mark();
    let before = env.sub.snapshot();
    let cpu0 = pids.snapshot();
    let started = Instant::now();
    for i in 0..count {
        let (topic, payload) = &payloads[i % payloads.len()];
        client
            .publish(topic.as_str(), QoS::AtLeastOnce, false, payload.clone())
            .await
            .expect("publish");
    }
    let acked_at = tokio::time::timeout(Duration::from_secs(60), done_rx)
        .await
        .ok()
        .and_then(Result::ok);
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut complete = true;
    while env.sub.snapshot().since(&before).samples() < expected {
        if Instant::now() > deadline {
            complete = false;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let cpu1 = pids.snapshot();
    let _ = client.disconnect().await;
    let _ = driver.await;

    let counts = env.sub.snapshot().since(&before);
    let secs = match counts.first_at {
        Some(first) if counts.last_at > first => (counts.last_at - first).as_secs_f64(),
        _ => f64::NAN,
    };
    PhaseResult {
        publisher: Publisher::Bare,
        format,
        counts,
        secs,
        cpu: cpu0.until(&cpu1),
        rss_peak: None,
        hwm: None,
        publish_rate: acked_at.map(|at| count as f64 / (at - started).as_secs_f64()),
        complete: complete && acked_at.is_some(),
        polled: None,
        backlog_growth: None,
        bridge_cpus: None,
    }
}
