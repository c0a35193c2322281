//! The IEC 104 simulator's link-level behaviour: end of initialization once per connection
//! after its first STARTDT (and not at all when turned off), and a client that stops reading
//! cannot stop the link's timers.

#[path = "common/master104.rs"]
mod master104;

use std::time::Duration;

use fieldbridge_iec60870::link104::{Params, State};
use fieldbridge_iec60870::types::Coi;
use fieldbridge_iec60870::{AsduConfig, Cot, Element, InformationObject, OwnedAsdu, TypeId};
use fieldbridge_sim::{bind_iec104, Iec104Config, Rate};
use master104::{Master, PATIENCE};
use tokio::net::TcpSocket;
use tokio::time::Instant;

fn quiet(end_of_init: bool) -> Iec104Config {
    Iec104Config {
        rate: Rate::Off,
        end_of_init,
        ..Iec104Config::default()
    }
}

async fn connect(config: Iec104Config) -> Master {
    let (addr, _task) = bind_iec104("127.0.0.1:0".parse().unwrap(), config)
        .await
        .expect("bind the simulator");
    Master::connect(addr, Params::default()).await
}

/// (type ID, cause) of each ASDU.
fn kinds(asdus: &[OwnedAsdu]) -> Vec<(TypeId, Cot)> {
    asdus
        .iter()
        .map(|a| (a.header.type_id, a.header.cause))
        .collect()
}

/// Reads point 100 (C_RD_NA_1) and waits for its answer.
async fn read_100(master: &mut Master) {
    let read = OwnedAsdu::new(AsduConfig::IEC104, TypeId::C_RD_NA_1, Cot::REQUEST, 1)
        .with(InformationObject::new(100, Element::Read));
    let from = master.received.len();
    master
        .exchange(&read, |a| a.header.cause == Cot::REQUEST)
        .await;
    assert_eq!(
        kinds(&master.received[from..]),
        [(TypeId::M_SP_NA_1, Cot::REQUEST)]
    );
}

#[tokio::test]
async fn end_of_initialization_comes_once_after_the_first_startdt_of_a_connection() {
    let mut master = connect(quiet(true)).await;
    master
        .pump_until(|m| m.link.state() == State::Started && !m.received.is_empty())
        .await;
    let ei = &master.received[0];
    assert_eq!(
        (ei.header.type_id, ei.header.cause, ei.header.common_address),
        (TypeId::M_EI_NA_1, Cot::INITIALIZED, 1)
    );
    assert_eq!(
        ei.objects(),
        [InformationObject::new(
            0,
            Element::EndOfInitialization(Coi(0))
        )]
    );
    read_100(&mut master).await;

    // STOPDT, STARTDT again: no second end of initialization on this connection.
    let now = Instant::now().into_std();
    master.link.stop_dt(now).unwrap();
    master
        .pump_until(|m| m.link.state() == State::Stopped)
        .await;
    master.link.start_dt(Instant::now().into_std()).unwrap();
    master
        .pump_until(|m| m.link.state() == State::Started)
        .await;
    read_100(&mut master).await;
    assert_eq!(
        kinds(&master.received),
        [
            (TypeId::M_EI_NA_1, Cot::INITIALIZED),
            (TypeId::M_SP_NA_1, Cot::REQUEST),
            (TypeId::M_SP_NA_1, Cot::REQUEST)
        ]
    );
}

#[tokio::test]
async fn end_of_initialization_can_be_turned_off() {
    let mut master = connect(quiet(false)).await;
    master
        .pump_until(|m| m.link.state() == State::Started)
        .await;
    read_100(&mut master).await;
    assert_eq!(kinds(&master.received), [(TypeId::M_SP_NA_1, Cot::REQUEST)]);
}

/// STARTDT act and TESTFR act (IEC 60870-5-104 clause 5.3).
const STARTDT_ACT: [u8; 6] = [0x68, 0x04, 0x07, 0x00, 0x00, 0x00];
const TESTFR_ACT: [u8; 6] = [0x68, 0x04, 0x43, 0x00, 0x00, 0x00];

/// A client that sends TESTFR act without end and never reads: the simulator answers each
/// with TESTFR con until neither socket takes more. A simulator that waited for its writes
/// would stop there for good; ours stops reading but keeps its timers, so t3 sends TESTFR act
/// and t1, unanswered, closes the connection: the client's socket is reset.
#[tokio::test]
async fn a_client_that_stops_reading_is_closed_by_the_link_timers() {
    let config = Iec104Config {
        rate: Rate::Off,
        params: Params {
            t1: Duration::from_secs(1),
            t2: Duration::from_millis(500),
            t3: Duration::from_secs(1),
            ..Params::default()
        },
        ..Iec104Config::default()
    };
    let (addr, _task) = bind_iec104("127.0.0.1:0".parse().unwrap(), config)
        .await
        .unwrap();
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(addr).await.unwrap();
    // One endless stream of whole frames, so that a partial write goes on where it stopped.
    let mut wire = STARTDT_ACT.to_vec();
    wire.extend_from_slice(&TESTFR_ACT);
    let pattern: Vec<u8> = TESTFR_ACT.iter().copied().cycle().take(6 * 4096).collect();
    let mut written: u64 = 0;
    let next = |n: usize, written: &mut u64, wire: &mut Vec<u8>| {
        *written += n as u64;
        wire.clear();
        let at = (*written % 6) as usize;
        wire.extend_from_slice(&pattern[at..]);
    };

    // Fill: write until nothing more is taken for half a second.
    let mut blocked = false;
    while !blocked {
        assert!(
            written < 512 << 20,
            "wrote 512 MiB and the sockets never filled up"
        );
        match tokio::time::timeout(Duration::from_millis(500), stream.writable()).await {
            Err(_) => blocked = true,
            Ok(ready) => {
                // On a busy machine the fill can outlast t3 + t1: the simulator, reading no more,
                // then closes before the sockets are full, which is the behaviour under test.
                let written_now = ready.and_then(|()| stream.try_write(&wire));
                match written_now {
                    Ok(n) => next(n, &mut written, &mut wire),
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    Err(e) if closed_by_peer(&e) => return,
                    Err(e) => panic!("writing to the simulator failed: {e}"),
                }
            }
        }
    }

    // Wait, without reading, for the simulator to close: the next write fails.
    let deadline = Instant::now() + PATIENCE + Duration::from_secs(5);
    loop {
        assert!(
            Instant::now() < deadline,
            "the simulator kept a connection whose client stopped reading ({written} octets written)"
        );
        let ready = tokio::time::timeout(Duration::from_millis(100), stream.writable()).await;
        if ready.is_err() {
            continue;
        }
        match stream.try_write(&wire) {
            Ok(n) => next(n, &mut written, &mut wire),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => {
                assert!(closed_by_peer(&e), "{e}");
                return;
            }
        }
    }
}

/// A write failed because the simulator closed the connection.
fn closed_by_peer(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
    )
}
