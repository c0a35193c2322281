//! The TCP wrapper link (IEC 62056-47 clause 5, DLMS UA 1000-2 Ed. 10 clause 8.5): one
//! connection to a meter, APDUs in wrapper PDUs, and the request/answer exchange that drives a
//! [`Session`].

use std::time::Duration;

use fieldbridge_core::source::{Counter, SourceStats};
use fieldbridge_dlms::wrapper::{OwnedWrapperPdu, StreamSplitter};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::session::{Received, Session, SessionError};

/// Why an exchange with the meter failed; every one ends the connection.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The connection could not be opened or broke.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The connection did not open in time.
    #[error("connection timed out after {0:?}")]
    ConnectTimeout(Duration),
    /// The meter closed the connection.
    #[error("the meter closed the connection")]
    Closed,
    /// The byte stream is not wrapper PDUs.
    #[error("bad wrapper PDU from the meter: {0}")]
    Wrapper(fieldbridge_dlms::Error),
    /// A bad HDLC frame or address.
    #[error("bad HDLC frame: {0}")]
    Frame(fieldbridge_dlms::Error),
    /// The HDLC link failed or was refused.
    #[error("{0}")]
    Hdlc(String),
    /// The session refused the answer, or no answer came.
    #[error("{0}")]
    Session(#[from] SessionError),
}

impl LinkError {
    /// Whether the meter sent bytes the bridge could not use (counted as a decode error).
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            LinkError::Wrapper(_)
                | LinkError::Frame(_)
                | LinkError::Session(
                    SessionError::Codec(_)
                        | SessionError::Unexpected { .. }
                        | SessionError::InvokeId { .. }
                )
        )
    }

    /// Whether the meter did not answer in time.
    pub fn is_timeout(&self) -> bool {
        matches!(
            self,
            LinkError::ConnectTimeout(_) | LinkError::Session(SessionError::Timeout(_))
        )
    }
}

/// One wrapper connection.
#[derive(Debug)]
pub struct WrapperLink {
    stream: TcpStream,
    splitter: StreamSplitter,
    client: u16,
    server: u16,
    buf: Vec<u8>,
}

impl WrapperLink {
    /// Connects to `address`, as the client SAP `client` to the logical device `server`.
    ///
    /// # Errors
    /// [`LinkError::Io`] or [`LinkError::ConnectTimeout`].
    pub async fn connect(
        address: &str,
        client: u16,
        server: u16,
        timeout: Duration,
    ) -> Result<Self, LinkError> {
        let stream = tokio::time::timeout(timeout, TcpStream::connect(address))
            .await
            .map_err(|_| LinkError::ConnectTimeout(timeout))??;
        stream.set_nodelay(true)?;
        Ok(WrapperLink {
            stream,
            splitter: StreamSplitter::default(),
            client,
            server,
            buf: vec![0; 4096],
        })
    }

    /// Sends `apdu` and feeds the session every answer until it has a result that needs no
    /// further request: an association, a value, a refusal, a release.
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
            self.send(request).await?;
            stats.bump(Counter::Requests);
            let answer = match self.receive(session).await {
                Ok(answer) => answer,
                Err(error) => {
                    session.reset();
                    return Err(error);
                }
            };
            stats.bump(Counter::Responses);
            match session.receive(&answer, std::time::Instant::now())? {
                Received::Send(next) => request = next,
                done => return Ok(done),
            }
        }
    }

    async fn send(&mut self, apdu: Vec<u8>) -> Result<(), LinkError> {
        let pdu = OwnedWrapperPdu::new(self.client, self.server, apdu);
        let mut out = Vec::with_capacity(pdu.encoded_len());
        pdu.encode(&mut out).map_err(LinkError::Wrapper)?;
        self.stream.write_all(&out).await?;
        Ok(())
    }

    /// The next APDU, before the session's deadline.
    async fn receive(&mut self, session: &mut Session) -> Result<Vec<u8>, LinkError> {
        loop {
            if let Some(pdu) = self.splitter.next_pdu().map_err(LinkError::Wrapper)? {
                return Ok(pdu.apdu.to_vec());
            }
            let deadline = session
                .deadline()
                .map(Instant::from_std)
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(30));
            let read = tokio::time::timeout_at(deadline, self.stream.read(&mut self.buf)).await;
            match read {
                Err(_) => {
                    session.check_timeout(deadline.into_std())?;
                    return Err(LinkError::Session(SessionError::Timeout(Duration::ZERO)));
                }
                Ok(Ok(0)) => return Err(LinkError::Closed),
                Ok(Ok(n)) => self.splitter.push(self.buf.get(..n).unwrap_or_default()),
                Ok(Err(e)) => return Err(LinkError::Io(e)),
            }
        }
    }
}

/// A connection to a meter: the wrapper or HDLC over TCP.
#[derive(Debug)]
pub enum Link {
    /// The TCP wrapper.
    Wrapper(WrapperLink),
    /// HDLC over TCP.
    Hdlc(Box<crate::hdlc_link::HdlcLink>),
}

impl Link {
    /// Sends `apdu` and feeds the session its answers (see [`WrapperLink::exchange`]).
    ///
    /// # Errors
    /// Any [`LinkError`]; the session is then idle.
    pub async fn exchange(
        &mut self,
        session: &mut Session,
        apdu: Vec<u8>,
        stats: &SourceStats,
    ) -> Result<Received, LinkError> {
        match self {
            Link::Wrapper(link) => link.exchange(session, apdu, stats).await,
            Link::Hdlc(link) => link.exchange(session, apdu, stats).await,
        }
    }
}
