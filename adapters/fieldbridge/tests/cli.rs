//! The binary's own commands: `check` on good and bad files, and `demo` printing samples quickly.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::binary;

fn repo_file(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

fn check(path: &std::path::Path) -> (Option<i32>, String, String) {
    let out = Command::new(binary())
        .args(["check", "--config"])
        .arg(path)
        .output()
        .expect("run check");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn check_accepts_the_demo_configuration() {
    let (code, stdout, stderr) = check(&repo_file("adapters/sim/demo.toml"));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains(": ok ("), "{stdout}");
}

/// Each source of the CONFIG.md example on its own, with the example's bridge, broker and outbox:
/// the Modbus, IEC 104 and IEC 101 ones are `ok` (the IEC 104 one with its writable point); the
/// DLMS client's points it does not read yet are refused by its driver; each protocol this binary
/// does not run yet is refused honestly, at the line of its `protocol` key, never `ok`.
#[test]
fn check_on_every_example_of_config_md_says_ok_or_names_what_is_not_built_yet() {
    let reference = std::fs::read_to_string(repo_file("examples/config-reference.toml"))
        .expect("read the reference");
    let mut blocks = reference.split("\n[[source]]\n");
    let head = blocks.next().expect("the head");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut seen = Vec::new();
    for (i, block) in blocks.enumerate() {
        // Comment lines between examples ("# ---- IEC ...") belong to the next one: harmless.
        let text = format!("{head}\n[[source]]\n{block}");
        let protocol_line = text
            .lines()
            .position(|l| l.starts_with("protocol = "))
            .map(|n| n + 1)
            .expect("a protocol key");
        let protocol = text.lines().nth(protocol_line - 1).unwrap_or_default();
        let protocol = protocol.split('"').nth(1).unwrap_or_default().to_owned();
        let path = dir.path().join(format!("example{i}.toml"));
        std::fs::write(&path, &text).expect("write");
        let (code, stdout, stderr) = check(&path);
        if protocol.starts_with("modbus") {
            assert_eq!(code, Some(0), "{protocol}: {stderr}");
            assert!(stdout.contains(": ok (1 sources"), "{stdout}");
        } else if protocol == "iec104" || protocol == "iec101" {
            // The IEC 104 example's writable point is accepted: the IEC sources carry commands.
            assert_eq!(code, Some(0), "{protocol}: {stdout}{stderr}");
            assert!(stdout.contains(": ok (1 sources"), "{stdout}");
        } else if protocol == "dlms" || protocol == "dlms-push" {
            // The DLMS client (its profile and its writable disconnect control included) and
            // the push listener run.
            assert_eq!(code, Some(0), "{protocol}: {stdout}{stderr}");
            assert!(stdout.contains(": ok (1 sources"), "{stdout}");
        } else {
            assert_eq!(
                code,
                Some(2),
                "{protocol} must be refused: {stdout}{stderr}"
            );
            let expected = format!(
                "{}:line {protocol_line}: source[0].protocol: protocol {protocol} is not built into this binary yet",
                path.display()
            );
            assert!(
                stderr.contains(&expected),
                "missing {expected:?} in:\n{stderr}"
            );
            assert!(!stdout.contains("ok"), "{stdout}");
        }
        seen.push(protocol);
    }
    assert_eq!(
        seen,
        ["modbus-tcp", "iec104", "iec101", "dlms", "dlms-push"],
        "the examples of CONFIG.md"
    );
}

#[test]
fn check_reports_every_mistake_with_its_line_and_key_and_exits_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.toml");
    std::fs::write(
        &path,
        "[bridge]\nid = \"gw\"\nsite = \"s\"\n\n[mqtt]\nurl = \"mqtt://127.0.0.1\"\nqos = 7\n\n[[source]]\nname = \"plc\"\nprotocol = \"modbus-tcp\"\naddress = \"127.0.0.1:502\"\n  [[source.point]]\n  name = \"x\"\n  register = \"holding:1\"\n  type = \"f33\"\n  word_ordr = \"cdab\"\n",
    )
    .expect("write");
    let out = Command::new(binary())
        .args(["check", "--config"])
        .arg(&path)
        .output()
        .expect("run check");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let shown = path.display().to_string();
    for expected in [
        format!("{shown}:line 7: mqtt.qos: 7 is out of range (expected 0 to 1)"),
        format!("{shown}:line 16: source[0].point[0].type: unknown type \"f33\""),
        format!("{shown}:line 17: source[0].point[0].word_ordr: unknown key for a Modbus point"),
    ] {
        assert!(
            stderr.contains(&expected),
            "missing {expected:?} in:\n{stderr}"
        );
    }
    assert!(stderr.starts_with("3 mistakes"), "{stderr}");
}

#[test]
fn demo_prints_samples_within_five_seconds_of_start() {
    let start = Instant::now();
    let mut child = Command::new(binary())
        .args(["demo", "--count", "5", "--seconds", "20"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start demo");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send((line, start.elapsed())).is_err() {
                break;
            }
        }
    });
    let mut samples = Vec::new();
    while let Ok((line, at)) = rx.recv_timeout(Duration::from_secs(10)) {
        if line.starts_with("sim/") && line.contains(" = ") && line.contains("seq=") {
            samples.push((line, at));
        }
    }
    let status = child.wait().expect("demo exits after --count");
    assert!(status.success(), "demo failed");
    assert!(samples.len() >= 5, "demo printed {samples:?}");
    let (first, at) = &samples[0];
    assert!(
        *at < Duration::from_secs(5),
        "first sample {first:?} after {at:?}"
    );
    assert!(first.contains("(good)"), "{first}");
}

#[test]
fn demo_commands_the_simulator_once_and_prints_the_success() {
    let output = Command::new(binary())
        .args(["demo", "--seconds", "6"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .output()
        .expect("run demo");
    assert!(output.status.success(), "demo failed");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let result = stdout
        .lines()
        .find(|l| l.starts_with("sim/setpoint_f32/set/result:"))
        .unwrap_or_else(|| panic!("no command result in:\n{stdout}"));
    assert!(result.contains("\"demo-1\" success (fc16"), "{result}");
    // The confirmed value is published as a sample too.
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("sim/setpoint_f32 = 42.5 (good)")),
        "{stdout}"
    );
}

#[test]
fn demo_iec104_interrogates_and_operates_the_switch_with_select_before_operate() {
    let output = Command::new(binary())
        .args(["demo", "--protocol", "iec104", "--seconds", "6"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .output()
        .expect("run demo");
    assert!(output.status.success(), "demo failed");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.lines().any(|l| l == "rtu/$state: online"),
        "{stdout}"
    );
    // The interrogation: configured names and default ones, with units.
    for sample in [
        "rtu/feeder_current = ",
        "rtu/energy = 0 kWh (good)",
        "rtu/ca1-ioa300 = ",
    ] {
        assert!(
            stdout.lines().any(|l| l.starts_with(sample)),
            "no {sample:?} in:\n{stdout}"
        );
    }
    let result = stdout
        .lines()
        .find(|l| l.starts_with("rtu/switch/set/result:"))
        .unwrap_or_else(|| panic!("no command result in:\n{stdout}"));
    assert!(
        result.contains("\"demo-1\" success (C_SC_NA_1 select+execute"),
        "{result}"
    );
    // The outstation's feedback point follows the command.
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("rtu/switch_feedback = true (good)")),
        "{stdout}"
    );
}
