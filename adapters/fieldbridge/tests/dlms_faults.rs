//! Bad input from a meter (issue 18, acceptance "Bad input"): our meter simulator answers
//! wrongly on purpose (`fieldbridge simulate dlms --fault KIND[:N]`: garbage, an APDU that is
//! none, silence, another key, a replayed frame counter, an HDLC frame with a broken FCS or
//! HCS) → `fieldbridge run` → mosquitto → an MQTT subscriber and `/metrics`. Each fault must
//! give `$state` offline with a reason that names it, the right counter, one warning in the
//! log however often the same fault repeats, and, once the meter answers well again, `$state`
//! online and good samples; the bridge never stops.
//!
//! Over HDLC a frame with a bad FCS or HCS is discarded by the link, which polls again and gets
//! it again within the cycle (IEC 62056-46 checkpoint retransmission): the samples keep coming
//! and the source stays online. Only when every retransmission is spoiled does the cycle fail,
//! as a meter that does not answer.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{get, header, BridgeProcess};
use fieldbridge_tests::{free_port, repo_root, DlmsSimulator, Mosquitto, Subscriber};

const STATE: &str = "fieldbridge/dlms/meter/$state";
const CLOCK: &str = "fieldbridge/dlms/meter/clock";
/// How long a fault and the recovery after it may take: three failed cycles with their
/// backoff (0.5 s doubling, jittered) and their timeouts, then a good one.
const WITHIN: Duration = Duration::from_secs(40);

/// How the meter is reached and secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Meter {
    /// The TCP wrapper, no security.
    Wrapper,
    /// The TCP wrapper, HLS-GMAC and authenticated encryption with captures/dlms/keys.json.
    Ciphered,
    /// HDLC over TCP, no security.
    Hdlc,
}

/// The simulator with a fault, a bridge reading it, a subscriber and the metrics endpoint.
struct Rig {
    sim: DlmsSimulator,
    bridge: BridgeProcess,
    sub: Subscriber,
    metrics_port: u16,
    _broker: Mosquitto,
    _dir: tempfile::TempDir,
}

impl Rig {
    async fn start(meter: Meter, fault: &str) -> Rig {
        let broker = Mosquitto::start();
        let keys = repo_root().join("captures/dlms/keys.json");
        let keys = keys.to_str().expect("a UTF-8 path");
        let mut args = vec!["--fault", fault];
        match meter {
            Meter::Wrapper => {}
            Meter::Hdlc => args.push("--hdlc"),
            Meter::Ciphered => args.extend([
                "--authentication",
                "high-gmac",
                "--security",
                "authenticated-encrypted",
                "--keys",
                keys,
            ]),
        }
        let sim = DlmsSimulator::start(Path::new(env!("CARGO_BIN_EXE_fieldbridge")), &args);
        let dir = tempfile::tempdir().expect("tempdir");
        // The bridge logs the metrics address it was given, not the port it took: a free
        // port, as the other end-to-end tests do.
        let metrics_port = free_port();
        let config = config(dir.path(), &broker, sim.port, meter, metrics_port);
        let sub = Subscriber::connect(broker.port(), "fieldbridge/dlms/#").await;
        let bridge = BridgeProcess::run(&config, dir.path());
        Rig {
            sim,
            bridge,
            sub,
            metrics_port,
            _broker: broker,
            _dir: dir,
        }
    }

    fn context(&self) -> String {
        format!(
            "bridge log:\n{}\nsimulator log:\n{}",
            self.bridge.log(),
            self.sim.log()
        )
    }

    /// The first `$state` offline: its reason and since when.
    async fn offline(&self) -> (String, String) {
        let found = self
            .sub
            .wait_for(|m| m.topic == STATE && state(m) == Some("offline"), WITHIN)
            .await;
        let Some(json) = found.and_then(|m| m.json) else {
            panic!("no $state offline\n{}", self.context());
        };
        let text = |key: &str| json[key].as_str().unwrap_or_default().to_owned();
        (text("reason"), text("since"))
    }

    /// Waits for `$state` online after the first offline one, then for a good clock sample the
    /// bridge received after `since`.
    async fn recovers_after(&self, since: &str) {
        let online_again = || {
            self.sub
                .messages()
                .iter()
                .filter(|m| m.topic == STATE)
                .skip_while(|m| state(m) != Some("offline"))
                .any(|m| state(m) == Some("online"))
        };
        assert!(
            eventually(online_again).await,
            "no $state online after the offline one\n{}",
            self.context()
        );
        let good = self.good_sample_after(millis(since)).await;
        assert!(good, "no good sample after the fault\n{}", self.context());
    }

    /// Whether a good clock sample received after `since` (unix ms) arrives.
    async fn good_sample_after(&self, since: i64) -> bool {
        self.sub
            .wait_for(
                |m| {
                    m.topic == CLOCK
                        && m.json.as_ref().is_some_and(|j| {
                            j["quality"] == "good"
                                && millis(j["received"].as_str().unwrap_or_default()) > since
                        })
                },
                WITHIN,
            )
            .await
            .is_some()
    }

    /// The source's protocol error counter of `kind` (`decode`, `timeout`, `exception`).
    fn errors(&self, kind: &str) -> f64 {
        let (status, body) = get(self.metrics_port, "/metrics");
        assert!(status.contains("200"), "GET /metrics: {status}");
        let line = format!(
            "fieldbridge_protocol_errors_total{{device=\"meter\",protocol=\"dlms\",kind=\"{kind}\"}}"
        );
        common::metric(&body, &line)
            .unwrap_or_else(|| panic!("no {line} in /metrics:\n{body}\n{}", self.context()))
    }

    /// The warnings "dlms poll failed" logged so far.
    fn poll_warnings(&self) -> Vec<String> {
        self.bridge
            .log()
            .lines()
            .filter(|l| l.contains("WARN") && l.contains("dlms poll failed"))
            .map(str::to_owned)
            .collect()
    }

    /// How many faults the simulator injected so far.
    fn injected(&self) -> usize {
        self.sim.log().matches("fault injected").count()
    }
}

/// Whether `condition` holds within [`WITHIN`], looked at every 50 ms.
async fn eventually(condition: impl Fn() -> bool) -> bool {
    let deadline = std::time::Instant::now() + WITHIN;
    while !condition() {
        if std::time::Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    true
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn state(m: &fieldbridge_tests::Message) -> Option<&str> {
    m.json.as_ref()?.get("state")?.as_str()
}

/// An RFC 3339 time in unix milliseconds (`i64::MIN` when it is none).
fn millis(text: &str) -> i64 {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_or(i64::MIN, |t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
}

fn config(
    dir: &Path,
    broker: &Mosquitto,
    port: u16,
    meter: Meter,
    metrics_port: u16,
) -> std::path::PathBuf {
    let (transport, timeout) = match meter {
        Meter::Hdlc => ("hdlc\"\nphysical_address = 17\n", "2s"),
        Meter::Wrapper | Meter::Ciphered => ("wrapper\"\n", "1s"),
    };
    let security = if meter == Meter::Ciphered {
        // The keys of captures/dlms/keys.json; the client's system title is its
        // client_system_title, the meter's comes in the AARE.
        let ek = dir.join("meter.ek");
        let ak = dir.join("meter.ak");
        std::fs::write(&ek, "000102030405060708090A0B0C0D0E0F\n").expect("key file");
        std::fs::write(&ak, "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF\n").expect("key file");
        format!(
            "client_address = 1\nauthentication = \"high-gmac\"\nsecurity = \"authenticated-encrypted\"\nencryption_key_file = \"{}\"\nauthentication_key_file = \"{}\"\nsystem_title = \"4D4D4D0000000001\"\n",
            ek.display(),
            ak.display()
        )
    } else {
        "client_address = 16\nauthentication = \"none\"\nsecurity = \"none\"\n".to_owned()
    };
    let text = format!(
        "{}[metrics]\nlisten = \"127.0.0.1:{metrics_port}\"\n\n[[source]]\nname = \"meter\"\nprotocol = \"dlms\"\naddress = \"127.0.0.1:{port}\"\ntransport = \"{transport}server_address = 1\n{security}device_time = \"utc\"\npoll = \"1s\"\ntimeout = \"{timeout}\"\n\n  [[source.point]]\n  name = \"energy_import\"\n  obis = \"1.0.1.8.0.255\"\n  class = 3\n  attribute = 2\n\n  [[source.point]]\n  name = \"clock\"\n  obis = \"0.0.1.0.0.255\"\n  class = 8\n  attribute = 2\n",
        header("dlms", &dir.join("var"), &broker.url()),
    );
    let path = dir.join("bridge.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

/// `count` faults in a row, each failing one cycle: `$state` offline with a reason containing
/// each of `words`, the `counter` up by `count`, one warning, then online and good samples.
async fn fails_then_recovers(
    meter: Meter,
    fault: &str,
    count: usize,
    words: &[&str],
    counter: &str,
) {
    let mut rig = Rig::start(meter, &format!("{fault}:{count}")).await;
    let (reason, since) = rig.offline().await;
    for word in words {
        assert!(
            reason.contains(word),
            "the reason {reason:?} does not name the fault ({word:?})\n{}",
            rig.context()
        );
    }
    rig.recovers_after(&since).await;
    assert_eq!(rig.injected(), count, "faults injected\n{}", rig.context());
    assert_eq!(
        rig.errors(counter),
        count as f64,
        "{counter} errors after {count} faults\n{}",
        rig.context()
    );
    let warnings = rig.poll_warnings();
    assert_eq!(
        warnings.len(),
        1,
        "one warning for {count} failed cycles with the same reason: {warnings:#?}\n{}",
        rig.context()
    );
    assert!(warnings[0].contains(&reason), "{warnings:?} vs {reason:?}");
    // Logged when the cycle that delivered the good samples ends: a moment after they arrive.
    let logged_by = std::time::Instant::now() + Duration::from_secs(5);
    while !rig.bridge.log().contains("dlms meter read again")
        && std::time::Instant::now() < logged_by
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        rig.bridge.log().contains("dlms meter read again"),
        "the recovery is logged\n{}",
        rig.context()
    );
    assert!(
        rig.bridge.is_running(),
        "the bridge stopped\n{}",
        rig.context()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn octets_that_are_no_wrapper_pdu_are_a_decode_error_logged_once_and_the_meter_read_again() {
    fails_then_recovers(Meter::Wrapper, "garbage", 3, &["bad wrapper PDU"], "decode").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrapper_pdu_whose_apdu_is_none_is_a_decode_error_logged_once_and_the_meter_read_again() {
    fails_then_recovers(
        Meter::Wrapper,
        "not-dlms",
        3,
        &["does not decode"],
        "decode",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_hdlc_frame_whose_apdu_is_none_is_a_decode_error_logged_once_and_the_meter_read_again() {
    fails_then_recovers(Meter::Hdlc, "not-dlms", 3, &["does not decode"], "decode").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_meter_that_falls_silent_is_a_timeout_logged_once_and_read_again() {
    fails_then_recovers(Meter::Wrapper, "silence", 3, &["no answer"], "timeout").await;
}

/// A ciphered fault: `$state` offline naming it, one warning, then online and good samples.
/// (The counter is checked apart, in the tests below.)
async fn refused_then_recovers(fault: &str, count: usize, words: &[&str]) -> Rig {
    let mut rig = Rig::start(Meter::Ciphered, &format!("{fault}:{count}")).await;
    let (reason, since) = rig.offline().await;
    for word in words {
        assert!(
            reason.contains(word),
            "the reason {reason:?} does not name the fault ({word:?})\n{}",
            rig.context()
        );
    }
    rig.recovers_after(&since).await;
    assert_eq!(rig.injected(), count, "faults injected\n{}", rig.context());
    let warnings = rig.poll_warnings();
    assert_eq!(
        warnings.len(),
        1,
        "one warning for {count} refused answers: {warnings:#?}\n{}",
        rig.context()
    );
    assert!(
        rig.bridge.is_running(),
        "the bridge stopped\n{}",
        rig.context()
    );
    rig
}

#[tokio::test(flavor = "multi_thread")]
async fn an_answer_ciphered_with_another_key_fails_its_tag_is_logged_once_and_the_meter_read_again()
{
    refused_then_recovers("wrong-key", 3, &["GCM tag", "does not verify"]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_replayed_frame_counter_is_refused_as_a_replay_and_the_meter_read_again() {
    refused_then_recovers("replay-counter", 1, &["replay"]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_answer_ciphered_with_another_key_is_counted() {
    let rig = refused_then_recovers("wrong-key", 3, &["GCM tag"]).await;
    assert_eq!(rig.errors("decode"), 3.0, "{}", rig.context());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_replayed_frame_counter_is_counted() {
    let rig = refused_then_recovers("replay-counter", 1, &["replay"]).await;
    assert_eq!(rig.errors("decode"), 1.0, "{}", rig.context());
}

#[tokio::test(flavor = "multi_thread")]
async fn replayed_frame_counters_in_a_row_are_logged_once() {
    refused_then_recovers("replay-counter", 3, &["replay"]).await;
}

/// Over HDLC, `count` I frames answering in the association spoiled by `fault`.
async fn hdlc_frames_spoiled(fault: &str, count: usize) -> Rig {
    Rig::start(Meter::Hdlc, &format!("{fault}:{count}")).await
}

/// One spoiled frame: the link polls again and reads it again; the source stays online and
/// good samples arrive after the fault; no poll fails.
async fn one_frame_recovered_within_the_cycle(fault: &str) {
    let mut rig = hdlc_frames_spoiled(fault, 1).await;
    // The fault hits the first answer of the first association; its frame is sent again.
    assert!(
        eventually(|| rig.injected() == 1).await,
        "the fault was not injected\n{}",
        rig.context()
    );
    let after = now_ms();
    assert!(
        rig.good_sample_after(after).await,
        "no sample after the fault\n{}",
        rig.context()
    );
    let offline = rig
        .sub
        .messages()
        .into_iter()
        .any(|m| m.topic == STATE && state(&m) == Some("offline"));
    assert!(!offline, "offline for one spoiled frame\n{}", rig.context());
    assert!(rig.poll_warnings().is_empty(), "{}", rig.context());
    assert_eq!(rig.errors("timeout"), 0.0, "{}", rig.context());
    assert!(
        rig.bridge.is_running(),
        "the bridge stopped\n{}",
        rig.context()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_hdlc_frame_with_a_bad_fcs_is_sent_again_within_the_cycle_and_the_samples_go_on() {
    one_frame_recovered_within_the_cycle("bad-fcs").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_hdlc_frame_with_a_bad_hcs_is_sent_again_within_the_cycle_and_the_samples_go_on() {
    one_frame_recovered_within_the_cycle("bad-hcs").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_hdlc_answer_whose_every_repetition_has_a_bad_fcs_fails_the_cycle_then_recovers() {
    // The frame and its three repetitions (the link's retries): the cycle gives up on it.
    let mut rig = hdlc_frames_spoiled("bad-fcs", 4).await;
    let (reason, since) = rig.offline().await;
    assert!(
        reason.contains("no valid answer"),
        "{reason:?}\n{}",
        rig.context()
    );
    rig.recovers_after(&since).await;
    assert_eq!(rig.injected(), 4, "{}", rig.context());
    assert_eq!(rig.errors("timeout"), 1.0, "{}", rig.context());
    assert_eq!(rig.poll_warnings().len(), 1, "{}", rig.context());
    assert!(
        rig.bridge.is_running(),
        "the bridge stopped\n{}",
        rig.context()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_hdlc_frame_with_a_bad_fcs_is_counted_and_named() {
    let rig = hdlc_frames_spoiled("bad-fcs", 4).await;
    let (reason, _) = rig.offline().await;
    assert!(
        reason.contains("FCS") || reason.contains("checksum"),
        "{reason:?}\n{}",
        rig.context()
    );
    assert!(rig.errors("decode") >= 1.0, "{}", rig.context());
}
