//! Sans-IO HDLC link state machines (IEC 62056-46 clause 6.4.4, DLMS UA 1000-2 Ed. 10 clause
//! 8.4.4 and 8.4.5): the client as the primary station ([`Client`]) and the server as the
//! secondary station ([`Server`]), in normal response mode.
//!
//! In the style of quinn-proto, nothing here does I/O or reads a clock. The caller owns the line
//! and the time:
//!
//! - bytes read go to `handle_input(now, bytes)`, in reads of any size;
//! - `poll_transmit(now)` hands out the next frame to write, until it returns `None`;
//! - `poll_event()` hands out what happened ([`Event`]);
//! - `poll_timeout()` says when to call `handle_timeout(now)`.
//!
//! # Application data
//! `send` takes an APDU **without** the LLC header and `Event::Data` returns one without it: the
//! link adds E6 E6 00 to what the client sends and E6 E7 00 to what the server sends, and checks
//! and strips the peer's (Green Book 8.4.5.2). The LLC header is part of the information field
//! that is segmented, so it is in the first segment only.
//!
//! # Normal response mode
//! The client opens the link with SNRM carrying its [`Parameters`]; the server answers UA with its
//! own, and both take the minimum of each ([`Parameters::negotiate`]); DM refuses. The client
//! then sends I frames, up to its window, the P bit on the last; the server answers only when
//! polled (P = 1): with its I frames, up to its window, the F bit on the last, or with RR. N(R)
//! in every I, RR and RNR frame acknowledges the peer's frames before it. DISC, answered by UA
//! (or DM when not connected), closes the link.
//!
//! # Segmentation
//! An LLC-prefixed APDU longer than the negotiated maximum information field is sent as several
//! I frames, the S bit set on all but the last (Green Book 8.4.5.4). The receiver acknowledges
//! each window with RR; when the server's answer is segmented, the client asks for each next
//! window with RR and the P bit, N(R) acknowledging what it got. The receiver puts the segments
//! together up to [`Config::max_apdu_len`]; a longer one is dropped whole and reported
//! ([`Event::ApduTooLong`]).
//!
//! # Answers that come late
//! In normal response mode the server may only speak when polled. When it acknowledges a whole
//! request with RR and the F bit but has no answer ready yet (its application is slow), the
//! server answers RR, not RNR: RNR says its *receiver* is busy, and Gurux's client treats an RNR
//! as an error (`ErrorCode.RECEIVE_NOT_READY`) while it polls again after an RR. The client, for
//! its part, remembers that an answer is owed to every APDU given to [`Client::send`] and, once
//! the server acknowledged it, polls with RR and P every [`Config::busy_poll_interval`] until the
//! answer comes. A server that keeps answering RR without it for the response timeout times
//! (retries + 1), as long as a silent server gets, is given up with [`Event::NoResponse`]: the
//! link stays up. [`Client::send_unconfirmed`] queues an APDU that owes no answer, and
//! [`Client::poll`] polls for one the application knows is owed.
//!
//! # Errors and retries
//! - The client waits [`Config::response_timeout`] for a response with the F bit. Then it polls
//!   with RR and P (SNRM or DISC again while opening or closing), up to [`Config::retries`]
//!   times, and finally reports [`Disconnect::LinkFailure`].
//! - A server that answers RNR is polled again after [`Config::busy_poll_interval`]; one that
//!   stays busy for the response timeout times (retries + 1) is disconnected with DISC and
//!   [`Disconnect::LinkFailure`].
//! - A duration in [`Config`] too long to add to an `Instant` means no deadline for that timer:
//!   nothing panics.
//! - A response or command with the P/F bit whose N(R) leaves frames unacknowledged means they
//!   were lost: they are sent again from N(R) (checkpoint retransmission, go-back-N; ISO/IEC
//!   13239 clause 6.11.4.3).
//! - An I frame whose N(S) is not the expected V(R) (a repetition or a gap) is discarded and
//!   reported ([`Event::SequenceError`]); the N(R) of the next response tells the sender where
//!   to resume. Nothing is delivered twice.
//! - Each station takes information fields up to its own configured maximum receive length
//!   ([`Parameters::max_info_rx`] in [`Config::parameters`]) even when less was negotiated (a
//!   meter that answers UA without parameters, so 128 octets, may still send longer frames);
//!   only a longer one is an error. The peer's parameters are read leniently
//!   ([`Parameters::decode_lenient`]): a window above 7 is taken as 7 and a maximum
//!   information field length below 32 as 32, instead of refusing the link.
//! - An N(R) that acknowledges a frame never sent, an information field longer than allowed,
//!   an unknown control field or one not allowed here: the server answers FRMR with the reason
//!   and accepts only SNRM or DISC until the client resets the link ([`FrameReject`]); the
//!   client, as primary, disconnects with DISC ([`Disconnect::ProtocolError`]).
//! - Frames for other addresses are ignored (a multidrop line); unknown control fields are
//!   reported ([`Event::Discarded`]) but never acted on. The server ignores (and reports) every
//!   frame whose source is the no-station (0x00) or all-station (0x7F) address: neither is a
//!   client, and a DM to a broadcast would collide on a multidrop line. While a link is open, an
//!   SNRM from another client is answered DM after the answer owed to the linked client (at
//!   most four such DMs wait; more are dropped).
//! - Events queue up until `poll_event` takes them: a caller that never calls it lets the
//!   queue grow without bound.
//!
//! # Example
//! A client and a server on a simulated line, at one instant:
//!
//! ```
//! use fieldbridge_dlms::hdlc::link::{Client, Config, Event, Server, State};
//! use std::time::Instant;
//!
//! let now = Instant::now();
//! let mut client = Client::new(Config::default());
//! let mut server = Server::new(Config::default());
//! client.connect();
//! let mut answers = Vec::new();
//! for round in 0..2 {
//!     if round == 1 {
//!         client.send(&[0xC0, 0x01, 0xC1, 0x00, 0x08])?; // a GET request
//!     }
//!     while let Some(frame) = client.poll_transmit(now) {
//!         server.handle_input(now, &frame);
//!         while let Some(event) = server.poll_event() {
//!             if let Event::Data(request) = event {
//!                 assert_eq!(request[0], 0xC0);
//!                 server.send(&[0xC4, 0x01, 0xC1, 0x00, 0x11, 0x07])?; // its answer
//!             }
//!         }
//!         while let Some(frame) = server.poll_transmit(now) {
//!             client.handle_input(now, &frame);
//!         }
//!     }
//!     while let Some(event) = client.poll_event() {
//!         answers.push(event);
//!     }
//! }
//! assert_eq!(client.state(), State::Connected);
//! assert!(matches!(answers[0], Event::Connected(_)));
//! assert_eq!(answers[1], Event::Data(vec![0xC4, 0x01, 0xC1, 0x00, 0x11, 0x07]));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod client;
mod server;
mod window;

pub use client::Client;
pub use server::Server;

use crate::hdlc::{Address, Control, FrameReject, Parameters};
use crate::Error;
use std::time::Duration;

/// The configuration of a station.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The client's address (one octet).
    pub client: Address,
    /// The server's address (one, two or four octets).
    pub server: Address,
    /// What this station proposes (client, in SNRM) or accepts at most (server, in UA).
    pub parameters: Parameters,
    /// How long the client waits for a response with the F bit before polling again. Times
    /// (retries + 1), also how long a server may answer RNR, or RR without an answer owed.
    pub response_timeout: Duration,
    /// How long a partial frame may wait for its next byte before it is dropped.
    pub inter_octet_timeout: Duration,
    /// How many times the client repeats a poll before [`Disconnect::LinkFailure`].
    pub retries: u8,
    /// The server drops a link that hears nothing for this long ([`Disconnect::Inactivity`]).
    pub inactivity_timeout: Option<Duration>,
    /// How long the client waits before polling again a server that answered RNR, or one that
    /// acknowledged a request with RR but has not answered it yet.
    pub busy_poll_interval: Duration,
    /// The longest APDU (with its LLC header) put together from segments.
    pub max_apdu_len: usize,
    /// Deliver information fields that lack the LLC header as they are, instead of refusing
    /// them: Gurux's server leaves it out over HDLC. A correct header is stripped and a wrong
    /// one (a field that starts with 0xE6 but is not the expected header) refused either way.
    /// On by default; turn it off for strict conformance tests.
    pub accept_missing_llc: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            client: Address::PUBLIC_CLIENT,
            server: Address::server(1, None).unwrap_or(Address::NO_STATION),
            parameters: Parameters::default(),
            response_timeout: Duration::from_secs(3),
            inter_octet_timeout: Duration::from_millis(500),
            retries: 3,
            inactivity_timeout: Some(Duration::from_secs(120)),
            busy_poll_interval: Duration::from_millis(200),
            max_apdu_len: 0xFFFF,
            accept_missing_llc: true,
        }
    }
}

/// Where a link is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// No link.
    Disconnected,
    /// SNRM sent, waiting for UA (client only).
    Connecting,
    /// In normal response mode.
    Connected,
    /// DISC sent, waiting for UA or DM (client only).
    Disconnecting,
    /// FRMR sent: only SNRM or DISC is accepted (server only).
    FrameRejected,
}

/// Why a link ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Disconnect {
    /// This station asked (the client's DISC was answered).
    Local,
    /// The peer asked: DISC received (server) or DM received while connected (client).
    Remote,
    /// SNRM was answered with DM.
    Refused,
    /// No response after every retry.
    LinkFailure,
    /// Nothing heard for the inactivity timeout (server).
    Inactivity,
    /// A sequence or format error that only a new link clears (FRMR, invalid N(R)).
    ProtocolError,
}

/// What happened on the link.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The link is up with these parameters, from this station's point of view.
    Connected(Parameters),
    /// An APDU from the peer, LLC header stripped.
    Data(Vec<u8>),
    /// An APDU in a UI frame (a push, e.g. from a HAN port), LLC header stripped.
    Push(Vec<u8>),
    /// The link is down.
    Disconnected(Disconnect),
    /// No response in time: polled again (the first repetition is 1).
    Retrying {
        /// Which repetition.
        attempt: u8,
    },
    /// An FRMR was received (client) or sent (server).
    FrameReject(FrameReject),
    /// An I frame with an unexpected N(S) was discarded.
    SequenceError {
        /// V(R): the N(S) expected.
        expected: u8,
        /// The N(S) received.
        found: u8,
    },
    /// A frame that is not allowed in the current state, or whose control field is unknown, was
    /// discarded.
    Discarded {
        /// Its control field.
        control: Control,
        /// Why.
        reason: &'static str,
    },
    /// A segmented APDU longer than [`Config::max_apdu_len`] was dropped.
    ApduTooLong {
        /// Its length.
        len: usize,
    },
    /// An information field whose LLC header or parameters are malformed was dropped.
    Malformed(Error),
    /// The server acknowledged a request but did not answer it, though polled for the response
    /// timeout times (retries + 1) (client). The link stays up; the client stops polling.
    NoResponse,
}

/// Why `send` refused an APDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The link is not connected.
    #[error("the HDLC link is not connected")]
    NotConnected,
}
