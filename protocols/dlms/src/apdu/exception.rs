//! The APDUs that report a refused request (DLMS UA 1000-2 Ed. 10 clause 9.5):
//! ExceptionResponse and ConfirmedServiceError.
//!
//! ```text
//! ExceptionResponse      D8  state-error u8 | service-error CHOICE
//!                            service-error: 1 operation-not-possible, 2 service-not-supported,
//!                            3 other-reason, 4 pdu-too-long, 5 deciphering-error,
//!                            6 invocation-counter-error + u32
//! ConfirmedServiceError  0E  service CHOICE (1..=19) | ServiceError CHOICE (0..=10) | value u8
//! ```

use crate::apdu::get::named_octet;
use crate::apdu::get::wire;
use crate::reader::Reader;
use crate::Error;
use std::fmt;

/// The APDU tag of an ExceptionResponse.
pub const EXCEPTION_RESPONSE: u8 = 0xD8;
/// The APDU tag of a ConfirmedServiceError.
pub const CONFIRMED_SERVICE_ERROR: u8 = 0x0E;

named_octet! {
    /// `state-error` of an ExceptionResponse.
    StateError, "state-error",
    /// 1.
    SERVICE_NOT_ALLOWED = 1 => "service-not-allowed",
    /// 2.
    SERVICE_UNKNOWN = 2 => "service-unknown",
}

/// `service-error` of an ExceptionResponse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExceptionServiceError {
    /// `operation-not-possible [1]`.
    OperationNotPossible,
    /// `service-not-supported [2]`.
    ServiceNotSupported,
    /// `other-reason [3]`.
    OtherReason,
    /// `pdu-too-long [4]`.
    PduTooLong,
    /// `deciphering-error [5]`.
    DecipheringError,
    /// `invocation-counter-error [6]`: the invocation counter the server expects at least.
    InvocationCounterError(u32),
}

impl ExceptionServiceError {
    /// The CHOICE tag.
    pub fn tag(self) -> u8 {
        match self {
            ExceptionServiceError::OperationNotPossible => 1,
            ExceptionServiceError::ServiceNotSupported => 2,
            ExceptionServiceError::OtherReason => 3,
            ExceptionServiceError::PduTooLong => 4,
            ExceptionServiceError::DecipheringError => 5,
            ExceptionServiceError::InvocationCounterError(_) => 6,
        }
    }

    /// The standard's name.
    pub fn name(self) -> &'static str {
        match self {
            ExceptionServiceError::OperationNotPossible => "operation-not-possible",
            ExceptionServiceError::ServiceNotSupported => "service-not-supported",
            ExceptionServiceError::OtherReason => "other-reason",
            ExceptionServiceError::PduTooLong => "pdu-too-long",
            ExceptionServiceError::DecipheringError => "deciphering-error",
            ExceptionServiceError::InvocationCounterError(_) => "invocation-counter-error",
        }
    }
}

/// `ExceptionResponse` (0xD8): a server's answer to a request it cannot process at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExceptionResponse {
    /// `state-error`.
    pub state_error: StateError,
    /// `service-error`.
    pub service_error: ExceptionServiceError,
}

impl ExceptionResponse {
    /// Decodes the ExceptionResponse that fills `input`.
    ///
    /// # Errors
    /// [`Error::BadByte`] for another APDU tag, [`Error::UnknownChoice`] for a service-error
    /// outside 1..=6, [`Error::Truncated`], [`Error::TrailingBytes`].
    pub fn decode(input: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(input);
        wire::apdu_tag(&mut r, EXCEPTION_RESPONSE, "ExceptionResponse tag", "0xD8")?;
        let state_error = StateError(r.u8("state-error")?);
        let (tag, at) = wire::choice(&mut r, "service-error")?;
        let service_error = match tag {
            1 => ExceptionServiceError::OperationNotPossible,
            2 => ExceptionServiceError::ServiceNotSupported,
            3 => ExceptionServiceError::OtherReason,
            4 => ExceptionServiceError::PduTooLong,
            5 => ExceptionServiceError::DecipheringError,
            6 => ExceptionServiceError::InvocationCounterError(r.u32("invocation-counter")?),
            _ => return Err(wire::unknown("service-error", tag, at)),
        };
        wire::finish(&r, "ExceptionResponse")?;
        Ok(ExceptionResponse {
            state_error,
            service_error,
        })
    }

    /// The encoded length: 3, or 7 with an invocation counter.
    pub fn encoded_len(&self) -> usize {
        match self.service_error {
            ExceptionServiceError::InvocationCounterError(_) => 7,
            _ => 3,
        }
    }

    /// Appends the APDU.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&[
            EXCEPTION_RESPONSE,
            self.state_error.0,
            self.service_error.tag(),
        ]);
        if let ExceptionServiceError::InvocationCounterError(counter) = self.service_error {
            out.extend_from_slice(&counter.to_be_bytes());
        }
    }

    /// The encoding in a new vector.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode(&mut out);
        out
    }
}

macro_rules! choice_enum {
    (
        $(#[$doc:meta])* $ty:ident, $what:literal,
        $( $(#[$vdoc:meta])* $variant:ident = $tag:literal => $text:literal, )*
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $ty {
            $( $(#[$vdoc])* $variant, )*
        }

        impl $ty {
            /// Every alternative, in tag order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),*];

            /// The CHOICE tag.
            pub fn tag(self) -> u8 {
                match self { $( Self::$variant => $tag, )* }
            }

            /// The alternative of `tag`, if any.
            pub fn from_tag(tag: u8) -> Option<Self> {
                match tag { $( $tag => Some(Self::$variant), )* _ => None }
            }

            /// The standard's name.
            pub fn name(self) -> &'static str {
                match self { $( Self::$variant => $text, )* }
            }

            fn read(r: &mut Reader<'_>) -> Result<Self, Error> {
                let (tag, at) = wire::choice(r, $what)?;
                Self::from_tag(tag).ok_or_else(|| wire::unknown($what, tag, at))
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

choice_enum! {
    /// The service CHOICE of a ConfirmedServiceError: which service failed.
    ConfirmedService, "ConfirmedServiceError choice",
    /// `initiateError [1]`.
    InitiateError = 1 => "initiateError",
    /// `getStatus [2]`.
    GetStatus = 2 => "getStatus",
    /// `getNameList [3]`.
    GetNameList = 3 => "getNameList",
    /// `getVariableAttribute [4]`.
    GetVariableAttribute = 4 => "getVariableAttribute",
    /// `read [5]`.
    Read = 5 => "read",
    /// `write [6]`.
    Write = 6 => "write",
    /// `getDataSetAttribute [7]`.
    GetDataSetAttribute = 7 => "getDataSetAttribute",
    /// `getTIAttribute [8]`.
    GetTiAttribute = 8 => "getTIAttribute",
    /// `changeScope [9]`.
    ChangeScope = 9 => "changeScope",
    /// `start [10]`.
    Start = 10 => "start",
    /// `stop [11]`.
    Stop = 11 => "stop",
    /// `resume [12]`.
    Resume = 12 => "resume",
    /// `makeUsable [13]`.
    MakeUsable = 13 => "makeUsable",
    /// `initiateLoad [14]`.
    InitiateLoad = 14 => "initiateLoad",
    /// `loadSegment [15]`.
    LoadSegment = 15 => "loadSegment",
    /// `terminateLoad [16]`.
    TerminateLoad = 16 => "terminateLoad",
    /// `initiateUpLoad [17]`.
    InitiateUpLoad = 17 => "initiateUpLoad",
    /// `upLoadSegment [18]`.
    UpLoadSegment = 18 => "upLoadSegment",
    /// `terminateUpLoad [19]`.
    TerminateUpLoad = 19 => "terminateUpLoad",
}

choice_enum! {
    /// The CHOICE of `ServiceError`: which family the error value belongs to. Tag 8
    /// (change-scope) is reserved by the standard.
    ServiceErrorKind, "ServiceError choice",
    /// `application-reference [0]`.
    ApplicationReference = 0 => "application-reference",
    /// `hardware-resource [1]`.
    HardwareResource = 1 => "hardware-resource",
    /// `vde-state-error [2]`.
    VdeStateError = 2 => "vde-state-error",
    /// `service [3]`.
    Service = 3 => "service",
    /// `definition [4]`.
    Definition = 4 => "definition",
    /// `access [5]`.
    Access = 5 => "access",
    /// `initiate [6]`.
    Initiate = 6 => "initiate",
    /// `load-data-set [7]`.
    LoadDataSet = 7 => "load-data-set",
    /// `task [9]`.
    Task = 9 => "task",
    /// `other-error [10]`: manufacturer specific values.
    OtherError = 10 => "other-error",
}

/// `ServiceError`: the family and the ENUMERATED value within it. Every value decodes;
/// [`ServiceError::name`] gives the standard's name or `"unknown"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ServiceError {
    /// The CHOICE alternative.
    pub kind: ServiceErrorKind,
    /// The ENUMERATED value.
    pub value: u8,
}

impl ServiceError {
    /// The standard's name of the value within its family.
    pub fn name(self) -> &'static str {
        use ServiceErrorKind as K;
        let names: &[&str] = match self.kind {
            K::ApplicationReference => &[
                "other",
                "time-elapsed",
                "application-unreachable",
                "application-reference-invalid",
                "application-context-unsupported",
                "provider-communication-error",
                "deciphering-error",
            ],
            K::HardwareResource => &[
                "other",
                "memory-unavailable",
                "processor-resource-unavailable",
                "mass-storage-unavailable",
                "other-resource-unavailable",
            ],
            K::VdeStateError => &[
                "other",
                "no-dlms-context",
                "loading-data-set",
                "status-nochange",
                "status-inoperable",
            ],
            K::Service => &["other", "pdu-size", "service-unsupported"],
            K::Definition => &[
                "other",
                "object-undefined",
                "object-class-inconsistent",
                "object-attribute-inconsistent",
            ],
            K::Access => &[
                "other",
                "scope-of-access-violated",
                "object-access-violated",
                "hardware-fault",
                "object-unavailable",
            ],
            K::Initiate => &[
                "other",
                "dlms-version-too-low",
                "incompatible-conformance",
                "pdu-size-too-short",
                "refused-by-the-VDE-Handler",
            ],
            K::LoadDataSet => &[
                "other",
                "primitive-out-of-sequence",
                "not-loadable",
                "dataset-size-too-large",
                "not-awaited-segment",
                "interpretation-failure",
                "storage-failure",
                "data-set-not-ready",
            ],
            K::Task => &[
                "other",
                "no-remote-control",
                "ti-stopped",
                "ti-running",
                "ti-unusable",
            ],
            K::OtherError => &[],
        };
        names
            .get(usize::from(self.value))
            .copied()
            .unwrap_or("unknown")
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} ({})", self.kind, self.name(), self.value)
    }
}

/// `ConfirmedServiceError` (0x0E): a confirmed service failed, e.g. an AARQ's
/// InitiateRequest refused inside an AARE, or a short-name Read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConfirmedServiceError {
    /// Which service.
    pub service: ConfirmedService,
    /// Why.
    pub error: ServiceError,
}

impl ConfirmedServiceError {
    /// How many octets [`ConfirmedServiceError::encode`] writes: 4.
    pub const ENCODED_LEN: usize = 4;
    /// initiate: other (0).
    pub const OTHER: u8 = 0;
    /// initiate: dlms-version-too-low (1).
    pub const DLMS_VERSION_TOO_LOW: u8 = 1;
    /// initiate: incompatible-conformance (2).
    pub const INCOMPATIBLE_CONFORMANCE: u8 = 2;
    /// initiate: pdu-size-too-short (3).
    pub const PDU_SIZE_TOO_SHORT: u8 = 3;
    /// initiate: refused-by-the-VDE-Handler (4).
    pub const REFUSED_BY_THE_VDE_HANDLER: u8 = 4;

    /// The error an AARE carries to refuse an InitiateRequest: service initiateError, ServiceError
    /// initiate, `value` (one of the constants above).
    pub const fn initiate(value: u8) -> Self {
        ConfirmedServiceError {
            service: ConfirmedService::InitiateError,
            error: ServiceError {
                kind: ServiceErrorKind::Initiate,
                value,
            },
        }
    }

    /// Decodes the ConfirmedServiceError that fills `input`.
    ///
    /// # Errors
    /// [`Error::BadByte`] for another APDU tag, [`Error::UnknownChoice`] for a service outside
    /// 1..=19 or a ServiceError CHOICE outside 0..=7, 9, 10, [`Error::Truncated`],
    /// [`Error::TrailingBytes`].
    pub fn decode(input: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(input);
        let error = Self::read(&mut r)?;
        wire::finish(&r, "ConfirmedServiceError")?;
        Ok(error)
    }

    /// Reads one ConfirmedServiceError, tag included, at the reader's position (the AARE's
    /// user-information carries one).
    ///
    /// ```text
    /// 0x0E        tag
    /// u8          ConfirmedServiceError CHOICE: 1..=19
    /// u8          ServiceError CHOICE: 0..=7, 9, 10
    /// u8          the enumerated value
    /// ```
    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, Error> {
        wire::apdu_tag(
            r,
            CONFIRMED_SERVICE_ERROR,
            "ConfirmedServiceError tag",
            "0x0E",
        )?;
        let service = ConfirmedService::read(r)?;
        let kind = ServiceErrorKind::read(r)?;
        let value = r.u8("ServiceError value")?;
        Ok(ConfirmedServiceError {
            service,
            error: ServiceError { kind, value },
        })
    }

    /// The four octets of the APDU.
    pub fn to_bytes(&self) -> [u8; 4] {
        [
            CONFIRMED_SERVICE_ERROR,
            self.service.tag(),
            self.error.kind.tag(),
            self.error.value,
        ]
    }

    /// The encoded length: 4.
    pub fn encoded_len(&self) -> usize {
        4
    }

    /// Appends the APDU.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_bytes());
    }

    /// The encoding in a new vector.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4);
        self.encode(&mut out);
        out
    }
}
