//! HDLC (IEC 62056-46, DLMS UA 1000-2 Ed. 10 clause 8.4) on a serial line (RS-485, an
//! optical probe already in HDLC mode E at its baud rate) or over TCP, as meters behind terminal
//! servers speak it: the codec's sans-IO [`Client`] link machine driven on a tokio stream, the
//! time passed in.
//!
//! The link is opened with SNRM/UA for one poll cycle and closed with DISC (answered by UA, or DM
//! when the meter already dropped it) before the connection or the port is: a meter that accepts
//! one link at a time is free again at once, rather than after its inactivity timeout.

use std::fmt;
use std::time::Duration;

use fieldbridge_core::config::{Parity, SerialSettings};
use fieldbridge_dlms::hdlc::link::{Client, Config, Disconnect, Event, State};
use fieldbridge_dlms::hdlc::Address;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use fieldbridge_core::source::Counter;

use crate::link::{LinkError, Reporter};

/// What an HDLC link runs on: a TCP connection or a serial port.
trait Line: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + fmt::Debug> Line for T {}

/// Where an HDLC link goes.
#[derive(Debug, Clone, Copy)]
pub enum Endpoint<'a> {
    /// `host:port` of a meter or a terminal server.
    Tcp(&'a str),
    /// A serial port.
    Serial(&'a SerialSettings),
}

/// One HDLC link over a TCP connection or a serial line.
#[derive(Debug)]
pub struct HdlcLink {
    stream: Box<dyn Line>,
    link: Client,
    buf: Vec<u8>,
    timeout: Duration,
    reporter: Reporter,
    /// The frames that did not check, counted so far.
    bad_frames: u64,
    /// `bad_frames` when the last request went out.
    bad_at_send: u64,
}

/// What [`HdlcLink::drive`] runs until.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Until {
    /// The UA to the SNRM.
    Connected,
    /// An APDU.
    Data,
    /// The UA or DM to the DISC.
    Disconnected,
}

impl Until {
    fn awaiting(self) -> &'static str {
        match self {
            Until::Connected => "the UA to the SNRM",
            Until::Data => "an HDLC I frame with the answer",
            Until::Disconnected => "the UA to the DISC",
        }
    }
}

impl HdlcLink {
    /// Connects to `endpoint` and opens the link (SNRM/UA) from client `client` to the server
    /// with logical address `server` and physical address `physical`, all within `timeout`.
    ///
    /// # Errors
    /// [`LinkError::Frame`] for an address out of range, [`LinkError::Io`] (a port that cannot
    /// be opened too), [`LinkError::ConnectTimeout`], [`LinkError::NoAnswer`] when no UA comes
    /// in time, [`LinkError::Hdlc`] when the meter refuses the link.
    pub async fn connect(
        endpoint: Endpoint<'_>,
        client: u16,
        server: u16,
        physical: Option<u16>,
        timeout: Duration,
        reporter: Reporter,
    ) -> Result<Self, LinkError> {
        let client = u8::try_from(client)
            .map_err(|_| LinkError::Hdlc("the client address does not fit one octet".to_owned()))?;
        let config = Config {
            client: Address::client(client).map_err(LinkError::Frame)?,
            server: Address::server(server, physical).map_err(LinkError::Frame)?,
            response_timeout: (timeout / 4).max(Duration::from_millis(500)),
            ..Config::default()
        };
        let stream: Box<dyn Line> = match endpoint {
            Endpoint::Tcp(address) => {
                let stream = tokio::time::timeout(timeout, TcpStream::connect(address))
                    .await
                    .map_err(|_| LinkError::ConnectTimeout(timeout))??;
                stream.set_nodelay(true)?;
                Box::new(stream)
            }
            Endpoint::Serial(settings) => Box::new(open_serial(settings)?),
        };
        let mut this = HdlcLink {
            stream,
            link: Client::new(config),
            buf: vec![0; 4096],
            timeout,
            reporter,
            bad_frames: 0,
            bad_at_send: 0,
        };
        this.link.connect();
        match this.drive(Instant::now() + timeout, Until::Connected).await {
            Ok(_) => Ok(this),
            Err(e) => {
                let _ = this.stream.shutdown().await;
                Err(e)
            }
        }
    }

    /// Queues one request APDU on the link, after discarding APDUs that arrived while none was
    /// outstanding.
    ///
    /// # Errors
    /// [`LinkError::Hdlc`] when the link is down, [`LinkError::Closed`], [`LinkError::Io`].
    pub async fn send(&mut self, apdu: &[u8]) -> Result<(), LinkError> {
        self.discard_stale().await?;
        self.bad_at_send = self.bad_frames;
        self.link
            .send(apdu)
            .map_err(|e| LinkError::Hdlc(e.to_string()))
    }

    /// Runs the link until an APDU arrives; `None` when `deadline` passed first.
    ///
    /// # Errors
    /// Any [`LinkError`]: the link went down, a frame was malformed, the meter did not answer
    /// its polls.
    pub async fn receive(&mut self, deadline: Instant) -> Result<Option<Vec<u8>>, LinkError> {
        self.drive(deadline, Until::Data).await
    }

    /// Disconnects the link (DISC, waiting for the UA or DM until `deadline`), then closes the
    /// TCP connection.
    pub async fn close(mut self, deadline: Instant) {
        if self.link.state() != State::Disconnected {
            self.link.disconnect();
            if let Err(error) = self.drive(deadline, Until::Disconnected).await {
                tracing::debug!(device = %self.reporter.device, error = %error, "dlms hdlc link not disconnected cleanly");
            }
        }
        let _ = self.stream.shutdown().await;
    }

    /// Feeds what the socket has ready to the link machine and drops the APDUs it yields: no
    /// request is outstanding, so none is an answer.
    async fn discard_stale(&mut self) -> Result<(), LinkError> {
        // What is ready now, without waiting: a read polled once.
        while let Ok(read) =
            tokio::time::timeout(Duration::ZERO, self.stream.read(&mut self.buf)).await
        {
            match read {
                Ok(0) => return Err(LinkError::Closed),
                Ok(n) => {
                    let now = Instant::now().into_std();
                    self.link
                        .handle_input(now, self.buf.get(..n).unwrap_or_default());
                    self.count_bad_frames();
                }
                Err(e) => return Err(LinkError::Io(e)),
            }
        }
        while let Some(event) = self.link.poll_event() {
            match event {
                Event::Data(apdu) | Event::Push(apdu) => {
                    self.reporter.discarded("HDLC APDU", apdu.len());
                }
                Event::Disconnected(why) => return Err(down(why)),
                other => {
                    tracing::debug!(device = %self.reporter.device, event = ?other, "dlms hdlc link event")
                }
            }
        }
        Ok(())
    }

    /// The error of an answer that did not come: naming the frames dropped since the request
    /// when some were, since they are why.
    fn no_answer(&self, until: Until) -> LinkError {
        let dropped = self.bad_frames.saturating_sub(self.bad_at_send);
        if dropped == 0 {
            return LinkError::NoAnswer {
                within: self.timeout,
                awaiting: until.awaiting(),
            };
        }
        LinkError::BadFrames {
            within: self.timeout,
            awaiting: until.awaiting(),
            dropped,
            last: self
                .link
                .last_bad_frame()
                .map(ToString::to_string)
                .unwrap_or_default(),
        }
    }

    /// Counts the frames the link dropped because they did not check (a bad HCS or FCS): a
    /// decode error each, the first of the link logged with its reason. The link recovers by
    /// the meter's retransmission (IEC 62056-46 clause 6.4.4), so the cycle goes on.
    fn count_bad_frames(&mut self) {
        let total = self.link.bad_frames();
        if total <= self.bad_frames {
            return;
        }
        let first = self.bad_frames == 0;
        for _ in self.bad_frames..total {
            self.reporter.stats.bump(Counter::DecodeErrors);
        }
        self.bad_frames = total;
        let error = self
            .link
            .last_bad_frame()
            .map(ToString::to_string)
            .unwrap_or_default();
        if first {
            tracing::warn!(device = %self.reporter.device, %error, "dlms hdlc frame dropped: it does not check; the meter's retransmission is awaited");
        } else {
            tracing::debug!(device = %self.reporter.device, %error, total, "dlms hdlc frame dropped: it does not check");
        }
    }

    /// Runs the link until `until` happens; `None` when `deadline` passed first (while waiting
    /// for data), an error when it passed while connecting or disconnecting.
    async fn drive(
        &mut self,
        deadline: Instant,
        until: Until,
    ) -> Result<Option<Vec<u8>>, LinkError> {
        loop {
            let now = Instant::now();
            while let Some(frame) = self.link.poll_transmit(now.into_std()) {
                self.stream.write_all(&frame).await?;
            }
            while let Some(event) = self.link.poll_event() {
                match event {
                    Event::Connected(_) if until == Until::Connected => return Ok(None),
                    Event::Data(apdu) if until == Until::Data => return Ok(Some(apdu)),
                    Event::Disconnected(_) if until == Until::Disconnected => return Ok(None),
                    Event::Data(apdu) | Event::Push(apdu) => {
                        self.reporter.discarded("HDLC APDU", apdu.len());
                    }
                    Event::Disconnected(Disconnect::LinkFailure) | Event::NoResponse => {
                        return Err(self.no_answer(until))
                    }
                    Event::Disconnected(why) => return Err(down(why)),
                    Event::Malformed(e) => return Err(LinkError::Frame(e)),
                    Event::ApduTooLong { len } => {
                        return Err(LinkError::Hdlc(format!(
                            "an APDU of {len} octets is too long"
                        )))
                    }
                    other => {
                        tracing::debug!(device = %self.reporter.device, event = ?other, "dlms hdlc link event")
                    }
                }
            }
            if now >= deadline {
                return match until {
                    Until::Data if self.bad_frames == self.bad_at_send => Ok(None),
                    _ => Err(self.no_answer(until)),
                };
            }
            let timer = self
                .link
                .poll_timeout()
                .map(Instant::from_std)
                .map_or(deadline, |t| t.min(deadline));
            match tokio::time::timeout_at(timer, self.stream.read(&mut self.buf)).await {
                Err(_) => self.link.handle_timeout(Instant::now().into_std()),
                Ok(Ok(0)) => return Err(LinkError::Closed),
                Ok(Ok(n)) => {
                    self.link.handle_input(
                        Instant::now().into_std(),
                        self.buf.get(..n).unwrap_or_default(),
                    );
                    self.count_bad_frames();
                }
                Ok(Err(e)) => return Err(LinkError::Io(e)),
            }
        }
    }
}

/// The error of a link that went down for `why`.
fn down(why: Disconnect) -> LinkError {
    let text = match why {
        Disconnect::Local => "the HDLC link was disconnected",
        Disconnect::Remote => "the meter disconnected the HDLC link (DM)",
        Disconnect::Refused => "the meter refused the HDLC link (DM to the SNRM)",
        Disconnect::LinkFailure => "the HDLC link failed: no response after every retry",
        Disconnect::Inactivity => "the HDLC link timed out for inactivity",
        Disconnect::ProtocolError => "the HDLC link was reset after a protocol error (FRMR)",
    };
    LinkError::Hdlc(text.to_owned())
}

/// Opens a serial port with its line settings (IEC 62056-46 runs on 8N1 by default; the
/// configuration says otherwise where a line does).
fn open_serial(settings: &SerialSettings) -> Result<tokio_serial::SerialStream, LinkError> {
    let parity = match settings.parity {
        Parity::None => tokio_serial::Parity::None,
        Parity::Even => tokio_serial::Parity::Even,
        Parity::Odd => tokio_serial::Parity::Odd,
    };
    let data_bits = match settings.data_bits {
        7 => tokio_serial::DataBits::Seven,
        _ => tokio_serial::DataBits::Eight,
    };
    let stop_bits = match settings.stop_bits {
        2 => tokio_serial::StopBits::Two,
        _ => tokio_serial::StopBits::One,
    };
    let builder = tokio_serial::new(settings.path.as_str(), settings.baud)
        .parity(parity)
        .data_bits(data_bits)
        .stop_bits(stop_bits);
    tokio_serial::SerialStream::open(&builder).map_err(|e| {
        LinkError::Io(std::io::Error::other(format!(
            "cannot open the serial port {}: {e}",
            settings.path
        )))
    })
}
