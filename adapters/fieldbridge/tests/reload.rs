//! Reload without loss (issue 19): ten SIGHUPs, about one a second, while the bridge publishes
//! about 1,000 samples per second from an unchanged source. One file has a mistake and is refused
//! with its line; the others change a second source (its poll, its points, once its address: it
//! moves to a second simulator), add and remove a third, and change `[mqtt]` (not applied live).
//!
//! At the end, after a clean stop: no sequence number is missing at the subscriber, the bridge's
//! retained state names the last file's version (its SHA-256), and the unchanged source was started
//! once and connected to its simulator once (plus any reconnect it counted itself).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{
    binary, get, load_lock, metric, next_seq, samples, wait_drained, write_config, BridgeProcess,
};
use fieldbridge_tests::{free_port, Mosquitto, Subscriber};
use sha2::Digest;

/// A `fieldbridge simulate modbus` whose log (one line per client connection) goes to a file.
struct LoggedSimulator {
    child: Child,
    log: PathBuf,
}

impl LoggedSimulator {
    fn start(port: u16, dir: &Path, name: &str) -> LoggedSimulator {
        let log = dir.join(format!("sim-{name}.log"));
        let stderr = std::fs::File::create(&log).expect("simulator log");
        let child = Command::new(binary())
            .args(["simulate", "modbus", "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("start the simulator");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::fs::read_to_string(&log)
            .map(|l| !l.contains("modbus simulator listening"))
            .unwrap_or(true)
        {
            assert!(Instant::now() < deadline, "simulator {name} not listening");
            std::thread::sleep(Duration::from_millis(50));
        }
        LoggedSimulator { child, log }
    }

    /// Client connections it accepted so far.
    fn connections(&self) -> usize {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .matches("modbus client connected")
            .count()
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for LoggedSimulator {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The second source as one reload writes it.
#[derive(Debug, Clone, Copy)]
struct Aux {
    port: u16,
    poll: &'static str,
    points: u16,
    /// `pol` for `poll`: the file is refused.
    misspelt: bool,
}

/// One configuration file: the load (`common::write_config`'s text), then `aux`, and `extra` on
/// the port given; `keep_alive` changes `[mqtt]`.
fn file(base: &str, aux: Aux, extra: Option<u16>, keep_alive: bool) -> String {
    let mut text = if keep_alive {
        base.replace(
            "prefix = \"fieldbridge\"\n",
            "prefix = \"fieldbridge\"\nkeep_alive = \"45s\"\n",
        )
    } else {
        base.to_owned()
    };
    let poll = if aux.misspelt { "pol" } else { "poll" };
    text.push_str(&format!(
        "[[source]]\nname = \"aux\"\nprotocol = \"modbus-tcp\"\naddress = \"127.0.0.1:{}\"\n{poll} = \"{}\"\nheartbeat = \"0s\"\n\n",
        aux.port, aux.poll
    ));
    for i in 0..aux.points {
        text.push_str(&format!(
            "  [[source.point]]\n  name = \"a{i}\"\n  register = \"holding:{}\"\n\n",
            200 + i
        ));
    }
    if let Some(port) = extra {
        text.push_str(&format!(
            "[[source]]\nname = \"extra\"\nprotocol = \"modbus-tcp\"\naddress = \"127.0.0.1:{port}\"\npoll = \"500ms\"\n\n  [[source.point]]\n  name = \"e0\"\n  register = \"holding:200\"\n\n"
        ));
    }
    text
}

/// `sha256:` and the first 16 hex digits of the SHA-256 of `text`, as `sha256sum` starts.
fn version_of(text: &str) -> String {
    let digest = sha2::Sha256::digest(text.as_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// Reloads the bridge logged as done (applied or refused).
fn reloads_logged(log: &str) -> usize {
    log.lines()
        .filter(|l| {
            l.contains("configuration reloaded") || l.contains("configuration reload refused")
        })
        .count()
}

/// The `took_ms` of every applied reload, in order.
fn reload_times(log: &str) -> Vec<f64> {
    log.lines()
        .filter(|l| l.contains("configuration reloaded"))
        .filter_map(|l| {
            l.split("took_ms=")
                .nth(1)?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn ten_reloads_under_load_lose_no_sequence_number_and_restart_only_what_changed() {
    let _load = load_lock().await;
    let broker = Mosquitto::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let (plc_port, a_port, b_port) = (free_port(), free_port(), free_port());
    let sim_plc = LoggedSimulator::start(plc_port, dir.path(), "plc");
    let mut sim_a = LoggedSimulator::start(a_port, dir.path(), "a");
    let sim_b = LoggedSimulator::start(b_port, dir.path(), "b");
    let metrics_port = free_port();
    let path = write_config(dir.path(), &broker, plc_port, metrics_port);
    let base = std::fs::read_to_string(&path).expect("the load's configuration");
    let first = Aux {
        port: a_port,
        poll: "200ms",
        points: 5,
        misspelt: false,
    };
    std::fs::write(&path, file(&base, first, None, false)).expect("write");

    let sub = Subscriber::connect(broker.port(), "fieldbridge/load/#").await;
    let mut bridge = BridgeProcess::run(&path, dir.path());
    assert!(
        sub.wait_for_count(2000, Duration::from_secs(15)).await,
        "no load; log:\n{}",
        bridge.log()
    );

    // Ten reloads, one a second: (aux, extra, [mqtt] changed).
    let moved = Aux {
        port: b_port,
        ..first
    };
    let steps = [
        (
            Aux {
                poll: "300ms",
                ..first
            },
            None,
            false,
        ),
        (Aux { points: 3, ..first }, None, false),
        (
            Aux {
                misspelt: true,
                ..first
            },
            None,
            false,
        ),
        (first, Some(a_port), false),
        (moved, Some(a_port), false),
        (
            Aux {
                poll: "300ms",
                ..moved
            },
            None,
            false,
        ),
        (Aux { points: 3, ..moved }, None, false),
        (
            Aux {
                poll: "100ms",
                ..moved
            },
            None,
            false,
        ),
        (
            Aux {
                poll: "100ms",
                ..moved
            },
            None,
            true,
        ),
        (
            Aux {
                poll: "200ms",
                points: 4,
                ..moved
            },
            None,
            true,
        ),
    ];
    let mut broken_line = 0;
    let mut last_text = String::new();
    let mut a_killed_at = None;
    for (i, (aux, extra, keep_alive)) in steps.iter().enumerate() {
        let step_began = Instant::now();
        let text = file(&base, *aux, *extra, *keep_alive);
        if aux.misspelt {
            broken_line = text
                .lines()
                .position(|l| l.starts_with("pol ="))
                .expect("the misspelt line")
                + 1;
        } else {
            last_text = text.clone();
        }
        std::fs::write(&path, &text).expect("write");
        bridge.signal("HUP");
        let deadline = Instant::now() + Duration::from_secs(10);
        while reloads_logged(&bridge.log()) < i + 1 {
            assert!(
                Instant::now() < deadline,
                "reload {} not done; log:\n{}",
                i + 1,
                bridge.log()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(
            bridge.is_running(),
            "the bridge runs after reload {}",
            i + 1
        );
        // After the sixth, nothing is configured on the first aux simulator any more: it goes.
        if i == 5 {
            sim_a.kill();
            a_killed_at = Some(sub.messages().len());
        }
        tokio::time::sleep(Duration::from_secs(1).saturating_sub(step_began.elapsed())).await;
    }
    let log = bridge.log();

    // The broken file was refused with its line and key, as `check` prints it.
    assert!(
        log.contains(&format!(
            "bridge.toml:line {broken_line}: source[1].pol: unknown key"
        )),
        "line {broken_line} not named; log:\n{log}"
    );
    // [mqtt] changed: warned, not applied.
    assert!(
        log.contains("[mqtt] changed in the configuration file: takes effect at the next restart"),
        "{log}"
    );
    let (_, body) = get(metrics_port, "/metrics");
    assert_eq!(
        metric(
            &body,
            "fieldbridge_config_reloads_total{result=\"applied\"}"
        ),
        Some(9.0)
    );
    assert_eq!(
        metric(
            &body,
            "fieldbridge_config_reloads_total{result=\"refused\"}"
        ),
        Some(1.0)
    );
    let plc_reconnects = metric(
        &body,
        "fieldbridge_source_reconnects_total{device=\"plc\",protocol=\"modbus\"}",
    )
    .expect("plc's reconnects") as usize;

    // The removed source's device is offline, saying why.
    let extra_state = sub
        .wait_for(
            |m| {
                m.topic == "fieldbridge/load/extra/$state"
                    && m.text().contains("removed from the configuration")
            },
            Duration::from_secs(5),
        )
        .await;
    assert!(extra_state.is_some_and(|m| m.text().contains("\"offline\"")));

    // The moved source reads the second simulator: its samples stay good after the first one is gone.
    let after_kill = a_killed_at.expect("the first aux simulator was stopped");
    let aux_after: Vec<_> = sub.messages()[after_kill..]
        .iter()
        .filter(|m| m.topic.starts_with("fieldbridge/load/aux/a"))
        .filter_map(|m| m.json.clone())
        .collect();
    assert!(
        aux_after.len() > 20,
        "aux samples after the move: {}",
        aux_after.len()
    );
    assert!(
        aux_after.iter().all(|j| j["quality"] == "good"),
        "aux read the first simulator: {:?}",
        aux_after.iter().find(|j| j["quality"] != "good")
    );
    assert!(sim_b.connections() >= 1);

    // The state topic shows the last applied file's version.
    let expected = version_of(&last_text);
    let state = Subscriber::connect(broker.port(), "fieldbridge/load/$bridge/e2e/state").await;
    let retained = state
        .wait_for(|m| m.text().contains(&expected), Duration::from_secs(5))
        .await;
    assert!(
        retained.is_some_and(|m| m.retain),
        "retained state with {expected}: {:?}",
        state.messages().last().map(|m| m.text())
    );

    // The unchanged source was started once and connected once (and again only when it says so).
    assert_eq!(
        log.matches("source starting device=plc ").count(),
        1,
        "plc restarted; log:\n{log}"
    );
    assert_eq!(sim_plc.connections(), 1 + plc_reconnects);

    // A clean stop (a SIGHUP right after the SIGTERM changes nothing), and every number from the
    // first to the last arrived.
    wait_drained(metrics_port, 300.0).await;
    // SIGTERM and at once a SIGHUP, which the shutdown ignores.
    bridge.signal("TERM");
    bridge.signal("HUP");
    let status = bridge.wait_exit().expect("the bridge stops on SIGTERM");
    assert!(status.success(), "exit {status:?}; log:\n{}", bridge.log());
    let log = bridge.log();
    let stopping = log.find("stopping the bridge").expect("a clean stop");
    assert!(
        !log[stopping..].contains("reloading"),
        "a reload during the shutdown:\n{log}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let next = next_seq(&dir.path().join("var"), &bridge);
    let received = samples(&sub);
    let distinct: BTreeSet<u64> = received.iter().map(|(s, _, _)| *s).collect();
    let missing: Vec<u64> = (1..next).filter(|s| !distinct.contains(s)).collect();
    let mut last: BTreeMap<String, u64> = BTreeMap::new();
    let mut out_of_order = 0;
    let mut seen = BTreeSet::new();
    for (seq, point, _) in &received {
        if seen.insert(*seq) && last.insert(point.clone(), *seq).is_some_and(|p| p > *seq) {
            out_of_order += 1;
        }
    }
    let times = reload_times(&bridge.log());
    let max = times.iter().copied().fold(0.0, f64::max);
    println!(
        "10 reloads (9 applied, 1 refused) under load: seq 1..{}, received {}, distinct {}, missing {}, \
         per-point order violations {out_of_order}; applied reload took {:.1} ms on average, {max:.1} ms at most; \
         plc connections {}, aux connections to the second simulator {}",
        next - 1,
        received.len(),
        distinct.len(),
        missing.len(),
        times.iter().sum::<f64>() / times.len().max(1) as f64,
        sim_plc.connections(),
        sim_b.connections()
    );
    assert!(
        missing.is_empty(),
        "{} sequence numbers missing, first {:?}",
        missing.len(),
        &missing[..missing.len().min(10)]
    );
    assert_eq!(out_of_order, 0);
    assert_eq!(times.len(), 9);
}
