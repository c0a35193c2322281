//! Gurux's translator and our decoder agree: every APDU of the captures, in clear (`xml`) or
//! deciphered (`xml_plain`), and every ciphered envelope (`xml`, and `xml_keys` whose extra
//! content is comments), is walked element by element against our decode. An element this
//! module does not know fails the test with its path; Gurux's names map to ours in [`gurux`].

use crate::gurux;
use crate::scenario::scenarios;
use crate::xml::{root, Cursor};
use fieldbridge_dlms::apdu::action::{ActionRequest, ActionResponse};
use fieldbridge_dlms::apdu::association::{
    AareView, AarqView, AuthenticationValue, SourceDiagnostic, UserInformation,
};
use fieldbridge_dlms::apdu::conformance::Conformance;
use fieldbridge_dlms::apdu::get::{
    AttributeDescriptor, BlockResult, GetDataResult, GetRequest, GetResponse, InvokeIdAndPriority,
    MethodDescriptor,
};
use fieldbridge_dlms::apdu::initiate::{InitiateRequest, InitiateResponse};
use fieldbridge_dlms::apdu::selective::SelectiveAccess;
use fieldbridge_dlms::apdu::set::{SetRequest, SetResponse};
use fieldbridge_dlms::apdu::Apdu;
use fieldbridge_dlms::axdr::{DataRef, Value};
use fieldbridge_dlms::security::CipheredApdu;

fn hex(bytes: &[u8]) -> String {
    hex::encode_upper(bytes)
}

/// Gurux writes numbers as big-endian hex of their width.
fn number(path: &str, found: &str, expected: impl std::fmt::UpperHex, width: usize) {
    let expected = format!("{expected:0width$X}");
    assert_eq!(found, expected, "{path}");
}

/// One Data element: Gurux's type name, then its value or, for array and structure, `Qty` and
/// each element in turn.
pub fn data(x: Cursor<'_>, d: DataRef<'_>) {
    let ty =
        gurux::data_type(x.name()).unwrap_or_else(|| panic!("{}: unknown Gurux data type", x.path));
    assert_eq!(ty, d.data_type(), "{}: type", x.path);
    let mut x = x;
    match d.value() {
        Value::Array(items) | Value::Structure(items) => {
            x.only_attributes(&["Qty"]);
            let qty = x.attr("Qty");
            assert_eq!(
                usize::from_str_radix(qty, 16),
                Ok(items.len()),
                "{}: Qty",
                x.path
            );
            for item in items {
                let child = x.any();
                data(child, item);
            }
            x.end();
            return;
        }
        value => {
            x.only_attributes(&["Value"]);
            let v = x.value();
            match value {
                Value::Boolean(b) => assert_eq!(v, if b { "True" } else { "False" }, "{}", x.path),
                Value::DoubleLong(n) => number(&x.path, v, n as u32, 8),
                Value::DoubleLongUnsigned(n) => number(&x.path, v, n, 8),
                Value::OctetString(s) => assert_eq!(v, hex(s), "{}", x.path),
                Value::Integer(n) => number(&x.path, v, n as u8, 2),
                Value::Long(n) => number(&x.path, v, n as u16, 4),
                Value::Unsigned(n) | Value::Enum(n) => number(&x.path, v, n, 2),
                Value::LongUnsigned(n) => number(&x.path, v, n, 4),
                Value::Long64(n) => number(&x.path, v, n as u64, 16),
                Value::Long64Unsigned(n) => number(&x.path, v, n, 16),
                other => panic!("{}: no comparison written for {other:?}", x.path),
            }
        }
    }
    x.end();
}

/// The leaf `name`, a number of `width` hex digits.
fn num(x: &mut Cursor<'_>, name: &str, expected: impl std::fmt::UpperHex, width: usize) {
    let path = format!("{}/{name}", x.path);
    let found = x.leaf(name);
    number(&path, found, expected, width);
}

fn invoke(x: &mut Cursor<'_>, invoke: InvokeIdAndPriority) {
    num(x, "InvokeIdAndPriority", invoke.0, 2);
}

fn attribute(mut x: Cursor<'_>, a: &AttributeDescriptor) {
    num(&mut x, "ClassId", a.class_id, 4);
    assert_eq!(x.leaf("InstanceId"), hex(&a.instance_id), "{}", x.path);
    num(&mut x, "AttributeId", a.attribute_id as u8, 2);
    x.end();
}

fn method(mut x: Cursor<'_>, m: &MethodDescriptor) {
    num(&mut x, "ClassId", m.class_id, 4);
    assert_eq!(x.leaf("InstanceId"), hex(&m.instance_id), "{}", x.path);
    num(&mut x, "MethodId", m.method_id as u8, 2);
    x.end();
}

fn selection(x: &mut Cursor<'_>, s: &Option<SelectiveAccess<'_>>) {
    match (x.optional("AccessSelection"), s) {
        (None, None) => {}
        (Some(mut a), Some(s)) => {
            num(&mut a, "AccessSelector", s.selector, 2);
            let mut p = a.child("AccessParameters");
            data(p.any(), s.parameters);
            p.end();
            a.end();
        }
        (g, ours) => panic!(
            "{}: access selection Gurux {} ours {ours:?}",
            x.path,
            g.is_some()
        ),
    }
}

/// `<Tag><Data>element</Data></Tag>`, or the element directly in `Tag` (`Value`,
/// `MethodInvocationParameters`, `AccessParameters`).
fn wrapped_data(mut x: Cursor<'_>, d: DataRef<'_>) {
    if x.peek() == Some("Data") {
        let mut inner = x.child("Data");
        data(inner.any(), d);
        inner.end();
    } else {
        data(x.any(), d);
    }
    x.end();
}

fn get_data_result(x: Cursor<'_>, r: &GetDataResult<'_>) {
    match r {
        GetDataResult::Data(d) => wrapped_data(x, *d),
        GetDataResult::DataAccessResult(e) => {
            let mut x = x;
            assert_eq!(
                x.leaf("DataAccessError"),
                gurux::pascal(e.name()),
                "{}",
                x.path
            );
            x.end();
        }
    }
}

fn conformance(mut x: Cursor<'_>, c: Conformance) {
    let ours: Vec<&str> = c.names().map(gurux::conformance).collect();
    let mut theirs = Vec::new();
    while x.peek().is_some() {
        let bit = x.child("ConformanceBit");
        bit.only_attributes(&["Name"]);
        theirs.push(bit.attr("Name"));
        bit.end();
    }
    assert_eq!(theirs, ours, "{}", x.path);
    x.end();
}

fn initiate_request(mut x: Cursor<'_>, i: &InitiateRequest) {
    assert!(i.dedicated_key.is_none() && i.proposed_quality_of_service.is_none());
    assert!(
        i.response_allowed.is_none(),
        "{}: Gurux does not show response-allowed",
        x.path
    );
    num(
        &mut x,
        "ProposedDlmsVersionNumber",
        i.proposed_dlms_version_number,
        2,
    );
    conformance(x.child("ProposedConformance"), i.proposed_conformance);
    num(
        &mut x,
        "ProposedMaxPduSize",
        i.client_max_receive_pdu_size,
        4,
    );
    x.end();
}

fn initiate_response(mut x: Cursor<'_>, i: &InitiateResponse) {
    assert!(i.negotiated_quality_of_service.is_none(), "{}", x.path);
    num(
        &mut x,
        "NegotiatedDlmsVersionNumber",
        i.negotiated_dlms_version_number,
        2,
    );
    conformance(x.child("NegotiatedConformance"), i.negotiated_conformance);
    num(
        &mut x,
        "NegotiatedMaxPduSize",
        i.server_max_receive_pdu_size,
        4,
    );
    num(&mut x, "VaaName", i.vaa_name.0, 4);
    x.end();
}

/// The contents of a ciphered APDU after its tag and length: Gurux's `Value` of a glo_ element
/// and `CipheredService` of GeneralGloCiphering.
fn ciphered_content<'a>(c: &CipheredApdu<'_>, bytes: &'a [u8]) -> &'a [u8] {
    &bytes[c.header_offset()..]
}

fn user_information<B: AsRef<[u8]> + std::fmt::Debug>(
    x: &mut Cursor<'_>,
    u: &Option<UserInformation<B>>,
) {
    match u {
        Some(UserInformation::InitiateRequest(i)) => {
            initiate_request(x.child("InitiateRequest"), i)
        }
        Some(UserInformation::InitiateResponse(i)) => {
            initiate_response(x.child("InitiateResponse"), i)
        }
        Some(UserInformation::Ciphered(b)) => {
            let b = b.as_ref();
            let c = CipheredApdu::decode(b).unwrap();
            let name = gurux::ciphered(c.tag().name().unwrap());
            assert_eq!(x.leaf(&name), hex(ciphered_content(&c, b)), "{}", x.path);
        }
        Some(other) => panic!("{}: no comparison written for {other:?}", x.path),
        None => {}
    }
}

fn authentication(x: &mut Cursor<'_>, name: &str, v: &Option<AuthenticationValue<&[u8]>>) {
    match (x.optional(name), v) {
        (None, None) => {}
        (Some(a), Some(AuthenticationValue::CharString(b))) => {
            a.only_attributes(&["Value"]);
            assert_eq!(a.value(), hex(b), "{}", a.path);
            a.end();
        }
        (g, ours) => panic!("{}: {name} Gurux {} ours {ours:?}", x.path, g.is_some()),
    }
}

fn optional_hex(x: &mut Cursor<'_>, name: &str, ours: Option<&[u8]>) {
    let theirs = x.optional(name).map(|c| {
        c.only_attributes(&["Value"]);
        let v = c.value();
        c.end();
        v
    });
    assert_eq!(
        theirs.map(str::to_string),
        ours.map(hex),
        "{}: {name}",
        x.path
    );
}

fn acse_requirements(x: &mut Cursor<'_>, name: &str, ours: Option<bool>) {
    let theirs = x.optional(name).map(|c| {
        let v = c.value();
        c.end();
        v
    });
    assert_eq!(
        theirs,
        ours.map(|b| if b { "1" } else { "0" }),
        "{}: {name}",
        x.path
    );
}

fn aarq(mut x: Cursor<'_>, a: &AarqView<'_>) {
    assert_eq!(
        x.leaf("ApplicationContextName"),
        gurux::application_context(a.application_context_name)
    );
    assert!(
        a.called_ap_title.is_none() && a.calling_ae_qualifier.is_none(),
        "{}",
        x.path
    );
    optional_hex(&mut x, "CallingAPTitle", a.calling_ap_title);
    acse_requirements(
        &mut x,
        "SenderACSERequirements",
        a.sender_acse_requirements.map(|r| r.authentication),
    );
    let mech = x.optional("MechanismName").map(|c| c.value());
    assert_eq!(mech, a.mechanism_name.map(gurux::mechanism), "{}", x.path);
    authentication(
        &mut x,
        "CallingAuthentication",
        &a.calling_authentication_value,
    );
    user_information(&mut x, &a.user_information);
    x.end();
}

fn aare(mut x: Cursor<'_>, a: &AareView<'_>) {
    assert_eq!(
        x.leaf("ApplicationContextName"),
        gurux::application_context(a.application_context_name)
    );
    num(&mut x, "AssociationResult", a.result as u8, 2);
    let mut diag = x.child("ResultSourceDiagnostic");
    match a.result_source_diagnostic {
        SourceDiagnostic::User(u) => num(&mut diag, "ACSEServiceUser", u.0, 2),
        SourceDiagnostic::Provider(p) => num(&mut diag, "ACSEServiceProvider", p.0, 2),
    }
    diag.end();
    optional_hex(&mut x, "RespondingAPTitle", a.responding_ap_title);
    acse_requirements(
        &mut x,
        "ResponderACSERequirement",
        a.responder_acse_requirements.map(|r| r.authentication),
    );
    let mech = x.optional("MechanismName").map(|c| c.value());
    assert_eq!(mech, a.mechanism_name.map(gurux::mechanism), "{}", x.path);
    authentication(
        &mut x,
        "RespondingAuthentication",
        &a.responding_authentication_value,
    );
    user_information(&mut x, &a.user_information);
    x.end();
}

/// Gurux's XML of one APDU against our decode of `bytes`.
pub fn apdu(x: Cursor<'_>, bytes: &[u8]) {
    let decoded = Apdu::decode(bytes).unwrap_or_else(|e| panic!("{}: {e}", x.path));
    let mut x = x;
    match &decoded {
        Apdu::Aarq(a) => {
            assert_eq!(x.name(), gurux::association("AARQ"));
            aarq(x, a)
        }
        Apdu::Aare(a) => {
            assert_eq!(x.name(), gurux::association("AARE"));
            aare(x, a)
        }
        Apdu::ReleaseRequest(r) => {
            assert_eq!(x.name(), gurux::association("RLRQ"));
            let reason = r.reason.map(|r| gurux::pascal(r.name().unwrap_or("?")));
            assert_eq!(
                x.optional("Reason").map(|c| c.value().to_string()),
                reason,
                "{}",
                x.path
            );
            assert!(r.user_information.is_none(), "{}", x.path);
            x.end();
        }
        Apdu::ReleaseResponse(r) => {
            assert_eq!(x.name(), gurux::association("RLRE"));
            let reason = r.reason.map(|r| gurux::pascal(r.name().unwrap_or("?")));
            assert_eq!(
                x.optional("Reason").map(|c| c.value().to_string()),
                reason,
                "{}",
                x.path
            );
            assert!(r.user_information.is_none(), "{}", x.path);
            x.end();
        }
        Apdu::InitiateRequest(i) => {
            assert_eq!(x.name(), gurux::association("initiateRequest"));
            initiate_request(x, i)
        }
        Apdu::InitiateResponse(i) => {
            assert_eq!(x.name(), gurux::association("initiateResponse"));
            initiate_response(x, i)
        }
        Apdu::Ciphered(c) => {
            let name = gurux::ciphered(decoded.name());
            assert_eq!(x.name(), name, "{}", x.path);
            if c.tag().is_general() {
                assert_eq!(
                    x.leaf("SystemTitle"),
                    hex(c.system_title().unwrap()),
                    "{}",
                    x.path
                );
                assert_eq!(
                    x.leaf("CipheredService"),
                    hex(ciphered_content(c, bytes)),
                    "{}",
                    x.path
                );
            } else {
                x.only_attributes(&["Value"]);
                assert_eq!(x.value(), hex(ciphered_content(c, bytes)), "{}", x.path);
            }
            x.end();
        }
        Apdu::GetRequest(g) => get_request(x, g),
        Apdu::GetResponse(g) => get_response(x, g),
        Apdu::SetRequest(s) => set_request(x, s),
        Apdu::SetResponse(s) => set_response(x, s),
        Apdu::ActionRequest(a) => action_request(x, a),
        Apdu::ActionResponse(a) => action_response(x, a),
        other => panic!("{}: no comparison written for {}", x.path, other.name()),
    }
}

/// The root and the choice element, checked against our APDU name and choice.
fn open<'a>(x: &mut Cursor<'a>, name: &str, choice: u8) -> Cursor<'a> {
    let (root, choice_name) = gurux::choice(name, choice);
    assert_eq!(x.name(), root, "{}: our {name}", x.path);
    x.child(choice_name)
}

fn get_request(mut x: Cursor<'_>, g: &GetRequest<'_>) {
    match g {
        GetRequest::Normal {
            invoke: i,
            attribute: a,
            selection: s,
        } => {
            let mut c = open(&mut x, "get-request", 1);
            invoke(&mut c, *i);
            attribute(c.child("AttributeDescriptor"), a);
            selection(&mut c, s);
            c.end();
        }
        GetRequest::Next {
            invoke: i,
            block_number,
        } => {
            let mut c = open(&mut x, "get-request", 2);
            invoke(&mut c, *i);
            num(&mut c, "BlockNumber", *block_number, 8);
            c.end();
        }
        other => panic!("{}: no comparison written for {other:?}", x.path),
    }
    x.end();
}

fn get_response(mut x: Cursor<'_>, g: &GetResponse<'_>) {
    match g {
        GetResponse::Normal { invoke: i, result } => {
            let mut c = open(&mut x, "get-response", 1);
            invoke(&mut c, *i);
            get_data_result(c.child("Result"), result);
            c.end();
        }
        GetResponse::WithDatablock { invoke: i, block } => {
            let mut c = open(&mut x, "get-response", 2);
            invoke(&mut c, *i);
            let mut r = c.child("Result");
            num(&mut r, "LastBlock", u8::from(block.last_block), 2);
            num(&mut r, "BlockNumber", block.block_number, 8);
            let mut inner = r.child("Result");
            match block.result {
                BlockResult::RawData(raw) => assert_eq!(inner.leaf("RawData"), hex(raw)),
                BlockResult::DataAccessResult(e) => {
                    assert_eq!(inner.leaf("DataAccessResult"), gurux::pascal(e.name()))
                }
            }
            inner.end();
            r.end();
            c.end();
        }
        other => panic!("{}: no comparison written for {other:?}", x.path),
    }
    x.end();
}

fn set_request(mut x: Cursor<'_>, s: &SetRequest<'_>) {
    match s {
        SetRequest::Normal {
            invoke: i,
            attribute: a,
            selection: sel,
            value,
        } => {
            let mut c = open(&mut x, "set-request", 1);
            invoke(&mut c, *i);
            attribute(c.child("AttributeDescriptor"), a);
            selection(&mut c, sel);
            wrapped_data(c.child("Value"), *value);
            c.end();
        }
        other => panic!("{}: no comparison written for {other:?}", x.path),
    }
    x.end();
}

fn set_response(mut x: Cursor<'_>, s: &SetResponse<'_>) {
    match s {
        SetResponse::Normal { invoke: i, result } => {
            let mut c = open(&mut x, "set-response", 1);
            invoke(&mut c, *i);
            assert_eq!(c.leaf("Result"), gurux::pascal(result.name()), "{}", c.path);
            c.end();
        }
        other => panic!("{}: no comparison written for {other:?}", x.path),
    }
    x.end();
}

fn action_request(mut x: Cursor<'_>, a: &ActionRequest<'_>) {
    match a {
        ActionRequest::Normal {
            invoke: i,
            method: m,
            parameters,
        } => {
            let mut c = open(&mut x, "action-request", 1);
            invoke(&mut c, *i);
            method(c.child("MethodDescriptor"), m);
            match (c.optional("MethodInvocationParameters"), parameters) {
                (None, None) => {}
                (Some(p), Some(d)) => wrapped_data(p, *d),
                (g, ours) => panic!("{}: parameters Gurux {} ours {ours:?}", c.path, g.is_some()),
            }
            c.end();
        }
        other => panic!("{}: no comparison written for {other:?}", x.path),
    }
    x.end();
}

fn action_response(mut x: Cursor<'_>, a: &ActionResponse<'_>) {
    match a {
        ActionResponse::Normal {
            invoke: i,
            response,
        } => {
            let mut c = open(&mut x, "action-response", 1);
            invoke(&mut c, *i);
            assert_eq!(
                c.leaf("Result"),
                gurux::pascal(response.result.name()),
                "{}",
                c.path
            );
            match (c.optional("ReturnParameters"), &response.return_parameters) {
                (None, None) => {}
                (Some(p), Some(r)) => get_data_result(p, r),
                (g, ours) => panic!("{}: return Gurux {} ours {ours:?}", c.path, g.is_some()),
            }
            c.end();
        }
        other => panic!("{}: no comparison written for {other:?}", x.path),
    }
    x.end();
}

#[test]
fn gurux_translator_and_our_decoder_agree_on_every_apdu_of_the_captures() {
    let mut compared = 0;
    for s in scenarios() {
        for f in &s.frames {
            let Some(bytes) = &f.apdu else {
                assert!(f.xml.is_none(), "{}: XML without an APDU", f.at(&s.name));
                continue;
            };
            let at = f.at(&s.name);
            // The APDU as sent (for a ciphered one: its envelope), with and without the keys
            // (the difference is in comments).
            let xml = f.xml.as_deref().unwrap_or_else(|| panic!("{at}: no xml"));
            apdu(Cursor::new(&root(xml), &format!("{at} xml")), bytes);
            compared += 1;
            if let Some(with_keys) = &f.xml_keys {
                apdu(
                    Cursor::new(&root(with_keys), &format!("{at} xml_keys")),
                    bytes,
                );
                compared += 1;
            }
            // The deciphered APDU.
            match (&f.plain, &f.xml_plain) {
                (Some(plain), Some(xml)) => {
                    apdu(Cursor::new(&root(xml), &format!("{at} xml_plain")), plain);
                    compared += 1;
                }
                (None, None) => {}
                _ => panic!("{at}: plain_hex and xml_plain come together"),
            }
        }
    }
    assert!(compared > 196, "{compared}");
}

#[test]
fn an_unknown_element_or_a_different_value_fails_the_agreement() {
    // hdlc-none's first GET: C0 01 C1 | class 0003 | 0100010800FF | attribute 02 | no selection.
    let bytes = hex::decode("C001C100030100010800FF0200").unwrap();
    let good = "<GetRequest><GetRequestNormal><InvokeIdAndPriority Value=\"C1\" />\
        <AttributeDescriptor><ClassId Value=\"0003\" /><InstanceId Value=\"0100010800FF\" />\
        <AttributeId Value=\"02\" /></AttributeDescriptor></GetRequestNormal></GetRequest>";
    apdu(Cursor::new(&root(good), "good"), &bytes);
    let unknown = good.replace(
        "</GetRequestNormal>",
        "<Foo Value=\"1\" /></GetRequestNormal>",
    );
    let wrong = good.replace("\"02\"", "\"03\"");
    for bad in [unknown, wrong] {
        let result = std::panic::catch_unwind(|| apdu(Cursor::new(&root(&bad), "bad"), &bytes));
        assert!(result.is_err(), "accepted: {bad}");
    }
}
