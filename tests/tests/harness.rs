//! Self-tests of the harness against the real peers. Each fails (never skips) when a peer is
//! missing: run `scripts/install-peers`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::sync::mpsc;
use std::time::Duration;

use fieldbridge_tests::{
    free_port, require, ModbusMap, ModbusProfile, Mosquitto, Peer, PyModbusServer, SocatPair,
    Subscriber,
};

const WAIT: Duration = Duration::from_secs(10);

fn mosquitto_pub(port: u16, topic: &str, payload: &str, retain: bool) {
    let mut command = Command::new(require(Peer::MosquittoPub));
    command.args(["-h", "127.0.0.1", "-p", &port.to_string(), "-q", "1"]);
    command.args(["-t", topic, "-m", payload]);
    if retain {
        command.arg("-r");
    }
    let status = command.status().expect("run mosquitto_pub");
    assert!(status.success(), "mosquitto_pub failed: {status}");
}

#[test]
fn every_peer_is_installed() {
    for peer in Peer::ALL {
        let path = require(peer);
        assert!(path.exists(), "{} at {}", peer.name(), path.display());
    }
}

#[test]
fn free_ports_are_bindable_and_vary() {
    let a = free_port();
    let listener = std::net::TcpListener::bind(("127.0.0.1", a)).expect("bind the free port");
    let b = free_port();
    assert_ne!(a, b);
    drop(listener);
}

#[tokio::test]
async fn mosquitto_delivers_to_subscriber() {
    let broker = Mosquitto::start();
    assert_eq!(broker.url(), format!("mqtt://127.0.0.1:{}", broker.port()));
    let sub = Subscriber::connect(broker.port(), "fb/#").await;

    mosquitto_pub(
        broker.port(),
        "fb/site/dev/temp",
        r#"{"value":21.5}"#,
        false,
    );
    mosquitto_pub(broker.port(), "fb/site/dev/$state", "online", true);
    mosquitto_pub(broker.port(), "other/topic", "ignored", false);

    let m = sub
        .wait_for(|m| m.topic == "fb/site/dev/temp", WAIT)
        .await
        .unwrap_or_else(|| panic!("no message; broker log:\n{}", broker.log()));
    assert_eq!(m.json, Some(serde_json::json!({ "value": 21.5 })));
    assert!(!m.retain);
    assert_eq!(m.qos, 1);

    let state = sub
        .wait_for(|m| m.topic.ends_with("$state"), WAIT)
        .await
        .expect("state message");
    assert_eq!(state.text(), "online");
    assert_eq!(state.json, None, "not JSON");
    assert!(sub.messages().iter().all(|m| m.topic.starts_with("fb/")));

    // A late subscriber gets the retained message with the retain flag.
    let late = Subscriber::connect(broker.port(), "fb/site/dev/$state").await;
    let retained = late.wait_for(|_| true, WAIT).await.expect("retained");
    assert!(retained.retain);
    late.disconnect().await;
}

#[tokio::test]
async fn subscriber_survives_a_broker_restart() {
    let mut broker = Mosquitto::start();
    let sub = Subscriber::connect(broker.port(), "fb/#").await;
    mosquitto_pub(broker.port(), "fb/a", "1", false);
    assert!(sub.wait_for_count(1, WAIT).await);

    broker.kill();
    assert!(!broker.is_running());
    broker.restart();
    assert!(broker.is_running());

    // The subscriber reconnects and subscribes again by itself; publish until it hears.
    let mut heard = None;
    for _ in 0..50 {
        mosquitto_pub(broker.port(), "fb/b", "2", false);
        heard = sub
            .wait_for(|m| m.topic == "fb/b", Duration::from_millis(200))
            .await;
        if heard.is_some() {
            break;
        }
    }
    assert!(
        heard.is_some(),
        "no message after restart:\n{}",
        broker.log()
    );
}

/// A raw Modbus TCP request (MBAP + PDU) and its response PDU (function code onwards).
fn mbap_request(port: u16, unit: u8, pdu: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to pymodbus");
    stream.set_read_timeout(Some(WAIT)).expect("timeout");
    let mut frame = vec![0x12, 0x34, 0, 0];
    frame.extend_from_slice(&(pdu.len() as u16 + 1).to_be_bytes());
    frame.push(unit);
    frame.extend_from_slice(pdu);
    stream.write_all(&frame).expect("send request");
    let mut header = [0u8; 7];
    stream.read_exact(&mut header).expect("read MBAP header");
    assert_eq!(
        header[..4],
        [0x12, 0x34, 0, 0],
        "transaction and protocol id"
    );
    assert_eq!(header[6], unit, "unit id echoed");
    let len = u16::from_be_bytes([header[4], header[5]]) as usize - 1;
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body).expect("read PDU");
    body
}

fn read_request(function: u8, address: u16, count: u16) -> Vec<u8> {
    let mut pdu = vec![function];
    pdu.extend_from_slice(&address.to_be_bytes());
    pdu.extend_from_slice(&count.to_be_bytes());
    pdu
}

fn words(body: &[u8]) -> Vec<u16> {
    assert_eq!(body[1] as usize, body.len() - 2, "byte count");
    body[2..]
        .chunks(2)
        .map(|w| u16::from_be_bytes([w[0], w[1]]))
        .collect()
}

#[test]
fn pymodbus_tcp_serves_the_map() {
    let map = ModbusMap::load().expect("load the map");
    assert_eq!(map.units, vec![1, 2]);
    let first = &map.points[0];
    assert_eq!(first.table(), "holding");
    let port = free_port();
    let mut server = PyModbusServer::start_tcp(port, ModbusProfile::Map);
    assert_eq!(server.port(), Some(port));

    // The first entry's raw registers, on both units.
    for unit in [1, 2] {
        let body = mbap_request(
            port,
            unit,
            &read_request(3, first.address(), first.raw.len() as u16),
        );
        assert_eq!(body[0], 3, "function code; log:\n{}", server.log());
        assert_eq!(words(&body), first.raw);
    }

    // Every register point, at its protocol address (no off-by-one).
    for p in map
        .points
        .iter()
        .filter(|p| matches!(p.table(), "holding" | "input"))
    {
        let function = if p.table() == "holding" { 3 } else { 4 };
        let body = mbap_request(
            port,
            1,
            &read_request(function, p.address(), p.raw.len() as u16),
        );
        assert_eq!(words(&body), p.raw, "{}", p.name);
    }
    // Coils and discrete inputs: one bit each.
    for p in map
        .points
        .iter()
        .filter(|p| matches!(p.table(), "coil" | "discrete"))
    {
        let function = if p.table() == "coil" { 1 } else { 2 };
        let body = mbap_request(port, 1, &read_request(function, p.address(), 1));
        assert_eq!(body[..2], [function, 1], "{}", p.name);
        assert_eq!(u16::from(body[2] & 1), p.raw[0], "{}", p.name);
    }

    // One past the end of the holding table: exception 2.
    let body = mbap_request(port, 1, &read_request(3, 128, 1));
    assert_eq!(body, vec![0x83, 2]);

    // A write is lost on restart: the map comes back.
    let body = mbap_request(port, 1, &[6, 0, 0, 0xAB, 0xCD]);
    assert_eq!(body, vec![6, 0, 0, 0xAB, 0xCD]);
    server.kill();
    assert!(!server.is_running());
    server.restart();
    let body = mbap_request(port, 1, &read_request(3, 0, 1));
    assert_eq!(words(&body), first.raw);
}

#[test]
fn pymodbus_ramp_profile() {
    let port = free_port();
    let _server = PyModbusServer::start_tcp(port, ModbusProfile::Ramp);
    let body = mbap_request(port, 2, &read_request(3, 9875, 125));
    let expected: Vec<u16> = (9875..10000).collect();
    assert_eq!(words(&body), expected);
}

#[test]
fn socat_pair_passes_bytes() {
    let pair = SocatPair::start();
    assert_eq!(pair.a().file_name().unwrap(), "ttyA");
    let (mut a, mut b) = (open_tty(pair.a()), open_tty(pair.b()));
    a.write_all(b"hello from A").expect("write A");
    assert_eq!(read_exact_timeout(&b, 12), b"hello from A");
    b.write_all(&[0, 0xFF, 0x10, 0x13]).expect("write B");
    assert_eq!(read_exact_timeout(&a, 4), vec![0, 0xFF, 0x10, 0x13]);
}

fn open_tty(path: &Path) -> std::fs::File {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()))
}

/// Read `n` bytes from a tty in a thread, failing after [`WAIT`].
fn read_exact_timeout(file: &std::fs::File, n: usize) -> Vec<u8> {
    let mut file = file.try_clone().expect("clone tty");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; n];
        let result = file.read_exact(&mut buf).map(|()| buf);
        let _ = tx.send(result);
    });
    rx.recv_timeout(WAIT)
        .expect("tty read timed out")
        .expect("tty read")
}

fn crc16_modbus(data: &[u8]) -> u16 {
    let mut crc = 0xFFFFu16;
    for &byte in data {
        crc ^= u16::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xA001
            } else {
                crc >> 1
            };
        }
    }
    crc
}

#[test]
fn pymodbus_rtu_over_socat() {
    let map = ModbusMap::load().expect("load the map");
    let first = &map.points[0];
    let pair = SocatPair::start();
    let server = PyModbusServer::start_rtu(pair.a(), ModbusProfile::Map);
    assert_eq!(server.tty(), Some(pair.a()));
    let mut tty = open_tty(pair.b());

    let mut frame = vec![1];
    frame.extend(read_request(3, first.address(), first.raw.len() as u16));
    frame.extend_from_slice(&crc16_modbus(&frame).to_le_bytes());
    tty.write_all(&frame).expect("send RTU request");
    let n = 3 + 2 * first.raw.len() + 2;
    let answer = read_exact_timeout(&tty, n);
    assert_eq!(crc16_modbus(&answer), 0, "CRC; log:\n{}", server.log());
    assert_eq!(answer[..2], [1, 3]);
    assert_eq!(words(&answer[1..n - 2]), first.raw);
}
