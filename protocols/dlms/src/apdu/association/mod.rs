//! Association establishment (DLMS UA 1000-2 Ed. 10 clause 9.3.2 and 11, IEC 62056-5-3
//! clause 7, ISO/IEC 8650-1 ACSE as the Green Book profiles it): the AARQ a client sends, the
//! AARE a server answers, and the parts they share: application-context-name, mechanism-name,
//! authentication values, AE qualifiers and the user-information that carries the xDLMS
//! InitiateRequest or InitiateResponse.
//!
//! Every APDU is one type generic over its octet buffers: decoding returns the borrowed view
//! (`Aarq<&[u8]>`, alias [`AarqView`]), which borrows the input and allocates nothing; the owned
//! value (`Aarq<Vec<u8>>`, alias [`OwnedAarq`]) is what a caller builds. Both encode, and
//! `owned()` turns a view into an owned value. An APDU decoded and encoded again gives the same
//! octets whenever its lengths were sent in the fewest octets, as every DLMS implementation does.
//!
//! The AARQ of a client that logs in with a password (LLS), and back:
//!
//! ```
//! use fieldbridge_dlms::apdu::association::{
//!     AarqView, AcseRequirements, ApplicationContextName, AuthenticationValue, MechanismName,
//!     OwnedAarq, UserInformation,
//! };
//! use fieldbridge_dlms::apdu::conformance::Conformance;
//! use fieldbridge_dlms::apdu::initiate::InitiateRequest;
//!
//! let mut aarq = OwnedAarq::new(ApplicationContextName::LogicalName);
//! aarq.sender_acse_requirements = Some(AcseRequirements::AUTHENTICATION);
//! aarq.mechanism_name = Some(MechanismName::Low);
//! aarq.calling_authentication_value =
//!     Some(AuthenticationValue::CharString(b"12345678".to_vec()));
//! let conformance = Conformance::GET | Conformance::SET | Conformance::ACTION;
//! aarq.user_information = Some(UserInformation::InitiateRequest(InitiateRequest::new(
//!     conformance,
//!     0xFFFF,
//! )));
//!
//! let mut wire = Vec::new();
//! aarq.encode(&mut wire);
//! assert_eq!(wire[..2], [0x60, 0x36]);
//! let view = AarqView::decode(&wire).unwrap(); // ok: a doc example; failing is the test failing
//! assert_eq!(view.owned(), aarq);
//! ```

mod aare;
mod aarq;
mod diagnostic;
mod user_information;

pub use aare::{Aare, AareView, OwnedAare, AARE};
pub use aarq::{Aarq, AarqView, OwnedAarq, AARQ};
pub use diagnostic::{AcseServiceProvider, AcseServiceUser, AssociationResult, SourceDiagnostic};
pub use user_information::{
    UserInformation, GENERAL_GLO_CIPHERING, GLO_CONFIRMED_SERVICE_ERROR, GLO_INITIATE_REQUEST,
    GLO_INITIATE_RESPONSE,
};

use crate::apdu::ber::{
    bad_tag, decode_integer, read_length, write_integer, write_nested, write_tlv, BitString, Class,
    Oid, Sink, Tag, Tlv, Tlvs,
};
use crate::reader::Reader;
use crate::Error;

/// The OBJECT IDENTIFIER prefix of the DLMS application context names, 2.16.756.5.8.1.
const CONTEXT_ARC: [u8; 6] = [0x60, 0x85, 0x74, 0x05, 0x08, 0x01];
/// The OBJECT IDENTIFIER prefix of the DLMS authentication mechanism names, 2.16.756.5.8.2.
const MECHANISM_ARC: [u8; 6] = [0x60, 0x85, 0x74, 0x05, 0x08, 0x02];

/// The application context (DLMS UA 1000-2 Ed. 10 clause 9.4.2.2.2): name referencing, and
/// whether xDLMS APDUs may be ciphered. Its OBJECT IDENTIFIER is 2.16.756.5.8.1.id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApplicationContextName {
    /// Logical_Name_Referencing_No_Ciphering, 2.16.756.5.8.1.1.
    LogicalName = 1,
    /// Short_Name_Referencing_No_Ciphering, 2.16.756.5.8.1.2.
    ShortName = 2,
    /// Logical_Name_Referencing_With_Ciphering, 2.16.756.5.8.1.3.
    LogicalNameCiphered = 3,
    /// Short_Name_Referencing_With_Ciphering, 2.16.756.5.8.1.4.
    ShortNameCiphered = 4,
}

impl ApplicationContextName {
    /// All four, by id.
    pub const ALL: [Self; 4] = [
        Self::LogicalName,
        Self::ShortName,
        Self::LogicalNameCiphered,
        Self::ShortNameCiphered,
    ];

    /// The last arc of the name's OBJECT IDENTIFIER.
    pub const fn id(self) -> u8 {
        self as u8
    }

    /// The context with last arc `id`.
    pub const fn from_id(id: u8) -> Option<Self> {
        Some(match id {
            1 => Self::LogicalName,
            2 => Self::ShortName,
            3 => Self::LogicalNameCiphered,
            4 => Self::ShortNameCiphered,
            _ => return None,
        })
    }

    /// Whether ciphered xDLMS APDUs may be used.
    pub const fn is_ciphered(self) -> bool {
        matches!(self, Self::LogicalNameCiphered | Self::ShortNameCiphered)
    }

    /// Whether objects are referenced by logical names (OBIS codes) rather than short names.
    pub const fn is_logical_name(self) -> bool {
        matches!(self, Self::LogicalName | Self::LogicalNameCiphered)
    }

    /// The contents octets of its OBJECT IDENTIFIER.
    pub const fn oid(self) -> [u8; 7] {
        let [a, b, c, d, e, f] = CONTEXT_ARC;
        [a, b, c, d, e, f, self.id()]
    }

    /// Reads the `[1]` application-context-name component: an OBJECT IDENTIFIER inside.
    fn from_component(tlv: &Tlv<'_>) -> Result<Self, Error> {
        const WHAT: &str = "application-context-name";
        let oid = tlv.explicit(Tag::OBJECT_IDENTIFIER, WHAT)?;
        let id = dlms_oid(&oid, CONTEXT_ARC, WHAT)?;
        Self::from_id(id).ok_or(Error::UnknownChoice {
            offset: oid.value_offset + CONTEXT_ARC.len(),
            what: WHAT,
            found: id,
        })
    }

    /// Writes the component with `[1]` around the OBJECT IDENTIFIER.
    fn write(self, s: &mut dyn Sink) {
        write_nested(s, Tag::context(1, true), &|s| {
            write_tlv(s, Tag::OBJECT_IDENTIFIER, &self.oid());
        });
    }
}

/// The authentication mechanism (DLMS UA 1000-2 Ed. 10 clause 9.2.7.4 and 9.4.2.2.3): its
/// OBJECT IDENTIFIER is 2.16.756.5.8.2.id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MechanismName {
    /// COSEM_lowest_level_security_mechanism_name, id 0: no authentication.
    Lowest = 0,
    /// COSEM_low_level_security_mechanism_name, id 1: LLS, a password.
    Low = 1,
    /// COSEM_high_level_security_mechanism_name, id 2: HLS, manufacturer specific.
    High = 2,
    /// COSEM_high_level_security_mechanism_name_using_MD5, id 3.
    HighMd5 = 3,
    /// COSEM_high_level_security_mechanism_name_using_SHA-1, id 4.
    HighSha1 = 4,
    /// COSEM_high_level_security_mechanism_name_using_GMAC, id 5.
    HighGmac = 5,
    /// COSEM_high_level_security_mechanism_name_using_SHA-256, id 6.
    HighSha256 = 6,
    /// COSEM_high_level_security_mechanism_name_using_ECDSA, id 7.
    HighEcdsa = 7,
}

impl MechanismName {
    /// All eight, by id.
    pub const ALL: [Self; 8] = [
        Self::Lowest,
        Self::Low,
        Self::High,
        Self::HighMd5,
        Self::HighSha1,
        Self::HighGmac,
        Self::HighSha256,
        Self::HighEcdsa,
    ];

    /// The last arc of the name's OBJECT IDENTIFIER.
    pub const fn id(self) -> u8 {
        self as u8
    }

    /// The mechanism with last arc `id`.
    pub const fn from_id(id: u8) -> Option<Self> {
        Some(match id {
            0 => Self::Lowest,
            1 => Self::Low,
            2 => Self::High,
            3 => Self::HighMd5,
            4 => Self::HighSha1,
            5 => Self::HighGmac,
            6 => Self::HighSha256,
            7 => Self::HighEcdsa,
            _ => return None,
        })
    }

    /// Whether this is high level security: a challenge in each direction (ids 2..=7).
    pub const fn is_high_level(self) -> bool {
        self.id() >= 2
    }

    /// The contents octets of its OBJECT IDENTIFIER.
    pub const fn oid(self) -> [u8; 7] {
        let [a, b, c, d, e, f] = MECHANISM_ARC;
        [a, b, c, d, e, f, self.id()]
    }

    /// Reads a mechanism-name component: `[n] IMPLICIT OBJECT IDENTIFIER`.
    fn from_component(tlv: &Tlv<'_>) -> Result<Self, Error> {
        const WHAT: &str = "mechanism-name";
        let id = dlms_oid(tlv, MECHANISM_ARC, WHAT)?;
        Self::from_id(id).ok_or(Error::UnknownChoice {
            offset: tlv.value_offset + MECHANISM_ARC.len(),
            what: WHAT,
            found: id,
        })
    }

    /// Writes the component with the IMPLICIT tag `[number]`.
    fn write(self, s: &mut dyn Sink, number: u32) {
        write_tlv(s, Tag::context(number, false), &self.oid());
    }
}

/// Checks an OBJECT IDENTIFIER and returns its last arc when it is `arc` plus one arc below 128.
fn dlms_oid(tlv: &Tlv<'_>, arc: [u8; 6], what: &'static str) -> Result<u8, Error> {
    let oid = Oid::new(tlv.value, tlv.value_offset)?;
    match oid.as_bytes() {
        [a, b, c, d, e, f, id] if [*a, *b, *c, *d, *e, *f] == arc => Ok(*id),
        _ => Err(Error::Unsupported {
            offset: tlv.value_offset,
            what,
        }),
    }
}

/// An authentication value (ISO/IEC 8650-1 `Authentication-value`, DLMS UA 1000-2 Ed. 10 clause
/// 9.4.2.2.3): the LLS password, or an HLS challenge (CtoS in the AARQ, StoC in the AARE).
///
/// Its `Debug` shows the alternative only (`CharString(hidden)`), never the octets: an LLS
/// password must not end up in a log.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthenticationValue<B> {
    /// charstring `[0] IMPLICIT GraphicString`: what DLMS sends.
    CharString(B),
    /// bitstring `[1] IMPLICIT BIT STRING`: the contents, unused-bits octet first.
    BitString(B),
}

impl<B> std::fmt::Debug for AuthenticationValue<B> {
    /// The alternative only, never the octets (an LLS password) nor their number.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::CharString(_) => "CharString(hidden)",
            Self::BitString(_) => "BitString(hidden)",
        })
    }
}

impl<B: AsRef<[u8]>> AuthenticationValue<B> {
    /// The octets: the characters, or the bit string's octets without the unused-bits octet.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Self::CharString(b) => b.as_ref(),
            Self::BitString(b) => b.as_ref().get(1..).unwrap_or(&[]),
        }
    }

    /// The same value owning its octets.
    pub fn owned(&self) -> AuthenticationValue<Vec<u8>> {
        match self {
            Self::CharString(b) => AuthenticationValue::CharString(b.as_ref().to_vec()),
            Self::BitString(b) => AuthenticationValue::BitString(b.as_ref().to_vec()),
        }
    }

    /// Writes the component `[number]` around the CHOICE.
    fn write(&self, s: &mut dyn Sink, number: u32) {
        write_nested(s, Tag::context(number, true), &|s| match self {
            Self::CharString(b) => write_tlv(s, Tag::context(0, false), b.as_ref()),
            Self::BitString(b) => write_tlv(s, Tag::context(1, false), b.as_ref()),
        });
    }
}

impl<'a> AuthenticationValue<&'a [u8]> {
    /// The octets, borrowed from the decoded input rather than from this value.
    pub fn bytes(&self) -> &'a [u8] {
        match *self {
            Self::CharString(b) => b,
            Self::BitString(b) => b.get(1..).unwrap_or(&[]),
        }
    }

    /// Reads the `[n]` authentication-value component around the CHOICE.
    fn from_component(tlv: &Tlv<'a>, what: &'static str) -> Result<Self, Error> {
        let inner = single_child(tlv, what)?;
        match (inner.tag.class, inner.tag.constructed, inner.tag.number) {
            (Class::Context, false, 0) => Ok(Self::CharString(inner.value)),
            (Class::Context, false, 1) => {
                BitString::new(inner.value, inner.value_offset)?;
                Ok(Self::BitString(inner.value))
            }
            (Class::Context, _, 2 | 3) => Err(Error::Unsupported {
                offset: inner.offset,
                what: "authentication-value external or other",
            }),
            _ => Err(Error::BadByte {
                offset: inner.offset,
                what,
                expected: "charstring 0x80 or bitstring 0x81",
                found: inner.tag.first_octet(),
            }),
        }
    }
}

/// An AE qualifier (ISO/IEC 8650-1 `AE-qualifier`): an INTEGER (form 2), or in DLMS an OCTET
/// STRING carrying the public key certificate of HLS with ECDSA (DLMS UA 1000-2 Ed. 10 clause
/// 9.2.7.4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AeQualifier<B> {
    /// An INTEGER of at most 8 octets.
    Integer(i64),
    /// An OCTET STRING.
    OctetString(B),
}

impl<B: AsRef<[u8]>> AeQualifier<B> {
    /// The same value owning its octets.
    pub fn owned(&self) -> AeQualifier<Vec<u8>> {
        match self {
            Self::Integer(v) => AeQualifier::Integer(*v),
            Self::OctetString(b) => AeQualifier::OctetString(b.as_ref().to_vec()),
        }
    }

    /// Writes the component `[number]` around the value.
    fn write(&self, s: &mut dyn Sink, number: u32) {
        write_nested(s, Tag::context(number, true), &|s| match self {
            Self::Integer(v) => write_integer(s, Tag::INTEGER, *v),
            Self::OctetString(b) => write_tlv(s, Tag::OCTET_STRING, b.as_ref()),
        });
    }
}

impl<'a> AeQualifier<&'a [u8]> {
    /// Reads an `[n]` AE-qualifier component.
    fn from_component(tlv: &Tlv<'a>, what: &'static str) -> Result<Self, Error> {
        let inner = single_child(tlv, what)?;
        if inner.tag == Tag::INTEGER {
            Ok(Self::Integer(decode_integer(
                inner.value,
                inner.value_offset,
                8,
                what,
            )?))
        } else if inner.tag == Tag::OCTET_STRING {
            Ok(Self::OctetString(inner.value))
        } else {
            Err(Error::BadByte {
                offset: inner.offset,
                what,
                expected: "INTEGER (0x02) or OCTET STRING (0x04)",
                found: inner.tag.first_octet(),
            })
        }
    }
}

/// The ACSE requirements (`ACSE-requirements ::= BIT STRING { authentication(0) }`): the
/// authentication functional unit, present in the AARQ and AARE when a mechanism is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AcseRequirements {
    /// The authentication bit.
    pub authentication: bool,
}

impl AcseRequirements {
    /// The authentication functional unit selected: `07 80`.
    pub const AUTHENTICATION: AcseRequirements = AcseRequirements {
        authentication: true,
    };

    /// Reads the `[n] IMPLICIT BIT STRING` component: one bit, sent as `07 80` or `07 00`.
    fn from_component(tlv: &Tlv<'_>, what: &'static str) -> Result<Self, Error> {
        Ok(AcseRequirements {
            authentication: one_bit(tlv, what, "one bit: 07 80 or 07 00")?,
        })
    }

    /// Writes the component with the IMPLICIT tag `[number]`.
    fn write(self, s: &mut dyn Sink, number: u32) {
        let bit = if self.authentication { 0x80 } else { 0x00 };
        write_tlv(s, Tag::context(number, false), &[0x07, bit]);
    }
}

/// Reads a one-bit BIT STRING's contents (`07 80` or `07 00`: the DER form).
fn one_bit(tlv: &Tlv<'_>, what: &'static str, expected: &'static str) -> Result<bool, Error> {
    let bits = BitString::new(tlv.value, tlv.value_offset)?;
    match (bits.unused_bits, bits.bytes) {
        (7, [0x80]) => Ok(true),
        (7, [0x00]) => Ok(false),
        _ => Err(Error::BadValue {
            offset: tlv.value_offset,
            what,
            expected,
            found: bits.len() as u64,
        }),
    }
}

/// Reads protocol-version `[0] IMPLICIT BIT STRING { version1(0) }`: only version1 (`07 80`).
fn protocol_version(tlv: &Tlv<'_>) -> Result<(), Error> {
    const WHAT: &str = "protocol-version";
    if one_bit(tlv, WHAT, "version1: 07 80")? {
        Ok(())
    } else {
        Err(Error::BadValue {
            offset: tlv.value_offset,
            what: WHAT,
            expected: "version1: 07 80",
            found: 0,
        })
    }
}

/// Writes protocol-version version1: `80 02 07 80`.
fn write_protocol_version(s: &mut dyn Sink) {
    write_tlv(s, Tag::context(0, false), &[0x07, 0x80]);
}

/// The one TLV inside an EXPLICIT component, whatever its tag.
fn single_child<'a>(tlv: &Tlv<'a>, what: &'static str) -> Result<Tlv<'a>, Error> {
    let mut children = tlv.children();
    let inner = match children.next() {
        Some(inner) => inner?,
        None => {
            return Err(Error::Truncated {
                offset: tlv.value_offset,
                what,
                needed: 2,
            })
        }
    };
    if let Some(extra) = children.next() {
        let extra = extra?;
        return Err(Error::TrailingBytes {
            offset: extra.offset,
            what,
            count: tlv.value_offset + tlv.value.len() - extra.offset,
        });
    }
    Ok(inner)
}

/// Reads an `[n]` component that holds an OCTET STRING (an AP title: the system title in DLMS).
fn explicit_octets<'a>(tlv: &Tlv<'a>, what: &'static str) -> Result<&'a [u8], Error> {
    Ok(tlv.explicit(Tag::OCTET_STRING, what)?.value)
}

/// Reads an `[n]` component that holds an INTEGER of at most 8 octets.
fn explicit_integer(tlv: &Tlv<'_>, what: &'static str) -> Result<i64, Error> {
    let inner = tlv.explicit(Tag::INTEGER, what)?;
    decode_integer(inner.value, inner.value_offset, 8, what)
}

/// Writes an `[number]` component around an OCTET STRING.
fn write_explicit_octets(s: &mut dyn Sink, number: u32, value: &[u8]) {
    write_nested(s, Tag::context(number, true), &|s| {
        write_tlv(s, Tag::OCTET_STRING, value);
    });
}

/// Writes an `[number]` component around an INTEGER.
fn write_explicit_integer(s: &mut dyn Sink, number: u32, value: i64) {
    write_nested(s, Tag::context(number, true), &|s| {
        write_integer(s, Tag::INTEGER, value);
    });
}

/// Reads the outer TLV of an ACSE APDU, which must fill `input`: the one-octet tag, then a
/// definite length.
pub(crate) fn apdu<'a>(
    input: &'a [u8],
    tag: Tag,
    name: &'static str,
    what: &'static str,
    expected: &'static str,
) -> Result<Tlv<'a>, Error> {
    let mut r = Reader::new(input);
    let first = r.u8(what)?;
    if first != tag.first_octet() {
        return Err(bad_tag(0, input, what, expected));
    }
    let len = read_length(&mut r, "BER length")?;
    let value_offset = r.offset();
    let value = r.bytes(len, "BER length")?;
    if !r.is_empty() {
        return Err(Error::TrailingBytes {
            offset: r.offset(),
            what: name,
            count: r.remaining(),
        });
    }
    Ok(Tlv {
        tag,
        value,
        offset: 0,
        value_offset,
    })
}

/// The components of an APDU's SEQUENCE: context-specific tags in increasing order.
pub(crate) struct Components<'a> {
    children: Tlvs<'a>,
    last: Option<u32>,
    what: &'static str,
    expected: &'static str,
}

impl<'a> Components<'a> {
    pub(crate) fn new(apdu: &Tlv<'a>, what: &'static str, expected: &'static str) -> Self {
        Components {
            children: apdu.children(),
            last: None,
            what,
            expected,
        }
    }

    /// The next component; an error for one that is not context-specific or out of order.
    pub(crate) fn next(&mut self) -> Result<Option<Tlv<'a>>, Error> {
        let Some(tlv) = self.children.next().transpose()? else {
            return Ok(None);
        };
        if tlv.tag.class != Class::Context || self.last.is_some_and(|l| tlv.tag.number <= l) {
            return Err(self.unexpected(&tlv));
        }
        self.last = Some(tlv.tag.number);
        Ok(Some(tlv))
    }

    /// The error for a component this APDU does not have.
    pub(crate) fn unexpected(&self, tlv: &Tlv<'_>) -> Error {
        Error::BadByte {
            offset: tlv.offset,
            what: self.what,
            expected: self.expected,
            found: tlv.tag.first_octet(),
        }
    }
}

/// The error for a mandatory component missing: `at` is where it should have been.
fn missing(at: usize, what: &'static str) -> Error {
    Error::Truncated {
        offset: at,
        what,
        needed: 2,
    }
}

/// The error for a component that comes where a mandatory one should.
fn missing_before(tlv: &Tlv<'_>, what: &'static str, expected: &'static str) -> Error {
    Error::BadByte {
        offset: tlv.offset,
        what,
        expected,
        found: tlv.tag.first_octet(),
    }
}

/// Copies an optional buffer.
fn owned_bytes<B: AsRef<[u8]>>(b: &Option<B>) -> Option<Vec<u8>> {
    b.as_ref().map(|b| b.as_ref().to_vec())
}
