//! `fieldbridge run --watch` (issue 19, reload by a file watch): the configuration file is changed
//! in place, as a Kubernetes ConfigMap update or an operator's editor would, and no signal is
//! sent. A point added is published within seconds; a file with a mistake is refused once with
//! its line (not again at every look) while the running configuration goes on; the fixed file is
//! applied.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{header, simulator, BridgeProcess};
use fieldbridge_tests::{free_port, Mosquitto, Subscriber};

/// The file with one Modbus source reading `points` (holding registers 200...).
fn config(dir: &Path, broker: &Mosquitto, modbus_port: u16, points: &[&str]) -> String {
    let mut text = header("watch", &dir.join("var"), &broker.url());
    text.push_str(&format!(
        "[[source]]\nname = \"plc\"\nprotocol = \"modbus-tcp\"\naddress = \"127.0.0.1:{modbus_port}\"\npoll = \"200ms\"\nheartbeat = \"1s\"\n\n"
    ));
    for (i, p) in points.iter().enumerate() {
        text.push_str(&format!(
            "  [[source.point]]\n  name = \"{p}\"\n  register = \"holding:{}\"\n\n",
            200 + i
        ));
    }
    text
}

/// Samples of `point` received so far.
fn count(sub: &Subscriber, point: &str) -> usize {
    let topic = format!("fieldbridge/watch/plc/{point}");
    sub.messages().iter().filter(|m| m.topic == topic).count()
}

async fn wait_for(sub: &Subscriber, point: &str, n: usize, bridge: &BridgeProcess) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while count(sub, point) < n {
        assert!(
            Instant::now() < deadline,
            "no {n} samples of {point}; log:\n{}",
            bridge.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_watched_file_changed_in_place_is_applied_and_a_broken_one_refused_once() {
    let broker = Mosquitto::start();
    let modbus_port = free_port();
    let _sim = simulator(modbus_port);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bridge.toml");
    std::fs::write(&path, config(dir.path(), &broker, modbus_port, &["a"])).expect("write");
    let sub = Subscriber::connect(broker.port(), "fieldbridge/watch/#").await;
    let mut bridge = BridgeProcess::run_with(&path, dir.path(), &["--watch"]);
    wait_for(&sub, "a", 3, &bridge).await;

    // A point added: published within a few looks, no signal sent.
    let changed_at = Instant::now();
    std::fs::write(&path, config(dir.path(), &broker, modbus_port, &["a", "b"])).expect("write");
    wait_for(&sub, "b", 1, &bridge).await;
    println!(
        "a point added was published {:.1} s after the file changed",
        changed_at.elapsed().as_secs_f64()
    );
    let log = bridge.log();
    assert!(
        log.contains("the configuration or a key file changed: reloading the configuration"),
        "{log}"
    );

    // A mistake: refused with its line, once, while the running configuration goes on.
    let broken = config(dir.path(), &broker, modbus_port, &["a", "b"])
        .replace("poll = \"200ms\"", "poll = \"200ms\"\npol = \"1s\"");
    std::fs::write(&path, broken).expect("write");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !bridge.log().contains("configuration reload refused") {
        assert!(Instant::now() < deadline, "not refused:\n{}", bridge.log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let before = count(&sub, "b");
    tokio::time::sleep(Duration::from_secs(7)).await;
    let log = bridge.log();
    assert_eq!(
        log.matches("configuration reload refused").count(),
        1,
        "refused once, not at every look:\n{log}"
    );
    assert!(log.contains("line 17") && log.contains("pol"), "{log}");
    assert!(
        count(&sub, "b") > before,
        "the running configuration goes on"
    );

    // Fixed, with one more point: applied.
    std::fs::write(
        &path,
        config(dir.path(), &broker, modbus_port, &["a", "b", "c"]),
    )
    .expect("write");
    wait_for(&sub, "c", 1, &bridge).await;
    let log = bridge.log();
    assert_eq!(
        log.matches("configuration reload refused").count(),
        1,
        "{log}"
    );

    let status = bridge.terminate().expect("the bridge stops on SIGTERM");
    assert!(status.success(), "{status:?}; log:\n{}", bridge.log());
}
