//! The [`iec104`](https://crates.io/crates/iec104) crate (0.6, MIT) as a comparison peer: only
//! in this unpublished crate, never a dependency of a shipped one.
//!
//! `Apdu::from_bytes` decodes the APCI and, for an I frame, the whole ASDU eagerly: every object
//! into a `Vec` of typed structs (`InformationObjects::MMeNc1(Vec<GenericObject<MMeNc1>>)` and so
//! on), checking the time tags' ranges. The fields are then read into the digest of [`super`].
//! It knows only the 104 sizes, which the frames use.

use super::IecKind;
use iec104::apdu::{Apdu, Frame};
use iec104::types::time::Cp56Time2a;
use iec104::types::InformationObjects;

#[inline]
fn time_digest(t: &Cp56Time2a) -> u64 {
    u64::from(t.ms)
        + u64::from(t.min)
        + u64::from(t.hour)
        + u64::from(t.day)
        + u64::from(t.weekday)
        + u64::from(t.month)
        + u64::from(t.year)
        + u64::from(t.iv)
        + u64::from(t.summer_time)
}

/// Decodes `frame` and folds every value into the digest; `None` when the crate refuses it or
/// it is not an I frame.
#[inline]
pub fn decode(_kind: IecKind, frame: &[u8]) -> Option<u64> {
    let apdu = Apdu::from_bytes(frame).ok()?;
    if usize::from(apdu.length) + 2 != frame.len() {
        return None;
    }
    let Frame::I(i_frame) = apdu.frame else {
        return None;
    };
    let asdu = &i_frame.asdu;
    let mut digest = u64::from(i_frame.send_sequence_number)
        + u64::from(i_frame.receive_sequence_number)
        + u64::from(asdu.type_id as u8)
        + u64::from(asdu.cot as u8)
        + u64::from(asdu.address_field);
    match &asdu.information_objects {
        InformationObjects::MMeNc1(objects) => {
            for o in objects {
                digest = digest.wrapping_add(
                    u64::from(o.address)
                        + u64::from(o.object.value.to_bits())
                        + u64::from(o.object.qds.to_byte()),
                );
            }
        }
        InformationObjects::MSpTb1(objects) => {
            for o in objects {
                let siq = &o.object.siq;
                let quality = (u64::from(siq.iv) << 7)
                    + (u64::from(siq.nt) << 6)
                    + (u64::from(siq.sb) << 5)
                    + (u64::from(siq.bl) << 4);
                digest = digest.wrapping_add(
                    u64::from(o.address)
                        + u64::from(siq.spi as u8)
                        + quality
                        + time_digest(&o.object.time),
                );
            }
        }
        InformationObjects::CScNa1(objects) => {
            for o in objects {
                let sco = &o.object.sco;
                digest = digest.wrapping_add(
                    u64::from(o.address)
                        + u64::from(sco.scs as u8)
                        + 2 * u64::from(sco.se as u8)
                        + 4 * u64::from(sco.qu.to_byte()),
                );
            }
        }
        _ => return None,
    }
    Some(digest)
}
