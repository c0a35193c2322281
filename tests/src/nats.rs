//! A three-node NATS cluster with JetStream and its MQTT listener, on loopback (PEERS.md: "Brokers
//! beyond one machine"): the broker cluster the bridge fails over across.
//!
//! Each node has a `server_name`, a JetStream store of its own, a route to the two others and an
//! MQTT listener whose streams and consumers are R3 (`stream_replicas`, `consumer_replicas`): a
//! node that starts while only one other is routed would otherwise make them R2, and an R2 stream
//! loses its quorum with either node, so a QoS 1 message that a node acknowledged would not survive
//! the death of that node.

use std::fs::File;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::process::Guarded;
use crate::{free_port, HarnessError};

/// One node: its ports, its folder and its process while it runs.
#[derive(Debug)]
struct Node {
    name: String,
    mqtt_port: u16,
    route_port: u16,
    client_port: u16,
    process: Option<Guarded>,
}

/// A running three-node cluster; every node is killed when it is dropped.
#[derive(Debug)]
pub struct NatsCluster {
    dir: tempfile::TempDir,
    binary: PathBuf,
    nodes: Vec<Node>,
}

impl NatsCluster {
    /// Starts three clustered nodes and waits until each accepts MQTT connections.
    ///
    /// # Panics
    /// When `nats-server` is not installed (`scripts/install-peers`) or a node does not come up.
    pub fn start() -> NatsCluster {
        Self::try_start().unwrap_or_else(|e| panic!("{e}"))
    }

    /// Like [`NatsCluster::start`], returning errors.
    pub fn try_start() -> Result<NatsCluster, HarnessError> {
        let binary =
            crate::peers::find_program("nats-server").map_err(|_| HarnessError::MissingPeer {
                peer: "nats-server",
                hint: "Debian package nats-server (scripts/install-peers)".into(),
            })?;
        let dir = tempfile::tempdir()?;
        let nodes = (1..=3)
            .map(|i| Node {
                name: format!("n{i}"),
                mqtt_port: free_port(),
                route_port: free_port(),
                client_port: free_port(),
                process: None,
            })
            .collect();
        let mut cluster = NatsCluster { dir, binary, nodes };
        for i in 0..cluster.nodes.len() {
            cluster.write_config(i)?;
            cluster.spawn(i)?;
        }
        for i in 0..cluster.nodes.len() {
            let node = &mut cluster.nodes[i];
            if let Some(p) = node.process.as_mut() {
                p.wait_for_port(node.mqtt_port)?;
            }
        }
        Ok(cluster)
    }

    fn write_config(&self, i: usize) -> Result<(), HarnessError> {
        let node = &self.nodes[i];
        let routes: Vec<String> = self
            .nodes
            .iter()
            .filter(|n| n.name != node.name)
            .map(|n| format!("\"nats-route://127.0.0.1:{}\"", n.route_port))
            .collect();
        let store = self.dir.path().join(&node.name);
        let text = format!(
            "server_name: {name}\nlisten: \"127.0.0.1:{client}\"\n\
             jetstream {{\n  store_dir: \"{store}\"\n}}\n\
             cluster {{\n  name: fieldbridge\n  listen: \"127.0.0.1:{route}\"\n  routes: [{routes}]\n}}\n\
             mqtt {{\n  listen: \"127.0.0.1:{mqtt}\"\n  stream_replicas: 3\n  consumer_replicas: 3\n}}\n",
            name = node.name,
            client = node.client_port,
            store = store.display(),
            route = node.route_port,
            routes = routes.join(", "),
            mqtt = node.mqtt_port,
        );
        std::fs::write(self.config_path(i), text)?;
        Ok(())
    }

    fn config_path(&self, i: usize) -> PathBuf {
        self.dir.path().join(format!("{}.conf", self.nodes[i].name))
    }

    fn log_path(&self, i: usize) -> PathBuf {
        self.dir.path().join(format!("{}.log", self.nodes[i].name))
    }

    fn spawn(&mut self, i: usize) -> Result<(), HarnessError> {
        let log_path = self.log_path(i);
        let log = File::options().create(true).append(true).open(&log_path)?;
        let mut command = Command::new(&self.binary);
        command
            .arg("-c")
            .arg(self.config_path(i))
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        let what = format!(
            "nats-server {} (mqtt {})",
            self.nodes[i].name, self.nodes[i].mqtt_port
        );
        self.nodes[i].process = Some(Guarded::spawn(command, what, &log_path)?);
        Ok(())
    }

    /// The MQTT port of node `i` (0, 1 or 2) on 127.0.0.1.
    pub fn mqtt_port(&self, i: usize) -> u16 {
        self.nodes[i].mqtt_port
    }

    /// The `url` list of a bridge configuration: `["mqtt://127.0.0.1:P1", ...]`.
    pub fn url_list(&self) -> String {
        let urls: Vec<String> = self
            .nodes
            .iter()
            .map(|n| format!("\"mqtt://127.0.0.1:{}\"", n.mqtt_port))
            .collect();
        format!("[{}]", urls.join(", "))
    }

    /// Kills node `i` with SIGKILL.
    pub fn kill(&mut self, i: usize) {
        if let Some(mut p) = self.nodes[i].process.take() {
            p.kill();
        }
    }

    /// Starts node `i` again (same configuration and JetStream store) and waits for its MQTT
    /// port.
    ///
    /// # Panics
    /// When it does not come up.
    pub fn restart(&mut self, i: usize) {
        self.kill(i);
        self.spawn(i).unwrap_or_else(|e| panic!("{e}"));
        let port = self.nodes[i].mqtt_port;
        if let Some(p) = self.nodes[i].process.as_mut() {
            p.wait_for_port(port).unwrap_or_else(|e| panic!("{e}"));
        }
    }

    /// The logs of every node, for a failing test's message.
    pub fn logs(&self) -> String {
        let mut out = String::new();
        for i in 0..self.nodes.len() {
            let log = std::fs::read_to_string(self.log_path(i)).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            out.push_str(&format!("--- {} (last 40 lines)\n", self.nodes[i].name));
            for line in tail.iter().rev() {
                out.push_str(line);
                out.push('\n');
            }
        }
        out
    }

    /// Waits until an MQTT client can connect to node `i` and have a QoS 1 subscription
    /// acknowledged: a fresh cluster takes seconds to elect its JetStream leaders.
    pub fn wait_ready(&self, i: usize, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if mqtt_subscribe_works(self.nodes[i].mqtt_port) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        false
    }
}

/// One CONNECT and SUBSCRIBE (QoS 1) with raw MQTT 3.1.1 packets; true when both are accepted.
fn mqtt_subscribe_works(port: u16) -> bool {
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
