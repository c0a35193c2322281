//! What the failover test needs of a three-node MQTT broker cluster on loopback, whichever broker
//! it is ([`crate::RabbitCluster`], [`crate::NatsCluster`]).

use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A running broker cluster whose nodes can be killed one by one.
pub trait BrokerCluster {
    /// The broker's name and version, for the test's report.
    fn name(&self) -> &'static str;

    /// How many nodes the cluster has (three).
    fn node_count(&self) -> usize;

    /// The MQTT port of node `i` (0, 1 or 2) on 127.0.0.1.
    fn mqtt_port(&self, i: usize) -> u16;

    /// The `url` list of a bridge configuration: `["mqtt://127.0.0.1:P1", ...]`.
    fn url_list(&self) -> String {
        let urls: Vec<String> = (0..self.node_count())
            .map(|i| format!("\"mqtt://127.0.0.1:{}\"", self.mqtt_port(i)))
            .collect();
        format!("[{}]", urls.join(", "))
    }

    /// Kills node `i` with SIGKILL, as a crash would.
    fn kill(&mut self, i: usize);

    /// The last lines of every node's log, for a failing test's message.
    fn logs(&self) -> String;

    /// Waits until an MQTT client can connect to node `i` and have a QoS 1 subscription
    /// acknowledged (a clustered broker may accept TCP connections before it can do that).
    fn wait_ready(&self, i: usize, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if mqtt_subscribe_works(self.mqtt_port(i)) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        false
    }
}

/// The last 40 lines of each named log file.
pub(crate) fn log_tails(logs: &[(String, PathBuf)]) -> String {
    let mut out = String::new();
    for (name, path) in logs {
        let log = std::fs::read_to_string(path).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(40).collect();
        out.push_str(&format!(
            "--- {name} (last 40 lines of {})\n",
            path.display()
        ));
        for line in tail.iter().rev() {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// One CONNECT and SUBSCRIBE (QoS 1) with raw MQTT 3.1.1 packets; true when both are accepted.
pub(crate) fn mqtt_subscribe_works(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    // CONNECT: "MQTT" level 4, clean session, keep-alive 30 s, client id "fb-ready".
    let connect = [
        0x10, 20, 0, 4, b'M', b'Q', b'T', b'T', 4, 0x02, 0, 30, 0, 8, b'f', b'b', b'-', b'r', b'e',
        b'a', b'd', b'y',
    ];
    let mut buf = [0u8; 8];
    if s.write_all(&connect).is_err() || s.read_exact(&mut buf[..4]).is_err() {
        return false;
    }
    if buf[0] != 0x20 || buf[3] != 0 {
        return false;
    }
    // SUBSCRIBE packet id 1 to "fb/ready" at QoS 1.
    let subscribe = [
        0x82, 13, 0, 1, 0, 8, b'f', b'b', b'/', b'r', b'e', b'a', b'd', b'y', 1,
    ];
    if s.write_all(&subscribe).is_err() || s.read_exact(&mut buf[..5]).is_err() {
        return false;
    }
    let ok = buf[0] == 0x90 && buf[4] == 1;
    let _ = s.write_all(&[0xE0, 0]);
    ok
}
