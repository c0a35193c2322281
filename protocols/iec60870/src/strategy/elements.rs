//! Strategies for the information elements (IEC 60870-5-101 clause 7.2.6): each covers every
//! octet the element can be sent as, reserved bits included.

use crate::types::{
    Afq, Bcr, Chs, Coi, Cp16Time2a, Cp24Time2a, Cp56Time2a, Dco, Diq, Frq, Lof, Los, Lsq, Nof, Nos,
    Nva, Oci, Qcc, Qdp, Qds, Qoi, Qos, Qpa, Qpm, Qrp, Rco, Scd, Sco, Scq, Sep, Siq, Sof, Spe, Srq,
    Vti,
};
use proptest::prelude::*;

/// Strategies for the elements that are a newtype over their octets: any value.
macro_rules! newtype_strategies {
    ($($(#[$doc:meta])* $name:ident -> $t:ident($inner:ty);)*) => {$(
        $(#[$doc])*
        pub fn $name() -> impl Strategy<Value = $t> {
            any::<$inner>().prop_map($t)
        }
    )*};
}

newtype_strategies! {
    /// SIQ, single-point information with quality.
    siq -> Siq(u8);
    /// DIQ, double-point information with quality.
    diq -> Diq(u8);
    /// QDS, the quality descriptor.
    qds -> Qds(u8);
    /// QDP, the quality descriptor of protection events.
    qdp -> Qdp(u8);
    /// SEP, a single event of protection equipment.
    sep -> Sep(u8);
    /// SPE, start events of protection equipment.
    spe -> Spe(u8);
    /// OCI, output circuit information.
    oci -> Oci(u8);
    /// VTI, a step position with its transient bit.
    vti -> Vti(u8);
    /// NVA, a normalized value.
    nva -> Nva(i16);
    /// SCO, a single command.
    sco -> Sco(u8);
    /// DCO, a double command.
    dco -> Dco(u8);
    /// RCO, a regulating step command.
    rco -> Rco(u8);
    /// QOS, the qualifier of set-point command.
    qos -> Qos(u8);
    /// QOI, the qualifier of interrogation.
    qoi -> Qoi(u8);
    /// QCC, the qualifier of counter interrogation.
    qcc -> Qcc(u8);
    /// QRP, the qualifier of reset process.
    qrp -> Qrp(u8);
    /// QPM, the qualifier of parameter of measured values.
    qpm -> Qpm(u8);
    /// QPA, the qualifier of parameter activation.
    qpa -> Qpa(u8);
    /// COI, the cause of initialization.
    coi -> Coi(u8);
    /// NOF, the name of a file.
    nof -> Nof(u16);
    /// NOS, the name of a section.
    nos -> Nos(u8);
    /// LOS, the length of a segment.
    los -> Los(u8);
    /// FRQ, the file ready qualifier.
    frq -> Frq(u8);
    /// SRQ, the section ready qualifier.
    srq -> Srq(u8);
    /// SCQ, the select and call qualifier.
    scq -> Scq(u8);
    /// LSQ, the last section or segment qualifier.
    lsq -> Lsq(u8);
    /// AFQ, the acknowledge file or section qualifier.
    afq -> Afq(u8);
    /// SOF, the status of a file.
    sof -> Sof(u8);
    /// CHS, a checksum.
    chs -> Chs(u8);
}

/// LOF, the length of a file or section: any 24-bit value.
pub fn lof() -> impl Strategy<Value = Lof> {
    any::<[u8; 3]>().prop_map(Lof::from_bytes)
}

/// BCR, a binary counter reading: any value, sequence number (0..=31) and flags.
pub fn bcr() -> impl Strategy<Value = Bcr> {
    any::<[u8; 5]>().prop_map(Bcr::from_bytes)
}

/// SCD, status and status change detection.
pub fn scd() -> impl Strategy<Value = Scd> {
    any::<[u8; 4]>().prop_map(Scd::from_bytes)
}

/// R32, a short float: any value but NaN (infinities, subnormals and -0 included).
pub fn float() -> impl Strategy<Value = f32> {
    any::<u32>().prop_map(|bits| {
        let value = f32::from_bits(bits);
        if value.is_nan() {
            0.0
        } else {
            value
        }
    })
}

/// CP56Time2a: any bit pattern (out-of-range fields and reserved bits included; it re-encodes
/// as sent).
pub fn cp56time2a() -> impl Strategy<Value = Cp56Time2a> {
    any::<[u8; 7]>().prop_map(Cp56Time2a::from_bytes)
}

/// CP56Time2a whose fields are in range (`Cp56Time2a::in_range`): for code that goes on to
/// read the date.
pub fn cp56time2a_in_range() -> impl Strategy<Value = Cp56Time2a> {
    (
        0u16..60_000,
        0u8..60,
        any::<bool>(),
        0u8..24,
        any::<bool>(),
        1u8..=28,
        0u8..=7,
        1u8..=12,
        0u8..100,
    )
        .prop_map(
            |(millisecond, minute, invalid, hour, summer_time, day, day_of_week, month, year)| {
                Cp56Time2a {
                    millisecond,
                    minute,
                    res1: false,
                    invalid,
                    hour,
                    res2: 0,
                    summer_time,
                    day,
                    day_of_week,
                    month,
                    res3: 0,
                    year,
                    res4: false,
                }
            },
        )
}

/// CP24Time2a: any bit pattern.
pub fn cp24time2a() -> impl Strategy<Value = Cp24Time2a> {
    any::<[u8; 3]>().prop_map(Cp24Time2a::from_bytes)
}

/// CP16Time2a: any bit pattern.
pub fn cp16time2a() -> impl Strategy<Value = Cp16Time2a> {
    any::<[u8; 2]>().prop_map(Cp16Time2a::from_bytes)
}
