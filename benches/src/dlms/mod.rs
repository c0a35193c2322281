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

mod decode;
pub use decode::*;

pub mod dlms_cosem_peer;

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
mod tests;
