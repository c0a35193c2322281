//! Every frame at its transport layer: the wrapper header (IEC 62056-47 clause 5) or the HDLC
//! frame (IEC 62056-46 clause 6.4, HCS and FCS checked), re-encoded byte for byte; the byte
//! streams of each direction through the splitters; HDLC segments put together by hand.

use crate::scenario::{scenarios, Dir, Frame, Scenario, Transport};
use fieldbridge_dlms::hdlc::{self, Address, Control, Llc, Parameters};
use fieldbridge_dlms::wrapper::{self, StreamSplitter};
use fieldbridge_dlms::{Checksum, Error};

/// The client's SAP (wrapper wPort, HDLC client address) of a scenario (README.md: `none` 16,
/// `low` 17, `hls` 18, the ciphered ones 1).
pub fn client_sap(scenario: &str) -> u8 {
    if scenario.contains("ciphered") {
        1
    } else if scenario.ends_with("-none") {
        16
    } else if scenario.ends_with("-low") {
        17
    } else if scenario.ends_with("-hls") {
        18
    } else {
        panic!("no client SAP known for {scenario}")
    }
}

/// The server's HDLC address in every scenario: logical 1, physical 17 (`02 23`).
pub fn server_address() -> Address {
    Address::two(1, 17).unwrap()
}

/// The LLC header of a direction (Green Book 8.4.5.2).
pub fn llc(dir: Dir) -> Llc {
    match dir {
        Dir::C2s => Llc::Command,
        Dir::S2c => Llc::Response,
    }
}

/// The APDUs a scenario's frames carry, with the frame that completes each, found by our own
/// decoders: after the wrapper header, or the information fields of an I-frame sequence put
/// together (S bit) without the LLC header.
pub fn reassemble(scenario: &Scenario) -> Vec<(usize, Dir, Vec<u8>)> {
    let mut out = Vec::new();
    let mut pending: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
    for (i, f) in scenario.frames.iter().enumerate() {
        let at = f.at(&scenario.name);
        match f.transport {
            Transport::Wrapper => {
                let (pdu, _) = wrapper::decode(&f.hex).unwrap().unwrap();
                out.push((i, f.dir, pdu.apdu.to_vec()));
            }
            Transport::Hdlc => {
                let (frame, _) = hdlc::decode(&f.hex)
                    .unwrap_or_else(|e| panic!("{at}: {e}"))
                    .unwrap();
                if !matches!(frame.control, Control::I { .. }) {
                    continue;
                }
                let buf = &mut pending[usize::from(f.dir == Dir::S2c)];
                buf.extend_from_slice(frame.info);
                if !frame.segmented {
                    let apdu = llc(f.dir)
                        .strip(buf)
                        .unwrap_or_else(|e| panic!("{at}: LLC header: {e}"))
                        .to_vec();
                    buf.clear();
                    out.push((i, f.dir, apdu));
                }
            }
        }
    }
    assert!(
        pending.iter().all(Vec::is_empty),
        "{}: a segment sequence is left unfinished",
        scenario.name
    );
    out
}

fn check_wrapper_frame(scenario: &str, f: &Frame) {
    let at = f.at(scenario);
    let (pdu, len) = wrapper::decode(&f.hex)
        .unwrap_or_else(|e| panic!("{at}: {e}"))
        .unwrap_or_else(|| panic!("{at}: a whole PDU"));
    assert_eq!(len, f.hex.len(), "{at}: the PDU fills the frame");
    let client = u16::from(client_sap(scenario));
    let (source, destination) = match f.dir {
        Dir::C2s => (client, 1),
        Dir::S2c => (1, client),
    };
    assert_eq!(
        (pdu.source, pdu.destination),
        (source, destination),
        "{at}: wPorts"
    );
    assert_eq!(
        Some(pdu.apdu),
        f.apdu.as_deref(),
        "{at}: the APDU is apdu_hex"
    );
    let mut out = Vec::new();
    pdu.encode(&mut out).unwrap();
    assert_eq!(out, f.hex, "{at}: the view re-encodes");
    out.clear();
    pdu.to_owned().encode(&mut out).unwrap();
    assert_eq!(out, f.hex, "{at}: the owned PDU re-encodes");
}

fn check_hdlc_frame(scenario: &str, f: &Frame) {
    let at = f.at(scenario);
    let (frame, len) = hdlc::decode(&f.hex)
        .unwrap_or_else(|e| panic!("{at}: {e}"))
        .unwrap_or_else(|| panic!("{at}: a whole frame"));
    assert_eq!(len, f.hex.len(), "{at}: the frame fills the record");
    let client = Address::client(client_sap(scenario)).unwrap();
    let (source, destination) = match f.dir {
        Dir::C2s => (client, server_address()),
        Dir::S2c => (server_address(), client),
    };
    assert_eq!(
        (frame.source, frame.destination),
        (source, destination),
        "{at}"
    );
    let mut out = Vec::new();
    frame.encode(&mut out).unwrap();
    assert_eq!(out, f.hex, "{at}: the view re-encodes");
    out.clear();
    frame.to_owned_frame().encode(&mut out).unwrap();
    assert_eq!(out, f.hex, "{at}: the owned frame re-encodes");

    // What each kind of frame carries in these sessions (README.md).
    match frame.control {
        Control::Snrm { pf: true } | Control::Disc { pf: true } => {
            assert_eq!(f.dir, Dir::C2s, "{at}");
            assert!(frame.info.is_empty(), "{at}: SNRM without parameters, DISC");
        }
        Control::Ua { pf: true } => {
            assert_eq!(f.dir, Dir::S2c, "{at}");
            // UA to SNRM: Gurux's defaults; UA to DISC: no information field.
            if !frame.info.is_empty() {
                assert_eq!(
                    Parameters::decode(frame.info),
                    Ok(Parameters::default()),
                    "{at}"
                );
            }
        }
        Control::Rr { pf: true, .. } => assert!(frame.info.is_empty(), "{at}: RR"),
        Control::I { pf: true, .. } => {}
        other => panic!("{at}: unexpected control field {other:?}"),
    }
    let carries_apdu = matches!(frame.control, Control::I { .. }) && !frame.segmented;
    assert_eq!(
        f.apdu.is_some(),
        carries_apdu,
        "{at}: apdu_hex on the last segment only"
    );

    // The check sequences are checked: a flipped bit in the HCS or the FCS is refused.
    let hcs_at = 1 + 2 + frame.destination.octets() + frame.source.octets() + 1;
    let fcs_at = f.hex.len() - 3;
    for (at_byte, which) in [(hcs_at, Checksum::Hcs), (fcs_at, Checksum::Fcs)] {
        if which == Checksum::Hcs && frame.info.is_empty() {
            continue; // no HCS without an information field
        }
        let mut bad = f.hex.clone();
        bad[at_byte] ^= 0x01;
        match hdlc::decode(&bad) {
            Err(Error::BadChecksum { which: w, .. }) => assert_eq!(w, which, "{at}"),
            other => panic!("{at}: flipped {which:?} byte accepted: {other:?}"),
        }
    }
}

#[test]
fn every_frame_decodes_at_its_transport_layer_and_encodes_back_byte_for_byte() {
    for s in scenarios() {
        for f in &s.frames {
            match f.transport {
                Transport::Wrapper => check_wrapper_frame(&s.name, f),
                Transport::Hdlc => check_hdlc_frame(&s.name, f),
            }
        }
    }
}

#[test]
fn hdlc_segments_put_together_by_hand_give_the_recorded_apdus() {
    for s in scenarios() {
        let apdus = reassemble(&s);
        let recorded: Vec<(usize, Dir, Vec<u8>)> = s
            .frames
            .iter()
            .enumerate()
            .filter_map(|(i, f)| f.apdu.clone().map(|a| (i, f.dir, a)))
            .collect();
        assert_eq!(apdus, recorded, "{}", s.name);
    }
}

#[test]
fn each_direction_read_as_one_byte_stream_splits_into_the_recorded_frames() {
    // The TCP payloads of one direction, cut into reads of 7 bytes: the splitters must find the
    // recorded frames whatever the cuts.
    for s in scenarios() {
        for dir in [Dir::C2s, Dir::S2c] {
            let frames: Vec<&Frame> = s.frames.iter().filter(|f| f.dir == dir).collect();
            let stream: Vec<u8> = frames.iter().flat_map(|f| f.hex.clone()).collect();
            let mut found: Vec<Vec<u8>> = Vec::new();
            match s.transport {
                Transport::Wrapper => {
                    let mut splitter = StreamSplitter::new(wrapper::MAX_APDU_LEN);
                    for chunk in stream.chunks(7) {
                        splitter.push(chunk);
                        while let Some(pdu) = splitter.next_pdu().unwrap() {
                            let mut out = Vec::new();
                            pdu.encode(&mut out).unwrap();
                            found.push(out);
                        }
                    }
                }
                Transport::Hdlc => {
                    let mut splitter = hdlc::Splitter::new();
                    for chunk in stream.chunks(7) {
                        splitter.push(chunk);
                        while let Some(frame) = splitter.next_frame() {
                            let mut out = Vec::new();
                            frame.encode(&mut out).unwrap();
                            found.push(out);
                        }
                    }
                    assert_eq!(splitter.discarded(), 0, "{} {dir:?}", s.name);
                    assert_eq!(splitter.bad_frames(), 0, "{} {dir:?}", s.name);
                }
            }
            let expected: Vec<Vec<u8>> = frames.iter().map(|f| f.hex.clone()).collect();
            assert_eq!(found, expected, "{} {dir:?}", s.name);
        }
    }
}
