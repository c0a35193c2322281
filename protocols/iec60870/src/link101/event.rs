//! What the 101 link state machines report, and why a send is refused.

use crate::ft12::{Control, PrimaryFunction};
use crate::Error;

/// How user data travelled (IEC 60870-5-2 clause 5.1.2, IEC 60870-5-101 clause 6.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    /// A secondary's answer (FC 8) to a request for class 1 data (FC 10).
    Class1,
    /// A secondary's answer (FC 8) to a request for class 2 data (FC 11).
    Class2,
    /// SEND/CONFIRM (FC 3): acknowledged.
    Confirmed,
    /// SEND/NO REPLY (FC 4) to our address.
    NoReply,
    /// SEND/NO REPLY (FC 4) to the broadcast address.
    Broadcast,
}

/// Why user data sent with FC 3 were not confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Refusal {
    /// NACK (FC 1): message not accepted, link busy.
    Busy,
    /// FC 14: link service not functioning.
    NotFunctioning,
    /// FC 15: link service not implemented.
    NotImplemented,
    /// No answer after every repetition: the link went down.
    NoResponse,
}

/// The number [`send`](super::UnbalancedPrimary::send) gave user data, repeated in its
/// confirmation or refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SendId(pub u64);

/// What happened, from `on_bytes` or `on_timeout`. User data are borrowed for the call only.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event<'a> {
    /// User data (an ASDU) from the station with this link address.
    UserData {
        /// The link address in the frame (ours for data sent to a secondary).
        address: u16,
        /// How they came.
        service: Service,
        /// The ASDU; decode it with [`Asdu::decode`](crate::Asdu::decode).
        asdu: &'a [u8],
    },
    /// The link to this station is up: our reset of remote link was acknowledged.
    LinkUp {
        /// The remote station's link address.
        address: u16,
    },
    /// The link to this station is down: a frame went unanswered after every repetition. A
    /// new status request and reset follow after [`Params::link_retry`](super::Params).
    LinkDown {
        /// The remote station's link address.
        address: u16,
    },
    /// The remote primary reset our secondary link (FC 0): FCB memory forgotten.
    ResetByRemote {
        /// Our link address in the frame.
        address: u16,
    },
    /// The remote primary asked for a reset of the user process (FC 1).
    UserProcessReset {
        /// Our link address in the frame.
        address: u16,
    },
    /// The secondary set ACD: class 1 data wait (it is polled with FC 10 until it clears).
    AccessDemand {
        /// The secondary's link address.
        address: u16,
    },
    /// The remote's DFC changed: while busy, no user data is sent to it.
    Busy {
        /// The remote station's link address.
        address: u16,
        /// DFC as received.
        busy: bool,
    },
    /// User data sent with FC 3 were acknowledged.
    Confirmed {
        /// The remote station's link address.
        address: u16,
        /// The number `send` returned.
        id: SendId,
    },
    /// User data sent with FC 3 were not acknowledged; they are dropped.
    NotConfirmed {
        /// The remote station's link address.
        address: u16,
        /// The number `send` returned.
        id: SendId,
        /// Why.
        reason: Refusal,
    },
    /// A frame with FCV = 1 and the FCB of the last one accepted: the remote repeated it, so
    /// our last answer went out again and nothing was delivered twice.
    Repetition {
        /// The link address in the frame.
        address: u16,
        /// Its function.
        function: PrimaryFunction,
    },
    /// A frame of ours went unanswered: it is sent again, with the same FCB.
    Repeating {
        /// The remote station's link address.
        address: u16,
        /// The repetition, 1 for the first.
        attempt: u8,
    },
    /// A well-formed frame that answers nothing outstanding, or is not allowed here; ignored.
    Unexpected {
        /// Its link address (0 for the single character or without an address field).
        address: u16,
        /// Its control field; `None` for the single character.
        control: Option<Control>,
    },
    /// Bytes on the line that are no frame (noise, a frame that failed a check), discarded.
    Discarded {
        /// How many.
        bytes: usize,
        /// Why the first of them could not start a frame, if known.
        error: Option<Error>,
    },
}

/// Why user data were not queued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The queue for that station holds [`Params::queue_len`](super::Params) ASDUs.
    #[error("the queue for link address {address} is full")]
    QueueFull {
        /// The station's link address.
        address: u16,
    },
    /// No station with that link address was configured.
    #[error("no station with link address {0}")]
    UnknownAddress(u16),
    /// The ASDU is empty or does not fit a frame.
    #[error("an ASDU of {len} octets: expected 1..={max}")]
    Length {
        /// Its length.
        len: usize,
        /// The longest that fits.
        max: usize,
    },
}
