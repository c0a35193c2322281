//! The simulator served over TCP ([`bind_dlms`](crate::dlms::bind_dlms)): what lives as long as
//! the process (the frame counters, the replay guards) and what lives as long as the transport
//! (the association: an HDLC DISC or SNRM ends it).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use fieldbridge_dlms::hdlc::link::{self, Event};
use fieldbridge_dlms::hdlc::Address;
use fieldbridge_dlms::wrapper::{self, OwnedWrapperPdu};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;

use super::*;
use crate::dlms::{bind_dlms, DlmsConfig};

const WAIT: Duration = Duration::from_secs(5);

pub(super) fn config(security: Option<SecurityPolicy>) -> DlmsConfig {
    DlmsConfig {
        keys: Keys::new(EK, AK),
        system_title: SERVER_TITLE,
        security,
        ..DlmsConfig::default()
    }
}

pub(super) async fn start(config: DlmsConfig) -> SocketAddr {
    let (addr, _server) = bind_dlms("127.0.0.1:0".parse().expect("addr"), config)
        .await
        .expect("bind");
    addr
}

/// One APDU over the wrapper from `sap` and its answer (`None`: the meter closed).
pub(super) async fn exchange(stream: &mut TcpStream, sap: u16, apdu: Vec<u8>) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    OwnedWrapperPdu::new(sap, 1, apdu)
        .encode(&mut out)
        .expect("wrapper");
    stream.write_all(&out).await.ok()?;
    let mut buffer = Vec::new();
    timeout(WAIT, async {
        loop {
            if let Some((pdu, _)) = wrapper::decode(&buffer).expect("wrapper pdu") {
                return Some(pdu.apdu.to_vec());
            }
            let mut chunk = [0u8; 2048];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await
    .expect("an answer or the close in time")
}

/// An AARQ with its initiate request ciphered under `counter`.
pub(super) fn ciphered_aarq(counter: u32) -> Vec<u8> {
    let mut plain = Vec::new();
    InitiateRequest::new(Conformance::LN, 1024).encode(&mut plain);
    let mut initiate = Vec::new();
    encrypt(
        Envelope::ServiceSpecific(KeyKind::Global),
        SecurityControl::new(SecurityPolicy::AuthenticatedEncrypted),
        counter,
        &CLIENT_TITLE,
        &Keys::new(EK, AK),
        &plain,
        &mut initiate,
    )
    .expect("encrypt");
    let mut aarq = OwnedAarq::new(ApplicationContextName::LogicalNameCiphered);
    aarq.calling_ap_title = Some(CLIENT_TITLE.to_vec());
    aarq.user_information = Some(UserInformation::Ciphered(initiate));
    let mut out = Vec::new();
    aarq.encode(&mut out);
    out
}

pub(super) fn plain_aarq() -> Vec<u8> {
    let mut aarq = OwnedAarq::new(ApplicationContextName::LogicalName);
    aarq.user_information = Some(UserInformation::InitiateRequest(InitiateRequest::new(
        Conformance::LN,
        1024,
    )));
    let mut out = Vec::new();
    aarq.encode(&mut out);
    out
}

pub(super) fn get_import() -> Vec<u8> {
    OwnedGetRequest::Normal {
        invoke: invoke(),
        attribute: AttributeDescriptor::new(3, ENERGY_IMPORT, 2),
        selection: None,
    }
    .to_vec()
}

/// The frame counter of the AARE's ciphered initiate response, if it was accepted.
fn accepted_counter(answer: &[u8]) -> Option<u32> {
    let aare = aare(answer);
    if aare.result != AssociationResult::Accepted {
        return None;
    }
    let Some(UserInformation::Ciphered(initiate)) = aare.user_information else {
        panic!("glo-initiate-response")
    };
    Some(
        CipheredApdu::decode(initiate)
            .expect("ciphered")
            .frame_counter(),
    )
}

/// Takes one push from `listener`: its frame counter.
async fn push_counter(listener: &TcpListener) -> u32 {
    let (mut stream, _) = timeout(WAIT, listener.accept())
        .await
        .expect("a push in time")
        .expect("accept");
    let mut bytes = Vec::new();
    timeout(WAIT, stream.read_to_end(&mut bytes))
        .await
        .expect("the push in time")
        .expect("read");
    let (pdu, _) = wrapper::decode(&bytes).expect("wrapper").expect("whole");
    CipheredApdu::decode(pdu.apdu)
        .expect("ciphered")
        .frame_counter()
}

#[tokio::test]
async fn connections_and_pushes_never_cipher_with_the_same_frame_counter() {
    let pushes = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = start(DlmsConfig {
        push: Some(pushes.local_addr().expect("addr")),
        push_interval: Duration::from_millis(20),
        ..config(Some(SecurityPolicy::AuthenticatedEncrypted))
    })
    .await;
    let mut counters = vec![push_counter(&pushes).await];
    for (sap, counter) in [(0x10, 1), (0x11, 1)] {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        let answer = exchange(&mut stream, sap, ciphered_aarq(counter))
            .await
            .expect("AARE");
        counters.push(accepted_counter(&answer).expect("accepted"));
        counters.push(push_counter(&pushes).await);
    }
    // In the order they were made, each above the one before: no key and IV used twice.
    assert!(
        counters.windows(2).all(|w| w[0] < w[1]),
        "frame counters {counters:?}"
    );
}

#[tokio::test]
async fn a_recorded_association_replayed_on_a_new_connection_is_refused() {
    let addr = start(config(Some(SecurityPolicy::AuthenticatedEncrypted))).await;
    let mut first = TcpStream::connect(addr).await.expect("connect");
    let answer = exchange(&mut first, 0x10, ciphered_aarq(5))
        .await
        .expect("AARE");
    assert!(accepted_counter(&answer).is_some());
    drop(first);

    let mut second = TcpStream::connect(addr).await.expect("connect");
    let answer = exchange(&mut second, 0x10, ciphered_aarq(5))
        .await
        .expect("AARE");
    let refused = aare(&answer);
    assert_eq!(refused.result, AssociationResult::RejectedPermanent);
    assert_eq!(
        refused.result_source_diagnostic,
        SourceDiagnostic::User(AcseServiceUser::AUTHENTICATION_FAILURE)
    );
    let answer = exchange(&mut second, 0x10, ciphered_aarq(6))
        .await
        .expect("AARE");
    assert!(accepted_counter(&answer).is_some());
}

#[tokio::test]
async fn history_fills_the_profile_before_the_first_period() {
    let addr = start(DlmsConfig {
        history: 5,
        ..config(None)
    })
    .await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    exchange(&mut stream, 0x10, plain_aarq())
        .await
        .expect("AARE");
    let request = OwnedGetRequest::Normal {
        invoke: invoke(),
        attribute: AttributeDescriptor::new(7, PROFILE, 7),
        selection: None,
    };
    let answer = exchange(&mut stream, 0x10, request.to_vec())
        .await
        .expect("answer");
    let Ok(GetResponse::Normal {
        result: GetDataResult::Data(entries),
        ..
    }) = GetResponse::decode(&answer)
    else {
        panic!("entries_in_use")
    };
    assert_eq!(entries.to_owned(), Data::DoubleLongUnsigned(5));
}

/// A client of the simulator over HDLC over TCP, driving the codec's link.
pub(super) struct Hdlc {
    stream: TcpStream,
    pub(super) link: link::Client,
}

impl Hdlc {
    async fn connect(addr: SocketAddr) -> Hdlc {
        Self::connect_with(addr, link::Config::default().response_timeout).await
    }

    /// A client that polls again after `response_timeout` without a response.
    pub(super) async fn connect_with(addr: SocketAddr, response_timeout: Duration) -> Hdlc {
        let config = link::Config {
            client: Address::client(16).expect("client address"),
            server: Address::server(1, Some(17)).expect("server address"),
            response_timeout,
            ..link::Config::default()
        };
        Hdlc {
            stream: TcpStream::connect(addr).await.expect("connect"),
            link: link::Client::new(config),
        }
    }

    /// Runs the link until an event `wanted` takes.
    pub(super) async fn until<T>(&mut self, mut wanted: impl FnMut(Event) -> Option<T>) -> T {
        let mut buf = vec![0u8; 4096];
        timeout(WAIT, async {
            loop {
                while let Some(frame) = self.link.poll_transmit(Instant::now()) {
                    self.stream.write_all(&frame).await.expect("send");
                }
                while let Some(event) = self.link.poll_event() {
                    if let Some(found) = wanted(event) {
                        return found;
                    }
                }
                let deadline = self
                    .link
                    .poll_timeout()
                    .unwrap_or_else(|| Instant::now() + WAIT);
                tokio::select! {
                    read = self.stream.read(&mut buf) => {
                        let n = read.expect("receive");
                        assert!(n > 0, "the simulator closed the connection");
                        self.link.handle_input(Instant::now(), &buf[..n]);
                    }
                    () = tokio::time::sleep_until(deadline.into()) => {
                        self.link.handle_timeout(Instant::now());
                    }
                }
            }
        })
        .await
        .expect("the link answers in time")
    }

    /// SNRM, UA.
    pub(super) async fn open(&mut self) {
        self.link.connect();
        self.until(|e| matches!(e, Event::Connected(_)).then_some(()))
            .await;
    }

    /// DISC, UA.
    async fn close(&mut self) {
        self.link.disconnect();
        self.until(|e| matches!(e, Event::Disconnected(_)).then_some(()))
            .await;
    }

    pub(super) async fn request(&mut self, apdu: &[u8]) -> Vec<u8> {
        self.link.send(apdu).expect("link up");
        self.until(|e| match e {
            Event::Data(answer) => Some(answer),
            _ => None,
        })
        .await
    }

    /// Whether a GET of the import register is answered with data (not refused).
    pub(super) async fn reads(&mut self) -> bool {
        let answer = self.request(&get_import()).await;
        match GetResponse::decode(&answer).expect("get-response") {
            GetResponse::Normal {
                result: GetDataResult::Data(_),
                ..
            } => true,
            GetResponse::Normal {
                result: GetDataResult::DataAccessResult(r),
                ..
            } => {
                assert_eq!(r, DataAccessResult::READ_WRITE_DENIED);
                false
            }
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn an_hdlc_disc_or_a_new_snrm_ends_the_association() {
    let addr = start(DlmsConfig {
        hdlc: true,
        ..config(None)
    })
    .await;
    let mut client = Hdlc::connect(addr).await;
    client.open().await;
    assert!(!client.reads().await, "nothing read before the AARQ");
    let answer = client.request(&plain_aarq()).await;
    assert_eq!(aare(&answer).result, AssociationResult::Accepted);
    assert!(client.reads().await);

    // DISC, then a new link: the association is gone.
    client.close().await;
    client.open().await;
    assert!(!client.reads().await, "the association outlived DISC");

    // A new association, then SNRM again without DISC: gone too.
    client.request(&plain_aarq()).await;
    assert!(client.reads().await);
    client.open().await;
    assert!(!client.reads().await, "the association outlived SNRM");
}
