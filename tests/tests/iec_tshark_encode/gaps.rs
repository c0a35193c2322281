//! Where tshark 4.0 (Debian 12's 4.0.17) shows our frames differently from the standard, or
//! not at all (and, last, where our names differ from its). Every entry here is an expected
//! difference the test asserts: if a newer tshark closes a gap, the test fails and the entry
//! must go (and real fields be compared instead).

use fieldbridge_iec60870::asdu::{Cot, OwnedAsdu};
use fieldbridge_iec60870::types::Cp56Time2a;

use super::expect::{days_from_civil, format_utc, Want};

/// Type IDs whose information objects tshark 4.0 does not dissect: it shows the first
/// object's address as `iec60870_asdu.ioa` and every octet after it as `iec60870_asdu.rawdata`
/// (with SQ = 0, the later objects' addresses included). The test compares that address, and
/// those octets with the octets it lays out itself from the standard (`expect::raw_octets`).
///
/// - 17, 18, 19 (M_EP_TA/TB/TC_1, 101 only) and 38, 39, 40 (M_EP_TD/TE/TF_1): no SEP, SPE,
///   OCI, QDP or CP16Time2a fields;
/// - 20 (M_PS_NA_1): no SCD field;
/// - 104 (C_TS_NA_1, 101 only) and 107 (C_TS_TA_1): no FBP or TSC field;
/// - 106 (C_CD_NA_1, 101 only): no CP16Time2a field;
/// - 113 (P_AC_NA_1): no QPA field;
/// - 120 to 127 (file transfer): no NOF, LOF, SCQ, LSQ, AFQ, SOF, CHS or segment fields.
pub const RAW_TYPE_IDS: [u8; 19] = [
    17, 18, 19, 20, 38, 39, 40, 104, 106, 107, 113, 120, 121, 122, 123, 124, 125, 126, 127,
];

/// Type IDs tshark 4.0 has no mnemonic for: its Info column shows `<TypeId=N>` where the
/// others show `M_SP_NA_1` and so on. All five are 101-only types.
pub const UNNAMED_TYPE_IDS: [u8; 5] = [17, 18, 19, 104, 106];

/// BSI (IEC 60870-5-101 clause 7.2.6.13): tshark reads the four octets as a big-endian number,
/// that is in wire order, while the standard (and lib60870, and our `u32`) sends the bitstring
/// least significant octet first. So tshark shows 0xDEADBEEF as `0xefbeadde`. The bits on the
/// wire are the same; only the reading differs.
pub fn bitstring(bsi: u32) -> Want {
    Want::Is(format!("0x{:08x}", bsi.swap_bytes()))
}

/// CP56Time2a as tshark 4.0 shows it in `iec60870_asdu.cp56time` (run with `TZ=UTC`):
///
/// - the seven-bit year is read with a 1970 pivot: 0..=69 as 2000..=2069, 70..=99 as
///   1970..=1999 (the standard names no century; our `Cp56Time2a::to_civil` counts from 2000);
/// - with SU set, the time is one hour earlier than the fields say: tshark hands SU to
///   `mktime` as the daylight-saving flag, which under UTC moves the time back an hour (the
///   `cp56time.hour` field itself is right).
pub fn cp56_absolute(time: &Cp56Time2a) -> String {
    let century = if time.year >= 70 { 1900 } else { 2000 };
    let days = days_from_civil(century + i64::from(time.year), time.month, time.day);
    let mut seconds = days * 86_400
        + i64::from(time.hour) * 3600
        + i64::from(time.minute) * 60
        + i64::from(time.millisecond / 1000);
    if time.summer_time {
        seconds -= 3600;
    }
    format_utc(seconds, u32::from(time.millisecond % 1000))
}

/// What tshark 4.0 shows for an IEC 101 ASDU of a type it does not dissect
/// ([`RAW_TYPE_IDS`], and C_RD_NA_1, which has no element). Its catch-all path reads the
/// address over three octets whatever the configured IOA length, then shows `Len - offset`
/// octets as `rawdata`, `Len` being the ASDU's length; and the ASDU it is handed is cut to the
/// frame's user data in length but not in the octets it may read, which run on into the FT1.2
/// checksum and stop character. So with an IOA of 1 or 2 octets:
///
/// - the address shown takes the next octets of the element (or the checksum and the stop
///   character) as its high octets, and the raw data is one or two octets short;
/// - when `Len - offset` is -1, tshark reads it as "to the end": the raw data runs to the stop
///   character (a C_RD_NA_1 with a two-octet IOA shows `16`);
/// - below -1 it throws: the packet is marked malformed and the 101 layer loses its checksum
///   and stop character fields (a C_RD_NA_1 with a one-octet IOA).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raw101 {
    /// The address tshark shows.
    pub ioa: u32,
    /// The raw data it shows after it (`aa:bb`), if any.
    pub rawdata: Option<String>,
    /// Whether the dissection throws (malformed packet, no checksum or stop character field).
    pub throws: bool,
}

/// See [`Raw101`]: `ioa` is the first object's address octets, `rest` every octet after them.
pub fn raw_101(ioa: &[u8], rest: &[u8], checksum: u8) -> Raw101 {
    let tail: Vec<u8> = ioa
        .iter()
        .chain(rest)
        .copied()
        .chain([checksum, 0x16])
        .collect();
    let read = u32::from_le_bytes([tail[0], tail[1], tail[2], 0]);
    let shown = (ioa.len() + rest.len()) as isize - 3;
    let hex = |octets: &[u8]| {
        let octets: Vec<String> = octets.iter().map(|o| format!("{o:02x}")).collect();
        octets.join(":")
    };
    Raw101 {
        ioa: read,
        rawdata: match shown {
            n if n > 0 => Some(hex(&tail[3..3 + n as usize])),
            -1 => Some(hex(&tail[3..])),
            _ => None,
        },
        throws: shown < -1,
    }
}

/// Before each information object address, tshark 4.0 checks that three octets are left in the
/// ASDU, whatever the configured IOA length. So with a one- or two-octet IOA an object near the
/// end (a one-octet IOA and a one-octet element, say) is refused: tshark shows an `IOA:s`
/// subtree holding the expert info `<ERR Short Asdu>` (malformed) and stops there. Returns the
/// index of the first object so refused.
pub fn short_object(asdu: &OwnedAsdu) -> Option<usize> {
    let total = asdu.encoded_len();
    let mut offset = asdu.config.header_len();
    for (index, object) in asdu.objects().iter().enumerate() {
        if index == 0 || !asdu.header.sequence {
            if total - offset < 3 {
                return Some(index);
            }
            offset += asdu.config.ioa_len();
        }
        offset += object.element.kind().len() + object.time.map_or(0, |t| t.kind().len());
    }
    None
}

/// The fields of the `IOA:s` subtree of an object refused by [`short_object`].
pub const SHORT_OBJECT_FIELDS: [(&str, &str); 5] = [
    ("iec104.short_asdu", ""),
    ("_ws.expert.message", "<ERR Short Asdu>"),
    ("_ws.expert.severity", "8388608"),
    ("_ws.expert.group", "117440512"),
    ("_ws.malformed", "Malformed Packet"),
];

/// The FT1.2 checksum is not verified by tshark 4.0 (a wrong one is shown without complaint),
/// and nor is the stop character. The test computes both itself from the frame's octets:
/// the arithmetic sum modulo 256 of control, address and user data (IEC 60870-5-1 clause
/// 6.2.4.2). The test `tshark_4_0_checks_neither_ft12_checksum_nor_stop_character` asserts
/// the gap.
pub fn ft12_checksum(octets: &[u8]) -> u8 {
    octets
        .iter()
        .fold(0u8, |sum, octet| sum.wrapping_add(*octet))
}

/// Not a shortfall of tshark but a choice of ours: `Cot::name` spells out the causes 44 to 47
/// ("unknown type" and so on), which tshark 4.0's Info column abbreviates. The wire octet
/// (`iec60870_asdu.causetx`) agrees in every case; only the names differ.
pub const COT_NAMES_UNLIKE_TSHARK: [(u8, &str); 4] = [
    (44, "UkTypeId"),
    (45, "UkCauseTx"),
    (46, "UkComAdrASDU"),
    (47, "UkIOA"),
];

/// The cause as tshark 4.0's Info column spells it: our short name, but for
/// [`COT_NAMES_UNLIKE_TSHARK`], and `<CauseTx=N>` for a cause it has no name for.
pub fn cause_in_info(cause: Cot) -> String {
    match COT_NAMES_UNLIKE_TSHARK.iter().find(|(c, _)| *c == cause.0) {
        Some((_, name)) => name.to_string(),
        None => match cause.name() {
            Some(name) => name.to_string(),
            None => format!("<CauseTx={}>", cause.0),
        },
    }
}
