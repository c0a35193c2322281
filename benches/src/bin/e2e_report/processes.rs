//! The processes the bench starts besides the bridge: mosquitto, and the wait for a port.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use fieldbridge_bench::process::Proc;

use crate::BRIDGE_WINDOW;

pub(crate) fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{what} not listening on {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub(crate) fn start_broker(dir: &Path) -> (Proc, u16, String) {
    let binary = fieldbridge_tests::locate(fieldbridge_tests::Peer::Mosquitto)
        .unwrap_or_else(|e| panic!("{e}"));
    let port = fieldbridge_tests::free_port();
    // Unlike the test harness's broker (`log_type all`, which logs every PUBLISH), only errors
    // and warnings are logged: per-message logging would be part of what is measured.
    // `max_inflight_messages`: mosquitto sends a QoS 1 subscriber at most 20 messages before it
    // waits for their PUBACKs (its default), so a 100-sample poll reached the subscriber in five
    // round trips; the bridge's own window is 256, and the broker's is set to match it.
    let config = dir.join("mosquitto.conf");
    std::fs::write(
        &config,
        format!(
            "listener {port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\n\
             max_inflight_messages {BRIDGE_WINDOW}\n\
             log_dest stderr\nlog_type error\nlog_type warning\n"
        ),
    )
    .expect("write mosquitto.conf");
    let mut command = Command::new(&binary);
    command.arg("-c").arg(&config);
    let proc = Proc::spawn("mosquitto", command, &dir.join("mosquitto.log"));
    wait_for_port(port, "mosquitto");
    let version = Command::new(&binary)
        .arg("-h")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .map(str::to_owned)
        })
        .unwrap_or_default();
    (proc, port, version)
}
