//! fieldbridge's decoders (`fieldbridge-iec60870`): the borrowed view and the owned form.
//!
//! Both decode the APDU with `apci::decode` (start byte, length, control field, N(S) and N(R)),
//! require an I frame that fills the buffer, then the ASDU with the 104 sizes: [`view`] with
//! `Asdu::decode` and the lazy `Asdu::objects` iterator (no allocation), [`owned`] with
//! `OwnedAsdu::decode`, which collects the objects into a `Vec` first. Every object is read into
//! the digest of [`super`]. [`floor`] is not a fieldbridge API but a measure of what the view
//! could reach.

use super::IecKind;
use fieldbridge_iec60870::apci::{self, Apci, Apdu};
use fieldbridge_iec60870::asdu::{
    Asdu, AsduConfig, Element, ElementKind, Header, InformationObject, OwnedAsdu, TimeKind, TimeTag,
};

/// The APDU in `frame`, when it is one whole I frame.
#[inline]
fn i_frame(frame: &[u8]) -> Option<(Apdu<'_>, u64)> {
    let (apdu, used) = apci::decode(frame).ok()??;
    let Apci::I { send, recv } = apdu.apci else {
        return None;
    };
    (used == frame.len()).then_some((apdu, u64::from(send.get()) + u64::from(recv.get())))
}

#[inline]
fn header_digest(header: &Header) -> u64 {
    u64::from(header.type_id.0) + u64::from(header.cause.0) + u64::from(header.common_address)
}

/// One object's share of the digest; every element kind the frames hold, and the time tag.
#[inline]
fn object_digest(object: &InformationObject) -> u64 {
    let element = match object.element {
        Element::Float { value, qds } => u64::from(value.to_bits()) + u64::from(qds.bits()),
        Element::SinglePoint(siq) => u64::from(siq.on()) + u64::from(siq.bits() & 0xF0),
        Element::SingleCommand(sco) => {
            u64::from(sco.on()) + 2 * u64::from(sco.select()) + 4 * u64::from(sco.qu().0)
        }
        _ => 0,
    };
    let time = match object.time {
        Some(TimeTag::Cp56(t)) => super::cp56_digest(&t),
        _ => 0,
    };
    u64::from(object.address) + element + time
}

/// The borrowed view: no allocation.
#[inline]
pub fn view(_kind: IecKind, frame: &[u8]) -> Option<u64> {
    let (apdu, seq) = i_frame(frame)?;
    let asdu = Asdu::decode(apdu.asdu, &AsduConfig::IEC104).ok()?;
    let start = seq + header_digest(&asdu.header);
    Some(asdu.objects().fold(start, |digest, object| {
        digest.wrapping_add(object_digest(&object))
    }))
}

/// The owned form: the objects collected into a `Vec`, then read.
#[inline]
pub fn owned(_kind: IecKind, frame: &[u8]) -> Option<u64> {
    let (apdu, seq) = i_frame(frame)?;
    let asdu = OwnedAsdu::decode(apdu.asdu, &AsduConfig::IEC104).ok()?;
    let start = seq + header_digest(&asdu.header);
    Some(asdu.objects().iter().fold(start, |digest, object| {
        digest.wrapping_add(object_digest(object))
    }))
}

/// Not a fieldbridge API: the floor the view could reach. The same checks (`apci::decode`,
/// `Asdu::decode`), then one hand-written loop per element kind over `Asdu::body`, chosen once
/// per frame (what an `Objects::fold` that dispatches on the layout once would compile to).
/// Only the three kinds of the frames; anything else is `None`.
#[inline]
pub fn floor(_kind: IecKind, frame: &[u8]) -> Option<u64> {
    let (apdu, seq) = i_frame(frame)?;
    let asdu = Asdu::decode(apdu.asdu, &AsduConfig::IEC104).ok()?;
    let header = &asdu.header;
    let layout = asdu.layout()?;
    let ioa_len = asdu.config().ioa_len();
    let body = asdu.body();
    let ioa = |b: &[u8]| b.iter().rev().fold(0u64, |a, &x| (a << 8) | u64::from(x));
    let start = seq + header_digest(header);
    let digest = match (layout.element, layout.time, header.sequence) {
        (ElementKind::Float, TimeKind::None, true) => {
            let (first, elements) = body.split_at_checked(ioa_len)?;
            let base = ioa(first);
            elements
                .chunks_exact(5)
                .enumerate()
                .fold(start, |d, (i, e)| {
                    let value = u32::from_le_bytes([e[0], e[1], e[2], e[3]]);
                    d.wrapping_add(base + i as u64 + u64::from(value) + u64::from(e[4]))
                })
        }
        (ElementKind::SinglePoint, TimeKind::Cp56, false) => {
            body.chunks_exact(ioa_len + 8).fold(start, |d, o| {
                let (address, e) = o.split_at(ioa_len);
                let t = &e[1..8];
                let time = u64::from(u16::from_le_bytes([t[0], t[1]]))
                    + u64::from(t[2] & 0x3F)
                    + u64::from(t[2] >> 7)
                    + u64::from(t[3] & 0x1F)
                    + u64::from(t[3] >> 7)
                    + u64::from(t[4] & 0x1F)
                    + u64::from(t[4] >> 5)
                    + u64::from(t[5] & 0x0F)
                    + u64::from(t[6] & 0x7F);
                d.wrapping_add(ioa(address) + u64::from(e[0] & 1) + u64::from(e[0] & 0xF0) + time)
            })
        }
        (ElementKind::SingleCommand, TimeKind::None, false) => {
            body.chunks_exact(ioa_len + 1).fold(start, |d, o| {
                let (address, e) = o.split_at(ioa_len);
                let sco = e[0];
                d.wrapping_add(
                    ioa(address)
                        + u64::from(sco & 1)
                        + 2 * u64::from(sco >> 7)
                        + 4 * u64::from((sco >> 2) & 0x1F),
                )
            })
        }
        _ => return None,
    };
    Some(digest)
}
