//! The push listener's I/O: the wrapper over TCP and UDP (IEC 62056-47 clauses 5 and 6) and
//! HDLC UI frames over TCP (IEC 62056-46 clause 6.4.3.6, the non-connection service a meter
//! pushes with), each push deciphered when it is ciphered (DLMS UA 1000-2 Ed. 10 clause 9.2.7)
//! and handed to the [`Mapper`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fieldbridge_core::event::{EventSender, SourceEvent};
use fieldbridge_core::source::{Counter, SourceStats};
use fieldbridge_core::time::Timestamp;
use fieldbridge_dlms::hdlc::{Control, Splitter, LLC_COMMAND, LLC_RESPONSE};
use fieldbridge_dlms::security::{CipheredApdu, CipheredTag, CounterGuard, SystemTitle};
use fieldbridge_dlms::wrapper::{self, StreamSplitter};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::task::JoinSet;

use super::map::Mapper;
use crate::keys::SourceKeys;

/// The most pushing connections one listener serves at once; more wait in the backlog.
pub const MAX_CONNECTIONS: usize = 256;
/// A pushing connection that sends nothing this long is closed (meters push every few minutes
/// at most; one that went away without a FIN must not hold a slot for ever).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(3600);
/// The longest APDU a push may carry (a client-max-receive-pdu-size of 65535 and headers).
pub const MAX_APDU: usize = 0xFFFF;

/// Why one push was not published.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// The envelope or the APDU does not decode.
    #[error("{0}")]
    Decode(String),
    /// The push is ciphered and no keys are configured, or it is plain and the configuration
    /// asks for ciphering.
    #[error("{0}")]
    Policy(&'static str),
    /// The deciphering failed: a wrong key or tag, a replayed frame counter.
    #[error("deciphering failed: {0}")]
    Security(fieldbridge_dlms::Error),
}

/// What every connection of a listener shares.
#[derive(Debug)]
pub struct Shared {
    pub(crate) device: Arc<str>,
    pub(crate) mapper: Mapper,
    pub(crate) keys: SourceKeys,
    /// The last frame counter accepted from each meter (by system title): a replayed push is
    /// refused whichever connection brings it.
    pub(crate) guards: Mutex<HashMap<SystemTitle, CounterGuard>>,
    pub(crate) events: EventSender,
    pub(crate) stats: Arc<SourceStats>,
}

impl Shared {
    /// The plaintext of a push: itself when plain, deciphered when ciphered.
    ///
    /// # Errors
    /// [`PushError`] when the push does not decipher or breaks the configured policy.
    pub fn plaintext(&self, apdu: &[u8]) -> Result<Vec<u8>, PushError> {
        let tag = apdu.first().copied().unwrap_or(0);
        let ciphered = tag == CipheredTag::GENERAL_CIPHERING.0 || CipheredTag(tag).key().is_some();
        let Some(policy) = self.keys.policy else {
            if ciphered {
                return Err(PushError::Policy(
                    "a ciphered push and no security configured for this listener",
                ));
            }
            return Ok(apdu.to_vec());
        };
        if !ciphered {
            return Err(PushError::Policy(
                "a plain push where the configured security asks for ciphering",
            ));
        }
        let envelope = CipheredApdu::decode(apdu).map_err(PushError::Security)?;
        let Some(title) = envelope.system_title().copied() else {
            return Err(PushError::Policy(
                "a service-specific ciphered push carries no system title: the meter must push \
                 general-glo-ciphering",
            ));
        };
        let mut guards = self
            .guards
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let guard = guards.entry(title).or_default();
        let mut out = Vec::new();
        envelope
            .decrypt_guarded_with_policy(&self.keys.keys, policy, Some(&title), guard, &mut out)
            .map_err(PushError::Security)?;
        Ok(out)
    }

    /// Deciphers, maps and hands over one push. `Err(())`: the bridge is stopping.
    pub async fn push(&self, apdu: &[u8], peer: &str) -> Result<(), ()> {
        self.stats.bump(Counter::Responses);
        let received = Timestamp::now();
        let mapped = self.plaintext(apdu).and_then(|plain| {
            self.mapper
                .map(&plain, received)
                .map_err(|e| PushError::Decode(e.to_string()))
        });
        let mapped = match mapped {
            Ok(mapped) => mapped,
            Err(error) => {
                self.stats.bump(Counter::DecodeErrors);
                tracing::warn!(device = %self.device, peer, %error, "dlms push refused");
                return Ok(());
            }
        };
        for _ in 0..mapped.dropped {
            self.stats.bump(Counter::Dropped);
        }
        for (point, error) in &mapped.unreadable {
            self.stats.bump(Counter::DecodeErrors);
            tracing::warn!(device = %self.device, peer, point = %point, %error, "dlms push value not read");
        }
        for reading in mapped.readings {
            self.events
                .send(SourceEvent::Reading(reading))
                .await
                .map_err(|_| ())?;
        }
        Ok(())
    }
}

/// How the bytes of a TCP connection become APDUs.
#[derive(Debug)]
pub enum Framing {
    /// Wrapper PDUs; `failed` once the stream is out of step (a wrapper stream cannot find its
    /// next header again, so the connection is closed).
    Wrapper {
        /// The PDUs.
        splitter: StreamSplitter,
        /// Whether a header did not decode.
        failed: bool,
    },
    /// HDLC frames; the APDUs of UI frames.
    Hdlc(Splitter),
}

impl Framing {
    /// The framing of `hdlc` or wrapper connections.
    pub fn new(hdlc: bool) -> Self {
        if hdlc {
            Framing::Hdlc(Splitter::new())
        } else {
            Framing::Wrapper {
                splitter: StreamSplitter::new(MAX_APDU),
                failed: false,
            }
        }
    }

    /// The APDUs made whole by `bytes`, and what could not be read.
    pub fn feed(&mut self, bytes: &[u8]) -> (Vec<Vec<u8>>, Vec<String>) {
        let mut apdus = Vec::new();
        let mut errors = Vec::new();
        match self {
            Framing::Wrapper { splitter, failed } => {
                splitter.push(bytes);
                while !*failed {
                    match splitter.next_pdu() {
                        Ok(Some(pdu)) => apdus.push(pdu.apdu.to_vec()),
                        Ok(None) => break,
                        Err(e) => {
                            errors.push(format!("wrapper: {e}"));
                            *failed = true;
                        }
                    }
                }
            }
            Framing::Hdlc(splitter) => {
                let bad_before = splitter.bad_frames();
                splitter.push(bytes);
                while let Some(frame) = splitter.next_frame() {
                    match frame.control {
                        Control::Ui { .. } if frame.segmented => {
                            errors.push("HDLC: a segmented UI push is not joined".to_owned());
                        }
                        Control::Ui { .. } => apdus.push(without_llc(frame.info).to_vec()),
                        other => errors.push(format!(
                            "HDLC: a {other:?} frame on a push listener (only UI frames push)"
                        )),
                    }
                }
                for _ in bad_before..splitter.bad_frames() {
                    errors.push("HDLC: a frame with a bad HCS or FCS".to_owned());
                }
            }
        }
        (apdus, errors)
    }

    /// Whether the stream cannot go on.
    pub fn failed(&self) -> bool {
        matches!(self, Framing::Wrapper { failed: true, .. })
    }
}

/// The APDU of a UI frame's information field, with or without its LLC header.
fn without_llc(info: &[u8]) -> &[u8] {
    match info.get(..3) {
        Some(llc) if llc == LLC_RESPONSE || llc == LLC_COMMAND => info.get(3..).unwrap_or(&[]),
        _ => info,
    }
}

/// Serves pushing connections on `listener` until the bridge stops.
pub async fn serve_tcp(listener: TcpListener, hdlc: bool, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        while connections.len() >= MAX_CONNECTIONS {
            if connections.join_next().await.is_none() {
                break;
            }
        }
        let accepted = tokio::select! {
            () = shared.events.closed() => return,
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => {
                let shared = shared.clone();
                connections.spawn(connection(stream, peer.to_string(), hdlc, shared));
            }
            Err(error) => {
                tracing::warn!(device = %shared.device, %error, "dlms push listener: accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

async fn connection(mut stream: TcpStream, peer: String, hdlc: bool, shared: Arc<Shared>) {
    tracing::info!(device = %shared.device, peer, "dlms push connection");
    let mut framing = Framing::new(hdlc);
    let mut buf = vec![0u8; 4096];
    loop {
        let n = match tokio::time::timeout(IDLE_TIMEOUT, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Err(_) => break,
            Ok(Ok(n)) => n,
            Ok(Err(error)) => {
                tracing::info!(device = %shared.device, peer, %error, "dlms push connection lost");
                break;
            }
        };
        let (apdus, errors) = framing.feed(buf.get(..n).unwrap_or_default());
        for error in errors {
            shared.stats.bump(Counter::DecodeErrors);
            tracing::warn!(device = %shared.device, peer, %error, "dlms push not framed");
        }
        for apdu in apdus {
            if shared.push(&apdu, &peer).await.is_err() {
                return;
            }
        }
        if framing.failed() {
            break;
        }
    }
    tracing::info!(device = %shared.device, peer, "dlms push connection closed");
}

/// Serves wrapper datagrams on `socket` until the bridge stops: one wrapper PDU each.
pub async fn serve_udp(socket: UdpSocket, shared: Arc<Shared>) {
    let mut buf = vec![0u8; wrapper::HEADER_LEN + MAX_APDU];
    loop {
        let received = tokio::select! {
            () = shared.events.closed() => return,
            received = socket.recv_from(&mut buf) => received,
        };
        let (n, peer) = match received {
            Ok(got) => got,
            Err(error) => {
                tracing::warn!(device = %shared.device, %error, "dlms push listener: receive failed");
                continue;
            }
        };
        let peer = peer.to_string();
        let datagram = buf.get(..n).unwrap_or_default();
        match wrapper::decode_with_max(datagram, MAX_APDU) {
            Ok(Some((pdu, len))) if len == datagram.len() => {
                if shared.push(pdu.apdu, &peer).await.is_err() {
                    return;
                }
            }
            other => {
                shared.stats.bump(Counter::DecodeErrors);
                let error = match other {
                    Err(e) => e.to_string(),
                    _ => "a datagram that is not one whole wrapper PDU".to_owned(),
                };
                tracing::warn!(device = %shared.device, peer, %error, "dlms push not framed");
            }
        }
    }
}
