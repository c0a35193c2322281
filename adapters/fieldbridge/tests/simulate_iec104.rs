//! `fieldbridge simulate iec104` checked by a client nobody here wrote: c104 2.2.1 (lib60870-C)
//! starts data transfer, interrogates, synchronizes the clock, operates a point with
//! select-before-operate and a set point directly, a time-tagged command, and is refused an
//! execute without select; end of initialization comes first.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fieldbridge_sim::iec104::{Kind, POINTS};
use fieldbridge_tests::{free_port, python, repo_root};
use serde_json::{json, Value};

/// The simulator process, killed on drop.
struct Simulator(Child);

impl Drop for Simulator {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn simulator(port: u16) -> Simulator {
    let child = Command::new(env!("CARGO_BIN_EXE_fieldbridge"))
        .args(["simulate", "iec104", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["--rate", "2"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the simulator");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "simulator not listening");
        std::thread::sleep(Duration::from_millis(50));
    }
    Simulator(child)
}

/// The I frames of `frames` with this type ID and cause: (negative, common address, IOAs).
fn frames_of(frames: &[Value], type_id: u8, cot: u8) -> Vec<Value> {
    frames
        .iter()
        .filter(|f| f[0] == type_id && f[1] == cot)
        .map(|f| json!([f[2], f[3], f[4]]))
        .collect()
}

#[test]
fn a_c104_client_completes_interrogation_clock_sync_and_commands() {
    let port = free_port();
    let _sim = simulator(port);
    let out = Command::new(python())
        .arg(repo_root().join("tests/peers/iec104_client.py"))
        .arg(port.to_string())
        .output()
        .expect("run the c104 client (scripts/install-peers installs c104 2.2.1 into .venv)");
    let text = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the c104 client failed (is c104 2.2.1 installed? scripts/install-peers): {stderr}"
    );
    let report: Value = serde_json::from_str(text.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}: {text} {stderr}"));
    let steps = &report["steps"];
    let frames = report["frames"].as_array().expect("frames");

    for step in [
        "startdt",
        "interrogation",
        "counter",
        "clock_sync",
        "sbo",
        "direct",
        "tagged",
    ] {
        assert_eq!(steps[step], true, "{step}: {report}");
    }
    assert_eq!(
        steps["unselected"], false,
        "an execute without select is refused"
    );

    // End of initialization, once, before anything else.
    assert_eq!(frames[0], json!([70, 4, false, 1, [0]]), "{report}");
    assert_eq!(frames_of(frames, 70, 4).len(), 1);

    // Interrogation: actcon, every point of a group with COT 20, actterm.
    assert_eq!(frames_of(frames, 100, 7), [json!([false, 1, [0]])]);
    assert_eq!(frames_of(frames, 100, 10), [json!([false, 1, [0]])]);
    let mut interrogated: Vec<u64> = frames
        .iter()
        .filter(|f| f[1] == 20)
        .flat_map(|f| f[4].as_array().cloned().unwrap_or_default())
        .filter_map(|ioa| ioa.as_u64())
        .collect();
    interrogated.sort_unstable();
    let expected: Vec<u64> = POINTS
        .iter()
        .filter(|p| p.group != 0 && p.kind != Kind::Counter)
        .map(|p| u64::from(p.ioa))
        .collect();
    assert_eq!(interrogated, expected);

    // Counter interrogation: the integrated totals with COT 37.
    assert_eq!(frames_of(frames, 101, 7), [json!([false, 1, [0]])]);
    assert_eq!(frames_of(frames, 15, 37), [json!([false, 1, [400]])]);
    assert_eq!(frames_of(frames, 37, 37), [json!([false, 1, [401]])]);
    assert_eq!(frames_of(frames, 101, 10), [json!([false, 1, [0]])]);

    // Clock synchronization: a positive actcon.
    assert_eq!(frames_of(frames, 103, 7), [json!([false, 1, [0]])]);

    // Select-before-operate at 1001: select actcon, execute actcon, the point 2001 with COT 11,
    // actterm.
    assert_eq!(
        frames_of(frames, 45, 7),
        [json!([false, 1, [1001]]), json!([false, 1, [1001]])]
    );
    assert_eq!(frames_of(frames, 1, 11)[..1], [json!([false, 1, [2001]])]);
    assert_eq!(frames_of(frames, 45, 10), [json!([false, 1, [1001]])]);
    assert_eq!(report["values"]["2001"], "True");

    // The direct set point 12.5 at 1050 lands on 2050.
    assert_eq!(frames_of(frames, 50, 7), [json!([false, 1, [1050]])]);
    assert_eq!(frames_of(frames, 13, 11), [json!([false, 1, [2050]])]);
    assert_eq!(frames_of(frames, 50, 10), [json!([false, 1, [1050]])]);
    assert_eq!(report["values"]["2050"], "12.5");

    // The double command at 1011 without select: a negative actcon and nothing else.
    assert_eq!(frames_of(frames, 46, 7), [json!([true, 1, [1011]])]);
    assert!(frames_of(frames, 3, 11).is_empty());

    // The single command with c104's time tag at 1000: current, so executed (2000 set).
    assert_eq!(frames_of(frames, 58, 7), [json!([false, 1, [1000]])]);
    assert_eq!(frames_of(frames, 1, 11)[1..], [json!([false, 1, [2000]])]);
    assert_eq!(frames_of(frames, 58, 10), [json!([false, 1, [1000]])]);

    // Spontaneous changes came too (2 per second).
    assert!(frames.iter().any(|f| f[1] == 3), "{report}");
}
