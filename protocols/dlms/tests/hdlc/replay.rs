//! Recorded Gurux HDLC sessions (captures/dlms/hdlc-*.frames.jsonl, gurux-dlms 1.0.203 client
//! against a patched Gurux meter) replayed against our client: every frame it writes must be the
//! one Gurux's client wrote (N(S), N(R), segmentation, LLC header), the SNRM aside (ours states
//! parameters, Gurux's did not), and every answer recorded must come out as an APDU.

use fieldbridge_dlms::hdlc::link::{Client, Config, Event, State};
use fieldbridge_dlms::hdlc::{self, Address, Control, OwnedFrame, LLC_COMMAND};
use std::time::Instant;

struct Record {
    to_server: bool,
    bytes: Vec<u8>,
    apdu: Option<Vec<u8>>,
}

/// The value of `"key": "..."` in one JSON line (`None` for `null` or absent).
fn field(line: &str, key: &str) -> Option<String> {
    let at = line.find(&format!("\"{key}\": \""))? + key.len() + 5;
    let rest = line.get(at..)?;
    Some(rest.get(..rest.find('"')?)?.to_string())
}

fn records(scenario: &str) -> Vec<Record> {
    let path = format!(
        "{}/../../captures/dlms/{scenario}.frames.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| Record {
            to_server: field(line, "dir").unwrap() == "c2s",
            bytes: hex::decode(field(line, "hex").unwrap()).unwrap(),
            apdu: field(line, "apdu_hex").map(|h| hex::decode(h).unwrap()),
        })
        .collect()
}

fn frame(bytes: &[u8]) -> OwnedFrame {
    hdlc::decode(bytes).unwrap().unwrap().0.to_owned_frame()
}

fn replay(scenario: &str) {
    let records = records(scenario);
    let first = frame(&records[0].bytes);
    let mut client = Client::new(Config {
        client: first.source,
        server: Address::two(1, 17).unwrap(),
        ..Config::default()
    });
    let now = Instant::now();
    let mut answers = Vec::new();
    let mut in_request = false;
    for (n, r) in records.iter().enumerate() {
        if !r.to_server {
            client.handle_input(now, &r.bytes);
            while let Some(e) = client.poll_event() {
                match e {
                    Event::Data(apdu) => answers.push(apdu),
                    Event::Connected(_) | Event::Disconnected(_) => {}
                    other => panic!("{scenario} frame {n}: {other:?}"),
                }
            }
            continue;
        }
        let recorded = frame(&r.bytes);
        match recorded.control {
            Control::Snrm { .. } => client.connect(),
            Control::Disc { .. } => client.disconnect(),
            Control::I { .. } if !in_request => {
                // The whole APDU: this frame's information field and its later segments'.
                let mut data = Vec::new();
                for later in records[n..].iter().filter(|r| r.to_server) {
                    let f = frame(&later.bytes);
                    data.extend_from_slice(&f.info);
                    if !f.segmented {
                        break;
                    }
                }
                assert_eq!(data[..3], LLC_COMMAND, "{scenario} frame {n}");
                client.send(&data[3..]).unwrap();
            }
            _ => {}
        }
        if let Control::I { .. } = recorded.control {
            in_request = recorded.segmented;
        }
        let ours = client.poll_transmit(now).unwrap();
        if let Control::Snrm { .. } = recorded.control {
            assert_eq!(frame(&ours).control, recorded.control);
        } else {
            assert_eq!(
                hex::encode_upper(&ours),
                hex::encode_upper(&r.bytes),
                "{scenario} frame {n}"
            );
        }
    }
    let expected: Vec<Vec<u8>> = records
        .iter()
        .filter(|r| !r.to_server)
        .filter_map(|r| r.apdu.clone())
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(answers, expected, "{scenario}");
    assert_eq!(client.state(), State::Disconnected);
    assert!(client.poll_transmit(now).is_none());
}

#[test]
fn the_recorded_gurux_session_without_authentication_replays_frame_for_frame() {
    replay("hdlc-none");
}

#[test]
fn the_recorded_gurux_session_with_a_segmented_profile_replays_frame_for_frame() {
    // 68 frames: a 96-entry profile in 5 blocks, each in 5 I frames with RR polls between.
    replay("hdlc-low");
}

#[test]
fn the_recorded_gurux_sessions_with_hls_and_ciphering_replay_frame_for_frame() {
    for scenario in ["hdlc-hls", "hdlc-ciphered", "hdlc-ciphered-general"] {
        replay(scenario);
    }
}
