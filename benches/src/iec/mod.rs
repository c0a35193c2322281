//! IEC 60870-5-104 decode workloads: three I frames, and one decode function per implementation
//! doing the same work, shared by the `iec_report` binary (`src/bin/iec_report/`).
//!
//! The frames ([`IecKind`]) use the 104 sizes (`AsduConfig::IEC104`: cause 2 octets with the
//! originator, common address 2, IOA 3) and are built by fieldbridge's encoder:
//!
//! - **float**: M_ME_NC_1 (13), SQ = 1, 40 short floats with QDS, COT 1 (periodic); 215 octets;
//! - **single**: M_SP_TB_1 (30), SQ = 0, 10 single points with CP56Time2a, COT 3; 122 octets;
//! - **command**: C_SC_NA_1 (45), one single command (select, QU 1), COT 6; 16 octets.
//!
//! Every decoder goes from the frame bytes to every value in hand and folds them into a
//! [digest](IecKind::expected_digest), a wrapping `u64` sum of
//!
//! - N(S) + N(R) + type ID + COT + common address, once per frame;
//! - per object: its address, plus
//!   - float: the `f32`'s bits + the QDS octet;
//!   - single point: SPI (0 or 1) + the SIQ's quality bits (IV, NT, SB, BL as sent, `0xF0`) +
//!     millisecond + minute + hour + day of month + day of week + month + year (0..=99) + IV +
//!     SU of the time tag;
//!   - single command: SCS + 2 × S/E + 4 × QU.
//!
//! The implementations ([`ours`], [`iec104_peer`]; lib60870-C in `benches/c/lib60870_decode.c`)
//! compute the same digest, and [`verify`] checks each against the digest computed from the
//! values the frames were built with, so a decoder that skips work or misreads a field cannot
//! look fast.

pub mod iec104_peer;
pub mod ours;

use fieldbridge_iec60870::apci::{Apdu, SeqNo};
use fieldbridge_iec60870::asdu::{
    AsduConfig, Cot, Element, InformationObject, OwnedAsdu, TimeTag, TypeId,
};
use fieldbridge_iec60870::types::{Cp56Time2a, Qds, Qu, Sco, Siq};

/// N(S) of every frame.
pub const SEND_SEQ: u16 = 1234;
/// N(R) of every frame.
pub const RECV_SEQ: u16 = 567;
/// The common address of every frame.
pub const COMMON_ADDRESS: u16 = 7;
/// Floats in the float frame.
pub const FLOATS: usize = 40;
/// Single points in the single-point frame.
pub const POINTS: usize = 10;

/// The frames measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IecKind {
    /// M_ME_NC_1, SQ = 1, [`FLOATS`] short floats.
    Float,
    /// M_SP_TB_1, SQ = 0, [`POINTS`] single points with CP56Time2a.
    Single,
    /// C_SC_NA_1, one single command.
    Command,
}

impl IecKind {
    /// All kinds, in report order.
    pub const ALL: [IecKind; 3] = [IecKind::Float, IecKind::Single, IecKind::Command];

    /// The name in the report, also the `--kind` of `lib60870_decode`.
    pub fn name(self) -> &'static str {
        match self {
            IecKind::Float => "float",
            IecKind::Single => "single",
            IecKind::Command => "command",
        }
    }

    /// A description for the report.
    pub fn description(self) -> &'static str {
        match self {
            IecKind::Float => "M_ME_NC_1 SQ=1, 40 floats",
            IecKind::Single => "M_SP_TB_1 SQ=0, 10 points, CP56",
            IecKind::Command => "C_SC_NA_1, 1 command",
        }
    }

    /// The ASDU, built by fieldbridge's owned form.
    pub fn asdu(self) -> OwnedAsdu {
        let config = AsduConfig::IEC104;
        match self {
            IecKind::Float => {
                let mut asdu =
                    OwnedAsdu::new(config, TypeId::M_ME_NC_1, Cot::PERIODIC, COMMON_ADDRESS)
                        .sequence(true);
                for (i, value) in float_values().into_iter().enumerate() {
                    let qds = if i % 7 == 3 { Qds(0x80) } else { Qds::GOOD };
                    asdu.push(InformationObject::new(
                        FLOAT_IOA + i as u32,
                        Element::Float { value, qds },
                    ));
                }
                asdu
            }
            IecKind::Single => {
                let mut asdu =
                    OwnedAsdu::new(config, TypeId::M_SP_TB_1, Cot::SPONTANEOUS, COMMON_ADDRESS);
                for i in 0..POINTS {
                    asdu.push(InformationObject::with_time(
                        POINT_IOA + 3 * i as u32,
                        Element::SinglePoint(point_siq(i)),
                        TimeTag::Cp56(point_time(i)),
                    ));
                }
                asdu
            }
            IecKind::Command => {
                OwnedAsdu::new(config, TypeId::C_SC_NA_1, Cot::ACTIVATION, COMMON_ADDRESS).with(
                    InformationObject::new(
                        COMMAND_IOA,
                        Element::SingleCommand(Sco::new(true, Qu::SHORT_PULSE, true)),
                    ),
                )
            }
        }
    }

    /// The whole APDU: an I frame with N(S) = [`SEND_SEQ`], N(R) = [`RECV_SEQ`] and
    /// [`IecKind::asdu`].
    pub fn frame(self) -> Vec<u8> {
        let mut asdu = Vec::new();
        self.asdu()
            .encode(&mut asdu)
            .expect("the bench ASDUs are valid");
        let mut frame = Vec::new();
        Apdu::i(SeqNo::wrapping(SEND_SEQ), SeqNo::wrapping(RECV_SEQ), &asdu)
            .encode(&mut frame)
            .expect("the bench APDUs are valid");
        frame
    }

    /// The digest of the frame, from the values it was built with (see the module docs).
    pub fn expected_digest(self) -> u64 {
        let asdu = self.asdu();
        let header = asdu.header;
        let mut digest = u64::from(SEND_SEQ)
            + u64::from(RECV_SEQ)
            + u64::from(header.type_id.0)
            + u64::from(header.cause.0)
            + u64::from(header.common_address);
        for (i, object) in asdu.objects().iter().enumerate() {
            let own = match self {
                IecKind::Float => {
                    let value = float_values()[i];
                    let qds = if i % 7 == 3 { 0x80 } else { 0 };
                    u64::from(value.to_bits()) + qds
                }
                IecKind::Single => {
                    let on = i % 3 != 1;
                    let quality = u64::from(point_siq(i).0 & 0xF0);
                    u64::from(on) + quality + cp56_digest(&point_time(i))
                }
                // On, select, QU 1.
                IecKind::Command => 1 + 2 + 4,
            };
            digest = digest.wrapping_add(u64::from(object.address) + own);
        }
        digest
    }
}

/// A CP56Time2a's share of the digest: millisecond + minute + hour + day of month + day of week
/// + month + year + IV + SU.
#[inline]
fn cp56_digest(t: &Cp56Time2a) -> u64 {
    u64::from(t.millisecond)
        + u64::from(t.minute)
        + u64::from(t.hour)
        + u64::from(t.day)
        + u64::from(t.day_of_week)
        + u64::from(t.month)
        + u64::from(t.year)
        + u64::from(t.invalid)
        + u64::from(t.summer_time)
}

const FLOAT_IOA: u32 = 1000;
const POINT_IOA: u32 = 2000;
const COMMAND_IOA: u32 = 300;

/// Distinct floats, some negative, some fractional.
fn float_values() -> [f32; FLOATS] {
    std::array::from_fn(|i| (i as f32) * 1.75 - 20.5)
}

/// Point `i`: on except every third from 1; every fourth has NT set.
fn point_siq(i: usize) -> Siq {
    let on = i % 3 != 1;
    let quality = if i % 4 == 2 { 0x40 } else { 0 };
    Siq(u8::from(on) | quality)
}

/// Point `i`'s time: 2026-12-07 (a Monday) 01:02:03.456 plus `i` × 1.111 s, summer time on the
/// odd ones.
fn point_time(i: usize) -> Cp56Time2a {
    let ms = 3_456 + 1_111 * i as u16;
    Cp56Time2a {
        millisecond: ms % 60_000,
        minute: 2,
        hour: 1,
        summer_time: i % 2 == 1,
        day: 7,
        day_of_week: 1,
        month: 12,
        year: 26,
        ..Cp56Time2a::default()
    }
}

/// A decoder that refused a frame or read something else than was encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The decoder.
    pub decoder: &'static str,
    /// The frame kind.
    pub kind: IecKind,
    /// What it returned (`None`: it refused the frame).
    pub found: Option<u64>,
    /// What it should have.
    pub expected: u64,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.found {
            None => write!(f, "{} refused the {} frame", self.decoder, self.kind.name()),
            Some(found) => write!(
                f,
                "{} read digest {found} from the {} frame, expected {}",
                self.decoder,
                self.kind.name(),
                self.expected
            ),
        }
    }
}

/// A decoder: the frame kind and bytes in, the digest out (`None` when it refuses the frame).
pub type Decode = fn(IecKind, &[u8]) -> Option<u64>;

/// The Rust decoders, by name, in report order. The last is not an implementation but the
/// floor of the view ([`ours::floor`]).
pub const RUST_DECODERS: [(&str, Decode); 4] = [
    ("fieldbridge view", ours::view),
    ("fieldbridge owned", ours::owned),
    ("iec104 crate", iec104_peer::decode),
    ("floor: checks + hand loop", ours::floor),
];

/// Checks that every Rust decoder reads `kind`'s frame to the expected digest.
///
/// # Errors
/// The first decoder that does not.
pub fn verify(kind: IecKind) -> Result<(), Mismatch> {
    let frame = kind.frame();
    let expected = kind.expected_digest();
    for (decoder, decode) in RUST_DECODERS {
        let found = decode(kind, &frame);
        if found != Some(expected) {
            return Err(Mismatch {
                decoder,
                kind,
                found,
                expected,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_have_the_documented_lengths() {
        assert_eq!(IecKind::Float.frame().len(), 215);
        assert_eq!(IecKind::Single.frame().len(), 122);
        assert_eq!(IecKind::Command.frame().len(), 16);
    }

    #[test]
    fn every_rust_decoder_reads_every_frame_to_the_expected_digest() {
        for kind in IecKind::ALL {
            assert_eq!(verify(kind), Ok(()));
        }
    }

    #[test]
    fn a_corrupted_value_changes_the_digest() {
        let mut frame = IecKind::Float.frame();
        let last = frame.len() - 2;
        frame[last] ^= 0x01;
        for (_, decode) in RUST_DECODERS {
            assert_ne!(
                decode(IecKind::Float, &frame),
                Some(IecKind::Float.expected_digest())
            );
        }
    }
}
