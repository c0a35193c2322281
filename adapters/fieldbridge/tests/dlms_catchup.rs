//! Load-profile catch-up end to end (issue 18, point 2): our meter simulator with a profile that
//! captures every second → `fieldbridge run` → mosquitto → an MQTT subscriber. The bridge is
//! stopped (SIGTERM, then in another test SIGKILL) while the profile grows; after the restart
//! the entries captured meanwhile arrive once each, in order, with their capture times as
//! `ts` and marked `historical`, and across both runs every capture time of the profile from
//! the first one published is there exactly once.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{header, BridgeProcess};
use fieldbridge_tests::{DlmsSimulator, Mosquitto, Subscriber};
use serde_json::Value;

/// The import energy column of the simulator's profile 1-0:99.1.0*255.
const COLUMN: &str = "fieldbridge/dlms/meter/load_profile.1-0-1-8-0-255";

fn config(dir: &Path, broker: &Mosquitto, port: u16) -> std::path::PathBuf {
    let text = format!(
        "{}[[source]]\nname = \"meter\"\nprotocol = \"dlms\"\naddress = \"127.0.0.1:{port}\"\ntransport = \"wrapper\"\nclient_address = 16\nserver_address = 1\nauthentication = \"none\"\nsecurity = \"none\"\ndevice_time = \"utc\"\npoll = \"2s\"\ntimeout = \"5s\"\n\n  [[source.point]]\n  name = \"load_profile\"\n  obis = \"1.0.99.1.0.255\"\n  class = 7\n  attribute = 2\n",
        header("dlms", &dir.join("var"), &broker.url()),
    );
    let path = dir.join("bridge.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

/// Every sample of the column so far, by sequence number (a sample the broker delivered twice
/// counts once).
fn column_samples(sub: &Subscriber) -> BTreeMap<u64, Value> {
    sub.messages()
        .into_iter()
        .filter(|m| m.topic == COLUMN)
        .filter_map(|m| m.json)
        .filter_map(|j| Some((j["seq"].as_u64()?, j)))
        .collect()
}

/// Waits until the column has a sample captured at or after `since` (unix ms).
async fn wait_for_capture(sub: &Subscriber, since: i64, bridge: &BridgeProcess) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if column_samples(sub).values().any(|s| capture_ms(s) >= since) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no entry captured after {since} arrived\nbridge log:\n{}",
            bridge.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn capture_ms(sample: &Value) -> i64 {
    sample["ts"]
        .as_str()
        .and_then(|t| {
            time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
        })
        .map_or(i64::MIN, |t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

async fn entries_survive_a_stop(kill: bool) {
    let broker = Mosquitto::start();
    let sim = DlmsSimulator::start(
        Path::new(env!("CARGO_BIN_EXE_fieldbridge")),
        &["--period", "1s", "--history", "5"],
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config(dir.path(), &broker, sim.port);
    let sub = Subscriber::connect(broker.port(), "fieldbridge/dlms/#").await;

    let mut bridge = BridgeProcess::run(&config, dir.path());
    wait_for_capture(&sub, now_ms() - 500, &bridge).await;
    // Between two polls (every 2 s), after the last entries were handed over and their cursor
    // saved: stop the bridge.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let first_log = bridge.log();
    if kill {
        bridge.kill();
    } else {
        assert!(
            bridge.terminate().is_some_and(|s| s.success()),
            "a clean stop"
        );
    }
    let stopped_at = now_ms();
    let before: BTreeMap<u64, Value> = column_samples(&sub);
    let last_before = before
        .values()
        .map(capture_ms)
        .max()
        .expect("samples before the stop");

    // The profile grows by about four entries while the bridge is down.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let restarted_at = now_ms();
    let bridge = BridgeProcess::run(&config, dir.path());
    wait_for_capture(&sub, stopped_at + 3_500, &bridge).await;
    let context = || {
        format!(
            "first run log:\n{first_log}\nsecond run log:\n{}\nsimulator:\n{}",
            bridge.log(),
            sim.log()
        )
    };

    let all = column_samples(&sub);
    let mut times: Vec<i64> = all.values().map(capture_ms).collect();
    let published = times.len();
    times.sort_unstable();
    times.dedup();
    assert_eq!(
        times.len(),
        published,
        "a capture time published twice\n{}",
        context()
    );
    // Every second from the first capture published to the last, none missing.
    for pair in times.windows(2) {
        assert_eq!(
            pair[1] - pair[0],
            1_000,
            "a capture missing between {pair:?}\n{}",
            context()
        );
    }
    // The entries captured while the bridge was down came after the restart, in order, late.
    let after: Vec<&Value> = all
        .iter()
        .filter(|(seq, _)| !before.contains_key(seq))
        .map(|(_, s)| s)
        .collect();
    let caught_up: Vec<&&Value> = after
        .iter()
        .filter(|s| capture_ms(s) > last_before && capture_ms(s) < stopped_at + 3_000)
        .collect();
    assert!(
        caught_up.len() >= 3,
        "{} entries caught up\n{}",
        caught_up.len(),
        context()
    );
    let order: Vec<i64> = after.iter().map(|s| capture_ms(s)).collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "in capture order: {order:?}"
    );
    assert_eq!(
        capture_ms(after[0]) - last_before,
        1_000,
        "the first after the restart follows the last before it\n{}",
        context()
    );
    for s in &caught_up {
        assert_eq!(s["source"]["profile"], "1.0.99.1.0.255");
        assert_eq!(s["source"]["obis"], "1.0.1.8.0.255");
    }
    // Captured a poll interval (2 s) or more before the restart: a running bridge would have
    // read them at an earlier poll, so they are late.
    let late: Vec<&Value> = caught_up
        .iter()
        .map(|s| **s)
        .filter(|s| capture_ms(s) <= restarted_at - 2_000)
        .collect();
    assert!(
        late.len() >= 2,
        "{} late entries\n{}",
        late.len(),
        context()
    );
    for s in late {
        assert_eq!(s["historical"], true, "{s}\n{}", context());
    }
    // The entries of the steady first run were not.
    assert!(
        before
            .values()
            .any(|s| capture_ms(s) > stopped_at - 2_000 && s.get("historical").is_none()),
        "a live entry of the first run is not historical\n{}",
        context()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn profile_entries_captured_while_the_bridge_was_stopped_arrive_once_each_in_order() {
    entries_survive_a_stop(false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn profile_entries_captured_after_a_sigkill_arrive_once_each_in_order() {
    entries_survive_a_stop(true).await;
}
