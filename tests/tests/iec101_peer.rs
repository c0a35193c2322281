//! Our IEC 60870-5-101 link state machines against lib60870-C 2.3.4 over a socat serial line
//! (issue 15): our unbalanced primary polling lib60870 slaves, the lib60870 master polling our
//! unbalanced secondary, and balanced transmission both ways. Each test asserts the ASDUs that
//! crossed (type ID, cause, IOAs, values) and the FCB rule on the frames of both sides.
//!
//! The peers are the programs of `tests/peers/lib60870`; without them these tests fail and say
//! to run `scripts/build-lib60870`.

#[path = "iec101_peer/app.rs"]
mod app;
#[path = "iec101_peer/driver.rs"]
mod driver;
#[path = "iec101_peer/lost.rs"]
mod lost;
#[path = "iec101_peer/peer.rs"]
mod peer;
#[path = "iec101_peer/relay.rs"]
mod relay;

use app::{answer, interrogation, summary, Summary};
use driver::{Driver, Seen};
use fieldbridge_iec60870::link101::{
    Balanced, Params, Service, Station, UnbalancedPrimary, UnbalancedSecondary,
};
use fieldbridge_tests::SocatPair;
use peer::Peer;
use std::path::Path;
use std::time::{Duration, Instant};

const LIMIT: Duration = Duration::from_secs(30);

fn params() -> Params {
    Params {
        response_timeout: Duration::from_millis(1000),
        poll_interval: Duration::from_millis(100),
        link_retry: Duration::from_millis(1000),
        ..Params::default()
    }
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn device(path: &Path) -> String {
    path.display().to_string()
}

/// Starts lib60870's `cs101_slave` on the line at `tty` with `options` (separated by
/// spaces), and waits for its ready line of link `link`.
fn start_slave(tty: &Path, options: &str, link: u16) -> Peer {
    let mut list = args(&["--device", &device(tty)]);
    list.extend(options.split_whitespace().map(String::from));
    let mut slave = Peer::start("cs101_slave", &list);
    let ready = format!("ready link={link}");
    slave.wait_for(LIMIT, &format!("ready line of link {link}"), |l| {
        l.starts_with(&ready)
    });
    slave
}

/// Starts lib60870's `cs101_master` on the line at `tty` with `options` (separated by
/// spaces); it runs its script (30 s at the most) and says `complete`.
fn start_master(tty: &Path, options: &str) -> Peer {
    let mut list = args(&["--device", &device(tty)]);
    list.extend(options.split_whitespace().map(String::from));
    list.extend(args(&["--exit-when-complete", "--duration-ms", "30000"]));
    Peer::start("cs101_master", &list)
}

/// Runs `d` until its link to `remote` is up, lets `send` queue an interrogation of common
/// address `ca`, runs until the ACTTERM came in a frame with link address `from` by
/// `service`, and checks that the answers were [`interrogation_answers`].
fn interrogate<L: driver::Link>(
    d: &mut Driver<L>,
    remote: u16,
    send: impl FnOnce(&mut L, &[u8]),
    ca: u16,
    (from, service): (u16, Service),
) {
    d.run_until(LIMIT, &format!("link to {remote} up"), |e| {
        count(e, &Seen::Up(remote)) == 1
    });
    send(&mut d.link, &interrogation(ca));
    d.run_until(LIMIT, "the interrogation terminated", |e| {
        is_actterm(e, from, service)
    });
    assert_eq!(
        shape(&received(&d.events, from, service), ca),
        interrogation_answers()
    );
}

/// The user data received from `address` by `service`, summarised.
fn received(events: &[Seen], address: u16, service: Service) -> Vec<Summary> {
    events
        .iter()
        .filter_map(|e| match e {
            Seen::Data(a, s, asdu) if *a == address && *s == service => Some(summary(asdu)),
            _ => None,
        })
        .collect()
}

fn count(events: &[Seen], wanted: &Seen) -> usize {
    events.iter().filter(|e| *e == wanted).count()
}

fn objects(list: &[(u32, &str)]) -> Vec<(u32, String)> {
    list.iter().map(|(a, v)| (*a, v.to_string())).collect()
}

/// An ASDU as the tests compare it: type ID, cause, SQ and the objects.
type Shape = (u8, u8, bool, Vec<(u32, String)>);

/// What a station answers to a station interrogation (lib60870's slave and ours alike).
fn interrogation_answers() -> Vec<Shape> {
    vec![
        (100, 7, false, objects(&[(0, "20")])),
        (1, 20, false, objects(&[(100, "1"), (101, "0"), (102, "0")])),
        (
            13,
            20,
            true,
            objects(&[(200, "12.5"), (201, "-3.25"), (202, "1000")]),
        ),
        (100, 10, false, objects(&[(0, "20")])),
    ]
}

/// The shapes of `list`, checking each came from common address `ca` and is positive.
fn shape(list: &[Summary], ca: u16) -> Vec<Shape> {
    for s in list {
        assert_eq!((s.ca, s.negative), (ca, false), "{s:?}");
    }
    list.iter()
        .map(|s| (s.type_id, s.cot, s.sequence, s.objects.clone()))
        .collect()
}

/// Our unbalanced primary for the secondary with link `address` on the line at `tty`, after
/// it interrogated common address `ca` there (see [`interrogate`]).
fn primary_interrogates(tty: &Path, p: Params, address: u16, ca: u16) -> Driver<UnbalancedPrimary> {
    let primary = UnbalancedPrimary::new(p, &[address], Instant::now()).unwrap();
    let mut d = Driver::open(tty, primary, p.link);
    let send = |s: &mut UnbalancedPrimary, asdu: &[u8]| {
        s.send(address, asdu).unwrap();
    };
    interrogate(&mut d, address, send, ca, (address, Service::Class1));
    d
}

/// Our balanced station A with link address `own` on the line at `tty`, after it
/// interrogated common address `ca` of the station with address `remote` (see
/// [`interrogate`]).
fn station_a_interrogates(
    tty: &Path,
    p: Params,
    own: u16,
    remote: u16,
    ca: u16,
) -> Driver<Balanced> {
    let station = Balanced::new(p, Station::A, own, remote, Instant::now()).unwrap();
    let mut d = Driver::open(tty, station, p.link);
    let send = |s: &mut Balanced, asdu: &[u8]| {
        s.send(asdu).unwrap();
    };
    interrogate(&mut d, remote, send, ca, (own, Service::Confirmed));
    d
}

/// The options of a balanced lib60870 slave with link address 2 talking to our address 1.
const BALANCED_SLAVE_2: &str =
    "--mode balanced --link-address 2 --other-address 1 --ca 2 --spontaneous-ms 0";

/// Whether an interrogation's ACTTERM came in a frame with link `address`.
fn is_actterm(events: &[Seen], address: u16, service: Service) -> bool {
    received(events, address, service)
        .iter()
        .any(|s| s.type_id == 100 && s.cot == 10)
}

#[test]
fn our_unbalanced_primary_polls_two_lib60870_slaves_and_reads_their_interrogation_answers() {
    let socat = SocatPair::start();
    let mut slave = start_slave(
        socat.b(),
        "--link-address 1,2 --ca 1,2 --spontaneous-ms 0 --single-char-ack 1",
        2,
    );
    let p = params();
    let primary = UnbalancedPrimary::new(p, &[1, 2], Instant::now()).unwrap();
    let mut d = Driver::open(socat.a(), primary, p.link);
    d.run_until(LIMIT, "both links up", |e| {
        count(e, &Seen::Up(1)) == 1 && count(e, &Seen::Up(2)) == 1
    });
    let id1 = d.link.send(1, &interrogation(1)).unwrap();
    let id2 = d.link.send(2, &interrogation(2)).unwrap();
    d.run_until(LIMIT, "both interrogations terminated", |e| {
        is_actterm(e, 1, Service::Class1) && is_actterm(e, 2, Service::Class1)
    });
    slave.collect();
    for (address, id) in [(1u16, id1), (2, id2)] {
        assert_eq!(
            shape(&received(&d.events, address, Service::Class1), address),
            interrogation_answers(),
            "address {address}"
        );
        let confirmed = format!("Confirmed {{ address: {address}, id: {id:?} }}");
        assert!(
            d.events
                .iter()
                .any(|e| *e == Seen::Other(confirmed.clone())),
            "{confirmed} in {:?}",
            d.events
        );
        let counted = d.check_our_fcb(Some(address));
        assert!(
            counted >= 5,
            "FC 3 and four class 1 requests at least to {address}"
        );
        assert!(
            slave.printed(&["reset-cu", &format!("link={address}")]),
            "{:?}",
            slave.seen
        );
        assert!(
            slave.printed(&[
                "interrogation",
                &format!("link={address}"),
                &format!("ca={address}"),
                "qoi=20",
                "result=confirmed"
            ]),
            "{:?}",
            slave.seen
        );
    }
    assert_eq!(d.count(&Seen::Down(1)) + d.count(&Seen::Down(2)), 0);
    // lib60870 answered "no data" with E5 while ACD = 0, and with fixed frames while it held
    // class 1 data: both kinds came.
    let answers = d.frames_received();
    assert!(answers.contains(&driver::Decoded::E5));
    assert!(answers.iter().any(|f| matches!(
        f,
        driver::Decoded::Frame {
            control: fieldbridge_iec60870::Control::Secondary { acd: true, .. },
            ..
        }
    )));
}

#[test]
fn our_class_2_polls_fetch_lib60870_spontaneous_data_with_fixed_frame_answers() {
    let socat = SocatPair::start();
    let _slave = start_slave(
        socat.b(),
        "--link-address 3 --ca 3 --spontaneous-ms 200 --spontaneous-count 2 \
         --spontaneous-class 2 --single-char-ack 0",
        3,
    );
    let p = params();
    let primary = UnbalancedPrimary::new(p, &[3], Instant::now()).unwrap();
    let mut d = Driver::open(socat.a(), primary, p.link);
    d.run_until(LIMIT, "two spontaneous rounds", |e| {
        received(e, 3, Service::Class2).len() >= 4
    });
    let got: Vec<_> = received(&d.events, 3, Service::Class2)
        .into_iter()
        .map(|s| (s.type_id, s.cot, s.objects))
        .collect();
    assert_eq!(
        got,
        [
            (36, 3, objects(&[(200, "13.5")])),
            (30, 3, objects(&[(101, "1")])),
            (36, 3, objects(&[(200, "14.5")])),
            (30, 3, objects(&[(101, "0")])),
        ]
    );
    assert!(
        !d.frames_received().contains(&driver::Decoded::E5),
        "--single-char-ack 0"
    );
    d.check_our_fcb(Some(3));
}

/// Runs our secondary (or balanced station) with the answers of `app::answer` until the
/// lib60870 master prints `complete`.
fn serve_until_complete<L: driver::Link>(
    d: &mut Driver<L>,
    master: &mut Peer,
    link: u16,
    mut push: impl FnMut(&mut L, &[u8]),
) {
    let end = Instant::now() + LIMIT;
    let done = format!("link={link}");
    while !master.printed(&["complete", &done]) {
        assert!(
            Instant::now() < end,
            "the lib60870 master did not complete within {LIMIT:?}; it printed:\n{}\nour events: {:?}",
            master.seen.join("\n"),
            d.events
        );
        for e in d.step(Duration::from_millis(20)) {
            if let Seen::Data(_, Service::Confirmed, asdu) = &e {
                for out in answer(asdu, link) {
                    push(&mut d.link, &out);
                }
            }
        }
        master.collect();
    }
}

fn assert_master_saw_our_answers(master: &Peer, link: u16) {
    for answer in [
        "type=100 cot=7",
        "type=1 cot=20 n=3 100=1,q=00 101=0,q=00 102=0,q=00",
        "type=13 cot=20 n=3 200=12.5,q=00 201=-3.25,q=00 202=1000,q=00",
        "type=100 cot=10",
        "type=103 cot=7",
        "type=45 cot=7 300=1,se=1,qu=0",
        "type=45 cot=7 300=1,se=0,qu=0",
        "type=45 cot=10 300=1,se=0,qu=0",
    ] {
        let line = format!("asdu link={link} pn=0 ca={link} {answer}");
        let parts: Vec<&str> = line.split(' ').collect();
        assert!(
            master.printed(&parts),
            "no line with {parts:?}:\n{}",
            master.seen.join("\n")
        );
    }
}

/// The master's requests came in frames with our link `address`, to common address `ca`.
fn assert_we_got_the_masters_requests(events: &[Seen], address: u16, ca: u16) {
    let got: Vec<_> = received(events, address, Service::Confirmed)
        .into_iter()
        .map(|s| (s.type_id, s.cot, s.ca))
        .collect();
    assert_eq!(
        got,
        [(100, 6, ca), (103, 6, ca), (45, 6, ca), (45, 6, ca)],
        "interrogation, clock synchronisation, select, execute"
    );
}

#[test]
fn the_lib60870_master_interrogates_and_commands_our_unbalanced_secondary() {
    let socat = SocatPair::start();
    let p = params();
    let mut d = Driver::open(socat.b(), UnbalancedSecondary::new(p, 3).unwrap(), p.link);
    let mut master = start_master(socat.a(), "--link-address 3 --ca 3");
    serve_until_complete(&mut d, &mut master, 3, |s, asdu| {
        s.push_class1(asdu).expect("class 1 queue")
    });
    assert_master_saw_our_answers(&master, 3);
    assert_we_got_the_masters_requests(&d.events, 3, 3);
    // lib60870's master: FC 9, FC 0, then FCB = 1 and toggling; a repeated frame was answered
    // with our last answer (and counts as a repeat of the FCB).
    let counted = d.check_their_fcb(Some(3));
    assert!(counted >= 8, "{counted} frames with FCV = 1");
    assert_eq!(
        d.link.queued(),
        (0, 0),
        "the master fetched every class 1 answer"
    );
}

#[test]
fn balanced_our_station_a_and_the_lib60870_slave_exchange_user_data_both_ways() {
    let socat = SocatPair::start();
    let mut slave = start_slave(socat.b(), BALANCED_SLAVE_2, 2);
    let p = params();
    // lib60870's primary sends to our address, 1.
    let d = station_a_interrogates(socat.a(), p, 1, 2, 2);
    slave.collect();
    assert!(slave.printed(&[
        "interrogation",
        "link=2",
        "ca=2",
        "qoi=20",
        "result=confirmed"
    ]));
    // Our primary frames go to address 2 with DIR = 1; lib60870's to address 1 with DIR = 0.
    let sent = d.frames_sent();
    let ours: Vec<_> = sent.iter().filter(|f| f.primary().is_some()).collect();
    assert!(
        ours.iter()
            .all(|f| f.address() == Some(2) && f.dir() == Some(true)),
        "{ours:?}"
    );
    d.check_our_fcb(Some(2));
    let got = d.frames_received();
    let theirs: Vec<_> = got.iter().filter(|f| f.primary().is_some()).collect();
    assert!(theirs.iter().all(|f| f.dir() == Some(false)), "{theirs:?}");
    let counted = d.check_their_fcb(Some(1));
    assert!(counted >= 4, "four ASDUs with FC 3 from lib60870");
}

#[test]
fn balanced_the_lib60870_master_and_our_station_b() {
    let socat = SocatPair::start();
    let p = params();
    let station = Balanced::new(p, Station::B, 2, 1, Instant::now()).unwrap();
    let mut d = Driver::open(socat.b(), station, p.link);
    let mut master = start_master(
        socat.a(),
        "--mode balanced --own-address 1 --link-address 2 --ca 2",
    );
    serve_until_complete(&mut d, &mut master, 2, |s, asdu| {
        s.send(asdu).expect("balanced send queue");
    });
    assert_master_saw_our_answers(&master, 2);
    assert_we_got_the_masters_requests(&d.events, 2, 2);
    // The master's frames to us (address 2) and ours to it (address 1), each with its FCB.
    d.check_their_fcb(Some(2));
    d.check_our_fcb(Some(1));
    assert!(d.events.contains(&Seen::Up(1)));
}

#[test]
fn two_octet_link_addresses_and_balanced_without_address_field_work_with_lib60870() {
    use fieldbridge_iec60870::ft12::{AddressLen, LinkConfig};
    // Unbalanced, link address 4660 (0x1234) in two octets.
    {
        let socat = SocatPair::start();
        let _slave = start_slave(
            socat.b(),
            "--link-address 4660 --link-address-size 2 --ca 5 --spontaneous-ms 0",
            4660,
        );
        let p = Params {
            link: LinkConfig::new(AddressLen::Two),
            ..params()
        };
        let d = primary_interrogates(socat.a(), p, 4660, 5);
        // The address went low octet first: 10 | C | 34 12 | CS | 16.
        assert_eq!(&d.sent[0][2..4], [0x34, 0x12]);
        d.check_our_fcb(Some(4660));
    }
    // Balanced, no link address field at all.
    {
        let socat = SocatPair::start();
        let _slave = start_slave(
            socat.b(),
            "--mode balanced --link-address 0 --other-address 0 --link-address-size 0 \
             --ca 6 --spontaneous-ms 0",
            0,
        );
        let p = Params {
            link: LinkConfig::new(AddressLen::Zero),
            ..params()
        };
        let d = station_a_interrogates(socat.a(), p, 0, 0, 6);
        // 10 | C | CS | 16: four octets.
        assert_eq!(d.sent[0].len(), 4);
        d.check_our_fcb(None);
    }
}
