//! `fieldbridge demo`: the Modbus simulator, an embedded MQTT broker and a bridge in one process,
//! printing every sample the broker delivers, so a newcomer sees it work with nothing installed.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use fieldbridge_core::config::{self, BrokerUrl, ModbusTransport, SourceKind};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde_json::Value;

use crate::bridge::Bridge;
use crate::error::Error;
use crate::{logging, runtime};

/// Options of `demo`.
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
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
    let sim = fieldbridge_sim::ModbusSim::default();
    let (sim_addr, _server) = fieldbridge_sim::bind_tcp(SocketAddr::from(([127, 0, 0, 1], 0)), sim)
        .await
        .map_err(|e| Error::Io {
            what: "demo simulator".to_owned(),
            source: e,
        })?;

    let mut config = config::parse(fieldbridge_sim::DEMO_CONFIG)?;
    let data_dir = std::env::temp_dir().join(format!("fieldbridge-demo-{}", std::process::id()));
    config.bridge.data_dir = data_dir.clone();
    for source in &mut config.sources {
        if let SourceKind::Modbus(m) = &mut source.kind {
            m.transport = ModbusTransport::Tcp {
                address: sim_addr.to_string(),
            };
        }
    }
    let prefix = format!("{}/{}", config.mqtt.prefix, config.bridge.site);

    // The broker and the watcher first, so that the very first samples are printed too.
    let broker = crate::broker::start(args.broker)?;
    config.mqtt.url = BrokerUrl::Remote {
        host: broker.ip().to_string(),
        port: broker.port(),
        tls: false,
    };
    println!("# simulator on {sim_addr}, embedded MQTT broker on {broker}, printing {prefix}/#");
    let (subscribed_tx, subscribed) = tokio::sync::oneshot::channel();
    let printed = watch_and_print(broker, &prefix, args.count, subscribed_tx);
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
                if !commanded && topic == "sim/$state" && json["state"] == "online" {
                    commanded = true;
                    let _ = client
                        .publish(
                            format!("{prefix}/{DEMO_COMMAND_POINT}/set"),
                            QoS::AtLeastOnce,
                            false,
                            DEMO_COMMAND,
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

/// The writable point of `adapters/sim/demo.toml` the demo commands once (`docs/commands.md`).
const DEMO_COMMAND_POINT: &str = "sim/setpoint_f32";
/// The demo's command: the simulator's scratch register pair, as an f32 in `cdab` order.
const DEMO_COMMAND: &str = r#"{"id":"demo-1","value":42.5}"#;

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
