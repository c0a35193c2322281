//! HDLC over TCP (IEC 62056-46, DLMS UA 1000-2 Ed. 10 clause 8.4), as meters behind terminal
//! servers speak it: the codec's sans-IO [`Client`] link machine driven on a tokio socket, the
//! time passed in.

use std::time::Duration;

use fieldbridge_core::source::{Counter, SourceStats};
use fieldbridge_dlms::hdlc::link::{Client, Config, Event};
use fieldbridge_dlms::hdlc::Address;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::link::LinkError;
use crate::session::{Received, Session, SessionError};

/// One HDLC link over a TCP connection.
#[derive(Debug)]
pub struct HdlcLink {
    stream: TcpStream,
    link: Client,
    buf: Vec<u8>,
}

impl HdlcLink {
    /// Connects to `address` and opens the link (SNRM/UA) from client `client` to the server
    /// with logical address `server` and physical address `physical`.
    ///
    /// # Errors
    /// [`LinkError::Frame`] for an address out of range, [`LinkError::Io`],
    /// [`LinkError::ConnectTimeout`], [`LinkError::Hdlc`] when the meter refuses the link.
    pub async fn connect(
        address: &str,
        client: u16,
        server: u16,
        physical: Option<u16>,
        timeout: Duration,
    ) -> Result<Self, LinkError> {
        let client = u8::try_from(client)
            .map_err(|_| LinkError::Hdlc("the client address does not fit one octet".to_owned()))?;
        let config = Config {
            client: Address::client(client).map_err(LinkError::Frame)?,
            server: Address::server(server, physical).map_err(LinkError::Frame)?,
            response_timeout: (timeout / 4).max(Duration::from_millis(500)),
            ..Config::default()
        };
        let stream = tokio::time::timeout(timeout, TcpStream::connect(address))
            .await
            .map_err(|_| LinkError::ConnectTimeout(timeout))??;
        stream.set_nodelay(true)?;
        let mut this = HdlcLink {
            stream,
            link: Client::new(config),
            buf: vec![0; 4096],
        };
        this.link.connect();
        this.drive(Instant::now() + timeout, true).await?;
        Ok(this)
    }

    /// Sends `apdu` and feeds the session every answer until it has a result that needs no
    /// further request.
    ///
    /// # Errors
    /// Any [`LinkError`]; the session is then idle.
    pub async fn exchange(
        &mut self,
        session: &mut Session,
        apdu: Vec<u8>,
        stats: &SourceStats,
    ) -> Result<Received, LinkError> {
        let mut request = apdu;
        loop {
            if let Err(e) = self.link.send(&request) {
                session.reset();
                return Err(LinkError::Hdlc(e.to_string()));
            }
            stats.bump(Counter::Requests);
            let deadline = session
                .deadline()
                .map(Instant::from_std)
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(30));
            let answer = match self.drive(deadline, false).await {
                Ok(Some(answer)) => answer,
                Ok(None) => {
                    session.reset();
                    return Err(LinkError::Hdlc("no answer".to_owned()));
                }
                Err(e) => {
                    session.reset();
                    return Err(e);
                }
            };
            stats.bump(Counter::Responses);
            match session.receive(&answer, std::time::Instant::now())? {
                Received::Send(next) => request = next,
                done => return Ok(done),
            }
        }
    }

    /// Runs the link until it connects (`connecting`) or an APDU arrives, before `deadline`.
    async fn drive(
        &mut self,
        deadline: Instant,
        connecting: bool,
    ) -> Result<Option<Vec<u8>>, LinkError> {
        loop {
            let now = Instant::now();
            while let Some(frame) = self.link.poll_transmit(now.into_std()) {
                self.stream.write_all(&frame).await?;
            }
            while let Some(event) = self.link.poll_event() {
                match event {
                    Event::Connected(_) if connecting => return Ok(None),
                    Event::Data(apdu) if !connecting => return Ok(Some(apdu)),
                    Event::Disconnected(why) => {
                        return Err(LinkError::Hdlc(format!("the HDLC link is down: {why:?}")))
                    }
                    Event::NoResponse => {
                        return Err(LinkError::Session(SessionError::Timeout(
                            deadline.saturating_duration_since(now),
                        )))
                    }
                    Event::Malformed(e) => return Err(LinkError::Frame(e)),
                    Event::ApduTooLong { len } => {
                        return Err(LinkError::Hdlc(format!(
                            "an APDU of {len} octets is too long"
                        )))
                    }
                    other => tracing::debug!(event = ?other, "dlms hdlc link event"),
                }
            }
            if now >= deadline {
                return Err(LinkError::Session(SessionError::Timeout(Duration::ZERO)));
            }
            let timer = self
                .link
                .poll_timeout()
                .map(Instant::from_std)
                .map_or(deadline, |t| t.min(deadline));
            match tokio::time::timeout_at(timer, self.stream.read(&mut self.buf)).await {
                Err(_) => self.link.handle_timeout(Instant::now().into_std()),
                Ok(Ok(0)) => return Err(LinkError::Closed),
                Ok(Ok(n)) => self.link.handle_input(
                    Instant::now().into_std(),
                    self.buf.get(..n).unwrap_or_default(),
                ),
                Ok(Err(e)) => return Err(LinkError::Io(e)),
            }
        }
    }
}
