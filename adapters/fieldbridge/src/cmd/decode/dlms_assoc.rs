//! The association services as JSON (DLMS UA 1000-2 Ed. 10 clause 9.3.2 and 9.4.2, IEC
//! 62056-5-3 clause 7): AARQ, AARE, RLRQ and RLRE with their ACSE fields, the xDLMS
//! InitiateRequest and InitiateResponse they carry, and the conformance bits by name.
//!
//! An AARQ's calling-AP-title and an AARE's responding-AP-title are the client's and the
//! server's system titles: they are kept for the association, to decipher the service-specific
//! ciphered APDUs that follow (which carry no title), and first of all the AARQ's or AARE's own
//! ciphered user-information (glo-initiate-request, glo-initiate-response).

use fieldbridge_dlms::apdu::association::{
    AareView, AarqView, AcseRequirements, AeQualifier, ApplicationContextName, AuthenticationValue,
    MechanismName, SourceDiagnostic, UserInformation,
};
use fieldbridge_dlms::apdu::conformance::Conformance;
use fieldbridge_dlms::apdu::initiate::{InitiateRequest, InitiateResponse};
use fieldbridge_dlms::apdu::release::{ReleaseRequestView, ReleaseResponseView};

use super::dlms_apdu::{apdu_at_depth, Ctx};
use super::json::{hex, Obj};

/// The standard's name of an application context (Green Book clause 9.4.2.2.2).
fn context_name(c: ApplicationContextName) -> &'static str {
    match c {
        ApplicationContextName::LogicalName => "Logical_Name_Referencing_No_Ciphering",
        ApplicationContextName::ShortName => "Short_Name_Referencing_No_Ciphering",
        ApplicationContextName::LogicalNameCiphered => "Logical_Name_Referencing_With_Ciphering",
        ApplicationContextName::ShortNameCiphered => "Short_Name_Referencing_With_Ciphering",
    }
}

/// The standard's name of an authentication mechanism (Green Book clause 9.4.2.2.3).
fn mechanism_name(m: MechanismName) -> &'static str {
    match m {
        MechanismName::Lowest => "COSEM_lowest_level_security_mechanism_name",
        MechanismName::Low => "COSEM_low_level_security_mechanism_name",
        MechanismName::High => "COSEM_high_level_security_mechanism_name",
        MechanismName::HighMd5 => "COSEM_high_level_security_mechanism_name_using_MD5",
        MechanismName::HighSha1 => "COSEM_high_level_security_mechanism_name_using_SHA-1",
        MechanismName::HighGmac => "COSEM_high_level_security_mechanism_name_using_GMAC",
        MechanismName::HighSha256 => "COSEM_high_level_security_mechanism_name_using_SHA-256",
        MechanismName::HighEcdsa => "COSEM_high_level_security_mechanism_name_using_ECDSA",
    }
}

/// The context, with its OBJECT IDENTIFIER's last arc.
fn context_fields(obj: &mut Obj, c: ApplicationContextName) {
    obj.put("application_context_name", context_name(c))
        .put("application_context_id", c.id());
}

/// The mechanism, with its OBJECT IDENTIFIER's last arc.
fn mechanism_fields(obj: &mut Obj, m: Option<MechanismName>) {
    if let Some(m) = m {
        obj.put("mechanism_name", mechanism_name(m))
            .put("mechanism_id", m.id());
    }
}

/// An AP title (hex), when present.
fn title_field(obj: &mut Obj, name: &'static str, title: Option<&[u8]>) {
    if let Some(t) = title {
        obj.put(name, hex(t));
    }
}

/// An AE qualifier, when present: the INTEGER, or the OCTET STRING in hex.
fn qualifier_field(obj: &mut Obj, name: &'static str, q: Option<&AeQualifier<&[u8]>>) {
    match q {
        Some(AeQualifier::Integer(v)) => {
            obj.put(name, *v);
        }
        Some(AeQualifier::OctetString(b)) => {
            obj.put(name, hex(b));
        }
        None => {}
    }
}

/// An invocation identifier, when present.
fn id_field(obj: &mut Obj, name: &'static str, id: Option<i64>) {
    if let Some(id) = id {
        obj.put(name, id);
    }
}

/// The ACSE requirements as the names of the bits set.
fn requirements_field(obj: &mut Obj, name: &'static str, r: Option<AcseRequirements>) {
    if let Some(r) = r {
        let bits: Vec<&str> = if r.authentication {
            vec!["authentication"]
        } else {
            Vec::new()
        };
        obj.put(name, bits);
    }
}

/// An authentication value: `charstring` or `bitstring` in hex, and a charstring's text when it
/// is printable (an LLS password).
fn authentication_field(obj: &mut Obj, name: &'static str, v: Option<&AuthenticationValue<&[u8]>>) {
    let Some(v) = v else {
        return;
    };
    let mut a = Obj::new();
    match v {
        AuthenticationValue::CharString(b) => {
            a.put("charstring", hex(b));
            if !b.is_empty() && b.iter().all(|c| (0x20..0x7F).contains(c)) {
                a.put("text", String::from_utf8_lossy(b).into_owned());
            }
        }
        AuthenticationValue::BitString(_) => {
            a.put("bitstring", hex(v.bytes()));
        }
    }
    obj.put_obj(name, a);
}

/// The user-information: the xDLMS APDU it carries, deciphered when ciphered and keys are given.
/// `from_server` says who sent it (the client for AARQ and RLRQ).
fn user_information_field(
    obj: &mut Obj,
    ui: Option<&UserInformation<&[u8]>>,
    from_server: bool,
    ctx: &mut Ctx<'_>,
    depth: usize,
) {
    let Some(ui) = ui else {
        return;
    };
    let inner = match ui {
        UserInformation::InitiateRequest(i) => {
            let mut o = Obj::new();
            o.put("name", "initiateRequest");
            initiate_request_fields(&mut o, i);
            o
        }
        UserInformation::InitiateResponse(i) => {
            let mut o = Obj::new();
            o.put("name", "initiateResponse");
            initiate_response_fields(&mut o, i);
            o
        }
        UserInformation::ConfirmedServiceError(e) => nested(&e.to_bytes(), from_server, ctx, depth),
        UserInformation::Ciphered(bytes) => nested(bytes, from_server, ctx, depth),
    };
    obj.put_obj("user_information", inner);
}

/// An APDU carried inside another, from the side `from_server` says; an error as its fields.
fn nested(bytes: &[u8], from_server: bool, ctx: &mut Ctx<'_>, depth: usize) -> Obj {
    let saved = ctx.from_server.replace(from_server);
    let result = apdu_at_depth(bytes, ctx, depth);
    ctx.from_server = saved;
    result.unwrap_or_else(|e| {
        let mut o = Obj::new();
        o.put("error", e.to_string())
            .put("error_offset", e.offset())
            .put("raw", hex(bytes));
        o
    })
}

/// AARQ: the context, the titles and qualifiers, the mechanism and the calling authentication
/// value, and the user-information. The calling-AP-title becomes the client's system title.
pub(crate) fn aarq_fields(obj: &mut Obj, a: &AarqView<'_>, ctx: &mut Ctx<'_>, depth: usize) {
    if let Some(title) = a.client_system_title() {
        ctx.session.client_title = Some(title);
    }
    if a.protocol_version {
        obj.put("protocol_version", "version1");
    }
    context_fields(obj, a.application_context_name);
    title_field(obj, "called_ap_title", a.called_ap_title);
    qualifier_field(obj, "called_ae_qualifier", a.called_ae_qualifier.as_ref());
    id_field(obj, "called_ap_invocation_id", a.called_ap_invocation_id);
    id_field(obj, "called_ae_invocation_id", a.called_ae_invocation_id);
    title_field(obj, "calling_ap_title", a.calling_ap_title);
    qualifier_field(obj, "calling_ae_qualifier", a.calling_ae_qualifier.as_ref());
    id_field(obj, "calling_ap_invocation_id", a.calling_ap_invocation_id);
    id_field(obj, "calling_ae_invocation_id", a.calling_ae_invocation_id);
    requirements_field(obj, "sender_acse_requirements", a.sender_acse_requirements);
    mechanism_fields(obj, a.mechanism_name);
    authentication_field(
        obj,
        "calling_authentication_value",
        a.calling_authentication_value.as_ref(),
    );
    if let Some(info) = a.implementation_information {
        obj.put("implementation_information", hex(info));
    }
    user_information_field(obj, a.user_information.as_ref(), false, ctx, depth);
}

/// AARE: the context, the result and its diagnostic, the responding title, mechanism and
/// authentication value, and the user-information. The responding-AP-title becomes the
/// server's system title.
pub(crate) fn aare_fields(obj: &mut Obj, a: &AareView<'_>, ctx: &mut Ctx<'_>, depth: usize) {
    if let Some(title) = a.server_system_title() {
        ctx.session.server_title = Some(title);
    }
    if a.protocol_version {
        obj.put("protocol_version", "version1");
    }
    context_fields(obj, a.application_context_name);
    obj.put("result", a.result.name());
    let mut d = Obj::new();
    let (source, value) = match a.result_source_diagnostic {
        SourceDiagnostic::User(v) => ("acse-service-user", v.0),
        SourceDiagnostic::Provider(v) => ("acse-service-provider", v.0),
    };
    d.put("source", source).put("value", value);
    if let Some(name) = a.result_source_diagnostic.name() {
        d.put("name", name);
    }
    obj.put_obj("result_source_diagnostic", d);
    title_field(obj, "responding_ap_title", a.responding_ap_title);
    qualifier_field(
        obj,
        "responding_ae_qualifier",
        a.responding_ae_qualifier.as_ref(),
    );
    id_field(
        obj,
        "responding_ap_invocation_id",
        a.responding_ap_invocation_id,
    );
    id_field(
        obj,
        "responding_ae_invocation_id",
        a.responding_ae_invocation_id,
    );
    requirements_field(
        obj,
        "responder_acse_requirements",
        a.responder_acse_requirements,
    );
    mechanism_fields(obj, a.mechanism_name);
    authentication_field(
        obj,
        "responding_authentication_value",
        a.responding_authentication_value.as_ref(),
    );
    if let Some(info) = a.implementation_information {
        obj.put("implementation_information", hex(info));
    }
    user_information_field(obj, a.user_information.as_ref(), true, ctx, depth);
}

/// RLRQ: the reason and the user-information.
pub(crate) fn rlrq_fields(
    obj: &mut Obj,
    r: &ReleaseRequestView<'_>,
    ctx: &mut Ctx<'_>,
    depth: usize,
) {
    if let Some(reason) = r.reason {
        obj.put("reason", reason.name().unwrap_or("unknown"))
            .put("reason_value", reason.0);
    }
    user_information_field(obj, r.user_information.as_ref(), false, ctx, depth);
}

/// RLRE: the reason and the user-information.
pub(crate) fn rlre_fields(
    obj: &mut Obj,
    r: &ReleaseResponseView<'_>,
    ctx: &mut Ctx<'_>,
    depth: usize,
) {
    if let Some(reason) = r.reason {
        obj.put("reason", reason.name().unwrap_or("unknown"))
            .put("reason_value", reason.0);
    }
    user_information_field(obj, r.user_information.as_ref(), true, ctx, depth);
}

/// The conformance block: its 24 bits as hex and the names of the bits set.
fn conformance_obj(c: Conformance) -> Obj {
    let mut obj = Obj::new();
    obj.put("value", format!("{:06x}", c.bits()))
        .put("bits", c.names().collect::<Vec<_>>());
    obj
}

/// The xDLMS InitiateRequest.
pub(crate) fn initiate_request_fields(obj: &mut Obj, i: &InitiateRequest) {
    if let Some(key) = &i.dedicated_key {
        obj.put("dedicated_key", hex(key.as_bytes()));
    }
    obj.put("response_allowed", i.is_response_allowed());
    if let Some(q) = i.proposed_quality_of_service {
        obj.put("proposed_quality_of_service", q);
    }
    obj.put(
        "proposed_dlms_version_number",
        i.proposed_dlms_version_number,
    )
    .put_obj(
        "proposed_conformance",
        conformance_obj(i.proposed_conformance),
    )
    .put("client_max_receive_pdu_size", i.client_max_receive_pdu_size);
}

/// The xDLMS InitiateResponse.
pub(crate) fn initiate_response_fields(obj: &mut Obj, i: &InitiateResponse) {
    if let Some(q) = i.negotiated_quality_of_service {
        obj.put("negotiated_quality_of_service", q);
    }
    obj.put(
        "negotiated_dlms_version_number",
        i.negotiated_dlms_version_number,
    )
    .put_obj(
        "negotiated_conformance",
        conformance_obj(i.negotiated_conformance),
    )
    .put("server_max_receive_pdu_size", i.server_max_receive_pdu_size)
    .put("vaa_name", format!("{:#06x}", i.vaa_name.0));
}
