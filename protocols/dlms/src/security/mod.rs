//! Security suite 0 (DLMS UA 1000-2 Ed. 10 "Green Book" clause 9.2): AES-GCM-128 with a
//! 12-octet tag protecting xDLMS APDUs, and the GMAC of HLS authentication mechanism 5.
//!
//! A ciphered APDU carries a security header (the security control byte and the frame counter)
//! and the ciphered information, in one of these envelopes (9.2.7.2, 9.5):
//!
//! ```text
//! service-specific (glo-/ded-get-request ..., tag 33..88 and 200..215)
//!   tag | length | SC | FC (4) | ciphertext or plaintext | T (12, when authenticated)
//! general-glo-ciphering (219), general-ded-ciphering (220)
//!   tag | length | system title | length | SC | FC (4) | ciphertext or plaintext | T (12)
//! ```
//!
//! The IV is the sender's system title followed by the frame counter. The additional
//! authenticated data is SC || AK for authenticated encryption and SC || AK || plaintext for
//! authentication only; encryption only sends no tag. [`CipheredApdu::decode`] reads the
//! envelope without keys; [`CipheredApdu::decrypt`] checks the tag and writes the plaintext APDU
//! into a buffer the caller reuses; [`encrypt`] builds a ciphered APDU. [`CounterGuard`] refuses
//! replayed frame counters; [`hls_gmac`] and [`verify_hls_gmac`] compute and check the HLS
//! mechanism 5 replies f(StoC) and f(CtoS).
//!
//! # What the tag covers, and what the caller must pass
//!
//! The GCM tag covers the security control byte (policy, key set, suite), the authentication
//! key, the ciphertext or plaintext, and, through the IV, the sender's system title and the frame
//! counter. It does not cover the APDU's tag or lengths, so the decrypting side adds:
//!
//! - **The policy is the receiver's.** The security control byte travels in the APDU, so it
//!   cannot say how the APDU must be checked: [`CipheredApdu::decrypt`] and
//!   [`CipheredApdu::decrypt_guarded`] accept only authenticated APDUs (bit 4 set), and an
//!   association configured with a policy calls [`CipheredApdu::decrypt_with_policy`] or
//!   [`CipheredApdu::decrypt_guarded_with_policy`], which accept that policy exactly. Encryption
//!   only ([`SecurityPolicy::Encrypted`]) detects neither a wrong key nor an altered byte, and
//!   authenticates no frame counter: replay protection needs an authenticated policy, and a
//!   [`CounterGuard`] is never moved by an unauthenticated APDU.
//! - **The ciphered tag must match the plaintext.** A service-specific form (glo-get-request
//!   ...) is accepted only when its plaintext is the APDU that tag stands for (a get-request);
//!   the glo- or ded- form and the key-set bit pick the key, so changing them fails the tag. The
//!   broadcast key-set bit is refused with the dedicated key, which has no broadcast form.
//! - **The sender's system title.** The service-specific forms need it (`Some`); for the general
//!   forms pass it too whenever it is known, since with `None` the title the APDU carries is
//!   trusted, and an APDU protected with the same keys by another entity (this side's own,
//!   reflected) would verify.
//! - **The keys of the association** ([`Keys`]): the global unicast or broadcast key or the
//!   dedicated key, as the APDU's tag and key-set bit say, and the authentication key for the
//!   authenticated policies. A missing one is [`crate::Error::Key`]; another key in its place
//!   fails the tag.
//! - **One [`CounterGuard`] per peer and key**, restored from storage across restarts, and a
//!   frame counter of its own that the caller increases for every APDU it [`encrypt`]s.
//!
//! HLS mechanism 5 challenges must be 8 to 64 octets (9.2.2.2.2).
//!
//! The cipher is RustCrypto's `aes-gcm`; nothing here implements AES or GHASH.

mod apdu;
mod control;
mod counter;
mod gcm;
mod hls;
mod tag;

pub use apdu::{encrypt, CipheredApdu, Envelope};
pub use control::{SecurityControl, SecurityPolicy};
pub use counter::CounterGuard;
pub use hls::{hls_gmac, verify_hls_gmac, HLS_GMAC_LEN};
pub use tag::{CipheredTag, KeyKind};

/// An AES-128 key.
pub type Key = [u8; 16];
/// A system title: the 8 octets that name a DLMS entity (manufacturer id and serial number).
pub type SystemTitle = [u8; 8];
/// The length of the authentication tag of suite 0: 12 octets.
pub const TAG_LEN: usize = 12;
/// The length of the security header: the security control byte and the frame counter.
pub const HEADER_LEN: usize = 5;

/// The keys of one association (9.2.5). Only the keys a policy needs must be there: every
/// policy needs the encryption key (the global unicast or broadcast key, or the dedicated key,
/// as the APDU says); the authentication key is needed when a tag is sent.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Keys {
    /// The global unicast encryption key (GUEK).
    pub global_unicast: Option<Key>,
    /// The global broadcast encryption key (GBEK).
    pub global_broadcast: Option<Key>,
    /// The dedicated key, agreed in the AARQ's xDLMS initiate request.
    pub dedicated: Option<Key>,
    /// The authentication key (AK).
    pub authentication: Option<Key>,
}

impl Keys {
    /// The global unicast key and the authentication key, the common case.
    pub const fn new(global_unicast: Key, authentication: Key) -> Self {
        Self {
            global_unicast: Some(global_unicast),
            global_broadcast: None,
            dedicated: None,
            authentication: Some(authentication),
        }
    }

    /// The encryption key for `kind` and the security control's key-set bit, or
    /// [`crate::Error::Key`] naming it.
    pub(crate) fn encryption_key(
        &self,
        kind: KeyKind,
        control: SecurityControl,
        offset: usize,
    ) -> Result<&Key, crate::Error> {
        let (key, what) = match kind {
            KeyKind::Dedicated => (&self.dedicated, "dedicated key"),
            KeyKind::Global if control.broadcast_key() => {
                (&self.global_broadcast, "global broadcast encryption key")
            }
            KeyKind::Global => (&self.global_unicast, "global unicast encryption key"),
        };
        key.as_ref().ok_or(crate::Error::Key {
            offset,
            what,
            expected: "a 16-octet AES-128 key",
        })
    }

    /// The authentication key, or [`crate::Error::Key`].
    pub(crate) fn authentication_key(&self, offset: usize) -> Result<&Key, crate::Error> {
        self.authentication.as_ref().ok_or(crate::Error::Key {
            offset,
            what: "authentication key",
            expected: "a 16-octet AES-128 key",
        })
    }
}

impl std::fmt::Debug for Keys {
    /// Says which keys are set, never their value.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = |key: &Option<Key>| if key.is_some() { "set" } else { "none" };
        f.debug_struct("Keys")
            .field("global_unicast", &set(&self.global_unicast))
            .field("global_broadcast", &set(&self.global_broadcast))
            .field("dedicated", &set(&self.dedicated))
            .field("authentication", &set(&self.authentication))
            .finish()
    }
}

/// Public proptest strategies for security suite 0 (feature `proptest`).
#[cfg(feature = "proptest")]
pub mod strategy {
    use super::{Key, SecurityPolicy, SystemTitle};
    use proptest::prelude::*;

    /// Any of the three policies.
    pub fn security_policy() -> impl Strategy<Value = SecurityPolicy> {
        proptest::sample::select(SecurityPolicy::ALL.to_vec())
    }

    /// Any AES-128 key.
    pub fn key() -> impl Strategy<Value = Key> {
        any::<Key>()
    }

    /// Any system title.
    pub fn system_title() -> impl Strategy<Value = SystemTitle> {
        any::<SystemTitle>()
    }

    /// A plaintext APDU of 1..=`max_len` octets whose first octet is a get-request (192),
    /// so that every envelope can carry it.
    pub fn plaintext(max_len: usize) -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(any::<u8>(), 0..max_len.max(1)).prop_map(|mut rest| {
            rest.insert(0, 0xC0);
            rest
        })
    }
}
