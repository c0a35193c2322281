//! Strategies for the frames that carry ASDUs: IEC 104 APDUs (IEC 60870-5-104 clause 5) and
//! FT1.2 frames of IEC 101 (IEC 60870-5-1 clause 6.2.4), in owned forms a strategy can yield.

use super::asdu::{owned_asdu, MAX_ASDU_LEN};
use crate::apci::{Apci, Apdu, SeqNo, UFunction};
use crate::asdu::{AsduConfig, OwnedAsdu};
use crate::ft12::{AddressLen, Control, Frame, LinkConfig};
use crate::Error;
use bytes::BufMut;
use proptest::collection::vec;
use proptest::prelude::*;

/// An APDU that owns its ASDU octets ([`Apdu`] borrows them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedApdu {
    /// The control field.
    pub apci: Apci,
    /// The ASDU: 1..=249 octets for an I frame, none for S and U frames.
    pub asdu: Vec<u8>,
}

impl OwnedApdu {
    /// The borrowed form, to encode or compare with what `apci::decode` returns.
    pub fn as_apdu(&self) -> Apdu<'_> {
        Apdu {
            apci: self.apci,
            asdu: &self.asdu,
        }
    }

    /// Encodes it.
    ///
    /// # Errors
    /// Those of [`Apdu::encode`] (none for what the strategies generate but a full buffer).
    pub fn encode(&self, buf: &mut impl BufMut) -> Result<(), Error> {
        self.as_apdu().encode(buf)
    }
}

/// An FT1.2 frame that owns its user data ([`Frame`] borrows them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnedFrame {
    /// The single character E5.
    SingleChar,
    /// A fixed-length frame.
    Fixed {
        /// The control field.
        control: Control,
        /// The link address.
        address: u16,
    },
    /// A variable-length frame.
    Variable {
        /// The control field.
        control: Control,
        /// The link address.
        address: u16,
        /// The user data.
        asdu: Vec<u8>,
    },
}

impl OwnedFrame {
    /// The borrowed form.
    pub fn as_frame(&self) -> Frame<'_> {
        match self {
            Self::SingleChar => Frame::SingleChar,
            Self::Fixed { control, address } => Frame::Fixed {
                control: *control,
                address: *address,
            },
            Self::Variable {
                control,
                address,
                asdu,
            } => Frame::Variable {
                control: *control,
                address: *address,
                asdu,
            },
        }
    }

    /// Encodes it under `config`.
    ///
    /// # Errors
    /// Those of [`Frame::encode`] (none for what the strategies generate but a full buffer).
    pub fn encode(&self, config: &LinkConfig, buf: &mut impl BufMut) -> Result<(), Error> {
        self.as_frame().encode(config, buf)
    }
}

/// A sequence number, 0..=32767.
pub fn seq_no() -> impl Strategy<Value = SeqNo> {
    (0..SeqNo::MODULUS).prop_map(SeqNo::wrapping)
}

/// One of the six U functions.
pub fn u_function() -> impl Strategy<Value = UFunction> {
    prop::sample::select(UFunction::ALL.to_vec())
}

/// A control field of any format: I, S or U.
pub fn apci() -> impl Strategy<Value = Apci> {
    prop_oneof![
        (seq_no(), seq_no()).prop_map(|(send, recv)| Apci::I { send, recv }),
        seq_no().prop_map(|recv| Apci::S { recv }),
        u_function().prop_map(Apci::U),
    ]
}

/// An APDU of any format; an I frame carries 1..=249 octets of anything.
pub fn apdu() -> impl Strategy<Value = OwnedApdu> {
    (apci(), vec(any::<u8>(), 1..=MAX_ASDU_LEN)).prop_map(|(apci, asdu)| OwnedApdu {
        asdu: if matches!(apci, Apci::I { .. }) {
            asdu
        } else {
            Vec::new()
        },
        apci,
    })
}

/// An APDU of any format whose I frames carry an ASDU valid under `config` (given too).
pub fn apdu_with_asdu(config: AsduConfig) -> impl Strategy<Value = (OwnedApdu, Option<OwnedAsdu>)> {
    (apci(), owned_asdu(config)).prop_map(|(apci, asdu)| match apci {
        Apci::I { .. } => {
            let mut bytes = Vec::new();
            // Valid by construction; an empty ASDU would make no I frame, so it cannot fail.
            let _ = asdu.encode(&mut bytes);
            (OwnedApdu { apci, asdu: bytes }, Some(asdu))
        }
        _ => (
            OwnedApdu {
                apci,
                asdu: Vec::new(),
            },
            None,
        ),
    })
}

/// A link configuration: link addresses of 0, 1 or 2 octets.
pub fn link_config() -> impl Strategy<Value = LinkConfig> {
    prop::sample::select(vec![AddressLen::Zero, AddressLen::One, AddressLen::Two])
        .prop_map(LinkConfig::new)
}

/// A control field: any octet, both directions, every function code (reserved ones too).
pub fn control() -> impl Strategy<Value = Control> {
    any::<u8>().prop_map(Control::from_octet)
}

/// The largest user data an FT1.2 frame under `config` carries: L = 255 minus the control
/// field and the address.
fn max_user_data(config: &LinkConfig) -> usize {
    255 - 1 - config.address_len.octets()
}

/// An FT1.2 frame of any kind for `config`; a variable frame carries 0..=max octets of
/// anything.
pub fn ft12_frame(config: LinkConfig) -> impl Strategy<Value = OwnedFrame> {
    let max_address = config.address_len.max_address();
    let max = max_user_data(&config);
    prop_oneof![
        1 => Just(OwnedFrame::SingleChar),
        2 => (control(), 0..=max_address)
            .prop_map(|(control, address)| OwnedFrame::Fixed { control, address }),
        3 => (control(), 0..=max_address, vec(any::<u8>(), 0..=max)).prop_map(
            |(control, address, asdu)| OwnedFrame::Variable {
                control,
                address,
                asdu
            }
        ),
    ]
}

/// A variable-length FT1.2 frame for `link` whose user data is an ASDU valid under `config`
/// (given too).
pub fn ft12_frame_with_asdu(
    link: LinkConfig,
    config: AsduConfig,
) -> impl Strategy<Value = (OwnedFrame, OwnedAsdu)> {
    let max_address = link.address_len.max_address();
    (control(), 0..=max_address, owned_asdu(config)).prop_map(|(control, address, asdu)| {
        let mut bytes = Vec::new();
        // Valid by construction.
        let _ = asdu.encode(&mut bytes);
        (
            OwnedFrame::Variable {
                control,
                address,
                asdu: bytes,
            },
            asdu,
        )
    })
}
