//! Security suite 0 in the session (DLMS UA 1000-2 Ed. 10 clause 9.2.7.2): the client's
//! invocation counter, the meter's system title and counter guard, and the ciphering of
//! requests and deciphering of answers with the codec's `security` module.

use fieldbridge_dlms::security::{
    encrypt, hls_gmac, CipheredApdu, CounterGuard, Envelope, KeyKind, SecurityControl, SystemTitle,
    HLS_GMAC_LEN,
};

use super::config::{Authentication, Challenge, Referencing, Security, SessionConfig};
use super::error::SessionError;

/// The security state of a session: the counter survives re-associations, the rest is per
/// association.
#[derive(Debug, Default)]
pub(super) struct Protection {
    /// The client's next invocation counter (the frame counter of the next APDU it protects).
    pub(super) next_counter: u32,
    /// The meter's system title, from the AARE's responding-AP-title.
    pub(super) server_title: Option<SystemTitle>,
    /// The meter's last invocation counter accepted in this association.
    pub(super) guard: CounterGuard,
    /// Whether requests go as general-glo-ciphering now (configured, granted, associated).
    pub(super) general: bool,
    /// Reused plaintext buffer.
    pub(super) scratch: Vec<u8>,
}

impl Protection {
    /// Forgets what belongs to one association; the invocation counter stays.
    pub(super) fn end_association(&mut self) {
        self.server_title = None;
        self.guard = CounterGuard::new();
        self.general = false;
    }

    /// The next invocation counter, moved on by one.
    ///
    /// # Errors
    /// [`SessionError::CounterExhausted`] at 2^32 - 1: the last value is never used, so that
    /// no counter can be used twice.
    pub(super) fn take_counter(&mut self) -> Result<u32, SessionError> {
        let counter = self.next_counter;
        self.next_counter = counter
            .checked_add(1)
            .ok_or(SessionError::CounterExhausted)?;
        Ok(counter)
    }

    /// Protects a plain request under the configured policy; in clear without one.
    ///
    /// # Errors
    /// [`SessionError::CounterExhausted`], or [`SessionError::Security`] for a missing key.
    pub(super) fn seal(
        &mut self,
        security: Option<&Security>,
        plain: Vec<u8>,
        service_specific: bool,
    ) -> Result<Vec<u8>, SessionError> {
        let Some((security, policy)) = security.and_then(|s| s.policy.map(|p| (s, p))) else {
            return Ok(plain);
        };
        let envelope = if self.general && !service_specific {
            Envelope::General(KeyKind::Global)
        } else {
            Envelope::ServiceSpecific(KeyKind::Global)
        };
        let counter = self.take_counter()?;
        let mut out = Vec::with_capacity(plain.len() + 32);
        encrypt(
            envelope,
            SecurityControl::new(policy),
            counter,
            &security.system_title,
            &security.keys,
            &plain,
            &mut out,
        )
        .map_err(SessionError::Security)?;
        Ok(out)
    }

    /// Checks and deciphers a ciphered answer from the meter into `out`: the association's
    /// policy exactly, the meter's system title, a counter above the last one accepted.
    ///
    /// # Errors
    /// [`SessionError::Security`] when no policy is configured (a ciphered answer to a plain
    /// request) or the meter's system title is not known yet, then the deciphering errors
    /// named by [`SessionError::from_unprotect`].
    pub(super) fn open<'o>(
        &mut self,
        security: Option<&Security>,
        apdu: &CipheredApdu<'_>,
        out: &'o mut Vec<u8>,
    ) -> Result<&'o [u8], SessionError> {
        let name = apdu.tag().name().unwrap_or("ciphered APDU");
        let Some((security, policy)) = security.and_then(|s| s.policy.map(|p| (s, p))) else {
            return Err(SessionError::Unexpected {
                expected: "an APDU in clear (no security policy is configured)",
                found: name,
            });
        };
        let Some(title) = self.server_title else {
            return Err(SessionError::Unexpected {
                expected: "the meter's system title in the AARE before any ciphered APDU",
                found: name,
            });
        };
        apdu.decrypt_guarded_with_policy(&security.keys, policy, Some(&title), &mut self.guard, out)
            .map_err(|e| SessionError::from_unprotect(name, e))
    }

    /// f(StoC) of HLS pass 3: the client's title, the next counter, the meter's challenge.
    ///
    /// # Errors
    /// [`SessionError::Config`] without keys, [`SessionError::CounterExhausted`],
    /// [`SessionError::Security`] for a challenge outside 8..=64 octets.
    pub(super) fn reply_to_challenge(
        &mut self,
        security: Option<&Security>,
        stoc: &[u8],
    ) -> Result<[u8; HLS_GMAC_LEN], SessionError> {
        let (security, ek, ak) = hls_keys(security)?;
        let counter = self.take_counter()?;
        hls_gmac(ek, ak, &security.system_title, counter, stoc).map_err(SessionError::Security)
    }
}

/// The security setup and the two keys HLS-GMAC needs.
///
/// # Errors
/// [`SessionError::Config`] naming what is missing.
pub(super) fn hls_keys(
    security: Option<&Security>,
) -> Result<(&Security, &[u8; 16], &[u8; 16]), SessionError> {
    let security = security.ok_or(SessionError::Config {
        problem: "HLS-GMAC needs the security setup (keys and the client's system title)",
    })?;
    match (&security.keys.global_unicast, &security.keys.authentication) {
        (Some(ek), Some(ak)) => Ok((security, ek, ak)),
        _ => Err(SessionError::Config {
            problem: "HLS-GMAC needs the global unicast encryption key and the authentication key",
        }),
    }
}

/// Checks that the configuration can give the association it asks for.
///
/// # Errors
/// [`SessionError::Config`] naming the first problem.
pub(super) fn check(config: &SessionConfig) -> Result<(), SessionError> {
    if let Authentication::HighGmac { challenge } = &config.authentication {
        if config.referencing == Referencing::ShortNames {
            return Err(SessionError::Config {
                problem: HLS_WITH_SHORT_NAMES,
            });
        }
        hls_keys(config.security.as_ref())?;
        let len = match challenge {
            Challenge::Random { len } => *len,
            Challenge::Fixed(bytes) => bytes.len(),
        };
        if !(Challenge::MIN_LEN..=Challenge::MAX_LEN).contains(&len) {
            return Err(SessionError::Config {
                problem: "the HLS challenge must be 8 to 64 octets",
            });
        }
    }
    if let Some(security) = &config.security {
        if let Some(policy) = security.policy {
            if security.keys.global_unicast.is_none() {
                return Err(SessionError::Config {
                    problem: "ciphering needs the global unicast encryption key",
                });
            }
            if policy.authenticated() && security.keys.authentication.is_none() {
                return Err(SessionError::Config {
                    problem: "an authenticated security policy needs the authentication key",
                });
            }
        }
    }
    Ok(())
}

/// Why HLS-GMAC is refused with short names. IEC 62056-6-2 gives the method:
/// reply_to_HLS_authentication, method 8 of the Association SN object (class 12), short name
/// x + 0x58, so 0xFA58 for the current association; it returns f(CtoS), so it cannot go as a
/// WriteRequest and needs a ReadRequest with parameterized-access. How that access carries the
/// method's parameters is where the SN clients part: jDLMS sends selector 0, older Gurux
/// selector 1, and Gurux 1.0.203 sends a WriteRequest, which cannot return f(CtoS). Without the
/// standard's word on it, the session refuses rather than guesses.
const HLS_WITH_SHORT_NAMES: &str = "HLS-GMAC with short name referencing is not supported: \
    reply_to_HLS_authentication (Association SN method 8, 0xFA58) would need a ReadRequest with \
    parameterized-access whose form SN clients disagree on; use LN referencing, or low-level \
    security";

/// The octets the ciphering of a request adds at most: tag, length (up to 3), security
/// control, invocation counter, GCM tag, and the system title of general-glo-ciphering.
pub(super) fn overhead(security: Option<&Security>) -> usize {
    match security.and_then(|s| s.policy) {
        Some(_) => 1 + 3 + 1 + 4 + 12 + 1 + 8,
        None => 0,
    }
}
