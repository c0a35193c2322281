//! The AARQ, the A-ASSOCIATE request (DLMS UA 1000-2 Ed. 10 clause 9.3.2 and 11.2, ISO/IEC
//! 8650-1 `AARQ-apdu`).

use super::{
    apdu, explicit_integer, explicit_octets, missing, missing_before, owned_bytes,
    protocol_version, write_explicit_integer, write_explicit_octets, write_protocol_version,
    AcseRequirements, AeQualifier, ApplicationContextName, AuthenticationValue, Components,
    MechanismName, UserInformation,
};
use crate::apdu::ber::{length_len, measure, write_tlv, Sink, Tag};
use crate::Error;

/// The AARQ's tag, `[APPLICATION 0]` constructed: 0x60.
pub const AARQ: u8 = 0x60;

/// An AARQ; `B` holds octet strings: `&[u8]` decoded ([`AarqView`]), `Vec<u8>` built
/// ([`OwnedAarq`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Aarq<B> {
    /// protocol-version `[0]`: present (version1, `80 02 07 80`) or left to its DEFAULT.
    pub protocol_version: bool,
    /// application-context-name `[1]`.
    pub application_context_name: ApplicationContextName,
    /// called-AP-title `[2]`.
    pub called_ap_title: Option<B>,
    /// called-AE-qualifier `[3]`.
    pub called_ae_qualifier: Option<AeQualifier<B>>,
    /// called-AP-invocation-identifier `[4]`.
    pub called_ap_invocation_id: Option<i64>,
    /// called-AE-invocation-identifier `[5]`.
    pub called_ae_invocation_id: Option<i64>,
    /// calling-AP-title `[6]`: the client's system title when the context is ciphered.
    pub calling_ap_title: Option<B>,
    /// calling-AE-qualifier `[7]`: the client's certificate with HLS ECDSA.
    pub calling_ae_qualifier: Option<AeQualifier<B>>,
    /// calling-AP-invocation-identifier `[8]`.
    pub calling_ap_invocation_id: Option<i64>,
    /// calling-AE-invocation-identifier `[9]`: the client user id when the server asks for it.
    pub calling_ae_invocation_id: Option<i64>,
    /// sender-acse-requirements `[10]`: the authentication functional unit.
    pub sender_acse_requirements: Option<AcseRequirements>,
    /// mechanism-name `[11]`.
    pub mechanism_name: Option<MechanismName>,
    /// calling-authentication-value `[12]`: the LLS password or the HLS challenge CtoS.
    pub calling_authentication_value: Option<AuthenticationValue<B>>,
    /// implementation-information `[29]`: a GraphicString.
    pub implementation_information: Option<B>,
    /// user-information `[30]`: the InitiateRequest, in clear or ciphered.
    pub user_information: Option<UserInformation<B>>,
}

/// An AARQ borrowing the octets it was decoded from.
pub type AarqView<'a> = Aarq<&'a [u8]>;
/// An AARQ owning its octets.
pub type OwnedAarq = Aarq<Vec<u8>>;

impl<B> Aarq<B> {
    /// An AARQ with only the application context (protocol-version left to its default, no
    /// authentication, no user-information).
    pub fn new(application_context_name: ApplicationContextName) -> Self {
        Aarq {
            protocol_version: false,
            application_context_name,
            called_ap_title: None,
            called_ae_qualifier: None,
            called_ap_invocation_id: None,
            called_ae_invocation_id: None,
            calling_ap_title: None,
            calling_ae_qualifier: None,
            calling_ap_invocation_id: None,
            calling_ae_invocation_id: None,
            sender_acse_requirements: None,
            mechanism_name: None,
            calling_authentication_value: None,
            implementation_information: None,
            user_information: None,
        }
    }
}

impl<B: AsRef<[u8]>> Aarq<B> {
    /// The same AARQ owning its octets.
    pub fn owned(&self) -> OwnedAarq {
        Aarq {
            protocol_version: self.protocol_version,
            application_context_name: self.application_context_name,
            called_ap_title: owned_bytes(&self.called_ap_title),
            called_ae_qualifier: self.called_ae_qualifier.as_ref().map(AeQualifier::owned),
            called_ap_invocation_id: self.called_ap_invocation_id,
            called_ae_invocation_id: self.called_ae_invocation_id,
            calling_ap_title: owned_bytes(&self.calling_ap_title),
            calling_ae_qualifier: self.calling_ae_qualifier.as_ref().map(AeQualifier::owned),
            calling_ap_invocation_id: self.calling_ap_invocation_id,
            calling_ae_invocation_id: self.calling_ae_invocation_id,
            sender_acse_requirements: self.sender_acse_requirements,
            mechanism_name: self.mechanism_name,
            calling_authentication_value: self
                .calling_authentication_value
                .as_ref()
                .map(AuthenticationValue::owned),
            implementation_information: owned_bytes(&self.implementation_information),
            user_information: self.user_information.as_ref().map(UserInformation::owned),
        }
    }

    /// The client's system title: the calling-AP-title when it has the 8 octets of one (DLMS UA
    /// 1000-2 Ed. 10 clause 9.2.7.3: the security module needs it to decipher the client's APDUs).
    pub fn client_system_title(&self) -> Option<[u8; 8]> {
        self.calling_ap_title
            .as_ref()
            .and_then(|t| <[u8; 8]>::try_from(t.as_ref()).ok())
    }

    /// How many octets [`Aarq::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        let contents = measure(&|s| self.write_components(s));
        1 + length_len(contents) + contents
    }

    /// Appends the AARQ, lengths in the fewest octets.
    pub fn encode(&self, out: &mut Vec<u8>) {
        crate::apdu::ber::write_nested(out, Tag::application(0, true), &|s| {
            self.write_components(s)
        });
    }

    /// Writes the components in the order of their tags.
    fn write_components(&self, s: &mut dyn Sink) {
        if self.protocol_version {
            write_protocol_version(s);
        }
        self.application_context_name.write(s);
        if let Some(v) = &self.called_ap_title {
            write_explicit_octets(s, 2, v.as_ref());
        }
        if let Some(v) = &self.called_ae_qualifier {
            v.write(s, 3);
        }
        if let Some(v) = self.called_ap_invocation_id {
            write_explicit_integer(s, 4, v);
        }
        if let Some(v) = self.called_ae_invocation_id {
            write_explicit_integer(s, 5, v);
        }
        if let Some(v) = &self.calling_ap_title {
            write_explicit_octets(s, 6, v.as_ref());
        }
        if let Some(v) = &self.calling_ae_qualifier {
            v.write(s, 7);
        }
        if let Some(v) = self.calling_ap_invocation_id {
            write_explicit_integer(s, 8, v);
        }
        if let Some(v) = self.calling_ae_invocation_id {
            write_explicit_integer(s, 9, v);
        }
        if let Some(v) = self.sender_acse_requirements {
            v.write(s, 10);
        }
        if let Some(v) = self.mechanism_name {
            v.write(s, 11);
        }
        if let Some(v) = &self.calling_authentication_value {
            v.write(s, 12);
        }
        if let Some(v) = &self.implementation_information {
            write_tlv(s, Tag::context(29, false), v.as_ref());
        }
        if let Some(v) = &self.user_information {
            v.write(s);
        }
    }
}

impl<'a> Aarq<&'a [u8]> {
    /// Decodes an AARQ that fills `input`; offsets in errors count from its tag.
    ///
    /// ```text
    /// 60 len                              [APPLICATION 0] AARQ
    ///   80 02 07 80                       [0] protocol-version version1         OPTIONAL
    ///   A1 09 06 07 60 85 74 05 08 01 id  [1] application-context-name
    ///   A2 .. 04 len title                [2] called-AP-title                   OPTIONAL
    ///   A3 .. 02|04 ..                    [3] called-AE-qualifier               OPTIONAL
    ///   A4 .. 02 len int                  [4] called-AP-invocation-identifier   OPTIONAL
    ///   A5 .. 02 len int                  [5] called-AE-invocation-identifier   OPTIONAL
    ///   A6 0A 04 08 system-title          [6] calling-AP-title                  OPTIONAL
    ///   A7 .. 02|04 ..                    [7] calling-AE-qualifier              OPTIONAL
    ///   A8 .. 02 len int                  [8] calling-AP-invocation-identifier  OPTIONAL
    ///   A9 .. 02 len int                  [9] calling-AE-invocation-identifier  OPTIONAL
    ///   8A 02 07 80                       [10] sender-acse-requirements         OPTIONAL
    ///   8B 07 60 85 74 05 08 02 id        [11] mechanism-name                   OPTIONAL
    ///   AC len 80 len chars               [12] calling-authentication-value     OPTIONAL
    ///   9D len chars                      [29] implementation-information       OPTIONAL
    ///   BE len 04 len apdu                [30] user-information                 OPTIONAL
    /// ```
    ///
    /// # Errors
    /// [`Error::BadByte`] for another APDU tag, a component tag this APDU does not have or out
    /// of order, or an inner tag other than the standard's; [`Error::Truncated`] and
    /// [`Error::BadLength`] for input cut short or lengths past the end; [`Error::UnknownChoice`]
    /// for an application context or mechanism id the Green Book does not define;
    /// [`Error::Unsupported`] for a name outside the DLMS arcs; the errors of the OBJECT
    /// IDENTIFIER, INTEGER and user-information decoders; [`Error::TrailingBytes`].
    pub fn decode(input: &'a [u8]) -> Result<Self, Error> {
        let outer = apdu(
            input,
            Tag::application(0, true),
            "AARQ",
            "AARQ tag",
            "0x60 (AARQ, [APPLICATION 0])",
        )?;
        let mut components = Components::new(
            &outer,
            "AARQ component tag",
            "an AARQ component, in order: 0x80, 0xA1..=0xA9, 0x8A, 0x8B, 0xAC, 0x9D, 0xBE",
        );
        let mut protocol = false;
        let mut context = None;
        let mut aarq = Aarq::new(ApplicationContextName::LogicalName);
        while let Some(tlv) = components.next()? {
            if context.is_none() && tlv.tag.number > 1 {
                return Err(missing_before(
                    &tlv,
                    "application-context-name",
                    "the application-context-name 0xA1 before this component",
                ));
            }
            match (tlv.tag.constructed, tlv.tag.number) {
                (false, 0) => {
                    protocol_version(&tlv)?;
                    protocol = true;
                }
                (true, 1) => context = Some(ApplicationContextName::from_component(&tlv)?),
                (true, 2) => aarq.called_ap_title = Some(explicit_octets(&tlv, "called-AP-title")?),
                (true, 3) => {
                    aarq.called_ae_qualifier =
                        Some(AeQualifier::from_component(&tlv, "called-AE-qualifier")?);
                }
                (true, 4) => {
                    aarq.called_ap_invocation_id =
                        Some(explicit_integer(&tlv, "called-AP-invocation-identifier")?);
                }
                (true, 5) => {
                    aarq.called_ae_invocation_id =
                        Some(explicit_integer(&tlv, "called-AE-invocation-identifier")?);
                }
                (true, 6) => {
                    aarq.calling_ap_title = Some(explicit_octets(&tlv, "calling-AP-title")?);
                }
                (true, 7) => {
                    aarq.calling_ae_qualifier =
                        Some(AeQualifier::from_component(&tlv, "calling-AE-qualifier")?);
                }
                (true, 8) => {
                    aarq.calling_ap_invocation_id =
                        Some(explicit_integer(&tlv, "calling-AP-invocation-identifier")?);
                }
                (true, 9) => {
                    aarq.calling_ae_invocation_id =
                        Some(explicit_integer(&tlv, "calling-AE-invocation-identifier")?);
                }
                (false, 10) => {
                    aarq.sender_acse_requirements = Some(AcseRequirements::from_component(
                        &tlv,
                        "sender-acse-requirements",
                    )?);
                }
                (false, 11) => aarq.mechanism_name = Some(MechanismName::from_component(&tlv)?),
                (true, 12) => {
                    aarq.calling_authentication_value = Some(AuthenticationValue::from_component(
                        &tlv,
                        "calling-authentication-value",
                    )?);
                }
                (false, 29) => aarq.implementation_information = Some(tlv.value),
                (true, 30) => {
                    aarq.user_information = Some(UserInformation::from_component(&tlv)?);
                }
                _ => return Err(components.unexpected(&tlv)),
            }
        }
        aarq.protocol_version = protocol;
        aarq.application_context_name =
            context.ok_or_else(|| missing(input.len(), "application-context-name"))?;
        Ok(aarq)
    }
}
