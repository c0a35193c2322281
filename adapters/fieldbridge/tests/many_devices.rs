//! A bridge with more devices than the MQTT client's request queue holds (1,024): every device's
//! retained `$meta` and `$state` and every sample still reach the broker. Found by the IEC 104
//! scale benchmark: announcing a thousand devices after the connect used to overflow the queue,
//! and the delivery then took the connection for dead and published nothing, for ever.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use fieldbridge::Bridge;
use fieldbridge_core::config::{SourceConfig, SourceKind};
use fieldbridge_core::event::{DeviceMeta, DeviceState, PointMeta, SourceEvent};
use fieldbridge_core::point::{IecAddress, Quality, Reading, SampleFacts, SourceAddress, Value};
use fieldbridge_core::source::{Driver, SourceContext, SourceTask};
use fieldbridge_core::time::Timestamp;
use fieldbridge_tests::{Mosquitto, Subscriber};

const DEVICES: usize = 1_100;

/// Stands in for `iec104`: meta, online, one reading, then silence.
struct OneShot;

impl Driver for OneShot {
    fn family(&self) -> &'static str {
        "test-oneshot"
    }

    fn protocols(&self) -> &'static [&'static str] {
        &["iec104"]
    }

    fn start(&self, source: SourceConfig, ctx: SourceContext) -> SourceTask {
        let SourceKind::Iec104(_) = source.kind else {
            return Box::pin(async {});
        };
        Box::pin(async move {
            let address = SourceAddress::Iec104(IecAddress {
                common_address: 1,
                ioa: 1,
            });
            let meta = DeviceMeta {
                device: ctx.name.clone(),
                protocol: "iec104",
                points: vec![PointMeta {
                    name: "x".into(),
                    unit: None,
                    writable: false,
                    source: address.clone(),
                }],
            };
            let state = DeviceState {
                device: ctx.name.clone(),
                online: true,
                reason: None,
                since: Timestamp::now(),
            };
            let reading = Reading {
                device: ctx.name.clone(),
                point: "x".into(),
                value: Value::Int(1),
                quality: Quality::GOOD,
                ts: None,
                received: Timestamp::now(),
                unit: None,
                source: address,
                facts: SampleFacts::default(),
            };
            for event in [
                SourceEvent::DeviceMeta(meta),
                SourceEvent::DeviceState(state),
                SourceEvent::Reading(reading),
            ] {
                if ctx.events.send(event).await.is_err() {
                    return;
                }
            }
            std::future::pending::<()>().await;
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_devices_than_the_client_queue_holds_are_all_announced_and_published() {
    fieldbridge_tests::require(fieldbridge_tests::Peer::Mosquitto);
    let broker = Mosquitto::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = format!(
        "[bridge]\nid = \"gw\"\nsite = \"s\"\ndata_dir = \"{}\"\n\n[mqtt]\nurl = \"mqtt://127.0.0.1:{}\"\nprefix = \"fb\"\n",
        dir.path().display(),
        broker.port()
    );
    for i in 0..DEVICES {
        text.push_str(&format!(
            "\n[[source]]\nname = \"d{i}\"\nprotocol = \"iec104\"\naddress = \"127.0.0.1:1\"\n"
        ));
    }
    let config = fieldbridge_core::config::parse(&text).unwrap_or_else(|e| panic!("{e}"));
    let subscriber = Subscriber::connect(broker.port(), "fb/s/#").await;
    let registry = fieldbridge::protocols::registry().with(OneShot);
    let bridge = Bridge::start(config, &registry)
        .await
        .expect("bridge starts");

    let deadline = Instant::now() + Duration::from_secs(60);
    let (samples, states, metas) = loop {
        let mut samples = HashSet::new();
        let mut states = HashSet::new();
        let mut metas = HashSet::new();
        for m in subscriber.messages() {
            let mut parts = m.topic.split('/').skip(2);
            let (Some(device), Some(leaf)) = (parts.next(), parts.next()) else {
                continue;
            };
            match leaf {
                "x" => samples.insert(device.to_owned()),
                "$state" if m.text().contains("\"online\"") => states.insert(device.to_owned()),
                "$meta" => metas.insert(device.to_owned()),
                _ => false,
            };
        }
        let done = samples.len() == DEVICES && states.len() == DEVICES && metas.len() == DEVICES;
        if done || Instant::now() > deadline {
            break (samples.len(), states.len(), metas.len());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(
        (samples, states, metas),
        (DEVICES, DEVICES, DEVICES),
        "samples, online states and metas of {DEVICES} devices"
    );
    bridge.stop().await;
}
