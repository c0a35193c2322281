//! The AARE's result and result-source-diagnostic (ISO/IEC 8650-1 `Association-result` and
//! `Associate-source-diagnostic`, DLMS UA 1000-2 Ed. 10 clause 9.3.2 table "AARE").

use super::{explicit_integer, single_child, write_explicit_integer};
use crate::apdu::ber::{write_nested, Class, Sink, Tag, Tlv};
use crate::Error;

/// The result of an association request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AssociationResult {
    /// accepted (0).
    Accepted = 0,
    /// rejected-permanent (1).
    RejectedPermanent = 1,
    /// rejected-transient (2).
    RejectedTransient = 2,
}

impl AssociationResult {
    /// All three.
    pub const ALL: [Self; 3] = [
        Self::Accepted,
        Self::RejectedPermanent,
        Self::RejectedTransient,
    ];

    /// The standard's name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::RejectedPermanent => "rejected-permanent",
            Self::RejectedTransient => "rejected-transient",
        }
    }

    /// Reads the `[2]` result component: an INTEGER inside.
    pub(super) fn from_component(tlv: &Tlv<'_>) -> Result<Self, Error> {
        const WHAT: &str = "result";
        let value = explicit_integer(tlv, WHAT)?;
        match value {
            0 => Ok(Self::Accepted),
            1 => Ok(Self::RejectedPermanent),
            2 => Ok(Self::RejectedTransient),
            _ => Err(Error::BadValue {
                offset: tlv.value_offset,
                what: WHAT,
                expected: "accepted (0), rejected-permanent (1) or rejected-transient (2)",
                found: value as u64,
            }),
        }
    }

    /// Writes the `[2]` component.
    pub(super) fn write(self, s: &mut dyn Sink) {
        write_explicit_integer(s, 2, self as i64);
    }
}

/// A value of acse-service-user (ISO/IEC 8650-1): why the server's application refused, or
/// null; DLMS also answers authentication-required (14) when HLS must follow. Unknown values
/// still decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AcseServiceUser(pub u8);

impl AcseServiceUser {
    /// null (0).
    pub const NULL: Self = Self(0);
    /// no-reason-given (1).
    pub const NO_REASON_GIVEN: Self = Self(1);
    /// application-context-name-not-supported (2).
    pub const APPLICATION_CONTEXT_NAME_NOT_SUPPORTED: Self = Self(2);
    /// calling-AP-title-not-recognized (3).
    pub const CALLING_AP_TITLE_NOT_RECOGNIZED: Self = Self(3);
    /// calling-AP-invocation-identifier-not-recognized (4).
    pub const CALLING_AP_INVOCATION_IDENTIFIER_NOT_RECOGNIZED: Self = Self(4);
    /// calling-AE-qualifier-not-recognized (5).
    pub const CALLING_AE_QUALIFIER_NOT_RECOGNIZED: Self = Self(5);
    /// calling-AE-invocation-identifier-not-recognized (6).
    pub const CALLING_AE_INVOCATION_IDENTIFIER_NOT_RECOGNIZED: Self = Self(6);
    /// called-AP-title-not-recognized (7).
    pub const CALLED_AP_TITLE_NOT_RECOGNIZED: Self = Self(7);
    /// called-AP-invocation-identifier-not-recognized (8).
    pub const CALLED_AP_INVOCATION_IDENTIFIER_NOT_RECOGNIZED: Self = Self(8);
    /// called-AE-qualifier-not-recognized (9).
    pub const CALLED_AE_QUALIFIER_NOT_RECOGNIZED: Self = Self(9);
    /// called-AE-invocation-identifier-not-recognized (10).
    pub const CALLED_AE_INVOCATION_IDENTIFIER_NOT_RECOGNIZED: Self = Self(10);
    /// authentication-mechanism-name-not-recognised (11).
    pub const AUTHENTICATION_MECHANISM_NAME_NOT_RECOGNISED: Self = Self(11);
    /// authentication-mechanism-name-required (12).
    pub const AUTHENTICATION_MECHANISM_NAME_REQUIRED: Self = Self(12);
    /// authentication-failure (13): a wrong password or HLS reply.
    pub const AUTHENTICATION_FAILURE: Self = Self(13);
    /// authentication-required (14): HLS accepted, the client must now reply to StoC.
    pub const AUTHENTICATION_REQUIRED: Self = Self(14);

    /// The standard's name, for the 15 defined values.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "null",
            1 => "no-reason-given",
            2 => "application-context-name-not-supported",
            3 => "calling-AP-title-not-recognized",
            4 => "calling-AP-invocation-identifier-not-recognized",
            5 => "calling-AE-qualifier-not-recognized",
            6 => "calling-AE-invocation-identifier-not-recognized",
            7 => "called-AP-title-not-recognized",
            8 => "called-AP-invocation-identifier-not-recognized",
            9 => "called-AE-qualifier-not-recognized",
            10 => "called-AE-invocation-identifier-not-recognized",
            11 => "authentication-mechanism-name-not-recognised",
            12 => "authentication-mechanism-name-required",
            13 => "authentication-failure",
            14 => "authentication-required",
            _ => return None,
        })
    }
}

/// A value of acse-service-provider (ISO/IEC 8650-1): why the ACSE itself refused. Unknown
/// values still decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AcseServiceProvider(pub u8);

impl AcseServiceProvider {
    /// null (0).
    pub const NULL: Self = Self(0);
    /// no-reason-given (1).
    pub const NO_REASON_GIVEN: Self = Self(1);
    /// no-common-acse-version (2).
    pub const NO_COMMON_ACSE_VERSION: Self = Self(2);

    /// The standard's name, for the 3 defined values.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "null",
            1 => "no-reason-given",
            2 => "no-common-acse-version",
            _ => return None,
        })
    }
}

/// The result-source-diagnostic: which side of the server answered, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceDiagnostic {
    /// acse-service-user `[1]`: the server's application (DLMS answers here).
    User(AcseServiceUser),
    /// acse-service-provider `[2]`: the ACSE.
    Provider(AcseServiceProvider),
}

impl SourceDiagnostic {
    /// acse-service-user null: what an accepted association carries.
    pub const NULL: Self = Self::User(AcseServiceUser::NULL);

    /// The standard's name of the value, if defined.
    pub const fn name(self) -> Option<&'static str> {
        match self {
            Self::User(v) => v.name(),
            Self::Provider(v) => v.name(),
        }
    }

    /// Reads the `[3]` component: `A3 05 A1 03 02 01 vv` (or `A2` for the provider).
    pub(super) fn from_component(tlv: &Tlv<'_>) -> Result<Self, Error> {
        const WHAT: &str = "result-source-diagnostic";
        let choice = single_child(tlv, WHAT)?;
        let value = || -> Result<u8, Error> {
            let v = explicit_integer(&choice, WHAT)?;
            u8::try_from(v).map_err(|_| Error::BadValue {
                offset: choice.value_offset,
                what: WHAT,
                expected: "0..=255",
                found: v as u64,
            })
        };
        match (choice.tag.class, choice.tag.constructed, choice.tag.number) {
            (Class::Context, true, 1) => Ok(Self::User(AcseServiceUser(value()?))),
            (Class::Context, true, 2) => Ok(Self::Provider(AcseServiceProvider(value()?))),
            _ => Err(Error::BadByte {
                offset: choice.offset,
                what: WHAT,
                expected: "acse-service-user 0xA1 or acse-service-provider 0xA2",
                found: choice.tag.first_octet(),
            }),
        }
    }

    /// Writes the `[3]` component.
    pub(super) fn write(self, s: &mut dyn Sink) {
        write_nested(s, Tag::context(3, true), &|s| match self {
            Self::User(v) => write_explicit_integer(s, 1, i64::from(v.0)),
            Self::Provider(v) => write_explicit_integer(s, 2, i64::from(v.0)),
        });
    }
}
