//! The xDLMS initiate service (DLMS UA 1000-2 Ed. 10 clause 9.3.2 and 9.5, IEC 62056-5-3
//! clause 8): the InitiateRequest a client puts in the AARQ's user-information, the
//! InitiateResponse a server answers in the AARE, and the ConfirmedServiceError that refuses it.
//!
//! These are A-XDR encoded (IEC 61334-6): an OPTIONAL or DEFAULT component is preceded by a
//! usage flag, 0x00 for absent (or default) and 0x01 for present.

use crate::apdu::ber::{measure, write_length, Sink};
use crate::apdu::conformance::Conformance;
use crate::reader::Reader;
use crate::Error;

/// The tag of an xDLMS InitiateRequest: `[1]`, 0x01.
pub const INITIATE_REQUEST: u8 = 0x01;
/// The tag of an xDLMS InitiateResponse: `[8]`, 0x08.
pub const INITIATE_RESPONSE: u8 = 0x08;
/// The tag of a ConfirmedServiceError: `[14]`, 0x0E.
pub const CONFIRMED_SERVICE_ERROR: u8 = 0x0E;
/// The DLMS version number of Ed. 7 onwards: 6.
pub const DLMS_VERSION: u8 = 6;

/// A dedicated key (the key of a security suite: 16 octets for suites 0 and 1, 32 for suite 2),
/// held inline so that an [`InitiateRequest`] stays `Copy` and decoding allocates nothing.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct DedicatedKey {
    bytes: [u8; DedicatedKey::MAX_LEN],
    len: u8,
}

impl DedicatedKey {
    /// The longest key held: 32 octets (AES-256, security suite 2).
    pub const MAX_LEN: usize = 32;

    /// The key made of `bytes`; `None` above [`DedicatedKey::MAX_LEN`] octets.
    pub fn new(bytes: &[u8]) -> Option<DedicatedKey> {
        let mut key = DedicatedKey {
            bytes: [0; Self::MAX_LEN],
            len: u8::try_from(bytes.len()).ok()?,
        };
        key.bytes.get_mut(..bytes.len())?.copy_from_slice(bytes);
        Some(key)
    }

    /// The key's octets.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or(&[])
    }
}

impl std::fmt::Debug for DedicatedKey {
    /// Shows the length only: a key never goes to a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DedicatedKey({} octets)", self.len)
    }
}

/// The xDLMS InitiateRequest (DLMS UA 1000-2 Ed. 10 clause 9.5, `InitiateRequest`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InitiateRequest {
    /// dedicated-key: the key for dedicated ciphering in this association, if any.
    pub dedicated_key: Option<DedicatedKey>,
    /// response-allowed: `None` is the DEFAULT (TRUE) sent as the flag 0x00; `Some` is sent
    /// explicitly (TRUE as 0x01).
    pub response_allowed: Option<bool>,
    /// proposed-quality-of-service `[0] IMPLICIT Integer8`, if any.
    pub proposed_quality_of_service: Option<i8>,
    /// proposed-dlms-version-number: 6.
    pub proposed_dlms_version_number: u8,
    /// proposed-conformance.
    pub proposed_conformance: Conformance,
    /// client-max-receive-pdu-size: the longest APDU the client takes (0 means no limit).
    pub client_max_receive_pdu_size: u16,
}

impl InitiateRequest {
    /// A request with version 6, no dedicated key, the default response-allowed and no quality
    /// of service.
    pub fn new(proposed_conformance: Conformance, client_max_receive_pdu_size: u16) -> Self {
        InitiateRequest {
            dedicated_key: None,
            response_allowed: None,
            proposed_quality_of_service: None,
            proposed_dlms_version_number: DLMS_VERSION,
            proposed_conformance,
            client_max_receive_pdu_size,
        }
    }

    /// Whether the server shall answer: response-allowed with its default applied.
    pub fn is_response_allowed(&self) -> bool {
        self.response_allowed.unwrap_or(true)
    }

    /// How many octets [`InitiateRequest::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        measure(&|s| self.write(s))
    }

    /// Appends the APDU.
    pub fn encode(&self, out: &mut Vec<u8>) {
        self.write(out);
    }

    /// Writes the APDU to a sink.
    pub(crate) fn write(&self, s: &mut dyn Sink) {
        s.push(INITIATE_REQUEST);
        match &self.dedicated_key {
            Some(key) => {
                s.push(0x01);
                write_length(s, key.as_bytes().len());
                s.put(key.as_bytes());
            }
            None => s.push(0x00),
        }
        match self.response_allowed {
            Some(allowed) => s.put(&[0x01, u8::from(allowed)]),
            None => s.push(0x00),
        }
        put_optional_i8(s, self.proposed_quality_of_service);
        s.push(self.proposed_dlms_version_number);
        self.proposed_conformance.write(s);
        s.put(&self.client_max_receive_pdu_size.to_be_bytes());
    }

    /// Decodes an InitiateRequest that fills `input`.
    ///
    /// # Errors
    /// [`Error::BadByte`] for another tag or a usage flag other than 0 or 1, [`Error::Truncated`]
    /// when cut short, [`Error::BadLength`] for a dedicated key longer than the input or than 32
    /// octets, the errors of [`Conformance::decode`], [`Error::TrailingBytes`].
    pub fn decode(input: &[u8]) -> Result<Self, Error> {
        complete(Reader::new(input), "InitiateRequest", Self::read)
    }

    /// Reads one InitiateRequest at the reader's position.
    ///
    /// ```text
    /// 0x01                  tag
    /// 00 | 01 len key       dedicated-key OPTIONAL (A-XDR length)
    /// 00 | 01 bool          response-allowed DEFAULT TRUE
    /// 00 | 01 i8            proposed-quality-of-service OPTIONAL
    /// u8                    proposed-dlms-version-number
    /// 5F 1F 04 00 b b b     proposed-conformance
    /// u16                   client-max-receive-pdu-size
    /// ```
    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, Error> {
        expect_tag(
            r,
            INITIATE_REQUEST,
            "InitiateRequest tag",
            "0x01 (InitiateRequest)",
        )?;
        let dedicated_key = if flag(r, "dedicated-key")? {
            let at = r.offset();
            let len = r.length("dedicated-key", 1)?;
            let bytes = r.bytes(len, "dedicated-key")?;
            Some(DedicatedKey::new(bytes).ok_or(Error::BadLength {
                offset: at,
                what: "dedicated-key",
                min: 0,
                max: DedicatedKey::MAX_LEN as u64,
                found: len as u64,
            })?)
        } else {
            None
        };
        let response_allowed = if flag(r, "response-allowed")? {
            Some(r.u8("response-allowed")? != 0)
        } else {
            None
        };
        let proposed_quality_of_service = optional_i8(r, "proposed-quality-of-service")?;
        let proposed_dlms_version_number = r.u8("proposed-dlms-version-number")?;
        let proposed_conformance = Conformance::read(r, "proposed-conformance")?;
        let client_max_receive_pdu_size = r.u16("client-max-receive-pdu-size")?;
        Ok(InitiateRequest {
            dedicated_key,
            response_allowed,
            proposed_quality_of_service,
            proposed_dlms_version_number,
            proposed_conformance,
            client_max_receive_pdu_size,
        })
    }
}

/// The name of the server's virtual application association (`vaa-name`, an ObjectName): 0x0007
/// for logical name referencing, 0xFA00 (the base name of the Association SN object) for short
/// names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VaaName(pub u16);

impl VaaName {
    /// Logical name referencing: 0x0007.
    pub const LN: VaaName = VaaName(0x0007);
    /// Short name referencing: 0xFA00.
    pub const SN: VaaName = VaaName(0xFA00);
}

/// The xDLMS InitiateResponse (DLMS UA 1000-2 Ed. 10 clause 9.5, `InitiateResponse`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InitiateResponse {
    /// negotiated-quality-of-service `[0] IMPLICIT Integer8`, if any.
    pub negotiated_quality_of_service: Option<i8>,
    /// negotiated-dlms-version-number: 6.
    pub negotiated_dlms_version_number: u8,
    /// negotiated-conformance: the bits the server grants.
    pub negotiated_conformance: Conformance,
    /// server-max-receive-pdu-size: the longest APDU the server takes.
    pub server_max_receive_pdu_size: u16,
    /// vaa-name: [`VaaName::LN`] or [`VaaName::SN`].
    pub vaa_name: VaaName,
}

impl InitiateResponse {
    /// How many octets [`InitiateResponse::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        measure(&|s| self.write(s))
    }

    /// Appends the APDU.
    pub fn encode(&self, out: &mut Vec<u8>) {
        self.write(out);
    }

    /// Writes the APDU to a sink.
    pub(crate) fn write(&self, s: &mut dyn Sink) {
        s.push(INITIATE_RESPONSE);
        put_optional_i8(s, self.negotiated_quality_of_service);
        s.push(self.negotiated_dlms_version_number);
        self.negotiated_conformance.write(s);
        s.put(&self.server_max_receive_pdu_size.to_be_bytes());
        s.put(&self.vaa_name.0.to_be_bytes());
    }

    /// Decodes an InitiateResponse that fills `input`.
    ///
    /// # Errors
    /// As [`InitiateRequest::decode`].
    pub fn decode(input: &[u8]) -> Result<Self, Error> {
        complete(Reader::new(input), "InitiateResponse", Self::read)
    }

    /// Reads one InitiateResponse at the reader's position.
    ///
    /// ```text
    /// 0x08                  tag
    /// 00 | 01 i8            negotiated-quality-of-service OPTIONAL
    /// u8                    negotiated-dlms-version-number
    /// 5F 1F 04 00 b b b     negotiated-conformance
    /// u16                   server-max-receive-pdu-size
    /// u16                   vaa-name
    /// ```
    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, Error> {
        expect_tag(
            r,
            INITIATE_RESPONSE,
            "InitiateResponse tag",
            "0x08 (InitiateResponse)",
        )?;
        Ok(InitiateResponse {
            negotiated_quality_of_service: optional_i8(r, "negotiated-quality-of-service")?,
            negotiated_dlms_version_number: r.u8("negotiated-dlms-version-number")?,
            negotiated_conformance: Conformance::read(r, "negotiated-conformance")?,
            server_max_receive_pdu_size: r.u16("server-max-receive-pdu-size")?,
            vaa_name: VaaName(r.u16("vaa-name")?),
        })
    }
}

/// The ConfirmedServiceError that refuses an InitiateRequest in an AARE (`0E 01 06 01`:
/// initiateError, initiate, dlms-version-too-low) is the one of the data services.
pub use super::exception::ConfirmedServiceError;

/// Runs `read` and checks that it used every byte.
pub(crate) fn complete<'a, T>(
    mut r: Reader<'a>,
    what: &'static str,
    read: impl FnOnce(&mut Reader<'a>) -> Result<T, Error>,
) -> Result<T, Error> {
    let value = read(&mut r)?;
    if !r.is_empty() {
        return Err(Error::TrailingBytes {
            offset: r.offset(),
            what,
            count: r.remaining(),
        });
    }
    Ok(value)
}

/// Reads a one-octet tag that must be `tag`.
fn expect_tag(
    r: &mut Reader<'_>,
    tag: u8,
    what: &'static str,
    expected: &'static str,
) -> Result<(), Error> {
    let at = r.offset();
    let found = r.u8(what)?;
    if found != tag {
        return Err(Error::BadByte {
            offset: at,
            what,
            expected,
            found,
        });
    }
    Ok(())
}

/// Reads an A-XDR usage flag: 0x00 absent (or the default), 0x01 present.
fn flag(r: &mut Reader<'_>, what: &'static str) -> Result<bool, Error> {
    let at = r.offset();
    match r.u8(what)? {
        0x00 => Ok(false),
        0x01 => Ok(true),
        found => Err(Error::BadByte {
            offset: at,
            what,
            expected: "a usage flag: 0x00 (absent) or 0x01 (present)",
            found,
        }),
    }
}

/// Reads an OPTIONAL Integer8 with its usage flag.
fn optional_i8(r: &mut Reader<'_>, what: &'static str) -> Result<Option<i8>, Error> {
    Ok(if flag(r, what)? {
        Some(i8::from_be_bytes(r.array(what)?))
    } else {
        None
    })
}

/// Appends an OPTIONAL Integer8 with its usage flag.
fn put_optional_i8(s: &mut dyn Sink, value: Option<i8>) {
    match value {
        Some(v) => s.put(&[0x01, v as u8]),
        None => s.push(0x00),
    }
}
