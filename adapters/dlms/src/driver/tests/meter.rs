//! A scripted fake meter on a local TCP port, over the wrapper or HDLC (the codec's server link
//! machine), its answers built with the codec. It serves one connection at a time, as many
//! meters do, and reports what it saw ([`Seen`]) so that tests can check the bridge's side of
//! the conversation.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fieldbridge_dlms::apdu::association::{
    ApplicationContextName, AssociationResult, OwnedAare, SourceDiagnostic, UserInformation,
};
use fieldbridge_dlms::apdu::conformance::Conformance;
use fieldbridge_dlms::apdu::get::{
    DataAccessResult, GetRequest, OwnedBlockResult, OwnedDataBlockG, OwnedGetDataResult,
    OwnedGetResponse,
};
use fieldbridge_dlms::apdu::initiate::{InitiateResponse, VaaName};
use fieldbridge_dlms::apdu::release::{OwnedReleaseResponse, ReleaseResponseReason};
use fieldbridge_dlms::apdu::Apdu;
use fieldbridge_dlms::axdr::{ClockStatus, Data, Date, DateTime, Time};
use fieldbridge_dlms::wrapper::{OwnedWrapperPdu, StreamSplitter};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

pub(super) const ENERGY: [u8; 6] = [1, 0, 1, 8, 0, 255];
pub(super) const CLOCK: [u8; 6] = [0, 0, 1, 0, 0, 255];
pub(super) const SERIAL: [u8; 6] = [0, 0, 96, 1, 0, 255];
pub(super) const MISSING: [u8; 6] = [0, 0, 96, 1, 9, 255];

/// What the meter saw, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Seen {
    /// A TCP connection was accepted (the n-th, from 1).
    Connected(usize),
    /// An AARQ.
    Aarq,
    /// A GET-Request-Normal of (OBIS, attribute).
    Get([u8; 6], i8),
    /// A GET-Request-Next.
    Next(u32),
    /// An RLRQ.
    Rlrq,
    /// The HDLC link was disconnected (DISC answered).
    Disc,
    /// The bridge closed the TCP connection.
    Eof,
}

/// How the meter misbehaves; everything off by default.
#[derive(Debug, Default)]
pub(super) struct Script {
    /// Drop this many connections as soon as they are accepted.
    pub(super) drop_connections: usize,
    /// Answer with bytes that are no APDU after this many GETs of a connection.
    pub(super) garbage_after: Option<usize>,
    /// Answers that replace the default ones, by (class, OBIS, attribute).
    pub(super) answers: HashMap<(u16, [u8; 6], i8), OwnedGetDataResult>,
    /// Answer a GET of this OBIS with blocks that never end, this long apart.
    pub(super) endless_blocks: Option<([u8; 6], Duration)>,
    /// Never answer the AARQ.
    pub(super) silent: bool,
    /// Never answer a GET.
    pub(super) hold_gets: bool,
    /// Wrapper: before each GET answer, a PDU to another client wPort claiming another value.
    pub(super) other_port_first: bool,
    /// Wrapper: each GET answer twice, in one write.
    pub(super) answer_twice: bool,
    /// The clock status of the clock's time.
    pub(super) clock_status: u8,
}

/// A running fake meter.
pub(super) struct Meter {
    pub(super) address: String,
    pub(super) script: Arc<Mutex<Script>>,
    pub(super) seen: mpsc::UnboundedReceiver<Seen>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Meter {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Meter {
    /// A meter over the wrapper, as the logical device 1 (wPort 1).
    pub(super) async fn wrapper(script: Script) -> Meter {
        Self::start(script, false).await
    }

    /// A meter over HDLC, logical address 1, physical address 17.
    pub(super) async fn hdlc(script: Script) -> Meter {
        Self::start(script, true).await
    }

    async fn start(script: Script, hdlc: bool) -> Meter {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address").to_string();
        let script = Arc::new(Mutex::new(script));
        let (tx, seen) = mpsc::unbounded_channel();
        let task = tokio::spawn(serve(listener, script.clone(), tx, hdlc));
        Meter {
            address,
            script,
            seen,
            task,
        }
    }

    /// Changes the script between connections.
    pub(super) fn edit(&self, change: impl FnOnce(&mut Script)) {
        change(&mut self.script.lock().expect("script"));
    }

    /// What the meter saw until it saw `last` (included), within 20 s.
    pub(super) async fn seen_until(&mut self, last: &Seen) -> Vec<Seen> {
        let mut out = Vec::new();
        loop {
            let next = tokio::time::timeout(Duration::from_secs(20), self.seen.recv())
                .await
                .unwrap_or_else(|_| panic!("the meter did not see {last:?}; it saw {out:?}"))
                .expect("the meter runs");
            let done = &next == last;
            out.push(next);
            if done {
                return out;
            }
        }
    }
}

async fn serve(
    listener: TcpListener,
    script: Arc<Mutex<Script>>,
    seen: mpsc::UnboundedSender<Seen>,
    hdlc: bool,
) {
    let mut count = 0;
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        count += 1;
        let _ = seen.send(Seen::Connected(count));
        {
            let mut s = script.lock().expect("script");
            if s.drop_connections > 0 {
                s.drop_connections -= 1;
                drop(stream);
                continue;
            }
        }
        let mut conn = Conn {
            script: script.clone(),
            seen: seen.clone(),
            gets: 0,
        };
        if hdlc {
            serve_hdlc(stream, &mut conn).await;
        } else {
            serve_wrapper(stream, &mut conn).await;
        }
        let _ = seen.send(Seen::Eof);
    }
}

/// One answer to send.
struct Out {
    apdu: Vec<u8>,
    /// Wait this long first.
    pause: Duration,
}

/// The state of one connection.
struct Conn {
    script: Arc<Mutex<Script>>,
    seen: mpsc::UnboundedSender<Seen>,
    gets: usize,
}

impl Conn {
    /// The answer to one APDU; `None` to say nothing.
    fn respond(&mut self, apdu: &[u8]) -> Option<Out> {
        let s = self.script.lock().expect("script");
        let now = |apdu| {
            Some(Out {
                apdu,
                pause: Duration::ZERO,
            })
        };
        match Apdu::decode(apdu) {
            Ok(Apdu::Aarq(_)) => {
                let _ = self.seen.send(Seen::Aarq);
                if s.silent {
                    return None;
                }
                now(aare())
            }
            Ok(Apdu::GetRequest(GetRequest::Normal {
                invoke, attribute, ..
            })) => {
                let _ = self
                    .seen
                    .send(Seen::Get(attribute.instance_id, attribute.attribute_id));
                self.gets += 1;
                if s.hold_gets {
                    return None;
                }
                if s.garbage_after.is_some_and(|limit| self.gets > limit) {
                    return now(vec![0xC4, 0x01, 0xFF]);
                }
                if let Some((obis, pause)) = s.endless_blocks {
                    if obis == attribute.instance_id {
                        return Some(Out {
                            apdu: block(invoke, 1),
                            pause,
                        });
                    }
                }
                let key = (
                    attribute.class_id,
                    attribute.instance_id,
                    attribute.attribute_id,
                );
                let result = s
                    .answers
                    .get(&key)
                    .cloned()
                    .unwrap_or_else(|| answer(key, s.clock_status));
                now(OwnedGetResponse::Normal { invoke, result }.to_vec())
            }
            Ok(Apdu::GetRequest(GetRequest::Next {
                invoke,
                block_number,
            })) => {
                let _ = self.seen.send(Seen::Next(block_number));
                let pause = s.endless_blocks.map(|(_, p)| p).unwrap_or_default();
                Some(Out {
                    apdu: block(invoke, block_number + 1),
                    pause,
                })
            }
            Ok(Apdu::ReleaseRequest(_)) => {
                let _ = self.seen.send(Seen::Rlrq);
                let mut out = Vec::new();
                OwnedReleaseResponse {
                    reason: Some(ReleaseResponseReason::NORMAL),
                    user_information: None,
                }
                .encode(&mut out);
                now(out)
            }
            _ => None,
        }
    }
}

fn aare() -> Vec<u8> {
    let mut aare = OwnedAare::new(
        ApplicationContextName::LogicalName,
        AssociationResult::Accepted,
        SourceDiagnostic::NULL,
    );
    aare.user_information = Some(UserInformation::InitiateResponse(InitiateResponse {
        negotiated_quality_of_service: None,
        negotiated_dlms_version_number: 6,
        negotiated_conformance: Conformance::GET | Conformance::BLOCK_TRANSFER_WITH_GET_OR_READ,
        server_max_receive_pdu_size: 1024,
        vaa_name: VaaName::LN,
    }));
    let mut out = Vec::new();
    aare.encode(&mut out);
    out
}

/// One block of a value that never ends: one octet of raw data, never the last.
fn block(invoke: fieldbridge_dlms::apdu::get::InvokeIdAndPriority, number: u32) -> Vec<u8> {
    OwnedGetResponse::WithDatablock {
        invoke,
        block: OwnedDataBlockG {
            last_block: false,
            block_number: number,
            result: OwnedBlockResult::RawData(vec![0x00]),
        },
    }
    .to_vec()
}

/// The meter's clock: now, in UTC, with this clock status.
pub(super) fn clock_now(status: u8) -> DateTime {
    let now = time::OffsetDateTime::now_utc();
    DateTime {
        date: Date {
            year: u16::try_from(now.year()).unwrap_or(2026),
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
        clock_status: ClockStatus(status),
    }
}

/// The default answer to a GET of (class, OBIS, attribute).
fn answer((class, obis, attribute): (u16, [u8; 6], i8), clock_status: u8) -> OwnedGetDataResult {
    let data = match (class, obis, attribute) {
        (3, ENERGY, 2) => Data::DoubleLongUnsigned(12_345),
        (3, ENERGY, 3) => Data::Structure(vec![Data::Integer(-1), Data::Enum(30)]),
        (8, CLOCK, 2) => Data::OctetString(clock_now(clock_status).to_bytes().to_vec()),
        (1, SERIAL, 2) => Data::OctetString(b"GRX0001".to_vec()),
        _ => return OwnedGetDataResult::DataAccessResult(DataAccessResult::OBJECT_UNDEFINED),
    };
    OwnedGetDataResult::Data(data)
}

async fn serve_wrapper(mut stream: TcpStream, conn: &mut Conn) {
    let mut splitter = StreamSplitter::default();
    let mut buf = vec![0u8; 4096];
    loop {
        let n = match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        splitter.push(&buf[..n]);
        while let Ok(Some(pdu)) = splitter.next_pdu() {
            let (us, them) = (pdu.destination, pdu.source);
            let is_get = pdu.apdu.first() == Some(&0xC0);
            let Some(out) = conn.respond(pdu.apdu) else {
                continue;
            };
            tokio::time::sleep(out.pause).await;
            let (other_port, twice) = {
                let s = conn.script.lock().expect("script");
                (s.other_port_first && is_get, s.answer_twice && is_get)
            };
            let mut bytes = Vec::new();
            if other_port {
                // From our wPort to another client's, with another value.
                let claim = OwnedGetResponse::Normal {
                    invoke: fieldbridge_dlms::apdu::get::InvokeIdAndPriority::new(
                        out.apdu.get(2).copied().unwrap_or(0x41) & 0x0F,
                        true,
                        true,
                    ),
                    result: OwnedGetDataResult::Data(Data::DoubleLongUnsigned(99_999)),
                };
                let _ = OwnedWrapperPdu::new(us, them + 1, claim.to_vec()).encode(&mut bytes);
            }
            let pdu = OwnedWrapperPdu::new(us, them, out.apdu);
            let _ = pdu.encode(&mut bytes);
            if twice {
                let _ = pdu.encode(&mut bytes);
            }
            if stream.write_all(&bytes).await.is_err() {
                return;
            }
        }
    }
}

async fn serve_hdlc(mut stream: TcpStream, conn: &mut Conn) {
    use fieldbridge_dlms::hdlc::link::{Config, Disconnect, Event, Server};
    use fieldbridge_dlms::hdlc::Address;
    use std::time::Instant;

    let Ok(server) = Address::server(1, Some(17)) else {
        return;
    };
    let mut link = Server::new(Config {
        server,
        ..Config::default()
    });
    let mut buf = vec![0u8; 4096];
    loop {
        let timeout = link.poll_timeout();
        tokio::select! {
            read = stream.read(&mut buf) => {
                let n = match read {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                link.handle_input(Instant::now(), &buf[..n]);
            }
            () = async {
                match timeout {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            } => link.handle_timeout(Instant::now()),
        }
        while let Some(event) = link.poll_event() {
            match event {
                Event::Data(apdu) => {
                    if let Some(out) = conn.respond(&apdu) {
                        tokio::time::sleep(out.pause).await;
                        let _ = link.send(&out.apdu);
                    }
                }
                Event::Disconnected(Disconnect::Remote) => {
                    let _ = conn.seen.send(Seen::Disc);
                }
                _ => {}
            }
        }
        if conn.script.lock().expect("script").silent {
            continue; // not even a UA
        }
        while let Some(frame) = link.poll_transmit(Instant::now()) {
            if stream.write_all(&frame).await.is_err() {
                return;
            }
        }
    }
}
