//! What a [`Session`](super::Session) is set up with: the authentication mechanism (DLMS UA
//! 1000-2 Ed. 10 clause 9.2.7.4), the keys and system title of security suite 0 (clause 9.2.7,
//! 9.2.3.3), the proposed conformance (clause 9.4.6.1), how invoke-ids are chosen (clause
//! 9.5, Invoke-Id-And-Priority) and how objects are referenced (logical or short names).

use std::fmt;
use std::time::Duration;

use fieldbridge_dlms::apdu::conformance::Conformance;
use fieldbridge_dlms::security::{Keys, SecurityPolicy, SystemTitle};

/// How the client authenticates (DLMS UA 1000-2 Ed. 10 clause 9.2.7.4).
#[derive(Clone, PartialEq, Eq)]
pub enum Authentication {
    /// Lowest level security: no authentication.
    None,
    /// Low level security (LLS): a password in the AARQ.
    Low {
        /// The password, sent as calling-authentication-value.
        password: Vec<u8>,
    },
    /// High level security, mechanism 5 (HLS-GMAC, 2.16.756.5.8.2.5; clause 9.2.7.4 and
    /// 9.2.2.2.2): the AARQ carries the client's challenge CtoS, the AARE the meter's StoC,
    /// pass 3 is the ACTION reply_to_HLS_authentication with f(StoC), and pass 4 returns the
    /// meter's f(CtoS), which the session verifies. The keys and the client's system title are
    /// those of [`SessionConfig::security`], which must be set.
    HighGmac {
        /// Where the challenge CtoS comes from: random in production.
        challenge: Challenge,
    },
}

impl Authentication {
    /// HLS-GMAC with a random challenge of [`Challenge::DEFAULT_LEN`] octets.
    pub fn high_gmac() -> Self {
        Authentication::HighGmac {
            challenge: Challenge::default(),
        }
    }
}

impl fmt::Debug for Authentication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Authentication::None => f.write_str("None"),
            Authentication::Low { .. } => f.write_str("Low { password: <hidden> }"),
            Authentication::HighGmac { challenge } => f
                .debug_struct("HighGmac")
                .field("challenge", challenge)
                .finish(),
        }
    }
}

/// The client's HLS challenge CtoS (DLMS UA 1000-2 Ed. 10 clause 9.2.2.2.2: 8 to 64 octets,
/// fresh for every association so that a recorded f(CtoS) cannot be replayed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    /// `len` octets from the operating system's CSPRNG, drawn anew for each association.
    Random {
        /// How many octets: 8 to 64.
        len: usize,
    },
    /// The same octets every time: for tests and for replaying recorded sessions only.
    Fixed(Vec<u8>),
}

impl Challenge {
    /// The length of a random challenge unless configured: 16 octets (128 bits), what Gurux
    /// and most meters use.
    pub const DEFAULT_LEN: usize = 16;
    /// The shortest challenge allowed.
    pub const MIN_LEN: usize = 8;
    /// The longest challenge allowed.
    pub const MAX_LEN: usize = 64;
}

impl Default for Challenge {
    fn default() -> Self {
        Challenge::Random {
            len: Self::DEFAULT_LEN,
        }
    }
}

/// The client's side of security suite 0 (DLMS UA 1000-2 Ed. 10 clause 9.2): its system title
/// and keys, and how its xDLMS APDUs are protected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Security {
    /// The client's system title: the calling-AP-title of the AARQ and half of every IV.
    pub system_title: SystemTitle,
    /// The global unicast encryption key and the authentication key (HLS-GMAC needs both, as
    /// does authenticated encryption; authentication only and encryption only need the
    /// encryption key and, for authentication, the authentication key).
    pub keys: Keys,
    /// How xDLMS APDUs are protected: `None` sends them in clear (the keys then serve HLS-GMAC
    /// only). With a policy, the AARQ's InitiateRequest is ciphered too (glo-initiate-request)
    /// and every answer must come ciphered with exactly this policy.
    pub policy: Option<SecurityPolicy>,
    /// Once associated, cipher requests as general-glo-ciphering (with the system title)
    /// rather than glo-get-request and the like, when the meter granted general-protection.
    /// The HLS pass 3 always goes in the service-specific form, as Gurux does.
    pub general_ciphering: bool,
}

/// How the invoke-id of each confirmed request is chosen (clause 9.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InvokeIds {
    /// 1, 2, ... 15, 1, ...: a late answer to an earlier request is then told apart.
    #[default]
    Cycle,
    /// Always this one (its low 4 bits), as Gurux's client does (1).
    Fixed(u8),
}

/// How the meter's objects are referenced (IEC 62056-5-3 clause 6.3, DLMS UA 1000-2 Ed. 10
/// clause 9.3.11 to 9.3.13 for the SN services): by logical name (the GET, SET and ACTION
/// services) or by short name (the Read and Write services on named variables).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Referencing {
    /// Logical name referencing: application context 2.16.756.5.8.1.1 (1.3 ciphered), GET,
    /// SET and ACTION on (class, logical name, attribute or method).
    #[default]
    LogicalNames,
    /// Short name referencing, for meters that speak only SN: application context
    /// 2.16.756.5.8.1.2 (1.4 ciphered), the Read and Write services on the 16-bit short names
    /// the meter's Association SN object lists (class 12, base name 0xFA00, attribute 2), which
    /// the session reads right after the association.
    ShortNames,
}

/// What a session is set up with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionConfig {
    /// The authentication of the association.
    pub authentication: Authentication,
    /// client-max-receive-pdu-size of the InitiateRequest.
    pub max_receive_pdu_size: u16,
    /// The most octets a block transfer may join into one value.
    pub max_value_len: usize,
    /// How long the meter has to answer a request.
    pub timeout: Duration,
    /// Security suite 0: the system title, keys and policy; needed by HLS-GMAC and ciphering.
    pub security: Option<Security>,
    /// The proposed-conformance of the InitiateRequest.
    pub conformance: Conformance,
    /// How invoke-ids are chosen.
    pub invoke_ids: InvokeIds,
    /// Logical or short name referencing. With short names and the logical-name
    /// [`DEFAULT_CONFORMANCE`](Self::DEFAULT_CONFORMANCE) left in `conformance`, the session
    /// proposes [`DEFAULT_SN_CONFORMANCE`](Self::DEFAULT_SN_CONFORMANCE) instead.
    pub referencing: Referencing,
}

impl SessionConfig {
    /// The services the client proposes unless told otherwise (clause 9.4.6.1): GET, SET,
    /// ACTION, selective access, block transfer with GET, SET and ACTION, multiple references.
    pub const DEFAULT_CONFORMANCE: Conformance = Conformance::GET
        .union(Conformance::SET)
        .union(Conformance::ACTION)
        .union(Conformance::SELECTIVE_ACCESS)
        .union(Conformance::BLOCK_TRANSFER_WITH_GET_OR_READ)
        .union(Conformance::BLOCK_TRANSFER_WITH_SET_OR_WRITE)
        .union(Conformance::BLOCK_TRANSFER_WITH_ACTION)
        .union(Conformance::MULTIPLE_REFERENCES);

    /// The services the client proposes with short name referencing unless told otherwise
    /// (clause 9.4.6.1, the "SN" column): read, write, unconfirmed-write, multiple-references,
    /// information-report, parameterized-access. These are the bits Gurux's SN client proposes.
    /// A meter may still answer a long read in data-block-results, which the session takes;
    /// add [`Conformance::BLOCK_TRANSFER_WITH_GET_OR_READ`] to ask for them.
    pub const DEFAULT_SN_CONFORMANCE: Conformance = Conformance::READ
        .union(Conformance::WRITE)
        .union(Conformance::UNCONFIRMED_WRITE)
        .union(Conformance::MULTIPLE_REFERENCES)
        .union(Conformance::INFORMATION_REPORT)
        .union(Conformance::PARAMETERIZED_ACCESS);

    /// A session by short names, otherwise the defaults.
    pub fn short_names() -> Self {
        SessionConfig {
            conformance: Self::DEFAULT_SN_CONFORMANCE,
            referencing: Referencing::ShortNames,
            ..SessionConfig::default()
        }
    }

    /// The proposed-conformance the AARQ carries: `conformance`, except the LN default under
    /// short name referencing, which becomes the SN default.
    pub fn proposed_conformance(&self) -> Conformance {
        match self.referencing {
            Referencing::ShortNames if self.conformance == Self::DEFAULT_CONFORMANCE => {
                Self::DEFAULT_SN_CONFORMANCE
            }
            _ => self.conformance,
        }
    }
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            authentication: Authentication::None,
            max_receive_pdu_size: 0xFFFF,
            max_value_len: 1 << 20,
            timeout: Duration::from_secs(10),
            security: None,
            conformance: Self::DEFAULT_CONFORMANCE,
            invoke_ids: InvokeIds::Cycle,
            referencing: Referencing::LogicalNames,
        }
    }
}
