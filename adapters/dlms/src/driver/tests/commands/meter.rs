//! A scripted meter over the wrapper that takes GET, SET and ACTION (by logical names, no
//! security): its attributes in a map, a SET stored (or refused, or ignored), a disconnect
//! control whose methods move its state. One connection at a time; what it heard is reported
//! in order ([`Heard`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fieldbridge_dlms::apdu::action::{ActionRequest, OwnedActionOutcome, OwnedActionResponse};
use fieldbridge_dlms::apdu::association::{
    ApplicationContextName, AssociationResult, OwnedAare, SourceDiagnostic, UserInformation,
};
use fieldbridge_dlms::apdu::conformance::Conformance;
use fieldbridge_dlms::apdu::get::{
    ActionResult, DataAccessResult, GetRequest, OwnedGetDataResult, OwnedGetResponse,
};
use fieldbridge_dlms::apdu::initiate::{InitiateResponse, VaaName};
use fieldbridge_dlms::apdu::release::{OwnedReleaseResponse, ReleaseResponseReason};
use fieldbridge_dlms::apdu::set::{OwnedSetResponse, SetRequest};
use fieldbridge_dlms::apdu::Apdu;
use fieldbridge_dlms::axdr::Data;
use fieldbridge_dlms::wrapper::{OwnedWrapperPdu, StreamSplitter};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use super::SERIAL;

/// 1-0:32.7.0*255, a voltage register: long-unsigned 2301, scaler -1, V.
pub(super) const VOLTAGE: [u8; 6] = [1, 0, 32, 7, 0, 255];
/// 1-0:2.8.0*255, an energy register: double-long-unsigned 4321, scaler 0, Wh.
pub(super) const EXPORT: [u8; 6] = [1, 0, 2, 8, 0, 255];
/// 0-0:96.1.1*255, a data object: octet-string "FBGX0001".
pub(super) const NAME: [u8; 6] = [0, 0, 96, 1, 1, 255];
/// 0-0:96.3.10*255, the disconnect control: connected, control_mode 1.
pub(super) const DISCONNECT: [u8; 6] = [0, 0, 96, 3, 10, 255];

/// What the meter heard, in order.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Heard {
    Connected,
    Aarq,
    /// GET of (OBIS, attribute).
    Get([u8; 6], i8),
    /// SET of (OBIS, attribute) with the value.
    Set([u8; 6], i8, Data),
    /// ACTION of (OBIS, method) with the parameters.
    Action([u8; 6], i8, Option<Data>),
    Rlrq,
    /// The bridge closed the connection.
    Eof,
}

/// The meter's objects and how it behaves.
pub(super) struct State {
    values: HashMap<([u8; 6], i8), Data>,
    /// Answer every SET with this result, storing nothing.
    pub(super) set_result: Option<DataAccessResult>,
    /// Answer SETs with success, storing nothing.
    pub(super) ignore_sets: bool,
    /// The action-result of every ACTION (its effect only on success).
    pub(super) action_result: ActionResult,
    /// Never answer a SET or ACTION.
    pub(super) hold_commands: bool,
    /// Wait this long before each GET answer.
    pub(super) get_pause: Duration,
    /// The disconnect control's control_mode.
    pub(super) control_mode: u8,
}

impl Default for State {
    fn default() -> Self {
        let mut values = HashMap::new();
        let scaler = |s, unit| Data::Structure(vec![Data::Integer(s), Data::Enum(unit)]);
        values.insert((VOLTAGE, 2), Data::LongUnsigned(2301));
        values.insert((VOLTAGE, 3), scaler(-1, 35));
        values.insert((EXPORT, 2), Data::DoubleLongUnsigned(4321));
        values.insert((EXPORT, 3), scaler(0, 30));
        values.insert((NAME, 2), Data::OctetString(b"FBGX0001".to_vec()));
        values.insert((SERIAL, 2), Data::OctetString(b"GRX0001".to_vec()));
        values.insert((DISCONNECT, 2), Data::Boolean(true));
        values.insert((DISCONNECT, 3), Data::Enum(1));
        State {
            values,
            set_result: None,
            ignore_sets: false,
            action_result: ActionResult::SUCCESS,
            hold_commands: false,
            get_pause: Duration::ZERO,
            control_mode: 1,
        }
    }
}

impl State {
    /// remote_disconnect: disconnected; remote_reconnect: ready_for_reconnection (transition
    /// d), whatever control_mode says, so that a test can see a mode 2 meter misbehave.
    fn act(&mut self, method: i8) {
        let (output, state) = if method == 1 { (false, 0) } else { (false, 2) };
        self.values.insert((DISCONNECT, 2), Data::Boolean(output));
        self.values.insert((DISCONNECT, 3), Data::Enum(state));
    }
}

/// A running meter.
pub(super) struct CommandMeter {
    pub(super) address: String,
    state: Arc<Mutex<State>>,
    heard: mpsc::UnboundedReceiver<Heard>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for CommandMeter {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl CommandMeter {
    pub(super) async fn start() -> CommandMeter {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address").to_string();
        let state = Arc::new(Mutex::new(State::default()));
        let (tx, heard) = mpsc::unbounded_channel();
        let task = tokio::spawn(serve(listener, state.clone(), tx));
        CommandMeter {
            address,
            state,
            heard,
            task,
        }
    }

    pub(super) fn edit(&self, change: impl FnOnce(&mut State)) {
        change(&mut self.state.lock().expect("state"));
    }

    /// What the meter heard until `last` (included), within 20 s.
    pub(super) async fn heard_until(&mut self, last: &Heard) -> Vec<Heard> {
        let mut out = Vec::new();
        loop {
            let next = tokio::time::timeout(Duration::from_secs(20), self.heard.recv())
                .await
                .unwrap_or_else(|_| panic!("the meter did not hear {last:?}; it heard {out:?}"))
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
    state: Arc<Mutex<State>>,
    heard: mpsc::UnboundedSender<Heard>,
) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let _ = heard.send(Heard::Connected);
        serve_one(stream, &state, &heard).await;
        let _ = heard.send(Heard::Eof);
    }
}

async fn serve_one(
    mut stream: TcpStream,
    state: &Mutex<State>,
    heard: &mpsc::UnboundedSender<Heard>,
) {
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
            let Some((answer, pause)) = respond(pdu.apdu, state, heard) else {
                continue;
            };
            tokio::time::sleep(pause).await;
            let mut bytes = Vec::new();
            let _ = OwnedWrapperPdu::new(us, them, answer).encode(&mut bytes);
            if stream.write_all(&bytes).await.is_err() {
                return;
            }
        }
    }
}

/// The answer to one APDU and the pause before it; `None` to say nothing.
fn respond(
    apdu: &[u8],
    state: &Mutex<State>,
    heard: &mpsc::UnboundedSender<Heard>,
) -> Option<(Vec<u8>, Duration)> {
    let mut s = state.lock().expect("state");
    match Apdu::decode(apdu).ok()? {
        Apdu::Aarq(_) => {
            let _ = heard.send(Heard::Aarq);
            Some((aare(), Duration::ZERO))
        }
        Apdu::GetRequest(GetRequest::Normal {
            invoke, attribute, ..
        }) => {
            let key = (attribute.instance_id, attribute.attribute_id);
            let _ = heard.send(Heard::Get(key.0, key.1));
            let result = match (key, s.values.get(&key)) {
                ((DISCONNECT, 4), _) => OwnedGetDataResult::Data(Data::Enum(s.control_mode)),
                (_, Some(value)) => OwnedGetDataResult::Data(value.clone()),
                (_, None) => {
                    OwnedGetDataResult::DataAccessResult(DataAccessResult::OBJECT_UNDEFINED)
                }
            };
            Some((
                OwnedGetResponse::Normal { invoke, result }.to_vec(),
                s.get_pause,
            ))
        }
        Apdu::SetRequest(SetRequest::Normal {
            invoke,
            attribute,
            value,
            ..
        }) => {
            let key = (attribute.instance_id, attribute.attribute_id);
            let value = value.to_owned();
            let _ = heard.send(Heard::Set(key.0, key.1, value.clone()));
            if s.hold_commands {
                return None;
            }
            let result = match s.set_result {
                Some(result) => result,
                None => {
                    if !s.ignore_sets {
                        s.values.insert(key, value);
                    }
                    DataAccessResult::SUCCESS
                }
            };
            Some((
                OwnedSetResponse::Normal { invoke, result }.to_vec(),
                Duration::ZERO,
            ))
        }
        Apdu::ActionRequest(ActionRequest::Normal {
            invoke,
            method,
            parameters,
        }) => {
            let _ = heard.send(Heard::Action(
                method.instance_id,
                method.method_id,
                parameters.map(|p| p.to_owned()),
            ));
            if s.hold_commands {
                return None;
            }
            let result = s.action_result;
            if result == ActionResult::SUCCESS && method.instance_id == DISCONNECT {
                s.act(method.method_id);
            }
            let response = OwnedActionResponse::Normal {
                invoke,
                response: OwnedActionOutcome {
                    result,
                    return_parameters: None,
                },
            };
            Some((response.to_vec(), Duration::ZERO))
        }
        Apdu::ReleaseRequest(_) => {
            let _ = heard.send(Heard::Rlrq);
            let mut out = Vec::new();
            OwnedReleaseResponse {
                reason: Some(ReleaseResponseReason::NORMAL),
                user_information: None,
            }
            .encode(&mut out);
            Some((out, Duration::ZERO))
        }
        _ => None,
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
        negotiated_conformance: Conformance::GET | Conformance::SET | Conformance::ACTION,
        server_max_receive_pdu_size: 1024,
        vaa_name: VaaName::LN,
    }));
    let mut out = Vec::new();
    aare.encode(&mut out);
    out
}
