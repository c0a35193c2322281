//! Ciphered APDUs: the service-specific glo-/ded- forms and general-glo-/general-ded-ciphering
//! (DLMS UA 1000-2 Ed. 10, 9.2.7.2 and 9.5).

use super::gcm;
use super::{
    CipheredTag, CounterGuard, KeyKind, Keys, SecurityControl, SecurityPolicy, SystemTitle,
    HEADER_LEN, TAG_LEN,
};
use crate::reader::{length_len, put_length, Reader};
use crate::Error;

/// Which envelope [`encrypt`] builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Envelope {
    /// The glo- or ded- form of the plain APDU's service (its tag chosen from the plain APDU's
    /// first octet); the receiver must know the sender's system title.
    ServiceSpecific(KeyKind),
    /// general-glo-ciphering (global key) or general-ded-ciphering (dedicated key), which carry
    /// the sender's system title and can protect any APDU.
    General(KeyKind),
}

/// A ciphered APDU, borrowed from its input: the envelope read, nothing decrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CipheredApdu<'a> {
    tag: CipheredTag,
    system_title: Option<SystemTitle>,
    control: SecurityControl,
    frame_counter: u32,
    information: &'a [u8],
    auth_tag: Option<[u8; TAG_LEN]>,
    header_offset: usize,
}

impl<'a> CipheredApdu<'a> {
    /// Reads a whole ciphered APDU (a complete parser: the APDU must fill `input`).
    ///
    /// ```text
    /// service-specific  tag | A-XDR length | SC | FC (4) | information | T (12, if SC & 0x10)
    /// general-glo/ded   tag | 0x08 | system title (8) | A-XDR length | SC | FC | information | T
    /// ```
    ///
    /// The security control byte is read but not judged here (a monitoring tool may show an
    /// unsupported one); [`CipheredApdu::decrypt`] refuses what it cannot process.
    ///
    /// # Errors
    /// [`Error::Unsupported`] for general-ciphering (221), [`Error::UnknownChoice`] for any other
    /// tag that is no ciphered APDU, [`Error::BadLength`] for a system title that is not 8
    /// octets or a length beyond the input, [`Error::Truncated`] when the content is too short
    /// for its header and tag, [`Error::TrailingBytes`] after the APDU.
    pub fn decode(input: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new(input);
        let tag = CipheredTag(r.u8("ciphered APDU tag")?);
        if tag == CipheredTag::GENERAL_CIPHERING {
            return Err(Error::Unsupported {
                offset: 0,
                what: "general-ciphering",
            });
        }
        if tag.key().is_none() {
            return Err(Error::UnknownChoice {
                offset: 0,
                what: "ciphered APDU tag",
                found: tag.0,
            });
        }
        let system_title = if tag.is_general() {
            let at = r.offset();
            let len = r.length("system-title length", 1)?;
            if len != 8 {
                return Err(Error::BadLength {
                    offset: at,
                    what: "system-title length",
                    min: 8,
                    max: 8,
                    found: len as u64,
                });
            }
            Some(r.array::<8>("system-title")?)
        } else {
            None
        };
        let len = r.length("ciphered content length", 1)?;
        let header_offset = r.offset();
        let content = r.bytes(len, "ciphered content")?;
        if !r.is_empty() {
            return Err(Error::TrailingBytes {
                offset: r.offset(),
                what: "ciphered APDU",
                count: r.remaining(),
            });
        }
        let mut c = Reader::at(content, header_offset);
        let control = SecurityControl(c.u8("security control")?);
        let frame_counter = c.u32("frame counter")?;
        let (information, auth_tag) = if control.authenticated() {
            let len = c
                .remaining()
                .checked_sub(TAG_LEN)
                .ok_or_else(|| Error::Truncated {
                    offset: c.offset(),
                    what: "authentication tag",
                    needed: TAG_LEN.saturating_sub(c.remaining()),
                })?;
            let information = c.bytes(len, "ciphered information")?;
            (information, Some(c.array::<TAG_LEN>("authentication tag")?))
        } else {
            (c.rest(), None)
        };
        Ok(Self {
            tag,
            system_title,
            control,
            frame_counter,
            information,
            auth_tag,
            header_offset,
        })
    }

    /// The tag: which ciphered form this is.
    pub fn tag(&self) -> CipheredTag {
        self.tag
    }

    /// The sender's system title, when the APDU carries it (the general forms).
    pub fn system_title(&self) -> Option<&SystemTitle> {
        self.system_title.as_ref()
    }

    /// The security control byte.
    pub fn security_control(&self) -> SecurityControl {
        self.control
    }

    /// The frame (invocation) counter.
    pub fn frame_counter(&self) -> u32 {
        self.frame_counter
    }

    /// The ciphered information: the ciphertext, or the plaintext APDU when only authenticated;
    /// without the tag.
    pub fn information(&self) -> &'a [u8] {
        self.information
    }

    /// The authentication tag, when the APDU is authenticated.
    pub fn auth_tag(&self) -> Option<&[u8; TAG_LEN]> {
        self.auth_tag.as_ref()
    }

    /// The offset of the security header (the security control byte) in the input.
    pub fn header_offset(&self) -> usize {
        self.header_offset
    }

    /// Checks the tag and writes the plaintext APDU into `out` (cleared first; reuse it from
    /// frame to frame so that it stops allocating once grown). The frame counter is not judged:
    /// see [`CipheredApdu::decrypt_guarded`].
    ///
    /// Only authenticated APDUs (security control bit 4 set: authentication only, or
    /// authenticated encryption) are accepted. The security control byte travels in the APDU,
    /// so a receiver that took its policy from it would let anyone clear that bit and turn off
    /// the tag check; an association configured for encryption only uses
    /// [`CipheredApdu::decrypt_with_policy`] instead.
    ///
    /// `system_title` is the sender's: required for the service-specific forms. For the general
    /// forms, when given, it must equal the one carried; with `None` a general-glo- or
    /// general-ded-ciphering APDU is accepted with whatever title it carries, which lets anyone
    /// holding a frame protected with the same keys (this side's own, reflected back to it)
    /// pass it off as the peer's. Pass the peer's system title whenever it is known (it is, once
    /// the AARQ and AARE have been exchanged).
    ///
    /// For a service-specific form, whose tag the GCM tag does not cover, the plaintext must be
    /// the APDU that tag stands for (a get-request in a glo-get-request).
    ///
    /// # Errors
    /// [`Error::Unsupported`] for compression or a suite other than 0, [`Error::BadByte`]
    /// (`"security control"`) for a security control without the authentication bit or with
    /// the broadcast key set on a dedicated-key APDU, [`Error::Key`] for a missing key or system
    /// title, [`Error::AuthenticationFailed`] (`"system title"` when the carried one is not
    /// `system_title`; `"GCM tag"` when the tag does not verify: wrong key, wrong system title or
    /// counter, or altered bytes; `"ciphered APDU tag"`, at offset 0, when the plaintext is not
    /// the service the ciphered tag names). `out` is empty after an error.
    pub fn decrypt<'o>(
        &self,
        keys: &Keys,
        system_title: Option<&SystemTitle>,
        out: &'o mut Vec<u8>,
    ) -> Result<&'o [u8], Error> {
        out.clear();
        let at = self.header_offset;
        let policy = check_control(self.control, at)?;
        if !policy.authenticated() {
            return Err(Error::BadByte {
                offset: at,
                what: "security control",
                expected: "the authentication bit (0x10) set: encryption only is read with \
                           decrypt_with_policy",
                found: self.control.0,
            });
        }
        self.unprotect(keys, policy, system_title, out)
    }

    /// [`CipheredApdu::decrypt`] for an association whose security policy is configured: the
    /// APDU's security control must say exactly `policy` (a weaker one or a stronger one is
    /// refused, so that a policy is never taken from the wire).
    ///
    /// With [`SecurityPolicy::Encrypted`] there is no tag: a wrong key or an altered byte gives
    /// a wrong plaintext, not an error (9.2.7.2.4), and nothing proves who sent the APDU or its
    /// frame counter. The plaintext of a service-specific form must still start with the tag of
    /// its service, which catches most wrong keys but is no authentication.
    ///
    /// # Errors
    /// [`Error::BadByte`] (`"security control"`) for a security control whose policy is not
    /// `policy`, then those of [`CipheredApdu::decrypt`] but its refusal of encryption only.
    pub fn decrypt_with_policy<'o>(
        &self,
        keys: &Keys,
        policy: SecurityPolicy,
        system_title: Option<&SystemTitle>,
        out: &'o mut Vec<u8>,
    ) -> Result<&'o [u8], Error> {
        out.clear();
        let at = self.header_offset;
        let found = check_control(self.control, at)?;
        if found != policy {
            return Err(Error::BadByte {
                offset: at,
                what: "security control",
                expected: match policy {
                    SecurityPolicy::Authenticated => {
                        "authentication only (0x10), the association's security policy"
                    }
                    SecurityPolicy::Encrypted => {
                        "encryption only (0x20), the association's security policy"
                    }
                    SecurityPolicy::AuthenticatedEncrypted => {
                        "authentication and encryption (0x30), the association's security policy"
                    }
                },
                found: self.control.0,
            });
        }
        self.unprotect(keys, policy, system_title, out)
    }

    /// Checks the tag and deciphers under `policy`, which the security control byte says.
    fn unprotect<'o>(
        &self,
        keys: &Keys,
        policy: SecurityPolicy,
        system_title: Option<&SystemTitle>,
        out: &'o mut Vec<u8>,
    ) -> Result<&'o [u8], Error> {
        let at = self.header_offset;
        let title = match (self.system_title.as_ref(), system_title) {
            (Some(carried), Some(expected)) if carried != expected => {
                return Err(Error::AuthenticationFailed {
                    offset: 2,
                    what: "system title",
                })
            }
            (Some(title), _) | (None, Some(title)) => title,
            (None, None) => {
                return Err(Error::Key {
                    offset: 0,
                    what: "system title",
                    expected: "the sender's 8-octet system title",
                })
            }
        };
        let kind = self.tag.key().unwrap_or(KeyKind::Global);
        check_key_set(kind, self.control, at)?;
        let key = keys.encryption_key(kind, self.control, 0)?;
        let iv = gcm::iv(title, self.frame_counter);
        let failed = Error::AuthenticationFailed {
            offset: at,
            what: "GCM tag",
        };
        match (policy, self.auth_tag.as_ref()) {
            (SecurityPolicy::Encrypted, _) => {
                out.extend_from_slice(self.information);
                if !gcm::keystream(key, iv, out) {
                    out.clear();
                    return Err(failed);
                }
            }
            (SecurityPolicy::AuthenticatedEncrypted, Some(tag)) => {
                let aad = aad_header(self.control, keys.authentication_key(0)?);
                out.extend_from_slice(self.information);
                if !gcm::open(key, iv, &aad, out, tag) {
                    out.clear();
                    return Err(failed);
                }
            }
            (SecurityPolicy::Authenticated, Some(tag)) => {
                let ak = keys.authentication_key(0)?;
                out.extend_from_slice(&aad_header(self.control, ak));
                out.extend_from_slice(self.information);
                if !gcm::open(key, iv, out, &mut [], tag) {
                    out.clear();
                    return Err(failed);
                }
                out.drain(..1 + ak.len());
            }
            // An authenticated policy always has its tag: `decode` read it.
            (_, None) => return Err(failed),
        }
        // The ciphered tag is outside the AAD: bind it to the service it names.
        if let Some((plain, _)) = self.tag.service() {
            if out.first() != Some(&plain) {
                out.clear();
                return Err(Error::AuthenticationFailed {
                    offset: 0,
                    what: "ciphered APDU tag",
                });
            }
        }
        Ok(out.as_slice())
    }

    /// [`CipheredApdu::decrypt`], refusing a frame counter that is not above the last one
    /// `guard` accepted, and recording it once the APDU verified. Since `decrypt` accepts only
    /// authenticated APDUs, only a counter the tag vouches for moves the guard.
    ///
    /// # Errors
    /// [`Error::Replay`] (at the frame counter's offset), then those of
    /// [`CipheredApdu::decrypt`].
    pub fn decrypt_guarded<'o>(
        &self,
        keys: &Keys,
        system_title: Option<&SystemTitle>,
        guard: &mut CounterGuard,
        out: &'o mut Vec<u8>,
    ) -> Result<&'o [u8], Error> {
        out.clear();
        guard.check(self.frame_counter, self.header_offset + 1)?;
        let plaintext = self.decrypt(keys, system_title, out)?;
        guard.accept(self.frame_counter);
        Ok(plaintext)
    }

    /// [`CipheredApdu::decrypt_with_policy`], refusing a frame counter that is not above the
    /// last one `guard` accepted, and recording it once the APDU verified.
    ///
    /// With [`SecurityPolicy::Encrypted`] the guard is checked but never moved: nothing
    /// authenticates the frame counter, so a forged APDU could otherwise push the guard to
    /// `u32::MAX` and have every genuine APDU after it refused as a replay. Replay protection
    /// needs an authenticated policy.
    ///
    /// # Errors
    /// [`Error::Replay`] (at the frame counter's offset), then those of
    /// [`CipheredApdu::decrypt_with_policy`].
    pub fn decrypt_guarded_with_policy<'o>(
        &self,
        keys: &Keys,
        policy: SecurityPolicy,
        system_title: Option<&SystemTitle>,
        guard: &mut CounterGuard,
        out: &'o mut Vec<u8>,
    ) -> Result<&'o [u8], Error> {
        out.clear();
        guard.check(self.frame_counter, self.header_offset + 1)?;
        let plaintext = self.decrypt_with_policy(keys, policy, system_title, out)?;
        if policy.authenticated() {
            guard.accept(self.frame_counter);
        }
        Ok(plaintext)
    }

    /// The bytes [`CipheredApdu::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        let content = self.content_len();
        let title = if self.system_title.is_some() {
            1 + 8
        } else {
            0
        };
        1 + title + length_len(content) + content
    }

    /// Appends the APDU as read (no cryptography: the envelope is rebuilt around the same
    /// bytes).
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.tag.0);
        if let Some(title) = &self.system_title {
            put_length(out, title.len());
            out.extend_from_slice(title);
        }
        put_length(out, self.content_len());
        out.push(self.control.0);
        out.extend_from_slice(&self.frame_counter.to_be_bytes());
        out.extend_from_slice(self.information);
        if let Some(tag) = &self.auth_tag {
            out.extend_from_slice(tag);
        }
    }

    fn content_len(&self) -> usize {
        HEADER_LEN + self.information.len() + self.auth_tag.map_or(0, |t| t.len())
    }
}

/// The policy of a security control byte this crate can process.
fn check_control(control: SecurityControl, offset: usize) -> Result<SecurityPolicy, Error> {
    if control.compressed() {
        return Err(Error::Unsupported {
            offset,
            what: "compression (security control bit 7)",
        });
    }
    if control.suite() != 0 {
        return Err(Error::Unsupported {
            offset,
            what: "security suite other than 0",
        });
    }
    control.policy().ok_or(Error::BadByte {
        offset,
        what: "security control",
        expected: "authentication (0x10), encryption (0x20) or both",
        found: control.0,
    })
}

/// Refuses the broadcast key set (security control bit 6) on an APDU protected with the
/// dedicated key, which has no broadcast form (9.2.7.2.3): the bit would otherwise be ignored.
fn check_key_set(kind: KeyKind, control: SecurityControl, offset: usize) -> Result<(), Error> {
    if kind == KeyKind::Dedicated && control.broadcast_key() {
        return Err(Error::BadByte {
            offset,
            what: "security control",
            expected: "the unicast key set (bit 6 clear) with the dedicated key",
            found: control.0,
        });
    }
    Ok(())
}

/// SC || AK: the start of the additional authenticated data (9.2.7.2.4.2).
fn aad_header(control: SecurityControl, ak: &[u8; 16]) -> [u8; 17] {
    let mut aad = [0u8; 17];
    let (sc, rest) = aad.split_at_mut(1);
    sc.fill(control.0);
    rest.copy_from_slice(ak);
    aad
}

/// Builds a ciphered APDU carrying `plaintext` (a whole xDLMS APDU) and appends it to `out`.
///
/// `system_title` is the sender's own; `frame_counter` must increase with every APDU sent with
/// the same key (the caller keeps it, 9.2.7.2.4.3). The security control byte says the policy
/// and, for the global key, whether the broadcast key is used (the dedicated key has no
/// broadcast form). A receiver reads encryption only ([`SecurityPolicy::Encrypted`]) with
/// [`CipheredApdu::decrypt_with_policy`] alone.
///
/// # Errors
/// [`Error::Unsupported`] for compression or a suite other than 0, [`Error::BadByte`] for a
/// security control with neither authentication nor encryption or with the broadcast key set
/// for the dedicated key, or a plain APDU with no service-specific form, [`Error::BadLength`] for an empty plaintext, [`Error::Key`] for a
/// missing key. Offsets count from the start of the APDU being written; nothing is left in
/// `out` after an error.
pub fn encrypt(
    envelope: Envelope,
    control: SecurityControl,
    frame_counter: u32,
    system_title: &SystemTitle,
    keys: &Keys,
    plaintext: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    let policy = check_control(control, 0)?;
    let Some(&first) = plaintext.first() else {
        return Err(Error::BadLength {
            offset: 0,
            what: "plaintext APDU",
            min: 1,
            max: u32::MAX.into(),
            found: 0,
        });
    };
    let (tag, kind) = match envelope {
        Envelope::ServiceSpecific(kind) => match CipheredTag::for_plain(first, kind) {
            Some(tag) => (tag, kind),
            None => {
                return Err(Error::BadByte {
                    offset: 0,
                    what: "plain APDU tag",
                    expected: "an APDU with a service-specific ciphered form (initiate, \
                               get, set, action, event-notification, SN services)",
                    found: first,
                })
            }
        },
        Envelope::General(KeyKind::Global) => (CipheredTag::GENERAL_GLO_CIPHERING, KeyKind::Global),
        Envelope::General(KeyKind::Dedicated) => {
            (CipheredTag::GENERAL_DED_CIPHERING, KeyKind::Dedicated)
        }
    };
    check_key_set(kind, control, 0)?;
    let key = keys.encryption_key(kind, control, 0)?;
    let ak = if policy.authenticated() {
        Some(keys.authentication_key(0)?)
    } else {
        None
    };
    let iv = gcm::iv(system_title, frame_counter);
    let start = out.len();
    // GCM refuses only inputs over 2^36 octets, which no APDU reaches.
    let mut failed = || Error::BadLength {
        offset: 0,
        what: "plaintext APDU",
        min: 1,
        max: 1 << 36,
        found: plaintext.len() as u64,
    };

    // Authentication only: the tag covers SC || AK || plaintext, written here as scratch.
    let auth_only_tag = match (policy, ak) {
        (SecurityPolicy::Authenticated, Some(ak)) => {
            out.extend_from_slice(&aad_header(control, ak));
            out.extend_from_slice(plaintext);
            let tag = gcm::seal(key, iv, out.get(start..).unwrap_or_default(), &mut []);
            out.truncate(start);
            Some(tag.ok_or_else(&mut failed)?)
        }
        _ => None,
    };

    let content_len = HEADER_LEN + plaintext.len() + if ak.is_some() { TAG_LEN } else { 0 };
    out.push(tag.0);
    if tag.is_general() {
        put_length(out, system_title.len());
        out.extend_from_slice(system_title);
    }
    put_length(out, content_len);
    out.push(control.0);
    out.extend_from_slice(&frame_counter.to_be_bytes());
    let body = out.len();
    out.extend_from_slice(plaintext);
    let tag = match (policy, ak) {
        (SecurityPolicy::Authenticated, _) => auth_only_tag,
        (SecurityPolicy::Encrypted, _) => {
            let sealed = out
                .get_mut(body..)
                .is_some_and(|buf| gcm::keystream(key, iv, buf));
            if !sealed {
                out.truncate(start);
                return Err(failed());
            }
            None
        }
        (SecurityPolicy::AuthenticatedEncrypted, Some(ak)) => {
            let aad = aad_header(control, ak);
            let tag = out
                .get_mut(body..)
                .and_then(|buf| gcm::seal(key, iv, &aad, buf));
            if tag.is_none() {
                out.truncate(start);
                return Err(failed());
            }
            tag
        }
        (SecurityPolicy::AuthenticatedEncrypted, None) => None,
    };
    if let Some(tag) = tag {
        out.extend_from_slice(&tag);
    }
    Ok(())
}
