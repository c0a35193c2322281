//! Why a session failed.

use std::time::Duration;

use fieldbridge_dlms::apdu::get::ActionResult;

/// Why a session failed. Every error but a refused read leaves the session idle.
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
    /// A SET or ACTION is too long for the meter's max-receive-pdu-size and the meter did not
    /// grant block transfer for it.
    #[error(
        "the request takes {len} octets, the meter takes at most {max}, and granted no block \
         transfer for it"
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
