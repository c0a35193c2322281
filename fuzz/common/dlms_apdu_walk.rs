//! Shared by `dlms_apdu` and `dlms_parse_then_encode` (included with `#[path]` from `common/`, not a
//! target of its own): walks a decoded APDU view, lists the spans of its Data, writes a Data element in its
//! canonical form (the first round's `dlms_data` normaliser, written from the standard's layout),
//! compares an APDU with its re-encoding modulo the rewrites the standard allows, and gives an
//! APDU's meaning as text (its owned form) to compare decodings.
#![allow(dead_code)]
use fieldbridge_dlms::apdu::action::{ActionOutcome, ActionRequest, ActionResponse};
use fieldbridge_dlms::apdu::get::{
    BlockResult, Element, GetDataResult, GetRequest, GetResponse, List,
};
use fieldbridge_dlms::apdu::selective::{AttributeWithSelection, SelectiveAccess};
use fieldbridge_dlms::apdu::set::{SetRequest, SetResponse};
use fieldbridge_dlms::apdu::sn::{ReadResult, VariableAccess};
use fieldbridge_dlms::apdu::Apdu;
use fieldbridge_dlms::axdr::{DataRef, Value};
use std::fmt::Debug;

use crate::canon::{normalise, put_length};

/// A Data element in its canonical form.
pub fn canonical_data(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    normalise(&mut rest, &mut out);
    assert!(rest.is_empty(), "the normaliser read the whole element");
    out
}

/// Walks a Data tree: containers yield their announced count; returns the number of elements.
pub fn walk_data(data: DataRef<'_>) -> usize {
    assert!(!data.data_type().name().is_empty());
    match data.value() {
        Value::Array(items) | Value::Structure(items) => {
            let announced = items.len();
            let mut seen = 0;
            let mut elements = 1;
            for item in items {
                elements += walk_data(item);
                seen += 1;
            }
            assert_eq!(seen, announced, "Items yields the announced count");
            elements
        }
        Value::CompactArray(c) => {
            let _ = (c.description(), c.contents().len());
            1
        }
        v => {
            let _ = format!("{v:?}");
            1
        }
    }
}

/// Where each Data element of a view lies in the input: (offset, length).
#[derive(Default)]
pub struct Spans {
    base: usize,
    pub spans: Vec<(usize, usize)>,
    pub lists: usize,
}

impl Spans {
    fn data(&mut self, d: DataRef<'_>) {
        let bytes = d.as_bytes();
        let at = (bytes.as_ptr() as usize).wrapping_sub(self.base);
        self.spans.push((at, bytes.len()));
        walk_data(d);
    }

    /// Iterates a list to its end: the announced count, exactly, its bytes used up.
    fn list<'a, T: Element<'a> + Debug>(
        &mut self,
        l: &List<'a, T>,
        mut f: impl FnMut(&mut Self, T),
    ) {
        let announced = l.len();
        assert_eq!(l.len(), announced, "len");
        assert_eq!(l.is_empty(), announced == 0);
        let mut it = l.clone();
        let mut seen = 0;
        while let Some(item) = it.next() {
            assert_eq!(it.len(), announced - seen - 1, "size_hint counts down");
            f(self, item);
            seen += 1;
        }
        assert_eq!(seen, announced, "the list yields its announced count");
        assert!(
            it.as_bytes().is_empty(),
            "the elements fill the list's bytes"
        );
        self.lists += 1;
    }

    fn selection(&mut self, s: &Option<SelectiveAccess<'_>>) {
        if let Some(s) = s {
            self.data(s.parameters);
        }
    }

    fn attributes(&mut self, l: &List<'_, AttributeWithSelection<'_>>) {
        self.list(l, |me, a| me.selection(&a.selection));
    }

    fn result(&mut self, r: &GetDataResult<'_>) {
        if let GetDataResult::Data(d) = r {
            self.data(*d);
        }
    }

    fn outcome(&mut self, o: &ActionOutcome<'_>) {
        if let Some(r) = &o.return_parameters {
            self.result(r);
        }
    }

    fn variable(&mut self, v: &VariableAccess<'_>) {
        if let VariableAccess::ParameterizedAccess { parameter, .. } = v {
            self.data(*parameter);
        }
    }
}

/// Walks every accessor of `apdu` (decoded from `input`): the name, every list to its count,
/// every Data tree; returns where its Data lie.
pub fn walk(apdu: &Apdu<'_>, input: &[u8]) -> Spans {
    assert!(!apdu.name().is_empty(), "a name");
    let _ = format!("{apdu:?}");
    let mut s = Spans {
        base: input.as_ptr() as usize,
        ..Spans::default()
    };
    match apdu {
        Apdu::GetRequest(g) => match g {
            GetRequest::Normal { selection, .. } => s.selection(selection),
            GetRequest::Next { .. } => {}
            GetRequest::WithList { attributes, .. } => s.attributes(attributes),
        },
        Apdu::GetResponse(g) => {
            let _ = (g.choice(), g.invoke().invoke_id(), g.invoke().confirmed());
            match g {
                GetResponse::Normal { result, .. } => s.result(result),
                GetResponse::WithDatablock { block, .. } => match block.result {
                    BlockResult::RawData(raw) => assert!(input.len() >= raw.len()),
                    BlockResult::DataAccessResult(r) => {
                        let _ = format!("{r:?}");
                    }
                },
                GetResponse::WithList { results, .. } => s.list(results, |me, r| me.result(&r)),
            }
        }
        Apdu::SetRequest(r) => match r {
            SetRequest::Normal {
                selection, value, ..
            } => {
                s.selection(selection);
                s.data(*value);
            }
            SetRequest::WithFirstDatablock { selection, .. } => s.selection(selection),
            SetRequest::WithDatablock { .. } => {}
            SetRequest::WithList {
                attributes, values, ..
            } => {
                s.attributes(attributes);
                s.list(values, |me, d| me.data(d));
            }
            SetRequest::WithListAndFirstDatablock { attributes, .. } => s.attributes(attributes),
        },
        Apdu::SetResponse(r) => match r {
            SetResponse::LastDatablockWithList { results, .. }
            | SetResponse::WithList { results, .. } => s.list(results, |_, _| {}),
            _ => {}
        },
        Apdu::ActionRequest(r) => match r {
            ActionRequest::Normal {
                parameters: Some(p),
                ..
            } => s.data(*p),
            ActionRequest::WithList {
                methods,
                parameters,
                ..
            } => {
                s.list(methods, |_, _| {});
                s.list(parameters, |me, d| me.data(d));
            }
            ActionRequest::WithListAndFirstPblock { methods, .. } => s.list(methods, |_, _| {}),
            _ => {}
        },
        Apdu::ActionResponse(r) => match r {
            ActionResponse::Normal { response, .. } => s.outcome(response),
            ActionResponse::WithList { responses, .. } => s.list(responses, |me, o| me.outcome(&o)),
            _ => {}
        },
        Apdu::DataNotification(n) => {
            let _ = (
                n.long_invoke.long_invoke_id(),
                n.date_time.map(|d| d.is_valid()),
            );
            s.data(n.body);
        }
        Apdu::EventNotificationRequest(e) => s.data(e.value),
        Apdu::ReadRequest(r) => s.list(&r.variables, |me, v| me.variable(&v)),
        Apdu::ReadResponse(r) => s.list(&r.results, |me, res| {
            if let ReadResult::Data(d) = res {
                me.data(d)
            }
        }),
        Apdu::WriteRequest(w) | Apdu::UnconfirmedWriteRequest(w) => {
            s.list(&w.variables, |me, v| me.variable(&v));
            s.list(&w.values, |me, d| me.data(d));
        }
        Apdu::WriteResponse(w) => s.list(&w.results, |_, _| {}),
        Apdu::Aarq(a) => {
            let _ = (a.client_system_title(), a.encoded_len());
        }
        Apdu::Aare(a) => {
            let _ = (a.server_system_title(), a.encoded_len());
        }
        Apdu::Ciphered(c) => {
            let _ = (c.tag().name(), c.system_title(), c.header_offset());
            assert!(input.ends_with(&c.auth_tag().map(|t| t.to_vec()).unwrap_or_default()));
        }
        _ => {}
    }
    for &(at, len) in &s.spans {
        assert!(at + len <= input.len(), "a Data element inside the input");
    }
    s
}

/// The input with every Data element (at `spans`, outermost first) in its canonical form.
pub fn with_canonical_data(input: &[u8], spans: &[(usize, usize)]) -> Vec<u8> {
    let mut spans: Vec<_> = spans.to_vec();
    spans.sort();
    let mut out = Vec::with_capacity(input.len());
    let mut at = 0;
    for (start, len) in spans {
        if start < at {
            continue; // inside one already copied
        }
        out.extend_from_slice(&input[at..start]);
        out.extend_from_slice(&canonical_data(&input[start..start + len]));
        at = start + len;
    }
    out.extend_from_slice(&input[at..]);
    out
}

/// Whether `output` is `input` but for the rewrites of the framing the standard allows: an A-XDR
/// or BER length in a longer form than needed (0x81..=0x88 then the value) written in the
/// fewest octets, and a BOOLEAN octet other than 0x00 and 0x01 written 0x01. The alignment tries
/// every way (a long-form length octet may as well be a boolean), remembering dead ends.
pub fn equivalent(input: &[u8], output: &[u8]) -> bool {
    let mut dead = std::collections::HashSet::new();
    let mut todo = vec![(0usize, 0usize)];
    while let Some((mut i, mut j)) = todo.pop() {
        while i < input.len() && j < output.len() && input[i] == output[j] {
            i += 1;
            j += 1;
        }
        if i == input.len() && j == output.len() {
            return true;
        }
        if i == input.len() || j == output.len() || !dead.insert((i, j)) {
            continue;
        }
        let b = input[i];
        if b > 1 && output[j] == 1 {
            todo.push((i + 1, j + 1));
        }
        if (0x81..=0x88).contains(&b) {
            let n = usize::from(b & 0x7F);
            if let Some(value) = input.get(i + 1..i + 1 + n) {
                let v = value.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x));
                let mut short = Vec::new();
                put_length(&mut short, v as usize);
                if short.len() < 1 + n && output[j..].starts_with(&short) {
                    todo.push((i + 1 + n, j + short.len()));
                }
            }
        }
    }
    false
}

/// What an APDU means, as text: its owned form (or, for a ciphered APDU, its fields), so that
/// two encodings of the same APDU compare equal.
pub fn meaning(apdu: &Apdu<'_>) -> String {
    match apdu {
        Apdu::Aarq(a) => format!("{:?}", a.owned()),
        Apdu::Aare(a) => format!("{:?}", a.owned()),
        Apdu::ReleaseRequest(r) => format!("{:?}", r.owned()),
        Apdu::ReleaseResponse(r) => format!("{:?}", r.owned()),
        Apdu::GetRequest(g) => format!("{:?}", g.to_owned()),
        Apdu::GetResponse(g) => format!("{:?}", g.to_owned()),
        Apdu::SetRequest(g) => format!("{:?}", g.to_owned()),
        Apdu::SetResponse(g) => format!("{:?}", g.to_owned()),
        Apdu::ActionRequest(g) => format!("{:?}", g.to_owned()),
        Apdu::ActionResponse(g) => format!("{:?}", g.to_owned()),
        Apdu::DataNotification(g) => format!("{:?}", g.to_owned()),
        Apdu::EventNotificationRequest(g) => format!("{:?}", g.to_owned()),
        Apdu::ReadRequest(r) => format!("read {:?}", r.to_owned()),
        Apdu::ReadResponse(r) => format!("read {:?}", r.to_owned()),
        Apdu::WriteRequest(w) => format!("write {:?}", w.to_owned()),
        Apdu::UnconfirmedWriteRequest(w) => format!("unconfirmed {:?}", w.to_owned()),
        Apdu::WriteResponse(w) => format!("{:?}", w.results.clone().collect::<Vec<_>>()),
        Apdu::Ciphered(c) => format!(
            "{:?} {:?} {:?} {} {:?} {:?}",
            c.tag(),
            c.system_title(),
            c.security_control(),
            c.frame_counter(),
            c.information(),
            c.auth_tag()
        ),
        other => format!("{other:?}"),
    }
}
