//! `fieldbridge demo`: a simulator (Modbus by default, or the IEC 104 outstation), an embedded
//! MQTT broker and a bridge in one process, printing every sample the broker delivers and sending
//! one command, so a newcomer sees it work with nothing installed.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};
use fieldbridge_core::config::{self, BrokerUrl, Config, ModbusTransport, SourceKind};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde_json::Value;

use crate::bridge::Bridge;
use crate::error::Error;
use crate::{logging, runtime};

/// The field protocols the demo can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum DemoProtocol {
    /// The Modbus TCP simulator polled once a second (`adapters/sim/demo.toml`).
    Modbus,
    /// The IEC 60870-5-104 outstation simulator: interrogation, spontaneous changes with time
    /// tags, counter interrogation, clock sync and a select-before-operate command.
    Iec104,
}

/// Options of `demo`.
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Which field protocol to show.
    #[arg(long, value_enum, default_value = "modbus")]
    protocol: DemoProtocol,
    /// Stop after this many samples have been printed.
    #[arg(long)]
    count: Option<u64>,
    /// Stop after this many seconds.
    #[arg(long)]
    seconds: Option<u64>,
    /// Where the embedded broker listens (port 0: any free port), so other clients can watch too.
    #[arg(long, default_value = "127.0.0.1:0")]
    broker: SocketAddr,
    /// Log level of the bridge itself (its samples are printed on stdout either way).
    #[arg(long, default_value = "warn")]
    log: String,
}

/// Runs the demo until Ctrl-C, `--count` or `--seconds`.
pub(crate) async fn run(args: DemoArgs) -> Result<(), Error> {
    logging::init(&args.log, false);
    let (mut config, sim_addr, _server) = match args.protocol {
        DemoProtocol::Modbus => modbus_simulator().await?,
        DemoProtocol::Iec104 => iec104_simulator().await?,
    };
    let data_dir = std::env::temp_dir().join(format!("fieldbridge-demo-{}", std::process::id()));
    config.bridge.data_dir = data_dir.clone();
    let demo_command = match args.protocol {
        DemoProtocol::Modbus => MODBUS_COMMAND,
        DemoProtocol::Iec104 => IEC104_COMMAND,
    };
    let prefix = format!("{}/{}", config.mqtt.prefix, config.bridge.site);

    // The broker and the watcher first, so that the very first samples are printed too.
    let broker = crate::broker::start(args.broker)?;
    config.mqtt.url = BrokerUrl::remote(broker.ip().to_string(), broker.port(), false);
    println!("# simulator on {sim_addr}, embedded MQTT broker on {broker}, printing {prefix}/#");
    let (subscribed_tx, subscribed) = tokio::sync::oneshot::channel();
    let printed = watch_and_print(broker, &prefix, args.count, demo_command, subscribed_tx);
    tokio::pin!(printed);
    tokio::select! {
        result = &mut printed => return result,
        _ = subscribed => {}
        () = tokio::time::sleep(Duration::from_secs(5)) => {
            return Err(Error::Broker { listen: broker, reason: "the demo's subscription was not acknowledged within 5 s".to_owned() });
        }
    }
    let bridge = Bridge::start(config, &crate::protocols::registry()).await?;

    let stop_after = async {
        match args.seconds {
            Some(s) => tokio::time::sleep(Duration::from_secs(s)).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        result = &mut printed => result?,
        () = stop_after => {}
        () = runtime::shutdown_signal() => {}
    }
    bridge.stop().await;
    remove_dir(data_dir);
    Ok(())
}

/// What a simulator task returns when it ends.
type SimTask = tokio::task::JoinHandle<std::io::Result<()>>;

/// The Modbus simulator on a free port and the demo configuration pointed at it.
async fn modbus_simulator() -> Result<(Config, SocketAddr, SimTask), Error> {
    let sim = fieldbridge_sim::ModbusSim::default();
    let (sim_addr, server) = fieldbridge_sim::bind_tcp(SocketAddr::from(([127, 0, 0, 1], 0)), sim)
        .await
        .map_err(|e| Error::Io {
            what: "demo simulator".to_owned(),
            source: e,
        })?;
    let mut config = config::parse(fieldbridge_sim::DEMO_CONFIG)?;
    for source in &mut config.sources {
        if let SourceKind::Modbus(m) = &mut source.kind {
            m.transport = ModbusTransport::Tcp {
                address: sim_addr.to_string(),
            };
        }
    }
    Ok((config, sim_addr, server))
}

/// The IEC 104 outstation simulator on a free port, a spontaneous change every 500 ms, and
/// `demo/iec104.toml` pointed at it.
async fn iec104_simulator() -> Result<(Config, SocketAddr, SimTask), Error> {
    let sim = fieldbridge_sim::Iec104Config {
        rate: fieldbridge_sim::Rate::PerSecond(2),
        ..fieldbridge_sim::Iec104Config::default()
    };
    let (sim_addr, server) =
        fieldbridge_sim::bind_iec104(SocketAddr::from(([127, 0, 0, 1], 0)), sim)
            .await
            .map_err(|e| Error::Io {
                what: "demo iec104 simulator".to_owned(),
                source: e,
            })?;
    let mut config = config::parse(IEC104_CONFIG)?;
    for source in &mut config.sources {
        if let SourceKind::Iec104(s) = &mut source.kind {
            s.addresses = vec![sim_addr.to_string()];
        }
    }
    Ok((config, sim_addr, server))
}

/// The IEC 104 demo configuration.
const IEC104_CONFIG: &str = include_str!("iec104.toml");

fn remove_dir(dir: PathBuf) {
    if let Err(error) = std::fs::remove_dir_all(&dir) {
        tracing::debug!(dir = %dir.display(), %error, "could not remove the demo's data directory");
    }
}

/// Subscribes to everything under `prefix` and prints one line per message; says when the
/// subscription is acknowledged; returns after `count` samples.
async fn watch_and_print(
    broker: SocketAddr,
    prefix: &str,
    count: Option<u64>,
    command: DemoCommand,
    subscribed: tokio::sync::oneshot::Sender<()>,
) -> Result<(), Error> {
    let mut subscribed = Some(subscribed);
    let mut options = MqttOptions::new(
        format!("fieldbridge-demo-watch-{}", std::process::id()),
        broker.ip().to_string(),
        broker.port(),
    );
    options.set_keep_alive(Duration::from_secs(30));
    options.set_max_packet_size(1 << 20, 1 << 20);
    let (client, mut eventloop) = AsyncClient::new(options, 64);
    let filter = format!("{prefix}/#");
    let mut samples = 0u64;
    let mut commanded = false;
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                let _ = client.subscribe(filter.clone(), QoS::AtLeastOnce).await;
            }
            Ok(Event::Incoming(Packet::SubAck(_))) => {
                if let Some(tx) = subscribed.take() {
                    let _ = tx.send(());
                }
            }
            Ok(Event::Incoming(Packet::Publish(p))) => {
                let topic = p
                    .topic
                    .strip_prefix(prefix)
                    .unwrap_or(&p.topic)
                    .trim_start_matches('/');
                let json: Value = serde_json::from_slice(&p.payload).unwrap_or(Value::Null);
                // Once the simulator is online, one command shows the way back to the field.
                if !commanded && topic == command.state_topic && json["state"] == "online" {
                    commanded = true;
                    let _ = client
                        .publish(
                            format!("{prefix}/{}/set", command.point),
                            QoS::AtLeastOnce,
                            false,
                            command.payload,
                        )
                        .await;
                }
                if let Some(line) = describe(topic, &json) {
                    println!("{line}");
                    if !topic.contains('$') {
                        samples += 1;
                    }
                }
                if count.is_some_and(|c| samples >= c) {
                    return Ok(());
                }
            }
            Ok(_) => {}
            Err(e) => {
                tracing::debug!(error = %e, "demo watcher reconnecting");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

/// The one command the demo sends (`docs/commands.md`), once its device is online.
#[derive(Debug, Clone, Copy)]
struct DemoCommand {
    /// The `$state` topic below the prefix that says the device is online.
    state_topic: &'static str,
    /// The writable point, `<device>/<point>`.
    point: &'static str,
    /// The command.
    payload: &'static str,
}

/// `adapters/sim/demo.toml`: the simulator's scratch register pair, as an f32 in `cdab` order.
const MODBUS_COMMAND: DemoCommand = DemoCommand {
    state_topic: "sim/$state",
    point: "sim/setpoint_f32",
    payload: r#"{"id":"demo-1","value":42.5}"#,
};

/// `demo/iec104.toml`: a single command with select-before-operate; `switch_feedback` follows.
const IEC104_COMMAND: DemoCommand = DemoCommand {
    state_topic: "rtu/$state",
    point: "rtu/switch",
    payload: r#"{"id":"demo-1","value":true}"#,
};

/// One line for a message: `sim/ramp = 42 (good) seq=17`, the device's state, or a command and
/// its result.
fn describe(topic: &str, json: &Value) -> Option<String> {
    if topic.ends_with("/set") {
        return Some(format!("{topic} <- {json}"));
    }
    if topic.ends_with("/set/result") {
        let how = json["method"]
            .as_str()
            .or(json["reason"].as_str())
            .unwrap_or_default();
        return Some(format!(
            "{topic}: {} {} ({how}, {} ms)",
            json["id"],
            json["outcome"].as_str().unwrap_or("?"),
            json["latency_ms"]
        ));
    }
    if topic.ends_with("/$meta") {
        let n = json["points"].as_array().map_or(0, Vec::len);
        return Some(format!("{topic}: {n} points"));
    }
    if topic.contains('$') {
        return Some(format!(
            "{topic}: {}",
            json["state"].as_str().unwrap_or("?")
        ));
    }
    let unit = json["unit"]
        .as_str()
        .map(|u| format!(" {u}"))
        .unwrap_or_default();
    let flags = json["flags"].as_array().map(|f| {
        let names: Vec<&str> = f.iter().filter_map(Value::as_str).collect();
        format!(" [{}]", names.join(","))
    });
    Some(format!(
        "{topic} = {}{unit} ({}{}) seq={}",
        json["value"],
        json["quality"].as_str().unwrap_or("?"),
        flags.unwrap_or_default(),
        json["seq"]
    ))
}
