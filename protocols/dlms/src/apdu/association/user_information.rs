//! The user-information of the AARQ, AARE, RLRQ and RLRE (DLMS UA 1000-2 Ed. 10 clause
//! 9.4.2.2.4 and 9.5): `[30] EXPLICIT` around an OCTET STRING that carries one xDLMS APDU.

use crate::apdu::ber::{write_nested, Sink, Tag, Tlv};
use crate::apdu::initiate::{
    complete, ConfirmedServiceError, InitiateRequest, InitiateResponse, CONFIRMED_SERVICE_ERROR,
    INITIATE_REQUEST, INITIATE_RESPONSE,
};
use crate::reader::Reader;
use crate::Error;

/// glo-initiate-request, the globally ciphered InitiateRequest: 0x21 (33).
pub const GLO_INITIATE_REQUEST: u8 = 0x21;
/// glo-initiate-response, the globally ciphered InitiateResponse: 0x28 (40).
pub const GLO_INITIATE_RESPONSE: u8 = 0x28;
/// glo-confirmed-service-error, the globally ciphered ConfirmedServiceError: 0x2E (46).
pub const GLO_CONFIRMED_SERVICE_ERROR: u8 = 0x2E;
/// general-glo-ciphering: 0xDB (219).
pub const GENERAL_GLO_CIPHERING: u8 = 0xDB;

/// The xDLMS APDU that a user-information carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UserInformation<B> {
    /// An InitiateRequest in clear (AARQ; RLRQ).
    InitiateRequest(InitiateRequest),
    /// An InitiateResponse in clear (AARE; RLRE).
    InitiateResponse(InitiateResponse),
    /// A ConfirmedServiceError refusing the InitiateRequest (AARE).
    ConfirmedServiceError(ConfirmedServiceError),
    /// A ciphered APDU, kept whole from its tag on for the security module to decipher:
    /// glo-initiate-request (0x21), glo-initiate-response (0x28), glo-confirmed-service-error
    /// (0x2E) or general-glo-ciphering (0xDB).
    Ciphered(B),
}

impl<B: AsRef<[u8]>> UserInformation<B> {
    /// The tag of the xDLMS APDU carried (its first octet; 0 for an empty ciphered buffer).
    pub fn apdu_tag(&self) -> u8 {
        match self {
            Self::InitiateRequest(_) => INITIATE_REQUEST,
            Self::InitiateResponse(_) => INITIATE_RESPONSE,
            Self::ConfirmedServiceError(_) => CONFIRMED_SERVICE_ERROR,
            Self::Ciphered(b) => b.as_ref().first().copied().unwrap_or(0),
        }
    }

    /// The same value owning its octets.
    pub fn owned(&self) -> UserInformation<Vec<u8>> {
        match self {
            Self::InitiateRequest(v) => UserInformation::InitiateRequest(*v),
            Self::InitiateResponse(v) => UserInformation::InitiateResponse(*v),
            Self::ConfirmedServiceError(v) => UserInformation::ConfirmedServiceError(*v),
            Self::Ciphered(b) => UserInformation::Ciphered(b.as_ref().to_vec()),
        }
    }

    /// Writes the component: `BE len 04 len` and the xDLMS APDU.
    pub(crate) fn write(&self, s: &mut dyn Sink) {
        write_nested(s, Tag::context(30, true), &|s| {
            write_nested(s, Tag::OCTET_STRING, &|s| match self {
                Self::InitiateRequest(v) => v.write(s),
                Self::InitiateResponse(v) => v.write(s),
                Self::ConfirmedServiceError(v) => s.put(&v.to_bytes()),
                Self::Ciphered(b) => s.put(b.as_ref()),
            });
        });
    }
}

impl<'a> UserInformation<&'a [u8]> {
    /// Reads the `[30]` component.
    ///
    /// ```text
    /// BE len          [30] EXPLICIT
    ///   04 len        OCTET STRING
    ///     01 ...      InitiateRequest             (A-XDR)
    ///     08 ...      InitiateResponse            (A-XDR)
    ///     0E ...      ConfirmedServiceError       (A-XDR)
    ///     21|28|2E len sc fc ciphertext tag       glo-ciphered, kept as octets
    ///     DB len title len sc fc ciphertext tag   general-glo-ciphering, kept as octets
    /// ```
    pub(crate) fn from_component(tlv: &Tlv<'a>) -> Result<Self, Error> {
        const WHAT: &str = "user-information";
        let octets = tlv.explicit(Tag::OCTET_STRING, WHAT)?;
        let r = Reader::at(octets.value, octets.value_offset);
        let tag = octets.value.first().copied();
        Ok(match tag {
            Some(INITIATE_REQUEST) => {
                Self::InitiateRequest(complete(r, "InitiateRequest", InitiateRequest::read)?)
            }
            Some(INITIATE_RESPONSE) => {
                Self::InitiateResponse(complete(r, "InitiateResponse", InitiateResponse::read)?)
            }
            Some(CONFIRMED_SERVICE_ERROR) => Self::ConfirmedServiceError(complete(
                r,
                "ConfirmedServiceError",
                ConfirmedServiceError::read,
            )?),
            Some(GLO_INITIATE_REQUEST | GLO_INITIATE_RESPONSE | GLO_CONFIRMED_SERVICE_ERROR) => {
                complete(r, "ciphered APDU", glo_ciphered)?;
                Self::Ciphered(octets.value)
            }
            Some(GENERAL_GLO_CIPHERING) => {
                complete(r, "general-glo-ciphering", general_glo_ciphering)?;
                Self::Ciphered(octets.value)
            }
            Some(found) => {
                return Err(Error::UnknownChoice {
                    offset: octets.value_offset,
                    what: "user-information xDLMS APDU",
                    found,
                })
            }
            None => {
                return Err(Error::Truncated {
                    offset: octets.value_offset,
                    what: "user-information xDLMS APDU",
                    needed: 1,
                })
            }
        })
    }
}

/// The shortest ciphered content: the security control octet and the 4-octet invocation counter.
const SECURITY_HEADER_LEN: usize = 5;

/// Checks the framing of a glo-ciphered APDU: tag, then an A-XDR length that must cover the rest,
/// which starts with the security header.
fn glo_ciphered(r: &mut Reader<'_>) -> Result<(), Error> {
    r.u8("ciphered APDU tag")?;
    ciphered_content(r, "ciphered-content")
}

/// Checks the framing of general-glo-ciphering: tag, system-title and ciphered-content as A-XDR
/// octet strings.
fn general_glo_ciphering(r: &mut Reader<'_>) -> Result<(), Error> {
    r.u8("general-glo-ciphering tag")?;
    let len = r.length("system-title", 1)?;
    r.bytes(len, "system-title")?;
    ciphered_content(r, "ciphered-content")
}

/// An A-XDR octet string of at least the security header.
fn ciphered_content(r: &mut Reader<'_>, what: &'static str) -> Result<(), Error> {
    let at = r.offset();
    let len = r.length(what, 1)?;
    if len < SECURITY_HEADER_LEN {
        return Err(Error::BadLength {
            offset: at,
            what,
            min: SECURITY_HEADER_LEN as u64,
            max: r.remaining() as u64,
            found: len as u64,
        });
    }
    r.bytes(len, what)?;
    Ok(())
}
