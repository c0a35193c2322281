//! Sparkplug B output against a host application nobody here wrote (pysparkplug 0.6.1, through
//! `tests/peers/sparkplug/host.py`): the bridge reads the pymodbus map and publishes it as an edge
//! node with one device. The host sees the node and the device born with every metric's datatype
//! and value, a DDEATH when the Modbus server dies and a DBIRTH when it returns, a rebirth when it
//! asks for one, and a DCMD that writes a register, read back by an independent pymodbus client.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{header, map_points, same_value, BridgeProcess};
use fieldbridge_tests::{
    free_port, python, ModbusMap, ModbusProfile, Mosquitto, PyModbusServer, SparkplugHost,
};
use serde_json::{json, Value};

/// The Sparkplug datatype a map point must be born with (Sparkplug 3.0 §6.4.16): as narrow as
/// the Modbus type, Double once scaled.
fn datatype(data_type: &str, scaled: bool) -> &'static str {
    if scaled {
        return "Double";
    }
    match data_type {
        "bool" => "Boolean",
        "u16" => "UInt16",
        "i16" => "Int16",
        "u32" => "UInt32",
        "i32" => "Int32",
        "u64" => "UInt64",
        "i64" => "Int64",
        "f32" => "Float",
        "f64" => "Double",
        _ => "String",
    }
}

/// Holding register 0 as an independent pymodbus client reads it.
fn read_holding_0(port: u16) -> u64 {
    let out = Command::new(python())
        .arg(fieldbridge_tests::repo_root().join("tests/peers/modbus_client.py"))
        .args(["--port", &port.to_string(), "read-holding", "0", "1"])
        .output()
        .expect("run the pymodbus client");
    let json: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("pymodbus client: {}", String::from_utf8_lossy(&out.stderr)));
    json["values"][0].as_u64().unwrap_or(u64::MAX)
}

fn metric<'a>(message: &'a Value, name: &str) -> Option<&'a Value> {
    message["metrics"]
        .as_array()?
        .iter()
        .find(|m| m["name"] == name)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pysparkplug_host_sees_births_deaths_rebirths_and_writes_a_register() {
    let broker = Mosquitto::start();
    let modbus_port = free_port();
    let mut server = PyModbusServer::start_tcp(modbus_port, ModbusProfile::Map);
    let mut host = SparkplugHost::start(broker.port(), Some("scada"));
    let map = ModbusMap::load().expect("the pymodbus map");

    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = header("site1", &dir.path().join("var"), &broker.url()).replace(
        "prefix = \"fieldbridge\"",
        "prefix = \"fieldbridge\"\nformat = \"sparkplug\"\nsparkplug_group = \"plant\"\nprimary_host = \"scada\"",
    );
    config.push_str(&format!(
        "[[source]]\nname = \"plc\"\nprotocol = \"modbus-tcp\"\naddress = \"127.0.0.1:{modbus_port}\"\npoll = \"300ms\"\ntimeout = \"500ms\"\n\n{}\n  [[source.point]]\n  name = \"mode\"\n  register = \"holding:0\"\n  type = \"u16\"\n  writable = true\n",
        map_points(&map, None)
    ));
    let config_path = dir.path().join("bridge.toml");
    std::fs::write(&config_path, &config).expect("write config");
    let bridge = BridgeProcess::run(&config_path, dir.path());
    let wait = Duration::from_secs(20);

    // Born: the node with its bdSeq, Rebirth control and the configuration's version.
    let nbirth = host
        .wait_for(|m| m["type"] == "NBIRTH" && m["node"] == "e2e", wait)
        .unwrap_or_else(|| {
            panic!(
                "no NBIRTH; bridge:\n{}\nhost:\n{}",
                bridge.log(),
                host.log()
            )
        });
    assert_eq!(nbirth["group"], "plant");
    assert_eq!(nbirth["seq"], 0);
    assert_eq!(
        metric(&nbirth, "bdSeq").expect("bdSeq")["datatype"],
        "Int64"
    );
    assert_eq!(
        metric(&nbirth, "Node Control/Rebirth").expect("rebirth")["value"],
        false
    );
    let version = metric(&nbirth, "Bridge/Config Version").expect("config version");
    assert!(
        version["value"]
            .as_str()
            .is_some_and(|v| v.starts_with("sha256:")),
        "{version}"
    );

    // The device, with every point of the map at its datatype, and every value right.
    let dbirth = host
        .wait_for(|m| m["type"] == "DBIRTH" && m["device"] == "plc", wait)
        .unwrap_or_else(|| panic!("no DBIRTH; bridge:\n{}", bridge.log()));
    let mut checked = 0;
    for p in &map.points {
        let born =
            metric(&dbirth, &p.name).unwrap_or_else(|| panic!("{} not born: {dbirth}", p.name));
        assert_eq!(
            born["datatype"],
            datatype(&p.data_type, p.scale.is_some()),
            "{}: {born}",
            p.name
        );
        // The value: in the DBIRTH, or in the first DDATA after it.
        let value = if born["is_null"] == true {
            let alias = born["alias"].clone();
            host.wait_for(
                |m| {
                    m["type"] == "DDATA"
                        && m["metrics"]
                            .as_array()
                            .is_some_and(|ms| ms.iter().any(|x| x["alias"] == alias))
                },
                wait,
            )
            .and_then(|m| m["metrics"].as_array().and_then(|ms| ms.first().cloned()))
            .map(|x| x["value"].clone())
            .unwrap_or(Value::Null)
        } else {
            born["value"].clone()
        };
        assert!(
            same_value(&value, &p.expected, &p.data_type),
            "{}: got {value}, expected {}",
            p.name,
            p.expected
        );
        checked += 1;
    }
    println!("sparkplug: {checked} metrics born with the right datatype and value");

    // The Modbus device dies: DDEATH; it returns: DBIRTH.
    let before = host.messages().len();
    server.kill();
    host.wait_for_after(
        before,
        |m| m["type"] == "DDEATH" && m["device"] == "plc",
        wait,
    )
    .unwrap_or_else(|| panic!("no DDEATH; bridge:\n{}", bridge.log()));
    let before = host.messages().len();
    server.restart();
    host.wait_for_after(
        before,
        |m| m["type"] == "DBIRTH" && m["device"] == "plc",
        Duration::from_secs(60),
    )
    .unwrap_or_else(|| panic!("no DBIRTH after the return; bridge:\n{}", bridge.log()));

    // A rebirth asked for: NBIRTH (seq 0) and the device's DBIRTH again.
    let before = host.messages().len();
    host.send(&json!({"rebirth": true, "group": "plant", "node": "e2e"}));
    let reborn = host
        .wait_for_after(before, |m| m["type"] == "NBIRTH", wait)
        .unwrap_or_else(|| {
            panic!(
                "no NBIRTH after the rebirth request; bridge:\n{}",
                bridge.log()
            )
        });
    assert_eq!(reborn["seq"], 0);
    assert_eq!(
        metric(&reborn, "bdSeq").map(|m| m["value"].clone()),
        metric(&nbirth, "bdSeq").map(|m| m["value"].clone()),
        "a rebirth keeps the bdSeq"
    );
    host.wait_for_after(
        before,
        |m| m["type"] == "DBIRTH" && m["device"] == "plc",
        wait,
    )
    .unwrap_or_else(|| panic!("no DBIRTH after the rebirth"));

    // A DCMD writes holding register 0 through the command router; pymodbus has it.
    host.send(
        &json!({"dcmd": {"group": "plant", "node": "e2e", "device": "plc",
        "metrics": [{"name": "mode", "datatype": "UInt16", "value": 4321}]}}),
    );
    let mut written = u64::MAX;
    for _ in 0..100 {
        written = read_holding_0(modbus_port);
        if written == 4321 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        written,
        4321,
        "the DCMD did not reach the register; bridge:\n{}",
        bridge.log()
    );
    // The new value comes back as DDATA.
    host.wait_for(
        |m| {
            m["type"] == "DDATA"
                && m["metrics"]
                    .as_array()
                    .is_some_and(|ms| ms.iter().any(|x| x["name"] == "mode" && x["value"] == 4321))
        },
        wait,
    )
    .unwrap_or_else(|| panic!("no DDATA with the written value; bridge:\n{}", bridge.log()));

    // The primary host goes offline: the node dies (NDEATH) and publishes nothing; it comes
    // back: the node is born again and what waited meanwhile arrives as historical DDATA.
    let before = host.messages().len();
    host.send(&json!({"state": "offline"}));
    host.wait_for_after(before, |m| m["type"] == "NDEATH", wait)
        .unwrap_or_else(|| {
            panic!(
                "no NDEATH when the primary host went offline; bridge:\n{}",
                bridge.log()
            )
        });
    tokio::time::sleep(Duration::from_secs(1)).await;
    let quiet_from = host.messages().len();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let while_offline = host
        .messages()
        .iter()
        .skip(quiet_from)
        .filter(|m| m["type"] == "DDATA")
        .count();
    assert_eq!(while_offline, 0, "DDATA while the primary host was offline");
    let before = host.messages().len();
    host.send(&json!({"state": "online"}));
    let back = host
        .wait_for_after(before, |m| m["type"] == "NBIRTH", wait)
        .unwrap_or_else(|| {
            panic!(
                "no NBIRTH when the primary host came back; bridge:\n{}",
                bridge.log()
            )
        });
    assert_eq!(back["seq"], 0);
    host.wait_for_after(
        before,
        |m| {
            m["type"] == "DDATA"
                && m["metrics"]
                    .as_array()
                    .is_some_and(|ms| ms.iter().any(|x| x["is_historical"] == true))
        },
        wait,
    )
    .unwrap_or_else(|| {
        panic!(
            "no historical DDATA after the host came back; bridge:\n{}",
            bridge.log()
        )
    });

    // A clean stop: NDEATH with the same bdSeq.
    let mut bridge = bridge;
    let before = host.messages().len();
    let status = bridge.terminate().expect("the bridge stops");
    assert!(status.success(), "{status:?}");
    let ndeath = host
        .wait_for_after(before, |m| m["type"] == "NDEATH", wait)
        .unwrap_or_else(|| panic!("no NDEATH at a clean stop"));
    assert_eq!(
        metric(&ndeath, "bdSeq").map(|m| m["value"].clone()),
        metric(&nbirth, "bdSeq").map(|m| m["value"].clone())
    );
    let mut counts = std::collections::BTreeMap::new();
    for m in host.messages() {
        *counts
            .entry(m["type"].as_str().unwrap_or("?").to_owned())
            .or_insert(0) += 1;
    }
    println!("sparkplug host saw: {counts:?}");

    // One DBIRTH at the start (all points learnt from the first poll), one when the device
    // returns, one for the rebirth: no DBIRTH per point;
    // and one when the primary host came back.
    // (A device that timed out under load dies and is born once more each time.)
    let deaths = counts.get("DDEATH").copied().unwrap_or(0);
    assert_eq!(
        counts.get("DBIRTH").copied(),
        Some(3 + deaths),
        "{counts:?}"
    );
    let errors: Vec<Value> = host
        .messages()
        .into_iter()
        .filter(|m| m.get("error").is_some())
        .collect();
    assert!(errors.is_empty(), "pysparkplug refused: {errors:?}");
}
