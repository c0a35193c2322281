//! HDLC for DLMS/COSEM (IEC 62056-46, DLMS UA 1000-2 Ed. 10 "Green Book" clause 8.4): frames of
//! format type 3 with their addresses, control fields and check sequences, a splitter for serial
//! lines, the LLC header, the SNRM/UA parameter negotiation, and sans-IO link state machines for
//! the client (primary station) and the server (secondary station).

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
