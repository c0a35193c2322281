//! The faults the simulator injects on purpose (`--fault KIND[:N]`): each spoils the answers
//! it is due for, in open associations only, then the meter answers well again.

use std::sync::Arc;
use std::time::Duration;

use fieldbridge_dlms::hdlc::link::Event;
use fieldbridge_dlms::hdlc::{self, Address, Checksum, Control, OwnedFrame};
use fieldbridge_dlms::wrapper::OwnedWrapperPdu;
use fieldbridge_dlms::Error;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

use super::serve::{ciphered_aarq, config, exchange, get_import, plain_aarq, start, Hdlc};
use super::*;
use crate::dlms::fault::{Fault, FaultKind, Faults, Injector, Outgoing, GARBAGE, NOT_DLMS};
use crate::dlms::DlmsConfig;

const POLICY: SecurityPolicy = SecurityPolicy::AuthenticatedEncrypted;

fn with_fault(config: DlmsConfig, fault: &str) -> DlmsConfig {
    DlmsConfig {
        fault: Some(fault.parse().expect("a fault")),
        ..config
    }
}

/// A GET of the import register, ciphered by the client under `counter`.
fn ciphered_get(counter: u32) -> Vec<u8> {
    let mut out = Vec::new();
    encrypt(
        Envelope::ServiceSpecific(KeyKind::Global),
        SecurityControl::new(POLICY),
        counter,
        &CLIENT_TITLE,
        &Keys::new(EK, AK),
        &get_import(),
        &mut out,
    )
    .expect("encrypt");
    out
}

/// Whether `answer` is a GET-Response carrying data.
fn is_data(answer: &[u8]) -> bool {
    matches!(
        GetResponse::decode(answer),
        Ok(GetResponse::Normal {
            result: GetDataResult::Data(_),
            ..
        })
    )
}

/// `apdu` in a wrapper PDU from the public client to the meter.
fn wrapped(apdu: Vec<u8>) -> Vec<u8> {
    let mut out = Vec::new();
    OwnedWrapperPdu::new(0x10, 1, apdu)
        .encode(&mut out)
        .expect("wrapper");
    out
}

/// An associated wrapper connection (plain AARQ).
async fn associated(addr: std::net::SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let answer = exchange(&mut stream, 0x10, plain_aarq()).await;
    assert_eq!(
        aare(&answer.expect("AARE")).result,
        AssociationResult::Accepted
    );
    stream
}

#[test]
fn a_fault_is_a_kind_and_a_count_of_at_least_one() {
    let once: Fault = "bad-fcs".parse().expect("fault");
    assert_eq!(
        once,
        Fault {
            kind: FaultKind::BadFcs,
            count: 1
        }
    );
    let thrice: Fault = "replay-counter:3".parse().expect("fault");
    assert_eq!((thrice.kind, thrice.count), (FaultKind::ReplayCounter, 3));
    assert_eq!(thrice.to_string(), "replay-counter:3");
    for bad in [
        "",
        "noise",
        "silence:0",
        "silence:x",
        "silence:-1",
        "garbage:",
    ] {
        assert!(bad.parse::<Fault>().is_err(), "{bad:?} parsed");
    }
}

#[test]
fn frame_faults_need_hdlc_and_cipher_faults_need_security() {
    let fault = |s: &str| s.parse::<Fault>().expect("fault");
    assert!(fault("bad-hcs").check(false, None).is_err());
    assert!(fault("bad-hcs").check(true, None).is_ok());
    assert!(fault("wrong-key").check(true, None).is_err());
    assert!(fault("replay-counter").check(false, Some(POLICY)).is_ok());
    assert!(fault("garbage").check(false, None).is_ok());
}

/// An I frame (or `control`) from the simulator's address to the public client.
fn server_frame(control: Control) -> Vec<u8> {
    let info = match control {
        Control::I { .. } => vec![0xE6, 0xE7, 0x00, 0xC4, 0x01, 0xC1, 0x00, 0x11, 0x07],
        _ => Vec::new(),
    };
    let frame = OwnedFrame {
        segmented: false,
        destination: Address::client(16).expect("client"),
        source: Address::server(1, Some(17)).expect("server"),
        control,
        info,
    };
    let mut out = Vec::new();
    frame.encode(&mut out).expect("frame");
    out
}

fn i_frame() -> Vec<u8> {
    server_frame(Control::I {
        ns: 0,
        nr: 1,
        pf: true,
    })
}

fn injector(fault: &str) -> (Injector, Arc<Faults>) {
    let faults = Arc::new(Faults::new(Some(fault.parse().expect("fault"))));
    let injector = Injector::new(faults.clone(), true, Keys::new(EK, AK), SERVER_TITLE, None);
    (injector, faults)
}

#[test]
fn bad_fcs_and_bad_hcs_break_that_check_sequence_of_i_frames_in_an_association_only() {
    for (fault, which) in [("bad-fcs:1", Checksum::Fcs), ("bad-hcs:1", Checksum::Hcs)] {
        let (mut injector, faults) = injector(fault);
        // Before the association, and frames that are no I frames, go out intact.
        injector.request(&plain_aarq(), false);
        assert_eq!(injector.frame(i_frame()), i_frame());
        injector.request(&get_import(), true);
        let rr = server_frame(Control::Rr { nr: 1, pf: true });
        assert_eq!(injector.frame(rr.clone()), rr);
        assert_eq!(faults.left(), 1);

        let spoiled = injector.frame(i_frame());
        assert_eq!(spoiled.len(), i_frame().len());
        match hdlc::decode(&spoiled) {
            Err(Error::BadChecksum { which: found, .. }) => assert_eq!(found, which, "{fault}"),
            other => panic!("{fault}: {other:?}"),
        }
        assert_eq!(faults.left(), 0);
        // The fault is spent: the retransmission goes out intact.
        assert_eq!(injector.frame(i_frame()), i_frame());
    }
}

#[test]
fn garbage_over_hdlc_is_line_noise_with_no_flag_in_place_of_a_frame() {
    let (mut injector, faults) = injector("garbage:2");
    injector.request(&get_import(), true);
    // Answers are left alone: the frames carrying them are spoiled.
    assert_eq!(
        injector.answer(vec![0xC4, 0x01]),
        Outgoing::Apdu(vec![0xC4, 0x01])
    );
    let noise = injector.frame(i_frame());
    assert_eq!(noise.len(), i_frame().len());
    assert!(!noise.contains(&hdlc::FLAG), "{noise:02X?}");
    let mut line = hdlc::Splitter::new();
    line.push(&noise);
    assert!(line.next_frame().is_none());
    assert_eq!(faults.left(), 1);
    // The RLRE and its frames are never spoiled.
    injector.request(&[0x62, 0x00], true);
    injector.closing();
    assert_eq!(injector.frame(i_frame()), i_frame());
    assert_eq!(faults.left(), 1);
}

#[tokio::test]
async fn garbage_replaces_an_answer_with_no_wrapper_pdu_then_the_meter_answers_again() {
    let addr = start(with_fault(config(None), "garbage")).await;
    let mut stream = associated(addr).await;
    stream
        .write_all(&wrapped(get_import()))
        .await
        .expect("send");
    let mut got = vec![0u8; GARBAGE.len()];
    timeout(Duration::from_secs(5), stream.read_exact(&mut got))
        .await
        .expect("in time")
        .expect("read");
    assert_eq!(got, GARBAGE);
    assert_ne!(got.get(..2), Some(&[0x00, 0x01][..]), "no wrapper version");

    let mut again = associated(addr).await;
    let answer = exchange(&mut again, 0x10, get_import()).await;
    assert!(is_data(&answer.expect("answer")));
}

#[tokio::test]
async fn not_dlms_wraps_an_apdu_that_is_none() {
    let addr = start(with_fault(config(None), "not-dlms")).await;
    let mut stream = associated(addr).await;
    let answer = exchange(&mut stream, 0x10, get_import()).await;
    assert_eq!(answer.as_deref(), Some(NOT_DLMS));
    assert!(Apdu::decode(NOT_DLMS).is_err());
    let answer = exchange(&mut stream, 0x10, get_import()).await;
    assert!(is_data(&answer.expect("answer")));
}

#[tokio::test]
async fn silence_leaves_a_request_unanswered_and_the_next_one_is_answered() {
    let addr = start(with_fault(config(None), "silence")).await;
    let mut stream = associated(addr).await;
    stream
        .write_all(&wrapped(get_import()))
        .await
        .expect("send");
    let mut buf = [0u8; 64];
    let read = timeout(Duration::from_millis(300), stream.read(&mut buf)).await;
    assert!(read.is_err(), "an answer came: {read:?}");
    let answer = exchange(&mut stream, 0x10, get_import()).await;
    assert!(is_data(&answer.expect("answer")));
}

#[tokio::test]
async fn replay_counter_sends_the_previous_ciphered_answer_again_byte_for_byte() {
    let addr = start(with_fault(config(Some(POLICY)), "replay-counter")).await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    exchange(&mut stream, 0x10, ciphered_aarq(1))
        .await
        .expect("AARE");
    // The first answer of the association has no ciphered one before it: sent as it is.
    let first = exchange(&mut stream, 0x10, ciphered_get(2))
        .await
        .expect("answer");
    let replayed = exchange(&mut stream, 0x10, ciphered_get(3))
        .await
        .expect("answer");
    assert_eq!(
        replayed, first,
        "the previous answer, its frame counter with it"
    );
    let next = exchange(&mut stream, 0x10, ciphered_get(4))
        .await
        .expect("answer");
    let counter = |apdu: &[u8]| {
        CipheredApdu::decode(apdu)
            .expect("ciphered")
            .frame_counter()
    };
    // The answer the replay stood for took its own counter: the next is above both.
    assert!(counter(&next) > counter(&first) + 1);
}

#[tokio::test]
async fn wrong_key_ciphers_an_answer_whose_tag_fails_with_the_meter_keys() {
    let addr = start(with_fault(config(Some(POLICY)), "wrong-key")).await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    exchange(&mut stream, 0x10, ciphered_aarq(1))
        .await
        .expect("AARE");
    let wrong = exchange(&mut stream, 0x10, ciphered_get(2))
        .await
        .expect("answer");
    let ciphered = CipheredApdu::decode(&wrong).expect("ciphered");
    let mut plain = Vec::new();
    let refused =
        ciphered.decrypt_with_policy(&Keys::new(EK, AK), POLICY, Some(&SERVER_TITLE), &mut plain);
    assert!(
        matches!(
            refused,
            Err(Error::AuthenticationFailed {
                what: "GCM tag",
                ..
            })
        ),
        "{refused:?}"
    );
    // Ciphered with every key bit inverted.
    let inverted = Keys::new(EK.map(|b| !b), AK.map(|b| !b));
    let opened = ciphered
        .decrypt_with_policy(&inverted, POLICY, Some(&SERVER_TITLE), &mut plain)
        .expect("the inverted keys open it");
    assert!(is_data(opened));

    let next = exchange(&mut stream, 0x10, ciphered_get(3))
        .await
        .expect("answer");
    let next = CipheredApdu::decode(&next).expect("ciphered");
    assert!(next.frame_counter() > ciphered.frame_counter());
    let opened = next
        .decrypt_with_policy(&Keys::new(EK, AK), POLICY, Some(&SERVER_TITLE), &mut plain)
        .expect("the meter's keys again");
    assert!(is_data(opened));
}

/// Over HDLC, the first I frame answering a GET is spoiled by `fault`: the client's link
/// discards it, polls again and reads the frame sent again.
async fn an_hdlc_answer_is_recovered_by_retransmission(fault: &str) {
    let addr = start(with_fault(
        DlmsConfig {
            hdlc: true,
            ..config(None)
        },
        fault,
    ))
    .await;
    let mut client = Hdlc::connect_with(addr, Duration::from_millis(200)).await;
    client.open().await;
    let answer = client.request(&plain_aarq()).await;
    assert_eq!(aare(&answer).result, AssociationResult::Accepted);
    client.link.send(&get_import()).expect("link up");
    let mut retried = false;
    let answer = client
        .until(|event| match event {
            Event::Retrying { .. } => {
                retried = true;
                None
            }
            Event::Data(answer) => Some(answer),
            _ => None,
        })
        .await;
    assert!(retried, "{fault}: the first frame was not discarded");
    assert!(is_data(&answer), "{fault}");
    assert!(client.reads().await, "{fault}: the next GET");
}

#[tokio::test]
async fn an_hdlc_frame_with_a_bad_fcs_is_sent_again_when_polled() {
    an_hdlc_answer_is_recovered_by_retransmission("bad-fcs").await;
}

#[tokio::test]
async fn an_hdlc_frame_with_a_bad_hcs_is_sent_again_when_polled() {
    an_hdlc_answer_is_recovered_by_retransmission("bad-hcs").await;
}

#[tokio::test]
async fn an_hdlc_frame_drowned_in_line_noise_is_sent_again_when_polled() {
    an_hdlc_answer_is_recovered_by_retransmission("garbage").await;
}
