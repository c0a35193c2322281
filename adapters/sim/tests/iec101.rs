//! The IEC 101 simulator driven by the codec's own controlling stations over an in-memory
//! line: `UnbalancedPrimary` polling two secondaries (each its own station), and `Balanced`
//! station A talking to the simulator's station B. End of initialization, interrogation,
//! select-before-operate, ACD, and spontaneous changes counted without a loss.

use std::time::{Duration, Instant as StdInstant};

use fieldbridge_iec60870::asdu::{CaLen, CotLen, IoaLen};
use fieldbridge_iec60870::ft12::{AddressLen, LinkConfig};
use fieldbridge_iec60870::link101::{
    Balanced, Event, Params, Service, Station, Transmit, UnbalancedPrimary,
};
use fieldbridge_iec60870::types::{Qoi, Qu, Sco, Siq};
use fieldbridge_iec60870::{AsduConfig, Cot, Element, InformationObject, OwnedAsdu, TypeId};
use fieldbridge_sim::iec104::{Kind, POINTS};
use fieldbridge_sim::{serve_iec101_stream, Iec101Config, Iec101Mode, Rate, Sizes};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::time::Instant;

/// How long any step may take before a test fails.
const PATIENCE: Duration = Duration::from_secs(10);

/// What the controlling station saw.
#[derive(Debug, Clone, PartialEq)]
enum Seen {
    Data(u16, Service, OwnedAsdu),
    Up(u16),
    AccessDemand(u16),
    Confirmed,
}

/// The two controlling stations of the codec, behind one face.
trait Link {
    fn poll_transmit(&mut self, now: StdInstant) -> Option<Transmit>;
    fn poll_timeout(&self) -> Option<StdInstant>;
    fn on_bytes(&mut self, data: &[u8], now: StdInstant, on_event: &mut dyn FnMut(Event<'_>));
    fn on_timeout(&mut self, now: StdInstant, on_event: &mut dyn FnMut(Event<'_>));
}

impl Link for UnbalancedPrimary {
    fn poll_transmit(&mut self, now: StdInstant) -> Option<Transmit> {
        UnbalancedPrimary::poll_transmit(self, now)
    }
    fn poll_timeout(&self) -> Option<StdInstant> {
        UnbalancedPrimary::poll_timeout(self)
    }
    fn on_bytes(&mut self, data: &[u8], now: StdInstant, on_event: &mut dyn FnMut(Event<'_>)) {
        UnbalancedPrimary::on_bytes(self, data, now, on_event);
    }
    fn on_timeout(&mut self, now: StdInstant, on_event: &mut dyn FnMut(Event<'_>)) {
        UnbalancedPrimary::on_timeout(self, now, on_event);
    }
}

impl Link for Balanced {
    fn poll_transmit(&mut self, now: StdInstant) -> Option<Transmit> {
        Balanced::poll_transmit(self, now)
    }
    fn poll_timeout(&self) -> Option<StdInstant> {
        Balanced::poll_timeout(self)
    }
    fn on_bytes(&mut self, data: &[u8], now: StdInstant, on_event: &mut dyn FnMut(Event<'_>)) {
        Balanced::on_bytes(self, data, now, on_event);
    }
    fn on_timeout(&mut self, now: StdInstant, on_event: &mut dyn FnMut(Event<'_>)) {
        Balanced::on_timeout(self, now, on_event);
    }
}

/// A controlling station on the simulator's line, keeping everything it saw.
struct Master<L> {
    link: L,
    line: DuplexStream,
    asdu: AsduConfig,
    seen: Vec<Seen>,
}

impl<L: Link> Master<L> {
    /// Starts the simulator with `config` on one end of an in-memory line, `link` on the other.
    fn start(link: L, config: Iec101Config) -> Self {
        let (line, theirs) = tokio::io::duplex(4096);
        let asdu = config.sizes.asdu;
        tokio::spawn(async move {
            if let Err(error) = serve_iec101_stream(theirs, config).await {
                eprintln!("simulator ended: {error}");
            }
        });
        Self {
            link,
            line,
            asdu,
            seen: Vec::new(),
        }
    }

    /// Runs the line until `done` holds; fails after [`PATIENCE`].
    async fn pump_until(&mut self, what: &str, done: impl Fn(&[Seen]) -> bool) {
        let deadline = Instant::now() + PATIENCE;
        let mut buf = vec![0u8; 1024];
        loop {
            let now = Instant::now().into_std();
            while let Some(frame) = self.link.poll_transmit(now) {
                self.line.write_all(frame.as_bytes()).await.unwrap();
            }
            if done(&self.seen) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "no {what} within {PATIENCE:?}; saw {:#?}",
                self.seen
            );
            let wake = self
                .link
                .poll_timeout()
                .map_or(deadline, |t| Instant::from_std(t).min(deadline));
            let (seen, asdu) = (&mut self.seen, self.asdu);
            let mut record = |event: Event<'_>| match event {
                Event::UserData {
                    address,
                    service,
                    asdu: bytes,
                } => {
                    let decoded = OwnedAsdu::decode(bytes, &asdu).expect("a valid ASDU");
                    seen.push(Seen::Data(address, service, decoded));
                }
                Event::LinkUp { address } => seen.push(Seen::Up(address)),
                Event::AccessDemand { address } => seen.push(Seen::AccessDemand(address)),
                Event::Confirmed { .. } => seen.push(Seen::Confirmed),
                _ => {}
            };
            tokio::select! {
                read = self.line.read(&mut buf) => {
                    let n = read.unwrap();
                    assert!(n > 0, "the simulator closed the line");
                    self.link.on_bytes(&buf[..n], Instant::now().into_std(), &mut record);
                }
                () = tokio::time::sleep_until(wake) => {
                    self.link.on_timeout(Instant::now().into_std(), &mut record);
                }
            }
        }
    }

    fn encode(&self, type_id: TypeId, cause: Cot, ca: u16, object: InformationObject) -> Vec<u8> {
        let mut bytes = Vec::new();
        OwnedAsdu::new(self.asdu, type_id, cause, ca)
            .with(object)
            .encode(&mut bytes)
            .unwrap();
        bytes
    }
}

/// The ASDUs from link `address`, in order.
fn from(seen: &[Seen], address: u16) -> Vec<&OwnedAsdu> {
    seen.iter()
        .filter_map(|s| match s {
            Seen::Data(a, _, asdu) if *a == address => Some(asdu),
            _ => None,
        })
        .collect()
}

/// How many ASDUs of `type_id` with `cause` came from link `address`.
fn count(seen: &[Seen], address: u16, type_id: TypeId, cause: Cot) -> usize {
    from(seen, address)
        .iter()
        .filter(|a| a.header.type_id == type_id && a.header.cause == cause)
        .count()
}

fn params(address_len: AddressLen) -> Params {
    Params {
        link: LinkConfig::new(address_len),
        response_timeout: Duration::from_millis(500),
        poll_interval: Duration::from_millis(20),
        link_retry: Duration::from_millis(500),
        ..Params::default()
    }
}

fn sim(mode: Iec101Mode, addresses: &[u16], rate: Rate) -> Iec101Config {
    Iec101Config {
        mode,
        link_addresses: addresses.to_vec(),
        rate,
        ..Iec101Config::default()
    }
}

/// (type ID, cause, P/N, common address) of ASDUs.
fn shapes(asdus: &[&OwnedAsdu]) -> Vec<(u8, u8, bool, u16)> {
    asdus
        .iter()
        .map(|a| {
            let h = &a.header;
            (h.type_id.0, h.cause.0, h.negative, h.common_address)
        })
        .collect()
}

fn interrogation() -> InformationObject {
    InformationObject::new(0, Element::Interrogation(Qoi::STATION))
}

fn single(ioa: u32, on: bool, select: bool) -> InformationObject {
    InformationObject::new(
        ioa,
        Element::SingleCommand(Sco::new(on, Qu::DEFAULT, select)),
    )
}

/// The IOAs a station interrogation answers (with COT 20).
fn station_points() -> Vec<u32> {
    POINTS
        .iter()
        .filter(|p| p.group != 0 && p.kind != Kind::Counter)
        .map(|p| p.ioa)
        .collect()
}

/// The IOAs that came from `address` with COT 20, sorted.
fn interrogated(seen: &[Seen], address: u16) -> Vec<u32> {
    let mut ioas: Vec<u32> = from(seen, address)
        .iter()
        .filter(|a| a.header.cause == Cot::INTERROGATED_BY_STATION)
        .flat_map(|a| a.objects().iter().map(|o| o.address))
        .collect();
    ioas.sort_unstable();
    ioas
}

/// Sends `asdu` with `send` and runs until `count` ASDUs of `type_id` with `cause` came from
/// link `address`; returns what came from it meanwhile.
async fn exchange<L: Link>(
    m: &mut Master<L>,
    send: impl FnOnce(&mut L),
    (address, type_id, cause): (u16, TypeId, Cot),
) -> Vec<OwnedAsdu> {
    let before = from(&m.seen, address).len();
    let wanted = count(&m.seen, address, type_id, cause) + 1;
    send(&mut m.link);
    m.pump_until(&format!("{type_id:?} {cause:?} from {address}"), |s| {
        count(s, address, type_id, cause) >= wanted
    })
    .await;
    from(&m.seen, address)[before..]
        .iter()
        .map(|a| (*a).clone())
        .collect()
}

/// (type ID, cause, P/N) of owned ASDUs.
fn kinds(asdus: &[OwnedAsdu]) -> Vec<(u8, u8, bool)> {
    asdus
        .iter()
        .map(|a| (a.header.type_id.0, a.header.cause.0, a.header.negative))
        .collect()
}

fn is_ei(s: &Seen) -> bool {
    matches!(s, Seen::Data(_, _, a) if a.header.type_id == TypeId::M_EI_NA_1)
}

#[tokio::test]
async fn two_secondaries_on_one_line_answer_as_stations_of_their_own() {
    let p = params(AddressLen::One);
    let primary = UnbalancedPrimary::new(p, &[1, 2], StdInstant::now()).unwrap();
    let mut m = Master::start(primary, sim(Iec101Mode::Unbalanced, &[1, 2], Rate::Off));
    m.pump_until("both ends of initialization", |s| {
        s.iter().filter(|e| is_ei(e)).count() == 2
    })
    .await;
    // End of initialization first, from each station's own common address (its link address).
    for address in [1, 2] {
        assert_eq!(shapes(&from(&m.seen, address)), [(70, 4, false, address)]);
    }

    // A station interrogation of each: actcon, every point, actterm.
    for address in [1u16, 2] {
        let gi = m.encode(TypeId::C_IC_NA_1, Cot::ACTIVATION, address, interrogation());
        let got = exchange(
            &mut m,
            |l| {
                l.send(address, &gi).unwrap();
            },
            (address, TypeId::C_IC_NA_1, Cot::ACTIVATION_TERMINATION),
        )
        .await;
        assert_eq!(kinds(&got[..1]), [(100, 7, false)]);
        assert_eq!(interrogated(&m.seen, address), station_points());
        for asdu in &got {
            assert_eq!(asdu.header.common_address, address);
        }
    }
    // Every ASDU came as class 1 data, and ACD told the master to fetch it.
    for s in &m.seen {
        if let Seen::Data(_, service, _) = s {
            assert_eq!(*service, Service::Class1);
        }
    }
    for address in [1, 2] {
        assert!(m.seen.contains(&Seen::AccessDemand(address)), "{address}");
    }

    // Select-before-operate at 1001 of station 2: only station 2's 2001 turns on.
    let select = m.encode(
        TypeId::C_SC_NA_1,
        Cot::ACTIVATION,
        2,
        single(1001, true, true),
    );
    let got = exchange(
        &mut m,
        |l| {
            l.send(2, &select).unwrap();
        },
        (2, TypeId::C_SC_NA_1, Cot::ACTIVATION_CON),
    )
    .await;
    assert_eq!(kinds(&got), [(45, 7, false)]);
    let execute = m.encode(
        TypeId::C_SC_NA_1,
        Cot::ACTIVATION,
        2,
        single(1001, true, false),
    );
    let got = exchange(
        &mut m,
        |l| {
            l.send(2, &execute).unwrap();
        },
        (2, TypeId::C_SC_NA_1, Cot::ACTIVATION_TERMINATION),
    )
    .await;
    assert_eq!(
        kinds(&got),
        [(45, 7, false), (1, 11, false), (45, 10, false)]
    );
    assert_eq!(
        got[1].objects(),
        [InformationObject::new(
            2001,
            Element::SinglePoint(Siq::new(true))
        )]
    );
    for (address, on) in [(1u16, false), (2, true)] {
        let read = m.encode(
            TypeId::C_RD_NA_1,
            Cot::REQUEST,
            address,
            InformationObject::new(2001, Element::Read),
        );
        let got = exchange(
            &mut m,
            |l| {
                l.send(address, &read).unwrap();
            },
            (address, TypeId::M_SP_NA_1, Cot::REQUEST),
        )
        .await;
        assert_eq!(
            got.last().unwrap().objects(),
            [InformationObject::new(
                2001,
                Element::SinglePoint(Siq::new(on))
            )],
            "station {address}"
        );
    }
    // An execute without its select is refused.
    let got = exchange(
        &mut m,
        |l| {
            l.send(1, &m_execute(1)).unwrap();
        },
        (1, TypeId::C_SC_NA_1, Cot::ACTIVATION_CON),
    )
    .await;
    assert_eq!(kinds(&got), [(45, 7, true)]);
}

/// An execute of the single command at 1001 of common address `ca`, with the default sizes.
fn m_execute(ca: u16) -> Vec<u8> {
    let mut bytes = Vec::new();
    OwnedAsdu::new(
        Sizes::default().asdu,
        TypeId::C_SC_NA_1,
        Cot::ACTIVATION,
        ca,
    )
    .with(single(1001, true, false))
    .encode(&mut bytes)
    .unwrap();
    bytes
}

/// The float values of M_ME_NC_1 at 320 with COT 3 from `address`, in order.
fn floats(seen: &[Seen], address: u16) -> Vec<f32> {
    from(seen, address)
        .iter()
        .filter(|a| a.header.cause == Cot::SPONTANEOUS)
        .filter_map(|a| match a.objects()[0].element {
            Element::Float { value, .. } => Some(value),
            _ => None,
        })
        .collect()
}

fn counts_up(values: &[f32]) {
    for (i, value) in values.iter().enumerate() {
        assert_eq!(*value, (i + 1) as f32, "change {} lost or repeated", i + 1);
    }
}

#[tokio::test]
async fn a_flood_on_two_secondaries_loses_no_change_however_slowly_they_are_polled() {
    let p = Params {
        poll_interval: Duration::from_millis(1),
        ..params(AddressLen::One)
    };
    let primary = UnbalancedPrimary::new(p, &[1, 2], StdInstant::now()).unwrap();
    let config = Iec101Config {
        points: Some(vec![320]),
        ..sim(Iec101Mode::Unbalanced, &[1, 2], Rate::Flood)
    };
    let mut m = Master::start(primary, config);
    m.pump_until("300 changes from each station", |s| {
        floats(s, 1).len() >= 300 && floats(s, 2).len() >= 300
    })
    .await;
    counts_up(&floats(&m.seen, 1));
    counts_up(&floats(&m.seen, 2));
}

#[tokio::test]
async fn a_common_address_given_is_every_stations() {
    let p = params(AddressLen::One);
    let primary = UnbalancedPrimary::new(p, &[1, 2], StdInstant::now()).unwrap();
    let config = Iec101Config {
        common_address: Some(9),
        ..sim(Iec101Mode::Unbalanced, &[1, 2], Rate::Off)
    };
    let mut m = Master::start(primary, config);
    m.pump_until("both ends of initialization", |s| {
        s.iter().filter(|e| is_ei(e)).count() == 2
    })
    .await;
    // Station 1 answers CA 9; CA 1 is unknown to it now (COT 46).
    let got = exchange(
        &mut m,
        |l| {
            l.send(1, &m_execute(1)).unwrap();
        },
        (1, TypeId::C_SC_NA_1, Cot::UNKNOWN_COMMON_ADDRESS),
    )
    .await;
    assert_eq!(kinds(&got), [(45, 46, true)]);
    for address in [1, 2] {
        assert_eq!(shapes(&from(&m.seen, address))[0], (70, 4, false, 9));
    }
}

#[tokio::test]
async fn a_balanced_station_with_two_octet_fields_interrogates_commands_and_counts() {
    let sizes: Sizes = "2,2,2,3".parse().unwrap();
    assert_eq!(
        sizes.asdu,
        AsduConfig::new(CotLen::Two, CaLen::Two, IoaLen::Three)
    );
    let p = params(AddressLen::Two);
    // Our station A has link address 700, the simulator's station B 300.
    let a = Balanced::new(p, Station::A, 700, 300, StdInstant::now()).unwrap();
    let config = Iec101Config {
        remote_address: 700,
        sizes,
        points: Some(vec![320]),
        rate: Rate::PerSecond(50),
        ..sim(Iec101Mode::Balanced, &[300], Rate::Off)
    };
    let mut m = Master::start(a, config);
    m.pump_until("end of initialization", |s| s.iter().any(is_ei))
        .await;
    // Frames of station B carry our address when it sends, its own when it answers; the data
    // come by SEND/CONFIRM with our link address.
    assert!(m.seen.contains(&Seen::Up(300)));
    assert!(
        matches!(&m.seen.iter().find(|s| matches!(s, Seen::Data(..))),
        Some(Seen::Data(700, Service::Confirmed, a)) if a.header.type_id == TypeId::M_EI_NA_1 && a.header.common_address == 300)
    );

    let gi = m.encode(TypeId::C_IC_NA_1, Cot::ACTIVATION, 300, interrogation());
    let got = exchange(
        &mut m,
        |l| {
            l.send(&gi).unwrap();
        },
        (700, TypeId::C_IC_NA_1, Cot::ACTIVATION_TERMINATION),
    )
    .await;
    assert_eq!(
        kinds(
            &got.iter()
                .filter(|a| a.header.cause != Cot::SPONTANEOUS)
                .cloned()
                .collect::<Vec<_>>()[..1]
        ),
        [(100, 7, false)]
    );
    assert_eq!(interrogated(&m.seen, 700), station_points());

    let select = m.encode(
        TypeId::C_SC_NA_1,
        Cot::ACTIVATION,
        300,
        single(1001, true, true),
    );
    exchange(
        &mut m,
        |l| {
            l.send(&select).unwrap();
        },
        (700, TypeId::C_SC_NA_1, Cot::ACTIVATION_CON),
    )
    .await;
    let execute = m.encode(
        TypeId::C_SC_NA_1,
        Cot::ACTIVATION,
        300,
        single(1001, true, false),
    );
    let got = exchange(
        &mut m,
        |l| {
            l.send(&execute).unwrap();
        },
        (700, TypeId::C_SC_NA_1, Cot::ACTIVATION_TERMINATION),
    )
    .await;
    let answers: Vec<OwnedAsdu> = got
        .into_iter()
        .filter(|a| a.header.cause != Cot::SPONTANEOUS)
        .collect();
    assert_eq!(
        kinds(&answers),
        [(45, 7, false), (1, 11, false), (45, 10, false)]
    );

    m.pump_until("20 changes", |s| floats(s, 700).len() >= 20)
        .await;
    counts_up(&floats(&m.seen, 700));
}
