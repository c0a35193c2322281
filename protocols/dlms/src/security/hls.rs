//! HLS authentication mechanism 5, HLS-GMAC (DLMS UA 1000-2 Ed. 10, 9.2.7.4, 9.2.2.2.2): each
//! side proves it holds the keys by returning f(challenge) = SC || FC || GMAC of the other
//! side's challenge.

use super::gcm;
use super::{Key, SecurityControl, SystemTitle, TAG_LEN};
use crate::Error;

/// The length of an HLS-GMAC reply: SC (1), FC (4), the GMAC tag (12).
pub const HLS_GMAC_LEN: usize = 1 + 4 + TAG_LEN;

/// The shortest challenge (9.2.2.2.2: 8 to 64 octets).
const MIN_CHALLENGE: usize = 8;
/// The longest challenge.
const MAX_CHALLENGE: usize = 64;

/// The error for a challenge outside 8..=64 octets.
fn bad_challenge(challenge: &[u8]) -> Error {
    Error::BadLength {
        offset: 0,
        what: "HLS challenge",
        min: MIN_CHALLENGE as u64,
        max: MAX_CHALLENGE as u64,
        found: challenge.len() as u64,
    }
}

/// SC || AK || challenge in a stack buffer, for a challenge of 8 to 64 octets.
fn aad(ak: &Key, challenge: &[u8]) -> Result<([u8; 17 + MAX_CHALLENGE], usize), Error> {
    if challenge.len() < MIN_CHALLENGE {
        return Err(bad_challenge(challenge));
    }
    let mut aad = [0u8; 17 + MAX_CHALLENGE];
    let len = 17 + challenge.len();
    let Some(slot) = aad.get_mut(..len) else {
        return Err(bad_challenge(challenge));
    };
    let (header, rest) = slot.split_at_mut(17);
    let (sc, key) = header.split_at_mut(1);
    sc.fill(SecurityControl::AUTHENTICATION);
    key.copy_from_slice(ak);
    rest.copy_from_slice(challenge);
    Ok((aad, len))
}

/// f(challenge) of HLS mechanism 5: SC (0x10) || FC || GMAC(EK, IV = system title || FC,
/// AAD = SC || AK || challenge), 17 octets.
///
/// For f(StoC) the client passes its own system title and frame counter and the server's
/// challenge; for f(CtoS) the server passes its own and the client's challenge.
///
/// # Errors
/// [`Error::BadLength`] for a challenge shorter than 8 or longer than 64 octets (9.2.2.2.2): a
/// short challenge would make the reply easy to replay.
pub fn hls_gmac(
    encryption_key: &Key,
    authentication_key: &Key,
    system_title: &SystemTitle,
    frame_counter: u32,
    challenge: &[u8],
) -> Result<[u8; HLS_GMAC_LEN], Error> {
    let (aad, len) = aad(authentication_key, challenge)?;
    let iv = gcm::iv(system_title, frame_counter);
    let tag = gcm::seal(
        encryption_key,
        iv,
        aad.get(..len).unwrap_or_default(),
        &mut [],
    )
    .ok_or_else(|| bad_challenge(challenge))?;
    let mut out = [0u8; HLS_GMAC_LEN];
    let (head, mac) = out.split_at_mut(5);
    let (sc, fc) = head.split_at_mut(1);
    sc.fill(SecurityControl::AUTHENTICATION);
    fc.copy_from_slice(&frame_counter.to_be_bytes());
    mac.copy_from_slice(&tag);
    Ok(out)
}

/// Checks an HLS mechanism 5 reply `response` (SC || FC || GMAC) from the peer whose system
/// title is `peer_system_title`, against the `challenge` this side sent. Returns the peer's
/// frame counter, for the caller's [`CounterGuard`](super::CounterGuard).
///
/// # Errors
/// [`Error::BadLength`] for a reply that is not 17 octets or a challenge outside 8..=64
/// octets,
/// [`Error::BadByte`] for a security control other than 0x10, [`Error::AuthenticationFailed`]
/// (`"HLS GMAC"`) when the GMAC does not verify. Offsets count from the start of `response`.
pub fn verify_hls_gmac(
    encryption_key: &Key,
    authentication_key: &Key,
    peer_system_title: &SystemTitle,
    challenge: &[u8],
    response: &[u8],
) -> Result<u32, Error> {
    let Ok(response) = <&[u8; HLS_GMAC_LEN]>::try_from(response) else {
        return Err(Error::BadLength {
            offset: 0,
            what: "HLS-GMAC reply",
            min: HLS_GMAC_LEN as u64,
            max: HLS_GMAC_LEN as u64,
            found: response.len() as u64,
        });
    };
    let [sc, f0, f1, f2, f3, ..] = *response;
    if sc != SecurityControl::AUTHENTICATION {
        return Err(Error::BadByte {
            offset: 0,
            what: "HLS-GMAC security control",
            expected: "0x10 (suite 0, authentication)",
            found: sc,
        });
    }
    let frame_counter = u32::from_be_bytes([f0, f1, f2, f3]);
    let expected = hls_gmac(
        encryption_key,
        authentication_key,
        peer_system_title,
        frame_counter,
        challenge,
    )?;
    // Both are public after the exchange, but compare without an early exit all the same.
    let diff = expected
        .iter()
        .zip(response.iter())
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    if diff != 0 {
        return Err(Error::AuthenticationFailed {
            offset: 0,
            what: "HLS GMAC",
        });
    }
    Ok(frame_counter)
}
