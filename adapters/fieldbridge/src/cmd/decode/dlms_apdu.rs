//! xDLMS APDUs as JSON (IEC 62056-5-3, DLMS UA 1000-2 Ed. 10 clause 9.5): the APDU's name, the
//! CHOICE of its service, then its fields under the standard's names (as snake_case keys; the
//! values are the standard's names too: `"data_access_result":"read-write-denied"`).
//!
//! ```text
//! {"name":"get-request","choice":"get-request-normal","invoke_id":1,"service_class":"confirmed",
//!  "priority":"high","cosem_attribute_descriptor":{"class_id":3,"class":"register",
//!  "instance_id":"1-0:1.8.0*255","instance_name":"...","attribute_id":2}}
//! ```
//!
//! The association services (AARQ, AARE, RLRQ, RLRE, the xDLMS initiate) are in `dlms_assoc`,
//! the ciphered envelopes in `dlms_cipher`. A GET answered in blocks is joined per association:
//! the line of the last block shows the Data the blocks carry together.

use fieldbridge_dlms::apdu::action::{ActionOutcome, ActionRequest, ActionResponse};
use fieldbridge_dlms::apdu::get::{
    AttributeDescriptor, BlockResult, DataBlockG, DataBlockSa, GetDataResult, GetRequest,
    GetResponse, InvokeIdAndPriority, LongInvokeIdAndPriority, MethodDescriptor,
};
use fieldbridge_dlms::apdu::notification::{DataNotification, EventNotificationRequest};
use fieldbridge_dlms::apdu::selective::{AttributeWithSelection, SelectiveAccess};
use fieldbridge_dlms::apdu::set::{SetRequest, SetResponse};
use fieldbridge_dlms::apdu::sn::{ReadResult, VariableAccess, WriteResult};
use fieldbridge_dlms::apdu::Apdu;
use fieldbridge_dlms::axdr::{DataRef, Value};
use fieldbridge_dlms::security::SystemTitle;
use fieldbridge_dlms::Error;

use super::dlms_assoc;
use super::dlms_cipher;
use super::dlms_data::{data_obj, obis_fields};
use super::dlms_keys::KeySet;
use super::json::{hex, Obj};

/// The longest joined raw data of a GET answered in blocks that is kept (1 MiB).
const MAX_BLOCK_DATA: usize = 1 << 20;

/// What one association (a TCP connection, or the whole `--hex` input) has shown so far.
#[derive(Debug, Default)]
pub(crate) struct Session {
    /// The client's system title, from the AARQ's calling-AP-title.
    pub(crate) client_title: Option<SystemTitle>,
    /// The server's system title, from the AARE's responding-AP-title.
    pub(crate) server_title: Option<SystemTitle>,
    /// The raw data of a GET answered in blocks, so far.
    blocks: Vec<u8>,
    /// How many blocks it came in.
    block_count: usize,
}

/// What an APDU is decoded with.
pub(crate) struct Ctx<'a> {
    /// The keys, when given.
    pub(crate) keys: Option<&'a KeySet>,
    /// The association the APDU belongs to.
    pub(crate) session: &'a mut Session,
    /// Whether the server sent it, when the transport says (a capture's TCP side, the HDLC LLC
    /// header).
    pub(crate) from_server: Option<bool>,
}

/// The object of the APDU in `bytes`, or the codec's error (its offset from the APDU's tag).
pub(crate) fn apdu_obj(bytes: &[u8], ctx: &mut Ctx<'_>) -> Result<Obj, Error> {
    apdu_at_depth(bytes, ctx, 0)
}

/// [`apdu_obj`] for an APDU found `depth` envelopes deep (a deciphered one is 1 deep).
pub(crate) fn apdu_at_depth(bytes: &[u8], ctx: &mut Ctx<'_>, depth: usize) -> Result<Obj, Error> {
    let apdu = Apdu::decode(bytes)?;
    let mut obj = Obj::new();
    obj.put("name", apdu.name());
    match &apdu {
        Apdu::Aarq(a) => dlms_assoc::aarq_fields(&mut obj, a, ctx, depth),
        Apdu::Aare(a) => dlms_assoc::aare_fields(&mut obj, a, ctx, depth),
        Apdu::ReleaseRequest(r) => dlms_assoc::rlrq_fields(&mut obj, r, ctx, depth),
        Apdu::ReleaseResponse(r) => dlms_assoc::rlre_fields(&mut obj, r, ctx, depth),
        Apdu::InitiateRequest(i) => dlms_assoc::initiate_request_fields(&mut obj, i),
        Apdu::InitiateResponse(i) => dlms_assoc::initiate_response_fields(&mut obj, i),
        Apdu::ConfirmedServiceError(e) => {
            obj.put("service", e.service.name())
                .put("service_error", e.error.kind.name())
                .put("value", e.error.value)
                .put("value_name", e.error.name());
        }
        Apdu::GetRequest(g) => get_request(&mut obj, g),
        Apdu::GetResponse(g) => get_response(&mut obj, g, ctx.session),
        Apdu::SetRequest(s) => set_request(&mut obj, s),
        Apdu::SetResponse(s) => set_response(&mut obj, s),
        Apdu::ActionRequest(a) => action_request(&mut obj, a),
        Apdu::ActionResponse(a) => action_response(&mut obj, a),
        Apdu::DataNotification(d) => data_notification(&mut obj, d),
        Apdu::EventNotificationRequest(e) => event_notification(&mut obj, e),
        Apdu::ExceptionResponse(e) => {
            obj.put("state_error", e.state_error.to_string())
                .put("service_error", e.service_error.name());
            if let fieldbridge_dlms::apdu::exception::ExceptionServiceError::InvocationCounterError(
                n,
            ) = e.service_error
            {
                obj.put("invocation_counter", n);
            }
        }
        Apdu::ReadRequest(r) => {
            let list = r.variables.clone().map(|v| variable_obj(&v)).collect();
            obj.put_list("variable_access_specification", list);
        }
        Apdu::ReadResponse(r) => {
            obj.put_list(
                "result",
                r.results.clone().map(|v| read_result(&v)).collect(),
            );
        }
        Apdu::WriteRequest(w) | Apdu::UnconfirmedWriteRequest(w) => {
            let list = w.variables.clone().map(|v| variable_obj(&v)).collect();
            obj.put_list("variable_access_specification", list)
                .put_list(
                    "list_of_data",
                    w.values.clone().map(|d| data_obj(&d)).collect(),
                );
        }
        Apdu::WriteResponse(w) => {
            let list = w.results.clone().map(write_result).collect();
            obj.put_list("result", list);
        }
        Apdu::Ciphered(c) => dlms_cipher::ciphered_fields(&mut obj, c, ctx, depth),
        _ => {}
    }
    Ok(obj)
}

/// `invoke-id-and-priority` split: the invoke-id, the service class and the priority.
fn invoke_fields(obj: &mut Obj, invoke: InvokeIdAndPriority) {
    obj.put("invoke_id", invoke.invoke_id())
        .put(
            "service_class",
            if invoke.confirmed() {
                "confirmed"
            } else {
                "unconfirmed"
            },
        )
        .put(
            "priority",
            if invoke.high_priority() {
                "high"
            } else {
                "normal"
            },
        );
}

/// `long-invoke-id-and-priority` split.
fn long_invoke_fields(obj: &mut Obj, invoke: LongInvokeIdAndPriority) {
    obj.put("long_invoke_id", invoke.long_invoke_id())
        .put("self_descriptive", invoke.self_descriptive())
        .put(
            "processing_option",
            if invoke.break_on_error() {
                "break-on-error"
            } else {
                "continue-on-error"
            },
        )
        .put(
            "service_class",
            if invoke.confirmed() {
                "confirmed"
            } else {
                "unconfirmed"
            },
        )
        .put(
            "priority",
            if invoke.high_priority() {
                "high"
            } else {
                "normal"
            },
        );
}

/// The name of a COSEM interface class (DLMS UA 1000-1 "Blue Book" clause 4), when known.
fn class_name(class_id: u16) -> Option<&'static str> {
    Some(match class_id {
        1 => "data",
        3 => "register",
        4 => "extended register",
        5 => "demand register",
        6 => "register activation",
        7 => "profile generic",
        8 => "clock",
        9 => "script table",
        10 => "schedule",
        11 => "special days table",
        12 => "association SN",
        15 => "association LN",
        17 => "SAP assignment",
        18 => "image transfer",
        19 => "IEC local port setup",
        20 => "activity calendar",
        21 => "register monitor",
        22 => "single action schedule",
        23 => "IEC HDLC setup",
        24 => "IEC twisted pair (1) setup",
        25 => "M-Bus port setup",
        26 => "utility tables",
        27 => "modem configuration",
        28 => "auto answer",
        29 => "auto connect",
        30 => "COSEM data protection",
        40 => "push setup",
        41 => "TCP-UDP setup",
        42 => "IPv4 setup",
        43 => "MAC address setup",
        44 => "PPP setup",
        45 => "GPRS modem setup",
        46 => "SMTP setup",
        47 => "GSM diagnostic",
        48 => "IPv6 setup",
        61 => "register table",
        62 => "compact data",
        63 => "status mapping",
        64 => "security setup",
        65 => "parameter monitor",
        67 => "sensor manager",
        68 => "arbitrator",
        70 => "disconnect control",
        71 => "limiter",
        72 => "M-Bus client",
        74 => "M-Bus master port setup",
        111 => "account",
        112 => "credit",
        113 => "charge",
        115 => "token gateway",
        _ => return None,
    })
}

/// The class id, its name and the logical name of a COSEM object.
fn object_fields(obj: &mut Obj, class_id: u16, instance_id: [u8; 6]) {
    obj.put("class_id", class_id);
    if let Some(name) = class_name(class_id) {
        obj.put("class", name);
    }
    obis_fields(obj, "instance_id", "instance_name", instance_id);
}

/// `cosem-attribute-descriptor`.
pub(crate) fn attribute_obj(a: &AttributeDescriptor) -> Obj {
    let mut obj = Obj::new();
    object_fields(&mut obj, a.class_id, a.instance_id);
    obj.put("attribute_id", a.attribute_id);
    obj
}

/// `cosem-method-descriptor`.
fn method_obj(m: &MethodDescriptor) -> Obj {
    let mut obj = Obj::new();
    object_fields(&mut obj, m.class_id, m.instance_id);
    obj.put("method_id", m.method_id);
    obj
}

/// An attribute descriptor and its optional access-selection, as a list element.
fn with_selection_obj(a: &AttributeWithSelection<'_>) -> Obj {
    let mut obj = Obj::new();
    obj.put_obj("cosem_attribute_descriptor", attribute_obj(&a.attribute));
    if let Some(s) = &a.selection {
        obj.put_obj("access_selection", selection_obj(s));
    }
    obj
}

/// `Selective-Access-Descriptor`: the selector, and a profile's range or entry descriptor
/// decoded (IEC 62056-6-2 clause 4.3.6), else the parameters as Data.
fn selection_obj(s: &SelectiveAccess<'_>) -> Obj {
    let mut obj = Obj::new();
    obj.put("access_selector", s.selector);
    match s.selector {
        1 => match s.range_descriptor() {
            Ok(range) => {
                let values = structure_items(&s.parameters);
                let mut r = Obj::new();
                r.put_obj("restricting_object", capture_obj(&range.restricting_object));
                if let (Some(from), Some(to)) = (values.get(1), values.get(2)) {
                    r.put_obj("from_value", data_obj(from))
                        .put_obj("to_value", data_obj(to));
                }
                r.put_list(
                    "selected_values",
                    range.selected_values.iter().map(capture_obj).collect(),
                );
                obj.put_obj("range_descriptor", r);
            }
            Err(e) => {
                obj.put_obj("access_parameters", data_obj(&s.parameters))
                    .put("range_descriptor_error", e.to_string());
            }
        },
        2 => match s.entry_descriptor() {
            Ok(entry) => {
                let mut e = Obj::new();
                e.put("from_entry", entry.from_entry)
                    .put("to_entry", entry.to_entry)
                    .put("from_selected_value", entry.from_selected_value)
                    .put("to_selected_value", entry.to_selected_value);
                obj.put_obj("entry_descriptor", e);
            }
            Err(e) => {
                obj.put_obj("access_parameters", data_obj(&s.parameters))
                    .put("entry_descriptor_error", e.to_string());
            }
        },
        _ => {
            obj.put_obj("access_parameters", data_obj(&s.parameters));
        }
    }
    obj
}

/// The elements of a structure (empty for any other Data).
fn structure_items<'a>(data: &DataRef<'a>) -> Vec<DataRef<'a>> {
    match data.value() {
        Value::Structure(items) => items.collect(),
        _ => Vec::new(),
    }
}

/// A capture object of a range descriptor (restricting_object, selected_values).
fn capture_obj(c: &fieldbridge_dlms::apdu::selective::CaptureObject) -> Obj {
    let mut obj = Obj::new();
    obj.put("class_id", c.class_id);
    if let Some(name) = class_name(c.class_id) {
        obj.put("class", name);
    }
    obis_fields(
        &mut obj,
        "logical_name",
        "logical_name_name",
        c.logical_name,
    );
    obj.put("attribute_index", c.attribute_index)
        .put("data_index", c.data_index);
    obj
}

/// `Get-Data-Result`: the Data, or the data-access-result.
fn get_data_result(obj: &mut Obj, r: &GetDataResult<'_>) {
    match r {
        GetDataResult::Data(d) => {
            obj.put_obj("data", data_obj(d));
        }
        GetDataResult::DataAccessResult(r) => {
            obj.put("data_access_result", r.to_string());
        }
    }
}

/// A `DataBlock-SA`: last-block, block-number and the raw data.
fn datablock_sa(obj: &mut Obj, name: &'static str, b: &DataBlockSa<&[u8]>) {
    let mut block = Obj::new();
    block
        .put("last_block", b.last_block)
        .put("block_number", b.block_number)
        .put("raw_data", hex(b.raw_data));
    obj.put_obj(name, block);
}

fn get_request(obj: &mut Obj, g: &GetRequest<'_>) {
    match g {
        GetRequest::Normal {
            invoke,
            attribute,
            selection,
        } => {
            obj.put("choice", "get-request-normal");
            invoke_fields(obj, *invoke);
            obj.put_obj("cosem_attribute_descriptor", attribute_obj(attribute));
            if let Some(s) = selection {
                obj.put_obj("access_selection", selection_obj(s));
            }
        }
        GetRequest::Next {
            invoke,
            block_number,
        } => {
            obj.put("choice", "get-request-next");
            invoke_fields(obj, *invoke);
            obj.put("block_number", *block_number);
        }
        GetRequest::WithList { invoke, attributes } => {
            obj.put("choice", "get-request-with-list");
            invoke_fields(obj, *invoke);
            let list = attributes.clone().map(|a| with_selection_obj(&a)).collect();
            obj.put_list("attribute_descriptor_list", list);
        }
    }
}

fn get_response(obj: &mut Obj, g: &GetResponse<'_>, session: &mut Session) {
    match g {
        GetResponse::Normal { invoke, result } => {
            obj.put("choice", "get-response-normal");
            invoke_fields(obj, *invoke);
            get_data_result(obj, result);
        }
        GetResponse::WithDatablock { invoke, block } => {
            obj.put("choice", "get-response-with-datablock");
            invoke_fields(obj, *invoke);
            datablock_g(obj, block, session);
        }
        GetResponse::WithList { invoke, results } => {
            obj.put("choice", "get-response-with-list");
            invoke_fields(obj, *invoke);
            let list = results
                .clone()
                .map(|r| {
                    let mut o = Obj::new();
                    get_data_result(&mut o, &r);
                    o
                })
                .collect();
            obj.put_list("result", list);
        }
    }
}

/// A `DataBlock-G`, and on its last block the Data all blocks carry together (blocks are joined
/// from block 1 on; a block out of order restarts nothing and is said).
fn datablock_g(obj: &mut Obj, block: &DataBlockG<'_>, session: &mut Session) {
    obj.put("last_block", block.last_block)
        .put("block_number", block.block_number);
    match block.result {
        BlockResult::RawData(raw) => {
            obj.put("raw_data", hex(raw));
            if block.block_number == 1 {
                session.blocks.clear();
                session.block_count = 0;
            }
            let in_order = session.block_count + 1 == block.block_number as usize;
            if in_order && session.blocks.len() + raw.len() <= MAX_BLOCK_DATA {
                session.blocks.extend_from_slice(raw);
                session.block_count += 1;
            } else {
                obj.put(
                    "blocks_error",
                    format!(
                        "block {} does not follow block {}: not joined",
                        block.block_number, session.block_count
                    ),
                );
                session.blocks.clear();
                session.block_count = 0;
                return;
            }
            if block.last_block {
                obj.put("blocks", session.block_count);
                match DataRef::decode_all(&session.blocks) {
                    Ok(data) => {
                        obj.put_obj("data", data_obj(&data));
                    }
                    Err(e) => {
                        obj.put("data_error", e.to_string())
                            .put("joined_raw_data", hex(&session.blocks));
                    }
                }
                session.blocks.clear();
                session.block_count = 0;
            }
        }
        BlockResult::DataAccessResult(r) => {
            obj.put("data_access_result", r.to_string());
            session.blocks.clear();
            session.block_count = 0;
        }
    }
}

fn set_request(obj: &mut Obj, s: &SetRequest<'_>) {
    let attribute = |obj: &mut Obj, a: &AttributeDescriptor, sel: &Option<SelectiveAccess<'_>>| {
        obj.put_obj("cosem_attribute_descriptor", attribute_obj(a));
        if let Some(s) = sel {
            obj.put_obj("access_selection", selection_obj(s));
        }
    };
    match s {
        SetRequest::Normal {
            invoke,
            attribute: a,
            selection,
            value,
        } => {
            obj.put("choice", "set-request-normal");
            invoke_fields(obj, *invoke);
            attribute(obj, a, selection);
            obj.put_obj("value", data_obj(value));
        }
        SetRequest::WithFirstDatablock {
            invoke,
            attribute: a,
            selection,
            block,
        } => {
            obj.put("choice", "set-request-with-first-datablock");
            invoke_fields(obj, *invoke);
            attribute(obj, a, selection);
            datablock_sa(obj, "datablock", block);
        }
        SetRequest::WithDatablock { invoke, block } => {
            obj.put("choice", "set-request-with-datablock");
            invoke_fields(obj, *invoke);
            datablock_sa(obj, "datablock", block);
        }
        SetRequest::WithList {
            invoke,
            attributes,
            values,
        } => {
            obj.put("choice", "set-request-with-list");
            invoke_fields(obj, *invoke);
            let list = attributes.clone().map(|a| with_selection_obj(&a)).collect();
            obj.put_list("attribute_descriptor_list", list)
                .put_list("value_list", values.clone().map(|d| data_obj(&d)).collect());
        }
        SetRequest::WithListAndFirstDatablock {
            invoke,
            attributes,
            block,
        } => {
            obj.put("choice", "set-request-with-list-and-first-datablock");
            invoke_fields(obj, *invoke);
            let list = attributes.clone().map(|a| with_selection_obj(&a)).collect();
            obj.put_list("attribute_descriptor_list", list);
            datablock_sa(obj, "datablock", block);
        }
    }
}

fn set_response(obj: &mut Obj, s: &SetResponse<'_>) {
    match s {
        SetResponse::Normal { invoke, result } => {
            obj.put("choice", "set-response-normal");
            invoke_fields(obj, *invoke);
            obj.put("result", result.to_string());
        }
        SetResponse::Datablock {
            invoke,
            block_number,
        } => {
            obj.put("choice", "set-response-datablock");
            invoke_fields(obj, *invoke);
            obj.put("block_number", *block_number);
        }
        SetResponse::LastDatablock {
            invoke,
            result,
            block_number,
        } => {
            obj.put("choice", "set-response-last-datablock");
            invoke_fields(obj, *invoke);
            obj.put("result", result.to_string())
                .put("block_number", *block_number);
        }
        SetResponse::LastDatablockWithList {
            invoke,
            results,
            block_number,
        } => {
            obj.put("choice", "set-response-last-datablock-with-list");
            invoke_fields(obj, *invoke);
            let names: Vec<String> = results.clone().map(|r| r.to_string()).collect();
            obj.put("result", names).put("block_number", *block_number);
        }
        SetResponse::WithList { invoke, results } => {
            obj.put("choice", "set-response-with-list");
            invoke_fields(obj, *invoke);
            let names: Vec<String> = results.clone().map(|r| r.to_string()).collect();
            obj.put("result", names);
        }
    }
}

fn action_request(obj: &mut Obj, a: &ActionRequest<'_>) {
    match a {
        ActionRequest::Normal {
            invoke,
            method,
            parameters,
        } => {
            obj.put("choice", "action-request-normal");
            invoke_fields(obj, *invoke);
            obj.put_obj("cosem_method_descriptor", method_obj(method));
            if let Some(p) = parameters {
                obj.put_obj("method_invocation_parameters", data_obj(p));
            }
        }
        ActionRequest::NextPblock {
            invoke,
            block_number,
        } => {
            obj.put("choice", "action-request-next-pblock");
            invoke_fields(obj, *invoke);
            obj.put("block_number", *block_number);
        }
        ActionRequest::WithList {
            invoke,
            methods,
            parameters,
        } => {
            obj.put("choice", "action-request-with-list");
            invoke_fields(obj, *invoke);
            obj.put_list(
                "cosem_method_descriptor_list",
                methods.clone().map(|m| method_obj(&m)).collect(),
            )
            .put_list(
                "method_invocation_parameters",
                parameters.clone().map(|d| data_obj(&d)).collect(),
            );
        }
        ActionRequest::WithFirstPblock {
            invoke,
            method,
            block,
        } => {
            obj.put("choice", "action-request-with-first-pblock");
            invoke_fields(obj, *invoke);
            obj.put_obj("cosem_method_descriptor", method_obj(method));
            datablock_sa(obj, "pblock", block);
        }
        ActionRequest::WithListAndFirstPblock {
            invoke,
            methods,
            block,
        } => {
            obj.put("choice", "action-request-with-list-and-first-pblock");
            invoke_fields(obj, *invoke);
            obj.put_list(
                "cosem_method_descriptor_list",
                methods.clone().map(|m| method_obj(&m)).collect(),
            );
            datablock_sa(obj, "pblock", block);
        }
        ActionRequest::WithPblock { invoke, block } => {
            obj.put("choice", "action-request-with-pblock");
            invoke_fields(obj, *invoke);
            datablock_sa(obj, "pblock", block);
        }
    }
}

/// `Action-Response-With-Optional-Data`.
fn outcome_fields(obj: &mut Obj, o: &ActionOutcome<'_>) {
    obj.put("result", o.result.to_string());
    if let Some(p) = &o.return_parameters {
        let mut r = Obj::new();
        get_data_result(&mut r, p);
        obj.put_obj("return_parameters", r);
    }
}

fn action_response(obj: &mut Obj, a: &ActionResponse<'_>) {
    match a {
        ActionResponse::Normal { invoke, response } => {
            obj.put("choice", "action-response-normal");
            invoke_fields(obj, *invoke);
            outcome_fields(obj, response);
        }
        ActionResponse::WithPblock { invoke, block } => {
            obj.put("choice", "action-response-with-pblock");
            invoke_fields(obj, *invoke);
            datablock_sa(obj, "pblock", block);
        }
        ActionResponse::WithList { invoke, responses } => {
            obj.put("choice", "action-response-with-list");
            invoke_fields(obj, *invoke);
            let list = responses
                .clone()
                .map(|o| {
                    let mut r = Obj::new();
                    outcome_fields(&mut r, &o);
                    r
                })
                .collect();
            obj.put_list("list_of_responses", list);
        }
        ActionResponse::NextPblock {
            invoke,
            block_number,
        } => {
            obj.put("choice", "action-response-next-pblock");
            invoke_fields(obj, *invoke);
            obj.put("block_number", *block_number);
        }
    }
}

fn data_notification(obj: &mut Obj, d: &DataNotification<'_>) {
    long_invoke_fields(obj, d.long_invoke);
    obj.put("date_time", d.date_time.map(|t| t.to_string()))
        .put_obj("notification_body", data_obj(&d.body));
}

fn event_notification(obj: &mut Obj, e: &EventNotificationRequest<'_>) {
    let time = match (e.date_time(), e.time) {
        (Some(t), _) => Some(t.to_string()),
        (None, Some(raw)) => Some(hex(raw)),
        (None, None) => None,
    };
    obj.put("time", time)
        .put_obj("cosem_attribute_descriptor", attribute_obj(&e.attribute))
        .put_obj("attribute_value", data_obj(&e.value));
}

/// A short-name `Variable-Access-Specification`.
fn variable_obj(v: &VariableAccess<'_>) -> Obj {
    let mut obj = Obj::new();
    match v {
        VariableAccess::VariableName(n) => {
            obj.put("variable_name", format!("{n:#06x}"));
        }
        VariableAccess::ParameterizedAccess {
            variable_name,
            selector,
            parameter,
        } => {
            obj.put("variable_name", format!("{variable_name:#06x}"))
                .put("selector", *selector)
                .put_obj("parameter", data_obj(parameter));
        }
        VariableAccess::BlockNumberAccess(n) => {
            obj.put("block_number_access", *n);
        }
        VariableAccess::ReadDataBlockAccess {
            last_block,
            block_number,
            raw_data,
        } => {
            obj.put("last_block", *last_block)
                .put("block_number", *block_number)
                .put("raw_data", hex(raw_data));
        }
        VariableAccess::WriteDataBlockAccess {
            last_block,
            block_number,
        } => {
            obj.put("last_block", *last_block)
                .put("block_number", *block_number);
        }
    }
    obj
}

/// A `ReadResponse` element.
fn read_result(r: &ReadResult<'_>) -> Obj {
    let mut obj = Obj::new();
    match r {
        ReadResult::Data(d) => {
            obj.put_obj("data", data_obj(d));
        }
        ReadResult::DataAccessError(e) => {
            obj.put("data_access_error", e.to_string());
        }
        ReadResult::DataBlockResult {
            last_block,
            block_number,
            raw_data,
        } => {
            obj.put("last_block", *last_block)
                .put("block_number", *block_number)
                .put("raw_data", hex(raw_data));
        }
        ReadResult::BlockNumber(n) => {
            obj.put("block_number", *n);
        }
    }
    obj
}

/// A `WriteResponse` element.
fn write_result(r: WriteResult) -> Obj {
    let mut obj = Obj::new();
    match r {
        WriteResult::Success => {
            obj.put("success", true);
        }
        WriteResult::DataAccessError(e) => {
            obj.put("data_access_error", e.to_string());
        }
        WriteResult::BlockNumber(n) => {
            obj.put("block_number", n);
        }
    }
    obj
}
