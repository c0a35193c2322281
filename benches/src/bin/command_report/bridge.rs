//! (a): commands through the bridge, run as a child process.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use rumqttc::QoS;
use serde_json::Value;

use crate::mqtt::{command_id, command_payload, wait_for};
use crate::process::{bridge_config, tail, Proc};
use crate::{Env, DEVICE, POINT, PREFIX, SITE, WARMUP};

#[derive(Debug, Default)]
pub(crate) struct BridgeSeries {
    pub(crate) round: usize,
    pub(crate) poll_ms: u64,
    /// Round trip seen by the client, ms.
    pub(crate) rtt: Vec<f64>,
    /// `latency_ms` of the results.
    pub(crate) inside: Vec<f64>,
    /// Round trip minus `latency_ms`: the MQTT legs (client → broker → bridge, bridge → broker
    /// → client).
    pub(crate) outside: Vec<f64>,
    pub(crate) outcomes: BTreeMap<String, usize>,
    /// One line per command that did not succeed.
    pub(crate) failures: Vec<String>,
}

/// One command: publish, wait for its result. `None` when no result came in time.
async fn command(env: &mut Env, id: &str, wait: Duration) -> Option<(Duration, Vec<u8>, Value)> {
    let topic = format!("{PREFIX}/{SITE}/{DEVICE}/{POINT}/set");
    let payload = command_payload(id, env.next_value());
    let deadline = Instant::now() + wait;
    let t0 = Instant::now();
    env.commander
        .publish(topic, QoS::AtLeastOnce, false, payload)
        .await
        .expect("publish");
    let (at, payload, v) = wait_for(&mut env.results, id, deadline).await?;
    let outcome = v.get("outcome").and_then(Value::as_str);
    if outcome == Some("success") || outcome == Some("failed") {
        // Something was written (`failed` may be a mismatch): alternate from here.
        env.writes += 1;
    }
    Some((at - t0, payload, v))
}

pub(crate) async fn bridge_series(
    env: &mut Env,
    round: usize,
    poll_ms: u64,
) -> Result<BridgeSeries, String> {
    let dir = tempfile::Builder::new()
        .prefix("fb-cmd-bridge-")
        .tempdir_in(env.dir.path())
        .expect("bridge folder");
    let config = dir.path().join("bridge.toml");
    let log = dir.path().join("bridge.log");
    std::fs::write(
        &config,
        bridge_config(
            &dir.path().join("var"),
            env.broker_port,
            env.modbus_port,
            poll_ms,
        ),
    )
    .expect("write the bridge configuration");
    let mut command_line = Command::new(&env.args.bridge);
    command_line
        .args(["run", "--config"])
        .arg(&config)
        .env_remove("RUST_LOG");
    let mut bridge = Proc::spawn("fieldbridge run", command_line, &log);

    // The bridge subscribes to the set topics once connected: probe until a command is answered.
    let ready_by = Instant::now() + Duration::from_secs(30);
    let mut probe = 0;
    while command(
        env,
        &command_id("prb", round, poll_ms, probe),
        Duration::from_secs(1),
    )
    .await
    .is_none()
    {
        probe += 1;
        if Instant::now() > ready_by {
            bridge.terminate(Duration::from_secs(10));
            return Err(format!(
                "no result from the bridge within 30 s (poll {poll_ms} ms); the end of its log:\n{}",
                tail(&log, 30)
            ));
        }
    }
    for i in 0..WARMUP {
        let id = command_id("wrm", round, poll_ms, i);
        let _ = command(env, &id, env.args.timeout).await;
    }

    let mut s = BridgeSeries {
        round,
        poll_ms,
        ..BridgeSeries::default()
    };
    let mut missing_in_a_row = 0;
    for i in 0..env.args.commands {
        let id = command_id("cmd", round, poll_ms, i);
        let Some((rtt, payload, v)) = command(env, &id, env.args.timeout).await else {
            *s.outcomes.entry("(no result)".to_owned()).or_default() += 1;
            s.failures
                .push(format!("{id}: no result within {:?}", env.args.timeout));
            missing_in_a_row += 1;
            if missing_in_a_row == 3 {
                s.failures.push(format!(
                    "3 commands in a row without a result: series stopped. The end of the bridge's log:\n{}",
                    tail(&log, 30)
                ));
                break;
            }
            continue;
        };
        missing_in_a_row = 0;
        env.result_len.get_or_insert(payload.len());
        s.rtt.push(rtt.as_secs_f64() * 1000.0);
        if let Some(ms) = v.get("latency_ms").and_then(Value::as_f64) {
            s.inside.push(ms);
            s.outside.push(rtt.as_secs_f64() * 1000.0 - ms);
        }
        let outcome = v
            .get("outcome")
            .and_then(Value::as_str)
            .unwrap_or("(none)")
            .to_owned();
        if outcome != "success" {
            s.failures
                .push(format!("{id}: {}", String::from_utf8_lossy(&payload)));
        }
        *s.outcomes.entry(outcome).or_default() += 1;
    }
    bridge.terminate(Duration::from_secs(10));
    Ok(s)
}
