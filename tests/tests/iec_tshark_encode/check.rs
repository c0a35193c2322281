//! The comparisons: what tshark shows for each frame against what the test meant to send,
//! field by field and both ways (nothing missing, nothing unexpected).

use std::collections::{BTreeMap, BTreeSet};

use fieldbridge_iec60870::asdu::{CotLen, Element, OwnedAsdu};
use fieldbridge_iec60870::ft12::{AddressLen, Control};

use super::expect::{self, Want};
use super::frames::Ft12;
use super::gaps;
use super::tshark::{flatten, object_trees, Dissection};
use super::Sent;

/// The disagreements found, each a line naming the capture and the frame.
#[derive(Debug, Default)]
pub struct Problems {
    /// The capture being checked, and how tshark was run.
    pub context: String,
    pub lines: Vec<String>,
}

impl Problems {
    pub fn push(&mut self, frame: u32, what: impl std::fmt::Display) {
        self.lines
            .push(format!("{} frame {frame}: {what}", self.context));
    }

    /// Compares a flattened tshark subtree with the expected fields, both ways.
    fn fields(
        &mut self,
        frame: u32,
        context: &str,
        got: &BTreeMap<String, Vec<String>>,
        want: &[(String, Want)],
    ) {
        for (name, value) in want {
            match got.get(name).map(Vec::as_slice) {
                Some([text]) if value.matches(text) => {}
                Some(texts) => self.push(
                    frame,
                    format!("{context}: {name} is {texts:?}, want {value}"),
                ),
                None => self.push(frame, format!("{context}: {name} missing, want {value}")),
            }
        }
        let wanted: BTreeSet<&str> = want.iter().map(|(n, _)| n.as_str()).collect();
        for (name, texts) in got {
            if !wanted.contains(name.as_str()) {
                self.push(frame, format!("{context}: unexpected {name} = {texts:?}"));
            }
        }
    }
}

fn prefixed(prefix: &str, fields: expect::Fields) -> Vec<(String, Want)> {
    fields
        .into_iter()
        .map(|(name, want)| (format!("{prefix}{name}"), want))
        .collect()
}

fn is(value: impl ToString) -> Want {
    Want::Is(value.to_string())
}

fn hex(octets: &[u8]) -> String {
    octets
        .iter()
        .map(|o| format!("{o:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// The 104 APCI: start, length, format, sequence numbers or U function, and the Info column.
pub fn check_apci(d: &Dissection, number: u32, frame: &Sent, problems: &mut Problems) {
    let Some(layer) = d.layer(number, "iec60870_104") else {
        problems.push(number, "no iec60870_104 layer");
        return;
    };
    let p = "iec60870_104.";
    let mut want = vec![("iec60870_asdu.start".to_string(), is("0x68"))];
    let (apdulen, info) = match frame {
        Sent::I {
            send, recv, len, ..
        } => {
            want.push((format!("{p}type"), is("0x00000000")));
            want.push((format!("{p}tx"), is(send)));
            want.push((format!("{p}rx"), is(recv)));
            (len - 2, format!("I ({send},{recv})"))
        }
        Sent::S { recv } => {
            want.push((format!("{p}type"), is("0x00000001")));
            want.push((format!("{p}rx"), is(recv)));
            (4, format!("S ({recv})"))
        }
        Sent::U {
            function,
            name,
            utype,
        } => {
            want.push((format!("{p}type"), is("0x00000003")));
            want.push((format!("{p}utype"), Want::Is(format!("0x{utype:08x}"))));
            assert_eq!(function.name(), *name, "our name of {function:?}");
            (4, format!("U ({name})"))
        }
        Sent::Ft12 { .. } => unreachable!("FT1.2 frames have no APCI"),
    };
    want.push((format!("{p}apdulen"), is(apdulen)));
    problems.fields(number, "APCI", &flatten(layer, |_| false), &want);
    if !d.info(number).contains(&info) {
        problems.push(number, format!("Info {:?} lacks {info:?}", d.info(number)));
    }
}

/// For an ASDU whose objects tshark does not dissect (see [`gaps::RAW_TYPE_IDS`], and C_RD_NA_1
/// which has no element), the first address and every octet after it, laid out by the test
/// from the standard; `None` for the others.
fn raw_view(asdu: &OwnedAsdu) -> Option<(u32, Vec<u8>)> {
    let objects = asdu.objects();
    let segments = asdu.segments();
    let read = objects.iter().any(|o| o.element == Element::Read);
    if !read && !gaps::RAW_TYPE_IDS.contains(&asdu.header.type_id.0) {
        return None;
    }
    let ioa = |address: u32| address.to_le_bytes()[..asdu.config.ioa_len()].to_vec();
    let sq = asdu.header.sequence;
    let mut rest = Vec::new();
    for (index, object) in objects.iter().enumerate() {
        if index > 0 && !sq {
            rest.extend(ioa(object.address));
        }
        if object.element != Element::Read {
            rest.extend(expect::raw_octets(&object.element, object.time.as_ref()));
        }
    }
    for (index, segment) in segments.iter().enumerate() {
        if index > 0 && !sq {
            rest.extend(ioa(segment.address));
        }
        rest.extend(expect::segment_octets(segment));
    }
    let first = match (objects.first(), segments.first()) {
        (Some(object), _) => object.address,
        (None, Some(segment)) => segment.address,
        (None, None) => 0,
    };
    Some((first, rest))
}

/// The ASDU: data unit identifier, each object's address and fields, and the Info column's
/// type and cause. `ft12_checksum` is the checksum after a 101 ASDU (see [`gaps::Raw101`]).
pub fn check_asdu(
    d: &Dissection,
    number: u32,
    asdu: &OwnedAsdu,
    ft12_checksum: Option<u8>,
    problems: &mut Problems,
) {
    let Some(layer) = d.layer(number, "iec60870_asdu") else {
        problems.push(number, "no iec60870_asdu layer");
        return;
    };
    let h = &asdu.header;
    let type_id = h.type_id.0;
    let p = "iec60870_asdu.";
    let mut want = vec![
        (format!("{p}typeid"), is(type_id)),
        (format!("{p}sq"), is(u8::from(h.sequence))),
        (format!("{p}numix"), is(h.count)),
        (format!("{p}causetx"), is(h.cause.0)),
        (format!("{p}nega"), is(u8::from(h.negative))),
        (format!("{p}test"), is(u8::from(h.test))),
        (format!("{p}addr"), is(h.common_address)),
    ];
    if asdu.config.cot_len == CotLen::Two {
        want.push((format!("{p}oa"), is(h.originator)));
    }
    let objects = asdu.objects();
    let raw = raw_view(asdu);
    if let Some((first, rest)) = &raw {
        // No object subtrees: the first address, then the rest as raw octets.
        let ioa_octets = &first.to_le_bytes()[..asdu.config.ioa_len()];
        let shown = match ft12_checksum {
            Some(checksum) => gaps::raw_101(ioa_octets, rest, checksum),
            None => gaps::Raw101 {
                ioa: *first,
                rawdata: (!rest.is_empty()).then(|| hex(rest)),
                throws: false,
            },
        };
        want.push((format!("{p}ioa"), is(shown.ioa)));
        if let Some(rawdata) = shown.rawdata {
            want.push((format!("{p}rawdata"), Want::Is(rawdata)));
        }
    }
    let header = flatten(layer, |key| key.starts_with("IOA: ") || key == "IOA:s");
    problems.fields(number, "ASDU header", &header, &want);

    // The objects tshark dissects, and the one it refuses as short (see gaps::short_object).
    let short = if raw.is_some() {
        None
    } else {
        gaps::short_object(asdu)
    };
    let dissected = match (raw.is_some(), short) {
        (true, _) => &objects[..0],
        (false, Some(index)) => &objects[..index],
        (false, None) => objects,
    };
    let trees = object_trees(layer);
    if trees.len() != dissected.len() {
        let want = dissected.len();
        problems.push(number, format!("{} object trees, want {want}", trees.len()));
    }
    for object in dissected {
        let key = format!("IOA: {}", object.address);
        let Some((_, tree)) = trees.iter().find(|(k, _)| *k == key) else {
            problems.push(number, format!("no object tree {key:?}"));
            continue;
        };
        let mut fields = vec![("ioa", is(object.address))];
        fields.extend(expect::element(&object.element).expect("a dissected type"));
        if let Some(time) = &object.time {
            fields.extend(expect::time(time));
        }
        problems.fields(
            number,
            &key,
            &flatten(tree, |_| false),
            &prefixed(p, fields),
        );
    }
    let short_tree = layer.get("IOA:s").map(|tree| flatten(tree, |_| false));
    match (short, short_tree) {
        (None, None) => {}
        (Some(_), Some(got)) => {
            let want: Vec<_> = gaps::SHORT_OBJECT_FIELDS
                .iter()
                .map(|(name, value)| (name.to_string(), is(value)))
                .collect();
            problems.fields(number, "refused object", &got, &want);
        }
        (Some(index), None) => {
            problems.push(number, format!("object {index} not refused as short"))
        }
        (None, Some(got)) => problems.push(number, format!("an object refused as short: {got:?}")),
    }

    // Info: `ASDU=<CA> <type> <Cause>[_NEGA][_TEST] ...`.
    // (Without a link address, tshark runs `Pri->Sec` and `ASDU=` together.)
    let info = d.info(number);
    let mut tokens = info[info.find("ASDU=").unwrap_or(info.len())..].split_whitespace();
    let ca = tokens.next().unwrap_or_default();
    let name = tokens.next().unwrap_or_default();
    let cause = tokens.next().unwrap_or_default();
    if ca != format!("ASDU={}", h.common_address) {
        problems.push(number, format!("Info {info:?}: common address"));
    }
    let want_name = if gaps::UNNAMED_TYPE_IDS.contains(&type_id) {
        format!("<TypeId={type_id}>")
    } else {
        h.type_id.name().unwrap_or("?").to_string()
    };
    if name != want_name {
        problems.push(
            number,
            format!("Info {info:?}: type {name:?}, want {want_name:?}"),
        );
    }
    let mut want_cause = gaps::cause_in_info(h.cause).to_lowercase();
    if h.negative {
        want_cause.push_str("_nega");
    }
    if h.test {
        want_cause.push_str("_test");
    }
    if cause.to_lowercase() != want_cause {
        problems.push(
            number,
            format!("Info {info:?}: cause {cause:?}, want {want_cause:?}"),
        );
    }
}

/// The standard's control octet (IEC 60870-5-2 clause 5.1.2), computed here rather than by the
/// codec: DIR/RES bit 8, PRM bit 7, FCB or ACD bit 6, FCV or DFC bit 5, function bits 4 to 1.
fn control_octet(control: &Control) -> (u8, Vec<(&'static str, Want)>) {
    let bit = |on: bool, mask: u8| if on { mask } else { 0 };
    match *control {
        Control::Primary {
            dir,
            fcb,
            fcv,
            function,
        } => {
            let octet = bit(dir, 0x80) | 0x40 | bit(fcb, 0x20) | bit(fcv, 0x10) | function.code();
            let fields = vec![
                ("ctrl_prm", is(1)),
                ("ctrl_fcb", is(u8::from(fcb))),
                ("ctrl_fcv", is(u8::from(fcv))),
                ("ctrl_func_pri_to_sec", is(function.code())),
            ];
            (octet, fields)
        }
        // tshark 4.0 has no ACD field: ACD is checked through the whole octet only.
        Control::Secondary {
            dir,
            acd,
            dfc,
            function,
        } => {
            let octet = bit(dir, 0x80) | bit(acd, 0x20) | bit(dfc, 0x10) | function.code();
            let fields = vec![
                ("ctrl_prm", is(0)),
                ("ctrl_dfc", is(u8::from(dfc))),
                ("ctrl_func_sec_to_pri", is(function.code())),
            ];
            (octet, fields)
        }
    }
}

/// An FT1.2 frame: start characters, length, control field, link address, checksum and stop
/// character, then its ASDU.
pub fn check_ft12(
    d: &Dissection,
    number: u32,
    frame: &Ft12,
    octets: &[u8],
    link: AddressLen,
    problems: &mut Problems,
) {
    let Some(layer) = d.layer(number, "iec60870_101") else {
        problems.push(number, "no iec60870_101 layer");
        return;
    };
    let p = "iec60870_101.";
    let mut want: Vec<(String, Want)> = Vec::new();
    let (control, address, user_data) = match frame {
        Ft12::SingleChar => {
            want.push((format!("{p}header"), is("0xe5")));
            problems.fields(number, "FT1.2", &flatten(layer, |_| false), &want);
            return;
        }
        Ft12::Fixed { control, address } => {
            want.push((format!("{p}header"), is("0x10")));
            (control, address, None)
        }
        Ft12::Variable {
            control,
            address,
            asdu,
        } => {
            let mut bytes = Vec::new();
            asdu.encode(&mut bytes).expect("valid");
            (control, address, Some((asdu, bytes)))
        }
    };
    let (octet, control_fields) = control_octet(control);
    let mut summed = vec![octet];
    summed.extend_from_slice(&address.to_le_bytes()[..link.octets()]);
    if let Some((_, bytes)) = &user_data {
        summed.extend_from_slice(bytes);
        // Two start octets 0x68 (shown as one field twice) and L twice (shown once, and as the
        // number of user octets).
        let l = summed.len();
        want.push((format!("{p}header"), Want::Is("0x68".into())));
        want.push((format!("{p}length"), is(l)));
        want.push((format!("{p}num_user_octets"), is(l)));
    }
    let checksum = gaps::ft12_checksum(&summed);
    want.push((format!("{p}ctrlfield"), Want::Is(format!("0x{octet:02x}"))));
    want.extend(prefixed(p, control_fields));
    if link != AddressLen::Zero {
        want.push((format!("{p}linkaddr"), is(address)));
    }
    // Some ASDUs tshark does not dissect throw inside its ASDU dissector, and the 101 layer
    // never gets to its checksum and stop character (see gaps::Raw101).
    let throws = user_data.as_ref().is_some_and(|(asdu, _)| {
        raw_view(asdu).is_some_and(|(first, rest)| {
            let ioa = &first.to_le_bytes()[..asdu.config.ioa_len()];
            gaps::raw_101(ioa, &rest, checksum).throws
        })
    });
    if throws {
        if d.layer(number, "_ws.malformed").is_none() {
            problems.push(
                number,
                "not malformed, as tshark 4.0 makes it (see gaps::Raw101)",
            );
        }
    } else {
        let checksum = Want::Is(format!("0x{checksum:02x}"));
        want.push((format!("{p}checksum"), checksum));
        want.push((format!("{p}stopchar"), is("0x16")));
    }
    let mut got = flatten(layer, |_| false);
    if let Some(headers) = got.get_mut(&format!("{p}header")) {
        // The two 0x68 of a variable frame: one expectation, both must match.
        if headers.len() == 2 && headers[0] == headers[1] {
            headers.pop();
        }
    }
    problems.fields(number, "FT1.2", &got, &want);
    // The bytes themselves, which tshark does not check: the checksum and the stop character
    // close the frame.
    if octets[octets.len() - 2..] != [checksum, 0x16] {
        problems.push(
            number,
            format!("FT1.2 frame ends {:02x?}", &octets[octets.len() - 2..]),
        );
    }
    let direction = match control {
        Control::Primary { .. } => "Pri->Sec",
        Control::Secondary { .. } => "Sec->Pri",
    };
    let info = match link {
        AddressLen::Zero => direction.to_string(),
        _ => format!("{direction}, Link Address: {address}"),
    };
    if !d.info(number).contains(&info) {
        problems.push(number, format!("Info {:?} lacks {info:?}", d.info(number)));
    }
    if let Some((asdu, _)) = user_data {
        check_asdu(d, number, asdu, Some(checksum), problems);
    }
}
