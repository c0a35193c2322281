//! The AARE, the A-ASSOCIATE response (DLMS UA 1000-2 Ed. 10 clause 9.3.2 and 11.2, ISO/IEC
//! 8650-1 `AARE-apdu`).

use super::{
    apdu, explicit_integer, explicit_octets, missing, missing_before, owned_bytes,
    protocol_version, write_explicit_integer, write_explicit_octets, write_protocol_version,
    AcseRequirements, AeQualifier, ApplicationContextName, AssociationResult, AuthenticationValue,
    Components, MechanismName, SourceDiagnostic, UserInformation,
};
use crate::apdu::ber::{length_len, measure, write_nested, write_tlv, Sink, Tag};
use crate::Error;

/// The AARE's tag, `[APPLICATION 1]` constructed: 0x61.
pub const AARE: u8 = 0x61;

/// An AARE; `B` holds octet strings: `&[u8]` decoded ([`AareView`]), `Vec<u8>` built
/// ([`OwnedAare`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Aare<B> {
    /// protocol-version `[0]`: present (version1, `80 02 07 80`) or left to its DEFAULT.
    pub protocol_version: bool,
    /// application-context-name `[1]`: the one the server accepts (or would).
    pub application_context_name: ApplicationContextName,
    /// result `[2]`.
    pub result: AssociationResult,
    /// result-source-diagnostic `[3]`.
    pub result_source_diagnostic: SourceDiagnostic,
    /// responding-AP-title `[4]`: the server's system title when the context is ciphered.
    pub responding_ap_title: Option<B>,
    /// responding-AE-qualifier `[5]`: the server's certificate with HLS ECDSA.
    pub responding_ae_qualifier: Option<AeQualifier<B>>,
    /// responding-AP-invocation-identifier `[6]`.
    pub responding_ap_invocation_id: Option<i64>,
    /// responding-AE-invocation-identifier `[7]`.
    pub responding_ae_invocation_id: Option<i64>,
    /// responder-acse-requirements `[8]`: the authentication functional unit.
    pub responder_acse_requirements: Option<AcseRequirements>,
    /// mechanism-name `[9]`.
    pub mechanism_name: Option<MechanismName>,
    /// responding-authentication-value `[10]`: the server's HLS challenge StoC.
    pub responding_authentication_value: Option<AuthenticationValue<B>>,
    /// implementation-information `[29]`: a GraphicString.
    pub implementation_information: Option<B>,
    /// user-information `[30]`: the InitiateResponse or a ConfirmedServiceError, in clear or
    /// ciphered.
    pub user_information: Option<UserInformation<B>>,
}

/// An AARE borrowing the octets it was decoded from.
pub type AareView<'a> = Aare<&'a [u8]>;
/// An AARE owning its octets.
pub type OwnedAare = Aare<Vec<u8>>;

impl<B> Aare<B> {
    /// An AARE with the mandatory components only (protocol-version left to its default).
    pub fn new(
        application_context_name: ApplicationContextName,
        result: AssociationResult,
        result_source_diagnostic: SourceDiagnostic,
    ) -> Self {
        Aare {
            protocol_version: false,
            application_context_name,
            result,
            result_source_diagnostic,
            responding_ap_title: None,
            responding_ae_qualifier: None,
            responding_ap_invocation_id: None,
            responding_ae_invocation_id: None,
            responder_acse_requirements: None,
            mechanism_name: None,
            responding_authentication_value: None,
            implementation_information: None,
            user_information: None,
        }
    }
}

impl<B: AsRef<[u8]>> Aare<B> {
    /// The same AARE owning its octets.
    pub fn owned(&self) -> OwnedAare {
        Aare {
            protocol_version: self.protocol_version,
            application_context_name: self.application_context_name,
            result: self.result,
            result_source_diagnostic: self.result_source_diagnostic,
            responding_ap_title: owned_bytes(&self.responding_ap_title),
            responding_ae_qualifier: self
                .responding_ae_qualifier
                .as_ref()
                .map(AeQualifier::owned),
            responding_ap_invocation_id: self.responding_ap_invocation_id,
            responding_ae_invocation_id: self.responding_ae_invocation_id,
            responder_acse_requirements: self.responder_acse_requirements,
            mechanism_name: self.mechanism_name,
            responding_authentication_value: self
                .responding_authentication_value
                .as_ref()
                .map(AuthenticationValue::owned),
            implementation_information: owned_bytes(&self.implementation_information),
            user_information: self.user_information.as_ref().map(UserInformation::owned),
        }
    }

    /// The server's system title: the responding-AP-title when it has the 8 octets of one.
    pub fn server_system_title(&self) -> Option<[u8; 8]> {
        self.responding_ap_title
            .as_ref()
            .and_then(|t| <[u8; 8]>::try_from(t.as_ref()).ok())
    }

    /// How many octets [`Aare::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        let contents = measure(&|s| self.write_components(s));
        1 + length_len(contents) + contents
    }

    /// Appends the AARE, lengths in the fewest octets.
    pub fn encode(&self, out: &mut Vec<u8>) {
        write_nested(out, Tag::application(1, true), &|s| {
            self.write_components(s)
        });
    }

    /// Writes the components in the order of their tags.
    fn write_components(&self, s: &mut dyn Sink) {
        if self.protocol_version {
            write_protocol_version(s);
        }
        self.application_context_name.write(s);
        self.result.write(s);
        self.result_source_diagnostic.write(s);
        if let Some(v) = &self.responding_ap_title {
            write_explicit_octets(s, 4, v.as_ref());
        }
        if let Some(v) = &self.responding_ae_qualifier {
            v.write(s, 5);
        }
        if let Some(v) = self.responding_ap_invocation_id {
            write_explicit_integer(s, 6, v);
        }
        if let Some(v) = self.responding_ae_invocation_id {
            write_explicit_integer(s, 7, v);
        }
        if let Some(v) = self.responder_acse_requirements {
            v.write(s, 8);
        }
        if let Some(v) = self.mechanism_name {
            v.write(s, 9);
        }
        if let Some(v) = &self.responding_authentication_value {
            v.write(s, 10);
        }
        if let Some(v) = &self.implementation_information {
            write_tlv(s, Tag::context(29, false), v.as_ref());
        }
        if let Some(v) = &self.user_information {
            v.write(s);
        }
    }
}

impl<'a> Aare<&'a [u8]> {
    /// Decodes an AARE that fills `input`; offsets in errors count from its tag.
    ///
    /// ```text
    /// 61 len                              [APPLICATION 1] AARE
    ///   80 02 07 80                       [0] protocol-version version1             OPTIONAL
    ///   A1 09 06 07 60 85 74 05 08 01 id  [1] application-context-name
    ///   A2 03 02 01 rr                    [2] result
    ///   A3 05 A1|A2 03 02 01 dd           [3] result-source-diagnostic (user | provider)
    ///   A4 0A 04 08 system-title          [4] responding-AP-title                   OPTIONAL
    ///   A5 .. 02|04 ..                    [5] responding-AE-qualifier               OPTIONAL
    ///   A6 .. 02 len int                  [6] responding-AP-invocation-identifier   OPTIONAL
    ///   A7 .. 02 len int                  [7] responding-AE-invocation-identifier   OPTIONAL
    ///   88 02 07 80                       [8] responder-acse-requirements           OPTIONAL
    ///   89 07 60 85 74 05 08 02 id        [9] mechanism-name                        OPTIONAL
    ///   AA len 80 len StoC                [10] responding-authentication-value      OPTIONAL
    ///   9D len chars                      [29] implementation-information           OPTIONAL
    ///   BE len 04 len apdu                [30] user-information                     OPTIONAL
    /// ```
    ///
    /// # Errors
    /// As [`super::Aarq::decode`], and [`Error::BadValue`] for a result other than 0..=2 or a
    /// diagnostic above 255.
    pub fn decode(input: &'a [u8]) -> Result<Self, Error> {
        let outer = apdu(
            input,
            Tag::application(1, true),
            "AARE",
            "AARE tag",
            "0x61 (AARE, [APPLICATION 1])",
        )?;
        let mut components = Components::new(
            &outer,
            "AARE component tag",
            "an AARE component, in order: 0x80, 0xA1..=0xA7, 0x88, 0x89, 0xAA, 0x9D, 0xBE",
        );
        let mut protocol = false;
        let mut context = None;
        let mut result = None;
        let mut diagnostic = None;
        let mut aare = Aare::new(
            ApplicationContextName::LogicalName,
            AssociationResult::Accepted,
            SourceDiagnostic::NULL,
        );
        while let Some(tlv) = components.next()? {
            let n = tlv.tag.number;
            if context.is_none() && n > 1 {
                return Err(missing_before(
                    &tlv,
                    "application-context-name",
                    "the application-context-name 0xA1 before this component",
                ));
            }
            if result.is_none() && n > 2 {
                return Err(missing_before(
                    &tlv,
                    "result",
                    "the result 0xA2 before this component",
                ));
            }
            if diagnostic.is_none() && n > 3 {
                return Err(missing_before(
                    &tlv,
                    "result-source-diagnostic",
                    "the result-source-diagnostic 0xA3 before this component",
                ));
            }
            match (tlv.tag.constructed, n) {
                (false, 0) => {
                    protocol_version(&tlv)?;
                    protocol = true;
                }
                (true, 1) => context = Some(ApplicationContextName::from_component(&tlv)?),
                (true, 2) => result = Some(AssociationResult::from_component(&tlv)?),
                (true, 3) => diagnostic = Some(SourceDiagnostic::from_component(&tlv)?),
                (true, 4) => {
                    aare.responding_ap_title = Some(explicit_octets(&tlv, "responding-AP-title")?);
                }
                (true, 5) => {
                    aare.responding_ae_qualifier = Some(AeQualifier::from_component(
                        &tlv,
                        "responding-AE-qualifier",
                    )?);
                }
                (true, 6) => {
                    aare.responding_ap_invocation_id = Some(explicit_integer(
                        &tlv,
                        "responding-AP-invocation-identifier",
                    )?);
                }
                (true, 7) => {
                    aare.responding_ae_invocation_id = Some(explicit_integer(
                        &tlv,
                        "responding-AE-invocation-identifier",
                    )?);
                }
                (false, 8) => {
                    aare.responder_acse_requirements = Some(AcseRequirements::from_component(
                        &tlv,
                        "responder-acse-requirements",
                    )?);
                }
                (false, 9) => aare.mechanism_name = Some(MechanismName::from_component(&tlv)?),
                (true, 10) => {
                    aare.responding_authentication_value =
                        Some(AuthenticationValue::from_component(
                            &tlv,
                            "responding-authentication-value",
                        )?);
                }
                (false, 29) => aare.implementation_information = Some(tlv.value),
                (true, 30) => {
                    aare.user_information = Some(UserInformation::from_component(&tlv)?);
                }
                _ => return Err(components.unexpected(&tlv)),
            }
        }
        let end = input.len();
        aare.protocol_version = protocol;
        aare.application_context_name =
            context.ok_or_else(|| missing(end, "application-context-name"))?;
        aare.result = result.ok_or_else(|| missing(end, "result"))?;
        aare.result_source_diagnostic =
            diagnostic.ok_or_else(|| missing(end, "result-source-diagnostic"))?;
        Ok(aare)
    }
}
