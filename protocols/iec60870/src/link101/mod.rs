//! The sans-IO link state machines of IEC 60870-5-101 over FT1.2 (IEC 60870-5-2 clause 5,
//! IEC 60870-5-101 clause 6): the unbalanced primary station that polls several secondaries on
//! one line ([`UnbalancedPrimary`]), the unbalanced secondary station that answers it
//! ([`UnbalancedSecondary`]), and balanced transmission, where each of two stations is primary
//! and secondary at once ([`Balanced`]).
//!
//! Like [`link104`](crate::link104), nothing here does I/O or reads a clock. The caller owns
//! the serial line and the time:
//!
//! - bytes read from the line go to `on_bytes`, in reads of any size: frames may be split
//!   anywhere, and garbage between frames is discarded by hunting for the next start character
//!   ([`ft12::decode_hunting`](crate::ft12::decode_hunting));
//! - `poll_transmit` hands out the next frame to write. An unbalanced primary keeps one
//!   request outstanding on the line (half-duplex) and hands out nothing more until it is
//!   answered or timed out; call `poll_transmit` after every other call;
//! - `poll_timeout` says when to call `on_timeout`, which repeats an unanswered frame (same
//!   frame, same FCB) up to [`Params::retries`] times, then declares the link down;
//! - [`Event`]s report what happened: user data received with its link address, a link up or
//!   down, ACD or DFC seen, user data confirmed or refused, a repeated frame recognized.
//!
//! # The frame count bit
//! A primary station starts each link with request status of link (FC 9), answered by status
//! of link (FC 11), then reset of remote link (FC 0), answered by ACK. The first frame with
//! FCV = 1 after the reset carries FCB = 1, and the FCB toggles after every exchange that was
//! answered; a repeated frame keeps its FCB (IEC 60870-5-2 clause 5.1.2). A secondary station
//! that receives FCV = 1 with the same FCB as the last frame it accepted takes it for a
//! repetition: it sends its last answer again and does not deliver the data twice
//! ([`Event::Repetition`]). After a reset it accepts the next FCV = 1 frame whatever its FCB.
//!
//! # Unbalanced transmission
//! [`UnbalancedPrimary`] serves its secondaries in turn, one exchange each: user data to send
//! (FC 3, SEND/CONFIRM, or FC 4, SEND/NO REPLY) unless the secondary set DFC, else class 1
//! (FC 10) while the secondary's last answer set ACD, else class 2 (FC 11) every
//! [`Params::poll_interval`]. A broadcast (FC 4 to address 255 or 65535) goes before them. The
//! single character E5 is taken as ACK, and as "no data" in answer to a class request.
//!
//! [`UnbalancedSecondary`] answers FC 9 with status of link, FC 0 with ACK (and forgets its
//! FCB), FC 10 and FC 11 with user data (FC 8) from the class 1 and class 2 queues the user
//! fills, or with "no data" (FC 9, or E5 with [`Params::single_char_ack`]); ACD is set while
//! class 1 data wait, DFC while the user says it is full
//! ([`UnbalancedSecondary::set_full`]), and user data (FC 3) that arrive while full are
//! answered NACK and not delivered. Frames for other addresses are ignored.
//!
//! # Balanced transmission
//! [`Balanced`] runs both directions on one line (full duplex): its primary resets the remote
//! link, sends user data with FC 3 (or FC 4), tests an idle link with FC 2 every
//! [`Params::test_interval`], and asks for the status (FC 9) while the remote set DFC; its
//! secondary answers the remote's FC 9, FC 0, FC 2, FC 3 and FC 4. Station A sends DIR = 1,
//! station B DIR = 0; a frame with our own DIR is an echo and is ignored. Each direction has its
//! own FCB.
//!
//! # Example
//! A primary station and one of our secondaries on a simulated line, at one instant:
//!
//! ```
//! use fieldbridge_iec60870::link101::{
//!     Event, Params, Service, UnbalancedPrimary, UnbalancedSecondary,
//! };
//! use std::time::{Duration, Instant};
//!
//! let now = Instant::now();
//! let params = Params::default();
//! let mut master = UnbalancedPrimary::new(params, &[1], now)?;
//! let mut outstation = UnbalancedSecondary::new(params, 1)?;
//! // An event waits in class 1: the outstation's answers carry ACD = 1.
//! let event = [0x01, 0x01, 0x03, 0x01, 0x64, 0x00, 0x01];
//! outstation.push_class1(&event)?;
//!
//! let mut received = Vec::new();
//! let mut functions = Vec::new();
//! while let Some(request) = master.poll_transmit(now) {
//!     functions.push(request.as_bytes()[1] & 0x0F);
//!     outstation.on_bytes(request.as_bytes(), |_| {});
//!     while let Some(answer) = outstation.poll_transmit() {
//!         master.on_bytes(answer.as_bytes(), now, |event| {
//!             if let Event::UserData { address, service, asdu } = event {
//!                 received.push((address, service, asdu.to_vec()));
//!             }
//!         });
//!     }
//! }
//! // Status, reset, class 1 (ACD was set), then the first class 2 poll.
//! assert_eq!(functions, [9, 0, 10, 11]);
//! assert_eq!(master.is_up(1), Some(true));
//! assert_eq!(received, [(1, Service::Class1, event.to_vec())]);
//! // The next class 2 poll is due one poll interval later.
//! assert_eq!(master.poll_timeout(), Some(now + Duration::from_secs(1)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod balanced;
mod event;
mod exchange;
mod params;
mod primary;
mod remote;
mod responder;
mod rx;
mod secondary;
mod stored;
mod transmit;

pub use balanced::{Balanced, Station};
pub use event::{Event, Refusal, SendError, SendId, Service};
pub use params::{Params, ParamsError};
pub use primary::UnbalancedPrimary;
pub use secondary::UnbalancedSecondary;
pub use transmit::Transmit;
