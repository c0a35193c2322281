//! The bare publisher phase: rumqttc alone, publishing the bridge's payloads.

use std::time::{Duration, Instant};

use rumqttc::QoS;

use crate::latency::{latency, mean_latency_ms, Latency};
use crate::phases::PhaseResult;
use crate::resources::{cpu_delta, Pids};
use crate::subscriber::{received_at, rfc3339_millis, unix_micros_now, Rx};
use crate::Env;

/// Publishes `count` messages cycling over `payloads` at QoS 1 as fast as rumqttc goes, and
/// measures what the subscriber receives.
pub(crate) async fn bare_phase(
    env: &Env,
    payloads: &[(String, Vec<u8>)],
    count: usize,
) -> (PhaseResult, f64) {
    let target = count as u64;
    let fieldbridge_bench::bare::BarePublisher {
        client,
        driver,
        done: done_rx,
    } = fieldbridge_bench::bare::BarePublisher::connect(
        format!("e2e-bare-{}", std::process::id()),
        env.broker_port,
        target,
    )
    .await;

    let offsets: Vec<Option<usize>> = payloads.iter().map(|(_, p)| received_at(p)).collect();
    let pids = Pids {
        bridge: None,
        simulator: None,
        broker: env.broker_pid,
        ticks: env.ticks,
    };
    let before = env.rec.samples.lock().expect("samples lock").len();
    let cpu0 = pids.snapshot();
    let started = Instant::now();
    for i in 0..count {
        let k = i % payloads.len();
        let (topic, payload) = &payloads[k];
        let mut payload = payload.clone();
        if let Some(p) = offsets[k] {
            payload[p..p + 24].copy_from_slice(rfc3339_millis(unix_micros_now()).as_bytes());
        }
        client
            .publish(topic.as_str(), QoS::AtLeastOnce, false, payload)
            .await
            .expect("publish");
    }
    let acked_at = tokio::time::timeout(Duration::from_secs(120), done_rx)
        .await
        .expect("every PUBACK within 120 s")
        .expect("driver alive");
    let deadline = Instant::now() + Duration::from_secs(120);
    while env.rec.samples.lock().expect("samples lock").len() < before + count {
        assert!(
            Instant::now() < deadline,
            "the subscriber did not receive every message"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let cpu1 = pids.snapshot();
    let _ = client.disconnect().await;
    let _ = driver.await;

    let got: Vec<Rx> = env.rec.samples.lock().expect("samples lock")[before..].to_vec();
    let secs = match (got.first(), got.last()) {
        (Some(a), Some(b)) if b.at > a.at => (b.at - a.at).as_secs_f64(),
        _ => f64::NAN,
    };
    let publish_rate = count as f64 / (acked_at - started).as_secs_f64();
    let n = got.len();
    let sec = n.min((n as f64 / secs) as usize).max(1);
    (
        PhaseResult {
            name: "bare rumqttc publisher".to_owned(),
            offered: None,
            count: n,
            secs,
            latency: latency(&got),
            first_of_poll: Latency::default(),
            polls: 0,
            first_second_ms: mean_latency_ms(&got[..sec]),
            last_second_ms: mean_latency_ms(&got[n - sec..]),
            rss_peak: None,
            hwm: None,
            cpu: cpu_delta(&cpu0, &cpu1),
            outbox_growth: None,
        },
        publish_rate,
    )
}
