//! A three-node NATS cluster with JetStream and its MQTT listener, on loopback (PEERS.md: "Brokers
//! beyond one machine"): a second broker cluster the bridge fails over across. After a node's death
//! NATS 2.9 may acknowledge QoS 1 at a fraction of its former rate for minutes, with a plain paho
//! publisher too, so its failover test is run by hand (`--ignored`) and CI uses [`crate::RabbitCluster`].
//!
//! Each node has a `server_name`, a JetStream store of its own, a route to the two others and an
//! MQTT listener whose streams and consumers are R3 (`stream_replicas`, `consumer_replicas`): a
//! node that starts while only one other is routed would otherwise make them R2, and an R2 stream
//! loses its quorum with either node, so a QoS 1 message that a node acknowledged would not survive
//! the death of that node.

use std::fs::File;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::cluster::BrokerCluster;
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
}

impl BrokerCluster for NatsCluster {
    fn name(&self) -> &'static str {
        "NATS 2.9"
    }

    fn node_count(&self) -> usize {
        self.nodes.len()
    }

    fn mqtt_port(&self, i: usize) -> u16 {
        self.nodes[i].mqtt_port
    }

    fn kill(&mut self, i: usize) {
        if let Some(mut p) = self.nodes[i].process.take() {
            p.kill();
        }
    }

    fn logs(&self) -> String {
        let names: Vec<(String, PathBuf)> = (0..self.nodes.len())
            .map(|i| (self.nodes[i].name.clone(), self.log_path(i)))
            .collect();
        crate::cluster::log_tails(&names)
    }
}
