//! Strategies for HDLC (IEC 62056-46): addresses of every form, control fields (unknown ones
//! included), whole frames and SNRM/UA parameters.

use crate::hdlc::{Address, Control, Frame, OwnedFrame, Parameters};
use proptest::collection::vec;
use proptest::prelude::*;

/// A one-octet address (a client address, or a server's upper address alone).
pub fn one_octet_address() -> impl Strategy<Value = Address> {
    (0u8..=0x7F).prop_filter_map("in range", |v| Address::one(v).ok())
}

/// A server address of one, two or four octets.
pub fn server_address() -> impl Strategy<Value = Address> {
    prop_oneof![
        one_octet_address(),
        (0u8..=0x7F, 0u8..=0x7F).prop_filter_map("in range", |(u, l)| Address::two(u, l).ok()),
        (0u16..=0x3FFF, 0u16..=0x3FFF)
            .prop_filter_map("in range", |(u, l)| Address::four(u, l).ok()),
    ]
}

/// Any control field, unknown octets (REJ, SREJ, other unnumbered commands) included.
pub fn control() -> impl Strategy<Value = Control> {
    prop_oneof![
        4 => (0u8..8, 0u8..8, any::<bool>()).prop_map(|(ns, nr, pf)| Control::I { ns, nr, pf }),
        1 => (0u8..8, any::<bool>()).prop_map(|(nr, pf)| Control::Rr { nr, pf }),
        1 => (0u8..8, any::<bool>()).prop_map(|(nr, pf)| Control::Rnr { nr, pf }),
        2 => any::<bool>().prop_map(|pf| Control::Snrm { pf }),
        1 => any::<bool>().prop_map(|pf| Control::Disc { pf }),
        1 => any::<bool>().prop_map(|pf| Control::Ua { pf }),
        1 => any::<bool>().prop_map(|pf| Control::Dm { pf }),
        1 => any::<bool>().prop_map(|pf| Control::Frmr { pf }),
        1 => any::<bool>().prop_map(|pf| Control::Ui { pf }),
        1 => any::<u8>().prop_map(Control::from_octet),
    ]
}

/// A frame between a client and a server address in either direction, with an information field
/// of up to `max_info` octets (clamped to what the length field allows).
pub fn frame(max_info: usize) -> impl Strategy<Value = OwnedFrame> {
    (
        any::<bool>(),
        one_octet_address(),
        server_address(),
        any::<bool>(),
        control(),
        0..=max_info,
    )
        .prop_flat_map(|(segmented, client, server, to_server, control, len)| {
            let (destination, source) = if to_server {
                (server, client)
            } else {
                (client, server)
            };
            let len = len.min(Frame::max_info_len(&destination, &source));
            vec(any::<u8>(), len).prop_map(move |info| OwnedFrame {
                segmented,
                destination,
                source,
                control,
                info,
            })
        })
}

/// SNRM/UA parameters over the whole range of each value.
pub fn parameters() -> impl Strategy<Value = Parameters> {
    let info = prop_oneof![1u32..=0xFF, 0x100u32..=0xFFFF, 0x1_0000u32..=u32::MAX];
    (info.clone(), info, 1u8..=7, 1u8..=7).prop_map(
        |(max_info_tx, max_info_rx, window_tx, window_rx)| Parameters {
            max_info_tx,
            max_info_rx,
            window_tx,
            window_rx,
        },
    )
}
