#![allow(dead_code)] // each test file uses a part of it
//! A controlling station for the simulator tests: our `Link104` over TCP, keeping every ASDU
//! the simulator sends.

use std::net::SocketAddr;
use std::time::Duration;

use fieldbridge_iec60870::link104::{Event, Link104, Params, Role};
use fieldbridge_iec60870::{AsduConfig, OwnedAsdu};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// How long any step may take before a test fails.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// A controlling station: our `Link104` over TCP, keeping every ASDU the simulator sends.
pub struct Master {
    pub stream: TcpStream,
    pub link: Link104,
    pub received: Vec<OwnedAsdu>,
    pub closed: Option<String>,
}

impl Master {
    pub async fn connect(addr: SocketAddr, params: Params) -> Master {
        let stream = TcpStream::connect(addr).await.expect("connect");
        let link = Link104::new(Role::Controlling, params, Instant::now().into_std()).unwrap();
        Master {
            stream,
            link,
            received: Vec::new(),
            closed: None,
        }
    }

    pub async fn flush(&mut self) {
        let mut wire = Vec::new();
        while let Some(frame) = self.link.poll_transmit() {
            wire.extend_from_slice(frame.as_bytes());
        }
        if !wire.is_empty() {
            self.stream.write_all(&wire).await.expect("write");
        }
    }

    /// Runs the connection until `done` holds; fails after [`PATIENCE`].
    pub async fn pump_until(&mut self, mut done: impl FnMut(&Master) -> bool) {
        self.pump(Instant::now() + PATIENCE, &mut done).await;
        assert!(
            done(self),
            "timed out; closed: {:?}; received {} ASDUs, last {:?}",
            self.closed,
            self.received.len(),
            self.received.last()
        );
    }

    /// Runs the connection for `duration` (or until the link closes).
    pub async fn pump_for(&mut self, duration: Duration) {
        self.pump(Instant::now() + duration, &mut |_| false).await;
    }

    pub async fn pump(&mut self, deadline: Instant, done: &mut impl FnMut(&Master) -> bool) {
        let mut buf = vec![0u8; 8192];
        loop {
            self.flush().await;
            if done(self) || self.closed.is_some() || Instant::now() >= deadline {
                return;
            }
            let wake = self
                .link
                .poll_timeout()
                .map_or(deadline, |t| Instant::from_std(t).min(deadline));
            tokio::select! {
                read = self.stream.read(&mut buf) => {
                    let n = read.expect("read");
                    if n == 0 {
                        self.closed = Some("the simulator closed the connection".into());
                        return;
                    }
                    let now = Instant::now().into_std();
                    let (received, closed) = (&mut self.received, &mut self.closed);
                    self.link.on_bytes(&buf[..n], now, |event| match event {
                        Event::Received(asdu) => received.push(
                            OwnedAsdu::decode(asdu, &AsduConfig::IEC104).expect("a valid ASDU"),
                        ),
                        Event::Closed(reason) => *closed = Some(format!("{reason:?}")),
                        _ => {}
                    });
                }
                () = tokio::time::sleep_until(wake) => {
                    if let Some(Event::Closed(reason)) = self.link.on_timeout(Instant::now().into_std()) {
                        self.closed = Some(format!("{reason:?}"));
                    }
                }
            }
        }
    }

    pub async fn send_raw(&mut self, bytes: &[u8]) {
        self.link
            .send_asdu(bytes, Instant::now().into_std())
            .expect("the window has room");
        self.flush().await;
    }

    /// Sends `asdu` and runs until an ASDU that `last` accepts arrives; returns what arrived
    /// after sending, up to and including it.
    pub async fn exchange(
        &mut self,
        asdu: &OwnedAsdu,
        last: impl Fn(&OwnedAsdu) -> bool,
    ) -> Vec<OwnedAsdu> {
        let from = self.received.len();
        let mut bytes = Vec::new();
        asdu.encode(&mut bytes).expect("encode");
        self.send_raw(&bytes).await;
        self.pump_until(|m| m.received[from..].iter().any(&last))
            .await;
        let got = &self.received[from..];
        let end = got.iter().position(&last).unwrap();
        got[..=end].to_vec()
    }
}
