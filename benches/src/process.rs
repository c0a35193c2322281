//! What the end-to-end reports share: the release bridge's path, child processes that are
//! stopped with SIGTERM and killed on drop, and the mosquitto they publish to.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `$CARGO_TARGET_DIR/release/fieldbridge`, else `target/release/fieldbridge` of the workspace.
pub fn default_bridge() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
        PathBuf::from,
    );
    target.join("release").join("fieldbridge")
}

/// `perf record -g` (499 Hz) of process `pid` for `secs` seconds into `file`, its stderr in
/// `log`: for diagnosis only, perf costs CPU itself.
pub fn perf_record(pid: u32, secs: u64, file: &Path, log: &Path) -> Proc {
    let mut command = Command::new("perf");
    command
        .args(["record", "-F", "499", "-g", "-o"])
        .arg(file)
        .args(["-p", &pid.to_string(), "--", "sleep", &secs.to_string()]);
    Proc::spawn("perf", command, log)
}

/// A child process with its stderr in a log file, killed on drop.
#[derive(Debug)]
pub struct Proc {
    child: Child,
    name: &'static str,
}

impl Proc {
    /// Starts `command` (stdin and stdout closed, stderr to `log`).
    ///
    /// # Panics
    /// When the log file cannot be created or the program cannot be started.
    pub fn spawn(name: &'static str, mut command: Command, log: &Path) -> Proc {
        let log = std::fs::File::create(log).expect("log file");
        command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Proc { child, name }
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits until it exits on its own.
    pub fn wait(&mut self) {
        let _ = self.child.wait();
    }

    /// SIGTERM, then SIGKILL after `grace`.
    pub fn terminate(&mut self, grace: Duration) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status();
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        eprintln!("{} did not stop within {grace:?}; killing it", self.name);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The bridge's MQTT window (publishes outstanding): the broker's `max_inflight_messages` is set
/// to match it.
pub const BRIDGE_WINDOW: u16 = 256;

/// Waits up to 10 s until something listens on loopback `port`.
///
/// # Panics
/// When nothing does by then.
pub fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{what} not listening on {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Starts mosquitto on a free loopback port with its configuration in `dir` (plus the lines of
/// `extra`) and its log there; returns it, its port and its version line.
///
/// Unlike the test harness's broker (`log_type all`, which logs every PUBLISH), only errors and
/// warnings are logged: per-message logging would be part of what is measured.
/// `max_inflight_messages`: mosquitto sends a QoS 1 subscriber at most 20 messages before it
/// waits for their PUBACKs (its default), so a 100-sample poll reached the subscriber in five
/// round trips; the bridge's own window is [`BRIDGE_WINDOW`], and the broker's is set to match.
///
/// # Panics
/// When mosquitto is not installed, its configuration cannot be written or it does not listen.
pub fn start_broker(dir: &Path, extra: &str) -> (Proc, u16, String) {
    let binary = fieldbridge_tests::locate(fieldbridge_tests::Peer::Mosquitto)
        .unwrap_or_else(|e| panic!("{e}"));
    let port = fieldbridge_tests::free_port();
    let config = dir.join("mosquitto.conf");
    std::fs::write(
        &config,
        format!(
            "listener {port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\n\
             max_inflight_messages {BRIDGE_WINDOW}\n\
             log_dest stderr\nlog_type error\nlog_type warning\n{extra}"
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
