//! `fieldbridge simulate dlms` read over the TCP wrapper by a client built from the codec:
//! the association (none, low, high-gmac with the keys file), registers with their scalers, the
//! clock, and the load profile growing every period, read whole and by entry; authenticated
//! encryption with the keys file, and a client with a wrong key refused. Then the same by a
//! client nobody here wrote: Gurux (gurux-dlms in .venv, `tests/peers/dlms/sim_client.py`) reads
//! the registers, clock and profile with and without ciphering, over the wrapper and over HDLC,
//! goes on in a new session above its last frame counter (a replayed one is refused), and is
//! refused with a wrong key.
//!
//! Each simulator listens on port 0 and says where on stdout; its profile starts with history,
//! so nothing waits for the clock.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use fieldbridge_dlms::apdu::action::{ActionResponse, OwnedActionRequest};
use fieldbridge_dlms::apdu::association::{
    AcseRequirements, AcseServiceUser, ApplicationContextName, AssociationResult,
    AuthenticationValue, MechanismName, OwnedAarq, SourceDiagnostic, UserInformation,
};
use fieldbridge_dlms::apdu::conformance::Conformance;
use fieldbridge_dlms::apdu::get::{
    ActionResult, AttributeDescriptor, DataAccessResult, GetDataResult, GetResponse,
    InvokeIdAndPriority, MethodDescriptor, OwnedGetRequest, Progress, Reassembler,
};
use fieldbridge_dlms::apdu::initiate::InitiateRequest;
use fieldbridge_dlms::apdu::release::OwnedReleaseRequest;
use fieldbridge_dlms::apdu::selective::{EntryDescriptor, OwnedSelectiveAccess};
use fieldbridge_dlms::apdu::Apdu;
use fieldbridge_dlms::axdr::{Data, DataRef, DateTime};
use fieldbridge_dlms::security::{
    encrypt, hls_gmac, verify_hls_gmac, CipheredApdu, Envelope, KeyKind, Keys, SecurityControl,
    SecurityPolicy,
};
use fieldbridge_dlms::wrapper::{self, OwnedWrapperPdu};
use fieldbridge_tests::{python, repo_root, DlmsSimulator};

const IMPORT: [u8; 6] = [1, 0, 1, 8, 0, 255];
const VOLTAGE: [u8; 6] = [1, 0, 32, 7, 0, 255];
const CLOCK: [u8; 6] = [0, 0, 1, 0, 0, 255];
const PROFILE: [u8; 6] = [1, 0, 99, 1, 0, 255];
const ASSOCIATION: [u8; 6] = [0, 0, 40, 0, 0, 255];

/// Starts `fieldbridge simulate dlms` on 127.0.0.1 port 0.
fn simulator(args: &[&str]) -> DlmsSimulator {
    DlmsSimulator::start(Path::new(env!("CARGO_BIN_EXE_fieldbridge")), args)
}

fn invoke() -> InvokeIdAndPriority {
    InvokeIdAndPriority::new(1, true, true)
}

/// A DLMS client over the wrapper (client wPort 0x10, server wPort 1).
struct Client {
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl Client {
    fn connect(port: u16) -> Client {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        Client {
            stream,
            buffer: Vec::new(),
        }
    }

    fn exchange(&mut self, apdu: Vec<u8>) -> Vec<u8> {
        let mut out = Vec::new();
        OwnedWrapperPdu::new(0x10, 1, apdu)
            .encode(&mut out)
            .expect("wrapper");
        self.stream.write_all(&out).expect("send");
        loop {
            if let Some((pdu, used)) = wrapper::decode(&self.buffer).expect("wrapper pdu") {
                assert_eq!((pdu.source, pdu.destination), (1, 0x10));
                let apdu = pdu.apdu.to_vec();
                self.buffer.drain(..used);
                return apdu;
            }
            let mut chunk = [0u8; 2048];
            let n = self.stream.read(&mut chunk).expect("receive");
            assert!(n > 0, "the simulator closed the connection");
            self.buffer.extend_from_slice(&chunk[..n]);
        }
    }

    /// AARQ → (result, diagnostic, StoC).
    fn associate(
        &mut self,
        mechanism: Option<MechanismName>,
        value: Option<&[u8]>,
        title: Option<[u8; 8]>,
    ) -> (AssociationResult, SourceDiagnostic, Option<Vec<u8>>) {
        let mut aarq = OwnedAarq::new(ApplicationContextName::LogicalName);
        if let Some(m) = mechanism {
            aarq.sender_acse_requirements = Some(AcseRequirements::AUTHENTICATION);
            aarq.mechanism_name = Some(m);
        }
        aarq.calling_authentication_value =
            value.map(|v| AuthenticationValue::CharString(v.to_vec()));
        aarq.calling_ap_title = title.map(|t| t.to_vec());
        aarq.user_information = Some(UserInformation::InitiateRequest(InitiateRequest::new(
            Conformance::LN,
            256,
        )));
        let mut out = Vec::new();
        aarq.encode(&mut out);
        let answer = self.exchange(out);
        let Ok(Apdu::Aare(aare)) = Apdu::decode(&answer) else {
            panic!("not an AARE: {answer:02X?}");
        };
        (
            aare.result,
            aare.result_source_diagnostic,
            aare.responding_authentication_value
                .map(|v| v.as_bytes().to_vec()),
        )
    }

    fn get(
        &mut self,
        class_id: u16,
        ln: [u8; 6],
        attribute: i8,
        selection: Option<(u8, Data)>,
    ) -> Result<Data, DataAccessResult> {
        let request = OwnedGetRequest::Normal {
            invoke: invoke(),
            attribute: AttributeDescriptor::new(class_id, ln, attribute),
            selection: selection.map(|(selector, parameters)| OwnedSelectiveAccess {
                selector,
                parameters,
            }),
        };
        let mut answer = self.exchange(request.to_vec());
        let mut blocks = Reassembler::new(1 << 20);
        loop {
            let response = GetResponse::decode(&answer).expect("get-response");
            match &response {
                GetResponse::Normal {
                    result: GetDataResult::Data(d),
                    ..
                } => return Ok(d.to_owned()),
                GetResponse::Normal {
                    result: GetDataResult::DataAccessResult(r),
                    ..
                } => return Err(*r),
                _ => {}
            }
            match blocks.push(&response).expect("block") {
                Progress::Next(n) => {
                    answer = self.exchange(
                        OwnedGetRequest::Next {
                            invoke: invoke(),
                            block_number: n,
                        }
                        .to_vec(),
                    );
                }
                Progress::Complete => {
                    let raw = blocks.into_data();
                    return Ok(DataRef::decode_all(&raw).expect("data").to_owned());
                }
                Progress::Failed(r) => return Err(r),
            }
        }
    }

    fn release(&mut self) {
        let mut out = Vec::new();
        OwnedReleaseRequest {
            reason: None,
            user_information: None,
        }
        .encode(&mut out);
        let answer = self.exchange(out);
        assert!(matches!(
            Apdu::decode(&answer),
            Ok(Apdu::ReleaseResponse(_))
        ));
    }
}

fn entries(client: &mut Client) -> u32 {
    match client.get(7, PROFILE, 7, None) {
        Ok(Data::DoubleLongUnsigned(n)) => n,
        other => panic!("entries_in_use: {other:?}"),
    }
}

#[test]
fn a_codec_client_reads_registers_clock_and_a_growing_profile() {
    let sim = simulator(&["--period", "1s"]);
    let mut client = Client::connect(sim.port);
    let (result, _, _) = client.associate(None, None, None);
    assert_eq!(result, AssociationResult::Accepted);

    let Ok(Data::DoubleLongUnsigned(energy)) = client.get(3, IMPORT, 2, None) else {
        panic!("energy")
    };
    assert!(energy >= 1_000_000, "{energy}");
    assert_eq!(
        client.get(3, VOLTAGE, 3, None),
        Ok(Data::Structure(vec![Data::Integer(-1), Data::Enum(35)]))
    );
    let Ok(Data::OctetString(time)) = client.get(8, CLOCK, 2, None) else {
        panic!("clock")
    };
    let time: [u8; 12] = time.try_into().expect("12 octets");
    let meter = DateTime::from_bytes(time).to_utc().expect("valid").seconds;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("now")
        .as_secs() as i64;
    assert!((meter - now).abs() <= 2, "meter {meter}, now {now}");
    assert_eq!(
        client.get(3, [1, 0, 99, 98, 0, 255], 2, None),
        Err(DataAccessResult::OBJECT_UNDEFINED)
    );

    // One entry a second: wait for three, then read them whole (in blocks of at most 256
    // octets once they are many) and the last two by entry.
    let deadline = Instant::now() + Duration::from_secs(15);
    while entries(&mut client) < 3 {
        assert!(Instant::now() < deadline, "the profile does not grow");
        std::thread::sleep(Duration::from_millis(200));
    }
    let Ok(Data::Array(rows)) = client.get(7, PROFILE, 2, None) else {
        panic!("buffer")
    };
    assert!(rows.len() >= 3);
    let Data::Structure(first) = &rows[0] else {
        panic!("row")
    };
    assert_eq!(first.len(), 3, "clock, import, export");
    let selector = EntryDescriptor {
        from_entry: 2,
        to_entry: 3,
        from_selected_value: 1,
        to_selected_value: 0,
    };
    let Ok(Data::Array(selected)) = client.get(7, PROFILE, 2, Some((2, selector.to_data()))) else {
        panic!("by entry")
    };
    assert_eq!(selected, rows[1..3]);
    client.release();
}

#[test]
fn a_wrong_password_is_refused_and_the_right_one_accepted() {
    let sim = simulator(&["--authentication", "low", "--password", "secret"]);
    let mut client = Client::connect(sim.port);
    let (result, diagnostic, _) = client.associate(Some(MechanismName::Low), Some(b"wrong"), None);
    assert_eq!(result, AssociationResult::RejectedPermanent);
    assert_eq!(
        diagnostic,
        SourceDiagnostic::User(AcseServiceUser::AUTHENTICATION_FAILURE)
    );
    assert_eq!(
        client.get(3, IMPORT, 2, None),
        Err(DataAccessResult::READ_WRITE_DENIED)
    );
    let (result, _, _) = client.associate(Some(MechanismName::Low), Some(b"secret"), None);
    assert_eq!(result, AssociationResult::Accepted);
    assert!(client.get(3, IMPORT, 2, None).is_ok());
}

#[test]
fn high_gmac_with_the_keys_file_is_accepted_and_a_wrong_key_refused() {
    let (path, keys, server_title) = keys_file();
    let (ek, ak) = (
        keys.global_unicast.expect("ek"),
        keys.authentication.expect("ak"),
    );
    let client_title = *b"MMM\x00\x00\x00\x00\x01";
    let sim = simulator(&[
        "--authentication",
        "high-gmac",
        "--keys",
        path.to_str().expect("path"),
    ]);
    let port = sim.port;
    let ctos = b"0123456789ABCDEF";
    let action = |client: &mut Client, reply: Vec<u8>| {
        let request = OwnedActionRequest::Normal {
            invoke: invoke(),
            method: MethodDescriptor::new(15, ASSOCIATION, 1),
            parameters: Some(Data::OctetString(reply)),
        };
        let answer = client.exchange(request.to_vec());
        let Ok(ActionResponse::Normal { response, .. }) = ActionResponse::decode(&answer) else {
            panic!("action-response")
        };
        let data = match response.return_parameters {
            Some(GetDataResult::Data(d)) => Some(d.to_owned()),
            _ => None,
        };
        (response.result, data)
    };

    // The right keys: f(StoC) accepted, f(CtoS) verifies with the server's title.
    let mut client = Client::connect(port);
    let (result, _, stoc) = client.associate(
        Some(MechanismName::HighGmac),
        Some(ctos),
        Some(client_title),
    );
    assert_eq!(result, AssociationResult::Accepted);
    let stoc = stoc.expect("StoC");
    let f_stoc = hls_gmac(&ek, &ak, &client_title, 1, &stoc).expect("f(StoC)");
    let (result, reply) = action(&mut client, f_stoc.to_vec());
    assert_eq!(result, ActionResult::SUCCESS);
    let Some(Data::OctetString(f_ctos)) = reply else {
        panic!("f(CtoS)")
    };
    verify_hls_gmac(&ek, &ak, &server_title, ctos, &f_ctos).expect("server's f(CtoS)");
    assert!(client.get(3, IMPORT, 2, None).is_ok());

    // A wrong key: refused, nothing read.
    let mut client = Client::connect(port);
    let (_, _, stoc) = client.associate(
        Some(MechanismName::HighGmac),
        Some(ctos),
        Some(client_title),
    );
    let f_stoc = hls_gmac(&[0x55; 16], &ak, &client_title, 1, &stoc.expect("StoC")).expect("f");
    assert_eq!(
        action(&mut client, f_stoc.to_vec()).0,
        ActionResult::READ_WRITE_DENIED
    );
    assert_eq!(
        client.get(3, IMPORT, 2, None),
        Err(DataAccessResult::READ_WRITE_DENIED)
    );
}

/// The keys file's keys and the meter's system title.
fn keys_file() -> (std::path::PathBuf, Keys, [u8; 8]) {
    let path = repo_root().join("captures/dlms/keys.json");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("keys.json")).expect("json");
    let hex = |name: &str| hex::decode(json[name].as_str().expect(name)).expect("hex");
    let key = |name: &str| -> [u8; 16] { hex(name).try_into().expect("16 octets") };
    let title: [u8; 8] = hex("server_system_title").try_into().expect("8 octets");
    (
        path,
        Keys::new(key("block_cipher_key"), key("authentication_key")),
        title,
    )
}

/// A ciphered exchange: the request glo-ciphered, the answer deciphered (None: the simulator
/// closed the connection).
fn ciphered_exchange(
    stream: &mut TcpStream,
    keys: &Keys,
    counter: u32,
    server_title: &[u8; 8],
    plain: &[u8],
) -> Option<Vec<u8>> {
    let policy = SecurityPolicy::AuthenticatedEncrypted;
    let mut apdu = Vec::new();
    encrypt(
        Envelope::ServiceSpecific(KeyKind::Global),
        SecurityControl::new(policy),
        counter,
        b"MMM\x00\x00\x00\x00\x01",
        keys,
        plain,
        &mut apdu,
    )
    .expect("encrypt");
    let mut out = Vec::new();
    OwnedWrapperPdu::new(0x10, 1, apdu)
        .encode(&mut out)
        .expect("wrapper");
    stream.write_all(&out).ok()?;
    let mut buffer = Vec::new();
    loop {
        if let Some((pdu, _)) = wrapper::decode(&buffer).expect("wrapper pdu") {
            let mut plain = Vec::new();
            let inner = CipheredApdu::decode(pdu.apdu)
                .expect("ciphered answer")
                .decrypt_with_policy(keys, policy, Some(server_title), &mut plain)
                .expect("the answer's tag verifies");
            return Some(inner.to_vec());
        }
        let mut chunk = [0u8; 2048];
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
}

/// The outcome of an AARQ whose initiate request is ciphered under `keys` and `counter`.
fn ciphered_association(
    client: &mut Client,
    keys: &Keys,
    counter: u32,
) -> (AssociationResult, SourceDiagnostic) {
    let mut plain = Vec::new();
    InitiateRequest::new(Conformance::LN, 256).encode(&mut plain);
    let mut initiate = Vec::new();
    encrypt(
        Envelope::ServiceSpecific(KeyKind::Global),
        SecurityControl::new(SecurityPolicy::AuthenticatedEncrypted),
        counter,
        b"MMM\x00\x00\x00\x00\x01",
        keys,
        &plain,
        &mut initiate,
    )
    .expect("encrypt");
    let mut aarq = OwnedAarq::new(ApplicationContextName::LogicalNameCiphered);
    aarq.calling_ap_title = Some(b"MMM\x00\x00\x00\x00\x01".to_vec());
    aarq.user_information = Some(UserInformation::Ciphered(initiate));
    let mut out = Vec::new();
    aarq.encode(&mut out);
    let answer = client.exchange(out);
    let Ok(Apdu::Aare(aare)) = Apdu::decode(&answer) else {
        panic!("AARE")
    };
    (aare.result, aare.result_source_diagnostic)
}

#[test]
fn authenticated_encryption_reads_a_register_and_a_wrong_key_or_an_old_counter_is_refused() {
    let (path, keys, server_title) = keys_file();
    let sim = simulator(&[
        "--security",
        "authenticated-encrypted",
        "--keys",
        path.to_str().expect("path"),
    ]);
    let get = OwnedGetRequest::Normal {
        invoke: invoke(),
        attribute: AttributeDescriptor::new(3, VOLTAGE, 3),
        selection: None,
    }
    .to_vec();
    let accepted = (AssociationResult::Accepted, SourceDiagnostic::NULL);
    let refused = (
        AssociationResult::RejectedPermanent,
        SourceDiagnostic::User(AcseServiceUser::AUTHENTICATION_FAILURE),
    );

    let mut client = Client::connect(sim.port);
    assert_eq!(ciphered_association(&mut client, &keys, 1), accepted);
    let answer =
        ciphered_exchange(&mut client.stream, &keys, 2, &server_title, &get).expect("answer");
    assert!(matches!(
        GetResponse::decode(&answer),
        Ok(GetResponse::Normal {
            result: GetDataResult::Data(_),
            ..
        })
    ));

    // A new association goes on above the last counter accepted (2), as with a real meter;
    // then a request under a wrong key: no answer, the connection closed.
    let mut client = Client::connect(sim.port);
    assert_eq!(ciphered_association(&mut client, &keys, 3), accepted);
    let wrong = Keys::new([0x55; 16], keys.authentication.expect("ak"));
    assert_eq!(
        ciphered_exchange(&mut client.stream, &wrong, 4, &server_title, &get),
        None
    );

    // An AARQ under a wrong key, and one under the right key with a counter already used
    // (a recorded session replayed): refused. The wrong key's 4 was never accepted.
    let mut client = Client::connect(sim.port);
    assert_eq!(ciphered_association(&mut client, &wrong, 5), refused);
    assert_eq!(ciphered_association(&mut client, &keys, 1), refused);
    assert_eq!(ciphered_association(&mut client, &keys, 4), accepted);
    let log = sim.log();
    assert!(log.contains("GCM tag does not verify"), "{log}");
    assert!(log.contains("replayed frame counter 1"), "{log}");
}

/// Runs `tests/peers/dlms/sim_client.py` (Gurux) against the simulator: its JSON and whether it
/// succeeded.
fn gurux(port: u16, args: &[&str]) -> (serde_json::Value, bool) {
    let out = Command::new(python())
        .arg(repo_root().join("tests/peers/dlms/sim_client.py"))
        .args(["--port", &port.to_string()])
        .args(args)
        .output()
        .expect("run the Gurux client (scripts/install-peers installs gurux-dlms into .venv)");
    let text = String::from_utf8_lossy(&out.stdout);
    let report =
        serde_json::from_str(text.lines().last().unwrap_or_default()).unwrap_or_else(|e| {
            panic!(
                "{e}: {text} {} (is gurux-dlms installed? scripts/install-peers)",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    (report, out.status.success())
}

fn check_gurux_report(report: &serde_json::Value) {
    assert_eq!(
        report["energy_scaler_unit"],
        serde_json::json!([1.0, 30]),
        "{report}"
    );
    assert_eq!(
        report["voltage_scaler_unit"],
        serde_json::json!([0.1, 35]),
        "{report}"
    );
    assert_eq!(report["serial"], "FB0000000001", "{report}");
    assert!(
        report["energy"].as_u64().expect("energy") >= 1_000_000,
        "{report}"
    );
    assert!(report["clock"].as_str().is_some(), "{report}");
    let rows = report["rows"].as_array().expect("rows");
    assert!(rows.len() >= 2, "{report}");
    assert!(
        report["entries"].as_u64().expect("entries") >= 2,
        "{report}"
    );
    assert_eq!(report["range"], serde_json::json!(rows[..2]), "{report}");
}

/// Gurux in clear, over the wrapper or HDLC.
fn gurux_in_clear(hdlc: bool) {
    let transport: &[&str] = if hdlc { &["--hdlc"] } else { &[] };
    let sim = simulator(&[&["--period", "1s", "--history", "2"], transport].concat());
    let (report, ok) = gurux(sim.port, transport);
    assert!(ok, "{report} {}", sim.log());
    check_gurux_report(&report);
}

/// HLS-GMAC and authenticated encryption, for the simulator and for Gurux.
const SECURE: [&str; 4] = [
    "--authentication",
    "high-gmac",
    "--security",
    "authenticated-encrypted",
];

/// A simulator with HLS-GMAC, authenticated encryption and the keys file's keys.
fn secure_simulator(transport: &[&str]) -> DlmsSimulator {
    let (path, _, _) = keys_file();
    let keys = ["--period", "1s", "--history", "2", "--keys"];
    simulator(
        &[
            &SECURE[..],
            &keys,
            &[path.to_str().expect("path")],
            transport,
        ]
        .concat(),
    )
}

fn gurux_error(report: &serde_json::Value) -> &str {
    report["error"].as_str().expect("an error")
}

/// Gurux with HLS-GMAC and authenticated encryption reads; a second session of the same
/// client that starts its frame counter again is refused as a replay; one that goes on above
/// the last counter reads.
fn gurux_ciphered(hdlc: bool) {
    let transport: &[&str] = if hdlc { &["--hdlc"] } else { &[] };
    let sim = secure_simulator(transport);
    let (report, ok) = gurux(sim.port, &[&SECURE[..], transport].concat());
    assert!(ok, "{report} {}", sim.log());
    check_gurux_report(&report);
    let next = report["invocation_counter"]
        .as_u64()
        .expect("invocation_counter");
    assert!(next > 16, "{report}");

    let (report, ok) = gurux(sim.port, &[&SECURE[..], transport].concat());
    assert!(!ok, "{report}");
    assert!(
        gurux_error(&report).contains("Authentication failure"),
        "{report}"
    );
    let log = sim.log();
    assert!(log.contains("replayed frame counter 16"), "{log}");

    let next = next.to_string();
    let counter = ["--invocation-counter", next.as_str()];
    let (report, ok) = gurux(sim.port, &[&SECURE[..], transport, &counter].concat());
    assert!(ok, "{report} {}", sim.log());
    check_gurux_report(&report);
}

/// Gurux with a wrong key (and a frame counter never used, so that only the key is wrong).
fn gurux_wrong_key(hdlc: bool) {
    let transport: &[&str] = if hdlc { &["--hdlc"] } else { &[] };
    let sim = secure_simulator(transport);
    let (report, ok) = gurux(
        sim.port,
        &[&SECURE[..], transport, &["--wrong-key"]].concat(),
    );
    assert!(!ok, "{report}");
    assert!(
        gurux_error(&report).contains("Authentication failure"),
        "{report}"
    );
    let log = sim.log();
    assert!(log.contains("GCM tag does not verify"), "{log}");
}

#[test]
fn a_gurux_client_reads_registers_clock_and_profile_in_clear_over_the_wrapper() {
    gurux_in_clear(false);
}

#[test]
fn a_gurux_client_reads_registers_clock_and_profile_in_clear_over_hdlc() {
    gurux_in_clear(true);
}

#[test]
fn a_gurux_client_reads_with_hls_gmac_and_authenticated_encryption_over_the_wrapper() {
    gurux_ciphered(false);
}

#[test]
fn a_gurux_client_reads_with_hls_gmac_and_authenticated_encryption_over_hdlc() {
    gurux_ciphered(true);
}

#[test]
fn a_gurux_client_with_a_wrong_key_is_refused_over_the_wrapper() {
    gurux_wrong_key(false);
}

#[test]
fn a_gurux_client_with_a_wrong_key_is_refused_over_hdlc() {
    gurux_wrong_key(true);
}

#[test]
fn a_gurux_client_with_a_wrong_key_fails_hls_gmac_pass_3_without_ciphering() {
    let (path, _, _) = keys_file();
    let sim = simulator(&[
        "--authentication",
        "high-gmac",
        "--history",
        "2",
        "--keys",
        path.to_str().expect("path"),
    ]);
    let (report, ok) = gurux(sim.port, &["--authentication", "high-gmac"]);
    assert!(ok, "{report} {}", sim.log());
    check_gurux_report(&report);
    let (report, ok) = gurux(sim.port, &["--authentication", "high-gmac", "--wrong-key"]);
    assert!(!ok, "{report}");
    // Gurux reports the meter's refusal of its f(StoC) as a reply it cannot verify.
    let log = sim.log();
    assert!(log.contains("f(StoC) does not verify"), "{report} {log}");
}

#[tokio::test]
async fn push_mode_sends_data_notifications_with_the_registers() {
    use tokio::io::AsyncReadExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let destination = listener.local_addr().expect("addr").to_string();
    let _sim = simulator(&["--push", &destination, "--push-interval-ms", "200"]);
    let wait = Duration::from_secs(10);
    let mut invoke_ids = Vec::new();
    for _ in 0..2 {
        let (mut stream, _) = tokio::time::timeout(wait, listener.accept())
            .await
            .expect("a push in time")
            .expect("accept");
        let mut bytes = Vec::new();
        tokio::time::timeout(wait, stream.read_to_end(&mut bytes))
            .await
            .expect("the whole push in time")
            .expect("read");
        let (pdu, used) = wrapper::decode(&bytes).expect("wrapper").expect("whole");
        assert_eq!(used, bytes.len());
        let Ok(Apdu::DataNotification(notification)) = Apdu::decode(pdu.apdu) else {
            panic!("DataNotification: {bytes:02X?}")
        };
        invoke_ids.push(notification.long_invoke.long_invoke_id());
        let Data::Structure(values) = notification.body.to_owned() else {
            panic!("structure")
        };
        assert_eq!(values[0], Data::OctetString(vec![0, 0, 25, 9, 0, 255]));
        assert_eq!(values[1], Data::OctetString(b"FB0000000001".to_vec()));
        assert!(matches!(values[3], Data::DoubleLongUnsigned(n) if n >= 1_000_000));
    }
    assert_eq!(invoke_ids, [1, 2]);
}

#[test]
fn a_gurux_client_with_the_password_reads_and_one_with_a_wrong_password_is_refused() {
    let sim = simulator(&[
        "--period",
        "1s",
        "--history",
        "2",
        "--authentication",
        "low",
        "--password",
        "12345678",
    ]);
    let (report, ok) = gurux(
        sim.port,
        &["--authentication", "low", "--password", "12345678"],
    );
    assert!(ok, "{report}");
    check_gurux_report(&report);
    let (report, ok) = gurux(
        sim.port,
        &["--authentication", "low", "--password", "wrong"],
    );
    assert!(!ok, "{report}");
    assert!(
        gurux_error(&report).contains("Authentication failure"),
        "{report}"
    );
}
