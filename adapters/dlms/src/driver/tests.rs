//! The driver against a fake meter on a local TCP port, its answers built with the codec.

use super::*;
use fieldbridge_core::config::{DeviceTime, DlmsSecurity, DlmsTransport, DlmsWrite};
use fieldbridge_core::source::Driver as _;
use fieldbridge_dlms::apdu::association::{
    ApplicationContextName, AssociationResult, OwnedAare, SourceDiagnostic, UserInformation,
};
use fieldbridge_dlms::apdu::conformance::Conformance;
use fieldbridge_dlms::apdu::get::{
    DataAccessResult, GetRequest, OwnedGetDataResult, OwnedGetResponse,
};
use fieldbridge_dlms::apdu::initiate::{InitiateResponse, VaaName};
use fieldbridge_dlms::apdu::Apdu;
use fieldbridge_dlms::axdr::{ClockStatus, Date, DateTime, Time};
use fieldbridge_dlms::wrapper::{OwnedWrapperPdu, StreamSplitter};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const ENERGY: [u8; 6] = [1, 0, 1, 8, 0, 255];
const CLOCK: [u8; 6] = [0, 0, 1, 0, 0, 255];
const SERIAL: [u8; 6] = [0, 0, 96, 1, 0, 255];
const MISSING: [u8; 6] = [0, 0, 96, 1, 9, 255];

fn clock_now() -> DateTime {
    let now = time::OffsetDateTime::now_utc();
    DateTime {
        date: Date {
            year: now.year() as u16,
            month: u8::from(now.month()),
            day: now.day(),
            day_of_week: 0xFF,
        },
        time: Time {
            hour: now.hour(),
            minute: now.minute(),
            second: now.second(),
            hundredths: 0,
        },
        deviation: 0,
        clock_status: ClockStatus(0),
    }
}

/// What the fake meter answers to a GET of (class, obis, attribute).
fn answer(class: u16, obis: [u8; 6], attribute: i8) -> OwnedGetDataResult {
    let data = match (class, obis, attribute) {
        (3, ENERGY, 2) => Data::DoubleLongUnsigned(12_345),
        (3, ENERGY, 3) => Data::Structure(vec![Data::Integer(-1), Data::Enum(30)]),
        (8, CLOCK, 2) => Data::OctetString(clock_now().to_bytes().to_vec()),
        (1, SERIAL, 2) => Data::OctetString(b"GRX0001".to_vec()),
        _ => return OwnedGetDataResult::DataAccessResult(DataAccessResult::OBJECT_UNDEFINED),
    };
    OwnedGetDataResult::Data(data)
}

/// Serves one connection: an AARE for the AARQ, GET answers; `garbage_after` GETs it sends
/// bytes that are no APDU.
async fn fake_meter(listener: TcpListener, garbage_after: Option<usize>) {
    let Ok((mut stream, _)) = listener.accept().await else {
        return;
    };
    let mut splitter = StreamSplitter::default();
    let mut buf = vec![0u8; 4096];
    let mut gets = 0usize;
    loop {
        let n = match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        splitter.push(&buf[..n]);
        while let Ok(Some(pdu)) = splitter.next_pdu() {
            let reply = match Apdu::decode(pdu.apdu) {
                Ok(Apdu::Aarq(_)) => {
                    let mut aare = OwnedAare::new(
                        ApplicationContextName::LogicalName,
                        AssociationResult::Accepted,
                        SourceDiagnostic::NULL,
                    );
                    aare.user_information =
                        Some(UserInformation::InitiateResponse(InitiateResponse {
                            negotiated_quality_of_service: None,
                            negotiated_dlms_version_number: 6,
                            negotiated_conformance: Conformance::GET,
                            server_max_receive_pdu_size: 1024,
                            vaa_name: VaaName::LN,
                        }));
                    let mut out = Vec::new();
                    aare.encode(&mut out);
                    out
                }
                Ok(Apdu::GetRequest(GetRequest::Normal {
                    invoke, attribute, ..
                })) => {
                    gets += 1;
                    if garbage_after.is_some_and(|limit| gets > limit) {
                        vec![0xC4, 0x01, 0xFF]
                    } else {
                        OwnedGetResponse::Normal {
                            invoke,
                            result: answer(
                                attribute.class_id,
                                attribute.instance_id,
                                attribute.attribute_id,
                            ),
                        }
                        .to_vec()
                    }
                }
                _ => return,
            };
            let mut out = Vec::new();
            let pdu = OwnedWrapperPdu::new(pdu.destination, pdu.source, reply);
            if pdu.encode(&mut out).is_err() || stream.write_all(&out).await.is_err() {
                return;
            }
        }
    }
}

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

fn source(address: String) -> DlmsSource {
    DlmsSource {
        transport: DlmsTransport::Wrapper { address },
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

async fn next_event(rx: &mut fieldbridge_core::event::EventReceiver) -> SourceEvent {
    tokio::time::timeout(Duration::from_secs(20), rx.recv())
        .await
        .expect("an event in time")
        .expect("the source is running")
}

#[tokio::test]
async fn a_poll_publishes_scaled_registers_data_and_the_clock_with_its_offset() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address").to_string();
    let meter = tokio::spawn(fake_meter(listener, None));
    let (tx, mut rx) = fieldbridge_core::event::channel(64);
    let stats = Arc::new(SourceStats::new());
    let task =
        tokio::spawn(Poller::new(Arc::from("meter"), source(address), tx, stats.clone()).run());

    let SourceEvent::DeviceMeta(meta) = next_event(&mut rx).await else {
        panic!("meta first");
    };
    let names: Vec<&str> = meta.points.iter().map(|p| &*p.name).collect();
    assert_eq!(
        names,
        ["energy", "clock", "clock_offset", "serial", "missing"]
    );
    let SourceEvent::DeviceState(state) = next_event(&mut rx).await else {
        panic!("state after the association");
    };
    assert!(state.online);

    let mut readings = HashMap::new();
    while readings.len() < 5 {
        if let SourceEvent::Reading(r) = next_event(&mut rx).await {
            readings.insert(r.point.to_string(), r);
        }
    }
    let energy = &readings["energy"];
    let Value::Float(kwh) = energy.value else {
        panic!("energy is {:?}", energy.value);
    };
    assert!((kwh - 1234.5).abs() < 1e-9);
    assert_eq!(energy.unit.as_deref(), Some("Wh"));
    assert_eq!(energy.quality, Quality::GOOD);

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
    assert_eq!(readings["missing"].quality.level, QualityLevel::Bad);
    assert!(readings["missing"]
        .quality
        .flags
        .contains(QualityFlag::DeviceError));
    let counts = stats.snapshot();
    assert_eq!(counts.exceptions, 1);
    assert_eq!(
        counts.requests, 6,
        "AARQ, energy 3 and 2, clock, serial, missing"
    );
    task.abort();
    meter.abort();
}

#[tokio::test]
async fn garbage_from_the_meter_is_counted_and_the_device_goes_offline() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address").to_string();
    let meter = tokio::spawn(fake_meter(listener, Some(1)));
    let (tx, mut rx) = fieldbridge_core::event::channel(64);
    let stats = Arc::new(SourceStats::new());
    let task =
        tokio::spawn(Poller::new(Arc::from("meter"), source(address), tx, stats.clone()).run());
    let mut offline = None;
    while offline.is_none() {
        if let SourceEvent::DeviceState(state) = next_event(&mut rx).await {
            if !state.online {
                offline = Some(state);
            }
        }
    }
    let reason = offline.and_then(|s| s.reason).unwrap_or_default();
    assert!(reason.contains("does not decode"), "{reason}");
    assert_eq!(stats.snapshot().decode_errors, 1);
    task.abort();
    meter.abort();
}

#[test]
fn hdlc_over_tcp_is_accepted_and_gmac_profiles_and_commands_are_refused_for_now() {
    let mut config = source("127.0.0.1:4059".to_owned());
    assert!(refusals(&config).is_empty());
    config.transport = DlmsTransport::HdlcTcp {
        address: "127.0.0.1:4059".to_owned(),
    };
    config.authentication = DlmsAuthentication::HighGmac;
    config
        .points
        .push(point("profile", [1, 0, 99, 1, 0, 255], 7));
    let keys: Vec<String> = refusals(&config).into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, ["authentication", "point"]);
    assert_eq!(Driver.protocols(), ["dlms"]);
}
