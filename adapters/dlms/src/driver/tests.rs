//! The driver against a scripted fake meter on a local TCP port ([`meter`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use super::*;
use fieldbridge_core::config::{
    DeviceTime, DlmsAuthentication, DlmsSecurity, DlmsTransport, DlmsWrite,
};
use fieldbridge_core::event::{DeviceState, EventReceiver, SourceEvent};
use fieldbridge_core::point::{Quality, QualityFlag, QualityLevel, Reading, Value};
use fieldbridge_core::source::Driver as _;
use fieldbridge_core::source::SourceStats;

use meter::{Meter, Script, Seen, CLOCK, ENERGY, MISSING, SERIAL};
use poll::Poller;

mod answers;
mod bounds;
mod commands;
mod cycles;
mod logs;
mod meter;

fn point(name: &str, obis: [u8; 6], class: u16) -> DlmsPoint {
    DlmsPoint {
        name: Arc::from(name),
        obis,
        class,
        attribute: 2,
        write: DlmsWrite::None,
        unit: None,
        command_timeout: None,
    }
}

fn source(address: &str) -> DlmsSource {
    DlmsSource {
        transport: DlmsTransport::Wrapper {
            address: address.to_owned(),
        },
        client_address: 16,
        server_address: 1,
        physical_address: None,
        authentication: DlmsAuthentication::None,
        security: DlmsSecurity::none(),
        device_time: DeviceTime::Utc,
        poll: Duration::from_secs(3600),
        timeout: Duration::from_secs(5),
        command_timeout: None,
        points: vec![
            point("energy", ENERGY, 3),
            point("clock", CLOCK, 8),
            point("serial", SERIAL, 1),
            point("missing", MISSING, 1),
        ],
    }
}

/// The same source over HDLC on TCP, physical address 17.
fn hdlc_source(address: &str) -> DlmsSource {
    DlmsSource {
        transport: DlmsTransport::HdlcTcp {
            address: address.to_owned(),
        },
        physical_address: Some(17),
        ..source(address)
    }
}

/// A running source and its point stream.
struct Running {
    rx: EventReceiver,
    stats: Arc<SourceStats>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts a source with `config`, its tuning changed by `tune`.
fn start(config: DlmsSource, tune: impl FnOnce(&mut poll::Tuning)) -> Running {
    let (tx, rx) = fieldbridge_core::event::channel(256);
    let stats = Arc::new(SourceStats::new());
    let mut poller = Poller::new(
        Arc::from("meter"),
        config,
        tx,
        stats.clone(),
        std::env::temp_dir().join("fieldbridge-dlms-driver-tests"),
    );
    tune(&mut poller.tuning);
    let task = tokio::spawn(poller.run());
    Running { rx, stats, task }
}

impl Running {
    async fn next(&mut self) -> SourceEvent {
        tokio::time::timeout(Duration::from_secs(20), self.rx.recv())
            .await
            .expect("an event in time")
            .expect("the source is running")
    }

    /// The next `$state`, skipping readings.
    async fn next_state(&mut self) -> DeviceState {
        loop {
            if let SourceEvent::DeviceState(state) = self.next().await {
                return state;
            }
        }
    }

    /// Readings until one of each of `points` came; the last of each.
    async fn readings(&mut self, points: &[&str]) -> HashMap<String, Reading> {
        let mut out = HashMap::new();
        while !points.iter().all(|p| out.contains_key(*p)) {
            if let SourceEvent::Reading(r) = self.next().await {
                out.insert(r.point.to_string(), r);
            }
        }
        out
    }
}

const ALL: [&str; 5] = ["energy", "clock", "clock_offset", "serial", "missing"];

#[tokio::test]
async fn a_poll_publishes_scaled_registers_data_and_the_clock_with_its_offset() {
    let mut meter = Meter::wrapper(Script::default()).await;
    let mut source = start(source(&meter.address), |_| {});

    let SourceEvent::DeviceMeta(meta) = source.next().await else {
        panic!("meta first");
    };
    let names: Vec<&str> = meta.points.iter().map(|p| &*p.name).collect();
    assert_eq!(names, ALL);
    assert!(source.next_state().await.online);

    let readings = source.readings(&ALL).await;
    let energy = &readings["energy"];
    let Value::Float(kwh) = energy.value else {
        panic!("energy is {:?}", energy.value);
    };
    assert!((kwh - 1234.5).abs() < 1e-9);
    assert_eq!(energy.unit.as_deref(), Some("Wh"));
    assert_eq!(energy.quality, Quality::GOOD);
    // The register's raw value and scaler travel with the sample: 12345 x 10^-1.
    assert_eq!(
        (energy.facts.raw, energy.facts.scaler),
        (Some(12_345), Some(-1))
    );

    let clock = &readings["clock"];
    assert!(matches!(clock.value, Value::DateTime(_)));
    assert!(clock.ts.is_some());
    let Value::Float(offset) = readings["clock_offset"].value else {
        panic!("offset is {:?}", readings["clock_offset"].value);
    };
    assert!(offset.abs() < 5.0, "{offset}");
    assert_eq!(readings["clock_offset"].unit.as_deref(), Some("s"));

    assert_eq!(
        readings["serial"].value,
        Value::String("GRX0001".to_owned())
    );
    assert_eq!(readings["serial"].facts.raw, None, "data is not scaled");
    assert_eq!(readings["missing"].quality.level, QualityLevel::Bad);
    assert!(readings["missing"]
        .quality
        .flags
        .contains(QualityFlag::DeviceError));
    meter.seen_until(&Seen::Eof).await;
    let counts = source.stats.snapshot();
    assert_eq!(counts.exceptions, 1);
    assert_eq!(
        counts.requests, 7,
        "AARQ, energy 3 and 2, clock, serial, missing, RLRQ"
    );
}

#[tokio::test]
async fn garbage_from_the_meter_is_counted_and_the_device_goes_offline() {
    let meter = Meter::wrapper(Script {
        garbage_after: Some(1),
        ..Script::default()
    })
    .await;
    let mut source = start(source(&meter.address), |_| {});
    let mut offline = None;
    while offline.is_none() {
        let state = source.next_state().await;
        if !state.online {
            offline = Some(state);
        }
    }
    let reason = offline.and_then(|s| s.reason).unwrap_or_default();
    assert!(reason.contains("does not decode"), "{reason}");
    assert_eq!(source.stats.snapshot().decode_errors, 1);
}

#[test]
fn hdlc_over_tcp_gmac_and_profile_buffers_are_accepted() {
    let mut config = source("127.0.0.1:4059");
    assert!(refusals(&config).is_empty());
    config.transport = DlmsTransport::HdlcTcp {
        address: "127.0.0.1:4059".to_owned(),
    };
    config.authentication = DlmsAuthentication::HighGmac;
    config
        .points
        .push(point("profile", [1, 0, 99, 1, 0, 255], 7));
    let keys: Vec<String> = refusals(&config).into_iter().map(|(k, _)| k).collect();
    assert!(keys.is_empty(), "{keys:?}");
    assert_eq!(Driver.protocols(), ["dlms"]);
}
