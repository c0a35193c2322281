//! Wireshark as the oracle for our IEC 60870-5 encoder.
//!
//! The test encodes, with the codec's owned builders, one I frame for every type ID tshark 4.0's
//! `iec60870_asdu` dissector knows (monitoring 1–21 and 30–40, control 45–51 and 58–64, 70,
//! 100–107, 110–113), with values picked to expose byte-order, sign and bit-position mistakes
//! (negative numbers, every quality flag, IV and SU in time tags, S/E and QU in commands, SQ = 1
//! runs, three-octet addresses above 65535), plus S and U frames, one APDU per TCP segment to
//! port 2404 of a pcap. Then IEC 101 FT1.2 frames (E5, fixed, variable with ASDUs) under three
//! 101 profiles (link address 0, 1 or 2 octets; cause 1 or 2, common address 1 or 2, IOA 1, 2
//! or 3), each in its own pcap on another port, decoded as `iec60870_101` with tshark told the
//! profile by `-o`. It runs `tshark -T json` over each file and compares, frame by frame and
//! field by field, what tshark read with what the test meant to send: nothing tshark shows may
//! be missing from the expectation, and nothing expected may be missing from tshark. The
//! expected values come from the builders' inputs and the standard's layouts, never from our
//! decoder.
//!
//! Where tshark 4.0 falls short of the standard the difference is written down in
//! `iec_tshark_encode/gaps.rs` and asserted as such. A failing run keeps the capture and says
//! where it is.

#[path = "iec_tshark_encode/check.rs"]
mod check;
#[path = "iec_tshark_encode/expect.rs"]
mod expect;
#[path = "iec_tshark_encode/frames.rs"]
mod frames;
#[path = "iec_tshark_encode/gaps.rs"]
mod gaps;
#[path = "iec_tshark_encode/tshark.rs"]
mod tshark;

use std::collections::{BTreeMap, BTreeSet};

use fieldbridge_iec60870::apci::{Apdu, SeqNo, UFunction};
use fieldbridge_iec60870::asdu::OwnedAsdu;
use fieldbridge_iec60870::ft12::{AddressLen, Control, Frame, LinkConfig};
use fieldbridge_tests::{require, Direction, PcapWriter, Peer, TcpConnection};

use check::{check_apci, check_asdu, check_ft12, Problems};
use frames::{Ft12, Profile101};
use tshark::Dissection;

/// IEC 104's registered port: tshark decodes it without options.
const PORT_104: u16 = 2404;
/// The port of the FT1.2 frames, decoded with `-d tcp.port==2410,iec60870_101`.
const PORT_101: u16 = 2410;

/// Every type ID tshark 4.0's ASDU dissector names or dissects, and so the test must send.
const TSHARK_TYPE_IDS: [std::ops::RangeInclusive<u8>; 8] = [
    1..=21,
    30..=40,
    45..=51,
    58..=64,
    70..=70,
    100..=107,
    110..=113,
    120..=127,
];

/// The U functions as tshark names them in its Info column, with its `utype` value: the
/// function bits of the first control octet shifted right by two (IEC 60870-5-104 figure 8:
/// STARTDT act is bit 3, up to TESTFR con at bit 8).
const U_FRAMES: [(UFunction, &str, u8); 6] = [
    (UFunction::StartDtAct, "STARTDT act", 0x01),
    (UFunction::StartDtCon, "STARTDT con", 0x02),
    (UFunction::StopDtAct, "STOPDT act", 0x04),
    (UFunction::StopDtCon, "STOPDT con", 0x08),
    (UFunction::TestFrAct, "TESTFR act", 0x10),
    (UFunction::TestFrCon, "TESTFR con", 0x20),
];

/// One frame written to the capture, with what it was meant to say.
#[derive(Debug)]
enum Sent {
    /// An I frame.
    I {
        send: u16,
        recv: u16,
        asdu: OwnedAsdu,
        len: usize,
    },
    /// An S frame.
    S { recv: u16 },
    /// A U frame.
    U {
        function: UFunction,
        name: &'static str,
        utype: u8,
    },
    /// An FT1.2 frame, its octets as written, and the link address length.
    Ft12 {
        frame: Ft12,
        octets: Vec<u8>,
        link: AddressLen,
    },
}

/// Writes an APDU as one TCP segment; returns its frame number.
fn put_apdu(
    pcap: &mut PcapWriter,
    tcp: &mut TcpConnection,
    direction: Direction,
    apdu: &Apdu<'_>,
) -> u32 {
    let mut octets = Vec::new();
    apdu.encode(&mut octets)
        .expect("the test's APDUs are valid");
    pcap.segment(tcp, direction, &octets)
}

/// The 104 capture: every ASDU of [`frames::monitoring`] and [`frames::limits`] from the
/// controlled station and of [`frames::control`] from the controlling station, each direction
/// with its own N(S), then the U and S frames. Returns the file and the frames by their number in it.
fn capture_104() -> (Vec<u8>, BTreeMap<u32, Sent>) {
    let mut pcap = PcapWriter::new();
    let mut sent = BTreeMap::new();
    let mut tcp = TcpConnection::loopback(40_104, PORT_104);
    // The controlled station's N(S) starts just below the wrap at 32768, so it wraps.
    let (mut server_vs, mut client_vs) = (32_760u16, 100u16);
    let monitoring = frames::monitoring()
        .into_iter()
        .map(|a| (a, Direction::ToClient));
    let control = frames::control()
        .into_iter()
        .map(|a| (a, Direction::ToServer));
    let limits = frames::limits()
        .into_iter()
        .map(|a| (a, Direction::ToClient));
    for (asdu, direction) in monitoring.chain(control).chain(limits) {
        let (send, recv) = match direction {
            Direction::ToClient => (&mut server_vs, client_vs),
            Direction::ToServer => (&mut client_vs, server_vs),
        };
        let mut octets = Vec::new();
        asdu.encode(&mut octets)
            .expect("the test's ASDUs are valid");
        let apdu = Apdu::i(SeqNo::wrapping(*send), SeqNo::wrapping(recv), &octets);
        let number = put_apdu(&mut pcap, &mut tcp, direction, &apdu);
        let len = apdu.encoded_len();
        sent.insert(
            number,
            Sent::I {
                send: *send,
                recv,
                asdu,
                len,
            },
        );
        *send = (*send + 1) % 32_768;
    }
    for (function, name, utype) in U_FRAMES {
        let direction = if function.is_act() {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        let number = put_apdu(&mut pcap, &mut tcp, direction, &Apdu::u(function));
        sent.insert(
            number,
            Sent::U {
                function,
                name,
                utype,
            },
        );
    }
    for recv in [0, 1, 0x1234, 32_767] {
        let number = put_apdu(
            &mut pcap,
            &mut tcp,
            Direction::ToServer,
            &Apdu::s(SeqNo::wrapping(recv)),
        );
        sent.insert(number, Sent::S { recv });
    }
    pcap.close(&mut tcp);
    (pcap.into_bytes(), sent)
}

/// The 101 capture of one profile: the frames of [`frames::ft12`], then every type ID of the
/// 104 capture rebased to the profile ([`frames::ft12_every_type`]), one per TCP segment.
fn capture_101(profile: &Profile101) -> (Vec<u8>, BTreeMap<u32, Sent>) {
    let mut pcap = PcapWriter::new();
    let mut sent = BTreeMap::new();
    let link = LinkConfig::new(profile.link);
    let mut serial = TcpConnection::loopback(40_101, PORT_101);
    for frame in frames::ft12(profile)
        .into_iter()
        .chain(frames::ft12_every_type(profile))
    {
        let mut asdu = Vec::new();
        let wire = match &frame {
            Ft12::SingleChar => Frame::SingleChar,
            Ft12::Fixed { control, address } => Frame::Fixed {
                control: *control,
                address: *address,
            },
            Ft12::Variable {
                control,
                address,
                asdu: owned,
            } => {
                owned
                    .encode(&mut asdu)
                    .expect("the test's 101 ASDUs are valid");
                Frame::Variable {
                    control: *control,
                    address: *address,
                    asdu: &asdu,
                }
            }
        };
        let mut octets = Vec::new();
        wire.encode(&link, &mut octets)
            .expect("a valid FT1.2 frame");
        let direction = match &frame {
            Ft12::SingleChar => Direction::ToClient,
            Ft12::Fixed { control, .. } | Ft12::Variable { control, .. } => match control {
                Control::Primary { .. } => Direction::ToServer,
                Control::Secondary { .. } => Direction::ToClient,
            },
        };
        let number = pcap.segment(&mut serial, direction, &octets);
        sent.insert(
            number,
            Sent::Ft12 {
                frame,
                octets,
                link: profile.link,
            },
        );
    }
    pcap.close(&mut serial);
    (pcap.into_bytes(), sent)
}

/// Writes `pcap` to `dir`, runs tshark with `args`, and checks every frame of `sent`.
fn dissect_and_check(
    dir: &std::path::Path,
    name: &str,
    pcap: &[u8],
    args: &[String],
    sent: &BTreeMap<u32, Sent>,
    problems: &mut Problems,
) {
    let tshark = require(Peer::Tshark);
    let path = dir.join(name);
    std::fs::write(&path, pcap).expect("write the capture");
    let d = Dissection::run(&tshark, &path, args);
    problems.context = format!("{name} (tshark {})", args.join(" "));
    for (&number, frame) in sent {
        match frame {
            Sent::I { asdu, .. } => {
                check_apci(&d, number, frame, problems);
                check_asdu(&d, number, asdu, None, problems);
            }
            Sent::S { .. } | Sent::U { .. } => check_apci(&d, number, frame, problems),
            Sent::Ft12 {
                frame,
                octets,
                link,
            } => check_ft12(&d, number, frame, octets, *link, problems),
        }
    }
    // The handshake and the close (three packets each), and every frame.
    if d.frames() != sent.len() + 6 {
        problems.push(
            0,
            format!(
                "tshark read {} packets, want {}",
                d.frames(),
                sent.len() + 6
            ),
        );
    }
}

#[test]
fn tshark_reads_every_frame_as_the_encoder_meant_it() {
    let dir = tempfile::Builder::new()
        .prefix("fb-iec-tshark-")
        .tempdir()
        .expect("a temporary folder");
    let mut problems = Problems::default();

    let (pcap, sent) = capture_104();
    let type_ids: BTreeSet<u8> = sent
        .values()
        .filter_map(|frame| match frame {
            Sent::I { asdu, .. } => Some(asdu.header.type_id.0),
            _ => None,
        })
        .collect();
    let missing: Vec<u8> = TSHARK_TYPE_IDS
        .iter()
        .flat_map(|range| range.clone())
        .filter(|t| !type_ids.contains(t))
        .collect();
    assert!(missing.is_empty(), "no frame of type IDs {missing:?}");
    dissect_and_check(dir.path(), "iec104.pcap", &pcap, &[], &sent, &mut problems);

    for (index, profile) in Profile101::ALL.iter().enumerate() {
        let (pcap, sent) = capture_101(profile);
        let mut args = vec![
            "-d".to_string(),
            format!("tcp.port=={PORT_101},iec60870_101"),
        ];
        for pref in profile.tshark_prefs() {
            args.extend(["-o".to_string(), pref]);
        }
        let name = format!("iec101-{index}.pcap");
        dissect_and_check(dir.path(), &name, &pcap, &args, &sent, &mut problems);
    }

    if !problems.lines.is_empty() {
        let kept = dir.keep();
        panic!(
            "tshark disagrees with the encoder in {} places (captures kept in {}; add `-V` to \
             the command to see the dissection):\n{}",
            problems.lines.len(),
            kept.display(),
            problems.lines.join("\n")
        );
    }
}

/// The gap of `gaps::ft12_checksum`, asserted: tshark 4.0 shows an FT1.2 frame with a wrong
/// checksum and a wrong stop character as if they were right, so the main test checks both
/// itself. If this fails, tshark has learnt to check them and the main test may lean on it.
#[test]
fn tshark_4_0_checks_neither_ft12_checksum_nor_stop_character() {
    let link = LinkConfig::new(AddressLen::One);
    let request = Control::primary(
        fieldbridge_iec60870::PrimaryFunction::REQUEST_CLASS_2,
        true,
        true,
    );
    let mut octets = Vec::new();
    Frame::Fixed {
        control: request,
        address: 1,
    }
    .encode(&link, &mut octets)
    .expect("a fixed frame");
    assert_eq!(octets, [0x10, 0x7B, 0x01, 0x7C, 0x16]);
    octets[3] ^= 0xFF; // the checksum
    octets[4] = 0x17; // the stop character
    let mut pcap = PcapWriter::new();
    let mut serial = TcpConnection::loopback(40_102, PORT_101);
    let number = pcap.segment(&mut serial, Direction::ToServer, &octets);
    let dir = tempfile::Builder::new()
        .prefix("fb-iec-tshark-")
        .tempdir()
        .expect("a temporary folder");
    let path = dir.path().join("bad-checksum.pcap");
    std::fs::write(&path, pcap.into_bytes()).expect("write the capture");
    let args = [
        "-d".to_string(),
        format!("tcp.port=={PORT_101},iec60870_101"),
    ];
    let d = Dissection::run(&require(Peer::Tshark), &path, &args);
    let layer = d
        .layer(number, "iec60870_101")
        .expect("an iec60870_101 layer");
    let fields = tshark::flatten(layer, |_| false);
    assert_eq!(fields["iec60870_101.checksum"], ["0x83"]);
    assert_eq!(fields["iec60870_101.stopchar"], ["0x17"]);
    assert!(
        fields.keys().all(|k| !k.starts_with("_ws.expert"))
            && d.layer(number, "_ws.expert").is_none(),
        "tshark now flags a bad FT1.2 checksum or stop character: {fields:?}"
    );
}
