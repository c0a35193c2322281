//! DLMS/COSEM decoding: fieldbridge's view and owned form, the ciphered path, AES-GCM alone and
//! the `dlms_cosem` crate (0.2.0), on frames built by fieldbridge's encoders; used by the
//! `dlms_report` binary and the `dlms_decode` criterion bench.
//!
//! The frames ([`DlmsKind`]):
//!
//! - `profile`: a GET-Response-Normal (DLMS UA 1000-2 Ed. 10, 9.3.6) carrying a whole 96-entry
//!   load profile buffer, an array of structures {capture time as a 12-octet octet-string
//!   date-time, status unsigned, two double-long-unsigned energies}, like the whole-profile
//!   read of `captures/dlms/*-low*` (one column more: the status);
//! - `push`: a DataNotification (9.3.10) shaped as a HAN-port push and as `dlms_cosem`'s
//!   `ObisMap` expects it: one structure of OBIS octet-strings, each followed by its value and,
//!   for registers, its scaler_unit structure {integer, enum}; the clock and 13 registers;
//! - `glo_profile`: the profile frame as glo-get-response (tag 204), authenticated and
//!   encrypted (security control 0x30) with the Green Book keys;
//! - `general_push`: the push as general-glo-ciphering (tag 219), encryption only (0x20): the
//!   one ciphered form `dlms_cosem` decodes (see [`dlms_cosem_peer`]).
//!
//! Every decoder goes from the frame bytes to every value and folds them into a digest;
//! [`verify`] checks each decoder that can read a frame against the digest computed from the
//! values the frame was built with, before anything is timed.

use aes_gcm::aes::cipher::consts::U12;
use aes_gcm::aes::Aes128;
use aes_gcm::{AeadInOut, AesGcm, KeyInit};
use dlms_cosem::{Apdu as PeerApdu, Data as PeerData, ObisCode as PeerObis, ObisMap};
use fieldbridge_dlms::apdu::get::{
    GetDataResult, GetResponse, InvokeIdAndPriority, LongInvokeIdAndPriority, OwnedGetDataResult,
    OwnedGetResponse,
};
use fieldbridge_dlms::apdu::notification::{DataNotification, OwnedDataNotification};
use fieldbridge_dlms::axdr::{Data, DataRef, DateTime, Event, Events, Value};
use fieldbridge_dlms::security::{
    encrypt, CipheredApdu, Envelope, Key, KeyKind, Keys, SecurityControl, SecurityPolicy,
    SystemTitle, TAG_LEN,
};
use std::hint::black_box;
use std::ops::Range;

/// The Green Book's example global unicast encryption key.
pub const ENCRYPTION_KEY: Key = [
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F,
];
/// The Green Book's example authentication key.
pub const AUTHENTICATION_KEY: Key = [
    0xD0, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9, 0xDA, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF,
];
/// The server's system title (the Green Book's and Gurux's example meter, "MMM" 12345678).
pub const SERVER_TITLE: SystemTitle = [0x4D, 0x4D, 0x4D, 0x00, 0x00, 0xBC, 0x61, 0x4E];
/// Both keys.
pub const KEYS: Keys = Keys::new(ENCRYPTION_KEY, AUTHENTICATION_KEY);
/// Entries in the load profile.
pub const PROFILE_ENTRIES: usize = 96;

/// The frames measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DlmsKind {
    /// GET-Response-Normal with the 96-entry load profile.
    Profile,
    /// DataNotification, the clock and 13 registers.
    Push,
    /// The profile response as glo-get-response, authenticated and encrypted.
    GloProfile,
    /// The push as general-glo-ciphering, encryption only.
    GeneralPush,
}

impl DlmsKind {
    /// Every kind, in report order.
    pub const ALL: [DlmsKind; 4] = [
        DlmsKind::Profile,
        DlmsKind::Push,
        DlmsKind::GloProfile,
        DlmsKind::GeneralPush,
    ];

    /// The short name (criterion group, `--callgrind`).
    pub fn name(self) -> &'static str {
        match self {
            DlmsKind::Profile => "profile",
            DlmsKind::Push => "push",
            DlmsKind::GloProfile => "glo_profile",
            DlmsKind::GeneralPush => "general_push",
        }
    }

    /// What the frame is, for the report.
    pub fn description(self) -> &'static str {
        match self {
            DlmsKind::Profile => "GET response, 96-entry load profile",
            DlmsKind::Push => "DataNotification, clock + 13 registers",
            DlmsKind::GloProfile => "glo-get-response (SC 0x30), the profile",
            DlmsKind::GeneralPush => "general-glo-ciphering (SC 0x20), the push",
        }
    }

    /// The frame's bytes (the APDU).
    pub fn frame(self) -> Vec<u8> {
        match self {
            DlmsKind::Profile => profile_response().to_vec(),
            DlmsKind::Push => push_notification().to_vec(),
            DlmsKind::GloProfile => cipher(
                Envelope::ServiceSpecific(KeyKind::Global),
                SecurityControl(0x30),
                &profile_response().to_vec(),
            ),
            DlmsKind::GeneralPush => general_push(SecurityControl(0x20)),
        }
    }

    /// The digest of the values the frame was built with.
    pub fn expected_digest(self) -> u64 {
        match self {
            DlmsKind::Profile | DlmsKind::GloProfile => expected_profile_digest(),
            DlmsKind::Push | DlmsKind::GeneralPush => expected_push_digest(),
        }
    }
}

/// The push as general-glo-ciphering with security control `control`.
pub fn general_push(control: SecurityControl) -> Vec<u8> {
    cipher(
        Envelope::General(KeyKind::Global),
        control,
        &push_notification().to_vec(),
    )
}

fn cipher(envelope: Envelope, control: SecurityControl, plain: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    encrypt(
        envelope,
        control,
        0x0000_0100,
        &SERVER_TITLE,
        &KEYS,
        plain,
        &mut out,
    )
    .expect("the Green Book keys cipher any APDU");
    out
}

// ---------------------------------------------------------------------------------------------
// The values

/// Entry `i` of the profile: capture time, status, import and export.
fn profile_entry(i: usize) -> ([u8; 12], u8, u32, u32) {
    // 2024-06-01 00:15 + 15 min × i, deviation 0, status 0, day of week not specified.
    let minutes = 15 * (i + 1);
    let day = 1 + minutes / 1440;
    let hour = (minutes % 1440) / 60;
    let minute = minutes % 60;
    let time = [
        0x07,
        0xE8,
        6,
        day as u8,
        0xFF,
        hour as u8,
        minute as u8,
        0,
        0,
        0,
        0,
        0,
    ];
    let i32_ = i as u32;
    (
        time,
        (i as u8).wrapping_mul(37),
        12_340_000 + 60 * i32_,
        4_000 + 3 * i32_,
    )
}

/// The GET-Response-Normal (invoke 0xC1) carrying the profile, as fieldbridge's owned value.
pub fn profile_response() -> OwnedGetResponse {
    let entries = (0..PROFILE_ENTRIES)
        .map(|i| {
            let (time, status, import, export) = profile_entry(i);
            Data::Structure(vec![
                Data::OctetString(time.to_vec()),
                Data::Unsigned(status),
                Data::DoubleLongUnsigned(import),
                Data::DoubleLongUnsigned(export),
            ])
        })
        .collect();
    OwnedGetResponse::Normal {
        invoke: InvokeIdAndPriority(0xC1),
        result: OwnedGetDataResult::Data(Data::Array(entries)),
    }
}

/// A register's value in the push.
#[derive(Debug, Clone, Copy)]
enum PushValue {
    Octets(&'static [u8]),
    U32(u32),
    U16(u16),
}

/// The clock's value: 2026-12-07 10:45:00, deviation -60, status 0x80 (daylight saving).
const CLOCK: [u8; 12] = [0x07, 0xEA, 12, 7, 1, 10, 45, 0, 0, 0xFF, 0xC4, 0x80];

/// A register of the push: OBIS code, value, scaler_unit.
type Register = ([u8; 6], PushValue, Option<(i8, u8)>);

/// The push's registers.
const REGISTERS: [Register; 14] = [
    ([0, 0, 1, 0, 0, 255], PushValue::Octets(&CLOCK), None),
    (
        [1, 0, 1, 8, 0, 255],
        PushValue::U32(12_345_678),
        Some((0, 30)),
    ),
    ([1, 0, 2, 8, 0, 255], PushValue::U32(4_321), Some((0, 30))),
    ([1, 0, 3, 8, 0, 255], PushValue::U32(1_234), Some((0, 32))),
    ([1, 0, 4, 8, 0, 255], PushValue::U32(567), Some((0, 32))),
    ([1, 0, 1, 7, 0, 255], PushValue::U32(1_520), Some((0, 27))),
    ([1, 0, 2, 7, 0, 255], PushValue::U32(0), Some((0, 27))),
    ([1, 0, 3, 7, 0, 255], PushValue::U32(310), Some((0, 29))),
    ([1, 0, 32, 7, 0, 255], PushValue::U16(2_301), Some((-1, 35))),
    ([1, 0, 52, 7, 0, 255], PushValue::U16(2_298), Some((-1, 35))),
    ([1, 0, 72, 7, 0, 255], PushValue::U16(2_305), Some((-1, 35))),
    ([1, 0, 31, 7, 0, 255], PushValue::U16(212), Some((-2, 33))),
    ([1, 0, 51, 7, 0, 255], PushValue::U16(198), Some((-2, 33))),
    ([1, 0, 71, 7, 0, 255], PushValue::U16(205), Some((-2, 33))),
];

/// The DataNotification (long invoke 0x00001234, date-time = the clock), as fieldbridge's owned
/// value.
pub fn push_notification() -> OwnedDataNotification {
    let mut body = Vec::new();
    for (obis, value, scaler_unit) in REGISTERS {
        body.push(Data::OctetString(obis.to_vec()));
        body.push(match value {
            PushValue::Octets(bytes) => Data::OctetString(bytes.to_vec()),
            PushValue::U32(v) => Data::DoubleLongUnsigned(v),
            PushValue::U16(v) => Data::LongUnsigned(v),
        });
        if let Some((scaler, unit)) = scaler_unit {
            body.push(Data::Structure(vec![
                Data::Integer(scaler),
                Data::Enum(unit),
            ]));
        }
    }
    OwnedDataNotification {
        long_invoke: LongInvokeIdAndPriority(0x0000_1234),
        date_time: Some(DateTime::from_bytes(CLOCK).into()),
        body: Data::Structure(body),
    }
}

// ---------------------------------------------------------------------------------------------
// The digests

const SEED: u64 = 0xCBF2_9CE4_8422_2325;

/// One step of the digest (FxHash's).
#[inline]
fn mix(h: u64, x: u64) -> u64 {
    (h.rotate_left(5) ^ x).wrapping_mul(0x517C_C1B7_2722_0A95)
}

/// An octet string: its length, then its octets eight at a time.
#[inline]
fn mix_octets(mut h: u64, bytes: &[u8]) -> u64 {
    h = mix(h, bytes.len() as u64);
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        h = mix(h, u64::from_le_bytes(word));
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut word = [0u8; 8];
        word[..rest.len()].copy_from_slice(rest);
        h = mix(h, u64::from_le_bytes(word));
    }
    h
}

/// The profile digest: the array's count, then per entry the structure's count, the capture
/// time's octets, the status, import and export, each with its type tag.
fn expected_profile_digest() -> u64 {
    let mut h = mix(mix(SEED, 1), PROFILE_ENTRIES as u64);
    for i in 0..PROFILE_ENTRIES {
        let (time, status, import, export) = profile_entry(i);
        h = mix(mix(h, 2), 4);
        h = mix_octets(mix(h, 9), &time);
        h = mix(mix(h, 17), status.into());
        h = mix(mix(h, 6), import.into());
        h = mix(mix(h, 6), export.into());
    }
    h
}

/// One element of the push's body, as the register reading needs it.
#[derive(Debug, Clone, Copy)]
enum Elem<'a> {
    Octets(&'a [u8]),
    U16(u16),
    U32(u32),
    ScalerUnit(i8, u8),
    Other,
}

/// `dlms_cosem`'s scale factor, `10^|scaler|` as an `i32`.
fn scale_factor(scaler: i8) -> i32 {
    (0..scaler.unsigned_abs()).fold(1i32, |f, _| f.wrapping_mul(10))
}

/// A register's value as `dlms_cosem`'s `ObisMap` hands it over, folded to a `u64`, and its
/// unit (0 for none): a long-unsigned or double-long-unsigned with a scaler_unit becomes a
/// float32 or float64, `value / 10^-scaler` or `value * 10^scaler` computed as it computes it;
/// anything else stays as it is.
fn reading_key(value: Elem<'_>, scaler_unit: Option<(i8, u8)>) -> Option<(u64, u8)> {
    let key = match (value, scaler_unit) {
        (Elem::Octets(bytes), _) => mix_octets(SEED, bytes),
        (Elem::U16(v), Some((s, _))) => {
            let f = scale_factor(s) as f32;
            u64::from(if s < 0 { v as f32 / f } else { v as f32 * f }.to_bits())
        }
        (Elem::U32(v), Some((s, _))) => {
            let f = scale_factor(s) as f64;
            if s < 0 { v as f64 / f } else { v as f64 * f }.to_bits()
        }
        (Elem::U16(v), None) => v.into(),
        (Elem::U32(v), None) => v.into(),
        (Elem::ScalerUnit(..) | Elem::Other, _) => return None,
    };
    Some((key, scaler_unit.map_or(0, |(_, unit)| unit)))
}

/// One register: its OBIS code, value and unit. Registers are summed, so the order in which a
/// decoder hands them over does not matter.
#[inline]
fn register_hash(obis: [u8; 6], key: u64, unit: u8) -> u64 {
    let [a, b, c, d, e, f] = obis;
    let code = u64::from_be_bytes([0, 0, a, b, c, d, e, f]);
    mix(mix(mix(SEED, code), key), unit.into())
}

/// The registers of a push body, read as `dlms_cosem`'s `ObisMap` reads them: an OBIS
/// octet-string (6 octets), the value, then a scaler_unit structure if one follows.
fn register_digest<'a>(elements: impl Iterator<Item = Elem<'a>>) -> Option<u64> {
    let mut elements = elements.peekable();
    let (mut sum, mut count) = (0u64, 0u64);
    while let Some(first) = elements.next() {
        let Elem::Octets(obis) = first else {
            return None;
        };
        let obis = <[u8; 6]>::try_from(obis).ok()?;
        let value = elements.next()?;
        let scaler_unit = match elements.peek() {
            Some(&Elem::ScalerUnit(s, u)) if s != 0 || u != 0xFF => {
                elements.next();
                Some((s, u))
            }
            _ => None,
        };
        let (key, unit) = reading_key(value, scaler_unit)?;
        sum = sum.wrapping_add(register_hash(obis, key, unit));
        count += 1;
    }
    Some(mix(sum, count))
}

/// The push digest from [`REGISTERS`].
fn expected_push_digest() -> u64 {
    let (mut sum, mut count) = (0u64, 0u64);
    for (obis, value, scaler_unit) in REGISTERS {
        let value = match value {
            PushValue::Octets(bytes) => Elem::Octets(bytes),
            PushValue::U32(v) => Elem::U32(v),
            PushValue::U16(v) => Elem::U16(v),
        };
        let (key, unit) = reading_key(value, scaler_unit).unwrap_or_default();
        sum = sum.wrapping_add(register_hash(obis, key, unit));
        count += 1;
    }
    mix(sum, count)
}

// ---------------------------------------------------------------------------------------------
// fieldbridge

/// The profile digest of a view: every value of the tree, recursively.
fn tree_digest_view(mut h: u64, data: DataRef<'_>) -> u64 {
    let tag = u64::from(data.data_type().tag());
    match data.value() {
        Value::Array(items) | Value::Structure(items) => {
            h = mix(mix(h, tag), items.len() as u64);
            for item in items {
                h = tree_digest_view(h, item);
            }
            h
        }
        Value::OctetString(bytes) => mix_octets(mix(h, tag), bytes),
        Value::Unsigned(v) => mix(mix(h, tag), v.into()),
        Value::LongUnsigned(v) => mix(mix(h, tag), v.into()),
        Value::DoubleLongUnsigned(v) => mix(mix(h, tag), v.into()),
        // Not in these frames.
        _ => mix(h, tag),
    }
}

/// One value of the profile digest: its type tag, then the value.
#[inline]
fn value_digest(h: u64, value: &Value<'_>) -> u64 {
    match *value {
        Value::OctetString(bytes) => mix_octets(mix(h, 9), bytes),
        Value::Unsigned(v) => mix(mix(h, 17), v.into()),
        Value::LongUnsigned(v) => mix(mix(h, 18), v.into()),
        Value::DoubleLongUnsigned(v) => mix(mix(h, 6), v.into()),
        // Not in these frames.
        _ => mix(h, u64::from(value.data_type().tag())),
    }
}

/// The profile digest of a view read in one pass ([`DataRef::events`]): the same as
/// [`tree_digest_view`], which mixes a container's tag and count on the way in and nothing on
/// the way out.
fn events_digest(data: DataRef<'_>) -> u64 {
    data.events().fold(SEED, |h, event| match event {
        Event::Array(n) => mix(mix(h, 1), n as u64),
        Event::Structure(n) => mix(mix(h, 2), n as u64),
        Event::End => h,
        Event::Value(value) => value_digest(h, &value),
    })
}

/// The profile digest of an owned tree.
fn tree_digest_owned(mut h: u64, data: &Data) -> u64 {
    let tag = u64::from(data.data_type().tag());
    match data {
        Data::Array(items) | Data::Structure(items) => {
            h = mix(mix(h, tag), items.len() as u64);
            for item in items {
                h = tree_digest_owned(h, item);
            }
            h
        }
        Data::OctetString(bytes) => mix_octets(mix(h, tag), bytes),
        Data::Unsigned(v) => mix(mix(h, tag), (*v).into()),
        Data::LongUnsigned(v) => mix(mix(h, tag), (*v).into()),
        Data::DoubleLongUnsigned(v) => mix(mix(h, tag), (*v).into()),
        _ => mix(h, tag),
    }
}

fn elem_of_view(data: DataRef<'_>) -> Elem<'_> {
    match data.value() {
        Value::OctetString(bytes) => Elem::Octets(bytes),
        Value::LongUnsigned(v) => Elem::U16(v),
        Value::DoubleLongUnsigned(v) => Elem::U32(v),
        Value::Structure(mut items) if items.len() == 2 => {
            match (
                items.next().map(|d| d.value()),
                items.next().map(|d| d.value()),
            ) {
                (Some(Value::Integer(s)), Some(Value::Enum(u))) => Elem::ScalerUnit(s, u),
                _ => Elem::Other,
            }
        }
        _ => Elem::Other,
    }
}

/// The elements of a push body read from its events: the body structure's elements, a
/// container among them read to its end (a scaler_unit when it is a structure of an integer and
/// an enum, as [`elem_of_view`] decides).
struct ElemsOfEvents<'a> {
    events: Events<'a>,
}

impl<'a> ElemsOfEvents<'a> {
    /// The elements of the body structure, if `body` is one.
    fn new(body: DataRef<'a>) -> Option<Self> {
        let mut events = body.events();
        match events.next()? {
            Event::Structure(_) => Some(ElemsOfEvents { events }),
            _ => None,
        }
    }
}

impl<'a> Iterator for ElemsOfEvents<'a> {
    type Item = Elem<'a>;

    #[inline]
    fn next(&mut self) -> Option<Elem<'a>> {
        let count = match self.events.next()? {
            Event::Value(Value::OctetString(bytes)) => return Some(Elem::Octets(bytes)),
            Event::Value(Value::LongUnsigned(v)) => return Some(Elem::U16(v)),
            Event::Value(Value::DoubleLongUnsigned(v)) => return Some(Elem::U32(v)),
            Event::Value(_) => return Some(Elem::Other),
            // The end of the body.
            Event::End => return None,
            Event::Array(_) => None,
            Event::Structure(count) => Some(count),
        };
        // A container: its first two elements if they are values, then on to its end.
        let (mut first, mut second) = (None, None);
        let (mut depth, mut index) = (1usize, 0usize);
        while depth > 0 {
            match self.events.next()? {
                Event::Array(_) | Event::Structure(_) => {
                    index += usize::from(depth == 1);
                    depth += 1;
                }
                Event::End => depth -= 1,
                Event::Value(value) if depth == 1 => {
                    match index {
                        0 => first = Some(value),
                        1 => second = Some(value),
                        _ => {}
                    }
                    index += 1;
                }
                Event::Value(_) => {}
            }
        }
        Some(match (count, first, second) {
            (Some(2), Some(Value::Integer(s)), Some(Value::Enum(u))) => Elem::ScalerUnit(s, u),
            _ => Elem::Other,
        })
    }
}

fn elem_of_owned(data: &Data) -> Elem<'_> {
    match data {
        Data::OctetString(bytes) => Elem::Octets(bytes),
        Data::LongUnsigned(v) => Elem::U16(*v),
        Data::DoubleLongUnsigned(v) => Elem::U32(*v),
        Data::Structure(items) => match items.as_slice() {
            [Data::Integer(s), Data::Enum(u)] => Elem::ScalerUnit(*s, *u),
            _ => Elem::Other,
        },
        _ => Elem::Other,
    }
}

/// The view of a plain profile response: `GetResponse::decode`, then every value in one pass
/// ([`DataRef::events`]).
#[inline]
fn view_profile_bytes(apdu: &[u8]) -> Option<u64> {
    match GetResponse::decode(apdu).ok()? {
        GetResponse::Normal {
            result: GetDataResult::Data(data),
            ..
        } => Some(events_digest(data)),
        _ => None,
    }
}

/// The view of a plain push: `DataNotification::decode`, then every register in one pass
/// ([`DataRef::events`]).
#[inline]
fn view_push_bytes(apdu: &[u8]) -> Option<u64> {
    let notification = DataNotification::decode(apdu).ok()?;
    register_digest(ElemsOfEvents::new(notification.body)?)
}

/// fieldbridge view of the profile (no allocation): one pass over the tree.
pub fn view_profile(frame: &[u8], _: &mut Scratch) -> Option<u64> {
    view_profile_bytes(frame)
}

/// fieldbridge view of the profile read element by element with `Items` (each level of the
/// tree skips the elements below it once more).
pub fn view_profile_items(frame: &[u8], _: &mut Scratch) -> Option<u64> {
    match GetResponse::decode(frame).ok()? {
        GetResponse::Normal {
            result: GetDataResult::Data(data),
            ..
        } => Some(tree_digest_view(SEED, data)),
        _ => None,
    }
}

/// fieldbridge owned form of the profile: the view, `to_owned`, then every value.
pub fn owned_profile(frame: &[u8], _: &mut Scratch) -> Option<u64> {
    match GetResponse::decode(frame).ok()?.to_owned() {
        OwnedGetResponse::Normal {
            result: OwnedGetDataResult::Data(data),
            ..
        } => Some(tree_digest_owned(SEED, &data)),
        _ => None,
    }
}

/// fieldbridge view of the push (no allocation): one pass over the body.
pub fn view_push(frame: &[u8], _: &mut Scratch) -> Option<u64> {
    view_push_bytes(frame)
}

/// fieldbridge view of the push read element by element with `Items`.
pub fn view_push_items(frame: &[u8], _: &mut Scratch) -> Option<u64> {
    let notification = DataNotification::decode(frame).ok()?;
    match notification.body.value() {
        Value::Structure(items) => register_digest(items.map(elem_of_view)),
        _ => None,
    }
}

/// fieldbridge owned form of the push.
pub fn owned_push(frame: &[u8], _: &mut Scratch) -> Option<u64> {
    match DataNotification::decode(frame).ok()?.to_owned().body {
        Data::Structure(items) => register_digest(items.iter().map(elem_of_owned)),
        _ => None,
    }
}

/// fieldbridge ciphered profile: `CipheredApdu::decode`, `decrypt` (tag checked) into the
/// reused buffer, then the view.
pub fn ciphered_profile(frame: &[u8], scratch: &mut Scratch) -> Option<u64> {
    let apdu = CipheredApdu::decode(frame).ok()?;
    let plain = apdu
        .decrypt(&KEYS, Some(&SERVER_TITLE), &mut scratch.plain)
        .ok()?;
    view_profile_bytes(plain)
}

/// fieldbridge ciphered push: as [`ciphered_profile`], then the push's view. The push is
/// encryption only (the only policy `dlms_cosem` reads), which the receiver must ask for.
pub fn ciphered_push(frame: &[u8], scratch: &mut Scratch) -> Option<u64> {
    let apdu = CipheredApdu::decode(frame).ok()?;
    let plain = apdu
        .decrypt_with_policy(
            &KEYS,
            SecurityPolicy::Encrypted,
            Some(&SERVER_TITLE),
            &mut scratch.plain,
        )
        .ok()?;
    view_push_bytes(plain)
}

// ---------------------------------------------------------------------------------------------
// AES-GCM alone

/// Suite 0's AES-GCM-128 with a 12-octet tag.
type Suite0 = AesGcm<Aes128, U12, U12>;

/// What a decoder may keep between frames: the plaintext buffer, and for AES-GCM alone the
/// cipher and where the ciphertext, IV, AAD and tag of the frame are.
pub struct Scratch {
    plain: Vec<u8>,
    aes: Option<AesJob>,
}

struct AesJob {
    cipher: Suite0,
    iv: [u8; 12],
    aad: [u8; 17],
    ciphertext: Range<usize>,
    tag: [u8; TAG_LEN],
}

impl std::fmt::Debug for Scratch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scratch")
            .field("plain", &self.plain.len())
            .field("aes", &self.aes.is_some())
            .finish()
    }
}

impl Scratch {
    /// The scratch for decoding `frame`; for an authenticated ciphered frame also the AES-GCM
    /// job (found with `CipheredApdu::decode`, outside the timing).
    pub fn new(frame: &[u8]) -> Scratch {
        let aes = CipheredApdu::decode(frame).ok().and_then(|apdu| {
            let tag = *apdu.auth_tag()?;
            let start = apdu.header_offset() + 5;
            let mut iv = [0u8; 12];
            iv[..8].copy_from_slice(&SERVER_TITLE);
            iv[8..].copy_from_slice(&apdu.frame_counter().to_be_bytes());
            let mut aad = [0u8; 17];
            aad[0] = apdu.security_control().0;
            aad[1..].copy_from_slice(&AUTHENTICATION_KEY);
            Some(AesJob {
                cipher: Suite0::new(&ENCRYPTION_KEY.into()),
                iv,
                aad,
                ciphertext: start..start + apdu.information().len(),
                tag,
            })
        });
        Scratch {
            plain: Vec::new(),
            aes,
        }
    }

    /// The buffer the last ciphered decode wrote its plaintext to.
    pub fn plaintext(&self) -> &[u8] {
        &self.plain
    }
}

/// AES-GCM alone on the frame's ciphertext: copy it into the reused buffer and
/// `decrypt_inout_detached` (tag checked; `decrypt_in_place_detached`, deprecated in
/// aead 0.6, is a wrapper around it), the cipher (key schedule) kept from frame to frame.
/// Returns the plaintext length.
pub fn aes_gcm_alone(frame: &[u8], scratch: &mut Scratch) -> Option<u64> {
    let job = scratch.aes.as_ref()?;
    scratch.plain.clear();
    scratch
        .plain
        .extend_from_slice(frame.get(job.ciphertext.clone())?);
    job.cipher
        .decrypt_inout_detached(
            &job.iv.into(),
            &job.aad,
            scratch.plain.as_mut_slice().into(),
            &job.tag.into(),
        )
        .ok()?;
    Some(scratch.plain.len() as u64)
}

/// As [`aes_gcm_alone`], with a new cipher (key schedule) for every frame, as
/// `CipheredApdu::decrypt` does.
pub fn aes_gcm_alone_rekeyed(frame: &[u8], scratch: &mut Scratch) -> Option<u64> {
    let job = scratch.aes.as_ref()?;
    scratch.plain.clear();
    scratch
        .plain
        .extend_from_slice(frame.get(job.ciphertext.clone())?);
    Suite0::new(&ENCRYPTION_KEY.into())
        .decrypt_inout_detached(
            &job.iv.into(),
            &job.aad,
            scratch.plain.as_mut_slice().into(),
            &job.tag.into(),
        )
        .ok()?;
    Some(scratch.plain.len() as u64)
}

// ---------------------------------------------------------------------------------------------
// dlms_cosem

/// The `dlms_cosem` side. Its `Apdu::parse` knows two APDU tags, 15 (DataNotification) and 219
/// (general-glo-ciphering), and `unimplemented!()`s (panics on) every other; its `Data::parse`
/// panics on array, unsigned, boolean, bit-string, the strings other than octet-string, bcd,
/// compact-array and the delta types. So it is called on the push and the general-glo push
/// only. `DataNotification`'s date-time and body are private to the crate: the one public way
/// to the values is `ObisMap::parse`, which reads the body as registers (OBIS code, value,
/// scaler_unit), scales values that have a scaler_unit into floats, and puts them in a
/// `BTreeMap`; so the decoder here is `Apdu::parse`, `ObisMap::parse`, then every register
/// looked up by its OBIS code.
///
/// Its general-glo-ciphering "decryption" runs AES-GCM's *encryption* with no additional
/// authenticated data over the whole ciphered information and drops the tag it computes: that
/// is AES-CTR, and the GCM tag sent is never checked. With authentication (security control
/// 0x30) it takes the 12 tag octets for ciphertext and the APDU fails with trailing octets; it
/// reads an A-XDR length 0x81 nn as 0x81 octets. So the general push here is encryption only,
/// and its content is longer than 255 octets (a 0x82 length).
pub mod dlms_cosem_peer {
    use super::*;

    const fn codes() -> [PeerObis; 14] {
        let mut out = [const { PeerObis::new(0, 0, 0, 0, 0, 0) }; 14];
        let mut i = 0;
        while i < REGISTERS.len() {
            let [a, b, c, d, e, f] = REGISTERS[i].0;
            out[i] = PeerObis::new(a, b, c, d, e, f);
            i += 1;
        }
        out
    }

    /// The OBIS codes of the push, as `dlms_cosem` keys its map.
    static CODES: [PeerObis; 14] = codes();

    /// Every register of the map, looked up by OBIS code, folded as [`register_digest`] does.
    fn digest(apdu: &PeerApdu) -> Option<u64> {
        let (_, map) = ObisMap::parse(apdu).ok()?;
        if map.len() != REGISTERS.len() {
            return None;
        }
        let mut sum = 0u64;
        for ((obis, _, _), code) in REGISTERS.iter().zip(&CODES) {
            let register = map.get(code)?;
            let key = match register.value() {
                PeerData::OctetString(bytes) => mix_octets(SEED, bytes),
                PeerData::Float32(v) => v.to_bits().into(),
                PeerData::Float64(v) => v.to_bits(),
                PeerData::LongUnsigned(v) => (*v).into(),
                PeerData::DoubleLongUnsigned(v) => (*v).into(),
                _ => return None,
            };
            let unit = register.unit().map_or(0, |u| *u as u8);
            sum = sum.wrapping_add(register_hash(*obis, key, unit));
        }
        Some(mix(sum, map.len() as u64))
    }

    /// `Apdu::parse` (the whole frame), `ObisMap::parse`, every register.
    pub fn push(frame: &[u8], _: &mut Scratch) -> Option<u64> {
        let (rest, apdu) = PeerApdu::parse(frame).ok()?;
        if !rest.is_empty() {
            return None;
        }
        digest(&apdu)
    }

    /// `Apdu::parse` alone: the tree built and dropped, no value read (none is reachable
    /// without `ObisMap`). Returns the invoke-id.
    pub fn push_parse_only(frame: &[u8], _: &mut Scratch) -> Option<u64> {
        let (rest, apdu) = PeerApdu::parse(frame).ok()?;
        if !rest.is_empty() {
            return None;
        }
        match black_box(&apdu) {
            PeerApdu::DataNotification(n) => Some(n.invoke_id().into()),
            _ => None,
        }
    }

    /// `Apdu::parse_encrypted` (general-glo-ciphering, CTR without the tag), `ObisMap::parse`,
    /// every register.
    pub fn general_push(frame: &[u8], _: &mut Scratch) -> Option<u64> {
        let (rest, apdu) = PeerApdu::parse_encrypted(frame, &ENCRYPTION_KEY.into()).ok()?;
        if !rest.is_empty() {
            return None;
        }
        digest(&apdu)
    }
}

// ---------------------------------------------------------------------------------------------
// The rows of the report

/// A decoder: the frame and a scratch it may reuse, to the digest (or, for AES-GCM alone, the
/// plaintext length).
pub type DecodeFn = fn(&[u8], &mut Scratch) -> Option<u64>;

/// What [`verify`] checks of a row's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// The frame's expected digest.
    Digest,
    /// The plaintext left in the scratch is the plain profile response.
    Plaintext,
    /// The push's invoke-id (0x1234): the decoder reaches no value.
    InvokeId,
}

/// One line of the report: a decoder on a frame.
#[derive(Debug, Clone, Copy)]
pub struct Row {
    /// The frame.
    pub kind: DlmsKind,
    /// The decoder, for the table.
    pub name: &'static str,
    /// The decoder, for `--callgrind` and criterion.
    pub short: &'static str,
    /// The function timed.
    pub decode: DecodeFn,
    /// What it must return.
    pub check: Check,
}

const fn row(
    kind: DlmsKind,
    name: &'static str,
    short: &'static str,
    decode: DecodeFn,
    check: Check,
) -> Row {
    Row {
        kind,
        name,
        short,
        decode,
        check,
    }
}

/// Every row, grouped by frame; the first row of each frame is fieldbridge's view.
pub const ROWS: [Row; 13] = [
    row(
        DlmsKind::Profile,
        "fieldbridge view",
        "view",
        view_profile,
        Check::Digest,
    ),
    row(
        DlmsKind::Profile,
        "fieldbridge view, Items walk",
        "view_items",
        view_profile_items,
        Check::Digest,
    ),
    row(
        DlmsKind::Profile,
        "fieldbridge owned",
        "owned",
        owned_profile,
        Check::Digest,
    ),
    row(
        DlmsKind::Push,
        "fieldbridge view",
        "view",
        view_push,
        Check::Digest,
    ),
    row(
        DlmsKind::Push,
        "fieldbridge view, Items walk",
        "view_items",
        view_push_items,
        Check::Digest,
    ),
    row(
        DlmsKind::Push,
        "fieldbridge owned",
        "owned",
        owned_push,
        Check::Digest,
    ),
    row(
        DlmsKind::Push,
        "dlms_cosem parse + ObisMap",
        "dlms_cosem",
        dlms_cosem_peer::push,
        Check::Digest,
    ),
    row(
        DlmsKind::Push,
        "dlms_cosem Apdu::parse only",
        "dlms_cosem_parse",
        dlms_cosem_peer::push_parse_only,
        Check::InvokeId,
    ),
    row(
        DlmsKind::GloProfile,
        "fieldbridge ciphered view",
        "ciphered",
        ciphered_profile,
        Check::Digest,
    ),
    row(
        DlmsKind::GloProfile,
        "AES-GCM alone, key kept",
        "aes",
        aes_gcm_alone,
        Check::Plaintext,
    ),
    row(
        DlmsKind::GloProfile,
        "AES-GCM alone, key each frame",
        "aes_rekeyed",
        aes_gcm_alone_rekeyed,
        Check::Plaintext,
    ),
    row(
        DlmsKind::GeneralPush,
        "fieldbridge ciphered view",
        "ciphered",
        ciphered_push,
        Check::Digest,
    ),
    row(
        DlmsKind::GeneralPush,
        "dlms_cosem parse_encrypted + ObisMap",
        "dlms_cosem",
        dlms_cosem_peer::general_push,
        Check::Digest,
    ),
];

/// The frames `dlms_cosem` is not run on, and why (it would panic).
pub const NOT_RUN: [(DlmsKind, &str); 2] = [
    (
        DlmsKind::Profile,
        "dlms_cosem not run: Apdu::parse unimplemented!()s APDU tag 196 (Get-Response); \
         its Data::parse also unimplemented!()s array (1) and unsigned (17)",
    ),
    (
        DlmsKind::GloProfile,
        "dlms_cosem not run: Apdu::parse unimplemented!()s APDU tag 204 (glo-get-response)",
    ),
];

/// Checks every row of `kind` against the values the frame was built with.
///
/// # Errors
/// The first disagreement.
pub fn verify(kind: DlmsKind) -> Result<(), String> {
    let frame = kind.frame();
    for row in ROWS.iter().filter(|r| r.kind == kind) {
        let mut scratch = Scratch::new(&frame);
        // Twice: the second with the scratch as the timed loop finds it.
        for _ in 0..2 {
            let got = (row.decode)(&frame, &mut scratch);
            let ok = match row.check {
                Check::Digest => got == Some(kind.expected_digest()),
                Check::Plaintext => {
                    let plain = profile_response().to_vec();
                    got == Some(plain.len() as u64) && scratch.plaintext() == plain.as_slice()
                }
                Check::InvokeId => got == Some(0x1234),
            };
            if !ok {
                return Err(format!(
                    "{}: {} returned {got:?}, expected {:?} ({:?})",
                    kind.name(),
                    row.name,
                    kind.expected_digest(),
                    row.check
                ));
            }
        }
    }
    Ok(())
}

/// What `dlms_cosem` does with the push as general-glo-ciphering authenticated and encrypted
/// (security control 0x30), for the report.
pub fn dlms_cosem_on_authenticated_push() -> String {
    let frame = general_push(SecurityControl(0x30));
    match PeerApdu::parse_encrypted(&frame, &ENCRYPTION_KEY.into()) {
        Ok((rest, apdu)) => format!(
            "accepted it ({} octets left, {})",
            rest.len(),
            if ObisMap::parse(&apdu).is_ok() {
                "values read"
            } else {
                "no values"
            }
        ),
        Err(e) => format!("refused it: {e:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_decoder_reads_every_frame_it_can_to_the_expected_values() {
        for kind in DlmsKind::ALL {
            verify(kind).unwrap();
        }
    }

    #[test]
    fn the_frames_have_the_shapes_the_report_says() {
        let profile = DlmsKind::Profile.frame();
        assert_eq!(&profile[..3], &[0xC4, 0x01, 0xC1]);
        assert_eq!(DlmsKind::GloProfile.frame()[0], 204);
        assert_eq!(DlmsKind::GloProfile.frame()[1], 0x82);
        let general = DlmsKind::GeneralPush.frame();
        // general-glo-ciphering, system title, a two-octet length (dlms_cosem reads no 0x81).
        assert_eq!(general[0], 219);
        assert_eq!(general[10], 0x82);
        assert_eq!(general[13], 0x20);
    }

    #[test]
    fn dlms_cosem_hands_over_an_altered_encrypted_only_push_with_a_wrong_value() {
        // Encryption only sends no tag: flipping a ciphertext bit flips the plaintext bit.
        let plain = push_notification().to_vec();
        let value = 12_345_678u32.to_be_bytes();
        let at = plain.windows(4).position(|w| w == value).unwrap();
        let mut frame = DlmsKind::GeneralPush.frame();
        // tag, system title (1 + 8), length 0x82 nn nn, SC, FC (4): 18 octets before the APDU.
        frame[18 + at + 3] ^= 0x01;
        let mut scratch = Scratch::new(&frame);
        let got = dlms_cosem_peer::general_push(&frame, &mut scratch);
        assert!(got.is_some());
        assert_ne!(got, Some(expected_push_digest()));
    }

    #[test]
    fn dlms_cosem_refuses_the_authenticated_push() {
        assert!(dlms_cosem_on_authenticated_push().starts_with("refused"));
    }

    #[test]
    fn a_wrong_tag_fails_our_ciphered_path_and_aes_alone() {
        let mut frame = DlmsKind::GloProfile.frame();
        let last = frame.len() - 1;
        frame[last] ^= 0x01;
        let mut scratch = Scratch::new(&frame);
        assert_eq!(ciphered_profile(&frame, &mut scratch), None);
        assert_eq!(aes_gcm_alone(&frame, &mut scratch), None);
    }
}
