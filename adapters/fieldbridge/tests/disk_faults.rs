//! Faults of the edge box's own disk (issue 14): `data_dir` on a 3 MiB tmpfs that fills while the
//! broker is away (under each `when_full` policy), filled by another process and freed, and
//! remounted read-only mid-run. The bridge stays up, says what is wrong (`/ready`, the metrics, its
//! retained state) in a few log lines a minute, and goes on by itself when space or write access
//! returns: every sample the subscriber misses is one the metrics count as dropped, and no
//! sequence number is used twice.
//!
//! Needs root (it mounts a tmpfs); CI runs as root. Elsewhere each test says SKIPPED and returns.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{get, metric, next_seq, samples, BridgeProcess};
use fieldbridge_tests::{Mosquitto, Subscriber};

/// A tmpfs mounted for the test, unmounted on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    /// Mounts a tmpfs of `size` (e.g. "3m") at `at`, or says why not.
    fn mount(at: &Path, size: &str) -> Result<Tmpfs, String> {
        std::fs::create_dir_all(at).map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "mount -t tmpfs failed (needs root): {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(Tmpfs(at.to_owned()))
    }

    /// Lays a read-only bind mount over the tmpfs: every new open, rename or create in it fails
    /// with EROFS. (A tmpfs refuses `remount,ro` while a file is open for writing, as the outbox's
    /// segment is; writes to that already open file still reach it, so the fault shows at the
    /// next segment, sequence reservation or cursor write.)
    fn read_only(&self) {
        let bind = Command::new("mount")
            .arg("--bind")
            .arg(&self.0)
            .arg(&self.0)
            .status()
            .expect("run mount");
        assert!(bind.success(), "mount --bind");
        let ro = Command::new("mount")
            .args(["-o", "remount,ro,bind"])
            .arg(&self.0)
            .status()
            .expect("run mount");
        assert!(ro.success(), "mount -o remount,ro,bind");
    }

    /// Removes the read-only bind mount again (lazily: files the bridge opened for reading
    /// through it stay valid).
    fn writable(&self) {
        let status = Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status()
            .expect("run umount");
        assert!(status.success(), "umount the read-only bind");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        // The read-only bind, if a test left it, then the tmpfs.
        for _ in 0..2 {
            let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
}

struct Run {
    broker: Mosquitto,
    sub: Subscriber,
    bridge: BridgeProcess,
    metrics_port: u16,
    disk: Tmpfs,
    _sim: common::Simulator,
    dir: tempfile::TempDir,
}

impl Run {
    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("var")
    }

    fn metrics(&self) -> String {
        get(self.metrics_port, "/metrics").1
    }

    fn value(&self, name: &str) -> f64 {
        metric(&self.metrics(), name).unwrap_or(0.0)
    }

    /// Lines the bridge logged about `data_dir` at warn or error.
    fn disk_lines(&self) -> usize {
        self.bridge
            .log()
            .lines()
            .filter(|l| l.contains("data_dir") && (l.contains("WARN") || l.contains("ERROR")))
            .count()
    }

    /// Waits until `what` holds, polling every 100 ms, for at most `within`.
    async fn until(&self, within: Duration, what: &str, mut check: impl FnMut(&Run) -> bool) {
        let deadline = Instant::now() + within;
        while !check(self) {
            assert!(
                Instant::now() < deadline,
                "{what} not within {within:?}; metrics:\n{}\nlog:\n{}",
                self.metrics(),
                self.bridge.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Live samples flow: at least `n` more arrive within 10 s.
    async fn live(&self, n: usize) {
        let before = samples(&self.sub).len();
        self.until(Duration::from_secs(10), "live samples", |r| {
            samples(&r.sub).len() >= before + n
        })
        .await;
    }

    /// Stops the bridge cleanly and compares what was numbered with what arrived. Returns
    /// (numbered, received, distinct missing).
    async fn finish(mut self, label: &str) -> (u64, usize, u64, u64) {
        let dropped = self.value("fieldbridge_outbox_dropped_total") as u64;
        let status = self.bridge.terminate().expect("the bridge stops");
        assert!(status.success(), "log:\n{}", self.bridge.log());
        tokio::time::sleep(Duration::from_millis(500)).await;
        let next = next_seq(&self.data_dir(), &self.bridge);
        let received = samples(&self.sub);
        let distinct: BTreeSet<u64> = received.iter().map(|(s, _, _)| *s).collect();
        let missing = (1..next).filter(|s| !distinct.contains(s)).count() as u64;
        println!(
            "{label}: sent {}, received {}, duplicated {}, dropped (metrics) {dropped}, missing at the subscriber {missing}, disk log lines {}",
            next - 1,
            received.len(),
            received.len() - distinct.len(),
            self.disk_lines()
        );
        assert!(
            distinct.iter().all(|&s| s < next),
            "a sample numbered at or above the next free number {next}"
        );
        drop(self.disk);
        (next - 1, received.len(), missing, dropped)
    }
}

/// A bridge at 1,000 samples/s with `data_dir` on a 3 MiB tmpfs and an outbox bound far above
/// it (512 MiB, the reference configuration's), metrics on a free port. `None` when a tmpfs
/// cannot be mounted here.
async fn start(policy: &str, broker: Mosquitto) -> Option<Run> {
    let dir = tempfile::tempdir().expect("tempdir");
    let disk = match Tmpfs::mount(&dir.path().join("var"), "3m") {
        Ok(disk) => disk,
        Err(why) => {
            println!("SKIPPED: {why}");
            return None;
        }
    };
    let load = common::start_load(
        &broker,
        dir.path(),
        &format!("max_bytes = \"512MiB\"\nwhen_full = \"{policy}\"\nreplay_rate = 20000"),
        1000,
    )
    .await;
    Some(Run {
        broker,
        sub: load.sub,
        bridge: load.bridge,
        metrics_port: load.metrics_port,
        disk,
        _sim: load.sim,
        dir,
    })
}

fn no_space_errors(run: &Run) -> f64 {
    run.metrics()
        .lines()
        .filter(|l| l.starts_with("fieldbridge_storage_errors_total{kind=\"no-space\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// The broker goes away until the disk is full and for 15 s more; then it returns.
async fn fill_while_broker_away(run: &mut Run) -> usize {
    run.broker.stop();
    let lines_before = run.disk_lines();
    run.until(Duration::from_secs(60), "a full disk", |r| {
        no_space_errors(r) > 0.0 || r.value("fieldbridge_outbox_dropped_total") > 0.0
    })
    .await;
    let full_at = Instant::now();
    tokio::time::sleep(Duration::from_secs(15)).await;
    let free = run.value("fieldbridge_data_dir_free_bytes");
    assert!(
        free < 512.0 * 1024.0,
        "the disk is nearly full: {free} bytes free"
    );
    let (health, _) = get(run.metrics_port, "/health");
    assert!(health.contains("200"), "the bridge is up: {health}");
    let lines = run.disk_lines() - lines_before;
    println!(
        "full for {:?}: {lines} log lines about data_dir",
        full_at.elapsed()
    );
    run.broker.restart();
    lines
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_disk_under_drop_oldest_drops_what_it_counts_and_goes_on() {
    let _load = common::load_lock().await;
    let Some(mut run) = start("drop-oldest", Mosquitto::start_persistent()).await else {
        return;
    };
    let lines = fill_while_broker_away(&mut run).await;
    assert!(lines <= 6, "at most a few lines about the disk: {lines}");
    run.until(Duration::from_secs(60), "the backlog delivered", |r| {
        r.value("fieldbridge_mqtt_connected") == 1.0
            && r.value("fieldbridge_outbox_pending") < 300.0
    })
    .await;
    run.live(2000).await;
    assert_eq!(run.value("fieldbridge_storage_ok"), 1.0);
    let (_, _, missing, dropped) = run.finish("drop-oldest, full disk").await;
    assert!(dropped > 1000, "the disk bound was reached: {dropped}");
    assert!(
        missing <= dropped,
        "{missing} missing but only {dropped} counted as dropped"
    );
    // A dying broker may forward a sample whose PUBACK never comes back: counted as dropped,
    // yet received. At most one delivery window of them.
    assert!(
        dropped - missing <= 256,
        "{dropped} counted as dropped but only {missing} missing"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_disk_under_backpressure_loses_nothing_and_goes_on() {
    let _load = common::load_lock().await;
    let Some(mut run) = start("backpressure", Mosquitto::start_persistent()).await else {
        return;
    };
    let lines = fill_while_broker_away(&mut run).await;
    assert!(lines <= 6, "at most a few lines about the disk: {lines}");
    let (ready, body) = get(run.metrics_port, "/ready");
    assert!(ready.contains("503"), "{ready}");
    assert!(
        body.contains("no-space") || body.contains("disconnected"),
        "{body}"
    );
    run.until(Duration::from_secs(60), "the backlog delivered", |r| {
        r.value("fieldbridge_mqtt_connected") == 1.0
            && r.value("fieldbridge_outbox_pending") < 300.0
    })
    .await;
    run.live(2000).await;
    run.until(Duration::from_secs(10), "storage ok", |r| {
        r.value("fieldbridge_storage_ok") == 1.0
    })
    .await;
    let (_, _, missing, dropped) = run.finish("backpressure, full disk").await;
    assert_eq!(dropped, 0);
    assert_eq!(missing, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_disk_filled_by_another_process_then_freed() {
    let _load = common::load_lock().await;
    let Some(mut run) = start("backpressure", Mosquitto::start_persistent()).await else {
        return;
    };
    // Another process takes every free byte. With the broker up the bridge goes on in what it
    // reclaims (its delivered segments, retired as soon as the disk is full) as long as the
    // other process does not take that too.
    let filler = run.data_dir().join("filler");
    let _ = Command::new("dd")
        .args(["if=/dev/zero", "bs=64k", "count=100"])
        .arg(format!("of={}", filler.display()))
        .output();
    tokio::time::sleep(Duration::from_secs(2)).await;
    // Then the broker goes away: nothing is left to reclaim, and under `backpressure` the stream
    // is held and the bridge says why. (Under `drop-oldest` the outbox would drop its oldest
    // segments to go on, as `a_full_disk_under_drop_oldest...` shows.)
    run.broker.stop();
    run.until(Duration::from_secs(30), "the fault reported", |r| {
        no_space_errors(r) > 0.0 && r.value("fieldbridge_storage_ok") == 0.0
    })
    .await;
    let (ready, body) = get(run.metrics_port, "/ready");
    assert!(ready.contains("503"), "{ready} {body}");
    assert!(body.contains("no-space"), "{body}");
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (health, _) = get(run.metrics_port, "/health");
    assert!(health.contains("200"), "{health}");
    let lines = run.disk_lines();
    assert!(lines <= 6, "at most a few lines about the disk: {lines}");
    // An operator frees the space, the broker returns: everything goes on by itself.
    std::fs::remove_file(&filler).expect("free the space");
    run.broker.restart();
    run.until(
        Duration::from_secs(30),
        "storage ok and the backlog delivered",
        |r| {
            r.value("fieldbridge_storage_ok") == 1.0
                && r.value("fieldbridge_mqtt_connected") == 1.0
                && r.value("fieldbridge_outbox_pending") < 300.0
        },
    )
    .await;
    run.live(2000).await;
    let (ready, _) = get(run.metrics_port, "/ready");
    assert!(ready.contains("200"), "{ready}");
    let (_, _, missing, dropped) = run.finish("filled by another process, then freed").await;
    assert_eq!(dropped, 0);
    assert_eq!(missing, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_disk_remounted_read_only_holds_the_stream_and_resumes() {
    let _load = common::load_lock().await;
    let Some(run) = start("drop-oldest", Mosquitto::start_persistent()).await else {
        return;
    };
    run.disk.read_only();
    run.until(Duration::from_secs(20), "the fault reported", |r| {
        r.metrics()
            .contains("fieldbridge_storage_errors_total{kind=\"read-only\"")
    })
    .await;
    let (ready, body) = get(run.metrics_port, "/ready");
    assert!(ready.contains("503"), "{ready} {body}");
    assert!(body.contains("read-only"), "{body}");
    // Records still go into the segment open before the fault (they are really stored) until it
    // rolls, about a second at this rate; from then on nothing numbered is published, since
    // nothing reaches the disk: at most the batch already in flight.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let received_ro = samples(&run.sub).len();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let during = samples(&run.sub).len() - received_ro;
    assert!(
        during <= 300,
        "{during} samples published while read-only; metrics:\n{}\nlog:\n{}",
        run.metrics(),
        run.bridge.log()
    );
    run.disk.writable();
    run.until(Duration::from_secs(10), "storage ok", |r| {
        r.value("fieldbridge_storage_ok") == 1.0
    })
    .await;
    run.live(2000).await;
    let lines = run.disk_lines();
    assert!(lines <= 6, "at most a few lines about the disk: {lines}");
    let (_, received, missing, dropped) = run.finish("read-only, then writable").await;
    assert_eq!(dropped, 0);
    assert_eq!(missing, 0);
    assert!(received > 3000);
}
