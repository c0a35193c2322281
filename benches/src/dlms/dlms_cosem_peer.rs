//! The `dlms_cosem` side. Its `Apdu::parse` knows two APDU tags, 15 (DataNotification) and 219
//! (general-glo-ciphering), and `unimplemented!()`s (panics on) every other; its `Data::parse`
//! panics on array, unsigned, boolean, bit-string, the strings other than octet-string, bcd,
//! compact-array and the delta types. So it is called on the push and the general-glo push
//! only. `DataNotification`'s date-time and body are private to the crate: the one public way
//! to the values is `ObisMap::parse`, which reads the body as registers (OBIS code, value,
//! scaler_unit), scales values that have a scaler_unit into floats, and puts them in a
//! `BTreeMap`; so the decoder here is `Apdu::parse`, `ObisMap::parse`, then every register
//! looked up by its OBIS code.
//!
//! Its general-glo-ciphering "decryption" runs AES-GCM's *encryption* with no additional
//! authenticated data over the whole ciphered information and drops the tag it computes: that
//! is AES-CTR, and the GCM tag sent is never checked. With authentication (security control
//! 0x30) it takes the 12 tag octets for ciphertext and the APDU fails with trailing octets; it
//! reads an A-XDR length 0x81 nn as 0x81 octets. So the general push here is encryption only,
//! and its content is longer than 255 octets (a 0x82 length).

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
