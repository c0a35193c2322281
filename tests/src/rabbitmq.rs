//! A three-node RabbitMQ 3.10 cluster with its MQTT plugin, on loopback (PEERS.md: "Brokers beyond
//! one machine"): the broker cluster of the failover test.
//!
//! The nodes are `fb1@localhost` to `fb3@localhost`, with a cookie, an Erlang port mapper (on a
//! port of its own, so a system RabbitMQ is never met) and a folder each in a temporary directory;
//! they form the cluster at their first boot (`classic_config` peer discovery), started one after
//! the other.
//!
//! An MQTT client's QoS 1 subscription is a durable queue on the node it subscribed through. A
//! persistent session whose node died could not be resumed on another ("home node ... of durable
//! queue ... is down"), so the cluster mirrors those queues on every node (`ha-mode: all`, a policy
//! RabbitMQ 3.10 still has): a bridge that fails over finds its session on the next node, and a
//! subscriber's queue outlives any one node.

use std::fs::File;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::cluster::BrokerCluster;
use crate::process::Guarded;
use crate::{free_port, HarnessError};

/// Where Debian's package puts the scripts that run a node as the calling user (the ones in
/// `/usr/sbin` switch to the `rabbitmq` user).
const BIN_DIR: &str = "/usr/lib/rabbitmq/bin";

/// How long three nodes may take to boot and cluster on a loaded two-core machine.
const BOOT_TIMEOUT: Duration = Duration::from_secs(120);

/// The policy that mirrors the MQTT plugin's subscription queues on every node.
const MIRROR_POLICY: &str = r#"{"ha-mode":"all","ha-sync-mode":"automatic"}"#;

/// One node: its name, ports and process while it runs.
#[derive(Debug)]
struct Node {
    name: String,
    mqtt_port: u16,
    amqp_port: u16,
    dist_port: u16,
    process: Option<Guarded>,
}

/// A running three-node cluster; every node is killed when it is dropped.
#[derive(Debug)]
pub struct RabbitCluster {
    dir: tempfile::TempDir,
    epmd_port: u16,
    /// The Erlang port mapper, started here in the foreground so it dies with the cluster (a
    /// node would start one as a daemon that outlives the test).
    epmd: Option<Guarded>,
    nodes: Vec<Node>,
}

impl RabbitCluster {
    /// Starts three nodes, waits until they run as one cluster, and sets the mirroring policy.
    ///
    /// # Panics
    /// When RabbitMQ is not installed (`scripts/install-peers`) or the cluster does not form.
    pub fn start() -> RabbitCluster {
        Self::try_start().unwrap_or_else(|e| panic!("{e}"))
    }

    /// Like [`RabbitCluster::start`], returning errors.
    pub fn try_start() -> Result<RabbitCluster, HarnessError> {
        if !Path::new(BIN_DIR).join("rabbitmq-server").is_file() {
            return Err(HarnessError::MissingPeer {
                peer: "rabbitmq-server",
                hint: "Debian package rabbitmq-server (scripts/install-peers)".into(),
            });
        }
        let dir = tempfile::tempdir()?;
        let nodes = (1..=3)
            .map(|i| Node {
                name: format!("fb{i}@localhost"),
                mqtt_port: free_port(),
                amqp_port: free_port(),
                dist_port: free_port(),
                process: None,
            })
            .collect();
        let mut cluster = RabbitCluster {
            dir,
            epmd_port: free_port(),
            epmd: None,
            nodes,
        };
        cluster.write_shared_files()?;
        cluster.start_epmd()?;
        // One node after the other, each up and taking MQTT clients before the next starts: the
        // MQTT plugin's client-ID tracker (a Raft cluster) refuses a member that asks to join
        // while its leader is not yet settled, and never asks again; that node then turns every
        // MQTT client away (seen 1 boot in 5 when the three nodes started together).
        let deadline = Instant::now() + BOOT_TIMEOUT;
        for i in 0..cluster.nodes.len() {
            cluster.write_config(i)?;
            cluster.spawn(i)?;
            cluster.await_startup(i, deadline)?;
            cluster.await_mqtt(i, deadline)?;
        }
        cluster.await_cluster(deadline)?;
        cluster
            .ctl(
                0,
                &[
                    "set_policy",
                    "--apply-to",
                    "queues",
                    "mqtt-mirrored",
                    "^mqtt-subscription-",
                    MIRROR_POLICY,
                ],
            )
            .map_err(|detail| cluster.not_ready("the mirroring policy", deadline, detail))?;
        Ok(cluster)
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// The Erlang cookie the nodes and `rabbitmqctl` share, and the enabled plugins.
    fn write_shared_files(&self) -> Result<(), HarnessError> {
        std::fs::create_dir_all(self.home())?;
        let cookie = self.home().join(".erlang.cookie");
        std::fs::write(&cookie, "FIELDBRIDGETESTCLUSTER")?;
        std::fs::set_permissions(&cookie, std::fs::Permissions::from_mode(0o400))?;
        std::fs::write(
            self.dir.path().join("enabled_plugins"),
            "[rabbitmq_mqtt].\n",
        )?;
        Ok(())
    }

    fn start_epmd(&mut self) -> Result<(), HarnessError> {
        let log_path = self.dir.path().join("epmd.log");
        let log = File::create(&log_path)?;
        let mut command = Command::new("epmd");
        self.environment(&mut command);
        command
            .args(["-port", &self.epmd_port.to_string()])
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        let what = format!("epmd (port {})", self.epmd_port);
        let mut epmd = Guarded::spawn(command, what, &log_path)?;
        epmd.wait_for_port(self.epmd_port)?;
        self.epmd = Some(epmd);
        Ok(())
    }

    fn write_config(&self, i: usize) -> Result<(), HarnessError> {
        let node = &self.nodes[i];
        let mut text = format!(
            "listeners.tcp.default = 127.0.0.1:{amqp}\n\
             mqtt.listeners.tcp.default = 127.0.0.1:{mqtt}\n\
             mqtt.allow_anonymous = true\n\
             log.console = false\n\
             log.file.level = info\n\
             cluster_formation.peer_discovery_backend = classic_config\n",
            amqp = node.amqp_port,
            mqtt = node.mqtt_port,
        );
        for (k, n) in self.nodes.iter().enumerate() {
            text.push_str(&format!(
                "cluster_formation.classic_config.nodes.{} = {}\n",
                k + 1,
                n.name
            ));
        }
        std::fs::write(self.node_dir(i).with_extension("conf"), text)?;
        Ok(())
    }

    fn node_dir(&self, i: usize) -> PathBuf {
        self.dir.path().join(format!("n{}", i + 1))
    }

    fn log_path(&self, i: usize) -> PathBuf {
        self.node_dir(i)
            .join("log")
            .join(format!("{}.log", self.nodes[i].name))
    }

    /// The environment every RabbitMQ script of this cluster runs in.
    fn environment(&self, command: &mut Command) {
        command
            .env("HOME", self.home())
            .env("ERL_EPMD_PORT", self.epmd_port.to_string())
            .current_dir(self.dir.path());
    }

    fn spawn(&mut self, i: usize) -> Result<(), HarnessError> {
        let node_dir = self.node_dir(i);
        std::fs::create_dir_all(&node_dir)?;
        let out_path = node_dir.with_extension("out");
        let out = File::options().create(true).append(true).open(&out_path)?;
        let node = &self.nodes[i];
        let mut command = Command::new(Path::new(BIN_DIR).join("rabbitmq-server"));
        self.environment(&mut command);
        command
            .env("RABBITMQ_NODENAME", &node.name)
            .env("RABBITMQ_CONFIG_FILE", node_dir.with_extension("conf"))
            .env("RABBITMQ_MNESIA_BASE", node_dir.join("mnesia"))
            .env("RABBITMQ_LOG_BASE", node_dir.join("log"))
            .env("RABBITMQ_SCHEMA_DIR", node_dir.join("schema"))
            .env("RABBITMQ_GENERATED_CONFIG_DIR", node_dir.join("generated"))
            .env("RABBITMQ_PID_FILE", node_dir.join("pid"))
            .env("RABBITMQ_DIST_PORT", node.dist_port.to_string())
            // Idle schedulers sleep instead of spinning: three nodes beside the bridge and its
            // load on two cores would otherwise take CPU they do not use.
            .env(
                "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS",
                "+sbwt none +sbwtdcpu none +sbwtdio none",
            )
            .env(
                "RABBITMQ_ENABLED_PLUGINS_FILE",
                self.dir.path().join("enabled_plugins"),
            )
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            // The script starts the Erlang VM as its child: a kill takes the whole group.
            .process_group(0);
        let what = format!("rabbitmq-server {} (mqtt {})", node.name, node.mqtt_port);
        self.nodes[i].process = Some(Guarded::spawn(command, what, &out_path)?);
        Ok(())
    }

    /// Runs `rabbitmqctl -q -n <node i> args...`; its stdout, or what it printed when it failed.
    fn ctl(&self, i: usize, args: &[&str]) -> Result<String, String> {
        let mut command = Command::new(Path::new(BIN_DIR).join("rabbitmqctl"));
        self.environment(&mut command);
        let output = command
            .args(["-q", "-n", &self.nodes[i].name])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run rabbitmqctl: {e}"))?;
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        if output.status.success() {
            Ok(stdout)
        } else {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let first: Vec<&str> = stderr.lines().take(3).collect();
            Err(format!("rabbitmqctl {args:?}: {}", first.join(" / ")))
        }
    }

    /// Waits until node `i` has booted (it is unreachable until its distribution is up).
    fn await_startup(&mut self, i: usize, deadline: Instant) -> Result<(), HarnessError> {
        loop {
            let result = self.ctl(i, &["await_startup", "--timeout", "10"]);
            let running = self.nodes[i]
                .process
                .as_mut()
                .is_some_and(Guarded::is_running);
            match result {
                Ok(_) => return Ok(()),
                Err(detail) if !running || Instant::now() >= deadline => {
                    let what = format!("RabbitMQ node {}", self.nodes[i].name);
                    return Err(self.not_ready(&what, deadline, detail));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(500)),
            }
        }
    }

    /// Waits until node `i` accepts an MQTT client and its QoS 1 subscription.
    fn await_mqtt(&self, i: usize, deadline: Instant) -> Result<(), HarnessError> {
        let within = deadline.saturating_duration_since(Instant::now());
        if self.wait_ready(i, within) {
            return Ok(());
        }
        let what = format!("MQTT on RabbitMQ node {}", self.nodes[i].name);
        Err(self.not_ready(&what, deadline, "no QoS 1 subscription taken".into()))
    }

    /// Waits until the first node sees all three running in its cluster.
    fn await_cluster(&self, deadline: Instant) -> Result<(), HarnessError> {
        loop {
            let status = self.ctl(0, &["cluster_status", "--formatter", "json"]);
            let running = status
                .as_ref()
                .ok()
                .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
                .and_then(|v| v["running_nodes"].as_array().map(Vec::len))
                .unwrap_or(0);
            if running == self.nodes.len() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                let detail = format!("{running} nodes running ({status:?})");
                return Err(self.not_ready("the cluster of three", deadline, detail));
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    fn not_ready(&self, what: &str, deadline: Instant, detail: String) -> HarnessError {
        HarnessError::NotReady {
            what: what.to_string(),
            waited: BOOT_TIMEOUT.saturating_sub(deadline.saturating_duration_since(Instant::now())),
            detail: format!("{detail}\n{}", self.logs()),
        }
    }
}

impl BrokerCluster for RabbitCluster {
    fn name(&self) -> &'static str {
        "RabbitMQ 3.10"
    }

    fn node_count(&self) -> usize {
        self.nodes.len()
    }

    fn mqtt_port(&self, i: usize) -> u16 {
        self.nodes[i].mqtt_port
    }

    fn kill(&mut self, i: usize) {
        if let Some(mut p) = self.nodes[i].process.take() {
            p.kill_group();
        }
    }

    fn logs(&self) -> String {
        let mut logs: Vec<(String, PathBuf)> = Vec::new();
        for i in 0..self.nodes.len() {
            logs.push((self.nodes[i].name.clone(), self.log_path(i)));
            logs.push((
                format!("{} (stdout)", self.nodes[i].name),
                self.node_dir(i).with_extension("out"),
            ));
        }
        crate::cluster::log_tails(&logs)
    }
}

impl Drop for RabbitCluster {
    fn drop(&mut self) {
        // The nodes' scripts lead process groups: dropping their handles would kill the scripts
        // and leave the Erlang VMs running.
        for i in 0..self.nodes.len() {
            self.kill(i);
        }
    }
}
