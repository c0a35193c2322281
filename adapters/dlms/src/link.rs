//! The transports to a meter: the TCP wrapper (IEC 62056-47 clause 5, DLMS UA 1000-2 Ed. 10
//! clause 8.5) here, HDLC over TCP in [`crate::hdlc_link`], both behind [`Link`].
//!
//! A link only carries APDUs: [`Link::send`] one request, [`Link::receive`] its answer before a
//! deadline, [`Link::close`] at the end of a poll cycle. What the answers mean is the
//! [`Session`](crate::session::Session)'s business. Two rules keep an answer from being taken for
//! another's:
//!
//! - a wrapper PDU whose wPorts are not the meter's (source) and ours (destination) is not an
//!   answer: it is discarded, counted as a decode error and logged;
//! - whatever arrives while no request is outstanding (a late answer, a repetition, noise) is
//!   discarded before the next request goes out, counted and logged, so it cannot be read as
//!   that request's answer.

use std::sync::Arc;
use std::time::Duration;

use fieldbridge_core::source::{Counter, SourceStats};
use fieldbridge_dlms::wrapper::{OwnedWrapperPdu, StreamSplitter};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::session::SessionError;

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
    /// The session refused the answer.
    #[error("{0}")]
    Session(#[from] SessionError),
    /// No answer came within the configured timeout.
    #[error("no answer from the meter within {within:?} (waiting for {awaiting})")]
    NoAnswer {
        /// The configured timeout.
        within: Duration,
        /// What was awaited.
        awaiting: &'static str,
    },
    /// No answer that checked came in time: the HDLC frames that came had a bad HCS or FCS
    /// (IEC 62056-46 clause 6.4.4), each dropped, and the meter's repetitions too.
    #[error("no valid answer from the meter within {within:?} (waiting for {awaiting}): {dropped} HDLC frame(s) dropped, the last because {last}")]
    BadFrames {
        /// The configured timeout.
        within: Duration,
        /// What was awaited.
        awaiting: &'static str,
        /// Frames dropped since the request went out.
        dropped: u64,
        /// Why the last one was dropped.
        last: String,
    },
    /// A GET with block transfer (DLMS UA 1000-2 Ed. 10 clause 9.4.6.5.2) sent more blocks than
    /// the largest value the bridge takes can need: the meter is streaming without end.
    #[error("the meter sent {blocks} blocks for one GET and was not done; a value takes at most {limit}")]
    TooManyBlocks {
        /// Blocks received.
        blocks: u32,
        /// The most allowed.
        limit: u32,
    },
    /// A key file of the configuration is missing or malformed: nothing is sent.
    #[error("{0}")]
    Keys(crate::keys::KeyError),
    /// The invocation counter cannot be kept on disk: nothing ciphered may be sent.
    #[error("{0}")]
    Counter(crate::invocation::InvocationError),
    /// A GET with block transfer took longer than its total deadline.
    #[error("one GET took longer than {within:?} in all ({blocks} blocks received)")]
    GetTooLong {
        /// The total deadline of one GET.
        within: Duration,
        /// Blocks received until then.
        blocks: u32,
    },
}

impl LinkError {
    /// Whether the meter sent bytes the bridge could not use (counted as a decode error).
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            LinkError::Wrapper(_)
                | LinkError::Frame(_)
                | LinkError::TooManyBlocks { .. }
                | LinkError::Session(
                    SessionError::Codec(_)
                        | SessionError::Unexpected { .. }
                        | SessionError::InvokeId { .. }
                        // A tag that does not verify, a replayed counter, an answer in clear or
                        // with another policy, a wrong f(CtoS): bytes the bridge refused.
                        | SessionError::Tag { .. }
                        | SessionError::Replay { .. }
                        | SessionError::Unprotected { .. }
                        | SessionError::Security(_)
                        | SessionError::HlsReply { .. }
                )
        )
    }

    /// Whether the meter did not answer in time.
    pub fn is_timeout(&self) -> bool {
        matches!(
            self,
            LinkError::ConnectTimeout(_)
                | LinkError::NoAnswer { .. }
                | LinkError::BadFrames { .. }
                | LinkError::GetTooLong { .. }
                | LinkError::Session(SessionError::Timeout(_))
        )
    }

    /// Whether the failure is one of the transport, which a second attempt on a new connection
    /// may not meet (a meter still closing its previous association, a dropped SYN): not a
    /// refusal, nor bytes the meter sent wrong.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            LinkError::Io(_)
                | LinkError::ConnectTimeout(_)
                | LinkError::Closed
                | LinkError::Hdlc(_)
                | LinkError::NoAnswer { .. }
        )
    }
}

/// Who a link reports to: the device name of its log lines and the source's counters.
#[derive(Debug, Clone)]
pub struct Reporter {
    /// The device (source) name.
    pub device: Arc<str>,
    /// The source's counters.
    pub stats: Arc<SourceStats>,
}

impl Reporter {
    /// Counts and logs input that is no answer to the request outstanding.
    pub(crate) fn discarded(&self, what: &'static str, octets: usize) {
        self.stats.bump(Counter::DecodeErrors);
        tracing::warn!(device = %self.device, what, octets, "dlms input discarded: not an answer to the request outstanding");
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
    reporter: Reporter,
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
        reporter: Reporter,
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
            reporter,
        })
    }

    /// Sends one APDU in a wrapper PDU from our wPort to the meter's, after discarding whatever
    /// arrived since the last answer.
    ///
    /// # Errors
    /// [`LinkError::Io`], [`LinkError::Closed`] when the meter closed the connection meanwhile.
    pub async fn send(&mut self, apdu: &[u8]) -> Result<(), LinkError> {
        self.discard_stale()?;
        let pdu = OwnedWrapperPdu::new(self.client, self.server, apdu.to_vec());
        let mut out = Vec::with_capacity(pdu.encoded_len());
        pdu.encode(&mut out).map_err(LinkError::Wrapper)?;
        self.stream.write_all(&out).await?;
        Ok(())
    }

    /// The next APDU from the meter's wPort to ours, or `None` when `deadline` passed first.
    /// PDUs between other wPorts are discarded (counted and logged).
    ///
    /// # Errors
    /// [`LinkError::Wrapper`] when the stream is not wrapper PDUs, [`LinkError::Closed`],
    /// [`LinkError::Io`].
    pub async fn receive(&mut self, deadline: Instant) -> Result<Option<Vec<u8>>, LinkError> {
        loop {
            while let Some(pdu) = self.splitter.next_pdu().map_err(LinkError::Wrapper)? {
                if pdu.source == self.server && pdu.destination == self.client {
                    return Ok(Some(pdu.apdu.to_vec()));
                }
                let (source, destination, octets) = (pdu.source, pdu.destination, pdu.apdu.len());
                self.reporter.stats.bump(Counter::DecodeErrors);
                tracing::warn!(
                    device = %self.reporter.device,
                    source,
                    destination,
                    expected_source = self.server,
                    expected_destination = self.client,
                    octets,
                    "dlms wrapper PDU between other wPorts discarded"
                );
            }
            match tokio::time::timeout_at(deadline, self.stream.read(&mut self.buf)).await {
                Err(_) => return Ok(None),
                Ok(Ok(0)) => return Err(LinkError::Closed),
                Ok(Ok(n)) => self.splitter.push(self.buf.get(..n).unwrap_or_default()),
                Ok(Err(e)) => return Err(LinkError::Io(e)),
            }
        }
    }

    /// Closes the connection (the association was released or is abandoned).
    pub async fn close(mut self) {
        if let Err(error) = self.stream.shutdown().await {
            tracing::debug!(device = %self.reporter.device, error = %error, "dlms connection not closed cleanly");
        }
    }

    /// Drops what the splitter holds and what the socket has ready: no request is outstanding,
    /// so none of it is an answer.
    fn discard_stale(&mut self) -> Result<(), LinkError> {
        let mut stale = self.splitter.buffered();
        loop {
            match self.stream.try_read(&mut self.buf) {
                Ok(0) => {
                    self.splitter = StreamSplitter::default();
                    return Err(LinkError::Closed);
                }
                Ok(n) => stale += n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(LinkError::Io(e)),
            }
        }
        if stale > 0 {
            self.splitter = StreamSplitter::default();
            self.reporter.discarded("wrapper octets", stale);
        }
        Ok(())
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
    /// Sends one request APDU, after discarding whatever arrived while none was outstanding.
    ///
    /// # Errors
    /// Any [`LinkError`]; the connection is then unusable.
    pub async fn send(&mut self, apdu: &[u8]) -> Result<(), LinkError> {
        match self {
            Link::Wrapper(link) => link.send(apdu).await,
            Link::Hdlc(link) => link.send(apdu).await,
        }
    }

    /// The next APDU from the meter, or `None` when `deadline` passed first.
    ///
    /// # Errors
    /// Any [`LinkError`]; the connection is then unusable.
    pub async fn receive(&mut self, deadline: Instant) -> Result<Option<Vec<u8>>, LinkError> {
        match self {
            Link::Wrapper(link) => link.receive(deadline).await,
            Link::Hdlc(link) => link.receive(deadline).await,
        }
    }

    /// Ends the connection: over HDLC the link is disconnected first (DISC, answered by UA or
    /// DM, waited for until `deadline`), then the TCP connection is closed.
    pub async fn close(self, deadline: Instant) {
        match self {
            Link::Wrapper(link) => link.close().await,
            Link::Hdlc(link) => link.close(deadline).await,
        }
    }
}
