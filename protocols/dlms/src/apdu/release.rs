//! Association release (DLMS UA 1000-2 Ed. 10 clause 9.3.3 and 11.2, ISO/IEC 8650-1
//! `RLRQ-apdu` and `RLRE-apdu`): the RLRQ a client sends to end an association and the RLRE that
//! confirms it. When the association was ciphered, each may carry a ciphered InitiateRequest or
//! InitiateResponse in its user-information, so that the server can tell the release is genuine.
//!
//! As for the AARQ, each APDU is generic over its octet buffers: `&[u8]` when decoded,
//! `Vec<u8>` when built.

use crate::apdu::association::{apdu, Components, UserInformation};
use crate::apdu::ber::{
    decode_integer, length_len, measure, write_integer, write_nested, Sink, Tag, Tlv,
};
use crate::Error;

/// The RLRQ's tag, `[APPLICATION 2]` constructed: 0x62.
pub const RLRQ: u8 = 0x62;
/// The RLRE's tag, `[APPLICATION 3]` constructed: 0x63.
pub const RLRE: u8 = 0x63;

/// `Release-request-reason`: why the client releases. Unknown values still decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReleaseRequestReason(pub u8);

impl ReleaseRequestReason {
    /// normal (0).
    pub const NORMAL: Self = Self(0);
    /// urgent (1).
    pub const URGENT: Self = Self(1);
    /// user-defined (30).
    pub const USER_DEFINED: Self = Self(30);

    /// The standard's name, for the defined values.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "normal",
            1 => "urgent",
            30 => "user-defined",
            _ => return None,
        })
    }
}

/// `Release-response-reason`: how the server answers. Unknown values still decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReleaseResponseReason(pub u8);

impl ReleaseResponseReason {
    /// normal (0).
    pub const NORMAL: Self = Self(0);
    /// not-finished (1).
    pub const NOT_FINISHED: Self = Self(1);
    /// user-defined (30).
    pub const USER_DEFINED: Self = Self(30);

    /// The standard's name, for the defined values.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "normal",
            1 => "not-finished",
            30 => "user-defined",
            _ => return None,
        })
    }
}

/// An RLRQ: an optional reason and optional user-information.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReleaseRequest<B> {
    /// reason `[0] IMPLICIT INTEGER`.
    pub reason: Option<ReleaseRequestReason>,
    /// user-information `[30]`: an InitiateRequest, ciphered when the association is.
    pub user_information: Option<UserInformation<B>>,
}

/// An RLRE: an optional reason and optional user-information.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReleaseResponse<B> {
    /// reason `[0] IMPLICIT INTEGER`.
    pub reason: Option<ReleaseResponseReason>,
    /// user-information `[30]`: an InitiateResponse, ciphered when the association is.
    pub user_information: Option<UserInformation<B>>,
}

/// An RLRQ borrowing the octets it was decoded from.
pub type ReleaseRequestView<'a> = ReleaseRequest<&'a [u8]>;
/// An RLRQ owning its octets.
pub type OwnedReleaseRequest = ReleaseRequest<Vec<u8>>;
/// An RLRE borrowing the octets it was decoded from.
pub type ReleaseResponseView<'a> = ReleaseResponse<&'a [u8]>;
/// An RLRE owning its octets.
pub type OwnedReleaseResponse = ReleaseResponse<Vec<u8>>;

impl<B: AsRef<[u8]>> ReleaseRequest<B> {
    /// The same RLRQ owning its octets.
    pub fn owned(&self) -> OwnedReleaseRequest {
        ReleaseRequest {
            reason: self.reason,
            user_information: self.user_information.as_ref().map(UserInformation::owned),
        }
    }

    /// How many octets [`ReleaseRequest::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        let contents = measure(&|s| self.write_components(s));
        1 + length_len(contents) + contents
    }

    /// Appends the RLRQ, lengths in the fewest octets.
    pub fn encode(&self, out: &mut Vec<u8>) {
        write_nested(out, Tag::application(2, true), &|s| {
            self.write_components(s)
        });
    }

    fn write_components(&self, s: &mut dyn Sink) {
        write_release(s, self.reason.map(|r| r.0), self.user_information.as_ref());
    }
}

impl<'a> ReleaseRequest<&'a [u8]> {
    /// Decodes an RLRQ that fills `input`; offsets in errors count from its tag.
    ///
    /// ```text
    /// 62 len                  [APPLICATION 2] RLRQ
    ///   80 01 rr              [0] reason: normal 0, urgent 1, user-defined 30   OPTIONAL
    ///   BE len 04 len apdu    [30] user-information                             OPTIONAL
    /// ```
    ///
    /// # Errors
    /// [`Error::BadByte`] for another APDU tag or a component this APDU does not have or out of
    /// order; [`Error::Truncated`] and [`Error::BadLength`] for input cut short or lengths past
    /// the end; [`Error::BadValue`] for a reason outside 0..=255; the errors of the INTEGER and
    /// user-information decoders; [`Error::TrailingBytes`].
    pub fn decode(input: &'a [u8]) -> Result<Self, Error> {
        let (reason, user_information) = read_release(
            input,
            Tag::application(2, true),
            "RLRQ",
            "0x62 (RLRQ, [APPLICATION 2])",
            "RLRQ component tag",
        )?;
        Ok(ReleaseRequest {
            reason: reason.map(ReleaseRequestReason),
            user_information,
        })
    }
}

impl<B: AsRef<[u8]>> ReleaseResponse<B> {
    /// The same RLRE owning its octets.
    pub fn owned(&self) -> OwnedReleaseResponse {
        ReleaseResponse {
            reason: self.reason,
            user_information: self.user_information.as_ref().map(UserInformation::owned),
        }
    }

    /// How many octets [`ReleaseResponse::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        let contents = measure(&|s| self.write_components(s));
        1 + length_len(contents) + contents
    }

    /// Appends the RLRE, lengths in the fewest octets.
    pub fn encode(&self, out: &mut Vec<u8>) {
        write_nested(out, Tag::application(3, true), &|s| {
            self.write_components(s)
        });
    }

    fn write_components(&self, s: &mut dyn Sink) {
        write_release(s, self.reason.map(|r| r.0), self.user_information.as_ref());
    }
}

impl<'a> ReleaseResponse<&'a [u8]> {
    /// Decodes an RLRE that fills `input`; offsets in errors count from its tag.
    ///
    /// ```text
    /// 63 len                  [APPLICATION 3] RLRE
    ///   80 01 rr              [0] reason: normal 0, not-finished 1, user-defined 30   OPTIONAL
    ///   BE len 04 len apdu    [30] user-information                                   OPTIONAL
    /// ```
    ///
    /// # Errors
    /// As [`ReleaseRequest::decode`].
    pub fn decode(input: &'a [u8]) -> Result<Self, Error> {
        let (reason, user_information) = read_release(
            input,
            Tag::application(3, true),
            "RLRE",
            "0x63 (RLRE, [APPLICATION 3])",
            "RLRE component tag",
        )?;
        Ok(ReleaseResponse {
            reason: reason.map(ReleaseResponseReason),
            user_information,
        })
    }
}

/// The components the RLRQ and RLRE share.
type Release<'a> = (Option<u8>, Option<UserInformation<&'a [u8]>>);

/// Reads an RLRQ or RLRE.
fn read_release<'a>(
    input: &'a [u8],
    tag: Tag,
    name: &'static str,
    expected: &'static str,
    component_what: &'static str,
) -> Result<Release<'a>, Error> {
    let what = if name == "RLRQ" {
        "RLRQ tag"
    } else {
        "RLRE tag"
    };
    let outer = apdu(input, tag, name, what, expected)?;
    let mut components = Components::new(
        &outer,
        component_what,
        "a release component, in order: reason 0x80, user-information 0xBE",
    );
    let mut reason = None;
    let mut user_information = None;
    while let Some(tlv) = components.next()? {
        match (tlv.tag.constructed, tlv.tag.number) {
            (false, 0) => reason = Some(read_reason(&tlv)?),
            (true, 30) => user_information = Some(UserInformation::from_component(&tlv)?),
            _ => return Err(components.unexpected(&tlv)),
        }
    }
    Ok((reason, user_information))
}

/// Reads the `[0] IMPLICIT INTEGER` reason.
fn read_reason(tlv: &Tlv<'_>) -> Result<u8, Error> {
    const WHAT: &str = "reason";
    let value = decode_integer(tlv.value, tlv.value_offset, 8, WHAT)?;
    u8::try_from(value).map_err(|_| Error::BadValue {
        offset: tlv.value_offset,
        what: WHAT,
        expected: "0..=255",
        found: value as u64,
    })
}

/// Writes the components of an RLRQ or RLRE.
fn write_release<B: AsRef<[u8]>>(
    s: &mut dyn Sink,
    reason: Option<u8>,
    user_information: Option<&UserInformation<B>>,
) {
    if let Some(reason) = reason {
        write_integer(s, Tag::context(0, false), i64::from(reason));
    }
    if let Some(user_information) = user_information {
        user_information.write(s);
    }
}
