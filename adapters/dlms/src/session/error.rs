//! Why a session failed.

use std::time::Duration;

use fieldbridge_dlms::apdu::get::{ActionResult, DataAccessResult};
use fieldbridge_dlms::obis::ObisCode;

/// Why a session failed. Every error from [`Session::receive`](super::Session::receive) and
/// [`Session::check_timeout`](super::Session::check_timeout) leaves the session idle; a request
/// refused before anything was sent ([`SessionError::State`], [`SessionError::TooLong`],
/// [`SessionError::UnknownObject`], [`SessionError::NoShortName`]) leaves it as it was.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The meter's APDU does not decode.
    #[error("the meter's APDU does not decode: {0}")]
    Codec(#[from] fieldbridge_dlms::Error),
    /// The AARE refused the association.
    #[error("the meter refused the association: {result} ({diagnostic})")]
    Rejected {
        /// The association-result's name.
        result: &'static str,
        /// The result-source-diagnostic's name.
        diagnostic: &'static str,
    },
    /// The meter sent an APDU the session did not wait for.
    #[error("expected {expected}, the meter sent {found}")]
    Unexpected {
        /// What the session waited for.
        expected: &'static str,
        /// The name of the APDU that came.
        found: &'static str,
    },
    /// The answer's invoke-id is not the request's.
    #[error("the answer carries invoke-id {found}, the request {expected}")]
    InvokeId {
        /// The request's invoke-id.
        expected: u8,
        /// The answer's.
        found: u8,
    },
    /// No answer came in time.
    #[error("no answer from the meter within {0:?}")]
    Timeout(Duration),
    /// A request was made in a state that does not allow it.
    #[error("cannot {action} while {phase}")]
    State {
        /// What the caller asked for.
        action: &'static str,
        /// What the session was doing.
        phase: &'static str,
    },
    /// The configuration cannot give the association it asks for.
    #[error("the session's configuration is unusable: {problem}")]
    Config {
        /// What is missing or wrong.
        problem: &'static str,
    },
    /// The operating system gave no random octets for the HLS challenge.
    #[error("no random HLS challenge: the operating system's CSPRNG failed: {0}")]
    Random(String),
    /// The meter refused our f(StoC) in HLS pass 4 (DLMS UA 1000-2 Ed. 10 clause 9.2.7.4): it
    /// does not hold the same keys, or not our system title.
    #[error("the meter refused our HLS-GMAC reply f(StoC): action-result {result}")]
    HlsRefused {
        /// The action-result of reply_to_HLS_authentication.
        result: ActionResult,
    },
    /// The meter's f(CtoS) in HLS pass 4 is missing or does not verify: it did not prove that
    /// it holds the association's keys (clause 9.2.7.4).
    #[error("the meter's HLS-GMAC reply f(CtoS) {problem}: the meter is not authenticated")]
    HlsReply {
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A ciphered APDU's GCM tag does not verify (security suite 0, clause 9.2.7.2.4): it was
    /// protected with another key or system title, or altered on the way. AES-GCM cannot tell
    /// these apart, by design.
    #[error(
        "the GCM tag of the meter's {apdu} does not verify: another key, another system \
         title, or altered bytes"
    )]
    Tag {
        /// The ciphered APDU's name.
        apdu: &'static str,
    },
    /// A ciphered APDU repeats or goes back on the meter's invocation counter (clause
    /// 9.2.7.2.4.3): a replay.
    #[error("the meter's invocation counter {found} is not above the last one accepted, {last}: a replay")]
    Replay {
        /// The last counter accepted.
        last: u32,
        /// The counter of the refused APDU.
        found: u32,
    },
    /// An APDU came in clear where the security policy asks for it ciphered.
    #[error("the meter sent {found} in clear, the security policy requires it ciphered")]
    Unprotected {
        /// What came in clear.
        found: &'static str,
    },
    /// Any other security failure: a security control that is not the association's policy,
    /// a missing key, a ciphered APDU under no policy, another sender's system title.
    #[error("security suite 0: {0}")]
    Security(fieldbridge_dlms::Error),
    /// The client's invocation counter reached its end (2^32 - 1): the keys must be changed
    /// before anything more can be ciphered (clause 9.2.7.2.4.3).
    #[error("the client's invocation counter is used up: new keys are needed")]
    CounterExhausted,
    /// Short name referencing: the object is not in the meter's object list, so it has no
    /// short name. Nothing was sent and the association stays up: a source counts this like
    /// the data-access-result object-undefined ([`SessionError::object_undefined`]).
    #[error(
        "object {logical_name} of class {class_id} is not in the meter's object list: it has \
         no short name (object-undefined)"
    )]
    UnknownObject {
        /// The interface class asked for.
        class_id: u16,
        /// The logical name asked for.
        logical_name: ObisCode,
    },
    /// Short name referencing: the attribute or method has no short name the session can
    /// compute. Nothing was sent and the association stays up.
    #[error("{member} {id} of class {class_id} has no short name: {why}")]
    NoShortName {
        /// The interface class.
        class_id: u16,
        /// "attribute" or "method".
        member: &'static str,
        /// The attribute or method id.
        id: i8,
        /// Why not.
        why: &'static str,
    },
    /// Short name referencing: the meter refused to read its object list (Association SN
    /// attribute 2), without which no short name is known.
    #[error("the meter refused to read its object list (short name 0xFA08): {0}")]
    ObjectListRefused(DataAccessResult),
    /// A SET or ACTION is too long for the meter's max-receive-pdu-size and the meter did not
    /// grant block transfer for it; or a WriteRequest (short names) is, which the session does
    /// not cut into blocks.
    #[error(
        "the request takes {len} octets, the meter takes at most {max}, and it cannot go in \
         blocks (no block transfer granted, or a WriteRequest)"
    )]
    TooLong {
        /// The request's length, ciphered.
        len: usize,
        /// The meter's server-max-receive-pdu-size.
        max: usize,
    },
}

impl SessionError {
    /// Whether this is a security failure: HLS, a GCM tag, a replay, an APDU in clear, a
    /// wrong security control or key. A source counts these apart from garbage.
    pub fn is_security(&self) -> bool {
        matches!(
            self,
            SessionError::HlsRefused { .. }
                | SessionError::HlsReply { .. }
                | SessionError::Tag { .. }
                | SessionError::Replay { .. }
                | SessionError::Unprotected { .. }
                | SessionError::Security(_)
        )
    }

    /// The data-access-result a source records for this error when it concerns one object
    /// rather than the association: object-undefined for an object that short name
    /// referencing cannot name ([`SessionError::UnknownObject`], [`SessionError::NoShortName`]).
    /// The session is still associated and ready after these.
    pub fn object_undefined(&self) -> Option<DataAccessResult> {
        match self {
            SessionError::UnknownObject { .. } | SessionError::NoShortName { .. } => {
                Some(DataAccessResult::OBJECT_UNDEFINED)
            }
            _ => None,
        }
    }

    /// Maps a codec error from deciphering `apdu` to the error that names it.
    pub(crate) fn from_unprotect(apdu: &'static str, error: fieldbridge_dlms::Error) -> Self {
        match error {
            fieldbridge_dlms::Error::AuthenticationFailed {
                what: "GCM tag", ..
            } => SessionError::Tag { apdu },
            fieldbridge_dlms::Error::Replay { last, found, .. } => {
                SessionError::Replay { last, found }
            }
            other => SessionError::Security(other),
        }
    }
}
