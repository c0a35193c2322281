//! A checked summary: one line a frame, rendered from our own decode (transport header facts,
//! the APDU's name and key facts, Data shown with the `Display` impls of `axdr`; ciphered APDUs
//! deciphered by us), compared with `captures/dlms/<scenario>.decode.txt`. With
//! `FIELDBRIDGE_BLESS=1` the files are written instead; read them against `summary.txt` (Gurux's
//! view of the same frames) before committing them.

use crate::scenario::{key_file, scenarios, Dir, Frame, KeyFile, Transport};
use fieldbridge_dlms::apdu::action::{ActionRequest, ActionResponse};
use fieldbridge_dlms::apdu::association::{AuthenticationValue, SourceDiagnostic, UserInformation};
use fieldbridge_dlms::apdu::get::{
    AttributeDescriptor, BlockResult, GetDataResult, GetRequest, GetResponse, MethodDescriptor,
};
use fieldbridge_dlms::apdu::set::{SetRequest, SetResponse};
use fieldbridge_dlms::apdu::Apdu;
use fieldbridge_dlms::hdlc::{self, Control};
use fieldbridge_dlms::obis::ObisCode;
use fieldbridge_dlms::security::CipheredApdu;
use fieldbridge_dlms::wrapper;
use std::fmt::Write;

fn hex(bytes: &[u8]) -> String {
    format!("'{}'H", hex::encode_upper(bytes))
}

fn control(c: Control) -> String {
    let pf = |pf: bool| if pf { " P/F" } else { "" };
    match c {
        Control::I { ns, nr, pf: p } => format!("I N(S)={ns} N(R)={nr}{}", pf(p)),
        Control::Rr { nr, pf: p } => format!("RR N(R)={nr}{}", pf(p)),
        Control::Snrm { pf: p } => format!("SNRM{}", pf(p)),
        Control::Disc { pf: p } => format!("DISC{}", pf(p)),
        Control::Ua { pf: p } => format!("UA{}", pf(p)),
        other => format!("{other:?}"),
    }
}

fn attribute(a: &AttributeDescriptor) -> String {
    let obis = ObisCode::from_bytes(a.instance_id);
    format!("class {} {obis} attribute {}", a.class_id, a.attribute_id)
}

fn method(m: &MethodDescriptor) -> String {
    let obis = ObisCode::from_bytes(m.instance_id);
    format!("class {} {obis} method {}", m.class_id, m.method_id)
}

fn data_result(r: &GetDataResult<'_>) -> String {
    match r {
        GetDataResult::Data(d) => format!("data {d}"),
        GetDataResult::DataAccessResult(e) => format!("result {e}"),
    }
}

fn diagnostic(d: SourceDiagnostic) -> String {
    let (side, value) = match d {
        SourceDiagnostic::User(u) => ("acse-service-user", u.0),
        SourceDiagnostic::Provider(p) => ("acse-service-provider", p.0),
    };
    format!("{side} {value} ({})", d.name().unwrap_or("unknown"))
}

fn auth(v: &AuthenticationValue<&[u8]>) -> String {
    hex(v.bytes())
}

/// Deciphers `c` (taken from `bytes`) with the keys and the sender's title, and renders both.
fn ciphered(keys: &KeyFile, dir: Dir, c: &CipheredApdu<'_>) -> String {
    let mut line = c.tag().name().unwrap_or("ciphered").to_string();
    if let Some(title) = c.system_title() {
        let _ = write!(line, " title {}", hex(title));
    }
    let title = c.system_title().unwrap_or(keys.sender_title(dir));
    let _ = write!(
        line,
        " SC {:#04x} IC {}",
        c.security_control().0,
        c.frame_counter()
    );
    let mut plain = Vec::new();
    match c.decrypt(&keys.keys(), Some(title), &mut plain) {
        Ok(p) => {
            let p = p.to_vec();
            let _ = write!(line, " -> {}", apdu(keys, dir, &p));
        }
        Err(e) => {
            let _ = write!(line, " -> not deciphered: {e}");
        }
    }
    line
}

fn user_information(keys: &KeyFile, dir: Dir, u: &Option<UserInformation<&[u8]>>) -> String {
    match u {
        None => String::new(),
        Some(UserInformation::Ciphered(b)) => match CipheredApdu::decode(b) {
            Ok(c) => format!(", user-information {}", ciphered(keys, dir, &c)),
            Err(e) => format!(", user-information undecodable: {e}"),
        },
        Some(UserInformation::InitiateRequest(i)) => {
            format!(
                ", user-information {}",
                apdu(keys, dir, &i_bytes(|o| i.encode(o)))
            )
        }
        Some(UserInformation::InitiateResponse(i)) => {
            format!(
                ", user-information {}",
                apdu(keys, dir, &i_bytes(|o| i.encode(o)))
            )
        }
        Some(other) => format!(", user-information {other:?}"),
    }
}

fn i_bytes(f: impl Fn(&mut Vec<u8>)) -> Vec<u8> {
    let mut out = Vec::new();
    f(&mut out);
    out
}

/// One APDU in one line.
pub fn apdu(keys: &KeyFile, dir: Dir, bytes: &[u8]) -> String {
    let decoded = match Apdu::decode(bytes) {
        Ok(a) => a,
        Err(e) => return format!("undecodable: {e}"),
    };
    let name = decoded.name();
    match &decoded {
        Apdu::Aarq(a) => {
            let mut l = format!("AARQ context {:?}", a.application_context_name);
            if let Some(t) = a.calling_ap_title {
                let _ = write!(l, ", calling-AP-title {}", hex(t));
            }
            if let Some(m) = a.mechanism_name {
                let _ = write!(l, ", mechanism {m:?}");
            }
            if let Some(v) = &a.calling_authentication_value {
                let _ = write!(l, ", calling-authentication-value {}", auth(v));
            }
            l + &user_information(keys, dir, &a.user_information)
        }
        Apdu::Aare(a) => {
            let mut l = format!(
                "AARE context {:?}, result {}, diagnostic {}",
                a.application_context_name,
                a.result.name(),
                diagnostic(a.result_source_diagnostic)
            );
            if let Some(t) = a.responding_ap_title {
                let _ = write!(l, ", responding-AP-title {}", hex(t));
            }
            if let Some(m) = a.mechanism_name {
                let _ = write!(l, ", mechanism {m:?}");
            }
            if let Some(v) = &a.responding_authentication_value {
                let _ = write!(l, ", responding-authentication-value {}", auth(v));
            }
            l + &user_information(keys, dir, &a.user_information)
        }
        Apdu::ReleaseRequest(r) => match r.reason {
            Some(reason) => format!("RLRQ reason {}", reason.name().unwrap_or("unknown")),
            None => "RLRQ".to_string(),
        },
        Apdu::ReleaseResponse(r) => match r.reason {
            Some(reason) => format!("RLRE reason {}", reason.name().unwrap_or("unknown")),
            None => "RLRE".to_string(),
        },
        Apdu::InitiateRequest(i) => format!(
            "InitiateRequest version {}, conformance [{}], max PDU {}",
            i.proposed_dlms_version_number, i.proposed_conformance, i.client_max_receive_pdu_size
        ),
        Apdu::InitiateResponse(i) => format!(
            "InitiateResponse version {}, conformance [{}], max PDU {}, VAA {:#06x}",
            i.negotiated_dlms_version_number,
            i.negotiated_conformance,
            i.server_max_receive_pdu_size,
            i.vaa_name.0
        ),
        Apdu::Ciphered(c) => ciphered(keys, dir, c),
        Apdu::GetRequest(GetRequest::Normal {
            invoke,
            attribute: a,
            selection,
        }) => {
            let mut l = format!("{name}-normal invoke {:#04x}, {}", invoke.0, attribute(a));
            if let Some(s) = selection {
                let _ = write!(l, ", selector {} {}", s.selector, s.parameters);
            }
            l
        }
        Apdu::GetRequest(GetRequest::Next {
            invoke,
            block_number,
        }) => format!("{name}-next invoke {:#04x}, block {block_number}", invoke.0),
        Apdu::GetResponse(GetResponse::Normal { invoke, result }) => format!(
            "{name}-normal invoke {:#04x}, {}",
            invoke.0,
            data_result(result)
        ),
        Apdu::GetResponse(GetResponse::WithDatablock { invoke, block }) => {
            let result = match block.result {
                BlockResult::RawData(raw) => format!("raw-data {} octets", raw.len()),
                BlockResult::DataAccessResult(e) => format!("result {e}"),
            };
            format!(
                "{name}-with-datablock invoke {:#04x}, block {}, last-block {}, {result}",
                invoke.0, block.block_number, block.last_block
            )
        }
        Apdu::SetRequest(SetRequest::Normal {
            invoke,
            attribute: a,
            selection,
            value,
        }) => {
            let mut l = format!("{name}-normal invoke {:#04x}, {}", invoke.0, attribute(a));
            if let Some(s) = selection {
                let _ = write!(l, ", selector {} {}", s.selector, s.parameters);
            }
            l + &format!(", value {value}")
        }
        Apdu::SetResponse(SetResponse::Normal { invoke, result }) => {
            format!("{name}-normal invoke {:#04x}, result {result}", invoke.0)
        }
        Apdu::ActionRequest(ActionRequest::Normal {
            invoke,
            method: m,
            parameters,
        }) => {
            let mut l = format!("{name}-normal invoke {:#04x}, {}", invoke.0, method(m));
            if let Some(p) = parameters {
                let _ = write!(l, ", parameters {p}");
            }
            l
        }
        Apdu::ActionResponse(ActionResponse::Normal { invoke, response }) => {
            let mut l = format!(
                "{name}-normal invoke {:#04x}, result {}",
                invoke.0, response.result
            );
            if let Some(r) = &response.return_parameters {
                let _ = write!(l, ", return {}", data_result(r));
            }
            l
        }
        other => format!("{name} {other:?}"),
    }
}

/// One frame in one line.
fn frame(keys: &KeyFile, f: &Frame) -> String {
    let mut line = format!("{:3} {} ", f.number, f.dir.name());
    match f.transport {
        Transport::Wrapper => match wrapper::decode(&f.hex) {
            Ok(Some((pdu, _))) => {
                let _ = write!(
                    line,
                    "wrapper {}->{} length {}",
                    pdu.source,
                    pdu.destination,
                    pdu.apdu.len()
                );
            }
            other => {
                let _ = write!(line, "wrapper undecodable: {other:?}");
            }
        },
        Transport::Hdlc => match hdlc::decode(&f.hex) {
            Ok(Some((fr, _))) => {
                let _ = write!(
                    line,
                    "hdlc {}->{} {}{} info {}",
                    fr.source,
                    fr.destination,
                    control(fr.control),
                    if fr.segmented { " segmented" } else { "" },
                    fr.info.len()
                );
            }
            other => {
                let _ = write!(line, "hdlc undecodable: {other:?}");
            }
        },
    }
    if let Some(a) = &f.apdu {
        let _ = write!(line, " | {}", apdu(keys, f.dir, a));
    }
    line
}

#[test]
fn our_decode_summary_of_every_frame_matches_the_checked_file() {
    let keys = key_file();
    let bless = std::env::var("FIELDBRIDGE_BLESS").is_ok_and(|v| v == "1");
    for s in scenarios() {
        let mut text = String::new();
        for f in &s.frames {
            text.push_str(&frame(&keys, f));
            text.push('\n');
        }
        let path = crate::scenario::captures_dir().join(format!("{}.decode.txt", s.name));
        if bless {
            std::fs::write(&path, &text).expect("write the decode summary");
            continue;
        }
        let checked = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (FIELDBRIDGE_BLESS=1 writes it)", path.display()));
        for (i, (ours, file)) in text.lines().zip(checked.lines()).enumerate() {
            assert_eq!(ours, file, "{} line {}", path.display(), i + 1);
        }
        assert_eq!(
            text.lines().count(),
            checked.lines().count(),
            "{}",
            path.display()
        );
    }
}
