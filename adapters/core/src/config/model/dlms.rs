//! The configuration of DLMS/COSEM sources (`dlms`, `dlms-push`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::{DeviceTime, SerialSettings};

/// How a DLMS client reaches its meter.
#[derive(Debug, Clone, PartialEq)]
pub enum DlmsTransport {
    /// The TCP wrapper (IEC 62056-47 §5, DLMS UA 1000-2 §7.3.3.4) to `host:port`.
    Wrapper {
        /// `host:port`.
        address: String,
    },
    /// HDLC (IEC 62056-46) over TCP, to a meter or a serial-to-TCP converter.
    HdlcTcp {
        /// `host:port`.
        address: String,
    },
    /// HDLC on a serial line (IEC 62056-21 mode E optical or RS-485).
    HdlcSerial(SerialSettings),
}

/// The authentication mechanism of the association (DLMS UA 1000-2 §9.2.2.2, Green Book).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DlmsAuthentication {
    /// Lowest level: no authentication (public client).
    None,
    /// Low level security (LLS): a password, read from a file.
    Low {
        /// The file holding the password.
        password_file: PathBuf,
    },
    /// High level security, mechanism 5 (HLS GMAC, suite 0): needs the authentication and
    /// encryption keys and the client's system title.
    HighGmac,
}

impl DlmsAuthentication {
    /// As written in the configuration.
    pub fn name(&self) -> &'static str {
        match self {
            DlmsAuthentication::None => "none",
            DlmsAuthentication::Low { .. } => "low",
            DlmsAuthentication::HighGmac => "high-gmac",
        }
    }
}

/// The security policy of xDLMS APDUs, security suite 0 (AES-GCM-128; DLMS UA 1000-2 §9.2.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DlmsSecurityPolicy {
    /// Plain APDUs.
    None,
    /// Authenticated only (GMAC tag; needs the authentication key).
    Authenticated,
    /// Encrypted only (needs the encryption key).
    Encrypted,
    /// Authenticated and encrypted (needs both keys).
    AuthenticatedEncrypted,
}

impl DlmsSecurityPolicy {
    /// Every policy, with its configuration name.
    pub const NAMES: [(&'static str, DlmsSecurityPolicy); 4] = [
        ("none", DlmsSecurityPolicy::None),
        ("authenticated", DlmsSecurityPolicy::Authenticated),
        ("encrypted", DlmsSecurityPolicy::Encrypted),
        (
            "authenticated-encrypted",
            DlmsSecurityPolicy::AuthenticatedEncrypted,
        ),
    ];

    /// Whether the authentication key is needed.
    pub fn authenticates(self) -> bool {
        matches!(
            self,
            DlmsSecurityPolicy::Authenticated | DlmsSecurityPolicy::AuthenticatedEncrypted
        )
    }

    /// Whether the encryption key is needed.
    pub fn encrypts(self) -> bool {
        matches!(
            self,
            DlmsSecurityPolicy::Encrypted | DlmsSecurityPolicy::AuthenticatedEncrypted
        )
    }
}

/// The keys and identity of suite 0 ciphering and HLS GMAC. The key files hold 16 bytes as 32
/// hex digits; they are read when the source starts (and by `fieldbridge check`), never kept in
/// the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DlmsSecurity {
    /// The APDU security policy.
    pub policy: DlmsSecurityPolicy,
    /// The authentication key (AK) file.
    pub authentication_key_file: Option<PathBuf>,
    /// The global unicast encryption key (EK) file.
    pub encryption_key_file: Option<PathBuf>,
    /// The client's system title (8 bytes; DLMS UA 1000-2 §4.3.4).
    pub system_title: Option<[u8; 8]>,
}

impl DlmsSecurity {
    /// No ciphering.
    pub fn none() -> Self {
        DlmsSecurity {
            policy: DlmsSecurityPolicy::None,
            authentication_key_file: None,
            encryption_key_file: None,
            system_title: None,
        }
    }
}

/// `dlms` source settings.
#[derive(Debug, Clone, PartialEq)]
pub struct DlmsSource {
    /// The transport.
    pub transport: DlmsTransport,
    /// Client SAP (16 public client, 1 management, ...).
    pub client_address: u16,
    /// Server upper HDLC address / wrapper destination: the logical device (1 management).
    pub server_address: u16,
    /// HDLC lower (physical) server address; none for the wrapper or a one-byte HDLC address.
    pub physical_address: Option<u16>,
    /// The authentication mechanism.
    pub authentication: DlmsAuthentication,
    /// Ciphering keys and policy.
    pub security: DlmsSecurity,
    /// How the meter's clock is read when a date-time has no deviation.
    pub device_time: DeviceTime,
    /// Poll interval.
    pub poll: Duration,
    /// How long to wait for an answer.
    pub timeout: Duration,
    /// The longest a command may take on this source.
    pub command_timeout: Option<Duration>,
    /// The points.
    pub points: Vec<DlmsPoint>,
}

/// What a writable COSEM point does with a command (IEC 62056-5-3 §6.14, §6.17).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DlmsWrite {
    /// Read-only.
    None,
    /// SET-Request of the point's attribute.
    Set,
    /// ACTION-Request of this method.
    Action(i8),
}

/// One COSEM object attribute (or method) of a meter.
#[derive(Debug, Clone, PartialEq)]
pub struct DlmsPoint {
    /// The point name.
    pub name: Arc<str>,
    /// The logical name.
    pub obis: [u8; 6],
    /// The interface class (1 data, 3 register, 4 extended register, 5 demand register, 7 profile
    /// generic, 8 clock, 70 disconnect control, ...).
    pub class: u16,
    /// The attribute index that is read.
    pub attribute: i8,
    /// What a command does.
    pub write: DlmsWrite,
    /// SI unit override (else the meter's scaler_unit).
    pub unit: Option<Arc<str>>,
    /// The longest a command to this point may take.
    pub command_timeout: Option<Duration>,
}

impl DlmsPoint {
    /// Whether `<point>/set` is accepted.
    pub fn writable(&self) -> bool {
        self.write != DlmsWrite::None
    }

    /// Whether this is a profile generic buffer (class 7, attribute 2): read by range, every
    /// captured column becoming its own point.
    pub fn is_profile(&self) -> bool {
        self.class == 7 && self.attribute == 2
    }
}

/// How a push listener receives DataNotification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushTransport {
    /// The wrapper over TCP.
    WrapperTcp,
    /// The wrapper over UDP (`listen = "udp://..."`).
    WrapperUdp,
    /// HDLC over TCP.
    HdlcTcp,
}

/// `dlms-push` source settings.
#[derive(Debug, Clone, PartialEq)]
pub struct DlmsPushSource {
    /// Where to listen.
    pub listen: std::net::SocketAddr,
    /// How the notifications arrive.
    pub transport: PushTransport,
    /// Ciphering keys when pushes are ciphered.
    pub security: DlmsSecurity,
    /// How the meter's clock is read when a date-time has no deviation.
    pub device_time: DeviceTime,
    /// Objects of a push that are not listed are dropped (counted) rather than published.
    pub only_listed: bool,
    /// The push setup's object list, in order.
    pub points: Vec<DlmsPoint>,
}
