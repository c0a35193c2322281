//! Clock jumps (issue 14; `docs/reliability.md`, *Clock jumps*): the bridge runs under libfaketime
//! (Debian's `faketime`), which fakes its wall clock only (`FAKETIME_DONT_FAKE_MONOTONIC=1`); the
//! test moves that clock mid-run by rewriting the file named by `FAKETIME_TIMESTAMP_FILE`, which
//! the bridge re-reads every second (`FAKETIME_CACHE_DURATION=1`). The machine's clock, the
//! simulator, mosquitto and this test keep the real time.
//!
//! - A 1,000 samples/s run (100 registers every 100 ms) whose clock goes back an hour and then
//!   forward a day: no sequence number is missing or repeated at the subscriber, polling keeps
//!   its rate in every phase, `received` follows the fake clock, and a command that arrived
//!   before the forward jump is carried out within its `expires` as measured at its arrival.
//! - A box that starts at 1970 and is then set to today: samples read at 1970 carry
//!   `bridge_clock_unset`, later ones do not; at 1970 a command with `expires` is refused with the
//!   documented reason and one without executes; after the jump `expires` is judged again.

mod common;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{binary, header, load_lock, simulator, POINTS};
use fieldbridge_core::time::Timestamp;
use fieldbridge_tests::{free_port, Mosquitto, Subscriber};
use serde_json::Value;

const LIBFAKETIME: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";
const SITE: &str = "clock";
const HOUR: i64 = 3600;
const DAY: i64 = 86_400;
/// How long after a rewrite of the clock file the bridge surely reads the new time.
const SETTLE: Duration = Duration::from_millis(2500);

/// The real time, Unix milliseconds (this process is not under libfaketime).
fn real_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn rfc3339(unix_ms: i64) -> String {
    Timestamp::from_unix_millis(unix_ms)
        .expect("a representable time")
        .to_rfc3339_millis()
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ`, as the bridge publishes it, to Unix milliseconds.
fn parse_ms(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 24 || b[23] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| text.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss, ms) = (num(11..13)?, num(14..16)?, num(17..19)?, num(20..23)?);
    // Days from the civil date (H. Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 24 + hh) * 60 + mm) * 60_000 + ss * 1000 + ms)
}

/// The bridge's wall clock: an offset from the real time, in libfaketime's timestamp file.
struct FakeClock {
    file: PathBuf,
    offset_secs: AtomicI64,
}

impl FakeClock {
    fn new(dir: &Path, offset_secs: i64) -> FakeClock {
        assert!(
            Path::new(LIBFAKETIME).exists(),
            "{LIBFAKETIME} is missing: install the Debian package faketime (scripts/install-peers)"
        );
        let clock = FakeClock {
            file: dir.join("faketime.rc"),
            offset_secs: AtomicI64::new(0),
        };
        clock.set(offset_secs);
        clock
    }

    /// Moves the bridge's clock to the real time plus `offset_secs` (effective within a second).
    fn set(&self, offset_secs: i64) {
        let tmp = self.file.with_extension("tmp");
        std::fs::write(&tmp, format!("{offset_secs:+}\n")).expect("write the faketime file");
        std::fs::rename(&tmp, &self.file).expect("replace the faketime file");
        self.offset_secs.store(offset_secs, Ordering::SeqCst);
        println!("clock: the bridge's wall clock is now real {offset_secs:+} s");
    }

    /// The offset last set, seconds.
    fn offset(&self) -> i64 {
        self.offset_secs.load(Ordering::SeqCst)
    }

    /// What the bridge's clock reads now, Unix milliseconds.
    fn now_ms(&self) -> i64 {
        real_ms() + self.offset() * 1000
    }
}

/// `fieldbridge run` under libfaketime; killed on drop.
struct FakedBridge {
    child: Child,
    log: PathBuf,
}

impl FakedBridge {
    fn run(config: &Path, dir: &Path, clock: &FakeClock) -> FakedBridge {
        let log = dir.join("bridge.log");
        let stderr = std::fs::File::create(&log).expect("bridge log file");
        let child = Command::new(binary())
            .args(["run", "--config"])
            .arg(config)
            .env("RUST_LOG", "info")
            .env("LD_PRELOAD", LIBFAKETIME)
            .env("FAKETIME_TIMESTAMP_FILE", &clock.file)
            .env("FAKETIME_CACHE_DURATION", "1")
            .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("start fieldbridge run under libfaketime");
        FakedBridge { child, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM, then the exit status (the bridge then writes its exact next sequence number).
    fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        for _ in 0..300 {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the bridge did not stop on SIGTERM; log:\n{}", self.log());
    }
}

impl Drop for FakedBridge {
    /// SIGTERM first, so that libfaketime removes its shared memory (`/dev/shm/faketime_*`) at
    /// exit; SIGKILL after 3 s.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let pid = self.child.id().to_string();
            let _ = Command::new("kill").args(["-TERM", &pid]).status();
            for _ in 0..60 {
                if !matches!(self.child.try_wait(), Ok(None)) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A TCP relay in front of the simulator that can hold every byte: a device that stops
/// answering for a while, so a command queues behind a poll in flight.
struct Gate {
    port: u16,
    paused: Arc<AtomicBool>,
}

impl Gate {
    fn start(upstream: u16) -> Gate {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind the gate");
        let port = listener.local_addr().expect("gate address").port();
        let paused = Arc::new(AtomicBool::new(false));
        let held = Arc::clone(&paused);
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = TcpStream::connect((Ipv4Addr::LOCALHOST, upstream)) else {
                    continue;
                };
                for (from, to) in [
                    (client.try_clone(), server.try_clone()),
                    (server.try_clone(), client.try_clone()),
                ] {
                    let (Ok(mut from), Ok(mut to)) = (from, to) else {
                        continue;
                    };
                    let held = Arc::clone(&held);
                    std::thread::spawn(move || {
                        let mut buf = [0u8; 4096];
                        while let Ok(n @ 1..) = from.read(&mut buf) {
                            while held.load(Ordering::SeqCst) {
                                std::thread::sleep(Duration::from_millis(5));
                            }
                            if to.write_all(&buf[..n]).is_err() {
                                break;
                            }
                        }
                        let _ = to.shutdown(std::net::Shutdown::Both);
                    });
                }
            }
        });
        Gate { port, paused }
    }

    fn hold(&self, hold: bool) {
        self.paused.store(hold, Ordering::SeqCst);
        println!(
            "gate: the device behind it {}",
            if hold {
                "stops answering"
            } else {
                "answers again"
            }
        );
    }
}

/// The bridge's configuration: `plc` polls 100 registers every 100 ms (1,000 samples/s), `r0`
/// writable; `gate` polls one writable register through the [`Gate`], with a request timeout
/// longer than the gate is ever held.
fn write_config(dir: &Path, broker: &Mosquitto, plc_port: u16, gate_port: Option<u16>) -> PathBuf {
    let mut config = header(SITE, &dir.join("var"), &broker.url());
    config.push_str("[commands]\ntimeout = \"60s\"\n\n");
    config.push_str(&format!(
        "[[source]]\nname = \"plc\"\nprotocol = \"modbus-tcp\"\naddress = \"127.0.0.1:{plc_port}\"\npoll = \"100ms\"\nheartbeat = \"0s\"\n\n"
    ));
    for i in 0..POINTS {
        config.push_str(&format!(
            "  [[source.point]]\n  name = \"r{i}\"\n  register = \"holding:{}\"\n{}\n",
            200 + i,
            if i == 0 { "  writable = true\n" } else { "" }
        ));
    }
    if let Some(gate_port) = gate_port {
        config.push_str(&format!(
            "[[source]]\nname = \"gate\"\nprotocol = \"modbus-tcp\"\naddress = \"127.0.0.1:{gate_port}\"\npoll = \"500ms\"\nheartbeat = \"0s\"\ntimeout = \"20s\"\nretries = 0\n\n  [[source.point]]\n  name = \"sp\"\n  register = \"holding:300\"\n  writable = true\n\n"
        ));
    }
    let path = dir.join("bridge.toml");
    std::fs::write(&path, config).expect("write config");
    path
}

/// One sample as the subscriber got it.
#[derive(Debug, Clone)]
struct Got {
    seq: u64,
    device: String,
    received_ms: i64,
    clock_unset: bool,
}

fn sample_of(m: &fieldbridge_tests::Message) -> Option<Got> {
    let j = m.json.as_ref()?;
    let seq = j["seq"].as_u64()?;
    let mut levels = m.topic.rsplit('/');
    levels.next();
    let device = levels.next()?.to_owned();
    let received_ms = parse_ms(j["received"].as_str()?)?;
    let clock_unset = j["flags"]
        .as_array()
        .is_some_and(|f| f.iter().any(|f| f == "bridge_clock_unset"));
    Some(Got {
        seq,
        device,
        received_ms,
        clock_unset,
    })
}

/// What arrived in one phase of a run.
struct Phase {
    name: &'static str,
    offset_secs: i64,
    samples: Vec<Got>,
    seconds: f64,
    start_ms: i64,
    end_ms: i64,
}

impl Phase {
    /// Records for `length` what the subscriber receives.
    async fn watch(
        name: &'static str,
        clock: &FakeClock,
        sub: &Subscriber,
        length: Duration,
    ) -> Phase {
        let from = sub.messages().len();
        let start_ms = real_ms();
        let started = std::time::Instant::now();
        tokio::time::sleep(length).await;
        let messages = sub.messages();
        let seconds = started.elapsed().as_secs_f64();
        let end_ms = real_ms();
        let samples: Vec<Got> = messages.iter().skip(from).filter_map(sample_of).collect();
        Phase {
            name,
            offset_secs: clock.offset(),
            samples,
            seconds,
            start_ms,
            end_ms,
        }
    }

    /// Checks the rate of `plc` (1,000/s within 15 %) and that `received` follows the fake clock,
    /// and prints the phase; returns how many samples were flagged `bridge_clock_unset`.
    fn check(&self) -> usize {
        let plc = self.samples.iter().filter(|s| s.device == "plc").count();
        let rate = plc as f64 / self.seconds;
        let flagged = self.samples.iter().filter(|s| s.clock_unset).count();
        let offset_ms = self.offset_secs * 1000;
        // A sample arriving in the window was read at most a little before it (the broker and
        // the subscriber on loopback): its `received` is the fake clock of that moment.
        let off: Vec<&Got> = self
            .samples
            .iter()
            .filter(|s| {
                let real = s.received_ms - offset_ms;
                real < self.start_ms - 1500 || real > self.end_ms + 500
            })
            .collect();
        let (first, last) = (
            self.samples
                .iter()
                .map(|s| s.received_ms)
                .min()
                .unwrap_or(0),
            self.samples
                .iter()
                .map(|s| s.received_ms)
                .max()
                .unwrap_or(0),
        );
        println!(
            "phase {:<16} clock real {:+} s: {plc} plc samples in {:.1} s = {rate:.0}/s; received {} .. {}; {flagged} flagged bridge_clock_unset; {} with a received off the fake clock",
            self.name,
            self.offset_secs,
            self.seconds,
            rfc3339(first),
            rfc3339(last),
            off.len()
        );
        assert!(
            (850.0..=1150.0).contains(&rate),
            "{}: polling ran at {rate:.0} samples/s, not 1,000",
            self.name
        );
        assert!(
            off.is_empty(),
            "{}: {} samples with a received off the fake clock, e.g. {:?}",
            self.name,
            off.len(),
            off.first()
        );
        flagged
    }
}

/// Publishes one command with mosquitto_pub at QoS 1.
fn send(broker: &Mosquitto, device: &str, point: &str, payload: &str) {
    println!("command -> {device}/{point}/set: {payload}");
    common::mosquitto_pub(
        broker,
        &format!("fieldbridge/{SITE}/{device}/{point}/set"),
        payload,
    );
}

/// The result of command `id`, waiting up to `within`.
async fn result(sub: &Subscriber, id: &str, within: Duration) -> Value {
    let found = sub
        .wait_for(
            |m| m.topic.ends_with("/set/result") && m.json.as_ref().is_some_and(|j| j["id"] == id),
            within,
        )
        .await;
    let r = found
        .and_then(|m| m.json)
        .unwrap_or_else(|| panic!("no result for command {id} within {within:?}"));
    println!(
        "result   <- {id}: {} after {} ms {}",
        r["outcome"].as_str().unwrap_or("?"),
        r["latency_ms"],
        r["reason"].as_str().unwrap_or("")
    );
    r
}

/// Stops the bridge and checks that every sequence number it gave out arrived exactly once.
fn stop_and_verify(what: &str, bridge: &mut FakedBridge, sub: &Subscriber, data_dir: &Path) {
    let status = bridge.terminate();
    assert!(status.success(), "exit {status:?}; log:\n{}", bridge.log());
    std::thread::sleep(Duration::from_millis(500));
    let next: u64 = std::fs::read_to_string(data_dir.join("seq"))
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "no sequence file after the clean stop; log:\n{}",
                bridge.log()
            )
        });
    let got: Vec<Got> = sub.messages().iter().filter_map(sample_of).collect();
    let distinct: BTreeSet<u64> = got.iter().map(|s| s.seq).collect();
    let first = distinct.first().copied().unwrap_or(1);
    let missing: Vec<u64> = (first..next).filter(|s| !distinct.contains(s)).collect();
    let repeated = got.len() - distinct.len();
    let flagged = got.iter().filter(|s| s.clock_unset).count();
    println!(
        "{what}: sent {} (seq {first}..{}), received {}, distinct {}, repeated {repeated}, missing {}, flagged bridge_clock_unset {flagged}",
        next - first,
        next - 1,
        got.len(),
        distinct.len(),
        missing.len()
    );
    assert!(first <= 2, "the stream starts at the first number: {first}");
    assert!(
        missing.is_empty(),
        "{} sequence numbers missing, first {:?}",
        missing.len(),
        &missing[..missing.len().min(10)]
    );
    assert_eq!(repeated, 0, "sequence numbers repeated");
    // Strictly increasing in the order the bridge published them (one connection, QoS 1, no
    // outage: the broker keeps the order).
    let order: Vec<u64> = got.iter().map(|s| s.seq).collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "sequence numbers out of order"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_clock_jumping_back_an_hour_and_forward_a_day_disturbs_neither_numbering_nor_polling() {
    let _load = load_lock().await;
    let broker = Mosquitto::start();
    let modbus_port = free_port();
    let _sim = simulator(modbus_port);
    let gate = Gate::start(modbus_port);
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = FakeClock::new(dir.path(), 0);
    let config = write_config(dir.path(), &broker, modbus_port, Some(gate.port));
    let sub = Subscriber::connect(broker.port(), &format!("fieldbridge/{SITE}/#")).await;
    let mut bridge = FakedBridge::run(&config, dir.path(), &clock);
    assert!(
        sub.wait_for_count(3000, Duration::from_secs(20)).await,
        "no load; log:\n{}",
        bridge.log()
    );

    let mut phases = vec![Phase::watch("right", &clock, &sub, Duration::from_secs(6)).await];
    clock.set(-HOUR);
    tokio::time::sleep(SETTLE).await;
    phases.push(Phase::watch("back an hour", &clock, &sub, Duration::from_secs(6)).await);

    // A command that arrives before the forward jump, with 20 s to go by the clock of its
    // arrival, waits behind a poll the device does not answer; the clock jumps a day forward
    // meanwhile. Its deadline is monotonic: it is carried out once the device answers.
    gate.hold(true);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let expires = rfc3339(clock.now_ms() + 20_000);
    send(
        &broker,
        "gate",
        "sp",
        &format!(r#"{{"id":"held-over-the-jump","value":7,"expires":"{expires}"}}"#),
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    clock.set(DAY);
    tokio::time::sleep(SETTLE).await;
    gate.hold(false);
    let held = result(&sub, "held-over-the-jump", Duration::from_secs(15)).await;
    assert_eq!(
        held["outcome"], "success",
        "a command whose deadline had not passed by the monotonic clock must not be expired by a jump: {held}"
    );
    // It did wait over the jump: it arrived about 3.5 s before the device answered again.
    assert!(
        held["latency_ms"].as_f64().is_some_and(|ms| ms > 2500.0),
        "the command did not wait behind the held device: {held}"
    );
    phases.push(Phase::watch("forward a day", &clock, &sub, Duration::from_secs(6)).await);

    // After the jump, expires is judged by the clock as it reads now.
    let expires = rfc3339(clock.now_ms() + 10_000);
    send(
        &broker,
        "plc",
        "r0",
        &format!(r#"{{"id":"after-the-jump","value":5,"expires":"{expires}"}}"#),
    );
    assert_eq!(
        result(&sub, "after-the-jump", Duration::from_secs(10)).await["outcome"],
        "success"
    );

    let flagged: usize = phases.iter().map(Phase::check).sum();
    assert_eq!(flagged, 0, "a set clock (even a wrong one) is not flagged");
    stop_and_verify(
        "clock back an hour, then forward a day",
        &mut bridge,
        &sub,
        &dir.path().join("var"),
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_box_starting_at_1970_flags_its_samples_and_judges_expires_only_once_its_clock_is_set() {
    let _load = load_lock().await;
    let broker = Mosquitto::start();
    let modbus_port = free_port();
    let _sim = simulator(modbus_port);
    let dir = tempfile::tempdir().expect("tempdir");
    // 1970-01-01T00:00:00Z when the file is written, running on from there.
    let at_1970 = -(real_ms() / 1000);
    let clock = FakeClock::new(dir.path(), at_1970);
    let config = write_config(dir.path(), &broker, modbus_port, None);
    let sub = Subscriber::connect(broker.port(), &format!("fieldbridge/{SITE}/#")).await;
    let mut bridge = FakedBridge::run(&config, dir.path(), &clock);
    assert!(
        sub.wait_for_count(3000, Duration::from_secs(20)).await,
        "no load; log:\n{}",
        bridge.log()
    );

    let unset = Phase::watch("1970", &clock, &sub, Duration::from_secs(5)).await;
    // The sender's clock is right; the bridge's is not, so it cannot tell whether this is stale.
    let expires = rfc3339(real_ms() + 60_000);
    send(
        &broker,
        "plc",
        "r0",
        &format!(r#"{{"id":"at-1970-with-expires","value":11,"expires":"{expires}"}}"#),
    );
    let refused = result(&sub, "at-1970-with-expires", Duration::from_secs(10)).await;
    assert_eq!(refused["outcome"], "refused");
    assert!(
        refused["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("the bridge's clock is not set")),
        "{refused}"
    );
    send(&broker, "plc", "r0", r#"{"id":"at-1970-plain","value":12}"#);
    assert_eq!(
        result(&sub, "at-1970-plain", Duration::from_secs(10)).await["outcome"],
        "success"
    );

    clock.set(0);
    tokio::time::sleep(SETTLE).await;
    let set = Phase::watch("today", &clock, &sub, Duration::from_secs(5)).await;
    let expires = rfc3339(real_ms() + 30_000);
    send(
        &broker,
        "plc",
        "r0",
        &format!(r#"{{"id":"today-with-expires","value":13,"expires":"{expires}"}}"#),
    );
    assert_eq!(
        result(&sub, "today-with-expires", Duration::from_secs(10)).await["outcome"],
        "success"
    );
    let stale = rfc3339(real_ms() - 60_000);
    send(
        &broker,
        "plc",
        "r0",
        &format!(r#"{{"id":"today-stale","value":14,"expires":"{stale}"}}"#),
    );
    assert_eq!(
        result(&sub, "today-stale", Duration::from_secs(10)).await["outcome"],
        "expired"
    );

    let flagged_1970 = unset.check();
    let flagged_today = set.check();
    assert_eq!(
        flagged_1970,
        unset.samples.len(),
        "every sample read at 1970 says so"
    );
    assert_eq!(
        flagged_today, 0,
        "no sample read after the clock was set is flagged"
    );
    // Over the whole run, the flag is exactly "received before the clock was set".
    let floor_ms = fieldbridge_core::clock::floor().unix_millis();
    let wrong: Vec<Got> = sub
        .messages()
        .iter()
        .filter_map(sample_of)
        .filter(|s| s.clock_unset != (s.received_ms < floor_ms))
        .collect();
    assert!(
        wrong.is_empty(),
        "flag and received disagree: {:?}",
        wrong.first()
    );
    stop_and_verify(
        "clock at 1970, then set to today",
        &mut bridge,
        &sub,
        &dir.path().join("var"),
    );
}
