//! The security control byte of the security header (DLMS UA 1000-2 Ed. 10, 9.2.7.2.3, table
//! "Security control byte").
//!
//! ```text
//! bit 7    compression (not supported here)
//! bit 6    key set: 0 unicast, 1 broadcast
//! bit 5    encryption
//! bit 4    authentication
//! bits 3-0 security suite id (0: AES-GCM-128)
//! ```

/// The protection an APDU gets (9.2.7.2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecurityPolicy {
    /// Authenticated only: the APDU travels in clear with a GMAC tag (security control 0x10).
    Authenticated,
    /// Encrypted only: no tag, so a wrong key or an altered byte cannot be detected (0x20).
    Encrypted,
    /// Authenticated and encrypted (0x30).
    AuthenticatedEncrypted,
}

impl SecurityPolicy {
    /// All three.
    pub const ALL: [Self; 3] = [
        Self::Authenticated,
        Self::Encrypted,
        Self::AuthenticatedEncrypted,
    ];

    /// Whether a tag is sent and checked.
    pub const fn authenticated(self) -> bool {
        matches!(self, Self::Authenticated | Self::AuthenticatedEncrypted)
    }

    /// Whether the APDU is encrypted.
    pub const fn encrypted(self) -> bool {
        matches!(self, Self::Encrypted | Self::AuthenticatedEncrypted)
    }
}

/// The security control byte (9.2.7.2.3), kept as the octet so that any value read can be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SecurityControl(pub u8);

impl SecurityControl {
    /// The authentication bit.
    pub const AUTHENTICATION: u8 = 0x10;
    /// The encryption bit.
    pub const ENCRYPTION: u8 = 0x20;
    /// The key-set bit: the broadcast (not the unicast) global key.
    pub const BROADCAST_KEY: u8 = 0x40;
    /// The compression bit.
    pub const COMPRESSION: u8 = 0x80;

    /// Suite 0 with `policy`, the unicast key, no compression.
    pub const fn new(policy: SecurityPolicy) -> Self {
        Self(match policy {
            SecurityPolicy::Authenticated => Self::AUTHENTICATION,
            SecurityPolicy::Encrypted => Self::ENCRYPTION,
            SecurityPolicy::AuthenticatedEncrypted => Self::AUTHENTICATION | Self::ENCRYPTION,
        })
    }

    /// The same with the broadcast key bit set.
    #[must_use]
    pub const fn with_broadcast_key(self) -> Self {
        Self(self.0 | Self::BROADCAST_KEY)
    }

    /// The security suite id (bits 0-3).
    pub const fn suite(self) -> u8 {
        self.0 & 0x0F
    }

    /// Whether the APDU carries an authentication tag.
    pub const fn authenticated(self) -> bool {
        self.0 & Self::AUTHENTICATION != 0
    }

    /// Whether the APDU is encrypted.
    pub const fn encrypted(self) -> bool {
        self.0 & Self::ENCRYPTION != 0
    }

    /// Whether the broadcast global key protects it.
    pub const fn broadcast_key(self) -> bool {
        self.0 & Self::BROADCAST_KEY != 0
    }

    /// Whether the plaintext was compressed before protection.
    pub const fn compressed(self) -> bool {
        self.0 & Self::COMPRESSION != 0
    }

    /// The policy, when at least one of authentication and encryption is set.
    pub const fn policy(self) -> Option<SecurityPolicy> {
        match (self.authenticated(), self.encrypted()) {
            (true, false) => Some(SecurityPolicy::Authenticated),
            (false, true) => Some(SecurityPolicy::Encrypted),
            (true, true) => Some(SecurityPolicy::AuthenticatedEncrypted),
            (false, false) => None,
        }
    }
}

impl From<SecurityPolicy> for SecurityControl {
    fn from(policy: SecurityPolicy) -> Self {
        Self::new(policy)
    }
}
