//! `fieldbridge simulate modbus` checked by a client nobody here wrote: pymodbus reads the
//! documented constants, writes and reads back, and gets the standard exception for a bad address.

mod common;

use std::process::Command;

use fieldbridge_tests::{free_port, python, repo_root};
use serde_json::Value;

/// Runs `tests/peers/modbus_client.py` and returns its JSON answer.
fn pymodbus(port: u16, op: &[&str]) -> Value {
    let out = Command::new(python())
        .arg(repo_root().join("tests/peers/modbus_client.py"))
        .args(["--port", &port.to_string()])
        .args(op)
        .output()
        .expect("run the pymodbus client (scripts/install-peers installs it)");
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}: {text} {}", String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn pymodbus_reads_the_documented_constants_writes_and_gets_standard_exceptions() {
    let port = free_port();
    let _sim = common::simulator(port);

    // Static constants of the register map (adapters/sim/README.md).
    assert_eq!(
        pymodbus(port, &["read-holding", "100", "2"])["values"],
        serde_json::json!([12345, 64302])
    );
    let f32_abcd = pymodbus(port, &["read-holding", "120", "2"]);
    assert_eq!(
        f32_abcd["values"],
        serde_json::json!([0x4050, 0x0000]),
        "3.25 big-endian"
    );
    let f32_cdab = pymodbus(port, &["read-holding", "122", "2"]);
    assert_eq!(
        f32_cdab["values"],
        serde_json::json!([0x0000, 0x4050]),
        "3.25 word-swapped"
    );

    // FC 6 then FC 3, FC 22 (mask write), FC 5 then FC 1.
    assert_eq!(
        pymodbus(port, &["write-register", "200", "4242"])["ok"],
        true
    );
    assert_eq!(
        pymodbus(port, &["read-holding", "200", "1"])["values"],
        serde_json::json!([4242])
    );
    assert_eq!(
        pymodbus(port, &["mask-write", "200", "255", "256"])["ok"],
        true
    );
    // (4242 AND 0x00FF) OR (0x0100 AND NOT 0x00FF) = 0x92 | 0x100
    assert_eq!(
        pymodbus(port, &["read-holding", "200", "1"])["values"],
        serde_json::json!([0x192])
    );
    assert_eq!(pymodbus(port, &["write-coil", "100", "1"])["ok"], true);
    let coils = pymodbus(port, &["read-coils", "100", "1"]);
    // pymodbus reports a byte's worth of bits as 0/1: the first is coil 100.
    assert_eq!(coils["values"][0], 1, "{coils}");

    // Outside the tables: exception 2, ILLEGAL DATA ADDRESS.
    let bad = pymodbus(port, &["read-holding", "999", "5"]);
    assert_eq!(
        (bad["ok"].clone(), bad["exception"].clone()),
        (Value::Bool(false), Value::from(2)),
        "{bad}"
    );
}
