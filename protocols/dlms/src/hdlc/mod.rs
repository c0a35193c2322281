//! HDLC for DLMS/COSEM (IEC 62056-46, DLMS UA 1000-2 Ed. 10 "Green Book" clause 8.4): frames of
//! format type 3 with their addresses, control fields and check sequences, a splitter for serial
//! lines, the LLC header, the SNRM/UA parameter negotiation, and sans-IO link state machines for
//! the client (primary station) and the server (secondary station).
//!
//! - [`decode`] reads one frame from the start of a buffer (`Ok(None)`: more bytes needed);
//!   [`Frame`] borrows its information field, [`OwnedFrame`] owns it; both encode.
//! - [`Splitter`] finds frames in a serial byte stream: shared and idle flags, garbage and bad
//!   frames discarded and counted.
//! - [`Address`], [`Control`], [`FrameReject`], [`Llc`] and [`Parameters`] are the fields.
//! - [`link`] holds the sans-IO [`link::Client`] and [`link::Server`].
//!
//! ```
//! use fieldbridge_dlms::hdlc::{self, Address, Control, Splitter};
//!
//! // SNRM from the public client (0x10) to server upper 1, lower 17, then RR polls sharing
//! // a flag with it.
//! let snrm = [0x7E, 0xA0, 0x08, 0x02, 0x23, 0x21, 0x93, 0xBD, 0x64, 0x7E];
//! let (frame, len) = hdlc::decode(&snrm)?.expect("a whole frame"); // ok: a doc example
//! assert_eq!(len, snrm.len());
//! assert_eq!(frame.control, Control::Snrm { pf: true });
//! assert_eq!(frame.destination, Address::two(1, 17)?);
//! assert_eq!(frame.source, Address::PUBLIC_CLIENT);
//!
//! let mut out = Vec::new();
//! frame.encode(&mut out)?;
//! assert_eq!(out, snrm);
//!
//! let mut line = Splitter::new();
//! line.push(&[0x00, 0x55]); // noise
//! line.push(&snrm);
//! line.push(&[0xA0, 0x07, 0x03, 0x21, 0x71, 0x13, 0xC5, 0x7E]);
//! assert_eq!(line.next_frame().map(|f| f.control), Some(Control::Snrm { pf: true }));
//! assert_eq!(line.next_frame().map(|f| f.control), Some(Control::Rr { nr: 3, pf: true }));
//! assert_eq!(line.discarded(), 2);
//! # Ok::<(), fieldbridge_dlms::Error>(())
//! ```

pub mod address;
mod control;
mod frame;
mod llc;
pub mod params;
mod splitter;

pub use crate::Checksum;
pub use address::Address;
pub use control::{Control, FrameReject, PF};
pub use frame::{
    decode, Frame, OwnedFrame, FLAG, FORMAT_TYPE_3, MAX_FRAME_LEN, MAX_LENGTH, MIN_LENGTH,
    SEGMENTED,
};
pub use llc::{Llc, LLC_COMMAND, LLC_RESPONSE};
pub use params::Parameters;
pub use splitter::Splitter;
pub mod link;
