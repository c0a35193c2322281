//! A DLMS/COSEM meter simulator: `fieldbridge simulate dlms`.
//!
//! One meter ([`Meter`]: a clock, energy registers with scalers, a voltage, a serial number, a
//! load profile that grows by one entry every simulated period, a disconnect control) shared
//! by every connection, each connection with its own association ([`Session`]: authentication
//! none, low or high-gmac, security suite 0 ciphering with every GCM tag checked, GET with
//! block transfer, SET, ACTION, release), over the TCP wrapper (IEC 62056-47) or HDLC over TCP
//! (IEC 62056-46, the link run by
//! [`hdlc::link::Server`](fieldbridge_dlms::hdlc::link::Server)). The meter's clock is the
//! system clock at start plus the time passed since, times [`DlmsConfig::speed`], plus what a
//! clock SET moved it by.
//!
//! Security state is the process's, as in a real meter ([`Counters`]): one frame counter for
//! everything the meter ciphers (every connection's answers and the pushes), and the last
//! frame counter accepted from each client SAP, kept across associations. An association
//! lasts as long as its transport: an HDLC DISC or a new SNRM ends it, and so does the TCP
//! connection closing.
//!
//! For tests of a client's error handling, [`DlmsConfig::fault`] makes the next answers wrong
//! on purpose (garbage, a replayed frame counter, another key, silence, a broken HDLC check
//! sequence: [`fault`]), then the meter behaves again.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use fieldbridge_sim::dlms::Authentication;
//! use fieldbridge_sim::{bind_dlms, DlmsConfig};
//! let config = DlmsConfig {
//!     authentication: Authentication::Low(b"12345678".to_vec()),
//!     ..DlmsConfig::default()
//! };
//! let (addr, server) = bind_dlms("127.0.0.1:0".parse().unwrap(), config).await?;
//! println!("meter on {addr}");
//! server.await??;
//! # Ok(()) }
//! ```

pub mod counters;
pub mod fault;
pub mod meter;
pub mod push;
pub mod session;
#[cfg(test)]
mod tests;

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use fieldbridge_dlms::security::{Keys, SecurityPolicy, SystemTitle};
use fieldbridge_dlms::wrapper::{OwnedWrapperPdu, StreamSplitter};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

pub use counters::Counters;
pub use fault::{Fault, FaultKind};
pub use meter::Meter;
pub use session::{Authentication, Reply, Session, SessionConfig, SERVER_MAX_PDU};

/// The simulator's settings.
#[derive(Debug, Clone)]
pub struct DlmsConfig {
    /// The authentication a client must pass.
    pub authentication: Authentication,
    /// The keys (global unicast encryption key and authentication key, for high-gmac).
    pub keys: Keys,
    /// The meter's system title.
    pub system_title: SystemTitle,
    /// Security suite 0 with this policy (`None`: no ciphering).
    pub security: Option<SecurityPolicy>,
    /// The load profile's capture period.
    pub period: Duration,
    /// Profile entries already captured at start, one a period before it (at most
    /// [`meter::PROFILE_ENTRIES`]), as in a meter that has been running: a reader has rows at
    /// once.
    pub history: u32,
    /// Simulated seconds per real second (at least 1).
    pub speed: u32,
    /// The serial number (0-0:96.1.0*255).
    pub serial: String,
    /// Push mode: send a DataNotification to this address over TCP every `push_interval`.
    pub push: Option<SocketAddr>,
    /// How often to push (real time).
    pub push_interval: Duration,
    /// HDLC over TCP (IEC 62056-46) instead of the wrapper: the server answers at logical
    /// address 1, physical address 17 (two octets, as the Gurux meter in tests/peers does).
    pub hdlc: bool,
    /// For tests: this many answers in open associations spoiled this way, then none
    /// ([`fault`]).
    pub fault: Option<Fault>,
}

impl Default for DlmsConfig {
    fn default() -> Self {
        DlmsConfig {
            authentication: Authentication::None,
            keys: Keys::default(),
            system_title: *b"FBS00001",
            security: None,
            period: Duration::from_secs(15 * 60),
            history: 0,
            speed: 1,
            serial: "FB0000000001".to_owned(),
            hdlc: false,
            push: None,
            push_interval: Duration::from_secs(60),
            fault: None,
        }
    }
}

/// The meter, the time it started and the security counters, shared by the connections and
/// the push task.
#[derive(Debug)]
struct Shared {
    meter: Mutex<Meter>,
    started: Instant,
    start: i64,
    speed: u32,
    counters: Arc<Counters>,
    /// The faults still to inject, over every connection.
    faults: Arc<fault::Faults>,
}

impl Shared {
    fn new(config: &DlmsConfig) -> Self {
        let start = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
        let period = u32::try_from(config.period.as_secs())
            .unwrap_or(u32::MAX)
            .max(1);
        let history = i64::from(config.history.min(meter::PROFILE_ENTRIES));
        let mut meter = Meter::new(&config.serial, start - history * i64::from(period), period);
        meter.advance(start);
        Shared {
            meter: Mutex::new(meter),
            started: Instant::now(),
            start,
            speed: config.speed.max(1),
            counters: Arc::new(Counters::new()),
            faults: Arc::new(fault::Faults::new(config.fault)),
        }
    }

    /// Brings the meter's clock to now, then runs `f` on it.
    fn with_meter<T>(&self, f: impl FnOnce(&mut Meter) -> T) -> T {
        let elapsed = self.started.elapsed().as_secs_f64() * f64::from(self.speed);
        let mut meter = self.meter.lock().unwrap_or_else(|e| e.into_inner());
        meter.advance(self.start + elapsed as i64);
        f(&mut meter)
    }
}

/// Binds `listen` (port 0 picks a free port) and serves the simulator on a spawned task.
///
/// # Errors
/// Binding fails.
pub async fn bind_dlms(
    listen: SocketAddr,
    config: DlmsConfig,
) -> io::Result<(SocketAddr, JoinHandle<io::Result<()>>)> {
    let listener = TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    Ok((addr, tokio::spawn(serve_dlms_listener(listener, config))))
}

/// Binds `listen` and serves the simulator until accepting fails.
///
/// # Errors
/// Binding or accepting fails.
pub async fn serve_dlms(listen: SocketAddr, config: DlmsConfig) -> io::Result<()> {
    serve_dlms_listener(TcpListener::bind(listen).await?, config).await
}

/// Serves the simulator over the TCP wrapper on a bound listener, one task per connection.
///
/// # Errors
/// Accepting fails.
pub async fn serve_dlms_listener(listener: TcpListener, config: DlmsConfig) -> io::Result<()> {
    let addr = listener.local_addr()?;
    tracing::info!(%addr, authentication = ?config.authentication, period = ?config.period, "dlms simulator listening");
    let shared = Arc::new(Shared::new(&config));
    if let Some(destination) = config.push {
        tokio::spawn(push_loop(destination, config.clone(), shared.clone()));
    }
    let mut connections = 0u64;
    loop {
        let (stream, peer) = listener.accept().await?;
        connections += 1;
        tracing::info!(%peer, "dlms client connected");
        let session = Session::new(
            SessionConfig {
                authentication: config.authentication.clone(),
                keys: config.keys.clone(),
                system_title: config.system_title,
                security: config.security,
            },
            shared.start as u64 ^ connections.wrapping_mul(0x9E37_79B9_7F4A_7C15),
            shared.counters.clone(),
        );
        let shared = shared.clone();
        let hdlc = config.hdlc;
        let injector = fault::Injector::new(
            shared.faults.clone(),
            hdlc,
            config.keys.clone(),
            config.system_title,
            config.security,
        );
        tokio::spawn(async move {
            let served = if hdlc {
                serve_hdlc(stream, session, injector, &shared).await
            } else {
                serve_wrapper(stream, session, injector, &shared).await
            };
            match served {
                Ok(()) => tracing::info!(%peer, "dlms connection closed"),
                Err(error) => tracing::info!(%peer, %error, "dlms connection ended"),
            }
        });
    }
}

/// One connection over the wrapper: each PDU's APDU to the session, each answer back with
/// the wPorts swapped (or what the injector puts in its place).
async fn serve_wrapper(
    mut stream: TcpStream,
    mut session: Session,
    mut injector: fault::Injector,
    shared: &Shared,
) -> io::Result<()> {
    let mut splitter = StreamSplitter::new(usize::from(SERVER_MAX_PDU) * 2);
    let mut buf = vec![0u8; 4096];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        splitter.push(buf.get(..n).unwrap_or_default());
        loop {
            let (reply, source, destination) = match splitter.next_pdu() {
                Ok(Some(pdu)) => {
                    let client = pdu.source;
                    injector.request(pdu.apdu, session.associated());
                    let reply = shared.with_meter(|meter| session.handle(meter, client, pdu.apdu));
                    (reply, pdu.destination, pdu.source)
                }
                Ok(None) => break,
                Err(error) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        error.to_string(),
                    ))
                }
            };
            let (apdu, close) = match reply {
                Reply::Send(apdu) => match injector.answer(apdu) {
                    fault::Outgoing::Apdu(apdu) => (apdu, false),
                    fault::Outgoing::Raw(octets) => {
                        stream.write_all(&octets).await?;
                        continue;
                    }
                    fault::Outgoing::Nothing => continue,
                },
                Reply::SendAndClose(apdu) => (apdu, true),
                Reply::Close => return Ok(()),
            };
            let mut out = Vec::new();
            OwnedWrapperPdu::new(source, destination, apdu)
                .encode(&mut out)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
            stream.write_all(&out).await?;
            if close {
                return Ok(());
            }
        }
    }
}

/// One connection with HDLC over TCP: bytes to the link, each APDU it delivers to the session,
/// each answer back through the link (segmented as negotiated), the link's timers kept. The
/// association lives as long as the link: a DISC (or the inactivity timeout) and a new SNRM
/// end it, so the next one starts from AARQ.
async fn serve_hdlc(
    mut stream: TcpStream,
    mut session: Session,
    mut injector: fault::Injector,
    shared: &Shared,
) -> io::Result<()> {
    use fieldbridge_dlms::hdlc::link::{Config, Event, Server};
    use fieldbridge_dlms::hdlc::Address;

    let server = Address::server(1, Some(17))
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
    let mut link = Server::new(Config {
        server,
        ..Config::default()
    });
    let mut buf = vec![0u8; 4096];
    loop {
        let timeout = link.poll_timeout();
        tokio::select! {
            read = stream.read(&mut buf) => {
                let n = read?;
                if n == 0 {
                    return Ok(());
                }
                link.handle_input(Instant::now(), buf.get(..n).unwrap_or_default());
            }
            () = async {
                match timeout {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            } => link.handle_timeout(Instant::now()),
        }
        while let Some(event) = link.poll_event() {
            match event {
                Event::Data(apdu) => {
                    let client = link.client().map_or(0, |a| a.upper());
                    injector.request(&apdu, session.associated());
                    let answer =
                        match shared.with_meter(|meter| session.handle(meter, client, &apdu)) {
                            Reply::Send(answer) => injector.answer(answer),
                            Reply::SendAndClose(answer) => {
                                injector.closing();
                                fault::Outgoing::Apdu(answer)
                            }
                            Reply::Close => return Ok(()),
                        };
                    match answer {
                        fault::Outgoing::Apdu(answer) => {
                            if let Err(error) = link.send(&answer) {
                                tracing::info!(?error, "dlms simulator: an answer not sent");
                            }
                        }
                        fault::Outgoing::Raw(octets) => stream.write_all(&octets).await?,
                        fault::Outgoing::Nothing => {}
                    }
                }
                Event::Connected(_) => {
                    if session.associated() {
                        tracing::info!("dlms hdlc link reset by SNRM: the association ends");
                    }
                    session.reset();
                    injector.end_association();
                }
                Event::Disconnected(reason) => {
                    tracing::info!(?reason, "dlms hdlc link closed: the association ends");
                    session.reset();
                    injector.end_association();
                }
                other => tracing::debug!(?other, "dlms hdlc link"),
            }
        }
        while let Some(frame) = link.poll_transmit(Instant::now()) {
            stream.write_all(&injector.frame(frame)).await?;
        }
    }
}

/// Pushes a DataNotification to `destination` every interval, a TCP connection each; a
/// destination that does not listen is logged and tried again at the next interval.
async fn push_loop(destination: SocketAddr, config: DlmsConfig, shared: Arc<Shared>) {
    let mut pusher = push::Pusher::new(
        config.keys,
        config.system_title,
        config.security,
        shared.counters.clone(),
    );
    let mut ticker = tokio::time::interval(config.push_interval.max(Duration::from_millis(10)));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let Some(apdu) = shared.with_meter(|meter| pusher.next(meter)) else {
            tracing::warn!("dlms simulator: the push cannot be ciphered; push mode stops");
            return;
        };
        let mut out = Vec::new();
        if OwnedWrapperPdu::new(1, 0x10, apdu)
            .encode(&mut out)
            .is_err()
        {
            continue;
        }
        let sent = async {
            let mut stream = TcpStream::connect(destination).await?;
            stream.write_all(&out).await?;
            stream.shutdown().await
        };
        match sent.await {
            Ok(()) => tracing::debug!(%destination, "dlms push sent"),
            Err(error) => tracing::info!(%destination, %error, "dlms push not delivered"),
        }
    }
}
