//! Periodic system commands of the IEC 104 source against a controlled station on loopback.

use std::sync::Arc;
use std::time::{Duration, Instant as StdInstant};

use fieldbridge_core::source::SourceStats;
use fieldbridge_iec60870::asdu::{Cot, TypeId};
use fieldbridge_iec60870::link104::{Event, Link104, Params, Role};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::run;
use super::tests::{no_commands, source};
use fieldbridge_core::config::Iec104Link;

/// A controlled station that confirms every system command of the master (the ASDU mirrored
/// with COT 7, and for an interrogation COT 10 after it) for `stop_after`, and returns their type
/// IDs in the order they came.
async fn confirming_outstation(stream: TcpStream, stop_after: Duration) -> Vec<TypeId> {
    let (mut rd, mut wr) = stream.into_split();
    let Ok(mut link) = Link104::new(Role::Controlled, Params::default(), StdInstant::now()) else {
        return Vec::new();
    };
    let mut received = Vec::new();
    let mut buf = vec![0u8; 4096];
    let end = tokio::time::Instant::now() + stop_after;
    loop {
        while let Some(frame) = link.poll_transmit() {
            if wr.write_all(frame.as_bytes()).await.is_err() {
                return received;
            }
        }
        tokio::select! {
            read = rd.read(&mut buf) => {
                let Ok(n @ 1..) = read else { return received };
                let mut asdus = Vec::new();
                link.on_bytes(buf.get(..n).unwrap_or_default(), StdInstant::now(), |e| {
                    if let Event::Received(a) = e {
                        asdus.push(a.to_vec());
                    }
                });
                for mut bytes in asdus {
                    if let Some(&type_id) = bytes.first() {
                        received.push(TypeId(type_id));
                    }
                    if let Some(cot) = bytes.get_mut(2) {
                        *cot = Cot::ACTIVATION_CON.0;
                    }
                    let _ = link.send_asdu(&bytes, StdInstant::now());
                    if bytes.first() == Some(&TypeId::C_IC_NA_1.0) {
                        if let Some(cot) = bytes.get_mut(2) {
                            *cot = Cot::ACTIVATION_TERMINATION.0;
                        }
                        let _ = link.send_asdu(&bytes, StdInstant::now());
                    }
                }
            }
            _ = tokio::time::sleep_until(end) => return received,
        }
    }
}

#[tokio::test]
async fn the_clock_is_set_again_with_every_periodic_interrogation() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let mut config = source(port, Iec104Link::default(), vec![]);
    config.master.clock_sync = true;
    config.master.interrogation = Some(Duration::from_millis(300));
    let (tx, _rx) = fieldbridge_core::event::channel(64);
    let task = tokio::spawn(run(
        "d".into(),
        config,
        tx,
        Arc::new(SourceStats::new()),
        no_commands(),
    ));
    let (stream, _) = listener.accept().await.expect("accept");
    let received = confirming_outstation(stream, Duration::from_millis(800)).await;
    task.abort();
    let gi = received.iter().filter(|t| **t == TypeId::C_IC_NA_1).count();
    let cs = received.iter().filter(|t| **t == TypeId::C_CS_NA_1).count();
    // After connect, then at 300 and 600 ms: an interrogation and a clock sync each time.
    assert!(gi >= 3, "{received:?}");
    assert_eq!(cs, gi, "{received:?}");
}
